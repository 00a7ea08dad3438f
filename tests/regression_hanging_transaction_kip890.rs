//! Bug: transactions ran the pre-3.6 protocol whatever the cluster's release, although the
//! default profile claims Kafka 4.1: no partition leader verified a transactional write with the
//! transaction coordinator (KIP-890 part 1, 3.6), and no commit or abort bumped the producer epoch
//! (transactions V2, KIP-890 part 2, 4.0). A run showed it:
//! `examples/scenarios/hanging-transaction-fenced-4.0.toml` on the unfixed model traced what its
//! 3.5 twin traced, the client's AddPartitionsToTxn, EndTxn answered without a new epoch, ABORT
//! markers of epoch 0 and no verification. Its late write stayed out of the log only because the
//! unfixed producer never let a batch expire in flight (the companion fix of
//! `regression_timed_out_batch_bumps_the_epoch`); with batches expiring as in Kafka, the pre-3.6
//! rules append that write after the ABORT marker, a transaction the coordinator knows nothing
//! of, and `orders/0`'s last stable offset stays at 12 below a high watermark of 22 for good (the
//! run of `hanging-transaction-3.5.toml`). Fix: from 3.6 the leader asks the coordinator
//! (`AddPartitionsToTxn` with `verifyOnly`, `AddPartitionsToTxnManager` and
//! `TransactionCoordinator.handleVerifyPartitionsInTransaction`) before the first transactional
//! batch of a producer with no open transaction there, and refuses it unless the partition is in
//! the producer's ongoing transaction at that epoch (INVALID_TXN_STATE, TRANSACTION_ABORTABLE
//! from 3.8, INVALID_PRODUCER_EPOCH for a fenced epoch); a verification guard refuses a write
//! verified before an abort marker that came in between. From 4.0 every EndTxn bumps the epoch
//! and answers it, the client sends no AddPartitionsToTxn (the leader's verification adds the
//! partition), and markers carry the bumped epoch. Releases before 3.6 keep the hang, as Kafka
//! had it.

use kafkasim::record::{Anomaly, History, KafkaVersion};
use kafkasim::scenario::{load_file, Scenario};
use kafkasim::{run_seed, RunOptions, RunOutput};

fn example(version: &str) -> Scenario {
    let mut s = load_file(std::path::Path::new("examples/scenarios/hanging-transaction-3.5.toml")).unwrap();
    s.cluster.kafka_version = KafkaVersion::parse(version).unwrap();
    s
}

fn run(s: &Scenario) -> (u64, RunOutput) {
    let (report, out) = run_seed(s, 1, RunOptions::traced()).unwrap();
    (report.anomalies[Anomaly::StuckLso], out)
}

/// orders/0's final log: (first offset, producer epoch, marker: Some(commit)) per batch.
fn batches(h: &History) -> Vec<(u64, i16, Option<bool>)> {
    let log = &h.partitions[0].leader_replica().expect("a leader").log;
    log.iter().map(|b| (b.base_offset, b.producer_epoch, b.marker())).collect()
}

#[test]
fn on_kafka_3_5_the_batch_that_lands_after_its_abort_marker_hangs_the_partition() {
    let (stuck, out) = run(&example("3.5"));
    assert_eq!(stuck, 1);
    let log = batches(&out.history);
    let abort = log.iter().position(|b| b.2 == Some(false)).expect("an ABORT marker");
    assert_eq!(log[abort + 1..], [(12, 0, None)], "the late batch, of the aborted epoch, after the marker");
}

#[test]
fn on_kafka_3_6_the_leader_asks_the_coordinator_and_refuses_the_late_batch() {
    let (stuck, out) = run(&example("3.6"));
    assert_eq!(stuck, 0);
    assert!(out.trace.iter().any(|l| l.contains("AddPartitionsToTxn(verifyOnly) broker:1")), "the leader asks");
    assert!(
        out.trace.iter().any(|l| l.contains("AddPartitionsToTxnResp broker:3")
            && (l.ends_with("error=PRODUCER_FENCED") || l.ends_with("error=INVALID_TXN_STATE"))),
        "the coordinator refuses: the partition is in no ongoing transaction of that producer and epoch"
    );
    assert_eq!(batches(&out.history).last().map(|b| b.2), Some(Some(false)), "the abort marker stays last");
}

#[test]
fn on_kafka_4_0_the_aborts_epoch_bump_fences_the_late_batch() {
    let (stuck, out) = run(&example("4.0"));
    assert_eq!(stuck, 0);
    assert!(out.trace.iter().any(|l| l.contains("EndTxnResp p1/0") && l.ends_with("producer_epoch=2")));
    assert!(!out.trace.iter().any(|l| l.contains("AddPartitionsToTxn p1/0")), "no client AddPartitionsToTxn");
}

#[test]
fn on_kafka_4_1_every_marker_carries_the_epoch_after_its_transactions_data() {
    let (stuck, out) = run(&example("4.1"));
    assert_eq!(stuck, 0);
    let log = batches(&out.history);
    let commit = log.iter().position(|b| b.2 == Some(true)).expect("the first transaction's COMMIT marker");
    assert!(log[..commit].iter().all(|b| b.1 == 0), "{log:?}");
    assert_eq!(log[commit].1, 1, "the marker carries the bumped epoch: {log:?}");
}
