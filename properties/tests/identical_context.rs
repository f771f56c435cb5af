//! The `identical` kept claim (a function printed alike in input and output is itself) must
//! read each text in its context. Above a user function named like a primitive, `sin(x)` is
//! the primitive; below it, `sin(x)` is a call of that function. Moving `f` above `sin` in the
//! output keeps `f`'s text but changes its meaning from `2x` to `sin x`: neither the producer
//! nor the kernel may call that transpose identical.

use rewrite::certificate::{Pass, certify, certify_output};
use semantics::{PrimTable, parse};

const INPUT: &str = "def sin(x: R) -> (R) = x * 2.0\n\
                     def f(x: R) -> (R) = sin(x)\n\
                     def h(x: R) -> (R) = x\n";
/// `f` moved above `sin`: the same text for `f`, whose `sin(x)` is now the primitive.
const MOVED: &str = "def f(x: R) -> (R) = sin(x)\n\
                     def sin(x: R) -> (R) = x * 2.0\n\
                     def h(x: R) -> (R) = x\n";

/// The two programs really differ at `f` (checked by evaluation, not by the kernel).
#[test]
fn moving_a_function_above_its_callee_changes_its_meaning() {
    let prims = PrimTable::standard();
    let (a, b) = (parse(INPUT).unwrap(), parse(MOVED).unwrap());
    let at = |p: &semantics::Program| {
        let f = p.funcs.iter().position(|f| f.name == "f").unwrap();
        let id = semantics::FuncId(f as u32);
        let out = semantics::eval_fn(p, prims, id, &[semantics::Value::Real(1.0)], &[]).unwrap();
        format!("{:?}", out.nl)
    };
    assert_ne!(at(&a), at(&b));
    assert_eq!(
        semantics::print(&a).split("\n\n").nth(1),
        semantics::print(&b).split("\n\n").next()
    );
}

#[test]
fn the_producer_does_not_call_a_moved_function_identical() {
    let prims = PrimTable::standard();
    let cert = certify_output(
        &parse(INPUT).unwrap(),
        prims,
        Pass::Transpose,
        parse(MOVED).unwrap(),
    )
    .unwrap();
    let f = cert.claims.iter().find(|c| c.function == "f").unwrap();
    assert_ne!(f.outcome, "proved", "{f:?}");
    assert!(f.obligations.iter().all(|o| o.what != "identical"), "{f:?}");
}

#[test]
fn the_kernel_rejects_an_identical_claim_for_a_moved_function() {
    let prims = PrimTable::standard();
    let (_, mut cert) = certify(&parse(INPUT).unwrap(), prims, Pass::Transpose).unwrap();
    // The honest certificate uses the rule for `f` (so the test below is not vacuous), and
    // verifies.
    let f = cert.claims.iter().position(|c| c.function == "f").unwrap();
    assert_eq!(cert.claims[f].obligations[0].what, "identical");
    checker::refute::verify(&serde_json::to_string(&cert).unwrap()).unwrap();
    // The tampering: `f` moved above `sin`, its work figure made true of the moved `f`.
    cert.output = MOVED.to_string();
    let moved = parse(MOVED).unwrap();
    let w = semantics::static_work(&moved, prims).unwrap();
    let at = moved.funcs.iter().position(|g| g.name == "f").unwrap();
    let row = cert.work.iter_mut().find(|r| r.function == "f").unwrap();
    row.work_out = w[at];
    let e = checker::refute::verify(&serde_json::to_string(&cert).unwrap());
    assert!(e.is_err(), "accepted: {e:?}");
}

/// Each function's values at three seeded points, by name (`None` where evaluation fails).
fn values(p: &semantics::Program, name: &str) -> Vec<Option<String>> {
    let prims = PrimTable::standard();
    let Some(i) = p.funcs.iter().position(|f| f.name == name) else {
        return Vec::new();
    };
    let f = &p.funcs[i];
    let mut rng = semantics::numeric::Rng::new(11);
    (0..3)
        .map(|_| {
            let nl: Vec<_> = f
                .params
                .iter()
                .map(|q| rng.value(&q.ty, 0.3, 1.7))
                .collect();
            let lin: Vec<_> = f
                .lparams
                .iter()
                .map(|q| rng.value(&q.ty, -1.0, 1.0))
                .collect();
            let id = semantics::FuncId(i as u32);
            let out = semantics::eval_fn(p, prims, id, &nl, &lin).ok()?;
            Some(format!("{:?}", (out.nl, out.lin)))
        })
        .collect()
}

/// The structural tampering that single-leaf tampering misses: on every corpus program (and
/// the program above), each function of the transpose's output is moved to the front and to
/// the end, and the moved output certified (`certify_output`) and verified. Whenever the
/// kernel accepts the certificate with every claim proved, each moved function must evaluate
/// as before; a move that changes a meaning must never be proved.
#[test]
fn a_moved_function_is_proved_only_when_it_means_the_same() {
    let prims = PrimTable::standard();
    let mut sources: Vec<(String, String)> = semantics::corpus::load("")
        .unwrap()
        .into_iter()
        .map(|f| (f.name, f.src))
        .collect();
    sources.push(("identical_context".into(), INPUT.into()));
    let (mut proved, mut changed, mut moves) = (0, 0, 0);
    for (name, src) in sources {
        let p = parse(&src).unwrap();
        let Ok((out, _)) = certify(&p, prims, Pass::Transpose) else {
            continue;
        };
        let printed = semantics::print(&out);
        let chunks: Vec<&str> = printed.split("\n\n").map(str::trim_end).collect();
        let first = usize::from(chunks[0].starts_with("type "));
        let n = chunks.len();
        for i in first..n {
            for j in [first, n - 1].into_iter().filter(|&j| j != i) {
                let mut c = chunks.clone();
                let moved = c.remove(i);
                c.insert(j, moved);
                let Ok(q) = parse(&(c.join("\n\n") + "\n")) else {
                    continue;
                };
                let Ok(cert) = certify_output(&p, prims, Pass::Transpose, q.clone()) else {
                    continue;
                };
                moves += 1;
                let same = out
                    .funcs
                    .iter()
                    .all(|f| values(&out, &f.name) == values(&q, &f.name));
                changed += usize::from(!same);
                let json = serde_json::to_string(&cert).unwrap();
                let all_proved = cert.claims.iter().all(|c| c.outcome == "proved");
                if all_proved && checker::refute::verify(&json).is_ok() {
                    proved += 1;
                    assert!(
                        same,
                        "{name}: moving function {i} to {j} changed a meaning, proved"
                    );
                }
            }
        }
    }
    eprintln!("{moves} moves certified: {proved} proved, {changed} changed a meaning");
    assert!(
        proved > 0 && changed > 0,
        "vacuous: {moves} moves, {proved} proved, {changed} changed"
    );
}
