//! The exactly-once processor property: an `exactly_once_v2` processor of two instances over
//! RF 3 with `min.insync.replicas=2`, under any schedule of processor crashes and pauses (pauses
//! long enough to outlive its session and its transaction timeout) and single-broker crashes
//! (one broker down at a time), loses no output and repeats none: every input in the final log
//! has exactly one output in the final read_committed log. Failing schedules shrink to the
//! smallest one and are kept in proptest-regressions/processor_property.txt.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use kafkasim::record::Anomaly;
use kafkasim::scenario::{
    FaultAction, FaultSpec, ProcessingGuarantee, ProcessorSpec, ProducerSpec, Scenario, Target, TopicSpec, Trigger,
};

/// One fault: a crash of a broker, or a crash or a pause of a processor instance.
fn fault() -> impl Strategy<Value = FaultSpec> {
    let target = prop_oneof![
        (1u32..=3).prop_map(Target::Broker),
        (0u32..2).prop_map(|k| Target::Processor { processor: 0, instance: Some(k) }),
    ];
    (0u64..20_000, any::<bool>(), target, 100u64..4_000, 100u64..15_000).prop_map(
        |(at, pause, target, restart, dur)| {
            let action = if pause && matches!(target, Target::Processor { .. }) {
                FaultAction::Pause
            } else {
                FaultAction::Crash
            };
            let timed = action == FaultAction::Pause;
            FaultSpec {
                trigger: Trigger::AtMs(at),
                action,
                target,
                restart_after_ms: (!timed).then_some(restart),
                duration_ms: timed.then_some(dur),
                pin: false,
            }
        },
    )
}

/// Keep one broker down at a time: a broker crash that fires before the previous one's
/// restart is dropped (shrinking still removes faults one by one).
fn single_broker(mut faults: Vec<FaultSpec>) -> Vec<FaultSpec> {
    faults.sort_by_key(|f| match f.trigger {
        Trigger::AtMs(t) => t,
        _ => 0,
    });
    let mut up_at = 0;
    faults.retain(|f| {
        let (Target::Broker(_), Trigger::AtMs(t)) = (&f.target, &f.trigger) else { return true };
        if *t < up_at {
            return false;
        }
        up_at = t + f.restart_after_ms.unwrap_or(0) + 1;
        true
    });
    faults
}

fn scenario(faults: Vec<FaultSpec>) -> Scenario {
    let mut s =
        Scenario { name: "exactly-once processor property".into(), duration_ms: 300_000, ..Scenario::default() };
    s.cluster.config.min_insync_replicas = 2;
    s.topics.push(TopicSpec::new("orders", 3, 3));
    s.topics.push(TopicSpec::new("shipments", 3, 3));
    let mut p = ProducerSpec::new("p1", "orders", 200);
    p.interval_ms = 50;
    s.producers.push(p);
    let mut s1 = ProcessorSpec::new("s1", "app", "orders", "shipments", ProcessingGuarantee::ExactlyOnceV2);
    s1.instances = 2;
    s1.config.session_timeout_ms = 10_000;
    s.processors.push(s1);
    s.faults = single_broker(faults);
    s
}

proptest! {
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES raises the count for a long local run.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/processor_property.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn an_exactly_once_processor_neither_loses_nor_repeats_an_output(
        faults in proptest::collection::vec(fault(), 0..8),
        seed in 0u64..1_000,
    ) {
        let s = scenario(faults);
        let (r, _) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();
        let text = kafkasim::report::text::to_text(&r);
        prop_assert_eq!(r.anomalies[Anomaly::LostProcessing], 0, "{}", text);
        prop_assert_eq!(r.anomalies[Anomaly::DuplicateProcessing], 0, "{}", text);
        prop_assert_eq!(r.anomalies[Anomaly::AbortedRead], 0, "{}", text);
        prop_assert_eq!(r.anomalies[Anomaly::StuckLso], 0, "{}", text);
        prop_assert_eq!(r.anomalies[Anomaly::LostAcked], 0, "{}", text);
        prop_assert!(r.semantics["s1"].holds, "{}", text);
    }
}

/// The property can fail: the same schedules with `at_least_once` repeat outputs.
#[test]
fn the_same_pipeline_at_least_once_repeats_outputs_after_a_processor_crash() {
    let crash = FaultSpec {
        trigger: Trigger::AtMs(8_000),
        action: FaultAction::Crash,
        target: Target::Processor { processor: 0, instance: None },
        restart_after_ms: Some(1_000),
        duration_ms: None,
        pin: false,
    };
    let mut s = scenario(vec![crash]);
    s.processors[0].config = kafkasim::scenario::ProcessorConfig {
        session_timeout_ms: 10_000,
        ..kafkasim::scenario::ProcessorConfig::new(ProcessingGuarantee::AtLeastOnce)
    };
    let (r, _) = kafkasim::run_seed(&s, 1, kafkasim::RunOptions::default()).unwrap();
    assert!(r.anomalies[Anomaly::DuplicateProcessing] > 0, "{}", kafkasim::report::text::to_text(&r));
    assert_eq!(r.anomalies[Anomaly::LostProcessing], 0);
}
