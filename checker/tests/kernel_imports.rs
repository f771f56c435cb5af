//! The kernel's trust boundary, enforced by reading its source: every file of
//! `checker/src/kernel/` may use only `std`, `semantics`, `serde`, `serde_json`, its own
//! modules (`super::`, `crate::kernel::`) and the checker's table of rule names
//! (`crate::rules::Rule`, pure data): never the inferring checker (`typing`, `elaborate`,
//! `context`, ...), never egg, never the transformations (`rewrite`).

const ALLOWED: [&str; 7] = [
    "std::",
    "semantics::",
    "serde::",
    "serde_json::",
    "super::",
    "crate::kernel::",
    "crate::rules::Rule",
];

/// The kernel's own modules (a `use` of one of them, or of a local enum, is local).
const LOCAL: [&str; 8] = [
    "bounds", "claims", "ring", "schema", "settle", "term", "walk", "self",
];

/// The forbidden paths a source text uses: in `use` lines and anywhere in code (comments
/// and string literals left out).
fn forbidden(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let code: String = code.split('"').step_by(2).collect::<Vec<_>>().join(" ");
        let code = code.trim();
        let mut paths: Vec<&str> = Vec::new();
        if let Some(rest) = code
            .strip_prefix("use ")
            .or_else(|| code.strip_prefix("pub use "))
        {
            paths.push(rest.trim_start_matches("::"));
        }
        // Qualified paths in code: `egg::Id`, `rewrite::jvp`, `crate::typing::x`, `checker::x`.
        for (i, _) in code.match_indices("::") {
            let start = code[..i]
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                .map_or(0, |s| s + 1);
            let root = &code[start..i];
            if ["crate", "egg", "rewrite", "checker", "extern"].contains(&root) {
                paths.push(&code[start..]);
            }
        }
        if code.starts_with("extern crate") {
            paths.push(code);
        }
        for p in paths {
            let root = p.split("::").next().unwrap_or("");
            let local = LOCAL.contains(&root) || root.starts_with(|c: char| c.is_ascii_uppercase());
            if !local && !ALLOWED.iter().any(|a| p.starts_with(a)) {
                out.push(format!("line {}: {}", n + 1, line.trim()));
            }
        }
    }
    out
}

#[test]
fn the_kernel_imports_only_the_syntax_and_serde() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/kernel");
    let mut files = 0;
    let mut bad = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            bad.extend(
                forbidden(&text)
                    .into_iter()
                    .map(|l| format!("{}: {l}", path.display())),
            );
        }
    }
    assert!(files >= 8, "found {files} kernel files");
    assert!(
        bad.is_empty(),
        "the kernel reaches beyond its trust boundary:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_check_catches_forbidden_imports() {
    for text in [
        "use crate::typing::Mode;",
        "use egg::Id;",
        "    let x = rewrite::jvp(&p, prims);",
        "use crate::{elaborate, kernel};",
        "pub use checker::check;",
        "fn f() { crate::elaborate::elaborate(p, q) }",
        "use crate::typing;",
        "use serde_yaml::Value;",
    ] {
        assert!(!forbidden(text).is_empty(), "not caught: {text}");
    }
    for text in [
        "use super::term::Dag;",
        "use walk::Row;",
        "use Sort::{Linear, Nonlinear};",
        "use semantics::{Atom, Expr};",
        "// uses egg::Id in a comment",
        "let s = \"egg::Id\";",
    ] {
        assert!(forbidden(text).is_empty(), "wrongly caught: {text}");
    }
}

/// The kernel's size, `wc -l` of every file of `checker/src/kernel/` (comments included). The
/// issue's budget is 1,000 lines, readable in one sitting; it is **not met**
/// (`docs/certificates.md`, "Size of the kernel"): schema 3 took it from 3,430 to 2,257, the
/// guards against deeply nested values (a hostile certificate crashed or hung it) to 2,334,
/// schema 4 to 2,060, schema 5 to 2,205, branch `diet` (refutations re-evaluated outside the
/// kernel, `checker::refute`) to 1,944, and the row-entry budget for wide tuples (main) to
/// 1,982 (with a buffer for input names). This ceiling is today's count, so the kernel can only shrink toward the budget; lower it with
/// every reduction.
/// Raised once, by 6 lines to 1,938: `walk::Prog`'s name index (a lookup per call scanned every
/// function, quadratic in their number; verify of a 3,000-function vjp certificate 3.69 -> 3.04 s).
/// The third diet (branch `kdiet`, refactoring only, `verify` byte-identical) took it to 1,936;
/// schema 7 (branch `kern7`: calls named when made, no lemma rewriting) to 1,874.
const KERNEL_LINES_CEILING: usize = 1_874;
const KERNEL_LINES_BUDGET: usize = 1_000;

#[test]
fn the_kernel_stays_under_its_line_ceiling() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/kernel");
    let mut total = 0;
    let mut files = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        let n = std::fs::read_to_string(&path).unwrap().lines().count();
        files.push((path.file_name().unwrap().to_string_lossy().into_owned(), n));
        total += n;
    }
    files.sort();
    eprintln!("kernel: {total} lines (budget {KERNEL_LINES_BUDGET}): {files:?}");
    assert!(
        total <= KERNEL_LINES_CEILING,
        "the kernel grew to {total} lines (ceiling {KERNEL_LINES_CEILING}, budget {KERNEL_LINES_BUDGET})"
    );
}
