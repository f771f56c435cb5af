//! Generator (a): strict **nonlinear** programs, well-typed by construction.
//!
//! A program is several functions, each calling functions defined above it (with several
//! results, tuple parameters and results of several sizes and nestings, destructuring); bodies
//! use every primitive of the table (through [`crate::domains`], which keeps `log`, `sqrt`,
//! `pow`, `/` and `tan` inside their domains), literals including negative ones and `-0.0`,
//! nested surface expressions that the parser desugars (`sin(x * y) + x`), variables used
//! many times (shared subexpressions), long chains of unary primitives, nested `let` blocks and
//! explicit `drop`s. Strictness holds by construction: every nonlinear variable that the body
//! does not use is dropped explicitly before the tail.
//!
//! Some functions take the name of an operator primitive (`add`, `mul`, ...) or a dotted name
//! (`g2.inner`): the spec allows both, and a call `add(...)` then means the user function.
//!
//! [`NlProgram::render`] is total and deterministic (see [`crate::render`]); the recipe is what
//! proptest shrinks, so every shrink is still a well-typed program.

use crate::domains::{self, Style};
use crate::render::{
    EXTREME_LITERALS, FnWriter, LITERALS, Pick, Picks, Sig, lit, params, results, type_strategy,
};
use proptest::prelude::*;
use semantics::{PrimTable, Type};
use std::fmt;

/// A scalar (type `R`) surface expression.
#[derive(Clone, Debug)]
pub enum Scalar {
    /// A variable of type `R` (most recent first), or a literal when there is none.
    Var(Pick),
    Lit(f64),
    /// A primitive (a row of the table, by pick) applied to arguments (missing ones are
    /// variables, extra ones ignored).
    App(Pick, Vec<Scalar>, Style),
}

/// One step of a body: a few `let`s.
#[derive(Clone, Debug)]
pub enum Step {
    /// `let v = e in`, `e` a nested scalar expression.
    Let(Scalar),
    /// `let t = <a, b, ...> in` over variables of any type.
    Tuple(Vec<Pick>),
    /// `let <a, b, ...> = t in` for a tuple variable `t` (skipped if there is none).
    Unpack(Pick),
    /// A call of a function defined above (skipped if there is none): arguments of the
    /// parameter types (variables, literals, tuples built for it), results bound by
    /// `let (r1, r2) = g(...)`. With `sugar`, tuple arguments are written inline
    /// (`g(<a, b>)`) and a single tuple result is destructured on the spot
    /// (`let <a, b> = g(...) in`).
    Call {
        func: Pick,
        args: Vec<Pick>,
        sugar: bool,
    },
    /// A variable used `k` times in one expression: `x * x + x - x ...`.
    Fan(Pick, u8),
    /// A chain of unary primitives, one `let` each: `let c1 = sin(x) in let c2 = tanh(c1) in`.
    Chain(Pick, Vec<Pick>),
    /// `let () = drop(e) in`.
    Drop(Scalar),
    /// `let v = let w = e1 in (e2 * w) in`: a nested block.
    Nested(Scalar, Scalar),
}

/// A function: parameters, results and body steps.
#[derive(Clone, Debug)]
pub struct NlFn {
    pub params: Vec<Type>,
    pub results: Vec<(Type, Pick)>,
    pub steps: Vec<Step>,
    /// Choice of a name: plain, dotted, or (now and then) an operator primitive's.
    pub name: u8,
    /// Drop unused variables in one `drop((a, b))` rather than one `drop` each.
    pub drop_together: bool,
    /// Name variables like the parser's and the passes' fresh names (`_t3`, `zero_4`).
    pub clash: bool,
}

/// A whole nonlinear program, and a seed for its input values.
#[derive(Clone)]
pub struct NlProgram {
    pub funcs: Vec<NlFn>,
    pub seed: u64,
}

impl fmt::Debug for NlProgram {
    /// The program itself, in core form (what a failing property reports).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", crate::core_form(&self.render()))
    }
}

/// Scalar expressions; with `extremes`, literals at the ends of the f64 range now and then.
pub fn scalar_strategy(extremes: bool) -> impl Strategy<Value = Scalar> {
    let leaf = prop_oneof![
        4 => any::<Pick>().prop_map(Scalar::Var),
        1 => prop::sample::select(LITERALS.to_vec()).prop_map(Scalar::Lit),
        1 => (-4.0..4.0f64).prop_map(Scalar::Lit),
    ];
    let leaf = if extremes {
        prop_oneof![
            40 => leaf,
            1 => prop::sample::select(EXTREME_LITERALS.to_vec()).prop_map(Scalar::Lit),
        ]
        .boxed()
    } else {
        leaf.boxed()
    };
    leaf.prop_recursive(3, 8, 2, |inner| {
        (
            any::<Pick>(),
            prop::collection::vec(inner, 1..=2),
            prop_oneof![3 => Just(Style::Operator), 1 => Just(Style::Call)],
        )
            .prop_map(|(p, args, s)| Scalar::App(p, args, s))
    })
}

pub fn step_strategy(extremes: bool) -> impl Strategy<Value = Step> {
    let scalar = move || scalar_strategy(extremes);
    prop_oneof![
        6 => scalar().prop_map(Step::Let),
        2 => prop::collection::vec(any::<Pick>(), 0..=3).prop_map(Step::Tuple),
        2 => any::<Pick>().prop_map(Step::Unpack),
        3 => (any::<Pick>(), prop::collection::vec(any::<Pick>(), 1..=4), any::<bool>())
            .prop_map(|(func, args, sugar)| Step::Call { func, args, sugar }),
        1 => (any::<Pick>(), 2..7u8).prop_map(|(p, k)| Step::Fan(p, k)),
        1 => (any::<Pick>(), prop::collection::vec(any::<Pick>(), 1..25))
            .prop_map(|(p, ps)| Step::Chain(p, ps)),
        1 => scalar().prop_map(Step::Drop),
        1 => (scalar(), scalar()).prop_map(|(a, b)| Step::Nested(a, b)),
    ]
}

pub fn fn_strategy(extremes: bool) -> impl Strategy<Value = NlFn> {
    (
        prop::collection::vec(type_strategy(), 0..=3),
        prop_oneof![
            1 => Just(Vec::new()),
            12 => prop::collection::vec((type_strategy(), any::<Pick>()), 1..=3),
        ],
        prop::collection::vec(step_strategy(extremes), 0..20),
        any::<u8>(),
        any::<bool>(),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(params, results, steps, name, drop_together, clash)| NlFn {
                params,
                results,
                steps,
                name,
                drop_together,
                clash,
            },
        )
}

/// Programs of one to five functions, with now and then a literal at the ends of the f64
/// range (`1.7976931348623157e308`, `5e-324`).
pub fn program_strategy() -> impl Strategy<Value = NlProgram> {
    programs(true)
}

/// Programs for numerical comparisons (finite differences, linearity up to rounding):
/// without the extreme literals, whose absorption (`-1e300 + x == -1e300`) makes the
/// floating-point function differ from the real one that derivatives describe.
pub fn numeric_program_strategy() -> impl Strategy<Value = NlProgram> {
    programs(false)
}

fn programs(extremes: bool) -> impl Strategy<Value = NlProgram> {
    (
        prop::collection::vec(fn_strategy(extremes), 1..=5),
        any::<u64>(),
    )
        .prop_map(|(funcs, seed)| NlProgram { funcs, seed })
}

/// The name of function number `i`, distinct from the names before it: now and then the name
/// of a primitive (SPEC §1 allows it: a call then means the user function), never one the
/// domain guards apply.
pub fn fn_name(i: usize, choice: u8, taken: &[Sig]) -> String {
    let nameable: Vec<&str> = PrimTable::standard()
        .rows()
        .map(|(_, r)| r.name)
        .filter(|n| !domains::GUARD_PRIMITIVES.contains(n))
        .collect();
    let candidate = match choice % 16 {
        0 => nameable[(choice as usize / 16) % nameable.len()].to_string(),
        1 => format!("g{i}.inner"),
        _ => format!("f{i}"),
    };
    if taken.iter().any(|s| s.name == candidate) {
        format!("f{i}")
    } else {
        candidate
    }
}

impl NlProgram {
    /// The program as strict Linear A source.
    pub fn render(&self) -> String {
        self.render_with(false)
    }

    /// With `relaxed`, unused variables are left undropped (a relaxed program).
    pub fn render_with(&self, relaxed: bool) -> String {
        let mut sigs = Vec::new();
        let mut out = String::new();
        for (i, f) in self.funcs.iter().enumerate() {
            let (text, sig) = f.render(i, &sigs, relaxed);
            out.push_str(&text);
            out.push('\n');
            sigs.push(sig);
        }
        out
    }
}

/// `@checkpoint` before a marked function's `def`.
pub fn mark(checkpoint: bool) -> &'static str {
    if checkpoint { "@checkpoint\n" } else { "" }
}

impl NlFn {
    /// Marked `@checkpoint` (one function in seven, read off the name choice so that shrinking
    /// keeps or drops the mark with the name).
    pub fn checkpoint(&self) -> bool {
        self.name % 7 == 3
    }

    /// Renders function number `i`, given the signatures of the functions above it.
    pub fn render(&self, i: usize, above: &[Sig], relaxed: bool) -> (String, Sig) {
        let name = fn_name(i, self.name, above);
        let mut w = FnWriter::new(relaxed);
        w.clash = self.clash;
        let ps: Vec<(String, Type)> = self
            .params
            .iter()
            .enumerate()
            .map(|(k, t)| (format!("x{k}"), t.clone()))
            .collect();
        for (n, t) in &ps {
            w.bind(n, t, false);
        }
        for s in &self.steps {
            render_step(&mut w, s, above);
        }
        let result_types: Vec<Type> = self.results.iter().map(|(t, _)| t.clone()).collect();
        let picks: Vec<Pick> = self.results.iter().map(|(_, p)| *p).collect();
        let mut picks = Picks::new(&picks);
        let atoms: Vec<String> = result_types
            .iter()
            .map(|t| w.construct_nl(t, &mut picks, false))
            .collect();
        w.settle_nonlinear(self.drop_together);
        let tail = if atoms.len() == 1 && self.name.is_multiple_of(3) {
            atoms[0].clone()
        } else {
            format!("({})", atoms.join(", "))
        };
        let text = format!(
            "{}def {name}({}) -> ({}) =\n{}",
            mark(self.checkpoint()),
            params(&ps, &[]),
            results(&result_types, &[]),
            w.finish(&tail)
        );
        let sig = Sig {
            name,
            params: self.params.clone(),
            lparams: Vec::new(),
            results: result_types,
            lresults: Vec::new(),
        };
        (text, sig)
    }
}

/// Renders a scalar expression over the `R` variables of `w`.
pub fn render_scalar(w: &mut FnWriter, e: &Scalar, above: &[Sig]) -> String {
    match e {
        Scalar::Var(p) => match w.use_nl(Some(&Type::Real), *p) {
            Some((name, _)) => name,
            None => lit(LITERALS[p.of(LITERALS.len())]),
        },
        Scalar::Lit(x) => lit(*x),
        Scalar::App(p, args, style) => {
            // The chosen row, or the next one that a user function of the same name does not
            // hide (an operator always has its operator syntax, so one is found).
            let rows: Vec<_> = PrimTable::standard().rows().collect();
            let start = p.of(rows.len());
            let row = (0..rows.len())
                .map(|k| rows[(start + k) % rows.len()].1)
                .find(|r| {
                    let shadowed = above.iter().any(|s| s.name == r.name);
                    let probe = vec![String::from("x"); r.arity];
                    domains::apply(r.name, &probe, *style, shadowed).is_some()
                })
                .expect("an operator primitive");
            let rendered: Vec<String> = (0..row.arity)
                .map(|k| match args.get(k) {
                    Some(a) => render_scalar(w, a, above),
                    None => render_scalar(w, &Scalar::Var(Pick(k as u16)), above),
                })
                .collect();
            let shadowed = above.iter().any(|s| s.name == row.name);
            domains::apply(row.name, &rendered, *style, shadowed).expect("checked above")
        }
    }
}

/// Binds the results of a call: `let (r1, r2) = call in`, each result a new variable.
pub fn bind_results(w: &mut FnWriter, call: &str, sig: &Sig, unpack: bool) {
    if let ([Type::Tuple(items)], []) = (sig.results.as_slice(), sig.lresults.as_slice())
        && unpack
    {
        let names: Vec<String> = items.iter().map(|_| w.fresh("c", false)).collect();
        w.line(&format!("<{}>", names.join(", ")), call);
        for (n, t) in names.iter().zip(items) {
            w.bind(n, t, false);
        }
        return;
    }
    let nl: Vec<String> = sig.results.iter().map(|_| w.fresh("r", false)).collect();
    let lin: Vec<String> = sig.lresults.iter().map(|_| w.fresh("q", true)).collect();
    let binders = match (nl.as_slice(), lin.as_slice()) {
        ([x], []) => x.clone(),
        ([], [y]) => y.clone(),
        _ if lin.is_empty() => format!("({})", nl.join(", ")),
        _ => format!("({} ; {})", nl.join(", "), lin.join(", ")),
    };
    w.line(&binders, call);
    for (n, t) in nl.iter().zip(&sig.results) {
        w.bind(n, t, false);
    }
    for (n, t) in lin.iter().zip(&sig.lresults) {
        w.bind(n, t, true);
    }
}

/// The nonlinear arguments of a call of `sig`, built from `args`.
pub fn call_args(w: &mut FnWriter, sig: &Sig, args: &[Pick], sugar: bool) -> Vec<String> {
    let mut picks = Picks::new(args);
    sig.params
        .iter()
        .map(|t| w.construct_nl(t, &mut picks, sugar))
        .collect()
}

/// Renders one nonlinear step into `w`.
pub fn render_step(w: &mut FnWriter, s: &Step, above: &[Sig]) {
    match s {
        Step::Let(e) => {
            let rhs = render_scalar(w, e, above);
            let v = w.fresh("v", false);
            w.line(&v, &rhs);
            w.bind(&v, &Type::Real, false);
        }
        Step::Tuple(items) => {
            let mut parts = Vec::new();
            let mut types = Vec::new();
            for p in items {
                match w.use_nl(None, *p) {
                    Some((n, t)) => {
                        parts.push(n);
                        types.push(t);
                    }
                    None => {
                        parts.push(lit(LITERALS[p.of(LITERALS.len())]));
                        types.push(Type::Real);
                    }
                }
            }
            let t = w.fresh("t", false);
            w.line(&t, &format!("<{}>", parts.join(", ")));
            w.bind(&t, &Type::Tuple(types), false);
        }
        Step::Unpack(p) => {
            let Some(i) = w.tuple_var(*p) else { return };
            let src = w.var_name(i).to_string();
            let Type::Tuple(items) = w.var_type(i).clone() else {
                return;
            };
            w.count_use(i);
            let names: Vec<String> = items.iter().map(|_| w.fresh("u", false)).collect();
            w.line(&format!("<{}>", names.join(", ")), &src);
            for (n, t) in names.iter().zip(&items) {
                w.bind(n, t, false);
            }
        }
        Step::Call { func, args, sugar } => {
            let callable: Vec<&Sig> = above.iter().filter(|s| !s.is_linear()).collect();
            if callable.is_empty() {
                return;
            }
            let sig = callable[func.of(callable.len())].clone();
            let actual = call_args(w, &sig, args, *sugar);
            let call = format!("{}({})", sig.name, actual.join(", "));
            bind_results(w, &call, &sig, *sugar);
        }
        Step::Fan(p, k) => {
            let x = match w.use_nl(Some(&Type::Real), *p) {
                Some((n, _)) => n,
                None => return,
            };
            let ops = [" * ", " + ", " - ", " * "];
            let mut rhs = x.clone();
            for j in 1..*k as usize {
                rhs.push_str(ops[(j + p.0 as usize) % ops.len()]);
                rhs.push_str(&x);
            }
            let v = w.fresh("v", false);
            w.line(&v, &rhs);
            w.bind(&v, &Type::Real, false);
        }
        Step::Chain(p, prims) => {
            let Some((mut x, _)) = w.use_nl(Some(&Type::Real), *p) else {
                return;
            };
            // Unary primitives that no user function above hides (`neg` always qualifies).
            let unary: Vec<&'static str> = PrimTable::standard()
                .rows()
                .filter(|(_, r)| r.arity == 1)
                .map(|(_, r)| r.name)
                .filter(|n| n == &"neg" || above.iter().all(|s| s.name != *n))
                .collect();
            for (k, q) in prims.iter().enumerate() {
                let name = unary[q.of(unary.len())];
                let shadowed = above.iter().any(|s| s.name == name);
                let rhs = domains::apply(name, std::slice::from_ref(&x), Style::Call, shadowed)
                    .expect("not hidden");
                let v = w.fresh("c", false);
                w.line(&v, &rhs);
                w.bind(&v, &Type::Real, false);
                if k + 1 < prims.len() {
                    x = w.use_nl(Some(&Type::Real), Pick(0)).expect("just bound").0;
                }
            }
        }
        Step::Drop(e) => {
            let rhs = render_scalar(w, e, above);
            w.line("()", &format!("drop({rhs})"));
        }
        Step::Nested(a, b) => {
            let e1 = render_scalar(w, a, above);
            let inner = w.fresh("w", false);
            let e2 = render_scalar(w, b, above);
            let v = w.fresh("v", false);
            w.line(&v, &format!("let {inner} = {e1} in ({e2}) * {inner}"));
            w.bind(&v, &Type::Real, false);
        }
    }
}
