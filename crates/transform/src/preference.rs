//! Reading `DeploymentPreference`: every key validated, every value resolved as far as the
//! transform can, every problem located.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::error::{ErrorKind, TransformError};
use crate::guard::{self, Guard, SmokeTest};
use crate::intrinsic::{self, describe, is_intrinsic, is_no_value, Intrinsic};
use crate::lambda;
use crate::path::TemplatePath;
use crate::publish::{not_resolvable, wrong_type};
use crate::schedule::{self, Meaning, Schedule};
use crate::scope::{as_array_of, Scope};
use crate::suggest::closest;
use crate::InstalledHooks;

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

const HOOK_KEYS: [&str; 2] = ["PreTraffic", "PostTraffic"];

/// CodeDeploy's limits per deployment group.
pub(crate) const MAX_ALARMS: usize = 10;
const MAX_TRIGGERS: usize = 10;

pub(crate) const ROLLBACK_EVENTS: [&str; 3] = [
    "DEPLOYMENT_FAILURE",
    "DEPLOYMENT_STOP_ON_ALARM",
    "DEPLOYMENT_STOP_ON_REQUEST",
];

/// The alarms a deployment group watches.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Alarms {
    List(Vec<Value>),
    /// `Fn::If` on a condition only CloudFormation can decide.
    Conditional {
        condition: Value,
        when_true: Vec<Value>,
        when_false: Vec<Value>,
    },
}

impl Alarms {
    /// The most alarms any outcome can have.
    pub(crate) fn max_len(&self) -> usize {
        match self {
            Self::List(list) => list.len(),
            Self::Conditional {
                when_true,
                when_false,
                ..
            } => when_true.len().max(when_false.len()),
        }
    }
}

/// A hook: the value to put in the alias update policy, and the template functions it names.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Hook {
    pub value: Value,
    /// The functions of this template it may name (each branch of an `Fn::If` may name one).
    pub functions: Vec<String>,
    /// It may name a function outside the template: by name, ARN, parameter or export.
    pub external: bool,
    /// The `Condition` of the function it names with a plain `Ref`.
    pub condition: Option<Value>,
}

impl Hook {
    /// A hook outside the template.
    pub(crate) fn external(value: Value) -> Self {
        Self {
            value,
            functions: Vec::new(),
            external: true,
            condition: None,
        }
    }

    /// What `value` names, given the template's resources: `Ref`s and `Arn`s of its functions,
    /// through `Fn::If` branches; anything else may be outside it.
    pub(crate) fn naming(value: Value, resources: &Map<String, Value>) -> Self {
        let mut hook = Self {
            value: Value::Null,
            functions: Vec::new(),
            external: false,
            condition: None,
        };
        hook.collect(&value, resources);
        if let Some(Intrinsic::Ref(id)) = value.as_object().and_then(intrinsic::classify) {
            hook.condition = resources.get(id).and_then(|r| r.get("Condition")).cloned();
        }
        hook.value = value;
        hook
    }

    fn collect(&mut self, value: &Value, resources: &Map<String, Value>) {
        let is_function = |id: &str| lambda::is_function(resources, id);
        let named = match value.as_object().and_then(intrinsic::classify) {
            Some(Intrinsic::Ref("AWS::NoValue")) => return,
            Some(Intrinsic::Function("Fn::If", Value::Array(args))) if args.len() == 3 => {
                self.collect(&args[1], resources);
                self.collect(&args[2], resources);
                return;
            }
            Some(Intrinsic::Ref(id)) => Some(id),
            Some(Intrinsic::Function("Fn::GetAtt", Value::Array(parts)))
                if parts.get(1) == Some(&Value::from("Arn")) =>
            {
                parts.first().and_then(Value::as_str)
            }
            _ => None,
        };
        match named {
            Some(id) if is_function(id) => {
                if !self.functions.iter().any(|f| f == id) {
                    self.functions.push(id.to_owned());
                }
            }
            _ => self.external = true,
        }
    }
}

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
    /// Reads one `DeploymentPreference`; `None` when it has errors (already pushed).
    pub(crate) fn read(
        &self,
        raw: &Value,
        path: &TemplatePath,
        errors: &mut Vec<TransformError>,
    ) -> Option<Reading> {
        let Value::Object(preference) = raw else {
            errors.push(wrong_type(path.clone(), "an object", raw));
            return None;
        };
        let before = errors.len();
        for key in preference.keys() {
            if !KEYS.contains(&key.as_str()) {
                errors.push(TransformError::new(
                    path.key(key),
                    ErrorKind::UnknownProperty {
                        name: key.clone(),
                        suggestion: closest(key, &KEYS).map(str::to_owned),
                    },
                ));
            }
        }
        let flag = |key: &str, errors: &mut Vec<TransformError>| {
            preference
                .get(key)
                .and_then(|raw| self.boolean(raw, &path.key(key), errors))
        };
        let enabled = flag("Enabled", errors).unwrap_or(true);
        if !enabled {
            return (errors.len() == before).then_some(Reading::Disabled);
        }
        let (config_name, generated) = match preference.get("Type") {
            Some(raw) => self.deployment_type(raw, &path.key("Type"), errors),
            None => {
                errors.push(TransformError::new(
                    path.clone(),
                    ErrorKind::MissingProperty("Type".into()),
                ));
                (Value::Null, BTreeMap::new())
            }
        };
        let (mut pre_traffic, mut post_traffic) = match preference.get("Hooks") {
            Some(raw) => self.hooks(raw, &path.key("Hooks"), errors),
            None => (None, None),
        };
        let guard = preference
            .get("Guard")
            .and_then(|raw| guard::read_guard(raw, &path.key("Guard"), self.scope, errors));
        let smoke_test = preference.get("SmokeTest").and_then(|raw| {
            guard::read_smoke_test(raw, &path.key("SmokeTest"), self.scope, errors)
        });
        // A smoke test with no hooks of the user's own runs in gradual's installed hooks.
        if smoke_test.is_some() && pre_traffic.is_none() && post_traffic.is_none() {
            let installed = |name: &str| Hook::external(Value::from(name));
            pre_traffic = Some(installed(&self.installed_hooks.pre_traffic));
            post_traffic = Some(installed(&self.installed_hooks.post_traffic));
        }
        // The installed hooks may only touch functions tagged for them. They can be named in
        // many ways gradual can't see through (an export, a parameter, a `Sub`), so any hook
        // that may live outside the template gets the function tagged.
        let uses_installed_hooks = [&pre_traffic, &post_traffic]
            .into_iter()
            .flatten()
            .any(|hook| hook.external);
        let alarms = match preference.get("Alarms") {
            Some(raw) => self.alarms(raw, &path.key("Alarms"), errors),
            None => Alarms::List(Vec::new()),
        };
        let role = preference
            .get("Role")
            .and_then(|raw| self.string_like(raw, &path.key("Role"), errors));
        let triggers = preference
            .get("TriggerConfigurations")
            .and_then(|raw| self.triggers(raw, &path.key("TriggerConfigurations"), errors));
        let guard_alarms = guard.as_ref().map_or(0, |g| g.alarm_ids("", "").len());
        if alarms.max_len() + guard_alarms > MAX_ALARMS {
            let at = if preference.contains_key("Alarms") {
                path.key("Alarms")
            } else {
                path.key("Guard")
            };
            let message = if guard_alarms > 0 {
                format!(
                    "{} alarms given and {guard_alarms} generated by Guard; a CodeDeploy deployment group takes at most {MAX_ALARMS}",
                    alarms.max_len()
                )
            } else {
                format!(
                    "{} alarms given; a CodeDeploy deployment group takes at most {MAX_ALARMS}",
                    alarms.max_len()
                )
            };
            errors.push(TransformError::new(at, ErrorKind::invalid(message)));
        }
        let rollback_events = match preference.get("RollbackEvents") {
            Some(raw) => self.rollback_events(raw, &path.key("RollbackEvents"), errors),
            None => ROLLBACK_EVENTS.to_vec(),
        };
        let passthrough_condition = flag("PassthroughCondition", errors).unwrap_or(false);
        let ignore_poll_alarm_failure = flag("IgnorePollAlarmFailure", errors);
        let ignore_alarms = flag("IgnoreAlarms", errors).unwrap_or(false);
        let propagate_tags = flag("PropagateTags", errors).unwrap_or(false);
        if errors.len() > before {
            return None;
        }
        Some(Reading::Enabled(Box::new(Preference {
            config_name,
            generated,
            pre_traffic,
            post_traffic,
            alarms,
            role,
            triggers,
            passthrough_condition,
            rollback_events,
            ignore_poll_alarm_failure,
            ignore_alarms,
            propagate_tags,
            guard,
            smoke_test,
            uses_installed_hooks,
        })))
    }

    /// A flag that must be known now: a boolean, `"true"`/`"false"` in any case, or an
    /// intrinsic that resolves to one.
    fn boolean(
        &self,
        raw: &Value,
        path: &TemplatePath,
        errors: &mut Vec<TransformError>,
    ) -> Option<bool> {
        let resolved = self.scope.resolve(raw, path, errors);
        match &resolved {
            Value::Bool(b) => return Some(*b),
            Value::String(text) if text.eq_ignore_ascii_case("true") => return Some(true),
            Value::String(text) if text.eq_ignore_ascii_case("false") => return Some(false),
            _ => {}
        }
        let error = match &resolved {
            Value::String(text) => TransformError::new(
                path.clone(),
                ErrorKind::InvalidValue {
                    message: format!("expected true or false, found `{text}`"),
                    suggestion: closest(text, &["true", "false"]).map(str::to_owned),
                },
            ),
            _ if is_intrinsic(raw) => not_resolvable(path.clone(), raw, &resolved),
            _ => wrong_type(path.clone(), "true or false", raw),
        };
        errors.push(error);
        None
    }

    /// A value CloudFormation will turn into a string: a literal string or an intrinsic.
    fn string_like(
        &self,
        raw: &Value,
        path: &TemplatePath,
        errors: &mut Vec<TransformError>,
    ) -> Option<Value> {
        if raw.is_string() || is_intrinsic(raw) {
            Some(raw.clone())
        } else {
            errors.push(wrong_type(path.clone(), "a string", raw));
            None
        }
    }

    fn deployment_type(
        &self,
        raw: &Value,
        path: &TemplatePath,
        errors: &mut Vec<TransformError>,
    ) -> (Value, BTreeMap<String, Schedule>) {
        // CloudFormation can decide an `Fn::If` here itself, so it stays in the output.
        let resolved = self.scope.resolve_keeping_conditions(raw, path, errors);
        let mut generated = BTreeMap::new();
        let config = self.map_type(&resolved, raw, path, &mut generated, errors);
        (config, generated)
    }

    fn map_type(
        &self,
        value: &Value,
        raw: &Value,
        path: &TemplatePath,
        generated: &mut BTreeMap<String, Schedule>,
        errors: &mut Vec<TransformError>,
    ) -> Value {
        match value {
            Value::String(name) => config_name(name, path, generated, errors).0,
            Value::Object(object) => match intrinsic::classify(object) {
                Some(Intrinsic::Ref(target)) => {
                    if let Some(resource_type) = self
                        .resources
                        .get(target)
                        .and_then(|r| r.get("Type"))
                        .and_then(Value::as_str)
                    {
                        if resource_type != "AWS::CodeDeploy::DeploymentConfig" {
                            errors.push(TransformError::new(
                                path.key("Ref"),
                                ErrorKind::invalid(format!(
                                    "`{target}` has type {resource_type}; a Ref in Type must name an AWS::CodeDeploy::DeploymentConfig"
                                )),
                            ));
                        }
                    }
                    value.clone()
                }
                Some(Intrinsic::Function("Fn::If", args)) => match as_array_of::<3>(args) {
                    Some([condition, when_true, when_false]) => {
                        let if_path = path.key("Fn::If");
                        let when_true = self.map_type(
                            when_true,
                            when_true,
                            &if_path.index(1),
                            generated,
                            errors,
                        );
                        let when_false = self.map_type(
                            when_false,
                            when_false,
                            &if_path.index(2),
                            generated,
                            errors,
                        );
                        json!({"Fn::If": [condition, when_true, when_false]})
                    }
                    None => {
                        errors.push(TransformError::new(
                            path.key("Fn::If"),
                            ErrorKind::invalid("Fn::If takes exactly 3 arguments"),
                        ));
                        value.clone()
                    }
                },
                Some(_) => value.clone(),
                None => {
                    errors.push(wrong_type(path.clone(), "a deployment type name", raw));
                    value.clone()
                }
            },
            _ => {
                errors.push(wrong_type(path.clone(), "a deployment type name", raw));
                value.clone()
            }
        }
    }

    fn hooks(
        &self,
        raw: &Value,
        path: &TemplatePath,
        errors: &mut Vec<TransformError>,
    ) -> (Option<Hook>, Option<Hook>) {
        let Value::Object(hooks) = raw else {
            errors.push(wrong_type(
                path.clone(),
                "an object with PreTraffic and/or PostTraffic",
                raw,
            ));
            return (None, None);
        };
        for key in hooks.keys() {
            if !HOOK_KEYS.contains(&key.as_str()) {
                // CodeDeploy's own names for the two lifecycle events are a likely slip.
                let suggestion = match key.as_str() {
                    "BeforeAllowTraffic" | "BeforeAllowTrafficHook" => Some("PreTraffic"),
                    "AfterAllowTraffic" | "AfterAllowTrafficHook" => Some("PostTraffic"),
                    _ => closest(key, &HOOK_KEYS),
                };
                errors.push(TransformError::new(
                    path.key(key),
                    ErrorKind::UnknownProperty {
                        name: key.clone(),
                        suggestion: suggestion.map(str::to_owned),
                    },
                ));
            }
        }
        let hook = |key: &str, errors: &mut Vec<TransformError>| {
            hooks
                .get(key)
                .and_then(|value| self.hook(value, &path.key(key), errors))
        };
        (hook("PreTraffic", errors), hook("PostTraffic", errors))
    }

    fn hook(
        &self,
        value: &Value,
        path: &TemplatePath,
        errors: &mut Vec<TransformError>,
    ) -> Option<Hook> {
        match value {
            Value::Null => None,
            Value::String(_) => Some(Hook::naming(value.clone(), self.resources)),
            Value::Object(object) => match intrinsic::classify(object) {
                Some(Intrinsic::Ref(target)) => self.hook_ref(value, target, path, errors),
                Some(Intrinsic::Function(..)) => Some(Hook::naming(value.clone(), self.resources)),
                _ => {
                    errors.push(wrong_type(
                        path.clone(),
                        "a function name or a Ref to a function",
                        value,
                    ));
                    None
                }
            },
            _ => {
                errors.push(wrong_type(
                    path.clone(),
                    "a function name or a Ref to a function",
                    value,
                ));
                None
            }
        }
    }

    fn hook_ref(
        &self,
        value: &Value,
        target: &str,
        path: &TemplatePath,
        errors: &mut Vec<TransformError>,
    ) -> Option<Hook> {
        if let Some(resource) = self.resources.get(target) {
            let resource_type = resource
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or("resource of unknown type");
            if resource_type == "AWS::Lambda::Function"
                || resource_type == "AWS::Serverless::Function"
            {
                return Some(Hook::naming(value.clone(), self.resources));
            }
            errors.push(TransformError::new(
                path.key("Ref"),
                ErrorKind::invalid(format!(
                    "hook `{target}` has type {resource_type}; a hook must be a Lambda function"
                )),
            ));
            return None;
        }
        if self.scope.is_parameter(target) {
            return Some(Hook::naming(value.clone(), self.resources));
        }
        let functions: Vec<&str> = self
            .resources
            .keys()
            .filter(|id| lambda::is_function(self.resources, id))
            .map(String::as_str)
            .collect();
        errors.push(TransformError::new(
            path.key("Ref"),
            ErrorKind::InvalidValue {
                message: format!("hook `{target}` is not a function or parameter in this template"),
                suggestion: closest(target, &functions).map(str::to_owned),
            },
        ));
        None
    }

    fn alarms(&self, raw: &Value, path: &TemplatePath, errors: &mut Vec<TransformError>) -> Alarms {
        let value = if is_intrinsic(raw) {
            self.scope.resolve_keeping_conditions(raw, path, errors)
        } else {
            raw.clone()
        };
        let alarms = match &value {
            Value::Null => Alarms::List(Vec::new()),
            _ if is_no_value(&value) => Alarms::List(Vec::new()),
            Value::Array(items) => Alarms::List(self.alarm_list(items, path, errors)),
            Value::Object(object) => match intrinsic::classify(object) {
                Some(Intrinsic::Function("Fn::If", args)) => match as_array_of::<3>(args) {
                    Some([condition, when_true, when_false]) => {
                        let if_path = path.key("Fn::If");
                        let branch =
                            |branch: &Value, at: TemplatePath, errors: &mut Vec<TransformError>| {
                                match branch {
                                    Value::Array(items) => self.alarm_list(items, &at, errors),
                                    _ if is_no_value(branch) => Vec::new(),
                                    other => {
                                        errors.push(wrong_type(at, "a list of alarms", other));
                                        Vec::new()
                                    }
                                }
                            };
                        Alarms::Conditional {
                            condition: condition.clone(),
                            when_true: branch(when_true, if_path.index(1), errors),
                            when_false: branch(when_false, if_path.index(2), errors),
                        }
                    }
                    None => {
                        errors.push(TransformError::new(
                            if_path_of(path),
                            ErrorKind::invalid("Fn::If takes exactly 3 arguments"),
                        ));
                        Alarms::List(Vec::new())
                    }
                },
                _ => {
                    errors.push(not_a_list(path, raw, &value));
                    Alarms::List(Vec::new())
                }
            },
            _ => {
                errors.push(not_a_list(path, raw, &value));
                Alarms::List(Vec::new())
            }
        };
        alarms
    }

    fn alarm_list(
        &self,
        items: &[Value],
        path: &TemplatePath,
        errors: &mut Vec<TransformError>,
    ) -> Vec<Value> {
        let mut seen = BTreeSet::new();
        let mut alarms = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                // CloudFormation drops AWS::NoValue from lists; so do we, before counting.
                _ if is_no_value(item) => {}
                Value::String(name) if !seen.insert(name.clone()) => {
                    errors.push(TransformError::new(
                        path.index(i),
                        ErrorKind::invalid(format!("alarm `{name}` is listed twice")),
                    ))
                }
                Value::String(_) => alarms.push(item.clone()),
                _ if is_intrinsic(item) => alarms.push(item.clone()),
                _ => errors.push(wrong_type(path.index(i), "an alarm name", item)),
            }
        }
        alarms
    }

    fn triggers(
        &self,
        raw: &Value,
        path: &TemplatePath,
        errors: &mut Vec<TransformError>,
    ) -> Option<Value> {
        match raw {
            Value::Array(items) if items.len() > MAX_TRIGGERS => {
                errors.push(TransformError::new(
                    path.clone(),
                    ErrorKind::invalid(format!(
                        "{} triggers given; a CodeDeploy deployment group takes at most {MAX_TRIGGERS}",
                        items.len()
                    )),
                ));
                None
            }
            Value::Array(items) if items.is_empty() => None,
            Value::Array(_) => Some(raw.clone()),
            _ if is_no_value(raw) => None,
            _ if is_intrinsic(raw) => Some(raw.clone()),
            _ => {
                errors.push(wrong_type(path.clone(), "a list of triggers", raw));
                None
            }
        }
    }

    fn rollback_events(
        &self,
        raw: &Value,
        path: &TemplatePath,
        errors: &mut Vec<TransformError>,
    ) -> Vec<&'static str> {
        let resolved = self.scope.resolve(raw, path, errors);
        let Value::Array(items) = &resolved else {
            errors.push(wrong_type(path.clone(), "a list of rollback events", raw));
            return Vec::new();
        };
        let mut events = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Value::String(name) = item else {
                errors.push(wrong_type(path.index(i), "a rollback event name", item));
                continue;
            };
            match ROLLBACK_EVENTS.iter().find(|e| **e == name) {
                Some(event) if events.contains(event) => errors.push(TransformError::new(
                    path.index(i),
                    ErrorKind::invalid(format!("rollback event `{name}` is listed twice")),
                )),
                Some(event) => events.push(*event),
                None => errors.push(TransformError::new(
                    path.index(i),
                    ErrorKind::InvalidValue {
                        message: format!(
                            "`{name}` is not a rollback event (expected one of {})",
                            ROLLBACK_EVENTS.join(", ")
                        ),
                        suggestion: closest(name, &ROLLBACK_EVENTS).map(str::to_owned),
                    },
                )),
            }
        }
        // Keep CodeDeploy's canonical order so the output does not depend on how it was listed.
        events.sort_by_key(|event| ROLLBACK_EVENTS.iter().position(|e| e == event));
        events
    }
}

fn if_path_of(path: &TemplatePath) -> TemplatePath {
    path.key("Fn::If")
}

fn not_a_list(path: &TemplatePath, raw: &Value, resolved: &Value) -> TransformError {
    TransformError::new(
        path.clone(),
        ErrorKind::invalid(format!(
            "expected a list of alarms or an Fn::If between two lists, found {}{}",
            describe(raw),
            if raw == resolved {
                String::new()
            } else {
                format!(" that resolves to {}", describe(resolved))
            }
        )),
    )
}

/// The `DeploymentConfigName` a type name stands for, and its schedule when known. A schedule
/// gradual generates is registered in `generated`; near misses and schedules CodeDeploy can't
/// run are reported at `path`.
pub(crate) fn config_name(
    name: &str,
    path: &TemplatePath,
    generated: &mut BTreeMap<String, Schedule>,
    errors: &mut Vec<TransformError>,
) -> (Value, Option<Schedule>) {
    let error = |errors: &mut Vec<TransformError>, message, suggestion| {
        errors.push(TransformError::new(
            path.clone(),
            ErrorKind::InvalidValue {
                message,
                suggestion,
            },
        ));
        (Value::from(name), None)
    };
    match schedule::interpret(name) {
        Meaning::Predefined(predefined, schedule) => (
            Value::String(format!("CodeDeployDefault.Lambda{predefined}")),
            Some(schedule),
        ),
        Meaning::Generated(schedule) => {
            generated.insert(schedule.name(), schedule);
            (
                json!({ "Ref": config_logical_id(schedule) }),
                Some(schedule),
            )
        }
        Meaning::Custom => (Value::from(name), None),
        Meaning::NearMiss { suggestion } => error(
            errors,
            format!("`{name}` is not a deployment type"),
            Some(suggestion),
        ),
        Meaning::Invalid {
            message,
            suggestion,
        } => error(errors, message, suggestion),
    }
}

/// The logical ID of the generated config for a schedule.
pub(crate) fn config_logical_id(schedule: Schedule) -> String {
    format!("DeploymentConfig{}", schedule.name())
}
