//! `Alarms`: the user's CloudWatch alarms a deployment group watches.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::error::{Diagnostics, ErrorKind};
use crate::intrinsic::{self, as_array_of, describe, is_intrinsic, is_no_value, Intrinsic};
use crate::path::TemplatePath;

use super::Reader;

/// The alarms a deployment group watches.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Alarms {
    List(Vec<Value>),
    /// `Fn::If` on a condition only CloudFormation can decide.
    Conditional {
        condition: Value,
        when_true: Vec<Value>,
        when_false: Vec<Value>,
    },
}

impl Alarms {
    /// The most alarms any outcome can have.
    pub(crate) fn max_len(&self) -> usize {
        match self {
            Self::List(list) => list.len(),
            Self::Conditional {
                when_true,
                when_false,
                ..
            } => when_true.len().max(when_false.len()),
        }
    }
}

impl Reader<'_> {
    pub(super) fn alarms(
        &self,
        raw: &Value,
        path: &TemplatePath,
        diagnostics: &mut Diagnostics,
    ) -> Alarms {
        let value = if is_intrinsic(raw) {
            self.scope
                .resolve_keeping_conditions(raw, path, diagnostics)
        } else {
            raw.clone()
        };
        let branches = value
            .as_object()
            .and_then(intrinsic::classify)
            .and_then(|intrinsic| match intrinsic {
                Intrinsic::Function("Fn::If", args) => Some(as_array_of::<3>(args)),
                _ => None,
            });
        match (&value, branches) {
            (Value::Null, _) => Alarms::List(Vec::new()),
            _ if is_no_value(&value) => Alarms::List(Vec::new()),
            (Value::Array(items), _) => Alarms::List(alarm_list(items, path, diagnostics)),
            (_, Some(Some([condition, when_true, when_false]))) => {
                let if_path = path.key("Fn::If");
                Alarms::Conditional {
                    condition: condition.clone(),
                    when_true: branch(when_true, if_path.index(1), diagnostics),
                    when_false: branch(when_false, if_path.index(2), diagnostics),
                }
            }
            (_, Some(None)) => {
                diagnostics.error(path.key("Fn::If"), ErrorKind::MalformedIf);
                Alarms::List(Vec::new())
            }
            (_, None) => {
                let resolved = if raw == &value {
                    String::new()
                } else {
                    format!(" that resolves to {}", describe(&value))
                };
                let message = format!(
                    "expected a list of alarms or an Fn::If between two lists, found {}{resolved}",
                    describe(raw)
                );
                diagnostics.error(path.clone(), ErrorKind::invalid(message));
                Alarms::List(Vec::new())
            }
        }
    }
}

/// One branch of an `Fn::If` between alarm lists.
fn branch(branch: &Value, at: TemplatePath, diagnostics: &mut Diagnostics) -> Vec<Value> {
    match branch {
        Value::Array(items) => alarm_list(items, &at, diagnostics),
        _ if is_no_value(branch) => Vec::new(),
        other => {
            diagnostics.wrong_type(at, "a list of alarms", other);
            Vec::new()
        }
    }
}

fn alarm_list(items: &[Value], path: &TemplatePath, diagnostics: &mut Diagnostics) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    let mut alarms = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            // CloudFormation drops AWS::NoValue from lists; so do we, before counting.
            _ if is_no_value(item) => {}
            Value::String(name) if !seen.insert(name.clone()) => diagnostics.error(
                path.index(i),
                ErrorKind::ListedTwice {
                    what: "alarm",
                    name: name.clone(),
                },
            ),
            Value::String(_) => alarms.push(item.clone()),
            _ if is_intrinsic(item) => alarms.push(item.clone()),
            _ => diagnostics.wrong_type(path.index(i), "an alarm name", item),
        }
    }
    alarms
}
