//! The big-step evaluator of SPEC §3: `ρ ⊢ e ⇓ (vs ; ws), W`.
//!
//! Run time does not distinguish linear from nonlinear values (only the checker does); it
//! keeps the two sides of a multi-value apart, as the syntax does. The work `W` follows the
//! cost model of SPEC §3 (see [`crate::work`] for the same figure computed statically).
//!
//! A block is a loop over its bindings; environments are slot vectors. Neither calls nor
//! nested blocks recurse: the evaluator keeps its own stack of continuations and frames (see
//! [`Evaluator`]), so a chain of a hundred thousand functions costs a few records per call. Only calls to functions
//! defined *above* the caller run, which makes every evaluation terminate, typed or not.
//! Nothing here panics on a program or its inputs: ill-typed programs get an [`EvalError`].

use crate::diagnostics::Diagnostic;
use crate::flat::{AtomList, FlatProgram};
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
        env: Vec::new(),
        frames: Vec::new(),
        conts: Vec::new(),
    };
    ev.stack.extend_from_slice(nl);
    ev.stack.extend_from_slice(lin);
    ev.enter(func, (nl.len(), lin.len()), None)?;
    let (n, l) = ev.run()?;
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
///
/// Calls and nested blocks do not recurse: what is left to do when a callee or a nested block
/// ends is a continuation on `conts`, and every active call's slots are a run of the one
/// `env` (its frame on `frames`). A chain of a hundred thousand calls is then a hundred
/// thousand small records, not as many native stack frames.
struct Evaluator<'p, C: CodeView> {
    code: &'p C,
    prims: &'p PrimTable,
    work: u128,
    stack: Vec<Value>,
    /// The slots of every active call, the innermost last.
    env: Vec<Option<Value>>,
    frames: Vec<Frame>,
    conts: Vec<Cont<C::Block<'p>>>,
}

/// An active call: its function and where its slots start in [`Evaluator::env`].
struct Frame {
    me: FuncId,
    base: usize,
    len: usize,
}

/// What is left to do when the expression running above it ends.
enum Cont<B> {
    /// A block of the innermost call: binding `at` is running (its results go to its binders,
    /// then binding `at + 1` runs), or, with `tail`, the block's tail is (its results are the
    /// block's).
    Block { block: B, at: usize, tail: bool },
    /// The body of a `drop`: its values are discarded.
    Drop { span: Span },
    /// The body of a call: the callee's frame ends.
    Return,
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

    /// Starts `func`'s body on the `args` values on top of the stack (nonlinear then linear):
    /// a new frame, and the body's block to run; `site` is the calling function and call
    /// span, `None` at the top.
    fn enter(
        &mut self,
        func: FuncId,
        (nl, lin): Counts,
        site: Option<(FuncId, Span)>,
    ) -> Result<(), EvalError> {
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
        let base = self.env.len();
        if self.frames.is_empty() {
            // Room for the callees' frames beside the outermost one, so that a long body's
            // slots are not copied when the first callee arrives (capacity never written is
            // never backed by memory).
            self.env.reserve(2 * f.locals + 1024);
        }
        self.env.resize(base + f.locals, None);
        self.frames.push(Frame {
            me: func,
            base,
            len: f.locals,
        });
        let from = self.stack.len().saturating_sub(nl + lin);
        for (i, p) in f.params.iter().chain(f.lparams).enumerate() {
            let v = self.pick(from + i, span)?;
            self.set(p.var, v, f.span)?;
        }
        self.stack.truncate(from);
        self.conts.push(Cont::Return);
        self.conts.push(Cont::Block {
            block: f.body,
            at: 0,
            tail: false,
        });
        Ok(())
    }

    /// Runs the continuations until the outermost call returns; its result counts.
    fn run(&mut self) -> Result<Counts, EvalError> {
        let code = self.code;
        // The counts of the expression that just ended, or `None` when the block on top of
        // `conts` is to go on.
        let mut done: Option<Counts> = None;
        loop {
            if let Some(counts) = done.take() {
                match self.conts.pop() {
                    None => return Ok(counts),
                    Some(Cont::Block { tail: true, .. }) => done = Some(counts),
                    Some(Cont::Block { block, at, .. }) => {
                        if let Some(BindView::Let { nl, lin, span, .. }) = code.bind_at(block, at) {
                            self.bind(nl, lin, counts, span)?;
                        }
                        self.conts.push(Cont::Block {
                            block,
                            at: at + 1,
                            tail: false,
                        });
                    }
                    Some(Cont::Drop { span }) => {
                        let (n, l) = counts;
                        let size: u128 = self.take(n + l).map(|v| v.size()).sum();
                        self.charge(size.max(1), span)?;
                        done = Some((0, 0));
                    }
                    Some(Cont::Return) => {
                        if let Some(f) = self.frames.pop() {
                            self.env.truncate(f.base);
                        }
                        done = Some(counts);
                    }
                }
                continue;
            }
            // Go on with the block on top: its bindings from `at`, until one starts a call
            // or a nested block (which then runs first) or the tail ends it.
            let top = self.conts.len() - 1;
            let Some(&Cont::Block { block, at, .. }) = self.conts.get(top) else {
                return Err(EvalError::Malformed {
                    what: "the evaluator lost its place".to_string(),
                    span: Span::GENERATED,
                });
            };
            let count = code.bind_count(block);
            let mut i = at;
            while i < count && done.is_none() {
                match code.bind_at(block, i) {
                    Some(BindView::Let { nl, lin, rhs, span }) => {
                        self.charge(1, span)?;
                        match self.start(rhs)? {
                            Some(counts) => self.bind(nl, lin, counts, span)?,
                            None => {
                                // The right-hand side runs above; its results come back here.
                                self.conts[top] = Cont::Block {
                                    block,
                                    at: i,
                                    tail: false,
                                };
                                break;
                            }
                        }
                    }
                    Some(BindView::Unpack { binders, src, span }) => {
                        self.unpack(binders, src, span)?;
                    }
                    None => {}
                }
                i += 1;
            }
            if i < count {
                continue;
            }
            match self.start(code.tail(block))? {
                Some(counts) => {
                    self.conts.truncate(top);
                    done = Some(counts);
                }
                None => {
                    self.conts[top] = Cont::Block {
                        block,
                        at: i,
                        tail: true,
                    };
                }
            }
        }
    }

    /// Moves a binding's values into its binders.
    fn bind(
        &mut self,
        nl: &[LocalId],
        lin: &[LocalId],
        (n, l): Counts,
        span: Span,
    ) -> Result<(), EvalError> {
        if n != nl.len() || l != lin.len() {
            return Err(EvalError::Binding {
                expected: (nl.len(), lin.len()),
                got: (n, l),
                span,
            });
        }
        let from = self.stack.len().saturating_sub(n + l);
        for (k, x) in nl.iter().chain(lin).enumerate() {
            let v = self.pick(from + k, span)?;
            self.set(*x, v, span)?;
        }
        self.stack.truncate(from);
        Ok(())
    }

    /// Takes the value at `i` of the stack (its place is truncated away next).
    fn pick(&mut self, i: usize, span: Span) -> Result<Value, EvalError> {
        match self.stack.get_mut(i) {
            Some(v) => Ok(std::mem::replace(v, Value::Real(0.0))),
            None => Err(EvalError::Malformed {
                what: "a value is missing from the stack".to_string(),
                span,
            }),
        }
    }

    fn unpack(&mut self, binders: &[LocalId], src: Var, span: Span) -> Result<(), EvalError> {
        self.charge(2, span)?;
        let v = self.get(src)?;
        match &v {
            Value::Tuple(items) if items.len() == binders.len() => {
                for (x, v) in binders.iter().zip(items.iter()) {
                    self.set(*x, v.clone(), span)?;
                }
                Ok(())
            }
            other => {
                let found = match other {
                    Value::Real(_) => "a real".to_string(),
                    Value::Tuple(items) => format!("a tuple of {}", items.len()),
                };
                Err(EvalError::Destructure {
                    expected: binders.len(),
                    found,
                    span: src.span,
                })
            }
        }
    }

    /// The innermost call's frame.
    fn frame(&self) -> Option<&Frame> {
        self.frames.last()
    }

    fn get(&self, v: Var) -> Result<Value, EvalError> {
        if let Some(f) = self.frame()
            && (v.id.0 as usize) < f.len
            && let Some(Some(val)) = self.env.get(f.base + v.id.0 as usize)
        {
            return Ok(val.clone());
        }
        let me = self.frame().map_or(FuncId(u32::MAX), |f| f.me);
        Err(EvalError::Malformed {
            what: format!("`{}` has no value here", self.code.slot_name(me, v.id)),
            span: v.span,
        })
    }

    fn set(&mut self, x: LocalId, v: Value, span: Span) -> Result<(), EvalError> {
        if let Some(f) = self.frames.last()
            && (x.0 as usize) < f.len
            && let Some(slot) = self.env.get_mut(f.base + x.0 as usize)
        {
            *slot = Some(v);
            return Ok(());
        }
        Err(EvalError::Malformed {
            what: format!("no slot #{}", x.0),
            span,
        })
    }

    fn atom(&mut self, a: &Atom) -> Result<Value, EvalError> {
        self.charge(1, a.span())?;
        match a {
            Atom::Var(v) => self.get(*v),
            Atom::Lit(x, _) => Ok(Value::Real(*x)),
        }
    }

    /// Pushes the atoms' values; returns how many.
    fn push_atoms(&mut self, xs: AtomList<'_>) -> Result<usize, EvalError> {
        for a in xs {
            let v = self.atom(&a)?;
            self.stack.push(v);
        }
        Ok(xs.len())
    }

    /// The atoms' values as a tuple.
    fn tuple(&mut self, xs: AtomList<'_>) -> Result<Value, EvalError> {
        let items = xs
            .iter()
            .map(|a| self.atom(&a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::tuple(items))
    }

    fn real(&mut self, a: &Atom, what: &'static str) -> Result<f64, EvalError> {
        self.atom(a)?.as_real().ok_or(EvalError::NotReal {
            what,
            span: a.span(),
        })
    }

    /// One linear value pushed.
    fn single(&mut self, v: Value) -> Result<Counts, EvalError> {
        self.stack.push(v);
        Ok((0, 1))
    }

    /// Evaluates an expression that needs no other to run first (its counts), or starts one
    /// that does (a call, a nested block, a `drop`: `None`, and its continuation is on
    /// `conts`).
    fn start(&mut self, e: ExprView<'p, C::Block<'p>>) -> Result<Option<Counts>, EvalError> {
        let counts = match e {
            ExprView::Ret { nl, lin, span } => {
                self.charge(1, span)?;
                (self.push_atoms(nl)?, self.push_atoms(lin)?)
            }
            ExprView::Tuple { items, span } => {
                self.charge(1, span)?;
                let t = self.tuple(items)?;
                self.stack.push(t);
                (1, 0)
            }
            ExprView::LTuple { items, span } => {
                self.charge(1, span)?;
                let t = self.tuple(items)?;
                self.single(t)?
            }
            ExprView::Call {
                func,
                nl,
                lin,
                span,
            } => {
                self.charge(1, span)?;
                let counts = (self.push_atoms(nl)?, self.push_atoms(lin)?);
                let me = self.frame().map_or(FuncId(u32::MAX), |f| f.me);
                self.enter(func, counts, Some((me, span)))?;
                return Ok(None);
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
                        *x = self.real(&a, "a primitive's argument")?;
                    }
                    (row.eval)(&small[..args.len()])
                } else {
                    let xs = args
                        .iter()
                        .map(|a| self.real(&a, "a primitive's argument"))
                        .collect::<Result<Vec<_>, _>>()?;
                    (row.eval)(&xs)
                };
                self.stack.push(Value::Real(y));
                (1, 0)
            }
            ExprView::LAdd { lhs, rhs, span } => {
                let (a, b) = (self.atom(&lhs)?, self.atom(&rhs)?);
                let sum = a
                    .zip_with(&b, &|x, y| x + y)
                    .ok_or(EvalError::Shapes { span })?;
                self.charge(sum.size().max(1), span)?;
                self.single(sum)?
            }
            ExprView::Scale { scalar, lin, span } => {
                let c = self.real(&scalar, "a scale's factor")?;
                let v = self.atom(&lin)?;
                self.charge(v.size().max(1), span)?;
                self.single(v.map(&|x| c * x))?
            }
            ExprView::Zero { ty, span } => {
                self.charge(ty.size().max(1), span)?;
                self.single(Value::zero(ty))?
            }
            ExprView::Dup { arg, span } => {
                let v = self.atom(&arg)?;
                self.charge(v.size().max(1), span)?;
                self.stack.push(v.clone());
                self.stack.push(v);
                (0, 2)
            }
            ExprView::Drop { body, span } => {
                self.conts.push(Cont::Drop { span });
                self.conts.push(Cont::Block {
                    block: body,
                    at: 0,
                    tail: false,
                });
                return Ok(None);
            }
            ExprView::Block(b) => {
                self.conts.push(Cont::Block {
                    block: b,
                    at: 0,
                    tail: false,
                });
                return Ok(None);
            }
        };
        Ok(Some(counts))
    }
}
