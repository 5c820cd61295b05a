//! Diagnostics: every problem found in a catalog, located at file:line:column, with a hint.
//!
//! Diagnostics are data. Rendering them like a compiler (`path:line:col: error: ...`, the source
//! line, a caret, the hint) is a pure function of the diagnostic and the file's text; this module
//! never prints.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem. `file` is relative to the catalog root; `line` and `column` are 1-based.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub hint: Option<String>,
    /// A stable, machine-readable name for the rule (`unknown-field`, `unknown-system`, ...).
    pub code: &'static str,
    /// Set when this diagnostic is a consequence of another: the location (`file:line:column`)
    /// of its root cause, under which it is listed (a reference into a file that failed to
    /// parse, say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The name a "not in the catalog" reference names, so that a reference into a file that
    /// could not be read can be tied to that file's problem. Not part of the JSON.
    #[serde(skip)]
    pub refers_to: Option<String>,
}

impl Diagnostic {
    pub fn error(
        code: &'static str,
        file: &str,
        line: u32,
        column: u32,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.to_string(),
            line,
            column,
            message: message.into(),
            hint: None,
            code,
            cause: None,
            refers_to: None,
        }
    }

    pub fn warning(
        code: &'static str,
        file: &str,
        line: u32,
        column: u32,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, line, column, message)
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Names what a "not in the catalog" reference refers to ([`Diagnostic::refers_to`]).
    pub fn refers_to(mut self, name: &str) -> Self {
        self.refers_to = Some(name.to_string());
        self
    }

    pub fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }
}

/// Sorts diagnostics so that root causes come first and output is stable: files that could not
/// be read or parsed at all first (nothing else about them is known, and what refers into them
/// follows from it), then everything else by file, line, column and message; a consequence
/// (`cause` set) comes right after its cause.
pub fn sort(diags: &mut [Diagnostic]) {
    if diags.iter().all(|d| d.cause.is_none()) {
        diags.sort_by(|a, b| {
            (rank(a), &a.file, a.line, a.column, a.severity, &a.message).cmp(&(
                rank(b),
                &b.file,
                b.line,
                b.column,
                b.severity,
                &b.message,
            ))
        });
        return;
    }
    let key = |d: &Diagnostic| (rank(d), d.file.clone(), d.line, d.column);
    let at = |d: &Diagnostic| format!("{}:{}:{}", d.file, d.line, d.column);
    let roots: std::collections::HashMap<String, (u8, String, u32, u32)> = diags
        .iter()
        .filter(|d| d.cause.is_none())
        .map(|d| (at(d), key(d)))
        .collect();
    // A consequence sorts as its cause, after it; one whose cause is not listed, as itself.
    let sort_key = |d: &Diagnostic| {
        let own = key(d);
        match d.cause.as_ref().and_then(|c| roots.get(c)) {
            Some(c) => (c.clone(), 1u8, own),
            None => (own.clone(), 0u8, own),
        }
    };
    diags.sort_by_cached_key(|d| (sort_key(d), d.severity, d.message.clone()));
}

/// 0 for a file that could not be read or parsed (a root cause of whatever refers into it).
pub fn rank(d: &Diagnostic) -> u8 {
    match d.code {
        "yaml-syntax" | "invalid-utf8" | "unreadable" | "file-too-large" => 0,
        _ => 1,
    }
}

/// Longer names (in bytes) are neither given a suggestion nor suggested.
const MAX_SUGGESTED_LEN: usize = 128;

/// The closest candidate to `wanted`, if it is close enough to be a likely typo.
pub fn closest<'a, I>(wanted: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    // The edit distance costs length × length (time and memory): a committed name of 100 KB
    // made one suggestion take seconds and gigabytes. Names worth suggesting are short.
    if wanted.len() > MAX_SUGGESTED_LEN {
        return None;
    }
    let limit = (wanted.chars().count() / 3).clamp(1, 4);
    let mut best: Option<(usize, &'a str)> = None;
    let wanted_len = wanted.chars().count();
    for c in candidates {
        let prefix_match = c.len() > 2 && (wanted.starts_with(c) || c.starts_with(wanted));
        // The edit distance is at least the length difference: skip hopeless candidates cheaply,
        // which keeps suggestions fast over 100,000 names.
        if !prefix_match
            && c.len().abs_diff(wanted.len()) > limit * 4
            && c.chars().count().abs_diff(wanted_len) > limit
        {
            continue;
        }
        if c.len() > MAX_SUGGESTED_LEN {
            continue;
        }
        let d = strsim::damerau_levenshtein(wanted, c);
        if (d <= limit || prefix_match) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `did you mean `x`?` for the closest candidate.
pub fn did_you_mean<'a, I>(wanted: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(wanted, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// How to render: with ANSI colours or without.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions {
    pub color: bool,
}

/// Renders one diagnostic like a compiler does. `source` is the file's text when available;
/// `display_path` is what to print before `:line:col` (usually `catalog/<file>`).
pub fn render(
    d: &Diagnostic,
    display_path: &str,
    source: Option<&str>,
    opts: RenderOptions,
) -> String {
    let line_text = source.and_then(|s| s.lines().nth(d.line.saturating_sub(1) as usize));
    render_line(d, display_path, line_text, opts)
}

/// [`render`] given the text of the diagnostic's line (`None`: not available), for callers
/// that render many diagnostics of one file and index its lines once.
pub fn render_line(
    d: &Diagnostic,
    display_path: &str,
    line_text: Option<&str>,
    opts: RenderOptions,
) -> String {
    let (sev_color, bold, blue, reset) = if opts.color {
        (
            match d.severity {
                Severity::Error => "\x1b[1;31m",
                Severity::Warning => "\x1b[1;33m",
            },
            "\x1b[1m",
            "\x1b[1;34m",
            "\x1b[0m",
        )
    } else {
        ("", "", "", "")
    };
    let mut out = format!(
        "{bold}{display_path}:{}:{}{reset}: {sev_color}{}{reset}: {bold}{}{reset}\n",
        d.line,
        d.column,
        d.severity.as_str(),
        d.message
    );
    if let Some(text) = line_text {
        let text = sanitize_line(text);
        let num = d.line.to_string();
        let pad = " ".repeat(num.len());
        let caret_col = text
            .chars()
            .take(d.column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect::<String>();
        out.push_str(&format!("{blue}{pad} |{reset}\n"));
        out.push_str(&format!("{blue}{num} |{reset} {text}\n"));
        out.push_str(&format!(
            "{blue}{pad} |{reset} {caret_col}{sev_color}^{reset}\n"
        ));
        if let Some(h) = &d.hint {
            out.push_str(&format!("{blue}{pad} = {reset}{bold}hint{reset}: {h}\n"));
        }
        if let Some(c) = &d.cause {
            out.push_str(&format!(
                "{blue}{pad} = {reset}{bold}note{reset}: follows from {c} (fix that first)\n"
            ));
        }
    } else {
        if let Some(h) = &d.hint {
            out.push_str(&format!("  = {bold}hint{reset}: {h}\n"));
        }
        if let Some(c) = &d.cause {
            out.push_str(&format!(
                "  = {bold}note{reset}: follows from {c} (fix that first)\n"
            ));
        }
    }
    out
}

/// Long or binary lines are cut and control characters replaced, so a hostile file cannot
/// flood or drive the terminal.
fn sanitize_line(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(
            closest("depend_on", ["depends_on", "docs"]),
            Some("depends_on")
        );
        assert_eq!(closest("zzz", ["depends_on", "docs"]), None);
        assert_eq!(
            closest("pkgdb/api@3", ["pkgdb/api@2", "koji/hub@1"]),
            Some("pkgdb/api@2")
        );
    }

    #[test]
    fn renders_like_a_compiler() {
        let d = Diagnostic::error("unknown-field", "a.yaml", 2, 3, "unknown field `depend_on`")
            .with_hint("did you mean `depends_on`?");
        let s = render(
            &d,
            "catalog/a.yaml",
            Some("kind: system\n  depend_on: [x]\n"),
            RenderOptions::default(),
        );
        assert_eq!(
            s,
            "catalog/a.yaml:2:3: error: unknown field `depend_on`\n  |\n2 |   depend_on: [x]\n  |   ^\n  = hint: did you mean `depends_on`?\n"
        );
    }
}
