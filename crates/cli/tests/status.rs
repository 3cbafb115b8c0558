//! `gradual status` and `gradual stop` as the built binary, with the standard AWS
//! configuration from the environment (`AWS_ENDPOINT_URL` pointing at the fake endpoint that
//! crates/status's tests use, static credentials, a region). Outputs are compared with the
//! golden files of crates/status, which its own tests keep up to date.

#[path = "../../status/tests/support/mod.rs"]
mod support;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use support::fake_aws::{FakeAws, World};
use support::scenarios::{canary, stack, Stage};

const GRADUAL: &str = env!("CARGO_BIN_EXE_gradual");

/// The binary with nothing of the developer's AWS setup: only what `env` adds.
fn gradual(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut command = Command::new(GRADUAL);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent/gradual-test-home")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/gradual-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/gradual-test-credentials",
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("gradual starts");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin.as_bytes())
        .expect("gradual reads stdin");
    child.wait_with_output().expect("gradual exits")
}

/// `gradual` against `fake` with credentials and a region from the environment.
fn against(fake: &FakeAws, args: &[&str], stdin: &str) -> Output {
    gradual(
        args,
        &[
            ("AWS_ENDPOINT_URL", fake.endpoint.as_str()),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE"),
            ("AWS_SECRET_ACCESS_KEY", "fake-secret"),
        ],
        stdin,
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

fn golden(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../status/tests/golden")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()))
}

fn start(script: Vec<World>) -> FakeAws {
    FakeAws::start(script)
}

#[test]
fn status_prints_the_table_and_the_json() {
    let fake = start(vec![canary(Stage::Shifting(10))]);
    let output = against(&fake, &["status", "orders"], "");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), golden("canary_10.txt"));
    let output = against(&fake, &["status", "orders", "--format", "json"], "");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), golden("canary_10.json"));
}

#[test]
fn watch_to_a_pipe_prints_lines_and_exits_with_the_outcome() {
    let success = start(vec![
        canary(Stage::PreTrafficRunning),
        canary(Stage::Shifting(10)),
        canary(Stage::PostTrafficRunning),
        canary(Stage::Succeeded),
    ]);
    let output = against(
        &success,
        &["status", "orders", "--watch", "--interval", "0.01"],
        "",
    );
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    // A pipe gets plain lines, never a progress bar's escape sequences.
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
    assert!(stdout.ends_with("done: stack orders UPDATE_COMPLETE, the deployment succeeded\n"));

    let rollback = start(vec![
        canary(Stage::Shifting(10)),
        canary(Stage::AlarmFiring),
        canary(Stage::RollingBack),
        canary(Stage::RolledBack),
    ]);
    let output = against(
        &rollback,
        &["status", "orders", "--watch", "--interval", "0.01"],
        "",
    );
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(
        stdout.ends_with(
            "failed: stack orders UPDATE_ROLLBACK_COMPLETE; Api deployment d-7KX2M9PQ1 Stopped\n"
        ),
        "{stdout}"
    );
}

#[test]
fn stop_with_yes_stops_once_with_rollback() {
    let fake = start(vec![canary(Stage::Shifting(10))]);
    let output = against(&fake, &["stop", "orders", "--function", "Api", "--yes"], "");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "Stopped Api deployment d-7KX2M9PQ1 (Pending: Stopping deployment); CodeDeploy rolls live back to version 2.\n"
    );
    let calls = fake.requests_to("codedeploy:StopDeployment");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].params["autoRollbackEnabled"], true);
}

#[test]
fn stop_asks_on_stdin_and_stops_nothing_when_told_no() {
    let fake = start(vec![canary(Stage::Shifting(10))]);
    let output = against(&fake, &["stop", "orders"], "no\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("[y/N]"));
    assert!(fake.requests_to("codedeploy:StopDeployment").is_empty());
}

#[test]
fn an_unknown_stack_is_exit_2() {
    let fake = start(vec![canary(Stage::Succeeded)]);
    let output = against(&fake, &["status", "nope"], "");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "gradual: error: stack `nope` does not exist in eu-west-1\n"
    );
}

#[test]
fn a_stack_without_gradual_functions_is_exit_0_with_a_message() {
    let fake = start(vec![stack("UPDATE_COMPLETE", &[])]);
    let output = against(&fake, &["status", "orders", "--watch"], "");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "Stack orders has no gradually deployed functions (no AWS::Lambda::Alias with a CodeDeploy update policy).\n"
    );
}

#[test]
fn no_region_is_exit_2() {
    let output = gradual(
        &["status", "orders"],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE"),
            ("AWS_SECRET_ACCESS_KEY", "fake-secret"),
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).starts_with("gradual: error: no AWS region: pass --region"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn no_credentials_is_exit_2() {
    let output = gradual(&["status", "orders", "--region", "eu-west-1"], &[], "");
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with("gradual: error: no usable AWS credentials"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn interval_needs_watch_and_a_positive_number() {
    let output = gradual(&["status", "orders", "--interval", "1"], &[], "");
    assert_eq!(output.status.code(), Some(2));
    let output = gradual(&["status", "orders", "--watch", "--interval", "0"], &[], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("expected more than 0"));
}

#[test]
fn ctrl_c_ends_watch_cleanly_with_130() {
    use std::io::{BufRead as _, BufReader};
    // A deployment that never finishes.
    let fake = start(vec![canary(Stage::Shifting(10))]);
    let mut child = Command::new(GRADUAL)
        .args(["status", "orders", "--watch", "--interval", "0.05"])
        .env_clear()
        .env("HOME", "/nonexistent/gradual-test-home")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", &fake.endpoint)
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
        .env("AWS_SECRET_ACCESS_KEY", "fake-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gradual starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first line");
    assert_eq!(first, "stack orders: UPDATE_IN_PROGRESS\n");
    // The first line is printed after the refresh that installed the handler had started.
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let output = child.wait_with_output().expect("gradual exits");
    assert_eq!(output.status.code(), Some(130));
    assert_eq!(
        text(&output.stderr),
        "gradual: interrupted; deployments carry on without watching\n"
    );
}

#[test]
fn watch_on_a_terminal_draws_bars_then_the_final_table() {
    // util-linux's `script` gives the binary a pseudo-terminal as stdout.
    let run = |term: &str| {
        let fake = start(vec![
            canary(Stage::Shifting(10)),
            canary(Stage::PostTrafficRunning),
            canary(Stage::Succeeded),
        ]);
        let typescript =
            std::env::temp_dir().join(format!("gradual-tty-{}-{term}", std::process::id()));
        let command = format!("{GRADUAL} status orders --watch --interval 0.3");
        let status = Command::new("script")
            .args(["-qfec", &command])
            .arg(&typescript)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", "/nonexistent/gradual-test-home")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &fake.endpoint)
            .env("AWS_REGION", "eu-west-1")
            .env("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
            .env("AWS_SECRET_ACCESS_KEY", "fake-secret")
            .env("TERM", term)
            .stdin(Stdio::null())
            .status()
            .expect("script (util-linux) runs");
        let screen = std::fs::read_to_string(&typescript).expect("a typescript");
        let _ = std::fs::remove_file(&typescript);
        assert!(status.success(), "{screen}");
        screen
    };
    let screen = run("xterm");
    // Bars redrawn in place (erase-line sequences), then the table after them.
    let bar = screen
        .find("Api          [")
        .unwrap_or_else(|| panic!("a progress bar in {screen:?}"));
    assert!(screen.contains("\u{1b}[2K"), "{screen}");
    let table = screen
        .rfind("FUNCTION  ALIAS  DEPLOYMENT")
        .expect("the final table");
    assert!(bar < table, "{screen}");
    assert!(screen.contains("done: stack orders UPDATE_COMPLETE, the deployment succeeded"));
    // A terminal that can't redraw gets the lines a pipe gets.
    let dumb = run("dumb");
    assert!(
        dumb.contains("stack orders: UPDATE_IN_PROGRESS\r\nApi: d-7KX2M9PQ1 InProgress, 10%"),
        "{dumb}"
    );
    assert!(!dumb.contains("\u{1b}["), "{dumb}");
}
