use std::io;

use gradual_yaml::parse_any;
use serde_json::{json, Value};

use crate::support::{run, FailingWriter, TempFile, PLAIN_YAML};

fn plain_value() -> Value {
    parse_any(PLAIN_YAML).expect("fixture parses").0.value
}

#[test]
fn yaml_in_yaml_out() {
    let template = TempFile::new("yaml", PLAIN_YAML);
    let outcome = run(&["transform", &template.arg()], "");
    assert_eq!((outcome.code, outcome.stderr.as_str()), (0, ""));
    let (document, format) = parse_any(&outcome.stdout).expect("output parses");
    assert_eq!(format, gradual_yaml::Format::Yaml);
    assert_eq!(document.value, plain_value());
    assert!(
        outcome
            .stdout
            .contains("TopicName: !Sub ${AWS::StackName}-${Env}\n"),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome
            .stdout
            .contains("AWSTemplateFormatVersion: '2010-09-09'"),
        "{}",
        outcome.stdout
    );
}

#[test]
fn json_in_pretty_json_out() {
    let json_text = serde_json::to_string(&plain_value()).expect("serializable");
    let template = TempFile::new("json", &json_text);
    let outcome = run(&["transform", &template.arg()], "");
    assert_eq!((outcome.code, outcome.stderr.as_str()), (0, ""));
    let expected = format!(
        "{}\n",
        serde_json::to_string_pretty(&plain_value()).expect("serializable")
    );
    assert_eq!(outcome.stdout, expected);
    assert!(outcome
        .stdout
        .starts_with("{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n"));
}

#[test]
fn format_flag_converts_both_ways() {
    let outcome = run(&["transform", "-", "--format", "json"], PLAIN_YAML);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let value: Value = serde_json::from_str(&outcome.stdout).expect("JSON output");
    assert_eq!(value, plain_value());

    let back = run(&["transform", "--format=yaml", "-"], &outcome.stdout);
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert!(
        back.stdout
            .starts_with("AWSTemplateFormatVersion: '2010-09-09'\n"),
        "{}",
        back.stdout
    );
    assert_eq!(
        parse_any(&back.stdout).expect("YAML output").0.value,
        plain_value()
    );
}

#[test]
fn stdin_is_read_for_dash() {
    let outcome = run(&["transform", "-"], PLAIN_YAML);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(
        parse_any(&outcome.stdout).expect("parses").0.value,
        plain_value()
    );
}

#[test]
fn parameters_and_context_flags_are_accepted() {
    let outcome = run(
        &[
            "transform",
            "-",
            "-p",
            "Env=dev",
            "--parameter",
            "Env=test=1",
            "--region",
            "eu-west-1",
            "--account-id",
            "111122223333",
        ],
        PLAIN_YAML,
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
}

#[test]
fn malformed_parameters_are_usage_errors() {
    for bad in ["Env", "=dev"] {
        let outcome = run(&["transform", "-", "--parameter", bad], PLAIN_YAML);
        assert_eq!(outcome.code, 2, "{bad}");
        assert!(
            outcome.stderr.contains("expected KEY=VALUE"),
            "{}",
            outcome.stderr
        );
        assert_eq!(outcome.stdout, "");
    }
}

#[test]
fn check_prints_only_a_summary() {
    let template = TempFile::new("yaml", PLAIN_YAML);
    let outcome = run(&["check", &template.arg()], "");
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(outcome.stdout, "");
    assert_eq!(
        outcome.stderr,
        format!(
            "{}: ok: 0 functions rewritten, 0 resources added\n",
            template.arg()
        )
    );
}

#[test]
fn unparsable_yaml_is_located_and_exits_2() {
    let template = TempFile::new("yaml", "Resources:\n  A:\n    Type: x\n  A:\n    Type: y\n");
    let outcome = run(&["transform", &template.arg()], "");
    assert_eq!(outcome.code, 2);
    assert_eq!(outcome.stdout, "");
    assert_eq!(
        outcome.stderr,
        format!(
            "gradual: error: {}:4:3: duplicate key `A` (first defined at line 2); CloudFormation rejects duplicate keys\n",
            template.arg()
        )
    );

    let outcome = run(&["check", "-"], "A: !Reff x\n");
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .starts_with("gradual: error: <stdin>:1:4: unknown tag `!Reff`"),
        "{}",
        outcome.stderr
    );
    assert_eq!(outcome.stderr.lines().count(), 1);
}

#[test]
fn unparsable_json_is_located_and_exits_2() {
    let outcome = run(&["transform", "-"], "{\"Resources\": {,}}");
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .starts_with("gradual: error: <stdin>:1:16: invalid JSON: "),
        "{}",
        outcome.stderr
    );
}

#[test]
fn unreadable_input_exits_2_with_one_line() {
    let missing = std::env::temp_dir().join("gradual-cli-no-such-template.yaml");
    let outcome = run(&["transform", &missing.display().to_string()], "");
    assert_eq!(outcome.code, 2);
    assert!(outcome.stderr.starts_with(&format!(
        "gradual: error: cannot read {}: ",
        missing.display()
    )));
    assert_eq!(outcome.stderr.lines().count(), 1);

    let not_utf8 = TempFile::new("yaml", "");
    std::fs::write(not_utf8.path(), [0xff, 0xfe, 0x00]).expect("writable");
    let outcome = run(&["check", &not_utf8.arg()], "");
    assert_eq!(outcome.code, 2);
    assert!(outcome.stderr.contains("valid UTF-8"), "{}", outcome.stderr);
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    for args in [
        &[][..],
        &["transform"],
        &["frobnicate", "x"],
        &["transform", "-", "--format", "toml"],
        &["check", "-", "--format", "json"],
    ] {
        let outcome = run(args, "");
        assert_eq!(outcome.code, 2, "{args:?}");
        assert!(
            outcome.stderr.contains("Usage: gradual") || outcome.stderr.contains("error:"),
            "{args:?}"
        );
    }
    let help = run(&["transform", "--help"], "");
    assert_eq!((help.code, help.stderr.as_str()), (0, ""));
    assert!(
        help.stdout.contains("[default: us-east-1]"),
        "{}",
        help.stdout
    );
    assert!(
        help.stdout.contains("[default: 123456789012]"),
        "{}",
        help.stdout
    );
}

#[test]
fn templates_over_cloudformation_limits_are_errors() {
    let resources: serde_json::Map<String, Value> = (0..501)
        .map(|index| (format!("Topic{index}"), json!({"Type": "AWS::SNS::Topic"})))
        .collect();
    let template = json!({ "Resources": resources }).to_string();
    let outcome = run(&["transform", "-"], &template);
    assert_eq!(outcome.code, 1);
    assert_eq!(outcome.stdout, "");
    assert_eq!(
        outcome.stderr,
        "<stdin>: the transformed template has 501 resources; CloudFormation allows at most 500\n"
    );
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let mut stderr = Vec::new();
    let code = gradual_cli::run(
        ["gradual", "transform", "-"],
        &mut PLAIN_YAML.as_bytes(),
        &mut FailingWriter(io::ErrorKind::BrokenPipe),
        &mut stderr,
    );
    assert_eq!((code, stderr.len()), (0, 0));

    let code = gradual_cli::run(
        ["gradual", "transform", "-"],
        &mut PLAIN_YAML.as_bytes(),
        &mut FailingWriter(io::ErrorKind::StorageFull),
        &mut stderr,
    );
    assert_eq!(code, 2);
    assert!(String::from_utf8_lossy(&stderr).starts_with("gradual: error: "));
}
