//! Content digests behind generated logical IDs.

use std::fmt::Write as _;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The first ten hex digits of SHA-256 over the canonical JSON of `value`, so the result does
/// not depend on the key order of the input.
pub(crate) fn short_digest(value: &Value) -> String {
    let mut canonical = String::new();
    write_canonical(value, &mut canonical);
    let digest = Sha256::digest(canonical.as_bytes());
    let mut hex = String::with_capacity(10);
    for byte in digest.iter().take(5) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Compact JSON with object keys sorted by code point.
pub(crate) fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<_> = object.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::String(text) => write_string(text, out),
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn write_string(text: &str, out: &mut String) {
    // serde_json's string escaping is already canonical (one spelling per string).
    out.push_str(&Value::String(text.to_owned()).to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_change_the_digest() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":"s"}}"#).expect("valid json");
        let b: Value =
            serde_json::from_str(r#"{"a":{"x":"s","y":[1,2]},"b":1}"#).expect("valid json");
        assert_eq!(short_digest(&a), short_digest(&b));
        assert_ne!(
            short_digest(&a),
            short_digest(&json!({"b": 2, "a": {"x": "s", "y": [1, 2]}}))
        );
        let mut out = String::new();
        write_canonical(&a, &mut out);
        assert_eq!(out, r#"{"a":{"x":"s","y":[1,2]},"b":1}"#);
        assert_eq!(short_digest(&a).len(), 10);
    }
}
