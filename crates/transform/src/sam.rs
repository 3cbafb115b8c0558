//! Working after the SAM transform (`Transform: [AWS::Serverless-2016-10-31, Gradual]`): SAM
//! has already expanded its functions into versions, aliases and deployment groups. gradual
//! leaves them as they are, except to generate the deployment configs for schedules SAM passed
//! through by name, and to give their hooks least-privilege permissions.

use serde_json::{json, Map, Value};

use crate::codedeploy::{Deployment, APPLICATION_ID, SERVICE_ROLE_ID};
use crate::error::Diagnostics;
use crate::iam::RolePolicy;
use crate::intrinsic::{self, Intrinsic};
use crate::path::TemplatePath;
use crate::preference::{
    adopt_deployment_type, Alarms, DeploymentType, Hook, Preference, ROLLBACK_EVENTS,
};

/// A deployment SAM generated: an alias whose update policy names a deployment group of SAM's
/// application.
#[derive(Debug)]
pub(crate) struct Adopted {
    pub function_id: String,
    pub alias_id: String,
    pub group_id: String,
    pub preference: Preference,
    pub condition: Option<Value>,
    /// The group's `DeploymentConfigName` with generated schedules referenced, when it changed.
    pub config_name: Option<Value>,
}

impl Adopted {
    /// The deployment as the shared resources and hook policies see it.
    pub(crate) fn deployment(&self) -> Deployment<'_> {
        Deployment {
            function_id: &self.function_id,
            preference: &self.preference,
            condition: self.condition.clone(),
            tags: None,
            version_id: None,
            function_condition: self.condition.clone(),
        }
    }
}

pub(crate) fn adopt(resources: &Map<String, Value>, diagnostics: &mut Diagnostics) -> Vec<Adopted> {
    let mut adopted = Vec::new();
    for (alias_id, alias) in resources {
        if alias.get("Type").and_then(Value::as_str) != Some("AWS::Lambda::Alias") {
            continue;
        }
        let Some(policy) = alias.pointer("/UpdatePolicy/CodeDeployLambdaAliasUpdate") else {
            continue;
        };
        let (Some(group_id), Some(function_id)) = (
            ref_target(policy.get("DeploymentGroupName")),
            ref_target(alias.pointer("/Properties/FunctionName")),
        ) else {
            continue;
        };
        let Some(group) = resources.get(group_id) else {
            continue;
        };
        let is_sams = group.get("Type").and_then(Value::as_str)
            == Some("AWS::CodeDeploy::DeploymentGroup")
            && ref_target(group.pointer("/Properties/ApplicationName")) == Some(APPLICATION_ID);
        if !is_sams {
            continue;
        }
        let config_path = TemplatePath::resource(group_id)
            .key("Properties")
            .key("DeploymentConfigName");
        let original_config = group
            .pointer("/Properties/DeploymentConfigName")
            .cloned()
            .unwrap_or(Value::Null);
        // SAM passes a `Type` it doesn't know through as the config name; where that name is
        // one of gradual's schedules, the group points at the generated config instead.
        let DeploymentType {
            config_name,
            generated,
        } = adopt_deployment_type(&original_config, &config_path, diagnostics);
        let hook = |key: &str| {
            policy
                .get(key)
                .map(|value| Hook::naming(value.clone(), resources))
        };
        let role = group
            .pointer("/Properties/ServiceRoleArn")
            .cloned()
            .filter(|role| role != &json!({"Fn::GetAtt": [SERVICE_ROLE_ID, "Arn"]}));
        adopted.push(Adopted {
            function_id: function_id.to_owned(),
            alias_id: alias_id.clone(),
            group_id: group_id.to_owned(),
            preference: Preference {
                config_name: config_name.clone(),
                generated,
                pre_traffic: hook("BeforeAllowTrafficHook"),
                post_traffic: hook("AfterAllowTrafficHook"),
                alarms: Alarms::List(Vec::new()),
                role,
                triggers: group.pointer("/Properties/TriggerConfigurations").cloned(),
                passthrough_condition: group.get("Condition").is_some(),
                rollback_events: ROLLBACK_EVENTS.to_vec(),
                ignore_poll_alarm_failure: None,
                ignore_alarms: false,
                propagate_tags: false,
                guard: None,
                smoke_test: None,
                uses_installed_hooks: false,
            },
            condition: group.get("Condition").cloned(),
            config_name: (config_name != original_config).then_some(config_name),
        });
    }
    adopted
}

fn ref_target(value: Option<&Value>) -> Option<&str> {
    match value?.as_object().and_then(intrinsic::classify)? {
        Intrinsic::Ref(target) => Some(target),
        _ => None,
    }
}

/// Narrows SAM's `CodeDeployServiceRole` in place: the `Limited` managed policy instead of the
/// one that lets CodeDeploy invoke any `CodeDeployHook_*` function, plus gradual's inline
/// policy. A role that isn't SAM's is left alone.
pub(crate) fn narrow_service_role(role: &mut Value, policy: Option<RolePolicy>) -> bool {
    let Some(Value::Array(managed)) = role.pointer_mut("/Properties/ManagedPolicyArns") else {
        return false;
    };
    let mut narrowed = false;
    for arn in managed.iter_mut() {
        let text = match arn {
            Value::String(text) => text.clone(),
            Value::Object(object) => match object.get("Fn::Sub") {
                Some(Value::String(text)) => text.clone(),
                _ => continue,
            },
            _ => continue,
        };
        if text.ends_with("service-role/AWSCodeDeployRoleForLambda") {
            *arn = json!({"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"});
            narrowed = true;
        }
    }
    if !narrowed {
        return false;
    }
    if let (Some(policy), Some(Value::Object(properties))) = (policy, role.get_mut("Properties")) {
        match properties.get_mut("Policies") {
            Some(Value::Array(policies)) => policies.push(policy.element()),
            _ => {
                properties.insert("Policies".into(), policy.list());
            }
        }
    }
    true
}
