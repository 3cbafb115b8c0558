//! `crates/contract/hook-calls.json` is `HOOK_CALLS` and the smoke-test and tag constants as
//! data, so the Python deployment-semantics checks (tests/semantics) read the same manifest the
//! hooks and the transform compile in, without a second hand-written copy. This test fails when
//! the two drift; `BLESS=1` rewrites the file from the crate.

use std::fs;
use std::path::Path;

use gradual_contract::{
    HOOK_CALLS, MANAGED_TAG_KEY, MANAGED_TAG_VALUE, SMOKE_TEST_EVENT_KEY, SMOKE_TEST_EXPECT_KEY,
    SMOKE_TEST_PARAMETER_PREFIX,
};
use serde_json::{json, Value};

fn rendered() -> String {
    let calls: Vec<Value> = HOOK_CALLS
        .iter()
        // Debug of a unit variant is its name, so a new ResourceForm needs no change here (the
        // Python side rejects forms it does not know).
        .map(|call| json!({"action": call.action, "resource": format!("{:?}", call.resource)}))
        .collect();
    let document = json!({
        "calls": calls,
        "smoke_test_parameter_prefix": SMOKE_TEST_PARAMETER_PREFIX,
        "smoke_test_keys": {"event": SMOKE_TEST_EVENT_KEY, "expect": SMOKE_TEST_EXPECT_KEY},
        "managed_tag": {"key": MANAGED_TAG_KEY, "value": MANAGED_TAG_VALUE},
    });
    // A value built by json! always serialises.
    serde_json::to_string_pretty(&document).unwrap_or_default() + "\n"
}

#[test]
fn hook_calls_json_matches_the_contract_crate() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/contract/hook-calls.json");
    let actual = rendered();
    if std::env::var_os("BLESS").is_some() {
        fs::write(&path, &actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} is out of date with gradual_contract::HOOK_CALLS: run \
         BLESS=1 cargo test -p gradual-tests --test contract, then commit it.\n\
         --- checked in\n{expected}\n--- from the crate\n{actual}",
        path.display()
    );
}
