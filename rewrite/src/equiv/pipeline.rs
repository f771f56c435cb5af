//! The claims on one program, through the transformations: JVP once, then unzip and
//! transpose under each checkpoint policy asked for.

use super::claims::{ClaimReport, Session};
use super::prove::Limits;
use crate::{Policy, RewriteError, jvp, transpose, unzip};
use semantics::{PrimTable, Program};

/// Which claims to prove.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Jvp,
    Unzip,
    Transpose,
    Vjp,
    All,
}

impl Which {
    pub fn parse(s: &str) -> Option<Which> {
        Some(match s {
            "jvp" => Which::Jvp,
            "unzip" => Which::Unzip,
            "transpose" => Which::Transpose,
            "vjp" => Which::Vjp,
            "all" => Which::All,
            _ => return None,
        })
    }

    fn has(self, w: Which) -> bool {
        self == Which::All || self == w
    }
}

/// The checkpoint policies proved by default: save-all, recompute-all, and a budget of one
/// scalar per function (which mixes saving and recomputing).
pub fn default_policies() -> Vec<Policy> {
    vec![Policy::SaveAll, Policy::RecomputeAll, Policy::Budget(1)]
}

/// Runs the transformations on `prog` and proves the claims asked for.
pub fn prove_program(
    prog: &Program,
    prims: &PrimTable,
    which: Which,
    policies: &[Policy],
    limits: Limits,
) -> Result<Vec<ClaimReport>, RewriteError> {
    let mut s = Session::new(prims, limits).map_err(|e| RewriteError::BadRule {
        prim: "derivative column".into(),
        reason: e,
    })?;
    let p = checker::elaborate(prog, prims).map_err(RewriteError::IllTyped)?;
    let j = jvp(&p, prims)?;
    let mut out = Vec::new();
    // The VJP is proved as the composition of the other claims' lemmas, so asking for it
    // proves them too (their reports are left out).
    let vjp = which.has(Which::Vjp);
    let jvps = s.jvp(&p, &j);
    if which.has(Which::Jvp) {
        out.extend(jvps);
    }
    if which == Which::Jvp {
        return Ok(out);
    }
    for policy in policies {
        let name = policy.to_string();
        let u = unzip(&j, prims, *policy)?;
        let ut = format!("U-{name}");
        if which.has(Which::Unzip) || vjp {
            let rs = s.unzip(&j, &u.program, &ut, &name);
            if which.has(Which::Unzip) {
                out.extend(rs);
            }
        }
        if which.has(Which::Transpose) || vjp {
            let t = transpose(&u.program, prims)?;
            let tt = format!("T-{name}");
            let rs = s.transpose(&u.program, &ut, &t, &tt, Some(&name));
            if which.has(Which::Transpose) {
                out.extend(rs);
            }
            if vjp {
                out.extend(s.vjp_via(&p, &t, &tt, Some(&ut), &name));
            }
        }
    }
    Ok(out)
}
