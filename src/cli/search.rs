//! `cairn search QUERY`: full-text search from the terminal, or JSON for scripts.
//!
//! The index is built in RAM for each run, or kept in `--index-dir` and reused while the
//! catalog is unchanged. Snippets arrive as plain text with the matches as char ranges; here
//! the matches become terminal bold, or stay plain text without colour.

use std::path::PathBuf;

use super::{exit, Format, Out};
use crate::search::{SearchOptions, SearchResponse};
use crate::snapshot::Snapshot;

/// Resolved `search` arguments.
pub struct SearchArgs<'a> {
    pub query: &'a str,
    pub limit: usize,
    pub index_dir: Option<&'a PathBuf>,
}

pub fn run(
    snap: &Snapshot,
    a: SearchArgs<'_>,
    format: Format,
    out: &mut Out,
) -> anyhow::Result<i32> {
    if !matches!(format, Format::Text | Format::Json | Format::Md) {
        out.error("`search` prints text or JSON (`--format text|json`)");
        return Ok(exit::USAGE);
    }
    if let Some(dir) = a.index_dir {
        if let Some(why) = snap.persist_search_in(dir)? {
            out.warn(&why);
        }
    }
    let index = snap.search_index()?;
    let opts = SearchOptions {
        limit: a.limit,
        ..SearchOptions::default()
    };
    let response = index.search(a.query, &opts);
    match format {
        Format::Json => out.json(&response)?,
        _ => {
            let text = render_text(&response, out);
            out.print(&text);
        }
    }
    Ok(exit::OK)
}

fn render_text(r: &SearchResponse, out: &Out) -> String {
    let mut s = String::new();
    for (i, hit) in r.results.iter().enumerate() {
        s.push_str(&format!(
            "{:>2}. {:<8} {}  {}\n",
            i + 1,
            hit.kind,
            out.bold(&hit.name),
            hit.title
        ));
        s.push_str(&format!("    {}\n", out.dim(&hit.url)));
        let snippet = terminal_snippet(&hit.snippet, &hit.highlights, out.stdout_color);
        if !snippet.is_empty() {
            s.push_str(&format!("    {snippet}\n"));
        }
    }
    let shown = r.results.len();
    let mut summary = if r.total == 0 {
        "no results".to_string()
    } else if shown < r.total {
        format!("{shown} of {} results", r.total)
    } else {
        format!("{} result{}", r.total, if r.total == 1 { "" } else { "s" })
    };
    let order = ["kind", "owner", "tier", "domain", "lifecycle", "tag"];
    let mut keys: Vec<&String> = r.facets.keys().collect();
    keys.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(order.len()));
    for key in keys {
        let Some(values) = r.facets.get(key).filter(|v| !v.is_empty()) else {
            continue;
        };
        let counts: Vec<String> = values.iter().map(|(v, n)| format!("{v} ({n})")).collect();
        summary.push_str(&format!(" · {key}: {}", counts.join(", ")));
    }
    s.push('\n');
    s.push_str(&out.dim(&summary));
    s.push('\n');
    s
}

/// A snippet → one line of terminal text: the highlighted `[start, end)` char ranges bold
/// (with colour) or plain, control characters from the catalog dropped, whitespace collapsed.
fn terminal_snippet(text: &str, highlights: &[[usize; 2]], color: bool) -> String {
    let mut line = String::with_capacity(text.len() + 16);
    let mut ranges = highlights.iter().filter(|_| color).peekable();
    let mut open = false;
    for (i, c) in text.chars().enumerate() {
        if open && ranges.peek().is_some_and(|r| r[1] == i) {
            line.push_str("\x1b[0m");
            open = false;
            ranges.next();
        }
        while !open && ranges.peek().is_some_and(|r| r[0] < i || r[1] <= r[0]) {
            ranges.next();
        }
        if !open && ranges.peek().is_some_and(|r| r[0] == i) {
            line.push_str("\x1b[1m");
            open = true;
        }
        line.push(if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        });
    }
    if open {
        line.push_str("\x1b[0m");
    }
    line.split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_become_terminal_text() {
        let text = "Where <packagers> turn a Koji\n build & bodhi";
        let hl = [[25, 29], [39, 44]];
        assert_eq!(
            terminal_snippet(text, &hl, false),
            "Where <packagers> turn a Koji build & bodhi"
        );
        assert_eq!(
            terminal_snippet(text, &hl, true),
            "Where <packagers> turn a \x1b[1mKoji\x1b[0m build & \x1b[1mbodhi\x1b[0m"
        );
        assert_eq!(terminal_snippet("a\x1b[31mred", &[], true), "a [31mred");
    }
}
