//! Folding after JVP and after transposition: symbolic zeros, primitive applications computed
//! once, merged scalings, and linear code whose results only reach a `drop` removed.
//!
//! **Symbolic zeros** (JAX's `Zero`): tangents that are statically zero are folded away.
//! A literal's tangent is `zero<R>`, and the rules then scale it, add it and pass it on: work that
//! computes nothing, and whose coefficients (`c = cos(x)` to scale a zero) are computed only for
//! that. One forward sweep tracks which linear slots are statically zero and which are another
//! slot under a new name: `a * z'` and `dup(z')` are zero, `u' + z'` is `u'`, a linear tuple of
//! zeros is zero and its destructure gives zeros; a zero is materialised as `zero<T>` only where
//! something needs a value (a call's argument, a result, a tuple with non-zero items). A backward
//! sweep then removes the nonlinear bindings nothing reads any more.
//!
//! **Sharing**: a rule may compute what the primal already has (`div`'s rule computes `1 / b`,
//! which is the primal itself when `a` is `1`; `sin` and `cos` rules each compute both): a
//! primitive application equal to an earlier one of the body (same row, same atoms) reuses its
//! result, as hash-consing would. So does a call equal to an earlier one (same callee, same
//! atoms): the language is pure, so it computes the same results (`Zeros::share_call`).
//!
//! **Calls** (used on transposed programs, where the caller passes the callees' linear result
//! types): by linearity a call whose linear arguments are all zero has zero linear results, and
//! without nonlinear results it is not emitted at all. **Merged scalings** (`Zeros::combine`):
//! `k1 * t' + k2 * t'` is `(k1 + k2) * t'`. **Pruning** (`prune`): a backward sweep removes
//! linear bindings all of whose results are only dropped. A body returning the one linear
//! slot its last binding defines ends in that binding's right-hand side. Every sweep is linear in the body
//! (nested blocks recurse, bounded by nesting); the program is pure, so removing dead code and
//! zero arithmetic preserves meaning exactly (`0 * x` is `0` over the reals; over floats the
//! folded program is the one that treats a literal's tangent as an exact zero, as JAX does).

use crate::build::{FnBuilder, atom};
use semantics::*;
use std::collections::VecDeque;

/// A body's bindings rewritten front to back in their own vector: each output binding is
/// written over an input slot already read, so a sweep holds one vector of the body's length,
/// not its input and its output at once (at a million lets a vector of bindings is hundreds of
/// megabytes). Output that gets ahead of the input (a sweep may emit more than it reads) waits
/// in a queue, in order, for the next slot read. A slot is an `Option` (`None` once read, or
/// once [`InPlace::remove`]d), as large as a binding: the conversions in and out move the
/// bindings within the one allocation (`Vec`'s in-place collection).
struct InPlace {
    items: Vec<Option<Bind>>,
    /// Input slots read: `items[read..]` are still input.
    read: usize,
    /// Output slots written: `items[..written]` are output, `items[written..read]` free.
    written: usize,
    /// Output not yet written; non-empty only while no slot is free (`written == read`).
    queue: VecDeque<Option<Bind>>,
}

const _: () = assert!(std::mem::size_of::<Option<Bind>>() == std::mem::size_of::<Bind>());

impl InPlace {
    fn new(binds: Vec<Bind>) -> InPlace {
        InPlace {
            items: binds.into_iter().map(Some).collect(),
            read: 0,
            written: 0,
            queue: VecDeque::new(),
        }
    }

    /// The next input binding (its slot becomes free for the output).
    #[inline]
    fn next(&mut self) -> Option<Bind> {
        let s = self.items.get_mut(self.read)?.take();
        self.read += 1;
        if let Some(q) = self.queue.pop_front() {
            self.items[self.written] = q;
            self.written += 1;
        }
        s
    }

    /// Appends an output binding.
    #[inline]
    fn push(&mut self, b: Bind) {
        if self.queue.is_empty() && self.written < self.read {
            self.items[self.written] = Some(b);
            self.written += 1;
        } else {
            self.queue.push_back(Some(b));
        }
    }

    /// The number of output bindings so far (removed ones included).
    fn len(&self) -> usize {
        self.written + self.queue.len()
    }

    /// Removes output binding `at` (< [`InPlace::len`]).
    fn remove(&mut self, at: usize) {
        if at < self.written {
            self.items[at] = None;
        } else if let Some(q) = self.queue.get_mut(at - self.written) {
            *q = None;
        }
    }

    /// The output, in order: the rest of the input must have been read.
    fn finish(self) -> Vec<Bind> {
        let mut items = self.items;
        items.truncate(self.written);
        items.extend(self.queue);
        items.retain(Option::is_some);
        // Every slot is `Some` now: `map_while` (unlike `flatten`) collects in place.
        items.into_iter().map_while(|s| s).collect()
    }
}

/// The linear result types of the function a call calls (in the output program), for the rule
/// "a call whose linear arguments are all zero has zero linear results".
pub type LinearResults<'a> = &'a dyn Fn(FuncId) -> Option<Vec<Type>>;

/// Folds the statically zero linear values of a (relaxed) function (a JVP's or a transpose's
/// output) and shares repeated primitive applications, merges scalings of one slot, removes
/// linear code whose results only reach a `drop`, then the nonlinear code this made dead.
pub fn fold(mut f: FnDef, lresults_of: LinearResults) -> FnDef {
    let slots = f.locals.len();
    let mut z = Zeros {
        // The slots move into the builder (a copy of every name before).
        out: FnBuilder::from_owned(std::mem::take(&mut f.locals), 0),
        zero: ZeroTypes::new(slots),
        alias: vec![None; slots],
        shared: Shared::new(slots, top_level_prims(&f.body)),
        calls: FnvMap::default(),
        depth: 0,
        lresults_of,
    };
    let body = z.block(std::mem::replace(
        &mut f.body,
        Block {
            binds: Vec::new(),
            tail: ret(Vec::new(), Vec::new()),
        },
    ));
    let mut body = z.combine(body);
    let linear: Vec<bool> = z.out.locals.iter().map(|l| l.linear).collect();
    prune(&mut body, &linear);
    remove_dead(&mut body, &linear);
    last_binding_as_tail(&mut body);
    FnDef {
        locals: z.out.locals,
        body,
        ..f
    }
}

struct Zeros<'a> {
    out: FnBuilder,
    lresults_of: LinearResults<'a>,
    /// The type of each linear slot known to be zero.
    zero: ZeroTypes,
    /// A slot that is another one under a new name (a linear rename, or a shared application).
    alias: Vec<Option<LocalId>>,
    /// The primitive applications of the body's top level, by row and atoms (a literal by its
    /// bits): a later equal one reuses the slot. Nested blocks read it but add nothing (what
    /// they bind is out of scope after them).
    shared: Shared,
    /// The calls of the top level, by callee and argument atoms (a zero linear argument as
    /// zero): a later equal call reuses the binders of the first (see `Zeros::share_call`).
    calls: FnvMap<CallKey, (Vec<LocalId>, Vec<LocalId>)>,
    depth: u32,
}

/// A primitive application by row and atoms (`(true, slot)` a variable, `(false, bits)` a
/// literal): inline for up to three atoms (every primitive of the standard table), so a
/// million applications are not a million small vectors allocated and freed.
#[derive(Hash, PartialEq, Eq)]
enum PrimKey {
    Short(PrimId, u8, [(bool, u64); 3]),
    Long(PrimId, Vec<(bool, u64)>),
}

impl PrimKey {
    fn new(prim: PrimId, args: &[Atom]) -> PrimKey {
        let key = |a: &Atom| match a {
            Atom::Var(v) => (true, u64::from(v.id.0)),
            Atom::Lit(c, _) => (false, c.to_bits()),
        };
        if args.len() <= 3 {
            let mut short = [(false, 0); 3];
            for (k, a) in short.iter_mut().zip(args) {
                *k = key(a);
            }
            PrimKey::Short(prim, args.len() as u8, short)
        } else {
            PrimKey::Long(prim, args.iter().map(key).collect())
        }
    }
}

/// The number of top-level bindings of `b` that apply a primitive (room for [`Shared`]).
fn top_level_prims(b: &Block) -> usize {
    b.binds
        .iter()
        .filter(|s| {
            matches!(
                s,
                Bind::Let {
                    rhs: Expr::Prim { .. },
                    ..
                }
            )
        })
        .count()
}

/// No entry ([`Shared::head`]).
const NONE: u32 = u32::MAX;

/// The top level's primitive applications, each kept under its newest variable argument (the
/// one with the largest slot), as a short chain through an append-only vector: a JVP of a
/// million lets has millions of applications, and a hash table of them missed the caches at
/// every lookup and insertion (and rehashed as it grew), while an application's newest argument
/// was bound a few bindings before it, so its chain is where the sweep just wrote. A chain
/// holds at most [`Shared::CHAIN`] entries (an argument of many applications, `x * y1`,
/// `x * y2`, ... with `x` newest, would make it long): the ones beyond, and applications of
/// literals only, go to a hash table. A key is in exactly one of the two (chains only grow, so
/// a key that went to the table finds its chain still full), so lookups answer as one table.
struct Shared {
    /// Per slot: the newest entry kept under it, or [`NONE`].
    head: Vec<u32>,
    /// (application, its result slot, the next entry of the chain or [`NONE`]).
    entries: Vec<(PrimKey, LocalId, u32)>,
    rest: FnvMap<PrimKey, LocalId>,
}

/// Where [`Shared::find`] looked: the slot whose chain holds the key's entry, if it has room.
enum Room {
    Chain(usize),
    Table,
}

impl Shared {
    const CHAIN: usize = 8;

    fn new(slots: usize, prims: usize) -> Shared {
        Shared {
            head: vec![NONE; slots],
            entries: Vec::with_capacity(prims),
            rest: FnvMap::default(),
        }
    }

    /// The slot an application is kept under: its newest (largest) variable argument.
    fn slot_of(args: &[Atom]) -> Option<usize> {
        args.iter()
            .filter_map(|a| a.var())
            .map(|v| v.id.0 as usize)
            .max()
    }

    /// The result slot of an earlier equal application, or where to keep this one.
    fn find(&self, key: &PrimKey, args: &[Atom]) -> Result<LocalId, Room> {
        if let Some(s) = Shared::slot_of(args) {
            let mut i = self.head.get(s).copied().unwrap_or(NONE);
            let mut len = 0;
            while i != NONE {
                let (k, y, next) = &self.entries[i as usize];
                if k == key {
                    return Ok(*y);
                }
                len += 1;
                i = *next;
            }
            if len < Shared::CHAIN {
                return Err(Room::Chain(s));
            }
        }
        self.rest.get(key).copied().ok_or(Room::Table)
    }

    fn insert(&mut self, key: PrimKey, x: LocalId, room: Room) {
        match room {
            Room::Chain(s) => {
                if s >= self.head.len() {
                    self.head.resize(s + 1, NONE);
                }
                self.entries.push((key, x, self.head[s]));
                self.head[s] = (self.entries.len() - 1) as u32;
            }
            Room::Table => {
                self.rest.insert(key, x);
            }
        }
    }
}

/// The zero type of each slot: an index into a list of types (0 for none), 4 bytes a slot
/// where an `Option<Type>` was 24, all written when the vector was made (a tenth of a gigabyte
/// faulted in at a million lets, for the few slots a zero reaches).
struct ZeroTypes {
    at: Vec<u32>,
    types: Vec<Type>,
}

impl ZeroTypes {
    fn new(slots: usize) -> ZeroTypes {
        ZeroTypes {
            at: vec![0; slots],
            types: Vec::new(),
        }
    }

    fn resize(&mut self, n: usize) {
        self.at.resize(n, 0);
    }

    fn get(&self, x: usize) -> Option<Type> {
        match self.at.get(x).copied() {
            Some(i) if i > 0 => self.types.get(i as usize - 1).cloned(),
            _ => None,
        }
    }

    fn set(&mut self, x: usize, ty: Type) {
        if let Some(slot) = self.at.get_mut(x) {
            self.types.push(ty);
            *slot = self.types.len() as u32;
        }
    }
}

/// A call by callee, nonlinear and linear argument atoms: `(0, slot)` a variable, `(1, bits)`
/// a literal, `(2, 0)` a statically zero linear value.
type CallKey = (FuncId, Vec<(u8, u64)>, Vec<(u8, u64)>);

/// A table keyed by small tuples of slots and bits, hashed with FNV ([`semantics::Fnv`]): a
/// body's every primitive application is looked up and inserted once, and SipHash was most of
/// that cost.
type FnvMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

fn let_(nl: Vec<LocalId>, lin: Vec<LocalId>, rhs: Expr) -> Bind {
    Bind::Let {
        nl,
        lin,
        rhs,
        span: Span::GENERATED,
    }
}

fn ret(nl: Vec<Atom>, lin: Vec<Atom>) -> Expr {
    Expr::Ret {
        nl,
        lin,
        span: Span::GENERATED,
    }
}

impl Zeros<'_> {
    fn grow(&mut self) {
        let n = self.out.locals.len();
        self.zero.resize(n);
        self.alias.resize(n, None);
    }

    /// The slot an atom stands for, through renames.
    fn resolve(&self, a: &Atom) -> Atom {
        match a {
            Atom::Var(v) => match self.alias.get(v.id.0 as usize).copied().flatten() {
                Some(id) => atom(id),
                None => *a,
            },
            Atom::Lit(..) => *a,
        }
    }

    /// The zero type of an atom, if it is statically zero.
    fn zero_of(&self, a: &Atom) -> Option<Type> {
        match self.resolve(a) {
            Atom::Var(v) => self.zero.get(v.id.0 as usize),
            Atom::Lit(..) => None,
        }
    }

    /// An atom whose value is needed: renamed, and a zero made real by `zero<T>`.
    fn value(&mut self, a: &Atom, binds: &mut Vec<Bind>) -> Atom {
        match self.zero_of(a) {
            Some(ty) => {
                let z = self.out.fresh("zero", true);
                self.grow();
                binds.push(let_(
                    vec![],
                    vec![z],
                    Expr::Zero {
                        ty,
                        span: Span::GENERATED,
                    },
                ));
                atom(z)
            }
            None => self.resolve(a),
        }
    }

    fn set_zero(&mut self, y: LocalId, ty: Type) {
        self.zero.set(y.0 as usize, ty);
    }

    fn set_alias(&mut self, y: LocalId, to: &Atom) {
        match (self.zero_of(to), self.resolve(to)) {
            (Some(ty), _) => self.set_zero(y, ty),
            (None, Atom::Var(v)) => {
                if let Some(slot) = self.alias.get_mut(y.0 as usize) {
                    *slot = Some(v.id);
                }
            }
            // A literal is never a linear value; keep nothing.
            (None, Atom::Lit(..)) => {}
        }
    }

    /// Folds a block, consuming it: bindings kept move to the output with their atoms renamed in
    /// place (a copy of every binder and atom list before).
    fn block(&mut self, b: Block) -> Block {
        self.depth += 1;
        let block = self.block_in(b);
        self.depth -= 1;
        block
    }

    fn block_in(&mut self, b: Block) -> Block {
        let mut binds = Vec::new();
        let mut sweep = InPlace::new(b.binds);
        while let Some(s) = sweep.next() {
            match s {
                Bind::Let { nl, lin, rhs, span } => self.bind(nl, lin, rhs, span, &mut binds),
                Bind::Unpack { binders, src, span } => {
                    let src_atom = Atom::Var(src);
                    match self.zero_of(&src_atom).as_ref().and_then(Type::components) {
                        Some(ts) if ts.len() == binders.len() => {
                            for (&x, t) in binders.iter().zip(ts.to_vec()) {
                                self.set_zero(x, t);
                            }
                        }
                        _ => {
                            let src = match self.value(&src_atom, &mut binds) {
                                Atom::Var(v) => v,
                                Atom::Lit(..) => src,
                            };
                            binds.push(Bind::Unpack { binders, src, span });
                        }
                    }
                }
            }
            for s in binds.drain(..) {
                sweep.push(s);
            }
        }
        let mut binds = sweep.finish();
        let tail = self.tail(b.tail, &mut binds);
        Block { binds, tail }
    }

    /// `let (nl ; lin) = rhs`, folded.
    fn bind(
        &mut self,
        nl: Vec<LocalId>,
        lin: Vec<LocalId>,
        rhs: Expr,
        span: Span,
        out: &mut Vec<Bind>,
    ) {
        if self.share_call(&nl, &lin, &rhs) {
            return;
        }
        let rhs = match (rhs, nl.as_slice(), lin.as_slice()) {
            (Expr::Prim { prim, args, .. }, &[x], []) => {
                return self.prim((nl, x), prim, args, span, out);
            }
            (rhs, _, _) => rhs,
        };
        match (rhs, lin.as_slice()) {
            (Expr::Zero { ty, .. }, [y]) if nl.is_empty() => self.set_zero(*y, ty),
            // By linearity, a call whose linear arguments are all zero has zero linear
            // results; without nonlinear results it computes nothing else.
            (rhs, _) if !lin.is_empty() && self.zero_call(&rhs).is_some() => {
                let func = self.zero_call(&rhs).unwrap_or(FuncId(0));
                match (self.lresults_of)(func) {
                    Some(ts) if ts.len() == lin.len() => {
                        for (&y, t) in lin.iter().zip(ts) {
                            self.set_zero(y, t);
                        }
                        if !nl.is_empty() {
                            let rhs = self.expr(rhs, out);
                            out.push(Bind::Let { nl, lin, rhs, span });
                        }
                    }
                    _ => {
                        let rhs = self.expr(rhs, out);
                        out.push(Bind::Let { nl, lin, rhs, span });
                    }
                }
            }
            // `drop` of atoms: zeros need no dropping, nonlinear atoms no drop in a relaxed
            // body (dup/drop insertion adds the drops strictness needs).
            (rhs @ Expr::Drop { .. }, []) if nl.is_empty() && dropped_atoms(&rhs) => {
                if let Expr::Drop { body, .. } = &rhs
                    && let Expr::Ret { lin: ys, .. } = &body.tail
                {
                    let live: Vec<Atom> = ys
                        .iter()
                        .filter(|a| self.zero_of(a).is_none())
                        .map(|a| self.resolve(a))
                        .collect();
                    if !live.is_empty() {
                        out.push(Bind::Let {
                            nl: vec![],
                            lin: vec![],
                            rhs: Expr::Drop {
                                body: Box::new(Block {
                                    binds: vec![],
                                    tail: ret(vec![], live),
                                }),
                                span: Span::GENERATED,
                            },
                            span,
                        });
                    }
                } else {
                    let rhs = self.expr(rhs, out);
                    out.push(Bind::Let {
                        nl: vec![],
                        lin: vec![],
                        rhs,
                        span,
                    });
                }
            }
            (Expr::Scale { lin: a, .. }, [y]) if self.zero_of(&a).is_some() => {
                let ty = self.zero_of(&a).unwrap_or(Type::Real);
                self.set_zero(*y, ty);
            }
            (Expr::Dup { arg, .. }, [y1, y2]) if self.zero_of(&arg).is_some() => {
                let ty = self.zero_of(&arg).unwrap_or(Type::Real);
                self.set_zero(*y1, ty.clone());
                self.set_zero(*y2, ty);
            }
            (Expr::LAdd { lhs, rhs: r, .. }, [y]) => match (self.zero_of(&lhs), self.zero_of(&r)) {
                (Some(ty), Some(_)) => self.set_zero(*y, ty),
                (Some(_), None) => self.set_alias(*y, &r),
                (None, Some(_)) => self.set_alias(*y, &lhs),
                (None, None) => {
                    let (lhs, r) = (self.resolve(&lhs), self.resolve(&r));
                    out.push(Bind::Let {
                        nl: vec![],
                        lin,
                        rhs: Expr::LAdd {
                            lhs,
                            rhs: r,
                            span: Span::GENERATED,
                        },
                        span,
                    });
                }
            },
            (Expr::LTuple { items, .. }, [y])
                if !items.is_empty() && items.iter().all(|a| self.zero_of(a).is_some()) =>
            {
                let ts = items.iter().filter_map(|a| self.zero_of(a)).collect();
                self.set_zero(*y, Type::Tuple(ts));
            }
            // A return only renames: linear items become the binders (zeros stay zero).
            (
                Expr::Ret {
                    nl: xs, lin: ys, ..
                },
                _,
            ) if ys.len() == lin.len() => {
                for (&y, a) in lin.iter().zip(&ys) {
                    self.set_alias(y, a);
                }
                if !nl.is_empty() {
                    let mut xs = xs;
                    for a in &mut xs {
                        *a = self.resolve(a);
                    }
                    out.push(Bind::Let {
                        nl,
                        lin: vec![],
                        rhs: ret(xs, vec![]),
                        span,
                    });
                }
            }
            (rhs, _) => {
                let rhs = self.expr(rhs, out);
                out.push(Bind::Let { nl, lin, rhs, span });
            }
        }
    }

    /// `let x = p(args)`: an application equal to an earlier one of the top level reuses its
    /// slot; otherwise it is kept, its atoms renamed.
    fn prim(
        &mut self,
        (nl, x): (Vec<LocalId>, LocalId),
        prim: PrimId,
        mut args: Vec<Atom>,
        span: Span,
        out: &mut Vec<Bind>,
    ) {
        for a in &mut args {
            *a = self.resolve(a);
        }
        let key = PrimKey::new(prim, &args);
        let room = match self.shared.find(&key, &args) {
            Ok(y) => {
                if let Some(slot) = self.alias.get_mut(x.0 as usize) {
                    *slot = Some(y);
                }
                return;
            }
            Err(room) => room,
        };
        if self.depth == 1 {
            self.shared.insert(key, x, room);
        }
        out.push(Bind::Let {
            nl,
            lin: vec![],
            rhs: Expr::Prim {
                prim,
                args,
                span: Span::GENERATED,
            },
            span,
        });
    }

    /// **Shared calls**: a call equal to an earlier one of the top level (same callee, the
    /// same atoms after renaming, zeros for zeros) computes the same results, since the
    /// language is pure and has no effects: its binders become the earlier call's binders (a
    /// linear one used twice is a `dup` after dup/drop insertion). In a JVP, two calls
    /// `g(x)` of the source become two `g.jvp(x ; x')` with the one tangent slot `x'` (before
    /// dup/drop insertion), so the forward and the backward halves each run `g` once, where
    /// JAX's trace runs it twice. Returns whether the binding was shared away.
    fn share_call(&mut self, nl: &[LocalId], lin: &[LocalId], rhs: &Expr) -> bool {
        let Expr::Call {
            func,
            nl: args,
            lin: largs,
            ..
        } = rhs
        else {
            return false;
        };
        let key_of = |z: &Self, a: &Atom| match (z.zero_of(a), z.resolve(a)) {
            (Some(_), _) => (2u8, 0u64),
            (None, Atom::Var(v)) => (0, u64::from(v.id.0)),
            (None, Atom::Lit(c, _)) => (1, c.to_bits()),
        };
        let key: CallKey = (
            *func,
            args.iter().map(|a| key_of(self, a)).collect(),
            largs.iter().map(|a| key_of(self, a)).collect(),
        );
        match self.calls.get(&key) {
            Some((nl0, lin0)) if nl0.len() == nl.len() && lin0.len() == lin.len() => {
                let (nl0, lin0) = (nl0.clone(), lin0.clone());
                for (&x, &x0) in nl.iter().zip(&nl0) {
                    if let Some(slot) = self.alias.get_mut(x.0 as usize) {
                        *slot = Some(x0);
                    }
                }
                for (&y, &y0) in lin.iter().zip(&lin0) {
                    self.set_alias(y, &atom(y0));
                }
                true
            }
            _ => {
                if self.depth == 1 {
                    self.calls.insert(key, (nl.to_vec(), lin.to_vec()));
                }
                false
            }
        }
    }

    /// An expression kept as it is, with its linear atoms renamed and zeros made real.
    /// The callee of a call all of whose linear arguments are statically zero.
    fn zero_call(&self, e: &Expr) -> Option<FuncId> {
        match e {
            Expr::Call { func, lin, .. } if lin.iter().all(|a| self.zero_of(a).is_some()) => {
                Some(*func)
            }
            _ => None,
        }
    }

    /// Renames atoms in place.
    fn rename(&self, xs: &mut [Atom]) {
        for a in xs {
            *a = self.resolve(a);
        }
    }

    /// Atoms whose values are needed, in place (zeros made real by `zero<T>` bindings).
    fn make_values(&mut self, xs: &mut [Atom], binds: &mut Vec<Bind>) {
        for a in xs {
            *a = self.value(a, binds);
        }
    }

    /// An expression with its atoms renamed and its zeros made real, consumed and rebuilt in
    /// place.
    fn expr(&mut self, mut e: Expr, out: &mut Vec<Bind>) -> Expr {
        match &mut e {
            Expr::Ret { nl, lin, .. } | Expr::Call { nl, lin, .. } => {
                self.rename(nl);
                self.make_values(lin, out);
            }
            Expr::LTuple { items, .. } => self.make_values(items, out),
            Expr::LAdd { lhs, rhs, .. } => {
                *lhs = self.value(lhs, out);
                *rhs = self.value(rhs, out);
            }
            Expr::Scale { scalar, lin, .. } => {
                *scalar = self.resolve(scalar);
                *lin = self.value(lin, out);
            }
            Expr::Dup { arg, .. } => *arg = self.value(arg, out),
            Expr::Drop { body, .. } | Expr::Block(body) => {
                let b = std::mem::replace(
                    &mut **body,
                    Block {
                        binds: Vec::new(),
                        tail: ret(Vec::new(), Vec::new()),
                    },
                );
                **body = self.block(b);
            }
            Expr::Tuple { items, .. } => self.rename(items),
            Expr::Prim { args, .. } => self.rename(args),
            Expr::Zero { .. } => {}
        }
        e
    }

    /// A block's tail: a zero result is `zero<T>`, `u' + z'` is `u'`, the rest as [`Self::expr`].
    fn tail(&mut self, e: Expr, out: &mut Vec<Bind>) -> Expr {
        match e {
            Expr::LAdd { lhs, rhs, span } => match (self.zero_of(&lhs), self.zero_of(&rhs)) {
                (Some(_), None) => ret(vec![], vec![self.resolve(&rhs)]),
                (None, Some(_)) => ret(vec![], vec![self.resolve(&lhs)]),
                (Some(ty), Some(_)) => Expr::Zero {
                    ty,
                    span: Span::GENERATED,
                },
                (None, None) => self.expr(Expr::LAdd { lhs, rhs, span }, out),
            },
            Expr::Scale { scalar, lin, span } => match self.zero_of(&lin) {
                Some(ty) => Expr::Zero {
                    ty,
                    span: Span::GENERATED,
                },
                None => self.expr(Expr::Scale { scalar, lin, span }, out),
            },
            e => self.expr(e, out),
        }
    }
}

/// Whether a `drop` drops atoms only (its body has no bindings).
fn dropped_atoms(e: &Expr) -> bool {
    matches!(e, Expr::Drop { body, .. } if body.binds.is_empty())
}

fn remove_dead(b: &mut Block, linear: &[bool]) {
    let n = linear.len();
    let mut used = vec![false; n];
    let mut reads = Vec::new();
    expr_reads(&b.tail, &mut reads);
    let mark = |xs: &[LocalId], used: &mut Vec<bool>| {
        for x in xs {
            if let Some(u) = used.get_mut(x.0 as usize) {
                *u = true;
            }
        }
    };
    mark(&reads, &mut used);
    let is_lin = |x: &LocalId| linear.get(x.0 as usize).copied().unwrap_or(true);
    let mut keep = vec![true; b.binds.len()];
    for (i, s) in b.binds.iter().enumerate().rev() {
        reads.clear();
        bind_reads(s, &mut reads);
        // Borrowed in two parts, not collected: a vector per binding was a million allocations.
        let (first, second): (&[LocalId], &[LocalId]) = match s {
            Bind::Let { nl, lin, .. } => (nl, lin),
            Bind::Unpack { binders, .. } => (binders, &[]),
        };
        let binders = || first.iter().chain(second);
        let pure = match s {
            Bind::Let { rhs, .. } => matches!(
                rhs,
                Expr::Prim { .. } | Expr::Tuple { .. } | Expr::Ret { .. }
            ),
            Bind::Unpack { .. } => true,
        };
        let dead = pure
            && binders().next().is_some()
            && !binders().any(is_lin)
            && !reads.iter().any(is_lin)
            && binders().all(|x| !used.get(x.0 as usize).copied().unwrap_or(true));
        if dead {
            keep[i] = false;
        } else {
            mark(&reads, &mut used);
        }
    }
    let mut k = keep.into_iter();
    b.binds.retain(|_| k.next().unwrap_or(true));
}

/// `let (; y') = e in (; y')` is `e`: a body returning one linear slot that its last binding
/// defines and nothing else reads ends in that binding's right-hand side instead (the binding
/// and the return atom, 2 of work, go; most transposes of a one-parameter function end so).
fn last_binding_as_tail(b: &mut Block) {
    let y = match &b.tail {
        Expr::Ret { nl, lin, .. } if nl.is_empty() && lin.len() == 1 => match lin[0].var() {
            Some(v) => v.id,
            None => return,
        },
        _ => return,
    };
    let Some(Bind::Let { nl, lin, .. }) = b.binds.last() else {
        return;
    };
    if !nl.is_empty() || lin.as_slice() != [y] {
        return;
    }
    if binds_read(&b.binds, y) {
        return;
    }
    if let Some(Bind::Let { rhs, .. }) = b.binds.pop() {
        b.tail = rhs;
    }
}

/// `x + y` when its f64 result is the exact real sum (TwoSum's error term is zero), so a
/// merged literal coefficient means what the two did, over the floats and over the reals.
fn exact_sum(x: f64, y: f64) -> Option<f64> {
    let s = x + y;
    let bb = s - x;
    let err = (x - (s - bb)) + (y - bb);
    (s.is_finite() && err == 0.0).then_some(s)
}

/// A linear term of a sum: `k * src'`, with the index of the binding that made it (to remove
/// it), or `1 * y'` for a slot not made by a single-use scaling.
struct Term {
    at: Option<usize>,
    k: Atom,
    src: LocalId,
}

impl Zeros<'_> {
    /// Scalings of one slot that are added become one scaling by the summed coefficients:
    /// `k1 * t' + k2 * t'` is `(k1 + k2) * t'` (`t'` itself being `1 * t'`; `x * x`'s rule gives
    /// `x * t' + x * t'`); two literal coefficients are summed here when the sum is exact,
    /// otherwise by an `add` binding. One forward sweep over the top level.
    fn combine(&mut self, b: Block) -> Block {
        let n = self.out.locals.len();
        let mut uses = vec![0u32; n];
        count_reads(&b, &mut uses);
        // The single-use slots made by a top-level scaling: (binding index, scalar, source),
        // by an index per slot (0 for none) into `scalings`, 4 bytes a slot where the option
        // of a triple was 40, every one written when the vector was made.
        let mut scaled: Vec<u32> = vec![0; n];
        let mut scalings: Vec<(usize, Atom, LocalId)> = Vec::new();
        let scaling = |scaled: &[u32], scalings: &[(usize, Atom, LocalId)], x: LocalId| match scaled
            .get(x.0 as usize)
            .copied()
        {
            Some(i) if i > 0 => scalings.get(i as usize - 1).copied(),
            _ => None,
        };
        // Rewritten in place: one vector of the body's length, not the input, the output
        // with its holes, and the compacted output.
        let mut out = InPlace::new(b.binds);
        while let Some(s) = out.next() {
            let Bind::Let { nl, lin, rhs, span } = &s else {
                out.push(s);
                continue;
            };
            let (true, [y]) = (nl.is_empty(), lin.as_slice()) else {
                out.push(s);
                continue;
            };
            let once = |x: LocalId| uses.get(x.0 as usize) == Some(&1);
            let term = |a: &Atom| -> Option<Term> {
                let x = a.var()?.id;
                Some(match scaling(&scaled, &scalings, x) {
                    Some((at, k, src)) if once(x) => Term {
                        at: Some(at),
                        k,
                        src,
                    },
                    _ => Term {
                        at: None,
                        k: Atom::Lit(1.0, Span::GENERATED),
                        src: x,
                    },
                })
            };
            match rhs {
                Expr::Scale { scalar, lin: a, .. } => {
                    if let Some(x) = a.var() {
                        scalings.push((out.len(), *scalar, x.id));
                        scaled[y.0 as usize] = scalings.len() as u32;
                    }
                    out.push(s);
                }
                Expr::LAdd { lhs, rhs: r, .. } => match (term(lhs), term(r)) {
                    (Some(t1), Some(t2)) if t1.src == t2.src => {
                        for at in [t1.at, t2.at].into_iter().flatten() {
                            out.remove(at);
                        }
                        let k = match (t1.k, t2.k) {
                            (Atom::Lit(c1, _), Atom::Lit(c2, _)) if exact_sum(c1, c2).is_some() => {
                                Atom::Lit(c1 + c2, Span::GENERATED)
                            }
                            (k1, k2) => {
                                let k = self.out.fresh("k", false);
                                self.grow();
                                out.push(let_(
                                    vec![k],
                                    vec![],
                                    Expr::Prim {
                                        prim: PrimId::ADD,
                                        args: vec![k1, k2],
                                        span: Span::GENERATED,
                                    },
                                ));
                                atom(k)
                            }
                        };
                        if scaled.len() < self.out.locals.len() {
                            scaled.resize(self.out.locals.len(), 0);
                        }
                        scalings.push((out.len(), k, t1.src));
                        scaled[y.0 as usize] = scalings.len() as u32;
                        out.push(scale(*y, k, t1.src, *span));
                    }
                    _ => out.push(s),
                },
                _ => out.push(s),
            }
        }
        Block {
            binds: out.finish(),
            tail: b.tail,
        }
    }
}

fn scale(y: LocalId, k: Atom, src: LocalId, span: Span) -> Bind {
    Bind::Let {
        nl: vec![],
        lin: vec![y],
        rhs: Expr::Scale {
            scalar: k,
            lin: atom(src),
            span: Span::GENERATED,
        },
        span,
    }
}

/// Removes the linear code whose results only reach a `drop` (a transpose's cotangent of a
/// zero tangent, or of a parameter of a callee that has none): one backward sweep marks a
/// linear slot dead when its one use is a top-level `drop` or a removed binding, and removes a
/// pure binding all of whose results are dead (its linear inputs are then dead); a `dup` with
/// one dead result becomes a rename. A forward sweep then renames and trims the drops.
fn prune(b: &mut Block, linear: &[bool]) {
    let n = linear.len();
    let is_lin = |x: LocalId| linear.get(x.0 as usize).copied().unwrap_or(false);
    // A relaxed body may use a linear slot more than once: it is dead when all its uses are.
    let mut live_uses = vec![0u32; n];
    count_reads(b, &mut live_uses);
    let mut dead = vec![false; n];
    let mut killed = vec![false; n];
    let mut alias: Vec<Option<LocalId>> = vec![None; n];
    let mut mark = |xs: &[Atom], dead: &mut Vec<bool>| {
        for a in xs {
            let x = a.var().map_or(usize::MAX, |v| v.id.0 as usize);
            if let Some(u) = live_uses.get_mut(x) {
                *u = u.saturating_sub(1);
                if *u == 0
                    && let Some(d) = dead.get_mut(x)
                {
                    *d = true;
                }
            }
        }
    };
    let dropped = |s: &Bind| match s {
        Bind::Let {
            nl,
            lin,
            rhs: Expr::Drop { body, .. },
            ..
        } if nl.is_empty() && lin.is_empty() && body.binds.is_empty() => match &body.tail {
            Expr::Ret { nl, lin, .. } if nl.is_empty() => Some(lin.clone()),
            _ => None,
        },
        _ => None,
    };
    for s in &b.binds {
        if let Some(ys) = dropped(s) {
            mark(&ys, &mut dead);
        }
    }
    let mut keep = vec![true; b.binds.len()];
    let is_dead = |x: &LocalId, dead: &Vec<bool>| dead.get(x.0 as usize).copied().unwrap_or(false);
    for (i, s) in b.binds.iter().enumerate().rev() {
        let inputs: Option<Vec<Atom>> = match s {
            Bind::Let { nl, lin, rhs, .. }
                if nl.is_empty() && !lin.is_empty() && lin.iter().all(|y| is_dead(y, &dead)) =>
            {
                match rhs {
                    Expr::Scale { lin: x, .. } => Some(vec![*x]),
                    Expr::LAdd { lhs, rhs, .. } => Some(vec![*lhs, *rhs]),
                    Expr::LTuple { items, .. } => Some(items.clone()),
                    Expr::Ret { nl, lin, .. } if nl.is_empty() => Some(lin.clone()),
                    Expr::Zero { .. } => Some(vec![]),
                    Expr::Dup { arg, .. } => Some(vec![*arg]),
                    // Binding no nonlinear result, the call computes nothing else.
                    Expr::Call { lin, .. } => Some(lin.clone()),
                    _ => None,
                }
            }
            // A call with no results at all computes nothing.
            Bind::Let {
                nl,
                lin,
                rhs: Expr::Call { lin: xs, .. },
                ..
            } if nl.is_empty() && lin.is_empty() => Some(xs.clone()),
            Bind::Let {
                nl,
                lin,
                rhs: Expr::Dup {
                    arg: Atom::Var(x), ..
                },
                ..
            } if nl.is_empty() && lin.len() == 2 => {
                let (y1, y2) = (lin[0], lin[1]);
                match (is_dead(&y1, &dead), is_dead(&y2, &dead)) {
                    (true, false) | (false, true) => {
                        let (gone, live) = if is_dead(&y1, &dead) {
                            (y1, y2)
                        } else {
                            (y2, y1)
                        };
                        keep[i] = false;
                        if let Some(k) = killed.get_mut(gone.0 as usize) {
                            *k = true;
                        }
                        if let Some(a) = alias.get_mut(live.0 as usize) {
                            *a = Some(x.id);
                        }
                    }
                    _ => {}
                }
                None
            }
            Bind::Unpack { binders, src, .. }
                if is_lin(src.id) && binders.iter().all(|y| is_dead(y, &dead)) =>
            {
                Some(vec![Atom::Var(*src)])
            }
            _ => None,
        };
        if let Some(xs) = inputs {
            keep[i] = false;
            let binders: Vec<LocalId> = match s {
                Bind::Let { nl, lin, .. } => nl.iter().chain(lin).copied().collect(),
                Bind::Unpack { binders, .. } => binders.clone(),
            };
            for y in binders {
                if let Some(k) = killed.get_mut(y.0 as usize) {
                    *k = true;
                }
            }
            mark(&xs, &mut dead);
        }
    }
    let mut k = keep.into_iter();
    b.binds.retain(|_| k.next().unwrap_or(true));
    // Drops lose the slots whose binding went; a drop of nothing goes.
    let gone = |a: &Atom| {
        a.var()
            .is_some_and(|v| killed.get(v.id.0 as usize).copied().unwrap_or(false))
    };
    b.binds.retain_mut(|s| {
        if let Bind::Let {
            rhs: Expr::Drop { body, .. },
            ..
        } = s
            && let (true, Expr::Ret { nl, lin, .. }) = (body.binds.is_empty(), &mut body.tail)
            && nl.is_empty()
        {
            lin.retain(|a| !gone(a));
            return !lin.is_empty();
        }
        true
    });
    if alias.iter().any(Option::is_some) {
        let chase = |x: LocalId| {
            let mut x = x;
            while let Some(y) = alias.get(x.0 as usize).copied().flatten() {
                x = y;
            }
            x
        };
        rename_block(b, &chase);
    }
}

fn rename_block(b: &mut Block, to: &dyn Fn(LocalId) -> LocalId) {
    for s in &mut b.binds {
        match s {
            Bind::Let { rhs, .. } => rename_expr(rhs, to),
            Bind::Unpack { src, .. } => src.id = to(src.id),
        }
    }
    rename_expr(&mut b.tail, to);
}

fn rename_expr(e: &mut Expr, to: &dyn Fn(LocalId) -> LocalId) {
    let fix = |a: &mut Atom| {
        if let Atom::Var(v) = a {
            v.id = to(v.id);
        }
    };
    match e {
        Expr::Ret { nl, lin, .. } | Expr::Call { nl, lin, .. } => {
            nl.iter_mut().chain(lin.iter_mut()).for_each(fix)
        }
        Expr::Tuple { items, .. } | Expr::LTuple { items, .. } => items.iter_mut().for_each(fix),
        Expr::Prim { args, .. } => args.iter_mut().for_each(fix),
        Expr::LAdd { lhs, rhs, .. } => {
            fix(lhs);
            fix(rhs);
        }
        Expr::Scale { scalar, lin, .. } => {
            fix(scalar);
            fix(lin);
        }
        Expr::Dup { arg, .. } => fix(arg),
        Expr::Zero { .. } => {}
        Expr::Drop { body, .. } | Expr::Block(body) => rename_block(body, to),
    }
}

#[cfg(test)]
mod tests {
    use super::InPlace;
    use semantics::{Bind, LocalId, Span, Var};

    /// A binding told apart by its source slot.
    fn b(i: u32) -> Bind {
        Bind::Unpack {
            binders: Vec::new(),
            src: Var {
                id: LocalId(i),
                span: Span::GENERATED,
            },
            span: Span::GENERATED,
        }
    }

    fn id(s: &Bind) -> u32 {
        match s {
            Bind::Unpack { src, .. } => src.id.0,
            Bind::Let { .. } => u32::MAX,
        }
    }

    /// Against a plain second vector: input `i` emits `i % 4` bindings of `100 * i + k`, so the
    /// output falls behind the input and gets ahead of it (through the queue), and every fifth
    /// output binding so far is removed again, in the written part and in the queue alike.
    #[test]
    fn in_place_sweep_is_the_two_vector_sweep() {
        let input: Vec<Bind> = (0..40).map(b).collect();
        let mut expected: Vec<Option<u32>> = Vec::new();
        let mut sweep = InPlace::new(input);
        let mut read = 0;
        let mut queued = false;
        while let Some(s) = sweep.next() {
            let i = id(&s);
            assert_eq!(i, read, "inputs are read in order");
            read += 1;
            for k in 0..i % 4 {
                assert_eq!(sweep.len(), expected.len());
                sweep.push(b(100 * i + k));
                expected.push(Some(100 * i + k));
            }
            queued |= !sweep.queue.is_empty();
            if i % 5 == 4 {
                let at = expected.len() / 2;
                sweep.remove(at);
                expected[at] = None;
            }
        }
        assert_eq!(read, 40);
        let got: Vec<u32> = sweep.finish().iter().map(id).collect();
        let want: Vec<u32> = expected.into_iter().flatten().collect();
        assert_eq!(got, want);
        assert!(queued, "the output never got ahead of the input");
        assert!(
            got.len() > 40,
            "the output did not outgrow the input: {}",
            got.len()
        );
    }
}
