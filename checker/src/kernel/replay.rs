//! Settling one claim: the certificate's record of it must name the same function, claim and
//! obligations the kernel recomputed, and every obligation it calls proved must replay, step
//! by step, from the kernel's left term to its right term. A step's rule is a row of the
//! kernel's table, a lemma about a callee whose claim the kernel has verified, or
//! `ring-normal-form` (re-decided here); anything else is rejected.

use super::claims::{Lemma, Pairs, Settled};
use super::ring::{Atoms, normal_form};
use super::schema::{ObligationCert, StepCert};
use super::term::{Id, Pat};
use super::{ClaimOutcome, KernelError, Verifier};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

pub const RING: &str = "ring-normal-form";

fn worst(outcomes: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = outcomes.collect();
    ["refuted", "unknown"]
        .iter()
        .find(|w| all.iter().any(|o| o == *w))
        .map_or("proved", |w| w)
        .to_string()
}

impl Verifier<'_> {
    pub fn settle(
        &mut self,
        func: &str,
        claim: &str,
        pairs: Result<Pairs, String>,
        lemmas: &[Rc<Lemma>],
    ) -> Result<Settled, KernelError> {
        let here = format!("{func}: {claim}");
        let err = |obligation: Option<&str>, step: Option<usize>, message: String| KernelError {
            code: if step.is_some() || message.starts_with("the proof") {
                "E0804"
            } else {
                "E0803"
            },
            claim: Some(here.clone()),
            obligation: obligation.map(str::to_string),
            step,
            message,
        };
        let Some(c) = self.claims.next() else {
            return Err(err(
                None,
                None,
                "the certificate has no record of this claim".into(),
            ));
        };
        if c.function != func || c.claim != claim {
            return Err(err(
                None,
                None,
                format!(
                    "the certificate's next claim is `{}: {}`",
                    c.function, c.claim
                ),
            ));
        }
        let outcomes = c.obligations.iter().map(|o| o.outcome.clone());
        if c.outcome != worst(outcomes)
            || c.obligations
                .iter()
                .any(|o| !["proved", "unknown", "refuted"].contains(&o.outcome.as_str()))
        {
            return Err(err(
                None,
                None,
                format!(
                    "outcome `{}` is not the worst of its obligations'",
                    c.outcome
                ),
            ));
        }
        let pairs = match pairs {
            Err(why) if c.outcome != "proved" && c.obligations.is_empty() => {
                self.report.push(ClaimOutcome {
                    function: func.into(),
                    claim: claim.into(),
                    outcome: c.outcome,
                    why: Some(why),
                });
                return Ok(Settled(Vec::new()));
            }
            Err(why) => {
                return Err(err(
                    None,
                    None,
                    format!("the kernel finds no obligations ({why})"),
                ));
            }
            Ok(p) => p,
        };
        if pairs.len() != c.obligations.len() {
            return Err(err(
                None,
                None,
                format!(
                    "{} obligations, the kernel has {}",
                    c.obligations.len(),
                    pairs.len()
                ),
            ));
        }
        let table = lemma_index(lemmas);
        let mut settled = Vec::new();
        // The lemmas rewrite the same terms in every obligation of a claim: one memo for all.
        let mut memo = Memo::default();
        for ((what, l, r, atoms), o) in pairs.iter().zip(&c.obligations) {
            if o.what != *what {
                return Err(err(
                    Some(&o.what),
                    None,
                    format!("the kernel's obligation here is `{what}`"),
                ));
            }
            let proved = o.outcome == "proved";
            if proved {
                let atoms: HashSet<Id> = atoms.iter().copied().collect();
                self.obligation(o, (*l, *r), (&table, &atoms, &mut memo))
                    .map_err(|(s, m)| err(Some(what), s, m))?;
                self.steps += o.proof.as_ref().map_or(0, |p| p.steps.len());
            } else if o.proof.is_some() {
                return Err(err(
                    Some(what),
                    None,
                    "a proof of an obligation not claimed proved".into(),
                ));
            }
            // A refutation is re-checked: both sides, evaluated at its point, differ.
            match (o.outcome.as_str(), &o.point) {
                ("refuted", Some(p)) if self.differ(*l, *r, p) => {}
                ("refuted", _) => {
                    let m = "the two sides do not differ at the refutation's point";
                    return Err(err(Some(what), None, m.into()));
                }
                (_, Some(_)) => {
                    let m = "a counterexample point on an obligation not refuted";
                    return Err(err(Some(what), None, m.into()));
                }
                _ => {}
            }
            settled.push((what.clone(), proved));
        }
        let why = c.reason.filter(|_| c.outcome != "proved");
        self.report.push(ClaimOutcome {
            function: func.into(),
            claim: claim.into(),
            outcome: c.outcome,
            why,
        });
        Ok(Settled(settled))
    }

    fn term(&self, t: u32) -> Result<Id, String> {
        self.cmap
            .get(t as usize)
            .copied()
            .ok_or_else(|| format!("term {t} does not exist"))
    }

    fn obligation(
        &mut self,
        o: &ObligationCert,
        (l, r): (Id, Id),
        ctx: Ctx,
    ) -> Result<(), (Option<usize>, String)> {
        let proof = o.proof.as_ref().ok_or((None, "no proof".to_string()))?;
        let start = match proof.start {
            None if proof.steps.is_empty() => l,
            Some(s) if !proof.steps.is_empty() => self.term(s).map_err(|m| (None, m))?,
            _ => {
                return Err((
                    None,
                    "a start term without steps, or steps without one".into(),
                ));
            }
        };
        if start != l {
            return Err((
                None,
                "the proof does not start at the kernel's left side".into(),
            ));
        }
        let mut cur = start;
        for (i, s) in proof.steps.iter().enumerate() {
            let next = self.term(s.term).map_err(|m| (Some(i), m))?;
            self.step(s, cur, next, (ctx.0, ctx.1, &mut *ctx.2))
                .map_err(|m| (Some(i), m))?;
            cur = next;
        }
        if cur != r {
            return Err((
                None,
                "the proof does not end at the kernel's right side".into(),
            ));
        }
        Ok(())
    }

    /// One step: the two terms agree outside `position`, and there the rule relates them.
    fn step(&mut self, s: &StepCert, cur: Id, next: Id, ctx: Ctx) -> Result<(), String> {
        let lemmas = ctx.0;
        let (mut a, mut b) = (cur, next);
        for &p in &s.position {
            let (na, nb) = (self.dag.node(a), self.dag.node(b));
            let same_context =
                na.op == nb.op && na.kids.len() == nb.kids.len() && p < na.kids.len();
            if !same_context
                || na
                    .kids
                    .iter()
                    .zip(&nb.kids)
                    .enumerate()
                    .any(|(i, (x, y))| i != p && x != y)
            {
                return Err(format!(
                    "the terms differ outside position {:?}",
                    s.position
                ));
            }
            (a, b) = (na.kids[p], nb.kids[p]);
        }
        if s.rule == RING {
            // A decision procedure has no direction: `backward` must be `false`.
            return if s.backward {
                Err("a backward ring step".into())
            } else {
                self.ring_equal(a, b, ctx)
            };
        }
        let (lhs, rhs) = match (self.rules.get(&s.rule), lemmas.by_name.get(s.rule.as_str())) {
            (Some((l, r)), _) => (l.clone(), r.clone()),
            (None, Some(lemma)) => (lemma.lhs.clone(), lemma.rhs.clone()),
            (None, None) => {
                return Err(format!(
                    "unknown rule `{}` (or a lemma not verified here)",
                    s.rule
                ));
            }
        };
        let (from, to) = if s.backward { (rhs, lhs) } else { (lhs, rhs) };
        let mut binds = HashMap::new();
        if from.matches(&self.dag, a, &mut binds) && to.matches(&self.dag, b, &mut binds) {
            Ok(())
        } else {
            Err(format!(
                "`{}` does not rewrite the term at {:?} into the next",
                s.rule, s.position
            ))
        }
    }

    /// Both sides, with the lemmas applied, have one polynomial normal form: the atoms (the
    /// adjoint rows of a pairing obligation) opaque throughout; the scale factors read as
    /// atoms first, as the prover does, then expanded.
    fn ring_equal(&mut self, a: Id, b: Id, (lemmas, atoms, memo): Ctx) -> Result<(), String> {
        let (a, b) = (
            self.normalise(a, lemmas, atoms, memo),
            self.normalise(b, lemmas, atoms, memo),
        );
        let factors = |id| memo.factors.contains(&id);
        let only = |id| atoms.contains(&id);
        let none = |_| false;
        for factors in [&factors as Atoms, &none] {
            let mut m = HashMap::new();
            let pa = normal_form(&self.dag, a, &only, factors, &mut m);
            if pa.is_some() && pa == normal_form(&self.dag, b, &only, factors, &mut m) {
                return Ok(());
            }
        }
        Err("the two sides have different ring normal forms (or the normaliser gave up)".into())
    }

    /// Rewrites `root` bottom-up with the lemmas (in their normalising direction), leaving
    /// `opaque` terms as they are.
    fn normalise(
        &mut self,
        root: Id,
        lemmas: &LemmaIndex,
        opaque: &HashSet<Id>,
        memo: &mut Memo,
    ) -> Id {
        let mut stack = vec![(root, false)];
        let done = |memo: &Memo, k: &Id| opaque.contains(k) || memo.map.contains_key(k);
        while let Some((id, ready)) = stack.pop() {
            if done(memo, &id) {
                continue;
            }
            let node = self.dag.node(id).clone();
            if !ready {
                stack.push((id, true));
                stack.extend(
                    node.kids
                        .iter()
                        .filter(|k| !done(memo, k))
                        .map(|&k| (k, false)),
                );
                continue;
            }
            let kids = node
                .kids
                .iter()
                .map(|k| *memo.map.get(k).unwrap_or(k))
                .collect();
            let mut new = self.dag.add(&node.op, kids);
            for _ in 0..16 {
                let op = self.dag.node(new).op.clone();
                let hit = lemmas
                    .by_head
                    .get(op.as_str())
                    .into_iter()
                    .flatten()
                    .find_map(|(from, to)| {
                        let mut binds = HashMap::new();
                        from.matches(&self.dag, new, &mut binds)
                            .then_some((to, binds))
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

/// What a claim's steps are checked in: its lemmas, an obligation's atoms, the lemma memo.
type Ctx<'c, 'l> = (&'c LemmaIndex<'l>, &'c HashSet<Id>, &'c mut Memo);

/// Each term rewritten by the lemmas, and the images of the scale factors.
#[derive(Default)]
pub struct Memo {
    map: HashMap<Id, Id>,
    factors: HashSet<Id>,
}

/// The lemmas usable in one claim: by name (for rewrite steps) and, oriented, by the head
/// operator of the side they rewrite from (for the normaliser).
pub struct LemmaIndex<'a> {
    by_name: HashMap<&'a str, &'a Lemma>,
    by_head: HashMap<String, Vec<(Pat, Pat)>>,
}

fn lemma_index(lemmas: &[Rc<Lemma>]) -> LemmaIndex<'_> {
    let mut ix = LemmaIndex {
        by_name: HashMap::new(),
        by_head: HashMap::new(),
    };
    for l in lemmas {
        ix.by_name.insert(&l.name, l);
        let (from, to) = if l.forward {
            (&l.lhs, &l.rhs)
        } else {
            (&l.rhs, &l.lhs)
        };
        if let Pat::App(op, _) = from {
            ix.by_head
                .entry(op.clone())
                .or_default()
                .push((from.clone(), to.clone()));
        }
    }
    ix
}
