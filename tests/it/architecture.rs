//! The layering ARCHITECTURE.md promises, checked by reading the source: `snapshot` alone
//! derives, `cli` and `web` only read a snapshot, `snapshot` knows neither axum nor clap, the
//! layout library imports nothing from the crate, and no two modules import each other in a
//! circle (top-level modules, and sibling files of one directory module).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, as (module path, source). `src/web/pages/mod.rs` is
/// `web::pages`, `src/lib.rs` is the crate root (empty path).
fn sources() -> Vec<(Vec<String>, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("src is readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("source is UTF-8");
                out.push((module_path(&root, &p), text));
            }
        }
    }
    out.sort();
    out
}

fn module_path(root: &Path, file: &Path) -> Vec<String> {
    let rel: PathBuf = file.strip_prefix(root).expect("under src").to_path_buf();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    if parts.first().is_some_and(|p| p == "bin") {
        parts.clear();
    }
    parts
}

/// The code of a source file without comments and string literals, and without its
/// `#[cfg(test)]` modules (tests may reach anywhere).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// The modules `code` (of module `at`) names: every `crate::a::b…` and `super::…` path,
/// resolved to the longest known module.
/// The text right after the path that starts at `i` (`crate::a::b::` then `{…}` or a name).
fn rest_text(code: &str, i: usize) -> &str {
    let tail = &code[i..];
    let end = tail
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(tail.len());
    &tail[end..]
}

/// What each module re-exports: (module, name) -> the module that defines it, from its
/// `pub use` lines (`pub use child::{A, B};`, `pub use crate::x::A;`).
type Reexports = BTreeMap<(Vec<String>, String), Vec<String>>;

fn reexports(srcs: &[(Vec<String>, String)], known: &BTreeSet<Vec<String>>) -> Reexports {
    let mut map = Reexports::new();
    for (m, text) in srcs {
        let code = code(text);
        for stmt in code.split("pub use ").skip(1) {
            let Some(stmt) = stmt.split(';').next() else {
                continue;
            };
            let stmt: String = stmt.split_whitespace().collect();
            let (prefix, names) = match stmt.find("::{") {
                Some(i) => (&stmt[..i], stmt[i + 3..].trim_end_matches('}').to_string()),
                None => match stmt.rfind("::") {
                    Some(i) => (&stmt[..i], stmt[i + 2..].to_string()),
                    None => continue,
                },
            };
            let mut base: Vec<String> = match prefix.split("::").next() {
                Some("crate") => Vec::new(),
                Some("super") => m[..m.len().saturating_sub(1)].to_vec(),
                _ => m.clone(),
            };
            for seg in prefix
                .split("::")
                .filter(|s| !matches!(*s, "crate" | "super" | "self"))
            {
                base.push(seg.to_string());
            }
            if !known.contains(&base) {
                continue;
            }
            for name in names.split(',') {
                let name = name.split(" as ").last().unwrap_or(name).trim();
                if !name.is_empty() && name != "self" && name != "*" {
                    map.insert((m.clone(), name.to_string()), base.clone());
                }
            }
        }
    }
    map
}

fn imports(
    at: &[String],
    code: &str,
    known: &BTreeSet<Vec<String>>,
    re: &Reexports,
) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    for (i, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        if i > 0 && (ident(bytes[i - 1]) || bytes[i - 1] == b':') {
            continue;
        }
        let rest = &code[i..];
        let path: Vec<&str> = rest
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or("")
            .split("::")
            .filter(|s| !s.is_empty())
            .collect();
        let mut base: Vec<String> = if path[0] == "crate" {
            Vec::new()
        } else {
            // `super` is the parent module (of `web::api`, `web`; of `web`, the crate).
            let mut b = at.to_vec();
            b.pop();
            b
        };
        let mut segs = &path[1..];
        while segs.first() == Some(&"super") {
            base.pop();
            segs = &segs[1..];
        }
        let mut best = base.clone();
        let mut cur = base;
        let mut rest = segs.iter();
        for s in rest.by_ref() {
            cur.push(s.to_string());
            if known.contains(&cur) {
                best = cur.clone();
            } else {
                // A name the module re-exports counts as an import of where it is defined.
                if let Some(def) = re.get(&(best.clone(), s.to_string())) {
                    best = def.clone();
                }
                break;
            }
        }
        // `use super::{AppError, pages};`: each name of the group, resolved the same way.
        let after = rest_text(code, i);
        if let Some(group) = after.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let first = item.trim().split("::").next().unwrap_or("").trim();
                let mut sub = best.clone();
                sub.push(first.to_string());
                if known.contains(&sub) {
                    found.insert(sub);
                } else if let Some(def) = re.get(&(best.clone(), first.to_string())) {
                    found.insert(def.clone());
                }
            }
        }
        found.insert(best);
    }
    found
}

/// For each module, the modules it imports.
fn module_graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let srcs = sources();
    let known: BTreeSet<Vec<String>> = srcs.iter().map(|(m, _)| m.clone()).collect();
    let re = reexports(&srcs, &known);
    let mut g = BTreeMap::new();
    for (m, text) in &srcs {
        g.insert(m.clone(), imports(m, &code(text), &known, &re));
    }
    g
}

/// A cycle in `edges`, if there is one, as the list of its nodes.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|s| s == m).expect("on the stack");
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, edges, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn the_cycle_finder_finds_cycles_and_only_cycles() {
    let g = |pairs: &[(&str, &str)]| {
        let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            m.entry(a.to_string()).or_default().insert(b.to_string());
        }
        m
    };
    assert_eq!(find_cycle(&g(&[("a", "b"), ("b", "c"), ("a", "c")])), None);
    let c = find_cycle(&g(&[
        ("drift", "impact"),
        ("impact", "views"),
        ("views", "drift"),
    ]));
    assert_eq!(c.map(|c| c.len()), Some(4));
}

#[test]
fn module_paths_and_imports_resolve() {
    let g = module_graph();
    let m = |s: &str| s.split("::").map(str::to_string).collect::<Vec<_>>();
    // The snapshot's reload engine imports the loader and its parent; the CLI imports the snapshot.
    assert!(g[&m("snapshot::reload")].contains(&m("loader")));
    assert!(g[&m("snapshot::reload")].contains(&m("snapshot")));
    assert!(g[&m("cli")].contains(&m("snapshot")), "{:?}", g[&m("cli")]);
    // Comments and strings are not imports.
    let known: BTreeSet<Vec<String>> = [m("web"), m("cli")].into_iter().collect();
    let text = code("// crate::web::x\nlet s = \"crate::web\";\nuse crate::cli::y;\n");
    assert_eq!(
        imports(&m("a"), &text, &known, &Reexports::new()),
        [m("cli")].into_iter().collect()
    );
    // A name a facade re-exports is an import of the module that defines it.
    let known: BTreeSet<Vec<String>> = [m("web"), m("web::error")].into_iter().collect();
    let re = reexports(&[(m("web"), "pub use error::AppError;".into())], &known);
    let text = code("use super::AppError;");
    assert_eq!(
        imports(&m("web::page"), &text, &known, &re),
        [m("web::error")].into_iter().collect()
    );
}

#[test]
fn no_import_cycles_between_modules_or_sibling_files() {
    let g = module_graph();
    // Top-level modules.
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, deps) in &g {
        let Some(from) = m.first() else { continue };
        for d in deps {
            if let Some(to) = d.first() {
                if to != from {
                    top.entry(from.clone()).or_default().insert(to.clone());
                }
            }
        }
    }
    assert_eq!(
        find_cycle(&top),
        None,
        "top-level modules import each other in a circle"
    );
    // Sibling files of each directory module (its mod.rs is the facade and is left out).
    let mut siblings: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (m, deps) in &g {
        let Some((name, parent)) = m.split_last() else {
            continue;
        };
        for d in deps {
            if d.len() > parent.len() && d[..parent.len()] == *parent && d[parent.len()] != *name {
                siblings
                    .entry(parent.to_vec())
                    .or_default()
                    .entry(name.clone())
                    .or_default()
                    .insert(d[parent.len()].clone());
            }
        }
    }
    for (parent, edges) in &siblings {
        assert_eq!(
            find_cycle(edges),
            None,
            "files of `{}` import each other in a circle",
            parent.join("::")
        );
    }
}

#[test]
fn only_the_snapshot_derives_it_knows_no_framework_and_only_the_surfaces_print() {
    let derive_calls = [
        "Graph::build",
        "Graph::update",
        "SearchIndex::build",
        "SearchIndex::open_or_build",
        "persisted_or_in_ram",
        "score::evaluate",
        "drift::resolve",
    ];
    let mut wrong = Vec::new();
    let graph = module_graph();
    for (m, text) in sources() {
        let code = code(&text);
        let top = m.first().map(String::as_str).unwrap_or("");
        if matches!(top, "cli" | "web") {
            for call in derive_calls {
                if code.contains(call) {
                    wrong.push(format!(
                        "{} calls {call}: derive in `snapshot`",
                        m.join("::")
                    ));
                }
            }
        }
        if top == "snapshot" {
            for name in ["axum", "clap", "crate::web", "crate::cli", "tokio"] {
                if code.contains(name) {
                    wrong.push(format!("{} names {name}", m.join("::")));
                }
            }
        }
        // Outside the two surfaces (and the binaries) nothing prints: what happened is returned.
        if !matches!(top, "cli" | "web" | "") {
            for mac in ["println!", "eprintln!", "print!(", "eprint!("] {
                if code.contains(mac) {
                    wrong.push(format!("{} prints ({mac})", m.join("::")));
                }
            }
        }
        if top == "picture" {
            for d in &graph[&m] {
                if d.first().map(String::as_str) != Some("picture") {
                    wrong.push(format!("{} imports {}", m.join("::"), d.join("::")));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
