//! The web UI and JSON API, in-process through `router(state).oneshot(..)`: every route,
//! bad input, escaping, traversal, security headers, live reload and last-good behaviour.

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cairn::web::{router, AppState};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::*;

fn state_for(dir: &Path) -> AppState {
    let c = load(dir);
    AppState::new(c, dir, Default::default()).expect("state builds")
}

fn example() -> AppState {
    state_for(&example_catalog())
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

fn get(state: &AppState, uri: &str) -> Resp {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let resp = router(state.clone()).oneshot(req).await.unwrap();
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

fn json(state: &AppState, uri: &str) -> (StatusCode, serde_json::Value) {
    let r = get(state, uri);
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "{uri}: {}",
        r.body
    );
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{uri}: {e}: {}", r.body)),
    )
}

#[test]
fn every_page_renders() {
    let st = example();
    for (uri, must_contain) in [
        ("/", "The central picture"),
        ("/", "Essential (tier 1)"),
        ("/systems/pkgdb", "pkgdb/api@2"),
        ("/systems/pkgdb", "release-engineering scripts"),
        ("/systems/pkgdb", "On call now"),
        ("/systems/bodhi", "<svg"),
        ("/teams/releng", "Systems owned"),
        ("/search?q=wallpaper", "nuancier"),
        ("/search?q=owner%3Areleng", "result"),
        ("/impact", "What changes"),
        (
            "/impact?target=pkgdb%2Fapi%402&endpoint=GET+%2Fapi%2Fcritpath",
            "Teams to notify",
        ),
        (
            "/impact?target=pkgdb%2Fapi%402&endpoint=GET+%2Fapi%2Fcritpath",
            "Download as Markdown",
        ),
        ("/graph", "<svg"),
        ("/graph?domain=packaging", "koji"),
        ("/docs/systems/pkgdb/README.md", "<h1"),
        ("/start", "Welcome to Fedora Infrastructure"),
        ("/start", "How it fits together"),
        ("/start", "critpath"),
        ("/teams/infra-apps/onboarding", "Create your FAS account"),
        ("/teams/infra-apps/onboarding", "Read, in this order"),
        (
            "/teams/releng/onboarding",
            "What you rely on from other teams",
        ),
        ("/readiness", "Production readiness"),
        ("/readiness?team=releng&level=silver&tier=1", "sigul"),
        ("/ilities", "reliability"),
        ("/ilities?domain=packaging&tier=1", "pkgdb"),
        ("/oncall", "Who is on call"),
        ("/oncall?system=bodhi2&at=2026-01-19", "Open the runbook"),
        ("/systems/owner-sync", "Production readiness"),
        (
            "/systems/owner-sync",
            "consumes deprecated <code>pkgdb/api@1</code>",
        ),
        ("/teams/sysadmin-main", "Readiness of the team"),
    ] {
        let r = get(&st, uri);
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(
            r.body.contains(must_contain),
            "{uri} lacks {must_contain:?}"
        );
        assert!(r.body.contains("<!doctype html>"), "{uri}");
    }
}

#[test]
fn readiness_onboarding_and_oncall_pages_say_the_right_things() {
    let st = example();
    // Every team's onboarding page, and the header links to Start here.
    let home = get(&st, "/");
    assert!(home.body.contains("<a href=\"/start\">Start here</a>"));
    for t in [
        "infra-apps",
        "sysadmin-main",
        "releng",
        "qa",
        "websites",
        "bugzilla-liaison",
    ] {
        let r = get(&st, &format!("/teams/{t}/onboarding"));
        assert_eq!(r.status, StatusCode::OK, "{t}");
        assert!(r.body.contains("The systems you will touch"), "{t}");
    }
    // Reading order: docs of the essential systems first, runbooks after all docs.
    let r = get(&st, "/teams/infra-apps/onboarding");
    let reading = &r.body[r.body.find("Read, in this order").unwrap()..];
    let pos = |s: &str| reading.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(pos("/docs/systems/fas/README.md") < pos("/docs/systems/anitya/README.md"));
    assert!(pos("/docs/systems/pagure/README.md") < pos("/docs/systems/fas/runbook.md"));
    // The first step's link is kept, a markdown detail is rendered.
    assert!(r
        .body
        .contains("href=\"https://admin.fedoraproject.org/accounts\""));
    // On-call: the owner of the system asked about comes first, in escalation order.
    let r = get(&st, "/oncall?system=bodhi&at=2026-01-19");
    let first = r.body.find("oncall-card highlighted").unwrap();
    assert!(first < r.body.find("id=\"team-sysadmin-main\"").unwrap());
    let card = &r.body[first..];
    let (p, b, l) = (
        card.find("primary</span> <strong>tkerr").unwrap(),
        card.find("backup</span> <strong>opetrov").unwrap(),
        card.find("lead</span> <strong>hkowalski").unwrap(),
    );
    assert!(p < b && b < l, "escalation order");
    assert!(card.contains("until 2026-02-01"), "end of the shift");
    // Readiness on the system page: what the next level needs, with its hint.
    let r = get(&st, "/systems/anitya");
    assert!(r
        .body
        .contains("To reach <span class=\"level lvl-2\">silver</span>"));
    // Bad filters are 4xx, not 500.
    for (uri, status) in [
        ("/readiness?level=platinum", StatusCode::BAD_REQUEST),
        ("/readiness?tier=9", StatusCode::BAD_REQUEST),
        ("/readiness?team=nobody", StatusCode::NOT_FOUND),
        ("/ilities?tier=x", StatusCode::BAD_REQUEST),
        ("/oncall?system=nope", StatusCode::NOT_FOUND),
        ("/oncall?at=someday", StatusCode::BAD_REQUEST),
        ("/teams/nobody/onboarding", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(get(&st, uri).status, status, "{uri}");
    }
}

#[test]
fn aliases_redirect_and_unknown_names_suggest() {
    let st = example();
    let r = get(&st, "/systems/bodhi2");
    assert!(r.status.is_redirection(), "{}", r.status);
    assert_eq!(r.headers.get("location").unwrap(), "/systems/bodhi");
    let r = get(&st, "/systems/bodih");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("href=\"/systems/bodhi\""), "{}", r.body);
    let r = get(&st, "/teams/relen");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("/teams/releng"));
    let r = get(&st, "/no/such/page");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("there is no page at /no/such/page"));
}

#[test]
fn impact_page_errors_are_friendly() {
    let st = example();
    let r = get(&st, "/impact?target=pkgdb%2Fapi%403");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.body.contains("pkgdb/api@2"),
        "suggests the newest version"
    );
    let r = get(&st, "/impact?target=%20%20");
    assert_eq!(r.status, StatusCode::OK, "an empty form is just the form");
    let md = get(&st, "/impact.md?target=pkgdb%2Fapi%401");
    assert_eq!(md.status, StatusCode::OK);
    assert!(md
        .headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("attachment"));
    assert!(md.body.starts_with("# Planned change to `pkgdb/api@1`"));
}

#[test]
fn api_routes_mirror_the_cli() {
    let st = example();
    let (s, v) = json(&st, "/api/v1/systems");
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v["total"].as_u64().unwrap() as usize,
        v["systems"].as_array().unwrap().len()
    );
    let (_, v) = json(&st, "/api/v1/systems/pkgdb?at=2026-11-23");
    let (_, cli_out, _) = cli(&[
        "--catalog",
        example_catalog().to_str().unwrap(),
        "show",
        "pkgdb",
        "--at",
        "2026-11-23",
        "--format",
        "json",
    ]);
    let cli_v: serde_json::Value = serde_json::from_str(&cli_out).unwrap();
    assert_eq!(v, cli_v, "API and CLI print the same JSON");
    let (_, mut v) = json(&st, "/api/v1/impact?target=pkgdb/api@1&at=2026-11-23");
    // The API pages the lists; the CLI prints them whole, without `page`.
    let page = v.as_object_mut().unwrap().remove("page").unwrap();
    assert_eq!(
        page,
        serde_json::json!({"offset": 0, "limit": 500, "next": null})
    );
    let (_, cli_out, _) = cli(&[
        "--catalog",
        example_catalog().to_str().unwrap(),
        "impact",
        "pkgdb/api@1",
        "--at",
        "2026-11-23",
        "--format",
        "json",
    ]);
    assert_eq!(
        v,
        serde_json::from_str::<serde_json::Value>(&cli_out).unwrap()
    );
    for (api_uri, args) in [
        (
            "/api/v1/score?team=releng&min_level=gold",
            &["score", "--team", "releng", "--min-level", "gold"][..],
        ),
        (
            "/api/v1/oncall?system=bodhi&at=2026-11-23",
            &["oncall", "bodhi", "--at", "2026-11-23"][..],
        ),
    ] {
        let (_, mut v) = json(&st, api_uri);
        // The API pages long lists; the CLI prints them whole, without `page` (or the
        // `total` of on-call's teams).
        if let Some(page) = v.as_object_mut().and_then(|o| o.remove("page")) {
            assert!(page["next"].is_null(), "{page}");
        }
        if let Some(total) = v.as_object_mut().and_then(|o| o.remove("total")) {
            assert_eq!(total, v["teams"].as_array().unwrap().len(), "{api_uri}");
        }
        let catalog = example_catalog();
        let mut argv = vec!["--catalog", catalog.to_str().unwrap(), "--format", "json"];
        argv.extend_from_slice(args);
        let (_, cli_out, _) = cli(&argv);
        assert_eq!(
            v,
            serde_json::from_str::<serde_json::Value>(&cli_out).unwrap(),
            "{api_uri}"
        );
    }
    let (s, v) = json(&st, "/api/v1/teams");
    assert_eq!(s, StatusCode::OK);
    assert!(v["total"].as_u64().unwrap() >= 6);
    let (s, v) = json(&st, "/api/v1/teams/releng");
    assert_eq!((s, v["name"].as_str()), (StatusCode::OK, Some("releng")));
    let (s, v) = json(&st, "/api/v1/deps/bodhi");
    assert_eq!(s, StatusCode::OK);
    assert!(v["summary"]["total"].as_u64().unwrap() > 3);
    let (s, v) = json(&st, "/api/v1/graph?focus=bodhi&depth=1");
    assert_eq!(s, StatusCode::OK);
    assert!(v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["id"] == "bodhi"));
    let (s, v) = json(&st, "/api/v1/search?q=koji&limit=3");
    assert_eq!(s, StatusCode::OK);
    assert!(v["results"].as_array().unwrap().len() <= 3);
    let (s, v) = json(&st, "/api/v1/diagnostics");
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["serving_last_good"], false);
    assert_eq!(v["summary"]["error_count"], 0);
    let (s, v) = json(&st, "/api/v1/openapi.json");
    assert_eq!(s, StatusCode::OK);
    assert!(v["openapi"].as_str().unwrap().starts_with("3."));
}

#[test]
fn api_errors_are_json_with_the_right_status() {
    let st = example();
    for (uri, status, fragment) in [
        (
            "/api/v1/systems/nope",
            StatusCode::NOT_FOUND,
            "no system named `nope`",
        ),
        (
            "/api/v1/systems/bodih",
            StatusCode::NOT_FOUND,
            "did you mean `bodhi`?",
        ),
        ("/api/v1/teams/nobody", StatusCode::NOT_FOUND, "no team"),
        (
            "/api/v1/impact",
            StatusCode::BAD_REQUEST,
            "`target` is required",
        ),
        (
            "/api/v1/impact?target=Not%20A%20Target",
            StatusCode::BAD_REQUEST,
            "is not a target",
        ),
        (
            "/api/v1/impact?target=pkgdb/api@9",
            StatusCode::NOT_FOUND,
            "does not exist",
        ),
        (
            "/api/v1/impact?target=pkgdb&at=someday",
            StatusCode::BAD_REQUEST,
            "`at` must be a date",
        ),
        (
            "/api/v1/impact?target=pkgdb&max_depth=-1",
            StatusCode::BAD_REQUEST,
            "must be a number",
        ),
        (
            "/api/v1/search?q=x&limit=lots",
            StatusCode::BAD_REQUEST,
            "must be a number",
        ),
        (
            "/api/v1/graph?focus=nope",
            StatusCode::NOT_FOUND,
            "no system",
        ),
        (
            "/api/v1/nothing/here",
            StatusCode::NOT_FOUND,
            "no such API route",
        ),
    ] {
        let (s, v) = json(&st, uri);
        assert_eq!(s, status, "{uri}: {v}");
        let msg = v["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains(fragment), "{uri}: {msg}");
        assert_eq!(v["error"]["status"].as_u64(), Some(status.as_u16() as u64));
    }
}

#[test]
fn hostile_queries_never_fail() {
    let st = example();
    for q in [
        "%22unbalanced",
        "(((",
        "AND",
        "-",
        "owner%3A",
        "%3A%3A%3A",
        "%F0%9F%94%A5",
        "a%00b",
        &"x".repeat(5000),
    ] {
        let r = get(&st, &format!("/search?q={q}"));
        assert_eq!(r.status, StatusCode::OK, "{q}");
        let (s, _) = json(&st, &format!("/api/v1/search?q={q}"));
        assert_eq!(s, StatusCode::OK, "{q}");
    }
}

#[test]
fn path_traversal_is_refused() {
    let st = example();
    for uri in [
        "/docs/../../etc/passwd",
        "/docs/%2e%2e/%2e%2e/etc/passwd",
        "/docs/..%2f..%2fetc%2fpasswd",
        "/docs/systems/pkgdb/../../../../etc/passwd",
        "/docs//etc/passwd",
        "/docs/systems/pkgdb/pkgdb.yaml",
        "/static/../Cargo.toml",
        "/static/cairn.css",
    ] {
        let r = get(&st, uri);
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!r.body.contains("root:"), "{uri}");
    }
}

#[test]
fn security_headers_and_static_assets() {
    let st = example();
    let r = get(&st, "/");
    let csp = r
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(r.headers.get("x-content-type-options").unwrap(), "nosniff");
    assert!(r.headers.get("referrer-policy").is_some());
    // No inline script or style anywhere: CSP would block it.
    assert!(
        !r.body.contains("<script>") && !r.body.contains(" style=\""),
        "inline script or style in the page"
    );
    let css = r
        .body
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let a = get(&st, &css);
    assert_eq!(a.status, StatusCode::OK);
    assert!(a
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let js = r
        .body
        .split("<script src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(get(&st, &js).status, StatusCode::OK);
}

#[test]
fn catalog_text_is_escaped_and_markdown_sanitised() {
    let st = state_for(&data_dir().join("hostile-web"));
    for uri in [
        "/",
        "/systems/xss",
        "/teams/evil",
        "/docs/docs/evil.md",
        "/search?q=script",
        "/impact?target=xss",
        "/graph",
        "/start",
        "/glossary",
        "/teams/evil/onboarding",
        "/readiness",
        "/ilities",
        "/oncall",
        "/oncall?system=xss",
        "/api/v1/systems/xss",
    ] {
        let r = get(&st, uri);
        assert!(r.status.is_success(), "{uri}: {}", r.status);
        if uri.starts_with("/api/") {
            continue; // JSON carries the text as data; browsers do not render it as HTML
        }
        for tag in tags(&r.body) {
            let t = without_tooltips(tag).to_ascii_lowercase();
            for bad in [
                "<script>",
                "<iframe",
                "<img src=x",
                "<svg onload",
                "<b>mallory",
                " onerror",
                " onload",
                " onclick",
                "javascript:",
                "data:text",
                " style=",
            ] {
                assert!(
                    !t.contains(bad),
                    "{uri}: markup from the catalog got through: {tag}"
                );
            }
        }
    }
    let r = get(&st, "/systems/xss");
    assert!(
        r.body.contains(
            "&#60;script&#62;alert(&#39;description&#39;)&#60;/script&#62; &#38; friends"
        ),
        "escaped text is still shown"
    );
    let doc = get(&st, "/docs/docs/evil.md");
    assert!(doc.body.contains("Fine text."));
}

/// A tag without the values of its `title` attributes: tooltips carry catalog text, escaped
/// (a `"` in it is `&#34;`, so it cannot end the value), which may spell `onerror` harmlessly.
/// Every other attribute is still checked.
/// `tag` without its text-only attributes (`title`, `aria-label`): their escaped values are
/// text a browser shows or reads out, never markup or a URL.
fn without_tooltips(tag: &str) -> String {
    let mut out = tag.to_string();
    for attr in [" title=\"", " aria-label=\""] {
        let mut kept = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(i) = rest.find(attr) {
            kept.push_str(&rest[..i]);
            let after = &rest[i + attr.len()..];
            rest = after.find('"').map_or("", |e| &after[e + 1..]);
        }
        kept.push_str(rest);
        out = kept;
    }
    out
}

/// Every raw `<...>` tag in a page (escaped text has no raw `<`).
fn tags(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let end = rest[start..]
            .find('>')
            .map(|e| start + e + 1)
            .unwrap_or(rest.len());
        out.push(&rest[start..end]);
        rest = &rest[end..];
    }
    out
}

#[test]
fn html_snapshot_of_the_error_page() {
    let st = state_for(&data_dir().join("impact"));
    let r = get(&st, "/teams/cor");
    let body = r.body.replace(env!("CARGO_PKG_VERSION"), "VERSION");
    insta::assert_snapshot!("web-404-team", body);
}

/// Copies a catalog into a temp dir so a test can edit it.
fn temp_copy(src: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(src).unwrap();
        let to = dir.path().join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    dir
}

#[test]
fn reload_swaps_good_edits_and_serves_a_broken_file_at_its_last_good_version() {
    let dir = temp_copy(&data_dir().join("impact"));
    let st = served(dir.path());
    let file = dir.path().join("catalog.yaml");
    let original = std::fs::read_to_string(&file).unwrap();
    assert!(!get(&st, "/systems/newcomer").status.is_success());

    // A good edit shows up.
    std::fs::write(
        &file,
        format!(
            "{original}---\nkind: system\nname: newcomer\nowner: core\ndescription: Brand new.\n"
        ),
    )
    .unwrap();
    assert!(st.reload());
    assert_eq!(get(&st, "/systems/newcomer").status, StatusCode::OK);
    assert_eq!(st.live().snapshot.generation, 2);

    // A broken edit: the file's last good version stays served, and the banner says why.
    std::fs::write(
        &file,
        format!("{original}---\nkind: system\nname: newcomer\nowner: [unclosed\n"),
    )
    .unwrap();
    assert!(st.reload());
    let home = get(&st, "/");
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains(
            "catalog.yaml</code> held back since just now, its last good version is served"
        ),
        "banner missing: {}",
        home.body
    );
    assert_eq!(
        get(&st, "/systems/newcomer").status,
        StatusCode::OK,
        "last good version still served"
    );
    let (_, v) = json(&st, "/api/v1/diagnostics");
    assert_eq!(v["serving_last_good"], false, "only load failures set it");
    assert_eq!(v["held"][0]["file"], "catalog.yaml");
    assert_eq!(v["held"][0]["served"], "last-good");
    assert_eq!(v["held"][0]["cause"]["code"], "yaml-syntax");
    assert!(v["summary"]["error_count"].as_u64().unwrap() >= 1);
    assert_eq!(v["diagnostics"][0]["code"], "yaml-syntax");

    // Fixing it clears the banner.
    std::fs::write(&file, &original).unwrap();
    assert!(st.reload());
    assert!(!get(&st, "/").body.contains("held back"));
    assert_eq!(get(&st, "/systems/newcomer").status, StatusCode::NOT_FOUND);
    let (_, v) = json(&st, "/api/v1/diagnostics");
    assert_eq!(v["held"], serde_json::json!([]));

    // The directory disappearing is reported, not fatal.
    let moved = dir.path().with_extension("moved");
    std::fs::rename(dir.path(), &moved).unwrap();
    assert!(!st.reload());
    assert!(get(&st, "/").body.contains("cannot be read"));
    assert_eq!(get(&st, "/systems/pkgdb").status, StatusCode::OK);
    // The diagnostics are still those of the catalog served, with why the newer load failed.
    let (_, v) = json(&st, "/api/v1/diagnostics");
    assert_eq!(v["serving_last_good"], true, "{v}");
    assert!(v["load_error"].is_string(), "{v}");
    assert!(v["summary"]["system_count"].as_u64().unwrap() > 0, "{v}");
    std::fs::rename(&moved, dir.path()).unwrap();
}

/// A state that reloads the way `cairn serve` does: from the load cache of its first load.
fn served(dir: &Path) -> AppState {
    let mut cache = cairn::loader::LoadCache::default();
    let (c, _) =
        cairn::loader::load_incremental(dir, &Default::default(), &mut cache, &|_, _| {}).unwrap();
    let st = AppState::new(c, dir, Default::default()).expect("state builds");
    st.set_load_cache(cache);
    st
}

/// Per-file last good: an error in one file never stops another file's edits from going live.
#[test]
fn an_error_in_one_file_does_not_stop_edits_to_another() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    let system = |name: &str, description: &str| {
        format!("kind: system\nname: {name}\nowner: core\ndescription: {description}\ndepends_on: [alpha]\n")
    };
    w("team.yaml", "kind: team\nname: core\n");
    w(
        "alpha.yaml",
        "kind: system\nname: alpha\nowner: core\ndescription: First words.\n",
    );
    w("beta.yaml", &system("beta", "Beta as it was."));
    // A file that has had an error from the start: what could be read of it is served.
    w(
        "gamma.yaml",
        "kind: system\nname: gamma\nowner: core\ndescripton: typo\n",
    );
    let st = served(dir.path());
    let description = |name: &str| {
        let (status, v) = json(&st, &format!("/api/v1/systems/{name}"));
        assert_eq!(status, StatusCode::OK, "{name}: {v}");
        v["description"].as_str().unwrap_or_default().to_string()
    };
    let held = || {
        let (_, v) = json(&st, "/api/v1/diagnostics");
        v["held"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                format!(
                    "{} {}",
                    h["file"].as_str().unwrap(),
                    h["served"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(held(), ["gamma.yaml as-read"]);
    assert_eq!(get(&st, "/systems/gamma").status, StatusCode::OK);

    // Another file's edit goes live although gamma.yaml still has its error.
    w(
        "alpha.yaml",
        "kind: system\nname: alpha\nowner: core\ndescription: Second words.\n",
    );
    assert!(st.reload());
    assert_eq!(description("alpha"), "Second words.");

    // beta.yaml breaks: its last good version stays served, with a stale notice on its page.
    w(
        "beta.yaml",
        &format!("{}owner: [unclosed\n", system("beta", "Beta broken.")),
    );
    assert!(st.reload());
    assert_eq!(description("beta"), "Beta as it was.");
    assert_eq!(held(), ["beta.yaml last-good", "gamma.yaml as-read"]);
    let page = get(&st, "/systems/beta").body;
    assert!(
        page.contains("Stale:") && page.contains("this page shows its last good version"),
        "{page}"
    );

    // While it is broken, alpha.yaml is edited again: the edit goes live.
    w(
        "alpha.yaml",
        "kind: system\nname: alpha\nowner: core\ndescription: Third words.\n",
    );
    assert!(st.reload());
    assert_eq!(description("alpha"), "Third words.");
    assert_eq!(description("beta"), "Beta as it was.");

    // beta.yaml recovers, with a new description: that one is served, nothing is held back.
    w("beta.yaml", &system("beta", "Beta recovered."));
    assert!(st.reload());
    assert_eq!(description("beta"), "Beta recovered.");
    assert_eq!(held(), ["gamma.yaml as-read"]);
    assert!(!get(&st, "/systems/beta").body.contains("Stale:"));

    // A new file that takes a name an unchanged file holds is left out: the older one is kept.
    w(
        "zz-alpha-again.yaml",
        "kind: system\nname: alpha\nowner: core\ndescription: Impostor.\n",
    );
    assert!(st.reload());
    assert_eq!(description("alpha"), "Third words.");
    assert_eq!(
        held(),
        ["gamma.yaml as-read", "zz-alpha-again.yaml left-out"]
    );
    w(
        "aa-alpha-again.yaml",
        "kind: system\nname: alpha\nowner: core\ndescription: Impostor.\n",
    );
    assert!(st.reload());
    assert_eq!(
        description("alpha"),
        "Third words.",
        "whatever the path order"
    );
}

#[test]
fn the_watcher_picks_up_edits() {
    let dir = temp_copy(&data_dir().join("impact"));
    let st = state_for(dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let _w = cairn::web::watch(st.clone()).unwrap();
        let file = dir.path().join("extra.yaml");
        std::fs::write(&file, "kind: system\nname: watched\nowner: core\n").unwrap();
        // Poll until the reload lands (bounded so a broken watcher fails instead of hanging).
        for _ in 0..200 {
            if st.live().snapshot.catalog.system("watched").is_some() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the edit never showed up");
    });
}

#[test]
fn pages_of_heavily_used_systems_stay_small() {
    let dir = tempfile::tempdir().unwrap();
    cairn::gen::generate(dir.path(), 600, 7).unwrap();
    let st = state_for(dir.path());
    let live = st.live();
    let snap = &live.snapshot;
    let top = (0..snap.catalog.systems.len())
        .max_by_key(|&i| snap.graph().dependents(i).len())
        .unwrap();
    assert!(
        snap.graph().dependents(top).len() > 60,
        "the generator makes a hub"
    );
    let name = snap.catalog.systems[top].name.value.clone();
    let r = get(&st, &format!("/systems/{name}"));
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("more. <a href=\"/impact?target="),
        "long lists point to the impact report"
    );
    assert!(r.body.matches("<tr>").count() < 200, "rows are capped");
}

/// The banner never hides a syntax error behind what follows from it: the held file and its
/// error come first, the consequences (warnings) are not listed at all.
#[test]
fn the_banner_shows_a_syntax_error_first() {
    let st = served(&data_dir().join("invalid/syntax-root-cause"));
    let body = get(&st, "/").body;
    let banner = &body[body.find("class=\"banner").expect("a banner")..];
    let banner = &banner[..banner.find("</aside>").unwrap()];
    let first = banner.find("<li>").expect("items");
    assert!(
        banner[first..].starts_with(
            "<li><code>pkgdb.yaml</code> left out: <code>pkgdb.yaml:7:9</code> invalid YAML"
        ),
        "{banner}"
    );
    assert!(!banner.contains("is not in the catalog"), "{banner}");
}

/// Messages write names in backticks; the banner shows them as code, not as backticks.
#[test]
fn the_banner_shows_backticked_names_as_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("catalog.yaml"),
        "kind: team\nname: core\n---\nkind: system\nname: app\nowner: core\n\
         consumes:\n  - api: billing/api@1\n---\nkind: system\nname: billing\nowner: core\n",
    )
    .unwrap();
    let st = served(dir.path());
    let body = get(&st, "/").body;
    let banner = &body[body.find("class=\"banner").expect("a banner")..];
    let banner = &banner[..banner.find("</aside>").unwrap()];
    assert!(banner.contains("<li><code>catalog.yaml:"), "{banner}");
    assert!(!banner.contains('`'), "{banner}");
    assert!(banner.contains("<code>billing"), "{banner}");
}

/// A doc the Markdown renderers would take seconds on (`>` x 40,000) is shown as escaped text
/// with the reason, on the system page and at its own URL, and still indexed.
#[test]
fn a_doc_too_nested_to_render_is_shown_as_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("catalog.yaml"),
        "kind: team\nname: core\n---\nkind: system\nname: app\nowner: core\ndocs: [deep.md]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("deep.md"),
        format!("zebracrossing <script>x</script>\n{}\n", ">".repeat(40_000)),
    )
    .unwrap();
    let st = state_for(dir.path());
    for uri in ["/systems/app", "/docs/deep.md"] {
        let r = get(&st, uri);
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(
            r.body.contains("Shown as plain text: blockquotes nested"),
            "{uri}"
        );
        assert!(!r.body.contains("<script>x"), "{uri}: escaped");
    }
    let (_, v) = json(&st, "/api/v1/search?q=zebracrossing");
    assert!(v["total"].as_u64().unwrap() >= 1, "{v}");
    // The committer learns it at load time, at the line that names the doc, not from a page.
    let as_text = |c: &cairn::Catalog| -> Vec<String> {
        c.diagnostics
            .iter()
            .filter(|d| d.code == "doc-shown-as-text")
            .map(|d| format!("{}:{}:{} {}", d.file, d.line, d.column, d.message))
            .collect()
    };
    let found = as_text(&load(dir.path()));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("catalog.yaml:7:")
            && found[0]
                .contains("`deep.md` is shown as plain text, not rendered: blockquotes nested"),
        "{found:?}"
    );
    // Reloads keep saying it while it holds, once, and stop when the doc is simplified.
    let mut cache = cairn::loader::LoadCache::default();
    let opts = Default::default();
    let (c, _) =
        cairn::loader::load_touched(dir.path(), &opts, &mut cache, &|_, _| {}, None).unwrap();
    assert_eq!(as_text(&c).len(), 1);
    std::fs::write(dir.path().join("other.yaml"), "kind: team\nname: other\n").unwrap();
    let (c, _) =
        cairn::loader::load_touched(dir.path(), &opts, &mut cache, &|_, _| {}, None).unwrap();
    assert_eq!(as_text(&c).len(), 1, "{:?}", as_text(&c));
    std::fs::write(dir.path().join("deep.md"), "# Simple now\n").unwrap();
    let (c, _) =
        cairn::loader::load_touched(dir.path(), &opts, &mut cache, &|_, _| {}, None).unwrap();
    assert!(as_text(&c).is_empty(), "{:?}", as_text(&c));
}

/// A glossary term in `cairn.yaml` the renderers would take seconds on (issue #21 point 5:
/// `>` x 40,000 made `/start` take 6.8 s) is shown on `/start` as escaped text with the reason.
#[test]
fn a_glossary_term_too_nested_to_render_is_shown_as_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalog.yaml"), "kind: team\nname: core\n").unwrap();
    let term = format!(
        "zebracrossing <script>x</script>\n\n{}",
        cairn::hostile::nested_quotes(40_000)
    );
    std::fs::write(
        dir.path().join("cairn.yaml"),
        cairn::hostile::glossary_settings(&term),
    )
    .unwrap();
    let st = state_for(dir.path());
    let r = get(&st, "/start");
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Zebra"), "the term is listed");
    assert!(
        r.body
            .contains("Shown as plain text: blockquotes nested 40000 deep on line 3"),
        "{}",
        &r.body[..r.body.len().min(2000)]
    );
    assert!(r.body.contains("zebracrossing &lt;script&gt;"));
    assert!(!r.body.contains("<blockquote>") && !r.body.contains("<script>x"));
}

/// Markdown the `too_complex` scan lets through but that would make more work than its size
/// allows (a paragraph of 20,000 no-break spaces: the sanitiser's serialiser looks ahead to the
/// end of the text at each, quadratic: 200,000 took 4 s a view) is shown as escaped text with
/// the reason wherever Markdown is
/// rendered: a doc and a runbook (system page, own URL; a `doc-shown-as-text` warning at load
/// time, still indexed), a glossary term and the settings description on `/start`, a team's
/// onboarding.
#[test]
fn markdown_over_its_rendering_budget_is_shown_as_text() {
    let spaced = format!(
        "zebracrossing <script>x</script>\n\na{}b\n",
        "\u{a0}".repeat(20_000)
    );
    let yaml_block = |text: &str| {
        text.lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("catalog.yaml"),
        format!(
            "kind: team\nname: core\nonboarding:\n  welcome: |\n{}---\n\
             kind: system\nname: app\nowner: core\ndocs: [spaced.md]\nrunbook: spaced.md\n",
            yaml_block(&spaced)
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("cairn.yaml"),
        format!(
            "kind: settings\ndescription: |\n  {}\nglossary:\n  Zebra: |\n{}",
            spaced.lines().collect::<Vec<_>>().join("\n  "),
            yaml_block(&spaced)
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("spaced.md"), &spaced).unwrap();
    let c = load(dir.path());
    let found: Vec<String> = c
        .diagnostics
        .iter()
        .filter(|d| d.code == "doc-shown-as-text")
        .map(|d| format!("{}:{} {}", d.file, d.line, d.message))
        .collect();
    assert_eq!(found.len(), 2, "the doc and the runbook: {found:?}");
    assert!(
        found.iter().all(|f| f.starts_with("catalog.yaml:")
            && f.contains(
                "`spaced.md` is shown as plain text, not rendered: over the rendering budget: more than"
            )),
        "{found:?}"
    );
    let st = state_for(dir.path());
    // The system page shows the doc and the runbook; `/start` the description and the term.
    for (uri, expected) in [
        ("/systems/app", 2),
        ("/docs/spaced.md", 1),
        ("/start", 2),
        ("/teams/core/onboarding", 1),
    ] {
        let r = get(&st, uri);
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        let shown = r
            .body
            .matches("Shown as plain text: over the rendering budget: more than")
            .count();
        assert_eq!(shown, expected, "{uri}");
        assert!(!r.body.contains("<script>x"), "{uri}: escaped");
        assert!(!r.body.contains("<p>a\u{a0}"), "{uri}: not rendered");
    }
    let (_, v) = json(&st, "/api/v1/search?q=zebracrossing");
    assert!(v["total"].as_u64().unwrap() >= 1, "{v}");
}

/// An owner that is not in the files is shown "not in the catalog" on the system page, and its
/// team link answers with what it owns instead of a bare "no such team".
#[test]
fn an_owner_not_in_the_catalog_is_shown_by_its_reference() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("catalog.yaml"),
        "kind: system\nname: app\nowner: group:ghosts\n---\nkind: system\nname: other\nowner: group:ghosts\n",
    )
    .unwrap();
    let st = state_for(dir.path());
    let page = get(&st, "/systems/app").body;
    assert!(
        page.contains("group:ghosts</strong> <span class=\"pill warn\"")
            && page.contains("not in the catalog"),
        "{page}"
    );
    let r = get(&st, "/teams/group:ghosts");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("is not in the catalog"), "{}", r.body);
    assert!(
        r.body.contains("href=\"/systems/app\"") && r.body.contains("href=\"/systems/other\""),
        "{}",
        r.body
    );
    let (_, v) = json(&st, "/api/v1/systems/app");
    assert_eq!(v["owner"]["in_catalog"], false, "{v}");
}

/// A doc is rendered at most once per snapshot (views after the first read the rendering), and
/// pages still show it.
#[test]
fn docs_are_rendered_once_per_snapshot() {
    let st = example();
    let snap = st.live().snapshot.clone();
    let path = snap
        .catalog
        .documents
        .keys()
        .next()
        .expect("the example has docs")
        .clone();
    let first = snap.rendered(&path).unwrap();
    let again = snap.rendered(&path).unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again), "rendered twice");
    let page = get(&st, &format!("/docs/{path}"));
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&first.html),
        "the page shows the cached rendering"
    );
    assert!(snap.rendered("no/such.md").is_none());
    // Markdown from the YAML (glossary terms, onboarding steps) is rendered once too, and the
    // start page shows that rendering.
    let term = snap
        .catalog
        .settings
        .as_ref()
        .and_then(|s| s.glossary.first())
        .expect("the example has a glossary")
        .definition
        .clone();
    let first = snap.rendered_text(&term);
    assert!(std::sync::Arc::ptr_eq(&first, &snap.rendered_text(&term)));
    let start = get(&st, "/start");
    assert_eq!(start.status, StatusCode::OK);
    assert!(
        start.body.contains(&first.html),
        "the start page shows the cached rendering"
    );
    // A system's -ilities notes too: the page renders them through the snapshot's cache.
    let (name, note) = snap
        .catalog
        .systems
        .iter()
        .find_map(|s| {
            s.ilities
                .values()
                .find(|i| !i.notes.trim().is_empty())
                .map(|i| (s.name.value.clone(), i.notes.clone()))
        })
        .expect("the example has -ilities notes");
    assert!(
        !snap.has_rendered_text(&note),
        "not rendered before the page"
    );
    let page = get(&st, &format!("/systems/{name}"));
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        snap.has_rendered_text(&note),
        "the page rendered it outside the cache"
    );
    assert!(page.body.contains(&snap.rendered_text(&note).html));
}

/// The central picture (Start here and `/graph`) labels each pair of domains with the number of
/// distinct dependencies between them: a consumer's `consumes` and its provider's `consumers`
/// entry count once (they counted twice).
#[test]
fn the_domain_picture_counts_each_dependency_once() {
    let st = example();
    let c = load(&example_catalog());
    let (_, g) = json(&st, "/api/v1/graph");
    let domain = |name: &str| {
        c.system(name)
            .and_then(|s| s.domain.as_ref())
            .map(|d| d.value.clone())
            .unwrap_or_else(|| "(no domain)".into())
    };
    // Distinct dependencies, whatever the API answers.
    let deps: std::collections::BTreeSet<(&str, &str, Option<&str>)> = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap(),
                e["to"].as_str().unwrap(),
                e["api"].as_str(),
            )
        })
        .collect();
    let mut between: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for (from, to, _) in deps {
        let (f, t) = (domain(from), domain(to));
        if f != t {
            *between.entry((f, t)).or_default() += 1;
        }
    }
    let mut expected: Vec<usize> = between.values().copied().collect();
    expected.sort();
    for page in ["/graph", "/start"] {
        let body = get(&st, page).body;
        let mut shown: Vec<usize> = body
            .split("<g class=\"cg-edge-label\">")
            .skip(1)
            .map(|g| {
                let text = &g[g.find("<text").unwrap()..];
                let n = &text[text.find('>').unwrap() + 1..text.find("</text>").unwrap()];
                n.parse().unwrap_or_else(|_| panic!("{page}: label {n}"))
            })
            .collect();
        shown.sort();
        assert_eq!(shown, expected, "{page}");
    }
}

/// Long lists come a page at a time: `limit` and `offset`, `next` to follow, every system once;
/// a limit out of range is a JSON 400. `/api/v1/score` pages its systems the same way while its
/// summary counts them all.
#[test]
fn long_lists_are_paged() {
    let st = example();
    let (_, all) = json(&st, "/api/v1/systems");
    let total = all["total"].as_u64().unwrap() as usize;
    assert_eq!(all["systems"].as_array().unwrap().len(), total);
    assert!(all["next"].is_null());
    let mut seen = Vec::new();
    let mut uri = "/api/v1/systems?limit=10".to_string();
    loop {
        let (status, v) = json(&st, &uri);
        assert_eq!(status, StatusCode::OK, "{uri}");
        let page = v["systems"].as_array().unwrap();
        assert!(page.len() <= 10);
        seen.extend(page.iter().map(|s| s["name"].as_str().unwrap().to_string()));
        match v["next"].as_str() {
            Some(next) => uri = next.to_string(),
            None => break,
        }
    }
    let names: Vec<String> = all["systems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, names);
    for bad in ["limit=0", "limit=1001", "limit=ten", "offset=-1"] {
        let (status, v) = json(&st, &format!("/api/v1/systems?{bad}"));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
    let (_, s) = json(&st, "/api/v1/score?team=releng&limit=1");
    assert_eq!(s["systems"].as_array().unwrap().len(), 1, "{s}");
    let scored = s["summary"]["system_count"].as_u64().unwrap();
    assert!(scored > 1, "{s}");
    assert_eq!(
        s["page"]["next"].as_str(),
        Some("/api/v1/score?team=releng&limit=1&offset=1")
    );
    let (_, last) = json(
        &st,
        &format!("/api/v1/score?team=releng&limit=1&offset={}", scored - 1),
    );
    assert_eq!(last["systems"].as_array().unwrap().len(), 1);
    assert!(last["page"]["next"].is_null());
}

/// The catalog health on the home page counts in words that fit: "1 error", not "1 errors".
#[test]
fn the_home_page_counts_errors_in_words_that_fit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("catalog.yaml"),
        "kind: team\nname: core\n---\nkind: system\nname: app\nowner: core\nlifecycle: sideways\n",
    )
    .unwrap();
    let st = state_for(dir.path());
    let c = load(dir.path());
    assert_eq!(c.errors(), 1, "{:?}", c.diagnostics);
    let home = get(&st, "/").body;
    assert!(home.contains("<dd>1 error</dd>"), "{home}");
}

#[test]
fn ilities_notes_are_reachable_without_hovering() {
    let st = example();
    let matrix = get(&st, "/ilities").body;
    // A cell with notes is a link to the system's -ilities, where the notes are written out,
    // and names them for screen readers; not only a tooltip.
    let cell = matrix
        .split("<a href=\"/systems/bodhi#h-ilities\"")
        .nth(1)
        .expect("a bodhi cell with notes links to its -ilities");
    assert!(cell.contains("aria-label=\""), "{cell}");
    let page = get(&st, "/systems/bodhi").body;
    assert!(page.contains("id=\"h-ilities\""));
    assert!(
        page.contains("four Pyramid heads"),
        "the notes are on the page"
    );
}

/// The answers about every team count each team's systems from one pass over the systems
/// (`Catalog::systems_by_owner`), and agree with the per-team walk.
#[test]
fn every_team_answer_lists_each_teams_own_systems() {
    let st = example();
    let c = load(&example_catalog());
    let by_owner = c.systems_by_owner();
    let (_, teams) = json(&st, "/api/v1/teams");
    let (_, oncall) = json(&st, "/api/v1/oncall?at=2026-11-23");
    assert_eq!(teams["teams"].as_array().unwrap().len(), c.teams.len());
    for t in &c.teams {
        let name = t.name.value.as_str();
        let own: Vec<&str> = c
            .systems_owned_by(name)
            .map(|s| s.name.value.as_str())
            .collect();
        assert_eq!(by_owner.get(name).map_or(0, Vec::len), own.len(), "{name}");
        let row = teams["teams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap();
        assert_eq!(row["system_count"], own.len(), "{name}");
        let row = oncall["teams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap();
        assert_eq!(row["systems"], serde_json::json!(own), "{name}");
    }
    assert!(c
        .teams
        .iter()
        .any(|t| c.systems_owned_by(&t.name.value).count() > 1));
}

/// Follows `next` from `uri` to the last page, checking every page's place and totals, and
/// returns the items of each of `lists` in order with the totals of the first page.
fn walk_pages(
    st: &AppState,
    uri: &str,
    lists: &[&str],
    total: &dyn Fn(&serde_json::Value) -> serde_json::Value,
) -> (Vec<Vec<serde_json::Value>>, serde_json::Value, usize) {
    let mut items = vec![Vec::new(); lists.len()];
    let mut uri = uri.to_string();
    let mut first_total = None;
    let mut pages = 0;
    loop {
        let (status, v) = json(st, &uri);
        assert_eq!(status, StatusCode::OK, "{uri}: {v}");
        pages += 1;
        let limit = v["page"]["limit"].as_u64().unwrap() as usize;
        assert_eq!(
            v["page"]["offset"].as_u64().unwrap() as usize,
            (pages - 1) * limit,
            "{uri}"
        );
        let t = total(&v);
        assert_eq!(
            first_total.get_or_insert_with(|| t.clone()),
            &t,
            "{uri}: totals on every page"
        );
        for (k, list) in lists.iter().enumerate() {
            let page = v[*list]
                .as_array()
                .unwrap_or_else(|| panic!("{uri}: {list}"));
            assert!(page.len() <= limit, "{uri}: {list}");
            items[k].extend(page.iter().cloned());
        }
        match v["page"]["next"].as_str() {
            Some(next) => uri = next.to_string(),
            None => break,
        }
    }
    (items, first_total.unwrap(), pages)
}

/// Bad paging parameters are a 400 with a JSON `Error`, never a truncated or empty answer.
fn assert_bad_paging(st: &AppState, path: &str, max: usize) {
    let sep = if path.contains('?') { '&' } else { '?' };
    for bad in [
        "limit=0".to_string(),
        format!("limit={}", max + 1),
        "limit=ten".into(),
        "offset=-1".into(),
        "offset=lots".into(),
    ] {
        let (status, v) = json(st, &format!("{path}{sep}{bad}"));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {bad}: {v}");
        assert!(v["error"]["message"].is_string(), "{path} {bad}: {v}");
    }
}

/// The graph pages its nodes and edges in step; all pages together are the whole graph, in
/// the same order, whatever the page size, filters kept in `next`.
#[test]
fn the_graph_is_paged_nodes_and_edges_in_step() {
    let st = example();
    let (_, all) = json(&st, "/api/v1/graph");
    let nodes = all["nodes"].as_array().unwrap().clone();
    let edges = all["edges"].as_array().unwrap().clone();
    assert!(nodes.len() > 10 && edges.len() > nodes.len(), "{all}");
    assert_eq!(all["total"]["nodes"], nodes.len());
    assert_eq!(all["total"]["edges"], edges.len());
    assert_eq!(all["page"]["limit"], 1000);
    assert!(all["page"]["next"].is_null());
    // Edges sorted as the CLI sorts them: by consumer, provider, kind, API, then where.
    let key = |e: &serde_json::Value| {
        (
            e["from"].as_str().unwrap().to_string(),
            e["to"].as_str().unwrap().to_string(),
            e["kind"].as_str().unwrap().to_string(),
            e["api"].as_str().map(str::to_string),
            e["declared_by"].as_str().unwrap().to_string(),
            e["file"].as_str().unwrap().to_string(),
            e["line"].as_u64().unwrap(),
        )
    };
    assert!(edges.windows(2).all(|w| key(&w[0]) < key(&w[1])));
    let graph_cli = |args: &[&str]| {
        let catalog = example_catalog();
        let mut argv = vec!["graph", "--catalog", catalog.to_str().unwrap()];
        argv.extend_from_slice(args);
        argv.extend_from_slice(&["--format", "json"]);
        let (code, out, err) = cli(&argv);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let whole = graph_cli(&[]);
    assert_eq!(
        (&whole["nodes"], &whole["edges"]),
        (&all["nodes"], &all["edges"])
    );
    // A narrowed graph keeps the dependencies between its systems, as the CLI finds them.
    for (query, args) in [
        (
            "focus=bodhi&depth=1",
            &["--focus", "bodhi", "--depth", "1"][..],
        ),
        ("team=releng", &["--team", "releng"][..]),
        ("tier=2", &["--tier", "2"][..]),
    ] {
        let (_, api) = json(&st, &format!("/api/v1/graph?{query}"));
        let cli = graph_cli(args);
        assert_eq!(
            (&cli["nodes"], &cli["edges"]),
            (&api["nodes"], &api["edges"]),
            "{query}"
        );
        assert_eq!(
            api["total"]["edges"],
            cli["edges"].as_array().unwrap().len()
        );
        assert!(!cli["edges"].as_array().unwrap().is_empty(), "{query}");
    }
    for limit in [1, 3, 7] {
        let (lists, total, pages) = walk_pages(
            &st,
            &format!("/api/v1/graph?limit={limit}"),
            &["nodes", "edges"],
            &|v| v["total"].clone(),
        );
        assert_eq!(total, all["total"]);
        assert_eq!(lists, vec![nodes.clone(), edges.clone()], "limit={limit}");
        assert_eq!(pages, edges.len().div_ceil(limit), "limit={limit}");
    }
    // A filter stays in `next`; past the end, empty lists with the totals.
    let (_, team) = json(&st, "/api/v1/graph?team=releng");
    let (lists, total, _) = walk_pages(
        &st,
        "/api/v1/graph?team=releng&limit=1",
        &["nodes", "edges"],
        &|v| v["total"].clone(),
    );
    assert_eq!(total, team["total"]);
    assert_eq!(lists[0], *team["nodes"].as_array().unwrap());
    assert_eq!(lists[1], *team["edges"].as_array().unwrap());
    let (status, past) = json(&st, "/api/v1/graph?offset=100000");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            past["nodes"].as_array().unwrap().len(),
            past["edges"].as_array().unwrap().len()
        ),
        (0, 0)
    );
    assert_eq!(past["total"], all["total"]);
    assert!(past["page"]["next"].is_null());
    assert_bad_paging(&st, "/api/v1/graph", 5000);
    assert_bad_paging(&st, "/api/v1/graph?focus=bodhi", 5000);
}

/// `/api/v1/diagnostics` pages its diagnostics and its held files in step; the summary and
/// `total` count them all on every page.
#[test]
fn diagnostics_and_held_files_are_paged_in_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = String::from(
        "kind: team\nname: core\n---\nkind: system\nname: app\nowner: core\ndepends_on:\n",
    );
    for i in 0..25 {
        app.push_str(&format!("  - missing-{i}\n"));
    }
    std::fs::write(dir.path().join("app.yaml"), app).unwrap();
    for i in 0..4 {
        std::fs::write(
            dir.path().join(format!("s{i}.yaml")),
            format!("kind: system\nname: s{i}\nowner: core\n"),
        )
        .unwrap();
    }
    let st = state_for(dir.path());
    for i in 0..4 {
        std::fs::write(
            dir.path().join(format!("s{i}.yaml")),
            format!("kind: system\nname: s{i}\nowner: [unclosed\n"),
        )
        .unwrap();
    }
    assert!(st.reload());
    let (status, all) = json(&st, "/api/v1/diagnostics");
    assert_eq!(status, StatusCode::OK);
    let diagnostics = all["diagnostics"].as_array().unwrap().clone();
    let held = all["held"].as_array().unwrap().clone();
    assert_eq!(held.len(), 4, "{all}");
    assert!(diagnostics.len() >= 29, "{all}");
    assert_eq!(all["total"]["diagnostics"], diagnostics.len());
    assert_eq!(all["total"]["held"], 4);
    assert_eq!(
        all["summary"]["error_count"].as_u64().unwrap()
            + all["summary"]["warning_count"].as_u64().unwrap(),
        diagnostics.len() as u64
    );
    assert_eq!(all["page"]["limit"], 1000);
    assert!(all["page"]["next"].is_null());
    for limit in [1, 3, 10] {
        let (lists, total, pages) = walk_pages(
            &st,
            &format!("/api/v1/diagnostics?limit={limit}"),
            &["diagnostics", "held"],
            &|v| serde_json::json!([v["total"], v["summary"], v["serving_last_good"]]),
        );
        assert_eq!(total[0], all["total"]);
        assert_eq!(total[1], all["summary"]);
        assert_eq!(
            lists,
            vec![diagnostics.clone(), held.clone()],
            "limit={limit}"
        );
        assert_eq!(pages, diagnostics.len().div_ceil(limit), "limit={limit}");
    }
    assert_bad_paging(&st, "/api/v1/diagnostics", 5000);
}

/// A hub with consumers in several teams, transitive dependents, external consumers and
/// observed callers nobody declared: every list of its impact report is longer than a page.
fn hub_with_observed_callers() -> (tempfile::TempDir, AppState) {
    let dir = tempfile::tempdir().unwrap();
    let mut y = String::new();
    for t in 0..5 {
        y.push_str(&format!("kind: team\nname: t{t}\n---\n"));
    }
    y.push_str(
        "kind: system\nname: hub\nowner: t0\nprovides:\n  - name: api\n    version: 1\n    consumers:\n      - { name: ext-a }\n      - { name: ext-b, contact: b@example.org }\n      - { name: ext-c }\n",
    );
    for i in 0..12 {
        y.push_str(&format!(
            "---\nkind: system\nname: c{i}\nowner: t{}\ntier: {}\nconsumes: [hub/api@1]\n",
            i % 5,
            i % 3 + 1
        ));
    }
    for i in 0..6 {
        y.push_str(&format!(
            "---\nkind: system\nname: d{i}\nowner: t{}\ndepends_on: [c{i}]\n",
            (i + 2) % 5
        ));
    }
    std::fs::write(dir.path().join("catalog.yaml"), y).unwrap();
    let mut traffic = String::from("caller,callee,api,count,last_seen\n");
    for k in 0..7 {
        traffic.push_str(&format!("ghost-{k},hub,,{},\n", k + 1));
    }
    let csv = dir.path().join("traffic.csv");
    std::fs::write(&csv, traffic).unwrap();
    let sources = vec![csv.to_string_lossy().into_owned()];
    let read = cairn::observed::ReadOptions::default();
    let data = cairn::observed::read(&sources, &read).unwrap();
    let cfg = cairn::web::ObservedConfig {
        sources,
        read,
        unread: None,
    };
    let st = AppState::with_observed(
        load(dir.path()),
        dir.path(),
        Default::default(),
        Some((cfg, data)),
    )
    .unwrap();
    (dir, st)
}

/// `/api/v1/impact` pages `affected`, `external`, `teams` and `observed` in step; all pages
/// together are the whole report, and the summary counts everything on every page.
#[test]
fn the_impact_report_is_paged_in_step() {
    let (_dir, st) = hub_with_observed_callers();
    let lists = ["affected", "external", "teams", "observed"];
    let (_, all) = json(&st, "/api/v1/impact?target=hub&at=2026-11-23");
    let whole: Vec<Vec<serde_json::Value>> = lists
        .iter()
        .map(|l| all[*l].as_array().unwrap().clone())
        .collect();
    let lens: Vec<usize> = whole.iter().map(Vec::len).collect();
    assert_eq!(lens, vec![18, 3, 5, 7], "{all}");
    let s = &all["summary"];
    assert_eq!(
        (
            &s["total"],
            &s["external_count"],
            &s["team_count"],
            &s["observed_count"]
        ),
        (
            &serde_json::json!(18),
            &serde_json::json!(3),
            &serde_json::json!(5),
            &serde_json::json!(7)
        )
    );
    assert!(all["page"]["next"].is_null());
    for limit in [1, 2, 4, 17] {
        let (pages, total, n) = walk_pages(
            &st,
            &format!("/api/v1/impact?target=hub&at=2026-11-23&limit={limit}"),
            &lists,
            &|v| v["summary"].clone(),
        );
        assert_eq!(total, all["summary"], "limit={limit}");
        assert_eq!(pages, whole, "limit={limit}");
        assert_eq!(n, 18usize.div_ceil(limit), "limit={limit}");
    }
    // `next` keeps the question.
    let (_, first) = json(
        &st,
        "/api/v1/impact?target=hub&max_depth=1&at=2026-11-23&limit=5",
    );
    assert_eq!(
        first["page"]["next"],
        "/api/v1/impact?at=2026-11-23&max_depth=1&target=hub&limit=5&offset=5"
    );
    assert_eq!(first["summary"]["total"], 12);
    assert_bad_paging(&st, "/api/v1/impact?target=hub", 1000);
}

/// `/api/v1/oncall` pages its teams; `total` counts them on every page and `next` keeps the
/// day asked about.
#[test]
fn oncall_teams_are_paged() {
    let st = example();
    let (_, all) = json(&st, "/api/v1/oncall?at=2026-11-23");
    let teams = all["teams"].as_array().unwrap().clone();
    assert!(teams.len() >= 6, "{all}");
    assert_eq!(all["total"], teams.len());
    assert!(all["page"]["next"].is_null());
    for limit in [1, 4] {
        let (lists, total, pages) = walk_pages(
            &st,
            &format!("/api/v1/oncall?at=2026-11-23&limit={limit}"),
            &["teams"],
            &|v| serde_json::json!([v["total"], v["date"]]),
        );
        assert_eq!(total, serde_json::json!([teams.len(), "2026-11-23"]));
        assert_eq!(lists, vec![teams.clone()], "limit={limit}");
        assert_eq!(pages, teams.len().div_ceil(limit));
    }
    let (_, one) = json(&st, "/api/v1/oncall?team=qa&limit=1");
    assert_eq!(
        (&one["total"], &one["page"]["next"]),
        (&serde_json::json!(1), &serde_json::Value::Null)
    );
    assert_bad_paging(&st, "/api/v1/oncall", 1000);
}

/// Visible words of a page: the text outside tags, scripts, styles and pictures.
fn words(html: &str) -> usize {
    let mut text = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        text.push_str(&rest[..i]);
        text.push(' ');
        rest = &rest[i..];
        let skip = ["<svg", "<script", "<style"]
            .iter()
            .find(|t| rest.starts_with(**t))
            .map(|t| format!("</{}>", &t[1..]));
        let end = match skip {
            Some(close) => rest.find(&close).map(|e| e + close.len()),
            None => rest.find('>').map(|e| e + 1),
        };
        rest = &rest[end.unwrap_or(rest.len())..];
    }
    text.push_str(rest);
    text.split_whitespace().count()
}

/// Issue #24 point 5: `/start` reads in ten minutes (2,400 words at an adult's 240 a minute),
/// on the example and on a catalog fifty times its size, because every list on it is capped and
/// the glossary on it holds only the written jargon; the A-Z of every system is `/glossary`.
#[test]
fn start_here_reads_in_ten_minutes_and_the_glossary_has_every_term() {
    let st = example();
    let start = get(&st, "/start").body;
    let n = words(&start);
    assert!(n <= 2_400, "/start has {n} words");
    // The jargon is there; the systems are not repeated as glossary entries.
    let glossary = &start[start.find("<dl class=\"glossary\">").expect("jargon")..];
    let glossary = &glossary[..glossary.find("</dl>").unwrap()];
    assert!(glossary.contains("critpath"), "{glossary}");
    assert!(!glossary.contains("pill kind"), "{glossary}");
    assert!(start.contains("href=\"/glossary\""));
    // The A-Z has every system, team and domain, and the jargon.
    let az = get(&st, "/glossary");
    assert_eq!(az.status, StatusCode::OK);
    let c = load(&example_catalog());
    for name in c
        .systems
        .iter()
        .map(|s| &s.name.value)
        .chain(c.teams.iter().map(|t| &t.name.value))
        .chain(c.domains.iter().map(|d| &d.name.value))
    {
        assert!(
            az.body.contains(&format!("<strong>{name}</strong>")),
            "/glossary lacks {name}"
        );
    }
    assert!(az.body.contains("critpath"));

    let dir = tempfile::tempdir().unwrap();
    cairn::gen::generate(dir.path(), 2_000, 3).unwrap();
    let big = state_for(dir.path());
    let start = get(&big, "/start").body;
    let n = words(&start);
    assert!(n <= 2_400, "/start has {n} words at 2,000 systems");
    assert!(
        start.contains("more tier-1 systems on <a href=\"/readiness\">"),
        "essential list capped"
    );
}

/// Issue #24 point 5: the overview explains its cards' tier colours, with the classes the
/// cards themselves use.
#[test]
fn the_overview_explains_the_tier_colours() {
    let home = get(&example(), "/").body;
    let legend = &home[home.find("id=\"tier-legend\"").expect("a tier legend")..];
    let legend = &legend[..legend.find("</p>").unwrap()];
    for class in ["swatch tier-1", "swatch tier-2", "swatch tier-3"] {
        assert!(legend.contains(class), "{legend}");
    }
    assert!(
        home.contains("class=\"card tier-1"),
        "cards use the same classes"
    );
}

/// Issue #24 point 6: the system page's observed callers have a "Last seen" column only when
/// the sources say when a caller last called (Jaeger's dependency answer, the example's, does
/// not), and name the source relative to the catalog.
#[test]
fn last_seen_is_shown_only_when_the_traffic_says_it() {
    for (rows, column) in [
        ("caller,callee,count\nghost,hub,4\n", false),
        (
            "caller,callee,count,last_seen\nghost,hub,4,2026-11-30\n",
            true,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("catalog.yaml"),
            "kind: team\nname: t\n---\nkind: system\nname: hub\nowner: t\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("traffic.csv"), rows).unwrap();
        let sources = vec![dir
            .path()
            .join("traffic.csv")
            .to_string_lossy()
            .into_owned()];
        let read = cairn::observed::ReadOptions {
            shown_relative_to: Some(dir.path().to_path_buf()),
            ..Default::default()
        };
        let data = cairn::observed::read(&sources, &read).unwrap();
        let cfg = cairn::web::ObservedConfig {
            sources,
            read,
            unread: None,
        };
        let st = AppState::with_observed(
            load(dir.path()),
            dir.path(),
            Default::default(),
            Some((cfg, data)),
        )
        .unwrap();
        let page = get(&st, "/systems/hub").body;
        assert!(page.contains("<strong>ghost</strong>"), "{page}");
        assert!(page.contains("observed traffic (traffic.csv)"), "{page}");
        assert_eq!(page.contains("<th>Last seen</th>"), column, "{rows}");
        assert_eq!(page.contains("2026-11-30"), column);
    }
}

/// Issue #21: the HTML pages stay bounded however big the catalog: the impact page of a hub
/// lists the first rows of each table with the true totals and points to the full report; the
/// mail names a bounded number of systems per team; the overview shows a few cards per domain
/// and the teams owning the most systems, each with a link to the rest.
#[test]
fn big_answers_are_bounded_on_pages_with_links_to_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut y = String::from(
        "kind: team\nname: hubteam\n---\nkind: system\nname: hub\nowner: hubteam\nprovides:\n  - name: api\n    version: 1\n",
    );
    for t in 0..45 {
        y.push_str(&format!(
            "---\nkind: team\nname: t{t}\ncontacts: {{ email: t{t}@example.org }}\n"
        ));
    }
    for d in 0..30 {
        y.push_str(&format!("---\nkind: domain\nname: d{d}\n"));
    }
    // 450 direct consumers: 400 owned by t0 (one team, many systems), the rest spread.
    for i in 0..450 {
        let owner = if i < 400 { 0 } else { 1 + i % 44 };
        y.push_str(&format!(
            "---\nkind: system\nname: c{i}\nowner: t{owner}\ndomain: d{}\nconsumes: [hub/api@1]\n",
            i % 30
        ));
    }
    std::fs::write(dir.path().join("catalog.yaml"), y).unwrap();
    let st = state_for(dir.path());

    let page = get(&st, "/impact?target=hub%2Fapi%401");
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    assert!(
        b.contains("Direct consumers <span class=\"muted\">(450)</span>"),
        "true total"
    );
    let rows = b.matches("<tr class=\"tier-").count();
    assert_eq!(rows, 200, "rows capped");
    assert!(b.contains("The first 200 of 450"), "says so");
    assert!(
        b.contains("href=\"/api/v1/impact?target=hub/api@1\""),
        "JSON link"
    );
    assert!(
        b.contains(" and 380 more</td>"),
        "t0's 400 systems: 20 named"
    );
    // The mail: 25 of t0's systems, then how many more.
    let mail = &b[b.find("<div class=\"mail-body\">").unwrap()..];
    let mail = &mail[..mail.find("</div>").unwrap()];
    assert!(mail.contains("and 375 more of t0&#39;s systems"), "{mail}");
    assert!(mail.matches("(tier").count() <= 25 + 44, "{mail}");
    // The JSON still has every consumer, paged.
    let (_, j) = json(&st, "/api/v1/impact?target=hub%2Fapi%401&limit=1000");
    assert_eq!(j["summary"]["total"], 450);

    // The overview: 30 domains, so six cards each and a search for the rest.
    let home = get(&st, "/").body;
    // Six per domain, and the hub alone under "Other systems".
    assert_eq!(home.matches("<li class=\"card ").count(), 30 * 6 + 1);
    assert!(
        home.contains("href=\"/search?q=domain%3Ad0+kind%3Asystem\">and 9 more in d0</a>"),
        "more link"
    );
    // 46 teams: the 40 owning the most, and a link to all.
    assert!(home.contains("all 46 teams</a>"));
    assert!(
        home.contains("href=\"/teams/t0\""),
        "the biggest team is listed"
    );
}

/// `/oncall` lists the first 100 teams (the page of 5,000 teams was 9.0 MB); `team=` and
/// `system=` put one team first, so every team's card is one link away.
#[test]
fn oncall_page_is_bounded_and_any_team_is_one_link_away() {
    let dir = tempfile::tempdir().unwrap();
    let mut y = String::new();
    for t in 0..120 {
        y.push_str(&format!(
            "---\nkind: team\nname: t{t}\noncall:\n  rotation: {{ start: 2026-01-05, every: 1w, order: [p{t}, q{t}] }}\n---\nkind: system\nname: s{t}\nowner: t{t}\n"
        ));
    }
    std::fs::write(dir.path().join("catalog.yaml"), y).unwrap();
    let st = state_for(dir.path());
    let page = get(&st, "/oncall").body;
    assert_eq!(page.matches("<article class=\"oncall-card").count(), 100);
    assert!(page.contains("The first 100 of 120 teams"), "says so");
    for ask in ["/oncall?team=t119", "/oncall?system=s119"] {
        let page = get(&st, ask).body;
        let first = page.find("<article class=\"oncall-card").unwrap();
        assert!(
            page[first..]
                .starts_with("<article class=\"oncall-card highlighted\" id=\"team-t119\""),
            "{ask}: t119 first"
        );
    }
    assert_eq!(
        get(&st, "/oncall?team=nobody").status,
        StatusCode::NOT_FOUND
    );
    // The links to a team's on call name it.
    let team = get(&example(), "/teams/releng").body;
    assert!(
        team.contains("href=\"/oncall?team=releng#team-releng\""),
        "team page link"
    );
}

/// `/api/v1/drift` makes the report once per snapshot and pages that one (each page made it
/// again: 2.4 s per page at 100,000 systems).
#[test]
fn drift_is_made_once_per_snapshot() {
    let (_dir, st) = hub_with_observed_callers();
    let live = st.live();
    let first = cairn::snapshot::query::drift(&live.snapshot).expect("observed traffic");
    let (_, a) = json(&st, "/api/v1/drift?limit=2");
    let (_, b) = json(&st, "/api/v1/drift?limit=2&offset=2");
    let again = cairn::snapshot::query::drift(&live.snapshot).unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &again), "made again");
    assert_eq!(a["summary"], b["summary"]);
    assert_eq!(a["unknown"].as_array().unwrap().len(), 2, "{a}");
    assert_ne!(a["unknown"], b["unknown"], "pages differ");
}

/// `/api/v1/systems` (#24): `limit=5` gives 5 systems a page, and following `next` from the
/// first page visits every system of the catalog exactly once, in catalog order.
#[test]
fn the_system_list_pages_by_limit_and_next_visits_every_system_once() {
    let st = example();
    let (_, all) = json(&st, "/api/v1/systems?limit=1000");
    let names: Vec<String> = all["systems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), all["total"].as_u64().unwrap() as usize);
    assert!(names.len() > 10, "{}", names.len());
    let (_, first) = json(&st, "/api/v1/systems?limit=5");
    assert_eq!(first["systems"].as_array().unwrap().len(), 5);
    assert_eq!((&first["limit"], &first["offset"]), (&5.into(), &0.into()));
    let mut seen: Vec<String> = Vec::new();
    let mut page = first;
    let mut pages = 1;
    loop {
        let list = page["systems"].as_array().unwrap();
        if page["next"].is_string() {
            assert_eq!(list.len(), 5, "{page}");
        }
        seen.extend(list.iter().map(|s| s["name"].as_str().unwrap().to_string()));
        let Some(next) = page["next"].as_str() else {
            break;
        };
        assert!(next.starts_with("/api/v1/systems?"), "{next}");
        let (status, v) = json(&st, next);
        assert_eq!(status, StatusCode::OK, "{next}");
        page = v;
        pages += 1;
    }
    assert_eq!(pages, names.len().div_ceil(5));
    assert_eq!(seen, names, "every system once, in order");
}

/// `/api/v1/impact` (#24): each affected system lists the APIs it reaches the change through
/// and the endpoints it uses of each (`through`); `via_text` is the sentence.
#[test]
fn the_impact_api_lists_the_edges_and_endpoints_of_each_affected_system() {
    let st = example();
    let (status, v) = json(
        &st,
        "/api/v1/impact?target=pkgdb/api@2&endpoint=GET%20/api/critpath&at=2026-12-07",
    );
    assert_eq!(status, StatusCode::OK, "{v}");
    let bodhi = v["affected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["system"] == "bodhi")
        .expect("bodhi uses GET /api/critpath");
    assert_eq!(bodhi["through"][0]["kind"], "consumes");
    assert_eq!(bodhi["through"][0]["system"], "pkgdb");
    assert_eq!(bodhi["through"][0]["api"], "pkgdb/api@2");
    let endpoints = bodhi["through"][0]["endpoints"].as_array().unwrap();
    assert!(
        endpoints.contains(&serde_json::json!({ "method": "GET", "path": "/api/critpath" })),
        "{bodhi}"
    );
    assert!(bodhi["via_text"]
        .as_str()
        .unwrap()
        .contains("GET /api/critpath"));
    for a in v["affected"].as_array().unwrap() {
        assert!(a.get("via").is_none(), "{a}");
        for e in a["through"].as_array().unwrap() {
            let kind = e["kind"].as_str().unwrap();
            assert!(["consumes", "depends_on", "listed"].contains(&kind), "{a}");
            assert_eq!(e["api"].is_null(), kind == "depends_on", "{a}");
        }
    }
    // The page still shows the sentence.
    let page = get(
        &st,
        "/impact?target=pkgdb/api@2&endpoint=GET%20/api/critpath&at=2026-12-07",
    );
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("consumes pkgdb/api@2, uses GET /api/critpath"));
}

/// `/api/v1/search` (#24): snippets are plain text (no markup), `highlights` are char ranges
/// that point at the query's words, and `page.next` pages through every result once.
#[test]
fn search_snippets_are_text_with_ranges_and_next_pages_through() {
    let st = example();
    let (_, whole) = json(&st, "/api/v1/search?q=mirrormanager&limit=200");
    let total = whole["total"].as_u64().unwrap() as usize;
    assert!(total > 3, "{whole}");
    let mut highlighted = 0;
    for hit in whole["results"].as_array().unwrap() {
        let snippet = hit["snippet"].as_str().unwrap();
        // Text, not HTML: no tags and no entities (catalog text may hold a `<` of its own:
        // "should be < 2h old").
        for markup in ["<b>", "</b>", "&lt;", "&gt;", "&amp;", "&quot;"] {
            assert!(!snippet.contains(markup), "no markup: {snippet}");
        }
        let chars: Vec<char> = snippet.chars().collect();
        let mut end = 0;
        for r in hit["highlights"].as_array().unwrap() {
            let (s, e) = (
                r[0].as_u64().unwrap() as usize,
                r[1].as_u64().unwrap() as usize,
            );
            assert!(end <= s && s < e && e <= chars.len(), "{hit}");
            end = e;
            let word: String = chars[s..e].iter().collect::<String>().to_lowercase();
            assert!(word.contains("mirrormanager"), "{word:?} in {snippet}");
            highlighted += 1;
        }
    }
    assert!(highlighted > 0, "{whole}");
    // Paging: 2 at a time, `next` to the end, every result once and in the same order.
    let order: Vec<String> = whole["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| format!("{} {}", h["kind"], h["name"]))
        .collect();
    let mut seen = Vec::new();
    let mut uri = "/api/v1/search?q=mirrormanager&limit=2".to_string();
    loop {
        let (status, v) = json(&st, &uri);
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(v["page"]["limit"], 2);
        seen.extend(
            v["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| format!("{} {}", h["kind"], h["name"])),
        );
        match v["page"]["next"].as_str() {
            Some(next) => {
                assert!(next.contains("q=mirrormanager"), "{next}");
                uri = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(seen, order);
    // The HTML page still highlights, escaped.
    let page = get(&st, "/search?q=mirrormanager");
    assert!(page.body.contains("<b>mirrormanager"), "{}", page.body);
}

/// `/api/v1/systems/{name}` (#24): `oncall` is the owner team's on-call now — the rotation's
/// primary, backup and lead and the shift's last day, as the system page shows — and `null`
/// only when the owner has no rotation (or is not in the catalog).
#[test]
fn a_system_answer_says_who_is_on_call() {
    let st = example();
    let (status, v) = json(&st, "/api/v1/systems/pkgdb?at=2026-12-07");
    assert_eq!(status, StatusCode::OK);
    let oncall = &v["oncall"];
    for role in ["primary", "backup", "lead", "until"] {
        assert!(oncall[role].is_string(), "{role}: {v:#}");
    }
    assert_eq!(oncall, &v["owner"]["oncall"]);
    let page = get(&st, "/systems/pkgdb?at=2026-12-07");
    assert!(
        page.body.contains(oncall["primary"].as_str().unwrap()),
        "the page shows the same primary"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "kind: team\nname: quiet\n---\nkind: system\nname: calm\nowner: quiet\n---\n\
         kind: system\nname: elsewhere\nowner: org-directory-team\n",
    )
    .unwrap();
    let st = state_for(dir.path());
    for name in ["calm", "elsewhere"] {
        let (status, v) = json(&st, &format!("/api/v1/systems/{name}"));
        assert_eq!(status, StatusCode::OK, "{v}");
        assert!(v["oncall"].is_null(), "{name}: {v:#}");
    }
}

/// Field names mean one thing (#24): in the lists' answers a count is `<thing>_count`, and the
/// plain name is the list.
#[test]
fn counts_are_named_thing_count_and_lists_keep_the_plain_name() {
    let st = example();
    let (_, teams) = json(&st, "/api/v1/teams");
    let row = &teams["teams"][0];
    assert!(
        row["system_count"].is_u64() && row["member_count"].is_u64(),
        "{row}"
    );
    assert!(row.get("systems").is_none() && row.get("members").is_none());
    let (_, d) = json(&st, "/api/v1/diagnostics");
    for k in [
        "file", "system", "team", "domain", "api", "error", "warning",
    ] {
        assert!(
            d["summary"][format!("{k}_count")].is_u64(),
            "{k}: {}",
            d["summary"]
        );
    }
    let (_, i) = json(&st, "/api/v1/impact?target=pkgdb&at=2026-12-07");
    assert_eq!(
        i["summary"]["team_count"].as_u64().unwrap() as usize,
        i["teams"].as_array().unwrap().len()
    );
    assert_eq!(
        i["summary"]["external_count"].as_u64().unwrap() as usize,
        i["external"].as_array().unwrap().len()
    );
    let (_, s) = json(&st, "/api/v1/score");
    assert!(s["summary"]["system_count"].is_u64(), "{}", s["summary"]);
    assert!(s["systems"].is_array());
    let (_, deps) = json(&st, "/api/v1/deps/bodhi");
    assert!(deps["summary"]["other_team_count"].is_u64(), "{deps}");
}

/// The value of attribute `name` in the tag text `tag`, unescaped for the names used here.
fn graph_attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[at..at + tag[at..].find('"')?])
}

/// Systems per domain and dependencies per pair of domains, from `/api/v1/graph` JSON.
fn graph_counts(
    g: &serde_json::Value,
) -> (
    std::collections::BTreeMap<String, usize>,
    std::collections::BTreeMap<(String, String), usize>,
) {
    let mut domain = std::collections::BTreeMap::new();
    let mut systems = std::collections::BTreeMap::new();
    for n in g["nodes"].as_array().unwrap() {
        let d = n["domain"].as_str().unwrap_or("(no domain)").to_string();
        domain.insert(n["id"].as_str().unwrap().to_string(), d.clone());
        *systems.entry(d).or_default() += 1;
    }
    let mut between = std::collections::BTreeMap::new();
    for e in g["edges"].as_array().unwrap() {
        let (f, t) = (
            &domain[e["from"].as_str().unwrap()],
            &domain[e["to"].as_str().unwrap()],
        );
        if f != t {
            *between.entry((f.clone(), t.clone())).or_default() += 1;
        }
    }
    (systems, between)
}

/// `/graph?all=1` draws each domain as a box holding its systems, and one arrow per pair of
/// domains labelled with the number of dependencies between them: both as `/api/v1/graph`
/// counts them. `focus=` is one hop unless `depth` says otherwise.
#[test]
fn the_systems_picture_boxes_domains_and_bundles_their_dependencies() {
    let st = example();
    let (_, g) = json(&st, "/api/v1/graph");
    let (systems, between) = graph_counts(&g);
    let page = get(&st, "/graph?all=1");
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;

    let mut shown_systems = std::collections::BTreeMap::new();
    for (i, _) in body.match_indices("<g class=\"cg-group\"") {
        let tag = &body[i..i + body[i..].find('>').unwrap()];
        let name = graph_attr(tag, "data-group").unwrap().to_string();
        let size: usize = graph_attr(tag, "data-size").unwrap().parse().unwrap();
        // The box says it in words too.
        let rest = &body[i..];
        let sub = &rest[rest.find("class=\"cg-group-sub\"").unwrap()..];
        let text = &sub[sub.find('>').unwrap() + 1..sub.find("</text>").unwrap()];
        assert_eq!(
            text,
            format!("{size} system{}", if size == 1 { "" } else { "s" })
        );
        assert!(shown_systems.insert(name, size).is_none());
    }
    assert_eq!(shown_systems, systems);
    assert_eq!(
        body.matches(" data-node=\"").count(),
        g["nodes"].as_array().unwrap().len()
    );

    let mut shown_between = std::collections::BTreeMap::new();
    for (i, _) in body.match_indices("<path class=\"cg-edge cg-bundle ") {
        let tag = &body[i..i + body[i..].find('>').unwrap()];
        let key = (
            graph_attr(tag, "data-from-group").unwrap().to_string(),
            graph_attr(tag, "data-to-group").unwrap().to_string(),
        );
        let n: usize = graph_attr(tag, "data-count").unwrap().parse().unwrap();
        assert!(shown_between.insert(key, n).is_none(), "one arrow per pair");
    }
    assert_eq!(shown_between, between);
    let mut labels: Vec<usize> = body
        .split("<g class=\"cg-edge-label cg-bundle-label\"")
        .skip(1)
        .map(|g| {
            let text = &g[g.find("<text").unwrap()..];
            text[text.find('>').unwrap() + 1..text.find("</text>").unwrap()]
                .parse()
                .unwrap()
        })
        .collect();
    labels.sort();
    let mut expected: Vec<usize> = between.values().copied().collect();
    expected.sort();
    assert_eq!(labels, expected);

    // The overview's table has every pair of domains.
    let overview = get(&st, "/graph").body;
    assert!(
        overview.contains(&format!("as a table ({} pairs of domains)", between.len())),
        "the overview's table"
    );

    // Each domain box links to its own picture; zoom controls wait for the script.
    assert!(body.contains("<a class=\"cg-group-link\" href=\"/graph?domain=packaging\">"));
    assert!(body.contains("data-zoom-controls hidden"));

    // Around a system: one hop by default, as `depth=1` asks the API.
    let (_, one) = json(&st, "/api/v1/graph?focus=bodhi&depth=1");
    let (_, two) = json(&st, "/api/v1/graph?focus=bodhi&depth=2");
    let (n1, n2) = (
        one["nodes"].as_array().unwrap().len(),
        two["nodes"].as_array().unwrap().len(),
    );
    assert!(n1 < n2, "{n1} {n2}");
    let total = g["nodes"].as_array().unwrap().len();
    for (uri, n) in [
        ("/graph?focus=bodhi", n1),
        ("/graph?focus=bodhi&depth=", n1),
        ("/graph?focus=bodhi&depth=2", n2),
    ] {
        let body = get(&st, uri).body;
        assert!(body.contains(&format!("{n} of {total} systems")), "{uri}");
        assert_eq!(body.matches(" data-node=\"").count(), n, "{uri}");
    }
    let focus = get(&st, "/graph?focus=bodhi").body;
    assert!(focus.contains("<option value=\"1\" selected>1</option>"));
    assert!(focus.contains("class=\"cg-node tier-1 focus\""));
}

/// The systems picture of the hostile catalog lets no markup through either (its names and
/// tooltips are catalog text).
#[test]
fn the_systems_picture_escapes_catalog_text() {
    let st = state_for(&data_dir().join("hostile-web"));
    for uri in [
        "/graph?all=1",
        "/graph?focus=xss",
        "/graph?focus=xss&depth=3",
    ] {
        let r = get(&st, uri);
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        let svg = &r.body[r.body.find("<svg").unwrap()..r.body.find("</svg>").unwrap()];
        assert!(svg.contains("class=\"cg-group\""), "{uri}: domain boxes");
        for tag in tags(svg) {
            let t = without_tooltips(tag).to_ascii_lowercase();
            for bad in [
                "<script",
                "<iframe",
                " onload",
                " onerror",
                "javascript:",
                " style=",
            ] {
                assert!(!t.contains(bad), "{uri}: {tag}");
            }
        }
    }
}

/// Issue #24 point 5: a doc shown on a system page is headed by its title once: its own
/// leading `<h1>` is not repeated under the block's heading.
#[test]
fn a_docs_title_appears_once_on_the_system_page() {
    let page = get(&example(), "/systems/bodhi").body;
    let doc = &page[page.find("<details class=\"doc\"").expect("a doc block")..];
    let doc = &doc[..doc.find("</details>").unwrap()];
    assert!(doc.contains("<h2>Bodhi"), "{doc}");
    assert!(!doc.contains("<h1"), "the title again: {doc}");
    assert!(
        doc.contains("Critpath rules"),
        "the rest of the doc is there"
    );
}

/// The impact form's placeholders come from the catalog served (its API with the most
/// endpoints and the first of them), not from the shipped example.
#[test]
fn impact_placeholders_come_from_the_catalog() {
    let mm = state_for(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mattermost"));
    let body = get(&mm, "/impact").body;
    assert!(
        body.contains(r#"placeholder="mattermost-server/mattermost-api-v4@1""#),
        "{body}"
    );
    assert!(
        !body.contains("pkgdb") && !body.contains("critpath"),
        "{body}"
    );
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(
        empty.path().join("a.yaml"),
        "kind: system\nname: a\nowner: t\n",
    )
    .unwrap();
    let body = get(&state_for(empty.path()), "/impact").body;
    assert!(body.contains(r#"placeholder="system/api@1""#), "{body}");
}

/// The server answers as soon as its catalog is loaded and builds its first search index
/// after: meanwhile every page but search is served, and search says why it waits, as a page
/// that asks again by itself (`Refresh`) and as JSON, both with `Retry-After`.
#[test]
fn while_the_first_search_index_is_built_search_says_so_and_the_rest_is_served() {
    let dir = example_catalog();
    let snapshot = cairn::web::Snapshot::new(load(&dir));
    snapshot.hold_search_index();
    let st = AppState::from(
        cairn::web::Served::start(snapshot, Default::default(), &dir, Default::default(), None)
            .unwrap(),
    );
    let page = get(&st, "/search?q=critpath");
    assert_eq!(page.status, 503, "{}", page.body);
    let header = |r: &Resp, name: &str| {
        r.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    assert_eq!(header(&page, "retry-after").as_deref(), Some("2"));
    assert_eq!(header(&page, "refresh").as_deref(), Some("2"));
    assert!(
        page.body.contains("<h1>Not ready yet</h1>")
            && page.body.contains("the search index is still being built"),
        "{}",
        page.body
    );
    let api = get(&st, "/api/v1/search?q=critpath");
    assert_eq!(api.status, 503);
    assert_eq!(header(&api, "retry-after").as_deref(), Some("2"));
    assert_eq!(
        header(&api, "refresh"),
        None,
        "only pages reload themselves"
    );
    for uri in [
        "/",
        "/systems/pkgdb",
        "/impact?target=pkgdb",
        "/api/v1/teams",
    ] {
        assert_eq!(get(&st, uri).status, 200, "{uri}");
    }

    // The real thing: a server started normally answers search once its index is built, and
    // a search asked meanwhile waits for it rather than failing.
    let st = example();
    let (status, hits) = json(&st, "/api/v1/search?q=critpath");
    assert_eq!(status, 200, "{hits:#}");
    assert!(hits["total"].as_u64().unwrap() > 0, "{hits:#}");
    let (_, ready) = json(&st, "/readyz");
    assert_eq!(ready["search"], "ready", "{ready:#}");
    let (_, d) = json(&st, "/api/v1/diagnostics");
    assert_eq!(d["search_index"]["status"], "ready", "{d:#}");
    assert_eq!(d["search_index"]["storage"], "memory", "{d:#}");
}
