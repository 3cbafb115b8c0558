//! The gradual transform core.
//!
//! A CloudFormation template (as JSON, long-form intrinsics) comes in; either the rewritten
//! template or every located error comes out. The core is pure: no I/O, no AWS calls, no clock,
//! no randomness, so the same input always gives the same bytes out.
//!
//! When the macro is used through `Fn::Transform`, the template is a fragment and every path
//! in an error is relative to that fragment.

mod codedeploy;
mod digest;
mod error;
mod guard;
mod iam;
mod intrinsic;
mod lambda;
mod limits;
mod path;
mod plan;
mod preference;
mod presence;
mod publish;
mod refs;
mod sam;
mod schedule;
mod scope;
mod smoke_test;
mod suggest;
mod template;

pub use error::{ErrorKind, TransformError, TransformErrors, Warning};
pub use limits::{check_limits, LimitExceeded, MAX_RESOURCES, MAX_TEMPLATE_BYTES};
pub use path::{Segment, TemplatePath};
pub use plan::{plan, Plan};

use serde_json::{Map, Value};

/// Everything the transform may depend on besides the template itself.
///
/// Build it with `..Context::default()` so that new settings don't break callers.
#[derive(Clone, Debug)]
pub struct Context {
    /// The region the stack is deployed to; `AWS::Region`, and the source of `AWS::Partition`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account_id: String,
    /// Values given for the template's parameters. A parameter missing here falls back to its
    /// `Default`. Strings of the form `{{IntrinsicFunction:...}}` are CloudFormation
    /// placeholders and count as unknown.
    pub parameter_values: Map<String, Value>,
    /// The name this macro is registered under. A preview removes it from the template's
    /// `Transform` section, as CloudFormation does before calling the macro.
    pub macro_name: String,
    /// The function names of the ready-made hooks installed with gradual (`template.yaml`),
    /// wired in for preferences that ask for a smoke test but name no hooks of their own.
    pub installed_hooks: InstalledHooks,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            region: "us-east-1".to_owned(),
            account_id: "123456789012".to_owned(),
            parameter_values: Map::new(),
            macro_name: DEFAULT_MACRO_NAME.to_owned(),
            installed_hooks: InstalledHooks::default(),
        }
    }
}

/// The macro name `template.yaml` registers unless told otherwise.
pub const DEFAULT_MACRO_NAME: &str = "Gradual";

/// Function names of gradual's ready-made hooks, as `template.yaml` names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledHooks {
    pub pre_traffic: String,
    pub post_traffic: String,
}

impl Default for InstalledHooks {
    fn default() -> Self {
        Self {
            pre_traffic: "gradual-pre-traffic".to_owned(),
            post_traffic: "gradual-post-traffic".to_owned(),
        }
    }
}

/// Counts for logs and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Functions rewritten into a version and an alias.
    pub functions: usize,
    /// Resources added to the template.
    pub resources_added: usize,
}

/// A successful transform.
#[derive(Clone, Debug)]
pub struct Output {
    pub template: Value,
    pub warnings: Vec<Warning>,
    pub stats: Stats,
}

/// Rewrites every `AWS::Lambda::Function` carrying gradual's properties.
///
/// Every other resource, and every other part of the template, comes out unchanged, with the
/// same values in the same key order.
pub fn transform(mut template: Value, ctx: &Context) -> Result<Output, TransformErrors> {
    remove_transform(&mut template, &ctx.macro_name);
    template::run(template, ctx)
}

/// Removes `macro_name` from the template's `Transform` section, as CloudFormation does before
/// it hands the template to the macro; a preview of the processed template must not name the
/// transform that produced it. Other transforms (SAM's, say) stay, in their order.
fn remove_transform(template: &mut Value, macro_name: &str) {
    let Some(root) = template.as_object_mut() else {
        return;
    };
    let emptied = match root.get_mut("Transform") {
        Some(Value::String(name)) => name == macro_name,
        Some(Value::Array(names)) => {
            names.retain(|name| name.as_str() != Some(macro_name));
            names.is_empty()
        }
        _ => false,
    };
    if emptied {
        root.shift_remove("Transform");
    }
}
