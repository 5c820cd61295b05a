//! Running Cairn as a service: probes (and the gate that answers them while the first snapshot
//! is built), the revision every answer names, ETags, metrics, logs and configuration from the
//! environment. The two-replica test is in `replicas.rs`.

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cairn::web::{router, AppState, Gate};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::*;

fn state_for(dir: &Path) -> AppState {
    AppState::new(load(dir), dir, Default::default()).expect("state builds")
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

fn send<S>(service: S, req: Request<Body>) -> Resp
where
    S: tower::Service<Request<Body>, Response = axum::response::Response>,
    S::Error: std::fmt::Debug,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let resp = service.oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    })
}

fn get(st: &AppState, uri: &str) -> Resp {
    send(router(st.clone()), request(uri, None))
}

fn request(uri: &str, if_none_match: Option<&str>) -> Request<Body> {
    let mut b = Request::builder().uri(uri);
    if let Some(tag) = if_none_match {
        b = b.header("if-none-match", tag);
    }
    b.body(Body::empty()).unwrap()
}

fn json(r: &Resp) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

/// A copy of `from` (files only, recursively) in `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn liveness_and_readiness_answer_with_the_revision() {
    let st = state_for(&example_catalog());
    let live = get(&st, "/healthz");
    assert_eq!(live.status, 200);
    assert_eq!(json(&live), serde_json::json!({ "status": "ok" }));
    let ready = get(&st, "/readyz");
    assert_eq!(ready.status, 200);
    let v = json(&ready);
    assert_eq!(v["status"], "ready");
    let revision = v["revision"].as_str().unwrap().to_string();
    assert_eq!(revision.len(), 16, "{v}");
    assert_eq!(ready.header("x-cairn-revision"), Some(revision.as_str()));
    // Probes are never cached.
    assert_eq!(ready.header("cache-control"), Some("no-store"));
    // Shutting down: not ready any more, still alive.
    st.set_stopping();
    let stopping = get(&st, "/readyz");
    assert_eq!(stopping.status, 503);
    assert_eq!(json(&stopping)["status"], "stopping");
    assert_eq!(get(&st, "/healthz").status, 200);
}

#[test]
fn before_the_first_snapshot_the_gate_says_not_ready_and_then_serves() {
    let gate = Gate::new();
    let live = send(gate.clone(), request("/healthz", None));
    assert_eq!(live.status, 200, "{}", live.body);
    let ready = send(gate.clone(), request("/readyz", None));
    assert_eq!(ready.status, 503);
    assert_eq!(json(&ready)["status"], "starting");
    assert!(json(&ready)["reason"].as_str().unwrap().contains("loaded"));
    assert_eq!(ready.header("retry-after"), Some("1"));
    // Everything else waits too, with the security headers every answer has.
    for uri in ["/", "/api/v1/teams", "/metrics"] {
        let r = send(gate.clone(), request(uri, None));
        assert_eq!(r.status, 503, "{uri}");
        assert_eq!(r.header("retry-after"), Some("1"), "{uri}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{uri}");
    }
    let st = state_for(&example_catalog());
    gate.open(st.clone());
    assert_eq!(send(gate.clone(), request("/readyz", None)).status, 200);
    let teams = send(gate.clone(), request("/api/v1/teams", None));
    assert_eq!(teams.status, 200);
    assert!(teams.body.contains("releng"), "{}", teams.body);
}

#[test]
fn every_answer_names_the_revision_it_was_answered_from() {
    let st = state_for(&example_catalog());
    let revision = json(&get(&st, "/readyz"))["revision"]
        .as_str()
        .unwrap()
        .to_string();
    for (uri, status) in [
        ("/", 200),
        ("/systems/bodhi", 200),
        ("/api/v1/teams", 200),
        ("/api/v1/systems/nope", 404),
        ("/no/such/page", 404),
        ("/api/v1/search?q=x&limit=-1", 400),
        ("/static/nope.css", 404),
    ] {
        let r = get(&st, uri);
        assert_eq!(r.status.as_u16(), status, "{uri}");
        assert_eq!(
            r.header("x-cairn-revision"),
            Some(revision.as_str()),
            "{uri}"
        );
    }
    // And the page footer shows it.
    assert!(get(&st, "/")
        .body
        .contains(&format!("revision <code title=\"{revision}")));
}

#[test]
fn json_answers_carry_an_etag_and_revalidate_with_if_none_match() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&example_catalog(), tmp.path());
    let st = state_for(tmp.path());
    let first = get(&st, "/api/v1/systems/bodhi");
    assert_eq!(first.status, 200);
    let etag = first.header("etag").expect("an ETag").to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert_eq!(first.header("cache-control"), Some("no-cache"));
    // The same answer again: the same tag; asked with it, 304 and no body.
    assert_eq!(
        get(&st, "/api/v1/systems/bodhi").header("etag"),
        Some(etag.as_str())
    );
    let again = send(
        router(st.clone()),
        request("/api/v1/systems/bodhi", Some(&etag)),
    );
    assert_eq!(again.status, 304);
    assert_eq!(again.body, "");
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    assert!(again.header("x-cairn-revision").is_some());
    let weak = format!("\"other\", W/{etag}");
    assert_eq!(
        send(
            router(st.clone()),
            request("/api/v1/systems/bodhi", Some(&weak))
        )
        .status,
        304
    );
    let stale = send(
        router(st.clone()),
        request("/api/v1/systems/bodhi", Some("\"0\"")),
    );
    assert_eq!(stale.status, 200);
    assert_eq!(stale.header("etag"), Some(etag.as_str()));
    // Pages, and answers that are not 200, have no tag.
    assert_eq!(get(&st, "/systems/bodhi").header("etag"), None);
    assert_eq!(get(&st, "/api/v1/systems/nope").header("etag"), None);
    // After an edit to bodhi, the old tag no longer matches, and the revision moved.
    let before = first.header("x-cairn-revision").unwrap().to_string();
    let file = tmp.path().join("systems/bodhi/bodhi.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("title: Bodhi (updates system)", "title: Bodhi (edited)", 1),
    )
    .unwrap();
    assert!(st.reload(), "the edit is swapped in");
    let after = send(
        router(st.clone()),
        request("/api/v1/systems/bodhi", Some(&etag)),
    );
    assert_eq!(after.status, 200, "{}", after.body);
    assert_ne!(after.header("etag"), Some(etag.as_str()));
    assert_ne!(after.header("x-cairn-revision"), Some(before.as_str()));
}

#[test]
fn two_copies_of_one_catalog_have_one_revision_and_byte_identical_answers() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    copy_tree(&example_catalog(), a.path());
    std::thread::sleep(std::time::Duration::from_millis(20));
    copy_tree(&example_catalog(), b.path());
    let (sa, sb) = (state_for(a.path()), state_for(b.path()));
    // Both with their search index built: until then `/readyz` and the diagnostics say
    // `building` on one and maybe `ready` on the other (a process's state, not content).
    for st in [&sa, &sb] {
        let started = std::time::Instant::now();
        while json(&get(st, "/readyz"))["search"] != "ready" {
            assert!(started.elapsed() < std::time::Duration::from_secs(30));
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    for uri in [
        "/readyz",
        "/api/v1/systems",
        "/api/v1/systems/bodhi",
        "/api/v1/teams",
        "/api/v1/search?q=koji",
        "/api/v1/impact?target=pkgdb%2Fapi%402",
        "/api/v1/graph",
        "/api/v1/score",
        "/api/v1/diagnostics",
        "/api/v1/deps/bodhi",
    ] {
        let (ra, rb) = (get(&sa, uri), get(&sb, uri));
        assert_eq!(ra.status, 200, "{uri}: {}", ra.body);
        assert_eq!(ra.body, rb.body, "{uri}");
        assert_eq!(ra.header("etag"), rb.header("etag"), "{uri}");
        assert_eq!(
            ra.header("x-cairn-revision"),
            rb.header("x-cairn-revision"),
            "{uri}"
        );
    }
}

/// The value of the sample `name{labels}` in a Prometheus text scrape (0 when absent).
fn sample(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
        .unwrap_or(0.0)
}

#[test]
fn metrics_move_by_exactly_the_requests_made() {
    let st = state_for(&example_catalog());
    let before = get(&st, "/metrics");
    assert_eq!(before.status, 200);
    assert_eq!(
        before.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let before = before.body;
    for _ in 0..3 {
        assert_eq!(get(&st, "/api/v1/teams").status, 200);
    }
    for _ in 0..2 {
        assert_eq!(get(&st, "/api/v1/teams/nobody").status, 404);
    }
    assert_eq!(get(&st, "/search?q=koji").status, 200);
    assert_eq!(get(&st, "/api/v1/search?q=koji").status, 200);
    assert_eq!(get(&st, "/api/v1/search?q=bodhi").status, 200);
    assert_eq!(get(&st, "/no/such/page").status, 404);
    let after = get(&st, "/metrics").body;
    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    let teams = r#"{method="GET",route="/api/v1/teams",status="200"}"#;
    assert_eq!(
        delta(&format!("cairn_http_requests_total{teams}")),
        3.0,
        "{after}"
    );
    assert_eq!(
        delta(&format!("cairn_http_request_duration_seconds_count{teams}")),
        3.0
    );
    assert_eq!(
        delta(
            r#"cairn_http_requests_total{method="GET",route="/api/v1/teams/{name}",status="404"}"#
        ),
        2.0
    );
    // The route's pattern, never the path asked for: unmatched paths share one series.
    assert_eq!(
        delta(r#"cairn_http_requests_total{method="GET",route="(none)",status="404"}"#),
        1.0
    );
    assert!(!after.contains("/no/such/page"));
    assert_eq!(delta(r#"cairn_searches_total{surface="api"}"#), 2.0);
    assert_eq!(delta(r#"cairn_searches_total{surface="page"}"#), 1.0);
    assert_eq!(
        delta(r#"cairn_search_duration_seconds_count{surface="api"}"#),
        2.0
    );
    // The first scrape is counted by the second.
    assert_eq!(
        delta(r#"cairn_http_requests_total{method="GET",route="/metrics",status="200"}"#),
        1.0
    );
    // What the catalog holds, read from the served snapshot.
    let c = load(&example_catalog());
    let apis: usize = c.systems.iter().map(|s| s.provides.len()).sum();
    for (series, want) in [
        (r#"cairn_catalog_entities{kind="system"}"#, c.systems.len()),
        (r#"cairn_catalog_entities{kind="api"}"#, apis),
        (r#"cairn_catalog_entities{kind="team"}"#, c.teams.len()),
        (r#"cairn_catalog_diagnostics{severity="error"}"#, c.errors()),
        (
            r#"cairn_catalog_diagnostics{severity="warning"}"#,
            c.warnings(),
        ),
    ] {
        assert_eq!(sample(&after, series), want as f64, "{series}");
    }
    assert!(sample(&after, "cairn_process_resident_memory_bytes") > 1e6);
    assert!(after.contains("cairn_snapshot_age_seconds "));
    // Reloads are counted by result.
    let m = st.metrics().unwrap();
    m.reload(&st.reload_report());
    let reloaded = get(&st, "/metrics").body;
    let reloads = |r: &str| sample(&reloaded, &format!("cairn_reloads_total{{result=\"{r}\"}}"));
    assert_eq!(reloads("kept") + reloads("swapped"), 1.0, "{reloaded}");
    assert_eq!(
        sample(&reloaded, "cairn_reload_duration_seconds_count"),
        1.0
    );
    // Off: 404.
    let off = state_for(&example_catalog()).without_metrics();
    assert_eq!(get(&off, "/metrics").status, 404);
}

/// Lines the server wrote until it said it serves, and the server.
fn start_with(envs: &[(&str, &str)], args: &[&str]) -> Server {
    let mut cmd = cairn_command();
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.env_remove("RUST_LOG");
    Server::start(cmd)
}

#[test]
fn configuration_comes_from_the_environment_and_json_logs_are_one_object_per_line() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&example_catalog(), tmp.path());
    let dir = tmp.path().to_str().unwrap();
    // No flags at all: address, catalog and log format from the environment.
    let server = start_with(
        &[
            ("CAIRN_ADDR", "127.0.0.1:0"),
            ("CAIRN_CATALOG", dir),
            ("CAIRN_LOG_FORMAT", "json"),
            ("CAIRN_NO_WATCH", "true"),
            ("CAIRN_NO_METRICS", "1"),
        ],
        &["serve"],
    );
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    assert_eq!(server.get("/metrics").0, 404, "CAIRN_NO_METRICS");
    assert_eq!(server.get("/api/v1/teams").0, 200);
    assert!(!server.startup.is_empty());
    for line in &server.startup {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["timestamp"].is_string(), "{line}");
        assert!(v["level"].is_string(), "{line}");
        assert!(v["message"].is_string(), "{line}");
    }
    let loaded = server
        .startup
        .iter()
        .find(|l| l.contains("\"systems\""))
        .expect("the load line");
    let v: serde_json::Value = serde_json::from_str(loaded).unwrap();
    assert_eq!(v["systems"], 46, "{loaded}");
    assert!(v["message"].as_str().unwrap().contains(dir), "{loaded}");
    assert_eq!(v["revision"].as_str().unwrap().len(), 16, "{loaded}");
}

#[test]
fn requests_are_logged_with_route_and_status_and_probes_only_at_debug() {
    use std::io::{BufRead, BufReader};
    let mut cmd = cairn_command();
    cmd.args([
        "--catalog",
        example_catalog().to_str().unwrap(),
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--no-watch",
        "--log-format",
        "json",
    ])
    .env_remove("RUST_LOG")
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("a line").unwrap();
        if let Some(rest) = line.split("serving ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let server = Server::attach(child, url);
    assert_eq!(server.get("/readyz").0, 200);
    assert_eq!(server.get("/healthz").0, 200);
    // A path with a terminal escape in it: logged escaped.
    assert_eq!(server.get("/api/v1/teams/x%1B%5D52").0, 404);
    // The search index is built after the server answers: its line may come first.
    let line = lines
        .by_ref()
        .map(|l| l.unwrap())
        .find(|l| !l.contains("search index built"))
        .expect("a request line");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["message"], "request", "{line}");
    assert_eq!(v["method"], "GET");
    assert_eq!(
        v["route"], "/api/v1/teams/{name}",
        "the probes were not logged: {line}"
    );
    assert_eq!(v["status"], 404);
    assert!(v["ms"].is_number(), "{line}");
    assert!(!line.contains('\u{1b}'), "{line}");
}

#[test]
fn listening_beyond_loopback_warns_that_there_is_no_authentication() {
    let server = start_with(
        &[("CAIRN_NO_WATCH", "true")],
        &[
            "--catalog",
            example_catalog().to_str().unwrap(),
            "serve",
            "--addr",
            "0.0.0.0:0",
        ],
    );
    assert!(
        server
            .startup
            .iter()
            .any(|l| l.contains("WARN") && l.contains("no authentication of its own")),
        "{:#?}",
        server.startup
    );
    let local = start_with(
        &[("CAIRN_NO_WATCH", "true")],
        &[
            "--catalog",
            example_catalog().to_str().unwrap(),
            "serve",
            "--addr",
            "127.0.0.1:0",
        ],
    );
    assert!(
        !local.startup.iter().any(|l| l.contains("authentication")),
        "{:#?}",
        local.startup
    );
}
