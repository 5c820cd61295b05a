//! A team's on-call feeds (`oncall.ical`): each entry a role and a feed, the feed either a file
//! in the catalog (read here, like every catalog file: [`super::read`]) or a name the operator
//! maps to a URL when serving (`--ical NAME=URL`). A URL written in the catalog is refused:
//! catalog content never makes Cairn open a connection (docs/security.md).

use std::sync::Arc;

use super::node::{join_inside, Ctx, Node};
use super::read::{read_in_catalog, ReadError};
use super::yaml::Value;
use crate::diag::Diagnostic;
use crate::ical::fetch::is_feed_name;
use crate::model::{FeedSource, OncallFeed, OncallRole};

pub const ICAL_FIELDS: &[&str] = &["feed", "role"];

/// At most this many events left out of one feed are reported one by one.
const SKIPPED_SHOWN: usize = 5;

/// `oncall.ical`: a list of `{ feed, role }` (or one such mapping).
pub(super) fn feeds<'a>(ctx: &mut Ctx<'a>, n: Node<'a>) -> Vec<OncallFeed> {
    let items = match n.v {
        Value::Mapping(_) => vec![n],
        _ => ctx.list(n, "ical"),
    };
    let mut out: Vec<OncallFeed> = Vec::new();
    for item in items {
        let Some(o) = ctx.obj(item, "ical feed", ICAL_FIELDS) else {
            continue;
        };
        let role = match o.get("role") {
            Some(rn) => match ctx.string(rn, "role") {
                Some(s) => match OncallRole::parse(&s) {
                    Some(r) => Some(r),
                    None => {
                        ctx.error(
                            "invalid-value",
                            rn.pos,
                            format!("on-call role `{s}` is not primary, backup or lead"),
                        );
                        None
                    }
                },
                None => None,
            },
            None => {
                ctx.error(
                    "missing-field",
                    o.pos(),
                    "ical feed has no `role` (primary, backup or lead)",
                );
                None
            }
        };
        let Some(fnode) = o.get("feed") else {
            ctx.error(
                "missing-field",
                o.pos(),
                "ical feed has no `feed` (a .ics file in the catalog, or a feed name)",
            );
            continue;
        };
        let Some(raw) = ctx.string(fnode, "feed") else {
            continue;
        };
        let Some(role) = role else { continue };
        if let Some(first) = out.iter().find(|f| f.role == role) {
            let line = first.loc.line;
            ctx.error(
                "invalid-value",
                fnode.pos,
                format!(
                    "role `{}` already has a feed (line {line}); one feed per role",
                    role.name()
                ),
            );
            continue;
        }
        let raw = raw.trim().to_string();
        let loc = ctx.loc(fnode.pos);
        if looks_like_url(&raw) {
            ctx.error(
                "oncall-feed-url",
                fnode.pos,
                format!(
                    "feed `{}` is a URL: Cairn opens no connection because of catalog content",
                    short(&raw)
                ),
            )
            .hint = Some(
                "name the feed here (`feed: set-primary`) and have whoever runs Cairn map the name to the URL: `cairn serve --ical set-primary=https://…` (docs/oncall.md)"
                    .into(),
            );
            continue;
        }
        let lower = raw.to_ascii_lowercase();
        if lower.ends_with(".ics") || lower.ends_with(".ical") || raw.contains('/') {
            let rel = match join_inside(ctx.dir, &raw) {
                Ok(p) => p,
                Err(msg) => {
                    ctx.error("path-outside-catalog", fnode.pos, format!("`{raw}` {msg}"))
                        .hint = Some(
                        "paths are relative to the file that names them and must stay inside the catalog"
                            .into(),
                    );
                    continue;
                }
            };
            let schedule = read_feed(ctx, fnode, &raw, &rel);
            out.push(OncallFeed {
                role,
                source: FeedSource::File(rel),
                loc,
                schedule: Some(schedule),
            });
        } else if is_feed_name(&raw) {
            out.push(OncallFeed {
                role,
                source: FeedSource::Named(raw),
                loc,
                schedule: None,
            });
        } else {
            ctx.error(
                "invalid-value",
                fnode.pos,
                format!(
                    "feed `{}` is neither a .ics file in the catalog nor a feed name",
                    short(&raw)
                ),
            )
            .hint = Some(
                "a file ends in .ics (a path relative to this file); a name has letters, digits, `-` and `_` only"
                    .into(),
            );
        }
    }
    out
}

/// Reads and parses the feed file `rel`; what goes wrong is a diagnostic at `n`, and the team
/// falls back to its rotation.
fn read_feed(
    ctx: &mut Ctx,
    n: Node,
    raw: &str,
    rel: &str,
) -> Result<Arc<crate::ical::Schedule>, String> {
    // Its change re-reads this file on a reload, whether or not it could be read now.
    ctx.substituted.push(rel.to_string());
    let bytes = ctx
        .root
        .canonicalize()
        .map_err(ReadError::Io)
        .and_then(|root| read_in_catalog(&root, rel, ctx.max_file_size));
    let text = match bytes {
        Ok(b) => String::from_utf8(b).map_err(|_| "is not UTF-8 text".to_string()),
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Err("does not exist".to_string())
        }
        Err(e) => Err(e.to_string()),
    };
    let parsed = text.and_then(|t| crate::ical::parse(&t));
    match parsed {
        Ok(s) => {
            report_skipped(ctx, n, raw, &s.skipped);
            Ok(Arc::new(s))
        }
        Err(why) => {
            let code = if why.contains("iCalendar") {
                "oncall-feed-invalid"
            } else {
                "oncall-feed-unreadable"
            };
            ctx.error(code, n.pos, format!("on-call feed `{raw}` {why}"))
                .hint = Some(format!(
                "until it can be read, on-call comes from the team's rotation (looked for `{rel}` in the catalog)"
            ));
            Err(why)
        }
    }
}

fn report_skipped(ctx: &mut Ctx, n: Node, raw: &str, skipped: &[String]) {
    for why in skipped.iter().take(SKIPPED_SHOWN) {
        ctx.diags.push(
            Diagnostic::warning(
                "oncall-feed-event",
                ctx.file_path,
                n.pos.line,
                n.pos.col,
                format!("on-call feed `{raw}`: {why}; left out"),
            )
            .with_hint("the rest of the feed is used"),
        );
    }
    if skipped.len() > SKIPPED_SHOWN {
        ctx.diags.push(Diagnostic::warning(
            "oncall-feed-event",
            ctx.file_path,
            n.pos.line,
            n.pos.col,
            format!(
                "on-call feed `{raw}`: {} more events left out",
                skipped.len() - SKIPPED_SHOWN
            ),
        ));
    }
}

/// `scheme://…`, `webcal:`, `mailto:`: anything with a scheme is not a catalog path.
fn looks_like_url(raw: &str) -> bool {
    if raw.contains("://") {
        return true;
    }
    match raw.split_once(':') {
        Some((scheme, _)) => {
            scheme.len() > 1
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// A URL as shown in a message: its scheme and host only. Feed URLs carry secret tokens in
/// their paths (PagerDuty's `/private/<token>/feed/…`), and diagnostics are served.
fn short(raw: &str) -> String {
    let clean: String = raw.chars().filter(|c| !c.is_control()).collect();
    match clean.split_once("://") {
        Some((scheme, rest)) => {
            let host: String = rest
                .split('/')
                .next()
                .unwrap_or("")
                .chars()
                .take(60)
                .collect();
            format!("{scheme}://{host}/…")
        }
        None => {
            let mut s: String = clean.chars().take(24).collect();
            if clean.chars().count() > 24 {
                s.push('…');
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(looks_like_url("https://x.pagerduty.com/private/abc/feed"));
        assert!(looks_like_url("webcal://x/y"));
        assert!(looks_like_url("webcal:x"));
        assert!(!looks_like_url("oncall/primary.ics"));
        assert!(!looks_like_url("set-backup"));
        assert!(!looks_like_url("c:x.ics"));
        assert_eq!(
            short("https://acme.pagerduty.com/private/0123456789abcdef/feed/PXU9KPH"),
            "https://acme.pagerduty.com/…"
        );
    }
}
