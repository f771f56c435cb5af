//! The kernel's one sweep over a function's bindings, in order (the prover's construction,
//! `rewrite::equiv::{lower, derivative, adjoint}`, written again so that the kernel trusts
//! neither). At each binding it at once:
//!
//! - **lowers** it: a nonlinear scalar is a term, a linear one a leaf with its **row** of
//!   coefficients over the linear inputs (scale multiplies, `+` adds, `dup` shares, `zero` is
//!   the empty row: the sweep is the linearity check); in `grad` mode a nonlinear scalar also
//!   carries its gradient row from the derivative column alone (the reference Jacobian);
//!   calls are modular symbols `tag:g#k`, `tag:g#k@i`, `tag:g#dk@i`, named when they are made
//!   as the verified claims about `g` say ([`Names`]: the earlier program's symbols);
//! - **types** it (strict mode, SPEC §2; a value's shape is its type): each atom on the side
//!   its construct needs (a binder's side is its spelling), a primitive's arity, a call's
//!   arguments against the callee's declared signature (the callee defined above), a linear
//!   add of one shape, the declared results; every linear binder used once, every nonlinear
//!   one at least once (the certificate's binder types are `semantics::local_types`', `mod.rs`);
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

/// How a call's symbol `from(args)` is named when it is made: a verified claim about the
/// callee says it equals a symbol of the earlier program (`claims.rs` adds the entry, under
/// `from`, once the claim is proved; nothing is rewritten afterwards).
pub enum Name {
    /// `from(x..) = to(x..)`.
    Same(String),
    /// A split function's linear half at the residuals of its first half:
    /// `from(r_1(x..), .., r_m(x..)) = to(x..)`, the `r_j` the first half's residual symbols
    /// (`to`, then the `r_j`); at other arguments the symbol keeps its own name.
    AtResiduals(String, Vec<String>),
    /// A coefficient that does not depend on the inputs (its linear half has no residuals):
    /// `from(x..) = to()` for all `x..`.
    Constant(String),
}

pub type Names = HashMap<String, Name>;

/// A program, the tag of its function symbols (`P`, `J`, `U`, `T`), and the functions over
/// the leaf budget ([`refused`]), which are never lowered.
pub struct Prog {
    pub p: Program,
    pub tag: &'static str,
    pub refused: HashSet<String>,
    /// Names to positions, the last of duplicates as `func_named` (a scan per call was
    /// quadratic in the number of functions); `p` is never changed after [`Prog::new`].
    index: HashMap<String, FuncId>,
}

/// The lowering's budgets for a program: `LEAF_BASE + LEAF_PER_NODE·|P|` scalar leaves and
/// `ROW_BASE + ROW_PER_NODE·|P|` row entries.
pub const LEAF_BASE: u128 = 1 << 13;
pub const LEAF_PER_NODE: u128 = 4;
pub const ROW_BASE: u128 = 1 << 14;
pub const ROW_PER_NODE: u128 = 32;
/// The message of a function over a budget (`E0808` where a claim on it is called proved).
pub const OVER_BUDGET: &str = "over the lowering's leaf budget";

fn total<'t>(ts: impl IntoIterator<Item = &'t Type>, size: &dyn Fn(&Type) -> u128) -> u128 {
    ts.into_iter().fold(0u128, |n, t| n.saturating_add(size(t)))
}

/// The scalar leaves a lowering of `f` makes from types rather than from its text: its
/// parameters and results, each callee's signature at each call, each `zero`. A type is a DAG
/// of aliases (a call DAG's residual has `2^d` leaves): these are what may blow up.
/// `size` counts a type's leaves (`Type::size` here; the prover's tuple mode counts a residual
/// as one). The second count bounds the **row entries**: every leaf's row is over `f`'s
/// linear input leaves (a function without linear parts: its gradient rows, over its
/// nonlinear ones), and a call makes a symbol per result and argument leaf of the callee. A
/// tuple `n` wide costs `n²` of these in `n` of text.
pub fn leaf_count(p: &Program, f: &FnDef, size: &dyn Fn(&Type) -> u128) -> (u128, u128) {
    let ty = |ps: &[semantics::Param]| total(ps.iter().map(|p| &p.ty), size);
    let sig = |g: &FnDef| {
        let ps = g.params.iter().chain(&g.lparams).map(|p| &p.ty);
        total(ps.chain(&g.results).chain(&g.lresults), size)
    };
    let symbols = |g: &FnDef| {
        let nl = total(&g.results, size).saturating_mul(ty(&g.params).saturating_add(1));
        nl.saturating_add(total(&g.lresults, size).saturating_mul(ty(&g.lparams)))
    };
    let (mut n, mut rows) = (sig(f), 0u128);
    semantics::each_expr(&f.body, &mut |e| match e {
        Expr::Call { func, .. } => {
            let g = p.func(*func);
            n = n.saturating_add(g.map_or(0, sig));
            rows = rows.saturating_add(g.map_or(0, symbols));
        }
        Expr::Zero { ty, .. } => n = n.saturating_add(size(ty)),
        _ => {}
    });
    let nl = f.lparams.is_empty() && f.lresults.is_empty();
    let width = ty(if nl { &f.params } else { &f.lparams }).saturating_add(1);
    let made = n
        .saturating_add(semantics::fn_size(f))
        .saturating_mul(width);
    (n, rows.saturating_add(made))
}

/// The functions of `p` over a budget, in program order: `f` is refused when the leaves (or
/// row entries) of the functions accepted before it plus its own exceed it. The producer
/// refuses the same ones (their claims `unknown`), so both lowerings stay linear in the
/// programs' size.
pub fn refused(p: &Program, size: &dyn Fn(&Type) -> u128) -> HashSet<String> {
    let text = p.funcs.iter().map(semantics::fn_size).sum::<u128>();
    let budget = |base: u128, per: u128| base.saturating_add(per.saturating_mul(text));
    let (leaves, rows) = (
        budget(LEAF_BASE, LEAF_PER_NODE),
        budget(ROW_BASE, ROW_PER_NODE),
    );
    let (mut used, mut out) = ((0u128, 0u128), HashSet::new());
    for f in &p.funcs {
        let (n, r) = leaf_count(p, f, size);
        let now = (used.0.saturating_add(n), used.1.saturating_add(r));
        match now.0 > leaves || now.1 > rows {
            true => drop(out.insert(f.name.clone())),
            false => used = now,
        }
    }
    out
}

impl Prog {
    pub fn new(p: Program, tag: &'static str) -> Prog {
        let refused = refused(&p, &Type::size);
        let index = (p.funcs.iter().enumerate()).map(|(i, f)| (f.name.clone(), FuncId(i as u32)));
        let index = index.collect();
        Prog {
            p,
            tag,
            refused,
            index,
        }
    }
    pub fn func(&self, name: &str) -> Option<&FnDef> {
        self.p.func(*self.index.get(name)?)
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

impl Val {
    fn leaf(&self) -> u32 {
        if let Val::L(l, _) = self { *l } else { !0 }
    }
    fn term(&self) -> Id {
        if let Val::N(t, _) = self { *t } else { 0 }
    }
    fn row(&self) -> Row {
        match self {
            Val::N(_, r) | Val::L(_, r) => r.clone(),
            Val::Tup(_) => Row::default(),
        }
    }
    fn items(&self) -> Option<&[Val]> {
        let Val::Tup(vs) = self else { return None };
        Some(vs)
    }
}

/// A lowered function: its result terms and gradient rows, its linear results' rows, every
/// binder's value by slot, the result leaves, the adjoint equations, the number of leaves.
#[derive(Clone)]
pub struct Lowered {
    pub nl: Vec<Id>,
    pub grads: Vec<Row>,
    pub lin: Vec<Row>,
    pub env: Rc<Vec<Option<Val>>>,
    pub outs: Vec<u32>,
    pub eqs: Rc<Vec<Equation>>,
    pub leaves: u32,
}

pub fn ok(cond: bool, why: &str) -> Res<()> {
    cond.then_some(()).ok_or_else(|| why.to_string())
}

const SIDE: &str = "a linear value in a nonlinear position, or the reverse";

/// The scalar leaves of `vs`, in order (nonlinear ones, or linear ones when `linear`).
fn leaves<'v>(vs: impl IntoIterator<Item = &'v Val>, linear: bool) -> Res<Vec<Val>> {
    let (mut out, mut stack) = (Vec::new(), vs.into_iter().collect::<Vec<_>>());
    stack.reverse();
    while let Some(v) = stack.pop() {
        match (v, linear) {
            (Val::Tup(items), _) => stack.extend(items.iter().rev()),
            (Val::N(..), false) | (Val::L(..), true) => out.push(v.clone()),
            _ => return Err(SIDE.into()),
        }
    }
    Ok(out)
}

/// The components of a type ([`Type::components`]) or of a value ([`Val::items`]).
type Parts<T> = fn(&T) -> Option<&[T]>;

/// A value with the tuple structure of `t` (a type or a value), its leaves from `it`.
fn shape<T>(t: &T, parts: Parts<T>, it: &mut dyn FnMut() -> Val) -> Val {
    match parts(t) {
        None => it(),
        Some(ts) => Val::Tup(Rc::new(
            ts.iter().map(|t| deep(|| shape(t, parts, it))).collect(),
        )),
    }
}

/// Values with the structures of `like`, their leaves `zs` in order.
fn fill<T>(like: &[T], parts: Parts<T>, zs: impl IntoIterator<Item = Val>) -> Vec<Val> {
    let mut zs = zs.into_iter();
    let mut next = || zs.next().unwrap_or(Val::Tup(Rc::default()));
    like.iter().map(|t| shape(t, parts, &mut next)).collect()
}

/// The input symbols of `f`'s nonlinear parameter leaves (`x`, `v.0`, `v.1`).
pub fn inputs(dag: &mut Dag, f: &FnDef) -> Vec<Id> {
    // One buffer for the path (a chain of aliases is as deep as the program is long: a string
    // made per level would be quadratic in it).
    fn names(name: &mut String, ty: &Type, out: &mut Vec<String>) {
        let Some(ts) = ty.components() else {
            return out.push(name.clone());
        };
        for (i, t) in ts.iter().enumerate() {
            let len = name.len();
            name.push_str(&format!(".{i}"));
            deep(|| names(name, t, out));
            name.truncate(len);
        }
    }
    let mut out = Vec::new();
    (f.params.iter()).for_each(|p| names(&mut f.name_of(p.var).into(), &p.ty, &mut out));
    out.iter().map(|n| dag.add(n, Vec::new())).collect()
}

pub fn size<'t>(tys: impl IntoIterator<Item = &'t Type>) -> usize {
    usize::try_from(total(tys, &Type::size)).unwrap_or(usize::MAX)
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
    let real = |ps: &str| Vec::from_iter(ps.split(',').map(|p| format!("{}: R", p.trim())));
    let ps = Vec::from_iter(
        rest[open + 1..close]
            .split(';')
            .map(|ps| real(ps).join(", ")),
    );
    let (name, ps) = (rest[..open].trim(), ps.join(" ; "));
    let src = format!("def {name}.{kw}({ps}) -> ({results}) = {body}");
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
        let (name, bad) = (format!("{}.d", row.name), "does not parse");
        let fits = |f: &FnDef| f.params.len() == row.arity && f.name == name;
        out.push(match col {
            Some(Some(p)) if matches!(&p.funcs[..], [f] if fits(f)) => Some(Prog::new(p, "d")),
            None => None,
            _ => return Err(format!("the derivative column of `{}` {bad}", row.name)),
        });
    }
    Ok(out)
}

/// One sweep of `f`: the tables it reads, and its state: values and uses per slot, leaves,
/// equations, and how deep inside `drop` it is (no leaves or equations there).
struct Lower<'a> {
    dag: &'a mut Dag,
    columns: &'a [Option<Prog>],
    names: &'a Names,
    prog: &'a Prog,
    f: &'a FnDef,
    grad: bool,
    env: Vec<Option<Val>>,
    uses: Vec<u32>,
    leaves: u32,
    eqs: Vec<Equation>,
    dropped: u32,
}

/// The values have the shapes of the declared types (aliases unfolded; a shared tuple met
/// again at one alias is checked once, so a shared value costs no more than the text).
fn fits<'t>(vs: &[Val], ts: impl IntoIterator<Item = &'t Type>) -> Res<()> {
    let ts: Vec<&Type> = ts.into_iter().collect();
    let why = "values of other types than declared";
    ok(vs.len() == ts.len(), why)?;
    let (mut seen, mut stack) = (HashSet::new(), vs.iter().zip(ts).collect::<Vec<_>>());
    while let Some((v, t)) = stack.pop() {
        if let (Val::Tup(items), Type::Named(a)) = (v, t)
            && !seen.insert((Rc::as_ptr(items), std::sync::Arc::as_ptr(a)))
        {
            continue;
        }
        match (v, t.components()) {
            (Val::Tup(vs), Some(ts)) if vs.len() == ts.len() => stack.extend(vs.iter().zip(ts)),
            (Val::N(..) | Val::L(..), None) => {}
            _ => return Err(why.into()),
        }
    }
    Ok(())
}

/// Two linear values have one shape (the type of a linear value is its shape; linear values
/// share no tuples, so this walk is as long as the values).
fn same_shape(a: &Val, b: &Val) -> bool {
    let mut stack = vec![(a, b)];
    while let Some(pair) = stack.pop() {
        match pair {
            (Val::Tup(x), Val::Tup(y)) if x.len() == y.len() => stack.extend(x.iter().zip(&**y)),
            (Val::L(..), Val::L(..)) => {}
            _ => return false,
        }
    }
    true
}

type Vals = (Vec<Val>, Vec<Val>);
/// Per output leaf, its terms `(factor, input leaf)` (`None`: the factor 1).
type Matrix = Vec<Vec<(Option<Id>, usize)>>;

fn diag(n: usize, c: Option<Id>) -> Matrix {
    (0..n).map(|i| vec![(c, i)]).collect()
}

/// `f` of `prog` lowered, its nonlinear parameter leaves bound to `at` (and, in `grad` mode,
/// unit gradients), its linear parameter leaves to unit rows (`columns`: the derivative
/// column of each primitive, for `grad` mode; `names`: how its calls' symbols are named).
pub fn lower(
    dag: &mut Dag,
    (columns, names): (&[Option<Prog>], &Names),
    prog: &Prog,
    f: &FnDef,
    at: &[Id],
    grad: bool,
) -> Res<Lowered> {
    let linear = !(f.lparams.is_empty() && f.lresults.is_empty());
    let why = "a function with linear parts has no gradient";
    ok(!(grad && linear), why)?;
    let (env, uses) = (vec![None; f.locals.len()], vec![0; f.locals.len()]);
    let sweep = Lower {
        dag,
        columns,
        names,
        prog,
        f,
        grad,
        env,
        uses,
        leaves: 0,
        eqs: Vec::new(),
        dropped: 0,
    };
    sweep.run(at)
}

impl Lower<'_> {
    fn run(mut self, at: &[Id]) -> Res<Lowered> {
        let (f, grad, one) = (self.f, self.grad, self.dag.num(1.0));
        let unit = |k: usize| Rc::new(vec![(k as u32, one)]);
        let (mut k, ps) = (0, f.params.iter().map(|p| (p, false)));
        for (p, linear) in ps.chain(f.lparams.iter().map(|p| (p, true))) {
            let v = shape(&p.ty, Type::components, &mut || match linear {
                true => self.leaf(unit(self.leaves as usize)),
                false => {
                    k += 1;
                    let g = if grad { unit(k - 1) } else { Row::default() };
                    Val::N(*at.get(k - 1).unwrap_or(&one), g)
                }
            });
            ok(f.is_linear(p.var) == linear, "a binder of the wrong sort")?;
            self.set(p.var, v)?;
        }
        ok(k == at.len(), "another number of inputs")?;
        let (vn, vl) = self.block(&f.body)?;
        fits(&vn, &f.results).and(fits(&vl, &f.lresults))?;
        // Strict multiplicities (a derivative column may ignore a parameter).
        let bad = |(x, &n): (usize, &u32)| n == 0 || (f.locals[x].linear && n != 1);
        if let Some(x) = self.uses.iter().enumerate().position(bad)
            && self.prog.tag != "d"
        {
            let x = f.name_of(LocalId(x as u32));
            return Err(format!("`{x}` is not used as its sort requires"));
        }
        let (ns, ls) = (leaves(&vn, false)?, leaves(&vl, true)?);
        Ok(Lowered {
            nl: ns.iter().map(Val::term).collect(),
            grads: ns.iter().map(Val::row).collect(),
            lin: ls.iter().map(Val::row).collect(),
            outs: ls.iter().map(Val::leaf).collect(),
            env: Rc::new(self.env),
            eqs: Rc::new(self.eqs),
            leaves: self.leaves,
        })
    }

    fn leaf(&mut self, row: Row) -> Val {
        let live = self.dropped == 0;
        self.leaves += u32::from(live);
        Val::L(if live { self.leaves - 1 } else { u32::MAX }, row)
    }

    fn set(&mut self, x: LocalId, v: Val) -> Res<()> {
        let slot = self.env.get_mut(x.0 as usize).filter(|s| s.is_none());
        *slot.ok_or("a binder bound twice, or without a slot")? = Some(v);
        Ok(())
    }

    fn block(&mut self, b: &Block) -> Res<Vals> {
        let f = self.f;
        for bind in &b.binds {
            let (xs, vs) = match bind {
                Bind::Let { nl, lin, rhs, .. } => {
                    let (vn, vl) = self.expr(rhs)?;
                    let n = (vn.len() == nl.len() && vl.len() == lin.len()).then_some(nl.len());
                    let n = n.ok_or("a `let` binds another number of values")?;
                    let xs: Vec<LocalId> = nl.iter().chain(lin).copied().collect();
                    let sides = xs
                        .iter()
                        .enumerate()
                        .all(|(i, x)| f.is_linear(*x) == (i >= n));
                    ok(sides, "a binder of the wrong sort")?;
                    (xs, [vn, vl].concat())
                }
                Bind::Unpack { binders, src, .. } => {
                    let l = f.is_linear(src.id);
                    let Val::Tup(items) = &self.atom(&Atom::Var(*src), l)? else {
                        return Err("a destructure of a value that is not a tuple".into());
                    };
                    let sides = binders.iter().all(|x| f.is_linear(*x) == l);
                    let why = "a destructure of another size or sort";
                    ok(items.len() == binders.len() && sides, why)?;
                    (binders.clone(), items.to_vec())
                }
            };
            xs.into_iter()
                .zip(vs)
                .try_for_each(|(x, v)| self.set(x, v))?;
        }
        self.expr(&b.tail)
    }

    /// A variable's value, used once more; it must be on the side `linear` says.
    fn atom(&mut self, a: &Atom, linear: bool) -> Res<Val> {
        let v = match a {
            Atom::Var(v) if self.f.is_linear(v.id) == linear => v.id,
            Atom::Lit(x, _) if !linear => return Ok(Val::N(self.dag.num(*x), Row::default())),
            _ => return Err(SIDE.into()),
        };
        let (n, unbound) = (self.uses.get_mut(v.0 as usize), "an unbound variable");
        let n = n.ok_or(unbound)?;
        *n = n.saturating_add(1);
        ok(!(linear && *n > 1), "a linear variable used twice")?;
        self.env[v.0 as usize].clone().ok_or(unbound.into())
    }

    fn atoms(&mut self, xs: &[Atom], linear: bool) -> Res<Vec<Val>> {
        xs.iter().map(|a| self.atom(a, linear)).collect()
    }

    /// The linear leaves `z_o = Σ c·u_i` (`m[o]`) over the leaves `us`, with the adjoint
    /// equations `A_{u_i} = Σ_o c·A_{z_o}`.
    fn linear(&mut self, us: &[Val], m: Matrix) -> Vec<Val> {
        let (one, mut eqs, mut out) = (self.dag.num(1.0), vec![Vec::new(); us.len()], Vec::new());
        for z in &m {
            let terms = z
                .iter()
                .filter_map(|&(c, i)| Some((c.unwrap_or(one), us.get(i)?)));
            let (cs, rs): (Vec<Id>, Vec<Row>) = terms.map(|(c, u)| (c, u.row())).unzip();
            let row = self.chain(&cs, &rs);
            let v = self.leaf(row);
            z.iter().for_each(|&(c, i)| eqs[i].push((c, v.leaf())));
            out.push(v);
        }
        for (u, terms) in us.iter().zip(eqs) {
            if let (Val::L(u, _), 0) = (u, self.dropped) {
                self.eqs.push((*u, terms));
            }
        }
        out
    }

    fn expr(&mut self, e: &Expr) -> Res<Vals> {
        let lone = |v| Ok((vec![], vec![v]));
        match e {
            Expr::Ret { nl, lin, .. } => Ok((self.atoms(nl, false)?, self.atoms(lin, true)?)),
            Expr::Tuple { items, .. } => {
                Ok((vec![Val::Tup(Rc::new(self.atoms(items, false)?))], vec![]))
            }
            Expr::LTuple { items, .. } => lone(Val::Tup(Rc::new(self.atoms(items, true)?))),
            Expr::Prim { prim, args, .. } => {
                let prims = PrimTable::standard();
                let arity = prims.get(*prim).map(|p| p.arity);
                let why = "a primitive applied to another number of arguments";
                ok(arity == Some(args.len()), why)?;
                let mut xs = Vec::new();
                for a in args {
                    match &self.atom(a, false)? {
                        Val::N(id, g) => xs.push((*id, g.clone())),
                        _ => return Err("a tuple where a real is expected".into()),
                    }
                }
                let (xs, gs): (Vec<Id>, Vec<Row>) = xs.into_iter().unzip();
                let y = self.dag.add(prims.name(*prim), xs.clone());
                if !self.grad {
                    return Ok((vec![Val::N(y, Row::default())], vec![]));
                }
                let no = || format!("`{}` has no derivative column", prims.name(*prim));
                let col = self.columns.get(prim.0 as usize).and_then(Option::as_ref);
                let col = col.ok_or_else(no)?;
                let d = col.p.funcs.first().ok_or_else(no)?;
                let partials = lower(self.dag, (&[], &Names::new()), col, d, &xs, false)?.nl;
                Ok((vec![Val::N(y, self.chain(&partials, &gs))], vec![]))
            }
            Expr::LAdd { lhs, rhs, .. } => {
                let (a, b) = (self.atom(lhs, true)?, self.atom(rhs, true)?);
                ok(same_shape(&a, &b), "a linear add of values of two types")?;
                // Interleaved (`a_0, b_0, a_1, ..`): the equations in the prover's order.
                let (la, lb) = (leaves([&a], true)?, leaves([&b], true)?);
                let us: Vec<Val> = la.into_iter().zip(lb).flat_map(|(x, y)| [x, y]).collect();
                let m = (0..us.len() / 2).map(|i| vec![(None, 2 * i), (None, 2 * i + 1)]);
                Ok((
                    vec![],
                    fill(&[a], Val::items, self.linear(&us, m.collect())),
                ))
            }
            Expr::Scale { scalar, lin, .. } => {
                let c = match self.atom(scalar, false)? {
                    Val::N(c, _) => c,
                    _ => return Err("a tuple where a real is expected".into()),
                };
                let x = self.atom(lin, true)?;
                let us = leaves([&x], true)?;
                let zs = self.linear(&us, diag(us.len(), Some(c)));
                Ok((vec![], fill(&[x], Val::items, zs)))
            }
            Expr::Zero { ty, .. } => lone(shape(ty, Type::components, &mut || {
                self.leaf(Row::default())
            })),
            Expr::Dup { arg, .. } => {
                let x = self.atom(arg, true)?;
                let us = leaves([&x], true)?;
                let m = [diag(us.len(), None), diag(us.len(), None)].concat();
                Ok((
                    vec![],
                    fill(&[x.clone(), x], Val::items, self.linear(&us, m)),
                ))
            }
            Expr::Drop { body, .. } => {
                // Discarded: the linear leaves it reads from outside have zero adjoints.
                let (mut reads, mut bound, mut seen) = (Vec::new(), Vec::new(), HashSet::new());
                semantics::expr_reads(e, &mut reads);
                semantics::expr_bound(e, &mut bound);
                let outside = reads.into_iter().filter(|x| !bound.contains(x));
                for x in outside.filter(|x| seen.insert(*x)) {
                    let v = self.env.get(x.0 as usize).cloned().flatten();
                    let us = v.map(|v| leaves([&v], true).unwrap_or_default());
                    self.linear(&us.unwrap_or_default(), Vec::new());
                }
                self.dropped += 1;
                self.block(body)?;
                self.dropped -= 1;
                Ok((vec![], vec![]))
            }
            Expr::Block(b) => self.block(b),
            Expr::Call { func, nl, lin, .. } => self.call(*func, nl, lin),
        }
    }

    fn call(&mut self, func: FuncId, nl: &[Atom], lin: &[Atom]) -> Res<Vals> {
        let me = self
            .prog
            .index
            .get(&self.f.name)
            .map_or(0, |id| id.0 as usize);
        let g = self.prog.p.func(func).filter(|_| (func.0 as usize) < me);
        let g = g.ok_or("a call of a function not defined above")?;
        let (vn, vl) = (self.atoms(nl, false)?, self.atoms(lin, true)?);
        fits(&vn, g.params.iter().map(|p| &p.ty))
            .and(fits(&vl, g.lparams.iter().map(|p| &p.ty)))?;
        let (args, us) = (leaves(&vn, false)?, leaves(&vl, true)?);
        let (xs, gs): (Vec<Id>, Vec<Row>) = args.iter().map(|a| (a.term(), a.row())).unzip();
        let (tag, name, names) = (self.prog.tag, g.name.as_str(), self.names);
        let sym = |dag: &mut Dag, s: String| symbol(dag, names, format!("{tag}:{name}#{s}"), &xs);
        let mut ks = Vec::new();
        for k in 0..size(&g.results) {
            let y = sym(self.dag, k.to_string());
            let ps = (0..xs.len()).map(|i| sym(self.dag, format!("d{k}@{i}")));
            ks.push((y, ps.collect::<Vec<_>>()));
        }
        let mut m: Matrix = Vec::new();
        for k in 0..size(&g.lresults) {
            let row = (0..us.len()).map(|i| (Some(sym(self.dag, format!("{k}@{i}"))), i));
            m.push(row.collect());
        }
        let ks = ks.into_iter().map(|(y, ps)| match self.grad {
            true => Val::N(y, self.chain(&ps, &gs)),
            false => Val::N(y, Row::default()),
        });
        let vn = fill(&g.results, Type::components, ks);
        Ok((vn, fill(&g.lresults, Type::components, self.linear(&us, m))))
    }

    /// `Σ_k factor_k · row_k`: the chain rule, and every linear construct's rows (the
    /// factors are scale factors, which the ring normal form first reads as atoms).
    fn chain(&mut self, factors: &[Id], rows: &[Row]) -> Row {
        let terms = factors.iter().zip(rows).filter(|(_, r)| !r.is_empty());
        let terms: Vec<(Option<Id>, Row)> = terms.map(|(&c, r)| (Some(c), r.clone())).collect();
        self.dag.factors.extend(terms.iter().filter_map(|t| t.0));
        combine(self.dag, terms.into_iter())
    }
}

/// The call symbol `from(xs)`, named as `names` says.
fn symbol(dag: &mut Dag, names: &Names, from: String, xs: &[Id]) -> Id {
    match names.get(&from) {
        None => dag.add(&from, xs.to_vec()),
        Some(Name::Same(to)) => dag.add(to, xs.to_vec()),
        Some(Name::Constant(to)) => dag.add(to, Vec::new()),
        Some(Name::AtResiduals(to, rs)) => {
            // `xs` are `r_1(ys), .., r_m(ys)` for one `ys`: the residuals of one call.
            let ys = xs.first().map(|&k| dag.node(k).kids.clone());
            let ys = ys.unwrap_or_default();
            let of = |(&x, r): (&Id, &String)| dag.node(x).op == *r && dag.node(x).kids == ys;
            if xs.len() == rs.len() && xs.iter().zip(rs).all(of) {
                dag.add(to, ys)
            } else {
                dag.add(&from, xs.to_vec())
            }
        }
    }
}

/// `Σ c·row` over `terms` (`None`: the factor 1), entry by entry: the rows' linear combination.
fn combine(dag: &mut Dag, terms: impl Iterator<Item = (Option<Id>, Row)>) -> Row {
    let mut acc: BTreeMap<u32, Id> = BTreeMap::new();
    for (c, row) in terms {
        for &(k, a) in row.iter() {
            let t = c.map_or(a, |c| dag.mul(c, a));
            let s = acc.get(&k).map_or(t, |&r| dag.sum(r, t));
            acc.insert(k, s);
        }
    }
    Rc::new(acc.into_iter().collect())
}

/// The transpose claim **binding by binding** (the adjoint pairing). Every linear leaf `v` of
/// `g` gets a row `A_v` over `g`'s output cotangents: an input leaf `i` the row `T[i]` that
/// `g.T` returns, an output leaf `k` the unit row, any other the row of its cotangent in
/// `g.T` (`a'` ↦ `a_ct'`: a hint; any rows would do). With `N_v` the forward row of `v`,
/// `Φ = Σ_{v live} N_v[i]·A_v[k]` is `T[i][k]` before the body and `F[k][i]` after it, and
/// each equation `A_u = Σ L_vu·A_v` keeps it: one obligation per equation and cotangent, the
/// rows `A_v` atoms. Together they prove `T = Fᵀ`.
pub fn pairing(dag: &mut Dag, g: &FnDef, low: &Lowered, gt: (&FnDef, &Lowered)) -> Res<Pairs> {
    let (n_in, (gt, gt_low)) = (size(g.lparams.iter().map(|p| &p.ty)), gt);
    let why = "the transpose returns another number of cotangents";
    ok(gt_low.lin.len() == n_in, why)?;
    // Each leaf's hint: the row of the same leaf of its first binder's cotangent in `g.T`.
    let slot = |x: usize| LocalId(x as u32);
    let by_name: HashMap<&str, usize> = (0..gt.locals.len())
        .map(|y| (gt.name_of(slot(y)), y))
        .collect();
    let mut hints: HashMap<u32, Row> = HashMap::new();
    for (x, v) in low.env.iter().enumerate() {
        let name = format!("{}_ct'", g.name_of(slot(x)).trim_end_matches('\''));
        let w = by_name
            .get(name.as_str())
            .and_then(|&y| gt_low.env.get(y)?.as_ref());
        let mut stack: Vec<(&Val, &Val)> = v.iter().zip(w).collect();
        while let Some(pair) = stack.pop() {
            match pair {
                (Val::L(l, _), Val::L(_, r)) => drop(hints.entry(*l).or_insert_with(|| r.clone())),
                (Val::Tup(a), Val::Tup(b)) => stack.extend(a.iter().zip(b.iter())),
                _ => {}
            }
        }
    }
    let (one, zero) = (dag.num(1.0), dag.num(0.0));
    let unit = |k: usize| Rc::new(vec![(k as u32, one)]);
    let (mut rows, mut checks) = (Vec::new(), Vec::new());
    for l in 0..low.leaves {
        let out = low.outs.iter().position(|&o| o == l);
        rows.push(match ((l as usize) < n_in, out) {
            (true, out) => {
                // An input returned as it is: its cotangent must be the unit row.
                checks.extend(out.map(|k| (l as usize, unit(k))));
                Some(gt_low.lin[l as usize].clone())
            }
            (false, Some(k)) => Some(unit(k)),
            (false, None) => hints.get(&l).cloned(),
        });
    }
    // A leaf with no cotangent of its own in `g.T` (merged into a sum's, or a zero one
    // dropped) gets the row its consuming equation gives, `Σ L_vu·A_v` (any rows will do):
    // in reverse program order, so that the rows of the leaves it produces are known.
    for (u, terms) in low.eqs.iter().rev() {
        if rows.get(*u as usize).is_some_and(Option::is_none) {
            let rs = terms
                .iter()
                .filter_map(|&(c, v)| Some((c, rows.get(v as usize)?.clone()?)));
            rows[*u as usize] = Some(combine(dag, rs.collect::<Vec<_>>().into_iter()));
        }
    }
    let rows = (rows.into_iter().enumerate())
        .map(|(l, r)| r.ok_or_else(|| format!("linear leaf {l} has no cotangent in `{}`", gt.name)))
        .collect::<Res<Vec<Row>>>()?;
    let ks = |rs: &[&Row]| BTreeSet::from_iter(rs.iter().flat_map(|r| r.iter().map(|e| e.0)));
    let mut out = Vec::new();
    for (l, unit) in checks {
        for k in ks(&[&rows[l], &unit]) {
            let (a, b) = (coefficient(&rows[l], k), coefficient(&unit, k));
            let what = format!("input leaf {l} at cotangent {k}");
            out.push((what, a.unwrap_or(zero), b.unwrap_or(zero), Vec::new()));
        }
    }
    for (u, terms) in low.eqs.iter() {
        let au = rows
            .get(*u as usize)
            .ok_or("an equation of a leaf that does not exist")?;
        let vs = terms.iter().filter_map(|(_, v)| rows.get(*v as usize));
        let all: Vec<&Row> = std::iter::once(au).chain(vs).collect();
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
            let (what, lhs) = (
                format!("adjoint of leaf {u} at cotangent {k}"),
                coefficient(au, k),
            );
            out.push((what, lhs.unwrap_or(zero), rhs.unwrap_or(zero), atoms));
        }
    }
    Ok(out)
}
