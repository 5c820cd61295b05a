//! Search: the quality set (queries against the example catalog with their expected top
//! result), hostile queries, facets, paging, the persisted index and the CLI.

use std::sync::OnceLock;

use cairn::search::{SearchIndex, SearchOptions, SearchResponse};

use crate::support;

/// The example catalog's index, built once for the whole test binary.
fn index() -> &'static SearchIndex {
    static INDEX: OnceLock<SearchIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let c = support::load(&support::example_catalog());
        SearchIndex::build(&c).expect("example catalog indexes")
    })
}

fn search(q: &str, limit: usize) -> SearchResponse {
    index().search(
        q,
        &SearchOptions {
            limit,
            ..SearchOptions::default()
        },
    )
}

/// (query, expected top result as "kind name", why this query is in the set)
const QUALITY: &[(&str, &str, &str)] = &[
    // Exact names.
    ("bodhi", "system bodhi", "exact system name"),
    ("koji", "system koji", "exact system name"),
    ("fas-openid", "system fas-openid", "hyphenated name"),
    (
        "the-new-hotness",
        "system the-new-hotness",
        "name made of stop-like words",
    ),
    ("infra-apps", "team infra-apps", "exact team name"),
    ("pkgdb/api@2", "api pkgdb/api@2", "API reference"),
    (
        "mirrormanager/xmlrpc@1",
        "api mirrormanager/xmlrpc@1",
        "API reference",
    ),
    // Typos.
    (
        "bodi",
        "system bodhi",
        "short word, typed wrong: relaxed budget",
    ),
    (
        "mirrormanagr",
        "system mirrormanager",
        "one typo in a long name",
    ),
    ("datagreper", "system datagrepper", "one typo"),
    ("taskotrn", "system taskotron", "one typo"),
    ("fedmesg", "system fedmsg", "an inserted letter"),
    ("kojo", "system koji", "unknown four-letter word"),
    // Aliases.
    ("pkgdb2", "system pkgdb", "alias"),
    ("tahrir", "system badges", "alias"),
    ("mm2", "system mirrormanager", "short alias"),
    ("fedbadges", "system badges", "alias"),
    // People.
    ("hkowalski", "team infra-apps", "a member's handle"),
    // Words only in a doc section.
    (
        "firefighting",
        "doc The deploy-day outage (why the consumer list exists)",
        "doc-only word",
    ),
    ("artwork", "doc Adding a badge", "doc-only word"),
    ("configtest", "doc Restart", "doc-only word in a runbook"),
    (
        "buildsrpmfromscm",
        "doc Symptoms",
        "doc-only word in a runbook",
    ),
    (
        "resume push",
        "doc Resuming a failed push",
        "words of a section heading",
    ),
    // Topic words.
    (
        "wallpaper",
        "system nuancier",
        "in title, tags and docs: the system wins",
    ),
    ("masher", "system bodhi", "a tag"),
    ("metalink", "endpoint GET /metalink", "endpoint path"),
    ("calendar", "system fedocal", "title word"),
    (
        "postgresql shared kind:system",
        "system db-apps",
        "words and a filter",
    ),
    (
        "GET /api/critpath",
        "endpoint GET /api/critpath",
        "an endpoint by label",
    ),
    // Phrases.
    (
        "\"mass branching\"",
        "endpoint POST /api/collection/new",
        "phrase in a summary",
    ),
    (
        "\"deploy-day outage\"",
        "doc The deploy-day outage (why the consumer list exists)",
        "phrase in a heading",
    ),
    ("\"mirror list cache\"", "doc Mirror list cache", "phrase"),
    // Prefixes (search as you type).
    ("mirrorm", "system mirrormanager", "prefix of a name"),
    ("nuanc", "system nuancier", "prefix of a name"),
    ("datanom", "system datanommer", "prefix of a name"),
    // Filters.
    (
        "owner:releng",
        "system koji",
        "filter alone: systems by name",
    ),
    ("tier:1 kind:system", "system bodhi", "two filters"),
    (
        "kind:doc runbook mirror",
        "doc Mirror list cache",
        "kind filter and words",
    ),
    ("team:qa", "team qa", "team filter lists the team first"),
    ("kind:team", "team bugzilla-liaison", "kind filter alone"),
    ("lifecycle:deprecated", "api pkgdb/api@1", "deprecated API"),
    (
        "kind:endpoint critpath",
        "endpoint GET /api/critpath",
        "kind filter with a word",
    ),
    ("domain:qa kind:system", "system autoqa", "domain filter"),
    (
        "critpath -kind:endpoint -kind:doc",
        "system pkgdb",
        "negated filters",
    ),
    (
        "koji OR zzzzunknown",
        "system koji",
        "OR: either side may match",
    ),
];

#[test]
fn quality_set_top_results() {
    assert!(QUALITY.len() >= 25);
    let mut failures = Vec::new();
    for (query, expected, why) in QUALITY {
        let r = search(query, 5);
        let top: Vec<String> = r
            .results
            .iter()
            .map(|h| format!("{} {}", h.kind, h.name))
            .collect();
        if top.first().map(String::as_str) != Some(*expected) {
            failures.push(format!(
                "{query:?} ({why}): expected {expected:?}, got {top:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "quality set:\n{}", failures.join("\n"));
}

#[test]
fn exact_matches_rank_above_fuzzy_ones() {
    // "elections" as typed (the system, FAS, the shared database, the team) outranks sections
    // that only say "election" (one typo), even in a heading, which has a higher boost.
    let r = search("elections ", 20);
    let pos = |name: &str| r.results.iter().position(|h| h.name == name);
    assert_eq!(r.results[0].name, "elections");
    let fuzzy = pos("The wallpaper election, step by step").expect("the fuzzy match is found");
    for exact in ["db-apps", "community-ops", "fas-openid/openid@1"] {
        let p = pos(exact).unwrap_or(usize::MAX);
        assert!(p < fuzzy, "{exact} at {p}, fuzzy match at {fuzzy}");
    }
    // A four-letter word that exists gets no typos: it matches exactly what the exact
    // (quoted) word matches. A word that exists nowhere gets one ("kojo" finds koji).
    assert_eq!(search("koji ", 1).total, search("\"koji\"", 1).total);
    assert!(search("\"kojo\"", 1).total == 0 && search("kojo ", 1).total > 0);
}

#[test]
fn results_carry_urls_systems_and_highlighted_snippets() {
    let r = search("critpath", 20);
    let endpoint = r
        .results
        .iter()
        .find(|h| h.kind == "endpoint")
        .expect("an endpoint hit");
    assert_eq!(endpoint.system.as_deref(), Some("pkgdb"));
    assert!(
        endpoint.url.starts_with("/systems/pkgdb#api-api-v"),
        "{}",
        endpoint.url
    );
    let doc = r
        .results
        .iter()
        .find(|h| h.kind == "doc")
        .expect("a doc hit");
    assert!(doc.url.starts_with("/docs/"), "{}", doc.url);
    assert!(doc.url.contains('#'), "{}", doc.url);
    assert!(doc.title.contains(" › "), "{}", doc.title);
    assert!(
        r.results
            .iter()
            .any(|h| h.snippet_html().to_lowercase().contains("<b>critpath</b>")),
        "{:#?}",
        r.results
    );

    let team = &search("hkowalski", 1).results[0];
    assert_eq!(team.url, "/teams/infra-apps");
    assert_eq!(team.system, None);
    let sys = &search("bodhi", 1).results[0];
    assert_eq!(sys.url, "/systems/bodhi");
    assert_eq!(sys.system.as_deref(), Some("bodhi"));
}

#[test]
fn snippets_are_escaped_html() {
    // Hostile text in the catalog must come out escaped on the page; only <b> is markup.
    for q in ["bodhi", "mirrorlist", "<script>", "critpath", "kind:doc"] {
        for hit in search(q, 50).results {
            let html = hit.snippet_html();
            let without_b = html.replace("<b>", "").replace("</b>", "");
            assert!(!without_b.contains('<'), "{q}: {html}");
            assert!(!without_b.contains('>'), "{q}: {html}");
        }
    }
}

#[test]
fn hostile_queries_never_fail() {
    let long_word = "a".repeat(10 * 1024);
    let long_words = "bodhi ".repeat(2000);
    let many_filters = "owner:x ".repeat(500);
    let deep = "(".repeat(5000);
    let hostile: Vec<&str> = vec![
        "",
        " ",
        "\"",
        "\"\"",
        "\"unbalanced phrase",
        "unbalanced\" quote",
        "((bodhi",
        "bodhi))",
        "[koji",
        "{}",
        "AND",
        "OR",
        "NOT",
        "AND OR NOT",
        "bodhi AND",
        "OR bodhi",
        "NOT NOT NOT",
        "-",
        "--",
        "- -",
        "-bodhi",
        ":",
        "::",
        "owner:",
        "owner::",
        ":bodhi",
        "owner:\"",
        "owner:\"\"",
        "owner:\"infra apps",
        "kind:nonsense",
        "tier:999999999999999999999",
        "tag:",
        "*",
        "?",
        "~2",
        "bodhi~",
        "bodhi^10",
        "title:bodhi",
        "field:",
        "\\",
        "\\\"",
        "\u{0}\u{1}\u{7f}bodhi\u{1b}[31m",
        "🦀🦀🦀",
        "bödhí",
        "ｂｏｄｈｉ",
        "مرحبا",
        "日本語",
        "\u{202e}bodhi",
        "a",
        "ab",
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        "%00",
        "'; DROP TABLE systems; --",
        "<script>alert(1)</script>",
        "<b>bodhi</b>",
        &long_word,
        &long_words,
        &many_filters,
        &deep,
    ];
    for q in hostile {
        for opts in [
            SearchOptions::default(),
            SearchOptions {
                limit: 0,
                offset: 0,
            },
            SearchOptions {
                limit: usize::MAX,
                offset: usize::MAX,
            },
        ] {
            let r = index().search(q, &opts);
            assert_eq!(r.facets.len(), 6, "{q:?}");
            assert!(r.results.len() <= r.total, "{q:?}");
            if opts.limit == 0 {
                assert!(r.results.is_empty());
            }
        }
    }
    // The stripped-down forms still search.
    assert_eq!(search("((bodhi", 1).results[0].name, "bodhi");
    assert_eq!(search("\"unbalanced phrase", 1).total, 0);
    assert_eq!(search("bödhí", 1).results[0].name, "bodhi");
    assert_eq!(search("\u{0}bodhi\u{1b}", 1).results[0].name, "bodhi");
    assert_eq!(search("owner:", 3).total, search("owner", 3).total);
}

#[test]
fn facets_count_the_whole_match_set() {
    let r = search("owner:releng", 1);
    assert_eq!(r.results.len(), 1);
    assert!(r.total > 10, "{}", r.total);
    let kinds = &r.facets["kind"];
    assert_eq!(kinds.values().sum::<u64>() as usize, r.total);
    assert_eq!(r.facets["owner"].len(), 1);
    assert_eq!(r.facets["owner"]["releng"] as usize, r.total);
    assert!(kinds["system"] >= 3);
    for key in ["kind", "owner", "tier", "domain", "lifecycle", "tag"] {
        assert!(r.facets.contains_key(key), "{key}");
    }

    let python = search("tag:python kind:system", 100);
    assert_eq!(python.facets["kind"]["system"] as usize, python.total);
    assert_eq!(python.facets["tag"]["python"] as usize, python.total);
    assert_eq!(python.results.len(), python.total);
    let mut names: Vec<&str> = python.results.iter().map(|h| h.name.as_str()).collect();
    let listed = names.clone();
    names.sort();
    assert_eq!(listed, names, "a filter alone lists by name");

    // Facet counts narrow with the query.
    let both = search("tag:python kind:system owner:infra-apps", 100);
    assert!(both.total < python.total);
    assert_eq!(both.facets["owner"].len(), 1);
}

#[test]
fn paging_is_consistent() {
    let all = search("python", 30);
    let page = index().search(
        "python",
        &SearchOptions {
            limit: 10,
            offset: 10,
        },
    );
    assert_eq!(page.total, all.total);
    let a: Vec<&str> = all.results[10..20].iter().map(|h| h.url.as_str()).collect();
    let b: Vec<&str> = page.results.iter().map(|h| h.url.as_str()).collect();
    assert_eq!(a, b);
}

#[test]
fn json_response_snapshot() {
    let r = search("mirrormanagr", 3);
    insta::assert_json_snapshot!("search-mirrormanagr", r);
}

#[test]
fn index_dir_is_reused_while_the_catalog_is_unchanged() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut c = support::load(&support::example_catalog());
    let first = SearchIndex::open_or_build(&c, tmp.path()).expect("builds");
    assert!(!first.was_reused());
    let expected = first.search("wallpaper", &SearchOptions::default());
    drop(first);

    let second = SearchIndex::open_or_build(&c, tmp.path()).expect("opens");
    assert!(second.was_reused());
    let got = second.search("wallpaper", &SearchOptions::default());
    assert_eq!(
        serde_json::to_value(&got).expect("json"),
        serde_json::to_value(&expected).expect("json")
    );
    assert_eq!(second.num_docs(), index().num_docs());
    drop(second);

    // A changed document means a rebuild, and the new text is found.
    let path = c
        .documents
        .keys()
        .next()
        .cloned()
        .expect("the example has docs");
    let doc = c.documents.get_mut(&path).expect("doc");
    *doc = format!("{doc}\n\n## Zanzibar procedure\n\nquokka\n").into();
    let third = SearchIndex::open_or_build(&c, tmp.path()).expect("rebuilds");
    assert!(!third.was_reused());
    assert_eq!(third.search("quokka", &SearchOptions::default()).total, 1);
    drop(third);
    let fourth = SearchIndex::open_or_build(&c, tmp.path()).expect("opens");
    assert!(fourth.was_reused());

    // A corrupt index directory is rebuilt, not an error.
    let sub = std::fs::read_dir(tmp.path())
        .expect("dir")
        .filter_map(Result::ok)
        .find(|e| e.path().is_dir())
        .expect("index subdirectory")
        .path();
    drop(fourth);
    std::fs::write(sub.join("meta.json"), "{ not json").expect("write");
    let fifth = SearchIndex::open_or_build(&c, tmp.path()).expect("rebuilds");
    assert!(!fifth.was_reused());
    assert_eq!(fifth.search("quokka", &SearchOptions::default()).total, 1);
}

#[test]
fn cli_search_text_and_json() {
    let catalog = support::example_catalog();
    let catalog = catalog.to_str().expect("utf-8 path");
    let (code, out, err) =
        support::cli(&["--catalog", catalog, "search", "wallpaper", "--limit", "3"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("system   nuancier"), "{out}");
    assert!(out.contains("/systems/nuancier"), "{out}");
    assert!(!out.contains("<b>"), "plain text without colour: {out}");
    assert!(out.contains("wallpaper"), "{out}");
    let last = out.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("3 of "), "{last}");
    assert!(last.contains("kind: "), "{last}");

    let (code, out, err) = support::cli(&[
        "--catalog",
        catalog,
        "--format",
        "json",
        "search",
        "tier:1 kind:system",
        "--limit",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let expected = serde_json::to_value(search("tier:1 kind:system", 2)).expect("json");
    assert_eq!(v, expected);
    assert_eq!(v["results"][0]["kind"], "system");
    for key in ["kind", "name", "system", "title", "score", "snippet", "url"] {
        assert!(v["results"][0].get(key).is_some(), "{key}");
    }

    let (code, out, _) = support::cli(&["--catalog", catalog, "search", "-bodhi kind:team"]);
    assert_eq!(code, 0);
    assert!(out.contains("team"), "{out}");

    let (code, out, _) = support::cli(&["--catalog", catalog, "search", "\"((("]);
    assert_eq!(code, 0);
    assert!(out.contains("no results"), "{out}");

    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().to_str().expect("utf-8 path");
    for _ in 0..2 {
        let (code, out, err) =
            support::cli(&["--catalog", catalog, "search", "pkgdb2", "--index-dir", dir]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("system   pkgdb"), "{out}");
    }
}

/// `cairn search --format json` (#24): the same hits as the API, each snippet plain text with
/// `highlights`, `[start, end)` ranges in chars that point at the query's words.
#[test]
fn cli_json_snippets_are_text_with_highlight_ranges() {
    let dir = support::example_catalog();
    let (code, out, err) = support::cli(&[
        "--catalog",
        dir.to_str().unwrap(),
        "--format",
        "json",
        "search",
        "critpath",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut ranges = 0;
    for hit in v["results"].as_array().unwrap() {
        let snippet = hit["snippet"].as_str().unwrap();
        assert!(
            !snippet.contains("<b>") && !snippet.contains("&lt;"),
            "{snippet}"
        );
        let chars: Vec<char> = snippet.chars().collect();
        for r in hit["highlights"].as_array().unwrap() {
            let (s, e) = (
                r[0].as_u64().unwrap() as usize,
                r[1].as_u64().unwrap() as usize,
            );
            let word: String = chars[s..e].iter().collect();
            assert!(
                word.to_lowercase().contains("critpath"),
                "{word:?}: {snippet}"
            );
            ranges += 1;
        }
    }
    assert!(ranges > 0, "{out}");
    // The text output still shows the snippet, without markup.
    let (_, text, _) = support::cli(&["--catalog", dir.to_str().unwrap(), "search", "critpath"]);
    assert!(!text.contains("<b>"), "{text}");
    assert!(text.to_lowercase().contains("critpath"));
}
