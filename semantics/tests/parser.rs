//! Parser claims: every construct of SPEC §1 parses to the core tree it denotes, every sugar
//! means the core program it abbreviates, and errors point at the right line and column.

use semantics::*;

fn parse_ok(src: &str) -> Program {
    match parse(src) {
        Ok(p) => p,
        Err(d) => panic!("parse failed:\n{}", render(&d, "test.la", src)),
    }
}

/// Sugar claim: `sugared` parses to exactly the program `core` spells out.
fn same(sugared: &str, core: &str) {
    let (a, b) = (parse_ok(sugared), parse_ok(core));
    assert_eq!(print(&a), print(&b), "printed forms differ");
    assert_eq!(a, b, "trees differ");
}

fn body(p: &Program) -> &Block {
    &p.funcs.last().unwrap().body
}

fn first_error(src: &str) -> (String, usize, usize) {
    let diags = parse(src).expect_err("should not parse");
    let span = diags[0].primary_span().unwrap();
    let (l, c) = LineIndex::new(src).line_col(span.start as usize);
    (diags[0].code.to_string(), l, c)
}

// ---- constructs ----

#[test]
fn single_values_are_returns_on_the_side_their_spelling_says() {
    let p = parse_ok(
        "def f(x: R ; y': R) -> (R ; R) = (x ; y')\ndef g(x: R) -> (R) = x\ndef h(; y': R) -> (; R) = y'",
    );
    assert!(
        matches!(&p.funcs[0].body.tail, Expr::Ret { nl, lin, .. } if nl.len() == 1 && lin.len() == 1)
    );
    assert!(
        matches!(&p.funcs[1].body.tail, Expr::Ret { nl, lin, .. } if nl.len() == 1 && lin.is_empty())
    );
    assert!(
        matches!(&p.funcs[2].body.tail, Expr::Ret { nl, lin, .. } if nl.is_empty() && lin.len() == 1)
    );
}

#[test]
fn literals_including_negative_and_exponent() {
    let p = parse_ok("def f() -> (R, R, R, R) = (1, 2.5, 1e-3, -2.5)");
    let Expr::Ret { nl, .. } = &body(&p).tail else {
        panic!()
    };
    let xs: Vec<f64> = nl
        .iter()
        .map(|a| {
            if let Atom::Lit(x, _) = a {
                *x
            } else {
                f64::NAN
            }
        })
        .collect();
    assert_eq!(xs, vec![1.0, 2.5, 1e-3, -2.5]);
}

#[test]
fn minus_before_a_number_with_space_is_negation_and_binary_minus_stays_binary() {
    let p = parse_ok("def f(x: R) -> (R) = - 1");
    assert!(matches!(
        &body(&p).tail,
        Expr::Prim {
            prim: PrimId::NEG,
            ..
        }
    ));
    let p = parse_ok("def f(x: R) -> (R) = x -1");
    assert!(matches!(
        &body(&p).tail,
        Expr::Prim {
            prim: PrimId::SUB,
            ..
        }
    ));
    let p = parse_ok("def f(x: R) -> (R) = -x");
    assert!(matches!(
        &body(&p).tail,
        Expr::Prim {
            prim: PrimId::NEG,
            ..
        }
    ));
}

#[test]
fn let_forms_single_linear_and_multi() {
    let p = parse_ok(
        "def f(x: R ; y': R) -> (R ; R) =\n\
         let a = x in let b' = y' in let (c, d ; e') = (a, a ; b') in (c ; e')",
    );
    let b = body(&p);
    assert_eq!(b.binds.len(), 3, "a let chain is one flat block");
    let f = &p.funcs[0];
    let Bind::Let { nl, lin, .. } = &b.binds[2] else {
        panic!()
    };
    let names: Vec<_> = nl.iter().chain(lin).map(|&i| f.name_of(i)).collect();
    assert_eq!(names, ["c", "d", "e'"]);
    assert_eq!(lin.len(), 1);
}

#[test]
fn destructuring_nonlinear_and_linear_tuples() {
    let p = parse_ok(
        "def f(t: <R, R> ; u': <R, R>) -> (R ; R) = let <a, b> = t in let <c', d'> = u' in (a ; c')",
    );
    let b = body(&p);
    assert!(matches!(&b.binds[0], Bind::Unpack { binders, .. } if binders.len() == 2));
    assert!(matches!(&b.binds[1], Bind::Unpack { binders, .. } if binders.len() == 2));
}

#[test]
fn tuple_builds_by_sort() {
    let p = parse_ok(
        "def f(a: R ; y': R, z': R) -> (<R, R>, <> ; <R, R>) = let t = <a, a> in let u = <> in let v' = <y', z'> in (t, u ; v')",
    );
    let b = body(&p);
    let rhs = |i: usize| match &b.binds[i] {
        Bind::Let { rhs, .. } => rhs.clone(),
        _ => panic!(),
    };
    assert!(matches!(rhs(0), Expr::Tuple { items, .. } if items.len() == 2));
    assert!(matches!(rhs(1), Expr::Tuple { items, .. } if items.is_empty()));
    assert!(matches!(rhs(2), Expr::LTuple { items, .. } if items.len() == 2));
}

#[test]
fn calls_with_both_sides_and_without_semicolon() {
    let p = parse_ok(
        "def g(x: R ; y': R) -> (R ; R) = (x ; y')\n\
         def h(x: R, z: R) -> (R) = x * z\n\
         def f(x: R ; y': R) -> (R ; R) = let (a ; b') = g(x ; y') in let c = h(a, a) in (c ; b')",
    );
    let b = body(&p);
    assert!(
        matches!(&b.binds[0], Bind::Let { rhs: Expr::Call { func: FuncId(0), nl, lin, .. }, .. } if nl.len() == 1 && lin.len() == 1)
    );
    assert!(
        matches!(&b.binds[1], Bind::Let { rhs: Expr::Call { func: FuncId(1), nl, lin, .. }, .. } if nl.len() == 2 && lin.is_empty())
    );
}

#[test]
fn every_primitive_of_the_table_parses_as_a_primitive() {
    for (id, row) in PrimTable::standard().rows() {
        let args = vec!["x"; row.arity].join(", ");
        let src = format!("def f(x: R) -> (R) = {}({args})", row.name);
        let p = parse_ok(&src);
        assert!(
            matches!(&body(&p).tail, Expr::Prim { prim, args, .. } if *prim == id && args.len() == row.arity),
            "{src}"
        );
    }
}

#[test]
fn a_user_function_named_like_a_primitive_shadows_it_below_its_definition() {
    let p = parse_ok(
        "def add(x: R, y: R) -> (R) = x * y\ndef f(x: R) -> (R) = let a = add(x, x) in a + a",
    );
    let b = body(&p);
    assert!(matches!(
        &b.binds[0],
        Bind::Let {
            rhs: Expr::Call {
                func: FuncId(0),
                ..
            },
            ..
        }
    ));
    // The operator still means the primitive.
    assert!(matches!(
        &b.tail,
        Expr::Prim {
            prim: PrimId::ADD,
            ..
        }
    ));
}

#[test]
fn operators_by_sort() {
    let p = parse_ok(
        "def f(a: R, b: R ; y': R, z': R) -> (R ; R) = let c = a * b in let s' = a * y' in let t' = z' * c in (c ; s' + t')",
    );
    let b = body(&p);
    let rhs = |i: usize| match &b.binds[i] {
        Bind::Let { rhs, .. } => rhs.clone(),
        _ => panic!(),
    };
    assert!(matches!(
        rhs(0),
        Expr::Prim {
            prim: PrimId::MUL,
            ..
        }
    ));
    assert!(matches!(rhs(1), Expr::Scale { .. }));
    // `y' * a` is accepted as `a * y'`.
    assert!(
        matches!(rhs(2), Expr::Scale { scalar: Atom::Var(v), .. } if p.funcs[0].name_of(v.id) == "c")
    );
    let Expr::Ret { lin, .. } = &b.tail else {
        panic!()
    };
    assert_eq!(lin.len(), 1);
    assert!(matches!(
        &b.binds[3],
        Bind::Let {
            rhs: Expr::LAdd { .. },
            ..
        }
    ));
}

#[test]
fn zero_dup_drop() {
    let p = parse_ok(
        "def f(x: R ; y': R) -> (; R, R, <R, R>, R) =\n\
         let () = drop(x) in let (; a', b') = dup(y') in let z' = zero<<R, R>> in let w' = zero in (; a', b', z', w')",
    );
    let b = body(&p);
    assert!(
        matches!(&b.binds[0], Bind::Let { nl, lin, rhs: Expr::Drop { .. }, .. } if nl.is_empty() && lin.is_empty())
    );
    assert!(matches!(
        &b.binds[1],
        Bind::Let {
            rhs: Expr::Dup { .. },
            ..
        }
    ));
    assert!(
        matches!(&b.binds[2], Bind::Let { rhs: Expr::Zero { ty, .. }, .. } if *ty == Type::Tuple(vec![Type::Real, Type::Real]))
    );
    assert!(matches!(
        &b.binds[3],
        Bind::Let {
            rhs: Expr::Zero { ty: Type::Real, .. },
            ..
        }
    ));
}

#[test]
fn comments_and_dotted_function_names() {
    let p = parse_ok("# a comment\ndef f.jvp(x: R) -> (R) = x # trailing\n");
    assert_eq!(p.funcs[0].name, "f.jvp");
}

// ---- sugar ----

#[test]
fn nested_expressions_become_lets_left_to_right() {
    same(
        "def f(x: R, y: R) -> (R) = sin(x * y) + x",
        "def f(x: R, y: R) -> (R) = let _t1 = x * y in let _t2 = sin(_t1) in _t2 + x",
    );
    same(
        "def f(a: R, b: R) -> (R) = (a + b) * (a - b)",
        "def f(a: R, b: R) -> (R) = let _t1 = a + b in let _t2 = a - b in _t1 * _t2",
    );
}

#[test]
fn nested_linear_expressions_become_linear_lets() {
    same(
        "def f(c: R ; a': R, b': R) -> (; R) = c * (a' + b')",
        "def f(c: R ; a': R, b': R) -> (; R) = let _t1' = a' + b' in c * _t1'",
    );
}

#[test]
fn linear_negation_and_subtraction_are_scaling_by_minus_one() {
    same(
        "def f(; y': R) -> (; R) = -y'",
        "def f(; y': R) -> (; R) = -1.0 * y'",
    );
    same(
        "def f(; a': R, b': R) -> (; R) = a' - b'",
        "def f(; a': R, b': R) -> (; R) = let _t1' = -1.0 * b' in a' + _t1'",
    );
}

#[test]
fn semicolon_may_be_left_out_when_the_linear_side_is_empty() {
    same(
        "def f(x: R, y: R) -> (R, R) = (x, y)",
        "def f(x: R, y: R ;) -> (R, R ;) = (x, y ;)",
    );
    same("def f(x: R) -> (R) = x", "def f(x: R ;) -> (R ;) = (x ;)");
}

#[test]
fn plain_zero_means_zero_of_r() {
    same("def f() -> (; R) = zero", "def f() -> (; R) = zero<R>");
}

#[test]
fn a_parenthesised_single_expression_is_grouping() {
    same(
        "def f(; y': R) -> (; R) = (y')",
        "def f(; y': R) -> (; R) = (; y')",
    );
    same("def f(x: R) -> (R) = ((x))", "def f(x: R) -> (R) = x");
}

#[test]
fn a_grouped_let_block_in_tail_position_is_spliced_flat() {
    let p = parse_ok("def f(x: R) -> (R) = let a = x in (let b = a in b)");
    assert_eq!(body(&p).binds.len(), 2);
    same(
        "def f(x: R) -> (R) = let a = x in (let b = a in b)",
        "def f(x: R) -> (R) = let a = x in let b = a in b",
    );
}

#[test]
fn nested_expressions_in_tuples_calls_and_destructuring() {
    same(
        "def g(x: R) -> (<R, R>) = <x, x>\ndef f(x: R) -> (R) = let <a, b> = g(sin(x)) in <a + b, 1.0>",
        "def g(x: R) -> (<R, R>) = <x, x>\ndef f(x: R) -> (R) = let _t1 = sin(x) in let _t2 = g(_t1) in let <a, b> = _t2 in let _t3 = a + b in <_t3, 1.0>",
    );
}

#[test]
fn fresh_names_avoid_every_name_in_the_file() {
    let p = parse_ok("def f(_t1: R, y: R) -> (R) = let _t2 = _t1 in sin(_t2 * y)");
    let names: Vec<_> = p.funcs[0].locals.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["_t1", "y", "_t2", "_t3"]);
}

#[test]
fn a_long_operator_chain_is_a_loop_not_a_tree() {
    let n = 200_000;
    let src = format!("def f(x: R) -> (R) = x{}", " + x".repeat(n));
    let p = parse_ok(&src);
    assert_eq!(body(&p).binds.len(), n - 1);
}

// ---- errors ----

#[test]
fn syntax_errors_report_line_and_column() {
    assert_eq!(
        first_error("def f(x: R) -> (R) =\n  let y = 2.0 in\n  y * (x + )\n"),
        ("E0103".into(), 3, 12)
    );
    assert_eq!(
        first_error("def f(x: R) -> (R) = x $ 1"),
        ("E0101".into(), 1, 24)
    );
    assert_eq!(
        first_error("def f(x: R) -> (R) =\n\n    zz"),
        ("E0111".into(), 3, 5)
    );
    // Columns count characters, not bytes.
    assert_eq!(
        first_error("# é\ndef f(x: R) -> (R) = « x"),
        ("E0101".into(), 2, 22)
    );
}

#[test]
fn several_errors_are_reported_per_file() {
    let diags = parse("def f(x R) -> (R) = x\ndef g(x: R) -> (R) = y\ndef h(x: R) -> (R) = q(x)")
        .unwrap_err();
    let codes: Vec<_> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0103", "E0111", "E0110"]);
}

#[test]
fn too_deep_nesting_is_an_error_not_a_crash() {
    let src = format!(
        "def f(x: R) -> (R) = {}x{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert_eq!(first_error(&src).0, "E0104");
    let src = format!("def f(x: R) -> (R) = {}x", "-".repeat(100_000));
    assert_eq!(first_error(&src).0, "E0104");
    let src = format!(
        "def f(x: {}R{}) -> (R) = x",
        "<".repeat(100_000),
        ">".repeat(100_000)
    );
    assert_eq!(first_error(&src).0, "E0104");
}

#[test]
fn other_front_end_faults_have_their_codes() {
    assert_eq!(first_error("def f() -> (R) = 1e999").0, "E0102");
    assert_eq!(
        first_error("def f(x: R) -> (R) = let a.b = x in x").0,
        "E0105"
    );
    assert_eq!(
        first_error("def f(x: R ; y': R) -> (R) = sin(x ; y')").0,
        "E0106"
    );
    assert_eq!(
        first_error("def f(; y': R) -> (; R) = sin(dup(y'))").0,
        "E0107"
    );
    assert_eq!(
        first_error("def f(x: R) -> (R) = let <a, b> = 1.0 in a").0,
        "E0108"
    );
    assert_eq!(first_error("def f(x: R) -> (R) = %sine(x)").0, "E0113");
}

/// `%name` is the primitive even below a user function of that name.
#[test]
fn percent_names_the_primitive_below_a_shadowing_function() {
    let p = parse_ok(
        "def cos(x: R) -> (R) = x
def f(x: R) -> (R) = cos(%cos(x))",
    );
    let f = body(&p);
    assert!(matches!(
        &f.binds[0],
        Bind::Let {
            rhs: Expr::Prim { .. },
            ..
        }
    ));
    assert!(matches!(&f.tail, Expr::Call { .. }));
    assert_eq!(print(&p).matches("%cos(x)").count(), 1, "{}", print(&p));
    // Where nothing shadows it, the primitive prints plainly.
    let q = parse_ok("def f(x: R) -> (R) = %cos(x)");
    assert_eq!(print(&q), "def f(x: R) -> (R) =\n  cos(x)\n");
}

#[test]
fn garbage_never_panics() {
    let samples = [
        "",
        "def",
        "def f",
        "def f(",
        "def f(x: R) ->",
        "def f(x: R) -> (R) =",
        ")))",
        "<<<>>>",
        "let in",
        "def f(x: R) -> (R) = let",
        "def f(x: R) -> (R) = let (",
        "def f(x: R) -> (R) = let <> = x in x",
        "def f(x: R) -> (R) = dup(",
        "def f(x: R) -> (R) = drop(",
        "def f(x: R) -> (R) = zero<",
        "'''",
        "def f'(x: R) -> (R) = x",
        "def f(x: R) -> (R) = f'(x)",
        "def f(x: R) -> (R) = x -",
        "\u{0}\u{ffff}",
        "def f(x: R) -> (R) = (x ; ; x)",
        "def f(x: R) -> (R) = - - - -",
    ];
    for s in samples {
        let _ = parse(s);
    }
    // Every prefix of a real program.
    let prog = "def g(x: R ; y': R) -> (R ; R) = let (; a', b') = dup(y') in (sin(x * x) ; -(a' + 2.0 * b'))\n";
    for i in 0..prog.len() {
        let _ = parse(&prog[..i]);
    }
}

/// Issue 10.5: error recovery past a stray attribute stopped before a `def` it had not consumed,
/// and the definition after it stored its signature one slot too far (an index panic).
#[test]
fn recovery_after_a_stray_attribute_never_panics_and_keeps_later_signatures() {
    for src in [
        "@)def s(a:R)->()",
        "@checkpoint x)\ndef f(x: R) -> (R)",
        "@\ndef f(x: R) -> (R) = x",
        "@@def f(x: R) -> (R) = x",
        "@) @) @)def f(x: R) -> (R) = x",
    ] {
        assert!(parse(src).is_err(), "{src:?} should be rejected");
    }
    // The definition after the stray attribute is parsed with its own signature: the only error
    // is the attribute's, so a later call of `g` is resolved against `g`'s arity.
    let src = "@)\ndef g(x: R) -> (R, R) = (x, x)\ndef h(x: R) -> (R) = let (a, b) = g(x) in a * b";
    let diags = parse(src).unwrap_err();
    let codes: Vec<_> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0103"], "{}", render(&diags, "t.la", src));
    // A stray attribute before every definition of a real program, at every position.
    let prog = "def g(x: R) -> (R) = sin(x)\n@checkpoint def h(x: R) -> (R) = g(x) * x\n";
    for i in 0..=prog.len() {
        if prog.is_char_boundary(i) {
            let _ = parse(&format!("{}@){}", &prog[..i], &prog[i..]));
        }
    }
}

/// Issue 10.2: a file of many faults on one long line rendered every fault with the whole line
/// (1.2 GB for 8,000 malformed definitions). Diagnostics are capped, with a final count, and a
/// long line is shown as a window around the label, with the true line and column.
#[test]
fn error_output_is_capped_and_long_lines_are_windowed() {
    let src = format!(
        "def f(x: R) -> (R) = {}x{}",
        "sin(".repeat(8000),
        ")".repeat(8000)
    );
    let src = src.replace("sin(", "def f(x: R) -> (R) = sin(");
    let diags = parse(&src).unwrap_err();
    assert_eq!(diags.len(), MAX_DIAGNOSTICS + 1);
    let last = diags.last().unwrap();
    assert_eq!(last.code, "E0100");
    assert!(last.message.contains("more not shown"), "{}", last.message);
    let text = render(&diags, "t.la", &src);
    // Each diagnostic shows at most a window of its line, not the 200 KB line.
    assert!(text.len() < 60 * 1000, "{} bytes rendered", text.len());
    assert!(text.contains("E0100"));

    // The window keeps the true column in the location and the caret under the fault.
    let src = format!("def f(x: R) -> (R) = {}x $ 1", "x + ".repeat(50_000));
    let diags = parse(&src).unwrap_err();
    let col = src.find('$').unwrap() + 1;
    let text = render(&diags, "t.la", &src);
    assert!(text.contains(&format!("t.la:1:{col}")), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    let shown = lines.iter().position(|l| l.contains("x $ 1")).unwrap();
    let caret = lines[shown + 1].find('^').unwrap();
    assert_eq!(lines[shown].as_bytes()[caret], b'$', "{text}");
    assert!(text.len() < 2000, "{text}");
}

/// Issue 10.9: 100 MB of NUL bytes made the lexer ask for 3.5 GB (a diagnostic per byte). A run
/// of characters that are not Linear A is one fault, and the kept diagnostics are capped.
#[test]
fn lexer_memory_is_bounded_by_the_input() {
    let src = "\0".repeat(10_000_000);
    let diags = parse(&src).unwrap_err();
    assert_eq!(diags.len(), 1);
    assert!(
        diags[0]
            .message
            .starts_with("10000000 unexpected characters")
    );
    let src = "$ ".repeat(1_000_000);
    let diags = parse(&src).unwrap_err();
    assert_eq!(diags.len(), MAX_DIAGNOSTICS + 1);
    assert!(
        diags[MAX_DIAGNOSTICS]
            .message
            .starts_with("too many errors: 999950 more")
    );
}

/// Type aliases: declared above their use, the same type as their definition, printed once
/// before the functions that use them; unknown and twice-declared names are errors.
#[test]
fn type_aliases_declare_once_and_round_trip() {
    let src = "type pair = <R, R>\ntype quad = <pair, pair>\n\
               def f(p: quad) -> (pair) =\n  let <a, b> = p in\n  a\n";
    let p = parse_ok(src);
    let f = &p.funcs[0];
    assert_eq!(f.params[0].ty.to_string(), "quad");
    assert_eq!(f.params[0].ty.size(), 4);
    assert!(
        f.params[0]
            .ty
            .same(&parse_ok("def g(p: <<R, R>, <R, R>>) -> () = drop(p)").funcs[0].params[0].ty)
    );
    let text = print(&p);
    assert!(
        text.starts_with("type pair = <R, R>\ntype quad = <pair, pair>\n\ndef f"),
        "{text}"
    );
    assert_eq!(parse_ok(&text), p);
    assert_eq!(first_error("def f(p: pair) -> (R) = 1.0").0, "E0114");
    assert_eq!(
        first_error("type p = R\ntype p = <R>\ndef f() -> (R) = 1.0").0,
        "E0115"
    );
    // JSON spells a named type by its name (linear in size), and refuses to read one back.
    let json = serde_json::to_string(&f.params[0].ty).unwrap();
    assert_eq!(json, r#"{"Named":"quad"}"#);
    assert!(serde_json::from_str::<Type>(&json).is_err());
    assert_eq!(
        serde_json::to_string(&Type::Tuple(vec![Type::Real])).unwrap(),
        r#"{"Tuple":["Real"]}"#
    );
    // An alias used before its declaration is unknown there.
    assert_eq!(
        first_error("def f(p: q) -> (R) = 1.0\ntype q = R").0,
        "E0114"
    );
}

/// Found by fuzzing: `neg(x')` (ill-typed) printed as `-x'`, which reads back as linear
/// negation (a scale). A primitive with a linear operand keeps its call spelling.
#[test]
fn arithmetic_primitives_of_linear_variables_print_as_calls() {
    for src in [
        "def k(x': R) -> () = neg(x')",
        "def k(x': R, y': R) -> (; R) = add(x', y')",
        "def k(y': R) -> (; R) = mul(2.0, y')",
        "def k(y': R) -> (; R) = sub(y', 1.0)",
    ] {
        let p = parse_ok(src);
        let text = print(&p);
        assert_eq!(parse_ok(&text), p, "{src} printed as\n{text}");
    }
}

// ---- the lexer's window: what is decided after the whole file is lexed ----

/// `n` one-line functions `h{i}`: filler that puts many windows of tokens between a use and a
/// definition.
fn filler(n: usize) -> String {
    (0..n)
        .map(|i| format!("def h{i}(x: R) -> (R) = x\n"))
        .collect()
}

#[test]
fn a_call_of_a_function_defined_far_below_names_it() {
    // `g` is defined after 20,000 lines: the call is read long before its definition is lexed.
    let src = format!(
        "def f(x: R) -> (R) = g(x) * x\n{}def g(x: R) -> (R) = x",
        filler(20_000)
    );
    let flat = parse_flat(&src).unwrap();
    let g = flat.func_named("g").unwrap();
    assert_eq!(g.0 as usize, flat.funcs.len() - 1);
    let calls: Vec<FuncId> = flat
        .binds_of(flat.block(flat.funcs[0].body).unwrap())
        .iter()
        .filter_map(|b| match b {
            FlatBind::Let {
                rhs: FlatExpr::Call { func, .. },
                ..
            } => Some(*func),
            _ => None,
        })
        .collect();
    assert_eq!(calls, [g]);
}

#[test]
fn a_temporary_avoids_a_name_of_its_form_far_below() {
    // `sin(x)` needs a temporary before `_t1` and `_t2` are lexed; it must avoid both.
    let src = format!(
        "def f(x: R) -> (R) = sin(x) * x\n{}def g(_t1: R, _t2: R) -> (R) = _t1 * _t2",
        filler(20_000)
    );
    let p = parse_ok(&src);
    let names: Vec<_> = p.funcs[0].locals.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["x", "_t3"]);
    // And the same program with the definitions' order reversed makes the same temporary.
    let src = format!(
        "def g(_t1: R, _t2: R) -> (R) = _t1 * _t2\n{}def f(x: R) -> (R) = sin(x) * x",
        filler(20_000)
    );
    let p = parse_ok(&src);
    let f = p.funcs.last().unwrap();
    let names: Vec<_> = f.locals.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["x", "_t3"]);
}

#[test]
fn unknown_functions_met_early_are_reported_in_source_order_among_other_faults() {
    // 60 functions, each with an unknown call and then an unbound name, ahead of a long tail:
    // the unknown calls are decided only at the end, yet the first 50 faults of the file are
    // reported, alternating, in source order, and all 120 are counted.
    let mut src: String = (0..60)
        .map(|i| format!("def k{i}(x: R) -> (R) = nosuch{i}(x) * nobody{i}\n"))
        .collect();
    src += &filler(20_000);
    let diags = parse(&src).unwrap_err();
    assert_eq!(diags.len(), MAX_DIAGNOSTICS + 1);
    let codes: Vec<&str> = diags[..MAX_DIAGNOSTICS].iter().map(|d| d.code).collect();
    let expected: Vec<&str> = (0..MAX_DIAGNOSTICS)
        .map(|i| if i % 2 == 0 { "E0110" } else { "E0111" })
        .collect();
    assert_eq!(codes, expected);
    let starts: Vec<u32> = diags[..MAX_DIAGNOSTICS]
        .iter()
        .map(|d| d.primary_span().unwrap().start)
        .collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(diags[0].message, "unknown function `nosuch0`");
    assert!(diags[MAX_DIAGNOSTICS].message.contains("70 more"));
}

/// The name index answers every name as `func_named` does: the last of duplicates, none for a
/// name no function has, and a pushed function is found at once.
#[test]
fn func_index_answers_as_func_named() {
    let mut p = parse_ok("def f(x: R) -> (R) = x\ndef g(x: R) -> (R) = f(x)\n");
    let (f, g) = (p.funcs[0].clone(), p.funcs[1].clone());
    let mut renamed = |d: &FnDef, name: &str| {
        let mut d = d.clone();
        d.name = name.to_string();
        p.funcs.push(d);
    };
    for (i, name) in ["h", "f", "k", "g", "f", "h", "f.jvp"].iter().enumerate() {
        renamed(if i % 2 == 0 { &f } else { &g }, name);
    }
    let index = p.index();
    assert_eq!(index.len(), p.funcs.len());
    for name in ["f", "g", "h", "k", "f.jvp", "f.jv", "", "F", "ff"] {
        assert_eq!(index.get(name), p.func_named(name), "{name}");
    }
    assert_eq!(index.get("f"), Some(FuncId(6)));
    assert_eq!(index.get("nope"), None);
    let names: Vec<String> = (0..3).map(|i| format!("n{i}")).collect();
    let mut built = FuncIndex::new(names.iter().map(String::as_str));
    assert_eq!(built.get("n1"), Some(FuncId(1)));
    let again = "n1".to_string();
    assert_eq!(built.push(&again), FuncId(3));
    assert_eq!((built.get("n1"), built.len()), (Some(FuncId(3)), 4));
}
