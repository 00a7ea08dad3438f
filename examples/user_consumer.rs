//! A user's consumer under test: process-then-commit logic, written once against the
//! synchronous API (`ConsumerApp`) and once with the async API (`SimConsumer`), checked by a
//! proptest property — "this consumer never processes a record twice" — over schedules of
//! crashes of the consumer. The property is false (process-then-commit is
//! at-least-once): proptest finds a duplicate and shrinks the schedule to one crash, which is
//! written out as a scenario file.
//!
//! ```text
//! cargo run --release --example user_consumer           # the synchronous version
//! cargo run --release --example user_consumer -- async  # the async version
//! cargo test --example user_consumer                    # both, as tests
//! ```
//!
//! `docs/property-testing.md` walks through the output.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use kafkasim::app::{Apps, ConsumerApp, Plan, SimConsumer};
use kafkasim::record::Anomaly;
use kafkasim::record::Delivery;
use kafkasim::scenario::{ConsumerSpec, FaultAction, ProducerSpec, Scenario, TargetClass, TopicSpec};
use kafkasim::strategy::{fault_draft, FaultDraft};

/// The application's logic: process every record of the batch, then commit.
#[derive(Default)]
struct ProcessThenCommit;

impl ConsumerApp for ProcessThenCommit {
    fn on_batch(&mut self, _batch: &[Delivery], plan: &mut Plan) {
        plan.process_all().commit_sync();
    }
}

/// The same logic as ordinary async code.
async fn process_then_commit(mut c: SimConsumer) {
    loop {
        let batch = c.poll().await;
        c.process_all(&batch).await;
        let _ = c.commit_sync().await;
    }
}

fn apps(asynchronous: bool) -> Apps {
    if asynchronous {
        Apps::new().async_consumer("c1", process_then_commit)
    } else {
        Apps::new().consumer("c1", ProcessThenCommit::default)
    }
}

/// 3 brokers, `orders` (2 partitions, RF 3), 200 records one per 10 ms, and consumer `c1` (one
/// member of group `g1`, 20 ms of processing per record: it always has a batch in hand) run by
/// the application.
fn base() -> Scenario {
    let mut s = Scenario { name: "user consumer".into(), duration_ms: 300_000, ..Scenario::default() };
    s.cluster.brokers = 3;
    s.cluster.config.min_insync_replicas = 2;
    s.topics.push(TopicSpec::new("orders", 2, 3));
    let mut p = ProducerSpec::new("p1", "orders", 200);
    p.interval_ms = 10;
    s.producers.push(p);
    let mut c = ConsumerSpec::new("c1", "g1", "orders");
    c.processing_ms = 20;
    c.config.session_timeout_ms = 6_000;
    c.config.heartbeat_interval_ms = 2_000;
    s.consumers.push(c);
    s
}

fn with(drafts: &[FaultDraft]) -> Scenario {
    let mut s = base();
    s.faults = drafts.iter().filter_map(|d| d.resolve(&s)).collect();
    s
}

/// Search for a schedule under which the application processes a record twice, shrink it, and
/// drop the faults it no longer needs. Returns the scenario and seed.
fn find_duplicate(asynchronous: bool) -> (Scenario, u64) {
    let apps = apps(asynchronous);
    let strategy = (
        prop::collection::vec(fault_draft(vec![FaultAction::Crash], vec![TargetClass::Consumers], 8_000, 3_000), 0..=8),
        0u64..1_000,
    );
    let config = Config { cases: 64, failure_persistence: None, ..Config::default() };
    // A fixed RNG: the same search, the same shrunk case, every time.
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let result = runner.run(&strategy, |(drafts, seed)| {
        let (report, _) = kafkasim::app::run(&with(&drafts), seed, kafkasim::RunOptions::default(), &apps).unwrap();
        prop_assert_eq!(report.anomalies[Anomaly::DuplicateProcessing], 0, "a record was processed twice");
        Ok(())
    });
    let (drafts, seed) = match result {
        Err(TestError::Fail(_, case)) => case,
        other => panic!("expected the property to fail, got {other:?}"),
    };
    // Drop the faults the shrunk failure no longer needs.
    let duplicates = |s: &Scenario, seed: u64| {
        kafkasim::app::run(s, seed, kafkasim::RunOptions::default(), &apps).unwrap().0.anomalies
            [Anomaly::DuplicateProcessing]
            > 0
    };
    (kafkasim::strategy::minimize_faults(&with(&drafts), seed, duplicates), seed)
}

fn main() {
    let asynchronous = std::env::args().any(|a| a == "async");
    let (s, seed) = find_duplicate(asynchronous);
    let (report, _) = kafkasim::app::run(&s, seed, kafkasim::RunOptions::default(), &apps(asynchronous)).unwrap();
    println!("shrunk to {} fault(s), seed {seed}:", s.faults.len());
    for f in &s.faults {
        println!("  {:?} {} at {:?}", f.action, s.target_text(&f.target), f.trigger);
    }
    println!("{}", kafkasim::report::text::to_text(&report));
    let dir = Path::new("target/kafkasim-failures");
    let path = kafkasim::strategy::save_failure(&s, seed, dir).expect("write the case");
    println!(
        "the case: {} (its built-in twin, `commit = \"after-processing\"`, replays with kafkasim run)",
        path.display()
    );
}

#[test]
fn the_property_finds_a_duplicate_and_shrinks_it_to_one_consumer_crash() {
    let (s, seed) = find_duplicate(false);
    assert_eq!(s.faults.len(), 1, "{:?}", s.faults);
    assert!(matches!(s.faults[0].target, kafkasim::scenario::Target::Consumer { .. }), "{:?}", s.faults[0].target);
    let (report, _) = kafkasim::app::run(&s, seed, kafkasim::RunOptions::default(), &apps(false)).unwrap();
    assert!(report.anomalies[Anomaly::DuplicateProcessing] > 0);
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0, "process-then-commit loses nothing");
}

#[test]
fn the_async_version_finds_the_same_shrunk_case_with_the_same_trace() {
    let (sync_case, sync_seed) = find_duplicate(false);
    let (async_case, async_seed) = find_duplicate(true);
    assert_eq!((&sync_case.faults, sync_seed), (&async_case.faults, async_seed));
    let a = kafkasim::app::run(&sync_case, sync_seed, kafkasim::RunOptions::default(), &apps(false)).unwrap().0;
    let b = kafkasim::app::run(&async_case, async_seed, kafkasim::RunOptions::default(), &apps(true)).unwrap().0;
    assert_eq!(a.trace_hash, b.trace_hash);
}
