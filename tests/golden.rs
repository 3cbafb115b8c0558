//! Golden fixtures, each directory its own named test:
//!
//! - `fixtures/ok/<case>`: `input.yaml` transforms into the output its `changes.yaml` stands
//!   for, with exactly the warnings in `warnings.txt` (if there are any);
//! - `fixtures/err/<case>`: `input.yaml` fails with exactly the errors in `errors.txt`;
//! - `fixtures/plan/<case>`: `input.yaml` plans as `plan.txt` and `plan.json`.
//!
//! A case may carry `context.json` (`{"region", "account_id", "parameters"}`) to transform with
//! other parameter values or another region. `GRADUAL_BLESS=1` rewrites the expected files from
//! the current behaviour (review the diff before committing).
//!
//! # `changes.yaml`: only what the transform changed
//!
//! An `ok` case's expected output is the output itself, in its order, with every top-level
//! section byte-identical to the input's, and every entry of a mapping section (a resource, a
//! condition, an output…) byte-identical to the input's entry, written `unchanged`. Changed
//! and generated entries are written whole, in YAML through `gradual-yaml` (short-form
//! intrinsics, CloudFormation's scalar typing).
//!
//! Issue 15 offered that or the whole output as YAML. This one, because "nothing else changes"
//! is an invariant of the transform (ARCHITECTURE.md) and is better asserted once, by code, for
//! every case, than restated in every expected file: a whole output repeats its input (each
//! function's `Code`/`Handler`/`Runtime`/`Role`, every resource gradual doesn't touch,
//! `Parameters`, `Mappings`), so a reviewer has to find the change among the copies, and an
//! untouched resource that did change is one more line in a file `GRADUAL_BLESS` rewrites.
//! Here the invariant is checked on its own (a blessed file cannot accept a violation), and
//! the file holds only what the transform is for. Untouched entries are marked rather than left
//! out because their place among the generated ones is part of the output: `[Fn, Queue]`
//! becomes `[Fn, FnVersion…, FnAlias…, Queue, ServerlessDeploymentApplication]`, and without
//! `Queue: unchanged` that could not be told from `[Fn, Queue, FnVersion…]`.
//!
//! Every `ok` case checks, losing nothing the former whole-`output.json` comparison checked:
//!
//! 1. two transforms of the input give the same pretty-printed JSON bytes;
//! 2. nothing else changes, whatever `changes.yaml` says: no input section but `Transform` and
//!    no resource, condition or output dropped, their relative order kept, every section but
//!    `Transform`, `Resources`, `Conditions` and `Outputs`, and every input condition,
//!    byte-identical;
//! 3. the `changes.yaml` rendered from the output reads back through `gradual-yaml` and expands
//!    over the input into exactly the output's JSON bytes (values, number forms, key order), so
//!    that comparing it with the committed file compares the whole output;
//! 4. the committed file is that text, byte for byte; a failure shows the first differing
//!    line in context, which in this form is near the change.
//!
//! The comparison stays hand-written: a snapshot crate (`expect-test`, `snapbox`) would replace
//! only `compare` (~30 lines) and the `GRADUAL_BLESS` convention, not the checks above.
//!
//! Tools that read whole templates get them from [`support::write_expected_outputs`]: cfn-lint
//! here, `tests/semantics.rs`, and, through `cargo run -p gradual-tests --example
//! golden-outputs -- DIR`, `make semantics` and `tests/golden_compare.py` (which shows the
//! expanded outputs equal to the `output.json` files `changes.yaml` replaced).

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use gradual_transform::{plan, transform};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{json, Map, Value};
use support::{cases, context, read_input, CHANGES};

fn blessing() -> bool {
    std::env::var_os("GRADUAL_BLESS").is_some()
}

fn compare(expected_path: &Path, actual: &str) -> Result<(), Failed> {
    if blessing() {
        fs::write(expected_path, actual)
            .map_err(|e| format!("{}: {e}", expected_path.display()))?;
        return Ok(());
    }
    let expected = fs::read_to_string(expected_path).map_err(|e| {
        format!(
            "{}: {e} (run with GRADUAL_BLESS=1 to create it)",
            expected_path.display()
        )
    })?;
    if expected == actual {
        return Ok(());
    }
    Err(format!(
        "{} differs {}",
        expected_path.display(),
        first_difference(&expected, actual, expected_path.ends_with(CHANGES))
    )
    .into())
}

/// The first line where `expected` and `actual` differ, with a few lines around it, and for
/// `changes.yaml` (`yaml`) the resource or section it is in.
fn first_difference(expected: &str, actual: &str, yaml: bool) -> String {
    let first = expected
        .lines()
        .zip(actual.lines())
        .position(|(e, a)| e != a)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    let context = |text: &str| {
        text.lines()
            .skip(first.saturating_sub(3))
            .take(8)
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "at line {}{}:\n--- expected\n{}\n--- actual\n{}",
        first + 1,
        section_and_entry(actual, first)
            .filter(|_| yaml)
            .map(|place| format!(" ({place})"))
            .unwrap_or_default(),
        context(expected),
        context(actual)
    )
}

/// In block YAML such as `changes.yaml`, the section and entry (`Resources.ApiAliaslive`) that
/// line `index` belongs to: the nearest keys above it at columns 0 and 2.
fn section_and_entry(text: &str, index: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().take(index + 1).collect();
    let key_at = |column: usize| {
        lines.iter().rposition(|line| {
            line.len() > column
                && line.bytes().take(column).all(|b| b == b' ')
                && !matches!(line.as_bytes()[column], b' ' | b'-' | b'#')
        })
    };
    let section = key_at(0)?;
    let name = |line: &str| line.trim().split(':').next().unwrap_or_default().to_owned();
    let mut place = name(lines[section]);
    if let Some(entry) = key_at(2).filter(|&entry| entry > section) {
        place = format!("{place}.{}", name(lines[entry]));
    }
    Some(place)
}

fn run_ok(dir: &Path) -> Result<(), Failed> {
    let document = read_input(dir)?;
    let ctx = context(dir)?;
    let output = transform(document.value.clone(), &ctx)
        .map_err(|errors| format!("expected success, got:\n{errors}"))?;
    let again = transform(document.value.clone(), &ctx)
        .map_err(|errors| format!("second run failed:\n{errors}"))?;
    let rendered = support::pretty(&output.template);
    if rendered != support::pretty(&again.template) {
        return Err("two transforms of the same input gave different bytes".into());
    }
    let changes = support::changes(&document.value, &output.template)?;
    let text = support::render(&changes);
    let read_back = support::pretty(&support::expand(
        &document.value,
        &support::parse_changes(&text)?,
    )?);
    if read_back != rendered {
        return Err(format!(
            "{CHANGES} would not read back as this output (a gradual-yaml round trip) {}",
            first_difference(&rendered, &read_back, false)
        )
        .into());
    }
    compare(&dir.join(CHANGES), &text)?;
    let warnings: String = output.warnings.iter().map(|w| format!("{w}\n")).collect();
    let warnings_path = dir.join("warnings.txt");
    if !warnings.is_empty() || warnings_path.exists() {
        compare(&warnings_path, &warnings)?;
    }
    Ok(())
}

fn run_plan(dir: &Path) -> Result<(), Failed> {
    let document = read_input(dir)?;
    let ctx = context(dir)?;
    let plan =
        plan(&document.value, &ctx).map_err(|errors| format!("expected a plan, got:\n{errors}"))?;
    compare(&dir.join("plan.txt"), &plan.to_text())?;
    compare(
        &dir.join("plan.json"),
        &(serde_json::to_string_pretty(&plan.to_json())? + "\n"),
    )
}

fn run_err(dir: &Path) -> Result<(), Failed> {
    let document = read_input(dir)?;
    let ctx = context(dir)?;
    let errors = match transform(document.value, &ctx) {
        Ok(_) => return Err("expected errors, but the template transformed".into()),
        Err(errors) => errors,
    };
    let rendered: String = errors
        .as_slice()
        .iter()
        .map(
            |error| match document.locations.nearest(&error.path.to_json_pointer()) {
                Some(location) => format!("{location}: {error}\n"),
                None => format!("{error}\n"),
            },
        )
        .collect();
    compare(&dir.join("errors.txt"), &rendered)
}

/// cfn-lint, from the project's `.venv`, must find no error in any committed output (which the
/// `ok::` tests keep equal to what the transform produces). Warnings are the template author's
/// business; errors would be ours. W1001 too: a reference to a resource whose condition may be
/// false fails the deployment under that condition.
fn lint_outputs() -> Result<(), Failed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cfn_lint = root.join(".venv/bin/cfn-lint");
    if !cfn_lint.exists() {
        return Err(format!(
            "{} is missing: run `make venv` (make test does)",
            cfn_lint.display()
        )
        .into());
    }
    let outputs: Vec<PathBuf> = support::write_expected_outputs(
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("golden-outputs"),
    )?;
    let result = std::process::Command::new(&cfn_lint)
        .args(["--format", "parseable"])
        .args(&outputs)
        .output()
        .map_err(|e| format!("running cfn-lint: {e}"))?;
    // cfn-lint's exit code is a bit set: 2 means at least one error.
    let code = result.status.code().unwrap_or(-1);
    if code < 0 || code & 2 != 0 || code & 1 != 0 {
        return Err(format!(
            "cfn-lint exit {code}:\n{}",
            String::from_utf8_lossy(&result.stdout)
        )
        .into());
    }
    let stdout = String::from_utf8_lossy(&result.stdout);
    let conditional_references: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains(":W1001:"))
        .collect();
    if !conditional_references.is_empty() {
        return Err(format!(
            "cfn-lint W1001 (reference to a conditional resource):\n{}",
            conditional_references.join("\n")
        )
        .into());
    }
    Ok(())
}

/// The representation and the invariant on small templates, so that a mistake in either cannot
/// pass every fixture unnoticed.
fn harness_self_test() -> Result<(), Failed> {
    let input = json!({
        "Transform": "Gradual",
        "Description": "d",
        "Conditions": {"C": {"Fn::Equals": ["a", "b"]}},
        "Resources": {"Fn": {"Type": "F", "Properties": {"A": 1, "B": 2}}, "Queue": {"Type": "Q"}},
        "Outputs": {"O": {"Value": {"Ref": "Fn.Alias"}}}
    });
    let output = json!({
        "Description": "d",
        "Conditions": {"C": {"Fn::Equals": ["a", "b"]}, "Generated": {"Fn::Not": [{"Condition": "C"}]}},
        "Resources": {"Fn": {"Type": "F", "Properties": {"B": 2}}, "FnAlias": {"Type": "A"}, "Queue": {"Type": "Q"}, "App": {"Type": "C"}},
        "Outputs": {"O": {"Value": {"Ref": "FnAlias"}}}
    });
    let expected = json!({
        "Description": "unchanged",
        "Conditions": {"C": "unchanged", "Generated": {"Fn::Not": [{"Condition": "C"}]}},
        "Resources": {"Fn": {"Type": "F", "Properties": {"B": 2}}, "FnAlias": {"Type": "A"}, "Queue": "unchanged", "App": {"Type": "C"}},
        "Outputs": {"O": {"Value": {"Ref": "FnAlias"}}}
    });
    let changes = support::changes(&input, &output)?;
    if support::pretty(&changes) != support::pretty(&expected) {
        return Err(format!("changes:\n{}", support::pretty(&changes)).into());
    }
    if support::pretty(&support::expand(&input, &changes)?) != support::pretty(&output) {
        return Err("expand is not the inverse of changes".into());
    }
    // An entry whose keys moved is changed, though serde_json's `==` would call it equal.
    let mut moved = output.clone();
    moved["Resources"]["Queue"] = json!({"Type": "Q", "Condition": "C"});
    let mut input_moved = input.clone();
    input_moved["Resources"]["Queue"] = json!({"Condition": "C", "Type": "Q"});
    if support::changes(&input_moved, &moved)?["Resources"]["Queue"] != moved["Resources"]["Queue"]
    {
        return Err("a resource with its keys reordered was taken for unchanged".into());
    }
    let broken = |edit: &dyn Fn(&mut Value), expected: &str| -> Result<(), Failed> {
        let mut output = output.clone();
        edit(&mut output);
        match support::changes(&input, &output) {
            Err(message) if message.contains(expected) => Ok(()),
            other => Err(format!("expected an error with {expected:?}, got {other:?}").into()),
        }
    };
    let resources = |output: &mut Value| -> Map<String, Value> {
        output["Resources"].as_object().cloned().unwrap_or_default()
    };
    broken(
        &|o| {
            let mut r = resources(o);
            r.shift_remove("Queue");
            o["Resources"] = Value::Object(r);
        },
        "Resources: Queue dropped",
    )?;
    broken(
        &|o| {
            let mut r = resources(o);
            let queue = r.shift_remove("Queue").unwrap_or_default();
            r.shift_insert(0, "Queue".into(), queue);
            o["Resources"] = Value::Object(r);
        },
        "Resources: the input's entries were reordered",
    )?;
    broken(
        &|o| o["Description"] = json!("e"),
        "section Description changed",
    )?;
    broken(
        &|o| o["Conditions"]["C"] = json!({"Fn::Equals": ["a", "c"]}),
        "Conditions.C changed",
    )?;
    broken(
        &|o| {
            if let Some(template) = o.as_object_mut() {
                template.shift_remove("Description");
            }
        },
        "the template: Description dropped",
    )?;
    broken(
        &|o| o["Resources"]["App"] = json!("unchanged"),
        "Resources.App is the string `unchanged`",
    )
}

/// What a case of one kind runs.
type Run = fn(&Path) -> Result<(), Failed>;

fn main() {
    let args = Arguments::from_args();
    let kinds: [(&str, Run); 3] = [("ok", run_ok), ("err", run_err), ("plan", run_plan)];
    let mut trials: Vec<Trial> = kinds
        .into_iter()
        .flat_map(|(kind, run)| {
            cases(kind).into_iter().map(move |dir| {
                let name = format!("{kind}::{}", support::name(&dir));
                Trial::test(name, move || run(&dir))
            })
        })
        .collect();
    trials.push(Trial::test("harness::self_test", harness_self_test));
    trials.push(Trial::test("cfn_lint::ok_outputs", lint_outputs));
    libtest_mimic::run(&args, trials).exit();
}
