//! Who is on call on a given day, computed from a team's rotation.
//!
//! `order[k]` is primary during the k-th period (of `every` days) counted from `start`, cycling;
//! the backup is the next person in the order; the lead is fixed. Before `start` the rotation
//! runs backwards, so any date has an answer.

use serde::Serialize;

use crate::date::Date;
use crate::model::{Rotation, Team};

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

/// One shift of a rotation: who is primary and backup from `start` to `end` (inclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shift {
    /// Shifts since the rotation's start (negative before it).
    pub index: i64,
    pub start: Date,
    pub end: Date,
    pub primary: String,
    pub backup: Option<String>,
}

/// The shift of `r` that contains `at`; `None` for a rotation with nobody in it.
pub fn shift(r: &Rotation, at: Date) -> Option<Shift> {
    let every = r.every_days.max(1) as i64;
    shift_number(r, at.days_since(r.start).div_euclid(every))
}

/// The shift after the one that contains `at`: the next handover.
pub fn next_shift(r: &Rotation, at: Date) -> Option<Shift> {
    let every = r.every_days.max(1) as i64;
    shift_number(r, at.days_since(r.start).div_euclid(every) + 1)
}

fn shift_number(r: &Rotation, index: i64) -> Option<Shift> {
    let n = r.order.len() as i64;
    if n == 0 {
        return None;
    }
    let every = r.every_days.max(1) as i64;
    let k = index.rem_euclid(n) as usize;
    Some(Shift {
        index,
        start: r.start.add_days(index * every),
        end: r.start.add_days((index + 1) * every - 1),
        primary: r.order[k].value.clone(),
        backup: (n > 1).then(|| r.order[(k + 1) % n as usize].value.clone()),
    })
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
    if let Some(s) = oc.rotation.as_ref().and_then(|r| shift(r, at)) {
        out.primary = Some(s.primary);
        out.backup = s.backup;
        out.until = Some(s.end.to_string());
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

    #[test]
    fn shifts_and_handovers() {
        let t = team();
        let r = t.oncall.as_ref().unwrap().rotation.as_ref().unwrap();
        let d = |s: &str| Date::parse(s).unwrap();
        let s = shift(r, d("2026-01-18")).unwrap();
        assert_eq!(
            (s.index, s.start, s.end),
            (0, d("2026-01-05"), d("2026-01-18"))
        );
        let n = next_shift(r, d("2026-01-18")).unwrap();
        assert_eq!(
            (n.start, n.primary.as_str(), n.backup.as_deref()),
            (d("2026-01-19"), "bkumar", Some("cwong"))
        );
        let before = shift(r, d("2026-01-04")).unwrap();
        assert_eq!((before.index, before.start), (-1, d("2025-12-22")));
    }
}
