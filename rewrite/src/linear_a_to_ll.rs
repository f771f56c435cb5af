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
use semantics::{Type, TypeAlias};
use std::collections::{HashMap, HashSet};

/// `c_enc`: `W(encode(f)) ≤ C_ENC · W(f) + ENTRY` for a strict Linear A function `f`, derived
/// construct by construct from the two cost models (Linear A's SPEC §3 against λLL's, in
/// `semantics::ll`), never fitted. Each Linear A construct, its cost, and its image's cost:
/// - an atom in a nonlinear item of a return, call or tuple of `n + m ≥ 2` items (1): boxed by
///   `let b = !a` (let 1, `!` 1, atom 1) and read in the tuple (1): 4;
/// - a return `(as ; ys)` (1 + n + m): a tuple (1 + n + m) plus 3 per nonlinear item; a single
///   item (2): `!a` (2) or `y` (1). Ratio ≤ 4;
/// - `let` (1): a `let` (1, plus 1 for a tensor pattern): 2;
/// - a destructure (2): `let (..) = x` (let 1, tensor 1, atom 1): 1.5;
/// - a primitive `p(as)` (cost + n): `!p(as)` (1 + cost + n): at most 2 (n ≥ 1);
/// - a nonlinear tuple of n atoms (1 + n): `!{ let bi = !ai in (bs) }`, 1 + 4n + 1: at most 4
///   (n ≥ 1), 2 for `<>`;
/// - a call `f(as ; ys)` (1 + n + m) with the `let` that binds it (1): the packed arguments
///   (3n, plus a `let` and a tuple 2 + n + m when n + m ≠ 1, or `let u = ()` 2 when n + m = 0),
///   the application (1 + 2 atoms), a tensor pattern (+1), and the callee's entry
///   `let PAT = p` (at most 3). The worst case is `let () = f()`: 2 against 10, ratio 5;
/// - `+`, scaling, `zero`, `dup`: the same construct at the same cost: 1;
/// - `drop(e)` (W(e) + max(1, S)): e's image, a `let d` (1), `drop d` (max(1, S) + 1): the
///   extra 2 against at least 1: ratio at most 3.
///
/// So `C_ENC = 5`. The top-level function's own entry `let PAT = p` (at most 3) is paid once,
/// outside any call: [`ENTRY`].
pub const C_ENC: f64 = 5.0;

/// The work of a function's entry (`let PAT = p`: let, tensor pattern, atom), charged once for
/// the function applied at the top.
pub const ENTRY: f64 = 3.0;

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
            b.taken.insert(l.name.to_string());
            b.slots.push(SlotInfo {
                name: l.name.to_string(),
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
    spelled_within_budget(&strict)?;
    let mut defs = Vec::with_capacity(strict.funcs.len());
    for f in &strict.funcs {
        defs.push(encode_fn(f)?);
    }
    canonical(LlProgram { defs })
}

/// λLL has no type names, so its terms spell every signature and `zero` type out: a DAG of
/// aliases (`type A{i} = <A{i-1}, A{i-1}>`) would print `2^d` nodes from `d` lines, and a
/// chain of them (`type A{i} = <A{i-1}>`) a type as deep as the program is long, which λLL's
/// types (trees) cannot even be dropped without recursing that deep. The nodes spelled, in
/// all, must stay within `2^16 + 4·|P|` (an alias-free program's types are its own text, so
/// only aliases can pass it) and each type within the checker's depth limit.
fn spelled_within_budget(p: &Program) -> Result<(), RewriteError> {
    let text = p.funcs.iter().map(semantics::fn_size);
    let budget = (1u128 << 16).saturating_add(text.fold(0, u128::saturating_add).saturating_mul(4));
    let (mut spelled, mut memo) = (0u128, HashMap::new());
    for f in &p.funcs {
        let ps = f.params.iter().chain(&f.lparams).map(|q| &q.ty);
        let mut tys: Vec<&Type> = ps.chain(&f.results).chain(&f.lresults).collect();
        semantics::each_expr(&f.body, &mut |e| {
            if let Expr::Zero { ty, .. } = e {
                tys.push(ty);
            }
        });
        for t in tys {
            let (nodes, depth) = nodes_and_depth(t, &mut memo);
            spelled = spelled.saturating_add(nodes);
            let limit = semantics::TYPE_DEPTH_LIMIT;
            let why = match (spelled > budget, depth > limit) {
                (true, _) => format!("take the program's types to more than {budget} nodes"),
                (_, true) => format!("nest deeper than {limit} levels"),
                _ => continue,
            };
            return Err(RewriteError::NotInLlFragment {
                what: format!(
                    "`{}`: its types spelled out (λLL has no type names) {why}",
                    f.name
                ),
                span: f.span,
            });
        }
    }
    Ok(())
}

/// A type's nodes and depth spelled out, saturating; each alias is measured once.
fn nodes_and_depth(t: &Type, memo: &mut HashMap<*const TypeAlias, (u128, u32)>) -> (u128, u32) {
    match t {
        Type::Real => (1, 0),
        Type::Tuple(ts) => ts.iter().fold((1, 1), |(n, d), t| {
            let (m, e) = nodes_and_depth(t, memo);
            (n.saturating_add(m), d.max(e.saturating_add(1)))
        }),
        Type::Named(a) => {
            let key = std::sync::Arc::as_ptr(a);
            if let Some(&v) = memo.get(&key) {
                return v;
            }
            // An alias chain is as deep as the program is long: the stack grows on demand.
            let v = semantics::deep(|| nodes_and_depth(&a.def, memo));
            memo.insert(key, v);
            v
        }
    }
}

/// Slots renumbered in text order (the order [`ll::parse`] assigns: a `let`'s right-hand
/// side before its pattern, a λ's parameter before its body), unused slots dropped, captures
/// recomputed: the form every pass returns, so that `parse(print(p)) == p`. One sweep per
/// definition; recursion follows nesting only.
pub(crate) fn canonical(mut p: LlProgram) -> Result<LlProgram, RewriteError> {
    for d in &mut p.defs {
        let mut r = Renumber {
            map: vec![None; d.slots.len()],
            old: std::mem::take(&mut d.slots),
            new: Vec::new(),
        };
        r.block(&mut d.body)?;
        d.slots = r.new;
        ll::close(d);
    }
    Ok(p)
}

struct Renumber {
    map: Vec<Option<Slot>>,
    old: Vec<SlotInfo>,
    new: Vec<SlotInfo>,
}

impl Renumber {
    fn bind(&mut self, x: &mut Slot) -> Result<(), RewriteError> {
        let info = self
            .old
            .get(x.0 as usize)
            .cloned()
            .ok_or_else(|| internal("a binder without a slot"))?;
        let y = Slot(self.new.len() as u32);
        self.new.push(info);
        self.map[x.0 as usize] = Some(y);
        *x = y;
        Ok(())
    }

    fn atom(&self, a: &mut LAtom) -> Result<(), RewriteError> {
        if let LAtom::Var(x, _) = a {
            *x = self
                .map
                .get(x.0 as usize)
                .copied()
                .flatten()
                .ok_or_else(|| internal("a variable used before its binder"))?;
        }
        Ok(())
    }

    fn block(&mut self, b: &mut LBlock) -> Result<(), RewriteError> {
        for bind in &mut b.binds {
            self.expr(&mut bind.rhs)?;
            match &mut bind.pat {
                Pat::Lin(x) | Pat::Bang(x) => self.bind(x)?,
                Pat::Tensor(items) => {
                    for (x, _) in items {
                        self.bind(x)?;
                    }
                }
            }
        }
        self.expr(&mut b.tail)
    }

    fn expr(&mut self, e: &mut LExpr) -> Result<(), RewriteError> {
        match e {
            LExpr::Atom(a) | LExpr::Dup(a, _) | LExpr::Drop(a, _) => self.atom(a),
            LExpr::Tuple(xs, _) | LExpr::Prim(_, xs, _) => {
                xs.iter_mut().try_for_each(|a| self.atom(a))
            }
            LExpr::App(a, b, _) | LExpr::Add(a, b, _) | LExpr::Scale(a, b, _) => {
                self.atom(a)?;
                self.atom(b)
            }
            LExpr::Zero(..) => Ok(()),
            LExpr::Bang(b, _) | LExpr::Block(b) => self.block(b),
            LExpr::Lam(l, _) => {
                let l = std::rc::Rc::make_mut(l);
                self.bind(&mut l.param)?;
                self.block(&mut l.body)
            }
        }
    }
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
