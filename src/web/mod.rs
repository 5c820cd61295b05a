//! The web UI and JSON API (`cairn serve`): axum router, state, live reload.
//!
//! State is one [`ArcSwap`] holding the current [`Live`] view: the served snapshot (catalog +
//! graph + search index, built together, never mutated; a file with errors in it at its last
//! good version) and, when the newest load could not be read at all, why. A reload builds a complete new snapshot off the request path
//! and swaps the pointer; a request clones the `Arc` once and answers from that snapshot
//! alone, so no response mixes two catalogs. Only this module knows axum.
//!
//! With observed traffic (`cairn serve --observed`), each snapshot also holds the observed data
//! resolved against its catalog ([`crate::drift::Evidence`]); the sources are re-read on every
//! reload, and a source that fails to read keeps the previous read in use.

mod api;
mod assets;
mod error;
mod onboarding;
mod oncall;
mod page;
mod pages;
mod readiness;
pub mod svg;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::drift::Evidence;
use crate::graph::Graph;
use crate::loader::{self, LoadOptions};
use crate::model::Catalog;
use crate::observed::{Observed, ReadOptions};
use crate::search::{SearchIndex, SearchOptions, SearchResponse, SearchUpdater};

pub use error::AppError;

/// Everything derived from one catalog load, immutable once built.
pub struct Snapshot {
    pub catalog: Catalog,
    /// Shared with the next snapshot when an edit leaves the dependency structure as it was,
    /// and otherwise updated from it ([`Graph::update`]).
    pub graph: Arc<Graph>,
    pub search: SearchIndex,
    /// Readiness of each system (by index); `None` for systems that are not scored. Shared
    /// with the next snapshot for systems whose score an edit cannot have changed.
    pub readiness: Vec<Option<Arc<crate::score::SystemScore>>>,
    pub loaded_at: SystemTime,
    /// Increases with every swap; shown in the page footer.
    pub generation: u64,
    /// Observed traffic resolved against this catalog, when the server has observed sources.
    pub evidence: Option<Evidence>,
    /// The observed data behind `evidence`, kept for the next reload should a re-read fail.
    pub observed: Option<Arc<Observed>>,
    /// Why the observed sources could not be re-read (the previous read is in use).
    pub observed_error: Option<String>,
    /// Answers to recent queries against this snapshot's index (dropped with the snapshot).
    pub search_cache: SearchCache,
    /// Docs and runbooks rendered to HTML, each at most once per snapshot ([`Snapshot::rendered`]).
    rendered: Mutex<std::collections::HashMap<String, Arc<crate::docs::RenderedDoc>>>,
}

impl Snapshot {
    pub fn build(catalog: Catalog, generation: u64) -> anyhow::Result<Snapshot> {
        let search = SearchIndex::build(&catalog)?;
        Ok(Snapshot::with_search(catalog, search, generation))
    }

    /// The snapshot of `catalog` with its search index already built (or updated).
    fn with_search(catalog: Catalog, search: SearchIndex, generation: u64) -> Snapshot {
        let derived = Derived::of(&catalog);
        Snapshot::assemble(catalog, search, derived, generation)
    }

    fn assemble(
        catalog: Catalog,
        search: SearchIndex,
        Derived { graph, readiness }: Derived,
        generation: u64,
    ) -> Snapshot {
        Snapshot {
            catalog,
            graph,
            search,
            readiness,
            loaded_at: SystemTime::now(),
            generation,
            evidence: None,
            observed: None,
            observed_error: None,
            search_cache: SearchCache::default(),
            rendered: Mutex::default(),
        }
    }

    /// The catalog's document `path` rendered, once per snapshot: Markdown rendering is the
    /// costliest part of a page, so views after the first read it from here. Call it off the
    /// async workers (`spawn_blocking`): a first rendering of a big doc takes a while.
    pub fn rendered(&self, path: &str) -> Option<Arc<crate::docs::RenderedDoc>> {
        let text = self.catalog.document(path)?;
        let cache =
            |m: &Mutex<std::collections::HashMap<String, Arc<crate::docs::RenderedDoc>>>| {
                m.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(path)
                    .cloned()
            };
        if let Some(r) = cache(&self.rendered) {
            return Some(r);
        }
        let r = Arc::new(crate::docs::render(text));
        self.rendered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_string(), r.clone());
        Some(r)
    }

    /// Runs a query through this snapshot's cache.
    pub fn search(&self, query: &str, opts: &SearchOptions) -> Arc<SearchResponse> {
        self.search_cache
            .get_or_run(query, opts, || self.search.search(query, opts))
    }

    /// Attaches observed data, resolved against this snapshot's catalog.
    fn with_observed(mut self, observed: Option<Arc<Observed>>, error: Option<String>) -> Snapshot {
        self.evidence = observed
            .as_deref()
            .map(|o| crate::drift::resolve(&self.catalog, o));
        self.observed = observed;
        self.observed_error = error;
        self
    }
}

/// What a snapshot derives from its catalog besides the search index.
struct Derived {
    graph: Arc<Graph>,
    readiness: Vec<Option<Arc<crate::score::SystemScore>>>,
}

impl Derived {
    fn of(catalog: &Catalog) -> Derived {
        Derived::after(catalog, None)
    }

    /// [`Derived::of`], reusing the readiness of `previous` (the snapshot of the catalog before
    /// `changed_files` changed) for systems whose score cannot have changed
    /// ([`reusable_scores`]).
    fn after(catalog: &Catalog, previous: Option<(&Snapshot, &BTreeSet<String>)>) -> Derived {
        use rayon::prelude::*;
        // The graph and the readiness of every system are independent: built side by side (a
        // fifth of a reload at 10k systems; docs/benchmarks.md, "Incremental reload").
        let (graph, readiness) = rayon::join(
            || match previous {
                Some((old, _)) => Graph::update(&old.graph, &old.catalog, catalog),
                None => Arc::new(Graph::build(catalog)),
            },
            || {
                let scorecard = crate::score::effective(catalog).scorecard;
                let reuse = previous.and_then(|(old, files)| reusable_scores(old, catalog, files));
                (0..catalog.systems.len())
                    .into_par_iter()
                    .map(|i| {
                        if let Some(score) = reuse.as_ref().and_then(|r| r[i].clone()) {
                            return score;
                        }
                        crate::score::is_scored(&catalog.systems[i])
                            .then(|| Arc::new(crate::score::evaluate(catalog, scorecard, i)))
                    })
                    .collect()
            },
        );
        Derived { graph, readiness }
    }
}

/// Per system of `new`, the readiness `old` computed for it when it is still right: the system
/// is the same parse result (`Arc::ptr_eq`), and so is every system it consumes or depends on
/// ([`crate::model::SystemChanges`]), and its owner team was declared in no changed file —
/// what `score::check` reads besides the system itself. `None` (score everything) when the settings (the scorecard) may have changed.
/// `changed_files` are the files changed since `old`.
#[allow(clippy::type_complexity)]
fn reusable_scores(
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
            let score = old.readiness.get(j)?.clone();
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

/// Recent search answers of one snapshot. A catalog's readers ask the same questions again
/// (search-as-you-type sends every prefix; a team's dashboard links the same filters), and a
/// snapshot never changes, so an answer stays right for as long as its snapshot is served: a
/// reload brings a new, empty cache. Bounded: when full, it starts over (simpler than LRU and
/// as good for a working set that fits).
#[derive(Default)]
pub struct SearchCache {
    entries:
        std::sync::Mutex<std::collections::HashMap<(String, usize, usize), Arc<SearchResponse>>>,
}

impl SearchCache {
    /// At most this many answers are kept.
    pub const CAPACITY: usize = 2048;

    fn get_or_run(
        &self,
        query: &str,
        opts: &SearchOptions,
        run: impl FnOnce() -> SearchResponse,
    ) -> Arc<SearchResponse> {
        let key = (query.to_string(), opts.limit, opts.offset);
        if let Some(hit) = self.entries.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return hit;
        }
        // Not under the lock: two first askers may both run the query; both get the same answer.
        let answer = Arc::new(run());
        if let Ok(mut m) = self.entries.lock() {
            if m.len() >= Self::CAPACITY {
                m.clear();
            }
            m.insert(key, answer.clone());
        }
        answer
    }

    /// Number of answers held.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

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

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    live: ArcSwap<Live>,
    root: PathBuf,
    opts: LoadOptions,
    observed: Option<ObservedConfig>,
    /// Why the search index is held in RAM although `--index-dir` asked for a directory.
    search_fallback: Option<String>,
    /// Held for the whole of a reload: reloads run one at a time, and only they swap `live`.
    reloader: Mutex<Reloader>,
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
}

/// The parts of [`ReloadReport::took`]. `search` and `derive` run side by side, both timed from
/// the end of `load`, so they overlap rather than add up.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReloadPhases {
    pub load: Duration,
    pub search: Duration,
    pub derive: Duration,
}

impl std::fmt::Display for ReloadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let mut what = plural(self.files, "file");
        if self.docs > 0 {
            what.push_str(&format!(" and {}", plural(self.docs, "doc")));
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
                "reloaded {what} in {ms:.0} ms{how} (load {:.0}, search {:.0}, graph and readiness {:.0}; {} checked)",
                part(p.load),
                part(p.search),
                part(p.derive),
                plural(self.validated, "system")
            )?;
            if self.held > 0 {
                write!(
                    f,
                    "; {} with errors of their own served at the last good version or as read (see /api/v1/diagnostics)",
                    plural(self.held, "file")
                )?;
            }
            Ok(())
        } else {
            write!(
                f,
                "reload of {what} failed; still serving the last good catalog ({ms:.0} ms)"
            )
        }
    }
}

impl AppState {
    /// State serving `catalog` (already loaded from `root`).
    pub fn new(catalog: Catalog, root: &Path, opts: LoadOptions) -> anyhow::Result<AppState> {
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
    ) -> anyhow::Result<AppState> {
        let search = SearchIndex::build(&catalog)?;
        Self::with_search(catalog, (search, None), root, opts, observed)
    }

    /// [`AppState::with_observed`] with the search index already built (or reused from a
    /// directory): `search.1` says why the index is in RAM when it was meant to be persisted.
    pub fn with_search(
        catalog: Catalog,
        search: (SearchIndex, Option<String>),
        root: &Path,
        opts: LoadOptions,
        observed: Option<(ObservedConfig, Observed)>,
    ) -> anyhow::Result<AppState> {
        let (config, data) = match observed {
            Some((c, d)) => (Some(c), Some(Arc::new(d))),
            None => (None, None),
        };
        let unread = config.as_ref().and_then(|c| c.unread.clone());
        let (search, search_fallback) = search;
        let snapshot =
            Arc::new(Snapshot::with_search(catalog, search, 1).with_observed(data, unread));
        Ok(AppState(Arc::new(Inner {
            live: ArcSwap::from_pointee(Live {
                snapshot,
                broken: None,
            }),
            root: root.to_path_buf(),
            opts,
            observed: config,
            search_fallback,
            reloader: Mutex::default(),
        })))
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
            r.search = s.search.updater(&s.catalog).ok().flatten();
        }
    }

    /// The walk the first reload after startup would need (to see what changed between the
    /// load and the watch starting), done ahead: the watcher runs it in the background when
    /// it starts, so that even the first edit is told its paths and stats only them (a walk of
    /// 100,000 files and their docs took 1.9 s of the first edit's reload). Swaps in a new
    /// snapshot only when the catalog did change (`Some`, what that reload did); `None` when
    /// nothing changed or there is no load cache to compare with.
    pub fn catch_up(&self) -> Option<ReloadReport> {
        let started = std::time::Instant::now();
        let mut r = self.reloader();
        if !r.primed {
            return None;
        }
        let loaded =
            loader::load_touched(&self.0.root, &self.0.opts, &mut r.cache, &|_, _| {}, None);
        if let Ok((_, changes)) = &loaded {
            if !changes.full && changes.files.is_empty() && changes.docs.is_empty() {
                return None;
            }
        }
        Some(self.swap_loaded(&mut r, loaded, started))
    }

    fn reloader(&self) -> std::sync::MutexGuard<'_, Reloader> {
        self.0.reloader.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Re-reads the observed sources; on failure keeps the current data and says why.
    fn reread_observed(&self, current: &Snapshot) -> (Option<Arc<Observed>>, Option<String>) {
        let Some(cfg) = &self.0.observed else {
            return (None, None);
        };
        match crate::observed::read(&cfg.sources, &cfg.read) {
            Ok(o) => (Some(Arc::new(o)), None),
            Err(e) => {
                eprintln!("cairn: observed sources not re-read, keeping the previous read: {e}");
                (current.observed.clone(), Some(e.to_string()))
            }
        }
    }

    /// The current view; hold on to it for the whole request.
    pub fn live(&self) -> Arc<Live> {
        self.0.live.load_full()
    }

    /// Reloads the catalog from disk. Files with errors are held at their last good version
    /// by the loader (per-file last good) and the rest goes live; a catalog that cannot be
    /// read at all is not swapped in: the last snapshot keeps being served and says why.
    /// Returns `true` when a new snapshot was swapped in.
    pub fn reload(&self) -> bool {
        self.reload_report().swapped
    }

    /// [`AppState::reload`], saying what it did. Only files whose size or modification time
    /// changed are parsed again (see [`loader::load_incremental`]); the catalog is then
    /// assembled, only the systems the change can affect are validated again
    /// ([`crate::validate::validate_kept`]), the graph is kept when the dependency structure
    /// is unchanged and scores are shared for unchanged systems, and the search index is
    /// updated by replacing the documents of the entities that changed ([`SearchUpdater`]),
    /// or rebuilt when that is not possible.
    pub fn reload_report(&self) -> ReloadReport {
        self.reload_touched(None)
    }

    /// [`AppState::reload_report`] told by the file watcher which paths its events named since
    /// the previous reload: the catalog directory is then not walked again unless those paths
    /// say files appeared or disappeared ([`loader::load_touched`]).
    pub fn reload_touched(&self, touched: Option<&loader::Touched>) -> ReloadReport {
        let started = std::time::Instant::now();
        let mut r = self.reloader();
        let loaded = loader::load_touched(
            &self.0.root,
            &self.0.opts,
            &mut r.cache,
            &|_, _| {},
            touched,
        );
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
        };
        report.phases.load = started.elapsed();
        match loaded {
            Ok((catalog, changes)) => {
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
                    let next = next_snapshot(r, &current.snapshot, catalog, generation);
                    match next {
                        Ok((s, incremental, (search, derive))) => {
                            report.phases.search = search;
                            report.phases.derive = derive;
                            let s = s.with_observed(observed, observed_error);
                            self.0.live.store(Arc::new(Live {
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
        self.0.live.store(Arc::new(Live {
            snapshot: current.snapshot.clone(),
            broken: Some(Arc::new(broken)),
        }));
    }

    pub fn root(&self) -> &Path {
        &self.0.root
    }

    /// Why the search index is in RAM although a directory was asked for (disk full, ...).
    pub fn search_fallback(&self) -> Option<&str> {
        self.0.search_fallback.as_deref()
    }
}

/// The application's routes. Reads like a table of contents.
pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(pages::home))
        .route("/systems/{name}", get(pages::system))
        .route("/start", get(onboarding::start))
        .route("/teams/{name}", get(pages::team))
        .route("/teams/{name}/onboarding", get(onboarding::team))
        .route("/readiness", get(readiness::overview))
        .route("/ilities", get(readiness::ilities))
        .route("/oncall", get(oncall::page))
        .route("/search", get(pages::search))
        .route("/impact", get(pages::impact))
        .route("/impact.md", get(pages::impact_markdown))
        .route("/graph", get(pages::graph))
        .route("/docs/{*path}", get(pages::doc))
        .route("/static/{file}", get(assets::serve));
    let api = Router::new()
        .route("/api/v1/systems", get(api::systems))
        .route("/api/v1/systems/{name}", get(api::system))
        .route("/api/v1/teams", get(api::teams))
        .route("/api/v1/teams/{name}", get(api::team))
        .route("/api/v1/search", get(api::search))
        .route("/api/v1/impact", get(api::impact))
        .route("/api/v1/deps/{name}", get(api::deps))
        .route("/api/v1/graph", get(api::graph))
        .route("/api/v1/score", get(api::score))
        .route("/api/v1/oncall", get(api::oncall))
        .route("/api/v1/diagnostics", get(api::diagnostics))
        .route("/api/v1/drift", get(api::drift))
        .route("/api/v1/openapi.json", get(api::openapi))
        .route("/api/v1/{*rest}", get(api::not_found))
        .layer(axum::middleware::map_response(error::json_rejections));
    pages
        .merge(api)
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(10),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                 form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .with_state(state)
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
    // The search index and the graph and readiness only read the catalog: made side by side
    // (the index update mostly waits for tantivy's commit).
    let (searched, derived) = rayon::join(
        || {
            let mut updated = None;
            if r.primed {
                if r.search.is_none() {
                    r.search = old.search.updater(&old.catalog).ok().flatten();
                }
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

/// Settings for `cairn serve`.
pub struct ServeConfig {
    pub addr: SocketAddr,
    pub watch: bool,
}

/// Connection-level limits of the server (docs/security.md, "Limits").
#[derive(Clone, Copy, Debug)]
pub struct ConnLimits {
    /// How long a client may take to send a request's headers — and, on a kept-alive
    /// connection, to start its next request — before the connection is closed.
    pub header_timeout: Duration,
    /// Connections served at once; further ones wait in the kernel's accept queue.
    pub max_connections: usize,
    /// How long a write may make no progress (the client stopped reading its answer) before
    /// the connection is closed, freeing the answer's memory.
    pub write_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            write_timeout: Duration::from_secs(30),
        }
    }
}

/// A connection whose writes must make progress: when a write (or flush) has waited for the
/// client for `timeout`, it fails, and hyper closes the connection. Without it, a client that
/// never reads its answer held it — 16 MB of `/api/v1/score` at 10,000 systems — for as long as
/// it liked, 1,024 times over.
struct WriteDeadline<S> {
    inner: S,
    timeout: Duration,
    /// Started when a write first found the socket full; cleared by any progress.
    stalled: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl<S> WriteDeadline<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        WriteDeadline {
            inner,
            timeout,
            stalled: None,
        }
    }

    /// The inner write answered `r`: progress resets the deadline, waiting runs it.
    fn deadline<T>(
        &mut self,
        r: std::task::Poll<std::io::Result<T>>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::future::Future;
        use std::task::Poll;
        match r {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let timeout = self.timeout;
                let sleep = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client stopped reading its answer",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for WriteDeadline<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for WriteDeadline<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        self.deadline(r, cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.deadline(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let r = std::pin::Pin::new(&mut self.inner).poll_flush(cx);
        self.deadline(r, cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish
/// (for at most 10 s). Like `axum::serve`, but with the limits axum does not offer: a
/// header-read (and keep-alive idle) timeout and a bound on open connections, so that slow
/// or idle clients cannot tie the server up.
pub async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    // HTTP/1.1 only, as `axum::serve` without axum's `http2` feature served before.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: not fatal, try again shortly.
                    eprintln!("cairn: accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let stream = WriteDeadline::new(stream, limits.write_timeout);
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that went away or timed out is not the server's error.
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
}

/// Runs the server until Ctrl-C or SIGTERM. `ready` is called with the bound address.
pub async fn serve(
    state: AppState,
    cfg: ServeConfig,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.addr))?;
    let addr = listener.local_addr()?;
    let _watcher = if cfg.watch {
        Some(watch(state.clone())?)
    } else {
        None
    };
    ready(addr);
    serve_connections(
        listener,
        router(state),
        ConnLimits::default(),
        shutdown_signal(),
    )
    .await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// When the watcher reloads after a burst of file events: once no event has arrived for `quiet`
/// (an editor's save is several events), but never later than `max_wait` after the burst's first
/// event. Without the cap, files rewritten more often than `quiet` (a generator, a sync loop) would
/// postpone the reload for as long as they kept changing: the load test found exactly that.
#[derive(Clone, Copy, Debug)]
pub struct Debounce {
    pub quiet: Duration,
    pub max_wait: Duration,
}

impl Debounce {
    /// The watcher's: a save shows up 150 ms after it, a stream of edits every 750 ms at most.
    pub const WATCH: Debounce = Debounce {
        quiet: Duration::from_millis(150),
        max_wait: Duration::from_millis(750),
    };

    /// The instant to reload at, for a burst whose first event came at `first` and its latest
    /// at `last`.
    pub fn deadline(
        &self,
        first: std::time::Instant,
        last: std::time::Instant,
    ) -> std::time::Instant {
        (last + self.quiet).min(first + self.max_wait)
    }
}

/// Watches the catalog directory; after a burst of changes (see [`Debounce::WATCH`]), reloads off
/// the async runtime. Returns the watcher, which stops watching when dropped.
///
/// The paths the events name go with the reload, so it stats those files instead of walking
/// the catalog ([`AppState::reload_touched`]). What changed between the startup load and the
/// watch starting is caught by one walk in the background right after the watch starts
/// ([`AppState::catch_up`]).
pub fn watch(state: AppState) -> anyhow::Result<notify::RecommendedWatcher> {
    use notify::Watcher;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Touch>();
    let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        let touch = match ev {
            Ok(ev) if matches!(ev.kind, notify::EventKind::Access(_)) => return,
            Ok(ev) if ev.need_rescan() || ev.paths.is_empty() => Touch::Rescan,
            Ok(ev) => Touch::Paths(ev.paths),
            // A watcher error may have cost events: walk.
            Err(_) => Touch::Rescan,
        };
        let _ = tx.send(touch);
    })?;
    watcher.watch(state.root(), notify::RecursiveMode::Recursive)?;
    let st = state.clone();
    tokio::task::spawn_blocking(move || {
        st.prepare_reload();
        // After the watch started: what changed before it is found by this walk, what
        // changes after it is in the events.
        let started = std::time::Instant::now();
        match st.catch_up() {
            Some(report) => eprintln!("cairn: changed while starting: {report}"),
            None => eprintln!(
                "cairn: watching for changes (checked every file in {:.0} ms)",
                started.elapsed().as_secs_f64() * 1000.0
            ),
        }
    });
    tokio::spawn(async move {
        while let Some(touch) = rx.recv().await {
            let mut touched = loader::Touched::default();
            touch.add_to(&mut touched);
            let first = std::time::Instant::now();
            let mut last = first;
            loop {
                let at = tokio::time::Instant::from_std(Debounce::WATCH.deadline(first, last));
                match tokio::time::timeout_at(at, rx.recv()).await {
                    Ok(Some(touch)) => {
                        touch.add_to(&mut touched);
                        last = std::time::Instant::now();
                    }
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            let st = state.clone();
            let reload = move || st.reload_touched(Some(&touched));
            if let Ok(report) = tokio::task::spawn_blocking(reload).await {
                eprintln!("cairn: {report}");
            }
        }
    });
    Ok(watcher)
}

/// One file event, as the watcher passes it on.
enum Touch {
    Paths(Vec<PathBuf>),
    Rescan,
}

impl Touch {
    fn add_to(self, touched: &mut loader::Touched) {
        match self {
            Touch::Paths(p) => touched.paths.extend(p),
            Touch::Rescan => touched.rescan = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_burst_of_edits_reloads_after_a_quiet_spell_or_at_the_cap() {
        let d = Debounce::WATCH;
        let t0 = std::time::Instant::now();
        let ms = |n| Duration::from_millis(n);
        // One save: 150 ms after it.
        assert_eq!(d.deadline(t0, t0), t0 + ms(150));
        // A second event 100 ms later moves the reload to 150 ms after that one.
        assert_eq!(d.deadline(t0, t0 + ms(100)), t0 + ms(250));
        // Edits every 100 ms forever: the reload still comes 750 ms after the first.
        assert_eq!(d.deadline(t0, t0 + ms(700)), t0 + ms(750));
        assert_eq!(d.deadline(t0, t0 + ms(5_000)), t0 + ms(750));
    }

    #[test]
    fn the_search_cache_runs_a_query_once_and_starts_over_when_full() {
        let cache = SearchCache::default();
        let runs = Cell::new(0);
        let opts = SearchOptions {
            limit: 20,
            offset: 0,
        };
        let run = || {
            runs.set(runs.get() + 1);
            SearchResponse {
                total: runs.get(),
                ..Default::default()
            }
        };
        let a = cache.get_or_run("koji", &opts, run);
        let b = cache.get_or_run("koji", &opts, run);
        assert_eq!((a.total, b.total, runs.get()), (1, 1, 1));
        // Another page is another answer.
        let next = SearchOptions { offset: 20, ..opts };
        assert_eq!(cache.get_or_run("koji", &next, run).total, 2);
        for i in 0..SearchCache::CAPACITY {
            cache.get_or_run(&format!("q{i}"), &opts, run);
        }
        assert!(cache.len() <= SearchCache::CAPACITY);
        assert_eq!(cache.get_or_run("koji", &opts, run).total, runs.get());
    }
}
