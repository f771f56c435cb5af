//! The claims of SPEC §5, proved per function over the reals:
//!
//! - **jvp-primal**: `f.jvp`'s nonlinear results ≡ `f`'s;
//! - **jvp-tangent**: `f.jvp`'s tangent coefficients ≡ the reference Jacobian of `f`
//!   (from the derivative column);
//! - **unzip**: `f.nonlin` then `f.lin` ≡ the input function, results and coefficients;
//! - **transpose**: the coefficient matrix of `g.T` ≡ the transpose of `g`'s, entrywise;
//! - **vjp**: `f.jvp.nonlin` then `f.jvp.lin.T` give `f`'s results and, as coefficients of
//!   the output cotangents, the rows of the reference Jacobian.
//!
//! Each claim is a list of small obligations, one per result leaf and per coefficient.
//! Calls are **modular**: a claim proved for `g` becomes a lemma (a rewrite between `g`'s
//! function symbols on both sides) used at `g`'s call sites, so each function is proved once
//! and a call DAG doing exponential work has a proof linear in its size. A callee whose
//! claim is not proved gives no lemma, so its callers are `unknown` at best.

use super::adjoint;
use super::dag::Dag;
use super::derivative::{Columns, Differentiator, Reference, derivative_symbol};
use super::lower::{Env, Lowered, Lowerer, coefficient, coefficient_symbol, result_symbol, size};
use super::prove::{Counterexample, Limits, Outcome, Verdict, prove, prove_ground, prove_local};
use super::rules::{Rule, rewrite};
use semantics::*;
use serde::Serialize;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Claim {
    JvpPrimal,
    JvpTangent,
    Unzip,
    Transpose,
    Vjp,
    /// Two programs' same-named functions (`lina equiv A B`).
    Equiv,
}

impl Claim {
    pub fn name(self) -> &'static str {
        match self {
            Claim::JvpPrimal => "jvp-primal",
            Claim::JvpTangent => "jvp-tangent",
            Claim::Unzip => "unzip",
            Claim::Transpose => "transpose",
            Claim::Vjp => "vjp",
            Claim::Equiv => "equiv",
        }
    }
}

/// The outcome of one claim about one function.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimReport {
    pub func: String,
    pub claim: Claim,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub outcome: Outcome,
    pub obligations: usize,
    /// The largest e-graph of any obligation.
    pub egraph_nodes: usize,
    pub iterations: usize,
    pub time_ms: f64,
    /// Rewrite steps, summed over the obligations.
    pub proof_length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<Counterexample>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Every obligation's verdict (with its steps under `explain`).
    pub verdicts: Vec<Verdict>,
}

/// The state shared by the claims about one family of programs: the term DAG, the derivative
/// column, and the lemmas proved so far (by function symbol prefix).
pub struct Session<'a> {
    pub dag: Dag,
    pub prims: &'a PrimTable,
    pub columns: Columns,
    pub limits: Limits,
    lemmas: HashMap<String, Vec<Rc<Lemma>>>,
    lowered: HashMap<String, (Vec<egg::Id>, Lowered)>,
    references: HashMap<String, Reference>,
    /// Per program tag, the functions over the lowering's leaf budget
    /// (`checker::kernel::walk::refused`, the kernel's own rule): never lowered, their claims
    /// `unknown`.
    refused: HashMap<String, Rc<std::collections::HashSet<String>>>,
    /// Operations counted for the tests that catch a quadratic regression without timing
    /// (`rewrite/tests/certify_linear.rs`): obligations handed to the prover, and the lemmas
    /// offered to each (summed).
    pub counts: Counts,
}

/// See [`Session::counts`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub obligations: u64,
    pub lemma_offers: u64,
}

/// A proved claim as a rewrite between function symbols, compiled when a caller first
/// uses it (egg's pattern compiler is quadratic in a pattern's size, and a `.lin` function
/// under save-all has thousands of residual arguments: most lemmas are never used).
struct Lemma {
    name: String,
    lhs: String,
    rhs: String,
    rule: OnceCell<Option<Rule>>,
}

impl Lemma {
    fn rule(&self) -> Option<Rule> {
        self.rule
            .get_or_init(|| {
                // Oriented so that its applier's variables are bound by its searcher.
                rewrite(&self.name, &self.lhs, &self.rhs)
                    .or_else(|_| rewrite(&format!("{}-rev", self.name), &self.rhs, &self.lhs))
                    .ok()
            })
            .clone()
    }
}

fn compile(ls: &[Rc<Lemma>]) -> Vec<Rule> {
    let mut seen = std::collections::HashSet::new();
    ls.iter()
        .filter(|l| seen.insert(l.name.as_str()))
        .filter_map(|l| l.rule())
        .collect()
}

/// `(sym ?x0 .. ?xn)` or the bare symbol.
fn app(sym: &str, args: &[String]) -> String {
    if args.is_empty() {
        sym.to_string()
    } else {
        format!("({sym} {})", args.join(" "))
    }
}

fn vars(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("?x{i}")).collect()
}

impl<'a> Session<'a> {
    /// A lowerer into this session's DAG, with the session's tuple mode.
    fn lowerer<'b>(&'b mut self, prog: &'b Program, tag: &'b str) -> Lowerer<'b> {
        Lowerer {
            dag: &mut self.dag,
            prims: self.prims,
            prog,
            tag,
            opaque: self.limits.tuples,
            cuts: None,
        }
    }

    pub fn new(prims: &'a PrimTable, limits: Limits) -> Result<Session<'a>, String> {
        Ok(Session {
            dag: Dag::default(),
            prims,
            columns: Columns::load(prims)?,
            limits,
            lemmas: HashMap::new(),
            lowered: HashMap::new(),
            references: HashMap::new(),
            refused: HashMap::new(),
            counts: Counts::default(),
        })
    }

    /// `Err` when `tag:f` is over the lowering's leaf budget (the same functions the kernel
    /// refuses): a call DAG's residuals have `2^d` scalar leaves.
    pub fn within_budget(&mut self, prog: &Program, tag: &str, f: &FnDef) -> Result<(), String> {
        let refused = (self.refused.entry(tag.to_string())).or_insert_with(|| {
            // In tuple mode a residual is one term: it counts one leaf.
            let on = self.limits.tuples;
            let size = |t: &Type| super::lower::nl_size(std::slice::from_ref(t), on) as u128;
            Rc::new(checker::kernel::walk::refused(prog, &size))
        });
        match refused.contains(&f.name) {
            true => Err(format!(
                "`{}`: {}",
                f.name,
                checker::kernel::walk::OVER_BUDGET
            )),
            false => Ok(()),
        }
    }

    /// `tag:f` lowered at its own input symbols (once), its meaning recorded for evaluation.
    pub fn lowered(
        &mut self,
        prog: &Program,
        tag: &str,
        f: &FnDef,
    ) -> Result<(Vec<egg::Id>, Lowered), String> {
        let key = format!("{tag}:{}", f.name);
        if let Some(l) = self.lowered.get(&key) {
            return Ok(l.clone());
        }
        self.within_budget(prog, tag, f)?;
        let mut low = self.lowerer(prog, tag);
        let out = low
            .lower_and_define(f)
            .map_err(|e| format!("{}: {}", e.func, e.message))?;
        self.lowered.insert(key, out.clone());
        Ok(out)
    }

    /// `tag:f` lowered at given input terms.
    pub fn lower_at(
        &mut self,
        prog: &Program,
        tag: &str,
        f: &FnDef,
        inputs: &[egg::Id],
    ) -> Result<Lowered, String> {
        let (own, low) = self.lowered(prog, tag, f)?;
        if own == inputs {
            return Ok(low);
        }
        let mut low = self.lowerer(prog, tag);
        low.lower(f, inputs)
            .map_err(|e| format!("{}: {}", e.func, e.message))
    }

    /// `tag:f` lowered at given input terms, with the value of every binder.
    fn lower_env_at(
        &mut self,
        prog: &Program,
        tag: &str,
        f: &FnDef,
        inputs: &[egg::Id],
    ) -> Result<(Lowered, Env), String> {
        self.lowered(prog, tag, f)?;
        let mut low = self.lowerer(prog, tag);
        low.lower_env(f, inputs)
            .map_err(|e| format!("{}: {}", e.func, e.message))
    }

    /// The transpose claim of `g` by the adjoint pairing ([`adjoint`]): one small obligation
    /// per linear binding. `None` when the pairing does not apply or an obligation is not
    /// proved (the caller then proves the claim entrywise).
    #[allow(clippy::too_many_arguments)]
    fn transpose_by_pairing(
        &mut self,
        (u, ut, g): (&Program, &str, &FnDef),
        (t, tt, gt): (&Program, &str, &FnDef),
        inputs: &[egg::Id],
        t_rows: &[super::lower::Row],
        lemmas: &[Rule],
        policy: Option<&str>,
    ) -> Option<ClaimReport> {
        let (_, g_env) = self.lower_env_at(u, ut, g, inputs).ok()?;
        let (_, gt_env) = self.lower_env_at(t, tt, gt, inputs).ok()?;
        let locals = adjoint::obligations(
            &mut self.dag,
            u,
            ut,
            g,
            &g_env,
            gt,
            &gt_env,
            t_rows,
            self.limits.tuples,
        )
        .ok()?;
        let mut verdicts = Vec::with_capacity(locals.len());
        for o in locals {
            let v = prove_local(
                &self.dag,
                o.what,
                o.lhs,
                o.rhs,
                &o.atoms,
                lemmas,
                &self.limits,
            );
            if v.outcome != Outcome::Proved {
                return None;
            }
            verdicts.push(v);
        }
        Some(summarise(
            &g.name,
            Claim::Transpose,
            policy.map(Into::into),
            verdicts,
        ))
    }

    pub fn reference(&mut self, prog: &Program, tag: &str, f: &FnDef) -> Result<Reference, String> {
        self.within_budget(prog, tag, f)?;
        let key = format!("{tag}:{}", f.name);
        if let Some(r) = self.references.get(&key) {
            return Ok(Reference {
                nl: r.nl.clone(),
                jac: r.jac.clone(),
            });
        }
        let mut d = Differentiator {
            dag: &mut self.dag,
            prims: self.prims,
            columns: &self.columns,
            prog,
            tag,
        };
        let r = d.differentiate(f)?;
        self.references.insert(
            key,
            Reference {
                nl: r.nl.clone(),
                jac: r.jac.clone(),
            },
        );
        Ok(r)
    }

    fn add_lemma(&mut self, owner: &str, name: String, lhs: String, rhs: String) {
        let lemma = Lemma {
            name,
            lhs,
            rhs,
            rule: OnceCell::new(),
        };
        self.lemmas
            .entry(owner.to_string())
            .or_default()
            .push(Rc::new(lemma));
    }

    /// The lemmas usable inside `tag:f`: those of the functions it calls.
    fn lemmas_for(&self, prog: &Program, tag: &str, f: &FnDef) -> Vec<Rule> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        each_expr(&f.body, &mut |e| {
            if let Expr::Call { func, .. } = e
                && let Some(g) = prog.func(*func)
                && seen.insert(g.name.clone())
                && let Some(ls) = self.lemmas.get(&format!("{tag}:{}", g.name))
            {
                out.extend(ls.iter().cloned());
            }
        });
        compile(&out)
    }

    /// The lemmas of both halves of a split function, each once.
    fn lemmas_for2(&self, prog: &Program, tag: &str, a: &FnDef, b: &FnDef) -> Vec<Rule> {
        let mut out = self.lemmas_for(prog, tag, a);
        out.extend(self.lemmas_for(prog, tag, b));
        let mut seen = std::collections::HashSet::new();
        out.retain(|r| seen.insert(r.name));
        out
    }

    pub(super) fn lemmas_for_pub(&self, prog: &Program, tag: &str, f: &FnDef) -> Vec<Rule> {
        self.lemmas_for(prog, tag, f)
    }

    pub(super) fn add_lemma_pub(&mut self, owner: &str, name: String, lhs: String, rhs: String) {
        self.add_lemma(owner, name, lhs, rhs)
    }

    pub(super) fn settle_pub(
        &mut self,
        func: &str,
        claim: Claim,
        pairs: Vec<(String, egg::Id, egg::Id)>,
        lemmas: &[Rule],
    ) -> ClaimReport {
        self.settle(func, claim, None, pairs, lemmas)
    }

    /// Proves `pairs` (obligation name, lhs, rhs) and sums them up into one claim report.
    #[allow(clippy::too_many_arguments)]
    fn settle(
        &mut self,
        func: &str,
        claim: Claim,
        policy: Option<String>,
        pairs: Vec<(String, egg::Id, egg::Id)>,
        lemmas: &[Rule],
    ) -> ClaimReport {
        let pairs = split_tuples(&mut self.dag, pairs);
        self.counts.obligations += pairs.len() as u64;
        self.counts.lemma_offers += (pairs.len() * lemmas.len()) as u64;
        let verdicts: Vec<Verdict> = pairs
            .into_iter()
            .map(|(what, l, r)| prove(&self.dag, self.prims, what, l, r, lemmas, &self.limits))
            .collect();
        summarise(func, claim, policy, verdicts)
    }

    fn failed(func: &str, claim: Claim, policy: Option<String>, why: String) -> ClaimReport {
        let mut r = summarise(func, claim, policy, Vec::new());
        r.outcome = Outcome::Unknown;
        r.reason = Some(why);
        r
    }

    /// jvp-primal and jvp-tangent for every function of `p` (tag `P`) against `j` (tag `J`).
    pub fn jvp(&mut self, p: &Program, j: &Program) -> Vec<ClaimReport> {
        let (mut out, index) = (Vec::new(), j.index());
        for f in &p.funcs {
            let name = format!("{}.jvp", f.name);
            let Some(g) = index.get(&name).and_then(|id| j.func(id)) else {
                out.push(Self::failed(
                    &f.name,
                    Claim::JvpPrimal,
                    None,
                    format!("no `{name}`"),
                ));
                continue;
            };
            match self.jvp_one(p, j, f, g) {
                Ok(rs) => out.extend(rs),
                Err(e) => out.push(Self::failed(&f.name, Claim::JvpPrimal, None, e)),
            }
        }
        out
    }

    fn jvp_one(
        &mut self,
        p: &Program,
        j: &Program,
        f: &FnDef,
        g: &FnDef,
    ) -> Result<Vec<ClaimReport>, String> {
        let (inputs, orig) = self.lowered(p, "P", f)?;
        let reference = self.reference(p, "P", f)?;
        let out = self.lower_at(j, "J", g, &inputs)?;
        self.lowered(j, "J", g)?;
        let lemmas = self.lemmas_for(j, "J", g);
        let primal = pair_results(&out.nl, &orig.nl, "result")?;
        let tangent = pair_rows(&mut self.dag, &out.lin, &reference.jac, inputs.len(), false)?;
        let r1 = self.settle(&f.name, Claim::JvpPrimal, None, primal, &lemmas);
        let r2 = self.settle(&f.name, Claim::JvpTangent, None, tangent, &lemmas);
        let n = inputs.len();
        let xs = vars(n);
        if r1.outcome == Outcome::Proved {
            for k in 0..orig.nl.len() {
                self.add_lemma(
                    &format!("J:{}", g.name),
                    format!("lemma:{}:jvp-primal#{k}", f.name),
                    app(&result_symbol("J", &g.name, k), &xs),
                    app(&result_symbol("P", &f.name, k), &xs),
                );
            }
        }
        if r2.outcome == Outcome::Proved {
            for k in 0..orig.nl.len() {
                for i in 0..n {
                    self.add_lemma(
                        &format!("J:{}", g.name),
                        format!("lemma:{}:jvp-tangent#{k}@{i}", f.name),
                        app(&coefficient_symbol("J", &g.name, k, i), &xs),
                        app(&derivative_symbol("P", &f.name, k, i), &xs),
                    );
                }
            }
        }
        Ok(vec![r1, r2])
    }

    /// The unzip claim for every function of `j` (tag `J`) against its halves in `u` (tag `ut`).
    pub fn unzip(&mut self, j: &Program, u: &Program, ut: &str, policy: &str) -> Vec<ClaimReport> {
        let (mut out, index) = (Vec::new(), u.index());
        for f in &j.funcs {
            let r = self
                .unzip_one(j, (u, &index), ut, f, policy)
                .unwrap_or_else(|e| Self::failed(&f.name, Claim::Unzip, Some(policy.into()), e));
            out.push(r);
        }
        out
    }

    fn unzip_one(
        &mut self,
        j: &Program,
        (u, index): (&Program, &FuncIndex),
        ut: &str,
        f: &FnDef,
        policy: &str,
    ) -> Result<ClaimReport, String> {
        let (inputs, orig) = self.lowered(j, "J", f)?;
        let by = |n: &str| index.get(n).and_then(|id| u.func(id));
        let n_res = orig.nl.len();
        let m = size(&f.lparams.iter().map(|p| p.ty.clone()).collect::<Vec<_>>());
        let xs = vars(inputs.len());
        let owner = format!("{ut}:{}", f.name);
        let nonlin_name = format!("{}.nonlin", f.name);
        let lin_name = format!("{}.lin", f.name);
        let (got, lemmas, split) = match (by(&nonlin_name), by(&lin_name)) {
            (Some(fnl), Some(fl)) => {
                let a = self.lower_at(u, ut, fnl, &inputs)?;
                self.lowered(u, ut, fl)?;
                if a.nl.len() < n_res {
                    return Err(format!("`{nonlin_name}` returns too few results"));
                }
                let residual = a.nl[n_res..].to_vec();
                let b = self.lower_at(u, ut, fl, &residual)?;
                let lemmas = self.lemmas_for2(u, ut, fnl, fl);
                let got = Lowered {
                    nl: a.nl[..n_res].to_vec(),
                    lin: b.lin,
                };
                (
                    got,
                    lemmas,
                    Some((fnl.name.clone(), fl.name.clone(), a.nl.len() - n_res)),
                )
            }
            _ => {
                let g = by(&f.name).ok_or_else(|| format!("no `{}` or its halves", f.name))?;
                let got = self.lower_at(u, ut, g, &inputs)?;
                (got, self.lemmas_for(u, ut, g), None)
            }
        };
        let mut pairs = pair_results(&got.nl, &orig.nl, "result")?;
        pairs.extend(pair_rows(&mut self.dag, &got.lin, &orig.lin, m, false)?);
        let r = self.settle(&f.name, Claim::Unzip, Some(policy.into()), pairs, &lemmas);
        {
            let (nl_sym, res_args): (String, Vec<String>) = match &split {
                Some((fnl, _, n_resid)) => {
                    let args = (0..*n_resid)
                        .map(|r| app(&result_symbol(ut, fnl, n_res + r), &xs))
                        .collect();
                    (fnl.clone(), args)
                }
                None => (f.name.clone(), xs.clone()),
            };
            let lin_sym = split.as_ref().map_or(f.name.clone(), |s| s.1.clone());
            for k in (0..n_res).filter(|_| proved(&r, "result")) {
                self.add_lemma(
                    &owner,
                    format!("lemma:{}:unzip#{k}", f.name),
                    app(&result_symbol(ut, &nl_sym, k), &xs),
                    app(&result_symbol("J", &f.name, k), &xs),
                );
            }
            for k in (0..orig.lin.len()).filter(|_| proved(&r, "coefficient")) {
                for i in 0..m {
                    self.add_lemma(
                        &owner,
                        format!("lemma:{}:unzip#{k}@{i}", f.name),
                        app(&coefficient_symbol(ut, &lin_sym, k, i), &res_args),
                        app(&coefficient_symbol("J", &f.name, k, i), &xs),
                    );
                }
            }
            // Lemmas are looked up by the callee's name at call sites in the output.
            if let Some((fnl, fl, _)) = &split {
                let ls = self.lemmas.get(&owner).cloned().unwrap_or_default();
                self.lemmas.insert(format!("{ut}:{fnl}"), ls.clone());
                self.lemmas.insert(format!("{ut}:{fl}"), ls);
            }
        }
        Ok(r)
    }

    /// The transpose claim for every linear function of `u` (tag `ut`) against `g.T` in `t`
    /// (tag `tt`); nonlinear functions kept by transpose are claimed unchanged.
    pub fn transpose(
        &mut self,
        u: &Program,
        ut: &str,
        t: &Program,
        tt: &str,
        policy: Option<&str>,
    ) -> Vec<ClaimReport> {
        let (mut out, index) = (Vec::new(), t.index());
        for g in &u.funcs {
            let r = self
                .transpose_one(u, ut, (t, &index), tt, g, policy)
                .unwrap_or_else(|e| {
                    Self::failed(&g.name, Claim::Transpose, policy.map(Into::into), e)
                });
            out.push(r);
        }
        out
    }

    /// [`Session::transpose`] for a certificate: a kept function for which `identical(g,
    /// reports so far)` holds (`rewrite::certificate`, which then certifies it by the one
    /// obligation `identical`) is not proved leaf by leaf, a proof the certificate would drop
    /// (a chain's `f{i}.jvp.nonlin` has `2i + 2` result leaves, so proving them made certifying
    /// quadratic). It is lowered as before (callers sample its symbols) and gives the lemmas
    /// of a proved kept claim.
    pub fn transpose_kept(
        &mut self,
        (u, ut): (&Program, &str),
        (t, tt): (&Program, &str),
        policy: Option<&str>,
        identical: &mut dyn FnMut(&FnDef, &[ClaimReport]) -> bool,
    ) -> Vec<ClaimReport> {
        let (mut out, index) = (Vec::new(), t.index());
        for g in &u.funcs {
            let kept = (index.get(&format!("{}.T", g.name)).is_none())
                .then(|| index.get(&g.name).and_then(|id| t.func(id)))
                .flatten();
            let r = match kept {
                Some(kept) if identical(g, &out) => {
                    self.identical_one((u, ut), (t, tt), g, kept, policy)
                }
                _ => self.transpose_one(u, ut, (t, &index), tt, g, policy),
            };
            let policy = policy.map(Into::into);
            out.push(r.unwrap_or_else(|e| Self::failed(&g.name, Claim::Transpose, policy, e)));
        }
        out
    }

    /// The claim of a kept `g` called identical (see [`Session::transpose_kept`]).
    fn identical_one(
        &mut self,
        (u, ut): (&Program, &str),
        (t, tt): (&Program, &str),
        g: &FnDef,
        kept: &FnDef,
        policy: Option<&str>,
    ) -> Result<ClaimReport, String> {
        let policy = policy.map(Into::into);
        let (inputs, orig) = self.lowered(u, ut, g)?;
        self.lowered(t, tt, kept)?;
        let xs = vars(inputs.len());
        for k in 0..orig.nl.len() {
            self.add_lemma(
                &format!("{tt}:{}", g.name),
                format!("lemma:{}:kept#{k}", g.name),
                app(&result_symbol(tt, &g.name, k), &xs),
                app(&result_symbol(ut, &g.name, k), &xs),
            );
        }
        let v = Verdict {
            what: "identical".into(),
            outcome: Outcome::Proved,
            nodes: 0,
            iterations: 0,
            time_ms: 0.0,
            steps: 0,
            proof: Some(super::prove::Proof::default()),
            counterexample: None,
            reason: None,
        };
        Ok(summarise(&g.name, Claim::Transpose, policy, vec![v]))
    }

    fn transpose_one(
        &mut self,
        u: &Program,
        ut: &str,
        (t, index): (&Program, &FuncIndex),
        tt: &str,
        g: &FnDef,
        policy: Option<&str>,
    ) -> Result<ClaimReport, String> {
        let (inputs, orig) = self.lowered(u, ut, g)?;
        let xs = vars(inputs.len());
        let by = |n: &str| index.get(n).and_then(|id| t.func(id));
        let tname = format!("{}.T", g.name);
        let owner_kept = format!("{tt}:{}", g.name);
        if let Some(gt) = by(&tname) {
            let m = size(&g.lparams.iter().map(|p| p.ty.clone()).collect::<Vec<_>>());
            let got = self.lower_at(t, tt, gt, &inputs)?;
            self.lowered(t, tt, gt)?;
            let lemmas = self.lemmas_for(t, tt, gt);
            if !got.nl.is_empty() || !orig.nl.is_empty() {
                return Err(format!(
                    "`{}` has nonlinear results: it is not linear",
                    g.name
                ));
            }
            // got.lin[i] is the cotangent of input i, a row over output cotangents k.
            let mut pairs = Vec::new();
            let zero = self.dag.num(0.0);
            if got.lin.len() != m {
                return Err(format!(
                    "`{tname}` returns {} cotangents, `{}` has {m} linear inputs",
                    got.lin.len(),
                    g.name
                ));
            }
            if got
                .lin
                .iter()
                .any(|row| row.iter().any(|&(k, _)| k as usize >= orig.lin.len()))
            {
                return Err(format!(
                    "`{tname}` reads a cotangent `{}` does not produce",
                    g.name
                ));
            }
            let pairing = if self.limits.pairing {
                self.transpose_by_pairing(
                    (u, ut, g),
                    (t, tt, gt),
                    &inputs,
                    &got.lin,
                    &lemmas,
                    policy,
                )
            } else {
                None
            };
            for (i, row) in got.lin.iter().enumerate() {
                for (k, orow) in orig.lin.iter().enumerate() {
                    let l = coefficient(row, k as u32).unwrap_or(zero);
                    let r = coefficient(orow, i as u32).unwrap_or(zero);
                    pairs.push((format!("coefficient {k}@{i}"), l, r));
                }
                if row.iter().any(|&(k, _)| k as usize >= orig.lin.len()) {
                    return Err(format!(
                        "`{tname}` reads a cotangent `{}` does not produce",
                        g.name
                    ));
                }
            }
            let r = match pairing {
                Some(r) => r,
                None => self.settle(
                    &g.name,
                    Claim::Transpose,
                    policy.map(Into::into),
                    pairs,
                    &lemmas,
                ),
            };
            if r.outcome == Outcome::Proved {
                for (i, _) in got.lin.iter().enumerate() {
                    for k in 0..orig.lin.len() {
                        self.add_lemma(
                            &format!("{tt}:{tname}"),
                            format!("lemma:{}:transpose#{k}@{i}", g.name),
                            app(&coefficient_symbol(tt, &tname, i, k), &xs),
                            app(&coefficient_symbol(ut, &g.name, k, i), &xs),
                        );
                    }
                }
            }
            Ok(r)
        } else {
            let kept = by(&g.name).ok_or_else(|| format!("no `{tname}` or `{}`", g.name))?;
            let got = self.lower_at(t, tt, kept, &inputs)?;
            self.lowered(t, tt, kept)?;
            let lemmas = self.lemmas_for(t, tt, kept);
            let pairs = pair_results(&got.nl, &orig.nl, "result")?;
            let r = self.settle(
                &g.name,
                Claim::Transpose,
                policy.map(Into::into),
                pairs,
                &lemmas,
            );
            if r.outcome == Outcome::Proved {
                for k in 0..orig.nl.len() {
                    self.add_lemma(
                        &owner_kept,
                        format!("lemma:{}:kept#{k}", g.name),
                        app(&result_symbol(tt, &g.name, k), &xs),
                        app(&result_symbol(ut, &g.name, k), &xs),
                    );
                }
            }
            Ok(r)
        }
    }

    /// The vjp claim for every function of `p` (tag `P`) against `f.jvp.nonlin` and
    /// `f.jvp.lin.T` in `t` (tag `tt`).
    pub fn vjp(&mut self, p: &Program, t: &Program, tt: &str, policy: &str) -> Vec<ClaimReport> {
        self.vjp_via(p, t, tt, None, policy)
    }

    /// [`Session::vjp`], where `t` was transposed from the unzipped program tagged `ut`
    /// whose unzip and transpose claims were proved first: each VJP obligation is then first
    /// tried **modularly**, as the composition of the jvp, unzip and transpose lemmas
    /// (`T:f.jvp.lin.T#i@k(T:f.jvp.nonlin#r(x)..) = P:f#dk@i(x)`), a few nodes whatever the
    /// length of `f`.
    pub fn vjp_via(
        &mut self,
        p: &Program,
        t: &Program,
        tt: &str,
        ut: Option<&str>,
        policy: &str,
    ) -> Vec<ClaimReport> {
        let mut out = Vec::new();
        let funcs = t.index();
        for f in &p.funcs {
            let r = self
                .vjp_one(p, (t, &funcs), tt, ut, f, policy)
                .unwrap_or_else(|e| Self::failed(&f.name, Claim::Vjp, Some(policy.into()), e));
            out.push(r);
        }
        out
    }

    fn vjp_one(
        &mut self,
        p: &Program,
        (t, funcs): (&Program, &FuncIndex),
        tt: &str,
        ut: Option<&str>,
        f: &FnDef,
        policy: &str,
    ) -> Result<ClaimReport, String> {
        let (inputs, orig) = self.lowered(p, "P", f)?;
        let reference = self.reference(p, "P", f)?;
        let by = |n: &str| funcs.get(n).and_then(|id| t.func(id));
        let nl_name = format!("{}.jvp.nonlin", f.name);
        let lt_name = format!("{}.jvp.lin.T", f.name);
        let n_res = orig.nl.len();
        let xs = vars(inputs.len());
        let (Some(fnl), Some(flt)) = (by(&nl_name), by(&lt_name)) else {
            // A function with no results is not split: nothing to claim beyond its (empty) results.
            if n_res == 0 {
                return Ok(self.settle(&f.name, Claim::Vjp, Some(policy.into()), Vec::new(), &[]));
            }
            return Err(format!("no `{nl_name}` and `{lt_name}`"));
        };
        let a = self.lower_at(t, tt, fnl, &inputs)?;
        self.lowered(t, tt, fnl)?;
        self.lowered(t, tt, flt)?;
        if a.nl.len() < n_res {
            return Err(format!("`{nl_name}` returns too few results"));
        }
        let residual = a.nl[n_res..].to_vec();
        let b = self.lower_at(t, tt, flt, &residual)?;
        let lemmas = self.lemmas_for2(t, tt, fnl, flt);
        let mut pairs = pair_results(&a.nl[..n_res], &orig.nl, "result")?;
        if b.lin.len() != inputs.len() {
            return Err(format!(
                "`{lt_name}` returns {} cotangents for {} inputs",
                b.lin.len(),
                inputs.len()
            ));
        }
        let zero = self.dag.num(0.0);
        for (i, row) in b.lin.iter().enumerate() {
            for (k, jrow) in reference.jac.iter().enumerate() {
                let l = coefficient(row, k as u32).unwrap_or(zero);
                let r = coefficient(jrow, i as u32).unwrap_or(zero);
                pairs.push((format!("gradient {k}@{i}"), l, r));
            }
        }
        let modular = ut.and_then(|ut| {
            self.vjp_modular(
                f,
                (tt, &nl_name, &lt_name),
                ut,
                &inputs,
                a.nl.len(),
                &reference,
            )
        });
        let r = match modular {
            Some(verdicts) => summarise(&f.name, Claim::Vjp, Some(policy.into()), verdicts),
            None => self.settle(&f.name, Claim::Vjp, Some(policy.into()), pairs, &lemmas),
        };
        {
            let owner = format!("{tt}:{nl_name}");
            let n_resid = a.nl.len() - n_res;
            let res_args: Vec<String> = (0..n_resid)
                .map(|r| app(&result_symbol(tt, &nl_name, n_res + r), &xs))
                .collect();
            for k in 0..n_res {
                if proved(&r, "result") {
                    self.add_lemma(
                        &owner,
                        format!("lemma:{}:vjp#{k}", f.name),
                        app(&result_symbol(tt, &nl_name, k), &xs),
                        app(&result_symbol("P", &f.name, k), &xs),
                    );
                }
                for i in (0..inputs.len()).filter(|_| proved(&r, "gradient")) {
                    self.add_lemma(
                        &owner,
                        format!("lemma:{}:vjp#{k}@{i}", f.name),
                        app(&coefficient_symbol(tt, &lt_name, i, k), &res_args),
                        app(&derivative_symbol("P", &f.name, k, i), &xs),
                    );
                }
            }
            let ls = self.lemmas.get(&owner).cloned().unwrap_or_default();
            self.lemmas.insert(format!("{tt}:{lt_name}"), ls);
        }
        Ok(r)
    }
}

impl Session<'_> {
    /// The VJP obligations as compositions of lemmas (ground instances, congruence closure):
    /// `None` unless every one is proved.
    fn vjp_modular(
        &mut self,
        f: &FnDef,
        (tt, nl_name, lt_name): (&str, &str, &str),
        ut: &str,
        inputs: &[egg::Id],
        n_nonlin: usize,
        reference: &super::derivative::Reference,
    ) -> Option<Vec<Verdict>> {
        let jvp = format!("{}.jvp", f.name);
        let lin = format!("{jvp}.lin");
        let has = |owner: &str, name: &str| {
            self.lemmas
                .get(owner)
                .is_some_and(|ls| ls.iter().any(|l| l.name == name))
        };
        let n_res = reference.nl.len();
        let x = inputs.to_vec();
        // The residuals, through the transposed program's and the unzipped program's copy of
        // `.nonlin` (transpose keeps it: the `kept` lemmas).
        let mut ground: Vec<(String, egg::Id, egg::Id)> = Vec::new();
        let mut res_t = Vec::new();
        let mut res_u = Vec::new();
        for r in 0..n_nonlin {
            let name = format!("lemma:{nl_name}:kept#{r}");
            if !has(&format!("{tt}:{nl_name}"), &name) {
                return None;
            }
            let a = self.dag.fun(&result_symbol(tt, nl_name, r), x.clone());
            let b = self.dag.fun(&result_symbol(ut, nl_name, r), x.clone());
            ground.push((name, a, b));
            if r >= n_res {
                res_t.push(a);
                res_u.push(b);
            }
        }
        let mut pairs = Vec::new();
        for k in 0..n_res {
            let (un, jn) = (
                format!("lemma:{jvp}:unzip#{k}"),
                format!("lemma:{}:jvp-primal#{k}", f.name),
            );
            if !has(&format!("{ut}:{nl_name}"), &un) || !has(&format!("J:{jvp}"), &jn) {
                return None;
            }
            let u = self.dag.fun(&result_symbol(ut, nl_name, k), x.clone());
            let j = self.dag.fun(&result_symbol("J", &jvp, k), x.clone());
            let p = self.dag.fun(&result_symbol("P", &f.name, k), x.clone());
            ground.push((un, u, j));
            ground.push((jn, j, p));
            let l = self.dag.fun(&result_symbol(tt, nl_name, k), x.clone());
            pairs.push((format!("result {k}"), l, p, ground.len()));
        }
        let shared = ground.len();
        for k in 0..n_res {
            for i in 0..inputs.len() {
                let names = [
                    format!("lemma:{lin}:transpose#{k}@{i}"),
                    format!("lemma:{jvp}:unzip#{k}@{i}"),
                    format!("lemma:{}:jvp-tangent#{k}@{i}", f.name),
                ];
                let owners = [
                    format!("{tt}:{lt_name}"),
                    format!("{ut}:{nl_name}"),
                    format!("J:{jvp}"),
                ];
                if !names.iter().zip(&owners).all(|(n, o)| has(o, n)) {
                    return None;
                }
                let l = self
                    .dag
                    .fun(&coefficient_symbol(tt, lt_name, i, k), res_t.clone());
                let ut_t = self
                    .dag
                    .fun(&coefficient_symbol(ut, &lin, k, i), res_t.clone());
                let ut_u = self
                    .dag
                    .fun(&coefficient_symbol(ut, &lin, k, i), res_u.clone());
                let j = self
                    .dag
                    .fun(&coefficient_symbol("J", &jvp, k, i), x.clone());
                let p = self
                    .dag
                    .fun(&derivative_symbol("P", &f.name, k, i), x.clone());
                let [tn, un, jn] = names;
                let mut g = ground[..shared].to_vec();
                g.extend([(tn, l, ut_t), (un, ut_u, j), (jn, j, p)]);
                pairs.push((format!("gradient {k}@{i}"), l, p, 0));
                ground.extend(g.drain(shared..));
            }
        }
        let mut out = Vec::with_capacity(pairs.len());
        let mut at = shared;
        for (what, l, r, _) in pairs {
            let g: Vec<_> = if what.starts_with("result") {
                ground[..shared].to_vec()
            } else {
                let mut g = ground[..shared].to_vec();
                g.extend(ground[at..at + 3].iter().cloned());
                at += 3;
                g
            };
            let v = prove_ground(&self.dag, what, l, r, &g, &self.limits);
            if v.outcome != Outcome::Proved {
                return None;
            }
            out.push(v);
        }
        Some(out)
    }
}

/// Every obligation of `r` whose name starts with `what` is proved: the lemmas about results
/// and those about coefficients are given separately, so a callee whose results are proved
/// still helps its callers' result claims.
fn proved(r: &ClaimReport, what: &str) -> bool {
    r.verdicts
        .iter()
        .filter(|v| v.what.starts_with(what))
        .all(|v| v.outcome == Outcome::Proved)
}

/// An equality of tuples is the equalities of their components (`<> a..` against `<> b..`,
/// or against `t`'s projections), so that each is sampled as a real and proved alone; a
/// component that is a tuple again is split in turn (each pair once: linear in the DAG).
fn split_tuples(
    dag: &mut Dag,
    pairs: Vec<(String, egg::Id, egg::Id)>,
) -> Vec<(String, egg::Id, egg::Id)> {
    use super::language::Term;
    let mut out = Vec::with_capacity(pairs.len());
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<_> = pairs.into_iter().rev().collect();
    while let Some((what, l, r)) = stack.pop() {
        let items = |dag: &Dag, t: egg::Id| match dag.get(t) {
            Term::Tuple(items) => Some(items.clone()),
            _ => None,
        };
        let (a, b) = (items(dag, l), items(dag, r));
        let n = match (&a, &b) {
            (Some(a), Some(b)) if a.len() == b.len() => a.len(),
            (Some(a), None) | (None, Some(a)) => a.len(),
            _ => {
                out.push((what, l, r));
                continue;
            }
        };
        if l == r {
            out.push((what, l, r));
            continue;
        }
        if !seen.insert((l, r)) {
            continue;
        }
        let mut parts = Vec::with_capacity(n);
        for k in 0..n {
            let x = a
                .as_ref()
                .map_or_else(|| dag.proj(k as u32, n as u32, l), |a| a[k]);
            let y = b
                .as_ref()
                .map_or_else(|| dag.proj(k as u32, n as u32, r), |b| b[k]);
            parts.push((format!("{what}.{k}"), x, y));
        }
        stack.extend(parts.into_iter().rev());
    }
    out
}

/// Result leaf `k` of one side against the other's.
fn pair_results(
    got: &[egg::Id],
    want: &[egg::Id],
    what: &str,
) -> Result<Vec<(String, egg::Id, egg::Id)>, String> {
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

/// Rows against rows, coefficient by coefficient over `m` inputs (a missing one is `0`).
fn pair_rows(
    dag: &mut Dag,
    got: &[super::lower::Row],
    want: &[super::lower::Row],
    m: usize,
    _transposed: bool,
) -> Result<Vec<(String, egg::Id, egg::Id)>, String> {
    if got.len() != want.len() {
        return Err(format!(
            "{} linear result leaves against {}",
            got.len(),
            want.len()
        ));
    }
    let zero = dag.num(0.0);
    let mut out = Vec::new();
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        if g.iter().chain(w.iter()).any(|&(i, _)| i as usize >= m) {
            return Err("a coefficient of an input that does not exist".into());
        }
        let mut idx: Vec<u32> = g.iter().chain(w.iter()).map(|&(i, _)| i).collect();
        idx.sort_unstable();
        idx.dedup();
        for i in idx {
            let l = coefficient(g, i).unwrap_or(zero);
            let r = coefficient(w, i).unwrap_or(zero);
            out.push((format!("coefficient {k}@{i}"), l, r));
        }
    }
    Ok(out)
}

pub fn summarise(
    func: &str,
    claim: Claim,
    policy: Option<String>,
    verdicts: Vec<Verdict>,
) -> ClaimReport {
    let outcome = if verdicts.iter().any(|v| v.outcome == Outcome::Refuted) {
        Outcome::Refuted
    } else if verdicts.iter().any(|v| v.outcome == Outcome::Unknown) {
        Outcome::Unknown
    } else {
        Outcome::Proved
    };
    let first_bad = verdicts
        .iter()
        .find(|v| v.outcome == outcome && outcome != Outcome::Proved);
    ClaimReport {
        func: func.to_string(),
        claim,
        policy,
        outcome,
        obligations: verdicts.len(),
        egraph_nodes: verdicts.iter().map(|v| v.nodes).max().unwrap_or(0),
        iterations: verdicts.iter().map(|v| v.iterations).sum(),
        time_ms: verdicts.iter().fold(0.0, |t, v| t + v.time_ms),
        proof_length: verdicts.iter().map(|v| v.steps).sum(),
        counterexample: first_bad.and_then(|v| v.counterexample.clone()),
        reason: first_bad.map(|v| {
            let why = v
                .reason
                .clone()
                .unwrap_or_else(|| "the two sides differ".into());
            format!("{}: {why}", v.what)
        }),
        verdicts,
    }
}
