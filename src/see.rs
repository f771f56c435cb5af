//! Glue of the commands that show and extend a program: `hvp` and `hessian` (forward over
//! reverse, `rewrite::Hvp`), `dot` (dataflow pictures, `rewrite::dataflow`) and `derive`
//! (typing derivations, `checker::present`).

use crate::Format;
use crate::commands::{self, Status, arguments, find, list, load_checked, read_source, usage};
use semantics::{PrimTable, Program, Value};

/// Builds the HVP program of `func`, mapping "not a scalar function" to a usage error (as
/// `grad` does for a missing cotangent).
fn hvp_program(
    prog: &Program,
    func: &str,
    src: &commands::Source,
    format: Format,
) -> Result<rewrite::Hvp, Status> {
    let (id, _) = find(prog, func, src)?;
    rewrite::Hvp::new(prog, PrimTable::standard(), id).map_err(|e| match e {
        rewrite::RewriteError::NotScalar { .. } => usage(&e.to_string()),
        _ => commands::rejected(src, &e, format),
    })
}

pub fn hvp(path: &str, func: &str, args: &str, direction: &str, format: Format) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load_checked(&src, format)?;
        let (_, f) = find(&prog, func, &src)?;
        let x = arguments(args, &f.params, "arguments", f)?;
        let v = arguments(direction, &f.params, "direction values", f)?;
        let h = hvp_program(&prog, func, &src, format)?;
        let out = h
            .at(PrimTable::standard(), &x, &v)
            .map_err(|e| commands::reject(&src, &[e.to_diagnostic()], format))?;
        match format {
            Format::Text => {
                outln!("value: {}", list(&out.value));
                outln!("gradient: {}", list(&out.gradient));
                outln!("hvp: {}", list(&out.hvp));
            }
            Format::Json => outln!(
                "{}",
                serde_json::json!({
                    "value": commands::values_json(&out.value),
                    "gradient": commands::values_json(&out.gradient),
                    "hvp": commands::values_json(&out.hvp),
                })
            ),
        }
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

pub fn hessian(path: &str, func: &str, args: &str, format: Format) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load_checked(&src, format)?;
        let (_, f) = find(&prog, func, &src)?;
        let x = arguments(args, &f.params, "arguments", f)?;
        let h = hvp_program(&prog, func, &src, format)?;
        if h.dimension() > rewrite::HESSIAN_LIMIT {
            return Err(usage(&format!(
                "`{func}` has {} parameter scalars; `hessian` takes at most {} (use `hvp`)",
                h.dimension(),
                rewrite::HESSIAN_LIMIT
            )));
        }
        let m = h
            .hessian(PrimTable::standard(), &x)
            .map_err(|e| commands::reject(&src, &[e.to_diagnostic()], format))?;
        match format {
            Format::Text => {
                for row in &m {
                    let row: Vec<Value> = row.iter().map(|&x| Value::Real(x)).collect();
                    outln!("{}", list(&row));
                }
            }
            Format::Json => {
                let rows: Vec<serde_json::Value> = m
                    .iter()
                    .map(|row| {
                        let row: Vec<Value> = row.iter().map(|&x| Value::Real(x)).collect();
                        commands::values_json(&row)
                    })
                    .collect();
                outln!("{}", serde_json::json!({ "hessian": rows }));
            }
        }
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}
