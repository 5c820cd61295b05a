//! Sources on the web (docs/sources.md): the `/sources` page and `GET /api/v1/sources` (each
//! source's repository, the revision served, when it was read, and whether its last fetch
//! failed, since when and why), and the signed refresh a git host's push webhook calls,
//! `POST /api/v1/sources/{name}/refresh`.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use serde::Serialize;

use super::error::render;
use super::page::{layout, Layout};
use super::{AppError, AppState};
use crate::model::SourceStatus;

#[derive(Template)]
#[template(path = "sources.html")]
pub struct SourcesPage {
    pub layout: Layout,
    pub sources: Vec<SourceRow>,
    /// Whether the signed refresh endpoint is on.
    pub webhook: bool,
}

pub struct SourceRow {
    pub s: SourceStatus,
    /// The repository as a link, when it is a web URL.
    pub href: String,
    pub short_revision: String,
    /// The systems read from it.
    pub systems: usize,
}

pub async fn page(State(st): State<AppState>) -> Result<Response, AppError> {
    let live = st.live();
    let c = &live.snapshot.catalog;
    let sources = c
        .sources
        .iter()
        .map(|s| SourceRow {
            href: if s.location.starts_with("https://") || s.location.starts_with("http://") {
                s.location.clone()
            } else {
                String::new()
            },
            short_revision: s
                .revision
                .as_deref()
                .map(crate::sources::short)
                .unwrap_or("")
                .to_string(),
            systems: c
                .systems
                .iter()
                .filter(|sys| {
                    c.file_path(sys.loc.file)
                        .split_once('/')
                        .is_some_and(|(first, _)| first == s.name)
                })
                .count(),
            s: s.clone(),
        })
        .collect();
    render(&SourcesPage {
        layout: layout(&live, "Sources", "sources"),
        sources,
        webhook: st.sources().is_some_and(|(_, secret)| secret.is_some()),
    })
}

#[derive(Serialize)]
struct SourcesResponse<'a> {
    sources: &'a [SourceStatus],
}

pub async fn list(State(st): State<AppState>) -> Response {
    let live = st.live();
    Json(SourcesResponse {
        sources: &live.snapshot.catalog.sources,
    })
    .into_response()
}

#[derive(Serialize)]
struct RefreshAccepted {
    source: String,
    /// Always `refreshing`: the fetch runs after the answer (see /api/v1/sources for how it
    /// went).
    status: &'static str,
}

/// `POST /api/v1/sources/{name}/refresh`: fetches the source, when the request is signed with
/// the configured secret (`X-Hub-Signature-256` over the body, or `X-Gitlab-Token`). 404 when
/// the catalog has no such source or the endpoint is off (no secret), 401 for a missing or
/// wrong signature (nothing is fetched), else 202 at once: the fetch runs after the answer (a
/// git host waits about ten seconds for a webhook), refreshes run one at a time, and one that
/// changes nothing swaps nothing.
pub async fn refresh(
    State(st): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let Some((sources, secret)) = st.sources().cloned() else {
        return Err(AppError::not_found(
            "this catalog is not read from sources (docs/sources.md)",
            Vec::new(),
        )
        .json());
    };
    let Some(secret) = secret else {
        return Err(AppError::not_found(
            "the refresh endpoint is off: start `cairn serve` with --webhook-secret-file (docs/sources.md)",
            Vec::new(),
        )
        .json());
    };
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    if !crate::sources::webhook::verify(
        &secret,
        header("x-hub-signature-256"),
        header("x-gitlab-token"),
        &body,
    ) {
        tracing::warn!(source = %name, "refresh request with a missing or wrong signature refused");
        return Err(AppError {
            status: StatusCode::UNAUTHORIZED,
            message: "missing or wrong signature: sign the body with the webhook secret (X-Hub-Signature-256: sha256=…) or send it as X-Gitlab-Token".into(),
            suggestions: Vec::new(),
            json: true,
            retry_after: None,
        });
    }
    let names = sources.names();
    if !names.contains(&name) {
        return Err(AppError::not_found(format!("no source `{name}`"), names).json());
    }
    // A refresh already asked for and not started yet covers this one too.
    if sources.ask(&name) {
        let served = st.clone();
        let n = name.clone();
        tokio::task::spawn_blocking(move || served.refresh_source(&n));
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(RefreshAccepted {
            source: name,
            status: "refreshing",
        }),
    )
        .into_response())
}
