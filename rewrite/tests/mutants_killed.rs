//! Claims that kill mutants `cargo mutants` found surviving in `rewrite/src` (see
//! docs/RESULTS.md, "Mutation testing"): each test states what the mutated line is for, on a
//! small program where a slip in that line changes the result, and checks it against an
//! independent reference (the strict checker, evaluation, the dot-product test, hand-computed
//! values).

use rewrite::transpose;
use semantics::numeric::{Rng, dot, leaves as real_leaves};
use semantics::*;

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

fn strict(p: &Program) {
    if let Err(d) = checker::check(p, prims(), checker::Options::default()) {
        panic!("{}\n{}", d[0].message, print(p));
    }
}

/// Transposes `src` (Linear B) and checks the output strictly, then the dot-product test
/// `<ct, L u> = <L^T ct, u>` on every linear function at a few random points.
fn transposed(src: &str) -> (Program, Program) {
    let p = parse(src).unwrap_or_else(|d| panic!("{}", d[0].message));
    strict(&p);
    let t = transpose(&p, prims()).unwrap_or_else(|e| panic!("{e}"));
    strict(&t);
    assert!(checker::check_linear_b(&t).is_empty(), "{}", print(&t));
    let mut rng = Rng::new(5);
    for (i, g) in p.funcs.iter().enumerate() {
        if checker::classify(g, &p) != checker::Class::Linear {
            continue;
        }
        for _ in 0..4 {
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
            let ct: Vec<Value> = g.lresults.iter().map(|t| rng.value(t, -1.0, 1.0)).collect();
            let lu = eval_fn(&p, prims(), FuncId(i as u32), &a, &u).unwrap();
            let ltc = eval_fn(&t, prims(), FuncId(i as u32), &a, &ct).unwrap();
            let (lhs, rhs) = (dot(&ct, &lu.lin).unwrap(), dot(&ltc.lin, &u).unwrap());
            assert!(
                (lhs - rhs).abs() <= 1e-12 * (1.0 + lhs.abs()),
                "{}: <ct, L u> = {lhs}, <L^T ct, u> = {rhs}\n{}",
                g.name,
                print(&t)
            );
        }
    }
    (p, t)
}

/// `drop(e)` transposes to zero cotangents for exactly e's *free linear* variables: not its
/// nonlinear ones (`x`, `s`), not the ones it binds itself (`w'`).
#[test]
fn drop_transposes_to_zeros_for_its_free_linear_variables_only() {
    let (_, t) = transposed(
        "def l(x: R ; y': R, z': R) -> (; R) =
           let () = drop(let w' = x * y' in let s = sin(x) in (s ; w')) in
           z'",
    );
    let out = eval_fn(
        &t,
        prims(),
        FuncId(0),
        &[Value::Real(0.7)],
        &[Value::Real(3.0)],
    )
    .unwrap();
    assert_eq!(real_leaves(&out.lin), [0.0, 3.0]);
    // One zero (for `y'`), nothing else: a zero for `x`, `s` or `w'` would be dropped again by
    // the output's elaboration, invisible in the values but not in the code or its work.
    let mut zeros = 0;
    each_expr(&t.funcs[0].body, &mut |e| {
        zeros += usize::from(matches!(e, Expr::Zero { .. }))
    });
    assert_eq!(zeros, 1, "{}", print(&t));
}

/// A transposed function carries no `@checkpoint` mark: the mark asks unzip to recompute a
/// function's residuals, and `g.T` is linear, with none; its text says so.
#[test]
fn transposing_a_marked_linear_function_drops_the_mark() {
    let (p, t) = transposed("@checkpoint\ndef l(x: R ; y': R) -> (; R) = x * y'");
    assert!(p.funcs[0].checkpoint);
    assert_eq!(t.funcs[0].name, "l.T");
    assert!(!t.funcs[0].checkpoint, "{}", print(&t));
    assert!(!print(&t).contains("@checkpoint"));
}
