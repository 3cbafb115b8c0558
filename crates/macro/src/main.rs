//! The Lambda entry point: wires the runtime's event to [`gradual_macro::handle_and_log`].
//!
//! No AWS SDK client and no configuration: a cold start only installs the log subscriber.

use std::convert::Infallible;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

// One invocation at a time per execution environment, so one thread is enough.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing::subscriber::set_global_default(gradual_macro::log_subscriber(std::io::stdout))?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, Infallible>(gradual_macro::handle_and_log(event.payload))
    }))
    .await
}
