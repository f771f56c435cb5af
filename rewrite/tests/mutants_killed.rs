//! Claims that kill mutants `cargo mutants` found surviving in `rewrite/src` (see
//! docs/RESULTS.md, "Mutation testing"): each test states what the mutated line is for, on a
//! small program where a slip in that line changes the result, and checks it against an
//! independent reference (the strict checker, evaluation, the dot-product test, hand-computed
//! values).

use rewrite::{jvp, transpose};
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

/// JVP refuses a program whose only linear part is an operation (`zero`, `+`, scaling, `dup`, a
/// linear tuple) inside a nonlinear function, with E0501 naming the function, not an internal
/// error from deep inside the transformation.
#[test]
fn jvp_refuses_a_linear_operation_under_drop_with_e0501() {
    for body in [
        "let () = drop(zero) in x",
        "let () = drop(zero<<R, R>>) in x",
        "let () = drop(let (; a', b') = dup(zero) in a' + b') in x",
    ] {
        let p = parse(&format!("def f(x: R) -> (R) = {body}")).unwrap();
        checker::check(&p, prims(), checker::Options { relaxed: true }).unwrap();
        match jvp(&p, prims()) {
            Err(e @ rewrite::RewriteError::NotNonlinear { .. }) => {
                assert_eq!(e.code(), "E0501");
            }
            other => panic!("{body}: {:?}", other.map(|j| print(&j))),
        }
    }
}

/// A nested block (`let v = let w = ... in ... in`) is differentiated like the flat lets it
/// stands for: exact primal, tangent equal to the derivative computed by hand.
#[test]
fn jvp_of_a_nested_block_is_the_derivative() {
    let p = parse("def f(x: R) -> (R) = let v = let w = sin(x) in w * x in v + 1.0").unwrap();
    let j = jvp(&p, prims()).unwrap();
    strict(&j);
    for x in [-1.3f64, 0.2, 2.0] {
        let out = eval_fn(
            &j,
            prims(),
            FuncId(0),
            &[Value::Real(x)],
            &[Value::Real(1.0)],
        )
        .unwrap();
        assert_eq!(real_leaves(&out.nl), [x.sin() * x + 1.0]);
        let d = x.cos() * x + x.sin();
        let t = real_leaves(&out.lin)[0];
        assert!((t - d).abs() <= 1e-12 * (1.0 + d.abs()), "{t} vs {d}");
    }
}

/// A rule whose result is its own parameter (`jvp ident(x ; x') = (x ; x')`) inlines to the
/// identity: the renaming of a rule's returned variables applies only to variables the rule
/// binds itself.
#[test]
fn a_rule_returning_its_parameters_inlines_to_the_identity() {
    fn ident(a: &[f64]) -> f64 {
        a[0]
    }
    let mut table = PrimTable::extensible();
    table
        .register(Prim {
            name: "ident",
            arity: 1,
            eval: ident,
            cost: 1,
            jvp: "jvp ident(x ; x') = (x ; x')",
        })
        .unwrap();
    let p = parse_with("def f(x: R) -> (R) = let y = ident(x) in y * x", &table).unwrap();
    let j = jvp(&p, &table).unwrap();
    checker::check(&j, &table, checker::Options::default())
        .unwrap_or_else(|d| panic!("{}\n{}", d[0].message, print(&j)));
    for x in [-0.5f64, 1.5] {
        let out = eval_fn(
            &j,
            &table,
            FuncId(0),
            &[Value::Real(x)],
            &[Value::Real(1.0)],
        )
        .unwrap();
        assert_eq!(real_leaves(&out.nl), [x * x]);
        assert_eq!(real_leaves(&out.lin), [2.0 * x]);
    }
}

/// A rule that binds its primal but returns its tangent parameter unchanged
/// (`jvp shift(x ; x') = let y = x + 1.0 in (y ; x')`) inlines correctly: only the variables
/// the rule binds are renamed to the call's binders, never a parameter.
#[test]
fn a_rule_returning_its_tangent_parameter_inlines_correctly() {
    fn shift(a: &[f64]) -> f64 {
        a[0] + 1.0
    }
    let mut table = PrimTable::extensible();
    table
        .register(Prim {
            name: "shift",
            arity: 1,
            eval: shift,
            cost: 1,
            jvp: "jvp shift(x ; x') = let y = x + 1.0 in (y ; x')",
        })
        .unwrap();
    let p = parse_with("def f(x: R) -> (R) = let y = shift(x) in y * x", &table).unwrap();
    let j = jvp(&p, &table).unwrap();
    checker::check(&j, &table, checker::Options::default())
        .unwrap_or_else(|d| panic!("{}\n{}", d[0].message, print(&j)));
    for x in [-0.5f64, 1.5] {
        let out = eval_fn(
            &j,
            &table,
            FuncId(0),
            &[Value::Real(x)],
            &[Value::Real(1.0)],
        )
        .unwrap();
        assert_eq!(real_leaves(&out.nl), [(x + 1.0) * x]);
        assert_eq!(real_leaves(&out.lin), [2.0 * x + 1.0]);
    }
}

/// Transpose keeps a `drop(e)` whole (SPEC §4: zeros for e's free linear variables, e itself
/// not transposed): were its linear code moved out and transposed, the infinite coefficient
/// `1/x` at `x = 0` would meet a zero cotangent and give `inf * 0 = NaN`.
#[test]
fn transpose_keeps_a_drop_whole_so_an_infinite_coefficient_meets_no_zero() {
    let (_, t) = transposed(
        "def l(x: R ; y': R, z': R) -> (; R) =
           let () = drop(let s = 1.0 / x in let w' = s * y' in (; w')) in
           z'",
    );
    let out = eval_fn(
        &t,
        prims(),
        FuncId(0),
        &[Value::Real(0.0)],
        &[Value::Real(3.0)],
    )
    .unwrap();
    assert_eq!(real_leaves(&out.lin), [0.0, 3.0], "{}", print(&t));
    // Nor is the dropped expression evaluated: its nonlinear code (`1.0 / x`) is not kept.
    let mut prims_run = 0;
    each_expr(&t.funcs[0].body, &mut |e| {
        prims_run += usize::from(matches!(e, Expr::Prim { .. }))
    });
    assert_eq!(prims_run, 0, "{}", print(&t));
}

/// A dropped expression that consumes linear values without binding any (a nested
/// `drop(y')`, a call of a linear function) is linear code: transpose turns it into zeros for
/// those values, and never leaves it among the forward (nonlinear) code, where `y'` and `k` do
/// not exist any more.
#[test]
fn transpose_treats_drops_of_linear_code_without_linear_binders_as_linear() {
    for src in [
        "def l(x: R ; y': R, z': R) -> (; R) =
           let () = drop(x) in
           let () = drop(let () = drop(y') in ()) in
           z'",
        "def k(x: R) -> (; R) = let () = drop(x) in zero
         def l(x: R ; z': R) -> (; R) =
           let () = drop(k(x)) in
           z'",
    ] {
        let (p, t) = transposed(src);
        let l = p.funcs.len() - 1;
        let out = eval_fn(
            &t,
            prims(),
            FuncId(l as u32),
            &[Value::Real(0.3)],
            &[Value::Real(2.0)],
        )
        .unwrap();
        let want: &[f64] = if p.funcs[l].lparams.len() == 2 {
            &[0.0, 2.0]
        } else {
            &[2.0]
        };
        assert_eq!(real_leaves(&out.lin), want, "{}", print(&t));
    }
}

/// Unzip's overhead accounting for a dropped expression that is not a return (it binds the
/// expression's results first: `let` 1, the drop of `k` results `1 + k`) is exact: on a drop of
/// a two-result call, of a primitive and of a tuple, `W(.nonlin) + W(.lin)` (by the work
/// model, independently) is exactly `W(f)` plus the reported bound, so any unit the
/// accounting forgot would show as a violated bound. A mixed return bound by a `let` (split in
/// two: 3) leaves one unit of slack, and the bound holds.
#[test]
fn unzip_accounts_exactly_for_binding_a_dropped_expression() {
    for (src, f, slack) in [
        (
            "def g(x: R) -> (R, R) = (sin(x), cos(x))
             def f(x: R ; dx': R) -> (R ; R) = let () = drop(let z = x * x in g(z)) in (x ; dx')",
            1,
            0,
        ),
        (
            "def f(x: R ; dx': R, e': R) -> (R ; R) =
               let () = drop(let z = x * x in sin(z)) in (x ; e')",
            0,
            0,
        ),
        (
            "def f(x: R ; dx': R) -> (R ; R) = let () = drop(let z = x * x in <z, z>) in (x ; dx')",
            0,
            0,
        ),
        // A mixed return bound by a `let` splits in two (3).
        (
            "def f(x: R ; dx': R) -> (R ; R) =
               let s = sin(x) in let (a ; da') = (s ; dx') in (a ; da')",
            0,
            1,
        ),
    ] {
        let p = checker::elaborate(&parse(src).unwrap(), prims()).unwrap();
        let w = static_work(&p, prims()).unwrap();
        for pol in [rewrite::Policy::SaveAll, rewrite::Policy::RecomputeAll] {
            let u = rewrite::unzip(&p, prims(), pol).unwrap();
            let wu = static_work(&u.program, prims()).unwrap();
            let bound = rewrite::work_bounds::unzip_overhead(&p, &u, prims());
            let r = &u.reports[f];
            let after = wu[r.outputs.0.0 as usize] + r.outputs.1.map_or(0, |l| wu[l.0 as usize]);
            assert_eq!(
                after + slack,
                w[f] + r.recomputed_work + bound[f],
                "{pol}:\n{}",
                print(&u.program)
            );
        }
    }
}

/// Unzip splices a nested block on the right of a `let` into the function's items, so its
/// nonlinear code goes to `.nonlin` and its linear code to `.lin`: the output is strict and in
/// Linear B, and `.nonlin` then `.lin` computes the input's results, bit for bit.
#[test]
fn unzip_splices_a_mixed_nested_block() {
    let p = parse(
        "def f(x: R ; dx': R) -> (R ; R) =
           let (a ; da') = let b = sin(x) in let db' = cos(x) * dx' in (b ; db') in
           (a * x ; a * da')",
    )
    .unwrap();
    strict(&p);
    for pol in [
        rewrite::Policy::SaveAll,
        rewrite::Policy::RecomputeAll,
        rewrite::Policy::Budget(1),
    ] {
        let u = rewrite::unzip(&p, prims(), pol).unwrap_or_else(|e| panic!("{pol}: {e}"));
        strict(&u.program);
        assert!(
            checker::check_linear_b(&u.program).is_empty(),
            "{pol}:\n{}",
            print(&u.program)
        );
        let (first, second) = u.reports[0].outputs;
        let second = second.expect("a mixed function splits in two");
        for x in [-1.1f64, 0.4, 2.5] {
            let dx = 0.75;
            let mut a = eval_fn(&u.program, prims(), first, &[Value::Real(x)], &[])
                .unwrap()
                .nl;
            let res = a.pop().expect("a residual");
            let b = eval_fn(&u.program, prims(), second, &[res], &[Value::Real(dx)]).unwrap();
            // Independent reference: the input's meaning, written in Rust.
            assert_eq!(real_leaves(&a), [x.sin() * x], "{pol}");
            assert_eq!(real_leaves(&b.lin), [x.sin() * (x.cos() * dx)], "{pol}");
        }
    }
}

/// The checkpoint policies are spelled as SPEC and the CLI say: `save-all` (and its older name
/// `marks`), `recompute-all`, `budget=K`; anything else is E0506.
#[test]
fn checkpoint_policies_parse_by_their_documented_names() {
    use rewrite::Policy;
    assert_eq!(Policy::parse("save-all").ok(), Some(Policy::SaveAll));
    assert_eq!(Policy::parse("marks").ok(), Some(Policy::SaveAll));
    assert_eq!(
        Policy::parse("recompute-all").ok(),
        Some(Policy::RecomputeAll)
    );
    assert_eq!(Policy::parse("budget=7").ok(), Some(Policy::Budget(7)));
    for bad in ["never", "budget=", "budget=-1", "Save-All", ""] {
        assert_eq!(
            Policy::parse(bad).map_err(|e| e.code()),
            Err("E0506"),
            "{bad}"
        );
    }
}

/// Unzip names a mixed function's halves `f.nonlin`, `f.lin` and its residual type `f.res`
/// (after the function's name): a user function or type alias of that name is refused with
/// E0502, for mixed functions only, and only for that name.
#[test]
fn unzip_refuses_exactly_the_names_it_would_generate() {
    let mixed = "def f(x: R ; y': R) -> (R ; R) = let s = sin(x) in (s ; s * y')";
    let clash =
        |src: String| match rewrite::unzip(&parse(&src).unwrap(), prims(), Default::default()) {
            Err(e) => Some(e.code()),
            Ok(_) => None,
        };
    for user in [
        "def f.nonlin(x: R) -> (R) = x",
        "def f.lin(x: R) -> (R) = x",
        "type f.res = <R>\ndef h(t: f.res) -> (R) = let <a> = t in a",
    ] {
        assert_eq!(clash(format!("{user}\n{mixed}")), Some("E0502"), "{user}");
    }
    // Names of functions that are not split, and aliases of other names, are free.
    for free in [
        "def g(x: R) -> (R) = x\ndef g.nonlin(x: R) -> (R) = x\ndef g.lin(x: R) -> (R) = x",
        "type g.res = <R>\ndef g(t: g.res) -> (R) = let <a> = t in a",
        "type pair = <R>\ndef h(t: pair) -> (R) = let <a> = t in a",
    ] {
        assert_eq!(clash(format!("{free}\n{mixed}")), None, "{free}");
    }
}

/// A linear function that calls a split function is passed through with each call replaced by
/// the callee's two halves (`.nonlin` forward, `.lin` on the linear arguments): the output is
/// strict and in Linear B, `l` computes `sin(x)² y'` (written in Rust), and its work is within
/// the derived bound, which is exact here under save-all (3 per call site: a unit less shows).
#[test]
fn a_linear_function_calling_a_split_function_is_passed_through_with_its_halves() {
    let p = parse(
        "def m(x: R ; y': R) -> (R ; R) = let s = sin(x) in (s ; s * y')
         def l(x: R ; y': R) -> (; R) =
           let (; y1', y2') = dup(y') in
           let (a ; b') = m(x ; y1') in
           let (c ; d') = m(x ; y2') in
           let e' = a * b' in
           let f' = c * d' in
           e' + f'",
    )
    .unwrap();
    let p = checker::elaborate(&p, prims()).unwrap();
    let w = static_work(&p, prims()).unwrap();
    for pol in [rewrite::Policy::SaveAll, rewrite::Policy::RecomputeAll] {
        let u = rewrite::unzip(&p, prims(), pol).unwrap_or_else(|e| panic!("{pol}: {e}"));
        strict(&u.program);
        assert!(checker::check_linear_b(&u.program).is_empty(), "{pol}");
        let r = &u.reports[1];
        assert!(!r.split && r.outputs.1.is_none(), "{pol}");
        for x in [-0.7f64, 0.3, 1.9] {
            let y = 1.25;
            let out = eval_fn(
                &u.program,
                prims(),
                r.outputs.0,
                &[Value::Real(x)],
                &[Value::Real(y)],
            )
            .unwrap();
            let want = x.sin() * (x.sin() * y) + x.sin() * (x.sin() * y);
            assert_eq!(
                real_leaves(&out.lin),
                [want],
                "{pol}\n{}",
                print(&u.program)
            );
        }
        let wu = static_work(&u.program, prims()).unwrap();
        let bound = rewrite::work_bounds::unzip_overhead(&p, &u, prims());
        let after = wu[r.outputs.0.0 as usize];
        assert!(after <= w[1] + r.recomputed_work + bound[1], "{pol}");
        if pol == rewrite::Policy::SaveAll {
            assert_eq!(after, w[1] + bound[1]);
        }
    }
}

/// `@checkpoint` asks unzip to recompute a function's residuals rather than save them; the
/// halves it makes of a marked function are split already and carry no mark (as `.T` does
/// not), so a later pass over the output cannot read the mark again.
#[test]
fn unzipping_a_marked_function_leaves_its_halves_unmarked() {
    let p = parse(
        "@checkpoint
         def f(x: R ; y': R) -> (R ; R) = let s = sin(x) in (s ; s * y')",
    )
    .unwrap();
    assert!(p.funcs[0].checkpoint);
    for pol in [rewrite::Policy::SaveAll, rewrite::Policy::RecomputeAll] {
        let u = rewrite::unzip(&p, prims(), pol).unwrap();
        assert_eq!(u.program.funcs.len(), 2);
        for g in &u.program.funcs {
            assert!(!g.checkpoint, "{pol}: {}", g.name);
        }
        assert!(!print(&u.program).contains("@checkpoint"), "{pol}");
    }
}

/// `budget=K` follows a chain of profitable recomputations: recomputing `k(b1, b2)` (3 residual
/// scalars for 2) makes `b1, b2` residuals, and only then does recomputing `h(a1)` (2 for 1)
/// become a candidate. With K = 1 the choice recomputes those two calls and saves `a1`; a
/// greedy that forgot the new candidate would fall back to recompute-all and run `sin(x)` in
/// `.lin` as well. Both meet K; the budget's recomputed work must be strictly less.
#[test]
fn budget_follows_a_chain_of_profitable_recomputations() {
    let p = parse(
        "def h(a: R) -> (R, R) = (sin(a), cos(a))
         def k(b1: R, b2: R) -> (R, R, R) = (b1 * b2, b1 + b2, b1 - b2)
         def f(x: R ; dx': R) -> (R ; R) =
           let a1 = sin(x) in
           let (b1, b2) = h(a1) in
           let (c1, c2, c3) = k(b1, b2) in
           let t' = c1 * dx' in
           let u' = c2 * t' in
           let v' = c3 * u' in
           (x ; v')",
    )
    .unwrap();
    let report = |pol| {
        let u = rewrite::unzip(&p, prims(), pol).unwrap();
        strict(&u.program);
        let r = &u.reports[2];
        (r.residual_scalars, r.recomputed_work)
    };
    let (res_all, work_all) = report(rewrite::Policy::RecomputeAll);
    let (res_k, work_k) = report(rewrite::Policy::Budget(1));
    assert!(res_all <= 1 && res_k <= 1, "{res_all}, {res_k}");
    assert!(
        work_k < work_all,
        "budget=1 recomputes {work_k}, recompute-all {work_all}"
    );
}
