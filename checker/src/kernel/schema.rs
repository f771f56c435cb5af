//! The certificate as serde data: the schema that `docs/certificates.md` documents field by
//! field. Unknown fields are rejected everywhere (meaning could hide in them); the only free
//! leaves are `comment`, `producer`, `time_ms` and `reason`, which the kernel never reads.

use serde::{Deserialize, Serialize};

/// The one schema version this kernel knows.
pub const SCHEMA: &str = "lina-certificate/2";

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    pub schema: String,
    /// `jvp`, `unzip`, `transpose` or `vjp`.
    pub transformation: String,
    /// The checkpoint policy (unzip and vjp), for the reader; the claims do not depend on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The transformation's input and output, printed in core form.
    pub input: String,
    pub output: String,
    /// A vjp's intermediate programs, printed: the jvp of `input`, then its unzip (whose
    /// transpose is `output`); empty for the other transformations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
    /// The term DAG that every term index refers to; a node's children are older nodes.
    pub terms: Vec<TermNode>,
    /// One entry per input function.
    pub work: Vec<Work>,
    /// One entry per output function.
    pub linear_forms: Vec<LinearForm>,
    /// In the order the claims are checked (callees before callers).
    pub claims: Vec<ClaimCert>,
    /// The output's typing derivations, one `T-Def` per function (`docs/derivations.md`).
    pub derivations: Vec<super::evidence::Derivation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TermNode {
    pub op: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<u32>,
}

/// `work_in`, the static work of `function` in the input, and `work_out`, the summed static
/// work of `outputs` in the output; the kernel checks its own bound of SPEC §5 between them.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Work {
    pub function: String,
    pub work_in: u128,
    pub outputs: Vec<String>,
    pub work_out: u128,
    /// Where the constants come from (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A function's linear results, each a row `[[input leaf, coefficient term], ...]`;
/// `None` when the function cannot be lowered.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearForm {
    pub function: String,
    pub rows: Option<Vec<Vec<(u32, u32)>>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimCert {
    pub function: String,
    pub claim: String,
    /// `proved`, `unknown` or `refuted`: the worst of its obligations'.
    pub outcome: String,
    pub obligations: Vec<ObligationCert>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_ms: Option<f64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObligationCert {
    pub what: String,
    pub outcome: String,
    /// For a proved obligation: the steps from the left side (`start`) to the right side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<ProofCert>,
    /// For a refuted one: the input symbols' values at which the two sides differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<Vec<(String, f64)>>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofCert {
    /// The left side; absent exactly when there is no step (both sides are one term).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    pub steps: Vec<StepCert>,
}

/// `rule` (a row of the kernel's table, a lemma, or `ring-normal-form`) applied at
/// `position` (child indices from the root) of the previous term, from its lhs to its rhs or,
/// when `backward`, the other way; `term` is the result.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepCert {
    pub rule: String,
    pub backward: bool,
    pub position: Vec<usize>,
    pub term: u32,
}
