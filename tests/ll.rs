//! The λLL commands as a user runs them: `lina encode`, `lina vjp --route ll`,
//! `lina grad --route ll` (outputs, agreement with the Linear A route, exit statuses).

mod common;
use common::{Run, lina_run as lina};

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

#[test]
fn encode_prints_a_lambda_ll_program_the_checker_accepts() {
    for file in [
        "corpus/worked_example.la",
        "corpus/nested_tuples.la",
        "corpus/linear/basics.la",
    ] {
        if !std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(file)
            .exists()
        {
            continue;
        }
        let r = lina(&["encode", file]);
        assert_eq!(r.code, 0, "{file}: {}", r.stderr);
        let p =
            semantics::ll::parse(&r.stdout).unwrap_or_else(|d| panic!("{file}: {}", d[0].message));
        assert!(checker::ll::check(&p, Default::default()).is_ok(), "{file}");
    }
    let r = lina(&["encode", "corpus/worked_example.la"]);
    assert!(
        r.stdout.contains("def f : (!R * !R) -o !R ="),
        "{}",
        r.stdout
    );
}

#[test]
fn vjp_route_ll_prints_closures_that_check() {
    let r = lina(&["vjp", "--route", "ll", "corpus/worked_example.la"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("def f.jvp : (!R * !R) -o (!R * !(R -o (R * R))) ="),
        "{}",
        r.stdout
    );
    let p = semantics::ll::parse(&r.stdout).unwrap();
    assert!(checker::ll::check(&p, Default::default()).is_ok());
}

#[test]
fn grad_route_ll_equals_the_linear_a_route() {
    for (file, func, args) in [
        ("corpus/worked_example.la", "f", "2.0, 3.0"),
        ("corpus/worked_example.la", "f_twice", "0.3"),
        ("corpus/heron.la", "heron", "3.0, 4.0, 5.0"),
    ] {
        let a = lina(&[
            "grad", file, "--fn", func, "--args", args, "--format", "json",
        ]);
        let b = lina(&[
            "grad", file, "--fn", func, "--args", args, "--route", "ll", "--format", "json",
        ]);
        if a.code == 2 && b.code == 2 {
            continue; // that corpus function is not there any more
        }
        assert_eq!(
            (a.code, b.code),
            (0, 0),
            "{file} {func}: {} {}",
            a.stderr,
            b.stderr
        );
        let (ja, jb) = (json(&a), json(&b));
        assert_eq!(ja["value"], jb["value"], "{file} {func}");
        let (ga, gb) = (
            ja["gradient"].as_array().unwrap(),
            jb["gradient"].as_array().unwrap(),
        );
        assert_eq!(ga.len(), gb.len());
        for (x, y) in ga.iter().zip(gb) {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
                "{file} {func}: {x} vs {y}"
            );
        }
        assert!(jb["work"]["vjp"].as_u64().unwrap() > 0);
    }
    let t = lina(&[
        "grad",
        "corpus/worked_example.la",
        "--fn",
        "f",
        "--args",
        "2.0, 3.0",
        "--route",
        "ll",
    ]);
    assert_eq!(t.code, 0);
    assert!(
        t.stdout
            .starts_with("value: (1.7205845018010741)\ngradient: ("),
        "{}",
        t.stdout
    );
}

#[test]
fn rejected_programs_and_usage_errors_get_their_exit_statuses() {
    let ill = "corpus/ill/e0208_prim_of_tuple.la";
    assert_eq!(lina(&["encode", ill]).code, 1);
    assert_eq!(lina(&["vjp", "--route", "ll", ill]).code, 1);
    let r = lina(&[
        "grad", ill, "--fn", "f", "--args", "1.0", "--route", "ll", "--format", "json",
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(json(&r)["ok"], false);
    // Linear parts: JVP refuses (E0501).
    let lin = "corpus/linear/basics.la";
    if std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(lin)
        .exists()
    {
        let r = lina(&["vjp", "--route", "ll", lin]);
        assert_eq!(r.code, 1, "{}", r.stderr);
    }
    assert_eq!(lina(&["encode", "no/such/file.la"]).code, 2);
    let r = lina(&[
        "grad",
        "corpus/worked_example.la",
        "--fn",
        "nope",
        "--args",
        "1.0",
        "--route",
        "ll",
    ]);
    assert_eq!(r.code, 2);
    let r = lina(&[
        "grad",
        "corpus/worked_example.la",
        "--fn",
        "f",
        "--args",
        "1.0",
        "--route",
        "ll",
    ]);
    assert_eq!(r.code, 2, "wrong number of arguments");
    assert_eq!(
        lina(&[
            "grad",
            "corpus/worked_example.la",
            "--fn",
            "f",
            "--args",
            "1.0, 2.0",
            "--route",
            "nope"
        ])
        .code,
        2
    );
}

/// `grad --route ll` differentiates what `--fn` calls (`semantics::call_closure`, shared with
/// the Linear A route): a linear function elsewhere in the file, which λLL's JVP refuses, does
/// not stand in the way; a function without results is a usage error on both routes.
#[test]
fn grad_route_ll_differentiates_the_call_closure_as_the_linear_a_route_does() {
    let src = "
def scale(x: R ; y': R) -> (R ; R) = (x ; x * y')
def sq(x: R) -> (R) = x * x
def f(x: R, y: R) -> (R) = let s = sq(x) in s * y
def none(x: R) -> () = drop(x)
";
    let run = |route: bool, func: &str| {
        let mut args = vec!["grad", "-", "--fn", func, "--args"];
        if func == "none" {
            args.extend(["1.0", "--cotangent", ""]);
        } else {
            args.push("2.0, 3.0");
        }
        args.extend(["--format", "json"]);
        if route {
            args.extend(["--route", "ll"]);
        }
        common::run(&args, Some(src))
    };
    let (a, b) = (run(false, "f"), run(true, "f"));
    assert_eq!((a.code, b.code), (0, 0), "{} {}", a.stderr, b.stderr);
    // d/dx x²y = 2xy = 12, d/dy = x² = 4.
    assert_eq!(
        json(&b)["gradient"],
        serde_json::json!([12.0, 4.0]),
        "{}",
        b.stdout
    );
    assert_eq!(json(&a)["gradient"], json(&b)["gradient"]);
    let (a, b) = (run(false, "none"), run(true, "none"));
    assert_eq!((a.code, b.code), (2, 2), "{} {}", a.stderr, b.stderr);
    assert!(
        b.stderr.contains("no results to differentiate"),
        "{}",
        b.stderr
    );
}
