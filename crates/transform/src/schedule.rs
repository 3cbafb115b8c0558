//! Deployment types: CodeDeploy's predefined Lambda configurations, and any other canary or
//! linear schedule, which gradual generates as an `AWS::CodeDeploy::DeploymentConfig`.

use crate::suggest::closest;

/// CodeDeploy's predefined Lambda configurations, as `CodeDeployDefault.Lambda<name>`.
pub(crate) const PREDEFINED: [&str; 9] = [
    "Canary10Percent5Minutes",
    "Canary10Percent10Minutes",
    "Canary10Percent15Minutes",
    "Canary10Percent30Minutes",
    "Linear10PercentEvery1Minute",
    "Linear10PercentEvery2Minutes",
    "Linear10PercentEvery3Minutes",
    "Linear10PercentEvery10Minutes",
    "AllAtOnce",
];

/// CodeDeploy's limit on the minutes between the first and the last traffic shift.
pub(crate) const MAX_SHIFT_MINUTES: u64 = 2880;

/// A traffic schedule, read from a deployment type name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Schedule {
    AllAtOnce,
    /// `percent` first, the rest `minutes` later.
    Canary {
        percent: u64,
        minutes: u64,
    },
    /// `percent` more every `minutes` until all traffic has moved.
    Linear {
        percent: u64,
        minutes: u64,
    },
}

impl Schedule {
    /// The canonical name: `Canary5Percent2Minutes`, `Linear20PercentEvery1Minute`, `AllAtOnce`.
    pub(crate) fn name(self) -> String {
        let unit = |minutes: u64| if minutes == 1 { "Minute" } else { "Minutes" };
        match self {
            Self::AllAtOnce => "AllAtOnce".to_owned(),
            Self::Canary { percent, minutes } => {
                format!("Canary{percent}Percent{minutes}{}", unit(minutes))
            }
            Self::Linear { percent, minutes } => {
                format!("Linear{percent}PercentEvery{minutes}{}", unit(minutes))
            }
        }
    }

    /// Minutes from the first shift to the last.
    pub(crate) fn shifting_minutes(self) -> u64 {
        match self {
            Self::AllAtOnce => 0,
            Self::Canary { minutes, .. } => minutes,
            Self::Linear { percent, minutes } => {
                let steps = 100u64.div_ceil(percent.max(1));
                steps.saturating_sub(1).saturating_mul(minutes)
            }
        }
    }

    /// `(minute, percent on the new version)` for every shift.
    pub(crate) fn steps(self) -> Vec<(u64, u64)> {
        match self {
            Self::AllAtOnce => vec![(0, 100)],
            Self::Canary { percent, minutes } => vec![(0, percent), (minutes, 100)],
            Self::Linear { percent, minutes } => {
                let percent = percent.max(1);
                (0..100u64.div_ceil(percent))
                    .map(|step| (step * minutes, ((step + 1) * percent).min(100)))
                    .collect()
            }
        }
    }
}

/// What a `Type` string means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Meaning {
    /// One of CodeDeploy's nine predefined configurations.
    Predefined(&'static str, Schedule),
    /// A schedule gradual generates a config for.
    Generated(Schedule),
    /// The name of a config defined elsewhere.
    Custom,
    /// Almost a predefined name or a schedule: almost certainly a typo.
    NearMiss { suggestion: String },
    /// A schedule CodeDeploy can't run.
    Invalid {
        message: String,
        suggestion: Option<String>,
    },
}

pub(crate) fn interpret(name: &str) -> Meaning {
    // Every predefined name is also a schedule in the grammar.
    if let Some(schedule) = parse(name) {
        return validate(schedule);
    }
    match near_miss(name) {
        Some(suggestion) => Meaning::NearMiss { suggestion },
        None => Meaning::Custom,
    }
}

fn validate(schedule: Schedule) -> Meaning {
    let (percent, minutes) = match schedule {
        Schedule::AllAtOnce => return Meaning::Predefined("AllAtOnce", Schedule::AllAtOnce),
        Schedule::Canary { percent, minutes } | Schedule::Linear { percent, minutes } => {
            (percent, minutes)
        }
    };
    let with = |percent, minutes| match schedule {
        Schedule::Canary { .. } => Schedule::Canary { percent, minutes },
        _ => Schedule::Linear { percent, minutes },
    };
    if !(1..=99).contains(&percent) {
        return Meaning::Invalid {
            message: format!(
                "`{}` shifts {percent}% at a time; CodeDeploy takes 1 to 99",
                schedule.name()
            ),
            suggestion: Some(with(percent.clamp(1, 99), minutes).name()),
        };
    }
    if minutes < 1 {
        return Meaning::Invalid {
            message: format!(
                "`{}` waits 0 minutes between shifts; the interval must be at least 1",
                schedule.name()
            ),
            suggestion: Some(with(percent, 1).name()),
        };
    }
    let total = schedule.shifting_minutes();
    if total > MAX_SHIFT_MINUTES {
        let steps = total / minutes.max(1);
        let fitting = (MAX_SHIFT_MINUTES / steps.max(1)).max(1);
        return Meaning::Invalid {
            message: format!(
                "`{}` shifts traffic over {total} minutes; CodeDeploy allows at most {MAX_SHIFT_MINUTES} between the first and last shift",
                schedule.name()
            ),
            suggestion: Some(with(percent, fitting).name()),
        };
    }
    if let Some(predefined) = PREDEFINED.iter().find(|p| **p == schedule.name()) {
        return Meaning::Predefined(predefined, schedule);
    }
    Meaning::Generated(schedule)
}

/// Reads an exactly spelled schedule name. Minutes are singular for 1 and plural otherwise, as
/// in CodeDeploy's own names.
fn parse(name: &str) -> Option<Schedule> {
    if name == "AllAtOnce" {
        return Some(Schedule::AllAtOnce);
    }
    let (is_canary, rest) = if let Some(rest) = name.strip_prefix("Canary") {
        (true, rest)
    } else {
        (false, name.strip_prefix("Linear")?)
    };
    let (percent, rest) = leading_number(rest)?;
    let rest = rest.strip_prefix("Percent")?;
    let rest = if is_canary {
        rest
    } else {
        rest.strip_prefix("Every")?
    };
    let (minutes, unit) = leading_number(rest)?;
    let expected_unit = if minutes == 1 { "Minute" } else { "Minutes" };
    if unit != expected_unit {
        return None;
    }
    Some(if is_canary {
        Schedule::Canary { percent, minutes }
    } else {
        Schedule::Linear { percent, minutes }
    })
}

fn leading_number(text: &str) -> Option<(u64, &str)> {
    let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 6 {
        return None;
    }
    Some((text[..digits].parse().ok()?, &text[digits..]))
}

/// The name the user most likely meant, built from the numbers they wrote.
fn near_miss(name: &str) -> Option<String> {
    let numbers: Vec<u64> = name
        .split(|c: char| !c.is_ascii_digit())
        .filter(|run| !run.is_empty() && run.len() <= 6)
        .filter_map(|run| run.parse().ok())
        .collect();
    // Names built from the user's own numbers come first, so they win ties with predefined ones.
    let mut candidates = Vec::new();
    if let [percent, minutes] = numbers.as_slice() {
        candidates.push(
            Schedule::Canary {
                percent: *percent,
                minutes: *minutes,
            }
            .name(),
        );
        candidates.push(
            Schedule::Linear {
                percent: *percent,
                minutes: *minutes,
            }
            .name(),
        );
    }
    candidates.extend(PREDEFINED.iter().map(|p| (*p).to_owned()));
    let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
    closest(name, &refs).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_their_meaning() {
        assert_eq!(
            interpret("Canary10Percent5Minutes"),
            Meaning::Predefined(
                "Canary10Percent5Minutes",
                Schedule::Canary {
                    percent: 10,
                    minutes: 5
                }
            )
        );
        assert_eq!(
            interpret("Canary5Percent2Minutes"),
            Meaning::Generated(Schedule::Canary {
                percent: 5,
                minutes: 2
            })
        );
        assert_eq!(
            interpret("Linear20PercentEvery1Minute"),
            Meaning::Generated(Schedule::Linear {
                percent: 20,
                minutes: 1
            })
        );
        assert_eq!(interpret("MyOwnConfig"), Meaning::Custom);
        assert_eq!(
            interpret("CodeDeployDefault.LambdaAllAtOnce"),
            Meaning::Custom
        );
    }

    #[test]
    fn near_misses_suggest_the_intended_name() {
        let suggestion = |name| match interpret(name) {
            Meaning::NearMiss { suggestion } => suggestion,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(
            suggestion("canary10percent5minutes"),
            "Canary10Percent5Minutes"
        );
        assert_eq!(
            suggestion("Canary10Percent7Minute"),
            "Canary10Percent7Minutes"
        );
        assert_eq!(
            suggestion("Linear10PercentEvery1Minutes"),
            "Linear10PercentEvery1Minute"
        );
        assert_eq!(suggestion("AllAtOnse"), "AllAtOnce");
        assert_eq!(
            suggestion("Linear10PercentEvery2Minute"),
            "Linear10PercentEvery2Minutes"
        );
    }

    #[test]
    fn schedules_outside_codedeploy_limits_are_invalid() {
        assert!(matches!(
            interpret("Canary100Percent5Minutes"),
            Meaning::Invalid { .. }
        ));
        assert!(matches!(
            interpret("Canary0Percent5Minutes"),
            Meaning::Invalid { .. }
        ));
        assert!(matches!(
            interpret("Linear10PercentEvery0Minutes"),
            Meaning::Invalid { .. }
        ));
        assert!(matches!(
            interpret("Canary10Percent2881Minutes"),
            Meaning::Invalid { .. }
        ));
        // 9 intervals of 320 minutes = 2880: exactly at the limit.
        assert!(matches!(
            interpret("Linear10PercentEvery320Minutes"),
            Meaning::Generated(_)
        ));
        assert!(matches!(
            interpret("Linear10PercentEvery321Minutes"),
            Meaning::Invalid { .. }
        ));
    }

    #[test]
    fn steps_cover_the_whole_shift() {
        let linear = Schedule::Linear {
            percent: 30,
            minutes: 2,
        };
        assert_eq!(linear.steps(), vec![(0, 30), (2, 60), (4, 90), (6, 100)]);
        assert_eq!(linear.shifting_minutes(), 6);
        assert_eq!(
            Schedule::Canary {
                percent: 5,
                minutes: 2
            }
            .steps(),
            vec![(0, 5), (2, 100)]
        );
    }
}
