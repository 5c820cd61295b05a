//! End-to-end: the web UI in a real headless Chromium, driven the way a person uses it —
//! home page, "/" to search, suggestions as you type, results, a system page, the impact form,
//! the graph; and a new hire's first hour: Start here, their team's onboarding page, who is on
//! call, how ready the systems are — with a screenshot of each page in `target/e2e-screenshots/`.
//!
//! Run explicitly: `cargo test --features e2e --test e2e`. It needs Chromium and ChromeDriver
//! (`/usr/bin/chromium`, `/usr/bin/chromedriver`; override with `CAIRN_CHROMIUM`,
//! `CAIRN_CHROMEDRIVER`) and fails, never skips, without them. Hermetic: the server runs
//! in-process on a random loopback port over the shipped example catalog; nothing else is
//! contacted. The route-by-route checks live in `tests/it/web.rs`; this test only covers what
//! needs a browser: the script running under the CSP, keyboard focus, forms, layout.

mod announce;
mod graph;
mod mattermost;
mod webdriver;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cairn::web::{serve, AppState, ServeConfig};
use webdriver::{BrowserConfig, Session, ENTER, ESCAPE};

#[test]
fn a_person_finds_a_system_and_checks_the_impact_of_a_change() {
    let started = Instant::now();
    let base = format!("http://{}", start_server());
    let browser = Session::start(&browser_config());
    let mut timer = Phases::new(started);
    timer.lap("server + browser started");

    // The home page: the central picture, domains, teams.
    browser.goto(&format!("{base}/"));
    assert_eq!(browser.title(), "Overview · Cairn");
    assert_eq!(browser.find("h1").text(), "The central picture");
    let domains = browser.find("section.domains").text();
    assert!(
        domains.contains("Packaging and builds"),
        "domain title missing from the home page:\n{domains}"
    );
    let teams = browser.find_xpath("//section[h2[@id='h-teams']]").text();
    for team in [
        "Infrastructure Applications",
        "Release Engineering",
        "Websites and Design",
    ] {
        assert!(
            teams.contains(team),
            "team {team:?} missing from the home page:\n{teams}"
        );
    }
    screenshot(&browser, "home");
    assert_console_clean(&browser, "home");
    timer.lap("home");

    // "/" focuses the header search box (the script is running, so the CSP let it load).
    browser.find("body").send_keys("/");
    let focused = browser.active_element();
    assert_eq!(
        focused.attribute("id").as_deref(),
        Some("q"),
        "\"/\" did not focus the search box"
    );
    assert_eq!(
        focused.property("value"),
        "",
        "\"/\" was typed into the box instead of focusing it"
    );
    // Enter on the empty box stays on the page instead of searching for nothing.
    let home = browser.current_url();
    focused.send_keys(ENTER);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        browser.current_url(),
        home,
        "an empty query was searched for"
    );
    focused.send_keys("wallpap");
    let suggestion = browser.wait_for(
        "the suggestion dropdown to list nuancier",
        Duration::from_secs(5),
        || {
            let list = browser.try_find("#suggest")?;
            if !list.is_displayed() {
                return None;
            }
            browser.find_all("#suggest li a").into_iter().find(|a| {
                let text = a.try_text().unwrap_or_default();
                text.to_lowercase().contains("nuancier")
            })
        },
    );
    assert_eq!(
        suggestion.attribute("href").as_deref(),
        Some("/systems/nuancier")
    );
    assert!(
        suggestion.try_find("b").is_some(),
        "the suggestion has no highlighted match: {:?}",
        suggestion.text()
    );
    // Escape closes the suggestions and keeps the query; Enter then searches for it.
    focused.send_keys(ESCAPE);
    browser.wait_for("the suggestions to close", Duration::from_secs(5), || {
        (!browser.find("#suggest").is_displayed()).then_some(())
    });
    assert_eq!(
        focused.property("value"),
        "wallpap",
        "Escape emptied the query"
    );
    focused.send_keys(ENTER);

    // The results page: nuancier with the match highlighted.
    browser.wait_for_url("/search?q=wallpap");
    // The system's own result (doc results link to it too, as "in nuancier").
    let results = browser.find_all("ol.results li.result.kind-system");
    let hit = results
        .iter()
        .find(|r| r.try_find("a[href=\"/systems/nuancier\"]").is_some())
        .unwrap_or_else(|| {
            panic!(
                "no system result for nuancier among {} system results",
                results.len()
            )
        });
    let highlight = hit
        .try_find(".snippet b")
        .expect("the nuancier result has a highlighted snippet");
    assert!(
        highlight.text().to_lowercase().starts_with("wallpap"),
        "highlight is {:?}, not the query",
        highlight.text()
    );
    screenshot(&browser, "search");
    assert_console_clean(&browser, "search");
    hit.try_find("a[href=\"/systems/nuancier\"]")
        .expect("result link")
        .click();
    browser.wait_for_url("/systems/nuancier");
    assert!(
        browser.find("h1").text().starts_with("Nuancier"),
        "clicking the result did not open nuancier"
    );
    timer.lap("search");

    // A system page: what a first responder needs.
    browser.goto(&format!("{base}/systems/pkgdb"));
    let owner = browser.find_xpath("//section[h2[@id='h-owner']]").text();
    assert!(
        owner.contains("Infrastructure Applications"),
        "owner box:\n{owner}"
    );
    assert!(
        owner.contains("On call now"),
        "owner box has no on-call line:\n{owner}"
    );
    let apis = browser.find_xpath("//section[h2[@id='h-apis']]").text();
    assert!(apis.contains("pkgdb/api@2"), "APIs section:\n{apis}");
    let picture = browser.find(".picture svg");
    let (w, h) = picture.size();
    assert!(
        picture.is_displayed() && w > 100.0 && h > 50.0,
        "neighbourhood picture is not visible ({w}x{h})"
    );
    screenshot(&browser, "system");
    assert_console_clean(&browser, "system");
    timer.lap("system");

    // The impact form, filled in and submitted like a person would.
    browser.find("nav a[href=\"/impact\"]").click();
    browser.wait_for_url("/impact");
    browser.find("#target").send_keys("pkgdb/api@2");
    browser.find("#endpoint").send_keys("GET /api/critpath");
    browser.find("form.impact-form button[type=submit]").click();
    browser.wait_for_url("/impact?target=");
    let headline = browser.find(".headline").text();
    assert!(
        headline.contains("systems affected"),
        "headline: {headline:?}"
    );
    let direct = browser
        .find_xpath(
            "//h3[starts-with(normalize-space(.), 'Direct consumers')]/following-sibling::table[1]",
        )
        .text();
    assert!(
        direct.contains("bodhi"),
        "bodhi is not a direct consumer:\n{direct}"
    );
    browser.find_xpath("//h3[normalize-space(.)='Teams to notify']");
    let announcement = browser.find("#announcement-text").property("value");
    let announcement = announcement.as_str().unwrap_or_default();
    assert!(
        announcement.contains("Planned change to"),
        "announcement:\n{announcement}"
    );
    screenshot(&browser, "impact");
    assert_console_clean(&browser, "impact");
    timer.lap("impact");

    // The whole graph.
    browser.find("nav a[href=\"/graph\"]").click();
    browser.wait_for_url("/graph");
    // By default the central picture by domain; a domain's link shows its systems.
    let graph = browser.find(".picture.big svg");
    let (w, h) = graph.size();
    // The default view is the overview by domain: eight boxes in a row, wide and short
    // (about 1280x130 in this window), so the height bar is lower than for a system picture.
    assert!(
        w > 200.0 && h > 200.0,
        "domain picture is too small ({w}x{h})"
    );
    assert!(
        graph.text().contains("packaging"),
        "domains are named in the picture"
    );
    screenshot(&browser, "graph");
    assert_console_clean(&browser, "graph");
    timer.lap("graph");

    // A new Fedora Infrastructure hire: "Start here" is the first link of the header.
    browser.find("header.top nav a").click();
    browser.wait_for_url("/start");
    assert_eq!(browser.title(), "Start here · Cairn");
    assert_eq!(
        browser.find("h1").text(),
        "Welcome to Fedora Infrastructure"
    );
    // What the organisation runs, essential systems first in each domain.
    let run = browser.find_xpath("//section[h2[@id='h-run']]").text();
    for domain in [
        "Identity and accounts",
        "Packaging and builds",
        "Core infrastructure",
    ] {
        assert!(run.contains(domain), "domain {domain:?} missing:\n{run}");
    }
    let packaging = browser
        .find_xpath("//article[header/h3[normalize-space(.)='Packaging and builds']]")
        .text();
    let (first, leaf) = (packaging.find("pkgdb"), packaging.find("anitya"));
    assert!(
        first.is_some() && first < leaf,
        "tier-1 pkgdb should come before tier-2 anitya:\n{packaging}"
    );
    // How it fits together: the domain picture is drawn.
    let (w, h) = browser
        .find("section[aria-labelledby=h-fits] .picture svg")
        .size();
    assert!(
        w > 200.0 && h > 200.0,
        "domain picture is too small ({w}x{h})"
    );
    // The teams and how to reach them, and a glossary with the jargon of day one.
    let teams = browser.find_xpath("//section[h2[@id='h-teams']]").text();
    assert!(
        teams.contains("Release Engineering") && teams.contains("rel-eng@example.org"),
        "teams section:\n{teams}"
    );
    // The jargon is on the page; the A-Z of every system, team and domain one link away.
    let jargon = browser.find("dl.glossary").text();
    for term in ["critpath", "karma"] {
        assert!(
            jargon.contains(term),
            "the jargon lacks {term:?}:\n{jargon}"
        );
    }
    screenshot(&browser, "start");
    assert_console_clean(&browser, "start");
    browser.find("nav.toc-inline a[href=\"/glossary\"]").click();
    browser.wait_for_url("/glossary");
    let glossary = browser.find("dl.glossary").text();
    for term in ["critpath", "FAS", "fedmsg", "karma", "releng"] {
        assert!(glossary.contains(term), "glossary lacks {term:?}");
    }
    browser.find("nav a[href=\"/start\"]").click();
    browser.wait_for_url("/start");
    timer.lap("start here");

    // Their team's page for newcomers: first steps, systems, reading order, whom to ask.
    browser
        .find("ul.team-chips a[href=\"/teams/infra-apps/onboarding\"]")
        .click();
    browser.wait_for_url("/teams/infra-apps/onboarding");
    assert_eq!(
        browser.find("h1").text(),
        "Joining Infrastructure Applications"
    );
    let steps = browser.find("ol.steps").text();
    assert!(
        steps.contains("Create your FAS account and sign the FPCA"),
        "first steps:\n{steps}"
    );
    let systems = browser.find_xpath("//section[h2[@id='h-systems']]").text();
    for s in ["fas", "pkgdb", "bodhi"] {
        assert!(systems.contains(s), "{s} missing from the team's systems");
    }
    let reading: Vec<String> = browser
        .find_all("ol.reading > li.reading-group")
        .iter()
        .map(|g| g.text())
        .collect();
    assert!(
        reading.len() == 2
            && reading[0].starts_with("What each system is")
            && reading[1].starts_with("How to run them"),
        "reading order: {reading:?}"
    );
    let upstream = browser.find_xpath("//section[h2[@id='h-upstream']]").text();
    assert!(
        upstream.contains("Core Sysadmins") && upstream.contains("proxies"),
        "upstream:\n{upstream}"
    );
    let ask = browser.find_xpath("//section[h2[@id='h-ask']]").text();
    assert!(
        ask.contains("hkowalski") && ask.contains("PRIMARY"),
        "who to ask:\n{ask}"
    );
    screenshot(&browser, "onboarding");
    assert_console_clean(&browser, "onboarding");
    timer.lap("team onboarding");

    // First escalation: who is on call for bodhi, in order.
    browser.find("header.top nav a[href=\"/oncall\"]").click();
    browser.wait_for_url("/oncall");
    browser.find("input[name=system]").send_keys("bodhi");
    browser.find("form.filters button[type=submit]").click();
    browser.wait_for_url("/oncall?system=bodhi");
    let card = browser.find(".oncall-card.highlighted");
    let roles: Vec<String> = card
        .find_all("ol.escalation li .role")
        .iter()
        .map(|r| r.text().to_lowercase())
        .collect();
    assert_eq!(roles, ["primary", "backup", "lead"]);
    assert!(card.text().contains("Next handover"), "{}", card.text());
    screenshot(&browser, "oncall");
    assert_console_clean(&browser, "oncall");
    timer.lap("on call");

    // Readiness: the overview, and the scorecard of a system that is not gold yet.
    browser
        .find("header.top nav a[href=\"/readiness\"]")
        .click();
    browser.wait_for_url("/readiness");
    let levels = browser.find_all(".level-card");
    assert_eq!(levels.len(), 3, "bronze, silver, gold");
    screenshot(&browser, "readiness");
    browser.goto(&format!("{base}/systems/owner-sync"));
    let scorecard = browser
        .find_xpath("//section[h2[@id='h-readiness']]")
        .text();
    assert!(
        scorecard.contains("SILVER") && scorecard.contains("consumes deprecated pkgdb/api@1"),
        "scorecard:\n{scorecard}"
    );
    browser.goto(&format!("{base}/ilities"));
    assert!(browser.find_all("table.matrix td.cell.r3").len() > 10);
    screenshot(&browser, "ilities");
    assert_console_clean(&browser, "ilities");
    timer.lap("readiness");

    drop(browser);
    timer.lap("browser closed");
}

/// Every page a person reaches from the navigation, a system, a team, a doc and an error.
const PAGES: &[&str] = &[
    "/",
    "/start",
    "/glossary",
    "/systems/bodhi",
    "/systems/pkgdb",
    "/systems/koji",
    "/teams/infra-apps",
    "/teams/infra-apps/onboarding",
    "/readiness",
    "/ilities",
    "/oncall",
    "/search?q=koji",
    "/search?q=owner%3Areleng",
    "/impact?target=pkgdb%2Fapi%402",
    "/impact?target=pkgdb%2Fapi%402&endpoint=GET+%2Fapi%2Fcritpath",
    "/graph",
    "/graph?focus=bodhi",
    "/docs/systems/bodhi/README.md",
    "/no/such/page",
];

/// How far `page` scrolls sideways: the document's width beyond the viewport's, in CSS pixels,
/// and the widest elements that stick out (for the failure message).
pub(crate) fn overflow(browser: &Session) -> (f64, String) {
    let v = browser
        .call(
            "POST",
            "execute/sync",
            Some(&serde_json::json!({
                "script": "const w = document.documentElement.clientWidth;\
                  const over = document.documentElement.scrollWidth - w;\
                  const wide = [...document.querySelectorAll('body *')]\
                    .filter(e => e.getBoundingClientRect().right > w + 1 ||\
                      (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible' && e.clientWidth > 0))\
                    .filter(e => !e.closest('pre, .scroll-x'))\
                    .slice(0, 5)\
                    .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') +\
                      ' right=' + Math.round(e.getBoundingClientRect().right));\
                  return [over, w, wide.join('; ')];",
                "args": [],
            })),
        )
        .expect("script runs");
    let over = v[0].as_f64().unwrap_or(f64::MAX);
    (
        over,
        format!("viewport {} px; {}", v[1], v[2].as_str().unwrap_or("")),
    )
}

#[test]
fn no_page_scrolls_sideways_on_a_phone_or_a_laptop() {
    let base = format!("http://{}", start_server());
    let browser = Session::start(&browser_config());
    let mut failures = Vec::new();
    for (w, h) in [(390, 844), (1366, 900)] {
        browser
            .call(
                "POST",
                "window/rect",
                Some(&serde_json::json!({ "width": w, "height": h })),
            )
            .expect("window resizes");
        for page in PAGES {
            browser.goto(&format!("{base}{page}"));
            let inner = browser
                .call(
                    "POST",
                    "execute/sync",
                    Some(&serde_json::json!({ "script": "return window.innerWidth", "args": [] })),
                )
                .expect("script runs");
            assert_eq!(inner.as_f64(), Some(w as f64), "the window is {w} px wide");
            let (over, detail) = overflow(&browser);
            if over > 0.0 {
                failures.push(format!(
                    "{page} at {w} px scrolls {over} px sideways: {detail}"
                ));
            }
            if *page == "/systems/bodhi" {
                let v = browser
                    .call(
                        "POST",
                        "execute/sync",
                        Some(&serde_json::json!({
                            "script": "const top = s => document.querySelector(s).getBoundingClientRect().top;\
                              return [top('[aria-labelledby=h-owner]'), top('.picture'), top('details.doc'),\
                                document.querySelectorAll('details.doc:not([open])').length,\
                                document.documentElement.scrollHeight];",
                            "args": [],
                        })),
                    )
                    .expect("script runs");
                let (owner, picture, doc) = (v[0].as_f64(), v[1].as_f64(), v[2].as_f64());
                eprintln!("e2e: /systems/bodhi at {w} px is {} px tall", v[4]);
                if w == 390 {
                    // The person paged at night finds the owner and on-call card first.
                    assert!(
                        owner < picture && owner < doc,
                        "owner card after long content: {v}"
                    );
                    assert!(
                        owner < Some(h as f64),
                        "owner card below the first screen: {v}"
                    );
                }
                assert!(
                    v[3].as_u64() >= Some(1),
                    "bodhi's long README is folded: {v}"
                );
            }
            if w == 390 {
                let name = page
                    .trim_matches('/')
                    .replace(['/', '?', '=', '&', '%', '+', '.'], "-");
                screenshot(
                    &browser,
                    &format!("phone-{}", if name.is_empty() { "home" } else { &name }),
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // An open page notices when the catalog it shows is no longer the one served: the same
    // revision says nothing; another (as after a reload) brings the notice, once.
    browser.goto(&format!("{base}/systems/bodhi"));
    let focus = |browser: &Session| {
        browser
            .call(
                "POST",
                "execute/sync",
                Some(&serde_json::json!({ "script": "window.dispatchEvent(new Event('focus'))", "args": [] })),
            )
            .expect("script runs");
    };
    focus(&browser);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        browser.try_find(".reload-notice").is_none(),
        "no change, no notice"
    );
    browser
        .call(
            "POST",
            "execute/sync",
            Some(&serde_json::json!({
                "script": "document.body.setAttribute('data-revision', '0000000000000000')",
                "args": [],
            })),
        )
        .expect("script runs");
    focus(&browser);
    let notice = browser.wait_for("the reload notice", Duration::from_secs(10), || {
        browser.try_find(".reload-notice").map(|e| e.text())
    });
    assert!(
        notice.contains("The catalog changed since this page was loaded"),
        "{notice}"
    );
    focus(&browser);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(browser.find_all(".reload-notice").len(), 1, "shown once");
}

/// Starts `cairn serve` on the example catalog, in-process on a free loopback port, and
/// returns its address once it listens. The server thread ends with the test process.
pub(crate) fn start_server() -> SocketAddr {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
    let catalog = cairn::load(&dir, &Default::default()).expect("example catalog loads");
    assert_eq!(catalog.errors(), 0, "the example catalog has errors");
    serve_state(AppState::new(catalog, &dir, Default::default()).expect("state builds"))
}

/// Serves `state` in-process on a free loopback port; returns the address once it listens.
pub(crate) fn serve_state(state: AppState) -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let cfg = ServeConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            watch: false,
        };
        if let Err(e) = rt.block_on(serve(state, cfg, move |addr| {
            let _ = tx.send(addr);
        })) {
            eprintln!("e2e: server stopped: {e:#}");
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the server starts listening")
}

pub(crate) fn browser_config() -> BrowserConfig {
    let path = |var: &str, default: &str| {
        PathBuf::from(std::env::var_os(var).unwrap_or_else(|| default.into()))
    };
    BrowserConfig {
        chromium: path("CAIRN_CHROMIUM", "/usr/bin/chromium"),
        chromedriver: path("CAIRN_CHROMEDRIVER", "/usr/bin/chromedriver"),
        window: (1366, 900),
        javascript: true,
        failure_screenshot: Some(screenshots_dir().join("failure.png")),
    }
}

/// Saves `target/e2e-screenshots/<name>.png` and checks it is a real PNG with something on it.
pub(crate) fn screenshot(browser: &Session, name: &str) {
    let path = screenshots_dir().join(format!("{name}.png"));
    let png = browser.screenshot(&path);
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
    // A blank or error page compresses to a few KB; a rendered page is far larger.
    assert!(
        png.len() > 10 * 1024,
        "{} is only {} bytes: blank page?",
        path.display(),
        png.len()
    );
}

fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("e2e-screenshots");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// Fails on any console error (a CSP violation, a failed fetch, a script exception) since the
/// last check. chromedriver's console endpoint is not W3C; when it is gone this checks nothing,
/// and the suggestion dropdown above is what proves the script runs under the CSP.
pub(crate) fn assert_console_clean(browser: &Session, page: &str) {
    let Some(entries) = browser.console_log() else {
        eprintln!(
            "e2e: this chromedriver has no console log endpoint; console not checked on {page}"
        );
        return;
    };
    let errors: Vec<String> = entries
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "console errors on the {page} page:\n{}",
        errors.join("\n")
    );
}

/// Elapsed time per phase, printed to stderr (`--nocapture` shows it).
struct Phases {
    start: Instant,
    last: Instant,
}

impl Phases {
    fn new(start: Instant) -> Phases {
        Phases { start, last: start }
    }

    fn lap(&mut self, what: &str) {
        let now = Instant::now();
        eprintln!(
            "e2e: {what:<26} {:>6.2?} (total {:.2?})",
            now - self.last,
            now - self.start
        );
        self.last = now;
    }
}
