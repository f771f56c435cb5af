//! `lina prove` and `lina equiv`: glue over `rewrite::equiv`.
//!
//! Exit status: 0 when every claim asked is proved, 1 when one is refuted or unknown (or the
//! program is rejected), 2 for a usage or I/O error.

use crate::Format;
use crate::commands::{Status, load, policy, read_source, rejected, usage};
use rewrite::equiv::{ClaimReport, Limits, Outcome, Session, Which, pipeline, prove_program};
use semantics::PrimTable;

/// Prints the reports and returns the exit status.
fn report(reports: &[ClaimReport], format: Format, explain: bool) -> Status {
    let ok = !reports.is_empty() && reports.iter().all(|r| r.outcome == Outcome::Proved);
    match format {
        Format::Json => {
            let claims: Vec<serde_json::Value> = reports
                .iter()
                .map(|r| {
                    let mut v = serde_json::to_value(r).unwrap_or(serde_json::Value::Null);
                    if !explain && let Some(o) = v.as_object_mut() {
                        o.remove("verdicts");
                    }
                    v
                })
                .collect();
            outln!("{}", serde_json::json!({"ok": ok, "claims": claims}));
        }
        Format::Text => {
            for r in reports {
                let policy = r
                    .policy
                    .as_ref()
                    .map_or(String::new(), |p| format!(" [{p}]"));
                outln!(
                    "{} {}{}: {} ({} obligations, e-graph {} nodes, {} iterations, {:.1} ms, proof length {})",
                    r.func,
                    r.claim.name(),
                    policy,
                    r.outcome.as_str(),
                    r.obligations,
                    r.egraph_nodes,
                    r.iterations,
                    r.time_ms,
                    r.proof_length
                );
                if let Some(why) = &r.reason {
                    outln!("  {why}");
                }
                if let Some(cx) = &r.counterexample {
                    let at: Vec<String> = cx
                        .point
                        .iter()
                        .map(|(n, x)| format!("{n} = {}", semantics::fmt_real(*x)))
                        .collect();
                    outln!(
                        "  counterexample: at {} the two sides are {} and {}",
                        at.join(", "),
                        semantics::fmt_real(cx.lhs),
                        semantics::fmt_real(cx.rhs)
                    );
                }
                if explain {
                    for v in &r.verdicts {
                        let Some(p) = &v.proof else { continue };
                        if p.terms.is_empty() {
                            outln!("  {}: (same term)", v.what);
                            continue;
                        }
                        outln!("  {}: {}", v.what, p.show(p.start));
                        for s in &p.steps {
                            let dir = if s.backward { "<=" } else { "=>" };
                            outln!(
                                "    {dir} {} at {:?}: {}",
                                s.rule,
                                s.position,
                                p.show(s.term)
                            );
                        }
                    }
                }
            }
        }
    }
    if ok { Status::Ok } else { Status::Rejected }
}

/// Residuals as tuple terms (so a call DAG's claims stay linear in its size); certificates
/// keep the default, whose kernel has no tuple terms.
fn limits(explain: bool) -> Limits {
    Limits {
        explain,
        tuples: true,
        ..Limits::default()
    }
}

pub fn prove(path: &str, claim: &str, pol: Option<&str>, explain: bool, format: Format) -> Status {
    let run = || -> Result<Status, Status> {
        let which = Which::parse(claim).ok_or_else(|| {
            usage(&format!(
                "unknown claim `{claim}` (jvp, unzip, transpose, vjp or all)"
            ))
        })?;
        let policies = match pol {
            Some(p) => vec![policy(p)?],
            None => pipeline::default_policies(),
        };
        let src = read_source(path)?;
        let prog = load(&src, format)?;
        let prims = PrimTable::standard();
        let reports = prove_program(&prog, prims, which, &policies, limits(explain))
            .map_err(|e| rejected(&src, &e, format))?;
        Ok(report(&reports, format, explain))
    };
    run().unwrap_or_else(|s| s)
}

/// The three modes of `lina equiv`.
pub enum EquivMode {
    Same(Option<String>),
    Adjoint,
    Derivative,
}

pub fn equiv(a: &str, b: &str, mode: EquivMode, explain: bool, format: Format) -> Status {
    let run = || -> Result<Status, Status> {
        let (sa, sb) = (read_source(a)?, read_source(b)?);
        let prims = PrimTable::standard();
        let check = |src: &crate::commands::Source| -> Result<semantics::Program, Status> {
            let p = load(src, format)?;
            checker::elaborate(&p, prims).map_err(|d| crate::commands::reject(src, &d, format))
        };
        let (pa, pb) = (check(&sa)?, check(&sb)?);
        let mut s = Session::new(prims, limits(explain)).map_err(|e| usage(&e))?;
        let reports = match mode {
            EquivMode::Same(f) => {
                if let Some(name) = &f
                    && pa.func_named(name).is_none()
                {
                    return Err(usage(&format!("no function `{name}` in {}", sa.name)));
                }
                s.equiv(&pa, &pb, f.as_deref())
            }
            EquivMode::Adjoint => s.adjoint(&pa, &pb),
            EquivMode::Derivative => s.derivative(&pa, &pb),
        };
        Ok(report(&reports, format, explain))
    };
    run().unwrap_or_else(|s| s)
}
