//! The claims, recomputed from the two programs, as the prover states them
//! (`rewrite::equiv::claims`, `docs/equiv.md`): for each input function `f`, the output's
//! **targets** (`f.jvp`; `f.nonlin` then `f.lin`, or `f` passed through; `g.T`, or `g` kept;
//! `f.jvp.nonlin` then `f.jvp.lin.T`), one obligation per result leaf and per coefficient,
//! and, once verified, the **lemmas** used at the function's call sites.
//!
//! A lemma follows from its claim's verified obligations by the definition of the function
//! symbols: `J:g.jvp#k(x..)` *is* the lowered result `k` of `g.jvp` at `x..`, so the obligation
//! `lowered(g.jvp)_k = lowered(g)_k` is the lemma `J:g.jvp#k(x..) = P:g#k(x..)`.

use super::term::{Id, Pat};
use super::walk::{Lower, Lowered, Row, coefficient, inputs, pairing, size};
use super::{KernelError, Verifier};
use semantics::{Expr, FnDef, Program, each_expr};
use std::collections::HashSet;
use std::rc::Rc;

/// A lemma, and whether the normaliser applies it from `lhs` to `rhs` (the side whose
/// variables include the other's).
pub struct Lemma {
    pub name: String,
    pub lhs: Pat,
    pub rhs: Pat,
    pub forward: bool,
}

pub use super::walk::Pairs;
type Res<T> = Result<T, String>;

/// Which obligations of a claim the kernel verified, by name.
pub struct Settled(pub Vec<(String, bool)>);

impl Settled {
    fn prefix(&self, p: &str) -> bool {
        self.0
            .iter()
            .filter(|(w, _)| w.starts_with(p))
            .all(|(_, ok)| *ok)
    }
}

fn app(sym: String, args: &[Pat]) -> Pat {
    Pat::App(sym, args.to_vec())
}

/// One claim about `f`: its name, the targets, and how coefficients compare.
struct Spec<'p> {
    first: &'p FnDef,
    second: Option<&'p FnDef>,
    /// Coefficient `(k, i)` of the original is coefficient `(i, k)` of the target.
    transposed: bool,
    /// Against the reference Jacobian (from the derivative column), not the linear forms.
    reference: bool,
    names: [&'static str; 2],
}

impl Verifier<'_> {
    pub fn lowered(
        &mut self,
        prog: &Program,
        tag: &str,
        f: &FnDef,
        grad: bool,
    ) -> Res<(Vec<Id>, Lowered)> {
        let key = format!("{tag}:{}:{grad}", f.name);
        if let Some(l) = self.lowered.get(&key) {
            return Ok(l.clone());
        }
        let xs = inputs(&mut self.dag, f);
        let low = self.lower_raw(prog, tag, f, &xs, grad)?;
        self.lowered.insert(key, (xs.clone(), low.clone()));
        Ok((xs, low))
    }

    fn lower_at(&mut self, prog: &Program, tag: &str, f: &FnDef, at: &[Id]) -> Res<Lowered> {
        let (own, low) = self.lowered(prog, tag, f, false)?;
        if own == at {
            Ok(low)
        } else {
            self.lower_raw(prog, tag, f, at, false)
        }
    }

    fn lower_raw(
        &mut self,
        prog: &Program,
        tag: &str,
        f: &FnDef,
        at: &[Id],
        grad: bool,
    ) -> Res<Lowered> {
        let columns = std::mem::take(&mut self.columns);
        let mut low = Lower {
            dag: &mut self.dag,
            prims: self.prims,
            columns: &columns,
            prog,
            tag,
            grad,
        };
        let out = low.lower(f, at).map_err(|e| format!("{}: {e}", f.name));
        self.columns = columns;
        out
    }

    fn add_lemma(&mut self, owners: &[String], name: String, l: Pat, r: Pat) {
        let (mut lv, mut rv) = (HashSet::new(), HashSet::new());
        l.vars(&mut lv);
        r.vars(&mut rv);
        let forward = rv.is_subset(&lv);
        if forward || lv.is_subset(&rv) {
            let lemma = Rc::new(Lemma {
                name,
                lhs: l,
                rhs: r,
                forward,
            });
            owners.iter().for_each(|o| {
                self.lemmas
                    .entry(o.clone())
                    .or_default()
                    .push(lemma.clone())
            });
        }
    }

    /// The lemmas about the functions `fs` call, each once.
    fn lemmas_for(&self, prog: &Program, tag: &str, fs: &[&FnDef]) -> Vec<Rc<Lemma>> {
        let (mut out, mut names) = (Vec::new(), HashSet::new());
        for f in fs {
            let mut seen = HashSet::new();
            each_expr(&f.body, &mut |e| {
                if let Expr::Call { func, .. } = e
                    && let Some(g) = prog.func(*func)
                    && seen.insert(g.name.clone())
                    && let Some(ls) = self.lemmas.get(&format!("{tag}:{}", g.name))
                {
                    out.extend(ls.iter().filter(|l| names.insert(l.name.clone())).cloned());
                }
            });
        }
        out
    }

    /// Every claim of the transformation `pass` (`jvp`, `unzip`, `transpose`, `vjp`).
    pub fn claims(&mut self, pass: &str, inp: &Program, out: &Program) -> Result<(), KernelError> {
        let (it, ot) = match pass {
            "jvp" => ("P", "J"),
            "unzip" => ("J", "U"),
            _ => ("U", "T"),
        };
        let by = |n: String| out.func_named(&n).and_then(|id| out.func(id));
        for f in &inp.funcs {
            let n = &f.name;
            let spec = |first, second, transposed, reference, names| Spec {
                first,
                second,
                transposed,
                reference,
                names,
            };
            let spec: Res<Option<Spec>> = match pass {
                "jvp" => by(format!("{n}.jvp"))
                    .map(|g| spec(g, None, false, true, ["jvp-primal", "jvp-tangent"]))
                    .ok_or(format!("no `{n}.jvp`"))
                    .map(Some),
                "unzip" => match (by(format!("{n}.nonlin")), by(format!("{n}.lin"))) {
                    (Some(a), Some(b)) => Ok(Some(spec(a, Some(b), false, false, ["unzip"; 2]))),
                    _ => by(n.clone())
                        .map(|g| Some(spec(g, None, false, false, ["unzip"; 2])))
                        .ok_or(format!("no `{n}` or its halves")),
                },
                "transpose" => match (by(format!("{n}.T")), by(n.clone())) {
                    (Some(t), _) => Ok(Some(spec(t, None, true, false, ["transpose"; 2]))),
                    (None, Some(g)) => Ok(Some(spec(g, None, false, false, ["kept", "transpose"]))),
                    _ => Err(format!("no `{n}.T` or `{n}`")),
                },
                _ => Err(format!("no claims of `{pass}`")),
            };
            let claim = if pass == "jvp" { "jvp-primal" } else { pass };
            match spec.and_then(|s| {
                s.map(|s| self.sides(inp, it, out, ot, f, &s).map(|x| (s, x)))
                    .transpose()
            }) {
                Err(e) => drop(self.settle(n, claim, Err(e), &[], None)?),
                Ok(None) => drop(self.settle(n, claim, Ok(Vec::new()), &[], None)?),
                Ok(Some((s, (results, coefs, lemmas, res_args, n_in, n_out, xs)))) => {
                    let n_res = results.len();
                    let (r1, r2) = if s.names[0] == "jvp-primal" {
                        (
                            self.settle(n, s.names[0], Ok(results), &lemmas, None)?,
                            self.settle(n, s.names[1], Ok(coefs), &lemmas, None)?,
                        )
                    } else {
                        let r = self.settle(
                            n,
                            claim,
                            Ok(results.into_iter().chain(coefs).collect()),
                            &lemmas,
                            None,
                        )?;
                        (Settled(r.0.clone()), r)
                    };
                    let mut owners = vec![format!("{ot}:{}", s.first.name)];
                    owners.extend(s.second.map(|g| format!("{ot}:{}", g.name)));
                    let vars: Vec<Pat> = (0..xs).map(Pat::Var).collect();
                    let lin = s.second.unwrap_or(s.first).name.clone();
                    for k in (0..n_res).filter(|_| r1.prefix("result")) {
                        let (l, r) = (
                            app(format!("{ot}:{}#{k}", s.first.name), &vars),
                            app(format!("{it}:{n}#{k}"), &vars),
                        );
                        self.add_lemma(&owners, format!("lemma:{n}:{}#{k}", s.names[0]), l, r);
                    }
                    // A pairing's obligations are not per coefficient: all of them, then.
                    let all = if s.transposed { "" } else { "coefficient" };
                    for k in (0..n_out).filter(|_| r2.prefix(all) && s.names[0] != "kept") {
                        for i in 0..n_in {
                            let (a, b) = if s.transposed { (i, k) } else { (k, i) };
                            let l = app(format!("{ot}:{lin}#{a}@{b}"), &res_args);
                            let d = if s.reference { "d" } else { "" };
                            let r = app(format!("{it}:{n}#{d}{k}@{i}"), &vars);
                            self.add_lemma(
                                &owners,
                                format!("lemma:{n}:{}#{k}@{i}", s.names[1]),
                                l,
                                r,
                            );
                        }
                    }
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
    pub fn vjp(&mut self, inp: &Program, out: &Program) -> Result<(), KernelError> {
        for f in &inp.funcs {
            let (n, nl) = (&f.name, format!("{}.jvp.nonlin", f.name));
            let owners = [
                format!("T:{nl}"),
                format!("T:{n}.jvp.lin.T"),
                format!("U:{nl}"),
            ];
            let owners = owners.into_iter().chain([format!("J:{n}.jvp")]);
            let lemmas: Vec<Rc<Lemma>> = owners
                .flat_map(|o| self.lemmas.get(&o).cloned().unwrap_or_default())
                .collect();
            let pairs = self.chain(inp, out, f, &nl, &lemmas);
            let xs = self.lowered(inp, "P", f, true).map(|l| l.0).ok();
            self.settle(n, "vjp", pairs, &lemmas, xs.as_deref())?;
        }
        Ok(())
    }

    fn chain(
        &mut self,
        inp: &Program,
        out: &Program,
        f: &FnDef,
        nl: &str,
        ls: &[Rc<Lemma>],
    ) -> Res<Pairs> {
        let n_res = size(&f.results);
        if n_res == 0 {
            return Ok(Vec::new());
        }
        let g = out
            .func_named(nl)
            .and_then(|id| out.func(id))
            .ok_or(format!("no `{nl}`"))?;
        let n_all = size(&g.results);
        let kept = |r: usize| ls.iter().any(|l| l.name == format!("lemma:{nl}:kept#{r}"));
        if !(0..n_all).all(kept) {
            return Err(format!("the kept claim of `{nl}` is not verified"));
        }
        let (xs, _) = self.lowered(inp, "P", f, true)?;
        let mut sym = |s: String, args: &[Id]| self.dag.add(&s, args.to_vec());
        let res: Vec<Id> = (n_res..n_all)
            .map(|r| sym(format!("U:{nl}#{r}"), &xs))
            .collect();
        let mut out = Vec::new();
        for k in 0..n_res {
            let (l, r) = (
                sym(format!("T:{nl}#{k}"), &xs),
                sym(format!("P:{}#{k}", f.name), &xs),
            );
            out.push((format!("result {k}"), l, r, Vec::new()));
        }
        for k in 0..n_res {
            for i in 0..xs.len() {
                let l = sym(format!("T:{}.jvp.lin.T#{i}@{k}", f.name), &res);
                let r = sym(format!("P:{}#d{k}@{i}", f.name), &xs);
                out.push((format!("gradient {k}@{i}"), l, r, Vec::new()));
            }
        }
        Ok(out)
    }

    /// The obligations of one claim: (results, coefficients, lemmas usable, the residual
    /// arguments of the linear half, linear inputs, original rows, input leaves).
    #[allow(clippy::type_complexity)]
    fn sides(
        &mut self,
        inp: &Program,
        it: &str,
        out: &Program,
        ot: &str,
        f: &FnDef,
        s: &Spec,
    ) -> Res<(Pairs, Pairs, Vec<Rc<Lemma>>, Vec<Pat>, usize, usize, usize)> {
        let (xs, orig) = self.lowered(inp, it, f, s.reference)?;
        let n_res = orig.nl.len();
        let a = self.lower_at(out, ot, s.first, &xs)?;
        let a_full = a.clone();
        let vars: Vec<Pat> = (0..xs.len()).map(Pat::Var).collect();
        let (got_nl, got_lin, res_args) = match s.second {
            None => (a.nl, a.lin, vars),
            Some(g) => {
                self.lowered(out, ot, g, false)?;
                if a.nl.len() < n_res {
                    return Err(format!("`{}` returns too few results", s.first.name));
                }
                let b = self.lower_at(out, ot, g, &a.nl[n_res..])?;
                let res = (n_res..a.nl.len())
                    .map(|r| app(format!("{ot}:{}#{r}", s.first.name), &vars))
                    .collect();
                (a.nl[..n_res].to_vec(), b.lin, res)
            }
        };
        let mut fs = vec![s.first];
        fs.extend(s.second);
        let lemmas = self.lemmas_for(out, ot, &fs);
        let want: Vec<Row> = if s.reference {
            orig.grads.clone()
        } else {
            orig.lin.clone()
        };
        let n_in = if s.reference {
            xs.len()
        } else {
            size(&f.lparams.iter().map(|p| p.ty.clone()).collect::<Vec<_>>())
        };
        if got_nl.len() != orig.nl.len() || (s.transposed && !orig.nl.is_empty()) {
            return Err(format!(
                "{} result leaves against {}",
                got_nl.len(),
                orig.nl.len()
            ));
        }
        let results = got_nl
            .iter()
            .zip(&orig.nl)
            .enumerate()
            .map(|(k, (&l, &r))| (format!("result {k}"), l, r, Vec::new()))
            .collect();
        let zero = self.dag.num(0.0);
        let mut coefs = Vec::new();
        if s.transposed {
            if got_lin.len() != n_in
                || got_lin
                    .iter()
                    .flat_map(|r| r.iter())
                    .any(|&(k, _)| k as usize >= want.len())
            {
                return Err(format!(
                    "{} cotangents for {n_in} inputs, or one the original does not produce",
                    got_lin.len()
                ));
            }
            // Either statement proves the claim: the adjoint pairing or, where the prover's
            // failed or the map is empty (no inputs or results), the entrywise one.
            let cs = self.claims.as_slice();
            let first = cs.first().and_then(|c| c.obligations.first());
            let empty = n_in == 0 || want.is_empty();
            if first.map_or(empty, |o| o.what.starts_with("coefficient")) {
                for (i, row) in got_lin.iter().enumerate() {
                    for (k, w) in want.iter().enumerate() {
                        let l = coefficient(row, k as u32).unwrap_or(zero);
                        let r = coefficient(w, i as u32).unwrap_or(zero);
                        coefs.push((format!("coefficient {k}@{i}"), l, r, Vec::new()));
                    }
                }
            } else {
                coefs = pairing(&mut self.dag, f, &orig, s.first, &a_full)?;
            }
        } else {
            if got_lin.len() != want.len() {
                return Err(format!(
                    "{} linear result leaves against {}",
                    got_lin.len(),
                    want.len()
                ));
            }
            for (k, (g, w)) in got_lin.iter().zip(&want).enumerate() {
                let mut idx: Vec<u32> = g.iter().chain(w.iter()).map(|&(i, _)| i).collect();
                if idx.iter().any(|&i| i as usize >= n_in) {
                    return Err("a coefficient of an input that does not exist".into());
                }
                idx.sort_unstable();
                idx.dedup();
                for i in idx {
                    let (l, r) = (
                        coefficient(g, i).unwrap_or(zero),
                        coefficient(w, i).unwrap_or(zero),
                    );
                    coefs.push((format!("coefficient {k}@{i}"), l, r, Vec::new()));
                }
            }
        }
        Ok((results, coefs, lemmas, res_args, n_in, want.len(), xs.len()))
    }
}
