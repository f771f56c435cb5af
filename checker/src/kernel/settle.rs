//! Settling one claim: the certificate's record must name the function, claim and
//! obligations the kernel recomputed, in order. The kernel **decides** each obligation called
//! `proved` itself (proof by reflection, as Coq's `ring`): both sides are put in the ring
//! normal form of `ring.rs` and the forms must be equal (a call's symbols were named, as the
//! verified callee claims say, when they were made: `walk::Names`). A `refuted` one is
//! recorded for `crate::refute`.

use super::ring::normal_form;
use super::term::Id;
use super::walk::Pairs;
use super::{ClaimOutcome, KernelError, Refutation, Verifier, fail};
use std::collections::{HashMap, HashSet};

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

impl Verifier {
    /// Settles the next claim of the certificate against the kernel's obligations `pairs`:
    /// which of them it proved.
    pub fn settle(
        &mut self,
        (func, claim): (&str, &str),
        pairs: Result<Pairs, Why>,
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
        let mut settled = Vec::new();
        for ((what, l, r, atoms), o) in pairs.iter().zip(&c.obligations) {
            let why = match (o.outcome.as_str(), &o.point) {
                _ if o.what != *what => format!("the kernel's obligation here is `{what}`"),
                ("proved", None) if self.decide(*l, *r, atoms) => String::new(),
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
                        stage: self.stage.clone(),
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

    /// Both sides have one polynomial normal form: `atoms` (a pairing's adjoint rows) opaque
    /// throughout; the scale factors read as atoms first (but one that is a single monomial
    /// expanded), as the prover does, then everything expanded.
    fn decide(&self, a: Id, b: Id, atoms: &[Id]) -> bool {
        let atoms: HashSet<Id> = atoms.iter().copied().collect();
        let only = |id| atoms.contains(&id);
        let factors = |id| self.dag.factors.contains(&id);
        a == b
            || [&factors as &dyn Fn(Id) -> bool, &|_| false]
                .into_iter()
                .any(|factors| {
                    let mut m = HashMap::new();
                    let pa = normal_form(&self.dag, a, &only, factors, &mut m);
                    pa.is_some() && pa == normal_form(&self.dag, b, &only, factors, &mut m)
                })
    }
}
