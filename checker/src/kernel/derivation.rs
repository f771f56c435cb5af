//! The kernel's typing re-check: a derivation is walked together with the program it claims
//! to type, and every node is **checked, never inferred**. The node's rule must be the one
//! for its construct, its subject must be that construct, its Δ the concatenation of its
//! premises' (less a block's own binders), its types must follow from its premises'
//! conclusions, the binders' declared types and the callee's signature or the primitive's
//! arity; Γ is rebuilt from the binders walked past, never read from the derivation; at the
//! end every linear binder must have been used exactly once and every nonlinear one at least
//! once (the strict mode of SPEC §2).
//!
//! Trust: `semantics` (syntax, types, the primitive table) and [`Rule`] (a table of names);
//! nothing of the inferring checker. A block is a loop; recursion follows block nesting only,
//! which is the program's, never the derivation's. Linear time; no panic on any input.

use super::evidence::{Derivation, Operand, Subject, TypeExpr};
use crate::rules::Rule;
use semantics::{Atom, Bind, Block, Expr, FnDef, LocalId, PrimTable, Program, Type};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// A node that does not check: the function, the path of child indices from its `T-Def`
/// root, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DerivationError {
    pub function: String,
    pub path: Vec<usize>,
    pub message: String,
}

impl fmt::Display for DerivationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "derivation of `{}`, node {:?}: {}",
            self.function, self.path, self.message
        )
    }
}

type Checked<T = ()> = Result<T, DerivationError>;

/// Re-checks one derivation per function of `program`, in order.
pub fn check(
    program: &Program,
    prims: &PrimTable,
    derivations: &[Derivation],
) -> Result<(), DerivationError> {
    if derivations.len() != program.funcs.len() {
        return Err(DerivationError {
            function: String::new(),
            path: Vec::new(),
            message: format!(
                "{} derivations for {} functions",
                derivations.len(),
                program.funcs.len()
            ),
        });
    }
    // The program's aliases by name, borrowed from the program (names are unique in it).
    let mut defs: HashMap<&str, &Type> = HashMap::new();
    let mut stack: Vec<&Type> = semantics::program_types(program).collect();
    while let Some(t) = stack.pop() {
        match t {
            Type::Real => {}
            Type::Tuple(ts) => stack.extend(ts),
            Type::Named(a) => {
                if !defs.contains_key(a.name.as_str()) {
                    defs.insert(&a.name, &a.def);
                    stack.push(&a.def);
                }
            }
        }
    }
    for (me, (f, d)) in program.funcs.iter().zip(derivations).enumerate() {
        let mut names = HashMap::with_capacity(f.locals.len());
        for (i, l) in f.locals.iter().enumerate() {
            if names.insert(l.name.as_str(), LocalId(i as u32)).is_some() {
                return Err(DerivationError {
                    function: f.name.clone(),
                    path: Vec::new(),
                    message: format!("two binders are named `{}`", l.name),
                });
            }
        }
        let mut w = Walk {
            program,
            prims,
            f,
            me,
            aliases: &defs,
            names,
            slots: (0..f.locals.len()).map(|_| None).collect(),
            path: Vec::new(),
            blocks: 0,
        };
        w.def(d)?;
    }
    Ok(())
}

/// A bound variable: its type (from the derivation, checked where it was bound), the block
/// that binds it (0: a parameter), whether it is still in scope, how often it was used.
struct Slot<'d> {
    ty: &'d TypeExpr,
    block: u32,
    live: bool,
    uses: u32,
    at: Vec<usize>,
}

#[derive(Clone, Copy, PartialEq)]
enum Sort {
    Nonlinear,
    Linear,
}

struct Walk<'p, 'd> {
    program: &'p Program,
    prims: &'p PrimTable,
    f: &'p FnDef,
    me: usize,
    aliases: &'p HashMap<&'p str, &'p Type>,
    names: HashMap<&'p str, LocalId>,
    slots: Vec<Option<Slot<'d>>>,
    path: Vec<usize>,
    blocks: u32,
}

/// One side of a type comparison: the derivation's spelling or the program's type.
#[derive(Clone, Copy)]
enum View<'a> {
    E(&'a TypeExpr),
    T(&'a Type),
}

impl<'p, 'd> Walk<'p, 'd> {
    fn fail<T>(&self, message: impl Into<String>) -> Checked<T> {
        Err(DerivationError {
            function: self.f.name.clone(),
            path: self.path.clone(),
            message: message.into(),
        })
    }

    /// `d`'s rule is `rule` and it has `n` children.
    fn shape(&self, d: &Derivation, rule: Rule, n: usize) -> Checked {
        if d.rule != rule {
            return self.fail(format!("rule {} where the construct needs {rule}", d.rule));
        }
        if d.children.len() != n {
            return self.fail(format!("{rule} has {} premises, not {n}", d.children.len()));
        }
        Ok(())
    }

    fn subject(&self, ok: bool) -> Checked {
        if ok {
            Ok(())
        } else {
            self.fail("the subject is not the program's construct")
        }
    }

    /// Runs `check` on child `i` with the path extended.
    fn child<T>(
        &mut self,
        d: &'d Derivation,
        i: usize,
        check: impl FnOnce(&mut Self, &'d Derivation) -> Checked<T>,
    ) -> Checked<T> {
        let Some(c) = d.children.get(i) else {
            return self.fail(format!("premise {i} is missing"));
        };
        self.path.push(i);
        let out = check(self, c)?;
        self.path.pop();
        Ok(out)
    }

    fn name(&self, id: LocalId) -> &'p str {
        self.f.name_of(id)
    }

    fn is(&self, o: &Operand, a: &Atom) -> bool {
        match (o, a) {
            (Operand::Lit(bits), Atom::Lit(x, _)) => *bits == x.to_bits(),
            (Operand::Var(n), Atom::Var(v)) => !self.f.is_linear(v.id) && n == self.name(v.id),
            (Operand::LinVar(n), Atom::Var(v)) => self.f.is_linear(v.id) && n == self.name(v.id),
            _ => false,
        }
    }

    fn all(&self, os: &[Operand], atoms: &[Atom]) -> bool {
        os.len() == atoms.len() && os.iter().zip(atoms).all(|(o, a)| self.is(o, a))
    }

    fn names_are(&self, names: &[String], ids: &[LocalId]) -> bool {
        names.len() == ids.len() && names.iter().zip(ids).all(|(n, &id)| n == self.name(id))
    }

    // ---- types ----

    /// The same type once aliases are expanded; each pair of names is compared once, so this
    /// is linear in the two spellings.
    fn same(&self, a: View<'_>, b: View<'_>) -> bool {
        // Derivation types are spelled the same wherever the checker met the same type.
        if let (View::E(x), View::E(y)) = (a, b)
            && x == y
        {
            return self.unfold_any(a).is_some();
        }
        let mut seen = HashSet::new();
        let mut stack = vec![(a, b)];
        while let Some((a, b)) = stack.pop() {
            if let (Some(x), Some(y)) = (alias_name(a), alias_name(b))
                && (x == y || !seen.insert((x.to_string(), y.to_string())))
            {
                if self.unfold_any(a).is_none() {
                    return false;
                }
                continue;
            }
            match (self.unfold_any(a), self.unfold_any(b)) {
                (Some(x), Some(y)) => match (parts(x), parts(y)) {
                    (Some(None), Some(None)) => {}
                    (Some(Some(xs)), Some(Some(ys))) if xs.len() == ys.len() => {
                        stack.extend(xs.into_iter().zip(ys));
                    }
                    _ => return false,
                },
                _ => return false,
            }
        }
        true
    }

    /// Unfolds aliases: `None` for a name the program does not define.
    fn unfold_any<'a>(&self, v: View<'a>) -> Option<View<'a>>
    where
        'p: 'a,
    {
        let mut v = v;
        loop {
            v = match v {
                View::E(TypeExpr::Named(n)) => View::T(*self.aliases.get(n.as_str())?),
                View::T(Type::Named(a)) => View::T(&a.def),
                _ => return Some(v),
            };
        }
    }

    fn same_e(&self, a: &TypeExpr, b: &TypeExpr) -> bool {
        self.same(View::E(a), View::E(b))
    }

    fn same_t(&self, a: &TypeExpr, b: &Type) -> bool {
        self.same(View::E(a), View::T(b))
    }

    fn all_t(&self, es: &[TypeExpr], ts: &[Type]) -> bool {
        es.len() == ts.len() && es.iter().zip(ts).all(|(e, t)| self.same_t(e, t))
    }

    /// The components of a tuple type (`None`: not a tuple).
    fn components<'a>(&self, t: &'a TypeExpr) -> Option<Vec<View<'a>>>
    where
        'p: 'a,
    {
        parts(self.unfold_any(View::E(t))?)?
    }

    /// `d` concludes `(nl ; lin)`, each compared with `same_e`.
    fn types(&self, d: &Derivation, nl: &[&TypeExpr], lin: &[&TypeExpr]) -> Checked {
        let j = &d.conclusion;
        let ok = |have: &[TypeExpr], want: &[&TypeExpr]| {
            have.len() == want.len() && have.iter().zip(want).all(|(h, w)| self.same_e(h, w))
        };
        if ok(&j.nonlinear, nl) && ok(&j.linear, lin) {
            Ok(())
        } else {
            self.fail("the conclusion's types do not follow from the premises")
        }
    }

    /// `d`'s Δ is exactly `want`, in order.
    fn consumed<'a>(&self, d: &Derivation, want: impl Iterator<Item = &'a str>) -> Checked {
        let mut have = d.conclusion.consumed.iter();
        for w in want {
            if have.next().map(String::as_str) != Some(w) {
                return self.fail("Δ is not the premises' linear variables");
            }
        }
        if have.next().is_some() {
            return self.fail("Δ is not the premises' linear variables");
        }
        Ok(())
    }

    fn premises_consumed(&self, d: &Derivation) -> Checked {
        let want = d.children.iter().flat_map(|c| &c.conclusion.consumed);
        self.consumed(d, want.map(String::as_str))
    }

    // ---- binders ----

    fn bind(&mut self, id: LocalId, ty: &'d TypeExpr, sort: Sort, block: u32) -> Checked {
        let Some(local) = self.f.local(id) else {
            return self.fail(format!("binder slot #{} does not exist", id.0));
        };
        if local.linear != (sort == Sort::Linear) {
            return self.fail(format!("`{}` is bound on the wrong side", local.name));
        }
        let at = self.path.clone();
        match self.slots.get_mut(id.0 as usize) {
            Some(slot @ None) => {
                *slot = Some(Slot {
                    ty,
                    block,
                    live: true,
                    uses: 0,
                    at,
                });
                Ok(())
            }
            _ => self.fail(format!("`{}` is bound twice", local.name)),
        }
    }

    /// A use of `id`: its type in Γ (or Δ), counted.
    fn use_var(&mut self, id: LocalId) -> Checked<&'d TypeExpr> {
        let name = self.name(id);
        match self.slots.get_mut(id.0 as usize) {
            Some(Some(s)) if s.live => {
                s.uses = s.uses.saturating_add(1);
                let (ty, uses) = (s.ty, s.uses);
                if uses > 1 && self.f.is_linear(id) {
                    return self.fail(format!("the linear variable `{name}` is used twice"));
                }
                Ok(ty)
            }
            _ => self.fail(format!("`{name}` is not in scope")),
        }
    }

    // ---- rules ----

    fn def(&mut self, d: &'d Derivation) -> Checked {
        let f = self.f;
        self.shape(d, Rule::Def, 1)?;
        let Subject::Def {
            name,
            params,
            lparams,
            results,
            lresults,
        } = &d.conclusion.subject
        else {
            return self.subject(false);
        };
        let fits = |ps: &[super::evidence::Param], qs: &[semantics::Param]| {
            ps.len() == qs.len()
                && ps
                    .iter()
                    .zip(qs)
                    .all(|(p, q)| p.name == self.name(q.var) && self.same_t(&p.ty, &q.ty))
        };
        let ok = *name == f.name
            && fits(params, &f.params)
            && fits(lparams, &f.lparams)
            && self.all_t(results, &f.results)
            && self.all_t(lresults, &f.lresults);
        self.subject(ok)?;
        let j = &d.conclusion;
        if !(self.all_t(&j.nonlinear, &f.results) && self.all_t(&j.linear, &f.lresults)) {
            return self.fail("the conclusion's types are not the declared results");
        }
        self.consumed(d, f.lparams.iter().map(|p| self.name(p.var)))?;
        for (p, q) in params.iter().zip(&f.params) {
            self.bind(q.var, &p.ty, Sort::Nonlinear, 0)?;
        }
        for (p, q) in lparams.iter().zip(&f.lparams) {
            self.bind(q.var, &p.ty, Sort::Linear, 0)?;
        }
        let body = self.child(d, 0, |w, c| w.block(&f.body, c).map(|()| c))?;
        let (nl, lin) = (&body.conclusion.nonlinear, &body.conclusion.linear);
        if !(self.all_t(nl, &f.results) && self.all_t(lin, &f.lresults)) {
            return self.fail("the body's types are not the declared results");
        }
        // The multiplicities, re-counted (strict mode).
        for (i, slot) in self.slots.iter().enumerate() {
            let Some(s) = slot else { continue };
            let name = self.name(LocalId(i as u32));
            let wrong = if self.f.is_linear(LocalId(i as u32)) {
                (s.uses != 1).then(|| format!("the linear variable `{name}` is never used"))
            } else {
                (s.uses == 0).then(|| format!("the nonlinear variable `{name}` is never used"))
            };
            if let Some(message) = wrong {
                return Err(DerivationError {
                    function: f.name.clone(),
                    path: s.at.clone(),
                    message,
                });
            }
        }
        Ok(())
    }

    /// `T-Block`: the bindings in order (a loop), then the tail; the block's binders leave
    /// scope at its end.
    fn block(&mut self, b: &'p Block, d: &'d Derivation) -> Checked {
        self.shape(d, Rule::Block, b.binds.len() + 1)?;
        self.subject(
            d.conclusion.subject
                == Subject::Block {
                    binds: b.binds.len(),
                },
        )?;
        self.blocks += 1;
        let block = self.blocks;
        for (i, bind) in b.binds.iter().enumerate() {
            self.child(d, i, |w, c| w.binding(bind, c, block))?;
        }
        let n = b.binds.len();
        let tail = self.child(d, n, |w, c| w.expr(&b.tail, c).map(|()| c))?;
        let (nl, lin) = (&tail.conclusion.nonlinear, &tail.conclusion.linear);
        self.types(
            d,
            &nl.iter().collect::<Vec<_>>(),
            &lin.iter().collect::<Vec<_>>(),
        )?;
        let own = |name: &str| {
            let id = self.names.get(name);
            let slot = id.and_then(|id| self.slots.get(id.0 as usize)?.as_ref());
            slot.is_some_and(|s| s.block == block)
        };
        let want = d.children.iter().flat_map(|c| &c.conclusion.consumed);
        self.consumed(d, want.map(String::as_str).filter(|n| !own(n)))?;
        for bind in &b.binds {
            let ids: &[LocalId] = match bind {
                Bind::Let { nl, lin, .. } => {
                    for id in nl.iter().chain(lin) {
                        self.leave(*id);
                    }
                    continue;
                }
                Bind::Unpack { binders, .. } => binders,
            };
            for id in ids {
                self.leave(*id);
            }
        }
        Ok(())
    }

    fn leave(&mut self, id: LocalId) {
        if let Some(Some(s)) = self.slots.get_mut(id.0 as usize) {
            s.live = false;
        }
    }

    fn binding(&mut self, bind: &'p Bind, d: &'d Derivation, block: u32) -> Checked {
        match bind {
            Bind::Let { nl, lin, rhs, .. } => {
                self.shape(d, Rule::Let, 1)?;
                let ok = match &d.conclusion.subject {
                    Subject::Let { nl: n, lin: l } => {
                        self.names_are(n, nl) && self.names_are(l, lin)
                    }
                    _ => false,
                };
                self.subject(ok)?;
                let e1 = self.child(d, 0, |w, c| w.expr(rhs, c).map(|()| c))?;
                let j = &e1.conclusion;
                if j.nonlinear.len() != nl.len() || j.linear.len() != lin.len() {
                    return self.fail("the binders do not fit the right-hand side's results");
                }
                self.types(
                    d,
                    &j.nonlinear.iter().collect::<Vec<_>>(),
                    &j.linear.iter().collect::<Vec<_>>(),
                )?;
                self.premises_consumed(d)?;
                for (id, ty) in nl.iter().zip(&d.conclusion.nonlinear) {
                    self.bind(*id, ty, Sort::Nonlinear, block)?;
                }
                for (id, ty) in lin.iter().zip(&d.conclusion.linear) {
                    self.bind(*id, ty, Sort::Linear, block)?;
                }
                Ok(())
            }
            Bind::Unpack { binders, src, .. } => {
                let sort = if self.f.is_linear(src.id) {
                    Sort::Linear
                } else {
                    Sort::Nonlinear
                };
                let rule = if sort == Sort::Linear {
                    Rule::LUnpack
                } else {
                    Rule::Unpack
                };
                self.shape(d, rule, 1)?;
                let ok = match &d.conclusion.subject {
                    Subject::Unpack { binders: b, src: s } => {
                        self.names_are(b, binders) && s == self.name(src.id)
                    }
                    _ => false,
                };
                self.subject(ok)?;
                let ty = self.child(d, 0, |w, c| w.atom(&Atom::Var(*src), c, sort))?;
                let Some(cs) = self.components(ty) else {
                    return self.fail("the source is not a tuple");
                };
                let j = &d.conclusion;
                let (side, other) = match sort {
                    Sort::Linear => (&j.linear, &j.nonlinear),
                    Sort::Nonlinear => (&j.nonlinear, &j.linear),
                };
                let fits =
                    side.len() == binders.len() && cs.len() == binders.len() && other.is_empty();
                if !fits || !side.iter().zip(&cs).all(|(t, c)| self.same(View::E(t), *c)) {
                    return self.fail("the binders' types are not the source's components");
                }
                self.premises_consumed(d)?;
                for (id, ty) in binders.iter().zip(side) {
                    self.bind(*id, ty, sort, block)?;
                }
                Ok(())
            }
        }
    }

    /// An atom node in a position of `sort`: its type.
    fn atom(&mut self, a: &Atom, d: &'d Derivation, sort: Sort) -> Checked<&'d TypeExpr> {
        let (rule, linear) = match a {
            Atom::Lit(..) => (Rule::Lit, false),
            Atom::Var(v) if self.f.is_linear(v.id) => (Rule::LinVar, true),
            Atom::Var(_) => (Rule::Var, false),
        };
        self.shape(d, rule, 0)?;
        let ok = matches!(&d.conclusion.subject, Subject::Atom { atom } if self.is(atom, a));
        self.subject(ok)?;
        if linear != (sort == Sort::Linear) {
            return self.fail("an atom of the wrong sort for its position");
        }
        let j = &d.conclusion;
        let (side, other) = if linear {
            (&j.linear, &j.nonlinear)
        } else {
            (&j.nonlinear, &j.linear)
        };
        let [ty] = side.as_slice() else {
            return self.fail("an atom concludes one type");
        };
        if !other.is_empty() {
            return self.fail("an atom concludes one type");
        }
        let ok = match a {
            Atom::Lit(..) => self.same_t(ty, &Type::Real),
            Atom::Var(v) => {
                let bound = self.use_var(v.id)?;
                self.same_e(ty, bound)
            }
        };
        if !ok {
            return self.fail("the atom's type is not its binder's");
        }
        match a {
            Atom::Var(v) if linear => self.consumed(d, std::iter::once(self.name(v.id)))?,
            _ => self.consumed(d, std::iter::empty())?,
        }
        Ok(ty)
    }

    /// Atom premises `from..` of `d`, in positions of `sort`: their types.
    fn atoms(
        &mut self,
        d: &'d Derivation,
        from: usize,
        xs: &[Atom],
        sort: Sort,
    ) -> Checked<Vec<&'d TypeExpr>> {
        let mut out = Vec::with_capacity(xs.len());
        for (i, a) in xs.iter().enumerate() {
            out.push(self.child(d, from + i, |w, c| w.atom(a, c, sort))?);
        }
        Ok(out)
    }

    fn expr(&mut self, e: &'p Expr, d: &'d Derivation) -> Checked {
        use Sort::{Linear, Nonlinear};
        let real = &TypeExpr::Real;
        let s = &d.conclusion.subject;
        match e {
            Expr::Block(b) => return self.block(b, d),
            Expr::Ret { nl, lin, .. } => {
                self.shape(d, Rule::Ret, nl.len() + lin.len())?;
                let ok = matches!(s, Subject::Ret { nl: n, lin: l } if self.all(n, nl) && self.all(l, lin));
                self.subject(ok)?;
                let ts = self.atoms(d, 0, nl, Nonlinear)?;
                let ls = self.atoms(d, nl.len(), lin, Linear)?;
                self.types(d, &ts, &ls)?;
            }
            Expr::Tuple { items, .. } | Expr::LTuple { items, .. } => {
                let (rule, sort) = match e {
                    Expr::Tuple { .. } => (Rule::Tuple, Nonlinear),
                    _ => (Rule::LTuple, Linear),
                };
                self.shape(d, rule, items.len())?;
                self.subject(matches!(s, Subject::Tuple { items: i } if self.all(i, items)))?;
                let ts = self.atoms(d, 0, items, sort)?;
                let j = &d.conclusion;
                let (side, other) = match sort {
                    Linear => (&j.linear, &j.nonlinear),
                    Nonlinear => (&j.nonlinear, &j.linear),
                };
                let ok = match side.as_slice() {
                    [t] if other.is_empty() => self.components(t).is_some_and(|cs| {
                        cs.len() == ts.len()
                            && cs.iter().zip(&ts).all(|(c, t)| self.same(*c, View::E(t)))
                    }),
                    _ => false,
                };
                if !ok {
                    return self.fail("the tuple's type is not its items'");
                }
            }
            Expr::Call { func, nl, lin, .. } => {
                self.shape(d, Rule::Call, nl.len() + lin.len())?;
                let i = func.0 as usize;
                let Some(g) = self.program.funcs.get(i).filter(|_| i < self.me) else {
                    return self.fail("a call of a function not defined above the caller");
                };
                let ok = matches!(s, Subject::Call { callee, nl: n, lin: l }
                    if *callee == g.name && self.all(n, nl) && self.all(l, lin));
                self.subject(ok)?;
                if g.params.len() != nl.len() || g.lparams.len() != lin.len() {
                    return self.fail(format!("`{}` takes other arguments", g.name));
                }
                let ts = self.atoms(d, 0, nl, Nonlinear)?;
                let ls = self.atoms(d, nl.len(), lin, Linear)?;
                let fits = |ts: &[&TypeExpr], ps: &[semantics::Param]| {
                    ts.iter().zip(ps).all(|(t, p)| self.same_t(t, &p.ty))
                };
                if !(fits(&ts, &g.params) && fits(&ls, &g.lparams)) {
                    return self.fail(format!(
                        "an argument's type is not `{}`'s parameter's",
                        g.name
                    ));
                }
                let j = &d.conclusion;
                if !(self.all_t(&j.nonlinear, &g.results) && self.all_t(&j.linear, &g.lresults)) {
                    return self.fail(format!(
                        "the conclusion is not `{}`'s declared results",
                        g.name
                    ));
                }
            }
            Expr::Prim { prim, args, .. } => {
                self.shape(d, Rule::Prim, args.len())?;
                let Some(row) = self.prims.get(*prim) else {
                    return self.fail(format!("primitive #{} is not in the table", prim.0));
                };
                let ok = matches!(s, Subject::Prim { prim: p, args: a } if p == row.name && self.all(a, args));
                self.subject(ok)?;
                if args.len() != row.arity {
                    return self.fail(format!("`{}` takes {} arguments", row.name, row.arity));
                }
                let ts = self.atoms(d, 0, args, Nonlinear)?;
                if !ts.iter().all(|t| self.same_e(t, real)) {
                    return self.fail(format!("an argument of `{}` is not R", row.name));
                }
                self.types(d, &[real], &[])?;
            }
            Expr::LAdd { lhs, rhs, .. } => {
                self.shape(d, Rule::LAdd, 2)?;
                let ok = matches!(s, Subject::LAdd { lhs: l, rhs: r } if self.is(l, lhs) && self.is(r, rhs));
                self.subject(ok)?;
                let a = self.atoms(d, 0, &[*lhs, *rhs], Linear)?;
                if !self.same_e(a[0], a[1]) {
                    return self.fail("the operands of a linear add have different types");
                }
                self.types(d, &[], &[a[0]])?;
            }
            Expr::Scale { scalar, lin, .. } => {
                self.shape(d, Rule::Scale, 2)?;
                let ok = matches!(s, Subject::Scale { factor, scaled } if self.is(factor, scalar) && self.is(scaled, lin));
                self.subject(ok)?;
                let a = self.child(d, 0, |w, c| w.atom(scalar, c, Nonlinear))?;
                let y = self.child(d, 1, |w, c| w.atom(lin, c, Linear))?;
                if !self.same_e(a, real) {
                    return self.fail("the factor of a scaling is not R");
                }
                self.types(d, &[], &[y])?;
            }
            Expr::Zero { ty, .. } => {
                self.shape(d, Rule::Zero, 0)?;
                let ok = matches!(s, Subject::Zero { ty: t } if self.same_t(t, ty));
                self.subject(ok)?;
                let j = &d.conclusion;
                if !(j.nonlinear.is_empty() && self.all_t(&j.linear, std::slice::from_ref(ty))) {
                    return self.fail("zero<σ> concludes (; σ)");
                }
            }
            Expr::Dup { arg, .. } => {
                self.shape(d, Rule::Dup, 1)?;
                self.subject(matches!(s, Subject::Dup { arg: a } if self.is(a, arg)))?;
                let y = self.child(d, 0, |w, c| w.atom(arg, c, Linear))?;
                self.types(d, &[], &[y, y])?;
            }
            Expr::Drop { body, .. } => {
                self.shape(d, Rule::Drop, 1)?;
                self.subject(*s == Subject::Drop)?;
                self.child(d, 0, |w, c| w.block(body, c))?;
                self.types(d, &[], &[])?;
            }
        }
        self.premises_consumed(d)
    }
}

fn alias_name<'a>(v: View<'a>) -> Option<&'a str> {
    match v {
        View::E(TypeExpr::Named(n)) => Some(n),
        View::T(Type::Named(a)) => Some(&a.name),
        _ => None,
    }
}

/// An unfolded type's components: `Some(None)` for `R`, `Some(Some(..))` for a tuple.
fn parts(v: View<'_>) -> Option<Option<Vec<View<'_>>>> {
    match v {
        View::E(TypeExpr::Real) | View::T(Type::Real) => Some(None),
        View::E(TypeExpr::Tuple(ts)) => Some(Some(ts.iter().map(View::E).collect())),
        View::T(Type::Tuple(ts)) => Some(Some(ts.iter().map(View::T).collect())),
        _ => None,
    }
}
