//! Typing derivations: building the evidence of [`crate::evidence`] while checking,
//! and spelling it for people (SPEC §6).
//!
//! **Architecture invariant: a derivation is linear in the size of the program.** A block is
//! one [`Derivation`] node (`T-Block`) whose children are its bindings' derivations, in order,
//! then its tail's: a million `let`s make one node with a million children, never a chain a
//! million deep. A [`Judgment`] records only local facts: the subject (the construct, as
//! structured data: [`Subject`]), the linear variables it consumes (Δ) and its type
//! `(τs ; σs)`; never the context Γ, which a re-checker rebuilds from the binders it has
//! walked past ([`crate::recheck::check`] does).
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
//!
//! The data types are the kernel's (the re-check reads them and must not depend on this
//! builder); they are re-exported here and from the crate root.

pub use crate::evidence::{Derivation, Judgment, Operand, Param, Subject, TypeExpr};
use crate::rules::Rule;
use semantics::{
    Atom, AtomList, FlatBind, FlatExpr, FlatFn, FlatProgram, LocalId, PrimId, PrimTable, Type,
};
use std::fmt::{self, Write};

impl Derivation {
    pub(crate) fn new(rule: Rule, conclusion: Judgment, children: Vec<Derivation>) -> Derivation {
        Derivation {
            rule,
            conclusion,
            children,
        }
    }

    /// A node that allocates nothing, for checking without derivations.
    pub(crate) fn placeholder() -> Derivation {
        Derivation {
            rule: Rule::Def,
            conclusion: Judgment {
                subject: Subject::Drop,
                consumed: Vec::new(),
                nonlinear: Vec::new(),
                linear: Vec::new(),
            },
            children: Vec::new(),
        }
    }
}

/// A type as derivations spell it: an alias by its name, never expanded. Recursion follows
/// the spelled depth, which the checker bounds ([`crate::TYPE_DEPTH_LIMIT`]).
pub fn type_expr(t: &Type) -> TypeExpr {
    match t {
        Type::Real => TypeExpr::Real,
        Type::Tuple(ts) => TypeExpr::Tuple(ts.iter().map(type_expr).collect()),
        Type::Named(a) => TypeExpr::Named(a.name.clone()),
    }
}

/// Builds subjects: the construct of one node, never of its sub-blocks.
pub(crate) struct Subjects<'a> {
    pub fp: &'a FlatProgram,
    pub prims: &'a PrimTable,
    pub f: &'a FlatFn,
}

impl Subjects<'_> {
    /// A variable's name (for messages too).
    pub fn var(&self, id: LocalId) -> String {
        self.fp.name_of(self.f, id).to_string()
    }

    /// An atom as messages spell it.
    pub fn atom_string(&self, a: &Atom) -> String {
        match a {
            Atom::Var(v) => self.var(v.id),
            Atom::Lit(x, _) => format!("{x:?}"),
        }
    }

    pub fn operand(&self, a: &Atom) -> Operand {
        match a {
            Atom::Var(v) if self.fp.is_linear(self.f, v.id) => Operand::LinVar(self.var(v.id)),
            Atom::Var(v) => Operand::Var(self.var(v.id)),
            Atom::Lit(x, _) => Operand::Lit(x.to_bits()),
        }
    }

    fn operands(&self, xs: AtomList<'_>) -> Vec<Operand> {
        xs.iter().map(|a| self.operand(&a)).collect()
    }

    fn names(&self, ids: &[LocalId]) -> Vec<String> {
        ids.iter().map(|&id| self.var(id)).collect()
    }

    /// The subject of an atom node.
    pub fn atom(&self, a: &Atom) -> Subject {
        Subject::Atom {
            atom: self.operand(a),
        }
    }

    /// The subject of an expression node (a nested block is a `T-Block` of its own).
    pub fn expr(&self, e: &FlatExpr) -> Subject {
        let fp = self.fp;
        let nth = |atoms, i| match fp.atoms(atoms).get(i) {
            Some(a) => self.operand(&a),
            None => Operand::Var("?".to_string()),
        };
        let one = |atoms| nth(atoms, 0);
        let second = |atoms| nth(atoms, 1);
        match *e {
            FlatExpr::Ret { atoms, nl, .. } => {
                let (nl, lin) = fp.sides(atoms, nl);
                Subject::Ret {
                    nl: self.operands(nl),
                    lin: self.operands(lin),
                }
            }
            FlatExpr::Tuple { items, .. } | FlatExpr::LTuple { items, .. } => Subject::Tuple {
                items: self.operands(fp.atoms(items)),
            },
            FlatExpr::Call {
                func, atoms, nl, ..
            } => {
                let (nl, lin) = fp.sides(atoms, nl);
                Subject::Call {
                    callee: fp
                        .func(func)
                        .map_or_else(|| "?".to_string(), |g| g.name.clone()),
                    nl: self.operands(nl),
                    lin: self.operands(lin),
                }
            }
            FlatExpr::Prim { prim, args, .. } => Subject::Prim {
                prim: self.prims.get(prim).map_or("?", |p| p.name).to_string(),
                args: self.operands(fp.atoms(args)),
            },
            FlatExpr::LAdd { atoms, .. } => Subject::LAdd {
                lhs: one(atoms),
                rhs: second(atoms),
            },
            FlatExpr::Scale { atoms, .. } => Subject::Scale {
                factor: one(atoms),
                scaled: second(atoms),
            },
            FlatExpr::Zero { ty, .. } => Subject::Zero {
                ty: type_expr(fp.ty(ty).unwrap_or(&Type::Real)),
            },
            FlatExpr::Dup { arg, .. } => Subject::Dup { arg: one(arg) },
            FlatExpr::Drop { .. } => Subject::Drop,
            FlatExpr::Block(b) => Subject::Block {
                binds: fp.block(b).map_or(0, |b| b.binds_len as usize),
            },
        }
    }

    /// A block: how many bindings (its tail is its last child).
    pub fn block(&self, binds: usize) -> Subject {
        Subject::Block { binds }
    }

    /// A binding's pattern and, for a destructure, its source.
    pub fn binding(&self, b: &FlatBind) -> Subject {
        match b {
            FlatBind::Let { binders, nl, .. } => {
                let ids = self.fp.binders(*binders);
                let (nl, lin) = ids.split_at((*nl as usize).min(ids.len()));
                Subject::Let {
                    nl: self.names(nl),
                    lin: self.names(lin),
                }
            }
            FlatBind::Unpack { binders, src, .. } => Subject::Unpack {
                binders: self.names(self.fp.binders(*binders)),
                src: self.var(src.id),
            },
        }
    }

    /// `def f(x: R ; y': R) -> (R ; R)`.
    pub fn signature(&self) -> Subject {
        let f = self.f;
        let params = |ps: &[semantics::Param]| {
            ps.iter()
                .map(|p| Param {
                    name: self.var(p.var),
                    ty: type_expr(&p.ty),
                })
                .collect()
        };
        Subject::Def {
            name: f.name.clone(),
            params: params(&f.params),
            lparams: params(&f.lparams),
            results: f.results.iter().map(type_expr).collect(),
            lresults: f.lresults.iter().map(type_expr).collect(),
        }
    }
}

// ---- spelling, for people (`crate::present`) ----

impl fmt::Display for TypeExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeExpr::Real => f.write_str("R"),
            TypeExpr::Named(n) => f.write_str(n),
            TypeExpr::Tuple(ts) => {
                f.write_str("<")?;
                list(f, ts)?;
                f.write_str(">")
            }
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Var(n) | Operand::LinVar(n) => f.write_str(n),
            Operand::Lit(bits) => write!(f, "{:?}", f64::from_bits(*bits)),
        }
    }
}

fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, xs: &[T]) -> fmt::Result {
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

/// `(nl ; lin)`, `;` written only where it is needed, as the printer does.
fn sides<T: fmt::Display>(out: &mut String, nl: &[T], lin: &[T], lone_linear: bool) {
    let join = |xs: &[T]| xs.iter().map(T::to_string).collect::<Vec<_>>().join(", ");
    out.push('(');
    out.push_str(&join(nl));
    if !lin.is_empty() {
        out.push_str(if nl.is_empty() { "; " } else { " ; " });
        out.push_str(&join(lin));
    } else if lone_linear {
        out.push_str(" ;");
    }
    out.push(')');
}

/// The subject of a node on one line, in core syntax as the printer spells it (a nested
/// block or `drop` elided to `…`): `sin(x)`, `let (a ; b') =`, `let ×3 in (s ; t')`.
pub fn subject_text(d: &Derivation) -> String {
    let mut out = String::new();
    match &d.conclusion.subject {
        Subject::Def {
            name,
            params,
            lparams,
            results,
            lresults,
        } => {
            let ps = |ps: &[Param]| ps.iter().map(|p| format!("{}: {}", p.name, p.ty)).collect();
            let (ps, ls): (Vec<String>, Vec<String>) = (ps(params), ps(lparams));
            out.push_str("def ");
            out.push_str(name);
            sides(&mut out, &ps, &ls, false);
            out.push_str(" -> ");
            sides(&mut out, results, lresults, false);
        }
        Subject::Block { binds } => {
            let _ = write!(out, "let ×{binds} in ");
            match d.children.last() {
                Some(t) if t.rule != Rule::Block => out.push_str(&subject_text(t)),
                _ => out.push_str("(…)"),
            }
        }
        Subject::Let { nl, lin } => {
            out.push_str("let ");
            sides(&mut out, nl, lin, false);
            out.push_str(" =");
        }
        Subject::Unpack { binders, src } => {
            let _ = write!(out, "let <{}> = {src}", binders.join(", "));
        }
        Subject::Atom { atom } => {
            let _ = write!(out, "{atom}");
        }
        Subject::Ret { nl, lin } => match (nl.as_slice(), lin.as_slice()) {
            ([a], []) if !matches!(a, Operand::LinVar(_)) => {
                let _ = write!(out, "{a}");
            }
            ([], [y]) if matches!(y, Operand::LinVar(_)) => {
                let _ = write!(out, "{y}");
            }
            _ => {
                let lone = matches!(nl.as_slice(), [Operand::LinVar(_)]);
                sides(&mut out, nl, lin, lin.is_empty() && lone);
            }
        },
        Subject::Tuple { items } => {
            let items: Vec<String> = items.iter().map(Operand::to_string).collect();
            let _ = write!(out, "<{}>", items.join(", "));
        }
        Subject::Call { callee, nl, lin } => {
            out.push_str(callee);
            let nl: Vec<String> = nl.iter().map(Operand::to_string).collect();
            let lin: Vec<String> = lin.iter().map(Operand::to_string).collect();
            out.push('(');
            out.push_str(&nl.join(", "));
            if !lin.is_empty() {
                out.push_str(if nl.is_empty() { "; " } else { " ; " });
                out.push_str(&lin.join(", "));
            }
            out.push(')');
        }
        Subject::Prim { prim, args } => prim_text(&mut out, prim, args),
        Subject::LAdd { lhs, rhs } => {
            let _ = write!(out, "{lhs} + {rhs}");
        }
        Subject::Scale { factor, scaled } => {
            let _ = write!(out, "{factor} * {scaled}");
        }
        Subject::Zero { ty } => {
            let _ = write!(out, "zero<{ty}>");
        }
        Subject::Dup { arg } => {
            let _ = write!(out, "dup({arg})");
        }
        Subject::Drop => out.push_str("drop(…)"),
    }
    out
}

/// A primitive as the printer spells it: operators infix unless an operand is linear (which
/// would read back as the linear core), a negated literal with a space.
fn prim_text(out: &mut String, prim: &str, args: &[Operand]) {
    let linear_arg = args.iter().any(|a| matches!(a, Operand::LinVar(_)));
    let op_of = |id: PrimId| {
        PrimTable::standard()
            .get(id)
            .is_some_and(|p| p.name == prim)
    };
    let op = [
        (PrimId::ADD, " + "),
        (PrimId::SUB, " - "),
        (PrimId::MUL, " * "),
        (PrimId::DIV, " / "),
    ]
    .into_iter()
    .find(|&(id, _)| !linear_arg && op_of(id))
    .map(|(_, op)| op);
    match (op, args) {
        (Some(op), [a, b]) => {
            let _ = write!(out, "{a}{op}{b}");
        }
        (None, [a]) if !linear_arg && op_of(PrimId::NEG) => {
            let space = if matches!(a, Operand::Lit(_)) {
                " "
            } else {
                ""
            };
            let _ = write!(out, "-{space}{a}");
        }
        _ => {
            let args: Vec<String> = args.iter().map(Operand::to_string).collect();
            let _ = write!(out, "{prim}({})", args.join(", "));
        }
    }
}
