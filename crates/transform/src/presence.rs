//! When a generated value exists, under the template's conditions.
//!
//! CloudFormation drops a resource whose `Condition` is false and every `Fn::If` branch that
//! is `AWS::NoValue`. A generated IAM statement whose resources are all conditional would then
//! be left with an empty `Resource` list, which IAM rejects, and a resource that refers to a
//! dropped one fails the whole stack. So every generated value that may vanish carries a
//! [`Presence`], and whatever holds it exists under exactly the OR of what it holds.

use serde_json::{json, Value};

use crate::intrinsic::{self, Intrinsic};

/// A condition expression over the template's named conditions.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Presence {
    Always,
    Never,
    /// A condition of the template's `Conditions` section.
    Named(String),
    Not(Box<Presence>),
    All(Vec<Presence>),
    Any(Vec<Presence>),
}

/// CloudFormation's limit on the conditions one `Fn::And` or `Fn::Or` takes.
const MAX_ARGUMENTS: usize = 10;

impl Presence {
    /// The presence of a resource with this `Condition` attribute.
    pub(crate) fn of_condition(condition: Option<&Value>) -> Self {
        match condition {
            Some(Value::String(name)) => Self::Named(name.clone()),
            _ => Self::Always,
        }
    }

    pub(crate) fn all(parts: impl IntoIterator<Item = Self>) -> Self {
        let mut flat = Vec::new();
        for part in parts {
            match part {
                Self::Always => {}
                Self::Never => return Self::Never,
                Self::All(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        Self::collapse(flat, Self::Always, Self::All)
    }

    pub(crate) fn any(parts: impl IntoIterator<Item = Self>) -> Self {
        let mut flat = Vec::new();
        for part in parts {
            match part {
                Self::Never => {}
                Self::Always => return Self::Always,
                Self::Any(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        Self::collapse(flat, Self::Never, Self::Any)
    }

    fn collapse(mut parts: Vec<Self>, empty: Self, join: fn(Vec<Self>) -> Self) -> Self {
        parts.sort();
        parts.dedup();
        // Absorption: in an AND a part that another part implies adds nothing, and in an OR a
        // part that implies another adds nothing.
        let conjunction = empty == Self::Always;
        // A part beside its own negation decides the whole: `C AND NOT C`, `C OR NOT C`.
        let complemented = parts.iter().any(|p| parts.contains(&p.clone().not()));
        if complemented {
            return if conjunction {
                Self::Never
            } else {
                Self::Always
            };
        }
        let redundant = |i: usize, parts: &[Self]| {
            parts.iter().enumerate().any(|(j, other)| {
                j != i
                    && if conjunction {
                        other.implies(&parts[i]) && !(parts[i].implies(other) && j > i)
                    } else {
                        parts[i].implies(other) && !(other.implies(&parts[i]) && j > i)
                    }
            })
        };
        let keep: Vec<bool> = (0..parts.len()).map(|i| !redundant(i, &parts)).collect();
        let mut index = 0;
        parts.retain(|_| {
            index += 1;
            keep[index - 1]
        });
        match parts.len() {
            0 => empty,
            1 => parts.pop().unwrap_or(empty),
            _ => join(parts),
        }
    }

    pub(crate) fn not(self) -> Self {
        match self {
            Self::Always => Self::Never,
            Self::Never => Self::Always,
            Self::Not(inner) => *inner,
            other => Self::Not(Box::new(other)),
        }
    }

    /// Whenever `self` holds, `other` does too; conservative (false when unsure).
    pub(crate) fn implies(&self, other: &Self) -> bool {
        if self == other || *other == Self::Always || *self == Self::Never {
            return true;
        }
        match (self, other) {
            (_, Self::All(parts)) => parts.iter().all(|p| self.implies(p)),
            (_, Self::Any(parts)) if parts.iter().any(|p| self.implies(p)) => true,
            (Self::All(parts), _) => parts.iter().any(|p| p.implies(other)),
            (Self::Any(parts), _) => parts.iter().all(|p| p.implies(other)),
            _ => false,
        }
    }

    /// Under which conditions `value` is not `AWS::NoValue` once `Fn::If`s are decided.
    pub(crate) fn of_value(value: &Value) -> Self {
        let Some(object) = value.as_object() else {
            return Self::Always;
        };
        match intrinsic::classify(object) {
            Some(Intrinsic::Ref("AWS::NoValue")) => Self::Never,
            Some(Intrinsic::Function("Fn::If", Value::Array(args))) if args.len() == 3 => {
                let Some(name) = args[0].as_str() else {
                    return Self::Always;
                };
                let condition = Self::Named(name.to_owned());
                Self::any([
                    Self::all([condition.clone(), Self::of_value(&args[1])]),
                    Self::all([condition.not(), Self::of_value(&args[2])]),
                ])
            }
            _ => Self::Always,
        }
    }

    /// `value` when `self` holds, else nothing.
    pub(crate) fn wrap(&self, value: Value, conditions: &mut Conditions, hint: &str) -> Value {
        match self.name(conditions, hint) {
            Some(name) => json!({"Fn::If": [name, value, {"Ref": "AWS::NoValue"}]}),
            None => value,
        }
    }

    /// A condition name that holds exactly when `self` does, generating one named after
    /// `hint` when no single template condition does; `None` for [`Presence::Always`].
    ///
    /// [`Presence::Never`] is named too (as an always-false condition) so that callers don't
    /// need a case for it; gradual generates nothing that is never present.
    pub(crate) fn name(&self, conditions: &mut Conditions, hint: &str) -> Option<String> {
        if let Some((_, name)) = conditions.known.iter().find(|(p, _)| p == self) {
            return Some(name.clone());
        }
        match self {
            Self::Always => None,
            Self::Named(name) => Some(name.clone()),
            compound => {
                let expression = compound.expression(conditions, hint);
                Some(conditions.add(hint, expression))
            }
        }
    }

    /// The condition function for `self`, for use inside `Fn::And`/`Fn::Or`/`Fn::Not`.
    fn expression(&self, conditions: &mut Conditions, hint: &str) -> Value {
        if let Some((_, name)) = conditions.known.iter().find(|(p, _)| p == self) {
            return json!({ "Condition": name });
        }
        match self {
            Self::Always => json!({"Fn::Equals": ["gradual", "gradual"]}),
            Self::Never => json!({"Fn::Equals": ["gradual", "never"]}),
            Self::Named(name) => json!({ "Condition": name }),
            Self::Not(inner) => json!({"Fn::Not": [inner.expression(conditions, hint)]}),
            Self::All(parts) => joined("Fn::And", parts, conditions, hint),
            Self::Any(parts) => joined("Fn::Or", parts, conditions, hint),
        }
    }
}

/// `Fn::And`/`Fn::Or` over `parts`, split into helper conditions past CloudFormation's ten.
fn joined(function: &str, parts: &[Presence], conditions: &mut Conditions, hint: &str) -> Value {
    let mut level: Vec<Value> = parts
        .iter()
        .map(|p| p.expression(conditions, hint))
        .collect();
    while level.len() > MAX_ARGUMENTS {
        let chunk: Vec<Value> = level.drain(..MAX_ARGUMENTS).collect();
        let helper = conditions.add(hint, json!({ function: chunk }));
        level.push(json!({ "Condition": helper }));
    }
    json!({ function: level })
}

/// Conditions generated for [`Presence`]s, in the order they were first needed. The same
/// expression asked for twice gets the same name.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    pub generated: Vec<(String, Value)>,
    /// Conditions defined elsewhere that hold exactly when a presence does.
    known: Vec<(Presence, String)>,
}

impl Conditions {
    /// `name` is defined elsewhere as `presence`: use it rather than generate another.
    pub(crate) fn know(&mut self, presence: Presence, name: &str) {
        self.known.push((presence, name.to_owned()));
    }

    fn add(&mut self, hint: &str, expression: Value) -> String {
        if let Some((name, _)) = self.generated.iter().find(|(_, e)| *e == expression) {
            return name.clone();
        }
        let taken = |name: &str| self.generated.iter().any(|(n, _)| n == name);
        let mut name = format!("{hint}Condition");
        let mut n = 1;
        while taken(&name) {
            n += 1;
            name = format!("{hint}Condition{n}");
        }
        self.generated.push((name.clone(), expression));
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(name: &str) -> Presence {
        Presence::Named(name.to_owned())
    }

    #[test]
    fn simplifies_as_boolean_algebra() {
        assert_eq!(
            Presence::any([named("A"), Presence::Always]),
            Presence::Always
        );
        assert_eq!(Presence::all([named("A"), Presence::Always]), named("A"));
        assert_eq!(Presence::any([named("A"), named("A")]), named("A"));
        assert_eq!(
            Presence::all([named("A"), Presence::Never]),
            Presence::Never
        );
        assert_eq!(named("A").not().not(), named("A"));
        let either = Presence::any([named("A"), named("B")]);
        assert_eq!(Presence::all([named("A"), either.clone()]), named("A"));
        assert_eq!(
            Presence::any([named("A"), Presence::all([named("A"), named("B")])]),
            named("A")
        );
    }

    #[test]
    fn values_under_if_are_present_only_on_their_branch() {
        let value = json!({"Fn::If": ["C", "arn", {"Ref": "AWS::NoValue"}]});
        assert_eq!(Presence::of_value(&value), named("C"));
        let value = json!({"Fn::If": ["C", {"Ref": "AWS::NoValue"}, "arn"]});
        assert_eq!(Presence::of_value(&value), named("C").not());
        assert_eq!(
            Presence::of_value(&json!({"Fn::If": ["C", "a", "b"]})),
            Presence::Always
        );
    }

    #[test]
    fn implication_is_conservative() {
        let a_and_b = Presence::all([named("A"), named("B")]);
        assert!(a_and_b.implies(&named("A")));
        assert!(!named("A").implies(&a_and_b));
        assert!(named("A").implies(&Presence::any([named("A"), named("B")])));
        assert!(!named("A").implies(&named("B")));
    }

    #[test]
    fn compound_presences_get_one_generated_condition_each() {
        let mut conditions = Conditions::default();
        let either = Presence::any([named("A"), named("B")]);
        assert_eq!(
            either.name(&mut conditions, "Hook").as_deref(),
            Some("HookCondition")
        );
        assert_eq!(
            either.name(&mut conditions, "Hook").as_deref(),
            Some("HookCondition")
        );
        assert_eq!(
            named("A").name(&mut conditions, "Hook").as_deref(),
            Some("A")
        );
        assert_eq!(conditions.generated.len(), 1);
        assert_eq!(
            conditions.generated[0].1,
            json!({"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]})
        );
    }

    #[test]
    fn more_than_ten_arguments_are_chunked() {
        let mut conditions = Conditions::default();
        let many = Presence::any((0..23).map(|i| named(&format!("C{i:02}"))));
        let name = many.name(&mut conditions, "X");
        assert_eq!(name.as_deref(), Some("XCondition3"));
        for (_, expression) in &conditions.generated {
            let count = expression["Fn::Or"].as_array().map_or(0, Vec::len);
            assert!((2..=MAX_ARGUMENTS).contains(&count), "{expression}");
        }
    }
}
