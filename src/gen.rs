//! A synthetic catalog generator for benchmarks and scale tests (`gen-catalog` binary, benches).
//!
//! Shape: teams of ~20 systems, ~20 domains, every system provides 1–2 APIs with 4–12
//! endpoints, consumes ~2.5 APIs and depends on ~0.5 systems. Providers are picked with a
//! power law over older systems (a consumer only uses systems with a lower index), so a few core
//! services are consumed by thousands and the graph is acyclic, like a real organisation's.
//! One system in three has a Markdown README of a few sections. Deterministic per seed.

use std::fmt::Write as _;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic per seed, no dependency.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const WORDS: &[&str] = &[
    "package",
    "build",
    "mirror",
    "account",
    "message",
    "update",
    "release",
    "search",
    "index",
    "queue",
    "cache",
    "report",
    "billing",
    "invoice",
    "payment",
    "ledger",
    "profile",
    "session",
    "token",
    "audit",
    "metrics",
    "alert",
    "schedule",
    "calendar",
    "vote",
    "badge",
    "wiki",
    "forum",
    "ticket",
    "review",
    "signing",
    "compose",
    "artifact",
    "storage",
    "gateway",
    "router",
    "catalog",
    "inventory",
    "shipment",
    "notification",
    "export",
    "import",
    "sync",
];
const NOUNS: &[&str] = &[
    "service", "api", "worker", "daemon", "portal", "hub", "store", "engine", "bridge", "tracker",
];
const VERBS: &[&str] = &["GET", "GET", "GET", "POST", "PUT", "DELETE", "PATCH"];
const LANGS: &[&str] = &[
    "python", "go", "rust", "java", "ruby", "node", "php", "elixir",
];
const DBS: &[&str] = &[
    "PostgreSQL 15",
    "PostgreSQL 9.2",
    "MariaDB 10.6",
    "Redis 7",
    "MongoDB 6",
    "none",
];

fn name_of(i: usize, rng_word: usize) -> String {
    format!(
        "{}-{}-{i}",
        WORDS[rng_word % WORDS.len()],
        NOUNS[(rng_word / WORDS.len()) % NOUNS.len()]
    )
}

pub fn generate(out: &std::path::Path, n: usize, seed: u64) -> std::io::Result<()> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    std::fs::create_dir_all(out)?;
    let teams = (n / 20).max(1);
    let domains = 20.min(teams);
    let names: Vec<String> = (0..n)
        .map(|i| name_of(i, rng.below(WORDS.len() * NOUNS.len())))
        .collect();
    // Per system: (api count, endpoints per api)
    let shapes: Vec<(usize, Vec<Vec<String>>)> = (0..n)
        .map(|_| {
            let apis = 1 + (rng.unit() < 0.3) as usize;
            let eps = (0..apis)
                .map(|_| {
                    let k = 4 + rng.below(9);
                    (0..k)
                        .map(|e| {
                            format!(
                                "{} /{}/{}",
                                VERBS[rng.below(VERBS.len())],
                                WORDS[rng.below(WORDS.len())],
                                e
                            )
                        })
                        .collect()
                })
                .collect();
            (apis, eps)
        })
        .collect();

    let mut t = String::new();
    for d in 0..domains {
        writeln!(t, "---\nkind: domain\nname: domain-{d}\ntitle: Domain {d}\ndescription: The {} domain.\nowner: team-{d}", WORDS[d % WORDS.len()]).ok();
    }
    for k in 0..teams {
        writeln!(
            t,
            "---\nkind: team\nname: team-{k}\ntitle: Team {k}\ncontacts: {{ email: team-{k}@example.org, chat: \"#team-{k}\" }}\nmembers:\n  - {{ name: lead{k}, email: lead{k}@example.org, role: lead }}\n  - {{ name: dev{k}a, email: dev{k}a@example.org }}\n  - {{ name: dev{k}b, email: dev{k}b@example.org }}\noncall:\n  rotation: {{ start: 2026-01-05, every: 1w, order: [dev{k}a, dev{k}b] }}\n  lead: lead{k}"
        )
        .ok();
    }
    std::fs::write(out.join("teams.yaml"), t)?;

    for i in 0..n {
        let dir = out.join(format!("systems/{:04}", i / 1000));
        if i % 1000 == 0 {
            std::fs::create_dir_all(&dir)?;
        }
        let name = &names[i];
        let team = i % teams;
        let tier = if i < n / 100 {
            1
        } else if i < n / 5 {
            2
        } else {
            3
        };
        let mut y = String::with_capacity(1500);
        writeln!(y, "kind: system\nname: {name}\ntitle: {}", title(name)).ok();
        writeln!(
            y,
            "description: Handles {} {} for the {} workflow; written in {}.",
            WORDS[rng.below(WORDS.len())],
            NOUNS[rng.below(NOUNS.len())],
            WORDS[rng.below(WORDS.len())],
            LANGS[i % LANGS.len()]
        )
        .ok();
        writeln!(
            y,
            "owner: team-{team}\ndomain: domain-{}\nlifecycle: production\ntier: {tier}",
            team % domains
        )
        .ok();
        writeln!(
            y,
            "tags: [{}, {}]\naliases: [{name}-svc]",
            LANGS[i % LANGS.len()],
            WORDS[rng.below(WORDS.len())]
        )
        .ok();
        let has_doc = i % 3 == 0;
        if has_doc {
            writeln!(y, "docs: [{name}.md]").ok();
        }
        y.push_str("provides:\n");
        for (a, eps) in shapes[i].1.iter().enumerate() {
            writeln!(
                y,
                "  - name: api{a}\n    version: {}\n    kind: rest\n    endpoints:",
                1 + (i + a) % 2
            )
            .ok();
            for e in eps {
                writeln!(y, "      - \"{e}\"").ok();
            }
        }
        if i > 0 {
            let k = rng.below(5); // 0..4, mean 2
            let k = if i < 10 {
                k.min(i)
            } else {
                k + (rng.unit() < 0.5) as usize
            };
            let mut chosen = Vec::new();
            for _ in 0..k {
                let p = ((i as f64) * rng.unit().powf(3.0)) as usize;
                if p < i && !chosen.contains(&p) {
                    chosen.push(p);
                }
            }
            if !chosen.is_empty() {
                y.push_str("consumes:\n");
            }
            for &p in &chosen {
                let a = rng.below(shapes[p].0);
                let v = 1 + (p + a) % 2;
                writeln!(y, "  - api: {}/api{a}@{v}", names[p]).ok();
                if rng.unit() < 0.6 {
                    let eps = &shapes[p].1[a];
                    writeln!(y, "    uses: [\"{}\"]", eps[rng.below(eps.len())]).ok();
                }
            }
            if rng.unit() < 0.5 {
                let d = ((i as f64) * rng.unit().powf(2.0)) as usize;
                if d < i && !chosen.contains(&d) {
                    writeln!(y, "depends_on: [{}]", names[d]).ok();
                }
            }
        }
        writeln!(
            y,
            "ilities:\n  scalability: {{ rating: {}, notes: Horizontal behind the load balancer. }}\n  reliability: Two replicas per zone.\nsupport:\n  version: 1.{}.0\n  database: {}\n  logs: /var/log/{name}/",
            1 + i % 5,
            i % 40,
            DBS[i % DBS.len()]
        )
        .ok();
        std::fs::write(dir.join(format!("{name}.yaml")), y)?;
        if has_doc {
            std::fs::write(dir.join(format!("{name}.md")), doc(name, &mut rng))?;
        }
    }
    Ok(())
}

fn title(name: &str) -> String {
    name.split('-')
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn doc(name: &str, rng: &mut Rng) -> String {
    let mut s = format!("# {}\n\n", title(name));
    for section in ["Overview", "Architecture", "Deployment", "Operations"] {
        writeln!(s, "## {section}\n").ok();
        for _ in 0..3 {
            let words: Vec<&str> = (0..25).map(|_| WORDS[rng.below(WORDS.len())]).collect();
            writeln!(s, "The {name} {}.\n", words.join(" ")).ok();
        }
    }
    s
}
