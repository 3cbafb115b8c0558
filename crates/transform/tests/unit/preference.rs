//! `DeploymentPreference`: how each key maps onto the deployment group, the alias's update
//! policy and generated deployment configs, and how mistakes are reported. The rendering
//! leaves out the group's properties that every preference has unless it says otherwise
//! (application, blue/green style, the generated service role, no alarms, all rollback events).

use expect_test::{expect, Expect};

use crate::support::{check, check_errors, deployment};

fn check_deployment(snippet: &str, expect: Expect) {
    check(snippet, deployment, expect);
}

/// A preference with nothing but this `Type`.
fn check_type(deployment_type: &str, expect: Expect) {
    check_deployment(
        &format!("DeploymentPreference: {{Type: {deployment_type}}}"),
        expect,
    );
}

#[test]
fn a_predefined_type_names_codedeploys_own_config() {
    check_type(
        "Linear10PercentEvery1Minute",
        expect![[r#"
        ApiDeploymentGroup.DeploymentConfigName: CodeDeployDefault.LambdaLinear10PercentEvery1Minute
    "#]],
    );
}

#[test]
fn any_other_canary_or_linear_schedule_gets_a_generated_config() {
    check_type(
        "Canary5Percent2Minutes",
        expect![[r#"
        ApiDeploymentGroup.DeploymentConfigName: !Ref DeploymentConfigCanary5Percent2Minutes
        DeploymentConfigCanary5Percent2Minutes.TrafficRoutingConfig: {Type: TimeBasedCanary, TimeBasedCanary: {CanaryInterval: 2, CanaryPercentage: 5}}
    "#]],
    );
    check_type(
        "Linear25PercentEvery1Minute",
        expect![[r#"
        ApiDeploymentGroup.DeploymentConfigName: !Ref DeploymentConfigLinear25PercentEvery1Minute
        DeploymentConfigLinear25PercentEvery1Minute.TrafficRoutingConfig: {Type: TimeBasedLinear, TimeBasedLinear: {LinearInterval: 1, LinearPercentage: 25}}
    "#]],
    );
}

#[test]
fn a_name_that_is_no_schedule_is_a_config_defined_elsewhere() {
    check_type(
        "TeamStandardRollout",
        expect![[r#"
        ApiDeploymentGroup.DeploymentConfigName: TeamStandardRollout
    "#]],
    );
}

#[test]
fn near_misses_of_a_type_are_errors_with_a_suggestion() {
    check_type(
        "canary10percent5minutes",
        expect![[r#"
        Resources.Api.Properties.DeploymentPreference.Type: `canary10percent5minutes` is not a deployment type; did you mean `Canary10Percent5Minutes`?
    "#]],
    );
    check_type(
        "Canary10Percent7Minute",
        expect![[r#"
        Resources.Api.Properties.DeploymentPreference.Type: `Canary10Percent7Minute` is not a deployment type; did you mean `Canary10Percent7Minutes`?
    "#]],
    );
}

#[test]
fn schedules_codedeploy_cannot_run_are_errors_with_the_nearest_that_it_can() {
    check_type(
        "Canary100Percent5Minutes",
        expect![[r#"
        Resources.Api.Properties.DeploymentPreference.Type: `Canary100Percent5Minutes` shifts 100% at a time; CodeDeploy takes 1 to 99; did you mean `Canary99Percent5Minutes`?
    "#]],
    );
    check_type(
        "Linear1PercentEvery60Minutes",
        expect![[r#"
        Resources.Api.Properties.DeploymentPreference.Type: `Linear1PercentEvery60Minutes` shifts traffic over 5940 minutes; CodeDeploy allows at most 2880 between the first and last shift; did you mean `Linear1PercentEvery29Minutes`?
    "#]],
    );
}

#[test]
fn type_may_be_a_ref_to_a_deployment_config_of_the_template_and_nothing_else() {
    check_deployment(
        r"
        Resources:
          Rollout: {Type: AWS::CodeDeploy::DeploymentConfig}
        DeploymentPreference: {Type: !Ref Rollout}
        ",
        expect![[r#"
            ApiDeploymentGroup.DeploymentConfigName: !Ref Rollout
        "#]],
    );
    check_errors(
        r"
        Resources:
          Rollout: {Type: AWS::SNS::Topic}
        DeploymentPreference: {Type: !Ref Rollout}
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Type.Ref: `Rollout` has type AWS::SNS::Topic; a Ref in Type must name an AWS::CodeDeploy::DeploymentConfig
        "#]],
    );
}

#[test]
fn type_under_if_is_mapped_branch_by_branch_and_left_for_cloudformation_to_decide() {
    check_deployment(
        r"
        Parameters:
          Stage: {Type: String, Default: prod}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
        DeploymentPreference:
          Type: !If [IsProd, Canary5Percent2Minutes, AllAtOnce]
        ",
        expect![[r#"
            ApiDeploymentGroup.DeploymentConfigName: !If [IsProd, !Ref DeploymentConfigCanary5Percent2Minutes, CodeDeployDefault.LambdaAllAtOnce]
            DeploymentConfigCanary5Percent2Minutes.TrafficRoutingConfig: {Type: TimeBasedCanary, TimeBasedCanary: {CanaryInterval: 2, CanaryPercentage: 5}}
        "#]],
    );
}

#[test]
fn type_from_a_mapping_is_resolved_and_then_mapped() {
    check_deployment(
        r"
        Parameters:
          Stage: {Type: String, Default: prod}
        Mappings:
          Rollouts:
            prod: {Type: Linear20PercentEvery3Minutes}
        DeploymentPreference:
          Type: !FindInMap [Rollouts, !Ref Stage, Type]
        ",
        expect![[r#"
            ApiDeploymentGroup.DeploymentConfigName: !Ref DeploymentConfigLinear20PercentEvery3Minutes
            DeploymentConfigLinear20PercentEvery3Minutes.TrafficRoutingConfig: {Type: TimeBasedLinear, TimeBasedLinear: {LinearInterval: 3, LinearPercentage: 20}}
        "#]],
    );
}

#[test]
fn an_enabled_preference_needs_a_type_and_an_alias() {
    check_errors(
        r"
        DeploymentPreference: {Alarms: [Errors]}
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference: missing required property `Type`
        "#]],
    );
    check_errors(
        r"
        AutoPublishAlias: ~
        DeploymentPreference: {Type: AllAtOnce}
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference: an enabled DeploymentPreference requires `AutoPublishAlias` on the same function
        "#]],
    );
}

#[test]
fn a_disabled_preference_deploys_without_codedeploy_and_needs_no_type() {
    check_deployment(
        r"
        DeploymentPreference: {Enabled: false}
        ",
        expect![[r#"
            no deployment group
        "#]],
    );
    check_deployment(
        r"
        Parameters:
          Gradual: {Type: String, Default: 'False'}
        DeploymentPreference: {Type: AllAtOnce, Enabled: !Ref Gradual}
        ",
        expect![[r#"
            no deployment group
        "#]],
    );
}

#[test]
fn enabled_must_be_known_and_boolean() {
    check_errors(
        r"
        DeploymentPreference: {Type: AllAtOnce, Enabled: fasle}
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Enabled: expected true or false, found `fasle`; did you mean `false`?
        "#]],
    );
    check_errors(
        r"
        Conditions:
          IsMain: !Equals [!Ref AWS::StackName, main]
        DeploymentPreference: {Type: AllAtOnce, Enabled: !If [IsMain, true, false]}
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Enabled: must be known when the template is transformed: a literal, or a Ref to a parameter, Fn::Sub, Fn::FindInMap or Fn::If over known values; found Fn::If, which only CloudFormation can evaluate
        "#]],
    );
}

#[test]
fn unknown_keys_are_reported_with_the_key_they_most_likely_meant() {
    check_errors(
        r"
        DeploymentPreference:
          Type: AllAtOnce
          Alarm: [Errors]
          hooks: {}
          RollbackOnAlarm: true
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Alarm: unknown property `Alarm`; did you mean `Alarms`?
            Resources.Api.Properties.DeploymentPreference.hooks: unknown property `hooks`; did you mean `Hooks`?
            Resources.Api.Properties.DeploymentPreference.RollbackOnAlarm: unknown property `RollbackOnAlarm`
        "#]],
    );
}

#[test]
fn hooks_go_into_the_alias_update_policy() {
    check_deployment(
        r"
        Resources:
          PreHook:
            Type: AWS::Lambda::Function
            Properties: {Code: {ZipFile: x}, Handler: index.handler, Runtime: python3.12, Role: !GetAtt HookRole.Arn}
          HookRole: {Type: AWS::IAM::Role}
        DeploymentPreference:
          Type: AllAtOnce
          Hooks:
            PreTraffic: !Ref PreHook
            PostTraffic: shared-post-traffic-check
        ",
        expect![[r#"
            ApiDeploymentGroup.DeploymentConfigName: CodeDeployDefault.LambdaAllAtOnce
            ApiAliaslive.BeforeAllowTrafficHook: !Ref PreHook
            ApiAliaslive.AfterAllowTrafficHook: shared-post-traffic-check
        "#]],
    );
}

#[test]
fn a_hook_that_may_not_exist_is_named_only_under_its_condition() {
    check_deployment(
        r"
        Conditions:
          WithHook: !Equals [!Ref AWS::StackName, main]
        Resources:
          PreHook:
            Type: AWS::Lambda::Function
            Condition: WithHook
            Properties: {Code: {ZipFile: x}, Handler: index.handler, Runtime: python3.12, Role: !GetAtt HookRole.Arn}
          HookRole: {Type: AWS::IAM::Role}
        DeploymentPreference:
          Type: AllAtOnce
          Hooks: {PreTraffic: !Ref PreHook}
        ",
        expect![[r#"
            ApiDeploymentGroup.DeploymentConfigName: CodeDeployDefault.LambdaAllAtOnce
            ApiAliaslive.BeforeAllowTrafficHook: !If [WithHook, !Ref PreHook, !Ref AWS::NoValue]
        "#]],
    );
}

#[test]
fn hook_mistakes_name_codedeploys_own_terms_and_the_template_functions() {
    check_errors(
        r"
        Resources:
          PreHook:
            Type: AWS::Lambda::Function
            Properties: {Code: {ZipFile: x}, Handler: index.handler, Runtime: python3.12, Role: arn:aws:iam::123456789012:role/hook}
          Topic: {Type: AWS::SNS::Topic}
        DeploymentPreference:
          Type: AllAtOnce
          Hooks:
            BeforeAllowTraffic: !Ref PreHook
            PostTraffic: !Ref PreHok
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Hooks.BeforeAllowTraffic: unknown property `BeforeAllowTraffic`; did you mean `PreTraffic`?
            Resources.Api.Properties.DeploymentPreference.Hooks.PostTraffic.Ref: hook `PreHok` is not a function or parameter in this template; did you mean `PreHook`?
        "#]],
    );
    check_errors(
        r"
        Resources:
          Topic: {Type: AWS::SNS::Topic}
        DeploymentPreference:
          Type: AllAtOnce
          Hooks: {PreTraffic: !Ref Topic, PostTraffic: [check]}
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Hooks.PreTraffic.Ref: hook `Topic` has type AWS::SNS::Topic; a hook must be a Lambda function
            Resources.Api.Properties.DeploymentPreference.Hooks.PostTraffic: expected a function name or a Ref to a function, found a list
        "#]],
    );
}

#[test]
fn alarms_are_attached_and_enabled_unless_ignored() {
    check_deployment(
        r"
        Resources:
          Latency: {Type: AWS::CloudWatch::Alarm}
        DeploymentPreference:
          Type: AllAtOnce
          Alarms: [Errors, !Ref Latency, !Ref AWS::NoValue]
        ",
        expect![[r#"
            ApiDeploymentGroup.AlarmConfiguration: {Alarms: [{Name: Errors}, {Name: !Ref Latency}], Enabled: true}
            ApiDeploymentGroup.DeploymentConfigName: CodeDeployDefault.LambdaAllAtOnce
        "#]],
    );
    check_deployment(
        r"
        DeploymentPreference:
          Type: AllAtOnce
          Alarms: [Errors]
          IgnoreAlarms: true
          IgnorePollAlarmFailure: true
        ",
        expect![[r#"
            ApiDeploymentGroup.AlarmConfiguration: {Alarms: [{Name: Errors}], Enabled: false, IgnorePollAlarmFailure: true}
            ApiDeploymentGroup.DeploymentConfigName: CodeDeployDefault.LambdaAllAtOnce
        "#]],
    );
}

/// The list must be known now, to be counted against CodeDeploy's limit: a placeholder
/// CloudFormation passes for a parameter (nested stacks) is refused.
#[test]
fn alarms_may_come_from_a_list_parameter_known_now() {
    check_deployment(
        r"
        Parameters:
          AlarmNames: {Type: CommaDelimitedList, Default: 'errors,latency'}
        DeploymentPreference: {Type: AllAtOnce, Alarms: !Ref AlarmNames}
        ",
        expect![[r#"
            ApiDeploymentGroup.AlarmConfiguration: {Alarms: [{Name: errors}, {Name: latency}], Enabled: true}
            ApiDeploymentGroup.DeploymentConfigName: CodeDeployDefault.LambdaAllAtOnce
        "#]],
    );
    check_errors(
        r"
        Parameters:
          AlarmNames: {Type: CommaDelimitedList}
        Given: {AlarmNames: '{{IntrinsicFunction:parent/AlarmNames}}'}
        DeploymentPreference: {Type: AllAtOnce, Alarms: !Ref AlarmNames}
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Alarms: expected a list of alarms or an Fn::If between two lists, found a Ref
        "#]],
    );
}

#[test]
fn alarms_under_if_give_one_alarm_configuration_per_branch() {
    check_deployment(
        r"
        Conditions:
          IsMain: !Equals [!Ref AWS::StackName, main]
        DeploymentPreference:
          Type: AllAtOnce
          Alarms: !If [IsMain, [Errors, Latency], !Ref AWS::NoValue]
        ",
        expect![[r#"
            ApiDeploymentGroup.AlarmConfiguration: !If [IsMain, {Alarms: [{Name: Errors}, {Name: Latency}], Enabled: true}, {Alarms: [], Enabled: false}]
            ApiDeploymentGroup.DeploymentConfigName: CodeDeployDefault.LambdaAllAtOnce
        "#]],
    );
}

#[test]
fn alarm_mistakes() {
    check_errors(
        r"
        DeploymentPreference:
          Type: AllAtOnce
          Alarms: [A, B, A, 7]
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Alarms[2]: alarm `A` is listed twice
            Resources.Api.Properties.DeploymentPreference.Alarms[3]: expected an alarm name, found a number
        "#]],
    );
    check_errors(
        r"
        DeploymentPreference:
          Type: AllAtOnce
          Alarms: [A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11]
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Alarms: 11 alarms given; a CodeDeploy deployment group takes at most 10
        "#]],
    );
    check_errors(
        r"
        DeploymentPreference: {Type: AllAtOnce, Alarms: Errors}
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Alarms: expected a list of alarms or an Fn::If between two lists, found a string
        "#]],
    );
}

#[test]
fn rollback_events_are_a_subset_in_codedeploys_order_and_empty_turns_rollback_off() {
    check_deployment(
        r"
        DeploymentPreference:
          Type: AllAtOnce
          RollbackEvents: [DEPLOYMENT_STOP_ON_REQUEST, DEPLOYMENT_FAILURE]
        ",
        expect![[r#"
            ApiDeploymentGroup.AutoRollbackConfiguration: {Enabled: true, Events: [DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_REQUEST]}
            ApiDeploymentGroup.DeploymentConfigName: CodeDeployDefault.LambdaAllAtOnce
        "#]],
    );
    check_deployment(
        r"
        DeploymentPreference: {Type: AllAtOnce, RollbackEvents: []}
        ",
        expect![[r#"
            ApiDeploymentGroup.AutoRollbackConfiguration: {Enabled: false}
            ApiDeploymentGroup.DeploymentConfigName: CodeDeployDefault.LambdaAllAtOnce
        "#]],
    );
    check_errors(
        r"
        DeploymentPreference:
          Type: AllAtOnce
          RollbackEvents: [DEPLOYMENT_FAILURES, DEPLOYMENT_FAILURE, DEPLOYMENT_FAILURE]
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.RollbackEvents[0]: `DEPLOYMENT_FAILURES` is not a rollback event (expected one of DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM, DEPLOYMENT_STOP_ON_REQUEST); did you mean `DEPLOYMENT_FAILURE`?
            Resources.Api.Properties.DeploymentPreference.RollbackEvents[2]: rollback event `DEPLOYMENT_FAILURE` is listed twice
        "#]],
    );
}

#[test]
fn role_triggers_condition_and_tags_carry_over_to_the_group() {
    check_deployment(
        r"
        Parameters:
          Stage: {Type: String, Default: prod}
        Conditions:
          IsProd: !Equals [!Ref Stage, prod]
        Resources:
          Api: {Condition: IsProd}
        Tags: [{Key: team, Value: payments}]
        DeploymentPreference:
          Type: AllAtOnce
          Role: arn:aws:iam::123456789012:role/deployer
          TriggerConfigurations:
            - {TriggerName: failures, TriggerEvents: [DeploymentFailure], TriggerTargetArn: arn:aws:sns:us-east-1:123456789012:alerts}
          PassthroughCondition: true
          PropagateTags: true
        ",
        expect![[r#"
            ApiDeploymentGroup.Condition: IsProd
            ApiDeploymentGroup.DeploymentConfigName: CodeDeployDefault.LambdaAllAtOnce
            ApiDeploymentGroup.ServiceRoleArn: arn:aws:iam::123456789012:role/deployer
            ApiDeploymentGroup.Tags: [{Key: team, Value: payments}]
            ApiDeploymentGroup.TriggerConfigurations: [{TriggerName: failures, TriggerEvents: [DeploymentFailure], TriggerTargetArn: arn:aws:sns:us-east-1:123456789012:alerts}]
        "#]],
    );
}

#[test]
fn wrong_types_say_what_was_expected_and_found() {
    check_errors(
        r"
        DeploymentPreference: AllAtOnce
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference: expected an object, found a string
        "#]],
    );
    check_errors(
        r"
        DeploymentPreference:
          Type: 10
          Hooks: [PreTraffic]
          Role: 5
          TriggerConfigurations: {TriggerName: x}
          PassthroughCondition: [true]
          RollbackEvents: DEPLOYMENT_FAILURE
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Type: expected a deployment type name, found a number
            Resources.Api.Properties.DeploymentPreference.Hooks: expected an object with PreTraffic and/or PostTraffic, found a list
            Resources.Api.Properties.DeploymentPreference.Role: expected a string, found a number
            Resources.Api.Properties.DeploymentPreference.TriggerConfigurations: expected a list of triggers, found an object
            Resources.Api.Properties.DeploymentPreference.RollbackEvents: expected a list of rollback events, found a string
            Resources.Api.Properties.DeploymentPreference.PassthroughCondition: expected true or false, found a list
        "#]],
    );
}
