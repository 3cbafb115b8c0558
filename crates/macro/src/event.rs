//! CloudFormation's macro request, read from raw JSON so that a malformed event can still be
//! answered with a `failure` instead of a Lambda error.

use std::fmt;

use gradual_transform::{Context, InstalledHooks};
use serde_json::{Map, Value};

/// The macro request CloudFormation sends.
///
/// `Debug` leaves out the fragment and the parameter values: templates carry `NoEcho`
/// secrets, and a stray `{:?}` must not put them in a log.
#[derive(Clone)]
pub struct MacroEvent {
    pub request_id: String,
    pub region: String,
    pub account_id: String,
    /// The macro name as CloudFormation calls it, often `<account>::<name>`.
    pub transform_id: String,
    /// The template (without its `Transform` section), or the siblings of an `Fn::Transform`.
    pub fragment: Map<String, Value>,
    /// `Fn::Transform` parameters, unevaluated. gradual takes none; kept for completeness.
    pub params: Map<String, Value>,
    /// Parameter values as CloudFormation evaluated them. Values CloudFormation cannot know
    /// yet arrive as `{{IntrinsicFunction:...}}` placeholders and are passed on untouched.
    pub template_parameter_values: Map<String, Value>,
}

impl fmt::Debug for MacroEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MacroEvent")
            .field("request_id", &self.request_id)
            .field("region", &self.region)
            .field("account_id", &self.account_id)
            .field("transform_id", &self.transform_id)
            .field("fragment_keys", &self.fragment.len())
            .field("params_keys", &self.params.len())
            .field(
                "template_parameter_values_keys",
                &self.template_parameter_values.len(),
            )
            .finish()
    }
}

/// An event that is not a usable macro request. Carries the request id when one was readable,
/// so the answer can still be matched to the request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed macro event: {}", .problems.join("; "))]
pub struct MalformedEvent {
    /// Empty when the event has no readable `requestId`.
    pub request_id: String,
    /// Empty when the event has no readable `transformId`; kept for the logs.
    pub transform_id: String,
    /// Every problem found, in field order. Never empty.
    pub problems: Vec<String>,
}

impl MacroEvent {
    /// Reads every field, collecting all problems rather than stopping at the first.
    ///
    /// `requestId`, `fragment`, `region` and `accountId` are required: CloudFormation always
    /// sends them, and `region` and `accountId` feed the pseudo parameters, so guessing them
    /// would silently produce wrong values. `transformId`, `params` and
    /// `templateParameterValues` may be absent or null.
    pub fn from_value(event: Value) -> Result<Self, MalformedEvent> {
        let Value::Object(mut fields) = event else {
            return Err(MalformedEvent {
                request_id: String::new(),
                transform_id: String::new(),
                problems: vec![format!(
                    "the event must be a JSON object, found {}",
                    type_name(&event)
                )],
            });
        };
        let mut problems = Vec::new();
        let request_id = required_string(&mut fields, "requestId", &mut problems);
        let region = required_string(&mut fields, "region", &mut problems);
        let account_id = required_string(&mut fields, "accountId", &mut problems);
        let transform_id = optional_string(&mut fields, "transformId", &mut problems);
        let fragment = match fields.remove("fragment") {
            Some(Value::Object(fragment)) => fragment,
            None | Some(Value::Null) => {
                problems.push("`fragment` is missing".to_owned());
                Map::new()
            }
            Some(other) => {
                problems.push(format!(
                    "`fragment` must be an object, found {}",
                    type_name(&other)
                ));
                Map::new()
            }
        };
        let params = optional_object(&mut fields, "params", &mut problems);
        let template_parameter_values =
            optional_object(&mut fields, "templateParameterValues", &mut problems);

        if problems.is_empty() {
            Ok(Self {
                request_id,
                region,
                account_id,
                transform_id,
                fragment,
                params,
                template_parameter_values,
            })
        } else {
            Err(MalformedEvent {
                request_id,
                transform_id,
                problems,
            })
        }
    }

    /// The transform's view of the stack. Parameter values go through as CloudFormation sent
    /// them; deciding what a placeholder means is the core's job.
    pub fn context(&self, installed_hooks: &InstalledHooks) -> Context {
        let defaults = Context::default();
        Context {
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            parameter_values: self.template_parameter_values.clone(),
            macro_name: self.macro_name().map_or(defaults.macro_name, str::to_owned),
            installed_hooks: installed_hooks.clone(),
        }
    }

    /// The name the macro is registered under (`MacroName` in template.yaml): CloudFormation
    /// sends `transformId` as `<account>::<name>`, or just the name.
    pub fn macro_name(&self) -> Option<&str> {
        let name = self
            .transform_id
            .rsplit_once("::")
            .map_or(self.transform_id.as_str(), |(_, name)| name);
        (!name.is_empty()).then_some(name)
    }
}

fn required_string(
    fields: &mut Map<String, Value>,
    name: &str,
    problems: &mut Vec<String>,
) -> String {
    if matches!(fields.get(name), None | Some(Value::Null)) {
        problems.push(format!("`{name}` is missing"));
    }
    optional_string(fields, name, problems)
}

fn optional_string(
    fields: &mut Map<String, Value>,
    name: &str,
    problems: &mut Vec<String>,
) -> String {
    match fields.remove(name) {
        Some(Value::String(value)) => value,
        None | Some(Value::Null) => String::new(),
        Some(other) => {
            problems.push(format!(
                "`{name}` must be a string, found {}",
                type_name(&other)
            ));
            String::new()
        }
    }
}

fn optional_object(
    fields: &mut Map<String, Value>,
    name: &str,
    problems: &mut Vec<String>,
) -> Map<String, Value> {
    match fields.remove(name) {
        Some(Value::Object(value)) => value,
        None | Some(Value::Null) => Map::new(),
        Some(other) => {
            problems.push(format!(
                "`{name}` must be an object, found {}",
                type_name(&other)
            ));
            Map::new()
        }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full_event() -> Value {
        json!({
            "region": "eu-west-1",
            "accountId": "123456789012",
            "fragment": {"Resources": {}},
            "transformId": "123456789012::Gradual",
            "params": {},
            "requestId": "req-1",
            "templateParameterValues": {"Stage": "prod"}
        })
    }

    #[test]
    fn reads_every_field_of_a_full_event() {
        let event = MacroEvent::from_value(full_event()).expect("a complete event parses");
        assert_eq!(event.request_id, "req-1");
        assert_eq!(event.region, "eu-west-1");
        assert_eq!(event.account_id, "123456789012");
        assert_eq!(event.transform_id, "123456789012::Gradual");
        assert_eq!(Value::Object(event.fragment), json!({"Resources": {}}));
        assert_eq!(
            event.template_parameter_values.get("Stage"),
            Some(&json!("prod"))
        );
    }

    #[test]
    fn optional_fields_may_be_absent_or_null() {
        let event = MacroEvent::from_value(json!({
            "region": "eu-west-1",
            "accountId": "123456789012",
            "fragment": {},
            "requestId": "req-1",
            "params": null,
            "templateParameterValues": null
        }))
        .expect("optional fields are optional");
        assert_eq!(event.transform_id, "");
        assert!(event.params.is_empty());
        assert!(event.template_parameter_values.is_empty());
    }

    #[test]
    fn placeholder_parameter_values_reach_the_context_untouched() {
        let mut raw = full_event();
        raw["templateParameterValues"] = json!({
            "ImageTag": "{{IntrinsicFunction:stack-name/ImageTag/Fn::ImportValue}}",
            "Subnets": ["subnet-1", "{{IntrinsicFunction:stack-name/Subnets/Fn::GetAZs}}"]
        });
        let context = MacroEvent::from_value(raw.clone())
            .expect("event parses")
            .context(&InstalledHooks::default());
        assert_eq!(context.region, "eu-west-1");
        assert_eq!(context.account_id, "123456789012");
        assert_eq!(
            Value::Object(context.parameter_values),
            raw["templateParameterValues"]
        );
    }

    #[test]
    fn the_macro_name_comes_from_the_transform_id() {
        let mut raw = full_event();
        raw["transformId"] = json!("123456789012::MyGradual");
        let event = MacroEvent::from_value(raw.clone()).expect("event parses");
        assert_eq!(event.macro_name(), Some("MyGradual"));
        assert_eq!(
            event.context(&InstalledHooks::default()).macro_name,
            "MyGradual"
        );

        raw["transformId"] = json!("Renamed");
        let event = MacroEvent::from_value(raw.clone()).expect("event parses");
        assert_eq!(
            event.context(&InstalledHooks::default()).macro_name,
            "Renamed"
        );

        raw.as_object_mut().expect("object").remove("transformId");
        let event = MacroEvent::from_value(raw).expect("event parses");
        assert_eq!(event.macro_name(), None);
        assert_eq!(
            event.context(&InstalledHooks::default()).macro_name,
            Context::default().macro_name
        );
    }

    #[test]
    fn missing_fragment_keeps_the_request_id() {
        let mut raw = full_event();
        raw.as_object_mut().expect("object").remove("fragment");
        let error = MacroEvent::from_value(raw).expect_err("no fragment");
        assert_eq!(error.request_id, "req-1");
        assert_eq!(error.transform_id, "123456789012::Gradual");
        assert_eq!(error.problems, vec!["`fragment` is missing"]);
        assert_eq!(
            error.to_string(),
            "malformed macro event: `fragment` is missing"
        );
    }

    #[test]
    fn every_wrong_type_is_reported_at_once() {
        let error = MacroEvent::from_value(json!({
            "region": 7,
            "fragment": "Resources: {}",
            "transformId": ["x"],
            "templateParameterValues": "Stage=prod"
        }))
        .expect_err("wrong types");
        assert_eq!(error.request_id, "");
        assert_eq!(
            error.problems,
            vec![
                "`requestId` is missing",
                "`region` must be a string, found a number",
                "`accountId` is missing",
                "`transformId` must be a string, found an array",
                "`fragment` must be an object, found a string",
                "`templateParameterValues` must be an object, found a string",
            ]
        );
    }

    #[test]
    fn a_non_object_event_is_malformed() {
        let error = MacroEvent::from_value(json!([1, 2])).expect_err("array");
        assert_eq!(error.request_id, "");
        assert_eq!(
            error.problems,
            vec!["the event must be a JSON object, found an array"]
        );
    }

    #[test]
    fn debug_output_leaves_out_values() {
        let mut raw = full_event();
        raw["templateParameterValues"] = json!({"DbPassword": "s3cr3t-value-123"});
        raw["fragment"] = json!({"Parameters": {"DbPassword": {"Type": "String", "NoEcho": true, "Default": "s3cr3t-value-123"}}});
        let event = MacroEvent::from_value(raw).expect("event parses");
        let debug = format!("{event:?}");
        assert!(debug.contains("req-1"), "{debug}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(!debug.contains("DbPassword"), "{debug}");
    }
}
