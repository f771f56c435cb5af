//! The one source of fresh names: the parser's desugaring temporaries (`_t1`), elaboration's
//! copies (`x_1'`) and the transformations' generated slots (`FnBuilder`, `t_3'`) all come
//! from a [`Fresh`].
//!
//! **The guarantee.** A fresh name is `stem ++ n ++ prime`, where `n` is a decimal counter
//! without leading zeros, `prime` is `'` for a linear name and empty otherwise, and the stem
//! has no primes and does not end in a digit (`make` drops its primes and appends `_` to one
//! that ends in a digit or is empty). Such a name determines its
//! stem, counter and sort, and each stem's counter only grows, so **two fresh names made since
//! the last [`Fresh::restart`] never equal each other**. A candidate is skipped when it equals a
//! name passed to [`Fresh::avoid`], so **a fresh name never equals a name of the program**
//! provided every name of the program that could be spelled so was avoided (the caller avoids
//! at least those starting with the stems it uses).
//!
//! Avoided names are kept as 64-bit hashes, not `String`s: a hash shared by
//! two names only makes a candidate be skipped, never accepted, so the guarantee does not rest
//! on the hash.

use crate::syntax::{CompactString, Fnv, NameMap};
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// Names kept by a 64-bit hash of their spelling: `contains` may answer `true` for a name
/// never inserted (two names with one hash), never `false` for one inserted. A name is given
/// in parts (`["x", "'"]`) so it is hashed without being built.
#[derive(Default)]
struct HashedNames {
    set: HashSet<u64, BuildHasherDefault<Identity>>,
}

impl HashedNames {
    fn reserve(&mut self, n: usize) {
        self.set.reserve(n);
    }

    fn insert(&mut self, parts: &[&str]) {
        self.set.insert(hash(parts));
    }

    /// Inserts; whether the name (its hash) was not there yet.
    fn take(&mut self, parts: &[&str]) -> bool {
        self.set.insert(hash(parts))
    }

    fn contains(&self, parts: &[&str]) -> bool {
        !self.set.is_empty() && self.set.contains(&hash(parts))
    }
}

/// The FNV-1a hash of the concatenation of `parts`.
fn hash(parts: &[&str]) -> u64 {
    let mut h = Fnv::default();
    for p in parts {
        h.write(p.as_bytes());
    }
    h.finish()
}

/// A key that is already a hash is its own hash.
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

/// Fresh names, one counter per stem (shared by both sorts); see the module docs.
#[derive(Default)]
pub struct Fresh {
    avoided: HashedNames,
    /// The last counter used, per stem, except the stem in `recent`.
    next: NameMap<String, u32>,
    /// The stem used last and its counter (the parser makes a million names of one stem; two
    /// table lookups per name were 1.5% of `lina eval`).
    recent: Option<(String, u32)>,
    /// The last name [`Fresh::make_str`] made (its storage reused for the next one).
    made: String,
    /// Where [`Fresh::make`] spells a name before copying it into the (inline) result.
    scratch: String,
    /// `Some(n)` when `made` is the recent stem's spelling, the decimal `n` and a prime if
    /// `made_linear`: the next name of that stem is then counted in place, as an odometer
    /// ([`increment_decimal`]), instead of spelling its whole counter again.
    made_n: Option<u32>,
    made_linear: bool,
    /// The stem [`Fresh::make_static`] last made a name of, while `made_n` is `Some` for it:
    /// the same `'static` string again (one pointer comparison) is then counted on without
    /// [`Fresh::spells`] comparing its spelling.
    made_static: Option<&'static str>,
}

impl Fresh {
    pub fn new() -> Fresh {
        Fresh::default()
    }

    /// Room for `n` more avoided names.
    pub fn reserve(&mut self, n: usize) {
        self.avoided.reserve(n);
    }

    /// Whether `name` is spelled as some fresh name could be: digits at the end, before at
    /// most one prime. Only such names need avoiding.
    pub fn could_be_fresh(name: &str) -> bool {
        let stem = name.strip_suffix('\'').unwrap_or(name);
        stem.ends_with(|c: char| c.is_ascii_digit())
    }

    /// No fresh name made from now on equals `name`. A caller may leave out names no fresh
    /// name of its stems can equal ([`Fresh::could_be_fresh`], a stem prefix) to keep the
    /// table small, or record every name to ask [`Fresh::is_avoided`] about any.
    pub fn avoid(&mut self, name: &str) {
        self.avoided.insert(&[name]);
    }

    /// Avoids the name spelled by `parts` and says whether it was free (not avoided before, nor
    /// sharing a hash with an avoided name): [`Fresh::is_avoided`] then [`Fresh::avoid`] with
    /// one hash and one table probe instead of two.
    pub fn take(&mut self, parts: &[&str]) -> bool {
        self.avoided.take(parts)
    }

    /// Whether the name spelled by `parts` was avoided (or shares a hash with one that was).
    pub fn is_avoided(&self, parts: &[&str]) -> bool {
        self.avoided.contains(parts)
    }

    /// Whether the names spelled by `names` (each in three parts, concatenated) are pairwise
    /// distinct, judged by their 64-bit hashes: `true` is certain (two names with different
    /// hashes differ); `false` when two share a hash (equal names, or rarely a collision), so a
    /// caller that gets `false` takes its checked path. The hashes are sorted, not inserted
    /// into a table: at a million names every table insertion misses the caches, while a sort
    /// streams through memory.
    pub fn distinct<'a>(names: impl Iterator<Item = [&'a str; 3]>) -> bool {
        let mut hashes: Vec<u64> = names.map(|parts| hash(&parts)).collect();
        hashes.sort_unstable();
        hashes.windows(2).all(|w| w[0] != w[1])
    }

    /// Counters start again from 1 (the avoided names stay): for a scope whose fresh names
    /// need not differ from the previous scope's (the parser's functions).
    pub fn restart(&mut self) {
        self.next.clear();
        self.recent = None;
        self.made_n = None;
        self.made_static = None;
    }

    /// A new name `stem ++ n`, primed if `linear`, for the next `n` whose name is not avoided.
    pub fn make(&mut self, stem: &str, linear: bool) -> CompactString {
        // The recent stem may change: `made` is then no longer its spelling.
        self.made_n = None;
        self.made_static = None;
        let mut name = std::mem::take(&mut self.scratch);
        let stem_len = Self::spell_into(&mut name, stem);
        if !matches!(&self.recent, Some((s, _)) if *s == name) {
            // Another stem: the recent one's counter goes back to the table and its string is
            // reused for this one (a JVP alternates its rules' stems, `c_`, `t1_`, `t2_`: moving
            // strings in and out of the table allocated one per name made).
            let start = self.next.get(name.as_str()).copied().unwrap_or(0);
            match &mut self.recent {
                Some((stem, last)) => {
                    match self.next.get_mut(stem.as_str()) {
                        Some(slot) => *slot = *last,
                        None => {
                            self.next.insert(stem.clone(), *last);
                        }
                    }
                    stem.clear();
                    stem.push_str(&name);
                    *last = start;
                }
                None => self.recent = Some((name.clone(), start)),
            }
        }
        let (_, n) = self.recent.get_or_insert_with(|| (name.clone(), 0));
        Self::first_free(&self.avoided, &mut name, stem_len, linear, n);
        let made = CompactString::new(&name);
        self.scratch = name;
        made
    }
}

impl Fresh {
    /// [`Fresh::make`] without a string per name: the name is written into a buffer the next
    /// call reuses, for a caller that copies it at once (the parser, which names a million
    /// temporaries of one stem). The names made are `make`'s, in the same order.
    pub fn make_str(&mut self, stem: &str, linear: bool) -> &str {
        self.made_static = None;
        match &mut self.recent {
            Some((spelled, n)) if Self::spells(spelled, stem) => {
                if self.made_n == Some(*n) {
                    Self::count_on(&mut self.made, self.made_linear, n, linear, &self.avoided);
                } else {
                    self.made.clear();
                    self.made.push_str(spelled);
                    let stem_len = spelled.len();
                    Self::first_free(&self.avoided, &mut self.made, stem_len, linear, n);
                }
                self.made_n = Some(*n);
            }
            _ => {
                let made = self.make(stem, linear);
                self.made.clear();
                self.made.push_str(&made);
                self.made_n = self.recent.as_ref().map(|(_, n)| *n);
            }
        }
        self.made_linear = linear;
        &self.made
    }

    /// [`Fresh::make_str`] for a `'static` stem (the parser's `_t`): when it made the last name
    /// and of this very string, the next is counted on at once, as `make_str` would.
    pub fn make_static(&mut self, stem: &'static str, linear: bool) -> &str {
        if self.made_static.is_some_and(|s| std::ptr::eq(s, stem))
            && let Some((_, n)) = &mut self.recent
        {
            // `made_static` is only `Some` while `made_n` is the recent stem's counter, which
            // is `stem`'s spelling.
            Self::count_on(&mut self.made, self.made_linear, n, linear, &self.avoided);
            self.made_n = Some(*n);
            self.made_linear = linear;
            return &self.made;
        }
        self.make_str(stem, linear);
        self.made_static = self.made_n.map(|_| stem);
        &self.made
    }

    /// `made`, the recent stem's spelling with the decimal `n` and a prime if `made_linear`,
    /// becomes its next name not avoided, counted on in place; `n` becomes its counter.
    fn count_on(
        made: &mut String,
        made_linear: bool,
        n: &mut u32,
        linear: bool,
        avoided: &HashedNames,
    ) {
        if made_linear {
            made.pop();
        }
        loop {
            *n += 1;
            increment_decimal(made);
            if linear {
                made.push('\'');
            }
            if !avoided.contains(&[made]) {
                break;
            }
            if linear {
                made.pop();
            }
        }
    }

    /// Whether `spelled` is [`Fresh::spelled`]'s spelling of `stem` (compared, not built).
    fn spells(spelled: &str, stem: &str) -> bool {
        let stem = stem.trim_end_matches('\'');
        let underscore = stem.is_empty() || stem.ends_with(|c: char| c.is_ascii_digit());
        match spelled.strip_prefix(stem) {
            Some(rest) => rest == if underscore { "_" } else { "" },
            None => false,
        }
    }

    /// Writes the stem into `name` (cleared first), unprimed, with `_` after a final digit (so
    /// `x1`'s names never read as `x`'s), and gives its length.
    fn spell_into(name: &mut String, stem: &str) -> usize {
        let stem = stem.trim_end_matches('\'');
        name.clear();
        name.push_str(stem);
        if stem.is_empty() || stem.ends_with(|c: char| c.is_ascii_digit()) {
            name.push('_');
        }
        name.len()
    }

    /// `stem ++ n` for the next `n` after `*n` whose name is not avoided, written into `name`
    /// after its first `stem_len` bytes (the stem).
    fn first_free(
        avoided: &HashedNames,
        name: &mut String,
        stem_len: usize,
        linear: bool,
        n: &mut u32,
    ) {
        loop {
            *n += 1;
            name.truncate(stem_len);
            push_decimal(name, *n);
            if linear {
                name.push('\'');
            }
            if !avoided.contains(&[name]) {
                return;
            }
        }
    }

    /// [`Fresh::make`] counting in the caller's counter `n` (the last one used, 0 at first)
    /// instead of the stem's, for a caller that makes every name of `stem` with that one
    /// counter since the last [`Fresh::restart`] and uses no other counter for it (dup/drop
    /// insertion, whose stems are its linear names, once each when they are distinct): the
    /// per-stem table then holds no string per stem. The guarantee is unchanged.
    pub fn make_counted(&mut self, stem: &str, linear: bool, n: &mut u32) -> CompactString {
        let mut name = std::mem::take(&mut self.scratch);
        let stem_len = Self::spell_into(&mut name, stem);
        Self::first_free(&self.avoided, &mut name, stem_len, linear, n);
        let made = CompactString::new(&name);
        self.scratch = name;
        made
    }
}

/// `name` ends with a decimal `n` after a character that is not a digit: it is made to end
/// with `n + 1`, in place (the trailing nines become zeros, the digit before them grows, or a
/// `1` is put before them).
fn increment_decimal(name: &mut String) {
    let mut nines = 0;
    while name.ends_with('9') {
        name.pop();
        nines += 1;
    }
    match name.pop() {
        Some(d @ '0'..='8') => name.push(char::from(d as u8 + 1)),
        other => {
            if let Some(c) = other {
                name.push(c);
            }
            name.push('1');
        }
    }
    for _ in 0..nines {
        name.push('0');
    }
}

/// Appends `n` in decimal (without the formatting machinery: a name is made per generated
/// slot, a million times on the longest programs).
fn push_decimal(out: &mut String, n: u32) {
    // The largest power of ten not above `n`, then the digits from the most significant, each
    // an ASCII `char` (one byte: a `str::from_utf8` of the run, to copy it at once, cost more
    // than the few pushes it saved).
    let mut scale = 1;
    while n / scale >= 10 {
        scale *= 10;
    }
    out.reserve(10);
    loop {
        let digit = (n / scale % 10) as u8;
        out.push(char::from(b'0' + digit));
        if scale == 1 {
            break;
        }
        scale /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decimal_counted_in_place_is_the_next_number_spelled() {
        for n in (0..2000).chain([9_999, 99_999, 123_456_789, 999_999_999]) {
            let mut s = format!("_t{n}");
            increment_decimal(&mut s);
            assert_eq!(s, format!("_t{}", n + 1));
        }
    }

    /// `make_str`'s names counted in place are `make`'s, across sorts, avoided names, other
    /// stems made in between and restarts.
    #[test]
    fn names_made_in_place_are_the_names_make_makes() {
        let (mut a, mut b) = (Fresh::new(), Fresh::new());
        for f in [&mut a, &mut b] {
            for avoided in ["_t9", "_t10'", "_t11", "_t99", "_t100", "x_3"] {
                f.avoid(avoided);
            }
        }
        for k in 0..400 {
            let linear = k % 7 == 3;
            let stem = if k % 53 == 17 { "x" } else { "_t" };
            if k == 250 {
                a.restart();
                b.restart();
            }
            let slow = b.make(stem, linear);
            assert_eq!(a.make_str(stem, linear), slow.as_str(), "name {k}");
        }
    }

    /// `make_static`'s names are `make`'s, with `make`, `make_str` (another stem, and the
    /// same stem from another string) and restarts in between.
    #[test]
    fn names_made_from_a_static_stem_are_the_names_make_makes() {
        static OTHER_T: &str = "_t";
        let (mut a, mut b) = (Fresh::new(), Fresh::new());
        for f in [&mut a, &mut b] {
            for avoided in ["_t9", "_t10'", "_t11", "_t99", "_t100", "x_3", "_t1"] {
                f.avoid(avoided);
            }
        }
        for k in 0..600 {
            let linear = k % 7 == 3;
            if k == 250 {
                a.restart();
                b.restart();
            }
            let (stem, made) = match k % 41 {
                5 => ("x", a.make("x", linear).to_string()),
                11 => ("y", a.make_str("y", linear).to_string()),
                17 => ("_t", a.make_str(OTHER_T, linear).to_string()),
                23 => ("_t", a.make("_t", linear).to_string()),
                29 => ("_t'", a.make_static("_t'", linear).to_string()),
                _ => ("_t", a.make_static("_t", linear).to_string()),
            };
            assert_eq!(made, b.make(stem, linear).as_str(), "name {k}");
        }
    }

    #[test]
    fn push_decimal_writes_what_display_writes() {
        for n in [0, 7, 10, 99, 1000, 123_456_789, u32::MAX] {
            let mut s = String::from("v");
            push_decimal(&mut s, n);
            assert_eq!(s, format!("v{n}"));
        }
    }

    #[test]
    fn names_count_per_stem_across_sorts_and_skip_avoided_ones() {
        let mut f = Fresh::new();
        f.avoid("_t2");
        f.avoid("x_1'");
        f.avoid("plain");
        assert!(f.is_avoided(&["pl", "ain"]) && !f.is_avoided(&["x_1"]));
        let got = [
            f.make("_t", false),
            f.make("_t", false),
            f.make("_t", true),
            f.make("x_", true),
            f.make("x_", false),
        ];
        assert_eq!(got, ["_t1", "_t3", "_t4'", "x_2'", "x_3"]);
        f.restart();
        assert_eq!(f.make("_t", false), "_t1");
    }

    /// `make_str` makes `make`'s names in `make`'s order, whichever stems alternate (one
    /// ending in a digit, one primed, the empty one), with avoided names skipped.
    #[test]
    fn make_str_makes_what_make_makes() {
        let stems = ["_t", "_t", "x1", "_t'", "", "x1", "x1'", "_t", "", "y"];
        let (mut a, mut b) = (Fresh::new(), Fresh::new());
        for f in [&mut a, &mut b] {
            for n in ["_t2", "x1_2'", "_3", "_t5'", "y1"] {
                f.avoid(n);
            }
        }
        for (i, stem) in stems.iter().cycle().take(40).enumerate() {
            let linear = i % 3 == 1;
            let made = b.make_str(stem, linear).to_string();
            assert_eq!(a.make(stem, linear), made, "name {i}, stem {stem:?}");
            if i == 25 {
                a.restart();
                b.restart();
            }
        }
        assert_eq!(Fresh::new().make_str("_t", false), "_t1");
    }

    /// A caller's counter makes what the stem's counter makes.
    #[test]
    fn counted_names_are_the_stems_names() {
        let (mut a, mut b) = (Fresh::new(), Fresh::new());
        for f in [&mut a, &mut b] {
            f.avoid("x_2'");
            f.avoid("y1_1");
        }
        let mut n = 0;
        let counted = [
            b.make_counted("x_", true, &mut n),
            b.make_counted("x_", true, &mut n),
            b.make_counted("x_", false, &mut n),
        ];
        let made = [a.make("x_", true), a.make("x_", true), a.make("x_", false)];
        assert_eq!(counted, made);
        assert_eq!(counted, ["x_1'", "x_3'", "x_4"]);
        let mut m = 0;
        assert_eq!(b.make_counted("y1", false, &mut m), a.make("y1", false));
        assert_eq!(m, 2);
    }

    #[test]
    fn a_stem_ending_in_a_digit_is_separated() {
        // `x1` with counter 2 would be `x12`, which is also stem `x` with counter 12.
        let mut f = Fresh::new();
        assert_eq!(f.make("x1", false), "x1_1");
        assert_eq!(f.make("", true), "_1'");
        assert_eq!(f.make("y'", true), "y1'", "a stem's primes are dropped");
    }

    #[test]
    fn distinct_names_are_told_from_repeated_ones() {
        let spelled = |ns: &[[&'static str; 3]]| Fresh::distinct(ns.iter().copied());
        assert!(spelled(&[]));
        assert!(spelled(&[["x", "", "'"], ["x", "", ""], ["x", "_ct", "'"]]));
        // The parts are concatenated: `x_ct` + `'` is `x` + `_ct'`.
        assert!(!spelled(&[["x_ct", "", "'"], ["x", "_ct", "'"]]));
        assert!(!spelled(&[["a", "", ""], ["b", "", ""], ["a", "", ""]]));
    }

    /// The guarantee, checked on many stems that share prefixes: no two fresh names are equal
    /// and none equals an avoided name.
    #[test]
    fn fresh_names_are_distinct_and_avoid_the_program() {
        let program: Vec<String> = (0..200)
            .flat_map(|i| [format!("a_{i}"), format!("a_b_{i}'"), format!("_t{i}")])
            .collect();
        let mut f = Fresh::new();
        for n in &program {
            f.avoid(n);
        }
        let stems = ["a_", "a_b_", "_t", "a", "_"];
        let mut seen: HashSet<String> = program.iter().cloned().collect();
        for k in 0..3000 {
            let name = f.make(stems[k % stems.len()], k % 3 == 0);
            assert!(
                seen.insert(name.to_string()),
                "{name} made twice or avoided"
            );
        }
    }
}
