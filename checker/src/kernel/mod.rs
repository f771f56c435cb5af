//! # The certificate kernel
//!
//! [`verify`] re-checks a certificate (SPEC §6, `docs/certificates.md`) without trusting the
//! code that produced it: not the prover (egg), not the inferring checker, not the
//! transformations. It depends on `semantics` (parsing, types, the primitive table's names,
//! arities, costs and derivative column, the static work) and on `serde`/`serde_json`, and on
//! nothing else; `checker/tests/kernel_imports.rs` reads these files' `use` lines to keep it so.
//!
//! It parses the programs itself (a vjp's stages too), lowers every function in one sweep
//! that is also its typing check and states the adjoint equations (`walk`), recomputes every
//! claim's obligations (`claims`; transposes as the adjoint pairing; a VJP as the composition of its stages'
//! lemmas), decides each obligation called proved with its own lemma rewriting and ring
//! normaliser (`settle`, `ring`), re-evaluates each refutation at its point (`eval`), and
//! recomputes the static work against its own bounds (`bounds`) and the linear forms. Any
//! difference is a [`KernelError`] naming the claim and obligation. Every loop over input is
//! a linear sweep; no recursion follows the input's size.

pub mod bounds;
pub mod claims;
pub mod eval;
pub mod ring;
pub mod schema;
pub mod settle;
pub mod term;
pub mod walk;

use self::schema::{Certificate, SCHEMA};
use self::term::{Dag, Id, Lemma};
use self::walk::{Lowered, Prog};
use semantics::PrimTable;
use serde::Serialize;
use std::collections::HashMap;
use std::rc::Rc;

/// What did not check: the claim (`function: claim`) and obligation, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KernelError {
    /// A stable code (`docs/errors.md`, E0801-E0808).
    pub code: &'static str,
    pub claim: Option<String>,
    pub obligation: Option<String>,
    pub message: String,
}

impl std::fmt::Display for KernelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (label, part) in [("claim", &self.claim), ("obligation", &self.obligation)] {
            if let Some(p) = part {
                write!(f, "{label} `{p}`, ")?;
            }
        }
        write!(f, "{} [{}]", self.message, self.code)
    }
}

pub(crate) fn fail(code: &'static str, message: impl Into<String>) -> KernelError {
    KernelError {
        code,
        claim: None,
        obligation: None,
        message: message.into(),
    }
}

/// `return Err(fail(code, format!(...)))`.
macro_rules! bail {
    ($code:literal, $($fmt:tt)+) => { return Err(fail($code, format!($($fmt)+))) };
}
pub(crate) use bail;

#[derive(Clone, Debug, Serialize)]
pub struct ClaimOutcome {
    pub function: String,
    pub claim: String,
    /// `proved` only when the kernel decided every obligation; else the certificate's word.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// An accepted certificate: each claim's outcome, how many obligations were decided, and the
/// size of the kernel's term DAG.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub transformation: String,
    pub claims: Vec<ClaimOutcome>,
    pub proved: usize,
    pub unknown: usize,
    /// Re-evaluated by the kernel at their points.
    pub refuted: usize,
    pub decided: usize,
    pub terms: usize,
}

pub struct Verifier<'a> {
    pub dag: Dag,
    prims: &'a PrimTable,
    columns: Vec<Option<Prog>>,
    lemmas: HashMap<String, Vec<Rc<Lemma>>>,
    lowered: HashMap<String, (Vec<Id>, Lowered)>,
    claims: std::vec::IntoIter<schema::ClaimCert>,
    report: Vec<ClaimOutcome>,
    decided: usize,
}

/// Verifies a certificate (its JSON text) against the standard primitive table.
pub fn verify(json: &str) -> Result<Report, KernelError> {
    let cert: Certificate =
        serde_json::from_str(json).map_err(|e| fail("E0801", format!("not a certificate: {e}")))?;
    if cert.schema != SCHEMA {
        bail!(
            "E0801",
            "unknown schema `{}` (this kernel knows `{SCHEMA}`)",
            cert.schema
        );
    }
    let prims = PrimTable::standard();
    let parse = |what: &str, text: &str, tag| {
        let first = |d: Vec<semantics::Diagnostic>| {
            d.first().map(|d| d.message.clone()).unwrap_or_default()
        };
        let p = semantics::parse_with(text, prims).map_err(|d| {
            fail(
                "E0802",
                format!("the {what} program does not parse: {}", first(d)),
            )
        })?;
        Ok::<_, KernelError>(Prog::new(p, tag))
    };
    let pass = cert.transformation.as_str();
    let (it, ot) = match pass {
        "jvp" | "vjp" => ("P", if pass == "jvp" { "J" } else { "T" }),
        "unzip" => ("J", "U"),
        "transpose" => ("U", "T"),
        t => bail!("E0801", "unknown transformation `{t}`"),
    };
    let (input, output) = (
        parse("input", &cert.input, it)?,
        parse("output", &cert.output, ot)?,
    );
    let columns = walk::columns(prims).map_err(|e| fail("E0599", e))?;
    let (dag, lemmas, lowered, report) =
        (Dag::default(), HashMap::new(), HashMap::new(), Vec::new());
    let claims = cert.claims.clone().into_iter();
    let mut v = Verifier {
        dag,
        prims,
        columns,
        lemmas,
        lowered,
        claims,
        report,
        decided: 0,
    };
    match (pass, &cert.stages[..]) {
        ("vjp", [j, u]) => {
            let (j, u) = (parse("jvp stage", j, "J")?, parse("unzip stage", u, "U")?);
            v.claims("jvp", &input, &j)?;
            v.claims("unzip", &j, &u)?;
            v.claims("transpose", &u, &output)?;
            v.vjp(&input, &output)?;
        }
        (t, []) if t != "vjp" => v.claims(t, &input, &output)?,
        _ => bail!(
            "E0801",
            "a vjp certificate carries its two stages, no other any"
        ),
    }
    if let Some(c) = v.claims.next() {
        bail!(
            "E0803",
            "a claim the kernel does not make: `{}: {}`",
            c.function,
            c.claim
        );
    }
    bounds::check(&cert, &input, &output.p, prims)?;
    // The flat typing derivation: every binder's type as the output spells it, and every
    // output function typed by the sweep (which re-tests each construct's rule).
    // (After the claims and the work: a program they reject is not typed at all, and one whose
    // static work is computed has slot types that are.)
    let types = semantics::local_types(&output.p, prims).map_err(|e| fail("E0807", e.message))?;
    let spelt = types.iter().map(|ts| {
        ts.iter()
            .map(|t| t.as_ref().map_or("?".into(), |t| t.to_string()))
    });
    if !spelt.map(Vec::from_iter).eq(cert.types.iter().cloned()) {
        bail!("E0807", "the binder types are not the output's");
    }
    for f in &output.p.funcs {
        // A function over the leaf budget is not swept: its typing is reported `unknown`.
        if output.refused.contains(&f.name) {
            let why = Some(format!("not typed by the sweep: {}", walk::OVER_BUDGET));
            let (function, claim) = (f.name.clone(), "typing".into());
            let outcome = "unknown".into();
            v.report.push(ClaimOutcome {
                function,
                claim,
                outcome,
                why,
            });
            continue;
        }
        v.lowered(&output, f, false, None)
            .map_err(|e| fail("E0807", format!("the output does not type: {e}")))?;
    }
    let count = |o: &str| v.report.iter().filter(|c| c.outcome == o).count();
    let (proved, refuted) = (count("proved"), count("refuted"));
    let (unknown, terms) = (v.report.len() - proved - refuted, v.dag.len());
    Ok(Report {
        transformation: cert.transformation,
        proved,
        unknown,
        refuted,
        claims: v.report,
        decided: v.decided,
        terms,
    })
}
