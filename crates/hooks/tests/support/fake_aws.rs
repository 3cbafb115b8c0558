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
// Shared by several test crates, each using a different part of it.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
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
    pub parameters: HashMap<String, String>,
    /// Lifecycle event hook executions that already have a status.
    pub completed: HashSet<String>,
    /// Faults to answer, in order, keyed by operation (e.g. `GetDeployment`).
    pub faults: HashMap<String, VecDeque<Fault>>,
    /// Faults answered to every request to the operation.
    pub always: HashMap<String, Fault>,
    pub requests: Vec<Recorded>,
}

#[derive(Debug, Clone)]
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
        self.state().parameters.insert(name.into(), value.into());
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

struct Request {
    method: String,
    path: String,
    query: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

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
        let mut head = format!(
            "HTTP/1.1 {} {}\r\ncontent-length: {}\r\nx-amzn-requestid: fake-request\r\n",
            response.status,
            reason_phrase(response.status),
            response.body.len()
        );
        for (name, value) in &response.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        // One write per response: head and body in separate segments would meet the client's
        // delayed ACK and add ~40 ms to every call.
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&response.body);
        if stream.get_mut().write_all(&bytes).await.is_err() {
            return;
        }
    }
}

async fn read_request(stream: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if stream.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        if stream.read_line(&mut header).await.ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|encoding| encoding.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size_line = String::new();
            stream.read_line(&mut size_line).await.ok()?;
            let size = usize::from_str_radix(size_line.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            stream.read_exact(&mut chunk).await.ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        let length: usize = headers
            .get("content-length")
            .and_then(|length| length.parse().ok())
            .unwrap_or(0);
        body.resize(length, 0);
        stream.read_exact(&mut body).await.ok()?;
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), query.to_owned()),
        None => (target, String::new()),
    };
    Some(Request {
        method,
        path,
        query,
        headers,
        body,
    })
}

fn route(request: &Request, state: &Arc<Mutex<State>>) -> Response {
    let mut state = state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
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
    let scripted = state
        .faults
        .get_mut(&short)
        .and_then(VecDeque::pop_front)
        .or_else(|| state.always.get(&short).cloned());
    let response = match scripted {
        Some(fault) => match (
            &fault.error_type,
            request.headers.contains_key("x-amz-target"),
        ) {
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
        None if request.headers.contains_key("x-amz-target") => {
            aws_json(&mut state, &operation, &body)
        }
        None => lambda(&mut state, request),
    };
    let recorded_body = if request.headers.contains_key("x-amz-target") {
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
    });
    response
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
                    "status": "InProgress",
                    "revision": revision,
                }}),
            )
        }
        "CodeDeploy_20141006.GetApplicationRevision" => {
            let application = text("applicationName");
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
        "AmazonSSM.GetParameter" => {
            let name = text("Name");
            match state.parameters.get(&name) {
                Some(value) => Response::json(
                    200,
                    json!({"Parameter": {"Name": name, "Type": "String", "Value": value, "Version": 1}}),
                ),
                None => Response::aws_json_error(400, "ParameterNotFound", ""),
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

/// The Lambda operation a REST request maps to, for fault injection.
fn lambda_operation(request: &Request) -> String {
    let tail = request
        .path
        .strip_prefix("/2015-03-31/functions/")
        .unwrap_or_default();
    let mut segments = tail.split('/');
    let _function = segments.next();
    match (request.method.as_str(), segments.next()) {
        ("GET", Some("configuration")) => "GetFunctionConfiguration",
        ("POST", Some("invocations")) => "Invoke",
        ("GET", Some("versions")) => "ListVersionsByFunction",
        ("GET", Some("aliases")) => "ListAliases",
        ("DELETE", None) => "DeleteFunction",
        _ => "Unknown",
    }
    .to_owned()
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name == key).then(|| value.replace("%24", "$"))
    })
}

fn lambda(state: &mut State, request: &Request) -> Response {
    let tail = request
        .path
        .strip_prefix("/2015-03-31/functions/")
        .unwrap_or_default();
    let function_name = tail.split('/').next().unwrap_or_default().to_owned();
    let qualifier = query_param(&request.query, "Qualifier");
    let operation = lambda_operation(request);
    let Some(function) = state.functions.get_mut(&function_name) else {
        return Response::rest_error(404, "ResourceNotFoundException", "Function not found");
    };
    let version = qualifier
        .as_deref()
        .and_then(|q| q.parse::<u64>().ok())
        .and_then(|number| function.versions.get(&number).cloned().map(|v| (number, v)));
    match operation.as_str() {
        "GetFunctionConfiguration" => match version {
            Some((number, fixture)) => Response::json(
                200,
                json!({"FunctionName": function_name, "Version": number.to_string(),
                       "State": fixture.state, "LastUpdateStatus": fixture.last_update_status}),
            ),
            None => Response::rest_error(404, "ResourceNotFoundException", "Version not found"),
        },
        "Invoke" => {
            let Some((number, fixture)) = version else {
                return Response::rest_error(404, "ResourceNotFoundException", "Version not found");
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
            let start: usize = query_param(&request.query, "Marker")
                .and_then(|marker| marker.parse().ok())
                .unwrap_or(0);
            let page: Vec<Value> = all
                .iter()
                .skip(start)
                .take(2)
                .map(|version| json!({"FunctionName": function_name, "Version": version}))
                .collect();
            let mut body = json!({"Versions": page});
            if start + 2 < all.len() {
                body["NextMarker"] = Value::String((start + 2).to_string());
            }
            Response::json(200, body)
        }
        "ListAliases" => {
            let start: usize = query_param(&request.query, "Marker")
                .and_then(|marker| marker.parse().ok())
                .unwrap_or(0);
            let page: Vec<Value> = function
                .aliases
                .iter()
                .skip(start)
                .take(1)
                .map(|alias| {
                    let mut entry = json!({"Name": alias.name, "FunctionVersion": alias.version});
                    if !alias.weights.is_empty() {
                        entry["RoutingConfig"] = json!({"AdditionalVersionWeights": alias.weights});
                    }
                    entry
                })
                .collect();
            let mut body = json!({"Aliases": page});
            if start + 1 < function.aliases.len() {
                body["NextMarker"] = Value::String((start + 1).to_string());
            }
            Response::json(200, body)
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
                function.versions.remove(&number);
                Response {
                    status: 204,
                    headers: Vec::new(),
                    body: Vec::new(),
                    delay: Duration::ZERO,
                }
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

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
