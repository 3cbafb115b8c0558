//! The checks behind the ready-made hook functions, usable from your own hooks too.
//!
//! * [`pre_traffic`]: the target version is ready, and passes its smoke test if one is configured.
//! * [`post_traffic`]: the same for the version the alias now serves, then optional pruning of old
//!   versions.

use crate::deployment::Deployment;
use crate::expect::first_mismatch;
use crate::hook::CheckError;
use aws_sdk_lambda::error::DisplayErrorContext;
use aws_sdk_lambda::types::{LastUpdateStatus, State};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

pub use gradual_contract::{smoke_test_parameter_name, SMOKE_TEST_PARAMETER_PREFIX};

/// The environment variable that turns on pruning in the post-traffic hook.
pub const KEEP_VERSIONS_VARIABLE: &str = "GRADUAL_KEEP_VERSIONS";

/// How long to wait between two looks at a version that is still being prepared.
const READY_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// A smoke test: invoke the version with `event`; its response must contain `expect`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmokeTest {
    /// The payload sent to the function.
    pub event: Value,
    /// A JSON subset the response payload must contain; absent means "any response that is not a
    /// `FunctionError`".
    #[serde(default)]
    pub expect: Option<Value>,
}

/// The default pre-traffic check: the target version is `Active` and its last update
/// `Successful`, and it passes its smoke test if one is configured.
pub async fn pre_traffic(deployment: &Deployment) -> Result<(), CheckError> {
    verify_version(deployment, &deployment.target.target_version).await
}

/// The default post-traffic check: [`verify_version`] on the version the alias now serves, then,
/// when `keep_versions` is `Some(n)`, [`prune_versions`]. Pruning problems are logged but never
/// fail a deployment whose new version is healthy.
pub async fn post_traffic(
    deployment: &Deployment,
    keep_versions: Option<usize>,
) -> Result<(), CheckError> {
    let aliases = list_aliases(deployment).await?;
    let served = aliases
        .iter()
        .find(|alias| alias.name == deployment.target.alias)
        .map(|alias| alias.function_version.clone())
        .ok_or_else(|| {
            format!(
                "alias {} of {} not found",
                deployment.target.alias, deployment.target.name
            )
        })?;
    deployment.log_with(
        "post-traffic",
        "checking",
        "the alias now serves this version",
        json!({"alias": deployment.target.alias, "version": served}),
    );
    verify_version(deployment, &served).await?;
    if let Some(keep) = keep_versions {
        if let Err(error) = prune_versions(deployment, keep).await {
            deployment.log("prune", "skipped", &format!("pruning failed: {error}"));
        }
    }
    Ok(())
}

/// Checks that `version` is ready, then runs its smoke test if one is configured.
pub async fn verify_version(deployment: &Deployment, version: &str) -> Result<(), CheckError> {
    wait_until_ready(deployment, version).await?;
    match load_smoke_test(deployment).await? {
        Some(test) => run_smoke_test(deployment, version, &test).await,
        None => {
            deployment.log(
                "smoke-test",
                "skipped",
                &format!(
                    "no SSM parameter {}",
                    smoke_test_parameter_name(deployment.target.short_name())
                ),
            );
            Ok(())
        }
    }
}

/// Waits (within the check's deadline) until `version` is `Active` with last update
/// `Successful`; fails at once if it is in any other settled state.
pub async fn wait_until_ready(deployment: &Deployment, version: &str) -> Result<(), CheckError> {
    loop {
        let configuration = deployment
            .clients()
            .lambda
            .get_function_configuration()
            .function_name(&deployment.target.name)
            .qualifier(version)
            .send()
            .await
            .map_err(|error| {
                format!(
                    "GetFunctionConfiguration {}:{version} failed: {}",
                    deployment.target.name,
                    DisplayErrorContext(&error)
                )
            })?;
        let state = configuration.state();
        let update = configuration.last_update_status();
        let details = json!({
            "version": version,
            "state": state.map(State::as_str),
            "last_update_status": update.map(LastUpdateStatus::as_str),
        });
        match (state, update) {
            (Some(State::Active), Some(LastUpdateStatus::Successful)) => {
                deployment.log_with(
                    "readiness",
                    "ready",
                    "the version is Active and its last update Successful",
                    details,
                );
                return Ok(());
            }
            (Some(State::Pending), _) | (_, Some(LastUpdateStatus::InProgress))
                if deployment.time_left() > READY_POLL_INTERVAL =>
            {
                deployment.log_with(
                    "readiness",
                    "waiting",
                    "the version is still being prepared",
                    details,
                );
                tokio::time::sleep(READY_POLL_INTERVAL).await;
            }
            _ => {
                let why = configuration
                    .state_reason()
                    .or(configuration.last_update_status_reason())
                    .unwrap_or("no reason given");
                let reason = format!(
                    "version {version} is not ready: State {}, LastUpdateStatus {} ({why})",
                    state.map_or("absent", State::as_str),
                    update.map_or("absent", LastUpdateStatus::as_str),
                );
                deployment.log_with("readiness", "not-ready", &reason, details);
                return Err(reason.into());
            }
        }
    }
}

/// Reads the smoke test configured for the target function; `None` when the parameter does not
/// exist. A parameter that is not a valid smoke test is an error.
pub async fn load_smoke_test(deployment: &Deployment) -> Result<Option<SmokeTest>, CheckError> {
    let name = smoke_test_parameter_name(deployment.target.short_name());
    let response = deployment
        .clients()
        .ssm
        .get_parameter()
        .name(&name)
        .send()
        .await;
    let value = match response {
        Ok(output) => output
            .parameter
            .and_then(|parameter| parameter.value)
            .ok_or_else(|| format!("SSM parameter {name} has no value"))?,
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|service| service.is_parameter_not_found()) =>
        {
            return Ok(None)
        }
        Err(error) => {
            return Err(format!(
                "GetParameter {name} failed: {}",
                aws_sdk_ssm::error::DisplayErrorContext(&error)
            )
            .into())
        }
    };
    let test = serde_json::from_str(&value).map_err(|error| {
        format!(
            r#"SSM parameter {name} is not a smoke test {{"event": ..., "expect": ...}}: {error}"#
        )
    })?;
    Ok(Some(test))
}

/// Invokes `version` with the smoke test's event; fails on a `FunctionError` or when the
/// response does not contain `expect`, naming the field that differs.
pub async fn run_smoke_test(
    deployment: &Deployment,
    version: &str,
    test: &SmokeTest,
) -> Result<(), CheckError> {
    let payload = serde_json::to_vec(&test.event)?;
    let response = deployment.invoke_version(version, payload).await?;
    let excerpt = excerpt(&response.payload);
    if let Some(function_error) = &response.function_error {
        let reason = format!(
            "smoke test: version {version} returned FunctionError {function_error}: {excerpt}"
        );
        deployment.log_with(
            "smoke-test",
            "failed",
            &reason,
            json!({"version": version, "function_error": function_error}),
        );
        return Err(reason.into());
    }
    if let Some(expected) = &test.expect {
        let actual = response
            .json()
            .ok_or_else(|| format!("smoke test: version {version} returned non-JSON {excerpt}"))?;
        if let Some(mismatch) = first_mismatch(expected, &actual) {
            let reason = format!("smoke test: version {version} response differs at {mismatch}");
            deployment.log_with(
                "smoke-test",
                "failed",
                &reason,
                json!({"version": version, "field": mismatch.pointer}),
            );
            return Err(reason.into());
        }
    }
    deployment.log_with(
        "smoke-test",
        "passed",
        "no FunctionError and the response contains what was expected",
        json!({"version": version}),
    );
    Ok(())
}

fn excerpt(payload: &[u8]) -> String {
    const LIMIT: usize = 512;
    let text = String::from_utf8_lossy(payload);
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

/// Reads [`KEEP_VERSIONS_VARIABLE`]: `Ok(None)` when unset, an error when not a positive integer.
pub fn keep_versions_from_env() -> Result<Option<usize>, String> {
    match std::env::var(KEEP_VERSIONS_VARIABLE) {
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

/// An alias and every version it sends traffic to.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasRoute {
    /// The alias name.
    pub name: String,
    /// The version the alias points at.
    pub function_version: String,
    /// Versions given weight through `RoutingConfig.AdditionalVersionWeights`.
    pub weighted_versions: Vec<String>,
}

/// Lists every alias of the target function (all pages).
pub async fn list_aliases(deployment: &Deployment) -> Result<Vec<AliasRoute>, CheckError> {
    let mut aliases = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = deployment
            .clients()
            .lambda
            .list_aliases()
            .function_name(&deployment.target.name)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|error| format!("ListAliases failed: {}", DisplayErrorContext(&error)))?;
        for alias in page.aliases() {
            let mut weighted_versions: Vec<String> = alias
                .routing_config()
                .and_then(|routing| routing.additional_version_weights())
                .map(|weights| weights.keys().cloned().collect())
                .unwrap_or_default();
            weighted_versions.sort();
            aliases.push(AliasRoute {
                name: alias.name().unwrap_or_default().to_owned(),
                function_version: alias.function_version().unwrap_or_default().to_owned(),
                weighted_versions,
            });
        }
        match page.next_marker() {
            Some(next) if !next.is_empty() => marker = Some(next.to_owned()),
            _ => return Ok(aliases),
        }
    }
}

/// Lists every version of the target function (all pages), `$LATEST` included.
pub async fn list_versions(deployment: &Deployment) -> Result<Vec<String>, CheckError> {
    let mut versions = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = deployment
            .clients()
            .lambda
            .list_versions_by_function()
            .function_name(&deployment.target.name)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|error| {
                format!(
                    "ListVersionsByFunction failed: {}",
                    DisplayErrorContext(&error)
                )
            })?;
        versions.extend(
            page.versions()
                .iter()
                .filter_map(|version| version.version().map(str::to_owned)),
        );
        match page.next_marker() {
            Some(next) if !next.is_empty() => marker = Some(next.to_owned()),
            _ => return Ok(versions),
        }
    }
}

/// Chooses the versions to delete: numbered versions outside the newest `keep`, except any that
/// an alias points at or gives weight to, and any in `also_protected`. `$LATEST` and anything
/// that is not a plain version number are never chosen. Returned oldest first.
pub fn versions_to_prune(
    versions: &[String],
    aliases: &[AliasRoute],
    keep: usize,
    also_protected: &[&str],
) -> Vec<u64> {
    let protected: BTreeSet<u64> = aliases
        .iter()
        .flat_map(|alias| {
            std::iter::once(&alias.function_version).chain(alias.weighted_versions.iter())
        })
        .map(String::as_str)
        .chain(also_protected.iter().copied())
        .filter_map(version_number)
        .collect();
    let numbered: BTreeSet<u64> = versions.iter().filter_map(|v| version_number(v)).collect();
    let mut prunable: Vec<u64> = numbered
        .iter()
        .rev()
        .skip(keep)
        .filter(|version| !protected.contains(version))
        .copied()
        .collect();
    prunable.reverse();
    prunable
}

fn version_number(version: &str) -> Option<u64> {
    if version.is_empty() || !version.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    version.parse().ok()
}

/// What pruning did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneSummary {
    /// Versions deleted.
    pub deleted: Vec<u64>,
    /// Versions whose deletion failed, with the error.
    pub failed: Vec<(u64, String)>,
}

/// Deletes the target function's versions chosen by [`versions_to_prune`], also protecting the
/// deployment's current and target versions (CodeDeploy rolls back to the current one if a
/// later step fails). Stops early when the check's deadline is near.
pub async fn prune_versions(
    deployment: &Deployment,
    keep: usize,
) -> Result<PruneSummary, CheckError> {
    const TIME_PER_DELETE: Duration = Duration::from_secs(1);
    let versions = list_versions(deployment).await?;
    let aliases = list_aliases(deployment).await?;
    let target = &deployment.target;
    let doomed = versions_to_prune(
        &versions,
        &aliases,
        keep,
        &[&target.current_version, &target.target_version],
    );
    let mut summary = PruneSummary::default();
    for version in doomed {
        if deployment.time_left() < TIME_PER_DELETE {
            deployment.log("prune", "stopped", "the check's deadline is near");
            break;
        }
        let deleted = deployment
            .clients()
            .lambda
            .delete_function()
            .function_name(&target.name)
            .qualifier(version.to_string())
            .send()
            .await;
        match deleted {
            Ok(_) => summary.deleted.push(version),
            Err(error) => summary
                .failed
                .push((version, DisplayErrorContext(&error).to_string())),
        }
    }
    deployment.log_with(
        "prune",
        if summary.failed.is_empty() { "pruned" } else { "partly-pruned" },
        &format!(
            "kept the newest {keep} versions and every version an alias points at or weights"
        ),
        json!({
            "deleted": summary.deleted,
            "failed": summary.failed.iter().map(|(v, e)| json!({"version": v, "error": e})).collect::<Vec<_>>(),
        }),
    );
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(name: &str, version: &str, weighted: &[&str]) -> AliasRoute {
        AliasRoute {
            name: name.into(),
            function_version: version.into(),
            weighted_versions: weighted.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    fn versions(list: &[&str]) -> Vec<String> {
        list.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn keeps_the_newest_and_everything_an_alias_uses() {
        let all = versions(&["$LATEST", "1", "2", "3", "4", "5", "6", "10"]);
        let aliases = [route("live", "10", &["3"]), route("old", "1", &[])];
        assert_eq!(versions_to_prune(&all, &aliases, 2, &[]), vec![2, 4, 5]);
        assert_eq!(versions_to_prune(&all, &aliases, 2, &["4"]), vec![2, 5]);
        assert_eq!(
            versions_to_prune(&all, &aliases, 100, &[]),
            Vec::<u64>::new()
        );
    }

    #[test]
    fn never_touches_latest_or_odd_names() {
        let all = versions(&["$LATEST", "", "abc", "1"]);
        assert_eq!(versions_to_prune(&all, &[], 0, &[]), vec![1]);
    }

    #[test]
    fn smoke_test_parameters_follow_the_contract() {
        assert_eq!(smoke_test_parameter_name("api"), "/gradual/smoke-tests/api");
        let test: SmokeTest = serde_json::from_str(
            r#"{"event": {"path": "/health"}, "expect": {"statusCode": 200}}"#,
        )
        .expect("valid smoke test");
        assert_eq!(test.expect, Some(json!({"statusCode": 200})));
        let no_expect: SmokeTest = serde_json::from_str(r#"{"event": {}}"#).expect("valid");
        assert_eq!(no_expect.expect, None);
        assert!(serde_json::from_str::<SmokeTest>(r#"{"expect": {}}"#).is_err());
    }

    #[test]
    fn excerpts_are_bounded() {
        assert_eq!(excerpt(b"short"), "short");
        assert_eq!(excerpt("é".repeat(600).as_bytes()).chars().count(), 513);
    }
}
