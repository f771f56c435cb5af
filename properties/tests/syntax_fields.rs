//! Every field of the syntax tree survives printing: `parse(print(p)) == p` field by field on a
//! program that gives each field a value other than its default (a checkpoint mark, dotted
//! names, a type alias, both sorts of parameters and results, every binding and expression form, literals
//! that print unusually), and on the outputs of every pass over a marked program. The
//! destructuring below names every field of `FnDef` and the matches name every variant of
//! `Bind` and `Expr`, so a new field or form does not compile until it is covered here.

use semantics::{Atom, Bind, Block, Expr, FnDef, PrimTable, Program, Type, parse, print};

const EVERY_FORM: &str = "\
type pair = <R, R>

def g.inner(a: R ; u': R) -> (R ; R) = (sin(a) ; a * u')

@checkpoint
def h(a: R, t: <R, pair>, w: <> ; u': R, v': pair) -> (R, <R, R>, <> ; pair, R) =
  let <b, c> = t in
  let <c1, c2> = c in
  let <v1', v2'> = v' in
  let s = pow(a, -2.5) in
  let n = -b in
  let q = let r = c1 / 1e-7 in r - c2 in
  let (m ; m') = g.inner(s ; u') in
  let k = <m, -0.0> in
  let (; d1', d2') = dup(v1') in
  let e' = d1' + d2' in
  let f' = q * e' in
  let z' = zero<<R, R>> in
  let () = drop(let y = n * 1.7976931348623157e308 in (y, k ; z')) in
  let o' = <f', v2'> in
  (m, k, w ; o', m')
";

/// Which forms a program uses: each `Bind` and `Expr` variant, and the mark.
fn forms(p: &Program) -> Vec<&'static str> {
    let mut seen = Vec::new();
    let mut blocks: Vec<&Block> = p.funcs.iter().map(|f| &f.body).collect();
    while let Some(b) = blocks.pop() {
        for bind in &b.binds {
            match bind {
                Bind::Let { nl, lin, rhs, .. } => {
                    if !nl.is_empty() && !lin.is_empty() {
                        seen.push("let of both sorts");
                    }
                    seen.push(expr_form(rhs, &mut blocks));
                }
                Bind::Unpack { .. } => seen.push("unpack"),
            }
        }
        seen.push(expr_form(&b.tail, &mut blocks));
    }
    if p.funcs.iter().any(|f| f.checkpoint) {
        seen.push("checkpoint");
    }
    seen.sort();
    seen.dedup();
    seen
}

fn expr_form<'a>(e: &'a Expr, blocks: &mut Vec<&'a Block>) -> &'static str {
    match e {
        Expr::Ret { .. } => "ret",
        Expr::Tuple { .. } => "tuple",
        Expr::LTuple { .. } => "ltuple",
        Expr::Call { .. } => "call",
        Expr::Prim { args, .. } => {
            if args
                .iter()
                .any(|a| matches!(a, Atom::Lit(x, _) if *x < 0.0))
            {
                "prim with a negative literal"
            } else {
                "prim"
            }
        }
        Expr::LAdd { .. } => "ladd",
        Expr::Scale { .. } => "scale",
        Expr::Zero { ty, .. } => {
            if matches!(ty, Type::Tuple(_)) {
                "zero of a tuple"
            } else {
                "zero"
            }
        }
        Expr::Dup { .. } => "dup",
        Expr::Drop { body, .. } => {
            blocks.push(body);
            "drop"
        }
        Expr::Block(b) => {
            blocks.push(b);
            "block"
        }
    }
}

/// Compares `p` with `parse(print(p))` field by field, naming the first field that differs.
fn assert_round_trip(p: &Program, what: &str) {
    let text = print(p);
    let q = parse(&text).unwrap_or_else(|d| panic!("{what}: {}\n{text}", d[0].message));
    assert_eq!(q.funcs.len(), p.funcs.len(), "{what}: functions\n{text}");
    for (f, g) in p.funcs.iter().zip(&q.funcs) {
        let FnDef {
            name,
            checkpoint,
            name_span: _,
            params,
            lparams,
            results,
            lresults,
            locals,
            body,
            span: _,
        } = f;
        let at = |field: &str| format!("{what}: `{name}`'s {field} changes in print\n{text}");
        assert_eq!(&g.name, name, "{}", at("name"));
        assert_eq!(&g.checkpoint, checkpoint, "{}", at("checkpoint mark"));
        assert_eq!(&g.params, params, "{}", at("parameters"));
        assert_eq!(&g.lparams, lparams, "{}", at("linear parameters"));
        assert_eq!(&g.results, results, "{}", at("results"));
        assert_eq!(&g.lresults, lresults, "{}", at("linear results"));
        assert_eq!(&g.locals, locals, "{}", at("locals"));
        assert_eq!(&g.body, body, "{}", at("body"));
    }
    assert!(q == *p, "{what}: parse(print(p)) != p");
}

#[test]
fn every_syntax_field_survives_parse_of_print() {
    let p = parse(EVERY_FORM).unwrap_or_else(|d| panic!("{}", d[0].message));
    let want = [
        "block",
        "call",
        "checkpoint",
        "drop",
        "dup",
        "ladd",
        "let of both sorts",
        "ltuple",
        "prim",
        "prim with a negative literal",
        "ret",
        "scale",
        "tuple",
        "unpack",
        "zero of a tuple",
    ];
    assert_eq!(forms(&p), want, "the program uses every form");
    assert!(p.funcs[1].checkpoint && !p.funcs[0].checkpoint);
    checker::check(&p, PrimTable::standard(), checker::Options::default())
        .unwrap_or_else(|d| panic!("well-typed: {}", d[0].message));
    assert_round_trip(&p, "every form");
}

#[test]
fn every_pass_output_keeps_its_fields_through_print() {
    let src = "\
@checkpoint
def f(x: R, t: <R, R>) -> (R, <R, R>) =
  let <a, b> = t in
  let y = sin(x * a) - b in
  let () = drop(cos(y)) in
  (y * -3.0, <b, a>)

def g(x: R) -> (R) =
  let (u, v) = f(x, <x, 2.0>) in
  let <p, q> = v in
  u + p * q
";
    let prims = PrimTable::standard();
    let p = parse(src).unwrap();
    assert_round_trip(&p, "source");
    let e = checker::elaborate(&p, prims).unwrap();
    assert_round_trip(&e, "elaborate");
    let j = rewrite::jvp(&p, prims).unwrap();
    assert!(j.funcs[0].checkpoint, "jvp carries the mark");
    assert_round_trip(&j, "jvp");
    for policy in [
        rewrite::Policy::SaveAll,
        rewrite::Policy::RecomputeAll,
        rewrite::Policy::Budget(1),
    ] {
        let v = rewrite::vjp(&p, prims, policy).unwrap();
        assert_round_trip(&v.unzipped.program, "unzip");
        assert_round_trip(&v.program, "vjp");
    }
}
