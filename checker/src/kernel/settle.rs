//! Settling one claim: the certificate's record must name the function, claim and
//! obligations the kernel recomputed, in order. The kernel **decides** each obligation called
//! `proved` itself (proof by reflection, as Coq's `ring`): both sides rewritten bottom-up by
//! the lemmas of the verified callee claims, then put in the ring normal form of `ring.rs`;
//! the forms must be equal. A `refuted` one is re-evaluated at its point (`eval.rs`).

use super::claims::{Lemma, Pairs, Settled};
use super::ring::normal_form;
use super::term::{Id, Pat};
use super::{ClaimOutcome, KernelError, Verifier};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

const OUTCOMES: [&str; 3] = ["refuted", "unknown", "proved"];

impl Verifier<'_> {
    pub fn settle(
        &mut self,
        func: &str,
        claim: &str,
        pairs: Result<Pairs, String>,
        lemmas: &[Rc<Lemma>],
        inputs: Option<&[Id]>,
    ) -> Result<Settled, KernelError> {
        let here = Some(format!("{func}: {claim}"));
        let no = |code, obligation: Option<&String>, message: String| {
            let (claim, obligation) = (here.clone(), obligation.cloned());
            Err(KernelError {
                code,
                claim,
                obligation,
                message,
            })
        };
        let Some(c) = self.claims.next() else {
            return no(
                "E0803",
                None,
                "the certificate has no record of this claim".into(),
            );
        };
        if (c.function.as_str(), c.claim.as_str()) != (func, claim) {
            let m = format!(
                "the certificate's next claim is `{}: {}`",
                c.function, c.claim
            );
            return no("E0803", None, m);
        }
        let outcomes: Vec<&str> = c.obligations.iter().map(|o| o.outcome.as_str()).collect();
        let worst = OUTCOMES.into_iter().find(|w| outcomes.contains(w));
        if c.outcome != worst.unwrap_or("proved") || outcomes.iter().any(|o| !OUTCOMES.contains(o))
        {
            let m = format!(
                "outcome `{}` is not the worst of its obligations'",
                c.outcome
            );
            return no("E0803", None, m);
        }
        let why = match &pairs {
            Err(why) => Some(why.clone()),
            Ok(_) => c.reason.clone().filter(|_| c.outcome != "proved"),
        };
        let (function, claim, outcome) = (func.into(), claim.into(), c.outcome.clone());
        self.report.push(ClaimOutcome {
            function,
            claim,
            outcome,
            why,
        });
        let pairs = match pairs {
            Err(_) if c.outcome != "proved" && c.obligations.is_empty() => Vec::new(),
            Err(why) => return no("E0803", None, format!("no obligations here ({why})")),
            Ok(p) if p.len() != c.obligations.len() => {
                let (n, m) = (c.obligations.len(), p.len());
                return no(
                    "E0803",
                    None,
                    format!("{n} obligations, the kernel has {m}"),
                );
            }
            Ok(p) => p,
        };
        let index = lemma_index(lemmas, inputs);
        // The lemmas rewrite the same terms in every obligation of a claim: one memo for all.
        let mut memo = Memo::default();
        let mut settled = Vec::new();
        for ((what, l, r, atoms), o) in pairs.iter().zip(&c.obligations) {
            let atoms: HashSet<Id> = atoms.iter().copied().collect();
            let why = match (o.outcome.as_str(), &o.point) {
                _ if o.what != *what => format!("the kernel's obligation here is `{what}`"),
                ("proved", None) if self.decide(*l, *r, &index, &atoms, &mut memo) => String::new(),
                ("proved", None) => "the two sides have other ring normal forms".into(),
                ("refuted", Some(p)) if self.differ(*l, *r, p) => String::new(),
                ("refuted", _) => "the two sides do not differ at the refutation's point".into(),
                ("unknown", None) => String::new(),
                _ => "a counterexample point on an obligation not refuted".into(),
            };
            if !why.is_empty() {
                let code = if why.contains("normal forms") {
                    "E0804"
                } else {
                    "E0803"
                };
                return no(code, Some(what), why);
            }
            self.decided += usize::from(o.outcome == "proved");
            settled.push((what.clone(), o.outcome == "proved"));
        }
        Ok(Settled(settled))
    }

    /// Both sides, with the lemmas applied, have one polynomial normal form: `atoms` (a
    /// pairing's adjoint rows) opaque throughout; the scale factors read as atoms first (but
    /// one that is a single monomial expanded), as the prover does, then everything expanded.
    fn decide(
        &mut self,
        a: Id,
        b: Id,
        ix: &LemmaIndex,
        atoms: &HashSet<Id>,
        memo: &mut Memo,
    ) -> bool {
        // The lemmas rewrite the atoms too (an atom's term may also be a coefficient elsewhere
        // in the obligation); the ring normal form then keeps their images opaque.
        let (a, b) = (self.normalise(a, ix, memo), self.normalise(b, ix, memo));
        let atoms: HashSet<Id> = atoms.iter().map(|&x| self.normalise(x, ix, memo)).collect();
        let factors = |id| memo.factors.contains(&id);
        let (only, none) = (|id| atoms.contains(&id), |_| false);
        a == b
            || [&factors as &dyn Fn(Id) -> bool, &none]
                .into_iter()
                .any(|factors| {
                    let mut m = HashMap::new();
                    let pa = normal_form(&self.dag, a, &only, factors, &mut m);
                    pa.is_some() && pa == normal_form(&self.dag, b, &only, factors, &mut m)
                })
    }

    /// Rewrites `root` bottom-up with the lemmas, in their normalising direction (an explicit
    /// post-order stack, memoised per claim).
    fn normalise(&mut self, root: Id, ix: &LemmaIndex, memo: &mut Memo) -> Id {
        let mut stack = vec![(root, false)];
        let done = |memo: &Memo, k: &Id| memo.map.contains_key(k);
        while let Some((id, ready)) = stack.pop() {
            if done(memo, &id) {
                continue;
            }
            let super::term::Node { op, kids } = self.dag.node(id).clone();
            if !ready {
                stack.push((id, true));
                stack.extend(kids.iter().filter(|k| !done(memo, k)).map(|&k| (k, false)));
                continue;
            }
            let kids = kids.iter().map(|k| *memo.map.get(k).unwrap_or(k)).collect();
            let mut new = self.dag.add(&op, kids);
            for _ in 0..16 {
                let op = self.dag.node(new).op.clone();
                let hit =
                    ix.0.get(op.as_str())
                        .into_iter()
                        .flatten()
                        .find_map(|(from, to)| {
                            let mut binds = HashMap::new();
                            from.matches(&self.dag, new, &mut binds)
                                .then_some((to, binds))
                        });
                let hit = hit.map(|(to, mut binds)| {
                    for (i, &x) in ix.1.iter().enumerate() {
                        binds.entry(i).or_insert(x);
                    }
                    (to, binds)
                });
                match hit.and_then(|(to, binds)| to.build(&mut self.dag, &binds)) {
                    Some(t) if t != new => new = t,
                    _ => break,
                }
            }
            if self.dag.factors.contains(&id) {
                memo.factors.insert(new);
            }
            memo.map.insert(id, new);
        }
        *memo.map.get(&root).unwrap_or(&root)
    }
}

/// Each term rewritten by the lemmas, and the images of the scale factors.
#[derive(Default)]
pub struct Memo {
    map: HashMap<Id, Id>,
    factors: HashSet<Id>,
}

/// The lemmas usable in one claim, oriented, by the head operator of the side they rewrite,
/// and the terms a variable of the other side only is instantiated with.
type LemmaIndex = (HashMap<String, Vec<(Pat, Pat)>>, Vec<Id>);

/// A lemma holds for all values of its variables: towards the original's symbols (`lhs` to
/// `rhs`) when `rhs` has no other variables or `inputs` instantiates them (a VJP's chain,
/// whose lemmas' variables are all the function's inputs), else the other way.
fn lemma_index(lemmas: &[Rc<Lemma>], inputs: Option<&[Id]>) -> LemmaIndex {
    let mut ix = HashMap::<String, Vec<(Pat, Pat)>>::new();
    for l in lemmas {
        let forward = l.forward || inputs.is_some();
        let (from, to) = if forward {
            (&l.lhs, &l.rhs)
        } else {
            (&l.rhs, &l.lhs)
        };
        if let Pat::App(op, _) = from {
            ix.entry(op.clone())
                .or_default()
                .push((from.clone(), to.clone()));
        }
    }
    (ix, inputs.unwrap_or_default().to_vec())
}
