//! What a newcomer needs, generated from the catalog: the organisation's domains with their
//! essential systems first, the teams and how to reach them, a glossary, and per team the
//! systems they will touch, what to read in which order, what they rely on from other teams and
//! whom to ask. Hand-written parts (the settings' title, description and glossary, a team's
//! `onboarding:`) are added, never required.
//!
//! Pure data: indexes into the catalog and plain text; the web layer renders it.

use std::collections::{BTreeMap, HashMap};

use crate::graph::Graph;
use crate::model::*;

/// A domain and its systems, essential and central ones first.
pub struct DomainIntro {
    /// `None` for the systems without a domain.
    pub domain: Option<usize>,
    pub systems: Vec<usize>,
}

/// One glossary entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    pub term: String,
    /// Markdown for hand-written terms; plain text otherwise.
    pub definition: String,
    pub kind: TermKind,
    /// Other names of the same thing (a system's aliases).
    pub aliases: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermKind {
    /// Written in the settings' `glossary`.
    Written,
    System,
    Team,
    Domain,
}

/// Systems ordered for a newcomer: essential (tier 1) first, then by how many systems depend
/// on them (central ones first), then by name. Untiered systems come after tier 3.
pub fn essential_first(c: &Catalog, g: &Graph, systems: &mut [usize]) {
    systems.sort_by(|&a, &b| {
        let (sa, sb) = (&c.systems[a], &c.systems[b]);
        let retired = |s: &System| s.lifecycle == Lifecycle::Retired;
        (
            retired(sa),
            sa.tier.unwrap_or(9),
            std::cmp::Reverse(g.dependents(a).len()),
        )
            .cmp(&(
                retired(sb),
                sb.tier.unwrap_or(9),
                std::cmp::Reverse(g.dependents(b).len()),
            ))
            .then_with(|| sa.name.value.cmp(&sb.name.value))
    });
}

/// Every domain with its systems, in declaration order; systems without a domain last.
pub fn domains(c: &Catalog, g: &Graph) -> Vec<DomainIntro> {
    let index: HashMap<&str, usize> = c
        .domains
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.value.as_str(), i))
        .collect();
    let mut by_domain: Vec<Vec<usize>> = vec![Vec::new(); c.domains.len()];
    let mut other = Vec::new();
    for (i, s) in c.systems.iter().enumerate() {
        match s.domain.as_ref().and_then(|d| index.get(d.value.as_str())) {
            Some(&d) => by_domain[d].push(i),
            None => other.push(i),
        }
    }
    let mut out: Vec<DomainIntro> = by_domain
        .into_iter()
        .enumerate()
        .map(|(d, mut systems)| {
            essential_first(c, g, &mut systems);
            DomainIntro {
                domain: Some(d),
                systems,
            }
        })
        .collect();
    if !other.is_empty() {
        essential_first(c, g, &mut other);
        out.push(DomainIntro {
            domain: None,
            systems: other,
        });
    }
    out
}

/// The first sentence of a text (up to the first `. `), at most `max` characters.
pub fn first_sentence(text: &str, max: usize) -> String {
    let t = text.trim();
    let end = t
        .match_indices(". ")
        .map(|(i, _)| i + 1)
        .next()
        .unwrap_or(t.len());
    let s = &t[..end];
    if s.chars().count() > max {
        let mut cut: String = s.chars().take(max).collect();
        cut.push('…');
        cut
    } else {
        s.to_string()
    }
}

/// The glossary: hand-written terms, then every domain, team and system, sorted
/// case-insensitively. Hand-written terms win over generated ones of the same name.
pub fn glossary(c: &Catalog) -> Vec<Term> {
    let mut terms: BTreeMap<String, Term> = BTreeMap::new();
    let mut add = |t: Term| {
        terms.entry(t.term.to_lowercase()).or_insert(t);
    };
    if let Some(s) = &c.settings {
        for e in &s.glossary {
            add(Term {
                term: e.term.clone(),
                definition: e.definition.clone(),
                kind: TermKind::Written,
                aliases: Vec::new(),
            });
        }
    }
    for d in &c.domains {
        let title = if d.title.is_empty() {
            d.name.value.clone()
        } else {
            d.title.clone()
        };
        add(Term {
            term: d.name.value.clone(),
            definition: format!("{title} (domain). {}", first_sentence(&d.description, 220))
                .trim()
                .to_string(),
            kind: TermKind::Domain,
            aliases: Vec::new(),
        });
    }
    for t in &c.teams {
        add(Term {
            term: t.name.value.clone(),
            definition: format!(
                "{} (team). {}",
                t.display_title(),
                first_sentence(&t.description, 220)
            )
            .trim()
            .to_string(),
            kind: TermKind::Team,
            aliases: Vec::new(),
        });
    }
    for s in &c.systems {
        add(Term {
            term: s.name.value.clone(),
            definition: format!(
                "{}. {}",
                s.display_title(),
                first_sentence(&s.description, 220)
            )
            .trim()
            .to_string(),
            kind: TermKind::System,
            aliases: s
                .aliases
                .iter()
                .map(|a| a.value.clone())
                .filter(|a| !a.contains('/') && !a.contains('.') && *a != s.name.value)
                .collect(),
        });
    }
    terms.into_values().collect()
}

/// One item of a team's reading list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub system: usize,
    pub kind: ReadingKind,
    /// A catalog path (served under `/docs/`) or a URL.
    pub target: DocRef,
    /// The document's first heading, or its path.
    pub title: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadingKind {
    Doc,
    Runbook,
}

/// A system of another team that the team's systems rely on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    pub system: usize,
    /// The team's systems that rely on it.
    pub used_by: Vec<usize>,
}

/// Generated onboarding for one team.
pub struct TeamOnboarding {
    pub team: usize,
    /// Systems the team owns, essential first.
    pub systems: Vec<usize>,
    /// What to read, in order: first every system's docs (what it is), then the runbooks
    /// (how to operate it), each in the order of `systems`.
    pub reading: Vec<Reading>,
    /// Other teams' systems the team relies on, essential first.
    pub upstream: Vec<Upstream>,
    /// Teams whose systems rely on this team's, with how many of their systems do.
    pub downstream_teams: Vec<(String, usize)>,
    /// Members whose role says `lead`, then the on-call lead if different.
    pub leads: Vec<String>,
}

pub fn team(c: &Catalog, g: &Graph, team: usize) -> TeamOnboarding {
    let t = &c.teams[team];
    let name = t.name.value.as_str();
    let mut systems: Vec<usize> = (0..c.systems.len())
        .filter(|&i| c.systems[i].owner_name() == Some(name))
        .collect();
    essential_first(c, g, &mut systems);
    let title_of = |path: &str| {
        c.document(path)
            .and_then(crate::docs::title)
            .unwrap_or_else(|| path.rsplit('/').next().unwrap_or(path).to_string())
    };
    let mut reading = Vec::new();
    for &i in &systems {
        for d in &c.systems[i].docs {
            reading.push(Reading {
                system: i,
                kind: ReadingKind::Doc,
                title: title_of(&d.value),
                target: DocRef::Path(d.value.clone()),
            });
        }
    }
    for &i in &systems {
        if let Some(r) = &c.systems[i].runbook {
            let title = match &r.value {
                DocRef::Path(p) => title_of(p),
                DocRef::Url(u) => u.clone(),
            };
            reading.push(Reading {
                system: i,
                kind: ReadingKind::Runbook,
                target: r.value.clone(),
                title,
            });
        }
    }
    let mut upstream: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut downstream: BTreeMap<String, std::collections::BTreeSet<usize>> = BTreeMap::new();
    for &i in &systems {
        for l in g.dependencies(i) {
            let dep = l.system as usize;
            if c.systems[dep].owner_name() != Some(name) {
                let users = upstream.entry(dep).or_default();
                if !users.contains(&i) {
                    users.push(i);
                }
            }
        }
        for l in g.dependents(i) {
            let user = &c.systems[l.system as usize];
            if let Some(o) = user.owner_name().filter(|o| *o != name) {
                downstream
                    .entry(o.to_string())
                    .or_default()
                    .insert(l.system as usize);
            }
        }
    }
    let mut up_order: Vec<usize> = upstream.keys().copied().collect();
    essential_first(c, g, &mut up_order);
    let upstream = up_order
        .into_iter()
        .map(|s| Upstream {
            system: s,
            used_by: upstream.remove(&s).unwrap_or_default(),
        })
        .collect();
    let mut downstream_teams: Vec<(String, usize)> =
        downstream.into_iter().map(|(t, s)| (t, s.len())).collect();
    downstream_teams.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut leads: Vec<String> = t
        .members
        .iter()
        .filter(|m| {
            m.role
                .as_deref()
                .is_some_and(|r| r.to_ascii_lowercase().contains("lead"))
        })
        .map(|m| m.name.value.clone())
        .collect();
    if let Some(l) = t.oncall.as_ref().and_then(|o| o.lead.as_ref()) {
        if !leads.contains(&l.value) {
            leads.push(l.value.clone());
        }
    }
    TeamOnboarding {
        team,
        systems,
        reading,
        upstream,
        downstream_teams,
        leads,
    }
}
