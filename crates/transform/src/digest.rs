//! Content digests behind generated logical IDs.

use std::fmt::Write as _;
use std::io;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The first ten hex digits of SHA-256 over the canonical JSON of `value`, so the result does
/// not depend on the key order of the input.
///
/// The JSON is written out and hashed in one call: serialising writes a few bytes at a time,
/// and each of those writes fed to the hasher directly costs more than the bytes themselves.
pub(crate) fn short_digest(value: &Value) -> String {
    let mut canonical = Vec::with_capacity(1024);
    write_canonical(value, &mut canonical);
    let digest = Sha256::digest(&canonical);
    let mut hex = String::with_capacity(10);
    for byte in digest.iter().take(5) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Rounds of PBKDF2 for a `NoEcho` value. Each guess at a secret costs an attacker this many
/// HMACs per candidate; it costs a transform tens of milliseconds per secret, and only on
/// templates that hash one.
const STRETCH_ROUNDS: u32 = 100_000;

/// PBKDF2-HMAC-SHA256 of `value`'s canonical JSON, salted with the parameter's name, as hex.
pub(crate) fn stretched(parameter: &str, value: &Value) -> String {
    let mut password = Vec::new();
    write_canonical(value, &mut password);
    let mut salt = b"gradual-noecho:".to_vec();
    salt.extend_from_slice(parameter.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in pbkdf2_sha256(&password, &salt, STRETCH_ROUNDS) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// One 32-byte block of PBKDF2-HMAC-SHA256 (RFC 8018).
fn pbkdf2_sha256(password: &[u8], salt: &[u8], rounds: u32) -> [u8; 32] {
    let hmac = Hmac::new(password);
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut block = hmac.mac(&first);
    let mut out = block;
    for _ in 1..rounds {
        block = hmac.mac(&block);
        for (o, b) in out.iter_mut().zip(block.iter()) {
            *o ^= b;
        }
    }
    out
}

/// HMAC-SHA256 with the keyed inner and outer states computed once.
struct Hmac {
    inner: Sha256,
    outer: Sha256,
}

impl Hmac {
    fn new(key: &[u8]) -> Self {
        const BLOCK: usize = 64;
        let mut padded = [0u8; BLOCK];
        if key.len() > BLOCK {
            padded[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            padded[..key.len()].copy_from_slice(key);
        }
        let mut inner = Sha256::new();
        inner.update(padded.map(|b| b ^ 0x36));
        let mut outer = Sha256::new();
        outer.update(padded.map(|b| b ^ 0x5c));
        Self { inner, outer }
    }

    fn mac(&self, message: &[u8]) -> [u8; 32] {
        let mut inner = self.inner.clone();
        inner.update(message);
        let mut outer = self.outer.clone();
        outer.update(inner.finalize());
        outer.finalize().into()
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

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn pbkdf2_matches_the_published_vectors() {
        // RFC 7914 section 11 / the widely published PBKDF2-HMAC-SHA256 vectors.
        assert_eq!(
            hex(&pbkdf2_sha256(b"password", b"salt", 1)),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"
        );
        assert_eq!(
            hex(&pbkdf2_sha256(b"password", b"salt", 2)),
            "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"
        );
    }

    #[test]
    fn stretched_secrets_differ_by_value_and_parameter() {
        let a = stretched("Db", &json!("1234"));
        assert_eq!(a, stretched("Db", &json!("1234")));
        assert_ne!(a, stretched("Db", &json!("1235")));
        assert_ne!(a, stretched("Api", &json!("1234")));
        assert!(!a.contains("1234"));
    }

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
