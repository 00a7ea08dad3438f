//! Harness, not model: `World::settled` ended a run as soon as the workload was done and every
//! fault had healed, counting a partition with no leader as settled. With registration refused
//! until the old session expires, a partition whose only ISR member crashed is leaderless for a
//! moment after the controller fences that member and before its restarted process registers
//! again and is elected. In this scenario (one power loss and two crashes: broker 3 loses power
//! with the ISR full, broker 1, the leader, and broker 2 crash and restart while broker 3 is
//! down) the run stopped at exactly that moment and reported every record `unavailable`. Fix:
//! a leaderless partition is settled only when no ISR member is up to come back, and a live
//! replica counts as back only once registered. The same scenario also shows that Kafka keeps
//! the records: the sessions of brokers 1 and 2 outlive broker 3's, so the power-lost broker
//! leaves the ISR first and broker 2 (a crash keeps the page cache) is the last replica
//! standing.

use kafkasim::record::Anomaly;
use kafkasim::scenario::parse_str;

const SCENARIO: &str = r#"
name = "one power loss, then two crashes"
seed = 1
duration_ms = 60000

[cluster]
brokers = 3

[[topic]]
name = "orders"
partitions = 1
replication_factor = 3
[topic.config]
"min.insync.replicas" = 2

[[producer]]
name = "p1"
topic = "orders"
records = 4000
interval_ms = 1

[[fault]]
at_ms = 5000
action = "power-loss"
target = "broker:3"
restart_after_ms = 8000

[[fault]]
at_ms = 6000
action = "crash"
target = "broker:1"
restart_after_ms = 1000

[[fault]]
at_ms = 7002
action = "crash"
target = "broker:2"
restart_after_ms = 1000
"#;

#[test]
fn a_run_does_not_end_while_its_last_isr_member_waits_to_register() {
    let s = parse_str(SCENARIO, "inline.toml").expect("scenario");
    let (report, _) = kafkasim::run_seed(&s, 1, kafkasim::RunOptions::default()).unwrap();
    let part = &report.partitions["orders/0"];
    assert!(part.leader.is_some(), "the run ended with orders/0 offline: {part:?}");
    assert_eq!(part.isr.len(), 3, "{part:?}");
    assert_eq!(report.anomalies[Anomaly::Unavailable], 0);
    assert_eq!(report.anomalies[Anomaly::LostAcked], 0, "{:#?}", report.findings);
    assert_eq!(report.producers["p1"].acked, 4000);
}
