//! Bug: a producer's send skipped its sender wake-up while a `Drain` was overdue. A pause had
//! held the `Drain` back past its time; when the pause ended, a tick ran first and its record
//! started a new batch, whose linger (`wake_at`) replaced the overdue time in `next_drain` with a
//! later one, so `nothing_due` saw nothing due and the tick skipped a drain that would have sent
//! the batch whose linger had passed. Found by the fuzz loop in CI (`tests/fuzz.rs`; its case is
//! in `proptest-regressions/fuzz.txt`): invariant 45 caught the skipped drain sending a batch.
//! It came with this stop's new skip for a record that starts a batch, and never landed. Fix:
//! `wake_at` notes when it replaces a `next_drain` already past (`drain_overdue`), and no send
//! skips its drain until a drain has run.

use kafkasim::scenario::{
    Acks, ClientEvent, ClientRef, FaultAction, FaultSpec, ProducerSpec, Scenario, Target, TopicSpec, Trigger,
};

#[test]
fn a_tick_after_a_pause_that_held_back_a_drain_does_not_skip_it() {
    // The fuzz loop's case: one broker, a keyed acks=0 producer of 7 records, one every 3 ms,
    // over 3 partitions, paused for 100 ms at its first acknowledgement.
    let mut s = Scenario { name: "a drain held back by a pause".into(), ..Scenario::default() };
    s.cluster.brokers = 1;
    s.cluster.config.min_insync_replicas = 1;
    s.topics.push(TopicSpec::new("orders", 3, 1));
    let mut p = ProducerSpec::new("p1", "orders", 7);
    p.keys = Some(2);
    p.interval_ms = 3;
    p.config.acks = Acks::Zero;
    p.config.enable_idempotence = false;
    p.config.retries = 0;
    s.producers.push(p);
    s.faults.push(FaultSpec {
        trigger: Trigger::Client { client: ClientRef::Producer(0), event: ClientEvent::Acked, n: 1 },
        action: FaultAction::Pause,
        target: Target::Producer(0),
        restart_after_ms: None,
        duration_ms: Some(100),
        pin: false,
    });
    let seed = 16_750_262_586_396_245_577;
    let plain = kafkasim::run(&s, seed, kafkasim::RunOptions::default()).expect("valid");
    // With invariants checked, invariant 45 replays every skipped drain and panics if one would
    // have done something.
    let checked = kafkasim::RunOptions { check_invariants: true, ..Default::default() };
    let replayed = kafkasim::run(&s, seed, checked).expect("valid");
    assert_eq!(plain.trace_hash, replayed.trace_hash, "checking invariants changed the run");
}
