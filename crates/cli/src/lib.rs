//! The `gradual` command line.
//!
//! This is the only crate in the workspace that reads files or prints. It parses a template
//! (JSON or YAML, told apart by content), runs the pure [`gradual_transform::transform`] and
//! renders its located errors as `file:line:column: path: message`, pointing into the YAML
//! source. [`run`] takes its arguments and streams as parameters so tests drive the whole
//! command in-process.
//!
//! Exit codes: 0 success, 1 the template has errors, 2 usage or I/O problems (unreadable file,
//! unparsable YAML or JSON, bad flags).

mod args;
mod lint;
mod render;
mod status;

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::{anyhow, Context as _};
use clap::Parser as _;
use gradual_transform::{check_limits, Context, InstalledHooks};
use gradual_yaml::Format;
use serde_json::{Map, Value};

use crate::args::{Cli, Command, OutputFormat, PlanFormat, TemplateArgs};
use crate::render::Source;

/// The template transformed or checked cleanly.
pub const EXIT_OK: u8 = 0;
/// The template has errors; each was printed on its own line.
pub const EXIT_TEMPLATE_ERRORS: u8 = 1;
/// The command could not run: bad arguments, unreadable or unparsable input, failed output.
pub const EXIT_USAGE: u8 = 2;

/// Runs `gradual` with `args` (the first is the program name) and returns the exit code.
pub fn run<I, T>(
    args: I,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with status 0; usage errors to stderr with 2.
            let sink: &mut dyn Write = if error.use_stderr() { stderr } else { stdout };
            let _ = write!(sink, "{}", error.render());
            return u8::try_from(error.exit_code()).unwrap_or(EXIT_USAGE);
        }
    };
    match execute(cli.command, stdin, stdout, stderr) {
        Ok(code) => code,
        // A closed pipe (`gradual transform t.yaml | head`) is the reader's choice, not a failure.
        Err(error) if is_broken_pipe(&error) => EXIT_OK,
        Err(error) => {
            let _ = writeln!(stderr, "gradual: error: {error:#}");
            EXIT_USAGE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|error| error.kind() == io::ErrorKind::BrokenPipe)
}

fn execute(
    command: Command,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<u8> {
    let (template_args, output_format) = match &command {
        Command::Transform(transform) => (&transform.template, transform.format),
        Command::Check(check) => (check, None),
        Command::Plan(plan) => (&plan.template, None),
        Command::Status(status) => return status::status(status, stdout, stderr),
        Command::Stop(stop) => return status::stop(stop, stdin, stdout, stderr),
        Command::Lint(lint) => return lint::run(lint, stdin, stdout, stderr),
    };
    let (name, text) = read_template(&template_args.template, stdin)?;
    let (mut document, format) =
        gradual_yaml::parse_any(&text).map_err(|error| match error.location() {
            Some(location) => anyhow!("{name}:{location}: {}", error.message()),
            None => anyhow!("{name}: {}", error.message()),
        })?;
    let source = Source::new(&name, format, &document.locations, &text);
    let context = context(template_args);

    // `transform` and `check` never read the parsed template again: hand it over uncopied.
    let template = match command {
        Command::Transform(_) | Command::Check(_) => std::mem::take(&mut document.value),
        _ => document.value.clone(),
    };
    let output = match gradual_transform::transform(template, &context) {
        Ok(output) => output,
        Err(errors) => {
            for error in errors.as_slice() {
                writeln!(stderr, "{}", render::error(&source, error))?;
            }
            return Ok(EXIT_TEMPLATE_ERRORS);
        }
    };
    for warning in &output.warnings {
        writeln!(stderr, "{}", render::warning(&source, warning))?;
    }
    let exceeded = check_limits(&output.template);
    if !exceeded.is_empty() {
        for limit in &exceeded {
            writeln!(stderr, "{name}: {limit}")?;
        }
        return Ok(EXIT_TEMPLATE_ERRORS);
    }

    match command {
        Command::Transform(_) => {
            let body = match output_format.map_or(format, OutputFormat::into_format) {
                Format::Yaml => gradual_yaml::to_yaml(&output.template),
                Format::Json => {
                    let mut json = serde_json::to_string_pretty(&output.template)?;
                    json.push('\n');
                    json
                }
            };
            stdout.write_all(body.as_bytes())?;
            stdout.flush()?;
        }
        Command::Plan(plan_args) => {
            // `transform` above has already reported every error the plan could hit.
            let plan = gradual_transform::plan(&document.value, &context)
                .map_err(|errors| anyhow!("{errors}"))?;
            let body = match plan_args.format {
                PlanFormat::Text => plan.to_text(),
                PlanFormat::Json => serde_json::to_string_pretty(&plan.to_json())? + "\n",
            };
            stdout.write_all(body.as_bytes())?;
            stdout.flush()?;
        }
        Command::Check(_) => {
            let stats = output.stats;
            writeln!(
                stderr,
                "{name}: ok: {} rewritten, {} added",
                plural(stats.functions, "function"),
                plural(stats.resources_added, "resource"),
            )?;
        }
        // Returned above: they talk to AWS, not to a template.
        Command::Status(_) | Command::Stop(_) => {}
        // Returned above: lint reads and transforms its templates itself.
        Command::Lint(_) => {}
    }
    Ok(EXIT_OK)
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The template text and the name to show for it in messages.
fn read_template(path: &Path, stdin: &mut dyn Read) -> anyhow::Result<(String, String)> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        stdin
            .read_to_string(&mut text)
            .context("cannot read the template from standard input")?;
        Ok(("<stdin>".to_owned(), text))
    } else {
        let name = path.display().to_string();
        text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
        Ok((name, text))
    }
}

fn context(args: &TemplateArgs) -> Context {
    let parameter_values: Map<String, Value> = args
        .parameters
        .iter()
        .map(|(key, value)| (key.clone(), Value::String(value.clone())))
        .collect();
    Context {
        region: args.region.clone(),
        account_id: args.account_id.clone(),
        parameter_values,
        macro_name: args.macro_name.clone(),
        installed_hooks: InstalledHooks {
            pre_traffic: args.pre_traffic_hook.clone(),
            post_traffic: args.post_traffic_hook.clone(),
        },
    }
}
