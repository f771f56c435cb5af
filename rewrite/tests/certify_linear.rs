//! Certifying many functions stays linear in their number, checked by counting rather than
//! timing (a timed test would depend on the machine's load): the prover's obligations and
//! the lemmas offered to them (`Session::counts`) when certifying the vjp of `n` one-line
//! functions `def f{i}(x: R) -> (R) = f{i-1}(x) * x`, the shape of `docs/PERFORMANCE.md`.
//!
//! The shape's residuals nest (`f{i}.jvp.res = <R, R, f{i-1}.jvp.res>`), so the kept
//! `f{i}.jvp.nonlin` has `2i + 2` result leaves: proving them leaf by leaf, as the producer
//! did before it decided `identical` first (branch `chains`), is `Σ (2i + 2)`, quadratic,
//! and gives a ratio near 16 between `4n` and `n` functions; a linear producer gives 4.

#[path = "../benches/common/shapes.rs"]
mod shapes;

use rewrite::certificate::{Pass, certify_counts};
use rewrite::{Policy, equiv::claims::Counts};
use semantics::{PrimTable, parse};

fn counts(n: usize) -> Counts {
    let prims = PrimTable::standard();
    let prog = parse(&shapes::functions(n)).expect("the shape parses");
    let (cert, counts) = certify_counts(&prog, prims, Pass::Vjp(Policy::SaveAll)).unwrap();
    // Every claim proved (none over the leaf budget at these sizes): the count measures the
    // regime where every function is proved, and the kept ones are called identical.
    let unproved: Vec<_> = (cert.claims.iter())
        .filter(|c| c.outcome != "proved")
        .map(|c| format!("{}: {}", c.function, c.claim))
        .collect();
    assert!(unproved.is_empty(), "not proved at n = {n}: {unproved:?}");
    let identical = (cert.claims.iter())
        .filter(|c| c.obligations.len() == 1 && c.obligations[0].what == "identical")
        .count();
    assert_eq!(identical, n, "every f{{i}}.jvp.nonlin is kept identical");
    counts
}

#[test]
fn certifying_n_functions_proves_a_number_of_obligations_linear_in_n() {
    let (small, large) = (counts(15), counts(60));
    eprintln!("15 functions: {small:?}; 60: {large:?}");
    assert!(small.obligations > 0 && small.lemma_offers > 0, "{small:?}");
    let ratio = |a: u64, b: u64| b as f64 / a as f64;
    let obligations = ratio(small.obligations, large.obligations);
    let offers = ratio(small.lemma_offers, large.lemma_offers);
    // 4x the functions: about 4x the work; a quadratic term would give near 16.
    assert!(
        obligations < 4.5,
        "obligations {small:?} -> {large:?}: x{obligations:.2}"
    );
    assert!(
        offers < 4.5,
        "lemma offers {small:?} -> {large:?}: x{offers:.2}"
    );
}
