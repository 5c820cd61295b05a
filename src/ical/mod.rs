//! On-call from iCalendar feeds: who a schedule export says is on call at an instant, until
//! when, and who takes over next.
//!
//! [`parse`] reads a feed (RFC 5545) with the `icalendar` crate; recurrence rules are expanded
//! with `rrule` in the event's own time zone (chrono-tz), so a shift that starts every other
//! Monday at 09:00 in `America/Toronto` starts at 09:00 local on both sides of a daylight-saving
//! change. [`Schedule::at`] answers for one instant. docs/oncall.md records which real exports
//! the conventions below come from.
//!
//! - **Who**: `SUMMARY` without PagerDuty's `On Call - <name> - <schedule>` wrapping (and a
//!   leading `@`, Grafana OnCall's convention), and the first `ATTENDEE` (its `mailto:` address
//!   and `CN`). [`Person`] keeps both; the caller maps them to team members.
//! - **When**: `DTSTART` with `DTEND` (or `DURATION`); `TZID` names an IANA zone (or a
//!   `VTIMEZONE` whose `X-LIC-LOCATION` does); `Z` times are UTC; floating times and all-day
//!   (`VALUE=DATE`) events are in the calendar's `X-WR-TIMEZONE`, else UTC. A recurring shift
//!   lasts the same wall-clock time as the first (09:00 to 09:00 stays so across a DST change).
//! - **Exceptions**: `EXDATE` removes instances; an event with the series' `UID` and a
//!   `RECURRENCE-ID` replaces one (a swapped shift); `STATUS:CANCELLED` removes it.
//!
//! Expansion is bounded: an answer iterates at most [`MAX_STEPS`] instances in all, whatever
//! the rules say (`COUNT=1000000000`, `FREQ=SECONDLY`), and says when it stopped early.

pub mod fetch;

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::{CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};

/// An instant, in UTC.
pub type Instant = DateTime<Utc>;

/// Instances of recurring events one answer may iterate, over all the feed's events.
pub const MAX_STEPS: usize = 200_000;

/// Future shifts kept per event: enough to look past shifts of the same person.
const AHEAD: usize = 8;

/// Someone an event puts on call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Person {
    /// As the feed names them (the summary without its wrapping, else the attendee's name or
    /// address).
    pub name: String,
    /// The attendee's address, when the event has one.
    pub email: Option<String>,
    /// The attendee's display name (`CN`), when it is not an address.
    pub cn: Option<String>,
}

impl Person {
    /// The same person: same address, or (without addresses) the same name.
    pub fn same(&self, other: &Person) -> bool {
        match (&self.email, &other.email) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => self.name.eq_ignore_ascii_case(&other.name),
        }
    }
}

/// One shift: `person` is on call from `start` (inclusive) to `end` (exclusive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shift {
    pub person: Person,
    pub start: Instant,
    pub end: Instant,
    /// The zone the feed gives its times in (UTC for `Z` times).
    pub zone: Tz,
    /// An all-day event (`VALUE=DATE`).
    pub all_day: bool,
}

/// What a feed says at one instant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// The shift on at the instant (consecutive shifts of the same person merged); `None` in
    /// a gap between shifts.
    pub now: Option<Shift>,
    /// The next shift of someone else (or the next after a gap): the next handover.
    pub next: Option<Shift>,
    /// Expansion stopped at [`MAX_STEPS`]: the answer may be wrong and is not to be used.
    pub truncated: bool,
}

/// A parsed feed.
#[derive(Clone)]
pub struct Schedule {
    events: Vec<Event>,
    /// `(UID, RECURRENCE-ID)` of the instances that an override replaces (or cancels).
    replaced: HashSet<(String, Instant)>,
    /// The calendar's name (`X-WR-CALNAME`).
    pub name: Option<String>,
    /// Events left out, each with why (shown as diagnostics).
    pub skipped: Vec<String>,
    /// A hash of the feed's text: what the served revision and `Debug` say of it.
    digest: u64,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Schedule({} events, {:016x})",
            self.events.len(),
            self.digest
        )
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Schedule) -> bool {
        self.digest == other.digest && self.events.len() == other.events.len()
    }
}

#[derive(Clone)]
struct Event {
    uid: Option<String>,
    person: Person,
    zone: Tz,
    /// Wall-clock start in `zone`.
    start: NaiveDateTime,
    /// Wall-clock length (nominal: a day is a calendar day).
    length: Duration,
    /// Exact length, for an event whose end is in another zone than its start.
    exact: Option<Duration>,
    all_day: bool,
    /// The recurrence (rules, `EXDATE`, `RDATE`), when the event repeats.
    rules: Option<rrule::RRuleSet>,
}

impl Schedule {
    /// How many events the feed has (after those left out).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Who is on call at `t`, until when, and who is next.
    pub fn at(&self, t: Instant) -> Answer {
        let mut steps = 0usize;
        let mut containing: Vec<(usize, Shift)> = Vec::new();
        let mut ahead: Vec<(usize, Shift)> = Vec::new();
        let mut truncated = false;
        for (i, ev) in self.events.iter().enumerate() {
            let Some(rules) = &ev.rules else {
                let Some(s) = ev.shift_at(ev.start) else {
                    continue;
                };
                if s.start <= t {
                    if s.end > t {
                        containing.push((i, s));
                    }
                } else {
                    ahead.push((i, s));
                }
                continue;
            };
            let mut after = 0;
            for start in rules.clone().into_iter() {
                steps += 1;
                if steps > MAX_STEPS {
                    truncated = true;
                    break;
                }
                let utc = start.with_timezone(&Utc);
                if let Some(uid) = &ev.uid {
                    if self.replaced.contains(&(uid.clone(), utc)) {
                        if utc > t {
                            after += 1;
                            if after >= AHEAD {
                                break;
                            }
                        }
                        continue;
                    }
                }
                let Some(s) = ev.shift_at(start.naive_local()) else {
                    continue;
                };
                if s.start <= t {
                    if s.end > t {
                        containing.push((i, s));
                    }
                } else {
                    ahead.push((i, s));
                    after += 1;
                    if after >= AHEAD {
                        break;
                    }
                }
            }
            if truncated {
                break;
            }
        }
        if truncated {
            return Answer {
                truncated: true,
                ..Answer::default()
            };
        }
        // The shift that started last is the one on (an override laid over a longer shift);
        // on a tie, the later event in the feed.
        let now = containing
            .into_iter()
            .max_by(|(ia, a), (ib, b)| a.start.cmp(&b.start).then(ia.cmp(ib)))
            .map(|(_, s)| s);
        ahead.sort_by(|(ia, a), (ib, b)| a.start.cmp(&b.start).then(ia.cmp(ib)));
        let mut ahead = ahead.into_iter().map(|(_, s)| s);
        let mut now = now;
        let mut next = None;
        for s in ahead.by_ref() {
            match &mut now {
                // The same person again, without a gap: their shift goes on.
                Some(cur) if s.person.same(&cur.person) && s.start <= cur.end => {
                    if s.end > cur.end {
                        cur.end = s.end;
                    }
                }
                // A shift inside the current one, of someone else, that ends before it does:
                // an override; the handover is at its start.
                _ => {
                    next = Some(s);
                    break;
                }
            }
        }
        Answer {
            now,
            next,
            truncated: false,
        }
    }
}

impl Event {
    /// The shift of the instance starting at `start` (wall clock in the event's zone).
    fn shift_at(&self, start: NaiveDateTime) -> Option<Shift> {
        let begin = resolve(self.zone, start)?;
        let end = match self.exact {
            Some(d) => begin + d,
            None => resolve(self.zone, start + self.length)?,
        };
        Some(Shift {
            person: self.person.clone(),
            start: begin,
            end,
            zone: self.zone,
            all_day: self.all_day,
        })
    }
}

/// `local` in `zone` as an instant. An ambiguous time (the hour repeated when clocks go back)
/// is its first occurrence; a time that does not exist (skipped when clocks go forward) is
/// read with the offset before the change, as RFC 5545 (3.3.5) says.
fn resolve(zone: Tz, local: NaiveDateTime) -> Option<Instant> {
    use chrono::offset::LocalResult;
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        LocalResult::None => {
            // The offset in force just before the gap.
            let before = zone.from_local_datetime(&(local - Duration::hours(3)));
            let off = match before {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => *t.offset(),
                LocalResult::None => return None,
            };
            use chrono::Offset;
            let secs = off.fix().local_minus_utc() as i64;
            Some(Utc.from_utc_datetime(&(local - Duration::seconds(secs))))
        }
    }
}

/// Parses a feed. Events that cannot be used (no start, an unknown zone, a rule `rrule`
/// refuses) are left out and listed in [`Schedule::skipped`]; text that is not an iCalendar
/// feed at all is an error.
pub fn parse(text: &str) -> Result<Schedule, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    if !first.is_some_and(|l| l.eq_ignore_ascii_case("BEGIN:VCALENDAR")) {
        let what = first.map(|l| snippet(l, 60)).unwrap_or_default();
        return Err(format!(
            "is not an iCalendar feed: it does not start with BEGIN:VCALENDAR (starts with `{what}`)"
        ));
    }
    let calendar: icalendar::Calendar = text
        .parse()
        .map_err(|e: String| format!("is not valid iCalendar: {}", first_line(&e)))?;
    let prop = |key: &str| {
        calendar
            .properties
            .iter()
            .find(|p| p.key().eq_ignore_ascii_case(key))
            .map(|p| p.value().trim().to_string())
    };
    let default_zone = prop("X-WR-TIMEZONE")
        .and_then(|z| z.parse::<Tz>().ok())
        .unwrap_or(Tz::UTC);
    // VTIMEZONE definitions whose TZID is not an IANA name but that say which one they are.
    let mut aliases: HashMap<String, Tz> = HashMap::new();
    for c in &calendar.components {
        if let CalendarComponent::Other(o) = c {
            if o.component_kind().eq_ignore_ascii_case("VTIMEZONE") {
                if let (Some(id), Some(loc)) =
                    (o.property_value("TZID"), o.property_value("X-LIC-LOCATION"))
                {
                    if let Ok(z) = loc.trim().parse::<Tz>() {
                        aliases.insert(id.to_string(), z);
                    }
                }
            }
        }
    }
    let zones = Zones {
        default: default_zone,
        aliases,
    };
    let mut events = Vec::new();
    let mut replaced = HashSet::new();
    let mut skipped = Vec::new();
    for c in &calendar.components {
        let CalendarComponent::Event(e) = c else {
            continue;
        };
        let uid = e.get_uid().map(|u| u.trim().to_string());
        let label = || {
            let s = e.get_summary().map(unescape).unwrap_or_default();
            match (&uid, s.is_empty()) {
                (Some(u), true) => format!("event `{}`", snippet(u, 60)),
                (_, false) => format!("event \"{}\"", snippet(&s, 60)),
                (None, true) => "an event without UID or SUMMARY".to_string(),
            }
        };
        let recurrence_id = match e.get_recurrence_id() {
            Some(r) => match zones.instant(&r) {
                Ok(t) => Some(t),
                Err(why) => {
                    skipped.push(format!("{}: RECURRENCE-ID {why}", label()));
                    continue;
                }
            },
            None => None,
        };
        let cancelled = matches!(e.get_status(), Some(icalendar::EventStatus::Cancelled));
        if let (Some(u), Some(r)) = (&uid, recurrence_id) {
            replaced.insert((u.clone(), r));
        }
        if cancelled {
            continue;
        }
        match event(e, uid.clone(), recurrence_id, &zones) {
            Ok(Some(ev)) => events.push(ev),
            Ok(None) => {}
            Err(why) => skipped.push(format!("{}: {why}", label())),
        }
    }
    Ok(Schedule {
        events,
        replaced,
        name: prop("X-WR-CALNAME").map(|n| unescape(&n)),
        skipped,
        digest: fnv(text.as_bytes()),
    })
}

struct Zones {
    default: Tz,
    aliases: HashMap<String, Tz>,
}

impl Zones {
    /// The zone a `TZID` names: an IANA name, a `VTIMEZONE` alias, or an IANA name at the end
    /// of a path (`/mozilla.org/20050126_1/Europe/Berlin`, as some exporters write).
    fn named(&self, tzid: &str) -> Result<Tz, String> {
        let id = tzid.trim().trim_matches('"');
        if let Ok(z) = id.parse::<Tz>() {
            return Ok(z);
        }
        if let Some(z) = self.aliases.get(id) {
            return Ok(*z);
        }
        let parts: Vec<&str> = id.split('/').filter(|p| !p.is_empty()).collect();
        for k in (1..parts.len()).rev() {
            if let Ok(z) = parts[k - 1..].join("/").parse::<Tz>() {
                return Ok(z);
            }
        }
        Err(format!(
            "names the time zone `{}`, which is not an IANA zone (like Europe/Berlin)",
            snippet(id, 60)
        ))
    }

    /// A date or date-time as (zone, wall clock, all day).
    fn local(&self, d: &DatePerhapsTime) -> Result<(Tz, NaiveDateTime, bool), String> {
        Ok(match d {
            DatePerhapsTime::Date(day) => (self.default, day.and_time(NaiveTime::MIN), true),
            DatePerhapsTime::DateTime(CalendarDateTime::Utc(t)) => (Tz::UTC, t.naive_utc(), false),
            DatePerhapsTime::DateTime(CalendarDateTime::Floating(n)) => (self.default, *n, false),
            DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid }) => {
                (self.named(tzid)?, *date_time, false)
            }
        })
    }

    fn instant(&self, d: &DatePerhapsTime) -> Result<Instant, String> {
        let (z, local, _) = self.local(d)?;
        resolve(z, local).ok_or_else(|| "is a time that does not exist".to_string())
    }
}

/// One VEVENT as an [`Event`]; `Ok(None)` for one that puts nobody on call.
fn event(
    e: &icalendar::Event,
    uid: Option<String>,
    recurrence_id: Option<Instant>,
    zones: &Zones,
) -> Result<Option<Event>, String> {
    let start = e
        .get_start()
        .ok_or("has no DTSTART (or it is not a date)")?;
    let (zone, local, all_day) = zones.local(&start).map_err(|w| format!("DTSTART {w}"))?;
    let (length, exact) = match e.get_end() {
        Some(end) => {
            let (ez, elocal, _) = zones.local(&end).map_err(|w| format!("DTEND {w}"))?;
            if ez == zone {
                (elocal - local, None)
            } else {
                let a = resolve(zone, local).ok_or("DTSTART is a time that does not exist")?;
                let b = resolve(ez, elocal).ok_or("DTEND is a time that does not exist")?;
                (b - a, Some(b - a))
            }
        }
        None => match e.property_value("DURATION") {
            Some(d) => duration(d)
                .ok_or_else(|| format!("has a DURATION `{}` that is not one", snippet(d, 40)))?,
            // RFC 5545: an all-day event without an end lasts the day; a timed one, no time.
            None if all_day => (Duration::days(1), None),
            None => (Duration::zero(), None),
        },
    };
    if length <= Duration::zero() {
        return Err("ends before it starts (or lasts no time)".into());
    }
    let person = person(e).ok_or("names nobody (no SUMMARY or ATTENDEE)")?;
    let rules = match (e.property_value("RRULE"), recurrence_id) {
        (Some(rule), None) => Some(recurrence(e, rule, zone, local, zones)?),
        _ => None,
    };
    Ok(Some(Event {
        uid,
        person,
        zone,
        start: local,
        length,
        exact,
        all_day,
        rules,
    }))
}

/// `DURATION` (RFC 5545 3.3.6, an ISO 8601 duration): weeks and days are nominal.
fn duration(s: &str) -> Option<(Duration, Option<Duration>)> {
    let d = iso8601::duration(s.trim()).ok()?;
    let std: std::time::Duration = d.into();
    let d = Duration::from_std(std).ok()?;
    Some((d, None))
}

/// The recurrence set of a series: its `RRULE`, `EXDATE`s and `RDATE`s, with iteration
/// limits on.
fn recurrence(
    e: &icalendar::Event,
    rule: &str,
    zone: Tz,
    local: NaiveDateTime,
    zones: &Zones,
) -> Result<rrule::RRuleSet, String> {
    let rz = rrule::Tz::Tz(zone);
    let start = resolve(zone, local)
        .ok_or("DTSTART is a time that does not exist")?
        .with_timezone(&rz);
    let parsed: rrule::RRule<rrule::Unvalidated> = rule
        .trim()
        .parse()
        .map_err(|err| format!("RRULE `{}`: {err}", snippet(rule, 80)))?;
    let mut set = parsed
        .build(start)
        .map_err(|err| format!("RRULE `{}`: {err}", snippet(rule, 80)))?
        .limit();
    let dates = |key: &str| -> Result<Vec<Instant>, String> {
        let mut out = Vec::new();
        let props = e.multi_properties().get(key).cloned().unwrap_or_default();
        let single = e.properties().get(key).cloned();
        for p in props.iter().chain(single.iter()) {
            let tzid = p.params().get("TZID").map(|t| t.value().to_string());
            let is_date = p
                .params()
                .get("VALUE")
                .is_some_and(|v| v.value().eq_ignore_ascii_case("DATE"));
            for v in p
                .value()
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
            {
                let d = if is_date || v.len() == 8 {
                    NaiveDate::parse_from_str(v, "%Y%m%d")
                        .map(DatePerhapsTime::Date)
                        .map_err(|_| format!("{key} `{}` is not a date", snippet(v, 40)))?
                } else if let Some(utc) = v.strip_suffix('Z') {
                    let n = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S")
                        .map_err(|_| format!("{key} `{}` is not a date-time", snippet(v, 40)))?;
                    DatePerhapsTime::DateTime(CalendarDateTime::Utc(Utc.from_utc_datetime(&n)))
                } else {
                    let n = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
                        .map_err(|_| format!("{key} `{}` is not a date-time", snippet(v, 40)))?;
                    match &tzid {
                        Some(z) => DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone {
                            date_time: n,
                            tzid: z.clone(),
                        }),
                        None => DatePerhapsTime::DateTime(CalendarDateTime::Floating(n)),
                    }
                };
                out.push(zones.instant(&d).map_err(|w| format!("{key} {w}"))?);
            }
        }
        Ok(out)
    };
    for x in dates("EXDATE")? {
        set = set.exdate(x.with_timezone(&rz));
    }
    for r in dates("RDATE")? {
        set = set.rdate(r.with_timezone(&rz));
    }
    Ok(set)
}

/// Who an event puts on call: the summary (PagerDuty's `On Call - NAME - SCHEDULE` and a
/// leading `@` unwrapped) and the first attendee.
fn person(e: &icalendar::Event) -> Option<Person> {
    let mut email = None;
    let mut cn = None;
    if let Some(a) = e.multi_properties().get("ATTENDEE").and_then(|a| a.first()) {
        let v = a.value().trim();
        let addr = if v.len() > 7 && v[..7].eq_ignore_ascii_case("mailto:") {
            &v[7..]
        } else {
            v
        };
        if addr.contains('@') && !addr.contains(char::is_whitespace) {
            email = Some(addr.to_string());
        }
        if let Some(c) = a.params().get("CN") {
            let c = c.value().trim().trim_matches('"');
            if c.contains('@') {
                email.get_or_insert_with(|| c.to_string());
            } else if !c.is_empty() {
                cn = Some(c.to_string());
            }
        }
    }
    let summary = e.get_summary().map(unescape).unwrap_or_default();
    let mut name = summary.trim();
    if name.len() > 10 && name[..10].eq_ignore_ascii_case("on call - ") {
        name = name[10..].trim();
        if let Some((who, _schedule)) = name.split_once(" - ") {
            name = who.trim();
        }
    }
    let name = name.trim_start_matches('@').trim();
    let name = if !name.is_empty() {
        name.to_string()
    } else if let Some(c) = &cn {
        c.clone()
    } else {
        email.clone()?
    };
    Some(Person { name, email, cn })
}

/// RFC 5545 text unescaping (`\,` `\;` `\\` `\n`).
fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push(' '),
                Some(o) => out.push(o),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn first_line(s: &str) -> String {
    snippet(
        s.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or(""),
        160,
    )
}

/// At most `max` characters of `s` (control characters dropped), with `…` when cut.
fn snippet(s: &str, max: usize) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= max {
        clean
    } else {
        let mut out: String = clean.chars().take(max).collect();
        out.push('…');
        out
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = fnv::FnvHasher::default();
    h.write(bytes);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Instant {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const WEEKLY: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:alice\r\nDTSTART;TZID=Europe/Berlin:20260316T100000\r\nDTEND;TZID=Europe/Berlin:20260323T100000\r\nRRULE:FREQ=WEEKLY;INTERVAL=2\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nSUMMARY:bob\r\nDTSTART;TZID=Europe/Berlin:20260323T100000\r\nDTEND;TZID=Europe/Berlin:20260330T100000\r\nRRULE:FREQ=WEEKLY;INTERVAL=2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn weekly_across_the_march_change() {
        let s = parse(WEEKLY).unwrap();
        assert_eq!(s.len(), 2);
        // Berlin goes to summer time on Sunday 29 March 2026: 10:00 is 09:00Z before, 08:00Z after.
        let a = s.at(utc("2026-03-20T12:00:00Z"));
        let now = a.now.unwrap();
        assert_eq!(now.person.name, "alice");
        assert_eq!(now.end, utc("2026-03-23T09:00:00Z"));
        assert_eq!(a.next.as_ref().unwrap().person.name, "bob");
        let b = s.at(utc("2026-03-30T07:59:59Z"));
        assert_eq!(b.now.as_ref().unwrap().person.name, "bob");
        assert_eq!(b.now.unwrap().end, utc("2026-03-30T08:00:00Z"));
        let c = s.at(utc("2026-03-30T08:00:00Z"));
        assert_eq!(c.now.unwrap().person.name, "alice");
    }

    #[test]
    fn hostile_rules_are_bounded() {
        let feed = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nSUMMARY:x\nDTSTART:20000101T000000Z\nDTEND:20000101T000001Z\nRRULE:FREQ=SECONDLY;COUNT=1000000000\nEND:VEVENT\nEND:VCALENDAR\n";
        let s = parse(feed).unwrap();
        let started = std::time::Instant::now();
        let a = s.at(utc("2026-01-01T00:00:00Z"));
        assert!(a.truncated);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn not_a_feed() {
        assert!(parse("<html>login</html>")
            .unwrap_err()
            .contains("BEGIN:VCALENDAR"));
        assert!(parse("").is_err());
    }

    #[test]
    fn people() {
        let feed = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nSUMMARY:On Call - Jane Doe - SET Backup\nATTENDEE:jane@example.org\nDTSTART:20260101T000000Z\nDTEND:20260102T000000Z\nEND:VEVENT\nEND:VCALENDAR\n";
        let s = parse(feed).unwrap();
        let p = s.at(utc("2026-01-01T10:00:00Z")).now.unwrap().person;
        assert_eq!(p.name, "Jane Doe");
        assert_eq!(p.email.as_deref(), Some("jane@example.org"));
    }
}
