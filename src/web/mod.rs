//! The web UI and JSON API (`cairn serve`): [`AppState`] and the [`router`], which reads like
//! the table of contents of the web surface. Only this module knows axum.
//!
//! Handlers take the served snapshot once ([`AppState::live`]: the one the request was pinned to
//! by `observe`) and answer from it alone, so no response mixes two catalogs and its
//! `X-Cairn-Revision` names the snapshot it came from; the snapshot and its reloading live in
//! [`crate::snapshot`]. `server` serves connections with their limits, `health` the probes (and
//! the gate that answers them while the first snapshot is built), `metrics` `/metrics`,
//! `observe` each request's revision, ETag, metrics and log line, `watch` reloads after edits.

mod api;
mod assets;
mod error;
mod health;
mod metrics;
mod observe;
mod onboarding;
mod oncall;
mod page;
mod pages;
mod readiness;

mod server;
mod sources;
mod watch;

use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::loader::LoadOptions;
use crate::model::Catalog;
use crate::observed::Observed;

pub use crate::snapshot::{Broken, Live, ObservedConfig, ReloadReport, Served, Snapshot};
pub use error::AppError;
pub use health::Gate;
pub use metrics::Metrics;
pub use observe::REVISION_HEADER;
pub use server::{serve, serve_connections, ConnLimits, ServeConfig, Server};
pub use watch::{watch, Debounce};

/// What every handler gets: the served snapshot and its reload engine ([`Served`]), and what
/// the server keeps about itself (metrics, whether it is stopping).
#[derive(Clone)]
pub struct AppState {
    served: Arc<Served>,
    ops: Arc<Ops>,
}

/// The server's own state, next to the catalog's.
struct Ops {
    /// `None` with `--no-metrics`.
    metrics: Option<Metrics>,
    /// Set when shutdown began: `/readyz` answers 503 from then on.
    stopping: std::sync::atomic::AtomicBool,
}

impl Deref for AppState {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.served
    }
}

impl From<Served> for AppState {
    fn from(s: Served) -> AppState {
        AppState {
            served: Arc::new(s),
            ops: Arc::new(Ops {
                metrics: Some(Metrics::new()),
                stopping: Default::default(),
            }),
        }
    }
}

tokio::task_local! {
    /// The view a request was pinned to by [`observe::observe`].
    static PINNED: Arc<Live>;
}

impl AppState {
    /// The view to answer from: the one this request was pinned to when it arrived (so the
    /// answer and its `X-Cairn-Revision` agree), or the current one outside a request.
    pub fn live(&self) -> Arc<Live> {
        PINNED
            .try_with(Arc::clone)
            .unwrap_or_else(|_| self.served.live())
    }

    /// The same state without metrics (`cairn serve --no-metrics`): `/metrics` answers 404.
    pub fn without_metrics(self) -> AppState {
        AppState {
            served: self.served,
            ops: Arc::new(Ops {
                metrics: None,
                stopping: Default::default(),
            }),
        }
    }

    /// The metrics, unless they are off.
    pub fn metrics(&self) -> Option<&Metrics> {
        self.ops.metrics.as_ref()
    }

    /// Shutdown began: `/readyz` says so from now on.
    pub fn set_stopping(&self) {
        self.ops
            .stopping
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn stopping(&self) -> bool {
        self.ops.stopping.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// State serving `catalog` (already loaded from `root`); see [`Served::new`].
    pub fn new(catalog: Catalog, root: &Path, opts: LoadOptions) -> anyhow::Result<AppState> {
        Served::new(catalog, root, opts).map(AppState::from)
    }

    /// See [`Served::with_observed`].
    pub fn with_observed(
        catalog: Catalog,
        root: &Path,
        opts: LoadOptions,
        observed: Option<(ObservedConfig, Observed)>,
    ) -> anyhow::Result<AppState> {
        Served::with_observed(catalog, root, opts, observed).map(AppState::from)
    }
}

/// The application's routes. Reads like a table of contents.
pub fn router(state: AppState) -> Router {
    let ops = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::scrape));
    let pages = Router::new()
        .route("/", get(pages::home))
        .route("/systems/{name}", get(pages::system))
        .route("/start", get(onboarding::start))
        .route("/glossary", get(onboarding::glossary))
        .route("/teams/{name}", get(pages::team))
        .route("/teams/{name}/onboarding", get(onboarding::team))
        .route("/readiness", get(readiness::overview))
        .route("/ilities", get(readiness::ilities))
        .route("/oncall", get(oncall::page))
        .route("/search", get(pages::search))
        .route("/impact", get(pages::impact))
        .route("/impact.md", get(pages::impact_markdown))
        .route("/impact.eml", get(pages::impact_eml))
        .route("/graph", get(pages::graph))
        .route("/sources", get(sources::page))
        .route("/docs/{*path}", get(pages::doc))
        .route("/static/{file}", get(assets::serve));
    let api = Router::new()
        .route("/api/v1/systems", get(api::systems))
        .route("/api/v1/systems/{name}", get(api::system))
        .route("/api/v1/teams", get(api::teams))
        .route("/api/v1/teams/{name}", get(api::team))
        .route("/api/v1/search", get(api::search))
        .route("/api/v1/impact", get(api::impact))
        .route("/api/v1/deps/{name}", get(api::deps))
        .route("/api/v1/graph", get(api::graph))
        .route("/api/v1/score", get(api::score))
        .route("/api/v1/oncall", get(api::oncall))
        .route("/api/v1/diagnostics", get(api::diagnostics))
        .route("/api/v1/drift", get(api::drift))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/sources", get(sources::list))
        .route(
            "/api/v1/sources/{name}/refresh",
            // A git host's push payload is larger than any other request body here.
            axum::routing::post(sources::refresh)
                .layer(axum::extract::DefaultBodyLimit::max(2 * 1024 * 1024)),
        )
        .route("/api/v1/{*rest}", get(api::not_found))
        .layer(axum::middleware::map_response(error::json_rejections));
    let app = pages
        .merge(api)
        .merge(ops)
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(10),
        ))
        // Outside the timeout: a request that timed out is counted and logged too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .with_state(state);
    SECURITY_HEADERS.iter().fold(app, |app, (name, value)| {
        app.layer(SetResponseHeaderLayer::overriding(
            name.clone(),
            HeaderValue::from_static(value),
        ))
    })
}

/// The security headers of every answer: the router sets them on its own, and the server
/// writes them into the few answers hyper makes by itself (a malformed request's 400, headers
/// too large: 431), which never reach the router (docs/security.md, "Headers").
pub(crate) const SECURITY_HEADERS: [(header::HeaderName, &str); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
    (header::X_FRAME_OPTIONS, "DENY"),
];
