//! `cargo bench -p rewrite`: the speed of every stage on long bodies, as lets per second.
//! Speed targets live here, not in timed unit tests. Each pass is a linear sweep, so the rate
//! should stay flat as the body grows tenfold; a quadratic pass shows as a collapsing rate.

use rewrite::{Policy, jvp, transpose, unzip};
use semantics::{FuncId, PrimTable, Value, eval_fn, parse, print, static_work};
use std::time::Instant;

fn body(n: usize) -> String {
    let mut s = String::with_capacity(n * 32);
    s.push_str("def f(x0: R, w: R) -> (R) =\n");
    for i in 1..=n {
        let prev = i - 1;
        s += &match i % 3 {
            0 => format!("  let x{i} = sin(x{prev}) in\n"),
            1 => format!("  let x{i} = x{prev} * w in\n"),
            _ => format!("  let x{i} = tanh(x{prev}) + w in\n"),
        };
    }
    s + &format!("  x{n}\n")
}

fn time<T>(label: &str, n: usize, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label:>10} {n:>9} lets {secs:>8.3} s {:>12.0} lets/s",
        n as f64 / secs
    );
    out
}

/// `n` one-line functions, each calling the one above: linear in the number of functions too
/// (a name lookup per function that scanned the program made `jvp` quadratic here).
fn functions(n: usize) -> String {
    let mut s = String::from("def f0(x: R) -> (R) = sin(x)\n");
    for i in 1..n {
        s += &format!("def f{i}(x: R) -> (R) = f{}(x) * x\n", i - 1);
    }
    s
}

fn main() {
    let prims = PrimTable::standard();
    for n in [10_000, 100_000] {
        let src = functions(n);
        let p = time("parse fns", n, || parse(&src).unwrap());
        time("check fns", n, || {
            checker::accepts(&p, prims, checker::Options::default()).unwrap()
        });
        let j = time("jvp fns", n, || jvp(&p, prims).unwrap());
        let u = time("unzip fns", n, || {
            unzip(&j, prims, Policy::SaveAll).unwrap()
        });
        time("transp fns", n, || transpose(&u.program, prims).unwrap());
        println!();
    }
    for n in [10_000, 100_000, 1_000_000] {
        let src = body(n);
        let p = time("parse", n, || parse(&src).unwrap());
        time("print", n, || print(&p));
        time("check", n, || {
            checker::check(&p, prims, checker::Options::default()).unwrap()
        });
        time("work", n, || static_work(&p, prims).unwrap());
        time("eval", n, || {
            eval_fn(
                &p,
                prims,
                FuncId(0),
                &[Value::Real(0.5), Value::Real(0.9)],
                &[],
            )
            .unwrap()
        });
        let j = time("jvp", n, || jvp(&p, prims).unwrap());
        let u = time("unzip", n, || unzip(&j, prims, Policy::SaveAll).unwrap());
        time("transpose", n, || transpose(&u.program, prims).unwrap());
        println!();
    }
}
