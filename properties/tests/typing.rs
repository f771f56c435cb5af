//! Claims about the type system (SPEC §2) on generated programs.
//!
//! The generators build programs that are well-typed by construction, so the strict checker
//! must accept every one (a rejection is a bug in the checker or in a generator, and the
//! diagnostic says which); the linear generator's programs must moreover be in Linear B.
//! Mutants with exactly one fault must be rejected with that fault's error code and no other,
//! at a position inside the mutated function; relaxed checking must accept exactly the
//! multiplicity faults. Dup/drop insertion must turn relaxed programs into strict ones with
//! the same results, and leave strict programs unchanged.

use checker::Options;
use properties::harness::{fail, run};
use properties::linear::{self, LinProgram};
use properties::mutants::mutant_strategy;
use properties::nonlinear::{self, NlProgram};
use properties::parse_generated;
use proptest::prelude::*;
use semantics::numeric::Rng;
use semantics::{PrimTable, Program, Value, eval_fn, print, render};

fn prims() -> &'static PrimTable {
    PrimTable::standard()
}

fn strict() -> Options {
    Options::default()
}

fn relaxed() -> Options {
    Options { relaxed: true }
}

/// Either kind of generated program, rendered strict or relaxed.
#[derive(Clone, Debug)]
enum Any {
    Nl(NlProgram),
    Lin(LinProgram),
}

impl Any {
    fn render_with(&self, relaxed: bool) -> String {
        match self {
            Any::Nl(p) => p.render_with(relaxed),
            Any::Lin(p) => p.render_with(relaxed),
        }
    }

    /// A relaxed program that uses linear variables many times (linear programs only).
    fn render_reusing(&self) -> Option<String> {
        match self {
            Any::Nl(_) => None,
            Any::Lin(p) => Some(p.render_reusing()),
        }
    }

    fn seed(&self) -> u64 {
        match self {
            Any::Nl(p) => p.seed,
            Any::Lin(p) => p.seed,
        }
    }
}

/// Nonlinear programs, Linear B programs, and Linear A programs with mixed functions.
fn any_program() -> impl Strategy<Value = Any> {
    prop_oneof![
        nonlinear::program_strategy().prop_map(Any::Nl),
        linear::program_strategy().prop_map(Any::Lin),
        linear::mixed_program_strategy().prop_map(Any::Lin),
    ]
}

fn check_strict(p: &Program, src: &str) -> Result<(), TestCaseError> {
    checker::check(p, prims(), strict())
        .map(|_| ())
        .map_err(|d| {
            fail(
                format!(
                    "the strict checker rejects it:\n{}",
                    render(&d, "generated", src)
                ),
                p,
            )
        })
}

#[test]
fn checker_accepts_every_generated_program() {
    run(
        "checker_accepts_every_generated_program",
        any_program(),
        |g| {
            let src = g.render_with(false);
            let p = parse_generated(&src)?;
            check_strict(&p, &src)
        },
    );
}

#[test]
fn generated_linear_programs_are_in_linear_b() {
    run(
        "generated_linear_programs_are_in_linear_b",
        linear::program_strategy(),
        |g| {
            let src = g.render();
            let p = parse_generated(&src)?;
            check_strict(&p, &src)?;
            let d = checker::linear_b_diagnostics(&p);
            prop_assert!(
                d.is_empty(),
                "not in Linear B: {}\n{}",
                d[0].message,
                print(&p)
            );
            Ok(())
        },
    );
}

#[test]
fn linear_b_membership_is_decided_exactly() {
    run(
        "linear_b_membership_is_decided_exactly",
        linear::mixed_program_strategy(),
        |g| {
            let src = g.render();
            let p = parse_generated(&src)?;
            check_strict(&p, &src)?;
            // The generator's helpers are nonlinear, its linear functions linear, unless they
            // also have nonlinear results: then they are mixed.
            let n_helpers = g.nl.len();
            let expected: Vec<checker::Class> = (0..p.funcs.len())
                .map(|i| match i.checked_sub(n_helpers) {
                    None => checker::Class::Nonlinear,
                    Some(k) if g.lin[k].results.is_empty() => checker::Class::Linear,
                    Some(_) => checker::Class::Mixed,
                })
                .collect();
            for (f, want) in p.funcs.iter().zip(&expected) {
                let got = checker::classify(f, &p);
                prop_assert_eq!(got, *want, "`{}` misclassified\n{}", f.name, print(&p));
            }
            let diags = checker::linear_b_diagnostics(&p);
            let blamed: Vec<&str> = diags
                .iter()
                .filter_map(|d| {
                    let s = d.primary_span()?;
                    p.funcs
                        .iter()
                        .find(|f| f.name_span.start == s.start && f.name_span.end == s.end)
                        .map(|f| f.name.as_str())
                })
                .collect();
            let mixed: Vec<&str> = p
                .funcs
                .iter()
                .zip(&expected)
                .filter(|(_, c)| **c == checker::Class::Mixed)
                .map(|(f, _)| f.name.as_str())
                .collect();
            prop_assert!(
                blamed == mixed && diags.len() == mixed.len(),
                "check_linear_b blames {blamed:?} ({} diagnostics), the mixed functions are {mixed:?}:\n{}",
                diags.len(),
                render(&diags, "generated", &src)
            );
            prop_assert!(
                diags.iter().all(|d| d.code.starts_with("E03")),
                "Linear B diagnostics have E03xx codes: {:?}",
                diags.iter().map(|d| d.code).collect::<Vec<_>>()
            );
            Ok(())
        },
    );
}

#[test]
fn mutants_are_rejected_with_the_expected_code() {
    let edits: std::sync::Mutex<std::collections::BTreeMap<(String, &str), u32>> =
        Default::default();
    run(
        "mutants_are_rejected_with_the_expected_code",
        mutant_strategy(),
        |case| {
            let m = case.mutant();
            *edits
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry((format!("{:?}", case.fault), m.edit))
                .or_default() += 1;
            let src = print(&m.program);
            // Reparse, so that diagnostics point into real text (and the printer is exercised
            // on ill-typed trees).
            let p = parse_generated(&src)?;
            let want = case.fault.code();
            let diags = match checker::check(&p, prims(), strict()) {
                Ok(_) => {
                    return Err(fail(format!("{:?} ({want}) was accepted", case.fault), &p));
                }
                Err(d) => d,
            };
            let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
            prop_assert!(
                codes.iter().all(|&c| c == want),
                "{:?}: expected only {want}, got {codes:?}:\n{}\n{}",
                case.fault,
                render(&diags, "mutant", &src),
                src
            );
            let func = &p.funcs[m.func];
            let inside = diags
                .iter()
                .filter_map(|d| d.primary_span())
                .all(|s| s.start >= func.span.start && s.end <= func.span.end);
            prop_assert!(
                inside,
                "{:?}: a diagnostic points outside `{}`:\n{}",
                case.fault,
                func.name,
                render(&diags, "mutant", &src)
            );
            let relaxed_result = checker::check(&p, prims(), relaxed());
            // The check without derivations (what the CLI, the passes and the other suites
            // use) judges every mutant exactly as the one that builds them.
            let fulls = [
                (strict(), Some(&diags)),
                (relaxed(), relaxed_result.as_ref().err()),
            ];
            for (opts, full) in fulls {
                let quick = checker::accepts(&p, prims(), opts).err();
                prop_assert!(
                    quick.as_ref() == full,
                    "{:?}: `accepts` and `check` disagree ({opts:?}):\n{src}",
                    case.fault
                );
            }
            if case.fault.is_multiplicity() {
                prop_assert!(
                    relaxed_result.is_ok(),
                    "{:?} is a multiplicity fault, but relaxed checking rejects it:\n{}",
                    case.fault,
                    render(&relaxed_result.err().unwrap_or_default(), "mutant", &src)
                );
            } else {
                let codes: Vec<&str> = relaxed_result
                    .err()
                    .unwrap_or_default()
                    .iter()
                    .map(|d| d.code)
                    .collect();
                prop_assert!(
                    !codes.is_empty() && codes.iter().all(|&c| c == want),
                    "{:?}: relaxed checking should report only {want}, got {codes:?}\n{src}",
                    case.fault
                );
            }
            Ok(())
        },
    );
    for ((fault, edit), n) in edits.into_inner().unwrap_or_else(|e| e.into_inner()) {
        println!("  mutants: {fault}: {edit}: {n}");
    }
}

/// Every function of `p` on the same inputs (drawn from `seed`): its results.
fn run_all(p: &Program, seed: u64) -> Vec<Option<(Vec<Value>, Vec<Value>)>> {
    let mut rng = Rng::new(seed);
    p.funcs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let nl = properties::domains::inputs(
                &f.params.iter().map(|q| q.ty.clone()).collect::<Vec<_>>(),
                &mut rng,
            );
            let lin = properties::domains::inputs(
                &f.lparams.iter().map(|q| q.ty.clone()).collect::<Vec<_>>(),
                &mut rng,
            );
            eval_fn(p, prims(), semantics::FuncId(i as u32), &nl, &lin)
                .ok()
                .map(|o| (o.nl, o.lin))
        })
        .collect()
}

fn bit_eq(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.bit_eq(y))
}

#[test]
fn elaborate_preserves_results() {
    run("elaborate_preserves_results", any_program(), |g| {
        let relaxed_src = g.render_with(true);
        let strict_src = g.render_with(false);
        let r = parse_generated(&relaxed_src)?;
        let s = parse_generated(&strict_src)?;
        if let Err(d) = checker::check(&r, prims(), relaxed()) {
            return Err(fail(
                format!(
                    "relaxed checking rejects a relaxed program:\n{}",
                    render(&d, "relaxed", &relaxed_src)
                ),
                &r,
            ));
        }
        let e = checker::elaborate(&r, prims()).map_err(|d| {
            fail(
                format!("elaborate fails: {}", render(&d, "relaxed", &relaxed_src)),
                &r,
            )
        })?;
        if let Err(d) = checker::check(&e, prims(), strict()) {
            return Err(fail(
                format!(
                    "the elaborated program is not strict:\n{}",
                    render(&d, "elaborated", &print(&e))
                ),
                &e,
            ));
        }
        let (rr, er, sr) = (
            run_all(&r, g.seed()),
            run_all(&e, g.seed()),
            run_all(&s, g.seed()),
        );
        for (i, ((a, b), c)) in rr.iter().zip(&er).zip(&sr).enumerate() {
            let name = &r.funcs[i].name;
            let (Some(a), Some(b), Some(c)) = (a, b, c) else {
                return Err(fail(format!("`{name}` does not evaluate"), &e));
            };
            prop_assert!(
                bit_eq(&a.0, &b.0) && bit_eq(&a.1, &b.1),
                "`{name}`: relaxed gives {:?}, elaborated gives {:?}\nrelaxed:\n{}\nelaborated:\n{}",
                a,
                b,
                print(&r),
                print(&e)
            );
            prop_assert!(
                bit_eq(&c.0, &b.0) && bit_eq(&c.1, &b.1),
                "`{name}`: strict gives {:?}, elaborated relaxed gives {:?}\n{}",
                c,
                b,
                print(&e)
            );
        }
        Ok(())
    });
}

#[test]
fn elaborate_preserves_results_of_programs_reusing_linear_variables() {
    run(
        "elaborate_preserves_results_of_programs_reusing_linear_variables",
        linear::program_strategy().prop_map(Any::Lin),
        |g| {
            let src = g.render_reusing().expect("a linear program");
            let r = parse_generated(&src)?;
            if let Err(d) = checker::check(&r, prims(), relaxed()) {
                return Err(fail(
                    format!(
                        "relaxed checking rejects it:\n{}",
                        render(&d, "relaxed", &src)
                    ),
                    &r,
                ));
            }
            let e = checker::elaborate(&r, prims())
                .map_err(|d| fail(format!("elaborate fails: {}", d[0].message), &r))?;
            if let Err(d) = checker::check(&e, prims(), strict()) {
                return Err(fail(
                    format!(
                        "the elaborated program is not strict:\n{}",
                        render(&d, "elaborated", &print(&e))
                    ),
                    &e,
                ));
            }
            for (i, (a, b)) in run_all(&r, g.seed())
                .iter()
                .zip(run_all(&e, g.seed()))
                .enumerate()
            {
                let name = &r.funcs[i].name;
                let (Some(a), Some(b)) = (a, b) else {
                    return Err(fail(format!("`{name}` does not evaluate"), &e));
                };
                prop_assert!(
                    bit_eq(&a.0, &b.0) && bit_eq(&a.1, &b.1),
                    "`{name}`: relaxed gives {:?}, elaborated gives {:?}\nrelaxed:\n{}\nelaborated:\n{}",
                    a,
                    b,
                    print(&r),
                    print(&e)
                );
            }
            Ok(())
        },
    );
}

#[test]
fn elaborate_leaves_strict_programs_unchanged() {
    run(
        "elaborate_leaves_strict_programs_unchanged",
        any_program(),
        |g| {
            let s = parse_generated(&g.render_with(false))?;
            let e = checker::elaborate(&s, prims())
                .map_err(|d| fail(format!("elaborate fails: {}", d[0].message), &s))?;
            prop_assert!(
                e == s,
                "elaborate changed a strict program:\n{}\ninto:\n{}",
                print(&s),
                print(&e)
            );
            Ok(())
        },
    );
}

#[test]
fn generators_cover_every_typing_rule_and_primitive() {
    // Not a theorem but a check on the generators (PLT Redex / a-mir-formality style rule
    // coverage): over as many programs as a property sees, every typing rule fires and every
    // primitive of the table is applied.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;
    let mut runner = TestRunner::deterministic();
    let strategy = any_program();
    let mut rules: BTreeMap<String, u32> = BTreeMap::new();
    let mut used = vec![0u32; prims().rows().count()];
    for _ in 0..properties::harness::cases().max(500) {
        let g = strategy.new_tree(&mut runner).expect("a program").current();
        let p = semantics::parse(&g.render_with(false)).expect("generated programs parse");
        let checked = checker::check(&p, prims(), strict()).expect("well-typed");
        for d in &checked.derivations {
            d.walk(|n| *rules.entry(n.rule.name().to_string()).or_default() += 1);
        }
        for f in &p.funcs {
            let mut stack = vec![&f.body];
            while let Some(b) = stack.pop() {
                let rhss = b.binds.iter().filter_map(|s| match s {
                    semantics::Bind::Let { rhs, .. } => Some(rhs),
                    semantics::Bind::Unpack { .. } => None,
                });
                for e in rhss.chain([&b.tail]) {
                    match e {
                        semantics::Expr::Prim { prim, .. } => used[prim.0 as usize] += 1,
                        semantics::Expr::Drop { body, .. } | semantics::Expr::Block(body) => {
                            stack.push(body)
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    println!("typing rules fired: {rules:?}");
    let never: Vec<&str> = checker::RULES
        .iter()
        .copied()
        .filter(|r| !rules.contains_key(*r))
        .collect();
    assert!(never.is_empty(), "rules never fired: {never:?}");
    let unused: Vec<&str> = prims()
        .rows()
        .filter(|(id, _)| used[id.0 as usize] == 0)
        .map(|(_, r)| r.name)
        .collect();
    println!(
        "primitives applied: {:?}",
        prims()
            .rows()
            .map(|(id, r)| (r.name, used[id.0 as usize]))
            .collect::<Vec<_>>()
    );
    assert!(unused.is_empty(), "primitives never applied: {unused:?}");
}
