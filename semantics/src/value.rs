//! Run-time values, `v ::= r | <v1, ..., vn>`, and their literal syntax (used on the command
//! line and in corpus headers): `2.0`, `-1`, `<2.0, <3.0>>`, `nan`, `inf`, `-inf`.

use crate::lexer::{Tok, lex};
use crate::parser::MAX_NESTING;
use crate::types::Type;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::rc::Rc;

/// Runs a step of a recursion on value or type nesting on a stack that grows on demand: values
/// nest as deep as call chains do (a chain of calls' residuals), which is program length.
pub fn deep<T>(f: impl FnOnce() -> T) -> T {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, f)
}

/// For a `Drop` of a value type whose tuples nest as deep as a program is long: when this is
/// the last reference to `items`, they are dropped on a stack that grows on demand (a plain
/// drop would recurse once per level on the fixed stack).
pub fn drop_nested<T>(items: &mut std::rc::Rc<Vec<T>>) {
    if let Some(items) = std::rc::Rc::get_mut(items)
        && !items.is_empty()
    {
        let items = std::mem::take(items);
        deep(move || drop(items));
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Value {
    Real(f64),
    /// Shared, so that using a variable twice does not copy its tuple.
    Tuple(Rc<[Value]>),
}

thread_local! {
    /// The empty tuple a dropped tuple's items are swapped for (a shared `Rc`: no allocation).
    static EMPTY: Rc<[Value]> = Rc::from(Vec::new());
}

impl Drop for Value {
    /// Values nest as deep as call chains (a chain's residuals), so dropping the last reference
    /// to a tuple recurses on a stack that grows on demand.
    fn drop(&mut self) {
        if let Value::Tuple(items) = self
            && Rc::strong_count(items) == 1
            && !items.is_empty()
        {
            let items = EMPTY.with(|e| std::mem::replace(items, e.clone()));
            deep(move || drop(items));
        }
    }
}

impl Value {
    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(items.into())
    }

    pub fn as_real(&self) -> Option<f64> {
        match self {
            Value::Real(x) => Some(*x),
            Value::Tuple(_) => None,
        }
    }

    /// `size(v)`: the number of reals in it.
    pub fn size(&self) -> u128 {
        match self {
            Value::Real(_) => 1,
            Value::Tuple(vs) => deep(|| vs.iter().fold(0u128, |n, v| n.saturating_add(v.size()))),
        }
    }

    /// The zero of a type.
    pub fn zero(ty: &Type) -> Value {
        match ty.components() {
            None => Value::Real(0.0),
            Some(ts) => deep(|| Value::tuple(ts.iter().map(Value::zero).collect())),
        }
    }

    pub fn has_type(&self, ty: &Type) -> bool {
        match (self, ty.components()) {
            (Value::Real(_), None) => true,
            (Value::Tuple(vs), Some(ts)) => {
                vs.len() == ts.len() && deep(|| vs.iter().zip(ts).all(|(v, t)| v.has_type(t)))
            }
            _ => false,
        }
    }

    /// Same shape and the same bits in every leaf (so `NaN` equals itself, `-0.0` is not `0.0`).
    pub fn bit_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Real(a), Value::Real(b)) => a.to_bits() == b.to_bits(),
            (Value::Tuple(a), Value::Tuple(b)) => {
                a.len() == b.len() && deep(|| a.iter().zip(b.iter()).all(|(x, y)| x.bit_eq(y)))
            }
            _ => false,
        }
    }

    /// Combines two values of the same shape leaf by leaf; `None` if the shapes differ.
    pub fn zip_with(&self, other: &Value, f: &impl Fn(f64, f64) -> f64) -> Option<Value> {
        match (self, other) {
            (Value::Real(a), Value::Real(b)) => Some(Value::Real(f(*a, *b))),
            (Value::Tuple(a), Value::Tuple(b)) if a.len() == b.len() => deep(|| {
                a.iter()
                    .zip(b.iter())
                    .map(|(x, y)| x.zip_with(y, f))
                    .collect::<Option<Vec<_>>>()
                    .map(Value::tuple)
            }),
            _ => None,
        }
    }

    pub fn map(&self, f: &impl Fn(f64) -> f64) -> Value {
        match self {
            Value::Real(a) => Value::Real(f(*a)),
            Value::Tuple(vs) => deep(|| Value::tuple(vs.iter().map(|v| v.map(f)).collect())),
        }
    }

    /// The reals of the value, left to right.
    pub fn leaves(&self, out: &mut Vec<f64>) {
        match self {
            Value::Real(x) => out.push(*x),
            Value::Tuple(vs) => deep(|| vs.iter().for_each(|v| v.leaves(out))),
        }
    }

    /// JSON: a tuple is an array; NaN and the infinities are the strings `"NaN"`,
    /// `"Infinity"`, `"-Infinity"` (JSON has no such numbers).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Real(x) if x.is_nan() => "NaN".into(),
            Value::Real(x) if x.is_infinite() => {
                (if *x > 0.0 { "Infinity" } else { "-Infinity" }).into()
            }
            Value::Real(x) => {
                serde_json::Number::from_f64(*x).map_or(serde_json::Value::Null, Into::into)
            }
            Value::Tuple(vs) => {
                deep(|| serde_json::Value::Array(vs.iter().map(Value::to_json).collect()))
            }
        }
    }
}

/// Prints a real in the literal syntax: shortest text that reads back to the same bits.
pub fn fmt_real(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        (if x > 0.0 { "inf" } else { "-inf" }).into()
    } else {
        format!("{x:?}")
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Real(x) => f.write_str(&fmt_real(*x)),
            Value::Tuple(vs) => {
                f.write_str("<")?;
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    deep(|| write!(f, "{v}"))?;
                }
                f.write_str(">")
            }
        }
    }
}

/// Parses a comma-separated list of values, such as `--args "2.0, <1, -inf>"`.
pub fn parse_values(text: &str) -> Result<Vec<Value>, String> {
    let (toks, errors, _) = lex(text);
    if let Some(e) = errors.first() {
        return Err(e.message.clone());
    }
    let mut pos = 0;
    let mut out = Vec::new();
    if toks[0].tok == Tok::Eof {
        return Ok(out);
    }
    loop {
        out.push(value(text, &toks, &mut pos, 0)?);
        match toks[pos].tok {
            Tok::Eof => return Ok(out),
            Tok::Comma => pos += 1,
            _ => {
                return Err(format!(
                    "expected `,` at `{}`",
                    &text[toks[pos].span.range()]
                ));
            }
        }
    }
}

fn value(
    text: &str,
    toks: &[crate::lexer::Token],
    pos: &mut usize,
    depth: usize,
) -> Result<Value, String> {
    if depth > MAX_NESTING {
        return Err(format!("values nested deeper than {MAX_NESTING} levels"));
    }
    let mut next = || {
        let t = toks.get(*pos).copied();
        *pos += 1;
        t
    };
    let Some(t) = next() else {
        return Err("expected a value, found the end".into());
    };
    let (sign, t) = match t.tok {
        Tok::Minus => (-1.0, next()),
        Tok::Plus => (1.0, next()),
        _ => (1.0, Some(t)),
    };
    let Some(t) = t else {
        return Err("expected a number after the sign".into());
    };
    match t.tok {
        Tok::Num => Ok(Value::Real(sign * crate::lexer::number(text, t.span))),
        Tok::Ident => match &text[t.span.range()] {
            "nan" | "NaN" => Ok(Value::Real(f64::NAN)),
            "inf" | "infinity" | "Infinity" => Ok(Value::Real(sign * f64::INFINITY)),
            other => Err(format!("`{other}` is not a value")),
        },
        Tok::Lt if sign == 1.0 => {
            let mut items = Vec::new();
            loop {
                match toks.get(*pos).map(|t| t.tok) {
                    Some(Tok::Gt) => {
                        *pos += 1;
                        return Ok(Value::tuple(items));
                    }
                    Some(Tok::Eof) | None => return Err("unclosed tuple: expected `>`".into()),
                    _ => {}
                }
                items.push(value(text, toks, pos, depth + 1)?);
                match toks.get(*pos).map(|t| t.tok) {
                    Some(Tok::Comma) => *pos += 1,
                    Some(Tok::Gt) => {}
                    _ => return Err("expected `,` or `>` in a tuple".into()),
                }
            }
        }
        Tok::Eof => Err("expected a value, found the end".into()),
        _ => Err(format!(
            "expected a value, found `{}`",
            &text[t.span.range()]
        )),
    }
}
