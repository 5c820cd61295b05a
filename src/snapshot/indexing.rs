//! The search index of the server's first snapshot, built after the snapshot is served
//! ([`Snapshot::index_in_background`]): at 100,000 systems the index is two thirds of a cold
//! start, and nothing but search needs it. Until it is built, [`Snapshot::search_status`] says
//! so (the search page and API answer 503 with `Retry-After`), and whoever needs the index
//! itself ([`Snapshot::search_index`]: a reload, the CLI) waits for that one build instead of
//! starting another.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::Snapshot;
use crate::search::SearchIndex;

/// Where a snapshot's search index is, when it is not built yet.
#[derive(Default)]
pub(super) struct IndexBuild {
    state: Mutex<BuildState>,
    finished: Condvar,
}

#[derive(Default)]
enum BuildState {
    /// Nobody started one: the first [`Snapshot::search_index`] builds it (the CLI).
    #[default]
    OnDemand,
    Building {
        since: Instant,
    },
    /// The build failed; the error, for every asker.
    Failed(String),
    /// The index is in the snapshot.
    Built,
}

/// How the server's first search index is built ([`Snapshot::index_in_background`]).
#[derive(Default)]
pub struct IndexPlan {
    /// Kept in this directory and reused while the catalog is unchanged (`--index-dir`); in
    /// RAM when `None`.
    pub dir: Option<PathBuf>,
    /// The build starts once this says so (a message, or its sender dropped): `cairn serve`
    /// opens its doors first, so the build's threads do not slow the last steps before.
    pub after: Option<std::sync::mpsc::Receiver<()>>,
}

/// What [`Snapshot::search_status`] found.
pub enum SearchStatus<'a> {
    Ready(&'a SearchIndex),
    /// Being built in the background for this long.
    Building(Duration),
    /// The background build failed; the next reload builds it again.
    Failed(String),
    /// No one asked for it yet: [`Snapshot::search_index`] builds it.
    NotStarted,
}

impl IndexBuild {
    fn lock(&self) -> std::sync::MutexGuard<'_, BuildState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Snapshot {
    /// The search index without waiting: ready, being built (for how long), failed, or not
    /// started (the first [`Snapshot::search_index`] builds it).
    pub fn search_status(&self) -> SearchStatus<'_> {
        if let Some(index) = self.search.get() {
            return SearchStatus::Ready(index);
        }
        match &*self.index_build.lock() {
            BuildState::Building { since } => SearchStatus::Building(since.elapsed()),
            BuildState::Failed(e) => SearchStatus::Failed(e.clone()),
            BuildState::OnDemand | BuildState::Built => match self.search.get() {
                Some(index) => SearchStatus::Ready(index),
                None => SearchStatus::NotStarted,
            },
        }
    }

    /// [`Snapshot::search_status`] in a word: `"ready"`, `"building"`, `"failed"` or
    /// `"on-demand"`.
    pub fn search_state(&self) -> &'static str {
        match self.search_status() {
            SearchStatus::Ready(_) => "ready",
            SearchStatus::Building(_) => "building",
            SearchStatus::Failed(_) => "failed",
            SearchStatus::NotStarted => "on-demand",
        }
    }

    /// The index if it is built; `None` while it is being built or when its build failed.
    pub fn search_if_built(&self) -> Option<&SearchIndex> {
        self.search.get()
    }

    /// The search index, waiting for the background build when one is running, else built
    /// now (in RAM) when no one built it yet. Never call it on a rayon pool thread while a
    /// build may run: the build needs the pool, and a pool thread blocked here is one fewer.
    pub fn search_index(&self) -> anyhow::Result<&SearchIndex> {
        if let Some(s) = self.search.get() {
            return Ok(s);
        }
        {
            let mut state = self.index_build.lock();
            while matches!(*state, BuildState::Building { .. }) {
                state = self
                    .index_build
                    .finished
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
            }
            if let BuildState::Failed(e) = &*state {
                anyhow::bail!("{e}");
            }
        }
        if let Some(s) = self.search.get() {
            return Ok(s);
        }
        let built = SearchIndex::build(&self.catalog)?;
        Ok(self.search.get_or_init(|| built))
    }

    /// Builds the search index on a thread of its own and puts it into this snapshot: kept in
    /// the plan's directory and reused while the catalog is unchanged (`--index-dir`), or in
    /// RAM; once the plan says go. Logs when it is done. Whoever needs the index meanwhile
    /// waits for this build ([`Snapshot::search_index`]). Does nothing when the snapshot has its index or one is being built.
    pub fn index_in_background(
        self: &Arc<Self>,
        plan: IndexPlan,
    ) -> std::io::Result<Option<std::thread::JoinHandle<()>>> {
        {
            let mut state = self.index_build.lock();
            if self.search.get().is_some() || matches!(*state, BuildState::Building { .. }) {
                return Ok(None);
            }
            *state = BuildState::Building {
                since: Instant::now(),
            };
        }
        let snap = self.clone();
        let spawned = std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || {
                if let Some(after) = plan.after {
                    // A message or a dropped sender: either way, go.
                    let _ = after.recv();
                }
                snap.build_index_now(plan.dir.as_deref())
            });
        match spawned {
            Ok(handle) => Ok(Some(handle)),
            Err(e) => {
                *self.index_build.lock() = BuildState::OnDemand;
                self.index_build.finished.notify_all();
                Err(e)
            }
        }
    }

    fn build_index_now(&self, dir: Option<&std::path::Path>) {
        let started = Instant::now();
        let built = match dir {
            Some(dir) => SearchIndex::persisted_or_in_ram(&self.catalog, dir),
            None => SearchIndex::build(&self.catalog),
        };
        let state = match built {
            Ok(index) => {
                let took = started.elapsed();
                if let Some(why) = index.fallback() {
                    tracing::warn!("{why}");
                }
                if index.was_reused() {
                    tracing::info!(
                        "search index reused from --index-dir (the catalog is unchanged) in {took:.1?}"
                    );
                } else {
                    tracing::info!(
                        documents = index.num_docs(),
                        "search index built in {took:.1?}: {} documents; search answers from now on",
                        index.num_docs()
                    );
                }
                let _ = self.search.set(index);
                BuildState::Built
            }
            Err(e) => {
                tracing::error!(
                    "the search index could not be built: {e:#}; search answers 503 until a reload builds it"
                );
                BuildState::Failed(format!("{e:#}"))
            }
        };
        *self.index_build.lock() = state;
        self.index_build.finished.notify_all();
    }

    /// Marks the search index as being built without building it, so that what is answered
    /// meanwhile can be tested: a search waits, then answers 503.
    #[doc(hidden)]
    pub fn hold_search_index(&self) {
        *self.index_build.lock() = BuildState::Building {
            since: Instant::now(),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Catalog;

    fn catalog() -> Catalog {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
        crate::loader::load(&dir, &Default::default()).expect("the example catalog loads")
    }

    #[test]
    fn whoever_needs_the_index_waits_for_the_background_build() {
        let snap = Arc::new(Snapshot::new(catalog()));
        assert_eq!(snap.search_state(), "on-demand");
        let (go, after) = std::sync::mpsc::channel();
        let plan = IndexPlan {
            dir: None,
            after: Some(after),
        };
        let handle = snap
            .index_in_background(plan)
            .unwrap()
            .expect("a build starts");
        assert_eq!(snap.search_state(), "building");
        // A second start while one runs does nothing.
        let again = snap.index_in_background(IndexPlan::default()).unwrap();
        assert!(again.is_none());
        go.send(()).unwrap();
        let index = snap.search_index().expect("the built index");
        assert!(index.num_docs() > 0);
        handle.join().unwrap();
        assert_eq!(snap.search_state(), "ready");
        assert!(
            std::ptr::eq(index, snap.search_if_built().unwrap()),
            "built once"
        );
    }

    #[test]
    fn a_failed_build_is_reported_to_every_asker() {
        let snap = Arc::new(Snapshot::new(catalog()));
        // A file where the index directory should be: the build falls back to RAM and says
        // why.
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("not-a-directory");
        std::fs::write(&file, "x").unwrap();
        let plan = IndexPlan {
            dir: Some(file),
            after: None,
        };
        snap.index_in_background(plan)
            .unwrap()
            .unwrap()
            .join()
            .unwrap();
        let index = snap.search_index().unwrap();
        assert!(!index.is_persisted());
        assert!(index.fallback().is_some_and(|w| w.contains("held in RAM")));
        // A build that fails outright: every asker gets its error, none builds again.
        let held = Snapshot::new(catalog());
        *held.index_build.lock() = BuildState::Failed("disk on fire".into());
        assert_eq!(held.search_state(), "failed");
        let err = held.search_index().err().expect("the failure").to_string();
        assert!(err.contains("disk on fire"), "{err}");
    }
}
