//! The probes a load balancer or Kubernetes asks (`/healthz`, `/readyz`), and the [`Gate`]
//! that answers them from the moment the port is bound: `cairn serve` listens first and builds
//! its first snapshot after, so a replica that is (re)starting says "not ready" (503) instead
//! of refusing connections or answering from nothing.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::json;

use super::AppState;

/// `GET /healthz`: the process is alive and serving HTTP.
pub async fn healthz() -> Response {
    probe(StatusCode::OK, json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 with the served revision once the first snapshot is served (its search
/// index may still be building: `search` says); 503 while shutting down (and, from the
/// [`Gate`], while starting).
pub async fn readyz(State(st): State<AppState>) -> Response {
    if st.stopping() {
        return probe(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "stopping", "reason": "the server is shutting down" }),
        );
    }
    let live = st.live();
    let snap = &live.snapshot;
    probe(
        StatusCode::OK,
        json!({
            "status": "ready",
            "revision": snap.revision(),
            "generation": snap.generation,
            // Every page and answer is served; search too once its first index is built.
            "search": snap.search_state(),
        }),
    )
}

/// A probe's answer: small JSON, never cached.
fn probe(status: StatusCode, body: serde_json::Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The server's service from the moment it listens: until [`Gate::open`] is given the app,
/// `/healthz` answers 200, `/readyz` 503 with why, and everything else 503 with a
/// `Retry-After`; after, every request goes to the app. Cheap to clone.
#[derive(Clone)]
pub struct Gate {
    opened: Arc<OnceLock<(Router, AppState)>>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new()
    }
}

impl Gate {
    pub fn new() -> Gate {
        Gate {
            opened: Arc::new(OnceLock::new()),
        }
    }

    /// Serves `state` through [`super::router`] from now on.
    pub fn open(&self, state: AppState) {
        let _ = self.opened.set((super::router(state.clone()), state));
    }

    /// The state served, once [`Gate::open`] was called.
    pub fn state(&self) -> Option<&AppState> {
        self.opened.get().map(|(_, st)| st)
    }
}

/// The answer to `req` while the first snapshot is being built.
fn starting(req: &Request<impl Sized>) -> Response {
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    let mut resp = match req.uri().path() {
        "/healthz" if get => return healthz_now(),
        "/readyz" if get => probe(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({
                "status": "starting",
                "reason": "the catalog is being loaded; no snapshot is served yet",
            }),
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Cairn is starting: the catalog is being loaded. Try again in a moment.\n",
        )
            .into_response(),
    };
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    for (name, value) in &super::SECURITY_HEADERS {
        resp.headers_mut()
            .insert(name.clone(), HeaderValue::from_static(value));
    }
    resp
}

fn healthz_now() -> Response {
    let mut resp = probe(StatusCode::OK, json!({ "status": "ok" }));
    for (name, value) in &super::SECURITY_HEADERS {
        resp.headers_mut()
            .insert(name.clone(), HeaderValue::from_static(value));
    }
    resp
}

impl<B> tower::Service<Request<B>> for Gate
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        match self.opened.get() {
            Some((app, _)) => {
                let app = app.clone();
                let req = req.map(Body::new);
                Box::pin(async move { tower::ServiceExt::oneshot(app, req).await })
            }
            None => {
                let resp = starting(&req);
                Box::pin(async move { Ok(resp) })
            }
        }
    }
}
