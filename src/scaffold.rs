//! Scaffolds for `cairn new`: a system, a team or the settings file, from the plain-text
//! templates in `templates/` (compiled in), filled by string replacement. Every value the
//! author must write is a `TODO` placeholder, which the loader flags and reads as absent, so a
//! scaffold passes `cairn check` as written. Pure text: the CLI writes the file.

use crate::date::Date;
use crate::model::{is_valid_name, Scorecard};

const SYSTEM_TEMPLATE: &str = include_str!("../templates/new-system.yaml");
const TEAM_TEMPLATE: &str = include_str!("../templates/new-team.yaml");

/// At most this many names are listed in a template's comments.
const MAX_LISTED: usize = 40;

/// What a new system's file needs to know about the catalog it joins.
pub struct NewSystem<'a> {
    pub name: &'a str,
    /// The owning team, when given (it must exist).
    pub owner: Option<&'a str>,
    /// Teams and domains of the catalog, listed in comments as the valid choices.
    pub teams: Vec<&'a str>,
    pub domains: Vec<&'a str>,
    pub scorecard: &'a Scorecard,
}

/// Checks a new entity's name; the error suggests a valid spelling.
pub fn check_name(name: &str) -> Result<(), String> {
    if is_valid_name(name) {
        return Ok(());
    }
    let mut slug = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let hint = if slug.is_empty() {
        "names are lowercase letters, digits and `-`, starting with a letter or digit".to_string()
    } else {
        format!("names are lowercase letters, digits and `-`: try `{slug}`")
    };
    Err(format!("`{name}` is not a valid name ({hint})"))
}

fn listed(names: &[&str]) -> String {
    if names.is_empty() {
        return "(none yet)".into();
    }
    let mut s = names
        .iter()
        .take(MAX_LISTED)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > MAX_LISTED {
        s.push_str(&format!(", … ({} in all)", names.len()));
    }
    s
}

/// The scorecard as a comment block: what each level asks for.
fn scorecard_comment(sc: &Scorecard) -> String {
    let mut out =
        String::from("# Readiness levels in this catalog (`cairn score`), lowest first:\n");
    for l in &sc.levels {
        let rules: Vec<String> = l
            .rules
            .iter()
            .map(|r| {
                let check = crate::score::describe_check(&r.check);
                match crate::score::describe_selector(&r.when) {
                    Some(w) => format!("{check} (for {w})"),
                    None => check,
                }
            })
            .collect();
        out.push_str(&format!(
            "#   {} ({}): {}\n",
            l.name,
            l.title,
            rules.join("; ")
        ));
    }
    out.push('#');
    out
}

/// The YAML of a new system.
pub fn system_yaml(n: &NewSystem) -> String {
    let owner = match n.owner {
        Some(o) => o.to_string(),
        None => "\"TODO: one of the teams above\"".to_string(),
    };
    SYSTEM_TEMPLATE
        .replace("{{scorecard}}", &scorecard_comment(n.scorecard))
        .replace("{{teams}}", &listed(&n.teams))
        .replace("{{domains}}", &listed(&n.domains))
        .replace("{{owner}}", &owner)
        .replace("{{name}}", n.name)
}

/// The YAML of a new team; its rotation starts on `today`.
pub fn team_yaml(name: &str, today: Date) -> String {
    TEAM_TEMPLATE
        .replace("{{today}}", &today.to_string())
        .replace("{{name}}", name)
}

/// The settings file with the built-in scorecard, to customise.
pub fn settings_yaml() -> &'static str {
    crate::loader::DEFAULT_SETTINGS_YAML
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_with_a_suggestion() {
        assert!(check_name("my-app2").is_ok());
        let e = check_name("My App").unwrap_err();
        assert!(e.contains("try `my-app`"), "{e}");
        assert!(check_name("--").is_err());
    }

    #[test]
    fn placeholders_are_all_filled() {
        let sc = Scorecard::default();
        let y = system_yaml(&NewSystem {
            name: "x",
            owner: None,
            teams: vec!["a"],
            domains: vec![],
            scorecard: &sc,
        });
        assert!(!y.contains("{{"), "{y}");
        let t = team_yaml("t", Date::parse("2026-01-05").unwrap());
        assert!(!t.contains("{{") && t.contains("start: 2026-01-05"), "{t}");
    }
}
