//! Certificates (SPEC §6): a transformation's input and output, the static work and the
//! bounds of SPEC §5 with their constants, the output's linear forms, and each claim's
//! obligations with their proofs as flat rewrite steps over one certificate-wide term DAG
//! with sharing. The kernel (`checker::kernel::verify`) re-checks all of it; the schema is
//! `checker::kernel::schema` and `docs/certificates.md`.
//!
//! A certificate never claims what was not proved: an obligation is `proved` only with its
//! steps; one the prover proved without listing steps (terms too large to explain as trees)
//! is recorded `unknown`.

use crate::equiv::claims::{ClaimReport, Session};
use crate::equiv::dag::Dag;
use crate::equiv::lower::Lowered;
use crate::equiv::prove::{Limits, Outcome, Proof};
use crate::{JvpRules, Policy, RewriteError, work_bounds};
use checker::kernel::schema::*;
use egg::Language;
use semantics::{PrimTable, Program};
use std::collections::HashMap;

/// The transformation a certificate is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    Jvp,
    Unzip(Policy),
    Transpose,
    Vjp(Policy),
}

/// The certificate-wide term DAG, hash-consed by operator and children.
#[derive(Default)]
struct Terms {
    nodes: Vec<TermNode>,
    index: HashMap<(String, Vec<u32>), u32>,
    seen: HashMap<egg::Id, u32>,
}

impl Terms {
    fn add(&mut self, op: String, children: Vec<u32>) -> u32 {
        let key = (op, children);
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.nodes.len() as u32;
        self.nodes.push(TermNode {
            op: key.0.clone(),
            children: key.1.clone(),
        });
        self.index.insert(key, i);
        i
    }

    /// A term of the prover's DAG (children first, by an explicit stack).
    fn of_dag(&mut self, dag: &Dag, root: egg::Id) -> u32 {
        let mut stack = vec![(root, false)];
        while let Some((id, ready)) = stack.pop() {
            if self.seen.contains_key(&id) {
                continue;
            }
            let node = dag.get(id);
            if ready {
                let kids = node.children().iter().map(|c| self.seen[c]).collect();
                let i = self.add(node.to_string(), kids);
                self.seen.insert(id, i);
            } else {
                stack.push((id, true));
                stack.extend(node.children().iter().map(|&c| (c, false)));
            }
        }
        self.seen[&root]
    }

    /// A proof's terms in the certificate's DAG; an opaque leaf `%id` of a local obligation
    /// (`prove_local` cuts the terms it reads as atoms) is the prover's term `id` again.
    fn proof(&mut self, dag: &Dag, p: &Proof) -> ProofCert {
        let mut local: Vec<u32> = Vec::with_capacity(p.terms.len());
        for n in &p.terms {
            let cut = n.op.strip_prefix('%').and_then(|i| i.parse::<usize>().ok());
            match cut.filter(|_| n.children.is_empty()) {
                Some(id) => local.push(self.of_dag(dag, egg::Id::from(id))),
                None => {
                    let kids = n.children.iter().map(|&c| local[c as usize]).collect();
                    local.push(self.add(n.op.clone(), kids));
                }
            }
        }
        let at = |t: u32| local.get(t as usize).copied().unwrap_or(0);
        ProofCert {
            start: (!p.steps.is_empty()).then(|| at(p.start)),
            steps: p
                .steps
                .iter()
                .map(|s| StepCert {
                    rule: s.rule.clone(),
                    backward: s.backward,
                    position: s.position.clone(),
                    term: at(s.term),
                })
                .collect(),
        }
    }
}

fn claim_cert(r: &ClaimReport, dag: &Dag, terms: &mut Terms) -> ClaimCert {
    let obligations: Vec<ObligationCert> = r
        .verdicts
        .iter()
        .map(|v| {
            let proof = v.proof.as_ref().filter(|_| v.outcome == Outcome::Proved);
            let outcome = match (v.outcome, proof) {
                (Outcome::Proved, None) => "unknown",
                (o, _) => o.as_str(),
            };
            let point = v.counterexample.as_ref().map(|c| c.point.clone());
            ObligationCert {
                what: v.what.clone(),
                outcome: outcome.into(),
                proof: proof.map(|p| terms.proof(dag, p)),
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
#[allow(clippy::type_complexity)]
pub fn certify(
    prog: &Program,
    prims: &PrimTable,
    pass: Pass,
) -> Result<(Program, Certificate), RewriteError> {
    // Transposes by the adjoint pairing, whose local obligations the kernel re-derives.
    let limits = Limits {
        explain: true,
        pairing: true,
        certify: true,
        ..Limits::default()
    };
    let mut s = Session::new(prims, limits).map_err(|e| RewriteError::BadRule {
        prim: "derivative column".into(),
        reason: e,
    })?;
    let p = checker::elaborate(prog, prims).map_err(RewriteError::IllTyped)?;
    let w_in = semantics::static_work(&p, prims)
        .map_err(|e| RewriteError::IllTyped(vec![e.to_diagnostic()]))?;
    let c_jvp = || -> Result<f64, RewriteError> {
        Ok(work_bounds::c_jvp(
            JvpRules::standard()?,
            prims,
            work_bounds::largest_type(&p, prims),
        ))
    };
    let ct = work_bounds::C_T;
    let (name, policy, out, tag, reports, bounds): (
        &str,
        Option<String>,
        Program,
        &str,
        Vec<ClaimReport>,
        Vec<(f64, f64)>,
    ) = match pass {
        Pass::Jvp => {
            let j = crate::jvp(&p, prims)?;
            let c = c_jvp()?;
            let r = s.jvp(&p, &j);
            ("jvp", None, j, "J", r, vec![(c, 0.0); p.funcs.len()])
        }
        Pass::Unzip(pol) => {
            let u = crate::unzip(&p, prims, pol)?;
            let over = work_bounds::unzip_overhead(&p, &u, prims);
            let b = u
                .reports
                .iter()
                .zip(&over)
                .map(|(r, o)| (1.0, (r.recomputed_work + o) as f64))
                .collect();
            let r = s.unzip(&p, &u.program, "U", &pol.to_string());
            ("unzip", Some(pol.to_string()), u.program, "U", r, b)
        }
        Pass::Transpose => {
            let t = crate::transpose(&p, prims)?;
            let b = p
                .funcs
                .iter()
                .map(|f| (ct, 2.0 + f.lparams.len() as f64))
                .collect();
            let r = s.transpose(&p, "U", &t, "T", None);
            ("transpose", None, t, "T", r, b)
        }
        Pass::Vjp(pol) => {
            let v = crate::vjp(&p, prims, pol)?;
            let (c, over) = (
                c_jvp()?,
                work_bounds::unzip_overhead(&v.jvp, &v.unzipped, prims),
            );
            let b = p
                .funcs
                .iter()
                .zip(&over)
                .map(|(f, o)| (ct * c, ct * *o as f64 + 2.0 + f.params.len() as f64))
                .collect();
            let r = s.vjp(&p, &v.program, "T", &pol.to_string());
            ("vjp", Some(pol.to_string()), v.program, "T", r, b)
        }
    };
    let w_out = semantics::static_work(&out, prims)
        .map_err(|e| RewriteError::IllTyped(vec![e.to_diagnostic()]))?;
    let mut terms = Terms::default();
    let claims = reports
        .iter()
        .map(|r| claim_cert(r, &s.dag, &mut terms))
        .collect();
    let has = |n: &String| out.func_named(n).is_some();
    let work = p
        .funcs
        .iter()
        .zip(&w_in)
        .zip(&bounds)
        .map(|((f, &w), &(factor, offset))| {
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
            let comment = Some(format!(
                "the producer's bound for {name} (rewrite::work_bounds): {work_out} ≤ {factor} · {w} + {offset}"
            ));
            Work {
                function: n.clone(),
                work_in: w,
                outputs,
                work_out,
                comment,
            }
        })
        .collect();
    let mut linear_forms = Vec::new();
    for f in &out.funcs {
        let rows = s
            .lowered(&out, tag, f)
            .ok()
            .map(|(_, Lowered { lin, .. })| {
                lin.iter()
                    .map(|row| {
                        row.iter()
                            .map(|&(i, t)| (i, terms.of_dag(&s.dag, t)))
                            .collect()
                    })
                    .collect()
            });
        linear_forms.push(LinearForm {
            function: f.name.clone(),
            rows,
        });
    }
    let derivations = checker::derive(&out, prims).map_err(RewriteError::IllTyped)?;
    let cert = Certificate {
        schema: SCHEMA.into(),
        transformation: name.into(),
        policy,
        input: semantics::print(&p),
        output: semantics::print(&out),
        terms: terms.nodes,
        work,
        linear_forms,
        claims,
        derivations,
        comment: None,
        producer: Some(format!("lina {}", env!("CARGO_PKG_VERSION"))),
    };
    Ok((out, cert))
}
