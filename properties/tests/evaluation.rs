//! Claims about evaluation and the cost model (SPEC §2 consequences, §3) on generated
//! programs and on their JVPs.
//!
//! *Type soundness*: a well-typed program does not go wrong: every function evaluates without
//! an evaluation error on any arguments of its parameter types (IEEE specials included, which
//! are ordinary values), and returns values of its declared result types. *Static work*: the
//! work computed without running a program equals the work the evaluator measures, for every
//! function. *Linearity*: every linear function of a generated Linear B program is
//! algebraically linear in its linear arguments for fixed nonlinear ones,
//! `f(x; a·u + b·v) = a·f(x; u) + b·f(x; v)`, up to rounding.

use properties::domains::{finite, inputs, wild_inputs};
use properties::harness::{fail, run};
use properties::tolerance::linear_combination_agrees;
use properties::{linear, nonlinear, parse_generated};
use proptest::prelude::*;
use semantics::numeric::{Rng, axpy, leaves};
use semantics::{FuncId, PrimTable, Program, Type, Value, eval_fn, print, static_work};

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

fn types(ps: &[semantics::Param]) -> Vec<Type> {
    ps.iter().map(|p| p.ty.clone()).collect()
}

/// Evaluates every function of `p` on wild arguments: no error, results of the declared types,
/// evaluated work equal to static work.
fn sound(p: &Program, seed: u64, what: &str) -> Result<(), TestCaseError> {
    let statics = static_work(p, prims())
        .map_err(|e| fail(format!("{what}: static work fails: {}", e.message), p))?;
    let mut rng = Rng::new(seed);
    for (i, f) in p.funcs.iter().enumerate() {
        let nl = wild_inputs(&types(&f.params), &mut rng);
        let lin = wild_inputs(&types(&f.lparams), &mut rng);
        let out = eval_fn(p, prims(), FuncId(i as u32), &nl, &lin).map_err(|e| {
            fail(
                format!("{what}: `{}` goes wrong on {nl:?} ; {lin:?}: {e}", f.name),
                p,
            )
        })?;
        let typed = |vs: &[Value], ts: &[Type]| {
            vs.len() == ts.len() && vs.iter().zip(ts).all(|(v, t)| v.has_type(t))
        };
        if !typed(&out.nl, &f.results) || !typed(&out.lin, &f.lresults) {
            return Err(fail(
                format!(
                    "{what}: `{}` returns ({:?} ; {:?}), not of its types",
                    f.name, out.nl, out.lin
                ),
                p,
            ));
        }
        if statics[i] != out.work {
            return Err(fail(
                format!(
                    "{what}: `{}`: static work {} but evaluated work {}",
                    f.name, statics[i], out.work
                ),
                p,
            ));
        }
    }
    Ok(())
}

#[test]
fn well_typed_programs_do_not_go_wrong() {
    let programs = prop_oneof![
        nonlinear::program_strategy().prop_map(|g| (g.render(), g.seed)),
        linear::program_strategy().prop_map(|g| (g.render(), g.seed)),
        linear::mixed_program_strategy().prop_map(|g| (g.render(), g.seed)),
    ];
    run(
        "well_typed_programs_do_not_go_wrong",
        programs,
        |(src, seed)| {
            let p = parse_generated(&src)?;
            sound(&p, seed, "generated")
        },
    );
}

#[test]
fn static_work_equals_evaluated_work() {
    // On generated programs, on their JVPs, and on elaborated relaxed programs: the work
    // figures of transformation outputs are what the work bounds are proved on.
    run(
        "static_work_equals_evaluated_work",
        nonlinear::program_strategy(),
        |g| {
            let p = parse_generated(&g.render())?;
            sound(&p, g.seed, "generated")?;
            let j = rewrite::jvp(&p, prims()).map_err(|e| fail(format!("jvp fails: {e}"), &p))?;
            sound(&j, g.seed, "its JVP")?;
            let r = parse_generated(&g.render_with(true))?;
            let e = checker::elaborate(&r, prims())
                .map_err(|d| fail(format!("elaborate fails: {}", d[0].message), &r))?;
            sound(&e, g.seed, "elaborated relaxed")
        },
    );
}

#[test]
fn nonlinear_results_do_not_depend_on_linear_inputs() {
    run(
        "nonlinear_results_do_not_depend_on_linear_inputs",
        linear::mixed_program_strategy(),
        |g| {
            let p = parse_generated(&g.render())?;
            let mut rng = Rng::new(g.seed);
            for (i, f) in p.funcs.iter().enumerate() {
                let x = inputs(&types(&f.params), &mut rng);
                let lt = types(&f.lparams);
                let (u, v) = (wild_inputs(&lt, &mut rng), wild_inputs(&lt, &mut rng));
                let apply = |d: &[Value]| {
                    eval_fn(&p, prims(), FuncId(i as u32), &x, d)
                        .map(|o| o.nl)
                        .map_err(|e| fail(format!("`{}` goes wrong: {e}", f.name), &p))
                };
                let (a, b) = (apply(&u)?, apply(&v)?);
                prop_assert!(
                    a.len() == b.len() && a.iter().zip(&b).all(|(p, q)| p.bit_eq(q)),
                    "`{}`: nonlinear results {a:?} with linear inputs {u:?} but {b:?} with {v:?}\n{}",
                    f.name,
                    print(&p)
                );
            }
            Ok(())
        },
    );
}

/// Checks `f(x; a·u + b·v) = a·f(x; u) + b·f(x; v)` for function `i` of `p`, up to the
/// measured rounding level; a point where the results are not finite is discarded.
fn linear_at(
    p: &Program,
    i: usize,
    x: &[Value],
    (u, v): (&[Value], &[Value]),
    (a, b): (f64, f64),
) -> Result<(), TestCaseError> {
    let name = &p.funcs[i].name;
    let mix: Vec<Value> = u
        .iter()
        .zip(v)
        .map(|(ui, vi)| axpy(a, ui, &vi.map(&|t| b * t)).expect("same shapes"))
        .collect();
    let apply = |d: &[Value]| {
        eval_fn(p, prims(), FuncId(i as u32), x, d)
            .map(|o| o.lin)
            .map_err(|e| fail(format!("`{name}` goes wrong: {e}"), p))
    };
    let triple = |d: &[Value]| d.iter().map(|x| x.map(&|t| 3.0 * t)).collect::<Vec<_>>();
    let (lm, lu, lv) = (apply(&mix)?, apply(u)?, apply(v)?);
    let (l3u, l3v) = (apply(&triple(u))?, apply(&triple(v))?);
    prop_assume!(
        [&lm, &lu, &lv, &l3u, &l3v].iter().all(|l| finite(l)),
        "non-finite linear results"
    );
    let [lm, lu, lv, l3u, l3v] = [&lm, &lu, &lv, &l3u, &l3v].map(|l| leaves(l));
    prop_assume!(
        lu.iter().zip(&lv).all(|(p, q)| (a * p + b * q).is_finite()),
        "a·f(u) + b·f(v) overflows"
    );
    linear_combination_agrees(&lm, (&lu, &lv), (&l3u, &l3v), (a, b)).map_err(
        |(k, got, want, tol)| {
            fail(
                format!(
                    "`{name}` is not linear at x = {x:?}: f(x; a·u + b·v) = {got} but a·f(x; u) + b·f(x; v) = {want}, beyond the tolerance {tol} (leaf {k}, a = {a}, b = {b}, u = {u:?}, v = {v:?})"
                ),
                p,
            )
        },
    )
}

#[test]
fn linear_functions_are_algebraically_linear() {
    run(
        "linear_functions_are_algebraically_linear",
        linear::mixed_numeric_program_strategy(),
        |g| {
            let p = parse_generated(&g.render())?;
            let mut rng = Rng::new(g.seed);
            for (i, f) in p.funcs.iter().enumerate() {
                if f.lparams.is_empty() && f.lresults.is_empty() {
                    continue;
                }
                let x = inputs(&types(&f.params), &mut rng);
                let lt = types(&f.lparams);
                let (u, v) = (inputs(&lt, &mut rng), inputs(&lt, &mut rng));
                let (a, b) = (rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0));
                linear_at(&p, i, &x, (&u, &v), (a, b))?;
            }
            Ok(())
        },
    );
}

/// A counterexample proptest once shrank to (a fault of the comparison: `a·f(u) + b·f(v)`
/// overflowed to NaN while `f(a·u + b·v)` did not), kept as a plain test because persisted
/// seeds stop reproducing it when a generator changes. It must be discarded, not failed.
#[test]
fn regression_overflowing_combinations_are_discarded() {
    let src = "def l0(; d0': R, d1': R) -> (; R) =
  let _t1 = 1.7976931348623157e308 + -1.0 in
  let _t2 = _t1 + -1.0 in
  let s1' = _t2 * d1' in
  let s2' = d0' + s1' in
  s2'";
    let p = semantics::parse(src).expect("parses");
    let r = |x: f64| Value::Real(x);
    let u = [r(1.9926863135695965), r(-0.9506279979651451)];
    let v = [r(1.1635111787147467), r(0.7076620226331332)];
    match linear_at(
        &p,
        0,
        &[],
        (&u, &v),
        (-1.5523282420280702, -1.9887407534370452),
    ) {
        Err(TestCaseError::Reject(_)) => {}
        other => panic!("expected a discard, got {other:?}"),
    }
}
