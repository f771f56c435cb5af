//! The call closure of a function: the program cut down to the functions it calls, directly or
//! not. `lina grad --fn g` differentiates this, so an unrelated function elsewhere in the file
//! (a linear one that JVP refuses, say) does not stand in the way.

use crate::syntax::*;
use crate::visit::each_expr;

/// The functions `root` reaches, in program order, with calls renumbered; and `root`'s new id.
/// Linear in program size, with no recursion on nesting.
pub fn call_closure(prog: &Program, root: FuncId) -> (Program, FuncId) {
    let n = prog.funcs.len();
    let mut reached = vec![false; n];
    if let Some(r) = reached.get_mut(root.0 as usize) {
        *r = true;
    }
    // Callees are defined above their callers, so one sweep downwards from the root suffices.
    for i in (0..n).rev() {
        if reached[i] {
            each_expr(&prog.funcs[i].body, &mut |e| {
                if let Expr::Call { func, .. } = e
                    && let Some(r) = reached.get_mut(func.0 as usize)
                {
                    *r = true;
                }
            });
        }
    }
    let mut new_id = vec![None; n];
    let mut funcs = Vec::new();
    for (i, f) in prog.funcs.iter().enumerate().filter(|(i, _)| reached[*i]) {
        new_id[i] = Some(FuncId(funcs.len() as u32));
        let mut f = f.clone();
        remap_calls(&mut f.body, &new_id);
        funcs.push(f);
    }
    let root = new_id
        .get(root.0 as usize)
        .copied()
        .flatten()
        .unwrap_or(root);
    (Program { funcs }, root)
}

/// Renumbers every call of a body (calls of unreached functions cannot occur: they are reached).
fn remap_calls(b: &mut Block, new_id: &[Option<FuncId>]) {
    let mut stack = vec![b];
    while let Some(b) = stack.pop() {
        let rhss = b.binds.iter_mut().filter_map(|s| match s {
            Bind::Let { rhs, .. } => Some(rhs),
            Bind::Unpack { .. } => None,
        });
        for e in rhss.chain([&mut b.tail]) {
            match e {
                Expr::Call { func, .. } => {
                    if let Some(Some(id)) = new_id.get(func.0 as usize) {
                        *func = *id;
                    }
                }
                Expr::Drop { body, .. } | Expr::Block(body) => stack.push(body),
                _ => {}
            }
        }
    }
}
