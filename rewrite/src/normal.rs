//! Normal form for unzip and transpose: a function body as a flat list of items, each
//! nonlinear, linear, or one half of a call of a split function.
//!
//! Nested blocks are spliced (binders are distinct, so this cannot capture); a mixed return
//! `(as ; bs')` is split in two; a body that does not end in a return binds its results first.
//! For unzip, `drop` of a mixed value becomes a drop on each side; for transpose (`keep_drops`)
//! a `drop(e)` stays whole, since it is not transposed.

use crate::build::{FnBuilder, atoms, shell};
use crate::error::{RewriteError, internal};
use checker::Class;
use semantics::*;

pub(crate) use semantics::{bind_reads as reads, expr_bound, expr_reads};

pub(crate) fn let_(nl: Vec<LocalId>, lin: Vec<LocalId>, rhs: Expr) -> Bind {
    Bind::Let {
        nl,
        lin,
        rhs,
        span: Span::GENERATED,
    }
}

pub(crate) fn ret(nl: Vec<Atom>, lin: Vec<Atom>) -> Expr {
    Expr::Ret {
        nl,
        lin,
        span: Span::GENERATED,
    }
}

/// One item of a normalised body.
pub(crate) enum Item {
    Nl(Bind),
    Lin(Bind),
    /// `let (xs, r) = g.nonlin(args)`: the nonlinear half of a call of split `g`.
    SplitNl {
        xs: Vec<LocalId>,
        r: LocalId,
        g: FuncId,
        args: Vec<Atom>,
        ys: Vec<LocalId>,
        largs: Vec<Atom>,
    },
    /// `let (; ys') = g.lin(r ; largs)`: its linear half.
    SplitLin {
        ys: Vec<LocalId>,
        r: LocalId,
        g: FuncId,
        largs: Vec<Atom>,
    },
}

/// A normalised function.
pub(crate) struct Normal {
    /// The function's signature and slots, for naming slots; its body is empty except inside
    /// [`with_typing`], where it is the items as bindings (split calls rejoined), for typing.
    pub typing: FnDef,
    pub items: Vec<Item>,
    pub results: Vec<Atom>,
    pub lresults: Vec<Atom>,
    /// Work normalisation adds, by the cost table: binding a body's or a dropped expression's
    /// `k` results (`let` 1, return `1 + k`), and splitting a mixed return or drop in two (3).
    pub extra: u128,
    /// Not normalised: `typing` is the function itself, body included, and there are no items
    /// (transpose keeps nonlinear functions as they are); the typing view holds its results
    /// only (no parameters, an empty body), so its slot types are not computed.
    pub whole: bool,
}

impl Normal {
    /// A function kept as it is (see [`Normal::whole`]).
    pub(crate) fn whole(f: FnDef) -> Normal {
        Normal {
            typing: f,
            items: Vec::new(),
            results: Vec::new(),
            lresults: Vec::new(),
            extra: 0,
            whole: true,
        }
    }
}

/// Runs `f` on the typing views of `normals` as one program: each body is the items as
/// bindings (each split call as the original call), **moved** out of the items and back after
/// `f`, not copied; the functions' other parts are moved too.
pub(crate) fn with_typing<T>(normals: &mut [Normal], f: impl FnOnce(&Program) -> T) -> T {
    let prog = Program {
        funcs: normals
            .iter_mut()
            .map(|n| {
                let empty = shell(&n.typing);
                if n.whole {
                    // Its results only (no slots, so no parameters): nothing reads a kept
                    // function's slot types, and a call's types come from the callee's results.
                    return FnDef {
                        params: Vec::new(),
                        lparams: Vec::new(),
                        ..empty
                    };
                }
                let mut t = std::mem::replace(&mut n.typing, empty);
                let mut binds = Vec::with_capacity(n.items.len());
                for it in &mut n.items {
                    match it {
                        Item::Nl(b) | Item::Lin(b) => binds.push(std::mem::replace(b, lent())),
                        Item::SplitNl {
                            xs,
                            g,
                            args,
                            ys,
                            largs,
                            ..
                        } => binds.push(let_(
                            xs.clone(),
                            ys.clone(),
                            Expr::Call {
                                func: *g,
                                nl: args.clone(),
                                lin: largs.clone(),
                                span: Span::GENERATED,
                            },
                        )),
                        Item::SplitLin { .. } => {}
                    }
                }
                t.body = Block {
                    binds,
                    tail: ret(n.results.clone(), n.lresults.clone()),
                };
                t
            })
            .collect(),
    };
    let out = f(&prog);
    for (n, mut t) in normals.iter_mut().zip(prog.funcs) {
        if n.whole {
            continue;
        }
        let mut binds = std::mem::take(&mut t.body.binds).into_iter();
        for it in &mut n.items {
            match it {
                Item::Nl(b) | Item::Lin(b) => {
                    if let Some(back) = binds.next() {
                        *b = back;
                    }
                }
                Item::SplitNl { .. } => {
                    binds.next();
                }
                Item::SplitLin { .. } => {}
            }
        }
        t.body.tail = ret(Vec::new(), Vec::new());
        n.typing = t;
    }
    out
}

fn empty_block() -> Block {
    Block {
        binds: Vec::new(),
        tail: ret(Vec::new(), Vec::new()),
    }
}

/// What an item holds while its binding is lent to the typing view (allocates nothing).
pub(crate) fn lent() -> Bind {
    Bind::Unpack {
        binders: Vec::new(),
        src: Var {
            id: LocalId(0),
            span: Span::GENERATED,
        },
        span: Span::GENERATED,
    }
}

/// Step 1: a flat list of items.
/// The function is consumed: its bindings and slots move into the items (a caller that keeps
/// the function passes a copy), and `prog` is read for the callees' signatures only, so a
/// pass may leave a function's signature in it ([`shell`]) and hand its body over.
pub(crate) fn normalise(
    mut f: FnDef,
    prog: &Program,
    classes: &[Class],
    keep_drops: bool,
) -> Result<Normal, RewriteError> {
    let slots = f.locals.len();
    let mut n = Norm {
        prog,
        classes,
        keep_drops,
        // A few fresh slots (split calls' residuals, bound results) beyond the function's.
        out: FnBuilder::from_owned(std::mem::take(&mut f.locals), slots / 8 + 4),
        items: Vec::with_capacity(f.body.binds.len() + 1),
        extra: 0,
    };
    let body = std::mem::replace(&mut f.body, empty_block());
    n.block_binds(body.binds)?;
    let (results, lresults) = match body.tail {
        Expr::Ret { nl, lin, .. } => (nl, lin),
        tail => {
            let (xs, ys) = n.fresh_binders(&tail, "res");
            n.extra += 2 + (xs.len() + ys.len()) as u128;
            let results = (atoms(&xs), atoms(&ys));
            n.push_let(xs, ys, tail)?;
            results
        }
    };
    // The typing view's body is made by `with_typing` when it is read, from the items
    // themselves (a copy of every binding before).
    let typing = FnDef {
        locals: n.out.locals,
        ..f
    };
    Ok(Normal {
        typing,
        items: n.items,
        results,
        lresults,
        extra: n.extra,
        whole: false,
    })
}

struct Norm<'a> {
    /// Work normalisation adds (see `Normal::extra`).
    extra: u128,
    prog: &'a Program,
    keep_drops: bool,
    classes: &'a [Class],
    out: FnBuilder,
    items: Vec<Item>,
}

impl Norm<'_> {
    fn is_linear(&self, x: LocalId) -> bool {
        self.out.locals.get(x.0 as usize).is_some_and(|l| l.linear)
    }

    fn atom_linear(&self, a: &Atom) -> bool {
        matches!(a, Atom::Var(v) if self.is_linear(v.id))
    }

    /// Result arity of an expression: (nonlinear, linear).
    fn shape(&self, e: &Expr) -> (usize, usize) {
        match e {
            Expr::Ret { nl, lin, .. } => (nl.len(), lin.len()),
            Expr::Tuple { .. } | Expr::Prim { .. } => (1, 0),
            Expr::LTuple { .. } | Expr::LAdd { .. } | Expr::Scale { .. } | Expr::Zero { .. } => {
                (0, 1)
            }
            Expr::Dup { .. } => (0, 2),
            Expr::Drop { .. } => (0, 0),
            Expr::Call { func, .. } => self
                .prog
                .func(*func)
                .map_or((0, 0), |g| (g.results.len(), g.lresults.len())),
            Expr::Block(b) => self.shape(&b.tail),
        }
    }

    fn fresh_binders(&mut self, e: &Expr, hint: &str) -> (Vec<LocalId>, Vec<LocalId>) {
        let (n, l) = self.shape(e);
        let xs = (0..n).map(|_| self.out.fresh(hint, false)).collect();
        let ys = (0..l).map(|_| self.out.fresh(hint, true)).collect();
        (xs, ys)
    }

    fn block_binds(&mut self, binds: Vec<Bind>) -> Result<(), RewriteError> {
        for s in binds {
            match s {
                Bind::Let { nl, lin, rhs, .. } => self.push_let(nl, lin, rhs)?,
                Bind::Unpack { src, .. } => {
                    let item = if self.is_linear(src.id) {
                        Item::Lin(s)
                    } else {
                        Item::Nl(s)
                    };
                    self.items.push(item);
                }
            }
        }
        Ok(())
    }

    /// Whether an expression involves linear values: a linear operation, a linear variable, a
    /// call of a linear function, or any of these inside a nested block.
    fn reads_linear(&self, e: &Expr) -> bool {
        match e {
            Expr::LTuple { .. }
            | Expr::LAdd { .. }
            | Expr::Scale { .. }
            | Expr::Zero { .. }
            | Expr::Dup { .. } => true,
            Expr::Call { func, nl, lin, .. } => {
                self.classes.get(func.0 as usize) == Some(&Class::Linear)
                    || nl.iter().chain(lin).any(|a| self.atom_linear(a))
            }
            Expr::Ret { nl, lin, .. } => nl.iter().chain(lin).any(|a| self.atom_linear(a)),
            Expr::Tuple { items, .. } => items.iter().any(|a| self.atom_linear(a)),
            Expr::Prim { args, .. } => args.iter().any(|a| self.atom_linear(a)),
            Expr::Drop { body, .. } | Expr::Block(body) => {
                body.binds.iter().any(|s| match s {
                    Bind::Let { nl, lin, rhs, .. } => {
                        !lin.is_empty()
                            || nl.iter().any(|&x| self.is_linear(x))
                            || self.reads_linear(rhs)
                    }
                    Bind::Unpack { src, .. } => self.is_linear(src.id),
                }) || self.reads_linear(&body.tail)
            }
        }
    }

    /// Removes the linear items pushed since `first` (the linear code of a dropped body) and
    /// returns what the drop must consume instead: the linear variables those items and the
    /// dropped linear results `tail` read that are bound outside them, in order of first use.
    fn drop_linear_items(&mut self, first: usize, tail: &[Atom]) -> Vec<Atom> {
        let dropped: Vec<Item> = {
            let (keep, drop): (Vec<Item>, Vec<Item>) =
                self.items.drain(first..).partition(|it| it.nonlinear());
            self.items.extend(keep);
            drop
        };
        let mut bound = vec![false; self.out.locals.len()];
        for it in &dropped {
            for x in it.binds() {
                bound[x.0 as usize] = true;
            }
        }
        let mut seen = vec![false; self.out.locals.len()];
        let mut free = Vec::new();
        let mut reads = Vec::new();
        for it in &dropped {
            it.reads(&mut reads);
        }
        reads.extend(tail.iter().filter_map(Atom::var).map(|v| v.id));
        for x in reads {
            let i = x.0 as usize;
            if self.is_linear(x) && !bound[i] && !seen[i] {
                seen[i] = true;
                free.push(Atom::Var(Var {
                    id: x,
                    span: Span::GENERATED,
                }));
            }
        }
        free
    }

    /// Pushes the items of `let (xs ; ys) = rhs`.
    fn push_let(
        &mut self,
        xs: Vec<LocalId>,
        ys: Vec<LocalId>,
        rhs: Expr,
    ) -> Result<(), RewriteError> {
        match rhs {
            Expr::Block(b) => {
                let b = *b;
                self.block_binds(b.binds)?;
                self.push_let(xs, ys, b.tail)
            }
            Expr::Drop { .. } if self.keep_drops => {
                let linear = self.reads_linear(&rhs);
                let b = let_(xs, ys, rhs);
                self.items
                    .push(if linear { Item::Lin(b) } else { Item::Nl(b) });
                Ok(())
            }
            Expr::Drop { body, .. } => {
                let first = self.items.len();
                let body = *body;
                self.block_binds(body.binds)?;
                let (nl, lin) = match body.tail {
                    Expr::Ret { nl, lin, .. } => (nl, lin),
                    tail => {
                        let (a, b) = self.fresh_binders(&tail, "dropped");
                        self.extra += 2 + (a.len() + b.len()) as u128;
                        let bound = (atoms(&a), atoms(&b));
                        self.push_let(a, b, tail)?;
                        bound
                    }
                };
                let drop = |nl, lin| Expr::Drop {
                    body: Box::new(Block {
                        binds: vec![],
                        tail: ret(nl, lin),
                    }),
                    span: Span::GENERATED,
                };
                // The linear code under a drop computes values nobody uses: SPEC §4 transposes
                // `drop(e)` to zeros for e's free linear variables *without transposing e*. So
                // the linear items of the dropped body are not kept (transposing them would run
                // them on a zero cotangent: `s * 0` is NaN for an infinite `s`, and it costs
                // work and residuals); `.lin` drops only the linear variables they consumed.
                let lin = self.drop_linear_items(first, &lin);
                let mixed = !nl.is_empty() && !lin.is_empty();
                if !nl.is_empty() || lin.is_empty() {
                    self.items
                        .push(Item::Nl(let_(xs.clone(), ys.clone(), drop(nl, vec![]))));
                }
                if !lin.is_empty() {
                    if mixed {
                        self.extra += 3;
                    }
                    self.items
                        .push(Item::Lin(let_(vec![], vec![], drop(vec![], lin))));
                }
                Ok(())
            }
            Expr::Call { func, nl, lin, .. }
                if self.classes.get(func.0 as usize) == Some(&Class::Mixed) =>
            {
                let g = self
                    .prog
                    .func(func)
                    .ok_or_else(|| internal("a call of a missing function"))?;
                let r = self
                    .out
                    .fresh(&format!("r_{}", g.name.replace('.', "_")), false);
                self.items.push(Item::SplitNl {
                    xs,
                    r,
                    g: func,
                    args: nl,
                    ys: ys.clone(),
                    largs: lin.clone(),
                });
                self.items.push(Item::SplitLin {
                    ys,
                    r,
                    g: func,
                    largs: lin,
                });
                Ok(())
            }
            Expr::Ret { nl, lin, .. } if !nl.is_empty() && !lin.is_empty() => {
                self.extra += 3;
                self.items.push(Item::Nl(let_(xs, vec![], ret(nl, vec![]))));
                self.items
                    .push(Item::Lin(let_(vec![], ys, ret(vec![], lin))));
                Ok(())
            }
            _ => {
                let linear = ys.iter().chain(&xs).any(|&y| self.is_linear(y))
                    || !ys.is_empty()
                    || self.reads_linear(&rhs);
                let b = let_(xs, ys, rhs);
                self.items
                    .push(if linear { Item::Lin(b) } else { Item::Nl(b) });
                Ok(())
            }
        }
    }
}

pub(crate) fn binders(b: &Bind) -> Vec<LocalId> {
    match b {
        Bind::Let { nl, lin, .. } => nl.iter().chain(lin).copied().collect(),
        Bind::Unpack { binders, .. } => binders.clone(),
    }
}

impl Item {
    pub fn reads(&self, out: &mut Vec<LocalId>) {
        match self {
            Item::Nl(b) | Item::Lin(b) => reads(b, out),
            Item::SplitNl { args, .. } => {
                out.extend(args.iter().filter_map(Atom::var).map(|v| v.id))
            }
            Item::SplitLin { r, largs, .. } => {
                out.push(*r);
                out.extend(largs.iter().filter_map(Atom::var).map(|v| v.id));
            }
        }
    }

    /// The slots the item binds.
    pub fn binds(&self) -> Vec<LocalId> {
        match self {
            Item::Nl(b) | Item::Lin(b) => binders(b),
            Item::SplitNl { xs, r, .. } => xs.iter().chain([r]).copied().collect(),
            Item::SplitLin { ys, .. } => ys.clone(),
        }
    }

    pub fn nonlinear(&self) -> bool {
        matches!(self, Item::Nl(_) | Item::SplitNl { .. })
    }
}
