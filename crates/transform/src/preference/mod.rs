//! Reading `DeploymentPreference`: every key validated, every value resolved as far as the
//! transform can, every problem located.
//!
//! This module reads the keys that shape the deployment group and the alias's update policy;
//! `Type` is read in `deployment_type`, `Hooks` in `hooks`, `Alarms` in `alarms`, `Guard` in
//! `crate::guard` and `SmokeTest` in `crate::smoke_test`.

mod alarms;
mod deployment_type;
mod hooks;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{Diagnostics, ErrorKind};
use crate::guard::{self, Guard};
use crate::intrinsic::{is_intrinsic, is_no_value};
use crate::path::TemplatePath;
use crate::schedule::Schedule;
use crate::scope::Scope;
use crate::smoke_test::{self, SmokeTest};
use crate::InstalledHooks;

pub(crate) use alarms::Alarms;
pub(crate) use deployment_type::{
    adopt as adopt_deployment_type, config_logical_id, DeploymentType,
};
pub(crate) use hooks::{Hook, Hooks};

/// The keys `DeploymentPreference` takes.
pub(crate) const KEYS: [&str; 13] = [
    "Type",
    "Enabled",
    "Alarms",
    "Hooks",
    "Role",
    "TriggerConfigurations",
    "PassthroughCondition",
    "RollbackEvents",
    "IgnorePollAlarmFailure",
    "IgnoreAlarms",
    "PropagateTags",
    "Guard",
    "SmokeTest",
];

/// CodeDeploy's limits per deployment group.
pub(crate) const MAX_ALARMS: usize = 10;
const MAX_TRIGGERS: usize = 10;

pub(crate) const ROLLBACK_EVENTS: [&str; 3] = [
    "DEPLOYMENT_FAILURE",
    "DEPLOYMENT_STOP_ON_ALARM",
    "DEPLOYMENT_STOP_ON_REQUEST",
];

/// An enabled `DeploymentPreference`.
#[derive(Clone, Debug)]
pub(crate) struct Preference {
    pub config_name: Value,
    /// Schedules this preference needs generated, by their canonical name.
    pub generated: BTreeMap<String, Schedule>,
    pub pre_traffic: Option<Hook>,
    pub post_traffic: Option<Hook>,
    pub alarms: Alarms,
    pub role: Option<Value>,
    pub triggers: Option<Value>,
    pub passthrough_condition: bool,
    pub rollback_events: Vec<&'static str>,
    pub ignore_poll_alarm_failure: Option<bool>,
    pub ignore_alarms: bool,
    pub propagate_tags: bool,
    pub guard: Option<Guard>,
    pub smoke_test: Option<SmokeTest>,
    /// The hooks are gradual's installed ones, wired in for the smoke test.
    pub uses_installed_hooks: bool,
}

/// What a function's `DeploymentPreference` asks for.
#[derive(Clone, Debug)]
pub(crate) enum Reading {
    Enabled(Box<Preference>),
    Disabled,
}

pub(crate) struct Reader<'a> {
    pub scope: &'a Scope<'a>,
    pub resources: &'a Map<String, Value>,
    pub installed_hooks: &'a InstalledHooks,
}

impl Reader<'_> {
    /// Reads one `DeploymentPreference`; `None` when it has errors (reported).
    pub(crate) fn read(
        &self,
        raw: &Value,
        path: &TemplatePath,
        diagnostics: &mut Diagnostics,
    ) -> Option<Reading> {
        let preference = diagnostics.object(raw, path, "an object")?;
        diagnostics.clean(|diagnostics| {
            diagnostics.unknown_keys(preference, path, &KEYS);
            let enabled = self.flag(preference, "Enabled", path, diagnostics);
            if enabled == Some(false) {
                return Some(Reading::Disabled);
            }
            let read = self.enabled(preference, path, diagnostics);
            Some(Reading::Enabled(Box::new(read)))
        })
    }

    /// The keys of an enabled preference, in the order their problems are reported.
    fn enabled(
        &self,
        preference: &Map<String, Value>,
        path: &TemplatePath,
        diagnostics: &mut Diagnostics,
    ) -> Preference {
        let key = |key: &str| preference.get(key).map(|raw| (raw, path.key(key)));
        let deployment_type = match key("Type") {
            Some((raw, at)) => {
                deployment_type::read(raw, &at, self.scope, self.resources, diagnostics)
            }
            None => {
                diagnostics.error(path.clone(), ErrorKind::MissingProperty("Type".into()));
                DeploymentType::default()
            }
        };
        let hooks = key("Hooks").map_or_else(Hooks::default, |(raw, at)| {
            self.hooks(raw, &at, diagnostics)
        });
        let guard =
            key("Guard").and_then(|(raw, at)| guard::read_guard(raw, &at, self.scope, diagnostics));
        let smoke_test = key("SmokeTest")
            .and_then(|(raw, at)| smoke_test::read(raw, &at, self.scope, diagnostics));
        let Hooks {
            pre_traffic,
            post_traffic,
        } = self.with_installed_hooks(hooks, smoke_test.is_some());
        // The installed hooks may only touch functions tagged for them. They can be named in
        // many ways gradual can't see through (an export, a parameter, a `Sub`), so any hook
        // that may live outside the template gets the function tagged.
        let uses_installed_hooks = [&pre_traffic, &post_traffic]
            .into_iter()
            .flatten()
            .any(|hook| hook.external);
        let alarms = key("Alarms").map_or(Alarms::List(Vec::new()), |(raw, at)| {
            self.alarms(raw, &at, diagnostics)
        });
        let role = key("Role").and_then(|(raw, at)| string_like(raw, at, diagnostics));
        let triggers =
            key("TriggerConfigurations").and_then(|(raw, at)| triggers(raw, &at, diagnostics));
        check_alarm_count(preference, path, &alarms, guard.as_ref(), diagnostics);
        let rollback_events = key("RollbackEvents")
            .map_or(ROLLBACK_EVENTS.to_vec(), |(raw, at)| {
                self.rollback_events(raw, &at, diagnostics)
            });
        let mut flag = |name: &str| self.flag(preference, name, path, diagnostics);
        Preference {
            config_name: deployment_type.config_name,
            generated: deployment_type.generated,
            pre_traffic,
            post_traffic,
            alarms,
            role,
            triggers,
            rollback_events,
            passthrough_condition: flag("PassthroughCondition").unwrap_or(false),
            ignore_poll_alarm_failure: flag("IgnorePollAlarmFailure"),
            ignore_alarms: flag("IgnoreAlarms").unwrap_or(false),
            propagate_tags: flag("PropagateTags").unwrap_or(false),
            guard,
            smoke_test,
            uses_installed_hooks,
        }
    }

    /// A smoke test with no hooks of the user's own runs in gradual's installed hooks.
    fn with_installed_hooks(&self, hooks: Hooks, smoke_test: bool) -> Hooks {
        if !smoke_test || hooks.pre_traffic.is_some() || hooks.post_traffic.is_some() {
            return hooks;
        }
        let installed = |name: &str| Some(Hook::external(Value::from(name)));
        Hooks {
            pre_traffic: installed(&self.installed_hooks.pre_traffic),
            post_traffic: installed(&self.installed_hooks.post_traffic),
        }
    }

    fn flag(
        &self,
        preference: &Map<String, Value>,
        key: &str,
        path: &TemplatePath,
        diagnostics: &mut Diagnostics,
    ) -> Option<bool> {
        preference
            .get(key)
            .and_then(|raw| self.boolean(raw, &path.key(key), diagnostics))
    }

    /// A flag that must be known now: a boolean, `"true"`/`"false"` in any case, or an
    /// intrinsic that resolves to one.
    fn boolean(
        &self,
        raw: &Value,
        path: &TemplatePath,
        diagnostics: &mut Diagnostics,
    ) -> Option<bool> {
        let resolved = self.scope.resolve(raw, path, diagnostics);
        match &resolved {
            Value::Bool(b) => Some(*b),
            Value::String(text) if text.eq_ignore_ascii_case("true") => Some(true),
            Value::String(text) if text.eq_ignore_ascii_case("false") => Some(false),
            Value::String(text) => {
                let message = format!("expected true or false, found `{text}`");
                let kind = ErrorKind::not_one_of(message, text, &["true", "false"]);
                diagnostics.error(path.clone(), kind);
                None
            }
            _ if is_intrinsic(raw) => {
                diagnostics.not_resolvable(path.clone(), raw, &resolved);
                None
            }
            _ => {
                diagnostics.wrong_type(path.clone(), "true or false", raw);
                None
            }
        }
    }

    fn rollback_events(
        &self,
        raw: &Value,
        path: &TemplatePath,
        diagnostics: &mut Diagnostics,
    ) -> Vec<&'static str> {
        let resolved = self.scope.resolve(raw, path, diagnostics);
        let Value::Array(items) = &resolved else {
            diagnostics.wrong_type(path.clone(), "a list of rollback events", raw);
            return Vec::new();
        };
        let mut events = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Value::String(name) = item else {
                diagnostics.wrong_type(path.index(i), "a rollback event name", item);
                continue;
            };
            match ROLLBACK_EVENTS.iter().find(|e| **e == name) {
                Some(event) if events.contains(event) => diagnostics.error(
                    path.index(i),
                    ErrorKind::ListedTwice {
                        what: "rollback event",
                        name: name.clone(),
                    },
                ),
                Some(event) => events.push(*event),
                None => {
                    let message = format!(
                        "`{name}` is not a rollback event (expected one of {})",
                        ROLLBACK_EVENTS.join(", ")
                    );
                    let kind = ErrorKind::not_one_of(message, name, &ROLLBACK_EVENTS);
                    diagnostics.error(path.index(i), kind);
                }
            }
        }
        // Keep CodeDeploy's canonical order so the output does not depend on how it was listed.
        events.sort_by_key(|event| ROLLBACK_EVENTS.iter().position(|e| e == event));
        events
    }
}

/// A value CloudFormation will turn into a string: a literal string or an intrinsic.
fn string_like(raw: &Value, path: TemplatePath, diagnostics: &mut Diagnostics) -> Option<Value> {
    if raw.is_string() || is_intrinsic(raw) {
        Some(raw.clone())
    } else {
        diagnostics.wrong_type(path, "a string", raw);
        None
    }
}

fn triggers(raw: &Value, path: &TemplatePath, diagnostics: &mut Diagnostics) -> Option<Value> {
    match raw {
        Value::Array(items) if items.len() > MAX_TRIGGERS => {
            let kind = ErrorKind::TooMany {
                what: "triggers",
                count: items.len(),
                limit: MAX_TRIGGERS,
            };
            diagnostics.error(path.clone(), kind);
            None
        }
        Value::Array(items) if items.is_empty() => None,
        Value::Array(_) => Some(raw.clone()),
        _ if is_no_value(raw) => None,
        _ if is_intrinsic(raw) => Some(raw.clone()),
        _ => {
            diagnostics.wrong_type(path.clone(), "a list of triggers", raw);
            None
        }
    }
}

/// The group's alarms, the user's and the guard's together, within CodeDeploy's limit.
fn check_alarm_count(
    preference: &Map<String, Value>,
    path: &TemplatePath,
    alarms: &Alarms,
    guard: Option<&Guard>,
    diagnostics: &mut Diagnostics,
) {
    let guard_alarms = guard.map_or(0, |g| g.metrics().count());
    let given = alarms.max_len();
    if given + guard_alarms <= MAX_ALARMS {
        return;
    }
    let at = if preference.contains_key("Alarms") {
        path.key("Alarms")
    } else {
        path.key("Guard")
    };
    let kind = if guard_alarms > 0 {
        ErrorKind::invalid(format!(
            "{given} alarms given and {guard_alarms} generated by Guard; a CodeDeploy deployment group takes at most {MAX_ALARMS}"
        ))
    } else {
        ErrorKind::TooMany {
            what: "alarms",
            count: given,
            limit: MAX_ALARMS,
        }
    };
    diagnostics.error(at, kind);
}
