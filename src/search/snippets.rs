//! Result snippets: the best highlighted fragment of a hit's stored description or body, as
//! HTML (escaped text, matching words in `<b>..</b>`). The one escaper is
//! [`crate::docs::escape_html`]; tantivy's highlighter escapes the fragments it makes.
//!
//! Depends only on [`schema`](mod@super::schema) (the stored fields read).

use std::collections::BTreeMap;

use tantivy::snippet::SnippetGenerator;
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
    /// whichever has text.
    pub(super) fn for_doc(&self, description: &str, body: &str) -> String {
        for (generator, text) in [(&self.description, description), (&self.body, body)] {
            let s = generator.snippet(text);
            if !s.highlighted().is_empty() {
                let range = s.fragment_range();
                let before = if range.start > 0 { "…" } else { "" };
                let after = if range.end < text.len() { "…" } else { "" };
                let html = s.to_html();
                let one_line = html.split_whitespace().collect::<Vec<_>>().join(" ");
                return format!("{before}{one_line}{after}");
            }
        }
        let text = if description.trim().is_empty() {
            body
        } else {
            description
        };
        escape_html(&shorten(text, SNIPPET_CHARS))
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
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
}
