//! The loader fuzz target: the input as a scenario file (arbitrary bytes, the corpus's files
//! mutated byte by byte), and the input decoded as a structure-aware mutation of a bundled
//! example (tests/common/fuzz_inputs.rs). Neither may panic, and every error must be one line
//! `FILE:LINE:COL: message`.
#![no_main]

#[path = "../../tests/common/fuzz_inputs.rs"]
mod fuzz_inputs;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fuzz_inputs::check_loader(&String::from_utf8_lossy(data), "fuzz.toml");
    if let Some(case) = fuzz_inputs::decode(fuzz_inputs::mutated_example(), data) {
        let (examples, keys) = fuzz_inputs::bundled(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/scenarios"));
        fuzz_inputs::check_loader(&fuzz_inputs::mutate(examples, keys, &case), "fuzz.toml");
    }
});
