//! `cargo bench -p rewrite`: every pass on the generated programs of `docs/PERFORMANCE.md`
//! (`common/shapes.rs`), in process, with divan; throughput is in source lets (or functions)
//! per second. Speed targets live here and in `scripts/perf.sh` (whole process, peak memory),
//! not in timed unit tests. Each pass is a linear sweep, so the rate should stay flat as the
//! body grows tenfold; a quadratic pass shows as a collapsing rate.
//! `cargo bench -p rewrite -- chain` runs one shape; `DIVAN_SAMPLE_COUNT=1` shortens a run.

#[path = "common/shapes.rs"]
mod shapes;

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use rewrite::{Policy, jvp, transpose, unzip, vjp};
use semantics::{FuncId, PrimTable, Program, Value, eval_fn, parse, print};

/// The allocator of the `lina` binary (`src/main.rs`), so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SIZES: [usize; 2] = [10_000, 100_000];

fn main() {
    divan::main();
}

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

/// The program of `shape` at `n` source lets (or functions), parsed.
fn program(shape: &str, n: usize) -> Program {
    let src = match shape {
        "chain" => shapes::chain(n),
        "wide" => shapes::wide(n),
        _ => shapes::functions(n),
    };
    parse(&src).expect("the generated programs parse")
}

/// Runs `pass` on the output of `before` (prepared outside the timing).
fn bench_on<T, U>(b: Bencher, n: usize, before: impl Fn() -> T, pass: impl Fn(&T) -> U + Sync)
where
    T: Sync,
{
    let input = before();
    b.counter(ItemsCount::new(n))
        .bench(|| black_box(pass(&input)));
}

macro_rules! shape {
    ($m:ident, $shape:literal, $sizes:expr, $args:expr) => {
        mod $m {
            use super::*;

            #[divan::bench(args = $sizes, sample_count = 3)]
            fn parse_(b: Bencher, n: usize) {
                let src = print(&program($shape, n));
                bench_on(b, n, || src.clone(), |s| parse(s).unwrap());
            }

            #[divan::bench(args = $sizes, sample_count = 3)]
            fn print_(b: Bencher, n: usize) {
                bench_on(b, n, || program($shape, n), print);
            }

            #[divan::bench(args = $sizes, sample_count = 3)]
            fn check(b: Bencher, n: usize) {
                bench_on(
                    b,
                    n,
                    || program($shape, n),
                    |p| checker::accepts(p, prims(), checker::Options::default()).unwrap(),
                );
            }

            #[divan::bench(args = $sizes, sample_count = 3)]
            fn eval(b: Bencher, n: usize) {
                bench_on(
                    b,
                    n,
                    || program($shape, n),
                    |p| {
                        let f = FuncId(p.funcs.len() as u32 - 1);
                        let args: Vec<Value> = $args.iter().map(|&x| Value::Real(x)).collect();
                        eval_fn(p, prims(), f, &args, &[]).unwrap()
                    },
                );
            }

            #[divan::bench(args = $sizes, sample_count = 3)]
            fn jvp_(b: Bencher, n: usize) {
                bench_on(b, n, || program($shape, n), |p| jvp(p, prims()).unwrap());
            }

            #[divan::bench(args = $sizes, sample_count = 3)]
            fn unzip_(b: Bencher, n: usize) {
                bench_on(
                    b,
                    n,
                    || jvp(&program($shape, n), prims()).unwrap(),
                    |j| unzip(j, prims(), Policy::SaveAll).unwrap(),
                );
            }

            #[divan::bench(args = $sizes, sample_count = 3)]
            fn transpose_(b: Bencher, n: usize) {
                bench_on(
                    b,
                    n,
                    || {
                        let j = jvp(&program($shape, n), prims()).unwrap();
                        unzip(&j, prims(), Policy::SaveAll).unwrap().program
                    },
                    |u| transpose(u, prims()).unwrap(),
                );
            }

            #[divan::bench(args = $sizes, sample_count = 3)]
            fn vjp_(b: Bencher, n: usize) {
                bench_on(
                    b,
                    n,
                    || program($shape, n),
                    |p| vjp(p, prims(), Policy::SaveAll).unwrap(),
                );
            }
        }
    };
}

shape!(chain, "chain", SIZES, [2.0]);
shape!(wide, "wide", SIZES, [0.3, 0.7]);
shape!(functions, "functions", [1_000, 10_000], [0.9]);
