//! The kernel's one sweep over a function's bindings, in order (the prover's construction,
//! `rewrite::equiv::{lower, derivative, adjoint}`, written again so that the kernel trusts
//! neither). At each binding it at once:
//!
//! - **lowers** it: a nonlinear scalar is a term, a linear one a leaf with its **row** of
//!   coefficients over the linear inputs (scale multiplies, `+` adds, `dup` shares, `zero` is
//!   the empty row: the sweep is the linearity check); in `grad` mode a nonlinear scalar also
//!   carries its gradient row from the derivative column alone (the reference Jacobian);
//!   calls are modular symbols `tag:g#k`, `tag:g#k@i`, `tag:g#dk@i`;
//! - **types** it (strict mode, SPEC §2) against the slot types `semantics::local_types`
//!   synthesises (the language's definition): each atom on the side its construct needs (a
//!   binder's side is its spelling), a primitive's arity, a call's arguments against the
//!   callee's declared signature (the callee defined above), a linear add of one type, the
//!   declared results; every linear binder used once, every nonlinear one at least once;
//! - states its **adjoint equations** (for [`pairing`]): a binding consuming leaves `u` and
//!   producing `v = Σ L_vu·u` gives `A_u = Σ_v L_vu·A_v` (inside a `drop`, none: the leaves it
//!   reads from outside get `A_u = 0`).

use super::term::{Dag, Id};
use semantics::{Atom, Bind, Block, Expr, FnDef, FuncId, LocalId, PrimTable, Program, Type, deep};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

pub type Row = Rc<Vec<(u32, Id)>>;
/// Obligations `what: lhs = rhs`, with the terms the ring normal form reads as atoms.
pub type Pairs = Vec<(String, Id, Id, Vec<Id>)>;
pub type Res<T> = Result<T, String>;
/// `A_u = Σ coef · A_v` (`None`: the coefficient 1).
type Equation = (u32, Vec<(Option<Id>, u32)>);

/// A program with its slot types and the tag of its function symbols (`P`, `J`, `U`, `T`).
pub struct Prog {
    pub p: Program,
    pub types: Vec<Vec<Option<Type>>>,
    pub tag: &'static str,
}

impl Prog {
    pub fn new(p: Program, prims: &PrimTable, tag: &'static str) -> Res<Prog> {
        let types = semantics::local_types(&p, prims).map_err(|e| e.message)?;
        Ok(Prog { p, types, tag })
    }
    pub fn func(&self, name: &str) -> Option<&FnDef> {
        self.p.func(self.p.func_named(name)?)
    }
}

/// A nonlinear scalar (with its gradient row), a linear leaf with its row, or a tuple.
#[derive(Clone)]
pub enum Val {
    N(Id, Row),
    L(u32, Row),
    Tup(Rc<Vec<Val>>),
}

impl Drop for Val {
    /// Values nest as deep as alias chains are long: dropped on a stack that grows on demand.
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
    pub env: Rc<Vec<Option<Val>>>,
    pub outs: Vec<u32>,
    pub eqs: Rc<Vec<Equation>>,
    pub leaves: u32,
}

pub fn ok(cond: bool, why: &str) -> Res<()> {
    cond.then_some(()).ok_or_else(|| why.to_string())
}

/// The scalar leaves of `vs`, in order (nonlinear ones, or linear ones when `linear`).
fn leaves<'v>(vs: impl IntoIterator<Item = &'v Val>, linear: bool) -> Res<Vec<Val>> {
    let (mut out, mut stack) = (Vec::new(), vs.into_iter().collect::<Vec<_>>());
    stack.reverse();
    while let Some(v) = stack.pop() {
        match (v, linear) {
            (Val::Tup(items), _) => stack.extend(items.iter().rev()),
            (Val::N(..), false) | (Val::L(..), true) => out.push(v.clone()),
            _ => return Err("a linear value in a nonlinear position, or the reverse".into()),
        }
    }
    Ok(out)
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

pub fn size<'t>(tys: impl IntoIterator<Item = &'t Type>) -> usize {
    tys.into_iter().map(|t| t.size() as usize).sum()
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
    let name = rest[..open].trim();
    let src = format!(
        "def {name}.{kw}({}) -> ({results}) = {body}",
        ps.join(" ; ")
    );
    semantics::parse_with(&src, prims).ok()
}

/// Each primitive's derivative column `d p(a, b) = (e1, e2)` as a one-function program.
pub fn columns(prims: &PrimTable) -> Res<Vec<Option<Prog>>> {
    let mut out = Vec::new();
    for (id, row) in prims.rows() {
        let results = vec!["R"; row.arity].join(", ");
        let col = prims
            .derivative(id)
            .map(|t| row_program(t, "d", &results, prims));
        let name = format!("{}.d", row.name);
        let fits = |p: &Program| matches!(&p.funcs[..], [f] if f.params.len() == row.arity && f.name == name);
        out.push(match col {
            Some(Some(p)) if fits(&p) => Some(Prog::new(p, prims, "d")?),
            None => None,
            _ => {
                return Err(format!(
                    "the derivative column of `{}` does not parse",
                    row.name
                ));
            }
        });
    }
    Ok(out)
}

pub struct Lower<'a> {
    pub dag: &'a mut Dag,
    pub prims: &'a PrimTable,
    pub columns: &'a [Option<Prog>],
    pub prog: &'a Prog,
    pub grad: bool,
}

/// One sweep's state: values and uses per slot, the slot types, leaves, equations, and how
/// deep inside `drop` it is (no leaves or equations there).
struct Sweep<'t> {
    env: Vec<Option<Val>>,
    uses: Vec<u32>,
    tys: &'t [Option<Type>],
    f: &'t FnDef,
    leaves: u32,
    eqs: Vec<Equation>,
    dropped: u32,
    me: u32,
}

impl Sweep<'_> {
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
    /// Every atom is on the side `linear` says (a literal is nonlinear).
    fn sorts(&self, xs: &[Atom], linear: bool) -> Res<()> {
        let side = |a: &Atom| matches!(a, Atom::Var(v) if self.f.is_linear(v.id));
        ok(
            xs.iter().all(|a| side(a) == linear),
            "a linear value in a nonlinear position, or the reverse",
        )
    }
    fn ty(&self, a: &Atom) -> Res<Type> {
        match a {
            Atom::Lit(..) => Ok(Type::Real),
            Atom::Var(v) => self
                .tys
                .get(v.id.0 as usize)
                .cloned()
                .flatten()
                .ok_or_else(|| "an untyped variable".into()),
        }
    }
}

/// The values have the shapes of the declared types (aliases unfolded; a shared tuple met
/// again at one alias is checked once, so a shared value costs no more than the text).
fn fits(vs: &[Val], ts: &[Type]) -> Res<()> {
    let (mut seen, mut stack) = (HashSet::new(), vs.iter().zip(ts).collect::<Vec<_>>());
    while let Some((v, t)) = stack.pop() {
        if let (Val::Tup(items), Type::Named(a)) = (v, t)
            && !seen.insert((Rc::as_ptr(items), std::sync::Arc::as_ptr(a)))
        {
            continue;
        }
        match (v, t.components()) {
            (Val::Tup(items), Some(ts)) if items.len() == ts.len() => {
                stack.extend(items.iter().zip(ts))
            }
            (Val::N(..) | Val::L(..), None) => {}
            _ => return Err("values of other types than declared".into()),
        }
    }
    ok(vs.len() == ts.len(), "values of other types than declared")
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

type Vals = (Vec<Val>, Vec<Val>);

impl Lower<'_> {
    /// `f` with its nonlinear parameter leaves bound to `at` (and, in `grad` mode, unit
    /// gradients), its linear parameter leaves to unit rows.
    pub fn lower(&mut self, f: &FnDef, at: &[Id]) -> Res<Lowered> {
        let linear = !(f.lparams.is_empty() && f.lresults.is_empty());
        ok(
            !(self.grad && linear),
            "a function with linear parts has no reference Jacobian",
        )?;
        let (prog, grad) = (self.prog, self.grad);
        let me = prog.p.func_named(&f.name).map_or(0, |id| id.0);
        let tys = prog.types.get(me as usize).map_or(&[][..], |t| &t[..]);
        let (env, uses, eqs) = (
            vec![None; f.locals.len()],
            vec![0; f.locals.len()],
            Vec::new(),
        );
        let mut s = Sweep {
            env,
            uses,
            tys,
            f,
            leaves: 0,
            eqs,
            dropped: 0,
            me,
        };
        let one = self.dag.num(1.0);
        let unit = |k: usize| Rc::new(vec![(k as u32, one)]);
        let mut k = 0;
        for p in &f.params {
            let v = shape(&p.ty, &mut || {
                k += 1;
                Val::N(
                    *at.get(k - 1).unwrap_or(&one),
                    if grad { unit(k - 1) } else { empty() },
                )
            });
            ok(!f.is_linear(p.var), "a binder of the wrong sort")?;
            set(&mut s, p.var, v)?;
        }
        ok(k == at.len(), "another number of inputs")?;
        for p in &f.lparams {
            let v = shape(&p.ty, &mut || s.leaf(unit(s.leaves as usize)));
            ok(f.is_linear(p.var), "a binder of the wrong sort")?;
            set(&mut s, p.var, v)?;
        }
        let (vn, vl) = self.block(&f.body, &mut s)?;
        fits(&vn, &f.results).and(fits(&vl, &f.lresults))?;
        // Strict multiplicities (a derivative column may ignore a parameter).
        let unused = s
            .uses
            .iter()
            .enumerate()
            .position(|(x, &n)| n == 0 || (f.locals[x].linear && n != 1));
        if let Some(x) = unused.filter(|_| prog.tag != "d") {
            return Err(format!(
                "`{}` is not used as its sort requires",
                f.name_of(LocalId(x as u32))
            ));
        }
        let (ns, ls) = (leaves(&vn, false)?, leaves(&vl, true)?);
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

    fn block(&mut self, b: &Block, s: &mut Sweep) -> Res<Vals> {
        for bind in &b.binds {
            match bind {
                Bind::Let { nl, lin, rhs, .. } => {
                    let (vn, vl) = self.expr(rhs, s)?;
                    ok(
                        vn.len() == nl.len() && vl.len() == lin.len(),
                        "a `let` binds another number of values",
                    )?;
                    let sorted = nl.iter().all(|x| !s.f.is_linear(*x))
                        && lin.iter().all(|x| s.f.is_linear(*x));
                    ok(sorted, "a binder of the wrong sort")?;
                    for (x, v) in nl.iter().chain(lin).zip(vn.into_iter().chain(vl)) {
                        set(s, *x, v)?;
                    }
                }
                Bind::Unpack { binders, src, .. } => {
                    let Val::Tup(items) = &self.atom(&Atom::Var(*src), s)? else {
                        return Err("a destructure of a value that is not a tuple".into());
                    };
                    let items = items.clone();
                    let l = s.f.is_linear(src.id);
                    let sorted = binders.iter().all(|x| s.f.is_linear(*x) == l);
                    ok(
                        items.len() == binders.len() && sorted,
                        "a destructure of another size or sort",
                    )?;
                    for (x, v) in binders.iter().zip(items.iter()) {
                        set(s, *x, v.clone())?;
                    }
                }
            }
        }
        self.expr(&b.tail, s)
    }

    fn atom(&mut self, a: &Atom, s: &mut Sweep) -> Res<Val> {
        let v = match a {
            Atom::Lit(x, _) => return Ok(Val::N(self.dag.num(*x), empty())),
            Atom::Var(v) => v.id,
        };
        let n = s.uses.get_mut(v.0 as usize).ok_or("an unbound variable")?;
        *n = n.saturating_add(1);
        ok(
            !(s.f.is_linear(v) && *n > 1),
            "a linear variable used twice",
        )?;
        s.env[v.0 as usize]
            .clone()
            .ok_or_else(|| "an unbound variable".into())
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

    /// A value shaped as the linear `v`, leaf by leaf from `f`.
    fn map(
        &mut self,
        v: &Val,
        s: &mut Sweep,
        f: &mut dyn FnMut(&mut Self, &Val) -> Res<Row>,
    ) -> Res<Val> {
        match v {
            Val::Tup(items) => {
                let items = items
                    .iter()
                    .map(|x| deep(|| self.map(x, s, f)))
                    .collect::<Res<_>>()?;
                Ok(Val::Tup(Rc::new(items)))
            }
            Val::L(..) => Ok(s.leaf(f(self, v)?)),
            Val::N(..) => Err("a nonlinear value in a linear position".into()),
        }
    }

    fn expr(&mut self, e: &Expr, s: &mut Sweep) -> Res<Vals> {
        let linear = matches!(
            e,
            Expr::LAdd { .. }
                | Expr::Scale { .. }
                | Expr::Zero { .. }
                | Expr::Dup { .. }
                | Expr::LTuple { .. }
        ) || matches!(e, Expr::Ret { lin, .. } | Expr::Call { lin, .. } if !lin.is_empty());
        ok(
            !(self.grad && linear),
            "a linear construct in a nonlinear function",
        )?;
        let lone = |v| Ok((vec![], vec![v]));
        match e {
            Expr::Ret { nl, lin, .. } => {
                s.sorts(nl, false).and(s.sorts(lin, true))?;
                Ok((self.atoms(nl, s)?, self.atoms(lin, s)?))
            }
            Expr::Tuple { items, .. } => {
                s.sorts(items, false)?;
                Ok((vec![Val::Tup(Rc::new(self.atoms(items, s)?))], vec![]))
            }
            Expr::LTuple { items, .. } => {
                s.sorts(items, true)?;
                lone(Val::Tup(Rc::new(self.atoms(items, s)?)))
            }
            Expr::Prim { prim, args, .. } => {
                let arity = self.prims.get(*prim).map(|p| p.arity);
                ok(
                    arity == Some(args.len()),
                    "a primitive applied to another number of arguments",
                )?;
                s.sorts(args, false)?;
                let xs = args
                    .iter()
                    .map(|a| self.scalar(a, s))
                    .collect::<Res<Vec<_>>>()?;
                let (xs, gs): (Vec<Id>, Vec<Row>) = xs.into_iter().unzip();
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
                let f = col.p.funcs.first().ok_or_else(no)?;
                let mut low = Lower {
                    dag: &mut *self.dag,
                    prims: self.prims,
                    columns: &[],
                    prog: col,
                    grad: false,
                };
                let partials = low.lower(f, &xs)?.nl;
                Ok((vec![Val::N(y, self.chain(&partials, &gs))], vec![]))
            }
            Expr::LAdd { lhs, rhs, .. } => {
                s.sorts(&[*lhs, *rhs], true)?;
                ok(
                    s.ty(lhs)?.same(&s.ty(rhs)?),
                    "a linear add of values of two types",
                )?;
                let (a, b) = (self.atom(lhs, s)?, self.atom(rhs, s)?);
                let (la, lb) = (leaves([&a], true)?, leaves([&b], true)?);
                ok(la.len() == lb.len(), "a linear add of values of two shapes")?;
                let (one, mut i) = (self.dag.num(1.0), 0);
                let v = self.map(&a, s, &mut |me, _| {
                    i += 1;
                    Ok(me.chain(&[one, one], &[row_of(&la[i - 1]), row_of(&lb[i - 1])]))
                })?;
                for ((x, y), z) in la.iter().zip(&lb).zip(leaves([&v], true)?) {
                    s.eq(x, vec![(None, leaf_id(&z))]);
                    s.eq(y, vec![(None, leaf_id(&z))]);
                }
                lone(v)
            }
            Expr::Scale { scalar, lin, .. } => {
                s.sorts(&[*scalar], false).and(s.sorts(&[*lin], true))?;
                let (c, _) = self.scalar(scalar, s)?;
                let x = self.atom(lin, s)?;
                let v = self.map(&x, s, &mut |me, u| Ok(me.chain(&[c], &[row_of(u)])))?;
                for (u, z) in leaves([&x], true)?.iter().zip(leaves([&v], true)?) {
                    s.eq(u, vec![(Some(c), leaf_id(&z))]);
                }
                lone(v)
            }
            Expr::Zero { ty, .. } => lone(shape(ty, &mut || s.leaf(empty()))),
            Expr::Dup { arg, .. } => {
                s.sorts(&[*arg], true)?;
                let x = self.atom(arg, s)?;
                let a = self.map(&x, s, &mut |_, u| Ok(row_of(u)))?;
                let b = self.map(&x, s, &mut |_, u| Ok(row_of(u)))?;
                let (la, lb) = (leaves([&a], true)?, leaves([&b], true)?);
                for ((u, a), b) in leaves([&x], true)?.iter().zip(la).zip(lb) {
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
                        .flat_map(|v| leaves([v], true).unwrap_or_default())
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

    fn call(&mut self, func: FuncId, nl: &[Atom], lin: &[Atom], s: &mut Sweep) -> Res<Vals> {
        let prog = self.prog;
        let g = prog
            .p
            .func(func)
            .filter(|_| func.0 < s.me)
            .ok_or("a call of a function not defined above")?;
        s.sorts(nl, false).and(s.sorts(lin, true))?;
        let (vn, vl) = (self.atoms(nl, s)?, self.atoms(lin, s)?);
        let types = |ps: &[semantics::Param]| ps.iter().map(|p| p.ty.clone()).collect::<Vec<_>>();
        fits(&vn, &types(&g.params)).and(fits(&vl, &types(&g.lparams)))?;
        let args = leaves(&vn, false)?;
        let xs: Vec<Id> = args
            .iter()
            .map(|v| if let Val::N(t, _) = v { *t } else { 0 })
            .collect();
        let gs: Vec<Row> = args.iter().map(row_of).collect();
        let us = leaves(&vl, true)?;
        let (tag, name) = (prog.tag, g.name.as_str());
        let sym = |dag: &mut Dag, s: String| dag.add(&s, xs.clone());
        let mut ks = Vec::new();
        for k in 0..size(&g.results) {
            let (y, mut grad) = (sym(self.dag, format!("{tag}:{name}#{k}")), empty());
            if self.grad {
                let ps: Vec<Id> = (0..xs.len())
                    .map(|i| sym(self.dag, format!("{tag}:{name}#d{k}@{i}")))
                    .collect();
                grad = self.chain(&ps, &gs);
            }
            ks.push(Val::N(y, grad));
        }
        let cs: Vec<Vec<Id>> = (0..size(&g.lresults))
            .map(|k| {
                (0..us.len())
                    .map(|i| sym(self.dag, format!("{tag}:{name}#{k}@{i}")))
                    .collect()
            })
            .collect();
        let mut outs = Vec::new();
        for c in &cs {
            let (c, r): (Vec<Id>, Vec<Row>) = c
                .iter()
                .zip(&us)
                .map(|(&c, u)| (c, row_of(u)))
                .filter(|(_, r)| !r.is_empty())
                .unzip();
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
            .map(|t| shape(t, &mut || it.next().unwrap_or(Val::Tup(Rc::default()))));
        let vl = g
            .lresults
            .iter()
            .map(|t| shape(t, &mut || lt.next().unwrap_or(Val::Tup(Rc::default()))));
        Ok((vn.collect(), vl.collect()))
    }

    /// `Σ_k factor_k · row_k`: the chain rule, a scaling, a linear add, a call's linear results.
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

fn set(s: &mut Sweep, x: LocalId, v: Val) -> Res<()> {
    match s.env.get_mut(x.0 as usize) {
        Some(slot @ None) => {
            *slot = Some(v);
            Ok(())
        }
        _ => Err("a binder bound twice, or without a slot".into()),
    }
}

/// The transpose claim **binding by binding** (the adjoint pairing). Every linear leaf `v` of
/// `g` gets a row `A_v` over `g`'s output cotangents: an input leaf `i` the row `T[i]` that
/// `g.T` returns, an output leaf `k` the unit row, any other the row of its cotangent in
/// `g.T` (`a'` ↦ `a_ct'`: a hint; any rows would do). With `N_v` the forward row of `v`,
/// `Φ = Σ_{v live} N_v[i]·A_v[k]` is `T[i][k]` before the body and `F[k][i]` after it, and
/// each equation `A_u = Σ L_vu·A_v` keeps it: one obligation per equation and cotangent, the
/// rows `A_v` atoms. Together they prove `T = Fᵀ`.
pub fn pairing(
    dag: &mut Dag,
    g: &FnDef,
    low: &Lowered,
    gt: &FnDef,
    gt_low: &Lowered,
) -> Res<Pairs> {
    let n_in = size(g.lparams.iter().map(|p| &p.ty));
    ok(
        gt_low.lin.len() == n_in,
        "the transpose returns another number of cotangents",
    )?;
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
        rs.iter()
            .flat_map(|r| r.iter().map(|&(k, _)| k))
            .collect::<BTreeSet<u32>>()
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
