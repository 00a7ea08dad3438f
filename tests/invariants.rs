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
    same_reports_with_invariants_checked(&s, 0..8);
}

/// Each seed's report is the same with invariants checked (none fails) as without.
fn same_reports_with_invariants_checked(s: &kafkasim::scenario::Scenario, seeds: std::ops::Range<u64>) {
    let checked = RunOptions { check_invariants: true, ..RunOptions::default() };
    for seed in seeds {
        let (plain, _) = judge(s, seed);
        let (with_checks, _) = kafkasim::run_seed(s, seed, checked).unwrap();
        assert_eq!(
            kafkasim::report::json::to_json_line(&plain),
            kafkasim::report::json::to_json_line(&with_checks),
            "{} seed {seed}",
            s.name
        );
    }
}

/// A processor's `send()` leaves its producer's transaction pump and drain undone when the
/// record joined a lingering batch of a partition already in the transaction and nothing else
/// reached the producer since its last send (`Producer::wake_sender`); invariant 45
/// replays both when invariants are checked. Processors that crash, pause and lose brokers
/// mid-transaction, under transactions V2 (4.1, `exactly_once_v2`, and `at_least_once` beside
/// it) and V1 (2.8, `exactly_once`, where a partition joins by AddPartitionsToTxn), are where a
/// skipped pump or drain could matter.
#[test]
fn a_skipped_processor_send_wake_up_changes_nothing_when_processors_and_brokers_fail() {
    // (guarantee, processing_ms) per processor: one that takes a ms or two per record sends
    // while its batches linger and their `Drain`s come due; one that takes none sends a poll's
    // records in one step.
    let runs: [(&str, &[(&str, u32)]); 2] =
        [("4.1", &[("exactly_once_v2", 1), ("at_least_once", 0)]), ("2.8", &[("exactly_once", 2)])];
    for (version, processors) in runs {
        let mut text = format!(
            r#"
name = "skipped processor wake-ups on {version}"
duration_ms = 60000
[cluster]
brokers = 3
kafka_version = "{version}"
[cluster.config]
"min.insync.replicas" = 2
[[topic]]
name = "orders"
partitions = 3
replication_factor = 3
[[topic]]
name = "shipments"
partitions = 3
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 2000
interval_ms = 1
[nemesis]
actions = ["crash", "isolate", "pause"]
targets = ["brokers", "processors"]
interval_ms = [500, 2000]
restart_after_ms = [100, 2000]
duration_ms = [100, 2000]
"#
        );
        for (i, (guarantee, ms)) in processors.iter().enumerate() {
            text.push_str(&format!(
                "[[processor]]\nname = \"s{i}\"\ngroup = \"app{i}\"\ninput = \"orders\"\noutput = \"shipments\"\n\
                 processing_ms = {ms}\n[processor.config]\n\"processing.guarantee\" = \"{guarantee}\"\n\"linger.ms\" = 4\n"
            ));
        }
        same_reports_with_invariants_checked(&inline(&text), 0..4);
    }
}
