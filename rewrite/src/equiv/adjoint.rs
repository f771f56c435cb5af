//! The transpose claim **binding by binding**: the adjoint pairing.
//!
//! The entrywise claim `T[i][k] = F[k][i]` (the coefficient matrix of `g.T` against `g`'s) is
//! a path sum: on a long chain that uses values two and three lets back, forward and backward
//! accumulation group exponentially many products differently, and no single obligation
//! between the two whole coefficients is small. The pairing proof splits it into one small
//! obligation per linear binding of `g`:
//!
//! Give every linear scalar leaf `v` of `g` a row `A_v` over `g`'s output cotangents: for a
//! linear input leaf `i` the row `T[i]` that `g.T` returns, for an output leaf `k` the unit row
//! `e_k`, for any other leaf the row of its cotangent in `g.T` (by name, `a'` ↦ `a_ct'`; a
//! hint, which soundness does not depend on). Let `N_v` be `v`'s forward row over the linear
//! inputs. In a strict linear program each leaf is produced once and consumed once, so at
//! each point of the body the live leaves form a cut, and `Φ = Σ_{v live} N_v[i] · A_v[k]`
//! is `T[i][k]` at the start (only inputs are live) and `F[k][i]` at the end (only outputs).
//! A binding consuming leaves `u` and producing `v = Σ_u L_vu · u` keeps `Φ` when
//! `A_u = Σ_v L_vu · A_v` for each consumed `u`: that is the obligation, per `u` and per
//! cotangent `k`, with the rows `A_v` as atoms (so the obligation is local, a few nodes).
//! Per construct: `v = c·u` gives `A_u = c·A_v`; `v = a + b` gives `A_a = A_v` and
//! `A_b = A_v`; `(v1, v2) = dup(u)` gives `A_u = A_v1 + A_v2`; `drop` gives `A_u = 0`;
//! `zero` consumes nothing; a call of `h` gives `A_u_j = Σ_k C_h[k][j] · A_v_k` with `h`'s
//! coefficient symbols (and the transpose lemma about `h.T` at the call in `g.T`).
//!
//! If `g` is not strictly linear (a leaf used twice or never), a hint is missing, or an
//! obligation is not proved, the pairing gives no verdict and the claim falls back to the
//! entrywise obligations, which also find counterexamples.

use super::dag::Dag;
use super::lower::{Env, Row, Val, coefficient, coefficient_symbol, flatten, size};
use semantics::*;
use std::collections::HashMap;
use std::rc::Rc;

/// One local obligation: `lhs = rhs`, where the terms in `atoms` (the rows `A_v` of the
/// leaves a binding produces) are read as opaque reals.
pub struct Local {
    pub what: String,
    pub lhs: egg::Id,
    pub rhs: egg::Id,
    pub atoms: Vec<egg::Id>,
}

#[derive(Clone, Debug)]
enum PVal {
    N(egg::Id),
    /// A linear scalar leaf, by number.
    L(u32),
    Tup(Rc<Vec<PVal>>),
}

impl Drop for PVal {
    /// As [`super::lower::Val`]'s: dropped on a stack that grows on demand.
    fn drop(&mut self) {
        if let PVal::Tup(items) = self {
            semantics::drop_nested(items);
        }
    }
}

/// `A_u = Σ coef · A_v` (`None`: the coefficient 1).
struct Equation {
    u: u32,
    terms: Vec<(Option<egg::Id>, u32)>,
}

#[derive(Default)]
struct Leaf {
    /// The binders this leaf was bound to, with its path inside each (for the hints).
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
    /// The lowering's `opaque` (residuals as one term each).
    opaque: bool,
    env: Vec<Option<PVal>>,
    leaves: Vec<Leaf>,
    eqs: Vec<Equation>,
}

/// The local obligations whose proof proves `g.T` (lowered: `gt_env`, returned rows `t_rows`)
/// the transpose of `g` (lowered: `g_env`), or why the pairing does not apply.
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
    opaque: bool,
) -> Result<Vec<Local>, String> {
    let mut w = Walk {
        dag,
        prog,
        tag,
        low: g_env,
        opaque,
        env: vec![None; g.locals.len()],
        leaves: Vec::new(),
        eqs: Vec::new(),
    };
    let mut inputs = 0;
    for p in &g.params {
        let v = w.lowered(p.var)?;
        w.bind(p.var, v)?;
    }
    for p in &g.lparams {
        let v = w.fresh(&p.ty);
        for l in leaves_of(&v) {
            w.leaves[l as usize].input = Some(inputs);
            inputs += 1;
        }
        w.bind(p.var, v)?;
    }
    let (_, lin) = w.block(&g.body)?;
    let mut outputs = 0;
    for v in &lin {
        for l in leaves_of(v) {
            w.consume(l)?;
            w.leaves[l as usize].output = Some(outputs);
            outputs += 1;
        }
    }
    if let Some(l) = w.leaves.iter().position(|l| !l.consumed) {
        return Err(format!("linear leaf {l} is never consumed"));
    }
    if t_rows.len() != inputs {
        return Err("the transpose returns another number of cotangents".into());
    }
    // The rows A_v.
    let by_name: HashMap<&str, LocalId> = gt
        .locals
        .iter()
        .enumerate()
        .map(|(k, l)| (l.name.as_str(), LocalId(k as u32)))
        .collect();
    let one = w.dag.num(1.0);
    let zero = w.dag.num(0.0);
    let mut rows: Vec<Option<Row>> = Vec::with_capacity(w.leaves.len());
    let mut checks = Vec::new();
    for (l, leaf) in w.leaves.iter().enumerate() {
        let row = match (leaf.input, leaf.output) {
            (Some(i), out) => {
                if let Some(k) = out {
                    // An input returned as it is: its cotangent must be the unit row.
                    checks.push((l, Rc::new(vec![(k as u32, one)])));
                }
                Some(t_rows[i].clone())
            }
            (None, Some(k)) => Some(Rc::new(vec![(k as u32, one)])),
            (None, None) => hint(g, gt_env, &by_name, leaf),
        };
        rows.push(row);
    }
    // A leaf with no cotangent of its own in `g.T` (the transpose merged it into a sum's, or
    // dropped a zero one) gets the row its consuming equation gives, `Σ L_vu·A_v`: any rows
    // will do, and with these its own obligations hold as they stand. Filled in reverse
    // program order, so the rows of the leaves it produces are known.
    for eq in w.eqs.iter().rev() {
        if rows[eq.u as usize].is_none() {
            let mut acc: std::collections::BTreeMap<u32, egg::Id> = Default::default();
            for &(c, v) in &eq.terms {
                for &(k, a) in rows[v as usize].iter().flat_map(|r| r.iter()) {
                    let t = c.map_or(a, |c| w.dag.mul(c, a));
                    let s = acc.get(&k).map_or(t, |&r| w.dag.sum(r, t));
                    acc.insert(k, s);
                }
            }
            rows[eq.u as usize] = Some(Rc::new(acc.into_iter().collect()));
        }
    }
    let rows = (rows.into_iter().enumerate())
        .map(|(l, r)| r.ok_or_else(|| format!("linear leaf {l} has no cotangent in `{}`", gt.name)))
        .collect::<Result<Vec<Row>, String>>()?;
    let mut out = Vec::new();
    for (l, unit) in checks {
        push_rows(&mut out, format!("input leaf {l}"), &rows[l], &unit, zero);
    }
    for eq in &w.eqs {
        let au = &rows[eq.u as usize];
        let mut ks: Vec<u32> = au.iter().map(|&(k, _)| k).collect();
        for &(_, v) in &eq.terms {
            ks.extend(rows[v as usize].iter().map(|&(k, _)| k));
        }
        ks.sort_unstable();
        ks.dedup();
        for k in ks {
            let lhs = coefficient(au, k).unwrap_or(zero);
            let mut atoms = Vec::new();
            let mut rhs: Option<egg::Id> = None;
            for &(c, v) in &eq.terms {
                let Some(a) = coefficient(&rows[v as usize], k) else {
                    continue;
                };
                atoms.push(a);
                let t = match c {
                    Some(c) => w.dag.mul(c, a),
                    None => a,
                };
                rhs = Some(match rhs {
                    Some(r) => w.dag.sum(r, t),
                    None => t,
                });
            }
            out.push(Local {
                what: format!("adjoint of leaf {} at cotangent {k}", eq.u),
                lhs,
                rhs: rhs.unwrap_or(zero),
                atoms,
            });
        }
    }
    Ok(out)
}

/// Entrywise `got = want` between two rows.
fn push_rows(out: &mut Vec<Local>, what: String, got: &Row, want: &Row, zero: egg::Id) {
    let mut ks: Vec<u32> = got.iter().chain(want.iter()).map(|&(k, _)| k).collect();
    ks.sort_unstable();
    ks.dedup();
    for k in ks {
        out.push(Local {
            what: format!("{what} at cotangent {k}"),
            lhs: coefficient(got, k).unwrap_or(zero),
            rhs: coefficient(want, k).unwrap_or(zero),
            atoms: Vec::new(),
        });
    }
}

/// The row of a leaf's cotangent in `g.T`: binder `a'` of `g` ↦ `a_ct'` of `g.T`, at the
/// leaf's path.
fn hint(g: &FnDef, gt_env: &Env, by_name: &HashMap<&str, LocalId>, leaf: &Leaf) -> Option<Row> {
    leaf.names.iter().find_map(|(x, path)| {
        let name = format!("{}_ct'", g.name_of(*x).trim_end_matches('\''));
        let id = by_name.get(name.as_str())?;
        let mut v = gt_env.get(id.0 as usize)?.as_ref()?;
        for &p in path {
            match v {
                Val::Tup(items) => v = items.get(p)?,
                _ => return None,
            }
        }
        match v {
            Val::L(r) => Some(r.clone()),
            _ => None,
        }
    })
}

fn leaves_of(v: &PVal) -> Vec<u32> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            PVal::L(l) => out.push(*l),
            PVal::N(_) => {}
            PVal::Tup(items) => stack.extend(items.iter().rev()),
        }
    }
    out
}

fn to_pval(v: &Val) -> Result<PVal, String> {
    match v {
        Val::N(id) | Val::O(id, _) => Ok(PVal::N(*id)),
        Val::L(_) => Err("a linear value in a nonlinear binder".into()),
        Val::Tup(items) => Ok(PVal::Tup(Rc::new(
            items
                .iter()
                .map(|v| semantics::deep(|| to_pval(v)))
                .collect::<Result<_, _>>()?,
        ))),
    }
}

impl Walk<'_> {
    /// A nonlinear binder's value, from the lowering.
    fn lowered(&self, x: LocalId) -> Result<PVal, String> {
        let v = self
            .low
            .get(x.0 as usize)
            .cloned()
            .flatten()
            .ok_or("a nonlinear binder the lowering did not bind")?;
        to_pval(&v)
    }

    fn bind(&mut self, x: LocalId, v: PVal) -> Result<(), String> {
        let mut stack = vec![(&v, Vec::new())];
        while let Some((v, path)) = stack.pop() {
            match v {
                PVal::L(l) => self.leaves[*l as usize].names.push((x, path)),
                PVal::N(_) => {}
                PVal::Tup(items) => {
                    for (k, item) in items.iter().enumerate() {
                        let mut p = path.clone();
                        p.push(k);
                        stack.push((item, p));
                    }
                }
            }
        }
        let slot = self
            .env
            .get_mut(x.0 as usize)
            .ok_or("a binder with no slot")?;
        *slot = Some(v);
        Ok(())
    }

    fn leaf(&mut self) -> PVal {
        self.leaves.push(Leaf::default());
        PVal::L(self.leaves.len() as u32 - 1)
    }

    /// New leaves shaped as `ty`.
    fn fresh(&mut self, ty: &Type) -> PVal {
        match ty.components() {
            None => self.leaf(),
            Some(ts) => PVal::Tup(Rc::new(
                ts.iter()
                    .map(|t| semantics::deep(|| self.fresh(t)))
                    .collect(),
            )),
        }
    }

    /// New leaves shaped as `v`.
    fn like(&mut self, v: &PVal) -> Result<PVal, String> {
        match v {
            PVal::L(_) => Ok(self.leaf()),
            PVal::N(_) => Err("a nonlinear value in a linear position".into()),
            PVal::Tup(items) => Ok(PVal::Tup(Rc::new(
                items
                    .iter()
                    .map(|x| semantics::deep(|| self.like(x)))
                    .collect::<Result<_, _>>()?,
            ))),
        }
    }

    fn consume(&mut self, l: u32) -> Result<(), String> {
        let leaf = &mut self.leaves[l as usize];
        if leaf.consumed {
            return Err(format!("linear leaf {l} is consumed twice"));
        }
        leaf.consumed = true;
        Ok(())
    }

    fn equation(&mut self, u: u32, terms: Vec<(Option<egg::Id>, u32)>) -> Result<(), String> {
        self.consume(u)?;
        self.eqs.push(Equation { u, terms });
        Ok(())
    }

    fn atom(&mut self, a: &Atom) -> Result<PVal, String> {
        match a {
            Atom::Var(v) => match self.env.get(v.id.0 as usize).cloned().flatten() {
                Some(p) => Ok(p),
                None => self.lowered(v.id),
            },
            Atom::Lit(x, _) => Ok(PVal::N(self.dag.num(*x))),
        }
    }

    /// The nonlinear scalar leaves of `atoms`, as the lowering has them.
    fn scalars(&mut self, atoms: &[Atom]) -> Result<Vec<egg::Id>, String> {
        let mut out = Vec::new();
        for a in atoms {
            let v = self.atom(a)?;
            let mut stack = vec![&v];
            let mut rev = Vec::new();
            while let Some(v) = stack.pop() {
                match v {
                    PVal::N(id) => rev.push(*id),
                    PVal::L(_) => return Err("a linear value in a nonlinear position".into()),
                    PVal::Tup(items) => stack.extend(items.iter().rev()),
                }
            }
            out.extend(rev);
        }
        Ok(out)
    }

    fn block(&mut self, b: &Block) -> Result<(Vec<PVal>, Vec<PVal>), String> {
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
                Bind::Unpack { binders, src, .. } => {
                    let items = match &self.atom(&Atom::Var(*src))? {
                        PVal::Tup(items) => items.clone(),
                        // A residual term: its components are what the lowering projected.
                        PVal::N(_) if self.opaque => Rc::new(
                            binders
                                .iter()
                                .map(|x| self.lowered(*x))
                                .collect::<Result<Vec<_>, _>>()?,
                        ),
                        _ => return Err("a destructure of a value that is not a tuple".into()),
                    };
                    if items.len() != binders.len() {
                        return Err("a destructure of a tuple of another size".into());
                    }
                    for (x, v) in binders.iter().zip(items.iter()) {
                        self.bind(*x, v.clone())?;
                    }
                }
            }
        }
        self.expr(&b.tail)
    }

    /// The linear values an expression produces (its nonlinear ones are the lowering's).
    fn expr(&mut self, e: &Expr) -> Result<(Vec<PVal>, Vec<PVal>), String> {
        let lone = |v: PVal| (vec![], vec![v]);
        Ok(match e {
            Expr::Ret { lin, .. } => {
                let vl = lin.iter().map(|a| self.atom(a)).collect::<Result<_, _>>()?;
                (vec![], vl)
            }
            Expr::LTuple { items, .. } => {
                let vs = items
                    .iter()
                    .map(|a| self.atom(a))
                    .collect::<Result<_, _>>()?;
                lone(PVal::Tup(Rc::new(vs)))
            }
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
                let PVal::N(c) = self.atom(scalar)? else {
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
                for ((&u, &a), &b) in leaves_of(&x)
                    .iter()
                    .zip(&leaves_of(&v1))
                    .zip(&leaves_of(&v2))
                {
                    self.equation(u, vec![(None, a), (None, b)])?;
                }
                (vec![], vec![v1, v2])
            }
            Expr::Drop { .. } => {
                // The expression's value is discarded: the linear leaves it reads from outside
                // have no effect on the results, so their adjoints are zero.
                let mut reads = Vec::new();
                expr_reads(e, &mut reads);
                let mut bound = Vec::new();
                expr_bound(e, &mut bound);
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
            Expr::Block(b) => {
                let b: &Block = b;
                self.block(b)?
            }
            Expr::Call { func, nl, lin, .. } => {
                let h = self
                    .prog
                    .func(*func)
                    .ok_or("a call of a function that does not exist")?;
                let args = if self.opaque {
                    // As the lowering passes them: a residual argument as one term.
                    if nl.len() != h.params.len() {
                        return Err("a call with another number of arguments".into());
                    }
                    let mut args = Vec::new();
                    for (a, p) in nl.iter().zip(&h.params) {
                        let v = match a {
                            Atom::Var(v) => self
                                .low
                                .get(v.id.0 as usize)
                                .cloned()
                                .flatten()
                                .ok_or("an argument the lowering did not bind")?,
                            Atom::Lit(x, _) => Val::N(self.dag.num(*x)),
                        };
                        flatten(self.dag, &v, &p.ty, true, &mut args)?;
                    }
                    args
                } else {
                    self.scalars(nl)?
                };
                let mut xs = Vec::new();
                for a in lin {
                    xs.extend(leaves_of(&self.atom(a)?));
                }
                let vl: Vec<PVal> = h.lresults.iter().map(|t| self.fresh(t)).collect();
                let outs: Vec<u32> = vl.iter().flat_map(leaves_of).collect();
                if outs.len() != size(&h.lresults) {
                    return Err("a call's linear results have another shape".into());
                }
                for (j, &u) in xs.iter().enumerate() {
                    let mut terms = Vec::with_capacity(outs.len());
                    for (k, &v) in outs.iter().enumerate() {
                        let sym = coefficient_symbol(self.tag, &h.name, k, j);
                        let c = self.dag.fun(&sym, args.clone());
                        terms.push((Some(c), v));
                    }
                    self.equation(u, terms)?;
                }
                (vec![], vl)
            }
        })
    }
}
