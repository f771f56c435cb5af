//! The symbolic differentiator: reference Jacobians built from the primitive table's
//! **derivative column** alone (never from the JVP rules, which are what is being checked).
//!
//! One forward sweep over a nonlinear function gives every scalar its term and its gradient
//! row over the function's input leaves (the chain rule: `J(p(a..)) = Σ_k ∂_k p(a..) · J(a_k)`,
//! each `∂_k p` the column's expression instantiated at the argument terms). A call of `g`
//! contributes the reference symbols `P:g#dk@i`, defined by `g`'s own reference Jacobian,
//! so each function is differentiated once.

use super::dag::{Dag, Def};
use super::lower::{Lowerer, Row, input_symbols, result_symbol, size};
use semantics::*;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// The symbol of the reference partial `∂ g_k / ∂ x_i` (nonlinear result leaf `k`, input leaf `i`).
pub fn derivative_symbol(tag: &str, g: &str, k: usize, i: usize) -> String {
    format!("{tag}:{g}#d{k}@{i}")
}

/// Each primitive's derivative column, parsed once as the function `p.d(x1..xn) -> (R..)`.
pub struct Columns {
    defs: HashMap<u16, Program>,
}

impl Columns {
    pub fn load(prims: &PrimTable) -> Result<Columns, String> {
        let mut defs = HashMap::new();
        for (id, row) in prims.rows() {
            let Some(text) = prims.derivative(id) else {
                continue;
            };
            defs.insert(id.0, parse_column(row, text, prims)?);
        }
        Ok(Columns { defs })
    }

    /// The partials of `p` at the argument terms `args`.
    pub fn partials(
        &self,
        dag: &mut Dag,
        prims: &PrimTable,
        p: PrimId,
        args: &[egg::Id],
    ) -> Result<Vec<egg::Id>, String> {
        let prog = self
            .defs
            .get(&p.0)
            .ok_or_else(|| format!("`{}` has no derivative column", prims.name(p)))?;
        let f = &prog.funcs[0];
        let mut low = Lowerer {
            dag,
            prims,
            prog,
            tag: "d",
            opaque: false,
            cuts: None,
        };
        low.lower(f, args).map(|l| l.nl).map_err(|e| e.message)
    }
}

/// `d p(a, b) = (e1, e2)` as `def p.d(a: R, b: R) -> (R, R) = (e1, e2)`.
fn parse_column(row: &Prim, text: &str, prims: &PrimTable) -> Result<Program, String> {
    let bad = |why: &str| format!("the derivative column of `{}` {why}", row.name);
    let rest = text
        .trim()
        .strip_prefix('d')
        .ok_or_else(|| bad("starts with `d`"))?
        .trim_start();
    let open = rest.find('(').ok_or_else(|| bad("has no `(`"))?;
    let close = rest.find(')').ok_or_else(|| bad("has no `)`"))?;
    if rest[..open].trim() != row.name {
        return Err(bad("names another primitive"));
    }
    let body = rest[close + 1..]
        .trim_start()
        .strip_prefix('=')
        .ok_or_else(|| bad("has no `=`"))?;
    let params: Vec<&str> = rest[open + 1..close].split(',').map(str::trim).collect();
    if params.len() != row.arity {
        return Err(bad("has the wrong number of parameters"));
    }
    let typed: Vec<String> = params.iter().map(|p| format!("{p}: R")).collect();
    let results = vec!["R"; row.arity].join(", ");
    let src = format!(
        "def {}.d({}) -> ({results}) = {body}",
        row.name,
        typed.join(", ")
    );
    let prog =
        parse_with(&src, prims).map_err(|d| bad(&format!("does not parse: {}", d[0].message)))?;
    checker::accepts(&prog, prims, checker::Options { relaxed: true })
        .map_err(|d| bad(&format!("is ill-typed: {}", d[0].message)))?;
    Ok(prog)
}

/// A function's reference: result leaves and, per result leaf, its gradient row over the
/// input leaves.
pub struct Reference {
    pub nl: Vec<egg::Id>,
    pub jac: Vec<Row>,
}

#[derive(Clone)]
enum DVal {
    Leaf(egg::Id, Row),
    Tup(Rc<Vec<DVal>>),
}

impl Drop for DVal {
    /// As [`super::lower::Val`]'s: dropped on a stack that grows on demand.
    fn drop(&mut self) {
        if let DVal::Tup(items) = self {
            semantics::drop_nested(items);
        }
    }
}

fn leaves(v: &DVal, out: &mut Vec<(egg::Id, Row)>) {
    let mut stack = vec![v];
    let mut acc = Vec::new();
    while let Some(v) = stack.pop() {
        match v {
            DVal::Leaf(t, r) => acc.push((*t, r.clone())),
            DVal::Tup(items) => stack.extend(items.iter().rev()),
        }
    }
    out.extend(acc);
}

fn shape(ty: &Type, it: &mut impl Iterator<Item = (egg::Id, Row)>) -> Option<DVal> {
    match ty.components() {
        None => it.next().map(|(t, r)| DVal::Leaf(t, r)),
        Some(ts) => Some(DVal::Tup(Rc::new(
            ts.iter()
                .map(|t| semantics::deep(|| shape(t, it)))
                .collect::<Option<Vec<_>>>()?,
        ))),
    }
}

pub struct Differentiator<'a> {
    pub dag: &'a mut Dag,
    pub prims: &'a PrimTable,
    pub columns: &'a Columns,
    pub prog: &'a Program,
    pub tag: &'a str,
}

impl Differentiator<'_> {
    /// The reference of `f` at its input symbols; defines `tag:f#dk@i` for callers.
    pub fn differentiate(&mut self, f: &FnDef) -> Result<Reference, String> {
        let inputs = input_symbols(self.dag, f);
        let one = self.dag.num(1.0);
        let mut env: Vec<Option<DVal>> = vec![None; f.locals.len()];
        let mut it = inputs
            .iter()
            .enumerate()
            .map(|(i, &x)| (x, Rc::new(vec![(i as u32, one)])));
        for p in &f.params {
            let v = shape(&p.ty, &mut it).ok_or("too few inputs")?;
            *env.get_mut(p.var.0 as usize).ok_or("slot")? = Some(v);
        }
        if !f.lparams.is_empty() || !f.lresults.is_empty() {
            return Err(format!(
                "`{}` has linear parts: it has no reference Jacobian",
                f.name
            ));
        }
        let vs = self.block(&f.body, &mut env)?;
        let mut out = Vec::new();
        for v in &vs {
            leaves(v, &mut out);
        }
        let (nl, jac): (Vec<_>, Vec<_>) = out.into_iter().unzip();
        let zero = self.dag.num(0.0);
        for (k, row) in jac.iter().enumerate() {
            for i in 0..inputs.len() {
                let body = super::lower::coefficient(row, i as u32).unwrap_or(zero);
                let sym = derivative_symbol(self.tag, &f.name, k, i);
                let def = Def {
                    params: inputs.clone(),
                    body,
                };
                self.dag.defs.insert(sym.as_str().into(), def);
            }
        }
        Ok(Reference { nl, jac })
    }

    fn block(&mut self, b: &Block, env: &mut Vec<Option<DVal>>) -> Result<Vec<DVal>, String> {
        for bind in &b.binds {
            match bind {
                Bind::Let { nl, lin, rhs, .. } => {
                    if !lin.is_empty() {
                        return Err("a linear binder in a nonlinear function".into());
                    }
                    let vs = self.expr(rhs, env)?;
                    if vs.len() != nl.len() {
                        return Err("a `let` binds a different number of values".into());
                    }
                    for (x, v) in nl.iter().zip(vs) {
                        *env.get_mut(x.0 as usize).ok_or("slot")? = Some(v);
                    }
                }
                Bind::Unpack { binders, src, .. } => {
                    let Some(Some(DVal::Tup(items))) = env.get(src.id.0 as usize) else {
                        return Err("a destructure of a value that is not a tuple".into());
                    };
                    let items = items.clone();
                    if items.len() != binders.len() {
                        return Err("a destructure of a tuple of another size".into());
                    }
                    for (x, v) in binders.iter().zip(items.iter()) {
                        *env.get_mut(x.0 as usize).ok_or("slot")? = Some(v.clone());
                    }
                }
            }
        }
        self.expr(&b.tail, env)
    }

    fn atom(&mut self, a: &Atom, env: &[Option<DVal>]) -> Result<DVal, String> {
        match a {
            Atom::Var(v) => env
                .get(v.id.0 as usize)
                .cloned()
                .flatten()
                .ok_or_else(|| "a variable read before it is bound".into()),
            Atom::Lit(x, _) => Ok(DVal::Leaf(self.dag.num(*x), Rc::new(Vec::new()))),
        }
    }

    fn expr(&mut self, e: &Expr, env: &mut Vec<Option<DVal>>) -> Result<Vec<DVal>, String> {
        Ok(match e {
            Expr::Ret { nl, lin, .. } if lin.is_empty() => nl
                .iter()
                .map(|a| self.atom(a, env))
                .collect::<Result<_, _>>()?,
            Expr::Tuple { items, .. } => {
                let vs = items
                    .iter()
                    .map(|a| self.atom(a, env))
                    .collect::<Result<_, _>>()?;
                vec![DVal::Tup(Rc::new(vs))]
            }
            Expr::Prim { prim, args, .. } => {
                let mut terms = Vec::new();
                let mut rows = Vec::new();
                for a in args {
                    match &self.atom(a, env)? {
                        DVal::Leaf(t, r) => {
                            terms.push(*t);
                            rows.push(r.clone());
                        }
                        DVal::Tup(_) => return Err("a tuple argument of a primitive".into()),
                    }
                }
                let y = self.dag.prim(self.prims.name(*prim), terms.clone());
                let partials = self.columns.partials(self.dag, self.prims, *prim, &terms)?;
                let row = self.chain(&partials, &rows);
                vec![DVal::Leaf(y, row)]
            }
            Expr::Drop { .. } => vec![],
            Expr::Block(b) => {
                let b: &Block = b;
                self.block(b, env)?
            }
            Expr::Call { func, nl, lin, .. } if lin.is_empty() => {
                let g = self
                    .prog
                    .func(*func)
                    .ok_or("a call of a function that does not exist")?;
                let mut args = Vec::new();
                for a in nl {
                    leaves(&self.atom(a, env)?, &mut args);
                }
                let (terms, rows): (Vec<_>, Vec<_>) = args.into_iter().unzip();
                let mut out = Vec::new();
                for k in 0..size(&g.results) {
                    let y = self
                        .dag
                        .fun(&result_symbol(self.tag, &g.name, k), terms.clone());
                    let partials: Vec<egg::Id> = (0..terms.len())
                        .map(|i| {
                            self.dag
                                .fun(&derivative_symbol(self.tag, &g.name, k, i), terms.clone())
                        })
                        .collect();
                    let row = self.chain(&partials, &rows);
                    out.push((y, row));
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

    /// `Σ_k partial_k · row_k`, in argument order.
    fn chain(&mut self, partials: &[egg::Id], rows: &[Row]) -> Row {
        let mut acc: BTreeMap<u32, egg::Id> = BTreeMap::new();
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
