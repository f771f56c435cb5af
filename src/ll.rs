//! The λLL commands: `lina encode`, `lina vjp --route ll`, `lina grad --route ll`.
//! Glue only: the library crates do the work (`rewrite::{linear_a_to_ll, ll_vjp, ll_grad}`).

use crate::Format;
use crate::commands::{
    Limits, Status, arguments, big, cotangents, find, list, load_checked, read_source, reject,
    rejected, usage, values_json, within_work,
};
use semantics::{Diagnostic, PrimTable};

/// Prints the λLL encoding of a program.
pub fn encode(path: &str) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load_checked(&src, Format::Text)?;
        let ll = rewrite::linear_a_to_ll(&prog, PrimTable::standard())
            .map_err(|e| rejected(&src, &e, Format::Text))?;
        out!("{}", semantics::ll::print(&ll));
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

/// Prints the λLL reverse-mode program: each `f.jvp` returns its results and its transposed
/// linear map.
pub fn vjp(path: &str) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load_checked(&src, Format::Text)?;
        let ll = rewrite::ll_vjp(&prog, PrimTable::standard())
            .map_err(|e| rejected(&src, &e, Format::Text))?;
        out!("{}", semantics::ll::print(&ll));
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

/// The gradient through λLL, printed as `lina grad` prints it.
pub fn grad(
    path: &str,
    func: &str,
    args: &str,
    cotangent: Option<&str>,
    limits: Limits,
    format: Format,
) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load_checked(&src, format)?;
        let prims = PrimTable::standard();
        let (id, _) = find(&prog, func, &src)?;
        // Differentiate what `func` calls, not the whole file, as the Linear A route does
        // (`semantics::call_closure`): an unrelated linear function does not stand in the way.
        let (prog, id) = semantics::call_closure(&prog, id);
        let f = &prog.funcs[id.0 as usize];
        let x = arguments(args, &f.params, "arguments", f)?;
        let cts = cotangents(cotangent, f)?;
        within_work(&prog, id, limits.max_work, &src, format)?;
        route_within_work(&prog, id, limits.max_work, &src, format)?;
        let vjp = rewrite::ll_vjp(&prog, prims).map_err(|e| rejected(&src, &e, format))?;
        let orig = semantics::eval_fn(&prog, prims, id, &x, &[])
            .map_err(|e| reject(&src, &[e.to_diagnostic()], format))?;
        let g = rewrite::ll_grad(&vjp, id, &x, &cts)
            .map_err(|e| reject(&src, &[e.to_diagnostic()], format))?;
        match format {
            Format::Text => {
                outln!("value: {}", list(&g.value));
                outln!("gradient: {}", list(&g.gradient));
                outln!("work: f {}, vjp {}", orig.work, g.work);
            }
            Format::Json => outln!(
                "{}",
                serde_json::json!({
                    "value": values_json(&g.value),
                    "gradient": values_json(&g.gradient),
                    "work": {"f": big(orig.work), "vjp": big(g.work)},
                })
            ),
        }
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

/// Refuses a function with no results (a usage error, as on the Linear A route), and refuses
/// to run the λLL route when its derived bound, `C_ENC · W(Linear A route) + 2·ENTRY`
/// (from the static work of `f.jvp.nonlin` and `f.jvp.lin.T`), exceeds `limit` (E0410).
fn route_within_work(
    prog: &semantics::Program,
    id: semantics::FuncId,
    limit: u128,
    src: &crate::commands::Source,
    format: Format,
) -> Result<(), Status> {
    let prims = PrimTable::standard();
    let v = rewrite::vjp(prog, prims, rewrite::Policy::SaveAll)
        .map_err(|e| rejected(src, &e, format))?;
    let Some((nonlin, lin_t)) = v.halves(id.0 as usize) else {
        let name = &prog.funcs[id.0 as usize].name;
        return Err(usage(&format!("`{name}` has no results to differentiate")));
    };
    let works = semantics::static_work(&v.program, prims)
        .map_err(|e| reject(src, &[e.to_diagnostic()], format))?;
    let w = |f: semantics::FuncId| works.get(f.0 as usize).copied().unwrap_or(0) as f64;
    let bound = rewrite::C_ENC * (w(nonlin) + w(lin_t)) + 2.0 * rewrite::ENTRY;
    if bound > limit as f64 {
        let f = &prog.funcs[id.0 as usize];
        let d = Diagnostic::error(
            "E0410",
            format!(
                "the λLL gradient of `{}` may do up to {bound:.0} units of work, more than the limit {limit}",
                f.name
            ),
        )
        .with_primary(f.name_span, "this function")
        .with_note("raise the limit with --max-work N");
        return Err(reject(src, &[d], format));
    }
    Ok(())
}
