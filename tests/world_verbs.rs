//! The world's verbs, called from Rust: they strike as a scenario's faults do.

use kafkasim::record::{Event, EventKind};
use kafkasim::scenario::{Acks, FaultAction, FaultSpec, ProducerSpec, Scenario, Target, TopicSpec, Trigger};
use kafkasim::world::{run, RunOptions, World};

fn scenario() -> Scenario {
    let mut s = Scenario { name: "verbs".into(), duration_ms: 60_000, ..Scenario::default() };
    s.topics.push(TopicSpec::new("orders", 1, 3));
    let mut p = ProducerSpec::new("p1", "orders", 600);
    p.config.acks = Acks::One;
    p.config.enable_idempotence = false;
    s.producers.push(p);
    s
}

fn leader() -> Target {
    Target::Leader { topic: "orders".into(), partition: 0 }
}

fn healed_at(events: &[Event], what: &str) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Healed { end, target, .. } if format!("{end} {target}").starts_with(what) => Some(e.at),
            _ => None,
        })
        .collect()
}

#[test]
fn a_crash_struck_by_the_verb_replays_the_same_crash_written_in_the_scenario() {
    let mut with_fault = scenario();
    with_fault.faults.push(FaultSpec {
        trigger: Trigger::AtMs(400),
        action: FaultAction::Crash,
        target: leader(),
        restart_after_ms: Some(2_000),
        duration_ms: None,
        pin: false,
    });
    let from_file = run(&with_fault, 3, RunOptions::default()).unwrap();

    let plain = scenario();
    let mut w = World::new(&plain, 3, RunOptions::default()).unwrap();
    w.run_until(400);
    assert_eq!(w.now(), 400);
    w.crash(leader(), Some(2_000));
    let by_verb = w.run();

    assert_eq!(by_verb.trace_hash, from_file.trace_hash);
    assert_eq!(by_verb.events, from_file.events);
    assert_eq!(by_verb.virtual_ms, from_file.virtual_ms);
}

#[test]
fn heal_ends_an_isolation_early_and_its_scheduled_end_adds_nothing() {
    let s = scenario();
    let mut w = World::new(&s, 1, RunOptions::default()).unwrap();
    w.run_until(300);
    w.isolate(Target::Broker(2), 20_000);
    w.run_until(500);
    w.heal();
    let out = w.run();
    assert_eq!(healed_at(&out.history.events, "isolation of broker:2"), [500]);
    assert!(out.virtual_ms < 20_000, "nothing waited for the isolation's scheduled end");
}

#[test]
fn resume_ends_a_pause_early() {
    let s = scenario();
    let mut w = World::new(&s, 1, RunOptions::default()).unwrap();
    w.run_until(300);
    w.pause(Target::Broker(3), 30_000);
    w.run_until(450);
    w.resume(Target::Broker(3));
    let out = w.run();
    assert_eq!(healed_at(&out.history.events, "pause of broker:3"), [450]);
}

#[test]
fn a_partition_between_the_leader_and_its_followers_makes_the_leader_shrink_the_isr() {
    let s = Scenario { duration_ms: 120_000, ..scenario() };
    let trace = RunOptions::traced();
    let shrinks = |out: &kafkasim::RunOutput| out.trace.iter().filter(|l| l.contains("AlterPartition")).count();
    let calm = run(&s, 1, trace).unwrap();
    assert_eq!(shrinks(&calm), 0, "without a fault the ISR never changes");
    let leader = calm.history.partitions[0].leader.expect("a leader");
    let followers: Vec<Target> = (1..=3).filter(|&b| b != leader).map(Target::Broker).collect();

    let mut w = World::new(&s, 1, trace).unwrap();
    w.run_until(200);
    // The controller and the producer still reach the leader; its followers do not, and
    // after replica.lag.time.max.ms (30 s) the leader's ISR check (every 15 s) drops them.
    w.partition(&[Target::Broker(leader)], &followers, 50_000);
    let out = w.run();
    assert!(shrinks(&out) > 0, "followers that cannot fetch leave the ISR");
    assert_eq!(healed_at(&out.history.events, "partition"), [50_200]);
}

#[test]
fn a_partition_written_in_the_scenario_replays_the_partition_struck_by_the_verb() {
    let between = vec![leader()];
    let and = vec![Target::Controller, Target::Broker(1), Target::Broker(2), Target::Broker(3)];
    let mut with_fault = scenario();
    with_fault.faults.push(FaultSpec {
        trigger: Trigger::AtMs(300),
        action: FaultAction::Partition,
        target: Target::Sides { between: between.clone(), and: and.clone() },
        restart_after_ms: None,
        duration_ms: Some(12_000),
        pin: false,
    });
    let from_file = run(&with_fault, 2, RunOptions::default()).unwrap();

    let plain = scenario();
    let mut w = World::new(&plain, 2, RunOptions::default()).unwrap();
    w.run_until(300);
    w.partition(&between, &and, 12_000);
    let by_verb = w.run();

    assert_eq!(by_verb.trace_hash, from_file.trace_hash);
    assert_eq!(by_verb.events, from_file.events);
    // The leader, named on both sides (as `leader:orders/0` and as its broker), stays on the
    // `between` side only (broker 1 leads orders/0 at 300 ms).
    let struck: Vec<String> = (from_file.history.events.iter())
        .filter_map(|e| match &e.kind {
            EventKind::Fault { action: FaultAction::Partition, target, .. } => Some(target.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(struck, ["[broker:1] and [controller, broker:2, broker:3]"]);
    assert_eq!(healed_at(&from_file.history.events, "partition"), [12_300]);
}

#[test]
fn a_restart_verb_brings_a_crashed_broker_back() {
    let s = scenario();
    let mut w = World::new(&s, 1, RunOptions::default()).unwrap();
    w.run_until(300);
    w.crash(Target::Broker(2), None);
    w.run_until(1_000);
    w.restart(Target::Broker(2));
    let out = w.run();
    assert_eq!(healed_at(&out.history.events, "restart of broker:2"), [1_000]);
    let replicas = &out.history.partitions[0].replicas;
    assert!(replicas.iter().all(|r| r.alive), "every broker ends up");
}

#[test]
fn step_handles_one_event_at_a_time_and_stops_when_the_run_is_over() {
    let s = scenario();
    let mut w = World::new(&s, 1, RunOptions::default()).unwrap();
    let mut steps = 0u64;
    while w.step() {
        steps += 1;
    }
    assert!(!w.step(), "a finished world stays finished");
    let whole = run(&s, 1, RunOptions::default()).unwrap();
    let out = w.run();
    assert_eq!(out.trace_hash, whole.trace_hash);
    assert!(steps >= out.events, "every handled event took a step");
}

#[test]
#[should_panic(expected = "the controller quorum is modelled as reliable")]
fn a_verb_other_than_partition_refuses_the_controller() {
    let s = scenario();
    let mut w = World::new(&s, 1, RunOptions::default()).unwrap();
    w.run_until(100);
    w.isolate(Target::Controller, 1_000);
}
