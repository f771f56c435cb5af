//! Building functions: slots with fresh, readable names, and atoms for generated code.
//!
//! Every pass writes its output through a [`FnBuilder`], so no two passes invent names
//! differently and no generated name can clash with another binder of the same function.

use semantics::{Atom, Block, Expr, FnDef, Local, LocalId, Span, Var};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A key that is already a hash ([`name_hash`]) is its own hash.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The FNV-1a hash of `base` followed by `suffix`: a name is hashed without being built.
fn name_hash(base: &str, suffix: &str) -> u64 {
    let mut h = checker::Fnv::default();
    h.write(base.as_bytes());
    h.write(suffix.as_bytes());
    h.finish()
}

#[derive(Default)]
pub struct FnBuilder {
    pub locals: Vec<Local>,
    /// The hash of every name taken (no `String` copy per slot). Two names with one hash only
    /// make the builder pick another variant, so generated names stay distinct.
    taken: HashSet<u64, BuildHasherDefault<Identity>>,
    /// For each name hint, the last suffix used.
    next: HashMap<String, u32>,
}

impl FnBuilder {
    pub fn new() -> FnBuilder {
        FnBuilder::default()
    }

    /// Starts from an existing function's slots, keeping their ids and names.
    pub fn from_locals(locals: &[Local]) -> FnBuilder {
        let mut b = FnBuilder::new();
        b.taken.reserve(locals.len());
        b.locals.reserve(locals.len());
        for l in locals {
            b.taken.insert(name_hash(&l.name, ""));
            b.locals.push(l.clone());
        }
        b
    }

    fn push(&mut self, name: String, linear: bool) -> LocalId {
        let id = LocalId(self.locals.len() as u32);
        self.taken.insert(name_hash(&name, ""));
        self.locals.push(Local {
            name,
            linear,
            span: Span::GENERATED,
        });
        id
    }

    /// A slot named `name` exactly if that name is free, else a fresh variant of it.
    pub fn named(&mut self, name: &str, linear: bool) -> LocalId {
        let name = name.trim_end_matches('\'');
        let prime = if linear { "'" } else { "" };
        if self.taken.contains(&name_hash(name, prime)) {
            self.fresh(name, linear)
        } else {
            self.push(format!("{name}{prime}"), linear)
        }
    }

    /// A slot with a new name built from `hint` (`hint_1`, `hint_2`, ...; primed if linear).
    pub fn fresh(&mut self, hint: &str, linear: bool) -> LocalId {
        let base = hint.trim_end_matches('\'').trim_start_matches('_');
        let base = if base.is_empty() { "v" } else { base };
        let mut n = self.next.get(base).copied().unwrap_or(0);
        let prime = if linear { "'" } else { "" };
        let name = loop {
            n += 1;
            let name = format!("{base}_{n}{prime}");
            if !self.taken.contains(&name_hash(&name, "")) {
                break name;
            }
        };
        match self.next.get_mut(base) {
            Some(last) => *last = n,
            None => {
                self.next.insert(base.to_string(), n);
            }
        }
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
