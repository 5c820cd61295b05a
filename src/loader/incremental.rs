//! The incremental reload behind `cairn serve`: the [`LoadCache`] a load leaves for the next,
//! [`load_incremental`] / [`load_touched`] that re-read only what changed (told by a file
//! watcher's [`Touched`] paths, or by stamps), and the [`Changes`] they report.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::assemble::assemble;
use super::document::Entity;
use super::file::{load_file, read_spec, read_text, FileRead};
use super::options::{LoadError, LoadOptions, Progress};
use super::settle;
use super::walk::{is_yaml, rel_string, restat, walk, walk_skips, FoundFile, Stamp};
use crate::diag::{self, Diagnostic};
use crate::model::*;

/// What a load read, kept for the next one (`cairn serve`'s incremental reload): each catalog
/// file's entities and diagnostics with the size and modification time they were read at (and
/// those of the OpenAPI specs it read), and each doc's text. A file keeps its id for as long as
/// it exists, so cached entities stay valid when other files come and go.
#[derive(Default)]
pub struct LoadCache {
    files: rustc_hash::FxHashMap<String, CachedFile>,
    /// File id → file (append-only; removed files keep their slot).
    table: Vec<SourceFile>,
    docs: HashMap<String, CachedDoc>,
    /// The previous load's directory walk, reused when a watcher says which paths changed
    /// ([`Touched`]).
    walk: Option<Walked>,
    /// The previous load's validation, so that this one checks again only what changed.
    validation: Option<crate::validate::Kept>,
    /// The previous catalog's name indexes, shared when no name changed.
    names: Option<crate::model::NameIndexes>,
}

/// A directory walk's result: the catalog files found and what the walk reported.
struct Walked {
    found: Vec<FoundFile>,
    diags: Vec<Diagnostic>,
    /// Relative path → position in `found`.
    index: HashMap<String, usize>,
}

impl Walked {
    fn new(found: Vec<FoundFile>, diags: Vec<Diagnostic>) -> Walked {
        let index = found
            .iter()
            .enumerate()
            .map(|(i, f)| (f.rel.clone(), i))
            .collect();
        Walked {
            found,
            diags,
            index,
        }
    }

    /// The walk after the changes in `touched`, without walking: the touched catalog files
    /// stat-ed again (and every symlinked one, whose target may have changed anywhere in the
    /// catalog). `None` when only a walk can tell: a catalog file appeared or disappeared, a
    /// directory changed, a file became a symlink or stopped being one.
    fn update(&mut self, root: &Path, canonical_root: &Path, touched: &Touched) -> Option<()> {
        let mut again: Vec<usize> = Vec::new();
        for path in &touched.paths {
            // A path the watcher names outside the catalog as we know it (spelled through
            // another route to the directory): only a walk can tell what it was.
            let rel = path
                .strip_prefix(root)
                .or_else(|_| path.strip_prefix(canonical_root))
                .ok()?;
            if walk_skips(rel) {
                continue;
            }
            let rel_s = rel_string(rel);
            if let Some(&i) = self.index.get(&rel_s) {
                again.push(i);
                continue;
            }
            // Not a catalog file before. A YAML file or a directory that exists now means
            // the set of files changed; anything else (a doc, an editor's swap file that is
            // gone again) is not the walk's business.
            let name = rel
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            match std::fs::symlink_metadata(path) {
                Ok(m) if m.is_dir() || is_yaml(&name) => return None,
                _ => {}
            }
        }
        for (i, f) in self.found.iter().enumerate() {
            if f.symlink {
                again.push(i);
            }
        }
        again.sort_unstable();
        again.dedup();
        for i in again {
            let f = &mut self.found[i];
            f.stamp = restat(&f.full, f.symlink, canonical_root)?;
        }
        Some(())
    }
}

/// What a file watcher saw since the previous load: the paths its events named.
#[derive(Clone, Debug, Default)]
pub struct Touched {
    pub paths: std::collections::HashSet<PathBuf>,
    /// The watcher lost events (its queue overflowed) or saw one without a path: walk.
    pub rescan: bool,
}

struct CachedFile {
    id: FileId,
    stamp: Stamp,
    /// OpenAPI specs converting this file read, with their stamps then.
    specs: Vec<(String, Option<Stamp>)>,
    /// The newest version read.
    entities: Vec<Entity>,
    diags: Vec<Diagnostic>,
    recovered: Vec<String>,
    /// `entities` was not yet served without errors (per-file last good: `settle`).
    fresh: bool,
    /// While `fresh`: the last version served without errors, if there was one.
    good: Option<Vec<Entity>>,
    /// While held back: since when.
    held_since: Option<std::time::SystemTime>,
}

impl CachedFile {
    fn has_backstage(&self) -> bool {
        self.entities
            .iter()
            .any(|e| matches!(e, Entity::Backstage(_)))
    }
}

struct CachedDoc {
    stamp: Stamp,
    /// Shared with the catalogs built from the cache.
    text: Arc<str>,
    /// Read through no symlink, inside the catalog: a change to it is an event on its own
    /// path, so a load told the changed paths ([`Touched`]) need not stat it again. Found out
    /// (a `canonicalize`, a syscall per path component) the first time a load finds the doc
    /// unchanged, not when it is read: a cold start reads every doc and needs none of this.
    plain: Option<bool>,
    /// Why the doc is shown as plain text, when it is ([`crate::docs::shown_as_text`]): found
    /// once, when it is read.
    as_text: Option<String>,
}

/// What changed since the previous load with the same [`LoadCache`].
#[derive(Debug, Default)]
pub struct Changes {
    /// Catalog files read again, added or removed (paths relative to the root). When any of
    /// them holds Backstage entities (before or after), every file holding Backstage entities
    /// is listed too: they are mapped together.
    pub files: std::collections::BTreeSet<String>,
    /// Docs and runbooks whose text changed, appeared or disappeared.
    pub docs: std::collections::BTreeSet<String>,
    /// Files parsed by this load.
    pub parsed: usize,
    /// `true` when the cache was empty (everything was read).
    pub full: bool,
    /// The catalog directory was walked (not when [`Touched`] paths were enough).
    pub walked: bool,
    /// Systems whose cross-references were checked again (the others' diagnostics were
    /// reused: [`crate::validate::validate_kept`]).
    pub validated: usize,
}

/// Loads like [`load_with_progress`] but re-reads only the catalog files, specs and docs
/// whose size or modification time changed since the previous call with `cache`; the
/// catalog is then assembled whole and validated, checking again only the systems the
/// changes can affect ([`crate::validate::validate_kept`]): the result is what a full load
/// gives.
///
/// [`load_with_progress`]: super::load_with_progress
pub fn load_incremental(
    root: &Path,
    opts: &LoadOptions,
    cache: &mut LoadCache,
    progress: Progress,
) -> Result<(Catalog, Changes), LoadError> {
    load_touched(root, opts, cache, progress, None)
}

/// [`load_incremental`] told by a file watcher which paths changed since the previous load
/// with `cache`: the previous walk is reused with only those files stat-ed again, unless
/// they show that files appeared or disappeared (then, and without `touched`, the catalog
/// directory is walked). Docs and OpenAPI specs are checked as always.
pub fn load_touched(
    root: &Path,
    opts: &LoadOptions,
    cache: &mut LoadCache,
    progress: Progress,
    touched: Option<&Touched>,
) -> Result<(Catalog, Changes), LoadError> {
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
    let mut changes = Changes {
        full: cache.files.is_empty(),
        ..Changes::default()
    };
    let mut walked = cache.walk.take();
    let reused = match (&mut walked, touched) {
        (Some(w), Some(t)) if !t.rescan => w.update(root, &canonical_root, t).is_some(),
        _ => false,
    };
    let walked = match walked {
        Some(w) if reused => w,
        _ => {
            let mut diags = Vec::new();
            let found = walk(root, &canonical_root, &mut diags);
            Walked::new(found, diags)
        }
    };
    changes.walked = !reused;
    // A directory that could not be read hides what was in it: its files are neither gone nor
    // readable. The whole load fails (the last good catalog stays served, whole, and says
    // why) rather than serving the catalog without them.
    if let Some(d) = walked.diags.iter().find(|d| {
        d.code == "unreadable"
            && root.join(&d.file).is_dir()
            && cache
                .files
                .keys()
                .any(|k| d.file.is_empty() || k.starts_with(&format!("{}/", d.file)))
    }) {
        return Err(LoadError {
            path: root.join(&d.file),
            message: d.message.clone(),
        });
    }
    let found = &walked.found;
    let diags = walked.diags.clone();

    // Which files to parse, and their ids.
    let mut ids = Vec::with_capacity(found.len());
    let mut stale = Vec::new();
    for (i, f) in found.iter().enumerate() {
        let stamp = f.stamp;
        let id = match cache.files.get(&f.rel) {
            Some(c) => {
                let specs_same = c
                    .specs
                    .iter()
                    .all(|(p, st)| Stamp::of(&root.join(p)) == *st);
                if c.stamp != stamp || !specs_same {
                    stale.push(i);
                    cache.table[c.id as usize] = f.source();
                }
                c.id
            }
            None => {
                stale.push(i);
                cache.table.push(f.source());
                (cache.table.len() - 1) as FileId
            }
        };
        ids.push(id);
    }
    // Without a walk the files are those of the previous load: none went away.
    let removed: Vec<String> = if reused {
        Vec::new()
    } else {
        let present: rustc_hash::FxHashSet<&str> = found.iter().map(|f| f.rel.as_str()).collect();
        cache
            .files
            .keys()
            .filter(|k| !present.contains(k.as_str()))
            .cloned()
            .collect()
    };

    let total = stale.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let parsed: Vec<(usize, CachedFile)> = stale
        .par_iter()
        .map(|&i| {
            let f = &found[i];
            let read: Mutex<Vec<String>> = Mutex::default();
            let spec_reader = |rel: &str| -> Result<Vec<Endpoint>, String> {
                if let Ok(mut r) = read.lock() {
                    r.push(rel.to_string());
                }
                read_spec(&root.join(rel), opts)
            };
            let FileRead {
                entities,
                diags: d,
                substituted,
                recovered,
            } = load_file(root, ids[i], f, opts, &spec_reader);
            let mut specs = read.into_inner().unwrap_or_default();
            // Backstage substitutions count as specs: their file changing re-parses this one.
            specs.extend(substituted);
            specs.sort_unstable();
            specs.dedup();
            let specs = specs
                .into_iter()
                .map(|p| {
                    let st = Stamp::of(&root.join(&p));
                    (p, st)
                })
                .collect();
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if n % 256 == 0 || n == total {
                progress(n, total);
            }
            let cached = CachedFile {
                id: ids[i],
                stamp: f.stamp,
                specs,
                entities,
                diags: d,
                recovered,
                fresh: true,
                good: None,
                held_since: None,
            };
            (i, cached)
        })
        .collect();
    changes.parsed = parsed.len();

    let mut backstage_touched = false;
    for r in &removed {
        if let Some(old) = cache.files.remove(r) {
            backstage_touched |= old.has_backstage();
        }
        changes.files.insert(r.clone());
    }
    for (i, mut new) in parsed {
        let rel = &found[i].rel;
        backstage_touched |= new.has_backstage();
        if let Some(old) = cache.files.remove(rel) {
            backstage_touched |= old.has_backstage();
            // The version to fall back on: the one before, if it was served without errors,
            // else whatever that one fell back on.
            new.good = if old.fresh {
                old.good
            } else {
                Some(old.entities)
            };
            new.held_since = old.held_since;
        }
        cache.files.insert(rel.clone(), new);
        changes.files.insert(rel.clone());
    }
    if backstage_touched {
        for (path, c) in &cache.files {
            if c.has_backstage() {
                changes.files.insert(path.clone());
            }
        }
    }

    let files: Vec<SourceFile> = found.iter().map(FoundFile::source).collect();
    let table = std::sync::Arc::new(cache.table.clone());
    let settled = {
        let cached: Vec<&CachedFile> = found.iter().map(|f| &cache.files[&f.rel]).collect();
        let versions: Vec<settle::Version<'_>> = found
            .iter()
            .zip(&cached)
            .map(|(f, c)| settle::Version {
                rel: &f.rel,
                now: &c.entities,
                own: &c.diags,
                good: c.good.as_deref(),
                fresh: c.fresh,
                recovered: &c.recovered,
                held_since: c.held_since,
            })
            .collect();
        let (names, validation) = (&mut cache.names, &mut cache.validation);
        settle::settle(&versions, diags, |serve| {
            let per_file = (0..found.len()).map(|i| (serve(i).to_vec(), Vec::new()));
            let mut catalog = assemble(
                root,
                files.clone(),
                Some(table.clone()),
                per_file,
                Vec::new(),
                names.as_ref(),
            );
            *names = Some(catalog.name_indexes());
            let (found, checked) = crate::validate::validate_kept(&catalog, validation);
            catalog.diagnostics.extend(found);
            (catalog, checked)
        })
    };
    // Files served as they are now are accepted; held ones remember since when.
    let now = std::time::SystemTime::now();
    let mut held = settled.held.iter().copied().peekable();
    for (i, f) in found.iter().enumerate() {
        let Some(c) = cache.files.get_mut(&f.rel) else {
            continue;
        };
        if held.peek() == Some(&i) {
            held.next();
            c.held_since.get_or_insert(now);
        } else if c.fresh {
            c.fresh = false;
            c.good = None;
            c.held_since = None;
        }
    }
    let mut catalog = settled.catalog;
    cache.walk = Some(walked);
    // Told the changed paths (and no walk needed): docs under none of them are as they were.
    let doc_hint: Option<rustc_hash::FxHashSet<String>> = touched.filter(|_| reused).map(|t| {
        t.paths
            .iter()
            .filter_map(|p| {
                p.strip_prefix(root)
                    .or_else(|_| p.strip_prefix(&canonical_root))
                    .ok()
                    .map(rel_string)
            })
            .collect()
    });
    let docs_in = DocsIn {
        root,
        canonical_root: &canonical_root,
        touched: doc_hint.as_ref(),
    };
    (catalog.documents, catalog.documents_as_text) =
        read_documents_cached(&docs_in, &catalog, opts, cache, &mut changes);
    let as_text = super::file::as_text_diagnostics(&catalog);
    catalog.diagnostics.extend(as_text);
    diag::sort(&mut catalog.diagnostics);
    changes.validated = settled.checked;
    Ok((catalog, changes))
}

/// Where [`read_documents_cached`] reads: the catalog directory, and the paths (relative to
/// it) a watcher said changed, when it said.
struct DocsIn<'a> {
    root: &'a Path,
    canonical_root: &'a Path,
    touched: Option<&'a rustc_hash::FxHashSet<String>>,
}

impl DocsIn<'_> {
    /// Whether the watcher's paths leave `rel` unchanged: neither it nor a directory above it
    /// was named.
    fn untouched(&self, rel: &str) -> bool {
        let Some(t) = self.touched else {
            return false;
        };
        let mut at = rel;
        loop {
            if t.contains(at) {
                return false;
            }
            match at.rfind('/') {
                Some(i) => at = &at[..i],
                None => return true,
            }
        }
    }
}

/// [`read_documents`] through the cache: a doc whose stamp is unchanged is not read again,
/// and one the watcher's paths do not name is not even stat-ed.
///
/// [`read_documents`]: super::file::read_documents
fn read_documents_cached(
    at: &DocsIn<'_>,
    c: &Catalog,
    opts: &LoadOptions,
    cache: &mut LoadCache,
    changes: &mut Changes,
) -> (
    std::collections::BTreeMap<String, Arc<str>>,
    std::collections::BTreeMap<String, String>,
) {
    let root = at.root;
    let mut paths: Vec<&str> = c.systems.iter().flat_map(|s| c.doc_paths(s)).collect();
    paths.sort_unstable();
    paths.dedup();
    let docs = &cache.docs;
    // (path, stamp, text if readable, newly read, read through no symlink when known)
    type Read<'p> = (&'p str, Option<Stamp>, Option<Arc<str>>, bool, Option<bool>);
    let read: Vec<Read> = paths
        .par_iter()
        .map(|&p| {
            if let Some(d) = docs
                .get(p)
                .filter(|d| d.plain == Some(true) && at.untouched(p))
            {
                return (p, Some(d.stamp), Some(d.text.clone()), false, d.plain);
            }
            let full = root.join(p);
            let Some(stamp) = Stamp::of(&full) else {
                return (p, None, None, false, None);
            };
            if let Some(d) = docs.get(p).filter(|d| d.stamp == stamp) {
                let plain = d.plain.or_else(|| {
                    Some(
                        full.canonicalize()
                            .is_ok_and(|real| real == at.canonical_root.join(p)),
                    )
                });
                return (p, Some(stamp), Some(d.text.clone()), false, plain);
            }
            let text = read_text(&full, stamp.size, opts).ok().map(Arc::from);
            (p, Some(stamp), text, true, None)
        })
        .collect();
    let mut out = std::collections::BTreeMap::new();
    let mut as_text = std::collections::BTreeMap::new();
    let mut keep = rustc_hash::FxHashSet::default();
    for (p, stamp, text, fresh, plain) in read {
        if let (Some(stamp), Some(text)) = (stamp, text) {
            keep.insert(p);
            if fresh {
                let before = cache.docs.get(p).map(|d| &*d.text);
                if before != Some(&*text) {
                    changes.docs.insert(p.to_string());
                }
                cache.docs.insert(
                    p.to_string(),
                    CachedDoc {
                        stamp,
                        text: text.clone(),
                        plain,
                        as_text: crate::docs::shown_as_text(&text),
                    },
                );
            } else if let Some(d) = cache.docs.get_mut(p).filter(|d| d.plain.is_none()) {
                d.plain = plain;
            }
            if let Some(why) = cache.docs.get(p).and_then(|d| d.as_text.clone()) {
                as_text.insert(p.to_string(), why);
            }
            out.insert(p.to_string(), text);
        }
    }
    let gone: Vec<String> = cache
        .docs
        .keys()
        .filter(|k| !keep.contains(k.as_str()))
        .cloned()
        .collect();
    for g in gone {
        cache.docs.remove(&g);
        changes.docs.insert(g);
    }
    (out, as_text)
}
