//! λLL: the linear λ-calculus of Giusti and Pagani's "JAX Autodiff from a Linear Logic
//! Perspective" (SPEC §7), in the dual-context style of Barber's DILL (`Γ ; Δ ⊢ t : A`).
//!
//! Types `R | 1 | A ⊗ B | A ⊸ B | !A`, with zero, sum and scaling on the *tangent* types
//! (`R` and tensors of tangent types). This module holds the language: its syntax
//! ([`syntax`]), a text form with a parser and a printer that round-trip
//! (`parse(print(t)) == t`), and a big-step evaluator that measures work ([`eval`]).
//! The type checker is `checker::ll`; the passes are `rewrite::{linear_a_to_ll, ll_jvp,
//! ll_transpose}`. `docs/lambda-ll.md` states every rule.
//!
//! ```
//! use semantics::ll::{self, DefId, LlValue};
//! let p = ll::parse("def sq : !R -o !R = fun (p : !R) { let !x = p in !mul(x, x) }").unwrap();
//! assert_eq!(ll::parse(&ll::print(&p)).unwrap(), p);
//! let out = ll::eval_def(&p, DefId(0), LlValue::Real(3.0)).unwrap();
//! assert_eq!(ll::to_value(&out.value).unwrap().as_real(), Some(9.0));
//! assert_eq!(out.work, 6); // `let` 1, atom `p` 1, `!` 1, `mul` 1, its two atoms 2
//! ```
//!
//! **Flat like Linear A.** A term is a [`Block`]: a vector of `let`s and a tail, so a body of a
//! million `let`s is a loop in every pass; recursion follows only nesting (`!{...}`, `fun`,
//! `{...}`), which the parser bounds.

mod eval;
mod parser;
mod printer;
mod syntax;

pub use eval::{LlEvalError, LlOutcome, LlValue, apply, eval_def, from_value, to_value};
pub use parser::parse;
pub use printer::{print, print_type};
pub use syntax::*;
