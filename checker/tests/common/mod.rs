//! Helpers shared by the checker's test suites.
#![allow(dead_code)]

use checker::Options;
use semantics::corpus::{self, CorpusFile};
use semantics::*;

pub const STRICT: Options = Options { relaxed: false };
pub const RELAXED: Options = Options { relaxed: true };

pub fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

/// Every well-typed corpus program: `corpus/*.la` and `corpus/linear/*.la`.
pub fn well_typed_corpus() -> Vec<CorpusFile> {
    let mut files = corpus::load("").expect("corpus/");
    files.extend(corpus::load("linear").expect("corpus/linear/"));
    assert!(!files.is_empty(), "the corpus is empty");
    files
}

pub fn parse_ok(name: &str, src: &str) -> Program {
    parse(src).unwrap_or_else(|d| panic!("{name} does not parse:\n{}", render(&d, name, src)))
}

/// Checks a program that must be well-typed, showing the diagnostics if it is not.
pub fn accept(name: &str, src: &str, prog: &Program, opts: Options) -> checker::Checked {
    checker::check(prog, prims(), opts).unwrap_or_else(|d| {
        panic!(
            "{name} should type-check ({}):\n{}",
            if opts.relaxed { "relaxed" } else { "strict" },
            render(&d, name, src)
        )
    })
}

/// Parses and checks a one-off program, returning the diagnostic codes (empty: accepted).
pub fn codes(src: &str, opts: Options) -> Vec<&'static str> {
    let p = parse_ok("test.la", src);
    match checker::check(&p, prims(), opts) {
        Ok(_) => vec![],
        Err(d) => d.iter().map(|d| d.code).collect(),
    }
}

/// Same shape and the same bits in every leaf.
pub fn same_values(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.bit_eq(y))
}
