//! Search benchmark on a generated catalog (see `cairn::gen`): index build time and query
//! latency (p50/p99) over a fixed query list, in-process.
//!
//! `cargo bench --bench search` (100,000 systems by default; `CAIRN_BENCH_SYSTEMS=10000`).

// The same allocator as the `cairn` binary, so the figures are the shipped program's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cairn::search::{SearchIndex, SearchOptions};

/// A fixed mix: exact names, words, typos, prefixes, phrases, filters alone and with words.
const QUERIES: &[&str] = &[
    "account-tracker-0",
    "billing",
    "payment gateway",
    "invoce",
    "notificaton service",
    "sched",
    "\"release worker\"",
    "owner:team-7",
    "tier:1 kind:system",
    "kind:doc deployment",
    "postgresql",
    "metrics engine",
    "domain:domain-3 cache",
    "lifecycle:production tag:rust",
    "shipment bridge",
    "GET /payment",
    "artifact",
    "vote portal",
    "tokn",
    "kind:api ledger",
];

fn main() {
    let n: usize = std::env::var("CAIRN_BENCH_SYSTEMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-data/{n}"));
    if !dir.join("teams.yaml").exists() {
        cairn::gen::generate(&dir, n, 1).expect("generate catalog");
    }
    let t = Instant::now();
    let c = cairn::load(&dir, &Default::default()).expect("load");
    println!("load+validate {n} systems: {:.2?}", t.elapsed());
    let t = Instant::now();
    let idx = SearchIndex::build(&c).expect("index");
    println!(
        "index build (RAM, {} documents): {:.2?}",
        idx.num_docs(),
        t.elapsed()
    );

    let opts = SearchOptions {
        limit: 20,
        offset: 0,
    };
    for q in QUERIES {
        idx.search(q, &opts); // warm-up
    }
    // More rounds for profiling the query path: CAIRN_BENCH_ROUNDS=500.
    let rounds: usize = std::env::var("CAIRN_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..rounds {
        for q in QUERIES {
            let t = Instant::now();
            let r = idx.search(q, &opts);
            times.push(t.elapsed());
            std::hint::black_box(r);
        }
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "search over {} queries x{rounds}: p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        QUERIES.len(),
        pct(0.50),
        pct(0.99),
        times[times.len() - 1]
    );
    for q in QUERIES {
        let t = Instant::now();
        let r = idx.search(q, &opts);
        println!("  {:>9.2?}  {:>6} hits  {q}", t.elapsed(), r.total);
    }
}
