//! The home page (`/`): systems by domain, teams, essential systems, recent changes.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::date::Date;
use crate::model::System;
use crate::oncall::on_call;
use crate::web::error::render;
use crate::web::page::{ago, layout, Layout};
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
    pub systems: Vec<SystemCard>,
}

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
    pub essential: Vec<SystemCard>,
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
        })
        .collect();
    let mut other = Vec::new();
    for s in &c.systems {
        let slot = s
            .domain
            .as_ref()
            .and_then(|d| domains.iter_mut().find(|b| b.name == d.value));
        match slot {
            Some(b) => b.systems.push(card(s)),
            None => other.push(card(s)),
        }
    }
    if !other.is_empty() {
        domains.push(DomainBlock {
            name: String::new(),
            title: "Other systems".into(),
            description: "Systems without a domain.".into(),
            owner: String::new(),
            systems: other,
        });
    }
    for d in &mut domains {
        d.systems
            .sort_by(|a, b| (a.tier.unwrap_or(9), &a.name).cmp(&(b.tier.unwrap_or(9), &b.name)));
    }
    let owned = c.systems_by_owner();
    let teams = c
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
    let mut essential: Vec<SystemCard> = c
        .systems
        .iter()
        .filter(|s| s.tier == Some(1))
        .map(|s| card(s))
        .collect();
    essential.sort_by(|a, b| a.name.cmp(&b.name));
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
        essential,
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
