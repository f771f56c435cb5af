//! Forget and Hessian-vector products, checked against evaluation only: the forgotten program
//! computes what the linear one does, `H v` matches central differences of the gradient (the
//! gradient of the plain VJP, which does not go through `forget`), and `<u, H v> = <v, H u>`.

use properties::testing::vjp_at;
use rewrite::{Hvp, Policy, basis, forget, vjp};
use semantics::corpus::{self, CorpusFile};
use semantics::numeric::{Rng, check_directional, dot, leaves};
use semantics::*;

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

/// Every nonlinear corpus program (relaxed ones as they are: the passes elaborate them).
fn corpus_programs() -> Vec<(CorpusFile, Program)> {
    corpus::load("")
        .unwrap()
        .into_iter()
        .map(|f| {
            let p = parse(&f.src).unwrap();
            (f, p)
        })
        .collect()
}

/// The gradient by the plain VJP (no forget, no second JVP): the independent reference.
fn gradient(v: &rewrite::Vjp, i: usize, x: &[Value]) -> Option<Vec<Value>> {
    vjp_at(v, prims(), i, x, &[Value::Real(1.0)]).map(|(g, _)| g)
}

fn scalar_functions(p: &Program) -> impl Iterator<Item = (usize, &FnDef)> {
    p.funcs
        .iter()
        .enumerate()
        .filter(|(_, f)| f.results == [Type::Real] && !f.params.is_empty())
}

fn random_point(f: &FnDef, rng: &mut Rng) -> Vec<Value> {
    f.params
        .iter()
        .map(|p| rng.value(&p.ty, 0.5, 1.5))
        .collect()
}

#[test]
fn forgetting_a_vjp_keeps_its_meaning_and_leaves_a_strict_nonlinear_program() {
    let mut rng = Rng::new(15);
    let mut checked = 0;
    for (file, p) in corpus_programs() {
        let v = vjp(&p, prims(), Policy::SaveAll).unwrap();
        let fg = forget(&v.program, prims()).unwrap_or_else(|e| panic!("{}: {e}", file.name));
        checker::check(&fg, prims(), checker::Options::default())
            .unwrap_or_else(|d| panic!("{}: forgotten VJP is not strict: {:?}", file.name, d));
        assert!(
            fg.funcs
                .iter()
                .all(|f| f.lparams.is_empty() && f.lresults.is_empty()),
            "{}: linear parts left",
            file.name
        );
        for (i, f) in p.funcs.iter().enumerate() {
            let Some((nonlin, lin_t)) = v.halves(i) else {
                continue;
            };
            let x = random_point(f, &mut rng);
            let mut fwd = eval_fn(&v.program, prims(), nonlin, &x, &[]).unwrap();
            let res = fwd.nl.pop().unwrap();
            let cts: Vec<Value> = f.results.iter().map(|t| rng.value(t, -1.0, 1.0)).collect();
            let lin =
                eval_fn(&v.program, prims(), lin_t, std::slice::from_ref(&res), &cts).unwrap();
            let mut args = vec![res];
            args.extend(cts);
            let forgotten = eval_fn(&fg, prims(), lin_t, &args, &[]).unwrap();
            assert!(
                leaves(&forgotten.nl)
                    .iter()
                    .zip(leaves(&lin.lin))
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{}: forgotten {} differs",
                file.name,
                f.name
            );
            assert_eq!(leaves(&forgotten.nl).len(), leaves(&lin.lin).len());
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} functions checked");
}

#[test]
fn hvp_matches_finite_differences_of_the_gradient_on_the_corpus() {
    let mut rng = Rng::new(1515);
    let (mut checked, mut skipped) = (0, 0);
    for (file, p) in corpus_programs() {
        let v = vjp(&p, prims(), Policy::SaveAll).unwrap();
        for (i, f) in scalar_functions(&p) {
            let h = Hvp::new(&p, prims(), FuncId(i as u32))
                .unwrap_or_else(|e| panic!("{} {}: {e}", file.name, f.name));
            checker::check(&h.program, prims(), checker::Options::default())
                .unwrap_or_else(|_| panic!("{} {}: HVP program not strict", file.name, f.name));
            for _ in 0..3 {
                let x = random_point(f, &mut rng);
                let dir = random_point(f, &mut rng);
                let out = h.at(prims(), &x, &dir).unwrap();
                // The value and gradient are those of the original and of the plain VJP.
                let orig = eval_fn(&p, prims(), FuncId(i as u32), &x, &[]).unwrap();
                let bits =
                    |vs: &[Value]| leaves(vs).iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&out.value), bits(&orig.nl), "{}", f.name);
                if !leaves(&out.value)[0].is_finite() {
                    skipped += 1;
                    continue;
                }
                let g = gradient(&v, i, &x).unwrap();
                assert_eq!(bits(&out.gradient), bits(&g), "{}", f.name);
                let mut grad_at = |y: &[Value]| gradient(&v, i, y);
                match check_directional(
                    &mut grad_at,
                    &x,
                    &dir,
                    &leaves(&out.hvp),
                    (1e-4, 1e-6, 1e-5),
                ) {
                    Ok(Some(())) => checked += 1,
                    Ok(None) => skipped += 1,
                    Err(fd) => panic!(
                        "{} {}: H v = {:?}, finite differences {fd:?}",
                        file.name,
                        f.name,
                        leaves(&out.hvp)
                    ),
                }
            }
        }
    }
    println!(
        "HVP vs finite differences of the gradient: {checked} points checked, {skipped} outside a domain"
    );
    assert!(checked > 60, "only {checked} checked");
}

#[test]
fn hvp_is_symmetric_and_the_hessian_too_on_the_corpus() {
    let mut rng = Rng::new(7);
    let mut worst: f64 = 0.0;
    let mut checked = 0;
    for (file, p) in corpus_programs() {
        for (i, f) in scalar_functions(&p) {
            let h = Hvp::new(&p, prims(), FuncId(i as u32)).unwrap();
            let x = random_point(f, &mut rng);
            let (u, w) = (random_point(f, &mut rng), random_point(f, &mut rng));
            let hu = h.at(prims(), &x, &u).unwrap().hvp;
            let hw = h.at(prims(), &x, &w).unwrap().hvp;
            let (a, b) = (dot(&u, &hw).unwrap(), dot(&w, &hu).unwrap());
            if !(a.is_finite() && b.is_finite()) {
                continue;
            }
            let tol = 1e-9 * (1.0 + a.abs().max(b.abs()));
            assert!(
                (a - b).abs() <= tol,
                "{} {}: <u,Hw> {a} vs <w,Hu> {b}",
                file.name,
                f.name
            );
            if h.dimension() <= rewrite::HESSIAN_LIMIT {
                let m = h.hessian(prims(), &x).unwrap();
                // Column j is H e_j, independently of the symmetric dot products above.
                let e0 = h.at(prims(), &x, &basis(&h.params, 0)).unwrap().hvp;
                for (r, e) in leaves(&e0).iter().enumerate() {
                    assert_eq!(m[r][0].to_bits(), e.to_bits());
                }
                for (r, row) in m.iter().enumerate() {
                    for (c, hrc) in row.iter().enumerate() {
                        let d = (hrc - m[c][r]).abs();
                        if d.is_finite() {
                            worst = worst.max(d / (1.0 + hrc.abs()));
                        }
                    }
                }
            }
            checked += 1;
        }
    }
    println!("HVP symmetry: {checked} functions, worst relative Hessian asymmetry {worst:e}");
    assert!(worst <= 1e-9, "Hessian asymmetry {worst}");
    assert!(checked > 20);
}

#[test]
fn a_known_hessian() {
    // f(x, y) = x*x*y + sin(y): H = [[2y, 2x], [2x, -sin(y)]].
    let p = parse("def f(x: R, y: R) -> (R) = x * x * y + sin(y)").unwrap();
    let h = Hvp::new(&p, prims(), FuncId(0)).unwrap();
    let (x, y) = (0.7, -1.3);
    let m = h
        .hessian(prims(), &[Value::Real(x), Value::Real(y)])
        .unwrap();
    let want = [[2.0 * y, 2.0 * x], [2.0 * x, -y.sin()]];
    for (row, want) in m.iter().zip(want) {
        for (got, want) in row.iter().zip(want) {
            assert!((got - want).abs() < 1e-12, "{m:?}");
        }
    }
}

#[test]
fn a_function_without_a_single_real_result_has_no_hessian() {
    let p = parse("def f(x: R) -> (R, R) = (x, x)").unwrap();
    let e = Hvp::new(&p, prims(), FuncId(0)).err().unwrap();
    assert_eq!(e.code(), "E0507");
}

/// Bodies are flat: forget, the dataflow picture (in program order past the layout budget) and
/// the text and LaTeX derivations of a 100,000-binding function are loops, not recursion.
#[test]
fn a_hundred_thousand_bindings_are_forgotten_drawn_and_derived() {
    let n = 100_000;
    let mut src = String::from("def chain(a: R ; x': R) -> (; R) =\n  let y0' = a * x' in\n");
    for i in 1..n {
        src += &format!("  let y{i}' = a * y{}' in\n", i - 1);
    }
    src += &format!("  y{}'\n", n - 1);
    let p = parse(&src).unwrap();
    let fg = forget(&p, prims()).unwrap();
    assert_eq!(fg.funcs[0].body.binds.len(), n);
    let out = eval_fn(
        &fg,
        prims(),
        FuncId(0),
        &[Value::Real(1.0), Value::Real(2.0)],
        &[],
    )
    .unwrap();
    assert_eq!(out.nl[0].as_real(), Some(2.0));
    let g = rewrite::dataflow::dataflow(
        &p,
        prims(),
        rewrite::dataflow::Stage::Source,
        Policy::SaveAll,
        None,
    )
    .unwrap();
    assert_eq!(g.nodes.len(), n + 3);
    assert!(g.to_svg().ends_with("</svg>\n"));
    assert!(g.to_dot().ends_with("}\n"));
    let checked = checker::check(&p, prims(), checker::Options::default()).unwrap();
    let text = checker::present::text(&checked.derivations[0]);
    assert_eq!(text.lines().count(), checked.derivations[0].size());
    assert!(checker::present::latex(&checked.derivations[0]).ends_with("\\end{prooftree}\n"));
}
