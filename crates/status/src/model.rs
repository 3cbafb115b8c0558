//! What a stack's gradual deployments look like, built from plain records of the AWS answers.
//!
//! Everything here is pure: [`crate::aws`] turns SDK types into the `*Record` structs, and
//! [`FunctionStatus::build`] and friends decide what they mean. Times are seconds since the
//! Unix epoch, so tests can pin them.

use std::collections::BTreeMap;

use serde_json::{json, Map, Number, Value};

use crate::template::{Skipped, Target};

/// CodeDeploy statuses of a deployment that hasn't finished.
pub const IN_FLIGHT: [&str; 5] = ["Created", "Queued", "InProgress", "Baking", "Ready"];

/// CodeDeploy's lifecycle events of a Lambda deployment that run a hook.
pub const PRE_TRAFFIC: &str = "BeforeAllowTraffic";
pub const POST_TRAFFIC: &str = "AfterAllowTraffic";
const ALLOW_TRAFFIC: &str = "AllowTraffic";

/// The `DeploymentCreator` of a deployment CodeDeploy made to roll another one back.
const ROLLBACK_CREATOR: &str = "codeDeployRollback";

/// A deployment as BatchGetDeployments describes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeploymentRecord {
    pub id: String,
    pub status: String,
    pub creator: Option<String>,
    pub config_name: Option<String>,
    pub create_time: Option<i64>,
    pub complete_time: Option<i64>,
    pub error: Option<ErrorInfo>,
    /// The deployment CodeDeploy made to roll this one back.
    pub rollback_deployment_id: Option<String>,
    /// For a rollback deployment: the deployment it rolled back.
    pub rollback_triggering_id: Option<String>,
    pub rollback_message: Option<String>,
}

impl DeploymentRecord {
    pub fn in_flight(&self) -> bool {
        IN_FLIGHT.contains(&self.status.as_str())
    }

    /// The deployment this rollback deployment undid, if it is one.
    pub fn rolls_back(&self) -> Option<&str> {
        (self.creator.as_deref() == Some(ROLLBACK_CREATOR))
            .then_some(self.rollback_triggering_id.as_deref())
            .flatten()
    }
}

/// CodeDeploy's `errorInformation`: why a deployment failed or stopped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorInfo {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// One lifecycle event of the deployment's Lambda target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LifecycleRecord {
    pub name: String,
    pub status: String,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
}

/// The deployment's Lambda target (BatchGetDeploymentTargets).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TargetRecord {
    pub current_version: Option<String>,
    pub target_version: Option<String>,
    pub lifecycle_events: Vec<LifecycleRecord>,
}

/// The alias now (GetAlias): its version and its routing configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AliasRecord {
    pub function_version: String,
    /// `AdditionalVersionWeights`, 0.0–1.0.
    pub weights: BTreeMap<String, f64>,
}

/// A deployment config's traffic routing (GetDeploymentConfig).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedule {
    AllAtOnce,
    /// `percent` first, everything `minutes` later.
    Canary {
        percent: u32,
        minutes: u32,
    },
    /// `percent` more every `minutes`.
    Linear {
        percent: u32,
        minutes: u32,
    },
}

impl Schedule {
    /// `(seconds after the first shift, percent on the target)` for every shift.
    pub fn steps(self) -> Vec<(i64, f64)> {
        match self {
            Self::AllAtOnce => vec![(0, 100.0)],
            Self::Canary { percent, minutes } => {
                vec![(0, f64::from(percent)), (i64::from(minutes) * 60, 100.0)]
            }
            Self::Linear { percent, minutes } => {
                let percent = percent.clamp(1, 100);
                (0..100u32.div_ceil(percent))
                    .map(|step| {
                        (
                            i64::from(step) * i64::from(minutes) * 60,
                            f64::from(((step + 1) * percent).min(100)),
                        )
                    })
                    .collect()
            }
        }
    }

    /// Seconds from the first shift until all traffic is on the target.
    pub fn shifting_seconds(self) -> i64 {
        self.steps().last().map_or(0, |(at, _)| *at)
    }

    /// In words: `canary 10%, then 100% after 5 minutes`.
    pub fn describe(self) -> String {
        let minutes = |count: u32| {
            if count == 1 {
                "1 minute".to_owned()
            } else {
                format!("{count} minutes")
            }
        };
        match self {
            Self::AllAtOnce => "all at once".to_owned(),
            Self::Canary {
                percent,
                minutes: m,
            } => {
                format!("canary {percent}%, then 100% after {}", minutes(m))
            }
            Self::Linear {
                percent,
                minutes: m,
            } => {
                format!("linear {percent}% every {}", minutes(m))
            }
        }
    }

    fn to_json(self) -> Value {
        match self {
            Self::AllAtOnce => json!({"type": "AllAtOnce"}),
            Self::Canary { percent, minutes } => {
                json!({"type": "TimeBasedCanary", "percentage": percent, "intervalMinutes": minutes})
            }
            Self::Linear { percent, minutes } => {
                json!({"type": "TimeBasedLinear", "percentage": percent, "intervalMinutes": minutes})
            }
        }
    }
}

/// Everything fetched about one function's deployment group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    /// `false` when the deployment group doesn't exist (yet).
    pub group_exists: bool,
    pub deployment_config: Option<String>,
    pub alarm_names: Vec<String>,
    pub alarms_enabled: bool,
    /// The deployment to show (see [`choose`]).
    pub deployment: Option<DeploymentRecord>,
    /// The deployment that rolled it back, if any.
    pub rollback: Option<DeploymentRecord>,
    pub target: Option<TargetRecord>,
    pub alias: Option<AliasRecord>,
    /// Alarm name → `OK`, `ALARM` or `INSUFFICIENT_DATA`; missing alarms are absent.
    pub alarm_states: BTreeMap<String, String>,
    pub schedule: Option<Schedule>,
}

/// Which deployment a function's status is about, from the group's candidates (the in-flight
/// ones, else the last attempted one): the newest. A rollback deployment stands for the
/// deployment it rolled back, which is what the user deployed and wants to hear about.
#[derive(Clone, Debug, PartialEq)]
pub enum Choice {
    None,
    Deployment(DeploymentRecord),
    /// `rollback` undid the deployment with id `original`, still to be fetched.
    RolledBack {
        original: String,
        rollback: DeploymentRecord,
    },
}

pub fn choose(candidates: Vec<DeploymentRecord>) -> Choice {
    let newest = candidates
        .into_iter()
        .max_by(|a, b| (a.create_time, &a.id).cmp(&(b.create_time, &b.id)));
    match newest {
        None => Choice::None,
        Some(record) => match record.rolls_back().map(str::to_owned) {
            Some(original) => Choice::RolledBack {
                original,
                rollback: record,
            },
            None => Choice::Deployment(record),
        },
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct HookStatus {
    /// `BeforeAllowTraffic` or `AfterAllowTraffic`.
    pub phase: String,
    pub function: Option<String>,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmStatus {
    pub name: String,
    /// CloudWatch's state, or `NOT_FOUND` when the alarm doesn't exist.
    pub state: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RollbackStatus {
    pub deployment_id: Option<String>,
    pub status: Option<String>,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentStatus {
    pub id: String,
    pub status: String,
    pub creator: Option<String>,
    pub deployment_config: Option<String>,
    pub current_version: Option<String>,
    pub target_version: Option<String>,
    /// Percent of the alias's traffic on the target version now.
    pub traffic_to_target: Option<f64>,
    pub schedule: Option<Schedule>,
    pub start_time: Option<i64>,
    /// When the AllowTraffic event started: the first shift.
    pub shift_start: Option<i64>,
    /// When all traffic will be on the target, for a deployment still shifting.
    pub expected_end_time: Option<i64>,
    pub end_time: Option<i64>,
    /// The AllowTraffic event's status.
    pub traffic_shift: Option<String>,
    pub hooks: Vec<HookStatus>,
    pub alarms: Vec<AlarmStatus>,
    pub alarms_enabled: bool,
    pub error: Option<ErrorInfo>,
    pub rollback: Option<RollbackStatus>,
}

impl DeploymentStatus {
    pub fn in_flight(&self) -> bool {
        IN_FLIGHT.contains(&self.status.as_str())
            || self
                .rollback
                .as_ref()
                .and_then(|rollback| rollback.status.as_deref())
                .is_some_and(|status| IN_FLIGHT.contains(&status))
    }

    /// Finished other than with success: failed, stopped (and so rolled back).
    pub fn unsuccessful(&self) -> bool {
        matches!(self.status.as_str(), "Failed" | "Stopped")
    }

    /// The next shift after `now`: `(when, percent)`.
    pub fn next_step(&self, now: i64) -> Option<(i64, f64)> {
        if !IN_FLIGHT.contains(&self.status.as_str()) {
            return None;
        }
        let start = self.shift_start?;
        let traffic = self.traffic_to_target.unwrap_or(0.0);
        self.schedule?
            .steps()
            .into_iter()
            .map(|(offset, percent)| (start.saturating_add(offset), percent))
            .find(|(at, percent)| *at > now || *percent > traffic + 0.005)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FunctionStatus {
    pub target: Target,
    pub group_exists: bool,
    pub deployment_config: Option<String>,
    pub deployment: Option<DeploymentStatus>,
}

impl FunctionStatus {
    pub fn build(target: Target, observed: Observed) -> FunctionStatus {
        let deployment = observed
            .deployment
            .as_ref()
            .map(|record| deployment_status(&target, &observed, record));
        FunctionStatus {
            target,
            group_exists: observed.group_exists,
            deployment_config: observed.deployment_config,
            deployment,
        }
    }
}

fn deployment_status(
    target: &Target,
    observed: &Observed,
    record: &DeploymentRecord,
) -> DeploymentStatus {
    let lambda = observed.target.as_ref();
    let event = |name: &str| {
        lambda.and_then(|lambda| {
            lambda
                .lifecycle_events
                .iter()
                .find(|event| event.name == name)
        })
    };
    let target_version = lambda.and_then(|lambda| lambda.target_version.clone());
    let traffic_to_target = match (&observed.alias, &target_version) {
        (Some(alias), Some(version)) => Some(traffic_on(alias, version)),
        _ => None,
    };
    let shift_start = event(ALLOW_TRAFFIC).and_then(|event| event.start_time);
    let in_flight = IN_FLIGHT.contains(&record.status.as_str());
    let expected_end_time = match (in_flight, shift_start, observed.schedule) {
        (true, Some(start), Some(schedule)) => {
            Some(start.saturating_add(schedule.shifting_seconds()))
        }
        _ => None,
    };
    let mut hooks = Vec::new();
    for (phase, function) in [
        (PRE_TRAFFIC, &target.pre_traffic_hook),
        (POST_TRAFFIC, &target.post_traffic_hook),
    ] {
        let status = event(phase).map(|event| event.status.clone());
        // A phase without a hook is listed only if CodeDeploy says something other than
        // Skipped, which would mean the template and the deployment disagree.
        if function.is_none() && status.as_deref().is_none_or(|status| status == "Skipped") {
            continue;
        }
        hooks.push(HookStatus {
            phase: phase.to_owned(),
            function: function.clone(),
            status: status.unwrap_or_else(|| "Pending".to_owned()),
        });
    }
    let alarms = observed
        .alarm_names
        .iter()
        .map(|name| AlarmStatus {
            name: name.clone(),
            state: observed
                .alarm_states
                .get(name)
                .cloned()
                .unwrap_or_else(|| "NOT_FOUND".to_owned()),
        })
        .collect();
    let rollback = match (&observed.rollback, &record.rollback_message) {
        (None, None) => None,
        (rollback, message) => Some(RollbackStatus {
            deployment_id: rollback
                .as_ref()
                .map(|rollback| rollback.id.clone())
                .or_else(|| record.rollback_deployment_id.clone()),
            status: rollback.as_ref().map(|rollback| rollback.status.clone()),
            message: message.clone(),
        }),
    };
    DeploymentStatus {
        id: record.id.clone(),
        status: record.status.clone(),
        creator: record.creator.clone(),
        deployment_config: record
            .config_name
            .clone()
            .or_else(|| observed.deployment_config.clone()),
        current_version: lambda.and_then(|lambda| lambda.current_version.clone()),
        target_version,
        traffic_to_target,
        schedule: observed.schedule,
        start_time: record.create_time,
        shift_start,
        expected_end_time,
        end_time: record.complete_time,
        traffic_shift: event(ALLOW_TRAFFIC).map(|event| event.status.clone()),
        hooks,
        alarms,
        alarms_enabled: observed.alarms_enabled,
        error: record.error.clone(),
        rollback,
    }
}

/// Percent of the alias's traffic that goes to `version`, to two decimals.
pub fn traffic_on(alias: &AliasRecord, version: &str) -> f64 {
    let weight = if alias.function_version == version {
        1.0 - alias
            .weights
            .iter()
            .filter(|(other, _)| other.as_str() != version)
            .map(|(_, weight)| weight)
            .sum::<f64>()
    } else {
        alias.weights.get(version).copied().unwrap_or(0.0)
    };
    (weight.clamp(0.0, 1.0) * 10_000.0).round() / 100.0
}

/// The stack and all of its gradual functions, at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub stack: String,
    pub stack_status: String,
    pub stack_status_reason: Option<String>,
    pub functions: Vec<FunctionStatus>,
    pub skipped: Vec<Skipped>,
}

impl Snapshot {
    /// The stack is being created, updated, rolled back or deleted. REVIEW_IN_PROGRESS is a
    /// change set waiting to be executed, which may never happen: nothing to wait for.
    pub fn stack_in_progress(&self) -> bool {
        self.stack_status.ends_with("_IN_PROGRESS") && self.stack_status != "REVIEW_IN_PROGRESS"
    }

    pub fn stack_unsuccessful(&self) -> bool {
        self.stack_status.contains("ROLLBACK") || self.stack_status.ends_with("_FAILED")
    }

    /// Nothing more will change without a new deployment.
    pub fn settled(&self) -> bool {
        !self.stack_in_progress()
            && self
                .functions
                .iter()
                .filter_map(|function| function.deployment.as_ref())
                .all(|deployment| !deployment.in_flight())
    }

    /// Every function's latest deployment succeeded (or there was none) and the stack didn't
    /// roll back.
    pub fn succeeded(&self) -> bool {
        !self.stack_unsuccessful()
            && self
                .functions
                .iter()
                .filter_map(|function| function.deployment.as_ref())
                .all(|deployment| !deployment.unsuccessful())
    }

    /// The documented JSON form (docs/cli.md): add fields freely, never rename.
    pub fn to_json(&self) -> Value {
        json!({
            "stack": self.stack,
            "stackStatus": self.stack_status,
            "stackStatusReason": self.stack_status_reason,
            "functions": self.functions.iter().map(function_json).collect::<Vec<_>>(),
            "skipped": self.skipped.iter().map(|skipped| json!({
                "logicalId": skipped.alias_logical_id,
                "reason": skipped.reason,
            })).collect::<Vec<_>>(),
        })
    }
}

fn function_json(function: &FunctionStatus) -> Value {
    let target = &function.target;
    json!({
        "logicalId": target.logical_id,
        "aliasLogicalId": target.alias_logical_id,
        "functionName": target.function_name,
        "alias": target.alias,
        "application": target.application,
        "deploymentGroup": target.deployment_group,
        "deploymentGroupExists": function.group_exists,
        "deployment": function.deployment.as_ref().map(deployment_json),
    })
}

fn deployment_json(deployment: &DeploymentStatus) -> Value {
    let mut object = Map::new();
    let mut put = |key: &str, value: Value| {
        object.insert(key.to_owned(), value);
    };
    put("id", json!(deployment.id));
    put("status", json!(deployment.status));
    put("creator", json!(deployment.creator));
    put("deploymentConfig", json!(deployment.deployment_config));
    put("currentVersion", json!(deployment.current_version));
    put("targetVersion", json!(deployment.target_version));
    put(
        "trafficToTarget",
        deployment.traffic_to_target.map_or(Value::Null, number),
    );
    put(
        "schedule",
        deployment.schedule.map_or(Value::Null, Schedule::to_json),
    );
    put("startTime", timestamp_json(deployment.start_time));
    put(
        "trafficShiftStartTime",
        timestamp_json(deployment.shift_start),
    );
    put(
        "expectedEndTime",
        timestamp_json(deployment.expected_end_time),
    );
    put("endTime", timestamp_json(deployment.end_time));
    put("trafficShiftStatus", json!(deployment.traffic_shift));
    put(
        "hooks",
        Value::Array(
            deployment
                .hooks
                .iter()
                .map(|hook| json!({"phase": hook.phase, "function": hook.function, "status": hook.status}))
                .collect(),
        ),
    );
    put("alarmsEnabled", json!(deployment.alarms_enabled));
    put(
        "alarms",
        Value::Array(
            deployment
                .alarms
                .iter()
                .map(|alarm| json!({"name": alarm.name, "state": alarm.state}))
                .collect(),
        ),
    );
    put(
        "error",
        deployment.error.as_ref().map_or(
            Value::Null,
            |error| json!({"code": error.code, "message": error.message}),
        ),
    );
    put(
        "rollback",
        deployment.rollback.as_ref().map_or(Value::Null, |rollback| {
            json!({"deploymentId": rollback.deployment_id, "status": rollback.status, "message": rollback.message})
        }),
    );
    Value::Object(object)
}

/// A whole number stays an integer in JSON (`10`, not `10.0`).
fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        // Exact: a whole f64 below 2^53 converts without loss.
        #[allow(clippy::cast_possible_truncation)]
        let whole = value as i64;
        Value::Number(Number::from(whole))
    } else {
        Number::from_f64(value).map_or(Value::Null, Value::Number)
    }
}

fn timestamp_json(seconds: Option<i64>) -> Value {
    seconds.map_or(Value::Null, |seconds| Value::String(timestamp(seconds)))
}

/// RFC 3339 in UTC: `2026-03-01T10:00:00Z`.
pub fn timestamp(seconds: i64) -> String {
    use aws_sdk_codedeploy::primitives::{DateTime, DateTimeFormat};
    DateTime::from_secs(seconds)
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, status: &str, created: i64) -> DeploymentRecord {
        DeploymentRecord {
            id: id.into(),
            status: status.into(),
            create_time: Some(created),
            ..DeploymentRecord::default()
        }
    }

    fn target() -> Target {
        Target {
            logical_id: "Api".into(),
            alias_logical_id: "ApiAliaslive".into(),
            function_name: "orders-Api".into(),
            alias: "live".into(),
            application: "app".into(),
            deployment_group: "group".into(),
            pre_traffic_hook: Some("pre".into()),
            post_traffic_hook: None,
        }
    }

    fn alias(version: &str, weights: &[(&str, f64)]) -> AliasRecord {
        AliasRecord {
            function_version: version.into(),
            weights: weights
                .iter()
                .map(|(version, weight)| ((*version).to_owned(), *weight))
                .collect(),
        }
    }

    #[test]
    fn traffic_comes_from_the_routing_configuration() {
        assert_eq!(traffic_on(&alias("2", &[("3", 0.1)]), "3"), 10.0);
        assert_eq!(traffic_on(&alias("2", &[("3", 0.4)]), "3"), 40.0);
        assert_eq!(traffic_on(&alias("2", &[("3", 0.125)]), "3"), 12.5);
        assert_eq!(traffic_on(&alias("3", &[]), "3"), 100.0);
        assert_eq!(traffic_on(&alias("2", &[]), "3"), 0.0);
        // The target as the alias's version with weight left on the old one.
        assert_eq!(traffic_on(&alias("3", &[("2", 0.3)]), "3"), 70.0);
    }

    #[test]
    fn schedules_step_like_codedeploy() {
        let canary = Schedule::Canary {
            percent: 10,
            minutes: 5,
        };
        assert_eq!(canary.steps(), vec![(0, 10.0), (300, 100.0)]);
        assert_eq!(canary.shifting_seconds(), 300);
        let linear = Schedule::Linear {
            percent: 30,
            minutes: 2,
        };
        assert_eq!(
            linear.steps(),
            vec![(0, 30.0), (120, 60.0), (240, 90.0), (360, 100.0)]
        );
        assert_eq!(Schedule::AllAtOnce.shifting_seconds(), 0);
        assert_eq!(
            Schedule::Linear {
                percent: 10,
                minutes: 1
            }
            .describe(),
            "linear 10% every 1 minute"
        );
    }

    #[test]
    fn the_newest_candidate_is_chosen_and_a_rollback_stands_for_what_it_undid() {
        assert_eq!(choose(vec![]), Choice::None);
        let chosen = choose(vec![
            record("d-1", "Succeeded", 10),
            record("d-2", "InProgress", 20),
        ]);
        assert_eq!(chosen, Choice::Deployment(record("d-2", "InProgress", 20)));
        let rollback = DeploymentRecord {
            creator: Some("codeDeployRollback".into()),
            rollback_triggering_id: Some("d-2".into()),
            ..record("d-3", "InProgress", 30)
        };
        assert_eq!(
            choose(vec![rollback.clone()]),
            Choice::RolledBack {
                original: "d-2".into(),
                rollback
            }
        );
    }

    #[test]
    fn a_canary_mid_shift_expects_its_end_from_the_shift_start() {
        let observed = Observed {
            group_exists: true,
            deployment: Some(record("d-1", "InProgress", 1_000)),
            target: Some(TargetRecord {
                current_version: Some("2".into()),
                target_version: Some("3".into()),
                lifecycle_events: vec![
                    LifecycleRecord {
                        name: "BeforeAllowTraffic".into(),
                        status: "Succeeded".into(),
                        start_time: Some(1_000),
                        end_time: Some(1_060),
                    },
                    LifecycleRecord {
                        name: "AllowTraffic".into(),
                        status: "InProgress".into(),
                        start_time: Some(1_060),
                        end_time: None,
                    },
                    LifecycleRecord {
                        name: "AfterAllowTraffic".into(),
                        status: "Pending".into(),
                        ..LifecycleRecord::default()
                    },
                ],
            }),
            alias: Some(alias("2", &[("3", 0.1)])),
            alarm_names: vec!["errors".into(), "gone".into()],
            alarm_states: [("errors".to_owned(), "OK".to_owned())].into(),
            schedule: Some(Schedule::Canary {
                percent: 10,
                minutes: 5,
            }),
            ..Observed::default()
        };
        let status = FunctionStatus::build(target(), observed);
        let deployment = status.deployment.expect("a deployment");
        assert_eq!(deployment.traffic_to_target, Some(10.0));
        assert_eq!(deployment.expected_end_time, Some(1_360));
        assert_eq!(deployment.next_step(1_100), Some((1_360, 100.0)));
        assert_eq!(deployment.next_step(2_000), Some((1_360, 100.0)));
        // No post-traffic hook is configured and CodeDeploy's event isn't Skipped: still listed.
        assert_eq!(
            deployment.hooks,
            vec![
                HookStatus {
                    phase: "BeforeAllowTraffic".into(),
                    function: Some("pre".into()),
                    status: "Succeeded".into()
                },
                HookStatus {
                    phase: "AfterAllowTraffic".into(),
                    function: None,
                    status: "Pending".into()
                },
            ]
        );
        assert_eq!(deployment.alarms[1].state, "NOT_FOUND");
        assert!(deployment.in_flight());
    }

    #[test]
    fn a_finished_deployment_has_no_expected_end_and_no_next_step() {
        let observed = Observed {
            deployment: Some(DeploymentRecord {
                complete_time: Some(2_000),
                ..record("d-1", "Succeeded", 1_000)
            }),
            schedule: Some(Schedule::AllAtOnce),
            ..Observed::default()
        };
        let deployment = FunctionStatus::build(target(), observed)
            .deployment
            .expect("a deployment");
        assert_eq!(deployment.expected_end_time, None);
        assert_eq!(deployment.next_step(1_500), None);
        assert_eq!(deployment.hooks[0].status, "Pending");
        assert!(!deployment.in_flight() && !deployment.unsuccessful());
    }

    #[test]
    fn json_numbers_stay_whole_when_they_are() {
        assert_eq!(number(10.0).to_string(), "10");
        assert_eq!(number(12.5).to_string(), "12.5");
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn the_stack_rolling_back_is_unsuccessful() {
        let mut snapshot = Snapshot {
            stack: "s".into(),
            stack_status: "UPDATE_ROLLBACK_COMPLETE".into(),
            stack_status_reason: None,
            functions: vec![],
            skipped: vec![],
        };
        assert!(!snapshot.succeeded() && snapshot.settled());
        snapshot.stack_status = "UPDATE_IN_PROGRESS".into();
        assert!(!snapshot.settled());
        snapshot.stack_status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS".into();
        assert!(!snapshot.settled());
        snapshot.stack_status = "REVIEW_IN_PROGRESS".into();
        assert!(snapshot.settled());
        snapshot.stack_status = "UPDATE_COMPLETE".into();
        assert!(snapshot.succeeded() && snapshot.settled());
    }
}
