//! On-call from iCalendar feeds (issue 23), against expectations computed by hand.
//!
//! The fixture `tests/data/ical/set` is the Sustained Engineering rotation: primary, then
//! backup, then the lead, each its own feed, each modelled on a real export (docs/oncall.md):
//!
//! - `set-primary.ics`, a Google Calendar shared rotation in America/Toronto: two weekly
//!   series every other Monday at 09:00 (Alice from Mon 23 Feb, Bruno from Mon 2 Mar), an
//!   override of Bruno's 16 Mar instance (`RECURRENCE-ID`: Chen takes it, and it ends early,
//!   Fri 20 Mar 17:00), Alice's 6 Apr instance removed (`EXDATE`) and a one-off week for Dana
//!   instead (written before the series: without the EXDATE, Alice's instance would win);
//! - `set-backup.ics`, a PagerDuty schedule export: one event per week in UTC, handovers at
//!   14:00Z before the change to daylight time in Toronto (Sun 8 Mar 2026) and 13:00Z after;
//! - `set-lead.ics`, a Google Calendar of all-day events in Europe/Berlin, two-week turns
//!   (`FREQ=WEEKLY;INTERVAL=4`), across Berlin's change to summer time (Sun 29 Mar 2026).
//!
//! Toronto is UTC−5 (EST) until Sun 8 Mar 2026 02:00, then UTC−4 (EDT). Berlin is UTC+1 (CET)
//! until Sun 29 Mar 2026 02:00, then UTC+2 (CEST).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::Request;
use cairn::model::OncallRole::{self, Backup, Lead, Primary};
use cairn::oncall::{detail, Detail, Source, When};
use cairn::web::{router, AppState};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::*;

fn fixture() -> PathBuf {
    data_dir().join("ical/set")
}

fn at(rfc3339: &str) -> When {
    When {
        instant: DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc),
    }
}

fn set_at(dir: &Path, t: &str) -> Detail {
    let c = load(dir);
    let team = c.team("set").expect("team set");
    detail(team, at(t)).expect("set declares on-call")
}

/// (name, until as UTC, until as local time with its zone) of a role.
fn who(d: &Detail, role: OncallRole) -> Option<(String, String, String)> {
    d.role(role).map(|p| {
        let u = p.until.expect("from a feed: an end");
        (
            p.name.clone(),
            u.utc(),
            format!("{} {}", u.local(), u.zone.name()),
        )
    })
}

fn row(name: &str, utc: &str, local: &str) -> Option<(String, String, String)> {
    Some((name.into(), utc.into(), local.into()))
}

/// (time of the next handover in UTC, next primary, backup then).
fn next(d: &Detail) -> (String, String, Option<String>) {
    let n = d.next.as_ref().expect("a next handover");
    (
        n.at.expect("a feed's handover has a time").utc(),
        n.primary.clone(),
        n.backup.clone(),
    )
}

#[test]
fn the_fixture_loads_without_a_diagnostic() {
    let c = load(&fixture());
    let d: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{}:{}: {} {}", d.file, d.line, d.code, d.message))
        .collect();
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn before_the_daylight_saving_change() {
    // Wed 4 Mar 2026 15:00Z = 10:00 EST.
    let d = set_at(&fixture(), "2026-03-04T15:00:00Z");
    // Primary: Bruno's first instance, Mon 2 Mar 09:00 EST (14:00Z) to Mon 9 Mar 09:00 wall
    // clock — EDT by then, so 13:00Z: 7 days less the hour the clocks skip.
    assert_eq!(
        who(&d, Primary),
        row(
            "bcosta",
            "2026-03-09T13:00:00Z",
            "2026-03-09T09:00:00-04:00 America/Toronto"
        )
    );
    assert_eq!(
        d.role(Primary).unwrap().email.as_deref(),
        Some("bruno.costa@example.org")
    );
    assert_eq!(
        d.role(Primary).unwrap().source,
        Source::Ical("oncall/set-primary.ics".into())
    );
    // Backup: PagerDuty's shift 2 Mar 14:00Z - 9 Mar 13:00Z, Alice (by her address).
    assert_eq!(
        who(&d, Backup),
        row(
            "amartin",
            "2026-03-09T13:00:00Z",
            "2026-03-09T13:00:00+00:00 UTC"
        )
    );
    // Lead: Erin's all-day turn 23 Feb - 8 Mar (DTEND 9 Mar, exclusive) in Berlin: it ends
    // Mon 9 Mar 00:00 CET = 8 Mar 23:00Z.
    assert_eq!(
        who(&d, Lead),
        row(
            "ejones",
            "2026-03-08T23:00:00Z",
            "2026-03-09T00:00:00+01:00 Europe/Berlin"
        )
    );
    // Next: Alice's series, every other Monday from 23 Feb: 9 Mar 09:00 EDT = 13:00Z; the
    // backup then is PagerDuty's next shift, which starts at that very instant: Chen.
    assert_eq!(
        next(&d),
        (
            "2026-03-09T13:00:00Z".into(),
            "amartin".into(),
            Some("cwei".into())
        )
    );
    // The primary's shift in days: Mon 2 Mar to Mon 9 Mar (it ends that morning).
    assert_eq!(
        d.shift.map(|(a, b)| (a.to_string(), b.to_string())),
        Some(("2026-03-02".into(), "2026-03-09".into()))
    );
}

#[test]
fn at_the_handover_after_the_change() {
    // One second before 9 Mar 13:00Z (09:00 EDT) Bruno still has it; at 13:00Z Alice does
    // (a shift includes its start and excludes its end).
    let before = set_at(&fixture(), "2026-03-09T12:59:59Z");
    assert_eq!(before.role(Primary).unwrap().name, "bcosta");
    assert_eq!(before.role(Backup).unwrap().name, "amartin");
    let d = set_at(&fixture(), "2026-03-09T13:00:00Z");
    // Alice's instance of 9 Mar lasts a week of wall clock: to Mon 16 Mar 09:00 EDT = 13:00Z.
    assert_eq!(
        who(&d, Primary),
        row(
            "amartin",
            "2026-03-16T13:00:00Z",
            "2026-03-16T09:00:00-04:00 America/Toronto"
        )
    );
    assert_eq!(
        who(&d, Backup),
        row(
            "cwei",
            "2026-03-16T13:00:00Z",
            "2026-03-16T13:00:00+00:00 UTC"
        )
    );
    // Fumiko's turn began Mon 9 Mar 00:00 CET (8 Mar 23:00Z) and ends Mon 23 Mar 00:00 CET
    // = 22 Mar 23:00Z (Berlin changes only on the 29th).
    assert_eq!(
        who(&d, Lead),
        row(
            "fsato",
            "2026-03-22T23:00:00Z",
            "2026-03-23T00:00:00+01:00 Europe/Berlin"
        )
    );
    // Next: Bruno's 16 Mar instance, but it is overridden: Chen takes it at 09:00 EDT.
    assert_eq!(
        next(&d),
        (
            "2026-03-16T13:00:00Z".into(),
            "cwei".into(),
            Some("amartin".into())
        )
    );
}

#[test]
fn inside_the_swapped_shift() {
    // Wed 18 Mar 16:00Z = 12:00 EDT: inside the override of Bruno's 16 Mar instance.
    let d = set_at(&fixture(), "2026-03-18T16:00:00Z");
    // Chen, until the override's own end: Fri 20 Mar 17:00 EDT = 21:00Z.
    assert_eq!(
        who(&d, Primary),
        row(
            "cwei",
            "2026-03-20T21:00:00Z",
            "2026-03-20T17:00:00-04:00 America/Toronto"
        )
    );
    assert_eq!(who(&d, Backup).unwrap().0, "amartin");
    // After a gap, Alice's 23 Mar instance: 09:00 EDT = 13:00Z; PagerDuty's backup from
    // 23 Mar 13:00Z is Bruno.
    assert_eq!(
        next(&d),
        (
            "2026-03-23T13:00:00Z".into(),
            "amartin".into(),
            Some("bcosta".into())
        )
    );
}

#[test]
fn between_shifts() {
    // Sat 21 Mar 15:00Z: Chen's override ended Fri 17:00 EDT and Alice starts Mon 09:00:
    // the feed has nobody, so nobody is primary (the rotation does not fill a feed's gap).
    let d = set_at(&fixture(), "2026-03-21T15:00:00Z");
    assert_eq!(d.role(Primary), None);
    assert_eq!(d.shift, None);
    assert_eq!(who(&d, Backup).unwrap().0, "amartin");
    assert_eq!(who(&d, Lead).unwrap().0, "fsato");
    assert_eq!(next(&d).0, "2026-03-23T13:00:00Z");
    assert_eq!(next(&d).1, "amartin");
}

#[test]
fn in_the_excluded_week_after_both_changes() {
    // Wed 8 Apr 12:00Z. Alice's series would have an instance from Mon 6 Apr 09:00 EDT, but
    // EXDATE removes it; Dana's one-off week (6 Apr 13:00Z - 13 Apr 13:00Z) is the shift.
    let d = set_at(&fixture(), "2026-04-08T12:00:00Z");
    let p = d.role(Primary).unwrap();
    // Her event has no attendee and "Dana Noor" is no member's handle: shown as the feed
    // names her, without an address.
    assert_eq!((p.name.as_str(), p.email.as_deref()), ("Dana Noor", None));
    assert_eq!(p.until.unwrap().utc(), "2026-04-13T13:00:00Z");
    assert_eq!(
        who(&d, Backup),
        row(
            "bcosta",
            "2026-04-13T13:00:00Z",
            "2026-04-13T13:00:00+00:00 UTC"
        )
    );
    // Lead: Fumiko's second turn (series start 9 Mar + 4 weeks = 6 Apr), all day in Berlin,
    // now on summer time: Mon 6 Apr 00:00 CEST = 5 Apr 22:00Z to Mon 20 Apr 00:00 CEST =
    // 19 Apr 22:00Z.
    let lead = d.role(Lead).unwrap();
    assert_eq!(lead.name, "fsato");
    assert_eq!(lead.since.unwrap().utc(), "2026-04-05T22:00:00Z");
    assert_eq!(
        who(&d, Lead),
        row(
            "fsato",
            "2026-04-19T22:00:00Z",
            "2026-04-20T00:00:00+02:00 Europe/Berlin"
        )
    );
    // Next primary: Bruno's series (2, 16, 30 Mar, 13 Apr) at 09:00 EDT = 13:00Z.
    assert_eq!(
        next(&d),
        ("2026-04-13T13:00:00Z".into(), "bcosta".into(), None)
    );
}

#[test]
fn after_the_export_ends_the_backup_is_empty() {
    // The PagerDuty export stops at 13 Apr 13:00Z: no backup after that, from the feed.
    let d = set_at(&fixture(), "2026-04-14T12:00:00Z");
    assert_eq!(d.role(Primary).unwrap().name, "bcosta");
    assert_eq!(d.role(Backup), None);
    assert!(d.feeds.iter().all(|f| f.error.is_none()), "{:?}", d.feeds);
}

/// A copy of the fixture in a temporary directory, with `set.yaml` changed by `edit`.
fn copy_with(edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path();
    std::fs::create_dir_all(to.join("oncall")).unwrap();
    for f in ["set-primary.ics", "set-backup.ics", "set-lead.ics"] {
        std::fs::copy(fixture().join("oncall").join(f), to.join("oncall").join(f)).unwrap();
    }
    let yaml = std::fs::read_to_string(fixture().join("set.yaml")).unwrap();
    std::fs::write(to.join("set.yaml"), edit(&yaml)).unwrap();
    dir
}

fn codes(c: &cairn::Catalog) -> Vec<(&'static str, String)> {
    c.diagnostics
        .iter()
        .map(|d| (d.code, format!("{}:{}:{}", d.file, d.line, d.column)))
        .collect()
}

#[test]
fn a_url_in_the_catalog_is_refused_with_its_location() {
    let dir = copy_with(|y| {
        y.replace(
            "feed: oncall/set-backup.ics",
            "feed: \"https://example.pagerduty.com/private/0123456789abcdef/feed/P7SETBK\"",
        )
    });
    let c = load(dir.path());
    let d = c
        .diagnostics
        .iter()
        .find(|d| d.code == "oncall-feed-url")
        .expect("the URL is diagnosed");
    assert_eq!((d.file.as_str(), d.line, d.column), ("set.yaml", 16, 15));
    assert!(
        d.message.contains("https://example.pagerduty.com/…"),
        "{}",
        d.message
    );
    // The token in the URL's path is not repeated where diagnostics are shown.
    assert!(!d.message.contains("0123456789abcdef"), "{}", d.message);
    assert!(d.hint.as_deref().unwrap().contains("--ical"), "{d:?}");
    // On a cold load the team is served without that feed: the backup comes from the rotation
    // (1w from Mon 5 Jan: 4 Mar is in week 8, 8 mod 4 = 0 → amartin primary, bcosta backup).
    let t = c.team("set").unwrap();
    let d = detail(t, at("2026-03-04T15:00:00Z")).unwrap();
    assert_eq!(d.role(Backup).unwrap().source, Source::Rotation);
    assert_eq!(d.role(Backup).unwrap().name, "bcosta");
    assert_eq!(
        d.role(Primary).unwrap().name,
        "bcosta",
        "primary still from its feed"
    );
}

#[test]
fn a_missing_or_broken_feed_falls_back_to_the_rotation() {
    let dir = copy_with(|y| y.replace("oncall/set-primary.ics", "oncall/nowhere.ics"));
    std::fs::write(
        dir.path().join("oncall/set-lead.ics"),
        "<html><body>Sign in to continue</body></html>\n",
    )
    .unwrap();
    let c = load(dir.path());
    assert_eq!(
        codes(&c),
        [
            ("oncall-feed-unreadable", "set.yaml:15:15".to_string()),
            ("oncall-feed-invalid", "set.yaml:17:15".to_string()),
        ]
    );
    assert!(c.diagnostics[0].message.contains("does not exist"));
    assert!(c.diagnostics[1].message.contains("BEGIN:VCALENDAR"));
    let d = detail(c.team("set").unwrap(), at("2026-03-04T15:00:00Z")).unwrap();
    // Rotation: 1w from Mon 5 Jan 2026; Wed 4 Mar is 58 days later, week 8; order of 4 →
    // index 0: amartin primary, until Sun 8 Mar (5 Jan + 9 weeks - 1 day).
    let p = d.role(Primary).unwrap();
    assert_eq!(
        (p.name.as_str(), p.source.clone()),
        ("amartin", Source::Rotation)
    );
    assert_eq!(p.until, None);
    assert_eq!(
        d.shift.map(|(a, b)| (a.to_string(), b.to_string())),
        Some(("2026-03-02".into(), "2026-03-08".into()))
    );
    // The backup feed still answers; the lead comes from `lead:`.
    assert_eq!(d.role(Backup).unwrap().name, "amartin");
    assert_eq!(d.role(Lead).unwrap().source, Source::Catalog);
    assert_eq!(d.role(Lead).unwrap().name, "ejones");
    let errors: Vec<_> = d.feeds.iter().filter(|f| f.error.is_some()).collect();
    assert_eq!(errors.len(), 2, "{:?}", d.feeds);
    // The rotation's next handover, a day (no time).
    let n = d.next.unwrap();
    assert_eq!(
        (n.date.to_string(), n.at, n.primary.as_str()),
        ("2026-03-09".into(), None, "bcosta")
    );
}

#[test]
fn a_hostile_recurrence_is_bounded() {
    // A billion occurrences a second apart, from 2000: expanding them up to 2026 would take
    // hours; the answer stops at the cap and falls back to the rotation.
    let dir = copy_with(|y| y.to_string());
    std::fs::write(
        dir.path().join("oncall/set-primary.ics"),
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:flood\r\nSUMMARY:Flood\r\n\
         DTSTART:20000101T000000Z\r\nDTEND:20000101T000001Z\r\n\
         RRULE:FREQ=SECONDLY;COUNT=1000000000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    let c = load(dir.path());
    let started = std::time::Instant::now();
    let d = detail(c.team("set").unwrap(), at("2026-03-04T15:00:00Z")).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(d.role(Primary).unwrap().source, Source::Rotation);
    let e = d.feeds.iter().find(|f| f.role == Primary).unwrap();
    assert!(e.error.as_deref().unwrap().contains("too many"), "{e:?}");
}

// ---------------------------------------------------------------- surfaces

#[test]
fn cairn_oncall_shows_times_with_their_zone() {
    let catalog = fixture();
    let (code, stdout, stderr) = cli(&[
        "--catalog",
        catalog.to_str().unwrap(),
        "oncall",
        "community",
        "--at",
        "2026-03-04T10:00:00-05:00",
    ]);
    assert_eq!(code, 0, "{stderr}");
    for line in [
        "On call 2026-03-04 15:00 UTC",
        "1. primary  bcosta <bruno.costa@example.org>  until Mon 9 Mar 09:00 America/Toronto",
        "2. backup   amartin <alice.martin@example.org>  until Mon 9 Mar 13:00 UTC",
        "3. lead     ejones <erin.jones@example.org>  until Mon 9 Mar 00:00 Europe/Berlin",
        "next handover Mon 9 Mar 09:00 America/Toronto: amartin takes over as primary, cwei backup",
    ] {
        assert!(stdout.contains(line), "{line:?} in\n{stdout}");
    }
    let (code, stdout, _) = cli(&[
        "--catalog",
        catalog.to_str().unwrap(),
        "--format",
        "json",
        "oncall",
        "--team",
        "set",
        "--at",
        "2026-03-04T15:00:00Z",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["time"], "2026-03-04T15:00:00Z");
    let p = &v["teams"][0]["escalation"][0];
    assert_eq!(p["source"], "ical");
    assert_eq!(p["feed"], "oncall/set-primary.ics");
    assert_eq!(p["since"]["utc"], "2026-03-02T14:00:00Z");
    assert_eq!(p["since"]["local"], "2026-03-02T09:00:00-05:00");
    assert_eq!(p["until"]["local"], "2026-03-09T09:00:00-04:00");
    assert_eq!(p["until"]["zone"], "America/Toronto");
    assert_eq!(p["until"]["text"], "Mon 9 Mar 09:00 America/Toronto");
    assert_eq!(
        v["teams"][0]["next_handover"]["time"]["utc"],
        "2026-03-09T13:00:00Z"
    );
}

fn get(state: &AppState, uri: &str) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let resp = router(state.clone()).oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    })
}

#[test]
fn the_api_and_the_pages_show_the_feed_times() {
    let dir = fixture();
    let st = AppState::new(load(&dir), &dir, Default::default()).unwrap();
    let (s, body) = get(&st, "/api/v1/oncall?team=set&at=2026-03-18T12:00:00-04:00");
    assert_eq!(s, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let t = &v["teams"][0];
    assert_eq!(t["escalation"][0]["name"], "cwei");
    assert_eq!(
        t["escalation"][0]["until"]["text"],
        "Fri 20 Mar 17:00 America/Toronto"
    );
    assert_eq!(t["shift_end"], "2026-03-20");
    assert_eq!(t["feeds"].as_array().unwrap().len(), 3);
    let (s, _) = get(&st, "/api/v1/oncall?at=tuesday");
    assert_eq!(s, 400);

    let (s, html) = get(&st, "/oncall?system=community&at=2026-03-04T15:00:00Z");
    assert_eq!(s, 200);
    assert!(
        html.contains("until Mon 9 Mar 09:00 America/Toronto"),
        "{html}"
    );
    assert!(html.contains("Next handover</span> Mon 9 Mar 09:00 America/Toronto"));
    // The team page answers for now; whoever it is, their end is shown with its zone.
    let (s, html) = get(&st, "/teams/set");
    assert_eq!(s, 200);
    assert!(html.contains("On call now"));
}

/// Serves `body` to every request on a loopback port, for `n` requests.
fn serve_once(body: String, n: usize) -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/private/token/feed",
        listener.local_addr().unwrap()
    );
    let h = std::thread::spawn(move || {
        for stream in listener.incoming().take(n) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                body.len(),
                body
            );
        }
    });
    (url, h)
}

#[test]
fn a_named_feed_is_fetched_from_the_url_the_operator_maps() {
    let dir = copy_with(|y| y.replace("feed: oncall/set-backup.ics", "feed: set-backup"));
    let c = load(dir.path());
    assert!(codes(&c).is_empty(), "{:?}", codes(&c));
    let body = std::fs::read_to_string(fixture().join("oncall/set-backup.ics")).unwrap();
    let (url, server) = serve_once(body, 1);
    let catalog = dir.path().to_str().unwrap();
    let mapping = format!("set-backup={url}");
    let json_at = |extra: &[&str]| {
        let mut argv = vec![
            "--catalog",
            catalog,
            "--format",
            "json",
            "oncall",
            "--team",
            "set",
        ];
        argv.extend_from_slice(&["--at", "2026-03-04T15:00:00Z"]);
        argv.extend_from_slice(extra);
        let (code, stdout, stderr) = cli(&argv);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()
    };
    let v = json_at(&["--ical", &mapping]);
    server.join().unwrap();
    let backup = &v["teams"][0]["escalation"][1];
    assert_eq!(
        (&backup["name"], &backup["source"], &backup["feed"]),
        (&"amartin".into(), &"ical".into(), &"set-backup".into())
    );
    // Unmapped: the rotation answers, and the feed says why.
    let v = json_at(&[]);
    let t = &v["teams"][0];
    assert_eq!(t["escalation"][1]["source"], "rotation");
    let f = t["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed"] == "set-backup")
        .unwrap();
    assert!(
        f["error"]
            .as_str()
            .unwrap()
            .contains("--ical set-backup=URL"),
        "{f}"
    );
    // Mapped to a port nobody listens on: it cannot be fetched; the rotation answers.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("set-backup=http://{}/feed", closed.local_addr().unwrap());
    drop(closed);
    let v = json_at(&["--ical", &dead]);
    let t = &v["teams"][0];
    assert_eq!(t["escalation"][1]["source"], "rotation");
    let f = t["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feed"] == "set-backup")
        .unwrap();
    assert!(
        f["error"].as_str().unwrap().contains("cannot be fetched"),
        "{f}"
    );
    // A mapping that is not one is a usage error.
    let (code, _, stderr) = cli(&["--catalog", catalog, "oncall", "--ical", "set-backup"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = cli(&[
        "--catalog",
        catalog,
        "oncall",
        "--ical",
        "x=file:///etc/passwd",
    ]);
    assert_eq!(code, 2);
}

#[test]
fn an_edited_feed_file_is_served_after_a_reload() {
    let dir = copy_with(|y| y.to_string());
    let st = AppState::new(load(dir.path()), dir.path(), Default::default()).unwrap();
    let primary = |st: &AppState| {
        let (s, body) = get(st, "/api/v1/oncall?team=set&at=2026-03-04T15:00:00Z");
        assert_eq!(s, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["teams"][0]["escalation"][0]["name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(primary(&st), "bcosta");
    // Bruno's series handed to Dana in the export: only the feed file changes, and the team
    // file that names it is read again with it.
    let feed = dir.path().join("oncall/set-primary.ics");
    let text = std::fs::read_to_string(&feed).unwrap();
    std::fs::write(
        &feed,
        text.replace("SUMMARY:Bruno Costa", "SUMMARY:Dana Noor")
            .replace(
                "mailto:bruno.costa@example.org",
                "mailto:dana.noor@example.org",
            ),
    )
    .unwrap();
    assert!(st.reload());
    assert_eq!(primary(&st), "dnoor");
}

/// `cairn serve --ical NAME=URL --ical-refresh 1s`: the feed is downloaded in the background
/// once serving, and again every second; a changed schedule is served (a new revision), a
/// download that fails keeps the last good schedule and says why.
#[test]
fn serve_downloads_named_feeds_and_refreshes_them() {
    use std::sync::{Arc, Mutex};
    let dir = copy_with(|y| y.replace("feed: oncall/set-backup.ics", "feed: set-backup"));
    let first = std::fs::read_to_string(fixture().join("oncall/set-backup.ics")).unwrap();
    // What the feed answers next: a body, or `None` for a 503.
    let body: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(Some(first.clone())));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/feed.ics", listener.local_addr().unwrap());
    let served = body.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let answer = match served.lock().unwrap().clone() {
                Some(b) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
                    b.len()
                ),
                None => "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
            };
            let _ = s.write_all(answer.as_bytes());
        }
    });
    let mut cmd = cairn_command();
    let mapping = format!("set-backup={url}");
    cmd.args([
        "--catalog",
        dir.path().to_str().unwrap(),
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--no-watch",
        "--ical",
        &mapping,
        "--ical-refresh",
        "1s",
    ])
    .env_remove("RUST_LOG");
    let server = Server::start(cmd);
    let ask = "/api/v1/oncall?team=set&at=2026-03-04T15:00:00Z";
    // (backup's name, where it came from, the revision), once `done` holds.
    let wait = |done: &dyn Fn(&serde_json::Value) -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let (status, headers, text) = http_get(&server.url, ask);
            assert_eq!(status, 200, "{text}");
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            if done(&v) {
                let revision = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("x-cairn-revision"))
                    .map(|(_, v)| v.clone())
                    .expect("a revision");
                return (v["teams"][0].clone(), revision);
            }
            assert!(std::time::Instant::now() < deadline, "never: {v}");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    let backup = |t: &serde_json::Value| {
        t["escalation"][1]["name"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let (t, r1) = wait(&|v| v["teams"][0]["escalation"][1]["source"] == "ical");
    assert_eq!(backup(&t), "amartin");
    // The feed changes: served at the next refresh, under a new revision.
    *body.lock().unwrap() =
        Some(first.replace("alice.martin@example.org", "dana.noor@example.org"));
    let (t, r2) = wait(&|v| v["teams"][0]["escalation"][1]["name"] == "dnoor");
    assert_eq!(t["escalation"][1]["source"], "ical");
    assert_ne!(r1, r2, "a changed schedule is a new revision");
    // The feed fails: the last good download stays, and the diagnostics say why.
    *body.lock().unwrap() = None;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, text) = server.get("/api/v1/diagnostics");
        if text.contains("oncall-feed-unavailable") && text.contains("last good download is used") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never said: {text}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let (t, _) = wait(&|_| true);
    assert_eq!(backup(&t), "dnoor", "last good kept: {t}");
    // Never a wrong interval.
    let out = cairn_command()
        .args(["serve", "--ical-refresh", "0s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("between 1s and 24h"));
}
