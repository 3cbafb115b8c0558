//! Write a CodeDeploy Lambda lifecycle hook as just its check.
//!
//! A hook that never reports leaves its deployment hanging for an hour before CodeDeploy fails
//! it. [`run`] reports for you, exactly once, whatever the check does:
//!
//! | the check…                                   | reported status |
//! |----------------------------------------------|-----------------|
//! | returns `Ok(())`                             | `Succeeded`     |
//! | returns `Err(_)`                             | `Failed`        |
//! | panics                                       | `Failed`        |
//! | is still running at the deadline             | `Failed`        |
//! | never runs: the deployment can't be read     | `Failed`        |
//! | never runs: the deployment is not in progress | nothing         |
//!
//! The deadline is the Lambda invocation deadline minus a margin kept for reporting (a tenth of
//! the time left, 2 s to 30 s, at most a third); the report is then sent with
//! `PutLifecycleEventHookExecutionStatus`, retrying throttling, 5xx and timeouts with bounded
//! backoff inside the invocation. `LifecycleEventAlreadyCompleted` counts as done: an earlier
//! delivery, or CodeDeploy itself, already ended the event. Only errors a retry could fix end
//! the invocation as a Lambda error; an event without ids, or a report refused for good, is
//! logged and ends successfully. Work that must not decide the outcome, such as pruning, runs
//! after the report ([`Hook::after_success`]).
//!
//! ```no_run
//! use gradual_hooks::{checks, Deployment};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), gradual_hooks::Error> {
//!     gradual_hooks::run(|deployment: Deployment| async move {
//!         checks::wait_until_ready(&deployment, &deployment.target.target_version).await?;
//!         let response = deployment.invoke_target(r#"{"ping": true}"#).await?;
//!         if response.function_error.is_some() {
//!             return Err("the new version cannot answer a ping".into());
//!         }
//!         tracing::info!(phase = "ping", decision = "answered", "the new version answered");
//!         Ok(())
//!     })
//!     .await
//! }
//! ```
//!
//! **Logs** are `tracing` events, written as one JSON object per line (the format of every
//! gradual function) unless the hook installs its own subscriber. Each phase of an invocation
//! (`event`, `deployment`, the checks' own steps, `check`, `report`) logs one event with
//! `phase` and `decision` fields, its reason as `message`, inside a `hook` span that carries the
//! `deployment_id`; a check's own events land in that span too.
//!
//! The AWS clients come from the standard SDK environment (`AWS_REGION`, `AWS_ENDPOINT_URL`,
//! credentials…); [`testing::TestHook`] takes an explicit `aws_config::SdkConfig` instead.

mod appspec;
pub mod checks;
mod deployment;
mod expect;
mod hook;
pub mod testing;
mod text;

pub use appspec::{Phase, TargetFunction};
pub use deployment::{Clients, Deployment, InvokeError, InvokeResponse};
pub use expect::{first_mismatch, Mismatch};
pub use hook::{CheckError, Hook};
/// What [`run`] returns when the Lambda runtime stops.
pub use lambda_runtime::Error;

use std::future::Future;

/// Runs `check` as a Lambda lifecycle hook: `Hook::new(check).run()`.
///
/// Call it from `main`; it returns only when the Lambda runtime stops.
pub async fn run<F, Fut>(check: F) -> Result<(), Error>
where
    F: Fn(Deployment) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), CheckError>> + Send + 'static,
{
    Hook::new(check).run().await
}
