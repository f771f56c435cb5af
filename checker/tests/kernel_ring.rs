//! The kernel's ring normaliser (`checker::kernel::ring`), the decision procedure behind every
//! obligation a certificate calls proved, tested on its own against an independent oracle:
//! evaluation of the terms at random points in f64.
//!
//! - **Sound**: two terms with one normal form evaluate alike at every point where both are
//!   defined (random terms, and random meaning-changing edits of them).
//! - **Complete on ring identities**: rewriting a term by commutativity, associativity,
//!   distributivity, `a - b = a + (-b)` or `--a = a` keeps its normal form.
//! - **Exact or nothing**: a coefficient that f64 cannot hold exactly (a sum or a product that
//!   rounds), an exponent that overflows, or more monomials than the cap gives no normal form;
//!   `x / x` is not `1` (the normaliser never cancels a reciprocal, so it equates terms only
//!   where both are defined).
//!
//! Written after `cargo mutants` on `checker/src/kernel/ring.rs` found mutants that the
//! certificate suites did not notice (docs/RESULTS.md, "The kernel under mutation testing").

use checker::kernel::ring::{Memo, Poly, normal_form};
use checker::kernel::term::{Dag, Id};
use semantics::numeric::Rng;

/// The project's seeded generator (`semantics::numeric::Rng`), with the two draws used here.
trait Draw {
    fn below(&mut self, n: usize) -> usize;
    fn unit(&mut self) -> f64;
}

impl Draw for Rng {
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        self.uniform(0.0, 1.0)
    }
}

/// A term as the oracle sees it.
#[derive(Clone, Debug, PartialEq)]
enum T {
    Atom(&'static str),
    Lit(f64),
    Add(Box<T>, Box<T>),
    Sub(Box<T>, Box<T>),
    Mul(Box<T>, Box<T>),
    Div(Box<T>, Box<T>),
    Neg(Box<T>),
}

use T::*;

fn b(t: T) -> Box<T> {
    Box::new(t)
}
fn add(a: T, c: T) -> T {
    Add(b(a), b(c))
}
fn sub(a: T, c: T) -> T {
    Sub(b(a), b(c))
}
fn mul(a: T, c: T) -> T {
    Mul(b(a), b(c))
}
fn div(a: T, c: T) -> T {
    Div(b(a), b(c))
}
fn neg(a: T) -> T {
    Neg(b(a))
}
fn x() -> T {
    Atom("x")
}
fn y() -> T {
    Atom("y")
}

const ATOMS: [&str; 3] = ["x", "y", "z"];
/// Dyadic literals (the normaliser reads them as constants) and two that are not (atoms).
const LITS: [f64; 8] = [0.0, 1.0, 2.0, -3.0, 0.5, 0.25, 0.1, 3.0];

fn eval(t: &T, at: &[f64; 3]) -> f64 {
    match t {
        Atom(a) => at[ATOMS.iter().position(|n| n == a).unwrap()],
        Lit(c) => *c,
        Add(a, c) => eval(a, at) + eval(c, at),
        Sub(a, c) => eval(a, at) - eval(c, at),
        Mul(a, c) => eval(a, at) * eval(c, at),
        Div(a, c) => eval(a, at) / eval(c, at),
        Neg(a) => -eval(a, at),
    }
}

fn intern(dag: &mut Dag, t: &T) -> Id {
    match t {
        Atom(a) => dag.add(a, vec![]),
        Lit(c) => dag.num(*c),
        Add(a, c) | Sub(a, c) | Mul(a, c) | Div(a, c) => {
            let op = match t {
                Add(..) => "add",
                Sub(..) => "sub",
                Mul(..) => "mul",
                _ => "div",
            };
            let (a, c) = (intern(dag, a), intern(dag, c));
            dag.add(op, vec![a, c])
        }
        Neg(a) => {
            let a = intern(dag, a);
            dag.add("neg", vec![a])
        }
    }
}

/// The normal form of `t` (no atoms or factors given: everything expanded).
fn nf(dag: &mut Dag, t: &T) -> Option<Poly> {
    let id = intern(dag, t);
    normal_form(dag, id, &|_| false, &|_| false, &mut Memo::new())
}

fn same(a: &T, c: &T) -> bool {
    let mut dag = Dag::default();
    let (p, q) = (nf(&mut dag, a), nf(&mut dag, c));
    p.is_some() && p == q
}

fn random(rng: &mut Rng, depth: usize) -> T {
    if depth == 0 || rng.below(4) == 0 {
        return match rng.below(3) {
            0 => Lit(LITS[rng.below(LITS.len())]),
            _ => Atom(ATOMS[rng.below(3)]),
        };
    }
    let (a, c) = (random(rng, depth - 1), random(rng, depth - 1));
    match rng.below(9) {
        0 | 1 => add(a, c),
        2 => sub(a, c),
        3..=5 => mul(a, c),
        6 => neg(a),
        // A divisor that is an atom plus 3 (never 0 at the sample points) or a literal.
        7 => div(a, add(Atom(ATOMS[rng.below(3)]), Lit(3.0))),
        _ => div(a, Lit([2.0, 4.0, 3.0, 0.5][rng.below(4)])),
    }
}

/// A ring identity applied somewhere in `t` (the result equals `t` over the reals).
fn rewrite_equal(t: &T, rng: &mut Rng) -> T {
    let here = rng.below(3) == 0;
    match t.clone() {
        Add(a, c) if here => match rng.below(3) {
            0 => add(*c, *a),
            1 => match *a {
                Add(p, q) => add(*p, add(*q, *c)),
                a => add(add(a, Lit(0.0)), *c),
            },
            _ => sub(*a, neg(*c)),
        },
        Mul(a, c) if here => match (rng.below(3), *a, *c) {
            (0, a, c) => mul(c, a),
            (1, a, Add(p, q)) => add(mul(a.clone(), *p), mul(a, *q)),
            (_, Mul(p, q), c) => mul(*p, mul(*q, c)),
            (_, a, c) => mul(mul(a, Lit(1.0)), c),
        },
        Sub(a, c) if here => add(*a, neg(*c)),
        Neg(a) if here => mul(Lit(-1.0), *a),
        Add(a, c) => add(rewrite_equal(&a, rng), *c),
        Sub(a, c) => sub(*a, rewrite_equal(&c, rng)),
        Mul(a, c) => mul(rewrite_equal(&a, rng), *c),
        Div(a, c) => div(rewrite_equal(&a, rng), *c),
        Neg(a) => neg(neg(neg(rewrite_equal(&a, rng)))),
        leaf => add(leaf, mul(Lit(0.0), Atom("z"))),
    }
}

/// An edit that usually changes the meaning: a literal moved, an operator swapped, an atom
/// renamed, a term dropped.
fn rewrite_other(t: &T, rng: &mut Rng) -> T {
    let here = rng.below(3) == 0;
    match t.clone() {
        Lit(c) => Lit(c + [1.0, 0.5, -2.0][rng.below(3)]),
        Atom(a) => Atom(ATOMS[(ATOMS.iter().position(|n| *n == a).unwrap() + 1) % 3]),
        Add(a, c) if here => {
            [sub(*a.clone(), *c.clone()), *a, mul(*c.clone(), *c)][rng.below(3)].clone()
        }
        Mul(a, c) if here => [add(*a.clone(), *c.clone()), *c][rng.below(2)].clone(),
        Sub(a, c) if here => add(*a, *c),
        Neg(a) if here => *a,
        Add(a, c) => add(*a, rewrite_other(&c, rng)),
        Sub(a, c) => sub(rewrite_other(&a, rng), *c),
        Mul(a, c) => mul(*a, rewrite_other(&c, rng)),
        Div(a, c) => div(rewrite_other(&a, rng), *c),
        Neg(a) => neg(rewrite_other(&a, rng)),
    }
}

/// `a` and `c` agree at `k` random points (relative tolerance: f64 rounds differently along
/// the two expressions).
fn agree(a: &T, c: &T, rng: &mut Rng, k: usize) -> bool {
    (0..k).all(|_| {
        let at = [0.5 + rng.unit(), 0.5 + rng.unit(), 0.5 + rng.unit()];
        let (u, v) = (eval(a, &at), eval(c, &at));
        (u - v).abs() <= 1e-9 * (1.0 + u.abs().max(v.abs()))
    })
}

#[test]
fn equal_normal_forms_mean_equal_values_on_random_terms_and_their_edits() {
    let mut rng = Rng::new(0x51_ca1e);
    let (mut pairs, mut equal_forms, mut unequal) = (0, 0, 0);
    for _ in 0..3000 {
        let a = random(&mut rng, 4);
        let c = match rng.below(3) {
            0 => rewrite_other(&a, &mut rng),
            1 => rewrite_equal(&a, &mut rng),
            _ => random(&mut rng, 3),
        };
        pairs += 1;
        if same(&a, &c) {
            equal_forms += 1;
            assert!(
                agree(&a, &c, &mut rng, 5),
                "one normal form, other values:\n  {a:?}\n  {c:?}"
            );
        } else if !agree(&a, &c, &mut rng, 1) {
            unequal += 1;
        }
    }
    // The test must be able to fail: enough pairs with equal forms, and many that differ.
    eprintln!("{pairs} pairs: {equal_forms} with one normal form, {unequal} differing in value");
    assert!(
        equal_forms > 800 && unequal > 1000,
        "{equal_forms} {unequal}"
    );
}

#[test]
fn ring_identities_keep_the_normal_form() {
    let mut rng = Rng::new(0x1de7);
    let mut checked = 0;
    for _ in 0..3000 {
        let a = random(&mut rng, 4);
        let mut c = a.clone();
        for _ in 0..1 + rng.below(4) {
            c = rewrite_equal(&c, &mut rng);
        }
        let mut dag = Dag::default();
        let (p, q) = (nf(&mut dag, &a), nf(&mut dag, &c));
        if p.is_none() {
            continue;
        }
        checked += 1;
        assert_eq!(
            p, q,
            "an identity changed the normal form:\n  {a:?}\n  {c:?}"
        );
    }
    assert!(checked > 2500, "{checked}");
}

#[test]
fn small_identities_and_non_identities() {
    let yes = [
        (add(x(), x()), mul(Lit(2.0), x())),
        (sub(x(), x()), Lit(0.0)),
        (
            mul(add(x(), y()), sub(x(), y())),
            sub(mul(x(), x()), mul(y(), y())),
        ),
        (add(Lit(0.5), Lit(0.25)), Lit(0.75)),
        (mul(Lit(-3.0), Lit(0.5)), Lit(-1.5)),
        (div(x(), Lit(4.0)), mul(Lit(0.25), x())),
        (div(x(), Lit(0.5)), add(x(), x())),
        (neg(neg(x())), x()),
        (div(x(), neg(y())), neg(div(x(), y()))),
        (div(x(), mul(y(), Lit(2.0))), mul(div(x(), y()), Lit(0.5))),
        (
            div(Lit(1.0), mul(x(), y())),
            mul(div(Lit(1.0), x()), div(Lit(1.0), y())),
        ),
        (mul(x(), mul(x(), x())), mul(mul(x(), x()), x())),
    ];
    for (a, c) in &yes {
        assert!(same(a, c), "not equated: {a:?} = {c:?}");
        assert!(agree(a, c, &mut Rng::new(3), 3));
    }
    let no = [
        (add(x(), x()), x()),
        (add(x(), x()), mul(Lit(3.0), x())),
        (mul(x(), x()), x()),
        (mul(x(), mul(x(), x())), mul(x(), x())),
        (add(Lit(1.0), Lit(1.0)), Lit(3.0)),
        (mul(Lit(2.0), Lit(2.0)), Lit(2.0)),
        (sub(x(), y()), sub(y(), x())),
        (neg(x()), x()),
        (div(x(), Lit(4.0)), mul(Lit(4.0), x())),
        (div(x(), Lit(2.0)), x()),
        (div(x(), y()), div(y(), x())),
        (div(x(), y()), mul(x(), y())),
        (div(mul(x(), y()), y()), mul(x(), y())),
        (mul(div(Lit(1.0), x()), x()), Lit(1.0)),
        (div(x(), x()), Lit(1.0)),
        (div(x(), Lit(3.0)), mul(x(), Lit(1.0 / 3.0))),
        (Lit(0.1), mul(Lit(0.1), Lit(1.0))),
    ];
    for (a, c) in &no[..no.len() - 1] {
        assert!(!same(a, c), "equated: {a:?} = {c:?}");
    }
    // `0.1` is not dyadic: an atom, and one atom times one is that atom again.
    let (a, c) = &no[no.len() - 1];
    assert!(same(a, c));
}

/// Which literals are constants: magnitudes below 2^20 on the grid of 2^-10 (so that sums and
/// products of a few stay exact); any other literal is an atom, equal only to itself. At the
/// edge: 2^20 - 1 and 2^-10 are constants, 2^20 and 2^-11 are atoms, so `(2^20 - 1) + 1` is
/// not the literal `2^20` (the same real, but the literal is read as an unknown).
#[test]
fn literals_are_constants_only_on_the_dyadic_grid() {
    let k = 1.0 / 1024.0;
    // Each literal against a sum or product of constants with its value.
    let constants = [
        (1048575.0, add(Lit(1048574.0), Lit(1.0))),
        (-1048575.0, add(Lit(-1048574.0), Lit(-1.0))),
        (k, add(Lit(3.0 * k), Lit(-2.0 * k))),
        (0.0, add(Lit(1.0), Lit(-1.0))),
    ];
    for (c, t) in &constants {
        assert!(same(t, &Lit(*c)), "{c} is a constant");
    }
    let atoms = [
        (1048576.0, add(Lit(1048575.0), Lit(1.0))),
        (-1048576.0, add(Lit(-1048575.0), Lit(-1.0))),
        (k / 2.0, mul(Lit(k), Lit(0.5))),
        (3.0 + k / 2.0, add(Lit(3.0), mul(Lit(k), Lit(0.5)))),
    ];
    for (c, t) in &atoms {
        assert!(!same(t, &Lit(*c)), "{c} is an atom");
        assert!(same(&Lit(*c), &Lit(*c)), "{c} is itself");
    }
}

/// The tuple-free scale factors (`Dag::factors`) are atoms unless their own form is a single
/// monomial: `(x + y)` as a factor does not distribute, `2·x` as a factor does.
#[test]
fn scale_factors_are_atoms_unless_a_single_monomial() {
    let mut dag = Dag::default();
    let s = intern(&mut dag, &add(x(), y()));
    let m = intern(&mut dag, &mul(Lit(2.0), x()));
    let z = dag.add("z", vec![]);
    let (sz, mz) = (dag.add("mul", vec![s, z]), dag.add("mul", vec![m, z]));
    let expanded = intern(&mut dag, &add(mul(x(), Atom("z")), mul(y(), Atom("z"))));
    let two_xz = intern(&mut dag, &mul(mul(Lit(2.0), x()), Atom("z")));
    let factors = |id| id == s || id == m;
    let form = |dag: &Dag, id, f: &dyn Fn(Id) -> bool| {
        normal_form(dag, id, &|_| false, f, &mut Memo::new())
    };
    assert_ne!(form(&dag, sz, &factors), form(&dag, expanded, &factors));
    assert_eq!(form(&dag, sz, &|_| false), form(&dag, expanded, &|_| false));
    // `two_xz` shares the node `m`, so it is compared expanded: 2·x·z, one monomial.
    let m_expanded = form(&dag, mz, &factors);
    assert_eq!(m_expanded, form(&dag, two_xz, &|_| false));
    assert_eq!(
        m_expanded.map(|p| p.values().copied().collect::<Vec<_>>()),
        Some(vec![2.0])
    );
    // A factor without a normal form (a sum f64 cannot hold) is an atom, not a failure.
    let big = intern(&mut dag, &mul(power_of_two(40), x()));
    let tiny = intern(
        &mut dag,
        &mul(mul(Lit(1.0 / 1024.0), Lit(1.0 / 1024.0)), x()),
    );
    let inexact = dag.add("add", vec![big, tiny]);
    let iz = dag.add("mul", vec![inexact, z]);
    assert_eq!(form(&dag, iz, &|_| false), None);
    assert_eq!(
        form(&dag, iz, &|id| id == inexact).map(|p| p.len()),
        Some(1)
    );
    // A node named an atom is opaque even when it is a sum.
    let atoms = |id| id == s;
    let a = normal_form(&dag, sz, &atoms, &|_| false, &mut Memo::new());
    assert_ne!(a, form(&dag, expanded, &|_| false));
    assert_eq!(a.map(|p| p.len()), Some(1));
    // So is a literal named an atom: 2 + 2 is then twice an unknown, not 4.
    let two = dag.num(2.0);
    let (four, two_two) = (dag.num(4.0), dag.add("add", vec![two, two]));
    let form_atoms =
        |id, atoms: &dyn Fn(Id) -> bool| normal_form(&dag, id, atoms, &|_| false, &mut Memo::new());
    assert_eq!(
        form_atoms(two_two, &|_| false),
        form_atoms(four, &|_| false)
    );
    assert_ne!(
        form_atoms(two_two, &|id| id == two),
        form_atoms(four, &|id| id == two)
    );
}

/// 2^k as a product of `k / 10` literals 1024 (each dyadic, so exact).
fn power_of_two(k: u32) -> T {
    (0..k / 10).fold(Lit(1.0), |t, _| mul(t, Lit(1024.0)))
}

#[test]
fn a_coefficient_f64_cannot_hold_gives_no_normal_form() {
    let mut dag = Dag::default();
    // 2^40·x + 2^-20·x: each product exact, the sum needs 61 bits.
    let tiny = mul(Lit(1.0 / 1024.0), Lit(1.0 / 1024.0));
    let big = power_of_two(40);
    let sum = add(mul(big.clone(), x()), mul(tiny.clone(), x()));
    assert_eq!(nf(&mut dag, &sum), None, "an inexact sum was rounded");
    assert!(!same(&sum, &mul(big.clone(), x())));
    // The same two coefficients on different monomials need no sum: a normal form.
    let apart = add(mul(big.clone(), x()), mul(tiny.clone(), y()));
    assert_eq!(nf(&mut dag, &apart).map(|p| p.len()), Some(2));
    // A product that rounds: (1 + 2^-10)^6 needs 61 bits.
    let p = Lit(1.0 + 1.0 / 1024.0);
    let six = (0..5).fold(p.clone(), |t, _| mul(t, p.clone()));
    assert_eq!(
        nf(&mut dag, &mul(six, x())),
        None,
        "an inexact product was rounded"
    );
    // A coefficient that overflows f64: 2^1030.
    let huge = mul(power_of_two(1030), x());
    assert_eq!(nf(&mut dag, &huge), None, "an infinite coefficient");
    // Exact sums stay: 2^40 + 2^40 = 2^41.
    let twice = add(mul(big.clone(), x()), mul(big.clone(), x()));
    assert!(same(&twice, &mul(mul(big, Lit(2.0)), x())));
}

#[test]
fn sums_cancel_to_the_zero_polynomial_and_only_then() {
    let mut dag = Dag::default();
    let zero = nf(&mut dag, &Lit(0.0));
    assert_eq!(zero.as_ref().map(|p| p.len()), Some(0));
    assert_eq!(nf(&mut dag, &sub(mul(x(), y()), mul(y(), x()))), zero);
    assert_eq!(nf(&mut dag, &add(x(), neg(x()))), zero);
    assert_ne!(nf(&mut dag, &add(x(), x())), zero);
    assert_ne!(nf(&mut dag, &sub(x(), neg(x()))), zero);
    // `x + x` is one monomial with coefficient 2 (the sum is added, not replaced).
    let p = nf(&mut dag, &add(x(), x())).unwrap();
    assert_eq!(p.values().copied().collect::<Vec<_>>(), [2.0]);
    let p = nf(&mut dag, &add(add(x(), x()), x())).unwrap();
    assert_eq!(p.values().copied().collect::<Vec<_>>(), [3.0]);
}

#[test]
fn more_monomials_than_the_cap_give_no_normal_form() {
    use checker::kernel::ring::MAX_TERMS;
    // (x1 + .. + x_n)·(y1 + .. + y_n) has n² monomials: n = 33 is 1,089 > 1,024.
    let names: Vec<String> = (0..33).map(|i| format!("a{i}")).collect();
    let others: Vec<String> = (0..33).map(|i| format!("b{i}")).collect();
    let mut dag = Dag::default();
    let sum = |dag: &mut Dag, ns: &[String]| {
        let ids: Vec<Id> = ns.iter().map(|n| dag.add(n, vec![])).collect();
        ids.into_iter()
            .reduce(|s, t| dag.add("add", vec![s, t]))
            .unwrap()
    };
    let (a, c) = (sum(&mut dag, &names), sum(&mut dag, &others));
    let form = |dag: &Dag, id| normal_form(dag, id, &|_| false, &|_| false, &mut Memo::new());
    assert_eq!(form(&dag, a).map(|p| p.len()), Some(33));
    let prod = dag.add("mul", vec![a, c]);
    assert_eq!(form(&dag, prod), None, "over {MAX_TERMS} monomials");
    // 31 × 33 = 1,023 monomials: within the cap.
    let a31 = sum(&mut dag, &names[..31]);
    let prod = dag.add("mul", vec![a31, c]);
    assert_eq!(form(&dag, prod).map(|p| p.len()), Some(1023));
    // A sum of 1,025 distinct atoms is over the cap too.
    let many: Vec<String> = (0..=MAX_TERMS).map(|i| format!("c{i}")).collect();
    let big = sum(&mut dag, &many);
    assert_eq!(form(&dag, big), None);
    let fits = sum(&mut dag, &many[..MAX_TERMS]);
    assert_eq!(form(&dag, fits).map(|p| p.len()), Some(MAX_TERMS));
}

/// A product's work is bounded before it is computed: factors whose monomial counts multiply
/// past `4 · MAX_TERMS` give up even when the product would cancel to few monomials, so a
/// hostile certificate cannot make one `mul` node cost a million monomial merges. At the bound
/// exactly, the product is computed. Here `(1 + x + .. + x^(n-1)) · ((1 - x)(1 + y + .. + y^31))`
/// telescopes to `(1 - x^n)(1 + .. + y^31)`, 64 monomials, from factors of `n` and 64.
#[test]
fn a_product_is_refused_before_it_is_computed_when_its_factors_are_too_large() {
    use checker::kernel::ring::MAX_TERMS;
    let mut dag = Dag::default();
    let (x, y, one) = (dag.add("x", vec![]), dag.add("y", vec![]), dag.num(1.0));
    // 1 + v + .. + v^(n-1), as a left-leaning sum of powers.
    let geometric = |dag: &mut Dag, v: Id, n: usize| {
        let (mut power, mut sum) = (one, one);
        for _ in 1..n {
            power = dag.add("mul", vec![power, v]);
            sum = dag.add("add", vec![sum, power]);
        }
        sum
    };
    let one_minus_x = dag.add("sub", vec![one, x]);
    let ys = geometric(&mut dag, y, 32);
    let h = dag.add("mul", vec![one_minus_x, ys]);
    let form = |dag: &Dag, id| normal_form(dag, id, &|_| false, &|_| false, &mut Memo::new());
    assert_eq!(form(&dag, h).map(|p| p.len()), Some(64));
    let g64 = geometric(&mut dag, x, 64);
    let g65 = geometric(&mut dag, x, 65);
    assert_eq!(64 * 64, 4 * MAX_TERMS);
    let at_bound = dag.add("mul", vec![g64, h]);
    let telescoped = form(&dag, at_bound).expect("64 × 64 factors are within the bound");
    assert_eq!(telescoped.len(), 64);
    assert!(telescoped.values().all(|c| c.abs() == 1.0));
    let over = dag.add("mul", vec![g65, h]);
    assert_eq!(form(&dag, over), None, "65 × 64 factors are over the bound");
}

/// A denominator is split into its factors (`1/(u·v) = (1/u)·(1/v)`, `1/(-u) = -(1/u)`) for
/// 63 steps, one per node popped, and what is left is read as reciprocal atoms: the split is
/// bounded even when the denominator is a DAG of squarings whose tree has 2^60 leaves. A
/// chain of 33 distinct factors splits fully (its 32 products are popped at steps 1, 3, ..,
/// 63); under a negation they are popped at steps 2, .., 64, and the innermost stays whole.
#[test]
fn a_denominator_is_split_for_a_bounded_number_of_steps() {
    let mut dag = Dag::default();
    let one = dag.num(1.0);
    let form = |dag: &Dag, id| normal_form(dag, id, &|_| false, &|_| false, &mut Memo::new());
    // y_k = y_(k-1)·y_(k-1), y_0 = x.
    let mut y = dag.add("x", vec![]);
    for _ in 0..60 {
        y = dag.add("mul", vec![y, y]);
    }
    let q = dag.add("div", vec![one, y]);
    assert!(form(&dag, q).is_some());
    // 1/(x1·..·xn) against (1/x1)·..·(1/xn), with the denominator negated or not.
    let split = |n: usize, negated: bool| {
        let mut dag = Dag::default();
        let one = dag.num(1.0);
        let xs: Vec<Id> = (0..n).map(|i| dag.add(&format!("x{i}"), vec![])).collect();
        let chain = xs.iter().copied().reduce(|a, b| dag.add("mul", vec![a, b]));
        let mut den = chain.unwrap();
        let recips: Vec<Id> = xs.iter().map(|&x| dag.add("div", vec![one, x])).collect();
        let mut expected = recips.into_iter().reduce(|a, b| dag.add("mul", vec![a, b]));
        if negated {
            den = dag.add("neg", vec![den]);
            expected = Some(dag.add("neg", vec![expected.unwrap()]));
        }
        let q = dag.add("div", vec![one, den]);
        let (a, b) = (form(&dag, q), form(&dag, expected.unwrap()));
        a.is_some() && a == b
    };
    assert!(split(32, false) && split(33, false) && split(32, true));
    assert!(!split(33, true), "the product popped at step 64 is an atom");
    assert!(!split(40, false));
    // A negation inside: x1·(-x0) innermost, then ·x2 .. ·xn. With n = 32 the negation is
    // popped at step 64 and stays whole; with n = 31, at step 62, and splits.
    let inner_neg = |n: usize| {
        let mut dag = Dag::default();
        let one = dag.num(1.0);
        let xs: Vec<Id> = (0..=n).map(|i| dag.add(&format!("x{i}"), vec![])).collect();
        let minus_x0 = dag.add("neg", vec![xs[0]]);
        let mut den = dag.add("mul", vec![xs[1], minus_x0]);
        let mut expected = dag.add("div", vec![one, minus_x0]);
        for &x in &xs[1..] {
            let r = dag.add("div", vec![one, x]);
            expected = dag.add("mul", vec![expected, r]);
        }
        for &x in &xs[2..] {
            den = dag.add("mul", vec![den, x]);
        }
        // 1/(-x0) splits at its own first step: -(1/x0)·(1/x1)·..·(1/xn).
        let q = dag.add("div", vec![one, den]);
        let (a, b) = (form(&dag, q), form(&dag, expected));
        a.is_some() && a == b
    };
    assert!(inner_neg(31));
    assert!(!inner_neg(32), "the negation popped at step 64 stays whole");
}

/// An exponent that overflows `u32` gives no normal form (x^(2^32) is not x^0).
#[test]
fn an_exponent_that_overflows_gives_no_normal_form() {
    let mut dag = Dag::default();
    let mut t = dag.add("x", vec![]);
    for _ in 0..32 {
        t = dag.add("mul", vec![t, t]);
    }
    let form = normal_form(&dag, t, &|_| false, &|_| false, &mut Memo::new());
    assert_eq!(form, None);
    let one = dag.num(1.0);
    let one = normal_form(&dag, one, &|_| false, &|_| false, &mut Memo::new());
    assert_ne!(form, one);
    // x^(2^31) is fine: one monomial.
    let mut t = dag.add("x", vec![]);
    for _ in 0..31 {
        t = dag.add("mul", vec![t, t]);
    }
    let form = normal_form(&dag, t, &|_| false, &|_| false, &mut Memo::new()).unwrap();
    assert_eq!(form.len(), 1);
    assert_eq!(
        form.keys()
            .next()
            .unwrap()
            .values()
            .copied()
            .collect::<Vec<_>>(),
        [1 << 31]
    );
}

/// A term the normaliser does not know (a primitive, a call symbol) is an atom: `sin(x)` is
/// not `x`, and two applications of it to equal arguments are one atom (hash-consed).
#[test]
fn other_operators_are_atoms() {
    let mut dag = Dag::default();
    let xi = dag.add("x", vec![]);
    let s1 = dag.add("sin", vec![xi]);
    let two = dag.num(2.0);
    let x2 = dag.add("mul", vec![xi, two]);
    let s2 = dag.add("sin", vec![x2]);
    // An `add` with one kid is not a sum (the arity is checked): an atom.
    let odd = dag.add("add", vec![xi]);
    let form = |id| normal_form(&dag, id, &|_| false, &|_| false, &mut Memo::new());
    assert_ne!(form(s1), form(xi));
    assert_ne!(form(s1), form(s2));
    assert_ne!(form(odd), form(xi));
    assert_eq!(form(odd).map(|p| p.len()), Some(1));
}
