//! Claims about `forget` and Hessian-vector products on generated programs.
//!
//! - *forget*, on generated Linear B programs: the forgotten program is strict and nonlinear,
//!   and each function computes bit for bit what the linear one does (linear arguments passed
//!   after the nonlinear ones).
//! - *HVP*, on generated nonlinear programs: for the last function with one real result, `H v`
//!   matches central differences of the gradient (of the plain VJP, which does not go through
//!   `forget`), and `<u, H w> = <w, H u>` (a Hessian is symmetric).

use properties::domains::inputs;
use properties::harness::{fail, run};
use properties::testing::vjp_at;
use properties::{linear, nonlinear, parse_generated};
use rewrite::{Hvp, Policy, forget, vjp};
use semantics::numeric::{Rng, check_directional, dot, leaves};
use semantics::{FuncId, PrimTable, Type, Value, eval_fn};

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

fn types(ps: &[semantics::Param]) -> Vec<Type> {
    ps.iter().map(|p| p.ty.clone()).collect()
}

#[test]
fn forget_keeps_the_meaning_of_generated_linear_programs() {
    run(
        "forget_keeps_the_meaning_of_generated_linear_programs",
        linear::numeric_program_strategy(),
        |g| {
            let p = parse_generated(&g.render())?;
            let fg = forget(&p, prims()).map_err(|e| fail(format!("forget fails: {e}"), &p))?;
            if let Err(d) = checker::accepts(&fg, prims(), checker::Options::default()) {
                return Err(fail(
                    format!("forgotten program rejected: {}", d[0].message),
                    &fg,
                ));
            }
            if fg
                .funcs
                .iter()
                .any(|f| !f.lparams.is_empty() || !f.lresults.is_empty())
            {
                return Err(fail("linear parts left", &fg));
            }
            let mut rng = Rng::new(g.seed);
            for (i, f) in p.funcs.iter().enumerate() {
                let nl = inputs(&types(&f.params), &mut rng);
                let lin = inputs(&types(&f.lparams), &mut rng);
                let id = FuncId(i as u32);
                let Ok(want) = eval_fn(&p, prims(), id, &nl, &lin) else {
                    continue;
                };
                let args: Vec<Value> = nl.iter().chain(&lin).cloned().collect();
                let got = eval_fn(&fg, prims(), id, &args, &[])
                    .map_err(|e| fail(format!("forgotten {} fails: {e:?}", f.name), &fg))?;
                let want: Vec<Value> = want.nl.into_iter().chain(want.lin).collect();
                let same = got.nl.len() == want.len()
                    && got.nl.iter().zip(&want).all(|(a, b)| a.bit_eq(b));
                if !same {
                    return Err(fail(
                        format!("forgotten {} gives {:?}, not {want:?}", f.name, got.nl),
                        &fg,
                    ));
                }
            }
            Ok(())
        },
    );
}

/// The gradient by the plain VJP: the reference the HVP is differenced against.
fn gradient(v: &rewrite::Vjp, i: usize, x: &[Value]) -> Option<Vec<Value>> {
    vjp_at(v, prims(), i, x, &[Value::Real(1.0)]).map(|(g, _)| g)
}

#[test]
fn hvp_matches_differences_of_the_gradient_and_is_symmetric_on_generated_programs() {
    run(
        "hvp_matches_differences_of_the_gradient_and_is_symmetric_on_generated_programs",
        nonlinear::numeric_program_strategy(),
        |g| {
            let p = parse_generated(&g.render())?;
            let v = vjp(&p, prims(), Policy::SaveAll)
                .map_err(|e| fail(format!("vjp fails: {e}"), &p))?;
            let mut rng = Rng::new(g.seed);
            // The last scalar function (it calls the others): one HVP program per case keeps
            // the suite to seconds.
            let last = p.funcs.iter().rposition(|f| f.results == [Type::Real]);
            if let Some(i) = last {
                let f = &p.funcs[i];
                let h = Hvp::new(&p, prims(), FuncId(i as u32))
                    .map_err(|e| fail(format!("HVP of {} fails: {e}", f.name), &p))?;
                let ts = types(&f.params);
                let (x, u, w) = (
                    inputs(&ts, &mut rng),
                    inputs(&ts, &mut rng),
                    inputs(&ts, &mut rng),
                );
                let (Ok(hu), Ok(hw)) = (h.at(prims(), &x, &u), h.at(prims(), &x, &w)) else {
                    return Ok(());
                };
                if !leaves(&hu.value).iter().all(|y| y.is_finite()) {
                    return Ok(());
                }
                let mut grad_at = |y: &[Value]| gradient(&v, i, y);
                // A function like `sin(x * exp((x^2 + 1)^x))` oscillates faster than a step
                // resolves, and its differences at h and 2h can agree by aliasing (an HVP
                // checked against 50-digit mpmath on such a program was right while h = 1e-4
                // gave the wrong sign). So the differences are a reference only where they
                // converge: the HVP is wrong when it disagrees with them at every step
                // (1e-4, 1e-5, 1e-6, 1e-8) while they agree with each other to 1e-3 (the 1e-8
                // step resolves an oscillation of an intermediate that the others average out:
                // `properties/tests/jvp.rs` keeps such a program).
                let hvp = leaves(&hu.hvp);
                let mut fds = Vec::new();
                let mut any_ok = false;
                for h in [1e-4, 1e-5, 1e-6, 1e-8] {
                    match check_directional(&mut grad_at, &x, &u, &hvp, (h, 1e-6, 1e-5)) {
                        Err(fd) => fds.push(fd),
                        Ok(_) => any_ok = true,
                    }
                }
                let agree = |a: &[f64], b: &[f64]| {
                    a.iter()
                        .zip(b)
                        .all(|(p, q)| (p - q).abs() <= 1e-3 * p.abs().max(q.abs()) + 1e-6)
                };
                let converged = fds.len() == 4 && fds.windows(2).all(|w| agree(&w[0], &w[1]));
                if let Some(fd) = (!any_ok && converged).then(|| fds[2].clone()) {
                    return Err(fail(
                        format!(
                            "{}: H u = {:?}, differences {fd:?}",
                            f.name,
                            leaves(&hu.hvp)
                        ),
                        &p,
                    ));
                }
                let (a, b) = (
                    dot(&u, &hw.hvp).unwrap_or(f64::NAN),
                    dot(&w, &hu.hvp).unwrap_or(f64::NAN),
                );
                // Rounding grows with the terms summed: compare against their magnitudes.
                let scale = leaves(&u)
                    .iter()
                    .zip(leaves(&hw.hvp))
                    .chain(leaves(&w).iter().zip(leaves(&hu.hvp)))
                    .map(|(p, q)| (p * q).abs())
                    .sum::<f64>();
                if a.is_finite() && b.is_finite() && (a - b).abs() > 1e-9 * (1.0 + scale) {
                    return Err(fail(
                        format!("{}: <u, H w> = {a} but <w, H u> = {b}", f.name),
                        &p,
                    ));
                }
            }
            Ok(())
        },
    );
}
