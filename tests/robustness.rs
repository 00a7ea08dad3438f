//! Robustness: any small cluster, workload and fault schedule runs to the end without a panic,
//! replays to the same trace, and accounts for every record it sent.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use kafkasim::record::Anomaly;
use kafkasim::scenario::{
    Acks, FaultAction, FaultSpec, NemesisSpec, OnRestart, ProducerSpec, Scenario, Target, TargetClass, TopicSpec,
    Trigger,
};

#[derive(Debug, Clone)]
struct Shape {
    brokers: u32,
    partitions: u32,
    rf: u32,
    min_isr: u32,
    unclean: bool,
    flush: Option<u64>,
    acks: Acks,
    idempotent: bool,
    max_in_flight: u32,
    linger_ms: u64,
    keys: Option<u32>,
    records: u32,
    interval_ms: u64,
    skip_unacked: bool,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        (1u32..=4, 1u32..=3, 1u32..=3, 1u32..=3, any::<bool>(), prop::option::of(1u64..50)),
        (
            prop_oneof![Just(Acks::Zero), Just(Acks::One), Just(Acks::All)],
            any::<bool>(),
            1u32..=5,
            0u64..10,
            prop::option::of(1u32..20),
            0u32..400,
            0u64..20,
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (brokers, partitions, rf, min_isr, unclean, flush),
                (acks, idem, mif, linger, keys, records, interval, skip),
            )| {
                Shape {
                    brokers,
                    partitions,
                    rf: rf.min(brokers),
                    min_isr,
                    unclean,
                    flush,
                    acks,
                    // Kafka's rule: idempotence needs acks=all.
                    idempotent: idem && acks == Acks::All,
                    max_in_flight: mif,
                    linger_ms: linger,
                    keys,
                    records,
                    interval_ms: interval,
                    skip_unacked: skip,
                }
            },
        )
}

fn faults(brokers: u32) -> impl Strategy<Value = Vec<FaultSpec>> {
    let action = prop_oneof![
        Just(FaultAction::Crash),
        Just(FaultAction::PowerLoss),
        Just(FaultAction::Isolate),
        Just(FaultAction::Pause)
    ];
    let one = (0u64..10_000, action, 0u32..=brokers, prop::option::of(50u64..8_000), 1u64..6_000).prop_map(
        move |(at, action, who, restart, dur)| {
            // Target 0 is the producer; a producer cannot lose power, so that becomes a crash.
            let (target, action) = if who == 0 {
                (Target::Producer(0), if action == FaultAction::PowerLoss { FaultAction::Crash } else { action })
            } else {
                (Target::Broker(who), action)
            };
            let timed = matches!(action, FaultAction::Isolate | FaultAction::Pause);
            FaultSpec {
                trigger: Trigger::AtMs(at),
                action,
                target,
                restart_after_ms: if timed { None } else { restart },
                duration_ms: timed.then_some(dur),
                pin: false,
            }
        },
    );
    proptest::collection::vec(one, 0..6)
}

fn build(sh: &Shape, faults: Vec<FaultSpec>, nemesis: bool) -> Scenario {
    let mut s = Scenario { name: "robustness".into(), duration_ms: 60_000, ..Scenario::default() };
    s.cluster.brokers = sh.brokers;
    s.cluster.config.unclean_leader_election_enable = sh.unclean;
    let mut t = TopicSpec::new("t", sh.partitions, sh.rf);
    t.min_insync_replicas = Some(sh.min_isr);
    t.flush_messages = sh.flush;
    s.topics.push(t);
    let mut p = ProducerSpec::new("p", "t", sh.records);
    p.keys = sh.keys;
    p.interval_ms = sh.interval_ms;
    p.on_restart = if sh.skip_unacked { OnRestart::SkipUnacked } else { OnRestart::ResendUnacked };
    p.config.acks = sh.acks;
    p.config.enable_idempotence = sh.idempotent;
    p.config.max_in_flight = sh.max_in_flight;
    p.config.linger_ms = sh.linger_ms;
    s.producers.push(p);
    s.faults = faults;
    if nemesis {
        s.nemesis = Some(NemesisSpec {
            actions: vec![FaultAction::Crash, FaultAction::PowerLoss, FaultAction::Isolate, FaultAction::Pause],
            targets: vec![TargetClass::Brokers, TargetClass::Producers],
            interval_ms: (300, 3_000),
            stop_ms: 20_000,
            ..NemesisSpec::default()
        });
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/robustness.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_small_scenario_runs_replays_and_accounts_for_every_record(
        (sh, faults) in shape().prop_flat_map(|sh| { let b = sh.brokers; (Just(sh), faults(b)) }),
        nemesis in any::<bool>(),
        seed in 0u64..1_000,
    ) {
        let s = build(&sh, faults, nemesis);
        let (a, _) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();
        let (b, _) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();
        prop_assert_eq!(&a.trace_hash, &b.trace_hash);
        let p = a.producers["p"];
        prop_assert!(p.sent <= sh.records as u64);
        prop_assert_eq!(p.acked + p.failed + p.indeterminate, p.sent, "every sent record is acked, failed or indeterminate");
        prop_assert_eq!(a.anomalies[Anomaly::Divergence], 0, "{}", kafkasim::report::text::to_text(&a));
    }
}
