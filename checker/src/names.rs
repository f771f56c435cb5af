//! Tables keyed by a variable's spelling. Names are short and not adversarial enough to need
//! SipHash's protection (a program's author only slows down their own check), so the tables use
//! FNV-1a, which is several times faster on a million binders.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

pub use semantics::Fnv;

pub(crate) type NameMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

pub(crate) fn name_map<K, V>(capacity: usize) -> NameMap<K, V> {
    HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}
