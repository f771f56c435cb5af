//! Proving one obligation `lhs = rhs` between two terms of the [`Dag`].
//!
//! In order: the same hash-consed node is `proved` with no step; otherwise both sides are
//! **evaluated at random points first**, and a point where they differ is a `refuted`
//! outcome with that point; otherwise egg runs equality saturation on a fresh e-graph that
//! holds just the two terms (so every obligation, and its explanation, stays small), with
//! explicit node, iteration and time limits. Hitting a limit is `unknown`, never `proved`.

use super::dag::Dag;
use super::language::Term;
use super::ring;
use super::rules::{Rule, base_name, rules};
use egg::{EGraph, FlatTerm, Id, Language, RecExpr, Runner, StopReason};
use semantics::PrimTable;
use semantics::numeric::Rng;
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The limits of one obligation's saturation, egg `Runner` style.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Limits {
    pub nodes: usize,
    pub iterations: usize,
    #[serde(serialize_with = "millis")]
    pub time: Duration,
    /// Random points at which both sides are evaluated before any rewriting.
    pub samples: usize,
    /// Record each obligation's rewrite steps.
    pub explain: bool,
    /// Prove transposes by the adjoint pairing first (`adjoint.rs`), the entrywise
    /// obligations where it fails; the kernel re-derives either.
    pub pairing: bool,
    /// Lower residuals (values of unzip's named residual types) as one tuple-valued term each,
    /// with projections, instead of their scalar leaves, so that a call DAG whose residuals
    /// nest (2^n scalars) has claims linear in its size. Off by default: certificates use the
    /// default and their kernel has no tuple terms; `lina prove` turns it on.
    pub tuples: bool,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u128(d.as_millis())
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            nodes: 20_000,
            iterations: 24,
            time: Duration::from_secs(1),
            samples: 6,
            explain: false,
            pairing: true,
            tuples: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Proved,
    Refuted,
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Proved => "proved",
            Outcome::Refuted => "refuted",
            Outcome::Unknown => "unknown",
        }
    }
}

/// A point at which the two sides differ.
#[derive(Clone, Debug, Serialize)]
pub struct Counterexample {
    pub point: Vec<(String, f64)>,
    pub lhs: f64,
    pub rhs: f64,
}

/// A node of a proof's term DAG: an operator and its children (indices into
/// [`Proof::terms`], always smaller than the node's own index).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ProofNode {
    pub op: String,
    pub children: Vec<u32>,
}

/// One rewrite: `rule` (a name of the rule table, or a lemma's) applied at `position` (the
/// path of child indices from the root) of the previous term, from its lhs to its rhs or,
/// when `backward`, from rhs to lhs; `term` is the result.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub rule: String,
    pub backward: bool,
    pub position: Vec<usize>,
    pub term: u32,
}

/// A proof as flat data: the start term and each step, over one term DAG with sharing.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Proof {
    pub terms: Vec<ProofNode>,
    pub start: u32,
    pub steps: Vec<Step>,
}

impl Proof {
    /// A term of the proof as an s-expression (for `--explain`).
    pub fn show(&self, t: u32) -> String {
        let mut out = String::new();
        self.show_into(t, &mut out);
        out
    }

    fn show_into(&self, t: u32, out: &mut String) {
        let Some(n) = self.terms.get(t as usize) else {
            return;
        };
        if n.children.is_empty() {
            out.push_str(&n.op);
            return;
        }
        out.push('(');
        out.push_str(&n.op);
        for &c in &n.children {
            out.push(' ');
            self.show_into(c, out);
        }
        out.push(')');
    }
}

/// The verdict on one obligation.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub what: String,
    pub outcome: Outcome,
    /// E-graph nodes when saturation stopped (0: no saturation was needed).
    pub nodes: usize,
    pub iterations: usize,
    pub time_ms: f64,
    /// Rewrite steps of the proof (0 for the same node).
    pub steps: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The step of a proof by ring normal form ([`ring`]): the previous term and the next have
/// the same polynomial over atoms, once the lemmas about callees are applied.
pub const RING: &str = "ring-normal-form";

/// Obligations whose two terms have more nodes than this (with sharing) are not saturated:
/// egg applies every match of an iteration before it checks its limits, and on large terms one
/// iteration of the associativity and distributivity rules can run for minutes.
pub const MAX_SATURATION_TERMS: usize = 240;

/// Terms larger than this, written out as trees, are proved without an explanation (egg
/// prints whole trees at each step).
const EXPLAIN_TREE_CAP: u64 = 20_000;

/// The verdict an obligation starts from (`proved`, nothing spent), and whether its two sides
/// are the same hash-consed node (then it is proved with no step).
fn opening(what: String, lhs: Id, rhs: Id, limits: &Limits) -> (Verdict, bool) {
    let same = lhs == rhs;
    let v = Verdict {
        what,
        outcome: Outcome::Proved,
        nodes: 0,
        iterations: 0,
        time_ms: 0.0,
        steps: 0,
        proof: (same && limits.explain).then(Proof::default),
        counterexample: None,
        reason: None,
    };
    (v, same)
}

pub fn prove(
    dag: &Dag,
    prims: &PrimTable,
    what: String,
    lhs: Id,
    rhs: Id,
    lemmas: &[Rule],
    limits: &Limits,
) -> Verdict {
    let start = Instant::now();
    let (mut v, same) = opening(what, lhs, rhs, limits);
    if same {
        return v;
    }
    if let Some(cx) = refute(dag, prims, lhs, rhs, limits.samples) {
        v.outcome = Outcome::Refuted;
        v.counterexample = Some(cx);
        v.time_ms = start.elapsed().as_secs_f64() * 1e3;
        return v;
    }
    let (el, dl) = dag.extract_ids(lhs);
    let (er, dr) = dag.extract_ids(rhs);
    decide(dag, (&el, &dl), (&er, &dr), lemmas, limits, v, start)
}

/// An obligation of the adjoint pairing ([`super::adjoint`]): `atoms` (the adjoint rows of
/// the leaves a binding produces) are opaque, and so at first are the scale factors and the
/// arguments of function symbols, so that the e-graph holds one binding's worth of nodes
/// whatever the length of the program. No sampling: a pairing obligation is a sufficient
/// condition, and when it fails the claim falls back to the entrywise obligations, which are
/// sampled.
#[allow(clippy::too_many_arguments)]
pub fn prove_local(
    dag: &Dag,
    what: String,
    lhs: Id,
    rhs: Id,
    atoms: &[Id],
    lemmas: &[Rule],
    limits: &Limits,
) -> Verdict {
    let start = Instant::now();
    let (v, same) = opening(what, lhs, rhs, limits);
    if same {
        return v;
    }
    let atoms: std::collections::HashSet<Id> = atoms.iter().copied().collect();
    let narrow = |id: Id, parent: Option<&Term>| {
        atoms.contains(&id)
            || matches!(parent, Some(Term::Fun(..)))
            || (dag.factors.contains(&id) && !matches!(dag.get(id), Term::Fun(..)))
    };
    let wide = |id: Id, _: Option<&Term>| atoms.contains(&id);
    // An atom that is a callee's symbol may also be a coefficient of the same obligation
    // (`butterfly.T#0@0` in `butterfly(butterfly(p'))`): left whole, lemmas rewrite both.
    let calls =
        |id: Id, _: Option<&Term>| atoms.contains(&id) && !matches!(dag.get(id), Term::Fun(..));
    let mut last = v.clone();
    for cut in [&narrow as &dyn Fn(Id, Option<&Term>) -> bool, &wide, &calls] {
        let (el, dl, _) = dag.extract_cut(&[lhs], cut);
        let (er, dr, _) = dag.extract_cut(&[rhs], cut);
        last = decide(
            dag,
            (&el, &dl),
            (&er, &dr),
            lemmas,
            limits,
            v.clone(),
            start,
        );
        if last.outcome == Outcome::Proved {
            break;
        }
    }
    last
}

/// `lhs = rhs` by congruence closure over **ground instances of proved lemmas** (`ground`:
/// name, left and right term): the modular VJP, where the chain `T:f.jvp.lin.T(residuals)`
/// → `U:f.jvp.lin` → `J:f.jvp` → `P:f`'s reference is known, so no lemma is e-matched (egg
/// compiles a pattern in time quadratic in its size, and a save-all residual has thousands of
/// arguments). Each instance is a union justified by the lemma's name. No sampling: when this
/// fails, the caller proves the obligation on the terms themselves, which are sampled.
pub fn prove_ground(
    dag: &Dag,
    what: String,
    lhs: Id,
    rhs: Id,
    ground: &[(String, Id, Id)],
    limits: &Limits,
) -> Verdict {
    let start = Instant::now();
    let (mut v, same) = opening(what, lhs, rhs, limits);
    if same {
        return v;
    }
    let mut egraph: EGraph<Term, ()> = EGraph::default().with_explanations_enabled();
    let mut roots = vec![lhs, rhs];
    roots.extend(ground.iter().flat_map(|(_, l, r)| [*l, *r]));
    let (expr, at) = dag.extract(&roots);
    let mut class: Vec<Id> = Vec::with_capacity(expr.len());
    for n in expr.as_ref() {
        let n = n.clone().map_children(|c| class[usize::from(c)]);
        class.push(egraph.add(n));
    }
    let id = |k: usize| class[usize::from(at[k])];
    for (k, (name, _, _)) in ground.iter().enumerate() {
        egraph.union_trusted(id(2 + 2 * k), id(3 + 2 * k), name.as_str());
    }
    egraph.rebuild();
    v.nodes = egraph.total_number_of_nodes();
    if egraph.find(id(0)) != egraph.find(id(1)) {
        v.outcome = Outcome::Unknown;
        v.reason = Some("the lemmas' instances do not connect the two sides".into());
    } else {
        // A step per lemma instance; egg's flat explanation writes the whole term at each
        // step (quadratic in the residual count), so it is made only when asked for and small.
        v.steps = ground.len();
        if limits.explain {
            let (el, _) = dag.extract(&[lhs]);
            let (er, _) = dag.extract(&[rhs]);
            let size = tree_size(&el, EXPLAIN_TREE_CAP) * (ground.len() as u64 + 1);
            if size < EXPLAIN_TREE_CAP {
                let mut expl = egraph.explain_equivalence(&el, &er);
                let proof = flat_proof(expl.make_flat_explanation());
                v.steps = proof.steps.len();
                v.proof = Some(proof);
            } else {
                v.reason =
                    Some("proved; the terms are too large as trees to list the steps".into());
            }
        }
    }
    v.time_ms = start.elapsed().as_secs_f64() * 1e3;
    v
}

type Side<'a> = (&'a RecExpr<Term>, &'a Vec<Id>);

/// Lemmas, then ring normal forms, then saturation, on two extracted terms.
fn decide(
    dag: &Dag,
    (el, dl): Side,
    (er, dr): Side,
    lemmas: &[Rule],
    limits: &Limits,
    mut v: Verdict,
    start: Instant,
) -> Verdict {
    let mut egraph: EGraph<Term, ()> = EGraph::default().with_explanations_enabled();
    let a = egraph.add_expr(el);
    let b = egraph.add_expr(er);
    // First the lemmas about callees alone (they only rename function symbols, so this
    // terminates at once), then the ring normal form; saturation only if that fails.
    if !lemmas.is_empty() {
        let r = Runner::default()
            .with_egraph(egraph)
            .with_node_limit(limits.nodes)
            .with_iter_limit(limits.iterations)
            .with_time_limit(limits.time)
            .run(lemmas);
        v.iterations += r.iterations.len();
        egraph = r.egraph;
    }
    // The lemmas may already make both sides one class (by congruence); else ring normal forms.
    let same = egraph.find(a) == egraph.find(b);
    // The classes of the scale factors, found node by node (one lookup each).
    let mut factors: std::collections::HashSet<Id> = std::collections::HashSet::new();
    for (e, ids) in [(el, dl), (er, dr)] {
        let mut at: Vec<Option<Id>> = Vec::with_capacity(e.len());
        for (n, d) in e.as_ref().iter().zip(ids.iter()) {
            let kids: Option<Vec<Id>> = n.children().iter().map(|c| at[usize::from(*c)]).collect();
            let c = kids.and_then(|k| {
                let mut i = 0;
                let m = n.clone().map_children(|_| {
                    i += 1;
                    k[i - 1]
                });
                egraph.lookup(m)
            });
            if let Some(c) = c
                && dag.factors.contains(d)
            {
                factors.insert(egraph.find(c));
            }
            at.push(c);
        }
    }
    let none = std::collections::HashSet::new();
    let by_ring = |atoms: &std::collections::HashSet<Id>| {
        let mut memo = HashMap::new();
        let na = ring::normal_form(&egraph, a, atoms, &mut memo);
        na.is_some() && na == ring::normal_form(&egraph, b, atoms, &mut memo)
    };
    if same || by_ring(&factors) || by_ring(&none) {
        v.nodes = egraph.total_number_of_nodes();
        v.steps = 1;
        if limits.explain {
            let mut proof = Proof::default();
            let mut index = HashMap::new();
            proof.start = intern_rec(el, &mut proof, &mut index);
            let term = intern_rec(er, &mut proof, &mut index);
            proof.steps.push(Step {
                rule: RING.into(),
                backward: false,
                position: Vec::new(),
                term,
            });
            v.proof = Some(proof);
        }
        v.time_ms = start.elapsed().as_secs_f64() * 1e3;
        return v;
    }
    if el.len() + er.len() > MAX_SATURATION_TERMS {
        v.outcome = Outcome::Unknown;
        v.nodes = egraph.total_number_of_nodes();
        v.reason = Some(format!(
            "the ring normal form gave up (over {} monomials or an inexact literal) and the terms ({} nodes) are too large to saturate",
            ring::MAX_TERMS,
            el.len() + er.len()
        ));
        v.time_ms = start.elapsed().as_secs_f64() * 1e3;
        return v;
    }
    let runner = Runner::default()
        .with_egraph(egraph)
        .with_node_limit(limits.nodes)
        .with_iter_limit(limits.iterations)
        .with_time_limit(limits.time)
        .with_hook(move |r| {
            if r.egraph.find(a) == r.egraph.find(b) {
                Err("proved".into())
            } else {
                Ok(())
            }
        })
        .run(rules().iter().chain(lemmas));
    let mut runner = runner;
    v.nodes = runner.egraph.total_number_of_nodes();
    v.iterations += runner.iterations.len();
    if runner.egraph.find(a) == runner.egraph.find(b) {
        let small =
            tree_size(el, EXPLAIN_TREE_CAP) + tree_size(er, EXPLAIN_TREE_CAP) < EXPLAIN_TREE_CAP;
        if small {
            let mut expl = runner.egraph.explain_equivalence(el, er);
            let flat = expl.make_flat_explanation().clone();
            let proof = flat_proof(&flat);
            v.steps = proof.steps.len();
            if limits.explain {
                v.proof = Some(proof);
            }
        } else {
            v.reason = Some("proved; the terms are too large as trees to list the steps".into());
        }
    } else {
        v.outcome = Outcome::Unknown;
        v.reason = Some(match &runner.stop_reason {
            Some(StopReason::Saturated) => "saturated without proving it".to_string(),
            Some(StopReason::IterationLimit(n)) => format!("iteration limit ({n})"),
            Some(StopReason::NodeLimit(n)) => format!("node limit ({n})"),
            Some(StopReason::TimeLimit(t)) => format!("time limit ({t:.1} s)"),
            Some(StopReason::Other(s)) => s.clone(),
            None => "stopped".to_string(),
        });
    }
    v.time_ms = start.elapsed().as_secs_f64() * 1e3;
    v
}

/// The number of nodes of `e` written out as a tree, saturating at `cap`.
fn tree_size(e: &RecExpr<Term>, cap: u64) -> u64 {
    let mut size: Vec<u64> = Vec::with_capacity(e.len());
    for node in e.as_ref() {
        let s = node
            .children()
            .iter()
            .fold(1u64, |acc, c| acc.saturating_add(size[usize::from(*c)]));
        size.push(s.min(cap));
    }
    size.last().copied().unwrap_or(0)
}

/// Both sides at random points; a point where both are finite and differ beyond rounding.
pub fn refute(
    dag: &Dag,
    prims: &PrimTable,
    lhs: Id,
    rhs: Id,
    samples: usize,
) -> Option<Counterexample> {
    let (expr, _) = dag.extract(&[lhs, rhs]);
    let mut names: Vec<(String, Id)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for n in expr.as_ref() {
        if let Term::Input(s) = n
            && seen.insert(*s)
        {
            let id = dag_input(dag, *s)?;
            names.push((s.to_string(), id));
        }
    }
    names.sort();
    for k in 0..samples {
        let (lo, hi) = if k % 2 == 0 { (0.2, 2.0) } else { (-2.0, 2.0) };
        // An input's value depends on its name and the sample only, so every obligation
        // samples a function's callees at the same arguments and the evaluator's kept
        // frames serve them all (a call DAG's sampling stays linear).
        let point: Vec<(String, f64)> = names
            .iter()
            .map(|(n, _)| (n.clone(), Rng::new(seed(n, k)).uniform(lo, hi)))
            .collect();
        let env: HashMap<Id, f64> = names
            .iter()
            .zip(&point)
            .map(|((_, id), (_, x))| (*id, *x))
            .collect();
        let Some(vals) = dag.eval(prims, &[lhs, rhs], &env) else {
            continue;
        };
        let (l, r) = (vals[0], vals[1]);
        if l.is_finite() && r.is_finite() && (l - r).abs() > 1e-6 * (1.0 + l.abs() + r.abs()) {
            return Some(Counterexample {
                point,
                lhs: l,
                rhs: r,
            });
        }
    }
    None
}

/// The seed of input `name` at sample `k` (FNV-1a of the name, then the sample).
fn seed(name: &str, k: usize) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes().chain((k as u64).to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^ 0x5eed
}

fn dag_input(dag: &Dag, s: egg::Symbol) -> Option<Id> {
    dag.lookup(&Term::Input(s))
}

/// egg's flat explanation as flat steps over a shared term table.
fn flat_proof(flat: &[FlatTerm<Term>]) -> Proof {
    let mut proof = Proof::default();
    let mut index: HashMap<ProofNode, u32> = HashMap::new();
    let mut intern = |t: &FlatTerm<Term>, proof: &mut Proof| intern_flat(t, proof, &mut index);
    let Some(first) = flat.first() else {
        return proof;
    };
    proof.start = intern(first, &mut proof);
    for t in &flat[1..] {
        let term = intern(t, &mut proof);
        if let Some((rule, backward, position)) = rewrite_at(t) {
            let (name, rev) = base_name(&rule);
            proof.steps.push(Step {
                rule: name.to_string(),
                backward: backward ^ rev,
                position,
                term,
            });
        }
    }
    proof
}

fn intern_flat(t: &FlatTerm<Term>, proof: &mut Proof, index: &mut HashMap<ProofNode, u32>) -> u32 {
    let children = t
        .children
        .iter()
        .map(|c| intern_flat(c, proof, index))
        .collect();
    let node = ProofNode {
        op: t.node.to_string(),
        children,
    };
    if let Some(&i) = index.get(&node) {
        return i;
    }
    let i = proof.terms.len() as u32;
    proof.terms.push(node.clone());
    index.insert(node, i);
    i
}

/// Where a flat term carries its rewrite: (rule, applied backward, path).
fn rewrite_at(t: &FlatTerm<Term>) -> Option<(String, bool, Vec<usize>)> {
    let mut stack = vec![(t, Vec::new())];
    while let Some((t, path)) = stack.pop() {
        if let Some(r) = t.forward_rule {
            return Some((r.to_string(), false, path));
        }
        if let Some(r) = t.backward_rule {
            return Some((r.to_string(), true, path));
        }
        for (i, c) in t.children.iter().enumerate() {
            let mut p = path.clone();
            p.push(i);
            stack.push((c, p));
        }
    }
    None
}

fn intern_rec(e: &RecExpr<Term>, proof: &mut Proof, index: &mut HashMap<ProofNode, u32>) -> u32 {
    let mut at: Vec<u32> = Vec::with_capacity(e.len());
    for n in e.as_ref() {
        let node = ProofNode {
            op: n.to_string(),
            children: n.children().iter().map(|c| at[usize::from(*c)]).collect(),
        };
        let i = match index.get(&node) {
            Some(&i) => i,
            None => {
                let i = proof.terms.len() as u32;
                proof.terms.push(node.clone());
                index.insert(node, i);
                i
            }
        };
        at.push(i);
    }
    at.last().copied().unwrap_or(0)
}
