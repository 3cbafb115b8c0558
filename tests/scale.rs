//! A template at the scale users reach: 200 functions, each with a DeploymentPreference.

use gradual_transform::{transform, Context};
use serde_json::{json, Map};

#[test]
fn two_hundred_functions_with_deployment_preferences() {
    let mut resources = Map::new();
    for i in 0..200 {
        resources.insert(
            format!("Fn{i:03}"),
            json!({
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "AutoPublishAlias": "live",
                    "Code": {"S3Bucket": "artifacts", "S3Key": format!("fn{i}.zip")},
                    "Handler": "index.handler",
                    "Runtime": "python3.12",
                    "Role": "arn:aws:iam::123456789012:role/lambda",
                    "Environment": {"Variables": {"STAGE": {"Ref": "Stage"}}},
                    "DeploymentPreference": {
                        "Type": if i % 2 == 0 { "Canary10Percent5Minutes" } else { "Linear20PercentEvery2Minutes" },
                        "Alarms": [format!("fn{i}-errors")],
                        "Hooks": {"PreTraffic": "pre-traffic-hook"}
                    }
                }
            }),
        );
    }
    let template = json!({"Parameters": {"Stage": {"Type": "String", "Default": "prod"}}, "Resources": resources});
    let ctx = Context {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        parameter_values: Map::new(),
        ..Context::default()
    };
    let output = transform(template.clone(), &ctx).expect("transforms");
    let resources = output.template["Resources"].as_object().expect("resources");
    let count = |kind: &str| resources.values().filter(|r| r["Type"] == kind).count();
    assert_eq!(count("AWS::Lambda::Function"), 200);
    assert_eq!(count("AWS::Lambda::Version"), 200);
    assert_eq!(count("AWS::Lambda::Alias"), 200);
    assert_eq!(count("AWS::CodeDeploy::DeploymentGroup"), 200);
    assert_eq!(count("AWS::CodeDeploy::Application"), 1);
    assert_eq!(count("AWS::CodeDeploy::DeploymentConfig"), 1);
    assert_eq!(count("AWS::IAM::Role"), 1);
    for i in 0..200 {
        let alias = &resources[&format!("Fn{i:03}Aliaslive")];
        let policy = &alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"];
        assert_eq!(
            policy["DeploymentGroupName"],
            json!({"Ref": format!("Fn{i:03}DeploymentGroup")})
        );
        let group = &resources[&format!("Fn{i:03}DeploymentGroup")]["Properties"];
        assert_eq!(
            group["AlarmConfiguration"]["Alarms"],
            json!([{"Name": format!("fn{i}-errors")}])
        );
        let version = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
            .as_str()
            .expect("version id");
        assert!(resources.contains_key(version), "{version} is generated");
    }
    assert_eq!(output.stats.functions, 200);
    assert_eq!(output.stats.resources_added, 200 * 3 + 3);
    // Deterministic to the byte.
    let again = transform(template, &ctx).expect("transforms");
    assert_eq!(
        serde_json::to_string(&output.template).expect("serialises"),
        serde_json::to_string(&again.template).expect("serialises")
    );
}
