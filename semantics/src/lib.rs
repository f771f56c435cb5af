//! # semantics: Linear A's syntax and meaning
//!
//! The core language of "You Only Linearize Once" (SPEC §1, §3): syntax with source spans,
//! a parser that desugars the surface language, a printer for the core form, the primitive
//! table, and a big-step evaluator that measures **work** by the paper's cost model, plus the
//! same work computed statically.
//!
//! ```
//! use semantics::{parse, eval_fn, static_work, PrimTable, Value};
//!
//! let prog = parse("def f(x: R) -> (R) = let y = 2.0 in y * (x + 2.0)").unwrap();
//! let f = prog.func_named("f").unwrap();
//! let out = eval_fn(&prog, PrimTable::standard(), f, &[Value::Real(2.0)], &[]).unwrap();
//! assert_eq!(out.nl[0].as_real(), Some(8.0));
//! assert_eq!(static_work(&prog, PrimTable::standard()).unwrap()[0], out.work);
//! ```

mod closure;
pub mod corpus;
mod diagnostics;
mod eval;
mod flat;
mod flat_view;
mod fresh;
mod lexer;
mod liveness;
pub mod ll;
mod names;
pub mod numeric;
mod parser;
mod prims;
mod printer;
mod size;
mod span;
mod syntax;
mod types;
mod value;
mod visit;
mod work;

pub use closure::call_closure;
pub use diagnostics::{
    Diagnostic, Label, MAX_DIAGNOSTICS, cap as cap_diagnostics, render, to_json as diagnostics_json,
};
pub use eval::{EvalError, Outcome, eval_flat, eval_fn};
pub use flat::{
    AtomIter, AtomList, Atoms, Binders, BlockId, FlatAtom, FlatBind, FlatBlock, FlatExpr, FlatFn,
    FlatLocal, FlatProgram,
};
pub use flat_view::{BindView, CodeView, ExprView, FnView};
pub use fresh::Fresh;
pub use liveness::{SIZE_CAP, peak_live};
pub use names::{NameTable, repeated_names};
pub use parser::{MAX_NESTING, MAX_SOURCE_BYTES, parse, parse_flat, parse_flat_with, parse_with};
pub use prims::{DERIVATIVES, Prim, PrimTable};
pub use printer::{
    expr_line, print, print_each_fn, print_flat, print_fn, print_with, program_types,
};
pub use size::fn_size;
pub use span::{LineIndex, Span};
pub use syntax::*;
pub use types::{Type, TypeAlias, aliases_in};
pub use value::{Value, deep, drop_nested, fmt_real, parse_values};
pub use visit::{
    Fold, Visitor, bind_reads, binds_read, count_reads, each_expr, expr_bound, expr_reads,
    fold_bind, fold_block, fold_expr, visit_bind, visit_block, visit_expr,
};
pub use work::{
    TYPE_DEPTH_LIMIT, WorkError, binding_works, local_types, static_work, static_work_flat,
    static_work_saturating, work_and_types,
};
