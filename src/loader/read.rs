//! The one way Cairn reads a file the catalog names: only a regular file, never more than the
//! size limit, without ever blocking on what is not a file, and — for paths relative to the
//! catalog — never outside the catalog root (docs/security.md, "Reading files").
//!
//! A committed symlink or special file must not make a command print a secret, exhaust memory
//! or hang: `/proc/self/environ`, `/dev/zero`, a FIFO and a 3 GB sparse file are all refused
//! before their content is read.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// The path (after following symlinks) is outside the catalog root.
    Outside(PathBuf),
    /// Not a regular file: a FIFO, a device, a socket, a directory.
    NotAFile(&'static str),
    /// Larger than the limit (`None` when it grew past it while being read).
    TooLarge {
        size: Option<u64>,
        limit: u64,
    },
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Outside(p) => write!(
                f,
                "leaves the catalog directory (it resolves to `{}`); not read",
                p.display()
            ),
            ReadError::NotAFile(what) => write!(f, "is a {what}, not a regular file; not read"),
            ReadError::TooLarge {
                size: Some(s),
                limit,
            } => write!(
                f,
                "file is {s} bytes, over the {limit} byte limit; not loaded"
            ),
            ReadError::TooLarge { size: None, limit } => {
                write!(f, "file is over the {limit} byte limit; not loaded")
            }
            ReadError::Io(e) => write!(f, "cannot read: {e}"),
        }
    }
}

/// Reads `path` if it is a regular file of at most `limit` bytes. The file is opened without
/// blocking (a FIFO with no writer would otherwise wait forever) and checked with `fstat` on
/// the open descriptor, so what is read is what was checked.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_nonblocking(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    let kind = meta.file_type();
    if !kind.is_file() {
        return Err(ReadError::NotAFile(kind_name(&kind)));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: Some(meta.len()),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

/// Reads `rel` (relative to the catalog) like [`read_regular`], refusing a path that leaves
/// `canonical_root` once symlinks are followed.
pub fn read_in_catalog(canonical_root: &Path, rel: &str, limit: u64) -> Result<Vec<u8>, ReadError> {
    let real = canonical_root
        .join(rel)
        .canonicalize()
        .map_err(ReadError::Io)?;
    if !real.starts_with(canonical_root) {
        return Err(ReadError::Outside(real));
    }
    read_regular(&real, limit)
}

#[cfg(target_os = "linux")]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32)
        .open(path)
}

#[cfg(not(target_os = "linux"))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    // Elsewhere a special file is refused before opening (a race a committer cannot win from
    // a git checkout, where only regular files and symlinks exist).
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other(format!(
            "is a {}, not a regular file",
            kind_name(&meta.file_type())
        )));
    }
    std::fs::File::open(path)
}

fn kind_name(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "device";
        }
        if t.is_socket() {
            return "socket";
        }
    }
    if t.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_under_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("a.yaml"), "kind: team\n").unwrap();
        assert_eq!(
            read_in_catalog(&root, "a.yaml", 100).unwrap(),
            b"kind: team\n"
        );
        assert!(matches!(
            read_in_catalog(&root, "a.yaml", 4),
            Err(ReadError::TooLarge { size: Some(11), .. })
        ));
        // A device, without reading it (would be endless).
        assert!(matches!(
            read_regular(Path::new("/dev/zero"), 100),
            Err(ReadError::NotAFile("device"))
        ));
        // A symlink out of the catalog.
        std::os::unix::fs::symlink("/etc/hostname", root.join("out.yaml")).unwrap();
        assert!(matches!(
            read_in_catalog(&root, "out.yaml", 100),
            Err(ReadError::Outside(_))
        ));
        assert!(matches!(
            read_in_catalog(&root, "../x", 100),
            Err(ReadError::Outside(_) | ReadError::Io(_))
        ));
        // A FIFO with no writer: refused at once, not waited on.
        let fifo = root.join("f.yaml");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        assert!(matches!(
            read_in_catalog(&root, "f.yaml", 100),
            Err(ReadError::NotAFile("FIFO"))
        ));
    }
}
