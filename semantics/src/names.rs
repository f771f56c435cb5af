//! [`NameTable`]: slots keyed by their spelling, and [`Scope`], the parser's scope built on
//! two of them; [`repeated_names`]:
//! the repeated names of a list, for the checker's distinct-binders premise. Both hold every
//! binder of a function, a million on the longest programs.
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

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The slot named `name`.
    pub fn get<'n>(&self, name: &str, name_of: impl Fn(u32) -> &'n str) -> Option<u32> {
        self.get_hashed(hash32(name), name, name_of)
    }

    /// [`NameTable::get`] with the name's [`hash32`] already computed (a scope asks several
    /// tables for one name).
    fn get_hashed<'n>(&self, h: u32, name: &str, name_of: impl Fn(u32) -> &'n str) -> Option<u32> {
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
        self.insert_hashed(hash32(name), name, slot, name_of)
    }

    /// [`NameTable::insert`] with the name's [`hash32`] already computed (a scope keeps the
    /// hashes of the binders it holds).
    fn insert_hashed<'n>(
        &mut self,
        h: u32,
        name: &str,
        slot: u32,
        name_of: impl Fn(u32) -> &'n str,
    ) -> Option<u32> {
        // One probe: finding the name and the free bucket for it are the same search.
        let eq = |&(eh, s): &(u32, u32)| eh == h && name_of(s) == name;
        match self.table.entry(spread(h), eq, |&(eh, _)| spread(eh)) {
            hashbrown::hash_table::Entry::Occupied(mut e) => {
                Some(std::mem::replace(&mut e.get_mut().1, slot))
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert((h, slot));
                None
            }
        }
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

/// How many top-level binders [`Scope`] holds back before inserting them into its table.
const HELD: usize = 2048;

/// The parser's scope of one function: the innermost binder of each name, with blocks that
/// end.
///
/// A function body's top-level binders (the million `let`s of a long body) are never
/// removed: the function's end clears the scope. The newest of them are held in two small
/// tables (in the caches), [`HELD`] to a batch: the current batch and the one before it, so
/// that the binders just before a batch's end stay as near as the others. Most names are read
/// soon after their binding, from there. Older binders wait in a list, in order, and enter the
/// large table only when it is first needed: a name not found among the held ones (a
/// parameter read late, an unbound name), or a binder inside a nested block. Inserting each
/// binder into a table that outgrows the caches cost a cache miss per binder, about a seventh
/// of `lina check` on a million `let`s, for lookups that on such bodies never come. Once
/// built, the large table takes each batch as it leaves. A binder inside a nested block
/// (rare) goes into it with what it hid, so that the block's end can restore it; the held
/// binders are moved there first, so the held ones are always the newest.
#[derive(Default)]
pub struct Scope {
    table: NameTable,
    /// The large table holds every binder not held (else those are in `waiting`).
    built: bool,
    /// Top-level binders no longer held while the large table was not built, in order of
    /// declaration, each with its name's hash (as the held ones: computed once, at
    /// declaration, for the tables and for [`Scope::distinct`]).
    waiting: Vec<(u32, u32)>,
    /// The current batch of held binders, and their hashes and slots in order of declaration.
    held: NameTable,
    held_slots: Vec<(u32, u32)>,
    /// The batch before it.
    older: NameTable,
    older_slots: Vec<(u32, u32)>,
    /// Nested binders with the slot each hid, in order: a block's end pops its own.
    log: Vec<(u32, Option<u32>)>,
    /// The binder declared last, while it is in scope: the innermost binder of its name, which
    /// [`Scope::get`] compares first (a chain's `let`s read the binder just before them).
    last: Option<u32>,
    /// A binder had the name of one already in its batch or in the large table, or was nested
    /// (and so may leave the scope before another of its name comes): see [`Scope::distinct`].
    repeat: bool,
}

impl Scope {
    /// Empties the scope (a new function). A large table or list is dropped rather than
    /// cleared, since clearing costs its capacity: many small functions after a large one
    /// stay linear.
    pub fn clear(&mut self) {
        if self.table.capacity() > 4096 {
            self.table = NameTable::default();
        } else {
            self.table.clear();
        }
        if self.waiting.capacity() > 4096 {
            self.waiting = Vec::new();
        } else {
            self.waiting.clear();
        }
        self.built = false;
        self.held.clear();
        self.held_slots.clear();
        self.older.clear();
        self.older_slots.clear();
        self.log.clear();
        self.last = None;
        self.repeat = false;
    }

    /// No two binders declared since [`Scope::clear`] share a name. Exact when every binder
    /// was a top-level one (none left the scope); `false` whenever a nested binder was
    /// declared.
    pub fn distinct<'n>(&self, name_of: impl Fn(u32) -> &'n str + Copy) -> bool {
        if self.repeat {
            return false;
        }
        if !self.built {
            // Each batch is distinct within itself (`repeat` says so); across batches the
            // names are compared by one sort of their hashes.
            if self.waiting.is_empty() && self.older_slots.is_empty() {
                return true;
            }
            let (w, o) = (self.waiting.len(), self.older_slots.len());
            let all = |i: usize| {
                name_of(
                    if i < w {
                        self.waiting[i]
                    } else if i < w + o {
                        self.older_slots[i - w]
                    } else {
                        self.held_slots[i - w - o]
                    }
                    .1,
                )
            };
            let keyed = (self.waiting.iter())
                .chain(&self.older_slots)
                .chain(&self.held_slots)
                .enumerate()
                .map(|(i, &(h, _))| (h, i as u32))
                .collect();
            return repeats_among(keyed, all).is_empty();
        }
        // The held binders have not met the large table yet (at most 2 * `HELD` lookups).
        let unseen = |&(h, s): &(u32, u32)| self.table.get_hashed(h, name_of(s), name_of).is_none();
        self.held_slots
            .iter()
            .all(|&(h, s)| self.older.get_hashed(h, name_of(s), name_of).is_none())
            && self.held_slots.iter().all(unseen)
            && self.older_slots.iter().all(unseen)
    }

    /// Brings `slot`, named `name`, into scope: held if it is a top-level binder (`nested`
    /// false: never removed before [`Scope::clear`]), else entered with what it hides.
    #[inline]
    pub fn declare<'n>(
        &mut self,
        name: &str,
        slot: u32,
        nested: bool,
        name_of: impl Fn(u32) -> &'n str + Copy,
    ) {
        self.last = Some(slot);
        if nested {
            return self.declare_nested(name, slot, name_of);
        }
        let h = hash32(name);
        self.repeat |= self.held.insert_hashed(h, name, slot, name_of).is_some();
        self.held_slots.push((h, slot));
        if self.held_slots.len() >= HELD {
            self.shift(name_of);
        }
    }

    /// [`Scope::declare`] of a binder inside a nested block (rare: kept out of the inlined
    /// path of the top-level ones).
    #[inline(never)]
    fn declare_nested<'n>(
        &mut self,
        name: &str,
        slot: u32,
        name_of: impl Fn(u32) -> &'n str + Copy,
    ) {
        self.build(name_of);
        self.shift(name_of);
        self.shift(name_of);
        let hid = self.table.insert(name, slot, name_of);
        self.log.push((slot, hid));
        self.repeat = true;
    }

    /// The older batch leaves (into the large table once it is built, else onto the waiting
    /// list, in order), and the current one becomes the older.
    fn shift<'n>(&mut self, name_of: impl Fn(u32) -> &'n str + Copy) {
        if self.built {
            for &(h, slot) in &self.older_slots {
                let name = name_of(slot);
                self.repeat |= self.table.insert_hashed(h, name, slot, name_of).is_some();
            }
        } else {
            self.waiting.extend_from_slice(&self.older_slots);
        }
        self.older.clear();
        self.older_slots.clear();
        std::mem::swap(&mut self.held, &mut self.older);
        std::mem::swap(&mut self.held_slots, &mut self.older_slots);
    }

    /// Builds the large table from the waiting binders, in order (a later one of a name
    /// replaces an earlier one), in one loop whose cache misses overlap.
    fn build<'n>(&mut self, name_of: impl Fn(u32) -> &'n str + Copy) {
        if self.built {
            return;
        }
        self.built = true;
        self.table = NameTable::with_capacity(self.waiting.len() + 2 * HELD);
        for &(h, slot) in &self.waiting {
            let name = name_of(slot);
            self.repeat |= self.table.insert_hashed(h, name, slot, name_of).is_some();
        }
        self.waiting = Vec::new();
    }

    /// The innermost binder named `name` in scope (building the large table when the name is
    /// not held).
    #[inline]
    pub fn get<'n>(&mut self, name: &str, name_of: impl Fn(u32) -> &'n str + Copy) -> Option<u32> {
        if let Some(slot) = self.last
            && name_of(slot) == name
        {
            return Some(slot);
        }
        self.get_not_last(name, name_of)
    }

    /// [`Scope::get`] of a name that is not the last binder's: the comparison with it is
    /// inlined where a name is resolved, the tables' search is not.
    #[inline(never)]
    fn get_not_last<'n>(
        &mut self,
        name: &str,
        name_of: impl Fn(u32) -> &'n str + Copy,
    ) -> Option<u32> {
        let h = hash32(name);
        if let Some(slot) = self.held.get_hashed(h, name, name_of) {
            return Some(slot);
        }
        if let Some(slot) = self.older.get_hashed(h, name, name_of) {
            return Some(slot);
        }
        if !self.built {
            if self.waiting.is_empty() {
                return None;
            }
            self.build(name_of);
        }
        self.table.get_hashed(h, name, name_of)
    }

    /// A mark for [`Scope::pop`]: where a nested block starts.
    pub fn mark(&self) -> usize {
        self.log.len()
    }

    /// Ends the block opened at `mark`: each name declared in it is bound again to what it
    /// hid. (Its binders were all nested, so nothing held is newer than them: the binders held
    /// before the block were moved to the large table by its first binder.)
    pub fn pop<'n>(&mut self, mark: usize, name_of: impl Fn(u32) -> &'n str + Copy) {
        if self.log.len() > mark {
            // The last binder may be one of the block's (a block's binders are all nested, so
            // it is unless the block declared none).
            self.last = None;
        }
        while self.log.len() > mark {
            let Some((slot, hid)) = self.log.pop() else {
                break;
            };
            let name = name_of(slot);
            match hid {
                Some(h) => {
                    self.table.insert(name, h, name_of);
                }
                None => self.table.remove(name, name_of),
            }
        }
    }
}

/// Every repeated name of a list of `len` names (`name_of(i)` is the `i`th): `(second, first)`
/// for each position `second` whose name occurs earlier, `first` being its latest earlier
/// occurrence, in order of `second`.
///
/// A linear sweep without a hash table: the positions are sorted by the hash of their name
/// (a stable radix sort, three passes over 8-byte keys), so a name's occurrences end up
/// adjacent and in order; only positions whose hash repeats are compared by name. On the
/// checker's distinct-binders premise (every binder of a function) this is several times
/// faster than inserting each name in a table, whose every insertion missed the caches.
pub fn repeated_names<'n>(len: usize, name_of: impl Fn(usize) -> &'n str) -> Vec<(u32, u32)> {
    let keyed: Vec<(u32, u32)> = (0..len).map(|i| (hash32(name_of(i)), i as u32)).collect();
    repeats_among(keyed, name_of)
}

/// [`repeated_names`] of the names whose positions and [`hash32`]es are `keyed` (`(hash,
/// position)`, positions `0..len` in order).
fn repeats_among<'n>(
    mut keyed: Vec<(u32, u32)>,
    name_of: impl Fn(usize) -> &'n str,
) -> Vec<(u32, u32)> {
    let len = keyed.len();
    // (Positions are distinct, so sorting the pairs is sorting by hash stably.) A radix pass
    // costs its 2048 counters, which on many small functions would be most of the check: a
    // short list is sorted by comparison, at most ten levels deep.
    if len < 1024 {
        keyed.sort_unstable();
    } else {
        radix_sort(&mut keyed);
    }
    let mut repeats = Vec::new();
    for run in keyed.chunk_by(|a, b| a.0 == b.0) {
        if run.len() < 2 {
            continue;
        }
        if run.len() <= 8 {
            for (k, &(_, second)) in run.iter().enumerate().skip(1) {
                let name = name_of(second as usize);
                if let Some(&(_, first)) = run[..k]
                    .iter()
                    .rev()
                    .find(|&&(_, i)| name_of(i as usize) == name)
                {
                    repeats.push((second, first));
                }
            }
        } else {
            // Many positions with one hash (one name repeated, or colliding names): a table
            // of the run's names keeps this linear.
            let mut latest: crate::NameMap<&str, u32> = crate::NameMap::default();
            for &(_, second) in run {
                if let Some(first) = latest.insert(name_of(second as usize), second) {
                    repeats.push((second, first));
                }
            }
        }
    }
    repeats.sort_unstable();
    repeats
}

/// Sorts by the first component, stably (least significant digit first, 11 bits a pass).
fn radix_sort(keys: &mut Vec<(u32, u32)>) {
    const BITS: u32 = 11;
    const BUCKETS: usize = 1 << BITS;
    let mut other = vec![(0, 0); keys.len()];
    for pass in 0..32u32.div_ceil(BITS) {
        let shift = pass * BITS;
        let digit = |k: u32| ((k >> shift) as usize) & (BUCKETS - 1);
        let mut start = vec![0usize; BUCKETS + 1];
        for &(k, _) in keys.iter() {
            start[digit(k) + 1] += 1;
        }
        for d in 0..BUCKETS {
            start[d + 1] += start[d];
        }
        for &e in keys.iter() {
            let d = digit(e.0);
            other[start[d]] = e;
            start[d] += 1;
        }
        std::mem::swap(keys, &mut other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scope answers as the definition does (the latest binder of a name declared and not
    /// yet popped), across the moves of held binders: random programs of top-level binders,
    /// nested blocks with binders of the same names, and lookups, long enough to pass the
    /// held limit many times.
    #[test]
    fn a_scope_answers_with_the_innermost_binder_across_held_and_nested_binders() {
        let mut rng = crate::numeric::Rng::new(7);
        let pool: Vec<String> = (0..3000).map(|i| format!("v{i}")).collect();
        for round in 0..4 {
            let mut names: Vec<&str> = Vec::new();
            let mut scope = Scope::default();
            // The definition: every declaration still in scope, in order; block starts.
            let mut live: Vec<u32> = Vec::new();
            let mut blocks: Vec<(usize, usize)> = Vec::new();
            for _ in 0..20_000 {
                let r = rng.next_u64();
                let name = pool[(r >> 8) as usize % (500 + 800 * round)].as_str();
                match r % 16 {
                    0 if blocks.len() < 4 => blocks.push((live.len(), scope.mark())),
                    1 => {
                        if let Some((len, mark)) = blocks.pop() {
                            live.truncate(len);
                            let n = &names;
                            scope.pop(mark, |i| n[i as usize]);
                        }
                    }
                    2..=8 => {
                        let slot = names.len() as u32;
                        names.push(name);
                        live.push(slot);
                        let n = &names;
                        scope.declare(name, slot, !blocks.is_empty(), |i| n[i as usize]);
                    }
                    _ => {
                        let want = live.iter().rev().find(|&&s| names[s as usize] == name);
                        let n = &names;
                        assert_eq!(scope.get(name, |i| n[i as usize]), want.copied());
                    }
                }
            }
        }
    }

    /// Long bodies of top-level binders whose lookups mostly read recent names (so the large
    /// table is built late or never): lookups answer as the definition does, and
    /// [`Scope::distinct`] says whether all names differ, whether the table was built or not.
    #[test]
    fn a_scope_of_top_level_binders_answers_and_knows_when_names_repeat() {
        let mut rng = crate::numeric::Rng::new(11);
        for round in 0..12 {
            let len = [10, 3000, 4096, 4097, 9000, 20_000][round % 6];
            // Names distinct unless a repeat is planted; lookups far back only in odd rounds.
            let repeat_at = (round % 4 == 1).then(|| (rng.next_u64() as usize % len).max(1));
            let mut names: Vec<String> = (0..len).map(|i| format!("v{i}")).collect();
            if let Some(j) = repeat_at {
                names[j] = names[rng.next_u64() as usize % j].clone();
            }
            let mut scope = Scope::default();
            for j in 0..len {
                let n = &names;
                scope.declare(&names[j], j as u32, false, |i| n[i as usize].as_str());
                let back = if round % 2 == 1 && rng.next_u64().is_multiple_of(5000) {
                    rng.next_u64() as usize % (j + 1)
                } else {
                    (rng.next_u64() % 3) as usize
                };
                let k = j.saturating_sub(back);
                let want = names[..=j].iter().rposition(|m| *m == names[k]);
                let n = &names;
                let got = scope.get(&names[k], |i| n[i as usize].as_str());
                assert_eq!(got, want.map(|w| w as u32), "round {round}, binder {j}");
            }
            let n = &names;
            let distinct = scope.distinct(|i| n[i as usize].as_str());
            assert_eq!(distinct, repeat_at.is_none(), "round {round}");
        }
    }

    /// The definition: for each position, the latest earlier position with the same name.
    fn repeats_by_scan(names: &[&str]) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for (j, n) in names.iter().enumerate() {
            if let Some(i) = names[..j].iter().rposition(|m| m == n) {
                out.push((j as u32, i as u32));
            }
        }
        out
    }

    #[test]
    fn repeated_names_are_the_latest_earlier_occurrences() {
        let owned: Vec<String> = (0..3000)
            .map(|i| format!("v{}", (i * 7919) % 1000))
            .collect();
        let mut names: Vec<&str> = owned.iter().map(String::as_str).collect();
        names.extend(["a", "b", "a", "a", "c", "b"]);
        names.extend(std::iter::repeat_n("same", 20));
        let got = repeated_names(names.len(), |i| names[i]);
        assert_eq!(got, repeats_by_scan(&names));
        assert!(got.len() > 2000);
        let xyz = ["x", "y", "z"];
        assert_eq!(repeated_names(3, |i| xyz[i]), vec![]);
        assert_eq!(repeated_names(0, |i| xyz[i]), vec![]);
    }

    #[test]
    fn radix_sort_is_stable_and_sorts() {
        let mut keys: Vec<(u32, u32)> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) % 977 + (i % 3) * (1 << 30), i))
            .collect();
        let mut expected = keys.clone();
        expected.sort_by_key(|&(k, _)| k);
        radix_sort(&mut keys);
        assert_eq!(keys, expected);
    }

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
