//! Phase 2, read: every problem with gradual's properties, and the functions that are usable.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{resource_type, ManagedFunction};
use crate::error::{Diagnostics, ErrorKind};
use crate::lambda::{self, FUNCTION_TYPE};
use crate::path::{Crumb, TemplatePath};
use crate::preference::{self, Reading};
use crate::publish::{self, Attributes, Publication};
use crate::scope::Scope;
use crate::suggest::closest;
use crate::InstalledHooks;

/// The functions gradual manages, and those that ask for it but have errors.
pub(super) struct Functions {
    pub managed: Vec<ManagedFunction>,
    pub broken: BTreeSet<String>,
}

/// Lambda's limit on a function's `Description`.
const MAX_DESCRIPTION_LENGTH: usize = 256;

pub(super) fn functions(
    resources: &Map<String, Value>,
    scope: &Scope<'_>,
    installed_hooks: &InstalledHooks,
    diagnostics: &mut Diagnostics,
) -> Functions {
    let mut functions = Functions {
        managed: Vec::new(),
        broken: BTreeSet::new(),
    };
    let reader = preference::Reader {
        scope,
        resources,
        installed_hooks,
    };
    // NoEcho values enter version hashes only stretched; built once, on first need.
    let mut hashing: Option<Scope<'_>> = None;
    for (id, resource) in resources {
        let Some(resource_type) = resource_type(resource) else {
            continue;
        };
        let Some(properties) = resource.get("Properties").and_then(Value::as_object) else {
            continue;
        };
        let properties_path = TemplatePath::resource(id).key("Properties");
        if resource_type != FUNCTION_TYPE {
            not_a_function(resource_type, properties, &properties_path, diagnostics);
            continue;
        }
        typos(properties, &properties_path, diagnostics);
        let function = Function {
            id,
            resource,
            properties,
            path: &properties_path,
        };
        match function.read(&reader, diagnostics) {
            Outcome::Unmanaged => {}
            Outcome::Broken => {
                functions.broken.insert(id.clone());
            }
            Outcome::Managed(read) => {
                let (publication, reading) = *read;
                let hashing = hashing.get_or_insert_with(|| scope.for_hashing());
                let captured = function.captured(&publication, hashing, diagnostics);
                functions
                    .managed
                    .push(function.managed(publication, reading, captured));
            }
        }
    }
    functions
}

/// gradual's own properties on a resource that can't take them.
fn not_a_function(
    resource_type: &str,
    properties: &Map<String, Value>,
    properties_path: &TemplatePath,
    diagnostics: &mut Diagnostics,
) {
    if lambda::type_takes_any_property(resource_type) {
        return;
    }
    for name in lambda::OWNED_ONLY_BY_GRADUAL
        .iter()
        .filter(|n| properties.contains_key(**n))
    {
        let kind = ErrorKind::NotAFunctionProperty {
            property: (*name).to_owned(),
            resource_type: resource_type.to_owned(),
        };
        diagnostics.error(properties_path.key(name), kind);
    }
}

/// A function property that is neither Lambda's nor gradual's but close to one of gradual's.
fn typos(properties: &Map<String, Value>, path: &TemplatePath, diagnostics: &mut Diagnostics) {
    for name in properties.keys() {
        if lambda::FUNCTION_PROPERTIES.contains(&name.as_str())
            || lambda::OWNED.contains(&name.as_str())
        {
            continue;
        }
        if let Some(suggestion) = closest(name, &lambda::OWNED) {
            let kind = ErrorKind::UnknownProperty {
                name: name.clone(),
                suggestion: Some(suggestion.to_owned()),
            };
            diagnostics.error(path.key(name), kind);
        }
    }
}

/// One `AWS::Lambda::Function` being read.
struct Function<'a> {
    id: &'a String,
    resource: &'a Value,
    properties: &'a Map<String, Value>,
    path: &'a TemplatePath,
}

enum Outcome {
    /// Not gradual's: no `AutoPublishAlias`.
    Unmanaged,
    /// Asks for gradual but has errors.
    Broken,
    Managed(Box<(Publication, Option<Reading>)>),
}

impl Function<'_> {
    fn read(&self, reader: &preference::Reader<'_>, diagnostics: &mut Diagnostics) -> Outcome {
        let preference_path = self.path.key("DeploymentPreference");
        let preference = self
            .properties
            .get("DeploymentPreference")
            .and_then(|raw| reader.read(raw, &preference_path, diagnostics));
        if !self.properties.contains_key("AutoPublishAlias") {
            self.without_alias(preference.as_ref(), &preference_path, diagnostics);
            return Outcome::Unmanaged;
        }
        let Some(publication) =
            publish::read(self.properties, self.path, reader.scope, diagnostics)
        else {
            return Outcome::Broken;
        };
        if self.properties.contains_key("DeploymentPreference") && preference.is_none() {
            return Outcome::Broken;
        }
        if self.description_overflows(&publication, diagnostics) {
            return Outcome::Broken;
        }
        Outcome::Managed(Box::new((publication, preference)))
    }

    /// Every gradual property needs `AutoPublishAlias` beside it.
    fn without_alias(
        &self,
        preference: Option<&Reading>,
        preference_path: &TemplatePath,
        diagnostics: &mut Diagnostics,
    ) {
        if let Some(Reading::Enabled(_)) = preference {
            let kind = ErrorKind::RequiresAutoPublishAlias("DeploymentPreference".into());
            diagnostics.error(preference_path.clone(), kind);
        }
        for name in self
            .properties
            .keys()
            .filter(|n| *n != "DeploymentPreference" && lambda::OWNED.contains(&n.as_str()))
        {
            let kind = ErrorKind::RequiresAutoPublishAlias(name.clone());
            diagnostics.error(self.path.key(name), kind);
        }
    }

    /// The description `apply_code_sha256` writes must still fit Lambda's limit, or the
    /// function update fails at deploy time, far from the cause.
    fn description_overflows(
        &self,
        publication: &Publication,
        diagnostics: &mut Diagnostics,
    ) -> bool {
        let Some(sha) = publication.code_sha256.as_ref() else {
            return false;
        };
        let length = match self.properties.get("Description") {
            Some(Value::String(text)) if !text.is_empty() => {
                text.chars().count() + 1 + sha.chars().count()
            }
            None | Some(Value::String(_)) => sha.chars().count(),
            Some(_) => return false,
        };
        if length <= MAX_DESCRIPTION_LENGTH {
            return false;
        }
        let message = format!(
            "appended to the function's Description (as Lambda needs to publish a version for code behind an unchanged S3 key), \
             it makes a description of {length} characters; Lambda allows {MAX_DESCRIPTION_LENGTH}: shorten the Description"
        );
        diagnostics.error(
            self.path.key("AutoPublishCodeSha256"),
            ErrorKind::invalid(message),
        );
        true
    }

    /// The properties a version captures, resolved; `AutoPublishCodeSha256` stands for code
    /// the template can't show changing.
    fn captured(
        &self,
        publication: &Publication,
        hashing: &Scope<'_>,
        diagnostics: &mut Diagnostics,
    ) -> Value {
        let mut captured = Map::with_capacity(self.properties.len());
        let properties = Crumb::At(self.path);
        for (name, value) in self.properties {
            if lambda::OWNED.contains(&name.as_str())
                || lambda::NOT_CAPTURED_BY_VERSION.contains(&name.as_str())
            {
                continue;
            }
            let resolved = hashing.resolve_from(value, properties.key(name), diagnostics);
            captured.insert(name.clone(), resolved);
        }
        if let Some(sha) = &publication.code_sha256 {
            captured.insert(
                "AutoPublishCodeSha256".to_owned(),
                Value::String(sha.clone()),
            );
        }
        Value::Object(captured)
    }

    fn managed(
        &self,
        publication: Publication,
        reading: Option<Reading>,
        captured: Value,
    ) -> ManagedFunction {
        ManagedFunction {
            id: self.id.clone(),
            alias_id: publish::alias_logical_id(self.id, &publication.alias_name),
            publication,
            attributes: Attributes::of(self.resource),
            captured,
            preference: match reading {
                Some(Reading::Enabled(preference)) => Some(preference),
                _ => None,
            },
            tags: self.properties.get("Tags").cloned(),
        }
    }
}
