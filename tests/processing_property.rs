//! The consumer-side properties: with a safe producer (RF 3, acks=all, min.insync.replicas=2,
//! idempotent) and any schedule of consumer crashes and pauses and broker crashes,
//!
//! - a group that processes each batch and then commits (`after-processing`) never loses
//!   processing: every record in the final log was processed by the group;
//! - a group that commits each batch and then processes it (`before-processing`) never
//!   repeats processing: no record was processed twice.
//!
//! Brokers only crash (the page cache survives), so no acknowledged record or committed offset
//! is lost; the properties are about where the application commits. Failing schedules shrink to
//! the smallest one and are kept in proptest-regressions/processing_property.txt.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use kafkasim::record::Anomaly;
use kafkasim::scenario::{
    ClientEvent, ClientRef, CommitMode, ConsumerSpec, FaultAction, FaultSpec, ProducerSpec, Scenario, Target,
    TopicSpec, Trigger,
};

/// One fault: a consumer member crash or pause, or a broker crash.
fn fault() -> impl Strategy<Value = FaultSpec> {
    let target = prop_oneof![
        (0u32..2).prop_map(|k| Target::Consumer { consumer: 0, instance: Some(k) }),
        (1u32..=3).prop_map(Target::Broker),
    ];
    let action = prop_oneof![Just(FaultAction::Crash), Just(FaultAction::Pause)];
    (0u64..15_000, action, target, 100u64..4_000, 100u64..12_000).prop_map(|(at, action, target, restart, dur)| {
        // A broker's pause would be a different property (a stalled leader); brokers crash here.
        let action = if matches!(target, Target::Broker(_)) { FaultAction::Crash } else { action };
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

/// Two members of one group reading two partitions, committing as `commit` says.
fn scenario(commit: CommitMode, faults: Vec<FaultSpec>) -> Scenario {
    let mut s = Scenario { name: "processing property".into(), duration_ms: 300_000, ..Scenario::default() };
    s.cluster.brokers = 3;
    s.cluster.config.min_insync_replicas = 2;
    s.topics.push(TopicSpec::new("orders", 2, 3));
    let mut p = ProducerSpec::new("p1", "orders", 300);
    p.interval_ms = 2;
    s.producers.push(p);
    let mut c = ConsumerSpec::new("c1", "g1", "orders");
    c.commit = commit;
    c.instances = 2;
    c.processing_ms = 20;
    c.config.max_poll_records = 20;
    c.config.session_timeout_ms = 6_000;
    c.config.heartbeat_interval_ms = 2_000;
    c.config.max_poll_interval_ms = 8_000;
    s.consumers.push(c);
    s.faults = faults;
    s
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/processing_property.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn process_then_commit_never_loses_processing(
        faults in proptest::collection::vec(fault(), 0..6),
        seed in 0u64..1_000,
    ) {
        let s = scenario(CommitMode::AfterProcessing, faults);
        let (report, _) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();
        prop_assert_eq!(report.anomalies[Anomaly::LostAcked], 0, "{}", kafkasim::report::text::to_text(&report));
        prop_assert_eq!(report.anomalies[Anomaly::LostProcessing], 0, "{}", kafkasim::report::text::to_text(&report));
    }

    #[test]
    fn commit_then_process_never_repeats_processing(
        faults in proptest::collection::vec(fault(), 0..6),
        seed in 0u64..1_000,
    ) {
        let s = scenario(CommitMode::BeforeProcessing, faults);
        let (report, _) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();
        prop_assert_eq!(report.anomalies[Anomaly::Duplicated], 0, "{}", kafkasim::report::text::to_text(&report));
        prop_assert_eq!(report.anomalies[Anomaly::DuplicateProcessing], 0, "{}", kafkasim::report::text::to_text(&report));
    }
}

/// Guard against vacuous properties: one crash of both members mid-batch makes each placement
/// break the other promise, so the faults of the properties do reach processing.
#[test]
fn one_consumer_crash_breaks_the_other_promise_of_each_placement() {
    let crash = || {
        vec![FaultSpec {
            trigger: Trigger::Client { client: ClientRef::Consumer(0), event: ClientEvent::Processed, n: 50 },
            action: FaultAction::Crash,
            target: Target::Consumer { consumer: 0, instance: None },
            restart_after_ms: Some(1_000),
            duration_ms: None,
            pin: false,
        }]
    };
    let (after, _) =
        kafkasim::run_seed(&scenario(CommitMode::AfterProcessing, crash()), 1, kafkasim::RunOptions::default())
            .unwrap();
    assert!(after.anomalies[Anomaly::DuplicateProcessing] > 0, "{}", kafkasim::report::text::to_text(&after));
    let (before, _) =
        kafkasim::run_seed(&scenario(CommitMode::BeforeProcessing, crash()), 1, kafkasim::RunOptions::default())
            .unwrap();
    assert!(before.anomalies[Anomaly::LostProcessing] > 0, "{}", kafkasim::report::text::to_text(&before));
}
