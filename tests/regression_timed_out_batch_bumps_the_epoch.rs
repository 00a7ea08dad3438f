//! Bug: a producer whose batch timed out carried on with the sequences it had, whatever the
//! broker held. A run showed it: an idempotent producer (`request.timeout.ms = 1500`,
//! `delivery.timeout.ms = 3000`, a record every 10 ms) cut off from the leader of `orders/0` from
//! 500 ms to 4500 ms saw its retried batches expire; after the heal every later batch carried a
//! sequence the leader had a gap before, was answered OUT_OF_ORDER_SEQUENCE_NUMBER and retried
//! until it expired too: 49 of 400 records acknowledged. Batches in flight never expired at all.
//! Fix, as Java's `Sender` and `TransactionManager` do it: a batch expires at its delivery
//! timeout in flight too (KIP-91, 2.1+); a retried batch that expires leaves its partition
//! unresolved, and once nothing of it is out the producer bumps its epoch and starts its
//! sequences at 0 (KIP-360, 2.5+; `bumpIdempotentEpochAndResetIdIfNeeded`), or before 2.5 asks a
//! broker for a new producer id (`resetProducerId`). A transactional producer whose send failed
//! bumps its epoch with InitProducerId(producer id, epoch) after the abort (2.5+, transactions
//! V0/V1; `epochBumpRequired`), and before 2.5 stops on a retried batch that expired ("It isn't
//! safe to continue").

use kafkasim::record::{EventKind, History};
use kafkasim::scenario::{parse_str, Scenario};
use kafkasim::{run_seed, KafkaError, RunOptions, RunOutput};

fn idempotent_cut_off_from_its_leader(version: &str) -> Scenario {
    let src = format!(
        r#"
name = "an idempotent producer cut off from its leader for longer than its delivery timeout"
duration_ms = 60000
[cluster]
brokers = 3
kafka_version = "{version}"
[cluster.config]
"min.insync.replicas" = 2
[[topic]]
name = "orders"
partitions = 1
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 400
interval_ms = 10
[producer.config]
"acks" = "all"
"enable.idempotence" = true
"request.timeout.ms" = 1500
"delivery.timeout.ms" = 3000
[[fault]]
at_ms = 500
action = "partition"
between = ["producer:p1"]
and = ["leader:orders/0"]
duration_ms = 4000
"#
    );
    parse_str(&src, "idempotent.toml").unwrap()
}

fn transactional_cut_off_from_its_leader(version: &str) -> Scenario {
    // The first batches of the first transaction expire while the application is still sending
    // its records (300 of them, one every 10 ms): not while committing.
    let delivery = if version.starts_with('4') { 1005 } else { 1000 };
    let src = format!(
        r#"
name = "a transactional producer cut off from its leader in the middle of a transaction"
duration_ms = 60000
[cluster]
brokers = 3
kafka_version = "{version}"
[cluster.config]
"min.insync.replicas" = 2
[[topic]]
name = "orders"
partitions = 1
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 600
interval_ms = 10
transaction_records = 300
[producer.config]
"transactional.id" = "orders-tx"
"request.timeout.ms" = 1000
"delivery.timeout.ms" = {delivery}
[[fault]]
after = "p1#5 sent"
action = "partition"
between = ["producer:p1"]
and = ["leader:orders/0"]
duration_ms = 2000
"#
    );
    parse_str(&src, "transactional.toml").unwrap()
}

fn run(s: &Scenario) -> RunOutput {
    run_seed(s, 1, RunOptions::traced()).unwrap().1
}

/// Producer id and epoch of the batches holding records `from..` of p1 in the final log.
fn writers_from(h: &History, from: u32) -> Vec<(i64, i16)> {
    let log = &h.partitions[0].leader_replica().expect("a leader").log;
    let mut w: Vec<(i64, i16)> = log
        .iter()
        .filter(|b| b.meta.is_none() && b.records.iter().any(|r| r >= from))
        .map(|b| (b.producer_id, b.producer_epoch))
        .collect();
    w.dedup();
    w
}

fn acked(h: &History, index: u32) -> bool {
    h.events.iter().any(|e| matches!(&e.kind, EventKind::Acked { records, .. } if records.contains(index)))
}

#[test]
fn an_idempotent_producer_bumps_its_epoch_once_its_expired_batches_are_resolved_and_carries_on() {
    let out = run(&idempotent_cut_off_from_its_leader("4.1"));
    assert!((360..400).all(|i| acked(&out.history, i)), "records sent after the cut must be acknowledged");
    let first = writers_from(&out.history, 0)[0];
    // The same producer id at a bumped epoch. (The model bumps once per retried batch that
    // expires with nothing else out, five times here; whether Java bumps as often is not checked.)
    let after = writers_from(&out.history, 380);
    assert!(after.len() == 1 && after[0].0 == first.0 && after[0].1 >= 1, "{after:?} after {first:?}");
}

#[test]
fn before_kip_360_an_idempotent_producer_takes_a_new_producer_id_instead() {
    let out = run(&idempotent_cut_off_from_its_leader("2.4"));
    assert!((360..400).all(|i| acked(&out.history, i)), "records sent after the cut must be acknowledged");
    assert!(out.trace.iter().any(|l| l.contains("p1/0") && l.contains("InitProducerIdResp")), "a new id is asked for");
    let first = writers_from(&out.history, 0)[0];
    let last = writers_from(&out.history, 380);
    assert_eq!(last.len(), 1);
    assert_ne!(last[0].0, first.0, "a new producer id");
    assert_eq!(last[0].1, 0, "at epoch 0");
}

#[test]
fn a_transactional_producer_whose_send_timed_out_bumps_its_epoch_after_the_abort() {
    let out = run(&transactional_cut_off_from_its_leader("3.5"));
    let bump = out.trace.iter().position(|l| l.contains("InitProducerId p1/0") && l.contains("producer_epoch=0"));
    let abort = out.trace.iter().position(|l| l.contains("EndTxn p1/0") && l.ends_with("abort"));
    assert!(bump > abort && abort.is_some(), "InitProducerId with the current producer id and epoch after the abort");
    assert_eq!(writers_from(&out.history, 300).iter().map(|w| w.1).collect::<Vec<_>>(), vec![1]);
    let ends: Vec<_> = out
        .history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TxnEnded { commit, result, .. } => Some((*commit, *result)),
            _ => None,
        })
        .collect();
    assert_eq!(ends, vec![(false, Ok(())), (true, Ok(())), (true, Ok(()))], "the aborted records go again");
}

#[test]
fn under_transactions_v2_the_end_of_every_transaction_bumps_the_epoch_and_the_client_asks_for_no_bump() {
    let out = run(&transactional_cut_off_from_its_leader("4.0"));
    assert!(!out.trace.iter().any(|l| l.contains("InitProducerId p1/0") && l.contains("producer_epoch=")));
    let epochs: Vec<&str> = out
        .trace
        .iter()
        .filter(|l| l.contains("EndTxnResp p1/0"))
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    assert_eq!(epochs, ["producer_epoch=1", "producer_epoch=2", "producer_epoch=3"]);
}

#[test]
fn before_kip_360_a_transactional_producer_whose_retried_batch_expired_stops() {
    let out = run(&transactional_cut_off_from_its_leader("2.4"));
    let fatal = out
        .history
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::TxnEnded { result: Err(KafkaError::DeliveryTimeout), .. }));
    assert!(fatal, "the producer cannot continue safely");
    assert!(!out.history.events.iter().any(|e| matches!(&e.kind, EventKind::TxnEnded { result: Ok(()), .. })));
}
