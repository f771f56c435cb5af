//! Typing derivations: proof trees as plain serde data, for certificates (SPEC §6).
//!
//! **Architecture invariant: a derivation is linear in the size of the program.** A block is
//! one [`Derivation`] node (`T-Block`) whose children are its bindings' derivations, in order,
//! then its tail's: a million `let`s make one node with a million children, never a chain a
//! million deep. A [`Judgment`] records only local facts: the subject (the core binding or
//! expression, printed short), the linear variables it consumes (Δ) and its type
//! `(τs ; σs)`; never the context Γ, which a re-checker rebuilds from the binders it has
//! walked past.
//!
//! The children of each rule's node, in order (what a re-checker walks):
//!
//! | rule | children |
//! | --- | --- |
//! | `T-Def` | the body's `T-Block` |
//! | `T-Block` | one `T-Let` / `T-Unpack` / `T-LUnpack` per binding, then the tail's node |
//! | `T-Let` | the right-hand side's node (a `T-Block` for a nested block) |
//! | `T-Unpack`, `T-LUnpack` | the source's `T-Var` / `T-LinVar` |
//! | `T-Ret`, `T-Call` | one atom node per nonlinear item, then one per linear item |
//! | `T-Tuple`, `T-LTuple`, `T-Prim`, `T-Dup` | one atom node per item or argument |
//! | `T-LAdd` | both operands' `T-LinVar` |
//! | `T-Scale` | the factor's `T-Var` / `T-Lit`, then the scaled `T-LinVar` |
//! | `T-Drop` | the dropped block's `T-Block` |
//! | `T-Zero`, `T-Var`, `T-Lit`, `T-LinVar` | none |
//!
//! An atom node is `T-Var`, `T-Lit` or `T-LinVar`. A `T-Let`'s types are its binders' types;
//! a `T-Unpack`'s are its binders' (nonlinear), a `T-LUnpack`'s its binders' (linear).

use crate::rules::Rule;
use semantics::{Atom, Bind, Expr, FnDef, LocalId, PrimTable, Program, Type};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// One node of a proof tree: the rule applied, what it concluded, and its premises.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Derivation {
    /// The rule's name (`T-Let`), one of [`crate::RULES`].
    pub rule: String,
    pub conclusion: Judgment,
    /// The premises' derivations, in the order the rule lists them.
    pub children: Vec<Derivation>,
}

/// `Γ ; Δ ⊢ subject : (τs ; σs)`, with Γ left out.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Judgment {
    /// The subject in core syntax: a variable or literal, an expression (`sin(x)`,
    /// `f(a ; y')`), a binding's pattern (`let (a ; b') =`), a block's shape
    /// (`let ×3 in (s ; t')`), or a definition's signature.
    pub subject: String,
    /// Δ: the linear variables the subject consumes, by name, in the order they are used.
    pub consumed: Vec<String>,
    /// τs: the nonlinear result types (for a binding: the types its binders get).
    pub nonlinear: Vec<Type>,
    /// σs: the linear result types.
    pub linear: Vec<Type>,
}

impl Derivation {
    pub(crate) fn new(rule: Rule, conclusion: Judgment, children: Vec<Derivation>) -> Derivation {
        Derivation {
            rule: rule.name().to_string(),
            conclusion,
            children,
        }
    }

    /// A node that allocates nothing, for checking without derivations.
    pub(crate) fn placeholder() -> Derivation {
        Derivation {
            rule: String::new(),
            conclusion: Judgment {
                subject: String::new(),
                consumed: Vec::new(),
                nonlinear: Vec::new(),
                linear: Vec::new(),
            },
            children: Vec::new(),
        }
    }

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

/// Prints subjects: the core syntax of one node, never of its sub-blocks.
pub(crate) struct Subjects<'a> {
    pub prog: &'a Program,
    pub prims: &'a PrimTable,
    pub f: &'a FnDef,
}

impl Subjects<'_> {
    pub fn var(&self, id: LocalId) -> String {
        self.f.name_of(id).to_string()
    }

    pub fn atom(&self, out: &mut String, a: &Atom) {
        match a {
            Atom::Var(v) => out.push_str(self.f.name_of(v.id)),
            Atom::Lit(x, _) => {
                let _ = write!(out, "{x:?}");
            }
        }
    }

    pub fn atom_string(&self, a: &Atom) -> String {
        let mut s = String::new();
        self.atom(&mut s, a);
        s
    }

    fn names(&self, out: &mut String, ids: &[LocalId]) {
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(self.f.name_of(*id));
        }
    }

    /// An expression on one line; a `drop` shows as `drop(…)`.
    pub fn expr(&self, e: &Expr) -> String {
        semantics::expr_line(self.f, &self.prog.funcs, self.prims, e)
    }

    /// A block: how many bindings, then its tail.
    pub fn block(&self, binds: usize, tail: &Expr) -> String {
        match tail {
            Expr::Block(_) => format!("let ×{binds} in (…)"),
            _ => format!("let ×{binds} in {}", self.expr(tail)),
        }
    }

    /// A binding's pattern and, for a destructure, its source: `let (a ; b') =`,
    /// `let <x, y> = p`.
    pub fn binding(&self, b: &Bind) -> String {
        let mut out = String::from("let ");
        match b {
            Bind::Let { nl, lin, .. } => {
                out.push('(');
                self.names(&mut out, nl);
                if !lin.is_empty() {
                    out.push_str(if nl.is_empty() { "; " } else { " ; " });
                    self.names(&mut out, lin);
                }
                out.push_str(") =");
            }
            Bind::Unpack { binders, src, .. } => {
                out.push('<');
                self.names(&mut out, binders);
                out.push_str("> = ");
                out.push_str(self.f.name_of(src.id));
            }
        }
        out
    }

    /// `def f(x: R ; y': R) -> (R ; R)`.
    pub fn signature(&self) -> String {
        let f = self.f;
        let mut out = format!("def {}(", f.name);
        let params = |out: &mut String, ps: &[semantics::Param]| {
            for (i, p) in ps.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{}: {}", f.name_of(p.var), p.ty);
            }
        };
        params(&mut out, &f.params);
        if !f.lparams.is_empty() {
            out.push_str(if f.params.is_empty() { "; " } else { " ; " });
            params(&mut out, &f.lparams);
        }
        out.push_str(") -> (");
        let types = |out: &mut String, ts: &[Type]| {
            for (i, t) in ts.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{t}");
            }
        };
        types(&mut out, &f.results);
        if !f.lresults.is_empty() {
            out.push_str(if f.results.is_empty() { "; " } else { " ; " });
            types(&mut out, &f.lresults);
        }
        out.push(')');
        out
    }
}
