//! The second example, `examples/mattermost`, served the way the README says (its settings list
//! one source per repository): a new hire's first pages, a system's page with where it is
//! defined and its support facts, the sources page, and who is on call for SET, at desktop and
//! phone widths.

use std::sync::Arc;

use cairn::web::AppState;

use super::webdriver::Session;
use super::{assert_console_clean, browser_config, overflow, screenshot, serve_state};

fn mattermost_state(cache: &std::path::Path) -> AppState {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mattermost");
    let limit = cairn::loader::LoadOptions::default().max_file_size;
    let sources = cairn::sources::Sources::open(&dir, Some(cache), limit)
        .expect("the settings read")
        .expect("the example lists sources");
    let done = sources.refresh_all(true);
    assert!(done.iter().all(|r| r.error.is_none()), "{done:?}");
    let mut catalog =
        cairn::load(sources.tree(), &Default::default()).expect("the served tree loads");
    sources.attach(&mut catalog);
    assert_eq!(
        catalog.errors() + catalog.warnings(),
        0,
        "{:#?}",
        catalog.diagnostics
    );
    let tree = sources.tree().to_path_buf();
    let state = AppState::new(catalog, &tree, Default::default()).expect("state builds");
    state.set_sources(Arc::new(sources), None);
    state
}

#[test]
fn a_new_hire_reads_the_mattermost_example() {
    let cache = tempfile::tempdir().unwrap();
    let base = format!("http://{}", serve_state(mattermost_state(cache.path())));
    for (width, tag) in [(1366, "wide"), (390, "phone")] {
        let mut cfg = browser_config();
        cfg.window = (width, 900);
        let browser = Session::start(&cfg);

        browser.goto(&format!("{base}/start"));
        let start = browser.find("main").text();
        assert!(start.contains("Mattermost"), "{tag}: {start}");
        assert!(
            start.contains("SET"),
            "{tag}: the glossary's jargon: {start}"
        );
        screenshot(&browser, &format!("mattermost-start-{tag}"));
        assert_console_clean(&browser, "mattermost /start");

        browser.goto(&format!("{base}/systems/mattermost-server"));
        let page = browser.find("main").text();
        assert!(
            page.contains("Defined in mattermost-server at catalog-info.yaml"),
            "{tag}: provenance: {page}"
        );
        assert!(page.contains("pprof"), "{tag}: the support facts: {page}");
        let edit = browser.find("#provenance a[href*='github.com/mattermost/mattermost/blob/']");
        assert_eq!(edit.text(), "Edit");
        screenshot(&browser, &format!("mattermost-server-{tag}"));

        browser.goto(&format!("{base}/sources"));
        let rows = browser.find_all("table.sources tbody tr");
        assert_eq!(rows.len(), 9, "{tag}: one row per source");
        let sources = browser.find("main").text();
        assert!(!sources.contains("Stale"), "{tag}: {sources}");
        screenshot(&browser, &format!("mattermost-sources-{tag}"));

        browser.goto(&format!("{base}/oncall?team=set&at=2026-10-26T07:30:00Z"));
        let oncall = browser.find("main").text();
        // Aiko is primary until the handover at 09:00 Berlin (08:00 UTC, after the DST change);
        // Samuel, her backup, takes over then.
        let lower = oncall.to_lowercase();
        assert!(
            lower.contains("aiko") && lower.contains("samuel"),
            "{tag}: SET on call on the DST Monday: {oncall}"
        );
        screenshot(&browser, &format!("mattermost-oncall-{tag}"));

        if width == 390 {
            for path in [
                "/start",
                "/systems/mattermost-server",
                "/sources",
                "/oncall?team=set",
            ] {
                browser.goto(&format!("{base}{path}"));
                let (over, what) = overflow(&browser);
                assert!(
                    over <= 1.0,
                    "{path} scrolls {over}px sideways on a phone: {what}"
                );
            }
        }
    }
}
