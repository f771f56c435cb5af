//! Commutative-ring normal forms: the decision procedure behind most obligations.
//!
//! Transposition reverses the order of products and regroups sums (a chain `a3·(a2·a1)`
//! forward is `a1·(a2·a3)` backward); proving that by associativity and commutativity rules
//! makes an e-graph of every subset of factors. Instead, both sides are expanded into
//! polynomials with exact coefficients over **atoms** (every subterm that is not `add`, `sub`,
//! `mul`, `neg`, a literal, or a division by something, which becomes the atom `1/b`), and
//! compared. Equal polynomials are equal as reals wherever both sides are defined: the ring
//! laws hold over the reals, no atom is ever cancelled against its reciprocal (`a/a` stays
//! `a · (1/a)`), and a literal coefficient is kept only when f64 arithmetic on it is exact
//! (otherwise the procedure gives up and saturation takes over). A polynomial larger than
//! [`MAX_TERMS`] monomials also gives up, so the procedure is never exponential.
//!
//! `atoms` are classes read as atoms even when they are ring operations: the scale factors
//! of linear code, which both sides share (`1 - y·y` for `tanh`), so that a product of a
//! thousand such factors is one monomial, not 2^1000. A factor whose own normal form is a
//! single monomial (`x + x`, `2·y`) is expanded instead, which never grows the count.
//!
//! The procedure reads an e-graph after the lemmas about callees have been applied, so atoms
//! are e-classes: a callee's symbol and its lemma's right-hand side are one atom.

use super::language::Term;
use egg::{EGraph, Id};
use std::collections::{BTreeMap, HashMap};

pub const MAX_TERMS: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Atom {
    Class(Id),
    Recip(Id),
}

type Monomial = Vec<(Atom, u32)>;
pub type Poly = BTreeMap<Monomial, f64>;

fn exact_mul(a: f64, b: f64) -> Option<f64> {
    let p = a * b;
    (p.is_finite() && a.mul_add(b, -p) == 0.0).then_some(p)
}

fn exact_add(a: f64, b: f64) -> Option<f64> {
    let s = a + b;
    let bb = s - a;
    let err = (a - (s - bb)) + (b - bb);
    (s.is_finite() && err == 0.0).then_some(s)
}

fn constant(c: f64) -> Poly {
    let mut p = Poly::new();
    if c != 0.0 {
        p.insert(Vec::new(), c);
    }
    p
}

fn atom(a: Atom) -> Poly {
    let mut p = Poly::new();
    p.insert(vec![(a, 1)], 1.0);
    p
}

fn add(a: &Poly, b: &Poly) -> Option<Poly> {
    let mut out = a.clone();
    for (m, c) in b {
        let s = match out.get(m) {
            Some(&d) => exact_add(d, *c)?,
            None => *c,
        };
        if s == 0.0 {
            out.remove(m);
        } else {
            out.insert(m.clone(), s);
        }
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
            let c = exact_mul(*ca, *cb)?;
            let mut m: BTreeMap<Atom, u32> = ma.iter().copied().collect();
            for &(x, k) in mb {
                *m.entry(x).or_default() += k;
            }
            let m: Monomial = m.into_iter().collect();
            let s = match out.get(&m) {
                Some(&d) => exact_add(d, c)?,
                None => c,
            };
            if s == 0.0 {
                out.remove(&m);
            } else {
                out.insert(m, s);
            }
        }
    }
    (out.len() <= MAX_TERMS).then_some(out)
}

/// The normal form of e-class `root`, or `None` when the procedure gives up.
pub fn normal_form(
    egraph: &EGraph<Term, ()>,
    root: Id,
    atoms: &std::collections::HashSet<Id>,
    memo: &mut HashMap<Id, Option<Poly>>,
) -> Option<Poly> {
    // Iterative post-order over e-classes (no recursion on term depth).
    let mut stack = vec![(egraph.find(root), false)];
    while let Some((c, ready)) = stack.pop() {
        if memo.contains_key(&c) {
            continue;
        }
        let node = pick(egraph, c);
        let kids: Vec<Id> = match &node {
            Some(Term::Prim(_, args)) => args.iter().map(|a| egraph.find(*a)).collect(),
            _ => Vec::new(),
        };
        if !ready {
            stack.push((c, true));
            for k in kids {
                if !memo.contains_key(&k) {
                    stack.push((k, false));
                }
            }
            continue;
        }
        let get = |k: &Id, memo: &HashMap<Id, Option<Poly>>| memo.get(k).cloned().flatten();
        let p = match node {
            Some(Term::Num(l)) if small_dyadic(l.value()) => Some(constant(l.value())),
            Some(Term::Num(_)) => Some(atom(Atom::Class(c))),
            Some(Term::Prim(s, args)) => {
                let a: Vec<Id> = args.iter().map(|x| egraph.find(*x)).collect();
                match (s.as_str(), a.as_slice()) {
                    ("add", [x, y]) => get(x, memo)
                        .zip(get(y, memo))
                        .and_then(|(x, y)| add(&x, &y)),
                    ("sub", [x, y]) => get(x, memo)
                        .zip(get(y, memo))
                        .and_then(|(x, y)| add(&x, &mul(&constant(-1.0), &y)?)),
                    ("mul", [x, y]) => get(x, memo)
                        .zip(get(y, memo))
                        .and_then(|(x, y)| mul(&x, &y)),
                    ("neg", [x]) => get(x, memo).and_then(|x| mul(&constant(-1.0), &x)),
                    ("div", [x, y]) => get(x, memo).and_then(|x| mul(&x, &recip(egraph, *y, 0)?)),
                    _ => Some(atom(Atom::Class(c))),
                }
            }
            _ => Some(atom(Atom::Class(c))),
        };
        // A scale factor is an atom unless it is one monomial (`x + x` is `2·x`): expanding a
        // monomial never multiplies the count of monomials, and both sides of an obligation
        // spell `2·x` alike when one merged `x·t' + x·t'` into `(x + x)·t'`.
        let p = if atoms.contains(&c) {
            match p {
                Some(m) if m.len() <= 1 => Some(m),
                _ => Some(atom(Atom::Class(c))),
            }
        } else {
            p
        };
        memo.insert(c, p);
    }
    memo.get(&egraph.find(root)).cloned().flatten()
}

/// A literal used as a coefficient: an integer or a fraction with a few binary digits
/// (`3`, `-1`, `0.5`), whose products and sums stay exact. Any other literal (`0.37`) is an
/// atom, an uninterpreted real: a polynomial identity in it holds at its value too, and
/// `0.37 · 0.37` need not be rounded.
fn small_dyadic(c: f64) -> bool {
    let scaled = c * 1024.0;
    c.abs() < 1048576.0 && scaled.fract() == 0.0
}

/// `1 / y` as a polynomial: `1/(u·v) = (1/u)·(1/v)`, `1/(-u) = -(1/u)`, a literal's exact
/// reciprocal, else the atom `1/y` (both sides are defined exactly where `y ≠ 0`).
fn recip(egraph: &EGraph<Term, ()>, y: Id, depth: usize) -> Option<Poly> {
    let y = egraph.find(y);
    if depth < 32 {
        match pick(egraph, y) {
            Some(Term::Num(l)) if small_dyadic(l.value()) => {
                let c = l.value();
                let r = 1.0 / c;
                if r.is_finite() && r.mul_add(c, -1.0) == 0.0 {
                    return Some(constant(r));
                }
            }
            Some(Term::Prim(s, args)) if s.as_str() == "mul" && args.len() == 2 => {
                return mul(
                    &recip(egraph, args[0], depth + 1)?,
                    &recip(egraph, args[1], depth + 1)?,
                );
            }
            Some(Term::Prim(s, args)) if s.as_str() == "neg" && args.len() == 1 => {
                return mul(&constant(-1.0), &recip(egraph, args[0], depth + 1)?);
            }
            _ => {}
        }
    }
    Some(atom(Atom::Recip(y)))
}

/// The node of a class that the normal form reads: a literal, else a ring operation, else
/// none (the class is an atom).
fn pick(egraph: &EGraph<Term, ()>, c: Id) -> Option<Term> {
    let class = &egraph[c];
    if let Some(n) = class.nodes.iter().find(|n| matches!(n, Term::Num(_))) {
        return Some(n.clone());
    }
    class
        .nodes
        .iter()
        .find(|n| matches!(n, Term::Prim(s, _) if matches!(s.as_str(), "add" | "sub" | "mul" | "neg" | "div")))
        .cloned()
}

/// The polynomial as text, for explanations.
pub fn show(p: &Poly) -> String {
    if p.is_empty() {
        return "0".into();
    }
    let terms: Vec<String> = p
        .iter()
        .map(|(m, c)| {
            let mut s = semantics::fmt_real(*c);
            for (a, k) in m {
                let name = match a {
                    Atom::Class(id) => format!("[{id}]"),
                    Atom::Recip(id) => format!("1/[{id}]"),
                };
                s += &format!("·{name}");
                if *k > 1 {
                    s += &format!("^{k}");
                }
            }
            s
        })
        .collect();
    terms.join(" + ")
}
