//! Claims about unzip, transpose and VJP (SPEC §4, §5) on generated programs.
//!
//! - *unzip, every policy*: the output is strict Linear B; `.nonlin` then `.lin` reproduces the
//!   input function bit for bit; under recompute-all every residual is a parameter; under
//!   `budget=K` no function exceeds K residual scalars where recompute-all does not; and
//!   `W(.nonlin) + W(.lin) ≤ W(f) + W(recomputed) + overhead` (the per-construct account of
//!   `rewrite::work_bounds`).
//! - *transpose*, on generated Linear B programs: the dot-product test
//!   `<ct, L(u)> = <Lᵀ(ct), u>`; transposing twice is the identity; `W(g.T) ≤ c_T·W(g) + 2 + k`.
//! - *VJP*, on generated nonlinear programs: the gradient equals JVP along every basis direction,
//!   `<ct, J eₖ> = (Jᵀ ct)ₖ`, and `W(vjp)` stays within `c_T·(c_jvp·W(f) + overhead) + 2 + n`.

use properties::domains::inputs;
use properties::harness::{fail, run};
use properties::testing::{basis, dot_sides, run_unzipped};
use properties::{linear, nonlinear, parse_generated};
use proptest::prelude::*;
use rewrite::{JvpRules, Policy, Unzipped, transpose, unzip, vjp, work_bounds};
use semantics::numeric::{Rng, dot, leaves};
use semantics::{FuncId, PrimTable, Program, Type, Value, eval_fn, static_work};

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

const POLICIES: [Policy; 4] = [
    Policy::SaveAll,
    Policy::RecomputeAll,
    Policy::Budget(1),
    Policy::Budget(4),
];

fn types(ps: &[semantics::Param]) -> Vec<Type> {
    ps.iter().map(|p| p.ty.clone()).collect()
}

fn bit_eq(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.bit_eq(y))
}

/// The JVP of a generated nonlinear program: the input unzip is tested on.
fn jvp_of(g: &nonlinear::NlProgram) -> Result<Program, TestCaseError> {
    let p = parse_generated(&g.render())?;
    rewrite::jvp(&p, prims()).map_err(|e| fail(format!("jvp fails: {e}"), &p))
}

#[test]
fn unzip_output_is_strict_linear_b_under_every_policy() {
    run(
        "unzip_output_is_strict_linear_b_under_every_policy",
        nonlinear::program_strategy(),
        |g| {
            let j = jvp_of(&g)?;
            for pol in POLICIES {
                let u = unzip(&j, prims(), pol)
                    .map_err(|e| fail(format!("{pol}: unzip fails: {e}"), &j))?;
                if let Err(d) = checker::accepts(&u.program, prims(), checker::Options::default()) {
                    return Err(fail(
                        format!("{pol}: the unzipped program is rejected: {}", d[0].message),
                        &u.program,
                    ));
                }
                if let Some(d) = checker::check_linear_b(&u.program).first() {
                    return Err(fail(
                        format!("{pol}: not Linear B: {}", d.message()),
                        &u.program,
                    ));
                }
            }
            Ok(())
        },
    );
}

#[test]
fn nonlin_then_lin_equals_the_jvp_exactly_under_every_policy() {
    run(
        "nonlin_then_lin_equals_the_jvp_exactly_under_every_policy",
        nonlinear::numeric_program_strategy(),
        |g| {
            let j = jvp_of(&g)?;
            let us: Vec<Unzipped> = POLICIES
                .iter()
                .map(|&p| unzip(&j, prims(), p))
                .collect::<Result<_, _>>()
                .map_err(|e| fail(e.to_string(), &j))?;
            let mut rng = Rng::new(g.seed);
            for (i, f) in j.funcs.iter().enumerate() {
                let nl = inputs(&types(&f.params), &mut rng);
                let lin: Vec<Value> = f
                    .lparams
                    .iter()
                    .map(|q| rng.value(&q.ty, -1.0, 1.0))
                    .collect();
                let Ok(want) = eval_fn(&j, prims(), FuncId(i as u32), &nl, &lin) else {
                    continue;
                };
                for (u, pol) in us.iter().zip(POLICIES) {
                    let Ok((a, b)) = run_unzipped(u, prims(), i, &nl, &lin) else {
                        return Err(fail(
                            format!("{pol}: {}: the unzipped halves fail to run", f.name),
                            &u.program,
                        ));
                    };
                    if !(bit_eq(&a, &want.nl) && bit_eq(&b, &want.lin)) {
                        return Err(fail(
                            format!("{pol}: {}: .nonlin then .lin differs from the JVP", f.name),
                            &u.program,
                        ));
                    }
                }
            }
            Ok(())
        },
    );
}

#[test]
fn unzip_residuals_are_minimal_and_within_budget() {
    run(
        "unzip_residuals_are_minimal_and_within_budget",
        nonlinear::program_strategy(),
        |g| {
            let j = jvp_of(&g)?;
            let all =
                unzip(&j, prims(), Policy::RecomputeAll).map_err(|e| fail(e.to_string(), &j))?;
            for r in all.reports.iter().filter(|r| r.split) {
                let params: u128 = j
                    .funcs
                    .iter()
                    .find(|f| f.name == r.name)
                    .map_or(0, |f| f.params.iter().map(|q| q.ty.size()).sum());
                if r.residual_scalars > params {
                    return Err(fail(
                        format!(
                            "recompute-all: {} keeps {} residual scalars, more than its parameters",
                            r.name, r.residual_scalars
                        ),
                        &all.program,
                    ));
                }
            }
            for k in [0u128, 1, 4] {
                let b =
                    unzip(&j, prims(), Policy::Budget(k)).map_err(|e| fail(e.to_string(), &j))?;
                for (rb, ra) in b.reports.iter().zip(&all.reports) {
                    if ra.residual_scalars <= k && rb.residual_scalars > k {
                        return Err(fail(
                            format!("budget={k}: {} keeps {}", rb.name, rb.residual_scalars),
                            &b.program,
                        ));
                    }
                }
            }
            Ok(())
        },
    );
}

#[test]
fn unzip_work_within_the_construct_account() {
    run(
        "unzip_work_within_the_construct_account",
        nonlinear::program_strategy(),
        |g| {
            let j = jvp_of(&g)?;
            let w = static_work(&j, prims()).map_err(|e| fail(e.message, &j))?;
            for pol in POLICIES {
                let u = unzip(&j, prims(), pol).map_err(|e| fail(e.to_string(), &j))?;
                let wu =
                    static_work(&u.program, prims()).map_err(|e| fail(e.message, &u.program))?;
                let bound = work_bounds::unzip_overhead(&j, &u, prims());
                for (i, r) in u.reports.iter().enumerate() {
                    let after =
                        wu[r.outputs.0.0 as usize] + r.outputs.1.map_or(0, |l| wu[l.0 as usize]);
                    let allowed = w[i] + r.recomputed_work + bound[i];
                    if after > allowed {
                        return Err(fail(
                            format!(
                                "{pol}: {}: W(.nonlin) + W(.lin) = {after} > {allowed}",
                                r.name
                            ),
                            &u.program,
                        ));
                    }
                }
            }
            Ok(())
        },
    );
}

/// A generated Linear B program and its transpose.
fn transposed(g: &linear::LinProgram) -> Result<(Program, Program), TestCaseError> {
    let p = parse_generated(&g.render())?;
    let t = transpose(&p, prims()).map_err(|e| fail(format!("transpose fails: {e}"), &p))?;
    Ok((p, t))
}

fn is_linear(f: &semantics::FnDef, p: &Program) -> bool {
    checker::classify(f, p) == checker::Class::Linear
}

#[test]
fn transpose_passes_the_dot_product_test() {
    run(
        "transpose_passes_the_dot_product_test",
        linear::numeric_program_strategy(),
        |g| {
            let (p, t) = transposed(&g)?;
            if let Err(d) = checker::accepts(&t, prims(), checker::Options::default()) {
                return Err(fail(
                    format!("the transpose is rejected: {}", d[0].message),
                    &t,
                ));
            }
            let mut rng = Rng::new(g.seed);
            for (i, f) in p.funcs.iter().enumerate().filter(|(_, f)| is_linear(f, &p)) {
                let a = inputs(&types(&f.params), &mut rng);
                let u: Vec<Value> = f
                    .lparams
                    .iter()
                    .map(|q| rng.value(&q.ty, -1.0, 1.0))
                    .collect();
                let ct: Vec<Value> = f
                    .lresults
                    .iter()
                    .map(|ty| rng.value(ty, -1.0, 1.0))
                    .collect();
                let Ok(lu) = eval_fn(&p, prims(), FuncId(i as u32), &a, &u) else {
                    continue;
                };
                let ltc = eval_fn(&t, prims(), FuncId(i as u32), &a, &ct)
                    .map_err(|e| fail(format!("{}.T fails: {e}", f.name), &t))?;
                let (lhs, rhs) =
                    dot_sides(&ct, &lu.lin, &ltc.lin, &u).unwrap_or((f64::NAN, f64::NAN));
                prop_assume!(
                    lhs.is_finite() && rhs.is_finite(),
                    "a linear map overflowed"
                );
                // Rounding scales with the intermediate values, not with the results (which
                // may cancel to ~0): measure it as `<ct, L(3u)> - 3<ct, L(u)>`, zero in the
                // reals, and likewise for the transpose (as `properties::tolerance` does).
                let triple =
                    |vs: &[Value]| vs.iter().map(|v| v.map(&|x| 3.0 * x)).collect::<Vec<_>>();
                let l3 = eval_fn(&p, prims(), FuncId(i as u32), &a, &triple(&u))
                    .map_err(|e| fail(e.to_string(), &p))?;
                let t3 = eval_fn(&t, prims(), FuncId(i as u32), &a, &triple(&ct))
                    .map_err(|e| fail(e.to_string(), &t))?;
                let noise = (dot(&ct, &l3.lin).unwrap_or(f64::NAN) - 3.0 * lhs).abs()
                    + (dot(&t3.lin, &u).unwrap_or(f64::NAN) - 3.0 * rhs).abs();
                if lhs == rhs {
                    continue;
                }
                prop_assume!(noise.is_finite(), "rounding not measurable near overflow");
                let tol = 1e-12 * (1.0 + lhs.abs().max(rhs.abs())) + 8.0 * noise;
                if (lhs - rhs).abs() > tol {
                    return Err(fail(
                        format!(
                            "{}: <ct, L u> = {lhs} but <Lᵀ ct, u> = {rhs} (tolerance {tol})",
                            f.name
                        ),
                        &t,
                    ));
                }
            }
            Ok(())
        },
    );
}

#[test]
fn transposing_twice_is_the_identity() {
    run(
        "transposing_twice_is_the_identity",
        linear::numeric_program_strategy(),
        |g| {
            let (p, t) = transposed(&g)?;
            let tt = transpose(&t, prims())
                .map_err(|e| fail(format!("second transpose fails: {e}"), &t))?;
            let mut rng = Rng::new(g.seed);
            for (i, f) in p.funcs.iter().enumerate().filter(|(_, f)| is_linear(f, &p)) {
                let a = inputs(&types(&f.params), &mut rng);
                let u: Vec<Value> = f
                    .lparams
                    .iter()
                    .map(|q| rng.value(&q.ty, -1.0, 1.0))
                    .collect();
                let Ok(want) = eval_fn(&p, prims(), FuncId(i as u32), &a, &u) else {
                    continue;
                };
                let got = eval_fn(&tt, prims(), FuncId(i as u32), &a, &u)
                    .map_err(|e| fail(format!("{}.T.T fails: {e}", f.name), &tt))?;
                let (w, gv) = (leaves(&want.lin), leaves(&got.lin));
                // The identity is one of maps over the reals. Where `g` itself is not finite,
                // an infinite coefficient met a zero (`inf * 0`), and transposing folds a call
                // whose linear arguments are all zero to zero, as JAX's symbolic zeros do
                // (docs/ARCHITECTURE.md): no IEEE claim there.
                if w.iter().any(|x| !x.is_finite()) {
                    continue;
                }
                let ok = w.len() == gv.len()
                    && w.iter()
                        .zip(&gv)
                        .all(|(x, y)| x == y || (x - y).abs() <= 1e-12 * x.abs().max(1.0));
                if !ok {
                    return Err(fail(format!("{}: {w:?} vs {gv:?}", f.name), &tt));
                }
            }
            Ok(())
        },
    );
}

#[test]
fn transpose_work_within_c_t() {
    run(
        "transpose_work_within_c_t",
        linear::program_strategy(),
        |g| {
            let (p, t) = transposed(&g)?;
            let (w, wt) = (
                static_work(&p, prims()).map_err(|e| fail(e.message, &p))?,
                static_work(&t, prims()).map_err(|e| fail(e.message, &t))?,
            );
            for (i, f) in p.funcs.iter().enumerate().filter(|(_, f)| is_linear(f, &p)) {
                let bound = work_bounds::transpose_bound(w[i], f.lparams.len());
                if wt[i] as f64 > bound {
                    return Err(fail(
                        format!("{}: W(g.T) = {} > {bound}", f.name, wt[i]),
                        &t,
                    ));
                }
            }
            Ok(())
        },
    );
}

#[test]
fn vjp_gradient_equals_jvp_on_every_basis_direction() {
    run(
        "vjp_gradient_equals_jvp_on_every_basis_direction",
        nonlinear::numeric_program_strategy(),
        |g| {
            let p = parse_generated(&g.render())?;
            let v = vjp(&p, prims(), Policy::SaveAll)
                .map_err(|e| fail(format!("vjp fails: {e}"), &p))?;
            let mut rng = Rng::new(g.seed);
            for (i, f) in p.funcs.iter().enumerate() {
                let Some((nonlin, lin_t)) = v.halves(i) else {
                    continue;
                };
                let x = inputs(&types(&f.params), &mut rng);
                let ct: Vec<Value> = f
                    .results
                    .iter()
                    .map(|ty| rng.value(ty, -1.0, 1.0))
                    .collect();
                let Ok(fwd) = eval_fn(&v.program, prims(), nonlin, &x, &[]) else {
                    continue;
                };
                let mut nl = fwd.nl;
                let Some(res) = nl.pop() else { continue };
                let fwd_res = res.clone();
                let back = eval_fn(&v.program, prims(), lin_t, &[res], &ct).map_err(|e| {
                    fail(format!("{}: backward pass fails: {e}", f.name), &v.program)
                })?;
                let grad = leaves(&back.lin);
                prop_assume!(
                    grad.iter().all(|x| x.is_finite()),
                    "a gradient is not finite"
                );
                // Rounding scales with intermediate values that may cancel: measure it on each
                // side by tripling the input (exact in the reals), as `properties::tolerance`.
                let res3 = fwd_res.clone();
                let back3 = eval_fn(&v.program, prims(), lin_t, &[res3], &triple(&ct))
                    .map_err(|e| fail(e.to_string(), &v.program))?;
                let grad3 = leaves(&back3.lin);
                let param_types = types(&f.params);
                for (k, &gk) in grad.iter().enumerate() {
                    let e = basis(&param_types, k);
                    let t = eval_fn(&v.jvp, prims(), FuncId(i as u32), &x, &e)
                        .map_err(|e| fail(e.to_string(), &v.jvp))?;
                    let t3 = eval_fn(&v.jvp, prims(), FuncId(i as u32), &x, &triple(&e))
                        .map_err(|e| fail(e.to_string(), &v.jvp))?;
                    let jk = dot(&ct, &t.lin).unwrap_or(f64::NAN);
                    let noise = (dot(&ct, &t3.lin).unwrap_or(f64::NAN) - 3.0 * jk).abs()
                        + (grad3.get(k).copied().unwrap_or(f64::NAN) - 3.0 * gk).abs();
                    if jk == gk {
                        continue;
                    }
                    prop_assume!(noise.is_finite(), "rounding not measurable near overflow");
                    let tol = 1e-12 * (1.0 + jk.abs().max(gk.abs())) + 8.0 * noise;
                    if (jk - gk).abs() > tol {
                        return Err(fail(
                            format!(
                                "{}: direction {k}: JVP gives {jk}, the gradient {gk} (tolerance {tol})",
                                f.name
                            ),
                            &v.program,
                        ));
                    }
                }
            }
            Ok(())
        },
    );
}

/// Every value scaled by 3.
fn triple(vs: &[Value]) -> Vec<Value> {
    vs.iter().map(|v| v.map(&|x| 3.0 * x)).collect()
}

#[test]
fn vjp_work_within_the_derived_bound() {
    let rules = JvpRules::load(prims()).unwrap();
    run(
        "vjp_work_within_the_derived_bound",
        nonlinear::program_strategy(),
        |g| {
            let p = parse_generated(&g.render())?;
            let v = vjp(&p, prims(), Policy::SaveAll).map_err(|e| fail(e.to_string(), &p))?;
            let w = static_work(&p, prims()).map_err(|e| fail(e.message, &p))?;
            let wu = static_work(&v.unzipped.program, prims())
                .map_err(|e| fail(e.message, &v.unzipped.program))?;
            let wt = static_work(&v.program, prims()).map_err(|e| fail(e.message, &v.program))?;
            let overhead = work_bounds::unzip_overhead(&v.jvp, &v.unzipped, prims());
            let c_jvp = work_bounds::c_jvp(&rules, prims(), work_bounds::largest_type(&p, prims()));
            for (i, f) in p.funcs.iter().enumerate() {
                let Some((nonlin, lin)) = v.halves(i) else {
                    continue;
                };
                let wv = (wu[nonlin.0 as usize] + wt[lin.0 as usize]) as f64;
                let bound = work_bounds::C_T * (c_jvp * w[i] as f64 + overhead[i] as f64)
                    + 2.0
                    + f.params.len() as f64;
                if wv > bound {
                    return Err(fail(
                        format!("{}: W(vjp) = {wv} > {bound}", f.name),
                        &v.program,
                    ));
                }
            }
            Ok(())
        },
    );
}
