//! Who is on call on a given day, computed from a team's rotation.
//!
//! `order[k]` is primary during the k-th period (of `every` days) counted from `start`, cycling;
//! the backup is the next person in the order; the lead is fixed. Before `start` the rotation
//! runs backwards, so any date has an answer.

use serde::Serialize;

use crate::date::Date;
use crate::model::Team;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OnCall {
    pub primary: Option<String>,
    pub backup: Option<String>,
    pub lead: Option<String>,
    /// The date this was computed for.
    pub date: String,
    /// Last day of the current shift, inclusive.
    pub until: Option<String>,
}

impl OnCall {
    pub fn is_empty(&self) -> bool {
        self.primary.is_none() && self.lead.is_none()
    }
}

/// On-call for `team` on `at`; `None` when the team declares no on-call at all.
pub fn on_call(team: &Team, at: Date) -> Option<OnCall> {
    let oc = team.oncall.as_ref()?;
    let mut out = OnCall {
        primary: None,
        backup: None,
        lead: oc.lead.as_ref().map(|l| l.value.clone()),
        date: at.to_string(),
        until: None,
    };
    if let Some(r) = &oc.rotation {
        let n = r.order.len() as i64;
        if n > 0 {
            let every = r.every_days.max(1) as i64;
            let shift = at.days_since(r.start).div_euclid(every);
            let k = shift.rem_euclid(n) as usize;
            out.primary = Some(r.order[k].value.clone());
            if n > 1 {
                out.backup = Some(r.order[(k + 1) % n as usize].value.clone());
            }
            out.until = Some(r.start.add_days((shift + 1) * every - 1).to_string());
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Oncall, Rotation, Spanned};

    fn team() -> Team {
        let s = |x: &str| Spanned::new(x.to_string(), Default::default());
        Team {
            oncall: Some(Oncall {
                rotation: Some(Rotation {
                    start: Date::parse("2026-01-05").unwrap(),
                    every_days: 14,
                    order: vec![s("asmith"), s("bkumar"), s("cwong")],
                    loc: Default::default(),
                }),
                lead: Some(s("jdoe")),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn rotates() {
        let t = team();
        let at = |d: &str| on_call(&t, Date::parse(d).unwrap()).unwrap();
        let first = at("2026-01-05");
        assert_eq!(
            (
                first.primary.as_deref(),
                first.backup.as_deref(),
                first.lead.as_deref()
            ),
            (Some("asmith"), Some("bkumar"), Some("jdoe"))
        );
        assert_eq!(first.until.as_deref(), Some("2026-01-18"));
        assert_eq!(at("2026-01-18").primary.as_deref(), Some("asmith"));
        assert_eq!(at("2026-01-19").primary.as_deref(), Some("bkumar"));
        let third = at("2026-02-02");
        assert_eq!(
            (third.primary.as_deref(), third.backup.as_deref()),
            (Some("cwong"), Some("asmith"))
        );
        assert_eq!(at("2026-02-16").primary.as_deref(), Some("asmith"));
        // Before the start the rotation runs backwards.
        assert_eq!(at("2026-01-04").primary.as_deref(), Some("cwong"));
    }
}
