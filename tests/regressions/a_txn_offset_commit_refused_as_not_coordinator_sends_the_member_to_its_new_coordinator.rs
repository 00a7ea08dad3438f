//! Bug: when TxnOffsetCommit answered NOT_COORDINATOR, the processor's producer dropped the group
//! coordinator and took it again from its own consumer, which still believed in the old one: the
//! request went back to the same broker every 100 ms for the rest of the run. Found in
//! `eos-processor-nemesis-sweep` seed 757 (a run that reached its 300 s duration). Fix: a group
//! coordinator the producer gave up on is given up by the consumer too, which looks it up again.

#[test]
fn a_refused_txn_offset_commit_finds_the_new_group_coordinator() {
    let s = crate::eos_processor_sweep();
    let (r, _) = kafkasim::run_seed(&s, 757, kafkasim::RunOptions::default()).unwrap();
    assert!(r.virtual_ms < 120_000, "the run must end well before its duration: {}", r.virtual_ms);
    assert_eq!(r.processors["s1"].outputs, 300);
    assert!(r.expect.passed, "{}", kafkasim::report::text::to_text(&r));
}
