//! Golden fixtures: every directory under `fixtures/ok` must transform into its committed
//! `output.json`, and every directory under `fixtures/err` must fail with exactly its committed
//! `errors.txt`. Each fixture is its own named test. `GRADUAL_BLESS=1` rewrites the expected
//! files from the current behaviour (review the diff before committing).
//!
//! Every directory under `fixtures/plan` must give its committed `plan.txt` and `plan.json`.
//!
//! A fixture may carry `context.json` (`{"region", "account_id", "parameters"}`) to transform
//! with other parameter values or another region.

use std::fs;
use std::path::{Path, PathBuf};

use gradual_transform::{plan, transform, Context};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn cases(kind: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(fixtures().join(kind))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn context(dir: &Path) -> Result<Context, Failed> {
    let mut ctx = Context::default();
    let path = dir.join("context.json");
    if path.exists() {
        let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let value: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(region) = value.get("region").and_then(Value::as_str) {
            ctx.region = region.into();
        }
        if let Some(account) = value.get("account_id").and_then(Value::as_str) {
            ctx.account_id = account.into();
        }
        if let Some(parameters) = value.get("parameters").and_then(Value::as_object) {
            ctx.parameter_values = parameters.clone();
        }
    }
    Ok(ctx)
}

fn read_input(dir: &Path) -> Result<gradual_yaml::Document, Failed> {
    let path = dir.join("input.yaml");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(gradual_yaml::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

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
    let first_difference = expected
        .lines()
        .zip(actual.lines())
        .position(|(e, a)| e != a)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    let context = |text: &str| {
        text.lines()
            .skip(first_difference.saturating_sub(3))
            .take(8)
            .collect::<Vec<_>>()
            .join("\n")
    };
    Err(format!(
        "{} differs at line {}:\n--- expected\n{}\n--- actual\n{}",
        expected_path.display(),
        first_difference + 1,
        context(&expected),
        context(actual)
    )
    .into())
}

fn run_ok(dir: &Path) -> Result<(), Failed> {
    let document = read_input(dir)?;
    let ctx = context(dir)?;
    let output = transform(document.value.clone(), &ctx)
        .map_err(|errors| format!("expected success, got:\n{errors}"))?;
    let again = transform(document.value, &ctx)
        .map_err(|errors| format!("second run failed:\n{errors}"))?;
    let rendered = serde_json::to_string_pretty(&output.template)? + "\n";
    if rendered != serde_json::to_string_pretty(&again.template)? + "\n" {
        return Err("two transforms of the same input gave different bytes".into());
    }
    compare(&dir.join("output.json"), &rendered)?;
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
    let outputs: Vec<PathBuf> = cases("ok")
        .into_iter()
        .map(|dir| dir.join("output.json"))
        .collect();
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

/// What a case of one kind runs.
type Run = fn(&Path) -> Result<(), Failed>;

fn main() {
    let args = Arguments::from_args();
    let kinds: [(&str, Run); 3] = [("ok", run_ok), ("err", run_err), ("plan", run_plan)];
    let mut trials: Vec<Trial> = kinds
        .into_iter()
        .flat_map(|(kind, run)| {
            cases(kind).into_iter().map(move |dir| {
                let name = format!(
                    "{kind}::{}",
                    dir.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                );
                Trial::test(name, move || run(&dir))
            })
        })
        .collect();
    trials.push(Trial::test("cfn_lint::ok_outputs", lint_outputs));
    libtest_mimic::run(&args, trials).exit();
}
