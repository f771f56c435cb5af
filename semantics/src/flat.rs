//! The flat form of a program: what `check` and `eval` run on, built by the parser directly.
//!
//! The public syntax ([`crate::Program`]) owns a `String` per slot and a `Vec` per binder and
//! argument list: about 450 bytes per source `let` of a chain, whose writing and first touch
//! were most of `lina check`. Here a whole program is a few vectors: every function's
//! bindings in one [`FlatProgram::binds`], every atom in one [`FlatProgram::atoms`], every
//! binder list in one [`FlatProgram::binders`], every slot's spelling once in one string
//! arena ([`FlatProgram::names`]). Expressions hold `u32` ranges into them.
//!
//! **Architecture invariant: one meaning, two spellings.** A [`FlatProgram`] and the
//! [`Program`] it converts to ([`FlatProgram::to_program`], [`FlatProgram::from_program`],
//! each one linear sweep) are the same program: the same functions, slots, spans, and
//! bindings in the same order. Passes that rewrite programs keep using [`Program`]; the
//! checker's rules and the evaluator read this form only, and their public entry points on a
//! [`Program`] convert once.
//!
//! A block's bindings are contiguous: a function body's in [`FlatProgram::binds`], written
//! there as they are parsed, a nested block's (under a `let` or a `drop`, rare) in
//! [`FlatProgram::inner`], moved there when the block ends (so that an enclosing block's run is
//! not interrupted). Recursion follows block nesting only, as in the public form.

use crate::span::Span;
use crate::syntax::{
    Atom, Bind, Block, Expr, FnDef, FuncId, Local, LocalId, Param, PrimId, Program, Var,
};
use crate::types::Type;

/// A block's position in [`FlatProgram::blocks`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockId(pub u32);

/// An atom of the flat form in 12 bytes instead of [`Atom`]'s 24: a slot and the occurrence's
/// span, or (top bit of `code` set) the index of the whole atom in [`FlatProgram::wide`], where
/// literals (rare in long programs) and slots beyond 2^31 (only in hand-built programs) live.
/// Three atoms per source `let` of a chain: 36 MB fewer written and faulted in at 10^6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlatAtom {
    code: u32,
    span: Span,
}

const _: () = assert!(std::mem::size_of::<FlatAtom>() == 12);

/// The bit of [`FlatAtom::code`] that says the atom is in [`FlatProgram::wide`].
const WIDE: u32 = 1 << 31;

impl FlatAtom {
    /// The atom it stands for (a missing wide atom reads as a `NaN` literal, as a missing atom
    /// does everywhere in the flat form's reading).
    #[inline]
    pub fn read(self, wide: &[Atom]) -> Atom {
        if self.code & WIDE == 0 {
            Atom::Var(Var {
                id: LocalId(self.code),
                span: self.span,
            })
        } else {
            wide.get((self.code & !WIDE) as usize)
                .copied()
                .unwrap_or(Atom::Lit(f64::NAN, Span::GENERATED))
        }
    }
}

/// A list of atoms as readers see it, read by value: a slice of the public syntax's, or a
/// run of the flat form's with the table its wide atoms live in.
#[derive(Clone, Copy, Debug)]
pub enum AtomList<'a> {
    Public(&'a [Atom]),
    Flat {
        atoms: &'a [FlatAtom],
        wide: &'a [Atom],
    },
}

impl<'a> From<&'a [Atom]> for AtomList<'a> {
    fn from(atoms: &'a [Atom]) -> AtomList<'a> {
        AtomList::Public(atoms)
    }
}

impl<'a> AtomList<'a> {
    pub const EMPTY: AtomList<'static> = AtomList::Public(&[]);

    pub fn len(&self) -> usize {
        match self {
            AtomList::Public(a) => a.len(),
            AtomList::Flat { atoms, .. } => atoms.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<Atom> {
        match self {
            AtomList::Public(a) => a.get(i).copied(),
            AtomList::Flat { atoms, wide } => atoms.get(i).map(|a| a.read(wide)),
        }
    }

    /// The only atom of a list of one.
    pub fn one(&self) -> Option<Atom> {
        if self.len() == 1 { self.get(0) } else { None }
    }

    /// The two atoms of a list of two.
    pub fn two(&self) -> Option<(Atom, Atom)> {
        match (self.len(), self.get(0), self.get(1)) {
            (2, Some(a), Some(b)) => Some((a, b)),
            _ => None,
        }
    }

    /// The first `n` atoms (all if fewer) and the rest.
    pub fn split_at(&self, n: usize) -> (AtomList<'a>, AtomList<'a>) {
        match *self {
            AtomList::Public(a) => {
                let (x, y) = a.split_at(n.min(a.len()));
                (AtomList::Public(x), AtomList::Public(y))
            }
            AtomList::Flat { atoms, wide } => {
                let (x, y) = atoms.split_at(n.min(atoms.len()));
                (
                    AtomList::Flat { atoms: x, wide },
                    AtomList::Flat { atoms: y, wide },
                )
            }
        }
    }

    pub fn iter(&self) -> AtomIter<'a> {
        match *self {
            AtomList::Public(a) => AtomIter::Public(a.iter()),
            AtomList::Flat { atoms, wide } => AtomIter::Flat(atoms.iter(), wide),
        }
    }

    pub fn to_vec(&self) -> Vec<Atom> {
        self.iter().collect()
    }
}

impl<'a> IntoIterator for AtomList<'a> {
    type Item = Atom;
    type IntoIter = AtomIter<'a>;

    fn into_iter(self) -> AtomIter<'a> {
        self.iter()
    }
}

/// The atoms of an [`AtomList`], by value.
#[derive(Clone, Debug)]
pub enum AtomIter<'a> {
    Public(std::slice::Iter<'a, Atom>),
    Flat(std::slice::Iter<'a, FlatAtom>, &'a [Atom]),
}

impl Iterator for AtomIter<'_> {
    type Item = Atom;

    fn next(&mut self) -> Option<Atom> {
        match self {
            AtomIter::Public(it) => it.next().copied(),
            AtomIter::Flat(it, wide) => it.next().map(|a| a.read(wide)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            AtomIter::Public(it) => it.len(),
            AtomIter::Flat(it, _) => it.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for AtomIter<'_> {}

/// A run of [`FlatProgram::atoms`]: `len` atoms from `start`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Atoms {
    pub start: u32,
    pub len: u32,
}

/// A run of [`FlatProgram::binders`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Binders {
    pub start: u32,
    pub len: u32,
}

/// An expression; its atoms (nonlinear side first) are a run of [`FlatProgram::atoms`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FlatExpr {
    /// `(a1..an ; y1'..ym')`: the first `nl` of `atoms` are the nonlinear side.
    Ret {
        atoms: Atoms,
        nl: u32,
        span: Span,
    },
    Tuple {
        items: Atoms,
        span: Span,
    },
    LTuple {
        items: Atoms,
        span: Span,
    },
    /// `f(a1..an ; y1'..ym')`: the first `nl` of `atoms` are the nonlinear side.
    Call {
        func: FuncId,
        atoms: Atoms,
        nl: u32,
        span: Span,
    },
    Prim {
        prim: PrimId,
        args: Atoms,
        span: Span,
    },
    /// `lhs + rhs`: two atoms.
    LAdd {
        atoms: Atoms,
        span: Span,
    },
    /// `scalar * lin`: two atoms, the scalar first.
    Scale {
        atoms: Atoms,
        span: Span,
    },
    /// `zero<T>`, `ty` indexing [`FlatProgram::types`].
    Zero {
        ty: u32,
        span: Span,
    },
    /// `dup(y')`: one atom.
    Dup {
        arg: Atoms,
        span: Span,
    },
    Drop {
        body: BlockId,
        span: Span,
    },
    Block(BlockId),
}

/// A binding; its binders are a run of [`FlatProgram::binders`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FlatBind {
    /// `let (xs ; ys') = rhs in`: the first `nl` binders are the nonlinear side.
    Let {
        binders: Binders,
        nl: u32,
        rhs: FlatExpr,
        span: Span,
    },
    /// `let <b1..bn> = src in`.
    Unpack {
        binders: Binders,
        src: crate::syntax::Var,
        span: Span,
    },
}

impl FlatBind {
    pub fn span(&self) -> Span {
        match self {
            FlatBind::Let { span, .. } | FlatBind::Unpack { span, .. } => *span,
        }
    }
}

/// `let b1 in ... let bn in tail`: the bindings are a run of [`FlatProgram::binds`] (a
/// function body) or of [`FlatProgram::inner`] (a nested block).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlatBlock {
    pub nested: bool,
    pub binds_start: u32,
    pub binds_len: u32,
    /// Never [`FlatExpr::Block`].
    pub tail: FlatExpr,
}

/// A slot: its spelling is `names[name_start..name_start + name_len()]` of the program. 16
/// bytes (the sort is the length's low bit): two slots per source `let` of a chain, so every
/// byte here is two megabytes written and faulted in at a million `let`s.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlatLocal {
    pub name_start: u32,
    /// The spelling's length, shifted left once; the low bit says the slot is linear.
    len_linear: u32,
    pub span: Span,
}

const _: () = assert!(std::mem::size_of::<FlatLocal>() == 16);

impl FlatLocal {
    /// Spelled with primes.
    pub fn linear(&self) -> bool {
        self.len_linear & 1 == 1
    }

    /// The spelling's length in bytes.
    pub fn name_len(&self) -> u32 {
        self.len_linear >> 1
    }
}

/// A function: its slots are `locals_len` of [`FlatProgram::locals`] from `locals_start`.
#[derive(Clone, Debug, PartialEq)]
pub struct FlatFn {
    pub name: String,
    pub checkpoint: bool,
    pub name_span: Span,
    pub params: Vec<Param>,
    pub lparams: Vec<Param>,
    pub results: Vec<Type>,
    pub lresults: Vec<Type>,
    pub locals_start: u32,
    pub locals_len: u32,
    pub body: BlockId,
    pub span: Span,
    /// The parser saw that no two slots of the function share a name (so the checker's
    /// distinct-binders premise holds without sorting them); `false` when not known.
    pub distinct: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlatProgram {
    pub funcs: Vec<FlatFn>,
    /// Every slot's spelling, once.
    pub names: String,
    pub locals: Vec<FlatLocal>,
    pub binders: Vec<LocalId>,
    /// The bindings of function bodies.
    pub binds: Vec<FlatBind>,
    /// The bindings of nested blocks.
    pub inner: Vec<FlatBind>,
    pub atoms: Vec<FlatAtom>,
    /// The atoms that [`FlatAtom`] does not hold itself (literals), by index.
    pub wide: Vec<Atom>,
    pub blocks: Vec<FlatBlock>,
    /// The types of `zero<T>` expressions.
    pub types: Vec<Type>,
}

fn range(start: u32, len: u32) -> std::ops::Range<usize> {
    start as usize..start as usize + len as usize
}

impl FlatProgram {
    // ---- reading ----

    pub fn func(&self, id: FuncId) -> Option<&FlatFn> {
        self.funcs.get(id.0 as usize)
    }

    /// The function named `name`; with duplicates (a checker error), the last one.
    pub fn func_named(&self, name: &str) -> Option<FuncId> {
        self.funcs
            .iter()
            .rposition(|f| f.name == name)
            .map(|i| FuncId(i as u32))
    }

    /// `f`'s slots.
    pub fn locals_of(&self, f: &FlatFn) -> &[FlatLocal] {
        self.locals
            .get(range(f.locals_start, f.locals_len))
            .unwrap_or(&[])
    }

    pub fn local(&self, f: &FlatFn, id: LocalId) -> Option<&FlatLocal> {
        if id.0 >= f.locals_len {
            return None;
        }
        self.locals.get((f.locals_start + id.0) as usize)
    }

    /// A slot's spelling.
    pub fn spelling(&self, l: &FlatLocal) -> &str {
        self.names
            .get(range(l.name_start, l.name_len()))
            .unwrap_or("?")
    }

    /// The spelling of a slot of `f` (`?` for a slot that does not exist).
    pub fn name_of(&self, f: &FlatFn, id: LocalId) -> &str {
        self.local(f, id).map_or("?", |l| self.spelling(l))
    }

    pub fn is_linear(&self, f: &FlatFn, id: LocalId) -> bool {
        self.local(f, id).is_some_and(|l| l.linear())
    }

    pub fn atoms(&self, a: Atoms) -> AtomList<'_> {
        AtomList::Flat {
            atoms: self.atoms.get(range(a.start, a.len)).unwrap_or(&[]),
            wide: &self.wide,
        }
    }

    /// A run's atoms as stored (each read with [`FlatAtom::read`] and [`FlatProgram::wide`]).
    pub fn flat_atoms(&self, a: Atoms) -> &[FlatAtom] {
        self.atoms.get(range(a.start, a.len)).unwrap_or(&[])
    }

    /// The nonlinear and linear sides of a run whose first `nl` atoms are nonlinear.
    pub fn sides(&self, a: Atoms, nl: u32) -> (AtomList<'_>, AtomList<'_>) {
        self.atoms(a).split_at(nl as usize)
    }

    pub fn binders(&self, b: Binders) -> &[LocalId] {
        self.binders.get(range(b.start, b.len)).unwrap_or(&[])
    }

    pub fn block(&self, id: BlockId) -> Option<&FlatBlock> {
        self.blocks.get(id.0 as usize)
    }

    pub fn binds_of(&self, b: &FlatBlock) -> &[FlatBind] {
        let all = if b.nested { &self.inner } else { &self.binds };
        all.get(range(b.binds_start, b.binds_len)).unwrap_or(&[])
    }

    pub fn ty(&self, index: u32) -> Option<&Type> {
        self.types.get(index as usize)
    }

    /// An expression's span (a block's runs from its first binding to its tail).
    pub fn expr_span(&self, e: &FlatExpr) -> Span {
        match e {
            FlatExpr::Ret { span, .. }
            | FlatExpr::Tuple { span, .. }
            | FlatExpr::LTuple { span, .. }
            | FlatExpr::Call { span, .. }
            | FlatExpr::Prim { span, .. }
            | FlatExpr::LAdd { span, .. }
            | FlatExpr::Scale { span, .. }
            | FlatExpr::Zero { span, .. }
            | FlatExpr::Dup { span, .. }
            | FlatExpr::Drop { span, .. } => *span,
            FlatExpr::Block(id) => self.block(*id).map_or(Span::GENERATED, |b| {
                let tail = self.expr_span(&b.tail);
                self.binds_of(b).first().map_or(tail, |x| x.span().to(tail))
            }),
        }
    }

    // ---- writing ----

    /// Appends an atom (not part of a run yet: see [`FlatProgram::push_atoms`]).
    pub fn push_atom(&mut self, a: Atom) {
        let flat = match a {
            Atom::Var(v) if v.id.0 & WIDE == 0 => FlatAtom {
                code: v.id.0,
                span: v.span,
            },
            _ => {
                // A program has fewer atoms than source bytes (at most 2^29), and a hand-built
                // one with 2^31 wide atoms would not fit in memory.
                self.wide.push(a);
                FlatAtom {
                    code: WIDE | (self.wide.len() - 1) as u32,
                    span: a.span(),
                }
            }
        };
        self.atoms.push(flat);
    }

    /// Appends atoms; returns their run.
    pub fn push_atoms(&mut self, atoms: &[Atom]) -> Atoms {
        let start = self.atoms.len() as u32;
        for &a in atoms {
            self.push_atom(a);
        }
        Atoms {
            start,
            len: atoms.len() as u32,
        }
    }

    pub fn push_binders(&mut self, ids: &[LocalId]) -> Binders {
        let start = self.binders.len() as u32;
        self.binders.extend_from_slice(ids);
        Binders {
            start,
            len: ids.len() as u32,
        }
    }

    /// Appends a slot named `name`.
    pub fn push_local(&mut self, name: &str, linear: bool, span: Span) {
        let name_start = self.names.len() as u32;
        self.names.push_str(name);
        // A source is at most `MAX_SOURCE_BYTES` (2^29), so the length fits in 31 bits.
        self.locals.push(FlatLocal {
            name_start,
            len_linear: (name.len() as u32) << 1 | u32::from(linear),
            span,
        });
    }

    /// Stores a finished nested block whose bindings are `binds` (moved to the end of
    /// [`FlatProgram::inner`]).
    pub fn push_nested(&mut self, binds: &mut Vec<FlatBind>, tail: FlatExpr) -> BlockId {
        let binds_start = self.inner.len() as u32;
        let binds_len = binds.len() as u32;
        self.inner.append(binds);
        self.blocks.push(FlatBlock {
            nested: true,
            binds_start,
            binds_len,
            tail,
        });
        BlockId(self.blocks.len() as u32 - 1)
    }

    /// Stores a finished function body, whose bindings are [`FlatProgram::binds`] from `start`
    /// to the end.
    pub fn push_body(&mut self, start: usize, tail: FlatExpr) -> BlockId {
        self.blocks.push(FlatBlock {
            nested: false,
            binds_start: start as u32,
            binds_len: self.binds.len().saturating_sub(start) as u32,
            tail,
        });
        BlockId(self.blocks.len() as u32 - 1)
    }

    // ---- the public form, both ways ----

    /// The same program in the public syntax: one sweep, each vector built at its size. The
    /// bodies are the [`crate::CodeView`] of this program read into owned syntax
    /// ([`crate::flat_view::owned_block`]), so `p` and `p.to_program()` read the same by
    /// construction.
    pub fn to_program(&self) -> Program {
        let funcs = self.funcs.iter().map(|f| self.fn_def(f)).collect();
        Program { funcs }
    }

    fn fn_def(&self, f: &FlatFn) -> FnDef {
        let locals = self
            .locals_of(f)
            .iter()
            .map(|l| Local {
                name: self.spelling(l).into(),
                linear: l.linear(),
                span: l.span,
            })
            .collect();
        FnDef {
            name: f.name.clone(),
            checkpoint: f.checkpoint,
            name_span: f.name_span,
            params: f.params.clone(),
            lparams: f.lparams.clone(),
            results: f.results.clone(),
            lresults: f.lresults.clone(),
            locals,
            body: crate::flat_view::owned_block(self, f.body),
            span: f.span,
        }
    }

    /// The flat form of a public program: one sweep.
    pub fn from_program(prog: &Program) -> FlatProgram {
        let mut flat = FlatProgram::default();
        for f in &prog.funcs {
            let locals_start = flat.locals.len() as u32;
            for l in &f.locals {
                flat.push_local(&l.name, l.linear, l.span);
            }
            let body = flat.add_block(&f.body, false);
            flat.funcs.push(FlatFn {
                name: f.name.clone(),
                checkpoint: f.checkpoint,
                name_span: f.name_span,
                params: f.params.clone(),
                lparams: f.lparams.clone(),
                results: f.results.clone(),
                lresults: f.lresults.clone(),
                locals_start,
                locals_len: f.locals.len() as u32,
                body,
                span: f.span,
                distinct: false,
            });
        }
        flat
    }

    fn add_block(&mut self, b: &Block, nested: bool) -> BlockId {
        // A body's bindings go straight to `binds`; its nested blocks' go to `inner`.
        let mut binds = if nested {
            Vec::with_capacity(b.binds.len())
        } else {
            std::mem::take(&mut self.binds)
        };
        let start = binds.len();
        for bind in &b.binds {
            binds.push(match bind {
                Bind::Let { nl, lin, rhs, span } => {
                    let start = self.binders.len() as u32;
                    self.binders.extend_from_slice(nl);
                    self.binders.extend_from_slice(lin);
                    FlatBind::Let {
                        binders: Binders {
                            start,
                            len: (nl.len() + lin.len()) as u32,
                        },
                        nl: nl.len() as u32,
                        rhs: self.add_expr(rhs),
                        span: *span,
                    }
                }
                Bind::Unpack { binders, src, span } => FlatBind::Unpack {
                    binders: self.push_binders(binders),
                    src: *src,
                    span: *span,
                },
            });
        }
        let tail = self.add_expr(&b.tail);
        if nested {
            self.push_nested(&mut binds, tail)
        } else {
            self.binds = binds;
            self.push_body(start, tail)
        }
    }

    fn add_expr(&mut self, e: &Expr) -> FlatExpr {
        let sides = |flat: &mut FlatProgram, nl: &[Atom], lin: &[Atom]| {
            let start = flat.atoms.len() as u32;
            for &a in nl.iter().chain(lin) {
                flat.push_atom(a);
            }
            Atoms {
                start,
                len: (nl.len() + lin.len()) as u32,
            }
        };
        match e {
            Expr::Ret { nl, lin, span } => FlatExpr::Ret {
                atoms: sides(self, nl, lin),
                nl: nl.len() as u32,
                span: *span,
            },
            Expr::Tuple { items, span } => FlatExpr::Tuple {
                items: self.push_atoms(items),
                span: *span,
            },
            Expr::LTuple { items, span } => FlatExpr::LTuple {
                items: self.push_atoms(items),
                span: *span,
            },
            Expr::Call {
                func,
                nl,
                lin,
                span,
            } => FlatExpr::Call {
                func: *func,
                atoms: sides(self, nl, lin),
                nl: nl.len() as u32,
                span: *span,
            },
            Expr::Prim { prim, args, span } => FlatExpr::Prim {
                prim: *prim,
                args: self.push_atoms(args),
                span: *span,
            },
            Expr::LAdd { lhs, rhs, span } => FlatExpr::LAdd {
                atoms: self.push_atoms(&[*lhs, *rhs]),
                span: *span,
            },
            Expr::Scale { scalar, lin, span } => FlatExpr::Scale {
                atoms: self.push_atoms(&[*scalar, *lin]),
                span: *span,
            },
            Expr::Zero { ty, span } => {
                self.types.push(ty.clone());
                FlatExpr::Zero {
                    ty: self.types.len() as u32 - 1,
                    span: *span,
                }
            }
            Expr::Dup { arg, span } => FlatExpr::Dup {
                arg: self.push_atoms(&[*arg]),
                span: *span,
            },
            Expr::Drop { body, span } => FlatExpr::Drop {
                body: self.add_block(body, true),
                span: *span,
            },
            Expr::Block(b) => FlatExpr::Block(self.add_block(b, true)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spans compare equal as syntax (see `span.rs`): compare them as ranges too.
    fn spans(p: &Program) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for f in &p.funcs {
            out.push((f.span.start, f.span.end));
            out.push((f.name_span.start, f.name_span.end));
            out.extend(f.locals.iter().map(|l| (l.span.start, l.span.end)));
        }
        out
    }

    /// Literals and slots beyond the packed range live in the wide table and read back whole
    /// (value bits, slot and span), in order among packed ones.
    #[test]
    fn atoms_outside_the_packed_range_read_back_whole() {
        let mut flat = FlatProgram::default();
        let var = |id, a, b| {
            Atom::Var(Var {
                id: LocalId(id),
                span: Span::new(a, b),
            })
        };
        let (small, big, lit) = (
            var(7, 1, 2),
            var(u32::MAX, 3, 9),
            Atom::Lit(-0.0, Span::new(4, 8)),
        );
        let run = flat.push_atoms(&[small, big, lit]);
        let back = flat.atoms(run).to_vec();
        assert_eq!(back, vec![small, big, lit]);
        let ranges: Vec<(u32, u32)> = back
            .iter()
            .map(|a| (a.span().start, a.span().end))
            .collect();
        assert_eq!(ranges, vec![(1, 2), (3, 9), (4, 8)]);
        assert!(matches!(back[1], Atom::Var(v) if v.id == LocalId(u32::MAX)));
        assert_eq!(flat.wide.len(), 2);
        assert_eq!(flat.atoms(run).split_at(1).1.two(), Some((big, lit)));
        assert_eq!(flat.atoms(run).one(), None);
    }

    #[test]
    fn the_public_form_survives_a_round_trip_through_the_flat_form() {
        let src = "type P = <R, R>\n\
                   def g(a: R, b: R) -> (R, R) = (a * b, a)\n\
                   def f(x: R, p: P ; y': R, t': <R, R>) -> (R ; R, <R, R>) =\n\
                   let <u, v> = p in let (c, d) = g(u, sin(v) + x) in\n\
                   let <s', w'> = t' in let (; k', m') = dup(y') in\n\
                   let z = (let q = c * d in q - 1.5) in\n\
                   let n' = (let r' = z * k' + m' in r' + zero) in\n\
                   let e = drop(<c, d>) in (z + -2 ; -n' + s', <w', zero<R>>)";
        let p = crate::parse(src).unwrap();
        let flat = FlatProgram::from_program(&p);
        let back = flat.to_program();
        assert_eq!(back, p);
        assert_eq!(spans(&back), spans(&p));
        assert_eq!(crate::print(&back), crate::print(&p));
        assert_eq!(FlatProgram::from_program(&back), flat);
    }
}
