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

fn proof_length(n: usize) -> usize {
    let p = parse(&call_dag(n)).unwrap();
    // JVP only: unzip's residual tuples nest with the call tree (2^n scalars), which is
    // unzip's size, not the prover's.
    let reports = prove_program(
        &p,
        PrimTable::standard(),
        Which::Jvp,
        &default_policies(),
        Limits::default(),
    )
    .unwrap();
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
    reports.iter().map(|r| r.proof_length + r.obligations).sum()
}

#[test]
fn a_call_dag_doing_exponential_work_has_a_linear_size_proof() {
    let (a, b) = (proof_length(20), proof_length(40));
    println!("call DAG proof size: n = 20: {a}, n = 40: {b}");
    // Linear: doubling n at most doubles the proof (plus the constant of f0).
    assert!(b <= 2 * a + 50, "{a} then {b}");
}
