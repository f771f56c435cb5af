//! The work bounds of SPEC §5, known to the kernel itself (never read from a certificate):
//! one row per transformation, `W(out) ≤ factor · W(in) + offset` per input function, after
//! the kernel recomputed both static works. The constants are derived construct by construct
//! (as `rewrite::work_bounds` states them), here from the primitive table and the programs:
//!
//! | transformation | factor | offset |
//! | --- | --- | --- |
//! | jvp | `c_jvp` | 0 |
//! | unzip | `C_U` | `X(f)` |
//! | transpose | `C_T` | `2 + k` (k linear parameters) |
//! | vjp | `C_T · C_U · c_jvp` | `C_T · X(f) + 2 + n` (n parameters) |
//!
//! `c_jvp` is the largest ratio of any construct's JVP image to the construct: `7 + s` for a
//! tuple, `(W(rule_p) + 1 + 3n) / (1 + cost(p) + n)` for a primitive binding (`s`: the largest
//! type of the input). Unzip's output is the JVP's work plus at most 4 per construct (a call's
//! second half, a split return, an unused binder's drop): `C_U = 5`; besides, the bindings
//! it recomputes (the nonlinear bindings of `.lin`, at their own static work) and the residual
//! tuple each split function builds, returns and destructures (`|R_f| + 8`), and the same for
//! every split callee at each call: `X(f) = W_rec(f) + |R_f| + 8 + Σ_calls X(g)`, `R_f` the
//! residual type `.nonlin` returns last. (A recomputed call runs a callee's `.nonlin` again,
//! so no constant factor bounds recomputation: it is measured, as SPEC §5 states the bound.)

use super::schema::Certificate;
use super::walk::{Prog, row_program};
use super::{KernelError, Verdict, bail, fail};
use semantics::{Bind, Expr, PrimTable, Program, binding_works, each_expr};

pub const C_T: f64 = 4.0;
pub const C_U: f64 = 5.0;

/// `c_jvp` for `input`, from the table's JVP rules (each parsed and its static work taken).
pub fn c_jvp(prims: &PrimTable, input: &Prog) -> Result<f64, KernelError> {
    let types = semantics::local_types(&input.p, prims).unwrap_or_default();
    let s = types.iter().flatten().flatten().map(|t| t.size()).max();
    let s = s.unwrap_or(1).max(1) as f64;
    let mut c = (7.0 + s).max(3.0 + s / 2.0);
    for (_, row) in prims.rows() {
        let why = format!("the JVP rule of `{}` does not parse", row.name);
        let bad = || fail("E0599", why.clone());
        let p = row_program(row.jvp, "jvp", "R ; R", prims).ok_or_else(bad)?;
        let w = semantics::static_work(&p, prims).map_err(|_| bad())?[0] as f64;
        let (n, cost) = (row.arity as f64, row.cost as f64);
        c = c.max((w + 1.0 + 3.0 * n) / (1.0 + cost + n));
        c = c.max((w + 3.0 * n) / (cost + n).max(1.0));
    }
    Ok(c)
}

/// The split functions of `n` (`f.nonlin` and `f.lin`, or `f.jvp.nonlin` and `f.jvp.lin.T`).
fn halves(pass: &str, n: &str) -> [String; 2] {
    match pass {
        "unzip" => [format!("{n}.nonlin"), format!("{n}.lin")],
        _ => [format!("{n}.jvp.nonlin"), format!("{n}.jvp.lin.T")],
    }
}

/// `X(f)` for every input function (its split functions named by [`halves`]).
pub fn extra(inp: &Program, out: &Program, prims: &PrimTable, pass: &str) -> Vec<f64> {
    let (works, ix) = (binding_works(out, prims).unwrap_or_default(), out.index());
    let by = |n: &str| ix.get(n).map(|id| id.0 as usize);
    let mut xs: Vec<f64> = Vec::with_capacity(inp.funcs.len());
    for f in &inp.funcs {
        let [nl, lin] = halves(pass, &f.name);
        let own = by(&nl).and_then(|i| out.funcs[i].results.last());
        let mut x = own.map_or(0.0, |t| t.size() as f64 + 8.0);
        if let Some(i) = by(&lin) {
            let g = &out.funcs[i];
            for (b, w) in g.body.binds.iter().zip(works.get(i).into_iter().flatten()) {
                let nonlinear = match b {
                    Bind::Let { lin, .. } => lin.is_empty(),
                    Bind::Unpack { src, .. } => !g.is_linear(src.id),
                };
                x += if nonlinear { *w as f64 } else { 0.0 };
            }
        }
        each_expr(&f.body, &mut |e| {
            if let Expr::Call { func, .. } = e {
                x += xs.get(func.0 as usize).copied().unwrap_or(0.0);
            }
        });
        xs.push(x);
    }
    xs
}

/// The static work of both programs, the outputs each input function became, and the bound
/// `factor · W(f) + offset` of its row.
pub fn check(cert: &Certificate, inp: &Prog, out: &Program, prims: &PrimTable) -> Verdict<()> {
    let work = |p| semantics::static_work(p, prims).map_err(|e| fail("E0805", e.message));
    let (w_in, w_out, ix) = (work(&inp.p)?, work(out)?, out.index());
    if cert.work.len() != inp.p.funcs.len() {
        let why = "work figures for another number of functions than the input has";
        bail!("E0805", "{why}");
    }
    let pass = cert.transformation.as_str();
    let (c_jvp, extra) = (c_jvp(prims, inp)?, extra(&inp.p, out, prims, pass));
    for (((f, w), e), x) in inp.p.funcs.iter().zip(&w_in).zip(&cert.work).zip(extra) {
        let n = &f.name;
        let split = halves(pass, n).iter().all(|h| ix.get(h).is_some());
        let outputs = match pass {
            "jvp" => vec![format!("{n}.jvp")],
            "transpose" if ix.get(&format!("{n}.T")).is_some() => vec![format!("{n}.T")],
            "unzip" | "vjp" if split => halves(pass, n).to_vec(),
            "vjp" => Vec::new(),
            _ => vec![n.clone()],
        };
        let sum: Option<u128> = outputs
            .iter()
            .map(|o| Some(w_out[ix.get(o)?.0 as usize]))
            .sum();
        if e.function != *n || e.outputs != outputs || e.work_in != *w || Some(e.work_out) != sum {
            bail!("E0805", "work of `{n}`: the figures do not recompute");
        }
        let (factor, offset) = match pass {
            "jvp" => (c_jvp, 0.0),
            "unzip" => (C_U, x),
            "transpose" => (C_T, 2.0 + f.lparams.len() as f64),
            _ => (C_T * C_U * c_jvp, C_T * x + 2.0 + f.params.len() as f64),
        };
        if e.work_out as f64 > factor * *w as f64 + offset {
            let bound = format!("{factor} · {w} + {offset} (SPEC §5)");
            bail!("E0805", "work of `{n}`: {} > {bound}", e.work_out);
        }
    }
    Ok(())
}
