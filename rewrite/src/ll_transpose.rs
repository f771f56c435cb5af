//! Transposition in λLL: a linear map `fun (t : A) { body } : A ⊸ B` becomes
//! `fun (c : B) { body^T } : B ⊸ A`, acting on the closure term itself: no unzip, no Linear B.
//!
//! The map's body is linear code: each linear variable is bound once and used once, so each
//! cotangent is defined exactly once, in one backward sweep. The dualities (one table, the
//! same as Linear A's `transpose.rs`):
//!
//! | forward binding | transposed binding |
//! | --- | --- |
//! | `let x = a + b` | `let (ct_a, ct_b) = dup ct_x` |
//! | `let (x1, x2) = dup a` | `let ct_a = ct_x1 + ct_x2` |
//! | `let x = s * a` (s from Γ) | `let ct_a = s * ct_x` |
//! | `let x = zero[V]` | `let () = drop ct_x` |
//! | `let () = drop a` (a : V) | `let ct_a = zero[V]` |
//! | `let x = (a1, ..., an)` | `let (ct_a1, ..., ct_an) = ct_x` |
//! | `let (x1, ..., xn) = a` | `let ct_a = (ct_x1, ..., ct_xn)` |
//! | `let x = a` | `ct_a` is `ct_x` (no code) |
//! | `let x = l a` (l : A ⊸ B from Γ, a callee's map or a global) | `let ct_a = l ct_x` (l now the callee's transposed map) |
//!
//! [`ll_transpose`] transposes every definition that is a linear map (type `V ⊸ W` on tangent
//! types: an encoded linear function), and every linear map bound at the top of the other
//! definitions' function bodies (the closures of [`crate::ll_jvp`]), and swaps `!(A ⊸ B)` to `!(B ⊸ A)` in the definition's
//! result type, so calls of a transposed callee get its transposed map. Applied twice it gives
//! back the program (extensionally; the suites check it).

use crate::error::RewriteError;
use crate::linear_a_to_ll::{LlFn, bind, canonical, var};
use semantics::Span;
use semantics::ll::{Atom, Block, Def, Expr, LType, Lam, LlProgram, Pat, Slot};
use std::collections::HashMap;
use std::rc::Rc;

fn outside(what: impl Into<String>) -> RewriteError {
    RewriteError::NotInLlFragment {
        what: what.into(),
        span: Span::GENERATED,
    }
}

pub fn ll_transpose(prog: &LlProgram) -> Result<LlProgram, RewriteError> {
    let checked = checker::ll::check(prog, Default::default()).map_err(RewriteError::IllTyped)?;
    let mut defs = Vec::with_capacity(prog.defs.len());
    for (d, types) in prog.defs.iter().zip(&checked.types) {
        defs.push(transpose_def(d, types)?);
    }
    canonical(LlProgram { defs })
}

fn is_map(l: &Lam) -> bool {
    l.ty.is_tangent()
}

fn swap_maps(t: &LType) -> LType {
    match t {
        LType::Bang(a) => match &**a {
            LType::Lolli(x, y) if x.is_tangent() && y.is_tangent() => {
                LType::bang(LType::lolli((**y).clone(), (**x).clone()))
            }
            _ => t.clone(),
        },
        LType::Tensor(ts) => LType::Tensor(ts.iter().map(swap_maps).collect()),
        _ => t.clone(),
    }
}

fn transpose_def(d: &Def, types: &[Option<LType>]) -> Result<Def, RewriteError> {
    let mut out = d.clone();
    let Expr::Lam(top, span) = &d.body.tail else {
        return Ok(out);
    };
    if !d.body.binds.is_empty() {
        return Ok(out);
    }
    let mut b = LlFn::from_slots(d.slots.clone());
    // A definition that is itself a linear map (an encoded linear function) transposes whole;
    // `1 ⊸ 1` is left alone (it has nothing to transpose, and a nonlinear function of no
    // parameters and no results has that type too).
    if let LType::Lolli(x, y) = &d.ty
        && x.is_tangent()
        && y.is_tangent()
        && !(**x == LType::one() && **y == LType::one())
    {
        let t = transpose_in(&mut b, types, top)?;
        out.body = Block::of(Expr::Lam(Rc::new(t), *span));
        out.slots = b.slots;
        out.ty = LType::lolli((**y).clone(), (**x).clone());
        return Ok(out);
    }
    if let LType::Lolli(x, y) = &d.ty
        && y.is_tangent()
        && **y != LType::one()
        && !x.is_tangent()
    {
        return Err(outside(format!(
            "`{}` is a linear function with nonlinear parameters ({}): λLL transposes closures and purely linear definitions only",
            d.name, d.ty
        )));
    }
    let mut top2 = (**top).clone();
    for bind in &mut top2.body.binds {
        let lam = match &mut bind.rhs {
            Expr::Lam(l, _) => l,
            Expr::Bang(inner, _) if inner.binds.is_empty() => match &mut inner.tail {
                Expr::Lam(l, _) => l,
                _ => continue,
            },
            _ => continue,
        };
        if is_map(lam) {
            *lam = Rc::new(transpose_in(&mut b, types, lam)?);
        }
    }
    out.body = Block::of(Expr::Lam(Rc::new(top2), *span));
    out.slots = b.slots;
    if let LType::Lolli(a, r) = &d.ty {
        out.ty = LType::lolli((**a).clone(), swap_maps(r));
    }
    Ok(out)
}

/// The transpose of one linear map `lam : A ⊸ B` of definition `def`, as a map `B ⊸ A`, given
/// the slot types of `def` (from `checker::ll::check`); its new slots are added to `def`.
pub fn transpose_lam(
    def: &mut Def,
    types: &[Option<LType>],
    lam: &Lam,
) -> Result<Lam, RewriteError> {
    let mut b = LlFn::from_slots(std::mem::take(&mut def.slots));
    let out = transpose_in(&mut b, types, lam);
    def.slots = b.slots;
    out
}

fn transpose_in(b: &mut LlFn, types: &[Option<LType>], lam: &Lam) -> Result<Lam, RewriteError> {
    let ty_of = |x: Slot| -> Result<LType, RewriteError> {
        types
            .get(x.0 as usize)
            .cloned()
            .flatten()
            .ok_or_else(|| outside("a slot without a type"))
    };
    let linear = |a: &Atom, b: &LlFn| -> Result<Slot, RewriteError> {
        match a {
            Atom::Var(x, _) if !b.slots.get(x.0 as usize).is_some_and(|s| s.intuitionistic) => {
                Ok(*x)
            }
            _ => Err(outside(
                "a literal or Γ value in a linear position of a linear map (its map would be affine)",
            )),
        }
    };
    let mut ct: HashMap<Slot, Atom> = HashMap::new();
    let mut out: Vec<semantics::ll::Bind> = Vec::new();
    let c = b.fresh("ct", false);
    let out_ty = match &lam.body.tail {
        Expr::Atom(a) => {
            let y = linear(a, b)?;
            ct.insert(y, var(c));
            ty_of(y)?
        }
        Expr::Tuple(items, _) => {
            let mut pat = Vec::with_capacity(items.len());
            let mut tys = Vec::with_capacity(items.len());
            for a in items {
                let y = linear(a, b)?;
                let name = b.name(y).to_string();
                let cy = b.fresh(&format!("{}_ct", name.trim_end_matches('\'')), false);
                ct.insert(y, var(cy));
                pat.push((cy, false));
                tys.push(ty_of(y)?);
            }
            out.push(bind(Pat::Tensor(pat), Expr::Atom(var(c))));
            LType::Tensor(tys)
        }
        _ => {
            return Err(outside(
                "a linear map whose result is not a variable or a tuple",
            ));
        }
    };
    let fresh_ct = |b: &mut LlFn, y: Slot, ct: &mut HashMap<Slot, Atom>| -> Slot {
        let name = b.name(y).trim_end_matches('\'').to_string();
        let cy = b.fresh(&format!("{name}_ct"), false);
        ct.insert(y, var(cy));
        cy
    };
    let need = |ct: &mut HashMap<Slot, Atom>, x: Slot| {
        ct.remove(&x)
            .ok_or_else(|| outside("a linear variable without a cotangent (bound but never used)"))
    };
    for s in lam.body.binds.iter().rev() {
        let g = Span::GENERATED;
        match (&s.pat, &s.rhs) {
            (Pat::Lin(x), Expr::Atom(a)) => {
                let y = linear(a, b)?;
                let cx = need(&mut ct, *x)?;
                ct.insert(y, cx);
            }
            (Pat::Tensor(xs), Expr::Atom(a)) => {
                let y = linear(a, b)?;
                let items = xs
                    .iter()
                    .map(|(x, bang)| {
                        if *bang {
                            Err(outside("a `!` pattern inside a linear map"))
                        } else {
                            need(&mut ct, *x)
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let cy = fresh_ct(b, y, &mut ct);
                out.push(bind(Pat::Lin(cy), Expr::Tuple(items, g)));
            }
            (Pat::Lin(x), Expr::Tuple(items, _)) => {
                let cx = need(&mut ct, *x)?;
                let mut pat = Vec::with_capacity(items.len());
                for a in items {
                    let y = linear(a, b)?;
                    pat.push((fresh_ct(b, y, &mut ct), false));
                }
                out.push(bind(Pat::Tensor(pat), Expr::Atom(cx)));
            }
            (Pat::Tensor(xs), Expr::Tuple(items, _)) if xs.len() == items.len() => {
                // Binding a tuple componentwise: each cotangent passes through.
                for ((x, _), a) in xs.iter().zip(items) {
                    let y = linear(a, b)?;
                    let cx = need(&mut ct, *x)?;
                    ct.insert(y, cx);
                }
            }
            (Pat::Lin(x), Expr::Add(p, q, _)) => {
                let (yp, yq) = (linear(p, b)?, linear(q, b)?);
                let cx = need(&mut ct, *x)?;
                let cp = fresh_ct(b, yp, &mut ct);
                let cq = fresh_ct(b, yq, &mut ct);
                out.push(bind(
                    Pat::Tensor(vec![(cp, false), (cq, false)]),
                    Expr::Dup(cx, g),
                ));
            }
            (Pat::Tensor(xs), Expr::Dup(a, _)) if xs.len() == 2 => {
                let y = linear(a, b)?;
                let c1 = need(&mut ct, xs[0].0)?;
                let c2 = need(&mut ct, xs[1].0)?;
                let cy = fresh_ct(b, y, &mut ct);
                out.push(bind(Pat::Lin(cy), Expr::Add(c1, c2, g)));
            }
            (Pat::Lin(x), Expr::Scale(k, a, _)) => {
                if linear(k, b).is_ok() {
                    return Err(outside("a linear scale factor"));
                }
                let y = linear(a, b)?;
                let cx = need(&mut ct, *x)?;
                let cy = fresh_ct(b, y, &mut ct);
                out.push(bind(Pat::Lin(cy), Expr::Scale(*k, cx, g)));
            }
            (Pat::Lin(x), Expr::Zero(..)) => {
                let cx = need(&mut ct, *x)?;
                out.push(bind(Pat::Tensor(vec![]), Expr::Drop(cx, g)));
            }
            (Pat::Tensor(xs), Expr::Drop(a, _)) if xs.is_empty() => {
                let y = linear(a, b)?;
                let t = ty_of(y)?;
                if !t.is_tangent() {
                    return Err(outside(format!(
                        "dropping a value of type {t} in a linear map"
                    )));
                }
                let cy = fresh_ct(b, y, &mut ct);
                out.push(bind(Pat::Lin(cy), Expr::Zero(t, g)));
            }
            (pat, Expr::App(l, a, span)) if linear(l, b).is_err() => {
                let y = linear(a, b)?;
                let input = match pat {
                    Pat::Lin(x) => need(&mut ct, *x)?,
                    Pat::Tensor(xs) => {
                        let items = xs
                            .iter()
                            .map(|(x, _)| need(&mut ct, *x))
                            .collect::<Result<Vec<_>, _>>()?;
                        let r = b.fresh("ctr", false);
                        out.push(bind(Pat::Lin(r), Expr::Tuple(items, g)));
                        var(r)
                    }
                    Pat::Bang(_) => return Err(outside("a `!` pattern inside a linear map")),
                };
                let cy = fresh_ct(b, y, &mut ct);
                out.push(bind(Pat::Lin(cy), Expr::App(*l, input, *span)));
            }
            (pat, rhs) => {
                let mut shown = format!("{pat:?} = {rhs:?}");
                shown.truncate(120);
                return Err(outside(format!(
                    "a binding that is not linear code ({shown}); only +, dup, scaling, zero, drop, tuples, destructuring and applications of maps from Γ transpose"
                )));
            }
        }
    }
    let tail = need(&mut ct, lam.param)?;
    Ok(Lam {
        param: c,
        ty: out_ty,
        body: Block {
            binds: out,
            tail: Expr::Atom(tail),
        },
        captures: Vec::new(),
    })
}
