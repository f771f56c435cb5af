//! Scale: a body of a million `let`s checks, in linear time and without deep recursion (the
//! test runs on a test thread's ordinary 2 MiB stack), with a flat derivation; dup/drop
//! insertion handles one too.

mod common;

use common::*;
use std::time::Instant;

const LETS: usize = 1_000_000;

/// `let x1 = x0 + 1.0 in let y1' = x1 * y0' in ...`: a nonlinear and a linear chain
/// interleaved, `LETS` bindings in all.
fn chain(relaxed: bool) -> String {
    let mut src = String::with_capacity(LETS * 32);
    src.push_str("def f(x0: R ; y0': R) -> (R ; R) =\n");
    for i in 1..=LETS / 2 {
        let j = i - 1;
        if relaxed {
            // x{i} (but the last) never used, y{j}' used twice: dup/drop insertion has work.
            src.push_str(&format!("  let x{i} = x0 + 1.0 in\n"));
            src.push_str(&format!("  let y{i}' = y{j}' + y{j}' in\n"));
        } else {
            src.push_str(&format!("  let x{i} = x{j} + 1.0 in\n"));
            src.push_str(&format!("  let y{i}' = x{i} * y{j}' in\n"));
        }
    }
    let n = LETS / 2;
    src.push_str(&format!("  (x{n} ; y{n}')\n"));
    src
}

#[test]
fn a_million_let_body_checks_with_a_flat_derivation() {
    let src = chain(false);
    let t = Instant::now();
    let p = parse_ok("million.la", &src);
    let parsed = t.elapsed();
    let t = Instant::now();
    let checked = accept("million.la", &src, &p, STRICT);
    let elapsed = t.elapsed();
    let def = &checked.derivations[0];
    assert_eq!(def.rule.name(), "T-Def");
    let block = &def.children[0];
    assert_eq!(block.rule.name(), "T-Block");
    assert_eq!(block.children.len(), LETS + 1);
    assert!(
        block
            .children
            .iter()
            .all(|d| d.children.iter().all(|c| c.children.len() <= 2))
    );
    println!(
        "parse {parsed:?}, check {elapsed:?}, derivation of {} nodes",
        def.size()
    );
    drop(checked);
    let e = checker::elaborate(&p, prims()).unwrap();
    assert!(e == p, "elaboration changed a strict program");
}

#[test]
fn dup_drop_insertion_handles_a_million_lets() {
    let src = chain(true);
    let p = parse_ok("million_relaxed.la", &src);
    let t = Instant::now();
    let e = checker::elaborate(&p, prims()).unwrap();
    println!("elaborate {:?}", t.elapsed());
    // One dup per y' but the last, one drop per x but the last.
    let lets = e.funcs[0].body.binds.len();
    assert_eq!(lets, LETS + 2 * (LETS / 2) - 1);
    checker::check(&e, prims(), STRICT).unwrap();
}
