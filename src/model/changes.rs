//! [`SystemChanges`]: which systems differ between two versions of a catalog.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::api::ListedConsumer;
use super::system::System;

/// Which systems differ between two versions of a catalog, told by identity: an incremental
/// load shares the `Arc` of every system whose file did not change, so a system that is not
/// the same `Arc` was parsed again, added or removed. Lets a reload redo only what concerns
/// those systems (validation, readiness).
pub struct SystemChanges<'a> {
    before: &'a [Arc<System>],
    /// Position in the previous list of each system, by address; `None` when the lists are
    /// aligned (same length, few positions differ: an edit in place), where a system's
    /// previous position is its own when it is the same `Arc` there.
    moved: Option<FxHashMap<usize, usize>>,
    /// Names of the systems that were added, removed or parsed again (or, aligned, that
    /// differ at their position).
    names: Vec<&'a str>,
    name_set: rustc_hash::FxHashSet<&'a str>,
}

impl<'a> SystemChanges<'a> {
    /// Differing positions up to which the aligned comparison is used.
    const ALIGNED: usize = 64;

    pub fn between(before: &'a [Arc<System>], now: &'a [Arc<System>]) -> SystemChanges<'a> {
        let mut names: Vec<&'a str> = Vec::new();
        let mut moved = None;
        let differ: Vec<usize> = if before.len() == now.len() {
            (0..now.len())
                .filter(|&i| !Arc::ptr_eq(&before[i], &now[i]))
                .take(Self::ALIGNED + 1)
                .collect()
        } else {
            Vec::new()
        };
        if before.len() == now.len() && differ.len() <= Self::ALIGNED {
            for &i in &differ {
                names.push(&before[i].name.value);
                names.push(&now[i].name.value);
            }
        } else {
            let key = |s: &Arc<System>| Arc::as_ptr(s) as usize;
            let mut at = FxHashMap::with_capacity_and_hasher(before.len(), Default::default());
            at.extend(before.iter().enumerate().map(|(i, s)| (key(s), i)));
            let mut now_set =
                rustc_hash::FxHashSet::with_capacity_and_hasher(now.len(), Default::default());
            now_set.extend(now.iter().map(key));
            names.extend(
                now.iter()
                    .filter(|s| !at.contains_key(&key(s)))
                    .map(|s| s.name.value.as_str()),
            );
            names.extend(
                before
                    .iter()
                    .filter(|s| !now_set.contains(&key(s)))
                    .map(|s| s.name.value.as_str()),
            );
            moved = Some(at);
        }
        names.sort_unstable();
        names.dedup();
        let name_set = if names.len() > 8 {
            names.iter().copied().collect()
        } else {
            Default::default()
        };
        SystemChanges {
            before,
            moved,
            names,
            name_set,
        }
    }

    /// Where `s`, the system at `i` in the new list, was in the previous list, when it is the
    /// same parse result.
    pub fn previous(&self, i: usize, s: &Arc<System>) -> Option<usize> {
        match &self.moved {
            None => Arc::ptr_eq(&self.before[i], s).then_some(i),
            Some(at) => at.get(&(Arc::as_ptr(s) as usize)).copied(),
        }
    }

    /// Whether a system named `name` was added, removed or parsed again: a reference to a
    /// name not touched resolves to the same system (or to none) in both lists.
    pub fn touches(&self, name: &str) -> bool {
        if self.names.len() > 8 {
            self.name_set.contains(name)
        } else {
            self.names.contains(&name)
        }
    }

    /// Whether `s` names (depends on, consumes from, lists as a consumer) a touched system.
    pub fn names_touched(&self, s: &System) -> bool {
        s.depends_on.iter().any(|d| self.touches(&d.value))
            || s.consumes.iter().any(|c| self.touches(&c.api.value.system))
            || s.provides
                .iter()
                .flat_map(|a| &a.consumers)
                .any(|lc| matches!(lc, ListedConsumer::System(n) if self.touches(&n.value)))
    }
}
