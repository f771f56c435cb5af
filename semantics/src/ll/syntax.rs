//! λLL syntax: types, terms in A-normal form with flat `let` sequences, and definitions.
//!
//! Names are resolved once: every binder of a definition has a slot ([`Slot`]) whose *sort*
//! (intuitionistic, in Γ, or linear, in Δ) is fixed by its binder (`!x` binds into Γ, `x`
//! into Δ), as in DILL. Global definitions are referred to by index and live in Γ.

use crate::span::Span;
use crate::types::Type;
use std::fmt;
use std::rc::Rc;

/// `A ::= R | 1 | A1 ⊗ ... ⊗ An | A ⊸ B | !A`. `1` is the nullary tensor.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LType {
    Real,
    /// `⊗(A1, ..., An)`; `Tensor([])` is `1`.
    Tensor(Vec<LType>),
    Lolli(Box<LType>, Box<LType>),
    Bang(Box<LType>),
}

impl LType {
    pub fn one() -> LType {
        LType::Tensor(Vec::new())
    }

    pub fn bang(a: LType) -> LType {
        LType::Bang(Box::new(a))
    }

    pub fn lolli(a: LType, b: LType) -> LType {
        LType::Lolli(Box::new(a), Box::new(b))
    }

    /// A tangent type, `V ::= R | V1 ⊗ ... ⊗ Vn`: the types with zero, sum, scaling and `dup`.
    /// On these, `⊗` is read as the direct sum (a linear tuple of Linear A).
    pub fn is_tangent(&self) -> bool {
        match self {
            LType::Real => true,
            LType::Tensor(ts) => ts.iter().all(LType::is_tangent),
            _ => false,
        }
    }

    /// A droppable type, `D ::= R | !A | D1 ⊗ ... ⊗ Dn`: `drop` discards it (tangents by the
    /// linear map to the zero space, `!A` by weakening). A linear function is not droppable.
    pub fn is_droppable(&self) -> bool {
        match self {
            LType::Real | LType::Bang(_) => true,
            LType::Tensor(ts) => ts.iter().all(LType::is_droppable),
            LType::Lolli(..) => false,
        }
    }

    /// The number of reals of a tangent type (`size` of SPEC §3).
    pub fn size(&self) -> u128 {
        match self {
            LType::Real => 1,
            LType::Tensor(ts) => ts.iter().map(LType::size).sum(),
            LType::Lolli(..) | LType::Bang(_) => 1,
        }
    }

    /// Nesting depth (types of generated programs are bounded by the source's).
    pub fn depth(&self) -> usize {
        match self {
            LType::Real => 1,
            LType::Tensor(ts) => 1 + ts.iter().map(LType::depth).max().unwrap_or(0),
            LType::Lolli(a, b) => 1 + a.depth().max(b.depth()),
            LType::Bang(a) => 1 + a.depth(),
        }
    }
}

impl fmt::Display for LType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::ll::print_type(self))
    }
}

/// The encoding of a Linear A *nonlinear* type: `[R] = R`, `[<τs>] = ![τ1] ⊗ ... ⊗ ![τn]`
/// (Girard's translation of a cartesian product; its components are reusable).
///
/// λLL has no type aliases: an alias is spelled out (on a stack that grows, since an alias
/// chain can be as deep as a program is long).
pub fn nonlinear_type(t: &Type) -> LType {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || match t {
        Type::Real => LType::Real,
        Type::Tuple(ts) => {
            LType::Tensor(ts.iter().map(|t| LType::bang(nonlinear_type(t))).collect())
        }
        Type::Named(a) => nonlinear_type(&a.def),
    })
}

/// The encoding of a Linear A *linear* type: `[R] = R`, `[<σs>] = [σ1] ⊗ ... ⊗ [σn]`.
pub fn linear_type(t: &Type) -> LType {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || match t {
        Type::Real => LType::Real,
        Type::Tuple(ts) => LType::Tensor(ts.iter().map(linear_type).collect()),
        Type::Named(a) => linear_type(&a.def),
    })
}

/// A multi-value `(τs ; σs)` as one type: the single component when there is one, else the
/// tensor `![τ1] ⊗ ... ⊗ ![τn] ⊗ [σ1] ⊗ ... ⊗ [σm]` (`1` when empty).
pub fn multi_type(nl: &[Type], lin: &[Type]) -> LType {
    let mut items: Vec<LType> = nl.iter().map(|t| LType::bang(nonlinear_type(t))).collect();
    items.extend(lin.iter().map(linear_type));
    single_or_tensor(items)
}

pub fn single_or_tensor(mut items: Vec<LType>) -> LType {
    if items.len() == 1 {
        items.pop().unwrap_or_else(LType::one)
    } else {
        LType::Tensor(items)
    }
}

/// A binder's slot in its definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot(pub u32);

/// A global definition's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DefId(pub u32);

#[derive(Clone, Debug, PartialEq)]
pub struct SlotInfo {
    pub name: String,
    /// Bound by `!x` (in Γ: any number of uses) rather than `x` (in Δ: exactly one use).
    pub intuitionistic: bool,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Atom {
    Var(Slot, Span),
    Lit(f64, Span),
    Global(DefId, Span),
}

impl Atom {
    pub fn span(&self) -> Span {
        match self {
            Atom::Var(_, s) | Atom::Lit(_, s) | Atom::Global(_, s) => *s,
        }
    }

    pub fn slot(&self) -> Option<Slot> {
        match self {
            Atom::Var(x, _) => Some(*x),
            _ => None,
        }
    }
}

/// A binding pattern.
#[derive(Clone, Debug, PartialEq)]
pub enum Pat {
    /// `x`: a linear binder (T-Let, a cut).
    Lin(Slot),
    /// `!x`: eliminates `!A` into Γ (T-LetBang).
    Bang(Slot),
    /// `(q1, ..., qn)`: eliminates `⊗` (T-LetTensor; `()` eliminates `1`, T-LetUnit); each item
    /// is `x` or `!x`.
    Tensor(Vec<(Slot, bool)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bind {
    pub pat: Pat,
    pub rhs: Expr,
    pub span: Span,
}

/// `let p1 = e1 in ... let pn = en in tail`. The tail is never [`Expr::Block`].
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub binds: Vec<Bind>,
    pub tail: Expr,
}

impl Block {
    pub fn of(tail: Expr) -> Block {
        Block {
            binds: Vec::new(),
            tail,
        }
    }
}

/// `fun (x : A) { body }`. Shared (`Rc`), so a closure points at its code without copying it.
#[derive(Clone, Debug, PartialEq)]
pub struct Lam {
    pub param: Slot,
    pub ty: LType,
    pub body: Block,
    /// The free variables of the body, in slot order: what a closure captures. Computed by
    /// [`close`] (never printed), so the parser and every pass agree on it.
    pub captures: Vec<Slot>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Atom(Atom),
    /// `!t` (promotion).
    Bang(Box<Block>, Span),
    /// `(a1, ..., an)`; `()` is the unit.
    Tuple(Vec<Atom>, Span),
    Lam(Rc<Lam>, Span),
    /// `a b`.
    App(Atom, Atom, Span),
    /// A nonlinear primitive of the primitive table.
    Prim(crate::syntax::PrimId, Vec<Atom>, Span),
    /// `zero[V]`.
    Zero(LType, Span),
    /// `a + b` on a tangent type.
    Add(Atom, Atom, Span),
    /// `a * b`: a real from Γ scaling a tangent value.
    Scale(Atom, Atom, Span),
    /// `dup a : V ⊗ V`.
    Dup(Atom, Span),
    /// `drop a : 1`.
    Drop(Atom, Span),
    /// `{ block }`, only as a `let`'s right-hand side.
    Block(Box<Block>),
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Atom(a) => a.span(),
            Expr::Bang(_, s)
            | Expr::Tuple(_, s)
            | Expr::Lam(_, s)
            | Expr::App(_, _, s)
            | Expr::Prim(_, _, s)
            | Expr::Zero(_, s)
            | Expr::Add(_, _, s)
            | Expr::Scale(_, _, s)
            | Expr::Dup(_, s)
            | Expr::Drop(_, s) => *s,
            Expr::Block(b) => b.tail.span(),
        }
    }
}

/// `def f : A = t`: a closed term; later definitions (and only they) may use `f`.
#[derive(Clone, Debug, PartialEq)]
pub struct Def {
    pub name: String,
    pub ty: LType,
    pub slots: Vec<SlotInfo>,
    pub body: Block,
    pub span: Span,
}

impl Def {
    pub fn name_of(&self, x: Slot) -> &str {
        self.slots
            .get(x.0 as usize)
            .map_or("?", |s| s.name.as_str())
    }

    pub fn is_intuitionistic(&self, x: Slot) -> bool {
        self.slots
            .get(x.0 as usize)
            .is_some_and(|s| s.intuitionistic)
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct LlProgram {
    pub defs: Vec<Def>,
}

impl LlProgram {
    pub fn def_named(&self, name: &str) -> Option<DefId> {
        self.defs
            .iter()
            .rposition(|d| d.name == name)
            .map(|i| DefId(i as u32))
    }

    pub fn def(&self, id: DefId) -> Option<&Def> {
        self.defs.get(id.0 as usize)
    }
}

/// Every expression of a block, nested ones included, outermost first (an explicit stack:
/// no recursion proportional to anything).
pub fn each_expr<'a>(b: &'a Block, f: &mut dyn FnMut(&'a Expr)) {
    let mut stack: Vec<&'a Block> = vec![b];
    while let Some(b) = stack.pop() {
        for e in b
            .binds
            .iter()
            .map(|x| &x.rhs)
            .chain(std::iter::once(&b.tail))
        {
            f(e);
            match e {
                Expr::Bang(inner, _) | Expr::Block(inner) => stack.push(inner),
                Expr::Lam(l, _) => stack.push(&l.body),
                _ => {}
            }
        }
    }
}

/// The atoms an expression reads (not those of nested blocks).
pub fn expr_atoms(e: &Expr) -> Vec<Atom> {
    match e {
        Expr::Atom(a) | Expr::Dup(a, _) | Expr::Drop(a, _) => vec![*a],
        Expr::Tuple(xs, _) | Expr::Prim(_, xs, _) => xs.clone(),
        Expr::App(a, b, _) | Expr::Add(a, b, _) | Expr::Scale(a, b, _) => vec![*a, *b],
        Expr::Bang(..) | Expr::Lam(..) | Expr::Zero(..) | Expr::Block(_) => vec![],
    }
}

/// The slots a pattern binds.
pub fn pat_slots(p: &Pat) -> Vec<Slot> {
    match p {
        Pat::Lin(x) | Pat::Bang(x) => vec![*x],
        Pat::Tensor(items) => items.iter().map(|(x, _)| *x).collect(),
    }
}

/// Recomputes every λ's captures in `def` (its free variables, in slot order), innermost
/// first. Each λ's body is swept once per enclosing λ, so the cost is size × λ-nesting depth
/// (which the parser bounds).
pub fn close(def: &mut Def) {
    let n = def.slots.len();
    close_block(&mut def.body, n);
}

fn close_block(b: &mut Block, n: usize) {
    for e in b
        .binds
        .iter_mut()
        .map(|x| &mut x.rhs)
        .chain(std::iter::once(&mut b.tail))
    {
        close_expr(e, n);
    }
}

fn close_expr(e: &mut Expr, n: usize) {
    match e {
        Expr::Bang(inner, _) | Expr::Block(inner) => close_block(inner, n),
        Expr::Lam(l, _) => {
            let l = Rc::make_mut(l);
            close_block(&mut l.body, n);
            l.captures = free_slots(&l.body, Some(l.param), n);
        }
        _ => {}
    }
}

/// The free slots of a block (less `bound`), sorted: those used in it and not bound in it.
/// Costs the block's size (hash sets, not tables of the definition's size).
pub fn free_slots(b: &Block, bound: Option<Slot>, _n: usize) -> Vec<Slot> {
    use std::collections::HashSet;
    let mut inner: HashSet<Slot> = bound.into_iter().collect();
    let mut used: HashSet<Slot> = HashSet::new();
    let mut stack = vec![b];
    while let Some(b) = stack.pop() {
        for bind in &b.binds {
            inner.extend(pat_slots(&bind.pat));
        }
        for e in b
            .binds
            .iter()
            .map(|x| &x.rhs)
            .chain(std::iter::once(&b.tail))
        {
            used.extend(expr_atoms(e).iter().filter_map(Atom::slot));
            match e {
                Expr::Bang(i, _) | Expr::Block(i) => stack.push(i),
                Expr::Lam(l, _) => {
                    inner.insert(l.param);
                    stack.push(&l.body);
                }
                _ => {}
            }
        }
    }
    let mut out: Vec<Slot> = used.difference(&inner).copied().collect();
    out.sort();
    out
}
