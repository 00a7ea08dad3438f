//! Bug: a run could end while a transaction coordinator still held an open transaction, and
//! the checker then reported its partitions' LSO as stuck, though Kafka would have aborted the
//! transaction moments later. The 100,000-seed soak showed it: seed 11810 of
//! `eos-processor-nemesis-sweep.toml` crashed processor instance s1/1 right after its producer
//! wrote one record of a transaction to `shipments/1`; the instance restarted but had not yet
//! fenced its old epoch when every other condition of the end held, so the run ended at
//! 35,700 ms with `stuck_lso = 1` (nobody reads `shipments`, so no consumer's drain waited for
//! the LSO). Fix: the run also waits while a live coordinator holds a transaction Ongoing (or
//! being fenced); the new instance's InitProducerId or `transaction.timeout.ms`
//! (`TransactionCoordinator.abortTimedOutTransactions`) ends it, the abort markers are written
//! and the LSO moves on (docs/architecture.md, "Phases and the end of a run").

use kafkasim::record::{Anomaly, EventKind};
use kafkasim::scenario::parse_str;
use kafkasim::{run_seed, RunOptions};

/// A transactional producer that crashes for good in its third transaction, with nobody reading
/// its topic: only the coordinator's timeout can end the transaction.
const UNREAD: &str = r#"
name = "a producer crashes mid-transaction and nobody reads its topic"
duration_ms = 120000
[cluster]
brokers = 3
[cluster.config]
"min.insync.replicas" = 2
[[topic]]
name = "orders"
partitions = 1
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 100
interval_ms = 5
transaction_records = 10
[producer.config]
"transactional.id" = "orders-tx"
"transaction.timeout.ms" = 3000
[[fault]]
after = "p1#25 appended"
action = "crash"
target = "producer:p1"
"#;

#[test]
fn a_run_waits_for_the_coordinator_to_abort_an_open_transaction_nobody_reads() {
    let s = parse_str(UNREAD, "unread.toml").unwrap();
    let (report, out) = run_seed(&s, 1, RunOptions::default()).unwrap();
    assert_eq!(report.anomalies[Anomaly::StuckLso], 0, "the timeout aborted the transaction before the end");
    assert!(report.settled, "the run settled once the transaction was aborted");
    let crashed = out.history.events.iter().find(|e| matches!(e.kind, EventKind::Fault { .. })).map(|e| e.at).unwrap();
    // The coordinator scans for timed-out transactions every 10 s, so the abort comes after
    // the 3 s timeout and by the first scan past it.
    assert!(
        out.virtual_ms > crashed + 3000 && out.virtual_ms <= 20_000 + 1000,
        "crash at {crashed} ms, run ended at {} ms",
        out.virtual_ms
    );
}

#[test]
fn the_soak_seed_that_ended_with_an_open_transaction_now_sees_it_aborted() {
    let s = kafkasim::scenario::load_file(std::path::Path::new("examples/scenarios/eos-processor-nemesis-sweep.toml"))
        .unwrap();
    let (report, out) = run_seed(&s, 11810, RunOptions::default()).unwrap();
    assert_eq!(report.anomalies[Anomaly::StuckLso], 0);
    assert!(report.expect.passed, "every [expect] of the sweep holds for seed 11810");
    assert!(out.virtual_ms > 35_700, "the run went past where it used to end ({} ms)", out.virtual_ms);
}
