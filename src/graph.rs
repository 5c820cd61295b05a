//! The dependency graph of a catalog snapshot: who depends on whom, and who consumes each API.
//!
//! Two views, both derived from what each system declares (its `consumes`, its `depends_on`
//! and the consumers its APIs list), each edge remembering the file and line that declared it:
//!
//! - a system-level adjacency (`dependents`, `dependencies`) that serves the hot queries —
//!   impact and deps are breadth-first walks over plain slices;
//! - per provided API, the edges into it (declared consumptions with their `uses`, listed
//!   consumers, external consumers), in declaration order.
//!
//! Every edge has exactly one *declarer*, the system whose file declares it, and the graph is
//! the union of what each system declares ([`declared`]). That is what makes
//! [`Graph::update`] possible: after an edit, the edges of the systems whose declarations (or
//! whose providers' API lists) changed are taken out and put back, and every list nobody
//! touched is shared with the previous snapshot's graph (`Arc`), so a reload at 100,000
//! systems does not rebuild a graph of 300,000 edges for one changed `depends_on`. The
//! system-level cycle search (Tarjan's SCC, petgraph) is [`system_cycles`].
//!
//! Architecture invariant: the graph never reads files and never changes once built; an
//! update makes a new graph.

use std::collections::HashMap;
use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use rustc_hash::FxHashSet;

use crate::model::*;

/// The source of an edge into an API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    System(usize),
    /// `provides[api].consumers[consumer]` of `system`, a consumer outside the catalog.
    External {
        system: usize,
        api: usize,
        consumer: usize,
    },
}

#[derive(Clone, Debug)]
pub enum EdgeKind {
    /// consumer system → API. `uses`: the endpoints declared, `None` = all / unknown.
    Consumes {
        uses: Option<Arc<[EndpointKey]>>,
        consumption: usize,
    },
    /// consumer (system or external) → API, as listed by the provider.
    ListedConsumer,
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub kind: EdgeKind,
    /// Where the edge was declared.
    pub loc: Loc,
}

/// Why one system depends on another, for "why" paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// `consumes` of the provider's API number `api` (index into `provides`).
    Consumes {
        api: u32,
    },
    DependsOn,
    /// Listed by the provider as a consumer of API number `api`.
    Listed {
        api: u32,
    },
}

/// One system-level edge: `system` depends on (or is depended on by) the other end.
#[derive(Clone, Copy, Debug)]
pub struct Link {
    pub system: u32,
    pub via: Via,
    pub loc: Loc,
}

/// The edges into each API of one system (index: `provides`).
type ApiEdges = Arc<[Vec<(Node, Edge)>]>;

#[derive(Debug)]
pub struct Graph {
    /// `dependents[p]`: systems that depend on system `p`, by any edge; one link per system
    /// and reason, ordered by system.
    dependents: Vec<Arc<[Link]>>,
    /// `dependencies[c]`: systems that system `c` depends on, likewise.
    dependencies: Vec<Arc<[Link]>>,
    /// Per system, per provided API, the edges into it, in declaration order (by declaring
    /// system, then as each declares them).
    consumers: Vec<ApiEdges>,
}

/// One edge as a system declares it.
enum Fact {
    /// `from` depends on `to` (never the same system).
    Link {
        from: usize,
        to: usize,
        via: Via,
        loc: Loc,
    },
    /// An edge into API `api` of `system`.
    Api {
        system: usize,
        api: usize,
        node: Node,
        edge: Edge,
    },
}

/// Every edge system `si` of `c` declares, in the order it declares them: its consumptions
/// (each against the provider's matching APIs), its `depends_on`, then the consumers its own
/// APIs list. Reads `si` and, for each consumption, the names and versions of the provider's
/// APIs.
fn declared(c: &Catalog, si: usize, out: &mut impl FnMut(Fact)) {
    let s = &c.systems[si];
    for (ci, cons) in s.consumes.iter().enumerate() {
        let Some(&pi) = c.system_index.get(&cons.api.system) else {
            continue;
        };
        let uses: Option<Arc<[EndpointKey]>> = cons.uses.as_ref().map(|u| {
            u.iter()
                .filter_map(|e| EndpointKey::parse(&e.value))
                .collect()
        });
        for (ai, a) in c.systems[pi].provides.iter().enumerate() {
            if cons.api.api.as_deref().is_some_and(|x| x != a.name.value)
                || cons.api.version.is_some_and(|v| v != a.version)
            {
                continue;
            }
            out(Fact::Api {
                system: pi,
                api: ai,
                node: Node::System(si),
                edge: Edge {
                    kind: EdgeKind::Consumes {
                        uses: uses.clone(),
                        consumption: ci,
                    },
                    loc: cons.api.loc,
                },
            });
            if si != pi {
                out(Fact::Link {
                    from: si,
                    to: pi,
                    via: Via::Consumes { api: ai as u32 },
                    loc: cons.api.loc,
                });
            }
        }
    }
    for d in &s.depends_on {
        if let Some(&pi) = c.system_index.get(&d.value) {
            if pi != si {
                out(Fact::Link {
                    from: si,
                    to: pi,
                    via: Via::DependsOn,
                    loc: d.loc,
                });
            }
        }
    }
    for (ai, a) in s.provides.iter().enumerate() {
        for (ki, lc) in a.consumers.iter().enumerate() {
            match lc {
                ListedConsumer::System(name) => {
                    if let Some(&ci) = c.system_index.get(&name.value) {
                        out(Fact::Api {
                            system: si,
                            api: ai,
                            node: Node::System(ci),
                            edge: Edge {
                                kind: EdgeKind::ListedConsumer,
                                loc: name.loc,
                            },
                        });
                        if ci != si {
                            out(Fact::Link {
                                from: ci,
                                to: si,
                                via: Via::Listed { api: ai as u32 },
                                loc: name.loc,
                            });
                        }
                    }
                }
                ListedConsumer::External(e) => out(Fact::Api {
                    system: si,
                    api: ai,
                    node: Node::External {
                        system: si,
                        api: ai,
                        consumer: ki,
                    },
                    edge: Edge {
                        kind: EdgeKind::ListedConsumer,
                        loc: e.loc,
                    },
                }),
            }
        }
    }
}

/// Whether `a` and `b` declare the same edges wherever they stand: all that [`declared`]
/// reads of a system, locations included.
fn same_declarations(a: &System, b: &System) -> bool {
    a.consumes.len() == b.consumes.len()
        && a.consumes
            .iter()
            .zip(&b.consumes)
            .all(|(x, y)| x.api == y.api && x.uses == y.uses)
        && a.depends_on == b.depends_on
        && a.provides.len() == b.provides.len()
        && a.provides.iter().zip(&b.provides).all(|(x, y)| {
            x.name.value == y.name.value
                && x.version == y.version
                && x.consumers.len() == y.consumers.len()
                && x.consumers.iter().zip(&y.consumers).all(|pair| match pair {
                    (ListedConsumer::System(m), ListedConsumer::System(n)) => m == n,
                    (ListedConsumer::External(e), ListedConsumer::External(f)) => e.loc == f.loc,
                    _ => false,
                })
        })
}

/// Whether `a` and `b` offer the same APIs to consumers: the names and versions a consumption
/// is matched against.
fn same_apis(a: &System, b: &System) -> bool {
    a.provides.len() == b.provides.len()
        && a.provides
            .iter()
            .zip(&b.provides)
            .all(|(x, y)| x.name.value == y.name.value && x.version == y.version)
}

/// Who declared `link` in `dependents[to]`: the depending system, except for a listed
/// consumer, which the provider (`to`) declares.
fn declarer_of_dependent(to: usize, link: &Link) -> usize {
    match link.via {
        Via::Listed { .. } => to,
        _ => link.system as usize,
    }
}

/// Who declared `link` in `dependencies[from]`.
fn declarer_of_dependency(from: usize, link: &Link) -> usize {
    match link.via {
        Via::Listed { .. } => link.system as usize,
        _ => from,
    }
}

/// Who declared an edge into an API of `system`: the consumer of a consumption, the provider
/// of a listed consumer.
fn declarer_of_api_edge(system: usize, (node, edge): &(Node, Edge)) -> usize {
    match (node, &edge.kind) {
        (Node::System(ci), EdgeKind::Consumes { .. }) => *ci,
        _ => system,
    }
}

/// One link per system and reason, ordered by system then reason; of two links with the same
/// system and reason, the one declared first stays.
fn normalise(list: &mut Vec<Link>) {
    list.sort_by_key(|l| (l.system, via_rank(l.via)));
    list.dedup_by_key(|l| (l.system, l.via));
}

impl Graph {
    pub fn build(c: &Catalog) -> Graph {
        let n = c.systems.len();
        let mut dependents: Vec<Vec<Link>> = vec![Vec::new(); n];
        let mut dependencies: Vec<Vec<Link>> = vec![Vec::new(); n];
        let mut consumers: Vec<Vec<Vec<(Node, Edge)>>> = c
            .systems
            .iter()
            .map(|s| vec![Vec::new(); s.provides.len()])
            .collect();
        for si in 0..n {
            declared(c, si, &mut |f| match f {
                Fact::Link { from, to, via, loc } => {
                    dependents[to].push(Link {
                        system: from as u32,
                        via,
                        loc,
                    });
                    dependencies[from].push(Link {
                        system: to as u32,
                        via,
                        loc,
                    });
                }
                Fact::Api {
                    system,
                    api,
                    node,
                    edge,
                } => consumers[system][api].push((node, edge)),
            });
        }
        let empty: Arc<[Link]> = Arc::from(Vec::new());
        let shared = |mut list: Vec<Link>| {
            if list.is_empty() {
                return empty.clone();
            }
            normalise(&mut list);
            Arc::from(list)
        };
        Graph {
            dependents: dependents.into_iter().map(shared).collect(),
            dependencies: dependencies.into_iter().map(shared).collect(),
            consumers: consumers.into_iter().map(Arc::from).collect(),
        }
    }

    /// The graph of `now`, given `old`, the graph of `before`: `old` itself when no system
    /// declares other edges than before; otherwise a graph that shares with `old` every list
    /// the changed declarations do not touch. The result is the same as [`Graph::build`]`(now)`
    /// (the unit tests compare both after random edits). When a system was added, removed,
    /// moved or renamed (the catalogs do not share their name index), the graph is built anew.
    pub fn update(old: &Arc<Graph>, before: &Catalog, now: &Catalog) -> Arc<Graph> {
        let n = now.systems.len();
        if before.systems.len() != n
            || old.dependents.len() != n
            || !Arc::ptr_eq(&before.system_index, &now.system_index)
        {
            return Arc::new(Graph::build(now));
        }
        // Systems whose declarations changed; of them, those whose APIs changed.
        let mut redo: Vec<usize> = Vec::new();
        let mut apis_changed: Vec<usize> = Vec::new();
        for (i, (a, b)) in before.systems.iter().zip(&now.systems).enumerate() {
            if Arc::ptr_eq(a, b) || same_declarations(a, b) {
                continue;
            }
            redo.push(i);
            if !same_apis(a, b) {
                apis_changed.push(i);
            }
        }
        if redo.is_empty() {
            return old.clone();
        }
        // A consumption is matched against the provider's APIs: when those changed, every
        // system consuming from that provider declares its edges again.
        if !apis_changed.is_empty() {
            let names: Vec<&str> = apis_changed
                .iter()
                .map(|&i| now.systems[i].name.value.as_str())
                .collect();
            for (i, s) in now.systems.iter().enumerate() {
                if s.consumes
                    .iter()
                    .any(|c| names.contains(&c.api.system.as_str()))
                {
                    redo.push(i);
                }
            }
            redo.sort_unstable();
            redo.dedup();
        }
        let redone: FxHashSet<usize> = redo.iter().copied().collect();
        // The lists the old declarations reached (to take them out of) and the new edges.
        let mut dependents: rustc_hash::FxHashMap<usize, Vec<Link>> = Default::default();
        let mut dependencies: rustc_hash::FxHashMap<usize, Vec<Link>> = Default::default();
        let mut apis: rustc_hash::FxHashMap<usize, Vec<Vec<(Node, Edge)>>> = Default::default();
        for &i in &apis_changed {
            apis.insert(i, vec![Vec::new(); now.systems[i].provides.len()]);
        }
        for &d in &redo {
            declared(before, d, &mut |f| match f {
                Fact::Link { from, to, .. } => {
                    dependents.entry(to).or_default();
                    dependencies.entry(from).or_default();
                }
                Fact::Api { system, .. } => {
                    apis.entry(system).or_default();
                }
            });
        }
        for &d in &redo {
            declared(now, d, &mut |f| match f {
                Fact::Link { from, to, via, loc } => {
                    dependents.entry(to).or_default().push(Link {
                        system: from as u32,
                        via,
                        loc,
                    });
                    dependencies.entry(from).or_default().push(Link {
                        system: to as u32,
                        via,
                        loc,
                    });
                }
                Fact::Api {
                    system,
                    api,
                    node,
                    edge,
                } => {
                    let lists = apis.entry(system).or_default();
                    if lists.len() <= api {
                        lists.resize_with(api + 1, Vec::new);
                    }
                    lists[api].push((node, edge));
                }
            });
        }
        // Each touched list: what the others declared, then the redone declarations.
        let mut graph = Graph {
            dependents: old.dependents.clone(),
            dependencies: old.dependencies.clone(),
            consumers: old.consumers.clone(),
        };
        let merge = |old: &[Link], new: Vec<Link>, declarer: &dyn Fn(&Link) -> usize| {
            let mut list: Vec<Link> = old
                .iter()
                .filter(|l| !redone.contains(&declarer(l)))
                .copied()
                .collect();
            list.extend(new);
            normalise(&mut list);
            Arc::<[Link]>::from(list)
        };
        for (to, new) in dependents {
            let list = merge(&old.dependents[to], new, &|l| declarer_of_dependent(to, l));
            graph.dependents[to] = list;
        }
        for (from, new) in dependencies {
            let list = merge(&old.dependencies[from], new, &|l| {
                declarer_of_dependency(from, l)
            });
            graph.dependencies[from] = list;
        }
        for (p, mut new) in apis {
            new.resize_with(now.systems[p].provides.len(), Vec::new);
            if apis_changed.binary_search(&p).is_err() {
                for (ai, list) in new.iter_mut().enumerate() {
                    let mut merged: Vec<(Node, Edge)> = old.consumers[p][ai]
                        .iter()
                        .filter(|e| !redone.contains(&declarer_of_api_edge(p, e)))
                        .cloned()
                        .collect();
                    merged.append(list);
                    // Stable: each declarer's edges stay in the order it declared them.
                    merged.sort_by_key(|e| declarer_of_api_edge(p, e));
                    *list = merged;
                }
            }
            graph.consumers[p] = Arc::from(new);
        }
        Arc::new(graph)
    }

    /// Systems that depend on system `p`, by any edge: one link per system and reason, ordered
    /// by system.
    pub fn dependents(&self, p: usize) -> &[Link] {
        &self.dependents[p]
    }

    /// Systems that system `c` depends on, by any edge, likewise.
    pub fn dependencies(&self, c: usize) -> &[Link] {
        &self.dependencies[c]
    }

    /// The number of systems in the graph.
    pub fn len(&self) -> usize {
        self.dependents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dependents.is_empty()
    }

    /// Edges into an API: consumers (declared by them) and listed consumers, in declaration
    /// order.
    pub fn api_consumers(&self, system: usize, api: usize) -> impl Iterator<Item = (&Node, &Edge)> {
        self.consumers[system][api].iter().map(|(n, e)| (n, e))
    }

    /// System-level links plus edges into APIs.
    pub fn edge_count(&self) -> usize {
        self.dependencies.iter().map(|l| l.len()).sum::<usize>()
            + self
                .consumers
                .iter()
                .flat_map(|a| a.iter())
                .map(Vec::len)
                .sum::<usize>()
    }
}

fn via_rank(v: Via) -> (u8, u32) {
    match v {
        Via::Consumes { api } => (0, api),
        Via::Listed { api } => (1, api),
        Via::DependsOn => (2, 0),
    }
}

/// One edge of the cycle search: `from` depends on `to`, declared at `loc`.
pub type CycleEdge = (u32, u32, Loc);

/// The edges system `si` of `c` declares for the cycle search, in declaration order: its
/// consumptions (by system name: an API or version that does not exist still names the
/// provider), its `depends_on`, and the systems its APIs list as consumers (`consumer → si`).
/// Reads only `si` and the name index, so it can be kept while both stay.
pub fn cycle_edges(c: &Catalog, si: usize) -> Box<[CycleEdge]> {
    let s = &c.systems[si];
    let me = si as u32;
    let mut out = Vec::new();
    let to = |name: &str, loc: Loc, out: &mut Vec<CycleEdge>| {
        if let Some(&pi) = c.system_index.get(name) {
            if pi != si {
                out.push((me, pi as u32, loc));
            }
        }
    };
    for cons in &s.consumes {
        to(&cons.api.system, cons.api.loc, &mut out);
    }
    for d in &s.depends_on {
        to(&d.value, d.loc, &mut out);
    }
    for a in &s.provides {
        for lc in &a.consumers {
            if let ListedConsumer::System(name) = lc {
                if let Some(&ci) = c.system_index.get(&name.value) {
                    if ci != si {
                        out.push((ci as u32, me, name.loc));
                    }
                }
            }
        }
    }
    out.into_boxed_slice()
}

/// Dependency cycles between systems (consumes, depends_on and listed consumers), each as the
/// systems in order with the location of the edge leaving each one. Stable order.
pub fn system_cycles(c: &Catalog) -> Vec<Vec<(usize, Loc)>> {
    use rayon::prelude::*;
    let edges: Vec<Box<[CycleEdge]>> = (0..c.systems.len())
        .into_par_iter()
        .map(|i| cycle_edges(c, i))
        .collect();
    cycles_among(c.systems.len(), &edges)
}

/// The cycles of [`system_cycles`] over `n` systems, from each system's [`cycle_edges`] (in
/// catalog order); of two edges between the same systems the first declared counts.
pub fn cycles_among<E: AsRef<[CycleEdge]>>(n: usize, declared: &[E]) -> Vec<Vec<(usize, Loc)>> {
    let total: usize = declared.iter().map(|e| e.as_ref().len()).sum();
    let mut g: DiGraph<usize, Loc> = DiGraph::with_capacity(n, total);
    for i in 0..n {
        g.add_node(i);
    }
    let mut seen: FxHashSet<u64> = FxHashSet::with_capacity_and_hasher(total, Default::default());
    for &(a, b, loc) in declared.iter().flat_map(|e| e.as_ref()) {
        if seen.insert(((a as u64) << 32) | b as u64) {
            g.add_edge(NodeIndex::new(a as usize), NodeIndex::new(b as usize), loc);
        }
    }
    let mut out = Vec::new();
    for scc in petgraph::algo::tarjan_scc(&g) {
        if scc.len() < 2 {
            continue;
        }
        let members: std::collections::HashSet<NodeIndex> = scc.iter().copied().collect();
        let start = *scc.iter().min_by_key(|n| n.index()).expect("non-empty");
        // Shortest way around: BFS from start's successors back to start inside the component.
        let mut parent: HashMap<NodeIndex, (NodeIndex, Loc)> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        'bfs: while let Some(u) = queue.pop_front() {
            for e in g.edges(u) {
                let v = e.target();
                if !members.contains(&v) || parent.contains_key(&v) {
                    continue;
                }
                parent.insert(v, (u, *e.weight()));
                if v == start {
                    break 'bfs;
                }
                queue.push_back(v);
            }
        }
        let mut cycle = Vec::new();
        let mut cur = start;
        while let Some(&(p, loc)) = parent.get(&cur) {
            cycle.push((p.index(), loc));
            cur = p;
            if cur == start {
                break;
            }
        }
        cycle.reverse();
        if !cycle.is_empty() {
            out.push(cycle);
        }
    }
    out.sort_by_key(|cy| cy.iter().map(|(i, _)| *i).min());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small xorshift: the same edits on every run.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// Random edits of one system at a time — consumptions added (of APIs that exist, of
    /// versions that do not, of the system itself), dropped or narrowed to some endpoints,
    /// `depends_on` added and dropped, listed and external consumers added, APIs added,
    /// dropped and re-versioned (which changes what other systems' consumptions match),
    /// moved locations, renames (a new name index: built anew), unchanged copies — each graph
    /// updated from the previous one and compared, every list in order, with the graph built
    /// from scratch; unchanged lists are shared with the previous graph.
    #[test]
    fn updating_after_an_edit_equals_building_from_scratch() {
        let tmp = tempfile::tempdir().unwrap();
        crate::gen::generate(tmp.path(), 150, 5).unwrap();
        let base = crate::load(tmp.path(), &Default::default()).unwrap();
        assert_eq!(base.errors(), 0);
        let mut before = Catalog::new_after(
            base.root.clone(),
            base.files.clone(),
            base.systems.clone(),
            base.teams.clone(),
            base.domains.clone(),
            None,
        );
        let mut graph = Arc::new(Graph::build(&before));
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let (mut updated, mut shared_lists) = (0, 0);
        for step in 0..400 {
            let mut systems = before.systems.clone();
            let i = rng.below(systems.len());
            let j = rng.below(systems.len());
            let other = systems[j].clone();
            let mut s = (*systems[i]).clone();
            let kind = rng.below(13);
            match kind {
                0 => {
                    let api = other.provides.first().map(|a| a.name.value.clone());
                    let version = match rng.below(3) {
                        0 => None,
                        1 => other.provides.first().map(|a| a.version),
                        _ => Some(7),
                    };
                    let target = if rng.below(8) == 0 {
                        &s.name.value
                    } else {
                        &other.name.value
                    };
                    s.consumes.push(Consumption {
                        api: Spanned::new(
                            ApiRef {
                                system: target.clone(),
                                api,
                                version,
                            },
                            s.loc,
                        ),
                        uses: None,
                        notes: None,
                        acknowledged: None,
                        loc: s.loc,
                    });
                }
                1 => {
                    if !s.consumes.is_empty() {
                        s.consumes.remove(rng.below(s.consumes.len()));
                    }
                }
                2 => {
                    if let Some(c) = s.consumes.first_mut() {
                        c.uses = Some(vec![Spanned::new("GET /api/x".into(), c.loc)]);
                    }
                }
                3 => s
                    .depends_on
                    .push(Spanned::new(other.name.value.clone(), s.loc)),
                4 => {
                    s.depends_on.pop();
                }
                5 => {
                    if let Some(a) = s.provides.first_mut() {
                        a.consumers.push(ListedConsumer::System(Spanned::new(
                            other.name.value.clone(),
                            a.loc,
                        )));
                    }
                }
                6 => {
                    if let Some(a) = s.provides.last_mut() {
                        a.consumers.push(ListedConsumer::External(ExternalConsumer {
                            name: "nightly scripts".into(),
                            loc: a.loc,
                            ..Default::default()
                        }));
                    }
                }
                7 => {
                    s.provides.pop();
                }
                8 => {
                    if let Some(a) = s.provides.first_mut() {
                        a.version += 1;
                    }
                }
                9 => {
                    if let Some(a) = other.provides.first() {
                        s.provides.insert(0, a.clone());
                    }
                }
                10 => {
                    for d in &mut s.depends_on {
                        d.loc.line += 1;
                    }
                    for c in &mut s.consumes {
                        c.api.loc.line += 1;
                    }
                }
                11 if step % 10 == 0 => s.name.value.push_str("-renamed"),
                _ => s.description.push_str(" more"), // nothing the graph reads
            }
            systems[i] = Arc::new(s);
            let now = Catalog::new_after(
                base.root.clone(),
                base.files.clone(),
                systems,
                base.teams.clone(),
                base.domains.clone(),
                Some(&before.name_indexes()),
            );
            let next = Graph::update(&graph, &before, &now);
            let scratch = Graph::build(&now);
            assert_eq!(
                format!("{next:#?}"),
                format!("{scratch:#?}"),
                "step {step} (edit {kind} of `{}`)",
                now.systems[i].name.value
            );
            if !Arc::ptr_eq(&next, &graph) && next.len() == graph.len() {
                updated += 1;
                shared_lists += (0..next.len())
                    .filter(|&k| Arc::ptr_eq(&next.dependents[k], &graph.dependents[k]))
                    .count();
            }
            before = now;
            graph = next;
        }
        // The edits reached the update, and it shared what it did not touch.
        assert!(updated > 200, "{updated} updates");
        assert!(
            shared_lists > updated * (graph.len() - 10),
            "{shared_lists} lists shared over {updated} updates"
        );
    }
}
