//! The hooks' log lines as they would reach CloudWatch: the production subscriber, writing to
//! a buffer instead of standard output.

use gradual_logging::CapturedLines;
use serde_json::Value;
use tracing::subscriber::DefaultGuard;

/// Every line logged on this thread while it lives (the tests' runtime is single-threaded, and
/// the hook hands its subscriber on to the tasks it spawns).
pub struct Logs {
    buffer: CapturedLines,
    _installed: DefaultGuard,
}

impl Logs {
    pub fn capture() -> Logs {
        let buffer = CapturedLines::default();
        let installed =
            tracing::subscriber::set_default(gradual_logging::json_subscriber(buffer.clone()));
        Logs {
            buffer,
            _installed: installed,
        }
    }

    /// The lines so far, each parsed (so each must be one JSON object).
    pub fn lines(&self) -> Vec<Value> {
        self.buffer
            .text()
            .lines()
            .map(|line| serde_json::from_str(line).expect("every log line is JSON"))
            .collect()
    }
}
