//! # checker: the substructural type system of Linear A
//!
//! The judgment `Γ ; Δ ⊢ e : (τs ; σs)` of SPEC §2, where every linear variable is used
//! exactly once and (strict mode) every nonlinear variable at least once; membership in
//! **Linear B**, the sub-language unzip produces and transpose consumes; and **dup/drop
//! insertion**, which turns a relaxed program into a strict one.
//!
//! ```
//! use checker::{check, check_linear_b, classify, elaborate, Class, Options};
//! use semantics::{parse, PrimTable};
//!
//! let prims = PrimTable::standard();
//! // Strict: the linear x' is used twice, so it must be duplicated explicitly.
//! let prog = parse("def f(; x': R) -> (; R) = x' + x'").unwrap();
//! let errors = check(&prog, prims, Options::default()).unwrap_err();
//! assert_eq!(errors[0].code, "E0201");
//!
//! // Relaxed, and made strict by dup insertion.
//! assert!(check(&prog, prims, Options { relaxed: true }).is_ok());
//! let strict = elaborate(&prog, prims).unwrap();
//! let checked = check(&strict, prims, Options::default()).unwrap();
//! assert_eq!(checked.derivations[0].rule, checker::Rule::Def);
//!
//! // Linear B: f is linear (no nonlinear results), so the program is in Linear B.
//! assert_eq!(classify(&strict.funcs[0], &strict), Class::Linear);
//! assert!(check_linear_b(&strict).is_empty());
//! ```
//!
//! ## Code map
//!
//! - `rules`: the rule names ([`RULES`], [`Rule`]) and, in its module doc, the rules.
//! - `typing`: the judgment, one method per rule, premises before conclusion, read off the
//!   flat form ([`semantics::FlatProgram`]; [`check`] converts a `Program` once, and
//!   [`accepts_flat`] takes the parser's flat form directly);
//!   `context`: Γ and Δ as slot tables with use counters; `types`: hash-consed types.
//! - `derivation`: builds proof trees ([`derive()`]); the data itself ([`Derivation`], [`Judgment`],
//!   [`Subject`]) lives in [`evidence`], and [`recheck::check`] re-checks it
//!   against the program without this checker;
//!   `present`: the same as a plain-text tree and a LaTeX `bussproofs` proof tree.
//! - `errors`: every fault as data, rendered to a [`Diagnostic`] in one place ([`CODES`]).
//! - `linear_b`: [`classify`] and [`check_linear_b`].
//! - `elaborate`: dup/drop insertion ([`elaborate()`]).
//!
//! **Architecture invariants.** Checking is one pass, linear in the size of the program: no
//! context is ever copied, and a block of a million `let`s is a loop (recursion follows block
//! nesting only, which the parser bounds). A derivation is linear in size too: a block is one
//! node whose children are its bindings, and a judgment holds local facts only, never Γ.
//! Faults are collected, never thrown, and library code does not panic on any program,
//! including malformed hand-built trees (E0217).
//!
//! **Deliberately absent.** The checker does not infer anything: every function declares its
//! types, and every binder's type comes from its right-hand side. It does not evaluate: Linear B
//! membership and dup/drop insertion are syntactic.

mod context;
mod derivation;
mod elaborate;
mod errors;
pub mod evidence;
pub mod kernel;
mod linear_b;
pub mod ll;
mod names;
pub mod present;
pub mod recheck;
pub mod refute;
mod rules;
mod types;
mod typing;

pub use derivation::{
    Derivation, Judgment, Operand, Param, Subject, TypeExpr, subject_text, type_expr,
};
pub use elaborate::{elaborate, elaborate_built, elaborate_owned};
pub use errors::CODES;
pub use errors::{LinearConstruct, NotLinearB, Reason};
pub use linear_b::{Class, check_linear_b, classify, classify_all, linear_b_diagnostics};
pub use names::Fnv;
pub use rules::{RULES, Rule};
pub use types::{TYPE_DEPTH_LIMIT, TYPE_SIZE_LIMIT};

use semantics::{Diagnostic, PrimTable, Program};

/// How strict the multiplicity side conditions are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `false` (the default, strict): every linear variable is used exactly once and every
    /// nonlinear variable at least once. `true` (relaxed, SPEC §2): variables may be used any
    /// number of times, as people write programs; [`elaborate()`] makes such a program strict.
    /// Everything else (sorts, types, arities, the call order) is checked in both modes.
    pub relaxed: bool,
}

/// A well-typed program's typing derivations.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    /// One `T-Def` derivation per function, in program order.
    pub derivations: Vec<Derivation>,
}

/// Type-checks a program: every function, in order. All independent faults are reported,
/// sorted by position.
pub fn check(prog: &Program, prims: &PrimTable, opts: Options) -> Result<Checked, Vec<Diagnostic>> {
    let mode = if opts.relaxed {
        typing::Mode::Relaxed
    } else {
        typing::Mode::Strict
    };
    let out = typing::check_program(prog, prims, mode, true);
    if out.errors.is_empty() {
        Ok(Checked {
            derivations: out.derivations,
        })
    } else {
        Err(diagnostics(out.errors))
    }
}

/// The strict check with derivations: one `T-Def` derivation per function, in program order
/// (what `lina derive` prints and [`recheck::check`] re-checks).
pub fn derive(prog: &Program, prims: &PrimTable) -> Result<Vec<Derivation>, Vec<Diagnostic>> {
    check(prog, prims, Options::default()).map(|c| c.derivations)
}

/// Type-checks a program as [`check`] does, without building derivations (what `lina check`,
/// `eval` and the passes need: building and freeing the proof trees was most of their time).
pub fn accepts(prog: &Program, prims: &PrimTable, opts: Options) -> Result<(), Vec<Diagnostic>> {
    let mode = if opts.relaxed {
        typing::Mode::Relaxed
    } else {
        typing::Mode::Strict
    };
    let out = typing::check_program(prog, prims, mode, false);
    if out.errors.is_empty() {
        Ok(())
    } else {
        Err(diagnostics(out.errors))
    }
}

/// [`accepts`] on a program's flat form ([`semantics::parse_flat`]): the same rules, without
/// building the public syntax (what `lina check` and `lina eval` run).
pub fn accepts_flat(
    prog: &semantics::FlatProgram,
    prims: &PrimTable,
    opts: Options,
) -> Result<(), Vec<Diagnostic>> {
    let mode = if opts.relaxed {
        typing::Mode::Relaxed
    } else {
        typing::Mode::Strict
    };
    let out = typing::check_flat(prog, prims, mode, false);
    if out.errors.is_empty() {
        Ok(())
    } else {
        Err(diagnostics(out.errors))
    }
}

/// Renders faults, in source order: the first [`semantics::MAX_DIAGNOSTICS`] of them, and how
/// many more there were.
fn diagnostics(errors: Vec<errors::TypeError>) -> Vec<Diagnostic> {
    let mut diags: Vec<Diagnostic> = errors
        .iter()
        .map(errors::TypeError::to_diagnostic)
        .collect();
    diags.sort_by_key(|d| d.primary_span().map_or(0, |s| s.start));
    let total = diags.len();
    semantics::cap_diagnostics(diags, total)
}
