//! What a deployment of a template will do, for people: the traffic schedule, hooks, alarms
//! and rollback of every gradually deployed function.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::error::TransformErrors;
use crate::intrinsic::{self, Intrinsic};
use crate::preference::{Alarms, Preference};
use crate::schedule::Schedule;
use crate::template::deployments_of;
use crate::{transform, Context};

/// CodeDeploy fails a lifecycle hook that has not reported within an hour.
const HOOK_TIMEOUT_MINUTES: u64 = 60;

/// Facts about CloudFormation and CodeDeploy that surprise people, true of every plan.
const STACK_FACTS: [&str; 3] = [
    "Creating the stack does not shift traffic: each alias starts on the first version, and no hook runs.",
    "An update shifts traffic only for functions whose version changes; a change that keeps the version (Tags, ReservedConcurrentExecutions, ...) deploys nothing.",
    "CodeDeploy runs one deployment per group at a time; a failed hook, a firing alarm or a manual stop rolls the alias back and fails the stack update.",
];

/// The plan for one template.
#[derive(Clone, Debug)]
pub struct Plan {
    functions: Vec<FunctionPlan>,
}

#[derive(Clone, Debug)]
struct FunctionPlan {
    function: String,
    alias: String,
    /// `None` when the function has no enabled preference: its alias moves at once.
    deployment: Option<DeploymentPlan>,
}

#[derive(Clone, Debug)]
struct DeploymentPlan {
    config: String,
    schedule: Option<Schedule>,
    pre_traffic: Option<String>,
    post_traffic: Option<String>,
    alarms: Vec<String>,
    alarms_enabled: bool,
    rollback_events: Vec<&'static str>,
}

/// The plan for `template`, or the errors that stop it from deploying at all.
pub fn plan(template: &Value, ctx: &Context) -> Result<Plan, TransformErrors> {
    transform(template.clone(), ctx)?;
    let functions = deployments_of(template, ctx)
        .into_iter()
        .map(|(function, alias, preference)| FunctionPlan {
            function,
            alias,
            deployment: preference.map(|p| deployment_plan(&p)),
        })
        .collect();
    Ok(Plan { functions })
}

fn deployment_plan(preference: &Preference) -> DeploymentPlan {
    let alarms = match &preference.alarms {
        Alarms::List(list) => list.iter().map(display).collect(),
        Alarms::Conditional {
            condition,
            when_true,
            when_false,
        } => {
            let condition = display(condition);
            when_true
                .iter()
                .map(|a| format!("{} (if {condition})", display(a)))
                .chain(
                    when_false
                        .iter()
                        .map(|a| format!("{} (unless {condition})", display(a))),
                )
                .collect()
        }
    };
    let config = match (preference.schedule, &preference.config_name) {
        (Some(schedule), Value::String(predefined)) => {
            format!("{predefined} ({})", schedule.name())
        }
        (Some(schedule), _) => schedule.name(),
        (None, other) => display(other),
    };
    DeploymentPlan {
        config,
        schedule: preference.schedule,
        pre_traffic: preference.pre_traffic.as_ref().map(|h| display(&h.value)),
        post_traffic: preference.post_traffic.as_ref().map(|h| display(&h.value)),
        alarms_enabled: !preference.ignore_alarms && preference.alarms.max_len() > 0,
        alarms,
        rollback_events: preference.rollback_events.clone(),
    }
}

/// A value as a person reads it in a template: strings as they are, intrinsics in short form.
fn display(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Object(object) => match intrinsic::classify(object) {
            Some(Intrinsic::Ref(name)) => format!("!Ref {name}"),
            Some(Intrinsic::Function("Fn::GetAtt", Value::Array(parts))) => {
                let parts: Vec<String> = parts.iter().map(display).collect();
                format!("!GetAtt {}", parts.join("."))
            }
            Some(Intrinsic::Function("Fn::If", Value::Array(args))) if args.len() == 3 => {
                format!(
                    "!If [{}, {}, {}]",
                    display(&args[0]),
                    display(&args[1]),
                    display(&args[2])
                )
            }
            _ => value.to_string(),
        },
        other => other.to_string(),
    }
}

fn minutes(total: u64) -> String {
    match total {
        1 => "1 minute".to_owned(),
        n => format!("{n} minutes"),
    }
}

impl Plan {
    /// The plan as JSON, for tools.
    pub fn to_json(&self) -> Value {
        let functions: Vec<Value> = self
            .functions
            .iter()
            .map(|f| {
                let deployment = f.deployment.as_ref().map(|d| {
                    let schedule = d.schedule.map(|s| {
                        json!({
                            "name": s.name(),
                            "steps": s.steps().iter().map(|(minute, percent)| json!({"minute": minute, "percent": percent})).collect::<Vec<_>>(),
                            "shiftingMinutes": s.shifting_minutes(),
                        })
                    });
                    let mut hooks = Vec::new();
                    if let Some(hook) = &d.pre_traffic {
                        hooks.push(json!({"event": "BeforeAllowTraffic", "function": hook, "timeoutMinutes": HOOK_TIMEOUT_MINUTES}));
                    }
                    if let Some(hook) = &d.post_traffic {
                        hooks.push(json!({"event": "AfterAllowTraffic", "function": hook, "timeoutMinutes": HOOK_TIMEOUT_MINUTES}));
                    }
                    json!({
                        "deploymentConfig": d.config,
                        "schedule": schedule,
                        "hooks": hooks,
                        "alarms": d.alarms,
                        "alarmsEnabled": d.alarms_enabled,
                        "rollbackEvents": d.rollback_events,
                        "longestMinutes": longest_minutes(d),
                    })
                });
                json!({"function": f.function, "alias": f.alias, "deployment": deployment})
            })
            .collect();
        json!({"functions": functions, "facts": STACK_FACTS})
    }

    /// The plan as a readable table per function.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.functions {
            let _ = writeln!(out, "{} (alias {})", f.function, f.alias);
            let Some(d) = &f.deployment else {
                let _ = writeln!(
                    out,
                    "  no DeploymentPreference: the alias moves to each new version at once\n"
                );
                continue;
            };
            let _ = writeln!(out, "  deployment config  {}", d.config);
            let mut step = 1;
            if let Some(hook) = &d.pre_traffic {
                let _ = writeln!(out, "  {step}. BeforeAllowTraffic hook {hook} (must report within {HOOK_TIMEOUT_MINUTES} minutes)");
                step += 1;
            }
            match d.schedule {
                Some(schedule) => {
                    let _ = writeln!(
                        out,
                        "  {step}. shift traffic to the new version over {}:",
                        minutes(schedule.shifting_minutes())
                    );
                    let _ = writeln!(out, "       minute  new version");
                    for (minute, percent) in schedule.steps() {
                        let _ = writeln!(out, "       {minute:>6}  {percent:>10}%");
                    }
                }
                None => {
                    let _ = writeln!(out, "  {step}. shift traffic as deployment config {} says (not known until deploy)", d.config);
                }
            }
            step += 1;
            if let Some(hook) = &d.post_traffic {
                let _ = writeln!(out, "  {step}. AfterAllowTraffic hook {hook} (must report within {HOOK_TIMEOUT_MINUTES} minutes)");
            }
            if let Some(total) = longest_minutes(d) {
                let _ = writeln!(
                    out,
                    "  at most            {}, hooks included",
                    minutes(total)
                );
            }
            if d.alarms.is_empty() {
                let _ = writeln!(
                    out,
                    "  alarms             none: only failed hooks and manual stops roll back"
                );
            } else {
                let state = if d.alarms_enabled {
                    "watched"
                } else {
                    "ignored: IgnoreAlarms"
                };
                let _ = writeln!(out, "  alarms ({state})  {}", d.alarms.join(", "));
            }
            if d.rollback_events.is_empty() {
                let _ = writeln!(out, "  rollback           off: a failed deployment leaves the alias where it stopped");
            } else {
                let _ = writeln!(out, "  rolls back on      {}", d.rollback_events.join(", "));
            }
            out.push('\n');
        }
        if self.functions.is_empty() {
            out.push_str("No function uses AutoPublishAlias; nothing deploys gradually.\n\n");
        }
        for fact in STACK_FACTS {
            let _ = writeln!(out, "note: {fact}");
        }
        out
    }
}

/// The longest a deployment can take: the shift plus a full hour for each hook.
fn longest_minutes(deployment: &DeploymentPlan) -> Option<u64> {
    let hooks = [&deployment.pre_traffic, &deployment.post_traffic]
        .iter()
        .filter(|h| h.is_some())
        .count() as u64;
    deployment
        .schedule
        .map(|s| s.shifting_minutes() + hooks * HOOK_TIMEOUT_MINUTES)
}
