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
