//! The OpenAPI document (`src/web/openapi.json`) against the API it describes.
//!
//! Every route is called in-process, on several catalogs, for successes and errors, and every
//! body is validated against the schema the document declares for that path and status. The
//! validator is strict: a property the schema does not declare fails, so the document cannot
//! drift from the code. It is a small subset of JSON Schema written here (no dependency), it
//! refuses keywords it does not understand, and it is itself tested against wrong bodies and
//! wrong documents so it cannot pass vacuously.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use cairn::web::{router, AppState};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::support::*;

const DOC: &str = include_str!("../../src/web/openapi.json");
const ROUTER: &str = include_str!("../../src/web/mod.rs");

/// A fixed day, so on-call answers do not depend on when the test runs.
const AT: &str = "2026-11-23";

fn doc() -> Value {
    serde_json::from_str(DOC).expect("src/web/openapi.json is JSON")
}

fn state_for(dir: &Path) -> AppState {
    AppState::new(load(dir), dir, Default::default()).expect("state builds")
}

/// A state holding the catalog in `dir` against observed traffic read from `sources`.
fn observed_state_for(dir: &Path, sources: &[std::path::PathBuf]) -> AppState {
    let sources: Vec<String> = sources
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let read = cairn::observed::ReadOptions::default();
    let data = cairn::observed::read(&sources, &read).expect("observed sources read");
    let cfg = cairn::web::ObservedConfig {
        sources,
        read,
        unread: None,
    };
    AppState::with_observed(load(dir), dir, Default::default(), Some((cfg, data)))
        .expect("state builds")
}

/// One request per documented path that answers 200 on the example catalog; the error sweeps
/// add bad parameters and unknown names to these.
const BASES: [(&str, &str); 12] = [
    ("/api/v1/systems", "/api/v1/systems"),
    ("/api/v1/systems/{name}", "/api/v1/systems/pkgdb"),
    ("/api/v1/teams", "/api/v1/teams"),
    ("/api/v1/teams/{name}", "/api/v1/teams/releng"),
    ("/api/v1/search", "/api/v1/search?q=koji"),
    ("/api/v1/impact", "/api/v1/impact?target=pkgdb"),
    ("/api/v1/deps/{name}", "/api/v1/deps/bodhi"),
    ("/api/v1/graph", "/api/v1/graph"),
    ("/api/v1/score", "/api/v1/score"),
    ("/api/v1/oncall", "/api/v1/oncall"),
    ("/api/v1/diagnostics", "/api/v1/diagnostics"),
    ("/api/v1/openapi.json", "/api/v1/openapi.json"),
];

/// A catalog with the optional parts the fixtures always fill in left out. `orphan` has no
/// owner (an error, but a catalog with errors is still served until it is fixed).
const ODD_SHAPES: &str = "\
kind: team
name: solo
oncall: { lead: boss }
---
kind: team
name: pair
oncall:
  rotation: { start: 2026-01-05, every: 1w, order: [only] }
---
kind: system
name: orphan
provides:
  - name: api
    version: 1
    consumers: [{ name: somebody outside }]
consumes: [hub/api@1]
---
kind: system
name: hub
owner: solo
provides: [{ name: api, version: 1 }]
depends_on: [orphan]
---
kind: system
name: leaf
owner: pair
consumes: [orphan/api@1]
";

/// Observed traffic between systems with and without owners and tiers, an unknown caller and a
/// near-miss name: every nullable field of the drift shapes is null somewhere and set elsewhere.
const OBSERVED_SHAPES: &str = "\
kind: team
name: solo
---
kind: system
name: orphan
provides: [{ name: api, version: 1 }]
consumes: [hub/api@1]
---
kind: system
name: hub
owner: solo
provides: [{ name: api, version: 1 }]
depends_on: [orphan]
---
kind: system
name: leaf
owner: solo
tier: 2
";
const OBSERVED_TRAFFIC: &str = "\
caller,callee,api,count,last_seen
leaf,orphan,api@1,3,2026-11-20
orphan,leaf,,2,
leaf,hub,,1,
stranger,hub,,4,
hubb,leaf,,1,
";

#[test]
fn every_api_route_is_documented_and_every_documented_path_is_routed() {
    let doc = doc();
    let documented: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    // The JSON API's routes, and the operations routes (probes, metrics) of the `ops` router.
    let ops_start = ROUTER
        .find("let ops = Router::new()")
        .expect("an ops router");
    let ops = &ROUTER[ops_start..ops_start + ROUTER[ops_start..].find(';').unwrap()];
    let routed: BTreeSet<&str> = ROUTER
        .match_indices("\"/api/v1/")
        .map(|(i, _)| {
            let rest = &ROUTER[i + 1..];
            &rest[..rest.find('"').unwrap()]
        })
        .chain(ops.match_indices(".route(\"").map(|(i, _)| {
            let rest = &ops[i + 8..];
            &rest[..rest.find('"').unwrap()]
        }))
        // The catch-all answers 404 for everything else; OpenAPI has no way to describe it.
        .filter(|r| !r.contains("{*"))
        .collect();
    assert!(
        ["/healthz", "/readyz", "/metrics"]
            .iter()
            .all(|r| routed.contains(r)),
        "{routed:?}"
    );
    assert!(
        routed.len() >= 10,
        "found too few routes in src/web/mod.rs: {routed:?}"
    );
    assert_eq!(
        routed, documented,
        "routes in src/web/mod.rs vs paths in openapi.json"
    );
    assert_eq!(doc["openapi"], "3.0.3");
}

#[test]
fn every_response_matches_the_document() {
    let doc = doc();
    let api = Api::new(&doc);

    // The example catalog: every path, then every system, team, API and endpoint.
    let st = state_for(&example_catalog());
    for (path, uri) in BASES {
        api.check(&st, path, uri, 200);
    }
    api.sweep(&st);
    for uri in [
        "/api/v1/search",
        "/api/v1/search?q=",
        "/api/v1/search?q=owner%3Areleng",
        "/api/v1/search?q=tier%3A1+kind%3Aapi",
        "/api/v1/search?q=wallpaper&limit=1&offset=1",
        "/api/v1/search?q=critpath&limit=200",
        "/api/v1/search?q=runbook",
        "/api/v1/search?q=%22unbalanced",
        "/api/v1/search?q=-koji",
    ] {
        api.check(&st, "/api/v1/search", uri, 200);
    }
    for uri in [
        "/api/v1/graph?focus=bodhi&depth=1",
        "/api/v1/graph?focus=bodhi2",
        "/api/v1/graph?team=releng",
        "/api/v1/graph?domain=packaging",
        "/api/v1/graph?tier=1",
        "/api/v1/graph?team=nobody",
    ] {
        api.check(&st, "/api/v1/graph", uri, 200);
    }
    for uri in [
        "/api/v1/impact?target=pkgdb%2Fapi%402&endpoint=GET+%2Fapi%2Fcritpath&at=2026-11-23",
        "/api/v1/impact?target=pkgdb%2Fapi%402+GET+%2Fapi%2Fcritpath",
        "/api/v1/impact?target=fas&max_depth=1",
        "/api/v1/impact?target=fas&direct_only=true",
        "/api/v1/impact?target=bodhi2",
        "/api/v1/impact?target=fas&limit=1",
        "/api/v1/impact?target=fas&limit=2&offset=1",
    ] {
        api.check(&st, "/api/v1/impact", uri, 200);
    }
    api.check(
        &st,
        "/api/v1/deps/{name}",
        "/api/v1/deps/bodhi?max_depth=1",
        200,
    );
    api.check(&st, "/api/v1/systems/{name}", "/api/v1/systems/bodhi2", 200);

    // Operations: the probes, the metrics (text), and each with the server stopping or
    // metrics off.
    api.check(&st, "/healthz", "/healthz", 200);
    api.check(&st, "/readyz", "/readyz", 200);
    api.check_text(&st, "/metrics", "/metrics", 200);
    // Just started, the first search index still being built: every answer but search is
    // served, and search waits a while, then answers 503 with `Retry-After`.
    let snapshot = cairn::web::Snapshot::new(load(&example_catalog()));
    snapshot.hold_search_index();
    let building = AppState::from(
        cairn::web::Served::start(
            snapshot,
            Default::default(),
            &example_catalog(),
            Default::default(),
            None,
        )
        .unwrap(),
    );
    let ready = api.check(&building, "/readyz", "/readyz", 200);
    assert_eq!(ready["search"], "building", "{ready:#}");
    let d = api.check(&building, "/api/v1/diagnostics", "/api/v1/diagnostics", 200);
    assert_eq!(d["search_index"]["status"], "building", "{d:#}");
    assert_eq!(d["search_index"]["storage"], Value::Null, "{d:#}");
    let refused = api.check(&building, "/api/v1/search", "/api/v1/search?q=koji", 503);
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("still being built")),
        "{refused:#}"
    );
    api.check(
        &building,
        "/api/v1/systems/{name}",
        "/api/v1/systems/koji",
        200,
    );
    let stopping = state_for(&example_catalog());
    stopping.set_stopping();
    api.check(&stopping, "/readyz", "/readyz", 503);
    let quiet = state_for(&example_catalog()).without_metrics();
    api.check_text(&quiet, "/metrics", "/metrics", 404);

    // Errors: every integer or date parameter refuses garbage, every name can be unknown.
    api.bad_parameters(&st);
    for (uri, status) in [
        ("/api/v1/impact", 400),
        ("/api/v1/impact?target=+", 400),
        ("/api/v1/impact?target=Not%20A%20Target", 400),
        (
            "/api/v1/impact?target=pkgdb%2Fapi%402&endpoint=critpath",
            400,
        ),
        ("/api/v1/impact?target=pkgdb%2Fapi%409", 404),
        (
            "/api/v1/impact?target=pkgdb%2Fapi%402&endpoint=GET+%2Fnope",
            404,
        ),
        ("/api/v1/impact?target=nope", 404),
        ("/api/v1/impact?target=pkgdb&max_depth=-1", 400),
        ("/api/v1/impact?target=pkgdb&limit=1001", 400),
        ("/api/v1/search?q=x&limit=-5", 400),
    ] {
        let path = uri.split('?').next().unwrap();
        api.check(&st, path, uri, status);
    }
    api.check(&st, "/api/v1/graph", "/api/v1/graph?focus=nope", 404);
    api.check(
        &st,
        "/api/v1/systems",
        "/api/v1/systems?limit=5&offset=10",
        200,
    );
    api.check(&st, "/api/v1/systems", "/api/v1/systems?limit=5000", 400);
    for (uri, status) in [
        ("/api/v1/score?min_level=silver", 200),
        ("/api/v1/score?limit=2&offset=4", 200),
        ("/api/v1/score?limit=0", 400),
        ("/api/v1/score?team=releng&min_level=gold", 200),
        ("/api/v1/score?system=bodhi2", 200),
        ("/api/v1/score?system=nope", 404),
        ("/api/v1/score?team=nope", 404),
        ("/api/v1/score?min_level=platinum", 400),
        ("/api/v1/oncall?team=qa&at=2026-01-19", 200),
        ("/api/v1/oncall?limit=2&offset=1", 200),
        ("/api/v1/oncall?limit=1001", 400),
        ("/api/v1/oncall?system=nope", 404),
        ("/api/v1/oncall?team=nope", 404),
        ("/api/v1/oncall?system=bodhi&team=qa", 400),
    ] {
        let path = uri.split('?').next().unwrap();
        api.check(&st, path, uri, status);
    }
    api.check(&st, "/api/v1/graph", "/api/v1/graph?tier=300", 400);
    for (uri, status) in [
        ("/api/v1/graph?limit=2&offset=3", 200),
        ("/api/v1/graph?team=releng&limit=1", 200),
        ("/api/v1/graph?offset=100000", 200),
        ("/api/v1/graph?limit=5001", 400),
        ("/api/v1/graph?limit=0", 400),
    ] {
        api.check(&st, "/api/v1/graph", uri, status);
    }
    // The catch-all is not a documented path, but its body is still an `Error`.
    let (status, ctype, body) = api.get(&st, "/api/v1/nothing/here");
    assert_eq!((status, ctype.as_str()), (404, "application/json"));
    api.assert_valid(
        &json!({"$ref": "#/components/schemas/Error"}),
        &body,
        "/api/v1/nothing/here",
    );

    // The other fixture catalogs, including broken ones: odd but servable shapes.
    let mut dirs = vec![data_dir().join("impact"), data_dir().join("hostile-web")];
    for kind in ["valid", "invalid"] {
        dirs.extend(
            cases(&data_dir().join(kind))
                .iter()
                .map(|c| data_dir().join(kind).join(c)),
        );
    }
    for dir in &dirs {
        let st = state_for(dir);
        api.sweep(&st);
        api.check(&st, "/api/v1/diagnostics", "/api/v1/diagnostics", 200);
        api.check(&st, "/api/v1/graph", "/api/v1/graph", 200);
        api.check(&st, "/api/v1/search", "/api/v1/search?q=a", 200);
    }

    // Shapes no fixture has: null owners, external consumers without contact, partial on-call.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalog.yaml"), ODD_SHAPES).unwrap();
    let st = state_for(dir.path());
    api.sweep(&st);

    // On-call from iCalendar feeds: times with their zones, a handover at a time, a feed gap
    // (no primary), a named feed nobody mapped (a feed with an error, its role from the rotation).
    let ical = data_dir().join("ical/set");
    let st = state_for(&ical);
    api.sweep(&st);
    for at in [
        "2026-03-04T15:00:00Z",
        "2026-03-21T15:00:00Z",
        "2026-04-14T12:00:00Z",
    ] {
        let v = api.check(
            &st,
            "/api/v1/oncall",
            &format!("/api/v1/oncall?team=set&at={at}"),
            200,
        );
        assert_eq!(v["teams"][0]["feeds"][0]["error"], Value::Null, "{v}");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("oncall")).unwrap();
    for f in ["set-primary.ics", "set-lead.ics"] {
        std::fs::copy(
            ical.join("oncall").join(f),
            dir.path().join("oncall").join(f),
        )
        .unwrap();
    }
    let yaml = std::fs::read_to_string(ical.join("set.yaml")).unwrap();
    std::fs::write(
        dir.path().join("set.yaml"),
        yaml.replace("feed: oncall/set-backup.ics", "feed: set-backup"),
    )
    .unwrap();
    let st = state_for(dir.path());
    let v = api.check(
        &st,
        "/api/v1/oncall",
        "/api/v1/oncall?system=community&at=2026-03-04T10:00:00-05:00",
        200,
    );
    assert!(v["teams"][0]["feeds"][1]["error"].is_string(), "{v}");

    // Reload state: a broken edit on disk, then a catalog that cannot be read at all.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog.yaml");
    std::fs::copy(data_dir().join("impact/catalog.yaml"), &file).unwrap();
    let st = state_for(dir.path());
    std::fs::write(&file, "kind: system\nname: broken\nowner: [unclosed\n").unwrap();
    // A consequence of the syntax error: a reference to what the broken file declares.
    std::fs::write(
        dir.path().join("user.yaml"),
        "kind: system\nname: user\nowner: core\ndepends_on: [broken]\n",
    )
    .unwrap();
    assert!(st.reload());
    let v = api.check(&st, "/api/v1/diagnostics", "/api/v1/diagnostics", 200);
    assert_eq!(v["serving_last_good"], false, "{v}");
    assert_eq!(v["held"][0]["file"], "catalog.yaml", "{v}");
    assert!(v["held"][0]["since"].is_string(), "{v}");
    assert_eq!(v["diagnostics"][1]["cause"], "catalog.yaml:4:1", "{v}");
    assert_ne!(v["diagnostics"], json!([]), "{v}");
    let first = api.check(
        &st,
        "/api/v1/diagnostics",
        "/api/v1/diagnostics?limit=1",
        200,
    );
    assert!(first["page"]["next"].is_string(), "{first}");
    api.check(
        &st,
        "/api/v1/diagnostics",
        "/api/v1/diagnostics?limit=1&offset=1",
        200,
    );
    api.check(
        &st,
        "/api/v1/diagnostics",
        "/api/v1/diagnostics?limit=5001",
        400,
    );
    std::fs::remove_dir_all(dir.path()).unwrap();
    assert!(!st.reload());
    let v = api.check(&st, "/api/v1/diagnostics", "/api/v1/diagnostics", 200);
    assert!(v["load_error"].is_string(), "{v}");

    // Observed traffic: `/api/v1/drift`, `observed_callers` of systems, `observed` in impact.
    api.check(
        &state_for(&example_catalog()),
        "/api/v1/drift",
        "/api/v1/drift",
        404,
    );
    let observed = data_dir().join("observed");
    for (dir, sources) in [
        (
            example_catalog(),
            vec![example_catalog().join("observed/jaeger-dependencies.json")],
        ),
        (
            observed.join("catalog"),
            vec![observed.join("jaeger.json"), observed.join("gateway.csv")],
        ),
    ] {
        let st = observed_state_for(&dir, &sources);
        api.sweep(&st);
        api.check(&st, "/api/v1/drift", "/api/v1/drift", 200);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalog.yaml"), OBSERVED_SHAPES).unwrap();
    let traffic = dir.path().join("traffic.csv");
    std::fs::write(&traffic, OBSERVED_TRAFFIC).unwrap();
    let st = observed_state_for(dir.path(), &[traffic]);
    api.sweep(&st);
    let v = api.check(&st, "/api/v1/drift", "/api/v1/drift", 200);
    assert_eq!(v["summary"]["undeclared_count"], 3, "{v}");
    let v = api.check(&st, "/api/v1/drift", "/api/v1/drift?limit=1", 200);
    assert!(v["page"]["next"].is_string(), "{v}");
    api.check(&st, "/api/v1/drift", "/api/v1/drift?limit=2&offset=1", 200);
    api.check(&st, "/api/v1/drift", "/api/v1/drift?limit=1001", 400);

    // A chain longer than a "why" path names: `path_left_out`, with a consumer observed at
    // its far end.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalog.yaml"), cairn::hostile::chain(24)).unwrap();
    let traffic = dir.path().join("traffic.csv");
    std::fs::write(&traffic, "caller,callee,count\nghost,s23,3\n").unwrap();
    let st = observed_state_for(dir.path(), &[traffic]);
    let v = api.check(&st, "/api/v1/impact", "/api/v1/impact?target=s0", 200);
    assert_eq!(v["observed"][0]["path_left_out"], 8, "{v}");
    let v = api.check(&st, "/api/v1/deps/{name}", "/api/v1/deps/s23", 200);
    assert!(v.to_string().contains("path_left_out"), "{v}");

    // A catalog read from sources: a git repository with an edit-link pattern, a directory,
    // and a repository that cannot be fetched (never read).
    let fx = crate::sources::Fixture::openapi();
    let st = fx.state(Some("s3cret"));
    api.sweep(&st);
    let v = api.check(&st, "/api/v1/sources", "/api/v1/sources", 200);
    assert_eq!(v["sources"].as_array().unwrap().len(), 3, "{v}");
    api.check(&st, "/api/v1/diagnostics", "/api/v1/diagnostics", 200);
    let v = api.check(&st, "/api/v1/systems/{name}", "/api/v1/systems/app", 200);
    assert_eq!(v["source"]["source"], "app", "{v}");
    let refresh = "/api/v1/sources/{name}/refresh";
    let sig = cairn::sources::webhook::sign(b"s3cret", b"{}");
    let signed = [("x-hub-signature-256", sig.as_str())];
    api.post(
        &st,
        refresh,
        "/api/v1/sources/app/refresh",
        &signed,
        "{}",
        202,
    );
    api.post(
        &st,
        refresh,
        "/api/v1/sources/app/refresh",
        &[("x-hub-signature-256", "sha256=00")],
        "{}",
        401,
    );
    api.post(
        &st,
        refresh,
        "/api/v1/sources/nope/refresh",
        &signed,
        "{}",
        404,
    );
    // Off without a secret; not there without sources.
    api.post(
        &fx.state(None),
        refresh,
        "/api/v1/sources/app/refresh",
        &signed,
        "{}",
        404,
    );
    api.post(
        &state_for(&example_catalog()),
        refresh,
        "/api/v1/sources/app/refresh",
        &signed,
        "{}",
        404,
    );
    api.check(
        &state_for(&example_catalog()),
        "/api/v1/sources",
        "/api/v1/sources",
        200,
    );

    api.assert_everything_exercised();
}

#[test]
fn the_validator_rejects_bodies_the_document_does_not_describe() {
    let doc = doc();
    let api = Api::new(&doc);
    let st = state_for(&example_catalog());
    let good = api.check(
        &st,
        "/api/v1/systems/{name}",
        "/api/v1/systems/pkgdb?at=2026-11-23",
        200,
    );
    let schema = json!({"$ref": "#/components/schemas/SystemView"});
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit, &str); 14] = [
        (
            "an extra property",
            |v| v["surprise"] = json!(1),
            "$.surprise: property not declared",
        ),
        (
            "an extra nested property",
            |v| v["owner"]["contacts"]["fax"] = json!("1"),
            "$.owner.contacts.fax: property not declared",
        ),
        (
            "a float for an integer",
            |v| v["line"] = json!(1.5),
            "$.line: expected integer",
        ),
        (
            "a string for an integer",
            |v| v["tier"] = json!("1"),
            "$.tier: expected integer",
        ),
        (
            "null where not nullable",
            |v| v["name"] = Value::Null,
            "$.name: expected string",
        ),
        (
            "a missing required property",
            |v| drop(v.as_object_mut().unwrap().remove("tags")),
            "$: missing required property `tags`",
        ),
        (
            "a value outside the enum",
            |v| v["lifecycle"] = json!("beta"),
            "$.lifecycle: \"beta\" is not one of",
        ),
        (
            "a number above the maximum",
            |v| v["tier"] = json!(7),
            "$.tier: 7 is above the maximum 3",
        ),
        (
            "a malformed date",
            |v| v["owner"]["oncall"]["date"] = json!("tomorrow"),
            "$.owner.oncall.date: \"tomorrow\" is not a date",
        ),
        (
            "a wrong map value",
            |v| v["environments"]["prod"] = json!(3),
            "$.environments.prod: expected string",
        ),
        (
            "both doc ref forms",
            |v| v["runbook"] = json!({"path": "a", "url": "b"}),
            "$.runbook: matches 0 of the oneOf",
        ),
        (
            "a wrong item",
            |v| v["tags"] = json!(["ok", 2]),
            "$.tags[1]: expected string",
        ),
        (
            "an object for an array",
            |v| v["provides"] = json!({}),
            "$.provides: expected array",
        ),
        (
            "a wrong deep enum",
            |v| v["provides"][0]["consumers"][0]["declared_by"] = json!("me"),
            "declared_by: \"me\" is not one of",
        ),
    ];
    assert_eq!(api.validator.errors(&schema, &good), Vec::<String>::new());
    for (what, edit, expected) in cases {
        let mut bad = good.clone();
        edit(&mut bad);
        let errors = api.validator.errors(&schema, &bad);
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{what}: expected `{expected}`, got {errors:?}"
        );
    }
}

#[test]
fn the_validator_rejects_documents_it_cannot_check() {
    let doc = json!({"components": {"schemas": {
        "Strange": {"type": "object", "properties": {"a": {"type": "string", "pattern": "x"}}, "required": ["a"]},
        "Sibling": {"$ref": "#/components/schemas/Strange", "nullable": true},
        "Dangling": {"$ref": "#/components/schemas/Nowhere"},
        "Undeclared": {"type": "object", "properties": {}, "required": ["b"]},
        "Bare": {"type": "array"},
        "Both": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
        "Map": {"type": "object", "additionalProperties": {"type": "integer"}},
        "Open": {"type": "object"},
        "Empty": {"type": "object", "properties": {"a": {"type": "string"}}, "required": []},
    }}});
    let v = Validator::new(&doc);
    let errors = |name: &str, value: Value| {
        v.errors(
            &json!({"$ref": format!("#/components/schemas/{name}")}),
            &value,
        )
        .join("\n")
    };
    assert!(errors("Strange", json!({"a": "x"})).contains("unsupported schema keyword `pattern`"));
    assert!(errors("Sibling", json!({"a": "x"})).contains("siblings of `$ref`"));
    assert!(errors("Dangling", json!(1)).contains("dangling $ref"));
    assert!(errors("Undeclared", json!({"b": 1})).contains("`b` is required but not declared"));
    assert!(errors("Bare", json!([])).contains("array schema without `items`"));
    assert!(errors("Both", json!(1)).contains("matches 2 of the oneOf"));
    assert!(errors("Empty", json!({})).contains("`required` must not be empty"));
    assert!(errors("Map", json!({"x": "1"})).contains("$.x: expected integer"));
    assert_eq!(errors("Map", json!({"x": 1, "y": 2})), "");
    assert_eq!(
        errors("Open", json!({"anything": [1, {}]})),
        "",
        "an object schema without properties is a free-form map"
    );
}

/// Calls the API in-process and validates every answer against the document, remembering
/// what was exercised so the test can insist on all of it.
struct Api<'d> {
    doc: &'d Value,
    validator: Validator<'d>,
    rt: tokio::runtime::Runtime,
    /// `PATH STATUS` and `PATH ?param` seen.
    exercised: RefCell<BTreeSet<String>>,
}

impl<'d> Api<'d> {
    fn new(doc: &'d Value) -> Api<'d> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Api {
            doc,
            validator: Validator::new(doc),
            rt,
            exercised: RefCell::default(),
        }
    }

    /// Status, content type and JSON body of `GET uri`.
    fn get(&self, state: &AppState, uri: &str) -> (u16, String, Value) {
        self.rt.block_on(async {
            let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
            let resp = router(state.clone()).oneshot(req).await.unwrap();
            let status = resp.status().as_u16();
            let ctype = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            let body = serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("GET {uri}: {e}: {}", String::from_utf8_lossy(&bytes)));
            (status, ctype, body)
        })
    }

    /// GETs `uri`, an instance of the documented `path`, expects `status`, and validates the
    /// body against the schema the document declares for that path and status.
    fn check(&self, state: &AppState, path: &str, uri: &str, status: u16) -> Value {
        let (p, query) = uri.split_once('?').unwrap_or((uri, ""));
        assert!(is_instance(path, p), "{uri} is not an instance of {path}");
        let op = &self.doc["paths"][path]["get"];
        assert!(op.is_object(), "the document has no GET {path}");
        let declared = self.query_parameters(path);
        for pair in query.split('&').filter(|s| !s.is_empty()) {
            let name = pair.split('=').next().unwrap();
            assert!(
                declared.iter().any(|(n, _)| n == name),
                "{uri}: `{name}` is not a documented parameter of {path}"
            );
            self.exercised
                .borrow_mut()
                .insert(format!("{path} ?{name}"));
        }
        let (got, ctype, body) = self.get(state, uri);
        assert_eq!(got, status, "GET {uri}: {body}");
        assert_eq!(ctype, "application/json", "GET {uri}");
        let response = self.resolve(&op["responses"][status.to_string()]);
        let schema = &response["content"]["application/json"]["schema"];
        assert!(
            schema.is_object(),
            "the document declares no JSON body for GET {path} {status}"
        );
        self.assert_valid(schema, &body, uri);
        self.exercised
            .borrow_mut()
            .insert(format!("{path} {status}"));
        body
    }

    /// POSTs `body` with `headers` to `uri`, an instance of the documented `path`, expects
    /// `status`, and validates the answer against the document's POST operation.
    fn post(
        &self,
        state: &AppState,
        path: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: &str,
        status: u16,
    ) -> Value {
        assert!(is_instance(path, uri), "{uri} is not an instance of {path}");
        let op = &self.doc["paths"][path]["post"];
        assert!(op.is_object(), "the document has no POST {path}");
        let (got, body) = self.rt.block_on(async {
            let mut req = Request::builder().method("POST").uri(uri);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let resp = router(state.clone())
                .oneshot(req.body(Body::from(body.to_string())).unwrap())
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap())
        });
        assert_eq!(got, status, "POST {uri}: {body}");
        let response = self.resolve(&op["responses"][status.to_string()]);
        let schema = &response["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "no JSON body for POST {path} {status}");
        self.assert_valid(schema, &body, uri);
        self.exercised
            .borrow_mut()
            .insert(format!("post {path} {status}"));
        body
    }

    /// [`Api::check`] for a path whose answer is text (`/metrics`).
    fn check_text(&self, state: &AppState, path: &str, uri: &str, status: u16) -> String {
        let op = &self.doc["paths"][path]["get"];
        let (got, ctype, body) = self.rt.block_on(async {
            let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
            let resp = router(state.clone()).oneshot(req).await.unwrap();
            let ctype = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let status = resp.status().as_u16();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            (status, ctype, String::from_utf8(bytes.to_vec()).unwrap())
        });
        assert_eq!(got, status, "GET {uri}: {body}");
        assert!(ctype.starts_with("text/plain"), "GET {uri}: {ctype}");
        assert!(
            op["responses"][status.to_string()]["content"]["text/plain"].is_object(),
            "the document declares no text body for GET {path} {status}"
        );
        self.exercised
            .borrow_mut()
            .insert(format!("{path} {status}"));
        body
    }

    fn assert_valid(&self, schema: &Value, body: &Value, uri: &str) {
        let errors = self.validator.errors(schema, body);
        assert!(
            errors.is_empty(),
            "GET {uri} does not match the document:\n  {}",
            errors.join("\n  ")
        );
    }

    /// Every system (page, deps, impact of it, of each API and of each endpoint) and every team.
    fn sweep(&self, st: &AppState) {
        let systems = self.check(st, "/api/v1/systems", "/api/v1/systems", 200);
        for s in systems["systems"].as_array().unwrap() {
            let name = enc(s["name"].as_str().unwrap());
            let v = self.check(
                st,
                "/api/v1/systems/{name}",
                &format!("/api/v1/systems/{name}?at={AT}"),
                200,
            );
            self.check(
                st,
                "/api/v1/deps/{name}",
                &format!("/api/v1/deps/{name}"),
                200,
            );
            self.check(
                st,
                "/api/v1/score",
                &format!("/api/v1/score?system={name}"),
                200,
            );
            self.check(
                st,
                "/api/v1/oncall",
                &format!("/api/v1/oncall?system={name}&at={AT}"),
                200,
            );
            self.check(
                st,
                "/api/v1/impact",
                &format!("/api/v1/impact?target={name}&at={AT}"),
                200,
            );
            for a in v["provides"].as_array().unwrap() {
                let target = enc(a["ref"].as_str().unwrap());
                self.check(
                    st,
                    "/api/v1/impact",
                    &format!("/api/v1/impact?target={target}&at={AT}"),
                    200,
                );
                for e in a["endpoints"].as_array().unwrap() {
                    let endpoint = enc(&format!(
                        "{} {}",
                        e["method"].as_str().unwrap(),
                        e["path"].as_str().unwrap()
                    ));
                    self.check(
                        st,
                        "/api/v1/impact",
                        &format!("/api/v1/impact?target={target}&endpoint={endpoint}&at={AT}"),
                        200,
                    );
                }
            }
        }
        let teams = self.check(st, "/api/v1/teams", "/api/v1/teams", 200);
        for t in teams["teams"].as_array().unwrap() {
            let name = enc(t["name"].as_str().unwrap());
            self.check(
                st,
                "/api/v1/teams/{name}",
                &format!("/api/v1/teams/{name}?at={AT}"),
                200,
            );
            self.check(
                st,
                "/api/v1/score",
                &format!("/api/v1/score?team={name}"),
                200,
            );
            self.check(
                st,
                "/api/v1/oncall",
                &format!("/api/v1/oncall?team={name}&at={AT}"),
                200,
            );
        }
        self.check(st, "/api/v1/score", "/api/v1/score", 200);
        self.check(
            st,
            "/api/v1/oncall",
            &format!("/api/v1/oncall?at={AT}"),
            200,
        );
    }

    /// Derived from the document: every integer parameter refuses a word, every date parameter
    /// refuses a non-date (400), and every `{name}` of a path that may answer 404 can be unknown.
    fn bad_parameters(&self, st: &AppState) {
        for (path, base) in BASES {
            let sep = if base.contains('?') { '&' } else { '?' };
            for (name, schema) in self.query_parameters(path) {
                let bad = match (schema["type"].as_str(), schema["format"].as_str()) {
                    (Some("integer"), _) => "lots",
                    (_, Some("date")) => "someday",
                    _ => continue,
                };
                self.check(st, path, &format!("{base}{sep}{name}={bad}"), 400);
            }
            if path.contains('{') && self.doc["paths"][path]["get"]["responses"]["404"].is_object()
            {
                let unknown = format!("{}/no-such-name", base.rsplit_once('/').unwrap().0);
                let v = self.check(st, path, &unknown, 404);
                assert!(
                    v["error"]["message"]
                        .as_str()
                        .unwrap()
                        .contains("no-such-name"),
                    "{v}"
                );
            }
        }
    }

    /// `(name, schema)` of the query parameters the document declares for `path`.
    fn query_parameters(&self, path: &str) -> Vec<(String, Value)> {
        let params = self.doc["paths"][path]["get"]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        params
            .iter()
            .map(|p| self.resolve(p))
            .filter(|p| p["in"] == "query")
            .map(|p| (p["name"].as_str().unwrap().to_string(), p["schema"].clone()))
            .collect()
    }

    /// Follows a `$ref` (to a response or parameter) within the document.
    fn resolve<'v>(&'v self, v: &'v Value) -> &'v Value {
        match v["$ref"].as_str() {
            Some(r) => r
                .strip_prefix('#')
                .and_then(|p| self.doc.pointer(p))
                .unwrap_or_else(|| panic!("dangling $ref {r}")),
            None => v,
        }
    }

    /// Every status of every path, every query parameter and every schema was exercised;
    /// every declared property was seen, every optional one also absent and every nullable one
    /// also null.
    fn assert_everything_exercised(&self) {
        let exercised = self.exercised.borrow();
        let mut missing = Vec::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for status in op["responses"].as_object().unwrap().keys() {
                    missing.push(match method.as_str() {
                        "get" => format!("{path} {status}"),
                        m => format!("{m} {path} {status}"),
                    });
                }
            }
            for (name, _) in self.query_parameters(path) {
                missing.push(format!("{path} ?{name}"));
            }
        }
        missing.retain(|m| !exercised.contains(m));
        let reached = self.validator.reached.borrow();
        let present = self.validator.present.borrow();
        let absent = self.validator.absent.borrow();
        let null = self.validator.null.borrow();
        for (name, schema) in self.doc["components"]["schemas"].as_object().unwrap() {
            let r = format!("#/components/schemas/{name}");
            if !reached.contains(&r) {
                missing.push(format!("schema {name}"));
            }
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            for (prop, ps) in schema["properties"].as_object().into_iter().flatten() {
                if !present.contains(&(r.clone(), prop.clone())) {
                    missing.push(format!("{name}.{prop} present"));
                }
                if !required.contains(&json!(prop)) && !absent.contains(&(r.clone(), prop.clone()))
                {
                    missing.push(format!("{name}.{prop} absent (or make it required)"));
                }
                if self.resolve(ps)["nullable"] == true
                    && !null.contains(&(r.clone(), prop.clone()))
                {
                    missing.push(format!("{name}.{prop} null"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "never exercised:\n  {}",
            missing.join("\n  ")
        );
    }
}

/// Validates JSON values against the schemas of one OpenAPI 3.0 document: `$ref`, `type`
/// (`integer` is a whole number, `number` any), `nullable`, `properties`, `required`,
/// `additionalProperties` (a bool or a schema; missing means `false` when `properties` is
/// given, so undeclared properties fail), `items`, `enum`, `oneOf`, `allOf`, `minimum`,
/// `maximum` and `format: date`. Any other keyword is an error rather than silently ignored.
struct Validator<'d> {
    doc: &'d Value,
    /// `$ref`s a valid value went through.
    reached: RefCell<BTreeSet<String>>,
    /// `($ref, property)`: the property was in a value of that schema.
    present: RefCell<BTreeSet<(String, String)>>,
    /// `($ref, property)`: the property was missing from a value of that schema.
    absent: RefCell<BTreeSet<(String, String)>>,
    /// `($ref, property)`: the property was null in a value of that schema.
    null: RefCell<BTreeSet<(String, String)>>,
}

const KEYWORDS: [&str; 13] = [
    "$ref",
    "type",
    "nullable",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "oneOf",
    "allOf",
    "minimum",
    "maximum",
    "format",
];
/// Keywords that describe but do not constrain.
const ANNOTATIONS: [&str; 3] = ["description", "default", "title"];

impl<'d> Validator<'d> {
    fn new(doc: &'d Value) -> Validator<'d> {
        Validator {
            doc,
            reached: RefCell::default(),
            present: RefCell::default(),
            absent: RefCell::default(),
            null: RefCell::default(),
        }
    }

    /// Every problem of `value` against `schema`, as `$.json.path: message` lines.
    fn errors(&self, schema: &Value, value: &Value) -> Vec<String> {
        let mut out = Vec::new();
        self.check(schema, value, "$", &mut out);
        out
    }

    fn check(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
        let Some(s) = schema.as_object() else {
            out.push(format!("{at}: the schema is not an object: {schema}"));
            return;
        };
        for k in s
            .keys()
            .filter(|k| !KEYWORDS.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()))
        {
            out.push(format!("{at}: unsupported schema keyword `{k}`"));
        }
        if let Some(r) = s.get("$ref") {
            self.check_ref(s, r.as_str().unwrap_or_default(), value, at, out);
            return;
        }
        let nullable = s.get("nullable") == Some(&Value::Bool(true));
        if value.is_null() && nullable {
            return;
        }
        if let Some(t) = s.get("type") {
            let ok = match t.as_str().unwrap_or_default() {
                "object" => value.is_object(),
                "array" => value.is_array(),
                "string" => value.is_string(),
                "boolean" => value.is_boolean(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                _ => {
                    out.push(format!("{at}: unknown type {t}"));
                    return;
                }
            };
            if !ok {
                let t = t.as_str().unwrap_or_default();
                out.push(format!(
                    "{at}: expected {t}{}, got {value}",
                    if nullable { " or null" } else { "" }
                ));
                return;
            }
            if t == "array" && !s.contains_key("items") {
                out.push(format!("{at}: array schema without `items`"));
            }
        }
        if let Some(allowed) = s.get("enum").and_then(Value::as_array) {
            if !allowed.contains(value) {
                out.push(format!(
                    "{at}: {value} is not one of {}",
                    Value::Array(allowed.clone())
                ));
            }
        }
        if let (Some(min), Some(v)) = (s.get("minimum").and_then(Value::as_f64), value.as_f64()) {
            if v < min {
                out.push(format!("{at}: {value} is below the minimum {min}"));
            }
        }
        if let (Some(max), Some(v)) = (s.get("maximum").and_then(Value::as_f64), value.as_f64()) {
            if v > max {
                out.push(format!("{at}: {value} is above the maximum {max}"));
            }
        }
        if let (Some("date"), Some(v)) = (s.get("format").and_then(Value::as_str), value.as_str()) {
            if !is_date(v) {
                out.push(format!("{at}: {value} is not a date (YYYY-MM-DD)"));
            }
        }
        for sub in s
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.check(sub, value, at, out);
        }
        if let Some(alternatives) = s.get("oneOf").and_then(Value::as_array) {
            self.check_one_of(alternatives, value, at, out);
        }
        if let Some(obj) = value.as_object() {
            self.check_object(s, obj, at, out);
        }
        if let (Some(items), Some(arr)) = (s.get("items"), value.as_array()) {
            for (k, v) in arr.iter().enumerate() {
                self.check(items, v, &format!("{at}[{k}]"), out);
            }
        }
    }

    fn check_ref(
        &self,
        s: &serde_json::Map<String, Value>,
        r: &str,
        value: &Value,
        at: &str,
        out: &mut Vec<String>,
    ) {
        // In OpenAPI 3.0 a `$ref` replaces the whole schema object; tools ignore its siblings.
        if s.len() > 1 {
            out.push(format!(
                "{at}: siblings of `$ref` are ignored by OpenAPI 3.0 tools (use `allOf`)"
            ));
        }
        let Some(target) = r.strip_prefix('#').and_then(|p| self.doc.pointer(p)) else {
            out.push(format!("{at}: dangling $ref `{r}`"));
            return;
        };
        self.reached.borrow_mut().insert(r.to_string());
        if let (Some(props), Some(obj)) = (target["properties"].as_object(), value.as_object()) {
            for p in props.keys() {
                let seen = match obj.get(p) {
                    None => &self.absent,
                    Some(Value::Null) => &self.null,
                    Some(_) => &self.present,
                };
                seen.borrow_mut().insert((r.to_string(), p.clone()));
            }
        }
        self.check(target, value, at, out);
    }

    fn check_one_of(&self, alternatives: &[Value], value: &Value, at: &str, out: &mut Vec<String>) {
        let mut matching = 0;
        let mut why = Vec::new();
        for (k, sub) in alternatives.iter().enumerate() {
            // Coverage counts only the alternative that matched.
            let sets = [&self.present, &self.absent, &self.null];
            let saved = (
                self.reached.borrow().clone(),
                sets.map(|s| s.borrow().clone()),
            );
            let mut errors = Vec::new();
            self.check(sub, value, at, &mut errors);
            if errors.is_empty() {
                matching += 1;
            } else {
                why.push(format!("[{k}] {}", errors.join("; ")));
                *self.reached.borrow_mut() = saved.0;
                for (set, before) in sets.into_iter().zip(saved.1) {
                    *set.borrow_mut() = before;
                }
            }
        }
        if matching != 1 {
            out.push(format!(
                "{at}: matches {matching} of the oneOf alternatives, not exactly one ({})",
                why.join(" | ")
            ));
        }
    }

    fn check_object(
        &self,
        s: &serde_json::Map<String, Value>,
        obj: &serde_json::Map<String, Value>,
        at: &str,
        out: &mut Vec<String>,
    ) {
        let props = s.get("properties").and_then(Value::as_object);
        if s.get("required") == Some(&json!([])) {
            out.push(format!(
                "{at}: `required` must not be empty in OpenAPI 3.0 (leave it out)"
            ));
        }
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap_or_default();
            if !props.is_some_and(|p| p.contains_key(r)) {
                out.push(format!(
                    "{at}: `{r}` is required but not declared in `properties`"
                ));
            }
            if !obj.contains_key(r) {
                out.push(format!("{at}: missing required property `{r}`"));
            }
        }
        // Strict by default: a schema that lists properties allows no others unless it says so.
        let additional = s
            .get("additionalProperties")
            .cloned()
            .unwrap_or(Value::Bool(props.is_none()));
        for (k, v) in obj {
            let here = format!("{at}.{k}");
            match (props.and_then(|p| p.get(k)), &additional) {
                (Some(ps), _) => self.check(ps, v, &here, out),
                (None, Value::Bool(true)) => {}
                (None, Value::Bool(false)) => {
                    out.push(format!("{here}: property not declared in the schema"))
                }
                (None, sub) => self.check(sub, v, &here, out),
            }
        }
    }
}

/// Whether the concrete `path` matches the document's `template` (`{x}` is one segment).
fn is_instance(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Percent-encodes everything but unreserved characters, for names and targets in URIs.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Field names mean one thing (#24): no property is a count (an integer) in one schema and a
/// list (an array) in another — counts are `<thing>_count`, or sit in a `total` object
/// (`total.nodes`).
#[test]
fn no_field_name_is_a_count_in_one_place_and_a_list_in_another() {
    let doc = doc();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut ints: Vec<(String, String)> = Vec::new();
    let mut arrays: Vec<(String, String)> = Vec::new();
    fn walk(
        at: &str,
        s: &Value,
        ints: &mut Vec<(String, String)>,
        arrays: &mut Vec<(String, String)>,
    ) {
        for (name, p) in s["properties"].as_object().into_iter().flatten() {
            let place = format!("{at}.{name}");
            match p["type"].as_str() {
                Some("integer") => ints.push((name.clone(), place.clone())),
                Some("array") => arrays.push((name.clone(), place.clone())),
                Some("object") if name != "total" => walk(&place, p, ints, arrays),
                _ => {}
            }
        }
    }
    for (name, s) in schemas {
        walk(name, s, &mut ints, &mut arrays);
    }
    let clashes: Vec<String> = ints
        .iter()
        .filter_map(|(n, at)| {
            let lists: Vec<&str> = arrays
                .iter()
                .filter(|(m, _)| m == n)
                .map(|(_, a)| a.as_str())
                .collect();
            (!lists.is_empty()).then(|| format!("{at} is a count, {} a list", lists.join(", ")))
        })
        .collect();
    assert!(clashes.is_empty(), "{}", clashes.join("\n"));
}
