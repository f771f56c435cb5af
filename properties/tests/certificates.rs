//! Certificates (SPEC §6) on the corpus, and the kernel against tampering:
//!
//! - every corpus program's `jvp`, `vjp` and `unzip` under every policy and `transpose`
//!   certifies, and the kernel verifies each certificate (the corpus with certification
//!   forced on); the linear corpus is unzipped and, where in Linear B, transposed too;
//! - tampering with one random leaf of a real certificate (a number, an operator, a binder's
//!   type, a claim's or obligation's outcome or name, a character of the program text, ...) is
//!   rejected unless the leaf is free (`docs/certificates.md`) or the tampered certificate is
//!   independently still true: program text that evaluates to the same numbers. Any other
//!   accepted tampering fails the test. The suite runs
//!   `CERT_TAMPERINGS` tamperings (default 400);
//!   `CERT_TAMPERINGS=10000 cargo test -p properties --test certificates tampering -- --nocapture`
//!   is the figure in `docs/RESULTS.md`;
//! - the kernel never panics on mutated certificates or on random JSON;
//! - what tampering with one leaf cannot reach (each found by `cargo mutants` on the kernel,
//!   docs/RESULTS.md): a claim's obligations are read one for one, the report's reasons and
//!   counts are the kernel's, a given transpose is accepted at its work bound and rejected
//!   one unit past it, and the kernel's JVP constant is the producer's.

use checker::kernel::walk::Prog;
use rewrite::Policy;
use rewrite::certificate::{Pass, certify, certify_output};
use semantics::numeric::Rng;
use semantics::{PrimTable, Program, Value};
use serde_json::Value as Json;

const POLICIES: [Policy; 3] = [Policy::SaveAll, Policy::RecomputeAll, Policy::Budget(1)];

/// Certifies `pass` on `p` and verifies the certificate: its JSON text and the output.
fn round_trip(name: &str, p: &Program, pass: Pass) -> (String, Program) {
    let (out, cert) =
        certify(p, PrimTable::standard(), pass).unwrap_or_else(|e| panic!("{name} {pass:?}: {e}"));
    let json = serde_json::to_string(&cert).unwrap();
    // A transpose claim stated entrywise (`coefficient k@i`) is the pairing's fallback.
    let entrywise = cert.claims.iter().filter(|c| {
        let first = c.obligations.first().map(|o| o.what.as_str());
        c.claim == "transpose" && first.is_some_and(|w| w.starts_with("coefficient"))
    });
    ENTRYWISE.with(|n| n.borrow_mut().extend(entrywise.map(|c| c.function.clone())));
    match checker::refute::verify(&json) {
        Err(e) => panic!("{name} {pass:?}: rejected: {e}"),
        Ok(r) => {
            for c in r.claims.iter().filter(|c| c.outcome != "proved") {
                eprintln!(
                    "not proved: {name} {pass:?} {}: {} {}",
                    c.function, c.claim, c.outcome
                );
                NOT_PROVED.with(|n| n.set(n.get() + 1));
            }
        }
    }
    (json, out)
}

thread_local! {
    /// Claims that verified but are not `proved`, counted by [`round_trip`].
    static NOT_PROVED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// The functions whose transpose claims are stated entrywise, not by the adjoint pairing.
    static ENTRYWISE: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[test]
fn every_corpus_program_certifies_and_verifies() {
    let prims = PrimTable::standard();
    let mut sizes = Vec::new();
    for file in semantics::corpus::load("").unwrap() {
        let p = semantics::parse(&file.src).unwrap();
        if checker::accepts(&p, prims, checker::Options { relaxed: true }).is_err() {
            continue;
        }
        let (jc, j) = round_trip(&file.name, &p, Pass::Jvp);
        let mut vjp_size = 0;
        for pol in POLICIES {
            let (vc, _) = round_trip(&file.name, &p, Pass::Vjp(pol));
            vjp_size = vjp_size.max(vc.len());
            let (_, u) = round_trip(&file.name, &j, Pass::Unzip(pol));
            round_trip(&file.name, &u, Pass::Transpose);
        }
        sizes.push((
            file.name.clone(),
            p.funcs.iter().map(semantics::fn_size).sum::<u128>(),
            jc.len(),
            vjp_size,
        ));
    }
    for file in semantics::corpus::load("linear").unwrap() {
        let p = semantics::parse(&file.src).unwrap();
        if checker::accepts(&p, prims, checker::Options { relaxed: true }).is_err() {
            continue;
        }
        for pol in POLICIES {
            round_trip(&file.name, &p, Pass::Unzip(pol));
        }
        let strict = checker::elaborate(&p, prims).unwrap();
        if checker::check_linear_b(&strict).is_empty() {
            round_trip(&file.name, &p, Pass::Transpose);
        }
    }
    // Every claim of every corpus certificate is decided by the kernel (transposes by the
    // adjoint pairing, VJPs as the composition of their stages): none is `unknown`.
    assert_eq!(NOT_PROVED.with(|n| n.get()), 0, "corpus claims not proved");
    // Every transpose claim is by the adjoint pairing: `spring`'s `total_energy3.jvp.lin` and
    // `butterfly_twice` since a callee's symbol can be both an atom and a coefficient of one
    // obligation.
    let entrywise = ENTRYWISE.with(|n| n.take());
    // The 96 claims of 16 `.jvp.lin` functions (`circle_area`'s, `drop_value`'s, ...) that were
    // entrywise had a leaf with no cotangent binder in `g.T` (merged into a sum's, or a zero
    // one dropped); such a leaf now gets the row its consuming equation gives.
    assert!(entrywise.is_empty(), "entrywise transposes: {entrywise:?}");
    eprintln!("certificate sizes (bytes of JSON; vjp: the largest over the three policies):");
    eprintln!("| program | size of P (nodes) | jvp (bytes) | vjp (bytes) | vjp bytes per node |");
    eprintln!("| --- | ---: | ---: | ---: | ---: |");
    for (name, size, j, v) in &sizes {
        eprintln!(
            "| {name} | {size} | {j} | {v} | {:.0} |",
            *v as f64 / *size as f64
        );
    }
}

/// Real certificates to tamper with: five corpus programs, every transformation (among them
/// long_chain, 384 nodes).
fn samples() -> Vec<Json> {
    let mut out = Vec::new();
    for name in [
        "worked_example",
        "bezier",
        "multi_result",
        "long_chain",
        "nested_tuples",
    ] {
        let src =
            std::fs::read_to_string(semantics::corpus::root().join(format!("{name}.la"))).unwrap();
        let p = semantics::parse(&src).unwrap();
        let (jc, j) = round_trip(name, &p, Pass::Jvp);
        let (uc, u) = round_trip(name, &j, Pass::Unzip(Policy::Budget(1)));
        let (tc, _) = round_trip(name, &u, Pass::Transpose);
        let (vc, _) = round_trip(name, &p, Pass::Vjp(Policy::SaveAll));
        out.extend(
            [jc, uc, tc, vc]
                .iter()
                .map(|c| serde_json::from_str(c).unwrap()),
        );
    }
    out
}

/// Every leaf of a JSON value, as a path of object keys and array indices.
fn leaves(v: &Json) -> Vec<Vec<Json>> {
    let mut out = Vec::new();
    let mut stack = vec![(v, Vec::new())];
    while let Some((v, path)) = stack.pop() {
        match v {
            Json::Object(m) => m.iter().for_each(|(k, x)| {
                stack.push((x, [path.clone(), vec![Json::from(k.as_str())]].concat()))
            }),
            Json::Array(a) if !a.is_empty() => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| stack.push((x, [path.clone(), vec![Json::from(i)]].concat()))),
            _ => out.push(path),
        }
    }
    out
}

fn at<'a>(v: &'a mut Json, path: &[Json]) -> &'a mut Json {
    path.iter().fold(v, |v, k| match k {
        Json::String(s) => &mut v[s.as_str()],
        k => &mut v[k.as_u64().unwrap() as usize],
    })
}

const FREE: [&str; 5] = ["comment", "producer", "time_ms", "reason", "policy"];
/// A different value for a leaf, of its kind.
fn tamper(v: &Json, key: &str, rng: &mut Rng) -> Json {
    let pick = |rng: &mut Rng, n: usize| (rng.next_u64() % n as u64) as usize;
    match v {
        Json::Bool(b) => Json::Bool(!b),
        Json::Number(n) if n.is_u64() || n.is_i64() => {
            let x = n.as_i64().unwrap_or(i64::MAX);
            Json::from(
                [
                    x.wrapping_add(1),
                    x.wrapping_sub(1),
                    0,
                    x.wrapping_mul(2) | 1,
                    1 << 40,
                ][pick(rng, 5)],
            )
        }
        Json::Number(n) => Json::from(n.as_f64().unwrap() * [0.5, 1.5, -1.0][pick(rng, 3)] + 0.25),
        Json::String(s) if ["input", "output", "stages"].contains(&key) => {
            let chars: Vec<char> = s.chars().collect();
            let spots: Vec<usize> = (0..chars.len())
                .filter(|&i| chars[i].is_ascii_alphanumeric() || "+-*/".contains(chars[i]))
                .collect();
            let i = spots[pick(rng, spots.len())];
            let mut c = chars.clone();
            c[i] = match c[i] {
                d if d.is_ascii_digit() => {
                    char::from(b'0' + ((d as u8 - b'0' + 1 + pick(rng, 8) as u8) % 10))
                }
                o if "+-*/".contains(o) => "*+/-".chars().nth("+-*/".find(o).unwrap()).unwrap(),
                l => {
                    if l == 'x' {
                        'y'
                    } else {
                        'x'
                    }
                }
            };
            Json::from(c.into_iter().collect::<String>())
        }
        Json::String(s) if key == "outcome" => {
            Json::from(if s == "proved" { "unknown" } else { "proved" })
        }
        Json::String(s) => {
            let options = ["add", "mul", "1.0", "P:f#0", "x", "", "sin"];
            Json::from(
                options
                    .iter()
                    .find(|o| **o != s)
                    .map(|o| format!("{o}{}", if pick(rng, 2) == 0 { "" } else { "'" }))
                    .unwrap(),
            )
        }
        Json::Null => Json::from(0),
        _ => Json::from("?"),
    }
}

/// The tampered program (the text at `path`: an input, output or stage) evaluates like the
/// original.
fn same_numbers(orig: &Json, new: &Json, path: &[Json]) -> bool {
    let prims = PrimTable::standard();
    let text = |v: &Json| at(&mut v.clone(), path).as_str().unwrap_or("").to_string();
    [()].iter().all(|_| {
        let (Ok(a), Ok(b)) = (semantics::parse(&text(orig)), semantics::parse(&text(new))) else { return false };
        let mut rng = Rng::new(7);
        a.funcs.len() == b.funcs.len()
            && a.funcs.iter().enumerate().all(|(i, f)| {
                (0..3).all(|_| {
                    let nl: Vec<Value> = f.params.iter().map(|p| rng.value(&p.ty, 0.3, 1.7)).collect();
                    let lin: Vec<Value> = f.lparams.iter().map(|p| rng.value(&p.ty, -1.0, 1.0)).collect();
                    let id = semantics::FuncId(i as u32);
                    let (x, y) = (semantics::eval_fn(&a, prims, id, &nl, &lin), semantics::eval_fn(&b, prims, id, &nl, &lin));
                    matches!((x, y), (Ok(x), Ok(y)) if format!("{:?}", (&x.nl, &x.lin)) == format!("{:?}", (&y.nl, &y.lin)))
                })
            })
    })
}

#[test]
fn tampering_with_a_certificate_is_rejected_unless_it_keeps_the_claims_true() {
    let n: usize = std::env::var("CERT_TAMPERINGS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let certs = samples();
    // Leaves grouped by their key, so that every kind of leaf (program text, rule names, ...)
    // is tampered with as often as every other, not in proportion to how many there are.
    let key_of = |p: &Vec<Json>| {
        p.iter()
            .rev()
            .find_map(|k| k.as_str())
            .unwrap_or("")
            .to_string()
    };
    let all: Vec<Vec<Vec<Vec<Json>>>> = certs
        .iter()
        .map(|c| {
            let mut groups: std::collections::BTreeMap<String, Vec<Vec<Json>>> = Default::default();
            leaves(c)
                .into_iter()
                .for_each(|p| groups.entry(key_of(&p)).or_default().push(p));
            groups.into_values().collect()
        })
        .collect();
    let mut rng = Rng::new(0xce27);
    let (mut rejected, mut free, mut still_true, mut counted) = (0, 0, 0, 0);
    let mut by_kind: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for _ in 0..n {
        let c = (rng.next_u64() % certs.len() as u64) as usize;
        let group = &all[c][(rng.next_u64() % all[c].len() as u64) as usize];
        let path = &group[(rng.next_u64() % group.len() as u64) as usize];
        let key = path
            .iter()
            .rev()
            .find_map(|k| k.as_str())
            .unwrap_or("")
            .to_string();
        let mut t = certs[c].clone();
        let old = at(&mut t, path).clone();
        let mut new = tamper(&old, &key, &mut rng);
        while new == old {
            new = tamper(&old, &key, &mut rng);
        }
        *at(&mut t, path) = new;
        let text = t.to_string();
        let verdict = std::panic::catch_unwind(|| checker::refute::verify(&text))
            .expect("the kernel panicked");
        let is_free = path
            .iter()
            .any(|k| k.as_str().is_some_and(|k| FREE.contains(&k)));
        if is_free {
            free += 1;
            assert!(
                verdict.is_ok(),
                "a free leaf `{key}` was not free: {:?}",
                verdict.err()
            );
            continue;
        }
        counted += 1;
        let e = by_kind.entry(key.clone()).or_default();
        e.0 += 1;
        if verdict.is_err() {
            rejected += 1;
            e.1 += 1;
            continue;
        }
        // Accepted: it must be independently still true.
        let text_same = ["input", "output", "stages"].contains(&key.as_str())
            && same_numbers(&certs[c], &t, path);
        assert!(
            text_same,
            "accepted a tampering of `{key}` at {path:?}: {old} -> {}",
            at(&mut t, path)
        );
        still_true += 1;
    }
    let rate = rejected as f64 / counted.max(1) as f64;
    eprintln!(
        "{n} tamperings: {free} of free leaves (all accepted), {counted} of meaningful leaves: {rejected} rejected, {still_true} accepted and independently still true ({:.2}% rejected)",
        100.0 * rate
    );
    for (k, (total, rej)) in &by_kind {
        eprintln!("  {k}: {rej} / {total} rejected");
    }
    assert!(counted > n / 2);
}

#[test]
fn the_kernel_never_panics_on_mutated_certificates_or_random_json() {
    let certs: Vec<String> = samples().iter().take(8).map(|c| c.to_string()).collect();
    let mut rng = Rng::new(0xf022);
    let mut accepted = 0;
    for k in 0..600 {
        let text = if k % 3 == 0 {
            // Random JSON: nested arrays, objects, numbers and strings.
            let mut s = String::new();
            for _ in 0..(rng.next_u64() % 200) {
                s.push(b"{}[]\":,0123-.eatrunl \\x"[(rng.next_u64() % 23) as usize] as char);
            }
            s
        } else {
            // A certificate with a few bytes changed, cut or duplicated.
            let mut b = certs[k % certs.len()].clone().into_bytes();
            for _ in 0..1 + rng.next_u64() % 4 {
                let i = (rng.next_u64() % b.len() as u64) as usize;
                match rng.next_u64() % 3 {
                    0 => b[i] = b"0123456789{}[],\":-abcx"[(rng.next_u64() % 22) as usize],
                    1 => b.truncate(i.max(1)),
                    _ => b.insert(i, b[i]),
                }
            }
            String::from_utf8_lossy(&b).into_owned()
        };
        let r = std::panic::catch_unwind(|| checker::refute::verify(&text));
        accepted += usize::from(r.expect("the kernel panicked").is_ok());
    }
    eprintln!("600 mutated or random inputs: no panic, {accepted} accepted");
}

/// A function of `n` bindings in `width` independent chains (cycling through `sin`, scaling
/// by `y`, `tanh` and a literal factor, as `rewrite/tests/equiv_scale.rs`), summed at the end.
fn long_program(n: usize, width: usize) -> String {
    let mut body = String::from("def f(x: R, y: R) -> (R) =\n");
    let len = n / width;
    for c in 0..width {
        body += &format!("  let c{c}_0 = x + {c}.0 in\n");
        for k in 1..len {
            let prev = format!("c{c}_{}", k - 1);
            let rhs = match k % 4 {
                0 => format!("sin({prev})"),
                1 => format!("{prev} * y"),
                2 => format!("tanh({prev})"),
                _ => format!("{prev} * 0.75"),
            };
            body += &format!("  let c{c}_{k} = {rhs} in\n");
        }
    }
    body += &format!("  let s0 = c0_{} in\n", len - 1);
    for c in 1..width {
        body += &format!("  let s{c} = s{} + c{c}_{} in\n", c - 1, len - 1);
    }
    body + &format!("  s{}\n", width - 1)
}

/// Certifying and verifying the VJP of a long function: `CERT_BINDINGS` bindings (default
/// 100) in `CERT_CHAINS` chains (default 10). `CERT_BINDINGS=1000 CERT_CHAINS=50 cargo test
/// --release -p properties --test certificates long -- --nocapture` and the same with
/// `CERT_CHAINS=1` (one chain: its gradient's ring normal form is quadratic in its length) are
/// the figures in `docs/RESULTS.md`.
#[test]
fn a_long_function_certifies_and_verifies() {
    let var = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(d)
    };
    let (n, width) = (var("CERT_BINDINGS", 100), var("CERT_CHAINS", 10));
    let p = semantics::parse(&long_program(n, width)).unwrap();
    let t0 = std::time::Instant::now();
    let (_, cert) = certify(&p, PrimTable::standard(), Pass::Vjp(Policy::SaveAll)).unwrap();
    let json = serde_json::to_string(&cert).unwrap();
    let t1 = std::time::Instant::now();
    let r = checker::refute::verify(&json).unwrap_or_else(|e| panic!("rejected: {e}"));
    let t2 = std::time::Instant::now();
    eprintln!(
        "{n} bindings in {width} chains (|P| = {}): certify {:.2} s, verify {:.3} s; {} bytes, {} terms, {} obligations decided, {} proved, {} unknown",
        p.funcs.iter().map(semantics::fn_size).sum::<u128>(),
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        json.len(),
        r.terms,
        r.decided,
        r.proved,
        r.unknown
    );
    // The stages' claims (jvp-primal, jvp-tangent, unzip, transpose of both halves) and the
    // VJP's: every one decided, none unknown.
    assert_eq!((r.proved, r.unknown), (6, 0), "{:?}", r.claims);
}

/// A wrong output (the worked example's JVP with `cos` replaced by `sin`) certifies with
/// `refuted` tangent claims; the kernel evaluates both sides at each recorded point and
/// accepts. Moved to a point where the two sides agree (`x·y = π/4`), or put on a true
/// obligation, a refutation is rejected.
#[test]
fn a_refutation_is_re_evaluated_by_the_kernel() {
    let prims = PrimTable::standard();
    let src = std::fs::read_to_string(semantics::corpus::root().join("worked_example.la")).unwrap();
    let p = checker::elaborate(&semantics::parse(&src).unwrap(), prims).unwrap();
    let j = semantics::print(&rewrite::jvp(&p, prims).unwrap());
    assert!(j.contains("cos("));
    let wrong = semantics::parse(&j.replace("cos(", "sin(")).unwrap();
    let cert = certify_output(&p, prims, Pass::Jvp, wrong).unwrap();
    let json = serde_json::to_value(&cert).unwrap();
    let r = checker::refute::verify(&json.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let refuted = r.claims.iter().filter(|c| c.outcome == "refuted").count();
    assert!(refuted > 0, "{:?}", r.claims);
    // Every refutation moved to x = π/4, y = 1, where sin(x·y) = cos(x·y).
    let mut moved = json.clone();
    let mut n = 0;
    for c in moved["claims"].as_array_mut().unwrap() {
        for o in c["obligations"].as_array_mut().unwrap() {
            if o["outcome"] == "refuted" {
                o["point"] = serde_json::json!([["x", std::f64::consts::FRAC_PI_4], ["y", 1.0]]);
                n += 1;
            }
        }
    }
    assert!(n > 0);
    let e = checker::refute::verify(&moved.to_string()).unwrap_err();
    assert!(e.message.contains("do not differ"), "{e}");
    // A true obligation of a correct certificate called refuted, at any point.
    let (_, good) = certify(&p, prims, Pass::Jvp).unwrap();
    let mut good = serde_json::to_value(&good).unwrap();
    let c = &mut good["claims"][0];
    c["outcome"] = "refuted".into();
    c["obligations"][0]["outcome"] = "refuted".into();
    c["obligations"][0]["point"] = serde_json::json!([["x", 0.3], ["y", 1.1]]);
    let e = checker::refute::verify(&good.to_string()).unwrap_err();
    assert!(e.message.contains("do not differ"), "{e}");
}

/// A hostile certificate whose program nests values as deep as it is long (chained
/// `let b = <a>`, or a chain of aliases `type A{i} = <A{i-1}>`, which the checker accepts:
/// a named type counts one level), or shares a tuple twice per level, is decided in bounded
/// time and stack: the kernel spells and
/// sort-checks shared tuples once, recurses on a growing stack, and drops values iteratively.
#[test]
fn deeply_nested_programs_in_a_certificate_neither_crash_nor_hang_the_kernel() {
    let small =
        semantics::parse("def f(x: R) -> (R) =\n  let b = <x> in\n  let <y> = b in\n  (y)\n")
            .unwrap();
    let (_, cert) = certify(&small, PrimTable::standard(), Pass::Jvp).unwrap();
    let base = serde_json::to_value(&cert).unwrap();
    let n = 20_000;
    let mut chain = String::from("def f(x: R) -> (R) =\n  let b0 = <x> in\n");
    for i in 1..n {
        chain += &format!("  let b{i} = <b{}> in\n", i - 1);
    }
    chain += &format!("  let () = drop(b{}) in\n  (x)\n", n - 1);
    let mut aliases = String::from("type A0 = <R>\n");
    for i in 1..n {
        aliases += &format!("type A{i} = <A{}>\n", i - 1);
    }
    aliases += &format!(
        "def f(x: A{}) -> (R) =\n  let () = drop(x) in\n  (1.0)\n",
        n - 1
    );
    // A tuple of the previous one twice, 40 times: its type spelled out, or copied as a tree,
    // is 2^40 long (values share, so the sweep does not care; synthesising the slot types
    // before the claims rejected it hung the kernel).
    let mut doubling = String::from("def f(x: R, y: R) -> (R) =\n  let t0 = <x, y> in\n");
    for i in 1..40 {
        doubling += &format!("  let t{i} = <t{}, t{}> in\n", i - 1, i - 1);
    }
    doubling += "  let () = drop(t39) in\n  (x)\n";
    for (what, text) in [
        (format!("{n} chained tuples"), &chain),
        (format!("an alias chain of {n}"), &aliases),
        ("a doubling chain of 40".to_string(), &doubling),
    ] {
        for field in ["input", "output"] {
            let mut c = base.clone();
            c[field] = Json::String(text.clone());
            let t = std::time::Instant::now();
            let r = std::panic::catch_unwind(|| checker::refute::verify(&c.to_string()));
            assert!(r.is_ok(), "{what} as the {field}: the kernel panicked");
            // Neither program is the jvp of the other side: the certificate must be rejected.
            assert!(
                r.is_ok_and(|r| r.is_err()),
                "{what} as the {field} was accepted"
            );
            eprintln!(
                "{what} as the {field}: rejected in {:.2} s",
                t.elapsed().as_secs_f64()
            );
        }
    }
}

/// The call DAG `f0(x) = sin(x)`, `f_i(x) = f_{i-1}(x) * f_{i-1}(x * 2.0)` of depth `d`.
fn call_dag(d: usize) -> Program {
    let mut src = String::from("def f0(x: R) -> (R) = sin(x)\n");
    for i in 1..=d {
        src += &format!(
            "def f{i}(x: R) -> (R) = f{}(x) * f{}(x * 2.0)\n",
            i - 1,
            i - 1
        );
    }
    semantics::parse(&src).unwrap()
}

/// At depth 40 a residual has `2^40` scalar leaves: the functions over the lowering's leaf
/// budget (`checker::kernel::walk::refused`) are lowered neither by the producer nor by the
/// kernel, so both finish (no time is asserted), their claims are `unknown` with the budget as
/// the reason, and the certificate verifies. Called `proved`, such a claim is rejected (E0808).
#[test]
fn a_call_dag_of_depth_40_neither_blows_up_nor_claims_what_it_did_not_check() {
    let p = call_dag(40);
    let (_, cert) = certify(&p, PrimTable::standard(), Pass::Vjp(Policy::SaveAll)).unwrap();
    let json = serde_json::to_value(&cert).unwrap();
    let r = checker::refute::verify(&json.to_string()).unwrap_or_else(|e| panic!("{e}"));
    // Independently of the kernel: a residual of the deepest .nonlin has 2^40 leaves.
    let u = semantics::parse(&cert.stages[1]).unwrap();
    let nl = u.func(u.func_named("f40.jvp.nonlin").unwrap()).unwrap();
    assert!(nl.results.iter().map(|t| t.size()).sum::<u128>() > 1 << 40);
    let over = |c: &checker::kernel::ClaimOutcome| {
        c.outcome == "unknown" && c.why.as_deref().is_some_and(|w| w.contains("leaf budget"))
    };
    assert!(r.claims.iter().any(over), "{:?}", r.claims);
    // Every claim left unknown says why in the kernel's own words: the budget, and (but for a
    // typing claim, which is about its own function) the function or the VJP's stage claim.
    for c in r.claims.iter().filter(|c| c.outcome == "unknown") {
        let why = c.why.as_deref().unwrap_or_default();
        let named = why.starts_with("`f") || c.claim == "typing";
        assert!(named && why.contains("leaf budget"), "{c:?}");
    }
    let kinds = |k: &str| r.claims.iter().filter(|c| c.claim == k && over(c)).count();
    assert!(
        ["typing", "transpose", "unzip", "vjp"]
            .iter()
            .all(|k| kinds(k) > 0)
    );
    assert!(
        r.claims
            .iter()
            .any(|c| c.function == "f40" && c.claim == "vjp" && c.outcome == "unknown"),
        "{:?}",
        r.claims
    );
    // The producer wrote `unknown` wherever the kernel refused: no proved claim on a refused one.
    let mut tampered = 0;
    for (i, c) in cert.claims.iter().enumerate() {
        if c.outcome == "unknown" && c.obligations.is_empty() && tampered < 6 {
            let mut t = json.clone();
            t["claims"][i]["outcome"] = "proved".into();
            let e = checker::refute::verify(&t.to_string()).unwrap_err();
            assert!(["E0808", "E0803"].contains(&e.code), "{e}");
            tampered += usize::from(e.code == "E0808");
        }
    }
    assert!(tampered > 0, "no claim over the budget was tampered with");
}

/// A claim's obligations are read one for one: a certificate that drops one of a proved
/// claim's obligations, or repeats one, is rejected (E0803), though every obligation it keeps
/// is true. The report counts the obligations decided. The producer's `reason` (a free leaf)
/// is shown for a claim the kernel did not prove and never for one it did.
#[test]
fn obligations_are_read_one_for_one_and_reasons_shown_only_where_not_proved() {
    let (_, cert) = certify(
        &call_dag(2),
        PrimTable::standard(),
        Pass::Vjp(Policy::SaveAll),
    )
    .unwrap();
    let v = serde_json::to_value(&cert).unwrap();
    let verify = |v: &Json| checker::refute::verify(&v.to_string());
    let i = cert
        .claims
        .iter()
        .position(|c| c.outcome == "proved" && c.obligations.len() >= 2)
        .expect("a proved claim with two obligations");
    // The report counts the obligations the kernel decided: every one stated proved.
    let stated: usize = cert
        .claims
        .iter()
        .flat_map(|c| &c.obligations)
        .filter(|o| o.outcome == "proved")
        .count();
    assert!(stated > 0);
    assert_eq!(verify(&v).unwrap().decided, stated);
    let mut fewer = v.clone();
    fewer["claims"][i]["obligations"]
        .as_array_mut()
        .unwrap()
        .pop();
    let mut more = v.clone();
    let first = more["claims"][i]["obligations"][0].clone();
    more["claims"][i]["obligations"]
        .as_array_mut()
        .unwrap()
        .push(first);
    for t in [&fewer, &more] {
        assert_eq!(verify(t).map(|_| ()).unwrap_err().code, "E0803");
    }
    // A reason on a proved claim is not repeated; on a claim weakened to unknown, it is (the
    // last claim weakened without failing the claims that use it: a caller's, a VJP's).
    let mut t = v.clone();
    t["claims"][i]["reason"] = "xyzzy".into();
    assert_eq!(verify(&t).unwrap().claims[i].why, None);
    let stated = |k: &usize| !cert.claims[*k].obligations.is_empty();
    let weakened = (0..cert.claims.len()).rev().filter(stated).find_map(|k| {
        let mut t = v.clone();
        t["claims"][k]["reason"] = "xyzzy".into();
        t["claims"][k]["outcome"] = "unknown".into();
        t["claims"][k]["obligations"][0]["outcome"] = "unknown".into();
        verify(&t).ok().map(|r| r.claims[k].clone())
    });
    let c = weakened.expect("a claim that can be weakened alone");
    assert_eq!(
        (c.outcome.as_str(), c.why.as_deref()),
        ("unknown", Some("xyzzy"))
    );
}

/// The kernel's JVP work constant (`checker::kernel::bounds::c_jvp`, from the table's rules
/// parsed and costed by the kernel) equals the producer's (`rewrite::work_bounds::c_jvp`,
/// from the loaded `JvpRules`) on every corpus program: two derivations of SPEC §5's
/// constant. A weaker constant in the kernel would pass every certificate, since real
/// outputs are well inside the bound.
#[test]
fn the_kernels_jvp_constant_is_the_producers() {
    let prims = PrimTable::standard();
    let rules = rewrite::JvpRules::load(prims).unwrap();
    let wide = "def f(x: R) -> (R) = let t = <x, x, x, x, x, x, x, x, x, x> in
                let <a, b, c, d, e, g, h, i, j, k> = t in a";
    let mut programs = vec![("wide".to_string(), semantics::parse(wide).unwrap())];
    for file in semantics::corpus::load("").unwrap() {
        programs.push((file.name, semantics::parse(&file.src).unwrap()));
    }
    let mut compared = Vec::new();
    for (name, p) in programs {
        if checker::accepts(&p, prims, checker::Options { relaxed: true }).is_err() {
            continue;
        }
        compared.push(name.clone());
        let s = rewrite::work_bounds::largest_type(&p, prims);
        let producer = rewrite::work_bounds::c_jvp(&rules, prims, s);
        let kernel = checker::kernel::bounds::c_jvp(prims, &Prog::new(p, "input"));
        assert_eq!(kernel.ok(), Some(producer), "{name}");
        // The 10-tuple's constant is the tuple's, 7 + s with s = 10 (above every primitive
        // rule's ratio, which sets the corpus programs' constant).
        if name == "wide" {
            assert_eq!(producer, 17.0);
        }
    }
    assert!(compared.len() > 20 && compared[0] == "wide", "{compared:?}");
}

/// The kernel enforces SPEC §5's work bounds, not only the figures: a transpose padded with
/// dead work (drops of literals: its meaning unchanged) up to the bound `C_T·W(g) + 2 + k`
/// exactly verifies, and one unit past it is rejected (E0805). The bound is the producer's
/// formula (`rewrite::work_bounds::transpose_bound`), the padded work the evaluator's static
/// work; the output is certified as given (`certify_output`, translation validation).
#[test]
fn a_transpose_at_its_work_bound_verifies_and_one_past_it_is_rejected() {
    let prims = PrimTable::standard();
    let p = semantics::parse("def g(x: R ; y': R) -> (; R) = x * y'").unwrap();
    let bound =
        rewrite::work_bounds::transpose_bound(semantics::static_work(&p, prims).unwrap()[0], 1);
    // Pads of 4 and 5 units of work (a literal dropped, a product of two dropped), so every
    // work from a few units on is reached.
    let padded = |(a, b): (usize, usize)| {
        let pads = ["drop(1.0)", "drop(1.0 * 2.0)"]
            .iter()
            .zip([a, b])
            .map(|(pad, n)| format!("  let () = {pad} in\n").repeat(n))
            .collect::<String>();
        let src = format!("def g.T(x: R ; ct': R) -> (; R) =\n{pads}  x * ct'");
        semantics::parse(&src).unwrap()
    };
    let work = |q: &Program| semantics::static_work(q, prims).unwrap()[0] as f64;
    let find = |target: f64| {
        let counts = (0..40).flat_map(|a| (0..4).map(move |b| (a, b)));
        counts.map(padded).find(|q| work(q) == target)
    };
    let verify = |q: Program| {
        let cert = certify_output(&p, prims, Pass::Transpose, q).unwrap();
        checker::refute::verify(&serde_json::to_string(&cert).unwrap())
    };
    let at = find(bound).expect("padding reaches the bound");
    let over = find(bound + 1.0).expect("padding reaches one past the bound");
    if let Err(e) = verify(at) {
        panic!("at the bound {bound}: {e}");
    }
    let e = verify(over).map(|_| ()).unwrap_err();
    assert_eq!(e.code, "E0805", "{e}");
    assert!(e.message.contains("SPEC §5"), "{e}");
}

/// A given output with one primal result too many, or none, is not a JVP, though its tangent
/// (and its first result) are right: the claims compare results pairwise, so the kernel must
/// not let a count that differs through, even when every outcome is tampered to `proved`.
#[test]
fn a_jvp_with_a_wrong_number_of_primal_results_is_never_proved() {
    let prims = PrimTable::standard();
    let p = semantics::parse("def f(x: R) -> (R) = sin(x)").unwrap();
    let given = |results: &str, tuple: &str| {
        let src = format!(
            "def f.jvp(x: R ; x': R) -> ({results} ; R) =
               let y = sin(x) in
               let c = cos(x) in
               let t' = c * x' in
               ({tuple} ; t')"
        );
        semantics::parse(&src).unwrap()
    };
    let proved = |cert: &checker::kernel::schema::Certificate| {
        checker::refute::verify(&serde_json::to_string(cert).unwrap()).is_ok_and(|r| {
            r.claims
                .iter()
                .any(|c| c.function == "f" && c.outcome == "proved")
        })
    };
    let right = certify(&p, prims, Pass::Jvp).unwrap().1;
    assert!(proved(&right));
    // One primal result too many, or none: certified as given, or with every claim and
    // obligation tampered to `proved`, never verified as proved.
    for given in [given("R, R", "y, 2.0"), given("", "")] {
        let cert = certify_output(&p, prims, Pass::Jvp, given).unwrap();
        assert!(!proved(&cert));
        let mut v = serde_json::to_value(&cert).unwrap();
        for c in v["claims"].as_array_mut().unwrap() {
            c["outcome"] = "proved".into();
            for o in c["obligations"].as_array_mut().unwrap() {
                o["outcome"] = "proved".into();
                o.as_object_mut().unwrap().remove("point");
            }
        }
        assert!(checker::refute::verify(&v.to_string()).is_err());
    }
}

/// The kernel knows schema 7 only: the same certificate under any other version is rejected
/// (schema 5 stated each VJP obligation over terms; 6 states the VJP as a composition; 7
/// decides without rewriting by lemmas, so a figure such as `terms` means another thing).
#[test]
fn another_schema_version_is_rejected() {
    let (_, cert) = certify(&call_dag(2), PrimTable::standard(), Pass::Jvp).unwrap();
    let mut v = serde_json::to_value(&cert).unwrap();
    assert_eq!(v["schema"], "lina-certificate/7");
    assert!(checker::refute::verify(&v.to_string()).is_ok());
    for old in [
        "lina-certificate/6",
        "lina-certificate/5",
        "lina-certificate/4",
        "lina-certificate/3",
        "lina-certificate/8",
        "",
    ] {
        v["schema"] = old.into();
        let e = checker::refute::verify(&v.to_string()).unwrap_err();
        assert_eq!(e.code, "E0801", "{old}: {e}");
    }
}

/// `def f_i(x) = f_{i-1}(x) * f_{i-1}(x * 2.0)`: the residual tuple of `f_d.jvp.nonlin` has
/// `2^d` scalars, but every function's certificate record is of constant size (the kept
/// `.nonlin` functions are claimed `identical`, not per result leaf), so the vjp certificate
/// grows by the same number of bytes per level (it doubled per level before). Each verifies.
/// (Verification and certification time still double per level: the lowering flattens the
/// residuals, `docs/certificates.md`.)
#[test]
fn a_call_dag_certificate_grows_linearly_with_its_depth() {
    let dag = |d: usize| {
        let p = call_dag(d);
        let (_, cert) = certify(&p, PrimTable::standard(), Pass::Vjp(Policy::SaveAll)).unwrap();
        let json = serde_json::to_string(&cert).unwrap();
        let r = checker::refute::verify(&json).unwrap_or_else(|e| panic!("depth {d}: {e}"));
        assert_eq!(r.unknown + r.refuted, 0, "depth {d}: {:?}", r.claims);
        let identical = json.matches("\"identical\"").count();
        assert_eq!(
            identical,
            d + 1,
            "depth {d}: every .nonlin kept as identical"
        );
        (json.len(), r.terms)
    };
    let (sizes, terms): (Vec<usize>, Vec<usize>) = (4..=8).map(dag).unzip();
    eprintln!("call DAG vjp certificate bytes at depth 4..=8: {sizes:?}; kernel terms {terms:?}");
    // The certificate's bytes grow by the same amount per level, within 5%.
    let steps: Vec<usize> = sizes.windows(2).map(|w| w[1] - w[0]).collect();
    let (lo, hi) = (steps.iter().min().unwrap(), steps.iter().max().unwrap());
    assert!(hi * 100 <= lo * 105, "not linear: steps {steps:?}");
    // The kernel's term DAG (as `lina verify` reports it) follows the residuals' scalar
    // leaves, which double per level (`f{i}` calls `f{i-1}` twice), within the leaf budget
    // that refuses deeper levels: it grows by 1.8-2.1 times per level.
    for w in terms.windows(2) {
        assert!(
            w[1] * 10 >= w[0] * 18 && w[1] * 10 <= w[0] * 21,
            "terms {terms:?}"
        );
    }
}

/// Schema 6's VJP claim is the composition of five stage claims: it is `proved` only when
/// each of them is. For the last function of the worked example (no other function calls it,
/// so no other claim uses the names its claims give), each stage claim in turn is made `unknown` with all its
/// obligations (a certificate may always claim less): the VJP claim still called `proved` is
/// then rejected, at the VJP claim, and accepted once it is `unknown` without obligations.
#[test]
fn a_vjp_claim_is_proved_only_when_every_stage_claim_it_composes_is() {
    let src = std::fs::read_to_string("../corpus/worked_example.la").unwrap();
    let p = semantics::parse(&src).unwrap();
    let (_, cert) = certify(&p, PrimTable::standard(), Pass::Vjp(Policy::SaveAll)).unwrap();
    let json = serde_json::to_value(&cert).unwrap();
    assert!(checker::refute::verify(&json.to_string()).is_ok());
    let n = &p.funcs.last().unwrap().name;
    let stages = [
        (n.clone(), "jvp-primal"),
        (n.clone(), "jvp-tangent"),
        (format!("{n}.jvp"), "unzip"),
        (format!("{n}.jvp.lin"), "transpose"),
        (format!("{n}.jvp.nonlin"), "transpose"),
    ];
    let index = |j: &Json, f: &str, k: &str| {
        let cs = j["claims"].as_array().unwrap();
        cs.iter()
            .position(|c| c["function"] == f && c["claim"] == k)
            .unwrap_or_else(|| panic!("no claim `{f}: {k}`"))
    };
    let vjp = index(&json, n, "vjp");
    let whats: Vec<&str> = (json["claims"][vjp]["obligations"]
        .as_array()
        .unwrap()
        .iter())
    .map(|o| o["what"].as_str().unwrap())
    .collect();
    let want: Vec<String> = stages
        .iter()
        .map(|(f, k)| format!("stage {f}: {k}"))
        .collect();
    assert_eq!(whats, want);
    for (f, k) in &stages {
        let mut t = json.clone();
        let i = index(&t, f, k);
        t["claims"][i]["outcome"] = "unknown".into();
        for o in t["claims"][i]["obligations"].as_array_mut().unwrap() {
            o["outcome"] = "unknown".into();
        }
        let e = checker::refute::verify(&t.to_string()).unwrap_err();
        assert_eq!(
            e.claim.as_deref(),
            Some(format!("{n}: vjp").as_str()),
            "{f}: {k}: {e}"
        );
        assert!(e.message.contains("is not proved"), "{f}: {k}: {e}");
        t["claims"][vjp]["outcome"] = "unknown".into();
        t["claims"][vjp]["obligations"] = Json::Array(Vec::new());
        let r = checker::refute::verify(&t.to_string()).unwrap_or_else(|e| panic!("{f}: {k}: {e}"));
        let outcome = |f: &str, k: &str| {
            let c = r.claims.iter().find(|c| c.function == f && c.claim == k);
            c.unwrap().outcome.clone()
        };
        assert_eq!(
            (outcome(f, k), outcome(n, "vjp")),
            ("unknown".into(), "unknown".into())
        );
    }
}
