//! Replication: acks levels, the high watermark, ISR, elections, truncation and durability,
//! each through a scenario whose outcome is judged by the checker.

mod common;
use common::*;
use kafkasim::record::Anomaly;
use kafkasim::record::EventKind;

#[test]
fn acks_one_loses_acked_records_when_the_leader_dies_before_followers_fetch_them() {
    let (r, out) = judge(&example("acks1-leader-failure"), 1);
    assert!(r.anomalies[Anomaly::LostAcked] > 0);
    // Every lost record was acknowledged by broker 1 while its followers were paused.
    for f in r.findings.iter().filter(|f| f.anomaly == Anomaly::LostAcked) {
        assert!(f.explanation.contains("by broker 1 (epoch 0)"), "{}", f.explanation);
    }
    // After heal the old leader truncated to the new leader's log: no replica disagrees.
    assert_eq!(r.anomalies[Anomaly::Divergence], 0);
    let p = &out.history.partitions[0];
    assert!(p.replicas.iter().all(|x| x.leo == p.replicas[0].leo));
}

#[test]
fn acks_zero_loses_records_sent_to_a_crashed_leader() {
    let (r, _) = judge(&example("acks0-leader-failure"), 1);
    assert!(r.anomalies[Anomaly::LostAcked] > 0);
    assert_eq!(r.producers["p1"].acked, 1000, "acks=0 counts every send as complete");
    assert_eq!(r.semantics["p1"].delivery, "at-most-once");
    assert!(r.semantics["p1"].holds, "no duplicates: at-most-once kept even though records were lost");
}

#[test]
fn acks_all_with_min_isr_two_keeps_every_acked_record_across_a_leader_crash() {
    let s = inline(
        r#"
name = "acks=all survives a leader crash"
[cluster]
brokers = 3
[[topic]]
name = "orders"
replication_factor = 3
[topic.config]
"min.insync.replicas" = 2
[[producer]]
name = "p1"
topic = "orders"
records = 2000
[[fault]]
at_ms = 400
action = "crash"
target = "leader:orders/0"
restart_after_ms = 3000
"#,
    );
    for seed in 1..=5 {
        let (r, _) = judge(&s, seed);
        assert_eq!(
            (r.anomalies[Anomaly::LostAcked], r.anomalies[Anomaly::Duplicated], r.anomalies[Anomaly::Reordered]),
            (0, 0, 0)
        );
        assert_eq!(r.producers["p1"].acked, 2000);
    }
}

#[test]
fn min_isr_two_acknowledges_nothing_while_the_isr_is_one_broker_then_recovers() {
    let (r, out) = judge(&example("min-isr-refuses-writes"), 1);
    assert_eq!(r.anomalies[Anomaly::LostAcked], 0);
    assert_eq!(r.producers["p1"].acked, 5000, "everything is written once the brokers return");
    // Brokers 2 and 3 crash at 200 ms and are fenced 9 s later; they restart at 20.2 s.
    let acks_in_outage = out
        .history
        .events
        .iter()
        .filter(|e| (9_300..20_200).contains(&e.at) && matches!(e.kind, EventKind::Acked { .. }))
        .count();
    assert_eq!(acks_in_outage, 0, "no acknowledgement while the ISR is below min.insync.replicas");
}

#[test]
fn an_unclean_election_loses_acknowledged_records_and_a_clean_one_leaves_the_partition_offline() {
    let unclean = example("unclean-election");
    let (r, out) = judge(&unclean, 1);
    assert!(r.anomalies[Anomaly::LostAcked] > 0);
    assert!(out.history.events.iter().any(|e| matches!(e.kind, EventKind::LeaderChange { unclean: true, .. })));

    let mut clean = unclean.clone();
    clean.cluster.config.unclean_leader_election_enable = false;
    let (r, _) = judge(&clean, 1);
    assert_eq!(r.anomalies[Anomaly::LostAcked], 0, "a clean election never picks a replica outside the ISR");
    assert!(r.anomalies[Anomaly::Unavailable] > 0, "the only ISR member is down for good: the partition stays offline");
    assert_eq!(r.partitions["orders/0"].leader, None);
}

#[test]
fn two_power_losses_with_a_short_isr_lose_acknowledged_records_and_fsync_prevents_it() {
    let s = example("two-power-losses");
    let (r, _) = judge(&s, 1);
    assert!(r.anomalies[Anomaly::LostAcked] > 0, "the last replica standing lost its page cache");

    let mut flushed = s.clone();
    flushed.cluster.config.log_flush_interval_messages = 1;
    let (r, _) = judge(&flushed, 1);
    assert_eq!(r.anomalies[Anomaly::LostAcked], 0, "with an fsync per message the power losses cost nothing");
}

#[test]
fn a_power_loss_while_two_isolated_brokers_are_still_listed_in_the_isr_loses_acknowledged_records() {
    let (r, out) = judge(&example("power-loss-isr-full-on-paper"), 1);
    assert!(r.anomalies[Anomaly::LostAcked] > 0);
    // The power-lost broker was elected again as the last ISR member: a clean election.
    assert!(!out.history.events.iter().any(|e| matches!(e.kind, EventKind::LeaderChange { unclean: true, .. })));
}

#[test]
fn a_crash_keeps_the_page_cache_so_a_broker_restarts_with_its_whole_log() {
    let s = inline(
        r#"
name = "crash keeps the page cache"
[cluster]
brokers = 3
[[topic]]
name = "orders"
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 300
[[fault]]
at_ms = 2000
action = "crash"
target = "broker:3"
restart_after_ms = 100
"#,
    );
    let (r, out) = judge(&s, 1);
    assert_eq!(r.anomalies[Anomaly::LostAcked], 0);
    let p = &out.history.partitions[0];
    assert!(p.replicas.iter().all(|x| x.leo == 300), "{:?}", p.replicas.iter().map(|x| x.leo).collect::<Vec<_>>());
    assert_eq!(p.isr.len(), 3, "the restarted broker caught up and rejoined the ISR");
}

#[test]
fn no_example_ends_with_in_sync_replicas_that_disagree_below_the_high_watermark() {
    for stem in [
        "acks0-leader-failure",
        "acks1-leader-failure",
        "unclean-election",
        "two-power-losses",
        "power-loss-isr-full-on-paper",
    ] {
        let (r, _) = judge(&example(stem), 1);
        assert_eq!(r.anomalies[Anomaly::Divergence], 0, "{stem}");
    }
}
