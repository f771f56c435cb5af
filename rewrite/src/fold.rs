//! Folding after JVP: symbolic zeros, and primitive applications computed once.
//!
//! **Symbolic zeros** (JAX's `Zero`): tangents that are statically zero are folded away.
//! A literal's tangent is `zero<R>`, and the rules then scale it, add it and pass it on: work that
//! computes nothing, and whose coefficients (`c = cos(x)` to scale a zero) are computed only for
//! that. One forward sweep tracks which linear slots are statically zero and which are another
//! slot under a new name: `a * z'` and `dup(z')` are zero, `u' + z'` is `u'`, a linear tuple of
//! zeros is zero and its destructure gives zeros; a zero is materialised as `zero<T>` only where
//! something needs a value (a call's argument, a result, a tuple with non-zero items). A backward
//! sweep then removes the nonlinear bindings nothing reads any more.
//!
//! **Sharing**: a rule may compute what the primal already has (`div`'s rule computes `1 / b`,
//! which is the primal itself when `a` is `1`; `sin` and `cos` rules each compute both): a
//! primitive application equal to an earlier one of the body (same row, same atoms) reuses its
//! result, as hash-consing would. Both sweeps are linear in the body
//! (nested blocks recurse, bounded by nesting); the program is pure, so removing dead code and
//! zero arithmetic preserves meaning exactly (`0 * x` is `0` over the reals; over floats the
//! folded program is the one that treats a literal's tangent as an exact zero, as JAX does).

use crate::build::{FnBuilder, atom};
use semantics::*;

/// Folds the statically zero tangents of a (relaxed) JVP output function and shares repeated
/// primitive applications, then removes the nonlinear code this made dead.
pub fn fold(f: FnDef) -> FnDef {
    let mut z = Zeros {
        out: FnBuilder::from_locals(&f.locals),
        zero: vec![None; f.locals.len()],
        alias: vec![None; f.locals.len()],
        shared: std::collections::HashMap::new(),
        depth: 0,
    };
    let mut body = z.block(&f.body);
    let linear: Vec<bool> = z.out.locals.iter().map(|l| l.linear).collect();
    remove_dead(&mut body, &linear);
    FnDef {
        locals: z.out.locals,
        body,
        ..f
    }
}

struct Zeros {
    out: FnBuilder,
    /// The type of each linear slot known to be zero.
    zero: Vec<Option<Type>>,
    /// A slot that is another one under a new name (a linear rename, or a shared application).
    alias: Vec<Option<LocalId>>,
    /// The primitive applications of the body's top level, by row and atoms (a literal by its
    /// bits): a later equal one reuses the slot. Nested blocks read it but add nothing (what
    /// they bind is out of scope after them).
    shared: std::collections::HashMap<(PrimId, Vec<(bool, u64)>), LocalId>,
    depth: u32,
}

fn let_(nl: Vec<LocalId>, lin: Vec<LocalId>, rhs: Expr) -> Bind {
    Bind::Let {
        nl,
        lin,
        rhs,
        span: Span::GENERATED,
    }
}

fn ret(nl: Vec<Atom>, lin: Vec<Atom>) -> Expr {
    Expr::Ret {
        nl,
        lin,
        span: Span::GENERATED,
    }
}

impl Zeros {
    fn grow(&mut self) {
        let n = self.out.locals.len();
        self.zero.resize(n, None);
        self.alias.resize(n, None);
    }

    /// The slot an atom stands for, through renames.
    fn resolve(&self, a: &Atom) -> Atom {
        match a {
            Atom::Var(v) => match self.alias.get(v.id.0 as usize).copied().flatten() {
                Some(id) => atom(id),
                None => *a,
            },
            Atom::Lit(..) => *a,
        }
    }

    /// The zero type of an atom, if it is statically zero.
    fn zero_of(&self, a: &Atom) -> Option<Type> {
        match self.resolve(a) {
            Atom::Var(v) => self.zero.get(v.id.0 as usize).cloned().flatten(),
            Atom::Lit(..) => None,
        }
    }

    /// An atom whose value is needed: renamed, and a zero made real by `zero<T>`.
    fn value(&mut self, a: &Atom, binds: &mut Vec<Bind>) -> Atom {
        match self.zero_of(a) {
            Some(ty) => {
                let z = self.out.fresh("zero", true);
                self.grow();
                binds.push(let_(
                    vec![],
                    vec![z],
                    Expr::Zero {
                        ty,
                        span: Span::GENERATED,
                    },
                ));
                atom(z)
            }
            None => self.resolve(a),
        }
    }

    fn renamed(&self, xs: &[Atom]) -> Vec<Atom> {
        xs.iter().map(|a| self.resolve(a)).collect()
    }

    fn values(&mut self, xs: &[Atom], binds: &mut Vec<Bind>) -> Vec<Atom> {
        xs.iter().map(|a| self.value(a, binds)).collect()
    }

    fn set_zero(&mut self, y: LocalId, ty: Type) {
        if let Some(slot) = self.zero.get_mut(y.0 as usize) {
            *slot = Some(ty);
        }
    }

    fn set_alias(&mut self, y: LocalId, to: &Atom) {
        match (self.zero_of(to), self.resolve(to)) {
            (Some(ty), _) => self.set_zero(y, ty),
            (None, Atom::Var(v)) => {
                if let Some(slot) = self.alias.get_mut(y.0 as usize) {
                    *slot = Some(v.id);
                }
            }
            // A literal is never a linear value; keep nothing.
            (None, Atom::Lit(..)) => {}
        }
    }

    fn block(&mut self, b: &Block) -> Block {
        self.depth += 1;
        let block = self.block_in(b);
        self.depth -= 1;
        block
    }

    fn block_in(&mut self, b: &Block) -> Block {
        let mut binds = Vec::with_capacity(b.binds.len());
        for s in &b.binds {
            match s {
                Bind::Let { nl, lin, rhs, span } => self.bind(nl, lin, rhs, *span, &mut binds),
                Bind::Unpack { binders, src, span } => {
                    let src_atom = Atom::Var(*src);
                    match self.zero_of(&src_atom).as_ref().and_then(Type::components) {
                        Some(ts) if ts.len() == binders.len() => {
                            for (&x, t) in binders.iter().zip(ts.to_vec()) {
                                self.set_zero(x, t);
                            }
                        }
                        _ => {
                            let src = match self.value(&src_atom, &mut binds) {
                                Atom::Var(v) => v,
                                Atom::Lit(..) => *src,
                            };
                            binds.push(Bind::Unpack {
                                binders: binders.clone(),
                                src,
                                span: *span,
                            });
                        }
                    }
                }
            }
        }
        let tail = self.tail(&b.tail, &mut binds);
        Block { binds, tail }
    }

    /// `let (nl ; lin) = rhs`, folded.
    fn bind(
        &mut self,
        nl: &[LocalId],
        lin: &[LocalId],
        rhs: &Expr,
        span: Span,
        out: &mut Vec<Bind>,
    ) {
        if let (Expr::Prim { prim, args, .. }, [x], []) = (rhs, nl, lin) {
            let args: Vec<Atom> = args.iter().map(|a| self.resolve(a)).collect();
            let key = (
                *prim,
                args.iter()
                    .map(|a| match a {
                        Atom::Var(v) => (true, u64::from(v.id.0)),
                        Atom::Lit(c, _) => (false, c.to_bits()),
                    })
                    .collect(),
            );
            if let Some(&y) = self.shared.get(&key) {
                if let Some(slot) = self.alias.get_mut(x.0 as usize) {
                    *slot = Some(y);
                }
                return;
            }
            if self.depth == 1 {
                self.shared.insert(key, *x);
            }
            out.push(Bind::Let {
                nl: nl.to_vec(),
                lin: vec![],
                rhs: Expr::Prim {
                    prim: *prim,
                    args,
                    span: Span::GENERATED,
                },
                span,
            });
            return;
        }
        match (rhs, lin) {
            (Expr::Zero { ty, .. }, [y]) if nl.is_empty() => self.set_zero(*y, ty.clone()),
            (Expr::Scale { lin: a, .. }, [y]) if self.zero_of(a).is_some() => {
                let ty = self.zero_of(a).unwrap_or(Type::Real);
                self.set_zero(*y, ty);
            }
            (Expr::Dup { arg, .. }, [y1, y2]) if self.zero_of(arg).is_some() => {
                let ty = self.zero_of(arg).unwrap_or(Type::Real);
                self.set_zero(*y1, ty.clone());
                self.set_zero(*y2, ty);
            }
            (Expr::LAdd { lhs, rhs: r, .. }, [y]) => match (self.zero_of(lhs), self.zero_of(r)) {
                (Some(ty), Some(_)) => self.set_zero(*y, ty),
                (Some(_), None) => self.set_alias(*y, r),
                (None, Some(_)) => self.set_alias(*y, lhs),
                (None, None) => {
                    let (lhs, r) = (self.resolve(lhs), self.resolve(r));
                    out.push(Bind::Let {
                        nl: vec![],
                        lin: lin.to_vec(),
                        rhs: Expr::LAdd {
                            lhs,
                            rhs: r,
                            span: Span::GENERATED,
                        },
                        span,
                    });
                }
            },
            (Expr::LTuple { items, .. }, [y])
                if !items.is_empty() && items.iter().all(|a| self.zero_of(a).is_some()) =>
            {
                let ts = items.iter().filter_map(|a| self.zero_of(a)).collect();
                self.set_zero(*y, Type::Tuple(ts));
            }
            // A return only renames: linear items become the binders (zeros stay zero).
            (
                Expr::Ret {
                    nl: xs, lin: ys, ..
                },
                _,
            ) if ys.len() == lin.len() => {
                for (&y, a) in lin.iter().zip(ys) {
                    self.set_alias(y, a);
                }
                if !nl.is_empty() {
                    out.push(Bind::Let {
                        nl: nl.to_vec(),
                        lin: vec![],
                        rhs: ret(self.renamed(xs), vec![]),
                        span,
                    });
                }
            }
            _ => {
                let rhs = self.expr(rhs, out);
                out.push(Bind::Let {
                    nl: nl.to_vec(),
                    lin: lin.to_vec(),
                    rhs,
                    span,
                });
            }
        }
    }

    /// An expression kept as it is, with its linear atoms renamed and zeros made real.
    fn expr(&mut self, e: &Expr, out: &mut Vec<Bind>) -> Expr {
        match e {
            Expr::Ret { nl, lin, span } => Expr::Ret {
                nl: self.renamed(nl),
                lin: self.values(lin, out),
                span: *span,
            },
            Expr::LTuple { items, span } => Expr::LTuple {
                items: self.values(items, out),
                span: *span,
            },
            Expr::Call {
                func,
                nl,
                lin,
                span,
            } => Expr::Call {
                func: *func,
                nl: self.renamed(nl),
                lin: self.values(lin, out),
                span: *span,
            },
            Expr::LAdd { lhs, rhs, span } => Expr::LAdd {
                lhs: self.value(lhs, out),
                rhs: self.value(rhs, out),
                span: *span,
            },
            Expr::Scale { scalar, lin, span } => Expr::Scale {
                scalar: self.resolve(scalar),
                lin: self.value(lin, out),
                span: *span,
            },
            Expr::Dup { arg, span } => Expr::Dup {
                arg: self.value(arg, out),
                span: *span,
            },
            Expr::Drop { body, span } => Expr::Drop {
                body: Box::new(self.block(body)),
                span: *span,
            },
            Expr::Block(b) => Expr::Block(Box::new(self.block(b))),
            Expr::Tuple { items, span } => Expr::Tuple {
                items: self.renamed(items),
                span: *span,
            },
            Expr::Prim { prim, args, span } => Expr::Prim {
                prim: *prim,
                args: self.renamed(args),
                span: *span,
            },
            Expr::Zero { .. } => e.clone(),
        }
    }

    /// A block's tail: a zero result is `zero<T>`, `u' + z'` is `u'`, the rest as [`Self::expr`].
    fn tail(&mut self, e: &Expr, out: &mut Vec<Bind>) -> Expr {
        match e {
            Expr::LAdd { lhs, rhs, .. } => match (self.zero_of(lhs), self.zero_of(rhs)) {
                (Some(_), None) => ret(vec![], vec![self.resolve(rhs)]),
                (None, Some(_)) => ret(vec![], vec![self.resolve(lhs)]),
                (Some(ty), Some(_)) => Expr::Zero {
                    ty,
                    span: Span::GENERATED,
                },
                (None, None) => self.expr(e, out),
            },
            Expr::Scale { lin, .. } => match self.zero_of(lin) {
                Some(ty) => Expr::Zero {
                    ty,
                    span: Span::GENERATED,
                },
                None => self.expr(e, out),
            },
            _ => self.expr(e, out),
        }
    }
}

/// Removes the nonlinear bindings whose binders nothing reads (after folding: the coefficients
/// of zero tangents), in one backward sweep per block. A binding that binds or reads a linear
/// slot stays (linear values are used exactly once, and the folding already dropped the dead
/// ones), and so does anything binding nothing (a `drop`).
fn remove_dead(b: &mut Block, linear: &[bool]) {
    let n = linear.len();
    let mut used = vec![false; n];
    let mut reads = Vec::new();
    expr_reads(&b.tail, &mut reads);
    let mark = |xs: &[LocalId], used: &mut Vec<bool>| {
        for x in xs {
            if let Some(u) = used.get_mut(x.0 as usize) {
                *u = true;
            }
        }
    };
    mark(&reads, &mut used);
    let is_lin = |x: &LocalId| linear.get(x.0 as usize).copied().unwrap_or(true);
    let mut keep = vec![true; b.binds.len()];
    for (i, s) in b.binds.iter().enumerate().rev() {
        reads.clear();
        bind_reads(s, &mut reads);
        let binders: Vec<LocalId> = match s {
            Bind::Let { nl, lin, .. } => nl.iter().chain(lin).copied().collect(),
            Bind::Unpack { binders, .. } => binders.clone(),
        };
        let pure = match s {
            Bind::Let { rhs, .. } => matches!(
                rhs,
                Expr::Prim { .. } | Expr::Tuple { .. } | Expr::Ret { .. }
            ),
            Bind::Unpack { .. } => true,
        };
        let dead = pure
            && !binders.is_empty()
            && !binders.iter().any(is_lin)
            && !reads.iter().any(is_lin)
            && binders
                .iter()
                .all(|x| !used.get(x.0 as usize).copied().unwrap_or(true));
        if dead {
            keep[i] = false;
        } else {
            mark(&reads, &mut used);
        }
    }
    let mut k = keep.into_iter();
    b.binds.retain(|_| k.next().unwrap_or(true));
}
