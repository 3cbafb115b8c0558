//! The repository's `.pre-commit-hooks.yaml`: each hook is run the way pre-commit runs it
//! (the entry split as a shell would, the changed files matching `files` appended), against the
//! built binary, in a folder holding a good template, a broken one and a file that is not one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const GRADUAL: &str = env!("CARGO_BIN_EXE_gradual");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn hooks() -> Vec<Value> {
    let text = std::fs::read_to_string(workspace().join(".pre-commit-hooks.yaml"))
        .expect(".pre-commit-hooks.yaml is readable");
    let document = gradual_yaml::parse(&text).expect(".pre-commit-hooks.yaml parses");
    document.value.as_array().cloned().expect("a list of hooks")
}

fn hook(id: &str) -> Value {
    hooks()
        .into_iter()
        .find(|hook| hook["id"] == id)
        .unwrap_or_else(|| panic!("no hook `{id}`"))
}

/// Runs `hook` as pre-commit does, in `dir`, on those of `files` its `files` pattern takes:
/// `shlex.split(entry) + files`, no shell, with the built gradual and the .venv's tools first
/// on PATH.
fn run_hook(hook: &Value, dir: &Path, files: &[&str]) -> Output {
    let entry = hook["entry"].as_str().expect("an entry");
    let pattern = hook["files"].as_str().expect("a files pattern");
    let script = "\
import re, shlex, subprocess, sys
entry, pattern, files = sys.argv[1], sys.argv[2], sys.argv[3:]
chosen = [f for f in files if re.search(pattern, f)]
print('files:', ' '.join(chosen), file=sys.stderr, flush=True)
sys.exit(subprocess.call(shlex.split(entry) + chosen))
";
    let bin = Path::new(GRADUAL).parent().expect("the binary's folder");
    let venv = workspace().join(".venv/bin");
    let mut path = vec![bin.to_path_buf(), venv.clone()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    Command::new(venv.join("python"))
        .args(["-c", script, entry, pattern])
        .args(files)
        .env("PATH", std::env::join_paths(path).expect("PATH joins"))
        .current_dir(dir)
        .output()
        .expect("python from .venv runs (make venv)")
}

/// A folder with a good template, a broken one and a workflow file, removed when dropped.
struct Project(PathBuf);

impl Project {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("gradual-pre-commit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("stacks")).expect("temp dir is writable");
        let example = std::fs::read_to_string(workspace().join("examples/orders-service.yaml"))
            .expect("the example is readable");
        std::fs::write(dir.join("template.yaml"), &example).expect("writable");
        let broken = example.replacen(
            "Type: Linear25PercentEvery2Minutes",
            "Type: Linear25PercentEvery2Minute",
            1,
        );
        assert_ne!(broken, example, "the example has the schedule to break");
        std::fs::write(dir.join("stacks/orders.template.yaml"), broken).expect("writable");
        std::fs::write(dir.join("ci.yml"), "on: push\njobs: {}\n").expect("writable");
        Self(dir)
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const ALL: &[&str] = &["template.yaml", "stacks/orders.template.yaml", "ci.yml"];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_file_offers_exactly_the_two_hooks_on_real_subcommands() {
    let hooks = hooks();
    let ids: Vec<&str> = hooks
        .iter()
        .filter_map(|hook| hook["id"].as_str())
        .collect();
    assert_eq!(ids, ["gradual-check", "gradual-lint"]);
    for hook in &hooks {
        for key in ["name", "description", "entry", "language", "files"] {
            assert!(hook[key].is_string(), "hook {} has no {key}", hook["id"]);
        }
        assert_eq!(hook["language"], "system", "{hook}");
        let subcommand = hook["id"]
            .as_str()
            .and_then(|id| id.strip_prefix("gradual-"))
            .expect("ids are gradual-<subcommand>");
        let entry = hook["entry"].as_str().expect("checked above");
        assert!(entry.contains(&format!("gradual {subcommand}")), "{entry}");
        let help = Command::new(GRADUAL)
            .args([subcommand, "--help"])
            .output()
            .expect("gradual runs");
        assert!(
            help.status.success(),
            "`gradual {subcommand}` is not a subcommand"
        );
    }
}

#[test]
fn gradual_check_fails_on_the_broken_template_only() {
    let project = Project::new("check");
    let hook = hook("gradual-check");

    let output = run_hook(&hook, &project.0, ALL);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // The workflow file is not a template, so it is not passed.
    assert!(
        stderr.contains("files: template.yaml stacks/orders.template.yaml\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("template.yaml: ok: 2 functions rewritten"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stacks/orders.template.yaml:") && stderr.contains("did you mean"),
        "{stderr}"
    );

    let output = run_hook(&hook, &project.0, &["template.yaml", "ci.yml"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn gradual_lint_reports_in_cfn_lint_s_format_with_its_exit_status() {
    let project = Project::new("lint");
    let hook = hook("gradual-lint");

    let output = run_hook(&hook, &project.0, ALL);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(!lines.is_empty(), "{}", text(&output.stderr));
    assert!(
        lines.iter().all(
            |line| line.starts_with("stacks/orders.template.yaml:") && line.contains(":E9001:")
        ),
        "{stdout}"
    );

    let output = run_hook(&hook, &project.0, &["template.yaml"]);
    assert_eq!(
        (output.status.code(), text(&output.stdout).as_str()),
        (Some(0), ""),
        "{}",
        text(&output.stderr)
    );
}
