//! Bug: a message sent to a broker while it was down, and arriving after it restarted, was
//! dropped without a word: it belonged to the dead incarnation's connection. The sender heard
//! nothing and waited for its request timeout (for a JoinGroup, `max.poll.interval.ms` plus 5 s),
//! so a consumer group under a broker nemesis never formed and the run ran to its time limit
//! with every record unprocessed (a transactional nemesis sweep, seed 777: lost_processing 800).
//! Fix: the restarted machine's OS refuses such a message, as it refuses one while the process
//! is down, and the sender retries at once.

use kafkasim::record::Anomaly;
use kafkasim::scenario::{
    ConsumerSpec, FaultAction, FaultSpec, IsolationLevel, ProducerSpec, Scenario, Target, TopicSpec, Trigger,
};

#[test]
fn a_group_forms_after_its_coordinator_restarts_under_a_join_sent_while_it_was_down() {
    let mut s =
        Scenario { name: "join sent to a dead coordinator".into(), duration_ms: 300_000, ..Scenario::default() };
    s.cluster.config.min_insync_replicas = 2;
    s.topics.push(TopicSpec::new("orders", 3, 3));
    let mut p = ProducerSpec::new("p1", "orders", 1000);
    p.interval_ms = 10;
    s.producers.push(p);
    let mut c = ConsumerSpec::new("c1", "g1", "orders");
    c.instances = 2;
    c.config.isolation_level = IsolationLevel::ReadCommitted;
    c.config.session_timeout_ms = 6_000;
    c.config.heartbeat_interval_ms = 2_000;
    s.consumers.push(c);
    let crash = |at, b, restart| FaultSpec {
        trigger: Trigger::AtMs(at),
        action: FaultAction::Crash,
        target: Target::Broker(b),
        restart_after_ms: Some(restart),
        duration_ms: None,
        pin: false,
    };
    // The coordinator of g1 (broker 2) crashes twice; members keep asking it while it is down.
    s.faults = vec![crash(4_080, 2, 1_628), crash(7_472, 2, 3_011), crash(10_370, 1, 2_940)];
    let (report, out) = kafkasim::run_seed(&s, 777, kafkasim::RunOptions::default()).unwrap();
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0, "{}", kafkasim::report::text::to_text(&report));
    assert!(out.virtual_ms < 60_000, "the group forms and drains long before the time limit: {}", out.virtual_ms);
}
