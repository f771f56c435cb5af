//! The λLL type checker: the dual-context judgment `Γ ; Δ ⊢ t : A` of Barber's DILL, with the
//! additive structure tangent types need (SPEC §7). Γ (intuitionistic: bound by `!x`, and every
//! global) allows any number of uses; Δ (linear: bound by `x` or a λ) exactly one. A
//! derivation is a linear-logic proof: every node names its rule ([`rules`]), and a failed
//! premise is a diagnostic with a stable E07xx code ([`errors`]).
//!
//! ```
//! use semantics::ll::parse;
//! let ok = parse("def id : R -o R = fun (x : R) { x }").unwrap();
//! assert!(checker::ll::check(&ok, Default::default()).is_ok());
//! let twice = parse("def f : R -o R = fun (x : R) { x + x }").unwrap();
//! assert_eq!(checker::ll::check(&twice, Default::default()).unwrap_err()[0].code, "E0701");
//! ```
//!
//! One pass, linear in the size of the program: a block is a loop, a derivation is one node
//! per block with its bindings as children, and recursion follows only nesting.

mod errors;
pub mod rules;
mod typing;

pub use errors::{LlTypeError, ll_codes};
pub use rules::LL_RULES;
pub use typing::{LlChecked, LlDerivation, LlOptions, check};
