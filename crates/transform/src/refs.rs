//! `<Function>.Alias` and `<Function>.Version`: the names users write for resources gradual
//! generates, rewritten to their logical IDs in `Ref`, `Fn::GetAtt`, `Fn::Sub` and `DependsOn`.

use serde_json::{Map, Value};

use crate::error::{Diagnostics, ErrorKind};
use crate::intrinsic::{self, Intrinsic};
use crate::path::Crumb;

/// Which generated resource a reference names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Member {
    Alias,
    Version,
}

impl Member {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Alias => "Alias",
            Self::Version => "Version",
        }
    }
}

/// What one `<Function>.<Member>` reference becomes.
pub(crate) enum Rewrite {
    /// Not a reference gradual owns: leave it for CloudFormation.
    Keep,
    /// Rewrite to this logical ID.
    To(String),
    /// A reference gradual owns but cannot satisfy.
    Error(ErrorKind),
}

/// Splits `Fn.Alias`, `Fn.Alias.Name` or `Fn.Version.Version` into its parts.
fn split_reference(dotted: &str) -> Option<(&str, Member, Option<&str>)> {
    let (function, rest) = dotted.split_once('.')?;
    split_member(function, rest)
}

/// `function` and what follows its first `.`, as [`split_reference`] reads them.
fn split_member<'a>(
    function: &'a str,
    rest: &'a str,
) -> Option<(&'a str, Member, Option<&'a str>)> {
    let (member, attribute) = match rest.split_once('.') {
        Some((member, attribute)) => (member, Some(attribute)),
        None => (rest, None),
    };
    let member = match member {
        "Alias" => Member::Alias,
        "Version" => Member::Version,
        _ => return None,
    };
    Some((function, member, attribute))
}

/// Rewrites every owned reference inside `value`, reporting unsatisfiable ones under `path`.
pub(crate) fn rewrite(
    value: &mut Value,
    path: Crumb<'_>,
    rewrite_to: &dyn Fn(&str, Member) -> Rewrite,
    diagnostics: &mut Diagnostics,
) {
    walk(value, path, rewrite_to, diagnostics);
}

fn walk(
    value: &mut Value,
    path: Crumb<'_>,
    rewrite_to: &dyn Fn(&str, Member) -> Rewrite,
    diagnostics: &mut Diagnostics,
) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(item, path.index(i), rewrite_to, diagnostics);
            }
        }
        Value::Object(object) => {
            let kind = intrinsic::classify(object).map(|i| match i {
                Intrinsic::Ref(_) => "Ref",
                Intrinsic::Function(name, _) => match name {
                    "Fn::GetAtt" => "Fn::GetAtt",
                    "Fn::Sub" => "Fn::Sub",
                    _ => "",
                },
                Intrinsic::Condition(_) => "",
            });
            match kind {
                Some("Ref") => rewrite_ref(object, path, rewrite_to, diagnostics),
                Some("Fn::GetAtt") => rewrite_get_att(object, path, rewrite_to, diagnostics),
                Some("Fn::Sub") => rewrite_sub(object, path, rewrite_to, diagnostics),
                _ => {}
            }
            for (key, item) in object.iter_mut() {
                walk(item, path.key(key), rewrite_to, diagnostics);
            }
        }
        _ => {}
    }
}

fn resolve_one(
    dotted: &str,
    path: Crumb<'_>,
    rewrite_to: &dyn Fn(&str, Member) -> Rewrite,
    diagnostics: &mut Diagnostics,
) -> Option<(String, Option<String>)> {
    resolve_split(split_reference(dotted)?, path, rewrite_to, diagnostics)
}

fn resolve_split(
    (function, member, attribute): (&str, Member, Option<&str>),
    path: Crumb<'_>,
    rewrite_to: &dyn Fn(&str, Member) -> Rewrite,
    diagnostics: &mut Diagnostics,
) -> Option<(String, Option<String>)> {
    match rewrite_to(function, member) {
        Rewrite::Keep => None,
        Rewrite::To(id) => Some((id, attribute.map(str::to_owned))),
        Rewrite::Error(kind) => {
            diagnostics.error(path.to_path(), kind);
            None
        }
    }
}

fn rewrite_ref(
    object: &mut Map<String, Value>,
    path: Crumb<'_>,
    rewrite_to: &dyn Fn(&str, Member) -> Rewrite,
    diagnostics: &mut Diagnostics,
) {
    let Some(Value::String(name)) = object.get("Ref") else {
        return;
    };
    if let Some((id, None)) = resolve_one(name, path.key("Ref"), rewrite_to, diagnostics) {
        object.insert("Ref".to_owned(), Value::String(id));
    }
}

fn rewrite_get_att(
    object: &mut Map<String, Value>,
    path: Crumb<'_>,
    rewrite_to: &dyn Fn(&str, Member) -> Rewrite,
    diagnostics: &mut Diagnostics,
) {
    // `[Fn, Alias.Name]`, `[Fn.Alias, Name]` and `"Fn.Alias.Name"` all mean the same. Only a
    // resource name with a `.` in it needs the two joined to be read.
    let joined;
    let split = match object.get("Fn::GetAtt") {
        Some(Value::String(dotted)) => split_reference(dotted),
        Some(Value::Array(parts)) => match parts.as_slice() {
            [Value::String(resource), Value::String(attribute)] if !resource.contains('.') => {
                split_member(resource, attribute)
            }
            [Value::String(resource), Value::String(attribute)] => {
                joined = format!("{resource}.{attribute}");
                split_reference(&joined)
            }
            _ => return,
        },
        _ => return,
    };
    let Some(split) = split else {
        return;
    };
    if let Some((id, Some(attribute))) =
        resolve_split(split, path.key("Fn::GetAtt"), rewrite_to, diagnostics)
    {
        object.insert(
            "Fn::GetAtt".to_owned(),
            Value::Array(vec![Value::String(id), Value::String(attribute)]),
        );
    }
}

fn rewrite_sub(
    object: &mut Map<String, Value>,
    path: Crumb<'_>,
    rewrite_to: &dyn Fn(&str, Member) -> Rewrite,
    diagnostics: &mut Diagnostics,
) {
    let sub_path = path.key("Fn::Sub");
    let first = sub_path.index(0);
    let (text, text_path) = match object.get_mut("Fn::Sub") {
        Some(Value::String(text)) => (text, sub_path),
        Some(Value::Array(parts)) => match parts.first_mut() {
            Some(Value::String(text)) => (text, first),
            _ => return,
        },
        _ => return,
    };
    let rewritten = intrinsic::map_sub_variables(text, |variable| {
        let (id, attribute) = resolve_one(variable, text_path, rewrite_to, diagnostics)?;
        Some(match attribute {
            Some(attribute) => format!("${{{id}.{attribute}}}"),
            None => format!("${{{id}}}"),
        })
    });
    *text = rewritten;
}

/// Rewrites a resource's `DependsOn`, which names resources directly rather than through
/// intrinsics.
pub(crate) fn rewrite_depends_on(
    resource: &mut Map<String, Value>,
    path: Crumb<'_>,
    rewrite_to: &dyn Fn(&str, Member) -> Rewrite,
    diagnostics: &mut Diagnostics,
) {
    let depends_path = path.key("DependsOn");
    let mut rewrite_name = |name: &mut Value, at: Crumb<'_>| {
        if let Value::String(text) = name {
            if let Some((id, None)) = resolve_one(text, at, rewrite_to, diagnostics) {
                *text = id;
            }
        }
    };
    match resource.get_mut("DependsOn") {
        Some(Value::Array(names)) => {
            for (i, name) in names.iter_mut().enumerate() {
                rewrite_name(name, depends_path.index(i));
            }
        }
        Some(name) => rewrite_name(name, depends_path),
        None => {}
    }
}

/// The functions whose `.Version` `value` names, without changing anything.
pub(crate) fn versions_named(value: &Value, out: &mut Vec<String>) {
    let mut note = |dotted: &str| {
        if let Some((function, Member::Version, _)) = split_reference(dotted) {
            out.push(function.to_owned());
        }
    };
    match value {
        Value::Array(items) => items.iter().for_each(|item| versions_named(item, out)),
        Value::Object(object) => {
            match intrinsic::classify(object) {
                Some(Intrinsic::Ref(name)) => note(name),
                Some(Intrinsic::Function("Fn::GetAtt", Value::String(dotted))) => note(dotted),
                Some(Intrinsic::Function("Fn::GetAtt", Value::Array(parts))) => {
                    if let [Value::String(resource), Value::String(attribute)] = parts.as_slice() {
                        note(&format!("{resource}.{attribute}"));
                    }
                }
                Some(Intrinsic::Function("Fn::Sub", args)) => {
                    let text = match args {
                        Value::String(text) => Some(text.as_str()),
                        Value::Array(parts) => parts.first().and_then(Value::as_str),
                        _ => None,
                    };
                    if let Some(text) = text {
                        intrinsic::map_sub_variables(text, |variable| {
                            note(variable);
                            None
                        });
                    }
                }
                _ => {}
            }
            object.values().for_each(|item| versions_named(item, out));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::TemplatePath;
    use serde_json::json;

    fn rewrite_to(function: &str, member: Member) -> Rewrite {
        match (function, member) {
            ("Fn", Member::Alias) => Rewrite::To("FnAliaslive".into()),
            ("Fn", Member::Version) => Rewrite::To("FnVersion0123456789".into()),
            ("Plain", _) => Rewrite::Error(ErrorKind::invalid("no alias")),
            _ => Rewrite::Keep,
        }
    }

    #[test]
    fn rewrites_every_spelling() {
        let mut value = json!({
            "a": {"Ref": "Fn.Alias"},
            "b": {"Fn::GetAtt": ["Fn", "Version.Version"]},
            "c": {"Fn::GetAtt": ["Fn.Alias", "Name"]},
            "d": {"Fn::Sub": "${Fn.Alias}/${Fn.Version.Version}/${!Fn.Alias}/${Other.Alias}"},
            "e": {"Fn::Sub": ["${Fn.Alias}", {"X": {"Ref": "Fn.Version"}}]},
            "f": {"Ref": "Other.Alias"},
        });
        let mut diagnostics = Diagnostics::default();
        let root = TemplatePath::root();
        rewrite(&mut value, Crumb::At(&root), &rewrite_to, &mut diagnostics);
        assert!(diagnostics.finish().is_ok());
        assert_eq!(
            value,
            json!({
                "a": {"Ref": "FnAliaslive"},
                "b": {"Fn::GetAtt": ["FnVersion0123456789", "Version"]},
                "c": {"Fn::GetAtt": ["FnAliaslive", "Name"]},
                "d": {"Fn::Sub": "${FnAliaslive}/${FnVersion0123456789.Version}/${!Fn.Alias}/${Other.Alias}"},
                "e": {"Fn::Sub": ["${FnAliaslive}", {"X": {"Ref": "FnVersion0123456789"}}]},
                "f": {"Ref": "Other.Alias"},
            })
        );
    }

    #[test]
    fn unsatisfiable_references_are_located() {
        let mut value = json!({"x": [{"Ref": "Plain.Alias"}]});
        let mut diagnostics = Diagnostics::default();
        let outputs = TemplatePath::root().key("Outputs");
        rewrite(
            &mut value,
            Crumb::At(&outputs),
            &rewrite_to,
            &mut diagnostics,
        );
        let errors = diagnostics
            .finish()
            .expect_err("one unsatisfiable reference");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors.as_slice()[0].path.to_string(), "Outputs.x[0].Ref");
    }
}
