//! Copying code from one function into another under a substitution of its slots.
//!
//! Used to inline a JVP rule at each primitive application (rule parameters become the
//! actual atoms) and, in unzip, to copy recomputed bindings into the linear half. Binders are
//! given fresh slots in the target (or pre-assigned ones), so copies never capture names.

use crate::build::FnBuilder;
use crate::error::{RewriteError, internal};
use semantics::*;

pub struct Copier<'a> {
    pub src: &'a FnDef,
    /// What each source slot stands for in the target.
    map: Vec<Option<Atom>>,
    /// Where calls go in the target program.
    pub call_map: &'a dyn Fn(FuncId) -> Option<FuncId>,
}

impl<'a> Copier<'a> {
    pub fn new(src: &'a FnDef, call_map: &'a dyn Fn(FuncId) -> Option<FuncId>) -> Copier<'a> {
        Copier {
            src,
            map: vec![None; src.locals.len()],
            call_map,
        }
    }

    /// Declares that source slot `x` stands for `a` in the target.
    pub fn set(&mut self, x: LocalId, a: Atom) {
        if let Some(slot) = self.map.get_mut(x.0 as usize) {
            *slot = Some(a);
        }
    }

    pub fn get(&self, x: LocalId) -> Option<Atom> {
        self.map.get(x.0 as usize).copied().flatten()
    }

    pub fn atom(&self, a: &Atom) -> Result<Atom, RewriteError> {
        match a {
            Atom::Lit(..) => Ok(*a),
            Atom::Var(v) => self
                .get(v.id)
                .ok_or_else(|| internal(format!("`{}` is not mapped", self.src.name_of(v.id)))),
        }
    }

    fn var(&self, v: &Var) -> Result<Var, RewriteError> {
        self.atom(&Atom::Var(*v))?
            .var()
            .ok_or_else(|| internal("a literal substituted where a variable is needed"))
    }

    fn atoms(&self, xs: &[Atom]) -> Result<Vec<Atom>, RewriteError> {
        xs.iter().map(|a| self.atom(a)).collect()
    }

    /// Gives source binder `x` a target slot: its pre-assigned one, or a fresh one.
    pub fn bind(&mut self, out: &mut FnBuilder, x: LocalId) -> LocalId {
        if let Some(Atom::Var(v)) = self.get(x) {
            return v.id;
        }
        let id = out.named(self.src.name_of(x), self.src.is_linear(x));
        self.set(
            x,
            Atom::Var(Var {
                id,
                span: Span::GENERATED,
            }),
        );
        id
    }

    /// Copies a parameter list, giving each parameter its slot in the target.
    pub fn params(&mut self, out: &mut FnBuilder, ps: &[Param]) -> Vec<Param> {
        ps.iter()
            .map(|p| Param {
                var: self.bind(out, p.var),
                ty: p.ty.clone(),
            })
            .collect()
    }

    /// Copies one binding.
    pub fn bind_stmt(&mut self, out: &mut FnBuilder, b: &Bind) -> Result<Bind, RewriteError> {
        Ok(match b {
            Bind::Let { nl, lin, rhs, span } => {
                let rhs = self.expr(out, rhs)?;
                let nl = nl.iter().map(|&x| self.bind(out, x)).collect();
                let lin = lin.iter().map(|&x| self.bind(out, x)).collect();
                Bind::Let {
                    nl,
                    lin,
                    rhs,
                    span: *span,
                }
            }
            Bind::Unpack { binders, src, span } => {
                let src = self.var(src)?;
                let binders = binders.iter().map(|&x| self.bind(out, x)).collect();
                Bind::Unpack {
                    binders,
                    src,
                    span: *span,
                }
            }
        })
    }

    pub fn block(&mut self, out: &mut FnBuilder, b: &Block) -> Result<Block, RewriteError> {
        let binds = b
            .binds
            .iter()
            .map(|s| self.bind_stmt(out, s))
            .collect::<Result<_, _>>()?;
        Ok(Block {
            binds,
            tail: self.expr(out, &b.tail)?,
        })
    }

    pub fn expr(&mut self, out: &mut FnBuilder, e: &Expr) -> Result<Expr, RewriteError> {
        Ok(match e {
            Expr::Ret { nl, lin, span } => Expr::Ret {
                nl: self.atoms(nl)?,
                lin: self.atoms(lin)?,
                span: *span,
            },
            Expr::Tuple { items, span } => Expr::Tuple {
                items: self.atoms(items)?,
                span: *span,
            },
            Expr::LTuple { items, span } => Expr::LTuple {
                items: self.atoms(items)?,
                span: *span,
            },
            Expr::Call {
                func,
                nl,
                lin,
                span,
            } => {
                let func =
                    (self.call_map)(*func).ok_or_else(|| internal("a call with no target"))?;
                Expr::Call {
                    func,
                    nl: self.atoms(nl)?,
                    lin: self.atoms(lin)?,
                    span: *span,
                }
            }
            Expr::Prim { prim, args, span } => Expr::Prim {
                prim: *prim,
                args: self.atoms(args)?,
                span: *span,
            },
            Expr::LAdd { lhs, rhs, span } => Expr::LAdd {
                lhs: self.atom(lhs)?,
                rhs: self.atom(rhs)?,
                span: *span,
            },
            Expr::Scale { scalar, lin, span } => Expr::Scale {
                scalar: self.atom(scalar)?,
                lin: self.atom(lin)?,
                span: *span,
            },
            Expr::Zero { ty, span } => Expr::Zero {
                ty: ty.clone(),
                span: *span,
            },
            Expr::Dup { arg, span } => Expr::Dup {
                arg: self.atom(arg)?,
                span: *span,
            },
            Expr::Drop { body, span } => Expr::Drop {
                body: Box::new(self.block(out, body)?),
                span: *span,
            },
            Expr::Block(b) => Expr::Block(Box::new(self.block(out, b)?)),
        })
    }
}
