//! Who is on call at an instant: from the team's iCalendar feeds where it has them, else from
//! its rotation and lead.
//!
//! A rotation: `order[k]` is primary during the k-th period (of `every` days) counted from
//! `start`, cycling; the backup is the next person in the order; the lead is fixed. Before
//! `start` the rotation runs backwards, so any date has an answer.
//!
//! Feeds (`oncall.ical`, [`crate::ical`]): each role (primary, backup, lead) with a feed that
//! can be read comes from it, with its shift's start and end as instants in the feed's time
//! zone; a role without one, or whose feed cannot be read (missing, not iCalendar, a named feed
//! nobody fetched, recurrences too many to expand), comes from the rotation (primary, backup)
//! or `lead`, as if there were no feed. A feed that can be read but has nobody on at the
//! instant (a gap between shifts) leaves that role empty: the feed is the schedule.

pub mod store;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::date::Date;
use crate::ical::{Answer, Instant, Person};
use crate::model::{OncallFeed, OncallRole, Rotation, Team};

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

/// The moment on-call is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct When {
    pub instant: Instant,
}

impl When {
    pub fn now() -> When {
        When {
            instant: Utc::now(),
        }
    }

    /// A day: the present moment when `d` is today (UTC), else 12:00 UTC on `d` — a moment
    /// inside that calendar day from UTC−11 to UTC+11. Give an instant for another time.
    pub fn on(d: Date) -> When {
        if d == Date::today() {
            return When::now();
        }
        let (y, m, day) = d.ymd();
        let noon = chrono::NaiveDate::from_ymd_opt(y as i32, m, day)
            .and_then(|n| n.and_hms_opt(12, 0, 0))
            .map(|n| n.and_utc())
            .unwrap_or_else(Utc::now);
        When { instant: noon }
    }

    /// `YYYY-MM-DD` (as [`When::on`]) or an RFC 3339 instant: `2026-03-09T13:30:00Z`,
    /// `2026-03-09T09:30:00-04:00`.
    pub fn parse(s: &str) -> Option<When> {
        let s = s.trim();
        if let Some(d) = Date::parse(s) {
            return Some(When::on(d));
        }
        DateTime::parse_from_rfc3339(s).ok().map(|t| When {
            instant: t.with_timezone(&Utc),
        })
    }

    /// The day the rotation is computed for: the instant's date in UTC.
    pub fn date(&self) -> Date {
        let d = self.instant.date_naive();
        Date::from_ymd(d.year() as i64, d.month(), d.day()).unwrap_or_else(Date::today)
    }

    /// The instant as RFC 3339 in UTC (`2026-03-09T13:30:00Z`).
    pub fn rfc3339(&self) -> String {
        utc_text(self.instant)
    }
}

/// An instant with the time zone a feed gives it in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub at: Instant,
    pub zone: Tz,
}

impl Stamp {
    /// `2026-03-09T09:00:00-04:00`.
    pub fn local(&self) -> String {
        self.at
            .with_timezone(&self.zone)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    }

    pub fn utc(&self) -> String {
        utc_text(self.at)
    }

    /// For people: `Mon 9 Mar 09:00 America/Toronto`, with the year when it is not `year`.
    pub fn text(&self, year: i32) -> String {
        let t = self.at.with_timezone(&self.zone);
        let day = if t.year() == year {
            t.format("%a %-d %b %H:%M")
        } else {
            t.format("%a %-d %b %Y %H:%M")
        };
        format!("{day} {}", self.zone.name())
    }

    /// The calendar day of the instant in its zone.
    pub fn day(&self) -> Date {
        let d = self.at.with_timezone(&self.zone).date_naive();
        Date::from_ymd(d.year() as i64, d.month(), d.day()).unwrap_or_else(Date::today)
    }

    /// The last day a shift ending at this instant covers: the day of the instant before it.
    pub fn last_day(&self) -> Date {
        Stamp {
            at: self.at - chrono::Duration::seconds(1),
            zone: self.zone,
        }
        .day()
    }
}

fn utc_text(t: Instant) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Where a responder comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The team's feed for the role (as the catalog names it: path or feed name).
    Ical(String),
    /// The team's `rotation`.
    Rotation,
    /// The team's `lead`.
    Catalog,
}

impl Source {
    pub fn name(&self) -> &'static str {
        match self {
            Source::Ical(_) => "ical",
            Source::Rotation => "rotation",
            Source::Catalog => "catalog",
        }
    }
}

/// Who answers for one role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Responder {
    pub role: OncallRole,
    /// The team member's handle when the feed's person is a member, else as the feed names them.
    pub name: String,
    pub email: Option<String>,
    pub source: Source,
    /// The shift's start and end (feeds only).
    pub since: Option<Stamp>,
    pub until: Option<Stamp>,
}

/// The next change of primary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handover {
    /// First day of the next shift.
    pub date: Date,
    /// When it happens, from a feed.
    pub at: Option<Stamp>,
    pub primary: String,
    pub backup: Option<String>,
}

/// A feed of the team and whether it could be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedState {
    pub role: OncallRole,
    /// The file (path in the catalog) or the feed name.
    pub feed: String,
    /// Why it is not used: the role comes from the rotation or `lead` instead.
    pub error: Option<String>,
}

/// Everything known about a team's on-call at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    pub when: When,
    /// Primary, backup, lead: those there are, in that order.
    pub responders: Vec<Responder>,
    /// First and last day of the primary's shift.
    pub shift: Option<(Date, Date)>,
    pub next: Option<Handover>,
    pub feeds: Vec<FeedState>,
}

impl Detail {
    pub fn role(&self, r: OncallRole) -> Option<&Responder> {
        self.responders.iter().find(|p| p.role == r)
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

/// On-call for `team` on the day `at` ([`When::on`]); `None` when the team declares no
/// on-call at all.
pub fn on_call(team: &Team, at: Date) -> Option<OnCall> {
    on_call_when(team, When::on(at))
}

/// [`on_call`] at an instant.
pub fn on_call_when(team: &Team, when: When) -> Option<OnCall> {
    let d = detail(team, when)?;
    let name = |r| d.role(r).map(|p| p.name.clone());
    Some(OnCall {
        primary: name(OncallRole::Primary),
        backup: name(OncallRole::Backup),
        lead: name(OncallRole::Lead),
        date: when.date().to_string(),
        until: d.shift.map(|(_, end)| end.to_string()),
    })
}

/// What one role's feed says at `t`: the answer, or why it cannot be used.
fn ask(f: &OncallFeed, t: Instant) -> Result<Answer, String> {
    match &f.schedule {
        None => Err(match &f.source {
            crate::model::FeedSource::Named(n) => format!(
                "feed `{n}` is not mapped to a URL (whoever runs Cairn passes --ical {n}=URL)"
            ),
            crate::model::FeedSource::File(p) => format!("`{p}` was not read"),
        }),
        Some(Err(e)) => Err(e.clone()),
        Some(Ok(s)) => {
            let a = s.at(t);
            if a.truncated {
                Err(format!(
                    "its recurrences are too many to expand (stopped after {} occurrences)",
                    crate::ical::MAX_STEPS
                ))
            } else {
                Ok(a)
            }
        }
    }
}

/// The member `p` is (by address, then name), as `(handle, email)`; else as the feed names them.
fn member(team: &Team, p: &Person) -> (String, Option<String>) {
    let eq = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let found = p
        .email
        .as_deref()
        .and_then(|e| {
            team.members
                .iter()
                .find(|m| m.email.as_deref().is_some_and(|me| eq(me, e)))
        })
        .or_else(|| {
            team.members.iter().find(|m| {
                eq(&m.name.value, &p.name)
                    || m.email.as_deref().is_some_and(|me| eq(me, &p.name))
                    || p.cn.as_deref().is_some_and(|cn| eq(&m.name.value, cn))
            })
        });
    match found {
        Some(m) => (
            m.name.value.clone(),
            m.email.clone().or_else(|| p.email.clone()),
        ),
        None => (p.name.clone(), p.email.clone()),
    }
}

/// On-call for `team` at `when`, with where each answer comes from; `None` when the team
/// declares no on-call.
pub fn detail(team: &Team, when: When) -> Option<Detail> {
    let oc = team.oncall.as_ref()?;
    let t = when.instant;
    let mut feeds = Vec::new();
    // Each role's feed answer, when it has a usable feed.
    let mut answers: Vec<(OncallRole, &OncallFeed, Answer)> = Vec::new();
    for f in &oc.feeds {
        let r = ask(f, t);
        feeds.push(FeedState {
            role: f.role,
            feed: f.source.label().to_string(),
            error: r.as_ref().err().cloned(),
        });
        if let Ok(a) = r {
            answers.push((f.role, f, a));
        }
    }
    let answer = |r: OncallRole| answers.iter().find(|(role, _, _)| *role == r);
    let from_feed = |role: OncallRole, f: &OncallFeed, s: &crate::ical::Shift| {
        let (name, email) = member(team, &s.person);
        Responder {
            role,
            name,
            email,
            source: Source::Ical(f.source.label().to_string()),
            since: Some(Stamp {
                at: s.start,
                zone: s.zone,
            }),
            until: Some(Stamp {
                at: s.end,
                zone: s.zone,
            }),
        }
    };
    let rotation_responder = |role: OncallRole, name: &str| {
        let m = team.member(name);
        Responder {
            role,
            name: name.to_string(),
            email: m.and_then(|m| m.email.clone()),
            source: Source::Rotation,
            since: None,
            until: None,
        }
    };
    let day = when.date();
    let rot = oc.rotation.as_ref();
    let rot_shift = rot.and_then(|r| shift(r, day));
    let mut responders = Vec::new();
    let shift_days;
    let next;
    // Primary.
    match answer(OncallRole::Primary) {
        Some((_, f, a)) => {
            if let Some(s) = &a.now {
                responders.push(from_feed(OncallRole::Primary, f, s));
            }
            shift_days = a.now.as_ref().map(|s| {
                let start = Stamp {
                    at: s.start,
                    zone: s.zone,
                };
                let end = Stamp {
                    at: s.end,
                    zone: s.zone,
                };
                (start.day(), end.last_day())
            });
            next = a.next.as_ref().map(|n| {
                let at = Stamp {
                    at: n.start,
                    zone: n.zone,
                };
                Handover {
                    date: at.day(),
                    at: Some(at),
                    primary: member(team, &n.person).0,
                    backup: backup_at(team, When { instant: n.start }),
                }
            });
        }
        None => {
            if let Some(s) = &rot_shift {
                responders.push(rotation_responder(OncallRole::Primary, &s.primary));
            }
            shift_days = rot_shift.as_ref().map(|s| (s.start, s.end));
            next = rot.and_then(|r| next_shift(r, day)).map(|n| {
                // Without a usable backup feed, the rotation's backup.
                let backup = match answer(OncallRole::Backup) {
                    Some(_) => backup_at(team, When::on(n.start)),
                    None => n.backup.clone(),
                };
                Handover {
                    date: n.start,
                    at: None,
                    primary: n.primary,
                    backup,
                }
            });
        }
    }
    // Backup.
    match answer(OncallRole::Backup) {
        Some((_, f, a)) => {
            if let Some(s) = &a.now {
                responders.push(from_feed(OncallRole::Backup, f, s));
            }
        }
        None => {
            if let Some(b) = rot_shift.as_ref().and_then(|s| s.backup.as_deref()) {
                responders.push(rotation_responder(OncallRole::Backup, b));
            }
        }
    }
    // Lead.
    match answer(OncallRole::Lead) {
        Some((_, f, a)) => {
            if let Some(s) = &a.now {
                responders.push(from_feed(OncallRole::Lead, f, s));
            }
        }
        None => {
            if let Some(l) = &oc.lead {
                let m = team.member(&l.value);
                responders.push(Responder {
                    role: OncallRole::Lead,
                    name: l.value.clone(),
                    email: m.and_then(|m| m.email.clone()),
                    source: Source::Catalog,
                    since: None,
                    until: None,
                });
            }
        }
    }
    Some(Detail {
        when,
        responders,
        shift: shift_days,
        next,
        feeds,
    })
}

/// The backup at `when` (for a handover): from the backup feed when it can be used, else the
/// rotation's.
fn backup_at(team: &Team, when: When) -> Option<String> {
    let oc = team.oncall.as_ref()?;
    if let Some(f) = oc.feeds.iter().find(|f| f.role == OncallRole::Backup) {
        if let Ok(a) = ask(f, when.instant) {
            return a.now.map(|s| member(team, &s.person).0);
        }
    }
    oc.rotation
        .as_ref()
        .and_then(|r| shift(r, when.date()))
        .and_then(|s| s.backup)
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
                feeds: Vec::new(),
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
