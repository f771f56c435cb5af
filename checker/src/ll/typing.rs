//! The judgment `Γ ; Δ ⊢ t : A`, one method per rule, premises before conclusion.
//!
//! Γ and Δ are one slot table per definition: each slot has its type, its sort (from its
//! binder), a use count and the `!`-depth at which it was bound. A linear slot's second use is
//! E0701, its absence at the end of its scope E0702, a use from inside a `!` deeper than its
//! binder E0703. Faults are collected; a binder whose right-hand side is ill-typed gets the
//! unknown type (compatible with everything), so one mistake gives one diagnostic.

use super::errors::LlTypeError;
use semantics::ll::*;
use semantics::{Diagnostic, PrimTable, Span};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, Default)]
pub struct LlOptions {
    /// Build the derivation (proof tree) of every definition.
    pub derivations: bool,
}

/// One node of a proof tree: the rule, what it concluded (subject and type), its premises.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LlDerivation {
    pub rule: &'static str,
    pub subject: String,
    pub ty: String,
    pub children: Vec<LlDerivation>,
}

#[derive(Clone, Debug, Default)]
pub struct LlChecked {
    /// Per definition, the type of every slot (`None` for one never bound).
    pub types: Vec<Vec<Option<LType>>>,
    /// Every rule the check used (rule coverage).
    pub rules: BTreeSet<&'static str>,
    /// With [`LlOptions::derivations`]: one `T-Def` tree per definition.
    pub derivations: Vec<LlDerivation>,
}

/// Type-checks a λLL program: every definition, with the globals above it in Γ.
pub fn check(prog: &LlProgram, opts: LlOptions) -> Result<LlChecked, Vec<Diagnostic>> {
    let mut out = LlChecked::default();
    let mut errors = Vec::new();
    for (i, d) in prog.defs.iter().enumerate() {
        let mut t = Typing {
            prog,
            me: i,
            def: d,
            slots: vec![SlotState::default(); d.slots.len()],
            level: 0,
            errors: &mut errors,
            rules: &mut out.rules,
            build: opts.derivations,
        };
        let (ty, node) = t.block(&d.body);
        if let Some(ty) = ty
            && ty != d.ty
        {
            t.error(LlTypeError::Mismatch {
                expected: d.ty.to_string(),
                found: ty.to_string(),
                span: d.span,
                rule: "T-Def",
            });
        }
        t.fire("T-Def");
        out.types.push(t.slots.into_iter().map(|s| s.ty).collect());
        if opts.derivations {
            out.derivations.push(LlDerivation {
                rule: "T-Def",
                subject: format!("def {}", d.name),
                ty: d.ty.to_string(),
                children: node.into_iter().collect(),
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.iter().map(LlTypeError::to_diagnostic).collect())
    }
}

#[derive(Clone, Debug, Default)]
struct SlotState {
    ty: Option<LType>,
    uses: u32,
    first_use: Span,
    level: u32,
}

struct Typing<'a> {
    prog: &'a LlProgram,
    me: usize,
    def: &'a Def,
    slots: Vec<SlotState>,
    /// The number of `!`s around the current position.
    level: u32,
    errors: &'a mut Vec<LlTypeError>,
    rules: &'a mut BTreeSet<&'static str>,
    build: bool,
}

type Out = (Option<LType>, Option<LlDerivation>);

fn show(t: &Option<LType>) -> String {
    t.as_ref().map_or("?".into(), LType::to_string)
}

impl Typing<'_> {
    fn fire(&mut self, rule: &'static str) {
        self.rules.insert(rule);
    }

    fn error(&mut self, e: LlTypeError) {
        self.errors.push(e);
    }

    fn node(
        &self,
        rule: &'static str,
        subject: impl FnOnce() -> String,
        ty: &Option<LType>,
        children: Vec<Option<LlDerivation>>,
    ) -> Option<LlDerivation> {
        self.build.then(|| LlDerivation {
            rule,
            subject: subject(),
            ty: show(ty),
            children: children.into_iter().flatten().collect(),
        })
    }

    fn name(&self, x: Slot) -> String {
        self.def.name_of(x).to_string()
    }

    fn bind_slot(&mut self, x: Slot, ty: Option<LType>, span: Span) {
        let level = self.level;
        match self.slots.get_mut(x.0 as usize) {
            Some(s) => {
                s.ty = ty;
                s.level = level;
                s.uses = 0;
            }
            None => self.error(LlTypeError::Malformed {
                what: format!("no slot #{}", x.0),
                span,
            }),
        }
    }

    /// Closes the scope of `xs`: a linear slot must have been used (E0702); an unused
    /// intuitionistic one is weakened away.
    fn close(&mut self, xs: &[Slot], rule: &'static str) {
        for &x in xs {
            let Some(s) = self.slots.get(x.0 as usize) else {
                continue;
            };
            if s.uses > 0 {
                continue;
            }
            if self.def.is_intuitionistic(x) {
                self.fire("T-Weaken");
            } else if s.ty.is_some() {
                let span = self
                    .def
                    .slots
                    .get(x.0 as usize)
                    .map_or(Span::GENERATED, |s| s.span);
                self.error(LlTypeError::Discarded {
                    name: self.name(x),
                    span,
                    rule,
                });
            }
        }
    }

    /// An atom; `nonlinear` when the rule needs it with an empty Δ.
    fn atom(&mut self, a: &Atom, nonlinear: Option<&'static str>) -> Out {
        match a {
            Atom::Lit(x, _) => {
                self.fire("T-Lit");
                let ty = Some(LType::Real);
                let n = self.node("T-Lit", || semantics::fmt_real(*x), &ty, vec![]);
                (ty, n)
            }
            Atom::Global(g, span) => {
                let Some(d) = self.prog.def(*g).filter(|_| (g.0 as usize) < self.me) else {
                    self.error(LlTypeError::Malformed {
                        what: format!("global #{} is not defined above `{}`", g.0, self.def.name),
                        span: *span,
                    });
                    return (None, None);
                };
                self.fire("T-Global");
                let ty = Some(d.ty.clone());
                let n = self.node("T-Global", || d.name.clone(), &ty, vec![]);
                (ty, n)
            }
            Atom::Var(x, span) => {
                let Some(s) = self.slots.get(x.0 as usize).cloned() else {
                    self.error(LlTypeError::Malformed {
                        what: format!("no slot #{}", x.0),
                        span: *span,
                    });
                    return (None, None);
                };
                if self.def.is_intuitionistic(*x) {
                    self.fire("T-IVar");
                    let n = self.node("T-IVar", || self.name(*x), &s.ty, vec![]);
                    return (s.ty, n);
                }
                self.fire("T-Var");
                if let Some(st) = self.slots.get_mut(x.0 as usize) {
                    st.uses += 1;
                    if st.uses == 1 {
                        st.first_use = *span;
                    }
                }
                if s.uses == 1 {
                    self.error(LlTypeError::Duplicated {
                        name: self.name(*x),
                        span: *span,
                        first: s.first_use,
                        rule: "T-Var",
                    });
                }
                if s.level < self.level {
                    self.error(LlTypeError::UnderBang {
                        name: self.name(*x),
                        span: *span,
                    });
                }
                if let Some(rule) = nonlinear {
                    self.error(LlTypeError::LinearInNonlinear {
                        name: self.name(*x),
                        span: *span,
                        rule,
                    });
                }
                let n = self.node("T-Var", || self.name(*x), &s.ty, vec![]);
                (s.ty, n)
            }
        }
    }

    fn expect(&mut self, want: &LType, got: &Option<LType>, span: Span, rule: &'static str) {
        if let Some(g) = got
            && g != want
        {
            self.error(LlTypeError::Mismatch {
                expected: want.to_string(),
                found: g.to_string(),
                span,
                rule,
            });
        }
    }

    /// T-Block: the bindings in order, then the tail; closes the bindings' scopes.
    fn block(&mut self, b: &Block) -> Out {
        let mut children = Vec::with_capacity(if self.build { b.binds.len() + 1 } else { 0 });
        let mut bound: Vec<Slot> = Vec::new();
        for bind in &b.binds {
            let (ty, rhs) = self.expr(&bind.rhs);
            let (rule, n) = self.pattern(&bind.pat, ty, bind.span, rhs);
            bound.extend(pat_slots(&bind.pat));
            let _ = rule;
            if self.build {
                children.push(n);
            }
        }
        let (ty, tail) = self.expr(&b.tail);
        self.close(&bound, "T-Let");
        self.fire("T-Block");
        children.push(tail);
        let n = self.node(
            "T-Block",
            || format!("{} bindings", b.binds.len()),
            &ty,
            children,
        );
        (ty, n)
    }

    /// The let rules: binds the pattern's slots.
    fn pattern(
        &mut self,
        p: &Pat,
        ty: Option<LType>,
        span: Span,
        rhs: Option<LlDerivation>,
    ) -> (&'static str, Option<LlDerivation>) {
        let rule = match p {
            Pat::Lin(x) => {
                self.bind_slot(*x, ty.clone(), span);
                "T-Let"
            }
            Pat::Bang(x) => {
                let inner = match &ty {
                    Some(LType::Bang(a)) => Some((**a).clone()),
                    None => None,
                    Some(other) => {
                        self.error(LlTypeError::Pattern {
                            message: format!(
                                "`let !{} = ...` needs a value of type !A, found {other}",
                                self.name(*x)
                            ),
                            span,
                            rule: "T-LetBang",
                        });
                        None
                    }
                };
                self.bind_slot(*x, inner, span);
                "T-LetBang"
            }
            Pat::Tensor(items) => {
                let rule = if items.is_empty() {
                    "T-LetUnit"
                } else {
                    "T-LetTensor"
                };
                let comps: Vec<Option<LType>> = match &ty {
                    Some(LType::Tensor(ts)) if ts.len() == items.len() => {
                        ts.iter().cloned().map(Some).collect()
                    }
                    None => vec![None; items.len()],
                    Some(other) => {
                        self.error(LlTypeError::Pattern {
                            message: format!(
                                "a pattern of {} components against type {other}",
                                items.len()
                            ),
                            span,
                            rule,
                        });
                        vec![None; items.len()]
                    }
                };
                for ((x, bang), t) in items.iter().zip(comps) {
                    let t = if *bang {
                        match t {
                            Some(LType::Bang(a)) => Some(*a),
                            None => None,
                            Some(other) => {
                                self.error(LlTypeError::Pattern {
                                    message: format!(
                                        "component `!{}` needs type !A, found {other}",
                                        self.name(*x)
                                    ),
                                    span,
                                    rule,
                                });
                                None
                            }
                        }
                    } else {
                        t
                    };
                    self.bind_slot(*x, t, span);
                }
                rule
            }
        };
        self.fire(rule);
        let n = self.node(
            rule,
            || {
                let mut s = String::from("let ");
                match p {
                    Pat::Lin(x) => s.push_str(self.def.name_of(*x)),
                    Pat::Bang(x) => {
                        s.push('!');
                        s.push_str(self.def.name_of(*x));
                    }
                    Pat::Tensor(items) => {
                        s.push('(');
                        let parts: Vec<String> = items
                            .iter()
                            .map(|(x, b)| {
                                format!("{}{}", if *b { "!" } else { "" }, self.def.name_of(*x))
                            })
                            .collect();
                        s.push_str(&parts.join(", "));
                        s.push(')');
                    }
                }
                s
            },
            &ty,
            vec![rhs],
        );
        (rule, n)
    }

    fn expr(&mut self, e: &Expr) -> Out {
        match e {
            Expr::Atom(a) => self.atom(a, None),
            Expr::Bang(b, _) => {
                self.level += 1;
                let (ty, n) = self.block(b);
                self.level -= 1;
                self.fire("T-Bang");
                let ty = ty.map(LType::bang);
                let n = self.node("T-Bang", || "!t".into(), &ty, vec![n]);
                (ty, n)
            }
            Expr::Tuple(xs, _) => {
                let mut tys = Vec::with_capacity(xs.len());
                let mut ch = Vec::new();
                let mut unknown = false;
                for a in xs {
                    let (t, n) = self.atom(a, None);
                    unknown |= t.is_none();
                    tys.push(t.unwrap_or_else(LType::one));
                    ch.push(n);
                }
                let rule = if xs.is_empty() { "T-Unit" } else { "T-Tensor" };
                self.fire(rule);
                let ty = (!unknown).then_some(LType::Tensor(tys));
                let n = self.node(rule, || format!("({} items)", xs.len()), &ty, ch);
                (ty, n)
            }
            Expr::Lam(l, _) => {
                self.bind_slot(l.param, Some(l.ty.clone()), Span::GENERATED);
                let (body, n) = self.block(&l.body);
                self.close(&[l.param], "T-Lam");
                self.fire("T-Lam");
                let ty = body.map(|b| LType::lolli(l.ty.clone(), b));
                let n = self.node(
                    "T-Lam",
                    || format!("fun ({} : {})", self.def.name_of(l.param), l.ty),
                    &ty,
                    vec![n],
                );
                (ty, n)
            }
            Expr::App(f, a, span) => {
                let (tf, nf) = self.atom(f, None);
                let (ta, na) = self.atom(a, None);
                self.fire("T-App");
                let ty = match tf {
                    Some(LType::Lolli(from, to)) => {
                        self.expect(&from, &ta, a.span(), "T-App");
                        Some(*to)
                    }
                    None => None,
                    Some(other) => {
                        self.error(LlTypeError::NotAFunction {
                            found: other.to_string(),
                            span: *span,
                        });
                        None
                    }
                };
                let n = self.node("T-App", || "a b".into(), &ty, vec![nf, na]);
                (ty, n)
            }
            Expr::Prim(p, xs, span) => {
                let row = PrimTable::standard().get(*p);
                let Some(row) = row else {
                    self.error(LlTypeError::Malformed {
                        what: format!("no primitive #{}", p.0),
                        span: *span,
                    });
                    return (None, None);
                };
                if row.arity != xs.len() {
                    self.error(LlTypeError::Arity {
                        prim: row.name,
                        expected: row.arity,
                        found: xs.len(),
                        span: *span,
                    });
                }
                let mut ch = Vec::new();
                for a in xs {
                    let (t, n) = self.atom(a, Some("T-Prim"));
                    self.expect(&LType::Real, &t, a.span(), "T-Prim");
                    ch.push(n);
                }
                self.fire("T-Prim");
                let ty = Some(LType::Real);
                let n = self.node("T-Prim", || row.name.to_string(), &ty, ch);
                (ty, n)
            }
            Expr::Zero(t, span) => {
                self.additive("zero", t, *span, "T-Zero");
                self.fire("T-Zero");
                let ty = Some(t.clone());
                let n = self.node("T-Zero", || format!("zero[{t}]"), &ty, vec![]);
                (ty, n)
            }
            Expr::Add(a, b, span) => {
                let (ta, na) = self.atom(a, None);
                let (tb, nb) = self.atom(b, None);
                if let Some(t) = &ta {
                    self.additive("+", t, *span, "T-Add");
                    self.expect(t, &tb, b.span(), "T-Add");
                }
                self.fire("T-Add");
                let ty = ta.or(tb);
                let n = self.node("T-Add", || "a + b".into(), &ty, vec![na, nb]);
                (ty, n)
            }
            Expr::Scale(a, b, span) => {
                let (ta, na) = self.atom(a, Some("T-Scale"));
                self.expect(&LType::Real, &ta, a.span(), "T-Scale");
                let (tb, nb) = self.atom(b, None);
                if let Some(t) = &tb {
                    self.additive("*", t, *span, "T-Scale");
                }
                self.fire("T-Scale");
                let n = self.node("T-Scale", || "a * b".into(), &tb, vec![na, nb]);
                (tb, n)
            }
            Expr::Dup(a, span) => {
                let (t, na) = self.atom(a, None);
                if let Some(t) = &t {
                    self.additive("dup", t, *span, "T-Dup");
                }
                self.fire("T-Dup");
                let ty = t.map(|t| LType::Tensor(vec![t.clone(), t]));
                let n = self.node("T-Dup", || "dup a".into(), &ty, vec![na]);
                (ty, n)
            }
            Expr::Drop(a, span) => {
                let (t, na) = self.atom(a, None);
                if let Some(t) = &t
                    && !t.is_droppable()
                {
                    self.error(LlTypeError::NotAdditive {
                        op: "drop",
                        found: t.to_string(),
                        span: *span,
                        rule: "T-Drop",
                    });
                }
                self.fire("T-Drop");
                let ty = Some(LType::one());
                let n = self.node("T-Drop", || "drop a".into(), &ty, vec![na]);
                (ty, n)
            }
            Expr::Block(b) => self.block(b),
        }
    }

    fn additive(&mut self, op: &'static str, t: &LType, span: Span, rule: &'static str) {
        if !t.is_tangent() {
            self.error(LlTypeError::NotAdditive {
                op,
                found: t.to_string(),
                span,
                rule,
            });
        }
    }
}
