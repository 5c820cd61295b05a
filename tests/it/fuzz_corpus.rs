//! The fuzz targets' inputs as a bounded stable test: every seed in fuzz/corpus/<target>, every
//! test fixture, and deterministic mutations of each (truncations, byte flips, duplications),
//! through the same entry points libFuzzer drives (`cairn::fuzzing`).

use std::path::Path;

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut dirs = vec![root.join("fuzz/corpus").join(target)];
    if target != "query_parser" {
        dirs.push(root.join("tests/data"));
    }
    for d in dirs {
        for e in walkdir::WalkDir::new(d)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
        {
            if let Ok(b) = std::fs::read(e.path()) {
                if b.len() < 256 * 1024 {
                    out.push(b);
                }
            }
        }
    }
    assert!(!out.is_empty(), "no seeds for {target}");
    out
}

/// Deterministic mutations: a cheap stand-in for coverage-guided fuzzing on stable.
fn mutations(seed: &[u8]) -> Vec<Vec<u8>> {
    let mut v = vec![seed.to_vec()];
    let mut x: u64 = 0x9E37_79B9 ^ seed.len() as u64;
    for _ in 0..24 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut m = seed.to_vec();
        if m.is_empty() {
            m.push((x & 0xff) as u8);
        } else {
            let i = (x as usize) % m.len();
            match x % 4 {
                0 => m.truncate(i),
                1 => m[i] = (x >> 8) as u8,
                2 => {
                    let tail = m[i..].to_vec();
                    m.extend_from_slice(&tail);
                }
                _ => {
                    let specials = b"[{-:*&'\"\n\t#";
                    m.insert(i, specials[(x >> 16) as usize % specials.len()]);
                }
            }
        }
        v.push(m);
    }
    v
}

fn run(target: &str, f: fn(&[u8])) {
    for seed in seeds(target) {
        for input in mutations(&seed) {
            f(&input);
        }
    }
}

#[test]
fn yaml_loader_corpus() {
    run("yaml_loader", cairn::fuzzing::yaml_loader);
}

#[test]
fn openapi_reader_corpus() {
    run("openapi_reader", cairn::fuzzing::openapi_reader);
}

#[test]
fn query_parser_corpus() {
    run("query_parser", cairn::fuzzing::query_parser);
}

#[test]
fn observed_reader_corpus() {
    run("observed_reader", cairn::fuzzing::observed_reader);
}

#[test]
fn markdown_render_corpus() {
    run("markdown_render", cairn::fuzzing::markdown_render);
}

#[test]
fn diagnostic_render_corpus() {
    run("diagnostic_render", cairn::fuzzing::diagnostic_render);
}
