//! Program size `|P|` (SPEC §3: the number of syntax nodes of the core form) and the JVP
//! size constant `c_size`, **derived** from the primitive table's JVP rules.
//!
//! Nodes counted: each parameter binder, each binding (`let` or destructure) and each of its
//! binders, each expression node (return, tuple, call, primitive, linear add, scale, `zero`,
//! `dup`, `drop`, nested block) and each atom occurrence. Types are not counted.
//!
//! **The JVP bound.** Partition the nodes of a strict nonlinear function into classes and
//! bound, per class, the nodes JVP (followed by dup insertion) makes of it:
//! - a parameter or binder `x` becomes `x` and `x'`: ratio 2 (rules are checked strictly
//!   when the table loads, so they use every parameter and JVP needs no inserted `drop`);
//! - an atom occurrence outside the classes below becomes its primal and its tangent, plus a
//!   `dup` binding (5 nodes) for a variable's later uses or `let z' = zero<R>` (3 nodes) for a
//!   literal: at most 7;
//! - `let x = p(a1..an)` (`3 + n` nodes) becomes the rule body (`S_p` nodes, its tail renamed
//!   or bound with 3 more) plus a dup or zero binding per argument: `(S_p + 3 + 5n)/(3 + n)`;
//!   `p(a1..an)` elsewhere (`1 + n` nodes): `(S_p + 5n)/(1 + n)`;
//! - a tuple build in tail position, `<a1..an>` (`1 + n`), becomes two bindings and a return:
//!   `(9 + 7n)/(1 + n) <= 9`; bound by a `let`, `(6 + 7n)/(3 + n) <= 7`;
//! - every other node (a `let`, a call, a return, a destructure, `drop`, a block) becomes at
//!   most two nodes of its kind.
//!
//! So `|f.jvp| <= c_size · |f|` with `c_size` the largest of these ratios.

use rewrite::JvpRules;
use semantics::{Bind, Block, Expr, FnDef, PrimTable, Program};

/// `|body|` plus the parameter binders.
pub fn fn_size(f: &FnDef) -> u64 {
    (f.params.len() + f.lparams.len()) as u64 + block_size(&f.body)
}

pub fn program_size(p: &Program) -> u64 {
    p.funcs.iter().map(fn_size).sum()
}

pub fn block_size(b: &Block) -> u64 {
    let binds: u64 = b
        .binds
        .iter()
        .map(|s| match s {
            Bind::Let { nl, lin, rhs, .. } => 1 + (nl.len() + lin.len()) as u64 + expr_size(rhs),
            Bind::Unpack { binders, .. } => 2 + binders.len() as u64,
        })
        .sum();
    binds + expr_size(&b.tail)
}

pub fn expr_size(e: &Expr) -> u64 {
    let n = |k: usize| k as u64;
    match e {
        Expr::Ret { nl, lin, .. } | Expr::Call { nl, lin, .. } => 1 + n(nl.len() + lin.len()),
        Expr::Tuple { items, .. } | Expr::LTuple { items, .. } => 1 + n(items.len()),
        Expr::Prim { args, .. } => 1 + n(args.len()),
        Expr::LAdd { .. } | Expr::Scale { .. } => 3,
        Expr::Zero { .. } => 1,
        Expr::Dup { .. } => 2,
        Expr::Drop { body, .. } | Expr::Block(body) => 1 + block_size(body),
    }
}

/// `c_size` for JVP, from the rule table (see the module doc).
pub fn c_size(rules: &JvpRules, prims: &PrimTable) -> f64 {
    let mut c: f64 = 9.0;
    for ((_, row), rule) in prims.rows().zip(&rules.rules) {
        let s = block_size(&rule.def.body) as f64;
        let n = row.arity as f64;
        c = c
            .max((s + 3.0 + 5.0 * n) / (3.0 + n))
            .max((s + 5.0 * n) / (1.0 + n));
    }
    c
}
