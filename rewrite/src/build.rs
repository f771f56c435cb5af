//! Building functions: slots with fresh, readable names, and atoms for generated code.
//!
//! Every pass writes its output through a [`FnBuilder`], so no two passes invent names
//! differently and no generated name can clash with another binder of the same function.

use semantics::{Atom, Block, CompactString, Expr, FnDef, Fresh, Local, LocalId, Span, Var};

/// A function's slots under construction. Names come from one [`Fresh`] (see its guarantee)
/// that has avoided every name of the function, so a generated name never clashes with
/// another binder of the same function.
#[derive(Default)]
pub struct FnBuilder {
    pub locals: Vec<Local>,
    /// Every name taken is avoided here (one table: [`FnBuilder::named`] asks it too), but
    /// for the slots from `avoided` on, which are hashed in before the next name is made or
    /// taken through the table.
    fresh: Fresh,
    /// The slots before this one are in `fresh`. Those [`FnBuilder::from_owned`] was given
    /// and those a [`FnBuilder::distinct`] builder took are not yet: a builder that makes no
    /// name (fold of a body without literals) or copies names known distinct (unzip's halves,
    /// transpose) never builds the table. At a million slots each insertion misses the caches.
    avoided: usize,
    /// Room to reserve in `fresh` beyond the slots when it is built.
    more: usize,
    /// [`FnBuilder::named`] takes its name as it is, without asking `fresh`: the caller has
    /// checked that the names it passes are pairwise distinct (see [`FnBuilder::distinct`]).
    trusted: bool,
    /// A sparse table (see [`FnBuilder::sparse`]): the only names later passed to
    /// [`FnBuilder::named`], spelled, by hash (sorted); `None` for a table of every name.
    asked: Option<AskedNames>,
}

/// The names a sparse builder is asked for (see [`FnBuilder::sparse`]), spelled, by hash
/// (sorted): made once per program and shared by its functions' builders.
#[derive(Clone)]
pub struct AskedNames(std::rc::Rc<Vec<(u64, String)>>);

impl AskedNames {
    pub fn new(names: impl IntoIterator<Item = String>) -> AskedNames {
        let mut asked: Vec<(u64, String)> = names
            .into_iter()
            .map(|a| (hash_spelled(&a, ""), a))
            .collect();
        asked.sort_unstable();
        asked.dedup();
        AskedNames(std::rc::Rc::new(asked))
    }
}

impl FnBuilder {
    pub fn new() -> FnBuilder {
        FnBuilder::default()
    }

    /// Room for `n` slots, reserved at once: a builder grown by doubling copied its slots and
    /// faulted in fresh pages at every step (a sixth of `vjp`'s cycles were vectors growing).
    pub fn with_capacity(n: usize) -> FnBuilder {
        let mut b = FnBuilder::new();
        b.locals.reserve(n);
        b.fresh.reserve(n);
        b
    }

    /// An empty builder, room for `n` slots, for a copy whose caller has checked (with
    /// [`Fresh::distinct`]) that the names it will pass to [`FnBuilder::named`] are pairwise
    /// distinct once spelled (primes trimmed, one added if linear). Each such name is then
    /// free when it is taken, so `named` returns it as it is, as a checking builder would,
    /// without a table of every name. Making a name ([`FnBuilder::fresh`]) builds the table
    /// from the names taken so far and ends the trust, so every output equals a checking
    /// builder's.
    pub fn distinct(n: usize) -> FnBuilder {
        let mut b = FnBuilder::new();
        b.locals.reserve(n);
        b.more = n;
        b.trusted = true;
        b
    }

    /// Starts from an existing function's slots, keeping their ids and names.
    pub fn from_locals(locals: &[Local]) -> FnBuilder {
        FnBuilder::from_owned(locals.to_vec(), 0)
    }

    /// [`FnBuilder::from_locals`] of slots the caller no longer needs: moved, not copied, with
    /// room for `more` slots beyond them.
    pub fn from_owned(locals: Vec<Local>, more: usize) -> FnBuilder {
        let mut b = FnBuilder::with_capacity(0);
        b.more = more;
        b.locals = locals;
        b.locals.reserve(more);
        b
    }

    /// [`FnBuilder::from_owned`] whose table holds only the names a later query could equal,
    /// for a caller that passes [`FnBuilder::named`] only names spelled as in `asked` (after
    /// any it takes while trusting, see [`FnBuilder::trust`]): a JVP's builder, whose later
    /// names are its rules' local names (`c`, `t1'`) and names it makes. A made name is
    /// `base_N` (primed if linear: every stem a builder makes ends in `_`), so a name taken can
    /// equal a candidate only if it is spelled so, and a name made never equals another
    /// ([`Fresh`]'s guarantee): the table holds the names taken of that form and the names in
    /// `asked`, a few where a table of every name held millions (each insertion a cache miss).
    /// A name outside `asked` passed to `named` makes the table whole first, so every output
    /// equals a full table's (but where a full table would skip a candidate for sharing a
    /// 64-bit hash with a name a sparse one leaves out: either name is free).
    pub fn sparse(locals: Vec<Local>, more: usize, asked: &AskedNames) -> FnBuilder {
        let mut b = FnBuilder::from_owned(locals, more);
        b.asked = Some(asked.clone());
        b
    }

    /// From now on [`FnBuilder::named`] takes names as they are, until [`FnBuilder::check`]
    /// or the first name made: the caller checked (with [`Fresh::distinct`]) that the names it
    /// passes meanwhile are pairwise distinct and differ from the slots' names.
    pub fn trust(&mut self) {
        self.trusted = true;
    }

    /// Ends [`FnBuilder::trust`]: names are checked against the table again.
    pub fn check(&mut self) {
        self.trusted = false;
    }

    /// Whether the spelled name `name ++ prime` is one of the sparse table's asked names.
    fn is_asked(&self, name: &str, prime: &str) -> bool {
        self.asked.as_ref().is_none_or(|asked| {
            // By hash (a probe of a few integers), then spelled out: `name ++ prime` is not built.
            let h = hash_spelled(name, prime);
            let from = asked.0.partition_point(|(k, _)| *k < h);
            asked.0[from..]
                .iter()
                .take_while(|(k, _)| *k == h)
                .any(|(_, a)| {
                    a.len() == name.len() + prime.len() && a.starts_with(name) && a.ends_with(prime)
                })
        })
    }

    /// Whether a taken name goes into the table: every name in a full table; in a sparse
    /// one, those spelled as a made name could be and the asked ones.
    fn keeps(&self, spelled: &str) -> bool {
        self.asked.is_none() || could_be_made(spelled) || self.is_asked(spelled, "")
    }

    /// A sparse table made whole: every slot's name avoided.
    fn make_whole(&mut self) {
        if self.asked.take().is_some() {
            for l in &self.locals[..self.avoided] {
                self.fresh.avoid(&l.name);
            }
        }
    }

    /// Avoids the slots not yet in the table, before a name is made or taken through it; a
    /// builder that uses its table stops trusting (see [`FnBuilder::distinct`]).
    fn ready(&mut self) {
        self.trusted = false;
        if self.avoided < self.locals.len() {
            if self.asked.is_none() {
                self.fresh
                    .reserve(self.locals.len() - self.avoided + self.more);
            }
            for i in self.avoided..self.locals.len() {
                if self.keeps(&self.locals[i].name) {
                    self.fresh.avoid(&self.locals[i].name);
                }
            }
            self.avoided = self.locals.len();
        }
    }

    /// A made name: avoided in a full table; in a sparse one only if asked (no candidate
    /// equals a name made before it).
    fn push(&mut self, name: CompactString, linear: bool) -> LocalId {
        self.ready();
        if self.asked.is_none() || self.is_asked(&name, "") {
            self.fresh.avoid(&name);
        }
        self.push_avoided(name, linear)
    }

    /// [`FnBuilder::push`] of a name already avoided.
    fn push_avoided(&mut self, name: CompactString, linear: bool) -> LocalId {
        let id = self.push_local(name, linear);
        self.avoided = self.locals.len();
        id
    }

    fn push_local(&mut self, name: CompactString, linear: bool) -> LocalId {
        let id = LocalId(self.locals.len() as u32);
        self.locals.push(Local {
            name,
            linear,
            span: Span::GENERATED,
        });
        id
    }

    /// A slot named `name` exactly if that name is free, else a fresh variant of it.
    pub fn named(&mut self, name: &str, linear: bool) -> LocalId {
        let asked = name;
        let name = name.trim_end_matches('\'');
        let prime = if linear { "'" } else { "" };
        // Copied once into an inline string: `asked` itself when it is spelled so already.
        let spell = || {
            if asked.len() == name.len() + prime.len() {
                CompactString::new(asked)
            } else {
                let mut spelled = CompactString::new(name);
                spelled.push_str(prime);
                spelled
            }
        };
        if self.trusted {
            // Free: the caller checked that the names it passes are pairwise distinct.
            return self.push_local(spell(), linear);
        }
        if !self.is_asked(name, prime) {
            self.make_whole();
        }
        self.ready();
        if self.fresh.take(&[name, prime]) {
            self.push_avoided(spell(), linear)
        } else {
            self.fresh(name, linear)
        }
    }

    /// A slot with a new name built from `hint` (`hint_1`, `hint_2`, ...; primed if linear).
    pub fn fresh(&mut self, hint: &str, linear: bool) -> LocalId {
        self.ready();
        let base = hint.trim_end_matches('\'').trim_start_matches('_');
        let base = if base.is_empty() { "v" } else { base };
        let mut stem = String::with_capacity(base.len() + 1);
        stem.push_str(base);
        stem.push('_');
        let name = self.fresh.make(&stem, linear);
        self.push(name, linear)
    }
}

/// The FNV hash of `name ++ prime`.
fn hash_spelled(name: &str, prime: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = semantics::Fnv::default();
    h.write(name.as_bytes());
    h.write(prime.as_bytes());
    h.finish()
}

/// Whether `spelled` could be a name a builder makes: `base_N`, perhaps primed ([`FnBuilder::fresh`]
/// makes every stem end in `_`; the counter has digits only).
fn could_be_made(spelled: &str) -> bool {
    let name = spelled.strip_suffix('\'').unwrap_or(spelled);
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    stem.len() < name.len() && stem.ends_with('_')
}

/// How a builder spells a slot's name in three parts (see [`FnBuilder::named`]): its primes
/// trimmed, one added if it is linear; for [`Fresh::distinct`].
pub fn spelling(l: &Local) -> [&str; 3] {
    [
        l.name.trim_end_matches('\''),
        "",
        if l.linear { "'" } else { "" },
    ]
}

/// A builder for a copy: one that trusts the names it is given if `distinct` (the caller
/// checked them, see [`FnBuilder::distinct`]), else one that checks each against its table.
pub fn copy_builder(distinct: bool, n: usize) -> FnBuilder {
    if distinct {
        FnBuilder::distinct(n)
    } else {
        FnBuilder::with_capacity(n)
    }
}

/// `f`'s name, signature and spans with no slots and an empty body: the rest of a generated
/// function (`FnDef { body, locals, ..shell(f) }`) without cloning `f`'s body to fill it.
pub fn shell(f: &FnDef) -> FnDef {
    FnDef {
        name: f.name.clone(),
        checkpoint: f.checkpoint,
        name_span: f.name_span,
        params: f.params.clone(),
        lparams: f.lparams.clone(),
        results: f.results.clone(),
        lresults: f.lresults.clone(),
        locals: Vec::new(),
        body: Block {
            binds: Vec::new(),
            tail: Expr::Ret {
                nl: Vec::new(),
                lin: Vec::new(),
                span: f.span,
            },
        },
        span: f.span,
    }
}

pub fn var(id: LocalId) -> Var {
    Var {
        id,
        span: Span::GENERATED,
    }
}

pub fn atom(id: LocalId) -> Atom {
    Atom::Var(var(id))
}

pub fn atoms(ids: &[LocalId]) -> Vec<Atom> {
    ids.iter().map(|&i| atom(i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(b: &FnBuilder) -> Vec<&str> {
        b.locals.iter().map(|l| l.name.as_str()).collect()
    }

    /// A trusting builder spells what a checking one spells for names that are distinct, and
    /// a name made after them avoids them (the table is built from the names taken so far).
    #[test]
    fn a_distinct_builder_takes_names_as_a_checking_one_does() {
        let given = [("x1'", true), ("x1", false), ("y''", true), ("res", false)];
        let (mut trusting, mut checking) = (FnBuilder::distinct(8), FnBuilder::with_capacity(8));
        for (n, linear) in given {
            trusting.named(n, linear);
            checking.named(n, linear);
        }
        assert_eq!(names(&trusting), ["x1'", "x1", "y'", "res"]);
        assert_eq!(names(&trusting), names(&checking));
        // After a made name the builder checks again: `res` is taken, `x1'` too.
        let made = [
            trusting.fresh("res", false),
            trusting.named("res", false),
            trusting.named("x1", true),
        ];
        assert_eq!(names(&trusting)[4..], ["res_1", "res_2", "x1_1'"]);
        assert_eq!(made.map(|id| id.0), [4, 5, 6]);
    }

    /// A sparse builder spells what a full one spells: slots of a made name's form (`c_1`,
    /// `t1_2'`) are avoided, asked names collide with earlier ones, and a name not asked
    /// (`x`) makes the table whole first.
    #[test]
    fn a_sparse_builder_names_as_a_full_one() {
        let slots = || {
            [("x", false), ("c_1", false), ("c", false), ("t1_2'", true)]
                .map(|(name, linear)| Local {
                    name: name.into(),
                    linear,
                    span: Span::GENERATED,
                })
                .to_vec()
        };
        let asked = AskedNames::new(["c", "t1'", "c"].map(String::from));
        let mut sparse = FnBuilder::sparse(slots(), 4, &asked);
        let mut full = FnBuilder::from_owned(slots(), 4);
        for b in [&mut sparse, &mut full] {
            b.named("c", false);
            b.named("c", false);
            b.named("t1", true);
            b.named("t1'", true);
            b.named("t1", true);
            b.fresh("zero", true);
            b.named("x", false);
            b.named("c", false);
            b.named("c_2", false);
        }
        // Worked by hand: `c` and `c_1` are taken, so `c` gives `c_2`, `c_3`; `t1'` is free,
        // then `t1_1'`, and `t1_2'` is taken; `x` is taken; the counters only grow.
        let expected = [
            "c_2", "c_3", "t1'", "t1_1'", "t1_3'", "zero_1'", "x_1", "c_4", "c_2_1",
        ];
        assert_eq!(names(&full)[4..], expected);
        assert_eq!(names(&sparse), names(&full));
    }

    /// A trusting stretch of a sparse builder (a JVP's tangents) ends at `check`: the names
    /// taken meanwhile are then avoided as a full table would (`x1'` is taken).
    #[test]
    fn a_trusting_stretch_ends_at_check() {
        let slots = vec![Local {
            name: "x1".into(),
            linear: false,
            span: Span::GENERATED,
        }];
        let mut b = FnBuilder::sparse(slots, 4, &AskedNames::new(["x1'".to_string()]));
        b.trust();
        b.named("x1", true);
        b.check();
        b.named("x1", true);
        b.named("x1", false);
        assert_eq!(names(&b), ["x1", "x1'", "x1_1'", "x1_2"]);
    }
}
