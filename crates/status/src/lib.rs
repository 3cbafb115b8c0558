//! `gradual status`, `gradual status --watch` and `gradual stop`: a stack's gradual (CodeDeploy)
//! Lambda deployments, seen and steered from the terminal.
//!
//! The stack's gradually deployed functions are the aliases of its processed template with a
//! `CodeDeployLambdaAliasUpdate` policy ([`template`]); for each, the latest deployment of its
//! deployment group, the alias's routing (traffic on the target version), the lifecycle hooks
//! and the group's alarms are fetched ([`aws`]) into plain records that [`model`] turns into a
//! [`model::Snapshot`], which [`render`] prints as a table, JSON or one line per change.
//! Only [`aws`] and the entry points here do I/O.
//!
//! Exit codes: [`EXIT_OK`], [`EXIT_DEPLOYMENT_FAILED`] (`--watch` saw a deployment fail, stop or
//! roll back; `stop` was declined), [`EXIT_ERROR`] (unknown stack, no region or credentials, an
//! AWS call that failed), [`EXIT_INTERRUPTED`] (Ctrl-C ended `--watch`).

pub mod aws;
pub mod model;
pub mod render;
pub mod template;
mod watch;

use std::io::{self, BufRead, Write};
use std::time::Duration;

use crate::aws::Clients;
use crate::model::Snapshot;

pub use crate::watch::Progress;

/// Success; for `--watch`, every deployment it watched succeeded.
pub const EXIT_OK: u8 = 0;
/// `--watch`: a deployment failed, was stopped or rolled back, or the stack rolled back.
/// `stop`: not confirmed.
pub const EXIT_DEPLOYMENT_FAILED: u8 = 1;
/// The command could not run.
pub const EXIT_ERROR: u8 = 2;
/// Ctrl-C ended `--watch` (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Why a command could not run; every variant means exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("stack `{stack}` does not exist in {region}")]
    UnknownStack { stack: String, region: String },
    #[error(
        "no AWS region: pass --region, set AWS_REGION, or give the profile a region in ~/.aws/config"
    )]
    NoRegion,
    #[error("no usable AWS credentials: {0}")]
    NoCredentials(String),
    #[error("{operation} failed: {message}")]
    Aws {
        operation: &'static str,
        message: String,
    },
    #[error("the processed template of stack `{stack}` can't be read: {message}")]
    Template { stack: String, message: String },
    #[error("stack `{stack}` has no gradual function `{given}`; it has: {known}")]
    UnknownFunction {
        stack: String,
        given: String,
        known: String,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(io::Error),
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Which stack, and how to reach AWS.
#[derive(Clone, Debug, Default)]
pub struct Target {
    pub stack: String,
    /// Overrides `AWS_REGION` and the profile's region.
    pub region: Option<String>,
    /// Overrides `AWS_PROFILE`.
    pub profile: Option<String>,
    /// Overrides `AWS_ENDPOINT_URL` (a local endpoint such as the tests' fake).
    pub endpoint_url: Option<String>,
}

impl Target {
    async fn connect(&self) -> Result<Clients, Error> {
        Clients::connect(
            self.region.as_deref(),
            self.profile.as_deref(),
            self.endpoint_url.as_deref(),
        )
        .await
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

/// How `--watch` refreshes and draws.
#[derive(Clone, Copy, Debug)]
pub struct Watch {
    /// Between refreshes.
    pub interval: Duration,
    /// Redraw progress bars (a terminal) or print one line per change (anything else).
    pub progress: Progress,
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// The stack's status and one [`Snapshot`] of it.
async fn snapshot(clients: &Clients, stack: &str) -> Result<Snapshot, Error> {
    let status = clients.stack_status(stack).await?;
    let discovery = clients.discover(stack).await?;
    clients.snapshot(stack, status, &discovery).await
}

/// `gradual status STACK`: prints the table or the JSON to `out`.
pub fn status(target: &Target, format: Format, out: &mut dyn Write) -> Result<u8, Error> {
    let snapshot = runtime()?.block_on(async {
        let clients = target.connect().await?;
        snapshot(&clients, &target.stack).await
    })?;
    match format {
        Format::Table => out.write_all(render::table(&snapshot).as_bytes())?,
        Format::Json => {
            let mut json = serde_json::to_string_pretty(&snapshot.to_json())
                .map_err(|error| Error::Io(error.into()))?;
            json.push('\n');
            out.write_all(json.as_bytes())?;
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}

/// `gradual status STACK --watch`: refreshes until nothing is in flight and the stack has
/// settled, then exits [`EXIT_OK`] if everything succeeded, else [`EXIT_DEPLOYMENT_FAILED`].
pub fn watch(
    target: &Target,
    format: Format,
    watch: Watch,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    runtime()?.block_on(async {
        let clients = target.connect().await?;
        watch::run(&clients, &target.stack, format, watch, out, err).await
    })
}

/// `gradual stop STACK [--function ID]`: stops the in-flight deployments, with rollback, after
/// asking on `err` and reading the answer from `input` (unless `yes`).
pub fn stop(
    target: &Target,
    function: Option<&str>,
    yes: bool,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    runtime()?.block_on(async {
        let clients = target.connect().await?;
        let snapshot = snapshot(&clients, &target.stack).await?;
        if let Some(given) = function {
            let known = snapshot.functions.iter().any(|candidate| {
                candidate.target.logical_id == given || candidate.target.alias_logical_id == given
            });
            if !known {
                let names: Vec<&str> = snapshot
                    .functions
                    .iter()
                    .map(|candidate| candidate.target.logical_id.as_str())
                    .collect();
                return Err(Error::UnknownFunction {
                    stack: target.stack.clone(),
                    given: given.to_owned(),
                    known: if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    },
                });
            }
        }
        let chosen: Vec<_> = snapshot
            .functions
            .iter()
            .filter(|candidate| {
                function.is_none_or(|given| {
                    candidate.target.logical_id == given
                        || candidate.target.alias_logical_id == given
                })
            })
            .filter_map(|candidate| {
                let deployment = candidate.deployment.as_ref()?;
                model::IN_FLIGHT
                    .contains(&deployment.status.as_str())
                    .then_some((candidate, deployment))
            })
            .collect();
        if chosen.is_empty() {
            writeln!(
                out,
                "Nothing to stop: no deployment of {} is in flight.",
                function.map_or_else(|| format!("stack {}", target.stack), str::to_owned)
            )?;
            return Ok(EXIT_OK);
        }
        for (function, _) in &chosen {
            writeln!(
                err,
                "  {}: {}",
                function.target.logical_id,
                render::summary(function)
            )?;
        }
        if !yes {
            write!(
                err,
                "Stop {} and roll back to the current version? [y/N] ",
                if chosen.len() == 1 {
                    "this deployment".to_owned()
                } else {
                    format!("these {} deployments", chosen.len())
                }
            )?;
            err.flush()?;
            let mut answer = String::new();
            input.read_line(&mut answer)?;
            if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
                writeln!(err, "Not stopped.")?;
                return Ok(EXIT_DEPLOYMENT_FAILED);
            }
        }
        let mut failed = false;
        for (function, deployment) in chosen {
            match clients.stop(&deployment.id).await {
                Ok((status, message)) => {
                    write!(
                        out,
                        "Stopped {} deployment {} ({status}",
                        function.target.logical_id, deployment.id
                    )?;
                    if let Some(message) = message {
                        write!(out, ": {message}")?;
                    }
                    writeln!(
                        out,
                        "); CodeDeploy rolls {} back to version {}.",
                        function.target.alias,
                        deployment.current_version.as_deref().unwrap_or("-")
                    )?;
                }
                Err(error) => {
                    writeln!(
                        err,
                        "gradual: error: {}: {error}",
                        function.target.logical_id
                    )?;
                    failed = true;
                }
            }
        }
        out.flush()?;
        Ok(if failed { EXIT_ERROR } else { EXIT_OK })
    })
}
