//! "Did you mean" suggestions for near-miss names.

/// The candidate `name` most likely meant, if it is close enough to be a typo: the same
/// letters in another case, or a few edits away relative to its length.
pub(crate) fn closest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let lowered = name.to_ascii_lowercase();
    candidates
        .iter()
        .map(|candidate| {
            (
                strsim::levenshtein(&lowered, &candidate.to_ascii_lowercase()),
                *candidate,
            )
        })
        .filter(|(distance, candidate)| {
            *distance <= tolerance(candidate.len()) && *candidate != name
        })
        .enumerate()
        .min_by_key(|(position, (distance, _))| (*distance, *position))
        .map(|(_, pair)| pair)
        .map(|(_, candidate)| candidate)
}

fn tolerance(length: usize) -> usize {
    match length {
        0..=4 => 1,
        5..=9 => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_case_slips_and_small_typos_only() {
        let names = [
            "AutoPublishAlias",
            "DeploymentPreference",
            "VersionDescription",
        ];
        assert_eq!(
            closest("AutoPublishALias", &names),
            Some("AutoPublishAlias")
        );
        assert_eq!(
            closest("DeploymentPrefrence", &names),
            Some("DeploymentPreference")
        );
        assert_eq!(closest("Description", &names), None);
        assert_eq!(closest("AutoPublishAlias", &names), None);
    }
}
