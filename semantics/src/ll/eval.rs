//! The big-step evaluator of λLL, call by value, with work.
//!
//! Values are reals, tuples and closures; `!` is transparent at run time (promotion evaluates
//! its body at once: Linear A has no effects and always terminates, so eager and lazy
//! promotion agree). A closure holds its λ (shared code) and the values of its captures,
//! which is where the residuals of a linearized function live.
//!
//! The work model (docs/lambda-ll.md states it with the reasons):
//! | construct | work |
//! | --- | --- |
//! | an atom occurrence (variable, literal, global) | 1 |
//! | a `let` | 1, plus 1 when its pattern is a tensor (the destructure) |
//! | `!t` | 1 + W(t) |
//! | a tuple of n atoms | 1 + n |
//! | `fun`: building a closure of k captures | 1 + k |
//! | an application `a b` | 1 + its two atoms + W(body) |
//! | a primitive | cost(p) + its atoms |
//! | `zero[V]`, `+`, scaling, `dup` on V | max(1, size V) + their atoms |
//! | `drop a` | max(1, size of a's value) + 1 |

use super::syntax::*;
use crate::diagnostics::Diagnostic;
use crate::prims::PrimTable;
use crate::span::Span;
use crate::value::Value;
use std::rc::Rc;

#[derive(Clone, Debug)]
pub enum LlValue {
    Real(f64),
    Tuple(Rc<[LlValue]>),
    Closure(Rc<Closure>),
}

#[derive(Debug)]
pub struct Closure {
    pub def: DefId,
    pub lam: Rc<Lam>,
    pub env: Vec<LlValue>,
}

impl LlValue {
    pub fn tuple(items: Vec<LlValue>) -> LlValue {
        LlValue::Tuple(items.into())
    }

    /// Reals in the value (a closure counts one: the pointer that is copied or discarded).
    pub fn size(&self) -> u128 {
        match self {
            LlValue::Real(_) => 1,
            LlValue::Tuple(vs) => vs.iter().map(LlValue::size).sum(),
            LlValue::Closure(_) => 1,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            LlValue::Real(_) => "a real",
            LlValue::Tuple(_) => "a tuple",
            LlValue::Closure(_) => "a closure",
        }
    }
}

/// A Linear A value as a λLL value (the same shape: boxes are invisible at run time).
pub fn from_value(v: &Value) -> LlValue {
    match v {
        Value::Real(x) => LlValue::Real(*x),
        Value::Tuple(vs) => LlValue::tuple(vs.iter().map(from_value).collect()),
    }
}

/// The Linear A value of a λLL value (`None` for a closure).
pub fn to_value(v: &LlValue) -> Option<Value> {
    match v {
        LlValue::Real(x) => Some(Value::Real(*x)),
        LlValue::Tuple(vs) => vs
            .iter()
            .map(to_value)
            .collect::<Option<Vec<_>>>()
            .map(Value::tuple),
        LlValue::Closure(_) => None,
    }
}

#[derive(Clone, Debug)]
pub struct LlOutcome {
    pub value: LlValue,
    pub work: u128,
}

/// Evaluating an ill-typed λLL term (a well-typed one never fails): E0760.
#[derive(Clone, Debug, PartialEq)]
pub struct LlEvalError {
    pub message: String,
    pub span: Span,
}

impl LlEvalError {
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::error("E0760", format!("λLL evaluation: {}", self.message))
            .with_primary(self.span, "evaluation went wrong here")
    }
}

fn fail<T>(message: impl Into<String>, span: Span) -> Result<T, LlEvalError> {
    Err(LlEvalError {
        message: message.into(),
        span,
    })
}

type R<T> = Result<T, LlEvalError>;

/// Applies definition `id` (a function) to `arg`.
pub fn eval_def(prog: &LlProgram, id: DefId, arg: LlValue) -> R<LlOutcome> {
    let mut ev = Evaluator::new(prog)?;
    let f = ev
        .globals
        .get(id.0 as usize)
        .cloned()
        .ok_or_else(|| LlEvalError {
            message: format!("no definition #{}", id.0),
            span: Span::GENERATED,
        })?;
    let value = ev.apply(&f, arg, Span::GENERATED)?;
    Ok(LlOutcome {
        value,
        work: ev.work,
    })
}

/// Applies a closure value (such as the linear map a JVP returns) to `arg`.
pub fn apply(prog: &LlProgram, f: &LlValue, arg: LlValue) -> R<LlOutcome> {
    let mut ev = Evaluator::new(prog)?;
    let value = ev.apply(f, arg, Span::GENERATED)?;
    Ok(LlOutcome {
        value,
        work: ev.work,
    })
}

struct Evaluator<'p> {
    prog: &'p LlProgram,
    globals: Vec<LlValue>,
    work: u128,
}

struct Frame {
    def: DefId,
    env: Vec<Option<LlValue>>,
}

impl<'p> Evaluator<'p> {
    /// Evaluates every definition, in order (each is closed; its work is not charged).
    fn new(prog: &'p LlProgram) -> R<Evaluator<'p>> {
        let mut ev = Evaluator {
            prog,
            globals: Vec::with_capacity(prog.defs.len()),
            work: 0,
        };
        for (i, d) in prog.defs.iter().enumerate() {
            let mut fr = Frame {
                def: DefId(i as u32),
                env: vec![None; d.slots.len()],
            };
            let v = ev.block(&mut fr, &d.body)?;
            ev.globals.push(v);
        }
        ev.work = 0;
        Ok(ev)
    }

    fn charge(&mut self, w: u128, span: Span) -> R<()> {
        match self.work.checked_add(w) {
            Some(x) => {
                self.work = x;
                Ok(())
            }
            None => fail("the work exceeds 2^128", span),
        }
    }

    fn apply(&mut self, f: &LlValue, arg: LlValue, span: Span) -> R<LlValue> {
        let LlValue::Closure(c) = f else {
            return fail(format!("applying {}, not a function", f.kind()), span);
        };
        let Some(d) = self.prog.def(c.def) else {
            return fail("a closure of a definition that does not exist", span);
        };
        let mut fr = Frame {
            def: c.def,
            env: vec![None; d.slots.len()],
        };
        for (x, v) in c.lam.captures.iter().zip(&c.env) {
            fr.set(*x, v.clone(), span)?;
        }
        fr.set(c.lam.param, arg, span)?;
        let lam = c.lam.clone();
        stacker::maybe_grow(64 * 1024, 2 * 1024 * 1024, || {
            self.block(&mut fr, &lam.body)
        })
    }

    fn block(&mut self, fr: &mut Frame, b: &Block) -> R<LlValue> {
        for bind in &b.binds {
            let tensor = matches!(bind.pat, Pat::Tensor(_));
            self.charge(1 + u128::from(tensor), bind.span)?;
            let v = self.expr(fr, &bind.rhs)?;
            match &bind.pat {
                Pat::Lin(x) | Pat::Bang(x) => fr.set(*x, v, bind.span)?,
                Pat::Tensor(items) => match v {
                    LlValue::Tuple(vs) if vs.len() == items.len() => {
                        for ((x, _), v) in items.iter().zip(vs.iter()) {
                            fr.set(*x, v.clone(), bind.span)?;
                        }
                    }
                    other => {
                        return fail(
                            format!(
                                "a pattern of {} components matched against {}",
                                items.len(),
                                other.kind()
                            ),
                            bind.span,
                        );
                    }
                },
            }
        }
        self.expr(fr, &b.tail)
    }

    fn atom(&mut self, fr: &Frame, a: &Atom) -> R<LlValue> {
        self.charge(1, a.span())?;
        match a {
            Atom::Lit(x, _) => Ok(LlValue::Real(*x)),
            Atom::Var(x, s) => match fr.env.get(x.0 as usize) {
                Some(Some(v)) => Ok(v.clone()),
                _ => fail(format!("slot #{} has no value", x.0), *s),
            },
            Atom::Global(g, s) => match self.globals.get(g.0 as usize) {
                Some(v) => Ok(v.clone()),
                None => fail(format!("definition #{} is not defined above", g.0), *s),
            },
        }
    }

    fn real(&mut self, fr: &Frame, a: &Atom) -> R<f64> {
        match self.atom(fr, a)? {
            LlValue::Real(x) => Ok(x),
            other => fail(
                format!("a real is needed, found {}", other.kind()),
                a.span(),
            ),
        }
    }

    fn expr(&mut self, fr: &mut Frame, e: &Expr) -> R<LlValue> {
        match e {
            Expr::Atom(a) => self.atom(fr, a),
            Expr::Bang(b, s) => {
                self.charge(1, *s)?;
                self.block(fr, b)
            }
            Expr::Tuple(xs, s) => {
                self.charge(1, *s)?;
                let vs = xs.iter().map(|a| self.atom(fr, a)).collect::<R<Vec<_>>>()?;
                Ok(LlValue::tuple(vs))
            }
            Expr::Lam(l, s) => {
                self.charge(1 + l.captures.len() as u128, *s)?;
                let env = l
                    .captures
                    .iter()
                    .map(|x| match fr.env.get(x.0 as usize) {
                        Some(Some(v)) => Ok(v.clone()),
                        _ => fail(format!("captured slot #{} has no value", x.0), *s),
                    })
                    .collect::<R<Vec<_>>>()?;
                Ok(LlValue::Closure(Rc::new(Closure {
                    def: fr.def,
                    lam: l.clone(),
                    env,
                })))
            }
            Expr::App(f, a, s) => {
                self.charge(1, *s)?;
                let fv = self.atom(fr, f)?;
                let av = self.atom(fr, a)?;
                self.apply(&fv, av, *s)
            }
            Expr::Prim(p, xs, s) => {
                let Some(row) = PrimTable::standard().get(*p) else {
                    return fail(format!("no primitive #{}", p.0), *s);
                };
                if row.arity != xs.len() {
                    return fail(format!("`{}` takes {} arguments", row.name, row.arity), *s);
                }
                self.charge(row.cost, *s)?;
                let args = xs.iter().map(|a| self.real(fr, a)).collect::<R<Vec<_>>>()?;
                Ok(LlValue::Real((row.eval)(&args)))
            }
            Expr::Zero(t, s) => {
                self.charge(t.size().max(1), *s)?;
                zero(t, *s)
            }
            Expr::Add(a, b, s) => {
                let (x, y) = (self.atom(fr, a)?, self.atom(fr, b)?);
                let v = zip(&x, &y, &|p, q| p + q, *s)?;
                self.charge(v.size().max(1), *s)?;
                Ok(v)
            }
            Expr::Scale(a, b, s) => {
                let c = self.real(fr, a)?;
                let v = self.atom(fr, b)?;
                let out = map(&v, &|x| c * x, *s)?;
                self.charge(v.size().max(1), *s)?;
                Ok(out)
            }
            Expr::Dup(a, s) => {
                let v = self.atom(fr, a)?;
                self.charge(v.size().max(1), *s)?;
                Ok(LlValue::tuple(vec![v.clone(), v]))
            }
            Expr::Drop(a, s) => {
                let v = self.atom(fr, a)?;
                self.charge(v.size().max(1), *s)?;
                Ok(LlValue::tuple(Vec::new()))
            }
            Expr::Block(b) => self.block(fr, b),
        }
    }
}

fn zero(t: &LType, s: Span) -> R<LlValue> {
    match t {
        LType::Real => Ok(LlValue::Real(0.0)),
        LType::Tensor(ts) => Ok(LlValue::tuple(
            ts.iter().map(|t| zero(t, s)).collect::<R<Vec<_>>>()?,
        )),
        _ => fail(format!("`zero[{t}]`: not a tangent type"), s),
    }
}

fn zip(a: &LlValue, b: &LlValue, f: &dyn Fn(f64, f64) -> f64, s: Span) -> R<LlValue> {
    match (a, b) {
        (LlValue::Real(x), LlValue::Real(y)) => Ok(LlValue::Real(f(*x, *y))),
        (LlValue::Tuple(xs), LlValue::Tuple(ys)) if xs.len() == ys.len() => Ok(LlValue::tuple(
            xs.iter()
                .zip(ys.iter())
                .map(|(x, y)| zip(x, y, f, s))
                .collect::<R<Vec<_>>>()?,
        )),
        _ => fail("adding values of different shapes", s),
    }
}

fn map(a: &LlValue, f: &dyn Fn(f64) -> f64, s: Span) -> R<LlValue> {
    match a {
        LlValue::Real(x) => Ok(LlValue::Real(f(*x))),
        LlValue::Tuple(xs) => Ok(LlValue::tuple(
            xs.iter().map(|x| map(x, f, s)).collect::<R<Vec<_>>>()?,
        )),
        LlValue::Closure(_) => fail("scaling a closure", s),
    }
}

impl Frame {
    fn set(&mut self, x: Slot, v: LlValue, span: Span) -> R<()> {
        match self.env.get_mut(x.0 as usize) {
            Some(slot) => {
                *slot = Some(v);
                Ok(())
            }
            None => fail(format!("no slot #{}", x.0), span),
        }
    }
}
