//! Edge routing: a path in layout space for every drawn edge, and where its label goes.
//!
//! Edges between adjacent layers are one S-curve between the columns. An edge spanning several
//! layers stays one curve while that curve clears every box on the way; otherwise it passes
//! the blocked layer straight through the free gap (lane) nearest the curve, and the same
//! again on both sides of it. There are no dummy nodes: lanes are found after placement, and
//! edges sharing a lane fan out. The edges meeting one side of a box are spread along it
//! (ports); self loops and edges within one (caller-fixed) layer get small arcs.

use super::{
    Layout, CLUSTER_LABEL_H, CLUSTER_PAD, LAYER_GAP_LR, LAYER_GAP_TB, NODE_SEP_LR, NODE_SEP_TB, P,
};

const PORT_SPACING: f64 = 7.0;
const LANE_SPACING: f64 = 4.0;
/// How close a long edge may pass a box it is not attached to.
const EDGE_CLEARANCE: f64 = 6.0;

/// A piece of an edge's path in layout space: a cubic Bézier curve or a straight line.
#[derive(Clone, Copy, Debug)]
pub(super) enum Seg {
    Curve(P, P, P, P),
    Line(P, P),
}

/// A free cross-axis interval of a layer that long edges may pass through, with the position
/// the first edge takes; further edges fan out from there (outwards beyond the last box).
#[derive(Clone, Copy, Debug)]
struct Lane {
    pos: f64,
    lo: f64,
    hi: f64,
}

impl Lane {
    /// The cross position of the `nth` edge through this lane, clear of the boxes around it.
    fn position(&self, nth: u32) -> f64 {
        let step = f64::from(nth) * LANE_SPACING;
        if self.lo == f64::NEG_INFINITY {
            return self.pos - step;
        }
        if self.hi == f64::INFINITY {
            return self.pos + step;
        }
        let half = f64::from(nth.div_ceil(2)) * LANE_SPACING;
        let offset = if nth % 2 == 1 { half } else { -half };
        let (lo, hi) = (self.lo + EDGE_CLEARANCE, self.hi - EDGE_CLEARANCE);
        if lo < hi {
            (self.pos + offset).clamp(lo, hi)
        } else {
            self.pos
        }
    }
}

impl Layout<'_> {
    /// Free cross positions in each layer: before the first box, between boxes, after the last.
    fn lanes(&self) -> Vec<Vec<Lane>> {
        let sep = if self.lr { NODE_SEP_LR } else { NODE_SEP_TB };
        let label = if self.lr { CLUSTER_LABEL_H } else { 0.0 };
        self.layers
            .iter()
            .map(|layer| {
                let (Some(&first), Some(&last)) = (layer.first(), layer.last()) else {
                    return Vec::new();
                };
                let mut lanes = Vec::with_capacity(layer.len() + 1);
                let above = if self.group[first].is_some() {
                    CLUSTER_PAD + label
                } else {
                    0.0
                };
                let top = self.cc[first] - self.cs[first] / 2.0;
                lanes.push(Lane {
                    pos: top - sep - above,
                    lo: f64::NEG_INFINITY,
                    hi: top,
                });
                for w in layer.windows(2) {
                    let end = self.cc[w[0]] + self.cs[w[0]] / 2.0;
                    let start = self.cc[w[1]] - self.cs[w[1]] / 2.0;
                    lanes.push(Lane {
                        pos: (end + start) / 2.0,
                        lo: end,
                        hi: start,
                    });
                }
                let below = if self.group[last].is_some() {
                    CLUSTER_PAD
                } else {
                    0.0
                };
                let bottom = self.cc[last] + self.cs[last] / 2.0;
                lanes.push(Lane {
                    pos: bottom + sep + below,
                    lo: bottom,
                    hi: f64::INFINITY,
                });
                lanes
            })
            .collect()
    }

    pub(super) fn route_edges(&mut self) {
        let n = self.nodes.len();
        let lanes = self.lanes();
        let mut uses: Vec<Vec<u32>> = lanes.iter().map(|l| vec![0; l.len()]).collect();

        // Spread the edges meeting one side of a box along it, ordered by where they lead.
        let mut out_side: Vec<Vec<(f64, usize)>> = vec![Vec::new(); n];
        let mut in_side: Vec<Vec<(f64, usize)>> = vec![Vec::new(); n];
        for (i, e) in self.edges.iter().enumerate() {
            let (lo, hi) = self.ordered(e);
            if self.layer[lo] != self.layer[hi] {
                out_side[lo].push((self.cc[hi], i));
                in_side[hi].push((self.cc[lo], i));
            }
        }
        let mut port_lo = vec![0.0; self.edges.len()];
        let mut port_hi = vec![0.0; self.edges.len()];
        for (v, side) in out_side.iter_mut().enumerate() {
            assign_ports(side, self.cs[v], self.port_gap, &mut port_lo);
        }
        for (v, side) in in_side.iter_mut().enumerate() {
            assign_ports(side, self.cs[v], self.port_gap, &mut port_hi);
        }

        let mut routes = Vec::with_capacity(self.edges.len());
        let mut anchors = Vec::with_capacity(self.edges.len());
        for (i, e) in self.edges.iter().enumerate() {
            let (lo, hi) = self.ordered(e);
            let (segs, anchor) = if lo == hi {
                let segs = self.self_loop(lo);
                let anchor = segs[0].midpoint();
                (segs, anchor)
            } else if self.layer[lo] == self.layer[hi] {
                let segs = self.same_layer_arc(lo, hi);
                let anchor = segs[0].midpoint();
                (segs, anchor)
            } else {
                let (k_lo, k_hi) = (self.layer[lo], self.layer[hi]);
                let (c_lo, c_hi) = (self.cc[lo] + port_lo[i], self.cc[hi] + port_hi[i]);
                let side_lo = P {
                    m: self.mc[lo] + self.ms[lo] / 2.0,
                    c: c_lo,
                };
                let side_hi = P {
                    m: self.mc[hi] - self.ms[hi] / 2.0,
                    c: c_hi,
                };
                // Curves live between columns only; inside a column an edge runs straight.
                let exit = P {
                    m: self.col_end[k_lo],
                    c: c_lo,
                };
                let entry = P {
                    m: self.col_start[k_hi],
                    c: c_hi,
                };
                let mut between = Vec::new();
                let mut prev = exit;
                for (k, c) in self.waypoints(exit, entry, k_lo + 1, k_hi, &lanes, &mut uses) {
                    let a = P {
                        m: self.col_start[k],
                        c,
                    };
                    let b = P {
                        m: self.col_end[k],
                        c,
                    };
                    between.push(curve(prev, a));
                    between.push(Seg::Line(a, b));
                    prev = b;
                }
                between.push(curve(prev, entry));
                // The label goes mid-route: in a gap between columns or in a free lane.
                let anchor = between[between.len() / 2].midpoint();
                let mut segs = Vec::with_capacity(between.len() + 2);
                if side_lo.m < exit.m {
                    segs.push(Seg::Line(side_lo, exit));
                }
                segs.append(&mut between);
                if entry.m < side_hi.m {
                    segs.push(Seg::Line(entry, side_hi));
                }
                (segs, anchor)
            };
            anchors.push(anchor);
            // Routes are built from the lower layer; an edge drawn against the flow is reversed.
            if lo == e.from {
                routes.push(segs);
            } else {
                routes.push(segs.into_iter().rev().map(Seg::reversed).collect());
            }
        }
        self.routes = routes;
        self.label_at = anchors;
    }

    /// Where an edge from `start` to `end` crosses layers `k0..k1`: nowhere while the smooth
    /// curve clears every box; otherwise straight through the free gap nearest the curve at
    /// the first blocked layer, and the same again on both sides of it.
    fn waypoints(
        &self,
        start: P,
        end: P,
        k0: usize,
        k1: usize,
        lanes: &[Vec<Lane>],
        uses: &mut [Vec<u32>],
    ) -> Vec<(usize, f64)> {
        let mut points = Vec::new();
        let mut todo = vec![(start, end, k0, k1)];
        while let Some((p, q, k0, k1)) = todo.pop() {
            let (lo, hi) = (p.c.min(q.c), p.c.max(q.c));
            let blocked = (k0..k1).find_map(|k| {
                if !self.blocked(k, lo, hi) {
                    return None; // nothing anywhere near the whole curve
                }
                let (c0, c1) = curve_cross_range(p, q, self.col_start[k], self.col_end[k]);
                self.blocked(k, c0, c1).then_some((k, (c0 + c1) / 2.0))
            });
            let Some((k, aim)) = blocked else { continue };
            let c = match nearest_lane(&lanes[k], aim) {
                None => aim,
                Some(i) => {
                    uses[k][i] += 1;
                    lanes[k][i].position(uses[k][i] - 1)
                }
            };
            points.push((k, c));
            let a = P {
                m: self.col_start[k],
                c,
            };
            let b = P {
                m: self.col_end[k],
                c,
            };
            todo.push((p, a, k0, k));
            todo.push((b, q, k + 1, k1));
        }
        points.sort_by_key(|w| w.0);
        points
    }

    /// Whether a box of layer `k` comes within `EDGE_CLEARANCE` of the cross range `[c0, c1]`.
    fn blocked(&self, k: usize, c0: f64, c1: f64) -> bool {
        let layer = &self.layers[k];
        let i = layer.partition_point(|&v| self.cc[v] + self.cs[v] / 2.0 + EDGE_CLEARANCE < c0);
        layer
            .get(i)
            .is_some_and(|&v| self.cc[v] - self.cs[v] / 2.0 - EDGE_CLEARANCE < c1)
    }

    /// A small loop from the outgoing side of a box back onto its leading edge.
    fn self_loop(&self, v: usize) -> Vec<Seg> {
        let end_m = self.mc[v] + self.ms[v] / 2.0;
        let top = self.cc[v] - self.cs[v] / 2.0;
        let start = P {
            m: end_m,
            c: self.cc[v] - self.cs[v] / 4.0,
        };
        let end = P {
            m: end_m - 14.0,
            c: top,
        };
        vec![Seg::Curve(
            start,
            P {
                m: end_m + 28.0,
                c: start.c,
            },
            P {
                m: end.m,
                c: top - 28.0,
            },
            end,
        )]
    }

    /// Two boxes in one (caller-fixed) layer: an arc bulging into the gap after the column.
    fn same_layer_arc(&self, a: usize, b: usize) -> Vec<Seg> {
        let k = self.layer[a];
        let room = if self.lr { LAYER_GAP_LR } else { LAYER_GAP_TB };
        let bulge =
            self.col_end[k] + (24.0 + (self.cc[a] - self.cc[b]).abs() * 0.15).min(room * 0.6);
        let start = P {
            m: self.mc[a] + self.ms[a] / 2.0,
            c: self.cc[a],
        };
        let end = P {
            m: self.mc[b] + self.ms[b] / 2.0,
            c: self.cc[b],
        };
        vec![Seg::Curve(
            start,
            P {
                m: bulge,
                c: start.c,
            },
            P { m: bulge, c: end.c },
            end,
        )]
    }
}

impl Seg {
    fn reversed(self) -> Seg {
        match self {
            Seg::Curve(a, b, c, d) => Seg::Curve(d, c, b, a),
            Seg::Line(a, b) => Seg::Line(b, a),
        }
    }

    fn midpoint(self) -> P {
        match self {
            Seg::Curve(a, b, c, d) => P {
                m: (a.m + 3.0 * b.m + 3.0 * c.m + d.m) / 8.0,
                c: (a.c + 3.0 * b.c + 3.0 * c.c + d.c) / 8.0,
            },
            Seg::Line(a, b) => P {
                m: (a.m + b.m) / 2.0,
                c: (a.c + b.c) / 2.0,
            },
        }
    }
}

/// A horizontal (along the layer axis) S-curve from `p` to `q`.
fn curve(p: P, q: P) -> Seg {
    let d = (q.m - p.m) / 2.0;
    Seg::Curve(p, P { m: p.m + d, c: p.c }, P { m: q.m - d, c: q.c }, q)
}

/// The cross range `curve(p, q)` covers between main positions `m0` and `m1`.
///
/// Along the curve m(t) = p.m + (q.m - p.m)(1.5t - 1.5t² + t³) and
/// c(t) = p.c + (q.c - p.c)(3t² - 2t³), both monotonic, so the ends of the range suffice.
fn curve_cross_range(p: P, q: P, m0: f64, m1: f64) -> (f64, f64) {
    let span = q.m - p.m;
    let at = |m: f64| {
        if span <= 0.0 {
            return p.c;
        }
        let t = curve_param((m - p.m) / span);
        p.c + (q.c - p.c) * t * t * (3.0 - 2.0 * t)
    };
    let (a, b) = (at(m0), at(m1));
    (a.min(b), a.max(b))
}

/// Solves 1.5t - 1.5t² + t³ = x for t in [0, 1] (Newton; the slope is at least 0.75).
fn curve_param(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    let mut t = x;
    for _ in 0..5 {
        let f = t * (1.5 - 1.5 * t + t * t) - x;
        t = (t - f / (1.5 - 3.0 * t + 3.0 * t * t)).clamp(0.0, 1.0);
    }
    t
}

fn nearest_lane(lanes: &[Lane], aim: f64) -> Option<usize> {
    if lanes.is_empty() {
        return None;
    }
    let i = lanes.partition_point(|l| l.pos < aim);
    match (i.checked_sub(1), lanes.get(i)) {
        (Some(j), Some(after)) if aim - lanes[j].pos <= after.pos - aim => Some(j),
        (Some(j), None) => Some(j),
        _ => Some(i),
    }
}

/// Cross offsets for the edges meeting one side of a box, spread symmetrically.
fn assign_ports(side: &mut [(f64, usize)], size: f64, gap: f64, ports: &mut [f64]) {
    if side.len() < 2 {
        return;
    }
    side.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let k = side.len() as f64;
    let spacing = PORT_SPACING
        .max(gap)
        .min((size - 12.0).max(0.0) / (k - 1.0));
    for (i, &(_, e)) in side.iter().enumerate() {
        ports[e] = (i as f64 - (k - 1.0) / 2.0) * spacing;
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_routes_clear, edges, layout, nodes};
    use super::super::{Direction, GraphStyle};
    use super::*;

    #[test]
    fn long_edges_avoid_boxes() {
        // a -> b -> c -> d and a -> d: b and c sit on the straight line from a to d.
        let ns = nodes(&["a", "b", "c", "d", "x"]);
        let es = edges(&[(0, 1), (1, 2), (2, 3), (0, 3), (4, 2)]);
        for direction in [Direction::LeftToRight, Direction::TopToBottom] {
            let style = GraphStyle {
                direction,
                ..GraphStyle::default()
            };
            let l = layout(&ns, &es, &style);
            assert_routes_clear(&l);
            assert!(l.routes[3].iter().any(|s| matches!(s, Seg::Line(..))));
        }
    }

    #[test]
    fn unobstructed_long_edges_are_one_curve() {
        let mut ns = nodes(&["a", "c", "b1", "b2"]);
        for (nd, l) in ns.iter_mut().zip([0, 2, 1, 1]) {
            nd.layer = Some(l);
        }
        let l = layout(&ns, &edges(&[(0, 1)]), &GraphStyle::default());
        assert_eq!(l.routes[0].len(), 1, "{:?}", l.routes[0]);
        assert_routes_clear(&l);
    }

    #[test]
    fn curve_param_inverts_the_curve() {
        for i in 0..=100 {
            let t = f64::from(i) / 100.0;
            let x = t * (1.5 - 1.5 * t + t * t);
            assert!((curve_param(x) - t).abs() < 1e-9, "{t}");
        }
        assert_eq!(curve_param(-3.0), 0.0);
        assert_eq!(curve_param(7.0), 1.0);
    }
}
