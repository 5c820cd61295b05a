//! The index layout: the tantivy schema and its fields ([`Fields`]), the analyzer shared by
//! every text field and every query word, the field boosts, and the format of facet terms.
//!
//! The bottom of the module: it depends on no other file of `search`, and everything that
//! writes documents ([`super::entries`]) or builds queries reads the layout from here.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::Score;

/// Bump when the schema or what is indexed changes: persisted indexes are then rebuilt.
pub(super) const SCHEMA_VERSION: u32 = 4;
pub(super) const TOKENIZER: &str = "cairn";

/// Tokens this long are dropped (hashes, base64 blobs): nobody searches for them.
const MAX_TOKEN_LEN: usize = 40;

/// Field boosts: names and aliases over titles and tags over descriptions over everything else.
const BOOST_NAME: Score = 6.0;
const BOOST_ALIASES: Score = 5.0;
const BOOST_TITLE: Score = 3.0;
const BOOST_TAGS: Score = 2.5;
const BOOST_DESCRIPTION: Score = 1.5;
const BOOST_BODY: Score = 1.0;

/// The number of full-text fields ([`Fields::text_fields`]).
pub(super) const TEXT_FIELDS: usize = 6;

/// The schema's fields, resolved once.
#[derive(Clone, Copy, Debug)]
pub(super) struct Fields {
    pub(super) kind: Field,
    pub(super) label: Field,
    pub(super) system: Field,
    pub(super) url: Field,
    pub(super) name: Field,
    pub(super) name_key: Field,
    pub(super) aliases: Field,
    pub(super) title: Field,
    pub(super) tags: Field,
    pub(super) description: Field,
    pub(super) body: Field,
    pub(super) facets: Field,
    pub(super) facet_set: Field,
    pub(super) prior: Field,
    pub(super) rank: Field,
    pub(super) group: Field,
}

impl Fields {
    /// The full-text fields a word is looked up in, with their boosts.
    pub(super) fn text_fields(&self) -> [(Field, Score); TEXT_FIELDS] {
        [
            (self.name, BOOST_NAME),
            (self.aliases, BOOST_ALIASES),
            (self.title, BOOST_TITLE),
            (self.tags, BOOST_TAGS),
            (self.description, BOOST_DESCRIPTION),
            (self.body, BOOST_BODY),
        ]
    }
}

/// The one place that defines the index layout.
pub(super) fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        // STORED only: shown in results; filtering by kind goes through `facets`.
        kind: b.add_text_field("kind", STORED),
        // STORED only: the display name (a doc section's heading is not a name to rank on).
        label: b.add_text_field("label", STORED),
        // STORED only: the owning system, returned with APIs, endpoints and docs.
        system: b.add_text_field("system", STORED),
        // STORED only: where the web UI shows the result.
        url: b.add_text_field("url", STORED),
        // TEXT with positions: names split into words ("fas-openid" → fas, openid) for word,
        // prefix, typo and phrase matches; the highest boost. Not stored (see `label`).
        name: b.add_text_field("name", text.clone()),
        // STRING (one untokenised, lowercased term per name, alias or `sys/api@N`): lets a query
        // that is exactly a name win outright. Not stored.
        name_key: b.add_text_field("name_key", STRING),
        // TEXT: other names a system has (tracing, service discovery), an endpoint's operationId.
        aliases: b.add_text_field("aliases", text.clone()),
        // TEXT | STORED: display title, also shown in results.
        title: b.add_text_field("title", text.clone() | STORED),
        // TEXT: tags, domain, API kind; ranked like the title.
        tags: b.add_text_field("tags", text.clone()),
        // TEXT | STORED: stored for snippets.
        description: b.add_text_field("description", text.clone() | STORED),
        // TEXT | STORED: everything else (ilities, support facts, members, a doc section's text);
        // stored for snippets; the lowest boost.
        body: b.add_text_field("body", text | STORED),
        // STRING, multi-valued: one untokenised `key:value` term per facet value (`kind:system`,
        // `owner:releng`, `tag:python`, `team:qa`, ...). A filter is one exact term query. Not a
        // tantivy facet field: counting is done with `facet_set` instead (see [`FacetSets`]).
        facets: b.add_text_field("facets", STRING),
        // FAST u64: the id of the document's combination of facet values; the facet counter
        // reads it a block of matches at a time.
        facet_set: b.add_u64_field("facet_set", FAST),
        // FAST f64: a per-kind multiplier of the relevance score (docs rank below entities),
        // read for the few best hits only.
        prior: b.add_f64_field("prior", FAST),
        // FAST u64: position in (kind, name) order; the order of filter-only listings and the
        // tie-breaker between equal scores, independent of how documents fell into segments.
        rank: b.add_u64_field("rank", FAST),
        // STRING, not stored: the catalog entity a document belongs to (`s:` + system name for
        // a system, its APIs and endpoints; `t:` + team name; `d:` + doc path for a doc's
        // sections). An incremental reload deletes a changed entity's documents by this one
        // term and adds their new versions (see [`SearchUpdater`]).
        group: b.add_text_field("group", STRING),
    };
    (b.build(), fields)
}

/// The analyzer for every text field and for query words: split at non-alphanumerics,
/// drop very long tokens, lowercase, fold accents.
pub(super) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Facet values are lowercase and free of control characters.
pub(super) fn clean_facet(v: &str) -> String {
    v.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_lowercase()
}

/// The `facets` term of a facet value: `owner:releng`.
pub(super) fn facet_term(key: &str, value: &str) -> String {
    format!("{key}:{value}")
}
