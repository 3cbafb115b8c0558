//! Recognising CloudFormation intrinsic functions in long-form JSON.

use serde_json::{Map, Value};

/// A single-key object that CloudFormation evaluates.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Intrinsic<'a> {
    Ref(&'a str),
    /// `{"Condition": "Name"}` inside a condition expression.
    Condition(&'a str),
    /// `Fn::*` with its raw arguments.
    Function(&'a str, &'a Value),
}

pub(crate) fn classify(object: &Map<String, Value>) -> Option<Intrinsic<'_>> {
    if object.len() != 1 {
        return None;
    }
    let (key, value) = object.iter().next()?;
    match (key.as_str(), value) {
        ("Ref", Value::String(name)) => Some(Intrinsic::Ref(name)),
        ("Condition", Value::String(name)) => Some(Intrinsic::Condition(name)),
        (name, args) if name.starts_with("Fn::") => Some(Intrinsic::Function(name, args)),
        _ => None,
    }
}

/// `{key: value}`, built directly. `json!` sends every non-literal through serde's
/// serializer, which copies a `Value` node by node and a `String` once more; generated
/// resources build thousands of these.
pub(crate) fn single(key: &str, value: Value) -> Value {
    let mut object = Map::with_capacity(1);
    object.insert(key.to_owned(), value);
    Value::Object(object)
}

/// `{"Ref": id}`.
pub(crate) fn reference(id: impl Into<String>) -> Value {
    single("Ref", Value::String(id.into()))
}

/// `{"Fn::GetAtt": [id, attribute]}`.
pub(crate) fn get_att(id: impl Into<String>, attribute: &str) -> Value {
    let parts = vec![Value::String(id.into()), Value::from(attribute)];
    single("Fn::GetAtt", Value::Array(parts))
}

/// Whether `value` is an intrinsic function call (not a plain object).
pub(crate) fn is_intrinsic(value: &Value) -> bool {
    value.as_object().is_some_and(|object| {
        matches!(
            classify(object),
            Some(Intrinsic::Ref(_) | Intrinsic::Function(..))
        )
    })
}

/// Whether `value` contains no intrinsic anywhere, so it means the same before and after deploy.
pub(crate) fn is_literal(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().all(is_literal),
        Value::Object(object) => !is_intrinsic(value) && object.values().all(is_literal),
        _ => true,
    }
}

/// `{"Ref": "AWS::NoValue"}`.
pub(crate) fn is_no_value(value: &Value) -> bool {
    value
        .as_object()
        .and_then(classify)
        .is_some_and(|i| matches!(i, Intrinsic::Ref("AWS::NoValue")))
}

/// A short name for the kind of a value, for error messages.
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(object) => match classify(object) {
            Some(Intrinsic::Ref(_)) => "a Ref",
            Some(Intrinsic::Condition(_)) => "a Condition",
            Some(Intrinsic::Function(name, _)) => function_label(name),
            None => "an object",
        },
    }
}

fn function_label(name: &str) -> &'static str {
    const KNOWN: [&str; 18] = [
        "Fn::Base64",
        "Fn::Cidr",
        "Fn::FindInMap",
        "Fn::GetAtt",
        "Fn::GetAZs",
        "Fn::If",
        "Fn::ImportValue",
        "Fn::Join",
        "Fn::Select",
        "Fn::Split",
        "Fn::Sub",
        "Fn::Transform",
        "Fn::Equals",
        "Fn::And",
        "Fn::Or",
        "Fn::Not",
        "Fn::Length",
        "Fn::ToJsonString",
    ];
    KNOWN
        .iter()
        .find(|known| **known == name)
        .copied()
        .unwrap_or("an intrinsic function")
}

/// Rewrites each `${Variable}` of an `Fn::Sub` string through `replace`, which returns the text
/// to put in its place, or `None` to keep it. `${!Literal}` escapes are kept as written.
pub(crate) fn map_sub_variables(
    text: &str,
    mut replace: impl FnMut(&str) -> Option<String>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let variable = &after[..end];
        let whole = &rest[start..start + 2 + end + 1];
        if variable.starts_with('!') {
            out.push_str(whole);
        } else {
            match replace(variable) {
                Some(replacement) => out.push_str(&replacement),
                None => out.push_str(whole),
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// What CloudFormation makes of a fully substituted `Fn::Sub` string: `${!X}` becomes `${X}`.
pub(crate) fn unescape_sub_literals(text: &str) -> String {
    text.replace("${!", "${")
}

/// The items of `value` when it is a list of exactly `N`.
pub(crate) fn as_array_of<const N: usize>(value: &Value) -> Option<&[Value; N]> {
    <&[Value; N]>::try_from(value.as_array()?.as_slice()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_variables_are_mapped_and_escapes_kept() {
        let out = map_sub_variables("a-${X}-${!Y}-${Z.Alias}-${", |v| {
            (v == "X").then(|| "x".to_owned())
        });
        assert_eq!(out, "a-x-${!Y}-${Z.Alias}-${");
        assert_eq!(unescape_sub_literals("${!Y}"), "${Y}");
    }

    #[test]
    fn literals_have_no_intrinsics() {
        assert!(is_literal(&serde_json::json!({"a": [1, {"b": "c"}]})));
        assert!(!is_literal(&serde_json::json!({"a": [1, {"Ref": "P"}]})));
        assert!(is_literal(&serde_json::json!({"Ref": "P", "other": 1})));
    }
}
