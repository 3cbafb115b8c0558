//! Running a check and reporting its outcome to CodeDeploy, exactly once.

use crate::deployment::{self, Clients, Deployment, EventIds};
use crate::log::Logger;
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

/// The error type a check returns: any error, whose message becomes the logged reason.
pub type CheckError = Box<dyn std::error::Error + Send + Sync>;

type CheckFuture = Pin<Box<dyn Future<Output = Result<(), CheckError>> + Send>>;
type CheckFn = Arc<dyn Fn(Deployment) -> CheckFuture + Send + Sync>;

/// The shortest time kept back from the check for reporting its outcome.
pub const MIN_SAFETY_MARGIN: Duration = Duration::from_secs(2);
/// The longest time kept back from the check for reporting its outcome.
pub const MAX_SAFETY_MARGIN: Duration = Duration::from_secs(30);
/// Time kept free at the very end of the invocation so the handler returns before Lambda stops it.
pub const FINAL_GUARD: Duration = Duration::from_millis(250);

/// The time kept back from the check to report its outcome: 10% of the time the invocation has
/// left when it starts, but at least [`MIN_SAFETY_MARGIN`] and at most [`MAX_SAFETY_MARGIN`].
///
/// The check (including reading the deployment) must finish by `Lambda deadline - margin`; the
/// report and its retries may use the rest, up to `Lambda deadline - FINAL_GUARD`. With the 60 s
/// timeout the ready-made hooks use, the check gets 54 s and the report 6 s.
pub fn safety_margin(available: Duration) -> Duration {
    (available / 10).clamp(MIN_SAFETY_MARGIN, MAX_SAFETY_MARGIN)
}

/// The Lambda invocation a hook event arrived in.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// When Lambda stops the invocation.
    pub deadline: std::time::Instant,
    /// The hook's own function name, looked up in the AppSpec `Hooks` to find its phase.
    pub function_name: String,
}

/// The time budget assumed when the runtime's deadline is already past as the invocation starts.
///
/// Real Lambda always sends a future deadline; the local emulator (`cargo lambda watch`) sends a
/// constant that lies in 1970. Without this fallback every emulated run would fail at once.
pub const FALLBACK_BUDGET: Duration = Duration::from_secs(60);

impl Invocation {
    /// Builds an invocation from the Lambda runtime's context (see [`FALLBACK_BUDGET`] for a
    /// deadline that is already past).
    pub fn from_context(context: &lambda_runtime::Context) -> Invocation {
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
    /// CodeDeploy already had a status for this event (a duplicate delivery): nothing to do.
    AlreadyCompleted,
}

/// The result of serving one lifecycle event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// The deployment served.
    pub deployment_id: String,
    /// The status decided.
    pub status: Status,
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
    /// The status could not be delivered before the deadline; Lambda's retry of the event will
    /// try again.
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
    },
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

/// A lifecycle hook: a check plus the machinery that always reports its outcome.
#[derive(Clone)]
pub struct Hook {
    clients: Clients,
    check: CheckFn,
    log: Logger,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook")
            .field("clients", &self.clients)
            .finish_non_exhaustive()
    }
}

impl Hook {
    /// A hook running `check`, with AWS clients built from `config`.
    ///
    /// CodeDeploy reads retry throttling and 5xx a few times with a short backoff (at most 4
    /// attempts from 200 ms), on top of whatever `config` says for the other services.
    pub fn new<F, Fut>(config: &aws_config::SdkConfig, check: F) -> Hook
    where
        F: Fn(Deployment) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), CheckError>> + Send + 'static,
    {
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
        Hook {
            clients,
            check: Arc::new(move |deployment| Box::pin(check(deployment))),
            log: Logger::default(),
        }
    }

    /// Sends the structured log lines to `sink` instead of standard output.
    pub fn with_log_sink(mut self, sink: impl Fn(&Value) + Send + Sync + 'static) -> Hook {
        self.log = Logger::new(Arc::new(sink));
        self
    }

    /// Serves lifecycle events on the Lambda runtime until the runtime stops.
    pub async fn serve(self) -> Result<(), lambda_runtime::Error> {
        let hook = Arc::new(self);
        lambda_runtime::run(lambda_runtime::service_fn(
            move |event: lambda_runtime::LambdaEvent<Value>| {
                let hook = Arc::clone(&hook);
                async move {
                    let invocation = Invocation::from_context(&event.context);
                    hook.handle(event.payload, invocation)
                        .await
                        .map_err(lambda_runtime::Diagnostic::from)
                }
            },
        ))
        .await
    }

    /// Serves one lifecycle event: reads the deployment, runs the check within the deadline and
    /// reports the outcome exactly once.
    ///
    /// Returns `Err` only when nothing could be reported: the event has no ids, or every report
    /// attempt failed before the deadline.
    pub async fn handle(&self, event: Value, invocation: Invocation) -> Result<Report, HookError> {
        let ids = match parse_event(event) {
            Ok(ids) => ids,
            Err(reason) => {
                self.log.decision("event", "rejected", &reason, json!({}));
                return Err(HookError::MalformedEvent(reason));
            }
        };
        let log = self.log.with("deployment_id", ids.deployment_id.clone());
        let lambda_deadline = Instant::from_std(invocation.deadline);
        let now = Instant::now();
        let margin = safety_margin(lambda_deadline.saturating_duration_since(now));
        let check_deadline = lambda_deadline.checked_sub(margin).unwrap_or(now);
        let report_deadline = lambda_deadline.checked_sub(FINAL_GUARD).unwrap_or(now);
        log.decision(
            "event",
            "accepted",
            "the event carries a deployment id and a lifecycle event hook execution id",
            json!({
                "hook_function": invocation.function_name,
                "check_budget_ms": millis(check_deadline.saturating_duration_since(now)),
                "safety_margin_ms": millis(margin),
            }),
        );

        let (status, reason) = self
            .decide(&ids, &invocation.function_name, check_deadline, &log)
            .await;
        log.decision("check", status_name(status), &reason, json!({}));

        self.report(&ids, status, reason, report_deadline, &log)
            .await
    }

    /// Runs the deployment lookup and the check in their own task, so that a panic or an overrun
    /// becomes a `Failed` outcome instead of a crash or a silent timeout.
    async fn decide(
        &self,
        ids: &EventIds,
        own_function_name: &str,
        check_deadline: Instant,
        log: &Logger,
    ) -> (Status, String) {
        let started = Instant::now();
        let clients = self.clients.clone();
        let check = Arc::clone(&self.check);
        let task_ids = EventIds {
            deployment_id: ids.deployment_id.clone(),
            execution_id: ids.execution_id.clone(),
        };
        let own_name = own_function_name.to_owned();
        let task_log = log.clone();
        let mut task = tokio::spawn(async move {
            let deployment =
                match deployment::load(&clients, &task_ids, &own_name, check_deadline, &task_log)
                    .await
                {
                    Ok(deployment) => deployment,
                    Err(error) => {
                        let reason = format!("could not read the deployment: {error}");
                        task_log.decision("deployment", "unreadable", &reason, json!({}));
                        return (Status::Failed, reason);
                    }
                };
            task_log.decision(
                "deployment",
                "found",
                match deployment.phase {
                    Some(_) => "the AppSpec names this function as the hook of one lifecycle event",
                    None => "this function is not the hook of exactly one lifecycle event in the AppSpec",
                },
                json!({
                    "application": deployment.application_name,
                    "deployment_group": deployment.deployment_group_name,
                    "function": deployment.target.name,
                    "alias": deployment.target.alias,
                    "current_version": deployment.target.current_version,
                    "target_version": deployment.target.target_version,
                    "lifecycle_event": deployment.phase.map(|phase| phase.as_str()),
                }),
            );
            match check(deployment).await {
                Ok(()) => (Status::Succeeded, "the check passed".to_owned()),
                Err(error) => (Status::Failed, format!("the check failed: {error}")),
            }
        });
        match tokio::time::timeout_at(check_deadline, &mut task).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(join_error)) => {
                let reason = match join_error.try_into_panic() {
                    Ok(payload) => format!("the check panicked: {}", panic_message(&*payload)),
                    Err(join_error) => format!("the check was cancelled: {join_error}"),
                };
                (Status::Failed, reason)
            }
            Err(_elapsed) => {
                task.abort();
                (
                    Status::Failed,
                    format!(
                        "the check did not finish before the deadline ({} ms after it started; \
                         the Lambda deadline minus the reporting margin)",
                        millis(started.elapsed())
                    ),
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
        log: &Logger,
    ) -> Result<Report, HookError> {
        const MAX_ATTEMPTS: u32 = 8;
        const FIRST_BACKOFF: Duration = Duration::from_millis(100);
        const MAX_BACKOFF: Duration = Duration::from_secs(2);
        const MAX_ATTEMPT_TIME: Duration = Duration::from_secs(5);

        let mut attempts = 0;
        let mut backoff = FIRST_BACKOFF;
        let last_error = loop {
            attempts += 1;
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
            let (verdict, error) = match tokio::time::timeout(attempt_time, sent).await {
                Ok(Ok(_)) => (Verdict::Accepted, String::new()),
                Ok(Err(error)) => (classify(&error), DisplayErrorContext(&error).to_string()),
                Err(_elapsed) => (
                    Verdict::Retry,
                    format!("no answer within {} ms", millis(attempt_time)),
                ),
            };
            let delivery = match verdict {
                Verdict::Accepted => Some(Delivery::Reported { attempts }),
                Verdict::AlreadyCompleted => Some(Delivery::AlreadyCompleted),
                Verdict::Retry | Verdict::Fatal => None,
            };
            if let Some(delivery) = delivery {
                let (decision, why) = match delivery {
                    Delivery::Reported { .. } => ("reported", "CodeDeploy accepted the status"),
                    Delivery::AlreadyCompleted => (
                        "already-completed",
                        "CodeDeploy already has a status for this event (duplicate delivery); nothing to do",
                    ),
                };
                log.decision(
                    "report",
                    decision,
                    why,
                    json!({"status": status_name(status), "attempts": attempts}),
                );
                return Ok(Report {
                    deployment_id: ids.deployment_id.clone(),
                    status,
                    reason,
                    delivery,
                });
            }
            let out_of_time = Instant::now() + backoff >= deadline;
            if matches!(verdict, Verdict::Fatal) || attempts >= MAX_ATTEMPTS || out_of_time {
                break error;
            }
            log.decision(
                "report",
                "retrying",
                &error,
                json!({"status": status_name(status), "attempts": attempts, "backoff_ms": millis(backoff)}),
            );
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        };
        log.decision(
            "report",
            "undelivered",
            &last_error,
            json!({"status": status_name(status), "attempts": attempts}),
        );
        Err(HookError::ReportFailed {
            deployment_id: ids.deployment_id.clone(),
            status,
            attempts,
            reason: last_error,
        })
    }
}

enum Verdict {
    Accepted,
    AlreadyCompleted,
    Retry,
    Fatal,
}

const THROTTLING_CODES: &[&str] = &[
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

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Succeeded => "Succeeded",
        Status::Failed => "Failed",
    }
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
        assert_eq!(safety_margin(Duration::from_secs(3)), MIN_SAFETY_MARGIN);
        assert_eq!(safety_margin(Duration::from_secs(900)), MAX_SAFETY_MARGIN);
        assert_eq!(safety_margin(Duration::ZERO), MIN_SAFETY_MARGIN);
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
