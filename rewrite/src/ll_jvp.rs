//! Linearization in λLL: each `f(xs) -> (ρs)` of a nonlinear program becomes
//! `def f.jvp : ![X] ⊸ ![ρ1] ⊗ ... ⊗ ![ρk] ⊗ !(X' ⊸ Y')`: the primal results and the linear
//! map as a first-class closure, whose captured environment plays the role of the residuals.
//! No unzip step: there is no residual tuple, no `.nonlin`/`.lin` pair and no Linear B
//! program; the closure captures exactly the free variables of the tangent code.
//!
//! The pass starts from Linear A's JVP ([`crate::jvp`]: the primitive table's rules inlined,
//! dups inserted) and places each of its bindings in one of the two halves of the λLL term
//! as it encodes it ([`crate::linear_a_to_ll`]): a nonlinear binding before the closure, a
//! linear one inside it; a call `g.jvp(as ; ts)` becomes `let (!ys, !l) = g.jvp ARGS` before
//! and `l TS` inside (the callee's map, applied once); `drop(e)` sends e's parts to their
//! halves and drops its linear results inside. One sweep per function.

use crate::error::{RewriteError, internal};
use crate::linear_a_to_ll::{Encoder, LlFn, bang_of, bind, canonical, pack_pat, var};
use semantics::ll::{self, Atom as LAtom, Block as LBlock, Expr as LExpr, *};
use semantics::{Atom, Bind, Block, Expr, FnDef, FuncId, PrimTable, Program, Span, Value};
use std::rc::Rc;

/// The λLL JVP of a nonlinear Linear A program: one `f.jvp` per function, same positions.
pub fn ll_jvp(prog: &Program, prims: &PrimTable) -> Result<LlProgram, RewriteError> {
    let j = crate::jvp(prog, prims)?;
    let defs = j
        .funcs
        .iter()
        .map(|f| jvp_def(f, &j))
        .collect::<Result<Vec<_>, _>>()?;
    canonical(LlProgram { defs })
}

/// Reverse mode in λLL: [`ll_jvp`] then [`crate::ll_transpose`], each `f.jvp` returning its
/// primal results and the transposed map `!(Y' ⊸ X')`.
pub fn ll_vjp(prog: &Program, prims: &PrimTable) -> Result<LlProgram, RewriteError> {
    crate::ll_transpose(&ll_jvp(prog, prims)?)
}

/// A gradient computed through λLL.
#[derive(Clone, Debug)]
pub struct LlGrad {
    /// The primal results.
    pub value: Vec<Value>,
    /// One cotangent per nonlinear parameter.
    pub gradient: Vec<Value>,
    /// Work of the forward application plus that of the transposed map's application.
    pub work: u128,
}

fn pack_values(vs: &[Value]) -> LlValue {
    match vs {
        [v] => ll::from_value(v),
        _ => LlValue::tuple(vs.iter().map(ll::from_value).collect()),
    }
}

fn unpack_values(v: &LlValue, n: usize) -> Option<Vec<Value>> {
    if n == 1 {
        return Some(vec![ll::to_value(v)?]);
    }
    match v {
        LlValue::Tuple(items) if items.len() == n => items.iter().map(ll::to_value).collect(),
        _ => None,
    }
}

/// Runs `f.jvp` of a [`ll_vjp`] program at `args` and its transposed map at `cts`.
pub fn ll_grad(
    vjp: &LlProgram,
    f: FuncId,
    args: &[Value],
    cts: &[Value],
) -> Result<LlGrad, LlEvalError> {
    let bad = |m: &str| LlEvalError {
        message: m.to_string(),
        span: Span::GENERATED,
    };
    let fwd = ll::eval_def(vjp, DefId(f.0), pack_values(args))?;
    let LlValue::Tuple(items) = &fwd.value else {
        return Err(bad("`f.jvp` did not return a tuple"));
    };
    let Some((map, primal)) = items.split_last() else {
        return Err(bad("`f.jvp` returned no map"));
    };
    let value = primal
        .iter()
        .map(ll::to_value)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| bad("a primal result is a closure"))?;
    let back = ll::apply(vjp, map, pack_values(cts))?;
    let gradient =
        unpack_values(&back.value, args.len()).ok_or_else(|| bad("cotangents of another shape"))?;
    Ok(LlGrad {
        value,
        gradient,
        work: fwd.work + back.work,
    })
}

fn jvp_def(f: &FnDef, prog: &Program) -> Result<Def, RewriteError> {
    let mut b = LlFn::from_locals(f);
    let p = b.fresh("p", false);
    let t = b.fresh("t", false);
    let nl: Vec<Slot> = f.params.iter().map(|q| Slot(q.var.0)).collect();
    let lin: Vec<Slot> = f.lparams.iter().map(|q| Slot(q.var.0)).collect();
    let ptys: Vec<_> = f.params.iter().map(|q| q.ty.clone()).collect();
    let x_ty = multi_type(&ptys, &[]);
    let dx_ty = single_or_tensor(f.lparams.iter().map(|q| linear_type(&q.ty)).collect());
    let dy_ty = single_or_tensor(f.lresults.iter().map(linear_type).collect());
    let mut out_tys: Vec<LType> = f
        .results
        .iter()
        .map(|t| LType::bang(nonlinear_type(t)))
        .collect();
    out_tys.push(LType::bang(LType::lolli(dx_ty.clone(), dy_ty)));
    let mut s = Split {
        b: &mut b,
        prog,
        primal: vec![bind(pack_pat(&nl, &[]), LExpr::Atom(var(p)))],
        tangent: vec![bind(pack_pat(&[], &lin), LExpr::Atom(var(t)))],
    };
    s.binds(&f.body)?;
    let (ys, dys) = s.tail(&f.body.tail)?;
    let mut boxes = Vec::with_capacity(ys.len() + 1);
    for y in &ys {
        let bx = s.b.fresh("b", false);
        s.primal.push(bind(Pat::Lin(bx), bang_of(LExpr::Atom(*y))));
        boxes.push(var(bx));
    }
    let dtail = match dys.as_slice() {
        [d] => LExpr::Atom(*d),
        _ => LExpr::Tuple(dys.clone(), Span::GENERATED),
    };
    let map = Lam {
        param: t,
        ty: dx_ty,
        body: LBlock {
            binds: std::mem::take(&mut s.tangent),
            tail: dtail,
        },
        captures: Vec::new(),
    };
    let m = s.b.fresh("map", false);
    s.primal.push(bind(
        Pat::Lin(m),
        bang_of(LExpr::Lam(Rc::new(map), Span::GENERATED)),
    ));
    boxes.push(var(m));
    let body = LBlock {
        binds: std::mem::take(&mut s.primal),
        tail: LExpr::Tuple(boxes, Span::GENERATED),
    };
    let lam = Lam {
        param: p,
        ty: x_ty.clone(),
        body,
        captures: Vec::new(),
    };
    Ok(Def {
        name: f.name.clone(),
        ty: LType::lolli(x_ty, LType::Tensor(out_tys)),
        slots: b.slots,
        body: LBlock::of(LExpr::Lam(Rc::new(lam), Span::GENERATED)),
        span: f.span,
    })
}

/// The two halves under construction: bindings before the closure and inside it.
struct Split<'a> {
    b: &'a mut LlFn,
    prog: &'a Program,
    primal: Vec<ll::Bind>,
    tangent: Vec<ll::Bind>,
}

fn slots(xs: &[semantics::LocalId]) -> Vec<Slot> {
    xs.iter().map(|x| Slot(x.0)).collect()
}

impl Split<'_> {
    /// The number of nonlinear and linear results of an expression of the JVP.
    fn arity(&self, e: &Expr) -> Result<(usize, usize), RewriteError> {
        Ok(match e {
            Expr::Ret { nl, lin, .. } => (nl.len(), lin.len()),
            Expr::Tuple { .. } | Expr::Prim { .. } => (1, 0),
            Expr::LTuple { .. } | Expr::LAdd { .. } | Expr::Scale { .. } | Expr::Zero { .. } => {
                (0, 1)
            }
            Expr::Dup { .. } => (0, 2),
            Expr::Drop { .. } => (0, 0),
            Expr::Call { func, .. } => {
                let g = self
                    .prog
                    .func(*func)
                    .ok_or_else(|| internal("a call of a function that does not exist"))?;
                (g.results.len(), g.lresults.len())
            }
            Expr::Block(b) => self.arity(&b.tail)?,
        })
    }

    fn binds(&mut self, b: &Block) -> Result<(), RewriteError> {
        for s in &b.binds {
            match s {
                Bind::Let { nl, lin, rhs, .. } => self.let_(&slots(nl), &slots(lin), rhs)?,
                Bind::Unpack { binders, src, .. } => {
                    let intuitionistic = self
                        .b
                        .slots
                        .get(src.id.0 as usize)
                        .is_some_and(|s| s.intuitionistic);
                    let pat = Pat::Tensor(
                        binders
                            .iter()
                            .map(|x| (Slot(x.0), intuitionistic))
                            .collect(),
                    );
                    let rhs = LExpr::Atom(LAtom::Var(Slot(src.id.0), src.span));
                    let half = if intuitionistic {
                        &mut self.primal
                    } else {
                        &mut self.tangent
                    };
                    half.push(bind(pat, rhs));
                }
            }
        }
        Ok(())
    }

    /// The tail's primal and tangent atoms.
    fn tail(&mut self, e: &Expr) -> Result<(Vec<LAtom>, Vec<LAtom>), RewriteError> {
        if let Expr::Ret { nl, lin, .. } = e {
            let conv = |xs: &[Atom]| xs.iter().map(crate::linear_a_to_ll::atom).collect();
            return Ok((conv(nl), conv(lin)));
        }
        let (n, m) = self.arity(e)?;
        let ys: Vec<Slot> = (0..n).map(|_| self.b.fresh("y", true)).collect();
        let dys: Vec<Slot> = (0..m).map(|_| self.b.fresh("dy", false)).collect();
        self.let_(&ys, &dys, e)?;
        Ok((
            ys.into_iter().map(var).collect(),
            dys.into_iter().map(var).collect(),
        ))
    }

    /// `let (nl ; lin) = e`, its primal part before the closure, its tangent part inside.
    fn let_(&mut self, nl: &[Slot], lin: &[Slot], e: &Expr) -> Result<(), RewriteError> {
        match e {
            Expr::Block(b) => {
                self.binds(b)?;
                self.let_(nl, lin, &b.tail)
            }
            Expr::Drop { body, .. } => {
                self.binds(body)?;
                let (_, dys) = self.tail(&body.tail)?;
                // Nonlinear results are weakened away (Γ); linear ones are dropped inside.
                for d in dys {
                    self.tangent
                        .push(bind(Pat::Tensor(vec![]), LExpr::Drop(d, Span::GENERATED)));
                }
                Ok(())
            }
            Expr::Call {
                func,
                nl: args,
                lin: targs,
                span,
            } => {
                let l = self.b.fresh("map", true);
                let arg = Encoder { b: self.b }.pack_atom(args, &[], &mut self.primal);
                let mut pat: Vec<(Slot, bool)> = nl.iter().map(|x| (*x, true)).collect();
                pat.push((l, true));
                self.primal.push(bind(
                    Pat::Tensor(pat),
                    LExpr::App(LAtom::Global(DefId(func.0), *span), arg, *span),
                ));
                let targ = Encoder { b: self.b }.pack_atom(&[], targs, &mut self.tangent);
                self.tangent
                    .push(bind(pack_pat(&[], lin), LExpr::App(var(l), targ, *span)));
                Ok(())
            }
            Expr::Ret { nl: a, lin: t, .. } => {
                if !nl.is_empty() || !a.is_empty() {
                    let e = Encoder { b: self.b }.pack(a, &[], &mut self.primal);
                    self.primal.push(bind(pack_pat(nl, &[]), e));
                }
                if !lin.is_empty() || !t.is_empty() {
                    let e = Encoder { b: self.b }.pack(&[], t, &mut self.tangent);
                    self.tangent.push(bind(pack_pat(&[], lin), e));
                }
                Ok(())
            }
            Expr::Prim { .. } | Expr::Tuple { .. } => {
                let e = Encoder { b: self.b }.expr(e, &mut self.primal)?;
                self.primal.push(bind(pack_pat(nl, &[]), e));
                Ok(())
            }
            Expr::LTuple { .. }
            | Expr::LAdd { .. }
            | Expr::Scale { .. }
            | Expr::Zero { .. }
            | Expr::Dup { .. } => {
                let e = Encoder { b: self.b }.expr(e, &mut self.tangent)?;
                self.tangent.push(bind(pack_pat(&[], lin), e));
                Ok(())
            }
        }
    }
}
