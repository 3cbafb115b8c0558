use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::support::{TempFile, PLAIN_YAML};

const GRADUAL: &str = env!("CARGO_BIN_EXE_gradual");

#[test]
fn the_binary_transforms_a_file_and_exits_0() {
    let template = TempFile::new("yaml", PLAIN_YAML);
    let output = Command::new(GRADUAL)
        .args(["transform", &template.arg(), "--format", "json"])
        .output()
        .expect("gradual runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    assert_eq!(
        value["Outputs"]["Arn"]["Value"],
        serde_json::json!({"Fn::GetAtt": ["Topic", "TopicArn"]})
    );
}

#[test]
fn the_binary_reads_stdin_and_reports_bad_input_with_status_2() {
    let mut child = Command::new(GRADUAL)
        .args(["check", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gradual starts");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(b"Resources: [unclosed\n")
        .expect("gradual reads stdin");
    let output = child.wait_with_output().expect("gradual exits");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("gradual: error: <stdin>:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
