//! What a load is given and what stops it: [`LoadOptions`], the [`Progress`] callback and
//! [`LoadError`] (the catalog directory itself cannot be read).

use std::path::PathBuf;

/// Settings for one load.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Files larger than this are refused with a diagnostic (default 10 MiB).
    pub max_file_size: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_file_size: 10 * 1024 * 1024,
        }
    }
}

/// Progress reports while loading: `(files done, files total)`.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// An I/O failure that prevents loading at all (the catalog directory itself is unreadable).
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot read catalog `{}`: {}",
            self.path.display(),
            self.message
        )
    }
}

impl std::error::Error for LoadError {}
