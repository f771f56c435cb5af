//! The checker's faults as data, and **the one place** that renders them as diagnostics.
//!
//! Every code is documented, with an example, in `docs/errors.md` (E02xx typing, E03xx
//! Linear B); every code has a program in `corpus/ill/` and a snapshot of its rendering.

use crate::linear_b::Class;
use crate::rules::Rule;
use crate::types::TooLarge;
use semantics::{Diagnostic, Span};
use serde::{Deserialize, Serialize};

/// Every code the checker reports and what it means; `docs/errors.md` has an example of each.
pub const CODES: &[(&str, &str)] = &[
    ("E0201", "a linear variable used more than once"),
    ("E0202", "a linear variable never used"),
    ("E0203", "a nonlinear variable never used (strict mode)"),
    ("E0204", "a linear variable in a nonlinear position"),
    ("E0205", "a nonlinear value or literal in a linear position"),
    ("E0206", "linear times linear"),
    ("E0207", "a nonlinear result taken from a linear value"),
    ("E0208", "a type mismatch"),
    ("E0209", "an arity mismatch"),
    ("E0210", "a recursive call"),
    ("E0211", "a call of a function defined below the caller"),
    ("E0212", "a binder bound twice in one function (shadowing)"),
    ("E0213", "a function defined twice"),
    (
        "E0214",
        "a binder or parameter on the wrong side of `;` for its spelling",
    ),
    ("E0215", "linear add of values of different types"),
    ("E0216", "destructuring a value that is not a tuple"),
    (
        "E0217",
        "a malformed tree (a slot, function or primitive that does not exist)",
    ),
    ("E0218", "a type beyond the checker's depth or size limit"),
    (
        "E0301",
        "Linear B: nonlinear results with linear parameters or results",
    ),
    (
        "E0302",
        "Linear B: nonlinear results with a linear variable or construct in the body",
    ),
    (
        "E0303",
        "Linear B: nonlinear results with a call of a function that is not nonlinear",
    ),
];

/// Where a value of the wrong sort stands.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Site {
    /// An argument of a primitive (nonlinear).
    PrimArg(&'static str),
    /// A nonlinear argument of a call.
    CallArg(String),
    /// A linear argument of a call.
    LinCallArg(String),
    /// An item of a nonlinear tuple.
    Tuple,
    /// An item of a linear tuple.
    LTuple,
    /// The nonlinear factor `a` of a scale `a * y'`.
    ScaleFactor,
    /// The linear operand `y'` of a scale `a * y'`.
    Scaled,
    /// An operand of a linear add.
    LAdd,
    /// The argument of `dup`.
    Dup,
    /// The nonlinear side of a return.
    NlResult,
    /// The linear side of a return.
    LinResult,
}

impl Site {
    fn describe(&self) -> String {
        match self {
            Site::PrimArg(p) => format!("an argument of the primitive `{p}`"),
            Site::CallArg(g) => format!("a nonlinear argument of `{g}`"),
            Site::LinCallArg(g) => format!("a linear argument of `{g}`"),
            Site::Tuple => "an item of a nonlinear tuple".into(),
            Site::LTuple => "an item of a linear tuple".into(),
            Site::ScaleFactor => "the factor of a scaling".into(),
            Site::Scaled => "the scaled value of a scaling".into(),
            Site::LAdd => "an operand of a linear `+`".into(),
            Site::Dup => "the argument of `dup`".into(),
            Site::NlResult => "a nonlinear result".into(),
            Site::LinResult => "a linear result".into(),
        }
    }
}

/// What a count is of, in an arity mismatch.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Counted {
    /// The arguments of a call of this function.
    Args(String),
    /// The arguments of a primitive.
    PrimArgs(&'static str),
    /// A `let`'s binders against its right-hand side's values.
    Binders,
    /// A function body's results against the declared ones.
    Results(String),
    /// A destructure's binders against the tuple's components.
    Components(String),
}

/// A typing fault (E02xx).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TypeError {
    LinearUsedTwice {
        name: String,
        second: Span,
        first: Span,
        rule: Rule,
    },
    LinearUnused {
        name: String,
        binder: Span,
        rule: Rule,
    },
    NonlinearUnused {
        name: String,
        binder: Span,
        rule: Rule,
    },
    /// A linear variable where a nonlinear value is needed (E0204; E0207 on the nonlinear side
    /// of a return).
    LinearInNonlinear {
        name: String,
        span: Span,
        site: Site,
        rule: Rule,
    },
    /// A literal or nonlinear variable where a linear value is needed.
    NonlinearInLinear {
        /// "literal `2.0`", "nonlinear variable `x`".
        what: String,
        span: Span,
        site: Site,
        rule: Rule,
    },
    LinearTimesLinear {
        lhs: String,
        rhs: String,
        span: Span,
    },
    /// Values on the wrong side: as many as expected in all, but split differently between
    /// nonlinear and linear (E0207 when linear values land on the nonlinear side, else E0205).
    SidesMismatch {
        of: Counted,
        expected: (usize, usize),
        found: (usize, usize),
        span: Span,
        rule: Rule,
    },
    /// A destructure whose binders are not of the sort of the tuple (E0207 linear to
    /// nonlinear, E0205 nonlinear to linear).
    UnpackSort {
        src: String,
        src_linear: bool,
        span: Span,
        rule: Rule,
    },
    Mismatch {
        what: String,
        expected: String,
        found: String,
        span: Span,
        rule: Rule,
    },
    Arity {
        of: Counted,
        expected: (usize, usize),
        found: (usize, usize),
        span: Span,
        rule: Rule,
    },
    Recursive {
        func: String,
        span: Span,
        def_span: Span,
    },
    LaterDefined {
        caller: String,
        callee: String,
        span: Span,
        def_span: Span,
    },
    Shadowed {
        name: String,
        second: Span,
        first: Span,
    },
    DuplicateFunction {
        name: String,
        second: Span,
        first: Span,
    },
    /// A binder or parameter spelled for one side but written on the other.
    BinderSide {
        name: String,
        span: Span,
        linear: bool,
        rule: Rule,
    },
    LAddTypes {
        lhs: String,
        rhs: String,
        span: Span,
    },
    NotATuple {
        name: String,
        ty: String,
        span: Span,
        rule: Rule,
    },
    /// A slot, function or primitive that does not exist (only hand-built trees have these).
    Malformed { what: String, span: Span },
    TypeTooLarge {
        limit: TooLarge,
        span: Span,
        rule: Rule,
    },
}

fn counts((n, l): (usize, usize)) -> String {
    format!("{n} nonlinear and {l} linear")
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {one}s")
    }
}

impl TypeError {
    pub fn code(&self) -> &'static str {
        match self {
            TypeError::LinearUsedTwice { .. } => "E0201",
            TypeError::LinearUnused { .. } => "E0202",
            TypeError::NonlinearUnused { .. } => "E0203",
            TypeError::LinearInNonlinear { site, .. } => {
                if *site == Site::NlResult {
                    "E0207"
                } else {
                    "E0204"
                }
            }
            TypeError::NonlinearInLinear { .. } => "E0205",
            TypeError::LinearTimesLinear { .. } => "E0206",
            TypeError::SidesMismatch {
                expected, found, ..
            } => {
                if expected.0 > found.0 {
                    "E0207"
                } else {
                    "E0205"
                }
            }
            TypeError::UnpackSort { src_linear, .. } => {
                if *src_linear {
                    "E0207"
                } else {
                    "E0205"
                }
            }
            TypeError::Mismatch { .. } => "E0208",
            TypeError::Arity { .. } => "E0209",
            TypeError::Recursive { .. } => "E0210",
            TypeError::LaterDefined { .. } => "E0211",
            TypeError::Shadowed { .. } => "E0212",
            TypeError::DuplicateFunction { .. } => "E0213",
            TypeError::BinderSide { .. } => "E0214",
            TypeError::LAddTypes { .. } => "E0215",
            TypeError::NotATuple { .. } => "E0216",
            TypeError::Malformed { .. } => "E0217",
            TypeError::TypeTooLarge { .. } => "E0218",
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let code = self.code();
        match self {
            TypeError::LinearUsedTwice {
                name,
                second,
                first,
                rule,
            } => Diagnostic::error(code, format!("linear variable `{name}` is used twice"))
                .with_primary(*second, "used again here")
                .with_secondary(*first, "first used here")
                .with_rule(rule.name())
                .with_note(format!(
                    "a linear value is used exactly once; to use it twice, write `let (; a', b') = dup({name}) in` and use `a'` and `b'`"
                )),
            TypeError::LinearUnused { name, binder, rule } => {
                Diagnostic::error(code, format!("linear variable `{name}` is never used"))
                    .with_primary(*binder, "bound here and never used")
                    .with_rule(rule.name())
                    .with_note(format!(
                        "a linear value is used exactly once; to discard it, write `let () = drop({name}) in`"
                    ))
            }
            TypeError::NonlinearUnused { name, binder, rule } => {
                Diagnostic::error(code, format!("nonlinear variable `{name}` is never used"))
                    .with_primary(*binder, "bound here and never used")
                    .with_rule(rule.name())
                    .with_note(format!(
                        "strict Linear A has no implicit weakening: discard it with `let () = drop({name}) in`, or check with --relaxed"
                    ))
            }
            TypeError::LinearInNonlinear {
                name,
                span,
                site,
                rule,
            } => {
                let d = if *site == Site::NlResult {
                    Diagnostic::error(
                        code,
                        format!("nonlinear result taken from the linear variable `{name}`"),
                    )
                    .with_primary(*span, "linear, on the nonlinear side of a return")
                    .with_note("a nonlinear value never depends on a linear one; return it after `;`: `(...; y')`")
                } else {
                    Diagnostic::error(
                        code,
                        format!(
                            "linear variable `{name}` in a nonlinear position ({})",
                            site.describe()
                        ),
                    )
                    .with_primary(*span, "linear variable in a nonlinear position")
                };
                let d = d.with_rule(rule.name());
                match site {
                    Site::PrimArg(_) => d.with_note(
                        "primitives are nonlinear; the linear operations are `+` of two linear values, `a * y'` with `a` nonlinear, `zero`, `dup` and `drop`",
                    ),
                    Site::CallArg(g) => d.with_note(format!(
                        "linear arguments go after `;`: `{g}(...; {name})`"
                    )),
                    Site::Tuple => {
                        d.with_note("a tuple is linear when all its items are linear variables")
                    }
                    Site::ScaleFactor => d.with_note("a scaling `a * y'` multiplies a linear value by a nonlinear real"),
                    _ => d,
                }
            }
            TypeError::NonlinearInLinear {
                what,
                span,
                site,
                rule,
            } => Diagnostic::error(
                code,
                format!("{what} in a linear position ({})", site.describe()),
            )
            .with_primary(*span, "nonlinear value in a linear position")
            .with_rule(rule.name())
            .with_note(
                "a linear value comes from a linear parameter, a linear result, `zero` or a linear operation; a constant is not linear",
            ),
            TypeError::LinearTimesLinear { lhs, rhs, span } => Diagnostic::error(
                code,
                format!("linear times linear: `{lhs} * {rhs}` is not linear"),
            )
            .with_primary(*span, "both factors are linear")
            .with_rule(Rule::Prim.name())
            .with_note("a product is linear in one factor only: scale a linear value by a nonlinear one (`a * y'`)"),
            TypeError::SidesMismatch {
                of,
                expected,
                found,
                span,
                rule,
            } => {
                let (msg, label) = match of {
                    Counted::Results(f) => (
                        if expected.0 > found.0 {
                            format!(
                                "nonlinear result taken from a linear value: `{f}` declares {} results, its body gives {}",
                                counts(*expected),
                                counts(*found)
                            )
                        } else {
                            format!(
                                "nonlinear value given as a linear result: `{f}` declares {} results, its body gives {}",
                                counts(*expected),
                                counts(*found)
                            )
                        },
                        "the body's results",
                    ),
                    _ => (
                        if expected.0 > found.0 {
                            format!(
                                "nonlinear binder taken from a linear value: {} binders for {} values",
                                counts(*expected),
                                counts(*found)
                            )
                        } else {
                            format!(
                                "linear binder bound to a nonlinear value: {} binders for {} values",
                                counts(*expected),
                                counts(*found)
                            )
                        },
                        "binders on the wrong side of `;`",
                    ),
                };
                Diagnostic::error(code, msg)
                    .with_primary(*span, label)
                    .with_rule(rule.name())
                    .with_note("nonlinear values go before `;`, linear ones after it")
            }
            TypeError::UnpackSort {
                src,
                src_linear,
                span,
                rule,
            } => {
                let d = if *src_linear {
                    Diagnostic::error(
                        code,
                        format!("nonlinear binders taken from the linear tuple `{src}`"),
                    )
                    .with_note("the components of a linear tuple are linear: spell them with primes")
                } else {
                    Diagnostic::error(
                        code,
                        format!("linear binders bound to components of the nonlinear tuple `{src}`"),
                    )
                    .with_note("the components of a nonlinear tuple are nonlinear: spell them without primes")
                };
                d.with_primary(*span, "binders of the wrong sort")
                    .with_rule(rule.name())
            }
            TypeError::Mismatch {
                what,
                expected,
                found,
                span,
                rule,
            } => Diagnostic::error(
                code,
                format!("type mismatch: {what} has type {found}, expected {expected}"),
            )
            .with_primary(*span, format!("expected {expected}, found {found}"))
            .with_rule(rule.name()),
            TypeError::Arity {
                of,
                expected,
                found,
                span,
                rule,
            } => {
                let msg = match of {
                    Counted::Args(g) => format!(
                        "`{g}` takes {} arguments, given {}",
                        counts(*expected),
                        counts(*found)
                    ),
                    Counted::PrimArgs(p) => format!(
                        "the primitive `{p}` takes {}, given {}",
                        plural(expected.0, "argument"),
                        found.0
                    ),
                    Counted::Binders => format!(
                        "{} binders for {} values",
                        counts(*expected),
                        counts(*found)
                    ),
                    Counted::Results(f) => format!(
                        "`{f}` declares {} results, its body gives {}",
                        counts(*expected),
                        counts(*found)
                    ),
                    Counted::Components(src) => format!(
                        "{} for the {}-tuple `{src}`",
                        plural(found.0, "binder"),
                        expected.0
                    ),
                };
                Diagnostic::error(code, format!("arity mismatch: {msg}"))
                    .with_primary(*span, "wrong number of values")
                    .with_rule(rule.name())
            }
            TypeError::Recursive {
                func,
                span,
                def_span,
            } => Diagnostic::error(code, format!("`{func}` calls itself"))
                .with_primary(*span, "recursive call")
                .with_secondary(*def_span, "in this definition")
                .with_rule(Rule::Call.name())
                .with_note("Linear A has no recursion: a function may only call functions defined above it"),
            TypeError::LaterDefined {
                caller,
                callee,
                span,
                def_span,
            } => Diagnostic::error(
                code,
                format!("`{caller}` calls `{callee}`, which is defined below it"),
            )
            .with_primary(*span, "call of a later function")
            .with_secondary(*def_span, format!("`{callee}` is defined here"))
            .with_rule(Rule::Call.name())
            .with_note("a function may only call functions defined above it, so the call graph has no cycles"),
            TypeError::Shadowed {
                name,
                second,
                first,
            } => Diagnostic::error(code, format!("`{name}` is bound twice in one function"))
                .with_primary(*second, "bound again here")
                .with_secondary(*first, "first bound here")
                .with_note("binders inside one function are all distinct (no shadowing): rename one"),
            TypeError::DuplicateFunction {
                name,
                second,
                first,
            } => Diagnostic::error(code, format!("function `{name}` is defined twice"))
                .with_primary(*second, "defined again here")
                .with_secondary(*first, "first defined here"),
            TypeError::BinderSide {
                name,
                span,
                linear,
                rule,
            } => {
                let d = if *linear {
                    Diagnostic::error(
                        code,
                        format!("linear binder `{name}` on the nonlinear side"),
                    )
                    .with_primary(*span, "spelled linear (with a prime), written before `;`")
                    .with_note("linear binders and parameters go after `;`: `(a ; b')`")
                } else {
                    Diagnostic::error(
                        code,
                        format!("nonlinear binder `{name}` on the linear side"),
                    )
                    .with_primary(*span, "spelled nonlinear (no prime), written after `;`")
                    .with_note("linear variables are spelled with a prime: `y'`")
                };
                d.with_rule(rule.name())
            }
            TypeError::LAddTypes { lhs, rhs, span } => Diagnostic::error(
                code,
                format!("linear add of values of different types: {lhs} and {rhs}"),
            )
            .with_primary(*span, format!("{lhs} + {rhs}"))
            .with_rule(Rule::LAdd.name())
            .with_note("linear `+` adds two values of the same type, component by component"),
            TypeError::NotATuple {
                name,
                ty,
                span,
                rule,
            } => Diagnostic::error(
                code,
                format!("`{name}` has type {ty}, which is not a tuple"),
            )
            .with_primary(*span, "destructured here")
            .with_rule(rule.name()),
            TypeError::Malformed { what, span } => {
                Diagnostic::error(code, format!("malformed program: {what}"))
                    .with_primary(*span, "here")
            }
            TypeError::TypeTooLarge { limit, span, rule } => {
                let msg = match limit {
                    TooLarge::Depth => format!(
                        "type nested deeper than {} levels",
                        crate::types::TYPE_DEPTH_LIMIT
                    ),
                    TooLarge::Size => format!(
                        "type with more than {} components",
                        crate::types::TYPE_SIZE_LIMIT
                    ),
                };
                Diagnostic::error(code, msg)
                    .with_primary(*span, "this type is too large")
                    .with_rule(rule.name())
                    .with_note("like rustc's type_length_limit, the limit keeps derivations small")
            }
        }
    }
}

/// A construct of the linear core, as a Linear B fault names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinearConstruct {
    Zero,
    LAdd,
    Scale,
    Dup,
    LTuple,
}

impl LinearConstruct {
    /// How a message spells it.
    pub fn describe(self) -> &'static str {
        match self {
            LinearConstruct::Zero => "`zero`",
            LinearConstruct::LAdd => "a linear `+`",
            LinearConstruct::Scale => "a scaling",
            LinearConstruct::Dup => "`dup`",
            LinearConstruct::LTuple => "a linear tuple",
        }
    }
}

/// Why a function is not in Linear B.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reason {
    /// A linear parameter (E0301).
    LinearParam { name: String, span: Span },
    /// Linear results (E0301).
    LinearResults,
    /// A linear variable bound in the body (E0302).
    LinearVar { name: String, span: Span },
    /// A linear construct (`zero`, `+`, scale, `dup`, linear tuple) (E0302).
    Construct { what: LinearConstruct, span: Span },
    /// A call of a function that is not nonlinear (E0303); `class` is `None` for a callee
    /// not defined above the caller.
    Call {
        callee: String,
        class: Option<Class>,
        span: Span,
    },
}

/// A function that is neither nonlinear nor linear (E03xx): the data
/// [`crate::check_linear_b`] returns, rendered by [`NotLinearB::to_diagnostic`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotLinearB {
    /// The mixed function.
    pub func: String,
    pub name_span: Span,
    /// Its first linear part (signature first, then the body in source order).
    pub reason: Reason,
}

impl NotLinearB {
    pub fn code(&self) -> &'static str {
        match self.reason {
            Reason::LinearParam { .. } | Reason::LinearResults => "E0301",
            Reason::LinearVar { .. } | Reason::Construct { .. } => "E0302",
            Reason::Call { .. } => "E0303",
        }
    }

    /// The one-line message, which names the function and says why.
    pub fn message(&self) -> String {
        let f = &self.func;
        let head = format!("`{f}` is not in Linear B: it has nonlinear results and");
        match &self.reason {
            Reason::LinearParam { name, .. } => format!("{head} a linear parameter `{name}`"),
            Reason::LinearResults => {
                format!("`{f}` is not in Linear B: it has both nonlinear and linear results")
            }
            Reason::LinearVar { name, .. } => {
                format!("{head} a linear variable `{name}` in its body")
            }
            Reason::Construct { what, .. } => {
                format!("{head} uses {} in its body", what.describe())
            }
            Reason::Call { callee, class, .. } => {
                let why = match class {
                    Some(Class::Linear) => "a linear function",
                    Some(Class::Mixed) => "a mixed function",
                    _ => "a function not defined above it",
                };
                format!("{head} calls `{callee}`, which is {why}")
            }
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.code(), self.message());
        let d = match &self.reason {
            Reason::LinearParam { span, .. } => d
                .with_primary(self.name_span, "mixes nonlinear and linear")
                .with_secondary(*span, "linear parameter"),
            Reason::LinearResults => {
                d.with_primary(self.name_span, "returns both nonlinear and linear results")
            }
            Reason::LinearVar { span, .. } => d
                .with_primary(self.name_span, "mixes nonlinear and linear")
                .with_secondary(*span, "linear variable"),
            Reason::Construct { what, span } => d
                .with_primary(self.name_span, "mixes nonlinear and linear")
                .with_secondary(*span, format!("{} is linear", what.describe())),
            Reason::Call { span, .. } => d
                .with_primary(self.name_span, "mixes nonlinear and linear")
                .with_secondary(*span, "call of a function that is not nonlinear"),
        };
        d.with_note(
            "in Linear B every function is nonlinear (no linear parts) or linear (no nonlinear results); `unzip` splits a mixed function into `.nonlin` and `.lin`",
        )
    }
}
