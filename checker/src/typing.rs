//! The judgment `Γ ; Δ ⊢ e : (τs ; σs)` of SPEC §2: one method per rule of [`crate::rules`],
//! each reading premises first and its conclusion last.
//!
//! **Architecture invariant: linear time, bounded recursion.** Γ and Δ are slot tables
//! ([`crate::context`]), types are hash-consed ids ([`crate::types`]); a block's bindings are a
//! loop, so recursion follows only block nesting (under a `let` or a `drop`), which the
//! parser bounds.
//!
//! Faults are collected, not thrown: a rule whose premise fails records a [`TypeError`] and
//! still concludes, with the unknown type where it cannot know better, so that checking goes
//! on and one fault is reported once (an unknown type is compatible with every type).

use crate::context::Context;
use crate::derivation::{Derivation, Judgment, Subject, Subjects};
use crate::errors::{Counted, Site, TypeError};
use crate::names::{NameMap, name_map};
use crate::rules::Rule;
use crate::types::{Ty, Types};
use semantics::{
    Atom, BlockId, FlatBind, FlatExpr, FlatFn, FlatProgram, FuncId, LocalId, PrimId, PrimTable,
    Program, Span, Type, Var, repeated_names,
};

/// Which multiplicities the side conditions demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Linear binders used exactly once, nonlinear binders at least once.
    Strict,
    /// Any binder used any number of times (dup/drop insertion makes the program strict).
    Relaxed,
}

/// What checking a whole program found.
pub(crate) struct Outcome {
    pub derivations: Vec<Derivation>,
    pub errors: Vec<TypeError>,
}

/// A multi-type `(τs ; σs)`.
#[derive(Clone, Debug, Default)]
struct Multi {
    nl: Tys,
    lin: Tys,
}

/// A list of types, held inline up to two: most rules conclude one or two types, and a
/// vector each was an allocation and a free per binding (about 5% of `lina check`).
#[derive(Clone, Debug)]
enum Tys {
    Inline(u8, [Ty; 2]),
    Heap(Vec<Ty>),
}

impl Default for Tys {
    fn default() -> Tys {
        Tys::Inline(0, [None; 2])
    }
}

impl Tys {
    fn from_slice(ts: &[Ty]) -> Tys {
        match ts {
            [] => Tys::default(),
            [a] => Tys::Inline(1, [*a, None]),
            [a, b] => Tys::Inline(2, [*a, *b]),
            _ => Tys::Heap(ts.to_vec()),
        }
    }

    fn repeat(t: Ty, n: usize) -> Tys {
        if n <= 2 {
            Tys::Inline(n as u8, [t; 2])
        } else {
            Tys::Heap(vec![t; n])
        }
    }
}

impl std::ops::Deref for Tys {
    type Target = [Ty];

    fn deref(&self) -> &[Ty] {
        match self {
            Tys::Inline(n, ts) => &ts[..*n as usize],
            Tys::Heap(ts) => ts,
        }
    }
}

impl FromIterator<Ty> for Tys {
    fn from_iter<I: IntoIterator<Item = Ty>>(iter: I) -> Tys {
        let mut out = Tys::default();
        for t in iter {
            match &mut out {
                Tys::Inline(n, ts) if (*n as usize) < ts.len() => {
                    ts[*n as usize] = t;
                    *n += 1;
                }
                Tys::Inline(_, ts) => {
                    let mut v = ts.to_vec();
                    v.push(t);
                    out = Tys::Heap(v);
                }
                Tys::Heap(v) => v.push(t),
            }
        }
        out
    }
}

/// `vec!` for [`Tys`].
macro_rules! tys {
    () => {
        Tys::default()
    };
    ($t:expr; $n:expr) => {
        Tys::repeat($t, $n)
    };
    ($($t:expr),+ $(,)?) => {
        Tys::from_slice(&[$($t),+])
    };
}

/// A function's declared signature, as checker types.
struct Sig {
    params: Vec<Ty>,
    lparams: Vec<Ty>,
    results: Vec<Ty>,
    lresults: Vec<Ty>,
}

/// A rule's derivation while checking: boxed, and `None` when none is built (checking without
/// derivations, or after a fault), so that a premise passed up through the rules is one
/// word, not a 200-byte placeholder copied at every step.
type Node = Option<Box<Derivation>>;

/// A checked expression: its derivation, its type (`None`: unknown after a fault) and the
/// linear variables it consumes.
struct Typed {
    deriv: Node,
    ty: Option<Multi>,
    consumed: Vec<LocalId>,
}

/// A checked atom.
struct Premise {
    deriv: Node,
    ty: Ty,
    consumed: Option<LocalId>,
}

/// Checks every function of a public program: its flat form, built in one sweep.
pub(crate) fn check_program(
    prog: &Program,
    prims: &PrimTable,
    mode: Mode,
    derive: bool,
) -> Outcome {
    check_flat(&FlatProgram::from_program(prog), prims, mode, derive)
}

/// Checks every function, in order. With `derive` false, no derivation is built (every node
/// is an empty placeholder): dup/drop insertion only needs the verdict.
pub(crate) fn check_flat(fp: &FlatProgram, prims: &PrimTable, mode: Mode, derive: bool) -> Outcome {
    let mut types = Types::new();
    let mut errors = Vec::new();
    distinct_functions(fp, &mut errors);
    let sigs: Vec<Sig> = fp
        .funcs
        .iter()
        .map(|f| signature(f, &mut types, &mut errors))
        .collect();
    let mut derivations = Vec::with_capacity(if derive { fp.funcs.len() } else { 0 });
    for (me, f) in fp.funcs.iter().enumerate() {
        let judge = Judge {
            fp,
            prims,
            f,
            me,
            sigs: &sigs,
            types: &mut types,
            errors: &mut errors,
            mode,
            derive,
            ctx: Context::new(f.locals_len as usize),
            blocks: 0,
            subjects: Subjects { fp, prims, f },
            atoms: Vec::new(),
        };
        derivations.push(judge.t_def().map_or_else(Derivation::placeholder, |d| *d));
    }
    Outcome {
        derivations,
        errors,
    }
}

/// Function names are distinct.
fn distinct_functions(fp: &FlatProgram, errors: &mut Vec<TypeError>) {
    let mut seen: NameMap<&str, Span> = name_map(fp.funcs.len());
    for f in &fp.funcs {
        if let Some(&first) = seen.get(f.name.as_str()) {
            errors.push(TypeError::DuplicateFunction {
                name: f.name.clone(),
                second: f.name_span,
                first,
            });
        } else {
            seen.insert(&f.name, f.name_span);
        }
    }
}

/// The declared types of a function, interned; a type over the limits is reported once, here.
fn signature(f: &FlatFn, types: &mut Types, errors: &mut Vec<TypeError>) -> Sig {
    let mut intern = |t: &Type| match types.intern(t) {
        Ok(id) => Some(id),
        Err(limit) => {
            errors.push(TypeError::TypeTooLarge {
                limit,
                span: f.name_span,
                rule: Rule::Def,
            });
            None
        }
    };
    Sig {
        params: f.params.iter().map(|p| intern(&p.ty)).collect(),
        lparams: f.lparams.iter().map(|p| intern(&p.ty)).collect(),
        results: f.results.iter().map(&mut intern).collect(),
        lresults: f.lresults.iter().map(&mut intern).collect(),
    }
}

/// The run of atoms an expression reads, if any.
fn atoms_of(e: &FlatExpr) -> Option<semantics::Atoms> {
    match *e {
        FlatExpr::Ret { atoms, .. }
        | FlatExpr::Call { atoms, .. }
        | FlatExpr::LAdd { atoms, .. }
        | FlatExpr::Scale { atoms, .. } => Some(atoms),
        FlatExpr::Tuple { items, .. } | FlatExpr::LTuple { items, .. } => Some(items),
        FlatExpr::Prim { args, .. } => Some(args),
        FlatExpr::Dup { arg, .. } => Some(arg),
        FlatExpr::Zero { .. } | FlatExpr::Drop { .. } | FlatExpr::Block(_) => None,
    }
}

/// Checks one function.
struct Judge<'a> {
    fp: &'a FlatProgram,
    prims: &'a PrimTable,
    f: &'a FlatFn,
    me: usize,
    sigs: &'a [Sig],
    types: &'a mut Types,
    errors: &'a mut Vec<TypeError>,
    mode: Mode,
    /// Whether to build derivations.
    derive: bool,
    ctx: Context,
    /// Blocks entered so far; a block's number tells which slots it binds.
    blocks: u32,
    subjects: Subjects<'a>,
    /// The current expression's atoms, decoded ([`Judge::expr`]).
    atoms: Vec<Atom>,
}

impl<'a> Judge<'a> {
    // ---- definitions and blocks ----

    /// ```text
    ///  Γ = xs:τs   Δ = ys':σs   Γ ; Δ ⊢ body : (ρs ; πs)   every binder used (strict)
    ///  ──────────────────────────────────────────────────────────────────────── T-Def
    ///  ⊢ def f(xs: τs ; ys': σs) -> (ρs ; πs) = body
    /// ```
    fn t_def(mut self) -> Node {
        let (f, sigs) = (self.f, self.sigs);
        let sig = &sigs[self.me];
        // Premise: binders are distinct (no shadowing).
        self.distinct_binders();
        // Premise: Γ = the nonlinear parameters, Δ = the linear ones, each on its side.
        for (p, &ty) in f.params.iter().zip(&sig.params) {
            self.binder_side(p.var, false, Rule::Def);
            self.bind(p.var, ty, 0, Rule::Def);
        }
        for (p, &ty) in f.lparams.iter().zip(&sig.lparams) {
            self.binder_side(p.var, true, Rule::Def);
            self.bind(p.var, ty, 0, Rule::Def);
        }
        // Premise: Γ ; Δ ⊢ body : (ρs ; πs), the declared results.
        let body = self.t_block(f.body);
        if let Some(found) = &body.ty {
            let fp = self.fp;
            let tail = fp
                .block(f.body)
                .map_or(f.name_span, |b| fp.expr_span(&b.tail));
            self.results_fit(found, tail);
        }
        // Side condition: multiplicities.
        self.multiplicities();
        // Conclusion.
        let lparams: Vec<LocalId> = f.lparams.iter().map(|p| p.var).collect();
        let declared = Multi {
            nl: Tys::from_slice(&sig.results),
            lin: Tys::from_slice(&sig.lresults),
        };
        self.conclude(
            Rule::Def,
            |s: &Subjects| s.signature(),
            &lparams,
            Some(&declared),
            [body.deriv],
        )
    }

    /// ```text
    ///  Γ ; Δ0 ⊢ b1   Γ, b1 ; Δ1 ⊢ b2   ...   Γ, b1..bk ; Δk ⊢ e : ρ
    ///  ──────────────────────────────────────────────────────────── T-Block
    ///  Γ ; Δ0 ⊎ ... ⊎ Δk ⊢ let b1 in ... let bk in e : ρ
    /// ```
    /// One node for the whole block: its children are the bindings' derivations, then the
    /// tail's. A loop, however many bindings.
    fn t_block(&mut self, id: BlockId) -> Typed {
        let fp = self.fp;
        let Some(b) = fp.block(id) else {
            self.fault(TypeError::Malformed {
                what: format!("block #{} does not exist", id.0),
                span: self.f.name_span,
            });
            return Typed {
                deriv: None,
                ty: None,
                consumed: vec![],
            };
        };
        let binds = fp.binds_of(b);
        self.blocks += 1;
        let block = self.blocks;
        let derive = self.derive && self.errors.is_empty();
        let mut children = Vec::with_capacity(if derive { binds.len() + 1 } else { 0 });
        let mut consumed = Vec::new();
        // Premises: each binding, in order, in the context the earlier ones extend.
        for bind in binds {
            if !self.derive && self.quick_let(bind, block) {
                continue;
            }
            let t = match bind {
                FlatBind::Let {
                    binders,
                    nl,
                    rhs,
                    span,
                } => {
                    let ids = fp.binders(*binders);
                    let (nl, lin) = ids.split_at((*nl as usize).min(ids.len()));
                    self.t_let(bind, nl, lin, rhs, *span, block)
                }
                FlatBind::Unpack { binders, src, span } => {
                    self.t_unpack(bind, fp.binders(*binders), *src, *span, block)
                }
            };
            consumed.extend(t.consumed);
            if derive {
                children.push(t.deriv);
            }
        }
        // Premise: the tail.
        let tail = self.expr(&b.tail);
        consumed.extend(tail.consumed);
        if derive {
            children.push(tail.deriv);
        }
        // Conclusion: Δ is what the premises consume, less what the block binds itself.
        consumed.retain(|&id| self.ctx.block_of(id) != Some(block));
        let subject = |s: &Subjects| s.block(binds.len());
        let deriv = self.conclude(Rule::Block, subject, &consumed, tail.ty.as_ref(), children);
        Typed {
            deriv,
            ty: tail.ty,
            consumed,
        }
    }

    /// ```text
    ///  Γ ; Δ1 ⊢ e1 : (τs ; σs)    |xs| = |τs|    |ys'| = |σs|
    ///  ───────────────────────────────────────────────────── T-Let
    ///  Γ ; Δ1 ⊢ let (xs ; ys') = e1 : (τs ; σs)      (then xs:τs ∈ Γ, ys':σs ∈ Δ)
    /// ```
    fn t_let(
        &mut self,
        bind: &FlatBind,
        nl: &[LocalId],
        lin: &[LocalId],
        rhs: &FlatExpr,
        span: Span,
        block: u32,
    ) -> Typed {
        // Premise: Γ ; Δ1 ⊢ e1 : (τs ; σs).
        let e1 = self.expr(rhs);
        // Premise: each binder is written on the side its spelling says.
        let mut sides_ok = true;
        for &x in nl {
            sides_ok &= self.binder_side(x, false, Rule::Let);
        }
        for &y in lin {
            sides_ok &= self.binder_side(y, true, Rule::Let);
        }
        // Premise: as many binders on each side as values.
        let unknown = e1.ty.is_none();
        let fitted = match e1.ty {
            Some(m) if sides_ok => {
                let at = self.binders_span(nl.iter().chain(lin)).unwrap_or(span);
                self.binders_fit(&m, (nl.len(), lin.len()), at).then_some(m)
            }
            _ => None,
        };
        // Conclusion: the binders enter Γ and Δ. After a fault in the pattern, its binders are
        // suspect: no multiplicity faults about them.
        let shape_ok = fitted.is_some() || unknown;
        let ty_of = |side: &[Ty], i: usize| side.get(i).copied().flatten();
        for (i, &x) in nl.iter().enumerate() {
            let ty = fitted.as_ref().and_then(|m| ty_of(&m.nl, i));
            self.bind(x, ty, block, Rule::Let);
        }
        for (i, &y) in lin.iter().enumerate() {
            let ty = fitted.as_ref().and_then(|m| ty_of(&m.lin, i));
            self.bind(y, ty, block, Rule::Let);
        }
        if !shape_ok {
            for &x in nl.iter().chain(lin) {
                self.ctx.quiet(x);
            }
        }
        let shown = fitted.unwrap_or_else(|| Multi {
            nl: tys![None; nl.len()],
            lin: tys![None; lin.len()],
        });
        let subject = |s: &Subjects| s.binding(bind);
        let deriv = self.conclude(Rule::Let, subject, &e1.consumed, Some(&shown), [e1.deriv]);
        Typed {
            deriv,
            ty: Some(shown),
            consumed: e1.consumed,
        }
    }

    /// T-Let over T-Prim or T-Call with T-Var and T-Lit premises, for the bindings long
    /// programs are made of (`let x = p(a1..an) in`, `let (x1..xk) = g(a1..an) in`, every
    /// argument nonlinear and of the type expected, every binder nonlinear), when no
    /// derivation is built: the premises read directly and the same conclusion drawn (each
    /// argument's use counted, the binders bound to the results' types), without the rules'
    /// intermediate premises and multi-types. `false`, having changed nothing, when the
    /// binding is of another form or a premise would fail: the caller then applies the rules,
    /// which report the fault.
    fn quick_let(&mut self, bind: &FlatBind, block: u32) -> bool {
        let FlatBind::Let {
            binders, nl, rhs, ..
        } = *bind
        else {
            return false;
        };
        let (fp, f) = (self.fp, self.f);
        let ids = fp.binders(binders);
        if nl as usize != ids.len() {
            return false;
        }
        let real = [Some(self.types.real())];
        let sigs = self.sigs;
        // The arguments, the types the rule expects of them, and the types it concludes.
        let (args, params, results): (_, &[Ty], &[Ty]) = match rhs {
            FlatExpr::Prim { prim, args, .. } => match self.prims.get(prim) {
                Some(row) if row.arity == args.len as usize => (args, &[], &real),
                _ => return false,
            },
            FlatExpr::Call {
                func,
                atoms,
                nl: args_nl,
                ..
            } if (func.0 as usize) < self.me && args_nl == atoms.len => {
                match sigs.get(func.0 as usize) {
                    Some(sig)
                        if sig.lparams.is_empty()
                            && sig.lresults.is_empty()
                            && sig.params.len() == atoms.len as usize =>
                    {
                        (atoms, &sig.params, &sig.results)
                    }
                    _ => return false,
                }
            }
            _ => return false,
        };
        if results.len() != ids.len() {
            return false;
        }
        // The flat atoms themselves, read in place twice (premises, then uses) rather than
        // through two `AtomList` iterators.
        let (atoms, wide) = (fp.flat_atoms(args), &fp.wide[..]);
        for (i, a) in atoms.iter().enumerate() {
            let want = if params.is_empty() {
                real[0]
            } else {
                params[i]
            };
            let found = match a.read(wide) {
                Atom::Lit(..) => real[0],
                Atom::Var(v) if !fp.is_linear(f, v.id) => match self.ctx.ty_of(v.id) {
                    Some(ty) => ty,
                    None => return false,
                },
                Atom::Var(_) => return false,
            };
            if want.is_none() || found != want {
                return false;
            }
        }
        let binders_ok = ids
            .iter()
            .all(|&x| fp.local(f, x).is_some_and(|l| !l.linear()) && self.ctx.has(x));
        if !binders_ok {
            return false;
        }
        // Conclusion, in the rules' order: the arguments' uses, then the binders.
        for a in atoms {
            if let Atom::Var(v) = a.read(wide) {
                self.ctx.use_var(v.id, v.span);
            }
        }
        for (&x, &ty) in ids.iter().zip(results) {
            self.ctx.bind(x, ty, block, Rule::Let);
        }
        true
    }

    /// ```text
    ///  Γ ; · ⊢ x : (<τ1..τn> ;)               Γ ; Δ ⊢ y' : (; <σ1..σn>)
    ///  ──────────────────────────── T-Unpack  ────────────────────────────── T-LUnpack
    ///  let <x1..xn> = x : (τs ;)               let <y1'..yn'> = y' : (; σs)
    /// ```
    fn t_unpack(
        &mut self,
        bind: &FlatBind,
        binders: &[LocalId],
        src: Var,
        span: Span,
        block: u32,
    ) -> Typed {
        let linear = self.fp.is_linear(self.f, src.id);
        let rule = if linear { Rule::LUnpack } else { Rule::Unpack };
        // Premise: the source, nonlinear (T-Var) or linear (T-LinVar).
        let p = if linear {
            self.t_lin_var(src, rule)
        } else {
            self.t_var(src)
        };
        // Premise: the binders have the source's sort.
        let sorts_ok = binders
            .iter()
            .all(|&b| self.fp.is_linear(self.f, b) == linear);
        if !sorts_ok {
            self.fault(TypeError::UnpackSort {
                src: self.subjects.var(src.id),
                src_linear: linear,
                span: self.binders_span(binders.iter()).unwrap_or(span),
                rule,
            });
        }
        // Premise: the source is a tuple with one component per binder.
        let components: Option<Vec<Ty>> = p.ty.and_then(|id| match self.types.components(id) {
            None => {
                self.fault(TypeError::NotATuple {
                    name: self.subjects.var(src.id),
                    ty: self.types.show(Some(id)),
                    span: src.span,
                    rule,
                });
                None
            }
            Some(cs) if cs.len() != binders.len() => {
                let expected = cs.len();
                self.fault(TypeError::Arity {
                    of: Counted::Components(self.subjects.var(src.id)),
                    expected: (expected, 0),
                    found: (binders.len(), 0),
                    span: self.binders_span(binders.iter()).unwrap_or(span),
                    rule,
                });
                None
            }
            Some(cs) => Some(cs.iter().copied().map(Some).collect()),
        });
        // Conclusion: the binders enter Γ (T-Unpack) or Δ (T-LUnpack). After a fault in the
        // pattern, its binders are suspect: no multiplicity faults about them.
        let shape_ok = sorts_ok && (components.is_some() || p.ty.is_none());
        let tys: Vec<Ty> = match components {
            Some(cs) if sorts_ok => cs,
            _ => vec![None; binders.len()],
        };
        for (&b, &ty) in binders.iter().zip(&tys) {
            self.bind(b, ty, block, rule);
            if !shape_ok {
                self.ctx.quiet(b);
            }
        }
        let shown = if linear {
            Multi {
                nl: tys![],
                lin: Tys::from_slice(&tys),
            }
        } else {
            Multi {
                nl: Tys::from_slice(&tys),
                lin: tys![],
            }
        };
        let consumed: Vec<LocalId> = p.consumed.into_iter().collect();
        let subject = |s: &Subjects| s.binding(bind);
        let deriv = self.conclude(rule, subject, &consumed, Some(&shown), [p.deriv]);
        Typed {
            deriv,
            ty: Some(shown),
            consumed,
        }
    }

    // ---- expressions ----

    fn expr(&mut self, e: &FlatExpr) -> Typed {
        // The rules read the expression's atoms as a slice, decoded from the flat form's
        // packed atoms: on the stack for the common short lists, else into a buffer kept
        // across expressions (a nested block, the only expression that checks others, has no
        // atoms of its own).
        const SHORT: usize = 4;
        let Some(run) = atoms_of(e) else {
            return self.expr_with(e, &[]);
        };
        let list = self.fp.atoms(run);
        if list.len() <= SHORT {
            let mut short = [Atom::Lit(0.0, Span::GENERATED); SHORT];
            for (slot, a) in short.iter_mut().zip(list) {
                *slot = a;
            }
            return self.expr_with(e, &short[..list.len()]);
        }
        let mut buf = std::mem::take(&mut self.atoms);
        buf.clear();
        buf.extend(list);
        let t = self.expr_with(e, &buf);
        self.atoms = buf;
        t
    }

    /// [`Judge::expr`] with the expression's atoms decoded (`atoms`).
    fn expr_with(&mut self, e: &FlatExpr, atoms: &[Atom]) -> Typed {
        let fp = self.fp;
        let sides = |nl: u32| atoms.split_at((nl as usize).min(atoms.len()));
        // The atoms a rule reads; a missing one (only in a malformed flat form) is a fault.
        let two = || match atoms {
            [a, b] => Some((a, b)),
            _ => None,
        };
        match *e {
            FlatExpr::Ret { nl, .. } => {
                let (nl, lin) = sides(nl);
                self.t_ret(e, nl, lin)
            }
            FlatExpr::Tuple { span, .. } => self.t_tuple(e, atoms, span),
            FlatExpr::LTuple { span, .. } => self.t_ltuple(e, atoms, span),
            FlatExpr::Call { func, nl, span, .. } => {
                let (nl, lin) = sides(nl);
                self.t_call(e, func, nl, lin, span)
            }
            FlatExpr::Prim { prim, span, .. } => self.t_prim(e, prim, atoms, span),
            FlatExpr::LAdd { span, .. } => match two() {
                Some((lhs, rhs)) => self.t_ladd(e, lhs, rhs, span),
                None => self.malformed("a linear add without two operands", span),
            },
            FlatExpr::Scale { span, .. } => match two() {
                Some((scalar, lin)) => self.t_scale(e, scalar, lin),
                None => self.malformed("a scaling without two operands", span),
            },
            FlatExpr::Zero { ty, span } => match fp.ty(ty) {
                Some(t) => self.t_zero(e, t, span),
                None => self.malformed("a zero without its type", span),
            },
            FlatExpr::Dup { span, .. } => match atoms {
                [a] => self.t_dup(e, a),
                _ => self.malformed("a dup without its operand", span),
            },
            FlatExpr::Drop { body, .. } => self.t_drop(e, body),
            FlatExpr::Block(b) => self.t_block(b),
        }
    }

    fn malformed(&mut self, what: &str, span: Span) -> Typed {
        self.fault(TypeError::Malformed {
            what: what.to_string(),
            span,
        });
        Typed {
            deriv: None,
            ty: None,
            consumed: vec![],
        }
    }

    /// ```text
    ///  Γ ; · ⊢ ai : (τi ;)    Γ ; Δj ⊢ yj' : (; σj)
    ///  ─────────────────────────────────────────────── T-Ret
    ///  Γ ; ⊎Δj ⊢ (a1..an ; y1'..ym') : (τs ; σs)
    /// ```
    fn t_ret(&mut self, e: &FlatExpr, nl: &[Atom], lin: &[Atom]) -> Typed {
        let nl: Vec<Premise> = nl
            .iter()
            .map(|a| self.nonlinear_atom(a, &Site::NlResult, Rule::Ret))
            .collect();
        let lin: Vec<Premise> = lin
            .iter()
            .map(|a| self.linear_atom(a, &Site::LinResult, Rule::Ret))
            .collect();
        let ty = Multi {
            nl: nl.iter().map(|p| p.ty).collect(),
            lin: lin.iter().map(|p| p.ty).collect(),
        };
        self.conclude_with(Rule::Ret, e, Some(ty), nl.into_iter().chain(lin))
    }

    /// ```text
    ///  Γ ; · ⊢ ai : (τi ;)
    ///  ─────────────────────────── T-Tuple
    ///  Γ ; · ⊢ <a1..an> : (<τs> ;)
    /// ```
    fn t_tuple(&mut self, e: &FlatExpr, items: &[Atom], span: Span) -> Typed {
        let ps: Vec<Premise> = items
            .iter()
            .map(|a| self.nonlinear_atom(a, &Site::Tuple, Rule::Tuple))
            .collect();
        let ty = self.tuple_type(&ps, span, Rule::Tuple);
        self.conclude_with(
            Rule::Tuple,
            e,
            Some(Multi {
                nl: tys![ty],
                lin: tys![],
            }),
            ps,
        )
    }

    /// ```text
    ///  Γ ; Δi ⊢ yi' : (; σi)
    ///  ───────────────────────────────── T-LTuple
    ///  Γ ; ⊎Δi ⊢ <y1'..yn'> : (; <σs>)
    /// ```
    fn t_ltuple(&mut self, e: &FlatExpr, items: &[Atom], span: Span) -> Typed {
        let ps: Vec<Premise> = items
            .iter()
            .map(|a| self.linear_atom(a, &Site::LTuple, Rule::LTuple))
            .collect();
        let ty = self.tuple_type(&ps, span, Rule::LTuple);
        self.conclude_with(
            Rule::LTuple,
            e,
            Some(Multi {
                nl: tys![],
                lin: tys![ty],
            }),
            ps,
        )
    }

    /// ```text
    ///  g : (τs ; σs) -> (ρs ; πs) defined above f   Γ ; · ⊢ ai : (τi ;)   Γ ; Δj ⊢ yj' : (; σj)
    ///  ───────────────────────────────────────────────────────────────────────────── T-Call
    ///  Γ ; ⊎Δj ⊢ g(a1..an ; y1'..ym') : (ρs ; πs)
    /// ```
    fn t_call(
        &mut self,
        e: &FlatExpr,
        func: FuncId,
        nl: &[Atom],
        lin: &[Atom],
        span: Span,
    ) -> Typed {
        let callee = self.fp.func(func);
        let name = callee.map_or_else(|| "?".to_string(), |g| g.name.clone());
        // Premise: the callee is defined above the caller.
        match callee {
            None => self.fault(TypeError::Malformed {
                what: format!("a call of function #{}, which does not exist", func.0),
                span,
            }),
            Some(g) if func.0 as usize == self.me => self.fault(TypeError::Recursive {
                func: g.name.clone(),
                span,
                def_span: self.f.name_span,
            }),
            Some(g) if func.0 as usize > self.me => self.fault(TypeError::LaterDefined {
                caller: self.f.name.clone(),
                callee: g.name.clone(),
                span,
                def_span: g.name_span,
            }),
            Some(_) => {}
        }
        let sigs = self.sigs;
        let sig = sigs.get(func.0 as usize);
        // Premises: the arguments, on their sides.
        let (nl_site, lin_site) = (Site::CallArg(name.clone()), Site::LinCallArg(name.clone()));
        let errors_before = self.errors.len();
        let nl_ps: Vec<Premise> = nl
            .iter()
            .map(|a| self.nonlinear_atom(a, &nl_site, Rule::Call))
            .collect();
        let lin_ps: Vec<Premise> = lin
            .iter()
            .map(|a| self.linear_atom(a, &lin_site, Rule::Call))
            .collect();
        let sort_faults = self.errors.len() > errors_before;
        if let Some(sig) = sig {
            let expected = (sig.params.len(), sig.lparams.len());
            let found = (nl.len(), lin.len());
            if expected == found {
                // Premise: each argument has its parameter's type.
                for (i, (p, &ty)) in nl_ps.iter().zip(&sig.params).enumerate() {
                    let what = || format!("argument {} of `{name}`", i + 1);
                    self.expect_type(p.ty, ty, what, nl[i].span(), Rule::Call);
                }
                for (i, (p, &ty)) in lin_ps.iter().zip(&sig.lparams).enumerate() {
                    let what = || format!("linear argument {} of `{name}`", i + 1);
                    self.expect_type(p.ty, ty, what, lin[i].span(), Rule::Call);
                }
            } else if !(sort_faults && expected.0 + expected.1 == found.0 + found.1) {
                // (Arguments on the wrong side are reported as such, not also as an arity.)
                self.fault(TypeError::Arity {
                    of: Counted::Args(name.clone()),
                    expected,
                    found,
                    span,
                    rule: Rule::Call,
                });
            }
        }
        // Conclusion: the callee's declared results.
        let ty = sig.map(|s| Multi {
            nl: Tys::from_slice(&s.results),
            lin: Tys::from_slice(&s.lresults),
        });
        self.conclude_with(Rule::Call, e, ty, nl_ps.into_iter().chain(lin_ps))
    }

    /// ```text
    ///  p/n in the primitive table    Γ ; · ⊢ ai : (R ;)   (i = 1..n)
    ///  ─────────────────────────────────────────────────────────── T-Prim
    ///  Γ ; · ⊢ p(a1, ..., an) : (R ;)
    /// ```
    fn t_prim(&mut self, e: &FlatExpr, prim: PrimId, args: &[Atom], span: Span) -> Typed {
        let real = Some(Multi {
            nl: tys![Some(self.types.real())],
            lin: tys![],
        });
        let prims = self.prims;
        let Some(row) = prims.get(prim) else {
            self.fault(TypeError::Malformed {
                what: format!("primitive #{} is not in the table", prim.0),
                span,
            });
            let ps: Vec<Premise> = args.iter().map(|a| self.any_atom(a)).collect();
            return self.conclude_with(Rule::Prim, e, real, ps);
        };
        // `x' * y'`: the one nonlinear operation on two linear values people write.
        if let [a, b] = args
            && prim == PrimId::MUL
            && self.is_linear_atom(a)
            && self.is_linear_atom(b)
        {
            self.fault(TypeError::LinearTimesLinear {
                lhs: self.subjects.atom_string(a),
                rhs: self.subjects.atom_string(b),
                span,
            });
            let ps: Vec<Premise> = args.iter().map(|a| self.any_atom(a)).collect();
            return self.conclude_with(Rule::Prim, e, None, ps);
        }
        // Premise: as many arguments as the primitive takes.
        if args.len() != row.arity {
            self.fault(TypeError::Arity {
                of: Counted::PrimArgs(row.name),
                expected: (row.arity, 0),
                found: (args.len(), 0),
                span,
                rule: Rule::Prim,
            });
        }
        // Premises: each argument is a nonlinear real.
        let errors_before = self.errors.len();
        let r = Some(self.types.real());
        // (Primitives take one or two arguments: their premises are held inline.)
        let mut first: [Option<Premise>; 2] = [None, None];
        let mut more = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let p = self.nonlinear_atom(a, &Site::PrimArg(row.name), Rule::Prim);
            let what = || format!("argument {} of `{}`", i + 1, row.name);
            self.expect_type(p.ty, r, what, a.span(), Rule::Prim);
            match first.get_mut(i) {
                Some(slot) => *slot = Some(p),
                None => more.push(p),
            }
        }
        let ps = first.into_iter().flatten().chain(more);
        // After a fault in the arguments (`sin(x')`), what was meant is anyone's guess: the
        // result gets the unknown type rather than a second fault downstream.
        let ty = if self.errors.len() > errors_before {
            None
        } else {
            real
        };
        self.conclude_with(Rule::Prim, e, ty, ps)
    }

    /// ```text
    ///  Γ ; Δ1 ⊢ y1' : (; σ)    Γ ; Δ2 ⊢ y2' : (; σ)
    ///  ────────────────────────────────────────── T-LAdd
    ///  Γ ; Δ1 ⊎ Δ2 ⊢ y1' + y2' : (; σ)
    /// ```
    fn t_ladd(&mut self, e: &FlatExpr, lhs: &Atom, rhs: &Atom, span: Span) -> Typed {
        let l = self.linear_atom(lhs, &Site::LAdd, Rule::LAdd);
        let r = self.linear_atom(rhs, &Site::LAdd, Rule::LAdd);
        // Premise: both operands have the same type σ.
        if let (Some(a), Some(b)) = (l.ty, r.ty)
            && a != b
        {
            self.fault(TypeError::LAddTypes {
                lhs: self.types.show(l.ty),
                rhs: self.types.show(r.ty),
                span,
            });
        }
        let sigma = l.ty.or(r.ty);
        self.conclude_with(
            Rule::LAdd,
            e,
            Some(Multi {
                nl: tys![],
                lin: tys![sigma],
            }),
            [l, r],
        )
    }

    /// ```text
    ///  Γ ; · ⊢ a : (R ;)    Γ ; Δ ⊢ y' : (; σ)
    ///  ──────────────────────────────────── T-Scale
    ///  Γ ; Δ ⊢ a * y' : (; σ)
    /// ```
    fn t_scale(&mut self, e: &FlatExpr, scalar: &Atom, lin: &Atom) -> Typed {
        let a = self.nonlinear_atom(scalar, &Site::ScaleFactor, Rule::Scale);
        let r = Some(self.types.real());
        self.expect_type(
            a.ty,
            r,
            || "the factor of a scaling".to_string(),
            scalar.span(),
            Rule::Scale,
        );
        let y = self.linear_atom(lin, &Site::Scaled, Rule::Scale);
        let sigma = y.ty;
        self.conclude_with(
            Rule::Scale,
            e,
            Some(Multi {
                nl: tys![],
                lin: tys![sigma],
            }),
            [a, y],
        )
    }

    /// ```text
    ///  ───────────────────────── T-Zero
    ///  Γ ; · ⊢ zero<σ> : (; σ)
    /// ```
    fn t_zero(&mut self, e: &FlatExpr, ty: &Type, span: Span) -> Typed {
        let sigma = match self.types.intern(ty) {
            Ok(id) => Some(id),
            Err(limit) => {
                self.fault(TypeError::TypeTooLarge {
                    limit,
                    span,
                    rule: Rule::Zero,
                });
                None
            }
        };
        self.conclude_with(
            Rule::Zero,
            e,
            Some(Multi {
                nl: tys![],
                lin: tys![sigma],
            }),
            [],
        )
    }

    /// ```text
    ///  Γ ; Δ ⊢ y' : (; σ)
    ///  ───────────────────────────── T-Dup
    ///  Γ ; Δ ⊢ dup(y') : (; σ, σ)
    /// ```
    fn t_dup(&mut self, e: &FlatExpr, arg: &Atom) -> Typed {
        let y = self.linear_atom(arg, &Site::Dup, Rule::Dup);
        let sigma = y.ty;
        self.conclude_with(
            Rule::Dup,
            e,
            Some(Multi {
                nl: tys![],
                lin: tys![sigma, sigma],
            }),
            [y],
        )
    }

    /// ```text
    ///  Γ ; Δ ⊢ e : ρ
    ///  ───────────────────────── T-Drop
    ///  Γ ; Δ ⊢ drop(e) : ( ; )
    /// ```
    fn t_drop(&mut self, e: &FlatExpr, body: BlockId) -> Typed {
        let b = self.t_block(body);
        let deriv = self.conclude(
            Rule::Drop,
            |s: &Subjects| s.expr(e),
            &b.consumed,
            Some(&Multi::default()),
            [b.deriv],
        );
        Typed {
            deriv,
            ty: Some(Multi::default()),
            consumed: b.consumed,
        }
    }

    // ---- atoms ----

    /// ```text
    ///  x : τ ∈ Γ
    ///  ─────────────────── T-Var
    ///  Γ ; · ⊢ x : (τ ;)
    /// ```
    fn t_var(&mut self, v: Var) -> Premise {
        let ty = self.use_var(v).and_then(|u| u.ty);
        let deriv = self.conclude(
            Rule::Var,
            |s: &Subjects| s.atom(&Atom::Var(v)),
            &[],
            Some(&Multi {
                nl: tys![ty],
                lin: tys![],
            }),
            vec![],
        );
        Premise {
            deriv,
            ty,
            consumed: None,
        }
    }

    /// ```text
    ///  c a literal
    ///  ─────────────────── T-Lit
    ///  Γ ; · ⊢ c : (R ;)
    /// ```
    fn t_lit(&mut self, a: &Atom) -> Premise {
        let ty = Some(self.types.real());
        let deriv = self.conclude(
            Rule::Lit,
            |s: &Subjects| s.atom(a),
            &[],
            Some(&Multi {
                nl: tys![ty],
                lin: tys![],
            }),
            vec![],
        );
        Premise {
            deriv,
            ty,
            consumed: None,
        }
    }

    /// ```text
    ///  ─────────────────────── T-LinVar      (y' used nowhere else: Δ is split)
    ///  Γ ; y':σ ⊢ y' : (; σ)
    /// ```
    /// `rule` is the rule whose premise this occurrence is, which a second use names.
    fn t_lin_var(&mut self, v: Var, rule: Rule) -> Premise {
        let ty = match self.use_var(v) {
            Some(u) => {
                if u.count == 2 && self.mode == Mode::Strict && !self.ctx.is_quiet(v.id) {
                    self.fault(TypeError::LinearUsedTwice {
                        name: self.subjects.var(v.id),
                        second: v.span,
                        first: u.first,
                        rule,
                    });
                }
                u.ty
            }
            None => None,
        };
        let deriv = self.conclude(
            Rule::LinVar,
            |s: &Subjects| s.atom(&Atom::Var(v)),
            &[v.id],
            Some(&Multi {
                nl: tys![],
                lin: tys![ty],
            }),
            vec![],
        );
        Premise {
            deriv,
            ty,
            consumed: Some(v.id),
        }
    }

    /// A premise `Γ ; · ⊢ a : (τ ;)`: T-Var or T-Lit. A linear variable here is a fault; its
    /// occurrence still counts as its use.
    fn nonlinear_atom(&mut self, a: &Atom, site: &Site, rule: Rule) -> Premise {
        match a {
            Atom::Var(v) if self.fp.is_linear(self.f, v.id) => {
                if !self.ctx.is_quiet(v.id) {
                    self.fault(TypeError::LinearInNonlinear {
                        name: self.subjects.var(v.id),
                        span: v.span,
                        site: site.clone(),
                        rule,
                    });
                }
                self.t_lin_var(*v, rule)
            }
            Atom::Var(v) => self.t_var(*v),
            Atom::Lit(..) => self.t_lit(a),
        }
    }

    /// A premise `Γ ; Δ ⊢ y' : (; σ)`: T-LinVar. A literal or nonlinear variable here is a
    /// fault.
    fn linear_atom(&mut self, a: &Atom, site: &Site, rule: Rule) -> Premise {
        match a {
            Atom::Var(v) if self.fp.is_linear(self.f, v.id) => self.t_lin_var(*v, rule),
            Atom::Var(v) => {
                if !self.ctx.is_quiet(v.id) {
                    self.fault(TypeError::NonlinearInLinear {
                        what: format!("nonlinear variable `{}`", self.subjects.var(v.id)),
                        span: v.span,
                        site: site.clone(),
                        rule,
                    });
                }
                self.t_var(*v)
            }
            Atom::Lit(..) => {
                self.fault(TypeError::NonlinearInLinear {
                    what: format!("literal `{}`", self.subjects.atom_string(a)),
                    span: a.span(),
                    site: site.clone(),
                    rule,
                });
                self.t_lit(a)
            }
        }
    }

    /// An atom of whatever sort it is (after a fault that already says what is wrong).
    fn any_atom(&mut self, a: &Atom) -> Premise {
        match a {
            Atom::Var(v) if self.fp.is_linear(self.f, v.id) => self.t_lin_var(*v, Rule::Prim),
            Atom::Var(v) => self.t_var(*v),
            Atom::Lit(..) => self.t_lit(a),
        }
    }

    fn is_linear_atom(&self, a: &Atom) -> bool {
        matches!(a, Atom::Var(v) if self.fp.is_linear(self.f, v.id))
    }

    // ---- side conditions and helpers ----

    /// Binders inside one function are distinct.
    fn distinct_binders(&mut self) {
        if self.f.distinct {
            // The parser saw every name once (`FlatFn::distinct`).
            return;
        }
        let fp = self.fp;
        let locals = fp.locals_of(self.f);
        let name_of = |i: usize| locals.get(i).map_or("", |l| fp.spelling(l));
        for (second, first) in repeated_names(locals.len(), name_of) {
            let (Some(local), Some(earlier)) =
                (locals.get(second as usize), locals.get(first as usize))
            else {
                continue;
            };
            self.errors.push(TypeError::Shadowed {
                name: fp.spelling(local).to_string(),
                second: local.span,
                first: earlier.span,
            });
            // The shadowed binder is likely unused: that is this fault, not another.
            self.ctx.quiet(LocalId(first));
        }
    }

    /// A binder written on the linear side (`linear_side`) or not is spelled accordingly.
    fn binder_side(&mut self, id: LocalId, linear_side: bool, rule: Rule) -> bool {
        let Some(local) = self.fp.local(self.f, id) else {
            self.fault(TypeError::Malformed {
                what: format!("binder slot #{} does not exist", id.0),
                span: self.f.name_span,
            });
            return false;
        };
        if local.linear() == linear_side {
            return true;
        }
        self.fault(TypeError::BinderSide {
            name: self.fp.spelling(local).to_string(),
            span: local.span,
            linear: local.linear(),
            rule,
        });
        self.ctx.quiet(id);
        false
    }

    fn bind(&mut self, id: LocalId, ty: Ty, block: u32, rule: Rule) {
        if !self.ctx.bind(id, ty, block, rule) {
            self.fault(TypeError::Malformed {
                what: format!("binder slot #{} does not exist", id.0),
                span: self.f.name_span,
            });
        }
    }

    fn use_var(&mut self, v: Var) -> Option<crate::context::Use> {
        let u = self.ctx.use_var(v.id, v.span);
        if u.is_none() {
            self.fault(TypeError::Malformed {
                what: format!("variable slot #{} does not exist", v.id.0),
                span: v.span,
            });
        }
        u
    }

    /// `(n ; l)` binders take a multi-value of exactly that shape.
    fn binders_fit(&mut self, m: &Multi, binders: (usize, usize), span: Span) -> bool {
        let values = (m.nl.len(), m.lin.len());
        if values == binders {
            return true;
        }
        self.fault(if values.0 + values.1 == binders.0 + binders.1 {
            TypeError::SidesMismatch {
                of: Counted::Binders,
                expected: binders,
                found: values,
                span,
                rule: Rule::Let,
            }
        } else {
            TypeError::Arity {
                of: Counted::Binders,
                expected: binders,
                found: values,
                span,
                rule: Rule::Let,
            }
        });
        false
    }

    /// The body's results are the declared ones.
    fn results_fit(&mut self, found: &Multi, span: Span) {
        let (sigs, f) = (self.sigs, self.f);
        let sig = &sigs[self.me];
        let name = &f.name;
        let expected = (sig.results.len(), sig.lresults.len());
        let got = (found.nl.len(), found.lin.len());
        if expected == got {
            for (i, (&t, &want)) in found.nl.iter().zip(&sig.results).enumerate() {
                let what = || format!("nonlinear result {} of `{name}`", i + 1);
                self.expect_type(t, want, what, span, Rule::Def);
            }
            for (i, (&t, &want)) in found.lin.iter().zip(&sig.lresults).enumerate() {
                let what = || format!("linear result {} of `{name}`", i + 1);
                self.expect_type(t, want, what, span, Rule::Def);
            }
        } else if expected.0 + expected.1 == got.0 + got.1 {
            self.fault(TypeError::SidesMismatch {
                of: Counted::Results(name.clone()),
                expected,
                found: got,
                span,
                rule: Rule::Def,
            });
        } else {
            self.fault(TypeError::Arity {
                of: Counted::Results(name.clone()),
                expected,
                found: got,
                span,
                rule: Rule::Def,
            });
        }
    }

    /// Every linear binder used exactly once (twice is reported where it happens), every
    /// nonlinear binder at least once; in relaxed mode, anything goes.
    fn multiplicities(&mut self) {
        if self.mode == Mode::Relaxed {
            return;
        }
        let unused: Vec<(LocalId, Rule)> = self
            .ctx
            .bound()
            .filter(|&(_, uses, _)| uses == 0)
            .map(|(id, _, rule)| (id, rule))
            .collect();
        for (id, rule) in unused {
            let Some(local) = self.fp.local(self.f, id) else {
                continue;
            };
            let (name, binder) = (self.fp.spelling(local).to_string(), local.span);
            self.errors.push(if local.linear() {
                TypeError::LinearUnused { name, binder, rule }
            } else {
                TypeError::NonlinearUnused { name, binder, rule }
            });
        }
    }

    fn expect_type(
        &mut self,
        found: Ty,
        expected: Ty,
        what: impl FnOnce() -> String,
        span: Span,
        rule: Rule,
    ) {
        if let (Some(a), Some(b)) = (found, expected)
            && a != b
        {
            self.fault(TypeError::Mismatch {
                what: what(),
                expected: self.types.show(expected),
                found: self.types.show(found),
                span,
                rule,
            });
        }
    }

    /// `<τs>` of the premises' types; unknown if one is.
    fn tuple_type(&mut self, ps: &[Premise], span: Span, rule: Rule) -> Ty {
        let items = ps.iter().map(|p| p.ty).collect::<Option<Vec<_>>>()?;
        match self.types.tuple(items) {
            Ok(id) => Some(id),
            Err(limit) => {
                self.fault(TypeError::TypeTooLarge { limit, span, rule });
                None
            }
        }
    }

    /// The span from the first to the last of some binders.
    fn binders_span<'i>(&self, ids: impl Iterator<Item = &'i LocalId>) -> Option<Span> {
        ids.filter_map(|&id| self.fp.local(self.f, id).map(|l| l.span))
            .reduce(Span::to)
    }

    fn fault(&mut self, e: TypeError) {
        self.errors.push(e);
    }

    // ---- conclusions ----

    fn conclude(
        &self,
        rule: Rule,
        subject: impl FnOnce(&Subjects<'a>) -> Subject,
        consumed: &[LocalId],
        ty: Option<&Multi>,
        children: impl IntoIterator<Item = Node>,
    ) -> Node {
        // Derivations of an ill-typed program are never returned: stop building them.
        if !self.derive || !self.errors.is_empty() {
            return None;
        }
        // A child is missing only after a fault, and then this node is not built either.
        let children = children.into_iter().flatten().map(|d| *d).collect();
        // The unknown type only occurs in derivations of ill-typed programs, which `check`
        // never returns; it shows as `<>`.
        let spell = |t: &Ty| {
            crate::derivation::type_expr(&t.map_or_else(Type::unit, |id| self.types.to_type(id)))
        };
        let (nonlinear, linear) = ty.map_or((vec![], vec![]), |m| {
            (
                m.nl.iter().map(spell).collect(),
                m.lin.iter().map(spell).collect(),
            )
        });
        Some(Box::new(Derivation::new(
            rule,
            Judgment {
                subject: subject(&self.subjects),
                consumed: consumed.iter().map(|&id| self.subjects.var(id)).collect(),
                nonlinear,
                linear,
            },
            children,
        )))
    }

    /// Concludes an expression rule from its atom premises.
    fn conclude_with(
        &self,
        rule: Rule,
        e: &FlatExpr,
        ty: Option<Multi>,
        premises: impl IntoIterator<Item = Premise>,
    ) -> Typed {
        let mut consumed = Vec::new();
        // No derivation is built (checking only, or after a fault): only what the premises
        // consume is kept, as `conclude` would return no node.
        if !self.derive || !self.errors.is_empty() {
            consumed.extend(premises.into_iter().filter_map(|p| p.consumed));
            return Typed {
                deriv: None,
                ty,
                consumed,
            };
        }
        let mut children = Vec::new();
        for p in premises {
            if p.deriv.is_some() {
                children.push(p.deriv);
            }
            consumed.extend(p.consumed);
        }
        let deriv = self.conclude(
            rule,
            |s: &Subjects| s.expr(e),
            &consumed,
            ty.as_ref(),
            children,
        );
        Typed {
            deriv,
            ty,
            consumed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fault as rendered, with its primary span.
    type Fault = (String, Option<(u32, u32)>);

    /// What a check concluded, comparable: each fault's rendering and span, and the
    /// derivations.
    fn verdict(out: Outcome) -> (Vec<Fault>, Vec<Derivation>) {
        let faults = out
            .errors
            .iter()
            .map(|e| {
                let d = e.to_diagnostic();
                let span = d.primary_span().map(|s| (s.start, s.end));
                (format!("{} {}", d.code, d.message), span)
            })
            .collect();
        (faults, out.derivations)
    }

    /// `Tys` reads as the vector it replaces, inline or not.
    #[test]
    fn type_lists_read_as_vectors_of_any_length() {
        let types = Types::new();
        let r = Some(types.real());
        for n in 0..6 {
            let v: Vec<Ty> = (0..n).map(|i| if i % 2 == 0 { r } else { None }).collect();
            assert_eq!(&*v.iter().copied().collect::<Tys>(), v.as_slice());
            assert_eq!(&*Tys::from_slice(&v), v.as_slice());
            assert_eq!(&*Tys::repeat(r, n), vec![r; n].as_slice());
        }
        assert_eq!(&*tys![r, None], [r, None].as_slice());
        assert!(tys![].is_empty());
    }

    /// Checking without derivations (where [`Judge::quick_let`] concludes the common
    /// bindings directly) finds the faults checking with them finds (every binding through the
    /// rules), at the same spans: on the corpus and on bindings made to break each premise the
    /// quick path reads (argument sorts, types and counts, callee order and signature, binder
    /// sorts and counts), alone and followed by uses that see the binders' types.
    #[test]
    fn checking_without_derivations_finds_the_faults_the_rules_find() {
        let prims = PrimTable::standard();
        let header = "type P = <R, R>\n\
                      def g(a: R, b: R) -> (R, R) = (a * b, a)\n\
                      def h(p: P) -> (R) = let <u, v> = p in u + v\n\
                      def k(a: R ; y': R) -> (R ; R) = (a ; y')\n";
        let bodies = [
            "let a = sin(x) in let b = a * x in b",
            "let a = sin(x) in let (c, d) = g(a, 2.0) in c * d",
            "let a = sin(t) in a",
            "let a = sin(x, x) in a",
            "let a = sin() in a",
            "let a = sin(y') in a + x",
            "let a = x * y' in a",
            "let (c, d) = g(x, t) in c * d",
            "let (c, d) = g(x) in c * d",
            "let (c, d, e) = g(x, x) in c * d * e",
            "let c = g(x, x) in c",
            "let (c, e') = g(x, x) in c",
            "let c = h(t) in let d = h(x) in c + d",
            "let c = h(<x, x>) in c",
            "let (c ; z') = k(x ; y') in c",
            "let c = later(x) in c",
            "let c = f(x, t ; y') in c",
            "let a = sin(x) in let b = sin(x) in a",
            "let a = sin(x) in let a = cos(x) in a",
            "let a = sin(x) in let (b, c) = g(a, a) in let d = h(<b, c>) in d + sin(d)",
        ];
        let mut sources: Vec<String> = bodies
            .iter()
            .map(|b| {
                format!(
                    "{header}def f(x: R, t: P ; y': R) -> (R ; R) = let r = ({b}) in (r ; y')\n\
                     def later(x: R) -> (R) = x\n"
                )
            })
            .collect();
        for dir in ["", "linear", "ill"] {
            for file in semantics::corpus::load(dir).unwrap() {
                sources.push(file.src);
            }
        }
        let (mut checked, mut faults) = (0, 0);
        for src in &sources {
            let Ok(flat) = semantics::parse_flat(src) else {
                continue;
            };
            for mode in [Mode::Strict, Mode::Relaxed] {
                let quick = verdict(check_flat(&flat, prims, mode, false)).0;
                let rules = verdict(check_flat(&flat, prims, mode, true)).0;
                assert_eq!(quick, rules, "{src}");
                faults += quick.len();
            }
            checked += 1;
        }
        assert!(checked > 100, "{checked} programs");
        assert!(faults > 60, "{faults} faults");
    }

    /// The parser's flat form and the flat form of the public program it converts to are
    /// checked alike: the same faults at the same spans, the same derivations, in both modes,
    /// on every corpus file (well and ill typed).
    #[test]
    fn the_parsers_flat_form_and_the_public_program_check_alike() {
        let prims = PrimTable::standard();
        let mut files = 0;
        let mut faults = 0;
        for dir in ["", "linear", "ill"] {
            for file in semantics::corpus::load(dir).unwrap() {
                let Ok(flat) = semantics::parse_flat(&file.src) else {
                    continue;
                };
                let prog = flat.to_program();
                for mode in [Mode::Strict, Mode::Relaxed] {
                    let a = verdict(check_flat(&flat, prims, mode, true));
                    let b = verdict(check_program(&prog, prims, mode, true));
                    faults += a.0.len();
                    assert_eq!(a, b, "{}", file.name);
                }
                files += 1;
            }
        }
        // The comparison covered programs that check and programs that do not.
        assert!(files > 80, "{files} files");
        assert!(faults > 40, "{faults} faults");
    }
}
