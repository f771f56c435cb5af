//! # The certificate kernel
//!
//! [`check`] re-checks a certificate (SPEC §6, `docs/certificates.md`) without trusting the
//! code that produced it: not the prover (egg), not the inferring checker, not the
//! transformations. It depends on `semantics` (parsing, types, the primitive table, the static
//! work) and `serde`/`serde_json` only; `checker/tests/kernel_imports.rs` reads its `use` lines.
//!
//! It parses the programs (a vjp's stages too), lowers each function in one sweep that is also
//! its typing check and states its adjoint equations (`walk`; a call's symbols are named as
//! the verified claims about the callee say), recomputes every claim's obligations (`claims`:
//! transposes as the adjoint pairing, a VJP as the composition of its stage claims), decides
//! each one called proved with its own ring normaliser (`settle`, `ring`), and recomputes the
//! static work against its own bounds (`bounds`). Any difference is a [`KernelError`] naming
//! the claim and obligation. A `refuted` obligation cannot make a claim proved: it is
//! recorded, and re-evaluated outside the trusted base (`crate::refute`, which `lina verify`
//! runs). Every loop over input is a linear sweep; no recursion follows the input's size.

pub mod bounds;
pub mod claims;
pub mod ring;
pub mod schema;
pub mod settle;
pub mod term;
pub mod walk;

use self::schema::{Certificate, SCHEMA};
use self::term::{Dag, Id};
use self::walk::{Lowered, Names, Prog};
use semantics::PrimTable;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

pub type Verdict<T> = Result<T, KernelError>;

/// What did not check: the claim (`function: claim`) and obligation, and why.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KernelError {
    /// A stable code (`docs/errors.md`, E0801-E0808).
    pub code: &'static str,
    pub claim: Option<String>,
    pub obligation: Option<String>,
    pub message: String,
}

pub fn fail(code: &'static str, message: impl Into<String>) -> KernelError {
    let message = message.into();
    KernelError {
        code,
        message,
        ..KernelError::default()
    }
}

impl KernelError {
    /// The error placed at a claim (`function: claim`) and obligation.
    pub fn at(mut self, claim: &str, obligation: Option<&String>) -> KernelError {
        (self.claim, self.obligation) = (Some(claim.into()), obligation.cloned());
        self
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

impl ClaimOutcome {
    fn new(function: &str, claim: &str, outcome: &str, why: Option<String>) -> Self {
        let (function, claim, outcome) = (function.into(), claim.into(), outcome.into());
        ClaimOutcome {
            function,
            claim,
            outcome,
            why,
        }
    }
}

/// A `refuted` obligation: its claim and name, its two sides, its point, its stage and how
/// many lowerings the kernel had made when it met it (the meanings its symbols may use).
pub struct Refutation {
    pub claim: String,
    pub what: String,
    pub sides: (Id, Id),
    pub point: Vec<(String, f64)>,
    pub stage: String,
    pub known: usize,
}

/// The kernel's state (its terms, lowerings, the names of the stage it checks; the
/// certificate's claims still to settle).
#[derive(Default)]
pub struct Verifier {
    pub transformation: String,
    pub dag: Dag,
    columns: Vec<Option<Prog>>,
    /// The stage checked (`jvp`, `unzip`, `transpose`), and how its calls' symbols are named.
    stage: String,
    names: Names,
    /// The claims settled `proved` (`function: claim`), and those over the leaf budget.
    proved: HashSet<String>,
    over: HashSet<String>,
    /// Each lowering by `stage tag:function:grad`: its input symbols, the lowering, its rank.
    pub lowered: HashMap<String, (Vec<Id>, Lowered, usize)>,
    claims: std::vec::IntoIter<schema::ClaimCert>,
    /// Each claim's outcome (in the kernel's order), and how many obligations it decided.
    pub report: Vec<ClaimOutcome>,
    pub decided: usize,
    pub refutations: Vec<Refutation>,
}

/// Checks a certificate (its JSON text) against the standard primitive table: the verdict,
/// and the verifier's state (once the programs parse) with the refutations met, in order,
/// for `crate::refute::verify` to re-evaluate.
pub fn check(json: &str) -> (Result<(), KernelError>, Option<Verifier>) {
    let mut v = None;
    (run(json, &mut v), v)
}

fn run(json: &str, slot: &mut Option<Verifier>) -> Result<(), KernelError> {
    let cert: Certificate =
        serde_json::from_str(json).map_err(|e| fail("E0801", format!("not a certificate: {e}")))?;
    if cert.schema != SCHEMA {
        let known = format!("this kernel knows `{SCHEMA}`");
        bail!("E0801", "unknown schema `{}` ({known})", cert.schema);
    }
    let prims = PrimTable::standard();
    let parse = |what: &str, text: &str, tag| match semantics::parse_with(text, prims) {
        Ok(p) => Ok(Prog::new(p, tag)),
        Err(d) => {
            let why = d.first().map(|d| d.message.clone()).unwrap_or_default();
            bail!("E0802", "the {what} program does not parse: {why}")
        }
    };
    let pass = cert.transformation.as_str();
    let (it, ot) = match pass {
        "jvp" => ("P", "J"),
        "vjp" => ("P", "T"),
        "unzip" => ("J", "U"),
        "transpose" => ("U", "T"),
        t => bail!("E0801", "unknown transformation `{t}`"),
    };
    let input = parse("input", &cert.input, it)?;
    let output = parse("output", &cert.output, ot)?;
    let columns = walk::columns(prims).map_err(|e| fail("E0599", e))?;
    let claims = cert.claims.clone().into_iter();
    let v = slot.insert(Verifier {
        transformation: cert.transformation.clone(),
        columns,
        claims,
        ..Verifier::default()
    });
    match (pass, &cert.stages[..]) {
        ("vjp", [j, u]) => {
            let (j, u) = (parse("jvp stage", j, "J")?, parse("unzip stage", u, "U")?);
            v.claims("jvp", &input, &j)?;
            v.claims("unzip", &j, &u)?;
            v.claims("transpose", &u, &output)?;
            v.vjp(&input, &u, &output)?;
        }
        (t, []) if t != "vjp" => v.claims(t, &input, &output)?,
        _ => bail!(
            "E0801",
            "a vjp certificate carries its two stages, no other any"
        ),
    }
    if let Some(c) = v.claims.next() {
        let (f, k) = (c.function, c.claim);
        bail!("E0803", "a claim the kernel does not make: `{f}: {k}`");
    }
    bounds::check(&cert, &input, &output.p, prims)?;
    // The flat typing derivation, after the claims and the work (a program they reject is not
    // typed; one whose static work is computed has slot types that are): every binder's type
    // as the output spells it, and every output function typed by the sweep.
    let types = semantics::local_types(&output.p, prims).map_err(|e| fail("E0807", e.message))?;
    let spelt = types.iter().map(|ts| {
        let spell = |t: &Option<semantics::Type>| t.as_ref().map_or("?".into(), |t| t.to_string());
        ts.iter().map(spell).collect::<Vec<_>>()
    });
    if !spelt.eq(cert.types.iter().cloned()) {
        bail!("E0807", "the binder types are not the output's");
    }
    for f in &output.p.funcs {
        // A function over the leaf budget is not swept: its typing is reported `unknown`.
        if output.refused.contains(&f.name) {
            let why = Some(format!("not typed by the sweep: {}", walk::OVER_BUDGET));
            v.report
                .push(ClaimOutcome::new(&f.name, "typing", "unknown", why));
        } else if let Err(e) = v.lowered(&output, f, false, None) {
            bail!("E0807", "the output does not type: {}", e.text());
        }
    }
    Ok(())
}
