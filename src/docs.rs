//! Markdown docs and runbooks: rendering to sanitised HTML, a table of contents, the links a doc
//! makes, and a split into sections at headings for the search index.
//!
//! Every parser is built by [`parser`] so rendering, sectioning and link checks agree on the
//! Markdown dialect, and heading anchors come from one [`Anchors`] sequence so `render()`'s ids
//! and `sections()`' anchors are identical. This module reads no files and never prints: it turns
//! text into data. Raw HTML in Markdown is never trusted: all output goes through ammonia.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// One heading of a rendered doc.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TocEntry {
    /// 1 for `#` ... 6 for `######`.
    pub level: u8,
    /// The heading as plain text.
    pub text: String,
    /// The heading's `id` in the HTML (without `#`).
    pub anchor: String,
}

/// A Markdown document rendered for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedDoc {
    /// The text of the first level-1 heading, if any.
    pub title: Option<String>,
    /// Sanitised HTML: safe to embed in a page as is.
    pub html: String,
    /// Every heading in document order.
    pub toc: Vec<TocEntry>,
    /// Destinations of links and images, in order of first appearance, without duplicates.
    pub links: Vec<String>,
}

/// A part of a document that starts at a heading (or at the top, before the first heading).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// The heading's plain text; for text before the first heading, the doc title or "".
    pub heading: String,
    /// Same as the heading's id in [`render`]'s HTML; "" for text before the first heading.
    pub anchor: String,
    /// Heading level (1-6); 0 for text before the first heading.
    pub level: u8,
    /// The section's body as plain text (headings excluded, code blocks included).
    pub text: String,
}

/// Why a Markdown text is not rendered, when it is one the renderers take more than linear time
/// on: blockquotes nested deeper than [`MAX_QUOTE_DEPTH`] (pulldown-cmark: `>` x 40,000 took
/// 5.6 s), more than [`MAX_HTML_TAGS`] raw HTML tags (ammonia's tree: `<div>` x 40,000 took
/// 4.9 s) or more than [`MAX_ENTITIES`] character references (4 MB of them took 7 s). Found by
/// one linear scan; such a text is shown as escaped plain text instead.
pub fn too_complex(markdown: &str) -> Option<String> {
    let mut tags = 0usize;
    let mut entities = 0usize;
    let bytes = markdown.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'<' if bytes
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == b'/') =>
            {
                tags += 1
            }
            b'&' => entities += 1,
            _ => {}
        }
    }
    if tags > MAX_HTML_TAGS {
        return Some(format!(
            "{tags} HTML tags (at most {MAX_HTML_TAGS} are rendered)"
        ));
    }
    if entities > MAX_ENTITIES {
        return Some(format!(
            "{entities} character references (at most {MAX_ENTITIES} are rendered)"
        ));
    }
    for (n, line) in markdown.lines().enumerate() {
        let depth = line
            .bytes()
            .take_while(|b| matches!(b, b'>' | b' ' | b'\t'))
            .filter(|b| *b == b'>')
            .count();
        if depth > MAX_QUOTE_DEPTH {
            return Some(format!(
                "blockquotes nested {depth} deep on line {} (at most {MAX_QUOTE_DEPTH})",
                n + 1
            ));
        }
    }
    None
}

/// Limits of [`too_complex`]: far beyond what a written doc holds.
pub const MAX_QUOTE_DEPTH: usize = 32;
pub const MAX_HTML_TAGS: usize = 5_000;
pub const MAX_ENTITIES: usize = 50_000;

/// Renders Markdown to sanitised HTML, with stable heading ids, a table of contents and links.
/// A text the renderers would take more than linear time on ([`too_complex`]) is shown as
/// escaped plain text, with a note saying why.
pub fn render(markdown: &str) -> RenderedDoc {
    if let Some(why) = too_complex(markdown) {
        return RenderedDoc {
            title: None,
            html: format!(
                "<p class=\"notice stale\">Shown as plain text: {}.</p><pre>{}</pre>",
                escape_html(&why),
                escape_html(markdown)
            ),
            toc: Vec::new(),
            links: Vec::new(),
        };
    }
    let mut events: Vec<Event<'_>> = parser(markdown).collect();
    let mut anchors = Anchors::default();
    let mut toc = Vec::new();
    let mut links: Vec<String> = Vec::new();
    let mut seen_links = HashSet::new();
    let mut title = None;

    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { level, id, .. }) => {
                let level = heading_level(*level);
                let explicit = id.as_ref().map(|s| s.to_string());
                let (text, end) = heading_text(&events, i);
                let anchor = anchors.next(explicit.as_deref().unwrap_or(&text));
                if level == 1 && title.is_none() {
                    title = Some(text.clone());
                }
                if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
                    *id = Some(CowStr::from(anchor.clone()));
                }
                toc.push(TocEntry {
                    level,
                    text,
                    anchor,
                });
                i = end;
            }
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => {
                let url = dest_url.to_string();
                if !url.is_empty() && seen_links.insert(url.clone()) {
                    links.push(url);
                }
            }
            _ => {}
        }
        i += 1;
    }

    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut raw, events.into_iter());
    RenderedDoc {
        title,
        html: sanitize(&raw),
        toc,
        links,
    }
}

/// Splits Markdown into sections at every heading, in document order.
///
/// Text before the first heading becomes a section with the doc title (or "") as heading and
/// an empty anchor; it is left out when there is no such text.
pub fn sections(markdown: &str) -> Vec<Section> {
    // Not parsed when the parser would take more than linear time ([`too_complex`]): one
    // section of the text as it is, still searchable.
    if too_complex(markdown).is_some() {
        return vec![Section {
            heading: String::new(),
            anchor: String::new(),
            level: 0,
            text: markdown.to_string(),
        }];
    }
    let events: Vec<Event<'_>> = parser(markdown).collect();
    let mut anchors = Anchors::default();
    let title = first_title(&events).unwrap_or_default();
    let mut out = Vec::new();
    let mut current = Section {
        heading: title,
        anchor: String::new(),
        level: 0,
        text: String::new(),
    };

    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { level, id, .. }) => {
                let (text, end) = heading_text(&events, i);
                let anchor = anchors.next(id.as_deref().unwrap_or(&text));
                let next = Section {
                    heading: text,
                    anchor,
                    level: heading_level(*level),
                    text: String::new(),
                };
                let done = std::mem::replace(&mut current, next);
                if done.level > 0 || !done.text.trim().is_empty() {
                    out.push(finish(done));
                }
                i = end;
            }
            Event::Text(t) | Event::Code(t) => current.text.push_str(t),
            Event::SoftBreak | Event::HardBreak | Event::Rule => current.text.push('\n'),
            Event::TaskListMarker(done) => {
                current.text.push_str(if *done { "[x] " } else { "[ ] " })
            }
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::BlockQuote(_)
                | TagEnd::FootnoteDefinition,
            ) => current.text.push('\n'),
            Event::End(TagEnd::TableCell) => current.text.push(' '),
            _ => {}
        }
        i += 1;
    }
    if current.level > 0 || !current.text.trim().is_empty() {
        out.push(finish(current));
    }
    out
}

/// The anchor for a heading text: lowercase letters and digits, words joined by `-`.
/// Never empty ("section" when nothing is left).
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_dash = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() || c == '-' || c == '_' || c == '.' || c == '/' {
            pending_dash = true;
        }
    }
    if out.is_empty() {
        out.push_str("section");
    }
    out
}

/// The one place that sets the Markdown dialect.
pub fn parser(markdown: &str) -> Parser<'_> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    Parser::new_ext(markdown, options)
}

/// Hands out heading anchors in document order: slugs, made unique with `-1`, `-2`, ...
#[derive(Default)]
struct Anchors {
    used: HashSet<String>,
    /// By slug, the suffix of the anchor last given for it. Every candidate up to that one is
    /// taken, and taken anchors stay taken, so the next heading of that slug starts its search
    /// there rather than at `-1` (which made `# a` x 10,000 quadratic: 4.5 s for 48 KB).
    last: HashMap<String, u32>,
}

impl Anchors {
    fn next(&mut self, text: &str) -> String {
        let base = slug(text);
        let n = self.last.entry(base.clone()).or_insert(0);
        let mut candidate = match *n {
            0 => base.clone(),
            n => format!("{base}-{n}"),
        };
        while self.used.contains(&candidate) {
            *n += 1;
            candidate = format!("{base}-{n}");
        }
        self.used.insert(candidate.clone());
        candidate
    }
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// The plain text of the heading starting at `start`, and the index of its end event.
fn heading_text(events: &[Event<'_>], start: usize) -> (String, usize) {
    let mut text = String::new();
    let mut i = start + 1;
    while i < events.len() {
        match &events[i] {
            Event::End(TagEnd::Heading(_)) => break,
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
        i += 1;
    }
    (collapse_whitespace(&text), i)
}

fn first_title(events: &[Event<'_>]) -> Option<String> {
    events.iter().enumerate().find_map(|(i, e)| match e {
        Event::Start(Tag::Heading {
            level: HeadingLevel::H1,
            ..
        }) => Some(heading_text(events, i).0),
        _ => None,
    })
}

fn finish(mut s: Section) -> Section {
    let lines: Vec<&str> = s
        .text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    s.text = lines.join("\n");
    s
}

fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The sanitiser: ammonia's defaults (no script, style, event handlers or `javascript:` URLs)
/// plus what rendered Markdown needs: heading ids, footnote ids, code language classes and
/// disabled task-list checkboxes.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("div", ["class", "id"])
        .add_tag_attributes("sup", ["class", "id"])
        .add_tag_attributes("a", ["id"])
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("input", "type") if value != "checkbox" => None,
            ("code", "class") if !is_safe_class(value) => None,
            ("div" | "sup", "class") if !is_safe_class(value) => None,
            _ => Some(value.into()),
        });
    for h in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        b.add_tag_attributes(h, ["id"]);
    }
    b
});

fn is_safe_class(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ' ' || c == '+')
}

fn sanitize(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Overview"), "overview");
        assert_eq!(
            slug("The wallpaper election, step by step"),
            "the-wallpaper-election-step-by-step"
        );
        assert_eq!(
            slug("Failover (db-fas, db-koji)"),
            "failover-db-fas-db-koji"
        );
        assert_eq!(slug("  --  "), "section");
        assert_eq!(slug("Ünïcode Straße"), "ünïcode-straße");
        assert_eq!(slug("`GET /api/critpath`"), "get-api-critpath");
    }

    #[test]
    fn headings_get_unique_ids_and_a_toc() {
        let doc = render(
            "# Title\n\n## Overview\n\ntext\n\n## Overview\n\n### Overview 1\n\n## Overview\n",
        );
        assert_eq!(doc.title.as_deref(), Some("Title"));
        let anchors: Vec<&str> = doc.toc.iter().map(|t| t.anchor.as_str()).collect();
        assert_eq!(
            anchors,
            [
                "title",
                "overview",
                "overview-1",
                "overview-1-1",
                "overview-2"
            ]
        );
        assert!(
            doc.html.contains(r#"<h2 id="overview">Overview</h2>"#),
            "{}",
            doc.html
        );
        assert!(
            doc.html.contains(r#"<h2 id="overview-1">Overview</h2>"#),
            "{}",
            doc.html
        );
        assert_eq!(doc.toc[3].level, 3);
        assert_eq!(doc.toc[3].text, "Overview 1");
    }

    /// Many headings of one text get their anchors in linear time, the same anchors as before
    /// (a heading whose own slug is a numbered one is skipped over, then taken).
    #[test]
    fn repeated_headings_get_their_anchors_in_linear_time() {
        let doc = render(&"# Same\n\n".repeat(20_000));
        assert_eq!(doc.toc.len(), 20_000);
        assert_eq!(doc.toc[0].anchor, "same");
        assert_eq!(doc.toc[19_999].anchor, "same-19999");
        let anchors: Vec<String> = render("# a\n# a-1\n# a\n# a\n# a-3\n# a\n")
            .toc
            .into_iter()
            .map(|t| t.anchor)
            .collect();
        assert_eq!(anchors, ["a", "a-1", "a-2", "a-3", "a-3-1", "a-4"]);
    }

    #[test]
    fn explicit_heading_ids_are_kept() {
        let doc = render("## Restart {#restart-now}\n");
        assert_eq!(doc.toc[0].anchor, "restart-now");
        assert!(doc.html.contains(r#"id="restart-now""#));
    }

    #[test]
    fn sections_split_at_headings_with_render_anchors() {
        let md = "Intro text.\n\n# Bodhi\n\nWhat it is.\n\n## Restart\n\n```\nsudo systemctl restart httpd\n```\n\n## Restart\n\n- one\n- two\n";
        let secs = sections(md);
        let got: Vec<(&str, &str, u8)> = secs
            .iter()
            .map(|s| (s.heading.as_str(), s.anchor.as_str(), s.level))
            .collect();
        assert_eq!(
            got,
            [
                ("Bodhi", "", 0),
                ("Bodhi", "bodhi", 1),
                ("Restart", "restart", 2),
                ("Restart", "restart-1", 2)
            ]
        );
        assert_eq!(secs[0].text, "Intro text.");
        assert_eq!(secs[2].text, "sudo systemctl restart httpd");
        assert_eq!(secs[3].text, "one\ntwo");
        let toc: Vec<String> = render(md).toc.into_iter().map(|t| t.anchor).collect();
        let anchors: Vec<String> = secs.into_iter().skip(1).map(|s| s.anchor).collect();
        assert_eq!(toc, anchors);
    }

    #[test]
    fn sections_without_headings_or_preamble() {
        assert_eq!(
            sections("just text"),
            [Section {
                heading: String::new(),
                anchor: String::new(),
                level: 0,
                text: "just text".into()
            }]
        );
        assert!(sections("").is_empty());
        assert_eq!(sections("# Only\n").len(), 1);
    }

    #[test]
    fn links_are_collected_once() {
        let doc = render(
            "[a](https://a.example) [b](docs/b.md) ![i](img.png) [a again](https://a.example)",
        );
        assert_eq!(doc.links, ["https://a.example", "docs/b.md", "img.png"]);
    }

    #[test]
    fn markdown_features_render() {
        let doc = render(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~\n\n- [x] done\n- [ ] todo\n\nNote[^1].\n\n[^1]: The footnote.\n\n```rust\nfn main() {}\n```\n",
        );
        assert!(doc.html.contains("<table>"), "{}", doc.html);
        assert!(doc.html.contains("<del>gone</del>"), "{}", doc.html);
        assert!(doc.html.contains(r#"type="checkbox""#), "{}", doc.html);
        assert!(doc.html.contains("footnote"), "{}", doc.html);
        assert!(
            doc.html.contains(r#"<code class="language-rust">"#),
            "{}",
            doc.html
        );
    }

    #[test]
    fn xss_never_survives() {
        let hostile = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<p onclick=\"alert(1)\">x</p>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<svg><script>alert(1)</script></svg>",
            "<input type=\"text\" onfocus=\"alert(1)\" autofocus>",
            "# Heading <script>alert(1)</script>\n",
            "![x](javascript:alert(1))",
            "<style>body{display:none}</style>",
            "```\n<script>alert(1)</script>\n```",
        ];
        for md in hostile {
            let html = render(md).html.to_ascii_lowercase();
            assert!(!html.contains("<script"), "{md:?} -> {html}");
            assert!(!html.contains("javascript:"), "{md:?} -> {html}");
            assert!(!html.contains("onerror"), "{md:?} -> {html}");
            assert!(!html.contains("onclick"), "{md:?} -> {html}");
            assert!(!html.contains("onfocus"), "{md:?} -> {html}");
            assert!(!html.contains("style="), "{md:?} -> {html}");
            assert!(!html.contains("<style"), "{md:?} -> {html}");
            assert!(!html.contains("<iframe"), "{md:?} -> {html}");
            assert!(!html.contains("type=\"text\""), "{md:?} -> {html}");
        }
        // Code blocks keep the text, escaped.
        assert!(render("```\n<script>alert(1)</script>\n```")
            .html
            .contains("&lt;script&gt;"));
    }
}

/// Text as HTML: `&`, `<`, `>`, `"` and `'` escaped (the plain-text fallback here, search
/// snippets before their highlights are added, generated glossary definitions). The entities
/// are askama's, so every escaped text on a page reads the same.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    out
}

/// One character of text as HTML (see [`escape_html`]).
pub(crate) fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

#[cfg(test)]
mod bounds {
    use super::*;

    /// The inputs that took seconds per view (issue #21 point 5), at their size: shown as text,
    /// escaped, with the reason.
    #[test]
    fn texts_the_renderers_are_slow_on_are_shown_as_text() {
        for (text, why) in [
            (">".repeat(40_000), "blockquotes nested"),
            ("<div>".repeat(40_000), "HTML tags"),
            ("&amp;".repeat(200_000), "character references"),
        ] {
            let r = render(&text);
            assert!(r.html.contains(why), "{}", &r.html[..200]);
            assert!(r.html.contains("<pre>"));
            assert!(!r.html.contains("<div>"), "escaped");
            assert!(r.toc.is_empty() && r.links.is_empty());
            assert_eq!(sections(&text).len(), 1, "indexed as text, not parsed");
        }
        // A written doc is rendered as before.
        let r = render("# Title\n\n> quoted\n>> twice\n\n<details>x</details> &amp; more\n");
        assert_eq!(r.title.as_deref(), Some("Title"));
        assert!(r.html.contains("<blockquote>"), "{}", r.html);
    }
}
