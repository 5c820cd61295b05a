//! The snapshot: one catalog and everything derived from it — dependency graph, search index,
//! readiness, observed evidence — built together and never mutated. Both the CLI and the web
//! server read a [`Snapshot`]; this module alone derives one (and, in [`reload`], the next one
//! from the last after an edit). It knows neither axum nor clap.

pub mod cache;
mod indexing;
pub mod query;
pub mod reload;
pub mod revision;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use crate::drift::Evidence;
use crate::graph::Graph;
use crate::model::Catalog;
use crate::observed::Observed;
use crate::score::SystemScore;
use crate::search::{SearchIndex, SearchOptions, SearchResponse};

pub use cache::SearchCache;
pub use indexing::{IndexPlan, SearchStatus};
pub use reload::{Broken, Live, ObservedConfig, ReloadPhases, ReloadReport, Served};

/// One catalog and everything derived from it, immutable once built. Each derived part is
/// made at most once: all of them up front for the server ([`Snapshot::build`]), or on first
/// ask for a command that needs only some ([`Snapshot::new`]: `cairn impact` never builds a
/// search index, `cairn search` never a graph).
pub struct Snapshot {
    pub catalog: Catalog,
    /// Shared with the next snapshot when an edit leaves the dependency structure as it was,
    /// and otherwise updated from it ([`Graph::update`]).
    graph: OnceLock<Arc<Graph>>,
    search: OnceLock<SearchIndex>,
    /// Whether the search index is being built in the background ([`indexing`]).
    index_build: indexing::IndexBuild,
    /// Readiness of each system (by index); `None` for systems that are not scored. Shared
    /// with the next snapshot for systems whose score an edit cannot have changed.
    readiness: OnceLock<Vec<Option<Arc<SystemScore>>>>,
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
    rendered: Rendered,
    /// Markdown from the catalog's YAML rendered, by text ([`Snapshot::rendered_text`]).
    rendered_text: Rendered,
    /// The identity of what this snapshot serves ([`Snapshot::revision`]), and the digests it
    /// was made from, for the next snapshot's.
    revision: OnceLock<(String, revision::Memo)>,
    /// Every dependency between two systems, sorted as graph exports list them
    /// ([`Snapshot::dependencies`]).
    dependencies: OnceLock<Vec<crate::export::Dependency>>,
    /// Declared against observed dependencies, made once ([`query::drift`]): every page of
    /// `/api/v1/drift` made it again (2.4 s at 100,000 systems).
    pub(crate) drift: OnceLock<Option<Arc<crate::drift::DriftReport>>>,
}

/// Rendered Markdown by key, each rendered once.
type Rendered = Mutex<std::collections::HashMap<String, Arc<crate::docs::RenderedDoc>>>;

/// `markdown` rendered, from `cache` under `key` when it was already.
fn once(cache: &Rendered, key: &str, markdown: &str) -> Arc<crate::docs::RenderedDoc> {
    let held = |m: &Rendered| {
        m.lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    };
    if let Some(r) = held(cache) {
        return r;
    }
    // Not under the lock: a first rendering can take a while; two first askers both render.
    let r = Arc::new(crate::docs::render(markdown));
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key.to_string(), r.clone());
    r
}

impl Snapshot {
    /// The snapshot of `catalog` with nothing derived yet: each part is derived when first
    /// asked for. What the CLI uses.
    pub fn new(catalog: Catalog) -> Snapshot {
        Snapshot {
            catalog,
            graph: OnceLock::new(),
            search: OnceLock::new(),
            index_build: indexing::IndexBuild::default(),
            readiness: OnceLock::new(),
            loaded_at: SystemTime::now(),
            generation: 0,
            evidence: None,
            observed: None,
            observed_error: None,
            search_cache: SearchCache::default(),
            rendered: Mutex::default(),
            rendered_text: Mutex::default(),
            revision: OnceLock::new(),
            dependencies: OnceLock::new(),
            drift: OnceLock::new(),
        }
    }

    /// The snapshot of `catalog` with every part derived now. What the server swaps in.
    pub fn build(catalog: Catalog, generation: u64) -> anyhow::Result<Snapshot> {
        let search = SearchIndex::build(&catalog)?;
        Ok(Snapshot::with_search(catalog, search, generation))
    }

    /// [`Snapshot::build`] with the search index already built (or updated).
    pub(crate) fn with_search(catalog: Catalog, search: SearchIndex, generation: u64) -> Snapshot {
        let derived = Derived::of(&catalog);
        Snapshot::assemble(catalog, search, derived, generation)
    }

    pub(crate) fn assemble(
        catalog: Catalog,
        search: SearchIndex,
        Derived { graph, readiness }: Derived,
        generation: u64,
    ) -> Snapshot {
        let s = Snapshot {
            generation,
            ..Snapshot::new(catalog)
        };
        let _ = s.graph.set(graph);
        let _ = s.search.set(search);
        let _ = s.readiness.set(readiness);
        s
    }

    /// Derives the graph and the readiness side by side, unless the snapshot holds them; the
    /// search index is built apart ([`Snapshot::index_in_background`] or on first ask).
    pub fn derive_graph_and_readiness(&self) {
        rayon::join(|| self.graph(), || self.readiness());
    }

    /// The dependency graph.
    pub fn graph(&self) -> &Arc<Graph> {
        self.graph
            .get_or_init(|| Arc::new(Graph::build(&self.catalog)))
    }

    /// Makes the search index the one kept in `dir` (reused while the catalog is unchanged),
    /// or one in RAM when `dir` cannot hold it: then says why. Call before the first search.
    pub fn persist_search_in(&self, dir: &Path) -> anyhow::Result<Option<String>> {
        if self.search.get().is_some() {
            return Ok(None);
        }
        let index = SearchIndex::persisted_or_in_ram(&self.catalog, dir)?;
        let fallback = index.fallback().map(str::to_string);
        let _ = self.search.set(index);
        Ok(fallback)
    }

    /// Readiness of every system, by index; `None` for systems that are not scored.
    pub fn readiness(&self) -> &[Option<Arc<SystemScore>>] {
        self.readiness
            .get_or_init(|| Derived::readiness(&self.catalog, None))
    }

    /// Readiness of system `i` (`None` when it is not scored), without scoring every system
    /// when no one asked for them all.
    /// Every dependency between two systems, sorted as graph exports list them, built on the
    /// first request for it: the API's graph pages read it instead of sorting the whole graph
    /// again for every page (0.4 s a page at 100,000 systems; ~40 bytes a dependency). A
    /// narrowed graph keeps the ones between its systems, in the same order.
    pub fn dependencies(&self) -> &[crate::export::Dependency] {
        self.dependencies.get_or_init(|| {
            let all: Vec<usize> = (0..self.catalog.systems.len()).collect();
            crate::export::dependencies(&self.catalog, self.graph(), &all)
        })
    }

    pub fn score(&self, i: usize) -> Option<Arc<SystemScore>> {
        if let Some(all) = self.readiness.get() {
            return all.get(i).cloned().flatten();
        }
        let c = &self.catalog;
        crate::score::is_scored(c.systems.get(i)?).then(|| {
            let sc = crate::score::effective(c).scorecard;
            Arc::new(crate::score::evaluate(c, sc, i))
        })
    }

    /// The catalog's document `path` rendered, once per snapshot: Markdown rendering is the
    /// costliest part of a page, so views after the first read it from here. Call it off the
    /// async workers (`spawn_blocking`): a first rendering of a big doc takes a while.
    pub fn rendered(&self, path: &str) -> Option<Arc<crate::docs::RenderedDoc>> {
        let text = self.catalog.document(path)?;
        Some(once(&self.rendered, path, text))
    }

    /// Markdown written in the catalog's own files (settings description, glossary terms,
    /// onboarding steps) rendered, once per snapshot, like [`Snapshot::rendered`]; call it off
    /// the async workers too.
    pub fn rendered_text(&self, markdown: &str) -> Arc<crate::docs::RenderedDoc> {
        once(&self.rendered_text, markdown, markdown)
    }

    /// Whether `markdown` was already rendered by [`Snapshot::rendered_text`] (for tests that
    /// check a page renders through the cache).
    #[doc(hidden)]
    pub fn has_rendered_text(&self, markdown: &str) -> bool {
        self.rendered_text
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(markdown)
    }

    /// Runs a query through this snapshot's cache.
    pub fn search(&self, query: &str, opts: &SearchOptions) -> anyhow::Result<Arc<SearchResponse>> {
        let index = self.search_index()?;
        Ok(self
            .search_cache
            .get_or_run(query, opts, || index.search(query, opts)))
    }

    /// Attaches observed data, resolved against this snapshot's catalog.
    pub fn with_observed(
        mut self,
        observed: Option<Arc<Observed>>,
        error: Option<String>,
    ) -> Snapshot {
        self.evidence = observed
            .as_deref()
            .map(|o| crate::drift::resolve(&self.catalog, o));
        self.observed = observed;
        self.observed_error = error;
        self.drift = OnceLock::new();
        self
    }

    /// The identity of what this snapshot serves: the same on every replica serving the same
    /// content, different after any change an answer could show ([`revision`]).
    pub fn revision(&self) -> &str {
        &self
            .revision
            .get_or_init(|| revision::of_after(&self.catalog, self.observed.as_deref(), None))
            .0
    }

    /// Makes the revision, hashing again only the systems and docs not shared with `previous`
    /// (which must be the snapshot this one was built from).
    pub(crate) fn revision_after(&self, previous: &Snapshot) -> &str {
        let memo = previous.revision.get().map(|(_, m)| m);
        &self
            .revision
            .get_or_init(|| revision::of_after(&self.catalog, self.observed.as_deref(), memo))
            .0
    }
}

/// What a snapshot derives from its catalog besides the search index.
pub(crate) struct Derived {
    pub(crate) graph: Arc<Graph>,
    pub(crate) readiness: Vec<Option<Arc<SystemScore>>>,
}

impl Derived {
    pub(crate) fn of(catalog: &Catalog) -> Derived {
        Derived::after(catalog, None)
    }

    /// [`Derived::of`], reusing the readiness of `previous` (the snapshot of the catalog before
    /// `changed_files` changed) for systems whose score cannot have changed
    /// ([`reload::reusable_scores`]).
    pub(crate) fn after(
        catalog: &Catalog,
        previous: Option<(&Snapshot, &BTreeSet<String>)>,
    ) -> Derived {
        // The graph and the readiness of every system are independent: built side by side
        // (docs/benchmarks.md, "Incremental reload").
        let (graph, readiness) = rayon::join(
            || match previous {
                Some((old, _)) => Graph::update(old.graph(), &old.catalog, catalog),
                None => Arc::new(Graph::build(catalog)),
            },
            || Derived::readiness(catalog, previous),
        );
        Derived { graph, readiness }
    }

    /// The readiness of every system of `catalog`, shared with `previous` where it cannot
    /// have changed.
    fn readiness(
        catalog: &Catalog,
        previous: Option<(&Snapshot, &BTreeSet<String>)>,
    ) -> Vec<Option<Arc<SystemScore>>> {
        use rayon::prelude::*;
        let scorecard = crate::score::effective(catalog).scorecard;
        let reuse = previous.and_then(|(old, files)| reload::reusable_scores(old, catalog, files));
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
    }
}
