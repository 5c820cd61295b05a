//! Questions both the CLI and the web server ask of a snapshot, answered once for both.

use std::sync::Arc;

use super::Snapshot;
use crate::date::Date;
use crate::drift::{self, DriftReport};
use crate::impact::{self, ImpactOptions, ImpactReport, TargetError};

/// "If I change `target` (a system, `system/api` or `system/api@N`), optionally just
/// `endpoint`, who breaks?"
#[derive(Clone, Debug)]
pub struct ImpactQuestion<'a> {
    pub target: &'a str,
    pub endpoint: Option<&'a str>,
    pub opts: ImpactOptions,
    /// The day whose on-call rotation the report names.
    pub at: Date,
    /// `(offset, limit)`: only that part of each list of the report (a page of the API);
    /// `None` for all of it.
    pub page: Option<(usize, usize)>,
}

/// The impact report: the target resolved, its consumers found transitively, owners and
/// on-call named, and — when the snapshot holds observed traffic — the observed callers the
/// catalog does not declare.
pub fn impact(snap: &Snapshot, q: &ImpactQuestion<'_>) -> Result<ImpactReport, TargetError> {
    let c = &snap.catalog;
    let target = impact::resolve_target(c, q.target, q.endpoint)?;
    let g = snap.graph();
    let res = impact::analyze(c, g, &target, &q.opts);
    let mut report = impact::report_page(c, g, &target, &res, q.at, q.page);
    if let Some(ev) = &snap.evidence {
        let mut observed = drift::impact_evidence(c, g, ev, &target, &res, &q.opts);
        report.summary.observed_count = Some(observed.len());
        if let Some((offset, limit)) = q.page {
            let start = offset.min(observed.len());
            observed.truncate(start.saturating_add(limit).min(observed.len()));
            observed.drain(..start);
        }
        report.observed = Some(observed);
    }
    Ok(report)
}

/// Declared against observed dependencies; `None` when the snapshot holds no observed traffic.
/// Made once per snapshot.
pub fn drift(snap: &Snapshot) -> Option<Arc<DriftReport>> {
    snap.drift
        .get_or_init(|| {
            let ev = snap.evidence.as_ref()?;
            Some(Arc::new(drift::drift(&snap.catalog, snap.graph(), ev)))
        })
        .clone()
}
