//! Text forms of a [`Snapshot`]: the table `gradual status` prints, the one line per change
//! `--watch` prints when its output isn't a terminal, and the progress bar's message. Pure and
//! deterministic: nothing here reads the clock; times that depend on "now" take it as an
//! argument.

use std::fmt::Write as _;

use crate::model::{timestamp, DeploymentStatus, FunctionStatus, Snapshot};

/// `10%`, `12.5%`.
pub fn percent(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}%")
    } else {
        format!("{value}%")
    }
}

fn width(text: &str) -> usize {
    text.chars().count()
}

fn pad(text: &str, to: usize) -> String {
    let mut padded = text.to_owned();
    padded.extend(std::iter::repeat_n(' ', to.saturating_sub(width(text))));
    padded
}

/// Rows of cells as aligned columns, two spaces apart, no trailing spaces.
fn columns(rows: &[Vec<String>], indent: &str) -> String {
    let count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..count)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| width(cell))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = indent.to_owned();
        for (column, cell) in row.iter().enumerate() {
            if column + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&pad(cell, widths[column]));
                line.push_str("  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_owned()
}

/// A 20-cell bar of the traffic on the target version.
fn bar(traffic: f64) -> String {
    let filled = ((traffic.clamp(0.0, 100.0) / 5.0).round()) as usize;
    let mut bar = String::from("[");
    bar.extend(std::iter::repeat_n('#', filled));
    bar.extend(std::iter::repeat_n('.', 20 - filled));
    bar.push(']');
    bar
}

/// The `gradual status` table: a summary row per function, then each function's details.
pub fn table(snapshot: &Snapshot) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Stack {}: {}", snapshot.stack, snapshot.stack_status);
    if let Some(reason) = &snapshot.stack_status_reason {
        let _ = writeln!(out, "  {reason}");
    }
    for skipped in &snapshot.skipped {
        let _ = writeln!(
            out,
            "  skipped {}: {}",
            skipped.alias_logical_id, skipped.reason
        );
    }
    if snapshot.functions.is_empty() {
        out.push('\n');
        out.push_str(&no_functions(&snapshot.stack));
        out.push('\n');
        return out;
    }
    out.push('\n');
    let mut rows = vec![[
        "FUNCTION",
        "ALIAS",
        "DEPLOYMENT",
        "STATUS",
        "TRAFFIC",
        "VERSIONS",
    ]
    .map(str::to_owned)
    .to_vec()];
    for function in &snapshot.functions {
        let target = &function.target;
        rows.push(match &function.deployment {
            None => vec![
                target.logical_id.clone(),
                target.alias.clone(),
                "-".into(),
                if function.group_exists {
                    "never deployed".into()
                } else {
                    "no deployment group".into()
                },
                "-".into(),
                "-".into(),
            ],
            Some(deployment) => vec![
                target.logical_id.clone(),
                target.alias.clone(),
                deployment.id.clone(),
                deployment.status.clone(),
                deployment
                    .traffic_to_target
                    .map_or_else(|| "-".to_owned(), percent),
                versions(deployment),
            ],
        });
    }
    out.push_str(&columns(&rows, ""));
    for function in &snapshot.functions {
        out.push('\n');
        details(&mut out, function);
    }
    out
}

fn versions(deployment: &DeploymentStatus) -> String {
    match (&deployment.current_version, &deployment.target_version) {
        (None, None) => "-".into(),
        (current, target) => format!(
            "{} -> {}",
            dash(current.as_deref()),
            dash(target.as_deref())
        ),
    }
}

fn details(out: &mut String, function: &FunctionStatus) {
    let target = &function.target;
    let _ = writeln!(
        out,
        "{} ({}:{})",
        target.logical_id, target.function_name, target.alias
    );
    let _ = writeln!(
        out,
        "  group       {} (application {})",
        target.deployment_group, target.application
    );
    let Some(deployment) = &function.deployment else {
        let _ = writeln!(
            out,
            "  {}",
            if function.group_exists {
                "no deployment yet: CodeDeploy runs one when an update changes the alias's version"
            } else {
                "the deployment group doesn't exist yet"
            }
        );
        return;
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut row = |label: &str, cells: Vec<String>| {
        let mut row = vec![label.to_owned()];
        row.extend(cells);
        rows.push(row);
    };
    let mut status = deployment.status.clone();
    if let Some(creator) = &deployment.creator {
        let _ = write!(status, " (by {creator})");
    }
    row("deployment", vec![format!("{} {status}", deployment.id)]);
    if let Some(traffic) = deployment.traffic_to_target {
        row(
            "traffic",
            vec![format!(
                "{} {} on version {}",
                bar(traffic),
                percent(traffic),
                dash(deployment.target_version.as_deref())
            )],
        );
    }
    let config = dash(deployment.deployment_config.as_deref());
    row(
        "schedule",
        vec![match deployment.schedule {
            Some(schedule) => format!("{} ({config})", schedule.describe()),
            None => config,
        }],
    );
    if let Some(start) = deployment.start_time {
        row("started", vec![timestamp(start)]);
    }
    if let Some(end) = deployment.expected_end_time {
        row("100% at", vec![format!("{} (expected)", timestamp(end))]);
    }
    if let Some(end) = deployment.end_time {
        row("ended", vec![timestamp(end)]);
    }
    // Hooks and alarms are aligned among themselves, not with the longer single-cell rows.
    let hooks: Vec<Vec<String>> = deployment
        .hooks
        .iter()
        .map(|hook| {
            vec![
                hook.phase.clone(),
                dash(hook.function.as_deref()),
                hook.status.clone(),
            ]
        })
        .collect();
    for (index, line) in columns(&hooks, "").lines().enumerate() {
        row(if index == 0 { "hooks" } else { "" }, vec![line.to_owned()]);
    }
    let mut alarms: Vec<Vec<String>> = deployment
        .alarms
        .iter()
        .map(|alarm| vec![alarm.name.clone(), alarm.state.clone()])
        .collect();
    if let (Some(first), false) = (alarms.first_mut(), deployment.alarms_enabled) {
        first.push("(not monitored: the group's alarm configuration is off)".into());
    }
    if alarms.is_empty() {
        alarms.push(vec!["none".into()]);
    }
    for (index, line) in columns(&alarms, "").lines().enumerate() {
        row(
            if index == 0 { "alarms" } else { "" },
            vec![line.to_owned()],
        );
    }
    if let Some(error) = &deployment.error {
        row(
            "error",
            vec![format!(
                "{}: {}",
                dash(error.code.as_deref()),
                dash(error.message.as_deref())
            )],
        );
    }
    if let Some(rollback) = &deployment.rollback {
        let mut text = match (&rollback.deployment_id, &rollback.status) {
            (Some(id), Some(status)) => format!("{id} {status}"),
            (Some(id), None) => id.clone(),
            (None, _) => String::new(),
        };
        if let Some(message) = &rollback.message {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(message);
        }
        row("rollback", vec![text]);
    }
    out.push_str(&columns(&rows, "  "));
}

/// What `gradual status` says about a stack without gradual functions.
pub fn no_functions(stack: &str) -> String {
    format!(
        "Stack {stack} has no gradually deployed functions (no AWS::Lambda::Alias with a \
         CodeDeploy update policy)."
    )
}

/// `--watch` without a terminal: one line per thing that changed, keyed so that the caller can
/// print a line only when its text differs from the last one printed for that key.
pub fn change_lines(snapshot: &Snapshot) -> Vec<(String, String)> {
    let mut lines = vec![(
        String::new(),
        format!("stack {}: {}", snapshot.stack, snapshot.stack_status),
    )];
    for function in &snapshot.functions {
        lines.push((
            function.target.logical_id.clone(),
            format!("{}: {}", function.target.logical_id, summary(function)),
        ));
    }
    lines
}

/// One function's state in a line, without anything that changes only with the clock.
pub fn summary(function: &FunctionStatus) -> String {
    let Some(deployment) = &function.deployment else {
        return if function.group_exists {
            "never deployed".to_owned()
        } else {
            "no deployment group".to_owned()
        };
    };
    let mut parts = vec![format!("{} {}", deployment.id, deployment.status)];
    if let Some(traffic) = deployment.traffic_to_target {
        parts.push(format!(
            "{} on version {} (from {})",
            percent(traffic),
            dash(deployment.target_version.as_deref()),
            dash(deployment.current_version.as_deref())
        ));
    }
    for hook in &deployment.hooks {
        parts.push(format!("{} {}", hook.phase, hook.status));
    }
    let firing: Vec<&str> = deployment
        .alarms
        .iter()
        .filter(|alarm| alarm.state == "ALARM")
        .map(|alarm| alarm.name.as_str())
        .collect();
    if !firing.is_empty() {
        parts.push(format!("ALARM {}", firing.join(", ")));
    }
    // The code only: the table has the message, and a line per change should stay a line.
    if let Some(code) = deployment
        .error
        .as_ref()
        .and_then(|error| error.code.as_deref())
    {
        parts.push(code.to_owned());
    }
    if let Some(rollback) = &deployment.rollback {
        parts.push(format!(
            "rollback {} {}",
            dash(rollback.deployment_id.as_deref()),
            dash(rollback.status.as_deref())
        ));
    }
    parts.join(", ")
}

/// The progress bar's message: status, next step and time left, as of `now`.
pub fn progress_message(function: &FunctionStatus, now: i64) -> String {
    let Some(deployment) = &function.deployment else {
        return summary(function);
    };
    let mut message = format!("{} {}", deployment.id, deployment.status);
    if let Some(hook) = deployment
        .hooks
        .iter()
        .find(|hook| hook.status == "InProgress")
    {
        let _ = write!(message, ", {} hook running", hook.phase);
    }
    if let Some((at, next)) = deployment.next_step(now) {
        if at > now {
            let _ = write!(
                message,
                ", next {} in {}",
                percent(next),
                duration(at - now)
            );
        } else {
            // CodeDeploy shifts a little after the minute; don't count below zero.
            let _ = write!(message, ", next {} due", percent(next));
        }
    }
    if let Some(end) = deployment.expected_end_time.filter(|end| *end > now) {
        let _ = write!(message, ", 100% in {}", duration(end - now));
    }
    if deployment.alarms.iter().any(|alarm| alarm.state == "ALARM") {
        message.push_str(", ALARM");
    }
    if let Some(rollback) = deployment.rollback.as_ref() {
        let _ = write!(message, ", rollback {}", dash(rollback.status.as_deref()));
    }
    message
}

/// `4m05s`, `1h02m`, `0s` for anything overdue.
pub fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h{:02}m", seconds / 3600, (seconds % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_on_characters_and_trim() {
        let rows = vec![
            vec!["a".to_owned(), "1 -> 2".to_owned(), "x".to_owned()],
            vec!["long".to_owned(), "".to_owned(), "".to_owned()],
        ];
        assert_eq!(columns(&rows, "  "), "  a     1 -> 2  x\n  long\n");
    }

    #[test]
    fn the_progress_message_counts_down_to_the_next_step() {
        use crate::model::{
            AliasRecord, DeploymentRecord, LifecycleRecord, Observed, Schedule, TargetRecord,
        };
        use crate::template::Target;
        let target = Target {
            logical_id: "Api".into(),
            alias_logical_id: "ApiAliaslive".into(),
            function_name: "f".into(),
            alias: "live".into(),
            application: "a".into(),
            deployment_group: "g".into(),
            pre_traffic_hook: None,
            post_traffic_hook: None,
        };
        let observed = Observed {
            deployment: Some(DeploymentRecord {
                id: "d-1".into(),
                status: "InProgress".into(),
                ..DeploymentRecord::default()
            }),
            target: Some(TargetRecord {
                current_version: Some("1".into()),
                target_version: Some("2".into()),
                lifecycle_events: vec![LifecycleRecord {
                    name: "AllowTraffic".into(),
                    status: "InProgress".into(),
                    start_time: Some(1_000),
                    end_time: None,
                }],
            }),
            alias: Some(AliasRecord {
                function_version: "1".into(),
                weights: [("2".to_owned(), 0.3)].into(),
            }),
            schedule: Some(Schedule::Linear {
                percent: 30,
                minutes: 2,
            }),
            ..Observed::default()
        };
        let function = FunctionStatus::build(target, observed);
        assert_eq!(
            progress_message(&function, 1_030),
            "d-1 InProgress, next 60% in 1m30s, 100% in 5m30s"
        );
        assert_eq!(
            progress_message(&function, 1_200),
            "d-1 InProgress, next 60% due, 100% in 2m40s"
        );
        assert_eq!(
            progress_message(&function, 9_000),
            "d-1 InProgress, next 60% due"
        );
    }

    #[test]
    fn percents_bars_and_durations() {
        assert_eq!(percent(10.0), "10%");
        assert_eq!(percent(12.5), "12.5%");
        assert_eq!(bar(10.0), "[##..................]");
        assert_eq!(bar(100.0), "[####################]");
        assert_eq!(bar(-3.0), "[....................]");
        assert_eq!(duration(-5), "0s");
        assert_eq!(duration(245), "4m05s");
        assert_eq!(duration(3720), "1h02m");
    }
}
