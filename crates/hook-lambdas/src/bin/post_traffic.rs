//! `gradual-post-traffic`: a ready-to-deploy `AfterAllowTraffic` hook.
//!
//! Fails unless the AppSpec lists it for `AfterAllowTraffic` and the alias now sends all its
//! traffic to the target version; then runs the pre-traffic checks against that version. When
//! the hook function has `GRADUAL_KEEP_VERSIONS=N`, it prunes old versions, but only after
//! `Succeeded` has been reported, in the time left: pruning can never change the verdict. It
//! keeps the newest N, everything newer than the deployment's current version, and every version
//! still in use (aliases, provisioned concurrency, event source mappings, own resource policy).

use gradual_hooks::{aws_config, checks, Deployment, Hook};

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
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let mut hook = Hook::new(&config, |deployment: Deployment| async move {
        checks::post_traffic(&deployment).await
    });
    if let Some(keep) = keep_versions {
        hook = hook.after_success(move |deployment: Deployment| async move {
            // prune_versions logs its own outcome; its error is only ever informative here.
            let _ = checks::prune_versions(&deployment, keep).await;
        });
    }
    hook.serve().await
}
