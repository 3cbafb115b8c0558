//! `Guard` and `SmokeTest`: the alarms gradual writes on the new version's own metrics, and
//! the smoke test stored for the ready-made hooks.
//!
//! Alarms render one property per line, with their metric `Dimensions` left out (every guard
//! alarm has the same three; `guard_alarms_watch_only_the_new_version` shows them), followed by
//! what the deployment group and the alias make of them.

use expect_test::{expect, Expect};
use serde_json::Value;

use crate::support::{check, check_errors, fields, inline, without_dimensions, View};

fn guard_view(view: &View<'_>) -> String {
    let mut out = String::new();
    for (id, alarm) in view.generated_of("AWS::CloudWatch::Alarm") {
        out.push_str(&format!("{id}:\n"));
        if let Some(condition) = alarm.get("Condition") {
            out.push_str(&format!("  Condition: {}\n", inline(condition)));
        }
        let properties = without_dimensions(&alarm["Properties"]);
        for (key, value) in properties.as_object().into_iter().flatten() {
            match value {
                Value::Array(metrics) if key == "Metrics" => {
                    out.push_str("  Metrics:\n");
                    for metric in metrics {
                        out.push_str(&format!("    - {}\n", inline(metric)));
                    }
                }
                _ => out.push_str(&format!("  {key}: {}\n", inline(value))),
            }
        }
    }
    if let Some((id, group)) = view.one("AWS::CodeDeploy::DeploymentGroup") {
        out.push_str(&fields(id, group, &["AlarmConfiguration"]));
    }
    for (id, alias) in view.generated_of("AWS::Lambda::Alias") {
        out.push_str(&fields(id, alias, &["DependsOn"]));
    }
    out
}

fn check_guard(guard: &str, expect: Expect) {
    let snippet = format!("DeploymentPreference:\n  Type: AllAtOnce\n  Guard: {guard}\n");
    check(&snippet, guard_view, expect);
}

#[test]
fn error_rate_is_a_metric_math_alarm_that_ignores_minutes_with_few_invocations() {
    check_guard(
        "{ErrorRate: 2}",
        expect![[r#"
        ApiGuardErrorRateAlarm<hash>:
          ComparisonOperator: GreaterThanThreshold
          Threshold: 2.0
          EvaluationPeriods: 2
          DatapointsToAlarm: 2
          Metrics:
            - {Id: errors, MetricStat: {Metric: {Namespace: AWS/Lambda, MetricName: Errors}, Period: 60, Stat: Sum}, ReturnData: false}
            - {Id: invocations, MetricStat: {Metric: {Namespace: AWS/Lambda, MetricName: Invocations}, Period: 60, Stat: Sum}, ReturnData: false}
            - {Id: rate, Label: error rate of the new version (%), Expression: "IF(invocations >= 10, 100 * errors / invocations, 0)", ReturnData: true}
          AlarmDescription: "gradual guard: more than 2% of the new version's invocations of Api fail in two consecutive minutes (with at least 10 invocations a minute)"
          TreatMissingData: notBreaching
        ApiDeploymentGroup.AlarmConfiguration: {Alarms: [{Name: !Ref ApiGuardErrorRateAlarm<hash>}], Enabled: true}
        ApiAliaslive.DependsOn: [ApiGuardErrorRateAlarm<hash>, ApiDeploymentGroup]
    "#]],
    );
}

#[test]
fn min_invocations_sets_the_floor_below_which_error_rate_cannot_trip() {
    check_guard(
        "{ErrorRate: 0.5, MinInvocations: 50}",
        expect![[r#"
        ApiGuardErrorRateAlarm<hash>:
          ComparisonOperator: GreaterThanThreshold
          Threshold: 0.5
          EvaluationPeriods: 2
          DatapointsToAlarm: 2
          Metrics:
            - {Id: errors, MetricStat: {Metric: {Namespace: AWS/Lambda, MetricName: Errors}, Period: 60, Stat: Sum}, ReturnData: false}
            - {Id: invocations, MetricStat: {Metric: {Namespace: AWS/Lambda, MetricName: Invocations}, Period: 60, Stat: Sum}, ReturnData: false}
            - {Id: rate, Label: error rate of the new version (%), Expression: "IF(invocations >= 50, 100 * errors / invocations, 0)", ReturnData: true}
          AlarmDescription: "gradual guard: more than 0.5% of the new version's invocations of Api fail in two consecutive minutes (with at least 50 invocations a minute)"
          TreatMissingData: notBreaching
        ApiDeploymentGroup.AlarmConfiguration: {Alarms: [{Name: !Ref ApiGuardErrorRateAlarm<hash>}], Enabled: true}
        ApiAliaslive.DependsOn: [ApiGuardErrorRateAlarm<hash>, ApiDeploymentGroup]
    "#]],
    );
}

#[test]
fn throttles_alarm_on_any_minute_above_the_count() {
    check_guard(
        "{Throttles: 0}",
        expect![[r#"
        ApiGuardThrottlesAlarm<hash>:
          ComparisonOperator: GreaterThanThreshold
          Threshold: 0
          EvaluationPeriods: 1
          DatapointsToAlarm: 1
          Namespace: AWS/Lambda
          MetricName: Throttles
          Period: 60
          Statistic: Sum
          AlarmDescription: "gradual guard: the new version of Api is throttled more than 0 times in a minute"
          TreatMissingData: notBreaching
        ApiDeploymentGroup.AlarmConfiguration: {Alarms: [{Name: !Ref ApiGuardThrottlesAlarm<hash>}], Enabled: true}
        ApiAliaslive.DependsOn: [ApiGuardThrottlesAlarm<hash>, ApiDeploymentGroup]
    "#]],
    );
}

#[test]
fn p99_duration_uses_the_extended_statistic_and_ignores_low_sample_counts() {
    check_guard(
        "{P99Duration: 800}",
        expect![[r#"
        ApiGuardP99DurationAlarm<hash>:
          ComparisonOperator: GreaterThanThreshold
          Threshold: 800.0
          EvaluationPeriods: 2
          DatapointsToAlarm: 2
          Namespace: AWS/Lambda
          MetricName: Duration
          Period: 60
          ExtendedStatistic: p99
          EvaluateLowSampleCountPercentile: ignore
          AlarmDescription: "gradual guard: the new version of Api takes more than 800 ms at p99 in two consecutive minutes"
          TreatMissingData: notBreaching
        ApiDeploymentGroup.AlarmConfiguration: {Alarms: [{Name: !Ref ApiGuardP99DurationAlarm<hash>}], Enabled: true}
        ApiAliaslive.DependsOn: [ApiGuardP99DurationAlarm<hash>, ApiDeploymentGroup]
    "#]],
    );
}

#[test]
fn guard_alarms_watch_only_the_new_version() {
    check(
        "DeploymentPreference: {Type: AllAtOnce, Guard: {Throttles: 5}}",
        |view| {
            let (id, alarm) = view.one("AWS::CloudWatch::Alarm").expect("an alarm");
            fields(id, alarm, &["Namespace", "MetricName", "Dimensions"])
        },
        expect![[r#"
            ApiGuardThrottlesAlarm<hash>.Namespace: AWS/Lambda
            ApiGuardThrottlesAlarm<hash>.MetricName: Throttles
            ApiGuardThrottlesAlarm<hash>.Dimensions: [{Name: FunctionName, Value: !Ref Api}, {Name: Resource, Value: !Sub "${Api}:live"}, {Name: ExecutedVersion, Value: !GetAtt ApiVersion<hash>.Version}]
        "#]],
    );
}

#[test]
fn guard_alarms_join_the_alarms_given() {
    check(
        r"
        DeploymentPreference:
          Type: AllAtOnce
          Alarms: [Errors]
          Guard: {ErrorRate: 1, P99Duration: 500}
        ",
        |view| {
            let mut out = String::new();
            if let Some((id, group)) = view.one("AWS::CodeDeploy::DeploymentGroup") {
                out.push_str(&fields(id, group, &["AlarmConfiguration"]));
            }
            out
        },
        expect![[r#"
            ApiDeploymentGroup.AlarmConfiguration: {Alarms: [{Name: Errors}, {Name: !Ref ApiGuardErrorRateAlarm<hash>}, {Name: !Ref ApiGuardP99DurationAlarm<hash>}], Enabled: true}
        "#]],
    );
}

#[test]
fn a_conditional_function_names_its_guard_alarms_only_when_it_exists() {
    check(
        r"
        Conditions:
          IsMain: !Equals [!Ref AWS::StackName, main]
        Resources:
          Api: {Condition: IsMain}
        DeploymentPreference: {Type: AllAtOnce, Guard: {Throttles: 0}}
        ",
        |view| {
            let mut out = String::new();
            for (id, alarm) in view.generated_of("AWS::CloudWatch::Alarm") {
                out.push_str(&fields(id, alarm, &["Condition"]));
            }
            if let Some((id, group)) = view.one("AWS::CodeDeploy::DeploymentGroup") {
                out.push_str(&fields(id, group, &["Condition", "AlarmConfiguration"]));
            }
            out
        },
        expect![[r#"
            ApiGuardThrottlesAlarm<hash>.Condition: IsMain
            ApiDeploymentGroup.AlarmConfiguration: !If [IsMain, {Alarms: [{Name: !Ref ApiGuardThrottlesAlarm<hash>}], Enabled: true}, {Alarms: [], Enabled: false}]
        "#]],
    );
}

#[test]
fn thresholds_may_come_from_parameters() {
    check(
        r"
        Parameters:
          MaxErrorRate: {Type: Number, Default: 2.5}
        DeploymentPreference:
          Type: AllAtOnce
          Guard: {ErrorRate: !Ref MaxErrorRate}
        ",
        |view| {
            view.generated_of("AWS::CloudWatch::Alarm")
                .map(|(id, alarm)| fields(id, alarm, &["Threshold"]))
                .collect()
        },
        expect![[r#"
            ApiGuardErrorRateAlarm<hash>.Threshold: 2.5
        "#]],
    );
}

/// As for `AutoPublishAlias` or `Enabled`, a threshold only CloudFormation knows is reported as a
/// value that must be known now, not as a wrong type.
#[test]
fn a_threshold_only_cloudformation_knows_is_refused() {
    check_errors(
        r"
        Parameters:
          MaxErrorRate: {Type: Number}
        Given: {MaxErrorRate: '{{IntrinsicFunction:parent/MaxErrorRate}}'}
        DeploymentPreference:
          Type: AllAtOnce
          Guard: {ErrorRate: !Ref MaxErrorRate, P99Duration: !GetAtt Limits.P99}
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Guard.ErrorRate: must be known when the template is transformed: a literal, or a Ref to a parameter, Fn::Sub, Fn::FindInMap or Fn::If over known values; found a Ref, which only CloudFormation can evaluate
            Resources.Api.Properties.DeploymentPreference.Guard.P99Duration: must be known when the template is transformed: a literal, or a Ref to a parameter, Fn::Sub, Fn::FindInMap or Fn::If over known values; found Fn::GetAtt, which only CloudFormation can evaluate
        "#]],
    );
}

#[test]
fn thresholds_out_of_range_are_errors_that_give_the_range() {
    check_errors(
        r"
        DeploymentPreference:
          Type: AllAtOnce
          Guard: {ErrorRate: 100, Throttles: 1.5, P99Duration: 900001, MinInvocations: 0}
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Guard.ErrorRate: ErrorRate is 100; it must be a percentage from 0 up to (not including) 100
            Resources.Api.Properties.DeploymentPreference.Guard.Throttles: Throttles is 1.5; it must be a whole number of throttles per minute, 0 or more
            Resources.Api.Properties.DeploymentPreference.Guard.P99Duration: P99Duration is 900001; it must be milliseconds above 0 and at most Lambda's 900000
            Resources.Api.Properties.DeploymentPreference.Guard.MinInvocations: MinInvocations is 0; it must be a whole number of invocations per minute, 1 or more
        "#]],
    );
}

#[test]
fn guard_mistakes() {
    check_errors(
        "DeploymentPreference: {Type: AllAtOnce, Guard: {MinInvocations: 5}}",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Guard.MinInvocations: MinInvocations only applies to ErrorRate, which is not set
        "#]],
    );
    check_errors(
        "DeploymentPreference: {Type: AllAtOnce, Guard: {ErrorRates: 1, P99Duration: slow}}",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Guard.ErrorRates: unknown property `ErrorRates`; did you mean `ErrorRate`?
            Resources.Api.Properties.DeploymentPreference.Guard.P99Duration: expected a number, found a string
        "#]],
    );
    check_errors(
        "DeploymentPreference: {Type: AllAtOnce, Guard: {}}",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Guard: a Guard needs at least one of ErrorRate, Throttles or P99Duration
        "#]],
    );
    check_errors(
        r"
        DeploymentPreference:
          Type: AllAtOnce
          Alarms: [A1, A2, A3, A4, A5, A6, A7, A8]
          Guard: {ErrorRate: 1, Throttles: 0, P99Duration: 500}
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.Alarms: 8 alarms given and 3 generated by Guard; a CodeDeploy deployment group takes at most 10
        "#]],
    );
}

#[test]
fn a_smoke_test_is_stored_for_the_installed_hooks_which_are_wired_in() {
    check(
        r"
        DeploymentPreference:
          Type: AllAtOnce
          SmokeTest:
            Event: {path: /health}
            Expect: {statusCode: 200}
        ",
        |view| {
            let mut out = String::new();
            for (id, parameter) in view.generated_of("AWS::SSM::Parameter") {
                out.push_str(&fields(id, parameter, &["Name", "Type", "Tier", "Value"]));
            }
            for (id, alias) in view.generated_of("AWS::Lambda::Alias") {
                let policy = &alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"];
                for hook in ["BeforeAllowTrafficHook", "AfterAllowTrafficHook"] {
                    out.push_str(&format!("{id}.{hook}: {}\n", inline(&policy[hook])));
                }
            }
            let function = &view.resources()["Api"];
            out.push_str(&fields("Api", function, &["Tags"]));
            out
        },
        expect![[r#"
            ApiSmokeTest.Name: !Sub "/gradual/smoke-tests/${Api}"
            ApiSmokeTest.Type: String
            ApiSmokeTest.Tier: Intelligent-Tiering
            ApiSmokeTest.Value: "{\"event\":{\"path\":\"/health\"},\"expect\":{\"statusCode\":200}}"
            ApiAliaslive.BeforeAllowTrafficHook: gradual-pre-traffic
            ApiAliaslive.AfterAllowTrafficHook: gradual-post-traffic
            Api.Tags: [{Key: gradual:managed, Value: "true"}]
        "#]],
    );
}

#[test]
fn smoke_test_mistakes() {
    check_errors(
        r"
        Parameters:
          Token: {Type: String, NoEcho: true, Default: secret}
        DeploymentPreference:
          Type: AllAtOnce
          SmokeTest:
            Event: {token: !Ref Token}
            Expect: ~
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.SmokeTest.Event: refers to NoEcho parameter `Token`, whose value gradual would have to write into the template in plain text; use a parameter that is not NoEcho, or a dynamic reference the function resolves itself
            Resources.Api.Properties.DeploymentPreference.SmokeTest.Expect: is null, which no reply can contain: give the JSON the reply must contain, such as {statusCode: 200}
        "#]],
    );
    check_errors(
        r"
        DeploymentPreference:
          Type: AllAtOnce
          SmokeTest:
            Event: {bucket: !GetAtt Api.Arn}
            Expects: {statusCode: 200}
        ",
        expect![[r#"
            Resources.Api.Properties.DeploymentPreference.SmokeTest.Expects: unknown property `Expects`; did you mean `Expect`?
            Resources.Api.Properties.DeploymentPreference.SmokeTest.Event: must be plain JSON once parameters are resolved: the hooks read it as stored, so intrinsics that only CloudFormation can evaluate cannot appear in it
            Resources.Api.Properties.DeploymentPreference.SmokeTest: missing required property `Expect`
        "#]],
    );
}
