//! Property tests: random input never panics the loader or the search; impact equals a naive
//! reference implementation written plainly here.

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
