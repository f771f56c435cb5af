//! Transpose (SPEC §4): each linear function `g(as ; ys': Us) -> (; σs)` of a Linear B
//! program becomes `g.T(as ; cts': σs) -> (; Us)`, mapping cotangents of its linear results to
//! cotangents of its linear parameters; nonlinear functions are kept.
//!
//! The body is normalised into flat items as for unzip. Nonlinear items keep their order and
//! come first; linear items are transposed in reverse, each by its duality in [`dual`]. Since
//! every linear variable is used exactly once, each cotangent is defined exactly once: no
//! accumulators. `drop(e)` is not transposed: its free linear variables get zero cotangents.
//!
//! **The transposer knows only the linear core.** There is no rule for any nonlinear primitive
//! here: nonlinear code is copied, never transposed.

use crate::build::{FnBuilder, atom, atoms, copy_builder, shell, spelling, var};
use crate::error::{RewriteError, internal};
use crate::normal::{Item, Normal, expr_bound, expr_reads, let_, normalise, with_typing};
use crate::subst::Copier;
use checker::Class;
use semantics::*;

/// Transposes every linear function of a Linear B program.
pub fn transpose(prog: &Program, prims: &PrimTable) -> Result<Program, RewriteError> {
    // Elaboration type-checks (relaxed) and reports the same diagnostics as `check` would.
    let prog = checker::elaborate(prog, prims).map_err(RewriteError::IllTyped)?;
    transpose_strict(prog, prims)
}

/// [`transpose`] of a program that is strict already (another pass's output, which that pass
/// elaborated): not elaborated again. The program is consumed: each linear function's body
/// moves into its normal form, each nonlinear function into the output, so no function is held
/// twice.
pub(crate) fn transpose_strict(
    mut prog: Program,
    prims: &PrimTable,
) -> Result<Program, RewriteError> {
    let classes = checker::classify_all(&prog);
    if let Some(fault) = checker::check_linear_b(&prog).into_iter().next() {
        return Err(RewriteError::NotLinearB(fault));
    }
    {
        let names = prog.func_names();
        for (f, c) in prog.funcs.iter().zip(&classes) {
            let name = format!("{}.T", f.name);
            if *c == Class::Linear && names.contains(name.as_str()) {
                return Err(RewriteError::NameClash {
                    name,
                    span: f.name_span,
                });
            }
        }
    }
    // The linear results of each function of the output: `g.T`'s are `g`'s parameters'.
    let lresult_types: Vec<Vec<Type>> = prog
        .funcs
        .iter()
        .zip(&classes)
        .map(|(f, c)| {
            if *c == Class::Linear {
                f.lparams.iter().map(|p| p.ty.clone()).collect()
            } else {
                f.lresults.clone()
            }
        })
        .collect();
    let lresults = |g: FuncId| lresult_types.get(g.0 as usize).cloned();
    // A linear function is normalised (its body handed over, its signature left for the
    // callers'); a nonlinear one is kept whole: it moves to the output as it is, and its slot
    // types, which nothing reads, are not computed.
    let mut normals: Vec<Normal> = Vec::with_capacity(prog.funcs.len());
    for i in 0..prog.funcs.len() {
        let signature = shell(&prog.funcs[i]);
        let f = std::mem::replace(&mut prog.funcs[i], signature);
        normals.push(if classes[i] == Class::Linear {
            normalise(f, &prog, &classes, true)?
        } else {
            Normal::whole(f)
        });
    }
    drop(prog);
    let types = with_typing(&mut normals, |typing| local_types(typing, prims))?;
    let mut funcs = Vec::with_capacity(normals.len());
    for (i, (mut n, ts)) in normals.into_iter().zip(types).enumerate() {
        if classes[i] == Class::Linear {
            // Cotangents that are statically zero (of a dropped result) are folded, and the
            // code computing cotangents that only reach a `drop` is removed.
            let t = transpose_fn(&mut n, &ts)?;
            // Free the normal form before the output is folded (a copy of the function).
            drop((n, ts));
            funcs.push(crate::fold::fold(t, &lresults));
        } else {
            funcs.push(n.typing);
        }
    }
    checker::elaborate_built(Program { funcs }, prims).map_err(|d| {
        internal(format!(
            "dup/drop insertion rejected the transposed program: {}",
            d.first().map_or("", |d| d.message.as_str())
        ))
    })
}

struct Tr<'a> {
    f: &'a FnDef,
    types: &'a [Option<Type>],
    out: FnBuilder,
    /// The cotangent slot of each linear slot of `f`, once defined.
    ct: Vec<Option<LocalId>>,
}

impl Tr<'_> {
    fn ty(&self, x: LocalId) -> Result<Type, RewriteError> {
        self.types
            .get(x.0 as usize)
            .cloned()
            .flatten()
            .ok_or_else(|| internal(format!("no type for `{}`", self.f.name_of(x))))
    }

    /// A new cotangent slot for linear slot `x`, named after it.
    fn define(&mut self, x: LocalId) -> Result<LocalId, RewriteError> {
        let stem = self.f.name_of(x).trim_end_matches('\'');
        let mut name = String::with_capacity(stem.len() + 3);
        name.push_str(stem);
        name.push_str("_ct");
        let id = self.out.named(&name, true);
        match self.ct.get_mut(x.0 as usize) {
            Some(slot @ None) => {
                *slot = Some(id);
                Ok(id)
            }
            _ => Err(internal(format!(
                "`{}` has two cotangents",
                self.f.name_of(x)
            ))),
        }
    }

    /// Cotangent slots for atoms that must be linear variables (each defined here, once).
    fn define_all(&mut self, xs: &[Atom]) -> Result<Vec<LocalId>, RewriteError> {
        xs.iter()
            .map(|a| Self::linear_var(a).and_then(|x| self.define(x)))
            .collect()
    }

    /// The cotangent of linear slot `x`, defined by the (later) use of `x`.
    fn ct(&self, x: LocalId) -> Result<LocalId, RewriteError> {
        self.ct
            .get(x.0 as usize)
            .copied()
            .flatten()
            .ok_or_else(|| internal(format!("`{}` has no cotangent", self.f.name_of(x))))
    }

    fn linear_var(a: &Atom) -> Result<LocalId, RewriteError> {
        a.var()
            .map(|v| v.id)
            .ok_or_else(|| internal("a literal in a linear position"))
    }

    /// Free linear variables of an expression (defined outside it).
    fn free_linear(&self, e: &Expr, out: &mut Vec<LocalId>) {
        let mut reads = Vec::new();
        expr_reads(e, &mut reads);
        let mut bound = Vec::new();
        expr_bound(e, &mut bound);
        for x in reads {
            if self.f.is_linear(x) && !bound.contains(&x) && !out.contains(&x) {
                out.push(x);
            }
        }
    }

    /// The dual of one linear binding: binds the cotangents of what it reads from the
    /// cotangents of what it binds.
    fn dual(&mut self, c: &Copier, s: &Bind, binds: &mut Vec<Bind>) -> Result<(), RewriteError> {
        let scalar = |a: &Atom| c.atom(a);
        match s {
            Bind::Unpack { binders, src, .. } => {
                // let <y1', ..., yn'> = x'   ↦   let x_ct' = <y1_ct', ..., yn_ct'>
                let items = binders
                    .iter()
                    .map(|&y| self.ct(y).map(atom))
                    .collect::<Result<Vec<_>, _>>()?;
                let x = self.define(src.id)?;
                let rhs = if items.is_empty() {
                    Expr::Zero {
                        ty: Type::unit(),
                        span: Span::GENERATED,
                    }
                } else {
                    Expr::LTuple {
                        items,
                        span: Span::GENERATED,
                    }
                };
                binds.push(let_(vec![], vec![x], rhs));
            }
            Bind::Let { nl, lin, rhs, .. } => {
                if !nl.is_empty() {
                    return Err(internal("a linear binding with nonlinear binders"));
                }
                let cts = lin
                    .iter()
                    .map(|&y| self.ct(y))
                    .collect::<Result<Vec<_>, _>>()?;
                match rhs {
                    // let (; ys') = (; xs')   ↦   let (; xs_ct') = (; ys_ct')
                    Expr::Ret { nl: n, lin: xs, .. } if n.is_empty() => {
                        let defs = self.define_all(xs)?;
                        binds.push(let_(
                            vec![],
                            defs,
                            Expr::Ret {
                                nl: vec![],
                                lin: atoms(&cts),
                                span: Span::GENERATED,
                            },
                        ));
                    }
                    // let y' = a' + b'   ↦   let (; a_ct', b_ct') = dup(y_ct')
                    Expr::LAdd { lhs, rhs: r, .. } => {
                        let (a, b) = (Self::linear_var(lhs)?, Self::linear_var(r)?);
                        let defs = vec![self.define(a)?, self.define(b)?];
                        binds.push(let_(
                            vec![],
                            defs,
                            Expr::Dup {
                                arg: atom(cts[0]),
                                span: Span::GENERATED,
                            },
                        ));
                    }
                    // let y' = c * x'   ↦   let x_ct' = c * y_ct'
                    Expr::Scale {
                        scalar: k, lin: x, ..
                    } => {
                        let x = Self::linear_var(x)?;
                        let def = self.define(x)?;
                        binds.push(let_(
                            vec![],
                            vec![def],
                            Expr::Scale {
                                scalar: scalar(k)?,
                                lin: atom(cts[0]),
                                span: Span::GENERATED,
                            },
                        ));
                    }
                    // let y' = zero<T>   ↦   drop(y_ct')
                    Expr::Zero { .. } => {
                        binds.push(let_(vec![], vec![], drop_of(atom(cts[0]))));
                    }
                    // let (; y1', y2') = dup(x')   ↦   let x_ct' = y1_ct' + y2_ct'
                    Expr::Dup { arg, .. } => {
                        let def = self.define(Self::linear_var(arg)?)?;
                        binds.push(let_(
                            vec![],
                            vec![def],
                            Expr::LAdd {
                                lhs: atom(cts[0]),
                                rhs: atom(cts[1]),
                                span: Span::GENERATED,
                            },
                        ));
                    }
                    // let y' = <x1', ..., xn'>   ↦   let <x1_ct', ..., xn_ct'> = y_ct'
                    Expr::LTuple { items, .. } => {
                        let defs = self.define_all(items)?;
                        binds.push(Bind::Unpack {
                            binders: defs,
                            src: var(cts[0]),
                            span: Span::GENERATED,
                        });
                    }
                    // let (; ys') = h(as ; xs')   ↦   let (; xs_ct') = h.T(as ; ys_ct')
                    Expr::Call {
                        func,
                        nl: args,
                        lin: xs,
                        ..
                    } => {
                        let args = args.iter().map(scalar).collect::<Result<Vec<_>, _>>()?;
                        let defs = self.define_all(xs)?;
                        binds.push(let_(
                            vec![],
                            defs,
                            Expr::Call {
                                func: *func,
                                nl: args,
                                lin: atoms(&cts),
                                span: Span::GENERATED,
                            },
                        ));
                    }
                    // drop(e)   ↦   zero cotangents for e's free linear variables
                    Expr::Drop { .. } | Expr::Block(_) | Expr::Ret { .. } => {
                        let mut free = Vec::new();
                        self.free_linear(rhs, &mut free);
                        for &y in lin {
                            // Results of a dropped or nested expression have no use to transpose from.
                            binds.push(let_(vec![], vec![], drop_of(atom(self.ct(y)?))));
                        }
                        for x in free {
                            let def = self.define(x)?;
                            binds.push(let_(
                                vec![],
                                vec![def],
                                Expr::Zero {
                                    ty: self.ty(x)?,
                                    span: Span::GENERATED,
                                },
                            ));
                        }
                    }
                    Expr::Tuple { .. } | Expr::Prim { .. } => {
                        return Err(internal("a nonlinear expression bound linearly"));
                    }
                }
            }
        }
        Ok(())
    }
}

fn drop_of(a: Atom) -> Expr {
    Expr::Drop {
        body: Box::new(Block {
            binds: vec![],
            tail: Expr::Ret {
                nl: vec![],
                lin: vec![a],
                span: Span::GENERATED,
            },
        }),
        span: Span::GENERATED,
    }
}

/// Whether transposing `f` may take names without a name table: it takes the names of `f`'s
/// nonlinear slots and `x_ct'` for its linear slots `x'` ([`Tr::define`]), so if all of
/// those (and the names of `f`'s linear slots) are pairwise distinct once spelled, every
/// name it takes is free (see [`FnBuilder::distinct`]).
fn copies_distinct(f: &FnDef) -> bool {
    let cotangents = f
        .locals
        .iter()
        .filter(|l| l.linear)
        .map(|l| [l.name.trim_end_matches('\''), "_ct", "'"]);
    Fresh::distinct(f.locals.iter().map(spelling).chain(cotangents))
}

/// The nonlinear items move into the output (renamed in place): nothing reads them again.
fn transpose_fn(n: &mut Normal, types: &[Option<Type>]) -> Result<FnDef, RewriteError> {
    let f = &n.typing;
    let (results, lresults) = (&n.results, &n.lresults);
    if !results.is_empty() {
        return Err(internal("a linear function with nonlinear results"));
    }
    let same = |g: FuncId| Some(g);
    let mut c = Copier::new(f, &same);
    let mut t = Tr {
        f,
        types,
        // A copy of every slot and a cotangent for each linear one, at most.
        out: copy_builder(copies_distinct(f), 2 * f.locals.len()),
        ct: vec![None; f.locals.len()],
    };
    let params = c.params(&mut t.out, &f.params);
    // Cotangent parameters: one per linear result, of its type.
    let mut lparams = Vec::new();
    for (a, ty) in lresults.iter().zip(&f.lresults) {
        let x = Tr::linear_var(a)?;
        lparams.push(Param {
            var: t.define(x)?,
            ty: ty.clone(),
        });
    }
    // About one binding per item, plus the drops and zeros of unused cotangents.
    let mut binds = Vec::with_capacity(n.items.len() + n.items.len() / 4 + 4);
    for it in &mut n.items {
        match it {
            Item::Nl(s) => {
                let s = std::mem::replace(s, crate::normal::lent());
                binds.push(c.bind_moved(&mut t.out, s)?)
            }
            Item::Lin(_) => {}
            Item::SplitNl { .. } | Item::SplitLin { .. } => {
                return Err(internal("a mixed call in Linear B"));
            }
        }
    }
    for it in n.items.iter().rev() {
        if let Item::Lin(s) = it {
            t.dual(&c, s, &mut binds)?;
        }
    }
    let outs = f
        .lparams
        .iter()
        .map(|p| t.ct(p.var).map(atom))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FnDef {
        name: format!("{}.T", f.name),
        checkpoint: false,
        params,
        lparams,
        results: vec![],
        lresults: f.lparams.iter().map(|p| p.ty.clone()).collect(),
        locals: t.out.locals,
        body: Block {
            binds,
            tail: Expr::Ret {
                nl: vec![],
                lin: outs,
                span: Span::GENERATED,
            },
        },
        ..shell(f)
    })
}
