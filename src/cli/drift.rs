//! `cairn drift --observed FILE...`: the catalog's declarations held against observed traffic.

use super::{exit, Format, Out};
use crate::report;
use crate::snapshot::{query, Snapshot};

/// What makes `cairn drift` exit 3, like `cairn diff --fail-on` (a CI gate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Observed dependencies nobody declared.
    Undeclared,
    /// Declarations not seen in traffic.
    Stale,
    /// Names in traffic that are not in the catalog.
    Unknown,
    /// Never (the default): report only.
    Never,
}

/// `snap` holds the observed traffic ([`Snapshot::with_observed`]).
pub fn run(
    snap: &Snapshot,
    fail_on: &[FailOn],
    format: Format,
    out: &mut Out,
) -> anyhow::Result<i32> {
    let Some(r) = query::drift(snap) else {
        anyhow::bail!("no observed traffic to hold the catalog against");
    };
    match format {
        Format::Json => out.json(&*r)?,
        Format::Md => out.print(&report::drift_markdown(&r)),
        Format::Text => {
            let text = report::drift_text(&r, out);
            out.print(&text);
        }
        other => return Ok(super::cannot_print(out, "drift", other, "text, json or md")),
    }
    let mut failed = Vec::new();
    for f in fail_on {
        let n = match f {
            FailOn::Undeclared => r.summary.undeclared,
            FailOn::Stale => r.summary.stale,
            FailOn::Unknown => r.summary.unknown,
            FailOn::Never => 0,
        };
        if n > 0 {
            let what = match f {
                FailOn::Undeclared => "undeclared dependencies",
                FailOn::Stale => "stale declarations",
                _ => "unknown names",
            };
            failed.push(format!("{n} {what}"));
        }
    }
    if failed.is_empty() {
        Ok(exit::OK)
    } else {
        out.error(&format!("drift: {}", failed.join(", ")));
        Ok(exit::GATE)
    }
}
