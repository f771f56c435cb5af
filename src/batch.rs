//! `lina check DIR|FILE...`: checking many files in one run, for people who check submitted
//! programs. One file keeps `commands::check`'s behaviour exactly; otherwise every file gets
//! one result (text, a JSON object, or one JSON line), then a summary: accepted, rejected by
//! code. The exit status is 1 if any file is rejected, 2 if any cannot be read or none is given.

use crate::Format;
use crate::commands::{self, Status};
use clap::ValueEnum;
use semantics::{Diagnostic, LineIndex, PrimTable};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `check`'s formats: those of every command, and one JSON object per line.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum CheckFormat {
    #[default]
    Text,
    Json,
    Jsonl,
}

pub fn check(files: &[String], relaxed: bool, linear_b: bool, format: CheckFormat) -> Status {
    if let ([one], Some(f)) = (files, plain(format))
        && !Path::new(one).is_dir()
    {
        return commands::check(one, relaxed, linear_b, f);
    }
    let paths = match expand(files) {
        Ok(p) => p,
        Err(s) => return s,
    };
    if paths.is_empty() {
        return commands::usage("no `.la` files to check");
    }
    let mut summary = Summary::default();
    let mut results = Vec::new();
    for path in &paths {
        let result = check_one(path, relaxed, linear_b);
        summary.add(&result);
        match format {
            CheckFormat::Text => print_text(&result),
            CheckFormat::Jsonl => outln!("{}", result.json()),
            CheckFormat::Json => results.push(result.json()),
        }
    }
    match format {
        CheckFormat::Text => outln!("{}", summary.text()),
        // The summary goes to stderr, so stdout holds exactly one object per file.
        CheckFormat::Jsonl => eprintln!("{}", serde_json::json!({"summary": summary.json()})),
        CheckFormat::Json => outln!(
            "{}",
            serde_json::json!({"ok": summary.rejected() == 0 && summary.unreadable == 0,
                "files": results, "summary": summary.json()})
        ),
    }
    if summary.unreadable > 0 {
        Status::Usage
    } else if summary.rejected() > 0 {
        Status::Rejected
    } else {
        Status::Ok
    }
}

fn plain(f: CheckFormat) -> Option<Format> {
    match f {
        CheckFormat::Text => Some(Format::Text),
        CheckFormat::Json => Some(Format::Json),
        CheckFormat::Jsonl => None,
    }
}

/// Files as given; a folder means every `.la` file under it, sorted (walked with a stack, not
/// recursion).
fn expand(args: &[String]) -> Result<Vec<PathBuf>, Status> {
    let mut out = Vec::new();
    for a in args {
        let root = PathBuf::from(a);
        if !root.is_dir() {
            out.push(root);
            continue;
        }
        let mut found = Vec::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| commands::usage(&format!("cannot read `{}`: {e}", dir.display())))?;
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "la") {
                    found.push(p);
                }
            }
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// One file's outcome.
struct FileResult {
    file: String,
    /// `None`: the file could not be read.
    text: Option<String>,
    functions: usize,
    diagnostics: Vec<Diagnostic>,
}

fn check_one(path: &Path, relaxed: bool, linear_b: bool) -> FileResult {
    let file = path.display().to_string();
    let Ok(text) = std::fs::read_to_string(path) else {
        return FileResult {
            file,
            text: None,
            functions: 0,
            diagnostics: Vec::new(),
        };
    };
    let (functions, diagnostics) = match semantics::parse(&text) {
        Err(d) => (0, d),
        Ok(prog) => {
            let mut d =
                match checker::check(&prog, PrimTable::standard(), checker::Options { relaxed }) {
                    Ok(_) => Vec::new(),
                    Err(d) => d,
                };
            if linear_b && d.is_empty() {
                d = checker::linear_b_diagnostics(&prog);
            }
            (prog.funcs.len(), d)
        }
    };
    FileResult {
        file,
        text: Some(text),
        functions,
        diagnostics,
    }
}

impl FileResult {
    fn ok(&self) -> bool {
        self.text.is_some() && self.diagnostics.is_empty()
    }

    /// `{"file", "ok", "diagnostics"}`: each diagnostic as `check --format json` gives it, plus
    /// its primary span (byte offsets and end position).
    fn json(&self) -> serde_json::Value {
        let Some(text) = &self.text else {
            return serde_json::json!({"file": self.file, "ok": false, "diagnostics": [],
                "error": "cannot read the file"});
        };
        let index = LineIndex::new(text);
        let mut diags = semantics::diagnostics_json(&self.diagnostics, text);
        if let Some(items) = diags.as_array_mut() {
            for (item, d) in items.iter_mut().zip(&self.diagnostics) {
                if let (Some(obj), Some(s)) = (item.as_object_mut(), d.primary_span()) {
                    let (line, column) = index.line_col(s.end as usize);
                    obj.insert(
                        "span".into(),
                        serde_json::json!({"start": s.start, "end": s.end,
                            "end_line": line, "end_column": column}),
                    );
                }
            }
        }
        serde_json::json!({"file": self.file, "ok": self.ok(), "diagnostics": diags})
    }
}

/// `FILE: ok (N functions)`, or `FILE: rejected (codes)` with the rendered diagnostics on stderr.
fn print_text(r: &FileResult) {
    match &r.text {
        None => outln!("{}: cannot read the file", r.file),
        Some(_) if r.ok() => outln!("{}: ok ({} functions)", r.file, r.functions),
        Some(text) => {
            let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code).collect();
            outln!("{}: rejected ({})", r.file, codes.join(", "));
            eprint!("{}", semantics::render(&r.diagnostics, &r.file, text));
        }
    }
}

#[derive(Default)]
struct Summary {
    accepted: usize,
    unreadable: usize,
    /// Rejected files by the code of their first diagnostic.
    by_code: BTreeMap<String, usize>,
}

impl Summary {
    fn add(&mut self, r: &FileResult) {
        if r.text.is_none() {
            self.unreadable += 1;
        } else if r.ok() {
            self.accepted += 1;
        } else {
            let code = r.diagnostics.first().map_or("?", |d| d.code);
            *self.by_code.entry(code.to_string()).or_default() += 1;
        }
    }

    fn rejected(&self) -> usize {
        self.by_code.values().sum()
    }

    fn text(&self) -> String {
        let codes: Vec<String> = self
            .by_code
            .iter()
            .map(|(c, n)| format!("{c} ×{n}"))
            .collect();
        let mut s = format!(
            "checked {} files: {} accepted, {} rejected",
            self.accepted + self.rejected() + self.unreadable,
            self.accepted,
            self.rejected()
        );
        if !codes.is_empty() {
            s += &format!(" ({})", codes.join(", "));
        }
        if self.unreadable > 0 {
            s += &format!(", {} unreadable", self.unreadable);
        }
        s
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({"files": self.accepted + self.rejected() + self.unreadable,
            "accepted": self.accepted, "rejected": self.rejected(),
            "rejected_by_code": self.by_code, "unreadable": self.unreadable})
    }
}
