//! A system and what it declares about itself: links, docs, ilities and the APIs it consumes.

use std::collections::BTreeMap;

use super::api::{Api, ApiRef};
use super::{Lifecycle, Loc, Spanned};

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
