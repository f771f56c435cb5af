//! Linear B (SPEC §2, end): the sub-language that unzip produces and transpose consumes.
//!
//! A function is **nonlinear** when it has no linear parts: no linear parameter, result or
//! variable, no `zero`, linear `+`, scale, `dup` or linear tuple, and no call of a function
//! that is not nonlinear (`drop` of nonlinear code is fine). It is **linear** when it has no
//! nonlinear results. A function with neither linear parts nor nonlinear results counts as
//! nonlinear. Every other function is **mixed**, and a program is in Linear B when no function
//! is mixed.
//!
//! Membership is syntactic and independent of typing: [`check_linear_b`] is meant to run after
//! [`crate::check`] accepts the program. One pass over the program, in order, each function
//! using the classes of the functions above it.

use crate::errors::{LinearConstruct, NotLinearB, Reason};
use semantics::{Bind, Block, Diagnostic, Expr, FnDef, LocalId, Program};
use serde::{Deserialize, Serialize};

/// What a function is, for Linear B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Class {
    /// No linear parts.
    Nonlinear,
    /// Linear parts, no nonlinear results.
    Linear,
    /// Linear parts and nonlinear results: not in Linear B.
    Mixed,
}

/// The class of `f`, a function of `prog` (the classes of its callees come from `prog`). A
/// function that is not in `prog` is classified as if it came after all of `prog`'s.
pub fn classify(f: &FnDef, prog: &Program) -> Class {
    let at = prog
        .funcs
        .iter()
        .position(|g| std::ptr::eq(g, f))
        .unwrap_or(prog.funcs.len());
    let classes = classes(prog, at);
    class_of(f, at, prog, &classes).0
}

/// The Linear B faults of a program, as data: one per mixed function, in program order
/// (empty: the program is in Linear B). [`NotLinearB::to_diagnostic`] renders one.
pub fn check_linear_b(prog: &Program) -> Vec<NotLinearB> {
    let mut classes = Vec::with_capacity(prog.funcs.len());
    let mut faults = Vec::new();
    for (i, f) in prog.funcs.iter().enumerate() {
        let (class, reason) = class_of(f, i, prog, &classes);
        if let (Class::Mixed, Some(reason)) = (class, reason) {
            faults.push(NotLinearB {
                func: f.name.clone(),
                name_span: f.name_span,
                reason,
            });
        }
        classes.push(class);
    }
    faults
}

/// [`check_linear_b`]'s faults rendered as diagnostics (what `lina check --linear-b` prints).
pub fn linear_b_diagnostics(prog: &Program) -> Vec<Diagnostic> {
    check_linear_b(prog)
        .iter()
        .map(NotLinearB::to_diagnostic)
        .collect()
}

/// The class of every function of `prog`, in one pass (each function's class depends only on
/// the classes of the functions above it).
pub fn classify_all(prog: &Program) -> Vec<Class> {
    classes(prog, prog.funcs.len())
}

fn classes(prog: &Program, n: usize) -> Vec<Class> {
    let mut classes = Vec::with_capacity(n);
    for (i, f) in prog.funcs.iter().take(n).enumerate() {
        let class = class_of(f, i, prog, &classes).0;
        classes.push(class);
    }
    classes
}

/// The class of function number `me`, and its first linear part.
fn class_of(f: &FnDef, me: usize, prog: &Program, classes: &[Class]) -> (Class, Option<Reason>) {
    let part = linear_part(f, me, prog, classes);
    let class = match (&part, f.results.is_empty()) {
        (None, _) => Class::Nonlinear,
        (Some(_), true) => Class::Linear,
        (Some(_), false) => Class::Mixed,
    };
    (class, part)
}

/// The first linear part of `f`: its signature, then its body in source order.
fn linear_part(f: &FnDef, me: usize, prog: &Program, classes: &[Class]) -> Option<Reason> {
    if !f.lresults.is_empty() {
        return Some(Reason::LinearResults);
    }
    if let Some(p) = f.lparams.first() {
        return Some(Reason::LinearParam {
            name: f.name_of(p.var).to_string(),
            span: f.local(p.var).map_or(f.name_span, |l| l.span),
        });
    }
    // A linear parameter spelled on the nonlinear side is still linear.
    if let Some(p) = f.params.iter().find(|p| f.is_linear(p.var)) {
        return Some(Reason::LinearParam {
            name: f.name_of(p.var).to_string(),
            span: f.local(p.var).map_or(f.name_span, |l| l.span),
        });
    }
    Finder {
        f,
        me,
        prog,
        classes,
    }
    .block(&f.body)
}

struct Finder<'a> {
    f: &'a FnDef,
    me: usize,
    prog: &'a Program,
    classes: &'a [Class],
}

impl Finder<'_> {
    fn block(&self, b: &Block) -> Option<Reason> {
        let linear =
            |ids: &mut dyn Iterator<Item = &LocalId>| ids.copied().find(|&id| self.f.is_linear(id));
        for bind in &b.binds {
            let binder = match bind {
                Bind::Let { nl, lin, rhs, .. } => {
                    if let Some(r) = self.expr(rhs) {
                        return Some(r);
                    }
                    linear(&mut nl.iter().chain(lin))
                }
                Bind::Unpack { binders, .. } => linear(&mut binders.iter()),
            };
            if let Some(id) = binder {
                return Some(Reason::LinearVar {
                    name: self.f.name_of(id).to_string(),
                    span: self.f.local(id).map_or(bind.span(), |l| l.span),
                });
            }
        }
        self.expr(&b.tail)
    }

    fn expr(&self, e: &Expr) -> Option<Reason> {
        let construct = |what, span| Some(Reason::Construct { what, span });
        match e {
            Expr::Zero { span, .. } => construct(LinearConstruct::Zero, *span),
            Expr::LAdd { span, .. } => construct(LinearConstruct::LAdd, *span),
            Expr::Scale { span, .. } => construct(LinearConstruct::Scale, *span),
            Expr::Dup { span, .. } => construct(LinearConstruct::Dup, *span),
            Expr::LTuple { span, .. } => construct(LinearConstruct::LTuple, *span),
            Expr::Call { func, span, .. } => {
                let i = func.0 as usize;
                let class = if i < self.me {
                    self.classes.get(i).copied()
                } else {
                    None
                };
                (class != Some(Class::Nonlinear)).then(|| Reason::Call {
                    callee: self
                        .prog
                        .func(*func)
                        .map_or_else(|| "?".to_string(), |g| g.name.clone()),
                    class,
                    span: *span,
                })
            }
            Expr::Drop { body, .. } => self.block(body),
            Expr::Block(b) => self.block(b),
            Expr::Ret { .. } | Expr::Tuple { .. } | Expr::Prim { .. } => None,
        }
    }
}
