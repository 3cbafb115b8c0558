//! Least privilege: what the CodeDeploy service role may invoke and publish to, and what each
//! hook function of the template is granted on its own role, from the hook-call contract.
//!
//! The IAM view shows the service role's managed policies and inline statements, every
//! generated `AWS::IAM::Policy` (one line per statement), what the alias waits for, and the
//! conditions gradual generated.

use std::collections::BTreeSet;

use expect_test::{expect, Expect};
use gradual_contract::HOOK_CALLS;
use serde_json::Value;

use crate::support::{check, fields, inline, run, statements, View};

fn policy_lines(value: &Value, indent: &str) -> String {
    match value {
        Value::Array(policies) => policies
            .iter()
            .map(|policy| policy_lines(policy, indent))
            .collect(),
        Value::Object(object) if object.contains_key("Fn::If") => {
            let args = &object["Fn::If"];
            format!(
                "{indent}if {}:\n{}",
                inline(&args[0]),
                policy_lines(&args[1], &format!("{indent}  "))
            )
        }
        _ => format!(
            "{indent}{}:\n{}",
            inline(&value["PolicyName"]),
            statements(&value["PolicyDocument"])
                .lines()
                .map(|line| format!("{indent}{line}\n"))
                .collect::<String>()
        ),
    }
}

fn iam_view(view: &View<'_>) -> String {
    let mut out = String::new();
    if let Some(role) = view.resources().get("CodeDeployServiceRole") {
        out.push_str(&fields(
            "CodeDeployServiceRole",
            role,
            &["Condition", "ManagedPolicyArns"],
        ));
        if let Some(policies) = role.pointer("/Properties/Policies") {
            out.push_str("CodeDeployServiceRole.Policies:\n");
            out.push_str(&policy_lines(policies, "  "));
        }
    } else {
        out.push_str("no CodeDeployServiceRole\n");
    }
    for (id, policy) in view.generated_of("AWS::IAM::Policy") {
        out.push_str(&fields(id, policy, &["Condition", "PolicyName", "Roles"]));
        out.push_str(&format!("{id}.Statement:\n"));
        out.push_str(&statements(&policy["Properties"]["PolicyDocument"]));
    }
    for (id, alias) in view.generated_of("AWS::Lambda::Alias") {
        out.push_str(&fields(id, alias, &["DependsOn", "Description"]));
    }
    for (id, condition) in view.generated_conditions() {
        out.push_str(&format!("Conditions.{id}: {}\n", inline(condition)));
    }
    out
}

fn check_iam(snippet: &str, expect: Expect) {
    check(snippet, iam_view, expect);
}

/// A hook function `<name>` running as role `<name>Role`, both in the template.
fn hook(name: &str) -> String {
    format!(
        "{name}:
            Type: AWS::Lambda::Function
            Properties: {{Code: {{ZipFile: x}}, Handler: index.handler, Runtime: python3.12, Role: !GetAtt {name}Role.Arn}}
          {name}Role: {{Type: AWS::IAM::Role}}"
    )
}

#[test]
fn the_generated_service_role_has_only_the_limited_policy_when_there_is_nothing_to_invoke() {
    check_iam(
        "DeploymentPreference: {Type: AllAtOnce}",
        expect![[r#"
            CodeDeployServiceRole.ManagedPolicyArns: [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
            ApiAliaslive.DependsOn: [ApiDeploymentGroup]
        "#]],
    );
}

#[test]
fn a_hook_in_the_template_is_invocable_by_codedeploy_and_granted_the_contract_on_its_role() {
    check_iam(
        &format!(
            r"
        Resources:
          {}
        DeploymentPreference:
          Type: AllAtOnce
          Hooks: {{PreTraffic: !Ref PreHook}}
        ",
            hook("PreHook")
        ),
        expect![[r#"
            CodeDeployServiceRole.ManagedPolicyArns: [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
            CodeDeployServiceRole.Policies:
              gradual-codedeploy:
                Allow [lambda:InvokeFunction] on [!GetAtt PreHook.Arn]
            PreHookHookPolicy.PolicyName: gradual-hook-PreHook
            PreHookHookPolicy.Roles: [!Ref PreHookRole]
            PreHookHookPolicy.Statement:
              Allow [codedeploy:GetDeployment, codedeploy:PutLifecycleEventHookExecutionStatus, codedeploy:ListTagsForResource] on [!Sub "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentgroup:${ServerlessDeploymentApplication}/${ApiDeploymentGroup}"]
              Allow [codedeploy:GetApplicationRevision] on [!Sub "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:application:${ServerlessDeploymentApplication}"]
              Allow [lambda:GetFunctionConfiguration, lambda:InvokeFunction, lambda:DeleteFunction, lambda:GetPolicy] on [!Sub "${Api.Arn}:*"]
              Allow [lambda:ListAliases, lambda:ListVersionsByFunction, lambda:ListProvisionedConcurrencyConfigs, lambda:ListTags] on [!GetAtt Api.Arn]
              Allow [lambda:ListEventSourceMappings] on ["*"]
              Allow [ssm:ListTagsForResource, ssm:GetParameter] on [!Sub "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/gradual/smoke-tests/${Api}"]
              Allow [kms:Decrypt] on [!Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"] when {StringEquals: {kms:ViaService: !Sub "ssm.${AWS::Region}.${AWS::URLSuffix}"}}
            ApiAliaslive.DependsOn: [PreHookHookPolicy, ApiDeploymentGroup]
        "#]],
    );
}

#[test]
fn the_hook_policy_grants_exactly_the_calls_of_the_contract() {
    let snippet = format!(
        r"
        Resources:
          {}
        DeploymentPreference:
          Type: AllAtOnce
          Hooks: {{PostTraffic: !Ref PostHook}}
        ",
        hook("PostHook")
    );
    let (_, result) = run(&snippet);
    let output = result.expect("transforms");
    let statements = output.template["Resources"]["PostHookHookPolicy"]["Properties"]
        ["PolicyDocument"]["Statement"]
        .as_array()
        .expect("statements")
        .clone();
    let granted: BTreeSet<&str> = statements
        .iter()
        .flat_map(|statement| statement["Action"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    let contract: BTreeSet<&str> = HOOK_CALLS.iter().map(|call| call.action).collect();
    assert_eq!(granted, contract);
}

#[test]
fn hooks_outside_the_template_are_invoked_by_arn_or_by_name_in_this_account() {
    check_iam(
        r"
        Parameters:
          CheckName: {Type: String, Default: team-check}
        DeploymentPreference:
          Type: AllAtOnce
          Hooks:
            PreTraffic: arn:aws:lambda:us-east-1:210987654321:function:shared-check
            PostTraffic: !Ref CheckName
        ",
        expect![[r#"
            CodeDeployServiceRole.ManagedPolicyArns: [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
            CodeDeployServiceRole.Policies:
              gradual-codedeploy:
                Allow [lambda:InvokeFunction] on [arn:aws:lambda:us-east-1:210987654321:function:shared-check, !Sub "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:team-check"]
            ApiAliaslive.DependsOn: [ApiDeploymentGroup]
        "#]],
    );
}

#[test]
fn a_hook_whose_role_is_not_in_the_template_gets_a_warning_instead_of_a_policy() {
    check_iam(
        r"
        Resources:
          PreHook:
            Type: AWS::Lambda::Function
            Properties: {Code: {ZipFile: x}, Handler: index.handler, Runtime: python3.12, Role: arn:aws:iam::123456789012:role/hook}
        DeploymentPreference:
          Type: AllAtOnce
          Hooks: {PreTraffic: !Ref PreHook}
        ",
        expect![[r#"
            CodeDeployServiceRole.ManagedPolicyArns: [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
            CodeDeployServiceRole.Policies:
              gradual-codedeploy:
                Allow [lambda:InvokeFunction] on [!GetAtt PreHook.Arn]
            ApiAliaslive.DependsOn: [ApiDeploymentGroup]
            warning: Resources.Api.Properties.DeploymentPreference.Hooks.PreTraffic: the execution role of hook `PreHook` is not defined in this template, so gradual cannot grant it what it needs: codedeploy:GetApplicationRevision, codedeploy:GetDeployment, codedeploy:ListTagsForResource, codedeploy:PutLifecycleEventHookExecutionStatus, kms:Decrypt, lambda:DeleteFunction, lambda:GetFunctionConfiguration, lambda:GetPolicy, lambda:InvokeFunction, lambda:ListAliases, lambda:ListEventSourceMappings, lambda:ListProvisionedConcurrencyConfigs, lambda:ListTags, lambda:ListVersionsByFunction, ssm:GetParameter, ssm:ListTagsForResource on the deployments of `Api`; without them the deployment waits an hour and fails
        "#]],
    );
}

#[test]
fn a_role_of_your_own_means_no_service_role_is_generated() {
    check_iam(
        r"
        DeploymentPreference:
          Type: AllAtOnce
          Role: arn:aws:iam::123456789012:role/deployer
          Hooks: {PreTraffic: team-check}
        ",
        expect![[r#"
            no CodeDeployServiceRole
            ApiAliaslive.DependsOn: [ApiDeploymentGroup]
        "#]],
    );
}

#[test]
fn trigger_topics_are_publishable_by_the_service_role() {
    check_iam(
        r"
        Resources:
          Alerts: {Type: AWS::SNS::Topic}
        DeploymentPreference:
          Type: AllAtOnce
          TriggerConfigurations:
            - {TriggerName: failures, TriggerEvents: [DeploymentFailure], TriggerTargetArn: !Ref Alerts}
        ",
        expect![[r#"
            CodeDeployServiceRole.ManagedPolicyArns: [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
            CodeDeployServiceRole.Policies:
              gradual-codedeploy:
                Allow [sns:Publish] on [!Ref Alerts]
            ApiAliaslive.DependsOn: [ApiDeploymentGroup]
        "#]],
    );
    check_iam(
        r"
        Parameters:
          Triggers: {Type: String, Default: x}
        Conditions:
          IsMain: !Equals [!Ref AWS::StackName, main]
        DeploymentPreference:
          Type: AllAtOnce
          TriggerConfigurations: !If [IsMain, [{TriggerName: t, TriggerEvents: [DeploymentFailure], TriggerTargetArn: !Ref Triggers}], !Ref AWS::NoValue]
        ",
        expect![[r#"
            CodeDeployServiceRole.ManagedPolicyArns: [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
            CodeDeployServiceRole.Policies:
              gradual-codedeploy:
                Allow [sns:Publish] on [!Sub "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:*"]
            ApiAliaslive.DependsOn: [ApiDeploymentGroup]
        "#]],
    );
}

#[test]
fn a_conditional_hook_is_invoked_and_granted_only_under_its_condition() {
    check_iam(
        r"
        Conditions:
          WithHook: !Equals [!Ref AWS::StackName, main]
        Resources:
          PreHook:
            Type: AWS::Lambda::Function
            Condition: WithHook
            Properties: {Code: {ZipFile: x}, Handler: index.handler, Runtime: python3.12, Role: !GetAtt PreHookRole.Arn}
          PreHookRole: {Type: AWS::IAM::Role, Condition: WithHook}
        DeploymentPreference:
          Type: AllAtOnce
          Hooks: {PreTraffic: !Ref PreHook}
        ",
        expect![[r#"
            CodeDeployServiceRole.ManagedPolicyArns: [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
            CodeDeployServiceRole.Policies:
              if WithHook:
                gradual-codedeploy:
                  if WithHook: Allow [lambda:InvokeFunction] on [!If [WithHook, !GetAtt PreHook.Arn, !Ref AWS::NoValue]]
            PreHookHookPolicy.Condition: WithHook
            PreHookHookPolicy.PolicyName: gradual-hook-PreHook
            PreHookHookPolicy.Roles: [!Ref PreHookRole]
            PreHookHookPolicy.Statement:
              Allow [codedeploy:GetDeployment, codedeploy:PutLifecycleEventHookExecutionStatus, codedeploy:ListTagsForResource] on [!Sub "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:deploymentgroup:${ServerlessDeploymentApplication}/${ApiDeploymentGroup}"]
              Allow [codedeploy:GetApplicationRevision] on [!Sub "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:application:${ServerlessDeploymentApplication}"]
              Allow [lambda:GetFunctionConfiguration, lambda:InvokeFunction, lambda:DeleteFunction, lambda:GetPolicy] on [!Sub "${Api.Arn}:*"]
              Allow [lambda:ListAliases, lambda:ListVersionsByFunction, lambda:ListProvisionedConcurrencyConfigs, lambda:ListTags] on [!GetAtt Api.Arn]
              Allow [lambda:ListEventSourceMappings] on ["*"]
              Allow [ssm:ListTagsForResource, ssm:GetParameter] on [!Sub "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/gradual/smoke-tests/${Api}"]
              Allow [kms:Decrypt] on [!Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"] when {StringEquals: {kms:ViaService: !Sub "ssm.${AWS::Region}.${AWS::URLSuffix}"}}
            ApiAliaslive.DependsOn: [ApiDeploymentGroup]
            ApiAliaslive.Description: !Select [0, [Traffic shifted by gradual, !If [WithHook, !Ref PreHookHookPolicy, !Ref AWS::NoValue]]]
        "#]],
    );
}

#[test]
fn shared_resources_of_conditional_deployments_exist_under_the_or_of_their_conditions() {
    check_iam(
        r"
        Conditions:
          IsMain: !Equals [!Ref AWS::StackName, main]
          IsCanary: !Equals [!Ref AWS::StackName, canary]
        Resources:
          Api: {Condition: IsMain}
          Worker:
            Type: AWS::Lambda::Function
            Condition: IsCanary
            Properties:
              Code: {ZipFile: x}
              Handler: index.handler
              Runtime: python3.12
              Role: arn:aws:iam::123456789012:role/w
              AutoPublishAlias: live
              DeploymentPreference: {Type: AllAtOnce, PassthroughCondition: true}
        DeploymentPreference: {Type: AllAtOnce, PassthroughCondition: true}
        ",
        expect![[r#"
            CodeDeployServiceRole.Condition: ServerlessCodeDeployCondition
            CodeDeployServiceRole.ManagedPolicyArns: [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
            ApiAliaslive.DependsOn: [ApiDeploymentGroup]
            WorkerAliaslive.DependsOn: [WorkerDeploymentGroup]
            Conditions.ServerlessCodeDeployCondition: !Or [!Condition IsCanary, !Condition IsMain]
        "#]],
    );
}

#[test]
fn two_hooks_on_one_role_get_policies_that_do_not_overwrite_each_other() {
    check(
        r"
        Resources:
          Hooks: {Type: AWS::IAM::Role}
          PreHook:
            Type: AWS::Lambda::Function
            Properties: {Code: {ZipFile: x}, Handler: index.handler, Runtime: python3.12, Role: !GetAtt Hooks.Arn}
          PostHook:
            Type: AWS::Lambda::Function
            Properties: {Code: {ZipFile: x}, Handler: index.handler, Runtime: python3.12, Role: !Sub '${Hooks.Arn}'}
        DeploymentPreference:
          Type: AllAtOnce
          Hooks: {PreTraffic: !Ref PreHook, PostTraffic: !GetAtt PostHook.Arn}
        ",
        |view| {
            view.generated_of("AWS::IAM::Policy")
                .map(|(id, policy)| fields(id, policy, &["PolicyName", "Roles"]))
                .collect()
        },
        expect![[r#"
            PreHookHookPolicy.PolicyName: gradual-hook-PreHook
            PreHookHookPolicy.Roles: [!Ref Hooks]
            PostHookHookPolicy.PolicyName: gradual-hook-PostHook
            PostHookHookPolicy.Roles: [!Ref Hooks]
        "#]],
    );
}
