//! The work constants of SPEC §5, **derived** from the primitive table and the cost model,
//! never tuned to pass. Each is a per-construct bound: for every construct of the input, the
//! work its image costs after the transformation, divided by the work it costs before; the
//! constant is the largest such ratio, so summing over a program gives the bound.
//!
//! JVP (strict input; a relaxed one is elaborated first, which charges its drops to `W(f)`):
//! - an atom costs 1 before; after, its primal (1), its tangent (1), and either a `zero<R>`
//!   binding for a literal (2) or, for a variable's second and later uses, one `dup` of its
//!   tangent (binding 1 + dup `s` + atom 1, where `s` bounds the tangent's size): at most
//!   `4 + s`;
//! - `let x = p(a1..an)` costs `1 + cost(p) + n` before and at most `W(rule_p) + 1 + 3n`
//!   after (the rule inlined; a literal argument's zero or a variable's dup, 2 or 3 each); in
//!   tail position `cost(p) + n` against `W(rule_p) + 3n`;
//! - a tuple build, `1 + n` before, two builds and two bindings and a return after: `7 + s`;
//! - a destructure, 2 before, two destructures plus a dup of the tangent after: `3 + s/2`;
//! - a call, `drop` and a block are bounded by their parts (a drop of `S` scalars becomes a
//!   drop of `2S`).

use crate::rules::JvpRules;
use semantics::{Expr, PrimTable, Program, each_expr, local_types};

/// `c_T`: `W(g.T) ≤ c_T · W(g)` for every linear function `g`. Transposition keeps every atom
/// (a linear variable's one use becomes its cotangent's one use) and swaps constructs:
/// `+` (`1 + s + 2`) ↔ `dup` (`1 + s + 1`), scale ↔ scale, tuple ↔ destructure, a call of `h`
/// ↔ a call of `h.T`; `zero<σ>` (`1 + s`) becomes a drop of its cotangent (`1 + 2 + s`), at most
/// 2×; `drop(e)` becomes a `zero` per free linear variable of `e` (each paid for by its use in
/// `e`); and a nonlinear variable that only `e` used gets an explicit drop (`3 + max(1, size)`,
/// against its one atom in `e`): 4× for a unit-typed one, the worst case.
///
/// One term is not proportional: `g.T` ends in a return of its `k` parameter cotangents
/// (`1 + k`, plus the binding of `g`'s last expression when `g` does not end in a return), so
/// the bound is affine: `W(g.T) ≤ c_T·W(g) + 2 + k` ([`transpose_bound`]). The folds after
/// transposition (`crate::fold`) only remove work (a last binding returned alone becomes the
/// tail: 2 less), so the bound, derived for the unfolded output, holds for the folded one.
pub const C_T: f64 = 4.0;

/// The bound on `W(g.T)` for a linear function of work `w` with `k` linear parameters.
pub fn transpose_bound(w: u128, k: usize) -> f64 {
    C_T * w as f64 + 2.0 + k as f64
}

/// `c_jvp` for programs whose multiply-used variables have size at most `s`.
pub fn c_jvp(rules: &JvpRules, prims: &PrimTable, s: u128) -> f64 {
    let s = s.max(1) as f64;
    let mut c = (7.0 + s).max(4.0 + s).max(3.0 + s / 2.0);
    for ((_, row), rule) in prims.rows().zip(&rules.rules) {
        let (w, n, cost) = (rule.work as f64, row.arity as f64, row.cost as f64);
        c = c
            .max((w + 1.0 + 3.0 * n) / (1.0 + cost + n))
            .max((w + 3.0 * n) / (cost + n).max(1.0));
    }
    c
}

/// The size of the largest type of any variable of the program (1 if it cannot be computed).
pub fn largest_type(prog: &Program, prims: &PrimTable) -> u128 {
    local_types(prog, prims)
        .map(|ts| {
            ts.iter()
                .flatten()
                .flatten()
                .map(|t| t.size())
                .max()
                .unwrap_or(1)
        })
        .unwrap_or(1)
}

/// The work unzip may add to a function beyond its recomputed items (SPEC §5 says a constant
/// per call; with tuples costing `1 + n`, passing `|R_f|` residuals costs `|R_f|` atoms, so the
/// honest figure grows with the residuals). Per input function, summed from its parts:
/// - the residual tuple: built (`let` 1, tuple 1, atoms `|R_f|`), returned (1 atom), and
///   destructured in `.lin` (2); the final return split in two (1 more return node); if the body
///   did not end in a return, binding its `k` results (`let` 1, return `1 + k`): `|R_f| + 6`,
///   plus `k + 2` in the second case;
/// - a call of a split `g`: a second binding, call and residual atom (3), plus `g`'s own
///   overhead and recomputation;
/// - a mixed return or a drop of a mixed value split in two: at most 3 each;
/// - an explicit `drop` of each binder that one half binds but does not use (4 each: a binding,
///   a return of one atom, and the drop of one scalar or more, counted by size).
pub fn unzip_overhead(input: &Program, out: &crate::Unzipped, prims: &PrimTable) -> Vec<u128> {
    let (Ok(w), Ok(wo)) = (
        semantics::static_work(input, prims),
        semantics::static_work(&out.program, prims),
    ) else {
        return vec![0; input.funcs.len()];
    };
    let after = |i: usize| {
        let (a, b) = out.reports[i].outputs;
        wo[a.0 as usize] + b.map_or(0, |b| wo[b.0 as usize])
    };
    input
        .funcs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            // What the callees add, each already within its own bound.
            let mut callees = 0u128;
            each_expr(&f.body, &mut |e| {
                // Every callee's growth: a split one's, and a passed-through one's that calls
                // split functions in turn.
                if let Expr::Call { func, .. } = e {
                    let g = func.0 as usize;
                    callees += after(g).saturating_sub(w[g]);
                }
            });
            out.reports[i].overhead_bound + callees
        })
        .collect()
}
