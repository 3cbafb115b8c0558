use gradual_yaml::{parse, parse_any, to_yaml, Format};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Value};

use crate::strategy::json_value;

/// Pieces of YAML syntax; glued at random they reach the parser's error paths.
const YAML_TOKENS: &[&str] = &[
    "- ",
    "? ",
    ": ",
    "\n",
    "  ",
    " ",
    "!Ref ",
    "!GetAtt ",
    "!!str ",
    "!<x> ",
    "!Nope ",
    "&a ",
    "*a",
    "|",
    ">",
    "|-",
    "|+2",
    "'",
    "\"",
    "\\",
    "[",
    "]",
    "{",
    "}",
    ",",
    "#",
    "---",
    "...",
    "%YAML 1.2",
    "%TAG ! x",
    "a",
    "1",
    "0x",
    "\t",
    "\u{feff}",
    "\r",
    "é",
    "~",
    "key",
    "\\x",
    "\\u12",
];

#[track_caller]
fn assert_round_trip(value: &Value) {
    let yaml = to_yaml(value);
    match parse(&yaml) {
        Ok(document) => assert_eq!(&document.value, value, "emitted:\n{yaml}"),
        Err(error) => panic!("emitted YAML does not parse: {error}\n{yaml}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_json_value_survives_yaml(value in json_value()) {
        assert_round_trip(&value);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,64}") {
        let _ = parse_any(&text);
    }

    #[test]
    fn parsing_yaml_shaped_noise_never_panics(parts in proptest::collection::vec(select(YAML_TOKENS), 0..40)) {
        let _ = parse_any(&parts.concat());
    }
}

#[test]
fn a_template_round_trips_through_both_formats() {
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Env": {"Type": "String", "AllowedValues": ["yes", "no"]}},
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Code": {"ZipFile": "exports.handler = async () => {\n  return 1;\n};\n"},
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Timeout": 30,
                    "MemorySize": 1.5
                }
            }
        }
    });
    assert_round_trip(&template);
    let json_text = serde_json::to_string_pretty(&template).expect("serializable");
    let (document, format) = parse_any(&json_text).expect("valid JSON");
    assert_eq!(format, Format::Json);
    assert_eq!(document.value, template);
    assert!(document.locations.is_empty());
    let (document, format) = parse_any(&to_yaml(&template)).expect("valid YAML");
    assert_eq!(format, Format::Yaml);
    assert_eq!(document.value, template);
}

#[test]
fn json_errors_are_located() {
    let error = parse_any("{\n  \"a\": 1,\n}").expect_err("trailing comma");
    assert_eq!(error.location().map(|l| (l.line, l.column)), Some((3, 1)));
    assert!(error.message().starts_with("invalid JSON: "), "{error}");
}
