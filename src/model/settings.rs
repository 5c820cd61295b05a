//! The catalog's settings document: glossary, and the readiness scorecard with its rules.

use super::system::System;
use super::{Lifecycle, Loc, Spanned};

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
    /// Where the catalog's files come from (docs/sources.md); empty: the catalog directory.
    pub sources: Vec<super::SourceSetting>,
    /// How often `cairn serve` fetches the git sources again, in seconds (default 300).
    pub refresh_secs: Option<u64>,
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
