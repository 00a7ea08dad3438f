//! Transactions: the rules of KIP-98 (and KIP-447, KIP-890) for a transactional producer, the
//! transaction coordinator, markers, the last stable offset and read_committed readers, each
//! checked through a whole run and judged from the history.

mod common;
use common::*;

use kafkasim::error::KafkaError;
use kafkasim::record::Anomaly;
use kafkasim::record::EventKind;
use kafkasim::report::text::to_text;

#[test]
fn every_bundled_transaction_example_meets_its_expectations() {
    for stem in [
        "read-committed-skips-aborted",
        "producer-crash-mid-transaction",
        "zombie-producer-fenced",
        "transaction-coordinator-failover",
        "transactions-nemesis-sweep",
    ] {
        let (report, _) = judge(&example(stem), 1);
        assert!(report.expect.passed, "{stem}: {}", to_text(&report));
    }
}

#[test]
fn every_third_transaction_is_aborted_on_purpose_and_its_records_are_not_acknowledged() {
    let (report, out) = judge(&example("read-committed-skips-aborted"), 1);
    let ends: Vec<bool> = out
        .history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TxnEnded { commit, result: Ok(()), .. } => Some(*commit),
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 30);
    assert!(ends.iter().enumerate().all(|(i, &c)| c == ((i + 1) % 3 != 0)), "{ends:?}");
    assert_eq!((report.producers["p1"].acked, report.producers["p1"].failed), (200, 100));
}

#[test]
fn read_committed_reads_only_committed_records_and_read_uncommitted_reads_them_all() {
    let (report, _) = judge(&example("read-committed-skips-aborted"), 1);
    assert_eq!(report.consumers["committed"].distinct, 200, "{}", to_text(&report));
    assert_eq!(report.consumers["uncommitted"].distinct, 300);
    assert_eq!(report.anomalies[Anomaly::AbortedRead], 0);
}

#[test]
fn an_open_transaction_holds_read_committed_readers_until_the_timeout_aborts_it() {
    let (_, out) = judge(&example("producer-crash-mid-transaction"), 1);
    // The open transaction starts at offset 22: nothing at or after it is ever given to the
    // read_committed consumer (the committed part below it is).
    let offsets: Vec<u64> = out
        .history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Polled { records, .. } => Some(records.iter().map(|d| d.offset).collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(offsets.len(), 20);
    assert!(offsets.iter().all(|&o| o < 22), "{offsets:?}");
    // transaction.timeout.ms = 3000, found by the coordinator's 10 s scan: the run waits for it.
    assert!(out.virtual_ms >= 10_000, "the run waits for the abort: {}", out.virtual_ms);
    let final_log = out.history.partitions[0].leader_replica().expect("leader");
    let markers: Vec<(u64, bool)> =
        final_log.log.iter().filter_map(|b| b.marker().map(|c| (b.base_offset, c))).collect();
    assert_eq!(markers, vec![(10, true), (21, true), (32, false)]);
}

#[test]
fn a_new_instance_fences_the_old_one_which_fails_with_producer_fenced() {
    let (_, out) = judge(&example("zombie-producer-fenced"), 1);
    let fenced = out.history.events.iter().position(|e| {
        matches!(e.kind, EventKind::TxnEnded { producer: 0, result: Err(KafkaError::ProducerFenced), .. })
    });
    let fenced = fenced.expect("p-old's commit must be refused with PRODUCER_FENCED");
    // p-old wrote nothing after its fence: its last ProduceResp-backed records are the aborted ones.
    let p_old_after_fence = out.history.events[fenced + 1..]
        .iter()
        .any(|e| matches!(e.kind, EventKind::Sent { producer: 0, .. } | EventKind::TxnEnded { producer: 0, .. }));
    assert!(!p_old_after_fence, "a fenced producer stops");
}

#[test]
fn a_transaction_in_prepare_commit_is_committed_by_the_next_coordinator() {
    let (report, out) = judge(&example("transaction-coordinator-failover"), 1);
    assert_eq!(report.anomalies[Anomaly::TornTransaction], 0);
    let commits = out
        .history
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::TxnEnded { commit: true, result: Ok(()), .. }))
        .count();
    assert_eq!(commits, 5, "100 records in transactions of 20");
    assert_eq!(report.consumers["c1"].distinct, 100, "{}", to_text(&report));
}

#[test]
fn a_transactional_scenario_replays_to_the_same_trace_hash() {
    let s = example("zombie-producer-fenced");
    assert_eq!(judge(&s, 5).0.trace_hash, judge(&s, 5).0.trace_hash);
}
