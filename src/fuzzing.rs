//! Entry points shared by the cargo-fuzz targets in `fuzz/` and the bounded corpus test that
//! runs on stable in CI (`tests/it/fuzz_corpus.rs`). Each takes arbitrary bytes and must never
//! panic, hang or allocate without bound; the assertions here are the invariants checked.

/// The YAML loader: parse + convert one file. Every diagnostic is located.
pub fn yaml_loader(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (diags, _) = crate::loader::check_text(text);
    for d in diags {
        assert!(d.line >= 1 && d.column >= 1, "unlocated diagnostic {d:?}");
    }
}

/// The OpenAPI reader.
pub fn openapi_reader(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(eps) = crate::loader::openapi::endpoints(text) {
        for e in eps {
            assert!(!e.method.is_empty());
        }
    }
    let _ = crate::loader::openapi::asyncapi_channels(text);
}

/// The observed-traffic readers (Jaeger, servicegraph, Consul, CSV, JSON Lines), with the format
/// chosen by each extension and by content. An error names its source and says something.
pub fn observed_reader(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in ["in.json", "in.prom", "in.csv", "in.jsonl", "in"] {
        match crate::observed::parse_text(name, text) {
            Ok(o) => {
                for e in &o.edges {
                    assert!(!e.caller.is_empty() && !e.callee.is_empty(), "{e:?}");
                }
            }
            Err(e) => assert!(e.source == name && !e.message.is_empty(), "{e:?}"),
        }
    }
}

/// The search query parser and engine, over a small fixed catalog.
pub fn query_parser(data: &[u8]) {
    let q = String::from_utf8_lossy(data);
    let r = small_index().search(&q, &Default::default());
    assert!(r.results.len() <= 20);
}

fn small_index() -> &'static crate::search::SearchIndex {
    static IDX: std::sync::OnceLock<crate::search::SearchIndex> = std::sync::OnceLock::new();
    IDX.get_or_init(|| {
        let text = "kind: team\nname: apps\n---\nkind: system\nname: pkgdb\ntitle: Package database\nowner: apps\n\
                    tags: [python]\nprovides: [{ name: api, version: 2, endpoints: [\"GET /api/critpath\"] }]\n";
        let dir = std::env::temp_dir().join(format!("cairn-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("c.yaml"), text);
        let c = crate::loader::load(&dir, &Default::default()).expect("fixed catalog loads");
        crate::search::SearchIndex::build(&c).expect("index builds")
    })
}
