//! `cairn drift`, `cairn impact --observed` and the observed side of the web, on
//! tests/data/observed: one small catalog, the same traffic in every format, malformed sources.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::Request;
use cairn::observed::{self, ReadOptions};
use cairn::web::{router, AppState, ObservedConfig};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::support::*;

fn dir() -> PathBuf {
    data_dir().join("observed")
}

fn catalog() -> String {
    dir().join("catalog").to_string_lossy().into_owned()
}

fn source(name: &str) -> String {
    dir().join(name).to_string_lossy().into_owned()
}

/// `cairn --catalog tests/data/observed/catalog ARGS...`.
fn run(args: &[&str]) -> (i32, String, String) {
    let c = catalog();
    let mut all = vec!["--catalog", c.as_str()];
    all.extend_from_slice(args);
    cli(&all)
}

/// `cairn drift --format json --observed FILES...`, parsed.
fn drift_json(files: &[&str]) -> Value {
    let paths: Vec<String> = files.iter().map(|f| source(f)).collect();
    let mut args = vec!["drift", "--format", "json", "--observed"];
    args.extend(paths.iter().map(String::as_str));
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// A report with the fixture directory written as `tests/data/observed`, for snapshots.
fn relative(v: &Value) -> Value {
    let text = v
        .to_string()
        .replace(&dir().to_string_lossy().into_owned(), "tests/data/observed");
    serde_json::from_str(&text).unwrap()
}

/// The report without what names the source, so formats can be compared.
fn without_sources(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("sources");
    for u in v["undeclared"].as_array_mut().unwrap() {
        u.as_object_mut().unwrap().remove("source");
    }
    v
}

#[test]
fn every_format_reads_the_same_traffic() {
    // jaeger.json, servicegraph.prom, edges.csv and edges.jsonl describe the same calls.
    let jaeger = drift_json(&["jaeger.json"]);
    for other in ["servicegraph.prom", "edges.csv", "edges.jsonl"] {
        let v = drift_json(&[other]);
        assert_eq!(
            without_sources(v.clone()),
            without_sources(jaeger.clone()),
            "{other} reads differently from jaeger.json"
        );
        let format = v["sources"][0]["format"].as_str().unwrap().to_string();
        let wanted = match other {
            "servicegraph.prom" => "prometheus",
            "edges.csv" => "csv",
            _ => "jsonl",
        };
        assert_eq!(format, wanted);
    }
    insta::assert_json_snapshot!("drift-fixture-jaeger", relative(&jaeger));
}

#[test]
fn alias_mapping_and_summing() {
    let v = drift_json(&["jaeger.json"]);
    // bodhi-web → pkgdb2 and bodhi-backend → pkgdb2 are bodhi → pkgdb, declared; bodhi-web →
    // bodhi-backend is inside bodhi; `Kojihub` is koji although only `kojihub` is an alias.
    assert_eq!(v["summary"]["internal"], 1);
    assert_eq!(v["summary"]["declared_and_observed"], 7);
    let graphite = &v["unknown"][0];
    assert_eq!(
        (&graphite["name"], &graphite["role"], &graphite["peers"]),
        (&json!("graphite"), &json!("callee"), &json!(["koji"]))
    );
    // taskotron → pkgdb2 appears twice (40 + 2): one entry, summed, owners of both sides.
    assert_eq!(
        v["undeclared"],
        json!([{
            "caller": "taskotron", "callee": "pkgdb", "api": null, "count": 42, "last_seen": null,
            "caller_owner": "apps", "callee_owner": "core", "callee_tier": 1,
            "observed_as": ["taskotron → pkgdb2"],
            "source": source("jaeger.json"),
        }])
    );
    // Two sources: counts add up across them too.
    let both = drift_json(&["jaeger.json", "edges.csv"]);
    assert_eq!(both["undeclared"][0]["count"], 84);
    assert_eq!(both["summary"]["source_count"], 2);
    assert_eq!(both["summary"]["calls"], 2 * 291);
}

#[test]
fn unknown_names_stale_and_unverifiable() {
    let v = drift_json(&["jaeger.json"]);
    let unknown: Vec<(String, String, u64, Value)> = v["unknown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["name"].as_str().unwrap().to_string(),
                u["role"].as_str().unwrap().to_string(),
                u["count"].as_u64().unwrap(),
                u["suggestion"].clone(),
            )
        })
        .collect();
    assert_eq!(
        unknown,
        vec![
            ("graphite".into(), "callee".into(), 20, Value::Null),
            ("releng-cron".into(), "caller".into(), 12, Value::Null),
            ("nightly-report".into(), "caller".into(), 8, Value::Null),
            ("mirorr".into(), "caller".into(), 1, json!("mirror")),
        ]
    );
    // quiet is seen (calling koji) but never calls pkgdb, which it declares: stale. dark never
    // appears at all: its declaration cannot be checked, so it is not called stale.
    assert_eq!(
        v["stale"],
        json!([{
            "caller": "quiet", "callee": "pkgdb", "declared": "consumes pkgdb/api@2",
            "declared_at": "catalog.yaml:70", "caller_owner": "apps", "callee_owner": "core",
        }])
    );
    assert_eq!(v["summary"]["unverifiable"], 1);
}

#[test]
fn consul_proxies_count_instances() {
    let v = drift_json(&["consul.json"]);
    // Two bodhi-web proxies declare pkgdb2 (declared); taskotron's proxy declares pkgdb2
    // (undeclared) and bodhi-web; the prepared query and the plain service are skipped.
    assert_eq!(v["sources"][0]["format"], "consul");
    assert_eq!(v["sources"][0]["records"], 6);
    assert_eq!(v["summary"]["observed_pairs"], 5);
    let u = &v["undeclared"][0];
    assert_eq!(
        (&u["caller"], &u["callee"], &u["count"]),
        (&json!("taskotron"), &json!("pkgdb"), &json!(1))
    );
    assert_eq!(v["unknown"][0]["name"], "graphite");
}

#[test]
fn api_level_evidence_from_a_gateway_export() {
    let v = drift_json(&["gateway.csv"]);
    // old-script declares pkgdb/api@1 only: its calls to api@2 are undeclared, summed, with
    // the latest last_seen; koji's `pkgdb/api@2` and bodhi's unknown `api@7` are covered.
    assert_eq!(
        v["undeclared"],
        json!([{
            "caller": "old-script", "callee": "pkgdb", "api": "pkgdb/api@2", "count": 3,
            "last_seen": "2026-11-20T08:30:00Z", "caller_owner": "apps", "callee_owner": "core",
            "callee_tier": 1, "observed_as": ["old-script → pkgdb2"],
            "source": format!("{}:4", source("gateway.csv")),
        }])
    );
    assert_eq!(v["summary"]["declared_and_observed"], 3);
}

#[test]
fn malformed_sources_are_errors_naming_file_and_line() {
    let bad = dir().join("malformed");
    let mut report = String::new();
    for name in cases_files(&bad) {
        let path = bad.join(&name).to_string_lossy().into_owned();
        let (code, out, err) = run(&["drift", "--observed", &path]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(out.is_empty(), "{name}: {out}");
        let shown = err.replace(&format!("{}/", bad.to_string_lossy()), "");
        assert!(shown.starts_with(&format!("error: {name}")), "{shown}");
        report.push_str(&shown);
    }
    // Every line-oriented or JSON error carries line and column (Jaeger's own error and an
    // unrecognised document have none to give).
    for line in report.lines() {
        let located = line
            .split(": ")
            .nth(1)
            .is_some_and(|loc| loc.split(':').count() == 3);
        let whole = line.contains("jaeger-errors.json") || line.contains("unknown-shape.json");
        assert!(located || whole, "not located: {line}");
    }
    insta::assert_snapshot!("drift-malformed", report);
}

#[test]
fn truncated_and_corrupted_sources_never_panic() {
    // Every prefix of every fixture, and every fixture with one byte replaced, is read or
    // refused with a located error; nothing panics.
    let mut files: Vec<PathBuf> = cases_files(&dir())
        .into_iter()
        .map(|f| dir().join(f))
        .filter(|p| p.is_file())
        .collect();
    files.extend(
        cases_files(&dir().join("malformed"))
            .into_iter()
            .map(|f| dir().join("malformed").join(f)),
    );
    let mut tried = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        for cut in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let _ = observed::parse_text(&name, &text[..cut]);
            tried += 1;
        }
        for (i, c) in text.char_indices().step_by(7) {
            for replacement in ["\"", "{", "\n", ",", "\u{0}", "é"] {
                let mut t = text.clone();
                t.replace_range(i..i + c.len_utf8(), replacement);
                if let Err(e) = observed::parse_text(&name, &t) {
                    assert!(!e.message.is_empty());
                    assert_eq!(e.source, name);
                }
                tried += 1;
            }
        }
    }
    assert!(tried > 10_000, "{tried}");
}

/// Sorted file names in a directory.
fn cases_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn sources_that_cannot_be_read() {
    let (code, _, err) = run(&["drift", "--observed", "no/such/file.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/file.json: cannot read"), "{err}");
    let (code, _, err) = run(&["drift", "--observed", &source("malformed")]);
    assert_eq!(code, 2);
    assert!(err.contains("is a directory"), "{err}");
    // Bounded: a source over --max-file-size is refused before it is parsed.
    let (code, _, err) = run(&[
        "--max-file-size",
        "100",
        "drift",
        "--observed",
        &source("jaeger.json"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("larger than the limit of 100 bytes"), "{err}");
    // An empty export is no traffic, not an error.
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty.csv");
    std::fs::write(&empty, "# nothing observed\n").unwrap();
    let (code, out, _) = run(&[
        "drift",
        "--format",
        "json",
        "--observed",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["observed_pairs"], 0);
    assert_eq!(
        v["stale"],
        json!([]),
        "nothing is visible, so nothing is stale"
    );
}

#[test]
fn exit_codes_for_ci() {
    let j = source("jaeger.json");
    let g = source("gateway.csv");
    for (args, code) in [
        (vec!["drift", "--observed", j.as_str()], 0),
        (
            vec!["drift", "--observed", j.as_str(), "--fail-on", "never"],
            0,
        ),
        (
            vec!["drift", "--observed", j.as_str(), "--fail-on", "undeclared"],
            3,
        ),
        (
            vec!["drift", "--observed", j.as_str(), "--fail-on", "stale"],
            3,
        ),
        (
            vec!["drift", "--observed", j.as_str(), "--fail-on", "unknown"],
            3,
        ),
        (
            vec![
                "drift",
                "--observed",
                g.as_str(),
                "--fail-on",
                "stale,unknown",
            ],
            0,
        ),
        (
            vec![
                "drift",
                "--observed",
                g.as_str(),
                "--fail-on",
                "stale",
                "--fail-on",
                "undeclared",
            ],
            3,
        ),
        (
            vec!["drift", "--observed", g.as_str(), "--format", "dot"],
            2,
        ),
    ] {
        let (got, _, err) = run(&args);
        assert_eq!(got, code, "{args:?}: {err}");
    }
    let (_, _, err) = run(&["drift", "--observed", &j, "--fail-on", "undeclared,unknown"]);
    assert!(
        err.contains("drift: 1 undeclared dependencies, 4 unknown names"),
        "{err}"
    );
}

#[test]
fn text_and_markdown() {
    let (_, text, _) = run(&["drift", "--observed", &source("jaeger.json")]);
    for wanted in [
        "1 undeclared, 1 stale, 4 unknown names",
        "taskotron → pkgdb: 42 calls",
        "owners: apps → core; seen as taskotron → pkgdb2",
        "quiet → pkgdb: consumes pkgdb/api@2",
        "mirorr (caller, 1 call; calls pkgdb) — did you mean `mirror`?",
    ] {
        assert!(text.contains(wanted), "missing {wanted:?} in\n{text}");
    }
    let (_, md, _) = run(&[
        "drift",
        "--format",
        "md",
        "--observed",
        &source("jaeger.json"),
    ]);
    assert!(md.starts_with("# Declared vs observed dependencies"));
    assert!(
        md.contains("| taskotron | pkgdb | — | 42 | — | apps | core |"),
        "{md}"
    );
    assert!(
        md.contains("- **mirorr** (caller, 1 call) — an alias of **mirror**?"),
        "{md}"
    );
}

fn impact_json(args: &[&str]) -> Value {
    let mut all = vec!["impact", "--format", "json", "--at", "2026-11-23"];
    all.extend_from_slice(args);
    let (code, out, err) = run(&all);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn impact_includes_observed_undeclared_consumers() {
    let j = source("jaeger.json");
    let plain = impact_json(&["pkgdb/api@2"]);
    assert!(plain.get("observed").is_none(), "no evidence, no field");
    let with = impact_json(&["pkgdb/api@2", "--observed", &j]);
    // Existing fields are unchanged by the evidence; the summary counts what it adds.
    let mut stripped = with.clone();
    let observed = stripped
        .as_object_mut()
        .unwrap()
        .remove("observed")
        .unwrap();
    let count = stripped["summary"]
        .as_object_mut()
        .unwrap()
        .remove("observed_count")
        .unwrap();
    assert_eq!(count, observed.as_array().unwrap().len());
    assert!(plain["summary"].get("observed_count").is_none());
    assert_eq!(stripped, plain);
    let rows: Vec<(String, Value, u64, String, u64)> = with["observed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            assert_eq!(
                (&o["evidence"], &o["declared"]),
                (&json!("observed"), &json!(false))
            );
            (
                o["name"].as_str().unwrap().to_string(),
                o["system"].clone(),
                o["depth"].as_u64().unwrap(),
                o["path"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(" → "),
                o["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            // Affected at depth 2 by declaration (via bodhi), but seen calling pkgdb directly.
            (
                "taskotron".into(),
                json!("taskotron"),
                1,
                "pkgdb → taskotron".into(),
                42
            ),
            (
                "releng-cron".into(),
                Value::Null,
                1,
                "pkgdb → releng-cron".into(),
                12
            ),
            ("mirorr".into(), Value::Null, 1, "pkgdb → mirorr".into(), 1),
            // Calls bodhi, which pkgdb's change affects.
            (
                "nightly-report".into(),
                Value::Null,
                2,
                "pkgdb → bodhi → nightly-report".into(),
                8
            ),
        ]
    );
    let task = &with["observed"][0];
    assert_eq!(
        (&task["owner"], &task["tier"], &task["calls"]),
        (&json!("apps"), &json!(2), &json!("pkgdb"))
    );
    // Depth limits apply to observed consumers too.
    let direct = impact_json(&["pkgdb/api@2", "--direct-only", "--observed", &j]);
    assert_eq!(direct["observed"].as_array().unwrap().len(), 3);
    // Evidence with no undeclared consumer is an empty list, not a missing one.
    let koji = impact_json(&["koji", "--observed", &j]);
    assert_eq!(koji["observed"], json!([]));
}

#[test]
fn impact_evidence_respects_the_api_called() {
    let g = source("gateway.csv");
    // old-script calls pkgdb/api@2 (undeclared) and api@1 (declared).
    let v2 = impact_json(&["pkgdb/api@2", "--observed", &g]);
    let names: Vec<&str> = v2["observed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["old-script"]);
    assert_eq!(v2["observed"][0]["api"], "pkgdb/api@2");
    assert_eq!(v2["observed"][0]["last_seen"], "2026-11-20T08:30:00Z");
    let v1 = impact_json(&["pkgdb/api@1", "--observed", &g]);
    assert_eq!(
        v1["observed"],
        json!([]),
        "calls to api@2 do not make api@1 consumers"
    );
}

#[test]
fn impact_text_and_announcement_mark_observed_consumers() {
    let j = source("jaeger.json");
    let (_, text, _) = run(&[
        "impact",
        "pkgdb/api@2",
        "--at",
        "2026-11-23",
        "--observed",
        &j,
    ]);
    assert!(
        text.contains("plus 4 consumers seen in observed traffic that nobody declared"),
        "{text}"
    );
    assert!(text.contains("Observed, undeclared — seen in traffic, declared nowhere"));
    assert!(
        text.contains("taskotron (apps, observed, undeclared) — calls pkgdb: 42 calls"),
        "{text}"
    );
    assert!(
        text.contains("releng-cron (not in the catalog, observed, undeclared)"),
        "{text}"
    );
    let (_, md, _) = run(&[
        "impact",
        "pkgdb/api@2",
        "--at",
        "2026-11-23",
        "--format",
        "md",
        "--observed",
        &j,
    ]);
    assert!(md.contains("## Seen in traffic, declared nowhere"), "{md}");
    assert!(
        md.contains("- **taskotron** (owner: apps): calls pkgdb, 42 calls"),
        "{md}"
    );
    // A bad source stops the command before any output.
    let bad = source("malformed/too-many-fields.csv");
    let (code, out, err) = run(&["impact", "pkgdb", "--observed", &bad]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("too-many-fields.csv:2:"), "{err}");
}

#[test]
fn example_catalog_reveals_an_undeclared_consumer() {
    let cat = example_catalog();
    let obs = cat.join("observed/jaeger-dependencies.json");
    let (code, out, err) = cli(&[
        "--catalog",
        cat.to_str().unwrap(),
        "drift",
        "--format",
        "json",
        "--observed",
        obs.to_str().unwrap(),
        "--fail-on",
        "undeclared",
    ]);
    assert_eq!(code, 3, "the example ships an undeclared consumer: {err}");
    let mut v: Value = serde_json::from_str(&out).unwrap();
    v["sources"][0]["source"] = json!("catalog/observed/jaeger-dependencies.json");
    for u in v["undeclared"].as_array_mut().unwrap() {
        u["source"] = json!("catalog/observed/jaeger-dependencies.json");
    }
    insta::assert_json_snapshot!("drift-example", v);
    assert_eq!(v["undeclared"][0]["callee"], "pkgdb");
}

// ---------------------------------------------------------------- URLs

/// Serves `response` (raw HTTP) to every connection on a loopback port; returns the URL base.
fn serve_once(response: Vec<u8>, connections: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(&response);
        }
    });
    format!("http://{addr}")
}

#[test]
fn urls_are_read_over_plain_http() {
    let body = std::fs::read(dir().join("jaeger.json")).unwrap();
    // Chunked, as Jaeger's Go server sends large answers.
    let mut resp =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for chunk in body.chunks(100) {
        resp.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        resp.extend_from_slice(chunk);
        resp.extend_from_slice(b"\r\n");
    }
    resp.extend_from_slice(b"0\r\n\r\n");
    let base = serve_once(resp, 1);
    let url = format!("{base}/api/dependencies?endTs=1763856000000&lookback=604800000");
    let (code, out, err) = run(&["drift", "--format", "json", "--observed", &url]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        without_sources(v.clone()),
        without_sources(drift_json(&["jaeger.json"]))
    );
    assert_eq!(
        (&v["sources"][0]["source"], &v["sources"][0]["format"]),
        (&json!(url), &json!("jaeger"))
    );

    let base = serve_once(
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
        1,
    );
    let (code, _, err) = run(&["drift", "--observed", &format!("{base}/api/dependencies")]);
    assert_eq!(code, 2);
    assert!(
        err.contains("the server answered HTTP 404 Not Found"),
        "{err}"
    );
}

#[test]
fn a_silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/metrics", listener.local_addr().unwrap());
    // Accepted by the kernel's backlog, never answered.
    let opts = ReadOptions {
        timeout: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let e = observed::read(std::slice::from_ref(&url), &opts).unwrap_err();
    assert!(e.message.contains("no answer within"), "{e}");
    assert!(e.to_string().starts_with(&url));
    drop(listener);
}

// ---------------------------------------------------------------- web

fn state_with(observed_files: &[&str]) -> AppState {
    let c = PathBuf::from(catalog());
    let sources: Vec<String> = observed_files.iter().map(|f| source(f)).collect();
    let data = observed::read(&sources, &ReadOptions::default()).unwrap();
    AppState::with_observed(
        load(&c),
        &c,
        Default::default(),
        Some((
            ObservedConfig {
                sources,
                read: ReadOptions::default(),
                unread: None,
            },
            data,
        )),
    )
    .unwrap()
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
fn system_page_shows_observed_callers_next_to_declared_ones() {
    let st = state_with(&["jaeger.json"]);
    let (status, html) = get(&st, "/systems/pkgdb");
    assert_eq!(status, 200);
    for wanted in [
        "Depended on by",
        "Observed callers",
        r#"<a href="/systems/taskotron">taskotron</a>"#,
        "observed, undeclared",
        "<strong>releng-cron</strong>",
        "not in the catalog",
        r#"<span class="pill good">declared</span>"#,
        // quiet declares pkgdb but is never seen calling it.
        "not seen in traffic",
    ] {
        assert!(html.contains(wanted), "missing {wanted:?}");
    }
    let (_, json) = get(&st, "/api/v1/systems/pkgdb");
    let v: Value = serde_json::from_str(&json).unwrap();
    let callers: Vec<(&str, bool, bool, u64)> = v["observed_callers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap(),
                o["known"].as_bool().unwrap(),
                o["declared"].as_bool().unwrap(),
                o["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        callers,
        vec![
            ("bodhi", true, true, 150),
            ("taskotron", true, false, 42),
            ("koji", true, true, 30),
            ("releng-cron", false, false, 12),
            ("mirror", true, true, 9),
            ("old-script", true, true, 4),
            ("mirorr", false, false, 1),
        ]
    );
    // Without observed sources, neither the section nor the field.
    let plain = AppState::new(
        load(Path::new(&catalog())),
        Path::new(&catalog()),
        Default::default(),
    )
    .unwrap();
    let (_, html) = get(&plain, "/systems/pkgdb");
    assert!(!html.contains("Observed callers"));
    let (_, json) = get(&plain, "/api/v1/systems/pkgdb");
    assert!(!json.contains("observed_callers"));
}

#[test]
fn impact_page_and_api_show_observed_consumers() {
    let st = state_with(&["jaeger.json"]);
    let (status, html) = get(&st, "/impact?target=pkgdb%2Fapi%402");
    assert_eq!(status, 200);
    assert!(html.contains("Observed, undeclared"), "{html}");
    assert!(html.contains("taskotron → pkgdb2"));
    assert!(html.contains("<strong>releng-cron</strong>"));
    let (_, json) = get(&st, "/api/v1/impact?target=pkgdb%2Fapi%402&at=2026-11-23");
    let mut api: Value = serde_json::from_str(&json).unwrap();
    // The API pages the lists (one page here); the CLI prints them whole.
    let page = api.as_object_mut().unwrap().remove("page").unwrap();
    assert!(page["next"].is_null(), "{page}");
    assert_eq!(
        api,
        impact_json(&["pkgdb/api@2", "--observed", &source("jaeger.json")])
    );
}

#[test]
fn drift_api_mirrors_the_cli() {
    let st = state_with(&["jaeger.json", "gateway.csv"]);
    let (status, json) = get(&st, "/api/v1/drift");
    assert_eq!(status, 200);
    let mut v: Value = serde_json::from_str(&json).unwrap();
    // The API pages the lists (one page here); the CLI prints them whole.
    let page = v.as_object_mut().unwrap().remove("page").unwrap();
    assert!(page["next"].is_null(), "{page}");
    assert_eq!(v, drift_json(&["jaeger.json", "gateway.csv"]));
    let plain = AppState::new(
        load(Path::new(&catalog())),
        Path::new(&catalog()),
        Default::default(),
    )
    .unwrap();
    let (status, json) = get(&plain, "/api/v1/drift");
    assert_eq!(status, 404);
    assert!(json.contains("cairn serve --observed"), "{json}");
}

#[test]
fn reload_rereads_observed_sources_and_keeps_the_last_good_read() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir().join("catalog/catalog.yaml"),
        tmp.path().join("catalog.yaml"),
    )
    .unwrap();
    let traffic = tmp.path().join("traffic.csv");
    std::fs::write(&traffic, "taskotron,pkgdb2,5\n").unwrap();
    let sources = vec![traffic.to_string_lossy().into_owned()];
    let data = observed::read(&sources, &ReadOptions::default()).unwrap();
    let st = AppState::with_observed(
        load(tmp.path()),
        tmp.path(),
        Default::default(),
        Some((
            ObservedConfig {
                sources,
                read: ReadOptions::default(),
                unread: None,
            },
            data,
        )),
    )
    .unwrap();
    let count = |st: &AppState| {
        let (_, json) = get(st, "/api/v1/drift");
        let v: Value = serde_json::from_str(&json).unwrap();
        v["summary"]["undeclared_calls"].as_u64().unwrap()
    };
    assert_eq!(count(&st), 5);
    std::fs::write(&traffic, "taskotron,pkgdb2,5\ntaskotron,pkgdb2,6\n").unwrap();
    assert!(st.reload());
    assert_eq!(count(&st), 11);
    // A broken export keeps the previous read, and the system page says so.
    std::fs::write(&traffic, "taskotron\n").unwrap();
    assert!(st.reload());
    assert_eq!(count(&st), 11);
    let (_, html) = get(&st, "/systems/pkgdb");
    assert!(html.contains("could not be re-read"), "{html}");
    assert!(html.contains("traffic.csv:1:1: expected 2 to 5 fields"));
}

#[test]
fn observed_names_are_escaped_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        dir().join("catalog/catalog.yaml"),
        tmp.path().join("catalog.yaml"),
    )
    .unwrap();
    let traffic = tmp.path().join("traffic.csv");
    std::fs::write(
        &traffic,
        "\"<script>alert(1)</script>\",pkgdb2,3\n\"**bold** [x](javascript:y)\",pkgdb2,1\n",
    )
    .unwrap();
    let sources = vec![traffic.to_string_lossy().into_owned()];
    let data = observed::read(&sources, &ReadOptions::default()).unwrap();
    let st = AppState::with_observed(
        load(tmp.path()),
        tmp.path(),
        Default::default(),
        Some((
            ObservedConfig {
                sources,
                read: ReadOptions::default(),
                unread: None,
            },
            data,
        )),
    )
    .unwrap();
    for uri in ["/systems/pkgdb", "/impact?target=pkgdb"] {
        let (status, html) = get(&st, uri);
        assert_eq!(status, 200);
        assert!(!html.contains("<script>alert"), "{uri}");
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{uri}"
        );
    }
    let (_, md, _) = cli(&[
        "--catalog",
        tmp.path().to_str().unwrap(),
        "impact",
        "pkgdb",
        "--format",
        "md",
        "--observed",
        traffic.to_str().unwrap(),
    ]);
    assert!(md.contains(r"\*\*bold\*\* \[x\](javascript:y)"), "{md}");
    assert!(md.contains(r"\<script\>alert(1)\</script\>"), "{md}");
}

#[test]
fn the_settings_document_names_the_default_sources() {
    let cat = example_catalog();
    let c = load(&cat);
    assert_eq!(
        c.settings.as_ref().map(|s| s.observed.clone()),
        Some(vec!["observed/jaeger-dependencies.json".to_string()])
    );
    let (code, out, err) = cli(&[
        "--catalog",
        cat.to_str().unwrap(),
        "drift",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["undeclared"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["caller"] == "taskotron"),
        "{v}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.yaml"), "kind: team\nname: t\n").unwrap();
    let (code, _, err) = cli(&["--catalog", dir.path().to_str().unwrap(), "drift"]);
    assert_eq!(code, 2);
    assert!(err.contains("no observed traffic"), "{err}");
}

/// A FIFO named as an observed-traffic source is refused at once, never waited on (it hung
/// `cairn drift` forever, and under `serve` stopped live reload for good).
#[cfg(unix)]
#[test]
fn a_fifo_named_as_a_source_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("traffic.json");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let e = observed::read(
        &[fifo.to_string_lossy().into_owned()],
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("is a FIFO, not a regular file"),
        "{e}"
    );
}

/// `/api/v1/drift` pages `undeclared`, `stale` and `unknown` in step; `summary` counts them all
/// on every page, `sources` is on every page whole.
#[test]
fn drift_lists_are_paged_in_step() {
    let tmp = tempfile::tempdir().unwrap();
    let mut y = String::from("kind: team\nname: t\n");
    for i in 0..8 {
        y.push_str(&format!("---\nkind: system\nname: s{i}\nowner: t\n"));
        if i < 7 {
            y.push_str(&format!("depends_on: [s{}]\n", i + 1));
        }
    }
    std::fs::write(tmp.path().join("catalog.yaml"), y).unwrap();
    // s0 → s1 is declared and seen; the other six declarations are stale; six undeclared
    // pairs; four unknown callers.
    let mut t = String::from("caller,callee,api,count,last_seen\ns0,s1,,1,\n");
    for i in 0..6 {
        t.push_str(&format!("s{i},s{},,{},\n", i + 2, 10 + i));
    }
    for k in 0..4 {
        t.push_str(&format!("ghost-{k},s0,,{},\n", k + 1));
    }
    let traffic = tmp.path().join("traffic.csv");
    std::fs::write(&traffic, t).unwrap();
    let sources = vec![traffic.to_string_lossy().into_owned()];
    let data = observed::read(&sources, &ReadOptions::default()).unwrap();
    let st = AppState::with_observed(
        load(tmp.path()),
        tmp.path(),
        Default::default(),
        Some((
            ObservedConfig {
                sources,
                read: ReadOptions::default(),
                unread: None,
            },
            data,
        )),
    )
    .unwrap();
    let page = |uri: &str| {
        let (status, json) = get(&st, uri);
        (status, serde_json::from_str::<Value>(&json).unwrap())
    };
    let lists = ["undeclared", "stale", "unknown"];
    let (_, all) = page("/api/v1/drift");
    let whole: Vec<Vec<Value>> = lists
        .iter()
        .map(|l| all[*l].as_array().unwrap().clone())
        .collect();
    assert_eq!(
        whole.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![6, 6, 4],
        "{all}"
    );
    for limit in [1, 2, 5] {
        let mut got = vec![Vec::new(); lists.len()];
        let mut uri = format!("/api/v1/drift?limit={limit}");
        let mut pages = 0;
        loop {
            let (status, v) = page(&uri);
            assert_eq!(status, 200, "{uri}: {v}");
            assert_eq!(v["summary"], all["summary"], "{uri}");
            assert_eq!(v["sources"], all["sources"], "{uri}");
            assert_eq!(v["page"]["offset"], pages * limit, "{uri}");
            pages += 1;
            for (k, l) in lists.iter().enumerate() {
                let items = v[*l].as_array().unwrap();
                assert!(items.len() <= limit, "{uri}");
                got[k].extend(items.iter().cloned());
            }
            match v["page"]["next"].as_str() {
                Some(next) => uri = next.to_string(),
                None => break,
            }
        }
        assert_eq!(got, whole, "limit={limit}");
        assert_eq!(pages, 6usize.div_ceil(limit));
    }
    for bad in ["limit=0", "limit=1001", "limit=ten", "offset=-1"] {
        let (status, v) = page(&format!("/api/v1/drift?{bad}"));
        assert_eq!(status, 400, "{bad}: {v}");
        assert!(v["error"]["message"].is_string(), "{v}");
    }
}

/// Issue #24 point 6: a source inside the catalog is named relative to it, as the settings
/// write it, never by the server's absolute path; one outside it is named as given.
#[test]
fn sources_in_the_catalog_are_named_relative_to_it() {
    let cat = example_catalog().canonicalize().unwrap();
    for extra in [None, Some(cat.join("observed/jaeger-dependencies.json"))] {
        let mut args = vec![
            "--catalog".to_string(),
            cat.to_string_lossy().into_owned(),
            "drift".into(),
            "--format".into(),
            "json".into(),
        ];
        if let Some(p) = &extra {
            args.extend(["--observed".into(), p.to_string_lossy().into_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, out, err) = cli(&args);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        assert_eq!(
            v["sources"][0]["source"],
            json!("observed/jaeger-dependencies.json"),
            "{v}"
        );
        let undeclared = v["undeclared"].as_array().unwrap();
        assert!(!undeclared.is_empty());
        for u in undeclared {
            assert_eq!(
                u["source"],
                json!("observed/jaeger-dependencies.json"),
                "{u}"
            );
        }
        assert!(!out.contains(cat.to_str().unwrap()), "{out}");
    }
    // Outside the catalog: as given.
    let outside = source("jaeger.json");
    let (_, out, err) = run(&["drift", "--format", "json", "--observed", &outside]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    assert_eq!(v["sources"][0]["source"], json!(outside));
}

/// One system seen under thousands of names (aliases a committer can write): every name pair
/// is listed once, sorted, in drift and in impact's observed consumers. A search of the list
/// per edge made this quadratic.
#[test]
fn many_names_of_one_system_are_listed_once_each() {
    let dir = tempfile::tempdir().unwrap();
    let n = 3_000;
    let aliases: Vec<String> = (0..n).map(|i| format!("x{i:05}")).collect();
    std::fs::write(
        dir.path().join("catalog.yaml"),
        format!(
            "kind: team\nname: t\n---\nkind: system\nname: x\nowner: t\naliases: [{}]\n---\nkind: system\nname: y\nowner: t\n",
            aliases.join(", ")
        ),
    )
    .unwrap();
    let mut csv = String::from("caller,callee,count\n");
    for a in aliases.iter().rev() {
        csv.push_str(&format!("{a},y,1\n{a},y,1\n"));
    }
    let traffic = dir.path().join("traffic.csv");
    std::fs::write(&traffic, csv).unwrap();
    let (code, out, err) = cli(&[
        "--catalog",
        dir.path().to_str().unwrap(),
        "drift",
        "--format",
        "json",
        "--observed",
        traffic.to_str().unwrap(),
    ]);
    assert!(code == 0 || code == 3, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let u = &v["undeclared"][0];
    assert_eq!(u["count"], json!(2 * n));
    let names: Vec<&str> = u["observed_as"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(names.len(), n, "each pair once");
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted");
    assert_eq!(names[0], "x00000 → y");
}
