//! CloudFormation YAML to and from CloudFormation JSON.
//!
//! [`parse`] reads a template the way CloudFormation does: short-form tags (`!Ref`, `!GetAtt`,
//! `!Sub`, ...) become their long forms, and scalars keep the types CloudFormation gives them
//! (`2010-09-09`, `yes` and `012345678901` stay strings). Alongside the JSON value it returns
//! the line and column of every node, keyed by RFC 6901 pointer, so errors found on the JSON
//! can point back into the file.
//!
//! [`to_yaml`] writes any JSON value back as block-style YAML with short-form tags where they
//! are exact, quoting every string a YAML 1.1 reader (PyYAML, and so cfn-lint) would read as
//! something else. `parse(&to_yaml(v)).value == v` holds for every JSON value.
//!
//! The crate is pure: text in, values out.

mod emit;
mod error;
mod intrinsic;
mod parse;
mod scalar;

use std::collections::HashMap;

use serde_json::Value;

pub use emit::to_yaml;
pub use error::YamlError;

/// A 1-based position in the source text; columns count characters, not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Source positions of the nodes of a parsed document, keyed by RFC 6901 JSON pointer.
///
/// An object member maps to the position of its key, an array element to the position of the
/// element. Nodes created by expanding a short form (the `Ref` inside `!Ref X`) map to the
/// position of the tagged node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Locations {
    by_pointer: HashMap<String, Location>,
}

impl Locations {
    /// The position of the node at `json_pointer` (`""` is the document root).
    pub fn get(&self, json_pointer: &str) -> Option<Location> {
        self.by_pointer.get(json_pointer).copied()
    }

    /// The position of the node at `json_pointer`, or else of its closest ancestor that has one.
    ///
    /// Errors often name a key that is missing, so the exact pointer has no position but its
    /// parent does.
    pub fn nearest(&self, json_pointer: &str) -> Option<Location> {
        let mut pointer = json_pointer;
        loop {
            if let Some(location) = self.get(pointer) {
                return Some(location);
            }
            match pointer.rfind('/') {
                Some(parent_end) => pointer = &pointer[..parent_end],
                None => return None,
            }
        }
    }

    /// How many nodes have a position.
    pub fn len(&self) -> usize {
        self.by_pointer.len()
    }

    /// True for JSON input, whose positions are not tracked.
    pub fn is_empty(&self) -> bool {
        self.by_pointer.is_empty()
    }

    fn record(&mut self, json_pointer: &str, location: Location) {
        self.by_pointer
            .entry(json_pointer.to_owned())
            .or_insert(location);
    }
}

/// A parsed template: the CloudFormation JSON value and where each node came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub value: Value,
    pub locations: Locations,
}

/// The syntax a template was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    Yaml,
}

/// Parses a CloudFormation YAML template (a single document).
///
/// # Errors
/// Invalid YAML, an unknown tag, a duplicate key, an alias, more than one document, or no
/// document at all; located when the position is known.
pub fn parse(text: &str) -> Result<Document, YamlError> {
    parse::parse(text)
}

/// Parses a template written in either JSON or YAML, telling which it was.
///
/// JSON is recognised the way CloudFormation does it, by a `{` as the first non-blank character.
/// JSON documents carry no positions: see [`locate_json`].
///
/// # Errors
/// As [`parse`] for YAML; for JSON, the parser's message and position.
pub fn parse_any(text: &str) -> Result<(Document, Format), YamlError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if body.trim_start().starts_with('{') {
        let value: Value = serde_json::from_str(body).map_err(|error| {
            YamlError::at(
                Location {
                    line: error.line(),
                    column: error.column(),
                },
                format!("invalid JSON: {}", json_message(&error)),
            )
        })?;
        let document = Document {
            value,
            locations: Locations::default(),
        };
        Ok((document, Format::Json))
    } else {
        parse(body).map(|document| (document, Format::Yaml))
    }
}

/// Positions for a JSON template, for reporting on it after the fact. JSON is YAML flow
/// syntax, so the YAML reader locates it when it reads the same value; otherwise (or when the
/// text is not JSON) there are none, and findings carry only their path.
///
/// [`parse_any`] gives JSON documents no positions, so that JSON input never pays for a YAML
/// parse; callers locate only when there is something to report.
pub fn locate_json(text: &str) -> Locations {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Ok(value) = serde_json::from_str::<Value>(body) else {
        return Locations::default();
    };
    match parse(body) {
        Ok(document) if document.value == value => document.locations,
        _ => Locations::default(),
    }
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn json_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(suffix) => message[..suffix].to_owned(),
        None => message,
    }
}
