//! After the SAM transform (`Transform: [AWS::Serverless-2016-10-31, Gradual]`): SAM has
//! expanded its function into a version, an alias and a deployment group of its
//! `ServerlessDeploymentApplication`. gradual adopts that deployment: it generates the configs
//! of schedules SAM passed through by name, narrows SAM's `CodeDeployServiceRole`, and grants
//! the hooks, and changes nothing else. Each test shows the changes, resource by resource.

use expect_test::{expect, Expect};

use crate::support::{changes, check_layered};

/// The base function as aws-sam-translator expands an `AWS::Serverless::Function` with
/// `AutoPublishAlias: live` and `DeploymentPreference: {Type: <passed through>}`.
const SAM_EXPANDED: &str = r"
AutoPublishAlias: ~
Resources:
  ApiVersion0a877ebdc6:
    Type: AWS::Lambda::Version
    DeletionPolicy: Retain
    Properties: {FunctionName: !Ref Api}
  ApiAliaslive:
    Type: AWS::Lambda::Alias
    UpdatePolicy:
      CodeDeployLambdaAliasUpdate:
        ApplicationName: !Ref ServerlessDeploymentApplication
        DeploymentGroupName: !Ref ApiDeploymentGroup
    Properties:
      Name: live
      FunctionName: !Ref Api
      FunctionVersion: !GetAtt ApiVersion0a877ebdc6.Version
  ServerlessDeploymentApplication:
    Type: AWS::CodeDeploy::Application
    Properties: {ComputePlatform: Lambda}
  CodeDeployServiceRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - {Action: ['sts:AssumeRole'], Effect: Allow, Principal: {Service: [codedeploy.amazonaws.com]}}
      ManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda']
  ApiDeploymentGroup:
    Type: AWS::CodeDeploy::DeploymentGroup
    Properties:
      ApplicationName: !Ref ServerlessDeploymentApplication
      AutoRollbackConfiguration:
        Enabled: true
        Events: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST]
      DeploymentConfigName: !Sub ['CodeDeployDefault.Lambda${ConfigName}', {ConfigName: AllAtOnce}]
      DeploymentStyle: {DeploymentType: BLUE_GREEN, DeploymentOption: WITH_TRAFFIC_CONTROL}
      ServiceRoleArn: !GetAtt CodeDeployServiceRole.Arn
";

fn check_sam(overrides: &str, expect: Expect) {
    check_layered(&[SAM_EXPANDED, overrides], changes, expect);
}

#[test]
fn a_predefined_type_is_left_as_sam_wrote_it_and_only_the_role_is_narrowed() {
    check_sam(
        "",
        expect![[r#"
        CodeDeployServiceRole.Properties.ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda] -> [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
    "#]],
    );
}

#[test]
fn a_schedule_sam_passed_through_by_name_gets_its_config_generated() {
    check_sam(
        r"
        Resources:
          ApiDeploymentGroup:
            Properties: {DeploymentConfigName: Canary5Percent2Minutes}
        ",
        expect![[r#"
            CodeDeployServiceRole.Properties.ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda] -> [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
            ApiDeploymentGroup.Properties.DeploymentConfigName: Canary5Percent2Minutes -> !Ref DeploymentConfigCanary5Percent2Minutes
            + DeploymentConfigCanary5Percent2Minutes: AWS::CodeDeploy::DeploymentConfig
        "#]],
    );
}

#[test]
fn schedules_under_if_are_generated_branch_by_branch() {
    check_sam(
        r"
        Conditions:
          IsMain: !Equals [!Ref AWS::StackName, main]
        Resources:
          ApiDeploymentGroup:
            Properties:
              DeploymentConfigName: !If [IsMain, Linear20PercentEvery2Minutes, TeamRollout]
        ",
        expect![[r#"
            CodeDeployServiceRole.Properties.ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda] -> [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
            ApiDeploymentGroup.Properties.DeploymentConfigName: !If [IsMain, Linear20PercentEvery2Minutes, TeamRollout] -> !If [IsMain, !Ref DeploymentConfigLinear20PercentEvery2Minutes, TeamRollout]
            + DeploymentConfigLinear20PercentEvery2Minutes: AWS::CodeDeploy::DeploymentConfig
        "#]],
    );
}

#[test]
fn a_near_miss_sam_passed_through_is_reported_on_the_group() {
    check_sam(
        r"
        Resources:
          ApiDeploymentGroup:
            Properties: {DeploymentConfigName: Canary5percent2minutes}
        ",
        expect![[r#"
            Resources.ApiDeploymentGroup.Properties.DeploymentConfigName: `Canary5percent2minutes` is not a deployment type; did you mean `Canary5Percent2Minutes`?
        "#]],
    );
}

#[test]
fn a_hook_of_the_template_is_granted_and_waited_for() {
    check_sam(
        r"
        Resources:
          ApiAliaslive:
            UpdatePolicy:
              CodeDeployLambdaAliasUpdate: {BeforeAllowTrafficHook: !Ref PreHook}
          PreHook:
            Type: AWS::Lambda::Function
            Properties: {Code: {ZipFile: x}, Handler: index.handler, Runtime: python3.12, Role: !GetAtt PreHookRole.Arn}
          PreHookRole: {Type: AWS::IAM::Role}
        ",
        expect![[r#"
            ApiAliaslive.DependsOn: + [PreHookHookPolicy]
            CodeDeployServiceRole.Properties.ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda] -> [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
            CodeDeployServiceRole.Properties.Policies: + [{PolicyName: gradual-codedeploy, PolicyDocument: {Version: 2012-10-17, Statement: [{Effect: Allow, Action: [lambda:InvokeFunction], Resource: [!GetAtt PreHook.Arn]}]}}]
            + PreHookHookPolicy: AWS::IAM::Policy
        "#]],
    );
}

#[test]
fn a_group_with_a_role_of_its_own_gets_no_service_role() {
    check_sam(
        r"
        Resources:
          CodeDeployServiceRole: ~
          ApiDeploymentGroup:
            Properties: {ServiceRoleArn: 'arn:aws:iam::123456789012:role/deployer'}
        ",
        expect![[r#"
            unchanged
        "#]],
    );
}

#[test]
fn a_deployment_of_another_application_is_not_adopted() {
    check_sam(
        r"
        Resources:
          OtherApplication:
            Type: AWS::CodeDeploy::Application
            Properties: {ComputePlatform: Lambda}
          ServerlessDeploymentApplication: ~
          CodeDeployServiceRole: ~
          ApiAliaslive:
            UpdatePolicy:
              CodeDeployLambdaAliasUpdate: {ApplicationName: !Ref OtherApplication}
          ApiDeploymentGroup:
            Properties:
              ApplicationName: !Ref OtherApplication
              DeploymentConfigName: Canary5Percent2Minutes
        ",
        expect![[r#"
            unchanged
        "#]],
    );
}

#[test]
fn a_gradual_function_beside_a_sam_one_reuses_sams_shared_resources() {
    check_sam(
        r"
        Resources:
          Worker:
            Type: AWS::Lambda::Function
            Properties:
              Code: {ZipFile: x}
              Handler: index.handler
              Runtime: python3.12
              Role: arn:aws:iam::123456789012:role/worker
              AutoPublishAlias: live
              DeploymentPreference: {Type: Canary5Percent2Minutes}
        ",
        expect![[r#"
            CodeDeployServiceRole.Properties.ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda] -> [!Sub "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited"]
            Worker.Properties.AutoPublishAlias: - live
            Worker.Properties.DeploymentPreference: - {Type: Canary5Percent2Minutes}
            + WorkerVersion<hash>: AWS::Lambda::Version
            + WorkerAliaslive: AWS::Lambda::Alias
            + WorkerDeploymentGroup: AWS::CodeDeploy::DeploymentGroup
            + DeploymentConfigCanary5Percent2Minutes: AWS::CodeDeploy::DeploymentConfig
        "#]],
    );
}
