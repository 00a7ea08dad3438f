//! Bug: a pause outlived the process it paused. A member paused for 10 s that crashed 2 s into
//! the pause and restarted 1 s later came back as a new process that did nothing until the dead
//! process's pause ran out, and the history logged that pause as healed after the restart.
//! Found while documenting seed 1 of `process-then-commit-nemesis-sweep` (c1/1 paused at 16017
//! ms, crashed at 19345 ms, restarted at 20661 ms, idle until 21016 ms). Fix: a crash or power
//! loss ends the process's pause (an isolation, the machine's, still outlives it).

use kafkasim::scenario::{ConsumerSpec, FaultAction, FaultSpec, ProducerSpec, Scenario, Target, TopicSpec, Trigger};

#[test]
fn a_member_restarted_during_its_dead_predecessor_s_pause_runs_at_once() {
    let mut s = Scenario { name: "crash while paused".into(), ..Scenario::default() };
    s.topics.push(TopicSpec::new("orders", 1, 3));
    s.producers.push(ProducerSpec::new("p1", "orders", 100));
    s.consumers.push(ConsumerSpec::new("c1", "g1", "orders"));
    let member = Target::Consumer { consumer: 0, instance: Some(0) };
    s.faults = vec![
        FaultSpec {
            trigger: Trigger::AtMs(1_000),
            action: FaultAction::Pause,
            target: member.clone(),
            restart_after_ms: None,
            duration_ms: Some(10_000),
            pin: false,
        },
        FaultSpec {
            trigger: Trigger::AtMs(3_000),
            action: FaultAction::Crash,
            target: member,
            restart_after_ms: Some(1_000),
            duration_ms: None,
            pin: false,
        },
    ];
    let all = kafkasim::RunOptions { trace: kafkasim::TraceFilter::all(), ..Default::default() };
    let out = kafkasim::run(&s, 1, all).unwrap();
    // The restarted member (at 4000 ms) handles its own timers before the old pause's end.
    let busy = out.trace.iter().any(|l| {
        let t: u64 = l.split_whitespace().next().and_then(|t| t.parse().ok()).unwrap_or(0);
        (4_001..11_000).contains(&t) && l.contains(" c1/0 ") && l.contains(" timer ")
    });
    assert!(busy, "the new process must run during the dead process's pause");
    let healed_pause = out
        .history
        .events
        .iter()
        .any(|e| matches!(&e.kind, kafkasim::record::EventKind::Healed { end: kafkasim::record::Heal::Pause, .. }));
    assert!(!healed_pause, "a pause cut short by the crash is not healed later");
}
