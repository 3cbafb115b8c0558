//! `AutoPublishAlias` and its companions: which version to publish and which alias to point.

use serde_json::{Map, Value};

use crate::error::{ErrorKind, TransformError};
use crate::intrinsic::{describe, is_intrinsic};
use crate::path::TemplatePath;
use crate::scope::Scope;
use crate::suggest::closest;

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

/// A `NoEcho` value would be written into the output at `path`.
pub(crate) fn no_echo_written(path: TemplatePath, parameter: &str) -> TransformError {
    TransformError::new(
        path,
        ErrorKind::invalid(format!(
            "refers to NoEcho parameter `{parameter}`, whose value gradual would have to write into the template in plain text; \
             use a parameter that is not NoEcho, or a dynamic reference the function resolves itself"
        )),
    )
}

/// Reads the publication properties of a function that has `AutoPublishAlias`. Returns `None`
/// (with errors pushed) when they can't be used.
pub(crate) fn read(
    properties: &Map<String, Value>,
    properties_path: &TemplatePath,
    scope: &Scope<'_>,
    errors: &mut Vec<TransformError>,
) -> Option<Publication> {
    let before = errors.len();
    // These are resolved now and written into the output (the alias's name and logical ID,
    // the function's Description), where CloudFormation would show a NoEcho value to anyone.
    for key in ["AutoPublishAlias", "AutoPublishCodeSha256"] {
        if let Some(name) = properties.get(key).and_then(|raw| scope.no_echo_in(raw)) {
            errors.push(no_echo_written(properties_path.key(key), name));
        }
    }
    if errors.len() > before {
        return None;
    }
    let alias_path = properties_path.key("AutoPublishAlias");
    let alias_name = properties
        .get("AutoPublishAlias")
        .and_then(|raw| alias_name(raw, &alias_path, scope, errors));

    let code_sha256 = properties.get("AutoPublishCodeSha256").and_then(|raw| {
        let path = properties_path.key("AutoPublishCodeSha256");
        let resolved = scope.resolve(raw, &path, errors);
        match resolved {
            Value::String(sha) if !sha.is_empty() => Some(sha),
            Value::String(_) => {
                errors.push(TransformError::new(
                    path,
                    ErrorKind::invalid("AutoPublishCodeSha256 must not be empty"),
                ));
                None
            }
            other => {
                errors.push(not_resolvable(path, raw, &other));
                None
            }
        }
    });

    let version_description = properties
        .get("VersionDescription")
        .and_then(|raw| match raw {
            Value::String(_) => Some(raw.clone()),
            _ if is_intrinsic(raw) => Some(raw.clone()),
            _ => {
                errors.push(wrong_type(
                    properties_path.key("VersionDescription"),
                    "a string",
                    raw,
                ));
                None
            }
        });

    let version_deletion_policy = properties.get("VersionDeletionPolicy").and_then(|raw| {
        let path = properties_path.key("VersionDeletionPolicy");
        deletion_policy(raw, &path, scope, errors)
    });

    let provisioned_concurrency = properties
        .get("ProvisionedConcurrencyConfig")
        .and_then(|raw| {
            if raw.is_object() {
                Some(raw.clone())
            } else {
                errors.push(wrong_type(
                    properties_path.key("ProvisionedConcurrencyConfig"),
                    "an object",
                    raw,
                ));
                None
            }
        });

    if let Some(raw) = properties.get("AutoPublishAliasAllProperties") {
        // gradual always hashes every property a version captures; the flag is accepted so
        // templates written for SAM keep working.
        if !raw.is_boolean() {
            errors.push(wrong_type(
                properties_path.key("AutoPublishAliasAllProperties"),
                "a boolean",
                raw,
            ));
        }
    }

    if errors.len() > before {
        return None;
    }
    Some(Publication {
        alias_name: alias_name?,
        version_description,
        version_deletion_policy,
        provisioned_concurrency,
        code_sha256,
    })
}

fn alias_name(
    raw: &Value,
    path: &TemplatePath,
    scope: &Scope<'_>,
    errors: &mut Vec<TransformError>,
) -> Option<String> {
    let resolved = scope.resolve(raw, path, errors);
    let Value::String(name) = &resolved else {
        if is_intrinsic(raw) {
            errors.push(not_resolvable(path.clone(), raw, &resolved));
        } else {
            errors.push(wrong_type(path.clone(), "a string", raw));
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
            errors.push(TransformError::new(
                path.clone(),
                ErrorKind::invalid(format!("{problem}{origin}")),
            ));
            None
        }
        None => Some(name.clone()),
    }
}

fn deletion_policy(
    raw: &Value,
    path: &TemplatePath,
    scope: &Scope<'_>,
    errors: &mut Vec<TransformError>,
) -> Option<&'static str> {
    const POLICIES: [&str; 2] = ["Delete", "Retain"];
    match scope.resolve(raw, path, errors) {
        Value::String(policy) => {
            match POLICIES.iter().find(|p| **p == policy) {
                Some(policy) => Some(policy),
                None => {
                    errors.push(TransformError::new(
                    path.clone(),
                    ErrorKind::InvalidValue {
                        message: format!("VersionDeletionPolicy must be `Delete` or `Retain`, found `{policy}`"),
                        suggestion: closest(&policy, &POLICIES).map(str::to_owned),
                    },
                ));
                    None
                }
            }
        }
        resolved if is_intrinsic(raw) => {
            errors.push(not_resolvable(path.clone(), raw, &resolved));
            None
        }
        _ => {
            errors.push(wrong_type(path.clone(), "`Delete` or `Retain`", raw));
            None
        }
    }
}

pub(crate) fn wrong_type(
    path: TemplatePath,
    expected: &'static str,
    found: &Value,
) -> TransformError {
    TransformError::new(
        path,
        ErrorKind::WrongType {
            expected,
            found: describe(found),
        },
    )
}

/// An intrinsic the transform needed to evaluate but could not.
pub(crate) fn not_resolvable(path: TemplatePath, raw: &Value, resolved: &Value) -> TransformError {
    let found = if raw == resolved {
        format!("{}, which only CloudFormation can evaluate", describe(raw))
    } else {
        format!("{} that resolves to {}", describe(raw), describe(resolved))
    };
    TransformError::new(
        path,
        ErrorKind::invalid(format!(
            "must be known when the template is transformed: a literal, or a Ref to a parameter, \
             Fn::Sub, Fn::FindInMap or Fn::If over known values; found {found}"
        )),
    )
}
