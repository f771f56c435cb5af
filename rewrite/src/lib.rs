//! # rewrite: the transformations of "You Only Linearize Once"
//!
//! Reverse mode is forward mode, then unzip, then transpose (SPEC §4). This crate holds one
//! file per pass: [`jvp`](jvp()) (forward mode, driven by the primitive table's JVP rules),
//! and the pieces they share: a function builder with fresh names and a slot substitution.
//! The λLL passes (SPEC §7, `docs/lambda-ll.md`) are [`linear_a_to_ll`] (the encoding),
//! [`ll_jvp`] (linearization to a closure), [`ll_transpose`] (transposition of closures, no
//! unzip), and [`ll_vjp`]/[`ll_grad`] (reverse mode through them):
//!
//! ```
//! use semantics::{parse, FuncId, PrimTable, Value};
//! let prog = parse("def f(x: R, y: R) -> (R) = sin(x * y) + x").unwrap();
//! let vjp = rewrite::ll_vjp(&prog, PrimTable::standard()).unwrap();
//! let g = rewrite::ll_grad(&vjp, FuncId(0), &[Value::Real(2.0), Value::Real(3.0)], &[Value::Real(1.0)]).unwrap();
//! let dx = 3.0 * (6.0f64).cos() + 1.0; // ∂/∂x (sin(xy) + x) = y·cos(xy) + 1
//! assert!((g.gradient[0].as_real().unwrap() - dx).abs() < 1e-12);
//! ```
//!
//! ```
//! use semantics::{parse, PrimTable, print};
//! let prog = parse("def f(x: R, y: R) -> (R) = sin(x * y) + x").unwrap();
//! let out = rewrite::jvp(&prog, PrimTable::standard()).unwrap();
//! assert_eq!(out.funcs[0].name, "f.jvp");
//! assert!(checker::check(&out, PrimTable::standard(), Default::default()).is_ok());
//! ```

mod build;
pub mod certificate;
mod checkpoint;
pub mod dataflow;
pub mod equiv;
mod error;
mod export_jax;
mod fold;
mod forget;
mod hvp;
mod jvp;
mod linear_a_to_ll;
mod ll_jvp;
mod ll_linearize;
mod ll_transpose;
mod normal;
pub mod ops;
mod picture;
mod rules;
mod subst;
mod transpose;
mod unzip;
mod vjp;
pub mod work_bounds;

pub use build::FnBuilder;
pub use error::RewriteError;
pub use export_jax::{export_jax, python_name};
pub use forget::forget;
pub use hvp::{HESSIAN_LIMIT, Hvp, HvpValue, basis};
pub use jvp::{jvp, jvp_with, tangent_type};
pub use linear_a_to_ll::{C_ENC, ENTRY, linear_a_to_ll};
pub use ll_jvp::{LlGrad, ll_grad, ll_jvp, ll_vjp};
pub use ll_linearize::ll_linearize;
pub use ll_transpose::{ll_transpose, transpose_lam};
pub use ops::{Ops, executed_ops};
pub use rules::{JvpRule, JvpRules};
pub use transpose::transpose;
pub use unzip::{FnReport, Policy, Unzipped, unzip};
pub use vjp::{Vjp, VjpOutput, vjp, vjp_output, vjp_output_owned};
