//! `gradual __floor`, the benchmark's floor process: it must do the I/O `transform --format json`
//! does (read, parse, pretty-print, newline) and nothing else, or the bench's ratio lies.
#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn the_floor_writes_the_template_back_as_pretty_json() {
    let dir = std::env::temp_dir().join(format!("gradual-floor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("t.json");
    let text = r#"{"Resources": {"B": {"Type": "X", "Properties": {"z": [1, 2.5, "é\n"], "a": null}}}, "A": {}}"#;
    std::fs::write(&path, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_gradual"))
        .arg("__floor")
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let value: serde_json::Value = serde_json::from_str(text).unwrap();
    let expected = serde_json::to_string_pretty(&value).unwrap() + "\n";
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    // Key order is kept, as the CLI keeps it.
    assert!(expected.find("\"Resources\"").unwrap() < expected.find("\"A\"").unwrap());

    let missing = Command::new(env!("CARGO_BIN_EXE_gradual"))
        .arg("__floor")
        .arg(dir.join("missing.json"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
