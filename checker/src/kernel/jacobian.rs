//! Reference Jacobians from the primitive table's **derivative column** alone: one forward
//! sweep gives every nonlinear scalar its term and its gradient row over the input leaves
//! (`J(p(a..)) = Σ_k ∂_k p(a..) · J(a_k)`); a call of `g` contributes the symbols
//! `tag:g#dk@i`. As the prover's (`rewrite::equiv::derivative`), written again here.

use super::forms::{Lower, Row, inputs, size};
use super::term::{Dag, Id};
use semantics::{Atom, Bind, Block, Expr, FnDef, PrimTable, Program, Type};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Each primitive's column `d p(a, b) = (e1, e2)` as the program `def p.d(a: R, b: R) -> (R, R)`.
pub fn columns(prims: &PrimTable) -> Result<Vec<Option<Program>>, String> {
    let mut out = Vec::new();
    for (id, row) in prims.rows() {
        let Some(text) = prims.derivative(id) else {
            out.push(None);
            continue;
        };
        let bad = || format!("the derivative column of `{}` does not parse", row.name);
        let rest = text.trim().strip_prefix('d').ok_or_else(bad)?.trim_start();
        let (open, close) = (
            rest.find('(').ok_or_else(bad)?,
            rest.find(')').ok_or_else(bad)?,
        );
        let body = rest[close + 1..]
            .trim_start()
            .strip_prefix('=')
            .ok_or_else(bad)?;
        let params: Vec<String> = rest[open + 1..close]
            .split(',')
            .map(|p| format!("{}: R", p.trim()))
            .collect();
        if rest[..open].trim() != row.name || params.len() != row.arity {
            return Err(bad());
        }
        let results = vec!["R"; row.arity].join(", ");
        let src = format!(
            "def {}.d({}) -> ({results}) = {body}",
            row.name,
            params.join(", ")
        );
        out.push(Some(semantics::parse_with(&src, prims).map_err(|_| bad())?));
    }
    Ok(out)
}

#[derive(Clone)]
enum D {
    Leaf(Id, Row),
    Tup(Rc<Vec<D>>),
}

fn flat(v: &D, out: &mut Vec<(Id, Row)>) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            D::Leaf(t, r) => out.push((*t, r.clone())),
            D::Tup(items) => stack.extend(items.iter().rev()),
        }
    }
}

fn shape(ty: &Type, it: &mut impl Iterator<Item = (Id, Row)>) -> Option<D> {
    match ty.components() {
        None => it.next().map(|(t, r)| D::Leaf(t, r)),
        Some(ts) => Some(D::Tup(Rc::new(
            ts.iter().map(|t| shape(t, it)).collect::<Option<_>>()?,
        ))),
    }
}

pub struct Jacobian<'a> {
    pub dag: &'a mut Dag,
    pub prims: &'a PrimTable,
    pub columns: &'a [Option<Program>],
    pub prog: &'a Program,
    pub tag: &'a str,
}

/// A nonlinear function's result leaves and, per leaf, its gradient row.
pub type Reference = (Vec<Id>, Vec<Row>);

impl Jacobian<'_> {
    pub fn of(&mut self, f: &FnDef) -> Result<Reference, String> {
        if !f.lparams.is_empty() || !f.lresults.is_empty() {
            return Err(format!("`{}` has linear parts", f.name));
        }
        let xs = inputs(self.dag, f);
        let one = self.dag.num(1.0);
        let mut it = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| (x, Rc::new(vec![(i as u32, one)])));
        let mut env: Vec<Option<D>> = vec![None; f.locals.len()];
        for p in &f.params {
            *env.get_mut(p.var.0 as usize).ok_or("slot")? =
                Some(shape(&p.ty, &mut it).ok_or("inputs")?);
        }
        let mut out = Vec::new();
        for v in &self.block(&f.body, &mut env)? {
            flat(v, &mut out);
        }
        Ok(out.into_iter().unzip())
    }

    fn block(&mut self, b: &Block, env: &mut Vec<Option<D>>) -> Result<Vec<D>, String> {
        for bind in &b.binds {
            let (xs, vs) = match bind {
                Bind::Let { nl, lin, rhs, .. } if lin.is_empty() => {
                    (nl.clone(), self.expr(rhs, env)?)
                }
                Bind::Unpack { binders, src, .. } => {
                    match env.get(src.id.0 as usize).cloned().flatten() {
                        Some(D::Tup(items)) => (binders.clone(), items.to_vec()),
                        _ => return Err("a destructure of a value that is not a tuple".into()),
                    }
                }
                _ => return Err("a linear binder in a nonlinear function".into()),
            };
            if xs.len() != vs.len() {
                return Err("a binding of a different number of values".into());
            }
            for (x, v) in xs.iter().zip(vs) {
                *env.get_mut(x.0 as usize).ok_or("slot")? = Some(v);
            }
        }
        self.expr(&b.tail, env)
    }

    fn atom(&mut self, a: &Atom, env: &[Option<D>]) -> Result<D, String> {
        match a {
            Atom::Var(v) => env
                .get(v.id.0 as usize)
                .cloned()
                .flatten()
                .ok_or_else(|| "an unbound variable".into()),
            Atom::Lit(x, _) => Ok(D::Leaf(self.dag.num(*x), Rc::new(Vec::new()))),
        }
    }

    fn expr(&mut self, e: &Expr, env: &mut Vec<Option<D>>) -> Result<Vec<D>, String> {
        Ok(match e {
            Expr::Ret { nl, lin, .. } if lin.is_empty() => nl
                .iter()
                .map(|a| self.atom(a, env))
                .collect::<Result<_, _>>()?,
            Expr::Tuple { items, .. } => {
                vec![D::Tup(Rc::new(
                    items
                        .iter()
                        .map(|a| self.atom(a, env))
                        .collect::<Result<_, _>>()?,
                ))]
            }
            Expr::Prim { prim, args, .. } => {
                let (mut terms, mut rows) = (Vec::new(), Vec::new());
                for a in args {
                    match self.atom(a, env)? {
                        D::Leaf(t, r) => {
                            terms.push(t);
                            rows.push(r);
                        }
                        D::Tup(_) => return Err("a tuple argument of a primitive".into()),
                    }
                }
                let y = self.dag.add(self.prims.name(*prim), terms.clone());
                let col = self.columns.get(prim.0 as usize).and_then(Option::as_ref);
                let col = col.ok_or_else(|| {
                    format!("`{}` has no derivative column", self.prims.name(*prim))
                })?;
                let f = col.funcs.first().ok_or("an empty column")?;
                let mut low = Lower {
                    dag: self.dag,
                    prims: self.prims,
                    prog: col,
                    tag: "d",
                };
                let partials = low.lower(f, &terms)?.nl;
                vec![D::Leaf(y, self.chain(&partials, &rows))]
            }
            Expr::Drop { .. } => vec![],
            Expr::Block(b) => self.block(b, env)?,
            Expr::Call { func, nl, lin, .. } if lin.is_empty() => {
                let g = self
                    .prog
                    .func(*func)
                    .ok_or("a call of a function that does not exist")?;
                let mut args = Vec::new();
                for a in nl {
                    flat(&self.atom(a, env)?, &mut args);
                }
                let (terms, rows): (Vec<_>, Vec<_>) = args.into_iter().unzip();
                let mut out = Vec::new();
                for k in 0..size(&g.results) {
                    let y = self
                        .dag
                        .add(&format!("{}:{}#{k}", self.tag, g.name), terms.clone());
                    let ps: Vec<Id> = (0..terms.len())
                        .map(|i| {
                            self.dag
                                .add(&format!("{}:{}#d{k}@{i}", self.tag, g.name), terms.clone())
                        })
                        .collect();
                    out.push((y, self.chain(&ps, &rows)));
                }
                let mut it = out.into_iter();
                g.results
                    .iter()
                    .map(|t| shape(t, &mut it).ok_or("result shape"))
                    .collect::<Result<_, _>>()?
            }
            _ => return Err("a linear construct in a nonlinear function".into()),
        })
    }

    fn chain(&mut self, partials: &[Id], rows: &[Row]) -> Row {
        let mut acc: BTreeMap<u32, Id> = BTreeMap::new();
        for (&p, row) in partials.iter().zip(rows) {
            self.dag.factors.insert(p);
            for &(j, x) in row.iter() {
                let t = self.dag.mul(p, x);
                let s = match acc.get(&j) {
                    Some(&prev) => self.dag.sum(prev, t),
                    None => t,
                };
                acc.insert(j, s);
            }
        }
        Rc::new(acc.into_iter().collect())
    }
}
