//! Bug: a processor member's consumer and producer share its connections, but only the client
//! that closed one (after a request timeout) failed its requests on it. In
//! `eos-processor-nemesis-sweep` seed 58, instance 0's JoinGroup waited on a connection to the
//! paused coordinator; its producer's TxnRequestTimeout closed that connection, the held JoinGroup
//! was dropped, and the consumer kept waiting for an answer (JoinGroup's timeout is
//! `max.poll.interval.ms` + 5 s): no member polled for the rest of the run, and every input was
//! reported lost at 300 s. Fix: a connection closed by either client fails both clients' requests
//! on it. (Later changes moved seed 58's schedule; without the fix, 25 of seeds 1..1000 hang this
//! way, seed 8 the first.)

#[test]
fn a_join_group_lost_with_the_producer_s_closed_connection_is_sent_again() {
    let s = crate::eos_processor_sweep();
    let (r, _) = kafkasim::run_seed(&s, 8, kafkasim::RunOptions::default()).unwrap();
    assert!(r.virtual_ms < 120_000, "the run must end well before its duration: {}", r.virtual_ms);
    assert_eq!(r.processors["s1"].outputs, 300);
    assert!(r.expect.passed, "{}", kafkasim::report::text::to_text(&r));
}
