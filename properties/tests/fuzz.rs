//! Fuzzing (see `properties::fuzz`): a bounded smoke campaign of every target on every input
//! source, and the replay of every committed regression input.
//!
//! `LINA_FUZZ_COUNT=N` sets the inputs per target and source (the default keeps the suite
//! well under a minute in the debug profile), `LINA_FUZZ_SEED=S` the seed; the long run is
//! `LINA_FUZZ_COUNT=1000000 cargo test --release -p properties --test fuzz -- --nocapture`
//! (inputs per second are printed per target and source).

use properties::fuzz::{
    Source, Target, campaign, corpus_tokens, exercise, known, minimize, regressions,
};

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|s| s.trim().parse().ok())
}

/// Default inputs per source in the smoke run: the pipeline transforms and evaluates.
fn default_count(t: Target) -> u64 {
    match t {
        Target::Parse | Target::Values => 20_000,
        Target::Check => 10_000,
        Target::Pipeline => 3_000,
    }
}

fn smoke(target: Target) {
    let corpus = corpus_tokens();
    assert!(
        corpus.len() > 20,
        "the corpus is read ({} files)",
        corpus.len()
    );
    let count = env_u64("LINA_FUZZ_COUNT").unwrap_or(default_count(target));
    let seed = env_u64("LINA_FUZZ_SEED").unwrap_or(10);
    let mut unknown = Vec::new();
    for (k, source) in Source::ALL.into_iter().enumerate() {
        let stats = campaign(target, source, count, seed + k as u64, &corpus);
        println!(
            "fuzz {:?}/{:?}: {} inputs in {:.2?} ({:.0}/s); rejected/parsed/well-typed/ran {:?}; \
             {} failures, {} of them known",
            target,
            source,
            stats.inputs,
            stats.elapsed,
            stats.per_second(),
            stats.reached,
            stats.failed,
            stats.known,
        );
        unknown.extend(stats.failures);
    }
    if let Some(f) = unknown.first() {
        let small = minimize(target, f);
        panic!(
            "{} failing inputs; the first, shrunk to {:?} (write it to \
             properties/fuzz-regressions/{}/):\n{}",
            unknown.len(),
            String::from_utf8_lossy(&small.input),
            target.name(),
            small.message
        );
    }
}

#[test]
fn fuzzing_the_parser_finds_no_panic_and_print_reads_back() {
    smoke(Target::Parse);
}

#[test]
fn fuzzing_the_checker_finds_no_panic_and_elaboration_is_strict() {
    smoke(Target::Check);
}

#[test]
fn fuzzing_the_pipeline_finds_no_panic_and_every_vjp_checks_and_runs() {
    smoke(Target::Pipeline);
}

#[test]
fn fuzzing_the_value_parser_finds_no_panic_and_values_read_back() {
    smoke(Target::Values);
}

fn replay(pending: bool) -> usize {
    let mut n = 0;
    let mut failed = Vec::new();
    for t in Target::ALL {
        for (name, input) in regressions(t, pending) {
            n += 1;
            // A regression input of one target is replayed through every target: a parser
            // crash is also a checker and pipeline crash.
            for u in Target::ALL {
                if let Err(f) = exercise(u, &input) {
                    failed.push(format!("{}/{name} through {u:?}: {}", t.name(), f.message));
                }
            }
        }
    }
    assert!(
        failed.is_empty(),
        "regression inputs fail:\n{}",
        failed.join("\n")
    );
    n
}

#[test]
fn every_committed_fuzz_regression_input_passes() {
    let n = replay(false);
    println!("{n} regression inputs replayed");
}

/// Inputs whose crash is known and being fixed elsewhere (`fuzz-regressions/pending/`, listed in
/// `fuzz::KNOWN`): each must still fail, with a known signature. Once one passes the fix has
/// landed, and the input moves to `fuzz-regressions/<target>/` (replayed above).
#[test]
fn pending_fuzz_regressions_still_fail_as_known() {
    for t in Target::ALL {
        for (name, input) in regressions(t, true) {
            match exercise(t, &input) {
                Err(f) if known(&f.message) => {}
                Err(f) => panic!(
                    "pending/{}/{name} fails in an unknown way: {}",
                    t.name(),
                    f.message
                ),
                Ok(_) => panic!(
                    "pending/{}/{name} passes now: move it to fuzz-regressions/{}/ and drop its \
                     KNOWN entry",
                    t.name(),
                    t.name()
                ),
            }
        }
    }
}
