//! The primitive table: **the one place** that knows the nonlinear primitives.
//!
//! Each row holds a primitive's name, arity, evaluation, work cost (SPEC §3) and its JVP rule,
//! written in Linear A itself (SPEC §4). The rule is text here; the `rewrite` crate parses and
//! type-checks every rule when it loads the table. Adding a primitive is adding a row (see
//! [`PrimTable::register`]): the parser, evaluator, work analysis, JVP and (through JVP and
//! transposition of the linear core) reverse mode pick it up with no other change.

use crate::syntax::{NameMap, PrimId};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Prim {
    pub name: &'static str,
    pub arity: usize,
    pub eval: fn(&[f64]) -> f64,
    /// `cost(p)` in the cost model.
    pub cost: u128,
    /// The JVP rule, `jvp p(x1, ..., xn ; x1', ..., xn') = e`, where `e` returns the primal
    /// (computed exactly as `eval` does) and the tangent, linear in the `xi'`.
    pub jvp: &'static str,
}

#[derive(Clone, Debug)]
pub struct PrimTable {
    rows: Vec<Prim>,
    /// Hashed with FNV ([`NameMap`]): the parser asks it once per application.
    by_name: NameMap<&'static str, PrimId>,
    /// The derivative column (see [`DERIVATIVES`]), by row.
    derivatives: HashMap<PrimId, &'static str>,
}

/// The **derivative column** of the table: each primitive's partial derivatives as Linear A
/// expressions, `d p(x1, ..., xn) = (∂p/∂x1, ..., ∂p/∂xn)`, stated independently of its JVP
/// rule. The e-graph prover builds reference Jacobians from this column alone, and rule
/// loading (`rewrite`) proves each JVP rule's tangent equal to it.
pub const DERIVATIVES: &[(&str, &str)] = &[
    ("add", "d add(a, b) = (1.0, 1.0)"),
    ("sub", "d sub(a, b) = (1.0, -1.0)"),
    ("mul", "d mul(a, b) = (b, a)"),
    ("div", "d div(a, b) = (1.0 / b, -a / (b * b))"),
    ("neg", "d neg(a) = -1.0"),
    ("sin", "d sin(x) = cos(x)"),
    ("cos", "d cos(x) = -sin(x)"),
    ("tan", "d tan(x) = 1.0 + tan(x) * tan(x)"),
    ("exp", "d exp(x) = exp(x)"),
    ("log", "d log(x) = 1.0 / x"),
    ("sqrt", "d sqrt(x) = 0.5 / sqrt(x)"),
    ("tanh", "d tanh(x) = 1.0 - tanh(x) * tanh(x)"),
    (
        "logistic",
        "d logistic(x) = logistic(x) * (1.0 - logistic(x))",
    ),
    (
        "pow",
        "d pow(x, p) = (p * pow(x, p - 1.0), pow(x, p) * log(x))",
    ),
];

/// Row positions of the primitives that operators desugar to (`+ - * /`, unary `-`).
impl PrimId {
    pub const ADD: PrimId = PrimId(0);
    pub const SUB: PrimId = PrimId(1);
    pub const MUL: PrimId = PrimId(2);
    pub const DIV: PrimId = PrimId(3);
    pub const NEG: PrimId = PrimId(4);
}

macro_rules! prims {
    ($($name:ident / $arity:literal, cost $cost:literal, |$a:ident| $eval:expr, $jvp:literal;)*) => {
        vec![$(Prim {
            name: stringify!($name),
            arity: $arity,
            eval: |$a: &[f64]| $eval,
            cost: $cost,
            jvp: $jvp,
        }),*]
    };
}

fn standard_rows() -> Vec<Prim> {
    prims! {
        // The first five rows are the operators' targets, in the order of the PrimId constants.
        add / 2, cost 1, |a| a[0] + a[1],
            "jvp add(a, b ; a', b') = let y = a + b in (y ; a' + b')";
        sub / 2, cost 1, |a| a[0] - a[1],
            "jvp sub(a, b ; a', b') = let y = a - b in (y ; a' - b')";
        mul / 2, cost 1, |a| a[0] * a[1],
            "jvp mul(a, b ; a', b') = let y = a * b in (y ; b * a' + a * b')";
        div / 2, cost 1, |a| a[0] / a[1],
            "jvp div(a, b ; a', b') = let y = a / b in let r = 1.0 / b in let n = -y in (y ; r * (a' + n * b'))";
        neg / 1, cost 1, |a| -a[0],
            "jvp neg(a ; a') = let y = -a in (y ; -a')";
        sin / 1, cost 1, |a| a[0].sin(),
            "jvp sin(x ; x') = let y = sin(x) in let c = cos(x) in (y ; c * x')";
        cos / 1, cost 1, |a| a[0].cos(),
            "jvp cos(x ; x') = let y = cos(x) in let s = -sin(x) in (y ; s * x')";
        tan / 1, cost 1, |a| a[0].tan(),
            "jvp tan(x ; x') = let y = tan(x) in let d = 1.0 + y * y in (y ; d * x')";
        exp / 1, cost 1, |a| a[0].exp(),
            "jvp exp(x ; x') = let y = exp(x) in (y ; y * x')";
        log / 1, cost 1, |a| a[0].ln(),
            "jvp log(x ; x') = let y = log(x) in let d = 1.0 / x in (y ; d * x')";
        sqrt / 1, cost 1, |a| a[0].sqrt(),
            "jvp sqrt(x ; x') = let y = sqrt(x) in let d = 0.5 / y in (y ; d * x')";
        tanh / 1, cost 1, |a| a[0].tanh(),
            "jvp tanh(x ; x') = let y = tanh(x) in let d = 1.0 - y * y in (y ; d * x')";
        logistic / 1, cost 1, |a| 1.0 / (1.0 + (-a[0]).exp()),
            "jvp logistic(x ; x') = let y = logistic(x) in let d = y * (1.0 - y) in (y ; d * x')";
        pow / 2, cost 1, |a| a[0].powf(a[1]),
            "jvp pow(x, p ; x', p') = let y = pow(x, p) in let dx = p * pow(x, p - 1.0) in let dp = y * log(x) in (y ; dx * x' + dp * p')";
    }
}

impl PrimTable {
    /// The standard table, built once.
    pub fn standard() -> &'static PrimTable {
        static TABLE: OnceLock<PrimTable> = OnceLock::new();
        TABLE.get_or_init(|| PrimTable::from_rows(standard_rows()))
    }

    /// A fresh copy of the standard table, to extend with [`PrimTable::register`].
    pub fn extensible() -> PrimTable {
        PrimTable::standard().clone()
    }

    fn from_rows(rows: Vec<Prim>) -> PrimTable {
        let by_name: NameMap<&'static str, PrimId> = rows
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name, PrimId(i as u16)))
            .collect();
        let derivatives = DERIVATIVES
            .iter()
            .filter_map(|(name, text)| by_name.get(name).map(|&id: &PrimId| (id, *text)))
            .collect();
        PrimTable {
            rows,
            by_name,
            derivatives,
        }
    }

    /// A row's derivative column, `d p(x1, ..., xn) = (...)` (`None`: the row has none).
    pub fn derivative(&self, id: PrimId) -> Option<&'static str> {
        self.derivatives.get(&id).copied()
    }

    /// Sets the derivative column of a registered row.
    pub fn register_derivative(&mut self, id: PrimId, text: &'static str) -> Result<(), String> {
        if self.get(id).is_none() {
            return Err(format!("no primitive row {}", id.0));
        }
        self.derivatives.insert(id, text);
        Ok(())
    }

    /// Replaces a row's evaluation (the rest of the row, its rule included, stays): how a test
    /// observes evaluation, as [`crate::numeric::absorbs`] does.
    pub fn set_eval(&mut self, id: PrimId, eval: fn(&[f64]) -> f64) -> Result<(), String> {
        let row = self
            .rows
            .get_mut(id.0 as usize)
            .ok_or_else(|| format!("no primitive row {}", id.0))?;
        row.eval = eval;
        Ok(())
    }

    /// Adds a row. Fails if the name is taken.
    pub fn register(&mut self, prim: Prim) -> Result<PrimId, String> {
        if self.by_name.contains_key(prim.name) {
            return Err(format!("primitive `{}` is already in the table", prim.name));
        }
        let id = PrimId(u16::try_from(self.rows.len()).map_err(|_| "primitive table is full")?);
        self.by_name.insert(prim.name, id);
        self.rows.push(prim);
        Ok(id)
    }

    pub fn lookup(&self, name: &str) -> Option<PrimId> {
        self.by_name.get(name).copied()
    }

    pub fn get(&self, id: PrimId) -> Option<&Prim> {
        self.rows.get(id.0 as usize)
    }

    /// The name of a row (`?` for an id not in this table).
    pub fn name(&self, id: PrimId) -> &'static str {
        self.get(id).map_or("?", |p| p.name)
    }

    pub fn rows(&self) -> impl Iterator<Item = (PrimId, &Prim)> {
        self.rows
            .iter()
            .enumerate()
            .map(|(i, p)| (PrimId(i as u16), p))
    }
}
