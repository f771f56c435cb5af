//! The kernel's own lowering of a function to terms and **linear forms**, one sweep over its
//! bindings: a nonlinear scalar is a term, a linear scalar a row of coefficients over the
//! function's linear input leaves (scale multiplies, `+` adds, `dup` shares, `zero` is the
//! empty row). A row in a nonlinear position is an error, so the sweep is the linearity check.
//! Calls are modular: callee `g`'s results are the symbols `tag:g#k` and its coefficients
//! `tag:g#k@i`, applied to the call's nonlinear argument leaves. The construction is the
//! prover's (`rewrite::equiv::lower`), written again here so that the kernel trusts neither.

use super::term::{Dag, Id};
use semantics::{Atom, Bind, Block, Expr, FnDef, LocalId, PrimTable, Program, Type};
use std::collections::BTreeMap;
use std::rc::Rc;

pub type Row = Rc<Vec<(u32, Id)>>;

#[derive(Clone)]
pub enum Val {
    N(Id),
    L(Row),
    Tup(Rc<Vec<Val>>),
}

#[derive(Clone)]
pub struct Lowered {
    pub nl: Vec<Id>,
    pub lin: Vec<Row>,
}

/// The scalar leaves of a value, in order: nonlinear ones (`want_linear` false) or rows.
pub fn leaves(
    v: &Val,
    want_linear: bool,
    ns: &mut Vec<Id>,
    ls: &mut Vec<Row>,
) -> Result<(), String> {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match (v, want_linear) {
            (Val::N(id), false) => ns.push(*id),
            (Val::L(r), true) => ls.push(r.clone()),
            (Val::Tup(items), _) => stack.extend(items.iter().rev()),
            _ => return Err("a linear value in a nonlinear position, or the reverse".into()),
        }
    }
    Ok(())
}

pub fn shape<T>(
    ty: &Type,
    it: &mut impl Iterator<Item = T>,
    mk: &impl Fn(T) -> Val,
) -> Option<Val> {
    match ty.components() {
        None => it.next().map(mk),
        Some(ts) => {
            let items = ts
                .iter()
                .map(|t| shape(t, it, mk))
                .collect::<Option<Vec<_>>>()?;
            Some(Val::Tup(Rc::new(items)))
        }
    }
}

fn leaf_names(name: &str, ty: &Type, out: &mut Vec<String>) {
    match ty.components() {
        None => out.push(name.to_string()),
        Some(ts) => {
            for (i, t) in ts.iter().enumerate() {
                leaf_names(&format!("{name}.{i}"), t, out);
            }
        }
    }
}

/// The input symbols of `f`'s nonlinear parameter leaves (`x`, `v.0`, `v.1`).
pub fn inputs(dag: &mut Dag, f: &FnDef) -> Vec<Id> {
    let mut names = Vec::new();
    for p in &f.params {
        leaf_names(f.name_of(p.var), &p.ty, &mut names);
    }
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

pub struct Lower<'a> {
    pub dag: &'a mut Dag,
    pub prims: &'a PrimTable,
    pub prog: &'a Program,
    pub tag: &'a str,
}

type Env = Vec<Option<Val>>;

fn set(env: &mut Env, x: LocalId, v: Val) -> Result<(), String> {
    *env.get_mut(x.0 as usize).ok_or("a binder with no slot")? = Some(v);
    Ok(())
}

impl Lower<'_> {
    /// `f` with its nonlinear parameter leaves bound to `at`, its linear ones to unit rows.
    pub fn lower(&mut self, f: &FnDef, at: &[Id]) -> Result<Lowered, String> {
        let mut env: Env = vec![None; f.locals.len()];
        let mut it = at.iter().copied();
        for p in &f.params {
            set(
                &mut env,
                p.var,
                shape(&p.ty, &mut it, &Val::N).ok_or("too few inputs")?,
            )?;
        }
        let one = self.dag.num(1.0);
        let mut units = (0u32..).map(|k| Rc::new(vec![(k, one)]));
        for p in &f.lparams {
            set(
                &mut env,
                p.var,
                shape(&p.ty, &mut units, &Val::L).ok_or("no input")?,
            )?;
        }
        let (vn, vl) = self.block(&f.body, &mut env)?;
        let mut out = Lowered {
            nl: Vec::new(),
            lin: Vec::new(),
        };
        let mut none = Vec::new();
        for v in &vn {
            leaves(v, false, &mut out.nl, &mut none)?;
        }
        for v in &vl {
            leaves(v, true, &mut Vec::new(), &mut out.lin)?;
        }
        Ok(out)
    }

    fn block(&mut self, b: &Block, env: &mut Env) -> Result<(Vec<Val>, Vec<Val>), String> {
        for bind in &b.binds {
            match bind {
                Bind::Let { nl, lin, rhs, .. } => {
                    let (vn, vl) = self.expr(rhs, env)?;
                    if vn.len() != nl.len() || vl.len() != lin.len() {
                        return Err("a `let` binds a different number of values".into());
                    }
                    for (x, v) in nl.iter().zip(vn).chain(lin.iter().zip(vl)) {
                        set(env, *x, v)?;
                    }
                }
                Bind::Unpack { binders, src, .. } => {
                    let Some(Some(Val::Tup(items))) = env.get(src.id.0 as usize).cloned() else {
                        return Err("a destructure of a value that is not a tuple".into());
                    };
                    if items.len() != binders.len() {
                        return Err("a destructure of a tuple of another size".into());
                    }
                    for (x, v) in binders.iter().zip(items.iter()) {
                        set(env, *x, v.clone())?;
                    }
                }
            }
        }
        self.expr(&b.tail, env)
    }

    fn atom(&mut self, a: &Atom, env: &Env) -> Result<Val, String> {
        match a {
            Atom::Var(v) => env
                .get(v.id.0 as usize)
                .cloned()
                .flatten()
                .ok_or_else(|| "an unbound variable".into()),
            Atom::Lit(x, _) => Ok(Val::N(self.dag.num(*x))),
        }
    }

    fn scalar(&mut self, a: &Atom, env: &Env) -> Result<Id, String> {
        match self.atom(a, env)? {
            Val::N(id) => Ok(id),
            _ => Err("a linear value or a tuple where a real is expected".into()),
        }
    }

    fn atoms(&mut self, xs: &[Atom], env: &Env) -> Result<Vec<Val>, String> {
        xs.iter().map(|a| self.atom(a, env)).collect()
    }

    fn expr(&mut self, e: &Expr, env: &mut Env) -> Result<(Vec<Val>, Vec<Val>), String> {
        Ok(match e {
            Expr::Ret { nl, lin, .. } => (self.atoms(nl, env)?, self.atoms(lin, env)?),
            Expr::Tuple { items, .. } => (vec![Val::Tup(Rc::new(self.atoms(items, env)?))], vec![]),
            Expr::LTuple { items, .. } => {
                (vec![], vec![Val::Tup(Rc::new(self.atoms(items, env)?))])
            }
            Expr::Prim { prim, args, .. } => {
                let xs = args
                    .iter()
                    .map(|a| self.scalar(a, env))
                    .collect::<Result<_, _>>()?;
                (
                    vec![Val::N(self.dag.add(self.prims.name(*prim), xs))],
                    vec![],
                )
            }
            Expr::LAdd { lhs, rhs, .. } => {
                let (a, b) = (self.atom(lhs, env)?, self.atom(rhs, env)?);
                (vec![], vec![self.ladd(&a, &b)?])
            }
            Expr::Scale { scalar, lin, .. } => {
                let c = self.scalar(scalar, env)?;
                let v = self.atom(lin, env)?;
                (vec![], vec![self.scale(c, &v)?])
            }
            Expr::Zero { ty, .. } => {
                let mut empty = std::iter::repeat_with(|| Rc::new(Vec::new()));
                (
                    vec![],
                    vec![shape(ty, &mut empty, &Val::L).ok_or("zero of no type")?],
                )
            }
            Expr::Dup { arg, .. } => match self.atom(arg, env)? {
                Val::N(_) => return Err("dup of a nonlinear value".into()),
                v => (vec![], vec![v.clone(), v]),
            },
            Expr::Drop { .. } => (vec![], vec![]),
            Expr::Block(b) => self.block(b, env)?,
            Expr::Call { func, nl, lin, .. } => {
                let g = self
                    .prog
                    .func(*func)
                    .ok_or("a call of a function that does not exist")?;
                let (mut args, mut rows) = (Vec::new(), Vec::new());
                for a in nl {
                    leaves(&self.atom(a, env)?, false, &mut args, &mut rows)?;
                }
                for a in lin {
                    leaves(&self.atom(a, env)?, true, &mut args, &mut rows)?;
                }
                let ks: Vec<Id> = (0..size(&g.results))
                    .map(|k| {
                        self.dag
                            .add(&format!("{}:{}#{k}", self.tag, g.name), args.clone())
                    })
                    .collect();
                let mut it = ks.into_iter();
                let vn = g
                    .results
                    .iter()
                    .map(|t| shape(t, &mut it, &Val::N).ok_or("result shape"))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut out_rows = Vec::new();
                for k in 0..size(&g.lresults) {
                    let mut acc: BTreeMap<u32, Id> = BTreeMap::new();
                    for (i, row) in rows.iter().enumerate().filter(|(_, r)| !r.is_empty()) {
                        let c = self
                            .dag
                            .add(&format!("{}:{}#{k}@{i}", self.tag, g.name), args.clone());
                        self.dag.factors.insert(c);
                        for &(j, x) in row.iter() {
                            let t = self.dag.mul(c, x);
                            let s = match acc.get(&j) {
                                Some(&prev) => self.dag.sum(prev, t),
                                None => t,
                            };
                            acc.insert(j, s);
                        }
                    }
                    out_rows.push(Rc::new(acc.into_iter().collect::<Vec<_>>()));
                }
                let mut it = out_rows.into_iter();
                let vl = g
                    .lresults
                    .iter()
                    .map(|t| shape(t, &mut it, &Val::L).ok_or("result shape"))
                    .collect::<Result<Vec<_>, _>>()?;
                (vn, vl)
            }
        })
    }

    fn ladd(&mut self, a: &Val, b: &Val) -> Result<Val, String> {
        match (a, b) {
            (Val::L(x), Val::L(y)) => Ok(Val::L(self.add_rows(x, y))),
            (Val::Tup(xs), Val::Tup(ys)) if xs.len() == ys.len() => Ok(Val::Tup(Rc::new(
                xs.iter()
                    .zip(ys.iter())
                    .map(|(x, y)| self.ladd(x, y))
                    .collect::<Result<_, _>>()?,
            ))),
            _ => Err("a linear add of values that are not linear of one type".into()),
        }
    }

    /// Merges two rows by input index; a shared index adds its coefficients.
    fn add_rows(&mut self, x: &Row, y: &Row) -> Row {
        let mut acc: BTreeMap<u32, Id> = x.iter().copied().collect();
        for &(j, d) in y.iter() {
            let s = match acc.get(&j) {
                Some(&c) => self.dag.sum(c, d),
                None => d,
            };
            acc.insert(j, s);
        }
        Rc::new(acc.into_iter().collect())
    }

    fn scale(&mut self, c: Id, v: &Val) -> Result<Val, String> {
        self.dag.factors.insert(c);
        match v {
            Val::L(r) => Ok(Val::L(Rc::new(
                r.iter().map(|&(i, x)| (i, self.dag.mul(c, x))).collect(),
            ))),
            Val::Tup(items) => Ok(Val::Tup(Rc::new(
                items
                    .iter()
                    .map(|x| self.scale(c, x))
                    .collect::<Result<_, _>>()?,
            ))),
            Val::N(_) => Err("a scale of a nonlinear value".into()),
        }
    }
}
