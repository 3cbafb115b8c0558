//! The log format of gradual's Lambda functions: one JSON object per line, which Lambda ships
//! to CloudWatch Logs. The macro and the hooks install the same subscriber, so that one level
//! cap protects both and their lines can be queried alike.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The subscriber the functions install, writing one JSON object per line to `writer`: the
/// event's fields at the top level, next to `timestamp`, `level` and `message`, and the fields
/// of the innermost span under `span`.
///
/// The level is fixed at INFO: `lambda_runtime` logs the raw event payload at TRACE, so a
/// level taken from the environment could put secrets in the logs.
pub fn json_subscriber<W>(writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_target(false)
        // The innermost span already names the invocation (the macro's Lambda request id, a
        // hook's deployment id); the whole list would repeat the outer ones on every line.
        .with_span_list(false)
        .with_max_level(LevelFilter::INFO)
        .with_writer(writer)
        .finish()
}
