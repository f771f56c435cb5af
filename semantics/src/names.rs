//! [`NameTable`]: slots keyed by their spelling, for the tables that hold every binder of a
//! function (the parser's scope, the checker's distinct-binders premise).
//!
//! A `HashMap<&str, LocalId>` entry is 24 bytes; on a million binders the table outgrows the
//! caches and every insertion is a cache miss, which made those two tables a third of
//! `lina check`. Here an entry is 8 bytes (the slot and a 32-bit hash of its name, so growing
//! the table never reads a name again): the spelling itself is looked up through the caller's
//! slot table, so it is stored once. Built on `hashbrown`'s `HashTable`, the raw table under
//! std's `HashMap`, which lets the caller own the keys.

use hashbrown::HashTable;

/// Slots (`u32`) keyed by a name the caller looks up from the slot (`name_of`).
#[derive(Default)]
pub struct NameTable {
    table: HashTable<(u32, u32)>,
}

/// FNV-1a over the name's bytes, folded to 32 bits.
fn hash32(name: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in name.as_bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The table's 64-bit hash from the stored 32 bits: the multiplication spreads them into the
/// top bits, which `hashbrown` uses as each entry's tag.
fn spread(h: u32) -> u64 {
    u64::from(h).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ u64::from(h)
}

impl NameTable {
    pub fn with_capacity(n: usize) -> NameTable {
        NameTable {
            table: HashTable::with_capacity(n),
        }
    }

    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }

    pub fn clear(&mut self) {
        self.table.clear();
    }

    /// The slot named `name`.
    pub fn get<'n>(&self, name: &str, name_of: impl Fn(u32) -> &'n str) -> Option<u32> {
        let h = hash32(name);
        self.table
            .find(spread(h), |&(eh, slot)| eh == h && name_of(slot) == name)
            .map(|&(_, slot)| slot)
    }

    /// Maps `name` to `slot`; returns the slot it mapped to before.
    pub fn insert<'n>(
        &mut self,
        name: &str,
        slot: u32,
        name_of: impl Fn(u32) -> &'n str,
    ) -> Option<u32> {
        let h = hash32(name);
        let eq = |&(eh, s): &(u32, u32)| eh == h && name_of(s) == name;
        if let Some(entry) = self.table.find_mut(spread(h), eq) {
            return Some(std::mem::replace(&mut entry.1, slot));
        }
        self.table
            .insert_unique(spread(h), (h, slot), |&(eh, _)| spread(eh));
        None
    }

    /// Forgets `name`.
    pub fn remove<'n>(&mut self, name: &str, name_of: impl Fn(u32) -> &'n str) {
        let h = hash32(name);
        if let Ok(entry) = self
            .table
            .find_entry(spread(h), |&(eh, s)| eh == h && name_of(s) == name)
        {
            entry.remove();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_replaces_get_finds_remove_forgets() {
        let names = ["x", "y", "x", "z"];
        let of = |s: u32| names[s as usize];
        let mut t = NameTable::default();
        assert_eq!(t.insert("x", 0, of), None);
        assert_eq!(t.insert("y", 1, of), None);
        assert_eq!(t.insert("x", 2, of), Some(0));
        assert_eq!(t.get("x", of), Some(2));
        assert_eq!(t.get("y", of), Some(1));
        assert_eq!(t.get("z", of), None);
        t.remove("x", of);
        assert_eq!(t.get("x", of), None);
        assert_eq!(t.get("y", of), Some(1));
    }

    #[test]
    fn many_names_survive_growth() {
        let names: Vec<String> = (0..50_000).map(|i| format!("v{i}")).collect();
        let of = |s: u32| names[s as usize].as_str();
        let mut t = NameTable::default();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(t.insert(n, i as u32, of), None);
        }
        for (i, n) in names.iter().enumerate() {
            assert_eq!(t.get(n, of), Some(i as u32));
        }
        assert_eq!(t.get("v50000", of), None);
    }
}
