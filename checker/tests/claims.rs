//! The checker's claims, one test each: the prototype suite's examples, the shape of
//! derivations, Linear B membership, and robustness on malformed trees.

mod common;

use checker::{Class, Derivation, RULES, TypeExpr, check, check_linear_b, classify};
use common::*;
use semantics::*;

fn accepted(src: &str) -> checker::Checked {
    let p = parse_ok("test.la", src);
    accept("test.la", src, &p, STRICT)
}

// ---- the prototype suite ----

#[test]
fn adding_zero_to_a_linear_value_is_linear() {
    let src = "def f(; x': R) -> (; R) = x' + zero";
    accepted(src);
    let p = parse_ok("t", src);
    assert_eq!(classify(&p.funcs[0], &p), Class::Linear);
}

#[test]
fn dup_then_add_is_linear() {
    let src = "def f(; x': R) -> (; R) = let (; a', b') = dup(x') in a' + b'";
    accepted(src);
    let p = parse_ok("t", src);
    assert_eq!(classify(&p.funcs[0], &p), Class::Linear);
}

#[test]
fn implicit_linear_dup_is_rejected() {
    assert_eq!(
        codes("def f(; x': R) -> (; R) = x' + x'", STRICT),
        ["E0201"]
    );
}

#[test]
fn implicit_drop_of_a_nonlinear_parameter_is_rejected_in_strict_mode_only() {
    let src = "def f(x: R, y: R) -> (R) = x * x";
    assert_eq!(codes(src, STRICT), ["E0203"]);
    assert!(codes(src, RELAXED).is_empty());
}

#[test]
fn explicit_drop_of_a_nonlinear_parameter_is_accepted() {
    accepted("def f(x: R, y: R) -> (R) = let () = drop(y) in x * x");
}

#[test]
fn a_call_passing_the_same_linear_variable_twice_is_rejected() {
    let src = "def g(; a': R, b': R) -> (; R) = a' + b'\n\
               def f(; x': R) -> (; R) = g(; x', x')";
    assert_eq!(codes(src, STRICT), ["E0201"]);
}

#[test]
fn nonlinear_scaling_is_accepted() {
    accepted("def f(; x': R) -> (; R) = 2.0 * x'");
    accepted("def f(c: R ; x': <R, R>) -> (; <R, R>) = x' * c");
}

#[test]
fn linear_multiplicities_are_exact_in_strict_mode_and_free_in_relaxed_mode() {
    let twice = "def f(; x': R) -> (; R) = x' + x'";
    let never = "def f(; x': R, y': R) -> (; R) = x'";
    assert_eq!(codes(twice, STRICT), ["E0201"]);
    assert_eq!(codes(never, STRICT), ["E0202"]);
    assert!(codes(twice, RELAXED).is_empty());
    assert!(codes(never, RELAXED).is_empty());
}

#[test]
fn relaxed_mode_still_checks_sorts_types_and_arities() {
    for (src, code) in [
        ("def f(; x': R) -> (R) = sin(x')", "E0204"),
        ("def f() -> (; R) = (; 1.0)", "E0205"),
        ("def f(; x': R, y': R) -> (; R) = x' * y'", "E0206"),
        ("def f(p: <R, R>) -> (R) = sin(p)", "E0208"),
        ("def f(x: R) -> (R) = pow(x)", "E0209"),
        ("def f(x: R) -> (R) = f(x)", "E0210"),
    ] {
        assert_eq!(codes(src, RELAXED), [code], "{src}");
    }
}

#[test]
fn a_use_inside_drop_counts() {
    accepted("def f(x: R ; y': R) -> (R) = let () = drop((x ; y')) in 1.0");
    accepted("def f(x: R ; y': R) -> (; R) = let () = drop(sin(x)) in y'");
}

#[test]
fn linear_variables_in_nonlinear_positions_are_rejected() {
    for src in [
        "def f(x: R ; y': R) -> (R) = x + y'",
        "def f(; x': R) -> (R) = sin(x')",
        "def g(; a': R) -> (; R) = a'\ndef f(; x': R) -> (; R) = g(x')",
        "def f(x: R ; y': R) -> (<R, R>) = <x, y'>",
    ] {
        assert_eq!(codes(src, STRICT), ["E0204"], "{src}");
    }
}

#[test]
fn every_independent_fault_is_reported_once() {
    let src = "def a(x: R ; y': R) -> (; R) = x * (y' + y')\n\
               def b(z: R) -> (R) = z + q(z)\n\
               def q(z: R) -> (R) = sin(<z, z>)";
    let p = parse_ok("t", src);
    let diags = check(&p, prims(), STRICT).unwrap_err();
    let got: Vec<&str> = diags.iter().map(|d| d.code).collect();
    assert_eq!(got, ["E0201", "E0211", "E0208"]);
}

// ---- derivations ----

#[test]
fn a_definition_concludes_its_signature_with_its_linear_parameters_as_delta() {
    let c = accepted("def f(x: R ; y': R) -> (R ; R) = (x ; y')");
    let d = &c.derivations[0];
    assert_eq!(d.rule.name(), "T-Def");
    assert_eq!(checker::subject_text(d), "def f(x: R ; y': R) -> (R ; R)");
    assert_eq!(d.conclusion.consumed, ["y'"]);
    assert_eq!(d.conclusion.nonlinear, [TypeExpr::Real]);
    assert_eq!(d.conclusion.linear, [TypeExpr::Real]);
    assert_eq!(d.children.len(), 1);
    assert_eq!(d.children[0].rule.name(), "T-Block");
}

#[test]
fn a_block_is_one_node_whose_children_are_its_bindings_then_its_tail() {
    let c = accepted(
        "def f(x: R ; y': R) -> (R ; R) =\n\
           let a = sin(x) in\n\
           let (; b', c') = dup(y') in\n\
           let d' = a * b' in\n\
           (a ; d' + c')",
    );
    let block = &c.derivations[0].children[0];
    let rules: Vec<&str> = block.children.iter().map(|d| d.rule.name()).collect();
    // The tail `(a ; d' + c')` is sugar: its `+` is bound first.
    assert_eq!(rules, ["T-Let", "T-Let", "T-Let", "T-Let", "T-Ret"]);
    assert_eq!(block.conclusion.consumed, ["y'"]);
    // Each binding's derivation is its right-hand side's, nothing deeper.
    let dup = &block.children[1];
    assert_eq!(checker::subject_text(dup), "let (; b', c') =");
    assert_eq!(dup.conclusion.consumed, ["y'"]);
    assert_eq!(dup.conclusion.linear, [TypeExpr::Real, TypeExpr::Real]);
    assert_eq!(dup.children.len(), 1);
    assert_eq!(dup.children[0].rule.name(), "T-Dup");
    assert_eq!(dup.children[0].children[0].rule.name(), "T-LinVar");
}

#[test]
fn judgments_record_local_facts_only() {
    let c = accepted(
        "def f(x: R, p: <R, R> ; y': R) -> (R ; R) =\n\
           let <a, b> = p in\n\
           let s = a * b in\n\
           let t' = s * y' in\n\
           (x ; t')",
    );
    let json = serde_json::to_value(&c.derivations[0]).unwrap();
    let text = json.to_string();
    // No context is ever recorded: only subject, consumed and types.
    for key in ["subject", "consumed", "nonlinear", "linear"] {
        assert!(text.contains(key));
    }
    let unpack = &c.derivations[0].children[0].children[0];
    assert_eq!(unpack.rule.name(), "T-Unpack");
    assert_eq!(checker::subject_text(unpack), "let <a, b> = p");
    assert_eq!(
        unpack.conclusion.nonlinear,
        [TypeExpr::Real, TypeExpr::Real]
    );
    let scale = &c.derivations[0].children[0].children[2].children[0];
    assert_eq!(scale.rule.name(), "T-Scale");
    assert_eq!(checker::subject_text(scale), "s * y'");
    assert_eq!(scale.conclusion.consumed, ["y'"]);
    assert_eq!(
        scale
            .children
            .iter()
            .map(|d| d.rule.name())
            .collect::<Vec<_>>(),
        ["T-Var", "T-LinVar"]
    );
}

#[test]
fn derivations_grow_linearly_with_the_program() {
    let size = |n: usize| {
        let mut src = String::from("def f(x0: R ; y0': R) -> (R ; R) =\n");
        for i in 1..=n {
            src.push_str(&format!(
                "  let x{i} = x{} + 1.0 in let y{i}' = x{i} * y{}' in\n",
                i - 1,
                i - 1
            ));
        }
        src.push_str(&format!("  (x{n} ; y{n}')\n"));
        let c = accepted(&src);
        (c.derivations[0].size(), depth(&c.derivations[0]))
    };
    let (s1, d1) = size(1000);
    let (s2, d2) = size(2000);
    assert_eq!(s2 - s1, s1 - size(0).0, "not linear: {s1} then {s2}");
    assert_eq!(d1, d2, "a longer body made a deeper derivation");
}

fn depth(d: &Derivation) -> usize {
    let mut max = 0;
    let mut stack = vec![(d, 1)];
    while let Some((n, k)) = stack.pop() {
        max = max.max(k);
        stack.extend(n.children.iter().map(|c| (c, k + 1)));
    }
    max
}

#[test]
fn rule_names_are_the_table() {
    assert_eq!(RULES.len(), 18);
    for r in RULES {
        assert!(r.starts_with("T-"));
        assert_eq!(checker::Rule::named(r).map(|x| x.name()), Some(*r));
    }
}

// ---- Linear B ----

#[test]
fn jvp_like_mixed_functions_are_not_in_linear_b_and_are_named() {
    let src = "def sq(x: R) -> (R) = x * x\n\
               def sq_jvp(x: R ; dx': R) -> (R ; R) = (x * x ; (2.0 * x) * dx')\n\
               def lin(; dx': R) -> (; R) = 3.0 * dx'\n\
               def uses_lin(x: R ; dx': R) -> (R) = let () = drop(lin(; dx')) in x";
    let p = parse_ok("t", src);
    accept("t", src, &p, STRICT);
    let diags = check_linear_b(&p);
    let got: Vec<(&str, bool, bool)> = diags
        .iter()
        .map(|d| {
            (
                d.code(),
                d.message().contains("`sq_jvp`"),
                d.message().contains("`uses_lin`"),
            )
        })
        .collect();
    assert_eq!(got, [("E0301", true, false), ("E0301", false, true)]);
    let classes: Vec<Class> = p.funcs.iter().map(|f| classify(f, &p)).collect();
    assert_eq!(
        classes,
        [Class::Nonlinear, Class::Mixed, Class::Linear, Class::Mixed]
    );
}

#[test]
fn pure_nonlinear_and_pure_linear_programs_are_in_linear_b() {
    let src = "def f(x: R, y: R) -> (R) = let () = drop(y) in sin(x)\n\
               def g(c: R ; v': R, w': <R, R>) -> (; R, <R, R>) = (; c * v', w')\n\
               def h(x: R ; v': R) -> (; R) =\n\
                 let s = f(x, x) in\n\
                 let z' = zero<<R, R>> in\n\
                 let (; a', b') = g(s ; v', z') in\n\
                 let () = drop(b') in\n\
                 a'\n\
               def unit() -> () = ()";
    let p = parse_ok("t", src);
    accept("t", src, &p, STRICT);
    assert!(check_linear_b(&p).is_empty());
    let classes: Vec<Class> = p.funcs.iter().map(|f| classify(f, &p)).collect();
    assert_eq!(
        classes,
        [
            Class::Nonlinear,
            Class::Linear,
            Class::Linear,
            Class::Nonlinear
        ]
    );
}

#[test]
fn a_nonlinear_function_calling_a_linear_one_is_mixed_with_the_call_as_reason() {
    let src = "def g(x: R) -> () = let () = drop(x) in drop(zero)\n\
               def f(x: R) -> (R) = let () = g(x) in x";
    let p = parse_ok("t", src);
    let d = check_linear_b(&p);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code(), "E0303");
    assert!(d[0].message().contains("`f`") && d[0].message().contains("`g`"));
}

// ---- robustness ----

#[test]
fn malformed_trees_get_diagnostics_not_panics() {
    let mut p = parse_ok(
        "t",
        "def g(x: R) -> (R) = x\ndef f(x: R) -> (R) = let y = g(x) in sin(y)",
    );
    let Bind::Let { rhs, .. } = &mut p.funcs[1].body.binds[0] else {
        panic!()
    };
    let Expr::Call { func, .. } = rhs else {
        panic!()
    };
    *func = FuncId(99);
    let Expr::Prim { prim, args, .. } = &mut p.funcs[1].body.tail else {
        panic!()
    };
    *prim = PrimId(999);
    args.push(Atom::Var(Var {
        id: LocalId(77),
        span: Span::GENERATED,
    }));
    let diags = check(&p, prims(), STRICT).unwrap_err();
    assert!(diags.iter().all(|d| d.code == "E0217"), "{diags:?}");
    assert_eq!(diags.len(), 3);
    assert!(check_linear_b(&p).len() <= 1);
    assert!(checker::elaborate(&p, prims()).is_err());
}

#[test]
fn deeply_nested_blocks_check() {
    // Nesting is bounded by the parser; 150 nested let-blocks and drops check fine.
    let mut src = String::from("def f(x: R) -> (R) = ");
    for i in 0..150 {
        src.push_str(&format!("let a{i} = ("));
    }
    src.push('x');
    for i in (0..150).rev() {
        src.push_str(&format!(") in a{i}"));
    }
    accepted(&src);
}
