//! The `identical` kept claim (a function printed alike in input and output is itself) must
//! read each text in its context. Above a user function named like a primitive, `sin(x)` is
//! the primitive; below it, `sin(x)` is a call of that function. Moving `f` above `sin` in the
//! output keeps `f`'s text but changes its meaning from `2x` to `sin x`: neither the producer
//! nor the kernel may call that transpose identical.

use rewrite::certificate::{Pass, certify, certify_output};
use semantics::{PrimTable, parse};

const INPUT: &str = "def sin(x: R) -> (R) = x * 2.0\n\
                     def f(x: R) -> (R) = sin(x)\n\
                     def h(x: R) -> (R) = x\n";
/// `f` moved above `sin`: the same text for `f`, whose `sin(x)` is now the primitive.
const MOVED: &str = "def f(x: R) -> (R) = sin(x)\n\
                     def sin(x: R) -> (R) = x * 2.0\n\
                     def h(x: R) -> (R) = x\n";

/// The two programs really differ at `f` (checked by evaluation, not by the kernel).
#[test]
fn moving_a_function_above_its_callee_changes_its_meaning() {
    let prims = PrimTable::standard();
    let (a, b) = (parse(INPUT).unwrap(), parse(MOVED).unwrap());
    let at = |p: &semantics::Program| {
        let f = p.funcs.iter().position(|f| f.name == "f").unwrap();
        let id = semantics::FuncId(f as u32);
        let out = semantics::eval_fn(p, prims, id, &[semantics::Value::Real(1.0)], &[]).unwrap();
        format!("{:?}", out.nl)
    };
    assert_ne!(at(&a), at(&b));
    assert_eq!(
        semantics::print(&a).split("\n\n").nth(1),
        semantics::print(&b).split("\n\n").next()
    );
}

#[test]
fn the_producer_does_not_call_a_moved_function_identical() {
    let prims = PrimTable::standard();
    let cert = certify_output(
        &parse(INPUT).unwrap(),
        prims,
        Pass::Transpose,
        parse(MOVED).unwrap(),
    )
    .unwrap();
    let f = cert.claims.iter().find(|c| c.function == "f").unwrap();
    assert_ne!(f.outcome, "proved", "{f:?}");
    assert!(f.obligations.iter().all(|o| o.what != "identical"), "{f:?}");
}

#[test]
fn the_kernel_rejects_an_identical_claim_for_a_moved_function() {
    let prims = PrimTable::standard();
    let (_, mut cert) = certify(&parse(INPUT).unwrap(), prims, Pass::Transpose).unwrap();
    // The honest certificate uses the rule for `f` (so the test below is not vacuous), and
    // verifies.
    let f = cert.claims.iter().position(|c| c.function == "f").unwrap();
    assert_eq!(cert.claims[f].obligations[0].what, "identical");
    checker::kernel::verify(&serde_json::to_string(&cert).unwrap()).unwrap();
    // The tampering: `f` moved above `sin`, its work figure made true of the moved `f`.
    cert.output = MOVED.to_string();
    let moved = parse(MOVED).unwrap();
    let w = semantics::static_work(&moved, prims).unwrap();
    let at = moved.funcs.iter().position(|g| g.name == "f").unwrap();
    let row = cert.work.iter_mut().find(|r| r.function == "f").unwrap();
    row.work_out = w[at];
    let e = checker::kernel::verify(&serde_json::to_string(&cert).unwrap());
    assert!(e.is_err(), "accepted: {e:?}");
}
