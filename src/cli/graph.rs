//! `cairn graph`: the dependency picture for other tools (DOT, Mermaid, JSON).

use super::{exit, Format, Out};
use crate::export::{self, Filter};
use crate::snapshot::Snapshot;

pub struct GraphArgs<'a> {
    pub focus: Option<&'a str>,
    pub depth: u32,
    pub team: Option<String>,
    pub domain: Option<String>,
    pub max_tier: Option<u8>,
}

pub fn run(snap: &Snapshot, a: GraphArgs, format: Format, out: &mut Out) -> anyhow::Result<i32> {
    let c = &snap.catalog;
    let focus = match a.focus {
        None => None,
        Some(name) => match c.system_by_name_or_alias(name) {
            Some(s) => c.system_id(&s.name.value),
            None => {
                out.error(&format!("no system named `{name}`"));
                return Ok(exit::USAGE);
            }
        },
    };
    if let Some(t) = &a.team {
        if c.team(t).is_none() {
            out.error(&format!("no team named `{t}`"));
            return Ok(exit::USAGE);
        }
    }
    let g = snap.graph();
    let filter = Filter {
        focus,
        depth: a.depth,
        team: a.team,
        domain: a.domain,
        max_tier: a.max_tier,
    };
    let selected = export::select(c, g, &filter);
    match format {
        Format::Json => out.json(&export::to_json(c, g, &selected))?,
        Format::Mermaid | Format::Md => out.print(&export::to_mermaid(c, g, &selected)),
        Format::Dot | Format::Text => out.print(&export::to_dot(c, g, &selected)),
        Format::Eml => {
            return Ok(super::cannot_print(
                out,
                "graph",
                format,
                "text (DOT), dot, mermaid or json",
            ))
        }
    }
    Ok(exit::OK)
}
