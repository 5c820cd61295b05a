//! Test helpers shared by the stages' unit tests: small graphs, a pseudo-random graph, and the
//! checks every picture must pass (well-formed SVG, long edges clear of boxes).

use super::route::Seg;
use super::{GEdge, GNode, GraphStyle, Layout, P};

pub(super) fn node(label: &str) -> GNode {
    GNode {
        label: label.to_string(),
        ..GNode::default()
    }
}

pub(super) fn nodes(labels: &[&str]) -> Vec<GNode> {
    labels.iter().map(|l| node(l)).collect()
}

pub(super) fn edge(from: usize, to: usize) -> GEdge {
    GEdge {
        from,
        to,
        ..GEdge::default()
    }
}

pub(super) fn edges(pairs: &[(usize, usize)]) -> Vec<GEdge> {
    pairs.iter().map(|&(a, b)| edge(a, b)).collect()
}

pub(super) fn layout<'a>(ns: &'a [GNode], es: &[GEdge], style: &GraphStyle) -> Layout<'a> {
    Layout::new(ns, es, style)
}

/// Tags balance, attributes are quoted and every `&` starts one of the entities we emit.
pub(super) fn assert_well_formed(svg: &str) {
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(svg.ends_with("</svg>"), "{svg}");
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert!(!text.contains('>'), "raw > in text: {text}");
        let close = rest[open..].find('>').expect("unclosed tag") + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "raw < inside tag: {tag}");
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            let name = tag.split([' ', '/']).next().unwrap_or_default();
            stack.push(name);
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    for (i, _) in svg.match_indices('&') {
        let tail = &svg[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                .iter()
                .any(|e| tail.starts_with(e)),
            "bare & at {}",
            &tail[..tail.len().min(12)]
        );
    }
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
}

pub(super) fn count(svg: &str, needle: &str) -> usize {
    svg.matches(needle).count()
}

/// Points along a segment, for checking what a drawn edge touches.
pub(super) fn samples(seg: &Seg) -> Vec<P> {
    (0..=32)
        .map(|i| {
            let t = f64::from(i) / 32.0;
            let u = 1.0 - t;
            match *seg {
                Seg::Curve(a, b, c, d) => {
                    let w = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
                    P {
                        m: w[0] * a.m + w[1] * b.m + w[2] * c.m + w[3] * d.m,
                        c: w[0] * a.c + w[1] * b.c + w[2] * c.c + w[3] * d.c,
                    }
                }
                Seg::Line(a, b) => P {
                    m: u * a.m + t * b.m,
                    c: u * a.c + t * b.c,
                },
            }
        })
        .collect()
}

/// No edge between layers passes through a box other than its own two.
pub(super) fn assert_routes_clear(l: &Layout) {
    for (e, route) in l.edges.iter().zip(&l.routes) {
        if l.layer[e.from] == l.layer[e.to] {
            continue;
        }
        for p in route.iter().flat_map(samples) {
            // Only boxes of the column the point is in can contain it.
            let k = l.col_start.partition_point(|&s| s <= p.m).saturating_sub(1);
            for &v in l.layers[k].iter().filter(|&&v| v != e.from && v != e.to) {
                let inside =
                    (p.m - l.mc[v]).abs() < l.ms[v] / 2.0 && (p.c - l.cc[v]).abs() < l.cs[v] / 2.0;
                assert!(!inside, "edge {}->{} crosses box {v}", e.from, e.to);
            }
        }
    }
}

/// A deterministic pseudo-random graph (LCG), with cycles, self loops, duplicates,
/// out-of-range edges, groups and labels.
pub(super) fn random_graph(seed: u64, n: usize, m: usize) -> (Vec<GNode>, Vec<GEdge>) {
    let mut s = seed;
    let mut next = move |bound: usize| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) as usize) % bound.max(1)
    };
    let ns = (0..n)
        .map(|i| GNode {
            label: format!("system-{i}-{}", "x".repeat(next(20))),
            sublabel: if i % 3 == 0 {
                String::new()
            } else {
                format!("tier {}", i % 4)
            },
            group: (i % 4 != 0).then(|| format!("domain-{}", next(5))),
            href: Some(format!("/systems/{i}")),
            ..GNode::default()
        })
        .collect();
    let es = (0..m)
        .map(|i| GEdge {
            from: next(n + 2),
            to: next(n + 2),
            label: (i % 7 == 0).then(|| format!("api-{i}")),
            dashed: i % 5 == 0,
            class: String::new(),
        })
        .collect();
    (ns, es)
}
