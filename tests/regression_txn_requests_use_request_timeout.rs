//! Bug: the transactional producer waited a fixed 30 s (`TXN_REQUEST_TIMEOUT_MS`) for every
//! answer from its transaction coordinator, whatever `request.timeout.ms` said. A run showed it:
//! a producer with `request.timeout.ms = 2000` whose coordinator (broker 3) lost power right after
//! the second commit sent its AddPartitionsToTxn into the void and waited until 30334 ms before
//! looking the coordinator up again, although the controller had moved the coordinator to broker 1
//! at 10003 ms; the third transaction committed at 30365 ms. Fix: every request of the transaction
//! manager (FindCoordinator, InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit,
//! EndTxn) times out after the producer's `request.timeout.ms`, as Java's `TransactionManager`
//! requests do (they go through the producer's `NetworkClient`); the connection is closed and the
//! coordinator looked up again. (That run was on the default profile, whose transactions were
//! then those of transactions V0/V1; `kafka_version = "3.5"` keeps that flow now that 4.x runs
//! transactions V2, where the first request to meet the dead coordinator is the EndTxn.)

use kafkasim::record::EventKind;
use kafkasim::scenario::{parse_str, Scenario};
use kafkasim::{run_seed, RunOptions};

fn coordinator_power_loss(version: &str, request_timeout_ms: u64) -> Scenario {
    let src = format!(
        r#"
name = "the transaction coordinator loses power after the second commit"
duration_ms = 120000
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
records = 50
interval_ms = 5
transaction_records = 10
[producer.config]
"transactional.id" = "tx"
"request.timeout.ms" = {request_timeout_ms}
[[fault]]
after = "p1 txn-committed 2"
action = "power-loss"
target = "coordinator:transaction:tx"
restart_after_ms = 60000
"#
    );
    parse_str(&src, "coordinator-power-loss.toml").unwrap()
}

/// When `commitTransaction()` of transaction `n` (from 0) returned, and with what.
fn ended_at(s: &Scenario, n: u32) -> (u64, Result<(), kafkasim::error::KafkaError>) {
    let (_, out) = run_seed(s, 1, RunOptions::default()).unwrap();
    out.history
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::TxnEnded { txn, result, .. } if *txn == n => Some((e.at, *result)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("transaction {n} never ended"))
}

#[test]
fn a_transactional_producer_gives_up_on_a_dead_coordinator_after_its_request_timeout() {
    // The power loss strikes at about 230 ms; the controller fences broker 3 and moves the
    // coordinator at about 10 s. With 2 s timeouts the producer finds the new one soon after.
    let (at, result) = ended_at(&coordinator_power_loss("3.5", 2_000), 2);
    assert_eq!(result, Ok(()));
    assert!(at < 15_000, "the third transaction committed only at {at} ms");
}

#[test]
fn a_longer_request_timeout_keeps_the_producer_waiting_on_the_dead_coordinator_longer() {
    // The same run with 25 s timeouts: the AddPartitionsToTxn sent to the dead broker is given up
    // only after 25 s, so the third commit comes after that, however early the new coordinator is.
    let (at, result) = ended_at(&coordinator_power_loss("3.5", 25_000), 2);
    assert_eq!(result, Ok(()));
    assert!((25_000..30_000).contains(&at), "the third transaction committed at {at} ms");
}

#[test]
fn under_transactions_v2_the_end_txn_to_a_dead_coordinator_gives_up_after_the_request_timeout() {
    // Transactions V2: no AddPartitionsToTxn from the client, so the first request that meets the
    // dead coordinator is the third transaction's EndTxn (its records are appended at about 12.8 s,
    // once the leader verifies with the new coordinator); it is given up after 2 s, not 30 s.
    let (at, result) = ended_at(&coordinator_power_loss("4.1", 2_000), 2);
    assert_eq!(result, Ok(()));
    assert!(at < 20_000, "the third transaction committed only at {at} ms");
}
