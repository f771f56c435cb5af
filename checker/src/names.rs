//! Tables keyed by a variable's spelling. Names are short and not adversarial enough to need
//! SipHash's protection (a program's author only slows down their own check), so the tables use
//! FNV-1a, which is several times faster on a million binders.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The FNV-1a hash (also `rewrite`'s, for the names its passes generate).
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type NameMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;
pub(crate) type NameSet<K> = HashSet<K, BuildHasherDefault<Fnv>>;

pub(crate) fn name_map<K, V>(capacity: usize) -> NameMap<K, V> {
    HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}
