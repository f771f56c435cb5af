//! lina against JAX where `jax` is importable (skipped with a printed note otherwise): the
//! values, `jax.grad` gradients and forward-over-reverse HVPs of `lina export-jax`'s module
//! agree with `lina grad` and `lina hvp`, and the executed operations of each gradient (`lina
//! ops`) are set beside the equations of `jax.make_jaxpr(jax.grad(f))` in the printed table.
//! The suite runs a few corpus files; the whole corpus (the table of `docs/RESULTS.md`) is
//! `python3 tests/jax/compare.py target/debug/lina`.

use std::process::Command;

#[test]
fn lina_agrees_with_jax_on_values_gradients_and_hvps() {
    let has_jax = Command::new("python3")
        .args(["-c", "import jax"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_jax {
        println!("note: python3 with jax not found; the JAX comparison did not run");
        return;
    }
    let out = Command::new("python3")
        .args([
            "tests/jax/compare.py",
            env!("CARGO_BIN_EXE_lina"),
            "corpus/worked_example.la",
            "corpus/heron.la",
            "corpus/logistic_loss.la",
            "corpus/prim_names.la",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"));
    assert!(!stdout.contains("jax: 0 passed"), "nothing compared");
    // The operation table: one row per program compared and the total.
    for row in [
        "| worked_example |",
        "| heron |",
        "| logistic_loss |",
        "| all |",
    ] {
        assert!(stdout.contains(row), "no table row {row}");
    }
    // The worked example's gradient executes 8 operations (counted by hand in
    // rewrite/tests/cheaper.rs), and so does JAX's (mul, sin, cos, add, and four in reverse).
    let line = stdout
        .lines()
        .find(|l| l.starts_with("ok corpus/worked_example.la f: "))
        .unwrap_or_default();
    assert!(line.ends_with("; ops lina 8, jax 8 (+0 other)"), "{stdout}");
}
