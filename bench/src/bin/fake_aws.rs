//! `gradual-bench-aws`: the hooks' local AWS endpoint (CodeDeploy, Lambda, SSM wire protocols),
//! as a process, so `make bench` can time the real hook binaries from process start to their
//! report.
//!
//! It reuses the endpoint the hook tests use (crates/hooks/tests/support/fake_aws.rs) with two
//! healthy deployments of `api` owned by one stack:
//! - `d-pre`: version 1 to 2, the alias still on 1, a smoke test that version 2 passes;
//! - `d-post`: the same after traffic has moved, the alias on 2.
//!
//! It prints the endpoint URL on the first line, serves until standard input closes, then
//! prints one JSON line: the status of every accepted report and any request outside
//! `HOOK_CALLS`.

#[allow(dead_code, clippy::all)]
#[path = "../../../crates/hooks/tests/support/fake_aws.rs"]
mod fake_aws;

use std::collections::BTreeMap;
use std::io::{Read, Write};

use fake_aws::{
    AliasFixture, DeploymentFixture, FakeAws, FunctionFixture, InvokeBehaviour, ParameterFixture,
    VersionFixture,
};
use serde_json::json;

const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/bench/11111111";

fn stack_tags() -> BTreeMap<String, String> {
    BTreeMap::from([("aws:cloudformation:stack-id".to_owned(), STACK.to_owned())])
}

fn deployment(current: u64, target: u64) -> DeploymentFixture {
    let appspec = json!({
        "version": "0.0",
        "Resources": [{"ApiFunction": {"Type": "AWS::Lambda::Function", "Properties": {
            "Name": "api", "Alias": "live",
            "CurrentVersion": current.to_string(), "TargetVersion": target.to_string()}}}],
        "Hooks": [{"BeforeAllowTraffic": "pre-hook"}, {"AfterAllowTraffic": "post-hook"}]
    });
    DeploymentFixture {
        group_tags: stack_tags(),
        ..DeploymentFixture::new(appspec.to_string())
    }
}

fn function(alias_version: u64) -> FunctionFixture {
    let healthy = || VersionFixture {
        invoke: InvokeBehaviour::Respond {
            payload: json!({"ok": true}),
            function_error: None,
        },
        ..VersionFixture::default()
    };
    let mut function = FunctionFixture {
        tags: stack_tags(),
        ..FunctionFixture::default()
    };
    function.versions.insert(1, healthy());
    function.versions.insert(2, healthy());
    function.aliases.push(AliasFixture {
        name: "live".into(),
        version: alias_version.to_string(),
        weights: BTreeMap::new(),
    });
    function
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let aws = FakeAws::start_in_background();
    aws.add_deployment("d-pre", deployment(1, 2));
    aws.add_deployment("d-post", deployment(1, 2));
    // One function serves both deployments; the post-traffic hook reads it after the shift.
    aws.add_function("api", function(2));
    aws.set_parameter_fixture(
        "/gradual/smoke-tests/api",
        ParameterFixture {
            value: r#"{"event": {"ping": 1}, "expect": {"ok": true}}"#.into(),
            tags: stack_tags(),
            ..ParameterFixture::default()
        },
    );
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", aws.endpoint)?;
    stdout.flush()?;
    let mut rest = Vec::new();
    std::io::stdin().read_to_end(&mut rest)?;
    let reports: Vec<_> = aws
        .accepted_reports()
        .iter()
        .map(|report| report.body["status"].clone())
        .collect();
    let violations = aws.take_violations();
    writeln!(
        stdout,
        "{}",
        json!({"reports": reports, "violations": violations})
    )?;
    Ok(())
}
