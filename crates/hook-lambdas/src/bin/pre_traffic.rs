//! `gradual-pre-traffic`: a ready-to-deploy `BeforeAllowTraffic` hook.
//!
//! Fails unless the AppSpec lists it for `BeforeAllowTraffic` and the deployment's group belongs
//! to the stack that owns the function. Passes when the target version is `Active` with last
//! update `Successful` and, if an SSM parameter `/gradual/smoke-tests/<function name>` holds
//! `{"event": ..., "expect": ...}`, when invoking the target version with `event` returns no
//! `FunctionError` and a payload containing `expect` (a parameter from another stack than the
//! function's is ignored). Copy this file as the skeleton of your own hook.

use gradual_hooks::{checks, Deployment};

#[tokio::main]
async fn main() -> Result<(), gradual_hooks::Error> {
    gradual_hooks::run(
        |deployment: Deployment| async move { checks::pre_traffic(&deployment).await },
    )
    .await
}
