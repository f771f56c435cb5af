//! Extraction of the cheapest term DAG from an e-graph, with a cost that counts a **shared
//! node once** (the work model of SPEC §3 charges a `let` once however often it is read).
//!
//! egg's `Extractor` minimises *tree* cost: a node used twice is paid twice, so on a shared
//! term (60 `let`s each read twice) it prefers duplicating rewrites and its costs overflow
//! (2^60). `LpExtractor` minimises DAG cost exactly, but needs egg's `lp` feature and the CBC
//! solver (a C library) that does not build offline here. This is a hand-written greedy DAG
//! extractor in the style of extraction-gym's `greedy-dag`: each class keeps the *set* of
//! classes its best choice reaches, with their node costs, and a node's cost is the sum over
//! the union of its children's sets plus its own. It is exact on trees and a good heuristic on
//! DAGs; it is quadratic in the worst case (a set can hold every class), so above
//! [`DAG_CLASSES`] classes it falls back to saturating tree costs, which on an e-graph that
//! was not saturated (one node per class, or a literal beside the node it folds) choose the
//! same DAG.

use super::language::Term;
use egg::{Analysis, EGraph, Id, Language};
use std::collections::HashMap;
use std::rc::Rc;

/// Above this many classes, extraction uses saturating tree costs (the cost sets make the
/// DAG mode quadratic: a set can hold every class).
pub const DAG_CLASSES: usize = 1_500;

/// The chosen node of each class reachable from the roots (children are canonical classes).
pub type Choice = HashMap<Id, Term>;

/// A class's best choice so far: total cost and the classes it reaches with their own cost,
/// sorted by class.
struct Best {
    total: u64,
    node: usize,
    set: Rc<Vec<(Id, u64)>>,
}

/// The cheapest choice for every class, by DAG cost (or tree cost on large e-graphs);
/// `cost` is a node's own cost (its children canonical), at least 1 for a node with children.
pub fn extract<N: Analysis<Term>>(egraph: &EGraph<Term, N>, cost: &dyn Fn(&Term) -> u64) -> Choice {
    // With one node per class there is nothing to choose: both modes give the same DAG.
    if egraph.number_of_classes() > DAG_CLASSES
        || egraph.total_number_of_nodes() == egraph.number_of_classes()
    {
        return extract_tree(egraph, cost);
    }
    let mut best: HashMap<Id, Best> = HashMap::new();
    // A worklist: a class is priced again when one of its children got cheaper (each time
    // its cost can only drop, and costs are integers).
    let mut work = Worklist::new(egraph);
    while let Some(c) = work.pop() {
        let mut improved = false;
        for (k, node) in egraph[c].nodes.iter().enumerate() {
            let node = node.clone().map_children(|x| egraph.find(x));
            let Some(sets) = node
                .children()
                .iter()
                .map(|x| best.get(x).map(|b| b.set.clone()))
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let mut set: Vec<(Id, u64)> = sets.iter().flat_map(|s| s.iter().copied()).collect();
            set.sort_unstable_by_key(|&(x, _)| x);
            set.dedup_by_key(|&mut (x, _)| x);
            // A choice that reaches its own class is a cycle.
            if set.binary_search_by_key(&c, |&(x, _)| x).is_ok() {
                continue;
            }
            let own = cost(&node);
            let total = set.iter().fold(own, |t, &(_, w)| t.saturating_add(w));
            if best.get(&c).is_none_or(|b| total < b.total) {
                let at = set.partition_point(|&(x, _)| x < c);
                set.insert(at, (c, own));
                best.insert(
                    c,
                    Best {
                        total,
                        node: k,
                        set: Rc::new(set),
                    },
                );
                improved = true;
            }
        }
        if improved {
            work.parents_of(egraph, c);
        }
    }
    choose(egraph, best.into_iter().map(|(c, b)| (c, b.node)))
}

/// Greedy extraction by tree cost, saturating (never overflowing on shared terms).
fn extract_tree<N: Analysis<Term>>(
    egraph: &EGraph<Term, N>,
    cost: &dyn Fn(&Term) -> u64,
) -> Choice {
    let mut best: HashMap<Id, (u64, usize)> = HashMap::new();
    let mut work = Worklist::new(egraph);
    while let Some(c) = work.pop() {
        let mut improved = false;
        for (k, node) in egraph[c].nodes.iter().enumerate() {
            let node = node.clone().map_children(|x| egraph.find(x));
            let total = node.children().iter().try_fold(cost(&node), |t, x| {
                best.get(x).map(|&(w, _)| t.saturating_add(w))
            });
            let Some(total) = total else { continue };
            if best.get(&c).is_none_or(|&(w, _)| total < w) {
                best.insert(c, (total, k));
                improved = true;
            }
        }
        if improved {
            work.parents_of(egraph, c);
        }
    }
    choose(egraph, best.into_iter().map(|(c, (_, k))| (c, k)))
}

/// Classes waiting to be priced (each at most once in the queue).
struct Worklist {
    queue: std::collections::VecDeque<Id>,
    queued: std::collections::HashSet<Id>,
}

impl Worklist {
    fn new<N: Analysis<Term>>(egraph: &EGraph<Term, N>) -> Worklist {
        let queue: std::collections::VecDeque<Id> = egraph.classes().map(|c| c.id).collect();
        let queued = queue.iter().copied().collect();
        Worklist { queue, queued }
    }

    fn pop(&mut self) -> Option<Id> {
        let c = self.queue.pop_front()?;
        self.queued.remove(&c);
        Some(c)
    }

    fn parents_of<N: Analysis<Term>>(&mut self, egraph: &EGraph<Term, N>, c: Id) {
        for p in egraph[c].parents() {
            let p = egraph.find(p);
            if self.queued.insert(p) {
                self.queue.push_back(p);
            }
        }
    }
}

fn choose<N: Analysis<Term>>(
    egraph: &EGraph<Term, N>,
    picks: impl Iterator<Item = (Id, usize)>,
) -> Choice {
    picks
        .map(|(c, k)| {
            let node = egraph[c].nodes[k].clone().map_children(|x| egraph.find(x));
            (c, node)
        })
        .collect()
}

/// The classes the choice reaches from `roots`, children before parents (an explicit stack:
/// no recursion on term depth); `Err` when a class has no choice or the choice has a cycle.
pub fn order(choice: &Choice, roots: &[Id]) -> Result<Vec<Id>, String> {
    // 0: not seen, 1: on the stack, 2: done.
    let mut state: HashMap<Id, u8> = HashMap::new();
    let mut out = Vec::new();
    for &root in roots {
        let mut stack = vec![(root, false)];
        while let Some((c, ready)) = stack.pop() {
            match (state.get(&c).copied().unwrap_or(0), ready) {
                (2, _) => continue,
                (1, false) => return Err("the extracted choice has a cycle".into()),
                (_, true) => {
                    state.insert(c, 2);
                    out.push(c);
                }
                (_, false) => {
                    let node = choice.get(&c).ok_or("a class with no extracted node")?;
                    state.insert(c, 1);
                    stack.push((c, true));
                    for &k in node.children() {
                        match state.get(&k).copied().unwrap_or(0) {
                            2 => {}
                            1 => return Err("the extracted choice has a cycle".into()),
                            _ => stack.push((k, false)),
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The DAG cost of the classes `order` lists (each counted once).
pub fn dag_cost(choice: &Choice, order: &[Id], cost: &dyn Fn(&Term) -> u64) -> u64 {
    order
        .iter()
        .filter_map(|c| choice.get(c))
        .fold(0u64, |t, n| t.saturating_add(cost(n)))
}

/// Above this many nodes in the classes the choice reaches, [`improve`] does nothing.
pub const IMPROVE_NODES: usize = 3_000;

/// Local improvement of a greedy choice: the greedy pass prices each class alone, so a node
/// that reuses a class another root needs anyway can look dearer than it is. Each class the
/// choice reaches tries each of its other nodes, and keeps one that lowers the DAG cost of the
/// whole extraction (without a cycle); a few passes, over at most [`IMPROVE_NODES`] nodes.
pub fn improve<N: Analysis<Term>>(
    egraph: &EGraph<Term, N>,
    choice: &mut Choice,
    roots: &[Id],
    cost: &dyn Fn(&Term) -> u64,
) {
    let Ok(mut reach) = order(choice, roots) else {
        return;
    };
    let mut best = dag_cost(choice, &reach, cost);
    for _pass in 0..3 {
        let nodes: usize = reach.iter().map(|&c| egraph[c].nodes.len()).sum();
        if nodes > IMPROVE_NODES {
            return;
        }
        let mut changed = false;
        for &c in &reach.clone() {
            for node in &egraph[c].nodes {
                let node = node.clone().map_children(|x| egraph.find(x));
                if choice.get(&c) == Some(&node)
                    || node.children().iter().any(|k| !choice.contains_key(k))
                {
                    continue;
                }
                let old = choice.insert(c, node);
                match order(choice, roots) {
                    Ok(r) if dag_cost(choice, &r, cost) < best => {
                        best = dag_cost(choice, &r, cost);
                        reach = r;
                        changed = true;
                    }
                    _ => {
                        if let Some(o) = old {
                            choice.insert(c, o);
                        }
                    }
                }
            }
        }
        if !changed {
            return;
        }
    }
}
