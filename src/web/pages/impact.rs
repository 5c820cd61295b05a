//! The impact page (`/impact`) and its Markdown download (`/impact.md`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::report;
use crate::web::api::{self, params, Params};
use crate::web::page::{layout, oncall_text, urlencode, Layout};
use crate::web::{AppError, AppState};

pub struct AffectedRow {
    pub system: String,
    pub depth: u32,
    pub path: String,
    pub via: String,
    pub unknown: bool,
    pub owner: String,
    pub tier: Option<u8>,
    pub oncall: String,
}

pub struct DepthGroup {
    pub title: String,
    pub rows: Vec<AffectedRow>,
}

#[derive(Template)]
#[template(path = "impact.html")]
pub struct ImpactPage {
    pub layout: Layout,
    pub target: String,
    pub endpoint: String,
    pub at: String,
    pub suggestions: Vec<String>,
    pub endpoints: Vec<String>,
    pub error: String,
    pub error_suggestions: Vec<String>,
    pub report: Option<crate::impact::ImpactReport>,
    pub headline: String,
    pub groups: Vec<DepthGroup>,
    pub tiers: Vec<(String, usize)>,
    pub markdown: String,
    pub download: String,
    /// The server holds observed traffic (then `observed` lists undeclared consumers).
    pub has_evidence: bool,
    pub observed: Vec<crate::impact::ObservedConsumer>,
}

pub async fn impact(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q)?;
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let target = q
        .get("target")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let endpoint = q
        .get("endpoint")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let mut suggestions: Vec<String> = c.systems.iter().map(|s| s.name.value.clone()).collect();
    suggestions.extend(c.all_api_refs());
    suggestions.sort();
    let endpoints: Vec<String> = crate::impact::resolve_target(c, &target, None)
        .ok()
        .map(|t| {
            c.systems[t.system]
                .provides
                .iter()
                .filter(|a| {
                    t.api.as_deref().is_none_or(|n| n == a.name.value)
                        && t.version.is_none_or(|v| v == a.version)
                })
                .flat_map(|a| a.endpoints.iter().map(|e| e.label()))
                .collect()
        })
        .unwrap_or_default();
    let mut page = ImpactPage {
        layout: layout(
            &live,
            if target.is_empty() {
                "Impact".to_string()
            } else {
                format!("Impact of {target}")
            },
            "impact",
        ),
        at: q.get("at").cloned().unwrap_or_default(),
        suggestions,
        endpoints,
        error: String::new(),
        error_suggestions: Vec::new(),
        report: None,
        headline: String::new(),
        groups: Vec::new(),
        tiers: Vec::new(),
        markdown: String::new(),
        download: String::new(),
        has_evidence: snap.evidence.is_some(),
        observed: Vec::new(),
        target: target.clone(),
        endpoint: endpoint.clone(),
    };
    let mut status = StatusCode::OK;
    if !target.is_empty() {
        match api::run_impact(snap, &q, None) {
            Ok((r, at)) => {
                page.headline = report::headline(&r);
                page.tiers = r
                    .summary
                    .by_tier
                    .iter()
                    .map(|(k, v)| (k.clone(), *v))
                    .collect();
                let mut groups: BTreeMap<u32, Vec<AffectedRow>> = BTreeMap::new();
                for a in &r.affected {
                    groups.entry(a.depth).or_default().push(AffectedRow {
                        system: a.system.clone(),
                        depth: a.depth,
                        path: a.path.join(" → "),
                        via: a.via.clone(),
                        unknown: a.usage == "unknown",
                        owner: a.owner.clone().unwrap_or_default(),
                        tier: a.tier,
                        oncall: oncall_text(&a.oncall),
                    });
                }
                page.groups = groups
                    .into_iter()
                    .map(|(d, rows)| DepthGroup {
                        title: if d == 1 {
                            "Direct consumers".into()
                        } else {
                            format!("Depth {d} — transitive")
                        },
                        rows,
                    })
                    .collect();
                page.markdown = report::impact_markdown(&r, &at.to_string());
                let mut dl = format!("/impact.md?target={}", urlencode(&target));
                if !endpoint.is_empty() {
                    dl.push_str(&format!("&endpoint={}", urlencode(&endpoint)));
                }
                if !page.at.is_empty() {
                    dl.push_str(&format!("&at={}", urlencode(&page.at)));
                }
                page.download = dl;
                page.observed = r.observed.clone().unwrap_or_default();
                page.report = Some(r);
            }
            Err(e) => {
                status = e.status;
                page.error = e.message;
                page.error_suggestions = e.suggestions;
            }
        }
    }
    let html = page.render().map_err(AppError::internal)?;
    Ok((status, Html(html)).into_response())
}

pub async fn impact_markdown(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q)?;
    let live = st.live();
    let (r, at) = api::run_impact(&live.snapshot, &q, None)?;
    let md = report::impact_markdown(&r, &at.to_string());
    let file: String = r
        .target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/markdown; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"impact-{file}.md\""),
            ),
        ],
        md,
    )
        .into_response())
}
