//! `--watch`: refresh until the stack has settled, drawing progress bars on a terminal and
//! printing one line per change anywhere else.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::aws::Clients;
use crate::model::Snapshot;
use crate::template::Discovery;
use crate::{render, Error, Format, Watch, EXIT_DEPLOYMENT_FAILED, EXIT_INTERRUPTED, EXIT_OK};

/// How `--watch` shows progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Progress bars redrawn in place on standard output (a terminal); lines instead where
    /// `TERM` is unset or `dumb`.
    Bars,
    /// One line per change (a pipe, a file, a CI log).
    Lines,
}

/// How often bars redraw their countdowns between refreshes.
const TICK: Duration = Duration::from_secs(1);

pub(crate) async fn run(
    clients: &Clients,
    stack: &str,
    format: Format,
    watch: Watch,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    let interrupt = interrupted();
    tokio::pin!(interrupt);
    // indicatif draws nothing on a terminal whose TERM is unset or `dumb`: lines there.
    let drawable = !ProgressDrawTarget::stdout().is_hidden();
    let mut view = match (watch.progress, format) {
        (Progress::Bars, Format::Table) if drawable => View::Bars(Bars::new()),
        _ => View::Lines(BTreeMap::new()),
    };
    let mut discovery: Option<(String, Discovery)> = None;
    loop {
        let snapshot = tokio::select! {
            snapshot = refresh(clients, stack, &mut discovery) => snapshot,
            () = &mut interrupt => return view.interrupted(err),
        };
        let snapshot = match snapshot {
            Ok(snapshot) => snapshot,
            Err(error) => {
                view.clear();
                return Err(error);
            }
        };
        if snapshot.functions.is_empty() && snapshot.skipped.is_empty() {
            view.clear();
            match format {
                Format::Table => writeln!(out, "{}", render::no_functions(stack))?,
                Format::Json => writeln!(out, "{}", snapshot.to_json())?,
            }
            return Ok(EXIT_OK);
        }
        view.show(&snapshot, format, out)?;
        if snapshot.settled() {
            return view.finish(&snapshot, format, out, err);
        }
        let deadline = Instant::now() + watch.interval;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let step = if matches!(view, View::Bars(_)) {
                left.min(TICK)
            } else {
                left
            };
            tokio::select! {
                () = tokio::time::sleep(step) => {}
                () = &mut interrupt => return view.interrupted(err),
            }
            if let View::Bars(bars) = &mut view {
                bars.draw(&snapshot, now());
            }
        }
    }
}

/// Completes on Ctrl-C; never, where the handler can't be installed.
async fn interrupted() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The stack status, rediscovering the functions whenever it changed (an update can add or
/// replace aliases).
async fn refresh(
    clients: &Clients,
    stack: &str,
    discovery: &mut Option<(String, Discovery)>,
) -> Result<Snapshot, Error> {
    let status = clients.stack_status(stack).await?;
    let current = match discovery.take() {
        Some((seen, known)) if seen == status.0 => known,
        _ => clients.discover(stack).await?,
    };
    let snapshot = clients.snapshot(stack, status.clone(), &current).await;
    *discovery = Some((status.0, current));
    snapshot
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

enum View {
    Bars(Bars),
    /// The last line printed per key, or the last JSON document under the empty key.
    Lines(BTreeMap<String, String>),
}

impl View {
    fn show(
        &mut self,
        snapshot: &Snapshot,
        format: Format,
        out: &mut dyn Write,
    ) -> Result<(), Error> {
        match self {
            View::Bars(bars) => bars.draw(snapshot, now()),
            View::Lines(printed) => match format {
                Format::Json => {
                    let document = snapshot.to_json().to_string();
                    if printed.get("") != Some(&document) {
                        writeln!(out, "{document}")?;
                        out.flush()?;
                        printed.insert(String::new(), document);
                    }
                }
                Format::Table => {
                    for (key, line) in render::change_lines(snapshot) {
                        if printed.get(&key) != Some(&line) {
                            writeln!(out, "{line}")?;
                            printed.insert(key, line);
                        }
                    }
                    out.flush()?;
                }
            },
        }
        Ok(())
    }

    fn clear(&mut self) {
        if let View::Bars(bars) = self {
            // Finished bars don't draw again when they are dropped.
            for (_, bar) in &bars.rows {
                bar.finish_and_clear();
            }
            bars.header.finish_and_clear();
            let _ = bars.multi.clear();
        }
    }

    fn finish(
        &mut self,
        snapshot: &Snapshot,
        format: Format,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<u8, Error> {
        if let View::Bars(_) = self {
            self.clear();
            out.write_all(render::table(snapshot).as_bytes())?;
        }
        let verdict = verdict(snapshot);
        match format {
            Format::Table => writeln!(out, "{verdict}")?,
            Format::Json => writeln!(err, "{verdict}")?,
        }
        out.flush()?;
        Ok(if snapshot.succeeded() {
            EXIT_OK
        } else {
            EXIT_DEPLOYMENT_FAILED
        })
    }

    fn interrupted(&mut self, err: &mut dyn Write) -> Result<u8, Error> {
        self.clear();
        writeln!(
            err,
            "gradual: interrupted; deployments carry on without watching"
        )?;
        Ok(EXIT_INTERRUPTED)
    }
}

/// The last word of a watch: what succeeded, or what didn't.
fn verdict(snapshot: &Snapshot) -> String {
    let failed: Vec<String> = snapshot
        .functions
        .iter()
        .filter_map(|function| {
            let deployment = function.deployment.as_ref()?;
            deployment.unsuccessful().then(|| {
                format!(
                    "{} deployment {} {}",
                    function.target.logical_id, deployment.id, deployment.status
                )
            })
        })
        .collect();
    if snapshot.succeeded() {
        let count = snapshot
            .functions
            .iter()
            .filter(|function| function.deployment.is_some())
            .count();
        return match count {
            0 => format!(
                "done: stack {} {}, no deployments",
                snapshot.stack, snapshot.stack_status
            ),
            1 => format!(
                "done: stack {} {}, the deployment succeeded",
                snapshot.stack, snapshot.stack_status
            ),
            n => format!(
                "done: stack {} {}, all {n} deployments succeeded",
                snapshot.stack, snapshot.stack_status
            ),
        };
    }
    let mut verdict = format!("failed: stack {} {}", snapshot.stack, snapshot.stack_status);
    for failure in failed {
        verdict.push_str("; ");
        verdict.push_str(&failure);
    }
    verdict
}

struct Bars {
    multi: MultiProgress,
    header: ProgressBar,
    rows: Vec<(String, ProgressBar)>,
    style: ProgressStyle,
}

impl Bars {
    fn new() -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout());
        let header = multi.add(ProgressBar::new(0));
        header.set_style(
            ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let style = ProgressStyle::with_template("{prefix:<12} [{bar:30}] {pos:>3}%  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("#>.");
        Bars {
            multi,
            header,
            rows: Vec::new(),
            style,
        }
    }

    fn draw(&mut self, snapshot: &Snapshot, now: i64) {
        self.header.set_message(format!(
            "stack {}: {}",
            snapshot.stack, snapshot.stack_status
        ));
        for function in &snapshot.functions {
            let key = &function.target.logical_id;
            let bar = match self.rows.iter().find(|(name, _)| name == key) {
                Some((_, bar)) => bar.clone(),
                None => {
                    let bar = self.multi.add(ProgressBar::new(100));
                    bar.set_style(self.style.clone());
                    bar.set_prefix(key.clone());
                    self.rows.push((key.clone(), bar.clone()));
                    bar
                }
            };
            let traffic = function
                .deployment
                .as_ref()
                .and_then(|deployment| deployment.traffic_to_target)
                .unwrap_or(0.0);
            // Bounded to 0..=100 first, so the conversion is exact.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            bar.set_message(render::progress_message(function, now));
            bar.set_position(traffic.clamp(0.0, 100.0).round() as u64);
        }
    }
}
