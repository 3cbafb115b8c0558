//! The hook library against a local endpoint speaking the real CodeDeploy, Lambda and SSM wire
//! protocols: each case injects a fault and asserts the number and content of status reports.
#![allow(clippy::unwrap_used)]

mod support;

use gradual_hooks::aws_config::{self, BehaviorVersion, SdkConfig};
use gradual_hooks::{checks, Delivery, Deployment, Hook, HookError, Invocation, Phase, Status};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::fake_aws::{
    AliasFixture, DeploymentFixture, FakeAws, Fault, FunctionFixture, InvokeBehaviour,
    VersionFixture,
};

const PRE_HOOK: &str = "pre-hook";
const POST_HOOK: &str = "post-hook";
const EXECUTION: &str = "exec-1";

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
    aws.add_deployment(
        "d-1",
        DeploymentFixture {
            application: "app".into(),
            group: "group".into(),
            appspec: appspec(1, 2),
            as_appspec_content: false,
        },
    );
    let mut function = FunctionFixture::default();
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
    aws.set_parameter(
        "/gradual/smoke-tests/api",
        r#"{"event": {"ping": 1}, "expect": {"ok": true}}"#,
    );
    aws
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

type Logs = Arc<Mutex<Vec<Value>>>;

async fn hook<F, Fut>(aws: &FakeAws, check: F) -> (Hook, Logs)
where
    F: Fn(Deployment) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), gradual_hooks::CheckError>> + Send + 'static,
{
    let logs: Logs = Arc::default();
    let sink = Arc::clone(&logs);
    let hook = Hook::new(&sdk_config(aws).await, check)
        .with_log_sink(move |line| sink.lock().unwrap().push(line.clone()));
    (hook, logs)
}

async fn pre_traffic_hook(aws: &FakeAws) -> (Hook, Logs) {
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
    logs.lock()
        .unwrap()
        .iter()
        .map(|line| line["phase"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_healthy_deployment_is_reported_succeeded_once() {
    let aws = world().await;
    let (hook, logs) = pre_traffic_hook(&aws).await;

    let report = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Status::Succeeded);
    assert_eq!(report.delivery, Delivery::Reported { attempts: 1 });
    assert_eq!(only_accepted_report(&aws), "Succeeded");
    assert_eq!(
        aws.requests_to("PutLifecycleEventHookExecutionStatus")
            .len(),
        1
    );

    let configuration = aws.requests_to("/configuration");
    assert_eq!(configuration.len(), 1);
    assert_eq!(configuration[0].query, "Qualifier=2");
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
            "readiness",
            "smoke-test",
            "check",
            "report"
        ]
    );
    let lines = logs.lock().unwrap().clone();
    let found = &lines[1];
    assert_eq!(found["lifecycle_event"], "BeforeAllowTraffic");
    assert_eq!(found["target_version"], "2");
    assert_eq!(found["current_version"], "1");
    assert_eq!(found["deployment_id"], "d-1");
    assert!(lines
        .iter()
        .all(|line| line["decision"].is_string() && line["reason"].is_string()));
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
    let (hook, _) = pre_traffic_hook(&aws).await;

    let report = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Status::Failed);
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
    let (hook, logs) = pre_traffic_hook(&aws).await;

    let report = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Status::Failed);
    assert!(
        report
            .reason
            .contains("field /ok: expected true, got false"),
        "{}",
        report.reason
    );
    assert_eq!(only_accepted_report(&aws), "Failed");
    let lines = logs.lock().unwrap().clone();
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
    let (hook, logs) = pre_traffic_hook(&aws).await;

    let report = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Status::Failed);
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
    let (hook, _) = pre_traffic_hook(&aws).await;

    let report = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

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
        matches!(error, HookError::ReportFailed { attempts: 1, .. }),
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
    let (hook, logs) = pre_traffic_hook(&aws).await;

    let report = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.delivery, Delivery::AlreadyCompleted);
    assert_eq!(
        aws.requests_to("PutLifecycleEventHookExecutionStatus")
            .len(),
        1
    );
    assert!(aws.accepted_reports().is_empty());
    let lines = logs.lock().unwrap().clone();
    assert_eq!(lines.last().unwrap()["decision"], "already-completed");
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

    assert_eq!(report.status, Status::Failed);
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

    assert_eq!(report.status, Status::Failed);
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

    assert_eq!(report.status, Status::Failed);
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
    let (hook, _) = pre_traffic_hook(&aws).await;

    let report = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Status::Failed);
    assert!(report.reason.contains("State Failed"), "{}", report.reason);
    assert!(aws.requests_to("/invocations").is_empty());
}

#[tokio::test]
async fn without_a_smoke_test_a_ready_version_passes() {
    let aws = world().await;
    aws.state().parameters.clear();
    let (hook, logs) = pre_traffic_hook(&aws).await;

    let report = hook
        .handle(event(), invocation(PRE_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Status::Succeeded);
    assert!(aws.requests_to("/invocations").is_empty());
    let lines = logs.lock().unwrap().clone();
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
            application: "app".into(),
            group: "group".into(),
            appspec: yaml.into(),
            as_appspec_content: true,
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

    assert_eq!(report.status, Status::Succeeded);
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

#[tokio::test]
async fn post_traffic_checks_the_served_version_and_prunes_around_weighted_ones() {
    let aws = world().await;
    aws.add_deployment(
        "d-1",
        DeploymentFixture {
            application: "app".into(),
            group: "group".into(),
            appspec: appspec(6, 7),
            as_appspec_content: false,
        },
    );
    let mut function = FunctionFixture::default();
    for version in 1..=6 {
        function.versions.insert(version, VersionFixture::default());
    }
    function.versions.insert(7, respond(json!({"ok": true})));
    function.aliases.push(AliasFixture {
        name: "live".into(),
        version: "7".into(),
        // A version that still has weight on the alias must survive pruning.
        weights: BTreeMap::from([("4".to_owned(), 0.05)]),
    });
    function.aliases.push(AliasFixture {
        name: "stable".into(),
        version: "2".into(),
        weights: BTreeMap::new(),
    });
    aws.add_function("api", function);
    let (hook, logs) = hook(&aws, |deployment| async move {
        checks::post_traffic(&deployment, Some(1)).await
    })
    .await;

    let report = hook
        .handle(event(), invocation(POST_HOOK, Duration::from_secs(30)))
        .await
        .unwrap();

    assert_eq!(report.status, Status::Succeeded, "{}", report.reason);
    assert_eq!(only_accepted_report(&aws), "Succeeded");
    assert_eq!(aws.requests_to("/configuration")[0].query, "Qualifier=7");
    assert_eq!(aws.requests_to("/invocations")[0].query, "Qualifier=7");
    let deleted: Vec<String> = aws
        .requests_to("DELETE /2015-03-31/functions/api")
        .iter()
        .map(|request| request.query.clone())
        .collect();
    assert_eq!(deleted, ["Qualifier=1", "Qualifier=3", "Qualifier=5"]);
    let remaining: Vec<u64> = aws.state().functions["api"]
        .versions
        .keys()
        .copied()
        .collect();
    assert_eq!(remaining, [2, 4, 6, 7]);
    assert!(
        aws.requests_to("/versions").len() > 1,
        "followed NextMarker"
    );
    let lines = logs.lock().unwrap().clone();
    let found = lines
        .iter()
        .find(|line| line["phase"] == "deployment")
        .unwrap();
    assert_eq!(found["lifecycle_event"], "AfterAllowTraffic");
    let prune = lines.iter().find(|line| line["phase"] == "prune").unwrap();
    assert_eq!(prune["deleted"], json!([1, 3, 5]));
}
