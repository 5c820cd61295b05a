//! Coordinates. Along the layer axis each layer is a column as wide (or tall) as its biggest
//! box, with gaps that widen for edge labels. Across it, boxes keep their order and their
//! minimum separations (wider between clusters, tied within one) while sweeps pull each layer
//! towards its neighbours: an order-preserving least-squares fit. Then, in picture coordinates,
//! the node boxes and the cluster boxes around them.

use std::collections::BTreeMap;

use super::layers::Adjacency;
use super::{
    edge_label, text_width, Layout, Rect, CLUSTER_LABEL_H, CLUSTER_PAD, EDGE_LABEL_H, LAYER_GAP_LR,
    LAYER_GAP_TB, NODE_SEP_LR, NODE_SEP_TB, P, SMALL_PX_PER_CHAR,
};

const LAYER_GAP_MAX: f64 = 320.0;
const EMPTY_LAYER: f64 = 40.0;
const PLACE_SWEEPS: usize = 4;

/// What separates two neighbours in a layer: at least `gap` between centres, exactly `gap`
/// when `tied`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Spacing {
    gap: f64,
    tied: bool,
}

impl<'a> Layout<'a> {
    /// Minimum centre distance between neighbours in each layer, leaving room for cluster boxes.
    /// Neighbours of one cluster are tied at that distance, so their box stays compact.
    pub(super) fn separations(&self) -> Vec<Vec<Spacing>> {
        let sep = if self.lr { NODE_SEP_LR } else { NODE_SEP_TB };
        // In left-to-right pictures cluster labels sit across the layer axis, so reserve them there.
        let label = if self.lr { CLUSTER_LABEL_H } else { 0.0 };
        self.layers
            .iter()
            .map(|layer| {
                layer
                    .windows(2)
                    .map(|w| {
                        let (a, b) = (w[0], w[1]);
                        let (ga, gb) = (self.group[a], self.group[b]);
                        let mut gap = (self.cs[a] + self.cs[b]) / 2.0 + sep;
                        if ga != gb {
                            if ga.is_some() {
                                gap += CLUSTER_PAD;
                            }
                            if gb.is_some() {
                                gap += CLUSTER_PAD + label;
                            }
                        }
                        Spacing {
                            gap,
                            tied: ga.is_some() && ga == gb,
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// Column positions along the layer axis; gaps widen for edge labels between columns.
    pub(super) fn place_main(&mut self, clusters: bool) {
        let nl = self.layers.len();
        let col_size: Vec<f64> = self
            .layers
            .iter()
            .map(|l| l.iter().map(|&v| self.ms[v]).fold(0.0, f64::max))
            .map(|s| if s > 0.0 { s } else { EMPTY_LAYER })
            .collect();
        let base = match (self.lr, clusters) {
            (true, _) => LAYER_GAP_LR,
            (false, false) => LAYER_GAP_TB,
            (false, true) => LAYER_GAP_TB + CLUSTER_LABEL_H,
        };
        let mut gap = vec![base; nl.saturating_sub(1)];
        for e in &self.edges {
            let (lo, hi) = self.ordered(e);
            if self.layer[hi] != self.layer[lo] + 1 {
                continue;
            }
            if let Some(label) = edge_label(e) {
                let need = if self.lr {
                    text_width(&label, SMALL_PX_PER_CHAR) + 40.0
                } else {
                    EDGE_LABEL_H + 40.0
                };
                let g = &mut gap[self.layer[lo]];
                *g = g.max(need.min(LAYER_GAP_MAX));
            }
        }
        let mut at = 0.0;
        for (k, size) in col_size.iter().enumerate() {
            self.col_start.push(at);
            self.col_end.push(at + size);
            at += size + gap.get(k).copied().unwrap_or(0.0);
        }
        for (v, &k) in self.layer.iter().enumerate() {
            self.mc[v] = self.col_start[k] + col_size[k] / 2.0;
        }
    }

    pub(super) fn xy(&self, p: P) -> (f64, f64) {
        if self.lr {
            (p.m, p.c)
        } else {
            (p.c, p.m)
        }
    }

    pub(super) fn node_rect(&self, v: usize) -> Rect {
        let (x, y) = self.xy(P {
            m: self.mc[v] - self.ms[v] / 2.0,
            c: self.cc[v] - self.cs[v] / 2.0,
        });
        let (w, h) = self.xy(P {
            m: self.ms[v],
            c: self.cs[v],
        });
        Rect { x, y, w, h }
    }

    /// Cluster boxes: one per group when its bounding box is clear of everything else,
    /// otherwise one per run of the group's boxes within a layer.
    pub(super) fn clusters(&self, rects: &[Rect]) -> Vec<(&'a str, Rect)> {
        let mut runs: BTreeMap<&str, Vec<Rect>> = BTreeMap::new();
        for layer in &self.layers {
            let mut i = 0;
            while i < layer.len() {
                let Some(g) = self.group[layer[i]] else {
                    i += 1;
                    continue;
                };
                let mut r = rects[layer[i]];
                while i + 1 < layer.len() && self.group[layer[i + 1]] == Some(g) {
                    i += 1;
                    r = r.union(&rects[layer[i]]);
                }
                runs.entry(g).or_default().push(Rect {
                    x: r.x - CLUSTER_PAD,
                    y: r.y - CLUSTER_PAD - CLUSTER_LABEL_H,
                    w: r.w + 2.0 * CLUSTER_PAD,
                    h: r.h + 2.0 * CLUSTER_PAD + CLUSTER_LABEL_H,
                });
                i += 1;
            }
        }
        let mut merged: BTreeMap<&str, Rect> = BTreeMap::new();
        for (&g, boxes) in &runs {
            if boxes.len() < 2 {
                continue;
            }
            let whole = boxes.iter().skip(1).fold(boxes[0], |a, b| a.union(b));
            let clear = rects
                .iter()
                .zip(&self.group)
                .all(|(r, &rg)| rg == Some(g) || !whole.overlaps(r))
                && runs
                    .iter()
                    .filter(|&(&other, _)| other != g)
                    .all(|(_, bs)| bs.iter().all(|b| !whole.overlaps(b)))
                && merged.values().all(|b| !whole.overlaps(b));
            if clear {
                merged.insert(g, whole);
            }
        }
        let mut out = Vec::new();
        for (g, boxes) in runs {
            match merged.get(g) {
                Some(&whole) => out.push((g, whole)),
                None => out.extend(boxes.into_iter().map(|b| (g, b))),
            }
        }
        out
    }
}

/// Cross-axis coordinates: each sweep moves a layer towards the mean of its neighbours'
/// positions with the order-preserving least-squares fit (pool adjacent violators).
pub(super) fn place_cross(
    layers: &[Vec<usize>],
    gaps: &[Vec<Spacing>],
    preds: &Adjacency,
    succs: &Adjacency,
    n: usize,
) -> Vec<f64> {
    let mut cc = vec![0.0; n];
    for (layer, gap) in layers.iter().zip(gaps) {
        let mut at = 0.0;
        for (i, &v) in layer.iter().enumerate() {
            if i > 0 {
                at += gap[i - 1].gap;
            }
            cc[v] = at;
        }
        for &v in layer {
            cc[v] -= at / 2.0;
        }
    }
    for _ in 0..PLACE_SWEEPS {
        for (layer, gap) in layers.iter().zip(gaps).skip(1) {
            relax_layer(layer, gap, &mut cc, &[preds]);
        }
        for (layer, gap) in layers.iter().zip(gaps).rev().skip(1) {
            relax_layer(layer, gap, &mut cc, &[succs]);
        }
    }
    for (layer, gap) in layers.iter().zip(gaps) {
        relax_layer(layer, gap, &mut cc, &[preds, succs]);
    }
    cc
}

fn relax_layer(layer: &[usize], gap: &[Spacing], cc: &mut [f64], sides: &[&Adjacency]) {
    let desired: Vec<f64> = layer
        .iter()
        .map(|&v| {
            let (mut sum, mut weight) = (0.0, 0.0);
            for side in sides {
                for &(u, w) in &side[v] {
                    sum += cc[u] * w;
                    weight += w;
                }
            }
            if weight > 0.0 {
                sum / weight
            } else {
                cc[v]
            }
        })
        .collect();
    for (&v, c) in layer.iter().zip(fit_ordered(&desired, gap)) {
        cc[v] = c;
    }
}

/// Positions closest (least squares) to `desired` with `p[i+1] - p[i] >= gap[i]`, or `==`
/// where tied.
fn fit_ordered(desired: &[f64], gap: &[Spacing]) -> Vec<f64> {
    let mut offset = Vec::with_capacity(desired.len());
    let mut at = 0.0;
    for i in 0..desired.len() {
        if i > 0 {
            at += gap[i - 1].gap;
        }
        offset.push(at);
    }
    // Blocks of (mean, count) for the shifted targets, merged while they violate the order.
    let mut blocks: Vec<(f64, f64)> = Vec::new();
    for (i, (d, o)) in desired.iter().zip(&offset).enumerate() {
        let (mut mean, mut count) = (d - o, 1.0);
        if i > 0 && gap[i - 1].tied {
            if let Some((pm, pc)) = blocks.pop() {
                mean = (pm * pc + mean) / (pc + 1.0);
                count += pc;
            }
        }
        while let Some(&(pm, pc)) = blocks.last() {
            if pm <= mean {
                break;
            }
            mean = (pm * pc + mean * count) / (pc + count);
            count += pc;
            blocks.pop();
        }
        blocks.push((mean, count));
    }
    let mut out = Vec::with_capacity(desired.len());
    for (mean, count) in blocks {
        for _ in 0..count as usize {
            out.push(mean + offset[out.len()]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{count, edges, layout, nodes};
    use super::super::{render, Direction, GraphStyle};

    #[test]
    fn top_to_bottom_puts_providers_below() {
        let ns = nodes(&["web", "api"]);
        let style = GraphStyle {
            direction: Direction::TopToBottom,
            ..GraphStyle::default()
        };
        let l = layout(&ns, &edges(&[(0, 1)]), &style);
        let (a, b) = (l.node_rect(0), l.node_rect(1));
        assert!(a.y + a.h < b.y, "{a:?} {b:?}");
        assert_eq!(a.x + a.w / 2.0, b.x + b.w / 2.0);
    }

    #[test]
    fn cluster_spanning_layers_gets_one_box_when_clear() {
        let mut ns = nodes(&["a", "b"]);
        for nd in &mut ns {
            nd.group = Some("dom".into());
        }
        let svg = render(&ns, &edges(&[(0, 1)]), &GraphStyle::default());
        assert_eq!(count(&svg, "class=\"cg-cluster\""), 1);
    }
}
