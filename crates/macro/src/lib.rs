//! The gradual CloudFormation macro, minus the Lambda runtime.
//!
//! CloudFormation invokes the macro with `{region, accountId, fragment, transformId, params,
//! requestId, templateParameterValues}` and expects `{requestId, status, fragment,
//! errorMessage}` back. Everything that can go wrong with the template, or with the event
//! itself, is answered with `status: "failure"` and a readable `errorMessage`; the handler
//! never returns a Lambda error, because CloudFormation turns those into "malformed response"
//! with no detail.
//!
//! Failure answers carry an empty `fragment`: CloudFormation discards it, and echoing a large
//! template back would only cost time.
//!
//! An event with no readable `requestId` is still answered, with an empty `requestId`.
//! CloudFormation will not match it to its request, but the `errorMessage` reaches the
//! function's logs and any direct caller, which beats a runtime error without detail.

mod event;
mod logging;
mod message;

use std::time::Instant;

use gradual_transform::{check_limits, transform, InstalledHooks, Stats, Warning};
use serde::Serialize;
use serde_json::{Map, Value};

pub use event::{MacroEvent, MalformedEvent};
pub use logging::log_invocation;
pub use message::{format_errors, MAX_ERROR_MESSAGE_CHARS};

/// The macro response.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MacroResponse {
    /// The request id from the event; empty when the event had none readable.
    pub request_id: String,
    pub status: Status,
    /// The transformed template on success, an empty object on failure.
    pub fragment: Value,
    /// Present exactly when `status` is `failure`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// `success` or `failure`; CloudFormation treats anything but `success` as a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Success,
    Failure,
}

impl Status {
    /// The wire form, also used in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

/// Why an invocation ended the way it did, for the summary log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Transformed,
    TemplateErrors { count: usize },
    LimitExceeded,
    MalformedEvent,
}

impl Outcome {
    /// A stable name for log queries.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transformed => "transformed",
            Self::TemplateErrors { .. } => "template_errors",
            Self::LimitExceeded => "limit_exceeded",
            Self::MalformedEvent => "malformed_event",
        }
    }
}

/// One handled event: the response, and what the summary log line reports.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub response: MacroResponse,
    /// Empty when the event had none readable.
    pub transform_id: String,
    pub outcome: Outcome,
    pub stats: Stats,
    pub warnings: Vec<Warning>,
}

/// The macro's own configuration, which `template.yaml` sets in its environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// Names of the ready-made hooks installed beside the macro.
    pub installed_hooks: InstalledHooks,
}

impl Settings {
    /// Reads `GRADUAL_PRE_TRAFFIC_HOOK` and `GRADUAL_POST_TRAFFIC_HOOK` through `var`; an unset
    /// or empty variable keeps the default name.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let defaults = InstalledHooks::default();
        let named = |key: &str, default: String| {
            var(key).filter(|name| !name.is_empty()).unwrap_or(default)
        };
        Self {
            installed_hooks: InstalledHooks {
                pre_traffic: named("GRADUAL_PRE_TRAFFIC_HOOK", defaults.pre_traffic),
                post_traffic: named("GRADUAL_POST_TRAFFIC_HOOK", defaults.post_traffic),
            },
        }
    }
}

/// Answers one macro event. Never panics and never fails: every problem becomes a `failure`.
pub fn handle(event: Value) -> MacroResponse {
    invoke(event, &Settings::default()).response
}

/// Answers one macro event and writes its log lines (warnings, then one summary line).
pub fn handle_and_log(event: Value, settings: &Settings) -> MacroResponse {
    let started = Instant::now();
    let invocation = invoke(event, settings);
    log_invocation(&invocation, started.elapsed());
    invocation.response
}

/// Answers one macro event, keeping what the logs need alongside the response.
pub fn invoke(event: Value, settings: &Settings) -> Invocation {
    let event = match MacroEvent::from_value(event) {
        Ok(event) => event,
        Err(malformed) => {
            let message = malformed.to_string();
            return Invocation {
                response: failure(malformed.request_id, message),
                transform_id: malformed.transform_id,
                outcome: Outcome::MalformedEvent,
                stats: Stats::default(),
                warnings: Vec::new(),
            };
        }
    };
    let context = event.context(&settings.installed_hooks);
    let MacroEvent {
        request_id,
        transform_id,
        fragment,
        ..
    } = event;

    match transform(Value::Object(fragment), &context) {
        Err(errors) => Invocation {
            response: failure(
                request_id,
                format_errors(errors.as_slice(), MAX_ERROR_MESSAGE_CHARS),
            ),
            transform_id,
            outcome: Outcome::TemplateErrors {
                count: errors.len(),
            },
            stats: Stats::default(),
            warnings: Vec::new(),
        },
        Ok(output) => {
            let exceeded = check_limits(&output.template);
            if exceeded.is_empty() {
                Invocation {
                    response: MacroResponse {
                        request_id,
                        status: Status::Success,
                        fragment: output.template,
                        error_message: None,
                    },
                    transform_id,
                    outcome: Outcome::Transformed,
                    stats: output.stats,
                    warnings: output.warnings,
                }
            } else {
                let limits: Vec<String> = exceeded.iter().map(ToString::to_string).collect();
                let message = format!(
                    "{} (gradual added {} resources for {} functions; split the stack or \
                     move functions to a nested stack)",
                    limits.join("; "),
                    output.stats.resources_added,
                    output.stats.functions,
                );
                Invocation {
                    response: failure(request_id, message),
                    transform_id,
                    outcome: Outcome::LimitExceeded,
                    stats: output.stats,
                    warnings: output.warnings,
                }
            }
        }
    }
}

fn failure(request_id: String, message: String) -> MacroResponse {
    MacroResponse {
        request_id,
        status: Status::Failure,
        fragment: Value::Object(Map::new()),
        error_message: Some(message),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn settings_name_the_installed_hooks_from_the_environment() {
        let vars = |key: &str| match key {
            "GRADUAL_PRE_TRAFFIC_HOOK" => Some("team-pre".to_owned()),
            "GRADUAL_POST_TRAFFIC_HOOK" => Some(String::new()),
            _ => None,
        };
        let settings = Settings::from_vars(vars);
        assert_eq!(settings.installed_hooks.pre_traffic, "team-pre");
        // Empty keeps the default, as template.yaml's names are always set.
        assert_eq!(
            settings.installed_hooks.post_traffic,
            InstalledHooks::default().post_traffic
        );
        let fragment = serde_json::json!({"Resources": {"Api": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "a.h", "Role": "r", "Code": {"ZipFile": "x"},
            "AutoPublishAlias": "live",
            "DeploymentPreference": {"Type": "AllAtOnce", "SmokeTest": {"Event": {}, "Expect": {}}}}}}});
        let event = serde_json::json!({"requestId": "r1", "region": "us-east-1", "accountId": "123456789012",
            "fragment": fragment, "transformId": "Gradual", "params": {}, "templateParameterValues": {}});
        let response = invoke(event, &settings).response;
        let policy = &response.fragment["Resources"]["ApiAliaslive"]["UpdatePolicy"]
            ["CodeDeployLambdaAliasUpdate"];
        assert_eq!(policy["BeforeAllowTrafficHook"], "team-pre");
    }

    use super::*;
    use gradual_transform::MAX_RESOURCES;
    use serde_json::json;

    fn event(fragment: Value) -> Value {
        json!({
            "region": "us-east-1",
            "accountId": "123456789012",
            "fragment": fragment,
            "transformId": "123456789012::Gradual",
            "params": {},
            "requestId": "req-42",
            "templateParameterValues": {}
        })
    }

    #[test]
    fn a_template_without_gradual_properties_comes_back_unchanged() {
        let fragment = json!({
            "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
            "Outputs": {"Name": {"Value": {"Ref": "Bucket"}}}
        });
        let response = handle(event(fragment.clone()));
        assert_eq!(
            response,
            MacroResponse {
                request_id: "req-42".into(),
                status: Status::Success,
                fragment,
                error_message: None,
            }
        );
        let wire = serde_json::to_value(&response).expect("serializable");
        assert_eq!(
            wire,
            json!({
                "requestId": "req-42",
                "status": "success",
                "fragment": {
                    "Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}},
                    "Outputs": {"Name": {"Value": {"Ref": "Bucket"}}}
                }
            })
        );
    }

    #[test]
    fn a_malformed_event_is_a_failure_with_its_request_id() {
        let response =
            handle(json!({"requestId": "req-7", "region": "us-east-1", "accountId": "1"}));
        assert_eq!(response.request_id, "req-7");
        assert_eq!(response.status, Status::Failure);
        assert_eq!(response.fragment, json!({}));
        assert_eq!(
            response.error_message.as_deref(),
            Some("malformed macro event: `fragment` is missing")
        );
        let wire = serde_json::to_value(&response).expect("serializable");
        assert_eq!(wire["status"], "failure");
        assert_eq!(
            wire["errorMessage"],
            "malformed macro event: `fragment` is missing"
        );
    }

    #[test]
    fn an_event_without_request_id_is_answered_with_an_empty_one() {
        let invocation = invoke(json!("not an event"), &Settings::default());
        assert_eq!(invocation.outcome, Outcome::MalformedEvent);
        assert_eq!(invocation.response.request_id, "");
        assert_eq!(invocation.response.status, Status::Failure);
    }

    #[test]
    fn output_over_the_resource_limit_is_a_failure_naming_limit_and_count() {
        // Plain resources pass through the transform untouched, so this exercises the
        // macro's own limit check whatever the core adds.
        let resources: Map<String, Value> = (0..=MAX_RESOURCES)
            .map(|index| (format!("Topic{index}"), json!({"Type": "AWS::SNS::Topic"})))
            .collect();
        let invocation = invoke(
            event(json!({ "Resources": resources })),
            &Settings::default(),
        );
        assert_eq!(invocation.outcome, Outcome::LimitExceeded);
        let response = invocation.response;
        assert_eq!(response.status, Status::Failure);
        assert_eq!(response.request_id, "req-42");
        assert_eq!(response.fragment, json!({}));
        let message = response.error_message.unwrap_or_default();
        assert!(message.contains("501 resources"), "{message}");
        assert!(message.contains("at most 500"), "{message}");
    }

    #[test]
    fn output_over_the_size_limit_is_a_failure_naming_limit_and_size() {
        let big = "x".repeat(1_100_000);
        let fragment = json!({
            "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Metadata": {"Blob": big}}}
        });
        let response = handle(event(fragment));
        assert_eq!(response.status, Status::Failure);
        let message = response.error_message.unwrap_or_default();
        assert!(message.contains("bytes"), "{message}");
        assert!(message.contains("at most 1000000"), "{message}");
    }
}
