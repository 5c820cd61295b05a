//! Onboarding pages: "Start here" (`/start`) for anyone new, and `/teams/{name}/onboarding` for
//! someone joining a team. Generated from the catalog by `crate::onboarding`; hand-written parts
//! (settings, a team's `onboarding:`) are Markdown, rendered and sanitised by `crate::docs`.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::error::{not_found_error, render};
use super::page::{keep_largest, layout, safe_url, Layout};
use super::pages::domains_svg;
use super::readiness::{badge, LevelBadge};
use super::{AppError, AppState, Live, Snapshot};
use crate::date::Date;
use crate::docs::escape_html;
use crate::model::{DocRef, Team};
use crate::onboarding::{self, first_sentence, ReadingKind, TermKind};
use crate::oncall::on_call;
use crate::score;

/// A system as a newcomer sees it: name, one line, owner, tier, readiness.
pub struct SystemIntro {
    pub name: String,
    pub title: String,
    pub line: String,
    pub owner: String,
    pub tier: Option<u8>,
    pub lifecycle: &'static str,
    pub badge: Option<LevelBadge>,
    pub runbook: String,
}

fn intro(snap: &Snapshot, i: usize) -> SystemIntro {
    let c = &snap.catalog;
    let s = &c.systems[i];
    let sc = score::effective(c).scorecard;
    SystemIntro {
        name: s.name.value.clone(),
        title: s.display_title().to_string(),
        line: first_sentence(&s.description, 180),
        owner: s.owner_name().unwrap_or("").to_string(),
        tier: s.tier,
        lifecycle: s.lifecycle.as_str(),
        badge: snap
            .readiness()
            .get(i)
            .and_then(Option::as_ref)
            .map(|r| badge(sc, r.level)),
        runbook: match s.runbook.as_ref().map(|r| &r.value) {
            Some(DocRef::Path(p)) => format!("/docs/{p}"),
            Some(DocRef::Url(u)) => safe_url(u),
            None => String::new(),
        },
    }
}

/// (label, text, href) for each contact of a team; href empty when not a link.
pub fn contact_links(t: &Team) -> Vec<(String, String, String)> {
    t.contacts
        .entries()
        .into_iter()
        .map(|(k, v)| {
            let href = match k {
                "email" => format!("mailto:{v}"),
                _ => safe_url(v),
            };
            (k.to_string(), v.to_string(), href)
        })
        .collect()
}

// ---------------------------------------------------------------- /start

pub struct DomainCard {
    pub name: String,
    pub title: String,
    pub description: String,
    pub owner: String,
    /// The first few systems, essential first.
    pub systems: Vec<SystemIntro>,
    pub more: usize,
}

pub struct TeamCard {
    pub name: String,
    pub title: String,
    pub line: String,
    pub contacts: Vec<(String, String, String)>,
    pub oncall: String,
    pub systems: usize,
    pub written: bool,
}

pub struct TermRow {
    pub term: String,
    pub anchor: String,
    pub html: String,
    pub kind: &'static str,
    pub href: String,
    pub aliases: Vec<String>,
    /// The initial, on the first term of each letter (empty otherwise).
    pub letter: String,
}

#[derive(Template)]
#[template(path = "start.html")]
pub struct StartPage {
    pub layout: Layout,
    pub org: String,
    pub description_html: String,
    pub counts: Vec<(&'static str, usize)>,
    pub domains: Vec<DomainCard>,
    pub picture: String,
    pub essential: Vec<SystemIntro>,
    /// Essential systems not listed.
    pub essential_more: usize,
    /// The teams owning the most systems.
    pub teams: Vec<TeamCard>,
    pub team_total: usize,
    /// The settings' own glossary (the jargon); the full A-Z is `/glossary`.
    pub terms: Vec<TermRow>,
}

/// Systems listed per domain card before "and N more".
const PER_DOMAIN: usize = 6;

pub async fn start(State(st): State<AppState>) -> Result<Response, AppError> {
    let live = st.live();
    // Off the async workers: the page renders the catalog's Markdown (once per snapshot).
    tokio::task::spawn_blocking(move || start_page(&live))
        .await
        .map_err(AppError::internal)?
}

fn start_page(live: &Arc<Live>) -> Result<Response, AppError> {
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let today = Date::today();
    let settings = c.settings.as_ref();
    let org = settings
        .map(|s| s.title.clone())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "the organisation".into());
    let description_html = settings
        .map(|s| s.description.as_str())
        .filter(|d| !d.trim().is_empty())
        .map(|d| snap.rendered_text(d).html.clone())
        .unwrap_or_default();
    let domains = onboarding::domains(c, snap.graph())
        .into_iter()
        .filter(|d| !d.systems.is_empty())
        .map(|d| {
            let (name, title, description, owner) = match d.domain {
                Some(i) => {
                    let dm = &c.domains[i];
                    (
                        dm.name.value.clone(),
                        if dm.title.is_empty() {
                            dm.name.value.clone()
                        } else {
                            dm.title.clone()
                        },
                        dm.description.clone(),
                        dm.owner
                            .as_ref()
                            .map(|o| o.value.clone())
                            .unwrap_or_default(),
                    )
                }
                None => (
                    String::new(),
                    "Other systems".into(),
                    "Systems not yet placed in a domain.".into(),
                    String::new(),
                ),
            };
            DomainCard {
                name,
                title,
                description,
                owner,
                more: d.systems.len().saturating_sub(PER_DOMAIN),
                systems: d
                    .systems
                    .iter()
                    .take(PER_DOMAIN)
                    .map(|&i| intro(snap, i))
                    .collect(),
            }
        })
        .collect();
    let mut essential: Vec<usize> = (0..c.systems.len())
        .filter(|&i| c.systems[i].tier == Some(1) && score::is_scored(&c.systems[i]))
        .collect();
    onboarding::essential_first(c, snap.graph(), &mut essential);
    let owned = c.systems_by_owner();
    let teams: Vec<TeamCard> = c
        .teams
        .iter()
        .map(|t| TeamCard {
            name: t.name.value.clone(),
            title: t.display_title().to_string(),
            line: first_sentence(&t.description, 200),
            contacts: contact_links(t)
                .into_iter()
                .filter(|(k, ..)| k == "chat" || k == "email")
                .collect(),
            oncall: on_call(t, today)
                .and_then(|o| o.primary)
                .unwrap_or_default(),
            systems: owned.get(t.name.value.as_str()).map_or(0, Vec::len),
            written: t.onboarding.is_some(),
        })
        .collect();
    let essential_more = essential.len().saturating_sub(ESSENTIAL_SHOWN);
    essential.truncate(ESSENTIAL_SHOWN);
    let team_total = teams.len();
    let teams = keep_largest(teams, TEAMS_SHOWN, |t| t.systems);
    // The glossary here holds only the words written down in the settings: every system, team
    // and domain is already on this page, and their A-Z is /glossary.
    let (terms, _) = glossary_rows(snap, true);
    render(&StartPage {
        layout: layout(live, "Start here", "start"),
        counts: vec![
            ("systems", c.systems.len()),
            (
                "essential",
                c.systems.iter().filter(|s| s.tier == Some(1)).count(),
            ),
            ("teams", c.teams.len()),
            ("domains", c.domains.len()),
        ],
        org,
        description_html,
        domains,
        picture: if c.domains.len() > 1 {
            let all: Vec<usize> = (0..c.systems.len()).collect();
            domains_svg(c, snap.graph(), &all)
        } else {
            String::new()
        },
        essential: essential.into_iter().map(|i| intro(snap, i)).collect(),
        essential_more,
        teams,
        team_total,
        terms,
    })
}

/// Essential systems listed on `/start`; the rest are on `/readiness`.
const ESSENTIAL_SHOWN: usize = 10;
/// Team cards on `/start`; every team is on the overview (`/#teams`).
const TEAMS_SHOWN: usize = 12;

/// Glossary rows sorted A-Z, with the first term of each letter marked, and the letters.
/// `written_only` keeps the settings' own terms (the jargon) and drops the generated ones.
fn glossary_rows(snap: &Snapshot, written_only: bool) -> (Vec<TermRow>, Vec<char>) {
    let mut glossary: Vec<TermRow> = onboarding::glossary(&snap.catalog)
        .into_iter()
        .filter(|t| !written_only || t.kind == TermKind::Written)
        .take(2000)
        .map(|t| {
            let (kind, href, html) = match t.kind {
                TermKind::Written => (
                    "term",
                    String::new(),
                    snap.rendered_text(&t.definition).html.clone(),
                ),
                TermKind::System => (
                    "system",
                    format!("/systems/{}", t.term),
                    escape_html(&t.definition),
                ),
                TermKind::Team => (
                    "team",
                    format!("/teams/{}", t.term),
                    escape_html(&t.definition),
                ),
                TermKind::Domain => (
                    "domain",
                    format!("/#domain-{}", t.term),
                    escape_html(&t.definition),
                ),
            };
            TermRow {
                anchor: anchor(&t.term),
                term: t.term,
                html,
                kind,
                href,
                aliases: t.aliases,
                letter: String::new(),
            }
        })
        .collect();
    glossary.sort_by_key(|t| t.term.to_lowercase());
    let mut letters: Vec<char> = Vec::new();
    for t in &mut glossary {
        let initial = t.term.chars().next().unwrap_or(' ').to_ascii_uppercase();
        if letters.last() != Some(&initial) && initial.is_ascii_alphanumeric() {
            letters.push(initial);
            t.letter = initial.to_string();
        }
    }
    (glossary, letters)
}

// ---------------------------------------------------------------- /glossary

#[derive(Template)]
#[template(path = "glossary.html")]
pub struct GlossaryPage {
    pub layout: Layout,
    pub glossary: Vec<TermRow>,
    pub letters: Vec<char>,
    pub written: usize,
}

/// Every term: the settings' jargon, and every domain, team and system, A-Z.
pub async fn glossary(State(st): State<AppState>) -> Result<Response, AppError> {
    let live = st.live();
    let (glossary, letters) = glossary_rows(&live.snapshot, false);
    render(&GlossaryPage {
        layout: layout(&live, "Glossary", "start"),
        written: glossary.iter().filter(|t| t.kind == "term").count(),
        glossary,
        letters,
    })
}

fn anchor(term: &str) -> String {
    let mut a = String::from("term-");
    for ch in term.chars() {
        if ch.is_ascii_alphanumeric() {
            a.push(ch.to_ascii_lowercase());
        } else if !a.ends_with('-') {
            a.push('-');
        }
    }
    a
}

// ---------------------------------------------------------------- /teams/{name}/onboarding

/// Groups the upstream systems by owning team, in the order their first system appears
/// (essential first).
fn upstream_groups(
    c: &crate::model::Catalog,
    o: &onboarding::TeamOnboarding,
    today: Date,
) -> Vec<UpstreamGroup> {
    let mut groups: Vec<UpstreamGroup> = Vec::new();
    for u in &o.upstream {
        let s = &c.systems[u.system];
        let owner = s.owner_name().unwrap_or("");
        let row = UpstreamRow {
            system: s.name.value.clone(),
            line: first_sentence(&s.description, 140),
            tier: s.tier,
            used_by: u
                .used_by
                .iter()
                .map(|&i| c.systems[i].name.value.clone())
                .collect(),
        };
        if let Some(g) = groups.iter_mut().find(|g| g.owner == owner) {
            g.rows.push(row);
            continue;
        }
        let team = c.team(owner);
        groups.push(UpstreamGroup {
            owner: owner.to_string(),
            owner_title: team
                .map(|t| t.display_title().to_string())
                .unwrap_or_else(|| "No owner in the catalog".into()),
            contacts: team
                .map(|t| {
                    contact_links(t)
                        .into_iter()
                        .filter(|(k, ..)| k == "chat" || k == "email")
                        .collect()
                })
                .unwrap_or_default(),
            oncall: team
                .and_then(|t| on_call(t, today))
                .and_then(|oc| oc.primary)
                .unwrap_or_default(),
            rows: vec![row],
        });
    }
    groups
}

pub struct Step {
    pub title: String,
    pub html: String,
    pub url: String,
}

pub struct ReadingRow {
    pub system: String,
    pub title: String,
    pub href: String,
    pub external: bool,
}

pub struct UpstreamRow {
    pub system: String,
    pub line: String,
    pub tier: Option<u8>,
    pub used_by: Vec<String>,
}

/// The systems the team relies on from one other team, with how to reach that team.
pub struct UpstreamGroup {
    /// Empty for systems without a known owner.
    pub owner: String,
    pub owner_title: String,
    pub contacts: Vec<(String, String, String)>,
    pub oncall: String,
    pub rows: Vec<UpstreamRow>,
}

pub struct Person {
    pub name: String,
    pub role: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "team_onboarding.html")]
pub struct TeamOnboardingPage {
    pub layout: Layout,
    pub name: String,
    pub title: String,
    pub description: String,
    pub welcome_html: String,
    pub steps: Vec<Step>,
    pub systems: Vec<SystemIntro>,
    pub docs: Vec<ReadingRow>,
    pub runbooks: Vec<ReadingRow>,
    pub upstream: Vec<UpstreamGroup>,
    pub downstream: Vec<(String, usize)>,
    pub leads: Vec<Person>,
    pub escalation: Vec<Person>,
    pub contacts: Vec<(String, String, String)>,
    pub members: Vec<Person>,
}

pub async fn team(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let live = st.live();
    // Off the async workers, like the start page.
    tokio::task::spawn_blocking(move || team_page(&live, &name))
        .await
        .map_err(AppError::internal)?
}

fn team_page(live: &Arc<Live>, name: &str) -> Result<Response, AppError> {
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let Some(idx) = c.teams.iter().position(|t| t.name.value == name) else {
        return Err(not_found_error(c, name, "team"));
    };
    let t = &c.teams[idx];
    let o = onboarding::team(c, snap.graph(), idx);
    let person = |n: &str, role: &str| Person {
        name: n.to_string(),
        role: role.to_string(),
        email: t
            .member(n)
            .and_then(|m| m.email.clone())
            .unwrap_or_default(),
    };
    let reading = |kind: ReadingKind| -> Vec<ReadingRow> {
        o.reading
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| {
                let (href, external) = match &r.target {
                    DocRef::Path(p) => (format!("/docs/{p}"), false),
                    DocRef::Url(u) => (safe_url(u), true),
                };
                ReadingRow {
                    system: c.systems[r.system].name.value.clone(),
                    title: r.title.clone(),
                    href,
                    external,
                }
            })
            .collect()
    };
    let written = t.onboarding.as_ref();
    let today = Date::today();
    let view = crate::views::team_oncall(c, t, crate::oncall::When::on(today));
    render(&TeamOnboardingPage {
        layout: layout(live, format!("Joining {}", t.display_title()), "start"),
        name: t.name.value.clone(),
        title: t.display_title().to_string(),
        description: t.description.clone(),
        welcome_html: written
            .map(|w| w.welcome.as_str())
            .filter(|w| !w.trim().is_empty())
            .map(|w| snap.rendered_text(w).html.clone())
            .unwrap_or_default(),
        steps: written
            .map(|w| {
                w.steps
                    .iter()
                    .map(|s| Step {
                        title: s.title.clone(),
                        html: if s.details.trim().is_empty() {
                            String::new()
                        } else {
                            snap.rendered_text(&s.details).html.clone()
                        },
                        url: s.url.as_deref().map(safe_url).unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        systems: o.systems.iter().map(|&i| intro(snap, i)).collect(),
        docs: reading(ReadingKind::Doc),
        runbooks: reading(ReadingKind::Runbook),
        upstream: upstream_groups(c, &o, today),
        downstream: o.downstream_teams.clone(),
        leads: o.leads.iter().map(|l| person(l, "lead")).collect(),
        escalation: view
            .escalation
            .iter()
            .map(|r| Person {
                name: r.name.clone(),
                role: r.role.to_string(),
                email: r.email.clone().unwrap_or_default(),
            })
            .collect(),
        contacts: contact_links(t),
        members: t
            .members
            .iter()
            .map(|m| person(&m.name.value, m.role.as_deref().unwrap_or("")))
            .collect(),
    })
}
