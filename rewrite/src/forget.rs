//! Forget (SPEC §4, beyond the paper): a Linear A program becomes a nonlinear one with the same
//! meaning. Linear variables become ordinary ones (`x'` is renamed `x`, or a fresh variant when
//! `x` is taken), linear parameters and results join the nonlinear ones (after them, in order),
//! and the linear core becomes arithmetic:
//!
//! | linear | forgotten |
//! | --- | --- |
//! | `y1' + y2'` at type σ | `add` leaf by leaf (destructure both, add, rebuild) |
//! | `a * y'` at type σ | `mul` of `a` with each leaf |
//! | `zero<σ>` | a tuple of `0.0` literals of shape σ |
//! | `dup(y')` | `(y, y)` |
//! | `<y1', ..., yn'>`, `let <..> = y'` | the nonlinear tuple and destructure |
//! | `drop(e)` | `drop` of forgotten `e` |
//!
//! So the forgotten program can be differentiated again: JVP of a forgotten VJP gives
//! Hessian-vector products ([`crate::hvp`]). Functions keep their names and positions, so a
//! call's [`FuncId`] is unchanged. One sweep per function; the work of each linear operation
//! grows by a factor bounded by its type's size, as in the cost model (SPEC §3).

use crate::build::{FnBuilder, atom};
use crate::error::{RewriteError, internal};
use semantics::*;

/// Forgets the linearity of every function of a well-typed (strict or relaxed) program.
pub fn forget(prog: &Program, prims: &PrimTable) -> Result<Program, RewriteError> {
    checker::accepts(prog, prims, checker::Options { relaxed: true })
        .map_err(RewriteError::IllTyped)?;
    let types = local_types(prog, prims).map_err(|e| internal(e.to_diagnostic().message))?;
    let funcs = prog
        .funcs
        .iter()
        .zip(&types)
        .map(|(f, ts)| forget_fn(f, ts))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Program { funcs })
}

fn forget_fn(f: &FnDef, types: &[Option<Type>]) -> Result<FnDef, RewriteError> {
    let mut out = FnBuilder::new();
    let mut map = vec![LocalId(0); f.locals.len()];
    // Nonlinear names first, so they are kept exactly; linear ones then lose their primes.
    for pass_linear in [false, true] {
        for (i, l) in f.locals.iter().enumerate() {
            if l.linear == pass_linear {
                map[i] = out.named(&l.name, false);
            }
        }
    }
    let mut fg = Forget { out, map, types, f };
    let params = f
        .params
        .iter()
        .chain(&f.lparams)
        .map(|p| {
            Ok(Param {
                var: fg.id(p.var)?,
                ty: p.ty.clone(),
            })
        })
        .collect::<Result<Vec<_>, RewriteError>>()?;
    let body = fg.block(&f.body)?;
    Ok(FnDef {
        name: f.name.clone(),
        checkpoint: f.checkpoint,
        name_span: f.name_span,
        params,
        lparams: Vec::new(),
        results: f.results.iter().chain(&f.lresults).cloned().collect(),
        lresults: Vec::new(),
        locals: fg.out.locals,
        body,
        span: f.span,
    })
}

struct Forget<'a> {
    out: FnBuilder,
    /// The new slot of each old slot.
    map: Vec<LocalId>,
    types: &'a [Option<Type>],
    f: &'a FnDef,
}

fn bind(x: LocalId, rhs: Expr) -> Bind {
    Bind::Let {
        nl: vec![x],
        lin: Vec::new(),
        rhs,
        span: Span::GENERATED,
    }
}

fn ret(items: Vec<Atom>) -> Expr {
    Expr::Ret {
        nl: items,
        lin: Vec::new(),
        span: Span::GENERATED,
    }
}

impl Forget<'_> {
    fn id(&self, x: LocalId) -> Result<LocalId, RewriteError> {
        self.map
            .get(x.0 as usize)
            .copied()
            .ok_or_else(|| internal("a variable without a slot"))
    }

    fn ids(&self, xs: &[LocalId]) -> Result<Vec<LocalId>, RewriteError> {
        xs.iter().map(|&x| self.id(x)).collect()
    }

    fn atom(&self, a: &Atom) -> Result<Atom, RewriteError> {
        Ok(match a {
            Atom::Var(v) => Atom::Var(Var {
                id: self.id(v.id)?,
                span: v.span,
            }),
            Atom::Lit(..) => *a,
        })
    }

    fn atoms<'x>(&self, xs: impl IntoIterator<Item = &'x Atom>) -> Result<Vec<Atom>, RewriteError> {
        xs.into_iter().map(|a| self.atom(a)).collect()
    }

    /// The type of a linear operand (every well-typed operand has one).
    fn type_of(&self, a: &Atom) -> Result<Type, RewriteError> {
        match a {
            Atom::Lit(..) => Ok(Type::Real),
            Atom::Var(v) => self
                .types
                .get(v.id.0 as usize)
                .cloned()
                .flatten()
                .ok_or_else(|| {
                    internal(format!(
                        "no type for `{}` in `{}`",
                        self.f.name_of(v.id),
                        self.f.name
                    ))
                }),
        }
    }

    fn block(&mut self, b: &Block) -> Result<Block, RewriteError> {
        let mut binds = Vec::with_capacity(b.binds.len());
        for s in &b.binds {
            match s {
                Bind::Unpack { binders, src, span } => binds.push(Bind::Unpack {
                    binders: self.ids(binders)?,
                    src: Var {
                        id: self.id(src.id)?,
                        span: src.span,
                    },
                    span: *span,
                }),
                Bind::Let { nl, lin, rhs, span } => {
                    let rhs = self.expr(rhs, &mut binds)?;
                    binds.push(Bind::Let {
                        nl: self.ids(nl)?.into_iter().chain(self.ids(lin)?).collect(),
                        lin: Vec::new(),
                        rhs,
                        span: *span,
                    });
                }
            }
        }
        let tail = self.expr(&b.tail, &mut binds)?;
        Ok(Block { binds, tail })
    }

    /// The forgotten form of `e`, after the bindings it needs (pushed to `binds`).
    fn expr(&mut self, e: &Expr, binds: &mut Vec<Bind>) -> Result<Expr, RewriteError> {
        Ok(match e {
            Expr::Ret { nl, lin, span } => Expr::Ret {
                nl: self.atoms(nl.iter().chain(lin))?,
                lin: Vec::new(),
                span: *span,
            },
            Expr::Tuple { items, span } | Expr::LTuple { items, span } => Expr::Tuple {
                items: self.atoms(items)?,
                span: *span,
            },
            Expr::Call {
                func,
                nl,
                lin,
                span,
            } => Expr::Call {
                func: *func,
                nl: self.atoms(nl.iter().chain(lin))?,
                lin: Vec::new(),
                span: *span,
            },
            Expr::Prim { prim, args, span } => Expr::Prim {
                prim: *prim,
                args: self.atoms(args)?,
                span: *span,
            },
            Expr::LAdd { lhs, rhs, .. } => {
                let ty = self.type_of(lhs)?;
                let (a, b) = (self.atom(lhs)?, self.atom(rhs)?);
                self.add(&ty, a, b, binds)
            }
            Expr::Scale { scalar, lin, .. } => {
                let ty = self.type_of(lin)?;
                let (a, y) = (self.atom(scalar)?, self.atom(lin)?);
                if ty.size() == 0 {
                    // No leaf uses the factor: drop it, so the forgotten code stays strict.
                    binds.push(Bind::Let {
                        nl: Vec::new(),
                        lin: Vec::new(),
                        rhs: Expr::Drop {
                            body: Box::new(Block {
                                binds: Vec::new(),
                                tail: ret(vec![a]),
                            }),
                            span: Span::GENERATED,
                        },
                        span: Span::GENERATED,
                    });
                }
                self.scale(&ty, a, y, binds)
            }
            Expr::Zero { ty, .. } => self.zero(ty, binds),
            Expr::Dup { arg, .. } => {
                let a = self.atom(arg)?;
                ret(vec![a, a])
            }
            Expr::Drop { body, span } => Expr::Drop {
                body: Box::new(self.block(body)?),
                span: *span,
            },
            Expr::Block(b) => Expr::Block(Box::new(self.block(b)?)),
        })
    }

    /// Binds `e` to a fresh variable unless it is already a single atom.
    fn bound(&mut self, e: Expr, binds: &mut Vec<Bind>) -> Atom {
        if let Expr::Ret { nl, lin, .. } = &e
            && nl.len() == 1
            && lin.is_empty()
        {
            return nl[0];
        }
        let x = self.out.fresh("f", false);
        binds.push(bind(x, e));
        atom(x)
    }

    /// Destructures a tuple atom of `n` components into fresh variables.
    fn unpack(&mut self, a: Atom, n: usize, binds: &mut Vec<Bind>) -> Vec<Atom> {
        let Some(v) = a.var() else {
            // Only a variable has a tuple type.
            return vec![a; n];
        };
        let parts: Vec<LocalId> = (0..n).map(|_| self.out.fresh("c", false)).collect();
        binds.push(Bind::Unpack {
            binders: parts.clone(),
            src: v,
            span: Span::GENERATED,
        });
        parts.into_iter().map(atom).collect()
    }

    /// `a + b` at type `ty`, leaf by leaf (type depth is bounded by the checker).
    fn add(&mut self, ty: &Type, a: Atom, b: Atom, binds: &mut Vec<Bind>) -> Expr {
        match ty.components() {
            None => Expr::Prim {
                prim: PrimId::ADD,
                args: vec![a, b],
                span: Span::GENERATED,
            },
            Some(ts) => {
                let xs = self.unpack(a, ts.len(), binds);
                let ys = self.unpack(b, ts.len(), binds);
                let mut items = Vec::with_capacity(ts.len());
                for ((t, x), y) in ts.iter().zip(xs).zip(ys) {
                    let e = self.add(t, x, y, binds);
                    items.push(self.bound(e, binds));
                }
                Expr::Tuple {
                    items,
                    span: Span::GENERATED,
                }
            }
        }
    }

    /// `s * y` at type `ty`, leaf by leaf.
    fn scale(&mut self, ty: &Type, s: Atom, y: Atom, binds: &mut Vec<Bind>) -> Expr {
        match ty.components() {
            None => Expr::Prim {
                prim: PrimId::MUL,
                args: vec![s, y],
                span: Span::GENERATED,
            },
            Some(ts) => {
                let ys = self.unpack(y, ts.len(), binds);
                let mut items = Vec::with_capacity(ts.len());
                for (t, y) in ts.iter().zip(ys) {
                    let e = self.scale(t, s, y, binds);
                    items.push(self.bound(e, binds));
                }
                Expr::Tuple {
                    items,
                    span: Span::GENERATED,
                }
            }
        }
    }

    /// The zero of `ty` as literals.
    fn zero(&mut self, ty: &Type, binds: &mut Vec<Bind>) -> Expr {
        match ty.components() {
            None => ret(vec![Atom::Lit(0.0, Span::GENERATED)]),
            Some(ts) => {
                let mut items = Vec::with_capacity(ts.len());
                for t in ts {
                    let e = self.zero(t, binds);
                    items.push(self.bound(e, binds));
                }
                Expr::Tuple {
                    items,
                    span: Span::GENERATED,
                }
            }
        }
    }
}
