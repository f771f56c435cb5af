//! The claims, recomputed from the two programs: for each function, the obligations (name,
//! left term, right term) and, once they are verified, the **lemmas** they justify, stated
//! over function symbols and used at the function's call sites. The obligations and lemmas
//! are built exactly as the prover builds them (`rewrite::equiv::claims`), so a certificate's
//! terms can be compared node for node; what a claim means is in `docs/equiv.md`.
//!
//! A lemma is a consequence of its claim's verified obligations by the definition of the
//! function symbols: `J:g.jvp#k(x..)` *is* the lowered result `k` of `g.jvp` at `x..`, so the
//! obligation `lowered(g.jvp)_k = lowered(g)_k` is the lemma `J:g.jvp#k(x..) = P:g#k(x..)`.

use super::KernelError;
use super::Verifier;
use super::forms::{Lowered, Row, coefficient, inputs, size};
use super::jacobian::{Jacobian, Reference};
use super::term::{Id, Pat};
use semantics::{Expr, FnDef, Program, Type, each_expr};
use std::collections::HashSet;
use std::rc::Rc;

/// A lemma, and the direction the normaliser applies it in (`to`'s variables occur in `from`).
pub struct Lemma {
    pub name: String,
    pub lhs: Pat,
    pub rhs: Pat,
    pub forward: bool,
}

pub type Pairs = Vec<(String, Id, Id)>;
type Res<T> = Result<T, String>;

fn app(sym: String, args: &[String]) -> String {
    if args.is_empty() {
        sym
    } else {
        format!("({sym} {})", args.join(" "))
    }
}

fn vars(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("?x{i}")).collect()
}

fn lsize(f: &FnDef) -> usize {
    size(
        &f.lparams
            .iter()
            .map(|p| p.ty.clone())
            .collect::<Vec<Type>>(),
    )
}

/// Verified obligations of one claim, by name prefix (`result`, `coefficient`, `gradient`).
pub struct Settled(pub Vec<(String, bool)>);

impl Settled {
    pub fn all(&self) -> bool {
        self.0.iter().all(|(_, ok)| *ok)
    }
    fn prefix(&self, p: &str) -> bool {
        self.0
            .iter()
            .filter(|(w, _)| w.starts_with(p))
            .all(|(_, ok)| *ok)
    }
}

fn pair_results(got: &[Id], want: &[Id], what: &str) -> Res<Pairs> {
    if got.len() != want.len() {
        return Err(format!(
            "{} {what} leaves against {}",
            got.len(),
            want.len()
        ));
    }
    Ok(got
        .iter()
        .zip(want)
        .enumerate()
        .map(|(k, (&l, &r))| (format!("{what} {k}"), l, r))
        .collect())
}

impl Verifier<'_> {
    pub fn lowered(&mut self, prog: &Program, tag: &str, f: &FnDef) -> Res<(Vec<Id>, Lowered)> {
        let key = format!("{tag}:{}", f.name);
        if let Some(l) = self.lowered.get(&key) {
            return Ok(l.clone());
        }
        let xs = inputs(&mut self.dag, f);
        let low = self.lower_with(prog, tag, f, &xs)?;
        self.lowered.insert(key, (xs.clone(), low.clone()));
        Ok((xs, low))
    }

    fn lower_with(&mut self, prog: &Program, tag: &str, f: &FnDef, at: &[Id]) -> Res<Lowered> {
        let mut low = super::forms::Lower {
            dag: &mut self.dag,
            prims: self.prims,
            prog,
            tag,
        };
        low.lower(f, at).map_err(|e| format!("{}: {e}", f.name))
    }

    fn lower_at(&mut self, prog: &Program, tag: &str, f: &FnDef, at: &[Id]) -> Res<Lowered> {
        let (own, low) = self.lowered(prog, tag, f)?;
        if own == at {
            Ok(low)
        } else {
            self.lower_with(prog, tag, f, at)
        }
    }

    fn reference(&mut self, prog: &Program, f: &FnDef) -> Res<Reference> {
        if let Some(r) = self.references.get(&f.name) {
            return Ok(r.clone());
        }
        let columns = std::mem::take(&mut self.columns);
        let mut d = Jacobian {
            dag: &mut self.dag,
            prims: self.prims,
            columns: &columns,
            prog,
            tag: "P",
        };
        let r = d.of(f);
        self.columns = columns;
        let r = r?;
        self.references.insert(f.name.clone(), r.clone());
        Ok(r)
    }

    fn add_lemma(&mut self, owner: &str, name: String, lhs: String, rhs: String) {
        let (Ok(l), Ok(r)) = (Pat::parse(&lhs), Pat::parse(&rhs)) else {
            return;
        };
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
            self.lemmas
                .entry(owner.to_string())
                .or_default()
                .push(lemma);
        }
    }

    /// The lemmas about the functions `fs` call, each once.
    fn lemmas_for(&self, prog: &Program, tag: &str, fs: &[&FnDef]) -> Vec<Rc<Lemma>> {
        let (mut out, mut seen, mut names) = (Vec::new(), HashSet::new(), HashSet::new());
        for f in fs {
            let mut found: Vec<Rc<Lemma>> = Vec::new();
            each_expr(&f.body, &mut |e| {
                if let Expr::Call { func, .. } = e
                    && let Some(g) = prog.func(*func)
                    && seen.insert(g.name.clone())
                    && let Some(ls) = self.lemmas.get(&format!("{tag}:{}", g.name))
                {
                    found.extend(ls.iter().cloned());
                }
            });
            out.extend(found.into_iter().filter(|l| names.insert(l.name.clone())));
            seen.clear();
        }
        out
    }

    fn pair_rows(&mut self, got: &[Row], want: &[Row], m: usize) -> Res<Pairs> {
        if got.len() != want.len() {
            return Err(format!(
                "{} linear result leaves against {}",
                got.len(),
                want.len()
            ));
        }
        let zero = self.dag.num(0.0);
        let mut out = Vec::new();
        for (k, (g, w)) in got.iter().zip(want).enumerate() {
            if g.iter().chain(w.iter()).any(|&(i, _)| i as usize >= m) {
                return Err("a coefficient of an input that does not exist".into());
            }
            let mut idx: Vec<u32> = g.iter().chain(w.iter()).map(|&(i, _)| i).collect();
            idx.sort_unstable();
            idx.dedup();
            for i in idx {
                let (l, r) = (
                    coefficient(g, i).unwrap_or(zero),
                    coefficient(w, i).unwrap_or(zero),
                );
                out.push((format!("coefficient {k}@{i}"), l, r));
            }
        }
        Ok(out)
    }

    /// jvp-primal and jvp-tangent of every `f` of `p` (tag `P`) against `f.jvp` of `j` (`J`).
    pub fn jvp(&mut self, p: &Program, j: &Program) -> Result<(), KernelError> {
        for f in &p.funcs {
            let name = format!("{}.jvp", f.name);
            let g = j.func_named(&name).and_then(|id| j.func(id));
            let pairs = g.ok_or(format!("no `{name}`")).and_then(|g| {
                let (xs, orig) = self.lowered(p, "P", f)?;
                let (_, jac) = self.reference(p, f)?;
                let out = self.lower_at(j, "J", g, &xs)?;
                self.lowered(j, "J", g)?;
                let lemmas = self.lemmas_for(j, "J", &[g]);
                let primal = pair_results(&out.nl, &orig.nl, "result")?;
                let tangent = self.pair_rows(&out.lin, &jac, xs.len())?;
                Ok((xs.len(), orig.nl.len(), lemmas, primal, tangent))
            });
            let (n, n_res, lemmas, primal, tangent) = match pairs {
                Ok(x) => x,
                Err(e) => {
                    self.settle(&f.name, "jvp-primal", Err(e), &[])?;
                    continue;
                }
            };
            let r1 = self.settle(&f.name, "jvp-primal", Ok(primal), &lemmas)?;
            let r2 = self.settle(&f.name, "jvp-tangent", Ok(tangent), &lemmas)?;
            let (xs, owner) = (vars(n), format!("J:{name}"));
            for k in (0..n_res).filter(|_| r1.all()) {
                let l = app(format!("J:{name}#{k}"), &xs);
                self.add_lemma(
                    &owner,
                    format!("lemma:{}:jvp-primal#{k}", f.name),
                    l,
                    app(format!("P:{}#{k}", f.name), &xs),
                );
            }
            for k in (0..n_res).filter(|_| r2.all()) {
                for i in 0..n {
                    let l = app(format!("J:{name}#{k}@{i}"), &xs);
                    let r = app(format!("P:{}#d{k}@{i}", f.name), &xs);
                    self.add_lemma(
                        &owner,
                        format!("lemma:{}:jvp-tangent#{k}@{i}", f.name),
                        l,
                        r,
                    );
                }
            }
        }
        Ok(())
    }

    /// unzip: each `f` of `j` (tag `J`) against `f.nonlin` then `f.lin`, or `f`, of `u` (`U`).
    pub fn unzip(&mut self, j: &Program, u: &Program) -> Result<(), KernelError> {
        for f in &j.funcs {
            match self.unzip_pairs(j, u, f) {
                Err(e) => drop(self.settle(&f.name, "unzip", Err(e), &[])?),
                Ok((n, n_res, n_lin, lemmas, split, pairs)) => {
                    let r = self.settle(&f.name, "unzip", Ok(pairs), &lemmas)?;
                    let (xs, m, owner) = (vars(n), lsize(f), format!("U:{}", f.name));
                    let (nl_sym, res_args, lin_sym) = match &split {
                        Some((fnl, fl, n_resid)) => {
                            let args = (0..*n_resid)
                                .map(|r| app(format!("U:{fnl}#{}", n_res + r), &xs))
                                .collect();
                            (fnl.clone(), args, fl.clone())
                        }
                        None => (f.name.clone(), xs.clone(), f.name.clone()),
                    };
                    for k in (0..n_res).filter(|_| r.prefix("result")) {
                        let (l, rr) = (
                            app(format!("U:{nl_sym}#{k}"), &xs),
                            app(format!("J:{}#{k}", f.name), &xs),
                        );
                        self.add_lemma(&owner, format!("lemma:{}:unzip#{k}", f.name), l, rr);
                    }
                    for k in (0..n_lin).filter(|_| r.prefix("coefficient")) {
                        for i in 0..m {
                            let l = app(format!("U:{lin_sym}#{k}@{i}"), &res_args);
                            let rr = app(format!("J:{}#{k}@{i}", f.name), &xs);
                            self.add_lemma(
                                &owner,
                                format!("lemma:{}:unzip#{k}@{i}", f.name),
                                l,
                                rr,
                            );
                        }
                    }
                    if let Some((fnl, fl, _)) = split {
                        let ls = self.lemmas.get(&owner).cloned().unwrap_or_default();
                        self.lemmas.insert(format!("U:{fnl}"), ls.clone());
                        self.lemmas.insert(format!("U:{fl}"), ls);
                    }
                }
            }
        }
        Ok(())
    }

    #[allow(clippy::type_complexity)]
    fn unzip_pairs(
        &mut self,
        j: &Program,
        u: &Program,
        f: &FnDef,
    ) -> Res<(
        usize,
        usize,
        usize,
        Vec<Rc<Lemma>>,
        Option<(String, String, usize)>,
        Pairs,
    )> {
        let (xs, orig) = self.lowered(j, "J", f)?;
        let by = |n: &str| u.func_named(n).and_then(|id| u.func(id));
        let n_res = orig.nl.len();
        let (nl_name, lin_name) = (format!("{}.nonlin", f.name), format!("{}.lin", f.name));
        let (got, lemmas, split) = match (by(&nl_name), by(&lin_name)) {
            (Some(fnl), Some(fl)) => {
                let a = self.lower_at(u, "U", fnl, &xs)?;
                self.lowered(u, "U", fl)?;
                if a.nl.len() < n_res {
                    return Err(format!("`{nl_name}` returns too few results"));
                }
                let b = self.lower_at(u, "U", fl, &a.nl[n_res..])?;
                let lemmas = self.lemmas_for(u, "U", &[fnl, fl]);
                let split = Some((fnl.name.clone(), fl.name.clone(), a.nl.len() - n_res));
                (
                    Lowered {
                        nl: a.nl[..n_res].to_vec(),
                        lin: b.lin,
                    },
                    lemmas,
                    split,
                )
            }
            _ => {
                let g = by(&f.name).ok_or_else(|| format!("no `{}` or its halves", f.name))?;
                (
                    self.lower_at(u, "U", g, &xs)?,
                    self.lemmas_for(u, "U", &[g]),
                    None,
                )
            }
        };
        let mut pairs = pair_results(&got.nl, &orig.nl, "result")?;
        pairs.extend(self.pair_rows(&got.lin, &orig.lin, lsize(f))?);
        Ok((xs.len(), n_res, orig.lin.len(), lemmas, split, pairs))
    }

    /// transpose: each linear `g` of `u` (tag `U`) against `g.T` of `t` (`T`), entrywise
    /// transposed; a function transpose keeps is claimed unchanged.
    pub fn transpose(&mut self, u: &Program, t: &Program) -> Result<(), KernelError> {
        for g in &u.funcs {
            match self.transpose_pairs(u, t, g) {
                Err(e) => drop(self.settle(&g.name, "transpose", Err(e), &[])?),
                Ok((n, shape, lemmas, pairs)) => {
                    let r = self.settle(&g.name, "transpose", Ok(pairs), &lemmas)?;
                    let xs = vars(n);
                    match shape {
                        Some((m, k_out)) if r.all() => {
                            for i in 0..m {
                                for k in 0..k_out {
                                    let l = app(format!("T:{}.T#{i}@{k}", g.name), &xs);
                                    let rr = app(format!("U:{}#{k}@{i}", g.name), &xs);
                                    self.add_lemma(
                                        &format!("T:{}.T", g.name),
                                        format!("lemma:{}:transpose#{k}@{i}", g.name),
                                        l,
                                        rr,
                                    );
                                }
                            }
                        }
                        None if r.all() => {
                            for k in 0..g.results.iter().map(|t| t.size() as usize).sum() {
                                let (l, rr) = (
                                    app(format!("T:{}#{k}", g.name), &xs),
                                    app(format!("U:{}#{k}", g.name), &xs),
                                );
                                self.add_lemma(
                                    &format!("T:{}", g.name),
                                    format!("lemma:{}:kept#{k}", g.name),
                                    l,
                                    rr,
                                );
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(())
    }

    #[allow(clippy::type_complexity)]
    fn transpose_pairs(
        &mut self,
        u: &Program,
        t: &Program,
        g: &FnDef,
    ) -> Res<(usize, Option<(usize, usize)>, Vec<Rc<Lemma>>, Pairs)> {
        let (xs, orig) = self.lowered(u, "U", g)?;
        let by = |n: &str| t.func_named(n).and_then(|id| t.func(id));
        let tname = format!("{}.T", g.name);
        let Some(gt) = by(&tname) else {
            let kept = by(&g.name).ok_or_else(|| format!("no `{tname}` or `{}`", g.name))?;
            let got = self.lower_at(t, "T", kept, &xs)?;
            let lemmas = self.lemmas_for(t, "T", &[kept]);
            return Ok((
                xs.len(),
                None,
                lemmas,
                pair_results(&got.nl, &orig.nl, "result")?,
            ));
        };
        let m = lsize(g);
        let got = self.lower_at(t, "T", gt, &xs)?;
        let lemmas = self.lemmas_for(t, "T", &[gt]);
        if !got.nl.is_empty() || !orig.nl.is_empty() {
            return Err(format!(
                "`{}` has nonlinear results: it is not linear",
                g.name
            ));
        }
        if got.lin.len() != m {
            return Err(format!(
                "`{tname}` returns {} cotangents, `{}` has {m} linear inputs",
                got.lin.len(),
                g.name
            ));
        }
        let zero = self.dag.num(0.0);
        let mut pairs = Vec::new();
        for (i, row) in got.lin.iter().enumerate() {
            if row.iter().any(|&(k, _)| k as usize >= orig.lin.len()) {
                return Err(format!(
                    "`{tname}` reads a cotangent `{}` does not produce",
                    g.name
                ));
            }
            for (k, orow) in orig.lin.iter().enumerate() {
                let (l, r) = (
                    coefficient(row, k as u32).unwrap_or(zero),
                    coefficient(orow, i as u32).unwrap_or(zero),
                );
                pairs.push((format!("coefficient {k}@{i}"), l, r));
            }
        }
        Ok((xs.len(), Some((m, orig.lin.len())), lemmas, pairs))
    }

    /// vjp: each `f` of `p` (tag `P`) against `f.jvp.nonlin` then `f.jvp.lin.T` of `t` (`T`):
    /// its results, and as gradient coefficients the reference Jacobian's rows.
    pub fn vjp(&mut self, p: &Program, t: &Program) -> Result<(), KernelError> {
        for f in &p.funcs {
            let (nl_name, lt_name) = (
                format!("{}.jvp.nonlin", f.name),
                format!("{}.jvp.lin.T", f.name),
            );
            match self.vjp_pairs(p, t, f, &nl_name, &lt_name) {
                Err(e) => drop(self.settle(&f.name, "vjp", Err(e), &[])?),
                Ok(None) => drop(self.settle(&f.name, "vjp", Ok(Vec::new()), &[])?),
                Ok(Some((n, n_res, n_resid, lemmas, pairs))) => {
                    let r = self.settle(&f.name, "vjp", Ok(pairs), &lemmas)?;
                    let (xs, owner) = (vars(n), format!("T:{nl_name}"));
                    let res_args: Vec<String> = (0..n_resid)
                        .map(|r| app(format!("T:{nl_name}#{}", n_res + r), &xs))
                        .collect();
                    for k in 0..n_res {
                        if r.prefix("result") {
                            let (l, rr) = (
                                app(format!("T:{nl_name}#{k}"), &xs),
                                app(format!("P:{}#{k}", f.name), &xs),
                            );
                            self.add_lemma(&owner, format!("lemma:{}:vjp#{k}", f.name), l, rr);
                        }
                        for i in (0..n).filter(|_| r.prefix("gradient")) {
                            let l = app(format!("T:{lt_name}#{i}@{k}"), &res_args);
                            let rr = app(format!("P:{}#d{k}@{i}", f.name), &xs);
                            self.add_lemma(&owner, format!("lemma:{}:vjp#{k}@{i}", f.name), l, rr);
                        }
                    }
                    let ls = self.lemmas.get(&owner).cloned().unwrap_or_default();
                    self.lemmas.insert(format!("T:{lt_name}"), ls);
                }
            }
        }
        Ok(())
    }

    #[allow(clippy::type_complexity)]
    fn vjp_pairs(
        &mut self,
        p: &Program,
        t: &Program,
        f: &FnDef,
        nl_name: &str,
        lt_name: &str,
    ) -> Res<Option<(usize, usize, usize, Vec<Rc<Lemma>>, Pairs)>> {
        let (xs, orig) = self.lowered(p, "P", f)?;
        let (_, jac) = self.reference(p, f)?;
        let by = |n: &str| t.func_named(n).and_then(|id| t.func(id));
        let n_res = orig.nl.len();
        let (Some(fnl), Some(flt)) = (by(nl_name), by(lt_name)) else {
            return if n_res == 0 {
                Ok(None)
            } else {
                Err(format!("no `{nl_name}` and `{lt_name}`"))
            };
        };
        let a = self.lower_at(t, "T", fnl, &xs)?;
        self.lowered(t, "T", flt)?;
        if a.nl.len() < n_res {
            return Err(format!("`{nl_name}` returns too few results"));
        }
        let b = self.lower_at(t, "T", flt, &a.nl[n_res..])?;
        let lemmas = self.lemmas_for(t, "T", &[fnl, flt]);
        let mut pairs = pair_results(&a.nl[..n_res], &orig.nl, "result")?;
        if b.lin.len() != xs.len() {
            return Err(format!(
                "`{lt_name}` returns {} cotangents for {} inputs",
                b.lin.len(),
                xs.len()
            ));
        }
        let zero = self.dag.num(0.0);
        for (i, row) in b.lin.iter().enumerate() {
            for (k, jrow) in jac.iter().enumerate() {
                let (l, r) = (
                    coefficient(row, k as u32).unwrap_or(zero),
                    coefficient(jrow, i as u32).unwrap_or(zero),
                );
                pairs.push((format!("gradient {k}@{i}"), l, r));
            }
        }
        Ok(Some((xs.len(), n_res, a.nl.len() - n_res, lemmas, pairs)))
    }
}
