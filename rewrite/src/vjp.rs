//! VJP (SPEC §4): `vjp = transpose ∘ unzip ∘ jvp`. For each `f` of a nonlinear program the
//! output has `f.jvp.nonlin` (runs forward, returns the results and the residuals) and
//! `f.jvp.lin.T` (maps cotangents of the results to cotangents of the parameters).

use crate::error::RewriteError;
use crate::{FnReport, Policy, Unzipped, jvp};
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
    // The passes consume their input: `Vjp` keeps each, so they get copies.
    let unzipped = crate::unzip::unzip_strict(j.clone(), prims, policy)?;
    let program = crate::transpose::transpose_strict(unzipped.program.clone(), prims)?;
    Ok(Vjp {
        jvp: j,
        unzipped,
        program,
    })
}

/// What `lina grad` and `lina vjp` read of a VJP: the program, unzip's reports and (if asked)
/// the static work of each unzipped function. [`vjp_output`] drops the JVP before transposing
/// and the unzipped program after, so its peak holds one program fewer than [`vjp`]'s.
pub struct VjpOutput {
    pub program: Program,
    pub reports: Vec<FnReport>,
    /// Static work of each function of the unzipped program (saturating), when asked for.
    pub unzipped_work: Vec<u128>,
}

impl VjpOutput {
    /// As [`Vjp::halves`].
    pub fn halves(&self, i: usize) -> Option<(FuncId, FuncId)> {
        let (nonlin, lin) = self.reports.get(i)?.outputs;
        Some((nonlin, lin?))
    }
}

/// [`vjp`] without keeping the intermediate programs; `with_work` also measures the unzipped
/// program's static work (for `lina vjp`'s report).
pub fn vjp_output(
    prog: &Program,
    prims: &PrimTable,
    policy: Policy,
    with_work: bool,
) -> Result<VjpOutput, RewriteError> {
    after_jvp(jvp(prog, prims)?, prims, policy, with_work)
}

/// [`vjp_output`] of a program the caller no longer needs: it is freed as soon as its JVP is
/// built (before the JVP's dup/drop insertion), so that later stages reuse its memory
/// (`lina vjp`).
pub fn vjp_output_owned(
    prog: Program,
    prims: &PrimTable,
    policy: Policy,
    with_work: bool,
) -> Result<VjpOutput, RewriteError> {
    after_jvp(
        crate::jvp::jvp_owned(prog, prims)?,
        prims,
        policy,
        with_work,
    )
}

/// Unzip and transpose of a JVP, each stage freed once the next is built.
fn after_jvp(
    j: Program,
    prims: &PrimTable,
    policy: Policy,
    with_work: bool,
) -> Result<VjpOutput, RewriteError> {
    let unzipped = crate::unzip::unzip_strict(j, prims, policy)?;
    // Unzip measured its output's work for its reports already.
    let unzipped_work = if with_work {
        unzipped.works
    } else {
        Vec::new()
    };
    let program = crate::transpose::transpose_strict(unzipped.program, prims)?;
    Ok(VjpOutput {
        program,
        reports: unzipped.reports,
        unzipped_work,
    })
}
