//! The kernel's terms: one hash-consed DAG (a node is an operator and child ids, each child
//! older than its parent), and the lemmas' patterns with their matcher. Walks over terms are
//! loops over node ids; only patterns, which the kernel builds itself two levels deep, recurse.

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
    /// A literal prints as Rust's `{:?}` of its f64 (`1.0`, `-0.0`), as the prover's does.
    pub fn num(&mut self, x: f64) -> Id {
        self.add(&format!("{x:?}"), Vec::new())
    }
    /// The value of a literal node.
    pub fn lit(&self, id: Id) -> Option<f64> {
        let Node { op, kids } = self.node(id);
        let numeric = op.starts_with(|c: char| c.is_ascii_digit() || c == '-');
        let x = op.parse::<f64>().ok().filter(|x| x.is_finite());
        x.filter(|_| kids.is_empty() && numeric)
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

/// A lemma's side: a variable `?i` or an operator applied to patterns.
#[derive(Clone, Debug, PartialEq)]
pub enum Pat {
    Var(usize),
    App(String, Vec<Pat>),
}

impl Pat {
    /// `sym(?0, .., ?n-1)`.
    pub fn call(sym: String, n: usize) -> Pat {
        Pat::App(sym, (0..n).map(Pat::Var).collect())
    }

    pub fn vars(&self, out: &mut HashSet<usize>) {
        match self {
            Pat::Var(v) => drop(out.insert(*v)),
            Pat::App(_, ps) => ps.iter().for_each(|p| semantics::deep(|| p.vars(out))),
        }
    }

    /// Does the term `id` match, extending `binds` consistently?
    pub fn matches(&self, dag: &Dag, id: Id, binds: &mut HashMap<usize, Id>) -> bool {
        match self {
            Pat::Var(v) => *binds.entry(*v).or_insert(id) == id,
            Pat::App(op, ps) => {
                let n = dag.node(id);
                n.op == *op
                    && n.kids.len() == ps.len()
                    && (ps.iter().zip(n.kids.clone()))
                        .all(|(p, k)| semantics::deep(|| p.matches(dag, k, binds)))
            }
        }
    }

    /// The pattern with its variables replaced (`None`: a variable is unbound).
    pub fn build(&self, dag: &mut Dag, binds: &HashMap<usize, Id>) -> Option<Id> {
        match self {
            Pat::Var(v) => binds.get(v).copied(),
            Pat::App(op, ps) => {
                let kids: Option<Vec<Id>> = ps
                    .iter()
                    .map(|p| semantics::deep(|| p.build(dag, binds)))
                    .collect();
                Some(dag.add(op, kids?))
            }
        }
    }
}
