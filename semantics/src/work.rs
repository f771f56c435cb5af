//! Static work: the work `W` of SPEC §3 computed without running the program.
//!
//! Linear A has no data-dependent control flow, so the work of a function depends only on its
//! code and its argument *types*. This pass walks each function once, in definition order,
//! reading a callee's work from the table of functions already done (so the whole analysis is
//! linear in program size even when the call DAG does `2^100` work), and synthesises each
//! binder's type on the way, since linear operations cost the size of their operands' type.
//!
//! For a well-typed program the figure equals the one the evaluator measures; the test suite
//! checks that on every corpus program and on generated ones. Arithmetic is checked: work that
//! does not fit in `u128` is an error, never a wrap.

use crate::diagnostics::Diagnostic;
use crate::flat::{AtomList, FlatProgram};
use crate::flat_view::{BindView, CodeView, ExprView};
use crate::prims::PrimTable;
use crate::span::Span;
use crate::syntax::*;
use crate::types::Type;

/// Why static work could not be computed (the program is ill-typed in a way the analysis
/// cannot see past).
#[derive(Clone, Debug, PartialEq)]
pub struct WorkError {
    /// `E0420`: the analysis cannot see past an ill-typed construct; `E0421`: the work does not
    /// fit in `u128` (a call DAG can do `2^200` work in a few lines: a limit, not a fault).
    pub code: &'static str,
    pub message: String,
    pub span: Span,
}

impl WorkError {
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::error(self.code, format!("static work: {}", self.message))
            .with_primary(self.span, "here")
    }
}

fn err<T>(message: impl Into<String>, span: Span) -> Result<T, WorkError> {
    Err(WorkError {
        code: "E0420",
        message: message.into(),
        span,
    })
}

/// The static work of every function's body, indexed like `prog.funcs`; E0421 for a function
/// doing `2^128` work or more.
pub fn static_work(prog: &Program, prims: &PrimTable) -> Result<Vec<u128>, WorkError> {
    unsaturated(prog, prims)
}

/// [`static_work`] on the parser's flat form (what `lina eval` runs: the same analysis).
pub fn static_work_flat(prog: &FlatProgram, prims: &PrimTable) -> Result<Vec<u128>, WorkError> {
    unsaturated(prog, prims)
}

fn unsaturated<C: CodeView>(prog: &C, prims: &PrimTable) -> Result<Vec<u128>, WorkError> {
    let (works, _, _) = analyse(prog, prims, false)?;
    if let Some(i) = works.iter().position(|&w| w == u128::MAX) {
        let (name, span) = prog
            .func(FuncId(i as u32))
            .map_or(("?", Span::GENERATED), |f| (f.name, f.name_span));
        return Err(WorkError {
            code: "E0421",
            message: format!("the work of `{name}` exceeds 2^128"),
            span,
        });
    }
    Ok(works)
}

/// As [`static_work`], with `u128::MAX` standing for "2^128 or more" (for reports, which need
/// not fail on a program that does astronomically much work).
pub fn static_work_saturating(prog: &Program, prims: &PrimTable) -> Result<Vec<u128>, WorkError> {
    analyse(prog, prims, false).map(|(w, _, _)| w)
}

/// The static work of each top-level binding of every function's body (the tail excluded),
/// saturating at `u128::MAX`.
pub fn binding_works(prog: &Program, prims: &PrimTable) -> Result<Vec<Vec<u128>>, WorkError> {
    analyse(prog, prims, true).map(|(_, _, b)| b)
}

/// The type of every slot of every function (`None` for a slot never bound), as synthesised
/// on the way.
pub fn local_types(prog: &Program, prims: &PrimTable) -> Result<Vec<Vec<Option<Type>>>, WorkError> {
    analyse(prog, prims, false).map(|(_, t, _)| t)
}

/// Static work (saturating), slot types and per-binding work, as [`static_work_saturating`],
/// [`local_types`] and [`binding_works`] give them.
pub type Analysed = (Vec<u128>, Vec<Vec<Option<Type>>>, Vec<Vec<u128>>);

/// [`static_work_saturating`], [`local_types`] and (with `per_binding`, else empty)
/// [`binding_works`] from one walk: a pass that needs two of them walked the program twice.
pub fn work_and_types(
    prog: &Program,
    prims: &PrimTable,
    per_binding: bool,
) -> Result<Analysed, WorkError> {
    analyse(prog, prims, per_binding)
}

/// Work, slot types and (with `per_binding`) the work of each binding of every body.
fn analyse<C: CodeView>(
    prog: &C,
    prims: &PrimTable,
    per_binding: bool,
) -> Result<Analysed, WorkError> {
    let n = prog.func_count();
    let mut table: Vec<u128> = Vec::with_capacity(n);
    let mut types = Vec::with_capacity(n);
    let mut bindings = Vec::new();
    for i in 0..n {
        let Some(f) = prog.func(FuncId(i as u32)) else {
            break;
        };
        let mut a = Analysis {
            prog,
            prims,
            done: &table,
            me: i,
            types: vec![None; f.locals],
            record: per_binding.then(Vec::new),
        };
        for p in f.params.iter().chain(f.lparams) {
            a.set(p.var, p.ty.clone(), f.span)?;
        }
        let (w, _) = a.block(f.body)?;
        types.push(a.types);
        bindings.extend(a.record);
        table.push(w);
    }
    Ok((table, types, bindings))
}

struct Analysis<'a, C> {
    prog: &'a C,
    prims: &'a PrimTable,
    done: &'a [u128],
    me: usize,
    types: Vec<Option<Type>>,
    /// When set, receives the work of each binding of the next block analysed (the body).
    record: Option<Vec<u128>>,
}

type Types = (Vec<Type>, Vec<Type>);

/// The deepest tuple type a program may build (the checker's limit, E0218): a type built by
/// `let t2 = <t1> in` 10^5 times would make every recursion on it (printing, comparing,
/// dropping) as deep as the program is long. A named type counts as one level (its definition
/// is behind an `Arc`, and what recurses through it grows its stack on demand).
pub const TYPE_DEPTH_LIMIT: u32 = 256;

/// `<items>`, or E0422 beyond [`TYPE_DEPTH_LIMIT`].
fn tuple_type(items: Vec<Type>, span: Span) -> Result<Type, WorkError> {
    let depth = 1 + items
        .iter()
        .map(|t| nesting(t, TYPE_DEPTH_LIMIT))
        .max()
        .unwrap_or(0);
    if depth > TYPE_DEPTH_LIMIT {
        return Err(WorkError {
            code: "E0422",
            message: format!("a tuple type nested deeper than {TYPE_DEPTH_LIMIT} levels"),
            span,
        });
    }
    Ok(Type::Tuple(items))
}

/// The tuple nesting of `t` outside names, counted up to `limit + 1` (so the recursion is at
/// most `limit` deep whatever `t` is).
fn nesting(t: &Type, limit: u32) -> u32 {
    match t {
        Type::Real | Type::Named(_) => 0,
        Type::Tuple(_) if limit == 0 => 1,
        Type::Tuple(ts) => 1 + ts.iter().map(|t| nesting(t, limit - 1)).max().unwrap_or(0),
    }
}

/// `size(t)`, saturating at `u128::MAX` (see [`add`]).
fn size(t: &Type, _span: Span) -> Result<u128, WorkError> {
    Ok(t.size())
}

/// Work adds up saturating at `u128::MAX`, which stands for "2^128 or more": slot types are
/// synthesised whatever the work, and [`static_work`] reports the saturated figure as E0421.
fn add(a: u128, b: u128, _span: Span) -> Result<u128, WorkError> {
    Ok(a.saturating_add(b))
}

impl<'a, C: CodeView> Analysis<'a, C> {
    fn set(&mut self, x: LocalId, ty: Type, span: Span) -> Result<(), WorkError> {
        match self.types.get_mut(x.0 as usize) {
            Some(slot) => {
                *slot = Some(ty);
                Ok(())
            }
            None => err(format!("no slot #{}", x.0), span),
        }
    }

    fn var_type(&self, v: Var) -> Result<&Type, WorkError> {
        match self.types.get(v.id.0 as usize) {
            Some(Some(t)) => Ok(t),
            _ => err(
                format!(
                    "`{}` has no type here",
                    self.prog.slot_name(FuncId(self.me as u32), v.id)
                ),
                v.span,
            ),
        }
    }

    fn atom_type(&self, a: &Atom) -> Result<Type, WorkError> {
        match a {
            Atom::Var(v) => self.var_type(*v).cloned(),
            Atom::Lit(..) => Ok(Type::Real),
        }
    }

    fn atom_types(&self, xs: AtomList<'_>) -> Result<Vec<Type>, WorkError> {
        xs.iter().map(|a| self.atom_type(&a)).collect()
    }

    fn block(&mut self, b: C::Block<'a>) -> Result<(u128, Types), WorkError> {
        let mut w: u128 = 0;
        // Only the outermost block records (nested ones run with `record` taken).
        let mut record = self.record.take();
        let prog = self.prog;
        for bind in prog.binds(b) {
            let before = w;
            match bind {
                // The commonest binding, `let x = p(..)`, without the vectors of the general
                // case below (the same figure, type and errors).
                BindView::Let {
                    nl: [x],
                    lin: [],
                    rhs:
                        ExprView::Prim {
                            prim,
                            args,
                            span: at,
                        },
                    span,
                } => {
                    let Some(row) = self.prims.get(prim) else {
                        return err(format!("no primitive #{}", prim.0), at);
                    };
                    let we = add(row.cost, args.len() as u128, at)?;
                    w = add(w, add(we, 1, span)?, span)?;
                    self.set(*x, Type::Real, span)?;
                }
                BindView::Let { nl, lin, rhs, span } => {
                    let (we, (ts, us)) = self.expr(rhs)?;
                    w = add(w, add(we, 1, span)?, span)?;
                    if ts.len() != nl.len() || us.len() != lin.len() {
                        return err("binders do not match the number of values", span);
                    }
                    for (x, t) in nl.iter().chain(lin).zip(ts.into_iter().chain(us)) {
                        self.set(*x, t, span)?;
                    }
                }
                BindView::Unpack { binders, src, span } => {
                    w = add(w, 2, span)?;
                    let Some(items) = self.var_type(src)?.components().map(<[Type]>::to_vec) else {
                        return err("destructuring a real", src.span);
                    };
                    if items.len() != binders.len() {
                        return err("destructuring a tuple of another length", src.span);
                    }
                    for (x, t) in binders.iter().zip(items) {
                        self.set(*x, t, span)?;
                    }
                }
            }
            if let Some(r) = record.as_mut() {
                r.push(w - before);
            }
        }
        let tail = prog.tail(b);
        let (wt, tys) = self.expr(tail)?;
        self.record = record;
        Ok((add(w, wt, view_span(&tail))?, tys))
    }

    fn expr(&mut self, e: ExprView<'a, C::Block<'a>>) -> Result<(u128, Types), WorkError> {
        let n = |xs: AtomList<'_>| xs.len() as u128;
        Ok(match e {
            ExprView::Ret { nl, lin, .. } => (
                1 + n(nl) + n(lin),
                (self.atom_types(nl)?, self.atom_types(lin)?),
            ),
            ExprView::Tuple { items, span } => (
                1 + n(items),
                (vec![tuple_type(self.atom_types(items)?, span)?], vec![]),
            ),
            ExprView::LTuple { items, span } => (
                1 + n(items),
                (vec![], vec![tuple_type(self.atom_types(items)?, span)?]),
            ),
            ExprView::Call {
                func,
                nl,
                lin,
                span,
            } => {
                let i = func.0 as usize;
                if i >= self.me {
                    return err("a call of a function not defined above", span);
                }
                let (Some(g), Some(&wg)) = (self.prog.func(func), self.done.get(i)) else {
                    return err(format!("no function #{i}"), span);
                };
                (
                    add(wg, 1 + n(nl) + n(lin), span)?,
                    (g.results.to_vec(), g.lresults.to_vec()),
                )
            }
            ExprView::Prim { prim, args, span } => {
                let Some(row) = self.prims.get(prim) else {
                    return err(format!("no primitive #{}", prim.0), span);
                };
                (add(row.cost, n(args), span)?, (vec![Type::Real], vec![]))
            }
            ExprView::LAdd { lhs, span, .. } => {
                let t = self.atom_type(&lhs)?;
                (add(size(&t, span)?.max(1), 2, span)?, (vec![], vec![t]))
            }
            ExprView::Scale { lin, span, .. } => {
                let t = self.atom_type(&lin)?;
                (add(size(&t, span)?.max(1), 2, span)?, (vec![], vec![t]))
            }
            ExprView::Zero { ty, span } => (size(ty, span)?.max(1), (vec![], vec![ty.clone()])),
            ExprView::Dup { arg, span } => {
                let t = self.atom_type(&arg)?;
                (
                    add(size(&t, span)?.max(1), 1, span)?,
                    (vec![], vec![t.clone(), t]),
                )
            }
            ExprView::Drop { body, span } => {
                let (w, (ts, us)) = self.block(body)?;
                let size = ts
                    .iter()
                    .chain(&us)
                    .try_fold(0u128, |n, t| add(n, size(t, span)?, span))?;
                (add(w, size.max(1), span)?, (vec![], vec![]))
            }
            ExprView::Block(b) => self.block(b)?,
        })
    }
}

/// An expression's span for [`add`] (a tail is never a block, and [`add`] does not report it).
fn view_span<B>(e: &ExprView<'_, B>) -> Span {
    match e {
        ExprView::Ret { span, .. }
        | ExprView::Tuple { span, .. }
        | ExprView::LTuple { span, .. }
        | ExprView::Call { span, .. }
        | ExprView::Prim { span, .. }
        | ExprView::LAdd { span, .. }
        | ExprView::Scale { span, .. }
        | ExprView::Zero { span, .. }
        | ExprView::Dup { span, .. }
        | ExprView::Drop { span, .. } => *span,
        ExprView::Block(_) => Span::GENERATED,
    }
}
