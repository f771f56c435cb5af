//! Types inside the checker: hash-consed, so that comparing two types is comparing two ids and
//! passing a type along a million `let`s copies nothing.
//!
//! A type built by the program (a tuple of tuples of ...) can be exponentially larger than the
//! text that builds it (`let t2 = <t1, t1> in let t3 = <t2, t2> in ...`). Inside the checker
//! that costs nothing (the type is a DAG of ids), but a derivation spells its types out, so,
//! like rustc's `type_length_limit`, the checker refuses types beyond [`TYPE_DEPTH_LIMIT`]
//! levels of nesting or [`TYPE_SIZE_LIMIT`] nodes (E0218) *as they are spelled*: a type that
//! has a name (an alias, `type f.res = ...`) is spelled by its name, one node, so types built
//! from named types (unzip's residuals, as deep as the call chain is long) are never refused.
//! Written types never reach the depth limit: the parser stops at [`semantics::MAX_NESTING`].

use semantics::{Type, TypeAlias};
use std::collections::HashMap;
use std::sync::Arc;

/// The deepest type the checker accepts.
pub const TYPE_DEPTH_LIMIT: u32 = 256;
/// The most nodes (`R` leaves plus tuple nodes) a type may have.
pub const TYPE_SIZE_LIMIT: u64 = 1 << 22;

/// A type in the checker's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TyId(u32);

/// A type as the checker knows it: `None` is the type of something ill-typed, which is
/// compatible with every type so that one fault is reported once.
pub(crate) type Ty = Option<TyId>;

/// A [`Ty`] in four bytes (`u32::MAX` for `None`; no table has that many types), for the
/// per-slot tables that hold one per binder.
pub(crate) fn pack(ty: Ty) -> u32 {
    ty.map_or(u32::MAX, |t| t.0)
}

/// The [`Ty`] [`pack`] packed.
pub(crate) fn unpack(bits: u32) -> Ty {
    (bits != u32::MAX).then_some(TyId(bits))
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Node {
    Real,
    Tuple(Vec<TyId>),
}

/// A type over the limits; the value says which limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum TooLarge {
    Depth,
    Size,
}

pub(crate) struct Types {
    nodes: Vec<Node>,
    /// Depth and node count of each type as spelled (named components count as one node).
    depth: Vec<u32>,
    size: Vec<u64>,
    /// The alias a type was first interned under: it is spelled by that name.
    alias: Vec<Option<Arc<TypeAlias>>>,
    index: HashMap<Node, TyId>,
    /// Aliases already interned, by identity (so a DAG of aliases is interned in linear time).
    aliases: HashMap<*const TypeAlias, TyId>,
}

impl Types {
    pub fn new() -> Types {
        let mut t = Types {
            nodes: Vec::new(),
            depth: Vec::new(),
            size: Vec::new(),
            alias: Vec::new(),
            index: HashMap::new(),
            aliases: HashMap::new(),
        };
        t.insert(Node::Real, 0, 1);
        t
    }

    fn insert(&mut self, node: Node, depth: u32, size: u64) -> TyId {
        if let Some(&id) = self.index.get(&node) {
            return id;
        }
        let id = TyId(self.nodes.len() as u32);
        self.nodes.push(node.clone());
        self.depth.push(depth);
        self.size.push(size);
        self.alias.push(None);
        self.index.insert(node, id);
        id
    }

    pub fn real(&self) -> TyId {
        TyId(0)
    }

    /// `<t1, ..., tn>`.
    pub fn tuple(&mut self, items: Vec<TyId>) -> Result<TyId, TooLarge> {
        let mut depth = 0;
        let mut size: u64 = 1;
        for t in &items {
            let i = t.0 as usize;
            let (d, n) = match self.alias[i] {
                Some(_) => (1, 1),
                None => (self.depth[i], self.size[i]),
            };
            depth = depth.max(d);
            size = size.saturating_add(n);
        }
        if depth + 1 > TYPE_DEPTH_LIMIT {
            return Err(TooLarge::Depth);
        }
        if size > TYPE_SIZE_LIMIT {
            return Err(TooLarge::Size);
        }
        Ok(self.insert(Node::Tuple(items), depth + 1, size))
    }

    /// A written type. Recursion is bounded by [`TYPE_DEPTH_LIMIT`].
    pub fn intern(&mut self, ty: &Type) -> Result<TyId, TooLarge> {
        self.intern_at(ty, 0)
    }

    fn intern_at(&mut self, ty: &Type, depth: u32) -> Result<TyId, TooLarge> {
        match ty {
            Type::Real => Ok(self.real()),
            Type::Named(a) => {
                if let Some(&id) = self.aliases.get(&Arc::as_ptr(a)) {
                    return Ok(id);
                }
                // A definition is a written type of its own; alias chains are as deep as the
                // program is long, so the stack grows on demand.
                let id = semantics::deep(|| self.intern_at(&a.def, 0))?;
                let slot = &mut self.alias[id.0 as usize];
                if slot.is_none() {
                    *slot = Some(a.clone());
                }
                self.aliases.insert(Arc::as_ptr(a), id);
                Ok(id)
            }
            Type::Tuple(ts) => {
                if depth >= TYPE_DEPTH_LIMIT {
                    return Err(TooLarge::Depth);
                }
                let items = ts
                    .iter()
                    .map(|t| self.intern_at(t, depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                self.tuple(items)
            }
        }
    }

    /// The components of a tuple type; `None` for `R`.
    pub fn components(&self, id: TyId) -> Option<&[TyId]> {
        match &self.nodes[id.0 as usize] {
            Node::Real => None,
            Node::Tuple(items) => Some(items),
        }
    }

    /// The type spelled out (for derivations and messages), named types by name. Recursion
    /// is bounded by [`TYPE_DEPTH_LIMIT`].
    pub fn to_type(&self, id: TyId) -> Type {
        if let Some(a) = &self.alias[id.0 as usize] {
            return Type::Named(a.clone());
        }
        match &self.nodes[id.0 as usize] {
            Node::Real => Type::Real,
            Node::Tuple(items) => Type::Tuple(items.iter().map(|&t| self.to_type(t)).collect()),
        }
    }

    /// The type spelled out, `?` for the unknown type.
    pub fn show(&self, ty: Ty) -> String {
        ty.map_or_else(|| "?".to_string(), |id| self.to_type(id).to_string())
    }
}
