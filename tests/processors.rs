//! Consume-transform-produce processors (KIP-98, KIP-447, KIP-732): each output names its
//! input; `exactly_once_v2` commits outputs and offsets in one transaction, `at_least_once`
//! flushes then commits; each crash point of the bundled examples does what Kafka does.

mod common;
use common::*;

use kafkasim::record::{EventKind, MetaRecord, RecordId};
use kafkasim::report::text::to_text;
use kafkasim::scenario::{IsolationLevel, ProcessingGuarantee};
use kafkasim::RunOutput;

/// Output records standing in the final read_committed view of `shipments`, as input numbers.
fn committed_outputs(out: &RunOutput) -> Vec<u32> {
    let mut v = Vec::new();
    for p in out.history.partitions.iter().filter(|p| p.topic == "shipments") {
        let mut open: std::collections::BTreeMap<i64, Vec<u32>> = Default::default();
        for b in &p.leader_replica().expect("leader").log {
            if let Some(commit) = b.marker() {
                let recs = open.remove(&b.producer_id).unwrap_or_default();
                if commit {
                    v.extend(recs);
                }
            } else if b.meta.is_none() && b.transactional {
                open.entry(b.producer_id).or_default().extend(b.records.iter());
            } else if b.meta.is_none() {
                v.extend(b.records.iter());
            }
        }
    }
    v.sort_unstable();
    v
}

fn eos(stem: &str) -> (kafkasim::report::Report, RunOutput) {
    let mut s = example(stem);
    assert_eq!(s.processors[0].config.processing_guarantee, ProcessingGuarantee::ExactlyOnceV2);
    s.name = stem.into();
    judge(&s, 1)
}

#[test]
fn every_bundled_processor_example_meets_its_expectations() {
    for stem in [
        "eos-processor-crash-after-producing",
        "eos-processor-crash-after-sending-offsets",
        "eos-processor-crash-after-committing",
        "eos-processor-zombie-fenced",
        "eos-processor-nemesis-sweep",
        "alos-processor-crash-duplicates",
        "alos-processor-nemesis-sweep",
    ] {
        let (report, _) = judge(&example(stem), 1);
        assert!(report.expect.passed, "{stem}: {}", to_text(&report));
    }
}

#[test]
fn each_input_has_exactly_one_committed_output_after_an_exactly_once_processor_crashes() {
    for stem in [
        "eos-processor-crash-after-producing",
        "eos-processor-crash-after-sending-offsets",
        "eos-processor-crash-after-committing",
        "eos-processor-zombie-fenced",
    ] {
        let (_, out) = eos(stem);
        let got = committed_outputs(&out);
        assert_eq!(got, (0..600).collect::<Vec<u32>>(), "{stem}");
    }
}

#[test]
fn an_exactly_once_processor_reads_read_committed_and_an_at_least_once_one_read_uncommitted() {
    let (_, out) = eos("eos-processor-crash-after-producing");
    assert_eq!(out.history.consumers[0].isolation, IsolationLevel::ReadCommitted);
    assert_eq!(out.history.consumers[0].processor, Some(0));
    let (_, out) = judge(&example("alos-processor-crash-duplicates"), 1);
    assert_eq!(out.history.consumers[0].isolation, IsolationLevel::ReadUncommitted);
}

#[test]
fn an_output_names_its_input_and_lands_on_the_same_numbered_partition() {
    let (_, out) = eos("eos-processor-crash-after-committing");
    let h = &out.history;
    let s1 = h.processors[0].producer;
    assert_eq!(h.record_name(RecordId { producer: s1, index: 17 }), "s1(p1#17)");
    for (i, p) in h.partitions.iter().enumerate().filter(|(_, p)| p.topic == "shipments") {
        for b in p.leader_replica().unwrap().log.iter().filter(|b| b.meta.is_none()) {
            for r in b.records.iter() {
                let input = h.input_of(RecordId { producer: b.producer, index: r }).unwrap();
                let input_partition = h
                    .partitions
                    .iter()
                    .position(|q| {
                        q.topic == "orders"
                            && q.leader_replica().unwrap().log.iter().any(|x| x.records.contains(input.index))
                    })
                    .unwrap();
                assert_eq!(h.partitions[input_partition].partition, h.partitions[i].partition, "{input:?}");
            }
        }
    }
}

#[test]
fn exactly_once_offsets_are_written_inside_the_transaction_and_made_final_by_its_marker() {
    let (_, out) = eos("eos-processor-crash-after-committing");
    let offsets: Vec<_> = out.history.partitions.iter().filter(|p| p.topic == "__consumer_offsets").collect();
    let mut txn_commits = 0;
    let mut markers = 0;
    for p in offsets {
        for b in &p.leader_replica().unwrap().log {
            match b.meta.as_deref() {
                Some(MetaRecord::OffsetCommit { .. }) if b.transactional => txn_commits += 1,
                Some(MetaRecord::OffsetCommit { .. }) => panic!("an exactly-once processor commits no plain offsets"),
                Some(MetaRecord::TxnMarker { commit: true, .. }) => markers += 1,
                _ => {}
            }
        }
    }
    let committed_txns = out
        .history
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::TxnEnded { commit: true, result: Ok(()), .. }))
        .count();
    assert!(txn_commits >= 3 && markers >= 3, "{txn_commits} transactional commits, {markers} markers");
    assert!(committed_txns >= 3);
}

#[test]
fn at_least_once_commits_offsets_only_after_every_output_before_them_is_acknowledged() {
    let (_, out) = judge(&example("alos-processor-crash-duplicates"), 1);
    let h = &out.history;
    let s1 = h.processors[0].producer;
    let mut acked: Vec<u64> = vec![u64::MAX; 600];
    let mut commits = 0;
    for e in &h.events {
        match &e.kind {
            EventKind::Acked { producer, records, .. } if *producer == s1 => {
                for r in records.iter() {
                    acked[r as usize] = acked[r as usize].min(e.at);
                }
            }
            EventKind::Polled { consumer: 0, records, .. } => {
                // Every record polled before a commit is covered by it only once acknowledged.
                let _ = records;
            }
            EventKind::OffsetCommit { consumer: 0, offsets, result: Ok(()), .. } => {
                commits += 1;
                for &(p, next) in offsets.iter() {
                    let log = &h.partitions[p as usize].leader_replica().unwrap().log;
                    for b in log.iter().filter(|b| b.base_offset < next) {
                        for r in b.records.iter() {
                            assert!(acked[r as usize] <= e.at, "p1#{r} committed at {} before its output", e.at);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    assert!(commits >= 1);
}

#[test]
fn the_default_commit_interval_is_100_ms_under_exactly_once_and_30_s_under_at_least_once() {
    let (_, out) = eos("eos-processor-crash-after-committing");
    let txns = out
        .history
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::TxnEnded { commit: true, result: Ok(()), .. }))
        .count();
    let (_, alos) = judge(&example("alos-processor-crash-duplicates"), 1);
    let commits =
        alos.history.events.iter().filter(|e| matches!(e.kind, EventKind::OffsetCommit { result: Ok(()), .. })).count();
    // 600 inputs over 6 s: dozens of 100 ms transactions, against a handful of commits (at
    // rebalances and at close) with a 30 s interval.
    assert!(txns >= 20, "{txns} transactions");
    assert!(commits <= 6, "{commits} commits");
}

#[test]
fn a_zombie_instance_is_fenced_by_its_generation_and_aborts_its_transaction() {
    let (_, out) = eos("eos-processor-zombie-fenced");
    let h = &out.history;
    let s1 = h.processors[0].producer;
    // Instance 0's producer (instance numbers K << 16 | n) aborts after its pause.
    let aborted = h.events.iter().any(|e| {
        e.at > 21_000
            && matches!(&e.kind, EventKind::TxnEnded { producer, instance, commit: false, result: Ok(()), records, .. }
                if *producer == s1 && instance >> 16 == 0 && !records.is_empty())
    });
    assert!(aborted, "the zombie's transaction must abort");
    assert_eq!(committed_outputs(&out), (0..600).collect::<Vec<u32>>());
}

#[test]
fn at_least_once_repeats_the_outputs_of_inputs_polled_since_the_last_commit() {
    let (report, out) = judge(&example("alos-processor-crash-duplicates"), 1);
    let got = committed_outputs(&out);
    let mut distinct = got.clone();
    distinct.dedup();
    assert_eq!(distinct, (0..600).collect::<Vec<u32>>(), "nothing lost");
    assert!(got.len() > 600, "{}", to_text(&report));
}

#[test]
fn a_processor_run_replays_to_the_same_trace_hash() {
    let s = example("eos-processor-nemesis-sweep");
    let a = judge(&s, 3).0.trace_hash;
    let b = judge(&s, 3).0.trace_hash;
    assert_eq!(a, b);
}
