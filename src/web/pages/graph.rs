//! The dependency graph page (`/graph`): systems, or domains when they are too many to draw.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use crate::graph::Via;
use crate::model::{Catalog, Lifecycle};
use crate::picture::{self, GEdge, GNode, GraphStyle};
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
    pub shown: usize,
    pub total: usize,
    pub overview: bool,
}

/// Above this many systems the picture is drawn per domain instead of per system.
const MAX_GRAPH_NODES: usize = 250;

pub async fn graph(State(st): State<AppState>, q: Params) -> Result<Response, AppError> {
    let q = params(q)?;
    let live = st.live();
    let snap = &live.snapshot;
    let c = &snap.catalog;
    let filter = api::graph_filter(c, &q).map_err(AppError::html)?;
    let selected = crate::export::select(c, snap.graph(), &filter);
    let filtered = ["focus", "team", "domain", "tier"]
        .iter()
        .any(|k| q.get(*k).is_some_and(|v| !v.trim().is_empty()));
    let everything = q.get("all").is_some_and(|v| v == "1");
    let (svg_text, note) = if !filtered && !everything && c.domains.len() > 1 {
        (
            domains_svg(c, snap.graph(), &selected),
            "The central picture by domain: each box is a domain, each arrow counts the dependencies between two domains. Click a domain, or filter below, to see its systems.".to_string(),
        )
    } else if selected.len() <= MAX_GRAPH_NODES {
        (systems_svg(c, snap.graph(), &selected), String::new())
    } else {
        (
            domains_svg(c, snap.graph(), &selected),
            format!(
                "{} systems are too many to draw one by one: this is the picture by domain (edges count the dependencies between domains). Filter by domain, team or tier to see systems.",
                selected.len()
            ),
        )
    };
    let sel = |k: &str| q.get(k).cloned().unwrap_or_default();
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
        shown: selected.len(),
        total: c.systems.len(),
        overview: !filtered && !everything && c.domains.len() > 1,
    })
}

fn systems_svg(c: &Catalog, g: &crate::graph::Graph, selected: &[usize]) -> String {
    let pos: HashMap<usize, usize> = selected.iter().enumerate().map(|(i, &s)| (s, i)).collect();
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
                    "tier-{}{}",
                    s.tier.unwrap_or(0),
                    if s.lifecycle == Lifecycle::Deprecated || s.lifecycle == Lifecycle::Retired {
                        " retired"
                    } else {
                        ""
                    }
                ),
                group: s.domain.as_ref().map(|d| d.value.clone()),
                layer: None,
                title: s.display_title().to_string(),
            }
        })
        .collect();
    let mut edges = Vec::new();
    for &i in selected {
        let mut seen = std::collections::HashSet::new();
        for l in g.dependencies(i) {
            let Some(&to) = pos.get(&(l.system as usize)) else {
                continue;
            };
            if seen.insert(to) {
                edges.push(GEdge {
                    from: pos[&i],
                    to,
                    label: None,
                    dashed: l.via == Via::DependsOn,
                    class: String::new(),
                });
            }
        }
    }
    picture::render(
        &nodes,
        &edges,
        &GraphStyle {
            clusters: true,
            ..GraphStyle::default()
        },
    )
}

pub(in crate::web) fn domains_svg(
    c: &Catalog,
    g: &crate::graph::Graph,
    selected: &[usize],
) -> String {
    let domain_of = |i: usize| {
        c.systems[i]
            .domain
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| "(no domain)".into())
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
    let edges: Vec<GEdge> = edge_counts
        .into_iter()
        .map(|((from, to), n)| GEdge {
            from,
            to,
            label: Some(n.to_string()),
            dashed: false,
            class: String::new(),
        })
        .collect();
    // Few, wide-spread nodes: top to bottom keeps the picture readable at page width.
    picture::render(
        &nodes,
        &edges,
        &GraphStyle {
            direction: picture::Direction::TopToBottom,
            ..GraphStyle::default()
        },
    )
}
