//! Claims that kill mutants `cargo mutants` found surviving in `checker/src` (see
//! docs/RESULTS.md, "Mutation testing"): each test states what the mutated code is for, on a
//! program where a slip there changes the verdict.

use checker::{Class, classify, classify_all};
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
