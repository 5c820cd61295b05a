//! What happens around every request the router answers: it is pinned to the snapshot served
//! when it arrived (handlers answer from that one: [`super::AppState::live`]), its answer names
//! that snapshot's revision (`X-Cairn-Revision`), a JSON answer gets an `ETag` and honours
//! `If-None-Match` (304), and the request is counted ([`super::Metrics`]) and logged.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{AppState, PINNED};

/// The header naming the revision of the snapshot an answer came from.
pub const REVISION_HEADER: HeaderName = HeaderName::from_static("x-cairn-revision");

/// Routes asked so often and so predictably (probes, scrapes) that their log lines are at
/// debug level: `RUST_LOG=cairn=debug` shows them.
const QUIET_ROUTES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

pub(super) async fn observe(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "(none)".to_string());
    let path = req.uri().path().to_string();
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let live = st.served.live();
    let revision = HeaderValue::from_str(live.snapshot.revision())
        .unwrap_or_else(|_| HeaderValue::from_static("unknown"));
    let mut resp = PINNED.scope(live, next.run(req)).await;
    resp.headers_mut().insert(REVISION_HEADER, revision);
    let cacheable = (method == Method::GET || method == Method::HEAD)
        && resp.status() == StatusCode::OK
        && is_json(&resp);
    if cacheable {
        resp = with_etag(resp, if_none_match.as_ref()).await;
    }
    let took = started.elapsed();
    let status = resp.status().as_u16();
    if let Some(m) = st.metrics() {
        m.request(method.as_str(), &route, status, took);
    }
    let ms = (took.as_secs_f64() * 1e6).round() / 1e3;
    // The path is the client's: Debug-formatted (`?`), so control characters are escaped.
    if QUIET_ROUTES.contains(&route.as_str()) {
        tracing::debug!(method = %method, route = %route, path = ?path, status, ms, "request");
    } else {
        tracing::info!(method = %method, route = %route, path = ?path, status, ms, "request");
    }
    resp
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// `resp` with a strong `ETag` (a hash of its body) and `Cache-Control: no-cache` (store it,
/// but ask again: the catalog may have changed), or a bodiless 304 when the client's
/// `If-None-Match` already names that body.
async fn with_etag(resp: Response, if_none_match: Option<&HeaderValue>) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            return super::AppError::internal(format!("the answer could not be read: {e}"))
                .into_response()
        }
    };
    let etag = format!("\"{:016x}\"", crate::snapshot::revision::hash_bytes(&bytes));
    let etag = HeaderValue::from_str(&etag).expect("hex digits and quotes are a valid header");
    if !parts.headers.contains_key(header::CACHE_CONTROL) {
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    if if_none_match.is_some_and(|v| matches(v, &etag)) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        for name in [header::CACHE_CONTROL, REVISION_HEADER] {
            if let Some(v) = parts.headers.get(&name) {
                not_modified.headers_mut().insert(name, v.clone());
            }
        }
        not_modified.headers_mut().insert(header::ETAG, etag);
        return not_modified;
    }
    parts.headers.insert(header::ETAG, etag);
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Whether an `If-None-Match` value names `etag`: `*`, or a list of tags compared weakly
/// (RFC 9110, 13.1.2: a `W/` prefix does not matter).
fn matches(if_none_match: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    let ours = etag.to_str().unwrap_or_default();
    list.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_stars() {
        let tag = HeaderValue::from_static("\"00ab\"");
        let m = |v: &'static str| matches(&HeaderValue::from_static(v), &tag);
        assert!(m("\"00ab\""));
        assert!(m("W/\"00ab\""));
        assert!(m("\"x\", \"00ab\""));
        assert!(m("*"));
        assert!(!m("\"00ac\""));
        assert!(!m("00ab"));
        assert!(!m(""));
    }
}
