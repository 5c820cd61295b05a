//! The two-level (compound) picture: every group is a real box with its nodes laid out inside
//! it, and the boxes are laid out by the same layered pipeline, each as one big node.
//!
//! 1. Nodes are split by group (`GNode::group`, trimmed; none is the group `""`); groups are
//!    ordered by name, members keep the input order.
//! 2. Inside a group, each connected part (nodes linked by the group's own edges) is laid out
//!    by [`Layout`], the parts packed in rows, biggest first; the nodes without an inner edge
//!    follow in a compact grid below them, so a big group is a block, not a column.
//! 3. The group boxes, sized by their content, are laid out by [`Layout::sized`] on the
//!    graph of groups: one edge per ordered pair of groups (a bundle), labelled with how many
//!    input edges it stands for. Every input edge counts, duplicates too: a caller passing one
//!    edge per dependency gets the number of dependencies.
//! 4. Emitted: group boxes (header linked to `GGroup::href`), bundles, inner edges, nodes,
//!    bundle counts. Each node has `data-node` (its input index); each edge has `data-ends`,
//!    the indices of the nodes it stands for (two for an inner edge, every endpoint for a
//!    bundle), so a script can light up a node's own edges with an attribute selector.
//!    Bundles and their counts carry `data-from-group`/`data-to-group`, group boxes
//!    `data-group` and `data-size` (nodes drawn inside).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::hash::Hasher as _;

use fnv::FnvHasher;

use super::emit::{
    close_svg, open_svg, place_labels, safe_href, write_edge, write_label_box, write_marker,
    write_node, Bounds, Esc, PathSeg, MARGIN, MAX_TITLE_CHARS, N, NOTE_H,
};
use super::{
    clip, collect_edges, text_width, Direction, DrawEdge, GEdge, GNode, GraphStyle, Layout,
    NodeText, Rect, MAX_LABEL_CHARS, NODE_H, SMALL_PX_PER_CHAR,
};

/// A group of the compound picture: the box its nodes are drawn in.
#[derive(Clone, Debug, Default)]
pub struct GGroup {
    /// What `GNode::group` names.
    pub name: String,
    /// Heading of the box; the name when empty.
    pub label: String,
    /// Small line under the heading (e.g. "12 systems").
    pub sublabel: String,
    /// Link of the heading (e.g. the group's own picture). Script and data URLs are dropped.
    pub href: Option<String>,
    /// Tooltip of the heading; the label when empty.
    pub title: String,
}

const GROUP_PAD: f64 = 14.0;
/// The width-to-height ratio the layout of the group boxes aims at.
const TARGET_RATIO: f64 = 1.6;
const GROUP_HEAD: f64 = 44.0;
const GROUP_LABEL_PX_PER_CHAR: f64 = 8.4; // 15px bold
const GRID_SEP: f64 = 16.0;
/// Between the laid-out parts of a group and the grid of its unconnected nodes.
const BLOCK_GAP: f64 = 28.0;
/// Between two connected parts of a group.
const PART_GAP: f64 = 32.0;

/// A group's box content, in coordinates relative to the content's top left corner.
struct Content {
    members: Vec<usize>,
    /// Per member (same order), its box.
    rects: Vec<Rect>,
    /// Inner edges (global node indices) with their paths.
    edges: Vec<(DrawEdge, Vec<PathSeg>)>,
    w: f64,
    h: f64,
}

struct Bundle {
    from: usize,
    to: usize,
    count: usize,
    ends: BTreeSet<usize>,
}

pub(super) fn render(
    nodes: &[GNode],
    edges: &[GEdge],
    groups: &[GGroup],
    style: &GraphStyle,
    hidden: usize,
) -> String {
    let n = nodes.len();
    let top_style = GraphStyle {
        clusters: false,
        ..style.clone()
    };
    let inner_style = GraphStyle {
        port_gap: 0.0,
        ..top_style.clone()
    };

    // 1. Groups by name; members in input order.
    let mut by_group: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (v, nd) in nodes.iter().enumerate() {
        let g = nd.group.as_deref().map_or("", str::trim);
        by_group.entry(g).or_default().push(v);
    }
    let names: Vec<&str> = by_group.keys().copied().collect();
    let mut group_of = vec![0usize; n];
    for (g, members) in by_group.values().enumerate() {
        for &v in members {
            group_of[v] = g;
        }
    }

    // Edges: inner ones drawn once per pair, the others counted per pair of groups.
    let drawn = collect_edges(n, edges);
    let mut inner: Vec<Vec<DrawEdge>> = vec![Vec::new(); names.len()];
    for e in drawn {
        if group_of[e.from] == group_of[e.to] {
            inner[group_of[e.from]].push(e);
        }
    }
    let mut bundles: BTreeMap<(usize, usize), Bundle> = BTreeMap::new();
    for e in edges {
        if e.from >= n || e.to >= n {
            continue;
        }
        let (a, b) = (group_of[e.from], group_of[e.to]);
        if a == b {
            continue;
        }
        let bundle = bundles.entry((a, b)).or_insert_with(|| Bundle {
            from: a,
            to: b,
            count: 0,
            ends: BTreeSet::new(),
        });
        bundle.count += 1;
        bundle.ends.insert(e.from);
        bundle.ends.insert(e.to);
    }

    // 2. Each group's content.
    let contents: Vec<Content> = by_group
        .values()
        .zip(&inner)
        .map(|(members, es)| content(nodes, members, es, &inner_style))
        .collect();

    // 3. The boxes, laid out as nodes of the graph of groups.
    let info: Vec<GGroup> = names
        .iter()
        .map(|&name| {
            let mut g = groups
                .iter()
                .find(|g| g.name.trim() == name)
                .cloned()
                .unwrap_or_default();
            if g.label.trim().is_empty() {
                g.label = name.to_string();
            }
            g
        })
        .collect();
    let sizes: Vec<(f64, f64)> = contents
        .iter()
        .zip(&info)
        .map(|(c, g)| {
            let head = text_width(&clip(&g.label, MAX_LABEL_CHARS), GROUP_LABEL_PX_PER_CHAR).max(
                text_width(&clip(&g.sublabel, MAX_LABEL_CHARS), SMALL_PX_PER_CHAR),
            );
            (
                (c.w.max(head) + 2.0 * GROUP_PAD).ceil(),
                (GROUP_HEAD + c.h + GROUP_PAD).ceil(),
            )
        })
        .collect();
    let group_nodes: Vec<GNode> = info
        .iter()
        .map(|g| GNode {
            label: g.label.clone(),
            ..GNode::default()
        })
        .collect();
    let group_edges: Vec<GEdge> = bundles
        .values()
        .map(|b| GEdge {
            from: b.from,
            to: b.to,
            label: Some(b.count.to_string()),
            dashed: false,
            class: format!("cg-bundle {}", weight_class(b.count)),
        })
        .collect();
    // The boxes flow the way that gives the picture the shape closest to a wide screen: a
    // chain of groups side by side, many groups in rows.
    let layout = |direction: Direction| {
        let style = GraphStyle {
            direction,
            ..top_style.clone()
        };
        let l = Layout::sized(&group_nodes, &group_edges, &style, Some(&sizes));
        let mut b = Bounds::default();
        (0..names.len()).for_each(|g| b.rect(&l.node_rect(g)));
        let ratio = (b.max_x - b.min_x).max(1.0) / (b.max_y - b.min_y).max(1.0);
        let misfit = (ratio / TARGET_RATIO).max(TARGET_RATIO / ratio);
        (l, misfit)
    };
    let (lr, lr_misfit) = layout(Direction::LeftToRight);
    let (tb, tb_misfit) = layout(Direction::TopToBottom);
    let top = if tb_misfit < lr_misfit { tb } else { lr };
    let boxes: Vec<Rect> = (0..names.len()).map(|g| top.node_rect(g)).collect();

    // 4. Bounds and text.
    let mut bounds = Bounds::default();
    boxes.iter().for_each(|r| bounds.rect(r));
    let paths: Vec<Vec<PathSeg>> = top
        .routes
        .iter()
        .map(|segs| segs.iter().map(|s| top.map_seg(s)).collect())
        .collect();
    for seg in paths.iter().flatten() {
        bounds.point(seg.start);
        seg.rest.iter().for_each(|&p| bounds.point(p));
    }
    // Bundles are in `top.edges` order, which is `group_edges` order (pairs are distinct).
    let bundle_list: Vec<&Bundle> = bundles.values().collect();
    let mut wanted: Vec<((f64, f64), &[PathSeg], f64)> = Vec::new();
    let mut texts: Vec<(String, usize)> = Vec::new();
    for (i, ((e, &at), segs)) in top.edges.iter().zip(&top.label_at).zip(&paths).enumerate() {
        let Some(label) = e.labels.first() else {
            continue;
        };
        wanted.push((
            top.xy(at),
            segs,
            text_width(label, SMALL_PX_PER_CHAR) + 12.0,
        ));
        texts.push((label.clone(), i));
    }
    let mut labels: Vec<(Rect, String, usize)> = Vec::new();
    for (r, (label, i)) in place_labels(&wanted, &boxes).into_iter().zip(texts) {
        bounds.rect(&r);
        labels.push((r, label, i));
    }
    let x0 = bounds.min_x - MARGIN;
    let y0 = bounds.min_y - MARGIN;
    let w = (bounds.max_x - bounds.min_x + 2.0 * MARGIN).ceil();
    let note_h = if hidden > 0 { NOTE_H } else { 0.0 };
    let h = (bounds.max_y - bounds.min_y + 2.0 * MARGIN + note_h).ceil();

    let marker = format!("cg-arrow-{:016x}", fingerprint(nodes, edges));
    let mut out = String::with_capacity(4096 + 450 * n + 250 * edges.len());
    open_svg(&mut out, (x0, y0, w, h));
    write_marker(&mut out, &marker);

    let origin = |g: usize| (boxes[g].x + GROUP_PAD, boxes[g].y + GROUP_HEAD);
    out.push_str("<g class=\"cg-groups\">");
    for (g, (r, info)) in boxes.iter().zip(&info).enumerate() {
        let _ = write!(
            out,
            "<g class=\"cg-group\" data-group=\"{}\" data-size=\"{}\"><rect class=\"cg-cluster \
             cg-group-box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"10\"/>",
            Esc(&clip(names[g], MAX_TITLE_CHARS)),
            contents[g].members.len(),
            N(r.x),
            N(r.y),
            N(r.w),
            N(r.h)
        );
        let href = info.href.as_deref().and_then(safe_href);
        if let Some(href) = href {
            let _ = write!(out, "<a class=\"cg-group-link\" href=\"{}\">", Esc(href));
        }
        let title = if info.title.trim().is_empty() {
            &info.label
        } else {
            &info.title
        };
        let _ = write!(
            out,
            "<g class=\"cg-group-head\"><title>{}</title><text class=\"cg-group-label\" x=\"{}\" \
             y=\"{}\">{}</text>",
            Esc(&clip(title, MAX_TITLE_CHARS)),
            N(r.x + GROUP_PAD),
            N(r.y + 21.0),
            Esc(&clip(&info.label, MAX_LABEL_CHARS))
        );
        if !info.sublabel.trim().is_empty() {
            let _ = write!(
                out,
                "<text class=\"cg-group-sub\" x=\"{}\" y=\"{}\">{}</text>",
                N(r.x + GROUP_PAD),
                N(r.y + 37.0),
                Esc(&clip(&info.sublabel, MAX_LABEL_CHARS))
            );
        }
        out.push_str("</g>");
        if href.is_some() {
            out.push_str("</a>");
        }
        out.push_str("</g>");
    }
    out.push_str("</g>");

    out.push_str("<g class=\"cg-edges\">");
    for ((e, segs), b) in top.edges.iter().zip(&paths).zip(&bundle_list) {
        let ends = join(&b.ends);
        let title = format!(
            "{} \u{2192} {}: {}",
            info[b.from].label, info[b.to].label, b.count
        );
        let attrs = [
            ("data-ends", ends.as_str()),
            ("data-from-group", names[b.from]),
            ("data-to-group", names[b.to]),
            ("data-count", &b.count.to_string()),
        ];
        write_edge(&mut out, e, segs, &attrs, &marker, &title);
    }
    for (g, c) in contents.iter().enumerate() {
        let (ox, oy) = origin(g);
        for (e, segs) in &c.edges {
            let moved: Vec<PathSeg> = segs.iter().map(|s| shift(s, ox, oy)).collect();
            let ends = format!("{} {}", e.from, e.to);
            let title = format!("{} \u{2192} {}", nodes[e.from].label, nodes[e.to].label);
            write_edge(
                &mut out,
                e,
                &moved,
                &[("data-ends", &ends)],
                &marker,
                &title,
            );
        }
    }
    out.push_str("</g>");

    out.push_str("<g class=\"cg-nodes\">");
    for (g, c) in contents.iter().enumerate() {
        let (ox, oy) = origin(g);
        for (&v, r) in c.members.iter().zip(&c.rects) {
            let r = Rect {
                x: r.x + ox,
                y: r.y + oy,
                ..*r
            };
            write_node(&mut out, v, &nodes[v], &NodeText::new(&nodes[v]), &r);
        }
    }
    out.push_str("</g>");

    if !labels.is_empty() {
        out.push_str("<g class=\"cg-edge-labels\">");
        for (r, label, i) in &labels {
            let b = bundle_list[*i];
            let _ = write!(
                out,
                "<g class=\"cg-edge-label cg-bundle-label\" data-ends=\"{}\" \
                 data-from-group=\"{}\" data-to-group=\"{}\">",
                join(&b.ends),
                Esc(names[b.from]),
                Esc(names[b.to]),
            );
            write_label_box(&mut out, r, label);
        }
        out.push_str("</g>");
    }
    close_svg(&mut out, hidden, &bounds);
    out
}

/// Lays out one group's members: each connected part by the layered pipeline on the group's
/// own edges, the parts packed in rows (biggest first), then the nodes without an inner edge
/// in a grid below them.
fn content(nodes: &[GNode], members: &[usize], edges: &[DrawEdge], style: &GraphStyle) -> Content {
    // Connected parts (union-find over the inner edges, self loops aside).
    let index: BTreeMap<usize, usize> = members.iter().enumerate().map(|(i, &v)| (v, i)).collect();
    let mut parent: Vec<usize> = (0..members.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut linked = vec![false; members.len()];
    for e in edges.iter().filter(|e| e.from != e.to) {
        let (Some(&a), Some(&b)) = (index.get(&e.from), index.get(&e.to)) else {
            continue;
        };
        linked[a] = true;
        linked[b] = true;
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let mut parts: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut lone = Vec::new();
    for (i, &v) in members.iter().enumerate() {
        if linked[i] {
            let r = root(&mut parent, i);
            parts.entry(r).or_default().push(v);
        } else {
            lone.push(v);
        }
    }
    let mut blocks: Vec<Content> = parts
        .into_values()
        .map(|part| layered_part(nodes, &part, edges, style))
        .collect();
    // Biggest first; ties keep the members' order (the sort is stable).
    blocks.sort_by(|a, b| (b.w * b.h).total_cmp(&(a.w * a.h)));

    let mut out = Content {
        members: Vec::with_capacity(members.len()),
        rects: Vec::with_capacity(members.len()),
        edges: Vec::new(),
        w: 0.0,
        h: 0.0,
    };
    // The grid of nodes without inner edges: roughly square in pixels.
    let texts: Vec<NodeText> = lone.iter().map(|&v| NodeText::new(&nodes[v])).collect();
    let cell = texts.iter().map(|t| t.width).fold(0.0, f64::max);
    let square = ((lone.len() as f64) * (NODE_H + GRID_SEP) / (cell + GRID_SEP))
        .sqrt()
        .ceil();
    // Rows of parts no narrower than the widest part nor than that grid, and about 1.6 times
    // as wide as the parts are tall.
    let area: f64 = blocks
        .iter()
        .map(|b| (b.w + PART_GAP) * (b.h + PART_GAP))
        .sum();
    let widest = blocks.iter().map(|b| b.w).fold(0.0, f64::max);
    let row_w = widest
        .max((area * TARGET_RATIO).sqrt())
        .max(square * (cell + GRID_SEP) - GRID_SEP);
    let (mut x, mut y, mut row_h) = (0.0f64, 0.0f64, 0.0f64);
    for b in blocks {
        if x > 0.0 && x + b.w > row_w {
            x = 0.0;
            y += row_h + PART_GAP;
            row_h = 0.0;
        }
        out.members.extend(&b.members);
        out.rects.extend(b.rects.iter().map(|r| Rect {
            x: r.x + x,
            y: r.y + y,
            ..*r
        }));
        out.edges.extend(b.edges.into_iter().map(|(e, segs)| {
            let moved = segs.iter().map(|s| shift(s, x, y)).collect();
            (e, moved)
        }));
        out.w = out.w.max(x + b.w);
        out.h = out.h.max(y + b.h);
        row_h = row_h.max(b.h);
        x += b.w + PART_GAP;
    }

    if !lone.is_empty() {
        let k = lone.len();
        // At least as wide as the parts above.
        let fill = ((out.w + GRID_SEP) / (cell + GRID_SEP)).floor();
        let cols = (square.max(fill).max(1.0) as usize).min(k);
        let top = if out.h > 0.0 { out.h + BLOCK_GAP } else { 0.0 };
        for (i, &v) in lone.iter().enumerate() {
            let (row, col) = (i / cols, i % cols);
            out.members.push(v);
            out.rects.push(Rect {
                x: col as f64 * (cell + GRID_SEP) + (cell - texts[i].width) / 2.0,
                y: top + row as f64 * (NODE_H + GRID_SEP),
                w: texts[i].width,
                h: NODE_H,
            });
        }
        let rows = k.div_ceil(cols);
        out.w = out.w.max(cols as f64 * (cell + GRID_SEP) - GRID_SEP);
        out.h = top + rows as f64 * (NODE_H + GRID_SEP) - GRID_SEP;
    }
    // A node whose only inner edge is to itself is in the grid, its loop not drawn.
    out
}

/// One connected part of a group, laid out by the layered pipeline, moved to start at 0, 0.
fn layered_part(
    nodes: &[GNode],
    part: &[usize],
    edges: &[DrawEdge],
    style: &GraphStyle,
) -> Content {
    let local: BTreeMap<usize, usize> = part.iter().enumerate().map(|(i, &v)| (v, i)).collect();
    let sub: Vec<GNode> = part
        .iter()
        .map(|&v| GNode {
            group: None,
            layer: None,
            ..nodes[v].clone()
        })
        .collect();
    let sub_edges: Vec<GEdge> = edges
        .iter()
        .filter_map(|e| {
            let (Some(&a), Some(&b)) = (local.get(&e.from), local.get(&e.to)) else {
                return None;
            };
            Some(GEdge {
                from: a,
                to: b,
                label: None,
                dashed: e.dashed,
                class: e.class.clone(),
            })
        })
        .collect();
    let l = Layout::new(&sub, &sub_edges, style);
    let mut b = Bounds::default();
    let sub_rects: Vec<Rect> = (0..sub.len()).map(|v| l.node_rect(v)).collect();
    sub_rects.iter().for_each(|r| b.rect(r));
    let sub_paths: Vec<Vec<PathSeg>> = l
        .routes
        .iter()
        .map(|segs| segs.iter().map(|s| l.map_seg(s)).collect())
        .collect();
    for seg in sub_paths.iter().flatten() {
        b.point(seg.start);
        seg.rest.iter().for_each(|&p| b.point(p));
    }
    let rects = sub_rects
        .iter()
        .map(|r| Rect {
            x: r.x - b.min_x,
            y: r.y - b.min_y,
            ..*r
        })
        .collect();
    let edges = l
        .edges
        .iter()
        .zip(sub_paths)
        .map(|(e, segs)| {
            let global = DrawEdge {
                from: part[e.from],
                to: part[e.to],
                labels: Vec::new(),
                dashed: e.dashed,
                class: e.class.clone(),
            };
            let moved = segs.iter().map(|s| shift(s, -b.min_x, -b.min_y)).collect();
            (global, moved)
        })
        .collect();
    Content {
        members: part.to_vec(),
        rects,
        edges,
        w: b.max_x - b.min_x,
        h: b.max_y - b.min_y,
    }
}

fn shift(s: &PathSeg, dx: f64, dy: f64) -> PathSeg {
    let m = |p: (f64, f64)| (p.0 + dx, p.1 + dy);
    PathSeg {
        start: m(s.start),
        rest: [m(s.rest[0]), m(s.rest[1]), m(s.rest[2])],
        curve: s.curve,
    }
}

/// How heavy a bundle is drawn: `cg-w1` (one edge), `cg-w2` (2-3), `cg-w3` (4-9), `cg-w4` (10
/// or more); the stylesheet thickens them.
pub fn weight_class(count: usize) -> &'static str {
    match count {
        0 | 1 => "cg-w1",
        2 | 3 => "cg-w2",
        4..=9 => "cg-w3",
        _ => "cg-w4",
    }
}

fn join(ends: &BTreeSet<usize>) -> String {
    let mut s = String::with_capacity(ends.len() * 4);
    for (i, v) in ends.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{v}");
    }
    s
}

/// FNV-1a of the labels, groups and edges: the marker id, different for different pictures.
fn fingerprint(nodes: &[GNode], edges: &[GEdge]) -> u64 {
    let mut h = FnvHasher::default();
    h.write(b"compound");
    for nd in nodes {
        h.write(nd.label.as_bytes());
        h.write(&[0]);
        h.write(nd.group.as_deref().unwrap_or("").as_bytes());
        h.write(&[0]);
    }
    for e in edges {
        h.write(&(e.from as u64).to_le_bytes());
        h.write(&(e.to as u64).to_le_bytes());
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_well_formed, random_graph};
    use super::super::{render_compound, GEdge, GGroup, GNode, GraphStyle};
    use std::collections::BTreeMap;

    /// The value of attribute `name` in the tag text `tag`.
    fn attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(&tag[at..at + tag[at..].find('"')?])
    }

    fn num(tag: &str, name: &str) -> f64 {
        attr(tag, name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }

    /// (x, y, w, h) of the first `<rect` after `from`.
    fn rect_after(svg: &str, from: usize) -> (f64, f64, f64, f64) {
        let start = from + svg[from..].find("<rect").unwrap();
        let tag = &svg[start..start + svg[start..].find('>').unwrap()];
        (
            num(tag, "x"),
            num(tag, "y"),
            num(tag, "width"),
            num(tag, "height"),
        )
    }

    /// Group name -> box; node index -> box; (from group, to group) -> drawn count and ends.
    #[allow(clippy::type_complexity)]
    fn parse(
        svg: &str,
    ) -> (
        BTreeMap<String, (f64, f64, f64, f64)>,
        BTreeMap<usize, (f64, f64, f64, f64)>,
        BTreeMap<(String, String), (usize, Vec<usize>)>,
    ) {
        let mut groups = BTreeMap::new();
        for (i, _) in svg.match_indices("<g class=\"cg-group\"") {
            let tag = &svg[i..i + svg[i..].find('>').unwrap()];
            groups.insert(
                attr(tag, "data-group").unwrap().to_string(),
                rect_after(svg, i),
            );
        }
        let mut nodes = BTreeMap::new();
        for (i, _) in svg.match_indices("<g class=\"cg-node") {
            let tag = &svg[i..i + svg[i..].find('>').unwrap()];
            if tag.starts_with("<g class=\"cg-nodes") {
                continue;
            }
            let id: usize = attr(tag, "data-node").unwrap().parse().unwrap();
            assert!(
                nodes.insert(id, rect_after(svg, i)).is_none(),
                "node {id} twice"
            );
        }
        let mut bundles = BTreeMap::new();
        for (i, _) in svg.match_indices("<path class=\"cg-edge cg-bundle ") {
            let tag = &svg[i..i + svg[i..].find('>').unwrap()];
            let key = (
                attr(tag, "data-from-group").unwrap().to_string(),
                attr(tag, "data-to-group").unwrap().to_string(),
            );
            let ends = attr(tag, "data-ends")
                .unwrap()
                .split(' ')
                .map(|v| v.parse().unwrap())
                .collect();
            let count = attr(tag, "data-count").unwrap().parse().unwrap();
            assert!(bundles.insert(key, (count, ends)).is_none(), "bundle twice");
        }
        (groups, nodes, bundles)
    }

    fn group_of(nd: &GNode) -> String {
        nd.group.as_deref().unwrap_or("").trim().to_string()
    }

    #[test]
    fn every_node_is_inside_its_group_box_and_bundles_count_edges() {
        for seed in 0..30u64 {
            let (ns, es) = random_graph(seed, 2 + seed as usize * 4, seed as usize * 10);
            let groups: Vec<GGroup> = (0..5)
                .map(|d| GGroup {
                    name: format!("domain-{d}"),
                    sublabel: "a group".into(),
                    href: Some(format!("/graph?domain=domain-{d}")),
                    ..GGroup::default()
                })
                .collect();
            let svg = render_compound(&ns, &es, &groups, &GraphStyle::default());
            assert_well_formed(&svg);
            let (boxes, nodes, bundles) = parse(&svg);
            assert_eq!(nodes.len(), ns.len(), "seed {seed}: every node drawn once");
            for (&v, &(x, y, w, h)) in &nodes {
                let g = group_of(&ns[v]);
                let (gx, gy, gw, gh) = boxes[&g];
                assert!(
                    x >= gx && y >= gy && x + w <= gx + gw && y + h <= gy + gh,
                    "seed {seed}: node {v} ({x},{y},{w},{h}) outside {g:?} ({gx},{gy},{gw},{gh})"
                );
            }
            // Group boxes never overlap.
            let all: Vec<_> = boxes.values().collect();
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    let apart = a.0 + a.2 <= b.0
                        || b.0 + b.2 <= a.0
                        || a.1 + a.3 <= b.1
                        || b.1 + b.3 <= a.1;
                    assert!(apart, "seed {seed}: group boxes overlap: {a:?} {b:?}");
                }
            }
            // A bundle per pair of groups with edges between them, counting every input edge.
            let mut expected: BTreeMap<(String, String), (usize, Vec<usize>)> = BTreeMap::new();
            for e in es.iter().filter(|e| e.from < ns.len() && e.to < ns.len()) {
                let (a, b) = (group_of(&ns[e.from]), group_of(&ns[e.to]));
                if a != b {
                    let entry = expected.entry((a, b)).or_default();
                    entry.0 += 1;
                    entry.1.extend([e.from, e.to]);
                }
            }
            for (_, ends) in expected.values_mut() {
                ends.sort_unstable();
                ends.dedup();
            }
            assert_eq!(bundles, expected, "seed {seed}");
            // Each count is also shown as the bundle's label.
            let labels = svg
                .matches("<g class=\"cg-edge-label cg-bundle-label\"")
                .count();
            assert_eq!(labels, expected.len(), "seed {seed}");
        }
    }

    #[test]
    fn compound_output_is_deterministic() {
        let (ns, es) = random_graph(11, 80, 240);
        let style = GraphStyle {
            port_gap: 10.0,
            ..GraphStyle::default()
        };
        let first = render_compound(&ns, &es, &[], &style);
        assert_eq!(first, render_compound(&ns, &es, &[], &style));
        assert_eq!(
            first,
            render_compound(&ns.clone(), &es.clone(), &[], &style.clone())
        );
    }

    #[test]
    fn groups_are_labelled_linked_and_escaped() {
        let mut ns = vec![GNode::default(); 3];
        for (i, (nd, g)) in ns.iter_mut().zip(["<a&b>", "<a&b>", "z"]).enumerate() {
            nd.label = format!("s{i}");
            nd.group = Some(g.into());
        }
        let es = vec![
            GEdge {
                from: 0,
                to: 2,
                ..GEdge::default()
            },
            GEdge {
                from: 1,
                to: 2,
                ..GEdge::default()
            },
            GEdge {
                from: 0,
                to: 1,
                ..GEdge::default()
            },
        ];
        let groups = vec![GGroup {
            name: "<a&b>".into(),
            label: "A & B".into(),
            sublabel: "2 systems".into(),
            href: Some("javascript:alert(1)".into()),
            title: String::new(),
        }];
        let svg = render_compound(&ns, &es, &groups, &GraphStyle::default());
        assert_well_formed(&svg);
        assert!(
            svg.contains("data-group=\"&lt;a&amp;b&gt;\" data-size=\"2\""),
            "{svg}"
        );
        assert!(svg.contains(">A &amp; B</text>") && svg.contains(">2 systems</text>"));
        assert!(!svg.contains("javascript"), "{svg}");
        // One bundle of two edges (a middle-weight one) between three systems; one inner edge.
        assert!(svg.contains("data-ends=\"0 1 2\" data-from-group=\"&lt;a&amp;b&gt;\" data-to-group=\"z\" data-count=\"2\""), "{svg}");
        assert!(
            svg.contains("<path class=\"cg-edge\" data-ends=\"0 1\""),
            "{svg}"
        );
        assert!(svg.contains("class=\"cg-edge cg-bundle cg-w2\""), "{svg}");
        assert_eq!(
            [1, 2, 3, 4, 9, 10, 500].map(super::weight_class),
            ["cg-w1", "cg-w2", "cg-w2", "cg-w3", "cg-w3", "cg-w4", "cg-w4"]
        );
        assert!(
            render_compound(&[], &es, &groups, &GraphStyle::default()).contains("no dependencies")
        );
    }
}
