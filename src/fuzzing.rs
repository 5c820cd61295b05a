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

/// Markdown rendering (docs, runbooks, -ilities notes, glossary terms): sanitised HTML with no
/// script, for any text, and sections for search.
pub fn markdown_render(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let r = crate::docs::render(text);
    // Raw `<` appears only in real tags (text has `&lt;`): look inside each tag.
    for tag in r.html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("").to_ascii_lowercase();
        assert!(
            !tag.starts_with("script")
                && !tag.contains("href=\"javascript:")
                && !tag.contains("src=\"javascript:")
                && !has_handler(&tag),
            "active markup survived: <{tag}> in {}",
            r.html
        );
    }
    let _ = crate::docs::sections(text);
}

/// The diagnostic renderer (`cairn check`'s text): every diagnostic of any catalog file renders
/// with and without colour, its source line quoted without control characters.
pub fn diagnostic_render(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (diags, _) = crate::loader::check_text(text);
    for d in &diags {
        for color in [false, true] {
            let out = crate::diag::render(
                d,
                "f.yaml",
                Some(text),
                crate::diag::RenderOptions { color },
            );
            assert!(out.contains(&format!(":{}:{}", d.line, d.column)), "{out}");
            // The quoted source line (after `N | `) never carries a control character.
            for l in out.lines().filter(|l| l.contains(" | ")) {
                let quoted = l.split_once(" | ").map(|x| x.1).unwrap_or("");
                let plain = quoted.replace("\x1b[1;34m", "").replace("\x1b[0m", "");
                assert!(
                    !plain
                        .chars()
                        .any(|c| c.is_control() && c != '\t' && c != '\x1b'),
                    "{l:?}"
                );
            }
        }
    }
}

/// An attribute named `on…=` (an event handler) in the text of a tag.
fn has_handler(tag: &str) -> bool {
    // Outside attribute values (serialised in double quotes, with `"` inside as `&quot;`).
    let names: String = tag.split('"').step_by(2).collect::<Vec<_>>().join(" ");
    names.match_indices(" on").any(|(i, _)| {
        let rest = &names[i + 3..];
        let name_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        name_len > 0 && rest[name_len..].starts_with('=')
    })
}
