//! Throughput of the pipeline the property suites drive, in programs per second:
//! parse → check (strict) → eval (every function) → jvp → eval (every `.jvp`).
//!
//! `cargo run -p properties --example throughput [--release] -- [N]` (N programs, default
//! 2000). The rule table is loaded once; `RELOAD_RULES=1` goes through `rewrite::jvp`, which
//! loads it on every call.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use semantics::numeric::Rng;
use semantics::{FuncId, PrimTable, eval_fn, parse};
use std::time::Instant;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let prims = PrimTable::standard();
    let mut runner = TestRunner::deterministic();
    let strategy = properties::nonlinear::program_strategy();
    let recipes: Vec<_> = (0..n)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect();
    let t0 = Instant::now();
    let sources: Vec<(String, u64)> = recipes.iter().map(|r| (r.render(), r.seed)).collect();
    let render = t0.elapsed();
    let rules = rewrite::JvpRules::load(prims).expect("the standard rules load");
    let reload = std::env::var("RELOAD_RULES").is_ok();
    let (mut lines, mut funcs, mut work) = (0usize, 0usize, 0u128);
    let t1 = Instant::now();
    for (src, seed) in &sources {
        lines += src.lines().count();
        let p = parse(src).expect("parses");
        checker::check(&p, prims, checker::Options::default()).expect("well-typed");
        // `rewrite::jvp` loads (parses, checks, samples) the rule table on every call;
        // `jvp_with` reuses it. RELOAD_RULES=1 measures the former.
        let j = if reload {
            rewrite::jvp(&p, prims).expect("jvp")
        } else {
            rewrite::jvp_with(&p, prims, &rules).expect("jvp")
        };
        let mut rng = Rng::new(*seed);
        for (i, f) in p.funcs.iter().enumerate() {
            let types: Vec<_> = f.params.iter().map(|q| q.ty.clone()).collect();
            let x = properties::domains::inputs(&types, &mut rng);
            let u = properties::domains::inputs(&types, &mut rng);
            let o = eval_fn(&p, prims, FuncId(i as u32), &x, &[]).expect("evaluates");
            let oj = eval_fn(&j, prims, FuncId(i as u32), &x, &u).expect("evaluates");
            work += o.work + oj.work;
            funcs += 1;
        }
    }
    let pipeline = t1.elapsed();
    println!(
        "{n} programs ({funcs} functions, {} source lines on average, {work} units of work evaluated)",
        lines / n.max(1)
    );
    println!(
        "rendering: {:.0} programs/s",
        n as f64 / render.as_secs_f64()
    );
    println!(
        "parse → check → eval → jvp → eval: {:.0} programs/s ({:.1} µs per program)",
        n as f64 / pipeline.as_secs_f64(),
        pipeline.as_secs_f64() * 1e6 / n as f64
    );
}
