//! Writing a source's files into its folder of the served tree, touching only what changed: a
//! refresh that changes nothing writes nothing (so live reload sees nothing), and one that
//! changes a file rewrites that file alone. Files are written beside their place and renamed
//! over it, so the loader never reads half a file; nothing is written through a symlink.

use std::path::{Component, Path, PathBuf};

use super::fetch::FileSet;

/// Makes `dest` hold exactly `files` plus the files of `unchanged` it already has (paths
/// relative to it, not read again: see `fetch::read_dir`); returns how many paths were written
/// or removed.
pub fn sync(
    dest: &Path,
    files: &FileSet,
    unchanged: &std::collections::BTreeSet<String>,
) -> std::io::Result<usize> {
    make_dir(dest)?;
    let mut changed = 0;
    for (rel, bytes) in files {
        let target = target(dest, rel)?;
        match std::fs::symlink_metadata(&target) {
            Ok(m) if m.is_file() => {
                if m.len() == bytes.len() as u64 && std::fs::read(&target)? == *bytes {
                    continue;
                }
            }
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&target)?,
            Ok(_) => std::fs::remove_file(&target)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = target.with_file_name(format!(".cairn-tmp-{name}"));
        let _ = std::fs::remove_file(&tmp);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| std::io::Write::write_all(&mut f, bytes))?;
        std::fs::rename(&tmp, &target)?;
        changed += 1;
    }
    // What the source no longer has: files first, then the folders left empty.
    let mut stale_dirs = Vec::new();
    for entry in walkdir::WalkDir::new(dest)
        .follow_links(false)
        .min_depth(1)
        .contents_first(true)
    {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = entry
            .path()
            .strip_prefix(dest)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if entry.file_type().is_dir() {
            stale_dirs.push(entry.path().to_path_buf());
        } else if !files.contains_key(&rel) && !unchanged.contains(&rel) {
            std::fs::remove_file(entry.path())?;
            changed += 1;
        }
    }
    for d in stale_dirs {
        // Only empty ones go; `remove_dir` refuses the others.
        let _ = std::fs::remove_dir(d);
    }
    Ok(changed)
}

/// Where `rel` goes below `dest`, its folders made as plain folders (a symlink or file in the
/// way is replaced by a folder: the tree is Cairn's own).
fn target(dest: &Path, rel: &str) -> std::io::Result<PathBuf> {
    let parts: Vec<Component> = Path::new(rel).components().collect();
    if parts.is_empty() || !parts.iter().all(|c| matches!(c, Component::Normal(_))) {
        return Err(std::io::Error::other(format!(
            "`{rel}` is not a relative path"
        )));
    }
    let mut at = dest.to_path_buf();
    for c in &parts[..parts.len() - 1] {
        at.push(c);
        make_dir(&at)?;
    }
    Ok(dest.join(rel))
}

/// `dir` as a plain folder: made when missing, replacing a file or symlink of that name.
pub fn make_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => {
            std::fs::remove_file(dir)?;
            std::fs::create_dir(dir)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(dir),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_writes_only_what_changed_and_removes_what_went() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("src");
        let mut files = FileSet::new();
        files.insert("a/catalog-info.yaml".into(), b"one".to_vec());
        files.insert("README.md".into(), b"# hi".to_vec());
        assert_eq!(sync(&dest, &files, &Default::default()).unwrap(), 2);
        assert_eq!(
            sync(&dest, &files, &Default::default()).unwrap(),
            0,
            "nothing changed, nothing written"
        );
        files.insert("a/catalog-info.yaml".into(), b"two".to_vec());
        files.remove("README.md");
        assert_eq!(sync(&dest, &files, &Default::default()).unwrap(), 2);
        assert_eq!(
            std::fs::read_to_string(dest.join("a/catalog-info.yaml")).unwrap(),
            "two"
        );
        assert!(!dest.join("README.md").exists());
        files.clear();
        sync(&dest, &files, &Default::default()).unwrap();
        assert!(!dest.join("a").exists(), "empty folders go too");
    }

    #[cfg(unix)]
    #[test]
    fn nothing_is_written_through_a_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let dest = tmp.path().join("src");
        std::fs::create_dir(&dest).unwrap();
        std::os::unix::fs::symlink(&outside, dest.join("evil")).unwrap();
        let mut files = FileSet::new();
        files.insert("evil/x.yaml".into(), b"x".to_vec());
        sync(&dest, &files, &Default::default()).unwrap();
        assert!(!outside.join("x.yaml").exists());
        assert!(dest.join("evil/x.yaml").is_file());
    }
}
