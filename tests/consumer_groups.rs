//! Consumer groups and offset commits: the rules of Kafka's group coordinator
//! (`GroupCoordinator`, KIP-345, KIP-848) and of the consumer's commit placements, each checked
//! through a whole run and judged from the history.

mod common;
use common::*;

use kafkasim::record::Anomaly;
use kafkasim::record::EventKind;
use kafkasim::report::text::to_text;

/// A cluster of three brokers with `orders` (`partitions`, RF 3, min ISR 2), a producer of
/// `records` records and the consumer table `consumer`, plus extra TOML (faults, expect).
fn scenario(partitions: u32, records: u32, consumer: &str, extra: &str) -> kafkasim::scenario::Scenario {
    inline(&format!(
        r#"
name = "consumer rule"
duration_ms = 200000
[cluster]
brokers = 3
[cluster.config]
"min.insync.replicas" = 2
[[topic]]
name = "orders"
partitions = {partitions}
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = {records}
interval_ms = 2
[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
{consumer}
{extra}
"#
    ))
}

#[test]
fn every_bundled_consumer_example_meets_its_expectations() {
    for stem in [
        "commit-before-processing-crash",
        "process-then-commit-crash",
        "auto-commit-crash",
        "zombie-consumer",
        "coordinator-failover",
    ] {
        let (report, _) = judge(&example(stem), 1);
        assert!(report.expect.passed, "{stem}: {}", to_text(&report));
    }
}

#[test]
fn range_assignor_gives_the_first_members_one_extra_partition() {
    let s = scenario(7, 100, "instances = 3\n[consumer.config]\n\"auto.offset.reset\" = \"earliest\"", "");
    let (_, out) = judge(&s, 1);
    let mut sizes: Vec<usize> = out
        .history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Assigned { generation: 1, partitions, .. } => Some(partitions.len()),
            _ => None,
        })
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![2, 2, 3], "7 partitions over 3 members: 3, 2, 2");
}

#[test]
fn a_new_group_waits_for_the_initial_rebalance_delay_twice_when_members_keep_arriving() {
    let s = scenario(2, 10, "instances = 2\n[consumer.config]\n\"auto.offset.reset\" = \"earliest\"", "");
    let (_, out) = judge(&s, 1);
    let first = out.history.events.iter().find(|e| matches!(e.kind, EventKind::Assigned { .. })).expect("assigned");
    // group.initial.rebalance.delay.ms = 3000, extended once because a second member joined.
    assert!((6_000..6_200).contains(&first.at), "first generation at {} ms", first.at);
}

#[test]
fn auto_offset_reset_latest_skips_what_a_new_group_has_not_seen() {
    let s = scenario(1, 3000, "[consumer.config]\n\"auto.offset.reset\" = \"latest\"", "");
    let (report, out) = judge(&s, 1);
    assert!(report.anomalies[Anomaly::LostProcessing] > 0, "{}", to_text(&report));
    let processed: usize = out
        .history
        .events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Processed { records, .. } => records.len(),
            _ => 0,
        })
        .sum();
    assert!(processed > 0, "records produced after the assignment are processed");
    assert_eq!(report.anomalies[Anomaly::LostProcessing] + processed as u64, 3000);
}

#[test]
fn auto_offset_reset_none_stops_the_application_without_a_committed_offset() {
    let s = scenario(1, 50, "[consumer.config]\n\"auto.offset.reset\" = \"none\"", "");
    let (_, out) = judge(&s, 1);
    assert!(out.history.events.iter().any(|e| matches!(
        e.kind,
        EventKind::ConsumerFailed { error: kafkasim::error::KafkaError::NoOffsetForPartition, .. }
    )));
}

#[test]
fn a_crashed_member_s_partitions_move_to_the_survivor_after_its_session_times_out() {
    let s = scenario(
        2,
        2000,
        "instances = 2\nprocessing_ms = 1\ncommit = \"after-processing\"\n[consumer.config]\n\"auto.offset.reset\" = \"earliest\"\n\"session.timeout.ms\" = 10000",
        "[[fault]]\nat_ms = 7000\naction = \"crash\"\ntarget = \"consumer:c1/0\"",
    );
    let (report, out) = judge(&s, 1);
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0, "{}", to_text(&report));
    let fault = out.history.events.iter().find(|e| matches!(e.kind, EventKind::Fault { .. })).expect("fault").at;
    let takeover = out
        .history
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::Assigned { instance: 1, partitions, .. } if partitions.len() == 2))
        .expect("the survivor gets both partitions");
    assert!(takeover.at >= fault + 10_000, "not before session.timeout.ms: {} vs {}", takeover.at, fault);
}

#[test]
fn a_zombie_s_commit_after_its_partitions_moved_is_rejected() {
    let (report, out) = judge(&example("zombie-consumer"), 1);
    let pause_end = out
        .history
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::Healed { target, .. } if target.to_string() == "consumer:c1/0"))
        .expect("pause ends")
        .at;
    let rejected =
        out.history.events.iter().any(|e| {
            e.at >= pause_end && matches!(&e.kind, EventKind::OffsetCommit { instance: 0, result: Err(_), .. })
        });
    assert!(rejected, "{}", to_text(&report));
    assert!(report.anomalies[Anomaly::DuplicateProcessing] > 0);
}

#[test]
fn the_coordinator_s_crash_keeps_every_committed_offset() {
    let (report, out) = judge(&example("coordinator-failover"), 1);
    assert!(
        out.history.events.iter().any(|e| matches!(&e.kind, EventKind::Fault { broker: Some(_), .. })),
        "the coordinator target resolved to a broker"
    );
    let c = &report.consumers["c1"];
    assert_eq!(c.committed.get("orders/0").copied(), Some(2000), "{}", to_text(&report));
    assert_eq!(report.anomalies[Anomaly::DuplicateProcessing], 0);
}

#[test]
fn commit_before_processing_loses_exactly_the_rest_of_the_batch_in_hand() {
    let (report, _) = judge(&example("commit-before-processing-crash"), 1);
    // 100-record batches; the crash lands after the 250th record: records 250..299 are lost.
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 50, "{}", to_text(&report));
    assert_eq!(report.anomalies[Anomaly::DuplicateProcessing], 0);
}

#[test]
fn process_then_commit_repeats_exactly_the_processed_part_of_the_batch_in_hand() {
    let (report, _) = judge(&example("process-then-commit-crash"), 1);
    assert_eq!(report.anomalies[Anomaly::DuplicateProcessing], 50, "{}", to_text(&report));
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0);
}

#[test]
fn the_processed_trigger_fires_at_the_instant_of_the_nth_record() {
    let (_, out) = judge(&example("process-then-commit-crash"), 1);
    let fault = out.history.events.iter().position(|e| matches!(e.kind, EventKind::Fault { .. })).expect("fault");
    let processed: usize = out.history.events[..fault]
        .iter()
        .map(|e| match &e.kind {
            EventKind::Processed { records, .. } => records.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(processed, 250, "the crash comes right after the 250th processed record");
}

#[test]
fn the_polled_and_committed_triggers_count_polls_with_records_and_successful_commits() {
    for (trigger, want) in [("c1 polled 3", "Polled"), ("c1 committed 4", "OffsetCommit")] {
        let s = scenario(
            1,
            500,
            "commit = \"after-processing\"\n[consumer.config]\n\"auto.offset.reset\" = \"earliest\"\n\"max.poll.records\" = 20",
            &format!("[[fault]]\nafter = \"{trigger}\"\naction = \"crash\"\ntarget = \"consumer:c1\"\nrestart_after_ms = 500"),
        );
        let (_, out) = judge(&s, 1);
        let fault = out.history.events.iter().position(|e| matches!(e.kind, EventKind::Fault { .. })).expect("fault");
        let count = out.history.events[..fault]
            .iter()
            .filter(|e| match &e.kind {
                EventKind::Polled { .. } => want == "Polled",
                EventKind::OffsetCommit { result: Ok(()), .. } => want == "OffsetCommit",
                _ => false,
            })
            .count();
        let n: usize = trigger.rsplit(' ').next().unwrap().parse().unwrap();
        assert_eq!(count, n, "{trigger}");
    }
}

#[test]
fn a_consumer_scenario_replays_to_the_same_trace_hash() {
    let s = example("zombie-consumer");
    assert_eq!(judge(&s, 3).0.trace_hash, judge(&s, 3).0.trace_hash);
}

#[test]
fn close_with_auto_commit_commits_the_final_positions_and_leaves_the_group() {
    let (report, out) = judge(&example("auto-commit-crash"), 1);
    assert_eq!(report.consumers["c1"].committed.get("orders/0").copied(), Some(3000), "{}", to_text(&report));
    let last_commit = out
        .history
        .events
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::OffsetCommit { offsets, result: Ok(()), .. } => Some(offsets.clone()),
            _ => None,
        })
        .expect("a commit");
    assert_eq!(&*last_commit, &[(0, 3000)], "the last commit is close()'s");
}
