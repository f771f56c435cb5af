//! The rewrite rules of the prover: **one table**, stated once as text ([`RULES`]), from
//! which [`rules()`] builds egg rewrites (and from which a certificate kernel can parse the
//! same statements).
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

/// `name: lhs => rhs` (one direction) or `name: lhs <=> rhs` (both; the reverse is
/// registered as `name-rev`), in egg's pattern syntax over the primitive table's names.
pub const RULES: &str = "
add-comm: (add ?a ?b) => (add ?b ?a)
add-assoc: (add ?a (add ?b ?c)) <=> (add (add ?a ?b) ?c)
mul-comm: (mul ?a ?b) => (mul ?b ?a)
mul-assoc: (mul ?a (mul ?b ?c)) <=> (mul (mul ?a ?b) ?c)
add-zero: (add ?a 0) => ?a
mul-one: (mul ?a 1) => ?a
distribute: (mul ?a (add ?b ?c)) <=> (add (mul ?a ?b) (mul ?a ?c))
double: (add ?a ?a) <=> (mul 2 ?a)
sub-as-add: (sub ?a ?b) <=> (add ?a (neg ?b))
neg-as-mul: (neg ?a) <=> (mul -1 ?a)
neg-one-squared: (mul -1 -1) => 1
div-as-mul: (div ?a ?b) <=> (mul ?a (div 1 ?b))
recip-mul: (div 1 (mul ?a ?b)) <=> (mul (div 1 ?a) (div 1 ?b))
recip-one: (div 1 1) => 1
ladd-comm: (ladd ?x ?y) => (ladd ?y ?x)
ladd-assoc: (ladd ?x (ladd ?y ?z)) <=> (ladd (ladd ?x ?y) ?z)
ladd-zero: (ladd ?x zero) => ?x
scale-one: (scale 1 ?x) => ?x
scale-scale: (scale ?a (scale ?b ?x)) <=> (scale (mul ?a ?b) ?x)
scale-ladd: (scale ?a (ladd ?x ?y)) <=> (ladd (scale ?a ?x) (scale ?a ?y))
scale-add: (scale (add ?a ?b) ?x) <=> (ladd (scale ?a ?x) (scale ?b ?x))
";

/// One statement of [`RULES`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RuleText {
    pub name: String,
    pub lhs: String,
    pub rhs: String,
    pub both_ways: bool,
}

/// The statements of a rule table, or the line that does not parse.
pub fn parse_rules(text: &str) -> Result<Vec<RuleText>, String> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, rest) = line
            .split_once(':')
            .ok_or_else(|| format!("no `name:` in `{line}`"))?;
        let (lhs, rhs, both_ways) = if let Some((l, r)) = rest.split_once("<=>") {
            (l, r, true)
        } else if let Some((l, r)) = rest.split_once("=>") {
            (l, r, false)
        } else {
            return Err(format!("no `=>` in `{line}`"));
        };
        out.push(RuleText {
            name: name.trim().to_string(),
            lhs: lhs.trim().to_string(),
            rhs: rhs.trim().to_string(),
            both_ways,
        });
    }
    Ok(out)
}

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
