//! `cairn score [NAME] [--team T] [--min-level L]`: production readiness per system, and an
//! exit code for CI (1 when a system is below `--min-level`).

use super::{exit, Format, Out};
use crate::diag::did_you_mean;
use crate::snapshot::Snapshot;
use crate::text::md_table_cell;
use crate::views::{self, ScoreFilter, ScoreReport, SystemScoreView};

pub struct ScoreArgs<'a> {
    pub name: Option<&'a str>,
    pub team: Option<&'a str>,
    pub min_level: Option<&'a str>,
}

pub fn run(snap: &Snapshot, a: ScoreArgs, format: Format, out: &mut Out) -> anyhow::Result<i32> {
    let c = &snap.catalog;
    let sc = crate::score::effective(c).scorecard;
    let mut f = ScoreFilter::default();
    if let Some(name) = a.name {
        let Some(s) = c.system_by_name_or_alias(name) else {
            let hint = did_you_mean(name, c.systems.iter().map(|s| s.name.value.as_str()))
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            out.error(&format!("no system named `{name}`{hint}"));
            return Ok(exit::USAGE);
        };
        f.system = c.system_id(&s.name.value);
    }
    if let Some(t) = a.team {
        if c.team(t).is_none() {
            let hint = did_you_mean(t, c.teams.iter().map(|t| t.name.value.as_str()))
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            out.error(&format!("no team named `{t}`{hint}"));
            return Ok(exit::USAGE);
        }
        f.team = Some(t.to_string());
    }
    if let Some(l) = a.min_level {
        match sc.level(l) {
            Some(i) => f.min_level = Some(i),
            None => {
                let names: Vec<&str> = sc.levels.iter().map(|l| l.name.as_str()).collect();
                let hint = did_you_mean(l, names.iter().copied())
                    .unwrap_or_else(|| format!("levels: {}", names.join(", ")));
                out.error(&format!("no readiness level named `{l}` ({hint})"));
                return Ok(exit::USAGE);
            }
        }
    }
    if f.system
        .is_some_and(|i| !crate::score::is_scored(&c.systems[i]))
    {
        out.eprint("note: retired systems are not scored\n");
    }
    let r = views::score_report(c, &f, &|i| snap.score(i));
    match format {
        Format::Json => out.json(&r)?,
        Format::Md => out.print(&markdown(&r)),
        Format::Text if a.name.is_some() => {
            let text = detail_text(&r, out);
            out.print(&text);
        }
        Format::Text => {
            let text = text(&r, out);
            out.print(&text);
        }
        other => return Ok(super::cannot_print(out, "score", other, "text, json or md")),
    }
    if !r.summary.ok {
        if format != Format::Text {
            out.eprint(&below_line(&r));
        }
        return Ok(exit::FAILED);
    }
    Ok(exit::OK)
}

fn level_label(r: &ScoreReport, level: Option<&str>) -> String {
    match level {
        Some(l) => l.to_string(),
        None => format!(
            "below {}",
            r.scorecard
                .levels
                .first()
                .map(|l| l.name.as_str())
                .unwrap_or("any level")
        ),
    }
}

fn summary_line(r: &ScoreReport) -> String {
    let s = &r.summary;
    let mut parts: Vec<String> = s
        .levels
        .iter()
        .rev()
        .map(|l| format!("{} {}", l.system_count, l.level))
        .collect();
    if s.below_first_level > 0 {
        parts.push(format!("{} {}", s.below_first_level, level_label(r, None)));
    }
    let mut line = format!(
        "{} system{} scored: {}",
        s.system_count,
        if s.system_count == 1 { "" } else { "s" },
        parts.join(", ")
    );
    if s.not_scored > 0 {
        line.push_str(&format!("; {} retired, not scored", s.not_scored));
    }
    line.push('\n');
    line
}

fn below_line(r: &ScoreReport) -> String {
    let s = &r.summary;
    format!(
        "{} system{} below {}: {}\n",
        s.below_min_level.len(),
        if s.below_min_level.len() == 1 {
            ""
        } else {
            "s"
        },
        s.min_level.as_deref().unwrap_or(""),
        s.below_min_level.join(", ")
    )
}

fn source(r: &ScoreReport) -> String {
    let levels: Vec<&str> = r.scorecard.levels.iter().map(|l| l.name.as_str()).collect();
    format!(
        "scorecard: {} ({})",
        r.scorecard.source.as_deref().unwrap_or("built-in default"),
        levels.join(" → ")
    )
}

/// The rules a system misses for its next level.
fn next_steps(v: &SystemScoreView) -> Vec<&views::MissingRule> {
    match &v.next_level {
        Some(n) => v.missing.iter().filter(|m| &m.level == n).collect(),
        None => Vec::new(),
    }
}

/// `runbook`, or `support-basics (no \`support.logs\`)` when the detail says more than the id.
fn short(m: &views::MissingRule) -> String {
    if m.detail == format!("no `{}`", m.rule) {
        m.rule.clone()
    } else {
        format!("{} ({})", m.rule, m.detail)
    }
}

/// Every system, grouped by level, lowest first, with what it needs for the next level.
pub fn text(r: &ScoreReport, out: &Out) -> String {
    let mut s = String::new();
    s.push_str(&out.bold("Production readiness"));
    s.push_str(&format!("  {}\n", out.dim(&source(r))));
    let mut groups: Vec<Option<&str>> = vec![None];
    groups.extend(r.scorecard.levels.iter().map(|l| Some(l.name.as_str())));
    for g in groups {
        let members: Vec<&SystemScoreView> = r
            .systems
            .iter()
            .filter(|v| v.level.as_deref() == g)
            .collect();
        if members.is_empty() {
            continue;
        }
        s.push_str(&format!(
            "\n{} ({})\n",
            out.bold(&level_label(r, g)),
            members.len()
        ));
        for v in members {
            let tier = v
                .tier
                .map(|t| format!("tier {t}"))
                .unwrap_or_else(|| "no tier".into());
            s.push_str(&format!(
                "  {}  {}, {}\n",
                out.bold(&v.name),
                tier,
                v.owner.as_deref().unwrap_or("no owner")
            ));
            let steps = next_steps(v);
            if let (Some(n), false) = (&v.next_level, steps.is_empty()) {
                let items: Vec<String> = steps.iter().map(|m| short(m)).collect();
                s.push_str(&format!(
                    "    {}\n",
                    out.dim(&format!("for {n}: {}", items.join("; ")))
                ));
            }
        }
    }
    s.push('\n');
    s.push_str(&summary_line(r));
    if r.summary.min_level.is_some() {
        if r.summary.ok {
            s.push_str(&format!(
                "every system reaches {}\n",
                r.summary.min_level.as_deref().unwrap_or("")
            ));
        } else {
            s.push_str(&below_line(r));
        }
    }
    s
}

/// One system: every rule, level by level, passed or missing, with hints.
pub fn detail_text(r: &ScoreReport, out: &Out) -> String {
    let mut s = String::new();
    let Some(v) = r.systems.first() else {
        s.push_str("not scored (retired)\n");
        return s;
    };
    s.push_str(&format!(
        "{} — {}: {}\n",
        out.bold(&v.name),
        v.title,
        out.bold(&level_label(r, v.level.as_deref()))
    ));
    s.push_str(&out.dim(&format!("{}\n", source(r))));
    for l in &r.scorecard.levels {
        s.push_str(&format!("\n{} — {}\n", out.bold(&l.name), l.title));
        let mut any = false;
        for rule in &l.rules {
            if let Some(m) = v.missing.iter().find(|m| m.rule == rule.id) {
                any = true;
                s.push_str(&format!("  ✗ {} — {}\n", m.title, m.detail));
                if !m.hint.is_empty() {
                    s.push_str(&format!("    {}\n", out.dim(&format!("hint: {}", m.hint))));
                }
            } else if v.passed.iter().any(|p| p.rule == rule.id) {
                any = true;
                s.push_str(&format!("  ✓ {}\n", rule.title));
            }
        }
        if !any {
            s.push_str("  (no rule applies)\n");
        }
    }
    if r.summary.min_level.is_some() && !r.summary.ok {
        s.push('\n');
        s.push_str(&below_line(r));
    }
    s
}

/// A Markdown table, for a pull request or a wiki page.
pub fn markdown(r: &ScoreReport) -> String {
    let mut s = String::from("# Production readiness\n\n");
    s.push_str(&format!("{}\n\n", md_table_cell(&summary_line(r)).trim()));
    s.push_str(
        "| System | Tier | Owner | Level | Missing for the next level |\n|---|---|---|---|---|\n",
    );
    for v in &r.systems {
        let steps: Vec<String> = next_steps(v)
            .iter()
            .map(|m| format!("{} ({})", md_table_cell(&m.title), md_table_cell(&m.detail)))
            .collect();
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            v.name,
            v.tier.map(|t| t.to_string()).unwrap_or_else(|| "—".into()),
            md_table_cell(v.owner.as_deref().unwrap_or("—")),
            level_label(r, v.level.as_deref()),
            if steps.is_empty() {
                "—".to_string()
            } else {
                steps.join("; ")
            }
        ));
    }
    if r.summary.min_level.is_some() && !r.summary.ok {
        s.push_str(&format!("\n**{}**\n", below_line(r).trim()));
    }
    s
}
