//! Claims about the simplifier (`rewrite::equiv::simplify`): its extra rules hold
//! numerically with equal definedness; extraction counts a shared node once and never
//! overflows on an exponentially shared term; and on every corpus program the simplified
//! VJP is proved equal to the VJP, strict, in Linear B, never more work, and its gradients
//! agree with finite differences. Prints the figures of `docs/RESULTS.md` (W(vjp)/W(f) before
//! and after `--simplify`).

use egg::{ENodeOrVar, Pattern, Var};
use rewrite::equiv::Outcome;
use rewrite::equiv::language::Term;
use rewrite::equiv::parse_rules;
use rewrite::equiv::simplify::{EXTRA_RULES, Limits, simplify};
use semantics::numeric::{Rng, check_directional, dot};
use semantics::{FuncId, PrimTable, Program, Value, corpus, eval_fn, parse, static_work};
use std::collections::HashMap;
use std::str::FromStr;

fn eval_pattern(p: &Pattern<Term>, env: &HashMap<Var, f64>) -> f64 {
    let prims = PrimTable::standard();
    let mut vals: Vec<f64> = Vec::new();
    for n in p.ast.as_ref() {
        let v = match n {
            ENodeOrVar::Var(v) => env[v],
            ENodeOrVar::ENode(t) => {
                let a = |i: usize| vals[usize::from(egg::Language::children(t)[i])];
                match t {
                    Term::Num(l) => l.value(),
                    Term::Prim(s, args) => {
                        let row = prims.get(prims.lookup(s.as_str()).unwrap()).unwrap();
                        let xs: Vec<f64> = (0..args.len()).map(a).collect();
                        (row.eval)(&xs)
                    }
                    other => panic!("no {other} in a simplifier rule"),
                }
            }
        };
        vals.push(v);
    }
    *vals.last().unwrap()
}

#[test]
fn every_extra_rule_holds_with_equal_definedness() {
    let rules = parse_rules(EXTRA_RULES).unwrap();
    assert!(rules.len() >= 5);
    let mut rng = Rng::new(7);
    let special = [0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 1e-3];
    for r in &rules {
        let l = Pattern::<Term>::from_str(&r.lhs).unwrap();
        let rhs = Pattern::<Term>::from_str(&r.rhs).unwrap();
        let vars = l.vars();
        for k in 0..2000 {
            let env: HashMap<Var, f64> = vars
                .iter()
                .map(|v| {
                    let x = if k % 4 == 0 {
                        special[rng.next_u64() as usize % special.len()]
                    } else {
                        rng.uniform(-3.0, 3.0)
                    };
                    (*v, x)
                })
                .collect();
            let (a, b) = (eval_pattern(&l, &env), eval_pattern(&rhs, &env));
            assert_eq!(
                a.is_finite(),
                b.is_finite(),
                "{}: {a} vs {b} at {env:?}",
                r.name
            );
            if a.is_finite() {
                assert!(
                    (a - b).abs() <= 1e-9 * (1.0 + a.abs()),
                    "{}: {a} vs {b} at {env:?}",
                    r.name
                );
            }
        }
    }
    // The same check sees a rule that changes definedness: `a / a` is not finite at 0.
    let l = Pattern::<Term>::from_str("(div ?a ?a)").unwrap();
    let env: HashMap<Var, f64> = l.vars().into_iter().map(|v| (v, 0.0)).collect();
    assert!(!eval_pattern(&l, &env).is_finite());
}

fn simplified(src: &str) -> rewrite::equiv::simplify::Simplified {
    let p = parse(src).unwrap();
    let p = checker::elaborate(&p, PrimTable::standard()).unwrap();
    simplify(&p, PrimTable::standard(), &Limits::default()).unwrap()
}

#[test]
fn common_subexpressions_and_identities_are_removed_and_proved() {
    let s = simplified(
        "def f(x: R, y: R) -> (R) = let a = sin(x * y) in let b = sin(x * y) in let c = a * 1.0 + 0.0 in c + b * (2.0 - 1.0)",
    );
    let r = &s.functions[0];
    assert!(r.simplified, "{r:?}");
    assert_eq!(r.proof, Outcome::Proved);
    assert!(r.work_after < r.work_before, "{r:?}");
    let text = semantics::print(&s.program);
    assert_eq!(text.matches("sin(").count(), 1, "{text}");
    let w = static_work(&s.program, PrimTable::standard()).unwrap();
    assert_eq!(w[0], r.work_after);
    // Same numbers.
    let args = [Value::Real(0.7), Value::Real(-1.3)];
    let before = eval_fn(
        &parse("def f(x: R, y: R) -> (R) = sin(x * y) * 2.0").unwrap(),
        PrimTable::standard(),
        FuncId(0),
        &args,
        &[],
    )
    .unwrap();
    let after = eval_fn(&s.program, PrimTable::standard(), FuncId(0), &args, &[]).unwrap();
    assert!((before.nl[0].as_real().unwrap() - after.nl[0].as_real().unwrap()).abs() < 1e-12);
}

#[test]
fn an_optimal_function_is_kept_as_it_was() {
    let src = "def f(x: R, y: R) -> (R) =\n  let z = x * y in\n  let s = sin(z) in\n  s + x\n";
    let s = simplified(src);
    assert!(!s.functions[0].simplified);
    assert_eq!(s.functions[0].work_before, s.functions[0].work_after);
    assert_eq!(semantics::print(&s.program), src);
}

#[test]
fn a_term_shared_two_to_the_sixty_times_is_extracted_once_per_let() {
    // x{i} = sin(x{i-1}) * sin(x{i-1}), the sine written twice: as a tree 2^60 nodes, so
    // tree costs would overflow; as a DAG one `sin` and one `*` per level.
    let mut src = String::from("def f(x: R) -> (R) =\n  let x0 = sin(x) in\n");
    for i in 1..=60 {
        src += &format!(
            "  let a{i} = sin(x{}) in let b{i} = sin(x{}) in let x{i} = a{i} * b{i} in\n",
            i - 1,
            i - 1
        );
    }
    src += "  x60\n";
    let s = simplified(&src);
    let r = &s.functions[0];
    assert_eq!(r.proof, Outcome::Proved);
    assert!(r.simplified && r.work_after < r.work_before, "{r:?}");
    // Per level: `let a = sin(x)` (3) and `let x = a * a` (4), not 10.
    assert!(r.work_after <= 60 * 7 + 10, "{r:?}");
}

#[test]
fn a_two_thousand_let_chain_vjp_is_simplified_and_proved_in_seconds() {
    // The smoke version of the scale claim (5,000 lets: 4.6 s in debug, `docs/RESULTS.md`).
    let n = 2000;
    let mut src = String::from("def f(x: R) -> (R) =\n  let x0 = x in\n");
    for i in 1..=n {
        src += &format!("  let x{i} = sin(x{}) * x{} in\n", i - 1, i - 1);
    }
    src += &format!("  x{n}\n");
    let prims = PrimTable::standard();
    let p = parse(&src).unwrap();
    let v = rewrite::vjp(&p, prims, rewrite::Policy::SaveAll).unwrap();
    let start = std::time::Instant::now();
    let s = simplify(&v.program, prims, &Limits::default()).unwrap();
    println!(
        "simplify of a {n}-let chain's VJP: {:.2} s",
        start.elapsed().as_secs_f64()
    );
    assert!(
        s.functions.iter().all(|r| r.proof == Outcome::Proved),
        "{:?}",
        s.functions
    );
    let lin_t = &s.functions[1];
    assert!(
        lin_t.simplified && lin_t.work_after < lin_t.work_before,
        "{lin_t:?}"
    );
    checker::accepts(&s.program, prims, checker::Options { relaxed: false }).unwrap();
    assert!(checker::check_linear_b(&s.program).is_empty());
}

/// `<ct, f(x)>` at `x`, for finite differences of the gradient.
fn pairing(p: &Program, id: FuncId, ct: &[Value]) -> impl FnMut(&[Value]) -> Option<Vec<Value>> {
    move |x: &[Value]| {
        let out = eval_fn(p, PrimTable::standard(), id, x, &[]).ok()?;
        Some(vec![Value::Real(dot(&out.nl, ct)?)])
    }
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    if xs.is_empty() {
        return f64::NAN;
    }
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

#[test]
fn the_simplified_vjp_of_every_corpus_program_is_proved_strict_and_cheaper_or_equal() {
    let prims = PrimTable::standard();
    let mut failures = Vec::new();
    let (mut before_all, mut after_all) = (Vec::new(), Vec::new());
    println!(
        "| program | functions (W(f) >= 20) | simplified | W(vjp)/W(f) median before | after | worst before | after |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for file in corpus::load("").unwrap() {
        let p = parse(&file.src).unwrap();
        let p = checker::elaborate(&p, prims).unwrap();
        let Ok(v) = rewrite::vjp(&p, prims, rewrite::Policy::SaveAll) else {
            continue;
        };
        let s = simplify(&v.program, prims, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", file.name));
        for r in &s.functions {
            if r.proof != Outcome::Proved {
                failures.push(format!(
                    "{}: {} not proved: {:?}",
                    file.name, r.func, r.note
                ));
            }
            if r.work_after > r.work_before {
                failures.push(format!("{}: {} more work: {r:?}", file.name, r.func));
            }
        }
        if let Err(d) = checker::accepts(&s.program, prims, checker::Options { relaxed: false }) {
            failures.push(format!("{}: not strict: {:?}", file.name, d[0].message));
        }
        if !checker::check_linear_b(&s.program).is_empty() {
            failures.push(format!("{}: not in Linear B", file.name));
        }
        let wf = static_work(&p, prims).unwrap();
        let wv = static_work(&v.program, prims).unwrap();
        let ws = static_work(&s.program, prims).unwrap();
        let (mut b, mut a) = (Vec::new(), Vec::new());
        let mut rng = Rng::new(11);
        for (i, f) in p.funcs.iter().enumerate() {
            let Some((nonlin, lin_t)) = v.halves(i) else {
                continue;
            };
            let (n, l) = (nonlin.0 as usize, lin_t.0 as usize);
            if wf[i] >= 20 {
                b.push((wv[n] + wv[l]) as f64 / wf[i] as f64);
                a.push((ws[n] + ws[l]) as f64 / wf[i] as f64);
            }
            // Gradients of the simplified VJP against finite differences of f.
            if wf[i] > 100_000 {
                continue;
            }
            for k in 0..2 {
                let x: Vec<Value> = f
                    .params
                    .iter()
                    .map(|q| rng.value(&q.ty, 0.3, 1.5))
                    .collect();
                let ct: Vec<Value> = f.results.iter().map(|t| rng.value(t, -1.0, 1.0)).collect();
                let u: Vec<Value> = f
                    .params
                    .iter()
                    .map(|q| rng.value(&q.ty, -1.0, 1.0))
                    .collect();
                let fwd = eval_fn(&s.program, prims, nonlin, &x, &[]).unwrap();
                let mut value = fwd.nl;
                let res = value.pop().unwrap();
                let back = eval_fn(&s.program, prims, lin_t, &[res], &ct).unwrap();
                let orig = eval_fn(&p, prims, FuncId(i as u32), &x, &[]).unwrap();
                let same = semantics::numeric::allclose(
                    &semantics::numeric::leaves(&value),
                    &semantics::numeric::leaves(&orig.nl),
                    1e-9,
                    1e-9,
                );
                if !same {
                    failures.push(format!(
                        "{}: {} values differ at sample {k}",
                        file.name, f.name
                    ));
                }
                let t = [dot(&back.lin, &u).unwrap()];
                let mut g = pairing(&p, FuncId(i as u32), &ct);
                if check_directional(&mut g, &x, &u, &t, (1e-4, 1e-6, 1e-4)).is_err() {
                    failures.push(format!(
                        "{}: {} gradient differs from finite differences",
                        file.name, f.name
                    ));
                }
            }
        }
        let simplified = s.functions.iter().filter(|r| r.simplified).count();
        if !b.is_empty() {
            let worst = |xs: &[f64]| xs.iter().copied().fold(0.0, f64::max);
            println!(
                "| {} | {} | {simplified}/{} | {:.2} | {:.2} | {:.2} | {:.2} |",
                file.name,
                b.len(),
                s.functions.len(),
                median(&mut b.clone()),
                median(&mut a.clone()),
                worst(&b),
                worst(&a)
            );
        }
        before_all.extend(b);
        after_all.extend(a);
    }
    let worst = |xs: &[f64]| xs.iter().copied().fold(0.0, f64::max);
    println!(
        "| all | {} | | {:.2} | {:.2} | {:.2} | {:.2} |",
        before_all.len(),
        median(&mut before_all.clone()),
        median(&mut after_all.clone()),
        worst(&before_all),
        worst(&after_all)
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(after_all.iter().zip(&before_all).all(|(a, b)| a <= b));
}

/// A `.lin.T` whose body calls its callees' `.lin.T` with linear arguments is rebuilt with
/// those calls kept (its rows are over its linear inputs and the calls' linear results), and
/// is then cheaper, proved, strict, and gives the gradient finite differences give. (`c7`:
/// since the folds of issue 14's second round, `c3.jvp.lin.T` comes out of `vjp` as cheap as
/// the simplifier's rebuild of it, W 95.)
#[test]
fn a_transpose_calling_its_callees_transposes_is_simplified_across_the_calls() {
    let prims = PrimTable::standard();
    let file = corpus::load("")
        .unwrap()
        .into_iter()
        .find(|f| f.name == "deep_chain")
        .unwrap();
    let p = checker::elaborate(&parse(&file.src).unwrap(), prims).unwrap();
    let v = rewrite::vjp(&p, prims, rewrite::Policy::SaveAll).unwrap();
    let s = simplify(&v.program, prims, &Limits::default()).unwrap();
    checker::accepts(&s.program, prims, checker::Options { relaxed: false }).unwrap();
    assert!(checker::check_linear_b(&s.program).is_empty());
    let text = semantics::print(&s.program);
    let i = p.func_named("c7").unwrap().0 as usize;
    let (nonlin, lin_t) = v.halves(i).unwrap();
    let r = &s.functions[lin_t.0 as usize];
    assert_eq!(r.func, "c7.jvp.lin.T");
    assert!(r.simplified && r.work_after < r.work_before, "{r:?}");
    assert_eq!(r.proof, Outcome::Proved);
    let body = &text[text.find("def c7.jvp.lin.T").unwrap()..];
    let body = &body[..body[4..].find("\ndef ").map_or(body.len(), |e| e + 4)];
    assert!(
        body.contains("c6.jvp.lin.T(") && body.contains("c5.jvp.lin.T("),
        "{body}"
    );
    let mut rng = Rng::new(7);
    for _ in 0..3 {
        let x = [Value::Real(rng.uniform(0.3, 1.5))];
        let ct = [Value::Real(rng.uniform(-1.0, 1.0))];
        let u = [Value::Real(rng.uniform(-1.0, 1.0))];
        let mut fwd = eval_fn(&s.program, prims, nonlin, &x, &[]).unwrap().nl;
        let res = fwd.pop().unwrap();
        let back = eval_fn(&s.program, prims, lin_t, &[res], &ct).unwrap();
        let t = [dot(&back.lin, &u).unwrap()];
        let mut g = pairing(&p, FuncId(i as u32), &ct);
        check_directional(&mut g, &x, &u, &t, (1e-4, 1e-6, 1e-4)).unwrap();
    }
}
