//! The `k` best hits of one segment ([`TopK`]), kept in a heap as the windowed executor offers
//! matches in document order. Self-contained: no other part of `search` is involved.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::{DocId, Score};

/// The `k` best (score, doc) of a segment; among equal scores the lower doc id, as tantivy's
/// `TopDocs` keeps them.
pub(super) struct TopK {
    k: usize,
    heap: BinaryHeap<Worst>,
}

/// Ordered so that the heap's top is the entry to drop first.
struct Worst(Score, DocId);

impl PartialEq for Worst {
    fn eq(&self, o: &Worst) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Worst {}
impl PartialOrd for Worst {
    fn partial_cmp(&self, o: &Worst) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Worst {
    fn cmp(&self, o: &Worst) -> Ordering {
        // Greater = worse: lower score, then higher doc id.
        o.0.total_cmp(&self.0).then(self.1.cmp(&o.1))
    }
}

impl TopK {
    pub(super) fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(1 << 16) + 1),
        }
    }

    #[inline]
    pub(super) fn offer(&mut self, score: Score, doc: DocId) {
        if self.k == 0 {
            return;
        }
        if self.heap.len() < self.k {
            self.heap.push(Worst(score, doc));
        } else if let Some(worst) = self.heap.peek() {
            // Documents arrive in id order: an equal score never displaces an earlier one.
            if score > worst.0 {
                self.heap.pop();
                self.heap.push(Worst(score, doc));
            }
        }
    }

    /// Best first.
    pub(super) fn into_sorted(self) -> Vec<(Score, DocId)> {
        let mut v: Vec<(Score, DocId)> = self.heap.into_iter().map(|w| (w.0, w.1)).collect();
        v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        v
    }
}
