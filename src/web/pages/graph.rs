//! The dependency graph page (`/graph`): systems, or domains when they are too many to draw.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::model::{Catalog, Lifecycle};
use crate::picture::{self, GEdge, GGroup, GNode, GraphStyle};
use crate::web::api::{self, params, Params};
use crate::web::error::render;
use crate::web::page::{layout, urlencode, Layout};
use crate::web::{AppError, AppState};

#[derive(Template)]
#[template(path = "graph.html")]
pub struct GraphPage {
    pub layout: Layout,
    pub svg: String,
    pub note: String,
    pub domains: Vec<(String, bool)>,
    pub teams: Vec<(String, bool)>,
    pub tier: String,
    pub focus: String,
    pub depth: String,
    pub shown: usize,
    pub total: usize,
    pub overview: bool,
    /// With the overview: every count between two domains, as a table (none is left out).
    pub matrix: Option<DomainMatrix>,
}

/// Dependencies between domains: a row per consumer domain, a column per provider domain.
pub struct DomainMatrix {
    pub names: Vec<String>,
    pub rows: Vec<(String, Vec<usize>)>,
    pub links: usize,
}

/// Above this many systems the picture is drawn per domain instead of per system...
const MAX_GRAPH_NODES: usize = 250;
/// ...unless they are all in one domain (its own picture, the overview's drill-down): that
/// many are drawn, the rest counted in a note.
const MAX_DOMAIN_NODES: usize = 1000;

/// The neighbourhood around `focus=` is one hop unless `depth` says otherwise (1 to 3 in the
/// form; the API's own default is unchanged).
const DEFAULT_DEPTH: &str = "1";

pub async fn graph(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let mut q = params(q)?;
    if q.get("depth").is_none_or(|d| d.trim().is_empty()) {
        q.insert("depth".into(), DEFAULT_DEPTH.into());
    }
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let filter = api::graph_filter(c, &q).map_err(AppError::html)?;
    let selected = crate::export::select(c, snap.graph(), &filter);
    let filtered = ["focus", "team", "domain", "tier"]
        .iter()
        .any(|k| q.get(*k).is_some_and(|v| !v.trim().is_empty()));
    let everything = q.get("all").is_some_and(|v| v == "1");
    let mut matrix = None;
    let (svg_text, note) = if !filtered && !everything && c.domains.len() > 1 {
        let (svg, hidden, m) =
            domains_picture(c, snap.graph(), &selected, picture::Direction::LeftToRight);
        matrix = Some(m);
        (
            svg,
            format!(
                "The central picture by domain: each box is a domain, each arrow counts the dependencies between two domains. Click a domain, or filter below, to see its systems.{}",
                hidden_note(hidden)
            ),
        )
    } else if selected.len() <= MAX_GRAPH_NODES || one_domain(c, &selected) {
        let note = if selected.len() > MAX_DOMAIN_NODES {
            format!(
                "The first {MAX_DOMAIN_NODES} of these {} systems are drawn; filter by team or tier to see the others.",
                selected.len()
            )
        } else {
            String::new()
        };
        (systems_svg(c, snap.graph(), &selected, filter.focus), note)
    } else {
        let (svg, hidden, m) =
            domains_picture(c, snap.graph(), &selected, picture::Direction::LeftToRight);
        matrix = Some(m);
        (
            svg,
            format!(
                "{} systems are too many to draw one by one: this is the picture by domain (edges count the dependencies between domains). Click a domain, or filter by domain, team or tier, to see systems.{}",
                selected.len(),
                hidden_note(hidden)
            ),
        )
    };
    let sel = |k: &str| q.get(k).cloned().unwrap_or_default();
    let depth = sel("depth");
    let domains = c
        .domains
        .iter()
        .map(|d| (d.name.value.clone(), sel("domain") == d.name.value))
        .collect();
    let teams = c
        .teams
        .iter()
        .map(|t| (t.name.value.clone(), sel("team") == t.name.value))
        .collect();
    render(&GraphPage {
        layout: layout(&live, "Dependency graph", "graph"),
        svg: svg_text,
        note,
        domains,
        teams,
        tier: sel("tier"),
        focus: sel("focus"),
        depth,
        shown: selected.len(),
        total: c.systems.len(),
        overview: !filtered && !everything && c.domains.len() > 1,
        matrix,
    })
}

/// The systems picture: each domain a box with its systems inside, the dependencies between
/// two domains one arrow labelled with their number (`picture::render_compound`).
/// Whether every selected system is in the same domain (or none has one).
fn one_domain(c: &Catalog, selected: &[usize]) -> bool {
    let domain = |i: usize| c.systems[i].domain.as_ref().map(|d| d.value.as_str());
    selected
        .first()
        .is_some_and(|&f| selected.iter().all(|&i| domain(i) == domain(f)))
}

/// What a crowded overview leaves out, said under it.
fn hidden_note(h: Hidden) -> String {
    if h.links == 0 {
        return String::new();
    }
    format!(
        " To keep it readable only each domain's two strongest links to others are drawn: {} weaker link{} ({} dependenc{}) are left out of the picture; the table under it has every count.",
        h.links,
        if h.links == 1 { "" } else { "s" },
        h.dependencies,
        if h.dependencies == 1 { "y" } else { "ies" }
    )
}

fn systems_svg(
    c: &Catalog,
    g: &crate::graph::Graph,
    selected: &[usize],
    focus: Option<usize>,
) -> String {
    let domain_of = |i: usize| {
        c.systems[i]
            .domain
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| NO_DOMAIN.into())
    };
    let nodes: Vec<GNode> = selected
        .iter()
        .map(|&i| {
            let s = &c.systems[i];
            GNode {
                label: s.name.value.clone(),
                sublabel: format!(
                    "{} · {}",
                    s.tier
                        .map(|t| format!("tier {t}"))
                        .unwrap_or_else(|| "no tier".into()),
                    s.owner_name().unwrap_or("no owner")
                ),
                href: Some(format!("/systems/{}", s.name.value)),
                class: format!(
                    "tier-{}{}{}",
                    s.tier.unwrap_or(0),
                    if s.lifecycle == Lifecycle::Deprecated || s.lifecycle == Lifecycle::Retired {
                        " retired"
                    } else {
                        ""
                    },
                    if focus == Some(i) { " focus" } else { "" }
                ),
                group: Some(domain_of(i)),
                layer: None,
                title: s.display_title().to_string(),
            }
        })
        .collect();
    let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
    for nd in &nodes {
        *sizes
            .entry(nd.group.clone().unwrap_or_default())
            .or_default() += 1;
    }
    let groups: Vec<GGroup> = sizes
        .iter()
        .map(|(name, &n)| {
            let domain = c.domains.iter().find(|d| &d.name.value == name);
            GGroup {
                name: name.clone(),
                label: name.clone(),
                sublabel: format!("{n} system{}", if n == 1 { "" } else { "s" }),
                href: (name != NO_DOMAIN).then(|| format!("/graph?domain={}", urlencode(name))),
                title: match domain {
                    Some(d) if !d.title.is_empty() => format!(
                        "{}: {}. Show only this domain.",
                        d.title,
                        d.description.trim().trim_end_matches('.')
                    ),
                    _ => name.clone(),
                },
            }
        })
        .collect();
    // One edge per dependency, so a bundle's count is the number of dependencies it stands for.
    let pos: HashMap<&str, usize> = selected
        .iter()
        .enumerate()
        .map(|(k, &i)| (c.systems[i].name.value.as_str(), k))
        .collect();
    let set: std::collections::BTreeSet<usize> = selected.iter().copied().collect();
    let edges: Vec<GEdge> = crate::export::edges(c, g, &set)
        .iter()
        .map(|e| GEdge {
            from: pos[e.from.as_str()],
            to: pos[e.to.as_str()],
            label: None,
            dashed: e.kind == "depends_on",
            class: String::new(),
        })
        .collect();
    picture::render_compound(
        &nodes,
        &edges,
        &groups,
        &GraphStyle {
            max_nodes: MAX_DOMAIN_NODES,
            port_gap: 10.0,
            ..GraphStyle::default()
        },
    )
}

/// Links per domain, on average, that the overview draws all of.
const LINKS_PER_DOMAIN: usize = 4;
/// Past that, how many of each domain's strongest links to others are drawn.
const STRONGEST: usize = 2;

/// The group of systems without a domain.
const NO_DOMAIN: &str = "(no domain)";

pub(in crate::web) fn domains_svg(
    c: &Catalog,
    g: &crate::graph::Graph,
    selected: &[usize],
) -> String {
    // Start here's picture sits in the page's column, shrunk to its width: top to bottom.
    domains_picture(c, g, selected, picture::Direction::TopToBottom).0
}

/// Links between domains not drawn in a crowded overview: how many, and the dependencies
/// they stand for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hidden {
    pub links: usize,
    pub dependencies: usize,
}

/// The overview by domain; past [`LINKS_PER_DOMAIN`] links per domain on average, only each
/// domain's strongest links are drawn (the rest counted in [`Hidden`]): every pair of twenty
/// domains linked is a hairball whatever the layout.
fn domains_picture(
    c: &Catalog,
    g: &crate::graph::Graph,
    selected: &[usize],
    direction: picture::Direction,
) -> (String, Hidden, DomainMatrix) {
    let domain_of = |i: usize| {
        c.systems[i]
            .domain
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| NO_DOMAIN.into())
    };
    let mut names: Vec<String> = selected.iter().map(|&i| domain_of(i)).collect();
    names.sort();
    names.dedup();
    let pos: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut counts = vec![0usize; names.len()];
    for &i in selected {
        counts[pos[domain_of(i).as_str()]] += 1;
    }
    // One count per dependency (a consumer's `consumes` and its provider's list are one).
    let set: std::collections::BTreeSet<usize> = selected.iter().copied().collect();
    let by_name: HashMap<&str, usize> = selected
        .iter()
        .map(|&i| (c.systems[i].name.value.as_str(), i))
        .collect();
    let mut edge_counts: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for e in crate::export::edges(c, g, &set) {
        let from = pos[domain_of(by_name[e.from.as_str()]).as_str()];
        let to = pos[domain_of(by_name[e.to.as_str()]).as_str()];
        if to != from {
            *edge_counts.entry((from, to)).or_default() += 1;
        }
    }
    let nodes: Vec<GNode> = names
        .iter()
        .enumerate()
        .map(|(i, n)| GNode {
            label: n.clone(),
            sublabel: format!("{} systems", counts[i]),
            href: if n.starts_with('(') {
                None
            } else {
                Some(format!("/graph?domain={}", urlencode(n)))
            },
            class: "domain".into(),
            group: None,
            layer: None,
            title: n.clone(),
        })
        .collect();
    let matrix = DomainMatrix {
        rows: names
            .iter()
            .enumerate()
            .map(|(a, name)| {
                let row = (0..names.len())
                    .map(|b| edge_counts.get(&(a, b)).copied().unwrap_or(0))
                    .collect();
                (name.clone(), row)
            })
            .collect(),
        names: names.clone(),
        links: edge_counts.len(),
    };
    let mut hidden = Hidden::default();
    if edge_counts.len() > LINKS_PER_DOMAIN * names.len() {
        // Each domain keeps its `STRONGEST` strongest links out (ties: by name).
        let mut ranked: Vec<((usize, usize), usize)> =
            edge_counts.iter().map(|(&k, &n)| (k, n)).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut outs = vec![0usize; names.len()];
        let mut keep = std::collections::BTreeSet::new();
        for &((from, to), _) in &ranked {
            if outs[from] < STRONGEST {
                outs[from] += 1;
                keep.insert((from, to));
            }
        }
        edge_counts.retain(|k, n| {
            let kept = keep.contains(k);
            if !kept {
                hidden.links += 1;
                hidden.dependencies += *n;
            }
            kept
        });
    }
    let edges: Vec<GEdge> = edge_counts
        .into_iter()
        .map(|((from, to), n)| GEdge {
            from,
            to,
            label: Some(n.to_string()),
            dashed: false,
            class: picture::weight_class(n).to_string(),
        })
        .collect();
    // Left to right, like the systems picture: consumers' domains left of their providers'.
    // Few boxes and many arrows: left to right, boxes grow so arrows meet them 20 px apart.
    let style = match direction {
        picture::Direction::LeftToRight => GraphStyle {
            port_gap: 20.0,
            ..GraphStyle::default()
        },
        picture::Direction::TopToBottom => GraphStyle {
            direction,
            ..GraphStyle::default()
        },
    };
    let svg = picture::render(&nodes, &edges, &style);
    (svg, hidden, matrix)
}
