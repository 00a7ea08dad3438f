//! The producer client: retries, in-flight requests, idempotence, restarts.

mod common;
use common::*;
use kafkasim::record::{Anomaly, EventKind};
use kafkasim::KafkaError;

#[test]
fn retries_without_idempotence_duplicate_a_record_whose_response_was_lost() {
    let (r, out) = judge(&example("retries-duplicate"), 1);
    assert!(r.anomalies[Anomaly::Duplicated] > 0);
    assert!(offsets_of(&out.history, 0, 17).len() >= 2, "p1#17 was appended twice");
    assert_eq!(r.semantics["p1"].delivery, "at-least-once");
    assert!(r.semantics["p1"].holds, "duplicates do not break at-least-once");
}

#[test]
fn idempotence_answers_a_retried_batch_with_its_original_offset() {
    let (r, out) = judge(&example("idempotence-dedup"), 1);
    assert_eq!(r.anomalies[Anomaly::Duplicated], 0);
    let offsets = offsets_of(&out.history, 0, 17);
    assert_eq!(offsets.len(), 1);
    let (_, acked_offset) = acked_at(&out.history, 17).expect("p1#17 acknowledged");
    assert_eq!(acked_offset, offsets[0] as i64, "the retry was answered with the first append's offset");
}

#[test]
fn five_requests_in_flight_without_idempotence_reorder_and_idempotence_keeps_order() {
    let s = example("reorder-in-flight");
    let (r, _) = judge(&s, 1);
    assert!(r.anomalies[Anomaly::Reordered] > 0);

    let mut idem = s.clone();
    idem.producers[0].config.enable_idempotence = true;
    // Kafka's rule, which `run` enforces as the loader does: idempotence needs acks=all.
    idem.producers[0].config.acks = kafkasim::scenario::Acks::All;
    let (r, _) = judge(&idem, 1);
    assert_eq!(
        (r.anomalies[Anomaly::Reordered], r.anomalies[Anomaly::Duplicated], r.anomalies[Anomaly::LostAcked]),
        (0, 0, 0)
    );
}

#[test]
fn one_request_in_flight_keeps_order_without_idempotence() {
    let mut s = example("reorder-in-flight");
    s.producers[0].config.max_in_flight = 1;
    let (r, _) = judge(&s, 1);
    assert_eq!(r.anomalies[Anomaly::Reordered], 0);
}

const RESTART: &str = r#"
name = "restarted producer"
[cluster]
brokers = 3
[[topic]]
name = "orders"
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 500
on_restart = "ON_RESTART"
[[fault]]
after = "p1#200 appended"
action = "isolate"
target = "producer:p1"
duration_ms = 50
[[fault]]
after = "p1#200 appended"
action = "crash"
target = "producer:p1"
restart_after_ms = 100
"#;

#[test]
fn a_restarted_producer_duplicates_records_its_previous_instance_wrote_but_never_saw_acknowledged() {
    let (r, out) = judge(&inline(&RESTART.replace("ON_RESTART", "resend-unacked")), 1);
    assert!(r.anomalies[Anomaly::Duplicated] > 0, "a new producer id cannot be deduplicated against the old one");
    assert_eq!(r.anomalies[Anomaly::LostAcked], 0);
    assert_eq!(r.producers["p1"].acked, 500);
    assert!(!r.semantics["p1"].holds, "idempotence promises exactly-once only within one producer session");
    let starts = out
        .history
        .events
        .iter()
        .filter(|e| matches!(e.kind, kafkasim::record::EventKind::ProducerStarted { .. }))
        .count();
    assert_eq!(starts, 2);
}

#[test]
fn a_restarted_producer_that_skips_unacked_records_writes_no_duplicate_but_leaves_gaps() {
    let (r, _) = judge(&inline(&RESTART.replace("ON_RESTART", "skip-unacked")), 1);
    assert_eq!(r.anomalies[Anomaly::Duplicated], 0);
    assert!(r.producers["p1"].acked < 500, "the records in flight at the crash were never resent");
}

#[test]
fn a_send_to_an_unreachable_cluster_fails_after_the_delivery_timeout() {
    let s = inline(
        r#"
name = "delivery timeout"
duration_ms = 200000
[cluster]
brokers = 1
[[topic]]
name = "orders"
replication_factor = 1
[[producer]]
name = "p1"
topic = "orders"
records = 100
[[fault]]
at_ms = 30
action = "crash"
target = "broker:1"
"#,
    );
    let (r, out) = judge(&s, 1);
    let p = r.producers["p1"];
    assert_eq!(p.acked + p.failed + p.indeterminate, 100);
    // The batches whose requests were out at the crash failed with its reset; every other one
    // fails at its delivery timeout (in flight too: a refused retry may be out at that instant).
    let errors: Vec<KafkaError> = out
        .history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Failed { error, .. } => Some(*error),
            _ => None,
        })
        .collect();
    assert!(errors.contains(&KafkaError::DeliveryTimeout), "{errors:?}");
    assert!(errors.iter().all(|e| matches!(e, KafkaError::DeliveryTimeout | KafkaError::NetworkException)));
    assert_eq!(r.anomalies[Anomaly::Unavailable], p.acked, "the acked records sit on an offline partition");
}

/// `interval_ms = 0` sends every record in the application's first tick, keyed or not; only a producer that
/// sends one record per tick (an interval) may skip the sender wake-up of a record that joins
/// a lingering batch (invariant 45). The tick that sends everything drains once, and no
/// further tick is queued.
#[test]
fn an_application_without_an_interval_sends_every_record_in_one_tick() {
    let s = inline(
        r#"
name = "all-at-once"
duration_ms = 10000
[cluster]
brokers = 3
[[topic]]
name = "orders"
partitions = 2
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 500
interval_ms = 0
[[producer]]
name = "p2"
topic = "orders"
records = 300
interval_ms = 0
keys = 10
"#,
    );
    let out = kafkasim::run(&s, 1, kafkasim::RunOptions { trace: kafkasim::TraceFilter::all(), ..Default::default() })
        .unwrap();
    let ticks = out.trace.iter().filter(|l| l.contains("timer Tick")).count();
    // The unkeyed producer sends a run at a time (`send_fresh_runs`), the keyed one record by
    // record in the same tick.
    assert_eq!(ticks, 2, "one tick per producer sends all its records");
    let sent: usize = out
        .history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Sent { records, .. } => Some(records.len()),
            _ => None,
        })
        .sum();
    assert_eq!(sent, 800, "every record went into a batch once");
}
