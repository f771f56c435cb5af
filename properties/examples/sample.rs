//! Prints generated programs: `cargo run -p properties --example sample -- [nonlinear|linear|mutant] [N] [SEED]`.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kind = args.get(1).map_or("nonlinear", String::as_str);
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    for i in 0..n {
        println!("# ---- {kind} #{i}");
        match kind {
            "linear" => {
                let r = properties::linear::program_strategy()
                    .new_tree(&mut runner)
                    .unwrap()
                    .current();
                println!("{}", r.render());
            }
            "relaxed" => {
                let r = properties::linear::program_strategy()
                    .new_tree(&mut runner)
                    .unwrap()
                    .current();
                println!("{}", r.render_with(true));
            }
            "mutant" => {
                let r = properties::mutants::mutant_strategy()
                    .new_tree(&mut runner)
                    .unwrap()
                    .current();
                println!("{r:?}");
            }
            _ => {
                let r = properties::nonlinear::program_strategy()
                    .new_tree(&mut runner)
                    .unwrap()
                    .current();
                println!("{}", r.render());
            }
        }
    }
}
