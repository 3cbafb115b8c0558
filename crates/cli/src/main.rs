//! `gradual`: see `gradual --help`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = gradual_cli::run(
        std::env::args_os(),
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
