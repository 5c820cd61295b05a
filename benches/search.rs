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
    cairn::without_huge_pages();
    let n: usize = std::env::var("CAIRN_BENCH_SYSTEMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    // CAIRN_BENCH_CATALOG=DIR reads the catalog from elsewhere (a copy on tmpfs: this machine's
    // virtual disk reads 100,000 small files at a few MB/s when they are not cached).
    let dir = match std::env::var_os("CAIRN_BENCH_CATALOG") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/bench-data/{n}")),
    };
    if !dir.join("teams.yaml").exists() {
        cairn::gen::generate(&dir, n, 1).expect("generate catalog");
    }
    let t = Instant::now();
    let c = cairn::load(&dir, &Default::default()).expect("load");
    println!("load+validate {n} systems: {:.2?}", t.elapsed());
    let t = Instant::now();
    // CAIRN_BENCH_INDEX_DIR=DIR persists the index and reuses it on the next run (for profiling
    // the query path without rebuilding); the default is the in-RAM build being measured.
    let idx = match std::env::var_os("CAIRN_BENCH_INDEX_DIR") {
        Some(d) => SearchIndex::open_or_build(&c, std::path::Path::new(&d)).expect("index"),
        None => SearchIndex::build(&c).expect("index"),
    };
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
    let mut slowest: Vec<(Duration, &str)> = Vec::new();
    let cpu_before = cpu_time();
    for _ in 0..rounds {
        for q in QUERIES {
            let t = Instant::now();
            let r = idx.search(q, &opts);
            let took = t.elapsed();
            times.push(took);
            slowest.push((took, q));
            std::hint::black_box(r);
        }
    }
    let cpu = cpu_time().saturating_sub(cpu_before);
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "search over {} queries x{rounds}: p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        QUERIES.len(),
        pct(0.50),
        pct(0.99),
        times[times.len() - 1]
    );
    // CPU time (all threads) per query: steadier than wall time on a shared machine.
    println!(
        "CPU per query (all threads): {:.2?}",
        cpu / (times.len() as u32).max(1)
    );
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    let worst: Vec<String> = slowest
        .iter()
        .take(5)
        .map(|(d, q)| format!("{d:.2?} {q}"))
        .collect();
    println!("slowest samples: {}", worst.join(", "));
    // Per query over the rounds: the spread says how much is the query and how much the machine.
    println!("  median       max      hits  query");
    for q in QUERIES {
        let mut mine: Vec<Duration> = slowest
            .iter()
            .filter(|(_, s)| s == q)
            .map(|(d, _)| *d)
            .collect();
        mine.sort();
        let total = idx.search(q, &opts).total;
        let median = mine.get(mine.len() / 2).copied().unwrap_or_default();
        let max = mine.last().copied().unwrap_or_default();
        println!("  {median:>9.2?} {max:>9.2?} {total:>8}  {q}");
    }
}

/// User + system CPU time of this process so far (Linux `/proc/self/stat`, 100 Hz ticks).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}
