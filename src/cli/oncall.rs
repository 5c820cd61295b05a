//! `cairn oncall [NAME | --team T] [--at DATE]`: who to call, in order, for every team, one team,
//! or the team owning a system; with the next handover and the team's contacts.

use super::{exit, Format, Out};
use crate::diag::did_you_mean;
use crate::model::Catalog;
use crate::text::md_table_cell;
use crate::views::{self, OncallReport};

pub struct OncallArgs<'a> {
    /// A system (its owner team is shown) or a team.
    pub name: Option<&'a str>,
    pub team: Option<&'a str>,
    pub at: crate::oncall::When,
}

pub fn run(c: &Catalog, a: OncallArgs, format: Format, out: &mut Out) -> anyhow::Result<i32> {
    let team_index = |t: &str| c.teams.iter().position(|x| x.name.value == t);
    let (teams, system): (Vec<usize>, Option<String>) = match (a.name, a.team) {
        (Some(_), Some(_)) => {
            out.error("give a system or team name, or --team, not both");
            return Ok(exit::USAGE);
        }
        (None, None) => ((0..c.teams.len()).collect(), None),
        (None, Some(t)) => match team_index(t) {
            Some(i) => (vec![i], None),
            None => {
                let hint = did_you_mean(t, c.teams.iter().map(|t| t.name.value.as_str()))
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                out.error(&format!("no team named `{t}`{hint}"));
                return Ok(exit::USAGE);
            }
        },
        (Some(n), None) => match (c.system_by_name_or_alias(n), team_index(n)) {
            (Some(s), _) => {
                let Some(i) = s.owner_name().and_then(team_index) else {
                    out.error(&format!(
                        "system `{}` has no owning team in the catalog, so nobody is on call for it",
                        s.name.value
                    ));
                    return Ok(exit::FAILED);
                };
                (vec![i], Some(s.name.value.clone()))
            }
            (None, Some(i)) => (vec![i], None),
            (None, None) => {
                let names = c
                    .systems
                    .iter()
                    .map(|s| s.name.value.as_str())
                    .chain(c.teams.iter().map(|t| t.name.value.as_str()));
                let hint = did_you_mean(n, names)
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                out.error(&format!("no system or team named `{n}`{hint}"));
                return Ok(exit::USAGE);
            }
        },
    };
    let r = views::oncall_report(c, &teams, system.as_deref(), a.at);
    match format {
        Format::Json => out.json(&r)?,
        Format::Md => out.print(&markdown(&r)),
        Format::Text => {
            let t = text(&r, out);
            out.print(&t);
        }
        other => {
            return Ok(super::cannot_print(
                out,
                "oncall",
                other,
                "text, json or md",
            ))
        }
    }
    Ok(exit::OK)
}

fn handover_text(h: &views::Handover) -> String {
    let when = h.time.as_ref().map_or(h.date.as_str(), |t| t.text.as_str());
    match &h.backup {
        Some(b) => format!("{when}: {} takes over as primary, {} backup", h.primary, b),
        None => format!("{when}: {} takes over as primary", h.primary),
    }
}

/// The day; with the time (UTC) when a team's on-call comes from feeds, whose shifts start and
/// end within days.
fn header_time(r: &OncallReport) -> String {
    if r.teams.iter().any(|t| !t.feeds.is_empty()) && r.time.len() >= 16 {
        format!("{} {} UTC", r.date, &r.time[11..16])
    } else {
        r.date.clone()
    }
}

pub fn text(r: &OncallReport, out: &Out) -> String {
    let mut s = out.bold(&format!("On call {}", header_time(r)));
    s.push('\n');
    if let (Some(sys), Some(t)) = (&r.system, r.teams.first()) {
        s.push_str(&format!(
            "{sys} is owned by {}; escalate in this order:\n",
            t.name
        ));
    }
    for t in &r.teams {
        // A title that already names the team ("Core Sysadmins (sysadmin-main)") is not told twice.
        let heading = if t.title.contains(t.name.as_str()) {
            out.bold(&t.title)
        } else {
            format!("{} ({})", out.bold(&t.title), t.name)
        };
        s.push_str(&format!("\n{heading}\n"));
        if t.escalation.is_empty() && t.feeds.is_empty() {
            s.push_str("  no on-call declared: use the contacts below\n");
        }
        if t.primary_gap() {
            s.push_str("  nobody is primary now: the primary feed has a gap here\n");
        }
        for (i, p) in t.escalation.iter().enumerate() {
            let email = p
                .email
                .as_ref()
                .map(|e| format!(" <{e}>"))
                .unwrap_or_default();
            let until = match (&p.until, p.role, &t.shift_end) {
                (Some(u), _, _) => format!("  until {}", u.text),
                // A rotation's shift runs through its last day; it is handed over as the next
                // day starts, and rotation dates are UTC days.
                (None, "primary", Some(end)) => match crate::date::Date::parse(end) {
                    Some(d) => format!("  until {} 00:00 UTC", d.add_days(1)),
                    None => format!("  until {end}"),
                },
                _ => String::new(),
            };
            s.push_str(&format!(
                "  {}. {:<8} {}{email}{}\n",
                i + 1,
                p.role,
                p.name,
                out.dim(&until)
            ));
        }
        if let Some(h) = &t.next_handover {
            s.push_str(&format!("  next handover {}\n", handover_text(h)));
        }
        for f in &t.feeds {
            if let Some(e) = &f.error {
                let instead = if f.role == "lead" {
                    "the team's lead"
                } else {
                    "the rotation"
                };
                s.push_str(&format!(
                    "  {}\n",
                    out.dim(&format!(
                        "{} feed {} not used ({e}): {} from {instead}",
                        f.role, f.feed, f.role
                    ))
                ));
            }
        }
        if !t.contacts.is_empty() {
            let c: Vec<String> = t.contacts.iter().map(|(k, v)| format!("{k} {v}")).collect();
            s.push_str(&format!("  {}\n", out.dim(&c.join(" · "))));
        }
    }
    s
}

pub fn markdown(r: &OncallReport) -> String {
    let mut s = format!("# On call {}\n\n", header_time(r));
    s.push_str("| Team | Primary | Backup | Lead | Shift ends | Next handover | Contacts |\n|---|---|---|---|---|---|---|\n");
    for t in &r.teams {
        let role = |name: &str| {
            t.escalation
                .iter()
                .find(|p| p.role == name)
                .map(|p| md_table_cell(&p.name))
                .unwrap_or_else(|| "—".into())
        };
        let contacts: Vec<String> = t.contacts.values().map(|v| md_table_cell(v)).collect();
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            md_table_cell(&t.title),
            role("primary"),
            role("backup"),
            role("lead"),
            t.escalation
                .iter()
                .find(|p| p.role == "primary")
                .and_then(|p| p.until.as_ref())
                .map(|u| md_table_cell(&u.text))
                .or_else(|| t.shift_end.clone())
                .unwrap_or_else(|| "—".into()),
            t.next_handover
                .as_ref()
                .map(|h| md_table_cell(&handover_text(h)))
                .unwrap_or_else(|| "—".into()),
            contacts.join("<br>")
        ));
    }
    s
}
