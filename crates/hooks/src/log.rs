//! Structured logs: one JSON object per line, one line per phase of a hook invocation.

use serde_json::{Map, Value};
use std::sync::Arc;

type Sink = Arc<dyn Fn(&Value) + Send + Sync>;

/// Writes one JSON line per decision; by default to standard output, which Lambda ships to
/// CloudWatch Logs.
#[derive(Clone)]
pub(crate) struct Logger {
    sink: Sink,
    context: Map<String, Value>,
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logger")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl Default for Logger {
    fn default() -> Self {
        Logger::new(Arc::new(|line: &Value| println!("{line}")))
    }
}

/// The longest `reason` a line carries: a last guard behind the excerpts the checks already cut,
/// since reasons can quote SDK errors and responses.
pub(crate) const MAX_REASON_CHARS: usize = 2048;

pub(crate) fn bounded(reason: &str) -> String {
    match reason.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}… ({} bytes)", &reason[..cut], reason.len()),
        None => reason.to_owned(),
    }
}

impl Logger {
    pub(crate) fn new(sink: Sink) -> Self {
        Logger {
            sink,
            context: Map::new(),
        }
    }

    /// A logger that adds `key` to every line it writes.
    pub(crate) fn with(&self, key: &str, value: impl Into<Value>) -> Logger {
        let mut context = self.context.clone();
        context.insert(key.to_owned(), value.into());
        Logger {
            sink: self.sink.clone(),
            context,
        }
    }

    /// Logs what was decided in `phase` and why, plus any `details`.
    pub(crate) fn decision(&self, phase: &str, decision: &str, reason: &str, details: Value) {
        let mut line = Map::new();
        line.insert("phase".into(), phase.into());
        line.insert("decision".into(), decision.into());
        line.insert("reason".into(), bounded(reason).into());
        line.extend(self.context.clone());
        if let Value::Object(details) = details {
            line.extend(details);
        }
        (self.sink)(&Value::Object(line));
    }
}
