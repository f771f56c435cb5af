//! `docs/tutorial.md` cannot go stale: every ```` ```console ```` block holds one command
//! (`$ lina ...`, pipes `|` between lina commands allowed, `> FILE` to write a picture) and the
//! output it prints. This test runs each command and fails if an output, or a committed picture
//! under `docs/pictures/`, differs. `LINA_REGENERATE=1 cargo test --test tutorial` rewrites the
//! outputs and the pictures instead (the one command that regenerates them).

use std::io::Write;
use std::process::{Command, Stdio};

const TUTORIAL: &str = "docs/tutorial.md";

/// Splits a command line into words; double quotes group.
fn words(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for ch in line.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// Runs `lina a | lina b ...`; returns stdout of the last and the first non-zero status.
fn run(line: &str) -> (String, i32, Option<String>) {
    let (pipeline, target) = match line.split_once(" > ") {
        Some((p, t)) => (p, Some(t.trim().to_string())),
        None => (line, None),
    };
    let mut input: Option<String> = None;
    let mut status = 0;
    for stage in pipeline.split(" | ") {
        let w = words(stage);
        assert_eq!(w.first().map(String::as_str), Some("lina"), "{stage}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_lina"))
            .args(&w[1..])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(text) = &input {
            let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stage}: {stderr}");
        let code = out.status.code().unwrap_or(-1);
        if status == 0 {
            status = code;
        }
        input = Some(String::from_utf8_lossy(&out.stdout).into());
    }
    (input.unwrap_or_default(), status, target)
}

/// `lina prove` reports how long each proof took: the figure before ` ms` is not compared.
fn mask_times(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let mut rest = line;
        while let Some(i) = rest.find(" ms") {
            let head = &rest[..i];
            let num = head.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
            out.push_str(num);
            if num.len() < head.len() {
                out.push('#');
            }
            out.push_str(" ms");
            rest = &rest[i + 3..];
        }
        out.push_str(rest);
        out.push('\n');
    }
    out
}

#[test]
fn every_command_of_the_tutorial_prints_what_the_tutorial_says() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TUTORIAL);
    let text = std::fs::read_to_string(&path).unwrap();
    let regenerate = std::env::var_os("LINA_REGENERATE").is_some();
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    let (mut commands, mut stale) = (0, Vec::new());
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        if line.trim() != "```console" {
            continue;
        }
        let cmd = lines.next().unwrap_or_default();
        let command = cmd
            .strip_prefix("$ ")
            .unwrap_or_else(|| panic!("a console block starts with `$ `: {cmd}"));
        let mut expected = String::new();
        for l in lines.by_ref() {
            if l.trim() == "```" {
                break;
            }
            expected.push_str(l);
            expected.push('\n');
        }
        let (stdout, status, target) = run(command);
        let mut actual = match &target {
            Some(_) => String::new(),
            None => stdout.clone(),
        };
        if status != 0 {
            actual.push_str(&format!("[exit status {status}]\n"));
        }
        if let Some(file) = target {
            let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
            if regenerate {
                std::fs::write(&file, &stdout).unwrap();
            } else if std::fs::read_to_string(&file).ok().as_deref() != Some(stdout.as_str()) {
                stale.push(format!("{} is not current", file.display()));
            }
        }
        if mask_times(&actual) != mask_times(&expected) {
            stale.push(format!(
                "`{command}` prints\n{actual}but the tutorial says\n{expected}"
            ));
        }
        out.push_str(cmd);
        out.push('\n');
        out.push_str(&actual);
        out.push_str("```\n");
        commands += 1;
    }
    assert!(commands >= 15, "only {commands} commands");
    if regenerate {
        std::fs::write(&path, out).unwrap();
        println!("regenerated {TUTORIAL} ({commands} commands) and its pictures");
    } else {
        assert!(
            stale.is_empty(),
            "{} stale (regenerate with LINA_REGENERATE=1 cargo test --test tutorial):\n{}",
            stale.len(),
            stale.join("\n")
        );
    }
}
