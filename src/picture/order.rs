//! Ordering within layers (crossing reduction): barycenter sweeps down and up the layers,
//! keeping the order with the fewest crossings among the edges between adjacent layers
//! (counted exactly, with a Fenwick tree). The nodes of one cluster move as one block, so its
//! box stays whole; nodes without edges sink to the end of their layer.

use std::collections::BTreeMap;

use super::layers::Adjacency;

const ORDER_SWEEPS: usize = 6;

/// Order within layers: barycenter sweeps down and up, keeping the order with the fewest
/// crossings between adjacent layers; same-group nodes stay adjacent.
pub(super) fn order_layers(
    layer: &[usize],
    count: usize,
    preds: &Adjacency,
    succs: &Adjacency,
    group: &[Option<&str>],
) -> Vec<Vec<usize>> {
    let n = layer.len();
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (v, &k) in layer.iter().enumerate() {
        layers[k].push(v);
    }
    let mut short: Vec<Vec<(usize, usize)>> = vec![Vec::new(); count];
    for (hi, ps) in preds.iter().enumerate() {
        for &(lo, _) in ps {
            if layer[hi] == layer[lo] + 1 {
                short[layer[lo]].push((lo, hi));
            }
        }
    }

    let mut pos = vec![0.0; n];
    let mut rank = vec![0usize; n];
    for l in &layers {
        set_positions(l, &mut pos, &mut rank);
    }
    let isolated: Vec<bool> = (0..n)
        .map(|v| preds[v].is_empty() && succs[v].is_empty())
        .collect();
    let mut bary = pos.clone();
    for l in &mut layers {
        sort_layer(l, &bary, &rank, group, &isolated);
        set_positions(l, &mut pos, &mut rank);
    }

    let mut best = layers.clone();
    let mut best_crossings = crossings(&layers, &rank, &short);
    for sweep in 0..2 * ORDER_SWEEPS {
        if best_crossings == 0 {
            break;
        }
        let (side, ks): (&Adjacency, Vec<usize>) = if sweep % 2 == 0 {
            (preds, (1..count).collect())
        } else {
            (succs, (0..count.saturating_sub(1)).rev().collect())
        };
        for k in ks {
            for &v in &layers[k] {
                let (mut sum, mut weight) = (0.0, 0.0);
                for &(u, w) in &side[v] {
                    sum += pos[u] * w;
                    weight += w;
                }
                bary[v] = if weight > 0.0 { sum / weight } else { pos[v] };
            }
            sort_layer(&mut layers[k], &bary, &rank, group, &isolated);
            set_positions(&layers[k], &mut pos, &mut rank);
        }
        let c = crossings(&layers, &rank, &short);
        if c < best_crossings {
            best_crossings = c;
            best.clone_from(&layers);
        }
    }
    best
}

fn set_positions(layer: &[usize], pos: &mut [f64], rank: &mut [usize]) {
    let len = layer.len() as f64;
    for (i, &v) in layer.iter().enumerate() {
        pos[v] = (i as f64 + 0.5) / len;
        rank[v] = i;
    }
}

/// Sorts a layer by barycenter; with groups, each group moves as one block at the mean of its
/// connected members. Nodes (and groups) without any edge sink to the end of their layer.
fn sort_layer(
    layer: &mut [usize],
    bary: &[f64],
    rank: &[usize],
    group: &[Option<&str>],
    isolated: &[bool],
) {
    #[derive(Default)]
    struct Block {
        sum: f64,
        count: f64,
        connected_sum: f64,
        connected: f64,
        first: usize,
    }
    let mut blocks: BTreeMap<&str, Block> = BTreeMap::new();
    for &v in layer.iter() {
        if let Some(g) = group[v] {
            let b = blocks.entry(g).or_insert_with(|| Block {
                first: usize::MAX,
                ..Block::default()
            });
            b.sum += bary[v];
            b.count += 1.0;
            if !isolated[v] {
                b.connected_sum += bary[v];
                b.connected += 1.0;
            }
            b.first = b.first.min(rank[v]);
        }
    }
    let mut keyed: Vec<(bool, f64, usize, f64, usize, usize)> = layer
        .iter()
        .map(|&v| {
            let (sink, key, tie) = match group[v].and_then(|g| blocks.get(g)) {
                Some(b) if b.connected > 0.0 => (false, b.connected_sum / b.connected, b.first),
                Some(b) => (true, b.sum / b.count, b.first),
                None => (isolated[v], bary[v], rank[v]),
            };
            (sink, key, tie, bary[v], rank[v], v)
        })
        .collect();
    keyed.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.total_cmp(&b.3))
            .then(a.4.cmp(&b.4))
    });
    for (slot, k) in layer.iter_mut().zip(keyed) {
        *slot = k.5;
    }
}

/// Crossings between adjacent layers (inversions, counted with a Fenwick tree).
fn crossings(layers: &[Vec<usize>], rank: &[usize], short: &[Vec<(usize, usize)>]) -> u64 {
    let mut total = 0u64;
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (k, edges) in short.iter().enumerate() {
        let Some(next) = layers.get(k + 1) else {
            continue;
        };
        pairs.clear();
        pairs.extend(edges.iter().map(|&(a, b)| (rank[a], rank[b])));
        pairs.sort_unstable();
        let mut tree = vec![0u64; next.len() + 1];
        for (seen, &(_, b)) in pairs.iter().enumerate() {
            // Count earlier pairs whose lower end is right of b.
            let mut not_greater = 0;
            let mut i = b + 1;
            while i > 0 {
                not_greater += tree[i];
                i &= i - 1;
            }
            total += seen as u64 - not_greater;
            let mut i = b + 1;
            while i < tree.len() {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_well_formed, count, edges, layout, node, nodes};
    use super::super::{render, GraphStyle};

    #[test]
    fn barycenter_removes_avoidable_crossings() {
        // a -> d, b -> c: the input order crosses, the layout must not.
        let ns = nodes(&["a", "b", "c", "d"]);
        let es = edges(&[(0, 3), (1, 2)]);
        let l = layout(&ns, &es, &GraphStyle::default());
        assert_eq!(l.layers, vec![vec![0, 1], vec![3, 2]]);
        assert!(l.cc[3] < l.cc[2]);
    }

    #[test]
    fn clusters_keep_groups_together() {
        let mut ns = nodes(&["a", "b", "c", "d", "e"]);
        for (nd, g) in ns.iter_mut().zip(["x", "", "x", "y", " "]) {
            nd.group = Some(g.to_string());
        }
        // Barycenters alone would interleave: a, b, c all consumed in that order.
        let mut ns2 = ns.clone();
        ns2.push(node("p"));
        let es = edges(&[(5, 0), (5, 1), (5, 2), (0, 3)]);
        let l = layout(&ns2, &es, &GraphStyle::default());
        let col = &l.layers[1];
        let xs: Vec<usize> = col
            .iter()
            .enumerate()
            .filter(|&(_, &v)| l.group[v] == Some("x"))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(xs.len(), 2);
        assert_eq!(xs[1] - xs[0], 1, "{col:?}");
        let svg = render(&ns2, &es, &GraphStyle::default());
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "class=\"cg-cluster\""), 2);
        assert!(svg.contains(">x</text>") && svg.contains(">y</text>"));

        let off = GraphStyle {
            clusters: false,
            ..GraphStyle::default()
        };
        assert_eq!(count(&render(&ns2, &es, &off), "class=\"cg-cluster"), 0);
    }
}
