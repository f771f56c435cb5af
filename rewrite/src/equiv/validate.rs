//! Translation validation of programs that people wrote (`lina equiv`): two programs'
//! same-named functions, a hand-written transpose, a hand-written derivative. The claims are
//! those of [`super::claims`], with the hand-written program in the transformed role.

use super::claims::{Claim, ClaimReport, Session, summarise};
use super::lower::{coefficient, coefficient_symbol, result_symbol, size};
use super::prove::Outcome;
use semantics::Program;

impl Session<'_> {
    /// Same-named functions of `a` and `b` (or only `only`) compute the same results and, for
    /// linear results, the same coefficients.
    pub fn equiv(&mut self, a: &Program, b: &Program, only: Option<&str>) -> Vec<ClaimReport> {
        let (mut out, index) = (Vec::new(), b.index());
        for f in &a.funcs {
            if only.is_some_and(|o| o != f.name) {
                continue;
            }
            let Some(g) = index.get(&f.name).and_then(|id| b.func(id)) else {
                if only.is_some() {
                    out.push(unknown(
                        &f.name,
                        format!("`{}` is not in the second program", f.name),
                    ));
                }
                continue;
            };
            match self.equiv_one(a, b, f, g) {
                Ok(r) => out.push(r),
                Err(e) => out.push(unknown(&f.name, e)),
            }
        }
        out
    }

    fn equiv_one(
        &mut self,
        a: &Program,
        b: &Program,
        f: &semantics::FnDef,
        g: &semantics::FnDef,
    ) -> Result<ClaimReport, String> {
        if f.params
            .iter()
            .map(|p| &p.ty)
            .ne(g.params.iter().map(|p| &p.ty))
            || f.lparams
                .iter()
                .map(|p| &p.ty)
                .ne(g.lparams.iter().map(|p| &p.ty))
            || f.results != g.results
            || f.lresults != g.lresults
        {
            return Err(format!(
                "`{}` has another type in the second program",
                f.name
            ));
        }
        let (inputs, want) = self.lowered(a, "A", f)?;
        let got = self.lower_at(b, "B", g, &inputs)?;
        self.lowered(b, "B", g)?;
        let lemmas = self.lemmas_for_pub(b, "B", g);
        let m = size(&f.lparams.iter().map(|p| p.ty.clone()).collect::<Vec<_>>());
        let mut pairs: Vec<_> = got
            .nl
            .iter()
            .zip(&want.nl)
            .enumerate()
            .map(|(k, (&l, &r))| (format!("result {k}"), l, r))
            .collect();
        let zero = self.dag.num(0.0);
        for (k, (gr, wr)) in got.lin.iter().zip(&want.lin).enumerate() {
            for i in 0..m as u32 {
                let l = coefficient(gr, i).unwrap_or(zero);
                let r = coefficient(wr, i).unwrap_or(zero);
                if l != zero || r != zero {
                    pairs.push((format!("coefficient {k}@{i}"), l, r));
                }
            }
        }
        let r = self.settle_pub(&f.name, Claim::Equiv, pairs, &lemmas);
        if r.outcome == Outcome::Proved {
            let xs: Vec<String> = (0..inputs.len()).map(|i| format!("?x{i}")).collect();
            let app = |s: String| {
                if xs.is_empty() {
                    s
                } else {
                    format!("({s} {})", xs.join(" "))
                }
            };
            let owner = format!("B:{}", g.name);
            for k in 0..want.nl.len() {
                self.add_lemma_pub(
                    &owner,
                    format!("lemma:{}:equiv#{k}", f.name),
                    app(result_symbol("B", &g.name, k)),
                    app(result_symbol("A", &f.name, k)),
                );
            }
            for k in 0..want.lin.len() {
                for i in 0..m {
                    self.add_lemma_pub(
                        &owner,
                        format!("lemma:{}:equiv#{k}@{i}", f.name),
                        app(coefficient_symbol("B", &g.name, k, i)),
                        app(coefficient_symbol("A", &f.name, k, i)),
                    );
                }
            }
        }
        Ok(r)
    }

    /// Each `g.T` of `lt` is the transpose of `g` in `l`.
    pub fn adjoint(&mut self, l: &Program, lt: &Program) -> Vec<ClaimReport> {
        let mut out = self.transpose(l, "L", lt, "LT", None);
        // Functions with no `.T` in the second program and absent from it are not claimed.
        let funcs = lt.index();
        out.retain(|r| {
            r.outcome == Outcome::Proved
                || funcs.get(&format!("{}.T", r.func)).is_some()
                || funcs.get(&r.func).is_some()
        });
        if out.is_empty() {
            out.push(unknown(
                "*",
                "no function `g.T` of the second program transposes a function of the first".into(),
            ));
        }
        out
    }

    /// Each `f.jvp` (or `f.jvp.nonlin` with `f.jvp.lin.T`) of `d` is the JVP (or VJP) of `f` in `f_prog`.
    pub fn derivative(&mut self, f_prog: &Program, d: &Program) -> Vec<ClaimReport> {
        let mut out = Vec::new();
        let funcs = d.index();
        let has_jvp = f_prog
            .funcs
            .iter()
            .any(|f| funcs.get(&format!("{}.jvp", f.name)).is_some());
        let has_vjp = f_prog
            .funcs
            .iter()
            .any(|f| funcs.get(&format!("{}.jvp.lin.T", f.name)).is_some());
        if has_jvp {
            out.extend(self.jvp(f_prog, d));
        }
        if has_vjp {
            out.extend(self.vjp(f_prog, d, "D", "hand-written"));
        }
        if !has_jvp && !has_vjp {
            out.push(unknown("*", "the second program has no `f.jvp` or `f.jvp.lin.T` for a function `f` of the first".into()));
        }
        out
    }
}

fn unknown(func: &str, why: String) -> ClaimReport {
    let mut r = summarise(func, Claim::Equiv, None, Vec::new());
    r.outcome = Outcome::Unknown;
    r.reason = Some(why);
    r
}
