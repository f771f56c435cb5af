//! The kernel's own lowering of a function to terms, one sweep over its bindings. A nonlinear
//! scalar is a term; a linear scalar is a **row** of coefficients over the function's linear
//! input leaves (scale multiplies, `+` adds, `dup` shares, `zero` is the empty row), so the
//! sweep is the linearity check. In `grad` mode each nonlinear scalar also carries its
//! gradient row over the input leaves, from the derivative column alone (the reference
//! Jacobian). Calls are modular: `g`'s results are `tag:g#k`, its coefficients `tag:g#k@i`, its
//! partials `tag:g#dk@i`. This is the prover's construction (`rewrite::equiv::lower` and
//! `derivative`), written again so that the kernel trusts neither.
//!
//! The same sweep is the kernel's **typing check** (strict mode, SPEC §2): a value's shape and
//! sort are its type, so each construct's rule is re-tested where it is lowered (a primitive's
//! arity and real arguments, a call's argument and result types against the callee's
//! signature, the callee defined above, a destructure's size, a linear add of one type, the
//! declared results); scope ends with a block; every linear binder is used exactly once and
//! every nonlinear one at least once. The certificate's flat derivation (each binder's type)
//! is compared with these values by [`spell`].

use super::term::{Dag, Id};
use semantics::{Atom, Bind, Block, Expr, FnDef, LocalId, PrimTable, Program, Type};
use std::collections::BTreeMap;
use std::rc::Rc;

pub type Row = Rc<Vec<(u32, Id)>>;

/// A nonlinear scalar (with its gradient row in `grad` mode), a linear one, or a tuple.
#[derive(Clone)]
pub enum Val {
    N(Id, Row),
    L(Row),
    Tup(Rc<Vec<Val>>),
}

#[derive(Clone, Default)]
pub struct Lowered {
    pub nl: Vec<Id>,
    pub grads: Vec<Row>,
    pub lin: Vec<Row>,
    /// The value of every binder, by slot (the adjoint pairing reads them).
    pub env: Rc<Env>,
}

type Res<T> = Result<T, String>;

/// The scalar leaves of `v`, in order, into `out` (nonlinear ones, or rows when `linear`).
fn leaves(v: &Val, linear: bool, out: &mut Vec<Val>) -> Res<()> {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match (v, linear) {
            (Val::Tup(items), _) => stack.extend(items.iter().rev()),
            (Val::N(..), false) | (Val::L(_), true) => out.push(v.clone()),
            _ => return Err("a linear value in a nonlinear position, or the reverse".into()),
        }
    }
    Ok(())
}

fn shape(ty: &Type, it: &mut impl Iterator<Item = Val>) -> Option<Val> {
    match ty.components() {
        None => it.next(),
        Some(ts) => Some(Val::Tup(Rc::new(
            ts.iter().map(|t| shape(t, it)).collect::<Option<_>>()?,
        ))),
    }
}

fn leaf_names(name: &str, ty: &Type, out: &mut Vec<String>) {
    match ty.components() {
        None => out.push(name.to_string()),
        Some(ts) => ts
            .iter()
            .enumerate()
            .for_each(|(i, t)| leaf_names(&format!("{name}.{i}"), t, out)),
    }
}

/// The input symbols of `f`'s nonlinear parameter leaves (`x`, `v.0`, `v.1`).
pub fn inputs(dag: &mut Dag, f: &FnDef) -> Vec<Id> {
    let mut names = Vec::new();
    f.params
        .iter()
        .for_each(|p| leaf_names(f.name_of(p.var), &p.ty, &mut names));
    names.iter().map(|n| dag.add(n, Vec::new())).collect()
}

pub fn size(tys: &[Type]) -> usize {
    tys.iter().map(|t| t.size() as usize).sum()
}

pub fn coefficient(row: &Row, i: u32) -> Option<Id> {
    row.binary_search_by_key(&i, |&(j, _)| j)
        .ok()
        .map(|k| row[k].1)
}

/// A column's text `kw name(params) = body` as its name, parameter list and body.
pub fn split_row<'t>(text: &'t str, kw: &str) -> Option<(&'t str, &'t str, &'t str)> {
    let rest = text.trim().strip_prefix(kw)?;
    let (open, close) = (rest.find('(')?, rest.find(')')?);
    let body = rest[close + 1..].trim_start().strip_prefix('=')?;
    Some((rest[..open].trim(), &rest[open + 1..close], body))
}

/// `a, b` as `a: R, b: R`.
pub fn reals(params: &str) -> String {
    let ps: Vec<String> = params
        .split(',')
        .map(|p| format!("{}: R", p.trim()))
        .collect();
    ps.join(", ")
}

/// Each primitive's column `d p(a, b) = (e1, e2)` as the program `def p.d(a: R, b: R) -> (R, R)`.
pub fn columns(prims: &PrimTable) -> Res<Vec<Option<Program>>> {
    let mut out = Vec::new();
    for (id, row) in prims.rows() {
        let Some(text) = prims.derivative(id) else {
            out.push(None);
            continue;
        };
        let bad = || format!("the derivative column of `{}` does not parse", row.name);
        let (name, params, body) = split_row(text, "d").ok_or_else(bad)?;
        if name != row.name || params.split(',').count() != row.arity {
            return Err(bad());
        }
        let results = vec!["R"; row.arity].join(", ");
        let src = format!("def {name}.d({}) -> ({results}) = {body}", reals(params));
        out.push(Some(semantics::parse_with(&src, prims).map_err(|_| bad())?));
    }
    Ok(out)
}

pub struct Lower<'a> {
    pub dag: &'a mut Dag,
    pub prims: &'a PrimTable,
    pub columns: &'a [Option<Program>],
    pub prog: &'a Program,
    pub tag: &'a str,
    pub grad: bool,
    /// Per slot: linear, uses, out of scope; and the function's index (a callee's is lower).
    pub scope: Vec<(bool, u32, bool)>,
    pub me: u32,
}

/// A value's type as the certificate spells it (`R`, `<R, <R>>`), if every leaf has the sort
/// `linear` says.
pub fn spell(v: &Val, linear: bool) -> Option<String> {
    match v {
        Val::N(..) if !linear => Some("R".into()),
        Val::L(_) if linear => Some("R".into()),
        Val::Tup(vs) => Some(format!(
            "<{}>",
            vs.iter()
                .map(|v| spell(v, linear))
                .collect::<Option<Vec<_>>>()?
                .join(", ")
        )),
        _ => None,
    }
}

/// A type, spelled structurally (aliases unfolded).
pub fn spell_type(t: &Type) -> String {
    match t.components() {
        None => "R".into(),
        Some(ts) => format!(
            "<{}>",
            ts.iter().map(spell_type).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// `vs` have the types `ts`, on the side `linear` says.
fn typed(vs: &[Val], ts: &[Type], linear: bool) -> Res<()> {
    let ok = vs.len() == ts.len()
        && vs
            .iter()
            .zip(ts)
            .all(|(v, t)| spell(v, linear) == Some(spell_type(t)));
    ok.then_some(())
        .ok_or_else(|| "values of other types than declared".into())
}

pub type Env = Vec<Option<Val>>;

fn set(env: &mut Env, x: LocalId, v: Val) -> Res<()> {
    let slot = env.get_mut(x.0 as usize).ok_or("a binder with no slot")?;
    if slot.is_some() {
        return Err("a binder bound twice".into());
    }
    *slot = Some(v);
    Ok(())
}

fn empty() -> Row {
    Rc::new(Vec::new())
}

impl Lower<'_> {
    /// `f` with its nonlinear parameter leaves bound to `at` (and, in `grad` mode, unit
    /// gradients), its linear parameter leaves to unit rows.
    pub fn lower(&mut self, f: &FnDef, at: &[Id]) -> Res<Lowered> {
        if self.grad && !(f.lparams.is_empty() && f.lresults.is_empty()) {
            return Err(format!(
                "`{}` has linear parts: it has no reference Jacobian",
                f.name
            ));
        }
        let mut env: Env = vec![None; f.locals.len()];
        self.scope = f.locals.iter().map(|l| (l.linear, 0, false)).collect();
        self.me = self.prog.func_named(&f.name).map_or(0, |id| id.0);
        let one = self.dag.num(1.0);
        let unit = |k: usize| Rc::new(vec![(k as u32, one)]);
        let grad = self.grad;
        let mut it = at
            .iter()
            .enumerate()
            .map(|(k, &x)| Val::N(x, if grad { unit(k) } else { empty() }));
        for p in &f.params {
            set(
                &mut env,
                p.var,
                shape(&p.ty, &mut it).ok_or("too few inputs")?,
            )?;
        }
        let mut units = (0..).map(|k| Val::L(unit(k)));
        for p in &f.lparams {
            set(&mut env, p.var, shape(&p.ty, &mut units).ok_or("no input")?)?;
        }
        let (vn, vl) = self.block(&f.body, &mut env)?;
        typed(&vn, &f.results, false)?;
        typed(&vl, &f.lresults, true)?;
        // Strict multiplicities (a derivative column may ignore a parameter).
        let unused = self
            .scope
            .iter()
            .position(|&(l, n, _)| n == 0 || (l && n != 1));
        if let Some(x) = unused.filter(|_| self.tag != "d") {
            return Err(format!(
                "`{}` is not used as its sort requires",
                f.name_of(LocalId(x as u32))
            ));
        }
        let (mut ns, mut ls) = (Vec::new(), Vec::new());
        vn.iter().try_for_each(|v| leaves(v, false, &mut ns))?;
        vl.iter().try_for_each(|v| leaves(v, true, &mut ls))?;
        let mut out = Lowered::default();
        for v in ns {
            if let Val::N(t, g) = v {
                out.nl.push(t);
                out.grads.push(g);
            }
        }
        out.lin = ls
            .into_iter()
            .filter_map(|v| if let Val::L(r) = v { Some(r) } else { None })
            .collect();
        out.env = Rc::new(env);
        Ok(out)
    }

    fn block(&mut self, b: &Block, env: &mut Env) -> Res<(Vec<Val>, Vec<Val>)> {
        for bind in &b.binds {
            let (xs, vs): (Vec<LocalId>, Vec<Val>) = match bind {
                Bind::Let { nl, lin, rhs, .. } => {
                    let (vn, vl) = self.expr(rhs, env)?;
                    if vn.len() != nl.len() || vl.len() != lin.len() {
                        return Err("a `let` binds a different number of values".into());
                    }
                    (
                        nl.iter().chain(lin).copied().collect(),
                        vn.into_iter().chain(vl).collect(),
                    )
                }
                Bind::Unpack { binders, src, .. } => match self.atom(&Atom::Var(*src), env).ok() {
                    Some(Val::Tup(items)) if items.len() == binders.len() => {
                        (binders.clone(), items.to_vec())
                    }
                    _ => {
                        return Err(
                            "a destructure of a value that is not a tuple of its size".into()
                        );
                    }
                },
            };
            for (x, v) in xs.iter().zip(vs) {
                let linear = self.scope.get(x.0 as usize).is_some_and(|s| s.0);
                spell(&v, linear).ok_or("a binder of the wrong sort")?;
                set(env, *x, v)?;
            }
        }
        let out = self.expr(&b.tail, env)?;
        for bind in &b.binds {
            let xs = match bind {
                Bind::Let { nl, lin, .. } => [&nl[..], &lin[..]].concat(),
                Bind::Unpack { binders, .. } => binders.clone(),
            };
            for x in xs {
                if let Some(s) = self.scope.get_mut(x.0 as usize) {
                    s.2 = true;
                }
            }
        }
        Ok(out)
    }

    fn atom(&mut self, a: &Atom, env: &Env) -> Res<Val> {
        match a {
            Atom::Var(v) => {
                let s = self.scope.get_mut(v.id.0 as usize).filter(|s| !s.2);
                let s = s.ok_or("a variable out of scope")?;
                s.1 = s.1.saturating_add(1);
                if s.0 && s.1 > 1 {
                    return Err("a linear variable used twice".into());
                }
                let v = env.get(v.id.0 as usize).cloned().flatten();
                v.ok_or_else(|| "an unbound variable".into())
            }
            Atom::Lit(x, _) => Ok(Val::N(self.dag.num(*x), empty())),
        }
    }

    fn atoms(&mut self, xs: &[Atom], env: &Env) -> Res<Vec<Val>> {
        xs.iter().map(|a| self.atom(a, env)).collect()
    }

    fn scalar(&mut self, a: &Atom, env: &Env) -> Res<(Id, Row)> {
        match self.atom(a, env)? {
            Val::N(id, g) => Ok((id, g)),
            _ => Err("a linear value or a tuple where a real is expected".into()),
        }
    }

    fn expr(&mut self, e: &Expr, env: &mut Env) -> Res<(Vec<Val>, Vec<Val>)> {
        let linear = matches!(
            e,
            Expr::LAdd { .. }
                | Expr::Scale { .. }
                | Expr::Zero { .. }
                | Expr::Dup { .. }
                | Expr::LTuple { .. }
        ) || matches!(e, Expr::Ret { lin, .. } | Expr::Call { lin, .. } if !lin.is_empty());
        if self.grad && linear {
            return Err("a linear construct in a nonlinear function".into());
        }
        Ok(match e {
            Expr::Ret { nl, lin, .. } => (self.atoms(nl, env)?, self.atoms(lin, env)?),
            Expr::Tuple { items, .. } => (vec![Val::Tup(Rc::new(self.atoms(items, env)?))], vec![]),
            Expr::LTuple { items, .. } => {
                (vec![], vec![Val::Tup(Rc::new(self.atoms(items, env)?))])
            }
            Expr::Prim { prim, args, .. } => {
                if self.prims.get(*prim).is_none_or(|p| p.arity != args.len()) {
                    return Err("a primitive applied to another number of arguments".into());
                }
                let (xs, gs): (Vec<Id>, Vec<Row>) = args
                    .iter()
                    .map(|a| self.scalar(a, env))
                    .collect::<Res<Vec<_>>>()?
                    .into_iter()
                    .unzip();
                let y = self.dag.add(self.prims.name(*prim), xs.clone());
                if !self.grad {
                    return Ok((vec![Val::N(y, empty())], vec![]));
                }
                let no = || format!("`{}` has no derivative column", self.prims.name(*prim));
                let col = self
                    .columns
                    .get(prim.0 as usize)
                    .and_then(Option::as_ref)
                    .ok_or_else(no)?;
                let f = col.funcs.first().ok_or_else(no)?;
                let mut low = Lower {
                    dag: self.dag,
                    prims: self.prims,
                    columns: &[],
                    prog: col,
                    tag: "d",
                    grad: false,
                    scope: Vec::new(),
                    me: 0,
                };
                let partials = low.lower(f, &xs)?.nl;
                (vec![Val::N(y, self.chain(&partials, &gs))], vec![])
            }
            Expr::LAdd { lhs, rhs, .. } => {
                let (a, b) = (self.atom(lhs, env)?, self.atom(rhs, env)?);
                (vec![], vec![self.ladd(&a, &b)?])
            }
            Expr::Scale { scalar, lin, .. } => {
                let (c, _) = self.scalar(scalar, env)?;
                let v = self.atom(lin, env)?;
                (vec![], vec![self.scale(c, &v)?])
            }
            Expr::Zero { ty, .. } => (
                vec![],
                vec![
                    shape(ty, &mut std::iter::repeat_with(|| Val::L(empty())))
                        .ok_or("zero of no type")?,
                ],
            ),
            Expr::Dup { arg, .. } => match self.atom(arg, env)? {
                Val::N(..) => return Err("dup of a nonlinear value".into()),
                v => (vec![], vec![v.clone(), v]),
            },
            Expr::Drop { body, .. } => {
                self.block(body, env)?;
                (vec![], vec![])
            }
            Expr::Block(b) => self.block(b, env)?,
            Expr::Call { func, nl, lin, .. } => self.call(*func, nl, lin, env)?,
        })
    }

    fn call(
        &mut self,
        func: semantics::FuncId,
        nl: &[Atom],
        lin: &[Atom],
        env: &Env,
    ) -> Res<(Vec<Val>, Vec<Val>)> {
        let g = self.prog.func(func).filter(|_| func.0 < self.me);
        let g = g.ok_or("a call of a function not defined above")?;
        let (mut args, mut rows) = (Vec::new(), Vec::new());
        let (vn, vl) = (self.atoms(nl, env)?, self.atoms(lin, env)?);
        let tys = |ps: &[semantics::Param]| ps.iter().map(|p| p.ty.clone()).collect::<Vec<_>>();
        typed(&vn, &tys(&g.params), false)?;
        typed(&vl, &tys(&g.lparams), true)?;
        vn.iter().try_for_each(|v| leaves(v, false, &mut args))?;
        vl.iter().try_for_each(|v| leaves(v, true, &mut rows))?;
        let (xs, gs): (Vec<Id>, Vec<Row>) = args
            .into_iter()
            .filter_map(|v| {
                if let Val::N(t, g) = v {
                    Some((t, g))
                } else {
                    None
                }
            })
            .unzip();
        let rows: Vec<Row> = rows
            .into_iter()
            .filter_map(|v| if let Val::L(r) = v { Some(r) } else { None })
            .collect();
        let (tag, name) = (self.tag, g.name.as_str());
        let mut ks = Vec::new();
        for k in 0..size(&g.results) {
            let y = self.dag.add(&format!("{tag}:{name}#{k}"), xs.clone());
            let grad = if self.grad {
                let ps: Vec<Id> = (0..xs.len())
                    .map(|i| self.dag.add(&format!("{tag}:{name}#d{k}@{i}"), xs.clone()))
                    .collect();
                self.chain(&ps, &gs)
            } else {
                empty()
            };
            ks.push(Val::N(y, grad));
        }
        let mut out_rows = Vec::new();
        for k in 0..size(&g.lresults) {
            let cs: Vec<Id> = rows
                .iter()
                .enumerate()
                .map(|(i, _)| self.dag.add(&format!("{tag}:{name}#{k}@{i}"), xs.clone()))
                .collect();
            let nonempty: Vec<(Id, Row)> = cs
                .into_iter()
                .zip(rows.iter().cloned())
                .filter(|(_, r)| !r.is_empty())
                .collect();
            let (cs, rs): (Vec<Id>, Vec<Row>) = nonempty.into_iter().unzip();
            out_rows.push(Val::L(self.chain(&cs, &rs)));
        }
        let (mut it, mut lt) = (ks.into_iter(), out_rows.into_iter());
        let vn = g
            .results
            .iter()
            .map(|t| shape(t, &mut it).ok_or_else(|| "result shape".to_string()))
            .collect::<Res<_>>()?;
        let vl = g
            .lresults
            .iter()
            .map(|t| shape(t, &mut lt).ok_or_else(|| "result shape".to_string()))
            .collect::<Res<_>>()?;
        Ok((vn, vl))
    }

    /// `Σ_k factor_k · row_k`: the chain rule, and a call's linear results.
    fn chain(&mut self, factors: &[Id], rows: &[Row]) -> Row {
        let mut acc: BTreeMap<u32, Id> = BTreeMap::new();
        for (&c, row) in factors.iter().zip(rows) {
            self.dag.factors.insert(c);
            for &(j, x) in row.iter() {
                let t = self.dag.mul(c, x);
                let s = acc.get(&j).map_or(t, |&prev| self.dag.sum(prev, t));
                acc.insert(j, s);
            }
        }
        Rc::new(acc.into_iter().collect())
    }

    fn ladd(&mut self, a: &Val, b: &Val) -> Res<Val> {
        match (a, b) {
            (Val::L(x), Val::L(y)) => {
                let mut acc: BTreeMap<u32, Id> = x.iter().copied().collect();
                for &(j, d) in y.iter() {
                    let s = acc.get(&j).map_or(d, |&c| self.dag.sum(c, d));
                    acc.insert(j, s);
                }
                Ok(Val::L(Rc::new(acc.into_iter().collect())))
            }
            (Val::Tup(xs), Val::Tup(ys)) if xs.len() == ys.len() => Ok(Val::Tup(Rc::new(
                xs.iter()
                    .zip(ys.iter())
                    .map(|(x, y)| self.ladd(x, y))
                    .collect::<Res<_>>()?,
            ))),
            _ => Err("a linear add of values that are not linear of one type".into()),
        }
    }

    fn scale(&mut self, c: Id, v: &Val) -> Res<Val> {
        self.dag.factors.insert(c);
        match v {
            Val::L(r) => Ok(Val::L(Rc::new(
                r.iter().map(|&(i, x)| (i, self.dag.mul(c, x))).collect(),
            ))),
            Val::Tup(items) => Ok(Val::Tup(Rc::new(
                items.iter().map(|x| self.scale(c, x)).collect::<Res<_>>()?,
            ))),
            Val::N(..) => Err("a scale of a nonlinear value".into()),
        }
    }
}
