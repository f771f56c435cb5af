//! Wide tuples, from a few lines of text: `type A{i} = <A{i-1}, A{i-1}>` gives a type of
//! `2^(d+1)` scalars in `d` lines, and even a tuple written out `n` wide costs `n²` in the
//! lowerings of `prove`, `--certify` and `verify` (every linear leaf has a row over the
//! inputs; a transpose claim has a coefficient per pair). Each command must stay bounded:
//! the functions over the lowering's budget (`checker::kernel::walk::refused`) are `unknown`,
//! never proved, and the others are still proved. Each run has an address-space limit, so a
//! regression fails the test instead of exhausting the machine.

use std::process::Command;

fn program(width: Width) -> String {
    let (mut text, ty) = match width {
        Width::Doubling(d) => {
            let mut t = String::from("type A0 = <R, R>\n");
            for i in 1..d {
                t.push_str(&format!("type A{i} = <A{}, A{}>\n", i - 1, i - 1));
            }
            (t, format!("A{}", d - 1))
        }
        Width::Written(n) => (String::new(), format!("<{}>", vec!["R"; n].join(", "))),
    };
    text.push_str(&format!("def g(x: {ty}) -> ({ty}) = x\n"));
    text.push_str("def f(y: R) -> (R) = sin(y) * y\n");
    text
}

#[derive(Clone, Copy, Debug)]
enum Width {
    Doubling(usize),
    Written(usize),
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `lina ARGS` under a 2 GB address-space limit.
fn lina(args: &[&str]) -> Out {
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 2000000; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_lina"))
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("memory allocation"),
        "{args:?}: {stderr}"
    );
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

fn temp(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("lina-wide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_string_lossy().into_owned()
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// Each claim's (function, outcome) in a report of `prove` (`func`) or `verify` (`function`).
fn outcomes(report: &serde_json::Value) -> Vec<(String, String)> {
    let claims = report["claims"].as_array().unwrap();
    let field = |c: &serde_json::Value, k: &str| c[k].as_str().map(String::from);
    claims
        .iter()
        .map(|c| {
            let func = field(c, "func").or_else(|| field(c, "function")).unwrap();
            (func, field(c, "outcome").unwrap())
        })
        .collect()
}

/// `g` (over the budget) `unknown` in every claim, `f` proved.
fn g_unknown_f_proved(claims: &[(String, String)], width: Width) {
    for (func, outcome) in claims {
        let want = if func.starts_with('g') {
            "unknown"
        } else {
            "proved"
        };
        assert_eq!(outcome, want, "{width:?}: {func}");
    }
}

#[test]
fn wide_types_are_refused_not_blown_up() {
    for width in [
        Width::Doubling(7),
        Width::Doubling(16),
        Width::Doubling(63),
        Width::Doubling(64),
        Width::Doubling(69),
        Width::Written(200),
    ] {
        let file = temp(&format!("{width:?}.la"));
        std::fs::write(&file, program(width)).unwrap();
        // `prove`: `g`'s claims unknown (exit 1), `f`'s proved.
        let p = lina(&["prove", &file, "--format", "json"]);
        assert_eq!(p.code, 1, "{width:?}: {}", p.stderr);
        let claims = outcomes(&json(&p.stdout));
        assert!(!claims.is_empty(), "{width:?}");
        g_unknown_f_proved(&claims, width);
        // `vjp --certify` then `verify`: accepted, `g`'s claim unknown, `f`'s proved.
        let cert = temp(&format!("{width:?}.json"));
        let c = lina(&["vjp", &file, "--certify", &cert]);
        assert_eq!(c.code, 0, "{width:?}: {}", c.stderr);
        let v = lina(&["verify", &cert, "--format", "json"]);
        assert_eq!(v.code, 0, "{width:?}: {}", v.stderr);
        let claims = outcomes(&json(&v.stdout));
        g_unknown_f_proved(&claims, width);
        assert!(
            claims.iter().any(|(f, _)| f == "f"),
            "{width:?}: {claims:?}"
        );
    }
}

/// Below the budget a wide identity is still proved by both the prover and the kernel.
#[test]
fn a_narrower_tuple_is_still_proved() {
    let file = temp("narrow.la");
    std::fs::write(&file, program(Width::Doubling(4))).unwrap();
    let p = lina(&["prove", &file, "--format", "json"]);
    assert_eq!(p.code, 0, "{}", p.stdout);
    assert!(
        outcomes(&json(&p.stdout))
            .iter()
            .all(|(_, o)| o == "proved")
    );
    let cert = temp("narrow.json");
    assert_eq!(lina(&["vjp", &file, "--certify", &cert]).code, 0);
    let v = lina(&["verify", &cert, "--format", "json"]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    let all = outcomes(&json(&v.stdout));
    assert!(
        all.iter().any(|(f, _)| f == "g") && all.iter().all(|(_, o)| o == "proved"),
        "{all:?}"
    );
}

/// `simplify` keeps a function over the budget as it is (it would lower it as `prove` does),
/// and `encode` refuses what λLL, which has no type names, would spell out exponentially.
#[test]
fn simplify_and_encode_stay_bounded() {
    for d in [4, 16, 69] {
        let file = temp(&format!("se{d}.la"));
        std::fs::write(&file, program(Width::Doubling(d))).unwrap();
        let s = lina(&["simplify", &file]);
        assert_eq!(s.code, 0, "{d}: {}", s.stderr);
        assert!(
            s.stdout
                .contains(&format!("def g(x: A{}) -> (A{}) =\n  x\n", d - 1, d - 1))
        );
        assert_eq!(
            s.stdout.contains("over the lowering's leaf budget"),
            d > 4,
            "{}",
            s.stdout
        );
        let e = lina(&["encode", &file]);
        match d {
            4 => assert!(e.code == 0 && e.stdout.contains("def g :"), "{}", e.stderr),
            _ => assert!(e.code == 1 && e.stderr.contains("E0770") && e.stdout.is_empty()),
        }
    }
}

/// A chain of aliases, `type A{i} = <A{i-1}>`, is a type as deep as the program is long (one
/// scalar): `simplify` walks it on a stack that grows, `encode` refuses to spell it out
/// (λLL's types are trees: a chain 10^5 deep overflowed the stack when dropped).
#[test]
fn deep_alias_chains_do_not_overflow_the_stack() {
    for n in [1_000, 100_000] {
        let mut text = String::from("type A0 = <R>\n");
        for i in 1..n {
            text.push_str(&format!("type A{i} = <A{}>\n", i - 1));
        }
        text.push_str(&format!("def g(x: A{m}) -> (A{m}) = x\n", m = n - 1));
        let file = temp(&format!("chain{n}.la"));
        std::fs::write(&file, text).unwrap();
        let s = lina(&["simplify", &file]);
        assert_eq!(s.code, 0, "{n}: {}", s.stderr);
        assert!(
            s.stdout
                .contains(&format!("def g(x: A{m}) -> (A{m}) =", m = n - 1))
        );
        let e = lina(&["encode", &file]);
        assert!(
            e.code == 1 && e.stderr.contains("E0770"),
            "{n}: {}",
            e.stderr
        );
        let why = if n == 1_000 {
            "nest deeper than 256 levels"
        } else {
            "more than"
        };
        assert!(e.stderr.contains(why), "{n}: {}", e.stderr);
        // The kernel names `g`'s input by its path, `x.0.0...` (made once, not per level:
        // per level it was quadratic in the depth, 4 GB at 10^5).
        let cert = temp(&format!("chain{n}.json"));
        assert_eq!(lina(&["vjp", &file, "--certify", &cert]).code, 0);
        let v = lina(&["verify", &cert]);
        assert_eq!(v.code, 0, "{n}: {}", v.stderr);
    }
}
