//! Γ and Δ as slot tables.
//!
//! The rules of SPEC §2 split Δ between premises and share Γ. Because the parser resolves
//! every occurrence to its binder's slot once, the checker never copies a context: it keeps,
//! per slot, the binder's type (filled when the binder is checked) and a use counter. "Each
//! linear variable is used exactly once across the premises" is then "each linear slot's
//! counter ends at 1", which is what splitting Δ means; "each nonlinear binder occurs in its
//! scope" is "each nonlinear slot's counter ends above 0". One pass, constant work per
//! occurrence.

use crate::rules::Rule;
use crate::types::{Ty, pack, unpack};
use semantics::{LocalId, Span};

/// 20 bytes: one per binder, so two per source `let` of a chain.
#[derive(Clone, Debug)]
struct Slot {
    /// The type its binder gave it ([`pack`]ed); `None` before binding or after an ill-typed
    /// binding.
    ty: u32,
    /// The block that binds it (0: the parameters).
    block: u32,
    first_use: Span,
    /// Uses so far, saturating: the rules only tell 0, 1 and 2 apart.
    uses: u8,
    /// The rule that bound it, which a multiplicity fault names.
    rule: Rule,
    bound: bool,
    /// A fault about the binder itself was reported (shadowed, or on the wrong side): faults
    /// about its sort or multiplicity would only repeat it.
    quiet: bool,
}

const _: () = assert!(std::mem::size_of::<Slot>() == 20);

/// One use of a variable: its type, how many uses so far (this one included; saturating at
/// 255) and where the first one was.
pub(crate) struct Use {
    pub ty: Ty,
    pub count: u32,
    pub first: Span,
}

pub(crate) struct Context {
    slots: Vec<Slot>,
}

impl Context {
    pub fn new(slots: usize) -> Context {
        Context {
            slots: vec![
                Slot {
                    ty: pack(None),
                    block: 0,
                    first_use: Span::GENERATED,
                    uses: 0,
                    rule: Rule::Def,
                    bound: false,
                    quiet: false,
                };
                slots
            ],
        }
    }

    /// Brings a binder into Γ or Δ. `false` for a slot that does not exist.
    pub fn bind(&mut self, id: LocalId, ty: Ty, block: u32, rule: Rule) -> bool {
        match self.slots.get_mut(id.0 as usize) {
            Some(s) => {
                s.ty = pack(ty);
                s.bound = true;
                s.block = block;
                s.rule = rule;
                true
            }
            None => false,
        }
    }

    /// Records an occurrence. `None` for a slot that does not exist.
    pub fn use_var(&mut self, id: LocalId, span: Span) -> Option<Use> {
        let s = self.slots.get_mut(id.0 as usize)?;
        s.uses = s.uses.saturating_add(1);
        if s.uses == 1 {
            s.first_use = span;
        }
        Some(Use {
            ty: unpack(s.ty),
            count: u32::from(s.uses),
            first: s.first_use,
        })
    }

    /// The type a slot's binder gave it; `None` for a slot that does not exist.
    pub fn ty_of(&self, id: LocalId) -> Option<Ty> {
        self.slots.get(id.0 as usize).map(|s| unpack(s.ty))
    }

    /// Whether the slot exists.
    pub fn has(&self, id: LocalId) -> bool {
        (id.0 as usize) < self.slots.len()
    }

    /// Silences sort and multiplicity faults about a slot whose binder is already reported.
    pub fn quiet(&mut self, id: LocalId) {
        if let Some(s) = self.slots.get_mut(id.0 as usize) {
            s.quiet = true;
        }
    }

    pub fn is_quiet(&self, id: LocalId) -> bool {
        self.slots.get(id.0 as usize).is_some_and(|s| s.quiet)
    }

    /// The block that binds a slot.
    pub fn block_of(&self, id: LocalId) -> Option<u32> {
        self.slots.get(id.0 as usize).map(|s| s.block)
    }

    /// Every bound slot that is not quiet, with its number of uses and the rule that bound it.
    pub fn bound(&self) -> impl Iterator<Item = (LocalId, u32, Rule)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.bound && !s.quiet)
            .map(|(i, s)| (LocalId(i as u32), u32::from(s.uses), s.rule))
    }
}
