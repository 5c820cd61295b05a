//! Writing the index: the full build's two passes over the catalog ([`write_entries`]), the
//! `rank` spacing that leaves room for later insertions ([`RANK_GAP`]), and the incremental
//! update between two catalog snapshots ([`SearchUpdater`]).
//!
//! Uses [`super::entries`] for the documents, [`super::facets`] for their combinations and
//! [`schema`](mod@super::schema). The one file that also uses `mod.rs`: it knows
//! [`SearchIndex`]'s fields, because making the next snapshot's index (and an updater from the
//! current one) is its job.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use rayon::prelude::*;
use tantivy::{Index, ReloadPolicy, TantivyDocument, Term};

use super::entries::{
    doc_entries, doc_owners, rank_key, system_entries, team_entry, Entry, Facets, Kind, RankKey,
    Sources,
};
use super::facets::{FacetSets, FacetSetsBuilder, FacetTable};
use super::schema::{analyzer, Fields};
use super::segments::Extras;
use super::SearchIndex;
use crate::model::Catalog;

/// Brings an in-RAM index from one catalog snapshot to the next by deleting the documents of
/// every entity that changed (one `group` term each) and adding their new versions, then
/// committing. Held by the server between reloads; each [`SearchUpdater::apply`] returns a
/// new [`SearchIndex`] with its own reader, so snapshots built earlier keep searching what
/// they were built with.
///
/// What an update must keep equal to a full build: the documents (from the same entry
/// builders), the `rank` order (new documents get a rank between their neighbours' in a map
/// of every document's sort key; documents are spaced [`RANK_GAP`] apart by a full build) and
/// the facet combinations (new ones are appended; ids are private to each snapshot).
/// When it cannot (a gap used up, a name declared twice), `apply` returns `None` and the
/// caller builds the index from scratch.
pub struct SearchUpdater {
    index: Index,
    writer: tantivy::IndexWriter<TantivyDocument>,
    fields: Fields,
    ranks: BTreeMap<RankKey, u64>,
    sets: FacetSetsBuilder,
    /// The segment additions of the latest index, so unchanged segments keep theirs.
    extras: Extras,
    /// The latest index's facet table, shared with the next one when no document brought a
    /// new combination of facets (the usual edit).
    table: Arc<FacetTable>,
    persisted: bool,
    fallback: Option<Arc<str>>,
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

/// What one [`SearchUpdater::apply`] did.
#[derive(Debug, Default, Clone, Copy)]
pub struct UpdateStats {
    /// Entities (systems, teams, docs) whose documents were replaced.
    pub groups: usize,
    pub deleted: usize,
    pub added: usize,
}

impl SearchIndex {
    /// An updater for this index, which was built from `c` by [`SearchIndex::build`]. Costs
    /// about a tenth of a build (every entry is made again for its sort key).
    pub fn updater(&self, c: &Catalog) -> anyhow::Result<Option<SearchUpdater>> {
        let index = self.reader.searcher().index().clone();
        let sources = Sources::of(c);
        let keys: Vec<RankKey> = sources
            .chunks()
            .flat_map(|chunk| {
                sources
                    .keys(c, chunk)
                    .iter()
                    .map(rank_key)
                    .collect::<Vec<_>>()
            })
            .collect();
        let rank = ranks(&keys);
        let mut map = BTreeMap::new();
        for (key, r) in keys.into_iter().zip(rank) {
            if map.insert(key, r).is_some() {
                // Two documents sort equal: only a full build orders them.
                return Ok(None);
            }
        }
        let writer = index
            .writer_with_num_threads::<TantivyDocument>(1, 20 << 20)
            .context("starting the search index writer")?;
        Ok(Some(SearchUpdater {
            index,
            writer,
            fields: self.fields,
            ranks: map,
            sets: FacetSetsBuilder::from_sets(self.facets.sets.clone()),
            extras: self.segments.read().map(|e| e.clone()).unwrap_or_default(),
            table: self.facets.clone(),
            persisted: self.persisted,
            fallback: self.fallback.clone(),
            in_flight: self.in_flight.clone(),
        }))
    }
}

impl SearchUpdater {
    /// Updates the index from `old` (the catalog the index holds) to `new`. `changed_files`
    /// are the catalog files read again, added or removed; `changed_docs` the doc paths whose
    /// text changed. Entities from other files are unchanged. Returns the new index, or `None`
    /// when only a full build gives the right result (the updater is then spent).
    pub fn apply(
        &mut self,
        old: &Catalog,
        new: &Catalog,
        changed_files: &std::collections::BTreeSet<String>,
        changed_docs: &std::collections::BTreeSet<String>,
    ) -> anyhow::Result<Option<(SearchIndex, UpdateStats)>> {
        use rustc_hash::{FxHashMap, FxHashSet as HashSet};
        // Candidate entities: those declared in a changed file, before or after.
        let mut systems: HashSet<&str> = HashSet::default();
        let mut teams: HashSet<&str> = HashSet::default();
        for c in [old, new] {
            for s in &c.systems {
                if changed_files.contains(c.file_path(s.loc.file)) {
                    systems.insert(&s.name.value);
                }
            }
            for t in &c.teams {
                if changed_files.contains(c.file_path(t.loc.file)) {
                    teams.insert(&t.name.value);
                }
            }
        }
        // A name declared twice has two groups of documents under one term.
        for c in [old, new] {
            let mut seen: HashSet<&str> = HashSet::default();
            for s in c.systems.iter().map(|s| s.name.value.as_str()) {
                if systems.contains(s) && !seen.insert(s) {
                    return Ok(None);
                }
            }
            seen.clear();
            for t in c.teams.iter().map(|t| t.name.value.as_str()) {
                if teams.contains(t) && !seen.insert(t) {
                    return Ok(None);
                }
            }
        }
        // Docs: changed text, a different owner, or an owner that changed. A doc's owner is
        // the first system listing it; only a doc a candidate system lists (before or after)
        // can have another owner, as the other systems keep their order.
        let mut paths: HashSet<&str> = changed_docs.iter().map(String::as_str).collect();
        for c in [old, new] {
            for name in &systems {
                if let Some(s) = c.system(name) {
                    paths.extend(c.doc_paths(s));
                }
            }
        }
        let owners = |c: &'_ Catalog| -> FxHashMap<String, (String, bool)> {
            if paths.is_empty() {
                return FxHashMap::default();
            }
            doc_owners(c, Some(&paths))
                .into_iter()
                .map(|(s, p, rb)| (p.to_string(), (s.name.value.clone(), rb)))
                .collect()
        };
        let (old_owners, new_owners) = (owners(old), owners(new));
        let mut docs: HashSet<&str> = changed_docs.iter().map(String::as_str).collect();
        for (a, b) in [(&old_owners, &new_owners), (&new_owners, &old_owners)] {
            for (p, o) in a {
                if b.get(p) != Some(o) || systems.contains(o.0.as_str()) {
                    docs.insert(p);
                }
            }
        }

        // Old and new documents of each candidate group.
        let sys_entries = |c: &Catalog, name: &str| -> Vec<Entry> {
            c.system(name).map(system_entries).unwrap_or_default()
        };
        let team_entries = |c: &Catalog, name: &str| -> Vec<Entry> {
            c.team(name).map(team_entry).into_iter().collect()
        };
        let doc_group =
            |c: &Catalog, owners: &FxHashMap<String, (String, bool)>, path: &str| match owners
                .get(path)
                .and_then(|(o, rb)| Some((c.system(o)?, *rb)))
            {
                Some((s, rb)) => doc_entries(c, s, path, rb),
                None => Vec::new(),
            };
        let mut groups: Vec<(String, Vec<Entry>, Vec<Entry>)> = Vec::new();
        for n in &systems {
            groups.push((format!("s:{n}"), sys_entries(old, n), sys_entries(new, n)));
        }
        for n in &teams {
            groups.push((format!("t:{n}"), team_entries(old, n), team_entries(new, n)));
        }
        for p in &docs {
            groups.push((
                format!("d:{p}"),
                doc_group(old, &old_owners, p),
                doc_group(new, &new_owners, p),
            ));
        }
        groups.retain(|(_, before, after)| before != after);
        groups.sort_by(|a, b| a.0.cmp(&b.0));

        let mut stats = UpdateStats {
            groups: groups.len(),
            ..UpdateStats::default()
        };
        for (key, before, _) in &groups {
            for e in before {
                if self.ranks.remove(&rank_key(e)).is_none() {
                    return Ok(None);
                }
            }
            stats.deleted += before.len();
            self.writer
                .delete_term(Term::from_field_text(self.fields.group, key));
        }
        for (_, _, after) in &groups {
            for e in after {
                let key = rank_key(e);
                if self.ranks.contains_key(&key) {
                    return Ok(None);
                }
                let below = self.ranks.range(..&key).next_back().map_or(0, |(_, &r)| r);
                let rank = match self.ranks.range(&key..).next() {
                    Some((_, &above)) if above - below >= 2 => below + (above - below) / 2,
                    Some(_) => return Ok(None),
                    None => match below.checked_add(RANK_GAP) {
                        Some(r) => r,
                        None => return Ok(None),
                    },
                };
                self.ranks.insert(key, rank);
                let mut facets = Vec::with_capacity(e.facets.len() + 1);
                facets.push(("kind", e.kind().as_str().to_string()));
                facets.extend(e.facets.iter().cloned());
                let set = self.sets.id(&facets);
                self.writer
                    .add_document(e.to_document(&self.fields, rank, set))?;
                stats.added += 1;
            }
        }
        self.writer.commit()?;
        let (now, was) = (&self.sets.sets, &self.table.sets);
        if (now.values.len(), now.offsets.len()) != (was.values.len(), was.offsets.len()) {
            self.table = Arc::new(FacetTable::new(now.clone()));
        }
        let reader = self
            .index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .context("opening a search index reader")?;
        let index = SearchIndex {
            reader,
            fields: self.fields,
            facets: self.table.clone(),
            segments: std::sync::RwLock::new(std::mem::take(&mut self.extras)),
            analyzer: analyzer(),
            reused: false,
            // Updated where the index it came from lives.
            persisted: self.persisted,
            fallback: self.fallback.clone(),
            in_flight: self.in_flight.clone(),
        };
        // Only the new segments are read; the map then holds just the current ones.
        self.extras = index.extras(&index.reader.searcher());
        Ok(Some((index, stats)))
    }
}

/// Worker threads for indexing and searching: the machine's cores, at most 8 (tantivy's limit).
pub(super) fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
}

/// Writes every entry of the catalog with a parallel writer and commits (with `payload`).
/// `before_commit` sees the facet combinations before the commit makes the index visible.
pub(super) fn write_entries(
    index: &Index,
    f: &Fields,
    c: &Catalog,
    payload: Option<&str>,
    before_commit: impl FnOnce(&FacetSets) -> anyhow::Result<()>,
) -> anyhow::Result<FacetSets> {
    // Two passes over the catalog's entries, a chunk at a time: the first keeps only each
    // entry's sort key and facet combination (the ranks need every key), the second makes the
    // documents. Holding every entry at once was most of the memory of a build
    // (docs/benchmarks.md).
    let sources = Sources::of(c);
    let mut sets = FacetSetsBuilder::default();
    let mut keys: Vec<RankKey> = Vec::new();
    let mut set_ids: Vec<u64> = Vec::new();
    let mut text_bytes = 0usize;
    for chunk in sources.chunks() {
        // Each entry reduced to what this pass keeps, on every core; the facet combinations
        // are then numbered in order.
        let kept: Vec<(Facets, RankKey, usize)> = sources
            .keys(c, chunk)
            .into_par_iter()
            .map(|mut e| {
                let mut facets = Vec::with_capacity(e.facets.len() + 1);
                facets.push(("kind", e.kind().as_str().to_string()));
                facets.append(&mut e.facets);
                (facets, rank_key(&e), text_estimate(&e))
            })
            .collect();
        for (facets, key, bytes) in kept {
            set_ids.push(sets.id(&facets));
            text_bytes += bytes;
            keys.push(key);
        }
    }
    let sets = sets.sets;
    let rank = ranks(&keys);
    drop(keys);

    let threads = cores();
    // Enough arena that a catalog's text fits without many small segments, bounded so a huge
    // catalog does not take all the memory; tantivy needs at least 15 MB per thread.
    let per_thread = (text_bytes.saturating_mul(4) / threads).clamp(20 << 20, 256 << 20);
    let mut writer = index
        .writer_with_num_threads::<TantivyDocument>(threads, per_thread * threads)
        .context("starting the search index writer")?;
    writer.delete_all_documents()?;
    // Made again and converted in parallel a chunk at a time, so neither the entries nor the
    // documents ever all exist at once.
    let mut at = 0;
    for chunk in sources.chunks() {
        let entries = sources.entries(c, chunk);
        let n = entries.len();
        let (Some(ranks), Some(set_ids)) = (rank.get(at..at + n), set_ids.get(at..at + n)) else {
            anyhow::bail!("the catalog's search entries changed between two passes");
        };
        at += n;
        let docs: Vec<TantivyDocument> = entries
            .par_iter()
            .zip(ranks.par_iter())
            .zip(set_ids.par_iter())
            .map(|((e, &r), &set)| e.to_document(f, r, set))
            .collect();
        for d in docs {
            writer.add_document(d)?;
        }
    }
    before_commit(&sets)?;
    let mut prepared = writer.prepare_commit()?;
    if let Some(p) = payload {
        prepared.set_payload(p);
    }
    prepared.commit()?;
    writer
        .wait_merging_threads()
        .context("finishing search index merges")?;
    Ok(sets)
}

/// About the text a document made from `e` (a [`Detail::Keys`] entry) holds, to size the
/// writer's memory: a doc section's text, and for the rest a typical body and description
/// (about 90 bytes in the generated catalogs, whose documents average 210 bytes in all).
fn text_estimate(e: &Entry) -> usize {
    const BODY: usize = 90;
    let body = if e.kind() == Kind::Doc {
        e.body.len()
    } else {
        BODY
    };
    body + e.title.len() + 64
}

/// Spacing of ranks: room for documents an incremental update inserts between two.
const RANK_GAP: u64 = 1 << 20;

/// Rank of each entry: its position in (kind, name) order (catalog order among equals), times
/// [`RANK_GAP`]. Documents keep catalog order.
fn ranks(keys: &[RankKey]) -> Vec<u64> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.par_sort_unstable_by(|&a, &b| (&keys[a], a).cmp(&(&keys[b], b)));
    let mut rank = vec![0u64; keys.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = (r as u64 + 1) * RANK_GAP;
    }
    rank
}
