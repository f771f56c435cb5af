//! The linear core is a vector space (SPEC §1, §3), checked with quickcheck on random tuple
//! values through the evaluator.
//!
//! For a random type `T` (nested tuples of reals) and random values `u, v, w : T` and scalars
//! `a, b`, tiny Linear A programs over `T` compute `+`, `zero<T>`, scaling, linear `-`, `dup`
//! and `drop`, and must satisfy the vector-space laws: `+` is commutative and associative with
//! unit `zero<T>`, scaling distributes over both additions, is compatible with the product
//! of scalars, `1·u = u`, `0·u = zero`, `u - u = zero`; and the structural maps agree with
//! them: `dup(u) = (u, u)`, `dup` then `+` is `2·u`, `drop(u)` returns nothing, and `dup` and
//! `+` are adjoint (`⟨dup(u), (v, w)⟩ = ⟨u, v + w⟩`), as are `zero` and `drop`
//! (`⟨zero<T>, w⟩ = 0`). Reals are small integers, so every law holds exactly in floating
//! point and is checked with `==`.

use properties::harness::cases;
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use semantics::numeric::{dot, leaves};
use semantics::{PrimTable, Program, Type, Value, eval_fn, parse, print};

/// A type, three values of it and two scalars.
#[derive(Clone, Debug)]
struct Case {
    ty: Type,
    u: Value,
    v: Value,
    w: Value,
    a: f64,
    b: f64,
}

fn arbitrary_type(g: &mut Gen, depth: u32) -> Type {
    let leaf = depth == 0 || u8::arbitrary(g) % 3 == 0;
    if leaf {
        return Type::Real;
    }
    let n = usize::arbitrary(g) % 4;
    Type::Tuple((0..n).map(|_| arbitrary_type(g, depth - 1)).collect())
}

fn arbitrary_value(t: &Type, g: &mut Gen) -> Value {
    match t.components() {
        None => Value::Real(f64::from(i8::arbitrary(g))),
        Some(ts) => Value::tuple(ts.iter().map(|u| arbitrary_value(u, g)).collect()),
    }
}

impl Arbitrary for Case {
    fn arbitrary(g: &mut Gen) -> Case {
        let ty = arbitrary_type(g, 3);
        Case {
            u: arbitrary_value(&ty, g),
            v: arbitrary_value(&ty, g),
            w: arbitrary_value(&ty, g),
            a: f64::from(i8::arbitrary(g)),
            b: f64::from(i8::arbitrary(g)),
            ty,
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Case>> {
        // Towards the simplest type, with values of it.
        if self.ty == Type::Real {
            return Box::new(std::iter::empty());
        }
        let r = |x: &Value| {
            Value::Real(
                leaves(std::slice::from_ref(x))
                    .first()
                    .copied()
                    .unwrap_or(0.0),
            )
        };
        Box::new(std::iter::once(Case {
            ty: Type::Real,
            u: r(&self.u),
            v: r(&self.v),
            w: r(&self.w),
            ..self.clone()
        }))
    }
}

/// The tiny programs over `T`, one function each.
fn programs(t: &Type) -> String {
    format!(
        "def ladd(; u': {t}, v': {t}) -> (; {t}) = u' + v'
def lzero() -> (; {t}) = zero<{t}>
def lscale(a: R ; u': {t}) -> (; {t}) = a * u'
def lsub(; u': {t}, v': {t}) -> (; {t}) = u' - v'
def ldup(; u': {t}) -> (; {t}, {t}) = dup(u')
def ldup_add(; u': {t}) -> (; {t}) = let (; a', b') = dup(u') in a' + b'
def ldrop(; u': {t}) -> () = let () = drop(u') in ()
def lassoc_left(; u': {t}, v': {t}, w': {t}) -> (; {t}) = (u' + v') + w'
def lassoc_right(; u': {t}, v': {t}, w': {t}) -> (; {t}) = u' + (v' + w')
"
    )
}

struct Space {
    prog: Program,
}

impl Space {
    fn call(&self, name: &str, nl: &[f64], lin: &[&Value]) -> Result<Vec<Value>, String> {
        let f = self
            .prog
            .func_named(name)
            .ok_or_else(|| format!("no `{name}`"))?;
        let nl: Vec<Value> = nl.iter().map(|&x| Value::Real(x)).collect();
        let lin: Vec<Value> = lin.iter().map(|&v| v.clone()).collect();
        eval_fn(&self.prog, PrimTable::standard(), f, &nl, &lin)
            .map(|o| o.lin)
            .map_err(|e| format!("`{name}` goes wrong: {e}"))
    }

    fn one(&self, name: &str, nl: &[f64], lin: &[&Value]) -> Result<Value, String> {
        let mut vs = self.call(name, nl, lin)?;
        if vs.len() != 1 {
            return Err(format!("`{name}` returns {} linear values", vs.len()));
        }
        Ok(vs.remove(0))
    }
}

/// Same shape and numerically equal leaves (`-0.0 == 0.0`).
fn same(x: &Value, y: &Value) -> bool {
    x.zip_with(y, &|p, q| if p == q { 0.0 } else { 1.0 })
        .is_some_and(|d| leaves(&[d]).iter().all(|&e| e == 0.0))
}

fn laws(c: &Case) -> Result<(), String> {
    let src = programs(&c.ty);
    let prog = parse(&src).map_err(|d| format!("does not parse: {}", d[0].message))?;
    checker::accepts(&prog, PrimTable::standard(), checker::Options::default())
        .map_err(|d| format!("rejected: {} [{}]", d[0].message, d[0].code))?;
    let s = Space { prog };
    let (u, v, w, a, b) = (&c.u, &c.v, &c.w, c.a, c.b);
    let zero = s.one("lzero", &[], &[])?;
    let add = |x: &Value, y: &Value| s.one("ladd", &[], &[x, y]);
    let scale = |k: f64, x: &Value| s.one("lscale", &[k], &[x]);
    let law = |name: &str, lhs: Value, rhs: Value| -> Result<(), String> {
        if same(&lhs, &rhs) {
            Ok(())
        } else {
            Err(format!("{name}: {lhs} != {rhs}"))
        }
    };
    law("u + v = v + u", add(u, v)?, add(v, u)?)?;
    law(
        "(u + v) + w = u + (v + w)",
        s.one("lassoc_left", &[], &[u, v, w])?,
        s.one("lassoc_right", &[], &[u, v, w])?,
    )?;
    law("u + zero = u", add(u, &zero)?, u.clone())?;
    law("zero + u = u", add(&zero, u)?, u.clone())?;
    law(
        "a·(u + v) = a·u + a·v",
        scale(a, &add(u, v)?)?,
        add(&scale(a, u)?, &scale(a, v)?)?,
    )?;
    law(
        "(a + b)·u = a·u + b·u",
        scale(a + b, u)?,
        add(&scale(a, u)?, &scale(b, u)?)?,
    )?;
    law(
        "(a·b)·u = a·(b·u)",
        scale(a * b, u)?,
        scale(a, &scale(b, u)?)?,
    )?;
    law("1·u = u", scale(1.0, u)?, u.clone())?;
    law("0·u = zero", scale(0.0, u)?, zero.clone())?;
    law("u - u = zero", s.one("lsub", &[], &[u, u])?, zero.clone())?;
    law(
        "u - v = u + (-1)·v",
        s.one("lsub", &[], &[u, v])?,
        add(u, &scale(-1.0, v)?)?,
    )?;
    let d = s.call("ldup", &[], &[u])?;
    if d.len() != 2 || !same(&d[0], u) || !same(&d[1], u) {
        return Err(format!("dup(u) = {d:?}, not (u, u)"));
    }
    law(
        "dup then + = 2·u",
        s.one("ldup_add", &[], &[u])?,
        scale(2.0, u)?,
    )?;
    let dropped = s.call("ldrop", &[], &[u])?;
    if !dropped.is_empty() {
        return Err(format!("drop(u) returns {dropped:?}"));
    }
    // Adjoints: <dup(u), (v, w)> = <u, v + w> and <zero, w> = 0 (= <drop(w), ()>).
    let lhs = dot(&d, &[v.clone(), w.clone()]).ok_or("shapes")?;
    let rhs = dot(std::slice::from_ref(u), &[add(v, w)?]).ok_or("shapes")?;
    if lhs != rhs {
        return Err(format!("<dup(u), (v, w)> = {lhs} but <u, v + w> = {rhs}"));
    }
    let z = dot(std::slice::from_ref(&zero), std::slice::from_ref(w)).ok_or("shapes")?;
    if z != 0.0 {
        return Err(format!("<zero, w> = {z}"));
    }
    Ok(())
}

#[test]
fn linear_core_vector_space_laws() {
    fn prop(c: Case) -> TestResult {
        match laws(&c) {
            Ok(()) => TestResult::passed(),
            Err(e) => TestResult::error(format!(
                "{e}\nT = {}, u = {}, v = {}, w = {}, a = {}, b = {}\n{}",
                c.ty,
                c.u,
                c.v,
                c.w,
                c.a,
                c.b,
                parse(&programs(&c.ty)).map_or_else(|_| programs(&c.ty), |p| print(&p))
            )),
        }
    }
    let n = u64::from(cases());
    QuickCheck::new()
        .tests(n)
        .max_tests(10 * n)
        .quickcheck(prop as fn(Case) -> TestResult);
}
