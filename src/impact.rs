//! Impact analysis: which consumers does a change to a system, API, API version or endpoint
//! affect, directly and transitively — and the reverse question, what a system depends on.
//!
//! Semantics (docs/impact.md): direct consumers are systems that consume a matching API (for an
//! endpoint target: that list the endpoint in `uses`, or list no `uses` at all — usage unknown),
//! systems that `depends_on` the target system, and provider-listed consumers (catalog systems
//! or external). Then everything that depends, by any edge, on an affected system, breadth-first,
//! so each system appears once at its shortest depth with one shortest "why" path. The changed
//! system itself is never listed. Pure functions over a snapshot and its graph; nothing here
//! prints or reads files.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::date::Date;
use crate::diag::closest;
use crate::graph::{EdgeKind, Graph, Node, Via};
use crate::model::*;
use crate::oncall::{on_call, OnCall};

/// What is being changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub system: usize,
    pub api: Option<String>,
    pub version: Option<u32>,
    /// The endpoint as the user wrote it (normalised for matching).
    pub endpoint: Option<(String, EndpointKey)>,
}

/// Why a target could not be resolved, with a suggestion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetError {
    pub message: String,
    pub suggestion: Option<String>,
    /// The text is malformed (not a reference or endpoint at all), as opposed to naming
    /// something the catalog does not have.
    pub malformed: bool,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(s) = &self.suggestion {
            write!(f, " (did you mean `{s}`?)")?;
        }
        Ok(())
    }
}

impl Target {
    /// `system/api@N "GET /path"` as text.
    pub fn display(&self, c: &Catalog) -> String {
        let mut s = c.systems[self.system].name.value.clone();
        if let Some(a) = &self.api {
            s.push('/');
            s.push_str(a);
        }
        if let Some(v) = self.version {
            s.push_str(&format!("@{v}"));
        }
        if let Some((label, _)) = &self.endpoint {
            s.push_str(&format!(" {label}"));
        }
        s
    }

    fn matches_api(&self, a: &Api) -> bool {
        self.api.as_deref().is_none_or(|n| n == a.name.value)
            && self.version.is_none_or(|v| v == a.version)
    }
}

/// Parses `system`, `system/api`, `system/api@N`, optionally followed by an endpoint
/// (`pkgdb/api@2 GET /api/critpath`), or with the endpoint given separately.
pub fn resolve_target(
    c: &Catalog,
    text: &str,
    endpoint: Option<&str>,
) -> Result<Target, TargetError> {
    let text = text.trim();
    let (reference, inline_endpoint) = match text.split_once(char::is_whitespace) {
        Some((r, rest)) => (r, Some(rest.trim().trim_matches('"').trim())),
        None => (text, None),
    };
    let endpoint = endpoint.or(inline_endpoint).filter(|e| !e.is_empty());
    let r = if reference.contains(':') {
        backstage_target(c, reference)?
    } else {
        ApiRef::parse(reference).map_err(|m| TargetError {
            malformed: true,
            message: format!("`{reference}` is not a target: {m}"),
            suggestion: None,
        })?
    };
    let Some(sys) = c.system_by_name_or_alias(&r.system) else {
        let names = c.systems.iter().map(|s| s.name.value.as_str());
        return Err(TargetError {
            malformed: false,
            message: format!("no system named `{}`", r.system),
            suggestion: closest(&r.system, names).map(str::to_string),
        });
    };
    let system = c.system_id(&sys.name.value).expect("indexed");
    let target = Target {
        system,
        api: r.api.clone(),
        version: r.version,
        endpoint: None,
    };
    let apis: Vec<&Api> = sys
        .provides
        .iter()
        .filter(|a| target.matches_api(a))
        .collect();
    if r.api.is_some() && apis.is_empty() {
        let refs: Vec<String> = sys
            .provides
            .iter()
            .map(|a| a.reference(&sys.name.value))
            .collect();
        let wanted = ApiRef {
            system: sys.name.value.clone(),
            ..r.clone()
        }
        .to_string();
        let message = if refs.is_empty() {
            format!("`{}` provides no API", sys.name.value)
        } else {
            format!(
                "`{wanted}` does not exist (`{}` provides {})",
                sys.name.value,
                refs.join(", ")
            )
        };
        // A wrong version of an existing API: suggest its newest version.
        let newest = sys
            .provides
            .iter()
            .filter(|a| r.api.as_deref() == Some(a.name.value.as_str()))
            .max_by_key(|a| a.version)
            .map(|a| a.reference(&sys.name.value));
        let suggestion = newest
            .or_else(|| closest(&wanted, refs.iter().map(String::as_str)).map(str::to_string))
            .or_else(|| refs.last().cloned());
        return Err(TargetError {
            message,
            suggestion,
            malformed: false,
        });
    }
    let Some(ep) = endpoint else {
        return Ok(target);
    };
    let Some(key) = EndpointKey::parse(ep) else {
        return Err(TargetError {
            malformed: true,
            message: format!("`{ep}` is not an endpoint; write `METHOD /path`"),
            suggestion: None,
        });
    };
    let listed: Vec<&Api> = apis
        .iter()
        .copied()
        .filter(|a| !a.endpoints.is_empty())
        .collect();
    if !listed.is_empty() && !listed.iter().any(|a| a.find_endpoint(&key).is_some()) {
        let labels: Vec<String> = listed
            .iter()
            .flat_map(|a| a.endpoints.iter().map(Endpoint::label))
            .collect();
        return Err(TargetError {
            malformed: false,
            message: format!("`{}` has no endpoint `{ep}`", target.display(c)),
            suggestion: closest(ep, labels.iter().map(String::as_str)).map(str::to_string),
        });
    }
    Ok(Target {
        endpoint: Some((ep.to_string(), key)),
        ..target
    })
}

/// A Backstage reference as a target: `component:default/pkgdb`, `resource:db`, `api:pkgdb-api`.
fn backstage_target(c: &Catalog, reference: &str) -> Result<ApiRef, TargetError> {
    let unknown = || TargetError {
        malformed: false,
        message: format!("`{reference}` is not a Backstage entity in the catalog"),
        suggestion: None,
    };
    match c.backstage_ref(reference).ok_or_else(unknown)? {
        BackstageTarget::System(name) => Ok(ApiRef { system: name.clone(), api: None, version: None }),
        BackstageTarget::Api { name, providers } => match providers.as_slice() {
            [one] => Ok(ApiRef { system: one.clone(), api: Some(name.clone()), version: None }),
            many => Err(TargetError {
                malformed: false,
                message: format!(
                    "API `{reference}` is provided by {}; name one as `system/{name}`",
                    many.join(", ")
                ),
                suggestion: many.first().map(|p| format!("{p}/{name}")),
            }),
        },
        BackstageTarget::Team(_) | BackstageTarget::Domain(_) => Err(TargetError {
            malformed: false,
            message: format!("`{reference}` is a group, system or domain; impact targets are components, resources and APIs"),
            suggestion: None,
        }),
    }
}

#[derive(Clone, Debug, Default)]
pub struct ImpactOptions {
    pub max_depth: Option<u32>,
    pub direct_only: bool,
}

#[derive(Serialize, Clone, Debug)]
pub struct ImpactReport {
    pub target: String,
    pub target_system: String,
    pub target_owner: Option<String>,
    pub affected: Vec<Affected>,
    pub external: Vec<ExternalAffected>,
    pub teams: Vec<TeamToNotify>,
    pub summary: ImpactSummary,
    /// Consumers seen in observed traffic that no declaration covers (see `drift`). Present
    /// only when the report was computed with observed evidence; then possibly empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed: Option<Vec<ObservedConsumer>>,
    /// Which part of `affected`, `external`, `teams` and `observed` this is, when the answer is
    /// paged (the API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<crate::paging::PageView>,
}

/// A consumer known from observed traffic only: *observed, undeclared*. Serialised with
/// `through` (one `observed` [`ImpactEdge`], as `affected[].through` says it for declared
/// consumers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedConsumer {
    /// The catalog system, or the name as observed when the catalog does not know it.
    pub name: String,
    /// The catalog system; `None` for a name outside the catalog (a script, a host).
    pub system: Option<String>,
    /// One more than the system it was seen calling (the target is depth 0).
    pub depth: u32,
    /// Target first, this consumer last: the declared path to the system it calls, then it;
    /// at most [`PATH_END`] systems from the target's end.
    pub path: Vec<String>,
    /// Systems left out of the middle of a longer `path`; absent when none was.
    pub path_left_out: usize,
    /// The system it was seen calling: the target or an affected system.
    pub calls: String,
    /// The API called, when the source says so.
    pub api: Option<String>,
    pub count: u64,
    pub last_seen: Option<String>,
    /// Always `observed`.
    pub evidence: &'static str,
    /// Always `false`: declared consumers are in `affected`.
    pub declared: bool,
    pub owner: Option<String>,
    pub tier: Option<u8>,
    /// The observed name pairs behind this entry.
    pub observed_as: Vec<String>,
    /// Where it was first seen: `file:line`, `file` or URL.
    pub source: String,
}

impl ObservedConsumer {
    /// `path` for people ([`path_text`]).
    pub fn why(&self) -> String {
        path_text(&self.path, self.path_left_out, " → ")
    }
}

impl Serialize for ObservedConsumer {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown<'a> {
            name: &'a str,
            system: &'a Option<String>,
            depth: u32,
            path: &'a [String],
            #[serde(skip_serializing_if = "is_zero")]
            path_left_out: usize,
            calls: &'a str,
            api: &'a Option<String>,
            through: [ImpactEdge; 1],
            count: u64,
            last_seen: &'a Option<String>,
            evidence: &'static str,
            declared: bool,
            owner: &'a Option<String>,
            tier: Option<u8>,
            observed_as: &'a [String],
            source: &'a str,
        }
        Shown {
            name: &self.name,
            system: &self.system,
            depth: self.depth,
            path: &self.path,
            path_left_out: self.path_left_out,
            calls: &self.calls,
            api: &self.api,
            through: [ImpactEdge {
                kind: "observed",
                system: self.calls.clone(),
                api: self.api.clone(),
                endpoints: None,
            }],
            count: self.count,
            last_seen: &self.last_seen,
            evidence: self.evidence,
            declared: self.declared,
            owner: &self.owner,
            tier: self.tier,
            observed_as: &self.observed_as,
            source: &self.source,
        }
        .serialize(ser)
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct Affected {
    pub system: String,
    pub title: String,
    pub depth: u32,
    /// Target system first, this system last; at most [`PATH_END`] systems from each end.
    pub path: Vec<String>,
    /// Systems left out of the middle of a longer `path` (between its 8th and 9th names);
    /// absent when none was.
    #[serde(skip_serializing_if = "is_zero")]
    pub path_left_out: usize,
    /// How this system depends on the previous one in `path`, as a sentence for people
    /// (`consumes pkgdb/api@2, uses GET /api/critpath`); `through` says it for programs.
    pub via_text: String,
    /// Every way this system depends on the previous one in `path` (for a direct consumer: on
    /// the changed system, through the changed APIs): the kind of edge, the API and the
    /// endpoints of it the system declares it uses.
    pub through: Vec<ImpactEdge>,
    /// `declared` when the consumer declared what it uses (or the change is API-wide),
    /// `unknown` when it might use the changed endpoint.
    pub usage: &'static str,
    pub owner: Option<String>,
    pub tier: Option<u8>,
    pub lifecycle: &'static str,
    pub oncall: Option<OnCall>,
    /// Where the edge into this system was declared.
    pub declared_at: String,
}

/// One edge of an affected system towards the change: what it depends on, and how.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct ImpactEdge {
    /// `consumes` (its own `consumes` of an API), `depends_on` (a dependency without an API
    /// contract), `listed` (the provider lists it as a consumer of an API) or `observed` (seen
    /// calling in traffic, declared nowhere; in `observed` only).
    pub kind: &'static str,
    /// The system it depends on: the one before it in `path` (for `observed`: the one it was
    /// seen calling).
    pub system: String,
    /// The API, `system/api@N`; `null` for `depends_on` (and for `observed` when the source
    /// does not say).
    pub api: Option<String>,
    /// The endpoints of `api` it declares it uses (`consumes` with `uses`); `null` when it
    /// declares none: it may use any of them.
    pub endpoints: Option<Vec<EndpointRef>>,
}

/// An endpoint by method and path, as the provider lists it (as the consumer wrote it when the
/// provider lists no such endpoint).
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct EndpointRef {
    pub method: String,
    pub path: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct ExternalAffected {
    pub name: String,
    pub contact: Option<String>,
    pub description: Option<String>,
    /// The API whose provider lists it, `system/api@N`.
    pub api: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct TeamToNotify {
    pub name: String,
    pub title: String,
    /// `false` when the owner named is no team in the files (an org-directory group, say):
    /// it is still listed, by its reference, so nobody is dropped from the notice.
    pub in_catalog: bool,
    pub contacts: BTreeMap<&'static str, String>,
    pub oncall: Option<OnCall>,
    pub systems: Vec<String>,
    /// The best (lowest) tier among the team's affected systems.
    pub top_tier: Option<u8>,
}

#[derive(Serialize, Clone, Debug, Default)]
pub struct ImpactSummary {
    pub direct: usize,
    pub transitive: usize,
    pub total: usize,
    pub external_count: usize,
    pub team_count: usize,
    pub usage_unknown: usize,
    pub by_depth: BTreeMap<u32, usize>,
    /// Keys `1`, `2`, `3` and `none`.
    pub by_tier: BTreeMap<String, usize>,
    pub max_depth_reached: u32,
    /// Observed, undeclared consumers (`observed`); only when the report has observed evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_count: Option<usize>,
}

/// One reached system during a walk.
#[derive(Clone, Copy)]
struct Reached {
    depth: u32,
    parent: u32,
    via: Via,
    unknown: bool,
    loc: Loc,
    /// For direct consumers: which `consumes` entry of theirs matched.
    consumption: Option<u32>,
}

const UNREACHED: u32 = u32::MAX;

/// Computes the impact of changing `t`.
pub fn impact(c: &Catalog, g: &Graph, t: &Target, opts: &ImpactOptions, at: Date) -> ImpactReport {
    report(c, g, t, &analyze(c, g, t, opts), at)
}

/// The raw result of an impact walk: who is reached, at what depth, from where. Cheap to
/// compute; [`report`] turns it into the named, sorted, serialisable [`ImpactReport`].
pub struct ImpactResult {
    reached: Vec<Option<Reached>>,
    /// Reached systems in breadth-first order.
    pub order: Vec<u32>,
    pub external: Vec<ExternalAffected>,
}

impl ImpactResult {
    /// `(depth, parent)` of a reached system.
    pub fn depth_of(&self, system: usize) -> Option<u32> {
        self.reached.get(system).copied().flatten().map(|r| r.depth)
    }

    /// The shortest path from the target to `system` (target first); just the target when
    /// `system` is the target or was not reached.
    pub fn path(&self, c: &Catalog, target: usize, system: usize) -> (Vec<String>, usize) {
        walk_path(c, target, system, |cur| {
            self.reached
                .get(cur)
                .copied()
                .flatten()
                .map(|r| r.parent as usize)
        })
    }
}

/// A "why" path names at most this many systems from each of its ends; a longer one (a chain
/// a committer can make thousands long, where naming every system of every path was quadratic:
/// 209 MB of JSON for a chain of 5,000) leaves out the middle and says how many it left out.
/// Nothing is lost: each entry's `through` names the system before it.
pub const PATH_END: usize = 8;

/// The path from `target` to `system` along `parent` links (`None`: stop, as at the target),
/// target first, with its middle left out when longer than `2 * PATH_END`: the names and how
/// many were left out (between `PATH_END` and `PATH_END + 1`). Walks the whole path: for one
/// path; [`Paths`] names the paths of a whole report in time linear in it.
pub fn walk_path(
    c: &Catalog,
    target: usize,
    system: usize,
    parent: impl Fn(usize) -> Option<usize>,
) -> (Vec<String>, usize) {
    let mut ids = vec![system];
    let mut cur = system;
    while cur != target && ids.len() <= c.systems.len() {
        match parent(cur) {
            Some(p) => {
                cur = p;
                ids.push(cur);
            }
            None => break,
        }
    }
    if ids.last() != Some(&target) {
        ids.push(target);
    }
    ids.reverse();
    bounded(c, &ids, 0)
}

/// Names of `ids` (target first), the middle left out past `2 * PATH_END`; `more` systems
/// are known to be left out already between the two halves.
fn bounded(c: &Catalog, ids: &[usize], more: usize) -> (Vec<String>, usize) {
    let name = |i: &usize| c.systems[*i].name.value.clone();
    if ids.len() <= 2 * PATH_END {
        return (ids.iter().map(name).collect(), more);
    }
    let left_out = ids.len() - 2 * PATH_END + more;
    let path = ids[..PATH_END]
        .iter()
        .chain(&ids[ids.len() - PATH_END..])
        .map(name)
        .collect();
    (path, left_out)
}

/// The "why" paths of one walk from `target` (each system's `parent` and `depth`, the target at
/// depth 0), named in time linear in the walk: a path of any length walks at most
/// `2 * PATH_END` links, its first half reached through the ancestor it shares with its
/// neighbours at depth `PATH_END - 1` (found once per system and remembered). Walking each
/// path in full was quadratic along a chain.
pub struct Paths<P, D> {
    target: usize,
    parent: P,
    depth: D,
    /// The ancestor at depth `PATH_END - 1`, by system; `u32::MAX` when not known yet.
    anchor: Vec<u32>,
}

impl<P: Fn(usize) -> Option<usize>, D: Fn(usize) -> u32> Paths<P, D> {
    pub fn new(systems: usize, target: usize, parent: P, depth: D) -> Self {
        Paths {
            target,
            parent,
            depth,
            anchor: vec![u32::MAX; systems],
        }
    }

    /// `system`'s ancestors going up, itself first, at most `n` of them, stopping at the target.
    fn up(&self, system: usize, n: usize) -> Vec<usize> {
        let mut ids = vec![system];
        let mut cur = system;
        while ids.len() < n && cur != self.target {
            match (self.parent)(cur) {
                Some(p) => {
                    cur = p;
                    ids.push(cur);
                }
                None => break,
            }
        }
        ids
    }

    /// The ancestor of `system` at depth `PATH_END - 1` (`system` itself when not deeper).
    fn anchor(&mut self, system: usize) -> usize {
        let head = PATH_END as u32 - 1;
        let mut seen = Vec::new();
        let mut cur = system;
        let found = loop {
            if (self.depth)(cur) <= head {
                break cur;
            }
            if self.anchor[cur] != u32::MAX {
                break self.anchor[cur] as usize;
            }
            seen.push(cur);
            match (self.parent)(cur) {
                Some(p) if seen.len() <= self.anchor.len() => cur = p,
                _ => break cur,
            }
        };
        for s in seen {
            self.anchor[s] = found as u32;
        }
        found
    }

    /// The path from the target to `c`'s `system`, as [`walk_path`] names it.
    pub fn path(&mut self, c: &Catalog, system: usize) -> (Vec<String>, usize) {
        let len = (self.depth)(system) as usize + 1;
        if len <= 2 * PATH_END {
            let mut ids = self.up(system, len);
            if ids.last() != Some(&self.target) {
                ids.push(self.target);
            }
            ids.reverse();
            return bounded(c, &ids, 0);
        }
        let anchor = self.anchor(system);
        let mut head = self.up(anchor, PATH_END);
        if head.last() != Some(&self.target) {
            head.push(self.target);
        }
        head.reverse();
        let mut tail = self.up(system, PATH_END);
        tail.reverse();
        let shown = head.len() + tail.len();
        let mut ids = head;
        ids.extend(tail);
        let (path, _) = bounded(c, &ids, 0);
        (path, len.saturating_sub(shown))
    }
}

/// A path for people: `a → b → … 4,984 more … → y → z` when its middle was left out.
pub fn path_text(path: &[String], left_out: usize, sep: &str) -> String {
    if left_out == 0 || path.len() < PATH_END {
        return path.join(sep);
    }
    format!(
        "{}{sep}… {} more …{sep}{}",
        path[..PATH_END].join(sep),
        left_out,
        path[PATH_END..].join(sep)
    )
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The walk itself (see the module docs for the semantics).
pub fn analyze(c: &Catalog, g: &Graph, t: &Target, opts: &ImpactOptions) -> ImpactResult {
    let n = c.systems.len();
    let mut reached: Vec<Option<Reached>> = vec![None; n];
    let mut queue: VecDeque<u32> = VecDeque::new();
    let mut external = Vec::new();
    let provider = &c.systems[t.system];
    let endpoint = t.endpoint.as_ref().map(|(_, k)| k);

    let reach =
        |reached: &mut Vec<Option<Reached>>, queue: &mut VecDeque<u32>, s: usize, r: Reached| {
            if s == t.system {
                return;
            }
            match &mut reached[s] {
                Some(prev) => {
                    // Same depth: prefer certain usage over unknown.
                    if prev.depth == r.depth && prev.unknown && !r.unknown {
                        *prev = r;
                    }
                }
                slot @ None => {
                    *slot = Some(r);
                    queue.push_back(s as u32);
                }
            }
        };

    for (ai, a) in provider.provides.iter().enumerate() {
        if !t.matches_api(a) {
            continue;
        }
        // A consumer's own declaration is authoritative: when it declares `uses`, the provider
        // listing it does not make it "usage unknown" for endpoints it does not use.
        let declared: Vec<usize> = g
            .api_consumers(t.system, ai)
            .filter_map(|(node, edge)| match (node, &edge.kind) {
                (Node::System(ci), EdgeKind::Consumes { .. }) => Some(*ci),
                _ => None,
            })
            .collect();
        for (node, edge) in g.api_consumers(t.system, ai) {
            match (node, &edge.kind) {
                (Node::System(ci), EdgeKind::Consumes { uses, consumption }) => {
                    let unknown = match (endpoint, uses) {
                        (None, _) => false,
                        (Some(_), None) => true,
                        (Some(e), Some(list)) if list.contains(e) => false,
                        (Some(_), Some(_)) => continue,
                    };
                    let r = Reached {
                        depth: 1,
                        parent: t.system as u32,
                        via: Via::Consumes { api: ai as u32 },
                        unknown,
                        loc: edge.loc,
                        consumption: Some(*consumption as u32),
                    };
                    reach(&mut reached, &mut queue, *ci, r);
                }
                (Node::System(ci), EdgeKind::ListedConsumer) if !declared.contains(ci) => {
                    let r = Reached {
                        depth: 1,
                        parent: t.system as u32,
                        via: Via::Listed { api: ai as u32 },
                        unknown: endpoint.is_some(),
                        loc: edge.loc,
                        consumption: None,
                    };
                    reach(&mut reached, &mut queue, *ci, r);
                }
                (Node::External { consumer, .. }, _) => {
                    if let Some(ListedConsumer::External(x)) = a.consumers.get(*consumer) {
                        external.push(ExternalAffected {
                            name: x.name.clone(),
                            contact: x.contact.clone(),
                            description: x.description.clone(),
                            api: a.reference(&provider.name.value),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    // Systems that depend on the target system without an API contract may use anything it offers.
    for l in g.dependents(t.system) {
        if l.via == Via::DependsOn {
            let r = Reached {
                depth: 1,
                parent: t.system as u32,
                via: Via::DependsOn,
                unknown: t.api.is_some(),
                loc: l.loc,
                consumption: None,
            };
            reach(&mut reached, &mut queue, l.system as usize, r);
        }
    }

    let max_depth = if opts.direct_only {
        1
    } else {
        opts.max_depth.unwrap_or(u32::MAX)
    };
    while let Some(s) = queue.pop_front() {
        let depth = reached[s as usize].map(|r| r.depth).unwrap_or(UNREACHED);
        if depth >= max_depth {
            continue;
        }
        for l in g.dependents(s as usize) {
            let r = Reached {
                depth: depth + 1,
                parent: s,
                via: l.via,
                unknown: false,
                loc: l.loc,
                consumption: None,
            };
            reach(&mut reached, &mut queue, l.system as usize, r);
        }
    }

    let order = reached
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_some())
        .map(|(i, _)| i as u32)
        .collect();
    ImpactResult {
        reached,
        order,
        external,
    }
}

/// Names, sorts and summarises an impact walk.
pub fn report(c: &Catalog, g: &Graph, t: &Target, res: &ImpactResult, at: Date) -> ImpactReport {
    report_page(c, g, t, res, at, None)
}

/// [`report`] with `affected`, `external` and `teams` cut to `limit` entries of each from
/// `offset` (`window`, `(offset, limit)`); the summary counts them all. Only the window's
/// systems are named, given a path and an on-call: a page of a hub's 94,218 affected systems
/// (44 MB whole at 100,000 systems) builds 500 of them, not all.
pub fn report_page(
    c: &Catalog,
    g: &Graph,
    t: &Target,
    res: &ImpactResult,
    at: Date,
    window: Option<(usize, usize)>,
) -> ImpactReport {
    let provider = &c.systems[t.system];
    let name = |i: u32| c.systems[i as usize].name.value.as_str();
    let tier = |i: u32| c.systems[i as usize].tier;
    let part = |len: usize| match window {
        None => 0..len,
        Some((offset, limit)) => {
            let start = offset.min(len);
            start..start.saturating_add(limit).min(len)
        }
    };
    // Affected systems in report order: nearest first, then most critical, then by name.
    let mut order: Vec<(u32, Reached)> = res
        .order
        .iter()
        .filter_map(|&i| res.reached[i as usize].map(|r| (i, r)))
        .collect();
    order.sort_by(|(a, ra), (b, rb)| {
        (ra.depth, tier(*a).unwrap_or(9), name(*a)).cmp(&(
            rb.depth,
            tier(*b).unwrap_or(9),
            name(*b),
        ))
    });

    let mut summary = ImpactSummary {
        total: order.len(),
        ..Default::default()
    };
    for &(i, r) in &order {
        summary.direct += usize::from(r.depth == 1);
        summary.usage_unknown += usize::from(r.unknown);
        *summary.by_depth.entry(r.depth).or_default() += 1;
        let tier = tier(i)
            .map(|t| t.to_string())
            .unwrap_or_else(|| "none".into());
        *summary.by_tier.entry(tier).or_default() += 1;
        summary.max_depth_reached = summary.max_depth_reached.max(r.depth);
    }
    summary.transitive = summary.total - summary.direct;

    // The teams to notify: each owner (teams not in the files too) with its affected systems
    // in report order and their best tier; most critical first.
    let mut by_team: BTreeMap<&str, (Vec<u32>, Option<u8>)> = BTreeMap::new();
    for &(i, _) in &order {
        let owner = c.systems[i as usize].owner_name().unwrap_or("(no owner)");
        let e = by_team.entry(owner).or_default();
        e.0.push(i);
        e.1 = match (e.1, tier(i)) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
    }
    let mut teams: Vec<(&str, Vec<u32>, Option<u8>)> = by_team
        .into_iter()
        .map(|(team, (systems, top))| (team, systems, top))
        .collect();
    teams.sort_by(|a, b| (a.2.unwrap_or(9), a.0).cmp(&(b.2.unwrap_or(9), b.0)));
    summary.team_count = teams.len();

    let mut external = res.external.clone();
    external.sort_by(|a, b| (&a.name, &a.api).cmp(&(&b.name, &b.api)));
    external.dedup_by(|a, b| a.name == b.name && a.contact == b.contact);
    summary.external_count = external.len();

    let mut oncall_cache: std::collections::HashMap<&str, Option<OnCall>> =
        std::collections::HashMap::new();
    let mut paths = Paths::new(
        c.systems.len(),
        t.system,
        |cur: usize| res.reached[cur].map(|x| x.parent as usize),
        |cur: usize| res.reached[cur].map_or(0, |x| x.depth),
    );
    let affected = order[part(order.len())]
        .iter()
        .map(|(i, r)| {
            let s = &c.systems[*i as usize];
            let oncall = s.owner_name().and_then(|o| {
                oncall_cache
                    .entry(o)
                    .or_insert_with(|| c.team(o).and_then(|t| on_call(t, at)))
                    .clone()
            });
            affected_entry(c, g, t, &mut paths, *i as usize, r, oncall)
        })
        .collect();
    let teams = teams[part(teams.len())]
        .iter()
        .map(|(team_name, systems, top_tier)| {
            let team = c.team(team_name);
            TeamToNotify {
                name: team_name.to_string(),
                title: team
                    .map(|t| t.display_title().to_string())
                    .unwrap_or_else(|| team_name.to_string()),
                in_catalog: team.is_some(),
                contacts: team.map(|t| t.contacts.by_label()).unwrap_or_default(),
                oncall: team.and_then(|t| on_call(t, at)),
                systems: systems.iter().map(|&i| name(i).to_string()).collect(),
                top_tier: *top_tier,
            }
        })
        .collect();
    let external = external.drain(part(external.len())).collect();
    ImpactReport {
        target: t.display(c),
        target_system: provider.name.value.clone(),
        target_owner: provider.owner_name().map(str::to_string),
        affected,
        external,
        teams,
        summary,
        observed: None,
        page: None,
    }
}

fn via_text(c: &Catalog, provider: usize, via: Via) -> String {
    let p = &c.systems[provider];
    match via {
        Via::Consumes { api } => format!(
            "consumes {}",
            p.provides[api as usize].reference(&p.name.value)
        ),
        Via::Listed { api } => format!(
            "listed by {} as a consumer of {}",
            p.name.value,
            p.provides[api as usize].reference(&p.name.value)
        ),
        Via::DependsOn => format!("depends on {}", p.name.value),
    }
}

/// The endpoints system `s` declares it uses of API `a` of `provider` over all its `consumes`
/// of it; `None` when one of them lists no `uses` (any endpoint) or none matches.
fn declared_uses<'a>(c: &Catalog, s: &'a System, provider: usize, a: &Api) -> Option<Vec<&'a str>> {
    let mut out: Vec<&str> = Vec::new();
    let mut matched = false;
    for k in &s.consumes {
        if c.system_index.get(&k.api.system) != Some(&provider)
            || k.api.api.as_deref().is_some_and(|x| x != a.name.value)
            || k.api.version.is_some_and(|v| v != a.version)
        {
            continue;
        }
        matched = true;
        out.extend(k.uses.as_ref()?.iter().map(|e| e.value.as_str()));
    }
    matched.then_some(out)
}

/// `METHOD /path` as the provider lists it, else as written.
fn endpoint_ref(a: &Api, written: &str) -> EndpointRef {
    if let Some(e) = EndpointKey::parse(written).and_then(|k| a.find_endpoint(&k)) {
        return EndpointRef {
            method: e.method.clone(),
            path: e.path.clone(),
        };
    }
    match written.trim().split_once(char::is_whitespace) {
        Some((m, p)) => EndpointRef {
            method: m.to_ascii_uppercase(),
            path: p.trim().to_string(),
        },
        None => EndpointRef {
            method: String::new(),
            path: written.trim().to_string(),
        },
    }
}

/// Every edge from system `s` to `parent` that carries the change (see [`Affected::through`]):
/// into the target system, only its changed APIs, and for an endpoint target only the
/// consumptions that use it or do not say; a provider's listing of a consumer that declares
/// its own consumption of that API is that consumption.
pub fn edges_towards(
    c: &Catalog,
    g: &Graph,
    t: &Target,
    s: usize,
    parent: usize,
) -> Vec<ImpactEdge> {
    let sys = &c.systems[s];
    let p = &c.systems[parent];
    let into_target = parent == t.system;
    let endpoint = t.endpoint.as_ref().filter(|_| into_target).map(|(_, k)| k);
    let links: Vec<Via> = g
        .dependencies(s)
        .iter()
        .filter(|l| l.system as usize == parent)
        .map(|l| l.via)
        .collect();
    let changed = |api: u32| !into_target || t.matches_api(&p.provides[api as usize]);
    let mut out = Vec::new();
    for &via in &links {
        match via {
            Via::Consumes { api } if changed(api) => {
                let a = &p.provides[api as usize];
                let uses = declared_uses(c, sys, parent, a);
                if let (Some(e), Some(list)) = (endpoint, &uses) {
                    if !list
                        .iter()
                        .any(|u| EndpointKey::parse(u).as_ref() == Some(e))
                    {
                        continue;
                    }
                }
                let mut endpoints: Option<Vec<EndpointRef>> =
                    uses.map(|u| u.iter().map(|w| endpoint_ref(a, w)).collect());
                if let Some(list) = &mut endpoints {
                    let mut seen = Vec::new();
                    list.retain(|e| {
                        let new = !seen.contains(e);
                        if new {
                            seen.push(e.clone());
                        }
                        new
                    });
                }
                out.push(ImpactEdge {
                    kind: "consumes",
                    system: p.name.value.clone(),
                    api: Some(a.reference(&p.name.value)),
                    endpoints,
                });
            }
            Via::Listed { api } if changed(api) && !links.contains(&Via::Consumes { api }) => {
                out.push(ImpactEdge {
                    kind: "listed",
                    system: p.name.value.clone(),
                    api: Some(p.provides[api as usize].reference(&p.name.value)),
                    endpoints: None,
                });
            }
            Via::DependsOn => out.push(ImpactEdge {
                kind: "depends_on",
                system: p.name.value.clone(),
                api: None,
                endpoints: None,
            }),
            _ => {}
        }
    }
    out
}

#[allow(clippy::type_complexity)]
fn affected_entry(
    c: &Catalog,
    g: &Graph,
    t: &Target,
    paths: &mut Paths<impl Fn(usize) -> Option<usize>, impl Fn(usize) -> u32>,
    i: usize,
    r: &Reached,
    oncall: Option<OnCall>,
) -> Affected {
    let s = &c.systems[i];
    let (path, path_left_out) = paths.path(c, i);
    Affected {
        system: s.name.value.clone(),
        title: s.display_title().to_string(),
        depth: r.depth,
        path,
        path_left_out,
        through: edges_towards(c, g, t, i, r.parent as usize),
        via_text: {
            let mut v = via_text(c, r.parent as usize, r.via);
            let uses = r
                .consumption
                .and_then(|k| s.consumes.get(k as usize))
                .and_then(|k| k.uses.as_ref());
            if let Some(u) = uses {
                let list: Vec<&str> = u.iter().map(|e| e.value.as_str()).collect();
                v.push_str(&format!(", uses {}", list.join(", ")));
            }
            v
        },
        usage: if r.unknown { "unknown" } else { "declared" },
        owner: s.owner_name().map(str::to_string),
        tier: s.tier,
        lifecycle: s.lifecycle.as_str(),
        oncall,
        declared_at: format!("{}:{}", c.file_path(r.loc.file), r.loc.line),
    }
}

/// `cairn deps`: what a system depends on, transitively ("what can break me").
#[derive(Serialize, Clone, Debug)]
pub struct DepsReport {
    pub system: String,
    pub dependencies: Vec<Dependency>,
    pub summary: DepsSummary,
}

#[derive(Serialize, Clone, Debug)]
pub struct Dependency {
    pub system: String,
    pub title: String,
    pub depth: u32,
    /// This system first, the dependency last; at most [`PATH_END`] systems from each end.
    pub path: Vec<String>,
    /// Systems left out of the middle of a longer `path`; absent when none was.
    #[serde(skip_serializing_if = "is_zero")]
    pub path_left_out: usize,
    /// How the previous system in `path` depends on this one, as a sentence for people.
    pub via_text: String,
    pub owner: Option<String>,
    pub tier: Option<u8>,
    pub lifecycle: &'static str,
}

#[derive(Serialize, Clone, Debug, Default)]
pub struct DepsSummary {
    pub direct: usize,
    pub total: usize,
    pub by_depth: BTreeMap<u32, usize>,
    /// Dependencies owned by other teams.
    pub other_team_count: usize,
}

pub fn deps(c: &Catalog, g: &Graph, system: usize, max_depth: Option<u32>) -> DepsReport {
    let n = c.systems.len();
    let mut reached: Vec<Option<(u32, u32, Via)>> = vec![None; n];
    let mut queue = VecDeque::from([(system as u32, 0u32)]);
    let max_depth = max_depth.unwrap_or(u32::MAX);
    while let Some((s, depth)) = queue.pop_front() {
        if depth >= max_depth {
            continue;
        }
        for l in g.dependencies(s as usize) {
            let d = l.system as usize;
            if d == system || reached[d].is_some() {
                continue;
            }
            reached[d] = Some((depth + 1, s, l.via));
            queue.push_back((l.system, depth + 1));
        }
    }
    let me = &c.systems[system];
    let mut out = Vec::new();
    let mut paths = Paths::new(
        n,
        system,
        |cur: usize| reached[cur].map(|x| x.1 as usize),
        |cur: usize| reached[cur].map_or(0, |x| x.0),
    );
    for (i, r) in reached.iter().enumerate() {
        let Some((depth, _, via)) = *r else {
            continue;
        };
        let s = &c.systems[i];
        let (path, path_left_out) = paths.path(c, i);
        let via_text = match via {
            Via::Consumes { api } => format!(
                "consumes {}",
                s.provides[api as usize].reference(&s.name.value)
            ),
            Via::Listed { api } => format!(
                "listed as a consumer of {}",
                s.provides[api as usize].reference(&s.name.value)
            ),
            Via::DependsOn => "depends_on".to_string(),
        };
        out.push(Dependency {
            system: s.name.value.clone(),
            title: s.display_title().to_string(),
            depth,
            path,
            path_left_out,
            via_text,
            owner: s.owner_name().map(str::to_string),
            tier: s.tier,
            lifecycle: s.lifecycle.as_str(),
        });
    }
    out.sort_by(|a, b| {
        (a.depth, a.tier.unwrap_or(9), &a.system).cmp(&(b.depth, b.tier.unwrap_or(9), &b.system))
    });
    let mut summary = DepsSummary {
        direct: out.iter().filter(|d| d.depth == 1).count(),
        total: out.len(),
        other_team_count: out
            .iter()
            .filter(|d| d.owner.as_deref() != me.owner_name())
            .count(),
        ..Default::default()
    };
    for d in &out {
        *summary.by_depth.entry(d.depth).or_default() += 1;
    }
    DepsReport {
        system: me.name.value.clone(),
        dependencies: out,
        summary,
    }
}
