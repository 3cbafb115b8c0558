//! YAML events to CloudFormation JSON, recording where every node came from.

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, StrInput, Tag};
use serde_json::{Map, Value};

use crate::error::YamlError;
use crate::intrinsic::{self, GET_ATT};
use crate::scalar::resolve_plain;
use crate::{Document, Location, Locations};

/// Deeper documents are rejected so that building and dropping the value cannot exhaust the
/// stack; real templates stay far below this.
const MAX_DEPTH: usize = 256;

pub(crate) fn parse(text: &str) -> Result<Document, YamlError> {
    let mut reader = Reader {
        parser: Parser::new_from_str(text),
        locations: Locations::default(),
    };
    let value = reader.document()?;
    Ok(Document {
        value,
        locations: reader.locations,
    })
}

struct Reader<'input> {
    parser: Parser<'input, StrInput<'input>>,
    locations: Locations,
}

/// What a tag asks of the node it is on.
enum NodeTag {
    /// A CloudFormation short form; the node becomes `{key: node}`.
    Intrinsic(&'static str),
    /// `!!str`, `!!seq` or `!!map` on a node of that kind: the node as written, a scalar
    /// always a string.
    Core,
}

/// The three kinds of YAML node, named as the core-schema tags name them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scalar,
    Sequence,
    Mapping,
}

impl Kind {
    fn core_tag(self) -> &'static str {
        match self {
            Self::Scalar => "str",
            Self::Sequence => "seq",
            Self::Mapping => "map",
        }
    }
}

fn location(span: &Span) -> Location {
    Location {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

fn scan_error(error: &ScanError) -> YamlError {
    let marker = error.marker();
    YamlError::at(
        Location {
            line: marker.line(),
            column: marker.col() + 1,
        },
        error.info().to_owned(),
    )
}

fn child_pointer(parent: &str, key: &str) -> String {
    format!("{parent}/{}", key.replace('~', "~0").replace('/', "~1"))
}

impl<'input> Reader<'input> {
    fn next(&mut self) -> Result<(Event<'input>, Span), YamlError> {
        match self.parser.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(error)) => Err(scan_error(&error)),
            None => Err(YamlError::unlocated("unexpected end of input")),
        }
    }

    fn document(&mut self) -> Result<Value, YamlError> {
        let (event, span) = self.next()?;
        if event != Event::StreamStart {
            return Err(YamlError::at(
                location(&span),
                "expected the start of the stream",
            ));
        }
        let (event, span) = self.next()?;
        match event {
            Event::DocumentStart(_) => {}
            Event::StreamEnd => return Err(YamlError::unlocated("the template is empty")),
            _ => return Err(YamlError::at(location(&span), "expected a document")),
        }
        let (event, span) = self.next()?;
        let value = self.node(event, span, "", 0)?;
        let (event, span) = self.next()?;
        if event != Event::DocumentEnd {
            return Err(YamlError::at(
                location(&span),
                "expected the end of the document",
            ));
        }
        let (event, span) = self.next()?;
        match event {
            Event::StreamEnd => Ok(value),
            _ => Err(YamlError::at(
                location(&span),
                "a template is a single YAML document; found a second one",
            )),
        }
    }

    fn node(
        &mut self,
        event: Event<'input>,
        span: Span,
        pointer: &str,
        depth: usize,
    ) -> Result<Value, YamlError> {
        let here = location(&span);
        if depth > MAX_DEPTH {
            return Err(YamlError::at(
                here,
                format!("the template nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.locations.record(pointer, here);
        match event {
            Event::Scalar(text, style, _, tag) => match node_tag(tag.as_deref(), Kind::Scalar, here)? {
                None if style == ScalarStyle::Plain => Ok(resolve_plain(&text)),
                None | Some(NodeTag::Core) => Ok(Value::String(text.into_owned())),
                Some(NodeTag::Intrinsic(key)) => {
                    self.locations.record(&child_pointer(pointer, key), here);
                    let content = if key == GET_ATT {
                        self.record_get_att_parts(pointer, here);
                        split_get_att(&text)
                    } else {
                        Value::String(text.into_owned())
                    };
                    Ok(wrap(key, content))
                }
            },
            Event::SequenceStart(_, tag) => {
                let tag = node_tag(tag.as_deref(), Kind::Sequence, here)?;
                let content_pointer = intrinsic_pointer(pointer, tag.as_ref());
                self.locations.record(&content_pointer, here);
                let items = self.sequence(&content_pointer, depth)?;
                Ok(apply(tag, Value::Array(items)))
            }
            Event::MappingStart(_, tag) => {
                let tag = node_tag(tag.as_deref(), Kind::Mapping, here)?;
                if let Some(NodeTag::Intrinsic(GET_ATT)) = tag {
                    return Err(YamlError::at(
                        here,
                        "!GetAtt takes `Resource.Attribute` or a [Resource, Attribute] list, not a mapping",
                    ));
                }
                let content_pointer = intrinsic_pointer(pointer, tag.as_ref());
                self.locations.record(&content_pointer, here);
                let members = self.mapping(&content_pointer, depth)?;
                Ok(apply(tag, Value::Object(members)))
            }
            Event::Alias(_) => Err(YamlError::at(
                here,
                "YAML aliases (`*name`) are not supported by CloudFormation; repeat the value instead",
            )),
            _ => Err(YamlError::at(here, "expected a value")),
        }
    }

    fn record_get_att_parts(&mut self, pointer: &str, here: Location) {
        let list = child_pointer(pointer, GET_ATT);
        for index in ["0", "1"] {
            self.locations.record(&child_pointer(&list, index), here);
        }
    }

    fn sequence(&mut self, pointer: &str, depth: usize) -> Result<Vec<Value>, YamlError> {
        let mut items = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if event == Event::SequenceEnd {
                return Ok(items);
            }
            let item_pointer = format!("{pointer}/{}", items.len());
            items.push(self.node(event, span, &item_pointer, depth + 1)?);
        }
    }

    fn mapping(&mut self, pointer: &str, depth: usize) -> Result<Map<String, Value>, YamlError> {
        let mut members = Map::new();
        loop {
            let (event, span) = self.next()?;
            let key_location = location(&span);
            let key = match event {
                Event::MappingEnd => return Ok(members),
                Event::Scalar(text, _, _, None) => text.into_owned(),
                Event::Scalar(_, _, _, Some(_)) => {
                    return Err(YamlError::at(
                        key_location,
                        "a mapping key cannot have a tag",
                    ))
                }
                Event::Alias(_) => {
                    return Err(YamlError::at(
                        key_location,
                        "YAML aliases (`*name`) are not supported by CloudFormation",
                    ))
                }
                _ => {
                    return Err(YamlError::at(
                        key_location,
                        "a mapping key must be a scalar, not a list or mapping",
                    ))
                }
            };
            let member_pointer = child_pointer(pointer, &key);
            if members.contains_key(&key) {
                let first = self
                    .locations
                    .get(&member_pointer)
                    .map(|first| format!(" (first defined at line {})", first.line))
                    .unwrap_or_default();
                return Err(YamlError::at(
                    key_location,
                    format!("duplicate key `{key}`{first}; CloudFormation rejects duplicate keys"),
                ));
            }
            self.locations.record(&member_pointer, key_location);
            let (event, span) = self.next()?;
            let value = self.node(event, span, &member_pointer, depth + 1)?;
            members.insert(key, value);
        }
    }
}

fn node_tag(tag: Option<&Tag>, kind: Kind, here: Location) -> Result<Option<NodeTag>, YamlError> {
    let Some(tag) = tag else {
        return Ok(None);
    };
    if tag.handle == "!" {
        if let Some(key) = intrinsic::long_key(&tag.suffix) {
            return Ok(Some(NodeTag::Intrinsic(key)));
        }
    }
    if tag.is_yaml_core_schema() && tag.suffix == kind.core_tag() {
        return Ok(Some(NodeTag::Core));
    }
    Err(YamlError::at(
        here,
        format!(
            "unknown tag `{}`; CloudFormation knows !Ref, !GetAtt, !Sub and the other Fn:: short forms",
            tag_text(tag)
        ),
    ))
}

/// The tag as it is usually written, `!!str` rather than its resolved `tag:yaml.org,2002:str`.
fn tag_text(tag: &Tag) -> String {
    if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

fn intrinsic_pointer(pointer: &str, tag: Option<&NodeTag>) -> String {
    match tag {
        Some(NodeTag::Intrinsic(key)) => child_pointer(pointer, key),
        _ => pointer.to_owned(),
    }
}

fn apply(tag: Option<NodeTag>, content: Value) -> Value {
    match tag {
        Some(NodeTag::Intrinsic(key)) => wrap(key, content),
        _ => content,
    }
}

fn wrap(key: &str, content: Value) -> Value {
    let mut object = Map::new();
    object.insert(key.to_owned(), content);
    Value::Object(object)
}

/// `!GetAtt Resource.Attribute.Part` splits at the first dot only, as CloudFormation does, so
/// attributes with dots (`Endpoint.Address`) survive.
fn split_get_att(text: &str) -> Value {
    let parts = match text.split_once('.') {
        Some((resource, attribute)) => vec![resource, attribute],
        None => vec![text],
    };
    Value::Array(
        parts
            .into_iter()
            .map(|part| Value::String(part.to_owned()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[track_caller]
    fn value(text: &str) -> Value {
        match parse(text) {
            Ok(document) => document.value,
            Err(error) => panic!("{text:?} did not parse: {error}"),
        }
    }

    #[track_caller]
    fn error(text: &str) -> String {
        match parse(text) {
            Ok(document) => panic!("{text:?} parsed as {}", document.value),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn expands_every_short_form() {
        let template = "\
A: !Ref X
B: !GetAtt Res.Attr
C: !GetAtt Db.Endpoint.Address
D: !GetAtt [Res, Attr]
E: !Sub '${AWS::StackName}-x'
F: !Sub [ '${A}', { A: !Ref B } ]
G: !If [Cond, !Sub 'x', !Ref AWS::NoValue]
H: !Join ['', [a, !Ref B]]
I: !Select [0, !GetAZs '']
J: !Split [',', !ImportValue Shared]
K: !FindInMap [M, !Ref AWS::Region, K]
L: !Base64
  Fn::Sub: |
    echo hi
M: !Base64
  Fn::Join: ['', [a]]
N: !Cidr [!GetAtt Vpc.CidrBlock, 6, 8]
O: !Equals [!Ref Env, prod]
P: !And [!Condition C1, !Or [!Not [!Condition C2], !Condition C3]]
Q: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
R: !Length [1, 2]
S: !ToJsonString {a: 1}
";
        assert_eq!(
            value(template),
            json!({
                "A": {"Ref": "X"},
                "B": {"Fn::GetAtt": ["Res", "Attr"]},
                "C": {"Fn::GetAtt": ["Db", "Endpoint.Address"]},
                "D": {"Fn::GetAtt": ["Res", "Attr"]},
                "E": {"Fn::Sub": "${AWS::StackName}-x"},
                "F": {"Fn::Sub": ["${A}", {"A": {"Ref": "B"}}]},
                "G": {"Fn::If": ["Cond", {"Fn::Sub": "x"}, {"Ref": "AWS::NoValue"}]},
                "H": {"Fn::Join": ["", ["a", {"Ref": "B"}]]},
                "I": {"Fn::Select": [0, {"Fn::GetAZs": ""}]},
                "J": {"Fn::Split": [",", {"Fn::ImportValue": "Shared"}]},
                "K": {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "K"]},
                "L": {"Fn::Base64": {"Fn::Sub": "echo hi\n"}},
                "M": {"Fn::Base64": {"Fn::Join": ["", ["a"]]}},
                "N": {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 6, 8]},
                "O": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                "P": {"Fn::And": [{"Condition": "C1"}, {"Fn::Or": [{"Fn::Not": [{"Condition": "C2"}]}, {"Condition": "C3"}]}]},
                "Q": {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}},
                "R": {"Fn::Length": [1, 2]},
                "S": {"Fn::ToJsonString": {"a": 1}},
            })
        );
    }

    #[test]
    fn scalars_keep_cloudformation_types() {
        let template = "\
AWSTemplateFormatVersion: 2010-09-09
Yes: yes
Off: off
Account: 012345678901
Port: 8080
Ratio: 0.5
Flag: true
Nothing: ~
Empty:
Quoted: '123'
DoubleQuoted: \"true\"
Block: >
  folded
  text
Tagged: !Ref 123
Str: !!str 5
";
        assert_eq!(
            value(template),
            json!({
                "AWSTemplateFormatVersion": "2010-09-09",
                "Yes": "yes",
                "Off": "off",
                "Account": "012345678901",
                "Port": 8080,
                "Ratio": 0.5,
                "Flag": true,
                "Nothing": null,
                "Empty": null,
                "Quoted": "123",
                "DoubleQuoted": "true",
                "Block": "folded text\n",
                "Tagged": {"Ref": "123"},
                "Str": "5",
            })
        );
    }

    #[test]
    fn locates_members_elements_and_expanded_nodes() {
        let document = parse(
            "\
Resources:
  Api:
    Properties:
      AutoPublishAlias: live
      Layers:
        - !Ref Layer
        - x
      Role: !GetAtt R.Arn
",
        )
        .expect("valid template");
        let at = |pointer: &str| document.locations.get(pointer).map(|l| (l.line, l.column));
        assert_eq!(at(""), Some((1, 1)));
        assert_eq!(at("/Resources/Api"), Some((2, 3)));
        assert_eq!(
            at("/Resources/Api/Properties/AutoPublishAlias"),
            Some((4, 7))
        );
        assert_eq!(at("/Resources/Api/Properties/Layers/1"), Some((7, 11)));
        assert_eq!(
            at("/Resources/Api/Properties/Layers/0/Ref"),
            at("/Resources/Api/Properties/Layers/0")
        );
        assert!(at("/Resources/Api/Properties/Role/Fn::GetAtt/1").is_some());
        assert_eq!(at("/Resources/Api/Properties/Missing"), None);
        let nearest = document
            .locations
            .nearest("/Resources/Api/Properties/Missing/Deeper")
            .map(|l| (l.line, l.column));
        assert_eq!(nearest, Some((3, 5)));
    }

    #[test]
    fn keys_with_slashes_and_tildes_are_escaped_in_pointers() {
        let document = parse("Metadata:\n  a/b~c: 1\n").expect("valid");
        assert_eq!(
            document.locations.get("/Metadata/a~1b~0c").map(|l| l.line),
            Some(2)
        );
    }

    #[test]
    fn rejects_what_cloudformation_rejects() {
        assert_eq!(
            error("A: 1\nB:\n  C: 1\n  C: 2\n"),
            "4:3: duplicate key `C` (first defined at line 3); CloudFormation rejects duplicate keys"
        );
        assert!(error("A: !Reff X\n").starts_with("1:4: unknown tag `!Reff`"));
        assert!(error("A: &a 1\nB: *a\n").starts_with("2:4: YAML aliases"));
        assert!(error("A: 1\n---\nB: 2\n").contains("single YAML document"));
        assert_eq!(error(""), "the template is empty");
        assert!(error("A: !GetAtt {a: 1}\n").contains("not a mapping"));
        assert!(error("? [a]\n: 1\n").contains("must be a scalar"));
        assert!(error("A: !!map x\n").starts_with("1:4: unknown tag `!!map`"));
        assert!(error("A: !!int 5\n").starts_with("1:4: unknown tag `!!int`"));
        assert!(error("A: [1, 2\n").starts_with("2:1: "));
        // One node takes one tag; CloudFormation's documentation says the same of this form.
        assert!(error("L: !Base64 !Sub |\n  echo hi\n").starts_with("1:12: "));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let flow = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&flow).is_err());
        let block: String = (0..1_000)
            .map(|depth| format!("{}k{depth}:\n", " ".repeat(depth)))
            .collect();
        let message = error(&block);
        assert!(
            message.contains("deeper than") || message.contains("recursion limit"),
            "{message}"
        );
    }
}
