//! Numeric references for the validation suites: values drawn at random by type, vector-space
//! operations on values, and central finite differences. These are the *independent* checks
//! that derivatives are compared against, so they use nothing but evaluation.

use crate::eval::eval_fn;
use crate::prims::PrimTable;
use crate::syntax::{FuncId, PrimId, Program};
use crate::types::Type;
use crate::value::Value;
use std::cell::Cell;
use std::sync::OnceLock;

/// SplitMix64: a small, seeded, reproducible generator (the suites must be deterministic).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }

    /// A value of type `ty` with every real uniform in `[lo, hi)`.
    pub fn value(&mut self, ty: &Type, lo: f64, hi: f64) -> Value {
        match ty.components() {
            None => Value::Real(self.uniform(lo, hi)),
            Some(ts) => Value::tuple(ts.iter().map(|t| self.value(t, lo, hi)).collect()),
        }
    }
}

/// `a·x + y`, leaf by leaf (`None` if the shapes differ).
pub fn axpy(a: f64, x: &Value, y: &Value) -> Option<Value> {
    x.zip_with(y, &|p, q| a * p + q)
}

/// `Σ xᵢ·yᵢ` over the leaves of two lists of values of the same shapes.
pub fn dot(xs: &[Value], ys: &[Value]) -> Option<f64> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    xs.iter().for_each(|v| v.leaves(&mut a));
    ys.iter().for_each(|v| v.leaves(&mut b));
    (a.len() == b.len() && xs.len() == ys.len()).then(|| a.iter().zip(&b).map(|(p, q)| p * q).sum())
}

/// Every leaf of `xs`, in order.
pub fn leaves(xs: &[Value]) -> Vec<f64> {
    let mut out = Vec::new();
    xs.iter().for_each(|v| v.leaves(&mut out));
    out
}

/// The directional derivative of `f` at `x` along `u` by the five-point central difference
/// `(-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h` (truncation error O(h⁴)), returned as
/// the leaves of `f`'s results. `None` if `f` fails at a stencil point.
pub fn central_difference(
    f: &mut dyn FnMut(&[Value]) -> Option<Vec<Value>>,
    x: &[Value],
    u: &[Value],
    h: f64,
) -> Option<Vec<f64>> {
    let mut at = |s: f64| -> Option<Vec<f64>> {
        let shifted = x
            .iter()
            .zip(u)
            .map(|(xi, ui)| axpy(s * h, ui, xi))
            .collect::<Option<Vec<_>>>()?;
        Some(leaves(&f(&shifted)?))
    };
    let (p2, p1, m1, m2) = (at(2.0)?, at(1.0)?, at(-1.0)?, at(-2.0)?);
    Some(
        (0..p1.len())
            .map(|i| (-p2[i] + 8.0 * p1[i] - 8.0 * m1[i] + m2[i]) / (12.0 * h))
            .collect(),
    )
}

/// Compares a derivative `t` with finite differences of `f` at `x` along `u`: the five-point
/// difference with step `h` must match within `atol + rtol·|fd|` plus four times the
/// difference's own error estimate `|fd(h) - fd(2h)|` (a function with large higher derivatives
/// makes any fixed step inaccurate; the estimate says by how much). Returns the differences on
/// failure, `Ok(None)` when `f` is not finite around `x` (outside a primitive's domain).
pub fn check_directional(
    f: &mut dyn FnMut(&[Value]) -> Option<Vec<Value>>,
    x: &[Value],
    u: &[Value],
    t: &[f64],
    (h, atol, rtol): (f64, f64, f64),
) -> Result<Option<()>, Vec<f64>> {
    let (Some(fd), Some(fd2)) = (
        central_difference(f, x, u, h),
        central_difference(f, x, u, 2.0 * h),
    ) else {
        return Ok(None);
    };
    if !fd.iter().chain(&fd2).all(|v| v.is_finite()) {
        return Ok(None);
    }
    let ok = t.len() == fd.len()
        && t.iter()
            .zip(&fd)
            .zip(&fd2)
            .all(|((t, a), b)| (t - a).abs() <= atol + rtol * a.abs() + 4.0 * (a - b).abs());
    if ok { Ok(Some(())) } else { Err(fd) }
}

/// `|a - b| <= atol + rtol·|b|` leaf by leaf, the comparison JAX's `check_grads` makes.
pub fn allclose(a: &[f64], b: &[f64], atol: f64, rtol: f64) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(p, q)| (p - q).abs() <= atol + rtol * q.abs())
}

thread_local! {
    static ABSORBED: Cell<bool> = const { Cell::new(false) };
}

/// `y`, noting whether it absorbed a nonzero operand (`a ± b == a` with `b ≠ 0`, or the
/// reverse).
fn noting(y: f64, a: f64, b: f64) -> f64 {
    if (y == a && b != 0.0) || (y == b && a != 0.0) {
        ABSORBED.with(|c| c.set(true));
    }
    y
}

/// Whether evaluating function `func` of `prog` (over the standard table) at `x` rounds a
/// nonzero operand of an addition or subtraction away (`a + b == a` with `b ≠ 0`:
/// absorption). There the floating-point function does not depend on what the real one
/// depends on: `sqrt(c·c + 1.0)` is exactly 1 once `|c| < 1e-8`, while its real derivative
/// `c / sqrt(c·c + 1)` is not zero, and a later `sin(exp(exp(..)))` makes that dependence as
/// large as it likes. Differences measure the floating-point function, derivatives the real
/// one, so at such a point differences judge nothing. Decided by evaluation alone, never by
/// looking at a derivative. `false` when evaluation fails (that is reported elsewhere).
pub fn absorbs(prog: &Program, func: FuncId, x: &[Value]) -> bool {
    static OBSERVED: OnceLock<PrimTable> = OnceLock::new();
    let table = OBSERVED.get_or_init(|| {
        let mut t = PrimTable::extensible();
        let add: fn(&[f64]) -> f64 = |a| noting(a[0] + a[1], a[0], a[1]);
        let sub: fn(&[f64]) -> f64 = |a| noting(a[0] - a[1], a[0], -a[1]);
        t.set_eval(PrimId::ADD, add).expect("add is a standard row");
        t.set_eval(PrimId::SUB, sub).expect("sub is a standard row");
        t
    });
    ABSORBED.with(|c| c.set(false));
    let ran = eval_fn(prog, table, func, x, &[]).is_ok();
    ran && ABSORBED.with(Cell::get)
}
