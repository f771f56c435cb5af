//! Claims about the e-graph prover on generated well-typed programs: for every generated
//! nonlinear program, every claim (JVP primal and tangent, unzip and transpose under
//! save-all, recompute-all and budget=1, VJP) is **never refuted** (lina's transformations
//! are correct, so a refutation would be a prover or transformation bug), and the rate of
//! `unknown` claims at default limits is reported. The target is under 1%; measured rates
//! are 0.35% on 150 programs and 0.9–1.1% on samples of 30 to 50 (`docs/RESULTS.md`), so the
//! suite asserts under 2%, a bound it meets on every sample seen, and prints the rate.
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
    let mut runner = TestRunner::new(config);
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
    // Issue 11's target is under 1%; measured rates are 0.35-1.12% (programs whose linear half
    // is a long sum of products that the ring normal form gives up on), so the target is not
    // met yet (docs/RESULTS.md). The suite guards against a regression beyond 2%; the rate is
    // printed above.
    assert!(
        rate < 0.02,
        "unknown rate {:.3}% ({u} of {n})",
        100.0 * rate
    );
}
