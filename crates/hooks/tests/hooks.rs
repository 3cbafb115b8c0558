//! The hook library against a local endpoint speaking the real CodeDeploy, Lambda and SSM wire
//! protocols: each case injects a fault and asserts the number and content of status reports.
#![allow(clippy::unwrap_used)]

mod support;

use aws_config::{BehaviorVersion, SdkConfig};
use gradual_hooks::testing::{Delivery, HookError, Invocation, Report, Status, TestHook};
use gradual_hooks::{checks, Deployment, Hook, Phase};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::fake_aws::{
    AliasFixture, DeploymentFixture, FakeAws, Fault, FunctionFixture, InvokeBehaviour,
    ParameterFixture, VersionFixture,
};
use support::logs::Logs;

const PRE_HOOK: &str = "pre-hook";
const POST_HOOK: &str = "post-hook";
const EXECUTION: &str = "exec-1";
/// The stack that owns `api`, its smoke test and its deployment group.
const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/shop/11111111";
const OTHER_STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/intruder/2222";
const SMOKE_TEST: &str = "/gradual/smoke-tests/api";

fn stack_tags(stack: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("aws:cloudformation:stack-id".to_owned(), stack.to_owned())])
}

fn deployment_of(appspec: String) -> DeploymentFixture {
    DeploymentFixture {
        group_tags: stack_tags(STACK),
        ..DeploymentFixture::new(appspec)
    }
}

fn appspec(current: u64, target: u64) -> String {
    json!({
        "version": "0.0",
        "Resources": [{"ApiFunction": {"Type": "AWS::Lambda::Function", "Properties": {
            "Name": "api", "Alias": "live",
            "CurrentVersion": current.to_string(), "TargetVersion": target.to_string()}}}],
        "Hooks": [{"BeforeAllowTraffic": PRE_HOOK}, {"AfterAllowTraffic": POST_HOOK}]
    })
    .to_string()
}

fn respond(payload: Value) -> VersionFixture {
    VersionFixture {
        invoke: InvokeBehaviour::Respond {
            payload,
            function_error: None,
        },
        ..VersionFixture::default()
    }
}

/// A deployment `d-1` of `api` from version 1 to 2, whose smoke test expects `{"ok": true}`.
async fn world() -> FakeAws {
    let aws = FakeAws::start().await;
    aws.add_deployment("d-1", deployment_of(appspec(1, 2)));
    let mut function = FunctionFixture {
        tags: stack_tags(STACK),
        ..FunctionFixture::default()
    };
    function.versions.insert(1, VersionFixture::default());
    function
        .versions
        .insert(2, respond(json!({"ok": true, "version": 2})));
    function.aliases.push(AliasFixture {
        name: "live".into(),
        version: "1".into(),
        weights: BTreeMap::new(),
    });
    aws.add_function("api", function);
    set_smoke_test(&aws, r#"{"event": {"ping": 1}, "expect": {"ok": true}}"#);
    aws
}

/// The smoke test of `api`, created by its own stack.
fn set_smoke_test(aws: &FakeAws, value: &str) {
    set_smoke_test_as(aws, value, false, stack_tags(STACK));
}

/// The smoke test of `api` as `SecureString` or not, with these tags.
fn set_smoke_test_as(aws: &FakeAws, value: &str, secure: bool, tags: BTreeMap<String, String>) {
    aws.set_parameter_fixture(
        SMOKE_TEST,
        ParameterFixture {
            value: value.into(),
            secure,
            tags,
        },
    );
}

async fn sdk_config(aws: &FakeAws) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(&aws.endpoint)
        .region(aws_sdk_codedeploy::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_codedeploy::config::Credentials::new(
            "testing", "testing", None, None, "static",
        ))
        .load()
        .await
}

async fn hook<F, Fut>(aws: &FakeAws, check: F) -> (TestHook, Logs)
where
    F: Fn(Deployment) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), gradual_hooks::CheckError>> + Send + 'static,
{
    serve(aws, Hook::new(check)).await
}

/// `hook` against the fake endpoint, with its log lines captured.
async fn serve(aws: &FakeAws, hook: Hook) -> (TestHook, Logs) {
    let logs = Logs::capture();
    (TestHook::new(hook, &sdk_config(aws).await), logs)
}

/// The pre-traffic hook handles the standard event with 30 s left, and succeeds to Lambda.
async fn run_pre_traffic(aws: &FakeAws) -> (Report, Logs) {
    let (hook, logs) = pre_traffic_hook(aws).await;
    let report = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();
    (report, logs)
}

async fn pre_traffic_hook(aws: &FakeAws) -> (TestHook, Logs) {
    hook(aws, |deployment| async move {
        checks::pre_traffic(&deployment).await
    })
    .await
}

fn event() -> Value {
    json!({"DeploymentId": "d-1", "LifecycleEventHookExecutionId": EXECUTION})
}

fn invocation(function_name: &str, time: Duration) -> Invocation {
    Invocation {
        deadline: Instant::now() + time,
        function_name: function_name.into(),
    }
}

/// The one accepted status report, checked for ids; returns its status.
fn only_accepted_report(aws: &FakeAws) -> String {
    let accepted = aws.accepted_reports();
    assert_eq!(
        accepted.len(),
        1,
        "exactly one accepted report: {accepted:?}"
    );
    let body = &accepted[0].body;
    assert_eq!(body["deploymentId"], "d-1");
    assert_eq!(body["lifecycleEventHookExecutionId"], EXECUTION);
    body["status"].as_str().unwrap().to_owned()
}

fn phases(logs: &Logs) -> Vec<String> {
    logs.lines()
        .iter()
        .map(|line| line["phase"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_healthy_deployment_is_reported_succeeded_once() {
    let aws = world().await;
    let (report, logs) = run_pre_traffic(&aws).await;

    assert_eq!(report.status, Some(Status::Succeeded));
    assert_eq!(report.delivery, Delivery::Reported { attempts: 1 });
    assert_eq!(only_accepted_report(&aws), "Succeeded");
    assert_eq!(
        aws.requests_to("PutLifecycleEventHookExecutionStatus")
            .len(),
        1
    );

    let configuration = aws.requests_to("/configuration");
    assert_eq!(configuration.len(), 2, "ownership, then readiness");
    assert!(configuration.iter().all(|c| c.query == "Qualifier=2"));
    let invokes = aws.requests_to("/invocations");
    assert_eq!(invokes.len(), 1, "one smoke-test invocation");
    assert_eq!(invokes[0].query, "Qualifier=2");
    assert_eq!(invokes[0].body, json!({"ping": 1}));
    let parameter = aws.requests_to("AmazonSSM.GetParameter");
    assert_eq!(parameter[0].body["Name"], "/gradual/smoke-tests/api");

    assert_eq!(
        phases(&logs),
        [
            "event",
            "deployment",
            "ownership",
            "readiness",
            "smoke-test",
            "check",
            "report"
        ]
    );
    let lines = logs.lines();
    let found = &lines[1];
    assert_eq!(found["lifecycle_event"], "BeforeAllowTraffic");
    assert_eq!(found["target_version"], "2");
    assert_eq!(found["current_version"], "1");
    assert!(lines.iter().all(|line| line["decision"].is_string()
        && line["message"].is_string()
        && line["span"]["deployment_id"] == "d-1"));
}

#[tokio::test]
async fn a_target_version_raising_a_function_error_fails_the_deployment() {
    let aws = world().await;
    aws.state()
        .functions
        .get_mut("api")
        .unwrap()
        .versions
        .insert(
            2,
            VersionFixture {
                invoke: InvokeBehaviour::Respond {
                    payload: json!({"errorMessage": "boom", "errorType": "Panic"}),
                    function_error: Some("Unhandled".into()),
                },
                ..VersionFixture::default()
            },
        );
    let (report, _) = run_pre_traffic(&aws).await;

    assert_eq!(report.status, Some(Status::Failed));
    assert!(
        report.reason.contains("FunctionError Unhandled"),
        "{}",
        report.reason
    );
    assert!(report.reason.contains("boom"), "{}", report.reason);
    assert_eq!(only_accepted_report(&aws), "Failed");
}

#[tokio::test]
async fn an_expectation_mismatch_fails_and_names_the_field() {
    let aws = world().await;
    aws.state()
        .functions
        .get_mut("api")
        .unwrap()
        .versions
        .insert(2, respond(json!({"ok": false})));
    let (report, logs) = run_pre_traffic(&aws).await;

    assert_eq!(report.status, Some(Status::Failed));
    assert!(
        report
            .reason
            .contains("field /ok: expected true, got false"),
        "{}",
        report.reason
    );
    assert_eq!(only_accepted_report(&aws), "Failed");
    let lines = logs.lines();
    let smoke = lines
        .iter()
        .find(|line| line["phase"] == "smoke-test")
        .unwrap();
    assert_eq!(smoke["decision"], "failed");
    assert_eq!(smoke["field"], "/ok");
}

#[tokio::test]
async fn get_deployment_server_errors_are_reported_failed() {
    let aws = world().await;
    aws.fail_always("GetDeployment", Fault::status(500));
    let (report, logs) = run_pre_traffic(&aws).await;

    assert_eq!(report.status, Some(Status::Failed));
    assert!(report.reason.contains("GetDeployment"), "{}", report.reason);
    assert_eq!(only_accepted_report(&aws), "Failed");
    assert_eq!(
        aws.requests_to("GetDeployment").len(),
        4,
        "the SDK retried the 500s"
    );
    assert!(aws.requests_to("/invocations").is_empty());
    assert_eq!(phases(&logs), ["event", "deployment", "check", "report"]);
}

#[tokio::test]
async fn a_throttled_report_is_retried_until_accepted() {
    let aws = world().await;
    aws.fail_next(
        "PutLifecycleEventHookExecutionStatus",
        Fault::error(400, "ThrottlingException"),
    );
    let (report, _) = run_pre_traffic(&aws).await;

    assert_eq!(report.delivery, Delivery::Reported { attempts: 2 });
    let attempts = aws.requests_to("PutLifecycleEventHookExecutionStatus");
    assert_eq!(
        attempts
            .iter()
            .map(|request| request.status)
            .collect::<Vec<_>>(),
        [400, 200]
    );
    assert_eq!(attempts[0].body, attempts[1].body);
    assert_eq!(only_accepted_report(&aws), "Succeeded");
}

#[tokio::test]
async fn server_errors_on_the_report_are_retried_but_only_within_the_deadline() {
    let aws = world().await;
    aws.fail_always("PutLifecycleEventHookExecutionStatus", Fault::status(503));
    let (hook, _) = pre_traffic_hook(&aws).await;
    let invocation = invocation(PRE_HOOK, Duration::from_secs(5));
    let deadline = invocation.deadline;

    let error = hook.handle(event(), invocation).await.unwrap_err();

    let HookError::ReportFailed {
        status, attempts, ..
    } = error
    else {
        panic!("expected ReportFailed, got {error:?}");
    };
    assert_eq!(status, Status::Succeeded);
    let made = aws.requests_to("PutLifecycleEventHookExecutionStatus");
    assert_eq!(made.len() as u32, attempts);
    assert!(attempts > 1, "503 is retried");
    assert!(made.iter().all(|request| request.at < deadline));
    assert!(
        Instant::now() < deadline,
        "the handler returned before the Lambda deadline"
    );
}

#[tokio::test]
async fn a_rejected_report_is_not_retried() {
    let aws = world().await;
    aws.fail_always(
        "PutLifecycleEventHookExecutionStatus",
        Fault::error(400, "InvalidLifecycleEventHookExecutionIdException"),
    );
    let (hook, _) = pre_traffic_hook(&aws).await;

    let error = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            HookError::ReportFailed {
                attempts: 1,
                retryable: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("InvalidLifecycleEventHookExecutionId"),
        "{error}"
    );
}

#[tokio::test]
async fn an_already_completed_event_is_done() {
    let aws = world().await;
    aws.state().completed.insert(EXECUTION.into());
    let (report, logs) = run_pre_traffic(&aws).await;

    assert_eq!(report.delivery, Delivery::AlreadyCompleted);
    assert_eq!(
        aws.requests_to("PutLifecycleEventHookExecutionStatus")
            .len(),
        1
    );
    assert!(aws.accepted_reports().is_empty());
    let lines = logs.lines();
    let last = lines.last().unwrap();
    assert_eq!(last["decision"], "already-completed");
    // CodeDeploy may hold another status than ours (it can time the event out itself).
    let reason = last["message"].as_str().unwrap();
    assert!(reason.starts_with("already completed"), "{reason}");
    assert!(!reason.contains("duplicate"), "{reason}");
}

#[tokio::test]
async fn a_panicking_check_is_reported_failed() {
    let aws = world().await;
    let (hook, _) = hook(&aws, |deployment| async move {
        if deployment.target.target_version == "2" {
            panic!("deliberate panic in the check");
        }
        Ok(())
    })
    .await;

    let report = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Some(Status::Failed));
    assert!(
        report
            .reason
            .contains("panicked: deliberate panic in the check"),
        "{}",
        report.reason
    );
    assert_eq!(only_accepted_report(&aws), "Failed");
}

#[tokio::test]
async fn a_hanging_target_is_reported_failed_before_the_deadline() {
    let aws = world().await;
    aws.state()
        .functions
        .get_mut("api")
        .unwrap()
        .versions
        .insert(
            2,
            VersionFixture {
                invoke: InvokeBehaviour::Hang(Duration::from_secs(60)),
                ..VersionFixture::default()
            },
        );
    let (hook, _) = pre_traffic_hook(&aws).await;
    let invocation = invocation(PRE_HOOK, Duration::from_secs(5));
    let deadline = invocation.deadline;

    let report = hook.handle(event(), invocation).await.unwrap();

    assert_eq!(report.status, Some(Status::Failed));
    assert!(report.reason.contains("deadline"), "{}", report.reason);
    assert_eq!(only_accepted_report(&aws), "Failed");
    assert!(
        aws.accepted_reports()[0].at < deadline,
        "reported before the deadline"
    );
}

#[tokio::test]
async fn a_duplicate_delivery_reports_once() {
    let aws = world().await;
    let (hook, _) = pre_traffic_hook(&aws).await;

    let first = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();
    let second = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(first.delivery, Delivery::Reported { attempts: 1 });
    assert_eq!(second.delivery, Delivery::AlreadyCompleted);
    assert_eq!(
        aws.requests_to("PutLifecycleEventHookExecutionStatus")
            .len(),
        2
    );
    assert_eq!(only_accepted_report(&aws), "Succeeded");
}

#[tokio::test]
async fn a_malformed_event_is_a_clear_error_without_any_call() {
    let aws = world().await;
    let (hook, logs) = pre_traffic_hook(&aws).await;

    for malformed in [
        json!({"DeploymentId": "d-1"}),
        json!({"LifecycleEventHookExecutionId": EXECUTION}),
        json!({"DeploymentId": "", "LifecycleEventHookExecutionId": EXECUTION}),
        json!([1, 2, 3]),
        Value::Null,
    ] {
        let error = hook
            .handle(
                malformed.clone(),
                invocation(PRE_HOOK, Duration::from_secs(30)),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(error, HookError::MalformedEvent(_)),
            "{malformed}: {error:?}"
        );
        assert!(error
            .to_string()
            .starts_with("malformed CodeDeploy lifecycle event"));
    }
    assert!(
        aws.requests().is_empty(),
        "nothing can be reported without ids"
    );
    assert!(phases(&logs).iter().all(|phase| phase == "event"));
}

#[tokio::test]
async fn a_check_error_is_reported_failed_with_its_message() {
    let aws = world().await;
    let (hook, _) = hook(&aws, |deployment| async move {
        assert!(deployment.time_left() > Duration::from_secs(20));
        assert!(
            deployment.time_left() <= Duration::from_secs(27),
            "margin kept back"
        );
        let response = deployment.invoke_target(r#"{"probe": true}"#).await?;
        assert_eq!(response.function_error, None);
        assert_eq!(response.executed_version.as_deref(), Some("2"));
        Err(format!("latency budget exceeded, got {}", response.json().unwrap()).into())
    })
    .await;

    let report = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Some(Status::Failed));
    assert!(
        report.reason.contains("latency budget exceeded"),
        "{}",
        report.reason
    );
    assert_eq!(only_accepted_report(&aws), "Failed");
    assert_eq!(
        aws.requests_to("/invocations")[0].body,
        json!({"probe": true})
    );
}

#[tokio::test]
async fn a_version_that_is_not_active_fails_without_being_invoked() {
    let aws = world().await;
    aws.state()
        .functions
        .get_mut("api")
        .unwrap()
        .versions
        .insert(
            2,
            VersionFixture {
                state: "Failed".into(),
                last_update_status: "Failed".into(),
                invoke: InvokeBehaviour::Echo,
            },
        );
    let (report, _) = run_pre_traffic(&aws).await;

    assert_eq!(report.status, Some(Status::Failed));
    assert!(report.reason.contains("State Failed"), "{}", report.reason);
    assert!(aws.requests_to("/invocations").is_empty());
}

#[tokio::test]
async fn without_a_smoke_test_a_ready_version_passes() {
    let aws = world().await;
    aws.state().parameters.clear();
    let (report, logs) = run_pre_traffic(&aws).await;

    assert_eq!(report.status, Some(Status::Succeeded));
    assert!(aws.requests_to("/invocations").is_empty());
    let lines = logs.lines();
    let smoke = lines
        .iter()
        .find(|line| line["phase"] == "smoke-test")
        .unwrap();
    assert_eq!(smoke["decision"], "skipped");
}

#[tokio::test]
async fn a_yaml_appspec_in_appspec_content_is_understood() {
    let aws = world().await;
    let yaml = "version: 0.0\nresources:\n  - api:\n      type: AWS::Lambda::Function\n      properties:\n        name: api\n        alias: live\n        currentversion: 1\n        targetversion: 2\nhooks:\n  - AfterAllowTraffic: arn:aws:lambda:us-east-1:123456789012:function:yaml-hook\n";
    aws.add_deployment(
        "d-1",
        DeploymentFixture {
            as_appspec_content: true,
            ..deployment_of(yaml.into())
        },
    );
    let seen = Arc::new(Mutex::new(None));
    let seen_by_check = Arc::clone(&seen);
    let (hook, _) = hook(&aws, move |deployment| {
        let seen = Arc::clone(&seen_by_check);
        async move {
            *seen.lock().unwrap() = Some((
                deployment.phase,
                deployment.target.clone(),
                deployment.application_name.clone(),
                deployment.deployment_group_name.clone(),
            ));
            Ok(())
        }
    })
    .await;

    let report = hook
        .handle(event(), invocation("yaml-hook", Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Some(Status::Succeeded));
    let (phase, target, application, group) = seen.lock().unwrap().clone().unwrap();
    assert_eq!(phase, Some(Phase::AfterAllowTraffic));
    assert_eq!(
        (
            target.current_version.as_str(),
            target.target_version.as_str()
        ),
        ("1", "2")
    );
    assert_eq!((application.as_str(), group.as_str()), ("app", "group"));
}

/// `api` with versions 1..=`newest`, deployed from `current` to `target`, the alias already
/// moved to `target` (as in AfterAllowTraffic).
fn post_traffic_world(aws: &FakeAws, newest: u64, current: u64, target: u64) {
    aws.add_deployment("d-1", deployment_of(appspec(current, target)));
    let mut function = FunctionFixture {
        tags: stack_tags(STACK),
        ..FunctionFixture::default()
    };
    for version in 1..=newest {
        function
            .versions
            .insert(version, respond(json!({"ok": true})));
    }
    function.aliases.push(AliasFixture {
        name: "live".into(),
        version: target.to_string(),
        weights: BTreeMap::new(),
    });
    aws.add_function("api", function);
}

/// The post-traffic check, pruning to `keep` after the report as the ready-made hook does.
async fn post_traffic_hook(aws: &FakeAws, keep: usize) -> (TestHook, Logs) {
    let hook = Hook::new(|deployment| async move { checks::post_traffic(&deployment).await })
        .after_success(move |deployment| async move {
            let _ = checks::prune_versions(&deployment, keep).await;
        });
    serve(aws, hook).await
}

fn deleted_versions(aws: &FakeAws) -> Vec<String> {
    aws.requests_to("DELETE /2015-03-31/functions/api")
        .iter()
        .filter(|request| request.status == 204)
        .map(|request| request.query.trim_start_matches("Qualifier=").to_owned())
        .collect()
}

fn remaining_versions(aws: &FakeAws) -> Vec<u64> {
    aws.state().functions["api"]
        .versions
        .keys()
        .copied()
        .collect()
}

fn line(logs: &Logs, phase: &str) -> Value {
    logs.lines()
        .into_iter()
        .find(|line| line["phase"] == phase)
        .unwrap_or_else(|| panic!("no {phase} line"))
}

/// A list field of a log line, which the line carries as JSON text.
fn listed(line: &Value, field: &str) -> Value {
    serde_json::from_str(line[field].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn post_traffic_checks_the_target_and_prunes_around_weighted_ones_after_reporting() {
    let aws = world().await;
    post_traffic_world(&aws, 7, 6, 7);
    aws.state()
        .functions
        .get_mut("api")
        .unwrap()
        .aliases
        .push(AliasFixture {
            name: "stable".into(),
            version: "2".into(),
            // A version that still has weight on an alias must survive pruning.
            weights: BTreeMap::from([("4".to_owned(), 0.05)]),
        });
    let (hook, logs) = post_traffic_hook(&aws, 1).await;

    let report = hook
        .handle(event(), invocation(POST_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Some(Status::Succeeded), "{}", report.reason);
    assert_eq!(only_accepted_report(&aws), "Succeeded");
    assert!(aws
        .requests_to("/configuration")
        .iter()
        .all(|request| request.query == "Qualifier=7"));
    assert_eq!(aws.requests_to("/invocations")[0].query, "Qualifier=7");
    assert_eq!(deleted_versions(&aws), ["1", "3", "5"]);
    assert_eq!(remaining_versions(&aws), [2, 4, 6, 7]);
    assert!(
        aws.requests_to("/versions").len() > 1,
        "followed NextMarker"
    );
    // Pruning starts only once CodeDeploy has the verdict.
    let reported_at = aws.accepted_reports()[0].at;
    let first_delete = aws.requests_to("DELETE /2015-03-31/functions/api")[0].at;
    assert!(reported_at < first_delete);
    assert_eq!(
        line(&logs, "deployment")["lifecycle_event"],
        "AfterAllowTraffic"
    );
    assert_eq!(listed(&line(&logs, "prune"), "deleted"), json!([1, 3, 5]));
}

#[tokio::test]
async fn stalled_pruning_never_changes_the_verdict() {
    let aws = world().await;
    post_traffic_world(&aws, 12, 11, 12);
    // Each deletion takes 2 s: before the fix, pruning inside the check ran past its deadline
    // and a healthy deployment was reported Failed (and rolled back).
    aws.delay("DeleteFunction", Duration::from_secs(2));
    let (hook, logs) = post_traffic_hook(&aws, 1).await;
    let invocation = invocation(POST_HOOK, Duration::from_secs(5));
    let deadline = invocation.deadline;

    let report = hook.handle(event(), invocation).await.unwrap();

    assert_eq!(report.status, Some(Status::Succeeded), "{}", report.reason);
    assert_eq!(only_accepted_report(&aws), "Succeeded");
    assert!(
        Instant::now() < deadline,
        "returned before the Lambda deadline"
    );
    let deletes = aws.requests_to("DELETE /2015-03-31/functions/api");
    assert!(
        !deletes.is_empty() && deletes.len() < 10,
        "{}",
        deletes.len()
    );
    let prune = line(&logs, "prune");
    assert_eq!(prune["decision"], "stopped");
    let left = listed(&prune, "left").as_array().unwrap().len();
    assert!(left > 0, "{prune}");
    assert!(
        prune["message"]
            .as_str()
            .unwrap()
            .contains("left for the next deployment"),
        "{prune}"
    );
}

#[tokio::test]
async fn throttled_pruning_stops_at_once_and_says_what_it_left() {
    let aws = world().await;
    post_traffic_world(&aws, 6, 5, 6);
    aws.fail_always(
        "DeleteFunction",
        Fault::error(429, "TooManyRequestsException"),
    );
    let (hook, logs) = post_traffic_hook(&aws, 1).await;

    let report = hook
        .handle(event(), invocation(POST_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Some(Status::Succeeded), "{}", report.reason);
    assert_eq!(only_accepted_report(&aws), "Succeeded");
    // One attempt: no SDK retries, no further versions tried.
    assert_eq!(aws.requests_to("DELETE /2015-03-31/functions/api").len(), 1);
    let prune = line(&logs, "prune");
    assert_eq!(prune["decision"], "stopped");
    assert_eq!(listed(&prune, "left"), json!([1, 2, 3, 4]));
    assert!(
        prune["message"].as_str().unwrap().contains("throttled"),
        "{prune}"
    );
}

#[tokio::test]
async fn pruning_keeps_every_version_still_in_use() {
    let aws = world().await;
    post_traffic_world(&aws, 9, 6, 7);
    {
        let mut state = aws.state();
        let function = state.functions.get_mut("api").unwrap();
        // An SQS mapping on version 2 (deleting it would lose the queue's records), provisioned
        // concurrency on 3, a resource policy of version 4's own; 8 and 9 are newer than the
        // deployment's current version (published meanwhile).
        function.event_source_mappings.push(Some("2".into()));
        function.event_source_mappings.push(None);
        function.provisioned.insert("3".into());
        function.provisioned.insert("live".into());
        function.version_policies.insert(4);
    }
    let (hook, logs) = post_traffic_hook(&aws, 1).await;

    let report = hook
        .handle(event(), invocation(POST_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Some(Status::Succeeded), "{}", report.reason);
    assert_eq!(deleted_versions(&aws), ["1", "5"]);
    assert_eq!(remaining_versions(&aws), [2, 3, 4, 6, 7, 8, 9]);
    let kept = listed(&line(&logs, "prune"), "kept");
    let kept: Vec<(u64, String)> = kept
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["version"].as_u64().unwrap(),
                k["used_by"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert!(kept[0].0 == 2 && kept[0].1.contains("event source mapping"));
    assert!(kept[1].0 == 3 && kept[1].1.contains("provisioned concurrency"));
    assert!(kept[2].0 == 4 && kept[2].1.contains("resource-based policy"));
    // Each remaining candidate's policy was read with its qualifier.
    assert!(aws
        .requests_to("/policy")
        .iter()
        .all(|request| request.query.starts_with("Qualifier=")));
}

#[tokio::test]
async fn pre_traffic_wired_as_post_traffic_fails_without_invoking() {
    let aws = world().await;
    let (hook, logs) = pre_traffic_hook(&aws).await;

    // The AppSpec lists POST_HOOK for AfterAllowTraffic: this function is running as that.
    let report = hook
        .handle(event(), invocation(POST_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Some(Status::Failed));
    assert!(
        report.reason.contains(
            "this is a BeforeAllowTraffic hook, but the AppSpec lists it for AfterAllowTraffic"
        ),
        "{}",
        report.reason
    );
    assert_eq!(only_accepted_report(&aws), "Failed");
    assert!(aws.requests_to("/invocations").is_empty());
    assert_eq!(line(&logs, "phase")["decision"], "wrong-phase");
}

#[tokio::test]
async fn post_traffic_wired_as_pre_traffic_fails_and_prunes_nothing() {
    let aws = world().await;
    post_traffic_world(&aws, 7, 6, 7);
    // Before traffic moves the alias still serves the current version.
    aws.state().functions.get_mut("api").unwrap().aliases[0].version = "6".into();
    let (hook, _) = post_traffic_hook(&aws, 1).await;

    let report = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Some(Status::Failed));
    assert!(
        report.reason.contains("this is a AfterAllowTraffic hook"),
        "{}",
        report.reason
    );
    assert_eq!(only_accepted_report(&aws), "Failed");
    assert!(aws.requests_to("DELETE").is_empty());
    assert!(aws.requests_to("/invocations").is_empty());
}

#[tokio::test]
async fn post_traffic_fails_when_the_alias_does_not_serve_the_target() {
    let aws = world().await;
    post_traffic_world(&aws, 7, 6, 7);
    aws.state().functions.get_mut("api").unwrap().aliases[0] = AliasFixture {
        name: "live".into(),
        version: "6".into(),
        weights: BTreeMap::from([("7".to_owned(), 0.1)]),
    };
    let (hook, _) = post_traffic_hook(&aws, 1).await;

    let report = hook
        .handle(event(), invocation(POST_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Some(Status::Failed));
    assert!(
        report
            .reason
            .contains("should send everything to version 7, but it points at 6"),
        "{}",
        report.reason
    );
    assert_eq!(only_accepted_report(&aws), "Failed");
    assert!(aws.requests_to("DELETE").is_empty());
}

#[tokio::test]
async fn errors_no_retry_can_fix_end_the_event_successfully() {
    let aws = world().await;
    let (hook, logs) = pre_traffic_hook(&aws).await;
    let respond = |event: Value| {
        let hook = hook.clone();
        async move {
            hook.respond(event, invocation(PRE_HOOK, Duration::from_secs(30)))
                .await
        }
    };

    // A malformed event: nothing can be reported, and a retry brings the same event.
    let answer = respond(json!({"DeploymentId": "d-1"})).await.unwrap();
    assert_eq!(answer["retryable"], false);
    assert!(answer["abandoned"].as_str().unwrap().contains("malformed"));

    // Access denied on the report.
    aws.fail_next(
        "PutLifecycleEventHookExecutionStatus",
        Fault::error(400, "AccessDeniedException"),
    );
    let answer = respond(event()).await.unwrap();
    assert!(answer["abandoned"]
        .as_str()
        .unwrap()
        .contains("AccessDenied"));

    // An unknown execution id.
    aws.fail_next(
        "PutLifecycleEventHookExecutionStatus",
        Fault::error(400, "InvalidLifecycleEventHookExecutionIdException"),
    );
    assert!(respond(event()).await.is_ok());

    // A deployment that does not exist: GetDeployment and the report both say so.
    let gone = json!({"DeploymentId": "d-gone", "LifecycleEventHookExecutionId": "exec-gone"});
    let answer = respond(gone).await.unwrap();
    assert!(answer["abandoned"]
        .as_str()
        .unwrap()
        .contains("DeploymentDoesNotExist"));

    assert!(aws.accepted_reports().is_empty());
    let abandoned: Vec<Value> = logs
        .lines()
        .into_iter()
        .filter(|line| line["decision"] == "abandoned")
        .collect();
    assert_eq!(abandoned.len(), 4, "each logged as a clear error");
    assert!(abandoned.iter().all(|line| line["level"] == "ERROR"));

    // A retryable failure stays an error, so that Lambda delivers the event again.
    aws.fail_always("PutLifecycleEventHookExecutionStatus", Fault::status(503));
    let error = hook
        .respond(event(), invocation(PRE_HOOK, Duration::from_secs(4)))
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
}

#[tokio::test]
async fn a_deployment_no_longer_in_progress_gets_no_work() {
    let aws = world().await;
    for status in ["Stopped", "Failed", "Succeeded"] {
        aws.add_deployment(
            "d-1",
            DeploymentFixture {
                status: status.into(),
                ..deployment_of(appspec(1, 2))
            },
        );
        let (hook, logs) = pre_traffic_hook(&aws).await;

        let report = hook
            .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
            .await
            .unwrap();

        assert_eq!(report.status, None, "{status}");
        assert_eq!(report.delivery, Delivery::NotNeeded);
        assert!(report.reason.contains(status), "{}", report.reason);
        assert_eq!(line(&logs, "check")["decision"], "not-needed");
    }
    assert!(aws
        .requests_to("PutLifecycleEventHookExecutionStatus")
        .is_empty());
    assert!(aws.requests_to("GetApplicationRevision").is_empty());
    assert!(aws.requests_to("/invocations").is_empty());
}

#[tokio::test]
async fn a_two_megabyte_response_is_quoted_in_bounded_excerpts() {
    let aws = world().await;
    // A root-level array where an object is expected: the mismatch is the whole payload.
    let huge = Value::Array(vec![json!({"email": "someone@example.com"}); 70_000]);
    assert!(huge.to_string().len() > 2_000_000);
    aws.state()
        .functions
        .get_mut("api")
        .unwrap()
        .versions
        .insert(2, respond(huge));
    let (report, logs) = run_pre_traffic(&aws).await;

    assert_eq!(report.status, Some(Status::Failed));
    assert!(report.reason.contains("differs at"), "{}", report.reason);
    assert!(report.reason.len() < 1024, "{} bytes", report.reason.len());
    for line in logs.lines() {
        assert!(line.to_string().len() < 4096, "{}", line.to_string().len());
    }
    assert_eq!(only_accepted_report(&aws), "Failed");
}

#[tokio::test]
async fn a_secure_string_smoke_test_is_read_decrypted() {
    let aws = world().await;
    set_smoke_test_as(
        &aws,
        r#"{"event": {"ping": 1}, "expect": {"ok": true}}"#,
        true,
        stack_tags(STACK),
    );
    let (report, _) = run_pre_traffic(&aws).await;

    assert_eq!(report.status, Some(Status::Succeeded), "{}", report.reason);
    let read = aws.requests_to("AmazonSSM.GetParameter");
    assert_eq!(read[0].body["WithDecryption"], true);
    assert!(read[0]
        .iam
        .iter()
        .any(|(action, _)| action == "kms:Decrypt"));
    assert_eq!(aws.requests_to("/invocations").len(), 1);
}

#[tokio::test]
async fn a_null_expect_is_reported_as_a_configuration_mistake() {
    let aws = world().await;
    set_smoke_test(&aws, r#"{"event": {"ping": 1}, "expect": null}"#);
    let (report, _) = run_pre_traffic(&aws).await;

    assert_eq!(report.status, Some(Status::Failed));
    assert!(
        report.reason.contains("configuration mistake"),
        "{}",
        report.reason
    );
    assert!(aws.requests_to("/invocations").is_empty());
    assert_eq!(only_accepted_report(&aws), "Failed");
}

#[tokio::test]
async fn short_timeouts_still_pass_a_healthy_check_and_warn() {
    for budget_ms in [1500, 3000] {
        let aws = world().await;
        let (hook, logs) = pre_traffic_hook(&aws).await;
        let invocation = invocation(PRE_HOOK, Duration::from_millis(budget_ms));
        let deadline = invocation.deadline;

        let report = hook.handle(event(), invocation).await.unwrap();

        assert_eq!(
            report.status,
            Some(Status::Succeeded),
            "{budget_ms} ms: {}",
            report.reason
        );
        assert_eq!(only_accepted_report(&aws), "Succeeded");
        assert!(aws.accepted_reports()[0].at < deadline);
        let budget = line(&logs, "budget");
        assert_eq!(budget["decision"], "low");
        assert!(budget["check_budget_ms"].as_u64().unwrap() >= budget_ms * 2 / 3 - 50);
    }
    // A 60 s timeout is no warning.
    let aws = world().await;
    let (hook, logs) = pre_traffic_hook(&aws).await;
    hook.handle(event(), invocation(PRE_HOOK, Duration::from_secs(60)))
        .await
        .unwrap();
    assert!(!phases(&logs).contains(&"budget".to_owned()));
}

#[tokio::test]
async fn a_smoke_test_from_another_stack_is_ignored() {
    let aws = world().await;
    // The intruder's parameter would make the hook invoke version 2 with its event, and fail it.
    set_smoke_test_as(
        &aws,
        r#"{"event": {"steal": true}, "expect": {"never": 1}}"#,
        false,
        stack_tags(OTHER_STACK),
    );
    let (report, logs) = run_pre_traffic(&aws).await;

    assert_eq!(report.status, Some(Status::Succeeded), "{}", report.reason);
    assert!(aws.requests_to("/invocations").is_empty());
    assert!(
        aws.requests_to("AmazonSSM.GetParameter").is_empty(),
        "the untrusted value is never read"
    );
    let smoke = line(&logs, "smoke-test");
    assert_eq!(smoke["decision"], "untrusted");
    assert_eq!(smoke["parameter_stack"], OTHER_STACK);
}

#[tokio::test]
async fn a_deployment_from_another_stack_is_failed_without_invoking() {
    let aws = world().await;
    // Someone else's deployment group pointing its AppSpec at api.
    aws.add_deployment(
        "d-1",
        DeploymentFixture {
            group_tags: stack_tags(OTHER_STACK),
            ..DeploymentFixture::new(appspec(1, 2))
        },
    );
    let (report, logs) = run_pre_traffic(&aws).await;

    assert_eq!(report.status, Some(Status::Failed));
    assert!(
        report.reason.contains("belongs to stack") && report.reason.contains(OTHER_STACK),
        "{}",
        report.reason
    );
    assert!(aws.requests_to("/invocations").is_empty());
    assert!(aws.requests_to("AmazonSSM").is_empty());
    assert_eq!(line(&logs, "ownership")["decision"], "foreign-deployment");
    assert_eq!(only_accepted_report(&aws), "Failed");
}

/// CloudFormation's stack tag missing on one side proves nothing: a healthy deployment whose
/// group (or smoke-test parameter) carries no tag must not fail, nor lose its smoke test.
#[tokio::test]
async fn untagged_groups_and_parameters_are_unverified_not_failed() {
    let aws = world().await;
    aws.add_deployment(
        "d-1",
        DeploymentFixture {
            group_tags: BTreeMap::new(),
            ..DeploymentFixture::new(appspec(1, 2))
        },
    );
    set_smoke_test_as(
        &aws,
        r#"{"event": {"ping": 1}, "expect": {"never": 1}}"#,
        false,
        BTreeMap::new(),
    );
    let (report, logs) = run_pre_traffic(&aws).await;

    assert_eq!(line(&logs, "ownership")["decision"], "unverified");
    // The untagged smoke test still runs (and its expectation fails this deployment).
    assert_eq!(aws.requests_to("AmazonSSM.GetParameter").len(), 1);
    assert_eq!(report.status, Some(Status::Failed), "{}", report.reason);
    assert_eq!(only_accepted_report(&aws), "Failed");
}

#[tokio::test]
async fn an_s3_revision_is_reported_unsupported() {
    let aws = world().await;
    aws.add_deployment(
        "d-1",
        DeploymentFixture {
            s3_revision: true,
            ..deployment_of(appspec(1, 2))
        },
    );
    let (report, _) = run_pre_traffic(&aws).await;

    assert_eq!(report.status, Some(Status::Failed));
    assert!(
        report.reason.contains(
            "AppSpec in S3 (s3://artifacts/appspec.yaml), which gradual's hooks do not support"
        ),
        "{}",
        report.reason
    );
    assert_eq!(only_accepted_report(&aws), "Failed");
}

#[tokio::test]
async fn a_call_outside_the_manifest_is_caught() {
    let aws = world().await;
    // The workspace builds the SDK without a default HTTP client; the hooks add their own.
    let https = gradual_aws_http::https_client();
    let config = sdk_config(&aws)
        .await
        .to_builder()
        .http_client(https)
        .build();
    let lambda = aws_sdk_lambda::Client::new(&config);
    // GetFunction would hand out a code download URL: the hooks must never need it.
    let _ = lambda.get_function().function_name("api").send().await;
    let violations = aws.take_violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("lambda:"), "{violations:?}");
}
