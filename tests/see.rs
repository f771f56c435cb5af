//! `lina dot`, `derive`, `hvp` and `hessian` as a user runs them (SPEC §8): every corpus
//! program through every pass, outputs checked against independent counts and references,
//! exit statuses 0 / 1 / 2, and no panic.

use semantics::corpus;
use std::process::Command;

mod common;
use common::{json, lina_run as lina};

fn files(dir: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "la"))
        .map(|p| p.display().to_string())
        .collect();
    out.sort();
    out
}

const PASSES: [&str; 5] = ["none", "jvp", "unzip", "transpose", "vjp"];

/// An SVG document whose `<svg>` elements balance and that carries every given label.
fn assert_svg(svg: &str, what: &str) {
    assert!(svg.starts_with("<?xml"), "{what}: not an SVG document");
    assert!(svg.trim_end().ends_with("</svg>"), "{what}: unterminated");
    assert_eq!(
        svg.matches("<svg").count(),
        svg.matches("</svg>").count(),
        "{what}: unbalanced"
    );
}

#[test]
fn dot_draws_every_corpus_program_through_every_pass() {
    for file in files("corpus") {
        for pass in PASSES {
            let svg = lina(&["dot", &file, "--pass", pass]);
            assert_eq!(svg.code, 0, "{file} {pass}: {}", svg.stderr);
            assert_svg(&svg.stdout, &format!("{file} {pass}"));
            let dot = lina(&["dot", &file, "--pass", pass, "--format", "dot"]);
            assert_eq!(dot.code, 0, "{file} {pass}");
            assert!(dot.stdout.starts_with("digraph"));
            // Every node of the DOT text is in the SVG (same graph, two printers).
            let nodes = dot.stdout.matches(" [label=").count();
            assert!(nodes > 0);
        }
    }
}

#[test]
fn dot_on_linear_and_ill_typed_programs_rejects_or_draws_but_never_fails_otherwise() {
    for file in files("corpus/linear") {
        for pass in PASSES {
            let r = lina(&["dot", &file, "--pass", pass]);
            assert!(r.code == 0 || r.code == 1, "{file} {pass}: {}", r.code);
            if r.code == 1 {
                assert!(r.stderr.contains("error["), "{file} {pass}: no diagnostic");
            } else {
                assert_svg(&r.stdout, &file);
            }
        }
    }
    for file in files("corpus/ill") {
        let r = lina(&["dot", &file]);
        let relaxed_ok = lina(&["check", &file, "--relaxed"]).code == 0;
        assert_eq!(r.code, if relaxed_ok { 0 } else { 1 }, "{file}");
    }
}

/// The DOT graph of the source has, per function, one node per top-level binding, one per
/// side of parameters and one result: counted here from the printed core form, independently.
#[test]
fn one_node_per_binding_and_the_edges_of_the_worked_example() {
    let dot = lina(&["dot", "corpus/worked_example.la", "--format", "dot"]);
    let core = lina(&["fmt", "corpus/worked_example.la"]).stdout;
    let lets = core.matches("let ").count();
    let funcs = core.matches("def ").count();
    assert_eq!(dot.stdout.matches(" [label=").count(), lets + 2 * funcs);
    // f_core: z = x * y reads both parameters; s = sin(z) reads z; the result reads s and x.
    let node = |label: &str| {
        let line = dot
            .stdout
            .lines()
            .find(|l| l.contains(&format!("label=\"{label}\"")))
            .unwrap_or_else(|| panic!("no node {label}"));
        line.trim().split(' ').next().unwrap().to_string()
    };
    let (params, z, s, res) = (
        node("f_core(x: R, y: R)"),
        node("z = x * y"),
        node("s = sin(z)"),
        node("⇒ s + x"),
    );
    for (a, b) in [(&params, &z), (&z, &s), (&s, &res), (&params, &res)] {
        assert!(
            dot.stdout.contains(&format!("  {a} -> {b} [")),
            "no edge {a} -> {b}"
        );
    }
}

#[test]
fn residuals_recomputation_and_transposed_edges_are_marked() {
    let unzip = lina(&[
        "dot",
        "corpus/worked_example.la",
        "--fn",
        "f_core",
        "--pass",
        "unzip",
        "--format",
        "dot",
    ]);
    // save-all saves x, y (parameters) and c = cos(z): two residual edges, labelled.
    assert!(unzip.stdout.contains("label=\"x, y\""), "{}", unzip.stdout);
    assert!(unzip.stdout.contains("label=\"c\""));
    assert!(!unzip.stdout.contains("(recomputed)"));
    let rc = lina(&[
        "dot",
        "corpus/worked_example.la",
        "--fn",
        "f_core",
        "--pass",
        "unzip",
        "--policy",
        "recompute-all",
        "--format",
        "dot",
    ]);
    assert!(
        rc.stdout.contains("z = x * y (recomputed)"),
        "{}",
        rc.stdout
    );
    assert!(rc.stdout.contains("c = cos(z) (recomputed)"));
    let vjp = lina(&[
        "dot",
        "corpus/worked_example.la",
        "--fn",
        "f_core",
        "--pass",
        "vjp",
        "--format",
        "dot",
    ]);
    assert!(vjp.stdout.contains("cluster_"), "functions are clusters");
    assert!(vjp.stdout.contains("dir=back"), "transposed edges reversed");
    let f_twice = lina(&[
        "dot",
        "corpus/worked_example.la",
        "--fn",
        "f_twice",
        "--format",
        "dot",
    ]);
    assert!(
        f_twice.stdout.contains("label=\"calls\""),
        "calls join clusters"
    );
    assert!(
        f_twice.stdout.contains("label=\"f\""),
        "the callee is drawn"
    );
}

/// Node boxes never meet, so neither do their labels: the worked example at every pass, and a
/// 30-binding chain before and after reverse mode.
#[test]
fn no_two_node_boxes_overlap() {
    let prims = semantics::PrimTable::standard();
    let mut programs = vec![(
        "worked example".to_string(),
        std::fs::read_to_string("corpus/worked_example.la").unwrap(),
    )];
    let mut thirty = String::from("def thirty(x: R, y: R) -> (R) =\n");
    let mut names = vec!["x".to_string(), "y".to_string()];
    for i in 1..=30 {
        let (a, b) = (&names[names.len() - 1], &names[names.len() - 2]);
        let rhs = match i % 6 {
            0 => format!("sin({a})"),
            1 => format!("{a} * {b}"),
            2 => format!("{a} + {b}"),
            3 => format!("cos({a})"),
            4 => format!("{a} - {b}"),
            _ => format!("exp({a})"),
        };
        thirty += &format!("  let v{i} = {rhs} in\n");
        names.push(format!("v{i}"));
    }
    thirty += "  v30\n";
    programs.push(("30 bindings".into(), thirty));
    for (name, src) in programs {
        let prog = semantics::parse(&src).unwrap();
        for pass in PASSES {
            let stage = rewrite::dataflow::Stage::parse(pass).unwrap();
            let g =
                rewrite::dataflow::dataflow(&prog, prims, stage, Default::default(), None).unwrap();
            let boxes: Vec<[f64; 4]> = g.node_boxes().into_iter().flatten().collect();
            assert_eq!(
                boxes.len(),
                g.nodes.len(),
                "{name} {pass}: every node drawn"
            );
            for (i, a) in boxes.iter().enumerate() {
                // Wide enough for its label at the font size used (13px, ~0.5em a glyph).
                let label = g.nodes[i].label.chars().count() as f64;
                assert!(a[2] - a[0] >= label * 5.5, "{name} {pass}: box too narrow");
                for b in &boxes[i + 1..] {
                    let apart = a[2] <= b[0] || b[2] <= a[0] || a[3] <= b[1] || b[3] <= a[1];
                    assert!(apart, "{name} {pass}: boxes {a:?} and {b:?} overlap");
                }
            }
        }
    }
}

/// Renders SVGs to PNG where `rsvg-convert` is installed (it is how the pictures were looked at).
#[test]
fn the_svgs_render_to_png() {
    if Command::new("rsvg-convert")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("note: rsvg-convert not installed; SVG rendering to PNG not checked");
        return;
    }
    let dir = std::env::temp_dir().join(format!("lina-see-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for pass in PASSES {
        let svg = lina(&["dot", "corpus/worked_example.la", "--pass", pass]).stdout;
        let path = dir.join(format!("{pass}.svg"));
        std::fs::write(&path, svg).unwrap();
        let png = dir.join(format!("{pass}.png"));
        let r = Command::new("rsvg-convert")
            .arg(&path)
            .arg("-o")
            .arg(&png)
            .output()
            .unwrap();
        assert!(
            r.status.success(),
            "{pass}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Counts derivation nodes in the JSON output (an independent walk of the data).
fn json_nodes(v: &serde_json::Value) -> usize {
    let mut n = 0;
    let mut stack = vec![v];
    while let Some(d) = stack.pop() {
        n += 1;
        stack.extend(d["children"].as_array().into_iter().flatten());
    }
    n
}

#[test]
fn derive_prints_one_line_per_node_and_latex_with_every_rule() {
    for file in files("corpus") {
        // Relaxed corpus programs are derived in relaxed mode.
        let relaxed = lina(&["check", &file]).code != 0;
        let derive = |extra: &[&str]| {
            let mut a = vec!["derive", file.as_str()];
            a.extend_from_slice(extra);
            if relaxed {
                a.push("--relaxed");
            }
            lina(&a)
        };
        let j = derive(&["--format", "json"]);
        assert_eq!(j.code, 0, "{file}: {}", j.stderr);
        let ds = json(&j.stdout);
        let nodes: usize = ds.as_array().unwrap().iter().map(json_nodes).sum();
        let t = derive(&[]);
        assert_eq!(t.code, 0);
        assert_eq!(
            t.stdout.lines().filter(|l| !l.is_empty()).count(),
            nodes,
            "{file}"
        );
        let l = derive(&["--format", "latex"]);
        assert_eq!(l.code, 0);
        assert!(l.stdout.contains("\\usepackage{bussproofs}"));
        // Every rule used appears as a label.
        let mut stack: Vec<&serde_json::Value> = ds.as_array().unwrap().iter().collect();
        while let Some(d) = stack.pop() {
            let rule = d["rule"].as_str().unwrap();
            // A block is drawn as the chain of its `T-Let`s, the paper's rule.
            assert!(
                rule == "T-Block" || l.stdout.contains(&format!("\\textsc{{{rule}}}")),
                "{file}: {rule}"
            );
            stack.extend(d["children"].as_array().into_iter().flatten());
        }
        assert_eq!(
            l.stdout.matches("\\begin{prooftree}").count(),
            ds.as_array().unwrap().len()
        );
    }
    let one = lina(&["derive", "corpus/worked_example.la", "--fn", "f_core"]);
    assert!(
        one.stdout
            .starts_with("T-Def  Γ ; · ⊢ def f_core(x: R, y: R) -> (R)")
    );
    let linear = lina(&["derive", "corpus/linear/basics.la", "--format", "latex"]);
    if linear.code == 0 {
        assert!(
            linear.stdout.contains("\\textquotesingle{}"),
            "the linear context is shown"
        );
    }
    assert_eq!(
        lina(&["derive", "corpus/ill/e0201_implicit_dup.la"]).code,
        1
    );
    assert_eq!(
        lina(&["derive", "corpus/worked_example.la", "--fn", "nope"]).code,
        2
    );
}

#[test]
fn the_latex_compiles_where_pdflatex_is_installed() {
    if Command::new("pdflatex").arg("--version").output().is_err() {
        println!("note: pdflatex not installed; the LaTeX derivations were not compiled");
        return;
    }
    let dir = std::env::temp_dir().join(format!("lina-tex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["corpus/worked_example.la", "corpus/linear/basics.la"] {
        let tex = lina(&["derive", file, "--format", "latex"]);
        if tex.code != 0 {
            continue;
        }
        std::fs::write(dir.join("d.tex"), tex.stdout).unwrap();
        let r = Command::new("pdflatex")
            .args(["-interaction=nonstopmode", "-halt-on-error", "d.tex"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            r.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&r.stdout)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn reals(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

#[test]
fn hvp_agrees_with_finite_differences_of_lina_grad() {
    let (x, y, vx, vy, h) = (0.7, -0.4, 0.3, 1.1, 1e-4);
    let grad = |x: f64, y: f64| {
        let r = lina(&[
            "grad",
            "corpus/worked_example.la",
            "--fn",
            "f",
            "--args",
            &format!("{x}, {y}"),
            "--format",
            "json",
        ]);
        reals(&json(&r.stdout)["gradient"])
    };
    let (p, m) = (grad(x + h * vx, y + h * vy), grad(x - h * vx, y - h * vy));
    let r = lina(&[
        "hvp",
        "corpus/worked_example.la",
        "--fn",
        "f",
        "--args",
        &format!("{x}, {y}"),
        "--direction",
        &format!("{vx}, {vy}"),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r.stdout);
    let hv = reals(&v["hvp"]);
    for i in 0..2 {
        let fd = (p[i] - m[i]) / (2.0 * h);
        assert!((hv[i] - fd).abs() < 1e-6, "{hv:?} vs {fd}");
    }
    assert_eq!(reals(&v["gradient"]), grad(x, y));
    assert_eq!(v["value"].as_array().unwrap().len(), 1);
}

#[test]
fn hvp_and_hessian_run_on_every_scalar_corpus_function_and_the_hessian_is_symmetric() {
    let mut rng = semantics::numeric::Rng::new(42);
    let mut checked = 0;
    for file in corpus::load("").unwrap() {
        let path = format!("corpus/{}.la", file.name);
        let prog = semantics::parse(&file.src).unwrap();
        for f in &prog.funcs {
            let arg = |rng: &mut semantics::numeric::Rng| {
                f.params
                    .iter()
                    .map(|p| rng.value(&p.ty, 0.5, 1.5).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let (x, v) = (arg(&mut rng), arg(&mut rng));
            let r = lina(&[
                "hvp",
                &path,
                "--fn",
                &f.name,
                "--args",
                &x,
                "--direction",
                &v,
                "--format",
                "json",
            ]);
            if f.results != [semantics::Type::Real] {
                assert_eq!(r.code, 2, "{path} {}: not scalar is a usage error", f.name);
                continue;
            }
            assert_eq!(r.code, 0, "{path} {}: {}", f.name, r.stderr);
            let out = json(&r.stdout);
            for key in ["value", "gradient", "hvp"] {
                assert!(out[key].is_array(), "{key}");
            }
            let n: u128 = f.params.iter().map(|p| p.ty.size()).sum();
            let hs = lina(&[
                "hessian", &path, "--fn", &f.name, "--args", &x, "--format", "json",
            ]);
            if n > 32 {
                assert_eq!(hs.code, 2);
                continue;
            }
            assert_eq!(hs.code, 0, "{}", hs.stderr);
            let m: Vec<Vec<f64>> = json(&hs.stdout)["hessian"]
                .as_array()
                .unwrap()
                .iter()
                .map(reals)
                .collect();
            assert_eq!(m.len() as u128, n);
            for (i, row) in m.iter().enumerate() {
                for (j, hij) in row.iter().enumerate() {
                    let d = (hij - m[j][i]).abs();
                    assert!(
                        !d.is_finite() || d <= 1e-9 * (1.0 + hij.abs()),
                        "{path} {}: H[{i}][{j}] = {hij}, H[{j}][{i}] = {}",
                        f.name,
                        m[j][i]
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "{checked}");
}

#[test]
fn hvp_exit_statuses() {
    let w = "corpus/worked_example.la";
    let ok = ["--args", "1.0, 2.0", "--direction", "1.0, 0.0"];
    let run = |extra: &[&str]| {
        let mut a = vec!["hvp", w];
        a.extend_from_slice(extra);
        lina(&a).code
    };
    assert_eq!(run(&[&["--fn", "f"][..], &ok].concat()), 0);
    assert_eq!(run(&[&["--fn", "nope"][..], &ok].concat()), 2);
    assert_eq!(
        run(&["--fn", "f", "--args", "1.0, 2.0", "--direction", "1.0"]),
        2
    );
    assert_eq!(
        lina(&[
            "hvp",
            "corpus/ill/e0208_prim_of_tuple.la",
            "--fn",
            "f",
            "--args",
            "<1.0, 2.0>",
            "--direction",
            "<1.0, 0.0>"
        ])
        .code,
        1
    );
    assert_eq!(lina(&["hessian", w, "--fn", "f", "--args", "1.0"]).code, 2);
    assert_eq!(lina(&["dot", w, "--pass", "sideways"]).code, 2);
    assert_eq!(lina(&["dot", w, "--fn", "nope"]).code, 2);
    assert_eq!(lina(&["dot", "no/such.la"]).code, 2);
}

#[test]
fn every_new_command_has_help() {
    for cmd in ["dot", "derive", "hvp", "hessian", "check"] {
        let r = lina(&[cmd, "--help"]);
        assert_eq!(r.code, 0, "{cmd}");
        assert!(r.stdout.contains("--format"), "{cmd}: {}", r.stdout);
    }
}
