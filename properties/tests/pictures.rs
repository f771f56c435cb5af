//! Claims about the dataflow pictures on generated programs: every program draws at every
//! stage of reverse mode (`layout-rs` included) without failing, with one box per node and no
//! two boxes overlapping. Layered layout is the slow part (about a second a program in the
//! debug build), so these properties run a hundredth of `PROPTEST_CASES` (10 by default; a run
//! of 100 programs each passed while they were written).

use properties::harness::{cases, config};
use properties::{linear, nonlinear, parse_generated};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rewrite::dataflow::{Stage, dataflow};
use semantics::{PrimTable, Program};

fn check_pictures(p: &Program, stages: &[Stage]) -> Result<(), TestCaseError> {
    for &stage in stages {
        let g = dataflow(p, PrimTable::standard(), stage, Default::default(), None)
            .map_err(|e| TestCaseError::fail(format!("{stage:?}: {e}")))?;
        let boxes: Vec<[f64; 4]> = g.node_boxes().into_iter().flatten().collect();
        if boxes.len() != g.nodes.len() {
            return Err(TestCaseError::fail(format!(
                "{stage:?}: a node is not drawn"
            )));
        }
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                if !(a[2] <= b[0] || b[2] <= a[0] || a[3] <= b[1] || b[3] <= a[1]) {
                    return Err(TestCaseError::fail(format!(
                        "{stage:?}: boxes {a:?} and {b:?} overlap\n{}",
                        semantics::print(p)
                    )));
                }
            }
        }
        if !g.to_svg().ends_with("</svg>\n") || !g.to_dot().ends_with("}\n") {
            return Err(TestCaseError::fail("unterminated picture"));
        }
    }
    Ok(())
}

fn small(name: &str) -> Config {
    Config {
        cases: (cases() / 100).max(10),
        ..config(name)
    }
}

#[test]
fn generated_nonlinear_programs_draw_at_every_stage_without_overlapping_boxes() {
    let name = "generated_nonlinear_programs_draw_at_every_stage_without_overlapping_boxes";
    let mut runner = TestRunner::new(small(name));
    let stages = [Stage::Source, Stage::Jvp, Stage::Unzip, Stage::Vjp];
    let r = runner.run(&nonlinear::program_strategy(), |g| {
        check_pictures(&parse_generated(&g.render())?, &stages)
    });
    if let Err(e) = r {
        panic!("{name} is false: {e}");
    }
}

#[test]
fn generated_linear_b_programs_draw_and_transpose_without_overlapping_boxes() {
    let name = "generated_linear_b_programs_draw_and_transpose_without_overlapping_boxes";
    let mut runner = TestRunner::new(small(name));
    let stages = [Stage::Source, Stage::Transpose];
    let r = runner.run(&linear::program_strategy(), |g| {
        check_pictures(&parse_generated(&g.render())?, &stages)
    });
    if let Err(e) = r {
        panic!("{name} is false: {e}");
    }
}
