//! Graph and impact benchmark on a generated catalog (see `cairn::gen`).
//!
//! `cargo bench --bench impact` (100,000 systems by default; `CAIRN_BENCH_SYSTEMS=10000` for
//! a smaller run). Prints load, graph build and worst-case impact timings; the figures in
//! docs/benchmarks.md come from here.

// The same allocator as the `cairn` binary, so the figures are the shipped program's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cairn::date::Date;
use cairn::graph::Graph;
use cairn::impact::{analyze, deps, impact, ImpactOptions, Target};

fn main() {
    let n: usize = std::env::var("CAIRN_BENCH_SYSTEMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-data/{n}"));
    if !dir.join("teams.yaml").exists() {
        let t = Instant::now();
        cairn::gen::generate(&dir, n, 1).expect("generate catalog");
        eprintln!("generated {n} systems in {:.2?}", t.elapsed());
    }
    let t = Instant::now();
    let c = cairn::load(&dir, &Default::default()).expect("load");
    println!(
        "load+validate {n} systems: {:.2?} ({} diagnostics)",
        t.elapsed(),
        c.diagnostics.len()
    );

    let mut builds = Vec::new();
    let mut g = None;
    for _ in 0..5 {
        let t = Instant::now();
        g = Some(Graph::build(&c));
        builds.push(t.elapsed());
    }
    let g = g.expect("built");
    let edges: usize = g.dependencies.iter().map(Vec::len).sum();
    println!(
        "graph build: median {:.2?} ({} system-level edges, {} petgraph edges)",
        median(&mut builds),
        edges,
        g.edge_count()
    );

    // Worst case: the system with the most direct dependents, whole-system change.
    let worst = (0..c.systems.len())
        .max_by_key(|&i| g.dependents[i].len())
        .expect("systems");
    let target = Target {
        system: worst,
        api: None,
        version: None,
        endpoint: None,
    };
    let at = Date::parse("2026-11-22").expect("date");
    let mut walks = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let r = analyze(&c, &g, &target, &ImpactOptions::default());
        walks.push(t.elapsed());
        assert!(!r.order.is_empty());
    }
    println!(
        "worst-case impact walk (analyze): median {:.2?}, max {:.2?}",
        median(&mut walks),
        walks.iter().max().copied().unwrap_or_default()
    );
    let mut times = Vec::new();
    let mut reached = 0;
    for _ in 0..30 {
        let t = Instant::now();
        let r = impact(&c, &g, &target, &ImpactOptions::default(), at);
        times.push(t.elapsed());
        reached = r.summary.total;
    }
    println!(
        "worst-case impact with full report ({}: {} direct dependents, {} systems reached): median {:.2?}, max {:.2?}",
        c.systems[worst].name.value,
        g.dependents[worst].len(),
        reached,
        median(&mut times),
        times.iter().max().copied().unwrap_or_default()
    );
    let leaf = c.systems.len() - 1;
    let mut times = Vec::new();
    let mut total = 0;
    for _ in 0..30 {
        let t = Instant::now();
        total = deps(&c, &g, leaf, None).summary.total;
        times.push(t.elapsed());
    }
    println!(
        "deps of the newest system ({total} dependencies): median {:.2?}",
        median(&mut times)
    );
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}
