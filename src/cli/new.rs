//! `cairn new system NAME [--owner T]`, `cairn new team NAME`, `cairn new settings`: writes a
//! scaffold from `templates/` into the catalog directory. Refuses to overwrite a file or to
//! reuse a name, and checks what it wrote: the new file must load without errors (its TODO
//! values are warnings).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{exit, Args, Format, Out};
use crate::date::Date;
use crate::diag::{did_you_mean, Severity};
use crate::model::Catalog;
use crate::scaffold;

/// What to scaffold.
pub enum What<'a> {
    System {
        name: &'a str,
        owner: Option<&'a str>,
    },
    Team {
        name: &'a str,
    },
    Settings,
}

#[derive(Serialize)]
struct Written {
    /// Path of the new file, as given on the command line (catalog dir joined).
    file: String,
    /// TODO values left to fill in.
    todo_values: usize,
}

pub fn run(args: &Args, what: What, out: &mut Out) -> anyhow::Result<i32> {
    let dir = &args.catalog;
    let catalog = if dir.exists() {
        Some(super::load_catalog(dir, args, out)?)
    } else {
        None
    };
    let empty = Catalog::default();
    let c = catalog.as_ref().unwrap_or(&empty);
    let (rel, text) = match what {
        What::System { name, owner } => {
            if let Err(e) = scaffold::check_name(name) {
                out.error(&e);
                return Ok(exit::USAGE);
            }
            if let Some(s) = c.system(name) {
                out.error(&format!(
                    "a system named `{name}` already exists ({}:{})",
                    c.file_path(s.loc.file),
                    s.loc.line
                ));
                return Ok(exit::USAGE);
            }
            if let Some(o) = owner {
                if c.team(o).is_none() {
                    let hint = did_you_mean(o, c.teams.iter().map(|t| t.name.value.as_str()))
                        .map(|h| format!(" ({h})"))
                        .unwrap_or_else(|| format!(" (create it first: `cairn new team {o}`)"));
                    out.error(&format!("no team named `{o}`{hint}"));
                    return Ok(exit::USAGE);
                }
            }
            let text = scaffold::system_yaml(&scaffold::NewSystem {
                name,
                owner,
                teams: c.teams.iter().map(|t| t.name.value.as_str()).collect(),
                domains: c.domains.iter().map(|d| d.name.value.as_str()).collect(),
                scorecard: crate::score::effective(c).scorecard,
            });
            (format!("systems/{name}/{name}.yaml"), text)
        }
        What::Team { name } => {
            if let Err(e) = scaffold::check_name(name) {
                out.error(&e);
                return Ok(exit::USAGE);
            }
            if let Some(t) = c.team(name) {
                out.error(&format!(
                    "a team named `{name}` already exists ({}:{})",
                    c.file_path(t.loc.file),
                    t.loc.line
                ));
                return Ok(exit::USAGE);
            }
            (
                format!("teams/{name}.yaml"),
                scaffold::team_yaml(name, Date::today()),
            )
        }
        What::Settings => {
            if let Some(s) = &c.settings {
                out.error(&format!(
                    "the catalog already has settings ({}:{})",
                    c.file_path(s.loc.file),
                    s.loc.line
                ));
                return Ok(exit::USAGE);
            }
            (
                "cairn.yaml".to_string(),
                scaffold::settings_yaml().to_string(),
            )
        }
    };
    let path = dir.join(&rel);
    if let Err(e) = write_new(&path, &text) {
        out.error(&e);
        return Ok(exit::USAGE);
    }

    // Check what was written: only TODO warnings may come from the new file.
    let after = super::load_catalog(dir, args, out)?;
    let mine: Vec<_> = after.diagnostics.iter().filter(|d| d.file == rel).collect();
    let todo_values = mine.iter().filter(|d| d.code == "todo-value").count();
    let errors: Vec<_> = mine
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        // Only possible if a template is broken; say so rather than leave a bad file unnoticed.
        for d in &errors {
            out.error(&format!(
                "{}:{}:{}: {}",
                d.file, d.line, d.column, d.message
            ));
        }
        out.error("the scaffold does not load cleanly; please report this");
        return Ok(exit::FAILED);
    }
    let shown = path.display().to_string();
    match args.format {
        Format::Json => out.json(&Written {
            file: shown.clone(),
            todo_values,
        })?,
        _ => out.print(&format!("{shown}\n")),
    }
    let next = match rel.split('/').next() {
        Some("systems") => "then `cairn score` shows how ready it is",
        Some("teams") => "then `cairn oncall` shows its rotation",
        _ => "then `cairn score` uses your levels",
    };
    out.eprint(&format!(
        "wrote {shown} with {todo_values} TODO value{} to fill in: `cairn check` lists them; {next}\n",
        if todo_values == 1 { "" } else { "s" }
    ));
    Ok(exit::OK)
}

/// Creates `path` (and its directories) with `text`; never overwrites.
fn write_new(path: &Path, text: &str) -> Result<(), String> {
    if path.exists() {
        return Err(format!(
            "{} already exists; refusing to overwrite it",
            path.display()
        ));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", PathBuf::from(path).display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
