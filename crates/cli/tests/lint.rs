//! `gradual lint` end to end: the built binary, the real cfn-lint from the repository's .venv
//! (or PATH), and the SARIF schema check through Python's jsonschema.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

const GRADUAL: &str = env!("CARGO_BIN_EXE_gradual");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// PATH with the repository's .venv/bin first, where `make venv` installs cfn-lint.
fn tool_path() -> OsString {
    let venv = workspace().join(".venv/bin");
    let mut dirs = vec![venv];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(dirs).expect("PATH entries have no separator");
    let found = std::env::split_paths(&path).any(|dir| dir.join("cfn-lint").is_file());
    assert!(
        found,
        "cfn-lint is neither in .venv/bin nor on PATH: run `make venv`"
    );
    path
}

fn python() -> PathBuf {
    let venv = workspace().join(".venv/bin/python");
    assert!(venv.is_file(), "no .venv/bin/python: run `make venv`");
    venv
}

/// A template in the temp directory, removed when dropped.
struct TempTemplate(PathBuf);

impl TempTemplate {
    fn new(extension: &str, contents: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "gradual-lint-test-{}-{unique}.{extension}",
            std::process::id()
        ));
        std::fs::write(&path, contents).expect("temp dir is writable");
        Self(path)
    }

    fn arg(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempTemplate {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn lint(args: &[&str]) -> Output {
    lint_with_path(args, tool_path())
}

fn lint_with_path(args: &[&str], path: OsString) -> Output {
    Command::new(GRADUAL)
        .arg("lint")
        .args(args)
        .env("PATH", path)
        .current_dir(workspace())
        .output()
        .expect("gradual runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 on stdout")
}

fn json_stdout(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

const EXAMPLE: &str = "examples/orders-service.yaml";

fn example() -> String {
    std::fs::read_to_string(workspace().join(EXAMPLE)).expect("the example is readable")
}

/// The example with `from` replaced by `to`, which must occur exactly once.
fn example_with(edits: &[(&str, &str)]) -> String {
    let mut text = example();
    for (from, to) in edits {
        assert_eq!(
            text.matches(from).count(),
            1,
            "`{from}` is in the example once"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

/// 1-based line and column where `needle` starts; it must occur once.
fn position(text: &str, needle: &str) -> (usize, usize) {
    assert_eq!(text.matches(needle).count(), 1, "`{needle}` occurs once");
    let offset = text.find(needle).expect("counted above");
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
    (line, column)
}

/// Checks a SARIF report against the vendored SARIF 2.1.0 schema.
fn assert_valid_sarif(report: &str) {
    let schema = workspace().join("tests/vendor/sarif/sarif-2.1.0.json");
    let file = TempTemplate::new("sarif", report);
    let check = "\
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
report = json.load(open(sys.argv[2]))
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
errors = sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path))
for error in errors:
    print('/'.join(map(str, error.absolute_path)), error.message)
sys.exit(1 if errors else 0)
";
    let output = Command::new(python())
        .args(["-c", check])
        .arg(&schema)
        .arg(&file.0)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "SARIF does not match the schema:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One `parseable` line, split.
#[derive(Debug)]
struct Line {
    file: String,
    start: (usize, usize),
    end: (usize, usize),
    rule: String,
    message: String,
}

/// The parseable lines of a report.
fn parseable(output: &Output) -> Vec<Line> {
    stdout(output)
        .lines()
        .map(|line| {
            let (file, rest) = split_file(line);
            let parts: Vec<&str> = rest.splitn(6, ':').collect();
            assert_eq!(parts.len(), 6, "parseable line: {line}");
            let number = |text: &str| text.parse::<usize>().expect("a number");
            Line {
                file: file.to_owned(),
                start: (number(parts[0]), number(parts[1])),
                end: (number(parts[2]), number(parts[3])),
                rule: parts[4].to_owned(),
                message: parts[5].to_owned(),
            }
        })
        .collect()
}

/// `file` and the rest of a parseable line: the file ends at the first `:` followed by digits
/// and a `:`.
fn split_file(line: &str) -> (&str, &str) {
    for (index, _) in line.match_indices(':') {
        let rest = &line[index + 1..];
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with(':') {
            return (&line[..index], rest);
        }
    }
    panic!("not a parseable line: {line}");
}

#[test]
fn the_example_lints_clean_in_every_format() {
    let output = lint(&[EXAMPLE]);
    assert_eq!(
        (code(&output), stdout(&output).as_str()),
        (Some(0), ""),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let output = lint(&[EXAMPLE, "--format", "json"]);
    assert_eq!(code(&output), Some(0));
    assert_eq!(json_stdout(&output), json!([]));

    let output = lint(&[EXAMPLE, "--format", "sarif"]);
    assert_eq!(code(&output), Some(0));
    let report = json_stdout(&output);
    assert_eq!(report["runs"][0]["results"], json!([]));
    assert_eq!(report["runs"][0]["tool"]["driver"]["name"], "gradual");
    assert_valid_sarif(&stdout(&output));
}

#[test]
fn an_invalid_runtime_in_a_user_resource_points_at_its_line() {
    let text = example_with(&[(
        "Runtime: python3.12\n      Handler: orders.worker.handler",
        "Runtime: python3.99\n      Handler: orders.worker.handler",
    )]);
    let (line, column) = position(&text, "Runtime: python3.99");
    let template = TempTemplate::new("yaml", &text);

    let output = lint(&[&template.arg()]);
    assert_eq!(code(&output), Some(2), "{}", stdout(&output));
    let lines = parseable(&output);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let Line {
        file,
        start,
        end,
        rule,
        message,
    } = &lines[0];
    assert_eq!(file, &template.arg());
    assert_eq!(*start, (line, column));
    assert_eq!(*end, (line, column + "Runtime".len()));
    assert_eq!(rule, "E3030");
    assert!(
        message.starts_with("'python3.99' is not one of"),
        "{message}"
    );

    let output = lint(&[&template.arg(), "--format", "json"]);
    assert_eq!(code(&output), Some(2));
    let findings = json_stdout(&output);
    assert_eq!(findings.as_array().map(Vec::len), Some(1), "{findings:#}");
    let finding = &findings[0];
    assert_eq!(finding["Filename"], template.arg());
    assert_eq!(finding["Level"], "Error");
    assert_eq!(finding["Rule"]["Id"], "E3030");
    assert_eq!(
        finding["Location"]["Start"],
        json!({"LineNumber": line, "ColumnNumber": column})
    );
    assert_eq!(
        finding["Location"]["Path"],
        json!(["Resources", "OrdersWorker", "Properties", "Runtime"])
    );
    assert!(finding.get("Generated").is_none(), "{finding:#}");

    let output = lint(&[&template.arg(), "--format", "sarif"]);
    assert_eq!(code(&output), Some(2));
    let report = json_stdout(&output);
    let result = &report["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "E3030");
    assert_eq!(result["level"], "error");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (&region["startLine"], &region["startColumn"]),
        (&json!(line), &json!(column))
    );
    let rule_index = result["ruleIndex"].as_u64().expect("an index") as usize;
    assert_eq!(
        report["runs"][0]["tool"]["driver"]["rules"][rule_index]["id"],
        "E3030"
    );
    assert_valid_sarif(&stdout(&output));
}

#[test]
fn a_gradual_error_is_reported_in_the_same_formats() {
    let text = example_with(&[(
        "Type: Linear25PercentEvery2Minutes",
        "Type: Linear25PercentEvery2Minute",
    )]);
    let (line, column) = position(&text, "Type: Linear25PercentEvery2Minute");
    let template = TempTemplate::new("yaml", &text);

    let output = lint(&[&template.arg()]);
    assert_eq!(code(&output), Some(2), "{}", stdout(&output));
    let lines = parseable(&output);
    let on_type: Vec<_> = lines
        .iter()
        .filter(|l| l.message.contains("DeploymentPreference.Type"))
        .collect();
    assert_eq!(on_type.len(), 1, "{lines:?}");
    let Line {
        start,
        rule,
        message,
        ..
    } = on_type[0];
    assert_eq!((*start, rule.as_str()), ((line, column), "E9001"));
    assert!(
        message.contains("did you mean `Linear25PercentEvery2Minutes`?"),
        "{message}"
    );
    // Only gradual's findings: a template gradual rejects never reaches cfn-lint.
    assert!(lines.iter().all(|l| l.rule == "E9001"), "{lines:?}");

    let output = lint(&[&template.arg(), "--format", "json"]);
    let findings = json_stdout(&output);
    let finding = findings
        .as_array()
        .and_then(|all| {
            all.iter().find(|f| {
                f["Message"]
                    .as_str()
                    .is_some_and(|m| m.contains("DeploymentPreference.Type"))
            })
        })
        .expect("the Type error");
    assert_eq!(finding["Rule"]["Id"], "E9001");
    assert_eq!(finding["Location"]["Start"]["LineNumber"], line);
    assert_eq!(
        finding["Location"]["Path"],
        json!([
            "Resources",
            "OrdersWorker",
            "Properties",
            "DeploymentPreference",
            "Type"
        ])
    );

    let output = lint(&[&template.arg(), "--format", "sarif"]);
    assert_eq!(code(&output), Some(2));
    let report = json_stdout(&output);
    let results = report["runs"][0]["results"].as_array().expect("results");
    assert!(
        results.iter().all(|r| r["ruleId"] == "E9001"),
        "{results:#?}"
    );
    assert!(results
        .iter()
        .any(|r| { r["locations"][0]["physicalLocation"]["region"]["startLine"] == line }));
    assert_valid_sarif(&stdout(&output));
}

#[test]
fn findings_in_generated_resources_point_at_the_property_that_generates_them() {
    let long = "x".repeat(300);
    let text = example_with(&[
        (
            "VersionDescription: orders-api 1.4.2",
            &format!("VersionDescription: {long}"),
        ),
        (
            "      DeploymentPreference:\n        Type: Linear25PercentEvery2Minutes",
            "      ProvisionedConcurrencyConfig:\n        ProvisionedConcurrentExecutions: lots\n      \
             DeploymentPreference:\n        Type: Linear25PercentEvery2Minutes\n        \
             TriggerConfigurations:\n          - TriggerName: t\n            \
             TriggerTargetArn: arn:aws:sns:us-east-1:123456789012:t\n            \
             TriggerEvents: [DeploymentBogus]",
        ),
    ]);
    let template = TempTemplate::new("yaml", &text);
    let output = lint(&[&template.arg(), "--format", "json"]);
    assert_eq!(code(&output), Some(2), "{}", stdout(&output));
    let findings = json_stdout(&output);
    let findings = findings.as_array().expect("a list");
    let find = |rule: &str| -> &Value {
        let matching: Vec<&Value> = findings
            .iter()
            .filter(|f| f["Rule"]["Id"] == rule)
            .collect();
        assert_eq!(matching.len(), 1, "one {rule} in {findings:#?}");
        matching[0]
    };

    let version = find("E3033");
    assert_eq!(
        version["Location"]["Start"]["LineNumber"],
        position(&text, "VersionDescription:").0
    );
    assert_eq!(
        version["Location"]["Path"],
        json!(["Resources", "OrdersApi", "Properties", "VersionDescription"])
    );
    assert_eq!(version["Generated"]["Type"], "AWS::Lambda::Version");
    let id = version["Generated"]["LogicalId"].as_str().expect("an ID");
    assert!(id.starts_with("OrdersApiVersion"), "{id}");
    assert!(version["Message"]
        .as_str()
        .is_some_and(|m| m.starts_with(&format!("{id}.Properties.Description, generated from Resources.OrdersApi.Properties.VersionDescription: "))));

    let alias = find("E3012");
    assert_eq!(
        alias["Location"]["Start"]["LineNumber"],
        position(&text, "ProvisionedConcurrentExecutions: lots").0
    );
    assert_eq!(alias["Generated"]["LogicalId"], "OrdersWorkerAliaslive");

    let trigger = find("E3030");
    let (line, column) = position(&text, "DeploymentBogus");
    assert_eq!(
        trigger["Location"]["Start"],
        json!({"LineNumber": line, "ColumnNumber": column})
    );
    assert_eq!(
        trigger["Location"]["Path"],
        json!([
            "Resources",
            "OrdersWorker",
            "Properties",
            "DeploymentPreference",
            "TriggerConfigurations",
            0,
            "TriggerEvents",
            0
        ])
    );
    assert_eq!(
        trigger["Generated"]["LogicalId"],
        "OrdersWorkerDeploymentGroup"
    );
    assert_eq!(
        trigger["Generated"]["Type"],
        "AWS::CodeDeploy::DeploymentGroup"
    );
}

#[test]
fn a_gradual_warning_sets_the_warning_bit() {
    // A hook whose execution role is outside the template: gradual cannot grant it access.
    let text = example_with(&[(
        "      Role: !GetAtt HookRole.Arn",
        "      Role: arn:aws:iam::123456789012:role/hooks",
    )]);
    let template = TempTemplate::new("yaml", &text);
    let output = lint(&[&template.arg()]);
    assert_eq!(code(&output), Some(4), "{}", stdout(&output));
    let lines = parseable(&output);
    let warnings: Vec<_> = lines.iter().filter(|l| l.rule == "W9001").collect();
    assert_eq!(warnings.len(), 1, "{lines:?}");
    assert_eq!(
        warnings[0].start,
        position(&text, "PreTraffic: !Ref SmokeTestHook")
    );
    assert!(
        warnings[0]
            .message
            .contains("execution role of hook `SmokeTestHook`"),
        "{}",
        warnings[0].message
    );
    // Exit 4 alone: nothing at error level.
    assert!(lines.iter().all(|l| l.rule.starts_with('W')), "{lines:?}");
}

#[test]
fn several_templates_are_linted_in_one_run_and_reported_in_order() {
    let broken = TempTemplate::new("yaml", &example_with(&[("Timeout: 60", "Timeout: -1")]));
    let unparsable = TempTemplate::new("yaml", "Resources: [unclosed\n");
    let json_template = TempTemplate::new(
        "json",
        "{\n  \"Resources\": {\n    \"Queue\": {\n      \"Type\": \"AWS::SQS::Queue\",\n      \
         \"Properties\": {\"VisibilityTimeout\": \"soon\"}\n    }\n  }\n}\n",
    );
    let output = lint(&[
        &broken.arg(),
        EXAMPLE,
        &unparsable.arg(),
        &json_template.arg(),
    ]);
    assert_eq!(code(&output), Some(2), "{}", stdout(&output));
    let lines = parseable(&output);
    let summary: Vec<(&str, usize, &str)> = lines
        .iter()
        .map(|l| (l.file.as_str(), l.start.0, l.rule.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                broken.arg().as_str(),
                position(&example(), "Timeout: 60").0,
                "E3034"
            ),
            // The reader stops at the end of the file, on line 2.
            (unparsable.arg().as_str(), 2, "E0000"),
            (json_template.arg().as_str(), 5, "E3012"),
        ]
    );
}

#[test]
fn a_missing_cfn_lint_names_the_install_command() {
    let empty = std::env::temp_dir().join(format!("gradual-lint-no-tools-{}", std::process::id()));
    std::fs::create_dir_all(&empty).expect("temp dir is writable");
    let output = lint_with_path(&[EXAMPLE], empty.clone().into_os_string());
    let _ = std::fs::remove_dir(&empty);
    assert_eq!(code(&output), Some(1));
    assert_eq!(stdout(&output), "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pip install cfn-lint"), "{stderr}");
}

#[test]
fn a_template_gradual_rejects_is_not_given_to_cfn_lint() {
    // No cfn-lint on PATH: a template with only gradual errors still gets its report.
    let template = TempTemplate::new(
        "yaml",
        "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      AutoPublishAlias: \"\"\n",
    );
    let empty = std::env::temp_dir().join(format!("gradual-lint-none-{}", std::process::id()));
    std::fs::create_dir_all(&empty).expect("temp dir is writable");
    let output = lint_with_path(&[&template.arg()], empty.clone().into_os_string());
    let _ = std::fs::remove_dir(&empty);
    assert_eq!(
        code(&output),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = parseable(&output);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!((lines[0].start, lines[0].rule.as_str()), ((5, 7), "E9001"));
}

#[test]
fn a_parameter_only_gradual_reads_is_not_reported_unused() {
    // MaxErrorRate feeds a Guard threshold, which gradual resolves into the generated alarm;
    // cfn-lint alone would call it unused (W2001). A parameter nothing reads still is.
    let fixture = "tests/fixtures/ok/guard_and_smoke_test/input.yaml";
    let text = std::fs::read_to_string(workspace().join(fixture)).expect("the fixture");
    assert!(
        text.contains("ErrorRate: !Ref MaxErrorRate"),
        "the fixture feeds Guard"
    );
    let output = lint(&[fixture]);
    assert_eq!(
        (code(&output), stdout(&output).as_str()),
        (Some(0), ""),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let unused = text.replacen(
        "Parameters:\n",
        "Parameters:\n  NothingReadsThis:\n    Type: String\n",
        1,
    );
    assert_ne!(unused, text);
    let template = TempTemplate::new("yaml", &unused);
    let output = lint(&[&template.arg()]);
    assert_eq!(code(&output), Some(4), "{}", stdout(&output));
    let lines = parseable(&output);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].rule, "W2001");
    assert_eq!(lines[0].start, position(&unused, "NothingReadsThis"));
}
