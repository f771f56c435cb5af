//! The λLL checker (SPEC §7): it accepts well-typed terms with derivations whose nodes name
//! their rules, rejects each kind of fault with its code, and every rule of `LL_RULES` is
//! fired by the accepted cases (rule coverage). Corpus-wide acceptance of encoded programs is
//! in `rewrite/tests/ll.rs` (the encoder lives there).

use checker::ll::{LL_RULES, LlOptions, check};
use semantics::ll::{self, Atom, DefId, Expr};
use std::collections::BTreeSet;

/// Well-typed terms; together they use every rule.
const ACCEPTED: [(&str, &str); 5] = [
    (
        "square",
        "def sq : !R -o !R =\n  fun (p : !R) {\n    let !x = p in\n    !mul(x, x)\n  }\n",
    ),
    (
        "linear core",
        "def lin : (!R * R) -o R =
  fun (q : (!R * R)) {
    let (!a, y) = q in
    let (y1, y2) = dup y in
    let z = a * y1 in
    let w = z + y2 in
    let zz = zero[(R * R)] in
    let () = drop zz in
    let u = () in
    let () = u in
    w
  }
",
    ),
    (
        "globals, application, weakening",
        "def sq : !R -o !R =\n  fun (p : !R) {\n    let !x = p in\n    !mul(x, x)\n  }
def use : !R -o !R =
  fun (p : !R) {
    let !x = p in
    let !unused = !2.0 in
    let b = !x in
    sq b
  }
",
    ),
    (
        "a closure returned under a bang",
        "def lin : !R -o (!R * !(R -o R)) =
  fun (p : !R) {
    let !c = p in
    let !s = !sin(c) in
    let b = !s in
    let m = !fun (t : R) {
      c * t
    } in
    (b, m)
  }
",
    ),
    (
        "a nested block",
        "def nested : R -o R =\n  fun (t : R) {\n    let s = {\n      let k = t in\n      k\n    } in\n    s\n  }\n",
    ),
];

/// Ill-typed (or ill-formed) terms and the code each must get.
const REJECTED: [(&str, &str, &str); 16] = [
    (
        "duplicate a linear variable",
        "E0701",
        "def f : R -o R = fun (x : R) { x + x }",
    ),
    (
        "discard a linear variable",
        "E0702",
        "def f : (R * R) -o R = fun (p : (R * R)) { let (a, b) = p in a }",
    ),
    (
        "a linear variable under !",
        "E0703",
        "def f : R -o !R = fun (x : R) { !x }",
    ),
    (
        "a linear variable captured under !",
        "E0703",
        "def f : R -o !(R -o R) = fun (x : R) { !fun (t : R) { x + t } }",
    ),
    (
        "apply a non-function",
        "E0704",
        "def f : R -o R = fun (x : R) { 1.0 x }",
    ),
    (
        "a type mismatch",
        "E0705",
        "def f : R -o (R * R) = fun (x : R) { x }",
    ),
    (
        "an argument of the wrong type",
        "E0705",
        "def g : R -o R = fun (x : R) { x }\ndef f : (R * R) -o R = fun (p : (R * R)) { g p }",
    ),
    (
        "a linear primitive argument",
        "E0706",
        "def f : R -o R = fun (x : R) { sin(x) }",
    ),
    (
        "a linear scale factor",
        "E0706",
        "def f : (R * R) -o R = fun (p : (R * R)) { let (a, b) = p in a * b }",
    ),
    (
        "a pattern against a real",
        "E0707",
        "def f : R -o R = fun (x : R) { let (a, b) = x in a + b }",
    ),
    (
        "a bang pattern against R",
        "E0707",
        "def f : R -o R = fun (x : R) { let !y = x in y }",
    ),
    (
        "drop a linear function",
        "E0708",
        "def f : (R -o R) -o 1 = fun (g : R -o R) { drop g }",
    ),
    (
        "dup at !R",
        "E0708",
        "def f : !R -o (!R * !R) = fun (p : !R) { dup p }",
    ),
    (
        "a primitive's arity",
        "E0710",
        "def f : !R -o !R = fun (p : !R) { let !x = p in !sin(x, x) }",
    ),
    (
        "an unbound name",
        "E0751",
        "def f : R -o R = fun (x : R) { y }",
    ),
    (
        "a name bound twice",
        "E0753",
        "def f : R -o R = fun (x : R) { let x = x in x }",
    ),
];

#[test]
fn accepted_terms_type_check_with_named_derivations() {
    for (name, src) in ACCEPTED {
        let p = ll::parse(src).unwrap_or_else(|d| panic!("{name}: {}", d[0].message));
        let c = check(&p, LlOptions { derivations: true })
            .unwrap_or_else(|d| panic!("{name}: rejected: {} ({})", d[0].message, d[0].code));
        assert_eq!(c.derivations.len(), p.defs.len());
        for d in &c.derivations {
            assert_eq!(d.rule, "T-Def");
            // Every node names a rule of the table.
            let mut stack = vec![d];
            while let Some(n) = stack.pop() {
                assert!(
                    LL_RULES.contains(&n.rule),
                    "{name}: unknown rule {}",
                    n.rule
                );
                stack.extend(&n.children);
            }
        }
        // The printer round-trips.
        assert_eq!(ll::parse(&ll::print(&p)).unwrap(), p, "{name}");
    }
}

#[test]
fn every_rule_is_fired_by_the_accepted_terms() {
    let mut fired = BTreeSet::new();
    for (_, src) in ACCEPTED {
        let p = ll::parse(src).unwrap();
        fired.extend(check(&p, LlOptions::default()).unwrap().rules);
    }
    let never: Vec<&str> = LL_RULES
        .iter()
        .filter(|r| !fired.contains(*r))
        .copied()
        .collect();
    println!(
        "λLL rule coverage: {} of {} rules fired",
        fired.len(),
        LL_RULES.len()
    );
    assert!(never.is_empty(), "rules never fired: {never:?}");
}

#[test]
fn each_fault_is_rejected_with_its_code() {
    for (what, code, src) in REJECTED {
        let diags = match ll::parse(src) {
            Err(d) => d,
            Ok(p) => check(&p, LlOptions::default())
                .err()
                .unwrap_or_else(|| panic!("{what}: accepted\n{src}")),
        };
        assert_eq!(diags[0].code, code, "{what}: {:?}", diags[0].message);
        let text = semantics::render(&diags, "t.ll", src);
        assert!(text.contains(code), "{what}: {text}");
    }
}

#[test]
fn one_fault_gives_one_diagnostic() {
    // `b` is ill-typed (a pattern against R); its uses raise nothing further.
    let p = ll::parse("def f : R -o R = fun (x : R) { let (a, b) = x in a + b }").unwrap();
    let d = check(&p, LlOptions::default()).unwrap_err();
    assert_eq!(d.len(), 1, "{d:?}");
}

#[test]
fn a_global_from_below_is_malformed_not_a_panic() {
    let mut p =
        ll::parse("def f : !R -o !R = fun (p : !R) { p }\ndef g : !R -o !R = fun (q : !R) { q }")
            .unwrap();
    // Hand-built: f's body applies g, defined below it.
    let Expr::Lam(l, _) = &mut p.defs[0].body.tail else {
        panic!()
    };
    let l = std::rc::Rc::make_mut(l);
    let x = match &l.body.tail {
        Expr::Atom(a) => *a,
        _ => panic!(),
    };
    l.body.tail = Expr::App(
        Atom::Global(DefId(1), semantics::Span::GENERATED),
        x,
        semantics::Span::GENERATED,
    );
    let d = check(&p, LlOptions::default()).unwrap_err();
    assert_eq!(d[0].code, "E0709");
}

#[test]
fn syntax_errors_have_codes() {
    for (src, code) in [
        ("def f : R -o R = fun (x : R) { x $ }", "E0750"),
        ("def f : R -o R = fun (x : R) { foo(x) }", "E0754"),
        ("def f : R R", "E0750"),
    ] {
        let d = ll::parse(src).unwrap_err();
        assert_eq!(d[0].code, code, "{src}: {}", d[0].message);
    }
    let deep = format!("def f : !R -o !R = fun (p : !R) {{ {}p }}", "!".repeat(300));
    assert_eq!(ll::parse(&deep).unwrap_err()[0].code, "E0752");
}

#[test]
fn a_long_body_checks_with_a_flat_derivation() {
    const N: usize = 200_000;
    let mut src = String::with_capacity(N * 30);
    src.push_str("def f : R -o R =\n  fun (y0 : R) {\n");
    for i in 1..=N {
        src.push_str(&format!("    let y{i} = 0.5 * y{} in\n", i - 1));
    }
    src.push_str(&format!("    y{N}\n  }}\n"));
    let p = ll::parse(&src).unwrap();
    let c = check(&p, LlOptions { derivations: true }).unwrap();
    // T-Def → T-Lam → T-Block with one child per binding and one for the tail.
    let lam = &c.derivations[0].children[0].children[0];
    assert_eq!(lam.rule, "T-Lam");
    assert_eq!(lam.children[0].rule, "T-Block");
    assert_eq!(lam.children[0].children.len(), N + 1);
}
