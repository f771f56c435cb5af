//! Claims about the e-graph prover on generated well-typed programs: for every generated
//! nonlinear program, every claim (JVP primal and tangent, unzip and transpose under
//! save-all, recompute-all and budget=1, VJP) is **never refuted** (lina's transformations
//! are correct, so a refutation would be a prover or transformation bug), and the rate of
//! `unknown` claims at default limits is under 1% (issue 11's target). Measured after the
//! adjoint pairing and the modular VJP: 0 of 2,205 claims on 50 programs, 12 of 21,150
//! (0.057%) on 500 (`docs/RESULTS.md`); the unknowns came from two programs, four each (a
//! jvp-tangent coefficient whose ring normal form exceeds 1,024 monomials, and the VJP that
//! needs its lemma), so a sample of 50 programs would need six such programs to reach 1%.
//!
//! Each case proves about forty claims, so this property runs a twentieth of `PROPTEST_CASES`
//! (50 programs by default, about 40 s in the debug profile); `PROPTEST_CASES=20000` runs 1,000.

use properties::harness::fail;
use properties::nonlinear::{self, NlProgram};
use properties::parse_generated;
use proptest::test_runner::{Config, TestRunner};
use rewrite::equiv::{Limits, Outcome, Which, pipeline::default_policies, prove_program};
use semantics::PrimTable;
use std::sync::atomic::{AtomicU64, Ordering};

static CLAIMS: AtomicU64 = AtomicU64::new(0);
static UNKNOWN: AtomicU64 = AtomicU64::new(0);
/// The first few reasons for `unknown`, printed with the rate.
static WHY: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

#[test]
fn claims_on_generated_programs_are_never_refuted_and_rarely_unknown() {
    let cases = (properties::harness::cases() / 20).max(1);
    let name = "equiv_claims_never_refuted";
    let config = Config {
        cases,
        ..properties::harness::config(name)
    };
    // A fixed seed: the rate is a statistic over generated programs, and the suite must give
    // the same verdict on every run (random seeds: `docs/equiv.md`'s long run).
    let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let result = runner.run(&nonlinear::numeric_program_strategy(), |g: NlProgram| {
        let p = parse_generated(&g.render())?;
        let reports = prove_program(
            &p,
            PrimTable::standard(),
            Which::All,
            &default_policies(),
            Limits::default(),
        )
        .map_err(|e| fail(format!("the pipeline fails: {e}"), &p))?;
        for r in &reports {
            CLAIMS.fetch_add(1, Ordering::Relaxed);
            match r.outcome {
                Outcome::Proved => {}
                Outcome::Unknown => {
                    UNKNOWN.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut w) = WHY.lock()
                        && w.len() < 8
                    {
                        w.push(format!("{} {}: {:?}", r.func, r.claim.name(), r.reason));
                    }
                }
                Outcome::Refuted => {
                    return Err(fail(
                        format!(
                            "{} {} is refuted: {:?} {:?}",
                            r.func,
                            r.claim.name(),
                            r.reason,
                            r.counterexample
                        ),
                        &p,
                    ));
                }
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name} is false: {e}");
    }
    let (n, u) = (
        CLAIMS.load(Ordering::Relaxed),
        UNKNOWN.load(Ordering::Relaxed),
    );
    let rate = u as f64 / n.max(1) as f64;
    println!(
        "equiv: {cases} programs, {n} claims, {u} unknown ({:.3}%)",
        100.0 * rate
    );
    for w in WHY.lock().iter().flat_map(|w| w.iter()) {
        println!("  unknown: {w}");
    }
    // Issue 11's target: under 1% at default limits. On this fixed seed it was 1.12% after
    // the cheaper-gradient folds (merged scalings like `(x + x)·t'` read as an opaque factor)
    // and is 0 since a one-monomial factor is expanded (`docs/RESULTS.md`).
    assert!(
        rate < 0.01,
        "unknown rate {:.3}% ({u} of {n})",
        100.0 * rate
    );
}
