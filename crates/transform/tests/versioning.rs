//! The versioning rules: what publishes a new version and what must not.

use gradual_transform::{transform, Context};
use serde_json::{json, Value};

fn context() -> Context {
    Context {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        parameter_values: serde_json::Map::new(),
        ..Context::default()
    }
}

fn template(properties: Value) -> Value {
    json!({
        "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
        "Resources": {"Api": {"Type": "AWS::Lambda::Function", "Properties": properties}}
    })
}

fn base() -> Value {
    json!({
        "AutoPublishAlias": "live",
        "Code": {"S3Bucket": "bucket", "S3Key": "api.zip"},
        "Handler": "index.handler",
        "Runtime": "nodejs20.x",
        "Role": "arn:aws:iam::123456789012:role/api",
        "Environment": {"Variables": {"STAGE": {"Ref": "Stage"}}},
        "Tags": [{"Key": "team", "Value": "a"}]
    })
}

/// The generated version's logical ID for these function properties.
fn version_id(properties: Value, ctx: &Context) -> String {
    let output = transform(template(properties), ctx).expect("template transforms");
    let resources = output.template["Resources"]
        .as_object()
        .expect("resources")
        .clone();
    let ids: Vec<&String> = resources
        .keys()
        .filter(|id| id.starts_with("ApiVersion"))
        .collect();
    assert_eq!(ids.len(), 1, "exactly one version in {ids:?}");
    ids[0].clone()
}

fn with(mut properties: Value, pointer: &str, value: Value) -> Value {
    *properties.pointer_mut(pointer).expect("pointer exists") = value;
    properties
}

#[test]
fn a_code_change_publishes_a_new_version() {
    let changed = with(base(), "/Code/S3Key", json!("api-v2.zip"));
    assert_ne!(
        version_id(base(), &context()),
        version_id(changed, &context())
    );
}

#[test]
fn an_environment_change_publishes_a_new_version() {
    let changed = with(base(), "/Environment/Variables/STAGE", json!("prod"));
    assert_ne!(
        version_id(base(), &context()),
        version_id(changed, &context())
    );
}

#[test]
fn a_parameter_feeding_a_hashed_property_publishes_a_new_version() {
    let mut prod = context();
    prod.parameter_values.insert("Stage".into(), json!("prod"));
    assert_ne!(version_id(base(), &context()), version_id(base(), &prod));
    // Giving the default explicitly is the same deployment.
    let mut dev = context();
    dev.parameter_values.insert("Stage".into(), json!("dev"));
    assert_eq!(version_id(base(), &context()), version_id(base(), &dev));
}

#[test]
fn a_tags_only_change_keeps_the_version() {
    let changed = with(base(), "/Tags/0/Value", json!("b"));
    assert_eq!(
        version_id(base(), &context()),
        version_id(changed, &context())
    );
    let reserved = with(base(), "/Tags", json!([]));
    assert_eq!(
        version_id(base(), &context()),
        version_id(reserved, &context())
    );
}

#[test]
fn key_order_does_not_change_the_version() {
    let reordered: Value = serde_json::from_str(
        r#"{"Tags":[{"Key":"team","Value":"a"}],"Environment":{"Variables":{"STAGE":{"Ref":"Stage"}}},
            "Role":"arn:aws:iam::123456789012:role/api","Runtime":"nodejs20.x","Handler":"index.handler",
            "Code":{"S3Key":"api.zip","S3Bucket":"bucket"},"AutoPublishAlias":"live"}"#,
    )
    .expect("valid json");
    assert_eq!(
        version_id(base(), &context()),
        version_id(reordered, &context())
    );
}

#[test]
fn another_functions_new_version_republishes_its_dependents() {
    let two = |worker_key: &str| {
        json!({"Resources": {
            "Worker": {"Type": "AWS::Lambda::Function", "Properties": {
                "AutoPublishAlias": "live", "Code": {"ZipFile": worker_key}, "Handler": "i.h", "Runtime": "python3.12", "Role": "r"}},
            "Api": {"Type": "AWS::Lambda::Function", "Properties": {
                "AutoPublishAlias": "live", "Code": {"ZipFile": "api"}, "Handler": "i.h", "Runtime": "python3.12", "Role": "r",
                "Environment": {"Variables": {"WORKER": {"Ref": "Worker.Version"}}}}}
        }})
    };
    let api_version = |worker_key: &str| {
        let out = transform(two(worker_key), &context()).expect("transforms");
        out.template["Resources"]
            .as_object()
            .expect("resources")
            .keys()
            .find(|id| id.starts_with("ApiVersion"))
            .cloned()
            .expect("api version")
    };
    assert_ne!(api_version("v1"), api_version("v2"));
}

#[test]
fn a_fragment_without_resources_comes_back_unchanged() {
    let fragment = json!({"Outputs": {"X": {"Value": "y"}}, "Description": "d"});
    let output = transform(fragment.clone(), &context()).expect("transforms");
    assert_eq!(output.template, fragment);
    assert_eq!(output.stats.functions, 0);
}

#[test]
fn stats_count_functions_and_added_resources() {
    let output = transform(template(base()), &context()).expect("transforms");
    assert_eq!(output.stats.functions, 1);
    assert_eq!(output.stats.resources_added, 2);
}

/// A NoEcho secret in the environment: rotating it must publish, but the version's logical
/// ID, which anyone who can read the stack sees, must not be the plain hash of the value, or a
/// short secret could be found by hashing guesses.
#[test]
fn a_rotated_no_echo_secret_publishes_without_a_guessable_id() {
    let with_secret = |no_echo: bool, secret: &str| {
        let mut parameters = json!({"Stage": {"Type": "String", "Default": "dev"}});
        parameters["Token"] = json!({"Type": "String", "NoEcho": no_echo});
        let mut ctx = context();
        ctx.parameter_values.insert("Token".into(), json!(secret));
        let mut properties = base();
        properties["Environment"]["Variables"]["TOKEN"] = json!({"Ref": "Token"});
        let template = json!({
            "Parameters": parameters,
            "Resources": {"Api": {"Type": "AWS::Lambda::Function", "Properties": properties}}
        });
        let output = transform(template, &ctx).expect("transforms");
        let text = output.template.to_string();
        assert!(
            !no_echo || !text.contains(secret),
            "the secret is in the output"
        );
        output.template["Resources"]
            .as_object()
            .and_then(|r| r.keys().find(|id| id.starts_with("ApiVersion")).cloned())
            .expect("a version")
    };
    let before = with_secret(true, "4821");
    let rotated = with_secret(true, "4822");
    assert_ne!(
        before, rotated,
        "rotating the secret publishes a new version"
    );
    assert_eq!(before, with_secret(true, "4821"), "deterministic");
    // The same value as a plain parameter hashes as itself: the NoEcho ID is not that.
    assert_ne!(before, with_secret(false, "4821"));
}
