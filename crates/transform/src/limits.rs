//! CloudFormation's hard limits on a processed template.

use serde_json::Value;

/// Resources per template.
pub const MAX_RESOURCES: usize = 500;
/// Bytes of a processed template (the S3-hosted template limit).
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;

/// A limit the transformed template goes over.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    #[error("the transformed template has {count} resources; CloudFormation allows at most {MAX_RESOURCES}")]
    Resources { count: usize },
    #[error("the transformed template is {bytes} bytes; CloudFormation allows at most {MAX_TEMPLATE_BYTES}")]
    Size { bytes: usize },
}

/// Every limit `template` goes over, measured on its compact JSON form.
pub fn check_limits(template: &Value) -> Vec<LimitExceeded> {
    let mut exceeded = Vec::new();
    let count = template
        .get("Resources")
        .and_then(Value::as_object)
        .map_or(0, |resources| resources.len());
    if count > MAX_RESOURCES {
        exceeded.push(LimitExceeded::Resources { count });
    }
    let bytes = serde_json::to_vec(template).map_or(0, |body| body.len());
    if bytes > MAX_TEMPLATE_BYTES {
        exceeded.push(LimitExceeded::Size { bytes });
    }
    exceeded
}
