//! Facts about `AWS::Lambda::Function` properties that the transform relies on.

/// Properties gradual reads and removes, so CloudFormation never sees them.
pub(crate) const OWNED: [&str; 7] = [
    "AutoPublishAlias",
    "AutoPublishCodeSha256",
    "AutoPublishAliasAllProperties",
    "VersionDescription",
    "VersionDeletionPolicy",
    "ProvisionedConcurrencyConfig",
    "DeploymentPreference",
];

/// Owned properties that no CloudFormation resource type has; on any type other than
/// `AWS::Lambda::Function` (and SAM's or custom types) they are a mistake.
/// `ProvisionedConcurrencyConfig` is missing on purpose: aliases and versions take it.
///
/// `DeploymentPreference` is not among them: other types have one of their own
/// (`AWS::StepFunctions::StateMachineAlias`), and gradual leaves what it doesn't own alone.
pub(crate) const OWNED_ONLY_BY_GRADUAL: [&str; 5] = [
    "AutoPublishAlias",
    "AutoPublishCodeSha256",
    "AutoPublishAliasAllProperties",
    "VersionDescription",
    "VersionDeletionPolicy",
];

/// Every property CloudFormation documents for `AWS::Lambda::Function`.
pub(crate) const FUNCTION_PROPERTIES: [&str; 31] = [
    "Architectures",
    "CapacityProviderConfig",
    "Code",
    "CodeSigningConfigArn",
    "DeadLetterConfig",
    "Description",
    "DurableConfig",
    "Environment",
    "EphemeralStorage",
    "FileSystemConfigs",
    "FunctionName",
    "FunctionScalingConfig",
    "Handler",
    "ImageConfig",
    "KmsKeyArn",
    "Layers",
    "LoggingConfig",
    "MemorySize",
    "PackageType",
    "PublishToLatestPublished",
    "RecursiveLoop",
    "ReservedConcurrentExecutions",
    "Role",
    "Runtime",
    "RuntimeManagementConfig",
    "SnapStart",
    "Tags",
    "TenancyConfig",
    "Timeout",
    "TracingConfig",
    "VpcConfig",
];

/// Function properties a published version does not capture. Everything else on the function
/// (including properties Lambda adds after this list was written) feeds the version's ID, so a
/// change that a version would snapshot always publishes a new one, and a change to these
/// alone never tries to (which Lambda would refuse with "A version for this Lambda function
/// exists").
///
/// - `Tags`, `ReservedConcurrentExecutions`, `RecursiveLoop`, `CodeSigningConfigArn`: settings
///   of the function as a whole, changed without publishing.
/// - `FunctionName`: the function's identity; renaming replaces the function and, through
///   `FunctionName: !Ref`, its version.
/// - `FunctionScalingConfig`, `PublishToLatestPublished`: how versions are run and published,
///   not what they contain.
pub(crate) const NOT_CAPTURED_BY_VERSION: [&str; 7] = [
    "Tags",
    "ReservedConcurrentExecutions",
    "RecursiveLoop",
    "CodeSigningConfigArn",
    "FunctionName",
    "FunctionScalingConfig",
    "PublishToLatestPublished",
];

/// Resource types whose properties gradual must not judge: SAM's own (the SAM transform reads
/// `AutoPublishAlias` there) and custom resources (any property goes).
pub(crate) fn type_takes_any_property(resource_type: &str) -> bool {
    resource_type.starts_with("AWS::Serverless::")
        || resource_type.starts_with("Custom::")
        || resource_type == "AWS::CloudFormation::CustomResource"
}

pub(crate) const FUNCTION_TYPE: &str = "AWS::Lambda::Function";

/// Whether `id` is a Lambda function of the template, plain or SAM's, such as a hook may be.
pub(crate) fn is_function(
    resources: &serde_json::Map<String, serde_json::Value>,
    id: &str,
) -> bool {
    matches!(
        resources
            .get(id)
            .and_then(|r| r.get("Type"))
            .and_then(serde_json::Value::as_str),
        Some(FUNCTION_TYPE | "AWS::Serverless::Function")
    )
}
