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
