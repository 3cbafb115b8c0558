use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use gradual_yaml::to_yaml;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{json, Number, Value};

use crate::strategy::json_value;

/// Installed by `make venv`, which `make test` runs first.
fn venv_bin(tool: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../.venv/bin")
        .join(tool);
    assert!(
        path.exists(),
        "{} is missing: run `make venv` (make test does) to install cfn-lint",
        path.display()
    );
    path
}

/// Loads each YAML text with cfn-lint's loader, the one every cfn-lint rule sees, and answers
/// `{"ok": value}` or `{"error": reason}` for each. Non-string keys and non-JSON values (dates,
/// NaN) are errors, so a YAML 1.1 misreading cannot hide behind JSON's coercions. Floats travel
/// as their `repr` text because serde_json's default float parsing may be off by one ulp.
const PYTHON_FLOAT: &str = "__python_float__";

const LOADER: &str = r#"
import json, sys
from cfnlint.decode.cfn_yaml import loads

FLOAT = "__python_float__"

def plain(node):
    if isinstance(node, dict):
        for key in node:
            if not isinstance(key, str):
                raise TypeError(f"non-string key {key!r}")
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, float):
        return {FLOAT: repr(node)}
    if node is None or isinstance(node, (bool, int, str)):
        return node
    raise TypeError(f"{type(node).__name__} value {node!r}")

results = []
for text in json.load(sys.stdin):
    try:
        results.append({"ok": json.loads(json.dumps(plain(loads(text)), allow_nan=False))})
    except Exception as error:
        results.append({"error": repr(error)})
json.dump(results, sys.stdout)
"#;

fn load_with_cfn_lint(texts: &[String]) -> Vec<Value> {
    let mut child = Command::new(venv_bin("python"))
        .args(["-c", LOADER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    let input = serde_json::to_vec(texts).expect("serializable");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(&input)
        .expect("python reads its input");
    let output = child.wait_with_output().expect("python finishes");
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Value> = serde_json::from_slice(&output.stdout).expect("python answers JSON");
    answers.into_iter().map(exact_floats).collect()
}

/// Replaces each `{"__python_float__": repr}` from the loader by the float it denotes.
fn exact_floats(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            if let (1, Some(Value::String(text))) = (map.len(), map.get(PYTHON_FLOAT)) {
                if let Some(number) = text.parse::<f64>().ok().and_then(Number::from_f64) {
                    return Value::Number(number);
                }
            }
            Value::Object(
                map.into_iter()
                    .map(|(key, member)| (key, exact_floats(member)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(exact_floats).collect()),
        other => other,
    }
}

#[test]
fn cfn_lint_reads_emitted_yaml_as_the_same_json() {
    let mut runner = TestRunner::deterministic();
    let strategy = json_value();
    // Wrapped in a mapping because cfn-lint turns an empty or null document into `{}`.
    let mut values: Vec<Value> = (0..1500)
        .map(|_| {
            let value = strategy.new_tree(&mut runner).expect("generates").current();
            json!({ "v": value })
        })
        .collect();
    // PyYAML limits implicit keys to 1024 characters.
    values.push(
        json!({ "v": { "k".repeat(1500): "long key", "x\ny".repeat(400): ["long quoted key"] } }),
    );
    let texts: Vec<String> = values.iter().map(to_yaml).collect();
    let loaded = load_with_cfn_lint(&texts);
    assert_eq!(loaded.len(), values.len());
    let mismatches: Vec<String> = values
        .iter()
        .zip(&texts)
        .zip(&loaded)
        .filter(|((value, _), result)| result.get("ok") != Some(value))
        .map(|((value, text), result)| format!("value {value}\nyaml:\n{text}cfn-lint: {result}\n"))
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} differ, first:\n{}",
        mismatches.len(),
        values.len(),
        mismatches.first().map_or("", String::as_str)
    );
}

#[test]
fn cfn_lint_accepts_an_emitted_template_full_of_lookalike_strings() {
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "yes",
        "Parameters": {
            "Env": {"Type": "String", "Default": "off", "AllowedValues": ["off", "on", "012", "1e3", "~"]}
        },
        "Conditions": {"IsOn": {"Fn::Equals": [{"Ref": "Env"}, "on"]}},
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole"
                        }]
                    }
                }
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": "def handler(event, context):\n    return 'yes: no #1'\n"},
                    "Timeout": 30,
                    "Environment": {"Variables": {
                        "VarA": "yes", "VarB": "2010-09-09", "VarC": "0x1F", "VarD": "- item", "VarE": "a: b",
                        "VarF": "#x", "VarG": "012345678901", "VarH": "1:20", "VarI": ".inf", "VarJ": "  padded ",
                        "VarK": {"Fn::If": ["IsOn", {"Fn::Sub": "${AWS::Region}-on"}, "off"]},
                        "VarL": {"Fn::Base64": {"Fn::Sub": "line1 ${AWS::Region}\nline2"}}
                    }}
                }
            }
        },
        "Outputs": {
            "Arn": {
                "Value": {"Fn::GetAtt": ["Fn", "Arn"]},
                "Export": {"Name": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "no"]]}}
            }
        }
    });
    let yaml = to_yaml(&template);
    let path = std::env::temp_dir().join(format!("gradual-yaml-lint-{}.yaml", std::process::id()));
    std::fs::write(&path, &yaml).expect("temp file is writable");
    let output = Command::new(venv_bin("cfn-lint"))
        .arg(&path)
        .output()
        .expect("cfn-lint runs");
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "cfn-lint exit {:?} on:\n{yaml}\n{}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let loaded = load_with_cfn_lint(&[yaml]);
    assert_eq!(
        loaded.first().and_then(|result| result.get("ok")),
        Some(&template)
    );
}
