//! The claims, recomputed from the two programs, as the prover states them
//! (`rewrite::equiv::claims`, `docs/equiv.md`): for each input function `f`, the output's
//! **targets** (`f.jvp`; `f.nonlin` then `f.lin`, or `f` passed through; `g.T`, or `g` kept;
//! `f.jvp.nonlin` then `f.jvp.lin.T`), one obligation per result leaf and per coefficient
//! (a transpose's by the adjoint pairing, or entrywise), and, once verified, the **lemmas**
//! used at the function's call sites.
//!
//! A lemma follows from its claim's verified obligations by the definition of the function
//! symbols: `J:g.jvp#k(x..)` *is* the lowered result `k` of `g.jvp` at `x..`, so the obligation
//! `lowered(g.jvp)_k = lowered(g)_k` is the lemma `J:g.jvp#k(x..) = P:g#k(x..)`.

use super::term::{Id, Lemma};
use super::walk::{Lower, Lowered, OVER_BUDGET, Pairs, Prog, Res, Row, coefficient, inputs};
use super::walk::{ok, pairing, size};
use super::{KernelError, Verifier};
use semantics::{Expr, FnDef, PrimTable, Program, each_expr};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

/// A program printed: its type declarations, and each function's text by name (`None` where
/// the printed text does not split into exactly these, so that nothing is called identical).
/// A text is keyed by the primitives that user functions above it shadow: there `cos(x)` is a
/// call of the function `cos`, above it the primitive, so alike texts may differ in meaning.
pub type Texts = Option<(String, HashMap<String, String>)>;

pub fn texts(p: &Program, prims: &PrimTable) -> Texts {
    let (mut types, mut fs, mut shadowed) = (String::new(), HashMap::new(), BTreeSet::new());
    for (i, chunk) in semantics::print_with(p, prims).split("\n\n").enumerate() {
        match (chunk.strip_prefix("def "), p.funcs.get(fs.len())) {
            (Some(rest), Some(g)) if rest.split('(').next() == Some(&g.name) => {
                let above = shadowed
                    .iter()
                    .fold(String::new(), |s, n: &&str| s + n + " ");
                fs.insert(g.name.clone(), above + "\n" + chunk.trim_end());
                prims
                    .lookup(&g.name)
                    .map(|_| shadowed.insert(g.name.as_str()));
            }
            _ if i == 0 && chunk.starts_with("type ") => types = chunk.to_string(),
            _ => return None,
        }
    }
    (fs.len() == p.funcs.len()).then_some((types, fs))
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

impl Verifier<'_> {
    /// `f` of `prog` lowered at its own input symbols (memoised), or at `at`.
    pub fn lowered(
        &mut self,
        prog: &Prog,
        f: &FnDef,
        grad: bool,
        at: Option<&[Id]>,
    ) -> Res<(Vec<Id>, Lowered)> {
        ok(
            !prog.refused.contains(&f.name),
            &format!("`{}`: {OVER_BUDGET}", f.name),
        )?;
        let key = format!("{}:{}:{grad}", prog.tag, f.name);
        let (xs, low) = match self.lowered.get(&key) {
            Some(l) => l.clone(),
            None => {
                let xs = inputs(&mut self.dag, f);
                let low = self.lower(prog, f, &xs, grad)?;
                self.lowered.insert(key, (xs.clone(), low.clone()));
                (xs, low)
            }
        };
        match at {
            Some(at) if at != xs => Ok((at.to_vec(), self.lower(prog, f, at, grad)?)),
            _ => Ok((xs, low)),
        }
    }

    fn lower(&mut self, prog: &Prog, f: &FnDef, at: &[Id], grad: bool) -> Res<Lowered> {
        let (dag, prims, columns) = (&mut self.dag, self.prims, &self.columns);
        let out = Lower {
            dag,
            prims,
            columns,
            prog,
            grad,
        }
        .lower(f, at);
        out.map_err(|e| format!("{}: {e}", f.name))
    }

    fn add_lemma(
        &mut self,
        owners: &[String],
        name: String,
        from: String,
        res: Option<Vec<String>>,
        to: String,
    ) {
        let lemma = Rc::new(Lemma {
            name,
            from,
            res,
            to,
        });
        owners.iter().for_each(|o| {
            self.lemmas
                .entry(o.clone())
                .or_default()
                .push(lemma.clone())
        });
    }

    /// The lemmas about the functions `fs` call, each once.
    fn lemmas_for(&self, prog: &Prog, fs: &[&FnDef]) -> Vec<Rc<Lemma>> {
        let (mut out, mut names) = (Vec::new(), HashSet::new());
        for f in fs {
            let mut seen = HashSet::new();
            each_expr(&f.body, &mut |e| {
                if let Expr::Call { func, .. } = e
                    && let Some(g) = prog.p.func(*func)
                    && seen.insert(*func)
                    && let Some(ls) = self.lemmas.get(&format!("{}:{}", prog.tag, g.name))
                {
                    out.extend(ls.iter().filter(|l| names.insert(l.name.clone())).cloned());
                }
            });
        }
        out
    }

    /// Every claim of the transformation `pass` (`jvp`, `unzip`, `transpose`).
    pub fn claims(&mut self, pass: &str, inp: &Prog, out: &Prog) -> Result<(), KernelError> {
        let (it, ot) = (inp.tag, out.tag);
        let texts =
            (pass == "transpose").then(|| (texts(&inp.p, self.prims), texts(&out.p, self.prims)));
        for f in &inp.p.funcs {
            let n = &f.name;
            let by = |s: &str| out.func(&format!("{n}{s}"));
            // The targets, whether transposed, whether against the reference Jacobian, names.
            let spec = match pass {
                "jvp" => by(".jvp").map(|g| (g, None, false, true, ["jvp-primal", "jvp-tangent"])),
                "unzip" => match (by(".nonlin"), by(".lin")) {
                    (Some(a), Some(b)) => Some((a, Some(b), false, false, ["unzip"; 2])),
                    _ => by("").map(|g| (g, None, false, false, ["unzip"; 2])),
                },
                _ => match (by(".T"), by("")) {
                    (Some(t), _) => Some((t, None, true, false, ["transpose"; 2])),
                    (None, g) => g.map(|g| (g, None, false, false, ["kept", "transpose"])),
                },
            };
            let claim = if pass == "jvp" { "jvp-primal" } else { pass };
            let Some((first, second, transposed, reference, names)) = spec else {
                self.settle(n, claim, Err(format!("no output of `{n}`")), &[], None)?;
                continue;
            };
            // A kept function identical to its input, calling only kept functions whose claims
            // are verified, equals it by congruence: the one obligation `identical`.
            let kept = |h: &String| {
                let ls = self.lemmas.get(&format!("{ot}:{h}"));
                ls.is_some_and(|ls| {
                    ls.iter()
                        .any(|l| l.name.starts_with(&format!("lemma:{h}:kept#")))
                })
            };
            if let (Some((a, b)), "kept") = (&texts, names[0])
                && !out.refused.contains(&first.name)
                && same_text(a, b, first)
                && callees(&out.p, first).all(kept)
            {
                let zero = self.dag.num(0.0);
                let pairs = vec![("identical".to_string(), zero, zero, Vec::new())];
                let r = self.settle(n, claim, Ok(pairs), &[], None)?;
                for k in (0..size(&f.results)).filter(|_| r.all("")) {
                    let (from, to) = (format!("{ot}:{n}#{k}"), format!("{it}:{n}#{k}"));
                    let owners = [format!("{ot}:{n}")];
                    self.add_lemma(&owners, format!("lemma:{n}:kept#{k}"), from, None, to);
                }
                continue;
            }
            let sides = self.sides(inp, out, f, first, second, transposed, reference);
            let (results, coefs, res, n_in, n_out) = match sides {
                Err(e) => {
                    self.settle(n, claim, Err(e), &[], None)?;
                    continue;
                }
                Ok(s) => s,
            };
            let mut fs = vec![first];
            fs.extend(second);
            let lemmas = self.lemmas_for(out, &fs);
            let n_res = results.len();
            let (r1, r2) = if pass == "jvp" {
                let r1 = self.settle(n, names[0], Ok(results), &lemmas, None)?;
                (r1, self.settle(n, names[1], Ok(coefs), &lemmas, None)?)
            } else {
                let r = self.settle(
                    n,
                    claim,
                    Ok(results.into_iter().chain(coefs).collect()),
                    &lemmas,
                    None,
                )?;
                (super::settle::Settled(r.0.clone()), r)
            };
            let owners: Vec<String> = fs.iter().map(|g| format!("{ot}:{}", g.name)).collect();
            for k in (0..n_res).filter(|_| r1.all("result")) {
                let (from, to) = (format!("{ot}:{}#{k}", first.name), format!("{it}:{n}#{k}"));
                self.add_lemma(
                    &owners,
                    format!("lemma:{n}:{}#{k}", names[0]),
                    from,
                    None,
                    to,
                );
            }
            // A pairing's obligations are not per coefficient: all of them, then.
            let lin = second.unwrap_or(first).name.as_str();
            let all = r2.all(if transposed { "" } else { "coefficient" });
            for k in (0..n_out).filter(|_| all && names[0] != "kept") {
                for i in 0..n_in {
                    let (a, b) = if transposed { (i, k) } else { (k, i) };
                    let (from, d) = (
                        format!("{ot}:{lin}#{a}@{b}"),
                        if reference { "d" } else { "" },
                    );
                    let name = format!("lemma:{n}:{}#{k}@{i}", names[1]);
                    self.add_lemma(
                        &owners,
                        name,
                        from,
                        res.clone(),
                        format!("{it}:{n}#{d}{k}@{i}"),
                    );
                }
            }
        }
        Ok(())
    }

    /// The VJP claims, as the composition of the verified lemmas of the stages (`jvp`, then
    /// `unzip` of `f.jvp`, then `transpose` of `f.jvp.lin`, with `f.jvp.nonlin` kept):
    /// `T:f.jvp.nonlin#k(x) = P:f#k(x)` and `T:f.jvp.lin.T#i@k(r) = P:f#dk@i(x)`, where the
    /// residuals `r` are `U:f.jvp.nonlin#j(x)`: the output's own `T:f.jvp.nonlin#j(x)` once
    /// the kept claim of `f.jvp.nonlin` is verified (then the two are equal, by congruence).
    pub fn vjp(&mut self, inp: &Prog, out: &Prog) -> Result<(), KernelError> {
        for f in &inp.p.funcs {
            let (n, nl) = (&f.name, format!("{}.jvp.nonlin", f.name));
            let owners = [
                format!("T:{nl}"),
                format!("T:{n}.jvp.lin.T"),
                format!("U:{nl}"),
                format!("J:{n}.jvp"),
            ];
            let lemmas: Vec<Rc<Lemma>> = owners
                .iter()
                .flat_map(|o| self.lemmas.get(o).cloned().unwrap_or_default())
                .collect();
            let xs = self.lowered(inp, f, true, None).map(|l| l.0);
            let pairs = xs
                .clone()
                .and_then(|xs| self.chain(out, f, &nl, &lemmas, &xs));
            self.settle(n, "vjp", pairs, &lemmas, xs.ok().as_deref())?;
        }
        Ok(())
    }

    fn chain(
        &mut self,
        out: &Prog,
        f: &FnDef,
        nl: &str,
        ls: &[Rc<Lemma>],
        xs: &[Id],
    ) -> Res<Pairs> {
        let n_res = size(&f.results);
        if n_res == 0 {
            return Ok(Vec::new());
        }
        ok(!out.refused.contains(nl), &format!("`{nl}`: {OVER_BUDGET}"))?;
        let n_all = size(&out.func(nl).ok_or(format!("no `{nl}`"))?.results);
        let kept = |r: usize| ls.iter().any(|l| l.name == format!("lemma:{nl}:kept#{r}"));
        if !(0..n_all).all(kept) {
            return Err(format!("the kept claim of `{nl}` is not verified"));
        }
        let mut sym = |s: String, args: &[Id]| self.dag.add(&s, args.to_vec());
        let res: Vec<Id> = (n_res..n_all)
            .map(|r| sym(format!("U:{nl}#{r}"), xs))
            .collect();
        let mut out = Vec::new();
        for k in 0..n_res {
            let (l, r) = (
                sym(format!("T:{nl}#{k}"), xs),
                sym(format!("P:{}#{k}", f.name), xs),
            );
            out.push((format!("result {k}"), l, r, Vec::new()));
        }
        for k in 0..n_res {
            for i in 0..xs.len() {
                let l = sym(format!("T:{}.jvp.lin.T#{i}@{k}", f.name), &res);
                let r = sym(format!("P:{}#d{k}@{i}", f.name), xs);
                out.push((format!("gradient {k}@{i}"), l, r, Vec::new()));
            }
        }
        Ok(out)
    }

    /// The obligations of one claim: results, coefficients, the residual symbols the linear
    /// half is applied to (`None`: the inputs), the numbers of linear inputs and original rows.
    #[allow(clippy::type_complexity, clippy::too_many_arguments)]
    fn sides(
        &mut self,
        inp: &Prog,
        out: &Prog,
        f: &FnDef,
        first: &FnDef,
        second: Option<&FnDef>,
        transposed: bool,
        reference: bool,
    ) -> Res<(Pairs, Pairs, Option<Vec<String>>, usize, usize)> {
        let (xs, orig) = self.lowered(inp, f, reference, None)?;
        let n_res = orig.nl.len();
        let (_, a) = self.lowered(out, first, false, Some(&xs))?;
        let (got_nl, got_lin, res) = match second {
            None => (a.nl.clone(), a.lin.clone(), None),
            Some(g) => {
                let r =
                    a.nl.get(n_res..)
                        .ok_or(format!("`{}` returns too few results", first.name))?;
                let (_, b) = self.lowered(out, g, false, Some(r))?;
                let res = (n_res..a.nl.len())
                    .map(|r| format!("{}:{}#{r}", out.tag, first.name))
                    .collect();
                (a.nl[..n_res].to_vec(), b.lin, Some(res))
            }
        };
        let want: &[Row] = if reference { &orig.grads } else { &orig.lin };
        let n_in = if reference {
            xs.len()
        } else {
            size(f.lparams.iter().map(|p| &p.ty))
        };
        if got_nl.len() != n_res || (transposed && n_res > 0) {
            return Err(format!("{} result leaves against {n_res}", got_nl.len()));
        }
        let zero = self.dag.num(0.0);
        let pair = |what: String, l: Option<Id>, r: Option<Id>| {
            (what, l.unwrap_or(zero), r.unwrap_or(zero), Vec::new())
        };
        let results = (got_nl.iter().zip(&orig.nl).enumerate())
            .map(|(k, (&l, &r))| pair(format!("result {k}"), Some(l), Some(r)))
            .collect();
        let mut coefs = Vec::new();
        if transposed {
            let beyond = got_lin
                .iter()
                .flat_map(|r| r.iter())
                .any(|&(k, _)| k as usize >= want.len());
            if got_lin.len() != n_in || beyond {
                return Err(format!(
                    "{} cotangents for {n_in} inputs, or one the original does not produce",
                    got_lin.len()
                ));
            }
            // Either statement proves the claim: the adjoint pairing or, where the prover's
            // failed or the map is empty (no inputs or results), the entrywise one.
            let first_what = self
                .claims
                .as_slice()
                .first()
                .and_then(|c| c.obligations.first())
                .map(|o| o.what.clone());
            if first_what.map_or(n_in == 0 || want.is_empty(), |w| {
                w.starts_with("coefficient")
            }) {
                for (i, row) in got_lin.iter().enumerate() {
                    for (k, w) in want.iter().enumerate() {
                        coefs.push(pair(
                            format!("coefficient {k}@{i}"),
                            coefficient(row, k as u32),
                            coefficient(w, i as u32),
                        ));
                    }
                }
            } else {
                coefs = pairing(&mut self.dag, f, &orig, first, &a)?;
            }
        } else {
            if got_lin.len() != want.len() {
                return Err(format!(
                    "{} linear result leaves against {}",
                    got_lin.len(),
                    want.len()
                ));
            }
            for (k, (g, w)) in got_lin.iter().zip(want).enumerate() {
                let idx: BTreeSet<u32> = g.iter().chain(w.iter()).map(|&(i, _)| i).collect();
                if idx.iter().any(|&i| i as usize >= n_in) {
                    return Err("a coefficient of an input that does not exist".into());
                }
                for i in idx {
                    coefs.push(pair(
                        format!("coefficient {k}@{i}"),
                        coefficient(g, i),
                        coefficient(w, i),
                    ));
                }
            }
        }
        Ok((results, coefs, res, n_in, want.len()))
    }
}
