//! Refutations, re-checked **outside the kernel's trust boundary**: a `refuted` obligation
//! cannot make a claim `proved`, so its re-evaluation need not be believed for a proof to be.
//! [`verify`] is what `lina verify` runs: the kernel (`kernel::check`), then every refutation
//! it recorded, both sides evaluated at the certificate's point by a loop over the kernel's
//! term DAG with the primitive table's evaluation functions; they must differ (beyond
//! `1e-6·(1+|l|+|r|)`, both finite). A function symbol `tag:g#k`, `tag:g#k@i` or `tag:g#dk@i`
//! means the kernel's own lowering of `g` (its result, coefficient or reference partial) in
//! the refutation's stage (each stage names its calls its own way) as it stood when the
//! refutation was met, evaluated in a frame of its own; frames nest as deep
//! as the calls do, at most [`MAX_DEPTH`] (beyond that nothing is confirmed).

use crate::kernel::term::Id;
use crate::kernel::walk::coefficient;
use crate::kernel::{self, ClaimOutcome, KernelError, Refutation, Verifier};
use serde::Serialize;
use std::collections::HashMap;

pub const MAX_DEPTH: usize = 256;

/// Verifies a certificate (its JSON text): the kernel's checks, and its refutations in the
/// order it met them (a refutation that fails before the kernel's first error is reported).
pub fn verify(json: &str) -> Result<Report, KernelError> {
    let (verdict, v) = kernel::check(json);
    let Some(v) = v else {
        return Err(verdict.err().unwrap_or_default());
    };
    let count = |o: &str| v.report.iter().filter(|c| c.outcome == o).count();
    let (proved, refuted) = (count("proved"), count("refuted"));
    let report = Report {
        transformation: v.transformation.clone(),
        claims: v.report.clone(),
        proved,
        unknown: v.report.len() - proved - refuted,
        refuted,
        decided: v.decided,
        terms: v.dag.len(),
    };
    for r in &v.refutations {
        if !differ(&v, r) {
            let why = "the two sides do not differ at the refutation's point";
            return Err(kernel::fail("E0803", why).at(&r.claim, Some(&r.what)));
        }
    }
    verdict.map(|()| report)
}

/// An accepted certificate, as `lina verify` reports it: each claim's outcome, how many
/// obligations the kernel decided, and the size of its term DAG.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub transformation: String,
    pub claims: Vec<ClaimOutcome>,
    pub proved: usize,
    pub unknown: usize,
    pub refuted: usize,
    pub decided: usize,
    pub terms: usize,
}

impl std::fmt::Display for KernelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (label, part) in [("claim", &self.claim), ("obligation", &self.obligation)] {
            if let Some(p) = part {
                write!(f, "{label} `{p}`, ")?;
            }
        }
        write!(f, "{} [{}]", self.message, self.code)
    }
}

/// Do the two sides differ at the point (input symbol ↦ value), beyond rounding?
fn differ(v: &Verifier, r: &Refutation) -> bool {
    let env: HashMap<&str, f64> = r.point.iter().map(|(n, x)| (n.as_str(), *x)).collect();
    let (memo, (l, rr)) = (&mut HashMap::new(), r.sides);
    let (a, b) = (
        value(v, r, l, &env, memo, 0),
        value(v, r, rr, &env, memo, 0),
    );
    let apart = |(a, b): (f64, f64)| (a - b).abs() > 1e-6 * (1.0 + a.abs() + b.abs());
    a.zip(b)
        .is_some_and(|(a, b)| a.is_finite() && b.is_finite() && apart((a, b)))
}

/// The value of `root`, inputs read from `env` (an explicit post-order stack); a symbol's
/// meaning is one of the lowerings of `r`'s stage made before `r` was met.
fn value(
    v: &Verifier,
    r: &Refutation,
    root: Id,
    env: &HashMap<&str, f64>,
    memo: &mut HashMap<Id, f64>,
    depth: usize,
) -> Option<f64> {
    let (mut stack, prims) = (vec![(root, false)], semantics::PrimTable::standard());
    while let Some((id, ready)) = stack.pop() {
        let n = v.dag.node(id);
        if memo.contains_key(&id) {
            continue;
        } else if !ready {
            stack.push((id, true));
            stack.extend(n.kids.iter().map(|&k| (k, false)));
            continue;
        }
        let xs: Vec<f64> = n.kids.iter().map(|k| memo[k]).collect();
        let prim = prims.lookup(&n.op).and_then(|p| prims.get(p));
        let x = match (v.dag.lit(id), prim) {
            (Some(c), _) => c,
            (_, Some(row)) if row.arity == xs.len() => (row.eval)(&xs),
            _ if n.kids.is_empty() && !n.op.contains('#') => *env.get(n.op.as_str())?,
            _ => symbol(v, r, &n.op, &xs, depth)?,
        };
        memo.insert(id, x);
    }
    memo.get(&root).copied()
}

/// A function symbol's value at `xs`: its meaning, the kernel's lowering of the callee.
fn symbol(v: &Verifier, r: &Refutation, op: &str, xs: &[f64], depth: usize) -> Option<f64> {
    let (tag, rest) = op.split_once(':')?;
    let (name, which) = rest.rsplit_once('#')?;
    let (grad, which) = which
        .strip_prefix('d')
        .map_or((false, which), |w| (true, w));
    // A result leaf is the same term in either lowering (`grad` adds the partials).
    let get = |g: bool| {
        let l = v.lowered.get(&format!("{} {tag}:{name}:{g}", r.stage));
        l.filter(|(_, _, rank)| *rank < r.known)
    };
    let (own, low, _) = get(grad).or_else(|| get(!grad).filter(|_| !which.contains('@')))?;
    let body = match which.split_once('@') {
        None => *low.nl.get(which.parse::<usize>().ok()?)?,
        Some((k, i)) => {
            let row = (if grad { &low.grads } else { &low.lin }).get(k.parse::<usize>().ok()?)?;
            let Some(c) = coefficient(row, i.parse().ok()?) else {
                return Some(0.0);
            };
            c
        }
    };
    if depth >= MAX_DEPTH || own.len() != xs.len() {
        return None;
    }
    let env = own
        .iter()
        .zip(xs)
        .map(|(&x, &x_v)| (v.dag.node(x).op.as_str(), x_v))
        .collect();
    value(v, r, body, &env, &mut HashMap::new(), depth + 1)
}
