//! `cairn check`: every problem in the catalog, like a compiler reports them.

use crate::text::plural;
use std::path::Path;

use super::{exit, Format, Out};
use crate::diag::{self, Diagnostic, RenderOptions};
use crate::model::Catalog;
use crate::views::{diagnostics_view, summary};

/// Renders every diagnostic with its source line, as `cairn check` prints them.
pub fn render_all(c: &Catalog, shown_root: &Path, opts: RenderOptions) -> String {
    // Read from sources, a file's path is `SOURCE/PATH` in the source: shown as it is.
    let shown_root = if c.sources.is_empty() {
        shown_root
    } else {
        Path::new("")
    };
    let mut out = String::new();
    // Each file with diagnostics read once, with where each of its lines is: a line is then found
    // in one step (diagnostics are not all grouped by file: a consequence follows its cause).
    // Only files the load read are quoted, through the loader's one safe read: never a file
    // outside the catalog (a committed symlink to /proc/self/environ), never a FIFO or device,
    // never more than the size limit.
    let root = c.root.canonicalize().ok();
    let loaded: std::collections::HashMap<&str, u64> =
        c.files.iter().map(|f| (f.path.as_str(), f.size)).collect();
    let limit = crate::loader::LoadOptions::default().max_file_size;
    let mut texts: std::collections::HashMap<&str, Option<Lines>> = Default::default();
    for d in &c.diagnostics {
        let text = texts.entry(d.file.as_str()).or_insert_with(|| {
            let size = *loaded.get(d.file.as_str())?;
            let bytes =
                crate::loader::read::read_in_catalog(root.as_deref()?, &d.file, size.max(limit))
                    .ok()?;
            Some(Lines::new(String::from_utf8_lossy(&bytes).into_owned()))
        });
        let line = text.as_ref().and_then(|t| t.line(d.line));
        let shown = display_path(shown_root, d);
        out.push_str(&diag::render_line(d, &shown, line, opts));
        out.push('\n');
    }
    out
}

/// A file's text and the byte range of each of its lines, as `str::lines` splits them.
struct Lines {
    text: String,
    ranges: Vec<(usize, usize)>,
}

impl Lines {
    fn new(text: String) -> Lines {
        let base = text.as_ptr() as usize;
        let ranges = text
            .lines()
            .map(|l| {
                let start = l.as_ptr() as usize - base;
                (start, start + l.len())
            })
            .collect();
        Lines { text, ranges }
    }

    /// Line `n` (1-based; 0 is read as 1, as `diag::render` does).
    fn line(&self, n: u32) -> Option<&str> {
        let &(a, b) = self.ranges.get(n.saturating_sub(1) as usize)?;
        Some(&self.text[a..b])
    }
}

fn display_path(root: &Path, d: &Diagnostic) -> String {
    let r = root.to_string_lossy();
    let r = r.trim_end_matches('/');
    if r.is_empty() || r == "." {
        d.file.clone()
    } else {
        format!("{r}/{}", d.file)
    }
}

pub fn run(
    c: &Catalog,
    shown_root: &Path,
    format: Format,
    strict: bool,
    out: &mut Out,
) -> anyhow::Result<i32> {
    let s = summary(c);
    let failed = s.error_count > 0 || (strict && s.warning_count > 0);
    match format {
        Format::Json => out.json(&diagnostics_view(&c.diagnostics, &c.held, false, s))?,
        _ => {
            let text = render_all(
                c,
                shown_root,
                RenderOptions {
                    color: out.stderr_color,
                },
            );
            out.eprint(&text);
            let verdict = if failed { "failed" } else { "ok" };
            out.eprint(&format!(
                "check {verdict}: {}, {}, {}, {} in {}; {}, {}\n",
                plural(s.system_count, "system", "systems"),
                plural(s.team_count, "team", "teams"),
                plural(s.api_count, "API", "APIs"),
                plural(s.domain_count, "domain", "domains"),
                plural(s.file_count, "file", "files"),
                plural(s.error_count, "error", "errors"),
                plural(s.warning_count, "warning", "warnings"),
            ));
        }
    }
    Ok(if failed { exit::FAILED } else { exit::OK })
}

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn lines_are_found_as_str_lines_finds_them() {
        for text in [
            "",
            "a",
            "a\n",
            "a\r\nbb\n\nccc",
            "x\n\r\n\ny\r",
            "é\nü\r\n\t z",
        ] {
            let lines = Lines::new(text.to_string());
            for n in 0..8u32 {
                assert_eq!(
                    lines.line(n),
                    text.lines().nth(n.saturating_sub(1) as usize),
                    "{text:?} line {n}"
                );
            }
        }
    }
}
