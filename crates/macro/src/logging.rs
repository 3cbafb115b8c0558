//! Structured JSON logs. Only counts, ids and template paths are logged: never the event, the
//! fragment, the parameter values or an error message, because templates carry `NoEcho`
//! secrets and error messages may quote template values.

use std::time::Duration;

use crate::{Invocation, Outcome};

/// One WARN line per transform warning, then the summary line.
pub fn log_invocation(invocation: &Invocation, duration: Duration) {
    let request_id = invocation.response.request_id.as_str();
    for warning in &invocation.warnings {
        tracing::warn!(
            request_id,
            path = %warning.path,
            warning = %warning.message,
            "transform warning"
        );
    }
    let errors = match invocation.outcome {
        Outcome::TemplateErrors { count } => count,
        _ => 0,
    };
    tracing::info!(
        request_id,
        transform_id = invocation.transform_id.as_str(),
        outcome = invocation.outcome.as_str(),
        status = invocation.response.status.as_str(),
        functions_rewritten = invocation.stats.functions,
        resources_added = invocation.stats.resources_added,
        warnings = invocation.warnings.len(),
        errors,
        duration_ms = duration.as_secs_f64() * 1_000.0,
        "macro invocation"
    );
}

#[cfg(test)]
mod tests {
    use gradual_logging::CapturedLines;
    use gradual_transform::{Stats, TemplatePath, Warning};
    use serde_json::{json, Value};

    use super::*;
    use crate::{handle_and_log, MacroResponse, Settings, Status};

    /// The lines so far, each parsed (so each must be one JSON object).
    fn lines(captured: &CapturedLines) -> Vec<Value> {
        captured
            .text()
            .lines()
            .map(|line| serde_json::from_str(line).expect("every log line is JSON"))
            .collect()
    }

    fn capture(run: impl FnOnce()) -> CapturedLines {
        let captured = CapturedLines::default();
        tracing::subscriber::with_default(gradual_logging::json_subscriber(captured.clone()), run);
        captured
    }

    const SECRET: &str = "s3cr3t-value-123";

    fn event_with_secret(request_id: &str, function_properties: Value) -> Value {
        json!({
            "region": "us-east-1",
            "accountId": "123456789012",
            "transformId": "123456789012::Gradual",
            "params": {},
            "requestId": request_id,
            "templateParameterValues": {"DbPassword": SECRET, "Stage": "prod"},
            "fragment": {
                "Parameters": {
                    "DbPassword": {"Type": "String", "NoEcho": true, "Default": SECRET},
                    "Stage": {"Type": "String"}
                },
                "Resources": {
                    "Api": {
                        "Type": "AWS::Lambda::Function",
                        "Properties": function_properties
                    }
                }
            }
        })
    }

    #[test]
    fn no_echo_values_never_reach_the_logs() {
        let good = json!({
            "Runtime": "provided.al2023",
            "Handler": "bootstrap",
            "Role": "arn:aws:iam::123456789012:role/app",
            "Code": {"S3Bucket": "artifacts", "S3Key": "api.zip"},
            "Environment": {"Variables": {"DB_PASSWORD": {"Ref": "DbPassword"}, "LITERAL": SECRET}},
            "AutoPublishAlias": "live",
            "DeploymentPreference": {"Type": "Canary10Percent5Minutes"}
        });
        let broken = json!({
            "Runtime": "provided.al2023",
            "Environment": {"Variables": {"DB_PASSWORD": SECRET}},
            "AutoPublishAlias": SECRET,
            "DeploymentPreference": {"Type": SECRET}
        });
        let mut malformed = event_with_secret("req-malformed", json!({}));
        malformed["region"] = json!(42);
        malformed["fragment"] = json!(SECRET);

        let mut responses = Vec::new();
        let captured = capture(|| {
            responses.push(handle_and_log(
                event_with_secret("req-good", good),
                &Settings::default(),
            ));
            responses.push(handle_and_log(
                event_with_secret("req-broken", broken),
                &Settings::default(),
            ));
            responses.push(handle_and_log(malformed, &Settings::default()));
        });

        let lines = lines(&captured);
        let summaries: Vec<&Value> = lines
            .iter()
            .filter(|line| line["message"] == "macro invocation")
            .collect();
        let request_ids: Vec<&Value> = summaries.iter().map(|line| &line["request_id"]).collect();
        assert_eq!(request_ids, ["req-good", "req-broken", "req-malformed"]);
        assert_eq!(summaries[2]["outcome"], "malformed_event");
        assert_eq!(summaries[2]["transform_id"], "123456789012::Gradual");
        assert_eq!(responses[2].status, Status::Failure);

        let everything = lines
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            !everything.contains(SECRET),
            "a secret reached the logs:\n{everything}"
        );
        assert!(
            !everything.contains("s3cr3t"),
            "part of a secret reached the logs:\n{everything}"
        );
    }

    #[test]
    fn the_summary_line_carries_every_field_and_warnings_get_their_own_lines() {
        let invocation = Invocation {
            response: MacroResponse {
                request_id: "req-9".into(),
                status: Status::Success,
                fragment: json!({}),
                error_message: None,
            },
            transform_id: "123456789012::Gradual".into(),
            outcome: Outcome::Transformed,
            stats: Stats {
                functions: 3,
                resources_added: 7,
            },
            warnings: vec![Warning {
                path: TemplatePath::resource("Api").key("Properties"),
                message: "no alarms: rollback only on hook failure".into(),
            }],
        };
        let captured = capture(|| log_invocation(&invocation, Duration::from_millis(12)));
        let lines = lines(&captured);
        assert_eq!(lines.len(), 2, "{lines:?}");

        let warning = &lines[0];
        assert_eq!(warning["level"], "WARN");
        assert_eq!(warning["request_id"], "req-9");
        assert_eq!(warning["path"], "Resources.Api.Properties");
        assert_eq!(
            warning["warning"],
            "no alarms: rollback only on hook failure"
        );

        let summary = &lines[1];
        assert_eq!(summary["level"], "INFO");
        assert_eq!(summary["message"], "macro invocation");
        assert_eq!(summary["request_id"], "req-9");
        assert_eq!(summary["transform_id"], "123456789012::Gradual");
        assert_eq!(summary["outcome"], "transformed");
        assert_eq!(summary["status"], "success");
        assert_eq!(summary["functions_rewritten"], 3);
        assert_eq!(summary["resources_added"], 7);
        assert_eq!(summary["warnings"], 1);
        assert_eq!(summary["errors"], 0);
        assert_eq!(summary["duration_ms"], 12.0);
    }
}
