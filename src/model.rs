//! The catalog's data model: what the loader produces and every other module reads.
//!
//! A [`Catalog`] is an immutable snapshot of one catalog directory. Nothing in here reads files,
//! prints or knows about YAML; values that can be the subject of a diagnostic carry a [`Loc`] so a
//! later pass (validation, graph, diff) can point at the exact line that declared them.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::SystemTime;

use crate::diag::Diagnostic;

/// Index of a file in [`Catalog::files`].
pub type FileId = u32;

/// Where something was declared: file, 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Loc {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
}

/// A value with the location that declared it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Spanned<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Spanned<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        Spanned { value, loc }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// A file that was read while loading, relative to the catalog root.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path relative to the catalog root, with `/` separators.
    pub path: String,
    pub modified: Option<SystemTime>,
    pub size: u64,
}

/// A catalog file whose newest version has errors of its own (per-file last good,
/// docs/reliability.md): what the catalog holds of it instead.
#[derive(Clone, Debug)]
pub struct HeldFile {
    /// Relative to the catalog root.
    pub path: String,
    pub served: HeldAs,
    /// When the newest version was first found broken (this load, on a cold start).
    pub since: SystemTime,
    /// The first error of the newest version (root causes first): why it is held.
    pub cause: crate::diag::Diagnostic,
    /// Errors in the newest version.
    pub errors: usize,
}

/// What is served of a file whose newest version has errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeldAs {
    /// Its last version without errors.
    LastGood,
    /// It never loaded without errors: what could be read of the newest version (the entities
    /// that converted, so that impact still walks its consumptions).
    AsRead,
    /// Nothing: it could not be read at all, or it would take a name another file holds.
    LeftOut,
}

impl HeldAs {
    pub fn as_str(self) -> &'static str {
        match self {
            HeldAs::LastGood => "last-good",
            HeldAs::AsRead => "as-read",
            HeldAs::LeftOut => "left-out",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Lifecycle {
    Experimental,
    #[default]
    Production,
    Deprecated,
    Retired,
}

impl Lifecycle {
    pub const ALL: [&'static str; 4] = ["experimental", "production", "deprecated", "retired"];

    pub fn parse(s: &str) -> Option<Lifecycle> {
        Some(match s {
            "experimental" => Lifecycle::Experimental,
            "production" => Lifecycle::Production,
            "deprecated" => Lifecycle::Deprecated,
            "retired" => Lifecycle::Retired,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Experimental => "experimental",
            Lifecycle::Production => "production",
            Lifecycle::Deprecated => "deprecated",
            Lifecycle::Retired => "retired",
        }
    }
}

/// One system: a service, a job, a database, a library — anything with an owner.
#[derive(Clone, Debug, Default)]
pub struct System {
    pub name: Spanned<String>,
    pub title: String,
    pub description: String,
    pub owner: Option<Spanned<String>>,
    pub domain: Option<Spanned<String>>,
    pub lifecycle: Lifecycle,
    /// 1 = essential ... 3 = leaf. `None` when not declared.
    pub tier: Option<u8>,
    pub tags: Vec<String>,
    pub aliases: Vec<Spanned<String>>,
    pub repo: Option<String>,
    pub links: Vec<Link>,
    pub environments: BTreeMap<String, String>,
    /// Markdown docs, as paths relative to the catalog root.
    pub docs: Vec<Spanned<String>>,
    pub runbook: Option<Spanned<DocRef>>,
    pub provides: Vec<Api>,
    pub consumes: Vec<Consumption>,
    pub depends_on: Vec<Spanned<String>>,
    pub ilities: BTreeMap<String, Ility>,
    /// Facts a first responder asks for (version, database, config, logs, profiling, ...).
    pub support: BTreeMap<String, String>,
    /// Imported from Backstage `metadata.annotations` and `metadata.labels` (searchable).
    pub annotations: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    /// Where the document starts.
    pub loc: Loc,
}

impl System {
    pub fn display_title(&self) -> &str {
        if self.title.is_empty() {
            &self.name.value
        } else {
            &self.title
        }
    }

    pub fn owner_name(&self) -> Option<&str> {
        self.owner.as_ref().map(|o| o.value.as_str())
    }
}

/// A document reference: a path inside the catalog or an external URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocRef {
    /// Relative to the catalog root, `/` separators.
    Path(String),
    Url(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub title: String,
    pub url: String,
    pub kind: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Ility {
    /// 1 (poor) ... 5 (excellent), when rated.
    pub rating: Option<u8>,
    /// Markdown text.
    pub notes: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ApiKind {
    #[default]
    Rest,
    Graphql,
    Grpc,
    Xmlrpc,
    Events,
    Library,
    Database,
    Cli,
    Other,
}

impl ApiKind {
    pub const ALL: [&'static str; 9] = [
        "rest", "graphql", "grpc", "xmlrpc", "events", "library", "database", "cli", "other",
    ];

    pub fn parse(s: &str) -> Option<ApiKind> {
        Some(match s {
            "rest" => ApiKind::Rest,
            "graphql" => ApiKind::Graphql,
            "grpc" => ApiKind::Grpc,
            "xmlrpc" => ApiKind::Xmlrpc,
            "events" => ApiKind::Events,
            "library" => ApiKind::Library,
            "database" => ApiKind::Database,
            "cli" => ApiKind::Cli,
            "other" => ApiKind::Other,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize]
    }
}

/// An API a system provides, at one major version.
#[derive(Clone, Debug, Default)]
pub struct Api {
    pub name: Spanned<String>,
    pub version: u32,
    pub kind: ApiKind,
    pub description: String,
    /// OpenAPI document, relative to the catalog root.
    pub spec: Option<Spanned<String>>,
    /// Endpoints listed by hand and/or read from `spec`.
    pub endpoints: Vec<Endpoint>,
    pub lifecycle: Lifecycle,
    /// `YYYY-MM-DD`, for deprecated APIs.
    pub sunset: Option<Spanned<String>>,
    pub consumers: Vec<ListedConsumer>,
    pub loc: Loc,
}

impl Api {
    /// `system/api@version`.
    pub fn reference(&self, system: &str) -> String {
        format!("{system}/{}@{}", self.name.value, self.version)
    }

    pub fn find_endpoint(&self, wanted: &EndpointKey) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.key() == *wanted)
    }
}

/// One operation of an API: `GET /api/critpath`, or `SUB topic` for events.
#[derive(Clone, Debug, Default)]
pub struct Endpoint {
    pub method: String,
    pub path: String,
    pub operation_id: Option<String>,
    pub summary: Option<String>,
    pub deprecated: bool,
    pub loc: Loc,
    /// What the operation accepts and returns, when it was read from an OpenAPI `spec`.
    pub contract: Option<Box<OperationContract>>,
}

impl Endpoint {
    pub fn key(&self) -> EndpointKey {
        EndpointKey::new(&self.method, &self.path)
    }

    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The normalised identity of an endpoint, used to match `uses` against a provider's list:
/// the method is upper-cased, a trailing `/` is ignored and every `{param}` matches any other.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointKey(String);

impl EndpointKey {
    pub fn new(method: &str, path: &str) -> EndpointKey {
        let mut norm = String::with_capacity(path.len());
        let mut in_param = false;
        for c in path.trim_end_matches('/').chars() {
            match c {
                '{' => {
                    in_param = true;
                    norm.push_str("{}");
                }
                '}' => in_param = false,
                _ if in_param => {}
                _ => norm.push(c),
            }
        }
        if norm.is_empty() {
            norm.push('/');
        }
        EndpointKey(format!("{} {}", method.to_ascii_uppercase(), norm))
    }

    /// Parses `"METHOD /path"`; `None` when there is no method or path.
    pub fn parse(label: &str) -> Option<EndpointKey> {
        let (m, p) = split_endpoint(label)?;
        Some(EndpointKey::new(m, p))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Splits `"GET /api/x"` into method and path.
pub fn split_endpoint(label: &str) -> Option<(&str, &str)> {
    let label = label.trim();
    let (m, p) = label.split_once(char::is_whitespace)?;
    let p = p.trim();
    if m.is_empty() || p.is_empty() || !m.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    Some((m, p))
}

/// What one OpenAPI operation accepts and returns, read from an API's `spec` so that `cairn diff`
/// can find breaking changes below the endpoint level (a new required parameter, a removed
/// response field). Lines are 1-based lines of the spec file; 0 when unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperationContract {
    /// Line of the operation (`get:`) in the spec.
    pub line: u32,
    /// Path-level and operation-level parameters, the operation's winning on a clash.
    pub parameters: Vec<Parameter>,
    pub request_body: Option<RequestBody>,
    /// Responses in the order the spec lists them.
    pub responses: Vec<Response>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    /// `path`, `query`, `header` or `cookie`.
    pub location: String,
    pub required: bool,
    pub schema: Schema,
    pub line: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestBody {
    pub required: bool,
    /// The schema of the preferred media type (JSON when there is one).
    pub schema: Option<Schema>,
    pub line: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// `200`, `2XX`, `default`, ...
    pub status: String,
    /// The schema of the preferred media type (JSON when there is one); `None` without content.
    pub schema: Option<Schema>,
    pub line: u32,
}

/// A JSON Schema reduced to what breaking-change checks compare: type, format, properties,
/// required properties and array items. `$ref`s are resolved and `allOf` merged while reading.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    /// `false` when the schema cannot be compared (`oneOf`/`anyOf`, a `$ref` to another file,
    /// nesting or size beyond the reader's limits): checks skip it and everything below it.
    pub known: bool,
    /// `string`, `integer`, `number`, `boolean`, `array`, `object`; `None` when not stated.
    pub ty: Option<String>,
    pub format: Option<String>,
    pub properties: BTreeMap<String, Schema>,
    pub required: std::collections::BTreeSet<String>,
    pub items: Option<Box<Schema>>,
    pub line: u32,
}

impl Schema {
    /// `integer`, `integer (int64)`, `any` — for messages.
    pub fn type_label(&self) -> String {
        let ty = self.ty.as_deref().unwrap_or("any");
        match &self.format {
            Some(f) => format!("{ty} ({f})"),
            None => ty.to_string(),
        }
    }
}

/// A consumer named by the provider under `provides[].consumers`.
#[derive(Clone, Debug)]
pub enum ListedConsumer {
    /// A system in the catalog.
    System(Spanned<String>),
    /// People or scripts outside the catalog.
    External(ExternalConsumer),
}

#[derive(Clone, Debug, Default)]
pub struct ExternalConsumer {
    pub name: String,
    pub contact: Option<String>,
    pub description: Option<String>,
    /// The provider recorded that this consumer accepts breaking changes to the API until this
    /// day, inclusive (see docs/diff.md).
    pub acknowledged: Option<Spanned<crate::date::Date>>,
    pub loc: Loc,
}

/// A reference to an API: `system`, `system/api` or `system/api@N`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ApiRef {
    pub system: String,
    pub api: Option<String>,
    pub version: Option<u32>,
}

impl ApiRef {
    /// Parses a reference; the error says what is wrong.
    pub fn parse(s: &str) -> Result<ApiRef, String> {
        let s = s.trim();
        let (head, version) = match s.rsplit_once('@') {
            Some((h, v)) => {
                let v = v.strip_prefix('v').unwrap_or(v);
                let n: u32 = v
                    .parse()
                    .map_err(|_| format!("`{v}` is not a major version number"))?;
                (h, Some(n))
            }
            None => (s, None),
        };
        let (system, api) = match head.split_once('/') {
            Some((sys, api)) => (sys, Some(api)),
            None => (head, None),
        };
        if system.is_empty() || !is_valid_name(system) {
            return Err(format!("`{system}` is not a valid system name"));
        }
        if let Some(a) = api {
            if a.is_empty() || a.contains('/') {
                return Err(format!("`{a}` is not a valid API name"));
            }
        }
        if api.is_none() && version.is_some() {
            return Err("a version needs an API name: `system/api@N`".into());
        }
        Ok(ApiRef {
            system: system.to_string(),
            api: api.map(str::to_string),
            version,
        })
    }
}

impl std::fmt::Display for ApiRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.system)?;
        if let Some(a) = &self.api {
            write!(f, "/{a}")?;
        }
        if let Some(v) = self.version {
            write!(f, "@{v}")?;
        }
        Ok(())
    }
}

/// One `consumes` entry of a system.
#[derive(Clone, Debug)]
pub struct Consumption {
    pub api: Spanned<ApiRef>,
    /// Which endpoints are used; `None` = all / unknown.
    pub uses: Option<Vec<Spanned<String>>>,
    pub notes: Option<String>,
    /// The consumer accepts breaking changes to this contract until this day, inclusive:
    /// `cairn diff` reports its hits as notable instead of breaking (see docs/diff.md).
    pub acknowledged: Option<Spanned<crate::date::Date>>,
    pub loc: Loc,
}

#[derive(Clone, Debug, Default)]
pub struct Team {
    pub name: Spanned<String>,
    pub title: String,
    pub description: String,
    pub contacts: Contacts,
    pub members: Vec<Member>,
    pub oncall: Option<Oncall>,
    /// Hand-written onboarding for newcomers joining the team.
    pub onboarding: Option<Onboarding>,
    pub loc: Loc,
}

impl Team {
    pub fn display_title(&self) -> &str {
        if self.title.is_empty() {
            &self.name.value
        } else {
            &self.title
        }
    }

    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name.value == name)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contacts {
    pub email: Option<String>,
    pub chat: Option<String>,
    pub issues: Option<String>,
    pub pager: Option<String>,
}

impl Contacts {
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.chat.is_none() && self.issues.is_none() && self.pager.is_none()
    }

    /// The contacts that are set, by label (how views and reports show them).
    pub fn by_label(&self) -> std::collections::BTreeMap<&'static str, String> {
        self.entries()
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect()
    }

    /// `(label, value)` pairs of the contacts that are set, in a stable order.
    pub fn entries(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        for (k, v) in [
            ("email", &self.email),
            ("chat", &self.chat),
            ("issues", &self.issues),
            ("pager", &self.pager),
        ] {
            if let Some(v) = v {
                out.push((k, v.as_str()));
            }
        }
        out
    }
}

#[derive(Clone, Debug, Default)]
pub struct Member {
    pub name: Spanned<String>,
    pub email: Option<String>,
    pub role: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Oncall {
    pub rotation: Option<Rotation>,
    pub lead: Option<Spanned<String>>,
}

/// A rotation: `order[0]` is primary for `every_days` from `start`, then `order[1]`, ...;
/// the backup is the next person in the order.
#[derive(Clone, Debug)]
pub struct Rotation {
    pub start: crate::date::Date,
    pub every_days: u32,
    pub order: Vec<Spanned<String>>,
    pub loc: Loc,
}

/// A team's hand-written onboarding: a welcome text and first steps, shown before what Cairn
/// generates from the catalog.
#[derive(Clone, Debug, Default)]
pub struct Onboarding {
    /// Markdown.
    pub welcome: String,
    pub steps: Vec<OnboardingStep>,
}

#[derive(Clone, Debug, Default)]
pub struct OnboardingStep {
    pub title: String,
    /// Markdown.
    pub details: String,
    pub url: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Domain {
    pub name: Spanned<String>,
    pub title: String,
    pub description: String,
    pub owner: Option<Spanned<String>>,
    pub loc: Loc,
}

/// What a Backstage entity reference names, in Cairn terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackstageTarget {
    System(String),
    /// An API by its Cairn name, with the systems that provide it.
    Api {
        name: String,
        providers: Vec<String>,
    },
    Team(String),
    Domain(String),
}

/// The catalog's settings document (`kind: settings`, conventionally `cairn.yaml` at the root).
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The organisation's name, shown on the Start here page.
    pub title: String,
    /// Markdown: what the organisation does, for newcomers.
    pub description: String,
    /// `None` when the file declares no scorecard: the built-in default applies.
    pub scorecard: Option<Scorecard>,
    /// Hand-written glossary terms, added to those generated from the catalog.
    pub glossary: Vec<GlossaryEntry>,
    /// Observed-traffic sources used when `--observed` is not given: paths relative to the
    /// catalog root, or http(s) URLs.
    pub observed: Vec<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug, Default)]
pub struct GlossaryEntry {
    pub term: String,
    /// Markdown.
    pub definition: String,
}

/// Readiness levels, lowest first. A system reaches a level when it passes every rule of that
/// level that applies to it, and of every level below.
#[derive(Clone, Debug, Default)]
pub struct Scorecard {
    pub levels: Vec<Level>,
}

impl Scorecard {
    pub fn level(&self, name: &str) -> Option<usize> {
        self.levels.iter().position(|l| l.name == name)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Level {
    pub name: String,
    pub title: String,
    /// Markdown: what reaching this level means.
    pub description: String,
    pub rules: Vec<Rule>,
    pub loc: Loc,
}

/// One declarative readiness check: a fixed vocabulary, never code.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable identifier, unique in the scorecard (`runbook`, `core-ilities`).
    pub id: String,
    pub title: String,
    /// How to fix a system that fails the rule (Markdown); a generic hint when empty.
    pub hint: String,
    pub check: Check,
    /// The rule applies only to systems matching this (every system when empty).
    pub when: Selector,
    pub loc: Loc,
}

/// What a rule checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// A field is filled (`has: runbook`).
    Has(Fact),
    /// These `ilities` are described, as text or a rating.
    Ilities(Vec<String>),
    /// These `ilities` are rated at least this much.
    Rated(Vec<(String, u8)>),
    /// These `support` facts are given.
    Support(Vec<String>),
    /// These `environments` are declared.
    Environments(Vec<String>),
    /// Consumes no deprecated or retired API and depends on no deprecated or retired system.
    NoDeprecatedConsumption,
    /// Every provided API lists its endpoints (by hand or from a spec).
    ApisDescribed,
}

/// The facts `has:` can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fact {
    Description,
    Owner,
    Oncall,
    Contacts,
    Runbook,
    Docs,
    Repo,
    Domain,
    Tier,
    Links,
}

impl Fact {
    pub const ALL: [&'static str; 10] = [
        "description",
        "owner",
        "oncall",
        "contacts",
        "runbook",
        "docs",
        "repo",
        "domain",
        "tier",
        "links",
    ];

    pub fn parse(s: &str) -> Option<Fact> {
        Some(match s {
            "description" => Fact::Description,
            "owner" => Fact::Owner,
            "oncall" => Fact::Oncall,
            "contacts" => Fact::Contacts,
            "runbook" => Fact::Runbook,
            "docs" => Fact::Docs,
            "repo" => Fact::Repo,
            "domain" => Fact::Domain,
            "tier" => Fact::Tier,
            "links" => Fact::Links,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize]
    }
}

/// Which systems a rule applies to; every given condition must hold. A system without a tier
/// matches no `tier` condition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    pub tiers: Vec<u8>,
    pub lifecycles: Vec<Lifecycle>,
    pub domains: Vec<Spanned<String>>,
}

impl Selector {
    pub fn is_empty(&self) -> bool {
        self.tiers.is_empty() && self.lifecycles.is_empty() && self.domains.is_empty()
    }

    pub fn matches(&self, s: &System) -> bool {
        (self.tiers.is_empty() || s.tier.is_some_and(|t| self.tiers.contains(&t)))
            && (self.lifecycles.is_empty() || self.lifecycles.contains(&s.lifecycle))
            && (self.domains.is_empty()
                || s.domain
                    .as_ref()
                    .is_some_and(|d| self.domains.iter().any(|x| x.value == d.value)))
    }
}

/// Which kind of document a name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityKind {
    System,
    Team,
    Domain,
}

/// An immutable snapshot of a catalog directory, with every problem found while loading it.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
    /// Shared, so an incremental reload reuses the systems of unchanged files instead of
    /// copying them (`loader::LoadCache`).
    pub systems: Vec<Arc<System>>,
    pub teams: Vec<Team>,
    pub domains: Vec<Domain>,
    /// The settings document, when the catalog has one.
    pub settings: Option<Settings>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files whose newest version has errors and is not served (in path order).
    pub held: Vec<HeldFile>,
    /// Markdown text of every doc and runbook named by a system, keyed by path relative to the
    /// root. Read at load time so a snapshot never mixes old YAML with newer docs.
    pub documents: BTreeMap<String, Arc<str>>,
    /// Backstage entity references (`component:default/pkgdb`, `api:default/pkgdb-api`) of
    /// imported entities → what they became.
    pub backstage_refs: HashMap<String, BackstageTarget>,
    // Name → position maps, hashed with FxHash: SipHash's DoS resistance buys nothing for
    // names read from the catalog's own files, and it was 5% of a reload (docs/benchmarks.md).
    // Shared with the next catalog of an incremental load when no name changed
    // ([`NameIndexes`]).
    pub(crate) system_index: Arc<FxHashMap<String, usize>>,
    pub(crate) alias_index: Arc<FxHashMap<String, usize>>,
    pub(crate) team_index: FxHashMap<String, usize>,
    pub(crate) domain_index: FxHashMap<String, usize>,
    /// File id → file, when the ids in locations are not positions in `files`: an incremental
    /// reload keeps the ids of unchanged files (see `loader::LoadCache`), so this table only
    /// grows; `files` is still the catalog's files in walk order.
    pub(crate) file_table: Option<std::sync::Arc<Vec<SourceFile>>>,
}

impl Catalog {
    /// Builds the name indexes; the first declaration of a name wins.
    pub fn new<S: Into<Arc<System>>>(
        root: PathBuf,
        files: Vec<SourceFile>,
        systems: Vec<S>,
        teams: Vec<Team>,
        domains: Vec<Domain>,
    ) -> Catalog {
        Self::new_after(root, files, systems, teams, domains, None)
    }

    /// [`Catalog::new`] after the catalog `previous` holds the names of: when every system is
    /// where it was with the same name and aliases (any edit that renames nothing), its
    /// system and alias indexes are shared instead of built again (100,000 names each).
    pub(crate) fn new_after<S: Into<Arc<System>>>(
        root: PathBuf,
        files: Vec<SourceFile>,
        systems: Vec<S>,
        teams: Vec<Team>,
        domains: Vec<Domain>,
        previous: Option<&NameIndexes>,
    ) -> Catalog {
        let mut c = Catalog {
            root,
            files,
            systems: systems.into_iter().map(Into::into).collect(),
            teams,
            domains,
            ..Default::default()
        };
        let same_names = previous.filter(|p| {
            p.systems.len() == c.systems.len()
                && p.systems.iter().zip(&c.systems).all(|(a, b)| {
                    Arc::ptr_eq(a, b)
                        || (a.name.value == b.name.value
                            && a.aliases.len() == b.aliases.len()
                            && a.aliases
                                .iter()
                                .zip(&b.aliases)
                                .all(|(x, y)| x.value == y.value))
                })
        });
        if let Some(p) = same_names {
            c.system_index = p.system.clone();
            c.alias_index = p.alias.clone();
        } else {
            let systems = &c.systems;
            let (by_name, by_alias) = rayon::join(
                || {
                    let mut m =
                        FxHashMap::with_capacity_and_hasher(systems.len(), Default::default());
                    for (i, s) in systems.iter().enumerate() {
                        if !m.contains_key(&s.name.value) {
                            m.insert(s.name.value.clone(), i);
                        }
                    }
                    m
                },
                || {
                    let mut m = FxHashMap::default();
                    for (i, s) in systems.iter().enumerate() {
                        for a in &s.aliases {
                            if !m.contains_key(&a.value) {
                                m.insert(a.value.clone(), i);
                            }
                        }
                    }
                    m
                },
            );
            c.system_index = Arc::new(by_name);
            c.alias_index = Arc::new(by_alias);
        }
        for (i, t) in c.teams.iter().enumerate() {
            c.team_index.entry(t.name.value.clone()).or_insert(i);
        }
        for (i, d) in c.domains.iter().enumerate() {
            c.domain_index.entry(d.name.value.clone()).or_insert(i);
        }
        c
    }

    pub fn system(&self, name: &str) -> Option<&System> {
        self.system_index.get(name).map(|&i| &*self.systems[i])
    }

    pub fn system_id(&self, name: &str) -> Option<usize> {
        self.system_index.get(name).copied()
    }

    /// A system by name or by one of its aliases.
    pub fn system_by_name_or_alias(&self, name: &str) -> Option<&System> {
        self.system(name)
            .or_else(|| self.alias_index.get(name).map(|&i| &*self.systems[i]))
    }

    pub fn team(&self, name: &str) -> Option<&Team> {
        self.team_index.get(name).map(|&i| &self.teams[i])
    }

    pub fn domain(&self, name: &str) -> Option<&Domain> {
        self.domain_index.get(name).map(|&i| &self.domains[i])
    }

    /// The held-back file `path`, if it is one.
    pub fn held_file(&self, path: &str) -> Option<&HeldFile> {
        self.held.iter().find(|h| h.path == path)
    }

    pub fn file_path(&self, id: FileId) -> &str {
        self.file_table
            .as_deref()
            .unwrap_or(&self.files)
            .get(id as usize)
            .map(|f| f.path.as_str())
            .unwrap_or("<unknown>")
    }

    /// Systems owned by a team, in catalog order.
    pub fn systems_owned_by<'a>(&'a self, team: &'a str) -> impl Iterator<Item = &'a System> + 'a {
        self.systems
            .iter()
            .map(|s| &**s)
            .filter(move |s| s.owner_name() == Some(team))
    }

    /// The APIs matched by a reference: one for `sys/api@N`, every version for `sys/api`,
    /// every API of the system for `sys`.
    pub fn resolve_api_ref<'a>(&'a self, r: &ApiRef) -> Vec<&'a Api> {
        let Some(sys) = self.system(&r.system) else {
            return Vec::new();
        };
        sys.provides
            .iter()
            .filter(|a| r.api.as_deref().is_none_or(|n| a.name.value == n))
            .filter(|a| r.version.is_none_or(|v| a.version == v))
            .collect()
    }

    /// Every `system/api@N` reference in the catalog, for suggestions.
    pub fn all_api_refs(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.systems {
            for a in &s.provides {
                out.push(a.reference(&s.name.value));
            }
        }
        out
    }

    /// The Markdown text of a doc or runbook, by path relative to the root.
    pub fn document(&self, path: &str) -> Option<&str> {
        self.documents.get(path).map(|t| &**t)
    }

    /// Paths of a system's docs and runbook (when it is a path), in declaration order.
    pub fn doc_paths<'a>(&'a self, s: &'a System) -> impl Iterator<Item = &'a str> + 'a {
        s.docs
            .iter()
            .map(|d| d.value.as_str())
            .chain(s.runbook.iter().filter_map(|r| match &r.value {
                DocRef::Path(p) => Some(p.as_str()),
                DocRef::Url(_) => None,
            }))
    }

    /// Looks up a Backstage reference (`api:pkgdb-api`, `component:default/pkgdb`), case-insensitively,
    /// with the namespace defaulting to `default`.
    pub fn backstage_ref(&self, reference: &str) -> Option<&BackstageTarget> {
        let (kind, rest) = reference.trim().split_once(':')?;
        let (ns, name) = rest.split_once('/').unwrap_or(("default", rest));
        let key = format!(
            "{}:{}/{}",
            kind.to_ascii_lowercase(),
            ns.to_ascii_lowercase(),
            name.to_ascii_lowercase()
        );
        self.backstage_refs.get(&key)
    }

    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.len() - self.errors()
    }

    pub fn api_count(&self) -> usize {
        self.systems.iter().map(|s| s.provides.len()).sum()
    }
}

/// `true` for names of the form `[a-z0-9][a-z0-9-]*`.
pub fn is_valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit() => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A catalog's systems and its name indexes, kept by an incremental load for the next
/// catalog ([`Catalog::new_after`]).
#[derive(Clone, Default)]
pub(crate) struct NameIndexes {
    systems: Vec<Arc<System>>,
    system: Arc<FxHashMap<String, usize>>,
    alias: Arc<FxHashMap<String, usize>>,
}

impl Catalog {
    pub(crate) fn name_indexes(&self) -> NameIndexes {
        NameIndexes {
            systems: self.systems.clone(),
            system: self.system_index.clone(),
            alias: self.alias_index.clone(),
        }
    }
}

/// Which systems differ between two versions of a catalog, told by identity: an incremental
/// load shares the `Arc` of every system whose file did not change, so a system that is not
/// the same `Arc` was parsed again, added or removed. Lets a reload redo only what concerns
/// those systems (validation, readiness).
pub struct SystemChanges<'a> {
    before: &'a [Arc<System>],
    /// Position in the previous list of each system, by address; `None` when the lists are
    /// aligned (same length, few positions differ: an edit in place), where a system's
    /// previous position is its own when it is the same `Arc` there.
    moved: Option<FxHashMap<usize, usize>>,
    /// Names of the systems that were added, removed or parsed again (or, aligned, that
    /// differ at their position).
    names: Vec<&'a str>,
    name_set: rustc_hash::FxHashSet<&'a str>,
}

impl<'a> SystemChanges<'a> {
    /// Differing positions up to which the aligned comparison is used.
    const ALIGNED: usize = 64;

    pub fn between(before: &'a [Arc<System>], now: &'a [Arc<System>]) -> SystemChanges<'a> {
        let mut names: Vec<&'a str> = Vec::new();
        let mut moved = None;
        let differ: Vec<usize> = if before.len() == now.len() {
            (0..now.len())
                .filter(|&i| !Arc::ptr_eq(&before[i], &now[i]))
                .take(Self::ALIGNED + 1)
                .collect()
        } else {
            Vec::new()
        };
        if before.len() == now.len() && differ.len() <= Self::ALIGNED {
            for &i in &differ {
                names.push(&before[i].name.value);
                names.push(&now[i].name.value);
            }
        } else {
            let key = |s: &Arc<System>| Arc::as_ptr(s) as usize;
            let mut at = FxHashMap::with_capacity_and_hasher(before.len(), Default::default());
            at.extend(before.iter().enumerate().map(|(i, s)| (key(s), i)));
            let mut now_set =
                rustc_hash::FxHashSet::with_capacity_and_hasher(now.len(), Default::default());
            now_set.extend(now.iter().map(key));
            names.extend(
                now.iter()
                    .filter(|s| !at.contains_key(&key(s)))
                    .map(|s| s.name.value.as_str()),
            );
            names.extend(
                before
                    .iter()
                    .filter(|s| !now_set.contains(&key(s)))
                    .map(|s| s.name.value.as_str()),
            );
            moved = Some(at);
        }
        names.sort_unstable();
        names.dedup();
        let name_set = if names.len() > 8 {
            names.iter().copied().collect()
        } else {
            Default::default()
        };
        SystemChanges {
            before,
            moved,
            names,
            name_set,
        }
    }

    /// Where `s`, the system at `i` in the new list, was in the previous list, when it is the
    /// same parse result.
    pub fn previous(&self, i: usize, s: &Arc<System>) -> Option<usize> {
        match &self.moved {
            None => Arc::ptr_eq(&self.before[i], s).then_some(i),
            Some(at) => at.get(&(Arc::as_ptr(s) as usize)).copied(),
        }
    }

    /// Whether a system named `name` was added, removed or parsed again: a reference to a
    /// name not touched resolves to the same system (or to none) in both lists.
    pub fn touches(&self, name: &str) -> bool {
        if self.names.len() > 8 {
            self.name_set.contains(name)
        } else {
            self.names.contains(&name)
        }
    }

    /// Whether `s` names (depends on, consumes from, lists as a consumer) a touched system.
    pub fn names_touched(&self, s: &System) -> bool {
        s.depends_on.iter().any(|d| self.touches(&d.value))
            || s.consumes.iter().any(|c| self.touches(&c.api.value.system))
            || s.provides
                .iter()
                .flat_map(|a| &a.consumers)
                .any(|lc| matches!(lc, ListedConsumer::System(n) if self.touches(&n.value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_indexes_are_shared_only_while_every_name_stays() {
        let system = |name: &str, alias: &str| {
            Arc::new(System {
                name: Spanned::new(name.to_string(), Loc::default()),
                aliases: vec![Spanned::new(alias.to_string(), Loc::default())],
                ..Default::default()
            })
        };
        let make = |systems: Vec<Arc<System>>, prev: Option<&NameIndexes>| {
            Catalog::new_after(PathBuf::new(), vec![], systems, vec![], vec![], prev)
        };
        let first = make(vec![system("koji", "k"), system("pkgdb", "p")], None);
        let names = first.name_indexes();
        // Another description, the same names: the indexes are the previous ones.
        let mut edited = (*first.systems[1]).clone();
        edited.description = "new words".into();
        let same = make(
            vec![first.systems[0].clone(), Arc::new(edited)],
            Some(&names),
        );
        assert!(Arc::ptr_eq(&same.system_index, &first.system_index));
        assert!(Arc::ptr_eq(&same.alias_index, &first.alias_index));
        // A renamed system, a new alias, or one system more: built again, and right.
        for systems in [
            vec![first.systems[0].clone(), system("pkgdb2", "p")],
            vec![first.systems[0].clone(), system("pkgdb", "q")],
            vec![
                first.systems[0].clone(),
                first.systems[1].clone(),
                system("mdapi", "m"),
            ],
        ] {
            let c = make(systems.clone(), Some(&names));
            assert!(!Arc::ptr_eq(&c.system_index, &first.system_index));
            for (i, s) in systems.iter().enumerate() {
                assert_eq!(c.system_id(&s.name.value), Some(i));
                assert_eq!(
                    c.system_by_name_or_alias(&s.aliases[0].value)
                        .map(|x| &x.name.value),
                    Some(&s.name.value)
                );
            }
        }
    }

    #[test]
    fn api_refs_parse() {
        let r = ApiRef::parse("pkgdb/api@2").unwrap();
        assert_eq!(
            (r.system.as_str(), r.api.as_deref(), r.version),
            ("pkgdb", Some("api"), Some(2))
        );
        assert_eq!(ApiRef::parse("koji/hub").unwrap().version, None);
        assert_eq!(ApiRef::parse("koji").unwrap().api, None);
        assert!(ApiRef::parse("pkgdb/api@two").is_err());
        assert!(ApiRef::parse("pkgdb@2").is_err());
        assert!(ApiRef::parse("Pkg DB/api").is_err());
        assert_eq!(
            ApiRef::parse("pkgdb/api@v2").unwrap().to_string(),
            "pkgdb/api@2"
        );
    }

    #[test]
    fn endpoint_keys_normalise() {
        assert_eq!(
            EndpointKey::parse("get /api/x/"),
            EndpointKey::parse("GET /api/x")
        );
        assert_eq!(
            EndpointKey::parse("GET /p/{name}"),
            EndpointKey::parse("GET /p/{id}")
        );
        assert_ne!(EndpointKey::parse("GET /a"), EndpointKey::parse("POST /a"));
        assert!(EndpointKey::parse("/api/x").is_none());
        assert!(EndpointKey::parse("GET").is_none());
    }

    #[test]
    fn names() {
        assert!(is_valid_name("pkgdb"));
        assert!(is_valid_name("db-koji2"));
        assert!(!is_valid_name("-x"));
        assert!(!is_valid_name("Bodhi"));
        assert!(!is_valid_name(""));
    }
}
