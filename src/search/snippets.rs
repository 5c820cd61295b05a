//! Result snippets: the best fragment of a hit's stored description or body, as plain text
//! (whitespace collapsed, control characters dropped) with the matching words as ranges of
//! Unicode scalar values (`[start, end)`, counted in `char`s). The search page makes HTML of
//! them with [`to_html`] (escaped by [`crate::docs::escape_html`], the one escaper).
//!
//! Depends only on [`schema`](mod@super::schema) (the stored fields read).

use std::collections::BTreeMap;

use tantivy::snippet::{collapse_overlapped_ranges, SnippetGenerator};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Score;

use super::schema::Fields;
use crate::docs::escape_html;

const SNIPPET_CHARS: usize = 180;

/// Snippet generators for the stored description and body.
pub(super) struct Snippets {
    description: SnippetGenerator,
    body: SnippetGenerator,
}

impl Snippets {
    pub(super) fn new(
        f: &Fields,
        analyzer: &TextAnalyzer,
        terms: &BTreeMap<String, Score>,
    ) -> Snippets {
        let make =
            |field| SnippetGenerator::new(terms.clone(), analyzer.clone(), field, SNIPPET_CHARS);
        Snippets {
            description: make(f.description),
            body: make(f.body),
        }
    }

    /// The best highlighted fragment of the description, else of the body, else the start of
    /// whichever has text: the text and the matching words' `[start, end)` char ranges.
    pub(super) fn for_doc(&self, description: &str, body: &str) -> (String, Vec<[usize; 2]>) {
        for (generator, text) in [(&self.description, description), (&self.body, body)] {
            let s = generator.snippet(text);
            if !s.highlighted().is_empty() {
                let range = s.fragment_range();
                let ranges = collapse_overlapped_ranges(s.highlighted());
                return plain(
                    s.fragment(),
                    &ranges,
                    range.start > 0,
                    range.end < text.len(),
                );
            }
        }
        let text = if description.trim().is_empty() {
            body
        } else {
            description
        };
        (shorten(text, SNIPPET_CHARS), Vec::new())
    }
}

/// `fragment` as one line of plain text (whitespace runs and control characters become one
/// space, none at either end), with `…` before and after it when it is cut from a longer text,
/// and `highlighted` (byte ranges of `fragment`) as char ranges of that line.
fn plain(
    fragment: &str,
    highlighted: &[std::ops::Range<usize>],
    before: bool,
    after: bool,
) -> (String, Vec<[usize; 2]>) {
    let mut out = String::with_capacity(fragment.len() + 8);
    let mut chars = 0usize;
    if before {
        out.push('…');
        chars += 1;
    }
    // The char index in `out` of each char of `fragment` kept (by its first byte).
    let mut start_at: Vec<Option<usize>> = vec![None; fragment.len()];
    let mut pending_space = false;
    for (i, ch) in fragment.char_indices() {
        if ch.is_whitespace() || ch.is_control() {
            pending_space = true;
            continue;
        }
        if pending_space && chars > usize::from(before) {
            out.push(' ');
            chars += 1;
        }
        pending_space = false;
        start_at[i] = Some(chars);
        out.push(ch);
        chars += 1;
    }
    let mut ranges = Vec::new();
    for r in highlighted {
        let Some(words) = fragment.get(r.clone()) else {
            continue;
        };
        let mut kept = words
            .char_indices()
            .filter_map(|(j, _)| start_at[r.start + j]);
        if let Some(first) = kept.next() {
            let last = kept.next_back().unwrap_or(first);
            ranges.push([first, last + 1]);
        }
    }
    if after {
        out.push('…');
    }
    (out, ranges)
}

/// `text` with the `[start, end)` char ranges of `highlights` in `<b>..</b>`, escaped: the
/// search page's snippet.
pub fn to_html(text: &str, highlights: &[[usize; 2]]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let piece = |a: usize, b: usize| -> String {
        let a = a.min(chars.len());
        chars[a..b.clamp(a, chars.len())].iter().collect()
    };
    let mut html = String::with_capacity(text.len() + 16);
    let mut done = 0;
    for &[s, e] in highlights {
        if s < done || e <= s {
            continue;
        }
        html.push_str(&escape_html(&piece(done, s)));
        html.push_str("<b>");
        html.push_str(&escape_html(&piece(s, e)));
        html.push_str("</b>");
        done = e;
    }
    html.push_str(&escape_html(&piece(done, chars.len())));
    html
}

fn shorten(text: &str, max_chars: usize) -> String {
    let collapsed = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if collapsed.chars().count() <= max_chars {
        return collapsed;
    }
    let cut: String = collapsed.chars().take(max_chars).collect();
    match cut.rfind(' ') {
        Some(i) if i > max_chars / 2 => format!("{}…", &cut[..i]),
        _ => format!("{cut}…"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_escape_and_shorten() {
        assert_eq!(escape_html("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(shorten("a  b\nc", 10), "a b c");
        assert!(shorten(&"word ".repeat(100), 20).ends_with('…'));
    }

    #[test]
    fn snippets_are_text_with_char_ranges() {
        // "Größe  <x>\n Koji": bytes of "Koji" are 14..18; of "Größe" 0..7.
        let frag = "Größe  <x>\n Koji";
        let (text, ranges) = plain(frag, &[0..7, 14..18], true, true);
        assert_eq!(text, "…Größe <x> Koji…");
        assert_eq!(ranges, vec![[1, 6], [11, 15]]);
        let chars: Vec<char> = text.chars().collect();
        let word = |r: [usize; 2]| chars[r[0]..r[1]].iter().collect::<String>();
        assert_eq!(word(ranges[0]), "Größe");
        assert_eq!(word(ranges[1]), "Koji");
        assert_eq!(
            to_html(&text, &ranges),
            "…<b>Größe</b> &lt;x&gt; <b>Koji</b>…"
        );
        // Out-of-range and overlapping ranges are ignored, not a panic.
        assert_eq!(to_html("ab", &[[1, 9], [0, 1]]), "a<b>b</b>");
    }
}
