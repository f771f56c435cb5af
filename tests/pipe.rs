//! Passes piped into each other through text (`lina jvp F | lina unzip - | lina transpose -`)
//! give the programs the library computes in one process: printing carries everything a later
//! pass reads, `@checkpoint` marks included (deleting the mark's printing makes `lina unzip -`
//! save what the mark says to recompute, and these tests fail).

use semantics::{PrimTable, Program, parse, print};
use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `lina args` with `stdin`; its stdout, after asserting success.
fn lina(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lina"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "lina {args:?} failed ({:?}):\n{}\non input:\n{stdin}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The program a pass printed (its report comments aside).
fn read(text: &str) -> Program {
    parse(text).unwrap_or_else(|d| panic!("{}\n{text}", d[0].message))
}

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

/// `jvp | unzip - | transpose -` through the binary equals the library's passes, stage by
/// stage, and equals `lina vjp`.
fn assert_pipe_matches(src: &str, policy: &str) {
    let p = read(src);
    let pol = rewrite::Policy::parse(policy).unwrap();
    let j = rewrite::jvp(&p, prims()).unwrap();
    let u = rewrite::unzip(&j, prims(), pol).unwrap().program;
    let t = rewrite::transpose(&u, prims()).unwrap();

    let jvp_text = lina(&["jvp", "-"], src);
    assert_eq!(read(&jvp_text), j, "lina jvp differs from jvp\n{src}");
    let unzip_text = lina(&["unzip", "-", "--policy", policy], &jvp_text);
    assert_eq!(
        read(&unzip_text),
        u,
        "lina jvp | lina unzip - differs from unzip(jvp(p)):\npiped:\n{unzip_text}\nin process:\n{}",
        print(&u)
    );
    let t_text = lina(&["transpose", "-"], &unzip_text);
    assert_eq!(read(&t_text), t, "the piped transpose differs\n{src}");
    let vjp_text = lina(&["vjp", "-", "--policy", policy], src);
    assert_eq!(read(&vjp_text), t, "lina vjp differs from the pipe\n{src}");
}

const MARKED: &str = "\
@checkpoint
def f(x: R, y: R) -> (R) = sin(x * y) * cos(x) + exp(y)

def g(x: R) -> (R) = f(x, x) * tanh(x)
";

#[test]
fn jvp_piped_into_unzip_honours_checkpoint_marks_as_in_process() {
    assert_pipe_matches(MARKED, "save-all");
    // The mark matters here: without it, unzip saves what the mark recomputes, so a pipe that
    // lost the mark would be told apart.
    let unmarked = MARKED.replace("@checkpoint\n", "");
    let j = |s: &str| rewrite::jvp(&read(s), prims()).unwrap();
    let u = |s: &str| rewrite::unzip(&j(s), prims(), rewrite::Policy::SaveAll).unwrap();
    let (m, n) = (u(MARKED), u(&unmarked));
    let f = |u: &rewrite::Unzipped| {
        let r = u.reports.iter().find(|r| r.name == "f.jvp").unwrap();
        (r.residual_scalars, r.recomputed_work)
    };
    assert!(
        f(&m).1 > 0 && f(&n).1 == 0 && f(&m) != f(&n),
        "the mark changes f.jvp's split: marked {:?}, unmarked {:?}",
        f(&m),
        f(&n)
    );
    assert!(
        j(MARKED).funcs.iter().any(|f| f.checkpoint),
        "jvp carries the mark"
    );
    let piped = read(&lina(&["jvp", "-"], MARKED));
    assert!(
        piped
            .funcs
            .iter()
            .any(|f| f.name == "f.jvp" && f.checkpoint),
        "the printed jvp carries the mark"
    );
}

/// Every corpus program that JVP takes, as written and with every function marked, under
/// each policy.
#[test]
fn every_corpus_program_piped_through_the_passes_equals_the_in_process_vjp() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "la"))
        .collect();
    files.sort();
    let mut n = 0;
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap();
        let Ok(p) = parse(&src) else { continue };
        if checker::check(&p, prims(), checker::Options { relaxed: true }).is_err()
            || rewrite::jvp(&p, prims()).is_err()
        {
            continue;
        }
        let marked: String = src
            .lines()
            .map(|l| {
                if l.starts_with("def ") {
                    format!("@checkpoint\n{l}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        for policy in ["save-all", "recompute-all", "budget=2"] {
            assert_pipe_matches(&src, policy);
        }
        assert_pipe_matches(&marked, "save-all");
        n += 1;
    }
    assert!(n >= 20, "only {n} corpus programs piped");
}
