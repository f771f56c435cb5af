//! Comparing a linear map's values up to rounding.
//!
//! `f(a·u + b·v) = a·f(u) + b·f(v)` holds exactly in the reals but only up to rounding in
//! floating point, and the rounding error scales with the *intermediate* values of the
//! computation, not with its results: a linear map that computes `c·u - c·u'` with `c = 1e8`
//! loses eight digits to cancellation. A tolerance relative to the results alone would
//! reject correct programs, a loose one would miss real faults. So the rounding level is
//! *measured*: `f(3·u) - 3·f(u)` is zero in the reals, and in floating point it is the
//! rounding noise of `f` around `u` (scaling by 3, unlike 2, is inexact). A case agrees when
//! each leaf is within `1e-9` of the results' scale plus a few times that noise.

/// The leaves of `f(a·u + b·v)` (`mix`) against `a·f(u) + b·f(v)`, given the leaves of
/// `f(u)`, `f(v)`, `f(3u)`, `f(3v)`. Returns the first leaf that disagrees, with the two
/// values and the tolerance.
pub fn linear_combination_agrees(
    mix: &[f64],
    (fu, fv): (&[f64], &[f64]),
    (f3u, f3v): (&[f64], &[f64]),
    (a, b): (f64, f64),
) -> Result<(), (usize, f64, f64, f64)> {
    let scale = fu
        .iter()
        .map(|t| (a * t).abs())
        .chain(fv.iter().map(|t| (b * t).abs()))
        .chain(mix.iter().map(|t| t.abs()))
        .fold(1.0f64, f64::max);
    for k in 0..mix.len() {
        let want = a * fu[k] + b * fv[k];
        let noise = a.abs() * (f3u[k] - 3.0 * fu[k]).abs() + b.abs() * (f3v[k] - 3.0 * fv[k]).abs();
        let tol = 1e-9 * scale + 8.0 * noise;
        let gap = (mix[k] - want).abs();
        if gap.is_nan() || gap > tol {
            return Err((k, mix[k], want, tol));
        }
    }
    Ok(())
}
