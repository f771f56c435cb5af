//! Suite throughput (issue 14's goal: at least 5,000 generated programs per second through
//! parse, check, JVP, unzip, transpose and evaluation, in release).
//!
//! `cargo bench -p properties --bench suite` generates programs with the property suite's
//! nonlinear generator on a fixed seed (as `properties/tests/reverse.rs`'s VJP property does),
//! renders them to source, and then times, per program: the parse, the relaxed type check,
//! `rewrite::vjp` under save-all (JVP, unzip, transpose, each output elaborated), and, per
//! function, the forward half and the backward half evaluated at a point. Generation and
//! rendering are timed separately: they are the generator's cost, not the pipeline's.
//! `SUITE_PROGRAMS` sets the count (2,000 by default). It prints one line per stage and the
//! programs per second; `docs/PERFORMANCE.md` holds the figures.

use properties::domains::inputs;
use properties::nonlinear::{self, NlProgram};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRng, TestRunner};
use semantics::numeric::Rng;
use semantics::{PrimTable, Type, Value, eval_fn};
use std::time::{Duration, Instant};

// The allocator of the `lina` binary (and of `rewrite`'s benches).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let n: usize = std::env::var("SUITE_PROGRAMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let prims = PrimTable::standard();
    let t = Instant::now();
    let config = Config::default();
    let rng = TestRng::deterministic_rng(config.rng_algorithm);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = nonlinear::numeric_program_strategy();
    let programs: Vec<NlProgram> = (0..n)
        .filter_map(|_| strategy.new_tree(&mut runner).ok().map(|t| t.current()))
        .collect();
    let sources: Vec<String> = programs.iter().map(|g| g.render()).collect();
    let generate = t.elapsed();
    let bytes: usize = sources.iter().map(String::len).sum();

    let mut stages = [Duration::ZERO; 4];
    let (mut functions, mut failures) = (0usize, 0usize);
    let total = Instant::now();
    for (g, src) in programs.iter().zip(&sources) {
        let t = Instant::now();
        let Ok(p) = semantics::parse(src) else {
            failures += 1;
            continue;
        };
        stages[0] += t.elapsed();
        let t = Instant::now();
        if checker::accepts(&p, prims, checker::Options { relaxed: true }).is_err() {
            failures += 1;
            continue;
        }
        stages[1] += t.elapsed();
        let t = Instant::now();
        let Ok(v) = rewrite::vjp(&p, prims, rewrite::Policy::SaveAll) else {
            failures += 1;
            continue;
        };
        stages[2] += t.elapsed();
        let t = Instant::now();
        let mut rng = Rng::new(g.seed);
        for (i, f) in p.funcs.iter().enumerate() {
            let Some((nonlin, lin_t)) = v.halves(i) else {
                continue;
            };
            let types: Vec<Type> = f.params.iter().map(|p| p.ty.clone()).collect();
            let x = inputs(&types, &mut rng);
            let ct: Vec<Value> = f.results.iter().map(|t| rng.value(t, -1.0, 1.0)).collect();
            let Ok(fwd) = eval_fn(&v.program, prims, nonlin, &x, &[]) else {
                continue;
            };
            let mut nl = fwd.nl;
            let Some(res) = nl.pop() else { continue };
            if eval_fn(&v.program, prims, lin_t, &[res], &ct).is_ok() {
                functions += 1;
            }
        }
        stages[3] += t.elapsed();
    }
    let total = total.elapsed();
    let per_s = |d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
    println!(
        "suite throughput: {n} generated programs ({} KB of source, {functions} gradients evaluated, {failures} failed)",
        bytes / 1024
    );
    println!(
        "  generate and render: {:.3} s ({:.0} programs/s, not counted below)",
        generate.as_secs_f64(),
        per_s(generate)
    );
    for (name, d) in [
        "parse",
        "check (relaxed)",
        "vjp (jvp, unzip, transpose)",
        "evaluate",
    ]
    .iter()
    .zip(stages)
    {
        println!(
            "  {name}: {:.3} s ({:.0} programs/s)",
            d.as_secs_f64(),
            per_s(d)
        );
    }
    println!(
        "  pipeline: {:.3} s, {:.0} programs/s (goal >= 5,000)",
        total.as_secs_f64(),
        per_s(total)
    );
}
