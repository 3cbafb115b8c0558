//! "The response contains this JSON": the subset match used by smoke tests.

use serde_json::Value;

/// The first place where a response does not contain what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// RFC 6901 pointer to the differing field (`""` for the whole document).
    pub pointer: String,
    /// What the expectation holds there.
    pub expected: Value,
    /// What the response holds there; `None` when the field is absent.
    pub actual: Option<Value>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = if self.pointer.is_empty() {
            "the response"
        } else {
            &self.pointer
        };
        // Both sides are cut: a mismatch at the root quotes the whole response otherwise, which
        // can be megabytes and hold personal data, and ends up in the shared hook logs.
        let expected = bounded(&self.expected);
        match &self.actual {
            Some(actual) => write!(
                f,
                "field {field}: expected {expected}, got {}",
                bounded(actual)
            ),
            None => write!(f, "field {field}: expected {expected}, but it is absent"),
        }
    }
}

/// The most characters of one JSON value a mismatch message quotes.
const QUOTED_VALUE_CHARS: usize = 200;

fn bounded(value: &Value) -> String {
    crate::text::cut(&value.to_string(), QUOTED_VALUE_CHARS)
}

/// Checks that `actual` contains `expected`.
///
/// Objects match when every expected key is present and matches (extra keys are allowed); arrays
/// match element by element and must have the same length; numbers compare by value (`1` equals
/// `1.0`); everything else must be equal.
pub fn first_mismatch(expected: &Value, actual: &Value) -> Option<Mismatch> {
    mismatch_at(expected, actual, String::new())
}

fn mismatch_at(expected: &Value, actual: &Value, pointer: String) -> Option<Mismatch> {
    let differs = || {
        Some(Mismatch {
            pointer: pointer.clone(),
            expected: expected.clone(),
            actual: Some(actual.clone()),
        })
    };
    match (expected, actual) {
        (Value::Object(wanted), Value::Object(present)) => {
            wanted.iter().find_map(|(key, wanted_value)| {
                let child = format!("{pointer}/{}", escape(key));
                match present.get(key) {
                    Some(present_value) => mismatch_at(wanted_value, present_value, child),
                    None => Some(Mismatch {
                        pointer: child,
                        expected: wanted_value.clone(),
                        actual: None,
                    }),
                }
            })
        }
        (Value::Array(wanted), Value::Array(present)) => {
            if wanted.len() != present.len() {
                return differs();
            }
            wanted.iter().zip(present).enumerate().find_map(
                |(index, (wanted_item, present_item))| {
                    mismatch_at(wanted_item, present_item, format!("{pointer}/{index}"))
                },
            )
        }
        (Value::Number(wanted), Value::Number(present)) => {
            let same = wanted == present
                || matches!((wanted.as_f64(), present.as_f64()), (Some(a), Some(b)) if a == b);
            if same {
                None
            } else {
                differs()
            }
        }
        _ if expected == actual => None,
        _ => differs(),
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extra_fields_in_the_response_are_fine() {
        let actual = json!({"statusCode": 200, "body": {"ok": true, "items": [1, 2]}, "extra": 1});
        assert_eq!(
            first_mismatch(&json!({"statusCode": 200.0, "body": {"ok": true}}), &actual),
            None
        );
        assert_eq!(first_mismatch(&json!({}), &actual), None);
    }

    #[test]
    fn names_the_field_that_differs() {
        let actual = json!({"body": {"status": "error", "a/b": 1}});
        let mismatch =
            first_mismatch(&json!({"body": {"status": "ok"}}), &actual).expect("differs");
        assert_eq!(mismatch.pointer, "/body/status");
        assert_eq!(
            mismatch.to_string(),
            r#"field /body/status: expected "ok", got "error""#
        );

        let mismatch = first_mismatch(&json!({"body": {"a/b": 2}}), &actual).expect("differs");
        assert_eq!(mismatch.pointer, "/body/a~1b");

        let missing = first_mismatch(&json!({"headers": {}}), &actual).expect("differs");
        assert_eq!(missing.pointer, "/headers");
        assert_eq!(missing.actual, None);
    }

    #[test]
    fn arrays_match_element_by_element() {
        assert_eq!(
            first_mismatch(&json!([{"id": 1}]), &json!([{"id": 1, "x": 2}])),
            None
        );
        let mismatch = first_mismatch(&json!([1, 2]), &json!([1, 3])).expect("differs");
        assert_eq!(mismatch.pointer, "/1");
        assert_eq!(
            first_mismatch(&json!([1]), &json!([1, 2])).map(|m| m.pointer),
            Some(String::new())
        );
    }

    #[test]
    fn messages_quote_a_bounded_excerpt_of_each_side() {
        let huge = Value::Array(vec![json!("personal data"); 100_000]);
        let message = first_mismatch(&json!([1]), &huge)
            .expect("differs")
            .to_string();
        assert!(message.len() < 600, "{} bytes", message.len());
        assert!(message.contains("bytes)"), "{message}");
    }
}
