//! One walk over the core syntax, in two forms (formality-core's `visit` and `fold`):
//!
//! - [`Visitor`]: read-only. The walk reports every expression, every variable read and every
//!   binder, in source order (a binding's binders before its right-hand side's insides); a
//!   visitor overrides the events it cares about. The walk is a loop over bindings with an
//!   explicit stack over nesting: no recursion at all.
//! - [`Fold`]: rebuilds the syntax with every atom, binder and callee mapped, the structure
//!   itself copied here once. Right-hand sides are folded before their binders (so fresh
//!   names are taken in evaluation order); it recurses only into nested blocks, whose depth the
//!   parser bounds.
//!
//! The variable walkers other passes share ([`expr_reads`], [`bind_reads`], [`expr_bound`],
//! [`each_expr`]) are visitors.

use crate::syntax::*;

/// What a walk reports. Every method defaults to doing nothing.
pub trait Visitor<'a> {
    /// An expression: a right-hand side or a tail, nested ones included.
    fn expr(&mut self, _e: &'a Expr) {}
    /// A variable read: a variable atom, or the source of a destructure.
    fn read(&mut self, _x: LocalId) {}
    /// A binder of a `let` or a destructure.
    fn binder(&mut self, _x: LocalId) {}
}

/// One level of nesting still to walk: the rest of a block's bindings, then its tail.
type Frame<'a> = (std::slice::Iter<'a, Bind>, Option<&'a Expr>);

/// Walks a block: its bindings, then its tail.
pub fn visit_block<'a>(b: &'a Block, v: &mut impl Visitor<'a>) {
    walk(None, vec![(b.binds.iter(), Some(&b.tail))], v);
}

/// Walks one binding: its binders, then its right-hand side (a destructure: its source, then
/// its binders).
pub fn visit_bind<'a>(b: &'a Bind, v: &mut impl Visitor<'a>) {
    let rhs = binding(b, v);
    walk(rhs, Vec::new(), v);
}

/// Walks an expression and the blocks nested in it.
pub fn visit_expr<'a>(e: &'a Expr, v: &mut impl Visitor<'a>) {
    walk(Some(e), Vec::new(), v);
}

/// Reports a binding's own parts; returns its right-hand side, still to walk.
fn binding<'a>(b: &'a Bind, v: &mut impl Visitor<'a>) -> Option<&'a Expr> {
    match b {
        Bind::Let { nl, lin, rhs, .. } => {
            nl.iter().chain(lin).for_each(|&x| v.binder(x));
            Some(rhs)
        }
        Bind::Unpack { binders, src, .. } => {
            v.read(src.id);
            binders.iter().for_each(|&x| v.binder(x));
            None
        }
    }
}

/// The walk: `next` first, then the frames, innermost first (an empty stack allocates nothing,
/// so walking a binding without nested blocks costs no allocation).
fn walk<'a>(mut next: Option<&'a Expr>, mut stack: Vec<Frame<'a>>, v: &mut impl Visitor<'a>) {
    loop {
        if let Some(e) = next.take() {
            v.expr(e);
            let mut read = |xs: &[Atom]| xs.iter().filter_map(Atom::var).for_each(|x| v.read(x.id));
            match e {
                Expr::Ret { nl, lin, .. } | Expr::Call { nl, lin, .. } => {
                    read(nl);
                    read(lin);
                }
                Expr::Tuple { items, .. } | Expr::LTuple { items, .. } => read(items),
                Expr::Prim { args, .. } => read(args),
                Expr::LAdd { lhs, rhs, .. } => read(&[*lhs, *rhs]),
                Expr::Scale { scalar, lin, .. } => read(&[*scalar, *lin]),
                Expr::Dup { arg, .. } => read(&[*arg]),
                Expr::Zero { .. } => {}
                Expr::Drop { body, .. } | Expr::Block(body) => {
                    stack.push((body.binds.iter(), Some(&body.tail)));
                }
            }
        }
        let Some((binds, tail)) = stack.last_mut() else {
            return;
        };
        if let Some(b) = binds.next() {
            next = binding(b, v);
        } else if let Some(t) = tail.take() {
            next = Some(t);
        } else {
            stack.pop();
        }
    }
}

/// A rebuild of code: what atoms, binders and callees become. [`fold_block`], [`fold_bind`]
/// and [`fold_expr`] copy the structure around them.
pub trait Fold {
    type Error;
    fn atom(&mut self, a: &Atom) -> Result<Atom, Self::Error>;
    /// A variable that must stay one (a destructure's source).
    fn var(&mut self, v: &Var) -> Result<Var, Self::Error>;
    fn binder(&mut self, x: LocalId) -> LocalId;
    fn func(&mut self, g: FuncId) -> Result<FuncId, Self::Error>;
}

fn fold_atoms<F: Fold>(f: &mut F, xs: &[Atom]) -> Result<Vec<Atom>, F::Error> {
    xs.iter().map(|a| f.atom(a)).collect()
}

pub fn fold_block<F: Fold>(f: &mut F, b: &Block) -> Result<Block, F::Error> {
    let binds = b
        .binds
        .iter()
        .map(|s| fold_bind(f, s))
        .collect::<Result<_, _>>()?;
    Ok(Block {
        binds,
        tail: fold_expr(f, &b.tail)?,
    })
}

pub fn fold_bind<F: Fold>(f: &mut F, b: &Bind) -> Result<Bind, F::Error> {
    Ok(match b {
        Bind::Let { nl, lin, rhs, span } => {
            let rhs = fold_expr(f, rhs)?;
            let nl = nl.iter().map(|&x| f.binder(x)).collect();
            let lin = lin.iter().map(|&x| f.binder(x)).collect();
            Bind::Let {
                nl,
                lin,
                rhs,
                span: *span,
            }
        }
        Bind::Unpack { binders, src, span } => {
            let src = f.var(src)?;
            let binders = binders.iter().map(|&x| f.binder(x)).collect();
            Bind::Unpack {
                binders,
                src,
                span: *span,
            }
        }
    })
}

pub fn fold_expr<F: Fold>(f: &mut F, e: &Expr) -> Result<Expr, F::Error> {
    Ok(match e {
        Expr::Ret { nl, lin, span } => Expr::Ret {
            nl: fold_atoms(f, nl)?,
            lin: fold_atoms(f, lin)?,
            span: *span,
        },
        Expr::Tuple { items, span } => Expr::Tuple {
            items: fold_atoms(f, items)?,
            span: *span,
        },
        Expr::LTuple { items, span } => Expr::LTuple {
            items: fold_atoms(f, items)?,
            span: *span,
        },
        Expr::Call {
            func,
            nl,
            lin,
            span,
        } => Expr::Call {
            func: f.func(*func)?,
            nl: fold_atoms(f, nl)?,
            lin: fold_atoms(f, lin)?,
            span: *span,
        },
        Expr::Prim { prim, args, span } => Expr::Prim {
            prim: *prim,
            args: fold_atoms(f, args)?,
            span: *span,
        },
        Expr::LAdd { lhs, rhs, span } => Expr::LAdd {
            lhs: f.atom(lhs)?,
            rhs: f.atom(rhs)?,
            span: *span,
        },
        Expr::Scale { scalar, lin, span } => Expr::Scale {
            scalar: f.atom(scalar)?,
            lin: f.atom(lin)?,
            span: *span,
        },
        Expr::Zero { ty, span } => Expr::Zero {
            ty: ty.clone(),
            span: *span,
        },
        Expr::Dup { arg, span } => Expr::Dup {
            arg: f.atom(arg)?,
            span: *span,
        },
        Expr::Drop { body, span } => Expr::Drop {
            body: Box::new(fold_block(f, body)?),
            span: *span,
        },
        Expr::Block(b) => Expr::Block(Box::new(fold_block(f, b)?)),
    })
}

/// Collects the variables read.
struct Reads<'o>(&'o mut Vec<LocalId>);

impl Visitor<'_> for Reads<'_> {
    fn read(&mut self, x: LocalId) {
        self.0.push(x);
    }
}

/// Collects the binders.
struct Bound<'o>(&'o mut Vec<LocalId>);

impl Visitor<'_> for Bound<'_> {
    fn binder(&mut self, x: LocalId) {
        self.0.push(x);
    }
}

/// The variables a binding reads (nested blocks included).
pub fn bind_reads(b: &Bind, out: &mut Vec<LocalId>) {
    visit_bind(b, &mut Reads(out));
}

/// The variables an expression reads (nested blocks included, so also their own binders).
pub fn expr_reads(e: &Expr, out: &mut Vec<LocalId>) {
    visit_expr(e, &mut Reads(out));
}

/// Counts, per slot, the reads of a block's bindings and tail (nested blocks included), as
/// [`bind_reads`] and [`expr_reads`] list them, without collecting them: a list of every read of
/// a million-binding body was grown by doubling, copied and faulted in at every step. A slot
/// outside `counts` is not counted; counts saturate.
pub fn count_reads(b: &Block, counts: &mut [u32]) {
    struct Count<'c>(&'c mut [u32]);
    impl Visitor<'_> for Count<'_> {
        fn read(&mut self, x: LocalId) {
            if let Some(c) = self.0.get_mut(x.0 as usize) {
                *c = c.saturating_add(1);
            }
        }
    }
    visit_block(b, &mut Count(counts));
}

/// Whether any of `binds` reads slot `x` (nested blocks included).
pub fn binds_read(binds: &[Bind], x: LocalId) -> bool {
    struct Finds(LocalId, bool);
    impl Visitor<'_> for Finds {
        fn read(&mut self, y: LocalId) {
            self.1 |= y == self.0;
        }
    }
    let mut f = Finds(x, false);
    for b in binds {
        visit_bind(b, &mut f);
        if f.1 {
            return true;
        }
    }
    false
}

/// The slots bound inside an expression's nested blocks.
pub fn expr_bound(e: &Expr, out: &mut Vec<LocalId>) {
    visit_expr(e, &mut Bound(out));
}

/// Calls `f` on every expression of a block: right-hand sides and tails, nested blocks
/// included, in source order.
pub fn each_expr<'a>(b: &'a Block, f: &mut dyn FnMut(&'a Expr)) {
    struct Exprs<'f, 'a>(&'f mut dyn FnMut(&'a Expr));
    impl<'a> Visitor<'a> for Exprs<'_, 'a> {
        fn expr(&mut self, e: &'a Expr) {
            (self.0)(e)
        }
    }
    visit_block(b, &mut Exprs(f));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Span, parse};

    const SRC: &str = "def f(x: R, y': R) -> (R ; R) =
  let a = sin(x) in
  let b = (let c = a * x in let () = drop((let e = c + a in e)) in c) in
  let <p, q> = <a, b> in
  let () = drop(q) in
  (p ; a * y')";

    fn names(f: &FnDef, xs: &[LocalId]) -> Vec<String> {
        xs.iter().map(|&x| f.name_of(x).to_string()).collect()
    }

    /// Reads and nested binders in source order, nested blocks included.
    #[test]
    fn reads_and_binders_come_in_source_order() {
        let p = parse(SRC).unwrap();
        let f = &p.funcs[0];
        let Bind::Let { rhs, .. } = &f.body.binds[1] else {
            panic!("`let b` is a let")
        };
        let mut reads = Vec::new();
        bind_reads(&f.body.binds[1], &mut reads);
        assert_eq!(names(f, &reads), ["a", "x", "c", "a", "e", "c"]);
        let mut bound = Vec::new();
        expr_bound(rhs, &mut bound);
        assert_eq!(names(f, &bound), ["c", "e"]);
        // A destructure reads its source.
        let unpack = f
            .body
            .binds
            .iter()
            .find(|b| matches!(b, Bind::Unpack { .. }))
            .unwrap();
        reads.clear();
        bind_reads(unpack, &mut reads);
        assert_eq!(reads.len(), 1);
        let Bind::Unpack { binders, .. } = unpack else {
            unreachable!()
        };
        assert_eq!(names(f, binders), ["p", "q"]);
    }

    /// `each_expr` is preorder: a nested block's expressions right after the one holding it.
    #[test]
    fn each_expr_walks_nested_blocks_in_place() {
        let p = parse(SRC).unwrap();
        let mut kinds = Vec::new();
        each_expr(&p.funcs[0].body, &mut |e| {
            kinds.push(match e {
                Expr::Prim { .. } => "prim",
                Expr::Block(_) => "block",
                Expr::Drop { .. } => "drop",
                Expr::Ret { .. } => "ret",
                Expr::Tuple { .. } => "tuple",
                Expr::Scale { .. } => "scale",
                _ => "other",
            })
        });
        assert_eq!(
            kinds,
            [
                "prim", "block", "prim", "drop", "prim", "ret", "ret", "tuple", "drop", "ret",
                "scale", "ret"
            ]
        );
    }

    /// A million bindings are a loop (and so are a thousand nested blocks: the walk keeps an
    /// explicit stack).
    #[test]
    fn a_million_bindings_and_deep_nesting_walk_flat() {
        let n = 1_000_000;
        let mut src = String::from("def f(x0: R) -> (R) =\n");
        for i in 1..=n {
            src += &format!("  let x{i} = x{} + x0 in\n", i - 1);
        }
        src += &format!("  x{n}\n");
        let p = parse(&src).unwrap();
        struct Count(usize, usize);
        impl Visitor<'_> for Count {
            fn read(&mut self, _: LocalId) {
                self.0 += 1;
            }
            fn binder(&mut self, _: LocalId) {
                self.1 += 1;
            }
        }
        let mut c = Count(0, 0);
        visit_block(&p.funcs[0].body, &mut c);
        assert_eq!((c.0, c.1), (2 * n + 1, n));

        // Nested `let`-blocks, built directly (the parser bounds nesting at 200).
        let depth = 1000;
        let x = LocalId(0);
        let ret = |x| Expr::Ret {
            nl: vec![Atom::Var(Var {
                id: x,
                span: Span::GENERATED,
            })],
            lin: vec![],
            span: Span::GENERATED,
        };
        let mut e = ret(x);
        for _ in 0..depth {
            e = Expr::Block(Box::new(Block {
                binds: vec![Bind::Let {
                    nl: vec![x],
                    lin: vec![],
                    rhs: ret(x),
                    span: Span::GENERATED,
                }],
                tail: e,
            }));
        }
        let mut c = Count(0, 0);
        visit_expr(&e, &mut c);
        assert_eq!((c.0, c.1), (depth + 1, depth));
    }
}
