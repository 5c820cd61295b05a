//! Finding the catalog files: the directory walk (hidden and build folders skipped, symlinks
//! followed only inside the catalog) and the [`Stamp`] that tells whether a file changed.

use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::model::SourceFile;

/// Directory names never descended into: build output and dependency folders.
const SKIPPED_DIRS: &[&str] = &[
    "target",
    "node_modules",
    "vendor",
    "__pycache__",
    "dist",
    "build",
];

pub(super) struct FoundFile {
    pub(super) rel: String,
    pub(super) full: PathBuf,
    pub(super) stamp: Stamp,
    /// Found through a symlink (inside the catalog): the stamp is the target's.
    pub(super) symlink: bool,
}

impl FoundFile {
    pub(super) fn source(&self) -> SourceFile {
        SourceFile {
            path: self.rel.clone(),
            modified: self.stamp.modified,
            size: self.stamp.size,
        }
    }
}

/// Size, modification time and (on Unix) status-change time: a file whose stamp is unchanged
/// is not read again. The status-change time moves with permissions and ownership too, so a
/// file that became unreadable is read again (and reported) rather than served from the cache
/// as if nothing had happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stamp {
    pub(super) size: u64,
    modified: Option<std::time::SystemTime>,
    status_changed: Option<i128>,
}

impl Stamp {
    pub(super) fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        Some(Stamp::from_meta(&m))
    }

    fn from_meta(m: &std::fs::Metadata) -> Stamp {
        Stamp {
            size: m.len(),
            modified: m.modified().ok(),
            status_changed: status_changed(m),
        }
    }
}

#[cfg(unix)]
fn status_changed(m: &std::fs::Metadata) -> Option<i128> {
    use std::os::unix::fs::MetadataExt;
    Some(i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()))
}

#[cfg(not(unix))]
fn status_changed(_: &std::fs::Metadata) -> Option<i128> {
    None
}

pub(super) fn is_yaml(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml")
}

/// Finds the YAML files to load, in a stable order. Symlinks are followed only when their
/// target stays inside the catalog.
pub(super) fn walk(
    root: &Path,
    canonical_root: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Vec<FoundFile> {
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            !(name.starts_with('.')
                || (e.file_type().is_dir() && SKIPPED_DIRS.contains(&name.as_ref())))
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let rel = err
                    .path()
                    .and_then(|p| p.strip_prefix(root).ok())
                    .map(rel_string)
                    .unwrap_or_default();
                diags.push(Diagnostic::error(
                    "unreadable",
                    &rel,
                    1,
                    1,
                    format!("cannot read: {err}"),
                ));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy();
        if !is_yaml(&name) {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)
            .map(rel_string)
            .unwrap_or_default();
        let mut meta = entry.metadata().ok();
        if entry.path_is_symlink() {
            match entry.path().canonicalize() {
                Ok(target) if target.starts_with(canonical_root) => {
                    meta = std::fs::metadata(&target).ok();
                    if !meta.as_ref().is_some_and(|m| m.is_file()) {
                        continue;
                    }
                }
                Ok(target) => {
                    diags.push(
                        Diagnostic::error(
                            "symlink-outside-catalog",
                            &rel,
                            1,
                            1,
                            "symlink leaves the catalog directory; not loaded",
                        )
                        .with_hint(format!("it points to `{}`", target.display())),
                    );
                    continue;
                }
                Err(e) => {
                    diags.push(Diagnostic::error(
                        "unreadable",
                        &rel,
                        1,
                        1,
                        format!("broken symlink: {e}"),
                    ));
                    continue;
                }
            }
        } else if !entry.file_type().is_file() {
            continue;
        }
        out.push(FoundFile {
            rel,
            symlink: entry.path_is_symlink(),
            full: entry.path().to_path_buf(),
            stamp: meta.as_ref().map(Stamp::from_meta).unwrap_or(Stamp {
                size: 0,
                modified: None,
                status_changed: None,
            }),
        });
    }
    out
}

/// Whether the walk never looks at `rel`: hidden files and directories, and build or
/// dependency directories ([`SKIPPED_DIRS`]).
pub fn walk_skips(rel: &Path) -> bool {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.iter().enumerate().any(|(i, name)| {
        name.starts_with('.') || (i + 1 < parts.len() && SKIPPED_DIRS.contains(&name.as_str()))
    })
}

/// A walked file's stamp now, as the walk would take it; `None` when it is no longer the
/// same kind of entry (gone, a directory, a symlink where there was none or the reverse, a
/// symlink now leaving the catalog).
pub(super) fn restat(full: &Path, symlink: bool, canonical_root: &Path) -> Option<Stamp> {
    let m = std::fs::symlink_metadata(full).ok()?;
    if m.file_type().is_symlink() != symlink {
        return None;
    }
    if !symlink {
        return m.is_file().then(|| Stamp::from_meta(&m));
    }
    let target = full.canonicalize().ok()?;
    if !target.starts_with(canonical_root) {
        return None;
    }
    let m = std::fs::metadata(&target).ok()?;
    m.is_file().then(|| Stamp::from_meta(&m))
}

pub(super) fn rel_string(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
