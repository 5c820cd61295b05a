//! Stable, serialisable views of catalog entities: the JSON the CLI prints and the web API serves.
//!
//! Internal model types are never serialised directly; these structs are the public contract
//! (described by the OpenAPI document served at `/api/v1/openapi.json`), built from a snapshot and its graph.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::date::Date;
use crate::graph::{EdgeKind, Graph, Node};
use crate::model::*;
use crate::oncall::{on_call, OnCall};

#[derive(Serialize, Clone, Debug)]
pub struct TeamRef {
    pub name: String,
    pub title: String,
    /// `false` when no team of that name is in the files (it may live in the org directory):
    /// the reference is still shown, marked "not in the catalog".
    pub in_catalog: bool,
    pub contacts: BTreeMap<&'static str, String>,
    pub oncall: Option<OnCall>,
}

pub fn team_ref(c: &Catalog, name: &str, at: Date) -> TeamRef {
    match c.team(name) {
        Some(t) => TeamRef {
            name: t.name.value.clone(),
            title: t.display_title().to_string(),
            in_catalog: true,
            contacts: t.contacts.by_label(),
            oncall: on_call(t, at),
        },
        None => TeamRef {
            name: name.to_string(),
            title: name.to_string(),
            in_catalog: false,
            contacts: BTreeMap::new(),
            oncall: None,
        },
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct SystemView {
    pub kind: &'static str,
    pub name: String,
    pub title: String,
    pub description: String,
    pub owner: Option<TeamRef>,
    /// Who is on call for this system now: its owner team's (`owner.oncall`, what the system
    /// page shows); `null` when the owner is not in the catalog or has no rotation.
    pub oncall: Option<OnCall>,
    pub domain: Option<String>,
    pub lifecycle: &'static str,
    pub tier: Option<u8>,
    pub tags: Vec<String>,
    pub aliases: Vec<String>,
    pub repo: Option<String>,
    pub links: Vec<LinkView>,
    pub environments: BTreeMap<String, String>,
    pub docs: Vec<String>,
    pub runbook: Option<DocRefView>,
    pub provides: Vec<ApiView>,
    pub consumes: Vec<ConsumesView>,
    pub depends_on: Vec<String>,
    /// Systems that depend directly on this one, by any edge.
    pub dependents: Vec<String>,
    pub ilities: BTreeMap<String, IlityView>,
    pub support: BTreeMap<String, String>,
    /// Imported from Backstage `metadata.annotations` / `metadata.labels`.
    pub annotations: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub file: String,
    pub line: u32,
    /// Where `file` comes from when the catalog is read from sources (docs/sources.md): the
    /// source, its repository, the path inside it, the revision read, an edit link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Provenance>,
    /// Who was seen calling this system in observed traffic (declared or not); present only
    /// when observed sources are configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observed_callers: Option<Vec<crate::drift::ObservedCaller>>,
}

/// Where a file of a catalog read from sources comes from.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    /// The source's name (its entry in the settings' `sources:`).
    pub source: String,
    /// `git` or `directory`.
    pub kind: String,
    /// The repository URL, or the directory inside the catalog.
    pub repository: String,
    /// The path inside the source.
    pub path: String,
    /// The commit read (git sources).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// From the source's `web` pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit_url: Option<String>,
    /// The source's last fetch failed: these are its last good files.
    pub stale: bool,
}

impl Provenance {
    /// The revision's first twelve characters, for display.
    pub fn short_revision(&self) -> &str {
        self.revision
            .as_deref()
            .map(crate::sources::short)
            .unwrap_or("")
    }
}

/// Where `path` (of the served tree) comes from, when the catalog is read from sources.
pub fn provenance(c: &Catalog, path: &str) -> Option<Provenance> {
    let (s, inside) = crate::sources::split_path(c, path)?;
    Some(Provenance {
        source: s.name.clone(),
        kind: s.kind.clone(),
        repository: s.location.clone(),
        path: inside.to_string(),
        revision: s.revision.clone(),
        edit_url: s.edit_url(inside),
        stale: s.is_stale(),
    })
}

#[derive(Serialize, Clone, Debug)]
pub struct LinkView {
    pub title: String,
    pub url: String,
    pub kind: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "lowercase")]
pub enum DocRefView {
    Path(String),
    Url(String),
}

#[derive(Serialize, Clone, Debug)]
pub struct IlityView {
    pub rating: Option<u8>,
    pub notes: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct ApiView {
    #[serde(rename = "ref")]
    pub reference: String,
    pub name: String,
    pub version: u32,
    pub kind: &'static str,
    pub description: String,
    pub lifecycle: &'static str,
    pub sunset: Option<String>,
    pub spec: Option<String>,
    pub endpoints: Vec<EndpointView>,
    /// Every consumer known: declared by themselves (`consumes`) or listed by the provider.
    pub consumers: Vec<ConsumerView>,
}

#[derive(Serialize, Clone, Debug)]
pub struct EndpointView {
    pub method: String,
    pub path: String,
    pub operation_id: Option<String>,
    pub summary: Option<String>,
    pub deprecated: bool,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConsumerView {
    /// A catalog system, or `None` for an external consumer.
    pub system: Option<String>,
    pub name: String,
    pub contact: Option<String>,
    /// `declared` (the consumer's own `consumes`), `listed` (by the provider) or both.
    pub declared_by: &'static str,
    /// Endpoints used, when declared.
    pub uses: Option<Vec<String>>,
}

#[derive(Serialize, Clone, Debug)]
pub struct ConsumesView {
    pub api: String,
    pub uses: Option<Vec<String>>,
    pub notes: Option<String>,
}

pub fn system_view(c: &Catalog, g: &Graph, idx: usize, at: Date) -> SystemView {
    let s = &c.systems[idx];
    let provides = s
        .provides
        .iter()
        .enumerate()
        .map(|(ai, a)| ApiView {
            reference: a.reference(&s.name.value),
            name: a.name.value.clone(),
            version: a.version,
            kind: a.kind.as_str(),
            description: a.description.clone(),
            lifecycle: a.lifecycle.as_str(),
            sunset: a.sunset.as_ref().map(|d| d.value.clone()),
            spec: a.spec.as_ref().map(|p| p.value.clone()),
            endpoints: a
                .endpoints
                .iter()
                .map(|e| EndpointView {
                    method: e.method.clone(),
                    path: e.path.clone(),
                    operation_id: e.operation_id.clone(),
                    summary: e.summary.clone(),
                    deprecated: e.deprecated,
                })
                .collect(),
            consumers: api_consumers(c, g, idx, ai),
        })
        .collect();
    let mut dependents: Vec<String> = g
        .dependents(idx)
        .iter()
        .map(|l| c.systems[l.system as usize].name.value.clone())
        .collect();
    dependents.dedup();
    let owner = s.owner.as_ref().map(|o| team_ref(c, &o.value, at));
    SystemView {
        kind: "system",
        name: s.name.value.clone(),
        title: s.display_title().to_string(),
        description: s.description.clone(),
        oncall: owner.as_ref().and_then(|o| o.oncall.clone()),
        owner,
        domain: s.domain.as_ref().map(|d| d.value.clone()),
        lifecycle: s.lifecycle.as_str(),
        tier: s.tier,
        tags: s.tags.clone(),
        aliases: s.aliases.iter().map(|a| a.value.clone()).collect(),
        repo: s.repo.clone(),
        links: s
            .links
            .iter()
            .map(|l| LinkView {
                title: l.title.clone(),
                url: l.url.clone(),
                kind: l.kind.clone(),
            })
            .collect(),
        environments: s.environments.clone(),
        docs: s.docs.iter().map(|d| d.value.clone()).collect(),
        runbook: s.runbook.as_ref().map(|r| match &r.value {
            DocRef::Path(p) => DocRefView::Path(p.clone()),
            DocRef::Url(u) => DocRefView::Url(u.clone()),
        }),
        provides,
        consumes: s
            .consumes
            .iter()
            .map(|k| ConsumesView {
                api: k.api.value.to_string(),
                uses: k
                    .uses
                    .as_ref()
                    .map(|u| u.iter().map(|e| e.value.clone()).collect()),
                notes: k.notes.clone(),
            })
            .collect(),
        depends_on: s.depends_on.iter().map(|d| d.value.clone()).collect(),
        dependents,
        ilities: s
            .ilities
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    IlityView {
                        rating: v.rating,
                        notes: v.notes.clone(),
                    },
                )
            })
            .collect(),
        support: s.support.clone(),
        annotations: s.annotations.clone(),
        labels: s.labels.clone(),
        file: c.file_path(s.loc.file).to_string(),
        line: s.loc.line,
        source: provenance(c, c.file_path(s.loc.file)),
        observed_callers: None,
    }
}

/// Consumers of one API, merged from both sides, sorted by name.
pub fn api_consumers(c: &Catalog, g: &Graph, system: usize, api: usize) -> Vec<ConsumerView> {
    let a = &c.systems[system].provides[api];
    let mut by_system: BTreeMap<String, ConsumerView> = BTreeMap::new();
    let mut external = Vec::new();
    for (node, edge) in g.api_consumers(system, api) {
        match (node, &edge.kind) {
            (Node::System(ci), EdgeKind::Consumes { uses, .. }) => {
                let name = c.systems[*ci].name.value.clone();
                let e = by_system
                    .entry(name.clone())
                    .or_insert_with(|| ConsumerView {
                        system: Some(name.clone()),
                        name,
                        contact: None,
                        declared_by: "declared",
                        uses: None,
                    });
                if e.declared_by == "listed" {
                    e.declared_by = "both";
                }
                e.uses = uses.as_ref().map(|u| {
                    u.iter()
                        .map(|k| {
                            a.find_endpoint(k)
                                .map(Endpoint::label)
                                .unwrap_or_else(|| k.as_str().to_string())
                        })
                        .collect()
                });
            }
            (Node::System(ci), EdgeKind::ListedConsumer) => {
                let name = c.systems[*ci].name.value.clone();
                let e = by_system
                    .entry(name.clone())
                    .or_insert_with(|| ConsumerView {
                        system: Some(name.clone()),
                        name,
                        contact: None,
                        declared_by: "listed",
                        uses: None,
                    });
                if e.declared_by == "declared" {
                    e.declared_by = "both";
                }
            }
            (Node::External { consumer, .. }, _) => {
                if let Some(ListedConsumer::External(x)) = a.consumers.get(*consumer) {
                    external.push(ConsumerView {
                        system: None,
                        name: x.name.clone(),
                        contact: x.contact.clone(),
                        declared_by: "listed",
                        uses: None,
                    });
                }
            }
        }
    }
    let mut out: Vec<ConsumerView> = by_system.into_values().collect();
    external.sort();
    out.extend(external);
    out
}

#[derive(Serialize, Clone, Debug)]
pub struct MemberView {
    pub name: String,
    pub email: Option<String>,
    pub role: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct TeamView {
    pub kind: &'static str,
    pub name: String,
    pub title: String,
    pub description: String,
    pub contacts: BTreeMap<&'static str, String>,
    pub members: Vec<MemberView>,
    pub oncall: Option<OnCall>,
    pub systems: Vec<String>,
    /// Systems outside the team that the team's systems depend on, with who owns them.
    pub external_dependencies: Vec<ExternalDependency>,
    pub file: String,
    pub line: u32,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExternalDependency {
    pub system: String,
    pub owner: Option<String>,
    /// The team's systems that depend on it.
    pub used_by: Vec<String>,
}

pub fn team_view(c: &Catalog, g: &Graph, idx: usize, at: Date) -> TeamView {
    let t = &c.teams[idx];
    let name = t.name.value.as_str();
    let owned: Vec<usize> = (0..c.systems.len())
        .filter(|&i| c.systems[i].owner_name() == Some(name))
        .collect();
    let mut ext: BTreeMap<String, ExternalDependency> = BTreeMap::new();
    for &si in &owned {
        for l in g.dependencies(si) {
            let dep = &c.systems[l.system as usize];
            if dep.owner_name() == Some(name) {
                continue;
            }
            let e = ext
                .entry(dep.name.value.clone())
                .or_insert_with(|| ExternalDependency {
                    system: dep.name.value.clone(),
                    owner: dep.owner_name().map(str::to_string),
                    used_by: Vec::new(),
                });
            let user = c.systems[si].name.value.clone();
            if !e.used_by.contains(&user) {
                e.used_by.push(user);
            }
        }
    }
    TeamView {
        kind: "team",
        name: name.to_string(),
        title: t.display_title().to_string(),
        description: t.description.clone(),
        contacts: t.contacts.by_label(),
        members: t
            .members
            .iter()
            .map(|m| MemberView {
                name: m.name.value.clone(),
                email: m.email.clone(),
                role: m.role.clone(),
            })
            .collect(),
        oncall: on_call(t, at),
        systems: owned
            .iter()
            .map(|&i| c.systems[i].name.value.clone())
            .collect(),
        external_dependencies: ext.into_values().collect(),
        file: c.file_path(t.loc.file).to_string(),
        line: t.loc.line,
    }
}

#[derive(Serialize, Clone, Debug)]
pub struct DomainView {
    pub kind: &'static str,
    pub name: String,
    pub title: String,
    pub description: String,
    pub owner: Option<String>,
    pub systems: Vec<String>,
    pub file: String,
    pub line: u32,
}

pub fn domain_view(c: &Catalog, idx: usize) -> DomainView {
    let d = &c.domains[idx];
    DomainView {
        kind: "domain",
        name: d.name.value.clone(),
        title: if d.title.is_empty() {
            d.name.value.clone()
        } else {
            d.title.clone()
        },
        description: d.description.clone(),
        owner: d.owner.as_ref().map(|o| o.value.clone()),
        systems: c
            .systems
            .iter()
            .filter(|s| s.domain.as_ref().is_some_and(|x| x.value == d.name.value))
            .map(|s| s.name.value.clone())
            .collect(),
        file: c.file_path(d.loc.file).to_string(),
        line: d.loc.line,
    }
}

#[derive(Serialize)]
pub struct DiagnosticsView<'a> {
    pub diagnostics: Vec<DiagnosticView<'a>>,
    /// Files whose newest version has errors and is not served (per-file last good).
    pub held: Vec<HeldView<'a>>,
    pub summary: Summary,
}

/// A file whose newest version has errors of its own: its last good version is served
/// (`served: "last-good"`), or, when it never loaded without errors, what could be read of it
/// (`"as-read"`), or nothing (`"left-out"`: it could not be read, or takes a name another file
/// holds).
#[derive(Serialize)]
pub struct HeldView<'a> {
    pub file: &'a str,
    pub served: &'static str,
    /// When its newest version was first found broken (UTC); only from a running server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    pub error_count: usize,
    /// The first error of its newest version.
    pub cause: DiagnosticView<'a>,
}

#[derive(Serialize)]
pub struct DiagnosticView<'a> {
    pub severity: &'static str,
    pub code: &'static str,
    pub file: &'a str,
    pub line: u32,
    pub column: u32,
    pub message: &'a str,
    pub hint: Option<&'a str>,
    /// `file:line:column` of the root cause this follows from, under which it is listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<&'a str>,
}

fn diagnostic_view(d: &crate::diag::Diagnostic) -> DiagnosticView<'_> {
    DiagnosticView {
        severity: d.severity.as_str(),
        code: d.code,
        file: &d.file,
        line: d.line,
        column: d.column,
        message: &d.message,
        hint: d.hint.as_deref(),
        cause: d.cause.as_deref(),
    }
}

#[derive(Serialize)]
pub struct Summary {
    pub file_count: usize,
    pub system_count: usize,
    pub team_count: usize,
    pub domain_count: usize,
    pub api_count: usize,
    pub error_count: usize,
    pub warning_count: usize,
}

pub fn summary(c: &Catalog) -> Summary {
    Summary {
        file_count: c.files.len(),
        system_count: c.systems.len(),
        team_count: c.teams.len(),
        domain_count: c.domains.len(),
        api_count: c.api_count(),
        error_count: c.errors(),
        warning_count: c.warnings(),
    }
}

/// The JSON shape of `cairn check --format json` and `/api/v1/diagnostics`: `diags` (root
/// causes first) and the files of `held` that are not served; `with_since` adds when each was
/// first found broken (a server's view; `check` has no history).
pub fn diagnostics_view<'a>(
    diags: &'a [crate::diag::Diagnostic],
    held: &'a [HeldFile],
    with_since: bool,
    summary: Summary,
) -> DiagnosticsView<'a> {
    DiagnosticsView {
        diagnostics: diags.iter().map(diagnostic_view).collect(),
        held: held
            .iter()
            .map(|h| HeldView {
                file: &h.path,
                served: h.served.as_str(),
                since: with_since.then(|| Date::timestamp(h.since)),
                error_count: h.errors,
                cause: diagnostic_view(&h.cause),
            })
            .collect(),
        summary,
    }
}

// ---------------------------------------------------------------- readiness

/// The JSON shape of `cairn score --format json` and `/api/v1/score`.
#[derive(Serialize, Clone, Debug)]
pub struct ScoreReport {
    pub scorecard: ScorecardView,
    pub systems: Vec<SystemScoreView>,
    pub summary: ScoreSummary,
    /// Which part of the sorted list `systems` is, when the answer is paged (the API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<PageView>,
}

pub use crate::paging::PageView;

#[derive(Serialize, Clone, Debug)]
pub struct ScorecardView {
    /// The settings file the scorecard comes from, or `null` for the built-in default.
    pub source: Option<String>,
    /// Lowest first.
    pub levels: Vec<LevelView>,
}

#[derive(Serialize, Clone, Debug)]
pub struct LevelView {
    pub name: String,
    pub title: String,
    pub description: String,
    pub rules: Vec<RuleView>,
}

#[derive(Serialize, Clone, Debug)]
pub struct RuleView {
    pub id: String,
    pub title: String,
    /// What is checked, e.g. `support: database, logs`.
    pub check: String,
    /// Which systems the rule applies to (`tier 1 or 2`); `null` for every system.
    pub applies_to: Option<String>,
    pub hint: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct SystemScoreView {
    pub name: String,
    pub title: String,
    pub owner: Option<String>,
    pub tier: Option<u8>,
    pub lifecycle: &'static str,
    /// The highest level reached; `null` below the first level.
    pub level: Option<String>,
    /// The level to work towards; `null` at the top.
    pub next_level: Option<String>,
    pub passed: Vec<PassedRule>,
    /// Every applicable rule not passed, lowest level first.
    pub missing: Vec<MissingRule>,
}

#[derive(Serialize, Clone, Debug)]
pub struct PassedRule {
    pub rule: String,
    pub level: String,
    pub title: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct MissingRule {
    pub rule: String,
    pub level: String,
    pub title: String,
    /// What exactly is missing (`no \`support.database\``).
    pub detail: String,
    pub hint: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct ScoreSummary {
    /// Systems scored (retired systems are not).
    pub system_count: usize,
    pub not_scored: usize,
    /// Systems below the first level.
    pub below_first_level: usize,
    /// How many systems stopped at each level, lowest first.
    pub levels: Vec<LevelCount>,
    pub min_level: Option<String>,
    /// Systems below `min_level` (empty without one).
    pub below_min_level: Vec<String>,
    /// `false` when some system is below `min_level`.
    pub ok: bool,
}

#[derive(Serialize, Clone, Debug)]
pub struct LevelCount {
    pub level: String,
    pub title: String,
    pub system_count: usize,
}

/// Which systems a score report covers.
#[derive(Clone, Debug, Default)]
pub struct ScoreFilter {
    /// One system (index).
    pub system: Option<usize>,
    /// Systems owned by this team.
    pub team: Option<String>,
    /// Index of the level every system must reach.
    pub min_level: Option<usize>,
    /// Only these systems' views, `(offset, limit)` into the sorted list: the summary still
    /// counts every selected system (the API's paging).
    pub page: Option<(usize, usize)>,
}

pub fn level_views(sc: &Scorecard) -> Vec<LevelView> {
    sc.levels
        .iter()
        .map(|l| LevelView {
            name: l.name.clone(),
            title: l.title.clone(),
            description: l.description.clone(),
            rules: l
                .rules
                .iter()
                .map(|r| RuleView {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    check: crate::score::describe_check(&r.check),
                    applies_to: crate::score::describe_selector(&r.when),
                    hint: r.hint.clone(),
                })
                .collect(),
        })
        .collect()
}

pub fn system_score_view(
    c: &Catalog,
    sc: &Scorecard,
    s: &crate::score::SystemScore,
) -> SystemScoreView {
    let sys = &c.systems[s.system];
    let rule = |o: &crate::score::Outcome| &sc.levels[o.level].rules[o.rule];
    SystemScoreView {
        name: sys.name.value.clone(),
        title: sys.display_title().to_string(),
        owner: sys.owner_name().map(str::to_string),
        tier: sys.tier,
        lifecycle: sys.lifecycle.as_str(),
        level: s.level.map(|l| sc.levels[l].name.clone()),
        next_level: s.next_level(sc).map(|l| sc.levels[l].name.clone()),
        passed: s
            .passed()
            .map(|o| PassedRule {
                rule: rule(o).id.clone(),
                level: sc.levels[o.level].name.clone(),
                title: rule(o).title.clone(),
            })
            .collect(),
        missing: s
            .missing()
            .map(|o| MissingRule {
                rule: rule(o).id.clone(),
                level: sc.levels[o.level].name.clone(),
                title: rule(o).title.clone(),
                detail: o.missing.clone().unwrap_or_default(),
                hint: rule(o).hint.clone(),
            })
            .collect(),
    }
}

/// Scores the systems selected by `f`, sorted by name. `score` is the readiness of a system
/// (`None` when it is not scored): a snapshot's ([`crate::snapshot::Snapshot::score`]).
pub fn score_report(
    c: &Catalog,
    f: &ScoreFilter,
    score: &dyn Fn(usize) -> Option<std::sync::Arc<crate::score::SystemScore>>,
) -> ScoreReport {
    let eff = crate::score::effective(c);
    let sc = eff.scorecard;
    let selected: Vec<usize> = (0..c.systems.len())
        .filter(|&i| f.system.is_none_or(|s| s == i))
        .filter(|&i| {
            f.team
                .as_deref()
                .is_none_or(|t| c.systems[i].owner_name() == Some(t))
        })
        .collect();
    let mut scores: Vec<_> = selected.iter().filter_map(|&i| score(i)).collect();
    scores.sort_by(|a, b| {
        c.systems[a.system]
            .name
            .value
            .cmp(&c.systems[b.system].name.value)
    });
    let mut counts = vec![0usize; sc.levels.len()];
    let mut below_first = 0;
    for s in &scores {
        match s.level {
            Some(l) => counts[l] += 1,
            None => below_first += 1,
        }
    }
    let below_min: Vec<String> = match f.min_level {
        Some(m) => scores
            .iter()
            .filter(|s| !s.reaches(m))
            .map(|s| c.systems[s.system].name.value.clone())
            .collect(),
        None => Vec::new(),
    };
    ScoreReport {
        scorecard: ScorecardView {
            source: eff.source.map(str::to_string),
            levels: level_views(sc),
        },
        summary: ScoreSummary {
            system_count: scores.len(),
            not_scored: selected.len() - scores.len(),
            below_first_level: below_first,
            levels: sc
                .levels
                .iter()
                .zip(counts)
                .map(|(l, n)| LevelCount {
                    level: l.name.clone(),
                    title: l.title.clone(),
                    system_count: n,
                })
                .collect(),
            min_level: f.min_level.map(|m| sc.levels[m].name.clone()),
            ok: below_min.is_empty(),
            below_min_level: below_min,
        },
        systems: {
            let (offset, limit) = f.page.unwrap_or((0, usize::MAX));
            let page = scores.iter().skip(offset).take(limit);
            page.map(|s| system_score_view(c, sc, s)).collect()
        },
        page: None,
    }
}

// ---------------------------------------------------------------- on call

/// The JSON shape of `cairn oncall --format json` and `/api/v1/oncall`.
#[derive(Serialize, Clone, Debug)]
pub struct OncallReport {
    /// The day on-call was computed for (the UTC date of `time`).
    pub date: String,
    /// The instant on-call was computed for, RFC 3339 in UTC.
    pub time: String,
    /// When asked about one system: its name (its owner team is the one listed).
    pub system: Option<String>,
    pub teams: Vec<TeamOncallView>,
    /// Teams over every page, when the answer is paged (the API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    /// Which part of `teams` this is, when the answer is paged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<PageView>,
}

#[derive(Serialize, Clone, Debug)]
pub struct TeamOncallView {
    pub name: String,
    pub title: String,
    pub contacts: BTreeMap<&'static str, String>,
    /// Whom to call, in order: primary, then backup, then lead (those the team declares).
    pub escalation: Vec<Responder>,
    /// First and last day of the primary's current shift (`null` without one).
    pub shift_start: Option<String>,
    pub shift_end: Option<String>,
    /// The next change of primary; `null` when none is known.
    pub next_handover: Option<Handover>,
    /// The team's iCalendar feeds and whether each could be used.
    pub feeds: Vec<FeedView>,
    /// Systems the team owns.
    pub systems: Vec<String>,
}

impl TeamOncallView {
    /// The team's primary feed is used but has nobody on at the instant (a gap in it).
    pub fn primary_gap(&self) -> bool {
        self.feeds
            .iter()
            .any(|f| f.role == "primary" && f.error.is_none())
            && !self.escalation.iter().any(|p| p.role == "primary")
    }
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Responder {
    /// `primary`, `backup` or `lead`.
    pub role: &'static str,
    pub name: String,
    pub email: Option<String>,
    /// `ical` (the role's feed), `rotation` or `catalog` (the team's `lead`).
    pub source: &'static str,
    /// The feed it comes from (a path in the catalog or a feed name); `null` otherwise.
    pub feed: Option<String>,
    /// The start and end of their shift, from a feed; `null` otherwise.
    pub since: Option<TimeView>,
    pub until: Option<TimeView>,
}

/// An instant with the time zone the feed gives it in.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct TimeView {
    /// RFC 3339 in UTC: `2026-03-09T13:00:00Z`.
    pub utc: String,
    /// RFC 3339 with the zone's offset then: `2026-03-09T09:00:00-04:00`.
    pub local: String,
    /// The IANA zone (`UTC` for feeds in UTC).
    pub zone: String,
    /// For people: `Mon 9 Mar 09:00 America/Toronto`.
    pub text: String,
}

impl TimeView {
    pub fn of(s: &crate::oncall::Stamp, year: i32) -> TimeView {
        TimeView {
            utc: s.utc(),
            local: s.local(),
            zone: s.zone.name().to_string(),
            text: s.text(year),
        }
    }
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Handover {
    /// First day of the next shift.
    pub date: String,
    /// When it happens, from the primary's feed; `null` for a rotation (the day starts it).
    pub time: Option<TimeView>,
    pub primary: String,
    pub backup: Option<String>,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct FeedView {
    /// The role the feed answers for.
    pub role: &'static str,
    /// A path in the catalog or a feed name.
    pub feed: String,
    /// Why the feed is not used (the role then comes from the rotation or `lead`); `null`
    /// when it is.
    pub error: Option<String>,
}

pub fn team_oncall(c: &Catalog, t: &Team, when: crate::oncall::When) -> TeamOncallView {
    let owned: Vec<usize> = (0..c.systems.len())
        .filter(|&i| c.systems[i].owner_name() == Some(t.name.value.as_str()))
        .collect();
    team_oncall_owning(c, t, when, &owned)
}

/// [`team_oncall`] when the team's systems (positions, catalog order) are already known, as
/// from [`Catalog::systems_by_owner`] for a view of every team.
pub fn team_oncall_owning(
    c: &Catalog,
    t: &Team,
    when: crate::oncall::When,
    owned: &[usize],
) -> TeamOncallView {
    use chrono::Datelike;
    let year = when.instant.year();
    let d = crate::oncall::detail(t, when);
    let escalation = d
        .iter()
        .flat_map(|d| d.responders.iter())
        .map(|p| Responder {
            role: p.role.name(),
            name: p.name.clone(),
            email: p.email.clone(),
            source: p.source.name(),
            feed: match &p.source {
                crate::oncall::Source::Ical(f) => Some(f.clone()),
                _ => None,
            },
            since: p.since.as_ref().map(|s| TimeView::of(s, year)),
            until: p.until.as_ref().map(|s| TimeView::of(s, year)),
        })
        .collect();
    let shift = d.as_ref().and_then(|d| d.shift);
    TeamOncallView {
        name: t.name.value.clone(),
        title: t.display_title().to_string(),
        contacts: t.contacts.by_label(),
        escalation,
        shift_start: shift.map(|(s, _)| s.to_string()),
        shift_end: shift.map(|(_, e)| e.to_string()),
        next_handover: d.as_ref().and_then(|d| d.next.as_ref()).map(|n| Handover {
            date: n.date.to_string(),
            time: n.at.as_ref().map(|s| TimeView::of(s, year)),
            primary: n.primary.clone(),
            backup: n.backup.clone(),
        }),
        feeds: d
            .iter()
            .flat_map(|d| d.feeds.iter())
            .map(|f| FeedView {
                role: f.role.name(),
                feed: f.feed.clone(),
                error: f.error.clone(),
            })
            .collect(),
        systems: owned
            .iter()
            .map(|&i| c.systems[i].name.value.clone())
            .collect(),
    }
}

/// On-call for the given teams (indexes), in that order.
pub fn oncall_report(
    c: &Catalog,
    teams: &[usize],
    system: Option<&str>,
    when: crate::oncall::When,
) -> OncallReport {
    let owned = c.systems_by_owner();
    OncallReport {
        date: when.date().to_string(),
        time: when.rfc3339(),
        system: system.map(str::to_string),
        teams: teams
            .iter()
            .map(|&i| {
                let t = &c.teams[i];
                let systems = owned
                    .get(t.name.value.as_str())
                    .map_or(&[][..], Vec::as_slice);
                team_oncall_owning(c, t, when, systems)
            })
            .collect(),
        total: None,
        page: None,
    }
}
