//! `Guard`: alarms gradual writes on the new version's own metrics.
//!
//! A guard alarm watches the new version only, through the Lambda metric dimensions
//! `FunctionName`, `Resource` (`<function>:<alias>`) and `ExecutedVersion`, so errors of the old
//! version (the very ones a hotfix is deployed to cure) never stop the deployment. The alarm's
//! `ExecutedVersion` is `!GetAtt <Version>.Version`: each new version updates the alarm in
//! place, and the alias waits for that update before CodeDeploy starts shifting.

use serde_json::{json, Map, Value};

use crate::error::{Diagnostics, ErrorKind};
use crate::intrinsic::is_intrinsic;
use crate::path::TemplatePath;
use crate::scope::Scope;

/// Below this many invocations of the new version in a minute, `ErrorRate` can't trip: one
/// failure in the first few canary requests is noise, not a rate.
pub(crate) const DEFAULT_MIN_INVOCATIONS: u64 = 10;
/// Lambda's longest timeout, in milliseconds.
const MAX_DURATION_MS: f64 = 900_000.0;

/// How every guard alarm's description starts, so views can tell them from the user's own.
pub(crate) const GUARD_DESCRIPTION_PREFIX: &str = "gradual guard: ";

/// A metric of the new version a guard can watch, in the order its alarms are generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GuardMetric {
    ErrorRate,
    Throttles,
    P99Duration,
}

impl GuardMetric {
    pub(crate) const ALL: [Self; 3] = [Self::ErrorRate, Self::Throttles, Self::P99Duration];

    /// Its key in `Guard`, which is also its part of the alarm's logical ID.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::ErrorRate => "ErrorRate",
            Self::Throttles => "Throttles",
            Self::P99Duration => "P99Duration",
        }
    }
}

const GUARD_KEYS: [&str; 4] = ["ErrorRate", "Throttles", "P99Duration", "MinInvocations"];

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
    /// The metrics this guard watches, in a stable order.
    pub(crate) fn metrics(&self) -> impl Iterator<Item = GuardMetric> + '_ {
        GuardMetric::ALL.into_iter().filter(|metric| match metric {
            GuardMetric::ErrorRate => self.error_rate.is_some(),
            GuardMetric::Throttles => self.throttles.is_some(),
            GuardMetric::P99Duration => self.p99_duration.is_some(),
        })
    }

    /// The logical IDs of the alarms this guard generates for one version of `function_id`.
    ///
    /// Each version gets alarms of its own: `PutMetricAlarm` keeps an existing alarm's state,
    /// so an alarm updated in place to watch a hotfix would still be in ALARM from the broken
    /// version it replaces when CodeDeploy first reads it, and roll the fix back. A new alarm
    /// starts in INSUFFICIENT_DATA, which CodeDeploy does not treat as firing.
    pub(crate) fn alarm_ids(&self, function_id: &str, version_id: &str) -> Vec<String> {
        self.metrics()
            .map(|metric| alarm_id(metric, function_id, version_id))
            .collect()
    }
}

fn alarm_id(metric: GuardMetric, function_id: &str, version_id: &str) -> String {
    let version = version_id
        .strip_prefix(function_id)
        .and_then(|rest| rest.strip_prefix("Version"))
        .unwrap_or(version_id);
    format!("{function_id}Guard{}Alarm{version}", metric.key())
}

/// Reads `Guard`; `None` when it has errors (reported).
pub(crate) fn read_guard(
    raw: &Value,
    path: &TemplatePath,
    scope: &Scope<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Guard> {
    let guard = diagnostics.object(raw, path, "an object of thresholds")?;
    diagnostics.clean(|diagnostics| {
        let (guard, reported) = diagnostics.attempt(|diagnostics| {
            diagnostics.unknown_keys(guard, path, &GUARD_KEYS);
            let mut number = |key: &str| threshold(guard, key, path, scope, diagnostics);
            let thresholds = [
                number("ErrorRate"),
                number("Throttles"),
                number("P99Duration"),
                number("MinInvocations"),
            ];
            check_ranges(path, thresholds, diagnostics);
            let [error_rate, throttles, p99_duration, min_invocations] = thresholds;
            if min_invocations.is_some() && error_rate.is_none() {
                let message = "MinInvocations only applies to ErrorRate, which is not set";
                diagnostics.error(path.key("MinInvocations"), ErrorKind::invalid(message));
            }
            Guard {
                error_rate,
                // Validated as whole and non-negative, so the casts are exact.
                min_invocations: min_invocations.map_or(DEFAULT_MIN_INVOCATIONS, |v| v as u64),
                throttles: throttles.map(|v| v as u64),
                p99_duration,
            }
        });
        if guard.metrics().next().is_none() && !reported {
            let message = "a Guard needs at least one of ErrorRate, Throttles or P99Duration";
            diagnostics.error(path.clone(), ErrorKind::invalid(message));
        }
        Some(guard)
    })
}

/// One threshold: a finite number, given or resolved.
fn threshold(
    guard: &Map<String, Value>,
    key: &str,
    path: &TemplatePath,
    scope: &Scope<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<f64> {
    let raw = guard.get(key)?;
    let at = path.key(key);
    let resolved = scope.resolve(raw, &at, diagnostics);
    let value = match &resolved {
        Value::Number(n) => n.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    };
    match value {
        Some(value) if value.is_finite() => Some(value),
        _ if raw != &resolved || is_intrinsic(raw) => {
            diagnostics.not_resolvable(at, raw, &resolved);
            None
        }
        _ => {
            diagnostics.wrong_type(at, "a number", raw);
            None
        }
    }
}

/// A threshold's key, whether a value is in its range, and the range in words.
type RangeRule = (&'static str, fn(f64) -> bool, &'static str);

/// Each given threshold against its range: `[ErrorRate, Throttles, P99Duration, MinInvocations]`.
fn check_ranges(path: &TemplatePath, values: [Option<f64>; 4], diagnostics: &mut Diagnostics) {
    let rules: [RangeRule; 4] = [
        (
            "ErrorRate",
            |v| (0.0..100.0).contains(&v),
            "a percentage from 0 up to (not including) 100",
        ),
        (
            "Throttles",
            |v| v >= 0.0 && v.fract() == 0.0,
            "a whole number of throttles per minute, 0 or more",
        ),
        (
            "P99Duration",
            |v| v > 0.0 && v <= MAX_DURATION_MS,
            "milliseconds above 0 and at most Lambda's 900000",
        ),
        (
            "MinInvocations",
            |v| v >= 1.0 && v.fract() == 0.0,
            "a whole number of invocations per minute, 1 or more",
        ),
    ];
    for ((key, valid, rule), value) in rules.into_iter().zip(values) {
        if let Some(value) = value.filter(|v| !valid(*v)) {
            let message = format!("{key} is {value}; it must be {rule}");
            diagnostics.error(path.key(key), ErrorKind::invalid(message));
        }
    }
}

/// The function a guard protects, and what its alarms copy from it.
pub(crate) struct ProtectedFunction<'a> {
    pub function_id: &'a str,
    pub alias_name: &'a str,
    pub version_id: &'a str,
    pub condition: Option<&'a Value>,
    pub tags: Option<&'a Value>,
}

/// The guard's alarms, in a stable order.
pub(crate) fn alarms(guard: &Guard, function: &ProtectedFunction<'_>) -> Vec<(String, Value)> {
    guard
        .metrics()
        .map(|metric| {
            let id = alarm_id(metric, function.function_id, function.version_id);
            (id, alarm(guard, metric, function))
        })
        .collect()
}

fn alarm(guard: &Guard, metric: GuardMetric, function: &ProtectedFunction<'_>) -> Value {
    let (description, properties) = alarm_properties(guard, metric, function);
    let mut properties = match properties {
        Value::Object(properties) => properties,
        _ => Map::new(),
    };
    properties.insert("AlarmDescription".into(), Value::String(description));
    properties.insert("TreatMissingData".into(), "notBreaching".into());
    if let Some(tags) = function.tags {
        properties.insert("Tags".into(), tags.clone());
    }
    let mut resource = Map::new();
    resource.insert("Type".into(), "AWS::CloudWatch::Alarm".into());
    if let Some(condition) = function.condition {
        resource.insert("Condition".into(), condition.clone());
    }
    resource.insert("Properties".into(), Value::Object(properties));
    Value::Object(resource)
}

/// The description and the metric properties of one guard alarm.
fn alarm_properties(
    guard: &Guard,
    metric: GuardMetric,
    function: &ProtectedFunction<'_>,
) -> (String, Value) {
    let id = function.function_id;
    let dimensions = json!([
        {"Name": "FunctionName", "Value": {"Ref": id}},
        {"Name": "Resource", "Value": {"Fn::Sub": format!("${{{id}}}:{}", function.alias_name)}},
        {"Name": "ExecutedVersion", "Value": {"Fn::GetAtt": [function.version_id, "Version"]}},
    ]);
    let stat = |stat_id: &str, name: &str| json!({"Id": stat_id, "MetricStat": {"Metric": {"Namespace": "AWS/Lambda", "MetricName": name, "Dimensions": dimensions}, "Period": 60, "Stat": "Sum"}, "ReturnData": false});
    match metric {
        GuardMetric::ErrorRate => {
            let rate = guard.error_rate.unwrap_or_default();
            let least = guard.min_invocations;
            (
                format!(
                    "{GUARD_DESCRIPTION_PREFIX}more than {rate}% of the new version's invocations of {id} fail in two consecutive minutes (with at least {least} invocations a minute)"
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
                            "Expression": format!("IF(invocations >= {least}, 100 * errors / invocations, 0)"),
                            "ReturnData": true
                        }
                    ]
                }),
            )
        }
        GuardMetric::Throttles => {
            let throttles = guard.throttles.unwrap_or_default();
            (
                format!("{GUARD_DESCRIPTION_PREFIX}the new version of {id} is throttled more than {throttles} times in a minute"),
                json!({
                    "ComparisonOperator": "GreaterThanThreshold",
                    "Threshold": throttles,
                    "EvaluationPeriods": 1,
                    "DatapointsToAlarm": 1,
                    "Namespace": "AWS/Lambda", "MetricName": "Throttles", "Dimensions": dimensions,
                    "Period": 60, "Statistic": "Sum"
                }),
            )
        }
        GuardMetric::P99Duration => {
            let p99 = guard.p99_duration.unwrap_or_default();
            (
                format!("{GUARD_DESCRIPTION_PREFIX}the new version of {id} takes more than {p99} ms at p99 in two consecutive minutes"),
                json!({
                    "ComparisonOperator": "GreaterThanThreshold",
                    "Threshold": p99,
                    "EvaluationPeriods": 2,
                    "DatapointsToAlarm": 2,
                    "Namespace": "AWS/Lambda", "MetricName": "Duration", "Dimensions": dimensions,
                    "Period": 60, "ExtendedStatistic": "p99",
                    // With a few canary requests a minute p99 is the maximum, so two cold starts
                    // would roll back a healthy version; too few samples leave the state alone.
                    "EvaluateLowSampleCountPercentile": "ignore"
                }),
            )
        }
    }
}
