//! The impact announcement as people send it: what changes, when, why and whom to contact
//! (given by the person making the change), a subject, the recipients (every affected team's
//! email and every external consumer's), a plain-text body, a `mailto:` link and an RFC 5322
//! message to open as a draft (`.eml`). The Markdown version is [`crate::report::impact_markdown`].
//!
//! Shared by the CLI (`cairn impact --what … --when … --format text|md|eml`) and the impact page
//! (the form, the preview, the mail link and the download). Pure string building.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::impact::ImpactReport;
pub use crate::report::Notice;
use crate::report::{affected_by_name, headline, oncall_text, tier_and_depth};
use crate::text::plural;

/// The subject line: "Planned change to pkgdb/api@2 on 2026-12-14: drops `branches`".
pub fn subject(r: &ImpactReport, n: &Notice) -> String {
    let mut s = format!("Planned change to {}", r.target);
    if !n.when.is_empty() {
        s.push_str(&format!(" on {}", n.when));
    }
    if !n.what.is_empty() {
        s.push_str(&format!(": {}", n.what));
    }
    s.chars().take(200).collect()
}

/// Every address to send the announcement to: the email contacts of each affected team and
/// the external consumers' contacts that are addresses; sorted, without duplicates.
pub fn recipients(r: &ImpactReport) -> Vec<String> {
    let mut out: Vec<String> = r
        .teams
        .iter()
        .flat_map(|t| t.contacts.values())
        .chain(r.external.iter().filter_map(|e| e.contact.as_ref()))
        .filter_map(|v| address(v))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The email address in a contact value: `a@b.org`, `mailto:a@b.org`, `Name <a@b.org>`.
fn address(v: &str) -> Option<String> {
    let v = v.trim();
    let v = match (v.find('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v,
    };
    let v = v.strip_prefix("mailto:").unwrap_or(v).trim();
    let (local, domain) = v.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@.-_+".contains(c));
    ok.then(|| v.to_string())
}

/// The announcement as plain text: what a mail body says.
/// Systems named per team in the mail; a hub's change can reach thousands, and a mail
/// listing them all is neither read nor sent (the impact report has the full list).
pub const SYSTEMS_PER_TEAM: usize = 25;
/// Teams given a section in the mail, most affected first as the report orders them.
pub const TEAMS_SHOWN: usize = 200;
/// Consumers outside the catalog named in the mail.
pub const EXTERNAL_SHOWN: usize = 50;

pub fn text(r: &ImpactReport, n: &Notice, date: &str) -> String {
    let mut out = format!("Planned change to {}\n\n", r.target);
    for (label, value) in n.lines() {
        out.push_str(&format!("{label}: {value}\n"));
    }
    if let Some(o) = &r.target_owner {
        out.push_str(&format!("API owned by: {o}\n"));
    }
    out.push_str(&format!("Impact computed on: {date}\n\n"));
    out.push_str(&headline(r));
    out.push_str("\n\n");
    if r.affected.is_empty() && r.external.is_empty() {
        out.push_str(
            "No consumer of this interface is known to the catalog. If you use it, please reply \
             to this message and declare it in your catalog entry.\n",
        );
        return out;
    }
    out.push_str("Who is affected, by team\n\n");
    let by_name = affected_by_name(r);
    for t in r.teams.iter().take(TEAMS_SHOWN) {
        out.push_str(&format!("* {} ({})\n", t.title, t.name));
        let contacts: Vec<&str> = t.contacts.values().map(String::as_str).collect();
        if !contacts.is_empty() {
            out.push_str(&format!("  Contacts: {}\n", contacts.join(", ")));
        }
        if let Some(o) = t.oncall.as_ref().filter(|o| !o.is_empty()) {
            out.push_str(&format!("  On call: {}\n", oncall_text(o)));
        }
        for name in t.systems.iter().take(SYSTEMS_PER_TEAM) {
            if let Some(a) = by_name.get(name.as_str()) {
                let (tier, how) = tier_and_depth(a, " -> ");
                let unknown = if a.usage == "unknown" {
                    " (usage unknown: it does not declare which endpoints it uses)"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "  - {} ({tier}, {how}): {}{unknown}\n",
                    a.system, a.via_text
                ));
            }
        }
        if t.systems.len() > SYSTEMS_PER_TEAM {
            out.push_str(&format!(
                "  - and {} more of {}'s systems: the full list is in the impact report\n",
                t.systems.len() - SYSTEMS_PER_TEAM,
                t.name
            ));
        }
        out.push('\n');
    }
    if r.teams.len() > TEAMS_SHOWN {
        out.push_str(&format!(
            "* and {} more teams: the full list is in the impact report\n\n",
            r.teams.len() - TEAMS_SHOWN
        ));
    }
    if !r.external.is_empty() {
        out.push_str("Consumers outside the catalog\n\n");
        for e in r.external.iter().take(EXTERNAL_SHOWN) {
            let contact = e
                .contact
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            out.push_str(&format!("  - {}{contact}: {}\n", e.name, e.api));
        }
        if r.external.len() > EXTERNAL_SHOWN {
            out.push_str(&format!(
                "  - and {} more: the full list is in the impact report\n",
                r.external.len() - EXTERNAL_SHOWN
            ));
        }
        out.push('\n');
    }
    out.push_str("What to do\n\n");
    out.push_str(&format!(
        "  - Direct consumers: check your calls to {} and test against staging before the deploy.\n",
        r.target
    ));
    if r.summary.transitive > 0 {
        out.push_str(
            "  - Transitive consumers: you depend on a direct consumer; watch for its errors on deploy day.\n",
        );
    }
    if r.summary.usage_unknown > 0 {
        out.push_str("  - Usage unknown: add `uses:` to your `consumes` entry so the next announcement can leave you out.\n");
    }
    let ask = if !n.contact.is_empty() {
        n.contact.clone()
    } else {
        r.target_owner.clone().unwrap_or_default()
    };
    if !ask.is_empty() {
        out.push_str(&format!(
            "  - Questions, or a reason to delay: reply to this message or contact {ask}.\n"
        ));
    }
    out
}

/// Characters escaped in a `mailto:` URL's parts (RFC 6068): all but unreserved ones.
const MAILTO: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'\'')
    .add(b'+')
    .add(b',')
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Mail programs and browsers cut `mailto:` links somewhere past 2,000 characters: the body is
/// shortened to keep the whole link under this, and says where the rest is.
const MAILTO_MAX: usize = 2000;

/// A `mailto:` link with every recipient, the subject and the plain-text body (shortened, with
/// a pointer to `full` when the link would be longer than mail programs take).
pub fn mailto(r: &ImpactReport, n: &Notice, date: &str, full: &str) -> String {
    let enc = |s: &str| utf8_percent_encode(s, MAILTO).to_string();
    let to: Vec<String> = recipients(r).iter().map(|a| enc(a)).collect();
    let head = format!(
        "mailto:{}?subject={}&body=",
        to.join(","),
        enc(&subject(r, n))
    );
    let body = enc(&text(r, n, date));
    if head.len() + body.len() <= MAILTO_MAX {
        return head + &body;
    }
    let tail = enc(&format!(
        "\n\n[…] The whole announcement is too long for a mail link: {full}\n"
    ));
    let room = MAILTO_MAX.saturating_sub(head.len() + tail.len());
    let mut cut = String::new();
    for c in text(r, n, date).chars() {
        let e = enc(c.encode_utf8(&mut [0; 4]));
        if cut.len() + e.len() > room {
            break;
        }
        cut.push_str(&e);
    }
    head + &cut + &tail
}

/// The announcement as an RFC 5322 message, marked unsent so mail programs open it as a draft
/// to review and send: recipients, an encoded subject, a UTF-8 plain-text body. Lines end in
/// `\n`, as mail programs read `.eml` files saved on Unix; [`crlf`] gives the wire form.
pub fn eml(r: &ImpactReport, n: &Notice, date: &str) -> String {
    let to = recipients(r);
    let to = if to.is_empty() {
        "undisclosed-recipients:;".to_string()
    } else {
        to.join(",\n ")
    };
    let mut out = String::new();
    out.push_str(&format!("To: {to}\n"));
    out.push_str(&format!("Subject: {}\n", encoded_word(&subject(r, n))));
    out.push_str("X-Unsent: 1\n");
    out.push_str("MIME-Version: 1.0\n");
    out.push_str("Content-Type: text/plain; charset=utf-8\n");
    out.push_str("Content-Transfer-Encoding: 8bit\n");
    out.push('\n');
    out.push_str(&text(r, n, date));
    out
}

/// `message` with CRLF line ends, as RFC 5322 writes them (the web download).
pub fn crlf(message: &str) -> String {
    message.replace('\n', "\r\n")
}

/// A header value as RFC 2047 encoded words when it is not plain printable ASCII, in pieces
/// short enough for the 78-character line limit.
fn encoded_word(s: &str) -> String {
    if s.chars().all(|c| (' '..='~').contains(&c)) && s.len() <= 900 {
        return s.to_string();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(chunk);
    }
    words
        .iter()
        .map(|w| format!("=?UTF-8?B?{}?=", base64(w.as_bytes())))
        .collect::<Vec<_>>()
        .join("\n ")
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// "3 teams, 2 external consumers": whom the announcement goes to.
pub fn audience(r: &ImpactReport) -> String {
    format!(
        "{}, {}",
        plural(r.teams.len(), "team", "teams"),
        plural(r.external.len(), "external consumer", "external consumers")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_found_in_the_usual_shapes_and_nothing_else() {
        assert_eq!(address("a@b.org").as_deref(), Some("a@b.org"));
        assert_eq!(
            address("mailto:a.b+x@b.org").as_deref(),
            Some("a.b+x@b.org")
        );
        assert_eq!(address("Ops <ops@x.io>").as_deref(), Some("ops@x.io"));
        for no in [
            "#channel",
            "@someone",
            "a@b",
            "a@b.org?cc=x@y.org",
            "a b@c.org",
            "a@.org",
        ] {
            assert_eq!(address(no), None, "{no}");
        }
    }

    #[test]
    fn notice_fields_are_single_lines_so_no_header_can_be_added() {
        let n = Notice::new("drops x\r\nBcc: all@corp.example", " ", "", "");
        assert_eq!(n.what, "drops x Bcc: all@corp.example");
        assert!(n.when.is_empty());
    }

    #[test]
    fn subjects_outside_ascii_are_encoded_words() {
        assert_eq!(encoded_word("plain"), "plain");
        assert_eq!(encoded_word("Zürich"), "=?UTF-8?B?WsO8cmljaA==?=");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(base64(b"Man"), "TWFu");
    }
}
