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

/// A record that joins a lingering batch without filling it does not wake the producer's sender
/// (Kafka's `doSend`); invariant 45 runs the skipped drain anyway when invariants are checked
/// and fails if it would have done anything. Producers that pause, crash and lose brokers
/// mid-batch are where a skipped drain could matter, and a batch that fills before its linger
/// ends (p3: five records a batch, a second of linger) must wake the sender.
#[test]
fn a_skipped_sender_wake_up_changes_nothing_when_producers_and_brokers_fail() {
    let s = inline(
        r#"
name = "skipped-wake-ups"
duration_ms = 60000
[cluster]
brokers = 3
[[topic]]
name = "orders"
partitions = 2
replication_factor = 3
[topic.config]
"min.insync.replicas" = 2
[[producer]]
name = "p1"
topic = "orders"
records = 3000
interval_ms = 1
[[producer]]
name = "p2"
topic = "orders"
records = 1000
interval_ms = 3
[producer.config]
"enable.idempotence" = false
"acks" = "1"
[[producer]]
name = "p3"
topic = "orders"
records = 1000
interval_ms = 2
[producer.config]
"linger.ms" = 1000
"batch.size" = 500
[nemesis]
actions = ["crash", "isolate", "pause"]
targets = ["brokers", "producers"]
interval_ms = [200, 1500]
restart_after_ms = [100, 2000]
duration_ms = [100, 2000]
"#,
    );
    let checked = RunOptions { check_invariants: true, ..RunOptions::default() };
    for seed in 0..8 {
        let (plain, _) = judge(&s, seed);
        let (with_checks, _) = kafkasim::run_seed(&s, seed, checked).unwrap();
        assert_eq!(
            kafkasim::report::json::to_json_line(&plain),
            kafkasim::report::json::to_json_line(&with_checks),
            "seed {seed}"
        );
    }
}
