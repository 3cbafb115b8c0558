//! End to end through the Lambda runtime emulator: `cargo lambda watch` builds and runs the real
//! `gradual-pre-traffic` binary, which reads the deployment from, and reports to, a local
//! endpoint speaking the AWS wire protocols.
//!
//! Needs cargo-lambda from the project venv, hence the `emulator` feature: `make test-hooks`.
#![allow(clippy::unwrap_used)]

#[path = "../../hooks/tests/support/fake_aws.rs"]
mod fake_aws;

use fake_aws::{AliasFixture, DeploymentFixture, FakeAws, FunctionFixture, VersionFixture};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HOOK: &str = "gradual-pre-traffic";
/// The first invocation compiles the binary on demand.
const FIRST_INVOKE_TIMEOUT: Duration = Duration::from_secs(900);

/// Stops the emulator (and with it the function process) by the PID this test started.
struct Emulator {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let stopping = Instant::now();
        while stopping.elapsed() < Duration::from_secs(10) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_emulator(aws: &FakeAws) -> Emulator {
    let root = workspace_root();
    let venv_bin = root.join(".venv/bin");
    let cargo_lambda = venv_bin.join("cargo-lambda");
    assert!(
        cargo_lambda.exists(),
        "{} is missing: run `make venv`",
        cargo_lambda.display()
    );
    let port = free_port();
    let log = std::env::temp_dir().join(format!("gradual-emulator-{port}.log"));
    let log_file = std::fs::File::create(&log).unwrap();
    let path = format!(
        "{}:{}",
        venv_bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(cargo_lambda);
    command.args([
        "lambda",
        "watch",
        "--ignore-changes",
        "--invoke-address",
        "127.0.0.1",
    ]);
    // For measuring: the release profile is what gets deployed, but costs a cold release build.
    if std::env::var_os("GRADUAL_EMULATOR_RELEASE").is_some() {
        command.arg("--release");
    }
    let child = command
        .args(["--invoke-port", &port.to_string()])
        .arg("--env-var")
        .arg(format!(
            "AWS_ENDPOINT_URL={},AWS_ACCESS_KEY_ID=testing,AWS_SECRET_ACCESS_KEY=testing,AWS_REGION=us-east-1",
            aws.endpoint
        ))
        .current_dir(root.join("crates/hook-lambdas"))
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .unwrap();
    Emulator { child, port, log }
}

/// POSTs `event` to the emulator's Invoke API; returns the HTTP status and the JSON body.
fn invoke(emulator: &Emulator, event: &Value, timeout: Duration) -> (u16, Value) {
    let started = Instant::now();
    let mut stream = loop {
        match TcpStream::connect(("127.0.0.1", emulator.port)) {
            Ok(stream) => break stream,
            Err(error) if started.elapsed() < Duration::from_secs(120) => {
                let _ = error;
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(error) => panic!(
                "emulator never listened: {error}\n{}",
                std::fs::read_to_string(&emulator.log).unwrap_or_default()
            ),
        }
    };
    stream.set_read_timeout(Some(timeout)).unwrap();
    let body = event.to_string();
    write!(
        stream,
        "POST /2015-03-31/functions/{HOOK}/invocations HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    if let Err(error) = stream.read_to_string(&mut response) {
        panic!(
            "no answer from the emulator: {error}\n{}",
            std::fs::read_to_string(&emulator.log).unwrap_or_default()
        );
    }
    let (head, payload) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let payload = serde_json::from_str(payload).unwrap_or(Value::String(payload.into()));
    (status, payload)
}

fn add_deployment(aws: &FakeAws, id: &str) {
    add_deployment_of(aws, id, "api");
}

fn add_deployment_of(aws: &FakeAws, id: &str, function: &str) {
    let appspec = json!({
        "version": "0.0",
        "Resources": [{"Api": {"Type": "AWS::Lambda::Function", "Properties": {
            "Name": function, "Alias": "live", "CurrentVersion": "1", "TargetVersion": "2"}}}],
        "Hooks": [{"BeforeAllowTraffic": HOOK}]
    });
    aws.add_deployment(id, DeploymentFixture::new(appspec.to_string()));
}

#[test]
fn the_pre_traffic_binary_reports_through_the_lambda_emulator() {
    let aws = FakeAws::start_in_background();
    let mut function = FunctionFixture::default();
    function.versions.insert(1, VersionFixture::default());
    function.versions.insert(2, VersionFixture::default());
    function.aliases.push(AliasFixture {
        name: "live".into(),
        version: "1".into(),
        weights: Default::default(),
    });
    aws.add_function("api", function);
    // Version 2 echoes its input, so the expectation holds only if the event reached it.
    aws.set_parameter(
        "/gradual/smoke-tests/api",
        r#"{"event": {"path": "/health"}, "expect": {"path": "/health"}}"#,
    );
    let emulator = start_emulator(&aws);

    add_deployment(&aws, "d-cold");
    let (status, body) = invoke(
        &emulator,
        &json!({"DeploymentId": "d-cold", "LifecycleEventHookExecutionId": "exec-cold"}),
        FIRST_INVOKE_TIMEOUT,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "Succeeded", "{body}");
    assert_eq!(body["delivery"], json!({"reported": {"attempts": 1}}));
    let accepted = aws.accepted_reports();
    assert_eq!(accepted.len(), 1);
    assert_eq!(
        accepted[0].body,
        json!({"deploymentId": "d-cold", "lifecycleEventHookExecutionId": "exec-cold", "status": "Succeeded"})
    );
    assert_eq!(
        aws.requests_to("/invocations")[0].body,
        json!({"path": "/health"})
    );

    // Warm invocations: the time from sending the event to CodeDeploy receiving the report.
    let mut latencies = Vec::new();
    for round in 0..5 {
        let id = format!("d-warm-{round}");
        add_deployment(&aws, &id);
        let sent = Instant::now();
        let (status, body) = invoke(
            &emulator,
            &json!({"DeploymentId": id, "LifecycleEventHookExecutionId": format!("exec-warm-{round}")}),
            Duration::from_secs(60),
        );
        assert_eq!(
            (status, body["status"].as_str()),
            (200, Some("Succeeded")),
            "{body}"
        );
        let reported = aws
            .accepted_reports()
            .into_iter()
            .find(|report| report.body["deploymentId"] == id.as_str())
            .unwrap();
        latencies.push(reported.at.duration_since(sent));
    }
    latencies.sort();
    println!(
        "warm invocation-to-report through the emulator: median {:?}, min {:?}, max {:?}",
        latencies[latencies.len() / 2],
        latencies[0],
        latencies[latencies.len() - 1]
    );
    assert_eq!(aws.accepted_reports().len(), 6, "one report per event");

    // An event without ids can never be reported: the function logs it and ends successfully,
    // so that Lambda does not retry it (and rerun nothing useful) twice.
    let (status, body) = invoke(
        &emulator,
        &json!({"DeploymentId": "d-cold"}),
        Duration::from_secs(60),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["retryable"], false, "{body}");
    let message = body["abandoned"].to_string();
    assert!(
        message.contains("malformed CodeDeploy lifecycle event"),
        "{message}"
    );
    assert_eq!(aws.accepted_reports().len(), 6);
    // The function process survived it and still serves events.
    add_deployment(&aws, "d-after");
    let (_, body) = invoke(
        &emulator,
        &json!({"DeploymentId": "d-after", "LifecycleEventHookExecutionId": "exec-after"}),
        Duration::from_secs(60),
    );
    assert_eq!(body["status"], "Succeeded", "{body}");

    // The smoke tests as the macro writes them: each function's SSM value, taken from the
    // transformed template, decides its deployment. The fake target version echoes its event.
    let template = json!({"Resources": {
        "Healthy": smoke_tested_function(json!({"path": "/health"}), json!({"path": "/health"})),
        "Broken": smoke_tested_function(json!({"path": "/health"}), json!({"statusCode": 200})),
    }});
    let output = gradual_transform::transform(template, &gradual_transform::Context::default())
        .expect("the smoke-test template transforms");
    for (logical_id, name, expected) in [
        ("Healthy", "healthy-fn", "Succeeded"),
        ("Broken", "broken-fn", "Failed"),
    ] {
        let parameter =
            &output.template["Resources"][format!("{logical_id}SmokeTest")]["Properties"];
        assert_eq!(
            parameter["Name"],
            json!({"Fn::Sub": format!("/gradual/smoke-tests/${{{logical_id}}}")})
        );
        // CloudFormation resolves `${Healthy}` to the function's name when it creates the parameter.
        aws.set_parameter(
            &format!("/gradual/smoke-tests/{name}"),
            parameter["Value"].as_str().unwrap(),
        );
        let mut function = FunctionFixture::default();
        function.versions.insert(1, VersionFixture::default());
        function.versions.insert(2, VersionFixture::default());
        aws.add_function(name, function);
        let id = format!("d-smoke-{name}");
        add_deployment_of(&aws, &id, name);
        let (_, body) = invoke(
            &emulator,
            &json!({"DeploymentId": id, "LifecycleEventHookExecutionId": format!("exec-{name}")}),
            Duration::from_secs(60),
        );
        assert_eq!(body["status"], expected, "{name}: {body}");
        let reports: Vec<_> = aws
            .accepted_reports()
            .into_iter()
            .filter(|report| report.body["deploymentId"] == id.as_str())
            .collect();
        assert_eq!(reports.len(), 1, "{name}: one report");
        assert_eq!(reports[0].body["status"], expected, "{name}");
    }
}

/// A function with a smoke test and no hooks of its own, so the installed hooks run it.
fn smoke_tested_function(event: Value, expect: Value) -> Value {
    json!({"Type": "AWS::Lambda::Function", "Properties": {
        "Runtime": "python3.12", "Handler": "app.handler", "Role": "arn:aws:iam::123456789012:role/app",
        "Code": {"S3Bucket": "artifacts", "S3Key": "app.zip"},
        "AutoPublishAlias": "live",
        "DeploymentPreference": {"Type": "AllAtOnce", "SmokeTest": {"Event": event, "Expect": expect}}
    }})
}
