//! A local endpoint speaking the real wire protocols of the calls `gradual status` makes, so
//! the real SDK clients run against it through an endpoint URL:
//!
//! * CloudFormation, awsQuery: form-encoded `POST /` with `Action=…`, XML answers, XML errors;
//! * CodeDeploy, awsJson 1.1: `POST /` with `X-Amz-Target: CodeDeploy_20141006.<Operation>`;
//! * Lambda, REST-JSON: `GET /2015-03-31/functions/<name>/aliases/<alias>`;
//! * CloudWatch, Smithy RPC v2 CBOR (what aws-sdk-cloudwatch speaks since it left awsQuery):
//!   `POST /service/GraniteServiceVersion20100801/operation/<Operation>`, CBOR bodies, the
//!   `smithy-protocol: rpc-v2-cbor` header, and awsQuery-compatible error codes in
//!   `x-amzn-query-error`.
//!
//! The state is a script of [`World`]s: the N-th successful DescribeStacks answers from the
//! N-th world (the last one sticks), and every other call answers from the world DescribeStacks
//! last chose, so one refresh of `--watch` sees one consistent moment. Lists answer one or two
//! items a page, so callers must paginate. [`FakeAws::throttle_every_other_call`] answers every
//! other request with each protocol's throttling error.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};
use tokio::io::BufReader;
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Debug, Default)]
pub struct StackFixture {
    pub status: String,
    pub reason: Option<String>,
    /// The processed template, as GetTemplate returns it.
    pub template: String,
    /// `(logical ID, type, physical ID)`.
    pub resources: Vec<(String, String, String)>,
}

#[derive(Clone, Debug, Default)]
pub struct GroupFixture {
    pub config: String,
    pub alarms: Vec<String>,
    pub alarms_enabled: bool,
    pub last_attempted: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct EventFixture {
    pub name: String,
    pub status: String,
    pub start: Option<i64>,
    pub end: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct DeploymentFixture {
    pub application: String,
    pub group: String,
    pub status: String,
    pub creator: String,
    pub config: String,
    pub created: i64,
    pub completed: Option<i64>,
    pub error: Option<(String, String)>,
    pub rollback_id: Option<String>,
    pub rollback_of: Option<String>,
    pub rollback_message: Option<String>,
    pub function: String,
    pub alias: String,
    pub current_version: String,
    pub target_version: String,
    pub events: Vec<EventFixture>,
}

#[derive(Clone, Debug, Default)]
pub struct AliasFixture {
    pub version: String,
    pub weights: BTreeMap<String, f64>,
}

/// AWS at one moment.
#[derive(Clone, Debug, Default)]
pub struct World {
    pub stacks: BTreeMap<String, StackFixture>,
    /// Keyed by `(application, group)`.
    pub groups: BTreeMap<(String, String), GroupFixture>,
    pub deployments: BTreeMap<String, DeploymentFixture>,
    /// Keyed by `(function, alias)`.
    pub aliases: BTreeMap<(String, String), AliasFixture>,
    /// Alarm name → state; composite alarms are listed separately.
    pub alarms: BTreeMap<String, String>,
    pub composite_alarms: BTreeMap<String, String>,
    /// Deployment config name → its `trafficRoutingConfig`.
    pub configs: BTreeMap<String, Value>,
}

/// One request as received.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `cloudformation:DescribeStacks`, `codedeploy:StopDeployment`, `lambda:GetAlias`,
    /// `cloudwatch:DescribeAlarms`.
    pub operation: String,
    /// The parameters: form fields, the JSON body, or the CBOR body turned into JSON.
    pub params: Value,
    pub status: u16,
}

#[derive(Debug, Default)]
pub struct State {
    pub script: Vec<World>,
    /// Successful DescribeStacks answers so far.
    pub describes: usize,
    /// The world answering now.
    pub current: usize,
    pub throttle: bool,
    pub calls: usize,
    pub requests: Vec<Recorded>,
}

impl State {
    fn world(&mut self) -> &mut World {
        let last = self.script.len().saturating_sub(1);
        let index = self.current.min(last);
        if self.script.is_empty() {
            self.script.push(World::default());
        }
        &mut self.script[index]
    }
}

#[derive(Clone, Debug)]
pub struct FakeAws {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FakeAws {
    /// Starts the endpoint on 127.0.0.1 on its own runtime thread, serving `script`.
    pub fn start(script: Vec<World>) -> FakeAws {
        let state = Arc::new(Mutex::new(State {
            script,
            ..State::default()
        }));
        let (sender, receiver) = std::sync::mpsc::channel();
        let serving = Arc::clone(&state);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind 127.0.0.1:0");
                let address = listener.local_addr().expect("local address");
                sender.send(address).expect("hand over the address");
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve_connection(stream, Arc::clone(&serving)));
                }
            });
        });
        let address = receiver.recv().expect("endpoint started");
        FakeAws {
            endpoint: format!("http://{address}"),
            state,
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn throttle_every_other_call(&self) {
        self.state().throttle = true;
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }

    pub fn requests_to(&self, operation: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|request| request.operation == operation)
            .collect()
    }
}

use gradual_fake_http::{read_request, write_response, Request};

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn xml(status: u16, body: String) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "text/xml".into())],
            body: body.into_bytes(),
        }
    }

    fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "application/x-amz-json-1.1".into())],
            body: body.to_string().into_bytes(),
        }
    }

    fn cbor(status: u16, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![
                ("content-type".into(), "application/cbor".into()),
                ("smithy-protocol".into(), "rpc-v2-cbor".into()),
            ],
            body,
        }
    }
}

async fn serve_connection(stream: TcpStream, state: Arc<Mutex<State>>) {
    let _ = stream.set_nodelay(true);
    let mut stream = BufReader::new(stream);
    while let Some(request) = read_request(&mut stream).await {
        let response = {
            let mut state = state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            route(&request, &mut state)
        };
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

const CLOUDWATCH_PREFIX: &str = "/service/GraniteServiceVersion20100801/operation/";
const LAMBDA_PREFIX: &str = "/2015-03-31/functions/";

fn route(request: &Request, state: &mut State) -> Response {
    let content_type = request
        .headers
        .get("content-type")
        .cloned()
        .unwrap_or_default();
    let (operation, params) = if let Some(target) = request.headers.get("x-amz-target") {
        let name = target
            .strip_prefix("CodeDeploy_20141006.")
            .unwrap_or(target);
        (
            format!("codedeploy:{name}"),
            serde_json::from_slice(&request.body).unwrap_or(Value::Null),
        )
    } else if let Some(name) = request.path.strip_prefix(CLOUDWATCH_PREFIX) {
        (
            format!("cloudwatch:{name}"),
            cbor::to_json(&request.body).unwrap_or(Value::Null),
        )
    } else if let Some(rest) = request.path.strip_prefix(LAMBDA_PREFIX) {
        let parts: Vec<&str> = rest.split('/').collect();
        let name = match (request.method.as_str(), parts.as_slice()) {
            ("GET", [_, "aliases", _]) => "GetAlias",
            _ => "Unknown",
        };
        (
            format!("lambda:{name}"),
            json!({"path": parts.iter().map(|part| percent_decode(part)).collect::<Vec<_>>()}),
        )
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let form = parse_form(&String::from_utf8_lossy(&request.body));
        let action = form.get("Action").cloned().unwrap_or_default();
        (
            format!("cloudformation:{action}"),
            Value::Object(
                form.into_iter()
                    .map(|(key, value)| (key, Value::String(value)))
                    .collect(),
            ),
        )
    } else {
        ("unknown".to_owned(), Value::Null)
    };
    state.calls += 1;
    let response = if state.throttle && state.calls % 2 == 1 {
        throttled(&operation)
    } else {
        answer(state, &operation, &params, request)
    };
    state.requests.push(Recorded {
        operation,
        params,
        status: response.status,
    });
    response
}

fn throttled(operation: &str) -> Response {
    match operation.split_once(':').map(|(service, _)| service) {
        Some("cloudformation") => query_error("Throttling", "Rate exceeded"),
        Some("codedeploy") => Response::json(
            400,
            &json!({"__type": "ThrottlingException", "message": "Rate exceeded"}),
        ),
        Some("lambda") => rest_error(429, "TooManyRequestsException", "Rate exceeded"),
        _ => cloudwatch_error(400, "Throttling", "Rate exceeded"),
    }
}

fn answer(state: &mut State, operation: &str, params: &Value, request: &Request) -> Response {
    let text = |key: &str| {
        params
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match operation {
        "cloudformation:DescribeStacks" => {
            let last = state.script.len().saturating_sub(1);
            state.current = state.describes.min(last);
            let name = text("StackName");
            let Some(stack) = state.world().stacks.get(&name).cloned() else {
                return query_error(
                    "ValidationError",
                    &format!("Stack with id {name} does not exist"),
                );
            };
            state.describes += 1;
            let reason = stack
                .reason
                .as_ref()
                .map(|reason| {
                    format!(
                        "<StackStatusReason>{}</StackStatusReason>",
                        xml_escape(reason)
                    )
                })
                .unwrap_or_default();
            query_ok(
                "DescribeStacks",
                &format!(
                    "<Stacks><member><StackName>{name}</StackName>\
                     <StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/{name}/1</StackId>\
                     <CreationTime>2026-03-01T09:00:00.000Z</CreationTime>\
                     <StackStatus>{}</StackStatus>{reason}</member></Stacks>",
                    stack.status
                ),
            )
        }
        "cloudformation:GetTemplate" => {
            let name = text("StackName");
            if text("TemplateStage") != "Processed" {
                return query_error(
                    "ValidationError",
                    "the fake serves only the Processed stage",
                );
            }
            match state.world().stacks.get(&name) {
                Some(stack) => query_ok(
                    "GetTemplate",
                    &format!(
                        "<TemplateBody>{}</TemplateBody><StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable>",
                        xml_escape(&stack.template)
                    ),
                ),
                None => query_error(
                    "ValidationError",
                    &format!("Stack with id {name} does not exist"),
                ),
            }
        }
        "cloudformation:ListStackResources" => {
            let name = text("StackName");
            let Some(stack) = state.world().stacks.get(&name).cloned() else {
                return query_error(
                    "ValidationError",
                    &format!("Stack with id {name} does not exist"),
                );
            };
            let start: usize = text("NextToken").parse().unwrap_or(0);
            let mut members = String::new();
            for (logical, kind, physical) in stack.resources.iter().skip(start).take(2) {
                members.push_str(&format!(
                    "<member><LogicalResourceId>{logical}</LogicalResourceId>\
                     <PhysicalResourceId>{}</PhysicalResourceId>\
                     <ResourceType>{kind}</ResourceType>\
                     <LastUpdatedTimestamp>2026-03-01T09:00:00.000Z</LastUpdatedTimestamp>\
                     <ResourceStatus>UPDATE_COMPLETE</ResourceStatus></member>",
                    xml_escape(physical)
                ));
            }
            let next = if start + 2 < stack.resources.len() {
                format!("<NextToken>{}</NextToken>", start + 2)
            } else {
                String::new()
            };
            query_ok(
                "ListStackResources",
                &format!("<StackResourceSummaries>{members}</StackResourceSummaries>{next}"),
            )
        }
        "codedeploy:ListDeployments" => {
            let key = (text("applicationName"), text("deploymentGroupName"));
            let world = state.world();
            if !world.groups.contains_key(&key) {
                return group_missing();
            }
            let statuses: Vec<&str> = params
                .get("includeOnlyStatuses")
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let ids: Vec<&String> = world
                .deployments
                .iter()
                .filter(|(_, deployment)| {
                    (deployment.application.as_str(), deployment.group.as_str())
                        == (key.0.as_str(), key.1.as_str())
                        && (statuses.is_empty() || statuses.contains(&deployment.status.as_str()))
                })
                .map(|(id, _)| id)
                .collect();
            page(&ids, params, "deployments")
        }
        "codedeploy:GetDeploymentGroup" => {
            let key = (text("applicationName"), text("deploymentGroupName"));
            let world = state.world();
            let Some(group) = world.groups.get(&key) else {
                return group_missing();
            };
            let mut info = json!({
                "applicationName": key.0,
                "deploymentGroupName": key.1,
                "deploymentConfigName": group.config,
                "computePlatform": "Lambda",
                "alarmConfiguration": {
                    "enabled": group.alarms_enabled,
                    "ignorePollAlarmFailure": false,
                    "alarms": group.alarms.iter().map(|name| json!({"name": name})).collect::<Vec<_>>(),
                },
            });
            if let Some(id) = &group.last_attempted {
                if let Some(deployment) = world.deployments.get(id) {
                    info["lastAttemptedDeployment"] = json!({
                        "deploymentId": id,
                        "status": deployment.status,
                        "createTime": deployment.created,
                    });
                }
            }
            Response::json(200, &json!({"deploymentGroupInfo": info}))
        }
        "codedeploy:BatchGetDeployments" => {
            let world = state.world();
            let ids = string_list(params, "deploymentIds");
            if ids.len() > 25 {
                return Response::json(
                    400,
                    &json!({"__type": "BatchLimitExceededException", "message": "too many"}),
                );
            }
            let infos: Vec<Value> = ids
                .iter()
                .filter_map(|id| world.deployments.get(id).map(|deployment| (id, deployment)))
                .map(|(id, deployment)| deployment_info(id, deployment))
                .collect();
            Response::json(200, &json!({"deploymentsInfo": infos}))
        }
        "codedeploy:ListDeploymentTargets" => {
            let id = text("deploymentId");
            match state.world().deployments.get(&id) {
                Some(deployment) => {
                    let target = format!("{}:{}", deployment.function, deployment.alias);
                    page(&[&target], params, "targetIds")
                }
                None => Response::json(
                    400,
                    &json!({"__type": "DeploymentDoesNotExistException", "message": "no such deployment"}),
                ),
            }
        }
        "codedeploy:BatchGetDeploymentTargets" => {
            let id = text("deploymentId");
            let Some(deployment) = state.world().deployments.get(&id).cloned() else {
                return Response::json(
                    400,
                    &json!({"__type": "DeploymentDoesNotExistException", "message": "no such deployment"}),
                );
            };
            let targets: Vec<Value> = string_list(params, "targetIds")
                .iter()
                .map(|target| {
                    json!({
                        "deploymentTargetType": "LambdaTarget",
                        "lambdaTarget": {
                            "deploymentId": id,
                            "targetId": target,
                            "targetArn": format!("arn:aws:lambda:eu-west-1:123456789012:function:{target}"),
                            "status": deployment.status,
                            "lifecycleEvents": deployment.events.iter().map(event_json).collect::<Vec<_>>(),
                            "lambdaFunctionInfo": {
                                "functionName": deployment.function,
                                "functionAlias": deployment.alias,
                                "currentVersion": deployment.current_version,
                                "targetVersion": deployment.target_version,
                            },
                        },
                    })
                })
                .collect();
            Response::json(200, &json!({"deploymentTargets": targets}))
        }
        "codedeploy:GetDeploymentConfig" => {
            let name = text("deploymentConfigName");
            match state.world().configs.get(&name) {
                Some(routing) => Response::json(
                    200,
                    &json!({"deploymentConfigInfo": {
                        "deploymentConfigName": name,
                        "computePlatform": "Lambda",
                        "trafficRoutingConfig": routing,
                    }}),
                ),
                None => Response::json(
                    400,
                    &json!({"__type": "DeploymentConfigDoesNotExistException", "message": name}),
                ),
            }
        }
        "codedeploy:StopDeployment" => {
            let id = text("deploymentId");
            match state.world().deployments.get(&id) {
                Some(deployment)
                    if ["Created", "Queued", "InProgress", "Baking", "Ready"]
                        .contains(&deployment.status.as_str()) =>
                {
                    Response::json(
                        200,
                        &json!({"status": "Pending", "statusMessage": "Stopping deployment"}),
                    )
                }
                Some(_) => Response::json(
                    400,
                    &json!({"__type": "DeploymentAlreadyCompletedException", "message": "The deployment is already completed"}),
                ),
                None => Response::json(
                    400,
                    &json!({"__type": "DeploymentDoesNotExistException", "message": "no such deployment"}),
                ),
            }
        }
        "lambda:GetAlias" => {
            let path = params
                .get("path")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let part = |index: usize| {
                path.get(index)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let (function, alias) = (part(0), part(2));
            match state
                .world()
                .aliases
                .get(&(function.clone(), alias.clone()))
            {
                Some(fixture) => {
                    let mut body = json!({
                        "AliasArn": format!("arn:aws:lambda:eu-west-1:123456789012:function:{function}:{alias}"),
                        "Name": alias,
                        "FunctionVersion": fixture.version,
                    });
                    if !fixture.weights.is_empty() {
                        body["RoutingConfig"] =
                            json!({"AdditionalVersionWeights": fixture.weights});
                    }
                    let mut response = Response::json(200, &body);
                    response.headers = vec![("content-type".into(), "application/json".into())];
                    response
                }
                None => rest_error(404, "ResourceNotFoundException", "Alias not found"),
            }
        }
        "cloudwatch:DescribeAlarms" => {
            if request.headers.get("smithy-protocol").map(String::as_str) != Some("rpc-v2-cbor") {
                return cloudwatch_error(
                    400,
                    "InvalidParameterValue",
                    "not an RPC v2 CBOR request",
                );
            }
            let world = state.world();
            let names = string_list(params, "AlarmNames");
            let types = string_list(params, "AlarmTypes");
            let mut found: Vec<(bool, String, String)> = Vec::new();
            for name in &names {
                if let Some(state) = world.alarms.get(name) {
                    found.push((false, name.clone(), state.clone()));
                }
                if types.iter().any(|kind| kind == "CompositeAlarm") {
                    if let Some(state) = world.composite_alarms.get(name) {
                        found.push((true, name.clone(), state.clone()));
                    }
                }
            }
            // One alarm a page, so that callers must follow NextToken.
            let start: usize = params
                .get("NextToken")
                .and_then(Value::as_str)
                .and_then(|token| token.parse().ok())
                .unwrap_or(0);
            let shown: Vec<&(bool, String, String)> = found.iter().skip(start).take(1).collect();
            let next = (start + 1 < found.len()).then(|| (start + 1).to_string());
            Response::cbor(200, cbor::alarms_page(&shown, next.as_deref()))
        }
        _ => Response::json(
            400,
            &json!({"__type": "UnknownOperationException", "message": operation}),
        ),
    }
}

fn deployment_info(id: &str, deployment: &DeploymentFixture) -> Value {
    let mut info = json!({
        "deploymentId": id,
        "applicationName": deployment.application,
        "deploymentGroupName": deployment.group,
        "deploymentConfigName": deployment.config,
        "status": deployment.status,
        "creator": deployment.creator,
        "computePlatform": "Lambda",
        "createTime": deployment.created,
    });
    if let Some(completed) = deployment.completed {
        info["completeTime"] = json!(completed);
    }
    if let Some((code, message)) = &deployment.error {
        info["errorInformation"] = json!({"code": code, "message": message});
    }
    let mut rollback = serde_json::Map::new();
    if let Some(rollback_id) = &deployment.rollback_id {
        rollback.insert("rollbackDeploymentId".into(), json!(rollback_id));
    }
    if let Some(original) = &deployment.rollback_of {
        rollback.insert("rollbackTriggeringDeploymentId".into(), json!(original));
    }
    if let Some(message) = &deployment.rollback_message {
        rollback.insert("rollbackMessage".into(), json!(message));
    }
    if !rollback.is_empty() {
        info["rollbackInfo"] = Value::Object(rollback);
    }
    info
}

fn event_json(event: &EventFixture) -> Value {
    let mut value = json!({"lifecycleEventName": event.name, "status": event.status});
    if let Some(start) = event.start {
        value["startTime"] = json!(start);
    }
    if let Some(end) = event.end {
        value["endTime"] = json!(end);
    }
    value
}

/// One item a page under `key`, with a `nextToken`.
fn page(items: &[&String], params: &Value, key: &str) -> Response {
    let start: usize = params
        .get("nextToken")
        .and_then(Value::as_str)
        .and_then(|token| token.parse().ok())
        .unwrap_or(0);
    let mut body = json!({ key: items.iter().skip(start).take(1).collect::<Vec<_>>() });
    if start + 1 < items.len() {
        body["nextToken"] = json!((start + 1).to_string());
    }
    Response::json(200, &body)
}

fn string_list(params: &Value, key: &str) -> Vec<String> {
    params
        .get(key)
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn group_missing() -> Response {
    Response::json(
        400,
        &json!({"__type": "DeploymentGroupDoesNotExistException", "message": "No Deployment Group found"}),
    )
}

fn query_ok(action: &str, result: &str) -> Response {
    Response::xml(
        200,
        format!(
            "<{action}Response xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
             <{action}Result>{result}</{action}Result>\
             <ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata>\
             </{action}Response>"
        ),
    )
}

fn query_error(code: &str, message: &str) -> Response {
    Response::xml(
        400,
        format!(
            "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
             <Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error>\
             <RequestId>fake-request</RequestId></ErrorResponse>",
            xml_escape(message)
        ),
    )
}

fn rest_error(status: u16, error_type: &str, message: &str) -> Response {
    Response {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-amzn-errortype".into(), error_type.into()),
        ],
        body: json!({"Type": "User", "message": message})
            .to_string()
            .into_bytes(),
    }
}

fn cloudwatch_error(status: u16, query_code: &str, message: &str) -> Response {
    let mut response = Response::cbor(status, cbor::error(query_code, message));
    response
        .headers
        .push(("x-amzn-query-error".into(), format!("{query_code};Sender")));
    response
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn parse_form(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).ok();
                match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        index += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Just enough CBOR (RFC 8949) for DescribeAlarms, on minicbor.
mod cbor {
    use minicbor::data::Type;
    use minicbor::{Decoder, Encoder};
    use serde_json::{Map, Value};

    /// A request body as JSON: maps, arrays, text, integers, booleans.
    pub fn to_json(bytes: &[u8]) -> Option<Value> {
        if bytes.is_empty() {
            return Some(Value::Object(Map::new()));
        }
        value(&mut Decoder::new(bytes))
    }

    fn value(decoder: &mut Decoder<'_>) -> Option<Value> {
        match decoder.datatype().ok()? {
            Type::Map | Type::MapIndef => {
                let mut object = Map::new();
                match decoder.map().ok()? {
                    Some(count) => {
                        for _ in 0..count {
                            let key = decoder.str().ok()?.to_owned();
                            object.insert(key, value(decoder)?);
                        }
                    }
                    None => loop {
                        if decoder.datatype().ok()? == Type::Break {
                            decoder.skip().ok()?;
                            break;
                        }
                        let key = decoder.str().ok()?.to_owned();
                        object.insert(key, value(decoder)?);
                    },
                }
                Some(Value::Object(object))
            }
            Type::Array | Type::ArrayIndef => {
                let mut items = Vec::new();
                match decoder.array().ok()? {
                    Some(count) => {
                        for _ in 0..count {
                            items.push(value(decoder)?);
                        }
                    }
                    None => loop {
                        if decoder.datatype().ok()? == Type::Break {
                            decoder.skip().ok()?;
                            break;
                        }
                        items.push(value(decoder)?);
                    },
                }
                Some(Value::Array(items))
            }
            Type::String => Some(Value::String(decoder.str().ok()?.to_owned())),
            Type::Bool => Some(Value::Bool(decoder.bool().ok()?)),
            Type::U8 | Type::U16 | Type::U32 | Type::U64 => Some(Value::from(decoder.u64().ok()?)),
            Type::I8 | Type::I16 | Type::I32 | Type::I64 => Some(Value::from(decoder.i64().ok()?)),
            _ => {
                decoder.skip().ok()?;
                Some(Value::Null)
            }
        }
    }

    /// `{MetricAlarms: [...], CompositeAlarms: [...], NextToken?}`.
    pub fn alarms_page(alarms: &[&(bool, String, String)], next: Option<&str>) -> Vec<u8> {
        let mut encoder = Encoder::new(Vec::new());
        let metric: Vec<_> = alarms.iter().filter(|(composite, ..)| !composite).collect();
        let composite: Vec<_> = alarms.iter().filter(|(composite, ..)| *composite).collect();
        let entries = 2 + u64::from(next.is_some());
        let _ = encoder.map(entries);
        for (key, list) in [("MetricAlarms", &metric), ("CompositeAlarms", &composite)] {
            let _ = encoder.str(key);
            let _ = encoder.array(list.len() as u64);
            for (_, name, state) in list.iter() {
                let _ = encoder.map(3);
                let _ = encoder.str("AlarmName").and_then(|e| e.str(name));
                let _ = encoder.str("StateValue").and_then(|e| e.str(state));
                // A timestamp is tag 1 (epoch seconds) in RPC v2 CBOR.
                let _ = encoder
                    .str("StateUpdatedTimestamp")
                    .and_then(|e| e.tag(minicbor::data::Tag::new(1)))
                    .and_then(|e| e.f64(1_772_355_600.0));
            }
        }
        if let Some(next) = next {
            let _ = encoder.str("NextToken").and_then(|e| e.str(next));
        }
        encoder.into_writer()
    }

    pub fn error(code: &str, message: &str) -> Vec<u8> {
        let mut encoder = Encoder::new(Vec::new());
        let _ = encoder.map(2);
        let _ = encoder
            .str("__type")
            .and_then(|e| e.str(&format!("com.amazonaws.cloudwatch#{code}")));
        let _ = encoder.str("message").and_then(|e| e.str(message));
        encoder.into_writer()
    }
}
