//! `cairn import backstage DIR --out DIR`: native Cairn files from a Backstage catalog.

use std::path::Path;

use super::{exit, Out};
use crate::model::Catalog;
use crate::native;

/// What the import wrote and what it could not carry over.
pub struct ImportSummary {
    pub files: Vec<String>,
    pub not_mapped: Vec<String>,
}

/// Writes every system, team and domain of `c` as native files under `out`
/// (`systems/<name>.yaml`, `teams.yaml`, `domains.yaml`). Refuses to overwrite existing files.
pub fn write_native(c: &Catalog, out: &Path) -> anyhow::Result<ImportSummary> {
    let mut files: Vec<(String, String)> = Vec::new();
    // Two systems of one name (a duplicate the source catalog has) go into one file, as two
    // documents, rather than the second overwriting the first: nothing imported is lost, and
    // `cairn check` of the output reports the duplicate.
    let mut at: std::collections::HashMap<String, usize> = Default::default();
    for s in &c.systems {
        let rel = format!("systems/{}.yaml", s.name.value);
        match at.get(&rel) {
            Some(&i) => {
                files[i].1.push_str("---\n");
                files[i].1.push_str(&native::system(s));
            }
            None => {
                at.insert(rel.clone(), files.len());
                files.push((rel, native::system(s)));
            }
        }
    }
    if !c.teams.is_empty() {
        files.push((
            "teams.yaml".into(),
            c.teams
                .iter()
                .map(native::team)
                .collect::<Vec<_>>()
                .join("---\n"),
        ));
    }
    if !c.domains.is_empty() {
        files.push((
            "domains.yaml".into(),
            c.domains
                .iter()
                .map(native::domain)
                .collect::<Vec<_>>()
                .join("---\n"),
        ));
    }
    for (rel, _) in &files {
        if out.join(rel).exists() {
            anyhow::bail!(
                "`{}` already exists; import into an empty directory",
                out.join(rel).display()
            );
        }
    }
    std::fs::create_dir_all(out.join("systems"))
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
    for (rel, text) in &files {
        let header = "# Imported from Backstage by `cairn import backstage`; edit freely.\n";
        // Created new: never overwrites a file (checked above, and again here).
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(out.join(rel))
            .and_then(|mut f| {
                std::io::Write::write_all(&mut f, format!("{header}{text}").as_bytes())
            })
            .map_err(|e| anyhow::anyhow!("cannot write {rel}: {e}"))?;
    }
    let mut not_mapped = Vec::new();
    for d in &c.diagnostics {
        if matches!(d.code, "unknown-kind" | "unknown-api-version") {
            not_mapped.push(format!("{}:{}: {}", d.file, d.line, d.message));
        }
    }
    for s in &c.systems {
        for a in &s.provides {
            if a.endpoints.is_empty()
                && matches!(
                    a.kind,
                    crate::model::ApiKind::Grpc
                        | crate::model::ApiKind::Graphql
                        | crate::model::ApiKind::Other
                )
            {
                not_mapped.push(format!(
                    "{}: the {} definition of `{}` has no endpoints Cairn reads; link it from the system",
                    s.name.value,
                    a.kind.as_str(),
                    a.name.value
                ));
            }
        }
    }
    not_mapped.push(
        "Location entities: not needed (every file in the catalog directory is read); not written"
            .into(),
    );
    not_mapped
        .push("User entities: written as team members; users in no group are not written".into());
    Ok(ImportSummary {
        files: files.into_iter().map(|(f, _)| f).collect(),
        not_mapped,
    })
}

pub fn run(c: &Catalog, out_dir: &Path, out: &mut Out) -> anyhow::Result<i32> {
    let errors = c.errors();
    let summary = match write_native(c, out_dir) {
        Ok(s) => s,
        Err(e) => {
            out.error(&format!("{e:#}"));
            return Ok(exit::USAGE);
        }
    };
    out.print(&format!(
        "wrote {} files to {} ({} systems, {} teams, {} domains)\n",
        summary.files.len(),
        out_dir.display(),
        c.systems.len(),
        c.teams.len(),
        c.domains.len()
    ));
    if errors > 0 {
        out.print(&format!(
            "the source has {errors} errors (run `cairn check` on it); unresolved references were written as they are\n"
        ));
    }
    out.print("not mapped:\n");
    for n in &summary.not_mapped {
        out.print(&format!("  - {n}\n"));
    }
    Ok(exit::OK)
}
