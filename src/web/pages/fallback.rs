//! The router's fallbacks: no page at this path (404), a method other than GET (405).

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;

use crate::web::error::not_found_error;
use crate::web::{AppError, AppState};

pub async fn not_found(State(st): State<AppState>, OriginalUri(uri): OriginalUri) -> AppError {
    let live = st.live();
    let c = &live.snapshot.catalog;
    let last = uri.path().rsplit('/').find(|s| !s.is_empty()).unwrap_or("");
    let mut err = not_found_error(c, last, "page");
    err.message = format!("there is no page at {}", uri.path());
    if last.is_empty() {
        err.suggestions.clear();
    }
    err
}

/// 405, as JSON under `/api/` and as a page elsewhere.
pub async fn method_not_allowed(uri: axum::http::Uri) -> AppError {
    let api = uri.path().starts_with("/api/");
    AppError {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: if api {
            "this API only answers GET requests".into()
        } else {
            "this page only answers GET requests".into()
        },
        suggestions: Vec::new(),
        json: api,
        retry_after: None,
    }
}
