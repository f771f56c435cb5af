//! The core syntax of Linear A (SPEC §1), after desugaring.
//!
//! **Architecture invariant: bodies are flat.** A [`Block`] is a sequence of [`Bind`]s plus a
//! tail [`Expr`] that is never itself a block, so a body of a million `let`s is one vector that
//! every pass walks with a loop. Recursion only follows *nesting* (a block inside a `let`'s
//! right-hand side or inside `drop`), which the parser bounds.
//!
//! **Names are resolved once.** Every binder of a function gets a slot in
//! [`FnDef::locals`]; variable occurrences hold that slot ([`LocalId`]), calls hold the
//! callee's index ([`FuncId`]) and primitive applications the primitive's row ([`PrimId`]).
//! The *sort* of a variable (linear or nonlinear) is part of its spelling (`x'` is linear), so
//! it is stored once, on the slot. Syntax positions hold [`Atom`]s of either sort: whether a
//! linear variable may stand in a position is the checker's business, not the grammar's, so
//! that ill-typed programs parse and get a typing diagnostic.

use crate::span::Span;
use crate::types::Type;
use serde::{Deserialize, Serialize};

/// A slot's spelling ([`Local::name`]): inline up to 24 bytes, so no name the passes make
/// allocates; serialized as a string.
pub use compact_str::CompactString;

/// A function's slot for one binder (parameter, `let` binder or destructure binder).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LocalId(pub u32);

/// A function's position in [`Program::funcs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FuncId(pub u32);

/// A row of the primitive table ([`crate::prims`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrimId(pub u16);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub funcs: Vec<FnDef>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FnDef {
    pub name: String,
    /// Marked `@checkpoint`: unzip recomputes this function's residuals instead of saving
    /// them, whatever the policy (like `jax.checkpoint`).
    #[serde(default)]
    pub checkpoint: bool,
    pub name_span: Span,
    /// Nonlinear parameters (before the `;`).
    pub params: Vec<Param>,
    /// Linear parameters (after the `;`).
    pub lparams: Vec<Param>,
    /// Nonlinear result types.
    pub results: Vec<Type>,
    /// Linear result types.
    pub lresults: Vec<Type>,
    /// Every binder of the function, parameters first, in source order.
    pub locals: Vec<Local>,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Param {
    pub var: LocalId,
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Local {
    /// The spelling, primes included (`x`, `dy'`).
    pub name: CompactString,
    /// Spelled with primes.
    pub linear: bool,
    /// The binder's position.
    pub span: Span,
}

/// An occurrence of a variable.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Var {
    pub id: LocalId,
    pub span: Span,
}

/// A variable occurrence or a literal.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub enum Atom {
    Var(Var),
    Lit(f64, Span),
}

impl PartialEq for Atom {
    fn eq(&self, other: &Atom) -> bool {
        match (self, other) {
            (Atom::Var(a), Atom::Var(b)) => a == b,
            // Bitwise, so that `-0.0` and `0.0` are different literals.
            (Atom::Lit(a, _), Atom::Lit(b, _)) => a.to_bits() == b.to_bits(),
            _ => false,
        }
    }
}

impl Atom {
    pub fn span(&self) -> Span {
        match self {
            Atom::Var(v) => v.span,
            Atom::Lit(_, s) => *s,
        }
    }

    pub fn var(&self) -> Option<Var> {
        match self {
            Atom::Var(v) => Some(*v),
            Atom::Lit(..) => None,
        }
    }
}

/// `let b1 in let b2 in ... tail`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Block {
    pub binds: Vec<Bind>,
    /// Never [`Expr::Block`]: the parser and every pass keep blocks flat.
    pub tail: Expr,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Bind {
    /// `let (x1, ..., xn ; y1', ..., ym') = rhs in`.
    Let {
        nl: Vec<LocalId>,
        lin: Vec<LocalId>,
        rhs: Expr,
        span: Span,
    },
    /// `let <b1, ..., bn> = src in`: destructures a tuple (linear when `src` is).
    Unpack {
        binders: Vec<LocalId>,
        src: Var,
        span: Span,
    },
}

impl Bind {
    pub fn span(&self) -> Span {
        match self {
            Bind::Let { span, .. } | Bind::Unpack { span, .. } => *span,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Expr {
    /// `(a1, ..., an ; y1', ..., ym')`, also the single value `a` and `y'`.
    Ret {
        nl: Vec<Atom>,
        lin: Vec<Atom>,
        span: Span,
    },
    /// `<a1, ..., an>`: a nonlinear tuple.
    Tuple { items: Vec<Atom>, span: Span },
    /// `<y1', ..., yn'>`: a linear tuple.
    LTuple { items: Vec<Atom>, span: Span },
    /// `f(a1, ..., an ; y1', ..., ym')`.
    Call {
        func: FuncId,
        nl: Vec<Atom>,
        lin: Vec<Atom>,
        span: Span,
    },
    /// A nonlinear primitive `p(a1, ..., an)`, including `+ - * /` and unary `-` on
    /// nonlinear operands.
    Prim {
        prim: PrimId,
        args: Vec<Atom>,
        span: Span,
    },
    /// Linear add `y1' + y2'`.
    LAdd { lhs: Atom, rhs: Atom, span: Span },
    /// Scale `a * y'`.
    Scale { scalar: Atom, lin: Atom, span: Span },
    /// `zero<T>`.
    Zero { ty: Type, span: Span },
    /// `dup(y')`: `(; y', y')`.
    Dup { arg: Atom, span: Span },
    /// `drop(e)`: evaluates `e` and discards all its results.
    Drop { body: Box<Block>, span: Span },
    /// A nested `let` sequence (only as a `let`'s right-hand side or under `drop`).
    Block(Box<Block>),
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Ret { span, .. }
            | Expr::Tuple { span, .. }
            | Expr::LTuple { span, .. }
            | Expr::Call { span, .. }
            | Expr::Prim { span, .. }
            | Expr::LAdd { span, .. }
            | Expr::Scale { span, .. }
            | Expr::Zero { span, .. }
            | Expr::Dup { span, .. }
            | Expr::Drop { span, .. } => *span,
            Expr::Block(b) => b
                .binds
                .first()
                .map_or(b.tail.span(), |x| x.span().to(b.tail.span())),
        }
    }
}

impl Program {
    /// The function named `name`; with duplicates (a checker error), the last one.
    /// The set of function names, for passes that test many generated names (a linear scan
    /// per name, as [`Program::func_named`] is, would make them quadratic).
    pub fn func_names(&self) -> std::collections::HashSet<&str> {
        self.funcs.iter().map(|f| f.name.as_str()).collect()
    }

    /// A linear scan: a caller that looks names up per call or per function should build a
    /// [`FuncIndex`] once ([`Program::index`]) and ask it instead.
    pub fn func_named(&self, name: &str) -> Option<FuncId> {
        self.funcs
            .iter()
            .rposition(|f| f.name == name)
            .map(|i| FuncId(i as u32))
    }

    /// Every function's name to its position, built in one pass; [`FuncIndex::get`] answers as
    /// [`Program::func_named`] does, in constant time. It borrows the program, so the borrow
    /// checker keeps it true: the program cannot change while the index exists.
    pub fn index(&self) -> FuncIndex<'_> {
        FuncIndex::new(self.funcs.iter().map(|f| f.name.as_str()))
    }

    pub fn func(&self, id: FuncId) -> Option<&FnDef> {
        self.funcs.get(id.0 as usize)
    }
}

/// Function names to positions: [`Program::func_named`] in constant time (with duplicate
/// names, a checker error, the last one, as `func_named`). Built from the program
/// ([`Program::index`]) or from names in order ([`FuncIndex::new`]); [`FuncIndex::push`] keeps
/// it true while a caller appends functions to a program it is building.
#[derive(Clone, Debug, Default)]
pub struct FuncIndex<'p> {
    by_name: NameMap<&'p str, FuncId>,
    len: u32,
}

impl<'p> FuncIndex<'p> {
    /// The index of functions named `names`, in order (position `i` is `FuncId(i)`).
    pub fn new<I: IntoIterator<Item = &'p str>>(names: I) -> FuncIndex<'p> {
        let names = names.into_iter();
        let mut index = FuncIndex {
            by_name: NameMap::with_capacity_and_hasher(names.size_hint().0, Default::default()),
            len: 0,
        };
        for name in names {
            index.push(name);
        }
        index
    }

    /// Records the next function (position [`FuncIndex::len`]) and returns its position; a
    /// name seen before now answers the new position, as `func_named` answers the last one.
    pub fn push(&mut self, name: &'p str) -> FuncId {
        let id = FuncId(self.len);
        self.by_name.insert(name, id);
        self.len += 1;
        id
    }

    /// The function named `name`; with duplicates, the last one.
    pub fn get(&self, name: &str) -> Option<FuncId> {
        self.by_name.get(name).copied()
    }

    /// How many functions were recorded (duplicates counted).
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl FnDef {
    pub fn local(&self, id: LocalId) -> Option<&Local> {
        self.locals.get(id.0 as usize)
    }

    /// The spelling of a slot (`?` for a slot that does not exist, which only a buggy pass makes).
    pub fn name_of(&self, id: LocalId) -> &str {
        self.local(id).map_or("?", |l| l.name.as_str())
    }

    pub fn is_linear(&self, id: LocalId) -> bool {
        self.local(id).is_some_and(|l| l.linear)
    }
}

/// The FNV-1a hash, for tables keyed by a name (the parser's scopes, the checker's tables,
/// the passes' generated names). Names are short and not adversarial enough to need SipHash's
/// protection (a program's author only slows down their own run); FNV is several times faster.
#[derive(Default)]
pub struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A hash map keyed by names, hashed with [`Fnv`].
pub type NameMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;
