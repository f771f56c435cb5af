//! The kernel's terms: one hash-consed DAG (a node is an operator and child ids, each child
//! older than its parent; walks over it are loops over ids).

use std::collections::{HashMap, HashSet};

pub type Id = u32;
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    pub op: String,
    pub kids: Vec<Id>,
}

/// Hash-consed terms, and the terms linear code scales by (the ring normaliser first reads
/// them as atoms, as the prover does).
#[derive(Default)]
pub struct Dag {
    nodes: Vec<Node>,
    index: HashMap<Node, Id>,
    pub factors: HashSet<Id>,
}

impl Dag {
    pub fn add(&mut self, op: &str, kids: Vec<Id>) -> Id {
        let n = Node {
            op: op.to_string(),
            kids,
        };
        if let Some(&id) = self.index.get(&n) {
            return id;
        }
        self.nodes.push(n.clone());
        self.index.insert(n, self.nodes.len() as Id - 1);
        self.nodes.len() as Id - 1
    }
    pub fn node(&self, id: Id) -> &Node {
        &self.nodes[id as usize]
    }
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
    /// A literal prints as Rust's `{:?}` of its f64 (`1.0`, `-0.0`), as the prover's does.
    pub fn num(&mut self, x: f64) -> Id {
        self.add(&format!("{x:?}"), Vec::new())
    }
    /// The value of a literal node.
    pub fn lit(&self, id: Id) -> Option<f64> {
        let Node { op, kids } = self.node(id);
        let numeric = op.starts_with(|c: char| c.is_ascii_digit() || c == '-');
        op.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && kids.is_empty() && numeric)
    }
    /// The lowering's product: a factor that is exactly the literal `1` is left out.
    pub fn mul(&mut self, a: Id, b: Id) -> Id {
        let one = |d: &Self, t| d.lit(t).is_some_and(|x| x.to_bits() == 1f64.to_bits());
        match (one(self, a), one(self, b)) {
            (true, _) => b,
            (_, true) => a,
            _ => self.add("mul", vec![a, b]),
        }
    }
    pub fn sum(&mut self, a: Id, b: Id) -> Id {
        self.add("add", vec![a, b])
    }
}
