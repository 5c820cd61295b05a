//! `cairn check`: every problem in the catalog, like a compiler reports them.

use std::path::Path;

use super::{exit, Format, Out};
use crate::diag::{self, Diagnostic, RenderOptions};
use crate::model::Catalog;
use crate::views::{diagnostics_view, summary};

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
