//! `lina simplify` and `lina vjp --simplify`: glue over `rewrite::equiv::simplify`.
//!
//! The program is elaborated first (relaxed programs are accepted); the output is strict.
//! Each function's line in the header (text) or object (JSON) gives its work before and
//! after and the proof that the output's function equals the input's.

use crate::Format;
use crate::commands::{Source, Status, big, load, policy, read_source, reject, rejected, usage};
use rewrite::equiv::simplify::{FnReport, Limits, Simplified, simplify};
use semantics::{PrimTable, Program};

/// Simplifies `prog`, or reports why it cannot (an internal fault: status 1).
fn run_simplify(prog: &Program, src: &Source, format: Format) -> Result<Simplified, Status> {
    simplify(prog, PrimTable::standard(), &Limits::default()).map_err(|e| {
        let d = semantics::Diagnostic::error("E0520", format!("simplify: {e}"));
        reject(src, &[d], format)
    })
}

fn header(s: &Simplified) -> String {
    let mut out = String::from("# simplify: work before -> after, proof\n");
    for r in &s.functions {
        out += &format!(
            "# {}: W {} -> {}, {}{}\n",
            r.func,
            r.work_before,
            r.work_after,
            if r.simplified {
                "simplified, "
            } else {
                "kept, "
            },
            r.proof.as_str()
        );
        if let Some(n) = &r.note {
            out += &format!("#   {n}\n");
        }
    }
    out + "\n"
}

fn json(s: &Simplified) -> serde_json::Value {
    let f = |r: &FnReport| {
        serde_json::json!({
            "func": r.func,
            "work_before": big(r.work_before),
            "work_after": big(r.work_after),
            "simplified": r.simplified,
            "outcome": r.proof.as_str(),
            "note": r.note,
        })
    };
    serde_json::json!({
        "ok": true,
        "program": semantics::print(&s.program),
        "functions": s.functions.iter().map(f).collect::<Vec<_>>(),
    })
}

fn print(s: &Simplified, format: Format) {
    match format {
        Format::Text => out!("{}{}", header(s), semantics::print(&s.program)),
        Format::Json => outln!("{}", json(s)),
    }
}

/// `lina simplify FILE [--fn F] [--format json]`: with `--fn`, only F and what it calls.
pub fn simplify_file(path: &str, func: Option<&str>, format: Format) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load(&src, format)?;
        let prims = PrimTable::standard();
        let prog = checker::elaborate(&prog, prims).map_err(|d| reject(&src, &d, format))?;
        let prog = match func {
            Some(name) => {
                let id = prog
                    .func_named(name)
                    .ok_or_else(|| usage(&format!("no function `{name}` in {}", src.name)))?;
                semantics::call_closure(&prog, id).0
            }
            None => prog,
        };
        let s = run_simplify(&prog, &src, format)?;
        print(&s, format);
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

/// `lina vjp FILE --simplify`: the VJP, then simplified.
pub fn vjp(path: &str, pol: &str, format: Format) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load(&src, format)?;
        let prims = PrimTable::standard();
        let v = rewrite::vjp(&prog, prims, policy(pol)?).map_err(|e| rejected(&src, &e, format))?;
        let s = run_simplify(&v.program, &src, format)?;
        print(&s, format);
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}
