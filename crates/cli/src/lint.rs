//! `gradual lint`: cfn-lint on the template CloudFormation will deploy, with every finding
//! pointed back at the template the user wrote.
//!
//! cfn-lint cannot read a gradual template as written: it knows neither `AutoPublishAlias` and
//! `DeploymentPreference` on `AWS::Lambda::Function` nor the `.Alias`/`.Version` references,
//! so it reports them all. The transformed template has none of them, so linting it leaves only
//! findings about what will really be deployed. Each is then mapped back: a finding in a
//! resource the user wrote keeps its path, located by line and column in the source; a finding
//! in a resource gradual generated is placed on the function property that made gradual
//! generate it. gradual's own errors and warnings are reported in the same stream.
//!
//! Exit status follows cfn-lint's bit flags, so a CI step that reads cfn-lint's status reads
//! this one: 2 errors, 4 warnings, 8 informational findings, OR-ed; 0 none. 1 means the lint
//! could not run (cfn-lint missing or failing), which is what cfn-lint itself exits with when
//! it cannot run; bad flags exit 2, as cfn-lint's do.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Context as _};
use clap::{Args, ValueEnum};
use gradual_yaml::{Format, Location, Locations};
use serde_json::{json, Map, Value};

use crate::args::TemplateArgs;

/// Findings at error level were reported.
pub(crate) const EXIT_ERRORS: u8 = 2;
/// Findings at warning level were reported.
pub(crate) const EXIT_WARNINGS: u8 = 4;
/// Informational findings were reported.
pub(crate) const EXIT_INFORMATIONAL: u8 = 8;
/// The lint could not run: cfn-lint is missing or failed, or the output could not be written.
pub(crate) const EXIT_FATAL: u8 = 1;

/// The command cfn-lint is installed as.
const CFN_LINT: &str = "cfn-lint";

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    #[command(flatten)]
    pub(crate) template: TemplateArgs,

    /// More templates, transformed with the same options and linted in one cfn-lint run.
    #[arg(value_name = "TEMPLATE")]
    pub(crate) more: Vec<PathBuf>,

    /// Output syntax: cfn-lint's `parseable` lines, its `json` array, or SARIF 2.1.0.
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "parseable")]
    pub(crate) format: LintFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LintFormat {
    Parseable,
    Json,
    Sarif,
}

/// Runs `gradual lint`; the exit status is returned, and only failures to write the report are
/// errors.
pub(crate) fn run(
    args: &LintArgs,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> anyhow::Result<u8> {
    let findings = match lint(args, stdin) {
        Ok(findings) => findings,
        Err(error) => {
            writeln!(stderr, "gradual: error: {error:#}")?;
            return Ok(EXIT_FATAL);
        }
    };
    let body = match args.format {
        LintFormat::Parseable => parseable(&findings),
        LintFormat::Json => serde_json::to_string_pretty(&json_report(&findings))? + "\n",
        LintFormat::Sarif => serde_json::to_string_pretty(&sarif_report(&findings))? + "\n",
    };
    stdout.write_all(body.as_bytes())?;
    stdout.flush()?;
    Ok(exit_code(&findings))
}

/// A finding's severity, in cfn-lint's three levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Error,
    Warning,
    Informational,
}

impl Level {
    /// cfn-lint's `Level` field; an unknown level counts as an error rather than vanish.
    fn from_cfn_lint(level: Option<&str>) -> Self {
        match level {
            Some("Warning") => Self::Warning,
            Some("Informational") => Self::Informational,
            _ => Self::Error,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Error => "Error",
            Self::Warning => "Warning",
            Self::Informational => "Informational",
        }
    }

    fn sarif(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Informational => "note",
        }
    }

    fn exit_bit(self) -> u8 {
        match self {
            Self::Error => EXIT_ERRORS,
            Self::Warning => EXIT_WARNINGS,
            Self::Informational => EXIT_INFORMATIONAL,
        }
    }
}

/// A rule as reported: cfn-lint's, or one of gradual's own.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    id: String,
    short_description: String,
    description: String,
    url: String,
}

impl Rule {
    fn gradual(id: &str, short: &str, description: &str) -> Self {
        Self {
            id: id.to_owned(),
            short_description: short.to_owned(),
            description: description.to_owned(),
            url: format!(
                "{}/blob/main/docs/cli.md#gradual-lint",
                env!("CARGO_PKG_REPOSITORY")
            ),
        }
    }

    /// E0000, as cfn-lint names a template it cannot read.
    fn unreadable() -> Self {
        Self::gradual(
            "E0000",
            "Template could not be read",
            "The template could not be read or parsed as CloudFormation JSON or YAML",
        )
    }

    /// gradual's own rules live in E9/W9, the range cfn-lint leaves to its users' rules.
    fn transform_error() -> Self {
        Self::gradual(
            "E9001",
            "gradual transform error",
            "gradual cannot transform the template: an AutoPublishAlias or DeploymentPreference \
             problem, or a reference to a generated resource that will not exist",
        )
    }

    fn limit() -> Self {
        Self::gradual(
            "E9002",
            "Transformed template over a CloudFormation limit",
            "The template gradual produces goes over a CloudFormation limit on resources or size",
        )
    }

    fn transform_warning() -> Self {
        Self::gradual(
            "W9001",
            "gradual transform warning",
            "gradual transforms the template, but something in it will probably not work as meant",
        )
    }
}

/// A resource gradual generated, in which cfn-lint found something.
#[derive(Clone, Debug, PartialEq)]
struct Generated {
    logical_id: String,
    resource_type: Option<String>,
    /// Where in the generated resource, after its logical ID.
    path: Vec<Value>,
}

/// One finding, placed in the source template.
#[derive(Clone, Debug, PartialEq)]
struct Finding {
    /// Position of the template on the command line, for ordering.
    template: usize,
    file: String,
    start: Location,
    end: Location,
    level: Level,
    rule: Rule,
    message: String,
    /// Where in the source template, as cfn-lint writes paths (keys and indices).
    path: Vec<Value>,
    generated: Option<Generated>,
}

const FIRST: Location = Location { line: 1, column: 1 };

/// A template as read: its name, value and source positions.
struct Source {
    name: String,
    value: Value,
    locations: Locations,
    /// The type of every resource in the transformed template, once there is one.
    output_types: HashMap<String, String>,
}

fn lint(args: &LintArgs, stdin: &mut dyn Read) -> anyhow::Result<Vec<Finding>> {
    let context = crate::context(&args.template);
    let paths: Vec<&PathBuf> = std::iter::once(&args.template.template)
        .chain(&args.more)
        .collect();
    if paths.iter().filter(|path| path.as_os_str() == "-").count() > 1 {
        bail!("standard input (`-`) can be given only once");
    }
    let workdir = TempDir::new()?;
    let mut findings = Vec::new();
    let mut sources: Vec<Option<Source>> = Vec::new();
    let mut linted: Vec<(PathBuf, usize)> = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        sources.push(None);
        let (name, text) = match crate::read_template(path, stdin) {
            Ok(read) => read,
            Err(error) => {
                findings.push(Finding::at(
                    index,
                    path.display().to_string(),
                    FIRST,
                    Level::Error,
                    Rule::unreadable(),
                    format!("{error:#}"),
                ));
                continue;
            }
        };
        let (document, format) = match gradual_yaml::parse_any(&text) {
            Ok(parsed) => parsed,
            Err(error) => {
                findings.push(Finding::at(
                    index,
                    name,
                    error.location().unwrap_or(FIRST),
                    Level::Error,
                    Rule::unreadable(),
                    error.message().to_owned(),
                ));
                continue;
            }
        };
        let mut source = Source {
            locations: match format {
                Format::Yaml => document.locations,
                Format::Json => gradual_yaml::locate_json(&text),
            },
            value: document.value,
            name,
            output_types: HashMap::new(),
        };
        match gradual_transform::transform(source.value.clone(), &context) {
            Err(errors) => {
                for error in errors.as_slice() {
                    findings.push(source.own_finding(
                        index,
                        &error.path.to_json_pointer(),
                        Level::Error,
                        Rule::transform_error(),
                        error.to_string(),
                    ));
                }
            }
            Ok(output) => {
                for warning in &output.warnings {
                    findings.push(source.own_finding(
                        index,
                        &warning.path.to_json_pointer(),
                        Level::Warning,
                        Rule::transform_warning(),
                        warning.to_string(),
                    ));
                }
                for limit in gradual_transform::check_limits(&output.template) {
                    findings.push(source.own_finding(
                        index,
                        "/Resources",
                        Level::Error,
                        Rule::limit(),
                        limit.to_string(),
                    ));
                }
                source.output_types = resource_types(&output.template);
                let file = workdir.path().join(format!("{index}.json"));
                let body = serde_json::to_vec_pretty(&output.template)?;
                std::fs::write(&file, body)
                    .with_context(|| format!("cannot write {}", file.display()))?;
                linted.push((file, index));
            }
        }
        sources[index] = Some(source);
    }
    if !linted.is_empty() {
        let files: Vec<&Path> = linted.iter().map(|(file, _)| file.as_path()).collect();
        let by_file: HashMap<String, usize> = linted
            .iter()
            .map(|(file, index)| (file.display().to_string(), *index))
            .collect();
        for raw in cfn_lint(&files, &args.template.region)? {
            findings.extend(map_cfn_lint(&raw, &by_file, &sources, linted[0].1));
        }
    }
    findings.sort_by(|a, b| {
        (a.template, a.start, a.end, &a.rule.id, &a.message)
            .cmp(&(b.template, b.start, b.end, &b.rule.id, &b.message))
    });
    findings.dedup();
    Ok(findings)
}

fn resource_types(template: &Value) -> HashMap<String, String> {
    template
        .get("Resources")
        .and_then(Value::as_object)
        .map(|resources| {
            resources
                .iter()
                .filter_map(|(id, resource)| {
                    let kind = resource.get("Type")?.as_str()?;
                    Some((id.clone(), kind.to_owned()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Runs cfn-lint once over the transformed templates and returns its JSON findings.
fn cfn_lint(files: &[&Path], region: &str) -> anyhow::Result<Vec<Value>> {
    let output = Command::new(CFN_LINT)
        .args(["--format", "json", "--regions", region, "--"])
        .args(files)
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(error) if error.kind() == io::ErrorKind::NotFound => bail!(
            "gradual lint runs cfn-lint, which is not on PATH; install it with `pip install cfn-lint`"
        ),
        Err(error) => return Err(error).context("cannot run cfn-lint"),
    };
    // cfn-lint exits with its findings' bits (2, 4, 8); any other status means it did not run
    // to the end, and its output is not a report.
    let status = output.status.code();
    if status.is_none_or(|code| code & !0b1110 != 0) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let said = [stderr.trim(), stdout.trim()]
            .into_iter()
            .find(|text| !text.is_empty())
            .unwrap_or("no output");
        bail!(
            "cfn-lint failed ({}): {said}",
            status.map_or_else(
                || "killed by a signal".to_owned(),
                |c| format!("exit status {c}")
            )
        );
    }
    let report: Value =
        serde_json::from_slice(&output.stdout).context("cfn-lint's JSON report is not JSON")?;
    match report {
        Value::Array(findings) => Ok(findings),
        other => Err(anyhow!(
            "cfn-lint's JSON report is not a list of findings: {}",
            truncate(&other.to_string(), 200)
        )),
    }
}

fn truncate(text: &str, limit: usize) -> String {
    match text.char_indices().nth(limit) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// One cfn-lint finding, placed in its source template; `None` for one the transform alone
/// caused and the source does not have.
fn map_cfn_lint(
    raw: &Value,
    by_file: &HashMap<String, usize>,
    sources: &[Option<Source>],
    first_linted: usize,
) -> Option<Finding> {
    let rule_field = |key: &str| {
        raw.pointer(&format!("/Rule/{key}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let rule = Rule {
        id: raw
            .pointer("/Rule/Id")
            .and_then(Value::as_str)
            .unwrap_or("E0000")
            .to_owned(),
        short_description: rule_field("ShortDescription"),
        description: rule_field("Description"),
        url: rule_field("Source"),
    };
    let level = Level::from_cfn_lint(raw.get("Level").and_then(Value::as_str));
    let message = raw
        .get("Message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let linted_file = raw.get("Filename").and_then(Value::as_str);
    let known = linted_file.and_then(|file| by_file.get(file).copied());
    let index = known.unwrap_or(first_linted);
    let Some(source) = sources.get(index).and_then(Option::as_ref) else {
        // Unreachable in practice: every linted file has its source. Reported, never dropped.
        return Some(Finding::at(
            index,
            String::new(),
            FIRST,
            level,
            rule,
            message,
        ));
    };
    // Messages may quote the transformed file's name; the user knows only the source.
    let message = match linted_file {
        Some(file) => message.replace(file, &source.name),
        None => message,
    };
    if known.is_none() {
        // Findings about cfn-lint's configuration name no template.
        return Some(Finding::at(
            index,
            source.name.clone(),
            FIRST,
            level,
            rule,
            format!("cfn-lint: {message}"),
        ));
    }
    let path: Vec<Value> = raw
        .pointer("/Location/Path")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // gradual resolves what it needs (a Guard threshold from a parameter, a deployment type from
    // a mapping or a condition) and may leave no use of it behind; the template the user wrote
    // still uses it, so cfn-lint's "defined but not used" is about gradual's output, not theirs.
    if let [Value::String(section), Value::String(name)] = path.as_slice() {
        let unused_rule = match section.as_str() {
            "Parameters" => "W2001",
            "Mappings" => "W7001",
            "Conditions" => "W8001",
            _ => "",
        };
        if rule.id == unused_rule && uses(&source.value, section, name) {
            return None;
        }
    }
    // gradual orders a generated alias after its group, hook policies and alarms on purpose
    // (the alias update starts the deployment), even where a Ref already implies it; cfn-lint
    // calls that redundant, and the user has nothing to change.
    if let [Value::String(section), Value::String(id), Value::String(key), ..] = path.as_slice() {
        let generated = source
            .value
            .get("Resources")
            .is_some_and(|resources| resources.get(id).is_none());
        if rule.id == "W3005" && section == "Resources" && key == "DependsOn" && generated {
            return None;
        }
    }
    Some(source.place(index, &path, level, rule, message))
}

/// Something outside `section` in `template` uses the parameter, mapping or condition `name`:
/// a `Ref` or an `Fn::Sub` `${name}` for a parameter, an `Fn::FindInMap` for a mapping, and a
/// `Condition` attribute, `Fn::If` or `{"Condition": name}` for a condition.
fn uses(template: &Value, section: &str, name: &str) -> bool {
    fn walk(value: &Value, section: &str, name: &str, in_sub: bool) -> bool {
        match value {
            Value::Object(map) => map.iter().any(|(key, inner)| {
                let first = || inner.as_array().and_then(|args| args.first());
                let direct = match (section, key.as_str()) {
                    ("Parameters", "Ref") => inner.as_str() == Some(name),
                    ("Mappings", "Fn::FindInMap") => first().and_then(Value::as_str) == Some(name),
                    ("Conditions", "Condition") => inner.as_str() == Some(name),
                    ("Conditions", "Fn::If") => first().and_then(Value::as_str) == Some(name),
                    _ => false,
                };
                direct || walk(inner, section, name, in_sub || key == "Fn::Sub")
            }),
            Value::Array(items) => items.iter().any(|item| walk(item, section, name, in_sub)),
            Value::String(text) => {
                section == "Parameters" && in_sub && text.contains(&format!("${{{name}}}"))
            }
            _ => false,
        }
    }
    template.as_object().is_some_and(|sections| {
        sections.iter().any(|(key, value)| {
            if key != section {
                return walk(value, section, name, false);
            }
            // Within its own section, only another condition can use a condition.
            section == "Conditions"
                && value.as_object().is_some_and(|entries| {
                    entries
                        .iter()
                        .any(|(other, body)| other != name && walk(body, section, name, false))
                })
        })
    })
}

impl Finding {
    fn at(
        template: usize,
        file: String,
        start: Location,
        level: Level,
        rule: Rule,
        message: String,
    ) -> Self {
        Self {
            template,
            file,
            start,
            end: start,
            level,
            rule,
            message,
            path: Vec::new(),
            generated: None,
        }
    }
}

impl Source {
    /// A finding of gradual's own at a JSON pointer into the source.
    fn own_finding(
        &self,
        template: usize,
        pointer: &str,
        level: Level,
        rule: Rule,
        message: String,
    ) -> Finding {
        let path = pointer_segments(pointer);
        let (start, end) = self.locate(&path);
        Finding {
            template,
            file: self.name.clone(),
            start,
            end,
            level,
            rule,
            message,
            path,
            generated: None,
        }
    }

    /// A cfn-lint finding at `path` in the transformed template, placed in the source.
    fn place(
        &self,
        template: usize,
        path: &[Value],
        level: Level,
        rule: Rule,
        message: String,
    ) -> Finding {
        let section = path.first().and_then(Value::as_str);
        let name = path.get(1).and_then(Value::as_str);
        let (source_path, generated) = match (section, name) {
            (Some(section), Some(name))
                if self
                    .value
                    .get(section)
                    .and_then(|entries| entries.get(name))
                    .is_none() =>
            {
                // Not in the source: gradual generated it.
                let generated = Generated {
                    logical_id: name.to_owned(),
                    resource_type: (section == "Resources")
                        .then(|| self.output_types.get(name).cloned())
                        .flatten(),
                    path: path[2..].to_vec(),
                };
                let origin = if section == "Resources" {
                    self.value
                        .get("Resources")
                        .and_then(Value::as_object)
                        .and_then(|resources| origin(name, &path[2..], resources))
                } else {
                    None
                };
                let fallback = vec![Value::from(section)];
                (origin.unwrap_or(fallback), Some(generated))
            }
            _ => (path.to_vec(), None),
        };
        let (start, end) = self.locate(&source_path);
        let message = match &generated {
            Some(generated) => format!(
                "{}, generated from {}: {message}",
                dotted(
                    &std::iter::once(Value::from(generated.logical_id.as_str()))
                        .chain(generated.path.iter().cloned())
                        .collect::<Vec<_>>()
                ),
                dotted(&source_path),
            ),
            None => message,
        };
        Finding {
            template,
            file: self.name.clone(),
            start,
            end,
            level,
            rule,
            message,
            path: source_path,
            generated,
        }
    }

    /// The start and end of the deepest located node on `path`. A key's end is the end of the
    /// key; anything else is given as a point.
    fn locate(&self, path: &[Value]) -> (Location, Location) {
        for depth in (0..=path.len()).rev() {
            let prefix = &path[..depth];
            if let Some(start) = self.locations.get(&json_pointer(prefix)) {
                let end = match prefix.last() {
                    Some(Value::String(key)) => Location {
                        line: start.line,
                        column: start.column + key.chars().count(),
                    },
                    _ => start,
                };
                return (start, end);
            }
        }
        (FIRST, FIRST)
    }
}

/// The source property that made gradual generate resource `id`, as a path from the root.
///
/// The names follow gradual-transform's: `<Fn>Version<hash>`, `<Fn>Alias<name>`,
/// `<Fn>DeploymentGroup`, `<Fn>Guard<Metric>Alarm`, `<Fn>SmokeTest`, `<Hook>HookPolicy`,
/// `DeploymentConfig<Type>`, and the shared `ServerlessDeploymentApplication` and
/// `CodeDeployServiceRole`. A test transforms a template using every feature and checks each
/// generated resource has an origin here, so a new kind of resource cannot go unmapped.
fn origin(id: &str, inner: &[Value], resources: &Map<String, Value>) -> Option<Vec<Value>> {
    let functions: Vec<(&String, &Value)> = resources
        .iter()
        .filter_map(|(name, resource)| {
            let properties = resource.get("Properties")?;
            (properties.get("AutoPublishAlias").is_some()
                || properties.get("DeploymentPreference").is_some())
            .then_some((name, properties))
        })
        .collect();
    let at = |function: &str, keys: &[&str]| -> Vec<Value> {
        ["Resources", function, "Properties"]
            .iter()
            .chain(keys)
            .map(|key| Value::from(*key))
            .collect()
    };
    let preference = |properties: &&Value| properties.get("DeploymentPreference").cloned();

    // Per-function resources: the longest function ID that the name starts with, whose rest
    // is one of the generated suffixes.
    let mut best: Option<(usize, Vec<Value>)> = None;
    for (function, _) in &functions {
        let Some(rest) = id.strip_prefix(function.as_str()) else {
            continue;
        };
        let keys: Option<&[&str]> = match rest {
            "DeploymentGroup" => Some(&["DeploymentPreference"]),
            _ if is_alarm(rest, "GuardErrorRateAlarm") => {
                Some(&["DeploymentPreference", "Guard", "ErrorRate"])
            }
            _ if is_alarm(rest, "GuardThrottlesAlarm") => {
                Some(&["DeploymentPreference", "Guard", "Throttles"])
            }
            _ if is_alarm(rest, "GuardP99DurationAlarm") => {
                Some(&["DeploymentPreference", "Guard", "P99Duration"])
            }
            "SmokeTest" => Some(&["DeploymentPreference", "SmokeTest"]),
            _ if is_version_suffix(rest)
                || rest.strip_prefix("Alias").is_some_and(|a| !a.is_empty()) =>
            {
                Some(&["AutoPublishAlias"])
            }
            _ => None,
        };
        if let Some(keys) = keys {
            if best
                .as_ref()
                .is_none_or(|(length, _)| function.len() > *length)
            {
                let path = match passed_through(rest, inner) {
                    Some(copied) => {
                        let mut path = at(function, &[]);
                        path.extend(copied);
                        path
                    }
                    None => at(function, keys),
                };
                best = Some((function.len(), path));
            }
        }
    }
    if let Some((_, path)) = best {
        return Some(path);
    }

    let with_preference: Vec<&(&String, &Value)> = functions
        .iter()
        .filter(|(_, properties)| preference(properties).is_some())
        .collect();
    if let Some(hook) = id.strip_suffix("HookPolicy") {
        // The first function whose Hooks name this hook, at that hook's key.
        for (function, properties) in &with_preference {
            let hooks = properties.pointer("/DeploymentPreference/Hooks");
            for key in ["PreTraffic", "PostTraffic"] {
                let named = hooks.and_then(|hooks| hooks.get(key));
                if named.is_some_and(|value| names_resource(value, hook)) {
                    return Some(at(function, &["DeploymentPreference", "Hooks", key]));
                }
            }
        }
        // After SAM's transform the hooks are on the aliases' update policies.
        for (alias, resource) in resources {
            let update = resource.pointer("/UpdatePolicy/CodeDeployLambdaAliasUpdate");
            for key in ["BeforeAllowTrafficHook", "AfterAllowTrafficHook"] {
                let named = update.and_then(|update| update.get(key));
                if named.is_some_and(|value| names_resource(value, hook)) {
                    return Some(
                        [
                            "Resources",
                            alias,
                            "UpdatePolicy",
                            "CodeDeployLambdaAliasUpdate",
                            key,
                        ]
                        .into_iter()
                        .map(Value::from)
                        .collect(),
                    );
                }
            }
        }
        if resources.contains_key(hook) {
            return Some(vec![Value::from("Resources"), Value::from(hook)]);
        }
        let (function, _) = with_preference
            .iter()
            .find(|(_, properties)| properties.pointer("/DeploymentPreference/Hooks").is_some())?;
        return Some(at(function, &["DeploymentPreference", "Hooks"]));
    }
    if let Some(config) = id.strip_prefix("DeploymentConfig") {
        let named_by_function = with_preference.iter().find(|(_, properties)| {
            properties
                .pointer("/DeploymentPreference/Type")
                .is_some_and(|kind| mentions(kind, config))
        });
        if let Some((function, _)) = named_by_function {
            return Some(at(function, &["DeploymentPreference", "Type"]));
        }
        // After SAM's transform a custom schedule is a deployment group's config name.
        let group = resources.iter().find(|(_, resource)| {
            resource
                .pointer("/Properties/DeploymentConfigName")
                .is_some_and(|name| mentions(name, config))
        });
        if let Some((group, _)) = group {
            return Some(
                ["Resources", group, "Properties", "DeploymentConfigName"]
                    .into_iter()
                    .map(Value::from)
                    .collect(),
            );
        }
        let (function, _) = with_preference.first()?;
        return Some(at(function, &["DeploymentPreference", "Type"]));
    }
    match id {
        // The role is generated for the preferences that name none of their own.
        "CodeDeployServiceRole" => {
            let (function, _) = with_preference
                .iter()
                .find(|(_, properties)| properties.pointer("/DeploymentPreference/Role").is_none())
                .or_else(|| with_preference.first())?;
            Some(at(function, &["DeploymentPreference"]))
        }
        "ServerlessDeploymentApplication" => {
            let (function, _) = with_preference.first()?;
            Some(at(function, &["DeploymentPreference"]))
        }
        _ => None,
    }
}

/// Where a value gradual copies from the function into a generated resource came from, as the
/// keys after the function's `Properties`: the version's `Description` is `VersionDescription`,
/// the alias's `ProvisionedConcurrencyConfig` the function's, and the group's
/// `TriggerConfigurations` the preference's. `None` for everything gradual computes.
fn passed_through(suffix: &str, inner: &[Value]) -> Option<Vec<Value>> {
    let (Some("Properties"), Some(property)) = (
        inner.first().and_then(Value::as_str),
        inner.get(1).and_then(Value::as_str),
    ) else {
        return None;
    };
    let keys: &[&str] = match property {
        "Description" if is_version_suffix(suffix) => &["VersionDescription"],
        "ProvisionedConcurrencyConfig" if suffix.starts_with("Alias") => {
            &["ProvisionedConcurrencyConfig"]
        }
        "TriggerConfigurations" if suffix == "DeploymentGroup" => {
            &["DeploymentPreference", "TriggerConfigurations"]
        }
        _ => return None,
    };
    Some(
        keys.iter()
            .map(|key| Value::from(*key))
            .chain(inner[2..].iter().cloned())
            .collect(),
    )
}

/// `name`, optionally followed by a hash of hex digits.
fn is_alarm(rest: &str, name: &str) -> bool {
    rest.strip_prefix(name)
        .is_some_and(|hash| hash.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

/// `Version` followed by the ten hex digits of the version hash.
fn is_version_suffix(rest: &str) -> bool {
    rest.strip_prefix("Version")
        .is_some_and(|hash| hash.len() == 10 && hash.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

/// `value` is the logical ID `name`, or a `Ref` to it.
fn names_resource(value: &Value, name: &str) -> bool {
    match value {
        Value::String(text) => text == name,
        Value::Object(map) => map.get("Ref").and_then(Value::as_str) == Some(name),
        _ => false,
    }
}

/// Some string inside `value` is `text`, or `text` with CodeDeploy's `CodeDeployDefault.Lambda`
/// prefix; `Fn::If` branches included.
fn mentions(value: &Value, text: &str) -> bool {
    match value {
        Value::String(candidate) => {
            candidate == text || candidate.strip_prefix("CodeDeployDefault.Lambda") == Some(text)
        }
        Value::Array(items) => items.iter().any(|item| mentions(item, text)),
        Value::Object(map) => map.values().any(|item| mentions(item, text)),
        _ => false,
    }
}

/// RFC 6901 pointer for a cfn-lint path.
fn json_pointer(path: &[Value]) -> String {
    let mut pointer = String::new();
    for segment in path {
        pointer.push('/');
        match segment {
            Value::String(key) => pointer.push_str(&key.replace('~', "~0").replace('/', "~1")),
            other => pointer.push_str(&other.to_string()),
        }
    }
    pointer
}

/// A cfn-lint path for an RFC 6901 pointer; all-digit segments are indices.
fn pointer_segments(pointer: &str) -> Vec<Value> {
    pointer
        .split('/')
        .skip(1)
        .map(|segment| {
            let key = segment.replace("~1", "/").replace("~0", "~");
            match key.parse::<u64>() {
                Ok(index) if !key.starts_with('+') => Value::from(index),
                _ => Value::String(key),
            }
        })
        .collect()
}

/// `Resources.Api.Properties.Layers[0]`, as gradual writes paths elsewhere.
fn dotted(path: &[Value]) -> String {
    let mut text = String::new();
    for segment in path {
        match segment {
            Value::String(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            other => text.push_str(&format!("[{other}]")),
        }
    }
    text
}

fn exit_code(findings: &[Finding]) -> u8 {
    findings
        .iter()
        .fold(0, |code, finding| code | finding.level.exit_bit())
}

/// cfn-lint's `parseable` format: `file:line:column:end_line:end_column:rule:message`.
fn parseable(findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        out.push_str(&format!(
            "{}:{}:{}:{}:{}:{}:{}\n",
            finding.file,
            finding.start.line,
            finding.start.column,
            finding.end.line,
            finding.end.column,
            finding.rule.id,
            one_line(&finding.message),
        ));
    }
    out
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// cfn-lint's `json` format, with the source file, position and path, and a `Generated` member
/// naming the generated resource a finding is really in.
fn json_report(findings: &[Finding]) -> Value {
    Value::Array(
        findings
            .iter()
            .map(|finding| {
                let mut entry = json!({
                    "Filename": finding.file,
                    "Level": finding.level.name(),
                    "Location": {
                        "Start": {"LineNumber": finding.start.line, "ColumnNumber": finding.start.column},
                        "End": {"LineNumber": finding.end.line, "ColumnNumber": finding.end.column},
                        "Path": finding.path,
                    },
                    "Message": finding.message,
                    "Rule": {
                        "Id": finding.rule.id,
                        "ShortDescription": finding.rule.short_description,
                        "Description": finding.rule.description,
                        "Source": finding.rule.url,
                    },
                });
                if let (Some(generated), Value::Object(map)) = (&finding.generated, &mut entry) {
                    map.insert(
                        "Generated".into(),
                        json!({
                            "LogicalId": generated.logical_id,
                            "Type": generated.resource_type,
                            "Path": generated.path,
                        }),
                    );
                }
                entry
            })
            .collect(),
    )
}

/// SARIF 2.1.0, one run, as GitHub code scanning takes it.
fn sarif_report(findings: &[Finding]) -> Value {
    let mut rules: BTreeMap<&str, &Rule> = BTreeMap::new();
    for finding in findings {
        rules.entry(&finding.rule.id).or_insert(&finding.rule);
    }
    let index: HashMap<&str, usize> = rules
        .keys()
        .enumerate()
        .map(|(position, id)| (*id, position))
        .collect();
    let descriptors: Vec<Value> = rules
        .values()
        .map(|rule| {
            let mut descriptor = json!({
                "id": rule.id,
                "shortDescription": {"text": non_empty(&rule.short_description, &rule.id)},
                "fullDescription": {"text": non_empty(&rule.description, &rule.id)},
            });
            if let (true, Value::Object(map)) = (!rule.url.is_empty(), &mut descriptor) {
                map.insert("helpUri".into(), Value::from(rule.url.as_str()));
            }
            descriptor
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|finding| {
            json!({
                "ruleId": finding.rule.id,
                "ruleIndex": index.get(finding.rule.id.as_str()).copied().unwrap_or_default(),
                "level": finding.level.sarif(),
                "message": {"text": non_empty(&finding.message, &finding.rule.short_description)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": file_uri(&finding.file)},
                        "region": {
                            "startLine": finding.start.line,
                            "startColumn": finding.start.column,
                            "endLine": finding.end.line,
                            "endColumn": finding.end.column,
                        },
                    },
                }],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gradual",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": descriptors,
            }},
            "results": results,
        }],
    })
}

fn non_empty<'a>(text: &'a str, fallback: &'a str) -> &'a str {
    if text.trim().is_empty() {
        fallback
    } else {
        text
    }
}

/// A relative URI reference for a path as given: `/` separators, and anything outside RFC
/// 3986's unreserved and path characters percent-encoded.
fn file_uri(file: &str) -> String {
    let path = file.replace('\\', "/");
    let mut uri = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    if path.starts_with('/') {
        format!("file://{uri}")
    } else {
        uri
    }
}

/// A directory for the transformed templates, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> anyhow::Result<Self> {
        let base = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        for attempt in 0..100u32 {
            let path = base.join(format!(
                "gradual-lint-{}-{nanos}-{attempt}",
                std::process::id()
            ));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Self(path)),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => {
                    return Err(error).with_context(|| format!("cannot create {}", path.display()))
                }
            }
        }
        bail!("cannot create a temporary directory in {}", base.display())
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resources(yaml: &str) -> Map<String, Value> {
        let document = gradual_yaml::parse(yaml).expect("test template parses");
        document.value["Resources"]
            .as_object()
            .cloned()
            .expect("Resources")
    }

    const TWO_FUNCTIONS: &str = "\
Resources:
  Api:
    Type: AWS::Lambda::Function
    Properties:
      AutoPublishAlias: live
      DeploymentPreference:
        Type: Canary10Percent5Minutes
        Role: arn:aws:iam::123456789012:role/deployer
  ApiV2:
    Type: AWS::Lambda::Function
    Properties:
      AutoPublishAlias: live
      DeploymentPreference:
        Type: !If [Prod, Linear20PercentEvery5Minutes, AllAtOnce]
        Hooks:
          PostTraffic: !Ref Check
        Guard: {ErrorRate: 1}
        SmokeTest: {Event: {}, Expect: {}}
  Check:
    Type: AWS::Lambda::Function
    Properties: {}
";

    fn origin_of(id: &str) -> Option<String> {
        origin(id, &[], &resources(TWO_FUNCTIONS)).map(|path| dotted(&path))
    }

    #[test]
    fn per_function_resources_map_to_the_longest_matching_function() {
        assert_eq!(
            origin_of("ApiV2DeploymentGroup").as_deref(),
            Some("Resources.ApiV2.Properties.DeploymentPreference")
        );
        assert_eq!(
            origin_of("ApiDeploymentGroup").as_deref(),
            Some("Resources.Api.Properties.DeploymentPreference")
        );
        assert_eq!(
            origin_of("ApiV2Version0123456789").as_deref(),
            Some("Resources.ApiV2.Properties.AutoPublishAlias")
        );
        assert_eq!(
            origin_of("ApiAliaslive").as_deref(),
            Some("Resources.Api.Properties.AutoPublishAlias")
        );
        assert_eq!(
            origin_of("ApiV2GuardErrorRateAlarm").as_deref(),
            Some("Resources.ApiV2.Properties.DeploymentPreference.Guard.ErrorRate")
        );
        assert_eq!(
            origin_of("ApiV2SmokeTest").as_deref(),
            Some("Resources.ApiV2.Properties.DeploymentPreference.SmokeTest")
        );
        // Not a version hash, and an alias needs a name.
        assert_eq!(origin_of("ApiVersionX"), None);
        assert_eq!(origin_of("ApiAlias"), None);
    }

    #[test]
    fn shared_resources_map_to_the_function_that_needs_them() {
        // Api brings its own role, so the generated one is ApiV2's doing.
        assert_eq!(
            origin_of("CodeDeployServiceRole").as_deref(),
            Some("Resources.ApiV2.Properties.DeploymentPreference")
        );
        assert_eq!(
            origin_of("ServerlessDeploymentApplication").as_deref(),
            Some("Resources.Api.Properties.DeploymentPreference")
        );
        assert_eq!(
            origin_of("CheckHookPolicy").as_deref(),
            Some("Resources.ApiV2.Properties.DeploymentPreference.Hooks.PostTraffic")
        );
        assert_eq!(
            origin_of("DeploymentConfigLinear20PercentEvery5Minutes").as_deref(),
            Some("Resources.ApiV2.Properties.DeploymentPreference.Type")
        );
        assert_eq!(origin_of("SomethingElse"), None);
    }

    /// Every resource the golden fixtures show gradual generating has an origin, so a new kind
    /// of generated resource cannot go unmapped without this failing.
    #[test]
    fn every_generated_resource_in_the_golden_fixtures_has_an_origin() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/ok");
        let mut checked = 0;
        let mut unmapped = Vec::new();
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(&fixtures)
            .expect("the golden fixtures are readable")
            .map(|entry| entry.expect("a directory entry").path())
            .collect();
        dirs.sort();
        for dir in dirs {
            let input = std::fs::read_to_string(dir.join("input.yaml")).expect("input.yaml");
            // Every resource of the expected output is named there, generated ones in full
            // (tests/golden.rs).
            let output = std::fs::read_to_string(dir.join("changes.yaml")).expect("changes.yaml");
            let input = gradual_yaml::parse(&input).expect("input parses").value;
            let output = gradual_yaml::parse(&output)
                .expect("changes.yaml parses")
                .value;
            let empty = Map::new();
            let source = input["Resources"].as_object().unwrap_or(&empty);
            for id in output["Resources"].as_object().unwrap_or(&empty).keys() {
                if source.contains_key(id) {
                    continue;
                }
                checked += 1;
                if origin(id, &[], source).is_none() {
                    unmapped.push(format!("{}: {id}", dir.display()));
                }
            }
        }
        assert!(checked > 100, "only {checked} generated resources found");
        assert!(
            unmapped.is_empty(),
            "no origin for:\n{}",
            unmapped.join("\n")
        );
    }

    #[test]
    fn pointers_round_trip_through_cfn_lint_paths() {
        let path = vec![
            Value::from("Resources"),
            Value::from("A/B~C"),
            Value::from("Layers"),
            Value::from(0),
        ];
        let pointer = json_pointer(&path);
        assert_eq!(pointer, "/Resources/A~1B~0C/Layers/0");
        assert_eq!(pointer_segments(&pointer), path);
        assert_eq!(dotted(&path), "Resources.A/B~C.Layers[0]");
        assert!(pointer_segments("").is_empty());
    }

    #[test]
    fn json_templates_are_located_through_the_yaml_reader() {
        let text = "{\n  \"Resources\": {\n    \"Q\": {\"Type\": \"AWS::SQS::Queue\"}\n  }\n}\n";
        let (_, format) = gradual_yaml::parse_any(text).expect("parses");
        assert_eq!(format, Format::Json);
        let locations = gradual_yaml::locate_json(text);
        assert_eq!(
            locations.get("/Resources/Q/Type"),
            Some(Location {
                line: 3,
                column: 11
            })
        );
    }

    #[test]
    fn uses_are_found_where_cloudformation_reads_them() {
        let template = gradual_yaml::parse(
            "Parameters:\n  A: {Type: String, Default: !Ref B}\n  B: {Type: String}\n  C: {Type: String}\n\
             Mappings:\n  M: {k: {v: 1}}\n  Unused: {k: {v: 1}}\n\
             Conditions:\n  P: !Equals [a, b]\n  Q: !Not [!Condition P]\n  R: !Equals [a, a]\n  S: !Equals [b, b]\n\
             Resources:\n  F:\n    Condition: S\n    Properties:\n      X: !Ref A\n      Y: !Sub [\"${C}-x\", {}]\n      Z: \"${B}\"\n\
             \x20     W: !FindInMap [M, k, v]\n      V: !If [Q, 1, 2]\n",
        )
        .expect("parses")
        .value;
        assert!(uses(&template, "Parameters", "A"));
        assert!(uses(&template, "Parameters", "C"));
        // Only inside Parameters, and a `${B}` outside any Fn::Sub, are no uses.
        assert!(!uses(&template, "Parameters", "B"));
        assert!(uses(&template, "Mappings", "M"));
        assert!(!uses(&template, "Mappings", "Unused"));
        assert!(uses(&template, "Conditions", "P"), "used by condition Q");
        assert!(uses(&template, "Conditions", "Q"), "used by an Fn::If");
        assert!(uses(&template, "Conditions", "S"), "a resource's Condition");
        assert!(!uses(&template, "Conditions", "R"));
    }

    #[test]
    fn uris_are_relative_references_with_unsafe_bytes_encoded() {
        assert_eq!(file_uri("templates/a b.yaml"), "templates/a%20b.yaml");
        assert_eq!(file_uri("/abs/t.yaml"), "file:///abs/t.yaml");
        assert_eq!(file_uri("<stdin>"), "%3Cstdin%3E");
        assert_eq!(file_uri("dir\\t.yaml"), "dir/t.yaml");
    }

    #[test]
    fn exit_codes_are_cfn_lint_bit_flags() {
        let finding = |level| Finding::at(0, "t".into(), FIRST, level, Rule::limit(), "m".into());
        assert_eq!(exit_code(&[]), 0);
        assert_eq!(exit_code(&[finding(Level::Warning)]), 4);
        assert_eq!(
            exit_code(&[
                finding(Level::Error),
                finding(Level::Informational),
                finding(Level::Error)
            ]),
            10
        );
    }
}
