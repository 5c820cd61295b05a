//! Catalog directory → [`Catalog`] snapshot plus every diagnostic found while reading it.
//!
//! Walks the directory (skipping hidden folders and build output), reads and parses the YAML
//! files in parallel, converts each document into a model entity, then hands the result to
//! [`crate::validate`] for the cross-reference checks. The loader is the only module that reads
//! catalog files or knows about YAML; it never prints (progress goes through a callback).
//!
//! Inside, the arrows run one way: `walk` finds the catalog files; `file` reads one and parses
//! it (`yaml`); `document` decides what each document is and hands it to `convert` (the native
//! kinds), `backstage` or `settings`, which all read through `node`. `assemble` builds the
//! catalog from the per-file entities (`backstage_resolve` maps the Backstage ones), `settle`
//! picks the version of each file to serve, and `incremental` keeps the [`LoadCache`] that
//! lets a reload re-read only what changed. `options` holds what a load is given.

mod assemble;
mod backstage;
mod backstage_resolve;
mod convert;
mod document;
mod feeds;
mod file;
pub mod git;
mod incremental;
mod node;
pub mod openapi;
mod options;
pub mod read;
mod settings;
mod settle;
mod walk;
mod yaml;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use rayon::prelude::*;

use crate::diag::{self, Diagnostic};
use crate::model::*;
use assemble::assemble;
use document::Entity;
use file::{load_file, read_documents, read_spec, FileRead};
pub use walk::walk_skips;
use walk::{walk, FoundFile};

pub use convert::{
    API_FIELDS, CONSUMES_FIELDS, CONTACT_FIELDS, DOMAIN_FIELDS, ENDPOINT_FIELDS, ILITY_FIELDS,
    LINK_FIELDS, LISTED_CONSUMER_FIELDS, MEMBER_FIELDS, ONBOARDING_FIELDS, ONBOARDING_STEP_FIELDS,
    ONCALL_FIELDS, ROTATION_FIELDS, SYSTEM_FIELDS, TEAM_FIELDS,
};
pub use feeds::ICAL_FIELDS;
pub use incremental::{load_incremental, load_touched, Changes, LoadCache, Touched};
pub use node::is_todo;
pub use options::{LoadError, LoadOptions, Progress};
pub use settings::{
    default_id, default_title, DEFAULT_INCLUDE, DEFAULT_SETTINGS_YAML, LEVEL_FIELDS, RULE_CHECKS,
    RULE_META_FIELDS, SCORECARD_FIELDS, SELECTOR_FIELDS, SETTINGS_FIELDS, SOURCE_FIELDS,
};

/// Loads, converts and validates a catalog directory.
pub fn load(root: &Path, opts: &LoadOptions) -> Result<Catalog, LoadError> {
    load_with_progress(root, opts, &|_, _| {})
}

pub fn load_with_progress(
    root: &Path,
    opts: &LoadOptions,
    progress: Progress,
) -> Result<Catalog, LoadError> {
    let meta = std::fs::metadata(root).map_err(|e| LoadError {
        path: root.to_path_buf(),
        message: e.to_string(),
    })?;
    if !meta.is_dir() {
        return Err(LoadError {
            path: root.to_path_buf(),
            message: "not a directory".into(),
        });
    }
    let canonical_root = root.canonicalize().map_err(|e| LoadError {
        path: root.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut diags = Vec::new();
    let found = walk(root, &canonical_root, &mut diags);
    let files: Vec<SourceFile> = found.iter().map(FoundFile::source).collect();

    let spec_cache: Mutex<HashMap<String, Result<Vec<Endpoint>, String>>> = Mutex::default();
    let spec_reader = |rel: &str| -> Result<Vec<Endpoint>, String> {
        if let Some(r) = spec_cache
            .lock()
            .map_err(|_| "poisoned".to_string())?
            .get(rel)
        {
            return r.clone();
        }
        let r = read_spec(&root.join(rel), opts);
        if let Ok(mut c) = spec_cache.lock() {
            c.insert(rel.to_string(), r.clone());
        }
        r
    };

    let total = found.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let per_file: Vec<FileRead> = found
        .par_iter()
        .enumerate()
        .map(|(id, f)| {
            let read = load_file(root, id as FileId, f, opts, &spec_reader);
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if n % 256 == 0 || n == total {
                progress(n, total);
            }
            read
        })
        .collect();
    // A cold load: every file is fresh and none has a last good version.
    let versions: Vec<settle::Version<'_>> = found
        .iter()
        .zip(&per_file)
        .map(|(f, r)| settle::Version {
            rel: &f.rel,
            now: &r.entities,
            own: &r.diags,
            good: None,
            fresh: true,
            recovered: &r.recovered,
            held_since: None,
        })
        .collect();
    let settled = settle::settle(&versions, diags, |serve| {
        let per_file = (0..found.len()).map(|i| (serve(i).to_vec(), Vec::new()));
        let mut catalog = assemble(root, files.clone(), None, per_file, Vec::new(), None);
        let found = crate::validate::validate(&catalog);
        catalog.diagnostics.extend(found);
        let n = catalog.systems.len();
        (catalog, n)
    });
    let mut catalog = settled.catalog;
    (catalog.documents, catalog.documents_as_text) = read_documents(root, &catalog, opts);
    let as_text = file::as_text_diagnostics(&catalog);
    catalog.diagnostics.extend(as_text);
    diag::sort(&mut catalog.diagnostics);
    Ok(catalog)
}

/// An observed source the settings name (`rel`, relative to the catalog `root`) that, once
/// symlinks are followed, lies outside the catalog: not to be read.
pub fn observed_leaves_root(root: &Path, rel: &str) -> bool {
    settings::leaves_root(root, rel)
}

/// The built-in settings (the default scorecard), parsed once from [`DEFAULT_SETTINGS_YAML`].
pub fn default_settings() -> &'static Settings {
    static DEFAULT: std::sync::OnceLock<Settings> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(|| parse_settings(DEFAULT_SETTINGS_YAML).0.unwrap_or_default())
}

/// Parses settings text on its own (not part of a catalog directory): the settings, if the
/// text holds a settings document, and every diagnostic (reported against `cairn.yaml`).
pub fn parse_settings(text: &str) -> (Option<Settings>, Vec<Diagnostic>) {
    parse_settings_in(text, Path::new(""), "cairn.yaml")
}

/// Parses the settings file `file_path` (its text) at the top of the catalog directory
/// `root`, so the paths it names are checked against that directory: how `cairn` reads the
/// `sources:` before loading (docs/sources.md).
pub fn parse_settings_in(
    text: &str,
    root: &Path,
    file_path: &str,
) -> (Option<Settings>, Vec<Diagnostic>) {
    let docs = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            return (
                None,
                vec![Diagnostic::error(
                    "yaml-syntax",
                    file_path,
                    e.pos.line,
                    e.pos.col,
                    e.message,
                )],
            )
        }
    };
    let no_specs = |_: &str| -> Result<Vec<Endpoint>, String> { Err("no specs here".into()) };
    let mut ctx = node::Ctx {
        file: 0,
        file_path,
        dir: "",
        root,
        diags: Vec::new(),
        spec_reader: &no_specs,
        substituted: Vec::new(),
        max_file_size: LoadOptions::default().max_file_size,
    };
    let mut found = None;
    for doc in &docs {
        let node = node::Node::new(&doc.value, doc.spans.as_ref(), doc.start);
        if let Some(Entity::Settings(s)) = document::document(&mut ctx, node) {
            found.get_or_insert(*s);
        }
    }
    (found, ctx.diags)
}

/// Parses and converts one file's text as if it were a catalog file at the root of a catalog
/// that has no other files (paths to docs and specs resolve to nothing). For fuzzing and tests
/// of the parser; returns the diagnostics and how many entities survived.
pub fn check_text(text: &str) -> (Vec<Diagnostic>, usize) {
    let root = Path::new("/nonexistent/cairn-check-text-root");
    let no_specs = |_: &str| -> Result<Vec<Endpoint>, String> { Err("no spec files here".into()) };
    let docs = match yaml::parse_documents(text) {
        Ok(d) => d,
        Err(e) => {
            return (
                vec![Diagnostic::error(
                    "yaml-syntax",
                    "input.yaml",
                    e.pos.line,
                    e.pos.col,
                    e.message,
                )],
                0,
            )
        }
    };
    let mut ctx = node::Ctx {
        file: 0,
        file_path: "input.yaml",
        dir: "",
        root,
        diags: Vec::new(),
        spec_reader: &no_specs,
        substituted: Vec::new(),
        max_file_size: LoadOptions::default().max_file_size,
    };
    let mut n = 0;
    for doc in &docs {
        let node = node::Node::new(&doc.value, doc.spans.as_ref(), doc.start);
        n += document::document(&mut ctx, node).is_some() as usize;
    }
    (ctx.diags, n)
}
