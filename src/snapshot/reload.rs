//! The served snapshot and live reload: [`Served`] holds the snapshot requests read and builds
//! the next one after an edit, redoing only what the edit changed (the loader re-parses changed
//! files, the search index is updated in place, scores of unchanged systems are reused).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;

use super::{Derived, IndexPlan, Snapshot};
use crate::loader::{self, LoadOptions};
use crate::model::Catalog;
use crate::observed::{Observed, ReadOptions};
use crate::search::{SearchIndex, SearchUpdater};
use crate::text::plural;

/// Observed-traffic sources the server holds the catalog against (`cairn serve --observed`).
#[derive(Clone, Debug, Default)]
pub struct ObservedConfig {
    /// Files or `http://` URLs.
    pub sources: Vec<String>,
    pub read: ReadOptions,
    /// Why the sources could not be read when the server started (it starts anyway, without
    /// observed data, and reads them again on every reload).
    pub unread: Option<String>,
}

/// A newer load that could not be swapped in: the catalog (or a directory of it) could not be
/// read, or not indexed. Files with errors never cause this: each is held on its own
/// ([`crate::model::HeldFile`]).
pub struct Broken {
    pub at: SystemTime,
    /// Why (directory removed, unreadable, the index could not be built).
    pub load_error: String,
}

/// What requests see: the last snapshot built and, if a newer load failed, why.
pub struct Live {
    pub snapshot: Arc<Snapshot>,
    pub broken: Option<Arc<Broken>>,
}

/// The served snapshot and the engine that replaces it: what `cairn serve` answers from, and
/// what reloads after an edit. A request takes [`Served::live`] once and answers from that
/// snapshot alone; a reload builds the next snapshot off the request path and swaps it in.
pub struct Served {
    live: ArcSwap<Live>,
    root: PathBuf,
    opts: LoadOptions,
    observed: Option<ObservedConfig>,
    /// Held for the whole of a reload: reloads run one at a time, and only they swap `live`.
    reloader: Mutex<Reloader>,
    /// The on-call feeds' last downloads, put into every catalog a reload builds.
    feeds: std::sync::OnceLock<Arc<crate::oncall::store::FeedStore>>,
    /// The catalog's sources (docs/sources.md), whose state every reload puts into its
    /// catalog, and the secret of the signed refresh endpoint.
    sources: std::sync::OnceLock<(Arc<crate::sources::Sources>, Option<Vec<u8>>)>,
}

/// What reloads keep between them to redo only what an edit changed.
#[derive(Default)]
struct Reloader {
    /// Per-file parse results of the newest load; empty until a load went through it.
    cache: loader::LoadCache,
    /// Whether the served snapshot was built from what `cache` holds; when not, the next
    /// reload builds everything (its changes would not be relative to the served snapshot).
    primed: bool,
    /// Files and docs changed since the served snapshot was built (across broken loads too).
    files: BTreeSet<String>,
    docs: BTreeSet<String>,
    /// Updates the served snapshot's search index; made on first use.
    search: Option<SearchUpdater>,
}

/// What one reload did, for the server's log.
#[derive(Debug, Clone)]
pub struct ReloadReport {
    /// A new snapshot was swapped in.
    pub swapped: bool,
    /// Catalog files parsed (changed, added) or dropped.
    pub files: usize,
    pub docs: usize,
    /// The search index was updated in place (else built from scratch, or not touched).
    pub incremental: bool,
    /// The catalog directory was walked (else the watcher's paths said what to stat).
    pub walked: bool,
    /// Systems whose cross-references were checked again (the rest kept their diagnostics).
    pub validated: usize,
    pub errors: usize,
    /// Files held back at their last good version (or left out) because they have errors.
    pub held: usize,
    pub took: Duration,
    /// Where the time went: reading, parsing, assembling and validating the catalog; updating
    /// (or building) the search index; the graph and readiness of the new snapshot.
    pub phases: ReloadPhases,
    /// Why the observed sources could not be re-read (the previous read stays in use).
    pub observed_error: Option<String>,
}

/// The parts of [`ReloadReport::took`]. `search` and `derive` run side by side, both timed from
/// the end of `load`, so they overlap rather than add up.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReloadPhases {
    pub load: Duration,
    pub search: Duration,
    pub derive: Duration,
    /// The new snapshot's revision (after the rest).
    pub revision: Duration,
}

impl std::fmt::Display for ReloadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut what = plural(self.files, "file", "files");
        if self.docs > 0 {
            what.push_str(&format!(" and {}", plural(self.docs, "doc", "docs")));
        }
        let ms = self.took.as_secs_f64() * 1000.0;
        if self.swapped {
            let how = if self.incremental {
                ""
            } else {
                " (full rebuild)"
            };
            let p = &self.phases;
            let part = |d: Duration| d.as_secs_f64() * 1000.0;
            write!(
                f,
                "reloaded {what} in {ms:.0} ms{how} (load {:.0}, search {:.0}, graph and readiness {:.0}, revision {:.0}; {} checked)",
                part(p.load),
                part(p.search),
                part(p.derive),
                part(p.revision),
                plural(self.validated, "system", "systems")
            )?;
            if self.held > 0 {
                write!(
                    f,
                    "; {} with errors of their own served at the last good version or as read (see /api/v1/diagnostics)",
                    plural(self.held, "file", "files")
                )?;
            }
        } else {
            write!(
                f,
                "reload of {what} failed; still serving the last good catalog ({ms:.0} ms)"
            )?;
        }
        if let Some(e) = &self.observed_error {
            write!(
                f,
                "; observed sources not re-read, keeping the previous read: {e}"
            )?;
        }
        Ok(())
    }
}

impl Served {
    /// State serving `catalog` (already loaded from `root`).
    pub fn new(catalog: Catalog, root: &Path, opts: LoadOptions) -> anyhow::Result<Served> {
        Self::with_observed(catalog, root, opts, None)
    }

    /// State serving `catalog` held against observed traffic: `observed` is the sources and
    /// what was read from them (the caller reads them first, so a bad source stops start-up
    /// with a located error).
    pub fn with_observed(
        catalog: Catalog,
        root: &Path,
        opts: LoadOptions,
        observed: Option<(ObservedConfig, Observed)>,
    ) -> anyhow::Result<Served> {
        Self::start(
            Snapshot::new(catalog),
            IndexPlan::default(),
            root,
            opts,
            observed,
        )
    }

    /// [`Served::with_observed`] starting from `snapshot`: derives the graph and readiness now
    /// and builds the search index in the background as `index` says
    /// ([`Snapshot::index_in_background`]). Everything but search can be served as soon as
    /// this returns; search answers once its index is built.
    pub fn start(
        snapshot: Snapshot,
        index: IndexPlan,
        root: &Path,
        opts: LoadOptions,
        observed: Option<(ObservedConfig, Observed)>,
    ) -> anyhow::Result<Served> {
        let (config, data) = match observed {
            Some((c, d)) => (Some(c), Some(Arc::new(d))),
            None => (None, None),
        };
        let unread = config.as_ref().and_then(|c| c.unread.clone());
        snapshot.derive_graph_and_readiness();
        let snapshot = Snapshot {
            generation: 1,
            ..snapshot
        };
        let snapshot = Arc::new(snapshot.with_observed(data, unread));
        snapshot
            .index_in_background(index)
            .map_err(|e| anyhow::anyhow!("starting the search index thread: {e}"))?;
        let _ = snapshot.revision();
        Ok(Served {
            live: ArcSwap::from_pointee(Live {
                snapshot,
                broken: None,
            }),
            root: root.to_path_buf(),
            opts,
            observed: config,
            reloader: Mutex::default(),
            feeds: std::sync::OnceLock::new(),
            sources: std::sync::OnceLock::new(),
        })
    }

    /// The on-call feeds whose last downloads every reload puts into its catalog
    /// ([`crate::oncall::store::FeedStore::attach`]); the served catalog already has them.
    pub fn set_feeds(&self, feeds: Arc<crate::oncall::store::FeedStore>) {
        let _ = self.feeds.set(feeds);
    }

    /// The sources the served tree is read from, and the webhook secret (`None`: the signed
    /// refresh endpoint is off); every reload puts their state into its catalog.
    pub fn set_sources(&self, sources: Arc<crate::sources::Sources>, secret: Option<Vec<u8>>) {
        let _ = self.sources.set((sources, secret));
    }

    /// The sources and the webhook secret, when the catalog is read from sources.
    pub fn sources(&self) -> Option<&(Arc<crate::sources::Sources>, Option<Vec<u8>>)> {
        self.sources.get()
    }

    /// Refreshes one source and reloads when its files or its state changed; what the signed
    /// endpoint and the interval both do.
    pub fn refresh_source(&self, name: &str) -> Option<crate::sources::Refreshed> {
        let (sources, _) = self.sources.get()?;
        let before = sources.statuses();
        let started = std::time::Instant::now();
        let done = sources.refresh(name)?;
        let after = sources.statuses();
        let state_changed = before.iter().zip(&after).any(|(b, a)| {
            b.error != a.error
                || b.revision != a.revision
                || b.fetched_at.is_none() != a.fetched_at.is_none()
        });
        if done.changed > 0 || state_changed {
            let report = self.reload_report();
            tracing::info!(
                source = name,
                changed = done.changed,
                swapped = report.swapped,
                "source {name} refreshed in {:.1?}: {}{}",
                started.elapsed(),
                match &done.revision {
                    Some(r) => format!("revision {}, ", crate::sources::short(r)),
                    None => String::new(),
                },
                match &done.error {
                    Some(e) => format!("not read ({e}); its last good files are kept"),
                    None => crate::text::plural(done.changed, "file changed", "files changed"),
                }
            );
        }
        Some(done)
    }

    /// Hands over the parse results of the load that produced the served catalog
    /// ([`loader::load_incremental`]), so the first reload re-reads only what changed.
    pub fn set_load_cache(&self, cache: loader::LoadCache) {
        let mut r = self.reloader();
        r.cache = cache;
        r.primed = true;
    }

    /// Prepares incremental reloads ahead of the first edit (the search index's sort keys);
    /// the watcher runs it in the background when the server starts.
    pub fn prepare_reload(&self) {
        let mut r = self.reloader();
        if r.primed && r.search.is_none() {
            let s = self.live().snapshot.clone();
            r.search = s
                .search_index()
                .ok()
                .and_then(|i| i.updater(&s.catalog).ok().flatten());
        }
    }

    /// The walk the first reload after startup would need (to see what changed between the
    /// load and the watch starting), done ahead: the watcher runs it in the background when
    /// it starts, so that even the first edit is told its paths and stats only them (a walk of a
    /// big catalog would otherwise be most of the first edit's reload). Swaps in a new
    /// snapshot only when the catalog did change (`Some`, what that reload did); `None` when
    /// nothing changed or there is no load cache to compare with.
    pub fn catch_up(&self) -> Option<ReloadReport> {
        let started = std::time::Instant::now();
        let mut r = self.reloader();
        if !r.primed {
            return None;
        }
        let loaded = loader::load_touched(&self.root, &self.opts, &mut r.cache, &|_, _| {}, None);
        if let Ok((_, changes)) = &loaded {
            if !changes.full && changes.files.is_empty() && changes.docs.is_empty() {
                return None;
            }
        }
        Some(self.swap_loaded(&mut r, loaded, started))
    }

    fn reloader(&self) -> std::sync::MutexGuard<'_, Reloader> {
        self.reloader.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Re-reads the observed sources; on failure keeps the current data and says why.
    fn reread_observed(&self, current: &Snapshot) -> (Option<Arc<Observed>>, Option<String>) {
        let Some(cfg) = &self.observed else {
            return (None, None);
        };
        match crate::observed::read(&cfg.sources, &cfg.read) {
            Ok(o) => (Some(Arc::new(o)), None),
            Err(e) => (current.observed.clone(), Some(e.to_string())),
        }
    }

    /// The current view; hold on to it for the whole request.
    pub fn live(&self) -> Arc<Live> {
        self.live.load_full()
    }

    /// Reloads the catalog from disk. Files with errors are held at their last good version
    /// by the loader (per-file last good) and the rest goes live; a catalog that cannot be
    /// read at all is not swapped in: the last snapshot keeps being served and says why.
    /// Returns `true` when a new snapshot was swapped in.
    pub fn reload(&self) -> bool {
        self.reload_report().swapped
    }

    /// [`Served::reload`], saying what it did. Only files whose size or modification time
    /// changed are parsed again (see [`loader::load_incremental`]); the catalog is then
    /// assembled, only the systems the change can affect are validated again
    /// ([`crate::validate::validate_kept`]), the graph is kept when the dependency structure
    /// is unchanged and scores are shared for unchanged systems, and the search index is
    /// updated by replacing the documents of the entities that changed ([`SearchUpdater`]),
    /// or rebuilt when that is not possible.
    pub fn reload_report(&self) -> ReloadReport {
        self.reload_touched(None)
    }

    /// [`Served::reload_report`] told by the file watcher which paths its events named since
    /// the previous reload: the catalog directory is then not walked again unless those paths
    /// say files appeared or disappeared ([`loader::load_touched`]).
    pub fn reload_touched(&self, touched: Option<&loader::Touched>) -> ReloadReport {
        let started = std::time::Instant::now();
        let mut r = self.reloader();
        let loaded =
            loader::load_touched(&self.root, &self.opts, &mut r.cache, &|_, _| {}, touched);
        self.swap_loaded(&mut r, loaded, started)
    }

    /// The rest of a reload once its load is done (`started` is when the reload began).
    fn swap_loaded(
        &self,
        r: &mut Reloader,
        loaded: Result<(Catalog, loader::Changes), loader::LoadError>,
        started: std::time::Instant,
    ) -> ReloadReport {
        let current = self.live();
        let mut report = ReloadReport {
            swapped: false,
            files: 0,
            docs: 0,
            incremental: false,
            walked: true,
            validated: 0,
            errors: 0,
            held: 0,
            took: Duration::ZERO,
            phases: ReloadPhases::default(),
            observed_error: None,
        };
        report.phases.load = started.elapsed();
        match loaded {
            Ok((mut catalog, changes)) => {
                if let Some(f) = self.feeds.get() {
                    f.attach(&mut catalog);
                }
                if let Some((sources, _)) = self.sources.get() {
                    sources.attach(&mut catalog);
                }
                report.files = changes.parsed.max(changes.files.len());
                report.docs = changes.docs.len();
                report.walked = changes.walked;
                report.validated = changes.validated;
                report.errors = catalog.errors();
                r.files.extend(changes.files);
                r.docs.extend(changes.docs);
                if changes.full {
                    r.primed = false;
                }
                // Per-file last good: the loader already left out or held back what is
                // broken, so every load is served (`loader::settle`).
                let held = catalog.held.len();
                report.held = held;
                {
                    let generation = current.snapshot.generation + 1;
                    let (observed, observed_error) = self.reread_observed(&current.snapshot);
                    report.observed_error = observed_error.clone();
                    let next = next_snapshot(r, &current.snapshot, catalog, generation);
                    match next {
                        Ok((s, incremental, (search, derive))) => {
                            report.phases.search = search;
                            report.phases.derive = derive;
                            let s = s.with_observed(observed, observed_error);
                            // Made now, not by the first request that names it.
                            let t = std::time::Instant::now();
                            let _ = s.revision_after(&current.snapshot);
                            report.phases.revision = t.elapsed();
                            self.live.store(Arc::new(Live {
                                snapshot: Arc::new(s),
                                broken: None,
                            }));
                            r.files.clear();
                            r.docs.clear();
                            r.primed = true;
                            report.swapped = true;
                            report.incremental = incremental;
                        }
                        Err(e) => {
                            r.search = None;
                            self.set_broken(&current, format!("cannot index the catalog: {e:#}"));
                        }
                    }
                }
            }
            Err(e) => {
                self.set_broken(&current, e.to_string());
            }
        }
        report.took = started.elapsed();
        report
    }

    fn set_broken(&self, current: &Live, load_error: String) {
        let broken = Broken {
            at: SystemTime::now(),
            load_error,
        };
        self.live.store(Arc::new(Live {
            snapshot: current.snapshot.clone(),
            broken: Some(Arc::new(broken)),
        }));
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Why the search index is in RAM although a directory was asked for (disk full, ...);
    /// `None` too while the first index is being built.
    pub fn search_fallback(&self) -> Option<String> {
        let live = self.live();
        live.snapshot
            .search_if_built()?
            .fallback()
            .map(str::to_string)
    }
}

/// The snapshot after `old` for `catalog`: the search index updated in place when the reloader
/// knows what changed since `old` (`true`), else built from scratch; with the time the search
/// index and the rest of the snapshot took.
fn next_snapshot(
    r: &mut Reloader,
    old: &Snapshot,
    catalog: Catalog,
    generation: u64,
) -> anyhow::Result<(Snapshot, bool, (Duration, Duration))> {
    let started = std::time::Instant::now();
    if r.primed && r.search.is_none() {
        // Here, not in the pool below: the first snapshot's index may still be building, and
        // its build needs the pool's threads; a pool thread waiting for it could take the
        // last one (a deadlock, seen with two reloads at once on two cores).
        r.search = old
            .search_index()
            .ok()
            .and_then(|i| i.updater(&old.catalog).ok().flatten());
    }
    // The search index and the graph and readiness only read the catalog: made side by side
    // (the index update mostly waits for tantivy's commit).
    let (searched, derived) = rayon::join(
        || {
            let mut updated = None;
            if r.primed {
                if let Some(u) = r.search.as_mut() {
                    match u.apply(&old.catalog, &catalog, &r.files, &r.docs) {
                        Ok(Some((index, _))) => updated = Some(index),
                        // The updater is spent: the next one is made from the new index.
                        Ok(None) | Err(_) => r.search = None,
                    }
                }
            } else {
                r.search = None;
            }
            let incremental = updated.is_some();
            let search = match updated {
                Some(s) => Ok(s),
                None => SearchIndex::build(&catalog),
            };
            (search, incremental, started.elapsed())
        },
        || {
            let previous = r.primed.then_some((old, &r.files));
            let derived = Derived::after(&catalog, previous);
            (derived, started.elapsed())
        },
    );
    let (search, incremental, search_took) = searched;
    let (derived, derive_took) = derived;
    let snapshot = Snapshot::assemble(catalog, search?, derived, generation);
    Ok((snapshot, incremental, (search_took, derive_took)))
}

/// Per system of `new`, the readiness `old` computed for it when it is still right: the system
/// is the same parse result (`Arc::ptr_eq`), and so is every system it consumes or depends on
/// ([`crate::model::SystemChanges`]), and its owner team was declared in no changed file —
/// what `score::check` reads besides the system itself. `None` (score everything) when the settings (the scorecard) may have changed.
/// `changed_files` are the files changed since `old`.
#[allow(clippy::type_complexity)]
pub(super) fn reusable_scores(
    old: &Snapshot,
    new: &Catalog,
    changed_files: &BTreeSet<String>,
) -> Option<Vec<Option<Option<Arc<crate::score::SystemScore>>>>> {
    let prev = &old.catalog;
    let changed =
        |c: &Catalog, loc: crate::model::Loc| changed_files.contains(c.file_path(loc.file));
    if prev.settings.is_some() != new.settings.is_some() {
        return None;
    }
    for c in [prev, new] {
        if c.settings.as_ref().is_some_and(|s| changed(c, s.loc)) {
            return None;
        }
    }
    let mut teams: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (c, other) in [(prev, new), (new, prev)] {
        for t in &c.teams {
            if changed(c, t.loc) || other.team(&t.name.value).is_none() {
                teams.insert(&t.name.value);
            }
        }
    }
    use rayon::prelude::*;
    let changes = crate::model::SystemChanges::between(&prev.systems, &new.systems);
    let reuse = new
        .systems
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let j = changes.previous(i, s)?;
            let unchanged = !s.owner_name().is_some_and(|o| teams.contains(o))
                && !s.consumes.iter().any(|c| changes.touches(&c.api.system))
                && !s.depends_on.iter().any(|d| changes.touches(&d.value));
            if !unchanged {
                return None;
            }
            let score = old.readiness().get(j)?.clone();
            // Shared unless the system moved in the list (a score names its system's index).
            Some(score.map(|sc| {
                if sc.system == i {
                    sc
                } else {
                    let mut moved = (*sc).clone();
                    moved.system = i;
                    Arc::new(moved)
                }
            }))
        })
        .collect();
    Some(reuse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reload_report_says_when_observed_sources_were_not_reread() {
        let r = ReloadReport {
            swapped: true,
            files: 1,
            docs: 0,
            incremental: true,
            walked: false,
            validated: 1,
            errors: 0,
            held: 0,
            took: Duration::from_millis(5),
            phases: ReloadPhases::default(),
            observed_error: Some("cannot connect".into()),
        };
        let text = r.to_string();
        assert!(text.starts_with("reloaded 1 file in 5 ms"), "{text}");
        assert!(
            text.ends_with(
                "; observed sources not re-read, keeping the previous read: cannot connect"
            ),
            "{text}"
        );
    }
}
