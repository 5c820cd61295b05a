//! Named feeds: the operator maps a name the catalog uses (`feed: set-backup`) to a URL
//! (`--ical set-backup=https://…`), and Cairn downloads it with the `curl` program.
//!
//! Catalog content never makes Cairn open a connection (docs/security.md): a URL only ever
//! comes from the operator. Cairn's own HTTP client is built without TLS on purpose, so feeds
//! (nearly always `https://`) are fetched the way `cairn diff` runs `git`: `curl` is run
//! without a shell, the URL after `--` (it cannot be read as an option), only `http` and
//! `https` allowed (redirects included), with a size and a time limit.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Limits of one download.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest feed accepted, in bytes.
    pub max_bytes: u64,
    /// Longest a download may take, connection included.
    pub max_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 10 * 1024 * 1024,
            max_time: Duration::from_secs(20),
        }
    }
}

/// The operator's `NAME=URL` mappings (`--ical`, `CAIRN_ICAL`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedUrls {
    urls: BTreeMap<String, String>,
}

impl FeedUrls {
    /// Parses `NAME=URL` items (each item may hold several, separated by commas, as
    /// `CAIRN_ICAL` does). The URL must be `http://` or `https://` (`webcal://` is read as
    /// `https://`, as calendar applications do).
    pub fn parse<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<FeedUrls, String> {
        let mut urls = BTreeMap::new();
        for item in items
            .into_iter()
            .flat_map(|i| i.split(','))
            .map(str::trim)
            .filter(|i| !i.is_empty())
        {
            let Some((name, url)) = item.split_once('=') else {
                return Err(format!(
                    "`{item}` is not NAME=URL (e.g. set-backup=https://example.pagerduty.com/private/…/feed)"
                ));
            };
            let name = name.trim();
            if !is_feed_name(name) {
                return Err(format!(
                    "`{name}` is not a feed name: letters, digits, `-` and `_` only"
                ));
            }
            let url = url.trim();
            let lower = url.to_ascii_lowercase();
            let url = if let Some(rest) = lower.strip_prefix("webcal://") {
                let _ = rest;
                format!("https://{}", &url["webcal://".len()..])
            } else if lower.starts_with("https://") || lower.starts_with("http://") {
                url.to_string()
            } else {
                return Err(format!(
                    "the URL of feed `{name}` must start with https:// or http://"
                ));
            };
            if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(format!("the URL of feed `{name}` has spaces in it"));
            }
            if urls.insert(name.to_string(), url).is_some() {
                return Err(format!("feed `{name}` is given twice"));
            }
        }
        Ok(FeedUrls { urls })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.urls.get(name).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.urls.keys().map(String::as_str)
    }
}

/// `true` for a name a catalog may give a feed: letters, digits, `-`, `_`, not starting with
/// `-` (so it never reads as an option anywhere), at most 100 characters.
pub fn is_feed_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Downloads `url` with `curl`: the feed's text, or why not (curl missing, an HTTP error, too
/// large, too slow, not UTF-8). Never panics, never waits longer than `limits.max_time` (plus
/// curl's start).
pub fn fetch(url: &str, limits: Limits) -> Result<String, String> {
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err("is not fetched: only http:// and https:// feeds are".into());
    }
    let secs = limits.max_time.as_secs().max(1).to_string();
    let out = Command::new("curl")
        .args([
            "-fsS",
            "-L",
            "--max-redirs",
            "5",
            "--proto",
            "=https,http",
            "--proto-redir",
            "=https,http",
            "--max-filesize",
            &limits.max_bytes.to_string(),
            "--max-time",
            &secs,
            "-H",
            "Accept: text/calendar, */*;q=0.1",
            "--",
            url,
        ])
        .stdin(Stdio::null())
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| format!("cannot be fetched: cannot run curl: {e}"))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        let why = why
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message");
        return Err(match out.status.code() {
            Some(63) => format!("is larger than {} bytes", limits.max_bytes),
            Some(28) => format!("took longer than {secs} s to fetch"),
            _ => format!("cannot be fetched: {}", why.trim_start_matches("curl: ")),
        });
    }
    if out.stdout.len() as u64 > limits.max_bytes {
        return Err(format!("is larger than {} bytes", limits.max_bytes));
    }
    String::from_utf8(out.stdout).map_err(|_| "is not UTF-8 text".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings() {
        let m = FeedUrls::parse(["a=https://x/1, b=webcal://y/2", "c=http://z"]).unwrap();
        assert_eq!(m.get("a"), Some("https://x/1"));
        assert_eq!(m.get("b"), Some("https://y/2"));
        assert_eq!(m.get("c"), Some("http://z"));
        assert!(FeedUrls::parse(["a"]).is_err());
        assert!(FeedUrls::parse(["a=file:///etc/passwd"]).is_err());
        assert!(FeedUrls::parse(["-a=https://x"]).is_err());
        assert!(FeedUrls::parse(["a=https://x", "a=https://y"]).is_err());
    }

    #[test]
    fn refuses_other_schemes_without_running_anything() {
        assert!(fetch("file:///etc/passwd", Limits::default()).is_err());
        assert!(fetch("-K/etc/passwd", Limits::default()).is_err());
    }
}
