//! `cairn impact TARGET` and `cairn deps NAME`.

use super::{exit, Format, Out};
use crate::impact;
use crate::report::{self, Style};
use crate::snapshot::query::{self, ImpactQuestion};
use crate::snapshot::Snapshot;

impl Style for Out {
    fn bold(&self, s: &str) -> String {
        Out::bold(self, s)
    }
    fn dim(&self, s: &str) -> String {
        Out::dim(self, s)
    }
}

/// `snap` holds observed traffic when `--observed` was given: observed, undeclared consumers
/// join the report.
pub fn run(
    snap: &Snapshot,
    q: ImpactQuestion<'_>,
    notice: &crate::announce::Notice,
    format: Format,
    out: &mut Out,
) -> anyhow::Result<i32> {
    let r = match query::impact(snap, &q) {
        Ok(r) => r,
        Err(e) => {
            out.error(&e.to_string());
            return Ok(exit::USAGE);
        }
    };
    match format {
        Format::Json => out.json(&r)?,
        Format::Md => out.print(&report::impact_markdown(&r, &q.at.to_string(), notice)),
        Format::Eml => out.print(&crate::announce::eml(&r, notice, &q.at.to_string())),
        Format::Text => {
            let text = report::impact_text(&r, out);
            out.print(&text);
        }
        other => {
            return Ok(super::cannot_print(
                out,
                "impact",
                other,
                "text, json, md or eml",
            ))
        }
    }
    Ok(exit::OK)
}

pub fn deps(
    snap: &Snapshot,
    name: &str,
    max_depth: Option<u32>,
    format: Format,
    out: &mut Out,
) -> anyhow::Result<i32> {
    let c = &snap.catalog;
    let Some(sys) = c.system_by_name_or_alias(name) else {
        let hint = crate::diag::did_you_mean(name, c.systems.iter().map(|s| s.name.value.as_str()))
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        out.error(&format!("no system named `{name}`{hint}"));
        return Ok(exit::USAGE);
    };
    let idx = c.system_id(&sys.name.value).expect("indexed");
    let r = impact::deps(c, snap.graph(), idx, max_depth);
    match format {
        Format::Json => out.json(&r)?,
        _ => {
            let mut s = format!(
                "{}\n{} dependencies ({} direct), {} owned by other teams\n",
                out.bold(&format!("What {} depends on", r.system)),
                r.summary.total,
                r.summary.direct,
                r.summary.other_team_count
            );
            let mut depth = 0;
            for d in &r.dependencies {
                if d.depth != depth {
                    depth = d.depth;
                    s.push_str(&format!("\n{}\n", out.bold(&format!("Depth {depth}"))));
                }
                let tier = d
                    .tier
                    .map(|t| format!("tier {t}"))
                    .unwrap_or_else(|| "no tier".into());
                let owner = d.owner.as_deref().unwrap_or("no owner");
                s.push_str(&format!(
                    "  {} ({tier}, {owner}) — {}\n",
                    out.bold(&d.system),
                    d.via_text
                ));
                if d.depth > 1 {
                    s.push_str(&format!(
                        "    {}\n",
                        out.dim(&format!(
                            "why: {}",
                            crate::impact::path_text(&d.path, d.path_left_out, " → ")
                        ))
                    ));
                }
            }
            out.print(&s);
        }
    }
    Ok(exit::OK)
}
