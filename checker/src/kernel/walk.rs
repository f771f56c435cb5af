//! The kernel's one sweep over a function's bindings, in order (the prover's construction,
//! `rewrite::equiv::{lower, derivative, adjoint}`, written again so that the kernel trusts
//! neither). At each binding it at once:
//!
//! - **lowers** it: a nonlinear scalar is a term, a linear one a leaf with its **row** of
//!   coefficients over the linear inputs (scale multiplies, `+` adds, `dup` shares, `zero` is
//!   the empty row: the sweep is the linearity check); in `grad` mode a nonlinear scalar also
//!   carries its gradient row from the derivative column alone (the reference Jacobian);
//!   calls are modular symbols `tag:g#k`, `tag:g#k@i`, `tag:g#dk@i`;
//! - **types** it (strict mode, SPEC §2; a value's shape and sort are its type): a
//!   primitive's arity and real arguments, a call's argument and result types against the
//!   callee's signature (the callee defined above), a destructure's size, a linear add of one
//!   type, the declared results; scope ends with its block; every linear binder is used once,
//!   every nonlinear one at least once;
//! - states its **adjoint equations** (for [`pairing`]): a binding consuming leaves `u` and
//!   producing `v = Σ L_vu·u` gives `A_u = Σ_v L_vu·A_v` (inside a `drop`, none: the leaves it
//!   reads from outside get `A_u = 0`).

use super::term::{Dag, Id};
use semantics::deep;
use semantics::{Atom, Bind, Block, Expr, FnDef, FuncId, LocalId, Param, PrimTable, Program, Type};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

pub type Row = Rc<Vec<(u32, Id)>>;
/// Obligations `what: lhs = rhs`, with the terms the ring normal form reads as atoms.
pub type Pairs = Vec<(String, Id, Id, Vec<Id>)>;
type Res<T> = Result<T, String>;
pub type Env = Vec<Option<Val>>;
/// `A_u = Σ coef · A_v` (`None`: the coefficient 1).
type Equation = (u32, Vec<(Option<Id>, u32)>);

/// A nonlinear scalar (with its gradient row), a linear leaf with its row, or a tuple.
#[derive(Clone)]
pub enum Val {
    N(Id, Row),
    L(u32, Row),
    Tup(Rc<Vec<Val>>),
}

impl Drop for Val {
    /// Values nest as deep as alias chains and chained `let b = <a>` are long: the last
    /// reference to a tuple is dropped on a stack that grows on demand.
    fn drop(&mut self) {
        if let Val::Tup(items) = self {
            semantics::drop_nested(items);
        }
    }
}

#[derive(Clone, Default)]
pub struct Lowered {
    pub nl: Vec<Id>,
    pub grads: Vec<Row>,
    pub lin: Vec<Row>,
    /// Every binder's value, by slot; the result leaves; the adjoint equations.
    pub env: Rc<Env>,
    pub outs: Vec<u32>,
    pub eqs: Rc<Vec<Equation>>,
    pub leaves: u32,
}

/// The scalar leaves of `v`, in order (nonlinear ones, or linear ones when `linear`).
fn leaves(v: &Val, linear: bool) -> Res<Vec<Val>> {
    let (mut out, mut stack) = (Vec::new(), vec![v]);
    while let Some(v) = stack.pop() {
        match (v, linear) {
            (Val::Tup(items), _) => stack.extend(items.iter().rev()),
            (Val::N(..), false) | (Val::L(..), true) => out.push(v.clone()),
            _ => return Err("a linear value in a nonlinear position, or the reverse".into()),
        }
    }
    Ok(out)
}

fn all_leaves(vs: &[Val], linear: bool) -> Res<Vec<Val>> {
    Ok(vs
        .iter()
        .map(|v| leaves(v, linear))
        .collect::<Res<Vec<_>>>()?
        .concat())
}

fn shape(ty: &Type, it: &mut dyn FnMut() -> Val) -> Val {
    match ty.components() {
        None => it(),
        Some(ts) => Val::Tup(Rc::new(ts.iter().map(|t| deep(|| shape(t, it))).collect())),
    }
}

/// The input symbols of `f`'s nonlinear parameter leaves (`x`, `v.0`, `v.1`).
pub fn inputs(dag: &mut Dag, f: &FnDef) -> Vec<Id> {
    fn names(name: String, ty: &Type, out: &mut Vec<String>) {
        match ty.components() {
            None => out.push(name),
            Some(ts) => (ts.iter().enumerate())
                .for_each(|(i, t)| deep(|| names(format!("{name}.{i}"), t, out))),
        }
    }
    let mut out = Vec::new();
    (f.params.iter()).for_each(|p| names(f.name_of(p.var).into(), &p.ty, &mut out));
    out.iter().map(|n| dag.add(n, Vec::new())).collect()
}

pub fn size(tys: &[Type]) -> usize {
    tys.iter().map(|t| t.size() as usize).sum()
}

pub fn coefficient(row: &Row, i: u32) -> Option<Id> {
    let k = row.binary_search_by_key(&i, |&(j, _)| j).ok()?;
    Some(row[k].1)
}

/// A table text `kw name(a, b) = body` as `def name.kw(a: R, b: R) -> (results) = body`.
pub fn row_program(text: &str, kw: &str, results: &str, prims: &PrimTable) -> Option<Program> {
    let rest = text.trim().strip_prefix(kw)?;
    let (open, close) = (rest.find('(')?, rest.find(')')?);
    let body = rest[close + 1..].trim_start().strip_prefix('=')?;
    let real = |ps: &str| {
        ps.split(',')
            .map(|p| format!("{}: R", p.trim()))
            .collect::<Vec<_>>()
    };
    let ps: Vec<String> = rest[open + 1..close]
        .split(';')
        .map(|ps| real(ps).join(", "))
        .collect();
    let src = format!(
        "def {}.{kw}({}) -> ({results}) = {body}",
        rest[..open].trim(),
        ps.join(" ; ")
    );
    semantics::parse_with(&src, prims).ok()
}

/// Each primitive's derivative column `d p(a, b) = (e1, e2)` as a program.
pub fn columns(prims: &PrimTable) -> Res<Vec<Option<Program>>> {
    let mut out = Vec::new();
    for (id, row) in prims.rows() {
        let results = vec!["R"; row.arity].join(", ");
        let col = prims
            .derivative(id)
            .map(|t| row_program(t, "d", &results, prims));
        let ok = |p: &Program| p.funcs.len() == 1 && p.funcs[0].params.len() == row.arity;
        match col {
            Some(Some(p)) if ok(&p) && p.funcs[0].name == format!("{}.d", row.name) => {
                out.push(Some(p))
            }
            None => out.push(None),
            _ => {
                return Err(format!(
                    "the derivative column of `{}` does not parse",
                    row.name
                ));
            }
        }
    }
    Ok(out)
}

/// A value's type as the certificate spells it (`R`, `<R, <R>>`), if every leaf has the sort
/// `linear` says.
pub fn spell(v: &Val, linear: bool) -> Option<String> {
    spell_within(v, linear, usize::MAX)
}

/// [`spell`], giving up (`None`) past `max` bytes: a shared tuple spelled out can be
/// exponentially longer than the program (`let t = <s, s>`), and a certificate's type can only
/// equal a spelling as long as itself. An explicit stack: no recursion on nesting.
pub fn spell_within(v: &Val, linear: bool, max: usize) -> Option<String> {
    enum Item<'a> {
        V(&'a Val),
        S(&'static str),
    }
    let (mut out, mut stack) = (String::new(), vec![Item::V(v)]);
    while let Some(item) = stack.pop() {
        match item {
            Item::S(t) => out.push_str(t),
            Item::V(Val::N(..)) if !linear => out.push('R'),
            Item::V(Val::L(..)) if linear => out.push('R'),
            Item::V(Val::Tup(vs)) => {
                out.push('<');
                stack.push(Item::S(">"));
                for (i, v) in vs.iter().enumerate().rev() {
                    stack.push(Item::V(v));
                    if i > 0 {
                        stack.push(Item::S(", "));
                    }
                }
            }
            Item::V(_) => return None,
        }
        if out.len() > max {
            return None;
        }
    }
    Some(out)
}

/// Every leaf of `v` has the sort `linear` says. `done` holds the tuples already found
/// sorted (kept alive, so no address is reused), so that each is visited once per sweep.
fn sorted(v: &Val, linear: bool, done: &mut HashMap<usize, (Rc<Vec<Val>>, bool)>) -> bool {
    let (mut seen, mut stack) = (Vec::new(), vec![v]);
    while let Some(v) = stack.pop() {
        match v {
            Val::N(..) if linear => return false,
            Val::L(..) if !linear => return false,
            Val::Tup(vs) => match done.get(&(Rc::as_ptr(vs) as usize)) {
                Some(&(_, l)) if l != linear => return false,
                Some(_) => {}
                None => {
                    seen.push(vs.clone());
                    stack.extend(vs.iter());
                }
            },
            _ => {}
        }
    }
    for vs in seen {
        done.insert(Rc::as_ptr(&vs) as usize, (vs, linear));
    }
    true
}

/// A type, spelled structurally (aliases unfolded).
pub fn spell_type(t: &Type) -> String {
    match t.components() {
        None => "R".into(),
        Some(ts) => format!(
            "<{}>",
            ts.iter()
                .map(|t| deep(|| spell_type(t)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `vs` have the types `ts` (of parameters or results), on the side `linear` says.
fn typed<'t>(vs: &[Val], ts: impl ExactSizeIterator<Item = &'t Type>, linear: bool) -> Res<()> {
    let ok = vs.len() == ts.len()
        && vs
            .iter()
            .zip(ts)
            .all(|(v, t)| spell(v, linear) == Some(spell_type(t)));
    ok.then_some(())
        .ok_or_else(|| "values of other types than declared".into())
}

fn types(ps: &[Param]) -> impl ExactSizeIterator<Item = &Type> {
    ps.iter().map(|p| &p.ty)
}

pub struct Lower<'a> {
    pub dag: &'a mut Dag,
    pub prims: &'a PrimTable,
    pub columns: &'a [Option<Program>],
    pub prog: &'a Program,
    pub tag: &'a str,
    pub grad: bool,
}

/// One sweep's state: values, per slot (linear, uses, out of scope), leaves, equations, and
/// how deep inside `drop` it is (no leaves or equations there).
struct Sweep {
    env: Env,
    scope: Vec<(bool, u32, bool)>,
    leaves: u32,
    eqs: Vec<Equation>,
    dropped: u32,
    me: u32,
    sorted: HashMap<usize, (Rc<Vec<Val>>, bool)>,
}

impl Sweep {
    fn leaf(&mut self, row: Row) -> Val {
        self.leaves += u32::from(self.dropped == 0);
        Val::L(
            if self.dropped == 0 {
                self.leaves - 1
            } else {
                u32::MAX
            },
            row,
        )
    }
    fn eq(&mut self, u: &Val, terms: Vec<(Option<Id>, u32)>) {
        if let (Val::L(u, _), 0) = (u, self.dropped) {
            self.eqs.push((*u, terms));
        }
    }
}

fn empty() -> Row {
    Rc::new(Vec::new())
}

fn leaf_id(v: &Val) -> u32 {
    if let Val::L(l, _) = v { *l } else { u32::MAX }
}

fn row_of(v: &Val) -> Row {
    match v {
        Val::N(_, r) | Val::L(_, r) => r.clone(),
        Val::Tup(_) => empty(),
    }
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
        let scope = f.locals.iter().map(|l| (l.linear, 0, false)).collect();
        let me = self.prog.func_named(&f.name).map_or(0, |id| id.0);
        let (env, eqs) = (vec![None; f.locals.len()], Vec::new());
        let mut s = Sweep {
            env,
            scope,
            leaves: 0,
            eqs,
            dropped: 0,
            me,
            sorted: HashMap::new(),
        };
        let one = self.dag.num(1.0);
        let unit = |k: usize| Rc::new(vec![(k as u32, one)]);
        let (grad, mut k) = (self.grad, 0);
        for p in &f.params {
            let v = shape(&p.ty, &mut || {
                k += 1;
                Val::N(
                    *at.get(k - 1).unwrap_or(&one),
                    if grad { unit(k - 1) } else { empty() },
                )
            });
            self.set(&mut s, p.var, v)?;
        }
        if k != at.len() {
            return Err("another number of inputs".into());
        }
        for p in &f.lparams {
            let v = shape(&p.ty, &mut || s.leaf(unit(s.leaves as usize)));
            self.set(&mut s, p.var, v)?;
        }
        let (vn, vl) = self.block(&f.body, &mut s)?;
        typed(&vn, f.results.iter(), false)?;
        typed(&vl, f.lresults.iter(), true)?;
        // Strict multiplicities (a derivative column may ignore a parameter).
        let unused = s
            .scope
            .iter()
            .position(|&(l, n, _)| n == 0 || (l && n != 1));
        if let Some(x) = unused.filter(|_| self.tag != "d") {
            return Err(format!(
                "`{}` is not used as its sort requires",
                f.name_of(LocalId(x as u32))
            ));
        }
        let (ns, ls) = (all_leaves(&vn, false)?, all_leaves(&vl, true)?);
        Ok(Lowered {
            nl: ns
                .iter()
                .map(|v| if let Val::N(t, _) = v { *t } else { one })
                .collect(),
            grads: ns.iter().map(row_of).collect(),
            lin: ls.iter().map(row_of).collect(),
            outs: ls.iter().map(leaf_id).collect(),
            env: Rc::new(s.env),
            eqs: Rc::new(s.eqs),
            leaves: s.leaves,
        })
    }

    fn set(&self, s: &mut Sweep, x: LocalId, v: Val) -> Res<()> {
        let linear = s.scope.get(x.0 as usize).is_some_and(|s| s.0);
        if !sorted(&v, linear, &mut s.sorted) {
            return Err("a binder of the wrong sort".into());
        }
        match s.env.get_mut(x.0 as usize) {
            Some(slot @ None) => {
                *slot = Some(v);
                Ok(())
            }
            _ => Err("a binder bound twice, or without a slot".into()),
        }
    }

    fn block(&mut self, b: &Block, s: &mut Sweep) -> Res<(Vec<Val>, Vec<Val>)> {
        for bind in &b.binds {
            let (xs, vs): (Vec<LocalId>, Vec<Val>) = match bind {
                Bind::Let { nl, lin, rhs, .. } => {
                    let (vn, vl) = self.expr(rhs, s)?;
                    if vn.len() != nl.len() || vl.len() != lin.len() {
                        return Err("a `let` binds a different number of values".into());
                    }
                    (
                        nl.iter().chain(lin).copied().collect(),
                        vn.into_iter().chain(vl).collect(),
                    )
                }
                Bind::Unpack { binders, src, .. } => match &self.atom(&Atom::Var(*src), s)? {
                    Val::Tup(items) if items.len() == binders.len() => {
                        (binders.clone(), items.to_vec())
                    }
                    _ => {
                        return Err(
                            "a destructure of a value that is not a tuple of its size".into()
                        );
                    }
                },
            };
            xs.iter()
                .zip(vs)
                .try_for_each(|(x, v)| self.set(s, *x, v))?;
        }
        let out = self.expr(&b.tail, s)?;
        for bind in &b.binds {
            let xs = match bind {
                Bind::Let { nl, lin, .. } => [&nl[..], &lin[..]].concat(),
                Bind::Unpack { binders, .. } => binders.clone(),
            };
            xs.iter().for_each(|x| s.scope[x.0 as usize].2 = true);
        }
        Ok(out)
    }

    fn atom(&mut self, a: &Atom, s: &mut Sweep) -> Res<Val> {
        let v = match a {
            Atom::Lit(x, _) => return Ok(Val::N(self.dag.num(*x), empty())),
            Atom::Var(v) => v.id.0 as usize,
        };
        let slot = s
            .scope
            .get_mut(v)
            .filter(|s| !s.2)
            .ok_or("a variable out of scope")?;
        slot.1 = slot.1.saturating_add(1);
        if slot.0 && slot.1 > 1 {
            return Err("a linear variable used twice".into());
        }
        s.env[v].clone().ok_or_else(|| "an unbound variable".into())
    }

    fn atoms(&mut self, xs: &[Atom], s: &mut Sweep) -> Res<Vec<Val>> {
        xs.iter().map(|a| self.atom(a, s)).collect()
    }

    fn scalar(&mut self, a: &Atom, s: &mut Sweep) -> Res<(Id, Row)> {
        match &self.atom(a, s)? {
            Val::N(id, g) => Ok((*id, g.clone())),
            _ => Err("a linear value or a tuple where a real is expected".into()),
        }
    }

    /// A value shaped as the linear `v`, leaf by leaf from `f`, with `eq` per old and new leaf.
    fn map(
        &mut self,
        v: &Val,
        s: &mut Sweep,
        f: &mut dyn FnMut(&mut Self, &Val) -> Res<Row>,
    ) -> Res<Val> {
        match v {
            Val::Tup(items) => Ok(Val::Tup(Rc::new(
                items
                    .iter()
                    .map(|x| deep(|| self.map(x, s, f)))
                    .collect::<Res<_>>()?,
            ))),
            Val::L(..) => Ok(s.leaf(f(self, v)?)),
            Val::N(..) => Err("a nonlinear value in a linear position".into()),
        }
    }

    fn expr(&mut self, e: &Expr, s: &mut Sweep) -> Res<(Vec<Val>, Vec<Val>)> {
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
        let lone = |v| Ok((vec![], vec![v]));
        match e {
            Expr::Ret { nl, lin, .. } => Ok((self.atoms(nl, s)?, self.atoms(lin, s)?)),
            Expr::Tuple { items, .. } => {
                Ok((vec![Val::Tup(Rc::new(self.atoms(items, s)?))], vec![]))
            }
            Expr::LTuple { items, .. } => lone(Val::Tup(Rc::new(self.atoms(items, s)?))),
            Expr::Prim { prim, args, .. } => {
                if self.prims.get(*prim).is_none_or(|p| p.arity != args.len()) {
                    return Err("a primitive applied to another number of arguments".into());
                }
                let (xs, gs): (Vec<Id>, Vec<Row>) = args
                    .iter()
                    .map(|a| self.scalar(a, s))
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
                let (dag, prims, f) = (
                    &mut *self.dag,
                    self.prims,
                    col.funcs.first().ok_or_else(no)?,
                );
                let mut low = Lower {
                    dag,
                    prims,
                    columns: &[],
                    prog: col,
                    tag: "d",
                    grad: false,
                };
                let partials = low.lower(f, &xs)?.nl;
                Ok((vec![Val::N(y, self.chain(&partials, &gs))], vec![]))
            }
            Expr::LAdd { lhs, rhs, .. } => {
                let (a, b) = (self.atom(lhs, s)?, self.atom(rhs, s)?);
                let (la, lb) = (leaves(&a, true)?, leaves(&b, true)?);
                let (mut i, mut pairs) = (0, Vec::new());
                let v = self.map(&a, s, &mut |me, _| {
                    let (x, y) = (
                        row_of(&la[i]),
                        row_of(lb.get(i).ok_or("a linear add of values of two shapes")?),
                    );
                    pairs.push((la[i].clone(), lb[i].clone()));
                    i += 1;
                    let mut acc: BTreeMap<u32, Id> = x.iter().copied().collect();
                    for &(j, d) in y.iter() {
                        let t = acc.get(&j).map_or(d, |&c| me.dag.sum(c, d));
                        acc.insert(j, t);
                    }
                    Ok(Rc::new(acc.into_iter().collect()))
                })?;
                if spell(&a, true) != spell(&b, true) {
                    return Err("a linear add of values of two shapes".into());
                }
                for ((x, y), z) in pairs.iter().zip(leaves(&v, true)?) {
                    s.eq(x, vec![(None, leaf_id(&z))]);
                    s.eq(y, vec![(None, leaf_id(&z))]);
                }
                lone(v)
            }
            Expr::Scale { scalar, lin, .. } => {
                let (c, _) = self.scalar(scalar, s)?;
                let x = self.atom(lin, s)?;
                self.dag.factors.insert(c);
                let v = self.map(&x, s, &mut |me, u| {
                    Ok(Rc::new(
                        row_of(u)
                            .iter()
                            .map(|&(i, t)| (i, me.dag.mul(c, t)))
                            .collect(),
                    ))
                })?;
                for (u, z) in leaves(&x, true)?.iter().zip(leaves(&v, true)?) {
                    s.eq(u, vec![(Some(c), leaf_id(&z))]);
                }
                lone(v)
            }
            Expr::Zero { ty, .. } => lone(shape(ty, &mut || s.leaf(empty()))),
            Expr::Dup { arg, .. } => {
                let x = self.atom(arg, s)?;
                let (a, b) = (
                    self.map(&x, s, &mut |_, u| Ok(row_of(u)))?,
                    self.map(&x, s, &mut |_, u| Ok(row_of(u)))?,
                );
                for ((u, a), b) in leaves(&x, true)?
                    .iter()
                    .zip(leaves(&a, true)?)
                    .zip(leaves(&b, true)?)
                {
                    s.eq(u, vec![(None, leaf_id(&a)), (None, leaf_id(&b))]);
                }
                Ok((vec![], vec![a, b]))
            }
            Expr::Drop { body, .. } => {
                // Discarded: the linear leaves it reads from outside have zero adjoints.
                let (mut reads, mut bound, mut seen) = (Vec::new(), Vec::new(), HashSet::new());
                semantics::expr_reads(e, &mut reads);
                semantics::expr_bound(e, &mut bound);
                for x in reads
                    .into_iter()
                    .filter(|x| !bound.contains(x) && seen.insert(*x))
                {
                    let v = s.env.get(x.0 as usize).cloned().flatten();
                    (v.iter())
                        .flat_map(|v| leaves(v, true).unwrap_or_default())
                        .for_each(|u| s.eq(&u, Vec::new()));
                }
                s.dropped += 1;
                self.block(body, s)?;
                s.dropped -= 1;
                Ok((vec![], vec![]))
            }
            Expr::Block(b) => self.block(b, s),
            Expr::Call { func, nl, lin, .. } => self.call(*func, nl, lin, s),
        }
    }

    fn call(
        &mut self,
        func: FuncId,
        nl: &[Atom],
        lin: &[Atom],
        s: &mut Sweep,
    ) -> Res<(Vec<Val>, Vec<Val>)> {
        let g = self
            .prog
            .func(func)
            .filter(|_| func.0 < s.me)
            .ok_or("a call of a function not defined above")?;
        let (vn, vl) = (self.atoms(nl, s)?, self.atoms(lin, s)?);
        typed(&vn, types(&g.params), false)?;
        typed(&vl, types(&g.lparams), true)?;
        let args = all_leaves(&vn, false)?;
        let (xs, gs): (Vec<Id>, Vec<Row>) = args
            .iter()
            .map(|v| (if let Val::N(t, _) = v { *t } else { 0 }, row_of(v)))
            .unzip();
        let us = all_leaves(&vl, true)?;
        let (tag, name) = (self.tag, g.name.as_str());
        let sym = |dag: &mut Dag, s: String| dag.add(&s, xs.clone());
        let mut ks = Vec::new();
        for k in 0..size(&g.results) {
            let (y, mut grad) = (sym(self.dag, format!("{tag}:{name}#{k}")), empty());
            if self.grad {
                let d = |i| format!("{tag}:{name}#d{k}@{i}");
                let ps: Vec<Id> = (0..xs.len()).map(|i| sym(self.dag, d(i))).collect();
                grad = self.chain(&ps, &gs);
            }
            ks.push(Val::N(y, grad));
        }
        let n_out = size(&g.lresults);
        let cs: Vec<Vec<Id>> = (0..n_out)
            .map(|k| {
                (0..us.len())
                    .map(|i| sym(self.dag, format!("{tag}:{name}#{k}@{i}")))
                    .collect()
            })
            .collect();
        let mut outs = Vec::new();
        for c in &cs {
            let nonempty: Vec<(Id, Row)> = c
                .iter()
                .zip(&us)
                .map(|(&c, u)| (c, row_of(u)))
                .filter(|(_, r)| !r.is_empty())
                .collect();
            let (c, r): (Vec<Id>, Vec<Row>) = nonempty.into_iter().unzip();
            let row = self.chain(&c, &r);
            outs.push(s.leaf(row));
        }
        for (j, u) in us.iter().enumerate() {
            s.eq(
                u,
                cs.iter()
                    .zip(&outs)
                    .map(|(c, v)| (Some(c[j]), leaf_id(v)))
                    .collect(),
            );
        }
        let (mut it, mut lt) = (ks.into_iter(), outs.into_iter());
        let vn = g
            .results
            .iter()
            .map(|t| shape(t, &mut || it.next().unwrap_or(Val::Tup(Rc::default()))))
            .collect();
        let vl = g
            .lresults
            .iter()
            .map(|t| shape(t, &mut || lt.next().unwrap_or(Val::Tup(Rc::default()))))
            .collect();
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
}

/// The transpose claim **binding by binding** (the adjoint pairing). Every linear leaf `v` of
/// `g` gets a row `A_v` over `g`'s output cotangents: an input leaf `i` the row `T[i]` that
/// `g.T` returns, an output leaf `k` the unit row, any other the row of its cotangent in
/// `g.T` (`a'` ↦ `a_ct'`: a hint; any rows would do). With `N_v` the forward row of `v`,
/// `Φ = Σ_{v live} N_v[i]·A_v[k]` is `T[i][k]` before the body and `F[k][i]` after it, and
/// each equation `A_u = Σ L_vu·A_v` keeps it: one obligation per equation and cotangent, the
/// rows `A_v` atoms. Together they prove `T = Fᵀ`. Returns `(what, lhs, rhs, atoms)`.
pub fn pairing(
    dag: &mut Dag,
    g: &FnDef,
    low: &Lowered,
    gt: &FnDef,
    gt_low: &Lowered,
) -> Res<Pairs> {
    let n_in = size(&types(&g.lparams).cloned().collect::<Vec<_>>());
    if gt_low.lin.len() != n_in {
        return Err("the transpose returns another number of cotangents".into());
    }
    // Each leaf's binders, in slot order (with the path into the binder's value).
    let mut names: HashMap<u32, Vec<(usize, Vec<usize>)>> = HashMap::new();
    for (x, v) in low.env.iter().enumerate() {
        let mut stack: Vec<(&Val, Vec<usize>)> = v.iter().map(|v| (v, Vec::new())).collect();
        while let Some((v, path)) = stack.pop() {
            match v {
                Val::L(l, _) => names.entry(*l).or_default().push((x, path)),
                Val::N(..) => {}
                Val::Tup(items) => stack.extend(
                    items
                        .iter()
                        .enumerate()
                        .rev()
                        .map(|(k, i)| (i, [&path[..], &[k]].concat())),
                ),
            }
        }
    }
    let by_name: HashMap<&str, usize> = gt
        .locals
        .iter()
        .enumerate()
        .map(|(k, l)| (l.name.as_str(), k))
        .collect();
    let hint = |l: u32| {
        names.get(&l)?.iter().find_map(|(x, path)| {
            let name = format!("{}_ct'", g.locals[*x].name.trim_end_matches('\''));
            let mut v = gt_low.env.get(*by_name.get(name.as_str())?)?.as_ref()?;
            for &p in path {
                v = if let Val::Tup(items) = v {
                    items.get(p)?
                } else {
                    return None;
                };
            }
            if let Val::L(_, r) = v {
                Some(r.clone())
            } else {
                None
            }
        })
    };
    let (one, zero) = (dag.num(1.0), dag.num(0.0));
    let unit = |k: usize| Rc::new(vec![(k as u32, one)]);
    let (mut rows, mut checks) = (Vec::new(), Vec::new());
    for l in 0..low.leaves {
        let out = low.outs.iter().position(|&o| o == l);
        rows.push(match ((l as usize) < n_in, out) {
            (true, out) => {
                // An input returned as it is: its cotangent must be the unit row.
                checks.extend(out.map(|k| (l as usize, unit(k))));
                gt_low.lin[l as usize].clone()
            }
            (false, Some(k)) => unit(k),
            (false, None) => hint(l)
                .ok_or_else(|| format!("linear leaf {l} has no cotangent in `{}`", gt.name))?,
        });
    }
    let ks = |rs: &[&Row]| {
        let ks: std::collections::BTreeSet<u32> =
            rs.iter().flat_map(|r| r.iter().map(|&(k, _)| k)).collect();
        ks.into_iter().collect::<Vec<u32>>()
    };
    let mut out = Vec::new();
    for (l, unit) in checks {
        for k in ks(&[&rows[l], &unit]) {
            let (a, b) = (coefficient(&rows[l], k), coefficient(&unit, k));
            out.push((
                format!("input leaf {l} at cotangent {k}"),
                a.unwrap_or(zero),
                b.unwrap_or(zero),
                Vec::new(),
            ));
        }
    }
    for (u, terms) in low.eqs.iter() {
        let au = rows
            .get(*u as usize)
            .ok_or("an equation of a leaf that does not exist")?;
        let all: Vec<&Row> = std::iter::once(au)
            .chain(terms.iter().filter_map(|(_, v)| rows.get(*v as usize)))
            .collect();
        for k in ks(&all) {
            let (mut atoms, mut rhs) = (Vec::new(), None);
            for &(c, v) in terms {
                let Some(a) = rows.get(v as usize).and_then(|r| coefficient(r, k)) else {
                    continue;
                };
                atoms.push(a);
                let t = c.map_or(a, |c| dag.mul(c, a));
                rhs = Some(rhs.map_or(t, |r| dag.sum(r, t)));
            }
            let what = format!("adjoint of leaf {u} at cotangent {k}");
            out.push((
                what,
                coefficient(au, k).unwrap_or(zero),
                rhs.unwrap_or(zero),
                atoms,
            ));
        }
    }
    Ok(out)
}
