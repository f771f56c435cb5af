//! Generator (c): ill-typed **mutants** of well-typed generated programs, each labelled with
//! its fault and the error code the checker must report (`docs/errors.md`, E02xx).
//!
//! A mutation edits the core syntax tree of a generated program at a site chosen by a
//! [`Pick`], and is designed to introduce **exactly one** fault, so that the checker must
//! report that code and no other:
//!
//! | fault | mutation | code |
//! | --- | --- | --- |
//! | [`Fault::LinearUsedTwice`] | `let () = drop(y')` inserted right after `y'` is bound; or a use of `y'` duplicated in place, in whichever construct holds it (linear tuple, either side of `+`, scale, call argument, `dup`, `drop` body, return): replaced by `t'` with `let t' = y' + y'` (or `y' + y' + y'`) just before, or a `drop(y')` just before or after it, or both | E0201 |
//! | [`Fault::LinearUnused`] | a `drop(y')` deleted, or `p' + q'` cut to `p'` | E0202 |
//! | [`Fault::NonlinearUnused`] | a `drop(x)` that is `x`'s only use deleted, or `x`'s only use (a primitive's argument) replaced by a literal | E0203 |
//! | [`Fault::LinearInNonlinear`] | `drop(y')` of a linear real becomes `drop(tanh(y'))` | E0204 |
//! | [`Fault::ArgumentDropped`] | a call loses an argument (kept used by a `drop` before the call) | E0209 |
//!
//! Only when a program has no site for a fault does the mutation fall back on the last function,
//! which nothing calls: it gains a parameter that it never uses (E0202, E0203), uses twice
//! (E0201) or passes to `tanh` (E0204), or it drops `tanh(1.0, 2.0)` (E0209). Mutations build
//! syntax trees; the suite prints and re-parses them, so diagnostics carry real positions.

use crate::linear::LinProgram;
use crate::nonlinear::NlProgram;
use crate::render::Pick;
use proptest::prelude::*;
use semantics::{
    Atom, Bind, Block, Expr, FnDef, Local, LocalId, Param, PrimId, PrimTable, Program, Span, Type,
    Var,
};
use std::fmt;

/// A fault put into a well-typed program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A linear variable used twice.
    LinearUsedTwice,
    /// A linear variable never used.
    LinearUnused,
    /// A nonlinear variable never used (strict mode).
    NonlinearUnused,
    /// A linear variable where a nonlinear value is needed (`tanh(y')`).
    LinearInNonlinear,
    /// A call with one argument too few.
    ArgumentDropped,
}

impl Fault {
    pub const ALL: [Fault; 5] = [
        Fault::LinearUsedTwice,
        Fault::LinearUnused,
        Fault::NonlinearUnused,
        Fault::LinearInNonlinear,
        Fault::ArgumentDropped,
    ];

    /// The code the checker must report (docs/errors.md).
    pub fn code(self) -> &'static str {
        match self {
            Fault::LinearUsedTwice => "E0201",
            Fault::LinearUnused => "E0202",
            Fault::NonlinearUnused => "E0203",
            Fault::LinearInNonlinear => "E0204",
            Fault::ArgumentDropped => "E0209",
        }
    }

    /// A fault of multiplicity only: relaxed checking accepts it (SPEC §2).
    pub fn is_multiplicity(self) -> bool {
        matches!(
            self,
            Fault::LinearUsedTwice | Fault::LinearUnused | Fault::NonlinearUnused
        )
    }
}

/// The well-typed program a mutant comes from.
#[derive(Clone, Debug)]
pub enum Base {
    Nonlinear(NlProgram),
    Linear(LinProgram),
}

impl Base {
    pub fn render(&self) -> String {
        match self {
            Base::Nonlinear(p) => p.render(),
            Base::Linear(p) => p.render(),
        }
    }
}

/// A program, a fault and where to put it.
#[derive(Clone)]
pub struct MutantCase {
    pub base: Base,
    pub fault: Fault,
    pub site: Pick,
}

/// A mutated program, the function that holds the fault, and the kind of edit made.
pub struct Mutant {
    pub program: Program,
    pub func: usize,
    pub edit: &'static str,
}

impl MutantCase {
    /// Parses the base program (which the generators guarantee) and mutates it.
    pub fn mutant(&self) -> Mutant {
        let prog = semantics::parse(&self.base.render()).expect("generated programs parse");
        mutate(&prog, self.fault, self.site)
    }
}

impl fmt::Debug for MutantCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.mutant();
        write!(
            f,
            "{:?} ({}) in function #{}:\n{}",
            self.fault,
            self.fault.code(),
            m.func,
            semantics::print(&m.program)
        )
    }
}

pub fn fault_strategy() -> impl Strategy<Value = Fault> {
    prop::sample::select(Fault::ALL.to_vec())
}

pub fn mutant_strategy() -> impl Strategy<Value = MutantCase> {
    let base = prop_oneof![
        1 => crate::nonlinear::program_strategy().prop_map(Base::Nonlinear),
        2 => crate::linear::program_strategy().prop_map(Base::Linear),
        1 => crate::linear::mixed_program_strategy().prop_map(Base::Linear),
    ];
    (base, fault_strategy(), any::<Pick>()).prop_map(|(base, fault, site)| MutantCase {
        base,
        fault,
        site,
    })
}

// ---- syntax helpers ----

fn var(id: LocalId) -> Var {
    Var {
        id,
        span: Span::GENERATED,
    }
}

fn atom(id: LocalId) -> Atom {
    Atom::Var(var(id))
}

fn ret(nl: Vec<Atom>, lin: Vec<Atom>) -> Expr {
    Expr::Ret {
        nl,
        lin,
        span: Span::GENERATED,
    }
}

fn let_(nl: Vec<LocalId>, lin: Vec<LocalId>, rhs: Expr) -> Bind {
    Bind::Let {
        nl,
        lin,
        rhs,
        span: Span::GENERATED,
    }
}

/// `let () = drop(body) in`.
fn drop_bind(body: Block) -> Bind {
    let_(
        vec![],
        vec![],
        Expr::Drop {
            body: Box::new(body),
            span: Span::GENERATED,
        },
    )
}

/// `let () = drop(a) in` for one variable of either sort.
fn drop_var(f: &FnDef, id: LocalId) -> Bind {
    let tail = if f.is_linear(id) {
        ret(vec![], vec![atom(id)])
    } else {
        ret(vec![atom(id)], vec![])
    };
    drop_bind(Block {
        binds: vec![],
        tail,
    })
}

/// The primitive mutations apply: one that no generated function is named after (a call
/// `tanh(...)` below a user function `tanh` would call it).
const GUARDED: &str = crate::domains::GUARD_PRIMITIVES[1];

fn prim(name: &str, args: Vec<Atom>) -> Expr {
    Expr::Prim {
        prim: PrimTable::standard().lookup(name).unwrap_or(PrimId::NEG),
        args,
        span: Span::GENERATED,
    }
}

/// A new slot named after `hint`, unused by the function so far.
fn new_local(f: &mut FnDef, hint: &str, linear: bool) -> LocalId {
    let mut k = 0;
    let name = loop {
        let base = if k == 0 {
            hint.to_string()
        } else {
            format!("{hint}{k}")
        };
        let name = if linear { format!("{base}'") } else { base };
        if f.locals.iter().all(|l| l.name != name) {
            break name;
        }
        k += 1;
    };
    f.locals.push(Local {
        name: name.into(),
        linear,
        span: Span::GENERATED,
    });
    LocalId(f.locals.len() as u32 - 1)
}

/// Adds a parameter of type `R` to `f` (linear with `linear`).
fn add_param(f: &mut FnDef, linear: bool) -> LocalId {
    let id = new_local(f, "mut", linear);
    let p = Param {
        var: id,
        ty: Type::Real,
    };
    if linear {
        f.lparams.push(p);
    } else {
        f.params.push(p);
    }
    id
}

/// How often each slot of `f` occurs.
pub fn use_counts(f: &FnDef) -> Vec<u32> {
    let mut n = vec![0u32; f.locals.len()];
    let mut stack = vec![&f.body];
    let count = |a: &Atom, n: &mut Vec<u32>| {
        if let Atom::Var(v) = a
            && let Some(c) = n.get_mut(v.id.0 as usize)
        {
            *c += 1;
        }
    };
    while let Some(b) = stack.pop() {
        let mut exprs = vec![&b.tail];
        for bind in &b.binds {
            match bind {
                Bind::Let { rhs, .. } => exprs.push(rhs),
                Bind::Unpack { src, .. } => count(&Atom::Var(*src), &mut n),
            }
        }
        for e in exprs {
            match e {
                Expr::Ret { nl, lin, .. } | Expr::Call { nl, lin, .. } => {
                    nl.iter().chain(lin).for_each(|a| count(a, &mut n))
                }
                Expr::Tuple { items, .. } | Expr::LTuple { items, .. } => {
                    items.iter().for_each(|a| count(a, &mut n))
                }
                Expr::Prim { args, .. } => args.iter().for_each(|a| count(a, &mut n)),
                Expr::LAdd { lhs, rhs, .. } => {
                    count(lhs, &mut n);
                    count(rhs, &mut n);
                }
                Expr::Scale { scalar, lin, .. } => {
                    count(scalar, &mut n);
                    count(lin, &mut n);
                }
                Expr::Dup { arg, .. } => count(arg, &mut n),
                Expr::Zero { .. } => {}
                Expr::Drop { body, .. } | Expr::Block(body) => stack.push(body),
            }
        }
    }
    n
}

/// The variable `drop(v)` drops, for a top-level `let () = drop(v) in`.
fn dropped_var(b: &Bind) -> Option<LocalId> {
    let Bind::Let { nl, lin, rhs, .. } = b else {
        return None;
    };
    let Expr::Drop { body, .. } = rhs else {
        return None;
    };
    if !nl.is_empty() || !lin.is_empty() || !body.binds.is_empty() {
        return None;
    }
    match &body.tail {
        Expr::Ret { nl, lin, .. } => match (nl.as_slice(), lin.as_slice()) {
            ([Atom::Var(v)], []) | ([], [Atom::Var(v)]) => Some(v.id),
            _ => None,
        },
        _ => None,
    }
}

/// Where a linear use sits in a top-level binding's right-hand side (or the tail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UseAt {
    /// The `i`-th linear item of a return `(.. ; .., y', ..)`.
    Ret(usize),
    /// The `i`-th item of a linear tuple.
    LTuple(usize),
    /// The left operand of a linear `+`.
    AddLeft,
    /// The right operand of a linear `+`.
    AddRight,
    /// The linear operand of a scale.
    Scale,
    /// The `i`-th linear argument of a call.
    CallArg(usize),
    /// The argument of `dup`.
    Dup,
    /// The `i`-th linear item returned by the body of a `drop` (`drop(y')`).
    DropBody(usize),
}

impl UseAt {
    /// The construct's name, for reports and coverage.
    pub fn construct(self) -> &'static str {
        match self {
            UseAt::Ret(_) => "return",
            UseAt::LTuple(_) => "linear tuple",
            UseAt::AddLeft => "left of +",
            UseAt::AddRight => "right of +",
            UseAt::Scale => "scale",
            UseAt::CallArg(_) => "call argument",
            UseAt::Dup => "dup",
            UseAt::DropBody(_) => "drop body",
        }
    }
}

/// How a use is duplicated in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InPlace {
    /// The use becomes `t'`, with `let t' = y' + y'` just before: two uses.
    Add2,
    /// The use becomes `t2'`, with `let t1' = y' + y' in let t2' = t1' + y'`: three uses.
    Add3,
    /// `let () = drop(y')` just before the binding that uses `y'`.
    DropBefore,
    /// `let () = drop(y')` just after it (before the tail when the tail uses `y'`).
    DropAfter,
    /// Both: three uses.
    DropAround,
}

impl InPlace {
    pub const ALL: [InPlace; 5] = [
        InPlace::Add2,
        InPlace::Add3,
        InPlace::DropBefore,
        InPlace::DropAfter,
        InPlace::DropAround,
    ];

    pub fn describe(self) -> &'static str {
        match self {
            InPlace::Add2 => "replaced by y' + y'",
            InPlace::Add3 => "replaced by y' + y' + y'",
            InPlace::DropBefore => "a drop(y') before it",
            InPlace::DropAfter => "a drop(y') after it",
            InPlace::DropAround => "drops of y' before and after it",
        }
    }

    /// Uses of the variable after the edit.
    pub fn uses(self) -> u32 {
        match self {
            InPlace::Add2 | InPlace::DropBefore | InPlace::DropAfter => 2,
            InPlace::Add3 | InPlace::DropAround => 3,
        }
    }
}

/// The linear atom at `at` in `e`, if `e` has one there.
fn use_at(e: &mut Expr, at: UseAt) -> Option<&mut Atom> {
    match (e, at) {
        (Expr::Ret { lin, .. }, UseAt::Ret(i)) => lin.get_mut(i),
        (Expr::LTuple { items, .. }, UseAt::LTuple(i)) => items.get_mut(i),
        (Expr::LAdd { lhs, .. }, UseAt::AddLeft) => Some(lhs),
        (Expr::LAdd { rhs, .. }, UseAt::AddRight) => Some(rhs),
        (Expr::Scale { lin, .. }, UseAt::Scale) => Some(lin),
        (Expr::Call { lin, .. }, UseAt::CallArg(i)) => lin.get_mut(i),
        (Expr::Dup { arg, .. }, UseAt::Dup) => Some(arg),
        (Expr::Drop { body, .. }, UseAt::DropBody(i)) if body.binds.is_empty() => {
            match &mut body.tail {
                Expr::Ret { lin, .. } => lin.get_mut(i),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The linear uses in `e`, by position.
fn uses_in(e: &Expr) -> Vec<UseAt> {
    match e {
        Expr::Ret { lin, .. } => (0..lin.len()).map(UseAt::Ret).collect(),
        Expr::LTuple { items, .. } => (0..items.len()).map(UseAt::LTuple).collect(),
        Expr::LAdd { .. } => vec![UseAt::AddLeft, UseAt::AddRight],
        Expr::Scale { .. } => vec![UseAt::Scale],
        Expr::Call { lin, .. } => (0..lin.len()).map(UseAt::CallArg).collect(),
        Expr::Dup { .. } => vec![UseAt::Dup],
        Expr::Drop { body, .. } if body.binds.is_empty() => match &body.tail {
            Expr::Ret { lin, .. } => (0..lin.len()).map(UseAt::DropBody).collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Every linear-variable use of `f`'s top level: (binding index, or `binds.len()` for the
/// tail; position).
pub fn linear_uses(f: &FnDef) -> Vec<(usize, UseAt)> {
    let mut out = Vec::new();
    let exprs = f
        .body
        .binds
        .iter()
        .map(|b| match b {
            Bind::Let { rhs, .. } => Some(rhs),
            Bind::Unpack { .. } => None,
        })
        .chain([Some(&f.body.tail)]);
    for (k, e) in exprs.enumerate() {
        let Some(e) = e else { continue };
        for at in uses_in(e) {
            let mut e = e.clone();
            if let Some(Atom::Var(v)) = use_at(&mut e, at)
                && f.is_linear(v.id)
            {
                out.push((k, at));
            }
        }
    }
    out
}

/// Duplicates the linear use at `(k, at)` of `f` in place (see [`InPlace`]); `false` if there
/// is no linear variable there.
pub fn duplicate_in_place(f: &mut FnDef, k: usize, at: UseAt, how: InPlace) -> bool {
    let tail = k == f.body.binds.len();
    let mut rhs = if tail {
        f.body.tail.clone()
    } else {
        match &f.body.binds[k] {
            Bind::Let { rhs, .. } => rhs.clone(),
            Bind::Unpack { .. } => return false,
        }
    };
    let y = match use_at(&mut rhs, at) {
        Some(Atom::Var(v)) if f.is_linear(v.id) => v.id,
        _ => return false,
    };
    let add = |lhs: LocalId, rhs: LocalId| Expr::LAdd {
        lhs: atom(lhs),
        rhs: atom(rhs),
        span: Span::GENERATED,
    };
    let mut before = Vec::new();
    let mut after = Vec::new();
    match how {
        InPlace::Add2 | InPlace::Add3 => {
            let t1 = new_local(f, "twice", true);
            before.push(let_(vec![], vec![t1], add(y, y)));
            let mut last = t1;
            if how == InPlace::Add3 {
                let t2 = new_local(f, "twice", true);
                before.push(let_(vec![], vec![t2], add(t1, y)));
                last = t2;
            }
            if let Some(a) = use_at(&mut rhs, at) {
                *a = atom(last);
            }
        }
        InPlace::DropBefore => before.push(drop_var(f, y)),
        InPlace::DropAfter if tail => before.push(drop_var(f, y)),
        InPlace::DropAfter => after.push(drop_var(f, y)),
        InPlace::DropAround => {
            before.push(drop_var(f, y));
            if tail {
                before.push(drop_var(f, y));
            } else {
                after.push(drop_var(f, y));
            }
        }
    }
    if tail {
        f.body.tail = rhs;
    } else if let Bind::Let { rhs: r, .. } = &mut f.body.binds[k] {
        *r = rhs;
    }
    if !tail {
        f.body.binds.splice(k + 1..k + 1, after);
    }
    f.body.binds.splice(k..k, before);
    true
}

/// Every in-place duplication of every linear use of `prog`, each a mutant with one fault
/// (E0201), labelled by construct and edit.
pub fn in_place_duplicates(prog: &Program) -> Vec<(Mutant, UseAt, InPlace)> {
    let mut out = Vec::new();
    for (fi, f) in prog.funcs.iter().enumerate() {
        for (k, at) in linear_uses(f) {
            for how in InPlace::ALL {
                let mut p = prog.clone();
                if duplicate_in_place(&mut p.funcs[fi], k, at, how) {
                    out.push((
                        Mutant {
                            program: p,
                            func: fi,
                            edit: how.describe(),
                        },
                        at,
                        how,
                    ));
                }
            }
        }
    }
    out
}

/// An edit at one site: which function, and how.
enum Edit {
    /// Insert `drop(v)` at this position of the body.
    DropAfter(usize, usize, LocalId),
    /// Delete the binding at this position.
    Delete(usize, usize),
    /// Replace `p' + q'` at this position by `p'`.
    CutAdd(usize, usize),
    /// Replace this argument of the primitive at this position by `1.0`.
    LiteralArg(usize, usize, usize),
    /// Replace `drop(y')` at this position by `drop(tanh(y'))`.
    SinOfDrop(usize, usize),
    /// Remove this argument of the call at this position.
    CutArg(usize, usize, usize),
    /// Duplicate the linear use at this binding (or tail) and position in place.
    InPlace(usize, usize, UseAt, InPlace),
    /// Fall back on the last function.
    Fallback,
}

/// Puts `fault` into `prog` at the site `site` picks.
pub fn mutate(prog: &Program, fault: Fault, site: Pick) -> Mutant {
    let types = semantics::local_types(prog, PrimTable::standard()).unwrap_or_default();
    let mut sites = Vec::new();
    for (fi, f) in prog.funcs.iter().enumerate() {
        let uses = use_counts(f);
        let ty_of = |id: LocalId| -> Option<&Type> {
            types
                .get(fi)
                .and_then(|ts| ts.get(id.0 as usize))
                .and_then(Option::as_ref)
        };
        if fault == Fault::LinearUsedTwice {
            for p in &f.lparams {
                sites.push(Edit::DropAfter(fi, 0, p.var));
            }
            for (k, at) in linear_uses(f) {
                for how in InPlace::ALL {
                    sites.push(Edit::InPlace(fi, k, at, how));
                }
            }
        }
        for (k, b) in f.body.binds.iter().enumerate() {
            match fault {
                Fault::LinearUsedTwice => {
                    let binders: Vec<LocalId> = match b {
                        Bind::Let { lin, .. } => lin.clone(),
                        Bind::Unpack { binders, .. } => binders.clone(),
                    };
                    for x in binders.into_iter().filter(|&x| f.is_linear(x)) {
                        sites.push(Edit::DropAfter(fi, k + 1, x));
                    }
                }
                Fault::LinearUnused => {
                    if dropped_var(b).is_some_and(|v| f.is_linear(v)) {
                        sites.push(Edit::Delete(fi, k));
                    }
                    if let Bind::Let {
                        rhs: Expr::LAdd { .. },
                        ..
                    } = b
                    {
                        sites.push(Edit::CutAdd(fi, k));
                    }
                }
                Fault::NonlinearUnused => {
                    if dropped_var(b).is_some_and(|v| !f.is_linear(v) && uses[v.0 as usize] == 1) {
                        sites.push(Edit::Delete(fi, k));
                    }
                    if let Bind::Let {
                        rhs: Expr::Prim { args, .. },
                        ..
                    } = b
                    {
                        for (j, a) in args.iter().enumerate() {
                            if let Atom::Var(v) = a
                                && !f.is_linear(v.id)
                                && uses[v.id.0 as usize] == 1
                            {
                                sites.push(Edit::LiteralArg(fi, k, j));
                            }
                        }
                    }
                }
                Fault::LinearInNonlinear => {
                    if dropped_var(b)
                        .is_some_and(|v| f.is_linear(v) && ty_of(v) == Some(&Type::Real))
                    {
                        sites.push(Edit::SinOfDrop(fi, k));
                    }
                }
                Fault::ArgumentDropped => {
                    if let Bind::Let {
                        rhs: Expr::Call { nl, lin, .. },
                        ..
                    } = b
                    {
                        for j in 0..nl.len() + lin.len() {
                            sites.push(Edit::CutArg(fi, k, j));
                        }
                    }
                }
            }
        }
    }
    let edit = sites.get(site.of(sites.len())).unwrap_or(&Edit::Fallback);
    apply(prog, fault, edit)
}

fn apply(prog: &Program, fault: Fault, edit: &Edit) -> Mutant {
    let kind = match edit {
        Edit::DropAfter(..) => "a drop of a linear variable inserted",
        Edit::Delete(..) => "a drop deleted",
        Edit::CutAdd(..) => "a linear add cut to one operand",
        Edit::LiteralArg(..) => "an only use replaced by a literal",
        Edit::SinOfDrop(..) => "drop(y') made drop(tanh(y'))",
        Edit::CutArg(..) => "a call argument removed",
        Edit::InPlace(_, _, _, how) => how.describe(),
        Edit::Fallback => "fallback on the last function",
    };
    let mut p = prog.clone();
    let last = p.funcs.len() - 1;
    let func = match *edit {
        Edit::DropAfter(fi, k, _)
        | Edit::Delete(fi, k)
        | Edit::CutAdd(fi, k)
        | Edit::LiteralArg(fi, k, _)
        | Edit::SinOfDrop(fi, k)
        | Edit::CutArg(fi, k, _)
        | Edit::InPlace(fi, k, _, _) => {
            let _ = k;
            fi
        }
        Edit::Fallback => last,
    };
    let f = &mut p.funcs[func];
    match *edit {
        Edit::DropAfter(_, k, x) => {
            let d = drop_var(f, x);
            f.body.binds.insert(k, d);
        }
        Edit::Delete(_, k) => {
            f.body.binds.remove(k);
        }
        Edit::CutAdd(_, k) => {
            if let Bind::Let { rhs, .. } = &mut f.body.binds[k]
                && let Expr::LAdd { lhs, .. } = rhs
            {
                *rhs = ret(vec![], vec![*lhs]);
            }
        }
        Edit::LiteralArg(_, k, j) => {
            if let Bind::Let {
                rhs: Expr::Prim { args, .. },
                ..
            } = &mut f.body.binds[k]
            {
                args[j] = Atom::Lit(1.0, Span::GENERATED);
            }
        }
        Edit::SinOfDrop(_, k) => {
            if let Some(y) = dropped_var(&f.body.binds[k]) {
                let t = new_local(f, "mut", false);
                f.body.binds[k] = drop_bind(Block {
                    binds: vec![let_(vec![t], vec![], prim(GUARDED, vec![atom(y)]))],
                    tail: ret(vec![atom(t)], vec![]),
                });
            }
        }
        Edit::CutArg(_, k, j) => {
            let mut removed = None;
            if let Bind::Let {
                rhs: Expr::Call { nl, lin, .. },
                ..
            } = &mut f.body.binds[k]
            {
                removed = Some(if j < nl.len() {
                    nl.remove(j)
                } else {
                    lin.remove(j - nl.len())
                });
            }
            if let Some(Atom::Var(v)) = removed {
                let d = drop_var(f, v.id);
                f.body.binds.insert(k, d);
            }
        }
        Edit::InPlace(_, k, at, how) => {
            duplicate_in_place(f, k, at, how);
        }
        Edit::Fallback => fallback(f, fault),
    }
    Mutant {
        program: p,
        func,
        edit: kind,
    }
}

/// The fault put into `f`, a function that nothing calls, without relying on its body.
fn fallback(f: &mut FnDef, fault: Fault) {
    match fault {
        Fault::LinearUsedTwice => {
            let m = add_param(f, true);
            let (a, b) = (drop_var(f, m), drop_var(f, m));
            f.body.binds.splice(0..0, [a, b]);
        }
        Fault::LinearUnused => {
            add_param(f, true);
        }
        Fault::NonlinearUnused => {
            add_param(f, false);
        }
        Fault::LinearInNonlinear => {
            let m = add_param(f, true);
            let t = new_local(f, "mut_s", false);
            let bind = let_(vec![t], vec![], prim(GUARDED, vec![atom(m)]));
            let d = drop_var(f, t);
            f.body.binds.splice(0..0, [bind, d]);
        }
        Fault::ArgumentDropped => {
            let lit = |x| Atom::Lit(x, Span::GENERATED);
            let t = new_local(f, "mut_s", false);
            let bind = let_(vec![t], vec![], prim(GUARDED, vec![lit(1.0), lit(2.0)]));
            let d = drop_var(f, t);
            f.body.binds.splice(0..0, [bind, d]);
        }
    }
}
