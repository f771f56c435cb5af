//! Claims over the well-typed corpus (`corpus/*.la`, `corpus/linear/*.la`): every program
//! type-checks (strict, or relaxed when its header says `# relaxed`, in which case strict
//! checking rejects it); dup/drop insertion makes every relaxed program strict without changing
//! its results; well-typed programs do not go wrong; the corpus fires every typing rule.

mod common;

use checker::{Class, RULES, classify, elaborate};
use common::*;
use semantics::corpus::CorpusFile;
use semantics::*;
use std::collections::BTreeMap;

fn mode(f: &CorpusFile) -> checker::Options {
    if f.relaxed { RELAXED } else { STRICT }
}

#[test]
fn every_corpus_program_type_checks_and_strict_checking_rejects_exactly_the_relaxed_ones() {
    for f in well_typed_corpus() {
        let p = parse_ok(&f.name, &f.src);
        accept(&f.name, &f.src, &p, mode(&f));
        let strict = checker::check(&p, prims(), STRICT);
        assert_eq!(
            strict.is_err(),
            f.relaxed,
            "{}: strict checking should {} it",
            f.name,
            if f.relaxed { "reject" } else { "accept" }
        );
    }
}

#[test]
fn well_typed_programs_do_not_go_wrong() {
    // Every accepted program runs on its expect-line inputs without an evaluation error, and
    // its results have the declared types.
    let mut runs = 0;
    for f in well_typed_corpus() {
        let p = parse_ok(&f.name, &f.src);
        accept(&f.name, &f.src, &p, mode(&f));
        for e in &f.expects {
            let id = p
                .func_named(&e.func)
                .unwrap_or_else(|| panic!("{}: no function {}", f.name, e.func));
            let g = &p.funcs[id.0 as usize];
            let typed = |vs: &[Value], ps: &[Param]| {
                vs.len() == ps.len() && vs.iter().zip(ps).all(|(v, p)| v.has_type(&p.ty))
            };
            assert!(
                typed(&e.args, &g.params) && typed(&e.linear_args, &g.lparams),
                "{}: the inputs of `{}` do not have its parameter types",
                f.name,
                e.func
            );
            let out = eval_fn(&p, prims(), id, &e.args, &e.linear_args)
                .unwrap_or_else(|err| panic!("{}: {} went wrong: {err}", f.name, e.func));
            let has = |vs: &[Value], ts: &[Type]| {
                vs.len() == ts.len() && vs.iter().zip(ts).all(|(v, t)| v.has_type(t))
            };
            assert!(
                has(&out.nl, &g.results) && has(&out.lin, &g.lresults),
                "{}: `{}` returned values of other types than it declares",
                f.name,
                e.func
            );
            runs += 1;
        }
    }
    assert!(runs > 100, "only {runs} runs");
}

#[test]
fn elaborating_a_relaxed_program_gives_a_strict_program_that_prints_parses_back_and_computes_the_same()
 {
    let mut relaxed = 0;
    for f in well_typed_corpus().into_iter().filter(|f| f.relaxed) {
        relaxed += 1;
        let p = parse_ok(&f.name, &f.src);
        let e = elaborate(&p, prims())
            .unwrap_or_else(|d| panic!("{}:\n{}", f.name, render(&d, &f.name, &f.src)));
        let printed = print(&e);
        accept(&f.name, &printed, &e, STRICT);
        let again = parse_ok(&format!("{} (elaborated)", f.name), &printed);
        assert_eq!(
            again, e,
            "{}: parse(print(elaborate(p))) != elaborate(p)",
            f.name
        );
        insta::assert_snapshot!(f.name.replace('/', "__"), printed);
        for x in &f.expects {
            let id = p.func_named(&x.func).unwrap();
            let before = eval_fn(&p, prims(), id, &x.args, &x.linear_args).unwrap();
            let after = eval_fn(&e, prims(), id, &x.args, &x.linear_args).unwrap();
            assert!(
                same_values(&before.nl, &after.nl) && same_values(&before.lin, &after.lin),
                "{}: {} computes other results once elaborated",
                f.name,
                x.func
            );
        }
    }
    assert!(relaxed >= 3, "only {relaxed} relaxed programs");
}

#[test]
fn elaborating_a_strict_program_changes_nothing() {
    for f in well_typed_corpus().into_iter().filter(|f| !f.relaxed) {
        let p = parse_ok(&f.name, &f.src);
        let e = elaborate(&p, prims()).unwrap();
        assert_eq!(e, p, "{}: elaboration changed a strict program", f.name);
    }
}

#[test]
fn every_typing_rule_fires_on_the_corpus() {
    let mut counts: BTreeMap<String, usize> = RULES.iter().map(|r| (r.to_string(), 0)).collect();
    for f in well_typed_corpus() {
        let p = parse_ok(&f.name, &f.src);
        // Relaxed programs are counted in their elaborated, strict form.
        let p = if f.relaxed {
            elaborate(&p, prims()).unwrap()
        } else {
            p
        };
        let checked = accept(&f.name, &f.src, &p, STRICT);
        assert_eq!(checked.derivations.len(), p.funcs.len());
        for d in &checked.derivations {
            d.walk(|node| {
                *counts.entry(node.rule.name().to_string()).or_default() += 1;
            });
        }
    }
    println!("rule coverage over the corpus:");
    for (rule, n) in &counts {
        println!("  {rule:10} {n}");
    }
    let never: Vec<&String> = counts
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(r, _)| r)
        .collect();
    assert!(never.is_empty(), "rules the corpus never fires: {never:?}");
    assert_eq!(
        counts.len(),
        RULES.len(),
        "a derivation names a rule not in RULES"
    );
}

#[test]
fn the_nonlinear_corpus_is_in_linear_b_and_the_unzipped_program_is_too() {
    for f in well_typed_corpus() {
        let p = parse_ok(&f.name, &f.src);
        if !f.name.starts_with("linear/") || f.name == "linear/unzipped_linear_b" {
            let diags = checker::linear_b_diagnostics(&p);
            assert!(
                diags.is_empty(),
                "{}:\n{}",
                f.name,
                render(&diags, &f.name, &f.src)
            );
        }
        if !f.name.starts_with("linear/") {
            for g in &p.funcs {
                assert_eq!(classify(g, &p), Class::Nonlinear, "{}: {}", f.name, g.name);
            }
        }
    }
}

#[test]
fn hand_written_jvps_are_mixed_and_named_by_linear_b() {
    let f = well_typed_corpus()
        .into_iter()
        .find(|f| f.name == "linear/worked_example_vjp")
        .unwrap();
    let p = parse_ok(&f.name, &f.src);
    let classes: Vec<(String, Class)> = p
        .funcs
        .iter()
        .map(|g| (g.name.clone(), classify(g, &p)))
        .collect();
    let expected = [
        ("f", Class::Nonlinear),
        ("f_jvp", Class::Mixed),
        ("f_nonlin", Class::Nonlinear),
        ("f_lin", Class::Linear),
        ("f_lin_T", Class::Linear),
        ("f_vjp", Class::Mixed),
    ];
    let expected: Vec<(String, Class)> =
        expected.iter().map(|(n, c)| (n.to_string(), *c)).collect();
    assert_eq!(classes, expected);
    let diags = checker::linear_b_diagnostics(&p);
    let named: Vec<&str> = diags
        .iter()
        .map(|d| d.message.split('`').nth(1).unwrap())
        .collect();
    assert_eq!(named, ["f_jvp", "f_vjp"]);
    assert!(diags.iter().all(|d| d.code == "E0301"));
}

#[test]
fn derivations_are_plain_data_that_round_trips_through_json() {
    let f = well_typed_corpus()
        .into_iter()
        .find(|f| f.name == "linear/worked_example_vjp")
        .unwrap();
    let p = parse_ok(&f.name, &f.src);
    let checked = accept(&f.name, &f.src, &p, STRICT);
    let json = serde_json::to_string(&checked.derivations).unwrap();
    let back: Vec<checker::Derivation> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, checked.derivations);
}
