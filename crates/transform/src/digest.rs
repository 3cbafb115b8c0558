//! Content digests behind generated logical IDs.

use std::fmt::Write as _;
use std::io;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The first ten hex digits of SHA-256 over the canonical JSON of `value`, so the result does
/// not depend on the key order of the input. The JSON is streamed into the hash, never built.
pub(crate) fn short_digest(value: &Value) -> String {
    let mut hasher = HashWriter(Sha256::new());
    write_canonical(value, &mut hasher);
    let digest = hasher.0.finalize();
    let mut hex = String::with_capacity(10);
    for byte in digest.iter().take(5) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

struct HashWriter(Sha256);

impl io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Compact JSON with object keys sorted by code point.
pub(crate) fn write_canonical(value: &Value, out: &mut impl io::Write) {
    // Writing into a hash or a Vec cannot fail, so the results carry nothing.
    match value {
        Value::Object(object) => {
            let mut entries: Vec<_> = object.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let _ = out.write_all(b"{");
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    let _ = out.write_all(b",");
                }
                let _ = serde_json::to_writer(&mut *out, key);
                let _ = out.write_all(b":");
                write_canonical(item, out);
            }
            let _ = out.write_all(b"}");
        }
        Value::Array(items) => {
            let _ = out.write_all(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    let _ = out.write_all(b",");
                }
                write_canonical(item, out);
            }
            let _ = out.write_all(b"]");
        }
        // serde_json's spelling of a scalar is already canonical: one spelling per value.
        scalar => {
            let _ = serde_json::to_writer(out, scalar);
        }
    }
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
        let mut out = Vec::new();
        write_canonical(&a, &mut out);
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            r#"{"a":{"x":"s","y":[1,2]},"b":1}"#
        );
        assert_eq!(short_digest(&a).len(), 10);
    }
}
