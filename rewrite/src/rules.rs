//! The JVP rule of every primitive, loaded from the primitive table and checked.
//!
//! A rule is written in Linear A (`jvp sin(x ; x') = let y = sin(x) in ... (y ; c * x')`). At
//! load, each rule is parsed as the function `p.jvp(x1: R, ... ; x1': R, ...) -> (R ; R)`,
//! **type-checked strictly** by the checker (so it is linear in the tangents) and evaluated at
//! sample points to confirm it returns the primal exactly as the primitive computes it. A bad
//! rule is an error naming the primitive, and so is a rule whose tangent is not proved equal
//! to the table's derivative column (`crate::equiv::rule_check`). Rule work is known statically, so the JVP work
//! constant is derived from this table ([`JvpRules::c_prim`]), not written by hand.

use crate::error::RewriteError;
use semantics::*;

pub struct JvpRule {
    /// The rule as a function `p.jvp` (the only function of its program).
    pub def: FnDef,
    /// The static work of the rule's body.
    pub work: u128,
}

pub struct JvpRules {
    /// Indexed by [`PrimId`].
    pub rules: Vec<JvpRule>,
}

/// Sample points at which every rule's primal must equal the primitive's, bit for bit
/// (inside every primitive's domain).
const SAMPLES: [f64; 4] = [0.3, 0.7, 1.9, 2.5];

impl JvpRules {
    pub fn load(prims: &PrimTable) -> Result<JvpRules, RewriteError> {
        let rules = prims
            .rows()
            .map(|(id, row)| load_rule(id, row, prims))
            .collect::<Result<_, _>>()?;
        Ok(JvpRules { rules })
    }

    /// The rules of the standard table, loaded and checked once per process.
    pub fn standard() -> Result<&'static JvpRules, RewriteError> {
        static RULES: std::sync::OnceLock<Result<JvpRules, RewriteError>> =
            std::sync::OnceLock::new();
        RULES
            .get_or_init(|| JvpRules::load(PrimTable::standard()))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn get(&self, p: PrimId) -> Option<&JvpRule> {
        self.rules.get(p.0 as usize)
    }

    /// `W(rule) / W(let x = p(a1..an))` for each primitive: the work a primitive binding
    /// costs after JVP against before it (`1 + cost(p) + n`), as (numerator, denominator).
    pub fn c_prim(&self, prims: &PrimTable) -> Vec<(&'static str, u128, u128)> {
        prims
            .rows()
            .zip(&self.rules)
            .map(|((_, row), rule)| (row.name, rule.work, 1 + row.cost + row.arity as u128))
            .collect()
    }
}

fn bad(row: &Prim, reason: impl Into<String>) -> RewriteError {
    RewriteError::BadRule {
        prim: row.name.to_string(),
        reason: reason.into(),
    }
}

/// `jvp p(a, b ; a', b') = body` as `def p.jvp(a: R, b: R ; a': R, b': R) -> (R ; R) = body`.
fn as_def(row: &Prim) -> Result<String, RewriteError> {
    let text = row.jvp.trim();
    let rest = text
        .strip_prefix("jvp")
        .ok_or_else(|| bad(row, "a rule starts with `jvp`"))?
        .trim_start();
    let open = rest.find('(').ok_or_else(|| bad(row, "no `(`"))?;
    let close = rest.find(')').ok_or_else(|| bad(row, "no `)`"))?;
    if rest[..open].trim() != row.name {
        return Err(bad(
            row,
            format!("the rule is for `{}`", rest[..open].trim()),
        ));
    }
    let body = rest[close + 1..]
        .trim_start()
        .strip_prefix('=')
        .ok_or_else(|| bad(row, "no `=` after the parameters"))?;
    let (nl, lin) = rest[open + 1..close]
        .split_once(';')
        .ok_or_else(|| bad(row, "no `;` between primals and tangents"))?;
    let typed = |s: &str| {
        s.split(',')
            .map(|p| format!("{}: R", p.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(format!(
        "def {}.jvp({} ; {}) -> (R ; R) = {body}",
        row.name,
        typed(nl),
        typed(lin)
    ))
}

fn load_rule(id: PrimId, row: &Prim, prims: &PrimTable) -> Result<JvpRule, RewriteError> {
    let src = as_def(row)?;
    let prog = parse_with(&src, prims)
        .map_err(|d| bad(row, format!("it does not parse: {}", d[0].message)))?;
    checker::accepts(&prog, prims, checker::Options::default()).map_err(|d| {
        bad(
            row,
            format!("it is ill-typed: {} [{}]", d[0].message, d[0].code),
        )
    })?;
    let def = prog
        .funcs
        .into_iter()
        .next()
        .ok_or_else(|| bad(row, "no rule"))?;
    if def.params.len() != row.arity || def.lparams.len() != row.arity {
        return Err(bad(
            row,
            format!(
                "it takes {} primals and {} tangents; the primitive takes {}",
                def.params.len(),
                def.lparams.len(),
                row.arity
            ),
        ));
    }
    let one = Program { funcs: vec![def] };
    let work = static_work(&one, prims).map_err(|e| bad(row, e.message))?[0];
    for k in 0..SAMPLES.len() {
        let xs: Vec<f64> = (0..row.arity)
            .map(|i| SAMPLES[(k + i) % SAMPLES.len()])
            .collect();
        let args: Vec<Value> = xs.iter().map(|&x| Value::Real(x)).collect();
        let tangents = vec![Value::Real(0.0); row.arity];
        let out = eval_fn(&one, prims, FuncId(0), &args, &tangents)
            .map_err(|e| bad(row, e.to_string()))?;
        let want = Value::Real((row.eval)(&xs));
        if !out.nl.first().is_some_and(|y| y.bit_eq(&want)) {
            return Err(bad(
                row,
                format!("its primal at {xs:?} is not the primitive's value {want}"),
            ));
        }
    }
    // The rule against the table's independent derivative column, proved over the reals.
    if prims.derivative(id).is_some() {
        crate::equiv::rule_check::jvp_rule_agrees(prims, id, &one).map_err(|e| {
            bad(
                row,
                format!("its JVP rule disagrees with its derivative column: {e}"),
            )
        })?;
    }
    let def = one
        .funcs
        .into_iter()
        .next()
        .ok_or_else(|| bad(row, "no rule"))?;
    Ok(JvpRule { def, work })
}
