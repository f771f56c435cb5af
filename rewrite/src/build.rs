//! Building functions: slots with fresh, readable names, and atoms for generated code.
//!
//! Every pass writes its output through a [`FnBuilder`], so no two passes invent names
//! differently and no generated name can clash with another binder of the same function.

use semantics::{Atom, Block, Expr, FnDef, Fresh, Local, LocalId, Span, Var};

/// A function's slots under construction. Names come from one [`Fresh`] (see its guarantee)
/// that has avoided every name of the function, so a generated name never clashes with
/// another binder of the same function.
#[derive(Default)]
pub struct FnBuilder {
    pub locals: Vec<Local>,
    /// Every name taken is avoided here (one table: [`FnBuilder::named`] asks it too).
    fresh: Fresh,
    /// The first `unavoided` slots (those [`FnBuilder::from_owned`] was given) are not in
    /// `fresh` yet: they are hashed in before the first name is made or taken, so a builder
    /// that makes none (fold of a body without literals) never builds the table. At a million
    /// slots each insertion misses the caches; fold and normalisation made that table for
    /// every function they rebuilt, to take one name or none.
    unavoided: usize,
    /// Room to reserve in `fresh` beyond `unavoided` when it is built.
    more: usize,
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

    /// Starts from an existing function's slots, keeping their ids and names.
    pub fn from_locals(locals: &[Local]) -> FnBuilder {
        FnBuilder::from_owned(locals.to_vec(), 0)
    }

    /// [`FnBuilder::from_locals`] of slots the caller no longer needs: moved, not copied, with
    /// room for `more` slots beyond them.
    pub fn from_owned(locals: Vec<Local>, more: usize) -> FnBuilder {
        let mut b = FnBuilder::with_capacity(0);
        b.unavoided = locals.len();
        b.more = more;
        b.locals = locals;
        b.locals.reserve(more);
        b
    }

    /// Avoids the slots given to [`FnBuilder::from_owned`], once, before any name is made.
    fn ready(&mut self) {
        if self.unavoided > 0 {
            self.fresh.reserve(self.unavoided + self.more);
            for l in self.locals.iter().take(self.unavoided) {
                self.fresh.avoid(&l.name);
            }
            self.unavoided = 0;
        }
    }

    fn push(&mut self, name: String, linear: bool) -> LocalId {
        self.ready();
        self.fresh.avoid(&name);
        self.push_avoided(name, linear)
    }

    /// [`FnBuilder::push`] of a name already avoided.
    fn push_avoided(&mut self, name: String, linear: bool) -> LocalId {
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
        self.ready();
        let name = name.trim_end_matches('\'');
        let prime = if linear { "'" } else { "" };
        if self.fresh.take(&[name, prime]) {
            let mut spelled = String::with_capacity(name.len() + prime.len());
            spelled.push_str(name);
            spelled.push_str(prime);
            self.push_avoided(spelled, linear)
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
