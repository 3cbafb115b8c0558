//! The `errorMessage` CloudFormation shows after "Transform ... failed with:".

use gradual_transform::{Segment, TransformError};

/// The longest `errorMessage` gradual returns, in characters.
///
/// CloudFormation shows the message in the stack events table and the change set status, where
/// a wall of text is unreadable; 4,000 characters is room for a few dozen located errors.
pub const MAX_ERROR_MESSAGE_CHARS: usize = 4_000;

/// Lists every error with its path, within `max_chars` characters.
///
/// When the whole list fits, errors keep the core's order (template order). When it does not,
/// the first error of each resource comes first, so the visible part still names every
/// resource that needs fixing, then the other errors; the message ends with "… and N more"
/// counting the errors left out.
pub fn format_errors(errors: &[TransformError], max_chars: usize) -> String {
    let count = errors.len();
    let header = format!(
        "{count} error{} in the template:",
        if count == 1 { "" } else { "s" }
    );
    let lines: Vec<String> = errors.iter().map(|error| format!("- {error}")).collect();

    let full_chars = header.chars().count()
        + lines
            .iter()
            .map(|line| 1 + line.chars().count())
            .sum::<usize>();
    if full_chars <= max_chars {
        let mut message = header;
        for line in &lines {
            message.push('\n');
            message.push_str(line);
        }
        return message;
    }

    // Room for the longest possible suffix, so whatever is left out can always be counted.
    let suffix_room = more_suffix(count).chars().count();
    let budget = max_chars.saturating_sub(suffix_room);
    let mut message = header;
    let mut used = message.chars().count();
    let mut shown = 0;
    for index in one_per_resource_first(errors) {
        let Some(line) = lines.get(index) else {
            continue;
        };
        let needed = 1 + line.chars().count();
        if used + needed <= budget {
            message.push('\n');
            message.push_str(line);
            used += needed;
            shown += 1;
        } else {
            if shown == 0 {
                // A single error longer than the cap: show its start rather than nothing.
                let room = budget.saturating_sub(used + 2);
                if room > 0 {
                    message.push('\n');
                    message.extend(line.chars().take(room));
                    message.push('…');
                    shown = 1;
                }
            }
            break;
        }
    }
    if shown < count {
        message.push_str(&more_suffix(count - shown));
    }
    if message.chars().count() > max_chars {
        // Only reachable with a cap smaller than the header; still never exceed it.
        message = message.chars().take(max_chars).collect();
    }
    message
}

fn more_suffix(left_out: usize) -> String {
    format!("\n… and {left_out} more")
}

/// Indices of `errors`: the first error of each resource (or top-level section), in order,
/// then every other error, in order.
fn one_per_resource_first(errors: &[TransformError]) -> Vec<usize> {
    let mut seen: Vec<&[Segment]> = Vec::new();
    let mut firsts = Vec::new();
    let mut rest = Vec::new();
    for (index, error) in errors.iter().enumerate() {
        let owner = owner(error.path.segments());
        if seen.contains(&owner) {
            rest.push(index);
        } else {
            seen.push(owner);
            firsts.push(index);
        }
    }
    firsts.extend(rest);
    firsts
}

/// `Resources.<id>` for a path inside a resource, else the top-level section.
fn owner(segments: &[Segment]) -> &[Segment] {
    let depth = match segments.first() {
        Some(Segment::Key(section)) if section == "Resources" => 2,
        _ => 1,
    };
    segments.get(..depth).unwrap_or(segments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gradual_transform::{ErrorKind, TemplatePath};

    fn error(resource: &str, property: &str) -> TransformError {
        TransformError::new(
            TemplatePath::resource(resource)
                .key("Properties")
                .key(property),
            ErrorKind::invalid(format!("{property} is wrong")),
        )
    }

    #[test]
    fn a_short_list_keeps_template_order_and_every_path() {
        let errors = vec![
            error("Api", "AutoPublishAlias"),
            error("Api", "DeploymentPreference"),
            error("Worker", "AutoPublishAlias"),
        ];
        let message = format_errors(&errors, MAX_ERROR_MESSAGE_CHARS);
        assert_eq!(
            message,
            "3 errors in the template:\n\
             - Resources.Api.Properties.AutoPublishAlias: AutoPublishAlias is wrong\n\
             - Resources.Api.Properties.DeploymentPreference: DeploymentPreference is wrong\n\
             - Resources.Worker.Properties.AutoPublishAlias: AutoPublishAlias is wrong"
        );
    }

    #[test]
    fn a_single_error_is_singular() {
        let message = format_errors(&[error("Api", "AutoPublishAlias")], MAX_ERROR_MESSAGE_CHARS);
        assert!(
            message.starts_with("1 error in the template:\n- Resources.Api"),
            "{message}"
        );
    }

    #[test]
    fn a_long_list_is_capped_and_counts_what_is_left_out() {
        let errors: Vec<TransformError> = (0..300)
            .map(|index| error(&format!("Function{index}"), "AutoPublishAlias"))
            .collect();
        let message = format_errors(&errors, MAX_ERROR_MESSAGE_CHARS);
        assert!(message.chars().count() <= MAX_ERROR_MESSAGE_CHARS);
        let shown = message
            .lines()
            .filter(|line| line.starts_with("- "))
            .count();
        assert!(shown > 10, "{message}");
        let expected_suffix = format!("\n… and {} more", 300 - shown);
        assert!(message.ends_with(&expected_suffix), "{message}");
        assert!(message.starts_with("300 errors in the template:\n- Resources.Function0."));
    }

    #[test]
    fn when_capped_every_resource_is_named_before_second_errors() {
        let mut errors = Vec::new();
        for resource in ["Api", "Worker", "Cron"] {
            for property in 0..20 {
                errors.push(error(resource, &format!("Property{property:02}")));
            }
        }
        let message = format_errors(&errors, 400);
        assert!(message.chars().count() <= 400, "{message}");
        let shown: Vec<&str> = message
            .lines()
            .filter(|line| line.starts_with("- "))
            .collect();
        assert_eq!(
            shown.get(..3),
            Some(
                &[
                    "- Resources.Api.Properties.Property00: Property00 is wrong",
                    "- Resources.Worker.Properties.Property00: Property00 is wrong",
                    "- Resources.Cron.Properties.Property00: Property00 is wrong",
                ][..]
            )
        );
        assert!(message.ends_with(&format!("\n… and {} more", 60 - shown.len())));
    }

    #[test]
    fn an_error_longer_than_the_cap_is_cut_not_dropped() {
        let long = TransformError::new(
            TemplatePath::resource("Api"),
            ErrorKind::invalid("x".repeat(10_000)),
        );
        let message = format_errors(&[long.clone(), long], 200);
        assert!(message.chars().count() <= 200, "{message}");
        assert!(message.contains("- Resources.Api: xxx"), "{message}");
        assert!(message.ends_with("…\n… and 1 more"), "{message}");
    }

    #[test]
    fn never_exceeds_a_tiny_cap() {
        let message = format_errors(&[error("Api", "AutoPublishAlias")], 5);
        assert_eq!(message.chars().count(), 5);
    }
}
