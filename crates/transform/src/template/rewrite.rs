//! Phase 5, rewrite: the template's own resources lose gradual's properties and gain what
//! their deployments need, generated resources take their places after their functions, and
//! `<Fn>.Alias` / `<Fn>.Version` references become logical IDs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::generate::Generated;
use super::{resource_type, GeneratedResource, Versioned};
use crate::codedeploy;
use crate::error::{Diagnostics, ErrorKind};
use crate::iam::{self, RolePolicy};
use crate::lambda::{self, FUNCTION_TYPE};
use crate::path::{Crumb, TemplatePath};
use crate::refs::{self, Member, Rewrite};
use crate::sam;
use gradual_contract::MANAGED_TAG_KEY;

/// CloudFormation's limit on a logical ID.
const MAX_LOGICAL_ID_LENGTH: usize = 255;

/// The rewritten sections.
pub(super) struct Rewritten {
    pub resources: Map<String, Value>,
    pub outputs: Option<Value>,
    pub conditions: Vec<(String, Value)>,
}

pub(super) fn all(
    resources: Map<String, Value>,
    versioned: &[Versioned],
    broken: &BTreeSet<String>,
    generated: Generated,
    outputs: Option<Value>,
    diagnostics: &mut Diagnostics,
) -> Rewritten {
    let Generated {
        mut by_function,
        shared,
        hook_grants,
        service_role_policy,
        has_deployments,
        adopted,
        conditions,
    } = generated;
    let existing: BTreeSet<String> = resources.keys().cloned().collect();
    let lambda_functions: BTreeSet<String> = resources
        .iter()
        .filter(|(_, r)| resource_type(r) == Some(FUNCTION_TYPE))
        .map(|(id, _)| id.clone())
        .collect();
    let by_id: BTreeMap<&str, &Versioned> = versioned
        .iter()
        .map(|v| (v.function.id.as_str(), v))
        .collect();
    // Sized once for everything it will hold: growing it rehashes every key placed so far.
    let generated_count: usize = by_function.values().map(Vec::len).sum();
    let mut placed = Placed {
        resources: Map::with_capacity(
            resources.len() + generated_count + shared.len() + hook_grants.policies.len(),
        ),
        existing: &existing,
    };
    let own = OwnChanges {
        adopted_by_resource: adopted
            .iter()
            .flat_map(|a| [(a.group_id.as_str(), a), (a.alias_id.as_str(), a)])
            .collect(),
        policies_by_function: &hook_grants.policies_by_function,
        by_id: &by_id,
        service_role_policy: has_deployments.then_some(&service_role_policy),
    };
    placed.own(resources, &own, &mut by_function, diagnostics);
    let references = References {
        by_id: &by_id,
        broken,
        lambda_functions: &lambda_functions,
    };
    let rewrite_to = |function: &str, member: Member| references.rewrite_to(function, member);
    for (id, resource) in placed.resources.iter_mut() {
        let path = Crumb::Resource(id);
        if let Value::Object(object) = resource {
            refs::rewrite_depends_on(object, path, &rewrite_to, diagnostics);
        }
        refs::rewrite(resource, path, &rewrite_to, diagnostics);
    }
    placed.resources.extend(shared);
    for (id, resource) in hook_grants.policies {
        let hook = id
            .strip_suffix(iam::HOOK_POLICY_SUFFIX)
            .unwrap_or(&id)
            .to_owned();
        placed.generated(id, resource, || TemplatePath::resource(&hook), diagnostics);
    }
    let outputs = outputs.map(|mut outputs| {
        let path = TemplatePath::root().key("Outputs");
        refs::rewrite(&mut outputs, Crumb::At(&path), &rewrite_to, diagnostics);
        outputs
    });
    let rebuilt = placed.resources;
    Rewritten {
        resources: rebuilt,
        outputs,
        conditions,
    }
}

/// What gradual changes on the template's own resources.
struct OwnChanges<'a> {
    adopted_by_resource: BTreeMap<&'a str, &'a sam::Adopted>,
    policies_by_function: &'a BTreeMap<String, Vec<String>>,
    by_id: &'a BTreeMap<&'a str, &'a Versioned>,
    /// The generated service role's policy, when any deployment uses the role.
    service_role_policy: Option<&'a Option<RolePolicy>>,
}

impl OwnChanges<'_> {
    fn apply(&self, id: &str, resource: &mut Value, diagnostics: &mut Diagnostics) {
        if let Some(policy) = self
            .service_role_policy
            .filter(|_| id == codedeploy::SERVICE_ROLE_ID)
        {
            sam::narrow_service_role(resource, policy.clone());
        }
        if let Some(adopted) = self.adopted_by_resource.get(id) {
            adopt_changes(resource, id, adopted, self.policies_by_function);
        }
        if resource_type(resource) == Some(FUNCTION_TYPE) {
            strip_owned(resource);
        }
        let versioned = self.by_id.get(id);
        if let Some(versioned) = versioned {
            apply_code_sha256(resource, versioned);
        }
        // gradual's installed hooks may only touch functions tagged for them.
        let runs_installed_hooks = versioned
            .and_then(|v| v.function.preference.as_deref())
            .is_some_and(|p| p.uses_installed_hooks);
        if runs_installed_hooks && !tag_for_installed_hooks(resource) {
            diagnostics.warn(
                TemplatePath::resource(id).key("Properties").key("Tags"),
                format!(
                    "gradual's installed hooks may only invoke functions tagged {MANAGED_TAG_KEY}=true, and these Tags \
                     are an intrinsic gradual can't add to: add the tag yourself"
                ),
            );
        }
    }
}

/// What `<Fn>.Alias` and `<Fn>.Version` become.
struct References<'a> {
    by_id: &'a BTreeMap<&'a str, &'a Versioned>,
    broken: &'a BTreeSet<String>,
    lambda_functions: &'a BTreeSet<String>,
}

impl References<'_> {
    fn rewrite_to(&self, function: &str, member: Member) -> Rewrite {
        match (self.by_id.get(function), member) {
            (Some(v), Member::Alias) => Rewrite::To(v.function.alias_id.clone()),
            (Some(v), Member::Version) => Rewrite::To(v.version_id.clone()),
            // Its own error is reported already; another one here would only mislead.
            (None, _) if self.broken.contains(function) => Rewrite::Keep,
            (None, _) if self.lambda_functions.contains(function) => {
                Rewrite::Error(ErrorKind::NoAutoPublishAlias {
                    function: function.to_owned(),
                    member: member.name(),
                })
            }
            (None, _) => Rewrite::Keep,
        }
    }
}

/// The rebuilt resources, and the logical IDs the template already had.
struct Placed<'a> {
    resources: Map<String, Value>,
    existing: &'a BTreeSet<String>,
}

impl Placed<'_> {
    /// The template's own resources, changed, each followed by what was generated for it.
    fn own(
        &mut self,
        resources: Map<String, Value>,
        own: &OwnChanges<'_>,
        by_function: &mut BTreeMap<String, Vec<GeneratedResource>>,
        diagnostics: &mut Diagnostics,
    ) {
        for (id, mut resource) in resources {
            own.apply(&id, &mut resource, diagnostics);
            let generated = by_function.remove(&id).unwrap_or_default();
            self.resources.insert(id.clone(), resource);
            for GeneratedResource {
                id: generated_id,
                resource,
                asked_by,
            } in generated
            {
                let blame = || TemplatePath::resource(&id).key("Properties").key(asked_by);
                self.generated(generated_id, resource, blame, diagnostics);
            }
        }
    }

    /// Adds a generated resource, unless its logical ID is already the template's or another
    /// generated resource's; then the error is reported at `blame`, the property that asked for
    /// it. The path is built only then: most resources never need it.
    fn generated(
        &mut self,
        id: String,
        resource: Value,
        blame: impl FnOnce() -> TemplatePath,
        diagnostics: &mut Diagnostics,
    ) {
        if id.len() > MAX_LOGICAL_ID_LENGTH {
            let kind = ErrorKind::LogicalIdTooLong {
                id,
                limit: MAX_LOGICAL_ID_LENGTH,
            };
            diagnostics.error(blame(), kind);
        } else if self.existing.contains(&id) || self.resources.contains_key(&id) {
            diagnostics.error(blame(), ErrorKind::LogicalIdCollision(id));
        } else {
            self.resources.insert(id, resource);
        }
    }
}

/// Removes gradual's properties from a function, keeping the order of the rest.
fn strip_owned(function: &mut Value) {
    if let Some(Value::Object(properties)) = function.get_mut("Properties") {
        properties.retain(|name, _| !lambda::OWNED.contains(&name.as_str()));
    }
}

/// Lambda refuses to publish a version when nothing about the function changed, which is
/// exactly the case when only the code behind an unchanged S3 key did. Writing the hash into
/// the description makes that a change, as SAM does.
fn apply_code_sha256(function: &mut Value, versioned: &Versioned) {
    let Some(sha) = &versioned.function.publication.code_sha256 else {
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

/// The tag that lets gradual's installed hooks invoke this function and read its versions, and
/// nothing else in the account. Tags are not part of a version, so no new version results.
///
/// False when the tags are an intrinsic, which gradual can't add to.
fn tag_for_installed_hooks(function: &mut Value) -> bool {
    let Some(Value::Object(properties)) = function.get_mut("Properties") else {
        return false;
    };
    let tag = json!({"Key": MANAGED_TAG_KEY, "Value": "true"});
    match properties.get_mut("Tags") {
        Some(Value::Array(tags)) => {
            if !tags
                .iter()
                .any(|t| t.get("Key") == Some(&Value::from(MANAGED_TAG_KEY)))
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
