//! What the check receives: the deployment, the function it shifts, and helpers.

use crate::appspec::{AppSpec, AppSpecError, Phase, TargetFunction};
use aws_sdk_codedeploy::types::DeploymentStatus;
use aws_sdk_lambda::error::DisplayErrorContext;
use aws_sdk_lambda::primitives::Blob;
use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

/// The AWS clients a hook uses, all built from one `SdkConfig`.
#[derive(Debug, Clone)]
pub struct Clients {
    /// CodeDeploy, for reading the deployment and reporting its status.
    pub codedeploy: aws_sdk_codedeploy::Client,
    /// Lambda, for inspecting and invoking the target function.
    pub lambda: aws_sdk_lambda::Client,
    /// Systems Manager Parameter Store, where smoke tests are configured.
    pub ssm: aws_sdk_ssm::Client,
}

impl Clients {
    /// Builds the clients from a shared SDK configuration (region, endpoint, credentials, retries).
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Clients {
            codedeploy: aws_sdk_codedeploy::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
        }
    }
}

/// Everything a check needs to know about the deployment it validates.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The CodeDeploy deployment id (`d-…`).
    pub deployment_id: String,
    /// The opaque id of this lifecycle-event execution.
    pub lifecycle_event_hook_execution_id: String,
    /// The CodeDeploy application.
    pub application_name: String,
    /// The CodeDeploy deployment group.
    pub deployment_group_name: String,
    /// The function, alias and versions being deployed.
    pub target: TargetFunction,
    /// Which lifecycle event this hook serves, found by looking up the hook's own function name in
    /// the AppSpec `Hooks`; `None` if it is not listed there, or listed for both events.
    pub phase: Option<Phase>,
    pub(crate) deadline: Instant,
    pub(crate) clients: Clients,
}

/// What an invocation of a function version returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeResponse {
    /// The HTTP status of the invocation (200 for a synchronous invoke).
    pub status_code: i32,
    /// The response payload, as the function wrote it.
    pub payload: Vec<u8>,
    /// `Unhandled` or `Handled` when the function raised an error; `None` otherwise.
    pub function_error: Option<String>,
    /// The version that actually ran.
    pub executed_version: Option<String>,
}

impl InvokeResponse {
    /// The payload as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.payload).ok()
    }
}

/// An invocation that did not return a response (the function's own errors are in
/// [`InvokeResponse::function_error`] instead).
#[derive(Debug, thiserror::Error)]
#[error("invoking {function}:{version} failed: {message}")]
pub struct InvokeError {
    /// The function invoked.
    pub function: String,
    /// The version invoked.
    pub version: String,
    /// What went wrong, with the SDK's full error context.
    pub message: String,
}

impl Deployment {
    /// The time left before the check's deadline (the Lambda deadline minus the reporting margin).
    /// A check still running at that point is cancelled and reported as `Failed`.
    pub fn time_left(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// The AWS clients, for checks that call other APIs.
    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// Invokes the target version synchronously with `payload`.
    pub async fn invoke_target(
        &self,
        payload: impl Into<Vec<u8>>,
    ) -> Result<InvokeResponse, InvokeError> {
        self.invoke_version(&self.target.target_version, payload)
            .await
    }

    /// Invokes `version` of the target function synchronously with `payload`.
    pub async fn invoke_version(
        &self,
        version: &str,
        payload: impl Into<Vec<u8>>,
    ) -> Result<InvokeResponse, InvokeError> {
        let output = self
            .clients
            .lambda
            .invoke()
            .function_name(&self.target.name)
            .qualifier(version)
            .payload(Blob::new(payload))
            .send()
            .await
            .map_err(|error| InvokeError {
                function: self.target.name.clone(),
                version: version.to_owned(),
                message: DisplayErrorContext(&error).to_string(),
            })?;
        Ok(InvokeResponse {
            status_code: output.status_code(),
            payload: output
                .payload()
                .map(|blob| blob.as_ref().to_vec())
                .unwrap_or_default(),
            function_error: output.function_error().map(str::to_owned),
            executed_version: output.executed_version().map(str::to_owned),
        })
    }
}

/// Why the deployment could not be read (and so is reported as `Failed`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum DeploymentError {
    /// `GetDeployment` failed.
    #[error("GetDeployment failed: {0}")]
    GetDeployment(String),
    /// `GetApplicationRevision` failed.
    #[error("GetApplicationRevision failed: {0}")]
    GetApplicationRevision(String),
    /// A field CodeDeploy always sets for Lambda deployments was missing.
    #[error("the deployment has no {0}")]
    Missing(&'static str),
    /// The revision holds no inline AppSpec (`string.content` or `appSpecContent.content`).
    #[error("the revision holds no AppSpec content (revision type {0})")]
    NoAppSpecContent(String),
    /// The revision is an AppSpec file in S3 (a hand-made deployment), which the hooks do not
    /// read: they would need access to the bucket.
    #[error(
        "the revision is an AppSpec in S3 (s3://{0}), which gradual's hooks do not support: \
         deploy with an inline AppSpec (revision type String or AppSpecContent), as \
         CloudFormation does"
    )]
    S3Revision(String),
    /// The deployment is not `InProgress`: CodeDeploy no longer waits for a status.
    #[error("the deployment is {0}, not InProgress")]
    NotInProgress(String),
    /// The AppSpec could not be understood.
    #[error(transparent)]
    AppSpec(#[from] AppSpecError),
}

/// The identity of the event being served.
pub(crate) struct EventIds {
    pub(crate) deployment_id: String,
    pub(crate) execution_id: String,
}

/// Reads the deployment and its AppSpec: `GetDeployment`, then `GetApplicationRevision`.
pub(crate) async fn load(
    clients: &Clients,
    ids: &EventIds,
    own_function_name: &str,
    deadline: Instant,
) -> Result<Deployment, DeploymentError> {
    let info = clients
        .codedeploy
        .get_deployment()
        .deployment_id(&ids.deployment_id)
        .send()
        .await
        .map_err(|error| DeploymentError::GetDeployment(DisplayErrorContext(&error).to_string()))?
        .deployment_info
        .ok_or(DeploymentError::Missing("deploymentInfo"))?;
    // A delivery that arrives after CodeDeploy gave up (timed out, stopped, rolled back) must not
    // run a smoke test or prune: the deployment's outcome is already settled.
    match info.status {
        Some(DeploymentStatus::InProgress) => {}
        Some(status) => return Err(DeploymentError::NotInProgress(status.as_str().to_owned())),
        None => return Err(DeploymentError::Missing("status")),
    }
    let application_name = info
        .application_name
        .ok_or(DeploymentError::Missing("applicationName"))?;
    let deployment_group_name = info
        .deployment_group_name
        .ok_or(DeploymentError::Missing("deploymentGroupName"))?;
    let revision = info.revision.ok_or(DeploymentError::Missing("revision"))?;
    if let Some(s3) = revision.s3_location() {
        return Err(DeploymentError::S3Revision(format!(
            "{}/{}",
            s3.bucket().unwrap_or_default(),
            s3.key().unwrap_or_default()
        )));
    }
    let revision = clients
        .codedeploy
        .get_application_revision()
        .application_name(&application_name)
        .revision(revision)
        .send()
        .await
        .map_err(|error| {
            DeploymentError::GetApplicationRevision(DisplayErrorContext(&error).to_string())
        })?
        .revision
        .ok_or(DeploymentError::Missing("application revision"))?;
    let content = revision
        .string()
        .and_then(|raw| raw.content())
        .or_else(|| revision.app_spec_content().and_then(|spec| spec.content()))
        .ok_or_else(|| {
            DeploymentError::NoAppSpecContent(
                revision
                    .revision_type()
                    .map_or_else(|| "unknown".to_owned(), |kind| kind.as_str().to_owned()),
            )
        })?;
    let appspec = AppSpec::parse(content)?;
    let phase = appspec.phase_of(own_function_name);
    Ok(Deployment {
        deployment_id: ids.deployment_id.clone(),
        lifecycle_event_hook_execution_id: ids.execution_id.clone(),
        application_name,
        deployment_group_name,
        target: appspec.target,
        phase,
        deadline,
        clients: clients.clone(),
    })
}
