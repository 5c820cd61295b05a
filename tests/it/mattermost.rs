//! The second example, `examples/mattermost`: a Backstage catalog laid out one directory per
//! repository. It must load without a diagnostic, its impact must reach every client and plugin
//! of the server's REST API, its SET feeds must answer on-call as computed by hand below, and
//! every system must say what a support escalation collects and where its runbook is.
//!
//! The SET feeds (`examples/mattermost/org/oncall/`, schedule in its README) hand over every
//! Monday at 09:00 Europe/Berlin. Berlin is UTC+2 (CEST) until Sun 25 Oct 2026 03:00, then
//! UTC+1 (CET). Each engineer's primary and backup weeks recur every four weeks:
//!
//! - primary: Maria from Mon 5 Oct, Tom from 12 Oct, Aiko from 19 Oct (her 16 Nov instance
//!   removed by `EXDATE`, Maria covering that week in a one-off event), Samuel from 26 Oct;
//! - backup: Tom from 5 Oct, Aiko from 12 Oct, Samuel from 19 Oct, Maria from 26 Oct;
//! - lead: all-day weeks (Monday 00:00 Berlin to the next), Hannah from 5 Oct and Rahul from
//!   12 Oct, every other week.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::Request;
use cairn::model::OncallRole::{self, Backup, Lead, Primary};
use cairn::oncall::{detail, Detail, When};
use cairn::web::{router, AppState};
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::support::*;

fn catalog_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/mattermost")
}

fn dir_arg() -> String {
    catalog_dir().to_string_lossy().into_owned()
}

/// The repositories: each directory holds one Component of the same name.
const REPOSITORIES: &[&str] = &[
    "community",
    "desktop",
    "mattermost-mobile",
    "mattermost-plugin-boards",
    "mattermost-plugin-playbooks",
    "mattermost-push-proxy",
    "mattermost-server",
    "mattermost-webapp",
];

/// What a SET escalation must collect (the handbook's list), as annotations.
const SUPPORT_FACTS: &[&str] = &[
    "cairn/support-version",
    "cairn/support-database",
    "cairn/support-config",
    "cairn/support-logs",
    "cairn/support-profiling",
    "cairn/support-stack-trace",
];

#[test]
fn loads_without_an_error_or_a_warning() {
    let c = load(&catalog_dir());
    let d: Vec<String> = c
        .diagnostics
        .iter()
        .map(|d| format!("{}:{}: {} {}", d.file, d.line, d.code, d.message))
        .collect();
    assert!(d.is_empty(), "{d:#?}");
    // Eight repositories' Components, four Resources (database, file store, APNs, FCM).
    assert_eq!(c.systems.len(), 12);
    let (code, out, err) = cli(&["check", "--strict", &dir_arg()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("0 errors, 0 warnings"),
        "{out}{err}"
    );
    let settings = c.settings.as_ref().expect("cairn.yaml");
    assert_eq!(settings.title, "Mattermost");
    for term in ["SET", "MM", "ESR", "Boards", "Playbooks", "push proxy"] {
        assert!(
            settings.glossary.iter().any(|g| g.term == term),
            "glossary lacks {term}"
        );
    }
}

#[test]
fn changing_the_rest_api_reaches_every_client_plugin_and_community() {
    let (code, out, err) = cli(&[
        "impact",
        "api:mattermost-api-v4",
        "--catalog",
        &dir_arg(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let mut got: Vec<(String, u64, String)> = r["affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["system"].as_str().unwrap().to_string(),
                a["depth"].as_u64().unwrap(),
                a["owner"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let row = |s: &str, d: u64, o: &str| (s.to_string(), d, o.to_string());
    assert_eq!(
        got,
        vec![
            // community depends on the server itself; every other depth-2 system reaches the
            // API through the webapp it wraps (desktop) or extends (the plugins' webapp parts).
            row("community", 1, "sre"),
            row("desktop", 2, "web-platform"),
            row("mattermost-mobile", 1, "mobile-platform"),
            row("mattermost-plugin-boards", 2, "boards"),
            row("mattermost-plugin-playbooks", 2, "playbooks"),
            row("mattermost-webapp", 1, "web-platform"),
        ]
    );
    let teams: Vec<(&str, &str)> = r["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap(),
                t["contacts"]["email"].as_str().unwrap(),
            )
        })
        .collect();
    // Teams to tell, most critical first: the tiers come from `cairn/tier` annotations.
    assert_eq!(
        teams,
        [
            ("mobile-platform", "mobile-platform@example.org"),
            ("web-platform", "web-platform@example.org"),
            ("playbooks", "playbooks@example.org"),
            ("sre", "sre@example.org"),
            ("boards", "boards@example.org"),
        ]
    );
    // The API's endpoints come from its OpenAPI document.
    let c = load(&catalog_dir());
    let api = &c.system("mattermost-server").unwrap().provides[0];
    let endpoints: Vec<String> = api.endpoints.iter().map(|e| e.label()).collect();
    for e in [
        "GET /api/v4/users/me",
        "POST /api/v4/posts",
        "GET /api/v4/channels/{channel_id}/posts",
        "GET /api/v4/websocket",
    ] {
        assert!(endpoints.iter().any(|x| x == e), "{e} not in {endpoints:?}");
    }
}

fn set_at(t: &str) -> Detail {
    let c = load(&catalog_dir());
    let instant = DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
    detail(c.team("set").expect("team set"), When { instant }).expect("set declares on-call")
}

/// (name, until in UTC) of a role.
fn who(d: &Detail, role: OncallRole) -> (String, String) {
    let p = d.role(role).expect("someone on");
    (p.name.clone(), p.until.expect("from a feed").utc())
}

fn row(name: &str, until: &str) -> (String, String) {
    (name.into(), until.into())
}

#[test]
fn set_oncall_before_the_daylight_saving_change() {
    // Wed 21 Oct 2026 12:00Z = 14:00 CEST: the week from Mon 19 Oct.
    let d = set_at("2026-10-21T12:00:00Z");
    // Aiko's series (19 Oct + 4k weeks), until Mon 26 Oct 09:00 wall clock, which is CET by
    // then: 08:00Z (the week is an hour longer than 7 × 24 h).
    assert_eq!(who(&d, Primary), row("aiko-tanaka", "2026-10-26T08:00:00Z"));
    assert_eq!(
        d.role(Primary).unwrap().email.as_deref(),
        Some("aiko.tanaka@example.org")
    );
    // Samuel's backup series starts 19 Oct: same end.
    assert_eq!(
        who(&d, Backup),
        row("samuel-okafor", "2026-10-26T08:00:00Z")
    );
    // Lead: Hannah's all-day weeks, every other week from 5 Oct: 5, 19 Oct. Hers ends Mon 26
    // Oct 00:00 Berlin, after the change (Sun 25 Oct 03:00 CEST became 02:00 CET): CET, so
    // 25 Oct 23:00Z.
    assert_eq!(who(&d, Lead), row("hannah-schmidt", "2026-10-25T23:00:00Z"));
}

#[test]
fn set_oncall_after_the_daylight_saving_change() {
    // Mon 26 Oct 2026 07:30Z = 08:30 CET: before the 09:00 handover. Had the handover kept
    // last week's UTC time (09:00 CEST = 07:00Z), Samuel would already be on.
    let d = set_at("2026-10-26T07:30:00Z");
    assert_eq!(who(&d, Primary), row("aiko-tanaka", "2026-10-26T08:00:00Z"));
    assert_eq!(
        who(&d, Backup),
        row("samuel-okafor", "2026-10-26T08:00:00Z")
    );
    // Rahul's lead week (12, 26 Oct, ...) began Mon 26 Oct 00:00 CET = 25 Oct 23:00Z and ends
    // Mon 2 Nov 00:00 CET = 1 Nov 23:00Z.
    assert_eq!(who(&d, Lead), row("rahul-iyer", "2026-11-01T23:00:00Z"));
    // Next: Samuel's primary series from 26 Oct at 09:00 CET = 08:00Z, with Maria (backup
    // series from 26 Oct) as backup.
    let n = d.next.as_ref().expect("a next handover");
    assert_eq!(n.at.unwrap().utc(), "2026-10-26T08:00:00Z");
    assert_eq!(n.primary, "samuel-okafor");
    assert_eq!(n.backup.as_deref(), Some("maria-lopez"));

    // Wed 28 Oct 12:00Z = 13:00 CET: Samuel until Mon 2 Nov 09:00 CET = 08:00Z, Maria backup.
    let d = set_at("2026-10-28T12:00:00Z");
    assert_eq!(
        who(&d, Primary),
        row("samuel-okafor", "2026-11-02T08:00:00Z")
    );
    assert_eq!(who(&d, Backup), row("maria-lopez", "2026-11-02T08:00:00Z"));
}

#[test]
fn set_oncall_in_the_exdate_week() {
    // Wed 18 Nov 2026 12:00Z = 13:00 CET. Aiko's series would give her 19 Oct + 4 weeks =
    // Mon 16 Nov; the EXDATE removes it and Maria's one-off event covers 16-23 Nov.
    let d = set_at("2026-11-18T12:00:00Z");
    // Mon 23 Nov 09:00 CET = 08:00Z.
    assert_eq!(who(&d, Primary), row("maria-lopez", "2026-11-23T08:00:00Z"));
    // Backup: Samuel's series 19 Oct + 4 weeks = 16 Nov.
    assert_eq!(
        who(&d, Backup),
        row("samuel-okafor", "2026-11-23T08:00:00Z")
    );
    // Lead: Hannah's weeks 5, 19 Oct, 2, 16 Nov: until Mon 23 Nov 00:00 CET = 22 Nov 23:00Z.
    assert_eq!(who(&d, Lead), row("hannah-schmidt", "2026-11-22T23:00:00Z"));
    // The CLI says the same, in the feed's zone.
    let (code, out, _) = cli(&[
        "oncall",
        "--catalog",
        &dir_arg(),
        "--at",
        "2026-11-18T12:00:00Z",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains(
            "primary  maria-lopez <maria.lopez@example.org>  until Mon 23 Nov 09:00 Europe/Berlin"
        ),
        "{out}"
    );
}

#[test]
fn every_repository_has_support_facts_a_runbook_and_a_readme() {
    let c = load(&catalog_dir());
    let mut components: Vec<&str> = c
        .systems
        .iter()
        .filter(|s| !s.tags.iter().any(|t| t == "resource"))
        .map(|s| s.name.value.as_str())
        .collect();
    components.sort();
    assert_eq!(components, REPOSITORIES);
    for name in REPOSITORIES {
        let s = c.system(name).unwrap();
        assert_eq!(
            c.file_path(s.loc.file),
            format!("{name}/catalog-info.yaml"),
            "each repository describes itself"
        );
        assert!(s.owner.is_some(), "{name} has no owner");
        for fact in SUPPORT_FACTS {
            let v = s.annotations.get(*fact).map(String::as_str).unwrap_or("");
            assert!(v.len() > 10, "{name} lacks {fact}");
        }
        let runbook = s
            .annotations
            .get("cairn/runbook")
            .unwrap_or_else(|| panic!("{name} names no runbook"));
        let dir = catalog_dir().join(name);
        let text = std::fs::read_to_string(dir.join(runbook)).expect("the runbook exists");
        assert!(text.starts_with("# Runbook"), "{name}: {runbook}");
        assert!(dir.join("README.md").is_file(), "{name} has no README.md");
    }
    // Support facts are searchable: where do I get a heap profile?
    let (code, out, _) = cli(&["search", "heap profile", "--catalog", &dir_arg()]);
    assert_eq!(code, 0);
    assert!(out.contains("mattermost-server"), "{out}");
    // Boards: the team, the plugin and its API.
    let (_, out, _) = cli(&["search", "boards", "--catalog", &dir_arg()]);
    assert!(out.contains("mattermost-plugin-boards"), "{out}");
}

#[test]
fn every_page_of_the_example_renders() {
    let dir = catalog_dir();
    let st = AppState::new(load(&dir), &dir, Default::default()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let get = |uri: &str| {
        rt.block_on(async {
            let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
            let resp = router(st.clone()).oneshot(req).await.unwrap();
            let status = resp.status().as_u16();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        })
    };
    let mut pages = vec![
        "/".to_string(),
        "/start".into(),
        "/glossary".into(),
        "/oncall".into(),
        "/graph".into(),
        "/impact?target=api%3Amattermost-api-v4".into(),
    ];
    let c = load(&dir);
    pages.extend(
        c.systems
            .iter()
            .map(|s| format!("/systems/{}", s.name.value)),
    );
    pages.extend(c.teams.iter().map(|t| format!("/teams/{}", t.name.value)));
    for p in &pages {
        let (status, body) = get(p);
        assert_eq!(status, 200, "{p}: {body}");
    }
    let (_, body) = get("/impact?target=api%3Amattermost-api-v4");
    assert!(body.contains("6 systems affected"), "{body}");
    // The glossary carries the organisation's jargon.
    let (_, body) = get("/glossary");
    assert!(body.contains("Extended Support Release"), "{body}");
}

/// The example as an organisation really holds it: every directory its own git repository,
/// listed as a `git:` source. Served so, it says what the directory says (no diagnostic, the
/// same systems), and each system knows the repository and commit it was read at.
#[test]
fn served_from_git_repositories_it_says_what_the_directories_say() {
    let f = crate::sources::Fixture::new("");
    let settings = std::fs::read_to_string(catalog_dir().join("cairn.yaml")).unwrap();
    let mut commits = std::collections::BTreeMap::new();
    for name in REPOSITORIES.iter().chain(&["org"]) {
        let src = catalog_dir().join(name);
        let files: Vec<(String, String)> = walkdir::WalkDir::new(&src)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e
                    .path()
                    .strip_prefix(&src)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                (rel, std::fs::read_to_string(e.path()).unwrap())
            })
            .collect();
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let commit = crate::sources::repo(&f.path(&format!("repos/{name}")), &files);
        commits.insert(name.to_string(), commit);
    }
    let as_git = settings
        .lines()
        .map(|l| match l.trim_start().strip_prefix("path: ") {
            Some(dir) => format!("    git: repos/{dir}\n    ref: main"),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(f.path("cairn.yaml"), as_git).unwrap();
    let (code, out, err) = f.cli(&["check", "--strict"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("12 systems, 8 teams, 6 APIs, 4 domains"),
        "{out}{err}"
    );
    let st = f.state(None);
    let c = &st.live().snapshot.catalog;
    assert_eq!(c.sources.len(), 9);
    assert!(c
        .sources
        .iter()
        .all(|s| s.kind == "git" && s.error.is_none()));
    let server = c.system("mattermost-server").unwrap();
    let p = cairn::views::provenance(c, c.file_path(server.loc.file)).expect("provenance");
    assert_eq!(p.source, "mattermost-server");
    assert_eq!(
        p.revision.as_deref(),
        Some(commits["mattermost-server"].as_str())
    );
    assert_eq!(
        p.edit_url.unwrap(),
        format!(
            "https://github.com/mattermost/mattermost/blob/{}/server/catalog-info.yaml",
            commits["mattermost-server"]
        )
    );
    // The SET feeds came from the org repository too: on-call answers as from the directory.
    let direct = load(&catalog_dir());
    assert_eq!(
        c.teams
            .iter()
            .map(|t| t.name.value.clone())
            .collect::<Vec<_>>(),
        direct
            .teams
            .iter()
            .map(|t| t.name.value.clone())
            .collect::<Vec<_>>()
    );
    let set = c.teams.iter().find(|t| t.name.value == "set").unwrap();
    assert!(set.oncall.is_some(), "the SET rotation's feeds were read");
}
