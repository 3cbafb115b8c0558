//! A local endpoint that speaks the real AWS wire protocols the hooks use, so the real SDK stack
//! runs against it through `AWS_ENDPOINT_URL` (or `SdkConfig::endpoint_url`):
//!
//! * CodeDeploy, awsJson 1.1: `POST /` with `X-Amz-Target: CodeDeploy_20141006.<Operation>`;
//! * SSM, awsJson 1.1: `POST /` with `X-Amz-Target: AmazonSSM.<Operation>`;
//! * Lambda, REST-JSON under `/2015-03-31/functions/…`.
//!
//! Errors follow each protocol's conventions (`__type` in the body for awsJson,
//! `x-amzn-errortype` for REST) so the SDK maps them to its modeled exceptions. Every request is
//! recorded, so tests can assert how many status reports were made and what they said. Faults
//! are injected through [`State`].
//!
//! Every request is also mapped to the IAM action it needs and the kind of ARN it acts on; one
//! that `gradual_contract::HOOK_CALLS` does not list is a violation, and dropping the [`FakeAws`]
//! (at the end of every test) fails the test if there was any. So no scenario can make a call the
//! installed hooks' policies were not written for.
// Shared by several test crates, each using a different part of it.
#![allow(dead_code)]

use gradual_contract::{ResourceForm, HOOK_CALLS, SMOKE_TEST_PARAMETER_PREFIX};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::io::BufReader;
use tokio::net::{TcpListener, TcpStream};

/// A CodeDeploy deployment of one Lambda function.
#[derive(Debug, Clone)]
pub struct DeploymentFixture {
    pub application: String,
    pub group: String,
    /// The AppSpec text.
    pub appspec: String,
    /// Serve the AppSpec as `appSpecContent` instead of the `string` (RawString) CloudFormation
    /// uses.
    pub as_appspec_content: bool,
    /// `deploymentInfo.status`: `InProgress` while hooks may report.
    pub status: String,
    /// Serve an S3 revision (a hand-made deployment) instead of inline AppSpec content.
    pub s3_revision: bool,
    /// Tags of the deployment group (`aws:cloudformation:stack-id` when a stack created it).
    pub group_tags: BTreeMap<String, String>,
}

impl DeploymentFixture {
    /// An in-progress deployment of application `app`, group `group`, with an inline AppSpec.
    pub fn new(appspec: impl Into<String>) -> DeploymentFixture {
        DeploymentFixture {
            application: "app".into(),
            group: "group".into(),
            appspec: appspec.into(),
            as_appspec_content: false,
            status: "InProgress".into(),
            s3_revision: false,
            group_tags: BTreeMap::new(),
        }
    }
}

/// How a function version answers an invocation.
#[derive(Debug, Clone)]
pub enum InvokeBehaviour {
    /// Returns the request payload.
    Echo,
    /// Returns `payload`, flagged with `X-Amz-Function-Error` when `function_error` is set.
    Respond {
        payload: Value,
        function_error: Option<String>,
    },
    /// Answers only after this long.
    Hang(Duration),
}

#[derive(Debug, Clone)]
pub struct VersionFixture {
    pub state: String,
    pub last_update_status: String,
    pub invoke: InvokeBehaviour,
}

impl Default for VersionFixture {
    fn default() -> Self {
        VersionFixture {
            state: "Active".into(),
            last_update_status: "Successful".into(),
            invoke: InvokeBehaviour::Echo,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AliasFixture {
    pub name: String,
    pub version: String,
    pub weights: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Default)]
pub struct FunctionFixture {
    /// Numbered versions; `$LATEST` is always listed too.
    pub versions: BTreeMap<u64, VersionFixture>,
    pub aliases: Vec<AliasFixture>,
    /// The function's tags (Lambda tags the function, never its versions).
    pub tags: BTreeMap<String, String>,
    /// Qualifiers (version numbers or alias names) with provisioned concurrency.
    pub provisioned: BTreeSet<String>,
    /// Event source mappings, by the qualifier they target (`None`: the unqualified function).
    pub event_source_mappings: Vec<Option<String>>,
    /// Versions with a resource-based policy of their own.
    pub version_policies: BTreeSet<u64>,
}

/// An SSM parameter.
#[derive(Debug, Clone, Default)]
pub struct ParameterFixture {
    pub value: String,
    /// A `SecureString`: read without decryption, SSM returns the ciphertext.
    pub secure: bool,
    pub tags: BTreeMap<String, String>,
}

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

pub fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `CodeDeploy_20141006.GetDeployment`, `AmazonSSM.GetParameter`, or `<METHOD> <path>` for
    /// Lambda.
    pub operation: String,
    pub query: String,
    pub body: Value,
    pub at: Instant,
    /// The HTTP status answered.
    pub status: u16,
    /// The IAM actions the request needs and what each acts on (`None`: a resource outside any
    /// form the contract knows).
    pub iam: Vec<(String, Option<ResourceForm>)>,
}

/// A scripted answer that overrides normal behaviour for the next request to an operation.
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: u16,
    /// The awsJson `__type`; `None` sends an empty body (like a bare 5xx).
    pub error_type: Option<String>,
}

impl Fault {
    pub fn status(status: u16) -> Fault {
        Fault {
            status,
            error_type: None,
        }
    }
    pub fn error(status: u16, error_type: &str) -> Fault {
        Fault {
            status,
            error_type: Some(error_type.into()),
        }
    }
}

#[derive(Debug, Default)]
pub struct State {
    pub deployments: HashMap<String, DeploymentFixture>,
    pub functions: HashMap<String, FunctionFixture>,
    pub parameters: HashMap<String, ParameterFixture>,
    /// Lifecycle event hook executions that already have a status.
    pub completed: HashSet<String>,
    /// Faults to answer, in order, keyed by operation (e.g. `GetDeployment`).
    pub faults: HashMap<String, VecDeque<Fault>>,
    /// Faults answered to every request to the operation.
    pub always: HashMap<String, Fault>,
    /// Extra time taken before answering any request to the operation.
    pub delays: HashMap<String, Duration>,
    pub requests: Vec<Recorded>,
    /// Requests needing an IAM action or resource `HOOK_CALLS` does not list.
    pub violations: Vec<String>,
}

/// The endpoint, owned by one test. Not `Clone`: when the test drops it, it checks that every
/// request was one `HOOK_CALLS` allows.
#[derive(Debug)]
pub struct FakeAws {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FakeAws {
    /// Starts the endpoint on 127.0.0.1 on a free port; it lives as long as the tokio runtime.
    pub async fn start() -> FakeAws {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let accept_state = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_connection(stream, Arc::clone(&accept_state)));
            }
        });
        FakeAws {
            endpoint: format!("http://{address}"),
            state,
        }
    }

    /// Starts the endpoint on its own runtime thread, for tests that are not async.
    pub fn start_in_background() -> FakeAws {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async move {
                sender
                    .send(FakeAws::start().await)
                    .expect("hand over the endpoint");
                std::future::pending::<()>().await;
            });
        });
        receiver.recv().expect("endpoint started")
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn add_deployment(&self, id: &str, deployment: DeploymentFixture) {
        self.state().deployments.insert(id.into(), deployment);
    }

    pub fn add_function(&self, name: &str, function: FunctionFixture) {
        self.state().functions.insert(name.into(), function);
    }

    pub fn set_parameter(&self, name: &str, value: &str) {
        self.state().parameters.insert(
            name.into(),
            ParameterFixture {
                value: value.into(),
                ..ParameterFixture::default()
            },
        );
    }

    pub fn set_parameter_fixture(&self, name: &str, parameter: ParameterFixture) {
        self.state().parameters.insert(name.into(), parameter);
    }

    pub fn delay(&self, operation: &str, delay: Duration) {
        self.state().delays.insert(operation.into(), delay);
    }

    /// The manifest violations so far, cleared: for the test of the check itself.
    pub fn take_violations(&self) -> Vec<String> {
        std::mem::take(&mut self.state().violations)
    }

    pub fn fail_next(&self, operation: &str, fault: Fault) {
        self.state()
            .faults
            .entry(operation.into())
            .or_default()
            .push_back(fault);
    }

    pub fn fail_always(&self, operation: &str, fault: Fault) {
        self.state().always.insert(operation.into(), fault);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    /// Requests whose operation ends with `suffix` (e.g. `PutLifecycleEventHookExecutionStatus`).
    pub fn requests_to(&self, suffix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|request| request.operation.ends_with(suffix))
            .collect()
    }

    /// The status reports CodeDeploy accepted.
    pub fn accepted_reports(&self) -> Vec<Recorded> {
        self.requests_to("PutLifecycleEventHookExecutionStatus")
            .into_iter()
            .filter(|request| request.status == 200)
            .collect()
    }
}

impl Drop for FakeAws {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let violations = self.take_violations();
        assert!(
            violations.is_empty(),
            "requests outside gradual_contract::HOOK_CALLS:\n{}",
            violations.join("\n")
        );
    }
}

use gradual_fake_http::{read_request, write_response, Request};

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
}

impl Response {
    fn json(status: u16, body: Value) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "application/x-amz-json-1.1".into())],
            body: body.to_string().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    fn aws_json_error(status: u16, error_type: &str, message: &str) -> Response {
        Response::json(status, json!({"__type": error_type, "message": message}))
    }

    fn rest_error(status: u16, error_type: &str, message: &str) -> Response {
        let mut response = Response::json(status, json!({"Type": "User", "message": message}));
        response.headers = vec![
            ("content-type".into(), "application/json".into()),
            ("x-amzn-errortype".into(), error_type.into()),
        ];
        response
    }
}

async fn serve_connection(stream: TcpStream, state: Arc<Mutex<State>>) {
    let _ = stream.set_nodelay(true);
    let mut stream = BufReader::new(stream);
    while let Some(request) = read_request(&mut stream).await {
        let response = route(&request, &state);
        if !response.delay.is_zero() {
            tokio::time::sleep(response.delay).await;
        }
        if !write_response(
            &mut stream,
            response.status,
            &response.headers,
            &response.body,
        )
        .await
        {
            return;
        }
    }
}

fn route(request: &Request, state: &Arc<Mutex<State>>) -> Response {
    let mut state = state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let is_json_protocol = request.headers.contains_key("x-amz-target");
    let (operation, short) = match request.headers.get("x-amz-target") {
        Some(target) => (
            target.clone(),
            target.rsplit('.').next().unwrap_or_default().to_owned(),
        ),
        None => {
            let name = lambda_operation(request);
            (format!("{} {}", request.method, request.path), name)
        }
    };
    let iam = iam_calls(&state, request, &short, &body);
    for (action, form) in &iam {
        let listed = form.is_some_and(|form| {
            HOOK_CALLS
                .iter()
                .any(|call| call.action == action && call.resource == form)
        });
        if !listed {
            let violation = format!(
                "{operation}?{} needs {action} on {form:?}, which HOOK_CALLS does not list",
                request.query
            );
            state.violations.push(violation);
        }
    }
    let scripted = state
        .faults
        .get_mut(&short)
        .and_then(VecDeque::pop_front)
        .or_else(|| state.always.get(&short).cloned());
    let mut response = match scripted {
        Some(fault) => match (&fault.error_type, is_json_protocol) {
            (Some(error_type), true) => {
                Response::aws_json_error(fault.status, error_type, "injected fault")
            }
            (Some(error_type), false) => {
                Response::rest_error(fault.status, error_type, "injected fault")
            }
            (None, _) => Response {
                status: fault.status,
                headers: Vec::new(),
                body: Vec::new(),
                delay: Duration::ZERO,
            },
        },
        None if is_json_protocol => aws_json(&mut state, &operation, &body),
        None => lambda(&mut state, request),
    };
    if let Some(delay) = state.delays.get(&short) {
        response.delay += *delay;
    }
    let recorded_body = if is_json_protocol {
        body
    } else {
        serde_json::from_slice(&request.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&request.body).into_owned()))
    };
    state.requests.push(Recorded {
        operation,
        query: request.query.clone(),
        body: recorded_body,
        at: Instant::now(),
        status: response.status,
        iam,
    });
    response
}

/// The IAM actions a request needs, each with the kind of ARN it is authorized on.
fn iam_calls(
    state: &State,
    request: &Request,
    short: &str,
    body: &Value,
) -> Vec<(String, Option<ResourceForm>)> {
    let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default();
    let smoke_parameter = |name: &str| {
        name.starts_with(SMOKE_TEST_PARAMETER_PREFIX)
            .then_some(ResourceForm::SmokeTestParameter)
    };
    match request.headers.get("x-amz-target").map(String::as_str) {
        Some(target) if target.starts_with("CodeDeploy_20141006.") => {
            let form = match short {
                "GetDeployment" | "PutLifecycleEventHookExecutionStatus" => {
                    Some(ResourceForm::DeploymentGroup)
                }
                "GetApplicationRevision" => Some(ResourceForm::Application),
                "ListTagsForResource" => codedeploy_form(text("ResourceArn")),
                _ => None,
            };
            vec![(format!("codedeploy:{short}"), form)]
        }
        Some(target) if target.starts_with("AmazonSSM.") => match short {
            "GetParameter" => {
                let name = text("Name");
                let mut calls = vec![("ssm:GetParameter".to_owned(), smoke_parameter(name))];
                let decrypts = body["WithDecryption"] == Value::Bool(true)
                    && state.parameters.get(name).is_some_and(|p| p.secure);
                if decrypts {
                    calls.push(("kms:Decrypt".to_owned(), Some(ResourceForm::KmsKey)));
                }
                calls
            }
            "ListTagsForResource" => {
                let form = if text("ResourceType") == "Parameter" {
                    smoke_parameter(text("ResourceId"))
                } else {
                    None
                };
                vec![("ssm:ListTagsForResource".to_owned(), form)]
            }
            other => vec![(format!("ssm:{other}"), None)],
        },
        Some(other) => vec![(format!("unknown:{other}"), None)],
        None => {
            let qualified = lambda_qualifier(request).is_some();
            let function_form = if qualified {
                ResourceForm::FunctionQualified
            } else {
                ResourceForm::FunctionUnqualified
            };
            let (action, form) = match short {
                "Invoke" => ("lambda:InvokeFunction", Some(function_form)),
                "GetFunctionConfiguration" | "DeleteFunction" | "GetPolicy" => {
                    (short, Some(function_form))
                }
                "ListAliases" | "ListVersionsByFunction" | "ListProvisionedConcurrencyConfigs" => {
                    (short, Some(ResourceForm::FunctionUnqualified))
                }
                "ListTags" => {
                    let arn = percent_decode(
                        request.path.strip_prefix("/2017-03-31/tags/").unwrap_or(""),
                    );
                    let form = match arn.split_once(":function:") {
                        Some((_, rest)) if rest.contains(':') => {
                            Some(ResourceForm::FunctionQualified)
                        }
                        Some(_) => Some(ResourceForm::FunctionUnqualified),
                        None => None,
                    };
                    ("ListTags", form)
                }
                "ListEventSourceMappings" => ("ListEventSourceMappings", Some(ResourceForm::Any)),
                other => (other, None),
            };
            let action = if action.contains(':') {
                action.to_owned()
            } else {
                format!("lambda:{action}")
            };
            vec![(action, form)]
        }
    }
}

fn codedeploy_form(arn: &str) -> Option<ResourceForm> {
    if arn.contains(":deploymentgroup:") {
        Some(ResourceForm::DeploymentGroup)
    } else if arn.contains(":application:") {
        Some(ResourceForm::Application)
    } else {
        None
    }
}

fn tag_list(tags: &BTreeMap<String, String>) -> Value {
    tags.iter()
        .map(|(key, value)| json!({"Key": key, "Value": value}))
        .collect()
}

fn aws_json(state: &mut State, target: &str, body: &Value) -> Response {
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match target {
        "CodeDeploy_20141006.GetDeployment" => {
            let id = text("deploymentId");
            let Some(deployment) = state.deployments.get(&id) else {
                return Response::aws_json_error(
                    400,
                    "DeploymentDoesNotExistException",
                    "no such deployment",
                );
            };
            // Like the real service, GetDeployment names the revision without its content.
            let revision = revision(deployment, false);
            Response::json(
                200,
                json!({"deploymentInfo": {
                    "deploymentId": id,
                    "applicationName": deployment.application,
                    "deploymentGroupName": deployment.group,
                    "computePlatform": "Lambda",
                    "status": deployment.status,
                    "revision": revision,
                }}),
            )
        }
        "CodeDeploy_20141006.GetApplicationRevision" => {
            let application = text("applicationName");
            if let Some(s3) = body.pointer("/revision/s3Location") {
                // The real service returns the location only: the content lives in the bucket.
                return Response::json(
                    200,
                    json!({"applicationName": application,
                           "revision": {"revisionType": "S3", "s3Location": s3},
                           "revisionInfo": {"description": "fake"}}),
                );
            }
            let sha = body
                .pointer("/revision/string/sha256")
                .or_else(|| body.pointer("/revision/appSpecContent/sha256"));
            let found = state.deployments.values().find(|deployment| {
                deployment.application == application
                    && sha.and_then(Value::as_str) == Some(fake_sha(&deployment.appspec).as_str())
            });
            match found {
                Some(deployment) => Response::json(
                    200,
                    json!({"applicationName": application, "revision": revision(deployment, true),
                           "revisionInfo": {"description": "fake"}}),
                ),
                None => Response::aws_json_error(
                    400,
                    "RevisionDoesNotExistException",
                    "no such revision",
                ),
            }
        }
        "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus" => {
            let execution = text("lifecycleEventHookExecutionId");
            let status = text("status");
            if !state.deployments.contains_key(&text("deploymentId")) {
                return Response::aws_json_error(
                    400,
                    "DeploymentDoesNotExistException",
                    "no such deployment",
                );
            }
            if status != "Succeeded" && status != "Failed" {
                return Response::aws_json_error(
                    400,
                    "InvalidLifecycleEventHookExecutionStatusException",
                    "bad status",
                );
            }
            if !state.completed.insert(execution.clone()) {
                return Response::aws_json_error(
                    400,
                    "LifecycleEventAlreadyCompletedException",
                    "The lifecycle event has already completed",
                );
            }
            Response::json(200, json!({"lifecycleEventHookExecutionId": execution}))
        }
        "CodeDeploy_20141006.ListTagsForResource" => {
            let arn = text("ResourceArn");
            let group = arn
                .split_once(":deploymentgroup:")
                .map(|(_, rest)| rest.to_owned());
            let found = group.as_deref().and_then(|group| {
                state
                    .deployments
                    .values()
                    .find(|d| format!("{}/{}", d.application, d.group) == group)
            });
            match found {
                Some(deployment) => {
                    Response::json(200, json!({"Tags": tag_list(&deployment.group_tags)}))
                }
                None => Response::aws_json_error(
                    400,
                    "ResourceArnRequiredException",
                    "no such deployment group",
                ),
            }
        }
        "AmazonSSM.GetParameter" => {
            let name = text("Name");
            let decrypt = body["WithDecryption"] == Value::Bool(true);
            match state.parameters.get(&name) {
                Some(parameter) => {
                    let (kind, value) = match (parameter.secure, decrypt) {
                        (false, _) => ("String", parameter.value.clone()),
                        (true, true) => ("SecureString", parameter.value.clone()),
                        // What SSM returns without decryption: the KMS ciphertext, base64.
                        (true, false) => (
                            "SecureString",
                            format!("AQICAHh{}==", fake_sha(&parameter.value)),
                        ),
                    };
                    Response::json(
                        200,
                        json!({"Parameter": {"Name": name, "Type": kind, "Value": value, "Version": 1}}),
                    )
                }
                None => Response::aws_json_error(400, "ParameterNotFound", ""),
            }
        }
        "AmazonSSM.ListTagsForResource" => {
            let name = text("ResourceId");
            match state.parameters.get(&name) {
                Some(parameter) => {
                    Response::json(200, json!({"TagList": tag_list(&parameter.tags)}))
                }
                None => Response::aws_json_error(
                    400,
                    "InvalidResourceId",
                    "The resource ID is not valid.",
                ),
            }
        }
        other => Response::aws_json_error(400, "UnknownOperationException", other),
    }
}

fn fake_sha(content: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    content.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

fn revision(deployment: &DeploymentFixture, with_content: bool) -> Value {
    if deployment.s3_revision {
        return json!({"revisionType": "S3", "s3Location": {
            "bucket": "artifacts", "key": "appspec.yaml", "bundleType": "YAML"}});
    }
    let mut inner = json!({"sha256": fake_sha(&deployment.appspec)});
    if with_content {
        inner["content"] = Value::String(deployment.appspec.clone());
    }
    if deployment.as_appspec_content {
        json!({"revisionType": "AppSpecContent", "appSpecContent": inner})
    } else {
        json!({"revisionType": "String", "string": inner})
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The function named in a Lambda REST path (`name`, `name:qualifier` or an ARN), and the
/// segment after it.
fn lambda_path(request: &Request) -> Option<(String, Option<String>, Option<&str>)> {
    let tail = request
        .path
        .strip_prefix("/2015-03-31/functions/")
        .or_else(|| request.path.strip_prefix("/2019-09-30/functions/"))?;
    let mut segments = tail.split('/');
    let function = percent_decode(segments.next()?);
    let function = function
        .split_once(":function:")
        .map_or(function.as_str(), |(_, rest)| rest)
        .to_owned();
    let (name, qualifier) = match function.split_once(':') {
        Some((name, qualifier)) => (name.to_owned(), Some(qualifier.to_owned())),
        None => (function, None),
    };
    Some((name, qualifier, segments.next()))
}

/// The qualifier of a Lambda request: `?Qualifier=` or a qualified name in the path.
fn lambda_qualifier(request: &Request) -> Option<String> {
    query_param(&request.query, "Qualifier")
        .or_else(|| lambda_path(request).and_then(|(_, qualifier, _)| qualifier))
}

/// The Lambda operation a REST request maps to, for fault injection.
fn lambda_operation(request: &Request) -> String {
    if request.path.starts_with("/2017-03-31/tags/") {
        return "ListTags".into();
    }
    if request
        .path
        .starts_with("/2015-03-31/event-source-mappings")
    {
        return "ListEventSourceMappings".into();
    }
    let segment = lambda_path(request).map(|(_, _, segment)| segment.map(str::to_owned));
    match (request.method.as_str(), segment.flatten().as_deref()) {
        ("GET", Some("configuration")) => "GetFunctionConfiguration",
        ("POST", Some("invocations")) => "Invoke",
        ("GET", Some("versions")) => "ListVersionsByFunction",
        ("GET", Some("aliases")) => "ListAliases",
        ("GET", Some("policy")) => "GetPolicy",
        ("GET", Some("provisioned-concurrency")) => "ListProvisionedConcurrencyConfigs",
        ("DELETE", None) => "DeleteFunction",
        _ => "Unknown",
    }
    .to_owned()
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name == key).then(|| percent_decode(value))
    })
}

fn no_content() -> Response {
    Response {
        status: 204,
        headers: Vec::new(),
        body: Vec::new(),
        delay: Duration::ZERO,
    }
}

fn not_found(what: &str) -> Response {
    Response::rest_error(404, "ResourceNotFoundException", what)
}

/// One page of `items` from `?Marker=`, `size` per page, under `key`.
fn page(query: &str, items: Vec<Value>, size: usize, key: &str) -> Response {
    let start: usize = query_param(query, "Marker")
        .and_then(|marker| marker.parse().ok())
        .unwrap_or(0);
    let page: Vec<Value> = items.iter().skip(start).take(size).cloned().collect();
    let mut body = json!({ key: page });
    if start + size < items.len() {
        body["NextMarker"] = Value::String((start + size).to_string());
    }
    Response::json(200, body)
}

fn lambda(state: &mut State, request: &Request) -> Response {
    let operation = lambda_operation(request);
    if operation == "ListTags" {
        let arn = percent_decode(request.path.strip_prefix("/2017-03-31/tags/").unwrap_or(""));
        let name = arn
            .split_once(":function:")
            .map(|(_, rest)| rest.split(':').next().unwrap_or(rest).to_owned());
        let qualified = arn
            .split_once(":function:")
            .is_some_and(|(_, rest)| rest.contains(':'));
        return match name.and_then(|name| state.functions.get(&name)) {
            // Lambda tags functions, never versions or aliases.
            Some(_) if qualified => Response::rest_error(
                400,
                "InvalidParameterValueException",
                "Tags are not supported on function versions or aliases",
            ),
            Some(function) => Response::json(200, json!({"Tags": function.tags})),
            None => not_found("Function not found"),
        };
    }
    if operation == "ListEventSourceMappings" {
        let wanted = query_param(&request.query, "FunctionName").unwrap_or_default();
        let wanted = wanted
            .split_once(":function:")
            .map_or(wanted.as_str(), |(_, rest)| rest)
            .to_owned();
        let (name, qualifier) = match wanted.split_once(':') {
            Some((name, qualifier)) => (name.to_owned(), Some(qualifier.to_owned())),
            None => (wanted, None),
        };
        let Some(function) = state.functions.get(&name) else {
            return not_found("Function not found");
        };
        // Like the real API for a qualified name: only mappings on exactly that qualifier.
        let items: Vec<Value> = function
            .event_source_mappings
            .iter()
            .enumerate()
            .filter(|(_, target)| **target == qualifier)
            .map(|(index, target)| {
                let arn = match target {
                    Some(q) => format!("{}:{q}", function_arn(&name)),
                    None => function_arn(&name),
                };
                json!({"UUID": format!("00000000-0000-0000-0000-{index:012}"), "FunctionArn": arn,
                       "EventSourceArn": format!("arn:aws:sqs:{REGION}:{ACCOUNT}:orders"),
                       "State": "Enabled", "BatchSize": 10})
            })
            .collect();
        return page(&request.query, items, 1, "EventSourceMappings");
    }
    let Some((function_name, path_qualifier, _)) = lambda_path(request) else {
        return Response::rest_error(400, "UnknownOperationException", &request.path);
    };
    let qualifier = query_param(&request.query, "Qualifier").or(path_qualifier);
    let Some(function) = state.functions.get_mut(&function_name) else {
        return not_found("Function not found");
    };
    let version = qualifier
        .as_deref()
        .and_then(|q| q.parse::<u64>().ok())
        .and_then(|number| function.versions.get(&number).cloned().map(|v| (number, v)));
    match operation.as_str() {
        "GetFunctionConfiguration" => match version {
            Some((number, fixture)) => Response::json(
                200,
                json!({"FunctionName": function_name,
                       "FunctionArn": format!("{}:{number}", function_arn(&function_name)),
                       "Version": number.to_string(),
                       "State": fixture.state, "LastUpdateStatus": fixture.last_update_status}),
            ),
            None => not_found("Version not found"),
        },
        "Invoke" => {
            let Some((number, fixture)) = version else {
                return not_found("Version not found");
            };
            let (payload, function_error, delay) = match fixture.invoke {
                InvokeBehaviour::Echo => (request.body.clone(), None, Duration::ZERO),
                InvokeBehaviour::Respond {
                    payload,
                    function_error,
                } => (
                    payload.to_string().into_bytes(),
                    function_error,
                    Duration::ZERO,
                ),
                InvokeBehaviour::Hang(delay) => (b"{}".to_vec(), None, delay),
            };
            let mut headers = vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("x-amz-executed-version".to_owned(), number.to_string()),
            ];
            if let Some(function_error) = function_error {
                headers.push(("x-amz-function-error".to_owned(), function_error));
            }
            Response {
                status: 200,
                headers,
                body: payload,
                delay,
            }
        }
        "ListVersionsByFunction" => {
            // Two versions per page, so that callers must follow NextMarker.
            let mut all: Vec<String> = vec!["$LATEST".into()];
            all.extend(function.versions.keys().map(u64::to_string));
            let items = all
                .iter()
                .map(|version| json!({"FunctionName": function_name, "Version": version}))
                .collect();
            page(&request.query, items, 2, "Versions")
        }
        "ListAliases" => {
            let items = function
                .aliases
                .iter()
                .map(|alias| {
                    let mut entry = json!({"Name": alias.name, "FunctionVersion": alias.version});
                    if !alias.weights.is_empty() {
                        entry["RoutingConfig"] = json!({"AdditionalVersionWeights": alias.weights});
                    }
                    entry
                })
                .collect();
            page(&request.query, items, 1, "Aliases")
        }
        "GetPolicy" => match version {
            Some((number, _)) if function.version_policies.contains(&number) => {
                let arn = format!("{}:{number}", function_arn(&function_name));
                let policy = json!({"Version": "2012-10-17", "Id": "default", "Statement": [{
                    "Sid": "sns", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "lambda:InvokeFunction", "Resource": arn}]});
                Response::json(
                    200,
                    json!({"Policy": policy.to_string(), "RevisionId": "fake-revision"}),
                )
            }
            _ => not_found("The resource you requested does not exist."),
        },
        "ListProvisionedConcurrencyConfigs" => {
            let items = function
                .provisioned
                .iter()
                .map(|qualifier| {
                    json!({"FunctionArn": format!("{}:{qualifier}", function_arn(&function_name)),
                           "RequestedProvisionedConcurrentExecutions": 2,
                           "AvailableProvisionedConcurrentExecutions": 2,
                           "AllocatedProvisionedConcurrentExecutions": 2,
                           "Status": "READY", "LastModified": "2026-01-01T00:00:00+0000"})
                })
                .collect();
            page(&request.query, items, 1, "ProvisionedConcurrencyConfigs")
        }
        "DeleteFunction" => match version {
            Some((number, _)) => {
                let referenced = function.aliases.iter().any(|alias| {
                    alias.version == number.to_string()
                        || alias.weights.contains_key(&number.to_string())
                });
                if referenced {
                    return Response::rest_error(
                        409,
                        "ResourceConflictException",
                        "version is referenced by an alias",
                    );
                }
                // Like Lambda: mappings, provisioned concurrency and the version's policy do not
                // stop the deletion; they go (or, for mappings, stop delivering) with it.
                function.versions.remove(&number);
                function.provisioned.remove(&number.to_string());
                function.version_policies.remove(&number);
                no_content()
            }
            None => Response::rest_error(
                400,
                "InvalidParameterValueException",
                "only numbered versions may be deleted here",
            ),
        },
        _ => Response::rest_error(400, "UnknownOperationException", &request.path),
    }
}
