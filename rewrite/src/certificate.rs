//! Certificates (SPEC §6): a transformation's input and output, the output's flat typing
//! derivation (each binder's type), the static work, and each claim's obligations with their
//! outcomes (the kernel recomputes the linear forms from the programs).
//! The kernel (`checker::kernel::verify`) re-checks all of it and decides every obligation
//! called `proved` itself; the schema is `checker::kernel::schema` and `docs/certificates.md`.
//!
//! A certificate never claims what was not proved: an obligation is `proved` only when the
//! prover explained it (as a ring normalisation or lemma chain, which the kernel re-decides);
//! one the prover proved without an explanation (terms too large as trees) is `unknown`.

use crate::equiv::claims::{Claim, ClaimReport, Session};
use crate::equiv::prove::{Limits, Outcome};
use crate::{Policy, RewriteError};
use checker::kernel::schema::*;
use semantics::{PrimTable, Program};

/// The transformation a certificate is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    Jvp,
    Unzip(Policy),
    Transpose,
    Vjp(Policy),
}

fn claim_cert(r: &ClaimReport) -> ClaimCert {
    let obligations: Vec<ObligationCert> = r
        .verdicts
        .iter()
        .map(|v| {
            let outcome = match (v.outcome, &v.proof) {
                (Outcome::Proved, None) => "unknown",
                (o, _) => o.as_str(),
            };
            let point = v.counterexample.as_ref().map(|c| c.point.clone());
            ObligationCert {
                what: v.what.clone(),
                outcome: outcome.into(),
                point: point.filter(|_| v.outcome == Outcome::Refuted),
            }
        })
        .collect();
    let worst = ["refuted", "unknown"]
        .into_iter()
        .find(|w| obligations.iter().any(|o| o.outcome == *w));
    let outcome = if r.verdicts.is_empty() {
        r.outcome.as_str()
    } else {
        worst.unwrap_or("proved")
    };
    let reason = r.reason.clone().or_else(|| {
        (outcome == "unknown" && r.outcome == Outcome::Proved)
            .then(|| "proved, but the terms are too large as trees to list the steps".into())
    });
    ClaimCert {
        function: r.func.clone(),
        claim: r.claim.name().into(),
        outcome: outcome.into(),
        obligations,
        reason,
        time_ms: Some(r.time_ms),
    }
}

/// Runs `pass` on `prog` and certifies it: the output program and its certificate.
pub fn certify(
    prog: &Program,
    prims: &PrimTable,
    pass: Pass,
) -> Result<(Program, Certificate), RewriteError> {
    certify_given(prog, prims, pass, None)
}

/// Certifies `given` as the output of `pass` (`jvp`, `unzip` or `transpose`) on `prog`,
/// whoever wrote it: translation validation, where a wrong output gets `refuted` claims with
/// their points (which the kernel re-evaluates).
pub fn certify_output(
    prog: &Program,
    prims: &PrimTable,
    pass: Pass,
    given: Program,
) -> Result<Certificate, RewriteError> {
    certify_given(prog, prims, pass, Some(given)).map(|(_, c)| c)
}

fn certify_given(
    prog: &Program,
    prims: &PrimTable,
    pass: Pass,
    given: Option<Program>,
) -> Result<(Program, Certificate), RewriteError> {
    // Transposes by the adjoint pairing (entrywise where it fails): the kernel re-derives
    // the obligations of either.
    let limits = Limits {
        explain: true,
        pairing: true,
        ..Limits::default()
    };
    let mut s = Session::new(prims, limits).map_err(|e| RewriteError::BadRule {
        prim: "derivative column".into(),
        reason: e,
    })?;
    let p = checker::elaborate(prog, prims).map_err(RewriteError::IllTyped)?;
    // The transpose stage's input (kept functions are claimed identical against it).
    let mut kept_from = None;
    let (name, policy, out, _tag, mut claims, stages) = match pass {
        Pass::Jvp => {
            let j = given.map_or_else(|| crate::jvp(&p, prims), Ok)?;
            let r = s.jvp(&p, &j);
            ("jvp", None, j, "J", r, Vec::new())
        }
        Pass::Unzip(pol) => {
            let u = crate::unzip(&p, prims, pol)?;
            let r = s.unzip(&p, &u.program, "U", &pol.to_string());
            (
                "unzip",
                Some(pol.to_string()),
                u.program,
                "U",
                r,
                Vec::new(),
            )
        }
        Pass::Transpose => {
            let t = given.map_or_else(|| crate::transpose(&p, prims), Ok)?;
            let r = s.transpose(&p, "U", &t, "T", None);
            kept_from = Some(p.clone());
            ("transpose", None, t, "T", r, Vec::new())
        }
        Pass::Vjp(pol) => {
            // The stages' claims, then the VJP's as the composition of their lemmas.
            let v = crate::vjp(&p, prims, pol)?;
            let (j, u, pol) = (v.jvp, v.unzipped.program, pol.to_string());
            let mut r = s.jvp(&p, &j);
            r.extend(s.unzip(&j, &u, "U", &pol));
            r.extend(s.transpose(&u, "U", &v.program, "T", Some(&pol)));
            let stages = vec![semantics::print(&j), semantics::print(&u)];
            kept_from = Some(u);
            ("vjp", Some(pol), v.program, "T", r, stages)
        }
    };
    let mut certs: Vec<ClaimCert> = claims.iter().map(claim_cert).collect();
    if let Some(u) = &kept_from {
        identical_kept(u, &out, prims, &mut certs);
        for f in p.funcs.iter().filter(|_| name == "vjp") {
            let c = vjp_chain(u, &out, f, &certs);
            certs.push(c);
        }
    }
    claims.clear();
    let (w_in, w_out) = (work(&p, prims)?, work(&out, prims)?);
    let has = |n: &String| out.func_named(n).is_some();
    let work = p
        .funcs
        .iter()
        .zip(&w_in)
        .map(|(f, &w)| {
            let n = &f.name;
            let pair = |a: String, b: String| {
                if has(&a) && has(&b) {
                    vec![a, b]
                } else {
                    Vec::new()
                }
            };
            let outputs = match pass {
                Pass::Jvp => vec![format!("{n}.jvp")],
                Pass::Unzip(_) => Some(pair(format!("{n}.nonlin"), format!("{n}.lin")))
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| vec![n.clone()]),
                Pass::Transpose => vec![
                    Some(format!("{n}.T"))
                        .filter(has)
                        .unwrap_or_else(|| n.clone()),
                ],
                Pass::Vjp(_) => pair(format!("{n}.jvp.nonlin"), format!("{n}.jvp.lin.T")),
            };
            let work_out = outputs
                .iter()
                .filter_map(|o| out.func_named(o))
                .map(|id| w_out[id.0 as usize])
                .sum();
            Work {
                function: n.clone(),
                work_in: w,
                outputs,
                work_out,
            }
        })
        .collect();
    // The flat typing derivation: every binder's type, spelled as the kernel spells values.
    let slots = semantics::local_types(&out, prims)
        .map_err(|e| RewriteError::IllTyped(vec![e.to_diagnostic()]))?;
    let types = (slots.iter())
        .map(|ts| {
            (ts.iter())
                .map(|t| t.as_ref().map_or("?".into(), |t| t.to_string()))
                .collect()
        })
        .collect();
    let cert = Certificate {
        schema: SCHEMA.into(),
        transformation: name.into(),
        policy,
        input: semantics::print(&p),
        output: semantics::print(&out),
        stages,
        types,
        work,
        claims: certs,
        comment: None,
        producer: Some(format!("lina {}", env!("CARGO_PKG_VERSION"))),
    };
    Ok((out, cert))
}

/// A kept function whose text is its input's, whose callees are all kept functions with
/// proved claims and results, has the one obligation `identical` (`checker::kernel::claims`):
/// one record instead of one per result leaf (a call DAG's residual tuple has `2^d`).
fn identical_kept(u: &Program, t: &Program, prims: &PrimTable, certs: &mut [ClaimCert]) {
    use checker::kernel::claims::{Texts, texts};
    let (a, b): (Texts, Texts) = (texts(u, prims), texts(t, prims));
    let mut kept = std::collections::HashSet::new();
    // A function over the leaf budget has no lemmas: the kernel does not call it identical.
    let refused = checker::kernel::walk::refused(t, &semantics::Type::size);
    for c in certs.iter_mut().filter(|c| c.claim == "transpose") {
        let n = &c.function;
        let Some(g) = t.func_named(n).and_then(|id| t.func(id)) else {
            continue;
        };
        let callees_kept = checker::kernel::claims::callees(t, g).all(|h| kept.contains(h));
        if t.func_named(&format!("{n}.T")).is_none()
            && !refused.contains(n)
            && callees_kept
            && checker::kernel::claims::same_text(&a, &b, g)
        {
            c.obligations = vec![ObligationCert {
                what: "identical".into(),
                outcome: "proved".into(),
                point: None,
            }];
            (c.outcome, c.reason) = ("proved".into(), None);
        }
        if c.outcome == "proved" && t.func_named(&format!("{n}.T")).is_none() {
            kept.insert(n.clone());
        }
    }
}

fn work(p: &Program, prims: &PrimTable) -> Result<Vec<u128>, RewriteError> {
    semantics::static_work(p, prims).map_err(|e| RewriteError::IllTyped(vec![e.to_diagnostic()]))
}

/// The VJP claim of `f` as the kernel states it (`checker::kernel::claims`, schema 6): the
/// composition of five stage claims, one obligation each, `proved` when the certificate calls
/// every one of them proved and the output is `f.jvp.nonlin` and `f.jvp.lin.T`; else `unknown`
/// with no obligations.
fn vjp_chain(u: &Program, t: &Program, f: &semantics::FnDef, certs: &[ClaimCert]) -> ClaimCert {
    let n = &f.name;
    let (j, nl, lin) = (
        format!("{n}.jvp"),
        format!("{n}.jvp.nonlin"),
        format!("{n}.jvp.lin"),
    );
    let stages = [
        (n.clone(), Claim::JvpPrimal),
        (n.clone(), Claim::JvpTangent),
        (j, Claim::Unzip),
        (lin.clone(), Claim::Transpose),
        (nl.clone(), Claim::Transpose),
    ];
    let has = |p: &Program, g: &str| p.func_named(g).is_some();
    let shaped = has(u, &nl)
        && has(u, &lin)
        && has(t, &nl)
        && !has(t, &format!("{nl}.T"))
        && has(t, &format!("{lin}.T"));
    let proved = |(func, claim): &(String, Claim)| {
        (certs.iter())
            .any(|c| c.function == *func && c.claim == claim.name() && c.outcome == "proved")
    };
    let all = shaped && stages.iter().all(proved);
    let obligations = stages.iter().filter(|_| all).map(|(g, c)| ObligationCert {
        what: format!("stage {g}: {}", c.name()),
        outcome: "proved".into(),
        point: None,
    });
    let reason = (!all).then(|| "a claim of a stage it composes is not proved".to_string());
    ClaimCert {
        function: n.clone(),
        claim: "vjp".into(),
        outcome: if all { "proved" } else { "unknown" }.into(),
        obligations: obligations.collect(),
        reason,
        time_ms: None,
    }
}
