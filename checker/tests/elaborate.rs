//! Dup/drop insertion: a relaxed program becomes a strict one that prints, parses back to
//! itself and computes the same results; k uses of a linear variable become k-1 `dup`s; unused
//! variables get a `drop` right after their binding; fresh names never clash.

mod common;

use checker::elaborate;
use common::*;
use semantics::*;

/// Elaborates `src` and checks the claims every output must meet; returns the printed output.
fn elaborated(src: &str) -> (Program, Program, String) {
    let p = parse_ok("in.la", src);
    let e = elaborate(&p, prims()).unwrap_or_else(|d| panic!("{}", render(&d, "in.la", src)));
    let printed = print(&e);
    accept("out.la", &printed, &e, STRICT);
    let again = parse_ok("out.la", &printed);
    assert_eq!(
        again, e,
        "parse(print(elaborate(p))) != elaborate(p):\n{printed}"
    );
    assert_eq!(
        elaborate(&e, prims()).unwrap(),
        e,
        "elaboration is not idempotent"
    );
    (p, e, printed)
}

fn run(p: &Program, f: &str, nl: &[f64], lin: &[f64]) -> Outcome {
    let reals = |xs: &[f64]| xs.iter().map(|&x| Value::Real(x)).collect::<Vec<_>>();
    eval_fn(
        p,
        prims(),
        p.func_named(f).unwrap(),
        &reals(nl),
        &reals(lin),
    )
    .unwrap()
}

fn count(p: &Program, pred: impl Fn(&Expr) -> bool) -> usize {
    fn walk(b: &Block, pred: &dyn Fn(&Expr) -> bool, n: &mut usize) {
        for bind in &b.binds {
            if let Bind::Let { rhs, .. } = bind {
                visit(rhs, pred, n);
            }
        }
        visit(&b.tail, pred, n);
    }
    fn visit(e: &Expr, pred: &dyn Fn(&Expr) -> bool, n: &mut usize) {
        if pred(e) {
            *n += 1;
        }
        match e {
            Expr::Drop { body, .. } => walk(body, pred, n),
            Expr::Block(b) => walk(b, pred, n),
            _ => {}
        }
    }
    let mut n = 0;
    for f in &p.funcs {
        walk(&f.body, &pred, &mut n);
    }
    n
}

#[test]
fn k_uses_of_a_linear_variable_become_k_minus_one_dups() {
    let (p, e, printed) = elaborated("def f(c: R ; x': R) -> (; R) = x' + c * x' + x' + x'");
    assert_eq!(count(&e, |e| matches!(e, Expr::Dup { .. })), 3, "{printed}");
    let (a, b) = (run(&p, "f", &[2.0], &[1.5]), run(&e, "f", &[2.0], &[1.5]));
    assert!(same_values(&a.lin, &b.lin));
}

#[test]
fn unused_variables_get_a_drop_right_after_their_binding() {
    let (_, _, printed) = elaborated(
        "def f(x: R, unused: R ; y': R, z': R) -> (R ; R) =\n\
           let t = sin(x) in\n\
           let <a, b> = <x, t> in\n\
           (a ; y')",
    );
    insta::assert_snapshot!(printed, @r"
    def f(x: R, unused: R ; y': R, z': R) -> (R ; R) =
      let () = drop(unused) in
      let () = drop(z') in
      let t = sin(x) in
      let _t1 = <x, t> in
      let <a, b> = _t1 in
      let () = drop(b) in
      (a ; y')
    ");
}

#[test]
fn insertion_happens_inside_the_nested_block_that_binds_the_variable() {
    let (p, e, printed) = elaborated(
        "def f(c: R ; x': R) -> (; R) =\n\
           let r' = (let s' = c * x' in let u = cos(c) in s' + s') in\n\
           let () = drop(let w' = r' in let v = c in w') in\n\
           zero",
    );
    insta::assert_snapshot!(printed, @r"
    def f(c: R ; x': R) -> (; R) =
      let r' = (
        let s' = c * x' in
        let (; s_1', s_2') = dup(s') in
        let u = cos(c) in
        let () = drop(u) in
        s_1' + s_2'
      ) in
      let () = drop(
        let w' = r' in
        let v = c in
        let () = drop(v) in
        w'
      ) in
      zero<R>
    ");
    let (a, b) = (run(&p, "f", &[0.5], &[3.0]), run(&e, "f", &[0.5], &[3.0]));
    assert!(same_values(&a.lin, &b.lin));
}

#[test]
fn fresh_names_never_clash_with_the_functions_names() {
    let (_, e, printed) = elaborated(
        "def f(; x': R, x_1': R, x_2': R) -> (; R) =\n\
           let a' = x' + x' in\n\
           let b' = a' + x_1' in\n\
           b' + x_2'",
    );
    assert!(
        printed.contains("let (; x_3', x_4') = dup(x') in"),
        "{printed}"
    );
    let names: Vec<&str> = e.funcs[0].locals.iter().map(|l| l.name.as_str()).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "duplicate names: {names:?}");
}

#[test]
fn a_linear_parameter_used_in_several_calls_is_duplicated_at_the_start_of_the_body() {
    let src = "def sq(x: R ; dx': R) -> (R ; R) = (x * x ; x * dx' + x * dx')\n\
               def cube(x: R ; dx': R) -> (R ; R) =\n\
                 let (s ; ds') = sq(x ; dx') in\n\
                 let (t ; dt') = sq(s ; dx') in\n\
                 (t * x ; ds' + dt')";
    let (p, e, printed) = elaborated(src);
    assert!(
        printed
            .contains("def cube(x: R ; dx': R) -> (R ; R) =\n  let (; dx_1', dx_2') = dup(dx') in"),
        "{printed}"
    );
    for (x, dx) in [(1.5, 1.0), (-0.7, 2.5)] {
        let (a, b) = (run(&p, "cube", &[x], &[dx]), run(&e, "cube", &[x], &[dx]));
        assert!(same_values(&a.nl, &b.nl) && same_values(&a.lin, &b.lin));
    }
}

#[test]
fn elaboration_preserves_linearity_in_the_tangent() {
    // f(x; a u + b v) = a f(x; u) + b f(x; v), before and after.
    let (_, e, _) = elaborated("def f(x: R ; t': R) -> (; R) = t' * x + t' * sin(x) + t'");
    let at = |t: f64| run(&e, "f", &[0.8], &[t]).lin[0].as_real().unwrap();
    let (u, v, a, b) = (0.3, -1.7, 2.0, 0.5);
    let lhs = at(a * u + b * v);
    let rhs = a * at(u) + b * at(v);
    assert!((lhs - rhs).abs() < 1e-12, "{lhs} != {rhs}");
}

#[test]
fn ill_typed_programs_are_refused_with_their_diagnostics() {
    let p = parse_ok("in.la", "def f(; x': R) -> (R) = sin(x')");
    let d = elaborate(&p, prims()).unwrap_err();
    assert_eq!(d[0].code, "E0204");
}
