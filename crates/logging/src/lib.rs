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

/// A writer that keeps every line written to it, for tests that read the log lines as
/// CloudWatch would receive them, from the subscriber the functions install.
#[derive(Clone, Debug, Default)]
pub struct CapturedLines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLines {
    /// Everything written so far; an invalid UTF-8 sequence (which the JSON formatter never
    /// writes) is replaced rather than lost.
    pub fn text(&self) -> String {
        match self.0.lock() {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(poisoned) => String::from_utf8_lossy(&poisoned.into_inner()).into_owned(),
        }
    }
}

impl std::io::Write for CapturedLines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("log buffer poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'writer> MakeWriter<'writer> for CapturedLines {
    type Writer = Self;

    fn make_writer(&'writer self) -> Self::Writer {
        self.clone()
    }
}
