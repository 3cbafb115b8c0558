//! What the transform can know about a template before CloudFormation deploys it: parameter
//! values, pseudo parameters, mappings and the conditions they decide.
//!
//! Resolution is partial. A known `Ref` becomes its value; an unknown one (a resource, a
//! placeholder CloudFormation passes for nested change sets, `AWS::StackName`) stays as written.
//! Hashing the partially resolved tree is what makes a changed parameter publish a new version.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::error::{Diagnostics, ErrorKind};
use crate::intrinsic::{self, as_array_of, Intrinsic};
use crate::path::{Crumb, TemplatePath};
use crate::Context;

/// How deep conditions and intrinsics may nest before we stop evaluating; templates that go
/// deeper are left for CloudFormation to judge instead of risking the stack.
const MAX_DEPTH: usize = 64;

/// A parameter's value as far as the transform knows it.
#[derive(Clone, Debug, PartialEq)]
enum ParameterValue {
    Known(Value),
    /// CloudFormation will know it at deploy time but we don't (a `{{IntrinsicFunction:…}}`
    /// placeholder, or an SSM-typed parameter whose default is a parameter name, not a value).
    Unknown,
    /// Declared with neither a given value nor a `Default`.
    Missing,
}

/// The template-wide facts that intrinsics resolve against.
#[derive(Clone, Debug)]
pub(crate) struct Scope<'t> {
    parameters: BTreeMap<String, ParameterValue>,
    /// Whether any parameter is `Missing`: only then can an `Fn::Sub` text name one.
    any_missing: bool,
    /// Parameters declared `NoEcho`: their values must never reach the output.
    no_echo: BTreeSet<String>,
    pseudo: BTreeMap<&'static str, Value>,
    mappings: Option<&'t Map<String, Value>>,
    conditions: Option<&'t Map<String, Value>>,
}

impl<'t> Scope<'t> {
    pub(crate) fn new(template: &'t Map<String, Value>, ctx: &Context) -> Self {
        let mut parameters = BTreeMap::new();
        let mut no_echo = BTreeSet::new();
        if let Some(declared) = template.get("Parameters").and_then(Value::as_object) {
            for (name, declaration) in declared {
                parameters.insert(name.clone(), parameter_value(name, declaration, ctx));
                let flag = declaration.get("NoEcho");
                if flag == Some(&Value::Bool(true))
                    || flag
                        .and_then(Value::as_str)
                        .is_some_and(|f| f.eq_ignore_ascii_case("true"))
                {
                    no_echo.insert(name.clone());
                }
            }
        }
        let partition = partition_for_region(&ctx.region);
        let url_suffix = if partition == "aws-cn" {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        let mut pseudo = BTreeMap::new();
        pseudo.insert("AWS::Region", Value::from(ctx.region.as_str()));
        pseudo.insert("AWS::AccountId", Value::from(ctx.account_id.as_str()));
        pseudo.insert("AWS::Partition", Value::from(partition));
        pseudo.insert("AWS::URLSuffix", Value::from(url_suffix));
        let any_missing = parameters
            .values()
            .any(|value| *value == ParameterValue::Missing);
        Self {
            parameters,
            any_missing,
            no_echo,
            pseudo,
            mappings: template.get("Mappings").and_then(Value::as_object),
            conditions: template.get("Conditions").and_then(Value::as_object),
        }
    }

    /// The first `NoEcho` parameter that `value` refers to (`Ref`, or `${Name}` in `Fn::Sub`).
    pub(crate) fn no_echo_in<'v>(&'v self, value: &'v Value) -> Option<&'v str> {
        match value {
            Value::Array(items) => items.iter().find_map(|item| self.no_echo_in(item)),
            Value::Object(object) => {
                if let Some(Intrinsic::Ref(name)) = intrinsic::classify(object) {
                    if self.no_echo.contains(name) {
                        return Some(name);
                    }
                }
                if let Some(template) = object.get("Fn::Sub").and_then(|sub| match sub {
                    Value::Array(parts) => parts.first(),
                    text => Some(text),
                }) {
                    if let Some(text) = template.as_str() {
                        let named = self
                            .no_echo
                            .iter()
                            .find(|name| text.contains(&format!("${{{name}}}")));
                        if let Some(name) = named {
                            return Some(name);
                        }
                    }
                }
                object.values().find_map(|item| self.no_echo_in(item))
            }
            _ => None,
        }
    }

    /// This scope with every known `NoEcho` value replaced by a slow, salted digest of it, for
    /// hashing into a version's logical ID: a rotated secret still publishes a new version,
    /// but the ID, which CloudFormation shows to anyone who can read the stack, can't be
    /// checked against guesses at the cost of a plain hash.
    pub(crate) fn for_hashing(&self) -> Self {
        let mut scope = self.clone();
        for name in &self.no_echo {
            if let Some(ParameterValue::Known(value)) = scope.parameters.get_mut(name) {
                *value = Value::String(crate::digest::stretched(name, value));
            }
        }
        scope
    }

    /// Whether `name` is a parameter declared in the template.
    pub(crate) fn is_parameter(&self, name: &str) -> bool {
        self.parameters.contains_key(name)
    }

    /// Resolves everything knowable in `value`. Each `Ref` to a declared parameter with no
    /// value is reported, located under `path`.
    pub(crate) fn resolve(
        &self,
        value: &Value,
        path: &TemplatePath,
        diagnostics: &mut Diagnostics,
    ) -> Value {
        self.resolve_from(value, Crumb::At(path), diagnostics)
    }

    /// [`Scope::resolve`] from a place on the stack, for callers that would otherwise build a
    /// path for every value they resolve.
    pub(crate) fn resolve_from(
        &self,
        value: &Value,
        path: Crumb<'_>,
        diagnostics: &mut Diagnostics,
    ) -> Value {
        let mut walk = Walk {
            missing: BTreeSet::new(),
            decide_conditions: true,
        };
        self.resolve_at(value, path, 0, &mut walk, diagnostics)
    }

    /// Like [`Scope::resolve`], but every `Fn::If` stays for CloudFormation to decide, with its
    /// branches resolved. For values CloudFormation can evaluate itself, where keeping the
    /// condition keeps the output faithful to the template.
    pub(crate) fn resolve_keeping_conditions(
        &self,
        value: &Value,
        path: &TemplatePath,
        diagnostics: &mut Diagnostics,
    ) -> Value {
        self.resolve_with(value, path, false, diagnostics)
    }

    fn resolve_with(
        &self,
        value: &Value,
        path: &TemplatePath,
        decide_conditions: bool,
        diagnostics: &mut Diagnostics,
    ) -> Value {
        let mut walk = Walk {
            missing: BTreeSet::new(),
            decide_conditions,
        };
        self.resolve_at(value, Crumb::At(path), 0, &mut walk, diagnostics)
    }

    fn resolve_at(
        &self,
        value: &Value,
        path: Crumb<'_>,
        depth: usize,
        walk: &mut Walk,
        diagnostics: &mut Diagnostics,
    ) -> Value {
        if depth > MAX_DEPTH {
            return value.clone();
        }
        match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        self.resolve_at(item, path.index(i), depth + 1, walk, diagnostics)
                    })
                    .collect(),
            ),
            Value::Object(object) => match intrinsic::classify(object) {
                Some(Intrinsic::Ref(name)) => match self.lookup(name) {
                    Lookup::Known(known) => known,
                    Lookup::Missing => {
                        if walk.missing.insert(name.to_owned()) {
                            diagnostics.error(
                                path.key("Ref").to_path(),
                                ErrorKind::ParameterWithoutValue(name.to_owned()),
                            );
                        }
                        value.clone()
                    }
                    Lookup::Unknown => value.clone(),
                },
                Some(Intrinsic::Function(name, args)) => {
                    if name == "Fn::Sub" {
                        self.report_missing_in_sub(args, path.key(name), walk, diagnostics);
                    }
                    // Only the branch CloudFormation will take matters, so only it is resolved.
                    if name == "Fn::If" && walk.decide_conditions {
                        if let Some((index, branch)) = self.decided_branch(args, depth) {
                            let function_path = path.key(name);
                            let branch_path = function_path.index(index);
                            return self.resolve_at(
                                branch,
                                branch_path,
                                depth + 1,
                                walk,
                                diagnostics,
                            );
                        }
                    }
                    let args = self.resolve_at(args, path.key(name), depth + 1, walk, diagnostics);
                    self.apply(name, args)
                }
                Some(Intrinsic::Condition(_)) | None => Value::Object(
                    object
                        .iter()
                        .map(|(key, item)| {
                            let item =
                                self.resolve_at(item, path.key(key), depth + 1, walk, diagnostics);
                            (key.clone(), item)
                        })
                        .collect(),
                ),
            },
            scalar => scalar.clone(),
        }
    }
    /// A parameter with no value named in an `Fn::Sub` text, as a `Ref` to it is reported.
    fn report_missing_in_sub(
        &self,
        args: &Value,
        path: Crumb<'_>,
        walk: &mut Walk,
        diagnostics: &mut Diagnostics,
    ) {
        if !self.any_missing {
            return;
        }
        let (text, variables) = match args {
            Value::String(text) => (text.as_str(), None),
            Value::Array(parts) => match parts.as_slice() {
                [Value::String(text), Value::Object(variables)] => (text.as_str(), Some(variables)),
                _ => return,
            },
            _ => return,
        };
        let mut missing = Vec::new();
        intrinsic::map_sub_variables(text, |variable| {
            let given = variables.is_some_and(|v| v.contains_key(variable));
            if !given && self.lookup(variable) == Lookup::Missing {
                missing.push(variable.to_owned());
            }
            None
        });
        for name in missing {
            if walk.missing.insert(name.clone()) {
                diagnostics.error(path.to_path(), ErrorKind::ParameterWithoutValue(name));
            }
        }
    }
}

/// Evaluating the intrinsics and conditions whose inputs are known.
impl Scope<'_> {
    /// Evaluates one intrinsic whose arguments are already resolved, or rebuilds it as is.
    fn apply(&self, name: &str, args: Value) -> Value {
        let evaluated = match name {
            "Fn::Sub" => self.substitute(&args),
            "Fn::FindInMap" => self.find_in_map(&args),
            "Fn::Join" => join(&args),
            "Fn::Select" => select(&args),
            "Fn::Split" => split(&args),
            _ => None,
        };
        evaluated.unwrap_or_else(|| rebuild(name, args))
    }

    /// The branch of an `Fn::If` that known values decide, with its index in the arguments.
    fn decided_branch<'v>(&self, args: &'v Value, depth: usize) -> Option<(usize, &'v Value)> {
        let [condition, when_true, when_false] = as_array_of::<3>(args)?;
        match self.condition(condition.as_str()?, depth + 1)? {
            true => Some((1, when_true)),
            false => Some((2, when_false)),
        }
    }

    fn lookup(&self, name: &str) -> Lookup {
        if let Some(value) = self.pseudo.get(name) {
            return Lookup::Known(value.clone());
        }
        match self.parameters.get(name) {
            Some(ParameterValue::Known(value)) => Lookup::Known(value.clone()),
            Some(ParameterValue::Missing) => Lookup::Missing,
            Some(ParameterValue::Unknown) | None => Lookup::Unknown,
        }
    }

    /// The value of a `${Name}` inside `Fn::Sub`, when it is a known string.
    fn known_string(&self, name: &str) -> Option<String> {
        match self.lookup(name) {
            Lookup::Known(Value::String(s)) => Some(s),
            Lookup::Known(Value::Number(n)) => Some(n.to_string()),
            Lookup::Known(Value::Bool(b)) => Some(b.to_string()),
            _ => None,
        }
    }

    fn substitute(&self, args: &Value) -> Option<Value> {
        let (text, variables) = match args {
            Value::String(text) => (text.as_str(), None),
            Value::Array(parts) => match parts.as_slice() {
                [Value::String(text), Value::Object(variables)] => (text.as_str(), Some(variables)),
                _ => return None,
            },
            _ => return None,
        };
        let mut unresolved = false;
        let rewritten = intrinsic::map_sub_variables(text, |variable| {
            let value = match variables.and_then(|v| v.get(variable)) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                Some(_) => None,
                None if variable.contains('.') => None,
                None => self.known_string(variable),
            };
            // A value that itself looks like a variable would be re-read by CloudFormation.
            match value {
                Some(v) if !v.contains("${") => Some(v),
                _ => {
                    unresolved = true;
                    None
                }
            }
        });
        if unresolved {
            let rebuilt = match variables {
                Some(variables) => Value::Array(vec![
                    Value::String(rewritten),
                    Value::Object(variables.clone()),
                ]),
                None => Value::String(rewritten),
            };
            Some(rebuild("Fn::Sub", rebuilt))
        } else {
            Some(Value::String(intrinsic::unescape_sub_literals(&rewritten)))
        }
    }

    fn find_in_map(&self, args: &Value) -> Option<Value> {
        let args = args.as_array()?;
        let (map, top, second) = match args.as_slice() {
            [Value::String(m), Value::String(t), Value::String(s)] => (m, t, s),
            [Value::String(m), Value::String(t), Value::String(s), _default] => (m, t, s),
            _ => return None,
        };
        let found = self
            .mappings?
            .get(map)
            .and_then(|m| m.get(top))
            .and_then(|t| t.get(second))
            .cloned();
        match (found, args.get(3)) {
            (Some(found), _) => Some(found),
            // LanguageExtensions' `DefaultValue` form.
            (None, Some(Value::Object(default))) => default.get("DefaultValue").cloned(),
            (None, _) => None,
        }
    }

    /// `Some(bool)` when the named condition can be decided from known values alone.
    pub(crate) fn condition(&self, name: &str, depth: usize) -> Option<bool> {
        let definition = self.conditions?.get(name)?;
        self.evaluate_condition(definition, depth + 1)
    }

    fn evaluate_condition(&self, definition: &Value, depth: usize) -> Option<bool> {
        if depth > MAX_DEPTH {
            return None;
        }
        let object = definition.as_object()?;
        match intrinsic::classify(object)? {
            Intrinsic::Condition(name) => self.condition(name, depth),
            Intrinsic::Function("Fn::Equals", args) => {
                let [left, right] = as_array_of::<2>(args)?;
                let mut ignored = Diagnostics::default();
                let root = TemplatePath::root();
                let mut walk = Walk {
                    missing: BTreeSet::new(),
                    decide_conditions: true,
                };
                let left = self.resolve_at(left, Crumb::At(&root), depth, &mut walk, &mut ignored);
                let right =
                    self.resolve_at(right, Crumb::At(&root), depth, &mut walk, &mut ignored);
                Some(scalar_text(&left)? == scalar_text(&right)?)
            }
            Intrinsic::Function("Fn::Not", args) => {
                let [inner] = as_array_of::<1>(args)?;
                self.evaluate_condition(inner, depth + 1).map(|b| !b)
            }
            Intrinsic::Function(op @ ("Fn::And" | "Fn::Or"), args) => {
                let is_and = op == "Fn::And";
                let mut undecided = false;
                for inner in args.as_array()? {
                    match self.evaluate_condition(inner, depth + 1) {
                        Some(b) if b != is_and => return Some(!is_and),
                        Some(_) => {}
                        None => undecided = true,
                    }
                }
                if undecided {
                    None
                } else {
                    Some(is_and)
                }
            }
            _ => None,
        }
    }
}

/// State of one resolution.
struct Walk {
    /// Parameters already reported as missing, so each is reported once.
    missing: BTreeSet<String>,
    decide_conditions: bool,
}

#[derive(PartialEq)]
enum Lookup {
    Known(Value),
    Unknown,
    Missing,
}

fn parameter_value(name: &str, declaration: &Value, ctx: &Context) -> ParameterValue {
    let kind = declaration
        .get("Type")
        .and_then(Value::as_str)
        .unwrap_or("String");
    let given = ctx.parameter_values.get(name);
    let value = match given {
        Some(value) => value.clone(),
        // The default of an SSM-typed parameter is the SSM parameter's name, not its value.
        None if kind.starts_with("AWS::SSM::Parameter::Value") => return ParameterValue::Unknown,
        None => match declaration.get("Default") {
            Some(default) => default.clone(),
            None => return ParameterValue::Missing,
        },
    };
    if let Value::String(text) = &value {
        if text.starts_with("{{IntrinsicFunction:") {
            return ParameterValue::Unknown;
        }
    }
    let is_list = kind == "CommaDelimitedList" || kind.starts_with("List<");
    let value = match value {
        Value::String(text) if is_list => Value::Array(
            text.split(',')
                .map(|item| Value::from(item.trim()))
                .collect(),
        ),
        // CloudFormation hands every scalar parameter to templates as a string.
        Value::Number(n) if !is_list => Value::String(n.to_string()),
        Value::Bool(b) if !is_list => Value::String(b.to_string()),
        other => other,
    };
    ParameterValue::Known(value)
}

/// The partition a region belongs to, by prefix.
pub(crate) fn partition_for_region(region: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 7] = [
        ("cn-", "aws-cn"),
        ("us-gov", "aws-us-gov"),
        ("us-isob", "aws-iso-b"),
        ("us-isof", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

fn rebuild(name: &str, args: Value) -> Value {
    let mut object = Map::with_capacity(1);
    object.insert(name.to_owned(), args);
    Value::Object(object)
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn join(args: &Value) -> Option<Value> {
    let [Value::String(separator), Value::Array(items)] = as_array_of::<2>(args)? else {
        return None;
    };
    let parts: Option<Vec<String>> = items.iter().map(scalar_text).collect();
    Some(Value::String(parts?.join(separator)))
}

fn select(args: &Value) -> Option<Value> {
    let [index, Value::Array(items)] = as_array_of::<2>(args)? else {
        return None;
    };
    let index: usize = scalar_text(index)?.parse().ok()?;
    let chosen = items.get(index)?;
    intrinsic::is_literal(chosen).then(|| chosen.clone())
}

fn split(args: &Value) -> Option<Value> {
    let [Value::String(separator), Value::String(text)] = as_array_of::<2>(args)? else {
        return None;
    };
    if separator.is_empty() {
        return None;
    }
    Some(Value::Array(
        text.split(separator.as_str()).map(Value::from).collect(),
    ))
}
