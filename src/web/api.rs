//! The JSON API under `/api/v1/`: the same shapes as the CLI's `--format json`
//! (see `crate::views`, `crate::impact`, `crate::search`), described by `/api/v1/openapi.json`.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::page::urlencode;
use super::{AppError, AppState};
use crate::date::Date;
use crate::diag::did_you_mean;
use crate::drift;
use crate::export::{self, Filter};
use crate::impact::{self, ImpactOptions};
use crate::search::SearchOptions;
use crate::snapshot::query::{self, ImpactQuestion};
use crate::views;

pub type Params = Result<Query<HashMap<String, String>>, QueryRejection>;

/// Query parameters, or a 400 for a malformed query string.
pub fn params(p: Params) -> Result<HashMap<String, String>, AppError> {
    p.map(|Query(q)| q)
        .map_err(|e| AppError::bad_request(format!("malformed query string: {e}")))
}

/// An optional numeric parameter; a non-number is a 400.
pub fn number<T: std::str::FromStr>(
    q: &HashMap<String, String>,
    key: &str,
) -> Result<Option<T>, AppError> {
    match q.get(key).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| AppError::bad_request(format!("`{key}` must be a number, got `{v}`"))),
    }
}

/// `at=YYYY-MM-DD` or today.
pub fn date(q: &HashMap<String, String>) -> Result<Date, AppError> {
    match q.get("at").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(Date::today()),
        Some(s) => Date::parse(s).ok_or_else(|| {
            AppError::bad_request(format!("`at` must be a date (YYYY-MM-DD), got `{s}`"))
        }),
    }
}

/// The `at` parameter of on-call answers: a date (`YYYY-MM-DD`, 12:00 UTC that day, or now
/// when it is today) or an RFC 3339 instant; now when absent.
pub fn when(q: &HashMap<String, String>) -> Result<crate::oncall::When, AppError> {
    match q.get("at").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(crate::oncall::When::now()),
        Some(s) => crate::oncall::When::parse(s).ok_or_else(|| {
            AppError::bad_request(format!(
                "`at` must be a date (YYYY-MM-DD) or an RFC 3339 time (2026-03-09T09:00:00-04:00), got `{s}`"
            ))
        }),
    }
}

#[derive(Serialize)]
pub struct SystemSummary {
    pub name: String,
    pub title: String,
    pub description: String,
    pub owner: Option<String>,
    pub domain: Option<String>,
    pub tier: Option<u8>,
    pub lifecycle: &'static str,
    pub url: String,
}

#[derive(Serialize)]
pub struct SystemList {
    pub systems: Vec<SystemSummary>,
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    /// The next page's URL; `null` on the last page.
    pub next: Option<String>,
}

/// A page of a long list (`limit` items from `offset`): answers stay small at any catalog
/// size, and a client that wants everything follows `next`.
#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Page {
    /// Items per page unless `limit` says otherwise, and the most it may say.
    pub const DEFAULT: usize = 500;
    pub const MAX: usize = 1000;

    /// `limit` (1 to [`Page::MAX`], default [`Page::DEFAULT`]) and `offset` (default 0).
    pub fn of(q: &HashMap<String, String>) -> Result<Page, AppError> {
        Page::sized(q, Page::DEFAULT, Page::MAX)
    }

    /// `limit` (1 to `max`, default `default`) and `offset` (default 0): lists of small items
    /// (graph nodes and edges, diagnostics) take bigger pages than [`Page::of`].
    pub fn sized(
        q: &HashMap<String, String>,
        default: usize,
        max: usize,
    ) -> Result<Page, AppError> {
        let limit = number::<usize>(q, "limit")?.unwrap_or(default);
        if limit == 0 || limit > max {
            return Err(AppError::bad_request(format!(
                "`limit` must be from 1 to {max}, got {limit}"
            )));
        }
        let offset = number::<usize>(q, "offset")?.unwrap_or(0);
        Ok(Page { offset, limit })
    }

    /// Where this page is, for an answer whose longest paged list (at `path`) holds `total`
    /// items: several lists of one answer are paged in step, `limit` items of each from
    /// `offset`, and `next` is set while any of them has more.
    pub fn view(&self, path: &str, q: &HashMap<String, String>, total: usize) -> views::PageView {
        views::PageView {
            offset: self.offset,
            limit: self.limit,
            next: self.next(path, q, total),
        }
    }

    /// This page of `items`.
    pub fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        &items[self.range(items.len())]
    }

    /// Keeps only this page of `items`.
    pub fn keep<T>(&self, items: &mut Vec<T>) {
        let r = self.range(items.len());
        items.truncate(r.end);
        items.drain(..r.start);
    }

    fn range(&self, len: usize) -> std::ops::Range<usize> {
        let start = self.offset.min(len);
        start..start.saturating_add(self.limit).min(len)
    }

    /// The URL of the page after this one of `total` items at `path`, with the other query
    /// parameters as they were; `None` on the last page.
    pub fn next(&self, path: &str, q: &HashMap<String, String>, total: usize) -> Option<String> {
        let offset = self.offset.checked_add(self.limit)?;
        if offset >= total {
            return None;
        }
        let mut keys: Vec<&String> = q
            .keys()
            .filter(|k| !matches!(k.as_str(), "offset" | "limit"))
            .collect();
        keys.sort();
        let mut url = format!("{path}?");
        for k in keys {
            url.push_str(&format!("{}={}&", urlencode(k), urlencode(&q[k])));
        }
        url.push_str(&format!("limit={}&offset={offset}", self.limit));
        Some(url)
    }
}

/// Every system in catalog order, a page at a time ([`Page`]).
pub async fn systems(State(st): State<AppState>, q: Params) -> Result<Json<SystemList>, AppError> {
    let q = params(q).map_err(AppError::json)?;
    let page = Page::of(&q).map_err(AppError::json)?;
    let live = st.live();
    let c = &live.snapshot.catalog;
    let systems: Vec<SystemSummary> = page
        .slice(&c.systems)
        .iter()
        .map(|s| SystemSummary {
            name: s.name.value.clone(),
            title: s.display_title().to_string(),
            description: s.description.clone(),
            owner: s.owner_name().map(str::to_string),
            domain: s.domain.as_ref().map(|d| d.value.clone()),
            tier: s.tier,
            lifecycle: s.lifecycle.as_str(),
            url: format!("/systems/{}", s.name.value),
        })
        .collect();
    Ok(Json(SystemList {
        total: c.systems.len(),
        offset: page.offset,
        limit: page.limit,
        next: page.next("/api/v1/systems", &q, c.systems.len()),
        systems,
    }))
}

fn unknown_system(c: &crate::Catalog, name: &str) -> AppError {
    let suggestion = did_you_mean(name, c.systems.iter().map(|s| s.name.value.as_str()));
    let close = crate::diag::closest(name, c.systems.iter().map(|s| s.name.value.as_str()));
    AppError::not_found(
        format!(
            "no system named `{name}`{}",
            suggestion.map(|s| format!(" ({s})")).unwrap_or_default()
        ),
        close.map(|s| vec![s.to_string()]).unwrap_or_default(),
    )
    .json()
}

pub async fn system(
    State(st): State<AppState>,
    Path(name): Path<String>,
    q: Params,
) -> Result<Json<views::SystemView>, AppError> {
    let q = params(q).map_err(AppError::json)?;
    let at = date(&q).map_err(AppError::json)?;
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let Some(s) = c.system_by_name_or_alias(&name) else {
        return Err(unknown_system(c, &name));
    };
    let idx = c
        .system_id(&s.name.value)
        .ok_or_else(|| AppError::internal("indexed system missing").json())?;
    let mut v = views::system_view(c, snap.graph(), idx, at);
    if let Some(ev) = &snap.evidence {
        v.observed_callers = Some(drift::observed_callers(c, snap.graph(), ev, idx));
    }
    Ok(Json(v))
}

#[derive(Serialize)]
pub struct TeamSummary {
    pub name: String,
    pub title: String,
    pub system_count: usize,
    pub member_count: usize,
    pub url: String,
}

#[derive(Serialize)]
pub struct TeamList {
    pub teams: Vec<TeamSummary>,
    pub total: usize,
}

pub async fn teams(State(st): State<AppState>) -> Json<TeamList> {
    let live = st.live();
    let c = &live.snapshot.catalog;
    let owned = c.systems_by_owner();
    let teams: Vec<TeamSummary> = c
        .teams
        .iter()
        .map(|t| TeamSummary {
            name: t.name.value.clone(),
            title: t.display_title().to_string(),
            system_count: owned.get(t.name.value.as_str()).map_or(0, Vec::len),
            member_count: t.members.len(),
            url: format!("/teams/{}", t.name.value),
        })
        .collect();
    Json(TeamList {
        total: teams.len(),
        teams,
    })
}

pub async fn team(
    State(st): State<AppState>,
    Path(name): Path<String>,
    q: Params,
) -> Result<Json<views::TeamView>, AppError> {
    let q = params(q).map_err(AppError::json)?;
    let at = date(&q).map_err(AppError::json)?;
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let Some(idx) = c.teams.iter().position(|t| t.name.value == name) else {
        let close = crate::diag::closest(&name, c.teams.iter().map(|t| t.name.value.as_str()));
        return Err(AppError::not_found(
            format!("no team named `{name}`"),
            close.map(|s| vec![s.to_string()]).unwrap_or_default(),
        )
        .json());
    };
    Ok(Json(views::team_view(c, snap.graph(), idx, at)))
}

/// A page of search results: the CLI's `search --format json` answer and where the page is.
#[derive(Serialize)]
pub struct SearchPage<'a> {
    #[serde(flatten)]
    pub response: &'a crate::search::SearchResponse,
    /// `limit` results from `offset`; `next` is `null` on the last page (or past the deepest
    /// offset a search pages to, 10,000).
    pub page: views::PageView,
}

/// How long a search waits for the first search index before answering 503: a server
/// answers as soon as its catalog is loaded, and builds its index after
/// ([`crate::snapshot::Snapshot::index_in_background`]).
const SEARCH_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Waits (at most [`SEARCH_WAIT`]) until `snap` can be searched: a 503 with `Retry-After`
/// while its index is still being built, or when building it failed.
pub(crate) async fn searchable(snap: &crate::snapshot::Snapshot) -> Result<(), AppError> {
    use crate::snapshot::SearchStatus;
    let deadline = std::time::Instant::now() + SEARCH_WAIT;
    loop {
        match snap.search_status() {
            SearchStatus::Ready(_) | SearchStatus::NotStarted => return Ok(()),
            SearchStatus::Failed(e) => {
                tracing::error!(error = %e, "search asked for, but its index could not be built");
                return Err(AppError::unavailable(
                    "search is unavailable: its index could not be built (the server log says why); \
                     the next reload of the catalog builds it again",
                    30,
                ));
            }
            SearchStatus::Building(took) if std::time::Instant::now() >= deadline => {
                return Err(AppError::unavailable(
                    format!(
                        "the search index is still being built ({} s so far); every other page \
                         and answer is served already. Search answers in a few seconds.",
                        took.as_secs()
                    ),
                    2,
                ));
            }
            SearchStatus::Building(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }
}

/// Full-text search: `limit` (1-200, default 20) results from `offset`, and the next page.
pub async fn search(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q).map_err(AppError::json)?;
    let limit = number::<usize>(&q, "limit")
        .map_err(AppError::json)?
        .unwrap_or(20)
        .clamp(1, 200);
    let offset = number::<usize>(&q, "offset")
        .map_err(AppError::json)?
        .unwrap_or(0)
        .min(crate::search::MAX_OFFSET);
    let query = q.get("q").map(String::as_str).unwrap_or("");
    let live = st.live();
    searchable(&live.snapshot).await.map_err(AppError::json)?;
    let resp = live
        .snapshot
        .search(query, &SearchOptions { limit, offset })
        .map_err(|e| AppError::internal(e).json())?;
    let page = Page { offset, limit };
    // No next page starts past the deepest offset.
    let reachable = resp.total.min(crate::search::MAX_OFFSET + 1);
    Ok(Json(SearchPage {
        page: page.view("/api/v1/search", &q, reachable),
        response: &resp,
    })
    .into_response())
}

/// The impact report, its `affected`, `external`, `teams` and `observed` paged in step
/// ([`Page`]); the summary counts them all.
pub async fn impact(
    State(st): State<AppState>,
    q: Params,
) -> Result<Json<impact::ImpactReport>, AppError> {
    let q = params(q).map_err(AppError::json)?;
    let page = Page::of(&q).map_err(AppError::json)?;
    let live = st.live();
    let snap = &live.snapshot;
    let (mut report, _) = run_impact(snap, &q, Some(page)).map_err(AppError::json)?;
    let s = &report.summary;
    let longest = s
        .total
        .max(s.external_count)
        .max(s.team_count)
        .max(s.observed_count.unwrap_or(0));
    report.page = Some(page.view("/api/v1/impact", &q, longest));
    Ok(Json(report))
}

/// Shared by the API and the page: resolves `target`/`endpoint`, runs the analysis; with a
/// `page`, only that part of each list is built.
pub fn run_impact(
    snap: &super::Snapshot,
    q: &HashMap<String, String>,
    page: Option<Page>,
) -> Result<(impact::ImpactReport, Date), AppError> {
    let target = q.get("target").map(|s| s.trim()).unwrap_or("");
    if target.is_empty() {
        return Err(AppError::bad_request(
            "`target` is required: `system`, `system/api` or `system/api@N`",
        ));
    }
    if target.len() > 500 {
        return Err(AppError::bad_request("`target` is too long"));
    }
    let endpoint = q
        .get("endpoint")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    let at = date(q)?;
    let opts = ImpactOptions {
        max_depth: number(q, "max_depth")?,
        direct_only: q
            .get("direct_only")
            .is_some_and(|v| v == "true" || v == "1" || v == "on"),
    };
    let question = ImpactQuestion {
        target,
        endpoint,
        opts,
        at,
        page: page.map(|p| (p.offset, p.limit)),
    };
    let report = query::impact(snap, &question).map_err(|e| {
        let mut err = AppError::not_found(
            e.message.clone(),
            e.suggestion.clone().into_iter().collect(),
        );
        if e.malformed {
            err.status = axum::http::StatusCode::BAD_REQUEST;
        }
        err
    })?;
    Ok((report, at))
}

/// Declared vs observed, when the server was started with observed sources; `undeclared`,
/// `stale` and `unknown` paged in step ([`Page`]).
pub async fn drift(
    State(st): State<AppState>,
    q: Params,
) -> Result<Json<drift::DriftReport>, AppError> {
    let q = params(q).map_err(AppError::json)?;
    let page = Page::of(&q).map_err(AppError::json)?;
    let live = st.live();
    // Made once per snapshot, off the async workers (seconds at 100,000 systems).
    let snap = live.snapshot.clone();
    let made = tokio::task::spawn_blocking(move || query::drift(&snap))
        .await
        .map_err(|e| AppError::internal(e).json())?;
    let Some(mut report) = made.map(|r| (*r).clone()) else {
        return Err(AppError::not_found(
            "no observed traffic: start the server with `cairn serve --observed FILE...`",
            Vec::new(),
        )
        .json());
    };
    let s = &report.summary;
    let longest = s.undeclared.max(s.stale).max(s.unknown);
    page.keep(&mut report.undeclared);
    page.keep(&mut report.stale);
    page.keep(&mut report.unknown);
    report.page = Some(page.view("/api/v1/drift", &q, longest));
    Ok(Json(report))
}

pub async fn deps(
    State(st): State<AppState>,
    Path(name): Path<String>,
    q: Params,
) -> Result<Json<impact::DepsReport>, AppError> {
    let q = params(q).map_err(AppError::json)?;
    let max_depth = number(&q, "max_depth").map_err(AppError::json)?;
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let Some(s) = c.system_by_name_or_alias(&name) else {
        return Err(unknown_system(c, &name));
    };
    let idx = c
        .system_id(&s.name.value)
        .ok_or_else(|| AppError::internal("indexed system missing").json())?;
    Ok(Json(impact::deps(c, snap.graph(), idx, max_depth)))
}

/// Builds a graph filter from `focus`, `depth`, `team`, `domain`, `tier`.
pub fn graph_filter(c: &crate::Catalog, q: &HashMap<String, String>) -> Result<Filter, AppError> {
    let nonempty = |k: &str| {
        q.get(k)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let focus = match nonempty("focus") {
        None => None,
        Some(name) => match c.system_by_name_or_alias(&name) {
            Some(s) => c.system_id(&s.name.value),
            None => return Err(unknown_system(c, &name)),
        },
    };
    Ok(Filter {
        focus,
        depth: number(q, "depth")?.unwrap_or(2).min(10),
        team: nonempty("team"),
        domain: nonempty("domain"),
        max_tier: number(q, "tier")?,
    })
}

/// A page of the graph: `limit` nodes and `limit` edges from `offset` of each list, and how
/// long both are.
#[derive(Serialize)]
pub struct GraphPage {
    pub nodes: Vec<export::NodeJson>,
    pub edges: Vec<export::EdgeJson>,
    pub total: GraphTotal,
    pub page: views::PageView,
}

/// The selected graph's size, on every page.
#[derive(Serialize)]
pub struct GraphTotal {
    pub nodes: usize,
    pub edges: usize,
}

/// Graph nodes and edges are small (~130 and ~210 bytes at 100,000 systems): a page of the
/// most, 5,000 of each, is ~1.7 MB, and by default a graph of 1,000 edges (~330 systems) is
/// one page.
pub const GRAPH_PAGE: usize = 1000;
pub const GRAPH_PAGE_MAX: usize = 5000;

/// The graph, narrowed by [`graph_filter`], its nodes (catalog order) and edges (sorted)
/// paged in step: why in docs/security.md.
pub async fn graph(State(st): State<AppState>, q: Params) -> Result<Json<GraphPage>, AppError> {
    let q = params(q).map_err(AppError::json)?;
    let page = Page::sized(&q, GRAPH_PAGE, GRAPH_PAGE_MAX).map_err(AppError::json)?;
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let f = graph_filter(c, &q).map_err(AppError::json)?;
    let selected = export::select(c, snap.graph(), &f);
    let mut keep = vec![false; c.systems.len()];
    for &i in &selected {
        keep[i] = true;
    }
    // The whole graph's dependencies, sorted once per snapshot; a narrowed graph keeps those
    // between its systems, which stay in order.
    let between = |d: &&export::Dependency| {
        let (from, to) = d.between();
        keep[from] && keep[to]
    };
    let all = snap.dependencies();
    let total = GraphTotal {
        nodes: selected.len(),
        edges: all.iter().filter(between).count(),
    };
    Ok(Json(GraphPage {
        nodes: page
            .slice(&selected)
            .iter()
            .map(|&i| export::node_json(c, i))
            .collect(),
        edges: all
            .iter()
            .filter(between)
            .skip(page.offset)
            .take(page.limit)
            .map(|d| export::edge_json(c, d))
            .collect(),
        page: page.view("/api/v1/graph", &q, total.nodes.max(total.edges)),
        total,
    }))
}

fn unknown_team(c: &crate::Catalog, name: &str) -> AppError {
    let close = crate::diag::closest(name, c.teams.iter().map(|t| t.name.value.as_str()));
    AppError::not_found(
        format!(
            "no team named `{name}`{}",
            close
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default()
        ),
        close.map(|s| vec![s.to_string()]).unwrap_or_default(),
    )
    .json()
}

fn nonempty<'q>(q: &'q HashMap<String, String>, key: &str) -> Option<&'q str> {
    q.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// `cairn score` as JSON: `system`, `team` and `min_level` narrow it like the CLI's arguments.
pub async fn score(
    State(st): State<AppState>,
    q: Params,
) -> Result<Json<views::ScoreReport>, AppError> {
    let q = params(q).map_err(AppError::json)?;
    let page = Page::of(&q).map_err(AppError::json)?;
    let live = st.live();
    let c = &live.snapshot.catalog;
    let mut f = views::ScoreFilter {
        page: Some((page.offset, page.limit)),
        ..Default::default()
    };
    if let Some(name) = nonempty(&q, "system") {
        let Some(s) = c.system_by_name_or_alias(name) else {
            return Err(unknown_system(c, name));
        };
        f.system = c.system_id(&s.name.value);
    }
    if let Some(t) = nonempty(&q, "team") {
        if c.team(t).is_none() {
            return Err(unknown_team(c, t));
        }
        f.team = Some(t.to_string());
    }
    if let Some(l) = nonempty(&q, "min_level") {
        let sc = crate::score::effective(c).scorecard;
        match sc.level(l) {
            Some(i) => f.min_level = Some(i),
            None => {
                let names: Vec<&str> = sc.levels.iter().map(|l| l.name.as_str()).collect();
                return Err(AppError::bad_request(format!(
                    "no readiness level named `{l}` (levels: {})",
                    names.join(", ")
                ))
                .json());
            }
        }
    }
    let mut report = views::score_report(c, &f, &|i| live.snapshot.score(i));
    report.page = Some(page.view("/api/v1/score", &q, report.summary.system_count));
    Ok(Json(report))
}

/// `cairn oncall` as JSON: every team, one `team`, or the team owning a `system`, on `at`; the
/// teams a page at a time ([`Page`]).
pub async fn oncall(
    State(st): State<AppState>,
    q: Params,
) -> Result<Json<views::OncallReport>, AppError> {
    let q = params(q).map_err(AppError::json)?;
    let at = when(&q).map_err(AppError::json)?;
    let page = Page::of(&q).map_err(AppError::json)?;
    let live = st.live();
    let c = &live.snapshot.catalog;
    let (teams, system) = match (nonempty(&q, "system"), nonempty(&q, "team")) {
        (Some(_), Some(_)) => {
            return Err(AppError::bad_request("give `system` or `team`, not both").json())
        }
        (None, None) => ((0..c.teams.len()).collect(), None),
        (None, Some(t)) => match c.teams.iter().position(|x| x.name.value == t) {
            Some(i) => (vec![i], None),
            None => return Err(unknown_team(c, t)),
        },
        (Some(n), None) => {
            let Some(s) = c.system_by_name_or_alias(n) else {
                return Err(unknown_system(c, n));
            };
            let teams = s
                .owner_name()
                .and_then(|o| c.teams.iter().position(|t| t.name.value == o))
                .into_iter()
                .collect();
            (teams, Some(s.name.value.as_str()))
        }
    };
    let mut report = views::oncall_report(c, page.slice(&teams), system, at);
    report.total = Some(teams.len());
    report.page = Some(page.view("/api/v1/oncall", &q, teams.len()));
    Ok(Json(report))
}

#[derive(Serialize)]
pub struct DiagnosticsResponse<'a> {
    #[serde(flatten)]
    pub report: views::DiagnosticsView<'a>,
    /// True when the files on disk have errors and the last good catalog is being served;
    /// `diagnostics` then describes the files on disk.
    pub serving_last_good: bool,
    pub load_error: Option<&'a str>,
    pub search_index: SearchIndexState<'a>,
    /// The lengths of both paged lists, on every page.
    pub total: DiagnosticsTotal,
    pub page: views::PageView,
    /// The catalog's sources, when it is read from sources: which is stale, since when, why
    /// (docs/sources.md). Absent otherwise.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub sources: &'a [crate::model::SourceStatus],
}

#[derive(Serialize)]
pub struct DiagnosticsTotal {
    pub diagnostics: usize,
    pub held: usize,
}

/// A diagnostic is ~170 bytes: 5,000 of them (and as many held files) are ~2.5 MB, and the
/// default page of 1,000 holds what real catalogs have (`diagnostics` was 13 MB whole for a
/// file of 80,000 warnings).
pub const DIAGNOSTICS_PAGE: usize = 1000;
pub const DIAGNOSTICS_PAGE_MAX: usize = 5000;

/// Where the served search index lives.
#[derive(Serialize)]
pub struct SearchIndexState<'a> {
    /// `"disk"` (`--index-dir`) or `"memory"`.
    /// `null` while the first index is being built.
    pub storage: Option<&'static str>,
    /// `"ready"`, `"building"` (the server answers, search not yet) or `"failed"`.
    pub status: &'static str,
    /// Why it is in memory although `--index-dir` asked for a directory (disk full, ...).
    pub fallback: Option<&'a str>,
}

impl<'a> SearchIndexState<'a> {
    fn of(snap: &crate::snapshot::Snapshot, fallback: Option<&'a str>) -> SearchIndexState<'a> {
        let storage = snap.search_if_built().map(|index| {
            if index.is_persisted() {
                "disk"
            } else {
                "memory"
            }
        });
        let status = match snap.search_state() {
            // Built by the first search.
            "on-demand" => "ready",
            state => state,
        };
        SearchIndexState {
            storage,
            status,
            fallback,
        }
    }
}

/// The diagnostics and the held files of the catalog on disk, paged in step ([`Page`]); the
/// summary counts them all.
pub async fn diagnostics(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q).map_err(AppError::json)?;
    let page = Page::sized(&q, DIAGNOSTICS_PAGE, DIAGNOSTICS_PAGE_MAX).map_err(AppError::json)?;
    let live = st.live();
    let c = &live.snapshot.catalog;
    let fallback = st.search_fallback();
    let search_index = SearchIndexState::of(&live.snapshot, fallback.as_deref());
    let total = DiagnosticsTotal {
        diagnostics: c.diagnostics.len(),
        held: c.held.len(),
    };
    let body = DiagnosticsResponse {
        report: views::diagnostics_view(
            page.slice(&c.diagnostics),
            page.slice(&c.held),
            true,
            views::summary(c),
        ),
        serving_last_good: live.broken.is_some(),
        load_error: live.broken.as_ref().map(|b| b.load_error.as_str()),
        search_index,
        page: page.view("/api/v1/diagnostics", &q, total.diagnostics.max(total.held)),
        total,
        sources: &c.sources,
    };
    Ok(Json(body).into_response())
}

const OPENAPI: &str = include_str!("openapi.json");

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

pub async fn not_found() -> AppError {
    AppError::not_found("no such API route; see /api/v1/openapi.json", Vec::new()).json()
}
