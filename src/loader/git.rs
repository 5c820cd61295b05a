//! A catalog as it was at a git revision, for `cairn diff main HEAD`.
//!
//! Files are read from git's object database — `git ls-tree` for the listing, one
//! `git cat-file --batch` for every blob — into a fresh temporary directory, which the normal
//! loader then reads (so diagnostics, docs and specs work exactly as for a directory). The working
//! tree, the index and HEAD are never touched. This spawns the `git` binary: it is present wherever
//! a repository is, and linking libgit2 would add a C dependency for three read-only commands.
//! Revisions starting with `-` are refused, so no user text is ever read as an option.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use super::{load, LoadOptions};
use crate::model::Catalog;

/// Something git could not do, as a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitError {
    pub message: String,
}

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GitError {}

fn err(message: impl Into<String>) -> GitError {
    GitError {
        message: message.into(),
    }
}

/// The repository holding a catalog directory, and where the catalog is inside it.
#[derive(Debug, Clone)]
pub struct CatalogRepo {
    /// The repository's top-level directory.
    pub toplevel: PathBuf,
    /// The catalog's path relative to `toplevel`, `/`-separated; empty when it is the top level.
    pub path: String,
}

/// Finds the repository that contains `catalog` (a directory that need not exist in the working
/// tree any more: its nearest existing parent decides).
pub fn find_repo(catalog: &Path) -> Result<CatalogRepo, GitError> {
    let abs = if catalog.is_absolute() {
        catalog.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| err(format!("cannot read the current directory: {e}")))?
            .join(catalog)
    };
    let mut existing = abs.as_path();
    let mut missing: Vec<String> = Vec::new();
    while !existing.is_dir() {
        let (Some(name), Some(parent)) = (existing.file_name(), existing.parent()) else {
            return Err(err(format!(
                "cannot find a directory containing `{}`",
                catalog.display()
            )));
        };
        missing.push(name.to_string_lossy().into_owned());
        existing = parent;
    }
    let existing = existing
        .canonicalize()
        .map_err(|e| err(format!("cannot read `{}`: {e}", existing.display())))?;
    let out = git(&existing, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        err(format!(
            "`{}` is not inside a git repository ({})",
            catalog.display(),
            e.message
        ))
    })?;
    let toplevel = PathBuf::from(String::from_utf8_lossy(&out).trim_end_matches('\n'));
    let toplevel = toplevel.canonicalize().unwrap_or(toplevel);
    let inside = existing.strip_prefix(&toplevel).map_err(|_| {
        err(format!(
            "`{}` is not inside the repository at `{}`",
            catalog.display(),
            toplevel.display()
        ))
    })?;
    let mut parts: Vec<String> = Vec::new();
    for c in inside.components() {
        if let Component::Normal(s) = c {
            parts.push(s.to_string_lossy().into_owned());
        }
    }
    for m in missing.into_iter().rev() {
        match m.as_str() {
            "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(m),
        }
    }
    Ok(CatalogRepo {
        toplevel,
        path: parts.join("/"),
    })
}

/// A catalog loaded from a revision; the temporary directory lives as long as this does.
pub struct RevisionCatalog {
    pub catalog: Catalog,
    /// The full commit id the revision named.
    pub commit: String,
    _dir: tempfile::TempDir,
}

impl RevisionCatalog {
    /// Where the files were written (the catalog's `root`).
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }
}

/// Resolves `rev` to a commit id.
pub fn resolve_commit(repo: &CatalogRepo, rev: &str) -> Result<String, GitError> {
    if rev.starts_with('-') || rev.is_empty() || rev.contains('\0') {
        return Err(err(format!("`{rev}` is not a revision")));
    }
    let out = git(
        &repo.toplevel,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        err(format!(
            "`{rev}` is neither a directory nor a revision of the repository at `{}`",
            repo.toplevel.display()
        ))
    })?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// Loads the catalog at `rev`: resolves it, writes its files to a temporary directory, loads that.
pub fn load_revision(
    repo: &CatalogRepo,
    rev: &str,
    opts: &LoadOptions,
) -> Result<RevisionCatalog, GitError> {
    let commit = resolve_commit(repo, rev)?;
    let dir = tempfile::Builder::new()
        .prefix("cairn-rev-")
        .tempdir()
        .map_err(|e| err(format!("cannot create a temporary directory: {e}")))?;
    export(repo, &commit, rev, dir.path(), opts.max_file_size)?;
    let catalog = load(dir.path(), opts).map_err(|e| err(e.to_string()))?;
    Ok(RevisionCatalog {
        catalog,
        commit,
        _dir: dir,
    })
}

/// One entry of `git ls-tree -r -z`.
struct TreeEntry {
    mode: String,
    object: String,
    path: String,
}

/// Writes every file of `commit:<catalog path>` below `dest`.
fn export(
    repo: &CatalogRepo,
    commit: &str,
    rev: &str,
    dest: &Path,
    max_file_size: u64,
) -> Result<(), GitError> {
    let tree = format!("{commit}:{}", repo.path);
    let shown = if repo.path.is_empty() {
        "the repository root".to_string()
    } else {
        format!("`{}`", repo.path)
    };
    match git(&repo.toplevel, &["cat-file", "-t", &tree]) {
        Ok(t) if String::from_utf8_lossy(&t).trim() == "tree" => {}
        Ok(_) => return Err(err(format!("{shown} is not a directory at `{rev}`"))),
        Err(_) => return Err(err(format!("{shown} does not exist at `{rev}`"))),
    }
    let listing = git(&repo.toplevel, &["ls-tree", "-r", "-z", &tree])?;
    let mut blobs = Vec::new();
    for record in listing.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        let Some((meta, path)) = record.split_once('\t') else {
            continue;
        };
        let mut m = meta.split(' ');
        let (Some(mode), Some(kind), Some(object)) = (m.next(), m.next(), m.next()) else {
            continue;
        };
        // Submodules (`commit`) have no content here.
        if kind != "blob" || !safe_relative(path) {
            continue;
        }
        blobs.push(TreeEntry {
            mode: mode.to_string(),
            object: object.to_string(),
            path: path.to_string(),
        });
    }
    if blobs.is_empty() {
        return Ok(());
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(&repo.toplevel)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| err("cannot talk to git"))?;
    let ids: String = blobs.iter().map(|b| format!("{}\n", b.object)).collect();
    // Written from another thread: git answers while we are still asking.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(ids.as_bytes());
    });
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| err("cannot talk to git"))?;
    let mut reader = BufReader::new(stdout);
    let result = read_blobs(&mut reader, &blobs, dest, max_file_size);
    drop(reader);
    let _ = writer.join();
    let status = child.wait().map_err(|e| err(format!("git failed: {e}")))?;
    result?;
    if !status.success() {
        return Err(err(format!("`git cat-file` failed reading `{rev}`")));
    }
    Ok(())
}

fn read_blobs(
    reader: &mut impl BufRead,
    blobs: &[TreeEntry],
    dest: &Path,
    max_file_size: u64,
) -> Result<(), GitError> {
    let io = |e: std::io::Error| err(format!("cannot write the revision's files: {e}"));
    for b in blobs {
        let mut header = String::new();
        reader.read_line(&mut header).map_err(io)?;
        let mut parts = header.trim_end().split(' ');
        let (Some(_), Some("blob"), Some(size)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err(format!(
                "git could not read `{}` ({})",
                b.path,
                header.trim()
            )));
        };
        let size: u64 = size
            .parse()
            .map_err(|_| err(format!("unexpected answer from git: {}", header.trim())))?;
        let target = safe_target(dest, &b.path)?;
        let mut body = reader.by_ref().take(size);
        if b.mode == "120000" {
            let mut link = Vec::new();
            body.read_to_end(&mut link).map_err(io)?;
            make_symlink(&String::from_utf8_lossy(&link), &target);
        } else if size > max_file_size {
            // Over the loader's limit: an empty file of the same size (sparse), so the loader
            // refuses it with the same diagnostic as in a working tree, without the bytes.
            std::io::copy(&mut body, &mut std::io::sink()).map_err(io)?;
            create_new(&target)
                .and_then(|f| f.set_len(size))
                .map_err(io)?;
        } else {
            let mut f = create_new(&target).map_err(io)?;
            std::io::copy(&mut body, &mut f).map_err(io)?;
        }
        let mut newline = [0u8; 1];
        reader.read_exact(&mut newline).map_err(io)?;
    }
    Ok(())
}

/// Where the file `rel` of a revision goes below `dest`, its directories made: refused when a
/// directory on the way is not a plain directory made by this export (a symlink the tree also
/// holds — a tree with a symlink `evil` and a directory `evil/`, which `git fsck` calls
/// `duplicateEntries` and some hosts accept, made `evil/x.yaml` land wherever `evil` pointed).
/// Nothing is ever written through a symlink: files are created new (`O_EXCL`), so an existing
/// entry of the same name is an error too.
fn safe_target(dest: &Path, rel: &str) -> Result<std::path::PathBuf, GitError> {
    let mut at = dest.to_path_buf();
    let parts: Vec<Component> = Path::new(rel).components().collect();
    for c in &parts[..parts.len().saturating_sub(1)] {
        at.push(c);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(_) => {
                return Err(err(format!(
                    "the revision's tree puts `{rel}` below `{}`, which it also lists as a file or symlink (a tree `git fsck` reports as duplicateEntries); refused",
                    at.strip_prefix(dest).unwrap_or(&at).display()
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir(&at)
                .map_err(|e| err(format!("cannot write the revision's files: {e}")))?,
            Err(e) => return Err(err(format!("cannot write the revision's files: {e}"))),
        }
    }
    Ok(dest.join(rel))
}

/// A file created new: never an existing file, never through a symlink.
fn create_new(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(unix)]
fn make_symlink(target: &str, link: &Path) {
    // The loader decides whether the link may be followed (only inside the catalog).
    let _ = std::os::unix::fs::symlink(target, link);
}

#[cfg(not(unix))]
fn make_symlink(_target: &str, _link: &Path) {}

/// A path git listed, accepted only when it stays below the destination.
fn safe_relative(path: &str) -> bool {
    !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

fn spawn_error(e: std::io::Error) -> GitError {
    err(format!(
        "cannot run `git` (needed to read revisions): {e}; install git or compare two directories"
    ))
}

/// Runs `git -C dir ARGS`; stdout on success, git's message on failure.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(spawn_error)?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let msg = String::from_utf8_lossy(&out.stderr);
        let msg = msg
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("git failed")
            .trim_start_matches("fatal: ")
            .to_string();
        Err(err(msg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_below_the_destination() {
        assert!(safe_relative("systems/pkgdb.yaml"));
        assert!(!safe_relative("../x.yaml"));
        assert!(!safe_relative("/etc/passwd"));
        assert!(!safe_relative("a/../../b"));
        assert!(!safe_relative(""));
    }

    #[test]
    fn option_like_revisions_are_refused() {
        let repo = CatalogRepo {
            toplevel: PathBuf::from("."),
            path: String::new(),
        };
        assert!(resolve_commit(&repo, "--output=/tmp/x")
            .unwrap_err()
            .message
            .contains("not a revision"));
    }
}
