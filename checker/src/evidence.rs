//! Typing evidence as pure serde data: what a derivation says, field by field
//! (`docs/derivations.md`). No logic beyond accessors: `crate::derivation` builds it,
//! [`super::derivation`] re-checks it against the program, `crate::present` prints it.
//!
//! Every leaf means something and is checked: a subject names the construct it concludes
//! about (binder names, the callee, the primitive, a literal's exact bits), a judgment its Δ
//! and its types. Types are [`TypeExpr`]s, which read back from JSON (a named type is its
//! name, resolved against the program's own aliases by the re-check).

use crate::rules::Rule;
use serde::{Deserialize, Serialize};

/// One node of a proof tree: the rule applied, what it concluded, and its premises.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Derivation {
    /// The rule, serialised as its paper name (`T-Let`).
    pub rule: Rule,
    pub conclusion: Judgment,
    /// The premises' derivations, in the order the rule lists them (`crate::derivation`'s table).
    pub children: Vec<Derivation>,
}

/// `Γ ; Δ ⊢ subject : (τs ; σs)`, with Γ left out (a re-checker rebuilds it).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Judgment {
    pub subject: Subject,
    /// Δ: the linear variables the subject consumes, by name, in the order they are used.
    pub consumed: Vec<String>,
    /// τs: the nonlinear result types (for a binding: the types its binders get).
    pub nonlinear: Vec<TypeExpr>,
    /// σs: the linear result types.
    pub linear: Vec<TypeExpr>,
}

/// A type as a derivation spells it: `R`, a tuple, or an alias of the program by name.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub enum TypeExpr {
    #[serde(rename = "R")]
    Real,
    Tuple(Vec<TypeExpr>),
    Named(String),
}

/// An atom of a subject, with its sort.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Operand {
    /// A nonlinear variable.
    Var(String),
    /// A linear variable (`y'`).
    LinVar(String),
    /// A literal, by the bits of its `f64` (so `-0.0`, NaN payloads and every digit survive).
    Lit(u64),
}

/// A named, typed parameter of a signature.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    pub ty: TypeExpr,
}

/// The construct a node concludes about: one variant per core construct, holding exactly
/// what tells it apart in the program's syntax (never a sub-block: that is a child).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", deny_unknown_fields)]
pub enum Subject {
    /// `def name(params ; lparams) -> (results ; lresults)`.
    Def {
        name: String,
        params: Vec<Param>,
        lparams: Vec<Param>,
        results: Vec<TypeExpr>,
        lresults: Vec<TypeExpr>,
    },
    /// `let b1 in ... let bn in e`: `binds` bindings (the children), then the tail.
    Block { binds: usize },
    /// `let (nl ; lin) = e1`: the binders (the right-hand side is the child).
    Let { nl: Vec<String>, lin: Vec<String> },
    /// `let <binders> = src` (nonlinear or linear, as the rule says).
    Unpack { binders: Vec<String>, src: String },
    /// A variable or literal (`T-Var`, `T-LinVar`, `T-Lit`).
    Atom { atom: Operand },
    /// `(nl ; lin)`.
    Ret { nl: Vec<Operand>, lin: Vec<Operand> },
    /// `<items>`, nonlinear or linear as the rule says.
    Tuple { items: Vec<Operand> },
    /// `callee(nl ; lin)`.
    Call {
        callee: String,
        nl: Vec<Operand>,
        lin: Vec<Operand>,
    },
    /// `prim(args)`, by the primitive's name in the table.
    Prim { prim: String, args: Vec<Operand> },
    /// `lhs + rhs` (linear).
    LAdd { lhs: Operand, rhs: Operand },
    /// `factor * scaled`.
    Scale { factor: Operand, scaled: Operand },
    /// `zero<ty>`.
    Zero { ty: TypeExpr },
    /// `dup(arg)`.
    Dup { arg: Operand },
    /// `drop(e)` (the dropped block is the child).
    Drop,
}

impl Derivation {
    /// Calls `visit` on every node, parents before children, without recursion (a derivation
    /// is as wide as a block is long).
    pub fn walk(&self, mut visit: impl FnMut(&Derivation)) {
        let mut stack = vec![self];
        while let Some(d) = stack.pop() {
            visit(d);
            stack.extend(d.children.iter().rev());
        }
    }

    /// The number of nodes.
    pub fn size(&self) -> usize {
        let mut n = 0;
        self.walk(|_| n += 1);
        n
    }
}
