//! The numbered invariants (docs/architecture.md, "Invariants") hold on every bundled example:
//! debug builds assert them always, and `check_invariants` adds the world's cross-node checks.

mod common;
use common::*;

use kafkasim::RunOptions;

fn examples() -> Vec<String> {
    let mut stems: Vec<String> = std::fs::read_dir("examples/scenarios")
        .expect("examples")
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "toml").then(|| path.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    stems.sort();
    stems
}

#[test]
fn every_bundled_example_runs_with_its_invariants_checked_and_meets_its_expectations() {
    let stems = examples();
    assert!(stems.len() >= 20, "{} examples", stems.len());
    let opts = RunOptions { check_invariants: true, ..RunOptions::default() };
    for stem in &stems {
        let s = example(stem);
        let (report, _) = kafkasim::run_seed(&s, s.seed, opts).unwrap();
        assert!(report.expect.passed, "{stem}: its [expect] failed");
    }
}

#[test]
fn checking_invariants_changes_neither_the_trace_hash_nor_the_report() {
    let s = example("acks-all-nemesis-sweep");
    let (plain, _) = judge(&s, 42);
    let (checked, _) =
        kafkasim::run_seed(&s, 42, RunOptions { check_invariants: true, ..RunOptions::default() }).unwrap();
    assert_eq!(kafkasim::report::json::to_json_line(&plain), kafkasim::report::json::to_json_line(&checked));
}

#[test]
fn the_cli_takes_check_invariants_and_exits_zero_when_they_hold() {
    let (code, out, err) = kafkasim(&[
        "run",
        "examples/scenarios/acks1-leader-failure.toml",
        "--seeds",
        "1..3",
        "--format",
        "json",
        "--check-invariants",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 3);
}
