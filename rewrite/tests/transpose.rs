//! Transpose and VJP claims (SPEC §4, §5): the dot-product test on every linear function,
//! transposing twice is the identity, the work relation, and gradients that agree with JVP
//! on every basis direction and with finite differences.

use properties::testing::{directions, dot_sides, vjp_at};
use rewrite::{Policy, jvp, transpose, unzip, vjp, work_bounds};
use semantics::corpus::{self, CorpusFile};
use semantics::numeric::{Rng, check_directional, dot, leaves};
use semantics::*;

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

/// Linear B programs with linear functions to transpose: the unzipped JVP of every nonlinear
/// corpus program, and every program of `corpus/linear` unzipped into Linear B.
fn linear_b_programs() -> Vec<(String, Program)> {
    let mut out = Vec::new();
    for f in corpus::load("").unwrap() {
        let j = jvp(&parse(&f.src).unwrap(), prims()).unwrap();
        out.push((
            f.name.clone(),
            unzip(&j, prims(), Policy::SaveAll).unwrap().program,
        ));
    }
    for f in corpus::load("linear").unwrap() {
        let p = parse(&f.src).unwrap();
        out.push((
            f.name.clone(),
            unzip(&p, prims(), Policy::SaveAll).unwrap().program,
        ));
    }
    out
}

fn is_linear(f: &FnDef, p: &Program) -> bool {
    checker::classify(f, p) == checker::Class::Linear
}

#[test]
fn transpose_output_is_strict_linear_b() {
    for (name, p) in linear_b_programs() {
        let t = transpose(&p, prims()).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Err(d) = checker::check(&t, prims(), checker::Options::default()) {
            panic!("{name}:\n{}\n{}", render(&d, &name, &print(&t)), print(&t));
        }
        assert!(checker::check_linear_b(&t).is_empty(), "{name}");
    }
}

#[test]
fn dot_product_test_on_every_linear_function() {
    let mut rng = Rng::new(3);
    let mut checked = 0;
    for (name, p) in linear_b_programs() {
        let t = transpose(&p, prims()).unwrap();
        for (i, g) in p.funcs.iter().enumerate().filter(|(_, g)| is_linear(g, &p)) {
            for _ in 0..3 {
                let a: Vec<Value> = g
                    .params
                    .iter()
                    .map(|q| rng.value(&q.ty, 0.5, 1.5))
                    .collect();
                let u: Vec<Value> = g
                    .lparams
                    .iter()
                    .map(|q| rng.value(&q.ty, -1.0, 1.0))
                    .collect();
                let ct: Vec<Value> = g
                    .lresults
                    .iter()
                    .map(|ty| rng.value(ty, -1.0, 1.0))
                    .collect();
                let Ok(lu) = eval_fn(&p, prims(), FuncId(i as u32), &a, &u) else {
                    continue;
                };
                let ltc = eval_fn(&t, prims(), FuncId(i as u32), &a, &ct)
                    .unwrap_or_else(|e| panic!("{name}: {}.T: {e}", g.name));
                let (lhs, rhs) = dot_sides(&ct, &lu.lin, &ltc.lin, &u).expect("shapes agree");
                if !lhs.is_finite() {
                    continue;
                }
                let scale = leaves(&ct)
                    .iter()
                    .chain(&leaves(&lu.lin))
                    .chain(&leaves(&u))
                    .chain(&leaves(&ltc.lin))
                    .fold(1.0f64, |m, x| m.max(x.abs()));
                assert!(
                    (lhs - rhs).abs() <= 1e-12 * scale * scale,
                    "{name}: {}: <ct, L u> = {lhs} but <L^T ct, u> = {rhs}",
                    g.name
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn transposing_twice_gives_back_the_function() {
    let mut rng = Rng::new(9);
    for (name, p) in linear_b_programs() {
        let tt = transpose(&transpose(&p, prims()).unwrap(), prims())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for (i, g) in p.funcs.iter().enumerate().filter(|(_, g)| is_linear(g, &p)) {
            assert_eq!(tt.funcs[i].name, format!("{}.T.T", g.name));
            let a: Vec<Value> = g
                .params
                .iter()
                .map(|q| rng.value(&q.ty, 0.5, 1.5))
                .collect();
            let u: Vec<Value> = g
                .lparams
                .iter()
                .map(|q| rng.value(&q.ty, -1.0, 1.0))
                .collect();
            let Ok(want) = eval_fn(&p, prims(), FuncId(i as u32), &a, &u) else {
                continue;
            };
            let got = eval_fn(&tt, prims(), FuncId(i as u32), &a, &u).unwrap();
            let (w, g2) = (leaves(&want.lin), leaves(&got.lin));
            assert!(
                w.len() == g2.len()
                    && w.iter()
                        .zip(&g2)
                        .all(|(x, y)| (x - y).abs() <= 1e-12 * x.abs().max(1.0)),
                "{name}: {}: {w:?} vs {g2:?}",
                g.name
            );
        }
    }
}

#[test]
fn transpose_work_is_within_c_t() {
    let mut ratios = Vec::new();
    for (name, p) in linear_b_programs() {
        let t = transpose(&p, prims()).unwrap();
        let (w, wt) = (
            static_work(&p, prims()).unwrap(),
            static_work(&t, prims()).unwrap(),
        );
        for (i, g) in p.funcs.iter().enumerate().filter(|(_, g)| is_linear(g, &p)) {
            let ratio = wt[i] as f64 / w[i] as f64;
            let bound = work_bounds::transpose_bound(w[i], g.lparams.len());
            assert!(
                wt[i] as f64 <= bound,
                "{name}: {}: W(g.T) = {} > c_T·W(g) + 2 + k = {bound}",
                g.name,
                wt[i]
            );
            ratios.push(ratio);
        }
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "W(g.T)/W(g): median {:.2}, worst {:.2}, over {} functions",
        ratios[ratios.len() / 2],
        ratios[ratios.len() - 1],
        ratios.len()
    );
}

fn param_types(f: &FnDef) -> Vec<Type> {
    f.params.iter().map(|q| q.ty.clone()).collect()
}

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

#[test]
fn gradients_agree_with_jvp_on_every_basis_direction_and_with_finite_differences() {
    let mut rng = Rng::new(21);
    let mut checked = 0;
    for (file, p) in corpus_programs() {
        let v = vjp(&p, prims(), Policy::SaveAll).unwrap();
        for (i, f) in p.funcs.iter().enumerate() {
            if f.results.is_empty() {
                continue;
            }
            for trial in 0..2 {
                let x: Vec<Value> = match file.expects.iter().find(|e| e.func == f.name) {
                    Some(e) if trial == 0 => e.args.clone(),
                    _ => f
                        .params
                        .iter()
                        .map(|q| rng.value(&q.ty, 0.5, 1.5))
                        .collect(),
                };
                let ct: Vec<Value> = f
                    .results
                    .iter()
                    .map(|ty| rng.value(ty, -1.0, 1.0))
                    .collect();
                let Some((grad, _)) = vjp_at(&v, prims(), i, &x, &ct) else {
                    continue;
                };
                let g = leaves(&grad);
                if !g.iter().all(|x| x.is_finite()) {
                    continue;
                }
                for (k, e) in directions(&param_types(f)).iter().enumerate() {
                    // <ct, J e_k> by forward mode equals the k-th gradient component.
                    let tangent = eval_fn(&v.jvp, prims(), FuncId(i as u32), &x, e).unwrap();
                    let jvp_k = dot(&ct, &tangent.lin).unwrap();
                    let tol = 1e-12 * (1.0 + jvp_k.abs() + g[k].abs()) * (1 + g.len()) as f64;
                    assert!(
                        (jvp_k - g[k]).abs() <= tol,
                        "{}: {}: direction {k}: JVP {jvp_k} vs gradient {}",
                        file.name,
                        f.name,
                        g[k]
                    );
                    // And central differences of <ct, f>.
                    let mut run = |xs: &[Value]| {
                        eval_fn(&p, prims(), FuncId(i as u32), xs, &[])
                            .ok()
                            .map(|o| vec![Value::Real(dot(&ct, &o.nl).unwrap_or(f64::NAN))])
                    };
                    let verdict = check_directional(&mut run, &x, e, &[g[k]], (1e-4, 1e-6, 1e-6));
                    assert!(
                        verdict.is_ok(),
                        "{}: {}: direction {k}: gradient {} vs finite differences {:?}",
                        file.name,
                        f.name,
                        g[k],
                        verdict
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 500, "{checked}");
}

#[test]
fn the_worked_example_gradient_is_exact() {
    let p = parse("def f(x: R, y: R) -> (R) = sin(x * y) + x").unwrap();
    let v = vjp(&p, prims(), Policy::SaveAll).unwrap();
    let (g, _) = vjp_at(
        &v,
        prims(),
        0,
        &[Value::Real(2.0), Value::Real(3.0)],
        &[Value::Real(1.0)],
    )
    .unwrap();
    // d/dx = y cos(xy) + 1, d/dy = x cos(xy), computed as the transposed program orders them.
    let c = 6.0f64.cos();
    assert_eq!(g[0].as_real(), Some(3.0 * (c * 1.0) + 1.0));
    assert_eq!(g[1].as_real(), Some(2.0 * (c * 1.0)));
}

#[test]
fn a_primitive_with_only_a_jvp_rule_gets_a_correct_gradient() {
    let mut table = PrimTable::extensible();
    table
        .register(Prim {
            name: "softplus",
            arity: 1,
            eval: |a| a[0].exp().ln_1p(),
            cost: 1,
            jvp: "jvp softplus(x ; x') = let y = softplus(x) in let d = logistic(x) in (y ; d * x')",
        })
        .unwrap();
    let p = parse_with("def f(x: R, w: R) -> (R) = softplus(w * x) * x", &table).unwrap();
    let j = jvp(&p, &table).unwrap();
    let u = unzip(&j, &table, Policy::SaveAll).unwrap();
    let t = transpose(&u.program, &table).unwrap();
    for (x, w) in [(0.3, -1.2), (1.7, 0.4)] {
        let fwd = eval_fn(
            &t,
            &table,
            FuncId(0),
            &[Value::Real(x), Value::Real(w)],
            &[],
        )
        .unwrap();
        let mut nl = fwd.nl;
        let res = nl.pop().unwrap();
        let back = eval_fn(&t, &table, FuncId(1), &[res], &[Value::Real(1.0)]).unwrap();
        let s = (w * x).exp().ln_1p();
        let sig = 1.0 / (1.0 + (-(w * x)).exp());
        let want = [s + x * w * sig, x * x * sig];
        let got = leaves(&back.lin);
        for k in 0..2 {
            assert!(
                (got[k] - want[k]).abs() <= 1e-14 * want[k].abs().max(1.0),
                "{got:?} vs {want:?}"
            );
        }
    }
}

/// `W(vjp) = W(.nonlin) + W(.lin.T) ≤ c_T·(W(.nonlin) + W(.lin)) ≤ c_T·(W(f.jvp) + overhead)`
/// under save-all (nothing recomputed), and `W(f.jvp) ≤ c_jvp·W(f)`.
#[test]
fn vjp_work_is_within_the_derived_bound() {
    let rules = rewrite::JvpRules::load(prims()).unwrap();
    let mut ratios: Vec<(f64, String)> = Vec::new();
    println!("| program | functions | median W(vjp)/W(f) | worst |\n| --- | --- | --- | --- |");
    for (file, p) in corpus_programs() {
        let first = ratios.len();
        let p = checker::elaborate(&p, prims()).unwrap();
        let v = vjp(&p, prims(), Policy::SaveAll).unwrap();
        let w = static_work(&p, prims()).unwrap();
        let (wu, wt) = (
            static_work(&v.unzipped.program, prims()).unwrap(),
            static_work(&v.program, prims()).unwrap(),
        );
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
            assert!(
                wv <= bound,
                "{}: {}: W(vjp) = {wv} > {bound}",
                file.name,
                f.name
            );
            ratios.push((wv / w[i] as f64, format!("{}: {}", file.name, f.name)));
        }
        let mut mine: Vec<f64> = ratios[first..].iter().map(|r| r.0).collect();
        mine.sort_by(f64::total_cmp);
        if let (Some(mid), Some(worst)) = (mine.get(mine.len() / 2), mine.last()) {
            println!("| {} | {} | {mid:.2} | {worst:.2} |", file.name, mine.len());
        }
    }
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = ratios.len();
    println!(
        "W(vjp)/W(f) over {n} functions: min {:.2}, median {:.2}, worst {:.2} ({})",
        ratios[0].0,
        ratios[n / 2].0,
        ratios[n - 1].0,
        ratios[n - 1].1
    );
}

#[test]
fn snapshots_of_the_vjp_of_every_corpus_program() {
    for (file, p) in corpus_programs() {
        let v = vjp(&p, prims(), Policy::SaveAll).unwrap();
        insta::assert_snapshot!(file.name.clone(), print(&v.program));
    }
}

/// Size: every linear binding becomes one binding of at most one more node (a `zero` becomes a
/// drop of a return, a destructure a tuple build); a `drop(e)` becomes a `zero` (3 nodes) per
/// free linear variable of `e`, each already an atom of `e`; a nonlinear variable used only in
/// `e` gets a drop (5 nodes) against its atom there; the return of the `k` cotangents is new:
/// `|g.T| ≤ 5·|g| + 2 + k`.
#[test]
fn transpose_output_size_is_within_a_constant_factor() {
    let mut worst = 0f64;
    for (name, p) in linear_b_programs() {
        let t = transpose(&p, prims()).unwrap();
        for (i, g) in p.funcs.iter().enumerate().filter(|(_, g)| is_linear(g, &p)) {
            let (before, after) = (fn_size(g), fn_size(&t.funcs[i]));
            assert!(
                after <= 5 * before + 2 + g.lparams.len() as u128,
                "{name}: {}: size {after} vs {before}",
                g.name
            );
            worst = worst.max(after as f64 / before as f64);
        }
    }
    println!("|g.T| over |g|: worst {worst:.2}");
}

/// Whether a gradient component and a JVP component agree: the same IEEE value class (both
/// NaN, or the same infinity) or, when finite, equal up to rounding.
fn agree(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * (1.0 + a.abs() + b.abs())
}

/// Issue 10.1: SPEC §3 treats IEEE values as ordinary values, so at points where an
/// intermediate is infinite or NaN the gradient must still be the JVP's (it was NaN through a
/// dropped `1/x` at 0, from transposing dropped code on a zero cotangent: see
/// `drop_reciprocal` in `corpus/drop_value.la`).
#[test]
fn gradients_agree_with_jvp_where_intermediates_are_infinite_or_nan() {
    let specials = [0.0, -0.0, -1.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
    let mut rng = Rng::new(10);
    let (mut checked, mut special_points, mut non_finite_tangents) = (0, 0, 0);
    for (file, p) in corpus_programs() {
        let v = vjp(&p, prims(), Policy::SaveAll).unwrap();
        for (i, f) in p.funcs.iter().enumerate() {
            if f.results.is_empty() {
                continue;
            }
            let base: Vec<Value> = f
                .params
                .iter()
                .map(|q| rng.value(&q.ty, 0.5, 1.5))
                .collect();
            let n_leaves = leaves(&base).len();
            let ct: Vec<Value> = f.results.iter().map(ones).collect();
            for leaf in 0..n_leaves {
                for &s in &specials {
                    let x = with_leaf(&base, leaf, s);
                    let (grad, _) = vjp_at(&v, prims(), i, &x, &ct).unwrap();
                    let g = leaves(&grad);
                    // Whether an intermediate is non-finite: a saved residual is.
                    let (nonlin, _) = v.halves(i).unwrap();
                    let fwd = eval_fn(&v.program, prims(), nonlin, &x, &[]).unwrap();
                    if leaves(&fwd.nl).iter().any(|r| !r.is_finite()) {
                        special_points += 1;
                    }
                    for (k, e) in directions(&param_types(f)).iter().enumerate() {
                        let tangent = eval_fn(&v.jvp, prims(), FuncId(i as u32), &x, e).unwrap();
                        let t = leaves(&tangent.lin);
                        // With cotangent all ones, <ct, J e_k> is the sum of the tangent's leaves;
                        // a single result needs no sum (so no rounding or inf - inf of its own).
                        let jvp_k = if t.len() == 1 { t[0] } else { t.iter().sum() };
                        // IEEE arithmetic is not distributive over infinities: forward mode
                        // computes `(a + b) * c`, reverse mode `a * c + b * c` (-inf against
                        // NaN for c = inf), and forward mode forms `0 * inf` from the zero
                        // tangents of other directions and of literals, which reverse mode
                        // never does. No reverse mode matches a non-finite tangent, so the
                        // claim is: where the tangent is finite, the gradient is that number.
                        if !jvp_k.is_finite() {
                            non_finite_tangents += 1;
                            continue;
                        }
                        assert!(
                            agree(jvp_k, g[k]),
                            "{}: {} at {x:?}: direction {k}: JVP {jvp_k} vs gradient {}",
                            file.name,
                            f.name,
                            g[k]
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    println!(
        "{checked} finite tangents at IEEE special points equal the gradient; {special_points} \
         points with non-finite intermediates; {non_finite_tangents} non-finite tangents"
    );
    assert!(
        checked > 500 && special_points > 100,
        "{checked} {special_points}"
    );
}

/// `xs` with real leaf number `k` (in order) replaced by `s`.
fn with_leaf(xs: &[Value], k: usize, s: f64) -> Vec<Value> {
    fn go(v: &Value, k: usize, s: f64, seen: &mut usize) -> Value {
        match v {
            Value::Real(r) => {
                *seen += 1;
                Value::Real(if *seen - 1 == k { s } else { *r })
            }
            Value::Tuple(vs) => Value::tuple(vs.iter().map(|w| go(w, k, s, seen)).collect()),
        }
    }
    let mut seen = 0;
    xs.iter().map(|v| go(v, k, s, &mut seen)).collect()
}

/// The value of type `ty` with every leaf 1.
fn ones(ty: &Type) -> Value {
    match ty.components() {
        None => Value::Real(1.0),
        Some(ts) => Value::tuple(ts.iter().map(ones).collect()),
    }
}
