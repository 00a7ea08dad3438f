//! Scenarios shared by the benchmark binaries.

#![allow(dead_code)]

use kafkasim::scenario::{ClusterSpec, FaultAction, NemesisSpec, ProducerSpec, Scenario, TargetClass, TopicSpec};

/// A topic with Kafka's per-topic defaults.
pub fn topic(name: &str, partitions: u32, replication_factor: u32) -> TopicSpec {
    TopicSpec::new(name, partitions, replication_factor)
}

/// Records the producers saw acknowledged in a run (a bench's sanity check: a figure for a run
/// that did not deliver its workload means nothing).
pub fn acked_records(out: &kafkasim::RunOutput) -> usize {
    out.history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            kafkasim::record::EventKind::Acked { records, .. } => Some(records.len()),
            _ => None,
        })
        .sum()
}

/// 3 brokers, one topic of `partitions` partitions at RF 3, one producer with the defaults
/// (`acks=all`, idempotent) sending `records` records all at once (`interval_ms = 0`), no faults.
pub fn replication(partitions: u32, records: u32) -> Scenario {
    let mut p = ProducerSpec::new("p1", "orders", records);
    p.interval_ms = 0;
    Scenario {
        name: format!("replication-{partitions}p-{records}"),
        cluster: ClusterSpec { brokers: 3, ..Default::default() },
        topics: vec![topic("orders", partitions, 3)],
        producers: vec![p],
        ..Default::default()
    }
}

/// 3 brokers, one topic with 1 partition at RF 3 and `min.insync.replicas = 2`, 1,000 records
/// one per ms, and a nemesis crashing, power-losing, isolating and pausing brokers over a
/// 120 s run.
pub fn nemesis() -> Scenario {
    let mut t = topic("orders", 1, 3);
    t.min_insync_replicas = Some(2);
    let mut p = ProducerSpec::new("p1", "orders", 1_000);
    p.interval_ms = 1;
    let nemesis = NemesisSpec {
        actions: vec![FaultAction::Crash, FaultAction::PowerLoss, FaultAction::Isolate, FaultAction::Pause],
        targets: vec![TargetClass::Brokers],
        interval_ms: (500, 3000),
        restart_after_ms: (500, 5000),
        duration_ms: (500, 5000),
        ..Default::default()
    };
    Scenario {
        name: "nemesis-seeds".into(),
        duration_ms: 120_000,
        cluster: ClusterSpec { brokers: 3, ..Default::default() },
        topics: vec![t],
        producers: vec![p],
        nemesis: Some(nemesis),
        ..Default::default()
    }
}
