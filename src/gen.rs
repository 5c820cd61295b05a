//! A synthetic catalog generator for benchmarks and scale tests (`gen-catalog` binary, benches).
//!
//! Shape: teams of ~20 systems, ~20 domains, every system provides 1–2 APIs with 4–12
//! endpoints, consumes ~2.5 APIs and depends on ~0.5 systems. Providers are picked with a
//! power law over older systems (a consumer only uses systems with a lower index), so a few core
//! services are consumed by thousands and the graph is acyclic, like a real organisation's.
//! One system in three has a Markdown README of a few sections. Deterministic per seed.

use std::fmt::Write as _;

pub(crate) struct Rng(pub(crate) u64);

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

/// One generated system: everything both output formats need, drawn from the generator's
/// random stream in a fixed order (so a seed gives the same catalog in every format).
struct Sys {
    name: String,
    description: String,
    team: usize,
    tier: u8,
    tag: &'static str,
    /// Per API: its major version and endpoints (`METHOD /path`).
    apis: Vec<(usize, Vec<String>)>,
    /// Consumed APIs: (provider index, api index, version, one endpoint used).
    consumes: Vec<(usize, usize, usize, Option<String>)>,
    depends_on: Option<usize>,
    doc: Option<String>,
}

struct Gen {
    teams: usize,
    domains: usize,
    systems: Vec<Sys>,
}

fn build(n: usize, seed: u64) -> Gen {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let teams = (n / 20).max(1);
    let domains = 20.min(teams);
    let names: Vec<String> = (0..n)
        .map(|i| name_of(i, rng.below(WORDS.len() * NOUNS.len())))
        .collect();
    // Per system: endpoints per api
    let shapes: Vec<Vec<Vec<String>>> = (0..n)
        .map(|_| {
            let apis = 1 + (rng.unit() < 0.3) as usize;
            (0..apis)
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
                .collect()
        })
        .collect();
    let mut systems = Vec::with_capacity(n);
    for (i, name) in names.iter().enumerate() {
        let tier = if i < n / 100 {
            1
        } else if i < n / 5 {
            2
        } else {
            3
        };
        let description = format!(
            "Handles {} {} for the {} workflow; written in {}.",
            WORDS[rng.below(WORDS.len())],
            NOUNS[rng.below(NOUNS.len())],
            WORDS[rng.below(WORDS.len())],
            LANGS[i % LANGS.len()]
        );
        let tag = WORDS[rng.below(WORDS.len())];
        let apis = shapes[i]
            .iter()
            .enumerate()
            .map(|(a, eps)| (1 + (i + a) % 2, eps.clone()))
            .collect();
        let mut consumes = Vec::new();
        let mut depends_on = None;
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
            for &p in &chosen {
                let a = rng.below(shapes[p].len());
                let v = 1 + (p + a) % 2;
                let uses = if rng.unit() < 0.6 {
                    let eps = &shapes[p][a];
                    Some(eps[rng.below(eps.len())].clone())
                } else {
                    None
                };
                consumes.push((p, a, v, uses));
            }
            if rng.unit() < 0.5 {
                let d = ((i as f64) * rng.unit().powf(2.0)) as usize;
                if d < i && !chosen.contains(&d) {
                    depends_on = Some(d);
                }
            }
        }
        let doc = (i % 3 == 0).then(|| doc(name, &mut rng));
        systems.push(Sys {
            name: name.clone(),
            description,
            team: i % teams,
            tier,
            tag,
            apis,
            consumes,
            depends_on,
            doc,
        });
    }
    Gen {
        teams,
        domains,
        systems,
    }
}

/// The on-disk format of a generated catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Cairn's own YAML: `teams.yaml`, `systems/NNNN/<name>.yaml` and READMEs.
    Native,
    /// The same catalog as Backstage `catalog-info.yaml` files (see [`generate_as`]).
    Backstage,
}

/// Writes a native catalog of `n` systems into `out` (replacing it).
pub fn generate(out: &std::path::Path, n: usize, seed: u64) -> std::io::Result<()> {
    generate_as(out, n, seed, Format::Native)
}

/// Writes the catalog of `n` systems for `seed` in `format` into `out` (replacing it). Both
/// formats describe the same organisation, so Cairn and Backstage's tooling can be measured
/// on identical input.
///
/// Backstage twin: `org.yaml` holds a `Group` per team (with its `User`s), a `System` per
/// domain and a `Domain` (`area-<k>`) per four Systems; `components/NNNN/<name>.yaml` holds one
/// `Component` per system with its `API` entities (`<name>-api<k>`, an inline OpenAPI 3.0
/// definition with the same endpoints). `consumes` become `consumesApis`, `depends_on` becomes
/// `dependsOn`, the tier a label, and a README becomes TechDocs (`<name>/docs/index.md` and a
/// longer `operations.md`, `backstage.io/techdocs-ref: dir:./<name>`). What Backstage has no
/// field for (aliases, -ilities, support, on-call, endpoint-level `uses`, API major versions) is
/// left out.
///
/// The twin also has what a Backstage organisation has and the native catalog does not: one
/// system in eleven owns a `Resource` it `dependsOn` (a database `<name>-db`, or every other
/// time a bucket named like its Component, which Cairn then names `resource-<name>`), and the
/// `Domain`s above the Systems. Cairn reads these as extra systems and domains; everything
/// else says what the native catalog says. None of it is drawn from the random stream, so the
/// native catalog of a seed is the same as before they were added.
pub fn generate_as(
    out: &std::path::Path,
    n: usize,
    seed: u64,
    format: Format,
) -> std::io::Result<()> {
    let g = build(n, seed);
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    std::fs::create_dir_all(out)?;
    match format {
        Format::Native => write_native(out, &g),
        Format::Backstage => write_backstage(out, &g),
    }
}

fn write_native(out: &std::path::Path, g: &Gen) -> std::io::Result<()> {
    let (teams, domains) = (g.teams, g.domains);
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

    for (i, s) in g.systems.iter().enumerate() {
        let dir = out.join(format!("systems/{:04}", i / 1000));
        if i % 1000 == 0 {
            std::fs::create_dir_all(&dir)?;
        }
        let name = &s.name;
        let mut y = String::with_capacity(1500);
        writeln!(y, "kind: system\nname: {name}\ntitle: {}", title(name)).ok();
        writeln!(y, "description: {}", s.description).ok();
        writeln!(
            y,
            "owner: team-{}\ndomain: domain-{}\nlifecycle: production\ntier: {}",
            s.team,
            s.team % domains,
            s.tier
        )
        .ok();
        writeln!(
            y,
            "tags: [{}, {}]\naliases: [{name}-svc]",
            LANGS[i % LANGS.len()],
            s.tag
        )
        .ok();
        if s.doc.is_some() {
            writeln!(y, "docs: [{name}.md]").ok();
        }
        y.push_str("provides:\n");
        for (a, (version, eps)) in s.apis.iter().enumerate() {
            writeln!(
                y,
                "  - name: api{a}\n    version: {version}\n    kind: rest\n    endpoints:"
            )
            .ok();
            for e in eps {
                writeln!(y, "      - \"{e}\"").ok();
            }
        }
        if !s.consumes.is_empty() {
            y.push_str("consumes:\n");
        }
        for (p, a, v, uses) in &s.consumes {
            writeln!(y, "  - api: {}/api{a}@{v}", g.systems[*p].name).ok();
            if let Some(u) = uses {
                writeln!(y, "    uses: [\"{u}\"]").ok();
            }
        }
        if let Some(d) = s.depends_on {
            writeln!(y, "depends_on: [{}]", g.systems[d].name).ok();
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
        if let Some(doc) = &s.doc {
            std::fs::write(dir.join(format!("{name}.md")), doc)?;
        }
    }
    Ok(())
}

const BS: &str = "apiVersion: backstage.io/v1alpha1";

fn write_backstage(out: &std::path::Path, g: &Gen) -> std::io::Result<()> {
    let (teams, domains) = (g.teams, g.domains);
    let mut t =
        String::from("# Teams (Group, User) and domains (System) of the generated organisation.\n");
    let areas = domains.div_ceil(4);
    for x in 0..areas {
        writeln!(
            t,
            "---\n{BS}\nkind: Domain\nmetadata:\n  name: area-{x}\n  title: Area {x}\n  description: The domains of the {} area.\nspec:\n  owner: team-{x}",
            WORDS[(x + 7) % WORDS.len()]
        )
        .ok();
    }
    for d in 0..domains {
        writeln!(
            t,
            "---\n{BS}\nkind: System\nmetadata:\n  name: domain-{d}\n  title: Domain {d}\n  description: The {} domain.\nspec:\n  owner: team-{d}\n  domain: area-{}",
            WORDS[d % WORDS.len()],
            d % areas
        )
        .ok();
    }
    for k in 0..teams {
        writeln!(
            t,
            "---\n{BS}\nkind: Group\nmetadata:\n  name: team-{k}\n  title: Team {k}\n  links:\n    - {{ url: \"https://chat.example.org/team-{k}\", title: \"#team-{k}\", type: chat }}\nspec:\n  type: team\n  profile: {{ displayName: Team {k}, email: team-{k}@example.org }}\n  children: []\n  members: [lead{k}, dev{k}a, dev{k}b]"
        )
        .ok();
        for m in [format!("lead{k}"), format!("dev{k}a"), format!("dev{k}b")] {
            writeln!(
                t,
                "---\n{BS}\nkind: User\nmetadata:\n  name: {m}\nspec:\n  profile: {{ email: {m}@example.org }}\n  memberOf: [team-{k}]"
            )
            .ok();
        }
    }
    std::fs::write(out.join("org.yaml"), t)?;

    for (i, s) in g.systems.iter().enumerate() {
        let dir = out.join(format!("components/{:04}", i / 1000));
        if i % 1000 == 0 {
            std::fs::create_dir_all(&dir)?;
        }
        let name = &s.name;
        let mut y = String::with_capacity(3000);
        writeln!(
            y,
            "{BS}\nkind: Component\nmetadata:\n  name: {name}\n  title: {}\n  description: {}",
            title(name),
            s.description
        )
        .ok();
        writeln!(y, "  tags: [{}, {}]", LANGS[i % LANGS.len()], s.tag).ok();
        writeln!(
            y,
            "  labels:\n    tier: \"{}\"\n  annotations:\n    github.com/project-slug: example/{name}",
            s.tier
        )
        .ok();
        if s.doc.is_some() {
            writeln!(y, "    backstage.io/techdocs-ref: dir:./{name}").ok();
        }
        writeln!(
            y,
            "spec:\n  type: service\n  lifecycle: production\n  owner: team-{}\n  system: domain-{}",
            s.team,
            s.team % domains
        )
        .ok();
        y.push_str("  providesApis:\n");
        for a in 0..s.apis.len() {
            writeln!(y, "    - {name}-api{a}").ok();
        }
        if !s.consumes.is_empty() {
            y.push_str("  consumesApis:\n");
        }
        for (p, a, _, _) in &s.consumes {
            writeln!(y, "    - {}-api{a}", g.systems[*p].name).ok();
        }
        let resource = resource_of(i, name);
        if s.depends_on.is_some() || resource.is_some() {
            y.push_str("  dependsOn:\n");
        }
        if let Some(d) = s.depends_on {
            writeln!(y, "    - \"component:{}\"", g.systems[d].name).ok();
        }
        if let Some((r, _, _)) = &resource {
            writeln!(y, "    - \"resource:{r}\"").ok();
        }
        for (a, (version, eps)) in s.apis.iter().enumerate() {
            writeln!(
                y,
                "---\n{BS}\nkind: API\nmetadata:\n  name: {name}-api{a}\n  title: {} API {a}\n  description: The REST API {a} of {name}.\nspec:\n  type: openapi\n  lifecycle: production\n  owner: team-{}\n  system: domain-{}\n  definition: |\n    openapi: 3.0.3\n    info:\n      title: {} API {a}\n      version: \"{version}.0.0\"\n    paths:",
                title(name),
                s.team,
                s.team % domains,
                title(name)
            )
            .ok();
            for e in eps {
                let (method, path) = e.split_once(' ').expect("METHOD /path");
                let op = format!(
                    "{}{}",
                    method.to_ascii_lowercase(),
                    path.split('/').map(capitalise).collect::<String>()
                );
                writeln!(
                    y,
                    "      {path}:\n        {}:\n          operationId: {op}\n          summary: {} {}\n          responses:\n            \"200\": {{ description: OK }}",
                    method.to_ascii_lowercase(),
                    method,
                    path.trim_start_matches('/').replace('/', " ")
                )
                .ok();
            }
        }
        if let Some((r, kind, what)) = &resource {
            writeln!(
                y,
                "---\n{BS}\nkind: Resource\nmetadata:\n  name: {r}\n  description: The {what} of {name}.\nspec:\n  type: {kind}\n  owner: team-{}\n  system: domain-{}",
                s.team,
                s.team % domains
            )
            .ok();
        }
        std::fs::write(dir.join(format!("{name}.yaml")), y)?;
        if let Some(doc) = &s.doc {
            let docs = dir.join(name).join("docs");
            std::fs::create_dir_all(&docs)?;
            std::fs::write(docs.join("index.md"), doc)?;
            std::fs::write(docs.join("operations.md"), operations(name, i))?;
        }
    }
    Ok(())
}

/// The Backstage twin's Resource for system `i`, if it has one: (name, `spec.type`, what it is).
/// One system in eleven; every other one of those a bucket with the Component's own name.
fn resource_of(i: usize, name: &str) -> Option<(String, &'static str, String)> {
    match i % 22 {
        5 => Some((
            format!("{name}-db"),
            "database",
            format!("{} database", DBS[i % (DBS.len() - 1)]),
        )),
        16 => Some((name.to_string(), "storage", "object storage bucket".into())),
        _ => None,
    }
}

/// A TechDocs operations page (~9 KB: runbook-like sections of several paragraphs), drawn
/// from its own random stream so the native catalog's stream is untouched.
pub(crate) fn operations(name: &str, i: usize) -> String {
    let mut rng = Rng((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03 | 1);
    let mut s = format!("# Operating {}\n\n", title(name));
    for section in [
        "Alerts",
        "Dashboards",
        "Scaling",
        "Backups and restore",
        "Deploying",
        "Rolling back",
        "Known issues",
    ] {
        writeln!(s, "## {section}\n").ok();
        for _ in 0..4 {
            let words: Vec<&str> = (0..40).map(|_| WORDS[rng.below(WORDS.len())]).collect();
            writeln!(s, "When {name} {}.\n", words.join(" ")).ok();
        }
    }
    s
}

fn capitalise(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
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

pub(crate) fn doc(name: &str, rng: &mut Rng) -> String {
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
