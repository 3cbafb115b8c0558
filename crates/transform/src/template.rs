//! The whole-template pass: find the functions gradual manages, generate their resources,
//! rewrite references, and report every problem at once.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::codedeploy::{self, Deployment};
use crate::digest::short_digest;
use crate::error::{ErrorKind, TransformError, TransformErrors, Warning};
use crate::guard;
use crate::iam;
use crate::lambda::{self, FUNCTION_TYPE};
use crate::path::TemplatePath;
use crate::preference::{self, Preference, Reading};
use crate::presence::Conditions;
use crate::publish::{self, wrong_type, Publication};
use crate::refs::{self, Member, Target};
use crate::sam;
use crate::scope::Scope;
use crate::suggest::closest;
use crate::{Context, InstalledHooks, Output, Stats};

/// One function gradual rewrites.
#[derive(Debug)]
struct Managed {
    id: String,
    publication: Publication,
    /// The function's `Condition`, `DeletionPolicy` and `UpdateReplacePolicy`.
    condition: Option<Value>,
    deletion_policy: Option<Value>,
    update_replace_policy: Option<Value>,
    /// The version-captured properties, resolved as far as the transform can.
    captured: Value,
    alias_id: String,
    version_id: String,
    /// An enabled `DeploymentPreference`.
    preference: Option<Box<Preference>>,
    tags: Option<Value>,
}

pub(crate) fn run(template: Value, ctx: &Context) -> Result<Output, TransformErrors> {
    let unchanged = |template| Output {
        template,
        warnings: Vec::new(),
        stats: Stats::default(),
    };
    let Value::Object(mut root) = template else {
        let error = wrong_type(TemplatePath::root(), "a template object", &template);
        return Err(TransformErrors::one(error));
    };
    // Resources are taken out of the template (leaving their place in the key order) so the
    // rebuild can move them instead of copying every one.
    let owned_resources = match root.get_mut("Resources") {
        None => return Ok(unchanged(Value::Object(root))),
        Some(Value::Object(resources)) => std::mem::take(resources),
        Some(other) => {
            let error = wrong_type(TemplatePath::root().key("Resources"), "an object", other);
            return Err(TransformErrors::one(error));
        }
    };
    let resources = &owned_resources;

    let mut errors = Vec::new();
    let mut warnings: Vec<Warning> = Vec::new();
    let scope = Scope::new(&root, ctx);
    let Functions {
        mut managed,
        broken,
    } = read_functions(resources, &scope, &ctx.installed_hooks, &mut errors);
    assign_version_ids(&mut managed);

    let by_id: BTreeMap<&str, &Managed> = managed.iter().map(|m| (m.id.as_str(), m)).collect();
    let lambda_functions: BTreeSet<String> = resources
        .iter()
        .filter(|(_, r)| resource_type(r) == Some(FUNCTION_TYPE))
        .map(|(id, _)| id.clone())
        .collect();
    let target = |function: &str, member: Member| -> Target {
        match (by_id.get(function), member) {
            (Some(m), Member::Alias) => Target::To(m.alias_id.clone()),
            (Some(m), Member::Version) => Target::To(m.version_id.clone()),
            // Its own error is reported already; another one here would only mislead.
            (None, _) if broken.contains(function) => Target::Keep,
            (None, _) if lambda_functions.contains(function) => {
                Target::Error(ErrorKind::invalid(format!(
                "`{function}.{}` refers to function `{function}`, which has no AutoPublishAlias",
                member_name(member)
            )))
            }
            (None, _) => Target::Keep,
        }
    };

    let deployments: Vec<Deployment<'_>> = managed
        .iter()
        .filter_map(|m| {
            let preference = m.preference.as_deref()?;
            Some(Deployment {
                function_id: &m.id,
                preference,
                condition: m
                    .condition
                    .clone()
                    .filter(|_| preference.passthrough_condition),
                tags: m.tags.clone().filter(|_| preference.propagate_tags),
                version_id: &m.version_id,
                function_condition: m.condition.clone(),
            })
        })
        .collect();
    let deployment_of: BTreeMap<&str, &Deployment<'_>> =
        deployments.iter().map(|d| (d.function_id, d)).collect();
    let adopted = sam::adopt(resources, &mut errors);
    let adopted_by_resource: BTreeMap<&str, &sam::Adopted> = adopted
        .iter()
        .flat_map(|a| [(a.group_id.as_str(), a), (a.alias_id.as_str(), a)])
        .collect();
    let all_deployments: Vec<Deployment<'_>> = deployments
        .iter()
        .cloned()
        .chain(adopted.iter().map(|a| Deployment {
            function_id: &a.function_id,
            preference: &a.preference,
            condition: a.condition.clone(),
            tags: None,
            version_id: "",
            function_condition: a.condition.clone(),
        }))
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
        &scope,
        &service_role,
        &mut conditions,
    );
    let shared = codedeploy::shared(&all_deployments, resources, service_role_policy.clone());
    let hook_grants = iam::hook_grants(&all_deployments, resources, &application, &mut conditions);
    warnings.extend(hook_grants.warnings.iter().cloned());
    let mut generated_conditions = shared.conditions.clone();
    generated_conditions.extend(conditions.generated);
    check_shared_ids(
        &generated_conditions,
        &deployments,
        resources,
        &root,
        &mut errors,
    );

    let mut rebuilt = Map::new();
    let existing: BTreeSet<String> = resources.keys().cloned().collect();
    for (id, mut resource) in owned_resources {
        let id = id.as_str();
        let is_function = resource_type(&resource) == Some(FUNCTION_TYPE);
        if id == codedeploy::SERVICE_ROLE_ID && !all_deployments.is_empty() {
            sam::narrow_service_role(&mut resource, service_role_policy.clone());
        }
        if let Some(adopted) = adopted_by_resource.get(id) {
            adopt_changes(
                &mut resource,
                id,
                adopted,
                &hook_grants.policies_by_function,
            );
        }
        if let Value::Object(object) = &mut resource {
            if is_function {
                strip_owned(object);
            }
            if let Some(m) = by_id.get(id) {
                apply_code_sha256(object, m);
            }
        }
        let generated = by_id.get(id).map(|m| {
            let waits_for = hook_grants.policies_by_function.get(id);
            let conditional_waits = hook_grants.conditional_waits.get(id);
            let deployment = deployment_of.get(id).copied();
            if deployment.is_some_and(|d| d.preference.uses_installed_hooks)
                && !tag_for_installed_hooks(&mut resource)
            {
                warnings.push(Warning {
                    path: TemplatePath::resource(id).key("Properties").key("Tags"),
                    message: format!(
                        "gradual's installed hooks may only invoke functions tagged {}=true, and these Tags \
                         are an intrinsic gradual can't add to: add the tag yourself",
                        guard::MANAGED_TAG_KEY
                    ),
                });
            }
            generate(m, deployment, waits_for, conditional_waits)
        });
        rebuilt.insert(id.to_owned(), resource);
        for (generated_id, generated_resource, property) in generated.into_iter().flatten() {
            let blame = TemplatePath::resource(id).key("Properties").key(property);
            insert_generated(
                &mut rebuilt,
                &existing,
                generated_id,
                generated_resource,
                &blame,
                &mut errors,
            );
        }
    }
    for (id, resource) in rebuilt.iter_mut() {
        let path = TemplatePath::resource(id);
        if let Value::Object(object) = resource {
            refs::rewrite_depends_on(object, &path, &target, &mut errors);
        }
        refs::rewrite(resource, &path, &target, &mut errors);
    }
    for (id, resource) in &shared.resources {
        rebuilt.insert(id.clone(), resource.clone());
    }
    for (id, resource) in hook_grants.policies {
        let hook = id
            .strip_suffix(iam::HOOK_POLICY_SUFFIX)
            .unwrap_or(&id)
            .to_owned();
        insert_generated(
            &mut rebuilt,
            &existing,
            id,
            resource,
            &TemplatePath::resource(&hook),
            &mut errors,
        );
    }
    let mut outputs = root.get("Outputs").cloned();
    if let Some(outputs) = &mut outputs {
        refs::rewrite(
            outputs,
            &TemplatePath::root().key("Outputs"),
            &target,
            &mut errors,
        );
    }

    let stats = Stats {
        functions: managed.len(),
        resources_added: rebuilt.len().saturating_sub(existing.len()),
    };
    drop(scope);
    if let Some(errors) = TransformErrors::from_vec(errors) {
        return Err(errors);
    }
    if let Some(slot) = root.get_mut("Resources") {
        *slot = Value::Object(rebuilt);
    }
    if let (Some(slot), Some(outputs)) = (root.get_mut("Outputs"), outputs) {
        *slot = outputs;
    }
    if !generated_conditions.is_empty() {
        let conditions = root
            .entry("Conditions")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(conditions) = conditions {
            conditions.extend(generated_conditions);
        }
    }
    Ok(Output {
        template: Value::Object(root),
        warnings,
        stats,
    })
}

fn member_name(member: Member) -> &'static str {
    match member {
        Member::Alias => "Alias",
        Member::Version => "Version",
    }
}

fn resource_type(resource: &Value) -> Option<&str> {
    resource.get("Type").and_then(Value::as_str)
}

/// The functions gradual manages, and those that ask for it but have errors.
struct Functions {
    managed: Vec<Managed>,
    broken: BTreeSet<String>,
}

/// First pass: every problem with gradual's properties, and the functions that are usable.
fn read_functions(
    resources: &Map<String, Value>,
    scope: &Scope<'_>,
    installed_hooks: &InstalledHooks,
    errors: &mut Vec<TransformError>,
) -> Functions {
    let mut managed = Vec::new();
    let mut broken = BTreeSet::new();
    // NoEcho values enter version hashes only stretched; built once, on first need.
    let mut hashing: Option<Scope<'_>> = None;
    for (id, resource) in resources {
        let path = TemplatePath::resource(id);
        let Some(resource_type) = resource_type(resource) else {
            continue;
        };
        let Some(properties) = resource.get("Properties").and_then(Value::as_object) else {
            continue;
        };
        let properties_path = path.key("Properties");
        if resource_type != FUNCTION_TYPE {
            if !lambda::type_takes_any_property(resource_type) {
                for name in lambda::OWNED_ONLY_BY_GRADUAL
                    .iter()
                    .filter(|n| properties.contains_key(**n))
                {
                    errors.push(TransformError::new(
                        properties_path.key(name),
                        ErrorKind::invalid(format!(
                            "`{name}` is a gradual property of {FUNCTION_TYPE}; {resource_type} cannot take it"
                        )),
                    ));
                }
            }
            continue;
        }
        for name in properties.keys() {
            if lambda::FUNCTION_PROPERTIES.contains(&name.as_str())
                || lambda::OWNED.contains(&name.as_str())
            {
                continue;
            }
            if let Some(suggestion) = closest(name, &lambda::OWNED) {
                errors.push(TransformError::new(
                    properties_path.key(name),
                    ErrorKind::UnknownProperty {
                        name: name.clone(),
                        suggestion: Some(suggestion.to_owned()),
                    },
                ));
            }
        }
        let reader = preference::Reader {
            scope,
            resources,
            installed_hooks,
        };
        let preference_path = properties_path.key("DeploymentPreference");
        let preference = properties
            .get("DeploymentPreference")
            .and_then(|raw| reader.read(raw, &preference_path, errors));
        if !properties.contains_key("AutoPublishAlias") {
            if let Some(Reading::Enabled(_)) = preference {
                errors.push(TransformError::new(
                    preference_path.clone(),
                    ErrorKind::invalid("an enabled DeploymentPreference requires `AutoPublishAlias` on the same function"),
                ));
            }
            for name in properties
                .keys()
                .filter(|n| *n != "DeploymentPreference" && lambda::OWNED.contains(&n.as_str()))
            {
                errors.push(TransformError::new(
                    properties_path.key(name),
                    ErrorKind::invalid(format!(
                        "`{name}` requires `AutoPublishAlias` on the same function"
                    )),
                ));
            }
            continue;
        }
        let Some(publication) = publish::read(properties, &properties_path, scope, errors) else {
            broken.insert(id.clone());
            continue;
        };
        if properties.contains_key("DeploymentPreference") && preference.is_none() {
            broken.insert(id.clone());
            continue;
        }
        if let Some(error) = description_overflow(properties, &properties_path, &publication) {
            errors.push(error);
            broken.insert(id.clone());
            continue;
        }
        let mut captured = Map::new();
        let hashing = hashing.get_or_insert_with(|| scope.for_hashing());
        for (name, value) in properties {
            if lambda::OWNED.contains(&name.as_str())
                || lambda::NOT_CAPTURED_BY_VERSION.contains(&name.as_str())
            {
                continue;
            }
            captured.insert(
                name.clone(),
                hashing.resolve(value, &properties_path.key(name), errors),
            );
        }
        if let Some(sha) = &publication.code_sha256 {
            captured.insert(
                "AutoPublishCodeSha256".to_owned(),
                Value::String(sha.clone()),
            );
        }
        managed.push(Managed {
            id: id.clone(),
            alias_id: publish::alias_logical_id(id, &publication.alias_name),
            publication,
            condition: resource.get("Condition").cloned(),
            deletion_policy: resource.get("DeletionPolicy").cloned(),
            update_replace_policy: resource.get("UpdateReplacePolicy").cloned(),
            captured: Value::Object(captured),
            version_id: String::new(),
            preference: match preference {
                Some(Reading::Enabled(preference)) => Some(preference),
                _ => None,
            },
            tags: properties.get("Tags").cloned(),
        });
    }
    Functions { managed, broken }
}

/// Gives every managed function its version ID.
///
/// A function whose captured properties name another function's version (an environment
/// variable holding `Other.Version`, say) must publish again when that version changes, so such
/// references are replaced by the other version's ID before hashing. Cycles keep the raw name.
fn assign_version_ids(managed: &mut [Managed]) {
    let index: BTreeMap<String, usize> = managed
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.clone(), i))
        .collect();
    let mut ids: Vec<Option<String>> = vec![None; managed.len()];
    for start in 0..managed.len() {
        let mut in_progress = BTreeSet::new();
        version_id_of(start, managed, &index, &mut ids, &mut in_progress);
    }
    for (m, id) in managed.iter_mut().zip(ids) {
        m.version_id = id.unwrap_or_default();
    }
}

fn version_id_of(
    position: usize,
    managed: &[Managed],
    index: &BTreeMap<String, usize>,
    ids: &mut Vec<Option<String>>,
    in_progress: &mut BTreeSet<usize>,
) -> Option<String> {
    if let Some(done) = &ids[position] {
        return Some(done.clone());
    }
    if !in_progress.insert(position) {
        return None;
    }
    let own_id = managed[position].id.clone();
    let mut named = Vec::new();
    refs::versions_named(&managed[position].captured, &mut named);
    let dependencies: Vec<usize> = named
        .iter()
        .filter(|function| **function != own_id)
        .filter_map(|function| index.get(function).copied())
        .collect();
    let mut ignored = Vec::new();
    let mut known = BTreeMap::new();
    for other in dependencies {
        if let Some(id) = version_id_of(other, managed, index, ids, in_progress) {
            known.insert(managed[other].id.clone(), id);
        }
    }
    let id = if known.is_empty() {
        format!(
            "{own_id}Version{}",
            short_digest(&managed[position].captured)
        )
    } else {
        let mut captured = managed[position].captured.clone();
        refs::rewrite(
            &mut captured,
            &TemplatePath::root(),
            &|function: &str, member: Member| match (member, known.get(function)) {
                (Member::Version, Some(id)) => Target::To(id.clone()),
                _ => Target::Keep,
            },
            &mut ignored,
        );
        format!("{own_id}Version{}", short_digest(&captured))
    };
    ids[position] = Some(id.clone());
    in_progress.remove(&position);
    Some(id)
}

/// Removes gradual's properties from a function, keeping the order of the rest.
fn strip_owned(function: &mut Map<String, Value>) {
    if let Some(Value::Object(properties)) = function.get_mut("Properties") {
        properties.retain(|name, _| !lambda::OWNED.contains(&name.as_str()));
    }
}

/// Lambda's limit on a function's `Description`.
const MAX_DESCRIPTION_LENGTH: usize = 256;

/// The description [`apply_code_sha256`] writes must still fit Lambda's limit, or the
/// function update fails at deploy time, far from the cause.
fn description_overflow(
    properties: &Map<String, Value>,
    properties_path: &TemplatePath,
    publication: &Publication,
) -> Option<TransformError> {
    let sha = publication.code_sha256.as_ref()?;
    let length = match properties.get("Description") {
        Some(Value::String(text)) if !text.is_empty() => {
            text.chars().count() + 1 + sha.chars().count()
        }
        None | Some(Value::String(_)) => sha.chars().count(),
        Some(_) => return None,
    };
    (length > MAX_DESCRIPTION_LENGTH).then(|| {
        TransformError::new(
            properties_path.key("AutoPublishCodeSha256"),
            ErrorKind::invalid(format!(
                "appended to the function's Description (as Lambda needs to publish a version for code behind an unchanged S3 key), \
                 it makes a description of {length} characters; Lambda allows {MAX_DESCRIPTION_LENGTH}: shorten the Description"
            )),
        )
    })
}

/// Lambda refuses to publish a version when nothing about the function changed, which is
/// exactly the case when only the code behind an unchanged S3 key did. Writing the hash into
/// the description makes that a change, as SAM does.
fn apply_code_sha256(function: &mut Map<String, Value>, managed: &Managed) {
    let Some(sha) = &managed.publication.code_sha256 else {
        return;
    };
    let Some(Value::Object(properties)) = function.get_mut("Properties") else {
        return;
    };
    let description = match properties.get("Description") {
        None => Value::String(sha.clone()),
        Some(Value::String(text)) if text.is_empty() => Value::String(sha.clone()),
        Some(Value::String(text)) => Value::String(format!("{text} {sha}")),
        Some(other) => json!({"Fn::Join": [" ", [other, sha]]}),
    };
    properties.insert("Description".to_owned(), description);
}

/// The version, alias and deployment group of one managed function, in output order.
///
/// `waits_for` are the hook policies the alias must not be updated before: the update is what
/// runs the hooks, and a hook without its permissions can't report.
fn generate(
    m: &Managed,
    deployment: Option<&Deployment<'_>>,
    waits_for: Option<&Vec<String>>,
    conditional_waits: Option<&Vec<(String, String)>>,
) -> Vec<(String, Value, &'static str)> {
    let publication = &m.publication;
    let mut version = Map::new();
    version.insert("Type".into(), "AWS::Lambda::Version".into());
    if let Some(condition) = &m.condition {
        version.insert("Condition".into(), condition.clone());
    }
    let deletion_policy = publication
        .version_deletion_policy
        .map(Value::from)
        .or_else(|| {
            m.deletion_policy
                .clone()
                .filter(|p| p == "Delete" || p == "Retain")
        })
        .unwrap_or_else(|| Value::from("Retain"));
    version.insert("DeletionPolicy".into(), deletion_policy);
    if let Some(policy) = &m.update_replace_policy {
        version.insert("UpdateReplacePolicy".into(), policy.clone());
    }
    let mut version_properties = Map::new();
    version_properties.insert("FunctionName".into(), json!({"Ref": m.id}));
    if let Some(description) = &publication.version_description {
        version_properties.insert("Description".into(), description.clone());
    }
    version.insert("Properties".into(), Value::Object(version_properties));

    let mut alias = Map::new();
    alias.insert("Type".into(), "AWS::Lambda::Alias".into());
    if let Some(condition) = &m.condition {
        alias.insert("Condition".into(), condition.clone());
    }
    if let Some(policy) = &m.deletion_policy {
        alias.insert("DeletionPolicy".into(), policy.clone());
    }
    if let Some(policy) = &m.update_replace_policy {
        alias.insert("UpdateReplacePolicy".into(), policy.clone());
    }
    let guard_alarms = deployment
        .and_then(|d| d.preference.guard.as_ref().map(|guard| (d, guard)))
        .map(|(d, guard)| {
            let target = guard::Target {
                function_id: &m.id,
                alias_name: &publication.alias_name,
                version_id: &m.version_id,
                condition: m.condition.as_ref(),
                tags: d.tags.as_ref(),
            };
            guard::alarms(guard, &target)
        })
        .unwrap_or_default();
    // The alias update starts the deployment, so it waits for the hooks' permissions and for
    // the guard alarms to watch the new version.
    // It also waits for the smoke test the pre-traffic hook reads, and for the group whose
    // alarm list CodeDeploy reads when the deployment starts.
    let group_id = deployment.map(|_| codedeploy::group_logical_id(&m.id));
    let smoke_test_id = deployment
        .filter(|d| d.preference.smoke_test.is_some())
        .map(|_| guard::smoke_test_logical_id(&m.id));
    let depends_on: Vec<&String> = waits_for
        .into_iter()
        .flatten()
        .chain(guard_alarms.iter().map(|(id, _)| id))
        .chain(smoke_test_id.iter())
        .chain(group_id.iter())
        .collect();
    if !depends_on.is_empty() {
        alias.insert("DependsOn".into(), json!(depends_on));
    }
    if let Some(deployment) = deployment {
        alias.insert("UpdatePolicy".into(), codedeploy::update_policy(deployment));
    }
    let mut alias_properties = Map::new();
    alias_properties.insert("Name".into(), Value::String(publication.alias_name.clone()));
    alias_properties.insert("FunctionName".into(), json!({"Ref": m.id}));
    alias_properties.insert(
        "FunctionVersion".into(),
        json!({"Fn::GetAtt": [m.version_id, "Version"]}),
    );
    if let Some(config) = &publication.provisioned_concurrency {
        alias_properties.insert("ProvisionedConcurrencyConfig".into(), config.clone());
    }
    if let Some(waits) = conditional_waits.filter(|w| !w.is_empty()) {
        alias_properties.insert("Description".into(), waiting_description(waits));
    }
    alias.insert("Properties".into(), Value::Object(alias_properties));

    const ALIAS: &str = "AutoPublishAlias";
    const PREFERENCE: &str = "DeploymentPreference";
    let mut generated = vec![
        (m.version_id.clone(), Value::Object(version), ALIAS),
        (m.alias_id.clone(), Value::Object(alias), ALIAS),
    ];
    if let Some(deployment) = deployment {
        generated.push((
            codedeploy::group_logical_id(&m.id),
            codedeploy::deployment_group(deployment),
            PREFERENCE,
        ));
        generated.extend(
            guard_alarms
                .into_iter()
                .map(|(id, alarm)| (id, alarm, PREFERENCE)),
        );
        if let Some(test) = &deployment.preference.smoke_test {
            let target = guard::Target {
                function_id: &m.id,
                alias_name: &publication.alias_name,
                version_id: &m.version_id,
                condition: m.condition.as_ref(),
                tags: deployment.tags.as_ref(),
            };
            let (id, parameter) = guard::smoke_test_parameter(test, &target);
            generated.push((id, parameter, PREFERENCE));
        }
    }
    generated
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

/// CloudFormation's limit on a logical ID.
const MAX_LOGICAL_ID_LENGTH: usize = 255;

/// Adds a generated resource, unless its logical ID is already the template's or another
/// generated resource's; then the error is reported at `blame`, the property that asked for it.
fn insert_generated(
    rebuilt: &mut Map<String, Value>,
    existing: &BTreeSet<String>,
    id: String,
    resource: Value,
    blame: &TemplatePath,
    errors: &mut Vec<TransformError>,
) {
    if id.len() > MAX_LOGICAL_ID_LENGTH {
        errors.push(TransformError::new(
            blame.clone(),
            ErrorKind::invalid(format!(
                "the generated logical ID `{id}` is {} characters; CloudFormation allows {MAX_LOGICAL_ID_LENGTH}: shorten the function's logical ID or the alias name",
                id.len()
            )),
        ));
    } else if existing.contains(&id) || rebuilt.contains_key(&id) {
        errors.push(TransformError::new(
            blame.clone(),
            ErrorKind::LogicalIdCollision(id),
        ));
    } else {
        rebuilt.insert(id, resource);
    }
}

/// The tag that lets gradual's installed hooks invoke this function and read its versions, and
/// nothing else in the account. Tags are not part of a version, so no new version results.
///
/// False when the tags are an intrinsic, which gradual can't add to.
fn tag_for_installed_hooks(function: &mut Value) -> bool {
    let Some(Value::Object(properties)) = function.get_mut("Properties") else {
        return false;
    };
    let tag = json!({"Key": guard::MANAGED_TAG_KEY, "Value": "true"});
    match properties.get_mut("Tags") {
        Some(Value::Array(tags)) => {
            if !tags
                .iter()
                .any(|t| t.get("Key") == Some(&Value::from(guard::MANAGED_TAG_KEY)))
            {
                tags.push(tag);
            }
            true
        }
        Some(_) => false,
        None => {
            properties.insert("Tags".into(), json!([tag]));
            true
        }
    }
}

/// What gradual changes on a resource SAM generated: a group's config name, when it names a
/// schedule gradual generates, and an alias's wait for its hooks' policies.
fn adopt_changes(
    resource: &mut Value,
    id: &str,
    adopted: &sam::Adopted,
    policies_by_function: &BTreeMap<String, Vec<String>>,
) {
    let Some(object) = resource.as_object_mut() else {
        return;
    };
    if id == adopted.group_id {
        if let (Some(config), Some(Value::Object(properties))) =
            (&adopted.config_name, object.get_mut("Properties"))
        {
            properties.insert("DeploymentConfigName".into(), config.clone());
        }
    } else if let Some(policies) = policies_by_function.get(&adopted.function_id) {
        let mut depends_on = match object.get("DependsOn") {
            Some(Value::Array(names)) => names.clone(),
            Some(name) => vec![name.clone()],
            None => Vec::new(),
        };
        for policy in policies {
            let policy = Value::String(policy.clone());
            if !depends_on.contains(&policy) {
                depends_on.push(policy);
            }
        }
        object.insert("DependsOn".into(), Value::Array(depends_on));
    }
}

/// Generated deployment groups, shared resources and conditions must not take a name the
/// template already uses for something else. A shared resource of the right type already in
/// the template (from the SAM transform, say) is reused rather than generated again.
fn check_shared_ids(
    generated_conditions: &[(String, Value)],
    deployments: &[Deployment<'_>],
    resources: &Map<String, Value>,
    root: &Map<String, Value>,
    errors: &mut Vec<TransformError>,
) {
    let expected_types = [
        (codedeploy::APPLICATION_ID, "AWS::CodeDeploy::Application"),
        (codedeploy::SERVICE_ROLE_ID, "AWS::IAM::Role"),
    ];
    let first_preference = deployments.first().map(|d| {
        TemplatePath::resource(d.function_id)
            .key("Properties")
            .key("DeploymentPreference")
    });
    let Some(at) = first_preference else {
        return;
    };
    for (id, expected) in expected_types {
        if let Some(existing) = resources.get(id) {
            if resource_type(existing) != Some(expected) {
                errors.push(TransformError::new(
                    at.clone(),
                    ErrorKind::LogicalIdCollision(id.to_owned()),
                ));
            }
        }
    }
    for deployment in deployments {
        for schedule in deployment.preference.generated.values() {
            let id = preference::config_logical_id(*schedule);
            if let Some(existing) = resources.get(&id) {
                if resource_type(existing) != Some("AWS::CodeDeploy::DeploymentConfig") {
                    errors.push(TransformError::new(
                        at.clone(),
                        ErrorKind::LogicalIdCollision(id),
                    ));
                }
            }
        }
    }
    let conditions = root.get("Conditions").and_then(Value::as_object);
    for (id, _) in generated_conditions {
        if conditions.is_some_and(|c| c.contains_key(id)) {
            errors.push(TransformError::new(
                TemplatePath::root().key("Conditions").key(id),
                ErrorKind::invalid(format!(
                    "condition `{id}` is generated by gradual but the template already defines it"
                )),
            ));
        }
    }
}
