//! Whatever CloudFormation (or anyone else) sends, the macro answers: no panic, the request id
//! echoed when readable, and a failure always explained.

use gradual_macro::{handle, Status, MAX_ERROR_MESSAGE_CHARS};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("live"),
            Just("bad name!"),
            Just("Canary10Percent5Minutes"),
            Just("{{IntrinsicFunction:stack/P/Fn::ImportValue}}"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Mostly the keys gradual and CloudFormation care about, so the transform's paths get reached.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Ref".to_owned()),
        Just("Fn::GetAtt".to_owned()),
        Just("Fn::Sub".to_owned()),
        Just("Type".to_owned()),
        Just("Enabled".to_owned()),
        Just("Hooks".to_owned()),
        Just("Alarms".to_owned()),
        "[A-Za-z]{1,8}",
    ]
}

fn resource() -> impl Strategy<Value = Value> {
    let resource_type = prop_oneof![
        Just(json!("AWS::Lambda::Function")),
        Just(json!("AWS::S3::Bucket")),
        Just(json!("AWS::Lambda::Alias")),
        any_json(),
    ];
    let property_name = prop_oneof![
        Just("AutoPublishAlias".to_owned()),
        Just("DeploymentPreference".to_owned()),
        Just("Code".to_owned()),
        Just("Environment".to_owned()),
        Just("Runtime".to_owned()),
        "[A-Za-z]{1,8}",
    ];
    (
        resource_type,
        prop::collection::vec((property_name, any_json()), 0..5),
    )
        .prop_map(|(resource_type, properties)| {
            let properties: Map<String, Value> = properties.into_iter().collect();
            json!({"Type": resource_type, "Properties": properties})
        })
}

fn fragment() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (
            prop::collection::vec(("[A-Za-z]{1,6}", resource()), 0..5),
            any_json(),
            any_json(),
        )
            .prop_map(|(resources, parameters, outputs)| {
                let resources: Map<String, Value> = resources.into_iter().collect();
                json!({"Resources": resources, "Parameters": parameters, "Outputs": outputs})
            }),
        1 => any_json(),
    ]
}

fn event() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => well_formed_event(),
        1 => any_envelope(),
    ]
}

/// A valid envelope around any fragment, so most cases reach the transform.
fn well_formed_event() -> impl Strategy<Value = Value> {
    let parameter_values = prop::collection::vec(("[A-Za-z]{1,6}", any_json()), 0..4)
        .prop_map(|values| Value::Object(values.into_iter().collect()));
    (fragment(), parameter_values).prop_map(|(fragment, parameter_values)| {
        json!({
            "region": "us-east-1",
            "accountId": "123456789012",
            "fragment": fragment,
            "transformId": "123456789012::Gradual",
            "params": {},
            "requestId": "req-1",
            "templateParameterValues": parameter_values
        })
    })
}

/// Any field missing or of any type.
fn any_envelope() -> impl Strategy<Value = Value> {
    let field = |value: BoxedStrategy<Value>| prop::option::weighted(0.85, value);
    (
        field(prop_oneof![3 => "[a-z0-9-]{1,12}".prop_map(Value::from), 1 => any_json()].boxed()),
        field(prop_oneof![3 => Just(json!("us-east-1")), 1 => any_json()].boxed()),
        field(prop_oneof![3 => Just(json!("123456789012")), 1 => any_json()].boxed()),
        field(fragment().boxed()),
        field(any_json().boxed()),
        field(any_json().boxed()),
    )
        .prop_map(
            |(request_id, region, account_id, fragment, params, parameter_values)| {
                let mut event = Map::new();
                for (name, value) in [
                    ("requestId", request_id),
                    ("region", region),
                    ("accountId", account_id),
                    ("fragment", fragment),
                    ("params", params),
                    ("templateParameterValues", parameter_values),
                ] {
                    if let Some(value) = value {
                        event.insert(name.to_owned(), value);
                    }
                }
                Value::Object(event)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_event_gets_a_well_formed_answer(event in event()) {
        let expected_request_id = event
            .get("requestId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let response = handle(event);
        prop_assert_eq!(&response.request_id, &expected_request_id);
        match response.status {
            Status::Success => {
                prop_assert!(response.error_message.is_none());
                prop_assert!(response.fragment.is_object());
            }
            Status::Failure => {
                let message = response.error_message.clone().unwrap_or_default();
                prop_assert!(!message.is_empty());
                prop_assert!(message.chars().count() <= MAX_ERROR_MESSAGE_CHARS, "{}", message);
                prop_assert_eq!(&response.fragment, &json!({}));
            }
        }
        let wire = serde_json::to_value(&response);
        prop_assert!(wire.is_ok());
    }
}
