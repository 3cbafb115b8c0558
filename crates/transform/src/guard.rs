//! `Guard` and `SmokeTest`: the checks gradual writes for you.
//!
//! A guard alarm watches the new version only, through the Lambda metric dimensions
//! `FunctionName`, `Resource` (`<function>:<alias>`) and `ExecutedVersion`, so errors of the old
//! version (the very ones a hotfix is deployed to cure) never stop the deployment. The alarm's
//! `ExecutedVersion` is `!GetAtt <Version>.Version`: each new version updates the alarm in
//! place, and the alias waits for that update before CodeDeploy starts shifting.
//!
//! A smoke test is stored as an SSM parameter that the ready-made hooks read.

use serde_json::{json, Map, Value};

use crate::error::{ErrorKind, TransformError};
use crate::intrinsic::is_literal;
use crate::path::TemplatePath;
use crate::publish::{no_echo_written, not_resolvable, wrong_type};
use crate::scope::Scope;
use crate::suggest::closest;

const GUARD_KEYS: [&str; 4] = ["ErrorRate", "Throttles", "P99Duration", "MinInvocations"];
const SMOKE_TEST_KEYS: [&str; 2] = ["Event", "Expect"];

/// Below this many invocations of the new version in a minute, `ErrorRate` can't trip: one
/// failure in the first few canary requests is noise, not a rate.
pub(crate) const DEFAULT_MIN_INVOCATIONS: u64 = 10;
/// Lambda's longest timeout, in milliseconds.
const MAX_DURATION_MS: f64 = 900_000.0;

/// SSM's size limit for a parameter value, in the advanced tier.
const ADVANCED_PARAMETER_BYTES: usize = 8192;

pub(crate) use gradual_contract::{
    MANAGED_TAG_KEY, SMOKE_TEST_PARAMETER_PREFIX as SMOKE_TEST_PREFIX,
};

/// How every guard alarm's description starts, so views can tell them from the user's own.
pub(crate) const GUARD_DESCRIPTION_PREFIX: &str = "gradual guard: ";

/// Thresholds on the new version's own metrics, per minute.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Guard {
    /// Percent of invocations that fail.
    pub error_rate: Option<f64>,
    pub min_invocations: u64,
    /// Throttled invocations.
    pub throttles: Option<u64>,
    /// Milliseconds, 99th percentile.
    pub p99_duration: Option<f64>,
}

impl Guard {
    /// The alarms this guard generates for one version of `function_id`.
    ///
    /// Each version gets alarms of its own: `PutMetricAlarm` keeps an existing alarm's state,
    /// so an alarm updated in place to watch a hotfix would still be in ALARM from the broken
    /// version it replaces when CodeDeploy first reads it, and roll the fix back. A new alarm
    /// starts in INSUFFICIENT_DATA, which CodeDeploy does not treat as firing.
    pub(crate) fn alarm_ids(&self, function_id: &str, version_id: &str) -> Vec<String> {
        let version = version_id
            .strip_prefix(function_id)
            .and_then(|rest| rest.strip_prefix("Version"))
            .unwrap_or(version_id);
        let mut ids = Vec::new();
        if self.error_rate.is_some() {
            ids.push(format!("{function_id}GuardErrorRateAlarm{version}"));
        }
        if self.throttles.is_some() {
            ids.push(format!("{function_id}GuardThrottlesAlarm{version}"));
        }
        if self.p99_duration.is_some() {
            ids.push(format!("{function_id}GuardP99DurationAlarm{version}"));
        }
        ids
    }
}

/// A declarative smoke test: invoke the new version with `event`, expect `expect` in the reply.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SmokeTest {
    /// `{"event": ..., "expect": ...}` as the hooks read it.
    pub document: String,
}

pub(crate) fn read_guard(
    raw: &Value,
    path: &TemplatePath,
    scope: &Scope<'_>,
    errors: &mut Vec<TransformError>,
) -> Option<Guard> {
    let Value::Object(guard) = raw else {
        errors.push(wrong_type(path.clone(), "an object of thresholds", raw));
        return None;
    };
    let before = errors.len();
    unknown_keys(guard, path, &GUARD_KEYS, errors);
    let mut number = |key: &str| -> Option<f64> {
        let raw = guard.get(key)?;
        let at = path.key(key);
        let resolved = scope.resolve(raw, &at, errors);
        let value = match &resolved {
            Value::Number(n) => n.as_f64(),
            Value::String(text) => text.trim().parse::<f64>().ok(),
            _ => None,
        };
        match value {
            Some(value) if value.is_finite() => Some(value),
            _ if raw != &resolved => {
                errors.push(not_resolvable(at, raw, &resolved));
                None
            }
            _ => {
                errors.push(wrong_type(at, "a number", raw));
                None
            }
        }
    };
    let error_rate = number("ErrorRate");
    let throttles = number("Throttles");
    let p99_duration = number("P99Duration");
    let min_invocations = number("MinInvocations");
    let mut check = |key: &str, value: Option<f64>, valid: bool, rule: &str| {
        if let (Some(value), false) = (value, valid) {
            errors.push(TransformError::new(
                path.key(key),
                ErrorKind::invalid(format!("{key} is {value}; it must be {rule}")),
            ));
        }
    };
    check(
        "ErrorRate",
        error_rate,
        error_rate.is_none_or(|v| (0.0..100.0).contains(&v)),
        "a percentage from 0 up to (not including) 100",
    );
    check(
        "Throttles",
        throttles,
        throttles.is_none_or(|v| v >= 0.0 && v.fract() == 0.0),
        "a whole number of throttles per minute, 0 or more",
    );
    check(
        "P99Duration",
        p99_duration,
        p99_duration.is_none_or(|v| v > 0.0 && v <= MAX_DURATION_MS),
        "milliseconds above 0 and at most Lambda's 900000",
    );
    check(
        "MinInvocations",
        min_invocations,
        min_invocations.is_none_or(|v| v >= 1.0 && v.fract() == 0.0),
        "a whole number of invocations per minute, 1 or more",
    );
    if min_invocations.is_some() && error_rate.is_none() {
        errors.push(TransformError::new(
            path.key("MinInvocations"),
            ErrorKind::invalid("MinInvocations only applies to ErrorRate, which is not set"),
        ));
    }
    if error_rate.is_none()
        && throttles.is_none()
        && p99_duration.is_none()
        && errors.len() == before
    {
        errors.push(TransformError::new(
            path.clone(),
            ErrorKind::invalid("a Guard needs at least one of ErrorRate, Throttles or P99Duration"),
        ));
    }
    if errors.len() > before {
        return None;
    }
    Some(Guard {
        error_rate,
        // Validated above as whole and non-negative, so the casts are exact.
        min_invocations: min_invocations.map_or(DEFAULT_MIN_INVOCATIONS, |v| v as u64),
        throttles: throttles.map(|v| v as u64),
        p99_duration,
    })
}

pub(crate) fn read_smoke_test(
    raw: &Value,
    path: &TemplatePath,
    scope: &Scope<'_>,
    errors: &mut Vec<TransformError>,
) -> Option<SmokeTest> {
    let Value::Object(test) = raw else {
        errors.push(wrong_type(
            path.clone(),
            "an object with Event and Expect",
            raw,
        ));
        return None;
    };
    let before = errors.len();
    unknown_keys(test, path, &SMOKE_TEST_KEYS, errors);
    let mut part = |key: &str| -> Option<Value> {
        let Some(raw) = test.get(key) else {
            errors.push(TransformError::new(
                path.clone(),
                ErrorKind::MissingProperty(key.to_owned()),
            ));
            return None;
        };
        let at = path.key(key);
        if let Some(parameter) = scope.no_echo_in(raw) {
            // The test is stored as a plain String SSM parameter.
            errors.push(no_echo_written(at, parameter));
            return None;
        }
        let resolved = scope.resolve(raw, &at, errors);
        if is_literal(&resolved) {
            Some(resolved)
        } else {
            errors.push(TransformError::new(
                at,
                ErrorKind::invalid(
                    "must be plain JSON once parameters are resolved: the hooks read it as stored, \
                     so intrinsics that only CloudFormation can evaluate cannot appear in it",
                ),
            ));
            None
        }
    };
    let event = part("Event");
    let expect = part("Expect");
    if expect == Some(Value::Null) {
        // The hooks read `"expect": null` as a configuration mistake and fail every deployment.
        errors.push(TransformError::new(
            path.key("Expect"),
            ErrorKind::invalid(
                "is null, which no reply can contain: give the JSON the reply must contain, such as {statusCode: 200}",
            ),
        ));
    }
    if errors.len() > before {
        return None;
    }
    let document = json!({"event": event, "expect": expect}).to_string();
    if document.len() > ADVANCED_PARAMETER_BYTES {
        errors.push(TransformError::new(
            path.clone(),
            ErrorKind::invalid(format!(
                "the smoke test is {} bytes as JSON; an SSM parameter holds at most {ADVANCED_PARAMETER_BYTES}",
                document.len()
            )),
        ));
        return None;
    }
    Some(SmokeTest { document })
}

fn unknown_keys(
    object: &Map<String, Value>,
    path: &TemplatePath,
    known: &[&str],
    errors: &mut Vec<TransformError>,
) {
    for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.push(TransformError::new(
            path.key(key),
            ErrorKind::UnknownProperty {
                name: key.clone(),
                suggestion: closest(key, known).map(str::to_owned),
            },
        ));
    }
}

/// What a guard or smoke test needs from the function it protects.
pub(crate) struct Target<'a> {
    pub function_id: &'a str,
    pub alias_name: &'a str,
    pub version_id: &'a str,
    pub condition: Option<&'a Value>,
    pub tags: Option<&'a Value>,
}

/// The guard's alarms, in a stable order.
pub(crate) fn alarms(guard: &Guard, target: &Target<'_>) -> Vec<(String, Value)> {
    let dimensions = json!([
        {"Name": "FunctionName", "Value": {"Ref": target.function_id}},
        {"Name": "Resource", "Value": {"Fn::Sub": format!("${{{}}}:{}", target.function_id, target.alias_name)}},
        {"Name": "ExecutedVersion", "Value": {"Fn::GetAtt": [target.version_id, "Version"]}},
    ]);
    let metric = |name: &str| json!({"Namespace": "AWS/Lambda", "MetricName": name, "Dimensions": dimensions});
    let ids = guard.alarm_ids(target.function_id, target.version_id);
    let mut ids = ids.into_iter();
    let mut alarms = Vec::new();
    let mut alarm = |description: String, properties: Value| {
        let Some(id) = ids.next() else { return };
        let mut properties = match properties {
            Value::Object(properties) => properties,
            _ => Map::new(),
        };
        properties.insert("AlarmDescription".into(), Value::String(description));
        properties.insert("TreatMissingData".into(), "notBreaching".into());
        if let Some(tags) = target.tags {
            properties.insert("Tags".into(), tags.clone());
        }
        let mut resource = Map::new();
        resource.insert("Type".into(), "AWS::CloudWatch::Alarm".into());
        if let Some(condition) = target.condition {
            resource.insert("Condition".into(), condition.clone());
        }
        resource.insert("Properties".into(), Value::Object(properties));
        alarms.push((id, Value::Object(resource)));
    };
    if let Some(rate) = guard.error_rate {
        let stat = |id: &str, name: &str| json!({"Id": id, "MetricStat": {"Metric": metric(name), "Period": 60, "Stat": "Sum"}, "ReturnData": false});
        alarm(
            format!(
                "{GUARD_DESCRIPTION_PREFIX}more than {rate}% of the new version's invocations of {} fail in two consecutive minutes (with at least {} invocations a minute)",
                target.function_id, guard.min_invocations
            ),
            json!({
                "ComparisonOperator": "GreaterThanThreshold",
                "Threshold": rate,
                "EvaluationPeriods": 2,
                "DatapointsToAlarm": 2,
                "Metrics": [
                    stat("errors", "Errors"),
                    stat("invocations", "Invocations"),
                    {
                        "Id": "rate",
                        "Label": "error rate of the new version (%)",
                        "Expression": format!("IF(invocations >= {}, 100 * errors / invocations, 0)", guard.min_invocations),
                        "ReturnData": true
                    }
                ]
            }),
        );
    }
    if let Some(throttles) = guard.throttles {
        let m = metric("Throttles");
        alarm(
            format!("{GUARD_DESCRIPTION_PREFIX}the new version of {} is throttled more than {throttles} times in a minute", target.function_id),
            json!({
                "ComparisonOperator": "GreaterThanThreshold",
                "Threshold": throttles,
                "EvaluationPeriods": 1,
                "DatapointsToAlarm": 1,
                "Namespace": m["Namespace"], "MetricName": m["MetricName"], "Dimensions": m["Dimensions"],
                "Period": 60, "Statistic": "Sum"
            }),
        );
    }
    if let Some(p99) = guard.p99_duration {
        let m = metric("Duration");
        alarm(
            format!("{GUARD_DESCRIPTION_PREFIX}the new version of {} takes more than {p99} ms at p99 in two consecutive minutes", target.function_id),
            json!({
                "ComparisonOperator": "GreaterThanThreshold",
                "Threshold": p99,
                "EvaluationPeriods": 2,
                "DatapointsToAlarm": 2,
                "Namespace": m["Namespace"], "MetricName": m["MetricName"], "Dimensions": m["Dimensions"],
                "Period": 60, "ExtendedStatistic": "p99",
                // With a few canary requests a minute p99 is the maximum, so two cold starts
                // would roll back a healthy version; too few samples leave the state alone.
                "EvaluateLowSampleCountPercentile": "ignore"
            }),
        );
    }
    alarms
}

/// The SSM parameter holding a smoke test, named after the function's physical name.
pub(crate) fn smoke_test_parameter(test: &SmokeTest, target: &Target<'_>) -> (String, Value) {
    let mut properties = Map::new();
    properties.insert(
        "Name".into(),
        json!({"Fn::Sub": format!("{SMOKE_TEST_PREFIX}${{{}}}", target.function_id)}),
    );
    properties.insert("Type".into(), "String".into());
    properties.insert("Value".into(), Value::String(test.document.clone()));
    // SSM refuses to move a parameter from Advanced back to Standard, so a test that grew past
    // the standard tier's size and later shrank could never be deployed with an explicit tier.
    // Intelligent-Tiering starts standard, upgrades when the value needs it, and never asks
    // for a downgrade.
    properties.insert("Tier".into(), "Intelligent-Tiering".into());
    properties.insert(
        "Description".into(),
        Value::String(format!(
            "gradual smoke test for {}: the event to invoke it with and the reply to expect",
            target.function_id
        )),
    );
    let mut resource = Map::new();
    resource.insert("Type".into(), "AWS::SSM::Parameter".into());
    if let Some(condition) = target.condition {
        resource.insert("Condition".into(), condition.clone());
    }
    resource.insert("Properties".into(), Value::Object(properties));
    (
        smoke_test_logical_id(target.function_id),
        Value::Object(resource),
    )
}

pub(crate) fn smoke_test_logical_id(function_id: &str) -> String {
    format!("{function_id}SmokeTest")
}
