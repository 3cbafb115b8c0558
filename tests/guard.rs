//! Guard alarms watch the new version only: every generated alarm's dimensions name the
//! function, the alias and the version the alias moves to, and follow each new version.

use gradual_transform::{transform, Context};
use serde_json::{json, Value};

fn template(code_key: &str) -> Value {
    json!({"Resources": {"Api": {"Type": "AWS::Lambda::Function", "Properties": {
        "Runtime": "python3.12", "Handler": "app.handler", "Role": "arn:aws:iam::123456789012:role/api",
        "Code": {"S3Bucket": "artifacts", "S3Key": code_key},
        "AutoPublishAlias": "blue",
        "DeploymentPreference": {
            "Type": "Canary10Percent5Minutes",
            "Guard": {"ErrorRate": 1, "Throttles": 0, "P99Duration": 1500}
        }
    }}}})
}

fn dimension<'v>(metric: &'v Value, name: &str) -> &'v Value {
    metric["Dimensions"]
        .as_array()
        .and_then(|dims| dims.iter().find(|d| d["Name"] == name))
        .map_or(&Value::Null, |d| &d["Value"])
}

/// Every metric an alarm reads, direct or through metric math.
fn metrics(alarm: &Value) -> Vec<&Value> {
    let properties = &alarm["Properties"];
    match properties["Metrics"].as_array() {
        Some(queries) => queries
            .iter()
            .filter_map(|q| q.pointer("/MetricStat/Metric"))
            .collect(),
        None => vec![properties],
    }
}

fn guard_alarms(resources: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::CloudWatch::Alarm")
        .collect()
}

#[test]
fn every_guard_alarm_watches_the_new_version_through_the_alias() {
    let output = transform(template("v1.zip"), &Context::default()).expect("transforms");
    let resources = output.template["Resources"].as_object().expect("resources");
    let alias = &resources["ApiAliasblue"];
    let new_version = alias["Properties"]["FunctionVersion"].clone();
    let alarms = guard_alarms(resources);
    assert_eq!(alarms.len(), 3);
    for (id, alarm) in &alarms {
        for metric in metrics(alarm) {
            assert_eq!(
                dimension(metric, "FunctionName"),
                &json!({"Ref": "Api"}),
                "{id}"
            );
            assert_eq!(
                dimension(metric, "Resource"),
                &json!({"Fn::Sub": "${Api}:blue"}),
                "{id}"
            );
            assert_eq!(dimension(metric, "ExecutedVersion"), &new_version, "{id}");
            assert_eq!(metric["Namespace"], "AWS/Lambda", "{id}");
        }
        assert_eq!(
            alarm["Properties"]["TreatMissingData"], "notBreaching",
            "{id}"
        );
        // The deployment must not start before the alarm watches the new version.
        assert!(
            alias["DependsOn"]
                .as_array()
                .is_some_and(|d| d.contains(&json!(id))),
            "{id}"
        );
        // And CodeDeploy watches it.
        let group_alarms =
            &resources["ApiDeploymentGroup"]["Properties"]["AlarmConfiguration"]["Alarms"];
        assert!(
            group_alarms
                .as_array()
                .is_some_and(|a| a.contains(&json!({"Name": {"Ref": id}}))),
            "{id}"
        );
    }
}

#[test]
fn the_alarms_follow_each_new_version() {
    let executed_versions = |key: &str| {
        let output = transform(template(key), &Context::default()).expect("transforms");
        let resources = output.template["Resources"]
            .as_object()
            .expect("resources")
            .clone();
        guard_alarms(&resources)
            .iter()
            .flat_map(|(_, alarm)| {
                metrics(alarm)
                    .into_iter()
                    .map(|m| dimension(m, "ExecutedVersion").clone())
            })
            .collect::<Vec<_>>()
    };
    let first = executed_versions("v1.zip");
    let second = executed_versions("v2.zip");
    assert!(!first.is_empty());
    for (old, new) in first.iter().zip(&second) {
        assert_ne!(old, new, "a new version moves every guard alarm to it");
    }
}

/// `PutMetricAlarm` keeps an existing alarm's state, so an alarm updated in place would carry
/// the broken version's ALARM into the hotfix's deployment. Each version gets new alarms,
/// which start in INSUFFICIENT_DATA, and the group names exactly those.
#[test]
fn each_version_gets_alarms_of_its_own() {
    let alarm_ids = |key: &str| {
        let output = transform(template(key), &Context::default()).expect("transforms");
        let resources = output.template["Resources"]
            .as_object()
            .expect("resources")
            .clone();
        let ids: Vec<String> = guard_alarms(&resources)
            .iter()
            .map(|(id, _)| id.to_string())
            .collect();
        let named: Vec<Value> = ids.iter().map(|id| json!({"Name": {"Ref": id}})).collect();
        assert_eq!(
            resources["ApiDeploymentGroup"]["Properties"]["AlarmConfiguration"]["Alarms"],
            Value::Array(named),
            "the group watches this version's alarms and no others"
        );
        ids
    };
    let first = alarm_ids("v1.zip");
    let second = alarm_ids("v2.zip");
    assert!(!first.is_empty());
    for id in &first {
        assert!(!second.contains(id), "{id} survives a new version");
    }
    assert_eq!(
        first,
        alarm_ids("v1.zip"),
        "the same version keeps its alarms"
    );
}
