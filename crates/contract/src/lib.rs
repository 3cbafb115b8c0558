//! The contract between the transform and the hooks, defined once.
//!
//! The transform writes smoke tests and tags functions; the hooks read those and make AWS calls
//! that the transform (for hooks in a user's template) and `template.yaml` (for the installed
//! hooks) must grant. Both sides depend on this crate so that neither can drift from the other:
//! the hooks' tests fail on any request that [`HOOK_CALLS`] does not list, and the transform
//! generates hook policies from the same list.
//!
//! No dependencies, no I/O: the transform core stays pure.

/// SSM parameters named `<prefix><function name>` configure smoke tests.
pub const SMOKE_TEST_PARAMETER_PREFIX: &str = "/gradual/smoke-tests/";

/// The smoke-test document: `{"event": <payload>, "expect": <subset of the response>}`.
pub const SMOKE_TEST_EVENT_KEY: &str = "event";
/// See [`SMOKE_TEST_EVENT_KEY`].
pub const SMOKE_TEST_EXPECT_KEY: &str = "expect";

/// The tag on functions the installed hooks may act on; `template.yaml` grants them exactly the
/// functions that carry it with [`MANAGED_TAG_VALUE`].
pub const MANAGED_TAG_KEY: &str = "gradual:managed";
/// See [`MANAGED_TAG_KEY`].
pub const MANAGED_TAG_VALUE: &str = "true";

/// The SSM parameter that configures the smoke test of `function_name`.
pub fn smoke_test_parameter_name(function_name: &str) -> String {
    format!("{SMOKE_TEST_PARAMETER_PREFIX}{function_name}")
}

/// The kind of ARN an AWS call acts on, as IAM evaluates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceForm {
    /// `arn:…:codedeploy:…:deploymentgroup:<application>/<group>`
    DeploymentGroup,
    /// `arn:…:codedeploy:…:application:<application>`
    Application,
    /// `arn:…:lambda:…:function:<name>`: list calls name the function itself.
    FunctionUnqualified,
    /// `arn:…:lambda:…:function:<name>:<version or alias>`
    FunctionQualified,
    /// `arn:…:ssm:…:parameter/gradual/smoke-tests/<name>`
    SmokeTestParameter,
    /// `arn:…:kms:…:key/<id>`: the key a `SecureString` smoke test is encrypted with. The hooks
    /// never call KMS themselves: SSM decrypts on their behalf (`GetParameter` with
    /// `WithDecryption`), with the caller's `kms:Decrypt` permission, `kms:ViaService` SSM.
    KmsKey,
    /// `*`: the action supports no resource-level permissions.
    Any,
}

/// One AWS call a ready-made hook may make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HookCall {
    /// The IAM action, `service:Operation`.
    pub action: &'static str,
    /// What it acts on.
    pub resource: ResourceForm,
}

const fn call(action: &'static str, resource: ResourceForm) -> HookCall {
    HookCall { action, resource }
}

/// Every AWS call `gradual-hooks` and the ready-made hooks can make, with the resource each is
/// made on. A hook in a user's template is granted all of them, so gradual's own hook code works
/// there unchanged; a user's own hook code may call less, never more.
pub const HOOK_CALLS: &[HookCall] = &[
    call("codedeploy:GetDeployment", ResourceForm::DeploymentGroup),
    call(
        "codedeploy:PutLifecycleEventHookExecutionStatus",
        ResourceForm::DeploymentGroup,
    ),
    call(
        "codedeploy:GetApplicationRevision",
        ResourceForm::Application,
    ),
    call(
        "lambda:GetFunctionConfiguration",
        ResourceForm::FunctionQualified,
    ),
    call("lambda:InvokeFunction", ResourceForm::FunctionQualified),
    call("lambda:ListAliases", ResourceForm::FunctionUnqualified),
    call(
        "lambda:ListVersionsByFunction",
        ResourceForm::FunctionUnqualified,
    ),
    call("lambda:DeleteFunction", ResourceForm::FunctionQualified),
    // Pruning keeps versions still in use: own resource policy, provisioned concurrency, event
    // source mappings (ListEventSourceMappings supports no resource-level permissions).
    call("lambda:GetPolicy", ResourceForm::FunctionQualified),
    call(
        "lambda:ListProvisionedConcurrencyConfigs",
        ResourceForm::FunctionUnqualified,
    ),
    call("lambda:ListEventSourceMappings", ResourceForm::Any),
    // Tying a smoke test and a deployment to the stack that owns the function: their
    // `aws:cloudformation:stack-id` tags must match the function's.
    call("lambda:ListTags", ResourceForm::FunctionUnqualified),
    call("ssm:ListTagsForResource", ResourceForm::SmokeTestParameter),
    call(
        "codedeploy:ListTagsForResource",
        ResourceForm::DeploymentGroup,
    ),
    call("ssm:GetParameter", ResourceForm::SmokeTestParameter),
    call("kms:Decrypt", ResourceForm::KmsKey),
];

/// The tag CloudFormation puts on every taggable resource it creates, naming its stack.
pub const STACK_ID_TAG_KEY: &str = "aws:cloudformation:stack-id";

/// The calls of [`HOOK_CALLS`] made on `resource`, in manifest order.
pub fn actions_on(resource: ResourceForm) -> impl Iterator<Item = &'static str> {
    HOOK_CALLS
        .iter()
        .filter(move |call| call.resource == resource)
        .map(|call| call.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_listed_once_per_resource() {
        for (i, a) in HOOK_CALLS.iter().enumerate() {
            for b in &HOOK_CALLS[i + 1..] {
                assert!(a != b, "{a:?} is listed twice");
            }
            assert!(a.action.contains(':'), "{} has no service prefix", a.action);
        }
    }

    #[test]
    fn parameter_names_follow_the_prefix() {
        assert_eq!(
            smoke_test_parameter_name("orders-api"),
            "/gradual/smoke-tests/orders-api"
        );
    }
}
