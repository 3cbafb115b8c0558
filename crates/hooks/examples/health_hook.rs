//! A complete custom hook: the new version must answer a health event with `{"status": "ok"}`
//! within two seconds before it gets any traffic.
//!
//! Build it like the ready-made hooks (`cargo lambda build --release --example health_hook`) and
//! deploy it as a PreTraffic hook. Everything else (finding the deployment, the deadline,
//! reporting `Succeeded` or `Failed` exactly once, retries, logs) is done by `gradual_hooks`.

use gradual_hooks::{checks, CheckError, Deployment, Phase};
use std::time::{Duration, Instant};

const LATENCY_BUDGET: Duration = Duration::from_secs(2);

async fn health_check(deployment: Deployment) -> Result<(), CheckError> {
    if deployment.phase == Some(Phase::AfterAllowTraffic) {
        tracing::info!(
            phase = "health",
            decision = "skipped",
            "this check only gates traffic"
        );
        return Ok(());
    }
    // The same readiness check the ready-made hooks use: Active, last update Successful.
    checks::wait_until_ready(&deployment, &deployment.target.target_version).await?;

    let started = Instant::now();
    let response = deployment.invoke_target(r#"{"path": "/health"}"#).await?;
    let took = started.elapsed();

    if let Some(error) = &response.function_error {
        return Err(format!("the health event raised a {error} function error").into());
    }
    let body = response
        .json()
        .ok_or("the health event returned non-JSON")?;
    if body["status"] != "ok" {
        return Err(format!("unhealthy answer: {body}").into());
    }
    if took > LATENCY_BUDGET {
        return Err(format!("answered in {took:?}, over the {LATENCY_BUDGET:?} budget").into());
    }
    tracing::info!(
        phase = "health",
        decision = "healthy",
        took_ms = took.as_millis(),
        "answered ok"
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), gradual_hooks::Error> {
    gradual_hooks::run(health_check).await
}
