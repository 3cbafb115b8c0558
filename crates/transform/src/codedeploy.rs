//! The CodeDeploy resources behind gradual traffic shifting: one application and service role
//! per template, a deployment group per function, generated deployment configs, and the alias
//! update policy that hands each version change to CodeDeploy.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::iam::RolePolicy;
use crate::intrinsic::{get_att, reference, single};
use crate::preference::{config_logical_id, Alarms, Hook, Preference};
use crate::presence::{Conditions, Presence};
use crate::schedule::Schedule;

/// SAM's logical IDs, so a stack moving from SAM to gradual keeps its resources.
pub(crate) const APPLICATION_ID: &str = "ServerlessDeploymentApplication";
pub(crate) const SERVICE_ROLE_ID: &str = "CodeDeployServiceRole";
pub(crate) const COMBINED_CONDITION_ID: &str = "ServerlessCodeDeployCondition";

/// CloudFormation's limit on the conditions one `Fn::Or` takes.
const MAX_OR_ARGUMENTS: usize = 10;

/// One function's enabled preference, with what it brings from the function.
#[derive(Clone, Debug)]
pub(crate) struct Deployment<'a> {
    pub function_id: &'a str,
    pub preference: &'a Preference,
    /// The function's `Condition`, when `PassthroughCondition` carries it over.
    pub condition: Option<Value>,
    /// The function's `Tags`, when `PropagateTags` carries them over.
    pub tags: Option<Value>,
    /// The logical ID of the version being deployed; `None` for SAM's deployments, whose
    /// versions SAM names.
    pub version_id: Option<&'a str>,
    /// The function's own `Condition`, whatever `PassthroughCondition` says.
    pub function_condition: Option<Value>,
}

pub(crate) fn group_logical_id(function_id: &str) -> String {
    format!("{function_id}DeploymentGroup")
}

/// `UpdatePolicy` for the alias.
///
/// A hook function whose condition can be false while the alias exists would leave the alias
/// naming a function that isn't there, which fails the stack: such a hook is named only under
/// its own condition, and the deployment runs without it otherwise.
pub(crate) fn update_policy(deployment: &Deployment<'_>) -> Value {
    let preference = deployment.preference;
    let alias = Presence::of_condition(deployment.function_condition.as_ref());
    let hook_value = |hook: &Hook| match &hook.condition {
        Some(condition) if !alias.implies(&Presence::of_condition(Some(condition))) => {
            json!({"Fn::If": [condition, hook.value, {"Ref": "AWS::NoValue"}]})
        }
        _ => hook.value.clone(),
    };
    let mut policy = Map::with_capacity(4);
    policy.insert("ApplicationName".into(), reference(APPLICATION_ID));
    policy.insert(
        "DeploymentGroupName".into(),
        reference(group_logical_id(deployment.function_id)),
    );
    if let Some(hook) = &preference.pre_traffic {
        policy.insert("BeforeAllowTrafficHook".into(), hook_value(hook));
    }
    if let Some(hook) = &preference.post_traffic {
        policy.insert("AfterAllowTrafficHook".into(), hook_value(hook));
    }
    single("CodeDeployLambdaAliasUpdate", Value::Object(policy))
}

pub(crate) fn deployment_group(deployment: &Deployment<'_>) -> Value {
    let preference = deployment.preference;
    let mut properties = Map::with_capacity(8);
    properties.insert("AlarmConfiguration".into(), alarm_configuration(deployment));
    properties.insert("ApplicationName".into(), reference(APPLICATION_ID));
    let rollback = if preference.rollback_events.is_empty() {
        json!({"Enabled": false})
    } else {
        let events = preference.rollback_events.iter().copied().map(Value::from);
        json!({"Enabled": true, "Events": Value::Array(events.collect())})
    };
    properties.insert("AutoRollbackConfiguration".into(), rollback);
    properties.insert(
        "DeploymentConfigName".into(),
        preference.config_name.clone(),
    );
    properties.insert(
        "DeploymentStyle".into(),
        json!({"DeploymentOption": "WITH_TRAFFIC_CONTROL", "DeploymentType": "BLUE_GREEN"}),
    );
    let role = preference
        .role
        .clone()
        .unwrap_or_else(|| get_att(SERVICE_ROLE_ID, "Arn"));
    properties.insert("ServiceRoleArn".into(), role);
    if let Some(tags) = &deployment.tags {
        properties.insert("Tags".into(), tags.clone());
    }
    if let Some(triggers) = &preference.triggers {
        properties.insert("TriggerConfigurations".into(), triggers.clone());
    }
    let mut group = Map::with_capacity(3);
    group.insert("Type".into(), "AWS::CodeDeploy::DeploymentGroup".into());
    if let Some(condition) = &deployment.condition {
        group.insert("Condition".into(), condition.clone());
    }
    group.insert("Properties".into(), Value::Object(properties));
    Value::Object(group)
}

/// Always present: with no alarms it is an explicit, disabled, empty configuration, so that
/// removing `Alarms` from a template detaches the alarms from the group instead of leaving the
/// old ones attached.
fn alarm_configuration(deployment: &Deployment<'_>) -> Value {
    let preference = deployment.preference;
    let guard_alarms: Vec<Value> = preference
        .guard
        .as_ref()
        .zip(deployment.version_id)
        .map(|(guard, version_id)| {
            guard
                .alarm_ids(deployment.function_id, version_id)
                .into_iter()
                .map(reference)
                .collect()
        })
        .unwrap_or_default();
    let build = |alarms: &[Value], guard_alarms: &[Value]| {
        let alarms: Vec<Value> = alarms.iter().chain(guard_alarms).cloned().collect();
        let mut configuration = Map::with_capacity(3);
        configuration.insert(
            "Alarms".into(),
            Value::Array(
                alarms
                    .iter()
                    .map(|name| single("Name", name.clone()))
                    .collect(),
            ),
        );
        configuration.insert(
            "Enabled".into(),
            Value::Bool(!alarms.is_empty() && !preference.ignore_alarms),
        );
        if let Some(ignore) = preference.ignore_poll_alarm_failure {
            configuration.insert("IgnorePollAlarmFailure".into(), Value::Bool(ignore));
        }
        Value::Object(configuration)
    };
    let with_guard = |alarms: &[Value]| {
        // Guard alarms exist with the function; a group that outlives it (no
        // PassthroughCondition) must not name them when the function's condition is false.
        match (&deployment.function_condition, &deployment.condition) {
            (Some(condition), None) if !guard_alarms.is_empty() => json!({"Fn::If": [
                condition,
                build(alarms, &guard_alarms),
                build(alarms, &[])
            ]}),
            _ => build(alarms, &guard_alarms),
        }
    };
    match &preference.alarms {
        Alarms::List(alarms) => with_guard(alarms),
        Alarms::Conditional {
            condition,
            when_true,
            when_false,
        } => {
            json!({"Fn::If": [condition, with_guard(when_true), with_guard(when_false)]})
        }
    }
}

/// When the shared resource `id` exists: as the template has it, else as [`shared`] will
/// generate it. The structure is returned, not the combined condition's name, so that
/// implications show; `conditions` learns that name for it.
pub(crate) fn shared_presence(
    id: &str,
    deployments: &[Deployment<'_>],
    existing: &Map<String, Value>,
    conditions: &mut Conditions,
) -> Presence {
    if let Some(resource) = existing.get(id) {
        return Presence::of_condition(resource.get("Condition"));
    }
    let (Some(name), _) = shared_condition(deployments, existing) else {
        return Presence::Always;
    };
    let presence = Presence::any(
        deployments
            .iter()
            .map(|d| Presence::of_condition(d.condition.as_ref())),
    );
    if let Some(name) = name.as_str() {
        conditions.know(presence.clone(), name);
    }
    presence
}

/// The condition of the shared resources gradual generates, and the conditions that defines.
///
/// They exist whenever any group does: unconditionally if any group is unconditional,
/// otherwise under the OR of the groups' conditions. Nothing to decide when the template
/// already has them (from the SAM transform).
fn shared_condition(
    deployments: &[Deployment<'_>],
    existing: &Map<String, Value>,
) -> (Option<Value>, Vec<(String, Value)>) {
    let needs_role = deployments.iter().any(|d| d.preference.role.is_none());
    let generates_shared = !existing.contains_key(APPLICATION_ID)
        || (needs_role && !existing.contains_key(SERVICE_ROLE_ID));
    if !generates_shared || deployments.iter().any(|d| d.condition.is_none()) {
        return (None, Vec::new());
    }
    let mut names: Vec<Value> = deployments
        .iter()
        .filter_map(|d| d.condition.clone())
        .collect();
    names.sort_by_key(|name| name.to_string());
    names.dedup();
    match names.as_slice() {
        [single] => (Some(single.clone()), Vec::new()),
        _ => (
            Some(Value::from(COMBINED_CONDITION_ID)),
            combined_condition(names),
        ),
    }
}

/// The shared resources, and any conditions they need, for all enabled deployments.
pub(crate) struct Shared {
    pub resources: Vec<(String, Value)>,
    pub conditions: Vec<(String, Value)>,
}

/// The shared resources. `service_role_policy` is the generated role's inline policy, see
/// [`crate::iam::service_role_policy`].
pub(crate) fn shared(
    deployments: &[Deployment<'_>],
    existing: &Map<String, Value>,
    service_role_policy: Option<RolePolicy>,
) -> Shared {
    let mut resources = Vec::new();
    let mut conditions = Vec::new();
    if deployments.is_empty() {
        return Shared {
            resources,
            conditions,
        };
    }
    let needs_role = deployments.iter().any(|d| d.preference.role.is_none());
    let (shared_condition, generated_conditions) = shared_condition(deployments, existing);
    conditions = generated_conditions;
    let tags = merged_tags(deployments);
    let with_condition = |resource_type: &str, properties: Value| {
        let mut resource = Map::new();
        resource.insert("Type".into(), Value::from(resource_type));
        if let Some(condition) = &shared_condition {
            resource.insert("Condition".into(), condition.clone());
        }
        resource.insert("Properties".into(), properties);
        Value::Object(resource)
    };

    if !existing.contains_key(APPLICATION_ID) {
        let mut properties = Map::new();
        properties.insert("ComputePlatform".into(), "Lambda".into());
        if let Some(tags) = &tags {
            properties.insert("Tags".into(), tags.clone());
        }
        resources.push((
            APPLICATION_ID.to_owned(),
            with_condition("AWS::CodeDeploy::Application", Value::Object(properties)),
        ));
    }
    if needs_role && !existing.contains_key(SERVICE_ROLE_ID) {
        let properties = service_role_properties(service_role_policy, tags.as_ref());
        resources.push((
            SERVICE_ROLE_ID.to_owned(),
            with_condition("AWS::IAM::Role", properties),
        ));
    }
    let mut schedules: BTreeMap<String, Schedule> = BTreeMap::new();
    for deployment in deployments {
        schedules.extend(
            deployment
                .preference
                .generated
                .iter()
                .map(|(name, schedule)| (name.clone(), *schedule)),
        );
    }
    for schedule in schedules.into_values() {
        let id = config_logical_id(schedule);
        if !existing.contains_key(&id) {
            resources.push((
                id,
                with_condition(
                    "AWS::CodeDeploy::DeploymentConfig",
                    deployment_config(schedule),
                ),
            ));
        }
    }
    Shared {
        resources,
        conditions,
    }
}

/// CodeDeploy's service role: Lambda's limited managed policy, and the inline policy for the
/// deployments' hooks and triggers.
fn service_role_properties(policy: Option<RolePolicy>, tags: Option<&Value>) -> Value {
    let mut properties = Map::new();
    properties.insert(
        "AssumeRolePolicyDocument".into(),
        json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Action": ["sts:AssumeRole"],
                "Effect": "Allow",
                "Principal": {"Service": ["codedeploy.amazonaws.com"]}
            }]
        }),
    );
    properties.insert(
        "ManagedPolicyArns".into(),
        json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"}]),
    );
    if let Some(policy) = policy {
        properties.insert("Policies".into(), policy.list());
    }
    if let Some(tags) = tags {
        properties.insert("Tags".into(), tags.clone());
    }
    Value::Object(properties)
}

/// A config for `schedule`. No `DeploymentConfigName`: every property forces replacement, and
/// a fixed name would make that replacement collide with itself.
fn deployment_config(schedule: Schedule) -> Value {
    let routing = match schedule {
        Schedule::AllAtOnce => json!({"Type": "AllAtOnce"}),
        Schedule::Canary { percent, minutes } => json!({
            "Type": "TimeBasedCanary",
            "TimeBasedCanary": {"CanaryInterval": minutes, "CanaryPercentage": percent}
        }),
        Schedule::Linear { percent, minutes } => json!({
            "Type": "TimeBasedLinear",
            "TimeBasedLinear": {"LinearInterval": minutes, "LinearPercentage": percent}
        }),
    };
    json!({"ComputePlatform": "Lambda", "TrafficRoutingConfig": routing})
}

/// `ServerlessCodeDeployCondition` as an `Fn::Or` of `names` (already sorted), split into
/// numbered helper conditions of at most ten when there are more.
fn combined_condition(names: Vec<Value>) -> Vec<(String, Value)> {
    let mut conditions = Vec::new();
    let mut level: Vec<Value> = names
        .into_iter()
        .map(|name| json!({ "Condition": name }))
        .collect();
    let mut helper = 0;
    while level.len() > MAX_OR_ARGUMENTS {
        let chunk: Vec<Value> = level.drain(..MAX_OR_ARGUMENTS).collect();
        helper += 1;
        let id = format!("{COMBINED_CONDITION_ID}{helper}");
        conditions.push((id.clone(), json!({ "Fn::Or": chunk })));
        level.push(json!({ "Condition": id }));
    }
    conditions.push((COMBINED_CONDITION_ID.to_owned(), json!({ "Fn::Or": level })));
    conditions
}

/// The tags of every propagating function, later functions winning on the same key, in a
/// stable order.
fn merged_tags(deployments: &[Deployment<'_>]) -> Option<Value> {
    let mut merged: BTreeMap<String, Value> = BTreeMap::new();
    for deployment in deployments {
        let Some(Value::Array(tags)) = &deployment.tags else {
            continue;
        };
        for tag in tags {
            if let (Some(Value::String(key)), Some(value)) = (tag.get("Key"), tag.get("Value")) {
                merged.insert(key.clone(), value.clone());
            }
        }
    }
    if merged.is_empty() {
        return None;
    }
    Some(Value::Array(
        merged
            .into_iter()
            .map(|(key, value)| json!({"Key": key, "Value": value}))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_ten_conditions_are_chunked() {
        let names: Vec<Value> = (0..23).map(|i| Value::from(format!("C{i:02}"))).collect();
        let conditions = combined_condition(names);
        let ids: Vec<&str> = conditions.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "ServerlessCodeDeployCondition1",
                "ServerlessCodeDeployCondition2",
                "ServerlessCodeDeployCondition"
            ]
        );
        for (_, condition) in &conditions {
            let arguments = condition["Fn::Or"].as_array().map_or(0, Vec::len);
            assert!((2..=10).contains(&arguments), "{condition}");
        }
        // The 3 left over and the two helpers.
        assert_eq!(conditions[2].1["Fn::Or"].as_array().map(Vec::len), Some(5));
    }
}
