//! Bug: the drain phase ended as soon as every member's position reached its partition's high
//! watermark, but a leader elected after a failover starts with a stale high watermark: it
//! still had to learn that its predecessor had acknowledged one more record. The members were
//! closed at the stale mark, the high watermark then moved past the last record, and the final
//! log held a record the group never processed. Found by the `process-then-commit-nemesis-sweep`
//! example at seed 2595 (3,000-seed sweep): lost_processing 1. Fix: the drain phase is judged
//! only once replication has settled (every high watermark at its log end).

use kafkasim::record::Anomaly;

#[test]
fn the_nemesis_sweep_seed_that_closed_its_group_too_early_loses_no_processing() {
    let s = kafkasim::scenario::load_file(std::path::Path::new(
        "examples/scenarios/process-then-commit-nemesis-sweep.toml",
    ))
    .expect("bundled example loads");
    let (report, _) = kafkasim::run_seed(&s, 2595, kafkasim::RunOptions::default()).unwrap();
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0, "{}", kafkasim::report::text::to_text(&report));
}
