//! Claims that kill mutants `cargo mutants` found surviving in `checker/src` (see
//! docs/RESULTS.md, "Mutation testing"): each test states what the mutated code is for, on a
//! program where a slip there changes the verdict.

mod common;

use checker::{Class, Options, classify, classify_all};
use semantics::parse;

/// `classify_all` gives every function its class, in order, the same as classifying each on
/// its own: nonlinear, linear, mixed, and a function that is nonlinear only because the
/// function it calls is.
#[test]
fn classify_all_agrees_with_classify_on_every_function() {
    let p = parse(
        "def n(x: R) -> (R) = sin(x)
         def l(x: R ; y': R) -> (; R) = x * y'
         def m(x: R ; y': R) -> (R ; R) = (n(x) ; l(x ; y'))
         def c(x: R) -> (R) = n(x) * x",
    )
    .unwrap();
    let all = classify_all(&p);
    assert_eq!(
        all,
        [
            Class::Nonlinear,
            Class::Linear,
            Class::Mixed,
            Class::Nonlinear
        ]
    );
    let each: Vec<Class> = p.funcs.iter().map(|f| classify(f, &p)).collect();
    assert_eq!(all, each);
}

// ---- checker/src/typing.rs ----

/// One fault, one diagnostic: after a fault in a pattern or a call, the checker reports that
/// fault with its documented code (docs/errors.md) and nothing that follows from it (no
/// "unused" for a binder it could not type, no arity error for arguments already reported as
/// on the wrong side, no type error about a binder whose type it refused to guess), and a
/// call with the wrong number of arguments is never accepted. Each program has exactly one
/// fault, by construction.
#[test]
fn each_one_fault_program_gets_exactly_its_one_diagnostic() {
    let cases: [(&str, &str); 9] = [
        // A linear binder for a nonlinear value.
        ("def f(x: R) -> (R) =\n  let y' = sin(x) in\n  x", "E0205"),
        // The first of two binders on the wrong side of `;`.
        (
            "def f(x: R, w: R) -> (R) =\n  let (y', z) = (x, w) in\n  z",
            "E0214",
        ),
        // Linear binders destructuring a nonlinear tuple (one unused: no E0202 about it).
        (
            "def f(p: <R, R>) -> (R) =\n  let <a', b> = p in\n  b",
            "E0205",
        ),
        // ... and one used where its type would matter (no E0208 about it).
        (
            "def f(p: <<R, R>, R>) -> (R) =\n  let <b, a'> = p in\n  sin(b)",
            "E0205",
        ),
        // Nonlinear binders destructuring a linear tuple.
        (
            "def f(; p': <R, R>) -> (; R) =\n  let <a, b'> = p' in\n  b'",
            "E0207",
        ),
        (
            "def f(; p': <R, R>) -> (; R) =\n  let <a', b> = p' in\n  a'",
            "E0207",
        ),
        // Two nonlinear parameters given one nonlinear and one linear argument: an arity
        // fault (the counts add up, but nothing is on a side it may not be on).
        (
            "def g(x: R, z: R) -> (R) = x * z\ndef f(a: R ; b': R) -> (R) =\n  g(a ; b')",
            "E0209",
        ),
        // A linear variable passed as a nonlinear argument: a sort fault, not also an arity.
        (
            "def g(x: R ; y': R) -> (R ; R) = (x ; y')\ndef f(a: R ; b': R) -> (R ; R) =\n  g(a, b')",
            "E0204",
        ),
        // Too few arguments, with a sort fault too: both are reported (the counts differ).
        (
            "def g(x: R, z: R ; y': R) -> (R ; R) = (x * z ; y')\ndef f(; b': R) -> (R ; R) =\n  g(b')",
            "E0204 E0209",
        ),
    ];
    for (src, want) in cases {
        let mut got = common::codes(src, Options::default());
        got.sort_unstable();
        assert_eq!(got.join(" "), want, "{src}");
    }
}

/// After `x' * y'` (E0206) and after a primitive missing from the table (E0217, only a
/// hand-built tree has one), each operand is still typed as the sort it is: the linear ones
/// count as used and a nonlinear one is not mistaken for linear, so nothing else is reported.
#[test]
fn the_operands_of_a_refused_primitive_keep_their_sorts() {
    let mut got = common::codes(
        "def f(; x': R, y': R) -> (; R) =\n  x' * y'",
        Options::default(),
    );
    got.sort_unstable();
    assert_eq!(got, ["E0206"]);
    let mut p =
        semantics::parse("def f(x: R ; y': R) -> (R ; R) =\n  let z = sin(x) in\n  (z ; y')")
            .unwrap();
    let semantics::Bind::Let { rhs, .. } = &mut p.funcs[0].body.binds[0] else {
        unreachable!("the program has one let")
    };
    let semantics::Expr::Prim { prim, .. } = rhs else {
        unreachable!("its right-hand side is a primitive")
    };
    *prim = semantics::PrimId(60_000);
    let codes: Vec<&str> = match checker::check(&p, common::prims(), Options::default()) {
        Ok(_) => vec![],
        Err(d) => d.iter().map(|d| d.code).collect(),
    };
    assert_eq!(codes, ["E0217"]);
}
