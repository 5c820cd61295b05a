//! `cairn diff`: what changed between two catalog snapshots, classified for a change gate, and
//! the consumers each breaking change hits.
//!
//! Every change is **breaking** (a removed system, API version or endpoint, a changed API kind, an
//! OpenAPI operation that now needs more from its callers or returns less), **notable**
//! (deprecations, new major versions, owner and tier changes) or **safe** (additions). A breaking
//! change is mapped to its consumers with the semantics of `cairn impact`, walked on the OLD
//! catalog's graph (who consumed what is going away); the NEW catalog then says, per consumer,
//! whether it still depends on it, has migrated, or has acknowledged the break
//! (`acknowledged: YYYY-MM-DD` on its `consumes` entry) — an acknowledged hit makes the change
//! notable. Semantics and the JSON shape are in docs/diff.md.
//!
//! Pure functions over two snapshots: nothing here reads files, spawns processes or prints.
//!
//! This file holds the public API (the report types, `diff()`, `gate()`) and the report-wide
//! summary; `changes` finds the changes, `hits` says whom each one hits, `spec` compares OpenAPI
//! operations. `changes` uses `spec`; `hits` and `spec` use only this file.

use crate::text::plural;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::date::Date;
use crate::graph::Graph;
use crate::model::*;
use crate::oncall::OnCall;

mod changes;
mod hits;
mod spec;

/// How bad a change is for consumers. Ordered: breaking first.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Breaking,
    Notable,
    Safe,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::Notable => "notable",
            Severity::Safe => "safe",
        }
    }
}

/// Which snapshot a location is in.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Old,
    New,
}

/// A line in a file of one side, the file relative to that side's catalog root.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub side: Side,
    pub file: String,
    pub line: u32,
}

/// When `cairn diff` exits non-zero (`--fail-on`; exit 3). The doc lines are the CLI's help.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// A breaking change hits a consumer that has not acknowledged it.
    #[default]
    Breaking,
    /// Any breaking or notable change.
    Notable,
    /// Never; report only.
    Never,
}

/// What one side of the comparison is, as the caller describes it (for the report's header and
/// for showing file paths); `errors` and `warnings` are filled in from the snapshot.
#[derive(Serialize, Clone, Debug, Default)]
pub struct SideInfo {
    /// As given: a directory, a revision, or `.` for the working tree.
    pub spec: String,
    /// `directory` or `revision`.
    pub kind: &'static str,
    /// The full commit id, for a revision.
    pub commit: Option<String>,
    /// What to put before a catalog-relative file to show it: `catalog/`, `HEAD:catalog/`.
    pub prefix: String,
    pub error_count: usize,
    pub warning_count: usize,
}

#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// The day acknowledgements are checked against (and on-call computed for).
    pub at: Option<Date>,
    pub fail_on: FailOn,
    pub old: SideInfo,
    pub new: SideInfo,
}

#[derive(Serialize, Clone, Debug)]
pub struct DiffReport {
    pub old: SideInfo,
    pub new: SideInfo,
    /// The date acknowledgements were checked against.
    pub at: String,
    /// Breaking first, then notable, then safe; by subject within each.
    pub changes: Vec<Change>,
    /// Owners of the consumers that breaking changes hit (affected or acknowledged), with contacts.
    pub teams: Vec<TeamToTell>,
    pub summary: DiffSummary,
    pub gate: Gate,
}

#[derive(Serialize, Clone, Debug)]
pub struct Change {
    /// After acknowledgements: a breaking change whose remaining hits are all acknowledged is notable.
    pub severity: Severity,
    /// Stable identifier of the kind of change (docs/diff.md lists them).
    pub code: &'static str,
    /// What changed: `pkgdb`, `pkgdb/api@2`, `pkgdb/api@2 GET /api/critpath`.
    pub subject: String,
    pub message: String,
    /// Where the change is seen: the new side for what was added or changed, the old side for
    /// what was removed.
    pub location: Option<Location>,
    /// Who the change reaches: for breaking changes and deprecations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<ChangeImpact>,
}

#[derive(Serialize, Clone, Debug, Default)]
pub struct ChangeImpact {
    /// The `cairn impact` target that was walked on the old catalog.
    pub target: String,
    /// Direct consumers (depth 1).
    pub consumers: Vec<Hit>,
    /// Consumers outside the catalog listed by the provider.
    pub external: Vec<ExternalHit>,
    /// Owners of the direct consumers that are affected or acknowledged.
    pub teams: Vec<TeamToTell>,
    pub reach: Reach,
}

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum HitStatus {
    /// Still depends on what changed in the new catalog: this is what fails the gate.
    Affected,
    /// Declared `acknowledged` with a date not yet past.
    Acknowledged,
    /// No longer depends on it in the new catalog (migrated, or removed itself).
    Resolved,
}

#[derive(Serialize, Clone, Debug)]
pub struct Hit {
    pub system: String,
    pub title: String,
    pub owner: Option<String>,
    pub tier: Option<u8>,
    /// `declared` or `unknown` (does not say which endpoints it uses), as in `cairn impact`.
    pub usage: &'static str,
    /// How it depends on the changed system, in the old catalog, as a sentence for people.
    pub via_text: String,
    /// The same for programs: each edge to the changed system, its API and the endpoints used
    /// (as `affected[].through` in `cairn impact`).
    pub through: Vec<crate::impact::ImpactEdge>,
    /// Where the old catalog declares the dependency.
    pub declared_at: Option<Location>,
    pub status: HitStatus,
    /// The last day of the acknowledgement, when there is one (also an expired one).
    pub acknowledged_until: Option<String>,
    pub acknowledged_at: Option<Location>,
    /// Why the status is what it is, when that needs saying.
    pub note: Option<String>,
    /// Systems reached only through this one (deeper in the impact walk).
    pub transitive: usize,
}

#[derive(Serialize, Clone, Debug)]
pub struct ExternalHit {
    pub name: String,
    pub contact: Option<String>,
    pub description: Option<String>,
    /// The API that lists it.
    pub api: String,
    pub status: HitStatus,
    pub acknowledged_until: Option<String>,
    /// Where the acknowledgement is recorded: the provider's listing (new side, or old side when
    /// the API is gone).
    pub acknowledged_at: Option<Location>,
    pub note: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct TeamToTell {
    pub name: String,
    pub title: String,
    pub contacts: BTreeMap<&'static str, String>,
    pub oncall: Option<OnCall>,
    /// Its consumers that are hit, affected or acknowledged.
    pub systems: Vec<String>,
}

#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// Direct consumers (any status).
    pub direct: usize,
    /// Direct consumers still affected (the gate counts these, with affected external consumers).
    pub affected: usize,
    pub acknowledged: usize,
    pub resolved: usize,
    /// Systems reached transitively, through any direct consumer.
    pub transitive: usize,
    pub external_count: usize,
    /// Teams owning any reached system, direct or transitive.
    pub team_count: usize,
    /// Tier-1 systems among everything reached.
    pub tier1: usize,
}

#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct DiffSummary {
    pub breaking: usize,
    pub notable: usize,
    pub safe: usize,
    /// Breaking changes with at least one affected consumer.
    pub breaking_with_consumers: usize,
    /// Distinct catalog systems affected by breaking changes.
    pub consumers_affected: usize,
    /// Distinct external consumers affected by breaking changes.
    pub external_affected: usize,
    /// Distinct consumers (systems and external) whose hits are acknowledged.
    pub acknowledged: usize,
    pub team_count: usize,
}

#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    pub fail_on: FailOn,
    pub failed: bool,
    /// One line on why it failed or passed.
    pub reason: String,
}

/// Compares two snapshots. `old` is the baseline (usually the target branch), `new` the change.
pub fn diff(old: &Catalog, new: &Catalog, opts: &DiffOptions) -> DiffReport {
    let at = opts.at.unwrap_or_else(Date::today);
    let graph = Graph::build(old);
    let mut d = Differ {
        old,
        new,
        graph: &graph,
        at,
        changes: Vec::new(),
        impacts: HashMap::new(),
    };
    for (oi, os) in old.systems.iter().enumerate() {
        // Duplicate names are a `check` error; compare the first declaration only.
        if old.system_id(&os.name) != Some(oi) {
            continue;
        }
        match new.system(&os.name) {
            None => d.system_gone(oi, "system-removed", "was removed"),
            Some(ns) => d.system_changed(oi, ns),
        }
    }
    for (ni, ns) in new.systems.iter().enumerate() {
        if new.system_id(&ns.name) == Some(ni) && old.system(&ns.name).is_none() {
            d.push(
                Severity::Safe,
                "system-added",
                ns.name.value.clone(),
                format!("system {} was added", code(&ns.name)),
                Some(d.loc_new(ns.loc)),
                None,
            );
        }
    }
    let mut changes = d.changes;
    changes.sort_by(|a, b| (a.severity, &a.subject).cmp(&(b.severity, &b.subject)));
    let (teams, summary) = summarise(&changes);
    let gate = gate(&changes, opts.fail_on);
    let side = |info: &SideInfo, c: &Catalog| SideInfo {
        error_count: c.errors(),
        warning_count: c.warnings(),
        ..info.clone()
    };
    DiffReport {
        old: side(&opts.old, old),
        new: side(&opts.new, new),
        at: at.to_string(),
        changes,
        teams,
        summary,
        gate,
    }
}

/// Decides the exit status: see [`FailOn`].
pub fn gate(changes: &[Change], fail_on: FailOn) -> Gate {
    let hitting = changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking && affected_count(c) > 0)
        .count();
    let (failed, reason) = match fail_on {
        FailOn::Never => (false, "--fail-on never".to_string()),
        FailOn::Breaking if hitting > 0 => (
            true,
            format!(
                "{} consumers that have not acknowledged {}",
                plural(hitting, "breaking change hits", "breaking changes hit"),
                if hitting == 1 { "it" } else { "them" }
            ),
        ),
        FailOn::Breaking => (
            false,
            "no breaking change hits a consumer that has not acknowledged it".to_string(),
        ),
        FailOn::Notable => {
            let n = changes
                .iter()
                .filter(|c| c.severity <= Severity::Notable)
                .count();
            if n > 0 {
                (
                    true,
                    format!(
                        "{} (--fail-on notable)",
                        plural(
                            n,
                            "breaking or notable change",
                            "breaking or notable changes"
                        )
                    ),
                )
            } else {
                (false, "only safe changes".to_string())
            }
        }
    };
    Gate {
        fail_on,
        failed,
        reason,
    }
}

fn affected_count(c: &Change) -> usize {
    c.impact.as_ref().map_or(0, |i| {
        i.reach.affected
            + i.external
                .iter()
                .filter(|e| e.status == HitStatus::Affected)
                .count()
    })
}

/// A name in a message, in backticks (a backtick inside is replaced so the span stays closed).
fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

struct Differ<'a> {
    old: &'a Catalog,
    new: &'a Catalog,
    graph: &'a Graph,
    at: Date,
    changes: Vec<Change>,
    /// Impact per target, shared by the several contract changes of one endpoint.
    impacts: HashMap<String, ChangeImpact>,
}

impl<'a> Differ<'a> {
    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        subject: String,
        message: String,
        location: Option<Location>,
        impact: Option<ChangeImpact>,
    ) {
        // An intrinsically breaking change whose hits are all acknowledged or resolved, with at
        // least one acknowledged, is notable: the consumers said they are ready.
        let severity = match &impact {
            Some(i)
                if severity == Severity::Breaking
                    && i.reach.affected == 0
                    && !i.external.iter().any(|e| e.status == HitStatus::Affected)
                    && (i.reach.acknowledged > 0
                        || i.external
                            .iter()
                            .any(|e| e.status == HitStatus::Acknowledged)) =>
            {
                Severity::Notable
            }
            _ => severity,
        };
        self.changes.push(Change {
            severity,
            code,
            subject,
            message,
            location,
            impact,
        });
    }

    fn loc_old(&self, l: Loc) -> Location {
        Location {
            side: Side::Old,
            file: self.old.file_path(l.file).to_string(),
            line: l.line,
        }
    }

    fn loc_new(&self, l: Loc) -> Location {
        Location {
            side: Side::New,
            file: self.new.file_path(l.file).to_string(),
            line: l.line,
        }
    }
}

/// Report-wide teams and counts.
fn summarise(changes: &[Change]) -> (Vec<TeamToTell>, DiffSummary) {
    let mut s = DiffSummary::default();
    let mut teams: BTreeMap<String, TeamToTell> = BTreeMap::new();
    let mut affected = BTreeSet::new();
    let mut external = BTreeSet::new();
    let mut acknowledged = BTreeSet::new();
    for c in changes {
        match c.severity {
            Severity::Breaking => s.breaking += 1,
            Severity::Notable => s.notable += 1,
            Severity::Safe => s.safe += 1,
        }
        // Teams and consumers of breaking changes, including those acknowledged into notable.
        let Some(i) = &c.impact else { continue };
        let breaking_nature = c.severity == Severity::Breaking
            || i.consumers
                .iter()
                .any(|h| h.status == HitStatus::Acknowledged)
            || i.external
                .iter()
                .any(|h| h.status == HitStatus::Acknowledged);
        if !breaking_nature {
            continue;
        }
        if c.severity == Severity::Breaking && affected_count(c) > 0 {
            s.breaking_with_consumers += 1;
        }
        for h in &i.consumers {
            match h.status {
                HitStatus::Affected => {
                    affected.insert(h.system.clone());
                }
                HitStatus::Acknowledged => {
                    acknowledged.insert(h.system.clone());
                }
                HitStatus::Resolved => {}
            }
        }
        for e in &i.external {
            match e.status {
                HitStatus::Affected => {
                    external.insert(e.name.clone());
                }
                HitStatus::Acknowledged => {
                    acknowledged.insert(format!("external: {}", e.name));
                }
                HitStatus::Resolved => {}
            }
        }
        for t in &i.teams {
            let e = teams.entry(t.name.clone()).or_insert_with(|| TeamToTell {
                systems: Vec::new(),
                ..t.clone()
            });
            for sys in &t.systems {
                if !e.systems.contains(sys) {
                    e.systems.push(sys.clone());
                }
            }
        }
    }
    s.consumers_affected = affected.len();
    s.external_affected = external.len();
    s.acknowledged = acknowledged.len();
    let mut teams: Vec<TeamToTell> = teams.into_values().collect();
    for t in &mut teams {
        t.systems.sort();
    }
    s.team_count = teams.len();
    (teams, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_counts_only_affected_consumers() {
        let hit = |status| Change {
            severity: Severity::Breaking,
            code: "api-removed",
            subject: "a/api@1".into(),
            message: String::new(),
            location: None,
            impact: Some(ChangeImpact {
                reach: Reach {
                    affected: usize::from(status == HitStatus::Affected),
                    ..Default::default()
                },
                ..Default::default()
            }),
        };
        assert!(gate(&[hit(HitStatus::Affected)], FailOn::Breaking).failed);
        assert!(!gate(&[hit(HitStatus::Resolved)], FailOn::Breaking).failed);
        assert!(gate(&[hit(HitStatus::Resolved)], FailOn::Notable).failed);
        assert!(!gate(&[hit(HitStatus::Affected)], FailOn::Never).failed);
    }
}
