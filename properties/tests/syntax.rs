//! Claims about the concrete syntax (SPEC §1) on generated programs.
//!
//! The printer prints the core form and the parser reads it back: `parse(print(p)) == p` for
//! every core program `p` (spans aside), and printing is idempotent. Generated sources use the
//! surface sugar (nested expressions, `-x'`, `y' * a`, `(x)` grouping, inline tuples), so
//! `p = parse(src)` is the desugared core program. The claim is checked on the generators'
//! programs, strict and relaxed, and on the outputs of the transformations (JVP and dup/drop
//! insertion), which are built as trees, not parsed.

use properties::harness::{fail, run};
use properties::{linear, nonlinear, parse_generated};
use proptest::prelude::*;
use semantics::{PrimTable, Program, parse, print};

fn round_trip(p: &Program, what: &str) -> Result<(), TestCaseError> {
    let printed = print(p);
    let again = parse(&printed).map_err(|d| {
        fail(
            format!(
                "{what}: the printed form does not parse:\n{}",
                semantics::render(&d, "printed", &printed)
            ),
            p,
        )
    })?;
    prop_assert!(
        again == *p,
        "{what}: parse(print(p)) != p\np printed:\n{printed}\nparse(print(p)) printed:\n{}\np: {p:?}\nparse(print(p)): {again:?}",
        print(&again)
    );
    prop_assert_eq!(
        print(&again),
        printed,
        "{}: printing is not idempotent",
        what
    );
    Ok(())
}

#[test]
fn parse_of_print_is_identity() {
    let programs = prop_oneof![
        (nonlinear::program_strategy(), any::<bool>()).prop_map(|(g, r)| g.render_with(r)),
        (linear::program_strategy(), any::<bool>()).prop_map(|(g, r)| g.render_with(r)),
    ];
    run("parse_of_print_is_identity", programs, |src| {
        let p = parse_generated(&src)?;
        round_trip(&p, "generated")
    });
}

#[test]
fn parse_of_print_is_identity_on_transformation_outputs() {
    run(
        "parse_of_print_is_identity_on_transformation_outputs",
        nonlinear::program_strategy(),
        |g| {
            let prims = PrimTable::standard();
            let p = parse_generated(&g.render())?;
            let j = rewrite::jvp(&p, prims).map_err(|e| fail(format!("jvp fails: {e}"), &p))?;
            round_trip(&j, "jvp")?;
            let r = parse_generated(&g.render_with(true))?;
            let e = checker::elaborate(&r, prims)
                .map_err(|d| fail(format!("elaborate fails: {}", d[0].message), &r))?;
            round_trip(&e, "elaborate")
        },
    );
}
