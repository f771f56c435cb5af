//! Executed arithmetic operations, the figure compared with the equation count of JAX's
//! `jax.make_jaxpr(jax.grad(f))` (`tests/jax/compare.py`, `docs/RESULTS.md`).
//!
//! **The counting rule**, applied identically to a jaxpr (where every value is a scalar, a
//! tuple being a Python tuple of scalars): one operation per scalar arithmetic result.
//! - a nonlinear primitive application (`sin(x)`, `a * b`, ...) is 1, counted by its row;
//! - a linear add `y1' + y2'` on a value of type σ is `size(σ)` adds (JAX's `add_any`, one
//!   per leaf), a scale `a * y'` is `size(σ)` multiplications;
//! - `zero`, `dup`, `drop`, tuples, destructures, returns and calls compute nothing (JAX's
//!   zeros are literals, its fan-out is free, its calls are inlined): 0;
//! - `drop(e)` executes `e`, so `e`'s operations count; a call counts the callee's body.
//!
//! Linear A has no data-dependent control flow, so what a body executes is what it contains
//! (calls expanded): the count is static, one sweep per function in program order, each callee
//! counted once (functions call only earlier ones). Counts saturate at `u128::MAX`.

use semantics::*;

/// Operations by kind. `prims[i]` counts applications of primitive row `i`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ops {
    pub prims: Vec<u128>,
    /// Scalar linear adds.
    pub adds: u128,
    /// Scalar scalings.
    pub scales: u128,
}

impl Ops {
    /// All arithmetic operations.
    pub fn total(&self) -> u128 {
        self.prims
            .iter()
            .fold(self.adds.saturating_add(self.scales), |a, &b| {
                a.saturating_add(b)
            })
    }

    /// Primitive applications.
    pub fn prim_total(&self) -> u128 {
        self.prims.iter().fold(0, |a: u128, &b| a.saturating_add(b))
    }

    /// `self += k · other`.
    fn add_scaled(&mut self, other: &Ops, k: u128) {
        if self.prims.len() < other.prims.len() {
            self.prims.resize(other.prims.len(), 0);
        }
        for (a, b) in self.prims.iter_mut().zip(&other.prims) {
            *a = a.saturating_add(b.saturating_mul(k));
        }
        self.adds = self.adds.saturating_add(other.adds.saturating_mul(k));
        self.scales = self.scales.saturating_add(other.scales.saturating_mul(k));
    }

    pub fn plus(mut self, other: &Ops) -> Ops {
        self.add_scaled(other, 1);
        self
    }
}

/// The operations one execution of each function's body performs, indexed like `prog.funcs`.
pub fn executed_ops(prog: &Program, prims: &PrimTable) -> Result<Vec<Ops>, WorkError> {
    let types = local_types(prog, prims)?;
    let rows = prims.rows().count();
    let mut done: Vec<Ops> = Vec::with_capacity(prog.funcs.len());
    for (f, ts) in prog.funcs.iter().zip(&types) {
        let mut ops = Ops {
            prims: vec![0; rows],
            ..Ops::default()
        };
        let size = |a: &Atom| match a {
            Atom::Var(v) => ts
                .get(v.id.0 as usize)
                .cloned()
                .flatten()
                .map_or(1, |t| t.size()),
            Atom::Lit(..) => 1,
        };
        each_expr(&f.body, &mut |e| match e {
            Expr::Prim { prim, .. } => {
                if let Some(n) = ops.prims.get_mut(prim.0 as usize) {
                    *n = n.saturating_add(1);
                }
            }
            Expr::LAdd { lhs, .. } => ops.adds = ops.adds.saturating_add(size(lhs)),
            Expr::Scale { lin, .. } => ops.scales = ops.scales.saturating_add(size(lin)),
            Expr::Call { func, .. } => {
                if let Some(g) = done.get(func.0 as usize) {
                    ops.add_scaled(g, 1);
                }
            }
            _ => {}
        });
        done.push(ops);
    }
    Ok(done)
}
