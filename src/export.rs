//! The system-level dependency picture as DOT, Mermaid or JSON, optionally narrowed to a
//! neighbourhood (`--focus NAME --depth N`), a team or a domain. Pure string building.

use std::collections::{BTreeSet, VecDeque};

use serde::Serialize;

use crate::graph::{Graph, Via};
use crate::model::Catalog;

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub focus: Option<usize>,
    pub depth: u32,
    pub team: Option<String>,
    pub domain: Option<String>,
    pub max_tier: Option<u8>,
}

#[derive(Serialize, Debug)]
pub struct GraphJson {
    pub nodes: Vec<NodeJson>,
    pub edges: Vec<EdgeJson>,
}

#[derive(Serialize, Debug)]
pub struct NodeJson {
    pub id: String,
    pub title: String,
    pub owner: Option<String>,
    pub domain: Option<String>,
    pub tier: Option<u8>,
    pub lifecycle: &'static str,
}

#[derive(Serialize, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EdgeJson {
    /// The dependent (consumer).
    pub from: String,
    /// The dependency (provider).
    pub to: String,
    /// `consumes` (an API), or `depends_on` (no API).
    pub kind: &'static str,
    pub api: Option<String>,
    /// Who declares the dependency: `declared` by the consumer (`consumes`, `depends_on`),
    /// `listed` by the provider (`consumers`), or `both` (as in a system's consumer list). One
    /// edge per dependency either way.
    pub declared_by: &'static str,
    /// Where it is declared: the consumer's declaration when there is one, else the provider's.
    pub file: String,
    pub line: u32,
}

/// The systems selected by `f`, in catalog order.
pub fn select(c: &Catalog, g: &Graph, f: &Filter) -> Vec<usize> {
    let mut keep: Vec<bool> = (0..c.systems.len())
        .map(|i| {
            let s = &c.systems[i];
            f.team.as_deref().is_none_or(|t| s.owner_name() == Some(t))
                && f.domain
                    .as_deref()
                    .is_none_or(|d| s.domain.as_ref().is_some_and(|x| x.value == d))
                && f.max_tier.is_none_or(|t| s.tier.is_some_and(|x| x <= t))
        })
        .collect();
    if let Some(start) = f.focus {
        let mut near = vec![false; c.systems.len()];
        near[start] = true;
        let mut q = VecDeque::from([(start, 0u32)]);
        while let Some((s, d)) = q.pop_front() {
            if d >= f.depth {
                continue;
            }
            for l in g.dependents(s).iter().chain(g.dependencies(s)) {
                let n = l.system as usize;
                if !near[n] {
                    near[n] = true;
                    q.push_back((n, d + 1));
                }
            }
        }
        for (k, n) in keep.iter_mut().zip(near) {
            *k = *k && n;
        }
        keep[start] = true;
    }
    (0..c.systems.len()).filter(|&i| keep[i]).collect()
}

pub fn to_json(c: &Catalog, g: &Graph, selected: &[usize]) -> GraphJson {
    let set: BTreeSet<usize> = selected.iter().copied().collect();
    let nodes = selected.iter().map(|&i| node_json(c, i)).collect();
    let edges = edges(c, g, &set);
    GraphJson { nodes, edges }
}

/// The node of system `i`.
pub fn node_json(c: &Catalog, i: usize) -> NodeJson {
    let s = &c.systems[i];
    NodeJson {
        id: s.name.value.clone(),
        title: s.display_title().to_string(),
        owner: s.owner_name().map(str::to_string),
        domain: s.domain.as_ref().map(|d| d.value.clone()),
        tier: s.tier,
        lifecycle: s.lifecycle.as_str(),
    }
}

/// A dependency: consumer, provider, and the provider's API (none for `depends_on`).
type DepKey = (usize, usize, Option<u32>);
/// Declared by the consumer, listed by the provider, and where (the consumer's declaration first).
type Declared = (bool, bool, crate::model::Loc);

/// One dependency between two systems, not yet named: [`edge_json`] turns it into the
/// [`EdgeJson`] every picture, export and count uses.
#[derive(Clone, Copy, Debug)]
pub struct Dependency {
    key: DepKey,
    declared: Declared,
}

impl Dependency {
    /// The consumer and the provider (positions in `systems`).
    pub fn between(&self) -> (usize, usize) {
        (self.key.0, self.key.1)
    }

    fn declared_by(&self) -> &'static str {
        match (self.declared.0, self.declared.1) {
            (true, true) => "both",
            (false, true) => "listed",
            _ => "declared",
        }
    }
}

/// One edge per dependency between the systems of `set`: a consumer's `consumes` and its
/// provider's `consumers` entry for the same API are one dependency, declared by `both`.
/// Sorted; every picture, export and count uses these.
pub fn edges(c: &Catalog, g: &Graph, set: &BTreeSet<usize>) -> Vec<EdgeJson> {
    let selected: Vec<usize> = set.iter().copied().collect();
    dependencies(c, g, &selected)
        .iter()
        .map(|d| edge_json(c, d))
        .collect()
}

/// The dependencies of [`edges`] between the `selected` systems, in the order of their
/// [`EdgeJson`]s, without building the edges: a page of the graph names only its own (at
/// 100,000 systems the 300,000 named edges took ~100 MB for every request).
pub fn dependencies(c: &Catalog, g: &Graph, selected: &[usize]) -> Vec<Dependency> {
    let mut keep = vec![false; c.systems.len()];
    for &i in selected {
        keep[i] = true;
    }
    // (from, to, API index or none for depends_on) -> (declared by consumer, by provider, where).
    let mut deps: std::collections::BTreeMap<DepKey, Declared> = std::collections::BTreeMap::new();
    for &i in selected {
        for l in g.dependencies(i) {
            let to = l.system as usize;
            if !keep[to] {
                continue;
            }
            let (api, by_consumer) = match l.via {
                Via::Consumes { api } => (Some(api), true),
                Via::Listed { api } => (Some(api), false),
                Via::DependsOn => (None, true),
            };
            let e = deps.entry((i, to, api)).or_insert((false, false, l.loc));
            if by_consumer {
                if !e.0 {
                    e.2 = l.loc;
                }
                e.0 = true;
            } else {
                e.1 = true;
            }
        }
    }
    // Names ranked once (equal names, equal ranks), so sorting compares numbers; the strings
    // of an edge are compared only when its two names tie with another's.
    let mut by_name: Vec<usize> = selected.to_vec();
    by_name.sort_by(|&a, &b| c.systems[a].name.value.cmp(&c.systems[b].name.value));
    let mut rank = vec![0u32; c.systems.len()];
    let mut r = 0u32;
    for (k, &i) in by_name.iter().enumerate() {
        if k > 0 && c.systems[by_name[k - 1]].name.value != c.systems[i].name.value {
            r += 1;
        }
        rank[i] = r;
    }
    let mut deps: Vec<Dependency> = deps
        .into_iter()
        .map(|(key, declared)| Dependency { key, declared })
        .collect();
    let api_ref = |d: &Dependency| {
        d.key.2.map(|a| {
            let p = &c.systems[d.key.1];
            p.provides[a as usize].reference(&p.name.value)
        })
    };
    deps.sort_by(|a, b| {
        let (af, at, aa) = a.key;
        let (bf, bt, ba) = b.key;
        // The fields of `EdgeJson`, in its order: from, to, kind, api, declared_by, file, line.
        (rank[af], rank[at], aa.is_none())
            .cmp(&(rank[bf], rank[bt], ba.is_none()))
            .then_with(|| api_ref(a).cmp(&api_ref(b)))
            .then_with(|| a.declared_by().cmp(b.declared_by()))
            .then_with(|| {
                c.file_path(a.declared.2.file)
                    .cmp(c.file_path(b.declared.2.file))
            })
            .then_with(|| a.declared.2.line.cmp(&b.declared.2.line))
    });
    deps
}

/// The edge of one dependency.
pub fn edge_json(c: &Catalog, d: &Dependency) -> EdgeJson {
    let (from, to, api) = d.key;
    let loc = d.declared.2;
    let p = &c.systems[to];
    EdgeJson {
        from: c.systems[from].name.value.clone(),
        to: p.name.value.clone(),
        kind: if api.is_some() {
            "consumes"
        } else {
            "depends_on"
        },
        api: api.map(|a| p.provides[a as usize].reference(&p.name.value)),
        declared_by: d.declared_by(),
        file: c.file_path(loc.file).to_string(),
        line: loc.line,
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', " ")
}

/// Graphviz DOT, clustered by domain, dependents pointing at their dependencies.
pub fn to_dot(c: &Catalog, g: &Graph, selected: &[usize]) -> String {
    let j = to_json(c, g, selected);
    let mut out = String::from("digraph cairn {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n");
    let mut domains: BTreeSet<Option<String>> = BTreeSet::new();
    for n in &j.nodes {
        domains.insert(n.domain.clone());
    }
    for (k, d) in domains.iter().enumerate() {
        let indent = if d.is_some() { "    " } else { "  " };
        if let Some(d) = d {
            out.push_str(&format!(
                "  subgraph cluster_{k} {{\n    label=\"{}\";\n",
                dot_escape(d)
            ));
        }
        for n in j.nodes.iter().filter(|n| &n.domain == d) {
            let width = match n.tier {
                Some(1) => ", penwidth=2.5",
                _ => "",
            };
            let tier = n.tier.map(|t| format!("\\ntier {t}")).unwrap_or_default();
            out.push_str(&format!(
                "{indent}\"{}\" [label=\"{}{tier}\"{width}];\n",
                dot_escape(&n.id),
                dot_escape(&n.id)
            ));
        }
        if d.is_some() {
            out.push_str("  }\n");
        }
    }
    for e in &j.edges {
        let style = match e.kind {
            "depends_on" => " [style=dashed]".to_string(),
            _ => format!(
                " [label=\"{}\"]",
                dot_escape(e.api.as_deref().unwrap_or(""))
            ),
        };
        out.push_str(&format!(
            "  \"{}\" -> \"{}\"{style};\n",
            dot_escape(&e.from),
            dot_escape(&e.to)
        ));
    }
    out.push_str("}\n");
    out
}

fn mermaid_id(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

fn mermaid_label(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '"' | '[' | ']' | '|' | '<' | '>' | '{' | '}'))
        .collect()
}

/// A Mermaid flowchart, with domains as subgraphs.
pub fn to_mermaid(c: &Catalog, g: &Graph, selected: &[usize]) -> String {
    let j = to_json(c, g, selected);
    let mut out = String::from("flowchart LR\n");
    let mut domains: BTreeSet<Option<String>> = BTreeSet::new();
    for n in &j.nodes {
        domains.insert(n.domain.clone());
    }
    for d in &domains {
        if let Some(d) = d {
            out.push_str(&format!(
                "  subgraph {}[\"{}\"]\n",
                mermaid_id(&format!("domain_{d}")),
                mermaid_label(d)
            ));
        }
        for n in j.nodes.iter().filter(|n| &n.domain == d) {
            out.push_str(&format!(
                "    {}[\"{}\"]\n",
                mermaid_id(&n.id),
                mermaid_label(&n.id)
            ));
        }
        if d.is_some() {
            out.push_str("  end\n");
        }
    }
    for e in &j.edges {
        match (e.kind, &e.api) {
            ("depends_on", _) | (_, None) => out.push_str(&format!(
                "  {} -.-> {}\n",
                mermaid_id(&e.from),
                mermaid_id(&e.to)
            )),
            (_, Some(api)) => out.push_str(&format!(
                "  {} -->|\"{}\"| {}\n",
                mermaid_id(&e.from),
                mermaid_label(api),
                mermaid_id(&e.to)
            )),
        }
    }
    out
}
