//! Shared helpers: load fixture catalogs, run the CLI in-process, render diagnostics.

use std::path::{Path, PathBuf};

use cairn::cli::{Args, Out};
use cairn::{Catalog, LoadOptions};
use clap::Parser;

pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

pub fn example_catalog() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog")
}

pub fn load(dir: &Path) -> Catalog {
    cairn::load(dir, &LoadOptions::default()).expect("catalog directory loads")
}

/// Runs `cairn ARGS...` in-process; returns (exit code, stdout, stderr).
pub fn cli(args: &[&str]) -> (i32, String, String) {
    let mut argv = vec!["cairn"];
    argv.extend_from_slice(args);
    let args = Args::try_parse_from(argv).expect("arguments parse");
    let mut out = Out::captured();
    let code = match cairn::cli::run(&args, &mut out) {
        Ok(c) => c,
        Err(e) => {
            out.error(&format!("{e:#}"));
            2
        }
    };
    (code, out.stdout_text(), out.stderr_text())
}

/// Sorted names of the subdirectories of `dir`.
pub fn cases(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
