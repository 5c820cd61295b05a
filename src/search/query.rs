//! Cairn's query language: words, `"phrases"`, `-exclusions`, `OR`, `NOT` and `key:value`
//! filters, parsed into a [`ParsedQuery`] of analyzed tokens. Total: any input (overlong,
//! control characters, unbalanced quotes) parses, possibly to an empty query; nothing here
//! touches the index.
//!
//! Depends only on [`schema`](mod@super::schema) (the facet value format a filter value is
//! normalised to). The planner ([`super::plan`]) turns a parsed query into index terms.

use std::collections::BTreeMap;

use tantivy::tokenizer::TextAnalyzer;

use super::schema::clean_facet;

/// Longer queries are cut (at a character boundary) before parsing.
pub const MAX_QUERY_BYTES: usize = 1024;

const MAX_GROUPS: usize = 16;
const MAX_TOKENS_PER_CHUNK: usize = 8;
const MAX_NEGATIONS: usize = 8;
const MAX_FILTERS: usize = 16;

/// A filter key of the query language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum FilterKey {
    Kind,
    Owner,
    Team,
    Tier,
    Tag,
    Domain,
    Lifecycle,
}

impl FilterKey {
    fn parse(s: &str) -> Option<FilterKey> {
        Some(match s.to_ascii_lowercase().as_str() {
            "kind" | "type" => FilterKey::Kind,
            "owner" => FilterKey::Owner,
            "team" => FilterKey::Team,
            "tier" => FilterKey::Tier,
            "tag" | "tags" => FilterKey::Tag,
            "domain" => FilterKey::Domain,
            "lifecycle" => FilterKey::Lifecycle,
            _ => return None,
        })
    }

    /// The value as it is stored in the facet.
    fn normalise(self, value: &str) -> String {
        let v = clean_facet(value);
        match self {
            FilterKey::Kind => match v.as_str() {
                "systems" | "service" | "services" => "system".into(),
                "apis" => "api".into(),
                "endpoints" | "operation" | "operations" => "endpoint".into(),
                "teams" | "group" | "groups" => "team".into(),
                "docs" | "document" | "documents" | "runbook" | "runbooks" => "doc".into(),
                _ => v,
            },
            FilterKey::Tier => v.trim_start_matches('t').to_string(),
            _ => v,
        }
    }
}

/// A word or a phrase, as analyzed tokens.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Item {
    /// One token; `prefix` when it is the last word typed (search-as-you-type).
    Word { token: String, prefix: bool },
    /// Tokens that must appear in this order.
    Phrase(Vec<String>),
}

/// Items that must all match (one chunk of the query: `fas-openid` is `fas` and `openid`).
type Conj = Vec<Item>;

/// A parsed query: every group must match (one of its alternatives), plus filters.
#[derive(Debug, Default)]
pub(super) struct ParsedQuery {
    /// `a b OR c` → `[[a], [b, c]]`: AND of groups, OR inside a group.
    pub(super) groups: Vec<Vec<Conj>>,
    pub(super) negated: Vec<Conj>,
    /// Values of one key are alternatives; different keys must all match.
    pub(super) filters: BTreeMap<FilterKey, Vec<String>>,
    pub(super) negated_filters: Vec<(FilterKey, String)>,
    /// The free text when it could be a whole name (`pkgdb/api@2`, `bodhi`), lowercased.
    pub(super) exact_name: Option<String>,
}

impl ParsedQuery {
    pub(super) fn is_empty(&self) -> bool {
        self.groups.is_empty()
            && self.negated.is_empty()
            && self.filters.is_empty()
            && self.negated_filters.is_empty()
    }

    /// Strictest first: all words with Meilisearch typo rules, then with more typos allowed,
    /// then any word.
    pub(super) fn attempts(&self) -> Vec<(TypoPolicy, bool)> {
        let mut v = vec![(TypoPolicy::Strict, true)];
        let relaxable = self.groups.iter().flatten().flatten().any(|i| match i {
            Item::Word { token, .. } => {
                TypoPolicy::Relaxed.max_typos(token) > TypoPolicy::Strict.max_typos(token)
            }
            Item::Phrase(_) => false,
        });
        if relaxable {
            v.push((TypoPolicy::Relaxed, true));
        }
        if self.groups.len() > 1 {
            v.push((TypoPolicy::Strict, false));
            if relaxable {
                v.push((TypoPolicy::Relaxed, false));
            }
        }
        v
    }
}

/// How many typos a word may have, by its length in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum TypoPolicy {
    /// Meilisearch's defaults: none under 5 letters, 1 from 5, 2 from 9 (words that occur
    /// nowhere as typed get the relaxed budget).
    Strict,
    /// When nothing matches strictly: 1 typo from 4 letters, 2 from 8.
    Relaxed,
}

impl TypoPolicy {
    pub(super) fn max_typos(self, token: &str) -> u8 {
        let n = token.chars().count();
        // Digits are versions, tiers and ports: a typo there is a different thing.
        if token.chars().any(|c| c.is_ascii_digit()) && n < 9 {
            return 0;
        }
        let (one, two) = match self {
            TypoPolicy::Strict => (5, 9),
            TypoPolicy::Relaxed => (4, 8),
        };
        if n >= two {
            2
        } else if n >= one {
            1
        } else {
            0
        }
    }
}

/// A raw piece of the query text, before analysis.
#[derive(Debug)]
enum Chunk {
    Word(String),
    Phrase(String),
    Filter(FilterKey, String),
}

/// Parses the query language. Total: any input yields a (possibly empty) query.
pub(super) fn parse_query(raw: &str, analyzer: &mut TextAnalyzer) -> ParsedQuery {
    let text = sanitize_query(raw);
    let ends_with_space = text.ends_with(char::is_whitespace);
    let chunks = lex(&text);

    let mut q = ParsedQuery::default();
    let mut free_words: Vec<String> = Vec::new();
    let mut join_with_previous = false;
    let mut negate_next = false;
    let mut last_word: Option<(usize, usize, usize)> = None; // (group, alt, item)

    for (negated, chunk) in chunks {
        let negated = negated || std::mem::take(&mut negate_next);
        match chunk {
            Chunk::Word(w) if w == "AND" => continue,
            Chunk::Word(w) if w == "OR" => {
                join_with_previous = !q.groups.is_empty();
                continue;
            }
            Chunk::Word(w) if w == "NOT" => {
                negate_next = true;
                continue;
            }
            Chunk::Filter(key, value) => {
                join_with_previous = false;
                let value = key.normalise(&value);
                if value.is_empty() {
                    continue;
                }
                if negated {
                    if q.negated_filters.len() < MAX_FILTERS {
                        q.negated_filters.push((key, value));
                    }
                } else {
                    let n: usize = q.filters.values().map(Vec::len).sum();
                    let values = q.filters.entry(key).or_default();
                    if n < MAX_FILTERS && !values.contains(&value) {
                        values.push(value);
                    }
                }
                continue;
            }
            Chunk::Word(w) => {
                let tokens = tokens(analyzer, &w);
                if tokens.is_empty() {
                    continue;
                }
                let conj: Conj = tokens
                    .into_iter()
                    .map(|token| Item::Word {
                        token,
                        prefix: false,
                    })
                    .collect();
                if negated {
                    if q.negated.len() < MAX_NEGATIONS {
                        q.negated.push(conj);
                    }
                    join_with_previous = false;
                    continue;
                }
                free_words.push(w.to_lowercase());
                let pos = push_conj(&mut q, conj, std::mem::take(&mut join_with_previous));
                last_word = pos;
            }
            Chunk::Phrase(p) => {
                let tokens = tokens(analyzer, &p);
                if tokens.is_empty() {
                    continue;
                }
                let conj = vec![Item::Phrase(tokens)];
                if negated {
                    if q.negated.len() < MAX_NEGATIONS {
                        q.negated.push(conj);
                    }
                    join_with_previous = false;
                    continue;
                }
                free_words.push(p.to_lowercase());
                push_conj(&mut q, conj, std::mem::take(&mut join_with_previous));
                last_word = None;
            }
        }
    }

    // The last word typed is matched as a prefix, unless the user already typed past it, or it
    // is a single letter or a number (a version, an id: "tracker-0" is not "tracker-01").
    if !ends_with_space {
        if let Some((g, a, i)) = last_word {
            if let Some(Item::Word { token, prefix }) = q
                .groups
                .get_mut(g)
                .and_then(|g| g.get_mut(a))
                .and_then(|c| c.get_mut(i))
            {
                *prefix = token.chars().count() > 1 && !token.chars().all(|c| c.is_ascii_digit());
            }
        }
    }
    if !free_words.is_empty() && free_words.len() <= 3 {
        let joined = free_words.join(" ");
        if joined.len() <= 200 {
            q.exact_name = Some(joined);
        }
    }
    q
}

/// Adds a conjunction as a new group or as an alternative of the last group; returns where
/// its last item landed.
fn push_conj(q: &mut ParsedQuery, conj: Conj, join: bool) -> Option<(usize, usize, usize)> {
    let last_item = conj.len().checked_sub(1)?;
    if join {
        let n = q.groups.len();
        if let Some(g) = q.groups.last_mut() {
            if g.len() < MAX_GROUPS {
                g.push(conj);
            }
            return Some((n - 1, g.len() - 1, last_item));
        }
    }
    if q.groups.len() >= MAX_GROUPS {
        return None;
    }
    q.groups.push(vec![conj]);
    Some((q.groups.len() - 1, 0, last_item))
}

/// Cuts overlong input and turns control characters into spaces.
fn sanitize_query(raw: &str) -> String {
    let mut end = raw.len().min(MAX_QUERY_BYTES);
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    raw[..end]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Splits the query into chunks: `"phrases"`, `key:value` / `key:"a value"` filters and words,
/// each with whether it was negated by a leading `-`. Unbalanced quotes end at the end of input.
fn lex(text: &str) -> Vec<(bool, Chunk)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mut negated = false;
        while i < chars.len() && chars[i] == '-' {
            negated = true;
            i += 1;
        }
        if i >= chars.len() || chars[i].is_whitespace() {
            continue; // a lone `-`
        }
        if chars[i] == '"' {
            let start = i + 1;
            let mut end = start;
            while end < chars.len() && chars[end] != '"' {
                end += 1;
            }
            out.push((negated, Chunk::Phrase(chars[start..end].iter().collect())));
            i = end + 1;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            if chars[i] == ':' && i + 1 < chars.len() && chars[i + 1] == '"' {
                break;
            }
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        // `key:"quoted value"`
        if i < chars.len() && chars[i] == ':' {
            let key: String = chars[start..i].iter().collect();
            let vstart = i + 2;
            let mut vend = vstart;
            while vend < chars.len() && chars[vend] != '"' {
                vend += 1;
            }
            let value: String = chars[vstart.min(chars.len())..vend].iter().collect();
            i = vend + 1;
            match FilterKey::parse(&key) {
                Some(k) if !value.trim().is_empty() => out.push((negated, Chunk::Filter(k, value))),
                _ => out.push((negated, Chunk::Word(format!("{key} {value}")))),
            }
            continue;
        }
        match word.split_once(':') {
            Some((key, value)) if !value.is_empty() => match FilterKey::parse(key) {
                Some(k) => out.push((negated, Chunk::Filter(k, value.to_string()))),
                None => out.push((negated, Chunk::Word(word))),
            },
            // `owner:` without a value degrades to the plain word.
            _ => out.push((negated, Chunk::Word(word))),
        }
    }
    out
}

fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        if out.len() >= MAX_TOKENS_PER_CHUNK {
            break;
        }
        out.push(t.text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::schema::analyzer;

    fn parse(s: &str) -> ParsedQuery {
        parse_query(s, &mut analyzer())
    }

    fn words(q: &ParsedQuery) -> Vec<Vec<Vec<String>>> {
        q.groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|c| {
                        c.iter()
                            .map(|i| match i {
                                Item::Word { token, prefix } => {
                                    format!("{token}{}", if *prefix { "*" } else { "" })
                                }
                                Item::Phrase(t) => format!("\"{}\"", t.join(" ")),
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn parses_words_phrases_filters() {
        let q = parse(r#"Koji "mass branching" owner:releng -staging tier:1 tier:2 mirr"#);
        assert_eq!(
            words(&q),
            [
                vec![vec!["koji"]],
                vec![vec!["\"mass branching\""]],
                vec![vec!["mirr*"]]
            ]
        );
        assert_eq!(q.filters[&FilterKey::Owner], ["releng"]);
        assert_eq!(q.filters[&FilterKey::Tier], ["1", "2"]);
        assert_eq!(q.negated.len(), 1);
    }

    #[test]
    fn parses_or_not_and_quoted_filter_values() {
        let q = parse(r#"bodhi OR koji AND NOT pkgdb team:"infra-apps" "#);
        assert_eq!(words(&q), [vec![vec!["bodhi"], vec!["koji"]]]);
        assert_eq!(q.negated.len(), 1);
        assert_eq!(q.filters[&FilterKey::Team], ["infra-apps"]);
    }

    #[test]
    fn degrades_malformed_input_to_words() {
        assert_eq!(words(&parse("owner:")), [vec![vec!["owner*"]]]);
        assert_eq!(
            words(&parse("\"unbalanced phrase")),
            [vec![vec!["\"unbalanced phrase\""]]]
        );
        assert_eq!(words(&parse("(bodhi")), [vec![vec!["bodhi*"]]]);
        assert_eq!(words(&parse("tracker-0")), [vec![vec!["tracker", "0"]]]);
        assert_eq!(
            words(&parse("koji a")),
            [vec![vec!["koji"]], vec![vec!["a"]]]
        );
        assert!(parse("AND OR NOT - : \"\" ()").is_empty());
        assert_eq!(words(&parse("foo:bar ")), [vec![vec!["foo", "bar"]]]);
        assert!(parse(&"x".repeat(100_000)).groups.len() <= 1);
    }

    #[test]
    fn typo_budget_follows_word_length() {
        assert_eq!(TypoPolicy::Strict.max_typos("koji"), 0);
        assert_eq!(TypoPolicy::Strict.max_typos("bodhi"), 1);
        assert_eq!(TypoPolicy::Strict.max_typos("mirrormanagr"), 2);
        assert_eq!(TypoPolicy::Relaxed.max_typos("bodi"), 1);
        assert_eq!(TypoPolicy::Strict.max_typos("pkgdb2"), 0);
    }
}
