//! The kernel's terms: one hash-consed DAG (a node is an operator and child ids, each child
//! older than its parent), and patterns (the rule table's and the lemmas' sides) with their
//! matcher. Every walk over terms is a loop over node ids, never a recursion on term depth;
//! only patterns, which the kernel writes itself and which are a few levels deep, recurse.

use std::collections::{HashMap, HashSet};

pub type Id = u32;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    pub op: String,
    pub kids: Vec<Id>,
}

/// Hash-consed terms, and the terms that linear code scales by (the ring normaliser first
/// reads them as atoms, as the prover does).
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
        let id = self.nodes.len() as Id;
        self.nodes.push(n.clone());
        self.index.insert(n, id);
        id
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
        let n = self.node(id);
        let c = n.op.chars().next()?;
        if !n.kids.is_empty() || !(c.is_ascii_digit() || c == '-') {
            return None;
        }
        n.op.parse::<f64>().ok().filter(|x| x.is_finite())
    }
    /// The lowering's product: a factor that is exactly the literal `1` is left out.
    pub fn mul(&mut self, a: Id, b: Id) -> Id {
        if self.lit(a).is_some_and(|x| x.to_bits() == 1f64.to_bits()) {
            b
        } else if self.lit(b).is_some_and(|x| x.to_bits() == 1f64.to_bits()) {
            a
        } else {
            self.add("mul", vec![a, b])
        }
    }
    pub fn sum(&mut self, a: Id, b: Id) -> Id {
        self.add("add", vec![a, b])
    }
}

/// A rule's or a lemma's side: `?x` or `(op p1 .. pn)` or a bare operator.
#[derive(Clone, Debug, PartialEq)]
pub enum Pat {
    Var(String),
    App(String, Vec<Pat>),
}

impl Pat {
    pub fn parse(text: &str) -> Result<Pat, String> {
        let spaced = text.replace('(', " ( ").replace(')', " ) ");
        let toks: Vec<&str> = spaced.split_whitespace().collect();
        let mut at = 0;
        let p = Self::parse_at(&toks, &mut at, 0)?;
        match toks.get(at) {
            None => Ok(p),
            Some(t) => Err(format!("`{text}`: `{t}` after the pattern")),
        }
    }

    fn parse_at(toks: &[&str], at: &mut usize, depth: usize) -> Result<Pat, String> {
        let tok = toks.get(*at).copied().ok_or("a pattern ends early")?;
        *at += 1;
        match tok {
            _ if depth > 16 => Err("a pattern nested too deep".into()),
            "(" => {
                let op = toks.get(*at).filter(|t| **t != "(" && **t != ")");
                let op = canon(op.ok_or("no operator")?);
                *at += 1;
                let mut kids = Vec::new();
                while toks.get(*at) != Some(&")") {
                    kids.push(Self::parse_at(toks, at, depth + 1)?);
                }
                *at += 1;
                Ok(Pat::App(op, kids))
            }
            ")" => Err("an unopened `)`".into()),
            v if v.starts_with('?') => Ok(Pat::Var(v.to_string())),
            op => Ok(Pat::App(canon(op), Vec::new())),
        }
    }

    pub fn vars(&self, out: &mut HashSet<String>) {
        match self {
            Pat::Var(v) => {
                out.insert(v.clone());
            }
            Pat::App(_, ps) => ps.iter().for_each(|p| p.vars(out)),
        }
    }

    /// Does the term `id` match, extending `binds` consistently?
    pub fn matches(&self, dag: &Dag, id: Id, binds: &mut HashMap<String, Id>) -> bool {
        match self {
            Pat::Var(v) => *binds.entry(v.clone()).or_insert(id) == id,
            Pat::App(op, ps) => {
                let n = dag.node(id);
                n.op == *op
                    && n.kids.len() == ps.len()
                    && ps
                        .iter()
                        .zip(n.kids.clone())
                        .all(|(p, k)| p.matches(dag, k, binds))
            }
        }
    }

    /// The pattern with its variables replaced (`None`: a variable is unbound).
    pub fn build(&self, dag: &mut Dag, binds: &HashMap<String, Id>) -> Option<Id> {
        match self {
            Pat::Var(v) => binds.get(v).copied(),
            Pat::App(op, ps) => {
                let kids = ps
                    .iter()
                    .map(|p| p.build(dag, binds))
                    .collect::<Option<_>>()?;
                Some(dag.add(op, kids))
            }
        }
    }
}

/// A numeric token in the canonical spelling of literals (`1` is `1.0`).
fn canon(op: &str) -> String {
    match op.parse::<f64>() {
        Ok(x) if x.is_finite() && op.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
            format!("{x:?}")
        }
        _ => op.to_string(),
    }
}
