//! Bug: consumers never validated their position after a leader change (KIP-320). After an
//! unclean election truncated `orders/0` from about 19,900 records to 93, a consumer whose
//! position was 19,9xx kept it; the producer's retries refilled the new leader's log past that
//! offset before the consumer fetched again, so it read on from 19,9xx and never saw the
//! records written at 93..19,9xx: `lost_processing` of 18,901 on the newest release, where
//! Kafka (2.3+, KAFKA-7747) reports none. The run: 4 brokers, brokers 2 and 3 crash at 100 ms,
//! broker 1 (alone in the ISR, min.insync.replicas=1) keeps the log growing and crashes for good
//! at 20 s, the consumer is paused from 19 s to 46 s, brokers 2 and 3 come back at 40.1 s and
//! broker 2 is elected uncleanly (the group's coordinator lives on broker 4 and keeps its
//! commits). Fix: a position carries the leader epoch of the last record consumed; a leader
//! change in metadata puts it in AWAIT_VALIDATION, OffsetsForLeaderEpoch asks the new leader
//! where that epoch ends, and an end below the position moves the position back to it (Java's
//! `SubscriptionState.maybeCompleteValidation`). Before 2.3 the old behaviour stays.

use kafkasim::record::Anomaly;
use kafkasim::scenario::{parse_str, Scenario};
use kafkasim::{run_seed, RunOptions};

/// The unclean truncation under a paused consumer, on `version`, with `auto.offset.reset`
/// set to `reset`.
fn scenario(version: &str, reset: &str) -> Scenario {
    let src = format!(
        r#"
name = "unclean truncation below a consumer's position"
duration_ms = 150000

[cluster]
brokers = 4
kafka_version = "{version}"
[cluster.config]
"unclean.leader.election.enable" = true
"min.insync.replicas" = 1
"offsets.topic.num.partitions" = 3
"offsets.topic.replication.factor" = 1

[[topic]]
name = "orders"
partitions = 1
replication_factor = 3

[[producer]]
name = "p1"
topic = "orders"
records = 60000
interval_ms = 1
[producer.config]
"acks" = "all"
"enable.idempotence" = true

[[fault]]
at_ms = 100
action = "crash"
target = "broker:2"
restart_after_ms = 40000

[[fault]]
at_ms = 100
action = "crash"
target = "broker:3"
restart_after_ms = 40000

[[fault]]
at_ms = 20000
action = "crash"
target = "broker:1"

[[fault]]
at_ms = 19000
action = "pause"
target = "consumer:c1"
duration_ms = 27000

[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
commit = "after-processing"
processing_ms = 0
[consumer.config]
"auto.offset.reset" = "{reset}"
"session.timeout.ms" = 30000
"#
    );
    parse_str(&src, "kip320.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn anomalies(s: &Scenario) -> (u64, u64, u64) {
    let (r, _) = run_seed(s, 1, RunOptions::default()).unwrap();
    (r.anomalies[Anomaly::LostAcked], r.anomalies[Anomaly::PhantomRead], r.anomalies[Anomaly::LostProcessing])
}

#[test]
fn a_consumer_on_the_newest_release_rereads_from_the_divergence_point_and_skips_nothing() {
    let (lost_acked, phantom, lost_processing) = anomalies(&scenario("4.1", "earliest"));
    assert!(lost_acked > 0, "the unclean election must truncate acknowledged records");
    assert!(phantom > 0, "the records read before the truncation are phantom reads");
    assert_eq!(lost_processing, 0, "the records written after the truncation must all be processed");
}

#[test]
fn a_consumer_on_2_3_already_validates_its_position() {
    let (_, _, lost_processing) = anomalies(&scenario("2.3", "earliest"));
    assert_eq!(lost_processing, 0, "the first release of KAFKA-7747 validates");
}

#[test]
fn a_consumer_on_2_2_keeps_its_position_and_silently_skips_the_refilled_range() {
    let (lost_acked, _, lost_processing) = anomalies(&scenario("2.2", "earliest"));
    assert!(lost_acked > 0);
    assert!(lost_processing > 18_000, "2.2 consumers skip what was written below their position: {lost_processing}");
}
