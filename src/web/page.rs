//! The page shell every HTML page shares: the layout (title, navigation, the banner of a catalog
//! with errors, the footer), the error page, and helpers
//! the pages share (URL encoding, safe links, "5 min ago"). Pages import it; it imports no page.

use std::time::SystemTime;

use askama::Template;
use axum::http::StatusCode;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::assets::{CSS_URL, JS_URL};
use super::Live;
use crate::diag::Severity;
use crate::oncall::OnCall;
use crate::report;

/// `s` escaped for HTML text.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    s.chars()
        .for_each(|c| crate::docs::push_escaped(&mut out, c));
    out
}

/// What every page's layout needs.
pub struct Layout {
    pub title: String,
    pub css: &'static str,
    pub js: &'static str,
    pub banner: Option<Banner>,
    pub generation: u64,
    /// The snapshot's revision, short (the full one is in the title attribute).
    pub revision: String,
    pub loaded: String,
    pub query: String,
    pub nav: &'static str,
    pub version: &'static str,
}

pub struct Banner {
    pub serious: bool,
    pub message: String,
    /// HTML: each built from escaped text (`escape`, `code_spans`), with locations and
    /// `backticked` spans as `<code>`.
    pub items: Vec<String>,
    pub more: usize,
}

pub(super) fn layout(live: &Live, title: impl Into<String>, nav: &'static str) -> Layout {
    let snap = &live.snapshot;
    let banner = match &live.broken {
        Some(b) => Some(Banner {
            serious: true,
            message: format!(
                "The catalog cannot be read ({}); serving the last catalog that could be.",
                b.load_error
            ),
            more: 0,
            items: Vec::new(),
        }),
        None if snap.catalog.errors() > 0 => Some(errors_banner(&snap.catalog)),
        None if snap.catalog.sources.iter().any(|s| s.error.is_some()) => Some(Banner {
            serious: false,
            message: "A source of this catalog could not be read: its last good revision is served (see Sources)."
                .into(),
            items: stale_sources(&snap.catalog),
            more: 0,
        }),
        None => None,
    };
    Layout {
        title: title.into(),
        css: CSS_URL,
        js: JS_URL,
        banner,
        generation: snap.generation,
        revision: snap.revision().to_string(),
        loaded: ago(snap.loaded_at),
        query: String::new(),
        nav,
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// One banner line per source whose last fetch failed (docs/sources.md): which, since when,
/// why, and what is served instead; linked to `/sources`.
fn stale_sources(c: &crate::model::Catalog) -> Vec<String> {
    c.sources
        .iter()
        .filter_map(|s| {
            let error = s.error.as_deref()?;
            Some(format!(
                "source <a href=\"/sources#source-{name}\"><code>{name}</code></a> could not be read since {since}: {why}; {served}",
                name = escape(&s.name),
                since = escape(s.stale_since.as_deref().unwrap_or("now")),
                why = escape(error),
                served = match (&s.revision, &s.fetched_at) {
                    (Some(r), _) => format!("revision <code>{}</code> is served", escape(crate::sources::short(r))),
                    (None, Some(_)) => "its last good files are served".into(),
                    (None, None) => "nothing of it is in the catalog".into(),
                }
            ))
        })
        .collect()
}

/// The banner of a catalog with errors: the stale sources first, then the files held back (each with the error that
/// holds it, so a syntax error is never hidden behind what follows from it), then the other
/// errors, root causes first (`diag::sort`), consequences left to `/api/v1/diagnostics`.
fn errors_banner(c: &crate::model::Catalog) -> Banner {
    use crate::model::HeldAs;
    let mut items: Vec<String> = stale_sources(c);
    items.extend(c.held.iter().map(|h| {
        let how = match h.served {
            HeldAs::LastGood => format!(
                "held back since {}, its last good version is served",
                ago(h.since)
            ),
            HeldAs::AsRead => {
                "never loaded without errors, served as far as it could be read".to_string()
            }
            HeldAs::LeftOut => "left out".to_string(),
        };
        format!(
            "<code>{}</code> {how}: <code>{}:{}:{}</code> {}",
            escape(&h.path),
            escape(&h.path),
            h.cause.line,
            h.cause.column,
            code_spans(&h.cause.message)
        )
    }));
    let errors = c.errors();
    items.extend(
        c.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && d.cause.is_none())
            .filter(|d| c.held_file(&d.file).is_none())
            .map(|d| {
                format!(
                    "<code>{}:{}:{}</code> {}",
                    escape(&d.file),
                    d.line,
                    d.column,
                    code_spans(&d.message)
                )
            }),
    );
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let message = match c.held.len() {
        0 => format!(
            "The catalog has {errors} error{}: some entries may be incomplete.",
            s(errors)
        ),
        n => format!(
            "The catalog has {errors} error{}; {n} file{} with errors of {} own {} served as listed below, every other file as it is now.",
            s(errors),
            s(n),
            if n == 1 { "its" } else { "their" },
            if n == 1 { "is" } else { "are" },
        ),
    };
    Banner {
        serious: true,
        message,
        more: items.len().saturating_sub(8),
        items: items.into_iter().take(8).collect(),
    }
}

pub(super) fn ago(t: SystemTime) -> String {
    let secs = SystemTime::now()
        .duration_since(t)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match secs {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86399 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86400),
    }
}

pub(super) fn oncall_text(o: &Option<OnCall>) -> String {
    o.as_ref().map(report::oncall_text).unwrap_or_default()
}

/// Links from catalog data only when they are web or mail links.
pub fn safe_url(u: &str) -> String {
    let t = u.trim();
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
    {
        t.to_string()
    } else {
        String::new()
    }
}

/// What [`urlencode`] leaves as it is: ASCII letters and digits and `-_.~/@`, so a system name, a
/// doc path or an API reference (`system/api@version`) reads as itself in a link. Every other
/// byte, every byte of a non-ASCII character among them, becomes `%XX` (upper-case hex). Not
/// askama's `urlencode` filter: that one encodes `@`, and these links are built in Rust anyway.
const URL_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/')
    .remove(b'@');

/// `s` percent-encoded for a path or a query value (see [`URL_KEEP`]).
pub fn urlencode(s: &str) -> String {
    utf8_percent_encode(s, URL_KEEP).to_string()
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub reason: String,
    pub message: String,
    pub suggestions: Vec<(String, String)>,
}

/// The HTML for an error; used by `AppError`'s response (no snapshot needed).
pub fn error_page(status: StatusCode, message: &str, suggestions: &[String]) -> String {
    let suggestions = suggestions
        .iter()
        .map(|s| {
            let href = if s.starts_with("docs/") || s.starts_with("teams/") {
                format!("/{}", urlencode(s))
            } else if s.contains('/') || s.contains('@') {
                format!("/impact?target={}", urlencode(s))
            } else {
                format!("/systems/{}", urlencode(s))
            };
            (s.clone(), href)
        })
        .collect();
    let reason = match status {
        // Cairn's only 503 pages: not ready yet, soon (the first search index).
        StatusCode::SERVICE_UNAVAILABLE => "Not ready yet",
        _ => status.canonical_reason().unwrap_or("Error"),
    };
    let page = ErrorPage {
        layout: Layout {
            title: reason.to_string(),
            css: CSS_URL,
            js: JS_URL,
            banner: None,
            generation: 0,
            revision: String::new(),
            loaded: String::new(),
            query: String::new(),
            nav: "",
            version: env!("CARGO_PKG_VERSION"),
        },
        status: status.as_u16(),
        reason: reason.to_string(),
        message: message.to_string(),
        suggestions,
    };
    page.render().unwrap_or_else(|_| "error".to_string())
}

/// Escapes `text` for HTML and turns `backticked` spans into `<code>`: rule hints and details
/// are written that way. Everything is escaped first, so the result is safe to emit as is.
pub fn code_spans(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let balanced = text.matches('`').count() % 2 == 0;
    let mut open = false;
    for ch in text.chars() {
        match ch {
            '`' if balanced => {
                out.push_str(if open { "</code>" } else { "<code>" });
                open = !open;
            }
            _ => crate::docs::push_escaped(&mut out, ch),
        }
    }
    out
}

/// The `keep` largest of `items` by `size` (ties: the earlier first), in their own order: a
/// capped list that still shows what matters most (the teams owning the most systems).
pub fn keep_largest<T>(items: Vec<T>, keep: usize, size: impl Fn(&T) -> usize) -> Vec<T> {
    if items.len() <= keep {
        return items;
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(size(&items[i])), i));
    let mut kept = vec![false; items.len()];
    for &i in order.iter().take(keep) {
        kept[i] = true;
    }
    items
        .into_iter()
        .zip(kept)
        .filter_map(|(t, k)| k.then_some(t))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use percent_encoding::percent_encode;

    /// Every byte value is encoded as the hand-written encoder `URL_KEEP` replaced did (its rule
    /// below), and a few strings pin the result.
    #[test]
    fn urlencode_encodes_as_it_always_did() {
        for b in 0..=255u8 {
            let kept = b.is_ascii_alphanumeric() || b"-_.~/@".contains(&b);
            let want = if kept {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            };
            assert_eq!(percent_encode(&[b], URL_KEEP).to_string(), want, "{b:#04x}");
        }
        assert_eq!(urlencode("payments/charge@2"), "payments/charge@2");
        assert_eq!(
            urlencode("docs/run-book_v1.2~x.md"),
            "docs/run-book_v1.2~x.md"
        );
        assert_eq!(
            urlencode("a b&c=d?e#f%g+h"),
            "a%20b%26c%3Dd%3Fe%23f%25g%2Bh"
        );
        assert_eq!(urlencode("team:web tier:1"), "team%3Aweb%20tier%3A1");
        assert_eq!(urlencode("<\"'>\\"), "%3C%22%27%3E%5C");
        assert_eq!(
            urlencode("café ☃ 𝄞"),
            "caf%C3%A9%20%E2%98%83%20%F0%9D%84%9E"
        );
        assert_eq!(urlencode("\n\t\u{7f}"), "%0A%09%7F");
        assert_eq!(urlencode(""), "");
    }
}
