//! Unzip claims (SPEC §4, §5): the output is strict Linear B; running `.nonlin` then `.lin`
//! reproduces the input function bit for bit under every checkpoint policy; residuals are
//! minimal (parameters only under recompute-all, at most K under a budget K that recompute-all
//! can meet); and the work relation holds.

use properties::testing::run_unzipped;
use rewrite::{Policy, Unzipped, jvp, unzip, vjp, work_bounds};
use semantics::corpus::{self, CorpusFile};
use semantics::numeric::Rng;
use semantics::*;

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

const POLICIES: [Policy; 5] = [
    Policy::SaveAll,
    Policy::RecomputeAll,
    Policy::Budget(0),
    Policy::Budget(2),
    Policy::Budget(6),
];

/// Every corpus program as unzip input: the JVP of each nonlinear program, and each program of
/// `corpus/linear` (Linear A programs that are not JVP outputs).
fn inputs() -> Vec<(CorpusFile, Program)> {
    let mut out = Vec::new();
    for f in corpus::load("").unwrap() {
        let p = checker::elaborate(&parse(&f.src).unwrap(), prims()).unwrap();
        out.push((f.clone(), jvp(&p, prims()).unwrap()));
    }
    for f in corpus::load("linear").unwrap() {
        let p = checker::elaborate(&parse(&f.src).unwrap(), prims()).unwrap();
        out.push((f, p));
    }
    out
}

fn same_bits(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.bit_eq(y))
}

#[test]
fn unzip_output_is_strict_linear_b_under_every_policy() {
    for (file, p) in inputs() {
        for pol in POLICIES {
            let u = unzip(&p, prims(), pol).unwrap_or_else(|e| panic!("{}: {pol}: {e}", file.name));
            let text = print(&u.program);
            if let Err(d) = checker::check(&u.program, prims(), checker::Options::default()) {
                panic!(
                    "{}: {pol}:\n{}\n{text}",
                    file.name,
                    render(&d, &file.name, &text)
                );
            }
            let lb = checker::check_linear_b(&u.program);
            assert!(lb.is_empty(), "{}: {pol}: {}", file.name, lb[0].message());
            assert_eq!(
                parse(&text).unwrap(),
                u.program,
                "{}: {pol}: round trip",
                file.name
            );
        }
    }
}

#[test]
fn nonlin_then_lin_equals_the_input_exactly_under_every_policy() {
    let mut rng = Rng::new(5);
    let mut checked = 0;
    for (file, p) in inputs() {
        let us: Vec<Unzipped> = POLICIES
            .iter()
            .map(|&pol| unzip(&p, prims(), pol).unwrap())
            .collect();
        for (i, f) in p.funcs.iter().enumerate() {
            for _ in 0..3 {
                let nl: Vec<Value> = f
                    .params
                    .iter()
                    .map(|q| rng.value(&q.ty, 0.5, 1.5))
                    .collect();
                let lin: Vec<Value> = f
                    .lparams
                    .iter()
                    .map(|q| rng.value(&q.ty, -1.0, 1.0))
                    .collect();
                let Ok(want) = eval_fn(&p, prims(), FuncId(i as u32), &nl, &lin) else {
                    continue;
                };
                for (u, pol) in us.iter().zip(POLICIES) {
                    let (a, b) = run_unzipped(u, prims(), i, &nl, &lin)
                        .unwrap_or_else(|e| panic!("{}: {}: {pol}: {e}", file.name, f.name));
                    assert!(
                        same_bits(&a, &want.nl) && same_bits(&b, &want.lin),
                        "{}: {}: {pol}: unzipped results differ",
                        file.name,
                        f.name
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn residuals_are_parameters_only_under_recompute_all_and_within_budget() {
    for (file, p) in inputs() {
        let all = unzip(&p, prims(), Policy::RecomputeAll).unwrap();
        for r in all.reports.iter().filter(|r| r.split) {
            // The residual tuple `.nonlin` builds holds parameters of `.nonlin` only.
            let nonlin = &all.program.funcs[r.outputs.0.0 as usize];
            let Expr::Ret { nl: results, .. } = &nonlin.body.tail else {
                panic!("{}: no return", r.name)
            };
            let last = results
                .last()
                .and_then(Atom::var)
                .expect("the residual tuple is the last result");
            let res = nonlin.body.binds.iter().find_map(|b| match b {
                Bind::Let {
                    nl,
                    rhs: Expr::Tuple { items, .. },
                    ..
                } if nl == &[last.id] => Some(items.clone()),
                _ => None,
            });
            let params: Vec<LocalId> = nonlin.params.iter().map(|q| q.var).collect();
            for a in res.expect("a residual tuple") {
                assert!(
                    matches!(a, Atom::Var(v) if params.contains(&v.id)),
                    "{}: {}: residual is not a parameter",
                    file.name,
                    r.name
                );
            }
        }
        for k in [0u128, 2, 6] {
            let b = unzip(&p, prims(), Policy::Budget(k)).unwrap();
            for (rb, ra) in b.reports.iter().zip(&all.reports) {
                if ra.residual_scalars <= k {
                    assert!(
                        rb.residual_scalars <= k,
                        "{}: {}: budget={k} gives {}",
                        file.name,
                        rb.name,
                        rb.residual_scalars
                    );
                }
            }
        }
    }
}

#[test]
fn unzip_work_relation() {
    let mut rows = Vec::new();
    for (file, p) in inputs() {
        let w = static_work(&p, prims()).unwrap();
        for pol in POLICIES {
            let u = unzip(&p, prims(), pol).unwrap();
            let wu = static_work(&u.program, prims()).unwrap();
            let bound = work_bounds::unzip_overhead(&p, &u, prims());
            for (i, r) in u.reports.iter().enumerate() {
                let after =
                    wu[r.outputs.0.0 as usize] + r.outputs.1.map_or(0, |l| wu[l.0 as usize]);
                let allowed = w[i] + r.recomputed_work + bound[i];
                assert!(
                    after <= allowed,
                    "{}: {}: {pol}: W(.nonlin) + W(.lin) = {after} > {allowed}",
                    file.name,
                    r.name
                );
                rows.push((
                    file.name.clone(),
                    r.name.clone(),
                    pol,
                    w[i],
                    after,
                    r.recomputed_work,
                    r.residual_scalars,
                ));
            }
        }
    }
    for row in rows.iter().filter(|r| r.2 == Policy::SaveAll).take(12) {
        println!("{row:?}");
    }
}

#[test]
fn a_million_let_jvp_body_unzips() {
    let n = 1_000_000;
    let mut src = String::with_capacity(n * 30);
    src.push_str("def f(x0: R) -> (R) =\n");
    for i in 1..=n {
        src += &format!("  let x{i} = sin(x{}) in\n", i - 1);
    }
    src += &format!("  x{n}\n");
    let j = jvp(&parse(&src).unwrap(), prims()).unwrap();
    let u = unzip(&j, prims(), Policy::SaveAll).unwrap();
    let (a, b) = run_unzipped(&u, prims(), 0, &[Value::Real(0.5)], &[Value::Real(1.0)]).unwrap();
    let want = eval_fn(
        &j,
        prims(),
        FuncId(0),
        &[Value::Real(0.5)],
        &[Value::Real(1.0)],
    )
    .unwrap();
    assert!(same_bits(&a, &want.nl) && same_bits(&b, &want.lin));
}

#[test]
fn snapshots_of_the_unzipped_jvp_of_every_corpus_program() {
    for f in corpus::load("").unwrap() {
        let p = checker::elaborate(&parse(&f.src).unwrap(), prims()).unwrap();
        let j = jvp(&p, prims()).unwrap();
        for pol in [Policy::SaveAll, Policy::RecomputeAll] {
            let u = unzip(&j, prims(), pol).unwrap();
            insta::assert_snapshot!(format!("{}__{pol}", f.name), print(&u.program));
        }
    }
}

/// Size: each output node comes from at most two copies of an input node (an item recomputed
/// lands in both halves), plus per residual a tuple atom, a binder and a type (3), per binder a
/// possible drop of it (5), and per function a residual tuple, its destructure and the two
/// returns (12 + k for k results): `|.nonlin| + |.lin| ≤ 10·|f| + 12 + k`.
#[test]
fn unzip_output_size_is_within_a_constant_factor() {
    let mut worst = 0f64;
    for (file, p) in inputs() {
        for pol in POLICIES {
            let u = unzip(&p, prims(), pol).unwrap();
            for (i, r) in u.reports.iter().enumerate() {
                let f = &p.funcs[i];
                let before = fn_size(f);
                let after: u128 = fn_size(&u.program.funcs[r.outputs.0.0 as usize])
                    + r.outputs
                        .1
                        .map_or(0, |l| fn_size(&u.program.funcs[l.0 as usize]));
                let k = (f.results.len() + f.lresults.len()) as u128;
                assert!(
                    after <= 10 * before + 12 + k,
                    "{}: {}: {pol}: size {after} vs {before}",
                    file.name,
                    r.name
                );
                worst = worst.max(after as f64 / before as f64);
            }
        }
    }
    println!("|.nonlin| + |.lin| over |f|: worst {worst:.2}");
}

/// `f0 = sin`, `f{i} = f{i-1}(x) + f{i-1}(x)`: `2^depth` work in `depth + 1` lines.
fn call_dag(depth: usize) -> Program {
    let mut s = String::from("def f0(x: R) -> (R) = sin(x)\n");
    for i in 1..=depth {
        s += &format!("def f{i}(x: R) -> (R) = f{}(x) + f{}(x)\n", i - 1, i - 1);
    }
    parse(&s).unwrap()
}

/// `f0 = sin`, `f{i} = f{i-1}(x) * 1.0`: a chain of calls `depth` long.
fn call_chain(depth: usize) -> Program {
    let mut s = String::from("def f0(x: R) -> (R) = sin(x)\n");
    for i in 1..=depth {
        s += &format!("def f{i}(x: R) -> (R) = f{}(x) * 1.0\n", i - 1);
    }
    parse(&s).unwrap()
}

/// Issue 10.6: residual types held their callees' residual types spelled out, so on a call DAG
/// the VJP's text doubled per level (1.4 MB at depth 15, over 4 GB at 20), and on a chain of
/// 255 calls the residual type nested past the checker's depth limit. Residual types that hold
/// tuples are named once (`type f.jvp.res = <...>`), so the output is linear in the input at
/// every depth, reads back as the same program, and is checked (Linear B) under every policy.
#[test]
fn residual_types_are_named_so_reverse_mode_output_is_linear_in_size() {
    let mut per_line = Vec::new();
    for depth in [5, 15, 20, 60, 200] {
        let p = call_dag(depth);
        for pol in [Policy::SaveAll, Policy::RecomputeAll, Policy::Budget(3)] {
            let v = vjp(&p, prims(), pol).unwrap_or_else(|e| panic!("depth {depth} {pol}: {e}"));
            let text = print(&v.program);
            let back = parse(&text).unwrap_or_else(|d| panic!("{}", render(&d, "v.la", &text)));
            assert_eq!(back, v.program, "depth {depth} {pol}");
            checker::check(&back, prims(), checker::Options::default()).unwrap();
            assert!(checker::check_linear_b(&back).is_empty());
            println!(
                "call DAG depth {depth:>3}, {pol}: vjp prints {} bytes",
                text.len()
            );
            per_line.push(text.len() as f64 / (depth + 1) as f64);
        }
    }
    // Bytes of output per input line: the same at depth 5 as at depth 200.
    let (lo, hi) = per_line
        .iter()
        .fold((f64::MAX, 0.0f64), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(hi < 1000.0 && hi / lo < 3.0, "{per_line:?}");
    // The gradient of f20 = 2^20 sin is 2^20 cos, exactly as computed here.
    let p = call_dag(20);
    let v = vjp(&p, prims(), Policy::SaveAll).unwrap();
    let (nonlin, lin_t) = v.halves(20).unwrap();
    let fwd = eval_fn(&v.program, prims(), nonlin, &[Value::Real(0.5)], &[]).unwrap();
    let res = fwd.nl[1].clone();
    let back = eval_fn(&v.program, prims(), lin_t, &[res], &[Value::Real(1.0)]).unwrap();
    assert_eq!(back.lin[0].as_real(), Some(1048576.0 * 0.5f64.cos()));
}

#[test]
fn a_chain_of_5000_calls_has_a_gradient() {
    for depth in [255, 5000] {
        let p = call_chain(depth);
        let v = vjp(&p, prims(), Policy::SaveAll).unwrap_or_else(|e| panic!("{depth}: {e}"));
        let text = print(&v.program);
        assert!(text.len() < 600 * depth, "{} bytes", text.len());
        checker::check(&v.program, prims(), checker::Options::default()).unwrap();
        let (nonlin, lin_t) = v.halves(depth).unwrap();
        let fwd = eval_fn(&v.program, prims(), nonlin, &[Value::Real(0.5)], &[]).unwrap();
        let res = fwd.nl[1].clone();
        let back = eval_fn(&v.program, prims(), lin_t, &[res], &[Value::Real(1.0)]).unwrap();
        // d/dx (sin x * 1.0 * ... * 1.0) = cos x, exactly: every factor is 1.
        assert_eq!(back.lin[0].as_real(), Some(0.5f64.cos()), "{depth}");
    }
}

/// Issue 10.4: the budget ordering multiplied two `u128` work figures; on a call DAG doing
/// about 2^120 work that overflowed (a panic in this debug-built test). Every budget works.
#[test]
fn budget_on_a_dag_doing_2_pow_120_work() {
    let p = call_dag(118);
    let mut q = print(&p);
    // A function that saves several scalars per call of the huge one, so the budget must choose.
    q += "def top(x: R, y: R) -> (R) =\n  let a = f118(x) * y in\n  let b = sin(a) * f118(y) in\n  b * a\n";
    let p = parse(&q).unwrap();
    let w = static_work(&p, prims()).unwrap();
    assert!(w[w.len() - 1] > 1u128 << 120, "{}", w[w.len() - 1]);
    for k in [0, 1, 2, 3, 5, 100] {
        let u = unzip(&jvp(&p, prims()).unwrap(), prims(), Policy::Budget(k)).unwrap();
        checker::check(&u.program, prims(), checker::Options::default()).unwrap();
        let top = u.reports.last().unwrap();
        assert!(
            top.residual_scalars <= k.max(3),
            "budget {k}: {}",
            top.residual_scalars
        );
    }
}
