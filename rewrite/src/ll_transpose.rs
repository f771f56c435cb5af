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
//! | `let x = dup a` (the pair whole) | `let (c1, c2) = ct_x in let ct_a = c1 + c2` |
//! | `let x = s * a` (s from Γ) | `let ct_a = s * ct_x` |
//! | `let x = zero[V]` | `let () = drop ct_x` |
//! | `let () = drop a` (a : V) | `let ct_a = zero[V]` |
//! | `let x = (a1, ..., an)` | `let (ct_a1, ..., ct_an) = ct_x` |
//! | `let (x1, ..., xn) = a` | `let ct_a = (ct_x1, ..., ct_xn)` |
//! | `let x = a` | `ct_a` is `ct_x` (no code) |
//! | `let x = l a` (l : A ⊸ B from Γ, a callee's map or a global) | `let ct_a = l ct_x` (l now the callee's transposed map) |
//!
//! | `let r = g (b…, y…)` (boxes and linear values; g with nonlinear parameters) | `let o = g (b…, ct_r)` |
//!
//! [`ll_transpose`] transposes the closures of [`crate::ll_jvp`] (every linear map bound at the
//! top of a definition's function body; `!(A ⊸ B)` becomes `!(B ⊸ A)` in the definition's result
//! type, so calls of a transposed callee get its transposed map) and every encoded linear
//! function of a Linear B program (`V ⊸ W` becomes `W ⊸ V`; `![τs] ⊗ [σs] ⊸ W` becomes
//! `![τs] ⊗ W ⊸ [σs]`, its nonlinear bindings kept forward). A mixed function (nonlinear results
//! and linear parts) is refused, as Linear A's transpose refuses a program outside Linear B.
//! Which calls are transposed is decided by the callee (a call of a function transposed whole
//! is linear code), never by the size of the values: a linear `<>` and "no arguments" are both
//! `1`. A transposed function with nonlinear parameters takes its cotangent's components flat
//! beside the boxes and returns exactly its linear parameters' cotangents ([`returned`]), so
//! applied twice it gives back the program, types included (up to `(V *) ≅ V` for a single
//! `<V>` linear result), and its values bit for bit (the suites check both).

use crate::error::RewriteError;
use crate::linear_a_to_ll::{LlFn, bind, canonical, var};
use semantics::Span;
use semantics::ll::{Atom, Block, Def, Expr, LType, Lam, LlProgram, Pat, Slot, single_or_tensor};
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
    // Which definitions are linear functions transposed whole: a call of one is linear code
    // wherever it appears (a call of `h` ↔ a call of `h.T`), even when every value it touches
    // has size 0 (a linear `<>` packs to `1`, as "no arguments" does).
    let whole: Vec<Option<LType>> = prog
        .defs
        .iter()
        .map(|d| match &d.ty {
            LType::Lolli(_, w) if transposed_whole(d) => Some((**w).clone()),
            _ => None,
        })
        .collect();
    let mut defs = Vec::with_capacity(prog.defs.len());
    for (d, types) in prog.defs.iter().zip(&checked.types) {
        defs.push(transpose_def(d, types, &whole)?);
    }
    canonical(LlProgram { defs })
}

/// A packed parameter or result type with a linear component (one not under `!`).
fn linear_part(t: &LType) -> bool {
    match t {
        LType::Tensor(ts) => ts.iter().any(|c| !matches!(c, LType::Bang(_))),
        LType::Bang(_) | LType::Lolli(..) => false,
        LType::Real => true,
    }
}

/// A definition that [`transpose_def`] transposes as a whole linear function (`V ⊸ W`, or
/// `![τs] ⊗ [σs] ⊸ W` with a linear part), rather than passing through or transposing the
/// closures it returns.
fn transposed_whole(d: &Def) -> bool {
    let (Expr::Lam(..), true) = (&d.body.tail, d.body.binds.is_empty()) else {
        return false;
    };
    match &d.ty {
        LType::Lolli(x, y) if y.is_tangent() => {
            x.is_tangent() || **y != LType::one() || linear_part(x)
        }
        _ => false,
    }
}

/// The transpose of a linear function with nonlinear parameters takes its cotangent `W`'s
/// components flat beside the boxes (`![τs] ⊗ W1 ⊗ … ⊗ Wk`, `W` itself when it is not a
/// tensor) and returns the cotangents `σs` as a tensor of exactly the σs, except one σ that is
/// not a tensor, returned alone. The two conventions are inverse, so transposing twice gives
/// back the parameter `![τs] ⊗ [σ1] ⊗ … ⊗ [σm]` exactly.
fn returned(tys: Vec<LType>) -> LType {
    match tys.as_slice() {
        [t] if !matches!(t, LType::Tensor(_)) => t.clone(),
        _ => LType::Tensor(tys),
    }
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

fn transpose_def(
    d: &Def,
    types: &[Option<LType>],
    whole: &[Option<LType>],
) -> Result<Def, RewriteError> {
    let mut out = d.clone();
    let Expr::Lam(top, span) = &d.body.tail else {
        return Ok(out);
    };
    if !d.body.binds.is_empty() {
        return Ok(out);
    }
    let mut b = LlFn::from_slots(d.slots.clone());
    // Like Linear A's transpose (Linear B only), a definition with linear parameters or
    // results that is not itself a linear map (a mixed one) is refused: it may call linear
    // functions that are being transposed.
    if let LType::Lolli(x, y) = &d.ty {
        let linear_part = linear_part;
        let linear_fn = y.is_tangent() && (**y != LType::one() || linear_part(x));
        if !linear_fn && (linear_part(x) || linear_part(y)) {
            return Err(outside(format!(
                "`{}` mixes nonlinear results with linear parameters or results ({}); transpose a Linear B program",
                d.name, d.ty
            )));
        }
    }
    // A definition that is itself a linear map (an encoded linear function) transposes whole.
    // `1 ⊸ 1` is one too: the encoding cannot tell a linear function of `<>` from a nonlinear
    // one of nothing, and transposing the latter keeps its nonlinear bindings as they are.
    if let LType::Lolli(x, y) = &d.ty
        && x.is_tangent()
        && y.is_tangent()
    {
        let t = transpose_def_lam(&mut b, types, top, false, y, whole)?;
        out.body = Block::of(Expr::Lam(Rc::new(t), *span));
        out.slots = b.slots;
        out.ty = LType::lolli((**y).clone(), (**x).clone());
        return Ok(out);
    }
    if let LType::Lolli(x, y) = &d.ty
        && y.is_tangent()
        && !x.is_tangent()
        && (**y != LType::one() || linear_part(x))
    {
        let t = transpose_def_lam(&mut b, types, top, true, y, whole)?;
        let lin_tys: Vec<LType> = match &**x {
            LType::Tensor(ts) => ts
                .iter()
                .filter(|t| !matches!(t, LType::Bang(_)))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        out.ty = LType::lolli(t.ty.clone(), returned(lin_tys));
        out.body = Block::of(Expr::Lam(Rc::new(t), *span));
        out.slots = b.slots;
        return Ok(out);
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
    transpose_bound(b, types, lam, false, false, &[])
}

/// With `mixed`, `lam` is a linear function with nonlinear parameters (`fun (p : ![τs] ⊗ [σs])
/// { let (!a…, y…) = p in … }`, Linear B's linear functions): its nonlinear bindings (boxes
/// `let b = !a`, primitives, nonlinear calls, destructures into Γ) are kept in forward order
/// first, the linear ones are transposed, and the result is
/// `fun (q : ![τs] ⊗ W) { let (!a…, c) = q in … }`, the nonlinear parameters passed through
/// (Linear A's `g.T(as ; cts)`). A call of such a function, `let r = g (b…, y…)`, transposes to
/// `let o = g (b…, ct_r)` with the same boxes.
///
/// `lam : A ⊸ result` is a definition's function; its tail may be any expression.
fn transpose_def_lam(
    b: &mut LlFn,
    types: &[Option<LType>],
    lam: &Lam,
    mixed: bool,
    result: &LType,
    whole: &[Option<LType>],
) -> Result<Lam, RewriteError> {
    if matches!(lam.body.tail, Expr::Atom(_) | Expr::Tuple(..)) {
        return transpose_bound(b, types, lam, mixed, true, whole);
    }
    let r = b.fresh("r", false);
    let mut tys = types.to_vec();
    tys.resize(b.slots.len().max(tys.len()), None);
    tys[r.0 as usize] = Some(result.clone());
    let mut l2 = lam.clone();
    let tail = std::mem::replace(&mut l2.body.tail, Expr::Atom(var(r)));
    l2.body.binds.push(bind(Pat::Lin(r), tail));
    transpose_bound(b, &tys, &l2, mixed, true, whole)
}

/// `extract`: a definition's body, whose nonlinear bindings are kept forward (a closure of
/// `ll_jvp` holds linear code only and is transposed binding by binding). `whole[g]`: calls
/// of definition `g` are transposed (see [`transposed_whole`]).
fn transpose_bound(
    b: &mut LlFn,
    types: &[Option<LType>],
    lam: &Lam,
    mixed: bool,
    extract: bool,
    whole: &[Option<LType>],
) -> Result<Lam, RewriteError> {
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
    // Mixed mode: the entry, the nonlinear bindings (kept forward) and the argument tuples
    // of mixed calls (rebuilt where the call is transposed) are set aside.
    let is_lin_slot =
        |x: Slot, b: &LlFn| !b.slots.get(x.0 as usize).is_some_and(|s| s.intuitionistic);
    let tangentish = |x: Slot| {
        types
            .get(x.0 as usize)
            .cloned()
            .flatten()
            .is_some_and(|t| t.is_tangent() && t.size() > 0)
    };
    let mut prefix: Vec<semantics::ll::Bind> = Vec::new();
    let mut args: HashMap<Slot, Vec<Atom>> = HashMap::new();
    let mut skip = vec![false; lam.body.binds.len()];
    let first = usize::from(mixed);
    if mixed {
        if !matches!(lam.body.binds.first(), Some(e) if e.rhs == Expr::Atom(Atom::Var(lam.param, Span::GENERATED)))
        {
            return Err(outside(
                "a linear function that does not start by destructuring its parameter",
            ));
        }
        skip[0] = true;
    }
    // Nonlinear bindings, found backwards: one that binds only Γ slots, boxes or unit glue and
    // consumes no tangent value is nonlinear, and the unit values it consumes are glue too.
    // A value with a tangent part outside `!` (a tangent, or a mixed call's argument tuple).
    fn carries(t: &LType) -> bool {
        match t {
            LType::Real => true,
            LType::Tensor(ts) => ts.iter().any(carries),
            LType::Bang(_) | LType::Lolli(..) => false,
        }
    }
    let carries_tangent = |x: Slot| {
        types
            .get(x.0 as usize)
            .cloned()
            .flatten()
            .is_some_and(|t| carries(&t))
    };
    // Values of size 0 (`1`, `(1 *)`, ...) carry no tangent: they are glue, kept forward.
    let unit = |x: Slot| {
        types
            .get(x.0 as usize)
            .cloned()
            .flatten()
            .is_some_and(|t| t.is_tangent() && t.size() == 0)
    };
    let mut glue: std::collections::HashSet<Slot> = std::collections::HashSet::new();
    // The arguments of calls of transposed functions with nonlinear parameters (a tuple of
    // boxes and linear values, or a lone box): set aside and rebuilt at the transposed call.
    let call_args: std::collections::HashSet<Slot> = lam
        .body
        .binds
        .iter()
        .filter_map(|s| match &s.rhs {
            Expr::App(Atom::Global(h, _), Atom::Var(a, _), _)
                if whole.get(h.0 as usize).is_some_and(Option::is_some)
                    && types
                        .get(a.0 as usize)
                        .cloned()
                        .flatten()
                        .is_some_and(|t| !t.is_tangent()) =>
            {
                Some(*a)
            }
            _ => None,
        })
        .collect();
    for (i, s) in lam.body.binds.iter().enumerate().skip(first) {
        if !extract {
            // Closures hold linear code only.
            break;
        }
        let bound = semantics::ll::pat_slots(&s.pat);
        let consumed: Vec<Slot> = semantics::ll::expr_atoms(&s.rhs)
            .iter()
            .filter_map(Atom::slot)
            .filter(|x| is_lin_slot(*x, b))
            .collect();
        // A tuple of boxes and linear values is a mixed call's argument, never nonlinear.
        let mixed_args = matches!((&s.pat, &s.rhs), (Pat::Lin(x), Expr::Tuple(..))
            if call_args.contains(x));
        let calls_whole = matches!(&s.rhs, Expr::App(Atom::Global(g, _), ..)
            if whole.get(g.0 as usize).is_some_and(Option::is_some));
        let nonlinear = !matches!(s.rhs, Expr::Lam(..))
            && !calls_whole
            && !mixed_args
            && !consumed.contains(&lam.param)
            && bound.iter().all(|x| !is_lin_slot(*x, b) || !tangentish(*x))
            && consumed
                .iter()
                .all(|x| !carries_tangent(*x) && (!unit(*x) || glue.contains(x)));
        if nonlinear {
            glue.extend(bound.iter().filter(|x| unit(**x)));
            skip[i] = true;
        }
    }
    for (i, s) in lam.body.binds.iter().enumerate().skip(first) {
        if !extract {
            break;
        }
        if skip[i] {
            prefix.push(s.clone());
        } else if let (Pat::Lin(x), Expr::Tuple(items, _)) = (&s.pat, &s.rhs)
            && call_args.contains(x)
        {
            // The argument tuple of a mixed call: rebuilt where the call is transposed.
            args.insert(*x, items.clone());
            skip[i] = true;
        }
    }
    for (i, s) in lam.body.binds.iter().enumerate().rev() {
        let g = Span::GENERATED;
        if skip[i] {
            continue;
        }
        // A call of a transposed function with nonlinear parameters: its argument is a tuple
        // of boxes and linear values (set aside above), or a lone box when it has no linear
        // parameter (a transpose's transpose, whose cotangent has no components).
        let lone_box = |arg: &Slot| {
            call_args.contains(arg)
                && matches!(types.get(arg.0 as usize), Some(Some(LType::Bang(_))))
        };
        if let Expr::App(l, Atom::Var(arg, _), span) = &s.rhs
            && let Some(items) = args
                .get(arg)
                .cloned()
                .or_else(|| lone_box(arg).then(|| vec![var(*arg)]))
        {
            // A mixed call: the same boxes, the result's cotangent for the linear part, its
            // components flat when the callee's result is a tensor ([`components`]).
            let w = match l {
                Atom::Global(h, _) => whole.get(h.0 as usize).cloned().flatten(),
                _ => None,
            }
            .ok_or_else(|| {
                outside("a call with boxed arguments of a map that is not transposed")
            })?;
            let input: Vec<Atom> = match (&s.pat, &w) {
                (Pat::Lin(x), LType::Tensor(ts)) => {
                    let cx = need(&mut ct, *x)?;
                    let cs: Vec<Slot> = ts.iter().map(|_| b.fresh("ctr", false)).collect();
                    out.push(bind(
                        Pat::Tensor(cs.iter().map(|c| (*c, false)).collect()),
                        Expr::Atom(cx),
                    ));
                    cs.into_iter().map(var).collect()
                }
                (Pat::Lin(x), _) => vec![need(&mut ct, *x)?],
                (Pat::Tensor(xs), _) => xs
                    .iter()
                    .map(|(x, _)| need(&mut ct, *x))
                    .collect::<Result<Vec<_>, _>>()?,
                (Pat::Bang(_), _) => return Err(outside("a `!` result of a linear call")),
            };
            let (boxes, lins): (Vec<Atom>, Vec<Atom>) = items.iter().partition(|a| {
                a.slot()
                    .is_none_or(|x| matches!(types.get(x.0 as usize), Some(Some(LType::Bang(_)))))
            });
            let mut a2 = boxes;
            a2.extend(input);
            let arg2 = match a2.as_slice() {
                [one] => *one,
                _ => {
                    let arg2 = b.fresh("arg", false);
                    out.push(bind(Pat::Lin(arg2), Expr::Tuple(a2, g)));
                    var(arg2)
                }
            };
            let app = Expr::App(*l, arg2, *span);
            let mut pat = Vec::with_capacity(lins.len());
            let mut tys = Vec::with_capacity(lins.len());
            for a in &lins {
                let y = linear(a, b)?;
                tys.push(ty_of(y)?);
                pat.push((fresh_ct(b, y, &mut ct), false));
            }
            let whole_result = matches!(returned(tys), LType::Tensor(_));
            match pat.as_slice() {
                [(cy, _)] if !whole_result => out.push(bind(Pat::Lin(*cy), app)),
                _ => out.push(bind(Pat::Tensor(pat), app)),
            }
            continue;
        }
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
            (Pat::Lin(x), Expr::Dup(a, _)) => {
                // The pair bound whole: split its cotangent, then add.
                let y = linear(a, b)?;
                let cx = need(&mut ct, *x)?;
                let c1 = b.fresh("ct", false);
                let c2 = b.fresh("ct", false);
                out.push(bind(
                    Pat::Tensor(vec![(c1, false), (c2, false)]),
                    Expr::Atom(cx),
                ));
                let cy = fresh_ct(b, y, &mut ct);
                out.push(bind(Pat::Lin(cy), Expr::Add(var(c1), var(c2), g)));
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
    // A size-0 value kept forward but consumed by a transposed binding is dropped forward,
    // and the cotangent that binding produced for it is dropped too.
    let used_forward: std::collections::HashSet<Slot> = prefix
        .iter()
        .flat_map(|s| semantics::ll::expr_atoms(&s.rhs))
        .filter_map(|a| a.slot())
        .collect();
    let mut unused: Vec<Slot> = glue
        .iter()
        .filter(|x| !used_forward.contains(x))
        .copied()
        .collect();
    unused.sort();
    for x in unused {
        prefix.push(bind(
            Pat::Tensor(vec![]),
            Expr::Drop(var(x), Span::GENERATED),
        ));
    }
    let mut leftover: Vec<(Slot, Atom)> = ct
        .iter()
        .filter(|(x, _)| glue.contains(x))
        .map(|(x, a)| (*x, *a))
        .collect();
    leftover.sort_by_key(|(x, _)| *x);
    for (x, a) in leftover {
        ct.remove(&x);
        out.push(bind(Pat::Tensor(vec![]), Expr::Drop(a, Span::GENERATED)));
    }
    if !mixed {
        let tail = need(&mut ct, lam.param)?;
        prefix.extend(out);
        return Ok(Lam {
            param: c,
            ty: out_ty,
            body: Block {
                binds: prefix,
                tail: Expr::Atom(tail),
            },
            captures: Vec::new(),
        });
    }
    // The entry `let (!a…, y…) = p` becomes `let (!a…, c) = q`; the tail is the y's cotangents.
    let entry = &lam.body.binds[0].pat;
    let (items, comp_tys): (Vec<(Slot, bool)>, Vec<LType>) = match (entry, &lam.ty) {
        (Pat::Tensor(items), LType::Tensor(ts)) if items.len() == ts.len() => {
            (items.clone(), ts.clone())
        }
        (Pat::Bang(a), t) => (vec![(*a, true)], vec![t.clone()]),
        _ => return Err(outside("a parameter pattern that does not match its type")),
    };
    let q = b.fresh("q", false);
    let mut qpat = Vec::new();
    let mut qtys = Vec::new();
    let mut tails = Vec::new();
    let mut ltys = Vec::new();
    for ((x, bang), t) in items.iter().zip(comp_tys) {
        if *bang {
            qpat.push((*x, true));
            qtys.push(t);
        } else {
            tails.push(need(&mut ct, *x)?);
            ltys.push(t);
        }
    }
    // The cotangent's components come flat ([`components`]) and are tupled back into `c`.
    let mut regroup = None;
    match &out_ty {
        LType::Tensor(ts) => {
            let cs: Vec<Slot> = ts.iter().map(|_| b.fresh("ct", false)).collect();
            qpat.extend(cs.iter().map(|x| (*x, false)));
            qtys.extend(ts.iter().cloned());
            regroup = Some(bind(
                Pat::Lin(c),
                Expr::Tuple(cs.into_iter().map(var).collect(), Span::GENERATED),
            ));
        }
        _ => {
            qpat.push((c, false));
            qtys.push(out_ty);
        }
    }
    let entry = match qpat.as_slice() {
        [(x, true)] => Pat::Bang(*x),
        _ => Pat::Tensor(qpat),
    };
    let mut binds = vec![bind(entry, Expr::Atom(var(q)))];
    binds.extend(prefix);
    binds.extend(regroup);
    binds.extend(out);
    let tail = match tails.as_slice() {
        [t] if !matches!(ltys[0], LType::Tensor(_)) => Expr::Atom(*t),
        _ => Expr::Tuple(tails, Span::GENERATED),
    };
    Ok(Lam {
        param: q,
        ty: single_or_tensor(qtys),
        body: Block { binds, tail },
        captures: Vec::new(),
    })
}
