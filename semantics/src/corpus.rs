//! The example corpus (`corpus/` at the workspace root) and its header format, shared by the
//! test suites of every crate.
//!
//! A corpus file is a Linear A program whose leading comment states what it should do:
//!
//! ```text
//! # Free text describing the program.
//! # relaxed                               (optional: the program is relaxed, not strict)
//! # expect: f(2.0, <1.0, 3.0> ; 0.5) => (8.0 ; 1.5)
//! ```
//!
//! Expected values were computed independently of lina (by hand or in another language).

use crate::value::{Value, parse_values};
use std::path::{Path, PathBuf};

/// One `# expect:` line: a call and its expected results.
#[derive(Clone, Debug)]
pub struct Expect {
    pub func: String,
    pub args: Vec<Value>,
    pub linear_args: Vec<Value>,
    pub results: Vec<Value>,
    pub linear_results: Vec<Value>,
}

#[derive(Clone, Debug)]
pub struct CorpusFile {
    pub path: PathBuf,
    /// The path relative to the corpus root, without `.la` (`worked_example`, `linear/basics`).
    pub name: String,
    pub src: String,
    pub relaxed: bool,
    pub expects: Vec<Expect>,
}

/// The corpus root of this workspace.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus")
}

/// The `.la` files directly in `dir` (a subfolder of the root such as `""` or `"linear"`),
/// sorted by name.
pub fn load(dir: &str) -> Result<Vec<CorpusFile>, String> {
    let base = root().join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&base)
        .map_err(|e| format!("{}: {e}", base.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "la"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let src =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
            let name = if dir.is_empty() {
                stem.to_string()
            } else {
                format!("{dir}/{stem}")
            };
            let (relaxed, expects) =
                header(&src).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(CorpusFile {
                path,
                name,
                src,
                relaxed,
                expects,
            })
        })
        .collect()
}

/// Reads the header comment: the `# relaxed` flag and the `# expect:` lines.
pub fn header(src: &str) -> Result<(bool, Vec<Expect>), String> {
    let mut relaxed = false;
    let mut expects = Vec::new();
    for line in src
        .lines()
        .map(str::trim)
        .take_while(|l| l.starts_with('#') || l.is_empty())
    {
        let body = line.trim_start_matches('#').trim();
        if body == "relaxed" {
            relaxed = true;
        } else if let Some(e) = body.strip_prefix("expect:") {
            expects.push(expect(e).map_err(|m| format!("bad expect line `{line}`: {m}"))?);
        }
    }
    Ok((relaxed, expects))
}

/// `f(ARGS ; LINARGS) => (RESULTS ; LINRESULTS)`.
fn expect(text: &str) -> Result<Expect, String> {
    let (call, results) = text.split_once("=>").ok_or("no `=>`")?;
    let call = call.trim();
    let open = call.find('(').ok_or("no `(`")?;
    let func = call[..open].trim().to_string();
    let args = call[open + 1..]
        .strip_suffix(')')
        .ok_or("no `)` after the arguments")?;
    let results = results
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or("results not in `(...)`")?;
    let sides = |s: &str| -> Result<(Vec<Value>, Vec<Value>), String> {
        let (a, b) = s.split_once(';').unwrap_or((s, ""));
        Ok((parse_values(a)?, parse_values(b)?))
    };
    let (args, linear_args) = sides(args)?;
    let (results, linear_results) = sides(results)?;
    Ok(Expect {
        func,
        args,
        linear_args,
        results,
        linear_results,
    })
}
