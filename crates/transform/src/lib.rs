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
mod intrinsic;
mod lambda;
mod limits;
mod path;
mod preference;
mod publish;
mod refs;
mod schedule;
mod scope;
mod suggest;
mod template;

pub use error::{ErrorKind, TransformError, TransformErrors, Warning};
pub use limits::{check_limits, LimitExceeded, MAX_RESOURCES, MAX_TEMPLATE_BYTES};
pub use path::{Segment, TemplatePath};

use serde_json::{Map, Value};

/// Everything the transform may depend on besides the template itself.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The region the stack is deployed to; `AWS::Region`, and the source of `AWS::Partition`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account_id: String,
    /// Values given for the template's parameters. A parameter missing here falls back to its
    /// `Default`. Strings of the form `{{IntrinsicFunction:...}}` are CloudFormation
    /// placeholders and count as unknown.
    pub parameter_values: Map<String, Value>,
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
pub fn transform(template: Value, ctx: &Context) -> Result<Output, TransformErrors> {
    template::run(template, ctx)
}
