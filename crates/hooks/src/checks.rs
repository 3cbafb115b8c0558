//! The checks behind the ready-made hook functions, usable from your own hooks too.
//!
//! * [`pre_traffic`]: the target version is ready, and passes its smoke test if one is configured.
//! * [`post_traffic`]: the same for the version the alias now serves, then optional pruning of old
//!   versions.

use crate::appspec::Phase;
use crate::deployment::Deployment;
use crate::expect::first_mismatch;
use crate::hook::{CheckError, THROTTLING_CODES};
use crate::text::{self, excerpt};
use aws_config::retry::RetryConfig;
use aws_sdk_lambda::config::http::HttpResponse;
use aws_sdk_lambda::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::types::{LastUpdateStatus, State};
use gradual_contract::{smoke_test_parameter_name, STACK_ID_TAG_KEY};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

/// How long to wait between two looks at a version that is still being prepared.
const READY_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// A smoke test: invoke the version with `event`; its response must contain `expect`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmokeTest {
    /// The payload sent to the function.
    pub event: Value,
    /// A JSON subset the response payload must contain; absent means "any response that is not a
    /// `FunctionError`". An explicit `null` is a configuration mistake, rejected when read: it
    /// reads as "expect null" but would accept anything.
    #[serde(default, deserialize_with = "expect_not_null")]
    pub expect: Option<Value>,
}

fn expect_not_null<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Value>, D::Error> {
    match <Value as serde::Deserialize>::deserialize(deserializer)? {
        Value::Null => Err(serde::de::Error::custom(
            "\"expect\": null is a configuration mistake: leave \"expect\" out to accept any \
             response that is not a FunctionError, or give the JSON the response must contain",
        )),
        value => Ok(Some(value)),
    }
}

/// The stack that owns the target function, as its tags say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    /// The function's ARN, unqualified.
    pub function_arn: String,
    /// Its `aws:cloudformation:stack-id` tag; `None` when no stack created it.
    pub stack_id: Option<String>,
}

/// The default pre-traffic check: it serves `BeforeAllowTraffic`, the deployment belongs to the
/// function's stack, and the target version is `Active`, last update `Successful`, and passes
/// its smoke test if one is configured.
pub async fn pre_traffic(deployment: &Deployment) -> Result<(), CheckError> {
    require_phase(deployment, Phase::BeforeAllowTraffic)?;
    let ownership = verify_ownership(deployment).await?;
    verify_version(deployment, &deployment.target.target_version, &ownership).await
}

/// The default post-traffic check: it serves `AfterAllowTraffic`, the deployment belongs to the
/// function's stack, the alias now sends all its traffic to the target version, and that
/// version passes [`verify_version`]. Pruning is not part of it: see [`prune_versions`], which
/// the ready-made hook runs only after `Succeeded` is reported.
pub async fn post_traffic(deployment: &Deployment) -> Result<(), CheckError> {
    require_phase(deployment, Phase::AfterAllowTraffic)?;
    let ownership = verify_ownership(deployment).await?;
    let target = &deployment.target;
    let aliases = list_aliases(deployment).await?;
    let alias = aliases
        .iter()
        .find(|alias| alias.name == target.alias)
        .ok_or_else(|| format!("alias {} of {} not found", target.alias, target.name))?;
    let stray: Vec<&String> = alias
        .weighted_versions
        .iter()
        .filter(|version| **version != target.target_version)
        .collect();
    if alias.function_version != target.target_version || !stray.is_empty() {
        let reason = format!(
            "after traffic moved, alias {} should send everything to version {}, but it points at \
             {} with weighted versions {stray:?}",
            target.alias, target.target_version, alias.function_version
        );
        tracing::warn!(
            phase = "post-traffic",
            decision = "alias-elsewhere",
            alias = %target.alias,
            version = %alias.function_version,
            "{reason}"
        );
        return Err(reason.into());
    }
    tracing::info!(
        phase = "post-traffic",
        decision = "checking",
        alias = %target.alias,
        version = %target.target_version,
        "the alias now serves the target version"
    );
    verify_version(deployment, &target.target_version, &ownership).await
}

/// Fails unless the AppSpec lists this hook for exactly `expected`: a pre-traffic check run
/// after traffic moved (or the reverse) would gate nothing, or prune before the switch.
pub fn require_phase(deployment: &Deployment, expected: Phase) -> Result<(), CheckError> {
    if deployment.phase == Some(expected) {
        return Ok(());
    }
    let found = deployment
        .phase
        .map_or("no single lifecycle event".to_owned(), |phase| {
            phase.as_str().to_owned()
        });
    let reason = format!(
        "this is a {expected} hook, but the AppSpec lists it for {found}: wire it as the \
         deployment preference's {} hook",
        match expected {
            Phase::BeforeAllowTraffic => "PreTraffic",
            Phase::AfterAllowTraffic => "PostTraffic",
        }
    );
    tracing::warn!(phase = "phase", decision = "wrong-phase", "{reason}");
    Err(reason.into())
}

/// Reads which stack owns the target function and fails when the deployment's group provably
/// belongs to another one: both carry `aws:cloudformation:stack-id`, with different values.
///
/// A missing tag on either side is not proof of anything (resources made by hand, or a
/// resource type CloudFormation does not tag), and failing on it could fail every healthy
/// deployment, so it is logged as `unverified` and the deployment goes on.
///
/// The installed hooks serve every stack in the account: without this, anyone able to create a
/// CodeDeploy deployment could point one at another team's function and have the hooks invoke
/// any of its versions.
pub async fn verify_ownership(deployment: &Deployment) -> Result<Ownership, CheckError> {
    let (function_arn, stack_id) = function_stack(deployment).await?;
    let group_stack = deployment_group_stack(deployment, &function_arn).await?;
    if is_foreign(group_stack.as_deref(), stack_id.as_deref()) {
        let reason = format!(
            "deployment group {}/{} belongs to stack {}, but function {} to stack {}: the hooks \
             only serve deployments made by the stack that owns the function",
            deployment.application_name,
            deployment.deployment_group_name,
            group_stack.as_deref().unwrap_or("(none)"),
            deployment.target.name,
            stack_id.as_deref().unwrap_or("(none)"),
        );
        tracing::warn!(
            phase = "ownership",
            decision = "foreign-deployment",
            function_stack = stack_id.as_deref(),
            deployment_group_stack = group_stack.as_deref(),
            "{reason}"
        );
        return Err(reason.into());
    }
    let (decision, message) = match (&group_stack, &stack_id) {
        (Some(_), Some(_)) => (
            "verified",
            "the deployment group and the function belong to the same stack",
        ),
        _ => (
            "unverified",
            "the deployment group or the function carries no stack tag, so their stack can't be compared",
        ),
    };
    tracing::info!(
        phase = "ownership",
        decision,
        function_stack = stack_id.as_deref(),
        deployment_group_stack = group_stack.as_deref(),
        "{message}"
    );
    Ok(Ownership {
        function_arn,
        stack_id,
    })
}

/// The target function's unqualified ARN, and the stack its tags name.
async fn function_stack(deployment: &Deployment) -> Result<(String, Option<String>), CheckError> {
    let target = &deployment.target;
    let configuration = deployment
        .clients()
        .lambda
        .get_function_configuration()
        .function_name(&target.name)
        .qualifier(&target.target_version)
        .send()
        .await
        .map_err(|error| {
            format!(
                "GetFunctionConfiguration {}:{} failed: {}",
                target.name,
                target.target_version,
                DisplayErrorContext(&error)
            )
        })?;
    let qualified = configuration
        .function_arn()
        .ok_or("GetFunctionConfiguration returned no FunctionArn")?;
    let function_arn = unqualified_arn(qualified);
    let tags = deployment
        .clients()
        .lambda
        .list_tags()
        .resource(&function_arn)
        .send()
        .await
        .map_err(|error| {
            format!(
                "ListTags {function_arn} failed: {}",
                DisplayErrorContext(&error)
            )
        })?;
    let stack_id = tags
        .tags()
        .and_then(|tags| tags.get(STACK_ID_TAG_KEY))
        .cloned();
    Ok((function_arn, stack_id))
}

/// The stack the deployment's group belongs to, as its tags say.
async fn deployment_group_stack(
    deployment: &Deployment,
    function_arn: &str,
) -> Result<Option<String>, CheckError> {
    let group_arn = deployment_group_arn(function_arn, deployment)
        .ok_or_else(|| format!("{function_arn} is not a Lambda function ARN"))?;
    let group_tags = deployment
        .clients()
        .codedeploy
        .list_tags_for_resource()
        .resource_arn(&group_arn)
        .send()
        .await
        .map_err(|error| {
            format!(
                "ListTagsForResource {group_arn} failed: {}",
                aws_sdk_codedeploy::error::DisplayErrorContext(&error)
            )
        })?;
    Ok(group_tags
        .tags()
        .iter()
        .find(|tag| tag.key() == Some(STACK_ID_TAG_KEY))
        .and_then(|tag| tag.value())
        .map(str::to_owned))
}

/// Two resources provably belong to different stacks.
fn is_foreign(one: Option<&str>, other: Option<&str>) -> bool {
    matches!((one, other), (Some(a), Some(b)) if a != b)
}

/// `arn:aws:lambda:r:a:function:name[:qualifier]` without its qualifier.
fn unqualified_arn(arn: &str) -> String {
    arn.splitn(8, ':').take(7).collect::<Vec<_>>().join(":")
}

fn deployment_group_arn(function_arn: &str, deployment: &Deployment) -> Option<String> {
    let parts: Vec<&str> = function_arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "lambda", region, account, "function", _, ..] => Some(format!(
            "arn:{partition}:codedeploy:{region}:{account}:deploymentgroup:{}/{}",
            deployment.application_name, deployment.deployment_group_name
        )),
        _ => None,
    }
}

/// Checks that `version` is ready, then runs its smoke test if one is configured (and belongs
/// to the function's stack).
pub async fn verify_version(
    deployment: &Deployment,
    version: &str,
    ownership: &Ownership,
) -> Result<(), CheckError> {
    wait_until_ready(deployment, version).await?;
    match load_smoke_test(deployment, ownership).await? {
        Some(test) => run_smoke_test(deployment, version, &test).await,
        None => Ok(()),
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
        let state_name = state.map(State::as_str);
        let update_name = update.map(LastUpdateStatus::as_str);
        match (state, update) {
            (Some(State::Active), Some(LastUpdateStatus::Successful)) => {
                tracing::info!(
                    phase = "readiness",
                    decision = "ready",
                    version,
                    state = state_name,
                    last_update_status = update_name,
                    "the version is Active and its last update Successful"
                );
                return Ok(());
            }
            (Some(State::Pending), _) | (_, Some(LastUpdateStatus::InProgress))
                if deployment.time_left() > READY_POLL_INTERVAL =>
            {
                tracing::info!(
                    phase = "readiness",
                    decision = "waiting",
                    version,
                    state = state_name,
                    last_update_status = update_name,
                    "the version is still being prepared"
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
                tracing::warn!(
                    phase = "readiness",
                    decision = "not-ready",
                    version,
                    state = state_name,
                    last_update_status = update_name,
                    "{}",
                    text::reason(&reason)
                );
                return Err(reason.into());
            }
        }
    }
}

/// Reads the smoke test configured for the target function; `None` when there is none, or
/// when its parameter provably belongs to another stack than the function (both tagged,
/// differently; logged as `untrusted`). A
/// parameter that is not a valid smoke test is an error. `SecureString` values are decrypted.
pub async fn load_smoke_test(
    deployment: &Deployment,
    ownership: &Ownership,
) -> Result<Option<SmokeTest>, CheckError> {
    let name = smoke_test_parameter_name(deployment.target.short_name());
    // Tags first: an untrusted value is never read, let alone decrypted.
    let Some(parameter_stack) = parameter_stack(deployment, &name).await? else {
        return Ok(None);
    };
    if is_foreign(parameter_stack.as_deref(), ownership.stack_id.as_deref()) {
        tracing::warn!(
            phase = "smoke-test",
            decision = "untrusted",
            parameter = %name,
            parameter_stack = parameter_stack.as_deref(),
            function_stack = ownership.stack_id.as_deref(),
            "SSM parameter {name} belongs to stack {}, the function to stack {}: ignoring it, \
             as only the function's own stack may define its smoke test",
            parameter_stack.as_deref().unwrap_or("(none)"),
            ownership.stack_id.as_deref().unwrap_or("(none)"),
        );
        return Ok(None);
    }
    let Some(value) = parameter_value(deployment, &name).await? else {
        return Ok(None);
    };
    let test = serde_json::from_str(&value).map_err(|error| {
        format!(
            r#"SSM parameter {name} is not a smoke test {{"event": ..., "expect": ...}}: {}"#,
            excerpt(error.to_string().as_bytes())
        )
    })?;
    Ok(Some(test))
}

/// The stack the smoke-test parameter `name` belongs to; `None` when there is no such
/// parameter (logged as `skipped`).
async fn parameter_stack(
    deployment: &Deployment,
    name: &str,
) -> Result<Option<Option<String>>, CheckError> {
    let tags = deployment
        .clients()
        .ssm
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .send()
        .await;
    let tags = match tags {
        Ok(output) => output.tag_list,
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|service| service.is_invalid_resource_id()) =>
        {
            log_no_smoke_test(name);
            return Ok(None);
        }
        Err(error) => {
            return Err(format!(
                "ListTagsForResource {name} failed: {}",
                aws_sdk_ssm::error::DisplayErrorContext(&error)
            )
            .into())
        }
    };
    Ok(Some(
        tags.unwrap_or_default()
            .into_iter()
            .find(|tag| tag.key == STACK_ID_TAG_KEY)
            .map(|tag| tag.value),
    ))
}

/// The decrypted value of the parameter `name`; `None` when it is gone (logged as `skipped`).
async fn parameter_value(
    deployment: &Deployment,
    name: &str,
) -> Result<Option<String>, CheckError> {
    let response = deployment
        .clients()
        .ssm
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await;
    match response {
        Ok(output) => Ok(Some(
            output
                .parameter
                .and_then(|parameter| parameter.value)
                .ok_or_else(|| format!("SSM parameter {name} has no value"))?,
        )),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|service| service.is_parameter_not_found()) =>
        {
            log_no_smoke_test(name);
            Ok(None)
        }
        Err(error) => Err(format!(
            "GetParameter {name} failed: {}",
            aws_sdk_ssm::error::DisplayErrorContext(&error)
        )
        .into()),
    }
}

fn log_no_smoke_test(name: &str) {
    tracing::info!(
        phase = "smoke-test",
        decision = "skipped",
        "no SSM parameter {name}"
    );
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
        tracing::warn!(
            phase = "smoke-test",
            decision = "failed",
            version,
            function_error = %function_error,
            "{}",
            text::reason(&reason)
        );
        return Err(reason.into());
    }
    if let Some(expected) = &test.expect {
        let actual = response
            .json()
            .ok_or_else(|| format!("smoke test: version {version} returned non-JSON {excerpt}"))?;
        if let Some(mismatch) = first_mismatch(expected, &actual) {
            // Display bounds both values: a response can hold megabytes, and personal data.
            let reason = format!("smoke test: version {version} response differs at {mismatch}");
            tracing::warn!(
                phase = "smoke-test",
                decision = "failed",
                version,
                field = %mismatch.pointer,
                "{}",
                text::reason(&reason)
            );
            return Err(reason.into());
        }
    }
    tracing::info!(
        phase = "smoke-test",
        decision = "passed",
        version,
        "no FunctionError and the response contains what was expected"
    );
    Ok(())
}

/// An alias and every version it sends traffic to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AliasRoute {
    /// The alias name.
    pub(crate) name: String,
    /// The version the alias points at.
    pub(crate) function_version: String,
    /// Versions given weight through `RoutingConfig.AdditionalVersionWeights`.
    pub(crate) weighted_versions: Vec<String>,
}

/// Lists every alias of the target function (all pages).
pub(crate) async fn list_aliases(deployment: &Deployment) -> Result<Vec<AliasRoute>, CheckError> {
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
pub(crate) async fn list_versions(deployment: &Deployment) -> Result<Vec<String>, CheckError> {
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

/// Chooses the candidates for deletion: numbered versions older than `current` (the version
/// the deployment started from) and outside the newest `keep`, except any that an alias points
/// at or gives weight to, and any in `also_protected`. `$LATEST` and anything that is not a
/// plain version number are never chosen. Returned oldest first.
///
/// Versions newer than `current` are never candidates: they include the target and anything a
/// concurrent deployment or a `PublishVersion` created meanwhile.
pub(crate) fn versions_to_prune(
    versions: &[String],
    aliases: &[AliasRoute],
    keep: usize,
    current: u64,
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
        .filter(|version| **version < current && !protected.contains(version))
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
    /// Candidates kept because something still uses them, with what.
    pub kept: Vec<(u64, String)>,
    /// Versions whose deletion failed, with the error.
    pub failed: Vec<(u64, String)>,
    /// Candidates not examined: pruning stopped first. The next deployment picks them up.
    pub left: Vec<u64>,
    /// Why pruning stopped before the end, if it did.
    pub stopped: Option<String>,
}

/// Why a pruning step could not go on.
enum Step<T> {
    Done(T),
    /// Throttled or out of time: stop pruning, leave the rest for next time.
    Stop(String),
    /// This call failed; the version it was about is kept.
    Failed(String),
}

fn is_throttled<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    error
        .raw_response()
        .is_some_and(|raw| raw.status().as_u16() == 429)
        || error
            .code()
            .is_some_and(|code| THROTTLING_CODES.contains(&code))
}

/// Sends one Lambda call without SDK retries (pruning stops on throttling instead of waiting it
/// out), bounded by the time left.
async fn bounded<T, E, F>(deployment: &Deployment, what: &str, call: F) -> Step<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    match tokio::time::timeout(deployment.time_left(), call).await {
        Err(_elapsed) => Step::Stop(format!("out of time during {what}")),
        Ok(Ok(value)) => Step::Done(value),
        Ok(Err(error)) if is_throttled(&error) => Step::Stop(format!(
            "{what} was throttled: {}",
            excerpt(DisplayErrorContext(&error).to_string().as_bytes())
        )),
        Ok(Err(error)) => Step::Failed(format!(
            "{what} failed: {}",
            excerpt(DisplayErrorContext(&error).to_string().as_bytes())
        )),
    }
}

fn no_retries() -> aws_sdk_lambda::config::Builder {
    aws_sdk_lambda::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// The numbered versions with provisioned concurrency (all pages).
async fn provisioned_versions(deployment: &Deployment) -> Step<BTreeSet<u64>> {
    let mut versions = BTreeSet::new();
    let mut marker: Option<String> = None;
    loop {
        let call = deployment
            .clients()
            .lambda
            .list_provisioned_concurrency_configs()
            .function_name(&deployment.target.name)
            .set_marker(marker.take())
            .customize()
            .config_override(no_retries())
            .send();
        let page = match bounded(deployment, "ListProvisionedConcurrencyConfigs", call).await {
            Step::Done(page) => page,
            Step::Stop(why) => return Step::Stop(why),
            Step::Failed(why) => return Step::Failed(why),
        };
        versions.extend(
            page.provisioned_concurrency_configs()
                .iter()
                .filter_map(|config| config.function_arn())
                .filter_map(|arn| arn.rsplit(':').next())
                .filter_map(version_number),
        );
        match page.next_marker() {
            Some(next) if !next.is_empty() => marker = Some(next.to_owned()),
            _ => return Step::Done(versions),
        }
    }
}

/// What still uses `version`, if anything: an event source mapping or a resource policy of its
/// own. `Failed` when that cannot be known (the version is then kept).
async fn still_used(deployment: &Deployment, version: u64) -> Step<Option<String>> {
    let qualified = format!("{}:{version}", deployment.target.name);
    let call = deployment
        .clients()
        .lambda
        .list_event_source_mappings()
        .function_name(&qualified)
        .max_items(1)
        .customize()
        .config_override(no_retries())
        .send();
    match bounded(deployment, "ListEventSourceMappings", call).await {
        Step::Done(page) => {
            if let Some(mapping) = page.event_source_mappings().first() {
                return Step::Done(Some(format!(
                    "event source mapping {} from {}",
                    mapping.uuid().unwrap_or("?"),
                    mapping.event_source_arn().unwrap_or("?")
                )));
            }
        }
        Step::Stop(why) => return Step::Stop(why),
        Step::Failed(why) => return Step::Failed(why),
    }
    let call = deployment
        .clients()
        .lambda
        .get_policy()
        .function_name(&deployment.target.name)
        .qualifier(version.to_string())
        .customize()
        .config_override(no_retries())
        .send();
    match tokio::time::timeout(deployment.time_left(), call).await {
        Err(_elapsed) => Step::Stop("out of time during GetPolicy".to_owned()),
        Ok(Ok(_)) => Step::Done(Some("a resource-based policy of its own".to_owned())),
        Ok(Err(error))
            if error
                .as_service_error()
                .is_some_and(|service| service.is_resource_not_found_exception()) =>
        {
            Step::Done(None)
        }
        Ok(Err(error)) if is_throttled(&error) => Step::Stop("GetPolicy was throttled".to_owned()),
        Ok(Err(error)) => Step::Failed(format!(
            "GetPolicy failed: {}",
            excerpt(DisplayErrorContext(&error).to_string().as_bytes())
        )),
    }
}

/// Deletes old versions of the target function, keeping the newest `keep`, every version newer
/// than the deployment's current one, the current and target versions, and every version still
/// in use: an alias points at it or gives it weight, it has provisioned concurrency, an event
/// source mapping targets it (deleting it would lose that queue's or stream's records), or it
/// has a resource-based policy of its own (something outside invokes that exact version).
///
/// Run it after the status is reported ([`crate::Hook::after_success`]), never inside a check:
/// it is housekeeping, and must not turn a healthy deployment into a rollback. It stops at the
/// first throttling or when [`Deployment::time_left`] runs out, and logs what it left for the
/// next deployment. Not protected: anything that names a version ARN without Lambda knowing,
/// such as an API Gateway integration or a Step Functions task pinned to `function:name:7`.
pub async fn prune_versions(
    deployment: &Deployment,
    keep: usize,
) -> Result<PruneSummary, CheckError> {
    let target = &deployment.target;
    let Some(current) = version_number(&target.current_version) else {
        let reason = format!(
            "the current version {:?} is not a version number, so what is older is unknown",
            target.current_version
        );
        tracing::warn!(phase = "prune", decision = "skipped", "{reason}");
        return Err(reason.into());
    };
    let versions = list_versions(deployment).await?;
    let aliases = list_aliases(deployment).await?;
    let candidates = versions_to_prune(
        &versions,
        &aliases,
        keep,
        current,
        &[&target.current_version, &target.target_version],
    );
    let mut summary = PruneSummary::default();
    let provisioned = if candidates.is_empty() {
        BTreeSet::new()
    } else {
        match provisioned_versions(deployment).await {
            Step::Done(provisioned) => provisioned,
            Step::Stop(why) | Step::Failed(why) => {
                summary.left = candidates;
                summary.stopped = Some(why);
                log_prune(keep, &summary);
                return Ok(summary);
            }
        }
    };
    let mut queue = candidates.into_iter();
    while let Some(version) = queue.next() {
        if let Some(why) = prune_one(deployment, version, &provisioned, &mut summary).await {
            summary.left.push(version);
            summary.left.extend(queue.by_ref());
            summary.stopped = Some(why);
        }
    }
    log_prune(keep, &summary);
    Ok(summary)
}

/// Deletes `version` unless something still uses it, recording the outcome in `summary`;
/// returns why pruning must stop, if it must.
async fn prune_one(
    deployment: &Deployment,
    version: u64,
    provisioned: &BTreeSet<u64>,
    summary: &mut PruneSummary,
) -> Option<String> {
    if provisioned.contains(&version) {
        summary
            .kept
            .push((version, "provisioned concurrency".to_owned()));
        return None;
    }
    match still_used(deployment, version).await {
        Step::Done(Some(user)) => {
            summary.kept.push((version, user));
            return None;
        }
        Step::Done(None) => {}
        Step::Failed(why) => {
            summary.kept.push((version, format!("unknown: {why}")));
            return None;
        }
        Step::Stop(why) => return Some(why),
    }
    let call = deployment
        .clients()
        .lambda
        .delete_function()
        .function_name(&deployment.target.name)
        .qualifier(version.to_string())
        .customize()
        .config_override(no_retries())
        .send();
    match bounded(deployment, "DeleteFunction", call).await {
        Step::Done(_) => summary.deleted.push(version),
        Step::Failed(why) => summary.failed.push((version, why)),
        Step::Stop(why) => return Some(why),
    }
    None
}

fn log_prune(keep: usize, summary: &PruneSummary) {
    let decision = match (&summary.stopped, summary.failed.is_empty()) {
        (Some(_), _) => "stopped",
        (None, true) => "pruned",
        (None, false) => "partly-pruned",
    };
    let reason = match &summary.stopped {
        Some(why) => format!(
            "stopped early ({why}); {} version(s) left for the next deployment",
            summary.left.len()
        ),
        None => format!(
            "kept the newest {keep} versions, every version newer than the current one, and every \
             version still in use"
        ),
    };
    let pairs = |list: &[(u64, String)], key: &str| -> Vec<Value> {
        list.iter()
            .map(|(version, why)| json!({"version": version, key: why}))
            .collect()
    };
    let kept = Value::Array(pairs(&summary.kept, "used_by"));
    let failed = Value::Array(pairs(&summary.failed, "error"));
    // tracing fields are scalars: the lists are JSON text, to be parsed back.
    tracing::info!(
        phase = "prune",
        decision,
        deleted = %json!(summary.deleted),
        kept = %kept,
        failed = %failed,
        left = %json!(summary.left),
        "{reason}"
    );
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
        assert_eq!(versions_to_prune(&all, &aliases, 2, 10, &[]), vec![2, 4, 5]);
        assert_eq!(versions_to_prune(&all, &aliases, 2, 10, &["4"]), vec![2, 5]);
        assert_eq!(
            versions_to_prune(&all, &aliases, 100, 10, &[]),
            Vec::<u64>::new()
        );
        // Nothing at or above the deployment's current version is a candidate.
        assert_eq!(versions_to_prune(&all, &aliases, 0, 4, &[]), vec![2]);
    }

    #[test]
    fn never_touches_latest_or_odd_names() {
        let all = versions(&["$LATEST", "", "abc", "1"]);
        assert_eq!(versions_to_prune(&all, &[], 0, 2, &[]), vec![1]);
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
        let null = serde_json::from_str::<SmokeTest>(r#"{"event": {}, "expect": null}"#)
            .expect_err("null expect")
            .to_string();
        assert!(null.contains("configuration mistake"), "{null}");
    }

    #[test]
    fn qualifiers_are_cut_from_function_arns() {
        assert_eq!(
            unqualified_arn("arn:aws:lambda:us-east-1:1:function:api:7"),
            "arn:aws:lambda:us-east-1:1:function:api"
        );
    }
}
