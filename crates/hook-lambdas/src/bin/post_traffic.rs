//! `gradual-post-traffic`: a ready-to-deploy `AfterAllowTraffic` hook.
//!
//! Fails unless the AppSpec lists it for `AfterAllowTraffic` and the alias now sends all its
//! traffic to the target version; then runs the pre-traffic checks against that version. When
//! the hook function has `GRADUAL_KEEP_VERSIONS=N`, it prunes old versions, but only after
//! `Succeeded` has been reported, in the time left: pruning can never change the verdict. It
//! keeps the newest N, everything newer than the deployment's current version, and every version
//! still in use (aliases, provisioned concurrency, event source mappings, own resource policy).

use gradual_hooks::{checks, Deployment, Hook};

/// The environment variable that turns on pruning.
const KEEP_VERSIONS_VARIABLE: &str = "GRADUAL_KEEP_VERSIONS";

#[tokio::main]
async fn main() -> Result<(), gradual_hooks::Error> {
    // Installed here rather than by `run`, so that the configuration warning below is written
    // in the same format as every other line.
    tracing::subscriber::set_global_default(gradual_logging::json_subscriber(std::io::stdout))?;
    // Read once at start-up: a bad value is logged and pruning stays off, because a typo in a
    // housekeeping setting must not roll back a healthy deployment.
    let keep_versions =
        keep_versions(std::env::var(KEEP_VERSIONS_VARIABLE)).unwrap_or_else(|reason| {
            tracing::warn!(
                phase = "configuration",
                decision = "pruning-off",
                "{reason}"
            );
            None
        });
    let mut hook =
        Hook::new(|deployment: Deployment| async move { checks::post_traffic(&deployment).await });
    if let Some(keep) = keep_versions {
        hook = hook.after_success(move |deployment: Deployment| async move {
            // prune_versions logs its own outcome; its error is only ever informative here.
            let _ = checks::prune_versions(&deployment, keep).await;
        });
    }
    hook.run().await
}

/// Reads [`KEEP_VERSIONS_VARIABLE`]: `Ok(None)` when unset, an error when not a positive integer.
fn keep_versions(variable: Result<String, std::env::VarError>) -> Result<Option<usize>, String> {
    match variable {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(error) => Err(format!("{KEEP_VERSIONS_VARIABLE}: {error}")),
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(keep) if keep >= 1 => Ok(Some(keep)),
            _ => Err(format!(
                "{KEEP_VERSIONS_VARIABLE} must be a positive integer, not {text:?}"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::env::VarError;

    #[test]
    fn pruning_is_off_unless_the_variable_is_a_positive_integer() {
        assert_eq!(keep_versions(Err(VarError::NotPresent)), Ok(None));
        assert_eq!(keep_versions(Ok(" 3 ".into())), Ok(Some(3)));
        for bad in ["0", "-1", "three", ""] {
            let error = keep_versions(Ok(bad.into())).expect_err(bad);
            assert!(error.contains("must be a positive integer"), "{error}");
        }
    }
}
