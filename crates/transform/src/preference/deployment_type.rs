//! `Type`: the deployment config a type name stands for, and the schedules gradual generates.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::error::{Diagnostics, ErrorKind};
use crate::intrinsic::{self, as_array_of, Intrinsic};
use crate::path::TemplatePath;
use crate::schedule::{self, Meaning, Schedule};
use crate::scope::Scope;

/// What a `Type` asks for: the `DeploymentConfigName` to write, and the schedules it needs
/// generated, by their canonical name.
#[derive(Clone, Debug, Default)]
pub(crate) struct DeploymentType {
    pub config_name: Value,
    pub generated: BTreeMap<String, Schedule>,
}

/// Reads `DeploymentPreference.Type`.
pub(crate) fn read(
    raw: &Value,
    path: &TemplatePath,
    scope: &Scope<'_>,
    resources: &Map<String, Value>,
    diagnostics: &mut Diagnostics,
) -> DeploymentType {
    // CloudFormation can decide an `Fn::If` here itself, so it stays in the output.
    let resolved = scope.resolve_keeping_conditions(raw, path, diagnostics);
    let mut checked = |value: &Value, raw: &Value, path: &TemplatePath, d: &mut Diagnostics| {
        check_other(value, raw, path, resources, d)
    };
    map_names(&resolved, raw, path, diagnostics, &mut checked)
}

/// A `DeploymentConfigName` SAM wrote: type names it passed through become gradual's generated
/// schedules; anything else stays as SAM wrote it.
pub(crate) fn adopt(
    value: &Value,
    path: &TemplatePath,
    diagnostics: &mut Diagnostics,
) -> DeploymentType {
    map_names(value, value, path, diagnostics, &mut |value, _, _, _| {
        value.clone()
    })
}

type Other<'o> = dyn FnMut(&Value, &Value, &TemplatePath, &mut Diagnostics) -> Value + 'o;

/// Maps every type name in `value`, through the branches of well-formed `Fn::If`s; `other`
/// decides what anything else becomes.
fn map_names(
    value: &Value,
    raw: &Value,
    path: &TemplatePath,
    diagnostics: &mut Diagnostics,
    other: &mut Other<'_>,
) -> DeploymentType {
    let mut generated = BTreeMap::new();
    let config_name = map_into(value, raw, path, &mut generated, diagnostics, other);
    DeploymentType {
        config_name,
        generated,
    }
}

fn map_into(
    value: &Value,
    raw: &Value,
    path: &TemplatePath,
    generated: &mut BTreeMap<String, Schedule>,
    diagnostics: &mut Diagnostics,
    other: &mut Other<'_>,
) -> Value {
    if let Value::String(name) = value {
        let named = config_name(name, path, diagnostics);
        generated.extend(named.generated.map(|schedule| (schedule.name(), schedule)));
        return named.value;
    }
    let branches = value
        .as_object()
        .and_then(intrinsic::classify)
        .and_then(|intrinsic| match intrinsic {
            Intrinsic::Function("Fn::If", args) => as_array_of::<3>(args),
            _ => None,
        });
    match branches {
        Some([condition, when_true, when_false]) => {
            let if_path = path.key("Fn::If");
            let mut branch = |branch: &Value, index: usize, d: &mut Diagnostics| {
                map_into(branch, branch, &if_path.index(index), generated, d, other)
            };
            let when_true = branch(when_true, 1, diagnostics);
            let when_false = branch(when_false, 2, diagnostics);
            json!({"Fn::If": [condition, when_true, when_false]})
        }
        None => other(value, raw, path, diagnostics),
    }
}

/// A `Type` that is not a name: a `Ref` must name a deployment config, other intrinsics are
/// CloudFormation's to evaluate, and anything else is the wrong type.
fn check_other(
    value: &Value,
    raw: &Value,
    path: &TemplatePath,
    resources: &Map<String, Value>,
    diagnostics: &mut Diagnostics,
) -> Value {
    match value.as_object().and_then(intrinsic::classify) {
        Some(Intrinsic::Ref(target)) => {
            let resource_type = resources
                .get(target)
                .and_then(|r| r.get("Type"))
                .and_then(Value::as_str);
            if let Some(resource_type) =
                resource_type.filter(|t| *t != "AWS::CodeDeploy::DeploymentConfig")
            {
                let message = format!(
                    "`{target}` has type {resource_type}; a Ref in Type must name an AWS::CodeDeploy::DeploymentConfig"
                );
                diagnostics.error(path.key("Ref"), ErrorKind::invalid(message));
            }
        }
        Some(Intrinsic::Function("Fn::If", _)) => {
            diagnostics.error(path.key("Fn::If"), ErrorKind::MalformedIf);
        }
        Some(_) => {}
        None => diagnostics.wrong_type(path.clone(), "a deployment type name", raw),
    }
    value.clone()
}

/// What one type name stands for.
pub(crate) struct NamedConfig {
    /// The `DeploymentConfigName` to write.
    pub value: Value,
    /// The schedule gradual must generate a config for.
    pub generated: Option<Schedule>,
}

/// The `DeploymentConfigName` a type name stands for; near misses and schedules CodeDeploy
/// can't run are reported at `path`.
pub(crate) fn config_name(
    name: &str,
    path: &TemplatePath,
    diagnostics: &mut Diagnostics,
) -> NamedConfig {
    let named = |value: Value, generated: Option<Schedule>| NamedConfig { value, generated };
    let mut invalid = |message, suggestion| {
        diagnostics.error(
            path.clone(),
            ErrorKind::InvalidValue {
                message,
                suggestion,
            },
        );
        named(Value::from(name), None)
    };
    match schedule::interpret(name) {
        Meaning::Predefined(predefined, _) => named(
            Value::String(format!("CodeDeployDefault.Lambda{predefined}")),
            None,
        ),
        Meaning::Generated(schedule) => named(
            json!({ "Ref": config_logical_id(schedule) }),
            Some(schedule),
        ),
        Meaning::Custom => named(Value::from(name), None),
        Meaning::NearMiss { suggestion } => invalid(
            format!("`{name}` is not a deployment type"),
            Some(suggestion),
        ),
        Meaning::Invalid {
            message,
            suggestion,
        } => invalid(message, suggestion),
    }
}

/// The logical ID of the generated config for a schedule.
pub(crate) fn config_logical_id(schedule: Schedule) -> String {
    format!("DeploymentConfig{}", schedule.name())
}
