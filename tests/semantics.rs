//! Deployment semantics (tests/semantics): what CloudFormation and IAM do with each committed
//! golden output at run time, which neither cfn-lint nor a fake AWS that ignores IAM can see.
//!
//! The checks are Python (`tests/semantics/check.py`), so the SAM-parity and real-world runners
//! apply the very same checks to the outputs they produce. This test runs the checker once over
//! every committed golden output (each `fixtures/ok` case's `changes.yaml` expanded over its
//! `input.yaml`, written under the target directory) and `template.yaml`'s installed hooks, and
//! runs the checker's own unit tests.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn python() -> PathBuf {
    let python = root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make venv` (make test does)",
        python.display()
    );
    python
}

fn run(command: &mut Command) -> (bool, String) {
    let output = command
        .current_dir(root())
        // No __pycache__ left in the source tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("running {command:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn every_golden_output_deploys_under_every_condition_combination() {
    let outputs = support::write_expected_outputs(
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("semantics-outputs"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !outputs.is_empty(),
        "no golden outputs under tests/fixtures/ok"
    );
    let (ok, text) = run(Command::new(python())
        .arg("tests/semantics/check.py")
        .arg("--installed-hooks")
        .arg("template.yaml")
        .args(&outputs));
    assert!(ok, "deployment semantics violations:\n{text}");
}

#[test]
fn the_checkers_own_unit_tests_pass() {
    let (ok, text) = run(Command::new(python()).args([
        "-m",
        "unittest",
        "discover",
        "-s",
        "tests/semantics",
        "-p",
        "test_*.py",
    ]));
    assert!(ok, "tests/semantics unit tests failed:\n{text}");
}
