//! The rewrite rules of the prover: **one table**, stated once as text ([`RULES`], which
//! [`super::rule_text`]), from which [`rules()`] builds
//! egg rewrites.
//!
//! Proofs are about **real numbers**, not floating point. A rule is admitted only if it holds
//! over the reals at every point, and both sides are defined at exactly the same points (so
//! `a / a => 1` is absent: it is defined where `a / a` is not; so is `x * 0 => 0`). Every
//! rule is also checked numerically at random and special points by a property test
//! (`rewrite/tests/equiv_rules.rs`), so an unsound rule cannot sit in the table.

use super::language::Term;
use egg::{Pattern, Rewrite};
use std::str::FromStr;

pub type Rule = Rewrite<Term, ()>;

// The table and its parser: each rule stated once.
pub use super::rule_text::{RULES, RuleText, parse_rules};

/// egg rewrites for statements (the reverse of a two-way rule is `name-rev`).
pub fn rewrites(texts: &[RuleText]) -> Result<Vec<Rule>, String> {
    let mut out = Vec::new();
    for r in texts {
        out.push(rewrite(&r.name, &r.lhs, &r.rhs)?);
        if r.both_ways {
            out.push(rewrite(&format!("{}-rev", r.name), &r.rhs, &r.lhs)?);
        }
    }
    Ok(out)
}

pub fn rewrite(name: &str, lhs: &str, rhs: &str) -> Result<Rule, String> {
    let l = Pattern::from_str(lhs).map_err(|e| format!("rule `{name}`: {e}"))?;
    let r = Pattern::from_str(rhs).map_err(|e| format!("rule `{name}`: {e}"))?;
    Rewrite::new(name, l, r).map_err(|e| format!("rule `{name}`: {e}"))
}

/// The prover's rules, built once from [`RULES`].
pub fn rules() -> &'static [Rule] {
    static RULES_BUILT: std::sync::OnceLock<Vec<Rule>> = std::sync::OnceLock::new();
    RULES_BUILT.get_or_init(|| {
        // The table is a constant checked by the test suite; an error here is a bug of the
        // table, never of user input.
        parse_rules(RULES)
            .and_then(|t| rewrites(&t))
            .unwrap_or_default()
    })
}

/// A rule applied in a proof, named as in [`RULES`], and whether it was applied from its
/// `rhs` to its `lhs`.
pub fn base_name(applied: &str) -> (&str, bool) {
    match applied.strip_suffix("-rev") {
        Some(base) => (base, true),
        None => (applied, false),
    }
}
