//! What gets indexed: the search documents ([`Entry`]) of a catalog's systems (with their APIs
//! and endpoints), teams and doc sections, in index order ([`Sources`]); each document's sort
//! key ([`RankKey`]); and the catalog's [`fingerprint`], which says whether a persisted index
//! still matches.
//!
//! Depends only on [`schema`](mod@super::schema) (the fields a document fills): the full build
//! and the incremental update ([`super::update`]) make their documents from the same builders
//! here.

use std::hash::Hasher as _;

use fnv::FnvHasher;
use rayon::prelude::*;
use tantivy::TantivyDocument;

use super::schema::{clean_facet, facet_term, Fields, SCHEMA_VERSION};
use crate::docs;
use crate::model::{Catalog, DocRef, Lifecycle, System, Team};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    // Listing order: a team before what it owns (`team:qa`), systems before their parts.
    Team,
    System,
    Api,
    Endpoint,
    Doc,
}

impl Kind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Kind::System => "system",
            Kind::Team => "team",
            Kind::Api => "api",
            Kind::Endpoint => "endpoint",
            Kind::Doc => "doc",
        }
    }

    /// Multiplies the relevance score: with equal text matches, entities come before docs.
    fn prior(self) -> f64 {
        match self {
            Kind::System | Kind::Team => 1.0,
            Kind::Api => 0.9,
            Kind::Endpoint => 0.8,
            Kind::Doc => 0.7,
        }
    }
}

/// One search document before it becomes a tantivy document.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Entry {
    kind: Option<Kind>,
    label: String,
    system: String,
    url: String,
    pub(super) title: String,
    name: String,
    name_keys: Vec<String>,
    aliases: Vec<String>,
    tags: Vec<String>,
    pub(super) description: String,
    pub(super) body: String,
    pub(super) facets: Vec<(&'static str, String)>,
    prior: f64,
    /// The doc path, for a doc section (see [`Entry::group`]).
    doc_path: String,
}

/// How much of an entry to make: everything, or only what places it (kind, label, title,
/// url) and its facets. A full build first needs every entry's sort key and facets, and only
/// then the documents; making the texts twice was a quarter of a build at 100,000 systems
/// (docs/benchmarks.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Detail {
    Full,
    Keys,
}

impl Entry {
    pub(super) fn kind(&self) -> Kind {
        self.kind.unwrap_or(Kind::Doc)
    }

    /// The `group` term: which catalog entity the document belongs to.
    fn group(&self) -> String {
        match self.kind() {
            Kind::System | Kind::Api | Kind::Endpoint => format!("s:{}", self.system),
            Kind::Team => format!("t:{}", self.label),
            Kind::Doc => format!("d:{}", self.doc_path),
        }
    }

    pub(super) fn to_document(&self, f: &Fields, rank: u64, facet_set: u64) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_text(f.kind, self.kind().as_str());
        d.add_text(f.label, &self.label);
        if !self.system.is_empty() {
            d.add_text(f.system, &self.system);
        }
        d.add_text(f.url, &self.url);
        d.add_text(f.title, &self.title);
        if !self.name.is_empty() {
            d.add_text(f.name, &self.name);
        }
        for k in &self.name_keys {
            d.add_text(f.name_key, k.to_lowercase());
        }
        for a in &self.aliases {
            d.add_text(f.aliases, a);
        }
        for t in &self.tags {
            d.add_text(f.tags, t);
        }
        d.add_text(f.description, &self.description);
        d.add_text(f.body, &self.body);
        d.add_text(f.facets, facet_term("kind", self.kind().as_str()));
        for (key, value) in &self.facets {
            d.add_text(f.facets, facet_term(key, value));
        }
        let schema_prior = if self.prior > 0.0 {
            self.prior
        } else {
            self.kind().prior()
        };
        d.add_u64(f.facet_set, facet_set);
        d.add_f64(f.prior, schema_prior);
        d.add_u64(f.rank, rank);
        d.add_text(f.group, self.group());
        d
    }
}

/// Identifies a document's place in (kind, label, title, url) order.
pub(super) type RankKey = (Kind, String, String, String);

/// An entry's facet values, `(key, value)`.
pub(super) type Facets = Vec<(&'static str, String)>;

pub(super) fn rank_key(e: &Entry) -> RankKey {
    (e.kind(), e.label.clone(), e.title.clone(), e.url.clone())
}

/// Where a catalog's search entries come from, in index order: each system, each team, each
/// doc (with the system that owns it).
pub(super) struct Sources<'c> {
    docs: Vec<(&'c System, &'c str, bool)>,
    systems: usize,
    teams: usize,
}

/// A run of [`Sources`], by position: systems first, then teams, then docs.
type SourceRange = std::ops::Range<usize>;

impl<'c> Sources<'c> {
    /// Sources per chunk: a chunk's entries exist together, the catalog's never do.
    const CHUNK: usize = 512;

    pub(super) fn of(c: &'c Catalog) -> Sources<'c> {
        Sources {
            docs: doc_owners(c, None),
            systems: c.systems.len(),
            teams: c.teams.len(),
        }
    }

    pub(super) fn chunks(&self) -> impl Iterator<Item = SourceRange> {
        let total = self.systems + self.teams + self.docs.len();
        (0..total)
            .step_by(Self::CHUNK)
            .map(move |start| start..(start + Self::CHUNK).min(total))
    }

    /// The entries of the sources in `range`, in order, built in parallel.
    pub(super) fn entries(&self, c: &Catalog, range: SourceRange) -> Vec<Entry> {
        self.entries_with(c, range, Detail::Full)
    }

    /// [`Sources::entries`] with only what places each entry and its facets ([`Detail::Keys`]).
    pub(super) fn keys(&self, c: &Catalog, range: SourceRange) -> Vec<Entry> {
        self.entries_with(c, range, Detail::Keys)
    }

    fn entries_with(&self, c: &Catalog, range: SourceRange, detail: Detail) -> Vec<Entry> {
        range
            .into_par_iter()
            .flat_map_iter(|i| {
                if i < self.systems {
                    system_entries_with(&c.systems[i], detail)
                } else if i < self.systems + self.teams {
                    vec![team_entry_with(&c.teams[i - self.systems], detail)]
                } else {
                    let (s, path, runbook) = self.docs[i - self.systems - self.teams];
                    doc_entries_with(c, s, path, runbook, detail)
                }
            })
            .collect()
    }
}

/// The search document of a team.
pub(super) fn team_entry(t: &Team) -> Entry {
    team_entry_with(t, Detail::Full)
}

fn team_entry_with(t: &Team, detail: Detail) -> Entry {
    let facets = vec![("team", clean_facet(&t.name.value))];
    if detail == Detail::Keys {
        let url = format!("/teams/{}", t.name.value);
        let title = t.display_title().to_string();
        return placed(Kind::Team, t.name.value.clone(), url, title, facets);
    }
    let mut body = String::new();
    for m in &t.members {
        push_line(&mut body, &m.name.value);
        if let Some(r) = &m.role {
            body.push_str(&format!(" ({r})"));
        }
        if let Some(e) = &m.email {
            body.push_str(&format!(" {e}"));
        }
    }
    for (k, v) in t.contacts.entries() {
        push_line(&mut body, &format!("{k}: {v}"));
    }
    if let Some(lead) = t.oncall.as_ref().and_then(|o| o.lead.as_ref()) {
        push_line(&mut body, &format!("on-call lead: {}", lead.value));
    }
    Entry {
        kind: Some(Kind::Team),
        label: t.name.value.clone(),
        url: format!("/teams/{}", t.name.value),
        title: t.display_title().to_string(),
        name: t.name.value.clone(),
        name_keys: vec![t.name.value.clone()],
        description: t.description.clone(),
        body,
        facets,
        ..Default::default()
    }
}

/// Doc sections are indexed per doc once: the first system that names a readable doc owns it.
/// Returns (owner, path, is the owner's runbook) in catalog order: for every doc, or for the
/// docs in `only`.
pub(super) fn doc_owners<'c>(
    c: &'c Catalog,
    only: Option<&rustc_hash::FxHashSet<&str>>,
) -> Vec<(&'c System, &'c str, bool)> {
    let mut seen = rustc_hash::FxHashSet::default();
    let mut docs = Vec::new();
    for s in &c.systems {
        let runbook = match s.runbook.as_ref().map(|r| &r.value) {
            Some(DocRef::Path(p)) => Some(p.as_str()),
            _ => None,
        };
        for path in c.doc_paths(s) {
            if only.is_none_or(|o| o.contains(path))
                && c.document(path).is_some()
                && seen.insert(path)
            {
                docs.push((&**s, path, Some(path) == runbook));
            }
        }
    }
    docs
}

/// The facets a system and everything belonging to it carry.
fn system_facets(s: &System, lifecycle: Lifecycle) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if let Some(o) = s.owner_name() {
        v.push(("owner", clean_facet(o)));
    }
    if let Some(t) = s.tier {
        v.push(("tier", t.to_string()));
    }
    if let Some(d) = &s.domain {
        v.push(("domain", clean_facet(&d.value)));
    }
    v.push(("lifecycle", lifecycle.as_str().to_string()));
    for t in &s.tags {
        v.push(("tag", clean_facet(t)));
    }
    v
}

pub(super) fn system_entries(s: &System) -> Vec<Entry> {
    system_entries_with(s, Detail::Full)
}

fn system_entries_with(s: &System, detail: Detail) -> Vec<Entry> {
    let name = &s.name.value;
    let full = detail == Detail::Full;
    let mut out = Vec::new();

    let facets = system_facets(s, s.lifecycle);
    let (url, title) = (format!("/systems/{name}"), s.display_title().to_string());
    if !full {
        out.push(placed(Kind::System, name.clone(), url, title, facets));
    } else {
        let mut body = String::new();
        system_body(s, &mut body);
        let mut tags = s.tags.clone();
        if let Some(d) = &s.domain {
            tags.push(d.value.clone());
        }
        out.push(Entry {
            kind: Some(Kind::System),
            label: name.clone(),
            system: name.clone(),
            url,
            title,
            name: name.clone(),
            name_keys: std::iter::once(name.clone())
                .chain(s.aliases.iter().map(|a| a.value.clone()))
                .collect(),
            aliases: s.aliases.iter().map(|a| a.value.clone()).collect(),
            tags,
            description: s.description.clone(),
            body,
            facets,
            prior: if matches!(s.lifecycle, Lifecycle::Deprecated | Lifecycle::Retired) {
                0.85
            } else {
                Kind::System.prior()
            },
            ..Default::default()
        });
    }

    for api in &s.provides {
        let reference = api.reference(name);
        let url = format!("/systems/{name}#api-{}-v{}", api.name.value, api.version);
        let title = format!(
            "{} — {} v{} ({})",
            s.display_title(),
            api.name.value,
            api.version,
            api.kind.as_str()
        );
        out.push(if full {
            api_entry(s, api, &reference, url.clone(), title)
        } else {
            let facets = system_facets(s, api.lifecycle);
            placed(Kind::Api, reference.clone(), url.clone(), title, facets)
        });
        for e in &api.endpoints {
            let label = e.label();
            let lifecycle = if e.deprecated {
                Lifecycle::Deprecated
            } else {
                api.lifecycle
            };
            let summary = e.summary.as_deref().unwrap_or_default();
            let shown = if summary.is_empty() { &label } else { summary };
            let title = format!("{reference}: {shown}");
            if !full {
                let facets = system_facets(s, lifecycle);
                out.push(placed(Kind::Endpoint, label, url.clone(), title, facets));
                continue;
            }
            let mut name_keys = vec![label.clone(), format!("{reference} {label}")];
            name_keys.extend(e.operation_id.iter().cloned());
            out.push(Entry {
                kind: Some(Kind::Endpoint),
                label: label.clone(),
                system: name.clone(),
                url: url.clone(),
                title,
                name: label,
                name_keys,
                aliases: e.operation_id.iter().cloned().collect(),
                description: summary.to_string(),
                body: reference.clone(),
                facets: system_facets(s, lifecycle),
                ..Default::default()
            });
        }
    }
    out
}

/// A [`Detail::Keys`] entry: what places it, and its facets.
fn placed(kind: Kind, label: String, url: String, title: String, facets: Facets) -> Entry {
    Entry {
        kind: Some(kind),
        label,
        url,
        title,
        facets,
        ..Default::default()
    }
}

/// A system document's body: owner, lifecycle, tier, -ilities, support facts, annotations and
/// labels, repository, links, what it consumes and depends on.
fn system_body(s: &System, body: &mut String) {
    if let Some(o) = s.owner_name() {
        push_line(body, &format!("owner: {o}"));
    }
    push_line(body, &format!("lifecycle: {}", s.lifecycle.as_str()));
    if let Some(t) = s.tier {
        push_line(body, &format!("tier {t}"));
    }
    for (k, ility) in &s.ilities {
        push_line(body, &format!("{k}: {}", ility.notes));
    }
    for (k, v) in &s.support {
        push_line(body, &format!("{k}: {v}"));
    }
    for (k, v) in s.annotations.iter().chain(&s.labels) {
        push_line(body, &format!("{k}: {v}"));
    }
    if let Some(r) = &s.repo {
        push_line(body, r);
    }
    for l in &s.links {
        push_line(body, &l.title);
    }
    for cons in &s.consumes {
        push_line(body, &format!("consumes {}", cons.api.value));
    }
    for d in &s.depends_on {
        push_line(body, &format!("depends on {}", d.value));
    }
}

/// The search document of one API of `s`, whole.
fn api_entry(
    s: &System,
    api: &crate::model::Api,
    reference: &str,
    url: String,
    title: String,
) -> Entry {
    let name = &s.name.value;
    let mut body = String::new();
    for e in &api.endpoints {
        push_line(&mut body, &e.label());
    }
    for cons in &api.consumers {
        match cons {
            crate::model::ListedConsumer::System(n) => {
                push_line(&mut body, &format!("consumer {}", n.value))
            }
            crate::model::ListedConsumer::External(e) => {
                push_line(&mut body, &format!("consumer {}", e.name));
                if let Some(d) = &e.description {
                    body.push_str(&format!(": {d}"));
                }
            }
        }
    }
    if let Some(sunset) = &api.sunset {
        push_line(&mut body, &format!("sunset {}", sunset.value));
    }
    let mut tags = vec![api.kind.as_str().to_string()];
    if api.lifecycle != Lifecycle::Production {
        tags.push(api.lifecycle.as_str().to_string());
    }
    Entry {
        kind: Some(Kind::Api),
        label: reference.to_string(),
        system: name.clone(),
        url,
        title,
        name: reference.to_string(),
        name_keys: vec![
            reference.to_string(),
            format!("{name}/{}", api.name.value),
            format!("{name}/{}@v{}", api.name.value, api.version),
        ],
        tags,
        description: api.description.clone(),
        body,
        facets: system_facets(s, api.lifecycle),
        ..Default::default()
    }
}

pub(super) fn doc_entries(c: &Catalog, s: &System, path: &str, is_runbook: bool) -> Vec<Entry> {
    doc_entries_with(c, s, path, is_runbook, Detail::Full)
}

fn doc_entries_with(
    c: &Catalog,
    s: &System,
    path: &str,
    is_runbook: bool,
    _detail: Detail,
) -> Vec<Entry> {
    let Some(markdown) = c.document(path) else {
        return Vec::new();
    };
    let sections = docs::sections(markdown);
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let doc_title = sections
        .iter()
        .find(|s| s.level == 1)
        .map(|s| s.heading.clone())
        .unwrap_or_else(|| format!("{} {}", s.display_title(), file_name));
    let facets = system_facets(s, s.lifecycle);
    sections
        .into_iter()
        .map(|sec| {
            let heading = if sec.heading.is_empty() {
                doc_title.clone()
            } else {
                sec.heading
            };
            let title = if heading == doc_title {
                doc_title.clone()
            } else {
                format!("{doc_title} › {heading}")
            };
            let url = if sec.anchor.is_empty() {
                format!("/docs/{path}")
            } else {
                format!("/docs/{path}#{}", sec.anchor)
            };
            Entry {
                kind: Some(Kind::Doc),
                label: heading,
                system: s.name.value.clone(),
                url,
                title,
                tags: if is_runbook {
                    vec!["runbook".to_string()]
                } else {
                    Vec::new()
                },
                // Kept with `Keys` too: it is made anyway, and its length sizes the writer.
                body: sec.text,
                facets: facets.clone(),
                doc_path: path.to_string(),
                ..Default::default()
            }
        })
        .collect()
}

fn push_line(buf: &mut String, line: &str) {
    if !buf.is_empty() {
        buf.push('\n');
    }
    buf.push_str(line);
}

/// A stable (across runs and Rust versions) hash of everything the index is built from:
/// 64-bit FNV-1a over each field followed by a `0xff` byte ([`write_field`]).
pub(super) fn fingerprint(c: &Catalog) -> String {
    let mut h = FnvHasher::default();
    write_field(&mut h, format!("cairn-search {SCHEMA_VERSION}").as_bytes());
    let mut files: Vec<_> = c.files.iter().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in files {
        write_field(&mut h, f.path.as_bytes());
        write_field(&mut h, &f.size.to_le_bytes());
        let mtime = f
            .modified
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        write_field(&mut h, &mtime.to_le_bytes());
    }
    for (path, text) in &c.documents {
        write_field(&mut h, path.as_bytes());
        write_field(&mut h, &(text.len() as u64).to_le_bytes());
        write_field(&mut h, text.as_bytes());
    }
    format!("{:016x}", h.finish())
}

/// Hashes `bytes`, then a `0xff` byte that separates fields so ("ab", "c") and ("a", "bc")
/// differ. Spelled out with `Hasher::write` rather than left to `write_str` or `Hash`, whose
/// framing std does not promise to keep: the fingerprint is persisted with the index.
fn write_field(h: &mut FnvHasher, bytes: &[u8]) {
    h.write(bytes);
    h.write(&[0xff]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn fingerprints_are_stable() {
        let c = Catalog::default();
        assert_eq!(fingerprint(&c), fingerprint(&c));
        let mut d = Catalog::default();
        d.documents.insert("a.md".into(), Arc::from("x"));
        assert_ne!(fingerprint(&c), fingerprint(&d));
    }

    /// Values computed by the hand-written FNV-1a this replaced: a persisted index stays
    /// reusable across the change.
    #[test]
    fn fingerprints_keep_their_values() {
        let mut h = FnvHasher::default();
        for field in [&b""[..], b"ab", b"c"] {
            write_field(&mut h, field);
        }
        assert_eq!(format!("{:016x}", h.finish()), "469a5f267e858ed0");
        let mut c = Catalog::default();
        assert_eq!(fingerprint(&c), "456bb5b5769dc49c");
        c.documents.insert("a.md".into(), Arc::from("x"));
        c.documents
            .insert("docs/b.md".into(), Arc::from("# Title\n\nsome text é"));
        c.files.push(crate::model::SourceFile {
            path: "systems/a.yaml".into(),
            modified: Some(
                std::time::UNIX_EPOCH + std::time::Duration::new(1_700_000_000, 123_456_789),
            ),
            size: 1234,
        });
        c.files.push(crate::model::SourceFile {
            path: "teams.yaml".into(),
            modified: None,
            size: 7,
        });
        assert_eq!(fingerprint(&c), "3c68f47a50bfee72");
    }

    /// The first pass of a build places documents with [`Detail::Keys`] entries, the second
    /// writes [`Detail::Full`] ones: each must agree on what places it and on its facets, or
    /// ranks and facet combinations would belong to other documents.
    #[test]
    fn key_entries_place_and_facet_as_the_full_ones() {
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
        let generated = tempfile::tempdir().unwrap();
        crate::gen::generate(generated.path(), 300, 7).unwrap();
        for dir in [shipped.as_path(), generated.path()] {
            let c = crate::loader::load(dir, &Default::default()).unwrap();
            let sources = Sources::of(&c);
            let mut compared = 0;
            for chunk in sources.chunks() {
                let (full, keys) = (sources.entries(&c, chunk.clone()), sources.keys(&c, chunk));
                assert_eq!(full.len(), keys.len(), "{}", dir.display());
                for (f, k) in full.iter().zip(&keys) {
                    assert_eq!(rank_key(f), rank_key(k), "{}", dir.display());
                    assert_eq!(f.facets, k.facets, "{:?}", rank_key(f));
                    compared += 1;
                }
            }
            // Every kind of document was compared: systems, APIs, endpoints, teams, docs.
            assert!(compared > 100, "{compared} in {}", dir.display());
        }
    }
}
