//! Declared vs observed: holds the catalog's declared dependencies against observed traffic.
//!
//! [`resolve`] maps each observed name to a system — by name, then alias, then either of them
//! case-insensitively when that is unambiguous — and each observed API (`api`, `api@2`,
//! `system/api@2`) to the callee's provided APIs. The result, [`Evidence`], belongs to one
//! catalog snapshot and answers three questions:
//!
//! - [`drift`]: undeclared dependencies (observed caller → callee with no declared edge — the
//!   consumers nobody wrote down), stale declarations (declared, both ends visible in the
//!   observed data, yet never seen), and unknown names (in traffic, not in the catalog);
//! - [`impact_evidence`]: observed, undeclared consumers of an impact target and of the systems
//!   it affects, for the impact report;
//! - [`observed_callers`]: who was seen calling one system, declared or not, for its page.
//!
//! Semantics in docs/drift.md. Pure functions over a snapshot, its graph and the evidence:
//! nothing here reads files or prints.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::graph::{Graph, Via};
use crate::impact::{ImpactOptions, ImpactResult, ObservedConsumer, Target};
use crate::model::*;
use crate::observed::{Observed, SourceSummary};

/// One end of an observed edge: a catalog system, or a name the catalog does not know.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum End {
    System(usize),
    Unknown(String),
}

/// An observed edge with both ends mapped to the catalog.
#[derive(Clone, Debug)]
pub struct ResolvedEdge {
    pub caller: End,
    pub callee: End,
    /// The names as observed.
    pub raw_caller: String,
    pub raw_callee: String,
    /// The callee's APIs the observed API names (indexes into `provides`); `None` when the
    /// source gave no API or it names none of the callee's.
    pub apis: Option<Vec<u32>>,
    /// The API as shown: `callee/api@N` when it resolved, else as observed.
    pub api_label: Option<String>,
    pub count: u64,
    pub last_seen: Option<String>,
    pub seen_at: String,
}

/// Observed data resolved against one catalog snapshot.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    pub sources: Vec<SourceSummary>,
    pub edges: Vec<ResolvedEdge>,
    /// Per system: it appears in the observed data (as caller or callee), so the absence of
    /// one of its declared edges means something.
    pub seen: Vec<bool>,
    /// Observed system pairs → the APIs seen on each (`None`: the source did not say).
    pairs: HashMap<(usize, usize), Vec<Option<Vec<u32>>>>,
    /// Callee system → indexes into `edges`.
    by_callee: HashMap<usize, Vec<usize>>,
}

/// `cairn drift` and `/api/v1/drift`.
#[derive(Serialize, Clone, Debug)]
pub struct DriftReport {
    /// Observed, not declared: the dangerous ones, most calls first.
    pub undeclared: Vec<Undeclared>,
    /// Declared, not observed although both ends are: candidates for clean-up.
    pub stale: Vec<Stale>,
    /// Names in the traffic that match no system or alias.
    pub unknown: Vec<UnknownName>,
    pub sources: Vec<SourceView>,
    pub summary: DriftSummary,
    /// Which part of `undeclared`, `stale` and `unknown` this is, when the answer is paged (the
    /// API); `summary` counts them all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<crate::paging::PageView>,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Undeclared {
    pub caller: String,
    pub callee: String,
    /// The API called, when the source says so.
    pub api: Option<String>,
    pub count: u64,
    pub last_seen: Option<String>,
    pub caller_owner: Option<String>,
    pub callee_owner: Option<String>,
    pub callee_tier: Option<u8>,
    /// The observed name pairs behind this entry (`bodhi-web → pkgdb2`).
    pub observed_as: Vec<String>,
    /// Where it was first seen: `file:line`, `file` or URL.
    pub source: String,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Stale {
    pub caller: String,
    pub callee: String,
    /// The declaration: `consumes pkgdb/api@2`, `depends_on`, or
    /// `listed by pkgdb as a consumer of pkgdb/api@2`.
    pub declared: String,
    pub declared_at: String,
    pub caller_owner: Option<String>,
    pub callee_owner: Option<String>,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    pub name: String,
    /// `caller` or `callee`.
    pub role: &'static str,
    pub count: u64,
    /// The systems it was seen calling (for a caller) or called by (for a callee).
    pub peers: Vec<String>,
    /// A system close to the name, when there is one (looked for among the 100 most frequent
    /// unknown names).
    pub suggestion: Option<String>,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct SourceView {
    pub source: String,
    pub format: &'static str,
    pub records: usize,
    pub calls: u64,
}

#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct DriftSummary {
    /// Counts are `*_count` in JSON where a list of the report has the plain name (#24).
    #[serde(rename = "source_count")]
    pub sources: usize,
    /// Distinct observed caller → callee pairs (per API when the source names one).
    pub observed_pairs: usize,
    pub calls: u64,
    /// Observed pairs between two catalog systems that a declaration covers.
    pub declared_and_observed: usize,
    #[serde(rename = "undeclared_count")]
    pub undeclared: usize,
    pub undeclared_calls: u64,
    #[serde(rename = "stale_count")]
    pub stale: usize,
    /// Declarations that cannot be checked: one end never appears in the observed data.
    pub unverifiable: usize,
    #[serde(rename = "unknown_count")]
    pub unknown: usize,
    /// Observed pairs whose two names are the same system (e.g. `bodhi-web → bodhi-backend`).
    pub internal: usize,
}

/// Who was seen calling one system (for its page and `/api/v1/systems/{name}`).
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ObservedCaller {
    /// The catalog system, or the name as observed when the catalog does not know it.
    pub name: String,
    /// `true` when `name` is a catalog system.
    pub known: bool,
    /// A declaration covers this call.
    pub declared: bool,
    pub api: Option<String>,
    pub count: u64,
    pub last_seen: Option<String>,
    pub owner: Option<String>,
}

/// Maps every observed name to the catalog.
pub fn resolve(c: &Catalog, o: &Observed) -> Evidence {
    let folded = folded_names(c);
    let lookup = |name: &str| -> End {
        if let Some(s) = c.system_by_name_or_alias(name) {
            if let Some(i) = c.system_id(&s.name.value) {
                return End::System(i);
            }
        }
        match folded.get(&name.to_lowercase()) {
            Some(Some(i)) => End::System(*i),
            _ => End::Unknown(name.to_string()),
        }
    };
    let mut cache: HashMap<&str, End> = HashMap::new();
    let mut seen = vec![false; c.systems.len()];
    let mut edges = Vec::with_capacity(o.edges.len());
    for e in &o.edges {
        let caller = cache
            .entry(e.caller.as_str())
            .or_insert_with(|| lookup(&e.caller))
            .clone();
        let callee = cache
            .entry(e.callee.as_str())
            .or_insert_with(|| lookup(&e.callee))
            .clone();
        for end in [&caller, &callee] {
            if let End::System(i) = end {
                seen[*i] = true;
            }
        }
        let (apis, api_label) = match (&callee, &e.api) {
            (End::System(i), Some(text)) => resolve_api(c, *i, text, &lookup),
            (_, api) => (None, api.clone()),
        };
        edges.push(ResolvedEdge {
            caller,
            callee,
            raw_caller: e.caller.clone(),
            raw_callee: e.callee.clone(),
            apis,
            api_label,
            count: e.count,
            last_seen: e.last_seen.clone(),
            seen_at: e.seen_at.clone(),
        });
    }
    let mut pairs: HashMap<(usize, usize), Vec<Option<Vec<u32>>>> = HashMap::new();
    let mut by_callee: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, e) in edges.iter().enumerate() {
        if let End::System(b) = e.callee {
            by_callee.entry(b).or_default().push(k);
            if let End::System(a) = e.caller {
                pairs.entry((a, b)).or_default().push(e.apis.clone());
            }
        }
    }
    Evidence {
        sources: o.sources.clone(),
        edges,
        seen,
        pairs,
        by_callee,
    }
}

impl Evidence {
    /// Whether a declaration `a → b` (by `via`) was seen; `None` when it cannot be checked
    /// because one end never appears in the observed data.
    fn declaration_seen(&self, a: usize, b: usize, via: Via) -> Option<bool> {
        let visible = |i: usize| self.seen.get(i).copied().unwrap_or(false);
        if !(visible(a) && visible(b)) {
            return None;
        }
        Some(self.pairs.get(&(a, b)).is_some_and(|apis| {
            apis.iter().any(|seen| match (via, seen) {
                (Via::DependsOn, _) | (_, None) => true,
                (Via::Consumes { api } | Via::Listed { api }, Some(ids)) => ids.contains(&api),
            })
        }))
    }

    /// The observed edges into one system.
    fn calls_into(&self, system: usize) -> impl Iterator<Item = &ResolvedEdge> {
        self.by_callee
            .get(&system)
            .into_iter()
            .flatten()
            .map(|&k| &self.edges[k])
    }
}

/// Lower-cased names and aliases → system; `None` when two systems fold to the same text.
fn folded_names(c: &Catalog) -> HashMap<String, Option<usize>> {
    let mut m: HashMap<String, Option<usize>> = HashMap::new();
    for (i, s) in c.systems.iter().enumerate() {
        let names = std::iter::once(&s.name.value).chain(s.aliases.iter().map(|a| &a.value));
        for n in names {
            m.entry(n.to_lowercase())
                .and_modify(|v| {
                    if *v != Some(i) {
                        *v = None
                    }
                })
                .or_insert(Some(i));
        }
    }
    m
}

/// `api`, `api@2` or `system/api@2` against the callee's provided APIs.
fn resolve_api(
    c: &Catalog,
    callee: usize,
    text: &str,
    lookup: &dyn Fn(&str) -> End,
) -> (Option<Vec<u32>>, Option<String>) {
    let sys = &c.systems[callee];
    let (system_part, rest) = match text.split_once('/') {
        Some((s, r)) => (Some(s), r),
        None => (None, text),
    };
    if system_part.is_some_and(|s| lookup(s) != End::System(callee)) {
        return (None, Some(text.to_string()));
    }
    let (name, version) = match rest.rsplit_once('@') {
        Some((n, v)) => match v.trim_start_matches('v').parse::<u32>() {
            Ok(v) => (n, Some(v)),
            Err(_) => return (None, Some(text.to_string())),
        },
        None => (rest, None),
    };
    let ids: Vec<u32> = sys
        .provides
        .iter()
        .enumerate()
        .filter(|(_, a)| a.name.value == name && version.is_none_or(|v| v == a.version))
        .map(|(i, _)| i as u32)
        .collect();
    match ids.as_slice() {
        [] => (None, Some(text.to_string())),
        [one] => {
            let label = sys.provides[*one as usize].reference(&sys.name.value);
            (Some(ids), Some(label))
        }
        _ => {
            let label = format!("{}/{name}", sys.name.value);
            (Some(ids), Some(label))
        }
    }
}

/// Whether a declaration covers `caller` calling `callee` (for the given APIs, when known).
/// `depends_on` covers any call; a consumption or a provider's listing covers calls to its API.
fn is_declared(g: &Graph, caller: usize, callee: usize, apis: Option<&[u32]>) -> bool {
    g.dependencies(caller)
        .iter()
        .filter(|l| l.system as usize == callee)
        .any(|l| match (l.via, apis) {
            (_, None) | (Via::DependsOn, _) => true,
            (Via::Consumes { api } | Via::Listed { api }, Some(ids)) => ids.contains(&api),
        })
}

fn system_name(c: &Catalog, end: &End) -> String {
    match end {
        End::System(i) => c.systems[*i].name.value.clone(),
        End::Unknown(n) => n.clone(),
    }
}

fn owner(c: &Catalog, i: usize) -> Option<String> {
    c.systems[i].owner_name().map(str::to_string)
}

/// Unknown names that get a "did you mean" suggestion, most calls first.
const SUGGESTED_UNKNOWN_NAMES: usize = 100;

/// Holds the declarations against the evidence.
pub fn drift(c: &Catalog, g: &Graph, ev: &Evidence) -> DriftReport {
    let mut summary = DriftSummary {
        sources: ev.sources.len(),
        observed_pairs: ev.edges.len(),
        calls: ev.edges.iter().fold(0u64, |n, e| n.saturating_add(e.count)),
        ..Default::default()
    };

    // Undeclared, merged per (caller, callee, API) after name mapping.
    let mut undeclared: BTreeMap<(usize, usize, Option<String>), Undeclared> = BTreeMap::new();
    let mut unknown: BTreeMap<(String, &'static str), (u64, Vec<String>)> = BTreeMap::new();
    for e in &ev.edges {
        match (&e.caller, &e.callee) {
            (End::System(a), End::System(b)) if a == b => summary.internal += 1,
            (End::System(a), End::System(b)) => {
                if is_declared(g, *a, *b, e.apis.as_deref()) {
                    summary.declared_and_observed += 1;
                    continue;
                }
                let entry = undeclared
                    .entry((*a, *b, e.api_label.clone()))
                    .or_insert_with(|| Undeclared {
                        caller: c.systems[*a].name.value.clone(),
                        callee: c.systems[*b].name.value.clone(),
                        api: e.api_label.clone(),
                        count: 0,
                        last_seen: None,
                        caller_owner: owner(c, *a),
                        callee_owner: owner(c, *b),
                        callee_tier: c.systems[*b].tier,
                        observed_as: Vec::new(),
                        source: e.seen_at.clone(),
                    });
                merge_counts(&mut entry.count, &mut entry.last_seen, e);
                // Duplicates go at the end, sorted: a search of the list per edge was
                // quadratic in the names one system is seen under.
                entry
                    .observed_as
                    .push(format!("{} → {}", e.raw_caller, e.raw_callee));
            }
            (caller, callee) => {
                for (end, role, peer) in [(caller, "caller", callee), (callee, "callee", caller)] {
                    if let End::Unknown(name) = end {
                        let u = unknown.entry((name.clone(), role)).or_default();
                        u.0 = u.0.saturating_add(e.count);
                        u.1.push(system_name(c, peer));
                    }
                }
            }
        }
    }
    let mut undeclared: Vec<Undeclared> = undeclared.into_values().collect();
    for u in &mut undeclared {
        u.observed_as.sort();
        u.observed_as.dedup();
    }
    undeclared.sort_by(|a, b| {
        (b.count, &a.caller, &a.callee, &a.api).cmp(&(a.count, &b.caller, &b.callee, &b.api))
    });
    summary.undeclared = undeclared.len();
    summary.undeclared_calls = undeclared
        .iter()
        .fold(0u64, |n, u| n.saturating_add(u.count));

    let mut unknown: Vec<UnknownName> = unknown
        .into_iter()
        .map(|((name, role), (count, mut peers))| {
            peers.sort();
            peers.dedup();
            UnknownName {
                name,
                role,
                count,
                peers,
                suggestion: None,
            }
        })
        .collect();
    unknown.sort_by(|a, b| (b.count, &a.name, a.role).cmp(&(a.count, &b.name, b.role)));
    // Suggestions cost a distance per system name and alias: bounded to the most frequent names.
    let candidates: Vec<&str> = c
        .systems
        .iter()
        .flat_map(|s| std::iter::once(&s.name.value).chain(s.aliases.iter().map(|a| &a.value)))
        .map(String::as_str)
        .collect();
    for u in unknown.iter_mut().take(SUGGESTED_UNKNOWN_NAMES) {
        let wanted = u.name.to_lowercase();
        let likely = candidates
            .iter()
            .copied()
            .filter(|c| plausible_typo(&wanted, c));
        u.suggestion = crate::diag::closest(&wanted, likely).map(|s| {
            c.system_by_name_or_alias(s)
                .map(|sys| sys.name.value.clone())
                .unwrap_or_else(|| s.to_string())
        });
    }
    summary.unknown = unknown.len();

    let (stale, unverifiable) = stale_declarations(c, g, ev);
    summary.stale = stale.len();
    summary.unverifiable = unverifiable;

    DriftReport {
        undeclared,
        stale,
        unknown,
        sources: ev
            .sources
            .iter()
            .map(|s| SourceView {
                source: s.source.clone(),
                format: s.format.as_str(),
                records: s.records,
                calls: s.calls,
            })
            .collect(),
        summary,
        page: None,
    }
}

/// A cheap filter before the edit distance of `diag::closest`: a candidate within its distance
/// limit has a length within the limit and (almost always) shares the first or last character;
/// a prefix in either direction also qualifies there.
fn plausible_typo(wanted: &str, candidate: &str) -> bool {
    let (w, c) = (wanted.chars().count(), candidate.chars().count());
    let limit = (w / 3).clamp(1, 4);
    let near = w.abs_diff(c) <= limit
        && (wanted.chars().next() == candidate.chars().next()
            || wanted.chars().last() == candidate.chars().last());
    near || (c > 2 && (wanted.starts_with(candidate) || candidate.starts_with(wanted)))
}

fn merge_counts(count: &mut u64, last_seen: &mut Option<String>, e: &ResolvedEdge) {
    *count = count.saturating_add(e.count);
    if e.last_seen > *last_seen {
        last_seen.clone_from(&e.last_seen);
    }
}

/// Declarations whose two ends appear in the observed data but which were never seen, and the
/// number of declarations that cannot be checked.
fn stale_declarations(c: &Catalog, g: &Graph, ev: &Evidence) -> (Vec<Stale>, usize) {
    let mut stale = Vec::new();
    let mut unverifiable = 0;
    for a in 0..g.len() {
        let links = g.dependencies(a);
        for l in links {
            let b = l.system as usize;
            match ev.declaration_seen(a, b, l.via) {
                None => unverifiable += 1,
                Some(true) => {}
                Some(false) => stale.push(stale_entry(c, a, b, l.via, l.loc)),
            }
        }
    }
    stale.sort_by(|x, y| {
        (&x.caller, &x.callee, &x.declared).cmp(&(&y.caller, &y.callee, &y.declared))
    });
    (stale, unverifiable)
}

fn stale_entry(c: &Catalog, a: usize, b: usize, via: Via, loc: Loc) -> Stale {
    let provider = &c.systems[b];
    let declared = match via {
        Via::Consumes { api } => format!(
            "consumes {}",
            provider.provides[api as usize].reference(&provider.name.value)
        ),
        Via::Listed { api } => format!(
            "listed by {} as a consumer of {}",
            provider.name.value,
            provider.provides[api as usize].reference(&provider.name.value)
        ),
        Via::DependsOn => "depends_on".to_string(),
    };
    Stale {
        caller: c.systems[a].name.value.clone(),
        callee: provider.name.value.clone(),
        declared,
        declared_at: format!("{}:{}", c.file_path(loc.file), loc.line),
        caller_owner: owner(c, a),
        callee_owner: owner(c, b),
    }
}

/// Observed, undeclared consumers for an impact report: undeclared callers of the target system
/// (of a matching API, when the source names one) and of every affected system, one hop each,
/// within the depth limit. Systems already affected at that depth or closer are left out.
pub fn impact_evidence(
    c: &Catalog,
    g: &Graph,
    ev: &Evidence,
    t: &Target,
    res: &ImpactResult,
    opts: &ImpactOptions,
) -> Vec<ObservedConsumer> {
    let max_depth = if opts.direct_only {
        1
    } else {
        opts.max_depth.unwrap_or(u32::MAX)
    };
    let target_apis: HashSet<u32> = c.systems[t.system]
        .provides
        .iter()
        .enumerate()
        .filter(|(_, a)| {
            t.api.as_deref().is_none_or(|n| n == a.name.value)
                && t.version.is_none_or(|v| v == a.version)
        })
        .map(|(i, _)| i as u32)
        .collect();
    let mut best: BTreeMap<String, ObservedConsumer> = BTreeMap::new();
    for e in &ev.edges {
        let End::System(callee) = e.callee else {
            continue;
        };
        let parent_depth = if callee == t.system {
            // Calls to another API of the target are not affected by this change.
            if let Some(ids) = &e.apis {
                if (t.api.is_some() || t.version.is_some())
                    && !ids.iter().any(|i| target_apis.contains(i))
                {
                    continue;
                }
            }
            0
        } else {
            match res.depth_of(callee) {
                Some(d) => d,
                None => continue,
            }
        };
        let depth = parent_depth + 1;
        if depth > max_depth {
            continue;
        }
        let (name, system) = match &e.caller {
            End::System(a) if *a == callee || *a == t.system => continue,
            End::System(a) => {
                if is_declared(g, *a, callee, e.apis.as_deref()) {
                    continue;
                }
                if res.depth_of(*a).is_some_and(|d| d <= depth) {
                    continue;
                }
                (c.systems[*a].name.value.clone(), Some(*a))
            }
            End::Unknown(n) => (n.clone(), None),
        };
        let calls = c.systems[callee].name.value.clone();
        let (why, path_left_out) = res.path(c, t.system, callee);
        let fresh = |count_from: &ResolvedEdge| ObservedConsumer {
            name: name.clone(),
            system: system.map(|i| c.systems[i].name.value.clone()),
            depth,
            path: {
                let mut p = why.clone();
                p.push(name.clone());
                p
            },
            path_left_out,
            calls: calls.clone(),
            api: count_from.api_label.clone(),
            count: 0,
            last_seen: None,
            evidence: "observed",
            declared: false,
            owner: system.and_then(|i| owner(c, i)),
            tier: system.and_then(|i| c.systems[i].tier),
            observed_as: Vec::new(),
            source: count_from.seen_at.clone(),
        };
        let entry = best.entry(name.clone()).or_insert_with(|| fresh(e));
        if depth < entry.depth {
            // A shorter way in: this edge replaces what was found so far.
            *entry = fresh(e);
        } else if depth > entry.depth || entry.calls != calls {
            continue;
        }
        if entry.api != e.api_label {
            entry.api = None;
        }
        merge_counts(&mut entry.count, &mut entry.last_seen, e);
        entry
            .observed_as
            .push(format!("{} → {}", e.raw_caller, e.raw_callee));
    }
    let mut out: Vec<ObservedConsumer> = best.into_values().collect();
    for o in &mut out {
        o.observed_as.sort();
        o.observed_as.dedup();
    }
    out.sort_by(|a, b| (a.depth, b.count, &a.name).cmp(&(b.depth, a.count, &b.name)));
    out
}

/// Everyone observed calling `system`, declared or not, most calls first.
pub fn observed_callers(
    c: &Catalog,
    g: &Graph,
    ev: &Evidence,
    system: usize,
) -> Vec<ObservedCaller> {
    let mut by_caller: BTreeMap<(String, Option<String>), ObservedCaller> = BTreeMap::new();
    for e in ev.calls_into(system) {
        if e.caller == End::System(system) {
            continue;
        }
        let (name, known, declared, owner_name) = match &e.caller {
            End::System(a) => (
                c.systems[*a].name.value.clone(),
                true,
                is_declared(g, *a, system, e.apis.as_deref()),
                owner(c, *a),
            ),
            End::Unknown(n) => (n.clone(), false, false, None),
        };
        let entry = by_caller
            .entry((name.clone(), e.api_label.clone()))
            .or_insert_with(|| ObservedCaller {
                name,
                known,
                declared,
                api: e.api_label.clone(),
                count: 0,
                last_seen: None,
                owner: owner_name,
            });
        merge_counts(&mut entry.count, &mut entry.last_seen, e);
    }
    let mut out: Vec<ObservedCaller> = by_caller.into_values().collect();
    out.sort_by(|a, b| (b.count, &a.name).cmp(&(a.count, &b.name)));
    out
}

/// The stale declarations of calls into `system` (declared, not observed).
pub fn stale_into(c: &Catalog, g: &Graph, ev: &Evidence, system: usize) -> Vec<Stale> {
    let mut out: Vec<Stale> = g
        .dependents(system)
        .iter()
        .filter(|l| ev.declaration_seen(l.system as usize, system, l.via) == Some(false))
        .map(|l| stale_entry(c, l.system as usize, system, l.via, l.loc))
        .collect();
    out.sort_by(|x, y| (&x.caller, &x.declared).cmp(&(&y.caller, &y.declared)));
    out
}
