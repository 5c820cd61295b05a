//! A second executor for word queries ([`QueryPlan`]): documents are evaluated a window of
//! [`WINDOW`] ids at a time, term list by term list, into per-window bitsets and score arrays
//! (the design of Lucene's `BooleanScorer`), and every match of the window is then counted for
//! the facets and offered to the top-k at once.
//!
//! Why: a word expands into up to `MAX_EXPANSIONS` ([`plan`](super::plan)) terms in each of
//! six fields, and tantivy evaluates that as unions of unions behind `dyn Scorer`, a document at
//! a time (`BufferedUnionScorer::refill`, `seek` and `advance` dominated the search threads'
//! profile at 100,000 systems, docs/benchmarks.md). Here each posting
//! is read once, in order, a block of 128 at a time, with no dynamic dispatch, and conjunctions
//! only look at the candidates left by the words before them (seeking when those are few).
//!
//! The score is the one the tantivy query of the same plan computes ([`WordPlan::query`]):
//! BM25 per variant from the same [`Bm25Weight`]s, the best variant per field, the best field
//! plus a share of the others, the tier bonus, sums over words and groups. A test runs both
//! executors over many queries and compares totals, facets and scores.

use rayon::prelude::*;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::BlockSegmentPostings;
use tantivy::query::{Bm25StatisticsProvider, Bm25Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, Term, TERMINATED};

mod topk;

use super::facets::{segment_facet_pairs, FacetSegmentCounter, FacetTable, SetCounts};
use super::plan::{
    PlanItem, QueryPlan, Spread, WordPlan, EXACT_NAME_BONUS, EXACT_WORD_BONUS, FIELD_TIE_BREAKER,
};
use super::schema::{Fields, TEXT_FIELDS};
use super::segments::Extras;
use topk::TopK;

/// Documents per window: 64 words of bits, score arrays of 16 KB.
const WINDOW: usize = 4096;
const WORDS: usize = WINDOW / 64;
/// Below this many candidates in a window, a term list is sought doc by doc instead of read.
const SPARSE: u32 = 96;

/// The page of hits (raw scores, best first, then by address) and the counts of one query.
pub(super) struct Outcome {
    pub top: Vec<(Score, DocAddress)>,
    pub counts: SetCounts,
}

/// One segment's counts and its best hits.
type SegmentOutcome = (SetCounts, Vec<(Score, DocAddress)>);

/// Runs `plan` over every segment of `searcher` (in parallel), keeping the `k` best matches.
pub(super) fn run(
    searcher: &Searcher,
    fields: &Fields,
    table: &std::sync::Arc<FacetTable>,
    extras: &Extras,
    plan: &QueryPlan,
    k: usize,
    spread: Spread,
) -> tantivy::Result<Outcome> {
    if !plan.windowed() {
        return Err(tantivy::TantivyError::InvalidArgument(
            "a phrase of several words or no words: tantivy runs this query".into(),
        ));
    }
    let weights = Weights::of(searcher, fields, plan)?;
    let one_segment = |(ord, reader): (usize, &SegmentReader)| {
        let pairs = match extras.get(&reader.segment_id()) {
            Some(e) => e.facet_pairs.clone(),
            None => segment_facet_pairs(reader, &table.split),
        };
        let mut counter = FacetSegmentCounter::new(table, pairs);
        let mut top = TopK::new(k);
        let mut segment = Segment::open(reader, fields, plan, &weights)?;
        segment.run(&mut counter, &mut top);
        let hits = top
            .into_sorted()
            .into_iter()
            .map(|(score, doc)| (score, DocAddress::new(ord as u32, doc)))
            .collect();
        Ok((tantivy::collector::SegmentCollector::harvest(counter), hits))
    };
    let readers = searcher.segment_readers();
    let per_segment: Vec<tantivy::Result<SegmentOutcome>> = match spread {
        Spread::AllCores => readers.par_iter().enumerate().map(one_segment).collect(),
        Spread::OneThread => readers.iter().enumerate().map(one_segment).collect(),
    };
    let mut per_segment_counts = Vec::with_capacity(per_segment.len());
    let mut top = Vec::new();
    for r in per_segment {
        let (c, hits) = r?;
        per_segment_counts.push(c);
        top.extend(hits);
    }
    let counts = table.merged(per_segment_counts);
    top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    top.truncate(k);
    Ok(Outcome { top, counts })
}

/// Per word and variant, the BM25 weight over the whole index (as tantivy's `TermQuery`
/// computes it), already multiplied by the variant's weight and the field's boost.
struct Weights(Vec<Vec<Vec<Vec<Bm25Weight>>>>);

impl Weights {
    fn of(searcher: &Searcher, fields: &Fields, plan: &QueryPlan) -> tantivy::Result<Weights> {
        let text = fields.text_fields();
        let mut out = Vec::new();
        for group in &plan.groups {
            let mut g = Vec::new();
            for conj in group {
                let mut c = Vec::new();
                for word in conj.iter().filter_map(PlanItem::word) {
                    let mut w = Vec::new();
                    for v in &word.variants {
                        let (field, boost) = text[v.field];
                        let term = Term::from_field_text(field, &v.text);
                        let bm25 = bm25_for(searcher, &term)?;
                        w.push(bm25.boost_by(boost * v.weight));
                    }
                    c.push(w);
                }
                g.push(c);
            }
            out.push(g);
        }
        Ok(Weights(out))
    }
}

fn bm25_for(stats: &dyn Bm25StatisticsProvider, term: &Term) -> tantivy::Result<Bm25Weight> {
    Bm25Weight::for_terms(stats, std::slice::from_ref(term))
}

/// One term list of one word in one segment.
struct Leaf {
    postings: Cursor,
    norms: FieldNormReader,
    bm25: Bm25Weight,
    exact: bool,
}

/// A word in one segment: its leaves grouped by field, in field order.
struct Word {
    fields: Vec<Vec<Leaf>>,
    tier: bool,
    /// Postings of all leaves: the order words of a conjunction are evaluated in.
    cost: usize,
}

/// The plan bound to one segment's term lists.
struct Segment<'r> {
    reader: &'r SegmentReader,
    /// Groups → alternatives → words, each conjunction and the groups cheapest first.
    groups: Vec<Vec<Vec<Word>>>,
    all_words: bool,
    filters: Vec<Vec<Cursor>>,
    excluded: Vec<Cursor>,
    /// Per excluded conjunction, per token, its term lists in every text field.
    excluded_words: Vec<Vec<Vec<Cursor>>>,
    exact_name: Option<Cursor>,
}

fn postings(
    reader: &SegmentReader,
    term: &Term,
    option: IndexRecordOption,
) -> tantivy::Result<Option<Cursor>> {
    let block = reader
        .inverted_index(term.field())?
        .read_block_postings(term, option)?;
    Ok(block.map(|block| Cursor { block, i: 0 }))
}

/// A term list read a block of 128 documents at a time (tantivy's `SegmentPostings` goes
/// through the same blocks a document at a time, several times slower to read through).
/// Invariant: `i` is within the loaded block, or the block is empty and the list is done.
struct Cursor {
    block: BlockSegmentPostings,
    i: usize,
}

impl Cursor {
    fn len(&self) -> usize {
        self.block.doc_freq() as usize
    }

    /// The current document, [`TERMINATED`] when done.
    #[inline]
    fn doc(&self) -> DocId {
        self.block.docs().get(self.i).copied().unwrap_or(TERMINATED)
    }

    #[inline]
    fn freq(&self) -> u32 {
        self.block.freqs().get(self.i).copied().unwrap_or(1)
    }

    /// Past the end of the block: load the next one.
    #[inline]
    fn settle(&mut self) {
        while self.i >= self.block.docs().len() && !self.block.docs().is_empty() {
            self.block.advance();
            self.i = 0;
        }
    }

    /// The first document `>= target` (`target` not below the current document).
    fn seek(&mut self, target: DocId) -> DocId {
        let docs = self.block.docs();
        match docs.last() {
            None => return TERMINATED,
            Some(&last) if last >= target => {
                self.i += docs
                    .get(self.i..)
                    .map_or(0, |rest| rest.partition_point(|&d| d < target));
            }
            Some(_) => {
                self.i = self.block.seek(target);
                self.settle();
            }
        }
        self.doc()
    }

    /// Calls `f(offset, freq)` for its documents below `end`, from `base` on; `keep` says
    /// which offsets count.
    #[inline]
    fn scan(
        &mut self,
        base: DocId,
        end: DocId,
        keep: impl Fn(usize) -> bool,
        mut f: impl FnMut(usize, u32),
    ) {
        if self.doc() < base {
            self.seek(base);
        }
        loop {
            let docs = self.block.docs();
            if docs.is_empty() {
                return;
            }
            let freqs = self.block.freqs();
            let mut i = self.i;
            while i < docs.len() {
                let doc = docs[i];
                if doc >= end {
                    self.i = i;
                    return;
                }
                let d = (doc - base) as usize;
                if keep(d) {
                    f(d, freqs.get(i).copied().unwrap_or(1));
                }
                i += 1;
            }
            self.i = i;
            self.settle();
        }
    }
}

impl<'r> Segment<'r> {
    fn open(
        reader: &'r SegmentReader,
        fields: &Fields,
        plan: &QueryPlan,
        weights: &Weights,
    ) -> tantivy::Result<Segment<'r>> {
        let text = fields.text_fields();
        let mut groups = Vec::new();
        for (group, gw) in plan.groups.iter().zip(&weights.0) {
            let mut g = Vec::new();
            for (conj, cw) in group.iter().zip(gw) {
                let mut c = Vec::new();
                for (word, ww) in conj.iter().filter_map(PlanItem::word).zip(cw) {
                    c.push(Word::open(reader, &text, word, ww)?);
                }
                c.sort_by_key(|w| w.cost);
                g.push(c);
            }
            groups.push(g);
        }
        if plan.all_words {
            groups.sort_by_key(|g: &Vec<Vec<Word>>| {
                g.iter()
                    .map(|c| c.iter().map(|w| w.cost).sum::<usize>())
                    .sum::<usize>()
            });
        }
        let basic = |t: &Term| postings(reader, t, IndexRecordOption::Basic);
        let mut filters = Vec::new();
        for terms in &plan.filters {
            let mut any = Vec::new();
            for t in terms {
                any.extend(basic(t)?);
            }
            filters.push(any);
        }
        let mut excluded = Vec::new();
        for t in &plan.excluded {
            excluded.extend(basic(t)?);
        }
        let mut excluded_words = Vec::new();
        for items in &plan.excluded_words {
            // Each a word exactly, in any field (`WordPlan::exact`): its variants' lists.
            let mut conj = Vec::new();
            for word in items.iter().filter_map(PlanItem::word) {
                let mut anywhere = Vec::new();
                for v in &word.variants {
                    let (field, _) = text[v.field];
                    anywhere.extend(basic(&Term::from_field_text(field, &v.text))?);
                }
                conj.push(anywhere);
            }
            excluded_words.push(conj);
        }
        let exact_name = match &plan.exact_name {
            Some(t) => basic(t)?,
            None => None,
        };
        Ok(Segment {
            reader,
            groups,
            all_words: plan.all_words,
            filters,
            excluded,
            excluded_words,
            exact_name,
        })
    }

    fn run(&mut self, counter: &mut FacetSegmentCounter, top: &mut TopK) {
        let max_doc = self.reader.max_doc();
        let alive = self.reader.alive_bitset();
        let mut s = Scratch::new();
        let mut base = 0u32;
        while base < max_doc {
            let end = base.saturating_add(WINDOW as u32).min(max_doc);
            let mut cand = Bits::upto((end - base) as usize);
            if self.filter(base, end, &mut cand, &mut s.tmp) {
                self.text(base, end, &cand, &mut s);
                self.exclude(base, end, &mut s);
                if let Some(alive) = alive {
                    let acc = &mut s.acc[0];
                    let mut dead = Bits::default();
                    acc.bits.for_each(|d| {
                        if alive.is_deleted(base + d as u32) {
                            dead.set(d);
                        }
                    });
                    acc.bits.and_not(&dead);
                }
                if let Some(p) = &mut self.exact_name {
                    let acc = &mut s.acc[0];
                    let (bits, score) = (&acc.bits, &mut acc.score);
                    visit(
                        p,
                        Win { base, end },
                        bits,
                        Mode::of(bits, Win { base, end }),
                        |d, _| score[d] += EXACT_NAME_BONUS,
                    );
                }
                let acc = &s.acc[0];
                acc.bits.for_each(|d| {
                    let doc = base + d as u32;
                    counter.count(doc);
                    top.offer(acc.score[d], doc);
                });
            }
            base = end;
        }
    }

    /// Narrows `cand` to the documents every filter matches; `false` when none is left.
    fn filter(&mut self, base: u32, end: u32, cand: &mut Bits, tmp: &mut Bits) -> bool {
        for any in &mut self.filters {
            tmp.clear();
            for p in any.iter_mut() {
                visit(
                    p,
                    Win { base, end },
                    cand,
                    Mode::of(cand, Win { base, end }),
                    |d, _| tmp.set(d),
                );
            }
            cand.and(tmp);
            if cand.is_empty() {
                return false;
            }
        }
        true
    }

    /// The text part into `s.acc[0]`: matches among `cand` and their scores.
    fn text(&mut self, base: u32, end: u32, cand: &Bits, s: &mut Scratch) {
        let win = Win { base, end };
        let Some((top, rest)) = s.acc.split_first_mut() else {
            return;
        };
        for (i, g) in self.groups.iter_mut().enumerate() {
            if i == 0 {
                // The first group straight into the result.
                let (first, _) = std::slice::from_mut(top).split_at_mut(1);
                eval_group(g, win, cand, first, rest, &mut s.field);
                continue;
            }
            let within = if self.all_words { top.bits } else { *cand };
            if within.is_empty() {
                break;
            }
            let Some((out, deeper)) = rest.split_first_mut() else {
                return;
            };
            eval_group(
                g,
                win,
                &within,
                std::slice::from_mut(out),
                deeper,
                &mut s.field,
            );
            if self.all_words {
                top.and_sum(out);
            } else {
                top.or_sum(out);
            }
        }
    }

    /// Drops excluded documents from `s.acc[0]`.
    fn exclude(&mut self, base: u32, end: u32, s: &mut Scratch) {
        let acc = &mut s.acc[0];
        if acc.bits.is_empty() {
            return;
        }
        for p in &mut self.excluded {
            let bits = acc.bits;
            let mut out = Bits::default();
            visit(
                p,
                Win { base, end },
                &bits,
                Mode::of(&bits, Win { base, end }),
                |d, _| out.set(d),
            );
            acc.bits.and_not(&out);
        }
        for conj in &mut self.excluded_words {
            // Documents with every token of the conjunction, each in some field.
            let mut all = acc.bits;
            for anywhere in conj.iter_mut() {
                let mut any = Bits::default();
                for p in anywhere.iter_mut() {
                    visit(
                        p,
                        Win { base, end },
                        &all,
                        Mode::of(&all, Win { base, end }),
                        |d, _| any.set(d),
                    );
                }
                all.and(&any);
            }
            acc.bits.and_not(&all);
        }
    }
}

impl Word {
    fn open(
        reader: &SegmentReader,
        text: &[(tantivy::schema::Field, Score); TEXT_FIELDS],
        word: &WordPlan,
        weights: &[Bm25Weight],
    ) -> tantivy::Result<Word> {
        let mut fields: Vec<Vec<Leaf>> = (0..TEXT_FIELDS).map(|_| Vec::new()).collect();
        let mut cost = 0;
        for (v, bm25) in word.variants.iter().zip(weights) {
            let (field, _) = text[v.field];
            let term = Term::from_field_text(field, &v.text);
            let Some(p) = postings(reader, &term, IndexRecordOption::WithFreqs)? else {
                continue;
            };
            cost += p.len();
            fields[v.field].push(Leaf {
                postings: p,
                norms: reader.get_fieldnorms_reader(field)?,
                bm25: bm25.clone(),
                exact: v.exact,
            });
        }
        fields.retain(|f| !f.is_empty());
        Ok(Word {
            fields,
            tier: word.tier,
            cost,
        })
    }
}

/// The window being evaluated: document ids `base..end`.
#[derive(Clone, Copy)]
struct Win {
    base: u32,
    end: u32,
}

/// A group (alternatives, any of which may match; their scores add up) into `out[0]`;
/// `spare` holds the buffers of the levels below. One alternative (the common case) is
/// evaluated straight into `out`, without a copy.
fn eval_group(
    group: &mut [Vec<Word>],
    win: Win,
    cand: &Bits,
    out: &mut [Acc],
    spare: &mut [Acc],
    fs: &mut FieldScratch,
) {
    if group.len() == 1 {
        eval_conj(&mut group[0], win, cand, out, spare, fs);
        return;
    }
    let (Some(out), Some((alt, deeper))) = (out.first_mut(), spare.split_first_mut()) else {
        return;
    };
    out.bits.clear();
    for alternative in group.iter_mut() {
        eval_conj(
            alternative,
            win,
            cand,
            std::slice::from_mut(alt),
            deeper,
            fs,
        );
        out.or_sum(alt);
    }
}

/// A conjunction of words (all must match; scores add up) into `out[0]`, the cheapest word
/// first and each later one only among the documents still matching.
fn eval_conj(
    words: &mut [Word],
    win: Win,
    cand: &Bits,
    out: &mut [Acc],
    spare: &mut [Acc],
    fs: &mut FieldScratch,
) {
    let Some(out) = out.first_mut() else {
        return;
    };
    for (i, w) in words.iter_mut().enumerate() {
        if i == 0 {
            eval_word(w, win, cand, out, fs);
            continue;
        }
        if out.bits.is_empty() {
            return;
        }
        let Some(next) = spare.first_mut() else {
            return;
        };
        let within = out.bits;
        eval_word(w, win, &within, next, fs);
        out.and_sum(next);
    }
}

/// One word's matches among `cand` and their scores into `out`.
fn eval_word(w: &mut Word, win: Win, cand: &Bits, out: &mut Acc, fs: &mut FieldScratch) {
    let mode = Mode::of(cand, win);
    let tier = w.tier;
    out.bits.clear();
    if tier {
        fs.exact.clear();
    }
    let (seen, best) = (&mut out.bits, &mut out.score);
    let (sum, exact) = (&mut fs.sum, &mut fs.exact);
    for leaves in &mut w.fields {
        if let [leaf] = leaves.as_mut_slice() {
            // One variant in this field: each posting straight into the word.
            leaf.each(win, cand, mode, tier, exact, |d, s| {
                fold(seen, best, sum, d, s)
            });
            continue;
        }
        // Several variants: the best of them in this field first, then into the word.
        let (bits, max) = (&mut fs.bits, &mut fs.max);
        bits.clear();
        for leaf in leaves.iter_mut() {
            leaf.each(win, cand, mode, tier, exact, |d, s| {
                if !bits.get(d) {
                    bits.set(d);
                    max[d] = s;
                } else if s > max[d] {
                    max[d] = s;
                }
            });
        }
        bits.for_each(|d| fold(seen, best, sum, d, max[d]));
    }
    let (score, sum, exact) = (&mut out.score, &fs.sum, &fs.exact);
    out.bits.for_each(|d| {
        let best = score[d];
        let mut s = best + (sum[d] - best) * FIELD_TIE_BREAKER;
        if tier && exact.get(d) {
            s += EXACT_WORD_BONUS;
        }
        score[d] = s;
    });
}

/// Folds a field's score `v` for window offset `d` into a word: the best field and the sum
/// over fields.
#[inline]
fn fold(
    seen: &mut Bits,
    best: &mut [Score; WINDOW],
    sum: &mut [Score; WINDOW],
    d: usize,
    v: Score,
) {
    if seen.get(d) {
        if v > best[d] {
            best[d] = v;
        }
        sum[d] += v;
    } else {
        seen.set(d);
        best[d] = v;
        sum[d] = v;
    }
}

impl Leaf {
    /// Calls `f(window offset, BM25 score)` for each of its documents among `cand`, and
    /// marks them in `exact` when this is the word as typed and the word has the tier bonus.
    #[inline]
    fn each(
        &mut self,
        win: Win,
        cand: &Bits,
        mode: Mode,
        tier: bool,
        exact: &mut Bits,
        mut f: impl FnMut(usize, Score),
    ) {
        let Leaf {
            postings,
            norms,
            bm25,
            exact: is_exact,
        } = self;
        let mark = *is_exact && tier;
        visit(postings, win, cand, mode, |d, tf| {
            f(d, bm25.score(norms.fieldnorm_id(win.base + d as u32), tf));
            if mark {
                exact.set(d);
            }
        });
    }
}

/// How a term list is read within a window.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Every document of the window is a candidate: read the list, no checks.
    All,
    /// Read the list, keep the candidates.
    Scan,
    /// Few candidates: seek each.
    Sparse,
}

impl Mode {
    fn of(cand: &Bits, win: Win) -> Mode {
        let n = cand.count();
        if n == win.end - win.base {
            Mode::All
        } else if n < SPARSE {
            Mode::Sparse
        } else {
            Mode::Scan
        }
    }
}

/// Calls `f(window offset, term frequency)` for each document of `p` in the window that is in
/// `cand`.
#[inline]
fn visit(p: &mut Cursor, win: Win, cand: &Bits, mode: Mode, mut f: impl FnMut(usize, u32)) {
    let Win { base, end } = win;
    let mut doc = p.doc();
    if doc >= end {
        return;
    }
    match mode {
        Mode::Sparse => cand.for_each_until(|d| {
            let target = base + d as u32;
            if doc < target {
                doc = p.seek(target);
            }
            if doc == target {
                f(d, p.freq());
            }
            doc < end
        }),
        Mode::All => p.scan(base, end, |_| true, f),
        Mode::Scan => p.scan(base, end, |d| cand.get(d), f),
    }
}

/// A set of window offsets.
#[derive(Clone, Copy)]
struct Bits([u64; WORDS]);

impl Default for Bits {
    fn default() -> Bits {
        Bits([0; WORDS])
    }
}

impl Bits {
    /// Offsets `0..n`.
    fn upto(n: usize) -> Bits {
        let mut b = Bits::default();
        for (i, w) in b.0.iter_mut().enumerate() {
            let lo = i * 64;
            *w = if n >= lo + 64 {
                u64::MAX
            } else if n > lo {
                (1u64 << (n - lo)) - 1
            } else {
                0
            };
        }
        b
    }

    fn clear(&mut self) {
        self.0 = [0; WORDS];
    }

    #[inline]
    fn set(&mut self, d: usize) {
        self.0[d >> 6] |= 1 << (d & 63);
    }

    #[inline]
    fn get(&self, d: usize) -> bool {
        self.0[d >> 6] & (1 << (d & 63)) != 0
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    fn count(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    fn and(&mut self, o: &Bits) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            *a &= b;
        }
    }

    fn or(&mut self, o: &Bits) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            *a |= b;
        }
    }

    fn and_not(&mut self, o: &Bits) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            *a &= !b;
        }
    }

    /// Every offset, ascending.
    #[inline]
    fn for_each(&self, mut f: impl FnMut(usize)) {
        for (i, &w) in self.0.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                f(i * 64 + w.trailing_zeros() as usize);
                w &= w - 1;
            }
        }
    }

    /// Offsets ascending while `f` returns `true`.
    #[inline]
    fn for_each_until(&self, mut f: impl FnMut(usize) -> bool) {
        for (i, &w) in self.0.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                if !f(i * 64 + w.trailing_zeros() as usize) {
                    return;
                }
                w &= w - 1;
            }
        }
    }
}

/// Matches of a window and their scores (a score is meaningful only where its bit is set).
struct Acc {
    bits: Bits,
    score: Box<[Score; WINDOW]>,
}

impl Acc {
    fn new() -> Acc {
        Acc {
            bits: Bits::default(),
            score: Box::new([0.0; WINDOW]),
        }
    }

    /// Both must match; scores add up.
    fn and_sum(&mut self, o: &Acc) {
        self.bits.and(&o.bits);
        let score = &mut self.score;
        self.bits.for_each(|d| score[d] += o.score[d]);
    }

    /// Either may match; scores add up.
    fn or_sum(&mut self, o: &Acc) {
        let (score, seen) = (&mut self.score, &self.bits);
        o.bits.for_each(|d| {
            if seen.get(d) {
                score[d] += o.score[d];
            } else {
                score[d] = o.score[d];
            }
        });
        self.bits.or(&o.bits);
    }
}

/// A word's per-field working space.
struct FieldScratch {
    /// Documents the current field matched, with their best variant's score.
    bits: Bits,
    max: Box<[Score; WINDOW]>,
    /// Sum over the fields so far.
    sum: Box<[Score; WINDOW]>,
    /// Documents with the word as typed.
    exact: Bits,
}

/// Everything a segment's run writes into, allocated once per segment.
struct Scratch {
    /// The query, a group, a conjunction, a word.
    acc: [Acc; 4],
    field: FieldScratch,
    tmp: Bits,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            acc: [Acc::new(), Acc::new(), Acc::new(), Acc::new()],
            field: FieldScratch {
                bits: Bits::default(),
                max: Box::new([0.0; WINDOW]),
                sum: Box::new([0.0; WINDOW]),
                exact: Bits::default(),
            },
            tmp: Bits::default(),
        }
    }
}
