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
        fold_bind(&mut Into { c: self, out }, b)
    }

    /// [`Copier::bind_stmt`] of a binding the caller no longer needs: renamed in place, so
    /// its vectors are reused instead of copied. Binders are given their slots in the order
    /// the copy gives them (a `let`'s right-hand side first, then its nonlinear and linear
    /// binders; a destructure's source, then its binders), so the result equals the copy's.
    pub fn bind_moved(&mut self, out: &mut FnBuilder, mut b: Bind) -> Result<Bind, RewriteError> {
        Into { c: self, out }.bind_in_place(&mut b)?;
        Ok(b)
    }

    pub fn block(&mut self, out: &mut FnBuilder, b: &Block) -> Result<Block, RewriteError> {
        fold_block(&mut Into { c: self, out }, b)
    }

    pub fn expr(&mut self, out: &mut FnBuilder, e: &Expr) -> Result<Expr, RewriteError> {
        fold_expr(&mut Into { c: self, out }, e)
    }
}

/// A copy under the substitution into the function `out` builds: the [`Fold`] that
/// rebuilds the syntax around it.
struct Into<'c, 'a> {
    c: &'c mut Copier<'a>,
    out: &'c mut FnBuilder,
}

impl Fold for Into<'_, '_> {
    type Error = RewriteError;

    fn atom(&mut self, a: &Atom) -> Result<Atom, RewriteError> {
        self.c.atom(a)
    }

    fn var(&mut self, v: &Var) -> Result<Var, RewriteError> {
        self.c.var(v)
    }

    fn binder(&mut self, x: LocalId) -> LocalId {
        self.c.bind(self.out, x)
    }

    fn func(&mut self, g: FuncId) -> Result<FuncId, RewriteError> {
        (self.c.call_map)(g).ok_or_else(|| internal("a call with no target"))
    }
}

impl Into<'_, '_> {
    fn atoms_in_place(&mut self, xs: &mut [Atom]) -> Result<(), RewriteError> {
        for a in xs {
            *a = self.c.atom(a)?;
        }
        Ok(())
    }

    /// [`fold_bind`] in place.
    fn bind_in_place(&mut self, b: &mut Bind) -> Result<(), RewriteError> {
        match b {
            Bind::Let { nl, lin, rhs, .. } => {
                self.expr_in_place(rhs)?;
                for x in nl.iter_mut().chain(lin.iter_mut()) {
                    *x = self.binder(*x);
                }
            }
            Bind::Unpack { binders, src, .. } => {
                *src = self.c.var(src)?;
                for x in binders {
                    *x = self.binder(*x);
                }
            }
        }
        Ok(())
    }

    /// [`fold_block`] in place (bindings in order, then the tail).
    fn block_in_place(&mut self, b: &mut Block) -> Result<(), RewriteError> {
        for s in &mut b.binds {
            self.bind_in_place(s)?;
        }
        self.expr_in_place(&mut b.tail)
    }

    /// [`fold_expr`] in place: the same calls in the same order, each part overwritten.
    fn expr_in_place(&mut self, e: &mut Expr) -> Result<(), RewriteError> {
        match e {
            Expr::Ret { nl, lin, .. } => {
                self.atoms_in_place(nl)?;
                self.atoms_in_place(lin)
            }
            Expr::Tuple { items, .. } | Expr::LTuple { items, .. } => self.atoms_in_place(items),
            Expr::Call { func, nl, lin, .. } => {
                *func = self.func(*func)?;
                self.atoms_in_place(nl)?;
                self.atoms_in_place(lin)
            }
            Expr::Prim { args, .. } => self.atoms_in_place(args),
            Expr::LAdd { lhs, rhs, .. } => {
                *lhs = self.c.atom(lhs)?;
                *rhs = self.c.atom(rhs)?;
                Ok(())
            }
            Expr::Scale { scalar, lin, .. } => {
                *scalar = self.c.atom(scalar)?;
                *lin = self.c.atom(lin)?;
                Ok(())
            }
            Expr::Zero { .. } => Ok(()),
            Expr::Dup { arg, .. } => {
                *arg = self.c.atom(arg)?;
                Ok(())
            }
            Expr::Drop { body: b, .. } | Expr::Block(b) => self.block_in_place(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::copy_builder;

    /// Renaming a binding in place gives what copying it gives: the same bindings and the same
    /// slots, named in the same order (nested blocks, calls, destructures and every atom kind).
    #[test]
    fn a_moved_binding_equals_its_copy() {
        let src = "def g(a: R, b: R) -> (R, R) = (a, b)\n\
                   def f(x: R ; y': R) -> (R ; R) =\n\
                   let t = <x, 2.0> in\n\
                   let <p, q> = t in\n\
                   let (u, v) = g(p, q) in\n\
                   let w = (let s = sin(u) in s * v) in\n\
                   let (; y1', y2') = dup(y') in\n\
                   let z' = w * y1' in\n\
                   let k' = z' + y2' in\n\
                   (w ; k')\n";
        let prog = semantics::parse(src).expect("parses");
        let f = &prog.funcs[1];
        let calls = |g: FuncId| Some(FuncId(g.0 + 7));
        let (mut copying, mut moving) = (Copier::new(f, &calls), Copier::new(f, &calls));
        let (mut a, mut b) = (copy_builder(false, 16), copy_builder(false, 16));
        // One name taken before, so that a copy's names must be made fresh (`x` is taken).
        a.named("x", false);
        b.named("x", false);
        copying.params(&mut a, &f.params);
        moving.params(&mut b, &f.params);
        copying.params(&mut a, &f.lparams);
        moving.params(&mut b, &f.lparams);
        for s in &f.body.binds {
            let copied = copying.bind_stmt(&mut a, s).expect("copies");
            let moved = moving.bind_moved(&mut b, s.clone()).expect("moves");
            assert_eq!(copied, moved);
        }
        assert_eq!(a.locals, b.locals);
        assert!(a.locals.iter().any(|l| l.name == "x_1"), "{:?}", a.locals);
    }
}
