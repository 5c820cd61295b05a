//! The search page (`/search`): results, facets as links, paging.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::search::SearchOptions;
use crate::web::api::{self, params, Params};
use crate::web::error::render;
use crate::web::page::{layout, urlencode, Layout};
use crate::web::{AppError, AppState};

pub struct FacetLink {
    pub label: String,
    pub count: u64,
    pub url: String,
    pub active: bool,
}

pub struct FacetGroup {
    pub name: String,
    pub links: Vec<FacetLink>,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub q: String,
    pub results: Vec<crate::search::SearchHit>,
    pub total: usize,
    pub facets: Vec<FacetGroup>,
    pub prev: String,
    pub next: String,
    pub first: usize,
    pub last: usize,
}

pub async fn search(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q)?;
    let query: String = q
        .get("q")
        .map(|s| s.chars().take(1000).collect())
        .unwrap_or_default();
    let offset = api::number::<usize>(&q, "offset")?.unwrap_or(0).min(10_000);
    let limit = 20;
    let live = st.live();
    api::searchable(&live.snapshot).await?;
    let resp = live
        .snapshot
        .search(&query, &SearchOptions { limit, offset })
        .map_err(AppError::internal)?;
    let mut facets = Vec::new();
    for (name, values) in &resp.facets {
        let mut links: Vec<FacetLink> = values
            .iter()
            .map(|(value, count)| {
                let filter = format!("{name}:{value}");
                let active = query.split_whitespace().any(|w| w == filter);
                let new_q = if active {
                    query
                        .split_whitespace()
                        .filter(|w| *w != filter)
                        .collect::<Vec<_>>()
                        .join(" ")
                } else {
                    format!("{} {filter}", query.trim()).trim().to_string()
                };
                FacetLink {
                    label: value.clone(),
                    count: *count,
                    url: format!("/search?q={}", urlencode(&new_q)),
                    active,
                }
            })
            .collect();
        links.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
        links.truncate(12);
        if !links.is_empty() {
            facets.push(FacetGroup {
                name: name.clone(),
                links,
            });
        }
    }
    let page_url = |off: usize| format!("/search?q={}&offset={off}", urlencode(&query));
    let l = layout(
        &live,
        if query.is_empty() {
            "Search".to_string()
        } else {
            format!("{query} — search")
        },
        "search",
    );
    render(&SearchPage {
        layout: l,
        first: offset + 1,
        last: offset + resp.results.len(),
        prev: if offset > 0 {
            page_url(offset.saturating_sub(limit))
        } else {
            String::new()
        },
        next: if offset + limit < resp.total {
            page_url(offset + limit)
        } else {
            String::new()
        },
        q: query,
        total: resp.total,
        results: resp.results.clone(),
        facets,
    })
}
