//! Robustness with consumers: any small cluster with a consumer group, any commit placement and
//! any schedule of broker, producer and consumer faults (or a nemesis over all three) runs to the
//! end without a panic, replays to the same trace, and every record a member processed is one it
//! was given by a poll before.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use kafkasim::record::EventKind;
use kafkasim::scenario::{
    CommitMode, ConsumerSpec, FaultAction, FaultSpec, NemesisSpec, OffsetReset, ProducerSpec, Scenario, Target,
    TargetClass, TopicSpec, Trigger,
};

#[derive(Debug, Clone)]
struct Shape {
    brokers: u32,
    partitions: u32,
    rf: u32,
    min_isr: u32,
    unclean: bool,
    records: u32,
    interval_ms: u64,
    commit: CommitMode,
    instances: u32,
    processing_ms: u64,
    max_poll_records: u32,
    latest: bool,
    auto_commit_interval_ms: u64,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        (1u32..=3, 1u32..=4, 1u32..=3, 1u32..=2, any::<bool>(), 0u32..300, 0u64..10),
        (
            prop_oneof![Just(CommitMode::Auto), Just(CommitMode::BeforeProcessing), Just(CommitMode::AfterProcessing)],
            1u32..=3,
            0u64..5,
            1u32..50,
            any::<bool>(),
            1u64..3_000,
        ),
    )
        .prop_map(
            |(
                (brokers, partitions, rf, min_isr, unclean, records, interval_ms),
                (commit, instances, processing_ms, max_poll_records, latest, auto_commit_interval_ms),
            )| Shape {
                brokers,
                partitions,
                rf: rf.min(brokers),
                min_isr,
                unclean,
                records,
                interval_ms,
                commit,
                instances,
                processing_ms,
                max_poll_records,
                latest,
                auto_commit_interval_ms,
            },
        )
}

fn faults(brokers: u32, instances: u32) -> impl Strategy<Value = Vec<FaultSpec>> {
    let action = prop_oneof![
        Just(FaultAction::Crash),
        Just(FaultAction::PowerLoss),
        Just(FaultAction::Isolate),
        Just(FaultAction::Pause)
    ];
    let one = (0u64..15_000, action, 0u32..=brokers + instances, prop::option::of(50u64..8_000), 1u64..12_000)
        .prop_map(move |(at, action, who, restart, dur)| {
            // 0 is the producer, then the brokers, then the consumer's instances; only a broker
            // can lose power.
            let target = match who {
                0 => Target::Producer(0),
                b if b <= brokers => Target::Broker(b),
                k => Target::Consumer { consumer: 0, instance: Some(k - brokers - 1) },
            };
            let action = match (&target, action) {
                (Target::Broker(_), a) => a,
                (_, FaultAction::PowerLoss) => FaultAction::Crash,
                (_, a) => a,
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
        });
    proptest::collection::vec(one, 0..6)
}

fn build(sh: &Shape, faults: Vec<FaultSpec>, nemesis: bool) -> Scenario {
    let mut s = Scenario { name: "consumer robustness".into(), duration_ms: 90_000, ..Scenario::default() };
    s.cluster.brokers = sh.brokers;
    s.cluster.config.unclean_leader_election_enable = sh.unclean;
    s.cluster.config.offsets_topic_num_partitions = 5;
    let mut t = TopicSpec::new("t", sh.partitions, sh.rf);
    t.min_insync_replicas = Some(sh.min_isr);
    s.topics.push(t);
    let mut p = ProducerSpec::new("p", "t", sh.records);
    p.interval_ms = sh.interval_ms;
    s.producers.push(p);
    let mut c = ConsumerSpec::new("c", "g", "t");
    c.commit = sh.commit;
    c.instances = sh.instances;
    c.processing_ms = sh.processing_ms;
    c.config.enable_auto_commit = sh.commit == CommitMode::Auto;
    c.config.auto_commit_interval_ms = sh.auto_commit_interval_ms;
    c.config.max_poll_records = sh.max_poll_records;
    c.config.auto_offset_reset = if sh.latest { OffsetReset::Latest } else { OffsetReset::Earliest };
    c.config.session_timeout_ms = 6_000;
    c.config.heartbeat_interval_ms = 2_000;
    c.config.max_poll_interval_ms = 10_000;
    s.consumers.push(c);
    s.faults = faults;
    if nemesis {
        s.nemesis = Some(NemesisSpec {
            actions: vec![FaultAction::Crash, FaultAction::PowerLoss, FaultAction::Isolate, FaultAction::Pause],
            targets: vec![TargetClass::Brokers, TargetClass::Producers, TargetClass::Consumers],
            interval_ms: (300, 3_000),
            stop_ms: 20_000,
            ..NemesisSpec::default()
        });
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/consumer_robustness.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_small_consumer_scenario_runs_replays_and_processes_only_what_it_polled(
        (sh, faults) in shape().prop_flat_map(|sh| { let (b, k) = (sh.brokers, sh.instances); (Just(sh), faults(b, k)) }),
        nemesis in any::<bool>(),
        seed in 0u64..1_000,
    ) {
        let s = build(&sh, faults, nemesis);
        let (a, out) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();
        let (b, _) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();
        prop_assert_eq!(&a.trace_hash, &b.trace_hash);
        let mut polled: BTreeSet<(u32, u32, u64)> = BTreeSet::new();
        for e in &out.history.events {
            match &e.kind {
                EventKind::Polled { instance, records, .. } => {
                    polled.extend(records.iter().map(|d| (*instance, d.partition, d.offset)));
                }
                EventKind::Processed { instance, records, .. } => {
                    for d in records.iter() {
                        prop_assert!(polled.contains(&(*instance, d.partition, d.offset)), "processed before polled: {d:?}");
                        prop_assert!(d.record.index < sh.records);
                    }
                }
                _ => {}
            }
        }
        let c = &a.consumers["c"];
        prop_assert!(c.distinct <= c.processed);
    }
}
