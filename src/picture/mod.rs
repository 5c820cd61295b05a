//! Server-side SVG pictures of dependency graphs, drawn with a layered (Sugiyama-style) layout.
//!
//! [`render`] is a pure function from its own input types ([`GNode`], [`GEdge`], [`GraphStyle`])
//! to one complete `<svg>` element that the web layer inlines into a page. Consumers sit in lower
//! layers than the providers they depend on, so dependencies point right (or down).
//!
//! # Pipeline
//!
//! [`render`] keeps the first `max_nodes` nodes and `Layout::new` runs the stages in this
//! order, each in its own file; `Layout::to_svg` then writes the result:
//!
//! 1. input (this file): edges with an out-of-range end dropped, duplicates merged
//!    (`collect_edges`); labels clipped and box widths estimated (`NodeText`);
//! 2. `layers`: a layer per node, from the caller (`GNode::layer`, e.g. the impact page's
//!    upstream/focus/downstream columns) or from a longest-path layering with cycles broken;
//!    plus the adjacency, weighted by 1/span, that the next two stages pull along;
//! 3. `order`: the order within each layer, crossings reduced with barycenter sweeps;
//! 4. `place`: coordinates: across the layer axis from an order-preserving least-squares fit,
//!    then the columns along it; later, for `emit`, node and cluster boxes in picture x/y;
//! 5. `route`: a path per edge; edges spanning several layers are routed through the free gaps
//!    of the layers they cross instead of through boxes (there are no dummy nodes);
//! 6. `emit`: the SVG text, and everything that makes it safe to inline.
//!
//! The stages share `Layout` (defined here: its private fields are visible to the stage
//! modules, which add `impl Layout` blocks of their own), the layout-space point `P` (`m` along
//! the layer axis, `c` across it), `Rect`, and the constants more than one stage uses; a
//! constant only one stage uses lives in that stage. `testutil` holds what the stages' unit
//! tests share.
//!
//! # Styling
//!
//! Colours come only from CSS classes (`cg-node`, `cg-edge`, `cg-label`, `cg-sub`, `cg-cluster`,
//! `cg-cluster-label`, `cg-edge-label`, `cg-note` plus the caller's classes), so the page themes
//! the picture; [`STYLE`] holds zero-specificity (`:where`) defaults built on `currentColor`
//! that read on light and dark backgrounds and lose to any page rule.
//!
//! The defaults are served as part of the page's stylesheet, and a stylesheet applies to the
//! whole page, hence every selector is scoped to the root class `cg`. Edge-label backgrounds
//! use `var(--cg-bg, Canvas)`. The arrowhead marker's id is a hash of the graph, so different
//! graphs on one page never share a marker; two copies of the same graph do, which only
//! matters if the page colours them differently.
//!
//! # Invariants
//!
//! This library knows nothing about the catalog and imports nothing from the rest of the
//! crate: no `crate::` path anywhere under `picture/` (the stages reach each other through
//! `super::`), so it could be its own crate. It does no I/O and never panics on input. Every
//! text and attribute value goes through the one XML escaper in `emit` and `javascript:`/
//! `data:`/`vbscript:` links are dropped, so the output can be inlined as-is; the same input
//! always yields the same string.

use std::collections::BTreeMap;

use layers::{assign_layers, neighbours};
use order::order_layers;
use place::place_cross;
use route::Seg;

pub use compound::{weight_class, GGroup};

mod compound;
mod emit;
mod layers;
mod order;
mod place;
mod route;
#[cfg(test)]
mod testutil;

/// One box in the picture.
#[derive(Clone, Debug, Default)]
pub struct GNode {
    /// Main text (system name).
    pub label: String,
    /// Small second line (e.g. "tier 1 · infra-apps"); may be empty.
    pub sublabel: String,
    /// Link target; the box is wrapped in `<a href>`. Script and data URLs are dropped.
    pub href: Option<String>,
    /// Extra CSS classes, e.g. "tier-1 focus"; only `[a-zA-Z0-9 _-]` is kept.
    pub class: String,
    /// Cluster (domain) name; drawn as a labelled background box when `GraphStyle::clusters`.
    pub group: Option<String>,
    /// Fixed layer (column). Used only when every node has one; otherwise layers are computed.
    pub layer: Option<i32>,
    /// Tooltip; the label when empty.
    pub title: String,
}

/// A dependency: `from` (the consumer) depends on `to` (the provider).
#[derive(Clone, Debug, Default)]
pub struct GEdge {
    pub from: usize,
    pub to: usize,
    pub label: Option<String>,
    pub dashed: bool,
    /// Extra CSS classes; only `[a-zA-Z0-9 _-]` is kept.
    pub class: String,
}

/// Which way layers advance: consumers on the left (top), providers on the right (bottom).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    #[default]
    LeftToRight,
    TopToBottom,
}

#[derive(Clone, Debug)]
pub struct GraphStyle {
    /// Draw same-`group` nodes inside a labelled background box (and keep them adjacent).
    pub clusters: bool,
    pub direction: Direction,
    /// Only the first `max_nodes` nodes are drawn; the rest are counted in a note.
    pub max_nodes: usize,
    /// When above zero, the edges meeting one side of a box are this far apart, the box
    /// growing across the layer axis to make room (few nodes, many edges: the domain picture).
    pub port_gap: f64,
}

impl Default for GraphStyle {
    fn default() -> Self {
        GraphStyle {
            clusters: true,
            direction: Direction::LeftToRight,
            max_nodes: 400,
            port_gap: 0.0,
        }
    }
}

/// Renders the graph as one complete `<svg>` element.
///
/// Edges with out-of-range endpoints are skipped, duplicates are drawn once (labels merged),
/// self loops are drawn as small loops. An empty graph renders a small "no dependencies" picture.
pub fn render(nodes: &[GNode], edges: &[GEdge], style: &GraphStyle) -> String {
    let shown = nodes.len().min(style.max_nodes);
    let hidden = nodes.len() - shown;
    if shown == 0 {
        return emit::render_empty(hidden);
    }
    Layout::new(&nodes[..shown], edges, style).to_svg(hidden)
}

/// Renders the graph as one complete `<svg>` element of two levels: each group (`GNode::group`,
/// described by `groups`) a box with its nodes laid out inside, the boxes laid out as a layered
/// graph, and the edges between two groups bundled into one arrow labelled with how many input
/// edges it stands for (`compound.rs` has the details and the attributes a script can use).
///
/// Like [`render`]: only the first `style.max_nodes` nodes are drawn, out-of-range edges are
/// skipped, and the same input always yields the same string.
pub fn render_compound(
    nodes: &[GNode],
    edges: &[GEdge],
    groups: &[GGroup],
    style: &GraphStyle,
) -> String {
    let shown = nodes.len().min(style.max_nodes);
    let hidden = nodes.len() - shown;
    if shown == 0 {
        return emit::render_empty(hidden);
    }
    compound::render(&nodes[..shown], edges, groups, style, hidden)
}

// ---------------------------------------------------------------------------------------------
// Geometry constants (px) and text limits of the input step or of several stages; a constant
// only one stage uses is in that stage's file. Text widths are estimates: there is no font
// metrics on the server.

const LABEL_PX_PER_CHAR: f64 = 7.2; // 13px
const SMALL_PX_PER_CHAR: f64 = 6.1; // 11px
const NODE_MIN_W: f64 = 90.0;
const NODE_H: f64 = 44.0;
const NODE_PAD_X: f64 = 12.0;
const MAX_LABEL_CHARS: usize = 48;
const MAX_SUB_CHARS: usize = 60;
const MAX_EDGE_LABEL_CHARS: usize = 40;
const EDGE_LABEL_H: f64 = 16.0;
/// Free space between layer columns; with the minimum box width the layer pitch is 200px.
const LAYER_GAP_LR: f64 = 110.0;
const LAYER_GAP_TB: f64 = 72.0;
/// Free space between neighbouring boxes of one layer.
const NODE_SEP_LR: f64 = 16.0;
const NODE_SEP_TB: f64 = 24.0;
const CLUSTER_PAD: f64 = 10.0;
const CLUSTER_LABEL_H: f64 = 18.0;

/// Default styles for the pictures, served as part of the page's stylesheet (an inline `<style>`
/// or `style=` attribute would be blocked by the Content-Security-Policy).
pub const STYLE: &str = concat!(
    ":where(.cg){font:13px system-ui,-apple-system,'Segoe UI',sans-serif}",
    ":where(.cg text){fill:currentColor}",
    ":where(.cg .cg-node rect){fill:currentColor;fill-opacity:.07;",
    "stroke:currentColor;stroke-opacity:.55}",
    ":where(.cg a:hover .cg-node rect){fill-opacity:.14;stroke-opacity:.9}",
    ":where(.cg .cg-label){font-weight:600}",
    ":where(.cg .cg-sub){font-size:11px;fill-opacity:.7}",
    ":where(.cg .cg-edge){fill:none;stroke:currentColor;stroke-opacity:.5;stroke-width:1.3}",
    ":where(.cg .cg-arrow){fill:currentColor;fill:context-stroke;fill-opacity:.6}",
    ":where(.cg .cg-cluster){fill:currentColor;fill-opacity:.035;",
    "stroke:currentColor;stroke-opacity:.25;stroke-dasharray:4 3}",
    ":where(.cg .cg-cluster-label){font-size:11px;font-weight:600;fill-opacity:.65}",
    ":where(.cg .cg-edge-label rect){fill:var(--cg-bg,Canvas);fill-opacity:.85}",
    ":where(.cg .cg-edge-label text){font-size:11px;fill-opacity:.8}",
    ":where(.cg .cg-note){font-size:12px;font-style:italic;fill-opacity:.7}",
    ":where(.cg .cg-group-box){fill:currentColor;fill-opacity:.03;stroke:currentColor;",
    "stroke-opacity:.4}",
    ":where(.cg .cg-group-label){font-size:15px;font-weight:700}",
    ":where(.cg .cg-group-sub){font-size:12px;fill-opacity:.7}",
    ":where(.cg .cg-bundle){stroke-width:2.4;stroke-opacity:.6}",
    ":where(.cg .cg-w1){stroke-width:1.4}:where(.cg .cg-w2){stroke-width:2.2}",
    ":where(.cg .cg-w3){stroke-width:3.2}:where(.cg .cg-w4){stroke-width:4.4}",
    ":where(.cg .cg-bundle-label text){font-size:12px;font-weight:700}",
);

// ---------------------------------------------------------------------------------------------
// Layout: the types the stages share, and the pipeline

/// A point in layout space: `m` along the layer axis, `c` across it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct P {
    m: f64,
    c: f64,
}

/// A box in picture coordinates (x right, y down).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// An edge as drawn: duplicates of one (from, to) pair merged.
#[derive(Clone, Debug)]
struct DrawEdge {
    from: usize,
    to: usize,
    labels: Vec<String>,
    dashed: bool,
    class: String,
}

/// The display text of a node, clipped, with its box width.
#[derive(Clone, Debug)]
struct NodeText {
    label: String,
    sub: String,
    width: f64,
}

/// The picture as the stages build it, in layout space.
struct Layout<'a> {
    nodes: &'a [GNode],
    lr: bool,
    port_gap: f64,
    group: Vec<Option<&'a str>>,
    text: Vec<NodeText>,
    edges: Vec<DrawEdge>,
    layer: Vec<usize>,
    layers: Vec<Vec<usize>>,
    /// Node centre along / across the layer axis, and box extent along / across it.
    mc: Vec<f64>,
    cc: Vec<f64>,
    ms: Vec<f64>,
    cs: Vec<f64>,
    col_start: Vec<f64>,
    col_end: Vec<f64>,
    /// Per drawn edge, the path from `from` to `to` in layout space, and where its label goes.
    routes: Vec<Vec<Seg>>,
    label_at: Vec<P>,
}

impl<'a> Layout<'a> {
    /// Runs the pipeline: input, layers, order, placement, routing.
    fn new(nodes: &'a [GNode], edges: &[GEdge], style: &GraphStyle) -> Layout<'a> {
        Layout::sized(nodes, edges, style, None)
    }

    /// [`Layout::new`] with the box sizes (width, height in picture space) given instead of
    /// estimated from the labels: the compound picture lays out its group boxes with it.
    fn sized(
        nodes: &'a [GNode],
        edges: &[GEdge],
        style: &GraphStyle,
        sizes: Option<&[(f64, f64)]>,
    ) -> Layout<'a> {
        let n = nodes.len();
        let lr = style.direction == Direction::LeftToRight;
        let group: Vec<Option<&str>> = nodes
            .iter()
            .map(|nd| {
                let g = nd.group.as_deref().map(str::trim).filter(|g| !g.is_empty());
                g.filter(|_| style.clusters)
            })
            .collect();
        let text: Vec<NodeText> = nodes.iter().map(NodeText::new).collect();
        let edges = collect_edges(n, edges);
        let (layer, nlayers) = assign_layers(nodes, &edges);
        let (preds, succs) = neighbours(&layer, &edges);
        let layers = order_layers(&layer, nlayers, &preds, &succs, &group);

        // Edges meeting the busiest side of each box, when they are to be spread `port_gap` apart.
        let mut busiest = vec![0usize; n];
        if style.port_gap > 0.0 {
            let (mut lo_side, mut hi_side) = (vec![0usize; n], vec![0usize; n]);
            for e in &edges {
                let (a, b) = if layer[e.from] <= layer[e.to] {
                    (e.from, e.to)
                } else {
                    (e.to, e.from)
                };
                if layer[a] != layer[b] {
                    lo_side[a] += 1;
                    hi_side[b] += 1;
                }
            }
            for v in 0..n {
                busiest[v] = lo_side[v].max(hi_side[v]);
            }
        }
        let (ms, cs): (Vec<f64>, Vec<f64>) = text
            .iter()
            .enumerate()
            .map(|(v, t)| {
                let room = busiest[v].saturating_sub(1) as f64 * style.port_gap + 16.0;
                let (w, h) = sizes
                    .and_then(|s| s.get(v).copied())
                    .unwrap_or((t.width, NODE_H.max(room)));
                if lr {
                    (w, h)
                } else {
                    (h, w)
                }
            })
            .unzip();
        let mut layout = Layout {
            nodes,
            lr,
            port_gap: style.port_gap,
            group,
            text,
            edges,
            layer,
            layers,
            mc: vec![0.0; n],
            cc: vec![0.0; n],
            ms,
            cs,
            col_start: Vec::new(),
            col_end: Vec::new(),
            routes: Vec::new(),
            label_at: Vec::new(),
        };
        let gaps = layout.separations();
        layout.cc = place_cross(&layout.layers, &gaps, &preds, &succs, n);
        layout.place_main(style.clusters);
        layout.route_edges();
        layout
    }

    /// The edge's endpoints ordered by layer (lower first); ties keep `from` first.
    fn ordered(&self, e: &DrawEdge) -> (usize, usize) {
        if self.layer[e.from] <= self.layer[e.to] {
            (e.from, e.to)
        } else {
            (e.to, e.from)
        }
    }
}

impl Rect {
    fn union(&self, o: &Rect) -> Rect {
        let x = self.x.min(o.x);
        let y = self.y.min(o.y);
        Rect {
            x,
            y,
            w: (self.x + self.w).max(o.x + o.w) - x,
            h: (self.y + self.h).max(o.y + o.h) - y,
        }
    }

    fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

impl NodeText {
    fn new(node: &GNode) -> NodeText {
        let label = clip(&node.label, MAX_LABEL_CHARS);
        let sub = clip(&node.sublabel, MAX_SUB_CHARS);
        let text = text_width(&label, LABEL_PX_PER_CHAR).max(text_width(&sub, SMALL_PX_PER_CHAR));
        NodeText {
            label,
            sub,
            width: (text + 2.0 * NODE_PAD_X).ceil().max(NODE_MIN_W),
        }
    }
}

fn collect_edges(n: usize, edges: &[GEdge]) -> Vec<DrawEdge> {
    let mut index: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let mut out: Vec<DrawEdge> = Vec::new();
    for e in edges {
        if e.from >= n || e.to >= n {
            continue;
        }
        let label = e.label.as_deref().map(str::trim).filter(|l| !l.is_empty());
        match index.get(&(e.from, e.to)) {
            Some(&i) => {
                let d = &mut out[i];
                d.dashed &= e.dashed;
                if let Some(l) = label {
                    if d.labels.len() < 8 && !d.labels.iter().any(|x| x == l) {
                        d.labels.push(l.to_string());
                    }
                }
            }
            None => {
                index.insert((e.from, e.to), out.len());
                out.push(DrawEdge {
                    from: e.from,
                    to: e.to,
                    labels: label.map(|l| vec![l.to_string()]).unwrap_or_default(),
                    dashed: e.dashed,
                    class: emit::sanitize_class(&e.class),
                });
            }
        }
    }
    out
}

fn edge_label(e: &DrawEdge) -> Option<String> {
    if e.labels.is_empty() {
        None
    } else {
        Some(clip(&e.labels.join(", "), MAX_EDGE_LABEL_CHARS))
    }
}

// ---------------------------------------------------------------------------------------------
// Text

/// Display text: controls become spaces, cut to `max` characters with an ellipsis.
/// Tooltips are clipped too, generously, so one huge field cannot bloat the page.
fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    let mut out: String = s
        .chars()
        .take(max)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().nth(max).is_some() {
        out.pop();
        out.push('\u{2026}');
    }
    out
}

/// Estimated text width; East Asian wide characters and emoji count almost double.
fn text_width(s: &str, px_per_char: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            '\u{1100}'..='\u{115F}'
            | '\u{2E80}'..='\u{A4CF}'
            | '\u{AC00}'..='\u{D7A3}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FE30}'..='\u{FE4F}'
            | '\u{FF00}'..='\u{FF60}'
            | '\u{FFE0}'..='\u{FFE6}'
            | '\u{1F300}'..='\u{1FAFF}'
            | '\u{20000}'..='\u{3FFFD}' => 1.8,
            _ => 1.0,
        })
        .sum::<f64>()
        * px_per_char
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    #[test]
    fn consumers_sit_left_of_providers() {
        // web -> api -> db, web -> db, plus an unrelated source pulled next to its dependency.
        let ns = nodes(&["web", "api", "db", "cron"]);
        let es = edges(&[(0, 1), (1, 2), (0, 2), (3, 2)]);
        let l = layout(&ns, &es, &GraphStyle::default());
        assert_eq!(l.layer, vec![0, 1, 2, 1]);
        assert!(l.mc[0] < l.mc[1] && l.mc[1] < l.mc[2]);
        // Layer pitch is about 200px with minimum-width boxes.
        assert_eq!(l.mc[1] - l.mc[0], 200.0);
        let svg = render(&ns, &es, &GraphStyle::default());
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "<g class=\"cg-node\" data-node"), 4);
        assert_eq!(count(&svg, "<path class=\"cg-edge\""), 4);
    }

    #[test]
    fn out_of_range_and_duplicate_edges() {
        let ns = nodes(&["a", "b"]);
        let mut es = edges(&[(0, 1), (0, 7), (usize::MAX, 0), (0, 1)]);
        es[0].label = Some("http".into());
        es[3].label = Some("grpc".into());
        let svg = render(&ns, &es, &GraphStyle::default());
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "<path class=\"cg-edge"), 1);
        assert!(svg.contains(">http, grpc</text>"));
    }

    #[test]
    fn output_is_deterministic() {
        let (ns, es) = random_graph(7, 60, 150);
        let style = GraphStyle::default();
        let first = render(&ns, &es, &style);
        assert_eq!(first, render(&ns, &es, &style));
        assert_eq!(first, render(&ns.clone(), &es.clone(), &style.clone()));
    }

    #[test]
    fn max_nodes_truncates_with_note() {
        let ns = nodes(&["a", "b", "c", "d", "e"]);
        let es = edges(&[(0, 1), (1, 4), (3, 2)]);
        let style = GraphStyle {
            max_nodes: 3,
            ..GraphStyle::default()
        };
        let svg = render(&ns, &es, &style);
        assert_well_formed(&svg);
        assert!(svg.contains(">2 more not shown</text>"));
        assert_eq!(count(&svg, "<g class=\"cg-node\" data-node"), 3);
        assert_eq!(count(&svg, "<path class=\"cg-edge"), 1);
        let none = GraphStyle {
            max_nodes: 0,
            ..GraphStyle::default()
        };
        assert!(render(&ns, &es, &none).contains(">5 more not shown</text>"));
        assert!(!render(&ns, &es, &GraphStyle::default()).contains("not shown"));
    }

    #[test]
    fn long_labels_are_clipped_and_widen_boxes() {
        let long = "x".repeat(500);
        let t = NodeText::new(&node(&long));
        assert_eq!(t.label.chars().count(), MAX_LABEL_CHARS);
        assert!(t.label.ends_with('\u{2026}'));
        assert_eq!(t.width, (47.0 * 7.2 + 7.2 + 24.0f64).ceil());
        assert_eq!(NodeText::new(&node("db")).width, NODE_MIN_W);
    }

    #[test]
    fn random_graphs_render_well_formed() {
        for seed in 0..40 {
            let (mut ns, es) = random_graph(seed, 1 + seed as usize * 3, seed as usize * 8);
            if seed % 3 == 0 {
                for (i, nd) in ns.iter_mut().enumerate() {
                    nd.layer = Some((i % 5) as i32 - 2);
                }
            }
            let style = GraphStyle {
                clusters: seed % 2 == 0,
                direction: if seed % 4 < 2 {
                    Direction::LeftToRight
                } else {
                    Direction::TopToBottom
                },
                max_nodes: 100,
                port_gap: if seed % 5 == 0 { 12.0 } else { 0.0 },
            };
            let svg = render(&ns, &es, &style);
            assert_well_formed(&svg);
            let shown = ns.len().min(style.max_nodes);
            assert_routes_clear(&layout(&ns[..shown], &es, &style));
        }
    }

    #[test]
    fn large_graph_renders() {
        let (ns, es) = random_graph(42, 400, 1500);
        let svg = render(&ns, &es, &GraphStyle::default());
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "<g class=\"cg-node\" data-node"), 400);
    }
}
