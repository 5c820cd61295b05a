//! The dependency graph of a catalog snapshot (petgraph), built once per snapshot.
//!
//! Nodes are systems, APIs (one per major version), endpoints, teams and external consumers;
//! edges are consumes (with the `uses` endpoints), depends_on, provides, provider-listed
//! consumers and ownership, each remembering the file and line that declared it. Beside the
//! petgraph graph, a compact system-level adjacency (dependents and dependencies) serves the
//! hot queries — impact and deps are breadth-first walks over plain vectors.
//!
//! Architecture invariant: the graph never reads files and never changes after `build`.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

use crate::model::*;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    System(usize),
    Api {
        system: usize,
        api: usize,
    },
    Endpoint {
        system: usize,
        api: usize,
        endpoint: usize,
    },
    Team(usize),
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
        uses: Option<Vec<EndpointKey>>,
        consumption: usize,
    },
    /// system → system without an API contract.
    DependsOn,
    /// system → API it provides.
    Provides,
    /// API → one of its endpoints.
    HasEndpoint,
    /// consumer (system or external) → API, as listed by the provider.
    ListedConsumer,
    /// team → system it owns.
    Owns,
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

pub struct Graph {
    pub g: DiGraph<Node, Edge>,
    pub system_nodes: Vec<NodeIndex>,
    /// Per system, per provided API.
    pub api_nodes: Vec<Vec<NodeIndex>>,
    pub team_nodes: Vec<NodeIndex>,
    /// `dependents[p]`: systems that depend on system `p`, by any edge.
    pub dependents: Vec<Vec<Link>>,
    /// `dependencies[c]`: systems that system `c` depends on, by any edge.
    pub dependencies: Vec<Vec<Link>>,
}

impl Graph {
    pub fn build(c: &Catalog) -> Graph {
        let n = c.systems.len();
        let mut g = DiGraph::with_capacity(n * 3, n * 4);
        let system_nodes: Vec<NodeIndex> = (0..n).map(|i| g.add_node(Node::System(i))).collect();
        let team_nodes: Vec<NodeIndex> = (0..c.teams.len())
            .map(|i| g.add_node(Node::Team(i)))
            .collect();
        let mut api_nodes = Vec::with_capacity(n);
        for (si, s) in c.systems.iter().enumerate() {
            let mut apis = Vec::with_capacity(s.provides.len());
            for (ai, a) in s.provides.iter().enumerate() {
                let an = g.add_node(Node::Api {
                    system: si,
                    api: ai,
                });
                g.add_edge(
                    system_nodes[si],
                    an,
                    Edge {
                        kind: EdgeKind::Provides,
                        loc: a.loc,
                    },
                );
                for (ei, e) in a.endpoints.iter().enumerate() {
                    let en = g.add_node(Node::Endpoint {
                        system: si,
                        api: ai,
                        endpoint: ei,
                    });
                    g.add_edge(
                        an,
                        en,
                        Edge {
                            kind: EdgeKind::HasEndpoint,
                            loc: e.loc,
                        },
                    );
                }
                apis.push(an);
            }
            api_nodes.push(apis);
            if let Some(t) = s.owner.as_ref().and_then(|o| c.team_index.get(&o.value)) {
                g.add_edge(
                    team_nodes[*t],
                    system_nodes[si],
                    Edge {
                        kind: EdgeKind::Owns,
                        loc: s.owner.as_ref().map(|o| o.loc).unwrap_or(s.loc),
                    },
                );
            }
        }
        let mut dependents: Vec<Vec<Link>> = vec![Vec::new(); n];
        let mut dependencies: Vec<Vec<Link>> = vec![Vec::new(); n];
        let mut link = |from: usize, to: usize, via: Via, loc: Loc| {
            if from != to {
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
        };
        for (si, s) in c.systems.iter().enumerate() {
            for (ci, cons) in s.consumes.iter().enumerate() {
                let Some(&pi) = c.system_index.get(&cons.api.system) else {
                    continue;
                };
                let uses: Option<Vec<EndpointKey>> = cons.uses.as_ref().map(|u| {
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
                    g.add_edge(
                        system_nodes[si],
                        api_nodes[pi][ai],
                        Edge {
                            kind: EdgeKind::Consumes {
                                uses: uses.clone(),
                                consumption: ci,
                            },
                            loc: cons.api.loc,
                        },
                    );
                    link(si, pi, Via::Consumes { api: ai as u32 }, cons.api.loc);
                }
            }
            for d in &s.depends_on {
                if let Some(&pi) = c.system_index.get(&d.value) {
                    g.add_edge(
                        system_nodes[si],
                        system_nodes[pi],
                        Edge {
                            kind: EdgeKind::DependsOn,
                            loc: d.loc,
                        },
                    );
                    link(si, pi, Via::DependsOn, d.loc);
                }
            }
            for (ai, a) in s.provides.iter().enumerate() {
                for (ki, lc) in a.consumers.iter().enumerate() {
                    match lc {
                        ListedConsumer::System(name) => {
                            if let Some(&ci) = c.system_index.get(&name.value) {
                                g.add_edge(
                                    system_nodes[ci],
                                    api_nodes[si][ai],
                                    Edge {
                                        kind: EdgeKind::ListedConsumer,
                                        loc: name.loc,
                                    },
                                );
                                link(ci, si, Via::Listed { api: ai as u32 }, name.loc);
                            }
                        }
                        ListedConsumer::External(e) => {
                            let en = g.add_node(Node::External {
                                system: si,
                                api: ai,
                                consumer: ki,
                            });
                            g.add_edge(
                                en,
                                api_nodes[si][ai],
                                Edge {
                                    kind: EdgeKind::ListedConsumer,
                                    loc: e.loc,
                                },
                            );
                        }
                    }
                }
            }
        }
        // A system that both consumes and is listed appears twice; keep one link per pair and reason.
        for list in dependents.iter_mut().chain(dependencies.iter_mut()) {
            list.sort_by_key(|l| (l.system, via_rank(l.via)));
            list.dedup_by_key(|l| (l.system, l.via));
        }
        Graph {
            g,
            system_nodes,
            api_nodes,
            team_nodes,
            dependents,
            dependencies,
        }
    }

    /// Edges into an API node: consumers (declared by them) and listed consumers.
    pub fn api_consumers(&self, system: usize, api: usize) -> impl Iterator<Item = (&Node, &Edge)> {
        let node = self.api_nodes[system][api];
        self.g
            .edges_directed(node, Direction::Incoming)
            .map(move |e| (&self.g[e.source()], e.weight()))
    }

    pub fn edge_count(&self) -> usize {
        self.g.edge_count()
    }
}

fn via_rank(v: Via) -> (u8, u32) {
    match v {
        Via::Consumes { api } => (0, api),
        Via::Listed { api } => (1, api),
        Via::DependsOn => (2, 0),
    }
}

/// Dependency cycles between systems (consumes, depends_on and listed consumers), each as the
/// systems in order with the location of the edge leaving each one. Stable order.
pub fn system_cycles(c: &Catalog) -> Vec<Vec<(usize, Loc)>> {
    let n = c.systems.len();
    let mut g: DiGraph<usize, Loc> = DiGraph::with_capacity(n, n * 2);
    for i in 0..n {
        g.add_node(i);
    }
    let mut seen: rustc_hash::FxHashSet<(usize, usize)> = Default::default();
    let mut add = |g: &mut DiGraph<usize, Loc>, a: usize, b: usize, loc: Loc| {
        if a != b && seen.insert((a, b)) {
            g.add_edge(NodeIndex::new(a), NodeIndex::new(b), loc);
        }
    };
    for (si, s) in c.systems.iter().enumerate() {
        for cons in &s.consumes {
            if let Some(&pi) = c.system_index.get(&cons.api.system) {
                add(&mut g, si, pi, cons.api.loc);
            }
        }
        for d in &s.depends_on {
            if let Some(&pi) = c.system_index.get(&d.value) {
                add(&mut g, si, pi, d.loc);
            }
        }
        for a in &s.provides {
            for lc in &a.consumers {
                if let ListedConsumer::System(name) = lc {
                    if let Some(&ci) = c.system_index.get(&name.value) {
                        add(&mut g, ci, si, name.loc);
                    }
                }
            }
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
