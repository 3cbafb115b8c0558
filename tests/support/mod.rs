//! What the golden test, the semantics test and the `golden-outputs` example share: the fixture
//! directories and their `context.json`, and `changes.yaml`, the form in which a fixture's
//! expected output is committed (`tests/golden.rs` says what it is and why).

// Each target that includes this module uses a different part of it.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use gradual_transform::Context;
use serde_json::{Map, Value};

/// The expected output of a `fixtures/ok` case, relative to its `input.yaml`.
pub const CHANGES: &str = "changes.yaml";

/// What `changes.yaml` writes for a section or entry that is byte-identical to the input's.
pub const UNCHANGED: &str = "unchanged";

const HEADER: &str =
    "# input.yaml as transformed; `unchanged` is the input's own value (tests/golden.rs)\n";

/// Top-level sections whose values the transform may change: it removes itself from
/// `Transform`, rewrites `Resources`, adds `Conditions` and rewrites references in `Outputs`.
/// Every other section must come out byte-identical.
const SECTIONS_THE_TRANSFORM_OWNS: [&str; 4] = ["Transform", "Resources", "Conditions", "Outputs"];

/// Sections whose existing entries may change. The input's own conditions may not: gradual
/// only adds conditions of its own.
const SECTIONS_WITH_CHANGING_ENTRIES: [&str; 2] = ["Resources", "Outputs"];

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The case directories under `fixtures/<kind>`, sorted.
pub fn cases(kind: &str) -> Vec<PathBuf> {
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

pub fn name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The case's `context.json` (`{"region", "account_id", "parameters"}`), else the default.
pub fn context(dir: &Path) -> Result<Context, String> {
    let mut ctx = Context::default();
    let path = dir.join("context.json");
    if path.exists() {
        let value: Value =
            serde_json::from_str(&read(&path)?).map_err(|e| format!("{}: {e}", path.display()))?;
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

pub fn read_input(dir: &Path) -> Result<gradual_yaml::Document, String> {
    let path = dir.join("input.yaml");
    gradual_yaml::parse(&read(&path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// Compact JSON: equal strings mean equal values, key order and number forms included
/// (`serde_json::Map`'s `==` ignores key order).
fn bytes(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn same(a: &Value, b: &Value) -> bool {
    bytes(a) == bytes(b)
}

fn is_marker(value: &Value) -> bool {
    value.as_str() == Some(UNCHANGED)
}

/// Where `output` breaks "nothing else changes" against `input`, whatever `changes.yaml` says:
/// an input section or entry dropped (only `Transform` may go), reordered, or changed outside
/// what the transform owns.
pub fn nothing_else_changes(input: &Value, output: &Value) -> Result<(), String> {
    let (Some(input), Some(output)) = (input.as_object(), output.as_object()) else {
        return Err("input and output must both be mappings".into());
    };
    let mut problems = Vec::new();
    kept_in_order("the template", input, output, &["Transform"], &mut problems);
    for (section, before) in input {
        let Some(after) = output.get(section) else {
            continue;
        };
        if !SECTIONS_THE_TRANSFORM_OWNS.contains(&section.as_str()) && !same(before, after) {
            problems.push(format!("section {section} changed"));
        }
        let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else {
            continue;
        };
        if !SECTIONS_THE_TRANSFORM_OWNS.contains(&section.as_str()) {
            continue;
        }
        kept_in_order(section, before, after, &[], &mut problems);
        if !SECTIONS_WITH_CHANGING_ENTRIES.contains(&section.as_str()) {
            for (key, value) in before {
                if after.get(key).is_some_and(|v| !same(v, value)) {
                    problems.push(format!("{section}.{key} changed"));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the output breaks \"nothing else changes\" (ARCHITECTURE.md):\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// Every key of `before` but those `may_go` is in `after`, in the same relative order.
fn kept_in_order(
    what: &str,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    may_go: &[&str],
    problems: &mut Vec<String>,
) {
    for key in before.keys() {
        if !after.contains_key(key) && !may_go.contains(&key.as_str()) {
            problems.push(format!("{what}: {key} dropped"));
        }
    }
    let order_before: Vec<&String> = before.keys().filter(|k| after.contains_key(*k)).collect();
    let order_after: Vec<&String> = after.keys().filter(|k| before.contains_key(*k)).collect();
    if order_before != order_after {
        problems.push(format!(
            "{what}: the input's entries were reordered: {order_before:?} became {order_after:?}"
        ));
    }
}

/// The `changes.yaml` value for `output`: `output` itself, in its order, with every top-level
/// section byte-identical to the input's, and every entry of a mapping section (a resource, a
/// condition, an output…) byte-identical to the input's entry, replaced by [`UNCHANGED`].
/// Checks [`nothing_else_changes`] first.
pub fn changes(input: &Value, output: &Value) -> Result<Value, String> {
    nothing_else_changes(input, output)?;
    let (Some(input), Some(output)) = (input.as_object(), output.as_object()) else {
        return Err("input and output must both be mappings".into());
    };
    let literal = |path: String, value: &Value| {
        if is_marker(value) {
            Err(format!(
                "{path} is the string `{UNCHANGED}`, which {CHANGES} would read as the input's value"
            ))
        } else {
            Ok(value.clone())
        }
    };
    let mut changes = Map::new();
    for (section, after) in output {
        let stored = match (input.get(section), after) {
            (Some(before), _) if same(before, after) => Value::from(UNCHANGED),
            (Some(Value::Object(before)), Value::Object(entries)) => {
                let mut stored = Map::new();
                for (key, value) in entries {
                    let entry = match before.get(key) {
                        Some(b) if same(b, value) => Value::from(UNCHANGED),
                        _ => literal(format!("{section}.{key}"), value)?,
                    };
                    stored.insert(key.clone(), entry);
                }
                Value::Object(stored)
            }
            _ => literal(section.clone(), after)?,
        };
        changes.insert(section.clone(), stored);
    }
    Ok(Value::Object(changes))
}

/// The output `changes` stands for: the inverse of [`changes`]. Sections and entries of the
/// input that `changes` does not name are not in the output.
pub fn expand(input: &Value, changes: &Value) -> Result<Value, String> {
    let (Some(input), Some(changes)) = (input.as_object(), changes.as_object()) else {
        return Err(format!("input and {CHANGES} must both be mappings"));
    };
    let mut output = Map::new();
    for (section, stored) in changes {
        let value = match (input.get(section), stored) {
            (before, marker) if is_marker(marker) => before.cloned().ok_or_else(|| {
                format!("{CHANGES}: {section} is `{UNCHANGED}`, but the input has none")
            })?,
            (Some(Value::Object(before)), Value::Object(entries)) => {
                let mut merged = Map::new();
                for (key, entry) in entries {
                    let value = if is_marker(entry) {
                        before.get(key).cloned().ok_or_else(|| {
                            format!("{CHANGES}: {section}.{key} is `{UNCHANGED}`, but the input has none")
                        })?
                    } else {
                        entry.clone()
                    };
                    merged.insert(key.clone(), value);
                }
                Value::Object(merged)
            }
            (_, value) => value.clone(),
        };
        output.insert(section.clone(), value);
    }
    Ok(Value::Object(output))
}

/// `changes` as `changes.yaml` holds it.
pub fn render(changes: &Value) -> String {
    format!("{HEADER}{}", gradual_yaml::to_yaml(changes))
}

pub fn parse_changes(text: &str) -> Result<Value, String> {
    gradual_yaml::parse(text)
        .map(|document| document.value)
        .map_err(|e| format!("{CHANGES}: {e}"))
}

/// Pretty JSON with a final newline, as `gradual transform --format json` prints a template.
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// The committed expected output of the `fixtures/ok` case in `dir`: its `changes.yaml`
/// expanded over its `input.yaml`.
pub fn expected_output(dir: &Path) -> Result<Value, String> {
    let input = read_input(dir)?;
    let path = dir.join(CHANGES);
    let changes = parse_changes(&read(&path)?).map_err(|e| format!("{}: {e}", dir.display()))?;
    expand(&input.value, &changes).map_err(|e| format!("{}: {e}", dir.display()))
}

/// Writes every `fixtures/ok` case's committed expected output to `<out>/<case>/output.json`
/// (emptying `out` first) and returns the paths written, for the tools that read whole
/// templates: cfn-lint, `tests/semantics/check.py`, `tests/golden_compare.py`.
pub fn write_expected_outputs(out: &Path) -> Result<Vec<PathBuf>, String> {
    if out.exists() {
        fs::remove_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let mut written = Vec::new();
    for dir in cases("ok") {
        let output = expected_output(&dir)?;
        let case = out.join(name(&dir));
        fs::create_dir_all(&case).map_err(|e| format!("{}: {e}", case.display()))?;
        let path = case.join("output.json");
        fs::write(&path, pretty(&output)).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
