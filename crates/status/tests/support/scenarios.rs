//! The stacks and deployments the tests put behind the fake endpoint: a stack `orders` as
//! gradual's transform leaves it (processed template, physical IDs), and the moments of a
//! canary deployment of its `Api` function, from start to success or rollback.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{json, Map};

use super::fake_aws::{
    AliasFixture, DeploymentFixture, EventFixture, GroupFixture, StackFixture, World,
};

/// 2026-03-02T14:00:00Z: when the update started.
pub const T0: i64 = 1_772_460_000;

pub const STACK: &str = "orders";
pub const APPLICATION: &str = "orders-ServerlessDeploymentApplication-1Q2W3E4R5T6Y";
const CANARY: &str = "CodeDeployDefault.LambdaCanary10Percent5Minutes";
const LINEAR: &str = "CodeDeployDefault.LambdaLinear10PercentEvery1Minute";

/// One gradual function of the stack.
#[derive(Clone, Debug)]
pub struct Function {
    pub logical: &'static str,
    pub physical: &'static str,
    pub group: &'static str,
    pub config: &'static str,
    pub pre_traffic: Option<&'static str>,
    pub post_traffic: Option<&'static str>,
    pub alarms: Vec<&'static str>,
}

pub fn api() -> Function {
    Function {
        logical: "Api",
        physical: "orders-Api-8FJ2K1L0PZ3M",
        group: "orders-ApiDeploymentGroup-V7B3N9C2X1Z0",
        config: CANARY,
        pre_traffic: Some("PreTrafficHook"),
        post_traffic: Some("gradual-post-traffic"),
        alarms: vec!["orders-ApiErrors", "orders-ApiLatencyP99"],
    }
}

pub fn worker() -> Function {
    Function {
        logical: "Worker",
        physical: "orders-Worker-2HD8S7A6Q5W4",
        group: "orders-WorkerDeploymentGroup-M4N5B6V7C8X9",
        config: LINEAR,
        pre_traffic: None,
        post_traffic: None,
        alarms: vec!["orders-WorkerErrors"],
    }
}

/// The processed template and resources of `orders` with `functions`, its hook and an
/// unrelated alias without an update policy; no deployments yet.
pub fn stack(status: &str, functions: &[Function]) -> World {
    let mut resources = Map::new();
    let mut physical = vec![
        (
            "ServerlessDeploymentApplication".to_owned(),
            "AWS::CodeDeploy::Application".to_owned(),
            APPLICATION.to_owned(),
        ),
        (
            "PreTrafficHook".to_owned(),
            "AWS::Lambda::Function".to_owned(),
            "orders-PreTrafficHook-6TY7U8I9O0P1".to_owned(),
        ),
    ];
    resources.insert(
        "ServerlessDeploymentApplication".into(),
        json!({"Type": "AWS::CodeDeploy::Application", "Properties": {"ComputePlatform": "Lambda"}}),
    );
    resources.insert(
        "PreTrafficHook".into(),
        json!({"Type": "AWS::Lambda::Function", "Properties": {"Handler": "bootstrap", "Runtime": "provided.al2023"}}),
    );
    let mut world = World::default();
    for function in functions {
        let alias_id = format!("{}Aliaslive", function.logical);
        let group_id = format!("{}DeploymentGroup", function.logical);
        let version_id = format!("{}Version5f2a9c1e07", function.logical);
        let mut policy = json!({
            "ApplicationName": {"Ref": "ServerlessDeploymentApplication"},
            "DeploymentGroupName": {"Ref": group_id},
        });
        if let Some(hook) = function.pre_traffic {
            policy["BeforeAllowTrafficHook"] = json!({"Ref": hook});
        }
        if let Some(hook) = function.post_traffic {
            policy["AfterAllowTrafficHook"] = json!(hook);
        }
        resources.insert(
            function.logical.into(),
            json!({"Type": "AWS::Lambda::Function", "Properties": {"Handler": "bootstrap", "Runtime": "provided.al2023"}}),
        );
        resources.insert(
            version_id.clone(),
            json!({"Type": "AWS::Lambda::Version", "DeletionPolicy": "Retain", "Properties": {"FunctionName": {"Ref": function.logical}}}),
        );
        resources.insert(
            alias_id.clone(),
            json!({
                "Type": "AWS::Lambda::Alias",
                "UpdatePolicy": {"CodeDeployLambdaAliasUpdate": policy},
                "Properties": {
                    "Name": "live",
                    "FunctionName": {"Ref": function.logical},
                    "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]}
                }
            }),
        );
        resources.insert(
            group_id.clone(),
            json!({"Type": "AWS::CodeDeploy::DeploymentGroup", "Properties": {
                "ApplicationName": {"Ref": "ServerlessDeploymentApplication"},
                "DeploymentConfigName": function.config,
            }}),
        );
        physical.push((
            function.logical.into(),
            "AWS::Lambda::Function".into(),
            function.physical.into(),
        ));
        physical.push((
            version_id,
            "AWS::Lambda::Version".into(),
            format!(
                "arn:aws:lambda:eu-west-1:123456789012:function:{}:3",
                function.physical
            ),
        ));
        physical.push((
            alias_id,
            "AWS::Lambda::Alias".into(),
            format!(
                "arn:aws:lambda:eu-west-1:123456789012:function:{}:live",
                function.physical
            ),
        ));
        physical.push((
            group_id,
            "AWS::CodeDeploy::DeploymentGroup".into(),
            function.group.into(),
        ));
        world.groups.insert(
            (APPLICATION.into(), function.group.into()),
            GroupFixture {
                config: function.config.into(),
                alarms: function
                    .alarms
                    .iter()
                    .map(|alarm| (*alarm).to_owned())
                    .collect(),
                alarms_enabled: true,
                last_attempted: None,
            },
        );
        world.aliases.insert(
            (function.physical.into(), "live".into()),
            AliasFixture {
                version: "1".into(),
                weights: BTreeMap::new(),
            },
        );
        for alarm in &function.alarms {
            world.alarms.insert((*alarm).to_owned(), "OK".into());
        }
    }
    resources.insert(
        "Console".into(),
        json!({"Type": "AWS::Lambda::Alias", "Properties": {"Name": "console", "FunctionName": "admin-console", "FunctionVersion": "7"}}),
    );
    physical.push((
        "Console".into(),
        "AWS::Lambda::Alias".into(),
        "arn:aws:lambda:eu-west-1:123456789012:function:admin-console:console".into(),
    ));
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": resources,
    });
    world.stacks.insert(
        STACK.into(),
        StackFixture {
            status: status.into(),
            reason: None,
            template: serde_json::to_string(&template).expect("template serializes"),
            resources: physical,
        },
    );
    world.configs.insert(
        CANARY.into(),
        json!({"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}}),
    );
    world.configs.insert(
        LINEAR.into(),
        json!({"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 1}}),
    );
    world
}

fn event(name: &str, status: &str, start: Option<i64>, end: Option<i64>) -> EventFixture {
    EventFixture {
        name: name.into(),
        status: status.into(),
        start,
        end,
    }
}

/// Where a deployment is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    PreTrafficRunning,
    /// Traffic shifting, with this much on the new version.
    Shifting(u32),
    PostTrafficRunning,
    Succeeded,
    PreTrafficFailed,
    /// An alarm fired while shifting; CodeDeploy hasn't acted yet.
    AlarmFiring,
    /// Stopped by the alarm; the rollback deployment is under way.
    RollingBack,
    RolledBack,
}

/// Puts `function`'s deployment `id` (version 2 → 3, created at T0) at `stage` in `world`.
pub fn deploy(world: &mut World, function: &Function, id: &str, stage: Stage) {
    let group_key = (APPLICATION.to_owned(), function.group.to_owned());
    let pre =
        |status: &str, end: Option<i64>| event("BeforeAllowTraffic", status, Some(T0 + 4), end);
    let rollback_id = format!("{id}RB");
    let mut deployment = DeploymentFixture {
        application: APPLICATION.into(),
        group: function.group.into(),
        status: "InProgress".into(),
        creator: "CloudFormation".into(),
        config: function.config.into(),
        created: T0,
        function: function.physical.into(),
        alias: "live".into(),
        current_version: "2".into(),
        target_version: "3".into(),
        ..DeploymentFixture::default()
    };
    let shifting_since = T0 + 35;
    let mut alias = AliasFixture {
        version: "2".into(),
        weights: BTreeMap::new(),
    };
    let mut last_attempted = id.to_owned();
    match stage {
        Stage::PreTrafficRunning => {
            deployment.events = vec![
                pre("InProgress", None),
                event("AllowTraffic", "Pending", None, None),
                event("AfterAllowTraffic", "Pending", None, None),
            ];
        }
        Stage::Shifting(_) | Stage::AlarmFiring => {
            let percent = match stage {
                Stage::Shifting(percent) => percent,
                _ => 10,
            };
            deployment.events = vec![
                pre("Succeeded", Some(T0 + 31)),
                event("AllowTraffic", "InProgress", Some(shifting_since), None),
                event("AfterAllowTraffic", "Pending", None, None),
            ];
            alias.weights.insert("3".into(), f64::from(percent) / 100.0);
            if stage == Stage::AlarmFiring {
                world
                    .alarms
                    .insert(function.alarms[0].to_owned(), "ALARM".into());
            }
        }
        Stage::PostTrafficRunning | Stage::Succeeded => {
            let done = stage == Stage::Succeeded;
            deployment.events = vec![
                pre("Succeeded", Some(T0 + 31)),
                event(
                    "AllowTraffic",
                    "Succeeded",
                    Some(shifting_since),
                    Some(T0 + 336),
                ),
                event(
                    "AfterAllowTraffic",
                    if done { "Succeeded" } else { "InProgress" },
                    Some(T0 + 337),
                    done.then_some(T0 + 361),
                ),
            ];
            if done {
                deployment.status = "Succeeded".into();
                deployment.completed = Some(T0 + 362);
            }
            alias.version = "3".into();
        }
        Stage::PreTrafficFailed => {
            deployment.status = "Failed".into();
            deployment.completed = Some(T0 + 64);
            deployment.error = Some((
                "HOOK_EXECUTION_FAILURE".into(),
                "Deployment failed because the BeforeAllowTraffic lifecycle event hook \
                 orders-PreTrafficHook-6TY7U8I9O0P1 reported Failed"
                    .into(),
            ));
            deployment.rollback_id = Some(rollback_id.clone());
            deployment.rollback_message =
                Some(format!("Deployment {id} was rolled back by {rollback_id}"));
            deployment.events = vec![
                pre("Failed", Some(T0 + 62)),
                event("AllowTraffic", "Skipped", None, None),
                event("AfterAllowTraffic", "Skipped", None, None),
            ];
            world.deployments.insert(
                rollback_id.clone(),
                rollback(function, id, "Succeeded", T0 + 65),
            );
        }
        Stage::RollingBack | Stage::RolledBack => {
            let done = stage == Stage::RolledBack;
            deployment.status = "Stopped".into();
            deployment.completed = Some(T0 + 158);
            deployment.error = Some((
                "ALARM_ACTIVE".into(),
                format!(
                    "One or more alarms have been activated according to the Amazon CloudWatch \
                     metrics you selected, and the affected deployments have been stopped. \
                     Activated alarms: <{}>",
                    function.alarms[0]
                ),
            ));
            deployment.rollback_id = Some(rollback_id.clone());
            deployment.rollback_message =
                Some(format!("Deployment {id} was rolled back by {rollback_id}"));
            deployment.events = vec![
                pre("Succeeded", Some(T0 + 31)),
                event(
                    "AllowTraffic",
                    "Failed",
                    Some(shifting_since),
                    Some(T0 + 158),
                ),
                event("AfterAllowTraffic", "Skipped", None, None),
            ];
            world
                .alarms
                .insert(function.alarms[0].to_owned(), "ALARM".into());
            world.deployments.insert(
                rollback_id.clone(),
                rollback(
                    function,
                    id,
                    if done { "Succeeded" } else { "InProgress" },
                    T0 + 160,
                ),
            );
            // The rollback deployment is the group's newest: it must lead back to this one.
            last_attempted = rollback_id.clone();
        }
    }
    // Without a hook CodeDeploy skips the phase.
    for event in &mut deployment.events {
        let hook = match event.name.as_str() {
            "BeforeAllowTraffic" => function.pre_traffic,
            "AfterAllowTraffic" => function.post_traffic,
            _ => continue,
        };
        if hook.is_none() {
            *event = EventFixture {
                name: event.name.clone(),
                status: "Skipped".into(),
                start: None,
                end: None,
            };
        }
    }
    world.deployments.insert(id.to_owned(), deployment);
    world
        .aliases
        .insert((function.physical.into(), "live".into()), alias);
    if let Some(group) = world.groups.get_mut(&group_key) {
        group.last_attempted = Some(last_attempted);
    }
}

fn rollback(function: &Function, original: &str, status: &str, created: i64) -> DeploymentFixture {
    let done = status == "Succeeded";
    DeploymentFixture {
        application: APPLICATION.into(),
        group: function.group.into(),
        status: status.into(),
        creator: "codeDeployRollback".into(),
        config: "CodeDeployDefault.LambdaAllAtOnce".into(),
        created,
        completed: done.then_some(created + 20),
        rollback_of: Some(original.into()),
        rollback_message: Some(format!("Rollback of {original}")),
        function: function.physical.into(),
        alias: "live".into(),
        current_version: "3".into(),
        target_version: "2".into(),
        events: vec![event(
            "AllowTraffic",
            if done { "Succeeded" } else { "InProgress" },
            Some(created + 2),
            done.then_some(created + 18),
        )],
        ..DeploymentFixture::default()
    }
}

/// `orders` with only `Api`, its deployment `d-7KX2M9PQ1` at `stage`.
pub fn canary(stage: Stage) -> World {
    let stack_status = match stage {
        Stage::Succeeded => "UPDATE_COMPLETE",
        Stage::PreTrafficFailed => "UPDATE_ROLLBACK_COMPLETE",
        Stage::RollingBack => "UPDATE_ROLLBACK_IN_PROGRESS",
        Stage::RolledBack => "UPDATE_ROLLBACK_COMPLETE",
        _ => "UPDATE_IN_PROGRESS",
    };
    let mut world = stack(stack_status, &[api()]);
    deploy(&mut world, &api(), "d-7KX2M9PQ1", stage);
    // After a failed alias update the stack says why.
    if stack_status.contains("ROLLBACK") {
        if let Some(stack) = world.stacks.get_mut(STACK) {
            stack.reason =
                Some("The following resource(s) failed to update: [ApiAliaslive].".into());
        }
    }
    world
}

/// `orders` with `Api` on a linear schedule at `percent`.
pub fn linear(percent: u32) -> World {
    let function = Function {
        config: LINEAR,
        ..api()
    };
    let mut world = stack("UPDATE_IN_PROGRESS", std::slice::from_ref(&function));
    deploy(
        &mut world,
        &function,
        "d-LN40W8R2T",
        Stage::Shifting(percent),
    );
    world
}

/// `orders` with `Api` mid-canary and `Worker` finished.
pub fn two_functions() -> World {
    let mut world = stack("UPDATE_IN_PROGRESS", &[api(), worker()]);
    deploy(&mut world, &api(), "d-7KX2M9PQ1", Stage::Shifting(10));
    deploy(&mut world, &worker(), "d-WK3J5H7G9", Stage::Succeeded);
    world
}
