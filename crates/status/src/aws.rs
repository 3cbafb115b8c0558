//! The AWS calls: SDK answers in, [`crate::model`] records out. Every list is paginated; the
//! SDK's standard retry configuration (from the environment and profile) retries throttling.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_config::BehaviorVersion;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::TemplateStage;
use aws_sdk_cloudwatch::types::AlarmType;
use aws_sdk_codedeploy::primitives::DateTime;
use aws_sdk_codedeploy::types::{DeploymentStatus as CodeDeployStatus, TrafficRoutingType};

use crate::model::{
    choose, AliasRecord, Choice, DeploymentRecord, ErrorInfo, FunctionStatus, LifecycleRecord,
    Observed, Schedule, Snapshot, TargetRecord, IN_FLIGHT,
};
use crate::template::{discover, Discovery, StackResource, Target};
use crate::Error;

/// BatchGetDeployments and BatchGetDeploymentTargets take at most 25 ids.
const CODEDEPLOY_BATCH: usize = 25;
/// DescribeAlarms takes at most 100 names.
const ALARM_BATCH: usize = 100;

/// Error codes that mean the caller's credentials were refused, not that the call was wrong.
const CREDENTIAL_CODES: [&str; 6] = [
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
];

/// How many functions are fetched at once: enough that a refresh of a large stack takes a few
/// round trips, few enough not to run into CodeDeploy's request rate.
const CONCURRENT_FUNCTIONS: usize = 8;

/// The four service clients, sharing one configuration. Cloning is cheap (the SDK clients and
/// the cache are shared).
#[derive(Clone, Debug)]
pub struct Clients {
    region: String,
    cloudformation: aws_sdk_cloudformation::Client,
    codedeploy: aws_sdk_codedeploy::Client,
    lambda: aws_sdk_lambda::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    /// Deployment configs don't change under a name; GetDeploymentConfig once per name.
    schedules: Arc<Mutex<BTreeMap<String, Option<Schedule>>>>,
}

impl Clients {
    /// Standard configuration: `--region`/`--profile` first, then the environment
    /// (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, ...) and the shared config files.
    /// Fails early, and clearly, without a region or credentials.
    pub async fn connect(
        region: Option<&str>,
        profile: Option<&str>,
        endpoint_url: Option<&str>,
    ) -> Result<Clients, Error> {
        use aws_sdk_cloudformation::config::ProvideCredentials as _;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(gradual_aws_http::https_client());
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region.to_owned()));
        }
        if let Some(profile) = profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        let region = config
            .region()
            .map(ToString::to_string)
            .ok_or(Error::NoRegion)?;
        let provider = config
            .credentials_provider()
            .ok_or_else(|| Error::NoCredentials("no credentials provider is configured".into()))?;
        provider
            .provide_credentials()
            .await
            .map_err(|error| Error::NoCredentials(DisplayErrorContext(&error).to_string()))?;
        Ok(Clients {
            region,
            cloudformation: aws_sdk_cloudformation::Client::new(&config),
            codedeploy: aws_sdk_codedeploy::Client::new(&config),
            lambda: aws_sdk_lambda::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            schedules: Arc::new(Mutex::new(BTreeMap::new())),
        })
    }

    /// The stack's status and status reason.
    pub async fn stack_status(&self, stack: &str) -> Result<(String, Option<String>), Error> {
        let answer = self
            .cloudformation
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
            .map_err(|error| {
                let missing = error.code() == Some("ValidationError")
                    && error
                        .message()
                        .is_some_and(|message| message.contains("does not exist"));
                if missing {
                    Error::UnknownStack {
                        stack: stack.to_owned(),
                        region: self.region.clone(),
                    }
                } else {
                    failure("DescribeStacks", error)
                }
            })?;
        let found = answer.stacks().first().ok_or_else(|| Error::UnknownStack {
            stack: stack.to_owned(),
            region: self.region.clone(),
        })?;
        Ok((
            found
                .stack_status()
                .map(|status| status.as_str().to_owned())
                .unwrap_or_default(),
            found.stack_status_reason().map(str::to_owned),
        ))
    }

    /// The stack's gradual functions: the processed template's aliases with a CodeDeploy
    /// update policy, named from the stack's resources.
    pub async fn discover(&self, stack: &str) -> Result<Discovery, Error> {
        let template = self
            .cloudformation
            .get_template()
            .stack_name(stack)
            .template_stage(TemplateStage::Processed)
            .send()
            .await
            .map_err(|error| failure("GetTemplate", error))?;
        let body = template.template_body().unwrap_or("{}");
        let (document, _) = gradual_yaml::parse_any(body).map_err(|error| Error::Template {
            stack: stack.to_owned(),
            message: error.to_string(),
        })?;
        let summaries: Vec<_> = self
            .cloudformation
            .list_stack_resources()
            .stack_name(stack)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|error| failure("ListStackResources", error))?;
        let resources: Vec<StackResource> = summaries
            .iter()
            .map(|summary| StackResource {
                logical_id: summary.logical_resource_id().unwrap_or_default().to_owned(),
                resource_type: summary.resource_type().unwrap_or_default().to_owned(),
                physical_id: summary
                    .physical_resource_id()
                    .filter(|id| !id.is_empty())
                    .map(str::to_owned),
            })
            .collect();
        Ok(discover(&document.value, &resources))
    }

    /// The stack's status and every function's deployment, now.
    pub async fn snapshot(
        &self,
        stack: &str,
        status: (String, Option<String>),
        discovery: &Discovery,
    ) -> Result<Snapshot, Error> {
        let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_FUNCTIONS));
        let mut tasks = tokio::task::JoinSet::new();
        for (index, target) in discovery.targets.iter().cloned().enumerate() {
            let clients = self.clone();
            let permits = Arc::clone(&permits);
            tasks.spawn(async move {
                // The semaphore is never closed, so acquiring only waits.
                let _permit = permits.acquire_owned().await.ok();
                let observed = clients.observe(&target).await;
                (
                    index,
                    observed.map(|observed| FunctionStatus::build(target, observed)),
                )
            });
        }
        let mut slots: Vec<Option<FunctionStatus>> = vec![None; discovery.targets.len()];
        while let Some(joined) = tasks.join_next().await {
            let (index, function) = joined.map_err(|error| Error::Aws {
                operation: "a refresh task",
                message: error.to_string(),
            })?;
            if let Some(slot) = slots.get_mut(index) {
                *slot = Some(function?);
            }
        }
        // In template order, whatever order the answers came in.
        let functions = slots.into_iter().flatten().collect();
        Ok(Snapshot {
            stack: stack.to_owned(),
            stack_status: status.0,
            stack_status_reason: status.1,
            functions,
            skipped: discovery.skipped.clone(),
        })
    }

    async fn observe(&self, target: &Target) -> Result<Observed, Error> {
        let mut observed = Observed::default();
        // In-flight deployments first, the group (with its last attempted one) second: a
        // deployment finishing in between is then still seen as the last attempted one.
        let in_flight: Vec<String> = match self
            .codedeploy
            .list_deployments()
            .application_name(&target.application)
            .deployment_group_name(&target.deployment_group)
            .set_include_only_statuses(Some(
                IN_FLIGHT
                    .iter()
                    .copied()
                    .map(CodeDeployStatus::from)
                    .collect(),
            ))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
        {
            Ok(ids) => ids,
            Err(error) if is_missing_group(error.code()) => return Ok(observed),
            Err(error) => return Err(failure("ListDeployments", error)),
        };
        let group = match self
            .codedeploy
            .get_deployment_group()
            .application_name(&target.application)
            .deployment_group_name(&target.deployment_group)
            .send()
            .await
        {
            Ok(answer) => answer.deployment_group_info,
            Err(error) if is_missing_group(error.code()) => return Ok(observed),
            Err(error) => return Err(failure("GetDeploymentGroup", error)),
        };
        observed.group_exists = true;
        let last_attempted = group.as_ref().and_then(|group| {
            group
                .last_attempted_deployment()
                .and_then(|last| last.deployment_id())
                .map(str::to_owned)
        });
        if let Some(group) = &group {
            observed.deployment_config = group.deployment_config_name().map(str::to_owned);
            if let Some(alarms) = group.alarm_configuration() {
                observed.alarms_enabled = alarms.enabled();
                observed.alarm_names = alarms
                    .alarms()
                    .iter()
                    .filter_map(|alarm| alarm.name().map(str::to_owned))
                    .collect();
            }
        }
        let candidates = if in_flight.is_empty() {
            last_attempted.into_iter().collect()
        } else {
            in_flight
        };
        let (deployment, rollback) = match choose(self.deployments(&candidates).await?) {
            Choice::None => return Ok(observed),
            Choice::Deployment(deployment) => {
                let rollback = match &deployment.rollback_deployment_id {
                    Some(id) => self.deployments(std::slice::from_ref(id)).await?.pop(),
                    None => None,
                };
                (deployment, rollback)
            }
            Choice::RolledBack { original, rollback } => {
                match self
                    .deployments(std::slice::from_ref(&original))
                    .await?
                    .pop()
                {
                    Some(deployment) => (deployment, Some(rollback)),
                    // The original is gone (CodeDeploy keeps history for a limited time).
                    None => (rollback, None),
                }
            }
        };
        observed.target = self.lambda_target(&deployment.id).await?;
        let config = deployment
            .config_name
            .clone()
            .or_else(|| observed.deployment_config.clone());
        if let Some(config) = config {
            observed.schedule = self.schedule(&config).await?;
        }
        observed.deployment = Some(deployment);
        observed.rollback = rollback;
        observed.alias = self.alias(&target.function_name, &target.alias).await?;
        observed.alarm_states = self.alarm_states(&observed.alarm_names).await?;
        Ok(observed)
    }

    async fn deployments(&self, ids: &[String]) -> Result<Vec<DeploymentRecord>, Error> {
        let mut records = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CODEDEPLOY_BATCH) {
            let answer = self
                .codedeploy
                .batch_get_deployments()
                .set_deployment_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|error| failure("BatchGetDeployments", error))?;
            records.extend(answer.deployments_info().iter().map(|info| {
                DeploymentRecord {
                    id: info.deployment_id().unwrap_or_default().to_owned(),
                    status: info
                        .status()
                        .map(|status| status.as_str().to_owned())
                        .unwrap_or_default(),
                    creator: info.creator().map(|creator| creator.as_str().to_owned()),
                    config_name: info.deployment_config_name().map(str::to_owned),
                    create_time: info.create_time().map(DateTime::secs),
                    complete_time: info.complete_time().map(DateTime::secs),
                    error: info.error_information().map(|error| ErrorInfo {
                        code: error.code().map(|code| code.as_str().to_owned()),
                        message: error.message().map(str::to_owned),
                    }),
                    rollback_deployment_id: info
                        .rollback_info()
                        .and_then(|rollback| rollback.rollback_deployment_id())
                        .map(str::to_owned),
                    rollback_triggering_id: info
                        .rollback_info()
                        .and_then(|rollback| rollback.rollback_triggering_deployment_id())
                        .map(str::to_owned),
                    rollback_message: info
                        .rollback_info()
                        .and_then(|rollback| rollback.rollback_message())
                        .map(str::to_owned),
                }
            }));
        }
        Ok(records)
    }

    async fn lambda_target(&self, deployment_id: &str) -> Result<Option<TargetRecord>, Error> {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .codedeploy
                .list_deployment_targets()
                .deployment_id(deployment_id)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|error| failure("ListDeploymentTargets", error))?;
            ids.extend(page.target_ids().iter().cloned());
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        for chunk in ids.chunks(CODEDEPLOY_BATCH) {
            let answer = self
                .codedeploy
                .batch_get_deployment_targets()
                .deployment_id(deployment_id)
                .set_target_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|error| failure("BatchGetDeploymentTargets", error))?;
            // A Lambda deployment has one target: the alias.
            let lambda = answer
                .deployment_targets()
                .iter()
                .find_map(|target| target.lambda_target());
            if let Some(lambda) = lambda {
                let info = lambda.lambda_function_info();
                return Ok(Some(TargetRecord {
                    current_version: info
                        .and_then(|info| info.current_version())
                        .map(str::to_owned),
                    target_version: info
                        .and_then(|info| info.target_version())
                        .map(str::to_owned),
                    lifecycle_events: lambda
                        .lifecycle_events()
                        .iter()
                        .map(|event| LifecycleRecord {
                            name: event.lifecycle_event_name().unwrap_or_default().to_owned(),
                            status: event
                                .status()
                                .map(|status| status.as_str().to_owned())
                                .unwrap_or_default(),
                            start_time: event.start_time().map(DateTime::secs),
                            end_time: event.end_time().map(DateTime::secs),
                        })
                        .collect(),
                }));
            }
        }
        Ok(None)
    }

    async fn schedule(&self, config: &str) -> Result<Option<Schedule>, Error> {
        if let Some(known) = self.lock_schedules().get(config) {
            return Ok(*known);
        }
        let answer = self
            .codedeploy
            .get_deployment_config()
            .deployment_config_name(config)
            .send()
            .await
            .map_err(|error| failure("GetDeploymentConfig", error))?;
        let routing = answer
            .deployment_config_info()
            .and_then(|info| info.traffic_routing_config());
        let count = |value: i32| u32::try_from(value).unwrap_or(0);
        let schedule = routing.and_then(|routing| match routing.r#type() {
            Some(TrafficRoutingType::AllAtOnce) => Some(Schedule::AllAtOnce),
            Some(TrafficRoutingType::TimeBasedCanary) => {
                routing.time_based_canary().map(|canary| Schedule::Canary {
                    percent: count(canary.canary_percentage()),
                    minutes: count(canary.canary_interval()),
                })
            }
            Some(TrafficRoutingType::TimeBasedLinear) => {
                routing.time_based_linear().map(|linear| Schedule::Linear {
                    percent: count(linear.linear_percentage()),
                    minutes: count(linear.linear_interval()),
                })
            }
            _ => None,
        });
        self.lock_schedules().insert(config.to_owned(), schedule);
        Ok(schedule)
    }

    fn lock_schedules(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Option<Schedule>>> {
        self.schedules
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn alias(&self, function: &str, alias: &str) -> Result<Option<AliasRecord>, Error> {
        match self
            .lambda
            .get_alias()
            .function_name(function)
            .name(alias)
            .send()
            .await
        {
            Ok(answer) => Ok(Some(AliasRecord {
                function_version: answer.function_version().unwrap_or_default().to_owned(),
                weights: answer
                    .routing_config()
                    .and_then(|routing| routing.additional_version_weights())
                    .map(|weights| {
                        weights
                            .iter()
                            .map(|(version, weight)| (version.clone(), *weight))
                            .collect()
                    })
                    .unwrap_or_default(),
            })),
            Err(error) if error.code() == Some("ResourceNotFoundException") => Ok(None),
            Err(error) => Err(failure("GetAlias", error)),
        }
    }

    async fn alarm_states(&self, names: &[String]) -> Result<BTreeMap<String, String>, Error> {
        let mut states = BTreeMap::new();
        for chunk in names.chunks(ALARM_BATCH) {
            let mut pages = self
                .cloudwatch
                .describe_alarms()
                .set_alarm_names(Some(chunk.to_vec()))
                // Without AlarmTypes only metric alarms come back, and a deployment group
                // may watch composite ones.
                .alarm_types(AlarmType::MetricAlarm)
                .alarm_types(AlarmType::CompositeAlarm)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|error| failure("DescribeAlarms", error))?;
                for alarm in page.metric_alarms() {
                    if let (Some(name), Some(state)) = (alarm.alarm_name(), alarm.state_value()) {
                        states.insert(name.to_owned(), state.as_str().to_owned());
                    }
                }
                for alarm in page.composite_alarms() {
                    if let (Some(name), Some(state)) = (alarm.alarm_name(), alarm.state_value()) {
                        states.insert(name.to_owned(), state.as_str().to_owned());
                    }
                }
            }
        }
        Ok(states)
    }

    /// StopDeployment with automatic rollback: CodeDeploy's status and message.
    pub async fn stop(&self, deployment_id: &str) -> Result<(String, Option<String>), Error> {
        let answer = self
            .codedeploy
            .stop_deployment()
            .deployment_id(deployment_id)
            .auto_rollback_enabled(true)
            .send()
            .await
            .map_err(|error| failure("StopDeployment", error))?;
        Ok((
            answer
                .status()
                .map(|status| status.as_str().to_owned())
                .unwrap_or_default(),
            answer.status_message().map(str::to_owned),
        ))
    }
}

fn is_missing_group(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("DeploymentGroupDoesNotExistException" | "ApplicationDoesNotExistException")
    )
}

fn failure<E, R>(operation: &'static str, error: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let code = error.code().map(str::to_owned);
    let message = match (&code, error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.clone(),
        _ => DisplayErrorContext(&error).to_string(),
    };
    if code
        .as_deref()
        .is_some_and(|code| CREDENTIAL_CODES.contains(&code))
    {
        return Error::NoCredentials(format!("{operation} was refused: {message}"));
    }
    Error::Aws { operation, message }
}
