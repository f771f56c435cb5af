//! JVP (forward mode), SPEC §4: each `f(xs) -> (τs)` of a nonlinear program becomes
//! `f.jvp(xs ; xs') -> (τs ; T(τs))`, linear in the tangents `xs'`.
//!
//! One sweep per function. Primal slots keep their ids (so primal code is copied as is) and
//! every primal slot `x` gets a tangent slot `x'`. Per construct:
//! - a primitive application inlines the primitive's JVP rule from the table, its parameters
//!   replaced by the actual atoms, its result binders renamed to the target binders;
//! - a literal gets a `zero<R>` tangent; a tuple gets a linear tuple; a destructure also
//!   destructures the tangent; a call of `g` calls `g.jvp`; `drop(e)` drops e's JVP.
//!
//! Each use of `x` becomes a use of `x'`, so a tangent is used as often as its primal; dup/drop
//! insertion ([`checker::elaborate`]) then adds the `dup`s (and, for relaxed input, the `drop`s),
//! which makes the output strict.

use crate::build::{AskedNames, FnBuilder, atom};
use crate::error::{RewriteError, internal};
use crate::rules::JvpRules;
use crate::subst::Copier;
use semantics::*;
use std::borrow::Cow;

/// JVP of a whole nonlinear program (strict or relaxed): only the `.jvp` functions remain.
pub fn jvp(prog: &Program, prims: &PrimTable) -> Result<Program, RewriteError> {
    with_rules(prims, |rules| jvp_with(prog, prims, rules))
}

/// [`jvp`] of a program the caller no longer needs: each function is freed as soon as its
/// `.jvp` function is built, before that is folded (`lina vjp` and `lina grad`).
pub(crate) fn jvp_owned(prog: Program, prims: &PrimTable) -> Result<Program, RewriteError> {
    let built = with_rules(prims, |rules| build_jvp(Cow::Owned(prog), prims, rules))?;
    insert_dups(built, prims)
}

/// `go` with the table's JVP rules: the standard table's are loaded once per process.
fn with_rules<T>(
    prims: &PrimTable,
    go: impl FnOnce(&JvpRules) -> Result<T, RewriteError>,
) -> Result<T, RewriteError> {
    if std::ptr::eq(prims, PrimTable::standard()) {
        return go(JvpRules::standard()?);
    }
    go(&JvpRules::load(prims)?)
}

pub fn jvp_with(
    prog: &Program,
    prims: &PrimTable,
    rules: &JvpRules,
) -> Result<Program, RewriteError> {
    insert_dups(build_jvp(Cow::Borrowed(prog), prims, rules)?, prims)
}

/// The `.jvp` functions, folded, before dup/drop insertion. An owned input function is freed
/// once its `.jvp` function is built: the fold, which holds its input and its output at once,
/// does not hold the source function too.
fn build_jvp(
    prog: Cow<'_, Program>,
    prims: &PrimTable,
    rules: &JvpRules,
) -> Result<Program, RewriteError> {
    checker::accepts(&prog, prims, checker::Options { relaxed: true })
        .map_err(RewriteError::IllTyped)?;
    let names = prog.func_names();
    for f in &prog.funcs {
        require_nonlinear(f)?;
        let name = format!("{}.jvp", f.name);
        if names.contains(name.as_str()) {
            return Err(RewriteError::NameClash {
                name,
                span: f.name_span,
            });
        }
    }
    // Tangents that are statically zero (a literal's) are folded away as they are made. A
    // call's tangents are not folded even when its tangent arguments are all zero: λLL's
    // native linearization (`ll_linearize`), which must agree with this JVP bit for bit, does
    // not see through calls (`inf * 0` is NaN there). The transposed program folds them.
    let lresults = |_: FuncId| None;
    let asked = rule_names(rules);
    let fold = |j: FnDef| crate::fold::fold(j, &lresults);
    let funcs = match prog {
        Cow::Borrowed(p) => p
            .funcs
            .iter()
            .map(|f| jvp_fn(f, rules, &asked).map(fold))
            .collect::<Result<Vec<_>, _>>()?,
        Cow::Owned(p) => p
            .funcs
            .into_iter()
            .map(|f| {
                let j = jvp_fn(&f, rules, &asked);
                drop(f);
                j.map(fold)
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(Program { funcs })
}

fn insert_dups(built: Program, prims: &PrimTable) -> Result<Program, RewriteError> {
    checker::elaborate_built(built, prims).map_err(|d| {
        internal(format!(
            "dup/drop insertion rejected the JVP: {}",
            d.first().map_or("", |d| d.message.as_str())
        ))
    })
}

/// JVP takes nonlinear programs only: no linear parameters, results, variables or operations.
fn require_nonlinear(f: &FnDef) -> Result<(), RewriteError> {
    let not = || RewriteError::NotNonlinear {
        func: f.name.clone(),
        span: f.name_span,
    };
    if !f.lparams.is_empty() || !f.lresults.is_empty() || f.locals.iter().any(|l| l.linear) {
        return Err(not());
    }
    let mut linear_op = false;
    each_expr(&f.body, &mut |e| {
        linear_op |= matches!(
            e,
            Expr::LTuple { .. }
                | Expr::LAdd { .. }
                | Expr::Scale { .. }
                | Expr::Zero { .. }
                | Expr::Dup { .. }
        );
    });
    if linear_op {
        return Err(not());
    }
    Ok(())
}

/// `T(τ)`: the tangent type of a real is a real, of a tuple the tuple of tangent types.
pub fn tangent_type(t: &Type) -> Type {
    t.clone()
}

/// The names a JVP's builder is asked for after the tangents: its rules' local names, spelled
/// as [`FnBuilder::named`] spells them (the rules' binders are copied under their names).
fn rule_names(rules: &JvpRules) -> AskedNames {
    AskedNames::new(rules.rules.iter().flat_map(|r| &r.def.locals).map(|l| {
        let [name, _, prime] = crate::build::spelling(l);
        format!("{name}{prime}")
    }))
}

fn jvp_fn(f: &FnDef, rules: &JvpRules, asked: &AskedNames) -> Result<FnDef, RewriteError> {
    // A tangent per slot, and the rules' own slots (two or three per application). The
    // builder's table is sparse: it is asked for the tangents, then for the rules' names only.
    let mut out = FnBuilder::sparse(f.locals.to_vec(), 3 * f.locals.len(), asked);
    // The tangents `x'` are free as they are when the primal names are distinct and unprimed
    // (a nonlinear program's are): then no table of every name is built to take them.
    let distinct = f.locals.iter().all(|l| !l.name.ends_with('\''))
        && Fresh::distinct(f.locals.iter().map(|l| [l.name.as_str(), "", ""]));
    if distinct {
        out.trust();
    }
    let tan: Vec<LocalId> = f.locals.iter().map(|l| out.named(&l.name, true)).collect();
    out.check();
    let lparams = f
        .params
        .iter()
        .map(|p| Param {
            var: tan[p.var.0 as usize],
            ty: tangent_type(&p.ty),
        })
        .collect();
    let mut j = Jvp { out, tan, rules };
    let body = j.block(&f.body)?;
    Ok(FnDef {
        name: format!("{}.jvp", f.name),
        checkpoint: f.checkpoint,
        name_span: f.name_span,
        params: f.params.clone(),
        lparams,
        results: f.results.clone(),
        lresults: f.results.iter().map(tangent_type).collect(),
        locals: j.out.locals,
        body,
        span: f.span,
    })
}

struct Jvp<'a> {
    out: FnBuilder,
    /// The tangent slot of each primal slot.
    tan: Vec<LocalId>,
    rules: &'a JvpRules,
}

fn let_(nl: Vec<LocalId>, lin: Vec<LocalId>, rhs: Expr) -> Bind {
    Bind::Let {
        nl,
        lin,
        rhs,
        span: Span::GENERATED,
    }
}

impl Jvp<'_> {
    fn tan_of(&self, x: LocalId) -> Result<LocalId, RewriteError> {
        self.tan
            .get(x.0 as usize)
            .copied()
            .ok_or_else(|| internal("a slot without a tangent"))
    }

    /// The tangent of an atom: the variable's tangent, or a fresh `zero<R>` for a literal.
    fn tangent(&mut self, a: &Atom, binds: &mut Vec<Bind>) -> Result<Atom, RewriteError> {
        match a {
            Atom::Var(v) => Ok(atom(self.tan_of(v.id)?)),
            Atom::Lit(..) => {
                let z = self.out.fresh("zero", true);
                binds.push(let_(
                    vec![],
                    vec![z],
                    Expr::Zero {
                        ty: Type::Real,
                        span: Span::GENERATED,
                    },
                ));
                Ok(atom(z))
            }
        }
    }

    fn tangents(&mut self, xs: &[Atom], binds: &mut Vec<Bind>) -> Result<Vec<Atom>, RewriteError> {
        xs.iter().map(|a| self.tangent(a, binds)).collect()
    }

    /// An upper bound on the bindings [`Jvp::block`] emits for `b`'s own bindings and tail
    /// (nested blocks apart): an inlined rule's bindings and its result per primitive, a zero
    /// per literal argument, two per tuple or destructure.
    fn emitted(&self, b: &Block) -> usize {
        let lits = |xs: &[Atom]| xs.iter().filter(|a| matches!(a, Atom::Lit(..))).count();
        let expr = |e: &Expr| match e {
            Expr::Prim { prim, args, .. } => {
                self.rules
                    .get(*prim)
                    .map_or(1, |r| r.def.body.binds.len() + 1)
                    + lits(args)
            }
            Expr::Tuple { items, .. } => 2 + lits(items),
            Expr::Ret { nl, .. } | Expr::Call { nl, .. } => 1 + lits(nl),
            _ => 1,
        };
        let binds: usize = b
            .binds
            .iter()
            .map(|s| match s {
                Bind::Let { rhs, .. } => expr(rhs),
                Bind::Unpack { .. } => 2,
            })
            .sum();
        binds + expr(&b.tail)
    }

    fn block(&mut self, b: &Block) -> Result<Block, RewriteError> {
        // Reserved at once: grown by doubling, this vector was a twentieth of `jvp`'s cycles.
        let mut binds = Vec::with_capacity(self.emitted(b));
        for s in &b.binds {
            match s {
                Bind::Let { nl, rhs, .. } => self.bind_to(nl, rhs, &mut binds)?,
                Bind::Unpack { binders, src, span } => {
                    binds.push(Bind::Unpack {
                        binders: binders.clone(),
                        src: *src,
                        span: *span,
                    });
                    let tb = binders
                        .iter()
                        .map(|&x| self.tan_of(x))
                        .collect::<Result<Vec<_>, _>>()?;
                    let ts = crate::build::var(self.tan_of(src.id)?);
                    binds.push(Bind::Unpack {
                        binders: tb,
                        src: ts,
                        span: *span,
                    });
                }
            }
        }
        let tail = self.value(&b.tail, &mut binds)?;
        Ok(Block { binds, tail })
    }

    /// Emits bindings defining the primal binders `xs` and their tangents from `rhs`.
    fn bind_to(
        &mut self,
        xs: &[LocalId],
        rhs: &Expr,
        binds: &mut Vec<Bind>,
    ) -> Result<(), RewriteError> {
        let ts = xs
            .iter()
            .map(|&x| self.tan_of(x))
            .collect::<Result<Vec<_>, _>>()?;
        match (rhs, xs) {
            (Expr::Prim { prim, args, .. }, [x]) => {
                self.inline_rule(*prim, args, Some((*x, ts[0])), binds)?;
            }
            (Expr::Tuple { items, span }, [x]) => {
                let titems = self.tangents(items, binds)?;
                binds.push(let_(
                    vec![*x],
                    vec![],
                    Expr::Tuple {
                        items: items.clone(),
                        span: *span,
                    },
                ));
                binds.push(let_(vec![], ts, linear_tuple(titems, *span)));
            }
            _ => {
                let e = self.value(rhs, binds)?;
                binds.push(let_(xs.to_vec(), ts, e));
            }
        }
        Ok(())
    }

    /// The JVP of an expression: an expression returning its primals and tangents.
    fn value(&mut self, e: &Expr, binds: &mut Vec<Bind>) -> Result<Expr, RewriteError> {
        Ok(match e {
            Expr::Ret { nl, lin, span } if lin.is_empty() => Expr::Ret {
                nl: nl.clone(),
                lin: self.tangents(nl, binds)?,
                span: *span,
            },
            Expr::Tuple { items, span } => {
                let (t, t2) = (self.out.fresh("tup", false), self.out.fresh("tup", true));
                let titems = self.tangents(items, binds)?;
                binds.push(let_(
                    vec![t],
                    vec![],
                    Expr::Tuple {
                        items: items.clone(),
                        span: *span,
                    },
                ));
                binds.push(let_(vec![], vec![t2], linear_tuple(titems, *span)));
                Expr::Ret {
                    nl: vec![atom(t)],
                    lin: vec![atom(t2)],
                    span: *span,
                }
            }
            Expr::Call {
                func,
                nl,
                lin,
                span,
            } if lin.is_empty() => {
                // `g` becomes `g.jvp`, which has the same position in the output.
                Expr::Call {
                    func: *func,
                    nl: nl.clone(),
                    lin: self.tangents(nl, binds)?,
                    span: *span,
                }
            }
            Expr::Prim { prim, args, .. } => self
                .inline_rule(*prim, args, None, binds)?
                .ok_or_else(|| internal("a rule without a result"))?,
            Expr::Drop { body, span } => Expr::Drop {
                body: Box::new(self.block(body)?),
                span: *span,
            },
            Expr::Block(b) => Expr::Block(Box::new(self.block(b)?)),
            _ => return Err(internal("a linear construct in a nonlinear program")),
        })
    }

    /// Inlines the JVP rule of `prim` applied to `args`. With `targets`, the rule's results
    /// are bound to them (renaming the rule's own result binders where it can) and `None` is
    /// returned; without, the rule's result expression is returned.
    fn inline_rule(
        &mut self,
        prim: PrimId,
        args: &[Atom],
        targets: Option<(LocalId, LocalId)>,
        binds: &mut Vec<Bind>,
    ) -> Result<Option<Expr>, RewriteError> {
        let rule = self
            .rules
            .get(prim)
            .ok_or_else(|| internal("a primitive without a JVP rule"))?;
        let r = &rule.def;
        if args.len() != r.params.len() {
            return Err(internal(format!(
                "`{}` applied to {} arguments",
                r.name,
                args.len()
            )));
        }
        let tangents = self.tangents(args, binds)?;
        let no_calls = |_| None;
        let mut c = Copier::new(r, &no_calls);
        for (p, a) in r.params.iter().zip(args) {
            c.set(p.var, *a);
        }
        for (p, t) in r.lparams.iter().zip(tangents) {
            c.set(p.var, t);
        }
        let renamed = match (&r.body.tail, targets) {
            (Expr::Ret { nl, lin, .. }, Some((x, x2))) => match (nl.as_slice(), lin.as_slice()) {
                ([Atom::Var(y)], [Atom::Var(t)])
                    if c.get(y.id).is_none() && c.get(t.id).is_none() && y.id != t.id =>
                {
                    c.set(y.id, atom(x));
                    c.set(t.id, atom(x2));
                    true
                }
                _ => false,
            },
            _ => false,
        };
        for s in &r.body.binds {
            binds.push(c.bind_stmt(&mut self.out, s)?);
        }
        if renamed {
            return Ok(None);
        }
        let tail = c.expr(&mut self.out, &r.body.tail)?;
        match targets {
            Some((x, x2)) => {
                binds.push(let_(vec![x], vec![x2], tail));
                Ok(None)
            }
            None => Ok(Some(tail)),
        }
    }
}

/// `<y1', ..., yn'>`; the linear unit is `zero<<>>` (`<>` would be the nonlinear unit).
fn linear_tuple(items: Vec<Atom>, span: Span) -> Expr {
    if items.is_empty() {
        Expr::Zero {
            ty: Type::unit(),
            span,
        }
    } else {
        Expr::LTuple { items, span }
    }
}
