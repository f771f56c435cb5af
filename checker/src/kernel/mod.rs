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

use self::claims::Lemma;
use self::schema::{Certificate, SCHEMA};
use self::term::{Dag, Id};
use self::walk::{Lowered, Row};
use semantics::{PrimTable, Program};
use serde::Serialize;
use std::collections::HashMap;
use std::rc::Rc;

/// What did not check: the claim (`function: claim`) and obligation, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KernelError {
    /// A stable code (`docs/errors.md`, E0801-E0807).
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
    let (claim, obligation, message) = (None, None, message.into());
    KernelError {
        code,
        claim,
        obligation,
        message,
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

/// An accepted certificate: each claim's outcome, and how many obligations were decided.
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
    columns: Vec<Option<Program>>,
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
    let parse = |what: &str, text: &str| {
        let first = |d: Vec<semantics::Diagnostic>| d.first().map(|d| d.message.clone());
        let why = |d| {
            format!(
                "the {what} program does not parse: {}",
                first(d).unwrap_or_default()
            )
        };
        semantics::parse_with(text, prims).map_err(|d| fail("E0802", why(d)))
    };
    let (input, output) = (parse("input", &cert.input)?, parse("output", &cert.output)?);
    let mut v = Verifier {
        dag: Dag::default(),
        prims,
        columns: walk::columns(prims).map_err(|e| fail("E0599", e))?,
        lemmas: HashMap::new(),
        lowered: HashMap::new(),
        claims: cert.claims.clone().into_iter(),
        report: Vec::new(),
        decided: 0,
    };
    let mut terms: Vec<Id> = Vec::with_capacity(cert.terms.len());
    for (i, (op, kids)) in cert.terms.iter().enumerate() {
        let kids: Option<Vec<Id>> = kids
            .iter()
            .map(|&c| terms.get(c as usize).copied())
            .collect();
        let Some(kids) = kids else {
            bail!("E0801", "term {i} has a child that is not older")
        };
        terms.push(v.dag.add(op, kids));
    }
    let tag = match cert.transformation.as_str() {
        "jvp" => "J",
        "unzip" => "U",
        "transpose" | "vjp" => "T",
        t => bail!("E0801", "unknown transformation `{t}`"),
    };
    match (cert.transformation.as_str(), &cert.stages[..]) {
        ("vjp", [j, u]) => {
            let (j, u) = (parse("jvp stage", j)?, parse("unzip stage", u)?);
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
    bounds::check(&cert, &input, &output, prims)?;
    // The flat typing derivation: every binder's type, against its value in the sweep (which
    // re-tested each rule); and the linear forms.
    let n = output.funcs.len();
    if cert.linear_forms.len() != n || cert.types.len() != n {
        bail!(
            "E0806",
            "linear forms or types of functions the output does not have"
        );
    }
    for (i, f) in output.funcs.iter().enumerate() {
        let typing = |e| fail("E0807", format!("the output does not type: {e}"));
        let (_, low) = v.lowered(&output, tag, f, false).map_err(typing)?;
        let spelt = f.locals.iter().zip(low.env.iter());
        let same = spelt.len() == cert.types[i].len()
            && spelt.zip(&cert.types[i]).all(|((l, x), t)| {
                let x = x
                    .as_ref()
                    .and_then(|x| walk::spell_within(x, l.linear, t.len()));
                x.as_ref() == Some(t)
            });
        if !same {
            bail!(
                "E0807",
                "the binder types of `{}` are not their values' types",
                f.name
            );
        }
        let row = |row: &Vec<(u32, u32)>| {
            let each = row.iter().map(|&(i, t)| Some((i, *terms.get(t as usize)?)));
            each.collect::<Option<Vec<_>>>().map(Rc::new)
        };
        if cert.linear_forms[i]
            .iter()
            .map(row)
            .collect::<Option<Vec<Row>>>()
            != Some(low.lin)
        {
            bail!("E0806", "the linear forms of `{}` do not recompute", f.name);
        }
    }
    let count = |o: &str| v.report.iter().filter(|c| c.outcome == o).count();
    let (proved, refuted) = (count("proved"), count("refuted"));
    Ok(Report {
        transformation: cert.transformation,
        proved,
        unknown: v.report.len() - proved - refuted,
        refuted,
        claims: v.report,
        decided: v.decided,
        terms: cert.terms.len(),
    })
}
