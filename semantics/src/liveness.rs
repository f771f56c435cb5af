//! Peak live scalars: the largest number of scalars held by variables that are live at the
//! same time in a function body, from one backward liveness sweep. Residual counts alone
//! understate memory: values recomputed inside a linear half are live while it runs too.
//!
//! A variable is live from its binding (or the start, for a parameter) to its last use. A
//! nested block (a `let`'s right-hand side or a `drop`) is counted as holding its free
//! variables plus every binder inside it at once, an upper bound.

use crate::syntax::*;
use crate::types::Type;
use crate::visit::{Visitor, visit_expr};

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
    let add = |x: LocalId, live: &mut Vec<bool>, now: &mut u128| {
        if let Some(l) = live.get_mut(x.0 as usize)
            && !*l
        {
            *l = true;
            *now += size(x);
        }
    };
    let mut parts = Parts::default();
    visit_expr(&f.body.tail, &mut parts);
    for &x in &parts.reads {
        add(x, &mut live, &mut now);
    }
    let mut peak = now;
    for b in f.body.binds.iter().rev() {
        // What `b` reads, and the binders of its nested blocks.
        parts.reads.clear();
        parts.inner.clear();
        // Just after `b`: its binders are live if used later (already counted) or not at all.
        let (nl, lin): (&[LocalId], &[LocalId]) = match b {
            Bind::Let { nl, lin, rhs, .. } => {
                visit_expr(rhs, &mut parts);
                (nl, lin)
            }
            Bind::Unpack { binders, src, .. } => {
                parts.reads.push(src.id);
                (binders, &[])
            }
        };
        let inner: u128 = parts.inner.iter().map(|&x| size(x)).sum();
        let defined: u128 = nl
            .iter()
            .chain(lin)
            .filter(|x| !live[x.0 as usize])
            .map(|&x| size(x))
            .sum();
        peak = peak.max(now + defined);
        for x in nl.iter().chain(lin) {
            if let Some(l) = live.get_mut(x.0 as usize)
                && *l
            {
                *l = false;
                now -= size(*x);
            }
        }
        for &x in &parts.reads {
            add(x, &mut live, &mut now);
        }
        peak = peak.max(now + inner);
    }
    peak
}

/// The reads of a binding and the binders of its nested blocks, gathered in one walk.
#[derive(Default)]
struct Parts {
    reads: Vec<LocalId>,
    inner: Vec<LocalId>,
}

impl Visitor<'_> for Parts {
    fn read(&mut self, x: LocalId) {
        self.reads.push(x);
    }
    fn binder(&mut self, x: LocalId) {
        self.inner.push(x);
    }
}
