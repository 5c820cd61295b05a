//! `cairn diff OLD NEW`: resolves each side to a catalog (a directory, `.` for the working tree's
//! `--catalog`, or a git revision), compares them and prints the report as text, JSON or a
//! Markdown PR comment. Exit 3 when the gate (`--fail-on`) fails.

use crate::text::md_table_cell;
use crate::text::plural;
use std::path::{Path, PathBuf};

use super::{exit, load_catalog, Args, Format, Out};
use crate::diff::{
    self, Change, ChangeImpact, DiffOptions, DiffReport, FailOn, HitStatus, Location, Severity,
    SideInfo, TeamToTell,
};
use crate::loader::git::{self, CatalogRepo};
use crate::loader::LoadOptions;
use crate::model::Catalog;
use crate::report::{md_text, oncall_text};

pub struct DiffArgs<'a> {
    pub old: &'a str,
    pub new: &'a str,
    pub fail_on: FailOn,
    pub at: crate::date::Date,
}

/// One side, loaded. A revision keeps its temporary directory alive until the report is done.
struct Loaded {
    source: Source,
    info: SideInfo,
}

enum Source {
    Directory(Catalog),
    Revision(git::RevisionCatalog),
}

impl Loaded {
    fn catalog(&self) -> &Catalog {
        match &self.source {
            Source::Directory(c) => c,
            Source::Revision(r) => &r.catalog,
        }
    }
}

pub fn run(args: &Args, a: DiffArgs, out: &mut Out) -> anyhow::Result<i32> {
    if !matches!(args.format, Format::Text | Format::Json | Format::Md) {
        out.error(&format!(
            "`diff` cannot print {:?} output; use text, json or md",
            args.format
        ));
        return Ok(exit::USAGE);
    }
    let mut repo: Option<CatalogRepo> = None;
    let old = match load_side(a.old, args, &mut repo, out) {
        Ok(l) => l,
        Err(e) => {
            out.error(&e);
            return Ok(exit::USAGE);
        }
    };
    let new = match load_side(a.new, args, &mut repo, out) {
        Ok(l) => l,
        Err(e) => {
            out.error(&e);
            return Ok(exit::USAGE);
        }
    };
    let opts = DiffOptions {
        at: Some(a.at),
        fail_on: a.fail_on,
        old: old.info.clone(),
        new: new.info.clone(),
    };
    let report = diff::diff(old.catalog(), new.catalog(), &opts);
    for (what, side) in [("old", &report.old), ("new", &report.new)] {
        if side.error_count > 0 {
            out.eprint(&format!(
                "note: the {what} catalog ({}) has {} error{}; the comparison uses what could be loaded (see `cairn check`)\n",
                shown_side(side),
                side.error_count,
                if side.error_count == 1 { "" } else { "s" }
            ));
        }
    }
    match args.format {
        Format::Json => out.json(&report)?,
        Format::Md => out.print(&markdown(&report)),
        _ => {
            let t = text(&report, out);
            out.print(&t);
        }
    }
    Ok(if report.gate.failed {
        exit::GATE
    } else {
        exit::OK
    })
}

/// `.` is the working tree's catalog; an existing directory is a catalog directory; anything else
/// is a revision of the repository that holds `--catalog`.
fn load_side(
    spec: &str,
    args: &Args,
    repo: &mut Option<CatalogRepo>,
    out: &Out,
) -> Result<Loaded, String> {
    let dir: Option<PathBuf> = if spec == "." {
        Some(args.catalog.clone())
    } else if Path::new(spec).is_dir() {
        Some(PathBuf::from(spec))
    } else {
        None
    };
    if let Some(dir) = dir {
        let catalog = load_catalog(&dir, args, out).map_err(|e| format!("{e:#}"))?;
        return Ok(Loaded {
            source: Source::Directory(catalog),
            info: SideInfo {
                spec: spec.to_string(),
                kind: "directory",
                commit: None,
                prefix: dir_prefix(&dir),
                ..Default::default()
            },
        });
    }
    if repo.is_none() {
        let found = git::find_repo(&args.catalog).map_err(|e| {
            format!(
                "`{spec}` is not a directory, so it must be a git revision, but {}",
                e.message
            )
        })?;
        *repo = Some(found);
    }
    let repo = repo.as_ref().expect("set above");
    let opts = LoadOptions {
        max_file_size: args.max_file_size,
    };
    let rev = git::load_revision(repo, spec, &opts).map_err(|e| e.message)?;
    let prefix = if repo.path.is_empty() {
        format!("{spec}:")
    } else {
        format!("{spec}:{}/", repo.path)
    };
    Ok(Loaded {
        info: SideInfo {
            spec: spec.to_string(),
            kind: "revision",
            commit: Some(rev.commit.clone()),
            prefix,
            ..Default::default()
        },
        source: Source::Revision(rev),
    })
}

fn dir_prefix(dir: &Path) -> String {
    let d = dir.to_string_lossy();
    let d = d.trim_end_matches('/');
    if d.is_empty() || d == "." {
        String::new()
    } else {
        format!("{d}/")
    }
}

/// `HEAD:catalog` (abc1234), `catalog`.
fn shown_side(s: &SideInfo) -> String {
    let root = s.prefix.trim_end_matches('/');
    let root = if root.is_empty() { "." } else { root };
    match &s.commit {
        Some(c) => format!("{root} ({})", &c[..c.len().min(12)]),
        None => root.to_string(),
    }
}

fn shown_location(r: &DiffReport, l: &Location) -> String {
    let side = match l.side {
        diff::Side::Old => &r.old,
        diff::Side::New => &r.new,
    };
    format!("{}{}:{}", side.prefix, l.file, l.line)
}

fn headline(r: &DiffReport) -> String {
    let s = &r.summary;
    let mut h = format!(
        "{} breaking, {} notable, {} safe",
        s.breaking, s.notable, s.safe
    );
    if s.breaking_with_consumers > 0 {
        h.push_str(&format!(
            "; {} {} that {} not acknowledged ({} in the catalog, {} external)",
            plural(
                s.breaking_with_consumers,
                "breaking change hits",
                "breaking changes hit"
            ),
            plural(
                s.consumers_affected + s.external_affected,
                "consumer",
                "consumers"
            ),
            if s.consumers_affected + s.external_affected == 1 {
                "has"
            } else {
                "have"
            },
            s.consumers_affected,
            s.external_affected,
        ));
    }
    if s.team_count > 0 {
        h.push_str(&format!(
            "; {} to notify",
            plural(s.team_count, "team", "teams")
        ));
    }
    if s.acknowledged > 0 {
        h.push_str(&format!(
            "; {} acknowledged",
            plural(s.acknowledged, "consumer has", "consumers have")
        ));
    }
    h
}

/// Upper case for the hits that fail the gate, so they stand out in a CI log.
fn status_text(s: HitStatus, breaking: bool) -> &'static str {
    match s {
        HitStatus::Affected if breaking => "AFFECTED",
        HitStatus::Affected => "affected",
        HitStatus::Acknowledged => "acknowledged",
        HitStatus::Resolved => "resolved",
    }
}

fn tier_text(t: Option<u8>) -> String {
    t.map(|t| format!("tier {t}"))
        .unwrap_or_else(|| "no tier".into())
}

fn reach_text(i: &ChangeImpact) -> String {
    let r = &i.reach;
    let mut parts = vec![plural(r.direct, "direct consumer", "direct consumers")];
    if r.external_count > 0 {
        parts.push(format!("{} external", r.external_count));
    }
    parts.push(format!("{} transitive", r.transitive));
    if r.tier1 > 0 {
        parts.push(plural(r.tier1, "tier-1 system", "tier-1 systems"));
    }
    parts.push(plural(r.team_count, "team", "teams"));
    format!("reaches {}", parts.join(", "))
}

/// The terminal report.
pub fn text(r: &DiffReport, out: &Out) -> String {
    let mut s = format!(
        "{}\n{}\n",
        out.bold(&format!(
            "Changes from {} to {}",
            shown_side(&r.old),
            shown_side(&r.new)
        )),
        headline(r)
    );
    if r.changes.is_empty() {
        s.push_str("\nNo change to systems, APIs or endpoints.\n");
    }
    for sev in [Severity::Breaking, Severity::Notable, Severity::Safe] {
        let list: Vec<&Change> = r.changes.iter().filter(|c| c.severity == sev).collect();
        if list.is_empty() {
            continue;
        }
        let title = match sev {
            Severity::Breaking => "Breaking",
            Severity::Notable => "Notable",
            Severity::Safe => "Safe",
        };
        s.push_str(&format!("\n{}\n", out.bold(title)));
        for group in by_subject(&list) {
            s.push_str(&group_text(r, group, out));
        }
    }
    if !r.teams.is_empty() {
        s.push_str(&format!("\n{}\n", out.bold("Teams to notify")));
        for t in &r.teams {
            s.push_str(&team_text(t));
        }
    }
    let verdict = if r.gate.failed { "FAILED" } else { "passed" };
    let fail_on = serde_json::to_value(r.gate.fail_on)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    s.push_str(&format!(
        "\ngate {verdict} (--fail-on {fail_on}): {}\n",
        r.gate.reason
    ));
    s
}

/// Consecutive changes to one subject (the list is sorted by severity, then subject): they share
/// one impact, shown once.
fn by_subject<'c>(list: &[&'c Change]) -> Vec<Vec<&'c Change>> {
    let mut groups: Vec<Vec<&Change>> = Vec::new();
    for c in list {
        match groups.last_mut() {
            Some(g) if g[0].subject == c.subject => g.push(c),
            _ => groups.push(vec![c]),
        }
    }
    groups
}

fn group_text(r: &DiffReport, group: Vec<&Change>, out: &Out) -> String {
    let first = group[0];
    let mark = match first.severity {
        Severity::Breaking => "!",
        Severity::Notable => "~",
        Severity::Safe => "+",
    };
    let location = |c: &Change| {
        c.location
            .as_ref()
            .map(|l| out.dim(&shown_location(r, l)))
            .unwrap_or_default()
    };
    let mut s = String::new();
    if group.len() == 1 {
        s.push_str(&format!(
            "  {mark} {} [{}] {}\n",
            out.bold(&first.subject),
            first.code,
            first.message
        ));
        if first.location.is_some() {
            s.push_str(&format!("    {}\n", location(first)));
        }
    } else {
        s.push_str(&format!("  {mark} {}\n", out.bold(&first.subject)));
        for c in &group {
            s.push_str(&format!("    [{}] {}\n", c.code, c.message));
            if c.location.is_some() {
                s.push_str(&format!("      {}\n", location(c)));
            }
        }
    }
    if let Some(i) = group.iter().find_map(|c| c.impact.as_ref()) {
        s.push_str(&impact_text(i, first.severity == Severity::Breaking, out));
    }
    s
}

fn impact_text(i: &ChangeImpact, breaking: bool, out: &Out) -> String {
    let mut s = String::new();
    if i.consumers.is_empty() && i.external.is_empty() {
        s.push_str("    no known consumer\n");
        return s;
    }
    s.push_str(&format!("    {}\n", reach_text(i)));
    for h in &i.consumers {
        let usage = if h.usage == "unknown" {
            ", usage unknown"
        } else {
            ""
        };
        let owner = h.owner.as_deref().unwrap_or("no owner");
        s.push_str(&format!(
            "      {} {} ({}, {owner}{usage}) — {}",
            status_text(h.status, breaking),
            out.bold(&h.system),
            tier_text(h.tier),
            h.via_text
        ));
        if h.transitive > 0 {
            s.push_str(&format!(" (+{} through it)", h.transitive));
        }
        s.push('\n');
        if let (Some(u), HitStatus::Acknowledged) = (&h.acknowledged_until, h.status) {
            s.push_str(&format!("        acknowledged until {u}\n"));
        }
        if let Some(n) = &h.note {
            s.push_str(&format!("        {n}\n"));
        }
    }
    for e in &i.external {
        let contact = e
            .contact
            .as_deref()
            .map(|c| format!(" — {c}"))
            .unwrap_or_default();
        s.push_str(&format!(
            "      {} {} (external){contact}\n",
            status_text(e.status, breaking),
            out.bold(&e.name)
        ));
        if let (Some(u), HitStatus::Acknowledged) = (&e.acknowledged_until, e.status) {
            s.push_str(&format!("        acknowledged until {u}\n"));
        }
        if let Some(n) = &e.note {
            s.push_str(&format!("        {n}\n"));
        }
    }
    s
}

fn team_text(t: &TeamToTell) -> String {
    let contacts: Vec<&str> = t.contacts.values().map(String::as_str).collect();
    let contacts = if contacts.is_empty() {
        "no contacts declared".to_string()
    } else {
        contacts.join(", ")
    };
    let mut s = format!("  {} — {}: {contacts}\n", t.name, t.title);
    if let Some(o) = t.oncall.as_ref().filter(|o| !o.is_empty()) {
        s.push_str(&format!("    on call: {}\n", oncall_text(o)));
    }
    s.push_str(&format!("    systems: {}\n", t.systems.join(", ")));
    s
}

/// A pull-request comment: the verdict, breaking changes with the consumers they hit, the teams
/// to tell, then notable and (folded) safe changes.
pub fn markdown(r: &DiffReport) -> String {
    let s = &r.summary;
    let mut m = String::new();
    let title = if s.breaking_with_consumers > 0 {
        format!(
            "{} {} {}",
            plural(
                s.breaking_with_consumers,
                "breaking change hits",
                "breaking changes hit"
            ),
            s.consumers_affected + s.external_affected,
            if s.consumers_affected + s.external_affected == 1 {
                "consumer"
            } else {
                "consumers"
            }
        )
    } else if s.breaking > 0 {
        format!(
            "{} with no consumer affected",
            plural(s.breaking, "breaking change", "breaking changes")
        )
    } else if s.notable > 0 {
        plural(s.notable, "notable change", "notable changes")
    } else {
        "no breaking change".to_string()
    };
    m.push_str(&format!("## Catalog change: {title}\n\n"));
    let verdict = if r.gate.failed { "failed" } else { "passed" };
    let fail_on = serde_json::to_value(r.gate.fail_on)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    m.push_str(&format!(
        "**Gate {verdict}** (`--fail-on {fail_on}`): {}.\n\n",
        md_text(&r.gate.reason)
    ));
    let side = |s: &SideInfo| {
        let root = s.prefix.trim_end_matches('/');
        let root = if root.is_empty() { "." } else { root };
        let mut t = format!("`{}`", root.replace('`', "'"));
        if let Some(c) = &s.commit {
            t.push_str(&format!(" at {}", &c[..c.len().min(12)]));
        }
        t
    };
    m.push_str(&format!(
        "Compared {} with {}; acknowledgements checked on {}.\n\n",
        side(&r.old),
        side(&r.new),
        r.at
    ));
    m.push_str(&format!(
        "| Breaking | Notable | Safe | Consumers affected | External affected | Acknowledged | Teams |\n|---|---|---|---|---|---|---|\n| {} | {} | {} | {} | {} | {} | {} |\n\n",
        s.breaking, s.notable, s.safe, s.consumers_affected, s.external_affected, s.acknowledged, s.team_count
    ));
    let with_impact: Vec<&Change> = r
        .changes
        .iter()
        .filter(|c| c.severity != Severity::Safe && c.impact.is_some())
        .collect();
    let breaking: Vec<&Change> = r
        .changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .collect();
    if !breaking.is_empty() {
        m.push_str("### Breaking changes\n\n");
        for group in by_subject(&breaking) {
            m.push_str(&group_md(r, group));
        }
    }
    let notable: Vec<&Change> = r
        .changes
        .iter()
        .filter(|c| c.severity == Severity::Notable)
        .collect();
    if !notable.is_empty() {
        m.push_str("### Notable changes\n\n");
        for group in by_subject(&notable) {
            m.push_str(&group_md(r, group));
        }
    }
    if !r.teams.is_empty() {
        m.push_str("### Teams to notify\n\n");
        for t in &r.teams {
            let contacts: Vec<String> = t
                .contacts
                .iter()
                .map(|(k, v)| format!("{k}: {}", md_text(v)))
                .collect();
            let mut line = format!("- **{}** — {}", md_text(&t.name), md_text(&t.title));
            if !contacts.is_empty() {
                line.push_str(&format!(" ({})", contacts.join(" · ")));
            }
            if let Some(o) = t.oncall.as_ref().filter(|o| !o.is_empty()) {
                line.push_str(&format!("; on call: {}", md_text(&oncall_text(o))));
            }
            let systems: Vec<String> = t.systems.iter().map(|x| md_text(x)).collect();
            line.push_str(&format!("; systems: {}\n", systems.join(", ")));
            m.push_str(&line);
        }
        m.push('\n');
    }
    let safe: Vec<&Change> = r
        .changes
        .iter()
        .filter(|c| c.severity == Severity::Safe)
        .collect();
    if !safe.is_empty() {
        m.push_str(&format!(
            "<details><summary>Safe changes ({})</summary>\n\n",
            safe.len()
        ));
        for c in &safe {
            m.push_str(&format!(
                "- `{}`: {}\n",
                c.subject.replace('`', "'"),
                md_table_cell(&c.message)
            ));
        }
        m.push_str("\n</details>\n\n");
    }
    if !with_impact.is_empty() || !breaking.is_empty() {
        m.push_str("### What to do\n\n");
        m.push_str("- **Consumers marked affected**: migrate before this change ships, then update your `consumes` entry; or, if the break is planned and you are ready, acknowledge it in your own catalog file with `acknowledged: YYYY-MM-DD` (the last day the acknowledgement holds) on the `consumes` entry.\n");
        m.push_str("- **External consumers** cannot edit the catalog: tell them, then record it on the provider's listing with `acknowledged: YYYY-MM-DD`.\n");
        m.push_str("- **Provider**: keep the old contract until every consumer has migrated or acknowledged, or ship a new major version beside it.\n");
    }
    m
}

fn group_md(r: &DiffReport, group: Vec<&Change>) -> String {
    let mut m = format!("#### `{}`\n\n", group[0].subject.replace('`', "'"));
    for c in &group {
        m.push_str(&format!("- {} (`{}`)", md_table_cell(&c.message), c.code));
        if let Some(l) = &c.location {
            m.push_str(&format!(" — `{}`", shown_location(r, l).replace('`', "'")));
        }
        m.push('\n');
    }
    m.push('\n');
    if let Some(i) = group.iter().find_map(|c| c.impact.as_ref()) {
        m.push_str(&impact_md(i));
    }
    m
}

fn impact_md(i: &ChangeImpact) -> String {
    let mut m = String::new();
    if i.consumers.is_empty() && i.external.is_empty() {
        m.push_str("No known consumer.\n\n");
        return m;
    }
    let reach = reach_text(i);
    m.push_str(&format!(
        "R{}.\n\n",
        reach.strip_prefix('r').unwrap_or(&reach)
    ));
    if !i.consumers.is_empty() {
        m.push_str("| Consumer | Team | Tier | Status | How it depends | Through it |\n|---|---|---|---|---|---|\n");
        for h in &i.consumers {
            let mut status = match h.status {
                HitStatus::Affected => "**affected**".to_string(),
                HitStatus::Acknowledged => format!(
                    "acknowledged until {}",
                    h.acknowledged_until.as_deref().unwrap_or("?")
                ),
                HitStatus::Resolved => "resolved".to_string(),
            };
            if let Some(n) = &h.note {
                status.push_str(&format!(": {}", md_table_cell(n)));
            }
            if h.usage == "unknown" {
                status.push_str(" (usage unknown)");
            }
            m.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                md_text(&h.system),
                md_text(h.owner.as_deref().unwrap_or("—")),
                h.tier.map(|t| t.to_string()).unwrap_or_else(|| "—".into()),
                status,
                md_text(&h.via_text).replace('\n', " "),
                h.transitive
            ));
        }
        m.push('\n');
    }
    if !i.external.is_empty() {
        m.push_str("Outside the catalog:\n\n");
        for e in &i.external {
            let contact = e
                .contact
                .as_deref()
                .map(|c| format!(" — {}", md_text(c)))
                .unwrap_or_default();
            let status = match e.status {
                HitStatus::Affected => "**affected**".to_string(),
                HitStatus::Acknowledged => format!(
                    "acknowledged until {}",
                    e.acknowledged_until.as_deref().unwrap_or("?")
                ),
                HitStatus::Resolved => "resolved".to_string(),
            };
            let note = e
                .note
                .as_deref()
                .map(|n| format!(" ({})", md_table_cell(n)))
                .unwrap_or_default();
            m.push_str(&format!(
                "- **{}**{contact}: {status}{note}\n",
                md_text(&e.name)
            ));
        }
        m.push('\n');
    }
    m
}
