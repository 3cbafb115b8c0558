//! Least-privilege permissions for a deployment: what CodeDeploy's service role may invoke and
//! publish to, and what each hook function's own role needs to report back.
//!
//! SAM attaches `AWSCodeDeployRoleForLambda`, which may invoke only functions named
//! `CodeDeployHook_*`, and grants hooks nothing, so a hook that can't report hangs a deployment
//! for an hour. Here the role gets the `Limited` policy plus invoke on exactly the hooks the
//! template names, and every hook defined in the template gets a policy on its own role.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::codedeploy::{group_logical_id, Deployment, APPLICATION_ID};
use crate::error::{Diagnostics, Warning};
use crate::intrinsic::{self, Intrinsic};
use crate::lambda::is_function;
use crate::path::TemplatePath;
use crate::presence::{Conditions, Presence};
use crate::scope::Scope;
use gradual_contract::{actions_on, ResourceForm, HOOK_CALLS, SMOKE_TEST_PARAMETER_PREFIX};

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
    role_presence: &Presence,
    conditions: &mut Conditions,
) -> Option<RolePolicy> {
    let mut hooks = Vec::new();
    let mut topics = Vec::new();
    for deployment in deployments.iter().filter(|d| d.preference.role.is_none()) {
        let preference = deployment.preference;
        for hook in [&preference.pre_traffic, &preference.post_traffic]
            .into_iter()
            .flatten()
        {
            let arn = hook_arn(&hook.value, resources, scope);
            if Presence::of_value(&arn) != Presence::Never {
                push_unique(&mut hooks, arn);
            }
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
    let hint = "CodeDeployServiceRolePolicy";
    let mut statements = Statements::new(role_presence.clone(), hint);
    statements.push(&["lambda:InvokeFunction"], hooks, conditions);
    statements.push(&["sns:Publish"], topics, conditions);
    statements.into_policy("gradual-codedeploy", conditions)
}

/// An inline policy for a role, and the condition it exists under when that is narrower than
/// the role's own.
#[derive(Clone, Debug)]
pub(crate) struct RolePolicy {
    pub policy: Value,
    pub condition: Option<String>,
}

impl RolePolicy {
    /// As an element of a role's `Policies` list.
    pub(crate) fn element(&self) -> Value {
        match &self.condition {
            Some(c) => json!({"Fn::If": [c, self.policy, {"Ref": "AWS::NoValue"}]}),
            None => self.policy.clone(),
        }
    }

    /// As a role's whole `Policies` value: absent, not an empty list, when the policy is.
    pub(crate) fn list(&self) -> Value {
        match &self.condition {
            Some(c) => json!({"Fn::If": [c, [self.policy], {"Ref": "AWS::NoValue"}]}),
            None => json!([self.policy]),
        }
    }
}

/// IAM statements whose resources may each be conditional. A statement exists under the OR of
/// its resources, so none is ever left with an empty `Resource` list, and the policy under the
/// OR of its statements.
struct Statements<'h> {
    /// When the policy's holder exists: statements that exist whenever it does need no guard.
    holder: Presence,
    hint: &'h str,
    statements: Vec<Value>,
    presences: Vec<Presence>,
}

impl<'h> Statements<'h> {
    fn new(holder: Presence, hint: &'h str) -> Self {
        Self {
            holder,
            hint,
            statements: Vec::new(),
            presences: Vec::new(),
        }
    }

    /// A statement on `resources`, each present as its own `Fn::If`s say.
    fn push(&mut self, actions: &[&str], resources: Vec<Value>, conditions: &mut Conditions) {
        let entries = resources
            .into_iter()
            .map(|r| {
                let presence = Presence::of_value(&r);
                (r, presence)
            })
            .collect();
        self.add(actions, entries, None, false, conditions);
    }

    /// A statement with an IAM `Condition` block.
    /// A statement on resources present under the given presences, which a generated
    /// condition's name would hide.
    fn push_when(
        &mut self,
        actions: &[&str],
        entries: Vec<(Value, Presence)>,
        iam_condition: Option<Value>,
        conditions: &mut Conditions,
    ) {
        self.add(actions, entries, iam_condition, true, conditions);
    }

    fn add(
        &mut self,
        actions: &[&str],
        entries: Vec<(Value, Presence)>,
        iam_condition: Option<Value>,
        wrap_entries: bool,
        conditions: &mut Conditions,
    ) {
        let presence = Presence::any(entries.iter().map(|(_, p)| p.clone()));
        if presence == Presence::Never {
            return;
        }
        let resources: Vec<Value> = entries
            .into_iter()
            .map(|(resource, presence)| match wrap_entries {
                true => presence.wrap(resource, conditions, self.hint),
                false => resource,
            })
            .collect();
        let mut statement = json!({"Effect": "Allow", "Action": actions, "Resource": resources});
        if let (Some(block), Value::Object(object)) = (iam_condition, &mut statement) {
            object.insert("Condition".into(), block);
        }
        let statement = if self.holder.implies(&presence) {
            statement
        } else {
            Presence::all([self.holder.clone(), presence.clone()])
                .wrap(statement, conditions, self.hint)
        };
        self.statements.push(statement);
        self.presences.push(presence);
    }

    fn presence(&self) -> Presence {
        Presence::any(self.presences.iter().cloned())
    }

    fn into_policy(self, name: &str, conditions: &mut Conditions) -> Option<RolePolicy> {
        let presence = self.presence();
        if presence == Presence::Never {
            return None;
        }
        let condition = if self.holder.implies(&presence) {
            None
        } else {
            Presence::all([self.holder.clone(), presence]).name(conditions, self.hint)
        };
        Some(RolePolicy {
            policy: json!({
                "PolicyName": name,
                "PolicyDocument": {"Version": "2012-10-17", "Statement": self.statements}
            }),
            condition,
        })
    }
}

/// The ARN CodeDeploy invokes for a hook; a conditional hook's ARN is conditional too.
fn hook_arn(value: &Value, resources: &Map<String, Value>, scope: &Scope<'_>) -> Value {
    let object = value.as_object();
    match object.and_then(intrinsic::classify) {
        Some(Intrinsic::Ref("AWS::NoValue")) => return value.clone(),
        Some(Intrinsic::Ref(target)) if is_function(resources, target) => {
            let arn = json!({"Fn::GetAtt": [target, "Arn"]});
            return match resources.get(target).and_then(|r| r.get("Condition")) {
                Some(c) => json!({"Fn::If": [c, arn, {"Ref": "AWS::NoValue"}]}),
                None => arn,
            };
        }
        Some(Intrinsic::Function("Fn::If", Value::Array(args))) if args.len() == 3 => {
            // A branch guarded again by the same condition (a conditional hook that is its
            // own function's condition) needs the guard once.
            let branch = |value: &Value, taken: usize| {
                let arn = hook_arn(value, resources, scope);
                match arn.get("Fn::If").and_then(Value::as_array) {
                    Some(inner) if inner.len() == 3 && inner[0] == args[0] => inner[taken].clone(),
                    _ => arn,
                }
            };
            return json!({"Fn::If": [args[0], branch(&args[1], 1), branch(&args[2], 2)]});
        }
        _ => {}
    }
    match value {
        Value::String(name) if name.starts_with("arn:") => value.clone(),
        Value::String(name) => json!({"Fn::Sub": format!("{FUNCTION_ARN_PREFIX}{name}")}),
        value => {
            let mut ignored = Diagnostics::default();
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
    /// Which policies each function's alias must wait for: those that exist whenever the alias
    /// does (a `DependsOn` on a resource whose condition is false fails the stack).
    pub policies_by_function: BTreeMap<String, Vec<String>>,
    /// Policies an alias must wait for but can't name in `DependsOn`, because they may not
    /// exist when it does: `(policy logical ID, the condition it exists under)`.
    pub conditional_waits: BTreeMap<String, Vec<(String, String)>>,
    pub warnings: Vec<Warning>,
}

/// A hook function of the template, the deployments it serves, and where it was first named.
struct Served<'d, 'p> {
    hook: String,
    targets: Vec<&'d Deployment<'p>>,
    /// The functions of `targets`, so that adding one stays cheap when a hook serves
    /// hundreds of them.
    target_ids: BTreeSet<&'p str>,
    /// The function and the `Hooks` key that first named it: a path only a warning needs.
    named_by: (&'p str, &'static str),
}

impl Served<'_, '_> {
    fn path(&self) -> TemplatePath {
        let (function_id, key) = self.named_by;
        TemplatePath::resource(function_id)
            .key("Properties")
            .key("DeploymentPreference")
            .key("Hooks")
            .key(key)
    }
}

/// Every hook function of the template, with the deployments it serves, in the order first
/// named.
fn served_hooks<'d, 'p>(deployments: &'d [Deployment<'p>]) -> Vec<Served<'d, 'p>> {
    let mut served: Vec<Served<'_, '_>> = Vec::new();
    for deployment in deployments {
        let hooks = [
            ("PreTraffic", &deployment.preference.pre_traffic),
            ("PostTraffic", &deployment.preference.post_traffic),
        ];
        for (key, hook) in hooks {
            let Some(hook) = hook else { continue };
            for function in &hook.functions {
                let index = match served.iter().position(|s| &s.hook == function) {
                    Some(index) => index,
                    None => {
                        served.push(Served {
                            hook: function.clone(),
                            targets: Vec::new(),
                            target_ids: BTreeSet::new(),
                            named_by: (deployment.function_id, key),
                        });
                        served.len() - 1
                    }
                };
                let entry = &mut served[index];
                if entry.target_ids.insert(deployment.function_id) {
                    entry.targets.push(deployment);
                }
            }
        }
    }
    served
}

pub(crate) fn hook_grants(
    deployments: &[Deployment<'_>],
    resources: &Map<String, Value>,
    application: &Presence,
    conditions: &mut Conditions,
) -> HookGrants {
    let served = served_hooks(deployments);
    let mut grants = HookGrants {
        policies: Vec::new(),
        policies_by_function: BTreeMap::new(),
        conditional_waits: BTreeMap::new(),
        warnings: Vec::new(),
    };
    for entry in &served {
        let Served { hook, targets, .. } = entry;
        let Some(role) = template_role(resources, hook) else {
            grants.warnings.push(Warning {
                path: entry.path(),
                message: format!(
                    "the execution role of hook `{hook}` is not defined in this template, so gradual cannot grant it what it needs: \
                     {} on the deployments of {}; without them the deployment waits an hour and fails",
                    manifest_summary(),
                    targets.iter().map(|d| format!("`{}`", d.function_id)).collect::<Vec<_>>().join(", ")
                ),
            });
            continue;
        };
        let id = format!("{hook}{HOOK_POLICY_SUFFIX}");
        let role_presence =
            Presence::of_condition(resources.get(role).and_then(|r| r.get("Condition")));
        let any_target = Presence::any(targets.iter().map(|d| function_presence(resources, d)));
        let presence = Presence::all([role_presence, any_target]);
        let statements =
            hook_statements(targets, resources, application, &presence, &id, conditions);
        let mut policy = Map::new();
        policy.insert("Type".into(), "AWS::IAM::Policy".into());
        let policy_condition = presence.name(conditions, &id);
        if let Some(condition) = &policy_condition {
            policy.insert("Condition".into(), condition.clone().into());
        }
        policy.insert(
            "Properties".into(),
            json!({
                "PolicyName": hook_policy_name(hook),
                "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                "Roles": [{"Ref": role}]
            }),
        );
        for target in targets {
            let function = target.function_id.to_owned();
            match &policy_condition {
                Some(condition) if !function_presence(resources, target).implies(&presence) => {
                    grants
                        .conditional_waits
                        .entry(function)
                        .or_default()
                        .push((id.clone(), condition.clone()));
                }
                _ => grants
                    .policies_by_function
                    .entry(function)
                    .or_default()
                    .push(id.clone()),
            }
        }
        grants.policies.push((id, Value::Object(policy)));
    }
    grants
}

/// Inline policy names are unique per role, not per template: two hooks sharing a role must
/// not overwrite each other's grants, so the name carries the hook.
fn hook_policy_name(hook: &str) -> String {
    const MAX_POLICY_NAME: usize = 128;
    let name = format!("gradual-hook-{hook}");
    if name.len() <= MAX_POLICY_NAME {
        return name;
    }
    let digest = crate::digest::short_digest(&Value::from(hook));
    // Logical IDs are ASCII, so any byte index is a character boundary.
    let keep = MAX_POLICY_NAME - digest.len() - 1;
    format!("{}-{digest}", &name[..keep])
}

fn manifest_summary() -> String {
    let mut actions: Vec<&str> = HOOK_CALLS.iter().map(|c| c.action).collect();
    actions.sort_unstable();
    actions.dedup();
    actions.join(", ")
}

/// When a target function, and so its version, alias and smoke test, exists.
fn function_presence(resources: &Map<String, Value>, deployment: &Deployment<'_>) -> Presence {
    Presence::of_condition(
        resources
            .get(deployment.function_id)
            .and_then(|r| r.get("Condition")),
    )
}

/// Every call of the hook manifest on the concrete resources of `targets`, grouped by the kind
/// of resource it acts on.
fn hook_statements(
    targets: &[&Deployment<'_>],
    resources: &Map<String, Value>,
    application: &Presence,
    policy: &Presence,
    hint: &str,
    conditions: &mut Conditions,
) -> Vec<Value> {
    let mut forms: Vec<ResourceForm> = Vec::new();
    for call in HOOK_CALLS {
        if !forms.contains(&call.resource) {
            forms.push(call.resource);
        }
    }
    let mut statements = Statements::new(policy.clone(), hint);
    for form in forms {
        let actions: Vec<&str> = actions_on(form).collect();
        if form == ResourceForm::KmsKey {
            // Only through SSM, for a SecureString smoke test the user stored themselves:
            // gradual writes plain String parameters.
            statements.push_when(
                &actions,
                vec![(target_arn(form, ""), Presence::Always)],
                Some(json!({"StringEquals": {
                    "kms:ViaService": {"Fn::Sub": "ssm.${AWS::Region}.${AWS::URLSuffix}"}
                }})),
                conditions,
            );
            continue;
        }
        let arns: Vec<(Value, Presence)> = match form {
            ResourceForm::Application => vec![(application_arn(), application.clone())],
            ResourceForm::Any => vec![(Value::from("*"), Presence::Always)],
            per_target => targets
                .iter()
                .map(|d| {
                    let mut presence = function_presence(resources, d);
                    if per_target == ResourceForm::DeploymentGroup {
                        presence = Presence::all([
                            presence,
                            Presence::of_condition(d.condition.as_ref()),
                            application.clone(),
                        ]);
                    }
                    (target_arn(per_target, d.function_id), presence)
                })
                .collect(),
        };
        statements.push_when(&actions, arns, None, conditions);
    }
    statements.statements
}

fn application_arn() -> Value {
    json!({"Fn::Sub": format!(
        "arn:${{AWS::Partition}}:codedeploy:${{AWS::Region}}:${{AWS::AccountId}}:application:${{{APPLICATION_ID}}}"
    )})
}

/// The ARN a hook call of `form` acts on for `function_id`'s deployment.
fn target_arn(form: ResourceForm, function_id: &str) -> Value {
    match form {
        ResourceForm::DeploymentGroup => json!({"Fn::Sub": format!(
            "arn:${{AWS::Partition}}:codedeploy:${{AWS::Region}}:${{AWS::AccountId}}:deploymentgroup:${{{APPLICATION_ID}}}/${{{}}}",
            group_logical_id(function_id)
        )}),
        ResourceForm::FunctionUnqualified => json!({"Fn::GetAtt": [function_id, "Arn"]}),
        ResourceForm::FunctionQualified => json!({"Fn::Sub": format!("${{{function_id}.Arn}}:*")}),
        ResourceForm::SmokeTestParameter => json!({"Fn::Sub": format!(
            "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{SMOKE_TEST_PARAMETER_PREFIX}${{{function_id}}}"
        )}),
        ResourceForm::KmsKey => {
            json!({"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"})
        }
        ResourceForm::Application => application_arn(),
        ResourceForm::Any => Value::from("*"),
    }
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
        Intrinsic::Function("Fn::Sub", Value::String(text)) => text
            .strip_prefix("${")?
            .strip_suffix(".Arn}")
            .filter(|id| !id.contains(['$', '{', '}']))?,
        _ => return None,
    };
    let (id, resource) = resources.get_key_value(role_id)?;
    (resource.get("Type").and_then(Value::as_str) == Some("AWS::IAM::Role")).then_some(id.as_str())
}
