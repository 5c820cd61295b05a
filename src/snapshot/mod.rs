//! The snapshot: one catalog and everything derived from it — dependency graph, search index,
//! readiness, observed evidence — built together and never mutated. Both the CLI and the web
//! server read a [`Snapshot`]; this module alone derives one (and, in [`reload`], the next one
//! from the last after an edit). It knows neither axum nor clap.

pub mod cache;
pub mod reload;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::drift::Evidence;
use crate::graph::Graph;
use crate::model::Catalog;
use crate::observed::Observed;
use crate::search::{SearchIndex, SearchOptions, SearchResponse};

pub use cache::SearchCache;
pub use reload::{Broken, Live, ObservedConfig, ReloadPhases, ReloadReport, Served};

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
        self
    }
}

/// What a snapshot derives from its catalog besides the search index.
pub(crate) struct Derived {
    pub(crate) graph: Arc<Graph>,
    pub(crate) readiness: Vec<Option<Arc<crate::score::SystemScore>>>,
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
                let reuse =
                    previous.and_then(|(old, files)| reload::reusable_scores(old, catalog, files));
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
