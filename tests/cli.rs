//! The command line as a user runs it (SPEC §8): outputs, JSON shapes, exit statuses
//! (0 success, 1 rejected program, 2 usage or I/O error), and no panic on any input.

use std::process::{Command, Stdio};

mod common;
use common::{json, run as lina};

const EXAMPLE: &str = "def f(x: R) -> (R) = let y = 2.0 in y * (x + 2.0)\n";

#[test]
fn eval_prints_the_result_and_a_positive_work() {
    let r = lina(&["eval", "-", "--fn", "f", "--args", "2.0"], Some(EXAMPLE));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("(8.0)"), "{}", r.stdout);
    let r = lina(
        &[
            "eval", "-", "--fn", "f", "--args", "2.0", "--format", "json",
        ],
        Some(EXAMPLE),
    );
    let v = json(&r.stdout);
    assert_eq!(v["nonlinear"][0], 8.0);
    assert!(v["linear"].as_array().unwrap().is_empty());
    assert!(v["work"].as_u64().unwrap() > 0);
}

#[test]
fn eval_on_a_corpus_program_as_in_the_readme() {
    let r = lina(
        &[
            "eval",
            "corpus/worked_example.la",
            "--fn",
            "f",
            "--args",
            "2.0, 3.0",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!("{:?}", 6.0f64.sin() + 2.0)),
        "{}",
        r.stdout
    );
}

#[test]
fn special_values_on_the_command_line() {
    let r = lina(
        &[
            "eval", "-", "--fn", "f", "--args", "inf", "--format", "json",
        ],
        Some(EXAMPLE),
    );
    assert_eq!(json(&r.stdout)["nonlinear"][0], "Infinity");
    let r = lina(
        &[
            "eval", "-", "--fn", "f", "--args", "nan", "--format", "json",
        ],
        Some(EXAMPLE),
    );
    assert_eq!(json(&r.stdout)["nonlinear"][0], "NaN");
    let r = lina(&["eval", "-", "--fn", "f", "--args", "-inf"], Some(EXAMPLE));
    assert_eq!(r.code, 0);
}

#[test]
fn rejected_programs_exit_1_with_diagnostics() {
    let r = lina(
        &["eval", "-", "--fn", "f", "--args", "1"],
        Some("def f(x: R) -> (R) = x $"),
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("E0101"), "{}", r.stderr);
    let ill = "def f(; x': R) -> (; R) = let y' = x' in y' + x'";
    let r = lina(&["check", "-", "--format", "json"], Some(ill));
    assert_eq!(r.code, 1);
    let v = json(&r.stdout);
    assert_eq!(v["ok"], false);
    let d = &v["diagnostics"][0];
    for key in ["code", "message", "rule", "line", "column"] {
        assert!(d.get(key).is_some(), "no {key} in {d}");
    }
    // eval type-checks first and refuses an ill-typed program.
    let r = lina(
        &["eval", "-", "--fn", "f", "--linear-args", "1"],
        Some("def f(; x': R) -> (; R) = let a' = x' * x' in a'"),
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("E0206"), "{}", r.stderr);
}

#[test]
fn usage_and_io_errors_exit_2() {
    let cases: [&[&str]; 7] = [
        &["eval", "-", "--fn", "nope"],
        &["eval", "-", "--fn", "f"],
        &["eval", "-", "--fn", "f", "--args", "1, 2"],
        &["eval", "-", "--fn", "f", "--args", "<1>"],
        &["eval", "-", "--fn", "f", "--args", "x"],
        &["unzip", "-", "--policy", "never"],
        &["frobnicate"],
    ];
    for args in cases {
        assert_eq!(lina(args, Some(EXAMPLE)).code, 2, "{args:?}");
    }
    assert_eq!(lina(&["fmt", "/no/such/file.la"], None).code, 2);
    assert_eq!(lina(&[], None).code, 2);
}

/// A source over `MAX_SOURCE_BYTES` is refused (status 2, the limit named; the parser's own
/// refusal would be status 1). The file is sparse, so it costs no disk; that `read_source`
/// refuses it from its size, before reading, is not observable here.
#[test]
fn a_source_over_the_size_limit_is_refused_before_it_is_read() {
    let dir = std::env::temp_dir();
    let (big, limit) = (
        dir.join("lina-too-large.la"),
        semantics::MAX_SOURCE_BYTES as u64,
    );
    std::fs::File::create(&big)
        .unwrap()
        .set_len(limit + 1)
        .unwrap();
    let r = lina(&["check", big.to_str().unwrap()], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("larger than {limit} bytes")),
        "{}",
        r.stderr
    );
    std::fs::remove_file(&big).unwrap();
}

#[test]
fn check_accepts_the_corpus_and_linear_b_rejects_a_mixed_function() {
    let r = lina(&["check", "corpus/worked_example.la"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = lina(&["check", "corpus/relaxed_unused_param.la"], None);
    assert_eq!(r.code, 1);
    assert_eq!(
        lina(
            &["check", "corpus/relaxed_unused_param.la", "--relaxed"],
            None
        )
        .code,
        0
    );
    let mixed = "def f(x: R ; y': R) -> (R ; R) = (x ; y')";
    let r = lina(&["check", "-", "--linear-b"], Some(mixed));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("E030"), "{}", r.stderr);
}

#[test]
fn every_transformation_prints_a_program_lina_check_accepts() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/neural_net.la"))
        .unwrap();
    let jvp = lina(&["jvp", "-"], Some(&src));
    assert_eq!(jvp.code, 0, "{}", jvp.stderr);
    assert_eq!(lina(&["check", "-"], Some(&jvp.stdout)).code, 0);
    for policy in ["save-all", "recompute-all", "budget=3"] {
        let unzipped = lina(&["unzip", "-", "--policy", policy], Some(&jvp.stdout));
        assert_eq!(unzipped.code, 0, "{}", unzipped.stderr);
        assert!(unzipped.stdout.contains("residual scalars"));
        assert_eq!(
            lina(&["check", "-", "--linear-b"], Some(&unzipped.stdout)).code,
            0,
            "{policy}"
        );
        let t = lina(&["transpose", "-"], Some(&unzipped.stdout));
        assert_eq!(t.code, 0, "{}", t.stderr);
        assert_eq!(lina(&["check", "-", "--linear-b"], Some(&t.stdout)).code, 0);
    }
    let v = lina(&["vjp", "-"], Some(&src));
    assert_eq!(lina(&["check", "-", "--linear-b"], Some(&v.stdout)).code, 0);
    let e = lina(&["elaborate", "corpus/relaxed_mixed.la"], None);
    assert_eq!(lina(&["check", "-"], Some(&e.stdout)).code, 0);
    // Transposing a program that is not in Linear B is a rejection, not a crash.
    assert_eq!(lina(&["transpose", "-"], Some(&jvp.stdout)).code, 1);
}

#[test]
fn grad_of_the_worked_example() {
    let r = lina(
        &[
            "grad",
            "corpus/worked_example.la",
            "--fn",
            "f",
            "--args",
            "2.0, 3.0",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r.stdout);
    let c = 6.0f64.cos();
    assert_eq!(v["gradient"][0].as_f64().unwrap(), 3.0 * c + 1.0);
    assert_eq!(v["gradient"][1].as_f64().unwrap(), 2.0 * c);
    assert_eq!(v["value"][0].as_f64().unwrap(), 6.0f64.sin() + 2.0);
    assert!(v["work"]["vjp"].as_u64().unwrap() > v["work"]["f"].as_u64().unwrap());
    // A function with several results needs a cotangent.
    let two = "def g(x: R) -> (R, R) = (x * x, x)";
    assert_eq!(
        lina(&["grad", "-", "--fn", "g", "--args", "3"], Some(two)).code,
        2
    );
    let r = lina(
        &[
            "grad",
            "-",
            "--fn",
            "g",
            "--args",
            "3",
            "--cotangent",
            "1, 10",
            "--format",
            "json",
        ],
        Some(two),
    );
    assert_eq!(json(&r.stdout)["gradient"][0], 16.0);
}

#[test]
fn cost_reports_work_and_size_of_every_stage() {
    let r = lina(
        &[
            "cost",
            "corpus/worked_example.la",
            "--fn",
            "f",
            "--args",
            "2.0, 3.0",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r.stdout);
    for key in ["f", "jvp", "nonlin", "lin", "transpose", "vjp"] {
        assert!(v["work"][key].as_u64().unwrap() > 0, "{key}");
        assert!(v["size"][key].as_u64().unwrap() > 0, "{key}");
    }
    assert_eq!(v["work"]["f"], 10);
    let vjp = v["work"]["vjp"].as_u64().unwrap();
    assert_eq!(
        vjp,
        v["work"]["nonlin"].as_u64().unwrap() + v["work"]["transpose"].as_u64().unwrap()
    );
}

#[test]
fn no_input_makes_any_command_panic() {
    let inputs = [
        "",
        "def",
        "def f(x: R) -> (R) = f(x)",
        "def f(x: R) -> (R) = g(x)\ndef g(x: R) -> (R) = x",
        "def f(x: R) -> (R) = let <a> = x in a",
        "def f(; x': R) -> (; R) = sin(x')",
        "def f(x: <R, R>) -> (<R>) = x",
        "def f() -> () = ()",
        "def f(x: R) -> () = drop(x)",
        "def f(x: R) -> (R) = x\ndef f(x: R) -> (R) = x",
        "def f(x: R) -> (R) = x\ndef f.jvp(x: R) -> (R) = x",
        &format!(
            "def f(x: R) -> (R) = {}x{}",
            "(".repeat(5000),
            ")".repeat(5000)
        ),
    ];
    let commands: [&[&str]; 10] = [
        &["check", "-"],
        &["fmt", "-"],
        &["elaborate", "-"],
        &["jvp", "-"],
        &["unzip", "-"],
        &["transpose", "-"],
        &["vjp", "-"],
        &["eval", "-", "--fn", "f", "--args", "1"],
        &["grad", "-", "--fn", "f", "--args", "1"],
        &["cost", "-", "--fn", "f", "--args", "1"],
    ];
    for input in inputs {
        for cmd in commands {
            let r = lina(cmd, Some(input));
            assert!(
                matches!(r.code, 0..=2),
                "lina {cmd:?} on {input:?} exited {}",
                r.code
            );
        }
    }
}

/// Issue 10.8: an output that cannot be written is a failure (status 2, with a message where one
/// can still be written), never a panic and never a silent success; a closed pipe stays a quiet
/// success. `/dev/full` fails every write with ENOSPC.
#[test]
fn unwritable_output_is_status_2_and_a_closed_pipe_is_success() {
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let run = |args: &[&str], out: Stdio, err: Stdio| {
        let o = Command::new(env!("CARGO_BIN_EXE_lina"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let example = "corpus/worked_example.la";
    for args in [
        vec!["fmt", example],
        vec!["vjp", example],
        vec!["eval", example, "--fn", "f", "--args", "2.0, 3.0"],
        vec!["check", example, "--format", "json"],
        vec!["--help"],
    ] {
        let (code, stderr) = run(&args, full().into(), Stdio::piped());
        assert_eq!(code, Some(2), "lina {args:?} >/dev/full");
        assert!(
            stderr.contains("cannot write to standard output"),
            "{stderr}"
        );
    }
    // A rejected program whose diagnostics cannot be written: status 2, no panic (was 101).
    let bad = std::env::temp_dir().join("lina-unwritable-stderr.la");
    std::fs::write(&bad, "def f(x: R) -> (R) = y\n").unwrap();
    let (code, _) = run(
        &["check", bad.to_str().unwrap()],
        Stdio::null(),
        full().into(),
    );
    assert_eq!(code, Some(2));
    // A reader that goes away early: success, nothing on stderr.
    let mut child = Command::new(env!("CARGO_BIN_EXE_lina"))
        .args(["vjp", example])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The call DAG `f{i} = f{i-1}(x) + f{i-1}(x)`: `2^depth` work in `depth + 1` lines.
fn call_dag(depth: usize) -> String {
    let mut s = String::from("def f0(x: R) -> (R) = sin(x)\n");
    for i in 1..=depth {
        s += &format!("def f{i}(x: R) -> (R) = f{}(x) + f{}(x)\n", i - 1, i - 1);
    }
    s
}

/// Issue 10.7: work is known before running, so a program over the limit is refused with its
/// own code (E0410) instead of running until killed, and work beyond `u128` is E0421, not an
/// internal error.
#[test]
fn work_over_the_limit_is_refused_before_running() {
    let src = call_dag(60);
    for cmd in ["eval", "cost", "grad"] {
        let r = lina(&[cmd, "-", "--fn", "f60", "--args", "1.0"], Some(&src));
        assert_eq!(r.code, 1, "{cmd}: {}", r.stderr);
        assert!(r.stderr.contains("E0410"), "{cmd}: {}", r.stderr);
        // The exact figure, by SPEC §3: W(f0) = cost(sin) + 1 atom = 2; each `f{i}` is two lets
        // (1 + call 1 + atom 1 + W(f{i-1}) each) and an add of two atoms (3): 2 W + 9.
        let mut w: u128 = 2;
        for _ in 0..60 {
            w = 2 * w + 9;
        }
        assert!(r.stderr.contains(&w.to_string()), "{cmd}: {}", r.stderr);
    }
    // The limit is the user's: a small one refuses a small function, a large one runs it.
    let small = call_dag(3);
    let r = lina(
        &[
            "eval",
            "-",
            "--fn",
            "f3",
            "--args",
            "1.0",
            "--max-work",
            "10",
        ],
        Some(&small),
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("E0410"));
    let r = lina(
        &[
            "eval",
            "-",
            "--fn",
            "f3",
            "--args",
            "1.0",
            "--max-work",
            "100",
        ],
        Some(&small),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Beyond 2^128: a coded limit, never E0599.
    let huge = call_dag(200);
    for args in [
        vec!["eval", "-", "--fn", "f200", "--args", "1.0"],
        vec!["grad", "-", "--fn", "f200", "--args", "1.0"],
    ] {
        let r = lina(&args, Some(&huge));
        assert_eq!(r.code, 1, "{args:?}");
        assert!(r.stderr.contains("E0421"), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("E0599"), "{args:?}: {}", r.stderr);
    }
}

/// Issue 10.10: `grad --fn g` differentiates what `g` calls, so a linear function elsewhere in
/// the file is no obstacle; and E0505 says "not in Linear B" once.
#[test]
fn grad_differentiates_the_call_closure_and_messages_say_things_once() {
    let src = "def h(; y': R) -> (; R) = y'\ndef s(x: R) -> (R) = x * x\ndef g(x: R) -> (R) = sin(s(x))\n";
    let r = lina(
        &[
            "grad", "-", "--fn", "g", "--args", "2.0", "--format", "json",
        ],
        Some(src),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let g = json(&r.stdout)["gradient"][0].as_f64().unwrap();
    // d/dx sin(x^2) = 2x cos(x^2), computed here independently.
    assert!((g - 4.0 * 4.0f64.cos()).abs() < 1e-12, "{g}");
    let jvp = lina(&["jvp", "corpus/worked_example.la"], None);
    let t = lina(&["transpose", "-"], Some(&jvp.stdout));
    assert_eq!(t.code, 1);
    assert!(t.stderr.contains("E0505"), "{}", t.stderr);
    assert_eq!(
        t.stderr.matches("is not in Linear B").count(),
        1,
        "{}",
        t.stderr
    );
}
