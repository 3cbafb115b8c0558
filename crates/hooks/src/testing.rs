//! Serving one event at a time without the Lambda runtime, against any AWS endpoint: for
//! testing a hook end to end (the library's own tests run every scenario through this).
//!
//! Logs go to the current `tracing` subscriber, so a test can capture them with
//! `tracing::subscriber::set_default`.

use crate::hook::Runner;
use crate::Hook;
use serde_json::Value;
use std::sync::Arc;

pub use crate::hook::{Delivery, HookError, Invocation, Report, Status};

/// A [`Hook`] bound to AWS clients, serving the events it is handed.
#[derive(Debug, Clone)]
pub struct TestHook {
    runner: Arc<Runner>,
}

impl TestHook {
    /// Binds `hook` to AWS clients built from `config`, as [`Hook::run`] does from the
    /// environment; with the hooks' own HTTP client (rustls on ring, plain HTTP for an
    /// `http://` endpoint) unless `config` names one.
    pub fn new(hook: Hook, config: &aws_config::SdkConfig) -> TestHook {
        TestHook {
            runner: Arc::new(hook.with_config(config)),
        }
    }

    /// Serves one lifecycle event: reads the deployment, runs the check within the deadline and
    /// reports the outcome exactly once, then runs the [`Hook::after_success`] work.
    ///
    /// Returns `Err` only when nothing could be reported: the event has no ids, or every report
    /// attempt failed before the deadline.
    pub async fn handle(&self, event: Value, invocation: Invocation) -> Result<Report, HookError> {
        self.runner.handle(event, invocation).await
    }

    /// What Lambda gets for one event: [`TestHook::handle`], with the errors no retry can fix
    /// turned into a successful answer, so that Lambda retries only what a retry could fix.
    pub async fn respond(&self, event: Value, invocation: Invocation) -> Result<Value, HookError> {
        self.runner.respond(event, invocation).await
    }
}
