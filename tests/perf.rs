//! The programs of the throughput figures (`docs/PERFORMANCE.md`) at a small size: their
//! gradients are pinned against references independent of lina (a hand-written chain rule in
//! f64 and central differences of the evaluator), so a faster pipeline cannot change them
//! unnoticed. The harness (`scripts/perf.sh`) checks the 10^6-let chain against the same
//! reference.

#[path = "../rewrite/benches/common/shapes.rs"]
mod shapes;

mod common;
use common::{json, run as lina};
use semantics::{FuncId, PrimTable, Value, eval_fn, parse};

const N: usize = 2_000;

fn gradient(src: &str, f: &str, args: &str) -> (Vec<f64>, Vec<f64>) {
    let r = lina(
        &["grad", "-", "--fn", f, "--args", args, "--format", "json"],
        Some(src),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r.stdout);
    let reals = |k: &str| -> Vec<f64> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    (reals("value"), reals("gradient"))
}

/// The value of `f` (function 1 of the program, scalar result) by the evaluator.
fn value(src: &str, func: u32, xs: &[f64]) -> f64 {
    let p = parse(src).unwrap();
    let args: Vec<Value> = xs.iter().map(|&x| Value::Real(x)).collect();
    let out = eval_fn(&p, PrimTable::standard(), FuncId(func), &args, &[]).unwrap();
    out.nl[0].as_real().unwrap()
}

/// Five-point central difference of `f` along coordinate `i`.
fn central(f: impl Fn(&[f64]) -> f64, x: &[f64], i: usize, h: f64) -> f64 {
    let at = |d: f64| {
        let mut y = x.to_vec();
        y[i] += d;
        f(&y)
    };
    (at(-2.0 * h) - 8.0 * at(-h) + 8.0 * at(h) - at(2.0 * h)) / (12.0 * h)
}

#[test]
fn the_chain_gradient_equals_the_chain_rule_and_finite_differences() {
    let src = shapes::chain(N);
    let (value_out, grad) = gradient(&src, "f", "2.0");
    let (v, g) = shapes::chain_reference(N, 2.0);
    // The forward values are the same f64 operations in the same order: equal bits.
    assert_eq!(value_out, [v]);
    // The reference accumulates the same products in the same order as reverse mode; allow
    // rounding of the additions' order.
    assert!((grad[0] - g).abs() <= 1e-12 * g.abs(), "{} vs {g}", grad[0]);
    // Finite differences of the evaluator confirm the reference. The chain creeps to its fixed
    // point pi/2, so the derivative (3e-7) is small against the value (1.57): rounding limits
    // the differences to about 1e-4 relative (h = 1e-4 is off by 6e-5, h = 1e-6 by 3e-3).
    let fd = central(|x| value(&src, 0, x), &[2.0], 0, 1e-4);
    assert!(
        g > 1e-8 && (g - fd).abs() <= 3e-4 * g.abs(),
        "{g} vs fd {fd}"
    );
}

#[test]
fn the_wide_gradient_agrees_with_finite_differences_of_the_evaluator() {
    let src = shapes::wide(600);
    let x = [0.3, 0.7];
    let (value_out, grad) = gradient(&src, "f", "0.3, 0.7");
    assert_eq!(value_out, [value(&src, 1, &x)]);
    for (i, g) in grad.iter().enumerate() {
        let fd = central(|y| value(&src, 1, y), &x, i, 1e-4);
        assert!(
            (g - fd).abs() <= 1e-6 + 1e-6 * fd.abs(),
            "d/dx{i}: {g} vs fd {fd}"
        );
    }
}

#[test]
fn the_functions_gradient_agrees_with_the_product_rule() {
    // f_k(x) = sin(x)·x^k, so f_k'(x) = cos(x)·x^k + k·sin(x)·x^(k-1).
    let n = 300;
    let src = shapes::functions(n);
    let k = (n - 1) as i32;
    let x = 0.9f64;
    let (_, grad) = gradient(&src, &format!("f{k}"), "0.9");
    let want = x.cos() * x.powi(k) + k as f64 * x.sin() * x.powi(k - 1);
    assert!(
        (grad[0] - want).abs() <= 1e-12 * want.abs(),
        "{} vs {want}",
        grad[0]
    );
}
