//! Static assets (CSS, JavaScript) compiled into the binary: one file runs anywhere and
//! nothing is fetched from a CDN. Each is served with a long cache lifetime under a name that
//! carries the crate version, so an upgrade never serves stale files.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../static/cairn.css");
const JS: &str = include_str!("../../static/cairn.js");

pub const CSS_URL: &str = concat!("/static/cairn-", env!("CARGO_PKG_VERSION"), ".css");
pub const JS_URL: &str = concat!("/static/cairn-", env!("CARGO_PKG_VERSION"), ".js");

/// The stylesheet: the page's own rules after the pictures' defaults (so the page wins).
fn stylesheet() -> &'static str {
    static SHEET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SHEET.get_or_init(|| format!("{}\n{CSS}", crate::picture::STYLE))
}

pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, mime) = if CSS_URL.ends_with(&format!("/{file}")) {
        (stylesheet(), "text/css; charset=utf-8")
    } else if JS_URL.ends_with(&format!("/{file}")) {
        (JS, "text/javascript; charset=utf-8")
    } else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}
