//! `gradual status` and `gradual stop`: the grammar, and the hand-over to `gradual-status`.

use std::io::{BufReader, IsTerminal as _, Read, Write};
use std::time::Duration;

use clap::{Args, ValueEnum};
use gradual_status::{Format, Progress, Target, Watch};

#[derive(Debug, Args)]
pub(crate) struct AwsArgs {
    /// The stack's region [default: AWS_REGION, else the profile's region]
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,

    /// A profile from ~/.aws/config and ~/.aws/credentials [default: AWS_PROFILE, else default]
    #[arg(long, value_name = "NAME")]
    pub(crate) profile: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// The stack's name or ID.
    #[arg(value_name = "STACK")]
    pub(crate) stack: String,

    #[command(flatten)]
    pub(crate) aws: AwsArgs,

    /// Output syntax; `json` is a stable contract (docs/cli.md)
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "table")]
    pub(crate) format: StatusFormat,

    /// Refresh until no deployment is in flight and the stack has settled: progress bars on a
    /// terminal, one line per change (one JSON document with --format json) anywhere else.
    /// Exits 0 if every deployment succeeded, 1 if any failed, stopped or rolled back.
    #[arg(long)]
    pub(crate) watch: bool,

    /// Seconds between refreshes with --watch
    #[arg(
        long,
        value_name = "SECONDS",
        default_value = "5",
        value_parser = parse_interval,
        requires = "watch"
    )]
    pub(crate) interval: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum StatusFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct StopArgs {
    /// The stack's name or ID.
    #[arg(value_name = "STACK")]
    pub(crate) stack: String,

    #[command(flatten)]
    pub(crate) aws: AwsArgs,

    /// Only this function's deployment: the logical ID of the function (or of its alias)
    #[arg(long, value_name = "LOGICAL_ID")]
    pub(crate) function: Option<String>,

    /// Don't ask for confirmation
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("expected a number of seconds, got `{text}`"))?;
    if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(format!(
            "expected more than 0 and at most 3600 seconds, got `{text}`"
        ))
    }
}

fn target(stack: &str, aws: &AwsArgs) -> Target {
    Target {
        stack: stack.to_owned(),
        region: aws.region.clone(),
        profile: aws.profile.clone(),
        endpoint_url: None,
    }
}

pub(crate) fn status(
    args: &StatusArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<u8> {
    let target = target(&args.stack, &args.aws);
    let format = match args.format {
        StatusFormat::Table => Format::Table,
        StatusFormat::Json => Format::Json,
    };
    let code = if args.watch {
        let progress = if std::io::stdout().is_terminal() {
            Progress::Bars
        } else {
            Progress::Lines
        };
        let watch = Watch {
            interval: args.interval,
            progress,
        };
        gradual_status::watch(&target, format, watch, stdout, stderr)?
    } else {
        gradual_status::status(&target, format, stdout)?
    };
    Ok(code)
}

pub(crate) fn stop(
    args: &StopArgs,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<u8> {
    let target = target(&args.stack, &args.aws);
    let mut input = BufReader::new(stdin);
    Ok(gradual_status::stop(
        &target,
        args.function.as_deref(),
        args.yes,
        &mut input,
        stdout,
        stderr,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_positive_seconds() {
        assert_eq!(parse_interval("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_interval("0.25"), Ok(Duration::from_millis(250)));
        assert!(parse_interval("0").is_err());
        assert!(parse_interval("-1").is_err());
        assert!(parse_interval("NaN").is_err());
        assert!(parse_interval("soon").is_err());
    }
}
