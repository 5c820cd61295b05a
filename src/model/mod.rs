//! The catalog's data model: what the loader produces and every other module reads.
//!
//! A [`Catalog`] is an immutable snapshot of one catalog directory. Nothing in here reads files,
//! prints or knows about YAML; values that can be the subject of a diagnostic carry a [`Loc`] so a
//! later pass (validation, graph, diff) can point at the exact line that declared them.

mod api;
mod catalog;
mod changes;
mod settings;
mod source;
mod system;
mod team;

pub use api::{
    split_endpoint, Api, ApiKind, ApiRef, Endpoint, EndpointKey, ExternalConsumer, ListedConsumer,
    OperationContract, Parameter, RequestBody, Response, Schema,
};
pub(crate) use catalog::NameIndexes;
pub use catalog::{BackstageTarget, Catalog};
pub use changes::SystemChanges;
pub use settings::{Check, Fact, GlossaryEntry, Level, Rule, Scorecard, Selector, Settings};
pub use source::{SourceLocation, SourceSetting, SourceStatus};
pub use system::{Consumption, DocRef, Ility, Link, System};
pub use team::{
    Contacts, Domain, FeedSource, Member, Onboarding, OnboardingStep, Oncall, OncallFeed,
    OncallRole, Rotation, Team,
};

use std::time::SystemTime;

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

/// Which kind of document a name refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityKind {
    System,
    Team,
    Domain,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_valid_name("pkgdb"));
        assert!(is_valid_name("db-koji2"));
        assert!(!is_valid_name("-x"));
        assert!(!is_valid_name("Bodhi"));
        assert!(!is_valid_name(""));
    }
}
