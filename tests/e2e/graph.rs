//! The dependency graph in a browser, at a laptop's and a phone's width: the counts the pictures
//! show are the catalog's (as `/api/v1/graph` gives them), pointing at or focusing a system
//! lights up exactly its own edges, the zoom buttons work, nothing scrolls the page sideways;
//! and no export (`cairn graph --format dot|mermaid|json`, `/api/v1/graph`) lists an edge twice.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::webdriver::{http, Session};
use crate::{assert_console_clean, browser_config, overflow, screenshot, start_server};

/// Systems per domain and dependencies per ordered pair of domains.
type Counts = (BTreeMap<String, usize>, BTreeMap<(String, String), usize>);

fn api_graph(addr: SocketAddr, query: &str) -> Value {
    let (status, v) = http(
        addr,
        "GET",
        &format!("/api/v1/graph?limit=5000{query}"),
        None,
    )
    .expect("GET /api/v1/graph");
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["total"]["edges"].as_u64(),
        Some(v["edges"].as_array().unwrap().len() as u64),
        "one page holds the whole graph"
    );
    v
}

fn counts(g: &Value) -> Counts {
    let mut domain = BTreeMap::new();
    let mut systems = BTreeMap::new();
    for n in g["nodes"].as_array().unwrap() {
        let d = n["domain"].as_str().unwrap_or("(no domain)").to_string();
        domain.insert(n["id"].as_str().unwrap().to_string(), d.clone());
        *systems.entry(d).or_default() += 1;
    }
    let mut between = BTreeMap::new();
    for e in g["edges"].as_array().unwrap() {
        let f = &domain[e["from"].as_str().unwrap()];
        let t = &domain[e["to"].as_str().unwrap()];
        if f != t {
            *between.entry((f.clone(), t.clone())).or_default() += 1;
        }
    }
    (systems, between)
}

/// Fails when any edge is listed twice; returns how many there are.
fn assert_unique<T: Ord + std::fmt::Debug>(what: &str, edges: Vec<T>) -> usize {
    let n = edges.len();
    let mut seen = BTreeSet::new();
    let twice: Vec<&T> = edges.iter().filter(|e| !seen.insert(*e)).collect();
    assert!(twice.is_empty(), "{what} lists edges twice: {twice:?}");
    n
}

fn run(browser: &Session, script: &str, args: Vec<Value>) -> Value {
    browser
        .call(
            "POST",
            "execute/sync",
            Some(&json!({ "script": script, "args": args })),
        )
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// What the overview by domain shows: each box's name and system count, each arrow's count.
fn overview_counts(browser: &Session) -> Counts {
    let v = run(
        browser,
        "const svg = document.querySelector('.picture.big svg');\
         const boxes = [...svg.querySelectorAll('.cg-node')].map(n =>\
           [n.querySelector('.cg-label').textContent, n.querySelector('.cg-sub').textContent]);\
         const arrows = [...svg.querySelectorAll('path.cg-edge > title')].map(t => t.textContent);\
         return [boxes, arrows];",
        vec![],
    );
    let mut systems = BTreeMap::new();
    for b in v[0].as_array().unwrap() {
        let sub = b[1].as_str().unwrap();
        let n = sub.split(' ').next().unwrap().parse().unwrap();
        systems.insert(b[0].as_str().unwrap().to_string(), n);
    }
    let mut between = BTreeMap::new();
    for t in v[1].as_array().unwrap() {
        // "collaboration → identity: 4"
        let t = t.as_str().unwrap();
        let (pair, n) = t.rsplit_once(": ").unwrap();
        let (from, to) = pair.split_once(" \u{2192} ").unwrap();
        let n: usize = n.parse().unwrap();
        assert!(
            between
                .insert((from.to_string(), to.to_string()), n)
                .is_none(),
            "two arrows for {pair}"
        );
    }
    (systems, between)
}

/// What the systems picture shows: each domain box's "N systems" (and the systems drawn in
/// it), each bundle's visible count.
fn compound_counts(browser: &Session) -> Counts {
    let v = run(
        browser,
        "const svg = document.querySelector('.picture.big svg');\
         const groups = [...svg.querySelectorAll('.cg-group')].map(g => {\
           const r = g.querySelector('rect').getBBox();\
           const inside = [...svg.querySelectorAll('.cg-node')].filter(n => {\
             const b = n.querySelector('rect').getBBox();\
             return b.x >= r.x && b.y >= r.y && b.x + b.width <= r.x + r.width && b.y + b.height <= r.y + r.height;\
           }).length;\
           return [g.getAttribute('data-group'), g.querySelector('.cg-group-sub').textContent, inside];\
         });\
         const bundles = [...svg.querySelectorAll('.cg-bundle-label')].map(l =>\
           [l.getAttribute('data-from-group'), l.getAttribute('data-to-group'), l.querySelector('text').textContent]);\
         return [groups, bundles];",
        vec![],
    );
    let mut systems = BTreeMap::new();
    for g in v[0].as_array().unwrap() {
        let name = g[0].as_str().unwrap().to_string();
        let n: usize = g[1]
            .as_str()
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            g[2].as_u64(),
            Some(n as u64),
            "{name}: the box says {n} systems"
        );
        systems.insert(name, n);
    }
    let mut between = BTreeMap::new();
    for b in v[1].as_array().unwrap() {
        let key = (
            b[0].as_str().unwrap().to_string(),
            b[1].as_str().unwrap().to_string(),
        );
        let n: usize = b[2].as_str().unwrap().parse().unwrap();
        assert!(between.insert(key, n).is_none(), "two bundles for one pair");
    }
    (systems, between)
}

/// The lit-up state: the picture's `cg-lit`, and the `data-ends` of every lit edge.
fn lit(browser: &Session) -> (bool, Vec<String>) {
    let v = run(
        browser,
        "const svg = document.querySelector('.picture.big svg');\
         return [svg.classList.contains('cg-lit'),\
           [...svg.querySelectorAll('.cg-edge.cg-on')].map(e => e.getAttribute('data-ends'))];",
        vec![],
    );
    let ends = v[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    (v[0].as_bool().unwrap(), ends)
}

/// The `data-ends` of every edge of the picture that stands for node `id`.
fn edges_of(browser: &Session, id: &str) -> Vec<String> {
    let v = run(
        browser,
        "return [...document.querySelectorAll('.picture.big svg .cg-edge')]\
           .map(e => e.getAttribute('data-ends'))\
           .filter(e => e.split(' ').includes(arguments[0]));",
        vec![json!(id)],
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect()
}

fn svg_width(browser: &Session) -> f64 {
    run(
        browser,
        "return parseFloat(document.querySelector('.picture.big svg').getAttribute('width'));",
        vec![],
    )
    .as_f64()
    .unwrap()
}

#[test]
fn the_graph_shows_the_catalogs_counts_and_lights_up_a_systems_edges() {
    let addr = start_server();
    let base = format!("http://{addr}");

    // No export lists an edge twice, and all list the same number.
    let api = api_graph(addr, "");
    let edges = api["edges"].as_array().unwrap();
    let total = assert_unique(
        "/api/v1/graph",
        edges
            .iter()
            .map(|e| {
                (
                    e["from"].to_string(),
                    e["to"].to_string(),
                    e["kind"].to_string(),
                    e["api"].to_string(),
                )
            })
            .collect(),
    );
    assert!(total > 50, "{total} edges");
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
    for format in ["dot", "mermaid", "json"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["graph", "--catalog"])
            .arg(&catalog)
            .args(["--format", format])
            .output()
            .expect("cairn graph runs");
        assert!(out.status.success(), "cairn graph --format {format}");
        let text = String::from_utf8(out.stdout).expect("UTF-8");
        let n = match format {
            "dot" => assert_unique(
                "DOT",
                text.lines()
                    .filter(|l| l.contains(" -> "))
                    .map(str::trim)
                    .collect(),
            ),
            "mermaid" => assert_unique(
                "Mermaid",
                text.lines()
                    .filter(|l| l.contains("-->") || l.contains("-.->"))
                    .map(str::trim)
                    .collect(),
            ),
            _ => {
                let v: Value = serde_json::from_str(&text).expect("JSON");
                assert_unique(
                    "JSON",
                    v["edges"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| {
                            (
                                e["from"].to_string(),
                                e["to"].to_string(),
                                e["kind"].to_string(),
                                e["api"].to_string(),
                            )
                        })
                        .collect(),
                )
            }
        };
        assert_eq!(n, total, "--format {format} and the API list as many edges");
    }
    let expected = counts(&api);
    assert!(
        expected.0.len() >= 6 && expected.1.len() >= 10,
        "{expected:?}"
    );

    let browser = Session::start(&browser_config());
    for (w, h) in [(1366, 900), (390, 844)] {
        browser
            .call(
                "POST",
                "window/rect",
                Some(&json!({ "width": w, "height": h })),
            )
            .expect("window resizes");

        // The overview by domain: every domain with its systems, every pair with its count.
        browser.goto(&format!("{base}/graph"));
        assert_eq!(overview_counts(&browser), expected, "overview at {w} px");
        let (over, detail) = overflow(&browser);
        assert!(over <= 0.0, "/graph at {w} px scrolls sideways: {detail}");
        // Each domain box opens the domain's own picture.
        assert!(
            browser
                .try_find(".picture.big svg a.cg-link[href=\"/graph?domain=packaging\"]")
                .is_some(),
            "the packaging box links to its picture"
        );
        screenshot(&browser, &format!("graph-overview-{w}"));

        // Every system, in its domain's box; bundles between domains with their counts.
        browser.goto(&format!("{base}/graph?all=1"));
        assert_eq!(compound_counts(&browser), expected, "systems at {w} px");
        let (over, detail) = overflow(&browser);
        assert!(
            over <= 0.0,
            "/graph?all=1 at {w} px scrolls sideways: {detail}"
        );
        // Labels are drawn at their natural size: at least 11 px on the screen.
        let px = run(
            &browser,
            "const svg = document.querySelector('.picture.big svg');\
             const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;\
             return ['.cg-label', '.cg-sub', '.cg-group-label', '.cg-bundle-label text']\
               .map(s => parseFloat(getComputedStyle(svg.querySelector(s)).fontSize) * scale);",
            vec![],
        );
        for (i, size) in px.as_array().unwrap().iter().enumerate() {
            let size = size.as_f64().unwrap();
            assert!(size >= 11.0, "text {i} is {size} px at {w} px");
        }

        // Pointing at bodhi lights up its own edges, and the bundles it is part of, only.
        let bodhi = browser.find(".picture.big svg a[href=\"/systems/bodhi\"] .cg-node");
        let id = bodhi.attribute("data-node").expect("data-node");
        let mine = edges_of(&browser, &id);
        assert!(
            mine.iter().any(|e| e.split(' ').count() > 2),
            "bodhi is part of a bundle: {mine:?}"
        );
        assert_eq!(lit(&browser), (false, vec![]), "nothing lit before");
        // bodhi in the middle of the picture's box, the box at the top of the window.
        run(
            &browser,
            "const box = document.querySelector('[data-zoom]');\
             const n = arguments[0].getBoundingClientRect(), b = box.getBoundingClientRect();\
             box.scrollTop += n.top - b.top - box.clientHeight / 2 + n.height / 2;\
             box.scrollLeft += n.left - b.left - box.clientWidth / 2 + n.width / 2;\
             box.scrollIntoView({block: 'start'});",
            vec![bodhi.as_arg()],
        );
        bodhi.hover();
        let (on, ends) =
            browser.wait_for("bodhi's edges to light up", Duration::from_secs(5), || {
                let l = lit(&browser);
                l.0.then_some(l)
            });
        assert!(on);
        assert_eq!(ends, mine, "exactly bodhi's edges are lit at {w} px");
        screenshot(&browser, &format!("graph-bodhi-lit-{w}"));
        browser.find("h1").hover();
        browser.wait_for("the highlight to go", Duration::from_secs(5), || {
            (lit(&browser) == (false, vec![])).then_some(())
        });
        // Keyboard focus does the same: koji's link, as Tab reaches it.
        let koji = browser.find(".picture.big svg a[href=\"/systems/koji\"]");
        let koji_id = koji
            .find_all(".cg-node")
            .first()
            .and_then(|n| n.attribute("data-node"))
            .expect("koji's node");
        run(&browser, "arguments[0].focus();", vec![koji.as_arg()]);
        assert_eq!(
            browser.active_element().attribute("href").as_deref(),
            Some("/systems/koji"),
            "the link takes the focus"
        );
        let (on, ends) = lit(&browser);
        assert!(on, "focus lights up koji's edges");
        assert_eq!(ends, edges_of(&browser, &koji_id));
        assert!(!ends.is_empty());
        run(&browser, "arguments[0].blur();", vec![koji.as_arg()]);
        assert_eq!(lit(&browser), (false, vec![]), "blur clears it");

        // The zoom buttons are shown and change the picture's size; Fit fits it in its box.
        let bar = browser.find("[data-zoom-controls]");
        assert!(bar.is_displayed(), "zoom buttons visible at {w} px");
        let button = |step: &str| {
            browser
                .find(&format!("button[data-zoom-step=\"{step}\"]"))
                .click()
        };
        let natural = svg_width(&browser);
        button("in");
        let bigger = svg_width(&browser);
        assert!(
            (bigger - natural * 1.25).abs() <= 1.0,
            "{natural} -> {bigger}"
        );
        assert_eq!(browser.find("[data-zoom-level]").text(), "125%");
        button("out");
        assert!((svg_width(&browser) - natural).abs() <= 1.0);
        button("fit");
        let fits = run(
            &browser,
            "const box = document.querySelector('[data-zoom]');\
             const svg = box.querySelector('svg').getBoundingClientRect();\
             return [svg.width, svg.height, box.clientWidth, window.innerHeight];",
            vec![],
        );
        let f = |i: usize| fits[i].as_f64().unwrap();
        assert!(
            f(0) <= f(2) && f(1) <= f(3),
            "Fit: the picture fits its box at {w} px: {fits}"
        );
        screenshot(&browser, &format!("graph-all-fit-{w}"));
        button("reset");
        assert!((svg_width(&browser) - natural).abs() <= 1.0);
        let (over, detail) = overflow(&browser);
        assert!(
            over <= 0.0,
            "zoomed /graph at {w} px scrolls sideways: {detail}"
        );
        screenshot(&browser, &format!("graph-all-{w}"));
        assert_console_clean(&browser, "graph");
    }
}
