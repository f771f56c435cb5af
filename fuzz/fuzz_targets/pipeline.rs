//! libFuzzer target: `properties::fuzz::Target::Pipeline`. A panic or a broken claim aborts, except
//! the known crashes of `properties::fuzz::KNOWN` (reported, fixed elsewhere), which would
//! otherwise stop every run at the first of them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::fuzz::{Target, exercise, known};

fuzz_target!(|data: &[u8]| {
    if let Err(f) = exercise(Target::Pipeline, data)
        && !known(&f.message)
    {
        panic!("{}", f.message);
    }
});
