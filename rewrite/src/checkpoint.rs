//! Checkpointing (SPEC §4): per nonlinear binding of a function being unzipped, the free choice
//! between saving its value as a residual and recomputing it inside `f.lin`.
//!
//! A policy is a [`Checkpoint`]: it names the items `.lin` *may* recompute. [`decide`] is the
//! one driver every policy runs through (as egg's `Runner` runs any `RewriteScheduler`): it
//! makes a candidate recomputed exactly when `.lin` needs what it binds, one backward sweep, and
//! reads the residuals off the result. The implementations: [`SaveAll`], [`RecomputeAll`],
//! [`Budget`], and [`Marks`], which recomputes a function marked `@checkpoint` whatever the
//! policy it wraps.

use crate::error::RewriteError;
use crate::normal::Normal;
use semantics::{LocalId, SIZE_CAP, Type};
use std::fmt;

/// Which nonlinear values the linear half recomputes rather than receives as residuals.
/// Functions marked `@checkpoint` are recomputed under every policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Policy {
    /// Save every value the linear half needs (the default).
    #[default]
    SaveAll,
    /// Recompute every nonlinear value the linear half needs; residuals are parameters only.
    RecomputeAll,
    /// At most `K` residual scalars per function where recompute-all can meet it, saving the
    /// values whose recomputation costs the most work per scalar (a greedy heuristic).
    Budget(u128),
}

impl Policy {
    pub fn parse(s: &str) -> Result<Policy, RewriteError> {
        match s {
            "save-all" | "marks" => Ok(Policy::SaveAll),
            "recompute-all" => Ok(Policy::RecomputeAll),
            _ => s
                .strip_prefix("budget=")
                .and_then(|k| k.parse().ok())
                .map(Policy::Budget)
                .ok_or(RewriteError::BadPolicy {
                    policy: s.to_string(),
                }),
        }
    }

    /// The policy as the strategy that implements it.
    pub(crate) fn strategy(self) -> Box<dyn Checkpoint> {
        match self {
            Policy::SaveAll => Box::new(SaveAll),
            Policy::RecomputeAll => Box::new(RecomputeAll),
            Policy::Budget(k) => Box::new(Budget(k)),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Policy::SaveAll => f.write_str("save-all"),
            Policy::RecomputeAll => f.write_str("recompute-all"),
            Policy::Budget(k) => write!(f, "budget={k}"),
        }
    }
}

/// What a policy sees of one function about to be split.
pub(crate) struct Function<'a> {
    pub n: &'a Normal,
    /// Per item: its static work in `f`.
    pub item_work: &'a [u128],
    /// Marked `@checkpoint`.
    pub marked: bool,
    /// Per slot: the nonlinear slots the linear items read.
    pub need: &'a [bool],
    /// The type of a slot (a split call's residual slot has its callee's residual type).
    pub slot_type: &'a dyn Fn(LocalId) -> Result<Type, RewriteError>,
}

/// A checkpointing policy.
pub(crate) trait Checkpoint {
    /// Per item of `f.n`: may `.lin` recompute it? Only needed nonlinear items are recomputed.
    fn candidates(&self, f: &Function<'_>) -> Result<Vec<bool>, RewriteError>;
}

pub(crate) struct SaveAll;
pub(crate) struct RecomputeAll;
/// At most `K` residual scalars where recompute-all can meet it.
pub(crate) struct Budget(pub u128);
/// A function marked `@checkpoint` is recomputed; the others follow the wrapped policy.
pub(crate) struct Marks(pub Box<dyn Checkpoint>);

impl Checkpoint for SaveAll {
    fn candidates(&self, f: &Function<'_>) -> Result<Vec<bool>, RewriteError> {
        Ok(vec![false; f.n.items.len()])
    }
}

impl Checkpoint for RecomputeAll {
    fn candidates(&self, f: &Function<'_>) -> Result<Vec<bool>, RewriteError> {
        Ok(vec![true; f.n.items.len()])
    }
}

impl Checkpoint for Marks {
    fn candidates(&self, f: &Function<'_>) -> Result<Vec<bool>, RewriteError> {
        if f.marked {
            RecomputeAll.candidates(f)
        } else {
            self.0.candidates(f)
        }
    }
}

/// The outcome of checkpointing one function.
pub(crate) struct Decision {
    /// Per item: recomputed in `.lin`.
    pub recompute: Vec<bool>,
    /// The nonlinear slots `.lin` receives, in slot order.
    pub residuals: Vec<LocalId>,
}

/// Runs `policy` on one function `n` (`item_work` per item, `marked` by `@checkpoint`).
pub(crate) fn decide(
    policy: &dyn Checkpoint,
    n: &Normal,
    item_work: &[u128],
    marked: bool,
    slot_type: &dyn Fn(LocalId) -> Result<Type, RewriteError>,
) -> Result<Decision, RewriteError> {
    let f = &n.typing;
    let slots = f.locals.len();
    let nonlinear = |x: LocalId| !f.is_linear(x);
    // `need` holds the nonlinear slots `.lin` reads.
    let mut need = vec![false; slots];
    let mut buf = Vec::new();
    for it in n.items.iter().filter(|it| !it.nonlinear()) {
        buf.clear();
        it.reads(&mut buf);
        for &x in buf.iter().filter(|&&x| nonlinear(x)) {
            need[x.0 as usize] = true;
        }
    }
    let candidates = policy.candidates(&Function {
        n,
        item_work,
        marked,
        need: &need,
        slot_type,
    })?;
    // One backward sweep: a needed nonlinear item chosen for recomputation makes its own
    // reads needed.
    let mut recompute = vec![false; n.items.len()];
    for (i, it) in n.items.iter().enumerate().rev() {
        if it.nonlinear() && candidates[i] && it.binds().iter().any(|x| need[x.0 as usize]) {
            recompute[i] = true;
            buf.clear();
            it.reads(&mut buf);
            for &x in buf.iter().filter(|&&x| nonlinear(x)) {
                need[x.0 as usize] = true;
            }
        }
    }
    // Residuals: needed slots not recomputed, in slot order.
    let mut defined_in_lin = vec![false; slots];
    for (i, it) in n.items.iter().enumerate() {
        if recompute[i] {
            for x in it.binds() {
                defined_in_lin[x.0 as usize] = true;
            }
        }
    }
    let residuals = (0..slots)
        .map(|i| LocalId(i as u32))
        .filter(|x| need[x.0 as usize] && !defined_in_lin[x.0 as usize] && nonlinear(*x))
        .collect();
    Ok(Decision {
        recompute,
        residuals,
    })
}

impl Checkpoint for Budget {
    /// Starting from save-all, while the residuals exceed `K` scalars, recompute the item that
    /// frees residual scalars at the least work per scalar freed (recomputing an item frees its
    /// binders and makes residuals of the inputs it reads that are not residuals yet). Exact on
    /// a chain of dependent lets (it keeps the first link, which would otherwise cost the
    /// parameter, and recomputes the cheapest others); a heuristic elsewhere. If no choice
    /// frees scalars any more, recompute-all. One pass over the items plus a lazy priority
    /// queue: `O(n log n)`.
    fn candidates(&self, func: &Function<'_>) -> Result<Vec<bool>, RewriteError> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let Budget(k) = *self;
        let n = func.n;
        let f = &n.typing;
        let slots = f.locals.len();
        let nonlinear = |x: LocalId| !f.is_linear(x);
        let mut size = vec![0u128; slots];
        let mut def_item: Vec<Option<usize>> = vec![None; slots];
        for (i, it) in n.items.iter().enumerate() {
            for x in it.binds() {
                size[x.0 as usize] = (func.slot_type)(x)?.size().min(SIZE_CAP);
                def_item[x.0 as usize] = Some(i);
            }
        }
        for p in &f.params {
            size[p.var.0 as usize] = p.ty.size().min(SIZE_CAP);
        }
        // The nonlinear items reading each slot.
        let mut readers: Vec<Vec<usize>> = vec![Vec::new(); slots];
        let mut tmp = Vec::new();
        for (i, it) in n.items.iter().enumerate().filter(|(_, it)| it.nonlinear()) {
            tmp.clear();
            it.reads(&mut tmp);
            for x in &tmp {
                readers[x.0 as usize].push(i);
            }
        }
        let mut residual: Vec<bool> = func
            .need
            .iter()
            .enumerate()
            .map(|(x, &nd)| nd && nonlinear(LocalId(x as u32)))
            .collect();
        let mut total: u128 = (0..slots).filter(|&x| residual[x]).map(|x| size[x]).sum();
        let mut recompute = vec![false; n.items.len()];
        let works = func.item_work;
        let mut buf = Vec::new();
        // Scalars freed by recomputing item i now (may be negative).
        let freed =
            |i: usize, residual: &[bool], recompute: &[bool], buf: &mut Vec<LocalId>| -> i128 {
                let it = &n.items[i];
                let gain: u128 = it
                    .binds()
                    .iter()
                    .filter(|x| residual[x.0 as usize])
                    .map(|x| size[x.0 as usize])
                    .sum();
                buf.clear();
                it.reads(buf);
                buf.sort();
                buf.dedup();
                let cost: u128 = buf
                    .iter()
                    .filter(|&&x| {
                        nonlinear(x)
                            && !residual[x.0 as usize]
                            && !def_item[x.0 as usize].is_some_and(|d| recompute[d])
                    })
                    .map(|x| size[x.0 as usize])
                    .sum();
                gain as i128 - cost as i128
            };
        // Key: work per scalar freed, a fraction compared exactly (work can be near 2^128, so
        // cross-multiplying would overflow).
        #[derive(PartialEq, Eq)]
        struct Key(u128, u128, usize);
        impl Ord for Key {
            fn cmp(&self, o: &Self) -> std::cmp::Ordering {
                cmp_fractions(self.0, self.1, o.0, o.1).then(o.2.cmp(&self.2))
            }
        }
        impl PartialOrd for Key {
            fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(o))
            }
        }
        let work = |i: usize| works.get(i).copied().unwrap_or(0).max(1);
        let mut heap = BinaryHeap::new();
        let candidate = |i: usize, residual: &[bool]| {
            n.items[i].nonlinear() && n.items[i].binds().iter().any(|x| residual[x.0 as usize])
        };
        for i in 0..n.items.len() {
            if candidate(i, &residual) {
                let fr = freed(i, &residual, &recompute, &mut buf);
                if fr > 0 {
                    heap.push(Reverse(Key(work(i), fr as u128, i)));
                }
            }
        }
        while total > k {
            let Some(Reverse(Key(_, fr_then, i))) = heap.pop() else {
                // Nothing frees scalars: fall back to recomputing everything.
                return RecomputeAll.candidates(func);
            };
            if recompute[i] || !candidate(i, &residual) {
                continue;
            }
            let fr = freed(i, &residual, &recompute, &mut buf);
            if fr <= 0 {
                continue;
            }
            if fr as u128 != fr_then {
                heap.push(Reverse(Key(work(i), fr as u128, i)));
                continue;
            }
            recompute[i] = true;
            for x in n.items[i].binds() {
                if residual[x.0 as usize] {
                    residual[x.0 as usize] = false;
                    total -= size[x.0 as usize];
                }
            }
            // `buf` holds i's reads: the ones not residual yet become residuals, and the items
            // defining them become candidates.
            let reads = buf.clone();
            for x in reads {
                let xi = x.0 as usize;
                if nonlinear(x) && !residual[xi] && !def_item[xi].is_some_and(|d| recompute[d]) {
                    residual[xi] = true;
                    total += size[xi];
                    // Its definition now frees it, and its readers need it no more.
                    for d in def_item[xi].into_iter().chain(readers[xi].iter().copied()) {
                        if !recompute[d] && candidate(d, &residual) {
                            let fr = freed(d, &residual, &recompute, &mut buf);
                            if fr > 0 {
                                heap.push(Reverse(Key(work(d), fr as u128, d)));
                            }
                        }
                    }
                }
            }
        }
        Ok(recompute)
    }
}

/// Compares `a/b` with `c/d` exactly, for `b, d > 0`, with no overflow however large the
/// numbers: compare the integer parts, then the reciprocals of the remainders (the continued
/// fractions of both), as Euclid's algorithm does: at most ~190 rounds for `u128`.
pub(crate) fn cmp_fractions(a: u128, b: u128, c: u128, d: u128) -> std::cmp::Ordering {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let (mut a, mut b, mut c, mut d) = (a, b.max(1), c, d.max(1));
    let mut flipped = false;
    let orient = |o: std::cmp::Ordering, flipped: bool| if flipped { o.reverse() } else { o };
    loop {
        let (q1, q2) = (a / b, c / d);
        if q1 != q2 {
            return orient(q1.cmp(&q2), flipped);
        }
        let (r1, r2) = (a % b, c % d);
        match (r1, r2) {
            (0, 0) => return Equal,
            (0, _) => return orient(Less, flipped),
            (_, 0) => return orient(Greater, flipped),
            // r1/b < r2/d exactly when b/r1 > d/r2.
            _ => (a, b, c, d, flipped) = (b, r1, d, r2, !flipped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cmp_fractions;

    /// Against exact cross-multiplication where it fits, and on values where it would overflow.
    #[test]
    fn fractions_compare_exactly_without_overflow() {
        for a in 0..40u128 {
            for b in 1..12u128 {
                for c in 0..40u128 {
                    for d in 1..12u128 {
                        assert_eq!(
                            cmp_fractions(a, b, c, d),
                            (a * d).cmp(&(c * b)),
                            "{a}/{b} {c}/{d}"
                        );
                    }
                }
            }
        }
        let big = 1u128 << 120;
        use std::cmp::Ordering::*;
        assert_eq!(cmp_fractions(big, 3, big, 2), Less);
        assert_eq!(cmp_fractions(big + 1, 1 << 9, big, 1 << 9), Greater);
        assert_eq!(
            cmp_fractions(u128::MAX, u128::MAX - 1, u128::MAX - 1, u128::MAX - 2),
            Less
        );
        assert_eq!(cmp_fractions(u128::MAX, 7, u128::MAX, 7), Equal);
        // (2^120 * 300) overflows u128: cross-multiplying panicked in debug builds.
        assert_eq!(cmp_fractions(big, 300, big - 1, 299), Less);
    }
}
