//! Certificates on the corpus: every program's `jvp`, `vjp` and `unzip` under every policy and
//! `transpose` certifies, and the kernel verifies each certificate.

use rewrite::Policy;
use rewrite::certificate::{Pass, certify};
use semantics::{PrimTable, Program};

const POLICIES: [Policy; 3] = [Policy::SaveAll, Policy::RecomputeAll, Policy::Budget(1)];

/// Certifies `pass` on `p` and verifies the certificate: its JSON text and the output.
fn round_trip(name: &str, p: &Program, pass: Pass) -> (String, Program) {
    let (out, cert) =
        certify(p, PrimTable::standard(), pass).unwrap_or_else(|e| panic!("{name} {pass:?}: {e}"));
    let json = serde_json::to_string(&cert).unwrap();
    match checker::kernel::verify(&json) {
        Ok(r) => eprintln!(
            "{name} {pass:?}: {} proved, {} unknown, {} steps, {} bytes",
            r.proved,
            r.unknown,
            r.steps,
            json.len()
        ),
        Err(e) => panic!("{name} {pass:?}: rejected: {e}"),
    }
    (json, out)
}

#[test]
fn every_corpus_program_certifies_and_verifies() {
    let prims = PrimTable::standard();
    for file in semantics::corpus::load("").unwrap() {
        let p = semantics::parse(&file.src).unwrap();
        if checker::accepts(&p, prims, checker::Options { relaxed: true }).is_err() {
            continue;
        }
        let (_, j) = round_trip(&file.name, &p, Pass::Jvp);
        for pol in POLICIES {
            round_trip(&file.name, &p, Pass::Vjp(pol));
            let (_, u) = round_trip(&file.name, &j, Pass::Unzip(pol));
            round_trip(&file.name, &u, Pass::Transpose);
        }
    }
}
