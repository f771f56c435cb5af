//! λLL typing faults (E07xx) as data, rendered to diagnostics in one place.

use semantics::{Diagnostic, Span};

#[derive(Clone, Debug, PartialEq)]
pub enum LlTypeError {
    /// A linear variable used a second time (only `dup` copies).
    Duplicated {
        name: String,
        span: Span,
        first: Span,
        rule: &'static str,
    },
    /// A linear variable never used (only `drop` discards).
    Discarded {
        name: String,
        span: Span,
        rule: &'static str,
    },
    /// A linear variable used inside `!t` (promotion needs an empty Δ).
    UnderBang { name: String, span: Span },
    /// Applying something whose type is not `A ⊸ B`.
    NotAFunction { found: String, span: Span },
    /// A type other than the one the rule needs.
    Mismatch {
        expected: String,
        found: String,
        span: Span,
        rule: &'static str,
    },
    /// A linear variable where the rule needs an empty Δ (a primitive's argument, a scale's
    /// factor).
    LinearInNonlinear {
        name: String,
        span: Span,
        rule: &'static str,
    },
    /// A pattern that does not fit the type it destructures.
    Pattern {
        message: String,
        span: Span,
        rule: &'static str,
    },
    /// `zero`, `+`, scaling or `dup` at a type that is not a tangent type, `drop` at one that
    /// is not droppable.
    NotAdditive {
        op: &'static str,
        found: String,
        span: Span,
        rule: &'static str,
    },
    /// A global used at or before its definition, or a slot or primitive that does not exist.
    Malformed { what: String, span: Span },
    /// A primitive applied to the wrong number of arguments.
    Arity {
        prim: &'static str,
        expected: usize,
        found: usize,
        span: Span,
    },
}

/// Every code, with its one-line meaning (docs/errors.md has an example of each).
pub fn ll_codes() -> [(&'static str, &'static str); 10] {
    [
        ("E0701", "a linear variable used more than once"),
        ("E0702", "a linear variable never used"),
        ("E0703", "a linear variable used under `!`"),
        ("E0704", "applying a non-function"),
        ("E0705", "a type mismatch"),
        ("E0706", "a linear variable in a nonlinear position"),
        ("E0707", "a pattern that does not fit its type"),
        (
            "E0708",
            "an additive or structural operation at a type without it",
        ),
        ("E0709", "a global not defined above, or a malformed tree"),
        ("E0710", "a primitive's arity"),
    ]
}

impl LlTypeError {
    pub fn code(&self) -> &'static str {
        match self {
            LlTypeError::Duplicated { .. } => "E0701",
            LlTypeError::Discarded { .. } => "E0702",
            LlTypeError::UnderBang { .. } => "E0703",
            LlTypeError::NotAFunction { .. } => "E0704",
            LlTypeError::Mismatch { .. } => "E0705",
            LlTypeError::LinearInNonlinear { .. } => "E0706",
            LlTypeError::Pattern { .. } => "E0707",
            LlTypeError::NotAdditive { .. } => "E0708",
            LlTypeError::Malformed { .. } => "E0709",
            LlTypeError::Arity { .. } => "E0710",
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let d = |msg: String| Diagnostic::error(self.code(), msg);
        match self {
            LlTypeError::Duplicated { name, span, first, rule } => d(format!(
                "linear variable `{name}` is used more than once (copy it with `dup`)"
            ))
            .with_primary(*span, "used again here")
            .with_secondary(*first, "first used here")
            .with_rule(rule),
            LlTypeError::Discarded { name, span, rule } => d(format!(
                "linear variable `{name}` is never used (discard it with `let () = drop {name} in`)"
            ))
            .with_primary(*span, "bound here")
            .with_rule(rule),
            LlTypeError::UnderBang { name, span } => d(format!(
                "linear variable `{name}` is used under `!` (promotion needs an empty linear context)"
            ))
            .with_primary(*span, "linear, inside `!`")
            .with_rule("T-Bang"),
            LlTypeError::NotAFunction { found, span } => {
                d(format!("applying a value of type {found}, which is not a function A -o B"))
                    .with_primary(*span, "not a function")
                    .with_rule("T-App")
            }
            LlTypeError::Mismatch { expected, found, span, rule } => {
                d(format!("expected type {expected}, found {found}"))
                    .with_primary(*span, "here")
                    .with_rule(rule)
            }
            LlTypeError::LinearInNonlinear { name, span, rule } => d(format!(
                "linear variable `{name}` where an intuitionistic value (empty Δ) is needed"
            ))
            .with_primary(*span, "linear")
            .with_rule(rule),
            LlTypeError::Pattern { message, span, rule } => {
                d(message.clone()).with_primary(*span, "here").with_rule(rule)
            }
            LlTypeError::NotAdditive { op, found, span, rule } => {
                d(format!("`{op}` at type {found}, which does not have it"))
                    .with_primary(*span, "here")
                    .with_rule(rule)
            }
            LlTypeError::Malformed { what, span } => d(what.clone()).with_primary(*span, "here"),
            LlTypeError::Arity { prim, expected, found, span } => d(format!(
                "`{prim}` takes {expected} arguments, given {found}"
            ))
            .with_primary(*span, "here")
            .with_rule("T-Prim"),
        }
    }
}
