//! The rewrite rules, stated **once**, as text: the prover (`rewrite::equiv::rules`) builds
//! egg's `rules()` from it. (The certificate kernel does not replay these steps: it decides
//! each obligation with its own ring normaliser, `checker::kernel::ring`, `docs/certificates.md`.)
//!
//! A rule is admitted only if it holds over the reals and both sides are defined at exactly
//! the same points (so `a / a => 1` and `x * 0 => 0` are absent). `rewrite/tests/equiv_rules.rs`
//! evaluates both sides of every row at random and special points.

/// `name: lhs => rhs` (one direction) or `name: lhs <=> rhs` (both; the prover registers the
/// reverse as `name-rev`), in egg's pattern syntax over the primitive table's names and the
/// linear core (`ladd`, `scale`, `zero`). A proof may apply any row in either direction: a
/// row is an equation.
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
