//! Phase 4, generate: each managed function's version, alias, deployment group, guard alarms
//! and smoke test; once per template, the CodeDeploy application, service role, deployment
//! configs, hook policies and the conditions they need.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{resource_type, GeneratedResource, Versioned};
use crate::codedeploy::{self, Deployment};
use crate::error::{Diagnostics, ErrorKind};
use crate::guard::{self, ProtectedFunction};
use crate::iam::{self, HookGrants, RolePolicy};
use crate::path::TemplatePath;
use crate::preference;
use crate::presence::Conditions;
use crate::publish::{self, AliasWiring};
use crate::sam;
use crate::scope::Scope;
use crate::smoke_test;

/// Everything phase 4 made, for phase 5 to place.
pub(super) struct Generated {
    /// Each managed function's resources, in output order.
    pub by_function: BTreeMap<String, Vec<GeneratedResource>>,
    /// The application, service role and deployment configs.
    pub shared: Vec<(String, Value)>,
    pub hook_grants: HookGrants,
    /// The generated service role's inline policy, also given to SAM's role when adopted.
    pub service_role_policy: Option<RolePolicy>,
    /// Whether any deployment uses the CodeDeploy service role.
    pub has_deployments: bool,
    pub adopted: Vec<sam::Adopted>,
    pub conditions: Vec<(String, Value)>,
}

pub(super) fn all(
    versioned: &[Versioned],
    resources: &Map<String, Value>,
    root: &Map<String, Value>,
    scope: &Scope<'_>,
    diagnostics: &mut Diagnostics,
) -> Generated {
    let deployments: Vec<Deployment<'_>> = versioned.iter().filter_map(deployment).collect();
    let adopted = sam::adopt(resources, diagnostics);
    let all_deployments: Vec<Deployment<'_>> = deployments
        .iter()
        .cloned()
        .chain(adopted.iter().map(sam::Adopted::deployment))
        .collect();
    let mut conditions = Conditions::default();
    let application = codedeploy::shared_presence(
        codedeploy::APPLICATION_ID,
        &all_deployments,
        resources,
        &mut conditions,
    );
    let service_role = codedeploy::shared_presence(
        codedeploy::SERVICE_ROLE_ID,
        &all_deployments,
        resources,
        &mut conditions,
    );
    let service_role_policy = iam::service_role_policy(
        &all_deployments,
        resources,
        scope,
        &service_role,
        &mut conditions,
    );
    let shared = codedeploy::shared(&all_deployments, resources, service_role_policy.clone());
    let hook_grants = iam::hook_grants(&all_deployments, resources, &application, &mut conditions);
    for warning in &hook_grants.warnings {
        diagnostics.warn(warning.path.clone(), warning.message.clone());
    }
    let mut generated_conditions = shared.conditions;
    generated_conditions.extend(conditions.generated);
    check_shared_ids(
        &generated_conditions,
        &deployments,
        resources,
        root,
        diagnostics,
    );
    let by_id: BTreeMap<&str, &Deployment<'_>> =
        deployments.iter().map(|d| (d.function_id, d)).collect();
    let by_function = versioned
        .iter()
        .map(|v| {
            let deployment = by_id.get(v.function.id.as_str()).copied();
            let resources = function_resources(v, deployment, &hook_grants);
            (v.function.id.clone(), resources)
        })
        .collect();
    Generated {
        by_function,
        shared: shared.resources,
        service_role_policy,
        has_deployments: !all_deployments.is_empty(),
        hook_grants,
        adopted,
        conditions: generated_conditions,
    }
}

/// A managed function's enabled preference, with what it brings from the function.
fn deployment(versioned: &Versioned) -> Option<Deployment<'_>> {
    let function = &versioned.function;
    let preference = function.preference.as_deref()?;
    let condition = &function.attributes.condition;
    Some(Deployment {
        function_id: &function.id,
        preference,
        condition: condition
            .as_ref()
            .filter(|_| preference.passthrough_condition)
            .cloned(),
        tags: function
            .tags
            .as_ref()
            .filter(|_| preference.propagate_tags)
            .cloned(),
        version_id: Some(&versioned.version_id),
        function_condition: condition.clone(),
    })
}

/// The version, alias and, with a deployment, its group, guard alarms and smoke test.
fn function_resources(
    versioned: &Versioned,
    deployment: Option<&Deployment<'_>>,
    hook_grants: &HookGrants,
) -> Vec<GeneratedResource> {
    const ALIAS: &str = "AutoPublishAlias";
    const PREFERENCE: &str = "DeploymentPreference";
    let function = &versioned.function;
    let protected = ProtectedFunction {
        function_id: &function.id,
        alias_name: &function.publication.alias_name,
        version_id: &versioned.version_id,
        condition: function.attributes.condition.as_ref(),
        tags: deployment.and_then(|d| d.tags.as_ref()),
    };
    let guard_alarms = deployment
        .and_then(|d| d.preference.guard.as_ref())
        .map(|guard| guard::alarms(guard, &protected))
        .unwrap_or_default();
    let smoke_test = deployment
        .and_then(|d| d.preference.smoke_test.as_ref())
        .map(|test| smoke_test::parameter(test, &protected));
    let wiring = alias_wiring(
        versioned,
        deployment,
        hook_grants,
        &guard_alarms,
        smoke_test.is_some(),
    );
    let generated = |id: String, resource: Value, asked_by: &'static str| GeneratedResource {
        id,
        resource,
        asked_by,
    };
    let mut resources = vec![
        generated(
            versioned.version_id.clone(),
            publish::version(&function.id, &function.publication, &function.attributes),
            ALIAS,
        ),
        generated(
            function.alias_id.clone(),
            publish::alias(
                &function.id,
                &versioned.version_id,
                &function.publication,
                &function.attributes,
                wiring,
            ),
            ALIAS,
        ),
    ];
    if let Some(deployment) = deployment {
        let group_id = codedeploy::group_logical_id(&function.id);
        resources.push(generated(
            group_id,
            codedeploy::deployment_group(deployment),
            PREFERENCE,
        ));
        resources.extend(
            guard_alarms
                .into_iter()
                .chain(smoke_test)
                .map(|(id, resource)| generated(id, resource, PREFERENCE)),
        );
    }
    resources
}

/// The alias update starts the deployment, so it waits for the hooks' permissions and for the
/// guard alarms to watch the new version; for the smoke test the pre-traffic hook reads, and
/// for the group whose alarm list CodeDeploy reads when the deployment starts.
fn alias_wiring(
    versioned: &Versioned,
    deployment: Option<&Deployment<'_>>,
    hook_grants: &HookGrants,
    guard_alarms: &[(String, Value)],
    has_smoke_test: bool,
) -> AliasWiring {
    let id = &versioned.function.id;
    let mut depends_on: Vec<String> = hook_grants
        .policies_by_function
        .get(id)
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    depends_on.extend(guard_alarms.iter().map(|(alarm, _)| alarm.clone()));
    if has_smoke_test {
        depends_on.push(smoke_test::logical_id(id));
    }
    if deployment.is_some() {
        depends_on.push(codedeploy::group_logical_id(id));
    }
    let description = hook_grants
        .conditional_waits
        .get(id)
        .filter(|waits| !waits.is_empty())
        .map(|waits| waiting_description(waits));
    AliasWiring {
        depends_on,
        update_policy: deployment.map(codedeploy::update_policy),
        description,
    }
}

/// A constant alias description that refers to hook policies which may not exist, so that the
/// alias waits for each one that does. `DependsOn` can't be conditional, but a `Ref` in a
/// property is a dependency exactly when its `Fn::If` branch is taken; `Fn::Select` keeps
/// only the text, so the description never changes with the policies.
fn waiting_description(waits: &[(String, String)]) -> Value {
    let mut parts = vec![Value::from(ALIAS_DESCRIPTION)];
    parts.extend(waits.iter().map(|(policy, condition)| {
        json!({"Fn::If": [condition, {"Ref": policy}, {"Ref": "AWS::NoValue"}]})
    }));
    json!({"Fn::Select": [0, parts]})
}

const ALIAS_DESCRIPTION: &str = "Traffic shifted by gradual";

/// Generated deployment groups, shared resources and conditions must not take a name the
/// template already uses for something else. A shared resource of the right type already in
/// the template (from the SAM transform, say) is reused rather than generated again.
fn check_shared_ids(
    generated_conditions: &[(String, Value)],
    deployments: &[Deployment<'_>],
    resources: &Map<String, Value>,
    root: &Map<String, Value>,
    diagnostics: &mut Diagnostics,
) {
    let Some(first) = deployments.first() else {
        return;
    };
    let at = TemplatePath::resource(first.function_id)
        .key("Properties")
        .key("DeploymentPreference");
    let mut expected_types = vec![
        (
            codedeploy::APPLICATION_ID.to_owned(),
            "AWS::CodeDeploy::Application",
        ),
        (codedeploy::SERVICE_ROLE_ID.to_owned(), "AWS::IAM::Role"),
    ];
    for deployment in deployments {
        for schedule in deployment.preference.generated.values() {
            let id = preference::config_logical_id(*schedule);
            expected_types.push((id, "AWS::CodeDeploy::DeploymentConfig"));
        }
    }
    for (id, expected) in expected_types {
        let clashes = resources
            .get(&id)
            .is_some_and(|existing| resource_type(existing) != Some(expected));
        if clashes {
            diagnostics.error(at.clone(), ErrorKind::LogicalIdCollision(id));
        }
    }
    let conditions = root.get("Conditions").and_then(Value::as_object);
    for (id, _) in generated_conditions {
        if conditions.is_some_and(|c| c.contains_key(id)) {
            diagnostics.error(
                TemplatePath::root().key("Conditions").key(id),
                ErrorKind::ConditionAlreadyDefined(id.clone()),
            );
        }
    }
}
