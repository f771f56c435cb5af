//! # The certificate kernel
//!
//! [`verify`] re-checks a certificate (SPEC §6, `docs/certificates.md`) without trusting the
//! code that produced it: not the prover (egg), not the inferring checker, not the
//! transformations. It depends on `semantics` (parsing, types, the primitive table's names,
//! arities, costs and derivative column, the static work) and on `serde`/`serde_json`, and on
//! nothing else; `checker/tests/kernel_imports.rs` reads these files' `use` lines to keep it so.
//!
//! It parses the programs itself (a vjp's stages too), recomputes every claim's obligations
//! (`claims`, over its own lowering and reference Jacobians, `forms`; transposes as the adjoint
//! pairing, `adjoint`; a VJP as the composition of its stages' lemmas), replays each proof
//! step against its own rule table (`rules`, the one statement of each rule), pattern matcher
//! (`term`) and polynomial normaliser (`ring`), re-evaluates each refutation at its point
//! (`eval`), re-checks the output's typing derivations (`derivation`, over the data of
//! `evidence`; `docs/derivations.md`), and recomputes the static work against its own bounds
//! (`bounds`) and the linear forms. Any difference is a [`KernelError`] naming the claim,
//! obligation and step. Every loop over input is a linear sweep; no recursion follows the
//! input's size.

pub mod adjoint;
pub mod bounds;
pub mod claims;
pub mod derivation;
pub mod eval;
pub mod evidence;
pub mod forms;
pub mod replay;
pub mod ring;
pub mod rules;
pub mod schema;
pub mod term;

use self::claims::Lemma;
use self::forms::{Lowered, Row};
use self::schema::{Certificate, SCHEMA};
use self::term::{Dag, Id, Pat};
use semantics::{PrimTable, Program};
use serde::Serialize;
use std::collections::HashMap;
use std::rc::Rc;

/// What did not check: the claim (`function: claim`), obligation and step index, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KernelError {
    /// A stable code (`docs/errors.md`, E0801-E0807).
    pub code: &'static str,
    pub claim: Option<String>,
    pub obligation: Option<String>,
    pub step: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for KernelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (label, part) in [("claim", &self.claim), ("obligation", &self.obligation)] {
            if let Some(p) = part {
                write!(f, "{label} `{p}`, ")?;
            }
        }
        if let Some(s) = self.step {
            write!(f, "step {s}, ")?;
        }
        write!(f, "{} [{}]", self.message, self.code)
    }
}

pub(crate) fn fail(code: &'static str, message: impl Into<String>) -> KernelError {
    KernelError {
        code,
        claim: None,
        obligation: None,
        step: None,
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

/// An accepted certificate: each claim's outcome, and how much was replayed.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub transformation: String,
    pub claims: Vec<ClaimOutcome>,
    pub proved: usize,
    pub unknown: usize,
    /// Re-evaluated by the kernel at their points.
    pub refuted: usize,
    pub steps: usize,
    pub terms: usize,
}

pub struct Verifier<'a> {
    pub dag: Dag,
    prims: &'a PrimTable,
    columns: Vec<Option<Program>>,
    rules: HashMap<String, (Pat, Pat)>,
    lemmas: HashMap<String, Vec<Rc<Lemma>>>,
    lowered: HashMap<String, (Vec<Id>, Lowered)>,
    cmap: Vec<Id>,
    claims: std::vec::IntoIter<schema::ClaimCert>,
    report: Vec<ClaimOutcome>,
    steps: usize,
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
    let mut rules = HashMap::new();
    for r in rules::parse_rules(rules::RULES).map_err(|e| fail("E0599", e))? {
        let (l, rr) = (
            Pat::parse(&r.lhs).map_err(|e| fail("E0599", e))?,
            Pat::parse(&r.rhs).map_err(|e| fail("E0599", e))?,
        );
        rules.insert(r.name, (l, rr));
    }
    let mut v = Verifier {
        dag: Dag::default(),
        prims,
        columns: forms::columns(prims).map_err(|e| fail("E0599", e))?,
        rules,
        lemmas: HashMap::new(),
        lowered: HashMap::new(),
        cmap: Vec::with_capacity(cert.terms.len()),
        claims: cert.claims.clone().into_iter(),
        report: Vec::new(),
        steps: 0,
    };
    for (i, n) in cert.terms.iter().enumerate() {
        let kids = n
            .children
            .iter()
            .map(|&c| v.cmap.get(c as usize).copied().filter(|_| (c as usize) < i));
        let kids = kids
            .collect::<Option<Vec<Id>>>()
            .ok_or_else(|| fail("E0801", format!("term {i} has a child that is not older")))?;
        let id = v.dag.add(&n.op, kids);
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
    derivation::check(&output, prims, &cert.derivations).map_err(|e| KernelError {
        code: "E0807",
        claim: None,
        obligation: Some(format!(
            "typing derivation of `{}`, node {:?}",
            e.function, e.path
        )),
        step: None,
        message: e.message,
    })?;
    for (i, f) in output.funcs.iter().enumerate() {
        let form = cert
            .linear_forms
            .get(i)
            .ok_or_else(|| fail("E0806", format!("no linear forms of `{}`", f.name)))?;
        let mine = v
            .lowered(&output, tag, f, false)
            .ok()
            .map(|(_, low)| low.lin);
        let theirs: Option<Result<Vec<Row>, _>> = form.rows.as_ref().map(|rows| {
            rows.iter()
                .map(|row| {
                    row.iter()
                        .map(|&(i, t)| v.cmap.get(t as usize).map(|&t| (i, t)))
                        .collect::<Option<Vec<_>>>()
                        .map(Rc::new)
                })
                .collect::<Option<Vec<_>>>()
                .ok_or(())
        });
        if form.function != f.name || mine != theirs.transpose().ok().flatten() {
            return Err(fail(
                "E0806",
                format!("the linear forms of `{}` do not recompute", f.name),
            ));
        }
    }
    if cert.linear_forms.len() != output.funcs.len() {
        return Err(fail(
            "E0806",
            "linear forms of functions the output does not have",
        ));
    }
    let count = |o: &str| v.report.iter().filter(|c| c.outcome == o).count();
    let (proved, refuted) = (count("proved"), count("refuted"));
    Ok(Report {
        transformation: cert.transformation,
        proved,
        unknown: v.report.len() - proved - refuted,
        refuted,
        claims: v.report,
        steps: v.steps,
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
