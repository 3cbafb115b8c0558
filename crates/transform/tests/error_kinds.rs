//! The problems users hit most have error kinds of their own, so callers (and these tests) can
//! match on what went wrong instead of on message text.

use gradual_transform::{transform, Context, ErrorKind, TransformError};
use serde_json::{json, Value};

fn function(extra: Value) -> Value {
    let mut properties = json!({
        "Code": {"ZipFile": "exports.handler = async () => 1"},
        "Handler": "index.handler",
        "Runtime": "nodejs20.x",
        "Role": "arn:aws:iam::123456789012:role/api"
    });
    if let (Some(properties), Value::Object(extra)) = (properties.as_object_mut(), extra) {
        properties.extend(extra);
    }
    json!({"Type": "AWS::Lambda::Function", "Properties": properties})
}

/// Every error of transforming `resources` (with `parameters`), as (path, kind).
fn errors(parameters: Value, resources: Value) -> Vec<(String, ErrorKind)> {
    let template = json!({"Parameters": parameters, "Resources": resources});
    match transform(template, &Context::default()) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .into_vec()
            .into_iter()
            .map(|TransformError { path, kind }| (path.to_string(), kind))
            .collect(),
    }
}

#[test]
fn a_no_echo_alias_name_is_refused_where_it_is_used() {
    let found = errors(
        json!({"Secret": {"Type": "String", "NoEcho": true, "Default": "live"}}),
        json!({"Api": function(json!({"AutoPublishAlias": {"Ref": "Secret"}}))}),
    );
    assert_eq!(
        found,
        vec![(
            "Resources.Api.Properties.AutoPublishAlias".to_owned(),
            ErrorKind::NoEchoWritten("Secret".into())
        )]
    );
}

#[test]
fn gradual_properties_without_an_alias_name_the_property() {
    let found = errors(
        json!({}),
        json!({"Api": function(json!({
            "DeploymentPreference": {"Type": "Canary10Percent5Minutes"},
            "VersionDescription": "v1"
        }))}),
    );
    let kinds: Vec<_> = found.iter().map(|(_, kind)| kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            ErrorKind::RequiresAutoPublishAlias("DeploymentPreference".into()),
            ErrorKind::RequiresAutoPublishAlias("VersionDescription".into()),
        ]
    );
}

#[test]
fn an_alias_name_only_cloudformation_can_evaluate_is_not_resolvable() {
    let found = errors(
        json!({}),
        json!({"Api": function(json!({"AutoPublishAlias": {"Fn::ImportValue": "alias"}}))}),
    );
    assert!(
        matches!(found.as_slice(), [(path, ErrorKind::NotResolvable { .. })] if path == "Resources.Api.Properties.AutoPublishAlias"),
        "{found:?}"
    );
}

#[test]
fn limits_and_repeats_in_deployment_preference() {
    let triggers: Vec<Value> = (0..11)
        .map(|i| json!({"TriggerName": format!("t{i}"), "TriggerTargetArn": "arn:aws:sns:us-east-1:123456789012:t", "TriggerEvents": ["DeploymentFailure"]}))
        .collect();
    let found = errors(
        json!({}),
        json!({"Api": function(json!({
            "AutoPublishAlias": "live",
            "DeploymentPreference": {
                "Type": "Linear10PercentEvery1Minute",
                "Alarms": ["high-errors", "high-errors"],
                "TriggerConfigurations": triggers,
                "RollbackEvents": {"Fn::If": ["A", "B"]}
            }
        }))}),
    );
    let preference = "Resources.Api.Properties.DeploymentPreference";
    assert!(found.contains(&(
        format!("{preference}.Alarms[1]"),
        ErrorKind::ListedTwice {
            what: "alarm",
            name: "high-errors".into()
        }
    )));
    assert!(found.contains(&(
        format!("{preference}.TriggerConfigurations"),
        ErrorKind::TooMany {
            what: "triggers",
            count: 11,
            limit: 10
        }
    )));
}

#[test]
fn a_generated_logical_id_over_cloudformations_limit_is_located_at_the_alias() {
    let id = "F".repeat(250);
    let found = errors(
        json!({}),
        json!({ id.clone(): function(json!({"AutoPublishAlias": "live"})) }),
    );
    assert!(
        found.iter().any(|(path, kind)| path
            == &format!("Resources.{id}.Properties.AutoPublishAlias")
            && matches!(kind, ErrorKind::LogicalIdTooLong { limit: 255, .. })),
        "{found:?}"
    );
}

#[test]
fn a_malformed_fn_if_in_type_is_its_own_kind() {
    let found = errors(
        json!({}),
        json!({"Api": function(json!({
            "AutoPublishAlias": "live",
            "DeploymentPreference": {"Type": {"Fn::If": ["OnlyTwo", "AllAtOnce"]}}
        }))}),
    );
    assert_eq!(
        found,
        vec![(
            "Resources.Api.Properties.DeploymentPreference.Type.Fn::If".to_owned(),
            ErrorKind::MalformedIf
        )]
    );
}
