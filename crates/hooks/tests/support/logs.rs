//! The hooks' log lines as they would reach CloudWatch: the production subscriber, writing to
//! a buffer instead of standard output.

use serde_json::Value;
use std::io;
use std::sync::{Arc, Mutex};
use tracing::subscriber::DefaultGuard;
use tracing_subscriber::fmt::MakeWriter;

/// Every line logged on this thread while it lives (the tests' runtime is single-threaded, and
/// the hook hands its subscriber on to the tasks it spawns).
pub struct Logs {
    buffer: Buffer,
    _installed: DefaultGuard,
}

impl Logs {
    pub fn capture() -> Logs {
        let buffer = Buffer::default();
        let installed =
            tracing::subscriber::set_default(gradual_logging::json_subscriber(buffer.clone()));
        Logs {
            buffer,
            _installed: installed,
        }
    }

    /// The lines so far, each parsed (so each must be one JSON object).
    pub fn lines(&self) -> Vec<Value> {
        let bytes = self.buffer.0.lock().expect("log buffer").clone();
        String::from_utf8(bytes)
            .expect("logs are UTF-8")
            .lines()
            .map(|line| serde_json::from_str(line).expect("every log line is JSON"))
            .collect()
    }
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("log buffer poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'writer> MakeWriter<'writer> for Buffer {
    type Writer = Self;

    fn make_writer(&'writer self) -> Self::Writer {
        self.clone()
    }
}
