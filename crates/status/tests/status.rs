//! `gradual status`, `--watch` and `stop` through the real SDK clients against the fake
//! endpoint (tests/support), one scenario per test. Table and JSON outputs are compared with
//! tests/golden/ (`UPDATE_GOLDEN=1` rewrites them).

mod support;

use std::path::PathBuf;
use std::sync::Once;
use std::time::Duration;

use gradual_status::{Error, Format, Progress, Target, Watch};
use serde_json::Value;
use support::fake_aws::{FakeAws, World};
use support::scenarios::{self, canary, linear, stack, two_functions, Stage, STACK};

/// Credentials the SDK signs with, and nothing from the developer's own AWS setup. Every test
/// sets the same values, once, before any client exists.
fn isolate_from_the_environment() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "fake-secret");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/gradual-test-config");
        std::env::set_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/gradual-test-credentials",
        );
        for name in [
            "AWS_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_SESSION_TOKEN",
            "AWS_MAX_ATTEMPTS",
        ] {
            std::env::remove_var(name);
        }
    });
}

fn target(fake: &FakeAws, stack: &str) -> Target {
    isolate_from_the_environment();
    Target {
        stack: stack.into(),
        region: Some("eu-west-1".into()),
        profile: None,
        endpoint_url: Some(fake.endpoint.clone()),
    }
}

fn status(fake: &FakeAws, format: Format) -> (u8, String) {
    let mut out = Vec::new();
    let code = gradual_status::status(&target(fake, STACK), format, &mut out)
        .unwrap_or_else(|error| panic!("status failed: {error}"));
    (code, String::from_utf8(out).expect("UTF-8 output"))
}

fn watch(fake: &FakeAws, format: Format) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = gradual_status::watch(
        &target(fake, STACK),
        format,
        Watch {
            interval: Duration::from_millis(10),
            progress: Progress::Lines,
        },
        &mut out,
        &mut err,
    )
    .unwrap_or_else(|error| panic!("watch failed: {error}"));
    (
        code,
        String::from_utf8(out).expect("UTF-8 output"),
        String::from_utf8(err).expect("UTF-8 errors"),
    )
}

fn stop(
    fake: &FakeAws,
    function: Option<&str>,
    yes: bool,
    answer: &str,
) -> Result<(u8, String, String), Error> {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = gradual_status::stop(
        &target(fake, STACK),
        function,
        yes,
        &mut answer.as_bytes(),
        &mut out,
        &mut err,
    )?;
    Ok((
        code,
        String::from_utf8(out).expect("UTF-8 output"),
        String::from_utf8(err).expect("UTF-8 errors"),
    ))
}

fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("create golden dir");
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing; run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(actual, expected, "{name} differs from its golden file");
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("valid JSON")
}

fn status_golden(world: World, name: &str) -> (String, Value) {
    let fake = FakeAws::start(vec![world]);
    let (code, table) = status(&fake, Format::Table);
    assert_eq!(code, 0);
    golden(&format!("{name}.txt"), &table);
    let (code, text) = status(&fake, Format::Json);
    assert_eq!(code, 0);
    golden(&format!("{name}.json"), &text);
    (table, json(&text))
}

#[test]
fn never_deployed() {
    let (table, json) = status_golden(
        stack("CREATE_COMPLETE", &[scenarios::api()]),
        "never_deployed",
    );
    assert!(table.contains("never deployed"), "{table}");
    assert_eq!(json["stackStatus"], "CREATE_COMPLETE");
    let function = &json["functions"][0];
    assert_eq!(function["logicalId"], "Api");
    assert_eq!(function["functionName"], "orders-Api-8FJ2K1L0PZ3M");
    assert_eq!(function["alias"], "live");
    assert_eq!(
        function["deploymentGroup"],
        "orders-ApiDeploymentGroup-V7B3N9C2X1Z0"
    );
    assert_eq!(function["deployment"], Value::Null);
    // The alias without an update policy is not a gradual function.
    assert_eq!(json["functions"].as_array().map(Vec::len), Some(1));
}

#[test]
fn canary_mid_shift_at_10_percent() {
    let (table, json) = status_golden(canary(Stage::Shifting(10)), "canary_10");
    assert!(table.contains("10% on version 3"), "{table}");
    let deployment = &json["functions"][0]["deployment"];
    assert_eq!(deployment["id"], "d-7KX2M9PQ1");
    assert_eq!(deployment["status"], "InProgress");
    assert_eq!(deployment["currentVersion"], "2");
    assert_eq!(deployment["targetVersion"], "3");
    assert_eq!(deployment["trafficToTarget"], 10);
    // Shifting started at T0+35; the canary's 5 minutes end at T0+335.
    assert_eq!(deployment["expectedEndTime"], "2026-03-02T14:05:35Z");
    assert_eq!(
        deployment["hooks"],
        serde_json::json!([
            {"phase": "BeforeAllowTraffic", "function": "orders-PreTrafficHook-6TY7U8I9O0P1", "status": "Succeeded"},
            {"phase": "AfterAllowTraffic", "function": "gradual-post-traffic", "status": "Pending"}
        ])
    );
    assert_eq!(
        deployment["alarms"],
        serde_json::json!([
            {"name": "orders-ApiErrors", "state": "OK"},
            {"name": "orders-ApiLatencyP99", "state": "OK"}
        ])
    );
}

#[test]
fn linear_at_40_percent() {
    let fake = FakeAws::start(vec![linear(40)]);
    let (_, table) = status(&fake, Format::Table);
    golden("linear_40.txt", &table);
    assert!(table.contains("40% on version 3"), "{table}");
    assert!(table.contains("linear 10% every 1 minute"), "{table}");
    let (_, text) = status(&fake, Format::Json);
    let deployment = &json(&text)["functions"][0]["deployment"];
    assert_eq!(deployment["trafficToTarget"], 40);
    // Ten steps a minute apart: 100% nine minutes after the first shift.
    assert_eq!(deployment["expectedEndTime"], "2026-03-02T14:09:35Z");
}

#[test]
fn pre_traffic_hook_failed() {
    let (table, json) = status_golden(canary(Stage::PreTrafficFailed), "pre_traffic_failed");
    assert!(table.contains("HOOK_EXECUTION_FAILURE"), "{table}");
    let deployment = &json["functions"][0]["deployment"];
    assert_eq!(deployment["status"], "Failed");
    assert_eq!(deployment["trafficToTarget"], 0);
    assert_eq!(deployment["hooks"][0]["status"], "Failed");
    assert_eq!(deployment["error"]["code"], "HOOK_EXECUTION_FAILURE");
    assert_eq!(deployment["rollback"]["deploymentId"], "d-7KX2M9PQ1RB");
    assert_eq!(deployment["rollback"]["status"], "Succeeded");
}

#[test]
fn alarm_fired_stopped_and_rolled_back() {
    let (table, json) = status_golden(canary(Stage::RolledBack), "rolled_back");
    assert!(table.contains("ALARM_ACTIVE"), "{table}");
    // The group's newest deployment is CodeDeploy's rollback; the one shown is what it undid.
    let deployment = &json["functions"][0]["deployment"];
    assert_eq!(deployment["id"], "d-7KX2M9PQ1");
    assert_eq!(deployment["status"], "Stopped");
    assert_eq!(deployment["trafficToTarget"], 0);
    assert_eq!(
        deployment["alarms"][0],
        serde_json::json!({"name": "orders-ApiErrors", "state": "ALARM"})
    );
    assert_eq!(deployment["rollback"]["deploymentId"], "d-7KX2M9PQ1RB");
    assert_eq!(deployment["rollback"]["status"], "Succeeded");
    assert_eq!(json["stackStatus"], "UPDATE_ROLLBACK_COMPLETE");
}

#[test]
fn succeeded() {
    let (table, json) = status_golden(canary(Stage::Succeeded), "succeeded");
    assert!(table.contains("100% on version 3"), "{table}");
    let deployment = &json["functions"][0]["deployment"];
    assert_eq!(deployment["status"], "Succeeded");
    assert_eq!(deployment["trafficToTarget"], 100);
    assert_eq!(deployment["expectedEndTime"], Value::Null);
    assert_eq!(deployment["endTime"], "2026-03-02T14:06:02Z");
}

#[test]
fn two_functions_in_different_states() {
    let (table, json) = status_golden(two_functions(), "two_functions");
    let functions = json["functions"].as_array().expect("a list");
    assert_eq!(functions.len(), 2);
    assert_eq!(functions[0]["logicalId"], "Api");
    assert_eq!(functions[0]["deployment"]["status"], "InProgress");
    assert_eq!(functions[1]["logicalId"], "Worker");
    assert_eq!(functions[1]["deployment"]["status"], "Succeeded");
    // Worker has no hooks: CodeDeploy skipped both phases, so none are listed.
    assert_eq!(functions[1]["deployment"]["hooks"], serde_json::json!([]));
    assert!(table.contains("Worker    live   d-WK3J5H7G9"), "{table}");
}

#[test]
fn throttling_on_every_other_call_is_retried() {
    let fake = FakeAws::start(vec![canary(Stage::Shifting(10))]);
    fake.throttle_every_other_call();
    let (code, table) = status(&fake, Format::Table);
    assert_eq!(code, 0);
    golden("canary_10.txt", &table);
    let requests = fake.requests();
    let throttled = requests
        .iter()
        .filter(|request| request.status != 200)
        .count();
    assert_eq!(
        throttled * 2,
        requests.len(),
        "every other call throttled and retried"
    );
    for service in ["cloudformation:", "codedeploy:", "lambda:", "cloudwatch:"] {
        assert!(
            requests
                .iter()
                .any(|request| request.operation.starts_with(service) && request.status != 200),
            "{service} was throttled too"
        );
    }
}

#[test]
fn every_list_is_paginated() {
    let fake = FakeAws::start(vec![two_functions()]);
    status(&fake, Format::Json);
    // 11 resources at two a page.
    assert_eq!(
        fake.requests_to("cloudformation:ListStackResources").len(),
        6
    );
    // Api's two alarms at one a page.
    let alarms = fake.requests_to("cloudwatch:DescribeAlarms");
    assert!(alarms
        .iter()
        .any(|request| request.params.get("NextToken").is_some()));
    let first = &alarms[0].params;
    assert_eq!(
        first["AlarmTypes"],
        serde_json::json!(["MetricAlarm", "CompositeAlarm"])
    );
}

#[test]
fn an_unknown_stack_is_an_error() {
    let fake = FakeAws::start(vec![canary(Stage::Succeeded)]);
    let mut out = Vec::new();
    let error = gradual_status::status(&target(&fake, "nope"), Format::Table, &mut out)
        .expect_err("an unknown stack");
    assert!(matches!(error, Error::UnknownStack { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "stack `nope` does not exist in eu-west-1"
    );
}

#[test]
fn a_stack_without_gradual_functions_says_so() {
    let fake = FakeAws::start(vec![stack("CREATE_COMPLETE", &[])]);
    let (code, table) = status(&fake, Format::Table);
    assert_eq!(code, 0);
    assert!(
        table.contains("Stack orders has no gradually deployed functions"),
        "{table}"
    );
    let (_, text) = status(&fake, Format::Json);
    assert_eq!(json(&text)["functions"], serde_json::json!([]));
}

fn success_sequence() -> Vec<World> {
    let mut created = stack("UPDATE_IN_PROGRESS", &[scenarios::api()]);
    // The stack is updating and CodeDeploy hasn't started: the latest is an older success.
    scenarios::deploy(
        &mut created,
        &scenarios::api(),
        "d-0LD5UCC3S",
        Stage::Succeeded,
    );
    vec![
        created,
        canary(Stage::PreTrafficRunning),
        canary(Stage::Shifting(10)),
        canary(Stage::Shifting(10)),
        canary(Stage::PostTrafficRunning),
        canary(Stage::Succeeded),
    ]
}

#[test]
fn watch_follows_a_canary_to_success_and_exits_0() {
    let fake = FakeAws::start(success_sequence());
    let (code, out, _) = watch(&fake, Format::Table);
    golden("watch_success.txt", &out);
    assert_eq!(code, 0, "{out}");
    // One line per change: the repeated 10% moment isn't printed twice.
    assert_eq!(out.matches("10% on version 3").count(), 1, "{out}");
    assert!(
        out.ends_with("done: stack orders UPDATE_COMPLETE, the deployment succeeded\n"),
        "{out}"
    );
}

#[test]
fn watch_follows_a_rollback_and_exits_1() {
    let fake = FakeAws::start(vec![
        canary(Stage::PreTrafficRunning),
        canary(Stage::Shifting(10)),
        canary(Stage::AlarmFiring),
        canary(Stage::RollingBack),
        canary(Stage::RolledBack),
    ]);
    let (code, out, _) = watch(&fake, Format::Table);
    golden("watch_rollback.txt", &out);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ALARM orders-ApiErrors"), "{out}");
    assert!(out.contains("rollback d-7KX2M9PQ1RB InProgress"), "{out}");
    assert!(
        out.ends_with(
            "failed: stack orders UPDATE_ROLLBACK_COMPLETE; Api deployment d-7KX2M9PQ1 Stopped\n"
        ),
        "{out}"
    );
}

#[test]
fn watch_in_json_prints_a_document_per_change() {
    let fake = FakeAws::start(success_sequence());
    let (code, out, err) = watch(&fake, Format::Json);
    assert_eq!(code, 0);
    let documents: Vec<Value> = out.lines().map(json).collect();
    // Six moments, two of them the same.
    assert_eq!(documents.len(), 5, "{out}");
    assert_eq!(
        documents[2]["functions"][0]["deployment"]["trafficToTarget"],
        10
    );
    assert_eq!(documents[4]["stackStatus"], "UPDATE_COMPLETE");
    assert!(err.contains("done:"), "{err}");
}

#[test]
fn watch_of_a_settled_stack_ends_at_once() {
    let fake = FakeAws::start(vec![canary(Stage::PreTrafficFailed)]);
    let (code, out, _) = watch(&fake, Format::Table);
    assert_eq!(code, 1, "{out}");
    assert_eq!(fake.requests_to("cloudformation:DescribeStacks").len(), 1);
}

#[test]
fn stop_asks_then_stops_the_deployment_once_with_rollback() {
    let fake = FakeAws::start(vec![canary(Stage::Shifting(10))]);
    let (code, out, err) = stop(&fake, None, false, "y\n").expect("stop runs");
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("Stop this deployment and roll back to the current version? [y/N]"),
        "{err}"
    );
    assert!(
        err.contains("Api: d-7KX2M9PQ1 InProgress, 10% on version 3"),
        "{err}"
    );
    let calls = fake.requests_to("codedeploy:StopDeployment");
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].params,
        serde_json::json!({"deploymentId": "d-7KX2M9PQ1", "autoRollbackEnabled": true})
    );
    assert_eq!(
        out,
        "Stopped Api deployment d-7KX2M9PQ1 (Pending: Stopping deployment); CodeDeploy rolls live back to version 2.\n"
    );
}

#[test]
fn stop_declined_stops_nothing() {
    let fake = FakeAws::start(vec![canary(Stage::Shifting(10))]);
    let (code, out, err) = stop(&fake, None, false, "\n").expect("stop runs");
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.ends_with("Not stopped.\n"), "{err}");
    assert!(fake.requests_to("codedeploy:StopDeployment").is_empty());
}

#[test]
fn stop_picks_the_function_and_needs_no_answer_with_yes() {
    let fake = FakeAws::start(vec![two_functions()]);
    let (code, out, _) = stop(&fake, Some("Worker"), true, "").expect("stop runs");
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "Nothing to stop: no deployment of Worker is in flight.\n"
        )
    );
    assert!(fake.requests_to("codedeploy:StopDeployment").is_empty());
    let (code, _, err) = stop(&fake, Some("Api"), true, "").expect("stop runs");
    assert_eq!(code, 0);
    assert!(!err.contains("[y/N]"), "{err}");
    let calls = fake.requests_to("codedeploy:StopDeployment");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].params["deploymentId"], "d-7KX2M9PQ1");
    let error = stop(&fake, Some("Nope"), true, "").expect_err("an unknown function");
    assert_eq!(
        error.to_string(),
        "stack `orders` has no gradual function `Nope`; it has: Api, Worker"
    );
}

#[test]
fn composite_missing_and_firing_alarms_and_a_missing_group() {
    let mut world = canary(Stage::Shifting(10));
    // The group also watches a composite alarm and one that was deleted.
    let group = world
        .groups
        .values_mut()
        .next()
        .expect("Api's deployment group");
    group.alarms.push("orders-Composite".into());
    group.alarms.push("orders-Deleted".into());
    world
        .composite_alarms
        .insert("orders-Composite".into(), "ALARM".into());
    let fake = FakeAws::start(vec![world]);
    let (_, text) = status(&fake, Format::Json);
    assert_eq!(
        json(&text)["functions"][0]["deployment"]["alarms"],
        serde_json::json!([
            {"name": "orders-ApiErrors", "state": "OK"},
            {"name": "orders-ApiLatencyP99", "state": "OK"},
            {"name": "orders-Composite", "state": "ALARM"},
            {"name": "orders-Deleted", "state": "NOT_FOUND"}
        ])
    );

    let mut world = stack("CREATE_IN_PROGRESS", &[scenarios::api()]);
    world.groups.clear();
    let fake = FakeAws::start(vec![world]);
    let (_, table) = status(&fake, Format::Table);
    assert!(table.contains("no deployment group"), "{table}");
    let (_, text) = status(&fake, Format::Json);
    let function = &json(&text)["functions"][0];
    assert_eq!(function["deploymentGroupExists"], false);
    assert_eq!(function["deployment"], Value::Null);
}
