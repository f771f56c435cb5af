//! Peak live scalars: the largest number of scalars held by variables that are live at the
//! same time in a function body, from one backward liveness sweep. Residual counts alone
//! understate memory: values recomputed inside a linear half are live while it runs too.
//!
//! A variable is live from its binding (or the start, for a parameter) to its last use. A
//! nested block (a `let`'s right-hand side or a `drop`) is counted as holding its free
//! variables plus every binder inside it at once, an upper bound.

use crate::syntax::*;
use crate::types::Type;

/// A slot's size as the scalar counts of reports add it up: capped at 2^100, so that sums over
/// any program (under 2^27 slots) fit in `u128` even where a type has `2^200` leaves (the
/// residuals of a deep call DAG). Below the cap it is exact.
pub const SIZE_CAP: u128 = 1 << 100;

/// Peak live scalars of `f`, given its slot types (as [`crate::local_types`] gives them).
pub fn peak_live(f: &FnDef, types: &[Option<Type>]) -> u128 {
    let size = |x: LocalId| {
        types
            .get(x.0 as usize)
            .and_then(Option::as_ref)
            .map_or(0, |t| t.size().min(SIZE_CAP))
    };
    let mut live = vec![false; f.locals.len()];
    let mut now: u128 = 0;
    let mut reads = Vec::new();
    let add = |x: LocalId, live: &mut Vec<bool>, now: &mut u128| {
        if let Some(l) = live.get_mut(x.0 as usize)
            && !*l
        {
            *l = true;
            *now += size(x);
        }
    };
    expr_reads(&f.body.tail, &mut reads);
    for &x in &reads {
        add(x, &mut live, &mut now);
    }
    let mut peak = now;
    for b in f.body.binds.iter().rev() {
        // Just after `b`: its binders are live if used later (already counted) or not at all.
        let (binders, inner): (Vec<LocalId>, u128) = match b {
            Bind::Let { nl, lin, rhs, .. } => {
                let mut bound = Vec::new();
                expr_bound(rhs, &mut bound);
                (
                    nl.iter().chain(lin).copied().collect(),
                    bound.iter().map(|&x| size(x)).sum(),
                )
            }
            Bind::Unpack { binders, .. } => (binders.clone(), 0),
        };
        let defined: u128 = binders
            .iter()
            .filter(|x| !live[x.0 as usize])
            .map(|&x| size(x))
            .sum();
        peak = peak.max(now + defined);
        for x in &binders {
            if let Some(l) = live.get_mut(x.0 as usize)
                && *l
            {
                *l = false;
                now -= size(*x);
            }
        }
        reads.clear();
        bind_reads(b, &mut reads);
        for &x in &reads {
            add(x, &mut live, &mut now);
        }
        peak = peak.max(now + inner);
    }
    peak
}

/// The variables a binding reads (nested blocks included).
pub fn bind_reads(b: &Bind, out: &mut Vec<LocalId>) {
    match b {
        Bind::Let { rhs, .. } => expr_reads(rhs, out),
        Bind::Unpack { src, .. } => out.push(src.id),
    }
}

/// The variables an expression reads (nested blocks included, so also their own binders).
pub fn expr_reads(e: &Expr, out: &mut Vec<LocalId>) {
    let mut push = |xs: &[Atom]| out.extend(xs.iter().filter_map(Atom::var).map(|v| v.id));
    match e {
        Expr::Ret { nl, lin, .. } | Expr::Call { nl, lin, .. } => {
            push(nl);
            push(lin);
        }
        Expr::Tuple { items, .. } | Expr::LTuple { items, .. } => push(items),
        Expr::Prim { args, .. } => push(args),
        Expr::LAdd { lhs, rhs, .. } => push(&[*lhs, *rhs]),
        Expr::Scale { scalar, lin, .. } => push(&[*scalar, *lin]),
        Expr::Dup { arg, .. } => push(&[*arg]),
        Expr::Zero { .. } => {}
        Expr::Drop { body, .. } | Expr::Block(body) => {
            body.binds.iter().for_each(|b| bind_reads(b, out));
            expr_reads(&body.tail, out);
        }
    }
}

/// Calls `f` on every expression of a block: right-hand sides and tails, nested blocks
/// included (a loop over bindings, a stack over nesting).
pub fn each_expr<'a>(b: &'a Block, f: &mut dyn FnMut(&'a Expr)) {
    let mut stack = vec![b];
    while let Some(b) = stack.pop() {
        let rhss = b.binds.iter().filter_map(|s| match s {
            Bind::Let { rhs, .. } => Some(rhs),
            Bind::Unpack { .. } => None,
        });
        for e in rhss.chain([&b.tail]) {
            f(e);
            if let Expr::Drop { body, .. } | Expr::Block(body) = e {
                stack.push(body);
            }
        }
    }
}

/// The slots bound inside an expression's nested blocks.
pub fn expr_bound(e: &Expr, out: &mut Vec<LocalId>) {
    if let Expr::Drop { body, .. } | Expr::Block(body) = e {
        for b in &body.binds {
            match b {
                Bind::Let { nl, lin, rhs, .. } => {
                    out.extend(nl.iter().chain(lin));
                    expr_bound(rhs, out);
                }
                Bind::Unpack { binders, .. } => out.extend(binders),
            }
        }
        expr_bound(&body.tail, out);
    }
}
