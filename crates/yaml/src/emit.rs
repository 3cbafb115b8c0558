//! CloudFormation JSON to block-style YAML with short-form tags.
//!
//! Every string that some YAML reader could take for another type or another string is quoted,
//! because the output is read by PyYAML-based tools (cfn-lint, the AWS CLI) as well as by
//! CloudFormation and by [`crate::parse`].

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::intrinsic::{self, GET_ATT};
use crate::scalar::{format_float, is_ambiguous_plain};

/// PyYAML refuses implicit keys longer than 1024 characters; longer ones are written as
/// explicit `? key` entries.
const MAX_IMPLICIT_KEY_CHARS: usize = 1000;

/// Writes `value` as a YAML document, ending with a newline.
///
/// Key order is kept. A single-member object whose key is an intrinsic function becomes its
/// short form (`!Ref X`, `!GetAtt A.B`, `!Sub ...`) only where reading the short form back
/// gives exactly the same JSON.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    let root_is_block_collection = match value {
        Value::Object(map) => !map.is_empty() && short_form(map).is_none(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    };
    // Top-level collections sit at column 0; anything else is indented so that a block
    // scalar line can never read as a `---` or `...` document marker.
    let indent = if root_is_block_collection { 0 } else { 2 };
    write_node(&mut out, value, indent, After::Key, true);
    let trimmed = out.strip_prefix([' ', '\n']).unwrap_or(&out);
    trimmed.to_owned()
}

/// What was written just before a node.
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    /// `key:`, a tag or nothing: a block collection starts on the next line.
    Key,
    /// `-`: a block collection may start on the same line (`- key: value`).
    Dash,
}

/// The short form of a one-member object: the tag, and what follows it.
enum Short<'a> {
    Scalar(&'static str, String),
    Node(&'static str, &'a Value),
}

fn short_form(map: &Map<String, Value>) -> Option<Short<'_>> {
    let mut members = map.iter();
    let (key, value) = members.next()?;
    if members.next().is_some() {
        return None;
    }
    let tag = intrinsic::short_tag(key)?;
    if key == GET_ATT {
        return match value {
            Value::Array(parts) => match parts.as_slice() {
                [Value::String(resource), Value::String(attribute)] if !resource.contains('.') => {
                    Some(Short::Scalar(tag, format!("{resource}.{attribute}")))
                }
                _ => Some(Short::Node(tag, value)),
            },
            // `!GetAtt A.B` would read back as a list.
            _ => None,
        };
    }
    match value {
        Value::String(text) => Some(Short::Scalar(tag, text.clone())),
        Value::Array(_) | Value::Object(_) => Some(Short::Node(tag, value)),
        // A tagged scalar always reads back as a string.
        _ => None,
    }
}

/// Writes `value` after `after`; nested block content goes at column `indent`.
fn write_node(out: &mut String, value: &Value, indent: usize, after: After, allow_short: bool) {
    match value {
        Value::Null => out.push_str(" null\n"),
        Value::Bool(flag) => {
            let _ = writeln!(out, " {flag}");
        }
        Value::Number(number) => {
            let text = match number.as_f64() {
                Some(float) if number.is_f64() => format_float(float),
                _ => number.to_string(),
            };
            let _ = writeln!(out, " {text}");
        }
        Value::String(text) => write_string(out, text, indent),
        Value::Array(items) if items.is_empty() => out.push_str(" []\n"),
        Value::Object(map) if map.is_empty() => out.push_str(" {}\n"),
        Value::Object(map) => match short_form(map).filter(|_| allow_short) {
            Some(Short::Scalar(tag, text)) => {
                let _ = write!(out, " !{tag}");
                write_string(out, &text, indent);
            }
            Some(Short::Node(tag, content)) => {
                let _ = write!(out, " !{tag}");
                // A node has one tag, so directly nested intrinsics are written long-form.
                write_node(out, content, indent, After::Key, false);
            }
            None => {
                let first_inline = after == After::Dash;
                if first_inline {
                    out.push(' ');
                } else {
                    out.push('\n');
                }
                for (position, (key, member)) in map.iter().enumerate() {
                    write_member(out, key, member, indent, position == 0 && first_inline);
                }
            }
        },
        Value::Array(items) => {
            let first_inline = after == After::Dash;
            if first_inline {
                out.push(' ');
            } else {
                out.push('\n');
            }
            for (position, item) in items.iter().enumerate() {
                if position > 0 || !first_inline {
                    push_indent(out, indent);
                }
                out.push('-');
                write_node(out, item, indent + 2, After::Dash, true);
            }
        }
    }
}

fn write_member(out: &mut String, key: &str, value: &Value, indent: usize, inline: bool) {
    if !inline {
        push_indent(out, indent);
    }
    let key_text = inline_scalar(key);
    if key_text.chars().count() > MAX_IMPLICIT_KEY_CHARS {
        let _ = writeln!(out, "? {key_text}");
        push_indent(out, indent);
    } else {
        out.push_str(&key_text);
    }
    out.push(':');
    write_node(out, value, indent + 2, After::Key, true);
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// Writes a string value after a space: plain, quoted, or as a literal block at `indent`.
fn write_string(out: &mut String, text: &str, indent: usize) {
    if text.contains('\n') && literal_block_is_exact(text) {
        let chomp = if text.ends_with('\n') { "" } else { "-" };
        let _ = writeln!(out, " |{chomp}");
        for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
            if !line.is_empty() {
                push_indent(out, indent);
                out.push_str(line);
            }
            out.push('\n');
        }
    } else {
        let _ = writeln!(out, " {}", inline_scalar(text));
    }
}

/// A one-line form of `text`: plain when that is unambiguous, else single- or double-quoted.
fn inline_scalar(text: &str) -> String {
    if text.chars().any(needs_escape) {
        double_quoted(text)
    } else if needs_quotes(text) {
        format!("'{}'", text.replace('\'', "''"))
    } else {
        text.to_owned()
    }
}

/// Characters only a double-quoted scalar can carry: line breaks (including YAML 1.1's NEL and
/// Unicode separators), tabs, and everything YAML does not allow unescaped.
fn needs_escape(c: char) -> bool {
    matches!(c, '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

fn needs_quotes(text: &str) -> bool {
    let (Some(first), Some(last)) = (text.chars().next(), text.chars().last()) else {
        return true;
    };
    let indicator_start = matches!(
        first,
        '-' | '?'
            | ':'
            | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '#'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    );
    indicator_start
        || first.is_whitespace()
        || last.is_whitespace()
        || last == ':'
        // Document markers when at the start of a line.
        || text.starts_with("---")
        || text.starts_with("...")
        || text.contains(": ")
        || text.contains(" #")
        || is_ambiguous_plain(text)
}

fn double_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if needs_escape(c) => {
                let code = u32::from(c);
                if code <= 0xff {
                    let _ = write!(out, "\\x{code:02X}");
                } else {
                    let _ = write!(out, "\\u{code:04X}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether a `|` or `|-` block reads back as exactly `text`. Blocks cannot express leading
/// indentation on the first line, trailing whitespace on a line, more than one trailing line
/// break, or escapes; such strings are double-quoted instead.
fn literal_block_is_exact(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.ends_with('\n') || body.trim_start_matches('\n').is_empty() {
        return false;
    }
    let mut lines = body.split('\n');
    let first_content_indented = lines
        .clone()
        .find(|line| !line.is_empty())
        .is_some_and(|line| line.starts_with([' ', '\t']));
    !first_content_indented
        && !body
            .chars()
            .any(|c| c != '\n' && c != '\t' && needs_escape(c))
        && lines.all(|line| !line.ends_with([' ', '\t']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[track_caller]
    fn check(value: Value, expected: &str) {
        assert_eq!(to_yaml(&value), expected);
    }

    #[test]
    fn writes_block_style_with_short_forms() {
        check(
            json!({
                "Resources": {
                    "Fn": {
                        "Type": "AWS::Lambda::Function",
                        "Properties": {
                            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                            "Name": {"Ref": "Name"},
                            "Layers": [{"Fn::If": ["Cond", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]}],
                            "UserData": {"Fn::Base64": {"Fn::Sub": "echo ${X}\n"}},
                            "Tags": [{"Key": "a", "Value": "yes"}]
                        }
                    }
                }
            }),
            "\
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: !GetAtt Role.Arn
      Name: !Ref Name
      Layers:
        - !If
          - Cond
          - !Ref A
          - !Ref AWS::NoValue
      UserData: !Base64
        Fn::Sub: |
          echo ${X}
      Tags:
        - Key: a
          Value: 'yes'
",
        );
    }

    #[test]
    fn keeps_long_forms_that_a_short_form_would_change() {
        check(json!({"Ref": 5}), "Ref: 5\n");
        check(json!({"Fn::GetAtt": "A.B"}), "Fn::GetAtt: A.B\n");
        check(
            json!({"Fn::GetAtt": ["A.x", "B"]}),
            "!GetAtt\n  - A.x\n  - B\n",
        );
        check(json!({"Ref": "X", "Other": 1}), "Ref: X\nOther: 1\n");
    }

    #[test]
    fn quotes_what_yaml_1_1_would_misread() {
        check(
            json!(["2010-09-09", "Off", "012", "1e3", "- a", "a: b", "a #b", " a", "", "~", "*x", "plain text"]),
            "- '2010-09-09'\n- 'Off'\n- '012'\n- '1e3'\n- '- a'\n- 'a: b'\n- 'a #b'\n- ' a'\n- ''\n- '~'\n- '*x'\n- plain text\n",
        );
        check(json!("tab\there\u{85}"), "\"tab\\there\\x85\"\n");
    }

    #[test]
    fn multi_line_strings_use_literal_blocks_when_exact() {
        check(json!({"a": "x\ny"}), "a: |-\n  x\n  y\n");
        check(json!({"a": "x\n\ny\n"}), "a: |\n  x\n\n  y\n");
        check(json!({"a": "  x\ny"}), "a: \"  x\\ny\"\n");
        check(json!({"a": "x \ny"}), "a: \"x \\ny\"\n");
        check(json!({"a": "x\n\n"}), "a: \"x\\n\\n\"\n");
    }

    #[test]
    fn keys_too_long_for_an_implicit_key_are_explicit() {
        let key = "k".repeat(MAX_IMPLICIT_KEY_CHARS + 1);
        let value = json!({ key.clone(): {"a": [1]}, "short": 2 });
        let yaml = to_yaml(&value);
        assert!(yaml.starts_with(&format!("? {key}\n:\n  a:\n")), "{yaml}");
        assert_eq!(
            crate::parse(&yaml).map(|document| document.value),
            Ok(value)
        );
    }

    #[test]
    fn nested_sequences_and_mappings_in_sequences_are_compact() {
        check(
            json!([[1, 2], [{"a": 1, "b": [true]}]]),
            "- - 1\n  - 2\n- - a: 1\n    b:\n      - true\n",
        );
    }
}
