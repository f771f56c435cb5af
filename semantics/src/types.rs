//! Types of Linear A: `R` and tuples.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Type {
    /// A real number, `f64` at run time.
    Real,
    /// `<T1, ..., Tn>`; `<>` is the unit type.
    Tuple(Vec<Type>),
}

impl Type {
    /// `size(T)`: the number of `R` leaves.
    pub fn size(&self) -> u128 {
        match self {
            Type::Real => 1,
            Type::Tuple(ts) => ts.iter().map(Type::size).sum(),
        }
    }

    pub fn unit() -> Type {
        Type::Tuple(Vec::new())
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Real => f.write_str("R"),
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
