//! Negative claims: seeded faults in transformation outputs are `refuted` (with a point) or
//! `unknown`, never `proved`; a JVP rule that disagrees with its derivative column does not
//! load. The faulty programs are written by hand (the correct ones come from lina).

use rewrite::equiv::{ClaimReport, Limits, Outcome, Session};
use rewrite::{JvpRules, Policy, jvp, transpose, unzip};
use semantics::{Prim, PrimTable, Program, parse, print};

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

fn p(src: &str) -> Program {
    parse(src).unwrap_or_else(|d| panic!("{src}: {:?}", d[0].message))
}

/// `LINA_EQUIV_TUPLES=1` runs every fault with residuals as tuple terms (`Limits::tuples`).
fn session() -> Session<'static> {
    let limits = Limits {
        tuples: std::env::var_os("LINA_EQUIV_TUPLES").is_some(),
        ..Limits::default()
    };
    Session::new(prims(), limits).unwrap()
}

fn assert_not_proved(reports: &[ClaimReport]) {
    assert!(!reports.is_empty());
    assert!(
        reports.iter().any(|r| r.outcome == Outcome::Refuted),
        "expected a refutation: {reports:#?}"
    );
    for r in reports.iter().filter(|r| r.outcome == Outcome::Refuted) {
        assert!(r.counterexample.is_some(), "a refutation carries its point");
    }
}

#[test]
fn the_correct_outputs_are_proved() {
    let f = p("def f(x: R, y: R) -> (R) = sin(x * y) + x");
    let j = jvp(&f, prims()).unwrap();
    let u = unzip(&j, prims(), Policy::SaveAll).unwrap().program;
    let t = transpose(&u, prims()).unwrap();
    let mut s = session();
    let mut all = s.jvp(&f, &j);
    all.extend(s.unzip(&j, &u, "U", "save-all"));
    all.extend(s.transpose(&u, "U", &t, "T", None));
    all.extend(s.vjp(&f, &t, "T", "save-all"));
    assert!(all.iter().all(|r| r.outcome == Outcome::Proved), "{all:#?}");
}

#[test]
fn a_jvp_rule_with_the_wrong_sign_is_refuted() {
    let f = p("def f(x: R) -> (R) = cos(x)");
    // cos' = -sin, written as +sin.
    let j =
        p("def f.jvp(x: R ; x': R) -> (R ; R) = let y = cos(x) in let s = sin(x) in (y ; s * x')");
    let r = session().jvp(&f, &j);
    assert_eq!(r[0].outcome, Outcome::Proved, "the primal is right");
    assert_not_proved(&r);
}

#[test]
fn a_jvp_rule_disagreeing_with_its_derivative_column_does_not_load() {
    let mut table = PrimTable::extensible();
    let id = table
        .register(Prim {
            name: "sq",
            arity: 1,
            eval: |a| a[0] * a[0],
            cost: 1,
            jvp: "jvp sq(x ; x') = let y = x * x in let d = -2.0 * x in (y ; d * x')",
        })
        .unwrap();
    table.register_derivative(id, "d sq(x) = 2.0 * x").unwrap();
    let err = JvpRules::load(&table)
        .err()
        .expect("the rule must be refused");
    let text = err.to_string();
    assert!(
        text.contains("sq") && text.contains("derivative column"),
        "{text}"
    );
    // The same row with the right sign loads.
    let mut table = PrimTable::extensible();
    let id = table
        .register(Prim {
            name: "sq",
            arity: 1,
            eval: |a| a[0] * a[0],
            cost: 1,
            jvp: "jvp sq(x ; x') = let y = x * x in let d = 2.0 * x in (y ; d * x')",
        })
        .unwrap();
    table.register_derivative(id, "d sq(x) = x + x").unwrap();
    if let Err(e) = JvpRules::load(&table) {
        panic!("{e}");
    }
}

#[test]
fn a_tangent_role_swap_is_refuted() {
    let f = p("def f(x: R, y: R) -> (R) = x * y");
    let j = p(
        "def f.jvp(x: R, y: R ; x': R, y': R) -> (R ; R) = let z = x * y in let a' = x * x' in let b' = y * y' in (z ; a' + b')",
    );
    assert_not_proved(&session().jvp(&f, &j));
}

#[test]
fn residuals_destructured_out_of_order_are_refuted() {
    let f = p("def f(x: R, y: R) -> (R) = sin(x) + y * y");
    let j = jvp(&f, prims()).unwrap();
    let u = unzip(&j, prims(), Policy::SaveAll).unwrap().program;
    let text = print(&u);
    // Reverse the binders of the residual destructure in `.lin`.
    let lin_at = text.find("def f.jvp.lin").unwrap();
    let (head, lin) = text.split_at(lin_at);
    let open = lin.find("let <").unwrap() + 5;
    let close = open + lin[open..].find('>').unwrap();
    let mut names: Vec<&str> = lin[open..close].split(", ").collect();
    assert!(names.len() >= 2, "{text}");
    names.reverse();
    let bad = format!(
        "{head}{}{}{}",
        &lin[..open],
        names.join(", "),
        &lin[close..]
    );
    let bad = p(&bad);
    let mut s = session();
    assert!(
        s.unzip(&j, &u, "U", "save-all")
            .iter()
            .all(|r| r.outcome == Outcome::Proved)
    );
    assert_not_proved(&s.unzip(&j, &bad, "V", "save-all"));
}

#[test]
fn a_linear_tuple_rebuilt_out_of_order_in_transpose_is_refuted() {
    let l = p("def g(a: R ; u': R, v': R) -> (; <R, R>) = let p' = a * u' in <p', v'>");
    let good = p(
        "def g.T(a: R ; ct': <R, R>) -> (; R, R) = let <p', v'> = ct' in let u' = a * p' in (; u', v')",
    );
    let bad = p(
        "def g.T(a: R ; ct': <R, R>) -> (; R, R) = let <v', p'> = ct' in let u' = a * p' in (; u', v')",
    );
    assert!(
        session()
            .adjoint(&l, &good)
            .iter()
            .all(|r| r.outcome == Outcome::Proved)
    );
    assert_not_proved(&session().adjoint(&l, &bad));
}

#[test]
fn a_wrong_coefficient_right_at_zero_is_refuted() {
    // sin(x) and x agree at 0 and nearly agree near it: sampling the claim at one point could
    // miss the fault; the proof cannot.
    let f = p("def f(x: R) -> (R) = sin(x)");
    let j = p(
        "def f.jvp(x: R ; x': R) -> (R ; R) = let y = sin(x) in let c = 1.0 - x * x * 0.5 in (y ; c * x')",
    );
    assert_not_proved(&session().jvp(&f, &j));
}

#[test]
fn a_callee_whose_claim_fails_gives_its_callers_no_lemma() {
    let f = p("def g(x: R) -> (R) = sin(x)\ndef h(x: R) -> (R) = g(x) * 2.0");
    let j = jvp(&f, prims()).unwrap();
    let text = print(&j).replace("cos(x)", "sin(x)");
    let bad = p(&text);
    let r = session().jvp(&f, &bad);
    let tangent = |name: &str| {
        r.iter()
            .find(|c| c.func == name && c.claim == rewrite::equiv::Claim::JvpTangent)
            .unwrap()
            .outcome
    };
    assert_eq!(tangent("g"), Outcome::Refuted);
    assert_ne!(tangent("h"), Outcome::Proved);
}

/// The adjoint pairing reads `g.T`'s cotangents by name (`a'` ↦ `a_ct'`): a transpose that
/// uses those names but scales one cotangent by the wrong factor gets no proof from it
/// (its local obligation fails) and is refuted by the entrywise fallback.
#[test]
fn a_wrong_factor_under_the_pairings_names_is_refuted() {
    let g = p("def g(a: R, b: R ; x': R) -> (; R) =
        let y' = a * x' in
        let (; y1', y2') = dup(y') in
        let z' = b * y1' in
        let w' = z' + y2' in
        w'");
    let right = p("def g.T(a: R, b: R ; w_ct': R) -> (; R) =
        let (; z_ct', y2_ct') = dup(w_ct') in
        let y1_ct' = b * z_ct' in
        let y_ct' = y1_ct' + y2_ct' in
        let x_ct' = a * y_ct' in
        x_ct'");
    let wrong = p("def g.T(a: R, b: R ; w_ct': R) -> (; R) =
        let (; z_ct', y2_ct') = dup(w_ct') in
        let y1_ct' = a * z_ct' in
        let y_ct' = y1_ct' + y2_ct' in
        let x_ct' = a * y_ct' in
        x_ct'");
    let ok = session().transpose(&g, "U", &right, "T", None);
    assert_eq!(ok[0].outcome, Outcome::Proved, "{ok:#?}");
    assert!(
        ok[0].verdicts.iter().all(|v| v.what.starts_with("adjoint")),
        "the right transpose is proved binding by binding: {ok:#?}"
    );
    assert_not_proved(&session().transpose(&g, "U", &wrong, "T", None));
}
