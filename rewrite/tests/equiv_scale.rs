//! Claims about the prover's size behaviour: a long straight-line program is proved (300
//! bindings in the suite; `LINA_EQUIV_BINDINGS=N cargo test --release -p rewrite --test
//! equiv_scale -- --nocapture a_long` with N = 1,000 and 10,000 are the runs of
//! `docs/RESULTS.md`), and a call DAG
//! doing 2^n work has a proof whose length grows linearly in n (calls are proved once, then
//! used as lemmas).

use rewrite::equiv::{Limits, Outcome, Which, pipeline::default_policies, prove_program};
use semantics::{PrimTable, parse};

/// A chain of `n` lets cycling through `sin`, scaling by `y`, `tanh` and a literal factor.
fn chain(n: usize) -> String {
    let mut s = String::from("def f(x: R, y: R) -> (R) =\n  let a0 = x in\n");
    for k in 1..=n {
        let prev = format!("a{}", k - 1);
        let rhs = match k % 4 {
            0 => format!("sin({prev})"),
            1 => format!("{prev} * y"),
            2 => format!("tanh({prev})"),
            _ => format!("{prev} * 0.75"),
        };
        s += &format!("  let a{k} = {rhs} in\n");
    }
    s + &format!("  a{n}\n")
}

#[test]
fn a_long_straight_line_program_is_proved() {
    let n: usize = std::env::var("LINA_EQUIV_BINDINGS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let p = parse(&chain(n)).unwrap();
    let start = std::time::Instant::now();
    let reports = prove_program(
        &p,
        PrimTable::standard(),
        Which::All,
        &default_policies(),
        Limits::default(),
    )
    .unwrap();
    let secs = start.elapsed().as_secs_f64();
    let nodes = reports.iter().map(|r| r.egraph_nodes).max().unwrap_or(0);
    println!(
        "{n} bindings: {} claims proved in {secs:.2} s, largest e-graph {nodes} nodes",
        reports.len()
    );
    for r in &reports {
        assert_eq!(
            r.outcome,
            Outcome::Proved,
            "{} {}: {:?}",
            r.func,
            r.claim.name(),
            r.reason
        );
    }
}

/// `f0(x) = sin(x)`, `f{k+1}(x) = f{k}(x) * f{k}(cos(x))`: `f{n}` does 2^n calls.
fn call_dag(n: usize) -> String {
    let mut s = String::from("def f0(x: R) -> (R) = sin(x)\n");
    for k in 1..=n {
        s += &format!(
            "def f{k}(x: R) -> (R) = f{}(x) * f{}(cos(x))\n",
            k - 1,
            k - 1
        );
    }
    s
}

/// `f0(x) = sin(x)`, `f{k+1}(x) = f{k}(x) + f{k}(x)`: the same call twice.
fn sum_dag(n: usize) -> String {
    let mut s = String::from("def f0(x: R) -> (R) = sin(x)\n");
    for k in 1..=n {
        s += &format!("def f{k}(x: R) -> (R) = f{}(x) + f{}(x)\n", k - 1, k - 1);
    }
    s
}

/// Every claim (jvp, unzip and transpose under every default policy, vjp) on `src`, with
/// residuals as tuple terms: all must be proved. The proof size (rewrite steps plus
/// obligations) and the time.
fn proof_size(src: &str, samples: usize) -> (usize, usize, f64) {
    let p = parse(src).unwrap();
    let start = std::time::Instant::now();
    let reports = prove_program(
        &p,
        PrimTable::standard(),
        Which::All,
        &default_policies(),
        Limits {
            tuples: true,
            samples,
            ..Limits::default()
        },
    )
    .unwrap();
    let secs = start.elapsed().as_secs_f64();
    for claim in ["jvp-primal", "jvp-tangent", "unzip", "transpose", "vjp"] {
        assert!(reports.iter().any(|r| r.claim.name() == claim), "{claim}");
    }
    for r in &reports {
        assert_eq!(
            r.outcome,
            Outcome::Proved,
            "{} {} {:?}: {:?}",
            r.func,
            r.claim.name(),
            r.policy,
            r.reason
        );
    }
    let size = reports.iter().map(|r| r.proof_length + r.obligations).sum();
    (reports.len(), size, secs)
}

/// The depths of the call-DAG runs (`LINA_EQUIV_DEPTHS=20,40,80` for the runs of
/// `docs/RESULTS.md`).
fn depths() -> Vec<usize> {
    std::env::var("LINA_EQUIV_DEPTHS")
        .ok()
        .and_then(|s| s.split(',').map(|d| d.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 20, 40])
}

#[test]
fn a_call_dag_doing_exponential_work_has_a_linear_size_proof() {
    // Unzip's residual tuples nest with the call tree: f{n}'s residual holds two of f{n-1}'s,
    // 2^n scalars; as tuple terms each function's claims are a few obligations.
    for (shape, dag) in [
        ("f(x) * f(cos x)", call_dag as fn(usize) -> String),
        ("f(x) + f(x)", sum_dag),
    ] {
        let mut sizes = Vec::new();
        for n in depths() {
            let (claims, size, secs) = proof_size(&dag(n), Limits::default().samples);
            let (_, _, unsampled) = proof_size(&dag(n), 0);
            println!(
                "call DAG {shape}, n = {n}: {claims} claims proved, proof size {size}, \
                 {secs:.2} s ({unsampled:.2} s without sampling)"
            );
            sizes.push((n, size));
        }
        // Linear: the size per level is the same at every depth (plus the constant of f0).
        let (n0, s0) = sizes[0];
        for &(n, s) in &sizes[1..] {
            let per = (s - s0) as f64 / (n - n0) as f64;
            let first = s0 as f64 / n0 as f64;
            assert!(
                per <= 1.1 * first && per >= 0.5 * first,
                "{shape}: {sizes:?} is not linear"
            );
        }
    }
}

/// A parameter whose type is a chain of aliases as long as the program (`type A{i} =
/// <A{i-1}>`, which the checker accepts: a named type counts one level) is lowered, shaped and
/// dropped without recursion on the main stack: every claim is proved. Before, `lina prove`
/// overflowed the stack on it.
#[test]
fn an_alias_chain_as_long_as_the_program_is_proved_without_overflow() {
    let n = 20_000;
    let mut src = String::from("type A0 = <R>\n");
    for i in 1..n {
        src += &format!("type A{i} = <A{}>\n", i - 1);
    }
    src += &format!(
        "def f(x: A{}, y: R) -> (R) =\n  let () = drop(x) in\n  (sin(y) * y)\n",
        n - 1
    );
    let p = parse(&src).unwrap();
    let reports = prove_program(
        &p,
        PrimTable::standard(),
        Which::All,
        &default_policies(),
        Limits::default(),
    )
    .unwrap();
    assert!(!reports.is_empty());
    for r in &reports {
        assert_eq!(r.outcome, Outcome::Proved, "{} {:?}", r.func, r.reason);
    }
}
