//! VJP (SPEC §4): `vjp = transpose ∘ unzip ∘ jvp`. For each `f` of a nonlinear program the
//! output has `f.jvp.nonlin` (runs forward, returns the results and the residuals) and
//! `f.jvp.lin.T` (maps cotangents of the results to cotangents of the parameters).

use crate::error::RewriteError;
use crate::{Policy, Unzipped, jvp};
use semantics::{FuncId, PrimTable, Program};

pub struct Vjp {
    /// The JVP (input of unzip), the unzipped program, and the VJP program.
    pub jvp: Program,
    pub unzipped: Unzipped,
    pub program: Program,
}

impl Vjp {
    /// For input function `i`: `f.jvp.nonlin` and `f.jvp.lin.T` in [`Vjp::program`] (transpose
    /// keeps function positions), or `None` if `f` was not split (it has no results).
    pub fn halves(&self, i: usize) -> Option<(FuncId, FuncId)> {
        let (nonlin, lin) = self.unzipped.reports.get(i)?.outputs;
        Some((nonlin, lin?))
    }
}

pub fn vjp(prog: &Program, prims: &PrimTable, policy: Policy) -> Result<Vjp, RewriteError> {
    let j = jvp(prog, prims)?;
    // JVP's and unzip's outputs are strict (each pass elaborates its output): the next pass
    // does not elaborate them again.
    let unzipped = crate::unzip::unzip_strict(&j, prims, policy)?;
    let program = crate::transpose::transpose_strict(&unzipped.program, prims)?;
    Ok(Vjp {
        jvp: j,
        unzipped,
        program,
    })
}
