//! The command-line grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use gradual_yaml::Format;

/// Gradual Lambda deployments (AutoPublishAlias + DeploymentPreference) for plain
/// CloudFormation, checked and expanded locally by the same code the gradual macro runs.
#[derive(Debug, Parser)]
#[command(name = "gradual", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the transformed template on standard output.
    ///
    /// Errors are printed on standard error, one per line, as `file:line:column: path: message`
    /// (`path: message` for JSON input); warnings likewise with `warning:`. Exit status: 0 done,
    /// 1 the template has errors, 2 usage, input or output problems.
    Transform(TransformArgs),
    /// Validate a template without printing it.
    ///
    /// Prints errors and warnings as `transform` does, and on success one line on standard
    /// error: `FILE: ok: N functions rewritten, M resources added`. Exit status: 0 valid,
    /// 1 the template has errors, 2 usage or input problems.
    Check(TemplateArgs),
    /// Show what deploying the template will do, function by function.
    ///
    /// For every function with a DeploymentPreference: the traffic schedule (minute → percent on
    /// the new version) and its total duration, the hooks in order with their one-hour limit,
    /// the alarms, and the rollback events; then the stack-level facts that surprise people.
    /// Errors are printed as `transform` does. Exit status as for `check`.
    Plan(PlanArgs),
    /// Show a stack's gradual deployments: traffic, hooks, alarms, rollbacks.
    ///
    /// For every alias with a CodeDeploy update policy (gradual's or SAM's): the latest
    /// deployment, the traffic on its target version, its hooks, the group's alarms and, if it
    /// rolled back, why. Uses the standard AWS configuration (AWS_REGION, AWS_PROFILE,
    /// AWS_ENDPOINT_URL, ~/.aws). Exit status: 0 shown (with --watch: every deployment
    /// succeeded), 1 with --watch: a deployment failed, stopped or rolled back, 2 unknown stack,
    /// no region or credentials, or an AWS error; 130 Ctrl-C.
    Status(crate::status::StatusArgs),
    /// Stop a stack's in-flight deployments, rolling back to the current version.
    ///
    /// Asks first unless --yes; prints what it stopped. Exit status: 0 stopped (or nothing in
    /// flight), 1 not confirmed, 2 as for `status`.
    Stop(crate::status::StopArgs),
    /// Transform, then lint what CloudFormation will deploy with cfn-lint (from PATH).
    ///
    /// Every finding points into the source: a resource you wrote at its own line and column, a
    /// resource gradual generates at the function property that generates it. gradual's own
    /// errors and warnings come in the same format (rules E9001, E9002, W9001). Exit status as
    /// cfn-lint's: the OR of 2 (errors), 4 (warnings) and 8 (informational), 0 for none; 1 if
    /// cfn-lint is missing or fails.
    Lint(crate::lint::LintArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub(crate) template: TemplateArgs,

    /// Output syntax
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "text")]
    pub(crate) format: PlanFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlanFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct TemplateArgs {
    /// The template, JSON or YAML (told apart by content); `-` reads standard input.
    #[arg(value_name = "TEMPLATE")]
    pub(crate) template: PathBuf,

    /// A value for a template parameter, used instead of its Default; repeat for more (the
    /// last value for a key wins).
    #[arg(long = "parameter", short = 'p', value_name = "KEY=VALUE", value_parser = parse_parameter)]
    pub(crate) parameters: Vec<(String, String)>,

    /// The region the stack would deploy to (`AWS::Region`, and so `AWS::Partition`).
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub(crate) region: String,

    /// The account the stack would deploy to (`AWS::AccountId`).
    #[arg(long, value_name = "ID", default_value = "123456789012")]
    pub(crate) account_id: String,

    /// The name the gradual macro is registered under (template.yaml's MacroName); it is
    /// removed from the template's Transform section, as CloudFormation does.
    #[arg(long, value_name = "NAME", default_value = gradual_transform::DEFAULT_MACRO_NAME)]
    pub(crate) macro_name: String,

    /// Function name of the installed pre-traffic hook (template.yaml's PreTrafficHookName),
    /// wired in for a SmokeTest that names no hooks.
    #[arg(long, value_name = "NAME", default_value = "gradual-pre-traffic")]
    pub(crate) pre_traffic_hook: String,

    /// Function name of the installed post-traffic hook (template.yaml's PostTrafficHookName).
    #[arg(long, value_name = "NAME", default_value = "gradual-post-traffic")]
    pub(crate) post_traffic_hook: String,
}

#[derive(Debug, Args)]
pub(crate) struct TransformArgs {
    #[command(flatten)]
    pub(crate) template: TemplateArgs,

    /// Output syntax [default: the input's]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) format: Option<OutputFormat>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    Yaml,
    Json,
}

impl OutputFormat {
    pub(crate) fn into_format(self) -> Format {
        match self {
            Self::Yaml => Format::Yaml,
            Self::Json => Format::Json,
        }
    }
}

fn parse_parameter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got `{text}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_split_at_the_first_equals_sign() {
        assert_eq!(
            parse_parameter("A=b=c"),
            Ok(("A".to_owned(), "b=c".to_owned()))
        );
        assert_eq!(parse_parameter("A="), Ok(("A".to_owned(), String::new())));
        assert!(parse_parameter("=b").is_err());
        assert!(parse_parameter("A").is_err());
    }

    #[test]
    fn the_grammar_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
