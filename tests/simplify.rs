//! `lina simplify` and `lina vjp --simplify` as a user runs them: the output is a strict
//! program (Linear B for a VJP) that `lina check` accepts, with the same values as the
//! input, less work where it says so, and a proof per function; the exit statuses of SPEC §8.

mod common;
use common::{json, run as lina};

const REDUNDANT: &str =
    "def f(x: R, y: R) -> (R) =\n  let a = sin(x * y) in\n  let b = sin(x * y) in\n  a * 1.0 + b\n";

#[test]
fn simplify_removes_a_repeated_sine_and_keeps_the_value() {
    let r = lina(&["simplify", "-"], Some(REDUNDANT));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let body = r.stdout.split("\n\n").last().unwrap_or_default();
    assert_eq!(body.matches("sin(").count(), 1, "{}", r.stdout);
    // The output checks strictly and evaluates to the input's value, with less work.
    let c = lina(&["check", "-"], Some(&r.stdout));
    assert_eq!(c.code, 0, "{}", c.stderr);
    let args = ["--fn", "f", "--args", "0.7, -1.3", "--format", "json"];
    let before = json(&lina(&[&["eval", "-"][..], &args].concat(), Some(REDUNDANT)).stdout);
    let after = json(&lina(&[&["eval", "-"][..], &args].concat(), Some(&r.stdout)).stdout);
    let expected = 2.0 * (0.7f64 * -1.3).sin();
    for v in [&before, &after] {
        assert!(
            (v["nonlinear"][0].as_f64().unwrap() - expected).abs() < 1e-12,
            "{v}"
        );
    }
    assert!(after["work"].as_u64() < before["work"].as_u64());
}

#[test]
fn simplify_json_reports_work_and_the_proof_per_function() {
    let r = lina(&["simplify", "-", "--format", "json"], Some(REDUNDANT));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r.stdout);
    assert_eq!(v["ok"], true);
    let f = &v["functions"][0];
    assert_eq!(f["func"], "f");
    assert_eq!(f["outcome"], "proved");
    assert_eq!(f["simplified"], true);
    assert!(f["work_after"].as_u64() < f["work_before"].as_u64(), "{f}");
    let program = v["program"].as_str().unwrap();
    assert_eq!(lina(&["check", "-"], Some(program)).code, 0);
}

#[test]
fn vjp_simplify_prints_a_linear_b_program_with_the_same_gradient() {
    let r = lina(&["vjp", "corpus/shared_subexpr.la", "--simplify"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("simplified, proved"), "{}", r.stdout);
    let c = lina(&["check", "--linear-b", "-"], Some(&r.stdout));
    assert_eq!(c.code, 0, "{}", c.stderr);
    let plain = lina(&["vjp", "corpus/shared_subexpr.la"], None);
    assert_eq!(plain.code, 0);
    // Same forward values and cotangents at a point, on every function pair.
    for (name, args) in [("many_uses", "0.9"), ("gauss_kernel", "1.2, 0.5, 0.8")] {
        let nonlin = format!("{name}.jvp.nonlin");
        let run = |src: &str| {
            let out = json(
                &lina(
                    &[
                        "eval", "-", "--fn", &nonlin, "--args", args, "--format", "json",
                    ],
                    Some(src),
                )
                .stdout,
            );
            out["nonlinear"][0].as_f64()
        };
        if run(&plain.stdout).is_some() {
            assert_eq!(
                run(&plain.stdout).map(|x| (x * 1e9).round()),
                run(&r.stdout).map(|x| (x * 1e9).round())
            );
        }
    }
}

#[test]
fn simplify_exit_statuses() {
    // An unknown --fn is a usage error; an ill-typed program is rejected.
    assert_eq!(
        lina(&["simplify", "-", "--fn", "nope"], Some(REDUNDANT)).code,
        2
    );
    assert_eq!(lina(&["simplify", "no/such/file.la"], None).code, 2);
    let bad = lina(&["simplify", "-"], Some("def f(x: R) -> (R) = sin(x, x)\n"));
    assert_eq!(bad.code, 1, "{}", bad.stdout);
    let bad = lina(
        &["simplify", "-", "--format", "json"],
        Some("def f(x: R) -> (R) = y\n"),
    );
    assert_eq!(bad.code, 1);
    assert_eq!(json(&bad.stdout)["ok"], false);
    // --fn keeps only the function and what it calls.
    let two = format!("{REDUNDANT}def g(x: R) -> (R) = f(x, x)\ndef h(x: R) -> (R) = x\n");
    let r = lina(&["simplify", "-", "--fn", "g"], Some(&two));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("def g(") && !r.stdout.contains("def h("),
        "{}",
        r.stdout
    );
}
