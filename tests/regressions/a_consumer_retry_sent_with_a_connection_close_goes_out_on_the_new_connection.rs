//! Bug: a consumer whose request timed out closed its connection and, in the same step, sent
//! its retry (a fetch) to the same broker. The world sent the step's messages before it applied
//! the close, so the retry went out on the old connection and was dropped with it; the member
//! waited for an answer that could not come, timed out again 30 s later, and did the same
//! again, never reading its partition. Found by `processing_property` (two broker crashes, seed
//! 140): 164 records never processed. Fix: the world closes the connection before it sends what
//! the same step sent.

use kafkasim::record::Anomaly;
use kafkasim::scenario::{
    CommitMode, ConsumerSpec, FaultAction, FaultSpec, ProducerSpec, Scenario, Target, TopicSpec, Trigger,
};

#[test]
fn a_consumer_reads_its_partition_after_two_leader_crashes() {
    let mut s = Scenario { name: "two broker crashes".into(), duration_ms: 300_000, ..Scenario::default() };
    s.cluster.config.min_insync_replicas = 2;
    s.topics.push(TopicSpec::new("orders", 2, 3));
    let mut p = ProducerSpec::new("p1", "orders", 300);
    p.interval_ms = 2;
    s.producers.push(p);
    let mut c = ConsumerSpec::new("c1", "g1", "orders");
    c.commit = CommitMode::AfterProcessing;
    c.instances = 2;
    c.processing_ms = 20;
    c.config.max_poll_records = 20;
    c.config.session_timeout_ms = 6_000;
    c.config.heartbeat_interval_ms = 2_000;
    c.config.max_poll_interval_ms = 8_000;
    s.consumers.push(c);
    let crash = |at, b, r| FaultSpec {
        trigger: Trigger::AtMs(at),
        action: FaultAction::Crash,
        target: Target::Broker(b),
        restart_after_ms: Some(r),
        duration_ms: None,
        pin: false,
    };
    s.faults = vec![crash(14_783, 2, 243), crash(4_125, 1, 1_726), crash(13_533, 1, 1_141)];
    let (report, out) = kafkasim::run_seed(&s, 140, kafkasim::RunOptions::default()).unwrap();
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0, "{}", kafkasim::report::text::to_text(&report));
    assert!(out.virtual_ms < s.duration_ms, "the run drains and settles before its time limit");
}
