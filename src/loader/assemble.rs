//! Per-file results → one [`Catalog`]: the entities in file order, the one settings document
//! (a second is reported), and the Backstage entities mapped once all of them are known.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::backstage_resolve;
use super::document::Entity;
use crate::diag::Diagnostic;
use crate::model::*;

/// Catalog from per-file results (in walk order): entities in file order, the one settings
/// document, Backstage entities mapped once all are known. `table` maps the file ids inside
/// the entities to files when they are not positions in `files` (incremental reloads).
pub(super) fn assemble(
    root: &Path,
    files: Vec<SourceFile>,
    table: Option<std::sync::Arc<Vec<SourceFile>>>,
    per_file: impl IntoIterator<Item = (Vec<Entity>, Vec<Diagnostic>)>,
    mut diags: Vec<Diagnostic>,
    previous: Option<&crate::model::NameIndexes>,
) -> Catalog {
    let (mut systems, mut teams, mut domains, mut imported) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut settings: Option<Settings> = None;
    let by_id: &[SourceFile] = table.as_deref().map(Vec::as_slice).unwrap_or(&files);
    for (entities, d) in per_file {
        diags.extend(d);
        for e in entities {
            match e {
                Entity::System(s) => systems.push(s),
                Entity::Team(t) => teams.push(*t),
                Entity::Domain(d) => domains.push(d),
                Entity::Settings(s) => match &settings {
                    None => settings = Some(*s),
                    // The settings file at the top of the catalog (`cairn.yaml`) is the one
                    // used, wherever others sort: with sources, a source's files come before
                    // it, and one of them must not take its place.
                    Some(first)
                        if is_top_settings(&by_id[s.loc.file as usize].path)
                            && !is_top_settings(&by_id[first.loc.file as usize].path) =>
                    {
                        let first = settings.replace(*s).expect("a first settings");
                        let kept = settings.as_ref().expect("just set");
                        diags.push(second_settings(by_id, &first, kept));
                    }
                    Some(first) => diags.push(second_settings(by_id, &s, first)),
                },
                Entity::Backstage(b) => imported.push(*b),
            }
        }
    }
    let mut backstage_refs = HashMap::new();
    if !imported.is_empty() {
        let taken: std::collections::HashSet<String> =
            systems.iter().map(|s| s.name.value.clone()).collect();
        let mapped = backstage_resolve::resolve(imported, &taken, by_id, &mut diags);
        systems.extend(mapped.systems.into_iter().map(Arc::new));
        teams.extend(mapped.teams);
        domains.extend(mapped.domains);
        backstage_refs = mapped.refs;
    }
    let mut catalog =
        Catalog::new_after(root.to_path_buf(), files, systems, teams, domains, previous);
    catalog.file_table = table;
    catalog.backstage_refs = backstage_refs;
    catalog.settings = settings;
    catalog.diagnostics = diags;
    catalog
}

/// The settings file at the top of the catalog.
fn is_top_settings(path: &str) -> bool {
    matches!(path, "cairn.yaml" | "cairn.yml")
}

/// `duplicate-settings` at `second`, the one not used.
fn second_settings(by_id: &[SourceFile], second: &Settings, kept: &Settings) -> Diagnostic {
    Diagnostic::error(
        "duplicate-settings",
        &by_id[second.loc.file as usize].path,
        second.loc.line,
        second.loc.col,
        "a second settings document; only the catalog's own (`cairn.yaml` at its top, else the first) is used",
    )
    .with_hint(format!(
        "the one used is at {}:{}; merge them into one `kind: settings` document",
        by_id[kept.loc.file as usize].path, kept.loc.line
    ))
}
