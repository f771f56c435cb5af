//! `lina jvp|unzip|transpose|vjp FILE --certify CERT.json` and `lina verify CERT.json`: glue
//! over `rewrite::certificate` (the producer) and `checker::kernel` (the checker).
//!
//! `verify` exits 0 when the kernel accepts the certificate (every obligation it calls
//! proved is decided by the kernel; `unknown` claims are listed, never counted as proved), 1 with the first failing
//! step otherwise, 2 when the file cannot be read.

use crate::Format;
use crate::commands::{Status, load, policy, read_source, rejected, usage};
use rewrite::certificate::{Pass, certify};
use semantics::PrimTable;

/// Which transformation to certify (`policy` as given on the command line).
pub enum Which {
    Jvp,
    Unzip(String),
    Transpose,
    Vjp(String),
}

/// Runs the transformation, prints its output, and writes its certificate to `cert`.
pub fn transform(path: &str, which: Which, cert: &str) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load(&src, Format::Text)?;
        let pass = match which {
            Which::Jvp => Pass::Jvp,
            Which::Unzip(p) => Pass::Unzip(policy(&p)?),
            Which::Transpose => Pass::Transpose,
            Which::Vjp(p) => Pass::Vjp(policy(&p)?),
        };
        let (out, c) = certify(&prog, PrimTable::standard(), pass)
            .map_err(|e| rejected(&src, &e, Format::Text))?;
        let json = serde_json::to_string(&c).map_err(|e| usage(&format!("certificate: {e}")))?;
        std::fs::write(cert, json + "\n")
            .map_err(|e| usage(&format!("cannot write `{cert}`: {e}")))?;
        out!("{}", semantics::print(&out));
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

pub fn verify(path: &str, format: Format) -> Status {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return usage(&format!("cannot read `{path}`: {e}")),
    };
    match (checker::refute::verify(&text), format) {
        (Ok(r), Format::Json) => {
            let mut v = serde_json::to_value(&r).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("ok".into(), true.into());
            }
            outln!("{v}");
            Status::Ok
        }
        (Ok(r), Format::Text) => {
            outln!(
                "verified {}: {} claims proved, {} unknown, {} refuted, {} obligations decided, {} terms",
                r.transformation,
                r.proved,
                r.unknown,
                r.refuted,
                r.decided,
                r.terms
            );
            for c in r.claims.iter().filter(|c| c.outcome != "proved") {
                let why = c.why.as_deref().unwrap_or("no reason given");
                outln!("  {} {}: {} ({why})", c.function, c.claim, c.outcome);
            }
            Status::Ok
        }
        (Err(e), Format::Json) => {
            outln!("{}", serde_json::json!({"ok": false, "error": e}));
            Status::Rejected
        }
        (Err(e), Format::Text) => {
            errout!("lina: certificate rejected: {e}\n");
            Status::Rejected
        }
    }
}
