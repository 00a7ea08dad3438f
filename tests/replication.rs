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

/// The records of producer 0 that broker 1 acknowledged within `from..to` ms, and when.
fn acked_by_broker_1(h: &kafkasim::record::History, from: u64, to: u64) -> Vec<(u64, u32, u32)> {
    h.events
        .iter()
        .filter(|e| (from..to).contains(&e.at))
        .flat_map(|e| match &e.kind {
            EventKind::Acked { producer: 0, records, broker: 1, leader_epoch, .. } => {
                records.iter().map(|r| (e.at, r, *leader_epoch)).collect::<Vec<_>>()
            }
            _ => Vec::new(),
        })
        .collect()
}

/// The partition's fault and heal, the leader change during it, from the example's history:
/// (struck at, healed at, new leader elected at).
fn partition_story(h: &kafkasim::record::History) -> (u64, u64, u64) {
    use kafkasim::record::{FaultAction, FaultNode, FaultTarget, Heal};
    let (mut struck, mut healed, mut elected) = (None, None, None);
    for e in &h.events {
        match &e.kind {
            EventKind::Fault { action: FaultAction::Partition, target: FaultTarget::Partition { a, b }, .. } => {
                // The leader alone on one side; the controller and the other brokers on the other
                // (broker 1, named on both, stays on the leader's side only).
                assert_eq!(a, &[FaultNode::Broker(1)]);
                assert_eq!(b, &[FaultNode::Controller, FaultNode::Broker(2), FaultNode::Broker(3)]);
                struck = Some(e.at);
            }
            EventKind::Healed { end: Heal::Partition, .. } => healed = Some(e.at),
            EventKind::LeaderChange { leader: Some(2), leader_epoch: 1, .. } => elected = Some(e.at),
            _ => {}
        }
    }
    (struck.unwrap(), healed.unwrap(), elected.unwrap())
}

#[test]
fn acks_one_loses_every_write_a_leader_cut_off_from_the_controller_acknowledged_during_the_partition() {
    let (r, out) = judge(&example("partition-isolates-leader-from-controller"), 1);
    assert!(r.expect.passed, "{:?}", r.expect.failures);
    let h = &out.history;
    let (struck, healed, elected) = partition_story(h);
    assert_eq!((struck, healed), (1_000, 16_000));
    // The controller fenced broker 1 once broker.session.timeout.ms (9 s) had passed without a
    // heartbeat, while the partition was in force, and broker 2 took over.
    assert!((struck + 9_000..healed).contains(&elected), "elected at {elected}");
    // Broker 1 never learned it until the heal: it kept acknowledging at epoch 0, also after the
    // election, and each of those records is gone from the final log.
    let during = acked_by_broker_1(h, struck + 20, healed);
    assert!(during.iter().any(|&(at, _, _)| at > elected), "acks after the election");
    assert!(during.iter().all(|&(_, _, epoch)| epoch == 0));
    for &(_, r, _) in &during {
        assert!(offsets_of(h, 0, r).is_empty(), "p1#{r} survived");
    }
    // And the lost records are those: acknowledged by broker 1 once the partition had struck
    // (the first few were appended just before it, never fetched), each explained as such.
    let lost: Vec<_> =
        acked_by_broker_1(h, 0, healed).into_iter().filter(|&(_, r, _)| offsets_of(h, 0, r).is_empty()).collect();
    assert!(lost.iter().all(|&(at, _, _)| at >= struck));
    assert_eq!(r.anomalies[Anomaly::LostAcked], lost.len() as u64);
    assert!(lost.len() > during.len());
    for f in r.findings.iter().filter(|f| f.anomaly == Anomaly::LostAcked) {
        let e = &f.explanation;
        assert!(e.contains("by broker 1 (epoch 0)"), "{e}");
        assert!(e.contains("a partition cut [broker:1] off from [controller, broker:2, broker:3] at 1000 ms"), "{e}");
        assert!(e.contains("the partition of broker 1 healed at 16000 ms"), "{e}");
    }
    // The old leader truncated to the new leader's log: no divergence, every replica agrees.
    assert_eq!(r.anomalies[Anomaly::Divergence], 0);
    let p = &h.partitions[0];
    assert!(p.replicas.iter().all(|x| x.leo == p.replicas[0].leo));
}

#[test]
fn acks_all_with_min_isr_two_acknowledges_nothing_on_a_leader_cut_off_from_the_controller() {
    let (r, out) = judge(&example("partition-isolates-leader-acks-all-loses-nothing"), 1);
    assert!(r.expect.passed, "{:?}", r.expect.failures);
    let h = &out.history;
    let (struck, healed, elected) = partition_story(h);
    assert!((struck + 9_000..healed).contains(&elected), "elected at {elected}");
    // Once the followers' last fetches before the partition are answered, broker 1 acknowledges
    // nothing more: its high watermark cannot move and its ISR cannot shrink without the controller.
    assert_eq!(acked_by_broker_1(h, struck + 20, h.events.last().unwrap().at + 1), []);
    assert_eq!((r.anomalies[Anomaly::LostAcked], r.anomalies[Anomaly::Duplicated]), (0, 0));
    assert_eq!(r.producers["p1"].acked, 8_000, "every record was acknowledged by the new leader in the end");
}

/// Six partitions led by three brokers, a few records, and an idle minute: the cost of keeping
/// a cluster replicated.
fn idle_cluster(partitions: u32) -> kafkasim::scenario::Scenario {
    inline(&format!(
        r#"
name = "idle"
duration_ms = 60000
[cluster]
brokers = 3
[[topic]]
name = "orders"
partitions = {partitions}
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 10
"#
    ))
}

#[test]
fn a_follower_fetches_every_partition_of_a_leader_in_one_request() {
    let s = idle_cluster(6);
    let opts = kafkasim::RunOptions { trace: kafkasim::TraceFilter::all(), ..Default::default() };
    let out = kafkasim::run(&s, 1, opts).unwrap();
    // Six partitions over three leaders: each follower's first fetch to a leader names both of
    // the partitions that leader leads (Kafka's replica fetcher thread, one per leader).
    let first: Vec<&String> = out.trace.iter().filter(|l| l.contains(" Fetch ")).take(6).collect();
    assert!(first.iter().all(|l| l.contains("partitions=2")), "{first:#?}");
}

#[test]
fn an_idle_cluster_costs_the_same_whatever_its_partition_count() {
    // Fetch sessions (KIP-227): a fetch names what changed, so idle partitions cost nothing,
    // and an answered fetch leaves no dead timer behind.
    let events = |n| kafkasim::run(&idle_cluster(n), 1, kafkasim::RunOptions::default()).unwrap().events;
    let (few, many) = (events(3), events(60));
    assert!(many < few * 3 / 2, "3 partitions: {few} events, 60 partitions: {many}");
}

#[test]
fn a_restarted_leader_that_lost_the_fetch_session_is_fetched_from_again() {
    // A leader that crashes and returns has no session: its followers open new ones (the reset
    // of the crash, or FETCH_SESSION_ID_NOT_FOUND) and the partitions end in sync.
    let s = inline(
        r#"
name = "leader restart"
duration_ms = 120000
[cluster]
brokers = 3
[[topic]]
name = "orders"
partitions = 6
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 2000
interval_ms = 2
[[fault]]
at_ms = 1500
action = "crash"
target = "broker:1"
restart_after_ms = 500
[[fault]]
at_ms = 3000
action = "power-loss"
target = "broker:2"
restart_after_ms = 500
"#,
    );
    let (r, out) = judge(&s, 1);
    assert_eq!(r.anomalies[Anomaly::LostAcked], 0);
    assert!(out.history.end.settled, "every replica caught up and rejoined the ISR");
    for p in &out.history.partitions {
        assert!(p.replicas.iter().all(|x| x.leo == p.replicas[0].leo), "{p:?}");
    }
}

#[test]
fn a_leader_sends_the_isr_changes_of_many_partitions_in_one_alter_partition_request() {
    // Kafka's AlterPartition manager has one request in flight and sends every change that
    // waited in it; the controller publishes one metadata update per request. A broker that
    // restarts after an unclean shutdown leaves the ISR of the 24 partitions it replicates and
    // rejoins them as it catches up: far fewer requests than partitions.
    let s = inline(
        r#"
name = "many partitions rejoin"
duration_ms = 60000
[cluster]
brokers = 3
[[topic]]
name = "orders"
partitions = 24
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 2000
interval_ms = 2
[[fault]]
at_ms = 1500
action = "crash"
target = "broker:3"
restart_after_ms = 500
"#,
    );
    let opts = kafkasim::RunOptions { trace: kafkasim::TraceFilter::all(), ..Default::default() };
    let out = kafkasim::run(&s, 1, opts).unwrap();
    let requests: Vec<&String> = out.trace.iter().filter(|l| l.contains(" AlterPartition ")).collect();
    let updates = out.trace.iter().filter(|l| l.contains(" MetadataUpdate ")).count();
    assert!(out.history.end.settled, "every replica caught up and rejoined the ISR");
    for p in &out.history.partitions {
        assert_eq!(p.isr.len(), 3, "{p:?}");
    }
    assert!(!requests.is_empty() && requests.len() <= 8, "{} AlterPartition requests: {requests:#?}", requests.len());
    assert!(requests.iter().any(|l| l.contains("partitions=")), "one request names several partitions: {requests:#?}");
    assert!(updates <= 3 * (requests.len() + 4), "{updates} metadata updates for {} requests", requests.len());
}
