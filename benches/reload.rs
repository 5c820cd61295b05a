//! Incremental reload benchmark, in-process: one system file edited → a new snapshot swapped
//! in, the way `cairn serve`'s watcher does it (the watcher's paths passed along, so the
//! catalog is not walked). Prints each phase's median and range over the edits.
//!
//! `cargo bench --bench reload` (10,000 systems by default; `CAIRN_BENCH_SYSTEMS=100000`).
//! The catalog is generated under `target/bench-data/reload-N`, or taken from
//! `CAIRN_BENCH_CATALOG=DIR`, which is **edited in place** (the edited file is put back at the
//! end). `CAIRN_BENCH_ROUNDS` edits (default 20) of each kind:
//!
//! - *description*: a system's description rewritten (the dependency structure unchanged);
//! - *structure*: a `depends_on` entry added to a system and removed again on the next edit.

// The same allocator as the `cairn` binary, so the figures are the shipped program's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cairn::loader::{self, LoadCache, LoadOptions, Touched};
use cairn::snapshot::{ReloadReport, Served};

fn main() {
    cairn::without_huge_pages();
    let n: usize = env_or("CAIRN_BENCH_SYSTEMS", 10_000);
    let rounds: usize = env_or("CAIRN_BENCH_ROUNDS", 20);
    let dir = match std::env::var_os("CAIRN_BENCH_CATALOG") {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-data/reload-{n}"))
        }
    };
    if !dir.join("teams.yaml").exists() {
        cairn::gen::generate(&dir, n, 1).expect("generate catalog");
    }
    let opts = LoadOptions::default();
    let t = Instant::now();
    let mut cache = LoadCache::default();
    let (catalog, _) =
        loader::load_incremental(&dir, &opts, &mut cache, &|_, _| {}).expect("load catalog");
    assert_eq!(catalog.errors(), 0, "the generated catalog has errors");
    let systems = catalog.systems.len();
    // Two files: the one a description edit rewrites, and a system it can depend on.
    let mut files: Vec<PathBuf> = catalog
        .systems
        .iter()
        .map(|s| dir.join(catalog.file_path(s.loc.file)))
        .collect();
    files.sort();
    let target = files[files.len() / 2].clone();
    // A system that depends on nothing, so the new edge cannot close a cycle.
    let other = catalog
        .systems
        .iter()
        .find(|s| {
            s.depends_on.is_empty()
                && s.consumes.is_empty()
                && dir.join(catalog.file_path(s.loc.file)) != target
        })
        .map(|s| s.name.value.clone())
        .expect("a second system");
    let state = Served::new(catalog, &dir, opts).expect("state");
    state.set_load_cache(cache);
    state.prepare_reload();
    println!("{systems} systems ready in {:.2?}", t.elapsed());
    // What the watcher does when it starts: one walk, to catch what changed meanwhile.
    let t = Instant::now();
    let caught = state.catch_up();
    println!(
        "catch-up walk: {:.2?} ({})",
        t.elapsed(),
        caught.map_or("nothing changed".to_string(), |r| r.to_string())
    );

    let original = std::fs::read_to_string(&target).expect("read the edited file");
    let touched = Touched {
        paths: [target.clone()].into_iter().collect(),
        rescan: false,
    };
    let edit = |i: usize, text: String| {
        std::fs::write(&target, text).expect("edit");
        let report = state.reload_touched(Some(&touched));
        assert!(report.swapped, "edit {i} was not swapped in: {report}");
        assert!(report.incremental, "edit {i} rebuilt the index: {report}");
        report
    };
    let described: Vec<ReloadReport> = (0..rounds)
        .map(|i| edit(i, with_description(&original, i)))
        .collect();
    let structured: Vec<ReloadReport> = (0..rounds)
        .map(|i| {
            let text = if i % 2 == 0 {
                with_dependency(&original, &other)
            } else {
                original.clone()
            };
            edit(i, text)
        })
        .collect();
    std::fs::write(&target, &original).expect("put the edited file back");
    state.reload_touched(Some(&touched));
    println!("edited: {}", target.display());
    summary("description", &described);
    summary("structure", &structured);
}

fn env_or(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// `original` with its `description:` line replaced (every edit a different text and size).
fn with_description(original: &str, i: usize) -> String {
    let mut out = String::new();
    let mut done = false;
    for line in original.lines() {
        if !done && line.starts_with("description:") {
            out.push_str(&format!(
                "description: Timing edit {i} {}.\n",
                "x".repeat(i % 7)
            ));
            done = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(done, "no top-level description line to edit");
    out
}

/// `original` with `other` added to its top-level `depends_on` (or a new `depends_on`).
fn with_dependency(original: &str, other: &str) -> String {
    let mut out = String::new();
    let mut done = false;
    for line in original.lines() {
        if !done && line.starts_with("depends_on: [") {
            out.push_str(&line.replacen('[', &format!("[{other}, "), 1));
            out.push('\n');
            done = true;
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if !done && line.trim_end() == "depends_on:" {
            out.push_str(&format!("  - {other}\n"));
            done = true;
        }
    }
    if !done {
        out.push_str(&format!("depends_on: [{other}]\n"));
    }
    out
}

fn summary(what: &str, reports: &[ReloadReport]) {
    let stat = |f: &dyn Fn(&ReloadReport) -> Duration| {
        let mut v: Vec<f64> = reports
            .iter()
            .map(|r| f(r).as_secs_f64() * 1000.0)
            .collect();
        v.sort_by(f64::total_cmp);
        format!(
            "{:.1} ms ({:.1}–{:.1})",
            v[v.len() / 2],
            v[0],
            v[v.len() - 1]
        )
    };
    println!(
        "{what} edits, {} of them: reload {}; load {}, search {}, graph and readiness {}, revision {}",
        reports.len(),
        stat(&|r| r.took),
        stat(&|r| r.phases.load),
        stat(&|r| r.phases.search),
        stat(&|r| r.phases.derive),
        stat(&|r| r.phases.revision),
    );
}
