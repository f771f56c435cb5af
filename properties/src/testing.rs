//! Test scaffolding the suites share (this crate's, `rewrite`'s integration tests through a
//! dev-dependency, and the CLI's): running both halves of an unzip or of a VJP, the basis
//! directions of a parameter list, and the two sides of the dot-product test. Each lived in
//! two or more test files before; the tolerances stay with each test, since what rounding a
//! check must allow depends on the maps it compares.

use rewrite::{Unzipped, Vjp};
use semantics::numeric::dot;
use semantics::{PrimTable, Type, Value, eval_fn};

pub use rewrite::basis;

/// Runs input function `i` through an unzipped program: `.nonlin`, then `.lin` on the
/// residuals it returns (a function passed through runs as it is). The nonlinear and linear
/// results.
pub fn run_unzipped(
    u: &Unzipped,
    prims: &PrimTable,
    i: usize,
    nl: &[Value],
    lin: &[Value],
) -> Result<(Vec<Value>, Vec<Value>), String> {
    let (first, second) = u.reports.get(i).ok_or("no such function")?.outputs;
    let Some(second) = second else {
        let o = eval_fn(&u.program, prims, first, nl, lin).map_err(|e| e.to_string())?;
        return Ok((o.nl, o.lin));
    };
    let mut a = eval_fn(&u.program, prims, first, nl, &[])
        .map_err(|e| e.to_string())?
        .nl;
    let res = a.pop().ok_or("no residual")?;
    let b = eval_fn(&u.program, prims, second, &[res], lin).map_err(|e| e.to_string())?;
    Ok((a, b.lin))
}

/// Reverse mode of input function `i` at `x` with cotangent `ct` through a VJP program:
/// `f.jvp.nonlin`, then `f.jvp.lin.T` on its residuals. The parameters' cotangents and the
/// work of both halves; `None` if `f` was not split or either half fails.
pub fn vjp_at(
    v: &Vjp,
    prims: &PrimTable,
    i: usize,
    x: &[Value],
    ct: &[Value],
) -> Option<(Vec<Value>, u128)> {
    let (nonlin, lin_t) = v.halves(i)?;
    let mut fwd = eval_fn(&v.program, prims, nonlin, x, &[]).ok()?;
    let res = fwd.nl.pop()?;
    let back = eval_fn(&v.program, prims, lin_t, &[res], ct).ok()?;
    Some((back.lin, fwd.work + back.work))
}

/// Every basis direction over values of `types`, one per real leaf, in leaf order.
pub fn directions(types: &[Type]) -> Vec<Vec<Value>> {
    let n: u128 = types.iter().map(Type::size).sum();
    (0..n as usize).map(|k| basis(types, k)).collect()
}

/// The two sides of the dot-product test of a linear map `L` and its transpose:
/// `(<ct, L u>, <Lᵀ ct, u>)`, equal in exact arithmetic; `None` if shapes disagree.
pub fn dot_sides(ct: &[Value], lu: &[Value], ltct: &[Value], u: &[Value]) -> Option<(f64, f64)> {
    Some((dot(ct, lu)?, dot(ltct, u)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The directions of `(R, <R, <R, R>>)` are the four unit vectors, leaf by leaf.
    #[test]
    fn directions_are_the_unit_vectors_leaf_by_leaf() {
        let t = [
            Type::Real,
            Type::Tuple(vec![Type::Real, Type::Tuple(vec![Type::Real, Type::Real])]),
        ];
        let ds = directions(&t);
        assert_eq!(ds.len(), 4);
        for (k, d) in ds.iter().enumerate() {
            let leaves = semantics::numeric::leaves(d);
            let want: Vec<f64> = (0..4).map(|j| if j == k { 1.0 } else { 0.0 }).collect();
            assert_eq!(leaves, want);
        }
    }
}
