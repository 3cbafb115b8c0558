//! `Hooks`: the pre-traffic and post-traffic functions CodeDeploy runs, and what they name.

use serde_json::{Map, Value};

use crate::error::{Diagnostics, ErrorKind};
use crate::intrinsic::{self, Intrinsic};
use crate::lambda;
use crate::path::{Crumb, TemplatePath};
use crate::suggest::closest;

use super::Reader;

const HOOK_KEYS: [&str; 2] = ["PreTraffic", "PostTraffic"];

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

/// The two hooks a `Hooks` object names.
#[derive(Clone, Debug, Default)]
pub(crate) struct Hooks {
    pub pre_traffic: Option<Hook>,
    pub post_traffic: Option<Hook>,
}

impl Reader<'_> {
    pub(super) fn hooks(
        &self,
        raw: &Value,
        path: &TemplatePath,
        diagnostics: &mut Diagnostics,
    ) -> Hooks {
        let expected = "an object with PreTraffic and/or PostTraffic";
        let Some(hooks) = diagnostics.object(raw, path, expected) else {
            return Hooks::default();
        };
        diagnostics.unknown_keys_suggesting(hooks, path, &HOOK_KEYS, |key| match key {
            // CodeDeploy's own names for the two lifecycle events are a likely slip.
            "BeforeAllowTraffic" | "BeforeAllowTrafficHook" => Some("PreTraffic"),
            "AfterAllowTraffic" | "AfterAllowTrafficHook" => Some("PostTraffic"),
            _ => closest(key, &HOOK_KEYS),
        });
        // Built only if a hook is reported.
        let at = Crumb::At(path);
        let mut hook = |key: &str| {
            hooks
                .get(key)
                .and_then(|value| self.hook(value, at.key(key), diagnostics))
        };
        Hooks {
            pre_traffic: hook("PreTraffic"),
            post_traffic: hook("PostTraffic"),
        }
    }

    fn hook(&self, value: &Value, path: Crumb<'_>, diagnostics: &mut Diagnostics) -> Option<Hook> {
        match value {
            Value::Null => None,
            Value::String(_) => Some(Hook::naming(value.clone(), self.resources)),
            Value::Object(object) => match intrinsic::classify(object) {
                Some(Intrinsic::Ref(target)) => self.hook_ref(value, target, path, diagnostics),
                Some(Intrinsic::Function(..)) => Some(Hook::naming(value.clone(), self.resources)),
                _ => self.not_a_hook(value, path, diagnostics),
            },
            _ => self.not_a_hook(value, path, diagnostics),
        }
    }

    fn not_a_hook(
        &self,
        value: &Value,
        path: Crumb<'_>,
        diagnostics: &mut Diagnostics,
    ) -> Option<Hook> {
        diagnostics.wrong_type(
            path.to_path(),
            "a function name or a Ref to a function",
            value,
        );
        None
    }

    fn hook_ref(
        &self,
        value: &Value,
        target: &str,
        path: Crumb<'_>,
        diagnostics: &mut Diagnostics,
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
            diagnostics.error(
                path.key("Ref").to_path(),
                ErrorKind::invalid(format!(
                    "hook `{target}` has type {resource_type}; a hook must be a Lambda function"
                )),
            );
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
        diagnostics.error(
            path.key("Ref").to_path(),
            ErrorKind::InvalidValue {
                message: format!("hook `{target}` is not a function or parameter in this template"),
                suggestion: closest(target, &functions).map(str::to_owned),
            },
        );
        None
    }
}
