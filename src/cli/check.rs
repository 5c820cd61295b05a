//! `cairn check`: every problem in the catalog, like a compiler reports them.

use std::path::Path;

use serde::Serialize;

use super::{exit, Format, Out};
use crate::diag::{self, Diagnostic, RenderOptions};
use crate::model::Catalog;

#[derive(Serialize)]
struct Report<'a> {
    diagnostics: Vec<DiagnosticView<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct DiagnosticView<'a> {
    severity: &'static str,
    code: &'static str,
    file: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
    hint: Option<&'a str>,
}

#[derive(Serialize)]
pub struct Summary {
    pub files: usize,
    pub systems: usize,
    pub teams: usize,
    pub domains: usize,
    pub apis: usize,
    pub errors: usize,
    pub warnings: usize,
}

pub fn summary(c: &Catalog) -> Summary {
    Summary {
        files: c.files.len(),
        systems: c.systems.len(),
        teams: c.teams.len(),
        domains: c.domains.len(),
        apis: c.api_count(),
        errors: c.errors(),
        warnings: c.warnings(),
    }
}

/// Renders every diagnostic with its source line, as `cairn check` prints them.
pub fn render_all(c: &Catalog, shown_root: &Path, opts: RenderOptions) -> String {
    let mut out = String::new();
    let mut cache: Option<(&str, Option<String>)> = None;
    for d in &c.diagnostics {
        if cache.as_ref().is_none_or(|(f, _)| *f != d.file) {
            let text = std::fs::read(c.root.join(&d.file))
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            cache = Some((&d.file, text));
        }
        let source = cache.as_ref().and_then(|(_, t)| t.as_deref());
        let shown = display_path(shown_root, d);
        out.push_str(&diag::render(d, &shown, source, opts));
        out.push('\n');
    }
    out
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
    let failed = s.errors > 0 || (strict && s.warnings > 0);
    match format {
        Format::Json => out.json(&Report {
            diagnostics: c
                .diagnostics
                .iter()
                .map(|d| DiagnosticView {
                    severity: d.severity.as_str(),
                    code: d.code,
                    file: &d.file,
                    line: d.line,
                    column: d.column,
                    message: &d.message,
                    hint: d.hint.as_deref(),
                })
                .collect(),
            summary: s,
        })?,
        _ => {
            let text = render_all(
                c,
                shown_root,
                RenderOptions {
                    color: out.stderr_color,
                },
            );
            out.eprint(&text);
            let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
            let verdict = if failed { "failed" } else { "ok" };
            out.eprint(&format!(
                "check {verdict}: {}, {}, {}, {} in {}; {}, {}\n",
                plural(s.systems, "system"),
                plural(s.teams, "team"),
                plural(s.apis, "API"),
                plural(s.domains, "domain"),
                plural(s.files, "file"),
                plural(s.errors, "error"),
                plural(s.warnings, "warning"),
            ));
        }
    }
    Ok(if failed { exit::FAILED } else { exit::OK })
}
