//! One reading of both spellings of a program: what the evaluator ([`crate::eval`]) and static
//! work ([`crate::work`]) walk, so that each is written once and runs on the public
//! [`Program`] (the passes, the kernel, the tests) and on the parser's [`FlatProgram`]
//! (`lina eval`, which thus never builds the public syntax) without converting either.
//!
//! A [`CodeView`] hands out a function's signature ([`FnView`]), a block's bindings
//! ([`BindView`]) and expressions ([`ExprView`]) as small borrowed values: atom lists are
//! slices of the program's own vectors, a nested block is the form's own handle
//! (`&Block`, or a [`BlockId`]). Both implementations are a few lines of matching; the
//! readers are monomorphised, so reading the flat form costs what reading it directly would.
//!
//! **Architecture invariant: the same program reads the same.** For a [`FlatProgram`] `p`,
//! `p` and `p.to_program()` give the same views (the flat reading substitutes for a missing
//! run exactly what [`FlatProgram::to_program`] substitutes), so every figure, value and error
//! computed through a view is the same on both.

use crate::flat::{AtomList, Atoms, BlockId, FlatBind, FlatExpr, FlatProgram};
use crate::span::Span;
use crate::syntax::{Atom, Bind, Block, Expr, FnDef, FuncId, LocalId, Param, PrimId, Program, Var};
use crate::types::Type;

/// A function's signature and body handle.
#[derive(Clone, Copy)]
pub struct FnView<'a, B> {
    pub name: &'a str,
    pub checkpoint: bool,
    pub name_span: Span,
    pub span: Span,
    pub params: &'a [Param],
    pub lparams: &'a [Param],
    pub results: &'a [Type],
    pub lresults: &'a [Type],
    /// How many slots the function has.
    pub locals: usize,
    pub body: B,
}

/// An expression, as [`Expr`] with its atom lists borrowed (read by value: the flat form
/// holds its atoms packed).
#[derive(Clone, Copy)]
pub enum ExprView<'a, B> {
    Ret {
        nl: AtomList<'a>,
        lin: AtomList<'a>,
        span: Span,
    },
    Tuple {
        items: AtomList<'a>,
        span: Span,
    },
    LTuple {
        items: AtomList<'a>,
        span: Span,
    },
    Call {
        func: FuncId,
        nl: AtomList<'a>,
        lin: AtomList<'a>,
        span: Span,
    },
    Prim {
        prim: PrimId,
        args: AtomList<'a>,
        span: Span,
    },
    LAdd {
        lhs: Atom,
        rhs: Atom,
        span: Span,
    },
    Scale {
        scalar: Atom,
        lin: Atom,
        span: Span,
    },
    Zero {
        ty: &'a Type,
        span: Span,
    },
    Dup {
        arg: Atom,
        span: Span,
    },
    Drop {
        body: B,
        span: Span,
    },
    Block(B),
}

/// A binding, as [`Bind`] with its binder lists borrowed.
#[derive(Clone, Copy)]
pub enum BindView<'a, B> {
    Let {
        nl: &'a [LocalId],
        lin: &'a [LocalId],
        rhs: ExprView<'a, B>,
        span: Span,
    },
    Unpack {
        binders: &'a [LocalId],
        src: Var,
        span: Span,
    },
}

/// A program readable by the evaluator and static work: the public [`Program`] or its
/// [`FlatProgram`].
pub trait CodeView {
    /// A block: `&Block` or a [`BlockId`].
    type Block<'a>: Copy
    where
        Self: 'a;

    fn func_count(&self) -> usize;

    fn func(&self, id: FuncId) -> Option<FnView<'_, Self::Block<'_>>>;

    /// The block's bindings, in order.
    fn binds<'a>(
        &'a self,
        b: Self::Block<'a>,
    ) -> impl Iterator<Item = BindView<'a, Self::Block<'a>>>;

    /// The expression ending the block.
    fn tail<'a>(&'a self, b: Self::Block<'a>) -> ExprView<'a, Self::Block<'a>>;

    /// How many bindings the block has.
    fn bind_count<'a>(&'a self, b: Self::Block<'a>) -> usize;

    /// The block's binding `i` (what [`CodeView::binds`] gives `i`th).
    fn bind_at<'a>(&'a self, b: Self::Block<'a>, i: usize)
    -> Option<BindView<'a, Self::Block<'a>>>;

    /// The spelling of slot `id` of function `f` (`?` for a slot that does not exist).
    fn slot_name(&self, f: FuncId, id: LocalId) -> &str;

    /// Whether slot `id` of function `f` is linear (`false` for a slot that does not exist).
    fn slot_linear(&self, f: FuncId, id: LocalId) -> bool;
}

impl CodeView for Program {
    type Block<'a> = &'a Block;

    fn func_count(&self) -> usize {
        self.funcs.len()
    }

    fn func(&self, id: FuncId) -> Option<FnView<'_, &Block>> {
        self.funcs.get(id.0 as usize).map(fn_view)
    }

    fn binds<'a>(&'a self, b: &'a Block) -> impl Iterator<Item = BindView<'a, &'a Block>> {
        b.binds.iter().map(public_bind)
    }

    fn tail<'a>(&'a self, b: &'a Block) -> ExprView<'a, &'a Block> {
        public_expr(&b.tail)
    }

    fn bind_count<'a>(&'a self, b: &'a Block) -> usize {
        b.binds.len()
    }

    fn bind_at<'a>(&'a self, b: &'a Block, i: usize) -> Option<BindView<'a, &'a Block>> {
        b.binds.get(i).map(public_bind)
    }

    fn slot_name(&self, f: FuncId, id: LocalId) -> &str {
        self.funcs.get(f.0 as usize).map_or("?", |f| f.name_of(id))
    }

    fn slot_linear(&self, f: FuncId, id: LocalId) -> bool {
        self.funcs
            .get(f.0 as usize)
            .is_some_and(|f| f.is_linear(id))
    }
}

/// A public function's view.
pub(crate) fn fn_view(f: &FnDef) -> FnView<'_, &Block> {
    FnView {
        name: &f.name,
        checkpoint: f.checkpoint,
        name_span: f.name_span,
        span: f.span,
        params: &f.params,
        lparams: &f.lparams,
        results: &f.results,
        lresults: &f.lresults,
        locals: f.locals.len(),
        body: &f.body,
    }
}

fn public_bind(bind: &Bind) -> BindView<'_, &Block> {
    match bind {
        Bind::Let { nl, lin, rhs, span } => BindView::Let {
            nl,
            lin,
            rhs: public_expr(rhs),
            span: *span,
        },
        Bind::Unpack { binders, src, span } => BindView::Unpack {
            binders,
            src: *src,
            span: *span,
        },
    }
}

pub(crate) fn public_expr(e: &Expr) -> ExprView<'_, &Block> {
    match e {
        Expr::Ret { nl, lin, span } => ExprView::Ret {
            nl: AtomList::Public(nl),
            lin: AtomList::Public(lin),
            span: *span,
        },
        Expr::Tuple { items, span } => ExprView::Tuple {
            items: AtomList::Public(items),
            span: *span,
        },
        Expr::LTuple { items, span } => ExprView::LTuple {
            items: AtomList::Public(items),
            span: *span,
        },
        Expr::Call {
            func,
            nl,
            lin,
            span,
        } => ExprView::Call {
            func: *func,
            nl: AtomList::Public(nl),
            lin: AtomList::Public(lin),
            span: *span,
        },
        Expr::Prim { prim, args, span } => ExprView::Prim {
            prim: *prim,
            args: AtomList::Public(args),
            span: *span,
        },
        Expr::LAdd { lhs, rhs, span } => ExprView::LAdd {
            lhs: *lhs,
            rhs: *rhs,
            span: *span,
        },
        Expr::Scale { scalar, lin, span } => ExprView::Scale {
            scalar: *scalar,
            lin: *lin,
            span: *span,
        },
        Expr::Zero { ty, span } => ExprView::Zero { ty, span: *span },
        Expr::Dup { arg, span } => ExprView::Dup {
            arg: *arg,
            span: *span,
        },
        Expr::Drop { body, span } => ExprView::Drop { body, span: *span },
        Expr::Block(b) => ExprView::Block(b),
    }
}

/// What [`FlatProgram::to_program`] puts in place of a missing block.
const EMPTY_RET: ExprView<'static, BlockId> = ExprView::Ret {
    nl: AtomList::EMPTY,
    lin: AtomList::EMPTY,
    span: Span::GENERATED,
};

impl CodeView for FlatProgram {
    type Block<'a> = BlockId;

    fn func_count(&self) -> usize {
        self.funcs.len()
    }

    fn func(&self, id: FuncId) -> Option<FnView<'_, BlockId>> {
        let f = self.funcs.get(id.0 as usize)?;
        Some(FnView {
            name: &f.name,
            checkpoint: f.checkpoint,
            name_span: f.name_span,
            span: f.span,
            params: &f.params,
            lparams: &f.lparams,
            results: &f.results,
            lresults: &f.lresults,
            locals: self.locals_of(f).len(),
            body: f.body,
        })
    }

    fn binds<'a>(&'a self, b: BlockId) -> impl Iterator<Item = BindView<'a, BlockId>> {
        self.block_binds(b)
            .iter()
            .map(move |bind| self.flat_bind(bind))
    }

    fn tail(&self, b: BlockId) -> ExprView<'_, BlockId> {
        self.block(b).map_or(EMPTY_RET, |b| self.flat_expr(&b.tail))
    }

    fn bind_count(&self, b: BlockId) -> usize {
        self.block_binds(b).len()
    }

    fn bind_at(&self, b: BlockId, i: usize) -> Option<BindView<'_, BlockId>> {
        self.block_binds(b).get(i).map(|bind| self.flat_bind(bind))
    }

    fn slot_name(&self, f: FuncId, id: LocalId) -> &str {
        self.funcs
            .get(f.0 as usize)
            .map_or("?", |f| self.name_of(f, id))
    }

    fn slot_linear(&self, f: FuncId, id: LocalId) -> bool {
        self.funcs
            .get(f.0 as usize)
            .is_some_and(|f| self.is_linear(f, id))
    }
}

impl FlatProgram {
    /// A block's bindings (none for a block that does not exist).
    fn block_binds(&self, b: BlockId) -> &[FlatBind] {
        self.block(b).map_or(&[][..], |b| self.binds_of(b))
    }

    fn flat_bind(&self, bind: &FlatBind) -> BindView<'_, BlockId> {
        match *bind {
            FlatBind::Let {
                binders,
                nl,
                rhs,
                span,
            } => {
                let ids = self.binders(binders);
                let (nl, lin) = ids.split_at((nl as usize).min(ids.len()));
                BindView::Let {
                    nl,
                    lin,
                    rhs: self.flat_expr(&rhs),
                    span,
                }
            }
            FlatBind::Unpack { binders, src, span } => BindView::Unpack {
                binders: self.binders(binders),
                src,
                span,
            },
        }
    }

    /// The view of a flat expression; a missing atom or type reads as
    /// [`FlatProgram::to_program`] builds it.
    fn flat_expr(&self, e: &FlatExpr) -> ExprView<'_, BlockId> {
        let one = |a: Atoms, i: usize| {
            self.atoms(a)
                .get(i)
                .unwrap_or(Atom::Lit(f64::NAN, Span::GENERATED))
        };
        match *e {
            FlatExpr::Ret { atoms, nl, span } => {
                let (nl, lin) = self.sides(atoms, nl);
                ExprView::Ret { nl, lin, span }
            }
            FlatExpr::Tuple { items, span } => ExprView::Tuple {
                items: self.atoms(items),
                span,
            },
            FlatExpr::LTuple { items, span } => ExprView::LTuple {
                items: self.atoms(items),
                span,
            },
            FlatExpr::Call {
                func,
                atoms,
                nl,
                span,
            } => {
                let (nl, lin) = self.sides(atoms, nl);
                ExprView::Call {
                    func,
                    nl,
                    lin,
                    span,
                }
            }
            FlatExpr::Prim { prim, args, span } => ExprView::Prim {
                prim,
                args: self.atoms(args),
                span,
            },
            FlatExpr::LAdd { atoms, span } => ExprView::LAdd {
                lhs: one(atoms, 0),
                rhs: one(atoms, 1),
                span,
            },
            FlatExpr::Scale { atoms, span } => ExprView::Scale {
                scalar: one(atoms, 0),
                lin: one(atoms, 1),
                span,
            },
            FlatExpr::Zero { ty, span } => ExprView::Zero {
                ty: self.ty(ty).unwrap_or(&Type::Real),
                span,
            },
            FlatExpr::Dup { arg, span } => ExprView::Dup {
                arg: one(arg, 0),
                span,
            },
            FlatExpr::Drop { body, span } => ExprView::Drop { body, span },
            FlatExpr::Block(id) => ExprView::Block(id),
        }
    }
}

/// A block of any spelling read into owned public syntax: what [`FlatProgram::to_program`]
/// builds a body from, so that the flat form and its conversion read the same through the
/// view by construction (a missing block or run reads, and converts, as the view gives it).
pub fn owned_block<'a, P: CodeView>(p: &'a P, b: P::Block<'a>) -> Block {
    let binds = p
        .binds(b)
        .map(|bind| match bind {
            BindView::Let { nl, lin, rhs, span } => Bind::Let {
                nl: nl.to_vec(),
                lin: lin.to_vec(),
                rhs: owned_expr(p, rhs),
                span,
            },
            BindView::Unpack { binders, src, span } => Bind::Unpack {
                binders: binders.to_vec(),
                src,
                span,
            },
        })
        .collect();
    Block {
        binds,
        tail: owned_expr(p, p.tail(b)),
    }
}

/// An expression view read into owned public syntax.
fn owned_expr<'a, P: CodeView>(p: &'a P, e: ExprView<'a, P::Block<'a>>) -> Expr {
    match e {
        ExprView::Ret { nl, lin, span } => Expr::Ret {
            nl: nl.to_vec(),
            lin: lin.to_vec(),
            span,
        },
        ExprView::Tuple { items, span } => Expr::Tuple {
            items: items.to_vec(),
            span,
        },
        ExprView::LTuple { items, span } => Expr::LTuple {
            items: items.to_vec(),
            span,
        },
        ExprView::Call {
            func,
            nl,
            lin,
            span,
        } => Expr::Call {
            func,
            nl: nl.to_vec(),
            lin: lin.to_vec(),
            span,
        },
        ExprView::Prim { prim, args, span } => Expr::Prim {
            prim,
            args: args.to_vec(),
            span,
        },
        ExprView::LAdd { lhs, rhs, span } => Expr::LAdd { lhs, rhs, span },
        ExprView::Scale { scalar, lin, span } => Expr::Scale { scalar, lin, span },
        ExprView::Zero { ty, span } => Expr::Zero {
            ty: ty.clone(),
            span,
        },
        ExprView::Dup { arg, span } => Expr::Dup { arg, span },
        ExprView::Drop { body, span } => Expr::Drop {
            body: Box::new(owned_block(p, body)),
            span,
        },
        ExprView::Block(b) => Expr::Block(Box::new(owned_block(p, b))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PrimTable, Value, corpus, eval_flat, eval_fn, numeric::Rng, parse_flat};

    /// The evaluator and static work read both spellings alike: on every corpus program that
    /// parses (the ill-typed ones too, whose evaluation errors must agree), each function at
    /// random arguments gives the same values (bit for bit), work and errors on the parser's
    /// flat form as on the public program it converts to.
    #[test]
    fn evaluation_and_static_work_agree_on_both_spellings_of_every_corpus_program() {
        let prims = PrimTable::standard();
        let mut files = corpus::load("").unwrap();
        files.extend(corpus::load("linear").unwrap());
        files.extend(corpus::load("ill").unwrap());
        let mut rng = Rng::new(14);
        let (mut runs, mut errors) = (0, 0);
        for file in &files {
            let Ok(flat) = parse_flat(&file.src) else {
                continue;
            };
            let prog = flat.to_program();
            assert_eq!(
                crate::static_work(&prog, prims),
                crate::static_work_flat(&flat, prims),
                "{}",
                file.name
            );
            for (i, f) in prog.funcs.iter().enumerate() {
                let id = FuncId(i as u32);
                let nl: Vec<Value> = f
                    .params
                    .iter()
                    .map(|p| rng.value(&p.ty, -2.0, 2.0))
                    .collect();
                let lin: Vec<Value> = f
                    .lparams
                    .iter()
                    .map(|p| rng.value(&p.ty, -2.0, 2.0))
                    .collect();
                let a = eval_fn(&prog, prims, id, &nl, &lin);
                let b = eval_flat(&flat, prims, id, &nl, &lin);
                match (a, b) {
                    (Ok(a), Ok(b)) => {
                        let same = |x: &[Value], y: &[Value]| {
                            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| x.bit_eq(y))
                        };
                        assert!(same(&a.nl, &b.nl) && same(&a.lin, &b.lin), "{}", file.name);
                        assert_eq!(a.work, b.work, "{}", file.name);
                        runs += 1;
                    }
                    (Err(a), Err(b)) => {
                        assert_eq!(a, b, "{}", file.name);
                        errors += 1;
                    }
                    (a, b) => panic!("{}: {a:?} against {b:?}", file.name),
                }
            }
        }
        assert!(runs > 100, "{runs} evaluations");
        assert!(errors > 0, "no evaluation error compared");
    }
}
