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
    /// Transpose was given a function that is not in Linear B: the Linear B checker's fault,
    /// as data (which function, and why).
    NotLinearB(checker::NotLinearB),
    /// An unknown checkpoint policy.
    BadPolicy { policy: String },
    /// A λLL term outside the fragment a λLL pass handles (E0770): `ll_transpose` given a
    /// linear map whose body is not linear code, say.
    NotInLlFragment { what: String, span: Span },
    /// Static work could not be computed or does not fit in `u128` (E0420, E0421).
    Work(semantics::WorkError),
    /// A Hessian was asked of a function whose result is not a single real.
    NotScalar { func: String, span: Span },
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
            RewriteError::NotLinearB(_) => "E0505",
            RewriteError::BadPolicy { .. } => "E0506",
            RewriteError::NotInLlFragment { .. } => "E0770",
            RewriteError::Work(e) => e.code,
            RewriteError::NotScalar { .. } => "E0507",
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
            | RewriteError::NotScalar { span, .. }
            | RewriteError::NotInLlFragment { span, .. }
            | RewriteError::Internal { span, .. } => d.with_primary(*span, "here"),
            RewriteError::NotLinearB(fault) => d.with_primary(fault.name_span, "here"),
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
            RewriteError::NotLinearB(fault) => {
                write!(f, "transpose takes a Linear B program: {}", fault.message())
            }
            RewriteError::BadPolicy { policy } => write!(
                f,
                "unknown checkpoint policy `{policy}` (use save-all, recompute-all, marks or budget=K)"
            ),
            RewriteError::NotInLlFragment { what, .. } => {
                write!(f, "not in the fragment this λLL pass handles: {what}")
            }
            RewriteError::Work(e) => write!(f, "static work: {}", e.message),
            RewriteError::NotScalar { func, .. } => write!(
                f,
                "`{func}` does not have a single real result, so it has no Hessian"
            ),
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
