//! Lowering a function to terms, and its **linear forms**, in one sweep over its bindings.
//!
//! Every nonlinear scalar becomes a hash-consed term of the [`Dag`] (one node per binding,
//! never a tree expansion). Every linear scalar becomes a [`Row`]: its coefficients over the
//! function's linear input scalars, `Σ_i c_i · u_i`, each `c_i` a nonlinear term. Scale
//! multiplies a row's coefficients, `+` adds rows, `dup` shares one, `zero` is the empty row;
//! so the sweep *is* the linearity claim: a linear value can only ever be a row, and a row in
//! a nonlinear position is an error ([`LowerError`]). Calls are modular: a callee's results
//! are the function symbols `P:g#k` and its coefficients `P:g#k@i`, applied to the call's
//! nonlinear arguments, never the callee's body.
//!
//! The sweep is a loop over a block's bindings; it recurses only into nested blocks (bounded
//! by the parser).

use super::dag::{Dag, Def};
use semantics::*;
use std::collections::BTreeMap;
use std::rc::Rc;

/// A linear scalar: `(linear input leaf, coefficient)`, sorted by input, no repeats.
pub type Row = Rc<Vec<(u32, egg::Id)>>;

/// A value of the sweep: a nonlinear scalar, a linear scalar, a tuple, or (under
/// [`Lowerer::opaque`]) a residual as one tuple-valued term of its named type.
#[derive(Clone, Debug)]
pub enum Val {
    N(egg::Id),
    L(Row),
    Tup(Rc<Vec<Val>>),
    O(egg::Id, Type),
}

impl Drop for Val {
    /// Values nest as deep as types do (an alias chain as long as the program): the last
    /// reference to a tuple is dropped on a stack that grows on demand.
    fn drop(&mut self) {
        if let Val::Tup(items) = self {
            semantics::drop_nested(items);
        }
    }
}

/// What lowering refuses: programs that are not well-typed (the checker runs first, so
/// these are faults of a transformation under test, reported as data).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LowerError {
    pub func: String,
    pub message: String,
}

/// The value of each binder of a function, by slot (`None`: not bound on the way, as in the
/// body of a `drop`).
pub type Env = Vec<Option<Val>>;

/// A lowered function: its nonlinear result leaves and its linear result rows.
#[derive(Clone, Debug)]
pub struct Lowered {
    pub nl: Vec<egg::Id>,
    pub lin: Vec<Row>,
}

impl Val {
    pub fn leaves_n(&self, out: &mut Vec<egg::Id>) -> Result<(), String> {
        let mut stack = vec![self];
        let mut rev = Vec::new();
        while let Some(v) = stack.pop() {
            match v {
                Val::N(id) => rev.push(*id),
                Val::L(_) => return Err("a linear value in a nonlinear position".into()),
                Val::Tup(items) => stack.extend(items.iter().rev()),
                Val::O(..) => return Err("a residual term flattened without its type".into()),
            }
        }
        out.extend(rev);
        Ok(())
    }

    pub fn leaves_l(&self, out: &mut Vec<Row>) -> Result<(), String> {
        let mut stack = vec![self];
        while let Some(v) = stack.pop() {
            match v {
                Val::L(r) => out.push(r.clone()),
                Val::N(_) | Val::O(..) => {
                    return Err("a nonlinear value in a linear position".into());
                }
                Val::Tup(items) => stack.extend(items.iter().rev()),
            }
        }
        Ok(())
    }
}

/// Builds a value of type `ty` from leaves, in order.
fn shape<T: Clone>(
    ty: &Type,
    leaves: &mut impl Iterator<Item = T>,
    mk: &impl Fn(T) -> Val,
) -> Option<Val> {
    match ty.components() {
        None => leaves.next().map(mk),
        Some(ts) => {
            let items = ts
                .iter()
                .map(|t| semantics::deep(|| shape(t, leaves, mk)))
                .collect::<Option<Vec<_>>>()?;
            Some(Val::Tup(Rc::new(items)))
        }
    }
}

/// Whether a nonlinear value of `ty` is one tuple-valued term: a residual type (named by
/// unzip, `f.res`; see `crate::unzip::residual_type_name`) when `on`.
pub fn opaque(ty: &Type, on: bool) -> bool {
    on && matches!(ty, Type::Named(a) if a.name.ends_with(".res"))
}

/// The number of nonlinear leaves of values of `tys` (a residual is one leaf when `on`),
/// saturating. Each alias is counted once (a DAG of aliases has `2^d` leaves in `d` lines),
/// by a loop: an alias chain is as deep as the program is long.
pub fn nl_size(tys: &[Type], on: bool) -> usize {
    if !on {
        return size(tys);
    }
    enum Step<'t> {
        Visit(&'t Type),
        Sum(usize),
        Alias(*const TypeAlias),
    }
    let mut memo = std::collections::HashMap::new();
    let (mut todo, mut done) = (vec![Step::Sum(tys.len())], Vec::<usize>::new());
    todo.extend(tys.iter().rev().map(Step::Visit));
    while let Some(step) = todo.pop() {
        match step {
            Step::Visit(t) if opaque(t, on) => done.push(1),
            Step::Visit(Type::Real) => done.push(1),
            Step::Visit(Type::Named(a)) => match memo.get(&std::sync::Arc::as_ptr(a)) {
                Some(&n) => done.push(n),
                None => todo.extend([Step::Alias(std::sync::Arc::as_ptr(a)), Step::Visit(&a.def)]),
            },
            Step::Visit(Type::Tuple(ts)) => {
                todo.push(Step::Sum(ts.len()));
                todo.extend(ts.iter().rev().map(Step::Visit));
            }
            Step::Sum(k) => {
                let items = done.drain(done.len().saturating_sub(k)..);
                let n = items.fold(0, usize::saturating_add);
                done.push(n);
            }
            Step::Alias(a) => drop(memo.insert(a, done.last().copied().unwrap_or(0))),
        }
    }
    done.pop().unwrap_or(0)
}

/// Builds a nonlinear value of type `ty` from leaves, in order (a residual from one leaf
/// when `on`).
fn shape_n(ty: &Type, leaves: &mut impl Iterator<Item = egg::Id>, on: bool) -> Option<Val> {
    if opaque(ty, on) {
        return leaves.next().map(|id| Val::O(id, ty.clone()));
    }
    match ty.components() {
        None => leaves.next().map(Val::N),
        Some(ts) => {
            let items = ts
                .iter()
                .map(|t| semantics::deep(|| shape_n(t, leaves, on)))
                .collect::<Option<Vec<_>>>()?;
            Some(Val::Tup(Rc::new(items)))
        }
    }
}

/// The value of type `ty` that the tuple-valued term `id` stands for: a residual stays one
/// term; a plain tuple is its components' projections (bounded by the text of `ty`).
pub fn lift(dag: &mut Dag, id: egg::Id, ty: &Type, on: bool) -> Val {
    if opaque(ty, on) {
        return Val::O(id, ty.clone());
    }
    match ty.components() {
        None => Val::N(id),
        Some(ts) => {
            let n = ts.len() as u32;
            Val::Tup(Rc::new(
                ts.iter()
                    .enumerate()
                    .map(|(k, t)| {
                        let c = dag.proj(k as u32, n, id);
                        semantics::deep(|| lift(dag, c, t, on))
                    })
                    .collect(),
            ))
        }
    }
}

/// One term for a nonlinear value of type `ty`: a scalar, a residual term, or a `tuple` node
/// of its components' terms (eta makes a re-packed residual its own term again).
fn term(dag: &mut Dag, v: &Val, ty: &Type) -> Result<egg::Id, String> {
    match v {
        Val::N(id) | Val::O(id, _) => Ok(*id),
        Val::L(_) => Err("a linear value in a nonlinear position".into()),
        Val::Tup(items) => {
            let ts = ty.components().ok_or("a tuple where a real is expected")?;
            if ts.len() != items.len() {
                return Err("a tuple of another size than its type".into());
            }
            let ids = items
                .iter()
                .zip(ts)
                .map(|(v, t)| semantics::deep(|| term(dag, v, t)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(dag.tuple(ids))
        }
    }
}

/// The nonlinear leaves of `v`, a value of type `ty`, in order: scalars, and under `on` one
/// term per residual.
pub fn flatten(
    dag: &mut Dag,
    v: &Val,
    ty: &Type,
    on: bool,
    out: &mut Vec<egg::Id>,
) -> Result<(), String> {
    if !on {
        return v.leaves_n(out);
    }
    if opaque(ty, on) {
        out.push(term(dag, v, ty)?);
        return Ok(());
    }
    match (v, ty.components()) {
        (Val::N(id), None) => out.push(*id),
        (Val::O(id, _), Some(_)) => {
            let v = lift(dag, *id, ty, on);
            semantics::deep(|| flatten(dag, &v, ty, on, out))?;
        }
        (Val::Tup(items), Some(ts)) if items.len() == ts.len() => {
            for (v, t) in items.iter().zip(ts) {
                semantics::deep(|| flatten(dag, v, t, on, out))?;
            }
        }
        (Val::L(_), _) => return Err("a linear value in a nonlinear position".into()),
        _ => return Err("a value of another shape than its type".into()),
    }
    Ok(())
}

fn leaf_names(name: &str, ty: &Type, on: bool, out: &mut Vec<String>) {
    // One buffer for the path (`x.0.1`): a name per level would make an alias chain as long
    // as the program quadratic; the recursion on nesting runs on a growing stack.
    fn go(path: &mut String, ty: &Type, on: bool, out: &mut Vec<String>) {
        match ty.components() {
            Some(ts) if !opaque(ty, on) => {
                for (i, t) in ts.iter().enumerate() {
                    let len = path.len();
                    path.push('.');
                    path.push_str(&i.to_string());
                    semantics::deep(|| go(path, t, on, out));
                    path.truncate(len);
                }
            }
            _ => out.push(path.clone()),
        }
    }
    go(&mut name.to_string(), ty, on, out)
}

/// The scalar leaves of `f`'s nonlinear parameters as input symbols (`x`, `v.0`, `v.1`).
pub fn input_symbols(dag: &mut Dag, f: &FnDef) -> Vec<egg::Id> {
    input_symbols_opaque(dag, f, false)
}

/// [`input_symbols`], where under `on` a residual parameter is one (tuple-valued) symbol.
pub fn input_symbols_opaque(dag: &mut Dag, f: &FnDef, on: bool) -> Vec<egg::Id> {
    let mut names = Vec::new();
    for p in &f.params {
        leaf_names(f.name_of(p.var), &p.ty, on, &mut names);
    }
    names.iter().map(|n| dag.input(n)).collect()
}

/// Names of the scalar leaves of `f`'s linear parameters (for printing rows).
pub fn linear_input_names(f: &FnDef) -> Vec<String> {
    let mut names = Vec::new();
    for p in &f.lparams {
        leaf_names(f.name_of(p.var), &p.ty, false, &mut names);
    }
    names
}

/// The scalar leaves of `tys`, saturating (a DAG of aliases can have `2^100`).
pub fn size(tys: &[Type]) -> usize {
    let leaves = |t: &Type| usize::try_from(t.size()).unwrap_or(usize::MAX);
    tys.iter().map(leaves).fold(0, usize::saturating_add)
}

/// The function symbol of result leaf `k` of `g` in the program tagged `tag`.
pub fn result_symbol(tag: &str, g: &str, k: usize) -> String {
    format!("{tag}:{g}#{k}")
}

/// The function symbol of the coefficient of `g`'s linear result leaf `k` at linear input `i`.
pub fn coefficient_symbol(tag: &str, g: &str, k: usize, i: usize) -> String {
    format!("{tag}:{g}#{k}@{i}")
}

pub struct Lowerer<'a> {
    pub dag: &'a mut Dag,
    pub prims: &'a PrimTable,
    pub prog: &'a Program,
    /// Names the program in function symbols (`P`, `J`, ...), so that two programs' `f` differ.
    pub tag: &'a str,
    /// A residual (a value of a named residual type) is one tuple-valued term, projected
    /// where it is destructured, instead of its scalar leaves (`Limits::tuples`): a call DAG
    /// whose residuals nest has 2^n residual scalars but a lowering linear in its size.
    pub opaque: bool,
    /// The simplifier's mode: a call with linear arguments is kept as a call (its linear
    /// results become new linear leaves, `Cuts::calls` records its argument rows) instead of
    /// being expanded into the callee's coefficient symbols, which nonlinear code cannot
    /// compute. `None` everywhere else.
    pub cuts: Option<Cuts>,
}

/// Calls with linear arguments kept as calls ([`Lowerer::cuts`]).
#[derive(Clone, Debug, Default)]
pub struct Cuts {
    pub calls: Vec<LinCall>,
    /// The next linear leaf number (the function's own linear inputs come first).
    pub next: u32,
}

/// One call kept by [`Cuts`]: `g(nl ; lin)`, whose linear result leaves are the linear
/// leaves `first ..` of the function's rows.
#[derive(Clone, Debug)]
pub struct LinCall {
    pub func: String,
    /// The nonlinear argument leaves.
    pub nl: Vec<egg::Id>,
    /// The row of each linear argument leaf.
    pub lin: Vec<Row>,
    pub first: u32,
    pub count: u32,
}

impl Lowerer<'_> {
    /// Lowers `f` with its nonlinear parameter leaves bound to `inputs` and its linear
    /// parameter leaves to the unit rows `u_0, u_1, ...`.
    pub fn lower(&mut self, f: &FnDef, inputs: &[egg::Id]) -> Result<Lowered, LowerError> {
        self.lower_env(f, inputs).map(|(low, _)| low)
    }

    /// [`Lowerer::lower`], with the value of every binder of `f` (indexed by slot): the
    /// adjoint pairing ([`super::adjoint`]) reads the terms and rows of named binders.
    pub fn lower_env(
        &mut self,
        f: &FnDef,
        inputs: &[egg::Id],
    ) -> Result<(Lowered, Env), LowerError> {
        self.lower_inner(f, inputs).map_err(|message| LowerError {
            func: f.name.clone(),
            message,
        })
    }

    fn lower_inner(&mut self, f: &FnDef, inputs: &[egg::Id]) -> Result<(Lowered, Env), String> {
        let mut env: Vec<Option<Val>> = vec![None; f.locals.len()];
        let mut it = inputs.iter().copied();
        for p in &f.params {
            let v = shape_n(&p.ty, &mut it, self.opaque).ok_or("too few inputs")?;
            set(&mut env, p.var, v)?;
        }
        let one = self.dag.num(1.0);
        let mut k = 0u32;
        let mut units = std::iter::from_fn(|| {
            k += 1;
            Some(Rc::new(vec![(k - 1, one)]))
        });
        for p in &f.lparams {
            let v = shape(&p.ty, &mut units, &Val::L).ok_or("no linear input")?;
            set(&mut env, p.var, v)?;
        }
        if let Some(c) = &mut self.cuts {
            *c = Cuts {
                calls: Vec::new(),
                next: size(&f.lparams.iter().map(|p| p.ty.clone()).collect::<Vec<_>>()) as u32,
            };
        }
        let (nl, lin) = self.block(f, &f.body, &mut env)?;
        let mut out = Lowered {
            nl: Vec::new(),
            lin: Vec::new(),
        };
        if self.opaque && nl.len() != f.results.len() {
            return Err("a function returns another number of values than its type".into());
        }
        for (v, ty) in nl.iter().zip(&f.results) {
            flatten(self.dag, v, ty, self.opaque, &mut out.nl)?;
        }
        if !self.opaque {
            for v in nl.iter().skip(f.results.len()) {
                v.leaves_n(&mut out.nl)?;
            }
        }
        for v in &lin {
            v.leaves_l(&mut out.lin)?;
        }
        Ok((out, env))
    }

    /// Lowers `f` with input symbols and records its meaning in the DAG's definitions (so
    /// callers' symbols `tag:f#k` and `tag:f#k@i` can be evaluated).
    pub fn lower_and_define(&mut self, f: &FnDef) -> Result<(Vec<egg::Id>, Lowered), LowerError> {
        let inputs = input_symbols_opaque(self.dag, f, self.opaque);
        let low = self.lower(f, &inputs)?;
        for (k, &body) in low.nl.iter().enumerate() {
            let def = Def {
                params: inputs.clone(),
                body,
            };
            let sym = result_symbol(self.tag, &f.name, k);
            self.dag.defs.insert(sym.as_str().into(), def);
        }
        let m = size(&f.lparams.iter().map(|p| p.ty.clone()).collect::<Vec<_>>());
        let zero = self.dag.num(0.0);
        for (k, row) in low.lin.iter().enumerate() {
            for i in 0..m {
                let body = coefficient(row, i as u32).unwrap_or(zero);
                let sym = coefficient_symbol(self.tag, &f.name, k, i);
                let def = Def {
                    params: inputs.clone(),
                    body,
                };
                self.dag.defs.insert(sym.as_str().into(), def);
            }
        }
        Ok((inputs, low))
    }

    fn block(
        &mut self,
        f: &FnDef,
        b: &Block,
        env: &mut Vec<Option<Val>>,
    ) -> Result<(Vec<Val>, Vec<Val>), String> {
        for bind in &b.binds {
            match bind {
                Bind::Let { nl, lin, rhs, .. } => {
                    let (vn, vl) = self.expr(f, rhs, env)?;
                    if vn.len() != nl.len() || vl.len() != lin.len() {
                        return Err("a `let` binds a different number of values".into());
                    }
                    for (x, v) in nl.iter().zip(vn).chain(lin.iter().zip(vl)) {
                        set(env, *x, v)?;
                    }
                }
                Bind::Unpack { binders, src, .. } => {
                    let items = match &get(env, src.id)? {
                        Some(Val::Tup(items)) => items.clone(),
                        Some(Val::O(id, ty)) => {
                            let id = *id;
                            let ts = ty.components().ok_or("a destructure of a real")?;
                            let n = ts.len() as u32;
                            let mut items = Vec::with_capacity(ts.len());
                            for (k, t) in ts.iter().enumerate() {
                                let c = self.dag.proj(k as u32, n, id);
                                items.push(lift(self.dag, c, t, true));
                            }
                            Rc::new(items)
                        }
                        _ => return Err("a destructure of a value that is not a tuple".into()),
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
        self.expr(f, &b.tail, env)
    }

    fn atom(&mut self, a: &Atom, env: &[Option<Val>]) -> Result<Val, String> {
        match a {
            Atom::Var(v) => {
                get(env, v.id)?.ok_or_else(|| "a variable read before it is bound".into())
            }
            Atom::Lit(x, _) => Ok(Val::N(self.dag.num(*x))),
        }
    }

    fn scalar(&mut self, a: &Atom, env: &[Option<Val>]) -> Result<egg::Id, String> {
        match self.atom(a, env)? {
            Val::N(id) => Ok(id),
            Val::L(_) => Err("a linear value in a nonlinear position".into()),
            Val::Tup(_) | Val::O(..) => Err("a tuple where a real is expected".into()),
        }
    }

    fn expr(
        &mut self,
        f: &FnDef,
        e: &Expr,
        env: &mut Vec<Option<Val>>,
    ) -> Result<(Vec<Val>, Vec<Val>), String> {
        let one = |v: Val| (vec![v], vec![]);
        let lone = |v: Val| (vec![], vec![v]);
        Ok(match e {
            Expr::Ret { nl, lin, .. } => {
                let vn = nl
                    .iter()
                    .map(|a| self.atom(a, env))
                    .collect::<Result<_, _>>()?;
                let vl = lin
                    .iter()
                    .map(|a| self.atom(a, env))
                    .collect::<Result<_, _>>()?;
                (vn, vl)
            }
            Expr::Tuple { items, .. } => {
                let vs = items
                    .iter()
                    .map(|a| self.atom(a, env))
                    .collect::<Result<_, _>>()?;
                one(Val::Tup(Rc::new(vs)))
            }
            Expr::LTuple { items, .. } => {
                let vs = items
                    .iter()
                    .map(|a| self.atom(a, env))
                    .collect::<Result<_, _>>()?;
                lone(Val::Tup(Rc::new(vs)))
            }
            Expr::Prim { prim, args, .. } => {
                let xs = args
                    .iter()
                    .map(|a| self.scalar(a, env))
                    .collect::<Result<_, _>>()?;
                let name = self.prims.name(*prim);
                one(Val::N(self.dag.prim(name, xs)))
            }
            Expr::LAdd { lhs, rhs, .. } => {
                let a = self.atom(lhs, env)?;
                let b = self.atom(rhs, env)?;
                lone(self.ladd(&a, &b)?)
            }
            Expr::Scale { scalar, lin, .. } => {
                let c = self.scalar(scalar, env)?;
                let v = self.atom(lin, env)?;
                lone(self.scale(c, &v)?)
            }
            Expr::Zero { ty, .. } => {
                let mut empty = std::iter::repeat_with(|| Rc::new(Vec::new()));
                lone(shape(ty, &mut empty, &Val::L).ok_or("zero of no type")?)
            }
            Expr::Dup { arg, .. } => {
                let v = self.atom(arg, env)?;
                if matches!(v, Val::N(_) | Val::O(..)) {
                    return Err("dup of a nonlinear value".into());
                }
                (vec![], vec![v.clone(), v])
            }
            Expr::Drop { .. } => (vec![], vec![]),
            Expr::Block(b) => {
                let b: &Block = b;
                self.block(f, b, env)?
            }
            Expr::Call { func, nl, lin, .. } => self.call(*func, nl, lin, env)?,
        })
    }

    fn call(
        &mut self,
        func: FuncId,
        nl: &[Atom],
        lin: &[Atom],
        env: &[Option<Val>],
    ) -> Result<(Vec<Val>, Vec<Val>), String> {
        let g = self
            .prog
            .func(func)
            .ok_or("a call of a function that does not exist")?;
        let mut args = Vec::new();
        if self.opaque {
            if nl.len() != g.params.len() {
                return Err("a call with another number of arguments".into());
            }
            for (a, p) in nl.iter().zip(&g.params) {
                let v = self.atom(a, env)?;
                flatten(self.dag, &v, &p.ty, true, &mut args)?;
            }
        } else {
            for a in nl {
                self.atom(a, env)?.leaves_n(&mut args)?;
            }
        }
        let mut rows = Vec::new();
        for a in lin {
            self.atom(a, env)?.leaves_l(&mut rows)?;
        }
        if let Some(cuts) = &mut self.cuts
            && rows.iter().any(|r| !r.is_empty())
        {
            if !g.results.is_empty() {
                return Err("a call with linear arguments and nonlinear results".into());
            }
            let count = size(&g.lresults) as u32;
            if count == 0 {
                // No linear result: nothing reads it (a call has no effect), as when expanded.
                let mut none = std::iter::empty();
                let vl = g
                    .lresults
                    .iter()
                    .map(|t| shape(t, &mut none, &Val::L).ok_or("linear result shape"))
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok((Vec::new(), vl));
            }
            let first = cuts.next;
            cuts.next += count;
            cuts.calls.push(LinCall {
                func: g.name.clone(),
                nl: args,
                lin: rows,
                first,
                count,
            });
            let one = self.dag.num(1.0);
            let mut units = (first..first + count).map(|j| Rc::new(vec![(j, one)]));
            let vl = g
                .lresults
                .iter()
                .map(|t| shape(t, &mut units, &Val::L).ok_or("linear result shape"))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok((Vec::new(), vl));
        }
        let n = nl_size(&g.results, self.opaque);
        let mut leaves = (0..n).map(|k| {
            let sym = result_symbol(self.tag, &g.name, k);
            self.dag.fun(&sym, args.clone())
        });
        let leaves: Vec<egg::Id> = leaves.by_ref().collect();
        let mut it = leaves.into_iter();
        let vn = g
            .results
            .iter()
            .map(|t| shape_n(t, &mut it, self.opaque).ok_or("result shape"))
            .collect::<Result<Vec<_>, _>>()?;
        let m = size(&g.lresults);
        let mut out_rows = Vec::with_capacity(m);
        for k in 0..m {
            let mut acc: BTreeMap<u32, egg::Id> = BTreeMap::new();
            for (i, row) in rows.iter().enumerate() {
                if row.is_empty() {
                    continue;
                }
                let sym = coefficient_symbol(self.tag, &g.name, k, i);
                let c = self.dag.fun(&sym, args.clone());
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
            .map(|t| shape(t, &mut it, &Val::L).ok_or("linear result shape"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((vn, vl))
    }

    fn ladd(&mut self, a: &Val, b: &Val) -> Result<Val, String> {
        match (a, b) {
            (Val::L(x), Val::L(y)) => Ok(Val::L(self.add_rows(x, y))),
            (Val::Tup(xs), Val::Tup(ys)) if xs.len() == ys.len() => {
                let vs = xs
                    .iter()
                    .zip(ys.iter())
                    .map(|(x, y)| self.ladd(x, y))
                    .collect::<Result<_, _>>()?;
                Ok(Val::Tup(Rc::new(vs)))
            }
            _ => Err("a linear add of values that are not linear of one type".into()),
        }
    }

    pub fn add_rows(&mut self, x: &Row, y: &Row) -> Row {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::with_capacity(x.len() + y.len());
        while i < x.len() || j < y.len() {
            match (x.get(i), y.get(j)) {
                (Some(&(a, c)), Some(&(b, d))) if a == b => {
                    out.push((a, self.dag.sum(c, d)));
                    i += 1;
                    j += 1;
                }
                (Some(&(a, c)), Some(&(b, _))) if a < b => {
                    out.push((a, c));
                    i += 1;
                }
                (Some(&(a, c)), None) => {
                    out.push((a, c));
                    i += 1;
                }
                (_, Some(&(b, d))) => {
                    out.push((b, d));
                    j += 1;
                }
                (None, None) => break,
            }
        }
        Rc::new(out)
    }

    fn scale(&mut self, c: egg::Id, v: &Val) -> Result<Val, String> {
        self.dag.factors.insert(c);
        match v {
            Val::L(r) => Ok(Val::L(Rc::new(
                r.iter().map(|&(i, x)| (i, self.dag.mul(c, x))).collect(),
            ))),
            Val::Tup(items) => {
                let vs = items
                    .iter()
                    .map(|x| self.scale(c, x))
                    .collect::<Result<_, _>>()?;
                Ok(Val::Tup(Rc::new(vs)))
            }
            Val::N(_) | Val::O(..) => Err("a scale of a nonlinear value".into()),
        }
    }
}

/// The coefficient of input `i` in `row` (`None`: zero).
pub fn coefficient(row: &Row, i: u32) -> Option<egg::Id> {
    row.binary_search_by_key(&i, |&(j, _)| j)
        .ok()
        .map(|k| row[k].1)
}

fn set(env: &mut [Option<Val>], x: LocalId, v: Val) -> Result<(), String> {
    let slot = env.get_mut(x.0 as usize).ok_or("a binder with no slot")?;
    *slot = Some(v);
    Ok(())
}

fn get(env: &[Option<Val>], x: LocalId) -> Result<Option<Val>, String> {
    env.get(x.0 as usize)
        .cloned()
        .ok_or_else(|| "a variable with no slot".into())
}
