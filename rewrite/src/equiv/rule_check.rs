//! A JVP rule against its primitive's derivative column: its tangent's coefficients are the
//! column's partials, proved like any claim. Rule
//! loading ([`crate::JvpRules`]) refuses a row where this fails, naming the primitive.

use super::claims::Session;
use super::lower::coefficient;
use super::prove::{Limits, Outcome, prove};
use semantics::{PrimId, PrimTable, Program};

/// `Ok` when `rule` (the one function `p.jvp` of its program) agrees with `p`'s column.
pub fn jvp_rule_agrees(prims: &PrimTable, p: PrimId, rule: &Program) -> Result<(), String> {
    let f = rule.funcs.first().ok_or("no rule")?;
    let mut s = Session::new(prims, Limits::default())?;
    let (inputs, low) = s.lowered(rule, "R", f)?;
    let partials = s.columns.partials(&mut s.dag, prims, p, &inputs)?;
    let zero = s.dag.num(0.0);
    // The primal is checked bit for bit at sample points by the loader; here, the tangent.
    let Some(tangent) = low.lin.first() else {
        return Err("the rule does not return a tangent".into());
    };
    let mut pairs = Vec::new();
    for (i, &d) in partials.iter().enumerate() {
        let c = coefficient(tangent, i as u32).unwrap_or(zero);
        pairs.push((format!("the coefficient of tangent {i}"), c, d));
    }
    for (what, l, r) in pairs {
        let v = prove(&s.dag, prims, what, l, r, &[], &s.limits);
        match v.outcome {
            Outcome::Proved => {}
            Outcome::Refuted => {
                let cx = v.counterexample.map_or(String::new(), |c| {
                    let at: Vec<String> =
                        c.point.iter().map(|(n, x)| format!("{n} = {x}")).collect();
                    format!(" (at {}: {} against {})", at.join(", "), c.lhs, c.rhs)
                });
                return Err(format!("{} differs from the column{cx}", v.what));
            }
            Outcome::Unknown => {
                return Err(format!(
                    "{} is not proved equal to the column ({})",
                    v.what,
                    v.reason.unwrap_or_default()
                ));
            }
        }
    }
    Ok(())
}
