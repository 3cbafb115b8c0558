//! "Did you mean" suggestions for near-miss names.

/// The candidate `name` most likely meant, if it is close enough to be a typo: the same
/// letters in another case, or a few edits away relative to its length.
pub(crate) fn closest<'c>(name: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let lowered = name.to_ascii_lowercase();
    candidates
        .iter()
        .map(|candidate| {
            (
                edit_distance(&lowered, &candidate.to_ascii_lowercase()),
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

/// Levenshtein distance over chars.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
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
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
