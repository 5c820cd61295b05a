//! Assigning nodes to layers. When the caller fixed a layer for every node those are used
//! (compacted when they span too many values); otherwise cycles are broken by reversing the
//! back edges of a depth-first search and each node goes one layer after its furthest
//! consumer (longest path), sources then pulled next to their nearest provider. Long edges get
//! no dummy nodes: they weigh 1/span in the adjacency the later stages pull along, and routing
//! threads them through the layers they cross.

use std::collections::VecDeque;

use super::{DrawEdge, GNode};

/// Fixed layers spanning at most this many values keep empty columns; wider spans are compacted.
const LITERAL_LAYER_SPAN: i64 = 64;

/// Neighbours of each node in other layers, weighted by 1/span so long edges pull less.
pub(super) type Adjacency = Vec<Vec<(usize, f64)>>;

/// Layer of each node (0-based) and the number of layers.
pub(super) fn assign_layers(nodes: &[GNode], edges: &[DrawEdge]) -> (Vec<usize>, usize) {
    let fixed: Option<Vec<i64>> = nodes.iter().map(|nd| nd.layer.map(i64::from)).collect();
    if let Some(raw) = fixed {
        return fixed_layers(&raw);
    }
    let layer = longest_path_layers(nodes.len(), edges);
    let count = layer.iter().max().map_or(1, |m| m + 1);
    (layer, count)
}

fn fixed_layers(raw: &[i64]) -> (Vec<usize>, usize) {
    let min = raw.iter().copied().min().unwrap_or(0);
    let max = raw.iter().copied().max().unwrap_or(0);
    if max - min <= LITERAL_LAYER_SPAN {
        let layer = raw.iter().map(|&l| (l - min) as usize).collect();
        return (layer, (max - min) as usize + 1);
    }
    let mut distinct = raw.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let layer = raw
        .iter()
        .map(|l| distinct.binary_search(l).unwrap_or(0))
        .collect();
    (layer, distinct.len())
}

/// Longest path from the sources after reversing DFS back edges, so consumers sit left of
/// providers; sources are then pulled right next to their nearest dependency.
fn longest_path_layers(n: usize, edges: &[DrawEdge]) -> Vec<usize> {
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (i, e) in edges.iter().enumerate() {
        if e.from != e.to {
            out[e.from].push((e.to, i));
        }
    }
    // Iterative DFS (no recursion: a 400-node chain must not overflow the stack).
    let mut reversed = vec![false; edges.len()];
    let mut state = vec![0u8; n]; // 0 unseen, 1 on the stack, 2 done
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        stack.push((root, 0));
        while let Some(top) = stack.last_mut() {
            let u = top.0;
            if let Some(&(v, i)) = out[u].get(top.1) {
                top.1 += 1;
                match state[v] {
                    0 => {
                        state[v] = 1;
                        stack.push((v, 0));
                    }
                    1 => reversed[i] = true,
                    _ => {}
                }
            } else {
                state[u] = 2;
                stack.pop();
            }
        }
    }

    let mut succ: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    for (i, e) in edges.iter().enumerate() {
        if e.from == e.to {
            continue;
        }
        let (a, b) = if reversed[i] {
            (e.to, e.from)
        } else {
            (e.from, e.to)
        };
        succ[a].push(b);
        indegree[b] += 1;
    }
    let sources: Vec<bool> = indegree.iter().map(|&d| d == 0).collect();
    let mut queue: VecDeque<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
    let mut topo = Vec::with_capacity(n);
    let mut layer = vec![0usize; n];
    while let Some(u) = queue.pop_front() {
        topo.push(u);
        for &v in &succ[u] {
            layer[v] = layer[v].max(layer[u] + 1);
            indegree[v] -= 1;
            if indegree[v] == 0 {
                queue.push_back(v);
            }
        }
    }
    for &u in topo.iter().rev() {
        if sources[u] {
            if let Some(nearest) = succ[u].iter().map(|&v| layer[v]).min() {
                layer[u] = nearest.saturating_sub(1);
            }
        }
    }
    layer
}

pub(super) fn neighbours(layer: &[usize], edges: &[DrawEdge]) -> (Adjacency, Adjacency) {
    let mut preds: Adjacency = vec![Vec::new(); layer.len()];
    let mut succs: Adjacency = vec![Vec::new(); layer.len()];
    for e in edges {
        let (lo, hi) = if layer[e.from] <= layer[e.to] {
            (e.from, e.to)
        } else {
            (e.to, e.from)
        };
        if layer[lo] == layer[hi] {
            continue;
        }
        let w = 1.0 / (layer[hi] - layer[lo]) as f64;
        preds[hi].push((lo, w));
        succs[lo].push((hi, w));
    }
    (preds, succs)
}

#[cfg(test)]
mod tests {
    use super::super::route::Seg;
    use super::super::testutil::{assert_well_formed, count, edges, layout, nodes};
    use super::super::{render, GraphStyle};
    use super::*;

    #[test]
    fn fixed_layers_are_honoured() {
        let mut ns = nodes(&["focus", "up1", "down1", "up2", "down2b", "down2a"]);
        for (nd, l) in ns.iter_mut().zip([0, -1, 1, -2, 2, 2]) {
            nd.layer = Some(l);
        }
        // An edge against the columns must not move anything.
        let es = edges(&[(3, 1), (1, 0), (0, 2), (2, 4), (2, 5), (4, 3)]);
        let l = layout(&ns, &es, &GraphStyle::default());
        assert_eq!(l.layer, vec![2, 1, 3, 0, 4, 4]);
        assert_eq!(l.mc[4], l.mc[5]);
        assert!(l.mc[3] < l.mc[1] && l.mc[1] < l.mc[0] && l.mc[0] < l.mc[2] && l.mc[2] < l.mc[4]);
        assert_well_formed(&render(&ns, &es, &GraphStyle::default()));
    }

    #[test]
    fn sparse_and_huge_fixed_layers() {
        assert_eq!(fixed_layers(&[-2, 2, 0]), (vec![0, 4, 2], 5));
        let far = [i64::from(i32::MIN), 0, i64::from(i32::MAX)];
        assert_eq!(fixed_layers(&far), (vec![0, 1, 2], 3));
        let mut ns = nodes(&["a", "b"]);
        ns[0].layer = Some(i32::MIN);
        ns[1].layer = Some(i32::MAX);
        assert_well_formed(&render(&ns, &edges(&[(0, 1)]), &GraphStyle::default()));
    }

    #[test]
    fn partial_fixed_layers_fall_back_to_computed() {
        let mut ns = nodes(&["a", "b"]);
        ns[1].layer = Some(-5);
        let l = layout(&ns, &edges(&[(0, 1)]), &GraphStyle::default());
        assert_eq!(l.layer, vec![0, 1]);
    }

    #[test]
    fn cycles_are_broken() {
        let ns = nodes(&["a", "b", "c", "d"]);
        let es = edges(&[(0, 1), (1, 2), (2, 0), (2, 3), (3, 3), (1, 0)]);
        let l = layout(&ns, &es, &GraphStyle::default());
        assert_eq!(l.layer, vec![0, 1, 2, 3]);
        let svg = render(&ns, &es, &GraphStyle::default());
        assert_well_formed(&svg);
        assert_eq!(count(&svg, "<path class=\"cg-edge"), 6);
        assert_eq!(count(&svg, "cg-loop"), 1);
        // The back edges c -> a and b -> a end at a's right side, pointing left.
        let back = &l.routes[2];
        let Some(Seg::Curve(_, _, _, end)) = back.last() else {
            panic!("{back:?}")
        };
        assert_eq!(end.m, l.mc[0] + l.ms[0] / 2.0);
    }
}
