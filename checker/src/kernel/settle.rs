//! Settling one claim: the certificate's record must name the function, claim and
//! obligations the kernel recomputed, in order. The kernel **decides** each obligation called
//! `proved` itself (proof by reflection, as Coq's `ring`): both sides rewritten bottom-up by
//! the lemmas of the verified callee claims, then put in the ring normal form of `ring.rs`;
//! the forms must be equal. A `refuted` one is recorded for `crate::refute`.

use super::ring::normal_form;
use super::term::{Id, Lemma, Node};
use super::walk::Pairs;
use super::{ClaimOutcome, KernelError, Refutation, Verifier, fail};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

const OUTCOMES: [&str; 3] = ["refuted", "unknown", "proved"];

/// Why a claim has no obligations: its functions are over the leaf budget (never lowered, so
/// E0808 where it is called proved), or another reason.
#[derive(Clone)]
pub enum Why {
    OverBudget(String),
    No(String),
}

impl Why {
    pub fn text(&self) -> &str {
        match self {
            Why::OverBudget(s) | Why::No(s) => s,
        }
    }
}

/// Each term rewritten by the lemmas, and the images of the scale factors.
#[derive(Default)]
struct Memo {
    map: HashMap<Id, Id>,
    factors: HashSet<Id>,
}

/// The lemmas of one claim by the operator they rewrite.
struct Index<'a>(HashMap<&'a str, Vec<&'a Lemma>>);

impl Verifier {
    /// Settles the next claim of the certificate against the kernel's obligations `pairs`:
    /// which of them it proved.
    pub fn settle(
        &mut self,
        (func, claim): (&str, &str),
        pairs: Result<Pairs, Why>,
        lemmas: &[Rc<Lemma>],
    ) -> Result<Vec<bool>, KernelError> {
        let here = format!("{func}: {claim}");
        let no = |code, at: Option<&String>, why: String| Err(fail(code, why).at(&here, at));
        let Some(c) = self.claims.next() else {
            let why = "the certificate has no record of this claim";
            return no("E0803", None, why.into());
        };
        let (f, k, outcome) = (&c.function, &c.claim, c.outcome.as_str());
        if (f.as_str(), k.as_str()) != (func, claim) {
            let why = format!("the certificate's next claim is `{f}: {k}`");
            return no("E0803", None, why);
        }
        let outcomes: Vec<&str> = c.obligations.iter().map(|o| o.outcome.as_str()).collect();
        // A claim without obligations (one the producer could not state) may be `unknown`.
        let none = ["proved", "unknown"][usize::from(outcomes.is_empty() && outcome == "unknown")];
        let worst = OUTCOMES.into_iter().find(|w| outcomes.contains(w));
        if outcome != worst.unwrap_or(none) || outcomes.iter().any(|o| !OUTCOMES.contains(o)) {
            let why = format!("outcome `{outcome}` is not the worst of its obligations'");
            return no("E0803", None, why);
        }
        let own = pairs.as_ref().err().map(|w| w.text().to_string());
        let why = own.or(c.reason.clone().filter(|_| outcome != "proved"));
        self.report
            .push(ClaimOutcome::new(func, claim, outcome, why));
        if let Err(Why::OverBudget(_)) = pairs {
            self.over.insert(here.clone());
        }
        let pairs = match pairs {
            Err(_) if c.outcome != "proved" && c.obligations.is_empty() => Vec::new(),
            Err(Why::OverBudget(w)) => {
                return no("E0808", None, format!("not lowered, so not proved: {w}"));
            }
            Err(Why::No(why)) => return no("E0803", None, format!("no obligations here ({why})")),
            Ok(p) if p.len() != c.obligations.len() => {
                let (n, m) = (c.obligations.len(), p.len());
                let why = format!("{n} obligations, the kernel has {m}");
                return no("E0803", None, why);
            }
            Ok(p) => p,
        };
        let mut ix = Index(HashMap::new());
        for l in lemmas {
            let backward = l.res.as_ref().is_some_and(Vec::is_empty);
            let op = if backward { &l.to } else { &l.from };
            ix.0.entry(op).or_default().push(l);
        }
        // The lemmas rewrite the same terms in every obligation of a claim: one memo for all.
        let (mut memo, mut settled) = (Memo::default(), Vec::new());
        for ((what, l, r, atoms), o) in pairs.iter().zip(&c.obligations) {
            let why = match (o.outcome.as_str(), &o.point) {
                _ if o.what != *what => format!("the kernel's obligation here is `{what}`"),
                ("proved", None) if self.decide(*l, *r, &ix, atoms, &mut memo) => String::new(),
                ("proved", None) => {
                    let why = "the two sides have other ring normal forms".into();
                    return no("E0804", Some(what), why);
                }
                ("refuted", Some(point)) => {
                    self.refutations.push(Refutation {
                        claim: here.clone(),
                        what: what.clone(),
                        sides: (*l, *r),
                        point: point.clone(),
                        known: self.lowered.len(),
                    });
                    String::new()
                }
                ("refuted", _) => "the two sides do not differ at the refutation's point".into(),
                ("unknown", None) => String::new(),
                _ => "a counterexample point on an obligation not refuted".into(),
            };
            if !why.is_empty() {
                return no("E0803", Some(what), why);
            }
            self.decided += usize::from(o.outcome == "proved");
            settled.push(o.outcome == "proved");
        }
        if outcome == "proved" {
            self.proved.insert(here);
        }
        Ok(settled)
    }

    /// Both sides, with the lemmas applied, have one polynomial normal form: `atoms` (a
    /// pairing's adjoint rows, which the lemmas rewrite too: an atom's term may also be a
    /// coefficient elsewhere in the obligation) opaque throughout; the scale factors read as
    /// atoms first (but one that is a single monomial expanded), as the prover does, then
    /// everything expanded.
    fn decide(&mut self, a: Id, b: Id, ix: &Index, atoms: &[Id], memo: &mut Memo) -> bool {
        let (a, b) = (self.normalise(a, ix, memo), self.normalise(b, ix, memo));
        let atoms: HashSet<Id> = atoms.iter().map(|&x| self.normalise(x, ix, memo)).collect();
        let only = |id| atoms.contains(&id);
        let factors = |id| memo.factors.contains(&id);
        a == b
            || [&factors as &dyn Fn(Id) -> bool, &|_| false]
                .into_iter()
                .any(|factors| {
                    let mut m = HashMap::new();
                    let pa = normal_form(&self.dag, a, &only, factors, &mut m);
                    pa.is_some() && pa == normal_form(&self.dag, b, &only, factors, &mut m)
                })
    }

    /// Rewrites `root` bottom-up with the lemmas (an explicit post-order stack, memoised).
    fn normalise(&mut self, root: Id, ix: &Index, memo: &mut Memo) -> Id {
        let mut stack = vec![(root, false)];
        while let Some((id, ready)) = stack.pop() {
            if memo.map.contains_key(&id) {
                continue;
            }
            let Node { op, kids } = self.dag.node(id).clone();
            if !ready {
                stack.push((id, true));
                let todo = kids.iter().filter(|k| !memo.map.contains_key(k));
                stack.extend(todo.map(|&k| (k, false)));
                continue;
            }
            let kids = kids.iter().map(|k| *memo.map.get(k).unwrap_or(k)).collect();
            let mut new = self.dag.add(&op, kids);
            for _ in 0..16 {
                let op = self.dag.node(new).op.clone();
                let ls = ix.0.get(op.as_str()).into_iter().flatten();
                match ls.filter_map(|l| l.apply(&mut self.dag, new)).next() {
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
