//! The on-call page (`/oncall`): for every team, whom to call now in order (primary, backup,
//! lead), until when, the next handover and the team's contacts; `?system=` puts the team that
//! owns a system first, `?at=` computes another day.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::api::{params, when, Params};
use super::error::{not_found_error, render};
use super::onboarding::contact_links;
use super::page::{layout, safe_url, Layout};
use super::{AppError, AppState};
use crate::model::DocRef;
use crate::views::{self, TeamOncallView};

pub struct TeamBlock {
    pub v: TeamOncallView,
    pub contacts: Vec<(String, String, String)>,
    /// `true` for the team owning the system asked about.
    pub highlighted: bool,
}

/// The system asked about, with what a first responder opens next.
pub struct Asked {
    pub name: String,
    pub title: String,
    pub tier: Option<u8>,
    pub owner: String,
    pub runbook: String,
}

#[derive(Template)]
#[template(path = "oncall.html")]
pub struct OncallPage {
    pub layout: Layout,
    pub date: String,
    /// The instant asked, `2026-03-09 13:30 UTC`.
    pub time: String,
    pub today: bool,
    /// The day after `date`, to say "tomorrow" for a handover then.
    pub tomorrow: String,
    pub at: String,
    pub system: String,
    pub systems: Vec<String>,
    pub asked: Option<Asked>,
    pub teams: Vec<TeamBlock>,
    /// Teams not shown (beyond [`TEAMS_SHOWN`]).
    pub more_teams: usize,
}

/// Teams shown on the page: the asked system's (or `team=`) first, then the catalog's order.
/// At 100,000 systems and 5,000 teams the page listing them all was 9.0 MB; `/api/v1/oncall`
/// pages through every team.
pub const TEAMS_SHOWN: usize = 100;
/// The system field suggests every system up to this many.
pub const SUGGESTIONS_MAX: usize = 2_000;

pub async fn page(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q)?;
    let at = when(&q)?;
    let live = st.live();
    let c = &live.snapshot.catalog;
    let system = q
        .get("system")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let mut asked = None;
    let mut owner_team: Option<usize> = None;
    if !system.is_empty() {
        let Some(s) = c.system_by_name_or_alias(&system) else {
            return Err(not_found_error(c, &system, "system"));
        };
        owner_team = s
            .owner_name()
            .and_then(|o| c.teams.iter().position(|t| t.name.value == o));
        asked = Some(Asked {
            name: s.name.value.clone(),
            title: s.display_title().to_string(),
            tier: s.tier,
            owner: s.owner_name().unwrap_or("").to_string(),
            runbook: match s.runbook.as_ref().map(|r| &r.value) {
                Some(DocRef::Path(p)) => format!("/docs/{p}"),
                Some(DocRef::Url(u)) => safe_url(u),
                None => String::new(),
            },
        });
    }
    if owner_team.is_none() {
        if let Some(name) = q.get("team").map(|t| t.trim()).filter(|t| !t.is_empty()) {
            owner_team = c.teams.iter().position(|t| t.name.value == name);
            if owner_team.is_none() {
                return Err(not_found_error(c, name, "team"));
            }
        }
    }
    let mut order: Vec<usize> = (0..c.teams.len()).collect();
    if let Some(o) = owner_team {
        order.retain(|&i| i != o);
        order.insert(0, o);
    }
    let more_teams = order.len().saturating_sub(TEAMS_SHOWN);
    order.truncate(TEAMS_SHOWN);
    let owned = c.systems_by_owner();
    let teams = order
        .into_iter()
        .map(|i| TeamBlock {
            v: views::team_oncall_owning(
                c,
                &c.teams[i],
                at,
                owned
                    .get(c.teams[i].name.value.as_str())
                    .map_or(&[][..], Vec::as_slice),
            ),
            contacts: contact_links(&c.teams[i]),
            highlighted: Some(i) == owner_team,
        })
        .collect();
    let mut systems: Vec<String> = Vec::new();
    if c.systems.len() <= SUGGESTIONS_MAX {
        systems.extend(c.systems.iter().map(|s| s.name.value.clone()));
        systems.sort();
    }
    render(&OncallPage {
        layout: layout(&live, "On call", "oncall"),
        date: at.date().to_string(),
        time: at.instant.format("%Y-%m-%d %H:%M UTC").to_string(),
        today: q.get("at").is_none_or(|a| a.trim().is_empty()),
        tomorrow: at.date().add_days(1).to_string(),
        // The date field holds a day: an instant asked for (`at=2026-03-09T09:00:00-04:00`)
        // shows its UTC date there.
        at: q
            .get("at")
            .filter(|a| !a.trim().is_empty())
            .map(|a| match crate::date::Date::parse(a) {
                Some(_) => a.trim().to_string(),
                None => at.date().to_string(),
            })
            .unwrap_or_default(),
        system,
        systems,
        asked,
        teams,
        more_teams,
    })
}
