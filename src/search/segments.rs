//! What a query needs from each segment beyond tantivy's own structures ([`SegmentExtras`]):
//! every document's split facet combination and a merged term dictionary for typo and prefix
//! expansion ([`SegmentDictionary`]); and the tantivy collector that counts facets with them
//! ([`FacetCounter`]).
//!
//! Its own file because both the facet counting and the query planner read it: it sits above
//! [`schema`](mod@super::schema) and [`super::facets`], below [`super::plan`] and
//! [`super::window`].

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::collector::Collector;
use tantivy::{SegmentOrdinal, SegmentReader};

use super::facets::{segment_facet_pairs, FacetSegmentCounter, FacetSplit, FacetTable, SetCounts};
use super::schema::{Fields, TEXT_FIELDS};

/// Per-segment additions, keyed by segment id.
pub(super) type Extras = HashMap<tantivy::index::SegmentId, Arc<SegmentExtras>>;

/// What a query needs from a segment beyond tantivy's own structures; built once per segment
/// (segments never change once written).
pub(super) struct SegmentExtras {
    /// Each document's facet combination, split for counting ([`segment_facet_pairs`]).
    pub(super) facet_pairs: Arc<[[u32; 2]]>,
    pub(super) dictionary: SegmentDictionary,
}

impl SegmentExtras {
    pub(super) fn build(
        reader: &SegmentReader,
        fields: &Fields,
        split: &FacetSplit,
    ) -> SegmentExtras {
        SegmentExtras {
            facet_pairs: segment_facet_pairs(reader, split),
            dictionary: SegmentDictionary::build(reader, fields),
        }
    }
}

/// The terms of all the text fields of one segment in one FST, each with its document
/// frequency per field: a typo or prefix expansion walks one automaton over it instead of one
/// per field.
pub(super) struct SegmentDictionary {
    /// term → index into `doc_freqs`.
    pub(super) terms: tantivy_fst::Map<Vec<u8>>,
    /// Documents containing the term, per text field (0: not in that field).
    pub(super) doc_freqs: Vec<[u32; TEXT_FIELDS]>,
}

impl SegmentDictionary {
    fn build(reader: &SegmentReader, fields: &Fields) -> SegmentDictionary {
        let mut all: Vec<(Vec<u8>, usize, u32)> = Vec::new();
        for (i, (field, _)) in fields.text_fields().iter().enumerate() {
            let Ok(inverted) = reader.inverted_index(*field) else {
                continue;
            };
            let Ok(mut stream) = inverted.terms().stream() else {
                continue;
            };
            while stream.advance() {
                all.push((stream.key().to_vec(), i, stream.value().doc_freq));
            }
        }
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut keys: Vec<(Vec<u8>, u64)> = Vec::new();
        let mut doc_freqs: Vec<[u32; TEXT_FIELDS]> = Vec::new();
        for (key, field, df) in all {
            if keys.last().map(|(k, _)| k) != Some(&key) {
                keys.push((key, doc_freqs.len() as u64));
                doc_freqs.push([0; TEXT_FIELDS]);
            }
            if let Some(last) = doc_freqs.last_mut() {
                last[field] = df;
            }
        }
        let terms = tantivy_fst::Map::from_iter(keys).unwrap_or_else(|_| {
            // Keys are sorted and unique, so this cannot fail; an empty map degrades to
            // exact-word matching.
            tantivy_fst::Map::from_iter(std::iter::empty::<(Vec<u8>, u64)>())
                .expect("an empty map is always valid")
        });
        SegmentDictionary { terms, doc_freqs }
    }
}

/// Counts the match set and, per facet key, how many matches carry each value.
pub(super) struct FacetCounter<'a> {
    pub(super) table: &'a Arc<FacetTable>,
    /// Per segment, each document's split combination.
    pub(super) extras: &'a Extras,
}

impl Collector for FacetCounter<'_> {
    type Fruit = SetCounts;
    type Child = FacetSegmentCounter;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCounter> {
        let pairs = match self.extras.get(&reader.segment_id()) {
            Some(e) => e.facet_pairs.clone(),
            None => segment_facet_pairs(reader, &self.table.split),
        };
        Ok(FacetSegmentCounter::new(self.table, pairs))
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<SetCounts>) -> tantivy::Result<SetCounts> {
        Ok(self.table.merged(fruits))
    }
}
