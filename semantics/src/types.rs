//! Types of Linear A: `R`, tuples, and names for types declared once (`type f.res = <R, g.res>`).
//!
//! A **type alias** is the same type as its definition (structural, like a Haskell `type`
//! synonym); it only changes how the type is printed. Unzip needs it: a function's residual
//! tuple holds its callees' residuals, so on a call DAG (`f{i}` calling `f{i-1}` twice) the
//! residual type spelled out doubles per level. Named once and referred to by name, every
//! residual type prints in size linear in the program. An alias holds its definition behind an
//! `Arc`, so a type is a DAG in memory too; equality and hashing of aliases go by name (names
//! are unique in a program), so comparing two types never expands one.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Type {
    /// A real number, `f64` at run time.
    Real,
    /// `<T1, ..., Tn>`; `<>` is the unit type.
    Tuple(Vec<Type>),
    /// A type declared once by name (`type NAME = T`): the same type as `T`.
    Named(Arc<TypeAlias>),
}

/// `type NAME = def`.
#[derive(Debug, Serialize, Deserialize)]
pub struct TypeAlias {
    pub name: String,
    pub def: Type,
    /// `size(def)`, cached (saturating at `u128::MAX`): a DAG of aliases can have `2^200` leaves.
    size: u128,
}

impl PartialEq for TypeAlias {
    fn eq(&self, other: &TypeAlias) -> bool {
        self.name == other.name
    }
}

impl Eq for TypeAlias {}

impl std::hash::Hash for TypeAlias {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.name.hash(h)
    }
}

impl Drop for TypeAlias {
    /// A chain of aliases (the residuals of a chain of calls) is as deep as the program is long:
    /// dropping it recurses once per alias, on a stack that grows on demand.
    fn drop(&mut self) {
        let def = std::mem::replace(&mut self.def, Type::Real);
        if matches!(def, Type::Tuple(_) | Type::Named(_)) {
            stacker::maybe_grow(32 * 1024, 1024 * 1024, move || drop(def));
        }
    }
}

impl Type {
    /// `size(T)`: the number of `R` leaves, saturating at `u128::MAX`.
    pub fn size(&self) -> u128 {
        match self {
            Type::Real => 1,
            Type::Tuple(ts) => ts.iter().fold(0u128, |n, t| n.saturating_add(t.size())),
            Type::Named(a) => a.size,
        }
    }

    pub fn unit() -> Type {
        Type::Tuple(Vec::new())
    }

    /// A new alias `type name = def`.
    pub fn named(name: impl Into<String>, def: Type) -> Type {
        let size = def.size();
        Type::Named(Arc::new(TypeAlias {
            name: name.into(),
            def,
            size,
        }))
    }

    /// The type with its outermost aliases expanded: `R` or a tuple. (An alias is never its own
    /// definition, so this ends.)
    pub fn unfold(&self) -> &Type {
        let mut t = self;
        while let Type::Named(a) = t {
            t = &a.def;
        }
        t
    }

    /// The components of a tuple type, through aliases; `None` for `R`.
    pub fn components(&self) -> Option<&[Type]> {
        match self.unfold() {
            Type::Tuple(ts) => Some(ts),
            _ => None,
        }
    }

    /// Structural equality: the same type once every alias is expanded. Aliases met twice
    /// are compared once (by pointer), so this is linear in the size of the two DAGs.
    pub fn same(&self, other: &Type) -> bool {
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![(self, other)];
        while let Some((a, b)) = stack.pop() {
            if let (Type::Named(x), Type::Named(y)) = (a, b)
                && (Arc::ptr_eq(x, y) || !seen.insert((Arc::as_ptr(x), Arc::as_ptr(y))))
            {
                continue;
            }
            match (a.unfold(), b.unfold()) {
                (Type::Real, Type::Real) => {}
                (Type::Tuple(xs), Type::Tuple(ys)) if xs.len() == ys.len() => {
                    stack.extend(xs.iter().zip(ys));
                }
                _ => return false,
            }
        }
        true
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Real => f.write_str("R"),
            Type::Named(a) => f.write_str(&a.name),
            Type::Tuple(ts) => {
                f.write_str("<")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str(">")
            }
        }
    }
}

/// Every alias a program's types refer to, each once, each after the aliases its definition
/// refers to (so printing them in this order declares each before its use). Iterative: an
/// alias chain is as deep as the program is long.
pub fn aliases_in<'t>(types: impl Iterator<Item = &'t Type>) -> Vec<Arc<TypeAlias>> {
    let mut done = std::collections::HashSet::new();
    let mut order = Vec::new();
    // (type, whether its components have been pushed): post-order over the alias DAG.
    let mut stack: Vec<(&Type, bool)> = Vec::new();
    for root in types {
        stack.push((root, false));
        while let Some((t, expanded)) = stack.pop() {
            match t {
                Type::Real => {}
                Type::Tuple(ts) => stack.extend(ts.iter().rev().map(|t| (t, false))),
                Type::Named(a) if expanded => {
                    if done.insert(Arc::as_ptr(a)) {
                        order.push(a.clone());
                    }
                }
                Type::Named(a) => {
                    if !done.contains(&Arc::as_ptr(a)) {
                        stack.push((t, true));
                        stack.push((&a.def, false));
                    }
                }
            }
        }
    }
    order
}
