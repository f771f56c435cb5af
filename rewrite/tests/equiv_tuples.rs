//! Claims about residuals as tuple terms (`Limits::tuples`): beta and eta are applied only
//! where they hold (eta needs the tuple's arity), a random tuple's components are distinct
//! random reals, and faults that only move residuals around (type-correct swaps of two
//! residuals of one named type in a call DAG) are `refuted` or `unknown`, never `proved`.

use rewrite::equiv::dag::Dag;
use rewrite::equiv::language::Term;
use rewrite::equiv::{ClaimReport, Limits, Outcome, Session};
use rewrite::{Policy, jvp, transpose, unzip};
use semantics::{PrimTable, Program, parse, print};
use std::collections::HashMap;

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

fn session() -> Session<'static> {
    Session::new(
        prims(),
        Limits {
            tuples: true,
            ..Limits::default()
        },
    )
    .unwrap()
}

/// `f0(x) = sin(x)`, `f{k+1}(x) = f{k}(x) * f{k}(cos(x))`: residuals nest from `f2` on.
fn call_dag(n: usize) -> Program {
    let mut s = String::from("def f0(x: R) -> (R) = sin(x)\n");
    for k in 1..=n {
        s += &format!(
            "def f{k}(x: R) -> (R) = f{}(x) * f{}(cos(x))\n",
            k - 1,
            k - 1
        );
    }
    parse(&s).unwrap()
}

fn assert_not_proved(reports: &[ClaimReport], func: &str) {
    let r: Vec<_> = reports.iter().filter(|r| r.func == func).collect();
    assert!(!r.is_empty());
    assert!(
        r.iter().any(|r| r.outcome != Outcome::Proved),
        "a fault in `{func}` is proved: {r:#?}"
    );
}

/// `text` with `from` replaced by `to` inside the definition of `func` only.
fn edit(text: &str, func: &str, from: &str, to: &str) -> Program {
    let at = text.find(&format!("def {func}(")).unwrap();
    let end = text[at + 4..]
        .find("\ndef ")
        .map_or(text.len(), |e| at + 4 + e);
    let body = &text[at..end];
    assert!(body.contains(from), "{body}");
    let bad = format!(
        "{}{}{}",
        &text[..at],
        body.replacen(from, to, 1),
        &text[end..]
    );
    parse(&bad).unwrap_or_else(|d| panic!("{bad}: {:?}", d[0].message))
}

#[test]
fn beta_and_eta_apply_only_at_the_right_arity() {
    let mut dag = Dag::default();
    let (a, b, t) = (dag.input("a"), dag.input("b"), dag.input("t"));
    let ab = dag.tuple(vec![a, b]);
    assert!(matches!(dag.get(ab), Term::Tuple(_)));
    assert_eq!(dag.proj(0, 2, ab), a);
    assert_eq!(dag.proj(1, 2, ab), b);
    // A projection at another arity is not a beta redex of this tuple.
    assert_ne!(dag.proj(1, 3, ab), b);
    let parts: Vec<_> = (0..2).map(|k| dag.proj(k, 2, t)).collect();
    assert_eq!(dag.tuple(parts), t, "eta");
    // The first two components of a triple are not the triple.
    let parts: Vec<_> = (0..2).map(|k| dag.proj(k, 3, t)).collect();
    assert_ne!(dag.tuple(parts), t);
    // Components out of order are not the tuple.
    let parts: Vec<_> = [1, 0].iter().map(|&k| dag.proj(k, 2, t)).collect();
    assert_ne!(dag.tuple(parts), t);
}

#[test]
fn a_random_tuples_components_are_distinct_reals() {
    let mut dag = Dag::default();
    let t = dag.input("t");
    let p0 = dag.proj(0, 2, t);
    let p1 = dag.proj(1, 2, t);
    let q = dag.proj(0, 2, p1);
    let sum = dag.prim("add", vec![p0, q]);
    let pair = dag.tuple(vec![p0, q]);
    let env: HashMap<_, _> = [(t, 0.75)].into_iter().collect();
    let v = dag.eval(prims(), &[p0, pair, q, sum, t], &env).unwrap();
    assert!(v[0].is_finite() && v[2].is_finite());
    assert_ne!(v[0], v[2], "two components are two reals");
    assert!(v[1].is_nan(), "a tuple root has no real value");
    assert_eq!(v[4], 0.75);
    assert!((v[3] - (v[0] + v[2])).abs() < 1e-12);
    // The same point gives the same components (a tuple is a function of its input).
    let again = dag.eval(prims(), &[p0, q], &env).unwrap();
    assert_eq!((again[0], again[1]), (v[0], v[2]));
}

#[test]
fn the_correct_call_dag_is_proved_under_every_policy() {
    let p = call_dag(4);
    let j = jvp(&p, prims()).unwrap();
    let mut s = session();
    let mut all = s.jvp(&p, &j);
    for pol in [Policy::SaveAll, Policy::RecomputeAll, Policy::Budget(1)] {
        let name = pol.to_string();
        let u = unzip(&j, prims(), pol).unwrap().program;
        let t = transpose(&u, prims()).unwrap();
        let (ut, tt) = (format!("U-{name}"), format!("T-{name}"));
        all.extend(s.unzip(&j, &u, &ut, &name));
        all.extend(s.transpose(&u, &ut, &t, &tt, Some(&name)));
        all.extend(s.vjp_via(&p, &t, &tt, Some(&ut), &name));
    }
    for r in &all {
        assert_eq!(r.outcome, Outcome::Proved, "{} {}", r.func, r.claim.name());
    }
}

#[test]
fn residuals_swapped_in_a_lin_half_are_not_proved() {
    let p = call_dag(3);
    let j = jvp(&p, prims()).unwrap();
    let u = unzip(&j, prims(), Policy::SaveAll).unwrap().program;
    let text = print(&u);
    // Two residuals of the named type `f1.jvp.res`, destructured the wrong way round.
    let bad = edit(
        &text,
        "f2.jvp.lin",
        "r_f1_jvp_1, r_f1_jvp_2>",
        "r_f1_jvp_2, r_f1_jvp_1>",
    );
    let mut s = session();
    let ok = s.unzip(&j, &u, "U", "save-all");
    assert!(ok.iter().all(|r| r.outcome == Outcome::Proved), "{ok:#?}");
    let r = s.unzip(&j, &bad, "V", "save-all");
    assert_not_proved(&r, "f2.jvp");
    assert!(
        r.iter()
            .any(|r| r.func == "f2.jvp" && r.outcome == Outcome::Refuted),
        "a swap of two residuals is refuted at a point: {r:#?}"
    );
}

#[test]
fn residuals_swapped_in_a_nonlin_half_are_not_proved() {
    let p = call_dag(3);
    let j = jvp(&p, prims()).unwrap();
    let u = unzip(&j, prims(), Policy::SaveAll).unwrap().program;
    let text = print(&u);
    let from = "let res = <_t1, s, _t3, r_f1_jvp_1, r_f1_jvp_2>";
    let bad = edit(
        &text,
        "f2.jvp.nonlin",
        from,
        "let res = <_t1, s, _t3, r_f1_jvp_2, r_f1_jvp_1>",
    );
    let r = session().unzip(&j, &bad, "V", "save-all");
    assert_not_proved(&r, "f2.jvp");
}

#[test]
fn residuals_swapped_in_a_transpose_are_not_proved() {
    let p = call_dag(3);
    let j = jvp(&p, prims()).unwrap();
    let u = unzip(&j, prims(), Policy::SaveAll).unwrap().program;
    let t = transpose(&u, prims()).unwrap();
    let text = print(&t);
    let bad = edit(
        &text,
        "f2.jvp.lin.T",
        "r_f1_jvp_1, r_f1_jvp_2>",
        "r_f1_jvp_2, r_f1_jvp_1>",
    );
    let mut s = session();
    let ok = s.transpose(&u, "U", &t, "T", None);
    assert!(ok.iter().all(|r| r.outcome == Outcome::Proved), "{ok:#?}");
    let r = s.transpose(&u, "U", &bad, "W", None);
    assert_not_proved(&r, "f2.jvp.lin");
    assert!(
        r.iter()
            .any(|r| r.func == "f2.jvp.lin" && r.outcome == Outcome::Refuted),
        "a swap of two residual inputs is refuted at a random tuple: {r:#?}"
    );
}
