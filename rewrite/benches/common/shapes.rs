//! The generated programs of the performance figures (`docs/PERFORMANCE.md`), in one place:
//! the benches, the harness (`examples/perf.rs`) and the pinning test (`tests/perf.rs`) include
//! this file by path, so they all measure the same programs.
#![allow(dead_code)]

/// The chain of issue 14: `let x{i} = sin(x{i-1}) * x{i-1}`, `n` source lets (each two core
/// lets once the parser names `sin(..)`).
pub fn chain(n: usize) -> String {
    let mut s = String::with_capacity(n * 40 + 64);
    s.push_str("def f(x0: R) -> (R) =\n");
    for i in 1..=n {
        let p = i - 1;
        s += &format!("  let x{i} = sin(x{p}) * x{p} in\n");
    }
    s + &format!("  x{n}\n")
}

/// The wide shape: tuples, destructures and calls, `n` source lets (three per step: a tuple
/// built, destructured, and passed to a two-result function).
pub fn wide(n: usize) -> String {
    let steps = n.div_ceil(3).max(1);
    let mut s = String::with_capacity(steps * 100 + 128);
    s.push_str("def g(a: R, b: R) -> (R, R) = (tanh(a * b), sin(a) + 0.5 * b)\n");
    s.push_str("def f(x0: R, y0: R) -> (R) =\n");
    for i in 1..=steps {
        let p = i - 1;
        s += &format!(
            "  let t{i} = <x{p}, y{p}> in\n  let <a{i}, b{i}> = t{i} in\n  let (x{i}, y{i}) = g(a{i}, b{i}) in\n"
        );
    }
    s + &format!("  x{steps} * y{steps}\n")
}

/// `n` one-line functions, each calling the one above; the last one is `f{n-1}`.
pub fn functions(n: usize) -> String {
    let mut s = String::with_capacity(n * 40);
    s.push_str("def f0(x: R) -> (R) = sin(x)\n");
    for i in 1..n {
        s += &format!("def f{i}(x: R) -> (R) = f{}(x) * x\n", i - 1);
    }
    s
}

/// The chain's value and derivative at `x0`, computed independently of lina: the forward
/// values in f64 as the evaluator computes them, then the chain rule
/// `d/dx (sin(x)·x) = cos(x)·x + sin(x)` accumulated backward, as reverse mode does.
pub fn chain_reference(n: usize, x0: f64) -> (f64, f64) {
    let mut xs = Vec::with_capacity(n + 1);
    xs.push(x0);
    for i in 0..n {
        let x = xs[i];
        xs.push(x.sin() * x);
    }
    let mut g = 1.0;
    for &x in xs[..n].iter().rev() {
        g = x.cos() * (x * g) + x.sin() * g;
    }
    (xs[n], g)
}
