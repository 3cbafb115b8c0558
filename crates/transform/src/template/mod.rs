//! The whole-template pass, in the five phases of ARCHITECTURE.md: scope, read, IDs, generate,
//! rewrite. Every phase reports into one [`Diagnostics`], so the run fails with every problem
//! at once.

mod generate;
mod ids;
mod read;
mod rewrite;

use serde_json::{Map, Value};

use crate::error::{Diagnostics, ErrorKind, TransformError, TransformErrors};
use crate::path::TemplatePath;
use crate::preference::Preference;
use crate::publish::{Attributes, Publication};
use crate::scope::Scope;
use crate::{Context, Output, Stats};

/// A function gradual rewrites, as read, before its version has an ID.
#[derive(Debug)]
struct ManagedFunction {
    id: String,
    publication: Publication,
    /// The function's `Condition`, `DeletionPolicy` and `UpdateReplacePolicy`.
    attributes: Attributes,
    /// The version-captured properties, resolved as far as the transform can.
    captured: Value,
    alias_id: String,
    /// An enabled `DeploymentPreference`.
    preference: Option<Box<Preference>>,
    tags: Option<Value>,
}

/// A managed function whose version has its logical ID.
#[derive(Debug)]
struct Versioned {
    function: ManagedFunction,
    version_id: String,
}

/// One generated resource, and the property of its function that asked for it, which is where
/// a clash of its logical ID is reported.
#[derive(Debug)]
struct GeneratedResource {
    id: String,
    resource: Value,
    asked_by: &'static str,
}

pub(crate) fn run(template: Value, ctx: &Context) -> Result<Output, TransformErrors> {
    let (mut root, resources) = match split(template)? {
        Split::Resources(root, resources) => (root, resources),
        Split::NoResources(template) => {
            return Ok(Output {
                template,
                warnings: Vec::new(),
                stats: Stats::default(),
            })
        }
    };
    let mut diagnostics = Diagnostics::default();
    let scope = Scope::new(&root, ctx);
    let read = read::functions(&resources, &scope, &ctx.installed_hooks, &mut diagnostics);
    let versioned = ids::assign(read.managed);
    let generated = generate::all(&versioned, &resources, &root, &scope, &mut diagnostics);
    drop(scope);
    let input_resources = resources.len();
    let rewritten = rewrite::all(
        resources,
        &versioned,
        &read.broken,
        generated,
        root.get("Outputs").cloned(),
        &mut diagnostics,
    );
    let warnings = diagnostics.finish()?;
    let stats = Stats {
        functions: versioned.len(),
        resources_added: rewritten.resources.len().saturating_sub(input_resources),
    };
    assemble(&mut root, rewritten);
    Ok(Output {
        template: Value::Object(root),
        warnings,
        stats,
    })
}

enum Split {
    /// The template with its resources taken out (leaving their place in the key order), so
    /// the rebuild can move them instead of copying every one.
    Resources(Map<String, Value>, Map<String, Value>),
    NoResources(Value),
}

fn split(template: Value) -> Result<Split, TransformErrors> {
    let Value::Object(mut root) = template else {
        return Err(wrong_type(
            TemplatePath::root(),
            "a template object",
            &template,
        ));
    };
    let resources = match root.get_mut("Resources") {
        None => return Ok(Split::NoResources(Value::Object(root))),
        Some(Value::Object(resources)) => std::mem::take(resources),
        Some(other) => {
            let path = TemplatePath::root().key("Resources");
            return Err(wrong_type(path, "an object", other));
        }
    };
    Ok(Split::Resources(root, resources))
}

fn wrong_type(path: TemplatePath, expected: &'static str, found: &Value) -> TransformErrors {
    TransformErrors::one(TransformError::new(
        path,
        ErrorKind::wrong_type(expected, found),
    ))
}

/// Puts the rewritten sections back in their places, and the generated conditions last.
fn assemble(root: &mut Map<String, Value>, rewritten: rewrite::Rewritten) {
    if let Some(slot) = root.get_mut("Resources") {
        *slot = Value::Object(rewritten.resources);
    }
    if let (Some(slot), Some(outputs)) = (root.get_mut("Outputs"), rewritten.outputs) {
        *slot = outputs;
    }
    if !rewritten.conditions.is_empty() {
        let conditions = root
            .entry("Conditions")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(conditions) = conditions {
            conditions.extend(rewritten.conditions);
        }
    }
}

fn resource_type(resource: &Value) -> Option<&str> {
    resource.get("Type").and_then(Value::as_str)
}
