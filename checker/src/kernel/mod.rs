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
    KernelError {
        code,
        claim: None,
        obligation: None,
        message: message.into(),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ClaimOutcome {
    pub function: String,
    pub claim: String,
    /// `proved` only when every obligation replayed; otherwise the certificate's own word.
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
    cmap: Vec<Id>,
    claims: std::vec::IntoIter<schema::ClaimCert>,
    report: Vec<ClaimOutcome>,
    decided: usize,
}

/// Verifies a certificate (its JSON text) against the standard primitive table.
pub fn verify(json: &str) -> Result<Report, KernelError> {
    let cert: Certificate =
        serde_json::from_str(json).map_err(|e| fail("E0801", format!("not a certificate: {e}")))?;
    if cert.schema != SCHEMA {
        return Err(fail(
            "E0801",
            format!(
                "unknown schema `{}` (this kernel knows `{SCHEMA}`)",
                cert.schema
            ),
        ));
    }
    let prims = PrimTable::standard();
    let parse = |what: &str, text: &str| {
        semantics::parse_with(text, prims).map_err(|d| {
            fail(
                "E0802",
                format!(
                    "the {what} program does not parse: {}",
                    d.first().map_or("", |d| d.message.as_str())
                ),
            )
        })
    };
    let (input, output) = (parse("input", &cert.input)?, parse("output", &cert.output)?);
    let mut v = Verifier {
        dag: Dag::default(),
        prims,
        columns: walk::columns(prims).map_err(|e| fail("E0599", e))?,
        lemmas: HashMap::new(),
        lowered: HashMap::new(),
        cmap: Vec::with_capacity(cert.terms.len()),
        claims: cert.claims.clone().into_iter(),
        report: Vec::new(),
        decided: 0,
    };
    for (i, (op, children)) in cert.terms.iter().enumerate() {
        let kids = children
            .iter()
            .map(|&c| v.cmap.get(c as usize).copied().filter(|_| (c as usize) < i));
        let kids = kids
            .collect::<Option<Vec<Id>>>()
            .ok_or_else(|| fail("E0801", format!("term {i} has a child that is not older")))?;
        let id = v.dag.add(op, kids);
        v.cmap.push(id);
    }
    let tag = match cert.transformation.as_str() {
        "jvp" => "J",
        "unzip" => "U",
        "transpose" | "vjp" => "T",
        t => return Err(fail("E0801", format!("unknown transformation `{t}`"))),
    };
    if cert.transformation == "vjp" {
        let [j, u] = &cert.stages[..] else {
            return Err(fail(
                "E0801",
                "a vjp certificate carries its jvp and unzip stages",
            ));
        };
        let (j, u) = (parse("jvp stage", j)?, parse("unzip stage", u)?);
        v.claims("jvp", &input, &j)?;
        v.claims("unzip", &j, &u)?;
        v.claims("transpose", &u, &output)?;
        v.vjp(&input, &output)?;
    } else if cert.stages.is_empty() {
        v.claims(&cert.transformation, &input, &output)?;
    } else {
        return Err(fail("E0801", "stages in a certificate that is not a vjp's"));
    }
    if let Some(c) = v.claims.next() {
        let (f, c) = (c.function, c.claim);
        return Err(fail(
            "E0803",
            format!("a claim the kernel does not make: `{f}: {c}`"),
        ));
    }
    check_work(&cert, &input, &output, prims)?;
    // The flat typing derivation: every binder's type, against the values of its lowering
    // (which re-tested each rule); and the linear forms.
    let (forms, types) = (&cert.linear_forms, &cert.types);
    if forms.len() != output.funcs.len() || types.len() != output.funcs.len() {
        return Err(fail(
            "E0806",
            "linear forms or types of functions the output does not have",
        ));
    }
    for (i, f) in output.funcs.iter().enumerate() {
        let bad = |code, what| fail(code, format!("the {what} of `{}` do not recompute", f.name));
        let (_, low) = v
            .lowered(&output, tag, f, false)
            .map_err(|e| fail("E0807", format!("the output does not type: {e}")))?;
        let spelt = f
            .locals
            .iter()
            .zip(low.env.iter())
            .map(|(l, x)| x.as_ref().and_then(|x| walk::spell(x, l.linear)));
        if !spelt
            .map(Some)
            .eq(types[i].iter().map(|t| Some(Some(t.clone()))))
        {
            return Err(bad("E0807", "binder types"));
        }
        let row = |row: &Vec<(u32, u32)>| {
            let each = row
                .iter()
                .map(|&(i, t)| Some((i, *v.cmap.get(t as usize)?)));
            each.collect::<Option<Vec<_>>>().map(Rc::new)
        };
        if forms[i].iter().map(row).collect::<Option<Vec<Row>>>() != Some(low.lin) {
            return Err(bad("E0806", "linear forms"));
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

/// The static work of both programs, the outputs each input function became, and the bound.
fn check_work(
    cert: &Certificate,
    input: &Program,
    output: &Program,
    prims: &PrimTable,
) -> Result<(), KernelError> {
    let w_in = semantics::static_work(input, prims).map_err(|e| fail("E0805", e.message))?;
    let w_out = semantics::static_work(output, prims).map_err(|e| fail("E0805", e.message))?;
    let has = |n: &String| output.func_named(n).is_some();
    if cert.work.len() != input.funcs.len() {
        return Err(fail(
            "E0805",
            "work figures for another number of functions than the input has",
        ));
    }
    let c_jvp = bounds::c_jvp(prims, input)?;
    let halves = |n: &str| match cert.transformation.as_str() {
        "unzip" => (format!("{n}.nonlin"), format!("{n}.lin")),
        _ => (format!("{n}.jvp.nonlin"), format!("{n}.jvp.lin.T")),
    };
    let extra = bounds::extra(input, output, prims, &halves);
    for (i, ((f, w), e)) in input.funcs.iter().zip(&w_in).zip(&cert.work).enumerate() {
        let both = |a: String, b: String| {
            if has(&a) && has(&b) {
                Some(vec![a, b])
            } else {
                None
            }
        };
        let n = &f.name;
        let outputs = match cert.transformation.as_str() {
            "jvp" => vec![format!("{n}.jvp")],
            "unzip" => {
                both(format!("{n}.nonlin"), format!("{n}.lin")).unwrap_or_else(|| vec![n.clone()])
            }
            "transpose" => Some(format!("{n}.T"))
                .filter(has)
                .map_or_else(|| vec![n.clone()], |t| vec![t]),
            _ => both(format!("{n}.jvp.nonlin"), format!("{n}.jvp.lin.T")).unwrap_or_default(),
        };
        let sum = outputs
            .iter()
            .map(|o| output.func_named(o).map(|id| w_out[id.0 as usize]))
            .sum::<Option<u128>>();
        let bad = |why: &str| Err(fail("E0805", format!("work of `{n}`: {why}")));
        if e.function != *n || e.outputs != outputs || e.work_in != *w || Some(e.work_out) != sum {
            return bad("the figures do not recompute");
        }
        let (factor, offset) = bounds::row(&cert.transformation, c_jvp, &extra, f, i);
        if e.work_out as f64 > factor * *w as f64 + offset {
            return bad(&format!(
                "{} > {factor} · {w} + {offset}, the bound of SPEC §5",
                e.work_out
            ));
        }
    }
    Ok(())
}
