//! Hessian-vector products: forward over reverse, `H v = JVP(∇f)(x; v)`.
//!
//! For a function `f(xs) -> (R)` of a nonlinear program:
//! 1. [`vjp`] gives `f.jvp.nonlin` and `f.jvp.lin.T`;
//! 2. [`forget`] makes that program nonlinear (the linear half becomes ordinary arithmetic);
//! 3. a generated `f.grad(xs) -> (R, Us)` runs both halves with cotangent `1.0`, returning the
//!    value and the gradient;
//! 4. [`jvp`] of the whole program gives `f.grad.jvp(xs ; vs') -> (R, Us ; R, Us)`, whose
//!    linear results are `<∇f, v>` and `H v`.
//!
//! Every step is one of the checked passes, so the HVP program type-checks strictly and its
//! work is a constant factor of `W(f)`. A Hessian is `n` HVPs along the basis directions; it is
//! offered for `n ≤` [`HESSIAN_LIMIT`] parameter scalars (the CLI refuses more).

use crate::build::{FnBuilder, atom, atoms};
use crate::error::{RewriteError, internal};
use crate::{Policy, forget, jvp, vjp};
use semantics::*;

/// The largest number of parameter scalars `lina hessian` takes.
pub const HESSIAN_LIMIT: u128 = 32;

/// The forward-over-reverse program of one function.
pub struct Hvp {
    /// A nonlinear program whose function [`Hvp::func`] is `f.grad.jvp`.
    pub program: Program,
    pub func: FuncId,
    /// The parameter types of `f` (the shapes of the gradient, direction and HVP).
    pub params: Vec<Type>,
}

/// One evaluation of `f.grad.jvp`.
#[derive(Clone, Debug)]
pub struct HvpValue {
    pub value: Vec<Value>,
    pub gradient: Vec<Value>,
    /// `<∇f(x), v>`: the tangent of the value.
    pub directional: Value,
    pub hvp: Vec<Value>,
    pub work: u128,
}

impl Hvp {
    /// Builds the HVP program of `func` (which must have a single real result).
    pub fn new(prog: &Program, prims: &PrimTable, func: FuncId) -> Result<Hvp, RewriteError> {
        let f = prog
            .func(func)
            .ok_or_else(|| internal("no such function"))?;
        if f.results != [Type::Real] || !f.lresults.is_empty() {
            return Err(RewriteError::NotScalar {
                func: f.name.clone(),
                span: f.name_span,
            });
        }
        let v = vjp(prog, prims, Policy::SaveAll)?;
        let (nonlin, lin_t) = v
            .halves(func.0 as usize)
            .ok_or_else(|| internal("a scalar function was not split"))?;
        let mut forgotten = forget(&v.program, prims)?;
        let name = format!("{}.grad", f.name);
        if forgotten.func_named(&name).is_some() || prog.func_named(&name).is_some() {
            return Err(RewriteError::NameClash {
                name,
                span: f.name_span,
            });
        }
        let lin_t_arity = v
            .program
            .func(lin_t)
            .map(|g| (g.params.len(), g.lparams.len()));
        if lin_t_arity != Some((1, 1)) {
            return Err(internal(
                "a transposed half without one residual and one cotangent",
            ));
        }
        forgotten.funcs.push(grad_fn(f, name, nonlin, lin_t));
        let program = jvp(&forgotten, prims)?;
        Ok(Hvp {
            func: FuncId((program.funcs.len() - 1) as u32),
            program,
            params: f.params.iter().map(|p| p.ty.clone()).collect(),
        })
    }

    /// The value, gradient and `H v` at `x` along `v` (both shaped like the parameters).
    pub fn at(&self, prims: &PrimTable, x: &[Value], v: &[Value]) -> Result<HvpValue, EvalError> {
        let out = eval_fn(&self.program, prims, self.func, x, v)?;
        let (mut nl, mut lin) = (out.nl, out.lin);
        let gradient = nl.split_off(1.min(nl.len()));
        let hvp = lin.split_off(1.min(lin.len()));
        Ok(HvpValue {
            value: nl,
            gradient,
            directional: lin.pop().unwrap_or(Value::Real(f64::NAN)),
            hvp,
            work: out.work,
        })
    }

    /// The number of parameter scalars, `n` (the Hessian is `n × n`).
    pub fn dimension(&self) -> u128 {
        self.params.iter().map(Type::size).sum()
    }

    /// The Hessian at `x`, row `i` holding `∂²f / ∂x_i ∂x_j` over the parameters' leaves in
    /// order: column `j` is `H e_j`.
    pub fn hessian(&self, prims: &PrimTable, x: &[Value]) -> Result<Vec<Vec<f64>>, EvalError> {
        let n = self.dimension() as usize;
        let cols = (0..n)
            .map(|j| {
                Ok(numeric::leaves(
                    &self.at(prims, x, &basis(&self.params, j))?.hvp,
                ))
            })
            .collect::<Result<Vec<_>, EvalError>>()?;
        Ok((0..n)
            .map(|i| {
                cols.iter()
                    .map(|c| c.get(i).copied().unwrap_or(f64::NAN))
                    .collect()
            })
            .collect())
    }
}

/// The `k`-th basis direction over values of `types`: every leaf zero but leaf `k`.
pub fn basis(types: &[Type], k: usize) -> Vec<Value> {
    let mut next = 0usize;
    types.iter().map(|t| one_hot(t, k, &mut next)).collect()
}

fn one_hot(t: &Type, k: usize, next: &mut usize) -> Value {
    match t.components() {
        None => {
            *next += 1;
            Value::Real(if *next - 1 == k { 1.0 } else { 0.0 })
        }
        Some(ts) => Value::tuple(ts.iter().map(|t| one_hot(t, k, next)).collect()),
    }
}

/// `def f.grad(xs) -> (R, Us) = let (y, r) = f.jvp.nonlin(xs) in let (gs) = f.jvp.lin.T(r, 1.0) in (y, gs)`,
/// over the forgotten halves.
fn grad_fn(f: &FnDef, name: String, nonlin: FuncId, lin_t: FuncId) -> FnDef {
    let mut out = FnBuilder::new();
    let params: Vec<Param> = f
        .params
        .iter()
        .map(|p| Param {
            var: out.named(f.name_of(p.var), false),
            ty: p.ty.clone(),
        })
        .collect();
    let xs: Vec<LocalId> = params.iter().map(|p| p.var).collect();
    let y = out.fresh("value", false);
    let r = out.fresh("residuals", false);
    let gs: Vec<LocalId> = f
        .params
        .iter()
        .map(|p| out.fresh(&format!("d{}", f.name_of(p.var)), false))
        .collect();
    let g = Span::GENERATED;
    let binds = vec![
        Bind::Let {
            nl: vec![y, r],
            lin: Vec::new(),
            rhs: Expr::Call {
                func: nonlin,
                nl: atoms(&xs),
                lin: Vec::new(),
                span: g,
            },
            span: g,
        },
        Bind::Let {
            nl: gs.clone(),
            lin: Vec::new(),
            rhs: Expr::Call {
                func: lin_t,
                nl: vec![atom(r), Atom::Lit(1.0, g)],
                lin: Vec::new(),
                span: g,
            },
            span: g,
        },
    ];
    let mut results = vec![Type::Real];
    results.extend(params.iter().map(|p| p.ty.clone()));
    FnDef {
        name,
        checkpoint: false,
        name_span: f.name_span,
        params,
        lparams: Vec::new(),
        results,
        lresults: Vec::new(),
        locals: out.locals,
        body: Block {
            binds,
            tail: Expr::Ret {
                nl: std::iter::once(atom(y)).chain(atoms(&gs)).collect(),
                lin: Vec::new(),
                span: g,
            },
        },
        span: f.span,
    }
}
