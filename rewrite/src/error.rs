//! Errors of the transformations (E05xx), rendered to diagnostics in one place.

use semantics::{Diagnostic, Span};
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum RewriteError {
    /// JVP was given a program that already has linear parts.
    NotNonlinear { func: String, span: Span },
    /// A generated name (`f.jvp`, `f.nonlin`, ...) is already a user function.
    NameClash { name: String, span: Span },
    /// A primitive's JVP rule does not parse, type-check or compute the primal exactly.
    BadRule { prim: String, reason: String },
    /// The input is ill-typed (the checker's diagnostics say why).
    IllTyped(Vec<Diagnostic>),
    /// Transpose was given a function that is not in Linear B; `reason` is the Linear B
    /// checker's message, which names the function and says why.
    NotLinearB {
        func: String,
        reason: String,
        span: Span,
    },
    /// An unknown checkpoint policy.
    BadPolicy { policy: String },
    /// Static work could not be computed or does not fit in `u128` (E0420, E0421).
    Work(semantics::WorkError),
    /// A state no well-typed input reaches; reported rather than panicking.
    Internal { what: String, span: Span },
}

impl RewriteError {
    pub fn code(&self) -> &'static str {
        match self {
            RewriteError::NotNonlinear { .. } => "E0501",
            RewriteError::NameClash { .. } => "E0502",
            RewriteError::BadRule { .. } => "E0503",
            RewriteError::IllTyped(_) => "E0504",
            RewriteError::NotLinearB { .. } => "E0505",
            RewriteError::BadPolicy { .. } => "E0506",
            RewriteError::Work(e) => e.code,
            RewriteError::Internal { .. } => "E0599",
        }
    }

    pub fn to_diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            RewriteError::IllTyped(ds) => return ds.clone(),
            RewriteError::Work(e) => return vec![e.to_diagnostic()],
            _ => {}
        }
        let d = Diagnostic::error(self.code(), self.to_string());
        vec![match self {
            RewriteError::NotNonlinear { span, .. }
            | RewriteError::NameClash { span, .. }
            | RewriteError::NotLinearB { span, .. }
            | RewriteError::Internal { span, .. } => d.with_primary(*span, "here"),
            _ => d,
        }]
    }
}

impl fmt::Display for RewriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RewriteError::NotNonlinear { func, .. } => {
                write!(
                    f,
                    "JVP takes a nonlinear program, but `{func}` has linear parameters, results or operations"
                )
            }
            RewriteError::NameClash { name, .. } => {
                write!(
                    f,
                    "the generated name `{name}` is already the name of a function"
                )
            }
            RewriteError::BadRule { prim, reason } => {
                write!(f, "the JVP rule of `{prim}` is rejected: {reason}")
            }
            RewriteError::IllTyped(ds) => {
                write!(f, "the program is ill-typed ({} errors)", ds.len())
            }
            RewriteError::NotLinearB { reason, .. } => {
                write!(f, "transpose takes a Linear B program: {reason}")
            }
            RewriteError::BadPolicy { policy } => write!(
                f,
                "unknown checkpoint policy `{policy}` (use save-all, recompute-all, marks or budget=K)"
            ),
            RewriteError::Work(e) => write!(f, "static work: {}", e.message),
            RewriteError::Internal { what, .. } => write!(f, "internal error: {what}"),
        }
    }
}

impl From<semantics::WorkError> for RewriteError {
    fn from(e: semantics::WorkError) -> RewriteError {
        RewriteError::Work(e)
    }
}

pub fn internal(what: impl Into<String>) -> RewriteError {
    RewriteError::Internal {
        what: what.into(),
        span: Span::GENERATED,
    }
}
