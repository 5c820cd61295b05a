//! Full-text search over a catalog snapshot: systems, APIs, endpoints, teams and doc sections.
//!
//! [`SearchIndex::build`] indexes a [`Catalog`] into a tantivy index in RAM;
//! [`SearchIndex::open_or_build`] keeps it in a directory and reuses it while the catalog's
//! fingerprint is unchanged. [`SearchIndex::search`] parses Cairn's own small query language
//! (words, "phrases", `-exclusions`, `OR`, `key:value` filters) and builds tantivy queries
//! programmatically: user text never reaches tantivy's `QueryParser`, and no query string makes
//! a search fail or panic. Typo tolerance and prefix matching expand each word against the term
//! dictionary, so every match is scored with BM25 and exact matches outrank fuzzy ones.
//!
//! The index is derived data: it is never edited in place. A new catalog snapshot gets a new
//! index. This module does no HTTP and never prints.
//!
//! One concern per file. Each file uses only files listed above it (named in parentheses), so
//! there is no cycle among them; `mod.rs` uses them all:
//!
//! - `schema.rs`: the index layout — fields, the analyzer, field boosts, the facet term
//!   format. Uses no other file.
//! - `entries.rs`: the documents a catalog yields, their sort keys and the catalog's
//!   fingerprint (schema).
//! - `query.rs`: the query language, parsed into analyzed tokens (schema).
//! - `facets.rs`: facet combinations and how matches are counted per value. Uses no other file.
//! - `segments.rs`: what each segment adds (facet pairs, a merged term dictionary) and the
//!   facet-counting collector over them (schema, facets).
//! - `plan.rs`: a parsed query expanded into dictionary terms and scored alike by both
//!   executors, the ranking constants, the rescoring by kind, `Spread` (schema, query,
//!   segments).
//! - `snippets.rs`: result snippets, plain text with highlight ranges (schema).
//! - `window.rs` (with `window/topk.rs`): the windowed executor for word queries (schema,
//!   facets, segments, plan).
//! - `update.rs`: the full build's writer and the incremental [`SearchUpdater`] (schema,
//!   entries, facets, segments). It makes the next snapshot's [`SearchIndex`], so it is the
//!   one file that also uses `mod.rs`.
//! - `mod.rs`: the public API ([`SearchIndex`], [`SearchOptions`], [`SearchResponse`],
//!   [`SearchHit`], the limits) and the search flow: parse, plan, run on one executor, page,
//!   snippets, facet tally.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use rayon::prelude::*;
use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::Query;
use tantivy::schema::{Field, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, Index, IndexReader, Order, ReloadPolicy, Score, Searcher, TantivyDocument, Term,
};

mod entries;
mod facets;
mod plan;
mod query;
mod schema;
mod segments;
mod snippets;
mod update;
mod window;

pub use facets::MAX_FACET_VALUES;
pub use query::MAX_QUERY_BYTES;
pub use update::{SearchUpdater, UpdateStats};

use entries::fingerprint;
use facets::{empty_tally, FacetSets, FacetTable, SetCounts};
use plan::{filter_terms, rescore, Expander, PlanItem, QueryPlan, Spread, WordPlan, WordShape};
use query::{parse_query, Item, ParsedQuery, TypoPolicy};
use schema::{analyzer, schema, Fields, SCHEMA_VERSION, TOKENIZER};
use segments::{Extras, FacetCounter, SegmentExtras};
use snippets::Snippets;
use update::{cores, write_entries};

use crate::model::Catalog;

/// A searchable index of one catalog snapshot. Cheap to share between threads.
pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
    facets: Arc<FacetTable>,
    /// What each segment adds for fast queries ([`SegmentExtras`]), built on first use.
    segments: std::sync::RwLock<Extras>,
    analyzer: TextAnalyzer,
    reused: bool,
    /// Lives in a directory rather than in RAM.
    persisted: bool,
    /// Why it is in RAM although a directory was asked for (disk full, read-only, ...).
    fallback: Option<Arc<str>>,
    /// Searches running now: a query that starts while another runs keeps to its own thread
    /// ([`Spread`]). Shared by the indexes a [`SearchUpdater`] makes from this one, so queries
    /// on the snapshot before a reload count beside those on the one after.
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a running search in [`SearchIndex::in_flight`] until dropped.
struct InFlight<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(count: &'a std::sync::atomic::AtomicUsize) -> (InFlight<'a>, Spread) {
        let before = count.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        let spread = if before == 0 {
            Spread::AllCores
        } else {
            Spread::OneThread
        };
        (InFlight(count), spread)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Paging for [`SearchIndex::search`].
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// At most this many results (capped at [`MAX_LIMIT`]). 0 returns only `total` and `facets`.
    pub limit: usize,
    /// Skip this many results first (capped at [`MAX_OFFSET`]).
    pub offset: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            limit: 20,
            offset: 0,
        }
    }
}

/// The answer to a query: one page of hits, facet counts over every match, the number of matches.
#[derive(Serialize, Clone, Debug, Default)]
pub struct SearchResponse {
    pub results: Vec<SearchHit>,
    /// `kind`, `owner`, `tier`, `domain`, `lifecycle` and `tag` → value → number of matches,
    /// counted over every match (not just this page); the [`MAX_FACET_VALUES`] most frequent
    /// values per key.
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
    pub total: usize,
}

/// One search result.
#[derive(Serialize, Clone, Debug)]
pub struct SearchHit {
    /// `system`, `api`, `endpoint`, `team` or `doc`.
    pub kind: String,
    /// The system or team name, `system/api@N`, `METHOD /path`, or a doc section's heading.
    pub name: String,
    /// The system the result belongs to (systems, APIs, endpoints and docs).
    pub system: Option<String>,
    pub title: String,
    pub score: f32,
    /// Plain text (not HTML): the best fragment of the description or body, on one line.
    pub snippet: String,
    /// Where the query's words are in `snippet`: `[start, end)` ranges of Unicode scalar
    /// values (Rust `char`s, Python `str` indexes; in JavaScript index `Array.from(snippet)`),
    /// in order, not overlapping.
    pub highlights: Vec<[usize; 2]>,
    pub url: String,
}

impl SearchHit {
    /// The snippet as HTML: escaped, the highlighted words in `<b>..</b>`.
    pub fn snippet_html(&self) -> String {
        snippets::to_html(&self.snippet, &self.highlights)
    }
}

/// Largest page size a search returns.
pub const MAX_LIMIT: usize = 1000;
/// Deepest offset a search pages to.
pub const MAX_OFFSET: usize = 10_000;
/// The facet combinations of a persisted index, next to it (see [`FacetSets`]).
const FACET_SETS_FILE: &str = "facet-sets.json";
/// The kind prior and the tie-break reorder the best `(offset + limit) * 2 + 20` BM25 hits.
const RESCORE_FACTOR: usize = 2;
const RESCORE_EXTRA: usize = 20;

impl SearchIndex {
    /// Indexes a catalog in RAM.
    pub fn build(c: &Catalog) -> anyhow::Result<SearchIndex> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(TOKENIZER, analyzer());
        let sets = write_entries(&index, &fields, c, None, |_| Ok(()))?;
        SearchIndex::from_index(index, fields, sets, false, false)
    }

    /// Indexes a catalog into `dir`, or reuses the index already there when it was built from
    /// the same catalog (same files, sizes, modification times and documents).
    pub fn open_or_build(c: &Catalog, dir: &Path) -> anyhow::Result<SearchIndex> {
        let sub = dir.join(format!("cairn-search-v{SCHEMA_VERSION}"));
        let fp = fingerprint(c);
        if let Some(found) = SearchIndex::reuse(&sub, &fp) {
            return Ok(found);
        }
        if sub.exists() {
            std::fs::remove_dir_all(&sub)
                .with_context(|| format!("removing stale search index {}", sub.display()))?;
        }
        std::fs::create_dir_all(&sub)
            .with_context(|| format!("creating search index directory {}", sub.display()))?;
        let (schema, fields) = schema();
        let index = Index::create_in_dir(&sub, schema)
            .with_context(|| format!("creating search index in {}", sub.display()))?;
        index.tokenizers().register(TOKENIZER, analyzer());
        let sets_path = sub.join(FACET_SETS_FILE);
        let sets = write_entries(&index, &fields, c, Some(&fp), |sets| {
            let json = serde_json::to_vec(sets)?;
            std::fs::write(&sets_path, json)
                .with_context(|| format!("writing {}", sets_path.display()))
        })
        .with_context(|| format!("writing search index in {}", sub.display()))?;
        SearchIndex::from_index(index, fields, sets, false, true)
    }

    /// [`SearchIndex::open_or_build`], falling back to an index in RAM when `dir` cannot hold
    /// one (disk full, read-only, not a directory): the catalog is searchable either way, and
    /// [`SearchIndex::fallback`] says why the index is not persisted. A half-written index is removed, so a
    /// full disk gets its space back and the next start does not find it.
    pub fn persisted_or_in_ram(c: &Catalog, dir: &Path) -> anyhow::Result<SearchIndex> {
        match SearchIndex::open_or_build(c, dir) {
            Ok(index) => Ok(index),
            Err(e) => {
                let sub = dir.join(format!("cairn-search-v{SCHEMA_VERSION}"));
                if sub.is_dir() {
                    let _ = std::fs::remove_dir_all(&sub);
                }
                let why = format!(
                    "cannot keep the search index in {}: {e:#}; it is held in RAM instead",
                    dir.display()
                );
                let mut index = SearchIndex::build(c)?;
                index.fallback = Some(why.into());
                Ok(index)
            }
        }
    }

    /// `true` when the index lives in a directory (`--index-dir`), `false` when in RAM.
    pub fn is_persisted(&self) -> bool {
        self.persisted
    }

    /// Why the index is in RAM although a directory was asked for
    /// ([`SearchIndex::persisted_or_in_ram`]); kept by the indexes updated from it.
    pub fn fallback(&self) -> Option<&str> {
        self.fallback.as_deref()
    }

    /// `true` when [`SearchIndex::open_or_build`] found an up-to-date index and built nothing.
    pub fn was_reused(&self) -> bool {
        self.reused
    }

    /// Number of indexed search documents (systems, APIs, endpoints, teams, doc sections).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Runs a query. Never fails: a query that cannot match anything returns no results.
    pub fn search(&self, query: &str, opts: &SearchOptions) -> SearchResponse {
        let (_running, spread) = InFlight::enter(&self.in_flight);
        self.try_search(query, opts, Engine::Windowed, spread)
            .unwrap_or_else(|_| empty_response())
    }

    fn reuse(sub: &Path, fp: &str) -> Option<SearchIndex> {
        if !sub.join("meta.json").is_file() {
            return None;
        }
        let index = Index::open_in_dir(sub).ok()?;
        let (schema, fields) = schema();
        if index.schema() != schema {
            return None;
        }
        if index.load_metas().ok()?.payload.as_deref() != Some(fp) {
            return None;
        }
        let sets = std::fs::read(sub.join(FACET_SETS_FILE)).ok()?;
        let sets: FacetSets = serde_json::from_slice(&sets).ok()?;
        index.tokenizers().register(TOKENIZER, analyzer());
        SearchIndex::from_index(index, fields, sets, true, true).ok()
    }

    fn from_index(
        mut index: Index,
        fields: Fields,
        facet_sets: FacetSets,
        reused: bool,
        persisted: bool,
    ) -> anyhow::Result<SearchIndex> {
        // Segments are searched in parallel: a query over a large catalog uses every core.
        let threads = cores();
        if threads > 1 {
            index
                .set_multithread_executor(threads)
                .context("starting search threads")?;
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .context("opening a search index reader")?;
        let index = SearchIndex {
            reader,
            fields,
            facets: Arc::new(FacetTable::new(facet_sets)),
            segments: std::sync::RwLock::default(),
            analyzer: analyzer(),
            reused,
            persisted,
            fallback: None,
            in_flight: Default::default(),
        };
        // Built now rather than by the first query.
        index.extras(&index.reader.searcher());
        Ok(index)
    }

    fn try_search(
        &self,
        raw: &str,
        opts: &SearchOptions,
        engine: Engine,
        spread: Spread,
    ) -> tantivy::Result<SearchResponse> {
        let parsed = parse_query(raw, &mut self.analyzer.clone());
        if parsed.is_empty() {
            return Ok(empty_response());
        }
        let searcher = self.reader.searcher();
        let extras = self.extras(&searcher);
        let mut expander = Expander::new(&searcher, &self.fields, &extras);
        let attempts = parsed.attempts();
        let last = attempts.len().saturating_sub(1);
        for (i, (typos, all_words)) in attempts.into_iter().enumerate() {
            let built = self.build_query(&parsed, &mut expander, typos, all_words);
            let Pass {
                page,
                total,
                counts,
            } = self.run(&searcher, &extras, &parsed, &built, opts, (engine, spread))?;
            if total > 0 || i == last {
                let snippets = Snippets::new(&self.fields, &self.analyzer, &built.highlight);
                // A hit's stored fields are a doc store block to decompress and its snippet a
                // highlighter pass, the costliest part of a hit, so the page is made on every
                // core, beside the facet tally (docs/benchmarks.md).
                // (When other queries run, on this thread only: see [`Spread`].)
                let hit = |(score, address)| {
                    let doc: TantivyDocument = searcher.doc(address)?;
                    Ok(self.hit(&doc, score, &snippets))
                };
                let (results, facets) = match spread {
                    Spread::AllCores => rayon::join(
                        || {
                            page.into_par_iter()
                                .map(hit)
                                .collect::<tantivy::Result<Vec<SearchHit>>>()
                        },
                        || self.facets.sets.tally(&counts),
                    ),
                    Spread::OneThread => (
                        page.into_iter()
                            .map(hit)
                            .collect::<tantivy::Result<Vec<SearchHit>>>(),
                        self.facets.sets.tally(&counts),
                    ),
                };
                return Ok(SearchResponse {
                    results: results?,
                    facets,
                    total,
                });
            }
        }
        Ok(empty_response())
    }

    /// One pass over the matches: the page of hits, the number of matches and the matches per
    /// facet combination.
    fn run(
        &self,
        searcher: &Searcher,
        extras: &Extras,
        parsed: &ParsedQuery,
        built: &BuiltQuery,
        opts: &SearchOptions,
        (engine, spread): (Engine, Spread),
    ) -> tantivy::Result<Pass> {
        let limit = opts.limit.min(MAX_LIMIT);
        let offset = opts.offset.min(MAX_OFFSET);
        let plan = &built.plan;
        if engine == Engine::Windowed && plan.windowed() {
            // Words (and filters) only: the windowed executor, same matches and scores.
            let k = if limit == 0 {
                0
            } else {
                (offset + limit)
                    .saturating_mul(RESCORE_FACTOR)
                    .saturating_add(RESCORE_EXTRA)
            };
            let window::Outcome { top, counts } = window::run(
                searcher,
                &self.fields,
                &self.facets,
                extras,
                plan,
                k,
                spread,
            )?;
            return Ok(Pass {
                page: self.page(searcher, top, offset, limit),
                total: counts.total,
                counts,
            });
        }
        let query = plan.query(&self.fields);
        let query: &dyn Query = query.as_ref();
        let counter = FacetCounter {
            table: &self.facets,
            extras,
        };
        if limit == 0 {
            let counts = collect(searcher, query, &counter, spread)?;
            return Ok(Pass {
                page: Vec::new(),
                total: counts.total,
                counts,
            });
        }
        if parsed.groups.is_empty() {
            // Filters (and exclusions) only: every match scores the same; list by kind, name.
            let top = TopDocs::with_limit(limit)
                .and_offset(offset)
                .order_by_fast_field::<u64>("rank", Order::Asc);
            let (top, counts) = collect(searcher, query, &(top, counter), spread)?;
            let page = top.into_iter().map(|(_, a)| (0.0, a)).collect();
            return Ok(Pass {
                page,
                total: counts.total,
                counts,
            });
        }
        // BM25 top-k, then the kind prior and a deterministic tie-break applied over a window a
        // few times larger than the page.
        let window = (offset + limit)
            .saturating_mul(RESCORE_FACTOR)
            .saturating_add(RESCORE_EXTRA);
        let top = TopDocs::with_limit(window).order_by_score();
        let (top, counts) = collect(searcher, query, &(top, counter), spread)?;
        Ok(Pass {
            page: self.page(searcher, top, offset, limit),
            total: counts.total,
            counts,
        })
    }

    /// The requested page of the BM25 top-k: the kind prior and a deterministic tie-break
    /// applied over the whole window.
    fn page(
        &self,
        searcher: &Searcher,
        top: Vec<(Score, DocAddress)>,
        offset: usize,
        limit: usize,
    ) -> Vec<(Score, DocAddress)> {
        let mut ranked = rescore(searcher, top);
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(s, _, a)| (s, a))
            .collect()
    }

    /// The [`SegmentExtras`] of every segment of `searcher`, built (in parallel) for segments
    /// not seen before.
    fn extras(&self, searcher: &Searcher) -> Extras {
        let readers = searcher.segment_readers();
        if let Ok(known) = self.segments.read() {
            if readers.iter().all(|r| known.contains_key(&r.segment_id())) {
                return readers
                    .iter()
                    .filter_map(|r| Some((r.segment_id(), known.get(&r.segment_id())?.clone())))
                    .collect();
            }
        }
        let previous = self.segments.read().map(|k| k.clone()).unwrap_or_default();
        let out: Extras = readers
            .par_iter()
            .map(|r| {
                let id = r.segment_id();
                let extras = match previous.get(&id) {
                    Some(e) => e.clone(),
                    None => Arc::new(SegmentExtras::build(r, &self.fields, &self.facets.split)),
                };
                (id, extras)
            })
            .collect();
        if let Ok(mut known) = self.segments.write() {
            // Only the current segments: a reader reload retires the old ones.
            *known = out.clone();
        }
        out
    }

    fn hit(&self, doc: &TantivyDocument, score: Score, snippets: &Snippets) -> SearchHit {
        let f = &self.fields;
        let text = |field: Field| -> String {
            doc.get_first(field)
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        let system = text(f.system);
        let (snippet, highlights) = snippets.for_doc(&text(f.description), &text(f.body));
        SearchHit {
            kind: text(f.kind),
            name: text(f.label),
            system: (!system.is_empty()).then_some(system),
            title: text(f.title),
            score: (score * 1000.0).round() / 1000.0,
            snippet,
            highlights,
            url: text(f.url),
        }
    }

    /// The tantivy query for one attempt: `typos` says how tolerant words are, `all_words`
    /// whether every word group must match (else any one, ranked by how many match).
    fn build_query(
        &self,
        parsed: &ParsedQuery,
        expander: &mut Expander<'_>,
        typos: TypoPolicy,
        all_words: bool,
    ) -> BuiltQuery {
        let f = &self.fields;
        let mut highlight: BTreeMap<String, Score> = BTreeMap::new();
        // A phrase of one token is that token, exactly, in any field (no tier bonus).
        let phrase = |tokens: &[String]| match tokens {
            [one] => PlanItem::Word(WordPlan::exact(one)),
            _ => PlanItem::Phrase(tokens.to_vec()),
        };
        let mut groups = Vec::new();
        for group in &parsed.groups {
            let mut alternatives = Vec::new();
            for conj in group {
                let mut items = Vec::new();
                for item in conj {
                    items.push(match item {
                        Item::Word { token, prefix } => {
                            let shape = WordShape {
                                prefix: *prefix,
                                typos,
                                rank_exact_first: all_words,
                            };
                            PlanItem::Word(expander.word_plan(token, shape, &mut highlight))
                        }
                        Item::Phrase(tokens) => {
                            for t in tokens {
                                highlight.insert(t.clone(), 1.0);
                            }
                            phrase(tokens)
                        }
                    });
                }
                alternatives.push(items);
            }
            groups.push(alternatives);
        }
        let excluded_words = parsed
            .negated
            .iter()
            .map(|conj| {
                conj.iter()
                    .map(|item| match item {
                        Item::Word { token, .. } => PlanItem::Word(WordPlan::exact(token)),
                        Item::Phrase(tokens) => phrase(tokens),
                    })
                    .collect()
            })
            .collect();
        let plan = QueryPlan {
            groups,
            all_words,
            filters: parsed
                .filters
                .iter()
                .map(|(key, values)| filter_terms(f, key, values))
                .collect(),
            excluded: parsed
                .negated_filters
                .iter()
                .flat_map(|(key, value)| filter_terms(f, key, std::slice::from_ref(value)))
                .collect(),
            excluded_words,
            exact_name: parsed
                .exact_name
                .as_ref()
                .map(|name| Term::from_field_text(f.name_key, name)),
        };
        BuiltQuery { plan, highlight }
    }
}

/// `searcher.search`, on the calling thread alone unless `spread` allows every core.
fn collect<C: tantivy::collector::Collector>(
    searcher: &Searcher,
    query: &dyn Query,
    collector: &C,
    spread: Spread,
) -> tantivy::Result<C::Fruit> {
    match spread {
        Spread::AllCores => searcher.search(query, collector),
        Spread::OneThread => {
            let scoring = if collector.requires_scoring() {
                tantivy::query::EnableScoring::enabled_from_searcher(searcher)
            } else {
                tantivy::query::EnableScoring::disabled_from_searcher(searcher)
            };
            searcher.search_with_executor(
                query,
                collector,
                &tantivy::Executor::single_thread(),
                scoring,
            )
        }
    }
}

/// What one pass over a query's matches yields.
struct Pass {
    /// The requested page, best first, with final scores.
    page: Vec<(Score, DocAddress)>,
    /// Number of matches.
    total: usize,
    /// Matches per facet combination (see [`FacetSets`]).
    counts: SetCounts,
}

/// Which executor runs a query that both can: [`window`] (the default), or tantivy's own
/// scorers (the reference the windowed one is tested against).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Windowed,
    #[cfg_attr(not(test), allow(dead_code))]
    Tantivy,
}

/// A parsed query's plan and the terms to highlight in snippets (term text → weight).
struct BuiltQuery {
    plan: QueryPlan,
    highlight: BTreeMap<String, Score>,
}

fn empty_response() -> SearchResponse {
    SearchResponse {
        results: Vec::new(),
        facets: empty_tally(),
        total: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<SearchIndex>();
    }

    /// Queries both executors can run: words, typos, prefixes, OR, exclusions, filters with
    /// words, one-word phrases, exact names.
    const ENGINE_QUERIES: &[&str] = &[
        "billing",
        "payment gateway",
        "invoce",
        "sched",
        "notificaton service",
        "metrics engine",
        "account-tracker-0",
        "kind:doc deployment",
        "domain:domain-3 cache",
        "kind:api ledger",
        "tier:1 vote",
        "team:team-2 portal",
        "GET /payment",
        "payment OR ledger",
        "vote portal OR bridge",
        "artifact -worker",
        "artifact -owner:team-1",
        "tokn",
        "\"release\"",
        "billing -\"engine\" -kind:doc",
        "zzzzqqq",
        "wallpaper votes",
        "mirror list runbook",
        "pkgdb",
        "postgresql",
        "koji",
        "bodi",
        // Filters alone and exclusions alone: tantivy's listing in both.
        "owner:team-1",
        "kind:system tier:1",
        "-kind:doc",
    ];

    /// Hits as comparable values: total, facets and, per hit, its score (to 1e-3) and name.
    fn outcome(
        idx: &SearchIndex,
        q: &str,
        engine: Engine,
        spread: Spread,
    ) -> (usize, String, Vec<(i64, String)>) {
        let opts = SearchOptions {
            limit: 30,
            offset: 0,
        };
        let r = idx.try_search(q, &opts, engine, spread).expect("search");
        let hits = r
            .results
            .iter()
            .map(|h| {
                (
                    (h.score * 1000.0).round() as i64,
                    format!("{}:{}", h.kind, h.name),
                )
            })
            .collect();
        (r.total, format!("{:?}", r.facets), hits)
    }

    #[test]
    fn a_query_spreads_over_the_cores_only_when_no_other_runs() {
        let count = std::sync::atomic::AtomicUsize::new(0);
        let (first, spread) = InFlight::enter(&count);
        assert_eq!(spread, Spread::AllCores);
        {
            let (_second, spread) = InFlight::enter(&count);
            assert_eq!(spread, Spread::OneThread);
            let (_third, spread) = InFlight::enter(&count);
            assert_eq!(spread, Spread::OneThread);
        }
        assert_eq!(
            InFlight::enter(&count).1,
            Spread::OneThread,
            "the first still runs"
        );
        drop(first);
        assert_eq!(InFlight::enter(&count).1, Spread::AllCores);
        assert_eq!(count.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

    fn assert_engines_agree(idx: &SearchIndex, queries: &[&str]) {
        let mut planned = 0;
        for q in queries {
            let parsed = parse_query(q, &mut analyzer());
            let searcher = idx.reader.searcher();
            let extras = idx.extras(&searcher);
            let mut expander = Expander::new(&searcher, &idx.fields, &extras);
            let (typos, all) = parsed.attempts()[0];
            if idx
                .build_query(&parsed, &mut expander, typos, all)
                .plan
                .windowed()
            {
                planned += 1;
            }
            let [(total_w, facets_w, hits_w), (total_t, facets_t, hits_t)] =
                [Engine::Windowed, Engine::Tantivy].map(|engine| {
                    let all = outcome(idx, q, engine, Spread::AllCores);
                    // On one thread, each executor answers exactly as on every core.
                    let one = outcome(idx, q, engine, Spread::OneThread);
                    assert_eq!(all, one, "{q:?} on one thread ({engine:?})");
                    all
                });
            assert_eq!(total_w, total_t, "total of {q:?}");
            assert_eq!(facets_w, facets_t, "facets of {q:?}");
            assert_eq!(hits_w.len(), hits_t.len(), "hits of {q:?}");
            // Same scores in the same order; equal scores may hold different documents where
            // float sums differ in the last bit, so names are compared where scores differ.
            for (i, (w, t)) in hits_w.iter().zip(&hits_t).enumerate() {
                assert!((w.0 - t.0).abs() <= 1, "score {i} of {q:?}: {w:?} vs {t:?}");
            }
            let names = |h: &[(i64, String)]| {
                let mut v: Vec<&str> = h.iter().map(|x| x.1.as_str()).collect();
                v.sort();
                v.join(",")
            };
            if hits_w.len() < 30 {
                assert_eq!(names(&hits_w), names(&hits_t), "hits of {q:?}");
            }
        }
        // Most of the list goes through the windowed executor (else this test tests nothing).
        assert!(
            planned * 10 >= queries.len() * 8,
            "{planned} of {}",
            queries.len()
        );
    }

    #[test]
    fn windowed_executor_agrees_with_tantivy_on_the_example_catalog() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
        let c = crate::load(&dir, &Default::default()).expect("load");
        let idx = SearchIndex::build(&c).expect("index");
        assert_engines_agree(&idx, ENGINE_QUERIES);
    }

    #[test]
    fn windowed_executor_agrees_with_tantivy_on_a_generated_catalog_with_deletions() {
        let dir = std::env::temp_dir().join(format!("cairn-window-{}", std::process::id()));
        crate::gen::generate(&dir, 1500, 7).expect("generate");
        let c = crate::load(&dir, &Default::default()).expect("load");
        let idx = SearchIndex::build(&c).expect("index");
        assert!(idx.reader.searcher().segment_readers().len() > 1 || idx.num_docs() > 5000);
        assert_engines_agree(&idx, ENGINE_QUERIES);
        // Deleted documents (an incremental reload deletes a changed entity's) match in
        // neither executor.
        let index = idx.reader.searcher().index().clone();
        let mut writer: tantivy::IndexWriter<TantivyDocument> = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        for s in c.systems.iter().step_by(3) {
            let term = Term::from_field_text(idx.fields.group, &format!("s:{}", s.name.value));
            writer.delete_term(term);
        }
        writer.commit().expect("commit");
        idx.reader.reload().expect("reload");
        assert_engines_agree(&idx, ENGINE_QUERIES);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
