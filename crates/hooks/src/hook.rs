//! Running a check and reporting its outcome to CodeDeploy, exactly once.

use crate::deployment::{self, Clients, Deployment, DeploymentError, EventIds};
use crate::text;
use aws_config::retry::RetryConfig;
use aws_lambda_events::event::codedeploy::CodeDeployLifecycleEvent;
use aws_sdk_codedeploy::config::http::HttpResponse;
use aws_sdk_codedeploy::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_codedeploy::operation::put_lifecycle_event_hook_execution_status::PutLifecycleEventHookExecutionStatusError;
use aws_sdk_codedeploy::types::LifecycleEventStatus;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;
use tracing::instrument::WithSubscriber;
use tracing::Instrument;

/// The error type a check returns: any error, whose message becomes the reported reason.
pub type CheckError = Box<dyn std::error::Error + Send + Sync>;

type CheckFuture = Pin<Box<dyn Future<Output = Result<(), CheckError>> + Send>>;
type CheckFn = Arc<dyn Fn(Deployment) -> CheckFuture + Send + Sync>;
type AfterFn = Arc<dyn Fn(Deployment) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The shortest time kept back from the check for reporting its outcome.
pub(crate) const MIN_SAFETY_MARGIN: Duration = Duration::from_secs(2);
/// The longest time kept back from the check for reporting its outcome.
pub(crate) const MAX_SAFETY_MARGIN: Duration = Duration::from_secs(30);
/// Time kept free at the very end of the invocation so the handler returns before Lambda stops it.
pub(crate) const FINAL_GUARD: Duration = Duration::from_millis(250);
/// A check budget under this is logged as a warning: a slow cold start, a readiness wait or one
/// SDK retry can use it all, and the deployment then fails although its version is healthy.
pub(crate) const LOW_BUDGET_WARNING: Duration = Duration::from_secs(10);
/// The time budget assumed when the runtime's deadline is already past as the invocation starts.
///
/// Real Lambda always sends a future deadline; the local emulator (`cargo lambda watch`) sends a
/// constant that lies in 1970. Without this fallback every emulated run would fail at once.
pub(crate) const FALLBACK_BUDGET: Duration = Duration::from_secs(60);

/// The time kept back from the check to report its outcome: 10% of the time the invocation has
/// left when it starts, at least [`MIN_SAFETY_MARGIN`] and at most [`MAX_SAFETY_MARGIN`], but
/// never more than a third of it.
///
/// The check (including reading the deployment) must finish by `Lambda deadline - margin`; the
/// report and its retries may use the rest, up to `Lambda deadline - FINAL_GUARD`. With the 60 s
/// timeout the ready-made hooks use by default, the check gets 54 s and the report 6 s. The
/// third keeps short timeouts usable: with 3 s the check gets 2 s and the report 750 ms (one
/// attempt against a fast endpoint takes milliseconds), with 1.5 s the check gets 1 s.
pub(crate) fn safety_margin(available: Duration) -> Duration {
    (available / 10)
        .clamp(MIN_SAFETY_MARGIN, MAX_SAFETY_MARGIN)
        .min(available / 3)
}

/// The Lambda invocation a hook event arrived in.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// When Lambda stops the invocation.
    pub deadline: std::time::Instant,
    /// The hook's own function name, looked up in the AppSpec `Hooks` to find its phase.
    pub function_name: String,
}

impl Invocation {
    /// The invocation the Lambda runtime describes (see [`FALLBACK_BUDGET`] for a deadline that
    /// is already past).
    fn from_context(context: &lambda_runtime::Context) -> Invocation {
        let remaining = match context.deadline().duration_since(SystemTime::now()) {
            Ok(remaining) if !remaining.is_zero() => remaining,
            _ => FALLBACK_BUDGET,
        };
        Invocation {
            deadline: std::time::Instant::now() + remaining,
            function_name: context.env_config.function_name.clone(),
        }
    }
}

/// The status reported to CodeDeploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Status {
    /// The check passed: the deployment continues.
    Succeeded,
    /// The check failed, panicked, timed out, or the deployment could not be read: CodeDeploy
    /// rolls back.
    Failed,
}

impl Status {
    fn as_sdk(self) -> LifecycleEventStatus {
        match self {
            Status::Succeeded => LifecycleEventStatus::Succeeded,
            Status::Failed => LifecycleEventStatus::Failed,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "Succeeded",
            Status::Failed => "Failed",
        }
    }
}

/// How the status reached CodeDeploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// CodeDeploy accepted the report after this many attempts.
    Reported {
        /// Attempts made, including the accepted one.
        attempts: u32,
    },
    /// CodeDeploy already had a status for this event: an earlier delivery reported it, or
    /// CodeDeploy itself ended the event. That status may differ from the one decided here.
    AlreadyCompleted,
    /// Nothing was reported: the deployment was no longer `InProgress` (a delivery that arrived
    /// after CodeDeploy gave up), so no check ran either.
    NotNeeded,
}

/// The result of serving one lifecycle event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// The deployment served.
    pub deployment_id: String,
    /// The status decided; `None` when there was nothing to decide (the deployment is no longer
    /// in progress), and so nothing was reported.
    pub status: Option<Status>,
    /// Why that status was decided.
    pub reason: String,
    /// How it was delivered.
    pub delivery: Delivery,
}

/// Why a hook invocation ended as a Lambda error.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The event carries no deployment or execution id, so no status can be reported.
    #[error("malformed CodeDeploy lifecycle event, cannot report a status: {0}")]
    MalformedEvent(String),
    /// The status could not be delivered before the deadline.
    #[error("could not report {status:?} for deployment {deployment_id} after {attempts} attempt(s): {reason}")]
    ReportFailed {
        /// The deployment concerned.
        deployment_id: String,
        /// The status that was not delivered.
        status: Status,
        /// Attempts made.
        attempts: u32,
        /// The last error.
        reason: String,
        /// Whether a later attempt could succeed (throttling, 5xx, timeouts). When not (access
        /// denied, unknown execution id, deployment gone), a retry would only rerun the check.
        retryable: bool,
    },
}

impl HookError {
    /// Whether Lambda should retry the event: only when a later delivery could report.
    pub fn is_retryable(&self) -> bool {
        match self {
            HookError::MalformedEvent(_) => false,
            HookError::ReportFailed { retryable, .. } => *retryable,
        }
    }
}

impl From<HookError> for lambda_runtime::Diagnostic {
    fn from(error: HookError) -> Self {
        let error_type = match error {
            HookError::MalformedEvent(_) => "MalformedEvent",
            HookError::ReportFailed { .. } => "ReportFailed",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// A lifecycle hook: a check, and optional work after a `Succeeded` report.
///
/// [`crate::run`] is `Hook::new(check).run()`; build a `Hook` only to add
/// [`Hook::after_success`].
#[derive(Clone)]
pub struct Hook {
    check: CheckFn,
    after_success: Option<AfterFn>,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook")
            .field("after_success", &self.after_success.is_some())
            .finish_non_exhaustive()
    }
}

impl Hook {
    /// A hook running `check` on every lifecycle event.
    pub fn new<F, Fut>(check: F) -> Hook
    where
        F: Fn(Deployment) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), CheckError>> + Send + 'static,
    {
        Hook {
            check: Arc::new(move |deployment| Box::pin(check(deployment))),
            after_success: None,
        }
    }

    /// Runs `work` after CodeDeploy has accepted a `Succeeded` report, in the time the invocation
    /// has left (up to 250 ms before the Lambda deadline; [`Deployment::time_left`] tells it
    /// how much). Nothing it does (errors, panics, overrunning) can change the status already
    /// reported, so housekeeping such as pruning old versions belongs here, not in the check.
    pub fn after_success<F, Fut>(mut self, work: F) -> Hook
    where
        F: Fn(Deployment) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.after_success = Some(Arc::new(move |deployment| Box::pin(work(deployment))));
        self
    }

    /// Serves lifecycle events on the Lambda runtime until the runtime stops, with AWS clients
    /// configured from the environment, logging JSON lines to standard output unless a
    /// `tracing` subscriber is already installed.
    pub async fn run(self) -> Result<(), crate::Error> {
        // An author's own subscriber wins; the error only says that one is already installed.
        let _ = tracing::subscriber::set_global_default(gradual_logging::json_subscriber(
            std::io::stdout,
        ));
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(gradual_aws_http::https_client())
            .load()
            .await;
        self.with_config(&config).serve().await
    }

    /// The hook bound to AWS clients built from `config`.
    ///
    /// CodeDeploy reads retry throttling and 5xx a few times with a short backoff (at most 4
    /// attempts from 200 ms), on top of whatever `config` says for the other services.
    pub(crate) fn with_config(self, config: &aws_config::SdkConfig) -> Runner {
        let config = &if config.http_client().is_some() {
            config.clone()
        } else {
            config
                .to_builder()
                .http_client(gradual_aws_http::https_client())
                .build()
        };
        let mut clients = Clients::new(config);
        clients.codedeploy = aws_sdk_codedeploy::Client::from_conf(
            aws_sdk_codedeploy::config::Builder::from(config)
                .retry_config(
                    RetryConfig::standard()
                        .with_max_attempts(4)
                        .with_initial_backoff(Duration::from_millis(200)),
                )
                .build(),
        );
        Runner {
            clients,
            check: self.check,
            after_success: self.after_success,
        }
    }
}

/// A [`Hook`] with its AWS clients: what serves the events.
pub(crate) struct Runner {
    clients: Clients,
    check: CheckFn,
    after_success: Option<AfterFn>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("clients", &self.clients)
            .finish_non_exhaustive()
    }
}

/// The deadlines of one invocation, from the Lambda deadline.
struct Budget {
    check_deadline: Instant,
    report_deadline: Instant,
}

impl Runner {
    async fn serve(self) -> Result<(), crate::Error> {
        let runner = Arc::new(self);
        lambda_runtime::run(lambda_runtime::service_fn(
            move |event: lambda_runtime::LambdaEvent<Value>| {
                let runner = Arc::clone(&runner);
                async move {
                    let invocation = Invocation::from_context(&event.context);
                    runner
                        .respond(event.payload, invocation)
                        .await
                        .map_err(lambda_runtime::Diagnostic::from)
                }
            },
        ))
        .await
    }

    /// What Lambda gets for one event: [`Runner::handle`], with errors that no retry can fix
    /// turned into a successful answer after an `abandoned` log line.
    ///
    /// Lambda retries a failed asynchronous invocation twice, rerunning the check (smoke test
    /// included) each time. That only helps when a later report could get through, so only
    /// retryable errors (throttling, 5xx, timeouts on the report) stay errors.
    pub(crate) async fn respond(
        &self,
        event: Value,
        invocation: Invocation,
    ) -> Result<Value, HookError> {
        match self.handle(event, invocation).await {
            Ok(report) => Ok(serde_json::to_value(&report).unwrap_or(Value::Null)),
            Err(error) if error.is_retryable() => Err(error),
            Err(error) => {
                let message = error.to_string();
                tracing::error!(
                    phase = "lambda",
                    decision = "abandoned",
                    retryable = false,
                    "{}",
                    text::reason(&format!(
                        "{message}; a retry cannot succeed, so the event ends here"
                    ))
                );
                Ok(json!({"abandoned": message, "retryable": false}))
            }
        }
    }

    /// Serves one lifecycle event: reads the deployment, runs the check within the deadline and
    /// reports the outcome exactly once, then runs the [`Hook::after_success`] work.
    ///
    /// Returns `Err` only when nothing could be reported: the event has no ids, or every report
    /// attempt failed before the deadline.
    pub(crate) async fn handle(
        &self,
        event: Value,
        invocation: Invocation,
    ) -> Result<Report, HookError> {
        let ids = match parse_event(event) {
            Ok(ids) => ids,
            Err(reason) => {
                tracing::warn!(
                    phase = "event",
                    decision = "rejected",
                    "{}",
                    text::reason(&reason)
                );
                return Err(HookError::MalformedEvent(reason));
            }
        };
        // Every line about this event, the check's own included, carries its deployment id.
        let span = tracing::info_span!("hook", deployment_id = %ids.deployment_id);
        self.handle_event(ids, invocation).instrument(span).await
    }

    async fn handle_event(
        &self,
        ids: EventIds,
        invocation: Invocation,
    ) -> Result<Report, HookError> {
        let budget = budget(&invocation);
        let (status, reason, deployment) = match self
            .decide(&ids, &invocation.function_name, budget.check_deadline)
            .await
        {
            Decision::Report(status, reason, deployment) => {
                (status, text::reason(&reason), deployment)
            }
            Decision::NotNeeded(reason) => {
                tracing::info!(phase = "check", decision = "not-needed", "{reason}");
                return Ok(Report {
                    deployment_id: ids.deployment_id.clone(),
                    status: None,
                    reason,
                    delivery: Delivery::NotNeeded,
                });
            }
        };
        match status {
            Status::Succeeded => {
                tracing::info!(phase = "check", decision = status.as_str(), "{reason}");
            }
            Status::Failed => {
                tracing::warn!(phase = "check", decision = status.as_str(), "{reason}");
            }
        }
        let report = self
            .report(&ids, status, reason, budget.report_deadline)
            .await?;
        if let (Some(work), Some(deployment), Delivery::Reported { .. }, Status::Succeeded) =
            (&self.after_success, deployment, report.delivery, status)
        {
            run_after_success(work, deployment, budget.report_deadline).await;
        }
        Ok(report)
    }

    /// Runs the deployment lookup and the check in their own task, so that a panic or an overrun
    /// becomes a `Failed` outcome instead of a crash or a silent timeout.
    async fn decide(
        &self,
        ids: &EventIds,
        own_function_name: &str,
        check_deadline: Instant,
    ) -> Decision {
        let started = Instant::now();
        let clients = self.clients.clone();
        let check = Arc::clone(&self.check);
        let task_ids = EventIds {
            deployment_id: ids.deployment_id.clone(),
            execution_id: ids.execution_id.clone(),
        };
        let own_name = own_function_name.to_owned();
        let mut task =
            tokio::spawn(
                async move {
                    load_and_check(&clients, &task_ids, &own_name, check_deadline, check).await
                }
                // A spawned task inherits neither the span nor a test's thread-local subscriber.
                .in_current_span()
                .with_current_subscriber(),
            );
        match tokio::time::timeout_at(check_deadline, &mut task).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(join_error)) => {
                let reason = match join_error.try_into_panic() {
                    Ok(payload) => format!("the check panicked: {}", panic_message(&*payload)),
                    Err(join_error) => format!("the check was cancelled: {join_error}"),
                };
                Decision::Report(Status::Failed, reason, None)
            }
            Err(_elapsed) => {
                task.abort();
                Decision::Report(
                    Status::Failed,
                    format!(
                        "the check did not finish before the deadline ({} ms after it started; \
                         the Lambda deadline minus the reporting margin)",
                        millis(started.elapsed())
                    ),
                    None,
                )
            }
        }
    }

    /// Delivers `status` with `PutLifecycleEventHookExecutionStatus`, retrying throttling, 5xx and
    /// timeouts with bounded exponential backoff until `deadline`.
    async fn report(
        &self,
        ids: &EventIds,
        status: Status,
        reason: String,
        deadline: Instant,
    ) -> Result<Report, HookError> {
        const MAX_ATTEMPTS: u32 = 8;
        const FIRST_BACKOFF: Duration = Duration::from_millis(100);
        const MAX_BACKOFF: Duration = Duration::from_secs(2);

        let mut attempts = 0;
        let mut backoff = FIRST_BACKOFF;
        let (last_error, retryable) = loop {
            attempts += 1;
            let (verdict, error) = self.send_report(ids, status, deadline).await;
            let delivery = match verdict {
                Verdict::Accepted => Some(Delivery::Reported { attempts }),
                Verdict::AlreadyCompleted => Some(Delivery::AlreadyCompleted),
                Verdict::Retry | Verdict::Fatal => None,
            };
            if let Some(delivery) = delivery {
                log_delivery(delivery, status, attempts);
                return Ok(Report {
                    deployment_id: ids.deployment_id.clone(),
                    status: Some(status),
                    reason,
                    delivery,
                });
            }
            let out_of_time = Instant::now() + backoff >= deadline;
            if matches!(verdict, Verdict::Fatal) || attempts >= MAX_ATTEMPTS || out_of_time {
                break (error, matches!(verdict, Verdict::Retry));
            }
            tracing::warn!(
                phase = "report",
                decision = "retrying",
                status = status.as_str(),
                attempts,
                backoff_ms = millis(backoff),
                "{}",
                text::reason(&error)
            );
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        };
        tracing::error!(
            phase = "report",
            decision = "undelivered",
            status = status.as_str(),
            attempts,
            retryable,
            "{}",
            text::reason(&last_error)
        );
        Err(HookError::ReportFailed {
            deployment_id: ids.deployment_id.clone(),
            status,
            attempts,
            reason: last_error,
            retryable,
        })
    }

    /// One `PutLifecycleEventHookExecutionStatus` attempt, bounded by `deadline`: what it
    /// means for the next step, and the error it returned, if any.
    async fn send_report(
        &self,
        ids: &EventIds,
        status: Status,
        deadline: Instant,
    ) -> (Verdict, String) {
        const MAX_ATTEMPT_TIME: Duration = Duration::from_secs(5);
        let attempt_time = deadline
            .saturating_duration_since(Instant::now())
            .min(MAX_ATTEMPT_TIME);
        let sent = self
            .clients
            .codedeploy
            .put_lifecycle_event_hook_execution_status()
            .deployment_id(&ids.deployment_id)
            .lifecycle_event_hook_execution_id(&ids.execution_id)
            .status(status.as_sdk())
            .customize()
            // Retries are done here, where they can be bounded by the hook's deadline.
            .config_override(
                aws_sdk_codedeploy::config::Builder::default()
                    .retry_config(RetryConfig::disabled()),
            )
            .send();
        match tokio::time::timeout(attempt_time, sent).await {
            Ok(Ok(_)) => (Verdict::Accepted, String::new()),
            Ok(Err(error)) => (classify(&error), DisplayErrorContext(&error).to_string()),
            Err(_elapsed) => (
                Verdict::Retry,
                format!("no answer within {} ms", millis(attempt_time)),
            ),
        }
    }
}

/// The check's and the report's deadlines for `invocation`, logged with the event's acceptance.
fn budget(invocation: &Invocation) -> Budget {
    let lambda_deadline = Instant::from_std(invocation.deadline);
    let now = Instant::now();
    let margin = safety_margin(lambda_deadline.saturating_duration_since(now));
    let check_deadline = lambda_deadline.checked_sub(margin).unwrap_or(now);
    let report_deadline = lambda_deadline.checked_sub(FINAL_GUARD).unwrap_or(now);
    let check_budget = check_deadline.saturating_duration_since(now);
    tracing::info!(
        phase = "event",
        decision = "accepted",
        hook_function = %invocation.function_name,
        check_budget_ms = millis(check_budget),
        safety_margin_ms = millis(margin),
        "the event carries a deployment id and a lifecycle event hook execution id"
    );
    if check_budget < LOW_BUDGET_WARNING {
        tracing::warn!(
            phase = "budget",
            decision = "low",
            check_budget_ms = millis(check_budget),
            "the check has {} ms: under {} s, a cold start or one retry can fail a healthy \
             deployment; give the hook a longer timeout",
            millis(check_budget),
            LOW_BUDGET_WARNING.as_secs()
        );
    }
    Budget {
        check_deadline,
        report_deadline,
    }
}

/// The task behind [`Runner::decide`]: reads the deployment, then runs the check on it.
async fn load_and_check(
    clients: &Clients,
    ids: &EventIds,
    own_name: &str,
    check_deadline: Instant,
    check: CheckFn,
) -> Decision {
    let deployment = match deployment::load(clients, ids, own_name, check_deadline).await {
        Ok(deployment) => deployment,
        Err(DeploymentError::NotInProgress(status)) => {
            let reason = format!(
                "the deployment is {status}, no longer InProgress: CodeDeploy has stopped \
                 waiting for this event, so there is nothing to check or report"
            );
            tracing::info!(
                phase = "deployment",
                decision = "not-in-progress",
                "{reason}"
            );
            return Decision::NotNeeded(reason);
        }
        Err(error) => {
            let reason = format!("could not read the deployment: {error}");
            tracing::warn!(
                phase = "deployment",
                decision = "unreadable",
                "{}",
                text::reason(&reason)
            );
            return Decision::Report(Status::Failed, reason, None);
        }
    };
    tracing::info!(
        phase = "deployment",
        decision = "found",
        application = %deployment.application_name,
        deployment_group = %deployment.deployment_group_name,
        function = %deployment.target.name,
        alias = %deployment.target.alias,
        current_version = %deployment.target.current_version,
        target_version = %deployment.target.target_version,
        lifecycle_event = deployment.phase.map(|phase| phase.as_str()),
        "{}",
        match deployment.phase {
            Some(_) => "the AppSpec names this function as the hook of one lifecycle event",
            None => "this function is not the hook of exactly one lifecycle event in the AppSpec",
        }
    );
    let kept = deployment.clone();
    match check(deployment).await {
        Ok(()) => Decision::Report(
            Status::Succeeded,
            "the check passed".to_owned(),
            Some(Box::new(kept)),
        ),
        Err(error) => Decision::Report(Status::Failed, format!("the check failed: {error}"), None),
    }
}

/// Runs the after-success work in its own task until `deadline`: it may panic or overrun,
/// and the status is already reported either way.
async fn run_after_success(work: &AfterFn, mut deployment: Box<Deployment>, deadline: Instant) {
    // The work sees a deadline a little before the hard stop, so that it can notice it,
    // stop its calls and log what it left instead of being cut off mid-way.
    const WIND_DOWN: Duration = Duration::from_millis(100);
    deployment.deadline = deadline.checked_sub(WIND_DOWN).unwrap_or(deadline);
    let mut task = tokio::spawn(
        work(*deployment)
            .in_current_span()
            .with_current_subscriber(),
    );
    match tokio::time::timeout_at(deadline, &mut task).await {
        Ok(Ok(())) => {}
        Ok(Err(join_error)) => {
            let reason = match join_error.try_into_panic() {
                Ok(payload) => format!("panicked: {}", panic_message(&*payload)),
                Err(join_error) => format!("cancelled: {join_error}"),
            };
            tracing::warn!(
                phase = "after-success",
                decision = "failed",
                "{}",
                text::reason(&format!(
                    "the work after the report {reason}; the reported status stands"
                ))
            );
        }
        Err(_elapsed) => {
            task.abort();
            tracing::warn!(
                phase = "after-success",
                decision = "stopped",
                "the invocation's deadline came first; the reported status stands"
            );
        }
    }
}

fn log_delivery(delivery: Delivery, status: Status, attempts: u32) {
    match delivery {
        Delivery::Reported { .. } => tracing::info!(
            phase = "report",
            decision = "reported",
            status = status.as_str(),
            attempts,
            "CodeDeploy accepted the status"
        ),
        // Not "duplicate": CodeDeploy may have ended the event itself (a timeout), with a
        // status other than the one decided here.
        Delivery::AlreadyCompleted | Delivery::NotNeeded => tracing::info!(
            phase = "report",
            decision = "already-completed",
            status = status.as_str(),
            attempts,
            "already completed: CodeDeploy already holds a status for this event, possibly not \
             the one decided here; nothing to do"
        ),
    }
}

enum Decision {
    /// Report this status; a passed check hands its deployment on to the after-success work.
    Report(Status, String, Option<Box<Deployment>>),
    /// Report nothing: the deployment no longer waits for this event.
    NotNeeded(String),
}

enum Verdict {
    Accepted,
    AlreadyCompleted,
    Retry,
    Fatal,
}

/// Error codes AWS services use for throttling.
pub(crate) const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
];

fn classify(error: &SdkError<PutLifecycleEventHookExecutionStatusError, HttpResponse>) -> Verdict {
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => Verdict::Retry,
        SdkError::ResponseError(response) if response.raw().status().as_u16() >= 500 => {
            Verdict::Retry
        }
        SdkError::ServiceError(service) => {
            let error = service.err();
            if error.is_lifecycle_event_already_completed_exception() {
                Verdict::AlreadyCompleted
            } else if service.raw().status().as_u16() >= 500
                || error
                    .code()
                    .is_some_and(|code| THROTTLING_CODES.contains(&code))
            {
                Verdict::Retry
            } else {
                Verdict::Fatal
            }
        }
        _ => Verdict::Fatal,
    }
}

fn parse_event(event: Value) -> Result<EventIds, String> {
    let event: CodeDeployLifecycleEvent = serde_json::from_value(event).map_err(|error| {
        format!("expected {{\"DeploymentId\", \"LifecycleEventHookExecutionId\"}}: {error}")
    })?;
    if event.deployment_id.trim().is_empty() {
        return Err("DeploymentId is empty".to_owned());
    }
    if event.lifecycle_event_hook_execution_id.trim().is_empty() {
        return Err("LifecycleEventHookExecutionId is empty".to_owned());
    }
    Ok(EventIds {
        deployment_id: event.deployment_id,
        execution_id: event.lifecycle_event_hook_execution_id,
    })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".to_owned())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_a_tenth_of_the_time_within_bounds() {
        assert_eq!(
            safety_margin(Duration::from_secs(60)),
            Duration::from_secs(6)
        );
        assert_eq!(
            safety_margin(Duration::from_secs(3)),
            Duration::from_secs(1)
        );
        assert_eq!(
            safety_margin(Duration::from_millis(1500)),
            Duration::from_millis(500)
        );
        assert_eq!(safety_margin(Duration::from_secs(10)), MIN_SAFETY_MARGIN);
        assert_eq!(safety_margin(Duration::from_secs(900)), MAX_SAFETY_MARGIN);
        assert_eq!(safety_margin(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn events_without_ids_are_rejected_with_a_reason() {
        let missing = parse_event(json!({"DeploymentId": "d-1"})).err();
        assert!(missing.is_some_and(|reason| reason.contains("LifecycleEventHookExecutionId")));
        let empty = parse_event(json!({"DeploymentId": " ", "LifecycleEventHookExecutionId": "x"}));
        assert_eq!(empty.err().as_deref(), Some("DeploymentId is empty"));
        assert!(parse_event(json!("not an object")).is_err());
        let ids = parse_event(json!({"DeploymentId": "d-1", "LifecycleEventHookExecutionId": "e"}))
            .expect("valid event");
        assert_eq!(
            (ids.deployment_id.as_str(), ids.execution_id.as_str()),
            ("d-1", "e")
        );
    }
}
