//! Teams (contacts, members, on-call, onboarding) and domains.

use super::{Loc, Spanned};

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
    /// iCalendar feeds, one per role (`ical:`); each role a feed answers for comes from it,
    /// the others (and any whose feed cannot be read) from `rotation` and `lead`.
    pub feeds: Vec<OncallFeed>,
}

/// The escalation roles on-call has, in the order they are called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OncallRole {
    Primary,
    Backup,
    Lead,
}

impl OncallRole {
    pub const ALL: [OncallRole; 3] = [OncallRole::Primary, OncallRole::Backup, OncallRole::Lead];

    pub fn name(self) -> &'static str {
        match self {
            OncallRole::Primary => "primary",
            OncallRole::Backup => "backup",
            OncallRole::Lead => "lead",
        }
    }

    pub fn parse(s: &str) -> Option<OncallRole> {
        OncallRole::ALL.into_iter().find(|r| r.name() == s.trim())
    }
}

/// Where a feed comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FeedSource {
    /// A file in the catalog (path relative to the catalog root), read by the loader.
    File(String),
    /// A name the operator maps to a URL (`cairn serve --ical NAME=URL`).
    Named(String),
}

impl FeedSource {
    /// As the catalog names it: the path or the name.
    pub fn label(&self) -> &str {
        match self {
            FeedSource::File(p) | FeedSource::Named(p) => p,
        }
    }
}

/// One `ical:` entry of a team's on-call.
#[derive(Clone, Debug)]
pub struct OncallFeed {
    pub role: OncallRole,
    pub source: FeedSource,
    pub loc: Loc,
    /// What reading the feed gave: `None` while it has not been read (a named feed nobody
    /// fetched), else the schedule or why there is none.
    pub schedule: Option<Result<std::sync::Arc<crate::ical::Schedule>, String>>,
}

impl OncallFeed {
    /// The schedule, when the feed was read and parsed.
    pub fn schedule(&self) -> Option<&crate::ical::Schedule> {
        match &self.schedule {
            Some(Ok(s)) => Some(s),
            _ => None,
        }
    }
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
