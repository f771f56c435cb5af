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

/// `h{w}` is a nonlinear helper whose work grows with `w`; a chain link `let x_i = h_w(x_{i-1})`
/// then costs `3 + W(h_w)` to recompute, and each `x_i` is needed by the linear half.
fn weighted_chain(weights: &[usize]) -> (String, Vec<u128>) {
    let mut s = String::new();
    let mut helpers = std::collections::BTreeSet::new();
    helpers.extend(weights.iter().copied());
    for &w in &helpers {
        s += &format!("def h{w}(a0: R) -> (R) =\n");
        for i in 1..=w {
            s += &format!("  let a{i} = sin(a{}) in\n", i - 1);
        }
        s += &format!("  a{w}\n\n");
    }
    s += "def f(x0: R ; t0': R) -> (R ; R) =\n";
    for (i, w) in weights.iter().enumerate() {
        let i = i + 1;
        s += &format!(
            "  let x{i} = h{w}(x{}) in\n  let t{i}' = x{i} * t{}' in\n",
            i - 1,
            i - 1
        );
    }
    let m = weights.len();
    s += &format!("  (x{m} ; t{m}')\n");
    // Work of recomputing link i: let 1 + call 1 + atom 1 + W(h_w), where W(h_w) is w lets of
    // (binding 1 + sin 1 + atom 1) and a return of one atom (2): 3 + 3w + 2.
    let costs = weights.iter().map(|&w| 3 + 3 * w as u128 + 2).collect();
    (s, costs)
}

/// The least recomputation work with at most `k` residual scalars, by brute force over every
/// set of saved links: recomputing link 1 needs the parameter `x0` as a residual.
fn brute_force(costs: &[u128], k: u128) -> Option<u128> {
    let m = costs.len();
    (0u32..1 << m)
        .filter_map(|saved| {
            let is_saved = |i: usize| saved & (1 << i) != 0;
            let residuals =
                (0..m).filter(|&i| is_saved(i)).count() as u128 + u128::from(!is_saved(0));
            (residuals <= k).then(|| (0..m).filter(|&i| !is_saved(i)).map(|i| costs[i]).sum())
        })
        .min()
}

#[test]
fn budget_is_exact_on_chains_of_dependent_lets() {
    let mut rng = semantics::numeric::Rng::new(17);
    for _ in 0..40 {
        let m = 2 + (rng.next_u64() % 6) as usize;
        let weights: Vec<usize> = (0..m).map(|_| 1 + (rng.next_u64() % 9) as usize).collect();
        let (src, costs) = weighted_chain(&weights);
        let p = parse(&src).unwrap();
        for k in 1..=m as u128 + 1 {
            let u = unzip(&p, prims(), Policy::Budget(k)).unwrap();
            let r = u.reports.last().unwrap();
            let best = brute_force(&costs, k).expect("recompute-all meets any k >= 1");
            assert!(
                r.residual_scalars <= k,
                "{weights:?}, k = {k}: {} residuals",
                r.residual_scalars
            );
            assert_eq!(
                r.recomputed_work, best,
                "{weights:?}, k = {k}: recomputes {} where {best} suffices",
                r.recomputed_work
            );
        }
    }
}
