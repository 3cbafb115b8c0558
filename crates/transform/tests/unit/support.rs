//! The shared base template, the snippet format, and renderers that show only the part of the
//! output a test is about.
//!
//! # Snippets
//!
//! Every test writes a YAML snippet (CloudFormation short forms allowed), laid over [`BASE`]:
//!
//! - `Parameters`, `Mappings`, `Conditions`, `Resources`, `Outputs` and `Transform` are merged
//!   into the template's sections (so `Resources: {Api: {Condition: IsProd}}` adds to the base
//!   function, and any other resource is added after it);
//! - `Given` holds the values passed for parameters (`Context::parameter_values`), plus
//!   `AWS::Region` and `AWS::AccountId` for the context's region and account;
//! - every other key is a property of the base function `Api`.
//!
//! Objects merge key by key (a resource's `{Condition: X}` too); any other value, or an
//! intrinsic, replaces what was there, and `~` (null) removes it (`AutoPublishAlias: ~`).
//! Several snippets can be laid in turn ([`check_layered`]), as the SAM tests do over a
//! SAM-expanded base.
//!
//! # Renderings
//!
//! Errors always render one per line as the library formats them, `path: message`; warnings
//! the same, prefixed `warning: `. Values render inline with short-form tags (`!Ref X`,
//! `!GetAtt X.Arn`). The 10-hex-digit hash of each generated version is shown as `<hash>`
//! (the tests of the hash itself compare versions instead, see [`check_versions`]). Each
//! module picks a view: [`aliases`], [`deployment`], [`changes`], or one of its own.

use expect_test::Expect;
use gradual_transform::{transform, Context, Output, TransformErrors};
use serde_json::{Map, Value};

/// One minimal valid template: a single function with what Lambda requires, published as
/// alias `live`.
pub const BASE: &str = r"
Resources:
  Api:
    Type: AWS::Lambda::Function
    Properties:
      Code: {S3Bucket: artifacts, S3Key: api.zip}
      Handler: index.handler
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/api
      AutoPublishAlias: live
";

const SECTIONS: [&str; 6] = [
    "Parameters",
    "Mappings",
    "Conditions",
    "Resources",
    "Outputs",
    "Transform",
];

/// A template and the context to transform it in.
pub struct Case {
    pub template: Value,
    pub ctx: Context,
}

/// [`BASE`] with `snippet` laid over it.
pub fn case(snippet: &str) -> Case {
    layered(&[snippet])
}

/// [`BASE`] with each snippet laid over it in turn.
pub fn layered(snippets: &[&str]) -> Case {
    let mut template = yaml(BASE);
    let mut ctx = Context::default();
    for snippet in snippets {
        lay(&mut template, &mut ctx, snippet);
    }
    Case { template, ctx }
}

fn lay(template: &mut Value, ctx: &mut Context, snippet: &str) {
    let Value::Object(snippet) = yaml(snippet) else {
        panic!("a snippet is a YAML mapping");
    };
    for (key, value) in snippet {
        if key == "Given" {
            give(ctx, value);
        } else if SECTIONS.contains(&key.as_str()) {
            merge_key(root_mut(template), &key, value);
        } else {
            let api = template
                .pointer_mut("/Resources/Api/Properties")
                .and_then(Value::as_object_mut)
                .expect("the base function has properties");
            merge_key(api, &key, value);
        }
    }
}

fn root_mut(template: &mut Value) -> &mut Map<String, Value> {
    template.as_object_mut().expect("a template is a mapping")
}

/// Applies a `Given` mapping to the context.
pub fn give(ctx: &mut Context, given: Value) {
    let Value::Object(given) = given else {
        panic!("Given is a mapping of parameter names to values");
    };
    for (name, value) in given {
        match (name.as_str(), value) {
            ("AWS::Region", Value::String(region)) => ctx.region = region,
            ("AWS::AccountId", Value::String(account)) => ctx.account_id = account,
            (_, value) => {
                ctx.parameter_values.insert(name, value);
            }
        }
    }
}

/// Parses a snippet written in an indented raw string: the common indentation is removed.
pub fn yaml(text: &str) -> Value {
    let indent = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let text: String = text
        .lines()
        .map(|line| line.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    if text.trim().is_empty() {
        return Value::Object(Map::new());
    }
    match gradual_yaml::parse(&text) {
        Ok(document) => document.value,
        Err(error) => panic!("snippet is not valid YAML: {error}\n{text}"),
    }
}

fn is_intrinsic(object: &Map<String, Value>) -> bool {
    object.len() == 1
        && object
            .keys()
            .all(|key| key == "Ref" || key == "Condition" || key.starts_with("Fn::"))
}

fn merge_key(target: &mut Map<String, Value>, key: &str, value: Value) {
    match (target.get_mut(key), value) {
        (_, Value::Null) => {
            target.shift_remove(key);
        }
        // `{Condition: X}` is a resource's condition here, not an intrinsic.
        (Some(Value::Object(existing)), Value::Object(overlay))
            if !is_intrinsic(&overlay) || overlay.contains_key("Condition") =>
        {
            for (key, value) in overlay {
                merge_key(existing, &key, value);
            }
        }
        (_, value) => {
            target.insert(key.to_owned(), value);
        }
    }
}

/// Transforms [`BASE`] with `snippet` laid over it.
pub fn run(snippet: &str) -> (Case, Result<Output, TransformErrors>) {
    run_layered(&[snippet])
}

fn run_layered(snippets: &[&str]) -> (Case, Result<Output, TransformErrors>) {
    let case = layered(snippets);
    let result = transform(case.template.clone(), &case.ctx);
    (case, result)
}

/// Every error, one per line, as the library formats it.
pub fn error_lines(errors: &TransformErrors) -> String {
    errors
        .as_slice()
        .iter()
        .map(|error| format!("{error}\n"))
        .collect()
}

/// Transforms the snippet and checks `render`'s view of the output, followed by any warnings;
/// or the errors, when there are any.
pub fn check(snippet: &str, render: impl Fn(&View<'_>) -> String, expect: Expect) {
    check_layered(&[snippet], render, expect);
}

/// [`check`] with several snippets laid over the base in turn.
pub fn check_layered(snippets: &[&str], render: impl Fn(&View<'_>) -> String, expect: Expect) {
    let (case, result) = run_layered(snippets);
    let actual = match result {
        Err(errors) => error_lines(&errors),
        Ok(output) => {
            let view = View {
                input: &case.template,
                output: &output,
            };
            let mut text = render(&view);
            for warning in &output.warnings {
                text.push_str(&format!("warning: {warning}\n"));
            }
            hide_hashes(&text, &view)
        }
    };
    expect.assert_eq(&actual);
}

/// Only the errors (or `ok` when there are none).
pub fn check_errors(snippet: &str, expect: Expect) {
    let (_, result) = run(snippet);
    let actual = match result {
        Err(errors) => error_lines(&errors),
        Ok(_) => "ok\n".to_owned(),
    };
    expect.assert_eq(&actual);
}

/// A transformed template next to the input it came from.
pub struct View<'a> {
    pub input: &'a Value,
    pub output: &'a Output,
}

impl View<'_> {
    pub fn resources(&self) -> &Map<String, Value> {
        self.output.template["Resources"]
            .as_object()
            .expect("the output has resources")
    }

    /// Resources the transform added, in output order.
    pub fn generated(&self) -> impl Iterator<Item = (&String, &Value)> {
        let input = self.input["Resources"].as_object();
        self.resources()
            .iter()
            .filter(move |(id, _)| input.is_none_or(|input| !input.contains_key(*id)))
    }

    /// Added resources of `resource_type`.
    pub fn generated_of<'s>(
        &'s self,
        resource_type: &'s str,
    ) -> impl Iterator<Item = (&'s String, &'s Value)> {
        self.generated()
            .filter(move |(_, resource)| resource["Type"] == resource_type)
    }

    /// The one added resource of `resource_type`.
    pub fn one<'s>(&'s self, resource_type: &'s str) -> Option<(&'s String, &'s Value)> {
        let mut found = self.generated_of(resource_type);
        let first = found.next();
        assert!(found.next().is_none(), "more than one {resource_type}");
        first
    }

    /// Conditions in the output that were not in the input.
    pub fn generated_conditions(&self) -> Vec<(&String, &Value)> {
        let input = self.input["Conditions"].as_object();
        self.output.template["Conditions"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(id, _)| input.is_none_or(|input| !input.contains_key(*id)))
            .collect()
    }
}

/// Replaces the hash in each generated version's ID (and wherever it is reused, as in guard
/// alarm IDs) with `<hash>`.
fn hide_hashes(text: &str, view: &View<'_>) -> String {
    let mut text = text.to_owned();
    let hashes: Vec<String> = view
        .generated_of("AWS::Lambda::Version")
        .filter_map(|(id, _)| id.rsplit("Version").next().map(str::to_owned))
        .filter(|hash| hash.len() == 10)
        .collect();
    for hash in hashes {
        text = text.replace(&hash, "<hash>");
    }
    text
}

/// `value` on one line, YAML flow style with short-form tags.
pub fn inline(value: &Value) -> String {
    match value {
        Value::String(text) => plain_or_quoted(text),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(object) if is_intrinsic(object) => {
            let (key, args) = object.iter().next().expect("one member");
            let tag = key.strip_prefix("Fn::").unwrap_or(key);
            match (tag, args) {
                ("GetAtt", Value::Array(parts)) if parts.iter().all(Value::is_string) => {
                    let parts: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
                    format!("!GetAtt {}", parts.join("."))
                }
                _ => format!("!{tag} {}", inline(args)),
            }
        }
        Value::Object(object) => {
            let members: Vec<String> = object
                .iter()
                .map(|(key, value)| format!("{}: {}", plain_or_quoted(key), inline(value)))
                .collect();
            format!("{{{}}}", members.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

fn plain_or_quoted(text: &str) -> String {
    let plain = !text.is_empty()
        && !text.starts_with([' ', '!', '&', '*', '-', '?', '|', '>', '\'', '"', '%', '@'])
        && !text.ends_with(' ')
        && !text.contains([',', '[', ']', '{', '}', '#', '\n'])
        && !text.contains(": ")
        && !matches!(text, "true" | "false" | "null" | "~")
        && text.parse::<f64>().is_err();
    if plain {
        text.to_owned()
    } else {
        Value::from(text).to_string()
    }
}

/// `<id>.<key>: <value>` for each of `keys` the resource has (`Properties` keys, or
/// `Condition`, `DependsOn`, `UpdatePolicy`, `DeletionPolicy` on the resource itself).
pub fn fields(id: &str, resource: &Value, keys: &[&str]) -> String {
    let mut out = String::new();
    for key in keys {
        let value = resource
            .get(key)
            .filter(|_| is_attribute(key))
            .or_else(|| resource.pointer(&format!("/Properties/{key}")));
        if let Some(value) = value {
            out.push_str(&format!("{id}.{key}: {}\n", inline(value)));
        }
    }
    out
}

fn is_attribute(key: &str) -> bool {
    matches!(
        key,
        "Condition" | "DependsOn" | "UpdatePolicy" | "DeletionPolicy" | "UpdateReplacePolicy"
    )
}

/// Every property but `hidden`, with the resource's `Condition` first.
pub fn all_fields_but(id: &str, resource: &Value, hidden: &[&str]) -> String {
    let mut keys = vec!["Condition"];
    if let Some(properties) = resource.get("Properties").and_then(Value::as_object) {
        keys.extend(
            properties
                .keys()
                .map(String::as_str)
                .filter(|key| !hidden.contains(key)),
        );
    }
    fields(id, resource, &keys)
}

// ---------------------------------------------------------------------------------------------
// Views used by more than one module.

/// The generated aliases: `<logical ID>: <Name>`.
pub fn aliases(view: &View<'_>) -> String {
    view.generated_of("AWS::Lambda::Alias")
        .map(|(id, alias)| format!("{id}: {}\n", inline(&alias["Properties"]["Name"])))
        .collect()
}

/// Properties of the deployment group every preference has unless it says otherwise; the
/// deployment views leave them out.
fn is_group_default(key: &str, value: &Value) -> bool {
    let default = match key {
        "ApplicationName" => serde_json::json!({"Ref": "ServerlessDeploymentApplication"}),
        "DeploymentStyle" => serde_json::json!({
            "DeploymentOption": "WITH_TRAFFIC_CONTROL",
            "DeploymentType": "BLUE_GREEN"
        }),
        "ServiceRoleArn" => serde_json::json!({"Fn::GetAtt": ["CodeDeployServiceRole", "Arn"]}),
        "AlarmConfiguration" => serde_json::json!({"Alarms": [], "Enabled": false}),
        "AutoRollbackConfiguration" => serde_json::json!({
            "Enabled": true,
            "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]
        }),
        _ => return false,
    };
    value == &default
}

/// What a deployment preference produced: the group's properties that differ from every
/// preference's defaults, the hooks in the alias's update policy, and each generated
/// deployment config. `no deployment group` when there is none.
pub fn deployment(view: &View<'_>) -> String {
    let mut out = String::new();
    match view.one("AWS::CodeDeploy::DeploymentGroup") {
        Some((id, group)) => {
            out.push_str(&fields(id, group, &["Condition"]));
            if let Some(properties) = group["Properties"].as_object() {
                for (key, value) in properties {
                    if !is_group_default(key, value) {
                        out.push_str(&format!("{id}.{key}: {}\n", inline(value)));
                    }
                }
            }
        }
        None => out.push_str("no deployment group\n"),
    }
    for (id, alias) in view.generated_of("AWS::Lambda::Alias") {
        let policy = &alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"];
        for hook in ["BeforeAllowTrafficHook", "AfterAllowTrafficHook"] {
            if let Some(value) = policy.get(hook) {
                out.push_str(&format!("{id}.{hook}: {}\n", inline(value)));
            }
        }
    }
    for (id, config) in view.generated_of("AWS::CodeDeploy::DeploymentConfig") {
        out.push_str(&all_fields_but(id, config, &["ComputePlatform"]));
    }
    out
}

/// One line per IAM statement: `Allow <actions> on <resources>`, with any condition.
pub fn statements(document: &Value) -> String {
    let mut out = String::new();
    for statement in document["Statement"].as_array().into_iter().flatten() {
        out.push_str(&statement_line(statement));
    }
    out
}

fn statement_line(statement: &Value) -> String {
    match statement.as_object() {
        Some(object) if is_intrinsic(object) => {
            // A statement under `Fn::If [condition, statement, AWS::NoValue]`.
            let args = &statement["Fn::If"];
            let inner = statement_line(&args[1]);
            format!("  if {}: {}", inline(&args[0]), inner.trim_start())
        }
        _ => {
            let mut line = format!(
                "  {} {} on {}",
                statement["Effect"].as_str().unwrap_or("?"),
                inline(&statement["Action"]),
                inline(&statement["Resource"])
            );
            if let Some(condition) = statement.get("Condition") {
                line.push_str(&format!(" when {}", inline(condition)));
            }
            line.push('\n');
            line
        }
    }
}

/// The base function's version under each of `givens` (a YAML mapping like `Given` in a
/// snippet, `{}` for none), named `A`, `B`, ... in order of first appearance: the same letter
/// is the same version ID.
pub fn check_versions(snippet: &str, givens: &[&str], expect: Expect) {
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::new();
    for given in givens {
        let mut case = case(snippet);
        give(&mut case.ctx, yaml(given));
        let line = match transform(case.template.clone(), &case.ctx) {
            Err(errors) => error_lines(&errors).replace('\n', "; "),
            Ok(output) => {
                let id = output.template["Resources"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .find(|(id, resource)| {
                        id.starts_with("ApiVersion") && resource["Type"] == "AWS::Lambda::Version"
                    })
                    .map(|(id, _)| id.clone())
                    .expect("a version of Api");
                let index = match seen.iter().position(|s| *s == id) {
                    Some(index) => index,
                    None => {
                        seen.push(id);
                        seen.len() - 1
                    }
                };
                let letter = char::from(b'A' + u8::try_from(index).expect("few cases"));
                letter.to_string()
            }
        };
        out.push_str(&format!("{given}: {line}\n"));
    }
    expect.assert_eq(&out);
}

/// `value` without any `Dimensions` member, at any depth.
pub fn without_dimensions(value: &Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .iter()
                .filter(|(key, _)| *key != "Dimensions")
                .map(|(key, value)| (key.clone(), without_dimensions(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_dimensions).collect()),
        other => other.clone(),
    }
}

/// What the transform changed, resource by resource: `+ <id>: <Type>` for an added resource,
/// `<path>: + <value>`, `<path>: - <value>` and `<path>: <before> -> <after>` inside a changed
/// one; conditions likewise. `unchanged` when nothing changed.
pub fn changes(view: &View<'_>) -> String {
    let mut out = String::new();
    let before = view.input["Resources"].as_object();
    for (id, resource) in view.resources() {
        match before.and_then(|before| before.get(id)) {
            None => out.push_str(&format!("+ {id}: {}\n", inline(&resource["Type"]))),
            Some(old) => diff(id, old, resource, &mut out),
        }
    }
    for (id, _) in before.into_iter().flatten() {
        if !view.resources().contains_key(id) {
            out.push_str(&format!("- {id}\n"));
        }
    }
    diff(
        "Conditions",
        &view.input["Conditions"],
        &view.output.template["Conditions"],
        &mut out,
    );
    if out.is_empty() {
        out.push_str("unchanged\n");
    }
    out
}

fn diff(path: &str, old: &Value, new: &Value, out: &mut String) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(old), Value::Object(new)) if !is_intrinsic(old) && !is_intrinsic(new) => {
            for (key, value) in new {
                let at = format!("{path}.{key}");
                match old.get(key) {
                    Some(before) => diff(&at, before, value, out),
                    None => out.push_str(&format!("{at}: + {}\n", inline(value))),
                }
            }
            for (key, value) in old {
                if !new.contains_key(key) {
                    out.push_str(&format!("{path}.{key}: - {}\n", inline(value)));
                }
            }
        }
        (Value::Null, new) => out.push_str(&format!("{path}: + {}\n", inline(new))),
        (old, new) => out.push_str(&format!("{path}: {} -> {}\n", inline(old), inline(new))),
    }
}
