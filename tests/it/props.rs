//! Property tests: random input never panics the loader or the search; impact equals a naive
//! reference implementation written plainly here; a catalog diffed with itself has no changes;
//! Backstage import then native export round-trips what it maps.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use cairn::date::Date;
use cairn::graph::Graph;
use cairn::impact::{impact, ImpactOptions, Target};
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// YAML-ish text: catalog keys, YAML punctuation, names and noise, in random order.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("kind: system\n".to_string()),
        Just("kind: team\n".to_string()),
        Just("---\n".to_string()),
        Just("name: a\n".to_string()),
        Just("owner: t\n".to_string()),
        Just("provides:\n  - name: api\n    version: 2\n".to_string()),
        Just("consumes:\n  - api: a/api@2\n    uses: [\"GET /x\"]\n".to_string()),
        Just("depends_on: [a, b]\n".to_string()),
        Just("docs: [../x.md]\n".to_string()),
        Just("  - ".to_string()),
        Just("[".to_string()),
        Just("{".to_string()),
        Just("&a ".to_string()),
        Just("*a ".to_string()),
        Just(": ".to_string()),
        Just("\t".to_string()),
        "[a-z0-9 _:@/.-]{0,12}".prop_map(|s| s),
        any::<String>(),
    ];
    proptest::collection::vec(token, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn the_loader_never_panics(files in proptest::collection::vec(yamlish(), 1..4)) {
        let dir = tempfile::tempdir().unwrap();
        for (i, text) in files.iter().enumerate() {
            std::fs::write(dir.path().join(format!("f{i}.yaml")), text).unwrap();
        }
        let c = cairn::load(dir.path(), &Default::default()).unwrap();
        for d in &c.diagnostics {
            prop_assert!(d.line >= 1 && d.column >= 1, "unlocated: {d:?}");
        }
        // Everything downstream of a loaded catalog copes with whatever survived.
        let g = Graph::build(&c);
        for i in 0..c.systems.len() {
            let t = Target { system: i, api: None, version: None, endpoint: None };
            impact(&c, &g, &t, &ImpactOptions::default(), Date::today());
        }
    }

    #[test]
    fn search_never_panics(q in any::<String>()) {
        let idx = search_index();
        let r = idx.search(&q, &Default::default());
        prop_assert!(r.results.len() <= 20);
    }
}

fn search_index() -> &'static cairn::search::SearchIndex {
    static IDX: std::sync::OnceLock<cairn::search::SearchIndex> = std::sync::OnceLock::new();
    IDX.get_or_init(|| {
        cairn::search::SearchIndex::build(&crate::support::load(&crate::support::example_catalog()))
            .unwrap()
    })
}

/// A random dependency structure: for each system, which systems' API it consumes and which it
/// depends on (indices may form cycles).
#[derive(Debug, Clone)]
struct Shape {
    consumes: Vec<Vec<usize>>,
    depends: Vec<Vec<usize>>,
}

fn shape() -> impl Strategy<Value = Shape> {
    (2usize..14).prop_flat_map(|n| {
        let edges = proptest::collection::vec(proptest::collection::vec(0..n, 0..4), n);
        (edges.clone(), edges).prop_map(|(consumes, depends)| Shape { consumes, depends })
    })
}

fn write_shape(s: &Shape) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut y = String::from("kind: team\nname: t\n");
    for i in 0..s.consumes.len() {
        y.push_str(&format!(
            "---\nkind: system\nname: s{i}\nowner: t\nprovides: [{{ name: api }}]\n"
        ));
        let cons: BTreeSet<usize> = s.consumes[i].iter().copied().filter(|&p| p != i).collect();
        if !cons.is_empty() {
            y.push_str("consumes:\n");
            for p in cons {
                y.push_str(&format!("  - api: s{p}/api@1\n"));
            }
        }
        let deps: BTreeSet<usize> = s.depends[i].iter().copied().filter(|&p| p != i).collect();
        if !deps.is_empty() {
            let names: Vec<String> = deps.iter().map(|p| format!("s{p}")).collect();
            y.push_str(&format!("depends_on: [{}]\n", names.join(", ")));
        }
    }
    std::fs::write(dir.path().join("catalog.yaml"), y).unwrap();
    dir
}

/// The reference: plain BFS over "who depends on whom", shortest depth per system.
fn naive_impact(s: &Shape, target: usize) -> BTreeMap<String, u32> {
    let n = s.consumes.len();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for &p in s.consumes[i].iter().chain(&s.depends[i]) {
            if p != i {
                dependents[p].push(i);
            }
        }
    }
    let mut depth: Vec<Option<u32>> = vec![None; n];
    let mut queue = VecDeque::new();
    for &d in &dependents[target] {
        if d != target && depth[d].is_none() {
            depth[d] = Some(1);
            queue.push_back(d);
        }
    }
    while let Some(x) = queue.pop_front() {
        for &d in &dependents[x] {
            if d != target && depth[d].is_none() {
                depth[d] = Some(depth[x].unwrap() + 1);
                queue.push_back(d);
            }
        }
    }
    (0..n)
        .filter_map(|i| depth[i].map(|d| (format!("s{i}"), d)))
        .collect()
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn impact_matches_a_naive_bfs(s in shape(), pick in any::<prop::sample::Index>()) {
        let dir = write_shape(&s);
        let c = cairn::load(dir.path(), &Default::default()).unwrap();
        prop_assert_eq!(c.errors(), 0, "{:?}", c.diagnostics);
        let g = Graph::build(&c);
        let target = pick.index(s.consumes.len());
        let idx = c.system_id(&format!("s{target}")).unwrap();
        let t = Target { system: idx, api: None, version: None, endpoint: None };
        let r = impact(&c, &g, &t, &ImpactOptions::default(), Date::today());
        let got: BTreeMap<String, u32> = r.affected.iter().map(|a| (a.system.clone(), a.depth)).collect();
        prop_assert_eq!(&got, &naive_impact(&s, target));
        let target_name = format!("s{target}");
        for a in &r.affected {
            // Each "why" path starts at the target, ends at the system, and has depth + 1 hops.
            prop_assert_eq!(a.path.first(), Some(&target_name));
            prop_assert_eq!(a.path.last(), Some(&a.system));
            prop_assert_eq!(a.path.len() as u32, a.depth + 1);
        }
    }
}

/// A random native catalog with more than dependency edges: versioned APIs with endpoints, some
/// deprecated, consumers naming the endpoints they use, tiers and lifecycles.
#[derive(Debug, Clone)]
struct RichShape {
    edges: Shape,
    /// Per system: (version, endpoints as indexes into ENDPOINTS, deprecated) of its one API.
    apis: Vec<(u8, Vec<usize>, bool)>,
    tiers: Vec<u8>,
}

const ENDPOINTS: [&str; 5] = [
    "GET /a",
    "POST /a",
    "GET /b/{id}",
    "DELETE /b/{id}",
    "GET /c",
];

fn rich_shape() -> impl Strategy<Value = RichShape> {
    shape().prop_flat_map(|edges| {
        let n = edges.consumes.len();
        let api = (
            1u8..4,
            proptest::collection::vec(0..ENDPOINTS.len(), 0..4),
            any::<bool>(),
        );
        (
            Just(edges),
            proptest::collection::vec(api, n),
            proptest::collection::vec(1u8..4, n),
        )
            .prop_map(|(edges, apis, tiers)| RichShape { edges, apis, tiers })
    })
}

fn write_rich(s: &RichShape) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let n = s.edges.consumes.len();
    let mut y = String::from("kind: team\nname: t\ncontacts: { email: t@example.org }\n");
    for i in 0..n {
        let (version, eps, deprecated) = &s.apis[i];
        let eps: BTreeSet<&str> = eps.iter().map(|&e| ENDPOINTS[e]).collect();
        let eps: Vec<String> = eps.iter().map(|e| format!("\"{e}\"")).collect();
        y.push_str(&format!(
            "---\nkind: system\nname: s{i}\nowner: t\ntier: {}\nprovides:\n  - name: api\n    version: {version}\n    endpoints: [{}]\n",
            s.tiers[i],
            eps.join(", ")
        ));
        if *deprecated {
            y.push_str("    lifecycle: deprecated\n    sunset: 2030-01-01\n");
        }
        let cons: BTreeSet<usize> = s.edges.consumes[i]
            .iter()
            .copied()
            .filter(|&p| p != i)
            .collect();
        if !cons.is_empty() {
            y.push_str("consumes:\n");
            for p in cons {
                let (v, peps, _) = &s.apis[p];
                y.push_str(&format!("  - api: s{p}/api@{v}\n"));
                if let Some(&e) = peps.first() {
                    y.push_str(&format!("    uses: [\"{}\"]\n", ENDPOINTS[e]));
                }
            }
        }
        let deps: BTreeSet<usize> = s.edges.depends[i]
            .iter()
            .copied()
            .filter(|&p| p != i)
            .collect();
        if !deps.is_empty() {
            let names: Vec<String> = deps.iter().map(|p| format!("s{p}")).collect();
            y.push_str(&format!("depends_on: [{}]\n", names.join(", ")));
        }
    }
    std::fs::write(dir.path().join("catalog.yaml"), y).unwrap();
    dir
}

/// A random Backstage catalog: Groups, Components owned by them that provide APIs (OpenAPI
/// documents with random operations), consume other components' APIs and depend on others.
#[derive(Debug, Clone)]
struct BackstageShape {
    edges: Shape,
    groups: Vec<usize>,
    /// Per component: the operations of each of its APIs (0–2 APIs).
    apis: Vec<Vec<Vec<usize>>>,
}

fn backstage_shape() -> impl Strategy<Value = BackstageShape> {
    shape().prop_flat_map(|edges| {
        let n = edges.consumes.len();
        let ops = proptest::collection::vec(0..ENDPOINTS.len(), 1..4);
        (
            Just(edges),
            proptest::collection::vec(0usize..3, n),
            proptest::collection::vec(proptest::collection::vec(ops, 0..3), n),
        )
            .prop_map(|(edges, groups, apis)| BackstageShape {
                edges,
                groups,
                apis,
            })
    })
}

fn write_backstage(s: &BackstageShape) -> tempfile::TempDir {
    const BS: &str = "apiVersion: backstage.io/v1alpha1";
    let dir = tempfile::tempdir().unwrap();
    let n = s.edges.consumes.len();
    let mut y = String::new();
    for g in 0..3 {
        y.push_str(&format!(
            "---\n{BS}\nkind: Group\nmetadata:\n  name: g{g}\nspec:\n  type: team\n  profile: {{ email: g{g}@example.org }}\n  children: []\n"
        ));
    }
    for i in 0..n {
        let provides: Vec<String> = (0..s.apis[i].len())
            .map(|a| format!("c{i}-api{a}"))
            .collect();
        let consumes: BTreeSet<String> = s.edges.consumes[i]
            .iter()
            .filter(|&&p| p != i && !s.apis[p].is_empty())
            .map(|&p| format!("c{p}-api0"))
            .collect();
        let depends: BTreeSet<String> = s.edges.depends[i]
            .iter()
            .filter(|&&p| p != i)
            .map(|&p| format!("component:c{p}"))
            .collect();
        let list = |v: Vec<String>| format!("[{}]", v.join(", "));
        y.push_str(&format!(
            "---\n{BS}\nkind: Component\nmetadata:\n  name: c{i}\n  description: Component {i}.\nspec:\n  type: service\n  lifecycle: production\n  owner: group:g{}\n  providesApis: {}\n  consumesApis: {}\n  dependsOn: {}\n",
            s.groups[i],
            list(provides.clone()),
            list(consumes.into_iter().collect()),
            list(depends.into_iter().collect()),
        ));
        for (a, ops) in s.apis[i].iter().enumerate() {
            let mut paths: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
            for &o in ops {
                let (method, path) = ENDPOINTS[o].split_once(' ').unwrap();
                paths.entry(path).or_default().insert(method.to_lowercase());
            }
            let mut def = String::from(
                "    openapi: 3.0.3\n    info: { title: x, version: \"1.0.0\" }\n    paths:\n",
            );
            for (path, methods) in paths {
                def.push_str(&format!("      \"{path}\":\n"));
                for m in methods {
                    def.push_str(&format!(
                        "        {m}: {{ responses: {{ \"200\": {{ description: ok }} }} }}\n"
                    ));
                }
            }
            y.push_str(&format!(
                "---\n{BS}\nkind: API\nmetadata:\n  name: c{i}-api{a}\nspec:\n  type: openapi\n  lifecycle: production\n  owner: group:g{}\n  definition: |\n{def}",
                s.groups[i]
            ));
        }
    }
    std::fs::write(dir.path().join("catalog-info.yaml"), y).unwrap();
    dir
}

fn diff_changes(a: &cairn::Catalog, b: &cairn::Catalog) -> Vec<String> {
    let opts = cairn::diff::DiffOptions {
        at: Date::parse("2026-12-01"),
        ..Default::default()
    };
    cairn::diff::diff(a, b, &opts)
        .changes
        .iter()
        .map(|c| format!("{} {}", c.code, c.subject))
        .collect()
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn a_catalog_diffed_with_itself_has_no_changes(s in rich_shape()) {
        let dir = write_rich(&s);
        let a = cairn::load(dir.path(), &Default::default()).unwrap();
        prop_assert_eq!(a.errors(), 0, "{:?}", a.diagnostics);
        let again = cairn::load(dir.path(), &Default::default()).unwrap();
        prop_assert_eq!(diff_changes(&a, &again), Vec::<String>::new());
        prop_assert_eq!(diff_changes(&a, &a), Vec::<String>::new());
    }

    #[test]
    fn backstage_import_then_native_export_round_trips(s in backstage_shape()) {
        let dir = write_backstage(&s);
        let imported = cairn::load(dir.path(), &Default::default()).unwrap();
        prop_assert_eq!(imported.errors(), 0, "{:?}", imported.diagnostics);
        prop_assert_eq!(imported.systems.len(), s.edges.consumes.len());
        let apis: usize = imported.systems.iter().map(|x| x.provides.len()).sum();
        prop_assert_eq!(apis, s.apis.iter().map(Vec::len).sum::<usize>(), "every API is mapped");
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("native");
        let (code, _, stderr) = crate::support::cli(&[
            "import",
            "backstage",
            dir.path().to_str().unwrap(),
            "--out",
            dest.to_str().unwrap(),
        ]);
        prop_assert_eq!(code, 0, "{}", stderr);
        let native = cairn::load(&dest, &Default::default()).unwrap();
        prop_assert_eq!(native.errors(), 0, "{:?}", native.diagnostics);
        prop_assert_eq!(crate::backstage::essentials(&native), crate::backstage::essentials(&imported));
        prop_assert_eq!(diff_changes(&imported, &native), Vec::<String>::new());
    }
}
