//! `lina prove` and `lina equiv` as a user runs them: outcomes, JSON, exit statuses (0 every
//! claim proved, 1 refuted or unknown or rejected, 2 usage), refutations with their point,
//! and hand-written programs that differ from lina's syntactically but not in meaning.

mod common;
use common::lina_run as lina;

/// Writes `src` to a fresh file and returns its path.
fn file(name: &str, src: &str) -> String {
    let dir = std::env::temp_dir().join(format!("lina-prove-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, src).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn prove_the_worked_example() {
    let r = lina(&["prove", "corpus/worked_example.la"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for claim in [
        "jvp-primal",
        "jvp-tangent",
        "unzip [recompute-all]",
        "transpose",
        "vjp [save-all]",
    ] {
        assert!(
            r.stdout.contains(&format!("f {claim}")) || r.stdout.contains(claim),
            "{claim}: {}",
            r.stdout
        );
    }
    assert!(!r.stdout.contains("unknown") && !r.stdout.contains("refuted"));
}

#[test]
fn prove_json_reports_every_claim() {
    let r = lina(&[
        "prove",
        "corpus/worked_example.la",
        "--claim",
        "vjp",
        "--policy",
        "save-all",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["ok"], true);
    let claims = v["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 3, "one vjp claim per function");
    for c in claims {
        assert_eq!(c["outcome"], "proved");
        assert_eq!(c["claim"], "vjp");
        assert!(
            c["egraph_nodes"].is_u64() && c["proof_length"].is_u64() && c["time_ms"].is_number()
        );
    }
}

#[test]
fn prove_explain_prints_rewrite_steps() {
    let r = lina(&[
        "prove",
        "corpus/worked_example.la",
        "--claim",
        "vjp",
        "--policy",
        "save-all",
        "--explain",
    ]);
    assert_eq!(r.code, 0);
    // The VJP is the composition of the transpose, unzip and jvp lemmas, step by step.
    for step in [
        "=> lemma:f.jvp.lin:transpose#0@0 at []",
        "=> lemma:f.jvp:unzip#0@0 at []",
        "=> lemma:f:jvp-tangent#0@0 at []",
    ] {
        assert!(r.stdout.contains(step), "{step}: {}", r.stdout);
    }
}

#[test]
fn prove_usage_and_rejection() {
    assert_eq!(
        lina(&["prove", "corpus/worked_example.la", "--claim", "nope"]).code,
        2
    );
    assert_eq!(
        lina(&["prove", "corpus/worked_example.la", "--policy", "nope"]).code,
        2
    );
    assert_eq!(lina(&["prove", "no/such/file.la"]).code, 2);
    let ill = file("ill.la", "def f(x: R) -> (R) = sin(y)\n");
    assert_eq!(lina(&["prove", &ill]).code, 1);
}

#[test]
fn equiv_proves_regrouped_programs_and_refutes_wrong_ones() {
    let a = file("a.la", "def f(x: R, y: R) -> (R) = x * (y + 1.0)\n");
    let same = file("b.la", "def f(x: R, y: R) -> (R) = y * x + x\n");
    let wrong = file("c.la", "def f(x: R, y: R) -> (R) = y * x - x\n");
    let r = lina(&["equiv", &a, &same]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = lina(&["equiv", &a, &wrong, "--format", "json"]);
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["claims"][0]["outcome"], "refuted");
    assert!(v["claims"][0]["counterexample"]["point"].is_array());
    assert_eq!(lina(&["equiv", &a, &same, "--fn", "nope"]).code, 2);
}

const LINEAR: &str = "def g(a: R, b: R ; u': R, v': R) -> (; R) =\n  let p' = a * u' in\n  let q' = b * v' in\n  p' + q'\n";

#[test]
fn equiv_adjoint_checks_hand_written_transposes() {
    let l = file("l.la", LINEAR);
    // Factors regrouped and the cotangent copied with a relaxed double use.
    let good = file(
        "lt.la",
        "def g.T(a: R, b: R ; ct': R) -> (; R, R) =\n  let u' = a * ct' in\n  let v' = b * ct' in\n  (; u', v')\n",
    );
    let swapped = file(
        "lt_swapped.la",
        "def g.T(a: R, b: R ; ct': R) -> (; R, R) =\n  let u' = a * ct' in\n  let v' = b * ct' in\n  (; v', u')\n",
    );
    let signed = file(
        "lt_sign.la",
        "def g.T(a: R, b: R ; ct': R) -> (; R, R) =\n  let u' = a * ct' in\n  let v' = -b * ct' in\n  (; u', v')\n",
    );
    let r = lina(&["equiv", "--adjoint", &l, &good]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for bad in [&swapped, &signed] {
        let r = lina(&["equiv", "--adjoint", &l, bad]);
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert!(
            r.stdout.contains("refuted") && r.stdout.contains("counterexample"),
            "{}",
            r.stdout
        );
    }
}

const F: &str = "def f(x: R, y: R) -> (R) = sin(x * y) + x\n";

#[test]
fn equiv_derivative_checks_hand_written_jvps() {
    let f = file("f.la", F);
    // The sum reordered and the factors regrouped, relative to lina's JVP.
    let good = file(
        "d.la",
        "def f.jvp(x: R, y: R ; x': R, y': R) -> (R ; R) =\n  let z = x * y in\n  let c = cos(z) in\n  (sin(z) + x ; x' + (x * c) * y' + (c * y) * x')\n",
    );
    let missing = file(
        "d_missing.la",
        "def f.jvp(x: R, y: R ; x': R, y': R) -> (R ; R) =\n  let z = x * y in\n  let c = cos(z) in\n  (sin(z) + x ; (x * c) * y' + (c * y) * x')\n",
    );
    let sign = file(
        "d_sign.la",
        "def f.jvp(x: R, y: R ; x': R, y': R) -> (R ; R) =\n  let z = x * y in\n  let c = -cos(z) in\n  (sin(z) + x ; x' + (x * c) * y' + (c * y) * x')\n",
    );
    let r = lina(&["equiv", "--derivative", &f, &good]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for bad in [&missing, &sign] {
        let r = lina(&["equiv", "--derivative", &f, bad]);
        assert_eq!(r.code, 1, "{}", r.stdout);
        assert!(
            r.stdout.contains("refuted") && r.stdout.contains("counterexample"),
            "{}",
            r.stdout
        );
    }
}

#[test]
fn equiv_derivative_checks_hand_written_vjps() {
    let f = file("fv.la", F);
    let good = file(
        "v.la",
        "def f.jvp.nonlin(x: R, y: R) -> (R, <R, R, R>) =\n  let z = x * y in\n  (sin(z) + x, <x, y, cos(z)>)\n\ndef f.jvp.lin.T(r: <R, R, R> ; ct': R) -> (; R, R) =\n  let <x, y, c> = r in\n  (; ct' + (y * c) * ct', (c * x) * ct')\n",
    );
    let swapped = file(
        "v_bad.la",
        "def f.jvp.nonlin(x: R, y: R) -> (R, <R, R, R>) =\n  let z = x * y in\n  (sin(z) + x, <x, y, cos(z)>)\n\ndef f.jvp.lin.T(r: <R, R, R> ; ct': R) -> (; R, R) =\n  let <x, y, c> = r in\n  (; (c * x) * ct', ct' + (y * c) * ct')\n",
    );
    let r = lina(&["equiv", "--derivative", &f, &good]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = lina(&["equiv", "--derivative", &f, &swapped]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("counterexample"), "{}", r.stdout);
}

#[test]
fn prove_a_call_dag_whose_residuals_nest() {
    // f30's residual holds two of f29's: 2^30 residual scalars, one tuple term each.
    let mut src = String::from("def f0(x: R) -> (R) = sin(x)\n");
    for k in 1..=30 {
        src += &format!(
            "def f{k}(x: R) -> (R) = f{}(x) * f{}(cos(x))\n",
            k - 1,
            k - 1
        );
    }
    let path = file("call_dag.la", &src);
    let start = std::time::Instant::now();
    let r = lina(&["prove", &path, "--format", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(start.elapsed().as_secs() < 60);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let claims = v["claims"].as_array().unwrap();
    for name in ["jvp-tangent", "unzip", "transpose", "vjp"] {
        assert!(
            claims
                .iter()
                .any(|c| c["claim"] == name
                    && c["func"].as_str().is_some_and(|f| f.starts_with("f30"))),
            "{name}: {}",
            r.stdout
        );
    }
    assert!(claims.iter().all(|c| c["outcome"] == "proved"));
}
