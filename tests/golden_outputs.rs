//! `cargo run -p gradual-tests --example golden-outputs -- DIR` writes every `fixtures/ok` case's
//! committed expected output, its `changes.yaml` expanded over its `input.yaml`, to
//! `DIR/<case>/output.json` (emptying `DIR` first), for tools that read whole templates:
//! `make semantics` and `tests/golden_compare.py`. It does not run the transform.

mod support;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(out), None) = (args.next(), args.next()) else {
        eprintln!("usage: golden-outputs DIR");
        return ExitCode::from(2);
    };
    match support::write_expected_outputs(&PathBuf::from(out)) {
        Ok(written) => {
            eprintln!("{} expected outputs written", written.len());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("golden-outputs: {error}");
            ExitCode::FAILURE
        }
    }
}
