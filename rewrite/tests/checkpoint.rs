//! The classic checkpointing trade-off (SPEC §4, issue 5): a chain of `n` dependent `let`s
//! split into `√n` functions of `√n` lets each, every one marked `@checkpoint`, keeps residual
//! and peak live scalars O(√n) with at most twice the work of saving everything; the same
//! chain in one function saves O(n) residuals.

use rewrite::{Policy, jvp, unzip};
use semantics::*;

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

/// `seg` applies `k` sines; `f` applies `seg` `k` times: `n = k²` dependent lets.
fn segmented(k: usize, marked: bool) -> String {
    let mut s = String::new();
    if marked {
        s += "@checkpoint\n";
    }
    s += "def seg(x0: R) -> (R) =\n";
    for i in 1..=k {
        s += &format!("  let x{i} = sin(x{}) in\n", i - 1);
    }
    s += &format!("  x{k}\n\ndef f(y0: R) -> (R) =\n");
    for i in 1..=k {
        s += &format!("  let y{i} = seg(y{}) in\n", i - 1);
    }
    s + &format!("  y{k}\n")
}

fn chain(n: usize) -> String {
    let mut s = String::from("def f(x0: R) -> (R) =\n");
    for i in 1..=n {
        s += &format!("  let x{i} = sin(x{}) in\n", i - 1);
    }
    s + &format!("  x{n}\n")
}

struct Figures {
    residuals: u128,
    peak: u128,
    work: u128,
}

/// Residual scalars held at once (the caller's and one callee's), peak live scalars of the
/// linear half at its worst moment (the caller's plus a callee's), and the work of both halves.
fn figures(src: &str) -> Figures {
    let j = jvp(&parse(src).unwrap(), prims()).unwrap();
    let u = unzip(&j, prims(), Policy::SaveAll).unwrap();
    let w = static_work(&u.program, prims()).unwrap();
    let f = u.reports.last().unwrap();
    let callee = u.reports.iter().rev().nth(1);
    let (nonlin, lin) = (f.outputs.0, f.outputs.1.unwrap());
    Figures {
        residuals: f.residual_scalars + callee.map_or(0, |c| c.residual_scalars),
        peak: f.peak_live.1 + callee.map_or(0, |c| c.peak_live.1),
        work: w[nonlin.0 as usize] + w[lin.0 as usize],
    }
}

#[test]
fn sqrt_n_checkpoints_keep_memory_o_sqrt_n_for_at_most_twice_the_work() {
    println!(
        "{:>6} {:>4} | {:>10} {:>8} | {:>10} {:>8} {:>8} | {:>10}",
        "n", "√n", "chain res", "peak", "marked res", "peak", "work ×", "unmarked"
    );
    for k in [4usize, 8, 16, 32, 64] {
        let n = k * k;
        let whole = figures(&chain(n));
        let marked = figures(&segmented(k, true));
        let unmarked = figures(&segmented(k, false));
        let ratio = marked.work as f64 / unmarked.work as f64;
        println!(
            "{n:>6} {k:>4} | {:>10} {:>8} | {:>10} {:>8} {:>8.2} | {:>10}",
            whole.residuals, whole.peak, marked.residuals, marked.peak, ratio, unmarked.residuals
        );
        assert!(
            whole.residuals >= n as u128,
            "saving everything keeps every cosine"
        );
        assert!(
            marked.residuals <= 2 * k as u128 + 2,
            "n = {n}: {} residual scalars",
            marked.residuals
        );
        assert!(
            marked.peak <= 4 * k as u128 + 8,
            "n = {n}: peak live {}",
            marked.peak
        );
        assert!(
            ratio <= 2.0,
            "n = {n}: checkpointing costs {ratio}× the work"
        );
    }
}
