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
    let mut counter = ByteCount(0);
    let bytes = match serde_json::to_writer(&mut counter, template) {
        Ok(()) => counter.0,
        Err(_) => 0,
    };
    if bytes > MAX_TEMPLATE_BYTES {
        exceeded.push(LimitExceeded::Size { bytes });
    }
    exceeded
}

/// Counts what would be written, so the size check doesn't build the whole body a second time.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_size_counted_is_the_size_written() {
        let padding = "x".repeat(MAX_TEMPLATE_BYTES);
        let template = json!({"Resources": {}, "Description": padding});
        let written = serde_json::to_vec(&template).map_or(0, |body| body.len());
        assert_eq!(
            check_limits(&template),
            vec![LimitExceeded::Size { bytes: written }]
        );
        assert!(check_limits(&json!({"Resources": {}})).is_empty());
    }
}
