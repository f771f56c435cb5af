//! Generator (b): **Linear B** programs whose last functions are *linear* (nonlinear
//! parameters allowed, only linear results), well-typed by construction.
//!
//! A program is a few nonlinear functions (from [`crate::nonlinear`]) followed by linear ones.
//! A linear body mixes nonlinear steps (computing scale factors, calling nonlinear functions)
//! with the whole linear core: `dup`, `drop` (of a variable or of a scaled one), `zero<T>`,
//! linear `+` and `-`, negation, scaling by a nonlinear expression on either side, linear
//! tuples and their destructuring, and calls of the linear functions above. The renderer keeps
//! a pool of live linear variables: using one takes it out of the pool, so each is used
//! exactly once; whatever is still live at the end is added into a result of its type or
//! dropped.

use crate::nonlinear::{self, NlFn, Scalar, Step, bind_results, call_args, render_scalar};
use crate::render::{FnWriter, Pick, Picks, Sig, params, results, type_strategy};
use proptest::prelude::*;
use semantics::Type;
use std::fmt;

/// How a scale is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleStyle {
    /// `e * y'`.
    Left,
    /// `y' * e`.
    Right,
    /// `-y'` (scaling by -1).
    Negate,
}

/// One step of a linear body.
#[derive(Clone, Debug)]
pub enum LStep {
    /// A nonlinear step (scale factors, calls of nonlinear functions).
    Nl(Step),
    /// `let (; a', b') = dup(y') in`.
    Dup(Pick),
    /// `let z' = zero<T> in`.
    Zero(Type),
    /// `let s' = y1' + y2' in` (with `zero<T>` for the second when no other live variable
    /// has the type of the first).
    Add(Pick, Pick),
    /// `let s' = y1' - y2' in` (sugar for scaling by -1).
    Sub(Pick, Pick),
    /// `let s' = e * y' in`, `y' * e`, or `-y'`.
    Scale(Scalar, Pick, ScaleStyle),
    /// `let t' = <y1', ...> in` (one to three items).
    Tuple(Vec<Pick>),
    /// `let <a', b'> = t' in`.
    Unpack(Pick),
    /// A call of a linear function above: nonlinear arguments built as usual, linear ones
    /// consumed from the pool (or built: tuples of live variables, `zero<T>`).
    Call {
        func: Pick,
        args: Vec<Pick>,
        largs: Vec<Pick>,
    },
    /// `let () = drop(y') in`, or of a scaled `drop(e * y')`.
    Drop(Pick, Option<Scalar>),
    /// A nested block with linear binders: `let s' = let w' = e * y' in w' + z' in`.
    Nested(Scalar, Pick, Pick),
}

#[derive(Clone, Debug)]
pub struct LinFn {
    pub params: Vec<Type>,
    pub lparams: Vec<Type>,
    /// Result types: `Ok(k)` the type of linear parameter `k` (modulo their number), `Err(t)`
    /// a type of its own; and a pick for the value.
    pub lresults: Vec<(Result<Pick, Type>, Pick)>,
    /// Nonlinear results: empty in Linear B programs; a function with linear parts and
    /// nonlinear results is *mixed* (Linear A, not Linear B).
    pub results: Vec<(Type, Pick)>,
    pub steps: Vec<LStep>,
    /// Add leftover linear variables into a result of their type (else drop them).
    pub merge: bool,
    pub drop_together: bool,
    pub clash: bool,
}

/// Nonlinear helper functions, then linear functions; and a seed for input values.
#[derive(Clone)]
pub struct LinProgram {
    pub nl: Vec<NlFn>,
    pub lin: Vec<LinFn>,
    pub seed: u64,
}

impl fmt::Debug for LinProgram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", crate::core_form(&self.render()))
    }
}

pub fn lstep_strategy(extremes: bool) -> impl Strategy<Value = LStep> {
    let scalar = move || nonlinear::scalar_strategy(extremes);
    let style = prop_oneof![
        2 => Just(ScaleStyle::Left),
        1 => Just(ScaleStyle::Right),
        1 => Just(ScaleStyle::Negate),
    ];
    prop_oneof![
        3 => nonlinear::step_strategy(extremes).prop_map(LStep::Nl),
        2 => any::<Pick>().prop_map(LStep::Dup),
        1 => type_strategy().prop_map(LStep::Zero),
        3 => (any::<Pick>(), any::<Pick>()).prop_map(|(a, b)| LStep::Add(a, b)),
        1 => (any::<Pick>(), any::<Pick>()).prop_map(|(a, b)| LStep::Sub(a, b)),
        3 => (scalar(), any::<Pick>(), style)
            .prop_map(|(e, p, s)| LStep::Scale(e, p, s)),
        2 => prop::collection::vec(any::<Pick>(), 1..=3).prop_map(LStep::Tuple),
        2 => any::<Pick>().prop_map(LStep::Unpack),
        3 => (
            any::<Pick>(),
            prop::collection::vec(any::<Pick>(), 0..=3),
            prop::collection::vec(any::<Pick>(), 1..=3)
        )
            .prop_map(|(func, args, largs)| LStep::Call { func, args, largs }),
        1 => (any::<Pick>(), prop::option::of(scalar()))
            .prop_map(|(p, e)| LStep::Drop(p, e)),
        1 => (scalar(), any::<Pick>(), any::<Pick>())
            .prop_map(|(e, p, q)| LStep::Nested(e, p, q)),
    ]
}

/// A linear function; with `mixed`, it may also have nonlinear results.
pub fn lin_fn_strategy(mixed: bool, extremes: bool) -> impl Strategy<Value = LinFn> {
    let results = if mixed {
        prop::collection::vec((type_strategy(), any::<Pick>()), 0..=2).boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (
        prop::collection::vec(type_strategy(), 0..=2),
        prop::collection::vec(type_strategy(), 1..=3),
        prop::collection::vec(
            (
                prop_oneof![
                    3 => any::<Pick>().prop_map(Ok),
                    1 => type_strategy().prop_map(Err),
                ],
                any::<Pick>(),
            ),
            0..=2,
        ),
        results,
        prop::collection::vec(lstep_strategy(extremes), 0..20),
        any::<bool>(),
        any::<bool>(),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(params, lparams, lresults, results, steps, merge, drop_together, clash)| LinFn {
                params,
                lparams,
                lresults,
                results,
                steps,
                merge,
                drop_together,
                clash,
            },
        )
}

/// Zero to two nonlinear functions, then one to four linear ones: a Linear B program.
pub fn program_strategy() -> impl Strategy<Value = LinProgram> {
    programs(false, true)
}

/// As [`program_strategy`], without extreme literals, for numerical comparisons: with a
/// literal like `-1e300` a floating-point "linear" map absorbs some of its inputs entirely
/// (`(d1 - d2) + 1e300·d2` loses `d1`), and so is no longer linear; its exact transpose then
/// disagrees with it by more than any rounding measure (found at 20,000 cases).
pub fn numeric_program_strategy() -> impl Strategy<Value = LinProgram> {
    programs(false, false)
}

/// As [`program_strategy`], but linear functions may also have nonlinear results: a Linear A
/// program whose *mixed* functions are not in Linear B.
pub fn mixed_program_strategy() -> impl Strategy<Value = LinProgram> {
    programs(true, true)
}

/// As [`mixed_program_strategy`], without extreme literals (see
/// [`nonlinear::numeric_program_strategy`]), for numerical comparisons.
pub fn mixed_numeric_program_strategy() -> impl Strategy<Value = LinProgram> {
    programs(true, false)
}

fn programs(mixed: bool, extremes: bool) -> impl Strategy<Value = LinProgram> {
    (
        prop::collection::vec(nonlinear::fn_strategy(extremes), 0..=2),
        prop::collection::vec(lin_fn_strategy(mixed, extremes), 1..=4),
        any::<u64>(),
    )
        .prop_map(|(nl, lin, seed)| LinProgram { nl, lin, seed })
}

impl LinProgram {
    pub fn render(&self) -> String {
        self.render_with(false)
    }

    /// With `relaxed`: `dup(y')` becomes `(; y', y')`, and unused variables, linear or not,
    /// are left undropped (a relaxed program with the same meaning).
    pub fn render_with(&self, relaxed: bool) -> String {
        self.render_mode(relaxed, false)
    }

    /// A relaxed program that also uses linear variables many times (see
    /// [`FnWriter::reuse`](crate::render::FnWriter)); its meaning is its own.
    pub fn render_reusing(&self) -> String {
        self.render_mode(true, true)
    }

    fn render_mode(&self, relaxed: bool, reuse: bool) -> String {
        let mut sigs = Vec::new();
        let mut out = String::new();
        for (i, f) in self.nl.iter().enumerate() {
            let (text, sig) = f.render(i, &sigs, relaxed);
            out.push_str(&text);
            out.push('\n');
            sigs.push(sig);
        }
        for (k, f) in self.lin.iter().enumerate() {
            let (text, sig) = f.render(self.nl.len() + k, &sigs, relaxed, reuse);
            out.push_str(&text);
            out.push('\n');
            sigs.push(sig);
        }
        out
    }
}

impl LinFn {
    /// Marked `@checkpoint` (a quarter of the functions; unzip honours the mark on the mixed
    /// ones, and every pass must carry it).
    pub fn checkpoint(&self) -> bool {
        self.merge && !self.drop_together
    }

    pub fn render(&self, i: usize, above: &[Sig], relaxed: bool, reuse: bool) -> (String, Sig) {
        let name = format!("l{i}");
        let mut w = FnWriter::new(relaxed);
        w.reuse = reuse;
        w.clash = self.clash;
        let ps: Vec<(String, Type)> = self
            .params
            .iter()
            .enumerate()
            .map(|(k, t)| (format!("x{k}"), t.clone()))
            .collect();
        let lps: Vec<(String, Type)> = self
            .lparams
            .iter()
            .enumerate()
            .map(|(k, t)| (format!("d{k}'"), t.clone()))
            .collect();
        for (n, t) in &ps {
            w.bind(n, t, false);
        }
        for (n, t) in &lps {
            w.bind(n, t, true);
        }
        for s in &self.steps {
            render_lstep(&mut w, s, above);
        }
        let types: Vec<Type> = self
            .lresults
            .iter()
            .map(|(t, _)| match t {
                Ok(k) => self
                    .lparams
                    .get(k.of(self.lparams.len()))
                    .cloned()
                    .unwrap_or(Type::Real),
                Err(t) => t.clone(),
            })
            .collect();
        let picks: Vec<Pick> = self.lresults.iter().map(|(_, p)| *p).collect();
        let mut picks = Picks::new(&picks);
        let mut res: Vec<(String, Type)> = types
            .iter()
            .map(|t| (w.construct_lin(t, &mut picks), t.clone()))
            .collect();
        let nl_types: Vec<Type> = self.results.iter().map(|(t, _)| t.clone()).collect();
        let nl_picks: Vec<Pick> = self.results.iter().map(|(_, p)| *p).collect();
        let mut nl_picks = Picks::new(&nl_picks);
        let nl_atoms: Vec<String> = nl_types
            .iter()
            .map(|t| w.construct_nl(t, &mut nl_picks, false))
            .collect();
        w.settle_linear(&mut res, self.merge);
        w.settle_nonlinear(self.drop_together);
        let names: Vec<String> = res.into_iter().map(|(n, _)| n).collect();
        let tail = if names.len() == 1 && nl_atoms.is_empty() && self.merge {
            names[0].clone()
        } else if nl_atoms.is_empty() {
            format!("(; {})", names.join(", "))
        } else {
            format!("({} ; {})", nl_atoms.join(", "), names.join(", "))
        };
        let text = format!(
            "{}def {name}({}) -> ({}) =\n{}",
            nonlinear::mark(self.checkpoint()),
            params(&ps, &lps),
            results(&nl_types, &types),
            w.finish(&tail)
        );
        let sig = Sig {
            name,
            params: self.params.clone(),
            lparams: self.lparams.clone(),
            results: nl_types,
            lresults: types,
        };
        (text, sig)
    }
}

fn render_lstep(w: &mut FnWriter, s: &LStep, above: &[Sig]) {
    match s {
        LStep::Nl(step) => nonlinear::render_step(w, step, above),
        LStep::Dup(p) => {
            let Some((y, t)) = w.take_lin(None, *p) else {
                return;
            };
            let (a, b) = (w.fresh("a", true), w.fresh("b", true));
            let rhs = if w.relaxed {
                format!("(; {y}, {y})")
            } else {
                format!("dup({y})")
            };
            w.line(&format!("(; {a}, {b})"), &rhs);
            w.bind(&a, &t, true);
            w.bind(&b, &t, true);
        }
        LStep::Zero(t) => {
            let z = w.fresh("z", true);
            w.line(&z, &format!("zero<{t}>"));
            w.bind(&z, t, true);
        }
        LStep::Add(p, q) | LStep::Sub(p, q) => {
            let Some((y, t)) = w.take_lin(None, *p) else {
                return;
            };
            let other = w
                .take_lin(Some(&t), *q)
                .map_or_else(|| format!("zero<{t}>"), |(n, _)| n);
            let op = if matches!(s, LStep::Add(..)) {
                "+"
            } else {
                "-"
            };
            let v = w.fresh("s", true);
            w.line(&v, &format!("{y} {op} {other}"));
            w.bind(&v, &t, true);
        }
        LStep::Scale(e, p, style) => {
            let Some((y, t)) = w.take_lin(None, *p) else {
                return;
            };
            let rhs = match style {
                ScaleStyle::Negate => format!("-{y}"),
                ScaleStyle::Left => format!("({}) * {y}", render_scalar(w, e, above)),
                ScaleStyle::Right => format!("{y} * ({})", render_scalar(w, e, above)),
            };
            let v = w.fresh("s", true);
            w.line(&v, &rhs);
            w.bind(&v, &t, true);
        }
        LStep::Tuple(ps) => {
            let mut items = Vec::new();
            for p in ps {
                if let Some(x) = w.take_lin(None, *p) {
                    items.push(x);
                }
            }
            if items.is_empty() {
                return;
            }
            let v = w.fresh("t", true);
            let names: Vec<&str> = items.iter().map(|(n, _)| n.as_str()).collect();
            w.line(&v, &format!("<{}>", names.join(", ")));
            let t = Type::Tuple(items.iter().map(|(_, t)| t.clone()).collect());
            w.bind(&v, &t, true);
        }
        LStep::Unpack(p) => {
            let Some((y, t)) = w.take_lin_tuple(*p) else {
                return;
            };
            let Type::Tuple(items) = t else { return };
            let names: Vec<String> = items.iter().map(|_| w.fresh("e", true)).collect();
            w.line(&format!("<{}>", names.join(", ")), &y);
            for (n, t) in names.iter().zip(&items) {
                w.bind(n, t, true);
            }
        }
        LStep::Call { func, args, largs } => {
            let callable: Vec<&Sig> = above.iter().filter(|s| s.is_linear()).collect();
            if callable.is_empty() {
                return;
            }
            let sig = callable[func.of(callable.len())].clone();
            let nl = call_args(w, &sig, args, false);
            let mut picks = Picks::new(largs);
            let lin: Vec<String> = sig
                .lparams
                .iter()
                .map(|t| w.construct_lin(t, &mut picks))
                .collect();
            let call = format!("{}({} ; {})", sig.name, nl.join(", "), lin.join(", "));
            bind_results(w, &call, &sig, false);
        }
        LStep::Drop(p, e) => {
            let Some((y, _)) = w.take_lin(None, *p) else {
                return;
            };
            let body = match e {
                Some(e) => format!("({}) * {y}", render_scalar(w, e, above)),
                None => y,
            };
            w.line("()", &format!("drop({body})"));
        }
        LStep::Nested(e, p, q) => {
            let Some((y, t)) = w.take_lin(None, *p) else {
                return;
            };
            let factor = render_scalar(w, e, above);
            let other = w
                .take_lin(Some(&t), *q)
                .map_or_else(|| format!("zero<{t}>"), |(n, _)| n);
            let inner = w.fresh("w", true);
            let v = w.fresh("s", true);
            w.line(
                &v,
                &format!("let {inner} = ({factor}) * {y} in {inner} + {other}"),
            );
            w.bind(&v, &t, true);
        }
    }
}
