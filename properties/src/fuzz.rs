//! Fuzzing: hostile inputs for the parser, the checker, the whole reverse-mode pipeline and the
//! value parser of `--args`, with oracles stronger than "does not panic".
//!
//! A fuzz *target* ([`Target`]) takes bytes and either accepts them quietly or reports a
//! [`Failure`]: a panic (caught, with its message and location) or a broken claim (the printed
//! program does not read back to itself, a transformation's output does not type-check, the
//! forward half of a VJP disagrees with the program it came from). Inputs come from three
//! *sources* ([`Source`]):
//!
//! - random byte strings, biased towards the characters Linear A uses;
//! - token streams drawn from Linear A's own tokens (keywords, punctuation, names of both
//!   sorts, numbers, primitives, `@checkpoint`), so most inputs get past the lexer;
//! - mutations of the corpus files: one to four token inserts, deletes, swaps or duplicates.
//!
//! The same targets run under libFuzzer (the `fuzz/` directory, `cargo +nightly fuzz`), which
//! calls [`run`] directly. The stable harness ([`campaign`]) is seeded and deterministic, so a
//! failure found at seed `s` is found again; the suite runs a bounded smoke campaign
//! (`tests/fuzz.rs`) and replays every committed regression input
//! (`fuzz-regressions/<target>/`).
//!
//! The pipeline target evaluates only programs whose static work is below [`WORK_LIMIT`]: a
//! call DAG can ask for 2^100 steps, and the fuzzer is after crashes, not patience.

use rewrite::Policy;
use semantics::numeric::Rng;
use semantics::{FuncId, PrimTable, Program, Value};
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::time::{Duration, Instant};

/// Static work above which the pipeline target does not evaluate a program.
pub const WORK_LIMIT: u128 = 200_000;

/// What is fuzzed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `parse`, and for a parsed program `parse(print(p)) == p`.
    Parse,
    /// `parse` then the checker, strict and relaxed, and Linear B membership.
    Check,
    /// `parse`, relaxed check, `vjp` under three policies; the output must check strictly and
    /// be in Linear B, and its halves are evaluated: the forward half's primal must equal the
    /// program's exactly.
    Pipeline,
    /// `semantics::parse_values`, and for parsed values reading back their printed form.
    Values,
}

impl Target {
    pub const ALL: [Target; 4] = [
        Target::Parse,
        Target::Check,
        Target::Pipeline,
        Target::Values,
    ];

    /// The directory name of its regression inputs.
    pub fn name(self) -> &'static str {
        match self {
            Target::Parse => "parse",
            Target::Check => "check",
            Target::Pipeline => "pipeline",
            Target::Values => "values",
        }
    }
}

/// Where inputs come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Bytes,
    Tokens,
    Corpus,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::Bytes, Source::Tokens, Source::Corpus];
}

/// How far an input got: not parsed, parsed, well-typed (relaxed), transformed and run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reached {
    Rejected = 0,
    Parsed = 1,
    WellTyped = 2,
    Ran = 3,
}

/// A failed input: a panic or a broken claim.
#[derive(Clone, Debug)]
pub struct Failure {
    pub input: Vec<u8>,
    pub message: String,
}

// ---- the targets ----

/// Runs `target` on `data`; a broken claim is an `Err`, a bug panics (see [`exercise`]).
pub fn run(target: Target, data: &[u8]) -> Result<Reached, String> {
    let text = String::from_utf8_lossy(data);
    match target {
        Target::Parse => parse_target(&text),
        Target::Check => check_target(&text),
        Target::Pipeline => pipeline_target(&text),
        Target::Values => values_target(&text),
    }
}

fn parse_target(text: &str) -> Result<Reached, String> {
    let Ok(p) = semantics::parse(text) else {
        return Ok(Reached::Rejected);
    };
    let printed = semantics::print(&p);
    match semantics::parse(&printed) {
        Ok(q) if q == p => Ok(Reached::Parsed),
        Ok(_) => Err(format!("parse(print(p)) != p; print(p) =\n{printed}")),
        Err(d) => Err(format!(
            "print(p) does not parse ({}):\n{printed}",
            d.first().map_or("", |d| d.message.as_str())
        )),
    }
}

fn check_target(text: &str) -> Result<Reached, String> {
    let Ok(p) = semantics::parse(text) else {
        return Ok(Reached::Rejected);
    };
    let prims = PrimTable::standard();
    let strict = checker::check(&p, prims, checker::Options::default());
    let relaxed = checker::check(&p, prims, checker::Options { relaxed: true });
    if strict.is_ok() && relaxed.is_err() {
        return Err("the strict checker accepts what the relaxed one rejects".into());
    }
    if strict.is_ok() {
        let _ = checker::check_linear_b(&p);
        let _ = checker::classify_all(&p);
    }
    if relaxed.is_ok() {
        let e = checker::elaborate(&p, prims).map_err(|d| {
            format!(
                "elaborate fails on a relaxed-well-typed program: {}",
                d.first().map_or("", |d| d.message.as_str())
            )
        })?;
        strict_ok(&e, "elaborate")?;
        return Ok(Reached::WellTyped);
    }
    Ok(Reached::Parsed)
}

fn strict_ok(p: &Program, pass: &str) -> Result<(), String> {
    checker::check(p, PrimTable::standard(), checker::Options::default())
        .map(|_| ())
        .map_err(|d| {
            format!(
                "the output of {pass} does not type-check strictly: {}\n{}",
                d.first().map_or("", |d| d.message.as_str()),
                semantics::print(p)
            )
        })
}

fn pipeline_target(text: &str) -> Result<Reached, String> {
    let Ok(p) = semantics::parse(text) else {
        return Ok(Reached::Rejected);
    };
    let prims = PrimTable::standard();
    if checker::check(&p, prims, checker::Options { relaxed: true }).is_err() {
        return Ok(Reached::Parsed);
    }
    let mut reached = Reached::WellTyped;
    let works = semantics::static_work(&p, prims).ok();
    for policy in [Policy::SaveAll, Policy::RecomputeAll, Policy::Budget(1)] {
        let Ok(v) = rewrite::vjp(&p, prims, policy) else {
            continue;
        };
        strict_ok(&v.jvp, "jvp")?;
        strict_ok(&v.unzipped.program, "unzip")?;
        strict_ok(&v.program, "vjp")?;
        if let Some(d) = checker::check_linear_b(&v.program).first() {
            return Err(format!("the vjp is not in Linear B: {}", d.message()));
        }
        let Some(works) = &works else { continue };
        for (i, f) in p.funcs.iter().enumerate() {
            if works.get(i).is_none_or(|&w| w > WORK_LIMIT) {
                continue;
            }
            let Some((nonlin, lin_t)) = v.halves(i) else {
                continue;
            };
            let mut rng = Rng::new(i as u64 + 1);
            let x: Vec<Value> = f
                .params
                .iter()
                .map(|q| rng.value(&q.ty, -2.0, 2.0))
                .collect();
            let id = FuncId(i as u32);
            let Ok(orig) = semantics::eval_fn(&p, prims, id, &x, &[]) else {
                continue;
            };
            let fwd = semantics::eval_fn(&v.program, prims, nonlin, &x, &[])
                .map_err(|e| format!("the forward half fails where `{}` runs: {e}", f.name))?;
            let mut primal = fwd.nl;
            let res = primal
                .pop()
                .ok_or_else(|| format!("`{}.jvp.nonlin` returns no residuals", f.name))?;
            if !same_values(&primal, &orig.nl) {
                return Err(format!(
                    "the forward half of `{}` gives {primal:?}, the function {:?}",
                    f.name, orig.nl
                ));
            }
            let cts: Vec<Value> = f.results.iter().map(|t| rng.value(t, -1.0, 1.0)).collect();
            semantics::eval_fn(&v.program, prims, lin_t, &[res], &cts)
                .map_err(|e| format!("the backward half of `{}` fails: {e}", f.name))?;
            reached = Reached::Ran;
        }
    }
    Ok(reached)
}

fn values_target(text: &str) -> Result<Reached, String> {
    let Ok(vs) = semantics::parse_values(text) else {
        return Ok(Reached::Rejected);
    };
    let printed = vs
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    match semantics::parse_values(&printed) {
        Ok(ws) if same_values(&vs, &ws) => Ok(Reached::Parsed),
        Ok(ws) => Err(format!("`{printed}` reads back as {ws:?}, not {vs:?}")),
        Err(e) => Err(format!("printed values `{printed}` do not read back: {e}")),
    }
}

/// Equal values, reals compared by bits (NaN equals NaN, `-0.0` differs from `0.0`).
pub fn same_values(a: &[Value], b: &[Value]) -> bool {
    let mut stack: Vec<(&Value, &Value)> = Vec::new();
    if a.len() != b.len() {
        return false;
    }
    stack.extend(a.iter().zip(b));
    while let Some(pair) = stack.pop() {
        match pair {
            (Value::Real(x), Value::Real(y)) => {
                let same = x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
                if !same {
                    return false;
                }
            }
            (Value::Tuple(xs), Value::Tuple(ys)) if xs.len() == ys.len() => {
                stack.extend(xs.iter().zip(ys.iter()))
            }
            _ => return false,
        }
    }
    true
}

/// Crashes that are known, reported, and being fixed in code this crate does not own (their
/// inputs are in `fuzz-regressions/pending/`): campaigns and the libFuzzer targets count them
/// and go on, so that they do not hide new ones. Each entry is the parts a failure's message
/// must all contain.
///
/// The first one found (issue 10 point 5, `index out of bounds` in `semantics/src/parser.rs`
/// after error recovery past a stray attribute, `@)def s(a:R)->()`) is fixed, and its inputs
/// are replayed by the suite from `fuzz-regressions/parse/`.
pub const KNOWN: &[&[&str]] = &[
    // None now. (The last one: the printer wrote `neg(x')`, `add(x', y')`, `mul(2, y')`, which
    // are ill-typed, as `-x'`, `x' + y'`, `2 * y'`, which read back as the linear core; it now
    // keeps the call spelling for a primitive with a linear operand.)
];

/// A known failure (see [`KNOWN`]).
pub fn known(message: &str) -> bool {
    KNOWN
        .iter()
        .any(|k| k.iter().all(|part| message.contains(part)))
}

// ---- catching panics ----

thread_local! {
    /// Inside [`exercise`]: the last panic's message and location, instead of stderr.
    static CAUGHT: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
}

fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let quiet = CAUGHT.with(|c| {
                let mut c = c.borrow_mut();
                match c.as_mut() {
                    Some(slot) => {
                        let at = info
                            .location()
                            .map_or(String::new(), |l| format!(" at {}:{}", l.file(), l.line()));
                        *slot = Some(format!("panic: {}{at}", payload(info.payload())));
                        true
                    }
                    None => false,
                }
            });
            if !quiet {
                default(info);
            }
        }));
    });
}

fn payload(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a non-string payload)".into())
}

/// Runs `target` on `data`, a panic caught and reported with its message and location.
pub fn exercise(target: Target, data: &[u8]) -> Result<Reached, Failure> {
    install_hook();
    CAUGHT.with(|c| *c.borrow_mut() = Some(None));
    let r = panic::catch_unwind(AssertUnwindSafe(|| run(target, data)));
    let caught = CAUGHT.with(|c| c.borrow_mut().take()).flatten();
    let message = match r {
        Ok(Ok(reached)) => return Ok(reached),
        Ok(Err(claim)) => claim,
        Err(p) => caught.unwrap_or_else(|| format!("panic: {}", payload(&*p))),
    };
    Err(Failure {
        input: data.to_vec(),
        message,
    })
}

/// The failure's kind without its details: a panic's message and location, or a claim's
/// first line; a smaller input that fails the same way is the same failure.
fn signature(message: &str) -> &str {
    message.lines().next().unwrap_or("")
}

/// Shrinks a failing input token by token (then byte by byte, for short ones), keeping the
/// failure's [`signature`]: regression files then show the fault, not the corpus file.
pub fn minimize(target: Target, failure: &Failure) -> Failure {
    let want = signature(&failure.message).to_string();
    let fails_alike = |data: &[u8]| match exercise(target, data) {
        Err(f) if signature(&f.message) == want => Some(f),
        _ => None,
    };
    let mut best = failure.clone();
    // Token deletion, then byte deletion, each to a fixed point.
    for bytewise in [false, true] {
        loop {
            let text = String::from_utf8_lossy(&best.input).into_owned();
            let units: Vec<Vec<u8>> = if bytewise {
                if best.input.len() > 400 {
                    break;
                }
                best.input.iter().map(|&b| vec![b]).collect()
            } else {
                tokenize(&text)
                    .into_iter()
                    .map(String::into_bytes)
                    .collect()
            };
            let mut improved = false;
            let mut chunk = units.len().div_ceil(2).max(1);
            let mut kept = units;
            while chunk >= 1 {
                let mut i = 0;
                while i < kept.len() {
                    let trial: Vec<u8> = kept[..i]
                        .iter()
                        .chain(kept.iter().skip(i + chunk))
                        .flatten()
                        .copied()
                        .collect();
                    if let Some(f) = fails_alike(&trial) {
                        kept.drain(i..(i + chunk).min(kept.len()));
                        best = f;
                        improved = true;
                    } else {
                        i += chunk;
                    }
                }
                if chunk == 1 {
                    break;
                }
                chunk /= 2;
            }
            if !improved {
                break;
            }
        }
    }
    best
}

// ---- the inputs ----

/// Linear A's tokens, and some near misses, for token streams and inserts.
pub const TOKENS: &[&str] = &[
    "def",
    "let",
    "in",
    "dup",
    "drop",
    "zero",
    "R",
    "(",
    ")",
    "<",
    ">",
    ",",
    ";",
    ":",
    "=",
    "+",
    "-",
    "*",
    "/",
    "->",
    "@",
    "@checkpoint",
    "checkpoint",
    "#",
    "\n",
    "x",
    "y",
    "z",
    "f",
    "g",
    "f.jvp",
    "g.lin",
    "x'",
    "y'",
    "z''",
    "a",
    "b'",
    "0",
    "1",
    "2.5",
    "-1",
    "1e-3",
    "1e308",
    "1e999",
    "-0.0",
    "nan",
    "inf",
    "sin",
    "cos",
    "tan",
    "exp",
    "log",
    "sqrt",
    "tanh",
    "logistic",
    "pow",
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "%sin",
    "%add",
    "type",
    "type t = <R, R>\n",
    "zero<R>",
    "<R, R>",
    "<>",
    ".",
    "'",
    "$",
    "\u{0}",
    "é",
];

/// Token streams that look like programs: mostly well-formed definitions, from `TOKENS`.
fn token_stream(rng: &mut Rng) -> String {
    let n = 1 + (rng.next_u64() % 60) as usize;
    let mut out = String::new();
    if rng.next_u64().is_multiple_of(2) {
        out.push_str("def f(x: R) -> (R) = ");
    }
    for _ in 0..n {
        out.push_str(TOKENS[(rng.next_u64() % TOKENS.len() as u64) as usize]);
        if !rng.next_u64().is_multiple_of(4) {
            out.push(' ');
        }
    }
    out
}

/// Bytes, half of them from the characters Linear A uses.
fn bytes(rng: &mut Rng) -> Vec<u8> {
    const ALPHABET: &[u8] = b"deflinupropzR()<>,;:=+-*/@'#.0123456789e \n\txyfg";
    let n = (rng.next_u64() % 80) as usize;
    (0..n)
        .map(|_| {
            let r = rng.next_u64();
            if r.is_multiple_of(2) {
                ALPHABET[((r >> 8) % ALPHABET.len() as u64) as usize]
            } else {
                (r >> 8) as u8
            }
        })
        .collect()
}

/// Splits source text into tokens (names with dots and primes, numbers, `->`, single
/// characters), each keeping the whitespace before it, so that joining them gives the text.
pub fn tokenize(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = src.char_indices().peekable();
    let mut start = 0;
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '#' {
            // A comment runs to the end of the line: one token.
            while chars.peek().is_some_and(|&(_, c)| c != '\n') {
                chars.next();
            }
        } else if c.is_alphanumeric() || c == '_' {
            while chars
                .peek()
                .is_some_and(|&(_, c)| c.is_alphanumeric() || "_.'".contains(c))
            {
                chars.next();
            }
        } else {
            chars.next();
            if c == '-' && chars.peek().is_some_and(|&(_, c)| c == '>') {
                chars.next();
            }
        }
        let end = chars.peek().map_or(src.len(), |&(j, _)| j);
        let _ = i;
        out.push(src[start..end].to_string());
        start = end;
    }
    out
}

/// The corpus files, tokenized (`corpus/*.la` and its subdirectories).
pub fn corpus_tokens() -> Vec<Vec<String>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus");
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(root)];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "la") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| tokenize(&s))
        .collect()
}

/// The class of a token for like-for-like replacement: a number, a linear name, a name, or
/// (`None`) punctuation, keywords and comments.
fn class(tok: &str) -> Option<u8> {
    let t = tok.trim_start();
    let c = t.chars().next()?;
    if c.is_ascii_digit() {
        Some(0)
    } else if t.ends_with('\'') {
        Some(1)
    } else if (c.is_alphabetic() || c == '_')
        && !matches!(t, "def" | "let" | "in" | "dup" | "drop" | "zero" | "R")
    {
        Some(2)
    } else {
        None
    }
}

/// One to four token edits of a corpus file: insert (a Linear A token or one of the file's),
/// delete, swap two, duplicate one, or replace a name or number by another of its class from
/// the same file (which mostly keeps the program parsing, so later passes see it).
pub fn mutate_tokens(tokens: &[String], rng: &mut Rng) -> String {
    let mut t: Vec<String> = tokens.to_vec();
    let edits = 1 + rng.next_u64() % 4;
    for _ in 0..edits {
        let n = t.len();
        let at = |rng: &mut Rng| (rng.next_u64() % (n as u64 + 1)) as usize;
        let kind = rng.next_u64() % 6;
        if kind >= 4 && n > 0 {
            let k = at(rng).min(n - 1);
            let Some(c) = class(&t[k]) else { continue };
            let same: Vec<usize> = (0..n).filter(|&j| class(&t[j]) == Some(c)).collect();
            let j = same[(rng.next_u64() % same.len() as u64) as usize];
            let lead: String = t[k].chars().take_while(|c| c.is_whitespace()).collect();
            t[k] = format!("{lead}{}", t[j].trim_start());
            continue;
        }
        match kind {
            0 => {
                let tok = if rng.next_u64().is_multiple_of(2) || n == 0 {
                    format!(
                        " {}",
                        TOKENS[(rng.next_u64() % TOKENS.len() as u64) as usize]
                    )
                } else {
                    t[(rng.next_u64() % n as u64) as usize].clone()
                };
                let k = at(rng);
                t.insert(k, tok);
            }
            1 if n > 0 => {
                let k = at(rng).min(n - 1);
                t.remove(k);
            }
            2 if n > 1 => {
                let (a, b) = (at(rng).min(n - 1), at(rng).min(n - 1));
                t.swap(a, b);
            }
            _ if n > 0 => {
                let k = at(rng).min(n - 1);
                let tok = t[k].clone();
                t.insert(k, tok);
            }
            _ => {}
        }
    }
    // Tokens keep their leading whitespace; moved ones may lose it, so separate them.
    let mut out = String::new();
    for tok in &t {
        if !tok.starts_with(char::is_whitespace) && !out.is_empty() {
            out.push(' ');
        }
        out.push_str(tok);
    }
    out
}

/// One input from `source` (`corpus` from [`corpus_tokens`]; values sources draw value-like
/// tokens instead of program tokens).
pub fn input(target: Target, source: Source, rng: &mut Rng, corpus: &[Vec<String>]) -> Vec<u8> {
    match (target, source) {
        (_, Source::Bytes) => bytes(rng),
        (Target::Values, _) => value_text(rng, source == Source::Corpus),
        (_, Source::Tokens) => token_stream(rng).into_bytes(),
        (_, Source::Corpus) if corpus.is_empty() => token_stream(rng).into_bytes(),
        (_, Source::Corpus) => {
            let file = &corpus[(rng.next_u64() % corpus.len() as u64) as usize];
            mutate_tokens(file, rng).into_bytes()
        }
    }
}

/// Value lists: well-formed ones printed from random values (mutated when `mutate`), or token
/// soup of value syntax.
fn value_text(rng: &mut Rng, mutate: bool) -> Vec<u8> {
    const PARTS: &[&str] = &[
        "<", ">", ",", "-", "+", "1", "2.5", "-3", "1e-300", "1e308", "1e999", "nan", "NaN", "inf",
        "-inf", "Infinity", "infinity", "0", "-0.0", "x", "<>", ";", "(", "'", " ",
    ];
    if mutate {
        let mut s = String::new();
        let n = 1 + rng.next_u64() % 4;
        for k in 0..n {
            if k > 0 {
                s.push_str(", ");
            }
            let depth = rng.next_u64() % 4;
            let ty = (0..depth).fold(semantics::Type::Real, |t, _| {
                semantics::Type::Tuple(vec![t.clone(), semantics::Type::Real])
            });
            s.push_str(&rng.value(&ty, -1e6, 1e6).to_string());
        }
        mutate_tokens(&tokenize(&s), rng).into_bytes()
    } else {
        let n = (rng.next_u64() % 30) as usize;
        (0..n)
            .map(|_| PARTS[(rng.next_u64() % PARTS.len() as u64) as usize])
            .collect::<String>()
            .into_bytes()
    }
}

// ---- campaigns ----

/// What a campaign did.
#[derive(Debug)]
pub struct Stats {
    pub target: Target,
    pub source: Source,
    pub inputs: u64,
    pub elapsed: Duration,
    pub failures: Vec<Failure>,
    /// Inputs failed in all (only the first 20 unknown failures are kept).
    pub failed: u64,
    /// Of which known ([`KNOWN`]).
    pub known: u64,
    /// Inputs by how far they got, indexed by [`Reached`].
    pub reached: [u64; 4],
}

impl Stats {
    pub fn per_second(&self) -> f64 {
        self.inputs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `count` inputs of `source` through `target` from `seed`; keeps the first failures
/// that are not [`known`] (at most 20) and counts the rest.
pub fn campaign(
    target: Target,
    source: Source,
    count: u64,
    seed: u64,
    corpus: &[Vec<String>],
) -> Stats {
    let mut rng = Rng::new(seed);
    let start = Instant::now();
    let mut stats = Stats {
        target,
        source,
        inputs: count,
        elapsed: Duration::ZERO,
        failures: Vec::new(),
        failed: 0,
        known: 0,
        reached: [0; 4],
    };
    for _ in 0..count {
        let data = input(target, source, &mut rng, corpus);
        match exercise(target, &data) {
            Ok(r) => stats.reached[r as usize] += 1,
            Err(f) => {
                stats.failed += 1;
                if known(&f.message) {
                    stats.known += 1;
                } else if stats.failures.len() < 20 {
                    stats.failures.push(f);
                }
            }
        }
    }
    stats.elapsed = start.elapsed();
    stats
}

/// The committed regression inputs of `target`, in `fuzz-regressions/<target>/` (one file
/// each); `pending` selects `fuzz-regressions/pending/<target>/`, inputs whose crash is known
/// ([`KNOWN`]) and not fixed yet.
pub fn regressions(target: Target, pending: bool) -> Vec<(String, Vec<u8>)> {
    let base = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz-regressions");
    let dir = if pending {
        format!("{base}/pending/{}", target.name())
    } else {
        format!("{base}/{}", target.name())
    };
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            std::fs::read(e.path()).ok().map(|b| (name, b))
        })
        .collect();
    out.sort();
    out
}
