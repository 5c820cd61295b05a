//! One error type for every handler: user mistakes become 4xx with a message, internal failures
//! a generic 500 (details go to the log, never to the client). HTML pages and the JSON API
//! render the same error differently.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::diag::closest;
use crate::model::Catalog;

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub message: String,
    /// Names close to what was asked for, for "did you mean".
    pub suggestions: Vec<String>,
    /// JSON (API) or HTML (pages).
    pub json: bool,
    /// Seconds after which asking again may succeed (`Retry-After`; pages also reload then).
    pub retry_after: Option<u32>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    status: u16,
    message: &'a str,
    suggestions: &'a [String],
}

impl AppError {
    pub fn not_found(message: impl Into<String>, suggestions: Vec<String>) -> AppError {
        AppError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
            suggestions,
            json: false,
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            suggestions: Vec::new(),
            json: false,
            retry_after: None,
        }
    }

    pub fn internal(err: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %err, "internal error");
        AppError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "internal error; see the server log".into(),
            suggestions: Vec::new(),
            json: false,
            retry_after: None,
        }
    }

    /// 503: something this answer needs is not ready yet (the first search index); ask again
    /// after `seconds`. A page reloads itself then.
    pub fn unavailable(message: impl Into<String>, seconds: u32) -> AppError {
        AppError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: message.into(),
            suggestions: Vec::new(),
            json: false,
            retry_after: Some(seconds),
        }
    }

    pub fn json(mut self) -> AppError {
        self.json = true;
        self
    }

    /// The same error as an HTML page (for a page handler reusing an API helper).
    pub fn html(mut self) -> AppError {
        self.json = false;
        self
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let retry = self.retry_after;
        let json = self.json;
        let mut resp = self.respond();
        if let Some(seconds) = retry {
            let value = axum::http::HeaderValue::from(seconds);
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, value.clone());
            if !json {
                // Understood by every browser, without script: the page asks again by itself.
                resp.headers_mut().insert("refresh", value);
            }
        }
        resp
    }
}

impl AppError {
    fn respond(self) -> Response {
        if self.json {
            let body = ErrorBody {
                error: ErrorDetail {
                    status: self.status.as_u16(),
                    message: &self.message,
                    suggestions: &self.suggestions,
                },
            };
            return (self.status, axum::Json(body)).into_response();
        }
        let page = super::page::error_page(self.status, &self.message, &self.suggestions);
        (self.status, Html(page)).into_response()
    }
}

/// Answers of the JSON API that axum's extractors made (a path segment that is not UTF-8, such
/// as `%ff`, a malformed query) are plain text: turned into the API's JSON error, with the same
/// status and message, so every `/api/v1` answer is JSON.
pub async fn json_rejections(resp: Response) -> Response {
    let plain = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !plain || !(resp.status().is_client_error() || resp.status().is_server_error()) {
        return resp;
    }
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let message = String::from_utf8_lossy(&bytes).trim().to_string();
    let mut e = AppError::bad_request(message).json();
    e.status = status;
    e.into_response()
}

pub(super) fn render<T: Template>(t: &T) -> Result<Response, AppError> {
    let html = t.render().map_err(AppError::internal)?;
    Ok(Html(html).into_response())
}

pub(super) fn not_found_error(c: &Catalog, name: &str, kind: &str) -> AppError {
    let mut suggestions = Vec::new();
    let all: Vec<(&str, &str)> = c
        .systems
        .iter()
        .map(|s| (s.name.value.as_str(), "system"))
        .chain(c.teams.iter().map(|t| (t.name.value.as_str(), "team")))
        .collect();
    if let Some(best) = closest(name, all.iter().map(|(n, _)| *n)) {
        let k = all
            .iter()
            .find(|(n, _)| *n == best)
            .map(|(_, k)| *k)
            .unwrap_or("system");
        suggestions.push(if k == "team" {
            format!("teams/{best}")
        } else {
            best.to_string()
        });
    }
    AppError::not_found(
        format!("there is no {kind} named “{name}” in the catalog"),
        suggestions,
    )
}
