//! The search answer cache of one snapshot.

use std::sync::Arc;

use crate::search::{SearchOptions, SearchResponse};

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

    pub(crate) fn get_or_run(
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

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
