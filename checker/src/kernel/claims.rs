//! The claims, recomputed from the two programs, as the prover states them
//! (`rewrite::equiv::claims`, `docs/equiv.md`): for each input function `f`, the output's
//! **targets** (`f.jvp`; `f.nonlin` then `f.lin`, or `f` passed through; `g.T`, or `g` kept;
//! `f.jvp.nonlin` then `f.jvp.lin.T`), one obligation per result leaf and per coefficient
//! (a transpose's by the adjoint pairing, or entrywise), and, once verified, the **names** its
//! callers' symbols get ([`walk::Names`]).
//!
//! A name follows from its claim's verified obligations by the definition of the function
//! symbols: `J:g.jvp#k(x..)` *is* the lowered result `k` of `g.jvp` at `x..`, so the obligation
//! `lowered(g.jvp)_k = lowered(g)_k` says `J:g.jvp#k(x..) = P:g#k(x..)`, and a call of `g.jvp`
//! later in the stage makes the symbol `P:g#k(x..)` directly. Every stage names its symbols by
//! its own claims and lowers its programs afresh: a name is about the stage's input program.

use super::settle::Why;
use super::term::Id;
use super::walk::{
    self, Lowered, Name, OVER_BUDGET, Pairs, Prog, Row, coefficient, inputs, pairing, size,
};
use super::{KernelError, Verifier};
use semantics::{Expr, FnDef, PrimTable, Program, each_expr};
use std::collections::{BTreeSet, HashMap};

/// A program printed: its type declarations, and each function's text by name (`None` where
/// two functions have one name, so that nothing is called identical). A text is keyed by the
/// primitives that user functions above it shadow: there `cos(x)` is a call of the function
/// `cos`, above it the primitive, so alike texts may differ in meaning.
pub type Texts = Option<(String, HashMap<String, String>)>;

pub fn texts(p: &Program, prims: &PrimTable) -> Texts {
    let aliases = semantics::aliases_in(semantics::program_types(p));
    let types = aliases
        .iter()
        .map(|a| format!("type {} = {}\n", a.name, a.def));
    let (mut fs, mut shadowed) = (HashMap::new(), BTreeSet::new());
    for (g, text) in p
        .funcs
        .iter()
        .zip(semantics::print_each_fn(&p.funcs, prims))
    {
        let above = shadowed
            .iter()
            .fold(String::new(), |s, n: &&str| s + n + " ");
        fs.insert(g.name.clone(), above + "\n" + text.trim_end());
        if prims.lookup(&g.name).is_some() {
            shadowed.insert(g.name.as_str());
        }
    }
    (fs.len() == p.funcs.len()).then(|| (types.collect(), fs))
}

/// The names of the functions `g` calls.
pub fn callees<'p>(prog: &'p Program, g: &FnDef) -> impl Iterator<Item = &'p String> {
    let mut ids = Vec::new();
    each_expr(&g.body, &mut |e| {
        if let Expr::Call { func, .. } = e {
            ids.push(*func)
        }
    });
    ids.into_iter()
        .filter_map(|id| prog.func(id).map(|h| &h.name))
}

/// `g` is printed as the same text in both programs, which declare the same types: parsed
/// alike, it is the same function but for its callees (resolved by name).
pub fn same_text(a: &Texts, b: &Texts, g: &FnDef) -> bool {
    let linear = !(g.lparams.is_empty() && g.lresults.is_empty());
    matches!((a, b), (Some((ta, fa)), Some((tb, fb)))
        if !linear && ta == tb && fa.get(&g.name).is_some_and(|x| fb.get(&g.name) == Some(x)))
}

/// A claim's obligations: results, coefficients, the residual symbols the linear half is
/// applied to (`None`: the inputs), and the numbers of results, linear inputs, original rows.
type Sides = (Pairs, Pairs, Res, [usize; 3]);
/// The residual symbols a split function's linear half is applied to (see [`Name`]).
type Res = Option<Vec<String>>;
type Low = Result<(Vec<Id>, Lowered), Why>;

impl Verifier {
    /// `f` of `prog` lowered at its own input symbols (memoised), or at `at`.
    pub fn lowered(&mut self, prog: &Prog, f: &FnDef, grad: bool, at: Option<&[Id]>) -> Low {
        if prog.refused.contains(&f.name) {
            return Err(Why::OverBudget(format!("`{}`: {OVER_BUDGET}", f.name)));
        }
        // By stage: each names its calls by its own claims.
        let key = format!("{} {}:{}:{grad}", self.stage, prog.tag, f.name);
        let lower = |v: &mut Self, at: &[Id]| {
            let low = walk::lower(&mut v.dag, (&v.columns, &v.names), prog, f, at, grad);
            low.map_err(|e| Why::No(format!("{}: {e}", f.name)))
        };
        let (xs, low) = match self.lowered.get(&key) {
            Some((xs, low, _)) => (xs.clone(), low.clone()),
            None => {
                let xs = inputs(&mut self.dag, f);
                let low = lower(self, &xs)?;
                let rank = self.lowered.len();
                self.lowered.insert(key, (xs.clone(), low.clone(), rank));
                (xs, low)
            }
        };
        match at {
            Some(at) if at != xs => Ok((at.to_vec(), lower(self, at)?)),
            _ => Ok((xs, low)),
        }
    }

    /// Every claim of the transformation `pass` (`jvp`, `unzip`, `transpose`).
    pub fn claims(&mut self, pass: &str, inp: &Prog, out: &Prog) -> Result<(), KernelError> {
        let (it, ot, reference) = (inp.tag, out.tag, pass == "jvp");
        (self.stage, self.names) = (pass.to_string(), walk::Names::new());
        let prims = PrimTable::standard();
        let texts = (pass == "transpose").then(|| (texts(&inp.p, prims), texts(&out.p, prims)));
        for f in &inp.p.funcs {
            let n = &f.name;
            let by = |s: &str| out.func(&format!("{n}{s}"));
            let targets = match (pass, by(".nonlin").zip(by(".lin")), by(".T")) {
                ("jvp", ..) => by(".jvp").map(|g| (g, None)),
                ("unzip", Some((a, b)), _) => Some((a, Some(b))),
                ("transpose", _, Some(t)) => Some((t, None)),
                _ => by("").map(|g| (g, None)),
            };
            let transposed = pass == "transpose" && by(".T").is_some();
            let kept = pass == "transpose" && !transposed;
            let [claim, tangent] = if reference {
                ["jvp-primal", "jvp-tangent"]
            } else {
                [pass; 2]
            };
            let Some((first, second)) = targets else {
                let why = Why::No(format!("no output of `{n}`"));
                self.settle((n, claim), Err(why))?;
                continue;
            };
            // A kept function identical to its input, calling only kept functions whose claims
            // are verified, equals it by congruence: the one obligation `identical`.
            let verified = |h: &String| {
                self.proved.contains(&format!("{h}: transpose"))
                    && out.func(&format!("{h}.T")).is_none()
            };
            let identical = matches!(&texts, Some((a, b)) if kept
                && !out.refused.contains(&first.name)
                && same_text(a, b, first)
                && callees(&out.p, first).all(verified));
            let sides = if identical {
                let zero = self.dag.num(0.0);
                let pair = ("identical".to_string(), zero, zero, Vec::new());
                Ok((vec![pair], Vec::new(), None, [size(&f.results), 0, 0]))
            } else {
                self.sides(inp, out, f, (first, second), transposed, reference)
            };
            let (results, coefs, res, [n_res, n_in, n_out]) = match sides {
                Err(e) => {
                    self.settle((n, claim), Err(e))?;
                    continue;
                }
                Ok(s) => s,
            };
            // Which were proved: the results (or `identical`), then the rest.
            let (r1, r2) = if reference {
                let r1 = self.settle((n, claim), Ok(results))?;
                (r1, self.settle((n, tangent), Ok(coefs))?)
            } else {
                let m = results.len();
                let mut r1 = self.settle((n, claim), Ok([results, coefs].concat()))?;
                let r2 = r1.split_off(m);
                (r1, r2)
            };
            let (r1, r2) = (!r1.contains(&false), !r2.contains(&false));
            // The verified claim names the targets' symbols at their callers' call sites.
            for k in (0..n_res).filter(|_| r1) {
                let from = format!("{ot}:{}#{k}", first.name);
                self.names.insert(from, Name::Same(format!("{it}:{n}#{k}")));
            }
            // A pairing's obligations are not per coefficient: all of them, then.
            let (lin, d) = (
                &second.unwrap_or(first).name,
                if reference { "d" } else { "" },
            );
            let entries = (0..n_out).flat_map(|k| (0..n_in).map(move |i| (k, i)));
            for (k, i) in entries.filter(|_| r2) {
                let (a, b) = if transposed { (i, k) } else { (k, i) };
                let (from, to) = (
                    format!("{ot}:{lin}#{a}@{b}"),
                    format!("{it}:{n}#{d}{k}@{i}"),
                );
                let (from, name) = match &res {
                    None => (from, Name::Same(to)),
                    // No residuals: the coefficient is a constant, and the input's symbol is
                    // named as the linear half's, without arguments.
                    Some(r) if r.is_empty() => (to, Name::Constant(from)),
                    Some(r) => (from, Name::AtResiduals(to, r.clone())),
                };
                self.names.insert(from, name);
            }
        }
        Ok(())
    }

    /// The VJP claims, **by composition** (schema 6): `f`'s VJP is the output's
    /// `f.jvp.nonlin` and `f.jvp.lin.T`, and it holds once the five stage claims it composes
    /// are proved (`jvp-primal` and `jvp-tangent` of `f`, `unzip` of `f.jvp` split into
    /// `f.jvp.nonlin` and `f.jvp.lin`, `transpose` of `f.jvp.lin` into `f.jvp.lin.T`, and of
    /// `f.jvp.nonlin` kept): `T:f.jvp.nonlin = U:f.jvp.nonlin`, whose results are `J:f.jvp`'s,
    /// `P:f`'s, and whose residuals `r` give `T:f.jvp.lin.T(r, ·) = U:f.jvp.lin(r, ·)ᵀ =
    /// (J:f.jvp's tangent)ᵀ = (∂f)ᵀ` (equalities of functions chain). One obligation per stage
    /// claim, decided by that claim's verdict; with a stage not proved, none.
    pub fn vjp(&mut self, inp: &Prog, u: &Prog, out: &Prog) -> Result<(), KernelError> {
        for f in &inp.p.funcs {
            let n = &f.name;
            let (j, nl, lin) = (
                format!("{n}.jvp"),
                format!("{n}.jvp.nonlin"),
                format!("{n}.jvp.lin"),
            );
            let stages = [
                format!("{n}: jvp-primal"),
                format!("{n}: jvp-tangent"),
                format!("{j}: unzip"),
                format!("{lin}: transpose"),
                format!("{nl}: transpose"),
            ];
            let split = u.func(&nl).is_some() && u.func(&lin).is_some();
            let kept = out.func(&nl).is_some() && out.func(&format!("{nl}.T")).is_none();
            let zero = self.dag.num(0.0);
            let pairs = match stages.iter().find(|s| !self.proved.contains(*s)) {
                _ if !(split && kept && out.func(&format!("{lin}.T")).is_some()) => {
                    Err(Why::No(format!("the output is not `{nl}` and `{lin}.T`")))
                }
                Some(s) if self.over.contains(s) => {
                    Err(Why::OverBudget(format!("`{s}`: {OVER_BUDGET}")))
                }
                Some(s) => Err(Why::No(format!("the stage claim `{s}` is not proved"))),
                None => Ok(stages
                    .iter()
                    .map(|s| (format!("stage {s}"), zero, zero, vec![]))
                    .collect()),
            };
            self.settle((n, "vjp"), pairs)?;
        }
        Ok(())
    }

    /// The obligations of one claim ([`Sides`]): `f`'s lowering (with its reference Jacobian
    /// where `reference`) against its targets', the second at the first's residuals.
    fn sides(
        &mut self,
        inp: &Prog,
        out: &Prog,
        f: &FnDef,
        (first, second): (&FnDef, Option<&FnDef>),
        transposed: bool,
        reference: bool,
    ) -> Result<Sides, Why> {
        let (xs, orig) = self.lowered(inp, f, reference, None)?;
        let n_res = orig.nl.len();
        let (_, a) = self.lowered(out, first, false, Some(&xs))?;
        let (got_nl, got_lin, res) = match second {
            None => (a.nl.clone(), a.lin.clone(), None),
            Some(g) => {
                let too_few = || Why::No(format!("`{}` returns too few results", first.name));
                let r = a.nl.get(n_res..).ok_or_else(too_few)?;
                let (_, b) = self.lowered(out, g, false, Some(r))?;
                let res = (n_res..a.nl.len()).map(|r| format!("{}:{}#{r}", out.tag, first.name));
                (a.nl[..n_res].to_vec(), b.lin, Some(res.collect()))
            }
        };
        let want: &[Row] = if reference { &orig.grads } else { &orig.lin };
        let n_in = if reference {
            xs.len()
        } else {
            size(f.lparams.iter().map(|p| &p.ty))
        };
        if got_nl.len() != n_res || (transposed && n_res > 0) {
            let m = got_nl.len();
            return Err(Why::No(format!("{m} result leaves against {n_res}")));
        }
        let zero = self.dag.num(0.0);
        let pair =
            |w, l: Option<Id>, r: Option<Id>| (w, l.unwrap_or(zero), r.unwrap_or(zero), vec![]);
        let results = (got_nl.iter().zip(&orig.nl).enumerate())
            .map(|(k, (&l, &r))| pair(format!("result {k}"), Some(l), Some(r)))
            .collect();
        let mut coefs = Vec::new();
        if transposed {
            let beyond = got_lin
                .iter()
                .flat_map(|r| r.iter())
                .any(|e| e.0 as usize >= want.len());
            if got_lin.len() != n_in || beyond {
                let (m, why) = (got_lin.len(), "or one the original does not produce");
                return Err(Why::No(format!("{m} cotangents for {n_in} inputs, {why}")));
            }
            // Either statement proves the claim: the adjoint pairing or, where the prover's
            // failed or the map is empty (no inputs or results), the entrywise one.
            let next = self.claims.as_slice().first();
            let first_what = next.and_then(|c| c.obligations.first());
            let entrywise = first_what.map(|o| o.what.starts_with("coefficient"));
            if entrywise.unwrap_or(n_in == 0 || want.is_empty()) {
                for (i, row) in got_lin.iter().enumerate() {
                    for (k, w) in want.iter().enumerate() {
                        let (l, r) = (coefficient(row, k as u32), coefficient(w, i as u32));
                        coefs.push(pair(format!("coefficient {k}@{i}"), l, r));
                    }
                }
            } else {
                coefs = pairing(&mut self.dag, f, &orig, (first, &a)).map_err(Why::No)?;
            }
        } else {
            if got_lin.len() != want.len() {
                let (m, w) = (got_lin.len(), want.len());
                return Err(Why::No(format!("{m} linear result leaves against {w}")));
            }
            for (k, (g, w)) in got_lin.iter().zip(want).enumerate() {
                let idx: BTreeSet<u32> = g.iter().chain(w.iter()).map(|&(i, _)| i).collect();
                if idx.iter().any(|&i| i as usize >= n_in) {
                    return Err(Why::No(
                        "a coefficient of an input that does not exist".into(),
                    ));
                }
                for i in idx {
                    let (l, r) = (coefficient(g, i), coefficient(w, i));
                    coefs.push(pair(format!("coefficient {k}@{i}"), l, r));
                }
            }
        }
        Ok((results, coefs, res, [n_res, n_in, want.len()]))
    }
}
