//! Cross-reference checks over a loaded catalog: every problem at once, each located.
//!
//! The loader already reported syntax, types, unknown fields and missing files. This pass checks
//! what needs the whole catalog: duplicate names, references to unknown teams, systems, APIs,
//! versions and endpoints, deprecated consumption, one-sided declarations and dependency cycles.
//! It reads no files and never prints.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use crate::diag::Diagnostic;
use crate::graph::CycleEdge;
use crate::model::*;

mod catalog_wide;
mod names;
mod systems;
mod validator;

use validator::Validator;

/// Returns every cross-reference problem in `c`.
///
/// The checks of each system read the rest of the catalog but change nothing, so systems are
/// checked in parallel (chunks, concatenated in catalog order), beside the cycle search and the
/// catalog-wide checks: the output is the same, in the same order, as checking one by one.
pub fn validate(c: &Catalog) -> Vec<Diagnostic> {
    check(c, None, false).0
}

/// What a validation keeps so that the next one, after an edit, checks again only the systems
/// the edit can have changed ([`validate_kept`]).
#[derive(Default)]
pub struct Kept {
    /// The validated catalog's systems, held so that no other system takes their addresses:
    /// a system of an unchanged file is the same `Arc` in the next catalog.
    systems: Vec<Arc<System>>,
    /// Each system's own diagnostics, and whether its checks read the whole catalog (a typo
    /// hint over every name): those are checked every time.
    per_system: Vec<(Vec<Diagnostic>, bool)>,
    teams: Vec<String>,
    domains: Vec<String>,
    /// The duplicate-name checks over systems, and over their aliases.
    names: Vec<Diagnostic>,
    aliases: Vec<Diagnostic>,
    cycles: Vec<Diagnostic>,
    /// Each system's edges for the cycle search ([`crate::graph::cycle_edges`]), resolved
    /// through `index`: kept for systems whose edges stay while the name index does.
    cycle_edges: Vec<Box<[CycleEdge]>>,
    index: Arc<HashMap<String, usize>>,
}

/// [`validate`] after a previous validation (`kept`, updated to this one): the diagnostics of a
/// system are reused when it is the same `Arc` as before, no system it names (depends on,
/// consumes from, lists as a consumer) was added, removed or changed, its checks did not read
/// the whole catalog, and the team and domain names are as they were; the cycle search and
/// the duplicate-name checks over systems are reused when no system moved and none changed
/// its edges, or its name and aliases. The checks of teams and domains run every time.
/// Returns the diagnostics — the same, in the same order, as [`validate`] — and how many
/// systems were checked.
pub fn validate_kept(c: &Catalog, kept: &mut Option<Kept>) -> (Vec<Diagnostic>, usize) {
    let (out, checked, now) = check(c, kept.take(), true);
    *kept = now;
    (out, checked)
}

/// The validation of `c` after `prev`; what the next one can reuse when `keep`.
fn check(c: &Catalog, prev: Option<Kept>, keep: bool) -> (Vec<Diagnostic>, usize, Option<Kept>) {
    use rayon::prelude::*;
    let teams: Vec<String> = c.teams.iter().map(|t| t.name.value.clone()).collect();
    let domains: Vec<String> = c.domains.iter().map(|d| d.name.value.clone()).collect();
    let prev = prev.filter(|k| k.teams == teams && k.domains == domains);
    // Per system: the index of its reusable diagnostics in `prev`.
    let reuse: Vec<Option<usize>> = match &prev {
        None => vec![None; c.systems.len()],
        Some(k) => reusable(c, k),
    };
    let checked = reuse.iter().filter(|r| r.is_none()).count();
    // What the name checks and the cycle search read is as it was when no system moved and
    // the changed ones kept their names and aliases (their edges), locations included.
    let same_place = |same: fn(&System, &System) -> bool| {
        prev.as_ref().is_some_and(|k| {
            k.systems.len() == c.systems.len()
                && k.systems
                    .iter()
                    .zip(&c.systems)
                    .all(|(a, b)| Arc::ptr_eq(a, b) || same(a, b))
        })
    };
    let (names_kept, cycles_kept) = (same_place(same_names), same_place(same_edges));
    // The cycle-search edges of the previous validation, while they resolve the same way.
    let mut prev = prev;
    let prev_edges: Option<Vec<Box<[CycleEdge]>>> = prev
        .as_mut()
        .filter(|k| {
            k.systems.len() == c.systems.len()
                && k.cycle_edges.len() == c.systems.len()
                && Arc::ptr_eq(&k.index, &c.system_index)
        })
        .map(|k| std::mem::take(&mut k.cycle_edges));
    let prev = prev;
    let names_part = |part: Duplicates, kept: fn(&Kept) -> &Vec<Diagnostic>| match &prev {
        Some(k) if names_kept => kept(k).clone(),
        _ => run(c, |v| v.duplicates(part)),
    };
    let ((names, teams_and_domains, aliases), (fresh, (rest, (cycles, cycle_edges)))) = rayon::join(
        || {
            (
                names_part(Duplicates::Systems, |k| &k.names),
                run(c, |v| v.duplicates(Duplicates::TeamsAndDomains)),
                names_part(Duplicates::Aliases, |k| &k.aliases),
            )
        },
        || {
            rayon::join(
                || {
                    let todo: Vec<usize> = (0..c.systems.len())
                        .filter(|&i| reuse[i].is_none())
                        .collect();
                    todo.par_chunks(256)
                        .flat_map_iter(|chunk| {
                            chunk.iter().map(|&i| {
                                let mut v = Validator::new(c);
                                v.system(&c.systems[i]);
                                (v.out, v.global)
                            })
                        })
                        .collect::<Vec<_>>()
                },
                || {
                    rayon::join(
                        || {
                            run(c, |v| {
                                for t in &c.teams {
                                    v.team(t);
                                }
                                for d in &c.domains {
                                    if let Some(o) = &d.owner {
                                        v.team_ref(o, "domain owner");
                                    }
                                }
                                if let Some(sc) =
                                    c.settings.as_ref().and_then(|s| s.scorecard.as_ref())
                                {
                                    v.scorecard(sc);
                                }
                            })
                        },
                        || {
                            let edges: Vec<Box<[CycleEdge]>> = match (&prev, prev_edges) {
                                (Some(k), Some(kept)) => kept
                                    .into_par_iter()
                                    .enumerate()
                                    .map(|(i, e)| {
                                        let (a, b) = (&k.systems[i], &c.systems[i]);
                                        if Arc::ptr_eq(a, b) || same_edges(a, b) {
                                            e
                                        } else {
                                            crate::graph::cycle_edges(c, i)
                                        }
                                    })
                                    .collect(),
                                _ => (0..c.systems.len())
                                    .into_par_iter()
                                    .map(|i| crate::graph::cycle_edges(c, i))
                                    .collect(),
                            };
                            let cycles = match &prev {
                                Some(k) if cycles_kept => k.cycles.clone(),
                                _ => run(c, |v| {
                                    v.cycles(crate::graph::cycles_among(c.systems.len(), &edges))
                                }),
                            };
                            (cycles, edges)
                        },
                    )
                },
            )
        },
    );
    let mut prev = prev;
    let mut fresh = fresh.into_iter();
    let per_system: Vec<(Vec<Diagnostic>, bool)> = reuse
        .iter()
        .map(|r| match (r, prev.as_mut()) {
            (Some(j), Some(k)) => std::mem::take(&mut k.per_system[*j]),
            _ => fresh.next().expect("one result per checked system"),
        })
        .collect();
    // Copied when kept for the next validation, else moved.
    let take = |v: &mut Vec<Diagnostic>| {
        if keep {
            v.clone()
        } else {
            std::mem::take(v)
        }
    };
    let (mut names, mut aliases, mut cycles, mut per_system) = (names, aliases, cycles, per_system);
    let mut out = take(&mut names);
    out.extend(teams_and_domains);
    out.extend(take(&mut aliases));
    for (d, _) in &mut per_system {
        out.extend(take(d));
    }
    out.extend(rest);
    out.extend(take(&mut cycles));
    let kept = keep.then(|| Kept {
        systems: c.systems.clone(),
        per_system,
        teams,
        domains,
        names,
        aliases,
        cycles,
        cycle_edges,
        index: c.system_index.clone(),
    });
    (out, checked, kept)
}

/// For each system of `c`, where its diagnostics are in `k` when they can be reused.
fn reusable(c: &Catalog, k: &Kept) -> Vec<Option<usize>> {
    use rayon::prelude::*;
    let changes = SystemChanges::between(&k.systems, &c.systems);
    c.systems
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let j = changes.previous(i, s)?;
            (!changes.names_touched(s) && !k.per_system[j].1).then_some(j)
        })
        .collect()
}

/// Whether two versions of a system have the same name and aliases, locations included: what
/// the duplicate-name checks read of it.
fn same_names(a: &System, b: &System) -> bool {
    a.name == b.name && a.aliases == b.aliases
}

/// Whether two versions of a system have the same name and the same edges, locations
/// included: what the cycle search reads of it.
fn same_edges(a: &System, b: &System) -> bool {
    let consumers = |s: &System| -> Vec<Spanned<String>> {
        s.provides
            .iter()
            .flat_map(|a| &a.consumers)
            .filter_map(|lc| match lc {
                ListedConsumer::System(n) => Some(n.clone()),
                _ => None,
            })
            .collect()
    };
    a.name.value == b.name.value
        && a.depends_on == b.depends_on
        && a.consumes.len() == b.consumes.len()
        && a.consumes
            .iter()
            .zip(&b.consumes)
            .all(|(x, y)| x.api.value.system == y.api.value.system && x.api.loc == y.api.loc)
        && consumers(a) == consumers(b)
}

/// The diagnostics of `f` run by a fresh validator.
fn run<'a>(c: &'a Catalog, f: impl FnOnce(&mut Validator<'a>)) -> Vec<Diagnostic> {
    let mut v = Validator::new(c);
    f(&mut v);
    v.out
}

/// The parts of the duplicate-name checks, in the order they report.
#[derive(Clone, Copy)]
enum Duplicates {
    /// Two systems with one name: reads only the systems' names.
    Systems,
    TeamsAndDomains,
    /// Aliases that name another system or two systems: reads only names and aliases.
    Aliases,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small xorshift: the same edits on every run.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// `base` with other systems; sharing the name indexes of `previous` (as a reload does)
    /// when no system moved or changed its name.
    fn with_systems(
        base: &Catalog,
        systems: Vec<Arc<System>>,
        previous: Option<&Catalog>,
    ) -> Catalog {
        let mut c = Catalog::new_after(
            base.root.clone(),
            base.files.clone(),
            systems,
            base.teams.clone(),
            base.domains.clone(),
            previous.map(Catalog::name_indexes).as_ref(),
        );
        c.file_table = base.file_table.clone();
        c.settings = base.settings.clone();
        c
    }

    /// Random edits to systems — renames that break their consumers, retired and deprecated
    /// APIs, acknowledged breaks whose typo hints read every API, new edges and cycles, listed
    /// consumers, moved locations, removed and re-added systems, unchanged copies — each
    /// validated after the previous validation and from scratch: the same diagnostics, in the
    /// same order, and only a few systems checked again for an edit of one.
    #[test]
    fn validating_after_an_edit_equals_validating_from_scratch() {
        let tmp = tempfile::tempdir().unwrap();
        crate::gen::generate(tmp.path(), 120, 3).unwrap();
        let base = crate::load(tmp.path(), &Default::default()).unwrap();
        assert_eq!(base.errors(), 0);
        let mut systems = base.systems.clone();
        let mut removed: Vec<Arc<System>> = Vec::new();
        let mut kept = None;
        let first = validate_kept(&base, &mut kept);
        assert_eq!(
            first.1,
            systems.len(),
            "the first validation checks everything"
        );
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut warnings_seen, mut errors_seen) = (0, 0);
        let mut previous: Option<Catalog> = None;
        for step in 0..300 {
            let i = rng.below(systems.len());
            let other = systems[rng.below(systems.len())].name.value.clone();
            let mut s = (*systems[i]).clone();
            let kind = rng.below(11);
            match kind {
                0 => s.name.value.push_str("-renamed"),
                1 => {
                    if let Some(a) = s.provides.first_mut() {
                        a.lifecycle = if rng.below(2) == 0 {
                            Lifecycle::Retired
                        } else {
                            Lifecycle::Deprecated
                        };
                    }
                }
                2 => s.depends_on.push(Spanned::new(other, s.loc)),
                3 => {
                    if let Some(c) = s.consumes.first_mut() {
                        c.api.value.version = Some(90 + rng.below(3) as u32);
                        c.acknowledged = crate::date::Date::parse("2030-01-01")
                            .map(|d| Spanned::new(d, c.api.loc));
                    }
                }
                4 => {
                    s.provides.pop();
                }
                5 => {
                    if let Some(a) = s.provides.first_mut() {
                        a.consumers
                            .push(ListedConsumer::System(Spanned::new(other, a.loc)));
                    }
                }
                6 => {
                    for d in &mut s.depends_on {
                        d.loc.line += 1;
                    }
                    for c in &mut s.consumes {
                        c.api.loc.line += 1;
                    }
                }
                9 => s.lifecycle = Lifecycle::Retired,
                _ => {} // a new `Arc` with the same content
            }
            match kind {
                7 if systems.len() > 100 => removed.push(systems.remove(i)),
                8 if !removed.is_empty() => {
                    let back = removed.remove(rng.below(removed.len()));
                    systems.insert(i, back);
                }
                _ => systems[i] = Arc::new(s),
            }
            let c = with_systems(&base, systems.clone(), previous.as_ref());
            let (incremental, checked) = validate_kept(&c, &mut kept);
            let scratch = validate(&c);
            assert_eq!(
                format!("{incremental:#?}"),
                format!("{scratch:#?}"),
                "step {step} (edit {kind} of `{}`)",
                systems[i.min(systems.len() - 1)].name.value
            );
            // Until broken references pile up (each one's typo hint is recomputed every
            // time), an edit of one system checks it and its neighbours only.
            if step < 50 {
                assert!(
                    checked * 5 < systems.len(),
                    "step {step}: {checked} of {} systems checked",
                    systems.len()
                );
            }
            let errors = scratch
                .iter()
                .filter(|d| d.severity == crate::diag::Severity::Error)
                .count();
            warnings_seen += (errors < scratch.len()) as usize;
            errors_seen += (errors > 0) as usize;
            previous = Some(c);
        }
        // The edits reached the paths that matter.
        assert!(warnings_seen > 50, "{warnings_seen} steps with warnings");
        assert!(errors_seen > 50, "{errors_seen} steps with errors");
    }
}
