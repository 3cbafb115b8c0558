//! The AppSpec that CodeDeploy stores for a Lambda deployment.
//!
//! CloudFormation writes it as JSON with capitalised keys (`Name`, `Alias`, `CurrentVersion`,
//! `TargetVersion`); hand-written AppSpecs use lower-case keys and often YAML. Keys are therefore
//! matched case-insensitively, and versions are accepted as strings or numbers.

use serde_json::{Map, Value};

/// The lifecycle event a hook serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Runs before any traffic reaches the target version.
    BeforeAllowTraffic,
    /// Runs after all traffic has been shifted to the target version.
    AfterAllowTraffic,
}

impl Phase {
    /// The AppSpec name of the lifecycle event.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::BeforeAllowTraffic => "BeforeAllowTraffic",
            Phase::AfterAllowTraffic => "AfterAllowTraffic",
        }
    }

    fn from_appspec_name(name: &str) -> Option<Phase> {
        [Phase::BeforeAllowTraffic, Phase::AfterAllowTraffic]
            .into_iter()
            .find(|phase| phase.as_str().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Lambda function whose traffic the deployment shifts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFunction {
    /// The function name (or ARN) exactly as the AppSpec gives it.
    pub name: String,
    /// The alias whose traffic is shifted.
    pub alias: String,
    /// The version the alias served when the deployment started.
    pub current_version: String,
    /// The version the deployment shifts traffic to.
    pub target_version: String,
}

impl TargetFunction {
    /// The bare function name, also when the AppSpec names the function by ARN.
    pub fn short_name(&self) -> &str {
        match self.name.split_once(":function:") {
            Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
            None => &self.name,
        }
    }
}

/// The parts of an AppSpec a hook needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppSpec {
    /// The function being deployed.
    pub(crate) target: TargetFunction,
    /// `(lifecycle event, hook function)` pairs in AppSpec order.
    pub(crate) hooks: Vec<(Phase, String)>,
}

/// Why an AppSpec could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum AppSpecError {
    /// Neither JSON nor YAML.
    #[error("AppSpec is neither JSON ({json}) nor YAML ({yaml})")]
    Syntax {
        /// The JSON parser's complaint.
        json: String,
        /// The YAML parser's complaint.
        yaml: String,
    },
    /// No resource of type `AWS::Lambda::Function`.
    #[error("AppSpec has no AWS::Lambda::Function resource")]
    NoLambdaResource,
    /// A required property is absent or not a string or number.
    #[error("AppSpec Lambda resource lacks property {0}")]
    MissingProperty(&'static str),
}

impl AppSpec {
    /// Parses AppSpec content in JSON or YAML.
    pub(crate) fn parse(content: &str) -> Result<AppSpec, AppSpecError> {
        let document = match serde_json::from_str::<Value>(content) {
            Ok(value) => value,
            Err(json) => {
                serde_saphyr::from_str::<Value>(content).map_err(|yaml| AppSpecError::Syntax {
                    json: json.to_string(),
                    yaml: yaml.to_string(),
                })?
            }
        };
        let target = lambda_resource(&document).ok_or(AppSpecError::NoLambdaResource)?;
        let properties = get_ci(target, "Properties")
            .and_then(Value::as_object)
            .ok_or(AppSpecError::MissingProperty("Properties"))?;
        let property = |key: &'static str| {
            get_ci(properties, key)
                .and_then(scalar_string)
                .ok_or(AppSpecError::MissingProperty(key))
        };
        Ok(AppSpec {
            target: TargetFunction {
                name: property("Name")?,
                alias: property("Alias")?,
                current_version: property("CurrentVersion")?,
                target_version: property("TargetVersion")?,
            },
            hooks: hooks(&document),
        })
    }

    /// The phase served by the hook function `own_name`: the single lifecycle event whose hook is
    /// this function. `None` when the function is not listed, or listed for both events.
    pub(crate) fn phase_of(&self, own_name: &str) -> Option<Phase> {
        let mut phases = self
            .hooks
            .iter()
            .filter(|(_, hook)| names_function(hook, own_name))
            .map(|(phase, _)| *phase);
        let first = phases.next()?;
        phases.all(|phase| phase == first).then_some(first)
    }
}

/// Whether an AppSpec hook entry (a function name or ARN, possibly qualified) names `own_name`.
fn names_function(hook: &str, own_name: &str) -> bool {
    if own_name.is_empty() {
        return false;
    }
    match hook.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next() == Some(own_name),
        None => hook == own_name,
    }
}

fn lambda_resource(document: &Value) -> Option<&Map<String, Value>> {
    let resources = get_ci(document.as_object()?, "Resources")?;
    let candidates: Vec<&Value> = match resources {
        // A list of single-entry maps `{LogicalName: {Type, Properties}}`, as generated.
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|item| item.values())
            .collect(),
        Value::Object(map) => map.values().collect(),
        _ => return None,
    };
    candidates
        .into_iter()
        .filter_map(Value::as_object)
        .find(|resource| {
            get_ci(resource, "Type")
                .and_then(Value::as_str)
                .is_some_and(|kind| kind.eq_ignore_ascii_case("AWS::Lambda::Function"))
        })
}

fn hooks(document: &Value) -> Vec<(Phase, String)> {
    let Some(hooks) = document.as_object().and_then(|doc| get_ci(doc, "Hooks")) else {
        return Vec::new();
    };
    let entries: Vec<(&String, &Value)> = match hooks {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|item| item.iter())
            .collect(),
        Value::Object(map) => map.iter().collect(),
        _ => Vec::new(),
    };
    entries
        .into_iter()
        .filter_map(|(event, function)| {
            Some((Phase::from_appspec_name(event)?, scalar_string(function)?))
        })
        .collect()
}

fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(key))
            .map(|(_, value)| value)
    })
}

fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATED: &str = r#"{"version":"0.0","Resources":[{"ApiFunction":{"Type":"AWS::Lambda::Function",
        "Properties":{"Name":"api","Alias":"live","CurrentVersion":"1","TargetVersion":"2"}}}],
        "Hooks":[{"BeforeAllowTraffic":"pre-hook"},{"AfterAllowTraffic":"post-hook"}]}"#;

    #[test]
    fn reads_cloudformation_generated_json() {
        let spec = AppSpec::parse(GENERATED).expect("valid AppSpec");
        assert_eq!(
            spec.target,
            TargetFunction {
                name: "api".into(),
                alias: "live".into(),
                current_version: "1".into(),
                target_version: "2".into()
            }
        );
        assert_eq!(spec.phase_of("pre-hook"), Some(Phase::BeforeAllowTraffic));
        assert_eq!(spec.phase_of("post-hook"), Some(Phase::AfterAllowTraffic));
        assert_eq!(spec.phase_of("someone-else"), None);
    }

    #[test]
    fn reads_hand_written_yaml_with_lower_case_keys_and_numeric_versions() {
        let yaml = "version: 0.0\nresources:\n  - api:\n      type: AWS::Lambda::Function\n      properties:\n        name: arn:aws:lambda:eu-west-1:123456789012:function:api\n        alias: live\n        currentversion: 3\n        targetversion: 4\nhooks:\n  - BeforeAllowTraffic: arn:aws:lambda:eu-west-1:123456789012:function:pre-hook:7\n";
        let spec = AppSpec::parse(yaml).expect("valid AppSpec");
        assert_eq!(spec.target.current_version, "3");
        assert_eq!(spec.target.target_version, "4");
        assert_eq!(spec.target.short_name(), "api");
        assert_eq!(spec.phase_of("pre-hook"), Some(Phase::BeforeAllowTraffic));
        assert_eq!(spec.phase_of("pre"), None);
    }

    #[test]
    fn a_function_hooked_to_both_events_has_no_single_phase() {
        let both = GENERATED.replace("post-hook", "pre-hook");
        let spec = AppSpec::parse(&both).expect("valid AppSpec");
        assert_eq!(spec.phase_of("pre-hook"), None);
    }

    #[test]
    fn reports_what_is_missing() {
        assert_eq!(
            AppSpec::parse(&GENERATED.replace("TargetVersion", "Target")),
            Err(AppSpecError::MissingProperty("TargetVersion"))
        );
        assert_eq!(
            AppSpec::parse(r#"{"Resources":[]}"#),
            Err(AppSpecError::NoLambdaResource)
        );
        assert!(matches!(
            AppSpec::parse("{ not: [valid"),
            Err(AppSpecError::Syntax { .. })
        ));
    }
}
