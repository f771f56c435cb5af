//! Rendering recipes to Linear A source text, shared by the generators.
//!
//! A *recipe* is plain data that proptest generates and shrinks; the renderer turns it into a
//! program **deterministically and totally**: every choice in a recipe is a [`Pick`], an index
//! that the renderer reads modulo the number of candidates available at that point (the
//! variables of the right type and sort in scope, the functions defined above, the rows of the
//! primitive table). When there is no candidate the renderer falls back to something that is
//! always well-typed (a literal, a tuple built on the spot, `zero<T>`), so every recipe, and
//! every shrink of a recipe, renders to a well-typed program. This is PLT Redex's "generate
//! terms satisfying the judgment", done by construction instead of by filtering.
//!
//! The renderer tracks, for every variable, its type, its sort and how often it was used, so
//! that the strict multiplicities hold: a linear variable is consumed exactly once (it leaves
//! the pool of live variables when used), and a nonlinear variable never used by the end of its
//! function gets an explicit `drop`.

use proptest::prelude::*;
use semantics::Type;
use std::fmt::Write;

/// A choice among the candidates available when it is rendered, read modulo their number.
/// Shrinks towards 0, which always means "the most recently bound candidate".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick(pub u16);

impl Pick {
    pub fn of(self, n: usize) -> usize {
        if n == 0 { 0 } else { self.0 as usize % n }
    }
}

impl Arbitrary for Pick {
    type Parameters = ();
    type Strategy = BoxedStrategy<Pick>;

    fn arbitrary_with(_: ()) -> Self::Strategy {
        any::<u16>().prop_map(Pick).boxed()
    }
}

/// Types of parameters, results and tuples: mostly `R`, tuples up to three items and two
/// levels deep, and now and then the unit `<>`. Shrinks towards `R`.
pub fn type_strategy() -> impl Strategy<Value = Type> {
    let leaf = Just(Type::Real);
    leaf.prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            6 => Just(Type::Real),
            3 => prop::collection::vec(inner, 1..=3).prop_map(Type::Tuple),
            1 => Just(Type::unit()),
        ]
    })
}

/// The signature of a rendered function, as later functions see it.
#[derive(Clone, Debug)]
pub struct Sig {
    pub name: String,
    pub params: Vec<Type>,
    pub lparams: Vec<Type>,
    pub results: Vec<Type>,
    pub lresults: Vec<Type>,
}

impl Sig {
    pub fn is_linear(&self) -> bool {
        !self.lparams.is_empty() || !self.lresults.is_empty()
    }
}

#[derive(Clone, Debug)]
struct VarInfo {
    name: String,
    ty: Type,
    linear: bool,
    uses: u32,
}

/// Renders one function body: a list of `let ... in` lines, then a tail.
pub struct FnWriter {
    vars: Vec<VarInfo>,
    /// Linear variables not yet consumed, by index into `vars`.
    live: Vec<usize>,
    body: String,
    fresh: u32,
    /// Relaxed rendering: no `dup`s and no `drop`s of unused variables (SPEC §2's relaxed
    /// programs, which dup/drop insertion makes strict).
    pub relaxed: bool,
    /// Relaxed rendering that also *reuses* linear variables: a linear variable stays
    /// available after its first use, so it may be used many times (dup insertion then adds
    /// chains of `dup`s). The meaning differs from the strict rendering's.
    pub reuse: bool,
    /// Spell fresh names like generated ones (see [`FnWriter::fresh`]).
    pub clash: bool,
}

/// Prefixes of names that the parser's desugaring (`_t1`) and the passes' builders
/// (`zero_1'`, `tup_1`, `x_1'`) generate.
const CLASHING: [&str; 5] = ["_t", "zero_", "tup_", "x_", "v_"];

/// A rendered literal (`-0.0`, `1e-7`, `2.5`), which reads back to the same bits.
pub fn lit(x: f64) -> String {
    format!("{x:?}")
}

/// `<T1, ..., Tn>` as source.
pub fn ty(t: &Type) -> String {
    t.to_string()
}

impl FnWriter {
    pub fn new(relaxed: bool) -> FnWriter {
        FnWriter {
            vars: Vec::new(),
            live: Vec::new(),
            body: String::new(),
            fresh: 0,
            relaxed,
            reuse: false,
            clash: false,
        }
    }

    /// A fresh variable name (`v3`, `y7'`); with [`FnWriter::clash`], spelled like the
    /// names the parser and the passes invent (`_t3`, `zero_4'`), which they must avoid.
    pub fn fresh(&mut self, prefix: &str, linear: bool) -> String {
        self.fresh += 1;
        let prefix = if self.clash {
            CLASHING[self.fresh as usize % CLASHING.len()]
        } else {
            prefix
        };
        if linear {
            format!("{prefix}{}'", self.fresh)
        } else {
            format!("{prefix}{}", self.fresh)
        }
    }

    /// Declares a bound variable.
    pub fn bind(&mut self, name: &str, ty: &Type, linear: bool) {
        self.vars.push(VarInfo {
            name: name.to_string(),
            ty: ty.clone(),
            linear,
            uses: 0,
        });
        if linear {
            self.live.push(self.vars.len() - 1);
        }
    }

    /// Emits `let <binders> = <rhs> in`.
    pub fn line(&mut self, binders: &str, rhs: &str) {
        let _ = writeln!(self.body, "  let {binders} = {rhs} in");
    }

    // ---- nonlinear variables ----

    /// Nonlinear variables of type `t` (any type with `None`), most recent first.
    fn nl_of(&self, t: Option<&Type>) -> Vec<usize> {
        (0..self.vars.len())
            .rev()
            .filter(|&i| !self.vars[i].linear && t.is_none_or(|t| self.vars[i].ty == *t))
            .collect()
    }

    /// Uses a nonlinear variable of type `t` chosen by `p`, if there is one.
    pub fn use_nl(&mut self, t: Option<&Type>, p: Pick) -> Option<(String, Type)> {
        let c = self.nl_of(t);
        if c.is_empty() {
            return None;
        }
        let i = c[p.of(c.len())];
        self.vars[i].uses += 1;
        Some((self.vars[i].name.clone(), self.vars[i].ty.clone()))
    }

    /// Peeks at a nonlinear tuple variable chosen by `p` without using it.
    pub fn tuple_var(&self, p: Pick) -> Option<usize> {
        let c: Vec<usize> = self
            .nl_of(None)
            .into_iter()
            .filter(|&i| matches!(self.vars[i].ty, Type::Tuple(_)))
            .collect();
        (!c.is_empty()).then(|| c[p.of(c.len())])
    }

    pub fn var_name(&self, i: usize) -> &str {
        &self.vars[i].name
    }

    pub fn var_type(&self, i: usize) -> &Type {
        &self.vars[i].ty
    }

    pub fn count_use(&mut self, i: usize) {
        self.vars[i].uses += 1;
    }

    /// An atom of type `t`: a variable of that type chosen by the next pick, else a literal
    /// (for `R`) or a tuple built from such atoms (bound with a `let`, or written inline
    /// when `inline`).
    pub fn construct_nl(&mut self, t: &Type, picks: &mut Picks, inline: bool) -> String {
        let p = picks.take();
        // Values not used yet come first, so that computations flow into calls and results.
        let unused: Vec<usize> = self
            .nl_of(Some(t))
            .into_iter()
            .filter(|&i| self.vars[i].uses == 0)
            .collect();
        if !unused.is_empty() {
            let i = unused[p.of(unused.len())];
            self.vars[i].uses += 1;
            return self.vars[i].name.clone();
        }
        if let Some((name, _)) = self.use_nl(Some(t), p) {
            return name;
        }
        match t.components() {
            None => lit(LITERALS[p.of(LITERALS.len())]),
            Some(ts) => {
                let items: Vec<String> = ts
                    .iter()
                    .map(|u| self.construct_nl(u, picks, inline))
                    .collect();
                let tuple = format!("<{}>", items.join(", "));
                if inline {
                    tuple
                } else {
                    let name = self.fresh("t", false);
                    self.line(&name, &tuple);
                    self.bind(&name, t, false);
                    self.vars.last_mut().expect("just bound").uses += 1;
                    name
                }
            }
        }
    }

    // ---- linear variables ----

    /// Live linear variables of type `t` (any with `None`), most recent first; when reusing,
    /// every linear variable bound so far.
    fn lin_of(&self, t: Option<&Type>) -> Vec<usize> {
        let all: Vec<usize> = if self.reuse {
            (0..self.vars.len())
                .filter(|&i| self.vars[i].linear)
                .collect()
        } else {
            self.live.clone()
        };
        all.into_iter()
            .rev()
            .filter(|&i| t.is_none_or(|t| self.vars[i].ty == *t))
            .collect()
    }

    pub fn has_live(&self) -> bool {
        !self.live.is_empty()
    }

    /// Consumes a live linear variable of type `t` (any with `None`) chosen by `p`, skipping
    /// the names in `except`.
    pub fn take_lin(&mut self, t: Option<&Type>, p: Pick) -> Option<(String, Type)> {
        let c = self.lin_of(t);
        if c.is_empty() {
            return None;
        }
        let i = c[p.of(c.len())];
        self.live.retain(|&j| j != i);
        self.vars[i].uses += 1;
        Some((self.vars[i].name.clone(), self.vars[i].ty.clone()))
    }

    /// Consumes a live linear variable of tuple type chosen by `p`.
    pub fn take_lin_tuple(&mut self, p: Pick) -> Option<(String, Type)> {
        let c: Vec<usize> = self
            .lin_of(None)
            .into_iter()
            .filter(|&i| matches!(self.vars[i].ty, Type::Tuple(_)))
            .collect();
        if c.is_empty() {
            return None;
        }
        let i = c[p.of(c.len())];
        self.live.retain(|&j| j != i);
        self.vars[i].uses += 1;
        Some((self.vars[i].name.clone(), self.vars[i].ty.clone()))
    }

    /// A linear variable of type `t`: a live one chosen by the next pick, else a tuple of such
    /// variables, else `zero<t>`; always bound to a name.
    pub fn construct_lin(&mut self, t: &Type, picks: &mut Picks) -> String {
        let p = picks.take();
        if let Some((name, _)) = self.take_lin(Some(t), p) {
            return name;
        }
        let name = self.fresh("z", true);
        match t {
            Type::Tuple(ts) if !ts.is_empty() => {
                let items: Vec<String> = ts.iter().map(|u| self.construct_lin(u, picks)).collect();
                self.line(&name, &format!("<{}>", items.join(", ")));
            }
            Type::Real if p.0 % 2 == 1 => self.line(&name, "zero"),
            _ => self.line(&name, &format!("zero<{}>", ty(t))),
        }
        self.bind(&name, t, true);
        self.take_lin(Some(t), Pick(0)).expect("just bound").0
    }

    /// Consumes every live linear variable: with `merge`, adds each into a result of the same
    /// type, destructuring a tuple that matches no result into its components; otherwise,
    /// or when nothing matches, drops it (relaxed rendering leaves it unused). `results` holds
    /// the names and types of the linear results, updated in place.
    pub fn settle_linear(&mut self, results: &mut [(String, Type)], merge: bool) {
        self.reuse = false;
        while let Some((v, t)) = self.take_lin(None, Pick(0)) {
            let target = results
                .iter_mut()
                .find(|(_, rt)| *rt == t)
                .filter(|_| merge);
            match (target, &t) {
                (Some(r), _) => {
                    let sum = self.fresh("s", true);
                    self.line(&sum, &format!("{} + {v}", r.0));
                    r.0 = sum;
                }
                (None, Type::Tuple(items)) if merge => {
                    let names: Vec<String> = items.iter().map(|_| self.fresh("e", true)).collect();
                    self.line(&format!("<{}>", names.join(", ")), &v);
                    for (n, u) in names.iter().zip(items) {
                        self.bind(n, u, true);
                    }
                }
                (None, _) if self.relaxed => {}
                (None, _) => self.line("()", &format!("drop({v})")),
            }
        }
    }

    /// Drops every nonlinear variable never used, one `drop` each or all in one
    /// (`drop((a, b))`); relaxed rendering leaves them unused.
    pub fn settle_nonlinear(&mut self, together: bool) {
        let unused: Vec<usize> = (0..self.vars.len())
            .filter(|&i| !self.vars[i].linear && self.vars[i].uses == 0)
            .collect();
        if self.relaxed || unused.is_empty() {
            return;
        }
        for &i in &unused {
            self.vars[i].uses += 1;
        }
        let names: Vec<String> = unused.iter().map(|&i| self.vars[i].name.clone()).collect();
        if together {
            self.line("()", &format!("drop(({}))", names.join(", ")));
        } else {
            for n in names {
                self.line("()", &format!("drop({n})"));
            }
        }
    }

    /// The rendered body with its tail.
    pub fn finish(mut self, tail: &str) -> String {
        let _ = writeln!(self.body, "  {tail}");
        self.body
    }
}

/// Literals the renderer falls back on: negative ones, zero of both signs, tiny and large.
pub const LITERALS: [f64; 12] = [
    1.0, -1.0, 0.5, -2.5, 2.0, 0.0, -0.0, 3.0, 1e-3, -0.75, 1.5, 10.0,
];

/// Literals at the ends of the f64 range (largest, smallest normal and subnormal, huge and
/// tiny negatives), rarely generated: their text must read back to the same bits.
pub const EXTREME_LITERALS: [f64; 6] = [
    f64::MAX,
    f64::MIN_POSITIVE,
    5e-324,
    -1e300,
    -1e-300,
    123_456_789.123_456_79,
];

/// A supply of picks that never runs out: after the recipe's own, it repeats them, each
/// round shifted by one (with none, it counts up from 0).
pub struct Picks<'a> {
    picks: &'a [Pick],
    k: usize,
}

impl<'a> Picks<'a> {
    pub fn new(picks: &'a [Pick]) -> Picks<'a> {
        Picks { picks, k: 0 }
    }

    pub fn take(&mut self) -> Pick {
        let n = self.picks.len().max(1);
        let p = self.picks.get(self.k % n).copied().unwrap_or(Pick(0));
        // Later rounds differ from the first, so a tuple of two R's is not always <x, x>.
        let round = (self.k / n) as u16;
        self.k += 1;
        Pick(p.0.wrapping_add(round))
    }
}

/// Parameters `(x1: T1, ... ; y1': U1, ...)` as source.
pub fn params(nl: &[(String, Type)], lin: &[(String, Type)]) -> String {
    let side = |ps: &[(String, Type)]| {
        ps.iter()
            .map(|(n, t)| format!("{n}: {}", ty(t)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if lin.is_empty() {
        side(nl)
    } else {
        format!("{} ; {}", side(nl), side(lin))
    }
}

/// Result types `(T1, ... ; U1, ...)` as source.
pub fn results(nl: &[Type], lin: &[Type]) -> String {
    let side = |ts: &[Type]| ts.iter().map(ty).collect::<Vec<_>>().join(", ");
    if lin.is_empty() {
        side(nl)
    } else {
        format!("{} ; {}", side(nl), side(lin))
    }
}
