//! Running the `lina` binary as a user does, for every CLI test file: one harness, so every test
//! asserts the same things of every run (no panic, the exit status, both streams).

// Each test crate uses part of this module.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// `lina ARGS` in the repository root, with `stdin` as its standard input (none: empty).
pub fn run(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lina"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        // lina may exit (a usage error) before reading its input: a closed pipe is not a failure.
        let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "lina {args:?} panicked:\n{}",
        run.stderr
    );
    run
}

/// `lina ARGS` with no input.
pub fn lina_run(args: &[&str]) -> Run {
    run(args, None)
}

pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}
