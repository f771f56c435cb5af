//! The kernel's commutative-ring normaliser: the decision procedure by which `settle.rs`
//! decides every obligation called proved, run here rather than trusted (as Coq's `ring`
//! decides by reflection). A term becomes a polynomial with exact f64 coefficients over
//! **atoms**: every node that is not `add sub mul neg div` or a small dyadic literal, each
//! `div` becoming the atom `1/b` split over products and negation (`1/(u·v) = (1/u)·(1/v)`),
//! never cancelled against `b`. Equal polynomials are equal reals wherever both sides are defined. Inexact
//! coefficient arithmetic or more than [`MAX_TERMS`] monomials gives up (`None`): the
//! obligation is then rejected, never accepted.

use super::term::{Dag, Id};
use std::collections::{BTreeMap, HashMap};

pub const MAX_TERMS: usize = 1024;

/// Which nodes are read as atoms.
pub type Atoms<'a> = &'a dyn Fn(Id) -> bool;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Atom {
    Node(Id),
    Recip(Id),
}

/// A monomial: each atom's exponent.
pub type Mono = BTreeMap<Atom, u32>;
pub type Poly = BTreeMap<Mono, f64>;
type Form = Option<Poly>;
pub type Memo = HashMap<Id, Form>;

fn exact_add(a: f64, b: f64) -> Option<f64> {
    let s = a + b;
    let bb = s - a;
    (s.is_finite() && (a - (s - bb)) + (b - bb) == 0.0).then_some(s)
}

fn constant(c: f64) -> Poly {
    Poly::from_iter((c != 0.0).then(|| (Mono::new(), c)))
}

fn atom(a: Atom) -> Poly {
    Poly::from([(Mono::from([(a, 1)]), 1.0)])
}

fn accumulate(out: &mut Poly, m: Mono, c: f64) -> Option<()> {
    let s = match out.get(&m) {
        Some(&d) => exact_add(d, c)?,
        None => c,
    };
    if s == 0.0 {
        out.remove(&m);
    } else {
        out.insert(m, s);
    }
    Some(())
}

fn add(a: &Poly, b: &Poly) -> Option<Poly> {
    let mut out = a.clone();
    for (m, c) in b {
        accumulate(&mut out, m.clone(), *c)?;
    }
    (out.len() <= MAX_TERMS).then_some(out)
}

fn mul(a: &Poly, b: &Poly) -> Option<Poly> {
    if a.len().saturating_mul(b.len()) > MAX_TERMS * 4 {
        return None;
    }
    let mut out = Poly::new();
    for (ma, ca) in a {
        for (mb, cb) in b {
            let c = ca * cb;
            if !c.is_finite() || ca.mul_add(*cb, -c) != 0.0 {
                return None;
            }
            accumulate(&mut out, merge(ma, mb)?, c)?;
        }
    }
    (out.len() <= MAX_TERMS).then_some(out)
}

/// The product of two monomials (`None`: an exponent overflows).
fn merge(a: &Mono, b: &Mono) -> Option<Mono> {
    let mut out = a.clone();
    for (x, e) in b {
        let sum = out.get(x).map_or(Some(*e), |d| d.checked_add(*e))?;
        out.insert(*x, sum);
    }
    Some(out)
}

/// Integers and fractions with few binary digits, whose sums and products stay exact.
fn dyadic(dag: &Dag, id: Id) -> Option<f64> {
    dag.lit(id)
        .filter(|c| c.abs() < 1048576.0 && (c * 1024.0).fract() == 0.0)
}

fn ring_op<'a>(dag: &'a Dag, id: Id, atoms: Atoms) -> Option<(&'a str, &'a [Id])> {
    let n = dag.node(id);
    let arity = match n.op.as_str() {
        "add" | "sub" | "mul" | "div" => 2,
        "neg" => 1,
        _ => return None,
    };
    (n.kids.len() == arity && !atoms(id)).then_some((n.op.as_str(), &n.kids))
}

/// `1/y`: split over products and negation (atoms too, as the prover does), a literal's exact
/// reciprocal, else an atom.
fn recip(dag: &Dag, y: Id) -> Option<Poly> {
    let atoms: Atoms = &|_| false;
    let mut factors = vec![y];
    let mut out = constant(1.0);
    let mut steps = 0;
    while let Some(y) = factors.pop() {
        steps += 1;
        let r = dyadic(dag, y).map(|c| 1.0 / c).filter(|r| r.is_finite());
        let r = r.filter(|r| dag.lit(y).is_some_and(|c| r.mul_add(c, -1.0) == 0.0));
        match (ring_op(dag, y, atoms), r) {
            (_, Some(r)) => out = mul(&out, &constant(r))?,
            (Some(("mul", k)), _) if steps < 64 => factors.extend(k),
            (Some(("neg", k)), _) if steps < 64 => {
                out = mul(&out, &constant(-1.0))?;
                factors.extend(k);
            }
            _ => out = mul(&out, &atom(Atom::Recip(y)))?,
        }
    }
    Some(out)
}

/// The polynomial of `root` (an explicit post-order: no recursion on term depth).
///
/// `factors` (the scale factors, as the prover reads them) are atoms unless their own
/// polynomial is a single monomial, which is expanded (it never grows the count).
pub fn normal_form(dag: &Dag, root: Id, atoms: Atoms, factors: Atoms, memo: &mut Memo) -> Form {
    let mut stack = vec![(root, false)];
    while let Some((id, ready)) = stack.pop() {
        if memo.contains_key(&id) {
            continue;
        }
        let op = ring_op(dag, id, atoms);
        if !ready {
            stack.push((id, true));
            if let Some((o, kids)) = op {
                let kids = if o == "div" { &kids[..1] } else { kids };
                let todo = kids.iter().filter(|k| !memo.contains_key(k));
                stack.extend(todo.map(|&k| (k, false)));
            }
            continue;
        }
        let get = |k: &Id| memo.get(k).cloned().flatten();
        let (two, minus) = (|k: &[Id]| get(&k[0]).zip(get(&k[1])), constant(-1.0));
        let p = match op {
            Some(("add", k)) => two(k).and_then(|(a, b)| add(&a, &b)),
            Some(("sub", k)) => two(k).and_then(|(a, b)| add(&a, &mul(&minus, &b)?)),
            Some(("mul", k)) => two(k).and_then(|(a, b)| mul(&a, &b)),
            Some(("neg", k)) => get(&k[0]).and_then(|a| mul(&minus, &a)),
            Some((_, k)) => get(&k[0]).and_then(|a| mul(&a, &recip(dag, k[1])?)),
            None if atoms(id) => Some(atom(Atom::Node(id))),
            None => Some(dyadic(dag, id).map_or_else(|| atom(Atom::Node(id)), constant)),
        };
        let p = match p {
            Some(m) if factors(id) && m.len() > 1 => Some(atom(Atom::Node(id))),
            None if factors(id) => Some(atom(Atom::Node(id))),
            p => p,
        };
        memo.insert(id, p);
    }
    memo.get(&root).cloned().flatten()
}
