//! `AutoPublishAlias` and its companions: which version to publish and which alias to point.

use serde_json::{Map, Value};

use crate::error::{Diagnostics, ErrorKind};
use crate::intrinsic::{describe, get_att, is_intrinsic, reference};
use crate::path::TemplatePath;
use crate::scope::Scope;

/// Lambda's limit on alias names.
const MAX_ALIAS_LENGTH: usize = 128;

/// What `AutoPublishAlias` and its companion properties ask for on one function.
#[derive(Debug, Clone)]
pub(crate) struct Publication {
    pub alias_name: String,
    pub version_description: Option<Value>,
    pub version_deletion_policy: Option<&'static str>,
    pub provisioned_concurrency: Option<Value>,
    pub code_sha256: Option<String>,
}

/// `<Fn>Alias<name>`, with `-` and `_` spelled `D` and `U` as SAM does, so stacks moving from
/// SAM keep their aliases.
pub(crate) fn alias_logical_id(function_id: &str, alias_name: &str) -> String {
    format!(
        "{function_id}Alias{}",
        alias_name.replace('-', "D").replace('_', "U")
    )
}

/// Reads the publication properties of a function that has `AutoPublishAlias`. Returns `None`
/// (with the problems reported) when they can't be used.
pub(crate) fn read(
    properties: &Map<String, Value>,
    properties_path: &TemplatePath,
    scope: &Scope<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Publication> {
    let path = |key: &str| properties_path.key(key);
    // These are resolved now and written into the output (the alias's name and logical ID,
    // the function's Description), where CloudFormation would show a NoEcho value to anyone.
    diagnostics.clean(|diagnostics| {
        for key in ["AutoPublishAlias", "AutoPublishCodeSha256"] {
            if let Some(name) = properties.get(key).and_then(|raw| scope.no_echo_in(raw)) {
                diagnostics.error(path(key), ErrorKind::NoEchoWritten(name.to_owned()));
            }
        }
        Some(())
    })?;
    diagnostics.clean(|diagnostics| {
        let alias_name = properties
            .get("AutoPublishAlias")
            .and_then(|raw| alias_name(raw, &path("AutoPublishAlias"), scope, diagnostics));
        let code_sha256 = properties
            .get("AutoPublishCodeSha256")
            .and_then(|raw| code_sha256(raw, &path("AutoPublishCodeSha256"), scope, diagnostics));
        let version_description = properties.get("VersionDescription").and_then(|raw| {
            let valid = raw.is_string() || is_intrinsic(raw);
            expect(
                valid,
                raw,
                path("VersionDescription"),
                "a string",
                diagnostics,
            )
        });
        let version_deletion_policy = properties.get("VersionDeletionPolicy").and_then(|raw| {
            deletion_policy(raw, &path("VersionDeletionPolicy"), scope, diagnostics)
        });
        let provisioned_concurrency =
            properties
                .get("ProvisionedConcurrencyConfig")
                .and_then(|raw| {
                    let at = path("ProvisionedConcurrencyConfig");
                    expect(raw.is_object(), raw, at, "an object", diagnostics)
                });
        // gradual always hashes every property a version captures; the flag is accepted so
        // templates written for SAM keep working.
        if let Some(raw) = properties.get("AutoPublishAliasAllProperties") {
            let at = path("AutoPublishAliasAllProperties");
            expect(raw.is_boolean(), raw, at, "a boolean", diagnostics);
        }
        Some(Publication {
            alias_name: alias_name?,
            version_description,
            version_deletion_policy,
            provisioned_concurrency,
            code_sha256,
        })
    })
}

/// `raw` itself when `valid`, else a wrong-type error.
fn expect(
    valid: bool,
    raw: &Value,
    path: TemplatePath,
    expected: &'static str,
    diagnostics: &mut Diagnostics,
) -> Option<Value> {
    if valid {
        Some(raw.clone())
    } else {
        diagnostics.wrong_type(path, expected, raw);
        None
    }
}

fn code_sha256(
    raw: &Value,
    path: &TemplatePath,
    scope: &Scope<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<String> {
    match scope.resolve(raw, path, diagnostics) {
        Value::String(sha) if !sha.is_empty() => Some(sha),
        Value::String(_) => {
            let message = "AutoPublishCodeSha256 must not be empty";
            diagnostics.error(path.clone(), ErrorKind::invalid(message));
            None
        }
        other => {
            diagnostics.not_resolvable(path.clone(), raw, &other);
            None
        }
    }
}

fn alias_name(
    raw: &Value,
    path: &TemplatePath,
    scope: &Scope<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<String> {
    let resolved = scope.resolve(raw, path, diagnostics);
    let Value::String(name) = &resolved else {
        if is_intrinsic(raw) {
            diagnostics.not_resolvable(path.clone(), raw, &resolved);
        } else {
            diagnostics.wrong_type(path.clone(), "a string", raw);
        }
        return None;
    };
    let origin = match raw {
        Value::String(_) => String::new(),
        _ => format!(" (resolved from {})", describe(raw)),
    };
    let problem = if name.is_empty() {
        Some("alias name must not be empty".to_owned())
    } else if name.chars().count() > MAX_ALIAS_LENGTH {
        Some(format!(
            "alias name is {} characters long; Lambda allows at most {MAX_ALIAS_LENGTH}",
            name.chars().count()
        ))
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Some(format!(
            "alias name `{name}` may contain only letters, digits, hyphens and underscores"
        ))
    } else if name.chars().all(|c| c.is_ascii_digit()) {
        Some(format!(
            "alias name `{name}` must not be all digits: Lambda would read it as a version number"
        ))
    } else {
        None
    };
    match problem {
        Some(problem) => {
            diagnostics.error(
                path.clone(),
                ErrorKind::invalid(format!("{problem}{origin}")),
            );
            None
        }
        None => Some(name.clone()),
    }
}

fn deletion_policy(
    raw: &Value,
    path: &TemplatePath,
    scope: &Scope<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<&'static str> {
    const POLICIES: [&str; 2] = ["Delete", "Retain"];
    match scope.resolve(raw, path, diagnostics) {
        Value::String(policy) => {
            let known = POLICIES.iter().find(|p| **p == policy).copied();
            if known.is_none() {
                let message =
                    format!("VersionDeletionPolicy must be `Delete` or `Retain`, found `{policy}`");
                let kind = ErrorKind::not_one_of(message, &policy, &POLICIES);
                diagnostics.error(path.clone(), kind);
            }
            known
        }
        resolved if is_intrinsic(raw) => {
            diagnostics.not_resolvable(path.clone(), raw, &resolved);
            None
        }
        _ => {
            diagnostics.wrong_type(path.clone(), "`Delete` or `Retain`", raw);
            None
        }
    }
}

/// The resource attributes a function's version and alias take from it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Attributes {
    pub condition: Option<Value>,
    pub deletion_policy: Option<Value>,
    pub update_replace_policy: Option<Value>,
}

impl Attributes {
    pub(crate) fn of(resource: &Value) -> Self {
        Self {
            condition: resource.get("Condition").cloned(),
            deletion_policy: resource.get("DeletionPolicy").cloned(),
            update_replace_policy: resource.get("UpdateReplacePolicy").cloned(),
        }
    }
}

/// The `AWS::Lambda::Version` publishing `function_id`'s code and configuration.
///
/// Retained unless asked otherwise: CodeDeploy rolls back to the previous version, and an
/// alias may still point at it while the stack updates.
pub(crate) fn version(
    function_id: &str,
    publication: &Publication,
    attributes: &Attributes,
) -> Value {
    let mut version = Map::with_capacity(4);
    version.insert("Type".into(), "AWS::Lambda::Version".into());
    if let Some(condition) = &attributes.condition {
        version.insert("Condition".into(), condition.clone());
    }
    let deletion_policy = publication
        .version_deletion_policy
        .map(Value::from)
        .or_else(|| {
            attributes
                .deletion_policy
                .clone()
                .filter(|p| p == "Delete" || p == "Retain")
        })
        .unwrap_or_else(|| Value::from("Retain"));
    version.insert("DeletionPolicy".into(), deletion_policy);
    if let Some(policy) = &attributes.update_replace_policy {
        version.insert("UpdateReplacePolicy".into(), policy.clone());
    }
    let mut properties = Map::with_capacity(2);
    properties.insert("FunctionName".into(), reference(function_id));
    if let Some(description) = &publication.version_description {
        properties.insert("Description".into(), description.clone());
    }
    version.insert("Properties".into(), Value::Object(properties));
    Value::Object(version)
}

/// How an alias is tied to the deployment around it.
#[derive(Debug, Default)]
pub(crate) struct AliasWiring {
    /// What the alias update must wait for: it is what starts the deployment.
    pub depends_on: Vec<String>,
    /// The `CodeDeployLambdaAliasUpdate` policy, when CodeDeploy shifts the traffic.
    pub update_policy: Option<Value>,
    /// A description that waits on resources `DependsOn` can't name.
    pub description: Option<Value>,
}

/// The `AWS::Lambda::Alias` pointing at `version_id`.
pub(crate) fn alias(
    function_id: &str,
    version_id: &str,
    publication: &Publication,
    attributes: &Attributes,
    wiring: AliasWiring,
) -> Value {
    let mut alias = Map::with_capacity(7);
    alias.insert("Type".into(), "AWS::Lambda::Alias".into());
    if let Some(condition) = &attributes.condition {
        alias.insert("Condition".into(), condition.clone());
    }
    if let Some(policy) = &attributes.deletion_policy {
        alias.insert("DeletionPolicy".into(), policy.clone());
    }
    if let Some(policy) = &attributes.update_replace_policy {
        alias.insert("UpdateReplacePolicy".into(), policy.clone());
    }
    if !wiring.depends_on.is_empty() {
        let names = wiring.depends_on.into_iter().map(Value::String).collect();
        alias.insert("DependsOn".into(), Value::Array(names));
    }
    if let Some(policy) = wiring.update_policy {
        alias.insert("UpdatePolicy".into(), policy);
    }
    let mut properties = Map::with_capacity(5);
    properties.insert("Name".into(), Value::String(publication.alias_name.clone()));
    properties.insert("FunctionName".into(), reference(function_id));
    properties.insert("FunctionVersion".into(), get_att(version_id, "Version"));
    if let Some(config) = &publication.provisioned_concurrency {
        properties.insert("ProvisionedConcurrencyConfig".into(), config.clone());
    }
    if let Some(description) = wiring.description {
        properties.insert("Description".into(), description);
    }
    alias.insert("Properties".into(), Value::Object(properties));
    Value::Object(alias)
}
