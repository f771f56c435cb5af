//! Running a property: case count, regression files, discard accounting, failure reports.
//!
//! Every property runs through [`run`]: `PROPTEST_CASES` cases (1,000 when unset), failures
//! persisted to `properties/proptest-regressions/<property>.txt` (replayed first on the next
//! run), discards (`prop_assume!`) counted by reason and reported, and a failure reported with
//! the *shrunk* program in core form (the recipes' `Debug` prints it) and the failing
//! comparison. A property whose discards exceed a tenth of its cases (plus ten) fails: the
//! generators are meant to stay inside the primitives' domains, so many discards mean they
//! do not.

use proptest::strategy::Strategy;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngSeed, TestCaseError, TestError, TestRunner,
};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Debug;

/// The number of cases per property: `PROPTEST_CASES`, else 1,000.
pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1000)
}

/// The configuration of property `name`.
///
/// The generator's seed is fixed per property (a hash of its name) unless
/// `PROPTEST_RNG_SEED=N` says otherwise: a run is reproducible, CI judges the same programs a
/// developer ran (as the numeric references' `Rng` is seeded), and exploring is asking for it,
/// `PROPTEST_RNG_SEED=$RANDOM` with many cases (README, "Longer runs").
pub fn config(name: &str) -> Config {
    let n = cases();
    let path = format!(
        "{}/proptest-regressions/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let base = Config::with_cases(n);
    let rng_seed = match base.rng_seed {
        RngSeed::Random => RngSeed::Fixed(fnv1a(name)),
        chosen => chosen,
    };
    Config {
        rng_seed,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(Box::leak(
            path.into_boxed_str(),
        )))),
        max_global_rejects: n.max(64),
        ..base
    }
}

/// FNV-1a of `s`: a seed that is stable across runs and platforms (std's hasher is not).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What a run did, for the report.
#[derive(Debug, Default)]
pub struct Report {
    pub cases: u32,
    /// Discards by reason.
    pub discards: BTreeMap<String, u32>,
}

impl Report {
    pub fn discarded(&self) -> u32 {
        self.discards.values().sum()
    }
}

/// Checks `test` on `cases()` values of `strategy`; panics with the shrunk counterexample.
pub fn run<S>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) -> Report
where
    S: Strategy,
    S::Value: Debug,
{
    let mut runner = TestRunner::new(config(name));
    let discards: RefCell<BTreeMap<String, u32>> = RefCell::default();
    let result = runner.run(&strategy, |v| {
        let r = test(v);
        if let Err(TestCaseError::Reject(why)) = &r {
            *discards
                .borrow_mut()
                .entry(why.message().to_string())
                .or_default() += 1;
        }
        r
    });
    let report = Report {
        cases: cases(),
        discards: discards.into_inner(),
    };
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, value)) => {
            panic!(
                "{name} is false.\n{}\nshrunk counterexample:\n{value:?}",
                why.message()
            )
        }
        Err(TestError::Abort(why)) => panic!(
            "{name}: aborted: {} (discards: {:?})",
            why.message(),
            report.discards
        ),
    }
    println!(
        "{name}: {} cases passed, {} discarded {:?}",
        report.cases,
        report.discarded(),
        report.discards
    );
    assert!(
        report.discarded() <= report.cases / 10 + 10,
        "{name}: {} discards for {} cases: the generators leave the primitives' domains too often",
        report.discarded(),
        report.cases
    );
    report
}

/// Fails the case with a message that shows the program in core form.
pub fn fail(what: impl std::fmt::Display, prog: &semantics::Program) -> TestCaseError {
    TestCaseError::fail(format!("{what}\nin:\n{}", semantics::print(prog)))
}
