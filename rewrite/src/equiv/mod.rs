//! # Equivalence proofs with e-graphs (egg)
//!
//! The numerical suites sample points; this module **proves**, over the reals, that JVP,
//! unzip and transpose preserve meaning, per function and per claim (see [`claims`]). A
//! function is lowered to hash-consed terms ([`lower`]) whose linear results are coefficient
//! rows over the linear inputs (the linear forms); each claim is a set of small entrywise
//! equalities between nonlinear terms, proved by equality saturation under one rule table
//! ([`rules`]), refuted by a numeric counterexample, or left `unknown` at explicit limits
//! ([`prove`]). `docs/equiv.md` describes the design.
//!
//! One concept per file: [`language`] (the term language, generated from the primitive
//! table), [`dag`] (hash-consed terms and their evaluation), [`lower`] (lowering and linear
//! forms), [`derivative`] (reference Jacobians from the derivative column), [`rules`],
//! [`prove`] (one obligation), [`claims`] (the five claims), [`pipeline`] (the claims on a
//! program through the transformations) and [`validate`] (programs that people wrote).

pub mod adjoint;
pub mod claims;
pub mod dag;
pub mod derivative;
pub mod extract;
pub mod language;
pub mod lower;
pub mod pipeline;
pub mod prove;
pub mod rebuild;
pub mod ring;
pub mod rule_check;
pub mod rule_text;
pub mod rules;
pub mod simplify;
pub mod validate;

pub use claims::{Claim, ClaimReport, Session};
pub use pipeline::{Which, prove_program};
pub use prove::{Counterexample, Limits, Outcome, Proof, Step, Verdict};
pub use rules::{RULES, RuleText, parse_rules, rules};
