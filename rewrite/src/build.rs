//! Building functions: slots with fresh, readable names, and atoms for generated code.
//!
//! Every pass writes its output through a [`FnBuilder`], so no two passes invent names
//! differently and no generated name can clash with another binder of the same function.

use semantics::{Atom, Local, LocalId, Span, Var};
use std::collections::{HashMap, HashSet};

#[derive(Default)]
pub struct FnBuilder {
    pub locals: Vec<Local>,
    /// Every name taken, and for each name hint the last suffix used.
    taken: HashSet<String>,
    next: HashMap<String, u32>,
}

impl FnBuilder {
    pub fn new() -> FnBuilder {
        FnBuilder::default()
    }

    /// Starts from an existing function's slots, keeping their ids and names.
    pub fn from_locals(locals: &[Local]) -> FnBuilder {
        let mut b = FnBuilder::new();
        for l in locals {
            b.taken.insert(l.name.clone());
            b.locals.push(l.clone());
        }
        b
    }

    fn push(&mut self, name: String, linear: bool) -> LocalId {
        let id = LocalId(self.locals.len() as u32);
        self.taken.insert(name.clone());
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
        let full = if linear {
            format!("{name}'")
        } else {
            name.to_string()
        };
        if self.taken.contains(&full) {
            self.fresh(name, linear)
        } else {
            self.push(full, linear)
        }
    }

    /// A slot with a new name built from `hint` (`hint_1`, `hint_2`, ...; primed if linear).
    pub fn fresh(&mut self, hint: &str, linear: bool) -> LocalId {
        let base = hint.trim_end_matches('\'').trim_start_matches('_');
        let base = if base.is_empty() { "v" } else { base }.to_string();
        let mut n = self.next.get(&base).copied().unwrap_or(0);
        let name = loop {
            n += 1;
            let name = if linear {
                format!("{base}_{n}'")
            } else {
                format!("{base}_{n}")
            };
            if !self.taken.contains(&name) {
                break name;
            }
        };
        self.next.insert(base, n);
        self.push(name, linear)
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
