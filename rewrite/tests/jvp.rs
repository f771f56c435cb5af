//! JVP claims (SPEC §4, §5), checked against evaluation only: finite differences, exact
//! primal agreement, numerical linearity, and the work bound derived from the rule table.

use rewrite::{JvpRules, jvp, work_bounds};
use semantics::corpus::{self, CorpusFile};
use semantics::numeric::{Rng, allclose, axpy, central_difference, check_directional, leaves};

/// Finite differences: step 1e-4 (five-point stencil), atol = rtol = 1e-6, as JAX's
/// `check_grads` tolerances for f64 are of that order (it uses eps 1e-4, tolerance 1e-5).
const FD: (f64, f64, f64) = (1e-4, 1e-6, 1e-6);
use semantics::*;

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

/// The nonlinear corpus, each program strict (relaxed ones elaborated first) with its JVP.
fn corpus_pairs() -> Vec<(CorpusFile, Program, Program)> {
    corpus::load("")
        .unwrap()
        .into_iter()
        .map(|f| {
            let p = parse(&f.src).unwrap();
            let p = if f.relaxed {
                checker::elaborate(&p, prims()).unwrap()
            } else {
                p
            };
            let j = jvp(&p, prims()).unwrap_or_else(|e| panic!("{}: {e}", f.name));
            (f, p, j)
        })
        .collect()
}

fn eval(p: &Program, f: FuncId, nl: &[Value], lin: &[Value]) -> Option<Outcome> {
    eval_fn(p, prims(), f, nl, lin).ok()
}

fn finite(vs: &[Value]) -> bool {
    leaves(vs).iter().all(|x| x.is_finite())
}

/// Input points for a function: its corpus expectations, then random points in [0.5, 1.5].
fn points(file: &CorpusFile, f: &FnDef, rng: &mut Rng, random: usize) -> Vec<Vec<Value>> {
    let mut pts: Vec<Vec<Value>> = file
        .expects
        .iter()
        .filter(|e| e.func == f.name)
        .map(|e| e.args.clone())
        .collect();
    for _ in 0..random {
        pts.push(
            f.params
                .iter()
                .map(|p| rng.value(&p.ty, 0.5, 1.5))
                .collect(),
        );
    }
    pts
}

#[test]
fn jvp_output_passes_the_strict_checker() {
    for (file, _, j) in corpus_pairs() {
        if let Err(d) = checker::check(&j, prims(), checker::Options::default()) {
            panic!(
                "{}:\n{}\n{}",
                file.name,
                render(&d, &file.name, &print(&j)),
                print(&j)
            );
        }
    }
}

#[test]
fn jvp_primal_is_exact_and_tangent_matches_central_differences() {
    let mut rng = Rng::new(7);
    let (mut checked, mut skipped) = (0, 0);
    for (file, p, j) in corpus_pairs() {
        for (i, f) in p.funcs.iter().enumerate() {
            let id = FuncId(i as u32);
            for x in points(&file, f, &mut rng, 3) {
                let Some(orig) = eval(&p, id, &x, &[]).filter(|o| finite(&o.nl)) else {
                    skipped += 1;
                    continue;
                };
                for _ in 0..2 {
                    let u: Vec<Value> = f
                        .params
                        .iter()
                        .map(|q| rng.value(&q.ty, -1.0, 1.0))
                        .collect();
                    let out = eval(&j, id, &x, &u)
                        .unwrap_or_else(|| panic!("{}: {} fails", file.name, f.name));
                    assert!(
                        out.nl.len() == orig.nl.len()
                            && out.nl.iter().zip(&orig.nl).all(|(a, b)| a.bit_eq(b)),
                        "{}: {}: primal differs",
                        file.name,
                        f.name
                    );
                    let mut run = |xs: &[Value]| eval(&p, id, xs, &[]).map(|o| o.nl);
                    let t = leaves(&out.lin);
                    let verdict = check_directional(&mut run, &x, &u, &t, FD);
                    if let Ok(None) = verdict {
                        skipped += 1;
                        continue;
                    }
                    assert!(
                        verdict.is_ok(),
                        "{}: {} at {:?} along {:?}: tangent {t:?} vs finite differences {:?}",
                        file.name,
                        f.name,
                        x.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
                        u.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
                        verdict.unwrap_err()
                    );
                    checked += 1;
                }
            }
        }
    }
    println!("checked {checked} tangents, skipped {skipped} points outside a primitive's domain");
    assert!(checked > 500);
    assert!(skipped * 10 < checked, "too many skipped points: {skipped}");
}

#[test]
fn the_tangent_of_sin_squared_plus_cos_squared_is_zero() {
    let p =
        parse("def f(x: R) -> (R) = let s = sin(x) in let c = cos(x) in s * s + c * c").unwrap();
    let j = jvp(&p, prims()).unwrap();
    let mut rng = Rng::new(1);
    for _ in 0..200 {
        let x = rng.uniform(-10.0, 10.0);
        let u = rng.uniform(-3.0, 3.0);
        let out = eval(&j, FuncId(0), &[Value::Real(x)], &[Value::Real(u)]).unwrap();
        let t = out.lin[0].as_real().unwrap();
        assert!(
            t.abs() <= 8.0 * f64::EPSILON * u.abs(),
            "tangent {t} at {x}"
        );
    }
}

#[test]
fn tangents_are_algebraically_linear() {
    let mut rng = Rng::new(11);
    for (file, p, j) in corpus_pairs() {
        for (i, f) in p.funcs.iter().enumerate() {
            let id = FuncId(i as u32);
            for x in points(&file, f, &mut rng, 1) {
                let draw = |rng: &mut Rng| {
                    f.params
                        .iter()
                        .map(|q| rng.value(&q.ty, -1.0, 1.0))
                        .collect::<Vec<_>>()
                };
                let (u, v) = (draw(&mut rng), draw(&mut rng));
                let (a, b) = (rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0));
                let mix: Vec<Value> = u
                    .iter()
                    .zip(&v)
                    .map(|(ui, vi)| axpy(a, ui, &vi.map(&|t| b * t)).unwrap())
                    .collect();
                let t = |d: &[Value]| eval(&j, id, &x, d).map(|o| leaves(&o.lin));
                let (Some(tm), Some(tu), Some(tv)) = (t(&mix), t(&u), t(&v)) else {
                    continue;
                };
                if !tm.iter().chain(&tu).chain(&tv).all(|x| x.is_finite()) {
                    continue;
                }
                let combined: Vec<f64> = tu.iter().zip(&tv).map(|(p, q)| a * p + b * q).collect();
                let scale = tu.iter().chain(&tv).fold(1.0f64, |m, x| m.max(x.abs()));
                assert!(
                    allclose(&tm, &combined, 1e-12 * scale, 1e-12),
                    "{}: {}: {tm:?} vs {combined:?}",
                    file.name,
                    f.name
                );
            }
        }
    }
}

#[test]
fn jvp_work_is_within_the_constant_derived_from_the_rule_table() {
    let rules = JvpRules::load(prims()).unwrap();
    let mut worst: (f64, String) = (0.0, String::new());
    let mut ratios = Vec::new();
    for (file, p, j) in corpus_pairs() {
        let c = work_bounds::c_jvp(&rules, prims(), work_bounds::largest_type(&p, prims()));
        let (w, wj) = (
            static_work(&p, prims()).unwrap(),
            static_work(&j, prims()).unwrap(),
        );
        for (i, f) in p.funcs.iter().enumerate() {
            let ratio = wj[i] as f64 / w[i] as f64;
            assert!(
                ratio <= c,
                "{}: {}: W(f.jvp)/W(f) = {ratio} > c_jvp = {c}",
                file.name,
                f.name
            );
            ratios.push(ratio);
            if ratio > worst.0 {
                worst = (ratio, format!("{}: {}", file.name, f.name));
            }
        }
        // Size: at most a constant factor larger (the same per-construct argument, in nodes).
        let (sp, sj) = (print(&p).len(), print(&j).len());
        assert!(sj <= 12 * sp, "{}: size {sj} vs {sp}", file.name);
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "W(f.jvp)/W(f): median {:.2}, worst {:.2} ({})",
        ratios[ratios.len() / 2],
        worst.0,
        worst.1
    );
    println!(
        "c_jvp for scalar programs: {:.2}",
        work_bounds::c_jvp(&rules, prims(), 1)
    );
    for (name, w, base) in rules.c_prim(prims()) {
        println!("rule {name}: W(rule) = {w}, W(let x = p(..)) = {base}");
    }
}

#[test]
fn jvp_refuses_programs_with_linear_parts() {
    let p = parse("def f(x: R ; y': R) -> (R ; R) = (x ; y')").unwrap();
    assert_eq!(jvp(&p, prims()).unwrap_err().code(), "E0501");
    let p = parse("def f(x: R) -> (R) = x\ndef f.jvp(x: R) -> (R) = x").unwrap();
    assert_eq!(jvp(&p, prims()).unwrap_err().code(), "E0502");
}

fn softplus(a: &[f64]) -> f64 {
    a[0].exp().ln_1p()
}

#[test]
fn a_new_primitive_needs_one_table_row() {
    let mut table = PrimTable::extensible();
    table
        .register(Prim {
            name: "softplus",
            arity: 1,
            eval: softplus,
            cost: 1,
            jvp: "jvp softplus(x ; x') = let y = softplus(x) in let d = logistic(x) in (y ; d * x')",
        })
        .unwrap();
    let p = parse_with("def f(x: R, w: R) -> (R) = softplus(w * x) + x", &table).unwrap();
    let j = jvp(&p, &table).unwrap();
    for x in [-2.0, 0.3, 1.7] {
        let (xs, u) = (
            vec![Value::Real(x), Value::Real(0.8)],
            vec![Value::Real(0.6), Value::Real(-1.1)],
        );
        let t = eval_fn(&j, &table, FuncId(0), &xs, &u).unwrap();
        let mut run = |a: &[Value]| eval_fn(&p, &table, FuncId(0), a, &[]).ok().map(|o| o.nl);
        let fd = central_difference(&mut run, &xs, &u, 1e-3).unwrap();
        assert!(allclose(&leaves(&t.lin), &fd, 1e-9, 1e-9));
    }
}

#[test]
fn a_bad_rule_is_rejected_naming_the_primitive() {
    let bad_rules = [
        "jvp twice(x ; x') = let y = 2.0 * x in (y ; x' * x')", // linear times linear
        "jvp twice(x ; x') = let y = 2.0 * x in (y ; zero)",    // x' never used
        "jvp twice(x ; x') = let y = 3.0 * x in (y ; 2.0 * x')", // primal not the primitive's
        "jvp twice(x ; x') = (x ; x')",                         // primal wrong
    ];
    for rule in bad_rules {
        let mut table = PrimTable::extensible();
        table
            .register(Prim {
                name: "twice",
                arity: 1,
                eval: |a| 2.0 * a[0],
                cost: 1,
                jvp: rule,
            })
            .unwrap();
        match JvpRules::load(&table) {
            Err(e) => assert!(e.to_string().contains("`twice`"), "{rule}: {e}"),
            Ok(_) => panic!("{rule} was accepted"),
        }
    }
}

#[test]
fn a_million_let_body_transforms() {
    let n = 1_000_000;
    let mut src = String::with_capacity(n * 30);
    src.push_str("def f(x0: R) -> (R) =\n");
    for i in 1..=n {
        src += &format!("  let x{i} = sin(x{}) in\n", i - 1);
    }
    src += &format!("  x{n}\n");
    let p = parse(&src).unwrap();
    let j = jvp(&p, prims()).unwrap();
    let out = eval(&j, FuncId(0), &[Value::Real(0.5)], &[Value::Real(1.0)]).unwrap();
    assert!(out.lin[0].as_real().unwrap().is_finite());
}

#[test]
fn snapshots_of_the_jvp_of_every_corpus_program() {
    for (file, _, j) in corpus_pairs() {
        insta::assert_snapshot!(file.name.clone(), print(&j));
    }
}

/// Symbolic zeros (issue 14): a literal's tangent is a static zero that scaling, adding and
/// passing on fold away, with the coefficients computed only for it. `sin(x * 2.0) + 3.0` gets
/// the JVP a person would write, and its work is that program's, counted here by SPEC §3:
/// `let _t1 = x * 2.0` 4, `let t' = 2.0 * x'` 4, `sin` 3, `cos` 3, `c * t'` 4, `+ 3.0` 4,
/// the return 3.
#[test]
fn literal_tangents_are_symbolic_zeros() {
    let p = parse("def f(x: R) -> (R) = sin(x * 2.0) + 3.0").unwrap();
    let j = jvp(&p, prims()).unwrap();
    let text = print(&j);
    assert!(!text.contains("zero"), "{text}");
    assert_eq!(static_work(&j, prims()).unwrap(), vec![25], "{text}");
    let out = eval(&j, FuncId(0), &[Value::Real(0.3)], &[Value::Real(1.0)]).unwrap();
    assert_eq!(out.work, 25);
    assert_eq!(out.lin[0].as_real(), Some(0.6f64.cos() * 2.0));
    // A zero that something needs is made real: a call's argument, and a result.
    let p = parse("def g(x: R, y: R) -> (R) = x * y\ndef h(x: R) -> (R, R) = (g(x, 2.0), 5.0)")
        .unwrap();
    let j = jvp(&p, prims()).unwrap();
    checker::check(&j, prims(), checker::Options::default()).unwrap();
    let h = eval(&j, FuncId(1), &[Value::Real(0.5)], &[Value::Real(1.0)]).unwrap();
    assert_eq!(h.lin[0].as_real(), Some(2.0));
    assert_eq!(h.lin[1].as_real(), Some(0.0));
}
