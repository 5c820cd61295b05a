//! Facet counting: the distinct combinations of facet values documents carry ([`FacetSets`],
//! persisted beside an index), the same combinations split for fast counting ([`FacetSplit`],
//! [`FacetTable`]), the per-segment counter both executors feed ([`FacetSegmentCounter`]) and
//! the tally a response reports.
//!
//! Depends on nothing else in `search`: it sees facets as `(key, value)` strings and documents
//! as ids. [`super::segments`] keeps each segment's pairs; the executors count with them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use tantivy::collector::SegmentCollector;
use tantivy::columnar::ColumnValues;
use tantivy::{DocId, Score, SegmentReader};

/// Facets counted for every response, in this order.
const FACET_KEYS: [&str; 6] = ["kind", "owner", "tier", "domain", "lifecycle", "tag"];

/// Per facet, at most this many values (the most frequent) are reported.
pub const MAX_FACET_VALUES: usize = 50;

/// The distinct combinations of facet values documents carry. Each document stores the id of
/// its combination in the `facet_set` fast column; counting a match set is then one counter
/// increment per match, and the values are added up per combination afterwards. Documents of
/// one system share a few combinations, so this is far cheaper than reading every value of
/// every match.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize)]
pub(super) struct FacetSets {
    /// `(key, value)` pairs, referred to by index.
    pub(super) values: Vec<(String, String)>,
    /// Combination `i` is `members[offsets[i]..offsets[i + 1]]`: indexes into `values`.
    /// (One flat array rather than a vector per combination: summing a large match set walks
    /// it in order.)
    pub(super) offsets: Vec<u32>,
    members: Vec<u32>,
}

impl FacetSets {
    fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// The values of combination `id`; empty for an unknown id.
    fn set(&self, id: usize) -> &[u32] {
        match (self.offsets.get(id), self.offsets.get(id + 1)) {
            (Some(&a), Some(&b)) => self.members.get(a as usize..b as usize).unwrap_or_default(),
            _ => &[],
        }
    }
}

/// Builds [`FacetSets`], handing out combination ids.
#[derive(Default)]
pub(super) struct FacetSetsBuilder {
    pub(super) sets: FacetSets,
    /// Facet key → value → value id (looked up without allocating: a build interns every
    /// document's values).
    value_ids: HashMap<&'static str, HashMap<String, u32>>,
    set_ids: HashMap<Vec<u32>, u64>,
}

impl FacetSetsBuilder {
    /// A builder that goes on from existing combinations (their ids unchanged).
    pub(super) fn from_sets(sets: FacetSets) -> FacetSetsBuilder {
        let mut value_ids: HashMap<&'static str, HashMap<String, u32>> = HashMap::new();
        for (i, (k, v)) in sets.values.iter().enumerate() {
            if let Some(key) = FACET_KEYS.iter().find(|f| **f == k.as_str()) {
                value_ids
                    .entry(*key)
                    .or_default()
                    .insert(v.clone(), i as u32);
            }
        }
        let set_ids = (0..sets.len())
            .map(|i| (sets.set(i).to_vec(), i as u64))
            .collect();
        FacetSetsBuilder {
            sets,
            value_ids,
            set_ids,
        }
    }

    pub(super) fn id(&mut self, facets: &[(&'static str, String)]) -> u64 {
        let mut ids: Vec<u32> = Vec::with_capacity(facets.len());
        for (key, value) in facets {
            let Some(key) = FACET_KEYS.iter().find(|f| *f == key) else {
                continue;
            };
            let of_key = self.value_ids.entry(*key).or_default();
            let id = match of_key.get(value.as_str()) {
                Some(&id) => id,
                None => {
                    let id = self.sets.values.len() as u32;
                    of_key.insert(value.clone(), id);
                    self.sets.values.push((key.to_string(), value.clone()));
                    id
                }
            };
            ids.push(id);
        }
        ids.sort_unstable();
        ids.dedup();
        if let Some(&id) = self.set_ids.get(ids.as_slice()) {
            return id;
        }
        let id = self.sets.len() as u64;
        if self.sets.offsets.is_empty() {
            self.sets.offsets.push(0);
        }
        self.sets.members.extend(&ids);
        self.sets.offsets.push(self.sets.members.len() as u32);
        self.set_ids.insert(ids, id);
        id
    }
}

/// [`FacetSets`] and the same combinations arranged for counting ([`FacetSplit`]).
pub(super) struct FacetTable {
    pub(super) sets: FacetSets,
    pub(super) split: FacetSplit,
}

impl FacetTable {
    pub(super) fn new(sets: FacetSets) -> FacetTable {
        let split = FacetSplit::new(&sets);
        FacetTable { sets, split }
    }
}

/// "No value" / "no combination" in a [`FacetSplit`] pair.
const NONE: u32 = u32::MAX;

/// The facet combinations split in two for counting: a combination's owner (one value among
/// thousands, so combinations are about as many as systems) and the rest of its values (kind,
/// tier, lifecycle, domain, tags: a few thousand distinct "rest" combinations at 100,000
/// systems). A match then costs two increments in small, cache-resident arrays (matches per
/// owner, matches per rest combination), and each rest combination's values are added up once
/// per query, instead of walking each match's whole combination in a table of millions of
/// entries, which dominated queries with many matches (docs/benchmarks.md).
///
/// Append-only like [`FacetSets`]: built in combination order, so the pairs of existing
/// combinations never change when combinations are added (segments keep their
/// [`SegmentExtras`](super::segments::SegmentExtras) across incremental updates).
#[derive(Debug, Default)]
pub(super) struct FacetSplit {
    /// Per combination: `[owner value, rest combination]`, [`NONE`] where absent.
    by_set: Vec<[u32; 2]>,
    /// Rest combination `i` is `rest_members[rest_offsets[i]..rest_offsets[i + 1]]`.
    rest_offsets: Vec<u32>,
    rest_members: Vec<u32>,
}

impl FacetSplit {
    fn new(sets: &FacetSets) -> FacetSplit {
        let mut split = FacetSplit {
            by_set: Vec::with_capacity(sets.len()),
            rest_offsets: vec![0],
            rest_members: Vec::new(),
        };
        let mut rest_ids: HashMap<Vec<u32>, u32> = HashMap::new();
        for id in 0..sets.len() {
            let mut owner = NONE;
            let mut rest = Vec::new();
            for &v in sets.set(id) {
                let is_owner = sets
                    .values
                    .get(v as usize)
                    .is_some_and(|(k, _)| k == "owner");
                if is_owner && owner == NONE {
                    owner = v;
                } else {
                    rest.push(v);
                }
            }
            let rest_id = if rest.is_empty() {
                NONE
            } else {
                let next = rest_ids.len() as u32;
                let id = *rest_ids.entry(rest.clone()).or_insert(next);
                if id == next {
                    split.rest_members.extend(&rest);
                    split.rest_offsets.push(split.rest_members.len() as u32);
                }
                id
            };
            split.by_set.push([owner, rest_id]);
        }
        split
    }

    fn rests(&self) -> usize {
        self.rest_offsets.len().saturating_sub(1)
    }

    /// The pair of combination `set`; `[NONE, NONE]` for an unknown one.
    fn pair(&self, set: u32) -> [u32; 2] {
        self.by_set
            .get(set as usize)
            .copied()
            .unwrap_or([NONE, NONE])
    }

    /// The values of rest combination `id`.
    fn rest(&self, id: usize) -> &[u32] {
        match (self.rest_offsets.get(id), self.rest_offsets.get(id + 1)) {
            (Some(&a), Some(&b)) => self
                .rest_members
                .get(a as usize..b as usize)
                .unwrap_or_default(),
            _ => &[],
        }
    }
}

pub(super) struct FacetSegmentCounter {
    pairs: Arc<[[u32; 2]]>,
    counts: SetCounts,
}

impl FacetSegmentCounter {
    pub(super) fn new(table: &FacetTable, pairs: Arc<[[u32; 2]]>) -> FacetSegmentCounter {
        let counts = SetCounts {
            total: 0,
            per_value: vec![0; table.sets.values.len()],
            per_rest: vec![0; table.split.rests()],
        };
        FacetSegmentCounter { pairs, counts }
    }

    /// Two increments, no branch on the previous match: counting runs of equal pairs was
    /// slower, the run test being unpredictable when matches are a few documents apart.
    #[inline]
    pub(super) fn count(&mut self, doc: DocId) {
        self.counts.total += 1;
        let Some(&pair) = self.pairs.get(doc as usize) else {
            return;
        };
        let [owner, rest] = pair;
        if let Some(n) = self.counts.per_value.get_mut(owner as usize) {
            *n += 1;
        }
        if let Some(n) = self.counts.per_rest.get_mut(rest as usize) {
            *n += 1;
        }
    }
}

/// Each document's split facet combination ([`FacetSplit::pair`] of its `facet_set`).
pub(super) fn segment_facet_pairs(reader: &SegmentReader, split: &FacetSplit) -> Arc<[[u32; 2]]> {
    let max = reader.max_doc();
    let mut out = vec![[NONE, NONE]; max as usize];
    if let Ok(column) = reader.fast_fields().u64("facet_set") {
        let column = column.first_or_default_col(u64::MAX);
        let docs: Vec<DocId> = (0..max).collect();
        let mut vals = vec![u64::MAX; 4096];
        for (chunk, into) in docs.chunks(4096).zip(out.chunks_mut(4096)) {
            let vals = &mut vals[..chunk.len()];
            column.get_vals(chunk, vals);
            for (o, v) in into.iter_mut().zip(vals.iter()) {
                *o = split.pair(u32::try_from(*v).unwrap_or(NONE));
            }
        }
    }
    out.into()
}

/// The number of matches and, per facet value (an index into [`FacetSets::values`]), how many
/// of them carry it. Sized by the number of distinct values (thousands), never by the number of
/// documents or combinations, so a query with few matches allocates little.
#[derive(Debug, Default)]
pub(super) struct SetCounts {
    pub(super) total: usize,
    /// Matches per facet value: the owners directly, the rest once [`FacetTable::merged`].
    per_value: Vec<u32>,
    /// Matches per rest combination ([`FacetSplit`]), not yet added to `per_value`: segments
    /// merge these, and the query expands them once.
    per_rest: Vec<u32>,
}

impl SetCounts {
    fn merge(mut self, other: SetCounts) -> SetCounts {
        self.total += other.total;
        for (into, from) in [
            (&mut self.per_value, other.per_value),
            (&mut self.per_rest, other.per_rest),
        ] {
            if into.len() < from.len() {
                into.resize(from.len(), 0);
            }
            for (into, n) in into.iter_mut().zip(from) {
                *into += n;
            }
        }
        self
    }
}

impl FacetTable {
    /// Every segment's counts merged, and the rest combinations added to their values.
    pub(super) fn merged(&self, fruits: impl IntoIterator<Item = SetCounts>) -> SetCounts {
        let mut counts = fruits
            .into_iter()
            .reduce(SetCounts::merge)
            .unwrap_or_default();
        if counts.per_value.len() < self.sets.values.len() {
            counts.per_value.resize(self.sets.values.len(), 0);
        }
        for (rest, &n) in counts.per_rest.iter().enumerate() {
            if n == 0 {
                continue;
            }
            for &v in self.split.rest(rest) {
                if let Some(into) = counts.per_value.get_mut(v as usize) {
                    *into += n;
                }
            }
        }
        counts.per_rest = Vec::new();
        counts
    }
}

impl SegmentCollector for FacetSegmentCounter {
    type Fruit = SetCounts;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.count(doc);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for &doc in docs {
            self.count(doc);
        }
    }

    fn harvest(self) -> SetCounts {
        self.counts
    }
}

impl FacetSets {
    /// Matches per combination → matches per facet value: for each key, the
    /// [`MAX_FACET_VALUES`] most frequent values.
    pub(super) fn tally(&self, counts: &SetCounts) -> BTreeMap<String, BTreeMap<String, u64>> {
        let per_value = counts.per_value.iter().map(|&n| u64::from(n));
        let seen = per_value
            .into_iter()
            .enumerate()
            .filter(|(_, n)| *n > 0)
            .map(|(v, n)| (v as u32, n));
        let mut by_key: BTreeMap<&str, Vec<(u64, &str)>> = BTreeMap::new();
        for (v, n) in seen {
            if let Some((key, value)) = self.values.get(v as usize) {
                by_key.entry(key).or_default().push((n, value));
            }
        }
        let mut out = empty_tally();
        for (key, mut values) in by_key {
            if values.len() > MAX_FACET_VALUES {
                values.select_nth_unstable_by(MAX_FACET_VALUES - 1, |a, b| {
                    b.0.cmp(&a.0).then(a.1.cmp(b.1))
                });
                values.truncate(MAX_FACET_VALUES);
            }
            if let Some(into) = out.get_mut(key) {
                into.extend(values.into_iter().map(|(n, v)| (v.to_string(), n)));
            }
        }
        out
    }
}

pub(super) fn empty_tally() -> BTreeMap<String, BTreeMap<String, u64>> {
    FACET_KEYS
        .iter()
        .map(|k| (k.to_string(), BTreeMap::new()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A segment counter over documents with the combinations `ids` (by document).
    fn counter(table: &Arc<FacetTable>, ids: &[u32]) -> FacetSegmentCounter {
        let pairs: Arc<[[u32; 2]]> = ids.iter().map(|&id| table.split.pair(id)).collect();
        FacetSegmentCounter::new(table, pairs)
    }

    #[test]
    fn set_counts_merge_and_skip_unknown_combinations() {
        let mut b = FacetSetsBuilder::default();
        let x = b.id(&[("kind", "system".to_string()), ("tag", "a".to_string())]) as u32;
        let y = b.id(&[("kind", "doc".to_string()), ("tag", "a".to_string())]) as u32;
        let table = Arc::new(FacetTable::new(b.sets));
        // Segment one: x and a document without a combination; segment two: y twice.
        let mut one = counter(&table, &[x, u32::MAX]);
        one.collect_block(&[0, 1]);
        let mut two = counter(&table, &[y, y]);
        two.collect_block(&[0, 1]);
        let merged = table.merged([one.harvest(), two.harvest()]);
        assert_eq!(merged.total, 4);
        let tally = table.sets.tally(&merged);
        assert_eq!(tally["kind"]["system"], 1);
        assert_eq!(tally["kind"]["doc"], 2);
        assert_eq!(tally["tag"]["a"], 3);
    }

    #[test]
    fn matches_count_per_value_in_blocks_and_one_by_one() {
        let mut b = FacetSetsBuilder::default();
        let x = b.id(&[("kind", "system".to_string()), ("owner", "qa".to_string())]) as u32;
        let y = b.id(&[("kind", "doc".to_string())]) as u32;
        let table = Arc::new(FacetTable::new(b.sets));
        // Documents 0..8 with combinations x x y y y x (none) x.
        let mut c = counter(&table, &[x, x, y, y, y, x, u32::MAX, x]);
        c.collect_block(&[0, 1, 2, 4]);
        c.collect(5, 0.0);
        c.collect(6, 0.0);
        c.collect(7, 0.0);
        c.collect(99, 0.0); // beyond the segment: counted as a match, no values
        let counts = table.merged([c.harvest()]);
        assert_eq!(counts.total, 8);
        let tally = table.sets.tally(&counts);
        assert_eq!(tally["kind"]["system"], 4);
        assert_eq!(tally["owner"]["qa"], 4);
        assert_eq!(tally["kind"]["doc"], 2);
    }

    #[test]
    fn the_split_keeps_its_pairs_when_combinations_are_added() {
        let owners = ["a", "b", "c"];
        let mut b = FacetSetsBuilder::default();
        let mut ids = Vec::new();
        for (i, o) in owners.iter().enumerate() {
            let tier = (i % 2).to_string();
            ids.push(b.id(&[
                ("kind", "system".to_string()),
                ("owner", o.to_string()),
                ("tier", tier),
            ]) as u32);
        }
        let before = FacetSplit::new(&b.sets);
        // Owners a and c share the rest of their values: one rest combination for both.
        assert_eq!(before.rests(), 2);
        assert_eq!(before.pair(ids[0])[1], before.pair(ids[2])[1]);
        assert_ne!(before.pair(ids[0])[0], before.pair(ids[2])[0]);
        let mut more = FacetSetsBuilder::from_sets(b.sets);
        more.id(&[("kind", "api".to_string()), ("owner", "d".to_string())]);
        let after = FacetSplit::new(&more.sets);
        for &id in &ids {
            assert_eq!(before.pair(id), after.pair(id), "combination {id}");
        }
        assert_eq!(after.rests(), 3);
        assert_eq!(after.pair(999), [NONE, NONE]);
    }

    #[test]
    fn facet_sets_intern_values_and_combinations() {
        let mut b = FacetSetsBuilder::default();
        let sys = vec![("kind", "system".to_string()), ("owner", "qa".to_string())];
        let a = b.id(&sys);
        let team = vec![("kind", "team".to_string()), ("team", "qa".to_string())];
        let t = b.id(&team);
        assert_eq!(b.id(&sys), a);
        assert_ne!(a, t);
        let sets = b.sets;
        assert_eq!(sets.len(), 2);
        let names = |id: u64| -> Vec<String> {
            sets.set(id as usize)
                .iter()
                .map(|&v| {
                    format!(
                        "{}:{}",
                        sets.values[v as usize].0, sets.values[v as usize].1
                    )
                })
                .collect()
        };
        assert_eq!(names(a), ["kind:system", "owner:qa"]);
        assert_eq!(names(t), ["kind:team"], "team: is for filtering only");
        assert!(sets.set(99).is_empty());
        let table = Arc::new(FacetTable::new(sets));
        let mut c = counter(&table, &[a as u32, a as u32, t as u32]);
        c.collect_block(&[0, 1, 2]);
        let tally = table.sets.tally(&table.merged([c.harvest()]));
        assert_eq!(tally["kind"]["system"], 2);
        assert_eq!(tally["kind"]["team"], 1);
        assert_eq!(tally["owner"]["qa"], 2);
        assert!(tally["tag"].is_empty());
    }
}
