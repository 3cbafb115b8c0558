//! Phase 3, IDs: every managed function's version gets its logical ID, a hash of what the
//! version captures.
//!
//! A function whose captured properties name another function's version (an environment
//! variable holding `Other.Version`, say) must publish again when that version changes, so such
//! references are replaced by the other version's ID before hashing. Cycles keep the raw name.

use std::collections::{BTreeMap, BTreeSet};

use super::{ManagedFunction, Versioned};
use crate::digest::short_digest;
use crate::error::Diagnostics;
use crate::path::{Crumb, TemplatePath};
use crate::refs::{self, Member, Rewrite};

pub(super) fn assign(managed: Vec<ManagedFunction>) -> Vec<Versioned> {
    let index: BTreeMap<&str, usize> = managed
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id.as_str(), i))
        .collect();
    let mut hasher = Hasher {
        managed: &managed,
        index,
        ids: vec![None; managed.len()],
        in_progress: BTreeSet::new(),
    };
    for position in 0..managed.len() {
        hasher.in_progress.clear();
        hasher.version_id(position);
    }
    let ids = hasher.ids;
    managed
        .into_iter()
        .zip(ids)
        .map(|(function, id)| Versioned {
            function,
            version_id: id.unwrap_or_default(),
        })
        .collect()
}

struct Hasher<'m> {
    managed: &'m [ManagedFunction],
    index: BTreeMap<&'m str, usize>,
    ids: Vec<Option<String>>,
    in_progress: BTreeSet<usize>,
}

impl Hasher<'_> {
    fn version_id(&mut self, position: usize) -> Option<String> {
        if let Some(done) = &self.ids[position] {
            return Some(done.clone());
        }
        if !self.in_progress.insert(position) {
            return None;
        }
        let function = &self.managed[position];
        let mut named = Vec::new();
        refs::versions_named(&function.captured, &mut named);
        let dependencies: Vec<usize> = named
            .iter()
            .filter(|other| **other != function.id)
            .filter_map(|other| self.index.get(other.as_str()).copied())
            .collect();
        let mut known = BTreeMap::new();
        for other in dependencies {
            if let Some(id) = self.version_id(other) {
                known.insert(self.managed[other].id.clone(), id);
            }
        }
        let digest = if known.is_empty() {
            short_digest(&function.captured)
        } else {
            let mut captured = function.captured.clone();
            let rewrite_to = |other: &str, member: Member| match (member, known.get(other)) {
                (Member::Version, Some(id)) => Rewrite::To(id.clone()),
                _ => Rewrite::Keep,
            };
            // What another version's name becomes is all that matters here; the references'
            // own problems are reported when the template's are rewritten.
            let mut ignored = Diagnostics::default();
            let root = TemplatePath::root();
            refs::rewrite(&mut captured, Crumb::At(&root), &rewrite_to, &mut ignored);
            short_digest(&captured)
        };
        let id = format!("{}Version{digest}", function.id);
        self.ids[position] = Some(id.clone());
        self.in_progress.remove(&position);
        Some(id)
    }
}
