//! Claims that kill mutants `cargo mutants` found surviving in `semantics/src/eval.rs` (see
//! docs/RESULTS.md, "Mutation testing"): an evaluation error says what went wrong, with the
//! counts involved, and points at the construct that failed.

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
