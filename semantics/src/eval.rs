//! The big-step evaluator of SPEC §3: `ρ ⊢ e ⇓ (vs ; ws), W`.
//!
//! Run time does not distinguish linear from nonlinear values (only the checker does); it
//! keeps the two sides of a multi-value apart, as the syntax does. The work `W` follows the
//! cost model of SPEC §3 (see [`crate::work`] for the same figure computed statically).
//!
//! A block is a loop over its bindings; environments are slot vectors. Calls recurse (the
//! call graph is a DAG of at most the program's length) on a stack that grows on demand, so
//! a chain of a hundred thousand functions does not overflow it. Only calls to functions
//! defined *above* the caller run, which makes every evaluation terminate, typed or not.
//! Nothing here panics on a program or its inputs: ill-typed programs get an [`EvalError`].

use crate::diagnostics::Diagnostic;
use crate::flat::FlatProgram;
use crate::flat_view::{BindView, CodeView, ExprView};
use crate::prims::PrimTable;
use crate::span::Span;
use crate::syntax::*;
use crate::value::Value;
use std::fmt;

/// The results of evaluating a function: its nonlinear and linear values and the work done.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub nl: Vec<Value>,
    pub lin: Vec<Value>,
    pub work: u128,
}

/// Why evaluation went wrong. Well-typed programs never produce one (the test suite checks
/// this on every corpus program and on generated ones).
#[derive(Clone, Debug, PartialEq)]
pub enum EvalError {
    /// The function was given the wrong number of arguments.
    Arguments {
        func: String,
        expected: (usize, usize),
        got: (usize, usize),
        span: Span,
    },
    /// A call of a function defined at or below the caller (recursion is not allowed).
    NotAbove {
        caller: String,
        callee: String,
        span: Span,
    },
    /// A binding's binders do not match the number of values on each side.
    Binding {
        expected: (usize, usize),
        got: (usize, usize),
        span: Span,
    },
    /// A primitive applied to the wrong number of arguments.
    PrimArity {
        prim: &'static str,
        expected: usize,
        got: usize,
        span: Span,
    },
    /// A tuple where a real is needed.
    NotReal { what: &'static str, span: Span },
    /// A real, or a tuple of the wrong length, where a tuple is destructured.
    Destructure {
        expected: usize,
        found: String,
        span: Span,
    },
    /// Linear add of two values of different shapes.
    Shapes { span: Span },
    /// A variable without a value, or a reference to a function or primitive that does not
    /// exist (only a malformed tree built by hand has these).
    Malformed { what: String, span: Span },
    /// The work does not fit in 128 bits.
    WorkOverflow { span: Span },
}

impl EvalError {
    pub fn code(&self) -> &'static str {
        match self {
            EvalError::Arguments { .. } => "E0401",
            EvalError::NotAbove { .. } => "E0402",
            EvalError::Binding { .. } => "E0403",
            EvalError::PrimArity { .. } => "E0404",
            EvalError::NotReal { .. } => "E0405",
            EvalError::Destructure { .. } => "E0406",
            EvalError::Shapes { .. } => "E0407",
            EvalError::Malformed { .. } => "E0408",
            EvalError::WorkOverflow { .. } => "E0409",
        }
    }

    pub fn span(&self) -> Span {
        match self {
            EvalError::Arguments { span, .. }
            | EvalError::NotAbove { span, .. }
            | EvalError::Binding { span, .. }
            | EvalError::PrimArity { span, .. }
            | EvalError::NotReal { span, .. }
            | EvalError::Destructure { span, .. }
            | EvalError::Shapes { span, .. }
            | EvalError::Malformed { span, .. }
            | EvalError::WorkOverflow { span } => *span,
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::error(self.code(), self.to_string())
            .with_primary(self.span(), "evaluation went wrong here")
    }
}

fn pair((n, l): (usize, usize)) -> String {
    format!("{n} nonlinear and {l} linear")
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Arguments {
                func,
                expected,
                got,
                ..
            } => {
                write!(
                    f,
                    "`{func}` takes {} arguments, given {}",
                    pair(*expected),
                    pair(*got)
                )
            }
            EvalError::NotAbove { caller, callee, .. } => {
                write!(
                    f,
                    "`{caller}` calls `{callee}`, which is not defined above it"
                )
            }
            EvalError::Binding { expected, got, .. } => {
                write!(f, "{} binders for {} values", pair(*expected), pair(*got))
            }
            EvalError::PrimArity {
                prim,
                expected,
                got,
                ..
            } => {
                write!(f, "`{prim}` takes {expected} arguments, given {got}")
            }
            EvalError::NotReal { what, .. } => {
                write!(f, "{what} must be a real number, found a tuple")
            }
            EvalError::Destructure {
                expected, found, ..
            } => {
                write!(f, "cannot destructure {found} into {expected} components")
            }
            EvalError::Shapes { .. } => f.write_str("linear add of values of different shapes"),
            EvalError::Malformed { what, .. } => write!(f, "malformed program: {what}"),
            EvalError::WorkOverflow { .. } => f.write_str("the work exceeds 2^128"),
        }
    }
}

/// How many nonlinear and linear values an expression left on the evaluator's stack.
type Counts = (usize, usize);

/// Evaluates function `func` of `prog` on the given arguments.
pub fn eval_fn(
    prog: &Program,
    prims: &PrimTable,
    func: FuncId,
    nl: &[Value],
    lin: &[Value],
) -> Result<Outcome, EvalError> {
    eval_in(prog, prims, func, nl, lin)
}

/// [`eval_fn`] on the parser's flat form (what `lina eval` runs: the same evaluator, without
/// building the public syntax).
pub fn eval_flat(
    prog: &FlatProgram,
    prims: &PrimTable,
    func: FuncId,
    nl: &[Value],
    lin: &[Value],
) -> Result<Outcome, EvalError> {
    eval_in(prog, prims, func, nl, lin)
}

/// The evaluator, on either spelling of a program.
fn eval_in<C: CodeView>(
    code: &C,
    prims: &PrimTable,
    func: FuncId,
    nl: &[Value],
    lin: &[Value],
) -> Result<Outcome, EvalError> {
    let mut ev = Evaluator {
        code,
        prims,
        work: 0,
        stack: Vec::with_capacity(nl.len() + lin.len() + 16),
    };
    ev.stack.extend_from_slice(nl);
    ev.stack.extend_from_slice(lin);
    let (n, l) = ev.call(func, (nl.len(), lin.len()), None)?;
    let lin = ev.stack.split_off(ev.stack.len().saturating_sub(l));
    let nl = ev.stack.split_off(ev.stack.len().saturating_sub(n));
    Ok(Outcome {
        nl,
        lin,
        work: ev.work,
    })
}

/// The evaluator's state. Every expression pushes its results on `stack` (nonlinear side
/// first) and returns how many: a binding moves them into its slots, a call's arguments
/// become the callee's parameters, so no vector is allocated per expression.
struct Evaluator<'p, C> {
    code: &'p C,
    prims: &'p PrimTable,
    work: u128,
    stack: Vec<Value>,
}

struct Frame<'p, C> {
    code: &'p C,
    me: FuncId,
    env: Vec<Option<Value>>,
}

impl<'p, C: CodeView> Evaluator<'p, C> {
    fn charge(&mut self, w: u128, span: Span) -> Result<(), EvalError> {
        self.work = self
            .work
            .checked_add(w)
            .ok_or(EvalError::WorkOverflow { span })?;
        Ok(())
    }

    /// The top `n` values of the stack, taken off it.
    fn take(&mut self, n: usize) -> std::vec::Drain<'_, Value> {
        let from = self.stack.len().saturating_sub(n);
        self.stack.drain(from..)
    }

    /// Runs `func`'s body on the `args` values on top of the stack (nonlinear then linear),
    /// leaving its results there; `site` is the calling function and call span, `None` at
    /// the top.
    fn call(
        &mut self,
        func: FuncId,
        (nl, lin): Counts,
        site: Option<(FuncId, Span)>,
    ) -> Result<Counts, EvalError> {
        let span = site.map_or(Span::GENERATED, |s| s.1);
        let code = self.code;
        let Some(f) = code.func(func) else {
            return Err(EvalError::Malformed {
                what: format!("no function #{}", func.0),
                span,
            });
        };
        if let Some((caller_id, span)) = site
            && func >= caller_id
        {
            let caller = code.func(caller_id).map_or("?", |c| c.name);
            return Err(EvalError::NotAbove {
                caller: caller.to_string(),
                callee: f.name.to_string(),
                span,
            });
        }
        if nl != f.params.len() || lin != f.lparams.len() {
            return Err(EvalError::Arguments {
                func: f.name.to_string(),
                expected: (f.params.len(), f.lparams.len()),
                got: (nl, lin),
                span,
            });
        }
        let mut frame = Frame {
            code,
            me: func,
            env: vec![None; f.locals],
        };
        let args = self.take(nl + lin);
        for (p, v) in f.params.iter().chain(f.lparams).zip(args) {
            frame.set(p.var, v, f.span)?;
        }
        // Recursion depth is the call-chain depth, which no bound limits: grow the stack.
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || {
            self.block(&mut frame, f.body)
        })
    }

    fn block(&mut self, fr: &mut Frame<'p, C>, b: C::Block<'p>) -> Result<Counts, EvalError> {
        let code = self.code;
        for bind in code.binds(b) {
            match bind {
                BindView::Let { nl, lin, rhs, span } => {
                    self.charge(1, span)?;
                    let (n, l) = self.expr(fr, rhs)?;
                    if n != nl.len() || l != lin.len() {
                        return Err(EvalError::Binding {
                            expected: (nl.len(), lin.len()),
                            got: (n, l),
                            span,
                        });
                    }
                    let from = self.stack.len().saturating_sub(n + l);
                    for (x, v) in nl.iter().chain(lin).zip(self.stack.drain(from..)) {
                        fr.set(*x, v, span)?;
                    }
                }
                BindView::Unpack { binders, src, span } => {
                    self.charge(2, span)?;
                    let v = fr.get(src)?;
                    match &v {
                        Value::Tuple(items) if items.len() == binders.len() => {
                            for (x, v) in binders.iter().zip(items.iter()) {
                                fr.set(*x, v.clone(), span)?;
                            }
                        }
                        other => {
                            let found = match other {
                                Value::Real(_) => "a real".to_string(),
                                Value::Tuple(items) => format!("a tuple of {}", items.len()),
                            };
                            return Err(EvalError::Destructure {
                                expected: binders.len(),
                                found,
                                span: src.span,
                            });
                        }
                    }
                }
            }
        }
        self.expr(fr, code.tail(b))
    }

    fn atom(&mut self, fr: &Frame<'p, C>, a: &Atom) -> Result<Value, EvalError> {
        self.charge(1, a.span())?;
        match a {
            Atom::Var(v) => fr.get(*v),
            Atom::Lit(x, _) => Ok(Value::Real(*x)),
        }
    }

    /// Pushes the atoms' values; returns how many.
    fn push_atoms(&mut self, fr: &Frame<'p, C>, xs: &[Atom]) -> Result<usize, EvalError> {
        for a in xs {
            let v = self.atom(fr, a)?;
            self.stack.push(v);
        }
        Ok(xs.len())
    }

    /// The atoms' values as a tuple.
    fn tuple(&mut self, fr: &Frame<'p, C>, xs: &[Atom]) -> Result<Value, EvalError> {
        let items = xs
            .iter()
            .map(|a| self.atom(fr, a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::tuple(items))
    }

    fn real(&mut self, fr: &Frame<'p, C>, a: &Atom, what: &'static str) -> Result<f64, EvalError> {
        self.atom(fr, a)?.as_real().ok_or(EvalError::NotReal {
            what,
            span: a.span(),
        })
    }

    /// One linear value pushed.
    fn single(&mut self, v: Value) -> Result<Counts, EvalError> {
        self.stack.push(v);
        Ok((0, 1))
    }

    fn expr(
        &mut self,
        fr: &mut Frame<'p, C>,
        e: ExprView<'p, C::Block<'p>>,
    ) -> Result<Counts, EvalError> {
        match e {
            ExprView::Ret { nl, lin, span } => {
                self.charge(1, span)?;
                Ok((self.push_atoms(fr, nl)?, self.push_atoms(fr, lin)?))
            }
            ExprView::Tuple { items, span } => {
                self.charge(1, span)?;
                let t = self.tuple(fr, items)?;
                self.stack.push(t);
                Ok((1, 0))
            }
            ExprView::LTuple { items, span } => {
                self.charge(1, span)?;
                let t = self.tuple(fr, items)?;
                self.single(t)
            }
            ExprView::Call {
                func,
                nl,
                lin,
                span,
            } => {
                self.charge(1, span)?;
                let counts = (self.push_atoms(fr, nl)?, self.push_atoms(fr, lin)?);
                self.call(func, counts, Some((fr.me, span)))
            }
            ExprView::Prim { prim, args, span } => {
                let Some(row) = self.prims.get(prim) else {
                    return Err(EvalError::Malformed {
                        what: format!("no primitive #{}", prim.0),
                        span,
                    });
                };
                if args.len() != row.arity {
                    return Err(EvalError::PrimArity {
                        prim: row.name,
                        expected: row.arity,
                        got: args.len(),
                        span,
                    });
                }
                self.charge(row.cost, span)?;
                // Primitives take one or two arguments: no vector for them.
                let mut small = [0.0; 4];
                let y = if args.len() <= small.len() {
                    for (x, a) in small.iter_mut().zip(args) {
                        *x = self.real(fr, a, "a primitive's argument")?;
                    }
                    (row.eval)(&small[..args.len()])
                } else {
                    let xs = args
                        .iter()
                        .map(|a| self.real(fr, a, "a primitive's argument"))
                        .collect::<Result<Vec<_>, _>>()?;
                    (row.eval)(&xs)
                };
                self.stack.push(Value::Real(y));
                Ok((1, 0))
            }
            ExprView::LAdd { lhs, rhs, span } => {
                let (a, b) = (self.atom(fr, &lhs)?, self.atom(fr, &rhs)?);
                let sum = a
                    .zip_with(&b, &|x, y| x + y)
                    .ok_or(EvalError::Shapes { span })?;
                self.charge(sum.size().max(1), span)?;
                self.single(sum)
            }
            ExprView::Scale { scalar, lin, span } => {
                let c = self.real(fr, &scalar, "a scale's factor")?;
                let v = self.atom(fr, &lin)?;
                self.charge(v.size().max(1), span)?;
                self.single(v.map(&|x| c * x))
            }
            ExprView::Zero { ty, span } => {
                self.charge(ty.size().max(1), span)?;
                self.single(Value::zero(ty))
            }
            ExprView::Dup { arg, span } => {
                let v = self.atom(fr, &arg)?;
                self.charge(v.size().max(1), span)?;
                self.stack.push(v.clone());
                self.stack.push(v);
                Ok((0, 2))
            }
            ExprView::Drop { body, span } => {
                let (n, l) = self.block(fr, body)?;
                let size: u128 = self.take(n + l).map(|v| v.size()).sum();
                self.charge(size.max(1), span)?;
                Ok((0, 0))
            }
            ExprView::Block(b) => self.block(fr, b),
        }
    }
}

impl<C: CodeView> Frame<'_, C> {
    fn get(&self, v: Var) -> Result<Value, EvalError> {
        match self.env.get(v.id.0 as usize) {
            Some(Some(val)) => Ok(val.clone()),
            _ => Err(EvalError::Malformed {
                what: format!("`{}` has no value here", self.code.slot_name(self.me, v.id)),
                span: v.span,
            }),
        }
    }

    fn set(&mut self, x: LocalId, v: Value, span: Span) -> Result<(), EvalError> {
        match self.env.get_mut(x.0 as usize) {
            Some(slot) => {
                *slot = Some(v);
                Ok(())
            }
            None => Err(EvalError::Malformed {
                what: format!("no slot #{}", x.0),
                span,
            }),
        }
    }
}
