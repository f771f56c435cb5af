//! The re-check of a typing derivation (`lina derive`'s evidence, `docs/derivations.md`; the
//! certificate kernel checks typing in its own walk instead, `kernel::forms`): a derivation is
//! walked together with the program it claims to type, and every node is **checked, never inferred**: its rule must be the one for its
//! construct, its subject that construct, its Δ its premises' (less a block's own binders),
//! its types must follow from its premises', the binders' declared types, the callee's
//! signature or the primitive's arity. Γ is rebuilt from the binders walked past; at the end
//! every linear binder must have been used once and every nonlinear one at least once.
//!
//! Trust: `semantics` (syntax, types, the primitive table) and [`Rule`] (a table of names),
//! nothing of the inferring checker. A block is a loop; recursion follows the program's block
//! nesting only. Linear time (types are compared as spelled, each pair of alias names once);
//! no panic on any input.

use crate::evidence::{Derivation, Judgment, Operand, Param, Subject, TypeExpr};
use crate::rules::Rule;
use semantics::{Atom, Bind, Block, Expr, FnDef, LocalId, PrimTable, Program, Type};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A node that does not check: the function, the child indices from its `T-Def`, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DerivationError {
    pub function: String,
    pub path: Vec<usize>,
    pub message: String,
}

impl fmt::Display for DerivationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, path) = (&self.function, &self.path);
        write!(f, "derivation of `{name}`, node {path:?}: {}", self.message)
    }
}

type Checked<T = ()> = Result<T, DerivationError>;

/// An error at `path` in `function`'s derivation.
fn error<T>(function: &str, path: Vec<usize>, message: impl Into<String>) -> Checked<T> {
    let (function, message) = (function.to_string(), message.into());
    Err(DerivationError {
        function,
        path,
        message,
    })
}

/// A type as derivations spell it (an alias by its name). Recursion follows written nesting.
fn spell(t: &Type) -> TypeExpr {
    match t {
        Type::Real => TypeExpr::Real,
        Type::Tuple(ts) => TypeExpr::Tuple(ts.iter().map(spell).collect()),
        Type::Named(a) => TypeExpr::Named(a.name.clone()),
    }
}

/// A function's parameter, linear parameter, result and linear result types, spelled.
fn signature(f: &FnDef) -> [Vec<TypeExpr>; 4] {
    let p = |ps: &[semantics::Param]| ps.iter().map(|p| spell(&p.ty)).collect();
    let t = |ts: &[Type]| ts.iter().map(spell).collect();
    [p(&f.params), p(&f.lparams), t(&f.results), t(&f.lresults)]
}

/// A judgment's types on the side `linear` says, then the other side's.
fn sides(j: &Judgment, linear: bool) -> (&[TypeExpr], &[TypeExpr]) {
    if linear {
        (&j.linear, &j.nonlinear)
    } else {
        (&j.nonlinear, &j.linear)
    }
}

/// Re-checks one derivation per function of `program`, in order.
pub fn check(
    program: &Program,
    prims: &PrimTable,
    derivations: &[Derivation],
) -> Result<(), DerivationError> {
    let (n, m) = (derivations.len(), program.funcs.len());
    if n != m {
        return error("", Vec::new(), format!("{n} derivations for {m} functions"));
    }
    // The program's aliases by name (names are unique in a program), and its signatures.
    let aliases: HashMap<String, TypeExpr> =
        semantics::aliases_in(semantics::program_types(program))
            .iter()
            .map(|a| (a.name.clone(), spell(&a.def)))
            .collect();
    let sigs: Vec<[Vec<TypeExpr>; 4]> = program.funcs.iter().map(signature).collect();
    for (me, (f, d)) in program.funcs.iter().zip(derivations).enumerate() {
        let mut names = HashMap::with_capacity(f.locals.len());
        for (i, l) in f.locals.iter().enumerate() {
            if names.insert(l.name.as_str(), LocalId(i as u32)).is_some() {
                let twice = format!("two binders are named `{}`", l.name);
                return error(&f.name, Vec::new(), twice);
            }
        }
        let slots = (0..f.locals.len()).map(|_| None).collect();
        let (aliases, sigs, path) = (&aliases, &sigs, Vec::new());
        let mut w = Walk {
            program,
            prims,
            f,
            me,
            aliases,
            sigs,
            names,
            slots,
            path,
            blocks: 0,
        };
        w.def(d)?;
    }
    Ok(())
}

/// A bound variable: its type (the derivation's, checked where it was bound), its block
/// (0: a parameter), whether it is in scope, its uses, and its binding's node.
struct Slot<'a> {
    ty: &'a TypeExpr,
    block: u32,
    live: bool,
    uses: u32,
    at: Vec<usize>,
}

struct Walk<'a> {
    program: &'a Program,
    prims: &'a PrimTable,
    f: &'a FnDef,
    me: usize,
    aliases: &'a HashMap<String, TypeExpr>,
    /// Each function's parameter, linear parameter, result and linear result types.
    sigs: &'a [[Vec<TypeExpr>; 4]],
    names: HashMap<&'a str, LocalId>,
    slots: Vec<Option<Slot<'a>>>,
    path: Vec<usize>,
    blocks: u32,
}

const NOT_FOLLOWING: &str = "the conclusion's types do not follow from the premises";

impl<'a> Walk<'a> {
    fn fail<T>(&self, message: impl Into<String>) -> Checked<T> {
        error(&self.f.name, self.path.clone(), message)
    }

    fn ensure(&self, ok: bool, message: &str) -> Checked {
        if ok { Ok(()) } else { self.fail(message) }
    }

    /// `d`'s rule is `rule`, it has `n` premises, and its subject is `subject`.
    fn node(&self, d: &Derivation, rule: Rule, n: usize, subject: &Subject) -> Checked {
        if d.rule != rule {
            return self.fail(format!("rule {} where the construct needs {rule}", d.rule));
        }
        let m = d.children.len();
        self.ensure(m == n, &format!("{rule} has {m} premises, not {n}"))?;
        let ok = d.conclusion.subject == *subject;
        self.ensure(ok, "the subject is not the program's construct")
    }

    /// Runs `check` on premise `i`, with the path extended.
    fn child<T>(
        &mut self,
        d: &'a Derivation,
        i: usize,
        check: impl FnOnce(&mut Self, &'a Derivation) -> Checked<T>,
    ) -> Checked<T> {
        let Some(c) = d.children.get(i) else {
            return self.fail(format!("premise {i} is missing"));
        };
        self.path.push(i);
        let out = check(self, c)?;
        self.path.pop();
        Ok(out)
    }

    fn name(&self, id: LocalId) -> String {
        self.f.name_of(id).to_string()
    }

    fn names(&self, ids: &[LocalId]) -> Vec<String> {
        ids.iter().map(|&id| self.name(id)).collect()
    }

    fn operand(&self, a: &Atom) -> Operand {
        match a {
            Atom::Lit(x, _) => Operand::Lit(x.to_bits()),
            Atom::Var(v) if self.f.is_linear(v.id) => Operand::LinVar(self.name(v.id)),
            Atom::Var(v) => Operand::Var(self.name(v.id)),
        }
    }

    fn operands(&self, xs: &[Atom]) -> Vec<Operand> {
        xs.iter().map(|a| self.operand(a)).collect()
    }

    // ---- types ----

    /// Unfolds aliases: `None` for a name the program does not define.
    fn unfold<'t>(&'t self, mut t: &'t TypeExpr) -> Option<&'t TypeExpr> {
        let mut steps = 0;
        while let TypeExpr::Named(n) = t {
            steps += 1;
            t = self
                .aliases
                .get(n)
                .filter(|_| steps <= self.aliases.len())?;
        }
        Some(t)
    }

    /// A tuple's components (`Some(None)`: `R`).
    fn parts<'t>(&'t self, t: &'t TypeExpr) -> Option<Option<&'t [TypeExpr]>> {
        match self.unfold(t)? {
            TypeExpr::Tuple(ts) => Some(Some(ts)),
            _ => Some(None),
        }
    }

    /// The same type once aliases are expanded (each pair of names compared once).
    fn same(&self, a: &TypeExpr, b: &TypeExpr) -> bool {
        let mut seen = HashSet::new();
        let mut stack = vec![(a, b)];
        while let Some((a, b)) = stack.pop() {
            if let (TypeExpr::Named(x), TypeExpr::Named(y)) = (a, b)
                && (x == y || !seen.insert((x, y)))
            {
                if self.unfold(a).is_none() {
                    return false;
                }
                continue;
            }
            match (self.parts(a), self.parts(b)) {
                (Some(None), Some(None)) => {}
                (Some(Some(xs)), Some(Some(ys))) if xs.len() == ys.len() => {
                    stack.extend(xs.iter().zip(ys));
                }
                _ => return false,
            }
        }
        true
    }

    /// `have` is `want`, type by type.
    fn list<'t>(
        &self,
        have: &[TypeExpr],
        want: impl ExactSizeIterator<Item = &'t TypeExpr>,
    ) -> bool {
        have.len() == want.len() && have.iter().zip(want).all(|(h, w)| self.same(h, w))
    }

    /// `d` concludes `(nl ; lin)`.
    fn concludes(&self, d: &Derivation, nl: &[TypeExpr], lin: &[TypeExpr]) -> bool {
        let j = &d.conclusion;
        self.list(&j.nonlinear, nl.iter()) && self.list(&j.linear, lin.iter())
    }

    /// `side` is one tuple type whose components are `items`.
    fn tuple_of(&self, side: &[TypeExpr], items: &[&TypeExpr]) -> bool {
        let [t] = side else { return false };
        let Some(Some(cs)) = self.parts(t) else {
            return false;
        };
        self.list(cs, items.iter().copied())
    }

    // ---- Δ and Γ ----

    /// `d`'s Δ is exactly `want`, in order.
    fn consumed<'t>(&self, d: &Derivation, want: impl Iterator<Item = &'t str>) -> Checked {
        let mut have = d.conclusion.consumed.iter().map(String::as_str);
        let ok = want.map(Some).chain([None]).all(|w| have.next() == w);
        self.ensure(ok, "Δ is not the premises' linear variables")
    }

    fn premises_consumed(&self, d: &Derivation) -> Checked {
        let want = d.children.iter().flat_map(|c| &c.conclusion.consumed);
        self.consumed(d, want.map(String::as_str))
    }

    fn bind(&mut self, id: LocalId, ty: &'a TypeExpr, linear: bool, block: u32) -> Checked {
        let Some(local) = self.f.local(id) else {
            return self.fail(format!("binder slot #{} does not exist", id.0));
        };
        let name = &local.name;
        let side = format!("`{name}` is bound on the wrong side");
        self.ensure(local.linear == linear, &side)?;
        let at = self.path.clone();
        match self.slots.get_mut(id.0 as usize) {
            Some(slot @ None) => {
                *slot = Some(Slot {
                    ty,
                    block,
                    live: true,
                    uses: 0,
                    at,
                })
            }
            _ => return self.fail(format!("`{name}` is bound twice")),
        }
        Ok(())
    }

    /// A use of `id`: its type in Γ (or Δ), counted; a linear variable's second use fails.
    fn use_var(&mut self, id: LocalId) -> Checked<&'a TypeExpr> {
        let (name, linear) = (self.name(id), self.f.is_linear(id));
        let Some(Some(s)) = self.slots.get_mut(id.0 as usize) else {
            return self.fail(format!("`{name}` is not in scope"));
        };
        s.uses = s.uses.saturating_add(1);
        let (ty, live, twice) = (s.ty, s.live, linear && s.uses > 1);
        self.ensure(live, &format!("`{name}` is not in scope"))?;
        self.ensure(!twice, &format!("`{name}` (linear) is used twice"))?;
        Ok(ty)
    }

    // ---- rules ----

    fn def(&mut self, d: &'a Derivation) -> Checked {
        let (f, sig) = (self.f, &self.sigs[self.me]);
        let params = |ps: &[semantics::Param], ts: &[TypeExpr]| {
            let each = ps.iter().zip(ts);
            each.map(|(p, ty)| Param {
                name: self.name(p.var),
                ty: ty.clone(),
            })
            .collect()
        };
        let name = f.name.clone();
        let (params, lparams) = (params(&f.params, &sig[0]), params(&f.lparams, &sig[1]));
        let (results, lresults) = (sig[2].clone(), sig[3].clone());
        let subject = Subject::Def {
            name,
            params,
            lparams,
            results,
            lresults,
        };
        self.node(d, Rule::Def, 1, &subject)?;
        let ok = self.concludes(d, &sig[2], &sig[3]);
        self.ensure(ok, "the conclusion's types are not the declared results")?;
        self.consumed(d, f.lparams.iter().map(|p| f.name_of(p.var)))?;
        for (q, ty) in f.params.iter().zip(&sig[0]) {
            self.bind(q.var, ty, false, 0)?;
        }
        for (q, ty) in f.lparams.iter().zip(&sig[1]) {
            self.bind(q.var, ty, true, 0)?;
        }
        let body = self.child(d, 0, |w, c| w.block(&f.body, c).map(|()| c))?;
        let ok = self.concludes(body, &sig[2], &sig[3]);
        self.ensure(ok, "the body's types are not the declared results")?;
        // The multiplicities, re-counted (strict mode).
        for (i, s) in self.slots.iter().enumerate() {
            let Some(s) = s else { continue };
            let id = LocalId(i as u32);
            if (f.is_linear(id) && s.uses != 1) || s.uses == 0 {
                let message = format!("`{}` is never used", f.name_of(id));
                return error(&f.name, s.at.clone(), message);
            }
        }
        Ok(())
    }

    /// `T-Block`: the bindings in order (a loop), then the tail; its binders leave scope.
    fn block(&mut self, b: &'a Block, d: &'a Derivation) -> Checked {
        let n = b.binds.len();
        self.node(d, Rule::Block, n + 1, &Subject::Block { binds: n })?;
        self.blocks += 1;
        let block = self.blocks;
        for (i, bind) in b.binds.iter().enumerate() {
            self.child(d, i, |w, c| w.binding(bind, c, block))?;
        }
        let tail = self.child(d, n, |w, c| w.expr(&b.tail, c).map(|()| &c.conclusion))?;
        let ok = self.concludes(d, &tail.nonlinear, &tail.linear);
        self.ensure(ok, NOT_FOLLOWING)?;
        let own = |name: &str| {
            let slot = self
                .names
                .get(name)
                .and_then(|id| self.slots.get(id.0 as usize)?.as_ref());
            slot.is_some_and(|s| s.block == block)
        };
        let want = d.children.iter().flat_map(|c| &c.conclusion.consumed);
        self.consumed(d, want.map(String::as_str).filter(|n| !own(n)))?;
        for bind in &b.binds {
            let (ids, more): (&[LocalId], &[LocalId]) = match bind {
                Bind::Let { nl, lin, .. } => (nl, lin),
                Bind::Unpack { binders, .. } => (binders, &[]),
            };
            for id in ids.iter().chain(more) {
                if let Some(Some(s)) = self.slots.get_mut(id.0 as usize) {
                    s.live = false;
                }
            }
        }
        Ok(())
    }

    fn binding(&mut self, bind: &'a Bind, d: &'a Derivation, block: u32) -> Checked {
        let j = &d.conclusion;
        let (binders, linear, side): (&[LocalId], bool, &[TypeExpr]) = match bind {
            Bind::Let { nl, lin, rhs, .. } => {
                let subject = Subject::Let {
                    nl: self.names(nl),
                    lin: self.names(lin),
                };
                self.node(d, Rule::Let, 1, &subject)?;
                let e1 = self.child(d, 0, |w, c| w.expr(rhs, c).map(|()| &c.conclusion))?;
                let fits = e1.nonlinear.len() == nl.len() && e1.linear.len() == lin.len();
                self.ensure(fits, "the binders do not fit the right-hand side's results")?;
                self.ensure(self.concludes(d, &e1.nonlinear, &e1.linear), NOT_FOLLOWING)?;
                for (id, ty) in nl.iter().zip(&j.nonlinear) {
                    self.bind(*id, ty, false, block)?;
                }
                (lin, true, &j.linear)
            }
            Bind::Unpack { binders, src, .. } => {
                let linear = self.f.is_linear(src.id);
                let rule = if linear { Rule::LUnpack } else { Rule::Unpack };
                let subject = Subject::Unpack {
                    binders: self.names(binders),
                    src: self.name(src.id),
                };
                self.node(d, rule, 1, &subject)?;
                let ty = self.child(d, 0, |w, c| w.atom(&Atom::Var(*src), c, linear))?;
                let (side, other) = sides(j, linear);
                let fits = match self.parts(ty) {
                    Some(Some(cs)) => cs.len() == binders.len() && self.list(side, cs.iter()),
                    _ => false,
                };
                let ok = fits && other.is_empty();
                self.ensure(ok, "the binders' types are not the source's components")?;
                (binders, linear, side)
            }
        };
        self.premises_consumed(d)?;
        for (id, ty) in binders.iter().zip(side) {
            self.bind(*id, ty, linear, block)?;
        }
        Ok(())
    }

    /// An atom node in a position of the sort `linear`: its type.
    fn atom(&mut self, a: &Atom, d: &'a Derivation, linear: bool) -> Checked<&'a TypeExpr> {
        let rule = match a {
            Atom::Lit(..) => Rule::Lit,
            Atom::Var(v) if self.f.is_linear(v.id) => Rule::LinVar,
            Atom::Var(_) => Rule::Var,
        };
        let atom = self.operand(a);
        self.node(d, rule, 0, &Subject::Atom { atom })?;
        let ok = (rule == Rule::LinVar) == linear;
        self.ensure(ok, "an atom of the wrong sort for its position")?;
        let j = &d.conclusion;
        let (side, other) = sides(j, linear);
        let ([ty], true) = (side, other.is_empty()) else {
            return self.fail("an atom concludes one type");
        };
        let bound = match a {
            Atom::Lit(..) => &TypeExpr::Real,
            Atom::Var(v) => self.use_var(v.id)?,
        };
        self.ensure(self.same(ty, bound), "the atom's type is not its binder's")?;
        match a {
            Atom::Var(v) if linear => self.consumed(d, std::iter::once(self.f.name_of(v.id)))?,
            _ => self.consumed(d, std::iter::empty())?,
        }
        Ok(ty)
    }

    fn expr(&mut self, e: &'a Expr, d: &'a Derivation) -> Checked {
        let j = &d.conclusion;
        let sorted = |xs: &'a [Atom], linear| xs.iter().map(move |a| (a, linear));
        let nl_lin = |nl: &'a [Atom], lin: &'a [Atom]| -> Vec<(&'a Atom, bool)> {
            sorted(nl, false).chain(sorted(lin, true)).collect()
        };
        let mut callee = None;
        let (rule, subject, atoms): (Rule, Subject, Vec<(&Atom, bool)>) = match e {
            Expr::Block(b) => return self.block(b, d),
            Expr::Drop { body, .. } => {
                self.node(d, Rule::Drop, 1, &Subject::Drop)?;
                self.child(d, 0, |w, c| w.block(body, c))?;
                self.ensure(self.concludes(d, &[], &[]), NOT_FOLLOWING)?;
                return self.premises_consumed(d);
            }
            Expr::Zero { ty, .. } => {
                let ty = spell(ty);
                self.node(d, Rule::Zero, 0, &Subject::Zero { ty: ty.clone() })?;
                self.ensure(self.concludes(d, &[], &[ty]), NOT_FOLLOWING)?;
                return self.consumed(d, std::iter::empty());
            }
            Expr::Ret { nl, lin, .. } => {
                let atoms = nl_lin(nl, lin);
                let (nl, lin) = (self.operands(nl), self.operands(lin));
                (Rule::Ret, Subject::Ret { nl, lin }, atoms)
            }
            Expr::Tuple { items, .. } | Expr::LTuple { items, .. } => {
                let linear = matches!(e, Expr::LTuple { .. });
                let rule = if linear { Rule::LTuple } else { Rule::Tuple };
                let atoms = sorted(items, linear).collect();
                let items = self.operands(items);
                (rule, Subject::Tuple { items }, atoms)
            }
            Expr::Call { func, nl, lin, .. } => {
                let i = func.0 as usize;
                let Some(g) = self.program.funcs.get(i).filter(|_| i < self.me) else {
                    return self.fail("a call of a function not defined above the caller");
                };
                let arity = g.params.len() == nl.len() && g.lparams.len() == lin.len();
                self.ensure(arity, &format!("`{}` takes other arguments", g.name))?;
                callee = Some(&self.sigs[i]);
                let atoms = nl_lin(nl, lin);
                let (callee, nl, lin) = (g.name.clone(), self.operands(nl), self.operands(lin));
                (Rule::Call, Subject::Call { callee, nl, lin }, atoms)
            }
            Expr::Prim { prim, args, .. } => {
                let Some(row) = self.prims.get(*prim) else {
                    return self.fail(format!("primitive #{} is not in the table", prim.0));
                };
                let (name, arity) = (row.name, row.arity);
                let takes = format!("`{name}` takes {arity} arguments");
                self.ensure(args.len() == arity, &takes)?;
                let atoms = sorted(args, false).collect();
                let (prim, args) = (name.to_string(), self.operands(args));
                (Rule::Prim, Subject::Prim { prim, args }, atoms)
            }
            Expr::LAdd { lhs, rhs, .. } => {
                let atoms = vec![(lhs, true), (rhs, true)];
                let (lhs, rhs) = (self.operand(lhs), self.operand(rhs));
                (Rule::LAdd, Subject::LAdd { lhs, rhs }, atoms)
            }
            Expr::Scale { scalar, lin, .. } => {
                let atoms = vec![(scalar, false), (lin, true)];
                let (factor, scaled) = (self.operand(scalar), self.operand(lin));
                (Rule::Scale, Subject::Scale { factor, scaled }, atoms)
            }
            Expr::Dup { arg, .. } => {
                let (atoms, arg) = (vec![(arg, true)], self.operand(arg));
                (Rule::Dup, Subject::Dup { arg }, atoms)
            }
        };
        self.node(d, rule, atoms.len(), &subject)?;
        let mut ts = Vec::with_capacity(atoms.len());
        for (i, (a, linear)) in atoms.into_iter().enumerate() {
            ts.push(self.child(d, i, |w, c| w.atom(a, c, linear))?);
        }
        let real = &TypeExpr::Real;
        let none = j.nonlinear.is_empty();
        let ok = match (e, ts.as_slice()) {
            (Expr::Ret { nl, .. }, _) => {
                let (a, y) = ts.split_at(nl.len());
                self.list(&j.nonlinear, a.iter().copied())
                    && self.list(&j.linear, y.iter().copied())
            }
            (Expr::Tuple { .. }, _) => j.linear.is_empty() && self.tuple_of(&j.nonlinear, &ts),
            (Expr::LTuple { .. }, _) => none && self.tuple_of(&j.linear, &ts),
            (Expr::Call { nl, .. }, _) => callee.is_some_and(|[ps, ls, rs, lrs]| {
                let (a, y) = ts.split_at(nl.len());
                let args = self.list(ps, a.iter().copied()) && self.list(ls, y.iter().copied());
                args && self.concludes(d, rs, lrs)
            }),
            (Expr::Prim { .. }, _) => {
                ts.iter().all(|t| self.same(t, real)) && self.concludes(d, &[TypeExpr::Real], &[])
            }
            (Expr::LAdd { .. }, [a, b]) => {
                self.same(a, b) && none && self.list(&j.linear, [*a].into_iter())
            }
            (Expr::Scale { .. }, [a, y]) => {
                self.same(a, real) && none && self.list(&j.linear, [*y].into_iter())
            }
            (Expr::Dup { .. }, [y]) => none && self.list(&j.linear, [*y, *y].into_iter()),
            _ => false,
        };
        self.ensure(ok, NOT_FOLLOWING)?;
        self.premises_consumed(d)
    }
}
