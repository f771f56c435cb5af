//! # properties: generators of well-typed Linear A programs, and the property suites
//!
//! SPEC §5 asks that every transformation preserve meaning, linearity and work "for every
//! corpus program and for many randomly generated well-typed programs". This crate supplies
//! the random programs and states the claims as property tests (`tests/*.rs`, each test named
//! after the theorem it checks).
//!
//! ## Generators
//!
//! Each generator is a proptest strategy for a *recipe*, plain data that a total,
//! deterministic renderer ([`render`]) turns into Linear A source text, which the suites then
//! parse (so the parser and its desugaring are exercised on every case). The renderer makes
//! the program well-typed **by construction**, in the manner of PLT Redex's generation of terms
//! that satisfy a judgment: every choice is an index into the candidates that are well-typed at
//! that point, so every recipe, and every shrink of one, is a well-typed program.
//!
//! - [`nonlinear`] (a): strict nonlinear programs: several functions calling the ones above,
//!   multiple results, nested tuples and destructuring, every primitive, negative literals,
//!   shared variables, long chains, nested blocks, explicit `drop`s of unused values.
//! - [`linear`] (b): Linear B programs ending in linear functions: `dup`, `drop`, `zero<T>`,
//!   linear `+`, scaling, linear tuples and destructuring, calls of earlier linear functions,
//!   every linear variable used exactly once.
//! - [`mutants`] (c): ill-typed mutants of generated programs, each with exactly one fault
//!   and the error code the checker must report.
//! - [`domains`] (d): primitive applications guarded into their domains, and input values.
//! - [`fuzz`]: hostile inputs (bytes, token streams, corpus mutations) for the parser, the
//!   checker, the reverse-mode pipeline and the value parser, with their oracles.
//!
//! [`harness`] runs a property (case count from `PROPTEST_CASES`, 1,000 by default; regression
//! files in `proptest-regressions/`; discards counted and reported) and [`size`] measures
//! program size and derives the JVP size constant; [`tolerance`] compares a linear map's values
//! up to a measured rounding level.
//!
//! ```
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//! use semantics::{parse, PrimTable};
//!
//! let mut runner = TestRunner::deterministic();
//! let recipe = properties::nonlinear::program_strategy()
//!     .new_tree(&mut runner)
//!     .unwrap()
//!     .current();
//! let prog = parse(&recipe.render()).unwrap();
//! assert!(checker::check(&prog, PrimTable::standard(), Default::default()).is_ok());
//! ```

pub mod domains;
pub mod fuzz;
pub mod harness;
pub mod linear;
pub mod mutants;
pub mod nonlinear;
pub mod render;
pub mod size;
pub mod testing;
pub mod tolerance;

/// A generated program in core form (`semantics::print` of its parse), or, should it not
/// parse (a generator bug), its source text and the parse errors.
pub fn core_form(src: &str) -> String {
    match semantics::parse(src) {
        Ok(p) => semantics::print(&p),
        Err(d) => format!(
            "(does not parse: {})\n{src}",
            d.iter()
                .map(|d| d.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

/// Parses generated source; a parse failure is a failed case (the generator's fault) that
/// shows the source.
pub fn parse_generated(
    src: &str,
) -> Result<semantics::Program, proptest::test_runner::TestCaseError> {
    semantics::parse(src).map_err(|d| {
        proptest::test_runner::TestCaseError::fail(format!(
            "generated source does not parse: {}\n{src}",
            semantics::render(&d, "generated", src)
        ))
    })
}
