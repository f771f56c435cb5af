//! Size `|P|` (SPEC §3): the number of syntax nodes of the core form. Each binding, each
//! expression, each atom, each binder and each parameter is one node.

use crate::syntax::*;

/// The size of one function.
pub fn fn_size(f: &FnDef) -> u128 {
    (f.params.len() + f.lparams.len()) as u128 + block_size(&f.body)
}

fn block_size(b: &Block) -> u128 {
    let mut n = 0;
    for s in &b.binds {
        n += 1 + match s {
            Bind::Let { nl, lin, rhs, .. } => (nl.len() + lin.len()) as u128 + expr_size(rhs),
            Bind::Unpack { binders, .. } => binders.len() as u128 + 1,
        };
    }
    n + expr_size(&b.tail)
}

fn expr_size(e: &Expr) -> u128 {
    let k = |xs: &[Atom]| xs.len() as u128;
    1 + match e {
        Expr::Ret { nl, lin, .. } | Expr::Call { nl, lin, .. } => k(nl) + k(lin),
        Expr::Tuple { items, .. } | Expr::LTuple { items, .. } => k(items),
        Expr::Prim { args, .. } => k(args),
        Expr::LAdd { .. } | Expr::Scale { .. } => 2,
        Expr::Dup { .. } => 1,
        Expr::Zero { .. } => 0,
        Expr::Drop { body, .. } | Expr::Block(body) => block_size(body),
    }
}
