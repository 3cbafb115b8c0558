//! Write a CodeDeploy Lambda lifecycle hook as just its check.
//!
//! A hook that never reports leaves its deployment hanging for an hour before CodeDeploy fails
//! it. This library reports for you, exactly once, whatever the check does:
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
//! The deadline is the Lambda invocation deadline minus a safety margin (see [`safety_margin`]);
//! the report is then sent with `PutLifecycleEventHookExecutionStatus`, retrying throttling, 5xx
//! and timeouts with bounded backoff inside the invocation. `LifecycleEventAlreadyCompleted`
//! counts as done: an earlier delivery, or CodeDeploy itself, already ended the event. Only
//! errors a retry could fix end the invocation as a Lambda error ([`Hook::respond`]); an event
//! without ids, or a report refused for good, is logged and ends successfully. Work that must
//! not decide the outcome, such as pruning, runs after the report ([`Hook::after_success`]).
//!
//! ```no_run
//! use gradual_hooks::{checks, Deployment};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), gradual_hooks::lambda_runtime::Error> {
//!     gradual_hooks::run(|deployment: Deployment| async move {
//!         checks::wait_until_ready(&deployment, &deployment.target.target_version).await?;
//!         let response = deployment.invoke_target(r#"{"ping": true}"#).await?;
//!         if response.function_error.is_some() {
//!             return Err("the new version cannot answer a ping".into());
//!         }
//!         Ok(())
//!     })
//!     .await
//! }
//! ```
//!
//! Each invocation writes one JSON log line per phase (`event`, `deployment`, the check's own
//! steps, `check`, `report`) with the `decision` taken and its `reason`.
//!
//! The AWS clients come from the standard SDK environment (`AWS_REGION`, `AWS_ENDPOINT_URL`,
//! credentials…); [`Hook::new`] takes an explicit [`aws_config::SdkConfig`] instead.

mod appspec;
pub mod checks;
mod deployment;
pub mod expect;
mod hook;
mod log;

pub use appspec::{AppSpec, AppSpecError, Phase, TargetFunction};
pub use aws_config;
pub use deployment::{Clients, Deployment, DeploymentError, InvokeError, InvokeResponse};
pub use gradual_contract;
pub use hook::{
    safety_margin, CheckError, Delivery, Hook, HookError, Invocation, Report, Status,
    FALLBACK_BUDGET, FINAL_GUARD, LOW_BUDGET_WARNING, MAX_SAFETY_MARGIN, MIN_SAFETY_MARGIN,
};
pub use lambda_runtime;

use std::future::Future;

/// Runs `check` as a Lambda lifecycle hook, with AWS clients configured from the environment.
///
/// Call it from `main`; it returns only when the Lambda runtime stops.
pub async fn run<F, Fut>(check: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Deployment) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), CheckError>> + Send + 'static,
{
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    Hook::new(&config, check).serve().await
}
