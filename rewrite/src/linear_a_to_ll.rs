//! The encoding of Linear A into λLL (Giusti and Pagani's translation; docs/lambda-ll.md lists
//! it rule by rule). A function `f(xs: τs ; ys': σs) -> (ρs ; πs)` becomes the global
//! `def f : M(τs ; σs) ⊸ M(ρs ; πs) = fun (p) { let PAT = p in [body] }`, where `M` packs a
//! multi-value as one type (nonlinear components under `!`). Per construct:
//! - a nonlinear binder `x` is bound by `!x` (into Γ), a linear `y'` by `y'` (into Δ);
//! - a primitive `p(as)` is `!p(as)` (its arguments come from Γ);
//! - a nonlinear tuple `<as>` is `!{ let b1 = !a1 in ... (b1, ..., bn) }`, a linear one `(ys)`;
//! - a nonlinear destructure `let <xs> = x` is `let (!x1, ..., !xn) = x`, a linear one
//!   `let (y1', ...) = y'`;
//! - a call `f(as ; ys)` is `f ARGS` with `ARGS` the packed arguments (each nonlinear one
//!   boxed by `let b = !a`), a return is the packed values;
//! - `+`, scaling, `zero`, `dup` are λLL's own; `drop(e)` binds e's packed results and drops
//!   them; nested blocks are flattened (binders are distinct in a Linear A function).
//!
//! One sweep per function; nested blocks recurse to their (parser-bounded) nesting depth only.
//! Relaxed input is elaborated (dups and drops inserted) first, since λLL's Δ is strict.

use crate::error::{RewriteError, internal};
use semantics::ll::{self, Atom as LAtom, Bind as LBind, Block as LBlock, Expr as LExpr, *};
use semantics::{Atom, Bind, Block, Expr, FnDef, PrimTable, Program, Span};
use std::collections::HashSet;

/// A λLL definition under construction: slots with fresh names.
pub(crate) struct LlFn {
    pub slots: Vec<SlotInfo>,
    taken: HashSet<String>,
    next: u32,
}

impl LlFn {
    /// Starts with one slot per Linear A local (same index), sorted by spelling.
    pub fn from_locals(f: &FnDef) -> LlFn {
        let mut b = LlFn {
            slots: Vec::new(),
            taken: HashSet::new(),
            next: 0,
        };
        for l in &f.locals {
            b.taken.insert(l.name.clone());
            b.slots.push(SlotInfo {
                name: l.name.clone(),
                intuitionistic: !l.linear,
                span: l.span,
            });
        }
        b
    }

    /// Continues an existing definition's slots (new names avoid all of them).
    pub fn from_slots(slots: Vec<SlotInfo>) -> LlFn {
        LlFn {
            taken: slots.iter().map(|s| s.name.clone()).collect(),
            slots,
            next: 0,
        }
    }

    /// A fresh slot named after `hint` (`hint_1`, ...; primed when linear, the way Linear A
    /// spells linear variables, though in λLL the binder decides the sort).
    pub fn fresh(&mut self, hint: &str, intuitionistic: bool) -> Slot {
        let hint = hint.trim_end_matches('\'');
        loop {
            self.next += 1;
            let mut name = format!("{hint}_{}", self.next);
            if !intuitionistic {
                name.push('\'');
            }
            if self.taken.insert(name.clone()) {
                let x = Slot(self.slots.len() as u32);
                self.slots.push(SlotInfo {
                    name,
                    intuitionistic,
                    span: Span::GENERATED,
                });
                return x;
            }
        }
    }

    pub fn name(&self, x: Slot) -> &str {
        self.slots
            .get(x.0 as usize)
            .map_or("v", |s| s.name.as_str())
    }
}

pub(crate) fn var(x: Slot) -> LAtom {
    LAtom::Var(x, Span::GENERATED)
}

pub(crate) fn bind(pat: Pat, rhs: LExpr) -> LBind {
    LBind {
        pat,
        rhs,
        span: Span::GENERATED,
    }
}

pub(crate) fn bang_of(e: LExpr) -> LExpr {
    LExpr::Bang(Box::new(LBlock::of(e)), Span::GENERATED)
}

/// The pattern binding a multi-value `(xs ; ys)`.
pub(crate) fn pack_pat(nl: &[Slot], lin: &[Slot]) -> Pat {
    match (nl, lin) {
        ([x], []) => Pat::Bang(*x),
        ([], [y]) => Pat::Lin(*y),
        _ => Pat::Tensor(
            nl.iter()
                .map(|x| (*x, true))
                .chain(lin.iter().map(|y| (*y, false)))
                .collect(),
        ),
    }
}

/// Encodes a well-typed Linear A program (relaxed ones are elaborated first).
pub fn linear_a_to_ll(prog: &Program, prims: &PrimTable) -> Result<LlProgram, RewriteError> {
    let strict = checker::elaborate(prog, prims).map_err(RewriteError::IllTyped)?;
    let mut defs = Vec::with_capacity(strict.funcs.len());
    for f in &strict.funcs {
        defs.push(encode_fn(f)?);
    }
    canonical(LlProgram { defs })
}

/// Slots renumbered in text order (the order [`ll::parse`] assigns), with captures
/// recomputed: the form every pass returns, so that `parse(print(p)) == p`.
pub(crate) fn canonical(p: LlProgram) -> Result<LlProgram, RewriteError> {
    let text = ll::print(&p);
    ll::parse(&text).map_err(|d| {
        internal(format!(
            "generated λLL does not read back: {}",
            d.first().map_or("", |d| d.message.as_str())
        ))
    })
}

fn encode_fn(f: &FnDef) -> Result<Def, RewriteError> {
    let mut b = LlFn::from_locals(f);
    let p = b.fresh("p", false);
    let nl: Vec<Slot> = f.params.iter().map(|q| Slot(q.var.0)).collect();
    let lin: Vec<Slot> = f.lparams.iter().map(|q| Slot(q.var.0)).collect();
    let ptys: Vec<_> = f.params.iter().map(|q| q.ty.clone()).collect();
    let ltys: Vec<_> = f.lparams.iter().map(|q| q.ty.clone()).collect();
    let arg_ty = multi_type(&ptys, &ltys);
    let res_ty = multi_type(&f.results, &f.lresults);
    let mut binds = vec![bind(pack_pat(&nl, &lin), LExpr::Atom(var(p)))];
    let tail = Encoder { b: &mut b }.block(&f.body, &mut binds)?;
    let lam = Lam {
        param: p,
        ty: arg_ty.clone(),
        body: LBlock { binds, tail },
        captures: Vec::new(),
    };
    Ok(Def {
        name: f.name.clone(),
        ty: LType::lolli(arg_ty, res_ty),
        slots: b.slots,
        body: LBlock::of(LExpr::Lam(std::rc::Rc::new(lam), Span::GENERATED)),
        span: f.span,
    })
}

pub(crate) struct Encoder<'b> {
    pub b: &'b mut LlFn,
}

pub(crate) fn atom(a: &Atom) -> LAtom {
    match a {
        Atom::Var(v) => LAtom::Var(Slot(v.id.0), v.span),
        Atom::Lit(x, s) => LAtom::Lit(*x, *s),
    }
}

impl Encoder<'_> {
    /// Emits a Linear A block's bindings into `out` (flattened) and returns its tail.
    pub fn block(&mut self, b: &Block, out: &mut Vec<LBind>) -> Result<LExpr, RewriteError> {
        for s in &b.binds {
            match s {
                Bind::Let { nl, lin, rhs, .. } => {
                    let e = self.expr(rhs, out)?;
                    let nl: Vec<Slot> = nl.iter().map(|x| Slot(x.0)).collect();
                    let lin: Vec<Slot> = lin.iter().map(|x| Slot(x.0)).collect();
                    out.push(bind(pack_pat(&nl, &lin), e));
                }
                Bind::Unpack { binders, src, .. } => {
                    // The sort of the source decides the sort of the components.
                    let bang = self
                        .b
                        .slots
                        .get(src.id.0 as usize)
                        .is_some_and(|s| s.intuitionistic);
                    out.push(bind(
                        Pat::Tensor(binders.iter().map(|x| (Slot(x.0), bang)).collect()),
                        LExpr::Atom(LAtom::Var(Slot(src.id.0), src.span)),
                    ));
                }
            }
        }
        self.expr(&b.tail, out)
    }

    /// The packed multi-value `(as ; ys)` as one atom-free expression.
    pub fn pack(&mut self, nl: &[Atom], lin: &[Atom], out: &mut Vec<LBind>) -> LExpr {
        match (nl, lin) {
            ([a], []) => bang_of(LExpr::Atom(atom(a))),
            ([], [y]) => LExpr::Atom(atom(y)),
            _ => {
                let mut items = Vec::with_capacity(nl.len() + lin.len());
                for a in nl {
                    let bx = self.b.fresh("b", false);
                    out.push(bind(Pat::Lin(bx), bang_of(LExpr::Atom(atom(a)))));
                    items.push(var(bx));
                }
                items.extend(lin.iter().map(atom));
                LExpr::Tuple(items, Span::GENERATED)
            }
        }
    }

    /// The packed arguments as one atom.
    pub fn pack_atom(&mut self, nl: &[Atom], lin: &[Atom], out: &mut Vec<LBind>) -> LAtom {
        if let ([], [y]) = (nl, lin) {
            return atom(y);
        }
        let e = self.pack(nl, lin, out);
        let x = self.b.fresh("arg", false);
        out.push(bind(Pat::Lin(x), e));
        var(x)
    }

    pub fn expr(&mut self, e: &Expr, out: &mut Vec<LBind>) -> Result<LExpr, RewriteError> {
        let g = Span::GENERATED;
        Ok(match e {
            Expr::Ret { nl, lin, .. } => self.pack(nl, lin, out),
            Expr::Tuple { items, span } => {
                let mut inner = Vec::with_capacity(items.len());
                let mut bs = Vec::with_capacity(items.len());
                for a in items {
                    let bx = self.b.fresh("b", false);
                    inner.push(bind(Pat::Lin(bx), bang_of(LExpr::Atom(atom(a)))));
                    bs.push(var(bx));
                }
                LExpr::Bang(
                    Box::new(LBlock {
                        binds: inner,
                        tail: LExpr::Tuple(bs, *span),
                    }),
                    *span,
                )
            }
            Expr::LTuple { items, span } => LExpr::Tuple(items.iter().map(atom).collect(), *span),
            Expr::Call {
                func,
                nl,
                lin,
                span,
            } => {
                let arg = self.pack_atom(nl, lin, out);
                LExpr::App(LAtom::Global(DefId(func.0), *span), arg, *span)
            }
            Expr::Prim { prim, args, span } => {
                bang_of(LExpr::Prim(*prim, args.iter().map(atom).collect(), *span))
            }
            Expr::LAdd { lhs, rhs, span } => LExpr::Add(atom(lhs), atom(rhs), *span),
            Expr::Scale { scalar, lin, span } => LExpr::Scale(atom(scalar), atom(lin), *span),
            Expr::Zero { ty, span } => LExpr::Zero(linear_type(ty), *span),
            Expr::Dup { arg, span } => LExpr::Dup(atom(arg), *span),
            Expr::Drop { body, span } => {
                let inner = self.block(body, out)?;
                let d = self.b.fresh("d", false);
                out.push(bind(Pat::Lin(d), inner));
                LExpr::Drop(var(d), *span)
            }
            Expr::Block(b) => {
                let _ = g;
                self.block(b, out)?
            }
        })
    }
}
