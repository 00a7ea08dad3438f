//! The model fuzz target: the input decoded (tests/common/fuzz_inputs.rs) as a scenario from
//! `kafkasim::strategy` and a seed, or as a mutated bundled example the loader accepts, run with
//! every invariant checked: no panic, and the same trace hash twice.
#![no_main]

#[path = "../../tests/common/fuzz_inputs.rs"]
mod fuzz_inputs;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_inputs::run_model_input(data, concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/scenarios"));
});
