//! `cairn impact TARGET` and `cairn deps NAME`.

use super::{exit, Format, Out};
use crate::date::Date;
use crate::drift;
use crate::graph::Graph;
use crate::impact::{self, ImpactOptions};
use crate::model::Catalog;
use crate::observed::Observed;
use crate::report::{self, Style};

impl Style for Out {
    fn bold(&self, s: &str) -> String {
        Out::bold(self, s)
    }
    fn dim(&self, s: &str) -> String {
        Out::dim(self, s)
    }
}

pub struct ImpactArgs<'a> {
    pub target: &'a str,
    pub endpoint: Option<&'a str>,
    pub opts: ImpactOptions,
    pub at: Date,
    /// Observed traffic: adds observed, undeclared consumers to the report.
    pub observed: Option<&'a Observed>,
}

pub fn run(c: &Catalog, a: ImpactArgs, format: Format, out: &mut Out) -> anyhow::Result<i32> {
    let target = match impact::resolve_target(c, a.target, a.endpoint) {
        Ok(t) => t,
        Err(e) => {
            out.error(&e.to_string());
            return Ok(exit::USAGE);
        }
    };
    let g = Graph::build(c);
    let res = impact::analyze(c, &g, &target, &a.opts);
    let mut r = impact::report(c, &target, &res, a.at);
    if let Some(o) = a.observed {
        let ev = drift::resolve(c, o);
        r.observed = Some(drift::impact_evidence(c, &g, &ev, &target, &res, &a.opts));
    }
    match format {
        Format::Json => out.json(&r)?,
        Format::Md => out.print(&report::impact_markdown(&r, &a.at.to_string())),
        Format::Text => {
            let text = report::impact_text(&r, out);
            out.print(&text);
        }
        other => {
            out.error(&format!(
                "`impact` cannot print {other:?} output; use text, json or md"
            ));
            return Ok(exit::USAGE);
        }
    }
    Ok(exit::OK)
}

pub fn deps(
    c: &Catalog,
    name: &str,
    max_depth: Option<u32>,
    format: Format,
    out: &mut Out,
) -> anyhow::Result<i32> {
    let Some(sys) = c.system_by_name_or_alias(name) else {
        let hint = crate::diag::did_you_mean(name, c.systems.iter().map(|s| s.name.value.as_str()))
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        out.error(&format!("no system named `{name}`{hint}"));
        return Ok(exit::USAGE);
    };
    let idx = c.system_id(&sys.name.value).expect("indexed");
    let g = Graph::build(c);
    let r = impact::deps(c, &g, idx, max_depth);
    match format {
        Format::Json => out.json(&r)?,
        _ => {
            let mut s = format!(
                "{}\n{} dependencies ({} direct), {} owned by other teams\n",
                out.bold(&format!("What {} depends on", r.system)),
                r.summary.total,
                r.summary.direct,
                r.summary.other_teams
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
                    d.via
                ));
                if d.depth > 1 {
                    s.push_str(&format!(
                        "    {}\n",
                        out.dim(&format!("why: {}", d.path.join(" → ")))
                    ));
                }
            }
            out.print(&s);
        }
    }
    Ok(exit::OK)
}
