//! `gradual-post-traffic`: a ready-to-deploy `AfterAllowTraffic` hook.
//!
//! Runs the pre-traffic checks against the version the alias now serves. When the hook function
//! has `GRADUAL_KEEP_VERSIONS=N`, it then deletes the target function's versions older than the
//! newest N, except any version an alias points at or gives weight to, and the deployment's
//! current and target versions.

use gradual_hooks::{checks, Deployment};

#[tokio::main]
async fn main() -> Result<(), gradual_hooks::lambda_runtime::Error> {
    // Read once at start-up: a bad value is logged and pruning stays off, because a typo in a
    // housekeeping setting must not roll back a healthy deployment.
    let keep_versions = checks::keep_versions_from_env().unwrap_or_else(|reason| {
        println!(
            "{}",
            serde_json::json!({"phase": "configuration", "decision": "pruning-off", "reason": reason})
        );
        None
    });
    gradual_hooks::run(move |deployment: Deployment| async move {
        checks::post_traffic(&deployment, keep_versions).await
    })
    .await
}
