//! Graph and impact benchmark on a generated catalog (see `cairn::gen`), with criterion.
//!
//! `cargo bench --bench impact` (100,000 systems by default; `CAIRN_BENCH_SYSTEMS=10000` for
//! a smaller run; criterion's filters and options follow `--`, e.g. `-- walk`). Loads the
//! catalog once (its time is printed, not sampled), then measures the graph build, the worst-case
//! impact walk, the same with the full named report, and `deps` of the newest system; the figures
//! in docs/benchmarks.md come from here. Criterion prints each as `[low estimate high]` of the
//! mean per run and keeps its samples under target/criterion/.

// The same allocator as the `cairn` binary, so the figures are the shipped program's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cairn::date::Date;
use cairn::graph::Graph;
use cairn::impact::{analyze, deps, impact, ImpactOptions, Target};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};

fn impact_benches(cr: &mut Criterion) {
    let n: usize = std::env::var("CAIRN_BENCH_SYSTEMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    // CAIRN_BENCH_CATALOG=DIR reads the catalog from elsewhere (a copy on tmpfs), as the search
    // bench does.
    let dir = match std::env::var_os("CAIRN_BENCH_CATALOG") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-data/{n}")),
    };
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
    let g = Graph::build(&c);
    let edges: usize = (0..g.len()).map(|i| g.dependencies(i).len()).sum();
    // Worst case: the system with the most direct dependents, whole-system change.
    let worst = (0..c.systems.len())
        .max_by_key(|&i| g.dependents(i).len())
        .expect("systems");
    let target = Target {
        system: worst,
        api: None,
        version: None,
        endpoint: None,
    };
    let at = Date::parse("2026-11-22").expect("date");
    let reached = impact(&c, &g, &target, &ImpactOptions::default(), at)
        .summary
        .total;
    let leaf = c.systems.len() - 1;
    println!(
        "{} system-level edges, {} edges with those into APIs; worst case {}: {} direct dependents, {} systems reached; newest system {}: {} dependencies",
        edges,
        g.edge_count(),
        c.systems[worst].name.value,
        g.dependents(worst).len(),
        reached,
        c.systems[leaf].name.value,
        deps(&c, &g, leaf, None).summary.total
    );

    let mut group = cr.benchmark_group(format!("impact/{n}"));
    // Whole-catalog operations take up to a second at 100k: flat sampling, few samples.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.bench_function("graph build", |b| b.iter(|| Graph::build(&c)));
    group.bench_function("worst-case impact with full report", |b| {
        b.iter(|| impact(&c, &g, &target, &ImpactOptions::default(), at))
    });
    group.sample_size(30);
    group.bench_function("worst-case impact walk (analyze)", |b| {
        b.iter(|| analyze(&c, &g, &target, &ImpactOptions::default()))
    });
    group.bench_function("deps of the newest system", |b| {
        b.iter(|| deps(&c, &g, leaf, None))
    });
    group.finish();
}

criterion_group!(benches, impact_benches);
criterion_main!(benches);
