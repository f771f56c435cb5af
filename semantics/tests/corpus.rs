//! Claims over the whole corpus: every program parses; printing is a round trip and
//! idempotent; every `# expect:` line holds (values computed independently of lina); and the
//! static work equals the evaluated work on every call. Snapshots hold the core form.

use semantics::corpus::{self, CorpusFile};
use semantics::*;

fn all() -> Vec<CorpusFile> {
    let mut files = corpus::load("").unwrap();
    files.extend(corpus::load("linear").unwrap());
    assert!(files.len() >= 30, "the corpus has {} programs", files.len());
    files
}

fn parsed(f: &CorpusFile) -> Program {
    parse(&f.src).unwrap_or_else(|d| panic!("{}:\n{}", f.name, render(&d, &f.name, &f.src)))
}

/// Equal up to rounding of the last bits (expected values come from another libm).
fn close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Real(x), Value::Real(y)) => {
            x.to_bits() == y.to_bits() || (x - y).abs() <= 1e-12 * y.abs().max(1e-3)
        }
        (Value::Tuple(xs), Value::Tuple(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys.iter()).all(|(x, y)| close(x, y))
        }
        _ => false,
    }
}

fn all_close(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(x, y))
}

#[test]
fn every_corpus_program_round_trips_through_the_printer() {
    for f in all() {
        let p = parsed(&f);
        let printed = print(&p);
        let again = parse(&printed).unwrap_or_else(|d| {
            panic!(
                "{}: printed form does not parse:\n{}",
                f.name,
                render(&d, &f.name, &printed)
            )
        });
        assert_eq!(again, p, "{}: parse(print(p)) != p", f.name);
        assert_eq!(
            print(&again),
            printed,
            "{}: printing is not idempotent",
            f.name
        );
    }
}

#[test]
fn every_corpus_program_meets_its_expectations_with_static_work_equal_to_evaluated_work() {
    let mut checked = 0;
    for f in all() {
        let p = parsed(&f);
        assert!(
            !f.expects.is_empty(),
            "{} states no expected result",
            f.name
        );
        let stat = static_work(&p, PrimTable::standard())
            .unwrap_or_else(|e| panic!("{}: {}", f.name, e.message));
        for e in &f.expects {
            let id = p
                .func_named(&e.func)
                .unwrap_or_else(|| panic!("{}: no function {}", f.name, e.func));
            let out = eval_fn(&p, PrimTable::standard(), id, &e.args, &e.linear_args)
                .unwrap_or_else(|err| panic!("{}: {}: {err}", f.name, e.func));
            let show = |vs: &[Value]| {
                vs.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            assert!(
                all_close(&out.nl, &e.results) && all_close(&out.lin, &e.linear_results),
                "{}: {}: got ({} ; {}), expected ({} ; {})",
                f.name,
                e.func,
                show(&out.nl),
                show(&out.lin),
                show(&e.results),
                show(&e.linear_results)
            );
            assert_eq!(
                stat[id.0 as usize], out.work,
                "{}: {}: static work != evaluated work",
                f.name, e.func
            );
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} expectations");
}

#[test]
fn snapshots_of_the_core_form() {
    for f in all() {
        let printed = print(&parsed(&f));
        insta::assert_snapshot!(f.name.replace('/', "__"), printed);
    }
}

#[test]
fn syntax_trees_and_values_round_trip_through_serde_json() {
    for f in all() {
        let p = parsed(&f);
        let json = serde_json::to_string(&p).unwrap();
        let back: Program = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p, "{}", f.name);
        assert_eq!(print(&back), print(&p), "{}", f.name);
        for e in &f.expects {
            for v in e.args.iter().chain(&e.results) {
                let back: Value = serde_json::from_str(&serde_json::to_string(v).unwrap()).unwrap();
                assert!(back.bit_eq(v), "{}: {v}", f.name);
            }
        }
    }
}
