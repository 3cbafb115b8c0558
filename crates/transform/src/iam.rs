//! Least-privilege permissions for a deployment: what CodeDeploy's service role may invoke and
//! publish to, and what each hook function's own role needs to report back.
//!
//! SAM attaches `AWSCodeDeployRoleForLambda`, which may invoke only functions named
//! `CodeDeployHook_*`, and grants hooks nothing, so a hook that can't report hangs a deployment
//! for an hour. Here the role gets the `Limited` policy plus invoke on exactly the hooks the
//! template names, and every hook defined in the template gets a policy on its own role.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::codedeploy::{group_logical_id, Deployment, APPLICATION_ID};
use crate::error::Warning;
use crate::intrinsic::{self, Intrinsic};
use crate::path::TemplatePath;
use crate::preference::Hook;
use crate::scope::Scope;

/// `<hook>HookPolicy`: the policy granting a hook function in the template what it needs.
pub(crate) const HOOK_POLICY_SUFFIX: &str = "HookPolicy";

const FUNCTION_ARN_PREFIX: &str =
    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:";

/// The inline policy of the generated CodeDeploy service role: invoke on the hooks of the
/// deployments that use it, and publish on their trigger topics. `None` when there is nothing
/// to grant beyond the managed policy.
pub(crate) fn service_role_policy(
    deployments: &[Deployment<'_>],
    resources: &Map<String, Value>,
    scope: &Scope<'_>,
) -> Option<Value> {
    let mut hooks = Vec::new();
    let mut topics = Vec::new();
    for deployment in deployments.iter().filter(|d| d.preference.role.is_none()) {
        let preference = deployment.preference;
        for hook in [&preference.pre_traffic, &preference.post_traffic]
            .into_iter()
            .flatten()
        {
            push_unique(&mut hooks, hook_arn(hook, resources, scope));
        }
        match &preference.triggers {
            Some(Value::Array(triggers)) => {
                for trigger in triggers {
                    if let Some(topic) = trigger.get("TriggerTargetArn") {
                        push_unique(&mut topics, topic.clone());
                    }
                }
            }
            // Triggers behind an intrinsic can't be read now: the account's topics in this region.
            Some(_) => push_unique(
                &mut topics,
                json!({"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:*"}),
            ),
            None => {}
        }
    }
    let mut statements = Vec::new();
    if !hooks.is_empty() {
        statements.push(
            json!({"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": hooks}),
        );
    }
    if !topics.is_empty() {
        statements.push(json!({"Effect": "Allow", "Action": ["sns:Publish"], "Resource": topics}));
    }
    if statements.is_empty() {
        return None;
    }
    Some(json!({
        "PolicyName": "gradual-codedeploy",
        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}
    }))
}

/// The ARN CodeDeploy invokes for a hook.
fn hook_arn(hook: &Hook, resources: &Map<String, Value>, scope: &Scope<'_>) -> Value {
    if let Some(function) = &hook.function {
        return conditional_on(
            resources,
            function,
            json!({"Fn::GetAtt": [function, "Arn"]}),
        );
    }
    match &hook.value {
        Value::String(name) if name.starts_with("arn:") => hook.value.clone(),
        Value::String(name) => json!({"Fn::Sub": format!("{FUNCTION_ARN_PREFIX}{name}")}),
        value => {
            let mut ignored = Vec::new();
            match scope.resolve(value, &TemplatePath::root(), &mut ignored) {
                Value::String(known) if known.starts_with("arn:") => value.clone(),
                Value::String(known) => json!({"Fn::Sub": format!("{FUNCTION_ARN_PREFIX}{known}")}),
                _ if is_arn_attribute(value) => value.clone(),
                _ => {
                    json!({"Fn::Sub": [format!("{FUNCTION_ARN_PREFIX}${{Hook}}"), {"Hook": value}]})
                }
            }
        }
    }
}

fn is_arn_attribute(value: &Value) -> bool {
    match value.as_object().and_then(intrinsic::classify) {
        Some(Intrinsic::Function("Fn::GetAtt", Value::Array(parts))) => {
            parts.get(1) == Some(&Value::from("Arn"))
        }
        Some(Intrinsic::Function("Fn::GetAtt", Value::String(dotted))) => dotted.ends_with(".Arn"),
        _ => false,
    }
}

/// `value`, or nothing when `logical_id`'s condition is false.
fn conditional_on(resources: &Map<String, Value>, logical_id: &str, value: Value) -> Value {
    match resources.get(logical_id).and_then(|r| r.get("Condition")) {
        Some(condition) => json!({"Fn::If": [condition, value, {"Ref": "AWS::NoValue"}]}),
        None => value,
    }
}

fn push_unique(list: &mut Vec<Value>, value: Value) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// Policies for hook functions defined in the template, keyed by hook function, plus warnings
/// for hooks whose role gradual can't reach.
pub(crate) struct HookGrants {
    /// `(policy logical ID, policy resource)` in template order of the hooks.
    pub policies: Vec<(String, Value)>,
    /// Which policy each function's alias must wait for.
    pub policies_by_function: BTreeMap<String, Vec<String>>,
    pub warnings: Vec<Warning>,
}

pub(crate) fn hook_grants(
    deployments: &[Deployment<'_>],
    resources: &Map<String, Value>,
) -> HookGrants {
    // hook function -> the deployments it serves, and where the first reference was written.
    let mut served: BTreeMap<&str, (Vec<&Deployment<'_>>, TemplatePath)> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for deployment in deployments {
        let hooks = [
            ("PreTraffic", &deployment.preference.pre_traffic),
            ("PostTraffic", &deployment.preference.post_traffic),
        ];
        for (key, hook) in hooks {
            let Some(function) = hook.as_ref().and_then(|h| h.function.as_deref()) else {
                continue;
            };
            let path = TemplatePath::resource(deployment.function_id)
                .key("Properties")
                .key("DeploymentPreference")
                .key("Hooks")
                .key(key);
            let entry = served.entry(function).or_insert_with(|| {
                order.push(function);
                (Vec::new(), path)
            });
            if !entry
                .0
                .iter()
                .any(|d| d.function_id == deployment.function_id)
            {
                entry.0.push(deployment);
            }
        }
    }
    let mut grants = HookGrants {
        policies: Vec::new(),
        policies_by_function: BTreeMap::new(),
        warnings: Vec::new(),
    };
    for hook in order {
        let Some((targets, path)) = served.get(hook) else {
            continue;
        };
        let statements = hook_statements(targets, resources);
        match template_role(resources, hook) {
            Some(role) => {
                let id = format!("{hook}{HOOK_POLICY_SUFFIX}");
                let mut policy = Map::new();
                policy.insert("Type".into(), "AWS::IAM::Policy".into());
                if let Some(condition) = resources.get(hook).and_then(|r| r.get("Condition")) {
                    policy.insert("Condition".into(), condition.clone());
                }
                policy.insert(
                    "Properties".into(),
                    json!({
                        "PolicyName": "gradual-lifecycle-hook",
                        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                        "Roles": [{"Ref": role}]
                    }),
                );
                for target in targets {
                    grants.policies_by_function.entry(target.function_id.to_owned()).or_default().push(id.clone());
                }
                grants.policies.push((id, Value::Object(policy)));
            }
            None => grants.warnings.push(Warning {
                path: path.clone(),
                message: format!(
                    "the execution role of hook `{hook}` is not defined in this template, so gradual cannot grant it what it needs: \
                     codedeploy:PutLifecycleEventHookExecutionStatus and codedeploy:GetDeployment on the deployment group, \
                     codedeploy:GetApplicationRevision on the application, and lambda:InvokeFunction and \
                     lambda:GetFunctionConfiguration on the versions of {}; without them the deployment waits an hour and fails",
                    targets.iter().map(|d| format!("`{}`", d.function_id)).collect::<Vec<_>>().join(", ")
                ),
            }),
        }
    }
    grants
}

fn hook_statements(targets: &[&Deployment<'_>], resources: &Map<String, Value>) -> Value {
    let mut groups = Vec::new();
    let mut versions = Vec::new();
    for deployment in targets {
        let group = json!({"Fn::Sub": format!(
            "arn:${{AWS::Partition}}:codedeploy:${{AWS::Region}}:${{AWS::AccountId}}:deploymentgroup:${{{APPLICATION_ID}}}/${{{}}}",
            group_logical_id(deployment.function_id)
        )});
        groups.push(match &deployment.condition {
            Some(condition) => json!({"Fn::If": [condition, group, {"Ref": "AWS::NoValue"}]}),
            None => group,
        });
        let function_versions =
            json!({"Fn::Sub": format!("${{{}.Arn}}:*", deployment.function_id)});
        versions.push(conditional_on(
            resources,
            deployment.function_id,
            function_versions,
        ));
    }
    json!([
        {
            "Effect": "Allow",
            "Action": ["codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"],
            "Resource": groups
        },
        {
            "Effect": "Allow",
            "Action": ["codedeploy:GetApplicationRevision"],
            "Resource": {"Fn::Sub": format!(
                "arn:${{AWS::Partition}}:codedeploy:${{AWS::Region}}:${{AWS::AccountId}}:application:${{{APPLICATION_ID}}}"
            )}
        },
        {
            "Effect": "Allow",
            "Action": ["lambda:GetFunctionConfiguration", "lambda:InvokeFunction"],
            "Resource": versions
        }
    ])
}

/// The logical ID of the `AWS::IAM::Role` in this template that `function` runs as, if any.
fn template_role<'r>(resources: &'r Map<String, Value>, function: &str) -> Option<&'r str> {
    let role = resources.get(function)?.get("Properties")?.get("Role")?;
    let role_id = match role.as_object().and_then(intrinsic::classify)? {
        Intrinsic::Function("Fn::GetAtt", Value::Array(parts))
            if parts.get(1) == Some(&Value::from("Arn")) =>
        {
            parts.first()?.as_str()?
        }
        Intrinsic::Function("Fn::GetAtt", Value::String(dotted)) => dotted.strip_suffix(".Arn")?,
        _ => return None,
    };
    let (id, resource) = resources.get_key_value(role_id)?;
    (resource.get("Type").and_then(Value::as_str) == Some("AWS::IAM::Role")).then_some(id.as_str())
}
