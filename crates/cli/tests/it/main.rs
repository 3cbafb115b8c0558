//! Integration tests of the `gradual` command line.

/// `gradual_cli::run` in-process: exit codes, streams, formats.
mod in_process;
/// The built binary as a real process.
mod process;
/// Shared helpers: temporary templates and an in-process runner.
mod support;
