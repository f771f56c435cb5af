//! `lina ops`: the arithmetic operations executed by a function and by its gradient program
//! (`f.jvp.nonlin` then `f.jvp.lin.T`, what `lina grad` runs), counted by the rule of
//! [`rewrite::ops`]; `tests/jax/compare.py` sets them beside JAX's `grad` jaxpr.

use crate::Format;
use crate::commands::{
    Source, Status, big, find, load_checked, policy, read_source, reject, rejected, usage,
};
use semantics::PrimTable;

fn json(ops: &rewrite::Ops, prims: &PrimTable) -> serde_json::Value {
    let by_prim: serde_json::Map<_, _> = prims
        .rows()
        .zip(&ops.prims)
        .filter(|(_, n)| **n > 0)
        .map(|((_, row), n)| (row.name.to_string(), big(*n)))
        .collect();
    serde_json::json!({
        "total": big(ops.total()),
        "prims": by_prim,
        "adds": big(ops.adds),
        "scales": big(ops.scales),
    })
}

fn text(ops: &rewrite::Ops, prims: &PrimTable) -> String {
    let by_prim: Vec<String> = prims
        .rows()
        .zip(&ops.prims)
        .filter(|(_, n)| **n > 0)
        .map(|((_, row), n)| format!("{} {n}", row.name))
        .collect();
    format!(
        "{} ({}; linear adds {}, scales {})",
        ops.total(),
        if by_prim.is_empty() {
            "no primitives".into()
        } else {
            by_prim.join(", ")
        },
        ops.adds,
        ops.scales
    )
}

pub fn ops(path: &str, func: &str, pol: &str, format: Format) -> Status {
    let run = || -> Result<Status, Status> {
        let src: Source = read_source(path)?;
        let prog = load_checked(&src, format)?;
        let prims = PrimTable::standard();
        let policy = policy(pol)?;
        let (id, _) = find(&prog, func, &src)?;
        let (prog, id) = semantics::call_closure(&prog, id);
        let count = |p: &semantics::Program| {
            rewrite::executed_ops(p, prims).map_err(|e| reject(&src, &[e.to_diagnostic()], format))
        };
        let orig = count(&prog)?;
        let v = rewrite::vjp_output(&prog, prims, policy, false)
            .map_err(|e| rejected(&src, &e, format))?;
        let (nonlin, lin_t) = v
            .halves(id.0 as usize)
            .ok_or_else(|| usage(&format!("`{func}` has no results to differentiate")))?;
        let ops = count(&v.program)?;
        let (f, fwd, back) = (
            &orig[id.0 as usize],
            &ops[nonlin.0 as usize],
            &ops[lin_t.0 as usize],
        );
        let grad = fwd.clone().plus(back);
        match format {
            Format::Text => {
                outln!("f: {}", text(f, prims));
                outln!("nonlin: {}", text(fwd, prims));
                outln!("lin.T: {}", text(back, prims));
                outln!("gradient: {}", text(&grad, prims));
            }
            Format::Json => outln!(
                "{}",
                serde_json::json!({
                    "f": json(f, prims),
                    "nonlin": json(fwd, prims),
                    "lin_t": json(back, prims),
                    "gradient": json(&grad, prims),
                })
            ),
        }
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}
