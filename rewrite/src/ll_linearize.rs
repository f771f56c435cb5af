//! Linearization native to λLL: the JVP of an *encoded* function, computed on the λLL term.
//!
//! Input: the encoding ([`crate::linear_a_to_ll`]) of a nonlinear program, each definition
//! `def f : X ⊸ Y = fun (p : X) { let PAT = p in B }` whose values are all in Γ or boxed.
//! Output: `def f : X ⊸ ![ρ1] ⊗ … ⊗ ![ρk] ⊗ !(X' ⊸ Y')` (the shape of [`crate::ll_jvp`]), in
//! one sweep over `B`: every binding is kept as it is (the primal half, before the closure)
//! and gets its tangent binding inside the closure `!fun (t : X') { … }`, by the rules
//!
//! | primal binding | tangent binding (inside the closure) |
//! | --- | --- |
//! | `let PAT = p` (entry) | `let PAT' = t` |
//! | `let q = !a`, `let q = x` (an alias or a box) | `let q' = a'` |
//! | `let q = !{ let b1 = !a1 in … (b1, …) }` (a tuple) | `let q' = (a1', …)` |
//! | `let q = (b1, …)` (boxes packed) | `let q' = (b1', …)` |
//! | `let q = !p(as)` | the primitive's JVP rule: its nonlinear lets join the primal half, its linear ones the tangent, `let q' = rule tangent` |
//! | `let q = g arg` | `let (q…, !l) = g arg` (g's own linearization) and `let q' = l arg'` |
//! | `let () = drop d` | `let () = drop d'` |
//!
//! where `q'` is the pattern `q` with every component linear, and `a'` a *copy* of the tangent
//! of `a`: Γ has contraction and weakening, Δ neither, so a Γ variable used k times has its
//! tangent `dup`ed k − 1 times (dropped when k = 0), and a literal's tangent is `zero[R]`.
//! Calls go through the callee's linearized definition, so the pass needs no Linear A: only
//! the primitive table's JVP rules, which are Linear A text by design (SPEC §4), are read, and
//! each is translated on the spot. [`crate::ll_jvp`] (Linear A's JVP, split as it is encoded)
//! remains as the cross-check: the two agree numerically (`properties/tests/ll.rs`).

use crate::error::{RewriteError, internal};
use crate::linear_a_to_ll::{LlFn, bang_of, bind, canonical, var};
use crate::rules::JvpRules;
use semantics::ll::{Atom, Bind, Block, Def, Expr, LType, Lam, LlProgram, Pat, Slot};
use semantics::{PrimTable, Span};
use std::collections::HashMap;
use std::rc::Rc;

/// The λLL JVP of an encoded nonlinear program, definition by definition (same positions).
pub fn ll_linearize(enc: &LlProgram, prims: &PrimTable) -> Result<LlProgram, RewriteError> {
    let rules = JvpRules::load(prims)?;
    let results: Vec<usize> = enc.defs.iter().map(result_count).collect();
    let defs = enc
        .defs
        .iter()
        .map(|d| linearize_def(d, &rules, &results))
        .collect::<Result<Vec<_>, _>>()?;
    canonical(LlProgram { defs })
}

/// The number of nonlinear results of an encoded definition (its result `M(ρs)`).
fn result_count(d: &Def) -> usize {
    match &d.ty {
        LType::Lolli(_, y) => match &**y {
            LType::Tensor(ts) => ts.len(),
            _ => 1,
        },
        _ => 0,
    }
}

/// `T(A)`: the tangent type of an encoded nonlinear type (`T(!A) = T(A)`).
fn tangent_type(t: &LType) -> Result<LType, RewriteError> {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || match t {
        LType::Real => Ok(LType::Real),
        LType::Bang(a) => tangent_type(a),
        LType::Tensor(ts) => Ok(LType::Tensor(
            ts.iter().map(tangent_type).collect::<Result<_, _>>()?,
        )),
        LType::Lolli(..) => Err(not_encoded("a function-typed value")),
    })
}

fn not_encoded(what: &str) -> RewriteError {
    RewriteError::NotInLlFragment {
        what: format!(
            "{what}: ll_linearize takes the encoding of a nonlinear program (linear_a_to_ll)"
        ),
        span: Span::GENERATED,
    }
}

struct Lin<'a> {
    b: LlFn,
    rules: &'a JvpRules,
    results: &'a [usize],
    primal: Vec<Bind>,
    tangent: Vec<Bind>,
    /// The tangent of each slot bound so far (a Δ slot of the closure).
    tan: HashMap<Slot, Slot>,
    /// Uses of each Γ slot not yet given a tangent copy.
    left: HashMap<Slot, usize>,
    /// Tangent slots known to hold zero (a literal's tangent, its copies and aliases):
    /// scaling one gives it back and adding one drops it, so that a constant subexpression has
    /// a zero tangent even where its value overflows (`inf * 0` would be NaN), as Linear A's
    /// folded JVP has.
    zeros: std::collections::HashSet<Slot>,
    /// Tuple tangents with some zero components (`(1.0, x)`'s is `(z, x')`), per component,
    /// so that destructuring one marks its zero components: the folding above sees through
    /// tuples, as Linear A's JVP does.
    zero_parts: HashMap<Slot, Vec<bool>>,
}

fn linearize_def(d: &Def, rules: &JvpRules, results: &[usize]) -> Result<Def, RewriteError> {
    let (Expr::Lam(top, span), true) = (&d.body.tail, d.body.binds.is_empty()) else {
        return Err(not_encoded("a definition that is not a function"));
    };
    let LType::Lolli(x_ty, y_ty) = &d.ty else {
        return Err(not_encoded("a definition that is not a function"));
    };
    // A nonlinear function's parameters and results are all boxed (`M(τs ;)`).
    let boxed = |t: &LType| match t {
        LType::Bang(_) => true,
        LType::Tensor(ts) => ts.iter().all(|t| matches!(t, LType::Bang(_))),
        _ => false,
    };
    if !(boxed(x_ty) && boxed(y_ty)) {
        return Err(not_encoded(&format!(
            "`{}` has linear parameters or results ({})",
            d.name, d.ty
        )));
    }
    let mut s = Lin {
        b: LlFn::from_slots(d.slots.clone()),
        rules,
        results,
        primal: Vec::with_capacity(top.body.binds.len() + 2),
        tangent: Vec::with_capacity(top.body.binds.len() + 2),
        tan: HashMap::new(),
        left: HashMap::new(),
        zeros: Default::default(),
        zero_parts: HashMap::new(),
    };
    // Uses of every Γ slot, nested `!{ … }` blocks included (an explicit stack).
    let mut stack = vec![&top.body];
    while let Some(blk) = stack.pop() {
        for e in blk.binds.iter().map(|x| &x.rhs).chain([&blk.tail]) {
            for a in semantics::ll::expr_atoms(e) {
                if let Some(x) = a.slot()
                    && d.is_intuitionistic(x)
                {
                    *s.left.entry(x).or_default() += 1;
                }
            }
            match e {
                Expr::Bang(i, _) | Expr::Block(i) => stack.push(i),
                Expr::Lam(..) => return Err(not_encoded("a λ inside a nonlinear function")),
                _ => {}
            }
        }
    }
    let t = s.b.fresh("t", false);
    s.tan.insert(top.param, t);
    for bnd in &top.body.binds {
        s.binding(&bnd.pat, &bnd.rhs, d)?;
    }
    // The tail: bound whole, then its boxes returned beside the map.
    let r = s.b.fresh("r", false);
    s.binding(&Pat::Lin(r), &top.body.tail, d)?;
    let tr = s.tan_of_linear(r)?;
    let k = result_count(d);
    let mut items: Vec<Atom> = Vec::with_capacity(k + 1);
    if k == 1 {
        items.push(var(r));
    } else {
        let cs: Vec<Slot> = (0..k).map(|_| s.b.fresh("b", false)).collect();
        s.primal.push(bind(
            Pat::Tensor(cs.iter().map(|c| (*c, false)).collect()),
            Expr::Atom(var(r)),
        ));
        items.extend(cs.into_iter().map(var));
    }
    let dx = tangent_type(x_ty)?;
    let y_ty = match &d.ty {
        LType::Lolli(_, y) => (**y).clone(),
        _ => LType::one(),
    };
    let dy = tangent_type(&y_ty)?;
    let map = Lam {
        param: t,
        ty: dx.clone(),
        body: Block {
            binds: std::mem::take(&mut s.tangent),
            tail: Expr::Atom(var(tr)),
        },
        captures: Vec::new(),
    };
    let m = s.b.fresh("map", false);
    s.primal.push(bind(
        Pat::Lin(m),
        bang_of(Expr::Lam(Rc::new(map), Span::GENERATED)),
    ));
    items.push(var(m));
    let mut out_tys: Vec<LType> = match &y_ty {
        LType::Tensor(ts) => ts.clone(),
        t => vec![t.clone()],
    };
    out_tys.push(LType::bang(LType::lolli(dx, dy)));
    let lam = Lam {
        param: top.param,
        ty: (**x_ty).clone(),
        body: Block {
            binds: std::mem::take(&mut s.primal),
            tail: Expr::Tuple(items, Span::GENERATED),
        },
        captures: Vec::new(),
    };
    Ok(Def {
        name: d.name.clone(),
        ty: LType::lolli((**x_ty).clone(), LType::Tensor(out_tys)),
        slots: s.b.slots,
        body: Block::of(Expr::Lam(Rc::new(lam), *span)),
        span: d.span,
    })
}

impl Lin<'_> {
    /// A fresh tangent slot named after `x`.
    fn fresh_tan(&mut self, x: Slot) -> Slot {
        let name = format!("{}'", self.b.name(x).trim_end_matches('\''));
        self.b.fresh(&name, false)
    }

    /// The tangent of Δ slot `x` (used once, so no copy).
    fn tan_of_linear(&mut self, x: Slot) -> Result<Slot, RewriteError> {
        self.tan
            .remove(&x)
            .ok_or_else(|| internal("a value without a tangent"))
    }

    /// One copy of atom `a`'s tangent: `zero[R]` for a literal; for a Γ slot, a `dup` of its
    /// tangent while other uses remain; for a Δ slot, its tangent.
    fn copy(&mut self, a: &Atom, d: &Def) -> Result<Atom, RewriteError> {
        let g = Span::GENERATED;
        match a {
            Atom::Lit(..) => {
                let z = self.b.fresh("z", false);
                self.tangent
                    .push(bind(Pat::Lin(z), Expr::Zero(LType::Real, g)));
                self.zeros.insert(z);
                Ok(var(z))
            }
            Atom::Global(..) => Err(not_encoded("a global used as a value")),
            Atom::Var(x, _) if d.is_intuitionistic(*x) => {
                let tx = *self
                    .tan
                    .get(x)
                    .ok_or_else(|| internal("a Γ value without a tangent"))?;
                let n = self.left.get(x).copied().unwrap_or(0);
                if n > 1 {
                    let c = self.fresh_tan(*x);
                    let rest = self.fresh_tan(*x);
                    self.tangent.push(bind(
                        Pat::Tensor(vec![(c, false), (rest, false)]),
                        Expr::Dup(var(tx), g),
                    ));
                    if self.zeros.contains(&tx) {
                        self.zeros.extend([c, rest]);
                    }
                    if let Some(parts) = self.zero_parts.get(&tx).cloned() {
                        self.zero_parts.insert(c, parts.clone());
                        self.zero_parts.insert(rest, parts);
                    }
                    self.tan.insert(*x, rest);
                    self.left.insert(*x, n - 1);
                    Ok(var(c))
                } else {
                    self.tan.remove(x);
                    self.left.remove(x);
                    Ok(var(tx))
                }
            }
            Atom::Var(x, _) => Ok(var(self.tan_of_linear(*x)?)),
        }
    }

    /// Binds the tangent `e'` of a binding's right-hand side to the tangent of its pattern.
    fn bind_tangent(&mut self, pat: &Pat, e: Expr) {
        let tpat = match (pat, &e) {
            // An alias needs no code: the pattern's tangent is the atom's.
            (Pat::Lin(x) | Pat::Bang(x), Expr::Atom(Atom::Var(a, _))) => {
                self.tan.insert(*x, *a);
                self.drop_unused(pat);
                return;
            }
            (pat, _) => pat,
        };
        // Which components of the tangent are known zeros (a tuple of tangents, or a slot
        // holding one).
        let is_zero = |a: &Atom, z: &std::collections::HashSet<Slot>| {
            a.slot().is_some_and(|x| z.contains(&x))
        };
        let parts: Option<Vec<bool>> = match &e {
            Expr::Tuple(cs, _) => Some(cs.iter().map(|c| is_zero(c, &self.zeros)).collect()),
            Expr::Atom(Atom::Var(a, _)) => self.zero_parts.get(a).cloned(),
            _ => None,
        };
        let tpat = match tpat {
            Pat::Lin(x) | Pat::Bang(x) => {
                let tx = self.fresh_tan(*x);
                self.tan.insert(*x, tx);
                if let Some(parts) = parts.filter(|ps| ps.contains(&true)) {
                    if parts.iter().all(|&z| z) {
                        self.zeros.insert(tx);
                    }
                    self.zero_parts.insert(tx, parts);
                }
                Pat::Lin(tx)
            }
            Pat::Tensor(items) => {
                let parts = parts.filter(|ps| ps.len() == items.len());
                Pat::Tensor(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, (x, _))| {
                            let tx = self.fresh_tan(*x);
                            self.tan.insert(*x, tx);
                            if parts.as_ref().is_some_and(|ps| ps[i]) {
                                self.zeros.insert(tx);
                            }
                            (tx, false)
                        })
                        .collect(),
                )
            }
        };
        self.tangent.push(bind(tpat, e));
        self.drop_unused(pat);
    }

    /// A Γ variable bound but never used: its tangent is discarded at once.
    fn drop_unused(&mut self, pat: &Pat) {
        for x in semantics::ll::pat_slots(pat) {
            if self.left.get(&x).is_none_or(|n| *n == 0)
                && let Some(tx) = self.tan.get(&x).copied()
                && self
                    .b
                    .slots
                    .get(x.0 as usize)
                    .is_some_and(|s| s.intuitionistic)
            {
                self.tan.remove(&x);
                self.tangent.push(bind(
                    Pat::Tensor(vec![]),
                    Expr::Drop(var(tx), Span::GENERATED),
                ));
            }
        }
    }

    fn binding(&mut self, pat: &Pat, rhs: &Expr, d: &Def) -> Result<(), RewriteError> {
        let g = Span::GENERATED;
        match rhs {
            Expr::Atom(a @ Atom::Var(..)) => {
                self.primal.push(bind(pat.clone(), rhs.clone()));
                let c = self.copy(a, d)?;
                self.bind_tangent(pat, Expr::Atom(c));
            }
            Expr::Tuple(items, _) => {
                self.primal.push(bind(pat.clone(), rhs.clone()));
                let cs = items
                    .iter()
                    .map(|a| self.copy(a, d))
                    .collect::<Result<Vec<_>, _>>()?;
                self.bind_tangent(pat, Expr::Tuple(cs, g));
            }
            Expr::Drop(a, _) => {
                self.primal.push(bind(pat.clone(), rhs.clone()));
                let c = self.copy(a, d)?;
                self.bind_tangent(pat, Expr::Drop(c, g));
            }
            Expr::App(Atom::Global(h, _), arg, span) => {
                let k = self.results.get(h.0 as usize).copied().unwrap_or(0);
                let l = self.b.fresh("map", true);
                // `g` now returns its results' boxes and its map: the results are bound as
                // before (a whole-bound multi-value is repacked from them).
                let mut ps: Vec<(Slot, bool)> = Vec::with_capacity(k + 1);
                let mut repack = None;
                match pat {
                    Pat::Tensor(items) if items.len() == k => ps.extend(items.iter().copied()),
                    Pat::Bang(y) if k == 1 => ps.push((*y, true)),
                    Pat::Lin(q) => {
                        let ys: Vec<Slot> = (0..k).map(|_| self.b.fresh("y", false)).collect();
                        ps.extend(ys.iter().map(|y| (*y, false)));
                        repack = Some(match ys.as_slice() {
                            [y] => bind(Pat::Lin(*q), Expr::Atom(var(*y))),
                            _ => bind(
                                Pat::Lin(*q),
                                Expr::Tuple(ys.into_iter().map(var).collect(), g),
                            ),
                        });
                    }
                    _ => return Err(not_encoded("a call bound by a pattern of another arity")),
                }
                ps.push((l, true));
                self.primal.push(bind(
                    Pat::Tensor(ps),
                    Expr::App(Atom::Global(*h, *span), *arg, *span),
                ));
                self.primal.extend(repack);
                let c = self.copy(arg, d)?;
                self.bind_tangent(pat, Expr::App(var(l), c, *span));
            }
            Expr::Bang(inner, _) => self.promoted(pat, inner, d)?,
            _ => return Err(not_encoded("a construct of the linear core")),
        }
        Ok(())
    }

    /// `let pat = !{ … }`: a box of an atom, a primitive or a tuple.
    fn promoted(&mut self, pat: &Pat, inner: &Block, d: &Def) -> Result<(), RewriteError> {
        let g = Span::GENERATED;
        match (&inner.tail, inner.binds.is_empty()) {
            (Expr::Atom(a), true) => {
                self.primal.push(bind(pat.clone(), bang_of(Expr::Atom(*a))));
                let c = self.copy(a, d)?;
                self.bind_tangent(pat, Expr::Atom(c));
            }
            (Expr::Prim(p, args, span), true) => {
                let (y, ty) = self.rule(*p, args, *span, d)?;
                self.primal.push(bind(pat.clone(), bang_of(Expr::Atom(y))));
                self.bind_tangent(pat, Expr::Atom(var(ty)));
            }
            (Expr::Tuple(bs, span), _) => {
                // `!{ let b1 = !a1 in … (b1, …) }`: the tangent is the tuple of the a's.
                let mut boxed: HashMap<Slot, Atom> = HashMap::new();
                for s in &inner.binds {
                    match (&s.pat, &s.rhs) {
                        (Pat::Lin(b), Expr::Bang(i, _)) if i.binds.is_empty() => {
                            if let Expr::Atom(a) = i.tail {
                                boxed.insert(*b, a);
                                continue;
                            }
                            return Err(not_encoded("a tuple item that is not an atom"));
                        }
                        _ => return Err(not_encoded("a tuple item that is not boxed")),
                    }
                }
                self.primal.push(bind(
                    pat.clone(),
                    Expr::Bang(Box::new(inner.clone()), *span),
                ));
                let mut cs = Vec::with_capacity(bs.len());
                for bx in bs {
                    let a = bx
                        .slot()
                        .and_then(|b| boxed.get(&b).copied())
                        .ok_or_else(|| not_encoded("a tuple item that is not boxed"))?;
                    cs.push(self.copy(&a, d)?);
                }
                self.bind_tangent(pat, Expr::Tuple(cs, g));
            }
            _ => return Err(not_encoded("a promoted block of another form")),
        }
        Ok(())
    }

    /// Inlines the JVP rule of primitive `p` at `args`: its nonlinear lets go to the primal
    /// half, its linear ones to the tangent half. Returns the primal result and its tangent.
    fn rule(
        &mut self,
        p: semantics::PrimId,
        args: &[Atom],
        span: Span,
        d: &Def,
    ) -> Result<(Atom, Slot), RewriteError> {
        use semantics::{Atom as A, Bind as B, Expr as E};
        let rule = &self
            .rules
            .get(p)
            .ok_or_else(|| internal("a primitive without a JVP rule"))?
            .def;
        if rule.params.len() != args.len() || rule.lparams.len() != args.len() {
            return Err(internal(
                "a primitive applied to another number of arguments",
            ));
        }
        let mut map: HashMap<u32, Atom> = HashMap::new();
        for (q, a) in rule.params.iter().zip(args) {
            map.insert(q.var.0, *a);
        }
        for (q, a) in rule.lparams.iter().zip(args) {
            let c = self.copy(a, d)?;
            map.insert(q.var.0, c);
        }
        let at = |map: &HashMap<u32, Atom>, a: &A| -> Result<Atom, RewriteError> {
            match a {
                A::Lit(x, s) => Ok(Atom::Lit(*x, *s)),
                A::Var(v) => map
                    .get(&v.id.0)
                    .copied()
                    .ok_or_else(|| internal("a rule variable used before its binder")),
            }
        };
        for s in &rule.body.binds {
            let B::Let { nl, lin, rhs, .. } = s else {
                return Err(internal("a JVP rule that destructures"));
            };
            match (nl.as_slice(), lin.as_slice(), rhs) {
                ([y], [], E::Prim { prim, args: ra, .. }) => {
                    let xs = ra
                        .iter()
                        .map(|a| at(&map, a))
                        .collect::<Result<Vec<_>, _>>()?;
                    let v = self.b.fresh("v", true);
                    self.primal
                        .push(bind(Pat::Bang(v), bang_of(Expr::Prim(*prim, xs, span))));
                    map.insert(y.0, var(v));
                }
                ([y], [], E::Ret { nl: r, lin: rl, .. }) if r.len() == 1 && rl.is_empty() => {
                    let a = at(&map, &r[0])?;
                    map.insert(y.0, a);
                }
                ([], [y], e) => {
                    let zero = |a: &Atom, z: &std::collections::HashSet<Slot>| {
                        a.slot().is_some_and(|x| z.contains(&x))
                    };
                    let te = match e {
                        E::Scale { scalar, lin, .. } => {
                            let l = at(&map, lin)?;
                            if zero(&l, &self.zeros) {
                                map.insert(y.0, l);
                                continue;
                            }
                            Expr::Scale(at(&map, scalar)?, l, span)
                        }
                        E::LAdd { lhs, rhs, .. } => {
                            let (a, b) = (at(&map, lhs)?, at(&map, rhs)?);
                            let (keep, gone) = if zero(&b, &self.zeros) {
                                (a, Some(b))
                            } else if zero(&a, &self.zeros) {
                                (b, Some(a))
                            } else {
                                (a, None)
                            };
                            if let Some(z) = gone {
                                self.tangent
                                    .push(bind(Pat::Tensor(vec![]), Expr::Drop(z, span)));
                                map.insert(y.0, keep);
                                continue;
                            }
                            Expr::Add(a, b, span)
                        }
                        E::Ret { nl: r, lin: rl, .. } if r.is_empty() && rl.len() == 1 => {
                            Expr::Atom(at(&map, &rl[0])?)
                        }
                        _ => return Err(internal("a JVP rule construct λLL does not translate")),
                    };
                    let v = self.b.fresh("v", false);
                    self.tangent.push(bind(Pat::Lin(v), te));
                    map.insert(y.0, var(v));
                }
                _ => return Err(internal("a JVP rule construct λLL does not translate")),
            }
        }
        let E::Ret { nl: r, lin: rl, .. } = &rule.body.tail else {
            return Err(internal("a JVP rule without a return"));
        };
        let ([y], [t]) = (r.as_slice(), rl.as_slice()) else {
            return Err(internal("a JVP rule of another arity"));
        };
        let y = at(&map, y)?;
        let t = match at(&map, t)? {
            Atom::Var(x, _)
                if !self
                    .b
                    .slots
                    .get(x.0 as usize)
                    .is_some_and(|s| s.intuitionistic) =>
            {
                x
            }
            _ => return Err(internal("a JVP rule whose tangent is not linear")),
        };
        Ok((y, t))
    }
}
