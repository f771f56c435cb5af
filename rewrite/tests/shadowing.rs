//! Issue 10.3: a user function may have a primitive's name (SPEC §1), and below it the plain
//! name means the user's function. Printing must never change meaning, so a primitive placed
//! there (by the user as `%cos`, or by a pass) prints as `%cos`: `parse(print(p)) == p` on a
//! program that shadows every primitive of the table, and on every pass's output.

use rewrite::{Policy, jvp, transpose, unzip, vjp};
use semantics::numeric::{Rng, check_directional};
use semantics::*;

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

/// Every primitive of the table defined as a user function (a different one: `3 * (sum of
/// arguments)`), then functions that use both the user's and the table's.
fn shadowing_program() -> String {
    let mut src = String::new();
    let mut uses = Vec::new();
    for (_, row) in prims().rows() {
        let params: Vec<String> = (0..row.arity).map(|k| format!("a{k}")).collect();
        let decl: Vec<String> = params.iter().map(|p| format!("{p}: R")).collect();
        src += &format!(
            "def {}({}) -> (R) = 3.0 * ({})\n",
            row.name,
            decl.join(", "),
            params.join(" + ")
        );
        let args = ["x", "y"][..row.arity].join(", ");
        uses.push(format!("%{}({args})", row.name));
        uses.push(format!("{}({args})", row.name));
    }
    src += &format!("def g(x: R, y: R) -> (R) = {}\n", uses.join(" + "));
    src
}

#[test]
fn printing_keeps_shadowed_primitives_primitive_through_every_pass() {
    let src = shadowing_program();
    let p = parse(&src).unwrap_or_else(|d| panic!("{}", render(&d, "s.la", &src)));
    let g = p.func_named("g").unwrap();
    // Both spellings are in g: the table's primitives and the user's functions.
    let (mut prim_calls, mut user_calls) = (0, 0);
    each_expr(&p.funcs[g.0 as usize].body, &mut |e| match e {
        Expr::Prim { prim, .. } if prims().name(*prim) != "add" => prim_calls += 1,
        Expr::Call { .. } => user_calls += 1,
        _ => {}
    });
    let n = prims().rows().count();
    assert_eq!((prim_calls, user_calls), (n - 1, n), "{}", print(&p));
    let roundtrip = |what: &str, q: &Program| {
        let text = print(q);
        let back = parse(&text).unwrap_or_else(|d| panic!("{what}: {}", render(&d, what, &text)));
        assert_eq!(
            &back, q,
            "{what}: print then parse changed the program:\n{text}"
        );
    };
    roundtrip("input", &p);
    assert!(print(&p).contains("%sin(x)"), "{}", print(&p));
    let e = checker::elaborate(&p, prims()).unwrap();
    roundtrip("elaborate", &e);
    let j = jvp(&e, prims()).unwrap();
    roundtrip("jvp", &j);
    for pol in [Policy::SaveAll, Policy::RecomputeAll] {
        let u = unzip(&j, prims(), pol).unwrap();
        roundtrip("unzip", &u.program);
        let t = transpose(&u.program, prims()).unwrap();
        roundtrip("transpose", &t);
    }
    // The input is all nonlinear, so in Linear B: transpose keeps its functions, names and
    // primitives and all, which is where a shadowed primitive lands below its shadow.
    let t = transpose(&e, prims()).unwrap();
    roundtrip("transpose of the input", &t);
    assert!(print(&t).contains("%pow(x, y)"), "{}", print(&t));
}

#[test]
fn gradients_through_shadowed_primitives_match_finite_differences() {
    let src = shadowing_program();
    let p = checker::elaborate(&parse(&src).unwrap(), prims()).unwrap();
    let v = vjp(&p, prims(), Policy::SaveAll).unwrap();
    // The printed VJP means the same program: run the reparsed text.
    let back = parse(&print(&v.program)).unwrap();
    let g = p.func_named("g").unwrap();
    let (nonlin, lin_t) = v.halves(g.0 as usize).unwrap();
    let mut rng = Rng::new(3);
    for _ in 0..20 {
        let x = vec![
            rng.value(&Type::Real, 0.3, 1.2),
            rng.value(&Type::Real, 0.3, 1.2),
        ];
        let fwd = eval_fn(&back, prims(), nonlin, &x, &[]).unwrap();
        let mut nl = fwd.nl;
        let res = nl.pop().unwrap();
        let grad = eval_fn(&back, prims(), lin_t, &[res], &[Value::Real(1.0)])
            .unwrap()
            .lin;
        for (k, e) in [[1.0, 0.0], [0.0, 1.0]].iter().enumerate() {
            let u = vec![Value::Real(e[0]), Value::Real(e[1])];
            let gk = grad[k].as_real().unwrap();
            let mut run = |xs: &[Value]| eval_fn(&p, prims(), g, xs, &[]).ok().map(|o| o.nl);
            let verdict = check_directional(&mut run, &x, &u, &[gk], (1e-4, 1e-6, 1e-6));
            assert!(
                verdict.is_ok(),
                "at {x:?} direction {k}: {gk} vs {verdict:?}"
            );
        }
    }
}
