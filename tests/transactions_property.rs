//! The transactions property: a transactional producer (RF 3, min.insync.replicas=2,
//! transaction.state.log.min.isr=2) and a read_committed group, under any schedule of broker
//! crashes, producer crashes and member crashes and pauses, never lose a committed record, never
//! leave a committed transaction torn, never give the group a record of a transaction that did not
//! commit, and never leave a partition's last stable offset stuck. (Duplicates are not excluded: a
//! restarted producer that resends what it never saw committed can repeat a transaction whose
//! commit succeeded — Kafka's behaviour too.) Failing schedules shrink to the smallest one and
//! are kept in proptest-regressions/transactions_property.txt.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use kafkasim::record::Anomaly;
use kafkasim::scenario::{
    ConsumerSpec, FaultAction, FaultSpec, IsolationLevel, ProducerSpec, Scenario, Target, TopicSpec, Trigger,
};

fn fault() -> impl Strategy<Value = FaultSpec> {
    let target = prop_oneof![
        (1u32..=3).prop_map(Target::Broker),
        Just(Target::Producer(0)),
        (0u32..2).prop_map(|k| Target::Consumer { consumer: 0, instance: Some(k) }),
    ];
    (0u64..12_000, any::<bool>(), target, 100u64..4_000, 100u64..8_000).prop_map(|(at, pause, target, restart, dur)| {
        // Members may also pause; brokers and the producer crash.
        let action =
            if pause && matches!(target, Target::Consumer { .. }) { FaultAction::Pause } else { FaultAction::Crash };
        let timed = action == FaultAction::Pause;
        FaultSpec {
            trigger: Trigger::AtMs(at),
            action,
            target,
            restart_after_ms: (!timed).then_some(restart),
            duration_ms: timed.then_some(dur),
            pin: false,
        }
    })
}

fn scenario(faults: Vec<FaultSpec>) -> Scenario {
    let mut s = Scenario { name: "transactions property".into(), duration_ms: 300_000, ..Scenario::default() };
    s.cluster.config.min_insync_replicas = 2;
    s.topics.push(TopicSpec::new("orders", 2, 3));
    let mut p = ProducerSpec::new("p1", "orders", 200);
    p.interval_ms = 20;
    p.transaction_records = 10;
    p.abort_every = Some(4);
    p.config.transactional_id = Some("tx".into());
    p.config.transaction_timeout_ms = 5_000;
    s.producers.push(p);
    let mut c = ConsumerSpec::new("c1", "g1", "orders");
    c.instances = 2;
    c.config.isolation_level = IsolationLevel::ReadCommitted;
    c.config.session_timeout_ms = 6_000;
    c.config.heartbeat_interval_ms = 2_000;
    s.consumers.push(c);
    s.faults = faults;
    s
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/transactions_property.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn transactions_stay_atomic_and_read_committed_reads_no_aborted_record(
        faults in proptest::collection::vec(fault(), 0..6),
        seed in 0u64..1_000,
    ) {
        let s = scenario(faults);
        let (r, _) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();
        let text = kafkasim::report::text::to_text(&r);
        prop_assert_eq!(r.anomalies[Anomaly::LostAcked], 0, "{}", text);
        prop_assert_eq!(r.anomalies[Anomaly::TornTransaction], 0, "{}", text);
        prop_assert_eq!(r.anomalies[Anomaly::AbortedRead], 0, "{}", text);
        prop_assert_eq!(r.anomalies[Anomaly::StuckLso], 0, "{}", text);
        prop_assert_eq!(r.anomalies[Anomaly::LostProcessing], 0, "{}", text);
    }
}
