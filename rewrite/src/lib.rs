//! # rewrite: the transformations of "You Only Linearize Once"
//!
//! Reverse mode is forward mode, then unzip, then transpose (SPEC §4). This crate holds one
//! file per pass: [`jvp`](jvp()) (forward mode, driven by the primitive table's JVP rules),
//! and the pieces they share: a function builder with fresh names and a slot substitution.
//!
//! ```
//! use semantics::{parse, PrimTable, print};
//! let prog = parse("def f(x: R, y: R) -> (R) = sin(x * y) + x").unwrap();
//! let out = rewrite::jvp(&prog, PrimTable::standard()).unwrap();
//! assert_eq!(out.funcs[0].name, "f.jvp");
//! assert!(checker::check(&out, PrimTable::standard(), Default::default()).is_ok());
//! ```

mod build;
pub mod equiv;
mod error;
mod jvp;
mod normal;
mod rules;
mod subst;
mod transpose;
mod unzip;
mod vjp;
pub mod work_bounds;

pub use build::FnBuilder;
pub use error::RewriteError;
pub use jvp::{jvp, jvp_with, tangent_type};
pub use rules::{JvpRule, JvpRules};
pub use transpose::transpose;
pub use unzip::{FnReport, Policy, Unzipped, unzip};
pub use vjp::{Vjp, vjp};
