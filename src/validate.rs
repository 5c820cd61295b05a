//! Cross-reference checks over a loaded catalog: every problem at once, each located.
//!
//! The loader already reported syntax, types, unknown fields and missing files. This pass checks
//! what needs the whole catalog: duplicate names, references to unknown teams, systems, APIs,
//! versions and endpoints, deprecated consumption, one-sided declarations and dependency cycles.
//! It reads no files and never prints.

use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::diag::{closest, did_you_mean, Diagnostic};
use crate::graph::CycleEdge;
use crate::model::*;

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

struct Validator<'a> {
    c: &'a Catalog,
    out: Vec<Diagnostic>,
    /// A check read the whole catalog (a typo hint over every name, the API references of
    /// every system): its result can change with any edit ([`validate_kept`]).
    global: bool,
    /// "Did you mean" of each name not in the catalog, by the kind of name: a catalog whose
    /// owners live in an org directory names the same few absent groups thousands of times,
    /// and each hint reads every name.
    hints: HashMap<(&'static str, String), Option<String>>,
}

impl<'a> Validator<'a> {
    fn new(c: &'a Catalog) -> Validator<'a> {
        Validator {
            c,
            out: Vec::new(),
            global: false,
            hints: HashMap::default(),
        }
    }

    /// [`did_you_mean`] among the names `of` gives, once per (`kind`, `wanted`).
    fn hint<I>(
        &mut self,
        kind: &'static str,
        wanted: &str,
        of: impl FnOnce() -> I,
    ) -> Option<String>
    where
        I: IntoIterator<Item = &'a str>,
    {
        if let Some(h) = self.hints.get(&(kind, wanted.to_string())) {
            return h.clone();
        }
        let h = did_you_mean(wanted, of());
        self.hints.insert((kind, wanted.to_string()), h.clone());
        h
    }

    fn at(&self, loc: Loc) -> (&'a str, u32, u32) {
        (self.c.file_path(loc.file), loc.line, loc.col)
    }

    fn error(&mut self, code: &'static str, loc: Loc, msg: impl Into<String>) -> &mut Diagnostic {
        let (f, l, col) = self.at(loc);
        self.out.push(Diagnostic::error(code, f, l, col, msg));
        self.out.last_mut().expect("pushed")
    }

    fn warning(&mut self, code: &'static str, loc: Loc, msg: impl Into<String>) -> &mut Diagnostic {
        let (f, l, col) = self.at(loc);
        self.out.push(Diagnostic::warning(code, f, l, col, msg));
        self.out.last_mut().expect("pushed")
    }

    /// A consumer still names something its provider no longer offers: an error, or a warning
    /// when the consumer acknowledged the break on that entry (`acknowledged: DATE`), so that a
    /// planned removal can land while the acknowledging consumer's file still mentions it.
    fn broken_ref(
        &mut self,
        ack: Option<crate::date::Date>,
        code: &'static str,
        loc: Loc,
        msg: String,
    ) -> &mut Diagnostic {
        match ack {
            None => self.error(code, loc, msg),
            Some(d) => {
                let w = self.warning(
                    code,
                    loc,
                    format!("{msg} (the break is acknowledged until {d})"),
                );
                w.hint = Some("remove or update this entry once you have migrated".into());
                w
            }
        }
    }

    /// Domains named in rule selectors must exist (a typo would silently exempt every system).
    fn scorecard(&mut self, sc: &Scorecard) {
        for r in sc.levels.iter().flat_map(|l| &l.rules) {
            for d in &r.when.domains {
                // A domain is known when declared or when some system is labelled with it.
                let labelled = || {
                    self.c
                        .systems
                        .iter()
                        .any(|s| s.domain.as_ref().is_some_and(|x| x.value == d.value))
                };
                if self.c.domain(&d.value).is_none() && !labelled() {
                    let hint = did_you_mean(
                        &d.value,
                        self.c.domains.iter().map(|d| d.name.value.as_str()),
                    );
                    self.error(
                        "unknown-domain",
                        d.loc,
                        format!(
                            "rule `{}` applies to domain `{}`, which no system or domain declares",
                            r.id, d.value
                        ),
                    )
                    .hint = hint;
                }
            }
        }
    }

    fn duplicates(&mut self, part: Duplicates) {
        let c = self.c;
        let dup = |what: &str, names: Vec<&Spanned<String>>, out: &mut Vec<Diagnostic>| {
            let mut first: HashMap<&str, Loc> = HashMap::default();
            for n in names {
                match first.get(n.value.as_str()) {
                    None => {
                        first.insert(&n.value, n.loc);
                    }
                    Some(prev) => {
                        let (f, l, col) = (c.file_path(n.loc.file), n.loc.line, n.loc.col);
                        out.push(
                            Diagnostic::error(
                                "duplicate-name",
                                f,
                                l,
                                col,
                                format!("duplicate {what} name `{}`", n.value),
                            )
                            .with_hint(format!(
                                "first declared at {}:{}:{}",
                                c.file_path(prev.file),
                                prev.line,
                                prev.col
                            )),
                        );
                    }
                }
            }
        };
        match part {
            Duplicates::Systems => {
                dup(
                    "system",
                    c.systems.iter().map(|s| &s.name).collect(),
                    &mut self.out,
                );
                return;
            }
            Duplicates::TeamsAndDomains => {}
            Duplicates::Aliases => return self.aliases(),
        }
        dup(
            "team",
            c.teams.iter().map(|s| &s.name).collect(),
            &mut self.out,
        );
        dup(
            "domain",
            c.domains.iter().map(|s| &s.name).collect(),
            &mut self.out,
        );
    }

    /// Aliases map traffic to systems: each must name exactly one system.
    fn aliases(&mut self) {
        let c = self.c;
        let mut alias_owner: HashMap<&str, &str> = HashMap::default();
        for s in &c.systems {
            for a in &s.aliases {
                if a.value == s.name.value {
                    continue;
                }
                if let Some(other) = c.system(&a.value) {
                    let msg = format!(
                        "alias `{}` of `{}` is the name of another system",
                        a.value, s.name.value
                    );
                    let hint = format!(
                        "`{}` is declared at {}:{}",
                        a.value,
                        c.file_path(other.name.loc.file),
                        other.name.loc.line
                    );
                    self.warning("ambiguous-alias", a.loc, msg).hint = Some(hint);
                } else if let Some(prev) = alias_owner.insert(&a.value, &s.name.value) {
                    if prev != s.name.value {
                        self.warning(
                            "ambiguous-alias",
                            a.loc,
                            format!(
                                "alias `{}` is used by both `{prev}` and `{}`",
                                a.value, s.name.value
                            ),
                        );
                    }
                }
            }
        }
    }

    fn team_ref(&mut self, r: &Spanned<String>, what: &str) {
        if self.c.team(&r.value).is_none() {
            self.global = true;
            let c = self.c;
            let hint = self.hint("team", &r.value, || {
                c.teams.iter().map(|t| t.name.value.as_str())
            });
            // Not an error: in Backstage organisations groups and users live in the org
            // directory, not in the files (docs/catalog-format.md, "Severity policy").
            let d = self.warning(
                "unknown-team",
                r.loc,
                format!("{what} `{}` is not in the catalog", r.value),
            );
            d.hint = hint.or_else(|| {
                Some("declare it with `kind: team` (or it lives in your org directory)".into())
            });
            d.refers_to = Some(r.value.clone());
        }
    }

    /// Resolves a system name, reporting unknown ones; `None` when unknown.
    fn system_ref(&mut self, r: &Spanned<String>, what: &str) -> Option<&'a System> {
        if let Some(s) = self.c.system(&r.value) {
            return Some(s);
        }
        self.global = true;
        let hint = if let Some(s) = self.c.system_by_name_or_alias(&r.value) {
            Some(format!(
                "`{}` is an alias of `{}`; use the system's name",
                r.value, s.name.value
            ))
        } else {
            let c = self.c;
            self.hint("system", &r.value, || {
                c.systems.iter().map(|s| s.name.value.as_str())
            })
        };
        let d = self.warning(
            "unknown-system",
            r.loc,
            format!("{what} `{}` is not in the catalog", r.value),
        );
        d.hint = hint;
        d.refers_to = Some(r.value.clone());
        None
    }

    fn system(&mut self, s: &'a System) {
        if let Some(o) = &s.owner {
            self.team_ref(o, "owner");
        }
        if let Some(d) = &s.domain {
            if self.c.domain(&d.value).is_none() {
                let hint = did_you_mean(
                    &d.value,
                    self.c.domains.iter().map(|d| d.name.value.as_str()),
                )
                .or_else(|| {
                    Some("declare it with `kind: domain` to give it a title and owner".into())
                });
                // A domain is an optional grouping: a label without a `kind: domain` document
                // is still a grouping.
                let w = self.warning(
                    "unknown-domain",
                    d.loc,
                    format!("domain `{}` is not in the catalog", d.value),
                );
                w.hint = hint;
                w.refers_to = Some(d.value.clone());
            }
        }
        for dep in &s.depends_on {
            if dep.value == s.name.value {
                self.error(
                    "self-dependency",
                    dep.loc,
                    format!("`{}` depends on itself", dep.value),
                );
                continue;
            }
            if let Some(target) = self.system_ref(dep, "dependency") {
                if target.lifecycle == Lifecycle::Retired {
                    self.warning(
                        "retired-dependency",
                        dep.loc,
                        format!("`{}` is retired", dep.value),
                    );
                }
            }
        }
        let mut seen_apis = HashSet::default();
        for a in &s.provides {
            if !seen_apis.insert((a.name.value.as_str(), a.version)) {
                self.error(
                    "duplicate-name",
                    a.name.loc,
                    format!("`{}` is declared twice", a.reference(&s.name.value)),
                );
            }
            if a.lifecycle == Lifecycle::Deprecated && a.sunset.is_none() {
                self.warning(
                    "deprecated-without-sunset",
                    a.name.loc,
                    format!(
                        "`{}` is deprecated without a `sunset` date",
                        a.reference(&s.name.value)
                    ),
                )
                .hint = Some("add `sunset: YYYY-MM-DD` so consumers know their deadline".into());
            }
            for lc in &a.consumers {
                if let ListedConsumer::System(cn) = lc {
                    self.listed_consumer(s, a, cn);
                }
            }
        }
        for cons in &s.consumes {
            self.consumption(s, cons);
        }
    }

    fn listed_consumer(&mut self, provider: &System, api: &Api, cn: &Spanned<String>) {
        let Some(consumer) = self.system_ref(cn, "consumer") else {
            return;
        };
        let declared = consumer.consumes.iter().any(|k| {
            k.api.system == provider.name.value
                && k.api.api.as_deref().is_none_or(|n| n == api.name.value)
                && k.api.version.is_none_or(|v| v == api.version)
        }) || consumer
            .depends_on
            .iter()
            .any(|d| d.value == provider.name.value);
        if !declared {
            let r = api.reference(&provider.name.value);
            self.warning(
                "one-sided-consumer",
                cn.loc,
                format!(
                    "`{}` is listed as a consumer of `{r}` but does not declare it",
                    cn.value
                ),
            )
            .hint = Some(format!(
                "add `consumes: [{{api: {r}}}]` to `{}` ({})",
                cn.value,
                self.c.file_path(consumer.loc.file)
            ));
        }
    }

    fn consumption(&mut self, s: &System, cons: &Consumption) {
        let r = &cons.api.value;
        let loc = cons.api.loc;
        if r.system == s.name.value {
            return;
        }
        let ack = cons.acknowledged.as_ref().map(|a| a.value);
        if ack.is_some() && self.c.system(&r.system).is_none() {
            self.broken_ref(
                ack,
                "unknown-system",
                loc,
                format!("provider `{}` is not a system in the catalog", r.system),
            );
            return;
        }
        let Some(provider) = self.system_ref(&Spanned::new(r.system.clone(), loc), "provider")
        else {
            return;
        };
        let matched = self.c.resolve_api_ref(r);
        if matched.is_empty() {
            let mut latest = None;
            let (code, msg) = match (&r.api, r.version) {
                (None, _) => ("unknown-api", format!("`{}` provides no API", r.system)),
                (Some(a), None) => (
                    "unknown-api",
                    format!("`{}` has no API named `{a}`", r.system),
                ),
                (Some(a), Some(v)) if provider.provides.iter().any(|p| p.name.value == *a) => {
                    let mut versions: Vec<u32> = provider
                        .provides
                        .iter()
                        .filter(|p| p.name.value == *a)
                        .map(|p| p.version)
                        .collect();
                    versions.sort();
                    let shown: Vec<String> = versions.iter().map(|v| format!("@{v}")).collect();
                    latest = versions
                        .last()
                        .map(|v| format!("did you mean `{}/{a}@{v}`?", r.system));
                    (
                        "unknown-api-version",
                        format!(
                            "`{}/{a}` has no version {v} (it has {})",
                            r.system,
                            shown.join(", ")
                        ),
                    )
                }
                (Some(a), Some(_)) => (
                    "unknown-api",
                    format!("`{}` has no API named `{a}`", r.system),
                ),
            };
            self.global = true;
            let refs = self.c.all_api_refs();
            let hint = latest
                .or_else(|| {
                    closest(&r.to_string(), refs.iter().map(String::as_str))
                        .map(|c| format!("did you mean `{c}`?"))
                })
                .or_else(|| {
                    (r.api.is_none()).then(|| {
                        "use `depends_on` for a dependency without an API contract".to_string()
                    })
                });
            let d = self.broken_ref(ack, code, loc, msg);
            if hint.is_some() {
                d.hint = hint;
            }
            return;
        }
        if r.api.is_some() && r.version.is_none() {
            let versions: HashSet<u32> = matched.iter().map(|a| a.version).collect();
            if versions.len() > 1 {
                let mut vs: Vec<_> = versions.into_iter().collect();
                vs.sort();
                let hint = format!(
                    "name the version you use, e.g. `{}@{}`",
                    r,
                    vs[vs.len() - 1]
                );
                self.warning(
                    "unversioned-consumption",
                    loc,
                    format!(
                        "`{r}` has several major versions; this counts as consuming all of them"
                    ),
                )
                .hint = Some(hint);
            }
        }
        for a in &matched {
            let aref = a.reference(&provider.name.value);
            match a.lifecycle {
                Lifecycle::Deprecated => {
                    let when = a
                        .sunset
                        .as_ref()
                        .map(|d| format!(", sunset {}", d.value))
                        .unwrap_or_default();
                    let newer = provider
                        .provides
                        .iter()
                        .filter(|o| {
                            o.name.value == a.name.value
                                && o.version > a.version
                                && o.lifecycle != Lifecycle::Deprecated
                        })
                        .map(|o| o.version)
                        .max();
                    self.warning(
                        "deprecated-api",
                        loc,
                        format!(
                            "`{}` consumes `{aref}`, which is deprecated{when}",
                            s.name.value
                        ),
                    )
                    .hint = newer.map(|v| {
                        format!("migrate to `{}/{}@{v}`", provider.name.value, a.name.value)
                    });
                }
                Lifecycle::Retired => {
                    self.broken_ref(
                        ack,
                        "retired-api",
                        loc,
                        format!("`{}` consumes `{aref}`, which is retired", s.name.value),
                    );
                }
                _ => {}
            }
        }
        let Some(uses) = &cons.uses else { return };
        for u in uses {
            let Some(key) = EndpointKey::parse(&u.value) else {
                continue;
            };
            let listed: Vec<&&Api> = matched.iter().filter(|a| !a.endpoints.is_empty()).collect();
            if listed.is_empty() {
                continue;
            }
            let found: Vec<&Endpoint> = listed
                .iter()
                .filter_map(|a| a.find_endpoint(&key))
                .collect();
            if found.is_empty() {
                let labels: Vec<String> = listed
                    .iter()
                    .flat_map(|a| a.endpoints.iter().map(Endpoint::label))
                    .collect();
                let hint = closest(&u.value, labels.iter().map(String::as_str))
                    .map(|c| format!("did you mean `{c}`?"));
                let d = self.broken_ref(
                    ack,
                    "unknown-endpoint",
                    u.loc,
                    format!("`{r}` has no endpoint `{}`", u.value),
                );
                if hint.is_some() {
                    d.hint = hint;
                }
            } else if found.iter().all(|e| e.deprecated) {
                self.warning(
                    "deprecated-endpoint",
                    u.loc,
                    format!("endpoint `{}` of `{r}` is deprecated", u.value),
                );
            }
        }
    }

    fn team(&mut self, t: &Team) {
        let mut seen = HashSet::default();
        for m in &t.members {
            if !seen.insert(m.name.value.as_str()) {
                self.warning(
                    "duplicate-member",
                    m.name.loc,
                    format!(
                        "`{}` is listed twice in team `{}`",
                        m.name.value, t.name.value
                    ),
                );
            }
        }
        let Some(oc) = &t.oncall else { return };
        let names: Vec<&str> = t.members.iter().map(|m| m.name.value.as_str()).collect();
        let check = |p: &Spanned<String>, what: &str, v: &mut Self| {
            if !names.contains(&p.value.as_str()) {
                let hint = did_you_mean(&p.value, names.iter().copied())
                    .or_else(|| Some(format!("add `{}` to `members`", p.value)));
                v.warning(
                    "oncall-not-member",
                    p.loc,
                    format!(
                        "{what} `{}` is not a member of team `{}`",
                        p.value, t.name.value
                    ),
                )
                .hint = hint;
            }
        };
        if let Some(r) = &oc.rotation {
            for p in &r.order {
                check(p, "on-call", self);
            }
        }
        if let Some(l) = &oc.lead {
            check(l, "on-call lead", self);
        }
    }

    fn cycles(&mut self, cycles: Vec<Vec<(usize, Loc)>>) {
        for cycle in cycles {
            let names: Vec<&str> = cycle
                .iter()
                .map(|&(i, _)| self.c.systems[i].name.value.as_str())
                .collect();
            let mut shown = names.join(" → ");
            shown.push_str(" → ");
            shown.push_str(names[0]);
            let loc = cycle[0].1;
            self.warning(
                "dependency-cycle",
                loc,
                format!("dependency cycle: {shown}"),
            )
            .hint = Some(
                "a change to any of these can come back to itself; consider breaking the cycle"
                    .into(),
            );
        }
    }
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
