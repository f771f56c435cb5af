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

type Multi = (Vec<Value>, Vec<Value>);

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
    };
    let (nl, lin) = ev.call(func, nl.to_vec(), lin.to_vec(), None)?;
    Ok(Outcome {
        nl,
        lin,
        work: ev.work,
    })
}

struct Evaluator<'p, C> {
    code: &'p C,
    prims: &'p PrimTable,
    work: u128,
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

    /// Runs `func`'s body; `site` is the calling function and call span, `None` at the top.
    fn call(
        &mut self,
        func: FuncId,
        nl: Vec<Value>,
        lin: Vec<Value>,
        site: Option<(FuncId, Span)>,
    ) -> Result<Multi, EvalError> {
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
        if nl.len() != f.params.len() || lin.len() != f.lparams.len() {
            return Err(EvalError::Arguments {
                func: f.name.to_string(),
                expected: (f.params.len(), f.lparams.len()),
                got: (nl.len(), lin.len()),
                span,
            });
        }
        let mut frame = Frame {
            code,
            me: func,
            env: vec![None; f.locals],
        };
        for (p, v) in f
            .params
            .iter()
            .chain(f.lparams)
            .zip(nl.into_iter().chain(lin))
        {
            frame.set(p.var, v, f.span)?;
        }
        // Recursion depth is the call-chain depth, which no bound limits: grow the stack.
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || {
            self.block(&mut frame, f.body)
        })
    }

    fn block(&mut self, fr: &mut Frame<'p, C>, b: C::Block<'p>) -> Result<Multi, EvalError> {
        let code = self.code;
        for bind in code.binds(b) {
            match bind {
                BindView::Let { nl, lin, rhs, span } => {
                    self.charge(1, span)?;
                    let (vs, ws) = self.expr(fr, rhs)?;
                    if vs.len() != nl.len() || ws.len() != lin.len() {
                        return Err(EvalError::Binding {
                            expected: (nl.len(), lin.len()),
                            got: (vs.len(), ws.len()),
                            span,
                        });
                    }
                    for (x, v) in nl.iter().chain(lin).zip(vs.into_iter().chain(ws)) {
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

    fn atoms(&mut self, fr: &Frame<'p, C>, xs: &[Atom]) -> Result<Vec<Value>, EvalError> {
        xs.iter().map(|a| self.atom(fr, a)).collect()
    }

    fn real(&mut self, fr: &Frame<'p, C>, a: &Atom, what: &'static str) -> Result<f64, EvalError> {
        self.atom(fr, a)?.as_real().ok_or(EvalError::NotReal {
            what,
            span: a.span(),
        })
    }

    fn expr(
        &mut self,
        fr: &mut Frame<'p, C>,
        e: ExprView<'p, C::Block<'p>>,
    ) -> Result<Multi, EvalError> {
        let single = |v| Ok((vec![], vec![v]));
        match e {
            ExprView::Ret { nl, lin, span } => {
                self.charge(1, span)?;
                Ok((self.atoms(fr, nl)?, self.atoms(fr, lin)?))
            }
            ExprView::Tuple { items, span } => {
                self.charge(1, span)?;
                Ok((vec![Value::tuple(self.atoms(fr, items)?)], vec![]))
            }
            ExprView::LTuple { items, span } => {
                self.charge(1, span)?;
                single(Value::tuple(self.atoms(fr, items)?))
            }
            ExprView::Call {
                func,
                nl,
                lin,
                span,
            } => {
                self.charge(1, span)?;
                let (nl, lin) = (self.atoms(fr, nl)?, self.atoms(fr, lin)?);
                self.call(func, nl, lin, Some((fr.me, span)))
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
                let xs = args
                    .iter()
                    .map(|a| self.real(fr, a, "a primitive's argument"))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((vec![Value::Real((row.eval)(&xs))], vec![]))
            }
            ExprView::LAdd { lhs, rhs, span } => {
                let (a, b) = (self.atom(fr, &lhs)?, self.atom(fr, &rhs)?);
                let sum = a
                    .zip_with(&b, &|x, y| x + y)
                    .ok_or(EvalError::Shapes { span })?;
                self.charge(sum.size().max(1), span)?;
                single(sum)
            }
            ExprView::Scale { scalar, lin, span } => {
                let c = self.real(fr, &scalar, "a scale's factor")?;
                let v = self.atom(fr, &lin)?;
                self.charge(v.size().max(1), span)?;
                single(v.map(&|x| c * x))
            }
            ExprView::Zero { ty, span } => {
                self.charge(ty.size().max(1), span)?;
                single(Value::zero(ty))
            }
            ExprView::Dup { arg, span } => {
                let v = self.atom(fr, &arg)?;
                self.charge(v.size().max(1), span)?;
                Ok((vec![], vec![v.clone(), v]))
            }
            ExprView::Drop { body, span } => {
                let (vs, ws) = self.block(fr, body)?;
                let size: u128 = vs.iter().chain(&ws).map(Value::size).sum();
                self.charge(size.max(1), span)?;
                Ok((vec![], vec![]))
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
