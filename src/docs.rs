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
/// 4.9 s), more than [`MAX_ENTITIES`] character references (4 MB of them took 7 s), or tables
/// whose rows, padded to their header's width, would hold more than [`MAX_TABLE_CELLS_PER_BYTE`]
/// cells a byte (pulldown-cmark's first pass makes every padded cell before the first event: 80
/// KB of tables of 2,000 columns and one-cell rows are 2.6 million cells). Found by one linear
/// scan; such a text is shown as escaped plain text instead.
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
    // Table cells once rows are padded: every row after a delimiter row (`|---|:-:|`), up to a
    // blank line, counted at the delimiter row's width (more than pulldown-cmark pads to).
    let mut cells = 0usize;
    let mut columns = 0usize;
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
        let rest = line.trim_start_matches(['>', ' ', '\t']);
        if rest.is_empty() {
            columns = 0;
            continue;
        }
        cells += columns;
        if let Some(c) = delimiter_row_columns(rest) {
            columns = c;
            cells += c;
        }
    }
    let max_cells = MAX_TABLE_CELLS_PER_BYTE * markdown.len().max(BUDGET_FLOOR);
    if cells > max_cells {
        return Some(format!(
            "tables of {cells} cells once their rows are padded to their header's width (at most {max_cells} for its size)"
        ));
    }
    None
}

/// The columns of a table's delimiter row (`| --- | :-: |`): its runs of `-`. `None` for a line
/// that cannot be one.
fn delimiter_row_columns(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    if !b
        .iter()
        .all(|c| matches!(c, b'|' | b'-' | b':' | b' ' | b'\t'))
    {
        return None;
    }
    let runs = (0..b.len())
        .filter(|&i| b[i] == b'-' && (i == 0 || b[i - 1] != b'-'))
        .count();
    (runs > 0).then_some(runs)
}

/// Limits of [`too_complex`]: far beyond what a written doc holds.
pub const MAX_QUOTE_DEPTH: usize = 32;
pub const MAX_HTML_TAGS: usize = 5_000;
pub const MAX_ENTITIES: usize = 50_000;
/// Table cells, padded rows counted at their header's width, per byte of text (of at least
/// [`BUDGET_FLOOR`]).
pub const MAX_TABLE_CELLS_PER_BYTE: usize = 4;

/// Why `markdown` is shown as escaped plain text rather than rendered, by [`render`] and
/// [`sections`] alike: it is [`too_complex`], or rendering it would do more work than its
/// [`Budget`] allows. `None` for the docs people write. One parse, no HTML: what the loader
/// asks of every doc it reads, to warn at load time (`doc-shown-as-text`).
pub fn shown_as_text(markdown: &str) -> Option<String> {
    events_within(markdown, &Budget::for_len(markdown.len()), |_| {}).err()
}

/// The title [`render`] gives `markdown` (the text of its first level-1 heading), without
/// making its HTML: `None` also when it is shown as text.
pub fn title(markdown: &str) -> Option<String> {
    let mut events: Vec<Event<'_>> = Vec::new();
    events_within(markdown, &Budget::for_len(markdown.len()), |e| {
        events.push(e)
    })
    .ok()?;
    first_title(&events)
}

/// The most work one rendering of a text may do, measured on pulldown-cmark's events before any
/// HTML is made, so that a text the [`too_complex`] scan lets through cannot make rendering
/// worse than linear in its size: past any of these, the text is shown as escaped plain text.
/// Each is a count of deterministic work (never a time), in proportion to the text's size with
/// a floor ([`Budget::for_len`]). The sanitiser's parts model where ammonia (html5ever) does
/// more than linear work; the model counts generously, so it errs towards more work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Markdown events. pulldown-cmark pads table rows to the header's width (up to 262,144
    /// cells a table): 40 KB of tables made 11 MB of HTML, over a second a view.
    pub events: u64,
    /// Bytes of HTML the events become (their text and attribute values, and a tag's worth for
    /// each): the sanitiser's input.
    pub html: u64,
    /// The depth of every element, summed: the sanitiser's tree builder looks through the open
    /// elements at each one (`- ` x 20,000, 39 KB of lists 20,000 deep: 5.9 s).
    pub nesting: u64,
    /// The square of every tag's attribute count, summed: the sanitiser compares each attribute
    /// of a tag with those before it (one tag of 40,000 attributes, 262 KB: 0.5 s).
    pub attributes: u64,
    /// For every text node and attribute value, its length times the characters in it that the
    /// sanitiser's serialiser escapes (`&`, U+0080..U+00BF such as the no-break space), summed:
    /// at each it looks for the next `<` or `>` up to the end of the text (200,000 no-break
    /// spaces in one paragraph, 1.2 MB: 4 s).
    pub escapes: u64,
}

/// Texts shorter than this get the budget of a text this long.
pub const BUDGET_FLOOR: usize = 64 * 1024;

impl Budget {
    /// The budget of a text of `len` bytes. Per byte (of at least [`BUDGET_FLOOR`]): 4 events,
    /// 32 bytes of HTML, 64 of nesting, 64 of attributes, 4,096 of escapes; the docs of the
    /// example catalog, of generated catalogs and this repository's own use at most a tenth of
    /// any of these (`docs::budget` tests).
    pub fn for_len(len: usize) -> Budget {
        let n = len.max(BUDGET_FLOOR) as u64;
        Budget {
            events: 4 * n,
            html: 32 * n,
            nesting: 64 * n,
            attributes: 64 * n,
            escapes: 4096 * n,
        }
    }
}

/// Parses `markdown` and hands `sink` its events while the work they make stays within
/// `budget`; stops at the first part of the budget exceeded (so a text far over it costs no
/// more than one within it) and says which. [`too_complex`] is asked first.
fn events_within<'a>(
    markdown: &'a str,
    budget: &Budget,
    mut sink: impl FnMut(Event<'a>),
) -> Result<(), String> {
    if let Some(why) = too_complex(markdown) {
        return Err(why);
    }
    let mut work = Work::default();
    for event in parser(markdown) {
        work.add(&event);
        work.check(budget, markdown.len())?;
        sink(event);
    }
    work.end_text();
    work.end_value();
    work.check(budget, markdown.len())
}

/// The work measured so far against a [`Budget`].
#[derive(Default)]
struct Work {
    events: u64,
    html: u64,
    nesting: u64,
    attributes: u64,
    escapes: u64,
    /// Elements open now, from the Markdown and from its raw HTML.
    depth: u64,
    /// The text node being written: its length and its characters the serialiser escapes.
    text_len: u64,
    text_escaped: u64,
    /// Where the raw HTML seen so far leaves the sanitiser's tokenizer.
    raw: Raw,
    /// The attribute value being read in raw HTML: its length and its escaped characters.
    value_len: u64,
    value_escaped: u64,
}

/// Raw HTML as the sanitiser's tokenizer reads it (html5ever's states, merged where they count
/// alike): text, a tag with the attributes it has so far, a comment.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Raw {
    #[default]
    Text,
    Tag {
        at: In,
        attributes: u64,
    },
    /// `<!--` up to `-->`, with how many `-` were just seen.
    Comment {
        dashes: u8,
    },
    /// `<!...>` or `<?...>`: up to the next `>`.
    Bogus,
}

/// Where in a tag.
#[derive(Clone, Copy, PartialEq, Eq)]
enum In {
    /// The tag's name.
    Name,
    /// Before an attribute (after a space, a `/` or a quoted value): what comes next starts one.
    Before,
    /// An attribute's name.
    Attribute,
    /// After an attribute's name and a space: `=` or another attribute.
    AfterAttribute,
    /// After `=`.
    BeforeValue,
    Quoted(u8),
    Unquoted,
}

/// Elements that never hold anything, so never nest (html5ever does not push them).
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// The characters whose escaping makes html5ever's serialiser look ahead: `&` and the
/// U+0080..U+00BF range (UTF-8 lead byte 0xC2).
fn escaped(b: u8) -> bool {
    b == b'&' || b == 0xC2
}

impl Work {
    fn add(&mut self, event: &Event<'_>) {
        self.events += 1;
        match event {
            Event::Start(tag) => {
                // An HTML block makes no element of its own: its text runs on.
                if !matches!(tag, Tag::HtmlBlock) {
                    self.end_text();
                    self.depth += 1;
                    self.nesting += self.depth;
                }
                self.html += 16;
                self.tag(tag);
            }
            Event::End(end) => {
                if !matches!(end, TagEnd::HtmlBlock) {
                    self.end_text();
                    self.depth = self.depth.saturating_sub(1);
                }
                self.html += 8;
            }
            Event::Text(t) => self.text(t),
            Event::SoftBreak => self.text("\n"),
            Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                self.end_text();
                self.html += 16;
                self.text(t);
                self.end_text();
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                self.html += t.len() as u64;
                self.raw_html(t);
            }
            Event::FootnoteReference(label) => {
                self.end_text();
                self.html += 64;
                self.value(label);
                self.value(label);
            }
            Event::HardBreak | Event::Rule | Event::TaskListMarker(_) => {
                self.end_text();
                self.html += 48;
                self.element(3);
            }
        }
    }

    /// The attributes pulldown-cmark writes for a tag.
    fn tag(&mut self, tag: &Tag<'_>) {
        match tag {
            Tag::Heading {
                id, classes, attrs, ..
            } => {
                self.element(2 + attrs.len() as u64);
                if let Some(id) = id {
                    self.value(id);
                }
                for c in classes {
                    self.value(c);
                }
                for (k, v) in attrs {
                    self.value(k);
                    if let Some(v) = v {
                        self.value(v);
                    }
                }
            }
            Tag::Link {
                dest_url, title, ..
            }
            | Tag::Image {
                dest_url, title, ..
            } => {
                self.element(3);
                self.value(dest_url);
                self.value(title);
            }
            Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(info)) => {
                self.element(1);
                self.value(info);
            }
            Tag::FootnoteDefinition(label) => {
                self.element(2);
                self.value(label);
            }
            _ => self.element(1),
        }
    }

    /// An element with `n` attributes.
    fn element(&mut self, n: u64) {
        self.attributes += n * n;
    }

    /// An attribute value.
    fn value(&mut self, v: &str) {
        let len = v.len() as u64;
        let escaped = v.bytes().filter(|&b| escaped(b)).count() as u64;
        self.html += len;
        self.escapes += len * escaped;
    }

    /// Text written into the current text node.
    fn text(&mut self, t: &str) {
        self.html += t.len() as u64;
        self.text_len += t.len() as u64;
        self.text_escaped += t.bytes().filter(|&b| escaped(b)).count() as u64;
    }

    /// The current text node ends (an element starts or ends).
    fn end_text(&mut self) {
        self.escapes += self.text_len * self.text_escaped;
        self.text_len = 0;
        self.text_escaped = 0;
    }

    /// Raw HTML, as the sanitiser's tokenizer reads it: the text between tags, each tag's
    /// attributes and values, and the nesting (tags opened minus closed, void elements aside).
    fn raw_html(&mut self, html: &str) {
        let bytes = html.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            self.raw = match self.raw {
                Raw::Text if b == b'<' => {
                    let rest = &bytes[i + 1..];
                    let first = rest.first().copied().unwrap_or(b' ');
                    if first.is_ascii_alphabetic() || first == b'/' {
                        self.end_text();
                        let end = first == b'/';
                        let name = &rest[end as usize..];
                        let len = name
                            .iter()
                            .take_while(|c| c.is_ascii_alphanumeric())
                            .count();
                        let name = name[..len].to_ascii_lowercase();
                        if end {
                            self.depth = self.depth.saturating_sub(1);
                        } else if !VOID.iter().any(|v| v.as_bytes() == name) {
                            self.depth += 1;
                            self.nesting += self.depth;
                        }
                        Raw::Tag {
                            at: In::Name,
                            attributes: 0,
                        }
                    } else if rest.starts_with(b"!--") {
                        self.end_text();
                        i += 3;
                        Raw::Comment { dashes: 0 }
                    } else if first == b'!' || first == b'?' {
                        self.end_text();
                        Raw::Bogus
                    } else {
                        self.text_len += 1;
                        Raw::Text
                    }
                }
                Raw::Text => {
                    self.text_len += 1;
                    self.text_escaped += escaped(b) as u64;
                    Raw::Text
                }
                Raw::Tag { at, attributes } => self.in_tag(at, attributes, b),
                Raw::Comment { dashes } => match b {
                    b'>' if dashes >= 2 => Raw::Text,
                    b'-' => Raw::Comment {
                        dashes: dashes.saturating_add(1),
                    },
                    _ => Raw::Comment { dashes: 0 },
                },
                Raw::Bogus if b == b'>' => Raw::Text,
                Raw::Bogus => Raw::Bogus,
            };
            i += 1;
        }
    }

    /// One byte `b` of a tag, at `at` with `attributes` so far.
    fn in_tag(&mut self, at: In, attributes: u64, b: u8) -> Raw {
        let space = b.is_ascii_whitespace();
        let tag = |at| Raw::Tag { at, attributes };
        let new_attribute = Raw::Tag {
            at: In::Attribute,
            attributes: attributes + 1,
        };
        if b == b'>' && !matches!(at, In::Quoted(_)) {
            self.end_value();
            self.element(attributes);
            return Raw::Text;
        }
        match at {
            In::Name if space || b == b'/' => tag(In::Before),
            In::Name => tag(In::Name),
            In::Before if space || b == b'/' => tag(In::Before),
            In::Before => new_attribute,
            In::Attribute if space => tag(In::AfterAttribute),
            In::Attribute if b == b'/' => tag(In::Before),
            In::Attribute if b == b'=' => tag(In::BeforeValue),
            In::Attribute => tag(In::Attribute),
            In::AfterAttribute if space => tag(In::AfterAttribute),
            In::AfterAttribute if b == b'/' => tag(In::Before),
            In::AfterAttribute if b == b'=' => tag(In::BeforeValue),
            In::AfterAttribute => new_attribute,
            In::BeforeValue if space => tag(In::BeforeValue),
            In::BeforeValue if b == b'"' || b == b'\'' => tag(In::Quoted(b)),
            In::BeforeValue => {
                self.value_byte(b);
                tag(In::Unquoted)
            }
            In::Quoted(q) if b == q => {
                self.end_value();
                tag(In::Before)
            }
            In::Unquoted if space => {
                self.end_value();
                tag(In::Before)
            }
            In::Quoted(_) | In::Unquoted => {
                self.value_byte(b);
                tag(at)
            }
        }
    }

    fn value_byte(&mut self, b: u8) {
        self.value_len += 1;
        self.value_escaped += escaped(b) as u64;
    }

    /// The raw attribute value being read ends.
    fn end_value(&mut self) {
        self.escapes += self.value_len * self.value_escaped;
        self.value_len = 0;
        self.value_escaped = 0;
    }

    /// `Err` with the reason when a part of `budget` is exceeded.
    fn check(&self, budget: &Budget, len: usize) -> Result<(), String> {
        let over = |what: &str, cap: u64| {
            Err(format!(
                "over the rendering budget: more than {cap} {what} for {len} bytes of text"
            ))
        };
        // Text nodes still open count too: a text can end in one.
        let escapes =
            self.escapes + self.text_len * self.text_escaped + self.value_len * self.value_escaped;
        if self.events > budget.events {
            over("Markdown events", budget.events)
        } else if self.html > budget.html {
            over("bytes of HTML", budget.html)
        } else if self.nesting > budget.nesting {
            over(
                "nested elements (each counted at its depth)",
                budget.nesting,
            )
        } else if self.attributes > budget.attributes {
            over("attribute comparisons", budget.attributes)
        } else if escapes > budget.escapes {
            over("bytes read by the escaping of its text", budget.escapes)
        } else {
            Ok(())
        }
    }
}

/// Renders Markdown to sanitised HTML, with stable heading ids, a table of contents and links.
/// A text the renderers would take more than linear time on ([`too_complex`]), or more work
/// than its size allows ([`Budget`]), is shown as escaped plain text, with a note saying why:
/// what [`shown_as_text`] says at load time.
pub fn render(markdown: &str) -> RenderedDoc {
    render_within(markdown, &Budget::for_len(markdown.len()))
}

/// [`render`] within `budget`.
pub(crate) fn render_within(markdown: &str, budget: &Budget) -> RenderedDoc {
    let mut events: Vec<Event<'_>> = Vec::new();
    if let Err(why) = events_within(markdown, budget, |e| events.push(e)) {
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
    sections_within(markdown, &Budget::for_len(markdown.len()))
}

/// [`sections`] within `budget`.
fn sections_within(markdown: &str, budget: &Budget) -> Vec<Section> {
    // A text shown as plain text ([`shown_as_text`]) is not split either: one section of the
    // text as it is, still searchable.
    let mut events: Vec<Event<'_>> = Vec::new();
    if events_within(markdown, budget, |e| events.push(e)).is_err() {
        return vec![Section {
            heading: String::new(),
            anchor: String::new(),
            level: 0,
            text: markdown.to_string(),
        }];
    }
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
        let doc = render(&crate::hostile::same_headings(20_000));
        assert_eq!(doc.toc.len(), 20_000);
        assert_eq!(doc.toc[0].anchor, "a");
        assert_eq!(doc.toc[19_999].anchor, "a-19999");
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
        use crate::hostile::{divs, entities, nested_quotes};
        for (text, why) in [
            (nested_quotes(40_000), "blockquotes nested"),
            (divs(40_000), "HTML tags"),
            (entities(1_000_000), "character references"),
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

#[cfg(test)]
mod budget {
    use super::*;

    /// The work `markdown` makes, measured without a budget.
    fn work_of(markdown: &str) -> Work {
        let mut work = Work::default();
        for event in parser(markdown) {
            work.add(&event);
        }
        work.end_text();
        work.end_value();
        work
    }

    /// Inputs the `too_complex` scan lets through, each making one part of the work grow faster
    /// than its size (found by trying them: see `Budget`), at sizes that stay fast here.
    fn over_budget() -> Vec<(&'static str, String, &'static str)> {
        use crate::hostile::*;
        let unspaced: String = (0..3000).map(|i| format!("b{i}=\"\"")).collect();
        vec![
            // Fewer padded cells than `too_complex` refuses.
            ("a padded table", padded_tables(1, 60), "bytes of HTML"),
            ("lists 3,000 deep", deep_lists(3000), "nested"),
            ("3,000 attributes", many_attributes(3000), "attribute"),
            (
                "3,000 attributes, no spaces",
                format!("<p {unspaced}>x</p>\n"),
                "attribute",
            ),
            (
                "20,000 no-break spaces in a paragraph",
                no_break_spaces(20_000),
                "escaping",
            ),
            (
                "30,000 & in a link",
                format!("[x]({})\n", "&".repeat(30_000)),
                "escaping",
            ),
            (
                "20,000 no-break spaces in a raw attribute",
                format!("<a title=\"{}\">x</a>\n", "\u{a0}".repeat(20_000)),
                "escaping",
            ),
        ]
    }

    /// A text over its budget that the heuristics let through is shown as escaped text, with
    /// the reason, is indexed as text, has no title, and is what the loader warns about.
    #[test]
    fn texts_over_their_budget_are_shown_as_text() {
        for (what, text, part) in over_budget() {
            assert_eq!(
                too_complex(&text),
                None,
                "{what}: the heuristics let it through"
            );
            let why = shown_as_text(&text).unwrap_or_else(|| panic!("{what}: within budget"));
            assert!(
                why.starts_with("over the rendering budget: ") && why.contains(part),
                "{what}: {why}"
            );
            let r = render(&text);
            assert!(
                r.html.starts_with(
                    "<p class=\"notice stale\">Shown as plain text: over the rendering budget: "
                ),
                "{what}: {}",
                &r.html[..r.html.len().min(300)]
            );
            assert!(
                r.html
                    .contains(&format!("<pre>{}</pre>", escape_html(&text))),
                "{what}"
            );
            assert!(r.toc.is_empty() && r.links.is_empty() && r.title.is_none());
            assert_eq!(title(&text), None);
            assert_eq!(
                sections(&text),
                [Section {
                    heading: String::new(),
                    anchor: String::new(),
                    level: 0,
                    text: text.clone()
                }],
                "{what}: indexed as text, not parsed"
            );
        }
    }

    /// Each part of the budget stops a rendering on its own (a budget made small here).
    #[test]
    fn each_part_of_the_budget_is_kept() {
        let doc = "# Title\n\n<div class=\"x\" id=\"y\">\n\nText &amp; more\u{a0}text, [a link](https://a.example/?a=1&b=2).\n\n- one\n  - two\n\n</div>\n";
        let full = Budget::for_len(doc.len());
        assert_eq!(render_within(doc, &full), render(doc));
        assert!(render(doc).html.contains("<h1 id=\"title\">"));
        let w = work_of(doc);
        for (part, budget) in [
            (
                "Markdown events",
                Budget {
                    events: w.events - 1,
                    ..full
                },
            ),
            (
                "bytes of HTML",
                Budget {
                    html: w.html - 1,
                    ..full
                },
            ),
            (
                "nested",
                Budget {
                    nesting: w.nesting - 1,
                    ..full
                },
            ),
            (
                "attribute",
                Budget {
                    attributes: w.attributes - 1,
                    ..full
                },
            ),
            (
                "escaping",
                Budget {
                    escapes: w.escapes - 1,
                    ..full
                },
            ),
        ] {
            let r = render_within(doc, &budget);
            assert!(
                r.html
                    .contains("Shown as plain text: over the rendering budget: more than"),
                "{part}: {}",
                r.html
            );
            assert!(r.html.contains(part), "{part}: {}", r.html);
            assert_eq!(sections_within(doc, &budget).len(), 1, "{part}");
            let exact = Budget {
                events: w.events,
                html: w.html,
                nesting: w.nesting,
                attributes: w.attributes,
                escapes: w.escapes,
            };
            assert_eq!(
                render_within(doc, &exact),
                render(doc),
                "the work measured is the work allowed"
            );
        }
    }

    /// The budget grows with the text, from its floor: a written doc many times over is as far
    /// within it, and an input over it is over it at any size.
    #[test]
    fn the_budget_is_in_proportion_to_the_text() {
        assert_eq!(Budget::for_len(0), Budget::for_len(BUDGET_FLOOR));
        assert_eq!(
            Budget::for_len(10 * BUDGET_FLOOR).events,
            10 * Budget::for_len(BUDGET_FLOOR).events
        );
        let readme = include_str!("../README.md").repeat(200);
        assert!(readme.len() > 10 * BUDGET_FLOOR);
        assert_eq!(shown_as_text(&readme), None);
        for (what, text, _) in over_budget() {
            assert!(shown_as_text(&text.repeat(4)).is_some(), "{what} x 4");
        }
    }

    /// Tables padded to more cells than `too_complex` allows are refused before they are
    /// parsed; tables people write are not.
    #[test]
    fn tables_padded_past_their_size_are_refused_before_parsing() {
        use crate::hostile::padded_tables;
        let why = too_complex(&padded_tables(4, 130)).expect("refused");
        assert!(
            why.starts_with("tables of 1048000 cells once their rows are padded"),
            "{why}"
        );
        assert!(too_complex(&padded_tables(1, 60)).is_none());
        let written = "| a | b |\n|---|:-:|\n| 1 | 2 |\n| 3 |\n\n---\n\ntext\n".repeat(5000);
        assert_eq!(too_complex(&written), None);
        assert_eq!(delimiter_row_columns("| --- | :-: |"), Some(2));
        assert_eq!(delimiter_row_columns("|-|-|-|"), Some(3));
        assert_eq!(delimiter_row_columns("- item"), None);
    }

    /// Docs people write use a small part of every budget: those of the example catalog, the
    /// generated catalogs and this repository's own (long tables, code, lists, raw HTML).
    #[test]
    fn written_docs_stay_far_within_their_budget() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut docs: Vec<(String, String)> = Vec::new();
        for dir in ["docs", "catalog"] {
            for e in walkdir::WalkDir::new(root.join(dir)) {
                let e = e.unwrap();
                if e.path().extension().is_some_and(|x| x == "md") {
                    docs.push((
                        e.path().display().to_string(),
                        std::fs::read_to_string(e.path()).unwrap(),
                    ));
                }
            }
        }
        for f in ["README.md", "ARCHITECTURE.md"] {
            docs.push((f.into(), std::fs::read_to_string(root.join(f)).unwrap()));
        }
        let mut rng = crate::gen::Rng(7);
        for i in 0..20 {
            docs.push((
                format!("generated doc {i}"),
                crate::gen::doc(&format!("svc{i}"), &mut rng),
            ));
            docs.push((
                format!("generated operations {i}"),
                crate::gen::operations(&format!("svc{i}"), i),
            ));
        }
        assert!(docs.len() > 60, "{}", docs.len());
        let mut most = [0f64; 5];
        for (name, text) in &docs {
            let b = Budget::for_len(text.len());
            let w = work_of(text);
            let used = [
                w.events as f64 / b.events as f64,
                w.html as f64 / b.html as f64,
                w.nesting as f64 / b.nesting as f64,
                w.attributes as f64 / b.attributes as f64,
                w.escapes as f64 / b.escapes as f64,
            ];
            for (m, u) in most.iter_mut().zip(used) {
                *m = m.max(u);
            }
            assert!(used.iter().all(|&u| u < 0.1), "{name}: {used:?}");
            assert_eq!(shown_as_text(text), None, "{name}");
        }
        eprintln!(
            "most of a budget part used (events, html, nesting, attributes, escapes): {most:?}"
        );
    }
}
