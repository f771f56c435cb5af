//! `lina ops`: the arithmetic operations executed by a function and its gradient program, by
//! the counting rule of `rewrite/src/ops.rs` (checked against hand counts), and its exit
//! statuses.

mod common;
use common::{json, run as lina};

/// The worked example: `f` executes `x * y`, `sin`, `+`; its gradient the forward half's four
/// (`cos` too) and the transpose's three scalings and one add.
#[test]
fn ops_counts_the_worked_example_by_hand() {
    let r = lina(
        &[
            "ops",
            "corpus/worked_example.la",
            "--fn",
            "f",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r.stdout);
    assert_eq!(v["f"]["total"], 3);
    assert_eq!(v["nonlin"]["total"], 4);
    assert_eq!(v["nonlin"]["prims"]["cos"], 1);
    assert_eq!(
        (v["lin_t"]["adds"].clone(), v["lin_t"]["scales"].clone()),
        (1.into(), 3.into())
    );
    assert_eq!(v["gradient"]["total"], 8);
    let r = lina(&["ops", "corpus/worked_example.la", "--fn", "f"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("gradient: 8 ("), "{}", r.stdout);
}

#[test]
fn ops_refuses_an_unknown_function_and_an_ill_typed_program() {
    let r = lina(&["ops", "corpus/worked_example.la", "--fn", "nope"], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = lina(
        &["ops", "-", "--fn", "f", "--format", "json"],
        Some("def f(x: R) -> (R) = sin(y)\n"),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(json(&r.stdout)["ok"], false);
}
