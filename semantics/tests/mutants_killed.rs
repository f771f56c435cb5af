//! Claims that kill mutants `cargo mutants` found surviving in `semantics/src/eval.rs` (see
//! docs/RESULTS.md, "Mutation testing"): an evaluation error says what went wrong, with the
//! counts involved, and points at the construct that failed.

use semantics::corpus;
use semantics::*;

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

#[test]
fn a_wrong_argument_count_is_reported_with_both_counts() {
    let p = parse("def f(x: R) -> (R) = x").unwrap();
    let two = [Value::Real(1.0), Value::Real(2.0)];
    let e = eval_fn(&p, prims(), FuncId(0), &two, &[]).unwrap_err();
    assert_eq!(e.code(), "E0401");
    assert_eq!(
        e.to_string(),
        "`f` takes 1 nonlinear and 0 linear arguments, given 2 nonlinear and 0 linear"
    );
    assert_eq!(e.to_diagnostic().message, e.to_string());
}

#[test]
fn a_failed_destructure_points_at_the_destructure() {
    let src = "def f(x: R) -> (R) =\n  let <a, b> = x in\n  a";
    let p = parse(src).unwrap();
    let e = eval_fn(&p, prims(), FuncId(0), &[Value::Real(1.0)], &[]).unwrap_err();
    let s = e.span();
    let line2 = src.find("let").unwrap() as u32;
    assert!(
        s.start >= line2 && s.end > s.start && s.end <= src.find("\n  a").unwrap() as u32,
        "{}..{} in {src:?}: {e}",
        s.start,
        s.end
    );
    assert!(e.to_string().contains("destructure"), "{e}");
}

// ---- semantics/src/work.rs ----

/// The work of each top-level binding (`binding_works`, which unzip's budget policy ranks
/// residuals by) is what the evaluator charges for it: evaluating the body cut after binding
/// `k` costs exactly `binding_works[k]` more than cutting it after binding `k - 1`. The
/// evaluator is the independent reference (it counts as it runs; the analysis never runs).
#[test]
fn each_bindings_static_work_is_what_the_evaluator_charges_for_it() {
    let mut files = corpus::load("").unwrap();
    files.extend(corpus::load("linear").unwrap());
    let mut checked = 0;
    for file in files {
        let p = parse(&file.src).unwrap();
        let per_binding = binding_works(&p, prims()).unwrap();
        assert_eq!(per_binding.len(), p.funcs.len(), "{}", file.name);
        for (i, f) in p.funcs.iter().enumerate() {
            let body = &f.body;
            assert_eq!(
                per_binding[i].len(),
                body.binds.len(),
                "{}: {}",
                file.name,
                f.name
            );
            let nl: Vec<Value> = f.params.iter().map(|q| Value::zero(&q.ty)).collect();
            let lin: Vec<Value> = f.lparams.iter().map(|q| Value::zero(&q.ty)).collect();
            let cut = |k: usize| -> u128 {
                let mut q = p.clone();
                let b = &mut q.funcs[i].body;
                b.binds.truncate(k);
                b.tail = Expr::Ret {
                    nl: vec![],
                    lin: vec![],
                    span: Span { start: 0, end: 0 },
                };
                eval_fn(&q, prims(), FuncId(i as u32), &nl, &lin)
                    .unwrap_or_else(|e| panic!("{}: {} cut at {k}: {e}", file.name, f.name))
                    .work
            };
            let mut before = cut(0);
            for k in 1..=body.binds.len() {
                let after = cut(k);
                assert_eq!(
                    after - before,
                    per_binding[i][k - 1],
                    "{}: {} binding {k}",
                    file.name,
                    f.name
                );
                before = after;
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "only {checked} bindings checked");
}

/// A tuple built `n` levels deep: `<x>`, `<<x>>`, ... (one `let` per level).
fn nested_tuples(n: usize) -> Program {
    let mut src = String::from("def f(x: R) -> (R) =\n  let t1 = <x> in\n");
    for k in 2..=n {
        src.push_str(&format!("  let t{k} = <t{}> in\n", k - 1));
    }
    src.push_str("  x\n");
    parse(&src).unwrap()
}

/// E0422's limit is exactly 256 levels (`TYPE_DEPTH_LIMIT`): a type 256 deep is synthesised, one
/// 257 deep is refused at the binding that builds it (SPEC-silent limit, ARCHITECTURE.md).
#[test]
fn tuple_types_are_synthesised_up_to_exactly_the_depth_limit() {
    let ok = nested_tuples(256);
    let w = static_work(&ok, prims()).unwrap();
    // Each `let tk = <t(k-1)> in` costs 3 (binding, tuple build, one atom); the tail `x` is a
    // return of one atom (2).
    assert_eq!(w, vec![256 * 3 + 2]);
    let types = local_types(&ok, prims()).unwrap();
    let deepest = types[0].iter().flatten().map(depth).max().unwrap();
    assert_eq!(deepest, 256);
    for n in [257, 258, 300] {
        let e = static_work(&nested_tuples(n), prims()).unwrap_err();
        assert_eq!(e.code, "E0422", "{n}: {e:?}");
    }
}

fn depth(t: &Type) -> u32 {
    match t {
        Type::Tuple(ts) => 1 + ts.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// A `let` whose binders do not match the values (in either part) is E0420, not a type
/// synthesised for some of them.
#[test]
fn a_let_with_the_wrong_number_of_binders_is_refused_by_the_analysis() {
    for src in [
        "def f(x: R) -> (R) =\n  let (a, b) = sin(x) in\n  a",
        "def f(x: R ; y': R) -> (R ; R) =\n  let (a ; b', c') = (x ; y') in\n  (a ; b')",
        "def f(x: R ; y': R) -> (R ; R) =\n  let (a, b ; c') = (x ; y') in\n  (a ; c')",
    ] {
        let p = parse(src).unwrap();
        let e = static_work(&p, prims()).unwrap_err();
        assert_eq!(e.code, "E0420", "{src}: {e:?}");
        assert!(e.message.contains("binders"), "{e:?}");
        assert_eq!(local_types(&p, prims()).unwrap_err(), e);
    }
}
