//! The fuzz loop on the stable toolchain (issue 15): the inputs of the cargo-fuzz targets in
//! `fuzz/` (tests/common/fuzz_inputs.rs), drawn by proptest and bounded by a case count, never by
//! time. `cargo test` runs a few cases of each; `KAFKASIM_FUZZ_CASES=N` runs N (CI runs
//! thousands in release, docs/architecture.md, "Fuzzing"). A failure is saved in
//! `proptest-regressions/fuzz.txt` and replayed first from then on; a crash found goes into
//! `fuzz/corpus/` with a regression test of its own.

#[path = "common/fuzz_inputs.rs"]
mod fuzz_inputs;
#[path = "common/wild_scenarios.rs"]
mod wild_scenarios;

use fuzz_inputs::{
    bundled, check_loaded_run, check_loader, check_model, example_to_run, model_case, mutate, mutated_example,
    run_model_input, MUTANT_EVENTS,
};
use kafkasim::scenario::Target;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// Cases of a property that runs the model: `KAFKASIM_FUZZ_CASES`, or `default` (a plain
/// `cargo test` stays fast). A property that only loads costs a hundredth of one that runs, so it
/// takes `per_case` times as many.
fn config(default: u32, per_case: u32) -> ProptestConfig {
    let cases = std::env::var("KAFKASIM_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    ProptestConfig {
        cases: cases.saturating_mul(per_case),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/fuzz.txt"))),
        ..ProptestConfig::default()
    }
}

/// As [`config`], for a property whose case costs far more than one of [`model_case`]: `per`
/// times fewer cases (at least one), so CI's N costs it what N/`per` of the others would.
fn config_per(default: u32, per: u32) -> ProptestConfig {
    let mut c = config(default, 1);
    if std::env::var("KAFKASIM_FUZZ_CASES").is_ok() {
        c.cases = (c.cases / per).max(1);
    }
    c
}

/// A wild scenario runs for up to [`EVENTS`] events and costs about 0.45 s in release, a hundred
/// times a [`model_case`]: CI's N = 6,000 runs 30 of them, 19.8 s measured (docs/architecture.md,
/// "Fuzzing").
const WILD_PER_CASE: u32 = 200;

const EXAMPLES: &str = "examples/scenarios";

/// Events a mutated example may run: [`MUTANT_EVENTS`] in release, a tenth of it in a debug build
/// (ten times slower, and checking every invariant always), so that `cargo test` stays fast.
const EVENTS: u64 = if cfg!(debug_assertions) { MUTANT_EVENTS / 10 } else { MUTANT_EVENTS };

proptest! {
    #![proptest_config(config(32, 10))]

    #[test]
    fn the_loader_never_panics_on_arbitrary_bytes_and_every_error_is_one_located_line(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
    ) {
        check_loader(&String::from_utf8_lossy(&bytes), "fuzz.toml");
    }

    #[test]
    fn the_loader_never_panics_on_a_mutated_example_and_every_error_is_one_located_line(
        case in mutated_example(),
    ) {
        let (examples, keys) = bundled(EXAMPLES);
        check_loader(&mutate(examples, keys, &case), "fuzz.toml");
    }
}

proptest! {
    #![proptest_config(config(32, 1))]

    #[test]
    fn a_mutated_example_the_loader_accepts_runs_with_every_invariant_checked_without_panicking(
        case in example_to_run(),
    ) {
        let (examples, keys) = bundled(EXAMPLES);
        if let Some(s) = check_loader(&mutate(examples, keys, &case), "fuzz.toml") {
            check_loaded_run(&s, EVENTS);
        }
    }
}

proptest! {
    #![proptest_config(config(8, 1))]

    #[test]
    fn a_generated_scenario_runs_with_every_invariant_checked_and_replays_to_the_same_trace_hash(
        (s, seed) in model_case(),
    ) {
        check_model(&s, seed, 0);
    }
}

proptest! {
    #![proptest_config(config_per(1, WILD_PER_CASE))]

    /// The wild generator of tests/scenario_writing.rs (names with quotes and non-ASCII, every
    /// kind of fault, trigger, nemesis, service and expectation, cluster configs at their bounds)
    /// run through the model, with the seed the scenario names. A `[[service]]` runs user code
    /// this run does not have, so it is left out (with its faults; it was drawn last, so what is
    /// left is the scenario drawn before it) and the tables it owned run on their own.
    #[test]
    fn a_wild_scenario_runs_with_every_invariant_checked_and_replays_to_the_same_trace_hash(
        mut s in wild_scenarios::scenarios(),
    ) {
        s.services.clear();
        s.faults.retain(|f| !matches!(f.target, Target::Service { .. }));
        check_model(&s, s.seed, EVENTS);
    }
}

/// Every file of the loader's corpus (fuzz/corpus/loader: the seeds and every crash the fuzzers
/// found) loads or is refused with one located line, without a panic.
#[test]
fn every_file_of_the_loader_corpus_loads_or_is_refused_with_one_located_line() {
    let mut files: Vec<_> = std::fs::read_dir("fuzz/corpus/loader").expect("fuzz/corpus/loader").collect();
    files.sort_by_key(|e| e.as_ref().map(|e| e.path()).ok());
    assert!(!files.is_empty());
    for f in files {
        let path = f.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if let Some(s) = check_loader(&String::from_utf8_lossy(&bytes), &path.display().to_string()) {
            check_loaded_run(&s, EVENTS);
        }
    }
}

/// Every file of the model's corpus (fuzz/corpus/model: the seeds and every crash the fuzzers
/// found) runs with every invariant checked, without a panic, and replays.
#[test]
fn every_file_of_the_model_corpus_runs_with_every_invariant_checked() {
    let mut files: Vec<_> = std::fs::read_dir("fuzz/corpus/model").expect("fuzz/corpus/model").collect();
    files.sort_by_key(|e| e.as_ref().map(|e| e.path()).ok());
    assert!(!files.is_empty());
    for f in files {
        run_model_input(&std::fs::read(f.unwrap().path()).unwrap(), EXAMPLES);
    }
}

/// Writes `KAFKASIM_FUZZ_CASES` (default 10,000) mutated examples, as files, into the directory
/// `KAFKASIM_FUZZ_DUMP`: the input of `.ci/mutated-files`, which runs each through the release
/// CLI as a tester would and checks status, time, memory and the shape of every refusal
/// (docs/architecture.md, "Fuzzing"). One file in 25 also gets a byte that is not UTF-8, which
/// only a file can carry. Ignored: it writes files; the script runs it.
#[test]
#[ignore = "writes the files of .ci/mutated-files"]
fn mutated_examples_are_written_out_for_the_command_line_trial() {
    use proptest::strategy::ValueTree;
    let Ok(dir) = std::env::var("KAFKASIM_FUZZ_DUMP") else { return };
    let n: usize = std::env::var("KAFKASIM_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let (examples, keys) = bundled(EXAMPLES);
    std::fs::create_dir_all(&dir).unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (example_to_run(), any::<usize>());
    for i in 0..n {
        let (case, at) = strategy.new_tree(&mut runner).unwrap().current();
        let mut bytes = mutate(examples, keys, &case).into_bytes();
        if i % 25 == 24 {
            let at = at % (bytes.len() + 1);
            bytes.insert(at, 0xff);
        }
        std::fs::write(format!("{dir}/{i:05}.toml"), bytes).unwrap();
    }
}
