//! Ill-typed programs: every file of `corpus/ill/` is rejected with exactly the codes its header
//! lists, in source order (so the first diagnostic is the one the file is about, and nothing
//! cascades), and its rendered diagnostics are snapshotted. Together the files cover every code
//! the checker reports.
//!
//! Header lines: `# error: E0201 [E0203 ...]` (the codes, in order), `# relaxed` (check in
//! relaxed mode), `# linear-b` (the program type-checks; Linear B membership must fail).

mod common;

use common::*;
use semantics::corpus;
use semantics::*;
use std::path::PathBuf;

struct Ill {
    name: String,
    src: String,
    codes: Vec<String>,
    relaxed: bool,
    linear_b: bool,
}

fn ill_files() -> Vec<Ill> {
    let dir = corpus::root().join("ill");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "la"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let src = std::fs::read_to_string(&path).unwrap();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let (mut codes, mut relaxed, mut linear_b) = (Vec::new(), false, false);
            for line in src
                .lines()
                .take_while(|l| l.starts_with('#') || l.is_empty())
            {
                let body = line.trim_start_matches('#').trim();
                if let Some(list) = body.strip_prefix("error:") {
                    codes.extend(
                        list.split(|c: char| c == ',' || c.is_whitespace())
                            .filter(|c| !c.is_empty())
                            .map(str::to_string),
                    );
                } else if body == "relaxed" {
                    relaxed = true;
                } else if body == "linear-b" {
                    linear_b = true;
                }
            }
            assert!(!codes.is_empty(), "{name}: no `# error:` line");
            Ill {
                name,
                src,
                codes,
                relaxed,
                linear_b,
            }
        })
        .collect()
}

/// The diagnostics a file gets.
fn diagnose(f: &Ill) -> Vec<Diagnostic> {
    let p = parse_ok(&f.name, &f.src);
    let opts = if f.relaxed { RELAXED } else { STRICT };
    if f.linear_b {
        accept(&f.name, &f.src, &p, opts);
        checker::linear_b_diagnostics(&p)
    } else {
        match checker::check(&p, prims(), opts) {
            Ok(_) => panic!("{}: accepted, but should be rejected", f.name),
            Err(d) => d,
        }
    }
}

#[test]
fn every_ill_typed_program_gets_exactly_its_listed_codes_and_a_stable_rendering() {
    let files = ill_files();
    assert!(files.len() >= 30, "only {} ill-typed programs", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let diags = diagnose(f);
        let got: Vec<&str> = diags.iter().map(|d| d.code).collect();
        if got != f.codes {
            failures.push(format!(
                "{}: expected {:?}, got {:?}\n{}",
                f.name,
                f.codes,
                got,
                render(&diags, &f.name, &f.src)
            ));
            continue;
        }
        let file_name = format!("corpus/ill/{}.la", f.name);
        insta::assert_snapshot!(f.name.clone(), render(&diags, &file_name, &f.src));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_code_has_an_ill_typed_program_except_malformed_trees() {
    let files = ill_files();
    for (code, what) in checker::CODES {
        if *code == "E0217" {
            // A malformed tree cannot be written as text; tests/claims.rs builds one.
            continue;
        }
        assert!(
            files.iter().any(|f| f.codes.iter().any(|c| c == code)),
            "no program in corpus/ill/ exhibits {code} ({what})"
        );
    }
}

#[test]
fn every_typing_diagnostic_names_its_rule_and_points_at_the_source() {
    for f in ill_files().iter().filter(|f| !f.linear_b) {
        for d in diagnose(f) {
            assert!(
                d.primary_span().is_some(),
                "{}: {} has no position",
                f.name,
                d.code
            );
            let rule_free = ["E0212", "E0213", "E0217"];
            if !rule_free.contains(&d.code) {
                let rule = d
                    .rule
                    .unwrap_or_else(|| panic!("{}: {} names no rule", f.name, d.code));
                assert!(
                    checker::RULES.contains(&rule),
                    "{}: unknown rule {rule}",
                    f.name
                );
            }
        }
    }
}

#[test]
fn every_code_is_documented_in_docs_errors_md() {
    let path = corpus::root().join("../docs/errors.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    for (code, _) in checker::CODES {
        assert!(
            doc.contains(&format!("| {code} |")),
            "{code} is not in docs/errors.md"
        );
    }
}

/// `accepts` (no derivations, what the CLI and the passes use) judges exactly as `check` does:
/// the same diagnostics on every ill-typed file, acceptance on every well-typed one.
#[test]
fn accepts_agrees_with_check() {
    for f in ill_files() {
        let Ok(p) = parse(&f.src) else { continue };
        let opts = checker::Options { relaxed: f.relaxed };
        assert_eq!(
            checker::accepts(&p, prims(), opts).err(),
            checker::check(&p, prims(), opts).err(),
            "{}",
            f.name
        );
    }
    for f in well_typed_corpus() {
        let p = parse(&f.src).unwrap();
        let opts = checker::Options { relaxed: f.relaxed };
        assert!(checker::accepts(&p, prims(), opts).is_ok(), "{}", f.name);
    }
}
