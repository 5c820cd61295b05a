//! Production readiness: evaluates the scorecard's declarative rules against each system.
//!
//! The scorecard comes from the catalog's settings document, or the built-in default when the
//! catalog has none. A system reaches a level when it passes every rule of that level that
//! applies to it (see [`Selector`]) and every applicable rule of the levels below. Retired
//! systems are not scored. Pure computation over the snapshot: no I/O, no printing.

use crate::loader;
use crate::model::*;

/// The scorecard in force and where it comes from.
pub struct Effective<'a> {
    pub scorecard: &'a Scorecard,
    /// Path of the settings file relative to the catalog root, or `None` for the built-in default.
    pub source: Option<&'a str>,
}

/// The scorecard in force for `c`.
pub fn effective(c: &Catalog) -> Effective<'_> {
    if let Some((s, sc)) = c
        .settings
        .as_ref()
        .and_then(|s| s.scorecard.as_ref().map(|sc| (s, sc)))
    {
        return Effective {
            scorecard: sc,
            source: Some(c.file_path(s.loc.file)),
        };
    }
    static EMPTY: std::sync::OnceLock<Scorecard> = std::sync::OnceLock::new();
    Effective {
        scorecard: loader::default_settings()
            .scorecard
            .as_ref()
            .unwrap_or_else(|| EMPTY.get_or_init(Scorecard::default)),
        source: None,
    }
}

/// Whether a system is scored at all (retired systems are not).
pub fn is_scored(s: &System) -> bool {
    s.lifecycle != Lifecycle::Retired
}

/// One rule's outcome for one system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub level: usize,
    pub rule: usize,
    /// `None` when passed; what is missing otherwise.
    pub missing: Option<String>,
}

/// A system's readiness.
#[derive(Clone, Debug)]
pub struct SystemScore {
    pub system: usize,
    /// Index of the highest level reached; `None` when below the first level.
    pub level: Option<usize>,
    /// Every rule that applies to the system, by level then rule order.
    pub outcomes: Vec<Outcome>,
}

impl SystemScore {
    pub fn passed(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.missing.is_none())
    }

    pub fn missing(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.missing.is_some())
    }

    /// The level after the one reached, if there is one.
    pub fn next_level(&self, sc: &Scorecard) -> Option<usize> {
        let next = self.level.map_or(0, |l| l + 1);
        (next < sc.levels.len()).then_some(next)
    }

    /// `true` when the system is at `level` or above.
    pub fn reaches(&self, level: usize) -> bool {
        self.level.is_some_and(|l| l >= level)
    }
}

/// Scores one system.
pub fn evaluate(c: &Catalog, sc: &Scorecard, system: usize) -> SystemScore {
    let s = &c.systems[system];
    let mut outcomes = Vec::new();
    let mut level = None;
    let mut failed_below = false;
    for (li, l) in sc.levels.iter().enumerate() {
        let mut level_ok = true;
        for (ri, r) in l.rules.iter().enumerate() {
            if !r.when.matches(s) {
                continue;
            }
            let missing = check(c, s, &r.check).err();
            level_ok &= missing.is_none();
            outcomes.push(Outcome {
                level: li,
                rule: ri,
                missing,
            });
        }
        if level_ok && !failed_below {
            level = Some(li);
        } else {
            failed_below = true;
        }
    }
    SystemScore {
        system,
        level,
        outcomes,
    }
}

/// Scores every scored system, in catalog order.
pub fn evaluate_all(c: &Catalog, sc: &Scorecard) -> Vec<SystemScore> {
    (0..c.systems.len())
        .filter(|&i| is_scored(&c.systems[i]))
        .map(|i| evaluate(c, sc, i))
        .collect()
}

fn filled(s: &str) -> bool {
    !s.trim().is_empty()
}

fn missing_keys(what: &str, wanted: &[String], has: impl Fn(&str) -> bool) -> Result<(), String> {
    let missing: Vec<String> = wanted
        .iter()
        .filter(|k| !has(k))
        .map(|k| format!("`{what}.{k}`"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("no {}", missing.join(", ")))
    }
}

/// Checks one rule against one system; the error says what is missing.
pub fn check(c: &Catalog, s: &System, check: &Check) -> Result<(), String> {
    let owner = || s.owner_name().and_then(|o| c.team(o));
    match check {
        Check::Has(f) => {
            let ok = match f {
                Fact::Description => filled(&s.description),
                Fact::Owner => {
                    return match s.owner_name() {
                        None => Err("no `owner`".into()),
                        Some(o) if c.team(o).is_none() => {
                            Err(format!("owner `{o}` is not a declared team"))
                        }
                        Some(_) => Ok(()),
                    }
                }
                Fact::Oncall => {
                    return match owner() {
                        None => Err("no owning team, so nobody on call".into()),
                        Some(t) => match t.oncall.as_ref().and_then(|o| o.rotation.as_ref()) {
                            Some(r) if !r.order.is_empty() => Ok(()),
                            _ => Err(format!("team `{}` has no on-call rotation", t.name.value)),
                        },
                    }
                }
                Fact::Contacts => {
                    return match owner() {
                        None => Err("no owning team to contact".into()),
                        Some(t) if t.contacts.email.is_some() || t.contacts.chat.is_some() => {
                            Ok(())
                        }
                        Some(t) => Err(format!("team `{}` has no email or chat", t.name.value)),
                    }
                }
                Fact::Runbook => s.runbook.is_some(),
                Fact::Docs => !s.docs.is_empty(),
                Fact::Repo => s.repo.as_deref().is_some_and(filled),
                Fact::Domain => s.domain.is_some(),
                Fact::Tier => s.tier.is_some(),
                Fact::Links => !s.links.is_empty(),
            };
            if ok {
                Ok(())
            } else {
                Err(format!("no `{}`", f.as_str()))
            }
        }
        Check::Ilities(names) => missing_keys("ilities", names, |k| {
            s.ilities
                .get(k)
                .is_some_and(|i| i.rating.is_some() || filled(&i.notes))
        }),
        Check::Rated(pairs) => {
            let mut problems = Vec::new();
            for (k, min) in pairs {
                match s.ilities.get(k).and_then(|i| i.rating) {
                    None => problems.push(format!("`ilities.{k}` is not rated")),
                    Some(r) if r < *min => {
                        problems.push(format!("`ilities.{k}` is rated {r}/5, below {min}"))
                    }
                    Some(_) => {}
                }
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(problems.join("; "))
            }
        }
        Check::Support(keys) => missing_keys("support", keys, |k| {
            s.support.get(k).is_some_and(|v| filled(v))
        }),
        Check::Environments(keys) => missing_keys("environments", keys, |k| {
            s.environments.get(k).is_some_and(|v| filled(v))
        }),
        Check::NoDeprecatedConsumption => {
            let mut found: Vec<String> = Vec::new();
            let gone = |l: Lifecycle| matches!(l, Lifecycle::Deprecated | Lifecycle::Retired);
            for cons in &s.consumes {
                if cons.api.system == s.name.value {
                    continue;
                }
                for a in c.resolve_api_ref(&cons.api) {
                    if gone(a.lifecycle) {
                        found.push(format!(
                            "consumes {} `{}`",
                            a.lifecycle.as_str(),
                            a.reference(&cons.api.system)
                        ));
                    }
                }
                if let Some(p) = c.system(&cons.api.system) {
                    if gone(p.lifecycle) {
                        found.push(format!(
                            "consumes `{}` of {} system `{}`",
                            cons.api.value,
                            p.lifecycle.as_str(),
                            p.name.value
                        ));
                    }
                }
            }
            for d in &s.depends_on {
                if let Some(p) = c.system(&d.value) {
                    if gone(p.lifecycle) {
                        found.push(format!(
                            "depends on {} system `{}`",
                            p.lifecycle.as_str(),
                            p.name.value
                        ));
                    }
                }
            }
            found.dedup();
            if found.is_empty() {
                Ok(())
            } else {
                Err(found.join("; "))
            }
        }
        Check::ApisDescribed => {
            let bare: Vec<String> = s
                .provides
                .iter()
                .filter(|a| a.endpoints.is_empty())
                .map(|a| format!("`{}`", a.reference(&s.name.value)))
                .collect();
            if bare.is_empty() {
                Ok(())
            } else {
                Err(format!("{} lists no endpoints", bare.join(", ")))
            }
        }
    }
}

/// A short description of what a rule checks, e.g. `support: database, logs`.
pub fn describe_check(c: &Check) -> String {
    match c {
        Check::Has(f) => format!("has: {}", f.as_str()),
        Check::Ilities(n) => format!("ilities: {}", n.join(", ")),
        Check::Rated(n) => format!(
            "rated: {}",
            n.iter()
                .map(|(k, r)| format!("{k} ≥ {r}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Check::Support(n) => format!("support: {}", n.join(", ")),
        Check::Environments(n) => format!("environments: {}", n.join(", ")),
        Check::NoDeprecatedConsumption => "no_deprecated_consumption".into(),
        Check::ApisDescribed => "apis_described".into(),
    }
}

/// A selector in words (`tier 1 or 2`), or `None` for "every system".
pub fn describe_selector(w: &Selector) -> Option<String> {
    let mut parts = Vec::new();
    if !w.tiers.is_empty() {
        let t: Vec<String> = w.tiers.iter().map(u8::to_string).collect();
        parts.push(format!("tier {}", t.join(" or ")));
    }
    if !w.lifecycles.is_empty() {
        let l: Vec<&str> = w.lifecycles.iter().map(|l| l.as_str()).collect();
        parts.push(l.join(" or "));
    }
    if !w.domains.is_empty() {
        let d: Vec<&str> = w.domains.iter().map(|d| d.value.as_str()).collect();
        parts.push(format!("domain {}", d.join(" or ")));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}
