//! Generator (d): primitive applications that stay inside their domains, and input values.
//!
//! `log`, `sqrt` and `pow` get arguments that are positive by construction, divisions get
//! denominators bounded away from zero, and `tan` an argument inside `(-1, 1)`, far from its
//! poles. An atom argument `a` is guarded as `a * a + 1.0` (at least 1), a compound one as
//! `exp(tanh(e))` (in `[1/e, e]`), so that guards never duplicate a compound expression. The
//! other primitives, and any row added to the table later, are applied as they are.
//!
//! Guards keep evaluation finite almost always, not always (`exp` of a large value is `inf`).
//! The property suites *discard* a case whose inputs or outputs are not finite, with
//! `prop_assume!`, and the harness ([`crate::harness`]) counts and reports the discards, so a
//! generator that drifts out of the domains shows up as a rising discard rate, not as silence.

use semantics::numeric::Rng;
use semantics::{Type, Value};

/// How a primitive application is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `a + b`, `-a` for the operator primitives; call syntax for the others.
    Operator,
    /// `add(a, b)`, `neg(a)`: call syntax even for operators (unless a user function of that
    /// name is defined above, which would take the call).
    Call,
}

fn is_atom(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '\''))
}

/// `(s)` unless `s` is an atom.
fn paren(s: &str) -> String {
    if is_atom(s) && !s.starts_with('-') {
        s.to_string()
    } else {
        format!("({s})")
    }
}

/// A value `>= 1/e` computed from `s`, never duplicating a compound `s`.
pub fn positive(s: &str) -> String {
    if is_atom(s) && !s.starts_with('-') {
        format!("{s} * {s} + 1.0")
    } else {
        format!("exp(tanh({s}))")
    }
}

/// The primitives the guards themselves apply: no user function may take their names.
pub const GUARD_PRIMITIVES: [&str; 2] = ["exp", "tanh"];

/// The application of primitive `name` to rendered arguments, guarded into its domain.
/// `shadowed`: a user function named `name` is defined above, so call syntax would call it;
/// `None` when the primitive has no other syntax (only the operators do).
pub fn apply(name: &str, args: &[String], style: Style, shadowed: bool) -> Option<String> {
    if shadowed
        && !matches!(
            (name, args.len()),
            ("add" | "sub" | "mul" | "div", 2) | ("neg", 1)
        )
    {
        return None;
    }
    let a = |i: usize| args[i].as_str();
    let call = |name: &str, args: &[String]| format!("{name}({})", args.join(", "));
    let op = |o: &str| format!("{} {o} {}", paren(a(0)), paren(a(1)));
    let use_call = style == Style::Call && !shadowed;
    Some(match (name, args.len()) {
        ("add", 2) if !use_call => op("+"),
        ("sub", 2) if !use_call => op("-"),
        ("mul", 2) if !use_call => op("*"),
        ("neg", 1) if !use_call => format!("-{}", paren(a(0))),
        ("div", 2) => {
            let d = positive(a(1));
            if use_call {
                format!("div({}, {d})", a(0))
            } else {
                format!("{} / ({d})", paren(a(0)))
            }
        }
        ("log" | "sqrt", 1) => format!("{name}({})", positive(a(0))),
        ("pow", 2) => format!("pow({}, {})", positive(a(0)), a(1)),
        ("tan", 1) => format!("tan(tanh({}))", a(0)),
        _ => call(name, args),
    })
}

/// Argument values for parameters of the given types, every real uniform in `[-2, 2)`.
pub fn inputs(types: &[Type], rng: &mut Rng) -> Vec<Value> {
    types.iter().map(|t| rng.value(t, -2.0, 2.0)).collect()
}

/// Argument values that now and then hold IEEE specials (`nan`, `inf`, `-inf`, `-0.0`,
/// `1e300`), which are ordinary values (SPEC §3): evaluation must not go wrong on them either.
pub fn wild_inputs(types: &[Type], rng: &mut Rng) -> Vec<Value> {
    fn wild(t: &Type, rng: &mut Rng) -> Value {
        match t.components() {
            None => Value::Real(if rng.next_u64().is_multiple_of(10) {
                SPECIALS[rng.next_u64() as usize % SPECIALS.len()]
            } else {
                rng.uniform(-3.0, 3.0)
            }),
            Some(ts) => Value::tuple(ts.iter().map(|u| wild(u, rng)).collect()),
        }
    }
    types.iter().map(|t| wild(t, rng)).collect()
}

const SPECIALS: [f64; 5] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 1e300];

/// Every real of the values is finite.
pub fn finite(vs: &[Value]) -> bool {
    semantics::numeric::leaves(vs).iter().all(|x| x.is_finite())
}
