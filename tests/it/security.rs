//! What docs/security.md promises about HTTP, checked on every kind of response: the security
//! headers (pages, API, static files, redirects, 404, 405, 400, framework rejections, HEAD), the
//! content types, request text echoed back into pages, and hostile catalog text (links with
//! disguised `javascript:` schemes, Markdown with event handlers, forms, frames, `<base>`, SVG and
//! MathML tricks) rendered through every page. The checks parse tags and attributes instead of
//! searching for substrings, and each checker is shown to fail on what it must reject.
//! (`web.rs` covers routes, traversal and the `hostile-web` fixture's text; this adds the rest.)

use std::collections::BTreeMap;
use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use cairn::web::{router, AppState};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::*;

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

fn state_for(dir: &Path) -> AppState {
    AppState::new(load(dir), dir, Default::default()).expect("state builds")
}

fn send(state: &AppState, method: &str, uri: &str) -> Resp {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
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

fn get(state: &AppState, uri: &str) -> Resp {
    send(state, "GET", uri)
}

fn content_type(r: &Resp) -> &str {
    r.headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

// ---------------------------------------------------------------------------------------------
// Headers

/// Referrer policies that never send a path to another origin.
const SAFE_REFERRER_POLICIES: [&str; 4] = [
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
];

/// The value of the one `name` header, or a failure naming what is wrong.
fn single_header<'a>(h: &'a HeaderMap, name: &str) -> Result<&'a str, String> {
    let all: Vec<_> = h.get_all(name).iter().collect();
    match all.as_slice() {
        [v] => v.to_str().map_err(|_| format!("{name} is not text")),
        [] => Err(format!("no {name} header")),
        _ => Err(format!("{name} sent {} times", all.len())),
    }
}

/// `Ok` when `h` carries the headers docs/security.md lists, with values no weaker.
fn check_security_headers(h: &HeaderMap) -> Result<(), String> {
    let csp = single_header(h, "content-security-policy")?;
    let mut directives: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for d in csp.split(';').map(str::trim).filter(|d| !d.is_empty()) {
        let mut words = d.split_whitespace();
        let name = words.next().unwrap_or_default();
        directives.insert(name, words.collect());
    }
    for (name, want) in [
        ("default-src", "'none'"),
        ("script-src", "'self'"),
        ("style-src", "'self'"),
        ("connect-src", "'self'"),
        ("form-action", "'self'"),
        ("base-uri", "'none'"),
        ("frame-ancestors", "'none'"),
    ] {
        match directives.get(name) {
            Some(v) if v.as_slice() == [want] => {}
            other => return Err(format!("CSP {name} is {other:?}, want {want}: {csp}")),
        }
    }
    for (name, sources) in &directives {
        for s in sources {
            let weak = s.starts_with("'unsafe-")
                || s.contains('*')
                || matches!(*s, "http:" | "https:" | "blob:" | "filesystem:")
                || (*s == "data:" && *name != "img-src");
            if weak {
                return Err(format!("CSP {name} allows {s}: {csp}"));
            }
        }
    }
    if let Some(v) = directives.get("object-src") {
        if v.as_slice() != ["'none'"] {
            return Err(format!("CSP object-src is {v:?}: {csp}"));
        }
    }
    let nosniff = single_header(h, "x-content-type-options")?;
    if nosniff != "nosniff" {
        return Err(format!("X-Content-Type-Options is {nosniff:?}"));
    }
    let frames = single_header(h, "x-frame-options")?;
    if frames != "DENY" {
        return Err(format!("X-Frame-Options is {frames:?}"));
    }
    let referrer = single_header(h, "referrer-policy")?;
    if !SAFE_REFERRER_POLICIES.contains(&referrer) {
        return Err(format!("Referrer-Policy is {referrer:?}"));
    }
    Ok(())
}

/// The stylesheet and script URLs a page links to (they carry the crate version).
fn asset_urls(page: &str) -> (String, String) {
    let after = |marker: &str| {
        page.split(marker)
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("no {marker} in the page"))
            .to_string()
    };
    (
        after("<link rel=\"stylesheet\" href=\""),
        after("<script src=\""),
    )
}

#[test]
fn every_kind_of_response_carries_the_security_headers() {
    let st = state_for(&example_catalog());
    let (css, js) = asset_urls(&get(&st, "/").body);
    let mut cases: Vec<(&str, String, StatusCode)> = [
        // Every page route.
        ("GET", "/", StatusCode::OK),
        ("GET", "/systems/pkgdb", StatusCode::OK),
        ("GET", "/start", StatusCode::OK),
        ("GET", "/teams/releng", StatusCode::OK),
        ("GET", "/teams/releng/onboarding", StatusCode::OK),
        ("GET", "/readiness", StatusCode::OK),
        ("GET", "/ilities", StatusCode::OK),
        ("GET", "/oncall", StatusCode::OK),
        ("GET", "/search?q=koji", StatusCode::OK),
        ("GET", "/impact?target=pkgdb", StatusCode::OK),
        ("GET", "/impact.md?target=pkgdb", StatusCode::OK),
        ("GET", "/graph", StatusCode::OK),
        ("GET", "/docs/systems/pkgdb/README.md", StatusCode::OK),
        // Every API route (drift without --observed answers with an error: still JSON, still headed).
        ("GET", "/api/v1/systems", StatusCode::OK),
        ("GET", "/api/v1/systems/pkgdb", StatusCode::OK),
        ("GET", "/api/v1/teams", StatusCode::OK),
        ("GET", "/api/v1/teams/releng", StatusCode::OK),
        ("GET", "/api/v1/search?q=koji", StatusCode::OK),
        ("GET", "/api/v1/impact?target=pkgdb", StatusCode::OK),
        ("GET", "/api/v1/deps/bodhi", StatusCode::OK),
        ("GET", "/api/v1/graph", StatusCode::OK),
        ("GET", "/api/v1/score", StatusCode::OK),
        ("GET", "/api/v1/oncall", StatusCode::OK),
        ("GET", "/api/v1/diagnostics", StatusCode::OK),
        ("GET", "/api/v1/openapi.json", StatusCode::OK),
        // Redirects, errors and the fallbacks.
        ("GET", "/systems/bodhi2", StatusCode::SEE_OTHER),
        ("GET", "/systems/nope", StatusCode::NOT_FOUND),
        ("GET", "/no/such/page", StatusCode::NOT_FOUND),
        ("GET", "/docs/../../etc/passwd", StatusCode::NOT_FOUND),
        ("GET", "/static/nope.css", StatusCode::NOT_FOUND),
        ("GET", "/api/v1/systems/nope", StatusCode::NOT_FOUND),
        ("GET", "/api/v1/no/such/route", StatusCode::NOT_FOUND),
        ("GET", "/readiness?level=platinum", StatusCode::BAD_REQUEST),
        ("GET", "/api/v1/impact", StatusCode::BAD_REQUEST),
        // Rejected by axum's extractors before a handler runs (invalid UTF-8 in a path segment).
        ("GET", "/systems/%FF", StatusCode::BAD_REQUEST),
        ("GET", "/api/v1/systems/%FF", StatusCode::BAD_REQUEST),
        // Methods the server does not answer.
        ("POST", "/", StatusCode::METHOD_NOT_ALLOWED),
        ("PUT", "/systems/pkgdb", StatusCode::METHOD_NOT_ALLOWED),
        (
            "DELETE",
            "/api/v1/systems/pkgdb",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        ("POST", "/api/v1/search", StatusCode::METHOD_NOT_ALLOWED),
        ("OPTIONS", "/api/v1/systems", StatusCode::METHOD_NOT_ALLOWED),
        // HEAD is answered like GET, headers included.
        ("HEAD", "/", StatusCode::OK),
        ("HEAD", "/api/v1/systems", StatusCode::OK),
    ]
    .into_iter()
    .map(|(m, u, s)| (m, u.to_string(), s))
    .collect();
    cases.push(("GET", css, StatusCode::OK));
    cases.push(("GET", js, StatusCode::OK));
    for (method, uri, status) in &cases {
        let r = send(&st, method, uri);
        let status_matches = if status.is_redirection() {
            r.status.is_redirection()
        } else {
            r.status == *status
        };
        assert!(status_matches, "{method} {uri}: {} ({})", r.status, r.body);
        if let Err(e) = check_security_headers(&r.headers) {
            panic!("{method} {uri} ({}): {e}", r.status);
        }
    }
}

#[test]
fn the_header_check_rejects_missing_or_weakened_headers() {
    let st = state_for(&example_catalog());
    let good = get(&st, "/").headers;
    assert_eq!(check_security_headers(&good), Ok(()));
    assert!(check_security_headers(&HeaderMap::new()).is_err());
    let with = |name: &str, value: &str| {
        let mut h = good.clone();
        h.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
        h
    };
    let weakened = [
        with("x-frame-options", "SAMEORIGIN"),
        with("x-content-type-options", "sniff"),
        with("referrer-policy", "unsafe-url"),
        with("referrer-policy", "no-referrer-when-downgrade"),
        with(
            "content-security-policy",
            "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self'; connect-src 'self'; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
        with(
            "content-security-policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; \
             base-uri 'none'",
        ),
        with(
            "content-security-policy",
            "default-src *; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'",
        ),
    ];
    for h in weakened {
        assert!(check_security_headers(&h).is_err(), "accepted {h:?}");
    }
    for name in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
        "referrer-policy",
    ] {
        let mut h = good.clone();
        h.remove(name);
        assert!(check_security_headers(&h).is_err(), "accepted no {name}");
        let mut twice = good.clone();
        twice.append(name, good.get(name).unwrap().clone());
        assert!(
            check_security_headers(&twice).is_err(),
            "accepted two {name}"
        );
    }
}

#[test]
fn content_types_say_what_the_body_is() {
    let st = state_for(&example_catalog());
    // JSON API: every route, success or error, is `application/json` and parses.
    for uri in [
        "/api/v1/systems",
        "/api/v1/systems/pkgdb",
        "/api/v1/systems/nope",
        "/api/v1/systems/%3Cscript%3E",
        "/api/v1/teams",
        "/api/v1/teams/releng",
        "/api/v1/search?q=koji",
        "/api/v1/search?q=%3Cscript%3E",
        "/api/v1/impact?target=pkgdb",
        "/api/v1/impact?target=%3Cscript%3E",
        "/api/v1/deps/bodhi",
        "/api/v1/graph",
        "/api/v1/score",
        "/api/v1/oncall",
        "/api/v1/diagnostics",
        "/api/v1/drift",
        "/api/v1/openapi.json",
        "/api/v1/no/such/route",
        // Rejections axum's extractors make (a path segment that is not UTF-8 was a
        // `text/plain` 400).
        "/api/v1/systems/%ff",
        "/api/v1/teams/%C3%28",
        "/api/v1/deps/%ff%fe",
    ] {
        let r = get(&st, uri);
        assert_eq!(content_type(&r), "application/json", "{uri}: {}", r.body);
        serde_json::from_str::<serde_json::Value>(&r.body)
            .unwrap_or_else(|e| panic!("{uri}: not JSON ({e}): {}", r.body));
    }
    // Pages, including error pages, are UTF-8 HTML.
    for uri in [
        "/",
        "/systems/pkgdb",
        "/systems/nope",
        "/graph?focus=nope",
        "/no/such/page",
        "/readiness?level=platinum",
        "/docs/systems/pkgdb/README.md",
    ] {
        let r = get(&st, uri);
        assert_eq!(content_type(&r), "text/html; charset=utf-8", "{uri}");
        assert!(r.body.starts_with("<!doctype html>"), "{uri}");
    }
    let r = send(&st, "POST", "/");
    assert_eq!(content_type(&r), "text/html; charset=utf-8", "405 page");
    let r = send(&st, "POST", "/api/v1/search");
    assert_eq!(content_type(&r), "application/json", "405 under /api/");
    serde_json::from_str::<serde_json::Value>(&r.body).expect("a JSON error body");
    // Static files: their own types (nosniff makes browsers hold them to it).
    let (css, js) = asset_urls(&get(&st, "/").body);
    assert!(content_type(&get(&st, &css)).starts_with("text/css"));
    assert!(content_type(&get(&st, &js)).starts_with("text/javascript"));
    // The announcement download is Markdown, as an attachment: never rendered as a page.
    let md = get(&st, "/impact.md?target=pkgdb");
    assert!(
        content_type(&md).starts_with("text/markdown"),
        "{md:?}",
        md = content_type(&md)
    );
    assert!(md
        .headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("attachment")));
}

// ---------------------------------------------------------------------------------------------
// Markup

#[derive(Debug)]
struct Tag {
    name: String,
    /// Attribute names (lowercase) and values with character references decoded.
    attrs: Vec<(String, String)>,
    raw: String,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every start tag of `html`, parsed the way a browser tokenizes them (quoted values may hold
/// `>`); comments, doctype and end tags are skipped. Text never holds a raw `<` that starts a
/// tag: askama and ammonia escape it, which is what is being checked.
fn start_tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off;
        i = start + 1;
        if html[i..].starts_with("!--") {
            i = html[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        if !b.get(i).is_some_and(|c| c.is_ascii_alphabetic()) {
            continue; // end tag, doctype, or a `<` that is only text
        }
        let name_end = html[i..]
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .map_or(b.len(), |e| i + e);
        let name = html[i..name_end].to_ascii_lowercase();
        i = name_end;
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                i += 1;
                break;
            }
            let n_end = html[i..]
                .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>' || c == '/')
                .map_or(b.len(), |e| i + e)
                .max(i + 1);
            let attr = html[i..n_end].to_ascii_lowercase();
            i = n_end;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let mut value = String::new();
            if i < b.len() && b[i] == b'=' {
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                    let q = b[i] as char;
                    let v_end = html[i + 1..].find(q).map_or(b.len(), |e| i + 1 + e);
                    value = html[i + 1..v_end].to_string();
                    i = (v_end + 1).min(b.len());
                } else {
                    let v_end = html[i..]
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .map_or(b.len(), |e| i + e);
                    value = html[i..v_end].to_string();
                    i = v_end;
                }
            }
            attrs.push((attr, decode_references(&value)));
        }
        out.push(Tag {
            name,
            attrs,
            raw: html[start..i.min(b.len())].to_string(),
        });
    }
    out
}

/// Decodes numeric character references and the named ones that matter for schemes.
fn decode_references(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest.find(';').filter(|&e| e <= 12);
        let decoded = end.and_then(|e| {
            let body = &rest[1..e];
            let num = if let Some(hex) = body.strip_prefix("#x").or(body.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok()
            } else if let Some(dec) = body.strip_prefix('#') {
                dec.parse().ok()
            } else {
                None
            };
            let c = match num {
                Some(n) => char::from_u32(n),
                None => match body {
                    "amp" => Some('&'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "colon" => Some(':'),
                    "Tab" => Some('\t'),
                    "NewLine" => Some('\n'),
                    _ => None,
                },
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The scheme a browser would see in a URL attribute: ASCII whitespace and control characters
/// anywhere are dropped (browsers strip or ignore them), case folded.
fn scheme_of(url: &str) -> Option<String> {
    let squeezed: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .collect::<String>()
        .to_ascii_lowercase();
    let (scheme, _) = squeezed.split_once(':')?;
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_string())
}

const URL_ATTRIBUTES: [&str; 14] = [
    "href",
    "src",
    "srcset",
    "action",
    "formaction",
    "xlink:href",
    "poster",
    "background",
    "cite",
    "data",
    "ping",
    "longdesc",
    "to",
    "values",
];

/// Elements no page of Cairn's has, and catalog text must never produce.
const FORBIDDEN_ELEMENTS: [&str; 10] = [
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "style", "portal",
    "template",
];

/// Why `t` could run script, load foreign content or change where the page goes; `None` if inert.
fn active_markup(t: &Tag) -> Option<String> {
    let n = t.name.as_str();
    if FORBIDDEN_ELEMENTS.contains(&n) {
        return Some(format!("<{n}> element"));
    }
    match n {
        "script" if !t.attr("src").is_some_and(|s| s.starts_with("/static/")) => {
            return Some("a script that is not Cairn's own".into())
        }
        "link" => {
            let ok = match t.attr("rel") {
                Some("stylesheet") => t.attr("href").is_some_and(|h| h.starts_with("/static/")),
                Some("icon") => t.attr("href") == Some("data:,"),
                _ => false,
            };
            if !ok {
                return Some("a <link> that is not Cairn's stylesheet or blank icon".into());
            }
        }
        "meta" if !(t.attr("charset").is_some() || t.attr("name") == Some("viewport")) => {
            return Some("a <meta> other than charset and viewport".into())
        }
        "form"
            if !t
                .attr("action")
                .is_some_and(|a| a.starts_with('/') && !a.starts_with("//")) =>
        {
            return Some("a form that submits off the site".into())
        }
        "animate" | "set" if t.attr("attributename").is_some() => {
            return Some("an SVG animation that rewrites an attribute".into())
        }
        _ => {}
    }
    for (a, v) in &t.attrs {
        if a.starts_with("on") {
            return Some(format!("event handler {a}"));
        }
        if matches!(a.as_str(), "style" | "srcdoc" | "http-equiv") {
            return Some(format!("{a} attribute"));
        }
        if URL_ATTRIBUTES.contains(&a.as_str()) {
            // Data URLs only as Cairn's blank icon and as images (CSP img-src allows them; an
            // image runs no script).
            let data_ok = (n == "link" && a == "href" && v == "data:,")
                || (n == "img" && a == "src" && v.starts_with("data:image/"));
            match scheme_of(v).as_deref() {
                Some("javascript" | "vbscript" | "livescript") => {
                    return Some(format!("{a} with a script URL"))
                }
                Some("data") if !data_ok => return Some(format!("{a} with a data: URL")),
                _ => {}
            }
        }
    }
    None
}

/// Fails naming the first tag of `html` that is active markup.
fn assert_inert(what: &str, html: &str) {
    for t in start_tags(html) {
        if let Some(why) = active_markup(&t) {
            panic!("{what}: {why}: {}", t.raw);
        }
    }
    let scripts = start_tags(html)
        .iter()
        .filter(|t| t.name == "script")
        .count();
    assert!(scripts <= 1, "{what}: {scripts} script tags");
}

#[test]
fn the_markup_check_catches_what_it_looks_for() {
    let page = |body: &str| {
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"></head><body>{body}</body></html>"
        )
    };
    for inert in [
        "<p>text &lt;script&gt;alert(1)&lt;/script&gt;</p>",
        "<a href=\"https://example.org/\" rel=\"noopener noreferrer\">x</a>",
        "<a href=\"/systems/a\" title=\"onerror=alert(1) javascript:x\">x</a>",
        "<input value=\"&#34;&gt;&lt;script&gt;\">",
        "<a title='a>b' href=\"mailto:a@example.org\">x</a>",
        "<link rel=\"icon\" href=\"data:,\"><script src=\"/static/cairn.js\" defer></script>",
        "<form action=\"/search\" method=\"get\"></form>",
        "<img src=\"data:image/png;base64,AA\" alt=\"\">",
    ] {
        for t in start_tags(&page(inert)) {
            assert_eq!(active_markup(&t), None, "{inert}: {}", t.raw);
        }
    }
    for active in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<p title=\"x\" ONCLICK='alert(1)'>x</p>",
        "<a title='a>b' onmouseover=alert(1)>x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "<a href=\"java&#x09;script:alert(1)\">x</a>",
        "<a href=\"javascript&colon;alert(1)\">x</a>",
        "<a href=\" \tjavascript:alert(1)\">x</a>",
        "<a href=vbscript:msgbox(1)>x</a>",
        "<a href=\"data:text/html,x\">x</a>",
        "<iframe src=\"https://example.org\"></iframe>",
        "<object data=\"x\"></object>",
        "<embed src=\"x\">",
        "<base href=\"https://evil.example/\">",
        "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
        "<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">",
        "<style>p{}</style>",
        "<div style=\"position:fixed\">x</div>",
        "<form action=\"https://evil.example/\"></form>",
        "<form action=\"//evil.example/\"></form>",
        "<button formaction=\"javascript:alert(1)\">x</button>",
        "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
        "<svg><set attributeName=\"href\" to=\"javascript:alert(1)\"/></svg>",
        "<iframe srcdoc=\"x\"></iframe>",
    ] {
        let tags = start_tags(&page(active));
        assert!(
            tags.iter().any(|t| active_markup(t).is_some()),
            "not caught: {active}"
        );
    }
}

/// A payload for request text: breaks out of attributes and text alike if anything echoes it raw.
const PAYLOAD: &str =
    "\"'><script>cairnxss(1)</script><img src=x onerror=cairnxss(2)><a href=\"javascript:cairnxss(3)\">x</a>";

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn request_text_echoed_into_pages_stays_text() {
    let st = state_for(&example_catalog());
    let p = percent_encode(PAYLOAD);
    // Each of these shows what was asked for (in a message, a search box or a form field).
    for uri in [
        format!("/systems/{p}"),
        format!("/teams/{p}"),
        format!("/teams/{p}/onboarding"),
        format!("/docs/{p}.md"),
        format!("/search?q={p}"),
        format!("/impact?target={p}"),
        format!("/impact?target=pkgdb%2Fapi%402&endpoint={p}"),
        format!("/oncall?system={p}"),
        format!("/graph?focus={p}"),
        format!("/readiness?team={p}"),
        format!("/readiness?level={p}"),
        format!("/no/such/{p}"),
    ] {
        let r = get(&st, &uri);
        assert!(
            r.status.is_success() || r.status.is_client_error(),
            "{uri}: {}",
            r.status
        );
        assert!(
            r.body.contains("cairnxss"),
            "{uri} does not echo the request: the check would prove nothing"
        );
        assert_eq!(content_type(&r), "text/html; charset=utf-8", "{uri}");
        assert_inert(&uri, &r.body);
        assert!(
            !r.body.contains("<script>cairnxss") && !r.body.contains("<img src=x"),
            "{uri}: the payload came back raw"
        );
    }
    // The API echoes it as JSON data, which browsers do not render (content type + nosniff).
    let r = get(&st, &format!("/api/v1/systems/{p}"));
    assert_eq!(content_type(&r), "application/json");
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("cairnxss(1)"));
}

/// A catalog whose text tries every way into a page that the `hostile-web` fixture does not:
/// disguised schemes, handlers on harmless tags, forms, frames, `<base>`, `<meta>`, SVG and
/// MathML tricks, and benign content that must still show.
fn write_hostile_catalog(dir: &Path) {
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::write(
        dir.join("catalog.yaml"),
        r#"kind: team
name: mallory-team
title: Mallory's team
contacts: { email: "m@example.org", chat: " JaVaScRiPt:alert('chat')", issues: "vbscript:msgbox(1)" }
members:
  - { name: mallory, email: "m@example.org", role: lead }
oncall:
  rotation: { start: 2026-01-05, every: 1w, order: [mallory] }
onboarding:
  welcome: "Welcome <a href='java&#x09;script:alert(1)'>tab</a> <details open ontoggle=alert(1)>d</details> [upper](JAVASCRIPT:alert(1)) [entity](&#106;avascript:alert(1))"
  steps:
    - { title: "disguised", url: "  javascript:alert('step')" }
    - { title: "entity", url: "&#106;avascript:alert(1)", details: "<p onclick=alert(1)>p</p> <form action=https://evil.example><button formaction=javascript:alert(1)>go</button></form>" }
    - { title: "good step", url: "https://example.org/step" }
---
kind: system
name: hostile
title: Hostile
description: "Plain words."
owner: mallory-team
repo: "JavaScript:alert('repo')"
links:
  - { title: "tab", url: "java\tscript:alert(1)" }
  - { title: "newline", url: "java\nscript:alert(1)" }
  - { title: "entity", url: "&#106;avascript:alert(1)" }
  - { title: "vb", url: "VBScript:msgbox(1)" }
  - { title: "data", url: "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==" }
  - { title: "spaced", url: "  javascript:alert(1)" }
  - { title: "relative", url: "//evil.example/x" }
  - { title: "good", url: "https://example.org/good" }
environments: { production: "\tjavascript:alert('env')", staging: "https://staging.example.org" }
runbook: docs/hostile.md
docs: [docs/hostile.md]
ilities:
  security: "<p onmouseover=alert(1)>hover</p> <a href=javascript:alert(1) onclick=alert(2)>x</a> <form action=https://evil.example><button formaction=javascript:alert(1)>go</button></form>"
  reliability: { rating: 3, notes: "<base href=https://evil.example/> <meta http-equiv=refresh content='0;url=https://evil.example'> <link rel=stylesheet href=https://evil.example/x.css> <style>p{}</style>" }
  scalability: "<svg><a xlink:href='javascript:alert(1)'><text>svg</text></a><set attributeName=href to='javascript:alert(1)'/></svg> <math><mi xlink:href='javascript:alert(1)'>m</mi></math>"
support:
  version: "<object data=javascript:alert(1)></object><embed src=javascript:alert(1)>"
  logs: "<iframe srcdoc='<script>alert(1)</script>'></iframe>"
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("docs/hostile.md"),
        r#"# Hostile doc

<p onclick="alert(1)" onmouseover='alert(2)'>handlers</p>
<a href="JaVaScRiPt:alert(1)">mixed case</a>
<a href="&#106;&#97;vascript:alert(1)">entities</a>
<a href="java&#x09;script:alert(1)">tab entity</a>
<a href="javascript&colon;alert(1)">named colon</a>
<a href=" javascript:alert(1)">leading space</a>
<a href="vbscript:msgbox(1)">vbscript</a>
<a href="data:text/html,<script>alert(1)</script>">data</a>

[md link](javascript:alert(1)) [md upper](JAVASCRIPT:alert(1)) [md entity](&#x6A;avascript:alert(1))
[md ref][r] ![img](javascript:alert(1))

[r]: javascript:alert(1)

<img src="x" onerror="alert(1)" srcset="javascript:alert(1) 1x">
<svg><script>alert(1)</script><a xlink:href="javascript:alert(1)"><text>svg</text></a><animate attributeName="href" to="javascript:alert(1)"/></svg>
<math><mi xlink:href="javascript:alert(1)">m</mi><annotation-xml encoding="text/html"><style><img src=x onerror=alert(1)></style></annotation-xml></math>
<form action="javascript:alert(1)"><input type="submit" formaction="javascript:alert(1)"></form>
<iframe srcdoc="<script>alert(1)</script>"></iframe>
<object data="javascript:alert(1)"></object>
<embed src="javascript:alert(1)">
<base href="https://evil.example/">
<meta http-equiv="refresh" content="0;url=javascript:alert(1)">
<link rel="stylesheet" href="https://evil.example/x.css">
<style>body{background:url(javascript:alert(1))}</style>
<details open ontoggle="alert(1)">details</details>
<video poster="javascript:alert(1)"></video>
<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>
<template><script>alert(1)</script></template>
<textarea></textarea><script>alert(1)</script>

## Still here

Fine text survives. [A good link](https://example.org/good).
"#,
    )
    .unwrap();
}

#[test]
fn hostile_catalog_text_never_becomes_active_markup() {
    let dir = tempfile::tempdir().unwrap();
    write_hostile_catalog(dir.path());
    let st = state_for(dir.path());
    let uris = [
        "/",
        "/systems/hostile",
        "/teams/mallory-team",
        "/teams/mallory-team/onboarding",
        "/docs/docs/hostile.md",
        "/search?q=hostile",
        "/search?q=handlers",
        "/search?q=javascript",
        "/impact?target=hostile",
        "/graph",
        "/start",
        "/readiness",
        "/ilities",
        "/oncall",
        "/oncall?system=hostile",
    ];
    for uri in uris {
        let r = get(&st, uri);
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        assert_inert(uri, &r.body);
    }
    // What is safe still shows, so the pages above were not simply empty.
    let doc = get(&st, "/docs/docs/hostile.md").body;
    assert!(doc.contains("Fine text survives."), "{doc}");
    assert!(doc.contains("href=\"https://example.org/good\""), "{doc}");
    let sys = get(&st, "/systems/hostile").body;
    for good in [
        "href=\"https://example.org/good\"",
        "href=\"https://staging.example.org\"",
    ] {
        assert!(sys.contains(good), "/systems/hostile lacks {good}");
    }
    let onboarding = get(&st, "/teams/mallory-team/onboarding").body;
    assert!(onboarding.contains("href=\"https://example.org/step\""));
}

#[test]
fn the_fixture_and_example_pages_pass_the_markup_check() {
    // The hostile-web fixture (web.rs checks it for substrings), tag by tag, and the example
    // catalog's own pages: Cairn's legitimate markup is inert by the same rules.
    let hostile = state_for(&data_dir().join("hostile-web"));
    for uri in [
        "/",
        "/systems/xss",
        "/teams/evil",
        "/teams/evil/onboarding",
        "/docs/docs/evil.md",
        "/search?q=script",
        "/impact?target=xss",
        "/graph",
        "/start",
        "/glossary",
        "/readiness",
        "/ilities",
        "/oncall?system=xss",
    ] {
        let r = get(&hostile, uri);
        assert!(r.status.is_success(), "{uri}: {}", r.status);
        assert_inert(uri, &r.body);
    }
    let example = state_for(&example_catalog());
    for uri in [
        "/",
        "/systems/pkgdb",
        "/systems/bodhi",
        "/teams/releng",
        "/teams/infra-apps/onboarding",
        "/start",
        "/glossary",
        "/graph",
        "/readiness",
        "/ilities",
        "/oncall",
        "/search?q=koji",
        "/impact?target=pkgdb%2Fapi%402",
        "/docs/systems/pkgdb/README.md",
    ] {
        let r = get(&example, uri);
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_inert(uri, &r.body);
    }
}

#[test]
fn serve_listens_on_loopback_unless_told_otherwise() {
    use clap::Parser;
    let args = cairn::cli::Args::try_parse_from(["cairn", "serve"]).expect("parses");
    match args.command {
        cairn::cli::Command::Serve { addr, .. } => {
            assert!(addr.ip().is_loopback(), "default address {addr}");
        }
        _ => panic!("`cairn serve` parsed as another command"),
    }
}

/// The connection limits of docs/security.md ("Limits"), on a real socket: a client that never
/// finishes its headers, and one that keeps an idle connection open after a request, are both
/// disconnected after the header timeout; a complete request is answered; and with one
/// connection allowed, a second client is served only once the first has gone.
#[test]
fn slow_and_idle_connections_are_closed_and_bounded() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    let state = state_for(&example_catalog());
    let limits = cairn::web::ConnLimits {
        header_timeout: Duration::from_secs(1),
        max_connections: 1,
        write_timeout: Duration::from_secs(30),
    };
    let server = LiveServer::start(router(state), limits);
    let addr = server.addr;
    let connect = || {
        let s = TcpStream::connect(addr).unwrap();
        // Far longer than the header timeout: a read that ends before it was ended by the server.
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s
    };
    // Everything the server sends until it closes the connection, and how long that took.
    let until_closed = |s: &mut TcpStream| {
        let t = Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf) {
                Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), t.elapsed()),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return (String::from_utf8_lossy(&got).into_owned(), t.elapsed())
                }
                Err(e) => panic!("the server kept the connection open: {e}"),
            }
        }
    };

    // Headers never finished: no response, the connection is closed.
    let mut slow = connect();
    slow.write_all(b"GET /api/v1/systems HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (got, _) = until_closed(&mut slow);
    assert!(!got.contains("200 OK"), "{got}");

    // A whole request is answered; the kept-alive connection is then closed when idle.
    let mut idle = connect();
    idle.write_all(b"GET /api/v1/teams HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (got, _) = until_closed(&mut idle);
    assert!(got.starts_with("HTTP/1.1 200 OK"), "{got}");

    // One connection at a time: while a first client holds it (sending nothing), a second
    // one's request waits; it is answered once the first has gone.
    let first = connect();
    std::thread::sleep(Duration::from_millis(50));
    let mut second = connect();
    second
        .write_all(b"GET /api/v1/teams HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 64];
    match second.read(&mut buf) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) => {}
        other => panic!("served beside the first connection: {other:?}"),
    }
    drop(first);
    second
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let (got, _) = until_closed(&mut second);
    assert!(got.starts_with("HTTP/1.1 200 OK"), "{got}");

    server.stop();
}

/// A committed symlink or special file never makes `cairn check` print what lies outside the
/// catalog, read without bound, or hang (issue: `ln -s /proc/self/environ catalog/e.yaml`
/// printed the environment under the diagnostic): the renderer quotes only files the load
/// read, through the loader's one safe read.
#[cfg(unix)]
#[test]
fn check_never_quotes_or_blocks_on_what_is_not_a_catalog_file() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("credentials.yaml");
    std::fs::write(&outside, "token: SECRET-7f3a9c-DO-NOT-PRINT\n").unwrap();
    let root = tmp.path().join("catalog");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(
        root.join("team.yaml"),
        "kind: team\nname: core\n---\nkind: system\nname: app\nowner: core\ndocs: [pipe.md]\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, root.join("creds.yaml")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", root.join("e.yaml")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("zero.yaml")).unwrap();
    // A FIFO nobody writes to, named as a doc: refused, not waited on.
    assert!(std::process::Command::new("mkfifo")
        .arg(root.join("pipe.md"))
        .status()
        .unwrap()
        .success());
    let (code, stdout, stderr) = cli(&["check", root.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    for leak in ["SECRET-7f3a9c", "PATH=", "HOME="] {
        assert!(
            !stderr.contains(leak) && !stdout.contains(leak),
            "{leak} printed:\n{stderr}"
        );
    }
    assert!(
        stderr.contains("creds.yaml:1:1: error: symlink leaves the catalog"),
        "{stderr}"
    );
    assert!(
        stderr.contains("e.yaml:1:1: error: symlink leaves the catalog"),
        "{stderr}"
    );
    assert!(
        stderr.contains("team.yaml:7:8: error: doc `pipe.md` is not a file"),
        "{stderr}"
    );
}

/// The settings file never makes Cairn open a connection, nor read an observed-traffic file
/// outside the catalog: a URL there is an error (the operator passes URLs with `--observed`),
/// a path that leaves the catalog too; `serve` and `drift` then read neither.
#[cfg(unix)]
#[test]
fn catalog_content_never_opens_a_connection_or_reads_outside_observed_files() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("traffic.csv");
    std::fs::write(&outside, "caller,callee,count\nsecret-caller,app,5\n").unwrap();
    let root = tmp.path().join("catalog");
    std::fs::create_dir(&root).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("traffic.csv")).unwrap();
    std::fs::write(
        root.join("cairn.yaml"),
        format!(
            "kind: settings\nobserved:\n  - http://127.0.0.1:{port}/x\n  - traffic.csv\n---\nkind: team\nname: core\n---\nkind: system\nname: app\nowner: core\n"
        ),
    )
    .unwrap();
    let (code, _, stderr) = cli(&["check", root.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("cairn.yaml:3:5: error: observed source `http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "cairn.yaml:4:5: error: observed source `traffic.csv` is a symlink that leaves the catalog"
        ),
        "{stderr}"
    );
    let (_, stdout, stderr) = cli(&[
        "--catalog",
        root.to_str().unwrap(),
        "drift",
        "--format",
        "json",
    ]);
    assert!(!stdout.contains("secret-caller"), "{stdout}{stderr}");
    let server = Server::start({
        let mut cmd = cairn_command();
        cmd.args([
            "--catalog",
            root.to_str().unwrap(),
            "serve",
            "--addr",
            "127.0.0.1:0",
        ]);
        cmd
    });
    let (status, body) = server.get("/api/v1/drift");
    assert!(!body.contains("secret-caller"), "{status} {body}");
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "something connected to the URL the settings named"
    );
}

/// An observed-traffic URL given by the operator that does not answer never stops `serve`:
/// it starts without observed data and says why.
#[test]
fn an_unreachable_observed_url_does_not_stop_the_server() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/api/dependencies");
    let server = Server::start({
        let mut cmd = cairn_command();
        cmd.args([
            "--catalog",
            example_catalog().to_str().unwrap(),
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--no-watch",
            "--observed",
            &url,
        ]);
        cmd
    });
    assert!(
        server
            .startup
            .iter()
            .any(|l| l.contains("observed traffic not read, starting without it")),
        "{:#?}",
        server.startup
    );
    assert_eq!(server.get("/api/v1/systems/bodhi").0, 200);
}

/// Catalog text never drives the terminal: escape sequences (OSC 52 writes the clipboard, OSC 8
/// makes links), BEL and CR in values reach `show`, `search`, `impact` and `check` output as
/// U+FFFD. Before, only the quoted source line of a diagnostic was cleaned.
#[test]
fn catalog_text_never_reaches_the_terminal_as_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let osc52 = "\\e]52;c;cm0gLXJmIH4K\\a";
    let osc8 = "\\e]8;;https://evil.example\\e\\\\click\\e]8;;\\e\\\\";
    std::fs::write(
        dir.path().join("catalog.yaml"),
        format!(
            "kind: team\nname: core\n---\nkind: system\nname: app\nowner: core\n\
             description: \"zebra {osc52} and {osc8}\\rOK\"\n\
             tags: [\"\\e[8mhidden\"]\n\
             \"field\\e[2J\": 1\n"
        ),
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    for args in [
        vec!["--catalog", d, "show", "app"],
        vec!["--catalog", d, "search", "zebra"],
        vec!["--catalog", d, "impact", "app"],
        vec!["check", d],
    ] {
        let (_, stdout, stderr) = cli(&args);
        for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
            assert!(
                !text.contains(['\x1b', '\x07', '\r']),
                "{args:?} {name}: {text:?}"
            );
        }
        if args.contains(&"show") || args.contains(&"check") {
            // Shown, neutralised (search snippets drop them on their own).
            assert!(
                stdout.contains('\u{FFFD}') || stderr.contains('\u{FFFD}'),
                "{args:?}: {stdout:?} {stderr:?}"
            );
        }
    }
}

/// A client that never reads its answer is disconnected once the server's writes have made no
/// progress for the write timeout, so the answer's memory is freed (issue #21 point 6: 200
/// such clients of `/api/v1/score` held 3.5 GB, still open after 60 s).
#[test]
fn a_client_that_never_reads_is_disconnected() {
    use std::io::{Read, Write};
    use std::time::Duration;

    const BIG: usize = 64 << 20;
    let app = axum::Router::new().route("/big", axum::routing::get(|| async { vec![b'x'; BIG] }));
    let server = LiveServer::start(
        app,
        cairn::web::ConnLimits {
            write_timeout: Duration::from_secs(1),
            ..Default::default()
        },
    );
    let addr = server.addr;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // Not reading: the server fills the socket's buffers and waits, past its write timeout.
    std::thread::sleep(Duration::from_secs(4));
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("the server kept the connection open: {e}"),
        }
    }
    assert!(
        got < BIG,
        "the whole answer ({got} bytes) was kept for a client that did not read"
    );
    server.stop();
}

/// The answers hyper makes by itself — a malformed request's 400, headers too large: 431 —
/// never reach the router, yet carry the same security headers as every other answer.
#[test]
fn the_servers_own_error_answers_carry_the_security_headers() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    let server = LiveServer::start(
        router(state_for(&example_catalog())),
        cairn::web::ConnLimits::default(),
    );
    let addr = server.addr;
    let ask = |request: &[u8]| {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let _ = s.write_all(request);
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        String::from_utf8_lossy(&got).into_owned()
    };
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1 << 20)
    );
    for (what, request, status) in [
        (
            "a header line without a colon",
            b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n".to_vec(),
            "HTTP/1.1 400",
        ),
        (
            "a request line that is not one",
            b"\x01\x02 nonsense\r\n\r\n".to_vec(),
            "HTTP/1.1 400",
        ),
        ("headers over the limit", huge.into_bytes(), "HTTP/1.1 431"),
    ] {
        let got = ask(&request);
        let head = got
            .split("\r\n\r\n")
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        assert!(got.starts_with(status), "{what}: {got:.200}");
        for h in [
            "content-security-policy: default-src 'none'",
            "x-content-type-options: nosniff",
            "referrer-policy: same-origin",
            "x-frame-options: deny",
        ] {
            assert!(head.contains(h), "{what}: no {h} in {head}");
        }
        assert_eq!(head.matches("content-security-policy").count(), 1, "{what}");
    }
    // An answer of the router's own is not rewritten: one set of headers.
    let got = ask(b"GET /api/v1/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(got.starts_with("HTTP/1.1 404"), "{got:.200}");
    assert_eq!(
        got.to_ascii_lowercase()
            .matches("content-security-policy")
            .count(),
        1
    );
    server.stop();
}

/// A real server on a loopback port: `app` served by `serve_connections` with `limits` on a
/// runtime of its own, until [`LiveServer::stop`].
struct LiveServer {
    rt: tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

impl LiveServer {
    fn start(app: axum::Router, limits: cairn::web::ConnLimits) -> LiveServer {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = rt.spawn(cairn::web::serve_connections(
            listener,
            app,
            limits,
            async {
                let _ = stopped.await;
            },
        ));
        LiveServer {
            rt,
            addr,
            stop,
            server,
        }
    }

    /// Stops accepting, lets open requests finish, and waits for the server to end.
    fn stop(self) {
        let _ = self.stop.send(());
        self.rt.block_on(self.server).unwrap();
    }
}

/// Memory freed after a burst of big answers goes back to the system even when the server then
/// sits idle: `cairn serve` runs a thread that lets mimalloc purge what has been free for its
/// delay (src/main.rs `return_freed_memory`; the figures are in docs/benchmarks.md, "Memory
/// returned after a burst" — they are measured there, not here).
#[cfg(target_os = "linux")]
#[test]
fn the_server_runs_the_thread_that_returns_freed_memory() {
    let mut cmd = cairn_command();
    cmd.args([
        "--catalog",
        example_catalog().to_str().unwrap(),
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--no-watch",
    ]);
    let server = Server::start(cmd);
    let tasks = std::path::PathBuf::from(format!("/proc/{}/task", server.child.id()));
    let names: Vec<String> = std::fs::read_dir(&tasks)
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|n| n.trim().to_string())
        .collect();
    assert!(names.iter().any(|n| n == "mi-collect"), "{names:?}");
}
