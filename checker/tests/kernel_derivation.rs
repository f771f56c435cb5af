//! The typing derivations' re-check (`checker::recheck::check`, outside the certificate
//! kernel, which types programs in its own walk): it accepts the
//! derivations the checker builds for every corpus program and every transformation's output,
//! rejects every meaning-changing mutation of them, never panics on hostile JSON, walks a
//! 200,000-let body without recursion, and imports nothing outside its trust boundary.

mod common;

use checker::recheck::check;
use checker::{Derivation, Rule, Subject, TypeExpr, derive};
use common::*;
use rewrite::Policy;
use semantics::*;

/// A small deterministic generator (splitmix64): reproducible runs, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Every program the kernel must accept: the strict form of each corpus program, and the
/// outputs of jvp, unzip (two policies), transpose and vjp.
fn programs() -> Vec<(String, Program)> {
    let mut out = Vec::new();
    for f in well_typed_corpus() {
        let p = parse_ok(&f.name, &f.src);
        let strict = checker::elaborate(&p, prims()).expect("the corpus elaborates");
        out.push((f.name.clone(), strict.clone()));
        if checker::check_linear_b(&strict).is_empty()
            && let Ok(t) = rewrite::transpose(&strict, prims())
        {
            out.push((format!("{} transpose", f.name), t));
        }
        if f.name.starts_with("linear/") {
            continue;
        }
        let j = rewrite::jvp(&p, prims()).expect("jvp");
        for policy in [Policy::SaveAll, Policy::RecomputeAll] {
            let u = rewrite::unzip(&j, prims(), policy).expect("unzip");
            let t = rewrite::transpose(&u.program, prims()).expect("transpose");
            out.push((format!("{} unzip {policy}", f.name), u.program));
            out.push((format!("{} transpose∘unzip {policy}", f.name), t));
        }
        let v = rewrite::vjp(&p, prims(), Policy::SaveAll).expect("vjp");
        out.push((format!("{} jvp", f.name), j));
        out.push((format!("{} vjp", f.name), v.program));
    }
    out
}

fn derived(name: &str, p: &Program) -> Vec<Derivation> {
    derive(p, prims())
        .unwrap_or_else(|d| panic!("{name} is not strict:\n{}", render(&d, name, &print(p))))
}

#[test]
fn every_corpus_program_and_every_transformation_output_re_checks() {
    let mut n = 0;
    for (name, p) in programs() {
        let ds = derived(&name, &p);
        if let Err(e) = check(&p, prims(), &ds) {
            panic!("{name}: {e}\n{}", print(&p));
        }
        // What certificates carry: the derivations read back from JSON re-check too.
        let json = serde_json::to_string(&ds).unwrap();
        let back: Vec<Derivation> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ds, "{name}");
        n += 1;
    }
    println!("{n} programs re-checked");
    assert!(n > 100, "only {n} programs");
}

#[test]
fn a_derivation_of_another_program_or_a_missing_one_is_rejected() {
    let a = parse_ok("a", "def f(x: R) -> (R) = sin(x)");
    let b = parse_ok("b", "def f(x: R) -> (R) = cos(x)");
    let da = derived("a", &a);
    let e = check(&b, prims(), &da).unwrap_err();
    assert_eq!(e.function, "f");
    assert_eq!(e.path, [0, 0]);
    assert!(
        e.to_string().contains("`f`") && e.to_string().contains("[0, 0]"),
        "{e}"
    );
    assert!(check(&a, prims(), &[]).is_err());
}

// ---- mutations ----

/// The paths of every node, parents first.
fn paths(d: &Derivation) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut stack = vec![(d, Vec::new())];
    while let Some((n, p)) = stack.pop() {
        for (i, c) in n.children.iter().enumerate() {
            let mut q = p.clone();
            q.push(i);
            stack.push((c, q));
        }
        out.push(p);
    }
    out
}

fn node_mut<'a>(d: &'a mut Derivation, path: &[usize]) -> &'a mut Derivation {
    path.iter().fold(d, |n, &i| &mut n.children[i])
}

/// Changes one leaf of a subject (through its JSON form): a string gets a suffix, a number
/// grows by one. `None` when the subject has no leaf.
fn mutate_subject(s: &Subject, rng: &mut Rng) -> Option<Subject> {
    let mut v = serde_json::to_value(s).ok()?;
    let mut leaves: Vec<Vec<serde_json::Value>> = Vec::new();
    fn collect(
        v: &serde_json::Value,
        path: &mut Vec<serde_json::Value>,
        out: &mut Vec<Vec<serde_json::Value>>,
    ) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if k == "kind" {
                        continue;
                    }
                    path.push(serde_json::Value::String(k.clone()));
                    collect(x, path, out);
                    path.pop();
                }
            }
            serde_json::Value::Array(xs) => {
                for (i, x) in xs.iter().enumerate() {
                    path.push(serde_json::Value::from(i));
                    collect(x, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }
    collect(&v, &mut Vec::new(), &mut leaves);
    if leaves.is_empty() {
        return None;
    }
    let at = &leaves[rng.below(leaves.len())];
    let mut leaf = &mut v;
    for k in at {
        leaf = match k {
            serde_json::Value::String(k) => &mut leaf[k.as_str()],
            serde_json::Value::Number(i) => &mut leaf[i.as_u64()? as usize],
            _ => return None,
        };
    }
    *leaf = match leaf {
        serde_json::Value::String(s) if s == "R" => serde_json::json!({"Tuple": []}),
        serde_json::Value::String(s) => serde_json::Value::String(format!("{s}_")),
        serde_json::Value::Number(n) => serde_json::Value::from(n.as_u64()?.wrapping_add(1)),
        _ => return None,
    };
    serde_json::from_value(v).ok()
}

/// One random mutation of `ds` (the kind, for the report), or `None` if the drawn kind does
/// not apply to the drawn node.
fn mutate(ds: &mut [Derivation], rng: &mut Rng) -> Option<&'static str> {
    let k = rng.below(ds.len());
    let ps = paths(&ds[k]);
    let path = &ps[rng.below(ps.len())];
    let n = node_mut(&mut ds[k], path);
    let j = &mut n.conclusion;
    Some(match rng.below(7) {
        0 => {
            let r = Rule::ALL[rng.below(Rule::ALL.len())];
            if r == n.rule {
                return None;
            }
            n.rule = r;
            "rule"
        }
        1 => {
            let side = if rng.below(2) == 0 {
                &mut j.nonlinear
            } else {
                &mut j.linear
            };
            if side.is_empty() {
                side.push(TypeExpr::Real);
            } else {
                let i = rng.below(side.len());
                side[i] = match &side[i] {
                    TypeExpr::Real => TypeExpr::Tuple(vec![]),
                    t => TypeExpr::Tuple(vec![t.clone()]),
                };
            }
            "type"
        }
        2 => {
            let c = &mut j.consumed;
            match (c.len(), rng.below(3)) {
                (0, _) => c.push("y'".into()),
                (_, 0) => {
                    c.remove(rng.below(c.len()));
                }
                (_, 1) => {
                    let x = c[rng.below(c.len())].clone();
                    c.push(x);
                }
                (l, _) if l >= 2 => c.swap(0, l - 1),
                _ => c[0].push('_'),
            }
            "delta"
        }
        3 => {
            j.subject = mutate_subject(&j.subject, rng)?;
            "subject"
        }
        4 if !n.children.is_empty() => {
            n.children.remove(rng.below(n.children.len()));
            "drop a premise"
        }
        5 if !n.children.is_empty() => {
            let c = n.children[rng.below(n.children.len())].clone();
            let at = rng.below(n.children.len() + 1);
            n.children.insert(at, c);
            "duplicate a premise"
        }
        6 if n.children.len() >= 2 => {
            let a = rng.below(n.children.len());
            let b = (a + 1 + rng.below(n.children.len() - 1)) % n.children.len();
            n.children.swap(a, b);
            "swap premises"
        }
        _ => return None,
    })
}

/// How many mutations the suite tries (`KERNEL_MUTATIONS=100000` for a longer run).
fn budget() -> usize {
    std::env::var("KERNEL_MUTATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4000)
}

#[test]
fn every_meaning_changing_mutation_of_a_real_derivation_is_rejected() {
    let cases: Vec<(String, Program, Vec<Derivation>)> = programs()
        .into_iter()
        .map(|(name, p)| {
            let ds = derived(&name, &p);
            (name, p, ds)
        })
        .collect();
    let mut rng = Rng(0x1a2b_3c4d);
    let (mut tried, mut same, mut rejected) = (0usize, 0usize, 0usize);
    let mut by_kind: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    let mut escaped = Vec::new();
    while tried < budget() {
        let (name, p, ds) = &cases[rng.below(cases.len())];
        let mut m = ds.clone();
        let Some(kind) = mutate(&mut m, &mut rng) else {
            continue;
        };
        tried += 1;
        if m == *ds {
            same += 1; // swapped equal premises, say: nothing changed
            continue;
        }
        let e = by_kind.entry(kind).or_default();
        e.0 += 1;
        if check(p, prims(), &m).is_err() {
            rejected += 1;
            e.1 += 1;
        } else if escaped.len() < 5 {
            escaped.push(format!("{name}: {kind}"));
        }
    }
    let changed = tried - same;
    println!(
        "kernel derivation mutations: {tried} tried, {same} changed nothing, {rejected}/{changed} meaning-changing ones rejected ({:.2}%)",
        100.0 * rejected as f64 / changed.max(1) as f64
    );
    for (kind, (n, r)) in &by_kind {
        println!("  {kind}: {r}/{n} rejected");
    }
    assert!(escaped.is_empty(), "accepted mutants: {escaped:?}");
    assert!(changed > budget() / 2);
}

// ---- hostile input ----

#[test]
fn truncated_flipped_and_random_json_never_panics() {
    let mut rng = Rng(7);
    let cases: Vec<(Program, String)> = programs()
        .into_iter()
        .step_by(7)
        .map(|(name, p)| {
            let json = serde_json::to_string(&derived(&name, &p)).unwrap();
            (p, json)
        })
        .collect();
    let mut parsed = 0;
    for i in 0..3000 {
        let (p, json) = &cases[i % cases.len()];
        let bytes = json.as_bytes();
        let text: Vec<u8> = match i % 3 {
            0 => bytes[..rng.below(bytes.len())].to_vec(),
            1 => {
                let mut b = bytes.to_vec();
                for _ in 0..1 + rng.below(3) {
                    let at = rng.below(b.len());
                    let alpha = b"{}[]\",:0123456789RTabx'-";
                    b[at] = alpha[rng.below(alpha.len())];
                }
                b
            }
            _ => {
                let alpha = b"{}[]\",: rule T-Def children conclusion";
                (0..rng.below(64))
                    .map(|_| alpha[rng.below(alpha.len())])
                    .collect()
            }
        };
        let Ok(text) = String::from_utf8(text) else {
            continue;
        };
        if let Ok(ds) = serde_json::from_str::<Vec<Derivation>>(&text) {
            parsed += 1;
            let _ = check(p, prims(), &ds);
        }
    }
    println!("{parsed} of 3000 hostile texts were derivations; none panicked");
}

#[test]
fn another_programs_derivations_are_rejected_without_panicking() {
    // Well-formed but foreign evidence: a program has one derivation, so another is rejected.
    let cases: Vec<(String, Program, Vec<Derivation>)> = programs()
        .into_iter()
        .step_by(3)
        .map(|(name, p)| {
            let ds = derived(&name, &p);
            (name, p, ds)
        })
        .collect();
    let mut rng = Rng(11);
    for _ in 0..2000 {
        let (a, pa, da) = &cases[rng.below(cases.len())];
        let (b, _, db) = &cases[rng.below(cases.len())];
        if da != db {
            assert!(
                check(pa, prims(), db).is_err(),
                "{b}'s derivations check {a}"
            );
        }
    }
}

#[test]
fn unknown_rule_names_and_fields_do_not_read_back() {
    let p = parse_ok("a", "def f(x: R) -> (R) = x");
    let json = serde_json::to_string(&derived("a", &p)).unwrap();
    assert!(json.contains("\"T-Def\""));
    let bad = json.replace("\"T-Def\"", "\"T-Magic\"");
    assert!(serde_json::from_str::<Vec<Derivation>>(&bad).is_err());
    let extra = json.replacen("\"children\"", "\"trusted\":true,\"children\"", 1);
    assert!(serde_json::from_str::<Vec<Derivation>>(&extra).is_err());
}

#[test]
fn a_200k_let_body_re_checks_without_recursion() {
    // `LINA_KERNEL_LETS=500000 cargo test -p checker --test kernel_derivation a_200k` runs
    // a million lets (two per step).
    let n: usize = std::env::var("LINA_KERNEL_LETS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let mut src = String::from("def f(x0: R ; y0': R) -> (R ; R) =\n");
    for i in 1..=n {
        src.push_str(&format!(
            "let x{i} = x{} + 1.0 in\nlet y{i}' = x{} * y{}' in\n",
            i - 1,
            i - 1,
            i - 1
        ));
    }
    src.push_str(&format!("(x{n} ; y{n}')\n"));
    let p = parse_ok("long", &src);
    let ds = derived("long", &p);
    let t = std::time::Instant::now();
    check(&p, prims(), &ds).unwrap();
    println!("re-checked {} lets in {:?}", 2 * n, t.elapsed());
}

// ---- the trust boundary ----

#[test]
fn the_kernel_and_the_re_check_import_only_the_syntax_the_rule_names_and_themselves() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed = [
        "std::",
        "core::",
        "semantics",
        "serde",
        "serde_json",
        "super::",
        "self::",
        "crate::kernel::",
        "crate::rules::Rule",
        "crate::evidence::",
    ];
    let mut files = 0;
    let kernel = std::fs::read_dir(root.join("kernel")).unwrap();
    let paths = kernel.map(|e| e.unwrap().path());
    for path in paths.chain([root.join("recheck.rs"), root.join("evidence.rs")]) {
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        // Code only: `//` comments may name what the kernel does not use.
        let code: Vec<&str> = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect();
        let code = code.join("\n");
        // Every `use` item (multi-line ones joined), and every path through `crate::` anywhere.
        for item in code.split(';') {
            let item = item.trim();
            let Some(rest) = item
                .strip_prefix("use ")
                .or_else(|| item.strip_prefix("pub use "))
            else {
                continue;
            };
            let rest = rest.trim_start_matches("::");
            assert!(
                allowed.iter().any(|a| rest.starts_with(a)),
                "{}: forbidden import `use {rest}`",
                path.display()
            );
        }
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i..];
            assert!(
                rest.starts_with("crate::kernel")
                    || rest.starts_with("crate::rules::Rule")
                    || rest.starts_with("crate::evidence"),
                "{}: forbidden path `{}`",
                path.display(),
                &rest[..rest.len().min(40)]
            );
        }
        for crate_name in ["egg", "rewrite", "typing", "elaborate", "context"] {
            assert!(
                !code.contains(&format!("{crate_name}::")),
                "{}: mentions `{crate_name}::`",
                path.display()
            );
        }
    }
    assert!(files >= 3, "kernel files: {files}");
}
