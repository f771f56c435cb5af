//! The term language of the e-graph: real-valued terms over the scalar leaves of a function's
//! inputs.
//!
//! Tuples are flattened to their scalar leaves, so a function is one term per scalar result;
//! under `Limits::tuples` a residual (a value of a named residual type, `f.res`) is one
//! tuple-valued term instead, with `tuple` and `proj.k` nodes.
//! The nonlinear primitives are **not** listed here: an operator name is a primitive exactly
//! when the primitive table has a row of that name and arity ([`Term::from_op`] asks the
//! table), so a row added to the table is in the language. Besides the primitives there are
//! literals, input symbols, uninterpreted function symbols (a callee's results and
//! coefficients, so that calls are proved modularly) and the linear core (`ladd`, `scale`,
//! `zero`), which the simplifier rewrites.

use egg::{Id, Language, Symbol};
use semantics::PrimTable;
use std::fmt;

/// A literal, by its bit pattern (so that it is `Eq`, `Ord` and `Hash`; `-0.0` and `0.0` are
/// different literals, as in the syntax).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lit(pub u64);

impl Lit {
    pub fn new(x: f64) -> Lit {
        Lit(x.to_bits())
    }
    pub fn value(self) -> f64 {
        f64::from_bits(self.0)
    }
}

impl fmt::Display for Lit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&semantics::fmt_real(self.value()))
    }
}

/// One e-node.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Term {
    Num(Lit),
    /// A scalar leaf of an input (`x`, `v.1`): a universally quantified real.
    Input(Symbol),
    /// A primitive of the table, by name, applied to its arguments.
    Prim(Symbol, Vec<Id>),
    /// An uninterpreted function symbol: `P:g#k` (result leaf `k` of `g` in program `P`),
    /// `P:g#k@i` (the coefficient of linear result `k` at linear input `i`), `P:g#dk@i` (the
    /// reference partial derivative). Its meaning is a lowered term ([`super::dag::Defs`]).
    Fun(Symbol, Vec<Id>),
    /// Linear add of two linear values.
    LAdd([Id; 2]),
    /// `scale(a, y)`: a nonlinear real times a linear value.
    Scale([Id; 2]),
    /// The linear zero.
    Zero,
    /// A tuple of a residual type built from its components (`<>` in patterns): with
    /// [`Proj`](Term::Proj), how a residual stays one term instead of its scalar leaves
    /// (`Limits::tuples`). Never in a redex: [`super::dag::Dag::tuple`] and
    /// [`super::dag::Dag::proj`] apply beta and eta as they build.
    Tuple(Vec<Id>),
    /// Component `k` of a tuple-valued term with `n` components (`proj.k.n` in patterns).
    Proj(u32, u32, [Id; 1]),
}

/// Operator names of the linear core.
pub const LADD: &str = "ladd";
pub const SCALE: &str = "scale";
pub const ZERO: &str = "zero";
/// Operator names of tuple terms: `(<> a b)`, `(proj.1.2 t)` (component 1 of 2).
pub const TUPLE: &str = "<>";
pub const PROJ: &str = "proj.";

impl Language for Term {
    type Discriminant = (u8, Option<Symbol>, usize, Option<Lit>);

    fn discriminant(&self) -> Self::Discriminant {
        match self {
            Term::Num(l) => (0, None, 0, Some(*l)),
            Term::Input(s) => (1, Some(*s), 0, None),
            Term::Prim(s, a) => (2, Some(*s), a.len(), None),
            Term::Fun(s, a) => (3, Some(*s), a.len(), None),
            Term::LAdd(_) => (4, None, 2, None),
            Term::Scale(_) => (5, None, 2, None),
            Term::Zero => (6, None, 0, None),
            Term::Tuple(a) => (7, None, a.len(), None),
            Term::Proj(k, n, _) => (8, None, ((*n as usize) << 32) | *k as usize, None),
        }
    }

    fn matches(&self, other: &Self) -> bool {
        self.discriminant() == other.discriminant()
    }

    fn children(&self) -> &[Id] {
        match self {
            Term::Num(_) | Term::Input(_) | Term::Zero => &[],
            Term::Prim(_, a) | Term::Fun(_, a) => a,
            Term::LAdd(a) | Term::Scale(a) => a,
            Term::Tuple(a) => a,
            Term::Proj(_, _, a) => a,
        }
    }

    fn children_mut(&mut self) -> &mut [Id] {
        match self {
            Term::Num(_) | Term::Input(_) | Term::Zero => &mut [],
            Term::Prim(_, a) | Term::Fun(_, a) => a,
            Term::LAdd(a) | Term::Scale(a) => a,
            Term::Tuple(a) => a,
            Term::Proj(_, _, a) => a,
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Num(l) => write!(f, "{l}"),
            Term::Input(s) | Term::Prim(s, _) | Term::Fun(s, _) => write!(f, "{s}"),
            Term::LAdd(_) => f.write_str(LADD),
            Term::Scale(_) => f.write_str(SCALE),
            Term::Zero => f.write_str(ZERO),
            Term::Tuple(_) => f.write_str(TUPLE),
            Term::Proj(k, n, _) => write!(f, "{PROJ}{k}.{n}"),
        }
    }
}

/// Why an operator is not a term of the language.
#[derive(Debug, Clone, PartialEq)]
pub struct BadOp(pub String);

impl egg::FromOp for Term {
    type Error = BadOp;

    fn from_op(op: &str, children: Vec<Id>) -> Result<Self, BadOp> {
        let n = children.len();
        let table = PrimTable::standard();
        if let Some(row) = table.lookup(op).and_then(|p| table.get(p)) {
            return if row.arity == n {
                Ok(Term::Prim(Symbol::from(op), children))
            } else {
                Err(BadOp(format!(
                    "`{op}` takes {} arguments, not {n}",
                    row.arity
                )))
            };
        }
        if n == 1
            && let Some((k, m)) = op.strip_prefix(PROJ).and_then(|r| r.split_once('.'))
            && let (Ok(k), Ok(m)) = (k.parse::<u32>(), m.parse::<u32>())
        {
            return Ok(Term::Proj(k, m, [children[0]]));
        }
        match (op, n) {
            (LADD, 2) => Ok(Term::LAdd([children[0], children[1]])),
            (SCALE, 2) => Ok(Term::Scale([children[0], children[1]])),
            (ZERO, 0) => Ok(Term::Zero),
            (TUPLE, _) => Ok(Term::Tuple(children)),
            _ if op.contains('#') => Ok(Term::Fun(Symbol::from(op), children)),
            _ if n == 0 => match op.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Term::Num(Lit::new(x))),
                _ if op.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') => {
                    Ok(Term::Input(Symbol::from(op)))
                }
                _ => Err(BadOp(format!("`{op}` is not a literal or a name"))),
            },
            _ => Err(BadOp(format!("no operator `{op}` with {n} arguments"))),
        }
    }
}

impl fmt::Display for BadOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
