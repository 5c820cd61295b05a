//! The impact page (`/impact`) and its Markdown download (`/impact.md`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::web::api::{self, params, Params};
use crate::web::page::{layout, oncall_text, urlencode, Layout};
use crate::web::{AppError, AppState};
use crate::{announce, report};

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
    /// The first [`ROWS_SHOWN`] of the group.
    pub rows: Vec<AffectedRow>,
    /// All of the group, shown or not.
    pub total: usize,
}

/// Rows per table on the page: a hub's change reaches thousands of systems, and a page listing
/// them all was 102.6 MB at 100,000 systems. The JSON (paged) and the Markdown report list all.
pub const ROWS_SHOWN: usize = 200;
/// Systems named per team in "Teams to notify".
pub const SYSTEMS_PER_TEAM: usize = 20;
/// The Markdown report is shown in the page to copy only up to this size; above it, it is a
/// download.
pub const MARKDOWN_INLINE: usize = 256 * 1024;
/// The target field suggests every system and API up to this many; above, a datalist of
/// hundreds of thousands of options would weigh more than the page.
pub const SUGGESTIONS_MAX: usize = 2_000;

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
    /// The Markdown report, when short enough to show (see [`MARKDOWN_INLINE`]).
    pub markdown: String,
    pub download: String,
    /// The same question as JSON.
    pub json: String,
    /// What the person making the change said (the announcement form).
    pub notice: crate::announce::Notice,
    /// The announcement as a mail: recipients, subject, plain text, link, download.
    pub recipients: Vec<String>,
    pub subject: String,
    pub mail_text: String,
    pub mailto: String,
    pub eml: String,
    pub audience: String,
    /// The server holds observed traffic (then `observed` lists undeclared consumers).
    pub has_evidence: bool,
    pub observed: Vec<crate::impact::ObservedConsumer>,
    pub observed_total: usize,
    /// [`ROWS_SHOWN`] and [`SYSTEMS_PER_TEAM`], for the template.
    pub rows_shown: usize,
    pub per_team: usize,
    /// Placeholders from this catalog: an API reference and one of its endpoints.
    pub example_target: String,
    pub example_endpoint: String,
}

impl ImpactPage {
    /// The system of [`ImpactPage::example_target`].
    pub fn example_system(&self) -> &str {
        self.example_target.split('/').next().unwrap_or("")
    }

    /// [`ImpactPage::example_target`] without its version.
    pub fn example_api(&self) -> &str {
        self.example_target.split('@').next().unwrap_or("")
    }
}

/// An API of `c` with endpoints (the one with the most, ties by catalog order) and its first
/// endpoint, for the form's placeholders; generic words when the catalog has none.
fn example(c: &crate::model::Catalog) -> (String, String) {
    c.systems
        .iter()
        .flat_map(|s| s.provides.iter().map(move |a| (s, a)))
        .filter(|(_, a)| !a.endpoints.is_empty())
        .max_by_key(|(_, a)| (a.endpoints.len(), std::cmp::Reverse(a.name.value.clone())))
        .map(|(s, a)| (a.reference(&s.name.value), a.endpoints[0].label()))
        .unwrap_or_else(|| ("system/api@1".into(), "GET /path".into()))
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
    let notice = notice_of(&q);
    let mut suggestions: Vec<String> = Vec::new();
    if c.systems.len() <= SUGGESTIONS_MAX {
        suggestions.extend(c.systems.iter().map(|s| s.name.value.clone()));
        suggestions.extend(c.all_api_refs());
        suggestions.truncate(SUGGESTIONS_MAX);
        suggestions.sort();
    }
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
        json: String::new(),
        notice: notice.clone(),
        recipients: Vec::new(),
        subject: String::new(),
        mail_text: String::new(),
        mailto: String::new(),
        eml: String::new(),
        audience: String::new(),
        has_evidence: snap.evidence.is_some(),
        observed: Vec::new(),
        observed_total: 0,
        rows_shown: ROWS_SHOWN,
        per_team: SYSTEMS_PER_TEAM,
        target: target.clone(),
        endpoint: endpoint.clone(),
        example_target: String::new(),
        example_endpoint: String::new(),
    };
    (page.example_target, page.example_endpoint) = example(c);
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
                let mut groups: BTreeMap<u32, (usize, Vec<AffectedRow>)> = BTreeMap::new();
                for a in &r.affected {
                    let (total, rows) = groups.entry(a.depth).or_default();
                    *total += 1;
                    if rows.len() >= ROWS_SHOWN {
                        continue;
                    }
                    rows.push(AffectedRow {
                        system: a.system.clone(),
                        depth: a.depth,
                        path: crate::impact::path_text(&a.path, a.path_left_out, " → "),
                        via: a.via_text.clone(),
                        unknown: a.usage == "unknown",
                        owner: a.owner.clone().unwrap_or_default(),
                        tier: a.tier,
                        oncall: oncall_text(&a.oncall),
                    });
                }
                page.groups = groups
                    .into_iter()
                    .map(|(d, (total, rows))| DepthGroup {
                        title: if d == 1 {
                            "Direct consumers".into()
                        } else {
                            format!("Depth {d} — transitive")
                        },
                        rows,
                        total,
                    })
                    .collect();
                let date = at.to_string();
                let markdown = report::impact_markdown(&r, &date, &notice);
                if markdown.len() <= MARKDOWN_INLINE {
                    page.markdown = markdown;
                }
                let query = announcement_query(&target, &endpoint, &page.at, &notice);
                let dl = format!("/impact.md?{query}");
                page.eml = format!("/impact.eml?{query}");
                page.recipients = announce::recipients(&r);
                page.subject = announce::subject(&r, &notice);
                page.mail_text = announce::text(&r, &notice, &date);
                page.mailto = announce::mailto(&r, &notice, &date, &format!("/impact?{query}"));
                page.audience = announce::audience(&r);
                page.download = dl;
                page.json = format!(
                    "/api/v1/impact?{}",
                    announcement_query(&target, &endpoint, &page.at, &Default::default())
                );
                page.observed_total = r.observed.as_ref().map_or(0, Vec::len);
                page.observed = r
                    .observed
                    .iter()
                    .flatten()
                    .take(ROWS_SHOWN)
                    .cloned()
                    .collect();
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
    let md = report::impact_markdown(&r, &at.to_string(), &notice_of(&q));
    let file = file_name(&r.target);
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

/// The announcement's fields from the impact form (`what`, `when`, `why`, `contact`).
fn notice_of(q: &std::collections::HashMap<String, String>) -> announce::Notice {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    announce::Notice::new(get("what"), get("when"), get("why"), get("contact"))
}

/// The query string naming one impact question and its announcement.
fn announcement_query(target: &str, endpoint: &str, at: &str, n: &announce::Notice) -> String {
    let mut q = format!("target={}", urlencode(target));
    for (k, v) in [
        ("endpoint", endpoint),
        ("at", at),
        ("what", &n.what),
        ("when", &n.when),
        ("why", &n.why),
        ("contact", &n.contact),
    ] {
        if !v.is_empty() {
            q.push_str(&format!("&{k}={}", urlencode(v)));
        }
    }
    q
}

/// `/impact.eml`: the announcement as a mail to open as a draft.
pub async fn impact_eml(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q)?;
    let live = st.live();
    let (r, at) = api::run_impact(&live.snapshot, &q, None)?;
    let eml = announce::crlf(&announce::eml(&r, &notice_of(&q), &at.to_string()));
    Ok((
        [
            (header::CONTENT_TYPE, "message/rfc822".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"impact-{}.eml\"",
                    file_name(&r.target)
                ),
            ),
        ],
        eml,
    )
        .into_response())
}

/// `target` as a file name: letters, digits and `-`, the rest `_`.
fn file_name(target: &str) -> String {
    target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
