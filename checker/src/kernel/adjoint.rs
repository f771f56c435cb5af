//! The transpose claim **binding by binding** (the adjoint pairing; the prover's statement is
//! `rewrite::equiv::adjoint`, re-derived here). Every linear scalar leaf `v` of `g` gets a row
//! `A_v` over `g`'s output cotangents: for input leaf `i` the row `T[i]` that `g.T` returns,
//! for output leaf `k` the unit row `e_k`, for any other leaf the row of its cotangent in
//! `g.T` (`a'` ↦ `a_ct'`: a hint; any rows would do). With `N_v` the forward row of `v`,
//! `Φ = Σ_{v live} N_v[i] · A_v[k]` is `T[i][k]` before the body (only inputs are live) and
//! `F[k][i]` after it (only outputs), and a binding producing `v = Σ_u L_vu · u` keeps `Φ`
//! when `A_u = Σ_v L_vu · A_v` for each leaf `u` it consumes: one local obligation per `u` and
//! cotangent, in which the rows `A_v` are atoms. So all of them together prove `T = Fᵀ`.

use super::forms::{Env, Row, Val, coefficient, size};
use super::term::{Dag, Id};
use semantics::{Atom, Bind, Block, Expr, FnDef, LocalId, Program, Type};
use std::collections::HashMap;
use std::rc::Rc;

/// One local obligation `what: lhs = rhs`, with the terms read as atoms.
pub type Local = (String, Id, Id, Vec<Id>);

#[derive(Clone)]
enum P {
    N(Id),
    L(u32),
    Tup(Rc<Vec<P>>),
}

#[derive(Default)]
struct Leaf {
    names: Vec<(LocalId, Vec<usize>)>,
    consumed: bool,
    input: Option<usize>,
    output: Option<usize>,
}

struct Walk<'a> {
    dag: &'a mut Dag,
    prog: &'a Program,
    tag: &'a str,
    low: &'a Env,
    env: Vec<Option<P>>,
    leaves: Vec<Leaf>,
    /// `A_u = Σ coef · A_v` (`None`: the coefficient 1).
    eqs: Vec<(u32, Terms)>,
}

type Res<T> = Result<T, String>;
/// `Σ coef · A_v` (`None`: the coefficient 1).
type Terms = Vec<(Option<Id>, u32)>;

fn leaves_of(v: &P) -> Vec<u32> {
    let (mut out, mut stack) = (Vec::new(), vec![v]);
    while let Some(v) = stack.pop() {
        match v {
            P::L(l) => out.push(*l),
            P::N(_) => {}
            P::Tup(items) => stack.extend(items.iter().rev()),
        }
    }
    out
}

fn of_val(v: &Val) -> Res<P> {
    match v {
        Val::N(id, _) => Ok(P::N(*id)),
        Val::L(_) => Err("a linear value in a nonlinear binder".into()),
        Val::Tup(items) => Ok(P::Tup(Rc::new(
            items.iter().map(of_val).collect::<Res<_>>()?,
        ))),
    }
}

/// The local obligations of `g` (lowered: `g_env`) against `gt` (lowered: `gt_env`, returned
/// rows `t_rows`), or why the pairing does not apply.
#[allow(clippy::too_many_arguments)]
pub fn obligations(
    dag: &mut Dag,
    prog: &Program,
    tag: &str,
    g: &FnDef,
    g_env: &Env,
    gt: &FnDef,
    gt_env: &Env,
    t_rows: &[Row],
) -> Res<Vec<Local>> {
    let env = vec![None; g.locals.len()];
    let (leaves, eqs) = (Vec::new(), Vec::new());
    let mut w = Walk {
        dag,
        prog,
        tag,
        low: g_env,
        env,
        leaves,
        eqs,
    };
    for p in &g.params {
        let v = w.lowered(p.var)?;
        w.bind(p.var, v)?;
    }
    let mut inputs = 0;
    for p in &g.lparams {
        let v = w.fresh(&p.ty);
        for l in leaves_of(&v) {
            w.leaves[l as usize].input = Some(inputs);
            inputs += 1;
        }
        w.bind(p.var, v)?;
    }
    let (_, lin) = w.block(&g.body)?;
    for (k, l) in lin.iter().flat_map(leaves_of).enumerate() {
        w.consume(l)?;
        w.leaves[l as usize].output = Some(k);
    }
    if let Some(l) = w.leaves.iter().position(|l| !l.consumed) {
        return Err(format!("linear leaf {l} is never consumed"));
    }
    if t_rows.len() != inputs {
        return Err("the transpose returns another number of cotangents".into());
    }
    let by_name: HashMap<&str, usize> = gt
        .locals
        .iter()
        .enumerate()
        .map(|(k, l)| (l.name.as_str(), k))
        .collect();
    let (one, zero) = (w.dag.num(1.0), w.dag.num(0.0));
    let (mut rows, mut checks) = (Vec::with_capacity(w.leaves.len()), Vec::new());
    for (l, leaf) in w.leaves.iter().enumerate() {
        let unit = |k: usize| Rc::new(vec![(k as u32, one)]);
        rows.push(match (leaf.input, leaf.output) {
            (Some(i), out) => {
                // An input returned as it is: its cotangent must be the unit row.
                checks.extend(out.map(|k| (l, unit(k))));
                t_rows[i].clone()
            }
            (None, Some(k)) => unit(k),
            (None, None) => hint(g, gt_env, &by_name, leaf)
                .ok_or_else(|| format!("linear leaf {l} has no cotangent in `{}`", gt.name))?,
        });
    }
    let mut out = Vec::new();
    let ks = |rs: &mut dyn Iterator<Item = &Row>| {
        let mut ks: Vec<u32> = rs.flat_map(|r| r.iter().map(|&(k, _)| k)).collect();
        ks.sort_unstable();
        ks.dedup();
        ks
    };
    for (l, unit) in checks {
        for k in ks(&mut [&rows[l], &unit].into_iter()) {
            let (a, b) = (coefficient(&rows[l], k), coefficient(&unit, k));
            let what = format!("input leaf {l} at cotangent {k}");
            out.push((what, a.unwrap_or(zero), b.unwrap_or(zero), Vec::new()));
        }
    }
    for (u, terms) in &w.eqs {
        let au = &rows[*u as usize];
        let mut all = std::iter::once(au).chain(terms.iter().map(|(_, v)| &rows[*v as usize]));
        for k in ks(&mut all) {
            let (mut atoms, mut rhs) = (Vec::new(), None);
            for &(c, v) in terms {
                let Some(a) = coefficient(&rows[v as usize], k) else {
                    continue;
                };
                atoms.push(a);
                let t = c.map_or(a, |c| w.dag.mul(c, a));
                rhs = Some(rhs.map_or(t, |r| w.dag.sum(r, t)));
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

/// The row of a leaf's cotangent in `g.T`: binder `a'` ↦ `a_ct'`, at the leaf's path.
fn hint(g: &FnDef, gt_env: &Env, by_name: &HashMap<&str, usize>, leaf: &Leaf) -> Option<Row> {
    leaf.names.iter().find_map(|(x, path)| {
        let name = format!("{}_ct'", g.name_of(*x).trim_end_matches('\''));
        let mut v = gt_env.get(*by_name.get(name.as_str())?)?.as_ref()?;
        for &p in path {
            v = match v {
                Val::Tup(items) => items.get(p)?,
                _ => return None,
            };
        }
        match v {
            Val::L(r) => Some(r.clone()),
            _ => None,
        }
    })
}

impl Walk<'_> {
    fn lowered(&self, x: LocalId) -> Res<P> {
        let v = self.low.get(x.0 as usize).cloned().flatten();
        of_val(&v.ok_or("a nonlinear binder the lowering did not bind")?)
    }

    fn bind(&mut self, x: LocalId, v: P) -> Res<()> {
        let mut stack = vec![(&v, Vec::new())];
        while let Some((v, path)) = stack.pop() {
            match v {
                P::L(l) => self.leaves[*l as usize].names.push((x, path)),
                P::N(_) => {}
                P::Tup(items) => stack.extend(items.iter().enumerate().map(|(k, item)| {
                    let mut p = path.clone();
                    p.push(k);
                    (item, p)
                })),
            }
        }
        *self
            .env
            .get_mut(x.0 as usize)
            .ok_or("a binder with no slot")? = Some(v);
        Ok(())
    }

    fn fresh(&mut self, ty: &Type) -> P {
        match ty.components() {
            None => {
                self.leaves.push(Leaf::default());
                P::L(self.leaves.len() as u32 - 1)
            }
            Some(ts) => P::Tup(Rc::new(ts.iter().map(|t| self.fresh(t)).collect())),
        }
    }

    /// New leaves shaped as `v`.
    fn like(&mut self, v: &P) -> Res<P> {
        match v {
            P::L(_) => Ok(self.fresh(&Type::Real)),
            P::N(_) => Err("a nonlinear value in a linear position".into()),
            P::Tup(items) => Ok(P::Tup(Rc::new(
                items.iter().map(|x| self.like(x)).collect::<Res<_>>()?,
            ))),
        }
    }

    fn consume(&mut self, l: u32) -> Res<()> {
        let leaf = &mut self.leaves[l as usize];
        if std::mem::replace(&mut leaf.consumed, true) {
            return Err(format!("linear leaf {l} is consumed twice"));
        }
        Ok(())
    }

    fn equation(&mut self, u: u32, terms: Terms) -> Res<()> {
        self.consume(u)?;
        self.eqs.push((u, terms));
        Ok(())
    }

    fn atom(&mut self, a: &Atom) -> Res<P> {
        match a {
            Atom::Var(v) => match self.env.get(v.id.0 as usize).cloned().flatten() {
                Some(p) => Ok(p),
                None => self.lowered(v.id),
            },
            Atom::Lit(x, _) => Ok(P::N(self.dag.num(*x))),
        }
    }

    fn block(&mut self, b: &Block) -> Res<(Vec<P>, Vec<P>)> {
        for bind in &b.binds {
            match bind {
                Bind::Let { nl, lin, rhs, .. } => {
                    let (_, vl) = self.expr(rhs)?;
                    if vl.len() != lin.len() {
                        return Err("a `let` binds a different number of linear values".into());
                    }
                    for x in nl {
                        let v = self.lowered(*x)?;
                        self.bind(*x, v)?;
                    }
                    for (x, v) in lin.iter().zip(vl) {
                        self.bind(*x, v)?;
                    }
                }
                Bind::Unpack { binders, src, .. } => match self.atom(&Atom::Var(*src))? {
                    P::Tup(items) if items.len() == binders.len() => {
                        for (x, v) in binders.iter().zip(items.iter()) {
                            self.bind(*x, v.clone())?;
                        }
                    }
                    _ => {
                        return Err(
                            "a destructure of a value that is not a tuple of its size".into()
                        );
                    }
                },
            }
        }
        self.expr(&b.tail)
    }

    /// The linear values an expression produces, and its equations.
    fn expr(&mut self, e: &Expr) -> Res<(Vec<P>, Vec<P>)> {
        let lone = |v: P| (vec![], vec![v]);
        Ok(match e {
            Expr::Ret { lin, .. } => (
                vec![],
                lin.iter().map(|a| self.atom(a)).collect::<Res<_>>()?,
            ),
            Expr::LTuple { items, .. } => lone(P::Tup(Rc::new(
                items.iter().map(|a| self.atom(a)).collect::<Res<_>>()?,
            ))),
            Expr::Tuple { .. } | Expr::Prim { .. } => (vec![], vec![]),
            Expr::LAdd { lhs, rhs, .. } => {
                let (a, b) = (self.atom(lhs)?, self.atom(rhs)?);
                let v = self.like(&a)?;
                let (la, lb, lv) = (leaves_of(&a), leaves_of(&b), leaves_of(&v));
                if la.len() != lv.len() || lb.len() != lv.len() {
                    return Err("a linear add of values of two shapes".into());
                }
                for ((&x, &y), &z) in la.iter().zip(&lb).zip(&lv) {
                    self.equation(x, vec![(None, z)])?;
                    self.equation(y, vec![(None, z)])?;
                }
                lone(v)
            }
            Expr::Scale { scalar, lin, .. } => {
                let P::N(c) = self.atom(scalar)? else {
                    return Err("a scale by a value that is not a real".into());
                };
                let x = self.atom(lin)?;
                let v = self.like(&x)?;
                for (&u, &z) in leaves_of(&x).iter().zip(&leaves_of(&v)) {
                    self.equation(u, vec![(Some(c), z)])?;
                }
                lone(v)
            }
            Expr::Zero { ty, .. } => lone(self.fresh(ty)),
            Expr::Dup { arg, .. } => {
                let x = self.atom(arg)?;
                let (v1, v2) = (self.like(&x)?, self.like(&x)?);
                let (l1, l2) = (leaves_of(&v1), leaves_of(&v2));
                for ((&u, &a), &b) in leaves_of(&x).iter().zip(&l1).zip(&l2) {
                    self.equation(u, vec![(None, a), (None, b)])?;
                }
                (vec![], vec![v1, v2])
            }
            Expr::Drop { .. } => {
                // Discarded: the linear leaves it reads from outside have zero adjoints.
                let (mut reads, mut bound) = (Vec::new(), Vec::new());
                semantics::expr_reads(e, &mut reads);
                semantics::expr_bound(e, &mut bound);
                let mut seen = std::collections::HashSet::new();
                for x in reads {
                    if bound.contains(&x) || !seen.insert(x) {
                        continue;
                    }
                    if let Some(v) = self.env.get(x.0 as usize).cloned().flatten() {
                        for u in leaves_of(&v) {
                            self.equation(u, Vec::new())?;
                        }
                    }
                }
                (vec![], vec![])
            }
            Expr::Block(b) => self.block(b)?,
            Expr::Call { func, nl, lin, .. } => {
                let h = self
                    .prog
                    .func(*func)
                    .ok_or("a call of a function that does not exist")?;
                let mut args = Vec::new();
                for a in nl {
                    let v = self.atom(a)?;
                    let mut stack = vec![&v];
                    while let Some(v) = stack.pop() {
                        match v {
                            P::N(id) => args.push(*id),
                            P::L(_) => return Err("a linear value in a nonlinear position".into()),
                            P::Tup(items) => stack.extend(items.iter().rev()),
                        }
                    }
                }
                let mut xs = Vec::new();
                for a in lin {
                    xs.extend(leaves_of(&self.atom(a)?));
                }
                let vl: Vec<P> = h.lresults.iter().map(|t| self.fresh(t)).collect();
                let outs: Vec<u32> = vl.iter().flat_map(leaves_of).collect();
                if outs.len() != size(&h.lresults) {
                    return Err("a call's linear results have another shape".into());
                }
                for (j, &u) in xs.iter().enumerate() {
                    let mut terms = Vec::with_capacity(outs.len());
                    for (k, &v) in outs.iter().enumerate() {
                        let sym = format!("{}:{}#{k}@{j}", self.tag, h.name);
                        terms.push((Some(self.dag.add(&sym, args.clone())), v));
                    }
                    self.equation(u, terms)?;
                }
                (vec![], vl)
            }
        })
    }
}
