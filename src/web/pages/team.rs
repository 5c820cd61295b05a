//! A team's page (`/teams/{name}`): contacts, on-call, the systems it owns and their readiness.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use super::home::{card, SystemCard};
use crate::date::Date;
use crate::views;
use crate::web::error::{not_found_error, render};
use crate::web::page::{layout, safe_url, Layout};
use crate::web::readiness::{bar, score_rows, Bar, ScoreRow};
use crate::web::{AppError, AppState};

#[derive(Template)]
#[template(path = "team.html")]
pub struct TeamPage {
    pub layout: Layout,
    pub t: views::TeamView,
    pub oncall_until: String,
    pub systems: Vec<SystemCard>,
    pub contacts: Vec<(String, String, String)>,
    pub oncall_view: views::TeamOncallView,
    pub readiness: Vec<ScoreRow>,
    pub readiness_bar: Bar,
    /// Always false here: every row is the team's own.
    pub show_owner: bool,
}

pub async fn team(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let Some(idx) = c.teams.iter().position(|t| t.name.value == name) else {
        // An owner that is not in the files (an org-directory group): say so, and list what it
        // owns, rather than a bare "no such team".
        let owned: Vec<String> = c
            .systems_owned_by(&name)
            .map(|s| s.name.value.clone())
            .take(50)
            .collect();
        if !owned.is_empty() {
            return Err(AppError::not_found(
                format!(
                    "“{name}” is not in the catalog (owners often live in the organisation's directory); it is named as the owner of the systems below"
                ),
                owned,
            ));
        }
        return Err(not_found_error(c, &name, "team"));
    };
    let today = Date::today();
    let v = views::team_view(c, snap.graph(), idx, today);
    let systems = c.systems_owned_by(&name).map(card).collect();
    let owned: Vec<usize> = (0..c.systems.len())
        .filter(|&i| c.systems[i].owner_name() == Some(name.as_str()))
        .collect();
    let readiness = score_rows(snap, owned.iter().copied());
    let sc = crate::score::effective(c).scorecard;
    let mut counts: Vec<(Option<usize>, usize)> = std::iter::once(None)
        .chain((0..sc.levels.len()).map(Some))
        .map(|l| (l, 0))
        .collect();
    for r in owned.iter().filter_map(|&i| snap.readiness()[i].as_ref()) {
        counts[r.level.map_or(0, |l| l + 1)].1 += 1;
    }
    let contacts = v
        .contacts
        .iter()
        .map(|(k, val)| {
            let href = match *k {
                "email" => format!("mailto:{val}"),
                _ => safe_url(val),
            };
            (k.to_string(), val.clone(), href)
        })
        .collect();
    render(&TeamPage {
        layout: layout(&live, v.title.clone(), "teams"),
        oncall_until: v
            .oncall
            .as_ref()
            .and_then(|o| o.until.clone())
            .unwrap_or_default(),
        systems,
        contacts,
        oncall_view: views::team_oncall(c, &c.teams[idx], crate::oncall::When::on(today)),
        readiness,
        readiness_bar: bar(sc, &counts),
        show_owner: false,
        t: v,
    })
}
