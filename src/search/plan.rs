//! Query planning: a [`QueryPlan`] is a parsed query turned into index terms — each word
//! expanded into its dictionary variants ([`Expander`], [`WordPlan`]), each filter into facet
//! terms — and scored the same way by both executors: [`QueryPlan::query`] builds tantivy's
//! query, [`super::window`] runs the plan itself. Also the ranking constants both share, the
//! final rescoring by kind prior ([`rescore`]), and whether a query may use every core
//! ([`Spread`]).
//!
//! Sits above [`schema`](mod@super::schema), [`super::query`] and [`super::segments`] (the
//! per-segment dictionaries words expand against); [`super::window`] and the search flow in
//! `mod.rs` use it.

use std::collections::{BTreeMap, HashMap};

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, FuzzyTermQuery,
    Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Score, Searcher, SegmentOrdinal, Term};

use super::query::{FilterKey, TypoPolicy};
use super::schema::{facet_term, Fields, TEXT_FIELDS};
use super::segments::Extras;

/// Whether one query may use every core. A query alone on the machine is spread over the cores
/// (segments, the page of hits, the facet tally), which cuts its latency; a query that starts
/// while another runs keeps to the thread it was called on, because splitting it then only adds
/// hand-offs between threads (context switches, work stealing) to work the other queries
/// already keep the cores busy with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Spread {
    AllCores,
    OneThread,
}

/// At most this many dictionary terms a word expands to per field (typos and prefixes).
const MAX_EXPANSIONS: usize = 24;
/// Stop reading a term dictionary after this many candidates (short prefixes).
const MAX_SCAN: usize = 4096;

/// Score added when the whole free text is a name, alias or `system/api@N` exactly.
pub(super) const EXACT_NAME_BONUS: Score = 12.0;
/// Score added per word found as typed (not through a typo or a completion): larger than any
/// BM25 contribution, so it acts as a tier.
pub(super) const EXACT_WORD_BONUS: Score = 1000.0;

/// How much one field's match counts besides the best field's, per word.
pub(super) const FIELD_TIE_BREAKER: Score = 0.3;

/// Weights of a word's variants: an exact match counts fully, a completion of a prefix less,
/// a typo much less.
const WEIGHT_PREFIX: Score = 0.75;
const WEIGHT_ONE_TYPO: Score = 0.4;
const WEIGHT_TWO_TYPOS: Score = 0.25;

/// A query, as both executors run it: every group must match (`all_words`) or any; a group is
/// alternatives, each a conjunction of items; every filter must match one of its terms; no
/// `excluded` term may match, nor all items of an `excluded_words` entry; `exact_name` adds
/// [`EXACT_NAME_BONUS`]. [`QueryPlan::query`] is tantivy's version, [`window`](super::window)
/// runs the rest ([`QueryPlan::windowed`]).
#[derive(Debug)]
pub(super) struct QueryPlan {
    pub(super) groups: Vec<Vec<Vec<PlanItem>>>,
    pub(super) all_words: bool,
    pub(super) filters: Vec<Vec<Term>>,
    pub(super) excluded: Vec<Term>,
    pub(super) excluded_words: Vec<Vec<PlanItem>>,
    pub(super) exact_name: Option<Term>,
}

/// A word (with its variants) or a phrase of several tokens, in this order in one field.
#[derive(Debug)]
pub(super) enum PlanItem {
    Word(WordPlan),
    Phrase(Vec<String>),
}

impl QueryPlan {
    /// Whether [`window`](super::window) runs it: words only (a phrase of several words needs
    /// positions) and at least one (filters alone list in `rank` order, which tantivy's
    /// fast-field top-k does).
    pub(super) fn windowed(&self) -> bool {
        let words = |items: &[PlanItem]| items.iter().all(|i| i.word().is_some());
        !self.groups.is_empty()
            && self.groups.iter().flatten().all(|c| words(c))
            && self.excluded_words.iter().all(|c| words(c))
    }

    /// The same query for tantivy's own scorers.
    pub(super) fn query(&self, f: &Fields) -> Box<dyn Query> {
        let conj = |items: &[PlanItem]| all_of(items.iter().map(|i| i.query(f)).collect());
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let groups = self
            .groups
            .iter()
            .map(|g| any_of(g.iter().map(|c| conj(c)).collect()));
        if self.all_words {
            must.extend(groups.map(|g| (Occur::Must, g)));
        } else if !self.groups.is_empty() {
            must.push((Occur::Must, any_of(groups.collect())));
        }
        for terms in &self.filters {
            let q = any_of(terms_query(terms.clone()));
            must.push((Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0))));
        }
        for t in &self.excluded {
            must.push((Occur::MustNot, any_of(terms_query(vec![t.clone()]))));
        }
        for c in &self.excluded_words {
            must.push((Occur::MustNot, conj(c)));
        }
        if !must.iter().any(|(o, _)| *o == Occur::Must) {
            must.push((Occur::Must, Box::new(AllQuery)));
        }
        if let Some(term) = &self.exact_name {
            let q = TermQuery::new(term.clone(), IndexRecordOption::Basic);
            must.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(q), EXACT_NAME_BONUS)),
            ));
        }
        Box::new(BooleanQuery::new(must))
    }
}

impl PlanItem {
    pub(super) fn word(&self) -> Option<&WordPlan> {
        match self {
            PlanItem::Word(w) => Some(w),
            PlanItem::Phrase(_) => None,
        }
    }

    fn query(&self, f: &Fields) -> Box<dyn Query> {
        match self {
            PlanItem::Word(w) => w.query(f),
            PlanItem::Phrase(tokens) => phrase_query(f, tokens),
        }
    }
}

/// One dictionary term a query word matches in one text field.
#[derive(Clone, Debug)]
pub(super) struct Variant {
    /// Index into [`Fields::text_fields`].
    pub(super) field: usize,
    pub(super) text: String,
    /// 1 for the word as typed, less for a completion or a typo ([`variant_weight`]).
    pub(super) weight: Score,
    /// The word as typed.
    pub(super) exact: bool,
}

/// How one query word matches and scores: a document's score for the word is, per text
/// field, the best of the word's variants there (BM25 × variant weight × field boost); across
/// fields, the best field plus [`FIELD_TIE_BREAKER`] of the others; plus [`EXACT_WORD_BONUS`]
/// when `tier` and the document has the word as typed in any field. Both executors read it:
/// [`WordPlan::query`] builds the tantivy query, [`window`](super::window) evaluates it directly.
#[derive(Clone, Debug)]
pub(super) struct WordPlan {
    token: String,
    /// In field order; none: the word is in no dictionary and matches nothing.
    pub(super) variants: Vec<Variant>,
    pub(super) tier: bool,
}

impl WordPlan {
    /// A token exactly, in any text field, without the tier bonus (a one-word phrase).
    pub(super) fn exact(token: &str) -> WordPlan {
        WordPlan {
            token: token.to_string(),
            variants: (0..TEXT_FIELDS)
                .map(|field| Variant {
                    field,
                    text: token.to_string(),
                    weight: 1.0,
                    exact: true,
                })
                .collect(),
            tier: false,
        }
    }

    /// The same match and score as a tantivy query.
    fn query(&self, f: &Fields) -> Box<dyn Query> {
        let fields = f.text_fields();
        let mut per_field: Vec<Box<dyn Query>> = Vec::new();
        let mut exact: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (i, (field, boost)) in fields.iter().enumerate() {
            let mut variants: Vec<Box<dyn Query>> = Vec::new();
            for v in self.variants.iter().filter(|v| v.field == i) {
                let term = Term::from_field_text(*field, &v.text);
                if v.exact {
                    let q = TermQuery::new(term.clone(), IndexRecordOption::Basic);
                    exact.push((Occur::Should, Box::new(q)));
                }
                let q = TermQuery::new(term, IndexRecordOption::WithFreqs);
                variants.push(Box::new(BoostQuery::new(Box::new(q), v.weight)));
            }
            if variants.is_empty() {
                continue;
            }
            // The best variant of the word in this field counts, not their sum.
            let q: Box<dyn Query> = if variants.len() == 1 {
                variants.remove(0)
            } else {
                Box::new(DisjunctionMaxQuery::new(variants))
            };
            per_field.push(Box::new(BoostQuery::new(q, *boost)));
        }
        if per_field.is_empty() {
            // Nothing in the dictionary: an exact term query that matches nothing.
            let term = Term::from_field_text(f.name, &self.token);
            return Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
        }
        // The best field counts fully, the others a little.
        let word = Box::new(DisjunctionMaxQuery::with_tie_breaker(
            per_field,
            FIELD_TIE_BREAKER,
        ));
        if !self.tier {
            return word;
        }
        let tier = ConstScoreQuery::new(Box::new(BooleanQuery::new(exact)), EXACT_WORD_BONUS);
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, word as Box<dyn Query>),
            (Occur::Should, Box::new(tier)),
        ]))
    }
}

/// How one query word is matched.
#[derive(Clone, Copy, Debug)]
pub(super) struct WordShape {
    /// The last word typed: completions count.
    pub(super) prefix: bool,
    pub(super) typos: TypoPolicy,
    /// Every word must match: a bonus for the exact word is only needed when it has variants.
    pub(super) rank_exact_first: bool,
}

/// Dictionary terms with the weight of each as a variant of a query word.
type WeightedTerms = Vec<(String, Score)>;

/// Expands words into the dictionary terms they match (exact, prefix completions, typos),
/// remembering expansions across attempts.
pub(super) struct Expander<'a> {
    searcher: &'a Searcher,
    fields: &'a Fields,
    extras: &'a Extras,
    /// (word, prefix, typos) → per text field, the terms it matches with their weights.
    cache: HashMap<(String, bool, u8), Vec<WeightedTerms>>,
    known: HashMap<String, bool>,
}

impl<'a> Expander<'a> {
    pub(super) fn new(searcher: &'a Searcher, fields: &'a Fields, extras: &'a Extras) -> Self {
        Expander {
            searcher,
            fields,
            extras,
            cache: HashMap::new(),
            known: HashMap::new(),
        }
    }

    /// One word: in each text field, the best of its variants (weighted), boosted per field;
    /// across fields the best field plus a share of the others.
    pub(super) fn word_plan(
        &mut self,
        token: &str,
        shape: WordShape,
        highlight: &mut BTreeMap<String, Score>,
    ) -> WordPlan {
        let WordShape { prefix, typos, .. } = shape;
        // A word that occurs nowhere as typed is a typo or an unfinished word: it gets the
        // relaxed typo budget even in the strict pass ("bodi" finds "bodhi").
        let max_typos = match typos {
            TypoPolicy::Strict if !self.is_known(token) => TypoPolicy::Relaxed.max_typos(token),
            _ => typos.max_typos(token),
        };
        let key = (token.to_string(), prefix, max_typos);
        if !self.cache.contains_key(&key) {
            let expanded = self.expand(token, prefix, max_typos);
            self.cache.insert(key.clone(), expanded);
        }
        let expanded = self.cache.get(&key).cloned().unwrap_or_default();
        let mut variants = Vec::new();
        let (mut exact, mut inexact) = (false, false);
        for (field, terms) in expanded.into_iter().enumerate() {
            for (text, weight) in terms {
                let entry = highlight.entry(text.clone()).or_insert(0.0);
                *entry = entry.max(weight);
                let is_exact = text == token;
                exact |= is_exact;
                inexact |= !is_exact;
                variants.push(Variant {
                    field,
                    text,
                    weight,
                    exact: is_exact,
                });
            }
        }
        WordPlan {
            token: token.to_string(),
            variants,
            // The word as typed puts a document in a higher tier than a typo or a completion,
            // in any field (Meilisearch's "typo" rule before its "attribute" rule). Needless
            // when every match has the word as typed and every word must match.
            tier: exact && (inexact || !shape.rank_exact_first),
        }
    }

    /// Whether `token` is a term of any text field.
    fn is_known(&mut self, token: &str) -> bool {
        if let Some(known) = self.known.get(token) {
            return *known;
        }
        let known = self.fields.text_fields().iter().any(|(field, _)| {
            let term = Term::from_field_text(*field, token);
            self.searcher.doc_freq(&term).is_ok_and(|n| n > 0)
        });
        self.known.insert(token.to_string(), known);
        known
    }

    /// Per text field (in [`Fields::text_fields`] order), the dictionary terms `token`
    /// matches, with their weights, best first. One automaton walk per segment over the
    /// segment's merged dictionary ([`SegmentDictionary`](super::segments::SegmentDictionary))
    /// serves every field.
    fn expand(&self, token: &str, prefix: bool, max_typos: u8) -> Vec<WeightedTerms> {
        let n_fields = self.fields.text_fields().len();
        if !prefix && max_typos == 0 {
            return vec![vec![(token.to_string(), 1.0)]; n_fields];
        }
        let term = Term::from_field_text(self.fields.name, token);
        let fuzzy = if prefix {
            FuzzyTermQuery::new_prefix(term, max_typos, true)
        } else {
            FuzzyTermQuery::new(term, max_typos, true)
        };
        let Ok(dfa) = fuzzy.automaton() else {
            return vec![vec![(token.to_string(), 1.0)]; n_fields];
        };
        // term → documents per field, summed over segments.
        let mut found: HashMap<String, [u64; TEXT_FIELDS]> = HashMap::new();
        for segment in self.searcher.segment_readers() {
            let Some(extras) = self.extras.get(&segment.segment_id()) else {
                continue;
            };
            let dict = &extras.dictionary;
            let mut stream = tantivy_fst::IntoStreamer::into_stream(dict.terms.search(&dfa));
            let mut scanned = 0;
            while let Some((key, at)) = tantivy_fst::Streamer::next(&mut stream) {
                scanned += 1;
                if scanned > MAX_SCAN {
                    break;
                }
                let Ok(s) = std::str::from_utf8(key) else {
                    continue;
                };
                let Some(dfs) = dict.doc_freqs.get(at as usize) else {
                    continue;
                };
                let into = found.entry(s.to_string()).or_insert([0; TEXT_FIELDS]);
                for (i, &df) in dfs.iter().enumerate() {
                    into[i] += u64::from(df);
                }
            }
        }
        let weighted: Vec<(String, Score, [u64; TEXT_FIELDS])> = found
            .into_iter()
            .map(|(t, dfs)| {
                let w = variant_weight(token, &t, prefix);
                (t, w, dfs)
            })
            .filter(|(_, w, _)| *w > 0.0)
            .collect();
        (0..n_fields)
            .map(|field| {
                let mut in_field: Vec<(&str, Score, u64)> = weighted
                    .iter()
                    .filter(|(_, _, dfs)| dfs[field] > 0)
                    .map(|(t, w, dfs)| (t.as_str(), *w, dfs[field]))
                    .collect();
                in_field.sort_by(|a, b| {
                    b.1.total_cmp(&a.1)
                        .then(b.2.cmp(&a.2))
                        .then_with(|| a.0.cmp(b.0))
                });
                in_field.truncate(MAX_EXPANSIONS);
                in_field
                    .into_iter()
                    .map(|(t, w, _)| (t.to_string(), w))
                    .collect()
            })
            .collect()
    }
}

/// How much a dictionary term counts for a query word: 1 exact, less for a completion of the
/// word, much less for one or two typos.
fn variant_weight(word: &str, term: &str, prefix: bool) -> Score {
    if word == term {
        return 1.0;
    }
    if prefix && term.starts_with(word) {
        return WEIGHT_PREFIX;
    }
    let typos = if prefix {
        // Distance to the closest prefix of the term of about the word's length.
        let n = word.chars().count();
        let term_chars: Vec<char> = term.chars().collect();
        (n.saturating_sub(2)..=n + 2)
            .filter(|&k| k <= term_chars.len())
            .map(|k| {
                let p: String = term_chars[..k].iter().collect();
                strsim::damerau_levenshtein(word, &p)
            })
            .min()
            .unwrap_or(usize::MAX)
    } else {
        strsim::damerau_levenshtein(word, term)
    };
    let w = match typos {
        0 => WEIGHT_PREFIX,
        1 => WEIGHT_ONE_TYPO,
        2 => WEIGHT_TWO_TYPOS,
        _ => return 0.0,
    };
    if prefix && term.chars().count() > word.chars().count() {
        w * 0.9
    } else {
        w
    }
}

/// Tokens in this order in one field (exactly, no typos); the best field wins.
fn phrase_query(f: &Fields, tokens: &[String]) -> Box<dyn Query> {
    if tokens.len() == 1 {
        return WordPlan::exact(&tokens[0]).query(f);
    }
    let per_field: Vec<Box<dyn Query>> = f
        .text_fields()
        .iter()
        .map(|(field, boost)| {
            let terms = tokens
                .iter()
                .map(|t| Term::from_field_text(*field, t))
                .collect();
            let q: Box<dyn Query> = Box::new(PhraseQuery::new(terms));
            Box::new(BoostQuery::new(q, *boost)) as Box<dyn Query>
        })
        .collect();
    Box::new(DisjunctionMaxQuery::with_tie_breaker(
        per_field,
        FIELD_TIE_BREAKER,
    ))
}

/// The facet terms of the values of one filter key (any of them matches). `team:` is the
/// owner or the team itself.
pub(super) fn filter_terms(f: &Fields, key: &FilterKey, values: &[String]) -> Vec<Term> {
    let facet = |k: &str, v: &str| Term::from_field_text(f.facets, &facet_term(k, v));
    let mut terms = Vec::new();
    for v in values {
        match key {
            FilterKey::Kind => terms.push(facet("kind", v)),
            FilterKey::Owner => terms.push(facet("owner", v)),
            FilterKey::Team => {
                terms.push(facet("owner", v));
                terms.push(facet("team", v));
            }
            FilterKey::Tier => terms.push(facet("tier", v)),
            FilterKey::Tag => terms.push(facet("tag", v)),
            FilterKey::Domain => terms.push(facet("domain", v)),
            FilterKey::Lifecycle => terms.push(facet("lifecycle", v)),
        }
    }
    terms
}

fn terms_query(terms: Vec<Term>) -> Vec<Box<dyn Query>> {
    terms
        .into_iter()
        .map(|t| Box::new(TermQuery::new(t, IndexRecordOption::Basic)) as Box<dyn Query>)
        .collect()
}

fn all_of(mut parts: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if parts.len() == 1 {
        return parts.remove(0);
    }
    Box::new(BooleanQuery::new(
        parts.into_iter().map(|q| (Occur::Must, q)).collect(),
    ))
}

fn any_of(mut parts: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if parts.len() == 1 {
        return parts.remove(0);
    }
    Box::new(BooleanQuery::new(
        parts.into_iter().map(|q| (Occur::Should, q)).collect(),
    ))
}

/// Multiplies BM25 scores by each document's kind prior; returns (score, rank, address).
pub(super) fn rescore(
    searcher: &Searcher,
    top: Vec<(Score, DocAddress)>,
) -> Vec<(Score, u64, DocAddress)> {
    type Columns = (
        Option<tantivy::columnar::Column<f64>>,
        Option<tantivy::columnar::Column<u64>>,
    );
    let mut columns: HashMap<SegmentOrdinal, Columns> = HashMap::new();
    top.into_iter()
        .map(|(score, address)| {
            let (prior, rank) = columns.entry(address.segment_ord).or_insert_with(|| {
                let fast = searcher.segment_reader(address.segment_ord).fast_fields();
                (fast.f64("prior").ok(), fast.u64("rank").ok())
            });
            let p = prior
                .as_ref()
                .and_then(|c| c.first(address.doc_id))
                .unwrap_or(1.0);
            let r = rank
                .as_ref()
                .and_then(|c| c.first(address.doc_id))
                .unwrap_or(u64::MAX);
            // The prior scales relevance within a tier of exact words, never across tiers.
            let tiers = (score / EXACT_WORD_BONUS).floor() * EXACT_WORD_BONUS;
            (tiers + (score - tiers) * p as Score, r, address)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_weights_rank_exact_over_prefix_over_typos() {
        assert_eq!(variant_weight("bodhi", "bodhi", true), 1.0);
        assert!(
            variant_weight("mirrorm", "mirrormanager", true)
                > variant_weight("mirrorm", "mirrorlist", true)
        );
        assert!(variant_weight("bodhi", "bodhi2", true) > variant_weight("bodhi", "bodi", false));
        assert_eq!(variant_weight("koji", "pagure", false), 0.0);
    }
}
