//! `cairn show NAME`: everything known about a system, team or domain, resolved.
//! The first thing a first responder runs.

use super::{exit, Format, Out};
use crate::date::Date;
use crate::diag::did_you_mean;
use crate::model::Catalog;
use crate::oncall::OnCall;
use crate::snapshot::Snapshot;
use crate::views::{self, DocRefView, SystemView, TeamView};

/// What a name resolves to.
pub enum Found {
    System(usize),
    Team(usize),
    Domain(usize),
}

/// Resolves `name`, `system:name`, `team:name` or `domain:name` (systems also by alias).
pub fn resolve(c: &Catalog, name: &str) -> Result<Found, String> {
    let (kind, bare) = match name.split_once(':') {
        Some((k @ ("system" | "team" | "domain"), rest)) => (Some(k), rest),
        _ => (None, name),
    };
    if matches!(kind, None | Some("system")) {
        if let Some(i) = c.system_id(bare).or_else(|| {
            c.system_by_name_or_alias(bare)
                .and_then(|s| c.system_id(&s.name.value))
        }) {
            return Ok(Found::System(i));
        }
    }
    if matches!(kind, None | Some("team")) {
        if let Some(i) = c.teams.iter().position(|t| t.name.value == bare) {
            return Ok(Found::Team(i));
        }
    }
    if matches!(kind, None | Some("domain")) {
        if let Some(i) = c.domains.iter().position(|d| d.name.value == bare) {
            return Ok(Found::Domain(i));
        }
    }
    let all = c
        .systems
        .iter()
        .map(|s| s.name.value.as_str())
        .chain(c.teams.iter().map(|t| t.name.value.as_str()))
        .chain(c.domains.iter().map(|d| d.name.value.as_str()));
    let hint = did_you_mean(bare, all)
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    Err(format!("no system, team or domain named `{bare}`{hint}"))
}

pub fn run(
    snap: &Snapshot,
    name: &str,
    at: Date,
    format: Format,
    out: &mut Out,
) -> anyhow::Result<i32> {
    if matches!(format, Format::Dot | Format::Mermaid) {
        return Ok(super::cannot_print(out, "show", format, "text or json"));
    }
    let c = &snap.catalog;
    let found = match resolve(c, name) {
        Ok(f) => f,
        Err(msg) => {
            out.error(&msg);
            return Ok(exit::USAGE);
        }
    };
    let g = snap.graph();
    match (found, format) {
        (Found::System(i), Format::Json) => out.json(&views::system_view(c, g, i, at))?,
        (Found::Team(i), Format::Json) => out.json(&views::team_view(c, g, i, at))?,
        (Found::Domain(i), Format::Json) => out.json(&views::domain_view(c, i))?,
        (Found::System(i), _) => {
            let mut text = system_text(&views::system_view(c, g, i, at), out);
            text.push_str(&readiness_text(snap, i, out));
            out.print(&text);
        }
        (Found::Team(i), _) => {
            let text = team_text(&views::team_view(c, g, i, at), out);
            out.print(&text);
        }
        (Found::Domain(i), _) => {
            let d = views::domain_view(c, i);
            let mut s = format!("{} — {} (domain)\n", out.bold(&d.name), d.title);
            if !d.description.is_empty() {
                s.push_str(&format!("{}\n", d.description));
            }
            if let Some(o) = &d.owner {
                s.push_str(&format!("owner: {o}\n"));
            }
            s.push_str(&format!("systems: {}\n", d.systems.join(", ")));
            out.print(&s);
        }
    }
    Ok(exit::OK)
}

/// The system's readiness level and what the next level needs (`cairn score NAME` has it all).
fn readiness_text(snap: &Snapshot, i: usize, out: &Out) -> String {
    let Some(r) = snap.score(i) else {
        return String::new();
    };
    let sc = crate::score::effective(&snap.catalog).scorecard;
    let mut s = String::new();
    section(&mut s, out, "Readiness");
    let level = r
        .level
        .map(|l| format!("{} ({})", sc.levels[l].name, sc.levels[l].title))
        .unwrap_or_else(|| "below every level".into());
    s.push_str(&format!("  {level}\n"));
    if let Some(n) = r.next_level(sc) {
        for o in r.missing().filter(|o| o.level == n) {
            s.push_str(&format!(
                "  for {}: {} — {}\n",
                sc.levels[n].name,
                sc.levels[o.level].rules[o.rule].title,
                o.missing.as_deref().unwrap_or("")
            ));
        }
    }
    s
}

fn oncall_line(o: &OnCall) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &o.primary {
        parts.push(format!("primary {p}"));
    }
    if let Some(b) = &o.backup {
        parts.push(format!("backup {b}"));
    }
    if let Some(l) = &o.lead {
        parts.push(format!("lead {l}"));
    }
    let until = o
        .until
        .as_ref()
        .map(|u| format!(" (until {u})"))
        .unwrap_or_default();
    format!("{}{until}", parts.join(", "))
}

fn section(s: &mut String, out: &Out, title: &str) {
    s.push('\n');
    s.push_str(&out.bold(title));
    s.push('\n');
}

pub fn system_text(v: &SystemView, out: &Out) -> String {
    let mut s = String::new();
    let tier = v
        .tier
        .map(|t| format!("tier {t}"))
        .unwrap_or_else(|| "no tier".into());
    s.push_str(&format!(
        "{} — {}  [{}, {}]\n",
        out.bold(&v.name),
        v.title,
        tier,
        v.lifecycle
    ));
    if !v.description.is_empty() {
        s.push_str(&format!("{}\n", v.description));
    }
    s.push_str(&out.dim(&format!("declared in {}:{}\n", v.file, v.line)));
    if let Some(p) = &v.source {
        s.push_str(&out.dim(&format!(
            "defined in {} at {}{} (source {}{}){}\n",
            p.repository,
            p.path,
            match &p.revision {
                Some(_) => format!(", revision {}", p.short_revision()),
                None => String::new(),
            },
            p.source,
            if p.stale {
                ", stale: its last fetch failed"
            } else {
                ""
            },
            match &p.edit_url {
                Some(u) => format!("; edit: {u}"),
                None => String::new(),
            }
        )));
    }
    section(&mut s, out, "Owner");
    match &v.owner {
        Some(o) => {
            s.push_str(&format!("  {} ({})\n", o.name, o.title));
            for (k, val) in &o.contacts {
                s.push_str(&format!("  {k}: {val}\n"));
            }
            if let Some(oc) = &o.oncall {
                s.push_str(&format!("  on call {}: {}\n", oc.date, oncall_line(oc)));
            }
        }
        None => s.push_str("  none declared\n"),
    }
    if let Some(d) = &v.domain {
        s.push_str(&format!("  domain: {d}\n"));
    }
    if v.runbook.is_some() || !v.docs.is_empty() || v.repo.is_some() || !v.links.is_empty() {
        section(&mut s, out, "Docs and links");
        if let Some(r) = &v.runbook {
            let (DocRefView::Path(p) | DocRefView::Url(p)) = r;
            s.push_str(&format!("  runbook: {p}\n"));
        }
        for d in &v.docs {
            s.push_str(&format!("  doc: {d}\n"));
        }
        if let Some(r) = &v.repo {
            s.push_str(&format!("  repo: {r}\n"));
        }
        for l in &v.links {
            s.push_str(&format!("  {}: {}\n", l.title, l.url));
        }
    }
    if !v.environments.is_empty() {
        section(&mut s, out, "Environments");
        for (k, u) in &v.environments {
            s.push_str(&format!("  {k}: {u}\n"));
        }
    }
    if !v.support.is_empty() {
        section(&mut s, out, "Support");
        for (k, val) in &v.support {
            s.push_str(&format!("  {k}: {val}\n"));
        }
    }
    if !v.provides.is_empty() {
        section(&mut s, out, "Provides");
        for a in &v.provides {
            let sunset = a
                .sunset
                .as_ref()
                .map(|d| format!(", sunset {d}"))
                .unwrap_or_default();
            s.push_str(&format!(
                "  {} ({}, {}{sunset})",
                a.reference, a.kind, a.lifecycle
            ));
            if !a.description.is_empty() {
                s.push_str(&format!(" — {}", a.description));
            }
            s.push('\n');
            for e in &a.endpoints {
                let dep = if e.deprecated { " (deprecated)" } else { "" };
                s.push_str(&format!("    {} {}{dep}\n", e.method, e.path));
            }
            if !a.consumers.is_empty() {
                s.push_str("    consumers:\n");
                for c in &a.consumers {
                    let detail = match (&c.system, &c.contact, &c.uses) {
                        (None, Some(contact), _) => format!(" (external, {contact})"),
                        (None, None, _) => " (external)".to_string(),
                        (Some(_), _, Some(uses)) => format!(" uses {}", uses.join(", ")),
                        (Some(_), _, None) => " (all endpoints / unknown)".to_string(),
                    };
                    s.push_str(&format!("      - {}{detail}\n", c.name));
                }
            }
        }
    }
    if !v.consumes.is_empty() || !v.depends_on.is_empty() {
        section(&mut s, out, "Depends on");
        for k in &v.consumes {
            let uses = k
                .uses
                .as_ref()
                .map(|u| format!(" uses {}", u.join(", ")))
                .unwrap_or_default();
            let notes = k
                .notes
                .as_ref()
                .map(|n| format!(" — {n}"))
                .unwrap_or_default();
            s.push_str(&format!("  consumes {}{uses}{notes}\n", k.api));
        }
        for d in &v.depends_on {
            s.push_str(&format!("  depends on {d}\n"));
        }
    }
    if !v.dependents.is_empty() {
        section(&mut s, out, "Depended on by");
        s.push_str(&format!("  {}\n", v.dependents.join(", ")));
    }
    if !v.ilities.is_empty() {
        section(&mut s, out, "-ilities");
        for (k, i) in &v.ilities {
            let rating = i.rating.map(|r| format!("{r}/5 ")).unwrap_or_default();
            s.push_str(&format!("  {k}: {rating}{}\n", i.notes));
        }
    }
    if !v.tags.is_empty() || !v.aliases.is_empty() {
        s.push('\n');
        if !v.tags.is_empty() {
            s.push_str(&format!("tags: {}\n", v.tags.join(", ")));
        }
        if !v.aliases.is_empty() {
            s.push_str(&format!("aliases: {}\n", v.aliases.join(", ")));
        }
    }
    s
}

pub fn team_text(v: &TeamView, out: &Out) -> String {
    let mut s = format!("{} — {} (team)\n", out.bold(&v.name), v.title);
    if !v.description.is_empty() {
        s.push_str(&format!("{}\n", v.description));
    }
    s.push_str(&out.dim(&format!("declared in {}:{}\n", v.file, v.line)));
    if !v.contacts.is_empty() {
        section(&mut s, out, "Contacts");
        for (k, val) in &v.contacts {
            s.push_str(&format!("  {k}: {val}\n"));
        }
    }
    if let Some(oc) = &v.oncall {
        section(&mut s, out, &format!("On call {}", oc.date));
        s.push_str(&format!("  {}\n", oncall_line(oc)));
    }
    section(&mut s, out, "Members");
    for m in &v.members {
        let role = m
            .role
            .as_ref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let email = m
            .email
            .as_ref()
            .map(|e| format!(" <{e}>"))
            .unwrap_or_default();
        s.push_str(&format!("  {}{email}{role}\n", m.name));
    }
    section(&mut s, out, "Systems owned");
    s.push_str(&format!(
        "  {}\n",
        if v.systems.is_empty() {
            "none".to_string()
        } else {
            v.systems.join(", ")
        }
    ));
    if !v.external_dependencies.is_empty() {
        section(&mut s, out, "Depends on, outside the team");
        for d in &v.external_dependencies {
            let owner = d.owner.as_deref().unwrap_or("no owner");
            s.push_str(&format!(
                "  {} (owner {owner}) ← {}\n",
                d.system,
                d.used_by.join(", ")
            ));
        }
    }
    s
}
