//! Claims about JVP (SPEC §4, §5) on generated nonlinear programs.
//!
//! For every generated strict nonlinear program `P`, `jvp(P)` exists and:
//! - *linearity (typing)*: it passes the strict checker, and each `f.jvp` has the signature
//!   `f.jvp(xs ; xs') -> (τs ; T(τs))`;
//! - *meaning*: its primal results equal `f`'s bit for bit, its tangents agree with five-point
//!   central finite differences of `f`, and its tangents are algebraically linear in the input
//!   tangents;
//! - *work*: `W(f.jvp) <= c_jvp · W(f)` for every function, with `c_jvp` derived from the
//!   primitive table (`rewrite::work_bounds`), never tuned;
//! - *size*: `|f.jvp| <= c_size · |f|`, with `c_size` derived from the rule table
//!   (`properties::size`).
//!
//! Points where `f` is not finite are discarded, and counted (see the harness's report).

use properties::domains::{finite, inputs};
use properties::harness::{fail, run};
use properties::nonlinear::{self, NlProgram};
use properties::tolerance::linear_combination_agrees;
use properties::{parse_generated, size};
use proptest::prelude::*;
use rewrite::{JvpRules, tangent_type, work_bounds};
use semantics::numeric::{Rng, absorbs, axpy, central_difference, leaves};
use semantics::{FuncId, PrimTable, Program, Type, Value, eval_fn, print, static_work};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

fn types(ps: &[semantics::Param]) -> Vec<Type> {
    ps.iter().map(|p| p.ty.clone()).collect()
}

/// The generated program and its JVP.
fn pair(g: &NlProgram) -> Result<(Program, Program), TestCaseError> {
    let p = parse_generated(&g.render())?;
    let j = rewrite::jvp(&p, prims()).map_err(|e| fail(format!("jvp fails: {e}"), &p))?;
    Ok((p, j))
}

fn bit_eq(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.bit_eq(y))
}

#[test]
fn jvp_output_type_checks() {
    run(
        "jvp_output_type_checks",
        nonlinear::program_strategy(),
        |g| {
            let (p, j) = pair(&g)?;
            if let Err(d) = checker::accepts(&j, prims(), checker::Options::default()) {
                let src = print(&j);
                return Err(fail(
                    format!(
                        "the JVP is rejected by the strict checker:\n{}",
                        semantics::render(&d, "jvp", &src)
                    ),
                    &p,
                ));
            }
            prop_assert_eq!(j.funcs.len(), p.funcs.len());
            for (f, fj) in p.funcs.iter().zip(&j.funcs) {
                let tangents: Vec<Type> = f.params.iter().map(|q| tangent_type(&q.ty)).collect();
                prop_assert!(
                    fj.name == format!("{}.jvp", f.name)
                        && types(&fj.params) == types(&f.params)
                        && types(&fj.lparams) == tangents
                        && fj.results == f.results
                        && fj.lresults == f.results.iter().map(tangent_type).collect::<Vec<_>>(),
                    "`{}` has the wrong signature\n{}",
                    fj.name,
                    print(&j)
                );
            }
            Ok(())
        },
    );
}

#[test]
fn jvp_primal_is_exact() {
    run("jvp_primal_is_exact", nonlinear::program_strategy(), |g| {
        let (p, j) = pair(&g)?;
        let mut rng = Rng::new(g.seed);
        for (i, f) in p.funcs.iter().enumerate() {
            let id = FuncId(i as u32);
            let x = properties::domains::wild_inputs(&types(&f.params), &mut rng);
            let u = inputs(&types(&f.params), &mut rng);
            let orig = eval_fn(&p, prims(), id, &x, &[])
                .map_err(|e| fail(format!("`{}` fails: {e}", f.name), &p))?;
            let out = eval_fn(&j, prims(), id, &x, &u)
                .map_err(|e| fail(format!("`{}.jvp` fails: {e}", f.name), &j))?;
            prop_assert!(
                bit_eq(&orig.nl, &out.nl),
                "`{}` at {x:?}: f gives {:?}, the primal of f.jvp gives {:?}\n{}\n{}",
                f.name,
                orig.nl,
                out.nl,
                print(&p),
                print(&j)
            );
        }
        Ok(())
    });
}

#[test]
fn jvp_of_a_relaxed_program_agrees_with_jvp_of_its_strict_form() {
    // JVP accepts relaxed input (dup/drop insertion runs on its output): the relaxed and the
    // strict rendering of a program have the same meaning, and so must their JVPs.
    run(
        "jvp_of_a_relaxed_program_agrees_with_jvp_of_its_strict_form",
        nonlinear::program_strategy(),
        |g| {
            let (p, j) = pair(&g)?;
            let r = parse_generated(&g.render_with(true))?;
            let jr = rewrite::jvp(&r, prims())
                .map_err(|e| fail(format!("jvp of the relaxed form fails: {e}"), &r))?;
            if let Err(d) = checker::accepts(&jr, prims(), checker::Options::default()) {
                return Err(fail(
                    format!(
                        "the JVP of the relaxed form is not strict: {} [{}]\n{}",
                        d[0].message,
                        d[0].code,
                        print(&jr)
                    ),
                    &r,
                ));
            }
            let mut rng = Rng::new(g.seed);
            for (i, f) in p.funcs.iter().enumerate() {
                let id = FuncId(i as u32);
                let x = properties::domains::wild_inputs(&types(&f.params), &mut rng);
                let u = inputs(&types(&f.params), &mut rng);
                let a = eval_fn(&j, prims(), id, &x, &u)
                    .map_err(|e| fail(format!("`{}.jvp` fails: {e}", f.name), &j))?;
                let b = eval_fn(&jr, prims(), id, &x, &u)
                    .map_err(|e| fail(format!("relaxed `{}.jvp` fails: {e}", f.name), &jr))?;
                // The primal results are computed alike, bit for bit. The tangents agree up
                // to rounding only: the JVP merges scalings of one tangent (`a·t' + b·t'` is
                // `(a + b)·t'`), which a relaxed program offers where its strict form has
                // `dup`ped the tangent into two, so sums can be associated differently. The
                // rounding level is measured (`tolerance`: the strict JVP at `3u` against three
                // times it at `u`).
                let u3: Option<Vec<Value>> = u
                    .iter()
                    .map(|v| axpy(-1.0, v, v).and_then(|z| axpy(3.0, v, &z)))
                    .collect();
                let a3 = u3.and_then(|u3| eval_fn(&j, prims(), id, &x, &u3).ok());
                let zeros = vec![0.0; leaves(&a.lin).len()];
                let lin_ok = bit_eq(&a.lin, &b.lin)
                    || a3.is_some_and(|a3| {
                        linear_combination_agrees(
                            &leaves(&b.lin),
                            (&leaves(&a.lin), &zeros),
                            (&leaves(&a3.lin), &zeros),
                            (1.0, 0.0),
                        )
                        .is_ok()
                    });
                prop_assert!(
                    bit_eq(&a.nl, &b.nl) && lin_ok,
                    "`{}.jvp`: ({:?} ; {:?}) from the strict form, ({:?} ; {:?}) from the relaxed one\n{}\n{}",
                    f.name,
                    a.nl,
                    a.lin,
                    b.nl,
                    b.lin,
                    print(&j),
                    print(&jr)
                );
            }
            Ok(())
        },
    );
}

/// Does `t` agree with the derivative that central differences estimate at two step sizes
/// (`fd1` with step 1e-3, `fd2` with 1e-4)? `Err` when the estimates themselves cannot be
/// trusted (not finite, or not converged: they disagree with each other), which is decided
/// without looking at `t`; `magnitude` bounds `|f|` near the point, for the rounding term.
fn agrees(t: &[f64], fd1: &[f64], fd2: &[f64], magnitude: f64) -> Result<bool, ()> {
    let mut ok = true;
    for k in 0..t.len() {
        if !fd1[k].is_finite() || !fd2[k].is_finite() {
            return Err(());
        }
        let spread = (fd1[k] - fd2[k]).abs();
        if spread > 1e-4 * fd1[k].abs().max(fd2[k].abs()).max(1.0) {
            return Err(());
        }
        let scale = t[k].abs().max(fd2[k].abs()).max(1.0);
        // Rounding in a difference quotient with step 1e-4: about eps · |f| / h.
        let rounding = 1e-10 * magnitude;
        if (t[k] - fd2[k]).abs() > 1e-6 * scale + rounding + 10.0 * spread {
            ok = false;
        }
    }
    Ok(ok)
}

/// Compares the tangent of `f.jvp` (function `i` of `j`) with central differences of `f`
/// (function `i` of `p`) at `x` along `u`. A point where the comparison cannot be trusted is
/// rejected (discarded), a disagreement fails. When they agree and the tangent is nonzero,
/// says whether the same tangent off by 1e-3 (relative) would have been caught: the check
/// has teeth.
fn tangent_vs_differences(
    p: &Program,
    j: &Program,
    i: usize,
    x: &[Value],
    u: &[Value],
) -> Result<Option<bool>, TestCaseError> {
    let (id, name) = (FuncId(i as u32), &p.funcs[i].name);
    let orig =
        eval_fn(p, prims(), id, x, &[]).map_err(|e| fail(format!("`{name}` fails: {e}"), p))?;
    prop_assume!(finite(&orig.nl), "f is not finite at the point");
    let out =
        eval_fn(j, prims(), id, x, u).map_err(|e| fail(format!("`{name}.jvp` fails: {e}"), j))?;
    prop_assume!(finite(&out.lin), "the tangent is not finite");
    let mut at = |xs: &[Value]| {
        eval_fn(p, prims(), id, xs, &[])
            .ok()
            .map(|o| o.nl)
            .filter(|v| finite(v))
    };
    let fd1 = central_difference(&mut at, x, u, 1e-3);
    let fd2 = central_difference(&mut at, x, u, 1e-4);
    let fd3 = central_difference(&mut at, x, u, 1e-7);
    let (Some(fd1), Some(fd2), Some(fd3)) = (fd1, fd2, fd3) else {
        return Err(TestCaseError::reject("f is not finite near the point"));
    };
    let t = leaves(&out.lin);
    let magnitude = leaves(&orig.nl).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    // Steps 1e-3 and 1e-4 can agree with each other and both be wrong: a component oscillating
    // much faster than the steps (`sin(exp(exp(..)))`) averages out of both. A step of 1e-7
    // resolves it, and disagrees: then differences are no reference here (its own rounding,
    // about eps·|f|/1e-7, is allowed for).
    let aliased = fd2
        .iter()
        .zip(&fd3)
        .any(|(a, b)| (a - b).abs() > 1e-4 * a.abs().max(b.abs()).max(1.0) + 1e-8 * magnitude);
    if aliased {
        return Err(TestCaseError::reject(
            "finite differences alias (a fast oscillation)",
        ));
    }
    // A point that rounds an operand away (`c·c + 1.0 == 1.0`) has a float function that does
    // not depend on what the real one does: differences see the one, the tangent the other.
    prop_assume!(!absorbs(p, id, x), "the point absorbs an operand");
    match agrees(&t, &fd1, &fd2, magnitude) {
        Ok(true) => {
            let teeth = t.iter().any(|&v| v.abs() > 1e-3).then(|| {
                let off: Vec<f64> = t.iter().map(|v| v * (1.0 + 1e-3)).collect();
                agrees(&off, &fd1, &fd2, magnitude) == Ok(false)
            });
            Ok(teeth)
        }
        Err(()) => Err(TestCaseError::reject("finite differences do not converge")),
        Ok(false) => Err(fail(
            format!(
                "`{name}` at x = {x:?} along u = {u:?}: tangent {t:?} but central differences {fd2:?} (step 1e-4), {fd1:?} (step 1e-3)\nJVP:\n{}",
                print(j)
            ),
            p,
        )),
    }
}

#[test]
fn jvp_tangent_matches_central_differences() {
    let (compared, caught) = (AtomicU32::new(0), AtomicU32::new(0));
    run(
        "jvp_tangent_matches_central_differences",
        nonlinear::numeric_program_strategy(),
        |g| {
            let (p, j) = pair(&g)?;
            let mut rng = Rng::new(g.seed);
            for (i, f) in p.funcs.iter().enumerate() {
                let x = inputs(&types(&f.params), &mut rng);
                let u = inputs(&types(&f.params), &mut rng);
                if let Some(t) = tangent_vs_differences(&p, &j, i, &x, &u)? {
                    compared.fetch_add(1, Ordering::Relaxed);
                    caught.fetch_add(u32::from(t), Ordering::Relaxed);
                }
            }
            Ok(())
        },
    );
    let (compared, caught) = (compared.into_inner(), caught.into_inner());
    println!(
        "a tangent off by 1e-3 (relative) is caught at {caught} of {compared} points with a nonzero tangent"
    );
    assert!(
        caught * 10 >= compared * 9,
        "the comparison is too lax: it catches a 1e-3 error at only {caught} of {compared} points"
    );
}

/// Counterexamples proptest once shrank to, kept as plain tests because a persisted seed
/// stops reproducing them when a generator changes. Both were faults of the comparison,
/// not of JVP: here they must be discarded, not failed.
#[test]
fn regression_points_beyond_finite_differences_are_discarded() {
    // f64::MAX · (x + x² - x³), then sin of it: derivatives near 1e306, where finite
    // differences are noise (and once compared as if they were not).
    let src = "def add(x0: R) -> (R, R) =
  let _t1 = x0 * x0 in
  let _t2 = _t1 + x0 in
  let _t3 = x0 * x0 in
  let _t4 = _t3 * x0 in
  let v1 = _t2 - _t4 in
  let v2 = v1 * 1.7976931348623157e308 in
  let v3 = sin(v2) in
  (v3, v2)";
    let p = semantics::parse(src).expect("parses");
    let j = rewrite::jvp(&p, prims()).expect("jvp");
    let x = [Value::Real(-0.33466121238365565)];
    let u = [Value::Real(1.2274938877694201)];
    match tangent_vs_differences(&p, &j, 0, &x, &u) {
        Err(TestCaseError::Reject(_)) => {}
        Err(TestCaseError::Fail(why)) => panic!("failed instead of discarded: {why}"),
        Ok(_) => panic!("compared as if finite differences were meaningful here"),
    }
}

/// A generated program whose differences at steps 1e-3 and 1e-4 agree (9.5937) while the
/// derivative is 9.5398 (mpmath at 60 digits: 9.53982779825523608933): `sin` of `exp(14.3)`
/// oscillates with a period near 4e-8 and averages out of both. The point is discarded, and
/// lina's tangent is the 60-digit value.
#[test]
fn regression_aliased_differences_are_discarded_and_the_tangent_is_exact() {
    let src = "def add(x0: R) -> (R) =
  let c10 = -x0 in
  let c11 = tanh(c10) in
  let _t1 = c11 * c11 in
  let _t2 = _t1 + 1.0 in
  let c12 = sqrt(_t2) in
  let c13 = exp(c12) in
  let c14 = -c13 in
  let _t3 = c14 * c14 in
  let _t4 = _t3 + 1.0 in
  let c15 = log(_t4) in
  let c16 = exp(c15) in
  let c17 = exp(c16) in
  let c18 = -c17 in
  let c19 = sin(c18) in
  let c22 = exp(c19) in
  let c23 = exp(c22) in
  let c24 = exp(c23) in
  let _t5 = tanh(c24) in
  let c25 = tan(_t5) in
  let _t6 = -2.656150984431053 - c25 in
  let v29 = _t6 - c25 in
  let _t7 = c24 * c24 in
  let _t8 = _t7 + 1.0 in
  let _t9 = pow(_t8, v29) in
  let _t10 = 1.0 + c16 in
  let v32 = _t9 + _t10 in
  v32";
    let p = semantics::parse(src).expect("parses");
    let j = rewrite::jvp(&p, prims()).expect("jvp");
    let x = [Value::Real(1.1637373740981873)];
    let u = [Value::Real(1.7505681904373693)];
    let out = eval_fn(&j, prims(), FuncId(0), &x, &u).expect("evaluates");
    let t = leaves(&out.lin)[0];
    assert!((t - 9.539827798255236).abs() < 1e-6, "tangent {t}");
    match tangent_vs_differences(&p, &j, 0, &x, &u) {
        Err(TestCaseError::Reject(_)) => {}
        Err(TestCaseError::Fail(why)) => panic!("failed instead of discarded: {why}"),
        Ok(_) => panic!("compared with aliased differences"),
    }
}

#[test]
fn jvp_tangent_is_linear() {
    run(
        "jvp_tangent_is_linear",
        nonlinear::numeric_program_strategy(),
        |g| {
            let (p, j) = pair(&g)?;
            let mut rng = Rng::new(g.seed);
            for (i, f) in p.funcs.iter().enumerate() {
                let id = FuncId(i as u32);
                let ts = types(&f.params);
                let x = inputs(&ts, &mut rng);
                let (u, v) = (inputs(&ts, &mut rng), inputs(&ts, &mut rng));
                let (a, b) = (rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0));
                let mix: Vec<Value> = u
                    .iter()
                    .zip(&v)
                    .map(|(ui, vi)| axpy(a, ui, &vi.map(&|t| b * t)).expect("same shapes"))
                    .collect();
                let tangent = |d: &[Value]| {
                    eval_fn(&j, prims(), id, &x, d)
                        .map(|o| o.lin)
                        .map_err(|e| fail(format!("`{}.jvp` fails: {e}", f.name), &j))
                };
                let (tm, tu, tv) = (tangent(&mix)?, tangent(&u)?, tangent(&v)?);
                let triple =
                    |d: &[Value]| d.iter().map(|x| x.map(&|t| 3.0 * t)).collect::<Vec<_>>();
                let (t3u, t3v) = (tangent(&triple(&u))?, tangent(&triple(&v))?);
                prop_assume!(
                    [&tm, &tu, &tv, &t3u, &t3v].iter().all(|t| finite(t)),
                    "the tangent is not finite"
                );
                let [tm, tu, tv, t3u, t3v] = [&tm, &tu, &tv, &t3u, &t3v].map(|t| leaves(t));
                prop_assume!(
                    tu.iter().zip(&tv).all(|(p, q)| (a * p + b * q).is_finite()),
                    "a·t(u) + b·t(v) overflows"
                );
                if let Err((k, got, want, tol)) =
                    linear_combination_agrees(&tm, (&tu, &tv), (&t3u, &t3v), (a, b))
                {
                    return Err(fail(
                        format!(
                            "`{}.jvp` is not linear in its tangents at x = {x:?}: t(a·u + b·v) = {got} but a·t(u) + b·t(v) = {want}, beyond the tolerance {tol} (leaf {k})\nJVP:\n{}",
                            f.name,
                            print(&j)
                        ),
                        &p,
                    ));
                }
            }
            Ok(())
        },
    );
}

/// The largest ratio seen, and where.
static WORST_WORK: Mutex<(f64, String)> = Mutex::new((0.0, String::new()));
static WORST_SIZE: Mutex<(f64, String)> = Mutex::new((0.0, String::new()));

fn note(worst: &Mutex<(f64, String)>, ratio: f64, what: impl FnOnce() -> String) {
    let mut w = worst.lock().unwrap_or_else(|e| e.into_inner());
    if ratio > w.0 {
        *w = (ratio, what());
    }
}

#[test]
fn jvp_work_within_derived_constant() {
    let rules = JvpRules::load(prims()).expect("the standard rules load");
    let ratios = Mutex::new(Vec::new());
    run(
        "jvp_work_within_derived_constant",
        nonlinear::program_strategy(),
        |g| {
            let (p, j) = pair(&g)?;
            let c = work_bounds::c_jvp(&rules, prims(), work_bounds::largest_type(&p, prims()));
            let w = static_work(&p, prims()).map_err(|e| fail(e.message, &p))?;
            let wj = static_work(&j, prims()).map_err(|e| fail(e.message, &j))?;
            for (i, f) in p.funcs.iter().enumerate() {
                let ratio = wj[i] as f64 / w[i] as f64;
                ratios.lock().unwrap_or_else(|e| e.into_inner()).push(ratio);
                note(&WORST_WORK, ratio, || {
                    format!("`{}` of\n{}", f.name, print(&p))
                });
                prop_assert!(
                    ratio <= c,
                    "`{}`: W(f.jvp) / W(f) = {} / {} = {ratio} > c_jvp = {c}\nJVP:\n{}",
                    f.name,
                    wj[i],
                    w[i],
                    print(&j)
                );
            }
            Ok(())
        },
    );
    let mut ratios = ratios.into_inner().unwrap_or_else(|e| e.into_inner());
    ratios.sort_by(f64::total_cmp);
    if ratios.is_empty() {
        return;
    }
    let worst = WORST_WORK.lock().unwrap_or_else(|e| e.into_inner());
    println!(
        "W(f.jvp)/W(f) over {} functions: median {:.2}, 90th percentile {:.2}, worst {:.2} (c_jvp for size-1 types: {:.2}) in {}",
        ratios.len(),
        ratios[ratios.len() / 2],
        ratios[ratios.len() * 9 / 10],
        worst.0,
        work_bounds::c_jvp(&rules, prims(), 1),
        worst.1
    );
}

#[test]
fn jvp_size_within_constant_factor() {
    let rules = JvpRules::load(prims()).expect("the standard rules load");
    let c = size::c_size(&rules, prims());
    run(
        "jvp_size_within_constant_factor",
        nonlinear::program_strategy(),
        |g| {
            let (p, j) = pair(&g)?;
            for (f, fj) in p.funcs.iter().zip(&j.funcs) {
                let (s, sj) = (size::fn_size(f), size::fn_size(fj));
                let ratio = sj as f64 / s.max(1) as f64;
                note(&WORST_SIZE, ratio, || {
                    format!("`{}` of\n{}", f.name, print(&p))
                });
                prop_assert!(
                    ratio <= c,
                    "`{}`: |f.jvp| / |f| = {sj} / {s} = {ratio} > c_size = {c}\nJVP:\n{}",
                    f.name,
                    print(&j)
                );
            }
            let (s, sj) = (size::program_size(&p), size::program_size(&j));
            prop_assert!(
                sj as f64 <= c * s as f64,
                "|jvp(P)| = {sj} > {c} · |P| = {s}"
            );
            Ok(())
        },
    );
    let worst = WORST_SIZE.lock().unwrap_or_else(|e| e.into_inner());
    println!(
        "|f.jvp|/|f|: worst {:.2} (c_size = {c:.2}) in {}",
        worst.0, worst.1
    );
}
