use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Number, Value};

/// Strings that YAML readers are known to misread when written plain, and pieces to glue.
const TRICKY: &[&str] = &[
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "N",
    "~",
    "null",
    "NULL",
    "true",
    "False",
    "2010-09-09",
    "2001-12-14t21:59:43.10-05:00",
    "2002-12-14",
    "012345678901",
    "123456789012",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "1:20",
    "190:20:30.15",
    "1e3",
    "1.0e+3",
    ".5",
    "1.",
    ".inf",
    "-.INF",
    ".NaN",
    "=",
    "<<",
    "- a",
    "-",
    "? b",
    "?",
    ": c",
    ":",
    "#x",
    "a #b",
    "a: b",
    "a:",
    "%TAG",
    "@x",
    "`x",
    "!Ref",
    "&a",
    "*a",
    "|",
    "> x",
    "'q'",
    "\"d\"",
    "",
    " ",
    "  lead",
    "trail  ",
    "a\nb",
    "\n",
    "x\n",
    "x\n\n",
    "\nx",
    "  x\ny",
    "x\n  y",
    "line\r\nbreak",
    "\t",
    "a\tb",
    "\u{85}",
    "\u{2028}",
    "\u{a0}",
    "\u{feff}bom",
    "é",
    "---",
    "...",
    "--- x",
    "... x",
    "[a]",
    "{a: 1}",
    "a,b",
    "Ref",
    "Fn::GetAtt",
    "Fn::Sub",
    "A.B",
    "${AWS::Region}",
    "\\",
    "\"",
    "'",
    "\0",
    "\u{7f}",
    "\u{1b}[0m",
];

pub fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(TRICKY).prop_map(String::from),
        2 => proptest::collection::vec(select(TRICKY), 0..4).prop_map(|parts| parts.concat()),
        2 => "[ -~\n\t]{0,16}",
        1 => any::<String>(),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |float| Number::from_f64(float).map(Value::Number)),
        tricky_string().prop_map(Value::String),
    ]
}

const INTRINSIC_KEYS: &[&str] = &[
    "Ref",
    "Condition",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::If",
    "Fn::Base64",
    "Fn::Join",
    "Fn::Unknown",
];

/// Any JSON value, biased towards intrinsic-function shapes.
pub fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            proptest::collection::vec((tricky_string(), inner.clone()), 0..5)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
            (select(INTRINSIC_KEYS), inner.clone()).prop_map(|(key, content)| {
                let mut object = Map::new();
                object.insert(key.to_owned(), content);
                Value::Object(object)
            }),
            (tricky_string(), tricky_string()).prop_map(|(resource, attribute)| {
                serde_json::json!({"Fn::GetAtt": [resource, attribute]})
            }),
        ]
    })
}
