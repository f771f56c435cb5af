//! `lina check` on many files (SPEC §8): one result per file, a summary, exit 1 if any file is
//! rejected, and the single-file behaviour unchanged.

mod common;
use common::lina_run as lina;

fn la_files(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "la") {
                out.push(p.display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_folder_gives_one_jsonl_line_per_file_agreeing_with_single_file_checks() {
    let r = lina(&["check", "corpus", "--format", "jsonl"]);
    let files = la_files("corpus");
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), files.len(), "one line per .la file");
    let mut rejected = 0;
    for (line, file) in lines.iter().zip(&files) {
        assert_eq!(line["file"], file.as_str(), "sorted order");
        // The independent reference: the single-file check of the same file.
        let one = lina(&["check", file, "--format", "json"]);
        let one: serde_json::Value = serde_json::from_str(one.stdout.trim()).unwrap();
        assert_eq!(line["ok"], one["ok"], "{file}");
        let codes = |v: &serde_json::Value| -> Vec<String> {
            v["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| format!("{} {} {} {}", d["code"], d["rule"], d["line"], d["column"]))
                .collect()
        };
        assert_eq!(codes(line), codes(&one), "{file}");
        for d in line["diagnostics"].as_array().unwrap() {
            assert!(
                d["span"]["end"].as_u64() >= d["span"]["start"].as_u64(),
                "{d}"
            );
        }
        rejected += usize::from(line["ok"] == false);
    }
    assert!(rejected > 10, "the ill-typed corpus is rejected");
    assert_eq!(r.code, 1, "some file is rejected");
    let summary: serde_json::Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert_eq!(summary["summary"]["rejected"], rejected);
    assert_eq!(summary["summary"]["accepted"], files.len() - rejected);
}

#[test]
fn accepted_files_only_exit_zero_with_a_text_summary() {
    let r = lina(&[
        "check",
        "corpus/worked_example.la",
        "corpus/heron.la",
        "--format",
        "text",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("corpus/heron.la: ok"), "{}", r.stdout);
    assert!(
        r.stdout.contains("checked 2 files: 2 accepted, 0 rejected"),
        "{}",
        r.stdout
    );
}

#[test]
fn the_text_summary_counts_rejections_by_code() {
    let r = lina(&["check", "corpus/ill"]);
    assert_eq!(r.code, 1);
    let n = la_files("corpus/ill").len();
    let bad = r
        .stdout
        .lines()
        .filter(|l| l.contains(": rejected (E"))
        .count();
    assert!(bad > 10);
    assert!(
        r.stdout.contains(&format!(
            "checked {n} files: {} accepted, {bad} rejected",
            n - bad
        )),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("E0201 ×"), "{}", r.stdout);
    assert!(
        r.stderr.contains("error[E0201]"),
        "diagnostics rendered on stderr"
    );
}

#[test]
fn json_gives_one_object_with_every_file() {
    let r = lina(&["check", "corpus/ill", "corpus/heron.la", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(v["ok"], false);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), la_files("corpus/ill").len() + 1);
    assert_eq!(files.last().unwrap()["ok"], true);
}

#[test]
fn one_file_keeps_its_old_output_and_a_missing_file_is_an_io_error() {
    let r = lina(&["check", "corpus/worked_example.la"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "ok: 3 functions\n"));
    let r = lina(&["check", "corpus/worked_example.la", "no/such/file.la"]);
    assert_eq!(r.code, 2);
    let r = lina(&["check"]);
    assert_eq!(r.code, 2, "no file is a usage error");
}
