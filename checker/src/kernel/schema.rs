//! The certificate as serde data (`docs/certificates.md`, field by field). Unknown fields are
//! rejected everywhere (meaning could hide in them); the free leaves are `comment`,
//! `producer`, `policy`, `reason` and `time_ms`, which the kernel never reads.

use serde::{Deserialize, Serialize};

/// The one schema version this kernel knows.
pub const SCHEMA: &str = "lina-certificate/7";

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    pub schema: String,
    /// `jvp`, `unzip`, `transpose` or `vjp`.
    pub transformation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The transformation's input and output, printed in core form.
    pub input: String,
    pub output: String,
    /// A vjp's intermediate programs, printed: the jvp of `input`, then its unzip.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
    /// The typing derivation of `output`, flat: per function, the type of every binder (slot
    /// order, parameters first), printed as the program spells it (`R`, `<R, f.res>`).
    pub types: Vec<Vec<String>>,
    /// One entry per input function.
    pub work: Vec<Work>,
    /// In checking order (callees first).
    pub claims: Vec<ClaimCert>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
}

/// The static work of `function` in the input and of `outputs` (summed) in the output.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Work {
    pub function: String,
    pub work_in: u128,
    pub outputs: Vec<String>,
    pub work_out: u128,
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

/// `what` (the kernel's name of the obligation), its outcome and, when refuted, the input
/// symbols' values at which the two sides differ.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObligationCert {
    pub what: String,
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<Vec<(String, f64)>>,
}
