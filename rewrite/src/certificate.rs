//! Certificates (SPEC §6): a transformation's input and output, the output's flat typing
//! derivation (each binder's type), the static work, and each claim's obligations with their
//! outcomes (the kernel recomputes the linear forms from the programs).
//! The kernel (`checker::kernel::check`; `lina verify` runs it through
//! `checker::refute::verify`) re-checks all of it and decides every obligation called `proved`
//! itself; the schema is `checker::kernel::schema` and `docs/certificates.md`.
//!
//! A certificate never claims what was not proved: an obligation is `proved` only when the
//! prover explained it (as a ring normalisation or lemma chain; the kernel re-decides it by its
//! own ring normal form, over call symbols named as the verified callee claims say); one the
//! prover proved without an explanation (terms too large as trees) is `unknown`.

use crate::equiv::claims::{Claim, ClaimReport, Counts, Session};
use crate::equiv::prove::{Limits, Outcome};
use crate::{Policy, RewriteError};
use checker::kernel::claims::Texts;
use checker::kernel::schema::*;
use semantics::{FuncIndex, PrimTable, Program};
use std::collections::HashSet;

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
    certify_given(prog, prims, pass, None).map(|(p, c, _)| (p, c))
}

/// [`certify`], with the prover's operation counts (`Session::counts`): what the tests
/// that catch a quadratic regression without timing measure.
pub fn certify_counts(
    prog: &Program,
    prims: &PrimTable,
    pass: Pass,
) -> Result<(Certificate, Counts), RewriteError> {
    certify_given(prog, prims, pass, None).map(|(_, c, n)| (c, n))
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
    certify_given(prog, prims, pass, Some(given)).map(|(_, c, _)| c)
}

fn certify_given(
    prog: &Program,
    prims: &PrimTable,
    pass: Pass,
    given: Option<Program>,
) -> Result<(Program, Certificate, Counts), RewriteError> {
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
            let r = transpose(&mut s, &p, &t, None, prims);
            kept_from = Some(p.clone());
            ("transpose", None, t, "T", r, Vec::new())
        }
        Pass::Vjp(pol) => {
            // The stages' claims, then the VJP's as the composition of the stage claims.
            let v = crate::vjp(&p, prims, pol)?;
            let (j, u, pol) = (v.jvp, v.unzipped.program, pol.to_string());
            let mut r = s.jvp(&p, &j);
            r.extend(s.unzip(&j, &u, "U", &pol));
            r.extend(transpose(&mut s, &u, &v.program, Some(&pol), prims));
            let stages = vec![semantics::print(&j), semantics::print(&u)];
            kept_from = Some(u);
            ("vjp", Some(pol), v.program, "T", r, stages)
        }
    };
    let mut certs: Vec<ClaimCert> = claims.iter().map(claim_cert).collect();
    if let Some(u) = &kept_from {
        identical_kept(u, &out, prims, &mut certs);
        let proved: HashSet<(String, String)> = (certs.iter())
            .filter(|c| c.outcome == "proved")
            .map(|c| (c.function.clone(), c.claim.clone()))
            .collect();
        let (ui, ti) = (u.index(), out.index());
        for f in p.funcs.iter().filter(|_| name == "vjp") {
            let c = vjp_chain((&ui, &ti), f, &proved);
            certs.push(c);
        }
    }
    claims.clear();
    let (w_in, w_out) = (work(&p, prims)?, work(&out, prims)?);
    let out_index = out.index();
    let has = |n: &String| out_index.get(n).is_some();
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
                .filter_map(|o| out_index.get(o))
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
    Ok((out, cert, s.counts))
}

/// Which kept functions are certified by the one obligation `identical`: a kept function
/// whose text is its input's, whose callees are all kept functions with proved claims and
/// results (`checker::kernel::claims`): one record instead of one per result leaf (a call
/// DAG's residual tuple has `2^d`). Asked in program order, after the claims before it.
struct Identical<'p> {
    texts: (Texts, Texts),
    t: &'p Program,
    index: FuncIndex<'p>,
    /// Over the leaf budget: never lowered, so the kernel does not call it identical.
    refused: HashSet<String>,
    /// The kept functions whose claims are proved so far.
    kept: HashSet<String>,
}

impl<'p> Identical<'p> {
    fn new(u: &Program, t: &'p Program, prims: &PrimTable) -> Identical<'p> {
        use checker::kernel::claims::texts;
        Identical {
            texts: (texts(u, prims), texts(t, prims)),
            t,
            index: t.index(),
            refused: checker::kernel::walk::refused(t, &semantics::Type::size),
            kept: HashSet::new(),
        }
    }

    fn transposed(&self, n: &str) -> bool {
        self.index.get(&format!("{n}.T")).is_some()
    }

    /// `n` (kept) is identical to its input.
    fn holds(&self, n: &str) -> bool {
        let Some(g) = self.index.get(n).and_then(|id| self.t.func(id)) else {
            return false;
        };
        let callees_kept =
            checker::kernel::claims::callees(self.t, g).all(|h| self.kept.contains(h));
        !self.transposed(n)
            && !self.refused.contains(n)
            && callees_kept
            && checker::kernel::claims::same_text(&self.texts.0, &self.texts.1, g)
    }

    /// A claim settled (`outcome` as certified): kept and proved, it may be called.
    fn settled(&mut self, n: &str, outcome: &str) {
        if outcome == "proved" && !self.transposed(n) {
            self.kept.insert(n.to_string());
        }
    }
}

/// The transpose claims (`Session::transpose_kept`): those [`Identical`] will call identical
/// are not proved leaf by leaf.
fn transpose(
    s: &mut Session,
    u: &Program,
    t: &Program,
    policy: Option<&str>,
    prims: &PrimTable,
) -> Vec<ClaimReport> {
    let mut id = Identical::new(u, t, prims);
    let mut seen = 0;
    s.transpose_kept((u, "U"), (t, "T"), policy, &mut |g, done| {
        for r in &done[seen..] {
            id.settled(&r.func, &claim_cert(r).outcome);
        }
        seen = done.len();
        id.holds(&g.name)
    })
}

/// Certifies identical kept functions by the one obligation `identical` ([`Identical`]).
fn identical_kept(u: &Program, t: &Program, prims: &PrimTable, certs: &mut [ClaimCert]) {
    let mut id = Identical::new(u, t, prims);
    for c in certs.iter_mut().filter(|c| c.claim == "transpose") {
        if id.holds(&c.function) {
            c.obligations = vec![ObligationCert {
                what: "identical".into(),
                outcome: "proved".into(),
                point: None,
            }];
            (c.outcome, c.reason) = ("proved".into(), None);
        }
        id.settled(&c.function, &c.outcome);
    }
}

fn work(p: &Program, prims: &PrimTable) -> Result<Vec<u128>, RewriteError> {
    semantics::static_work(p, prims).map_err(|e| RewriteError::IllTyped(vec![e.to_diagnostic()]))
}

/// The VJP claim of `f` as the kernel states it (`checker::kernel::claims`, schema 6 on): the
/// composition of five stage claims, one obligation each, `proved` when the certificate calls
/// every one of them proved and the output is `f.jvp.nonlin` and `f.jvp.lin.T`; else `unknown`
/// with no obligations.
fn vjp_chain(
    (u, t): (&FuncIndex, &FuncIndex),
    f: &semantics::FnDef,
    proved: &HashSet<(String, String)>,
) -> ClaimCert {
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
    let has = |p: &FuncIndex, g: &str| p.get(g).is_some();
    let shaped = has(u, &nl)
        && has(u, &lin)
        && has(t, &nl)
        && !has(t, &format!("{nl}.T"))
        && has(t, &format!("{lin}.T"));
    let proved = |(func, claim): &(String, Claim)| {
        proved.contains(&(func.clone(), claim.name().to_string()))
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
