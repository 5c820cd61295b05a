//! The home page (`/`): systems by domain, teams, essential systems, recent changes.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::date::Date;
use crate::model::System;
use crate::oncall::on_call;
use crate::web::error::render;
use crate::web::page::{ago, keep_largest, layout, Layout};
use crate::web::{AppError, AppState};

/// A system as a small card or row.
pub struct SystemCard {
    pub name: String,
    pub title: String,
    pub description: String,
    pub tier: Option<u8>,
    pub lifecycle: &'static str,
    pub owner: String,
}

pub(super) fn card(s: &System) -> SystemCard {
    let mut description: String = s.description.chars().take(140).collect();
    if s.description.chars().count() > 140 {
        description.push('…');
    }
    SystemCard {
        name: s.name.value.clone(),
        title: s.display_title().to_string(),
        description,
        tier: s.tier,
        lifecycle: s.lifecycle.as_str(),
        owner: s.owner_name().unwrap_or("").to_string(),
    }
}

pub struct DomainBlock {
    pub name: String,
    pub title: String,
    pub description: String,
    pub owner: String,
    /// The first cards, essential first (see [`cards_per_domain`]).
    pub systems: Vec<SystemCard>,
    /// Systems not shown as cards; the domain's search lists them all.
    pub more: usize,
}

/// Cards shown per domain: the page stays a few hundred kilobytes however big the catalog is
/// (at 100,000 systems it was 35.8 MB with every system as a card). Few domains get more room.
pub fn cards_per_domain(domains: usize) -> usize {
    if domains <= 25 {
        24
    } else {
        6
    }
}

/// Teams listed beside the domains, those owning the most systems; the rest are a search away.
pub const TEAMS_SHOWN: usize = 40;
/// Essential systems listed beside the domains, by name; the rest are a search away.
pub const ESSENTIAL_SHOWN: usize = 60;

pub struct TeamRow {
    pub name: String,
    pub title: String,
    pub systems: usize,
    pub oncall: String,
    pub email: String,
}

pub struct FileRow {
    pub path: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub domains: Vec<DomainBlock>,
    pub teams: Vec<TeamRow>,
    pub teams_more: usize,
    pub essential: Vec<SystemCard>,
    pub essential_more: usize,
    pub counts: Vec<(&'static str, usize)>,
    pub errors: usize,
    pub warnings: usize,
    pub recent: Vec<FileRow>,
}

pub async fn home(State(st): State<AppState>) -> Result<Response, AppError> {
    let live = st.live();
    let c = &live.snapshot.catalog;
    let today = Date::today();
    let mut domains: Vec<DomainBlock> = c
        .domains
        .iter()
        .map(|d| DomainBlock {
            name: d.name.value.clone(),
            title: if d.title.is_empty() {
                d.name.value.clone()
            } else {
                d.title.clone()
            },
            description: d.description.clone(),
            owner: d
                .owner
                .as_ref()
                .map(|o| o.value.clone())
                .unwrap_or_default(),
            systems: Vec::new(),
            more: 0,
        })
        .collect();
    // Each domain's systems, essential first, by index: one lookup per system (a search of
    // the domains per system was 50 million comparisons at 100,000 systems and 500 domains).
    let slot: std::collections::HashMap<&str, usize> = c
        .domains
        .iter()
        .enumerate()
        .map(|(i, d)| (d.name.value.as_str(), i))
        .collect();
    let mut members: Vec<Vec<&System>> = vec![Vec::new(); domains.len() + 1];
    for s in &c.systems {
        let i = s
            .domain
            .as_ref()
            .and_then(|d| slot.get(d.value.as_str()).copied())
            .unwrap_or(domains.len());
        members[i].push(s.as_ref());
    }
    let other = members.pop().unwrap_or_default();
    if !other.is_empty() {
        domains.push(DomainBlock {
            name: String::new(),
            title: "Other systems".into(),
            description: "Systems without a domain.".into(),
            owner: String::new(),
            systems: Vec::new(),
            more: 0,
        });
        members.push(other);
    }
    let shown = cards_per_domain(domains.len());
    for (d, mut systems) in domains.iter_mut().zip(members) {
        systems.sort_by(|a, b| {
            (a.tier.unwrap_or(9), &a.name.value).cmp(&(b.tier.unwrap_or(9), &b.name.value))
        });
        d.more = systems.len().saturating_sub(shown);
        d.systems = systems.into_iter().take(shown).map(card).collect();
    }
    let owned = c.systems_by_owner();
    let teams: Vec<TeamRow> = c
        .teams
        .iter()
        .map(|t| TeamRow {
            name: t.name.value.clone(),
            title: t.display_title().to_string(),
            systems: owned.get(t.name.value.as_str()).map_or(0, Vec::len),
            oncall: on_call(t, today)
                .and_then(|o| o.primary)
                .unwrap_or_default(),
            email: t.contacts.email.clone().unwrap_or_default(),
        })
        .collect();
    let teams_more = teams.len().saturating_sub(TEAMS_SHOWN);
    let teams = keep_largest(teams, TEAMS_SHOWN, |t| t.systems);
    let mut essential: Vec<&System> = c
        .systems
        .iter()
        .map(|s| &**s)
        .filter(|s| s.tier == Some(1))
        .collect();
    essential.sort_by(|a, b| a.name.value.cmp(&b.name.value));
    let essential_more = essential.len().saturating_sub(ESSENTIAL_SHOWN);
    let essential: Vec<SystemCard> = essential
        .into_iter()
        .take(ESSENTIAL_SHOWN)
        .map(card)
        .collect();
    let endpoints: usize = c
        .systems
        .iter()
        .flat_map(|s| &s.provides)
        .map(|a| a.endpoints.len())
        .sum();
    let mut files: Vec<&crate::model::SourceFile> = c.files.iter().collect();
    files.sort_by(|a, b| b.modified.cmp(&a.modified).then(a.path.cmp(&b.path)));
    let recent = files
        .iter()
        .take(8)
        .map(|f| FileRow {
            path: f.path.clone(),
            when: f.modified.map(ago).unwrap_or_default(),
        })
        .collect();
    render(&HomePage {
        layout: layout(&live, "Overview", "home"),
        domains,
        teams,
        teams_more,
        essential,
        essential_more,
        counts: vec![
            ("systems", c.systems.len()),
            ("APIs", c.api_count()),
            ("endpoints", endpoints),
            ("teams", c.teams.len()),
            ("domains", c.domains.len()),
        ],
        errors: c.errors(),
        warnings: c.warnings(),
        recent,
    })
}
