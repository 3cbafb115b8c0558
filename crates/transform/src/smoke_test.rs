//! `SmokeTest`: a declarative check the ready-made hooks run against the new version.
//!
//! The test is stored as an SSM parameter the hooks read; its name and document shape come from
//! `gradual-contract`, which the hooks read them from too.

use gradual_contract::{SMOKE_TEST_EVENT_KEY, SMOKE_TEST_EXPECT_KEY, SMOKE_TEST_PARAMETER_PREFIX};
use serde_json::{json, Map, Value};

use crate::error::{Diagnostics, ErrorKind};
use crate::guard::ProtectedFunction;
use crate::intrinsic::is_literal;
use crate::path::TemplatePath;
use crate::scope::Scope;

const SMOKE_TEST_KEYS: [&str; 2] = ["Event", "Expect"];

/// SSM's size limit for a parameter value, in the advanced tier.
const ADVANCED_PARAMETER_BYTES: usize = 8192;

/// A declarative smoke test: invoke the new version with `event`, expect `expect` in the reply.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SmokeTest {
    /// `{"event": ..., "expect": ...}` as the hooks read it.
    pub document: String,
}

/// Reads `SmokeTest`; `None` when it has errors (reported).
pub(crate) fn read(
    raw: &Value,
    path: &TemplatePath,
    scope: &Scope<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<SmokeTest> {
    let test = diagnostics.object(raw, path, "an object with Event and Expect")?;
    let (event, expect) = diagnostics.clean(|diagnostics| {
        diagnostics.unknown_keys(test, path, &SMOKE_TEST_KEYS);
        let event = part(test, "Event", path, scope, diagnostics);
        let expect = part(test, "Expect", path, scope, diagnostics);
        if expect == Some(Value::Null) {
            // The hooks read `"expect": null` as a configuration mistake and fail every deployment.
            let message = "is null, which no reply can contain: give the JSON the reply must contain, such as {statusCode: 200}";
            diagnostics.error(path.key("Expect"), ErrorKind::invalid(message));
        }
        Some((event, expect))
    })?;
    let mut document = Map::new();
    document.insert(SMOKE_TEST_EVENT_KEY.into(), event.unwrap_or(Value::Null));
    document.insert(SMOKE_TEST_EXPECT_KEY.into(), expect.unwrap_or(Value::Null));
    let document = Value::Object(document).to_string();
    if document.len() > ADVANCED_PARAMETER_BYTES {
        let message = format!(
            "the smoke test is {} bytes as JSON; an SSM parameter holds at most {ADVANCED_PARAMETER_BYTES}",
            document.len()
        );
        diagnostics.error(path.clone(), ErrorKind::invalid(message));
        return None;
    }
    Some(SmokeTest { document })
}

/// `Event` or `Expect`: required, and plain JSON once parameters are resolved.
fn part(
    test: &Map<String, Value>,
    key: &str,
    path: &TemplatePath,
    scope: &Scope<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Value> {
    let Some(raw) = test.get(key) else {
        diagnostics.error(path.clone(), ErrorKind::MissingProperty(key.to_owned()));
        return None;
    };
    let at = path.key(key);
    if let Some(parameter) = scope.no_echo_in(raw) {
        // The test is stored as a plain String SSM parameter.
        diagnostics.error(at, ErrorKind::NoEchoWritten(parameter.to_owned()));
        return None;
    }
    let resolved = scope.resolve(raw, &at, diagnostics);
    if is_literal(&resolved) {
        Some(resolved)
    } else {
        diagnostics.error(
            at,
            ErrorKind::invalid(
                "must be plain JSON once parameters are resolved: the hooks read it as stored, \
                 so intrinsics that only CloudFormation can evaluate cannot appear in it",
            ),
        );
        None
    }
}

/// The SSM parameter holding a smoke test, named after the function's physical name.
pub(crate) fn parameter(test: &SmokeTest, function: &ProtectedFunction<'_>) -> (String, Value) {
    let mut properties = Map::new();
    properties.insert(
        "Name".into(),
        json!({"Fn::Sub": format!("{SMOKE_TEST_PARAMETER_PREFIX}${{{}}}", function.function_id)}),
    );
    properties.insert("Type".into(), "String".into());
    properties.insert("Value".into(), Value::String(test.document.clone()));
    // SSM refuses to move a parameter from Advanced back to Standard, so a test that grew past
    // the standard tier's size and later shrank could never be deployed with an explicit tier.
    // Intelligent-Tiering starts standard, upgrades when the value needs it, and never asks
    // for a downgrade.
    properties.insert("Tier".into(), "Intelligent-Tiering".into());
    properties.insert(
        "Description".into(),
        Value::String(format!(
            "gradual smoke test for {}: the event to invoke it with and the reply to expect",
            function.function_id
        )),
    );
    let mut resource = Map::new();
    resource.insert("Type".into(), "AWS::SSM::Parameter".into());
    if let Some(condition) = function.condition {
        resource.insert("Condition".into(), condition.clone());
    }
    resource.insert("Properties".into(), Value::Object(properties));
    (logical_id(function.function_id), Value::Object(resource))
}

pub(crate) fn logical_id(function_id: &str) -> String {
    format!("{function_id}SmokeTest")
}
