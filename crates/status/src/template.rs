//! Finding a stack's gradually deployed functions in its processed template.
//!
//! DescribeStackResources doesn't return a resource's `UpdatePolicy`, so the aliases CodeDeploy
//! shifts are read from the template CloudFormation actually deployed (GetTemplate with
//! `TemplateStage=Processed`, after gradual's or SAM's transform), and their names from the
//! stack's resource list. Pure: both answers come in as values.

use std::collections::BTreeMap;

use serde_json::Value;

/// A stack resource as ListStackResources reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackResource {
    pub logical_id: String,
    pub resource_type: String,
    /// `None` while CloudFormation hasn't created it yet.
    pub physical_id: Option<String>,
}

/// An alias with a `CodeDeployLambdaAliasUpdate` policy, its names resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The function's logical ID when the alias names it with `Ref`, else the alias's own.
    pub logical_id: String,
    pub alias_logical_id: String,
    pub function_name: String,
    pub alias: String,
    pub application: String,
    pub deployment_group: String,
    pub pre_traffic_hook: Option<String>,
    pub post_traffic_hook: Option<String>,
}

/// Why an alias with an update policy can't be shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub alias_logical_id: String,
    pub reason: String,
}

/// What the template and the resources say about the stack's gradual functions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    /// In template order.
    pub targets: Vec<Target>,
    pub skipped: Vec<Skipped>,
}

/// The aliases of `template` that CodeDeploy updates, resolved against `resources`.
///
/// An alias whose condition left it out of the stack (no such resource) is not reported; one
/// that exists but whose names can't be worked out is in [`Discovery::skipped`].
pub fn discover(template: &Value, resources: &[StackResource]) -> Discovery {
    let physical: BTreeMap<&str, &StackResource> = resources
        .iter()
        .map(|resource| (resource.logical_id.as_str(), resource))
        .collect();
    let mut discovery = Discovery::default();
    let Some(template_resources) = template.get("Resources").and_then(Value::as_object) else {
        return discovery;
    };
    for (alias_id, resource) in template_resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Lambda::Alias") {
            continue;
        }
        let Some(policy) = resource.pointer("/UpdatePolicy/CodeDeployLambdaAliasUpdate") else {
            continue;
        };
        let Some(deployed) = physical.get(alias_id.as_str()) else {
            continue;
        };
        match resolve(alias_id, resource, policy, deployed, &physical) {
            Ok(target) => discovery.targets.push(target),
            Err(reason) => discovery.skipped.push(Skipped {
                alias_logical_id: alias_id.clone(),
                reason,
            }),
        }
    }
    discovery
}

fn resolve(
    alias_id: &str,
    resource: &Value,
    policy: &Value,
    deployed: &StackResource,
    physical: &BTreeMap<&str, &StackResource>,
) -> Result<Target, String> {
    let properties = resource.get("Properties").unwrap_or(&Value::Null);
    let function_ref = properties
        .get("FunctionName")
        .and_then(|name| reference(name));
    // The alias's physical ID is its ARN, arn:aws:lambda:REGION:ACCOUNT:function:NAME:ALIAS,
    // which names both the function and the alias whatever intrinsics the template used.
    let from_arn = deployed.physical_id.as_deref().and_then(split_alias_arn);
    let (function_name, alias) = match from_arn {
        Some((function, alias)) => (function.to_owned(), alias.to_owned()),
        None => {
            let function = properties
                .get("FunctionName")
                .and_then(|name| name_of(name, physical))
                .ok_or("the alias's FunctionName can't be resolved")?;
            let alias = properties
                .get("Name")
                .and_then(Value::as_str)
                .ok_or("the alias's Name can't be resolved")?;
            (function, alias.to_owned())
        }
    };
    let application = policy
        .get("ApplicationName")
        .and_then(|name| name_of(name, physical))
        .ok_or("the update policy's ApplicationName can't be resolved")?;
    let deployment_group = policy
        .get("DeploymentGroupName")
        .and_then(|name| name_of(name, physical))
        .ok_or("the update policy's DeploymentGroupName can't be resolved")?;
    let hook = |key: &str| {
        policy
            .get(key)
            .and_then(|name| name_of(name, physical))
            .map(|name| function_name_of(&name).to_owned())
    };
    let logical_id = match function_ref {
        Some(function) if physical.contains_key(function) => function.to_owned(),
        _ => alias_id.to_owned(),
    };
    Ok(Target {
        logical_id,
        alias_logical_id: alias_id.to_owned(),
        function_name,
        alias,
        application,
        deployment_group,
        pre_traffic_hook: hook("BeforeAllowTrafficHook"),
        post_traffic_hook: hook("AfterAllowTrafficHook"),
    })
}

/// The logical ID behind `{"Ref": X}` or `{"Fn::GetAtt": [X, ...]}` / `"X.Attr"`.
fn reference(value: &Value) -> Option<&str> {
    let object = value.as_object()?;
    if object.len() != 1 {
        return None;
    }
    if let Some(target) = object.get("Ref") {
        return target.as_str();
    }
    match object.get("Fn::GetAtt")? {
        Value::Array(parts) => parts.first()?.as_str(),
        Value::String(dotted) => dotted.split('.').next(),
        _ => None,
    }
}

/// A literal name, or the physical ID of the resource it references.
fn name_of(value: &Value, physical: &BTreeMap<&str, &StackResource>) -> Option<String> {
    if let Some(text) = value.as_str() {
        return Some(text.to_owned());
    }
    let logical = reference(value)?;
    physical.get(logical)?.physical_id.clone()
}

/// `NAME` from `arn:…:function:NAME:ALIAS`.
fn split_alias_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.split(':');
    let (_arn, _partition, service) = (parts.next()?, parts.next()?, parts.next()?);
    let (_region, _account, kind) = (parts.next()?, parts.next()?, parts.next()?);
    let (function, alias) = (parts.next()?, parts.next()?);
    (service == "lambda" && kind == "function" && parts.next().is_none())
        .then_some((function, alias))
}

/// A function's name from its name or ARN (`arn:…:function:NAME[:QUALIFIER]`).
fn function_name_of(name_or_arn: &str) -> &str {
    if !name_or_arn.starts_with("arn:") {
        return name_or_arn;
    }
    let mut parts = name_or_arn.split(':').skip(5);
    match (parts.next(), parts.next()) {
        (Some("function"), Some(name)) => name,
        _ => name_or_arn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resource(logical: &str, kind: &str, physical: &str) -> StackResource {
        StackResource {
            logical_id: logical.into(),
            resource_type: kind.into(),
            physical_id: Some(physical.into()),
        }
    }

    fn resources() -> Vec<StackResource> {
        vec![
            resource("Api", "AWS::Lambda::Function", "orders-Api-1X"),
            resource(
                "ApiAliaslive",
                "AWS::Lambda::Alias",
                "arn:aws:lambda:eu-west-1:123456789012:function:orders-Api-1X:live",
            ),
            resource(
                "ServerlessDeploymentApplication",
                "AWS::CodeDeploy::Application",
                "orders-App-9Z",
            ),
            resource(
                "ApiDeploymentGroup",
                "AWS::CodeDeploy::DeploymentGroup",
                "orders-ApiGroup-7Q",
            ),
            resource("PreTraffic", "AWS::Lambda::Function", "orders-Pre-3C"),
        ]
    }

    fn template(policy: Value) -> Value {
        json!({"Resources": {
            "Api": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "ApiAliaslive": {
                "Type": "AWS::Lambda::Alias",
                "UpdatePolicy": {"CodeDeployLambdaAliasUpdate": policy},
                "Properties": {"Name": "live", "FunctionName": {"Ref": "Api"}, "FunctionVersion": "1"}
            },
            "Plain": {"Type": "AWS::Lambda::Alias", "Properties": {"Name": "x", "FunctionName": "f"}}
        }})
    }

    #[test]
    fn an_alias_with_a_codedeploy_policy_is_found_and_named_from_the_stack() {
        let found = discover(
            &template(json!({
                "ApplicationName": {"Ref": "ServerlessDeploymentApplication"},
                "DeploymentGroupName": {"Ref": "ApiDeploymentGroup"},
                "BeforeAllowTrafficHook": {"Fn::GetAtt": ["PreTraffic", "Arn"]},
                "AfterAllowTrafficHook": "arn:aws:lambda:eu-west-1:123456789012:function:gradual-post-traffic"
            })),
            &resources(),
        );
        assert_eq!(found.skipped, vec![]);
        assert_eq!(
            found.targets,
            vec![Target {
                logical_id: "Api".into(),
                alias_logical_id: "ApiAliaslive".into(),
                function_name: "orders-Api-1X".into(),
                alias: "live".into(),
                application: "orders-App-9Z".into(),
                deployment_group: "orders-ApiGroup-7Q".into(),
                pre_traffic_hook: Some("orders-Pre-3C".into()),
                post_traffic_hook: Some("gradual-post-traffic".into()),
            }]
        );
    }

    #[test]
    fn an_alias_left_out_by_its_condition_is_not_reported() {
        let mut deployed = resources();
        deployed.retain(|resource| resource.logical_id != "ApiAliaslive");
        let found = discover(
            &template(json!({"ApplicationName": "a", "DeploymentGroupName": "g"})),
            &deployed,
        );
        assert_eq!(found, Discovery::default());
    }

    #[test]
    fn unresolvable_names_are_reported_not_guessed() {
        let found = discover(
            &template(json!({
                "ApplicationName": {"Fn::Sub": "${AWS::StackName}-app"},
                "DeploymentGroupName": "g"
            })),
            &resources(),
        );
        assert!(found.targets.is_empty());
        assert_eq!(found.skipped.len(), 1);
        assert!(found.skipped[0].reason.contains("ApplicationName"));
    }

    #[test]
    fn without_an_arn_the_names_come_from_the_template() {
        let mut deployed = resources();
        deployed[1].physical_id = Some("not-an-arn".into());
        let found = discover(
            &template(json!({"ApplicationName": "app", "DeploymentGroupName": "group"})),
            &deployed,
        );
        assert_eq!(found.targets[0].function_name, "orders-Api-1X");
        assert_eq!(found.targets[0].alias, "live");
    }

    #[test]
    fn arns_are_split_only_when_they_are_alias_arns() {
        assert_eq!(
            split_alias_arn("arn:aws:lambda:us-east-1:1:function:f:live"),
            Some(("f", "live"))
        );
        assert_eq!(
            split_alias_arn("arn:aws:lambda:us-east-1:1:function:f"),
            None
        );
        assert_eq!(
            split_alias_arn("arn:aws:sns:us-east-1:1:function:f:x"),
            None
        );
        assert_eq!(function_name_of("arn:aws:lambda:r:1:function:f:3"), "f");
        assert_eq!(function_name_of("plain"), "plain");
    }

    #[test]
    fn a_hand_written_yaml_template_is_read_too() {
        // Without transforms, GetTemplate's Processed stage is the template as written.
        let yaml = "\
Resources:
  Api:
    Type: AWS::Lambda::Function
  ApiAliaslive:
    Type: AWS::Lambda::Alias
    UpdatePolicy:
      CodeDeployLambdaAliasUpdate:
        ApplicationName: !Ref ServerlessDeploymentApplication
        DeploymentGroupName: !Ref ApiDeploymentGroup
        BeforeAllowTrafficHook: !GetAtt PreTraffic.Arn
    Properties:
      Name: live
      FunctionName: !Ref Api
      FunctionVersion: '1'
";
        let (document, _) = gradual_yaml::parse_any(yaml).expect("valid YAML");
        let found = discover(&document.value, &resources());
        assert_eq!(found.targets.len(), 1);
        assert_eq!(found.targets[0].deployment_group, "orders-ApiGroup-7Q");
        assert_eq!(
            found.targets[0].pre_traffic_hook.as_deref(),
            Some("orders-Pre-3C")
        );
    }

    #[test]
    fn a_template_without_resources_has_no_targets() {
        assert_eq!(discover(&json!({}), &[]), Discovery::default());
        assert_eq!(
            discover(&json!({"Resources": []}), &resources()),
            Discovery::default()
        );
    }
}
