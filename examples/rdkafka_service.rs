//! A consume-transform-produce service written against rdkafka, in two versions, run inside the
//! simulated cluster as a `[[service]]` (docs/services.md) whose producer table is its output
//! (each shipment names the order it was made from), and checked by proptest properties over
//! schedules of broker and service crashes:
//!
//! - [`at_least_once`] (recv, transform, send and await the delivery, then commit):
//!   "no input is lost" holds; "no input is processed twice" is false (a crash between the
//!   delivery and the commit makes the restarted service ship the order again). proptest finds
//!   a duplicate and shrinks the schedule, which is printed with its report and written out as a
//!   scenario file that `kafkasim::app::replay` reruns with this code.
//! - [`exactly_once`] (each order shipped in a transaction that also commits its offset, with
//!   `send_offsets_to_transaction`): "exactly once" (neither lost nor duplicated) holds.
//!
//! The service code is in `rdkafka_service/`: apart from its first `use` line
//! (`use super::rdkafka;`, which is `kafkasim::rdkafka` here), [`at_least_once`] is what one
//! writes against rdkafka 0.39, and `tests/rdkafka_compat.rs` compiles that same file against
//! the rdkafka crate (`cargo test --features rdkafka-compat-check --test rdkafka_compat`).
//! [`exactly_once`] is too, with `.await` after the four transaction calls that block in rdkafka
//! (docs/services.md, "Why the transaction calls are `async`").
//!
//! ```text
//! cargo run --release --example rdkafka_service    # both properties, the shrunk case printed
//! cargo test --test rdkafka_service                # the same, as tests (fewer cases)
//! cargo bench --bench service_cases                # cases per second of "no input is lost"
//! ```
//!
//! `tests/rdkafka_service.rs` and `benches/service_cases.rs` include this file as a module.

use kafkasim::rdkafka;

// The service code, in files that compile against rdkafka 0.39 too (tests/rdkafka_compat.rs).
#[path = "rdkafka_service/at_least_once.rs"]
mod at_least_once;
pub use at_least_once::at_least_once;
#[path = "rdkafka_service/exactly_once.rs"]
mod exactly_once;
pub use exactly_once::exactly_once;

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use kafkasim::app::Apps;
use kafkasim::record::Anomaly;
use kafkasim::report::Report;
use kafkasim::scenario::{
    ConsumerSpec, FaultAction, FaultSpec, ProducerSpec, Scenario, ServiceSpec, Target, TopicSpec, Trigger,
};

/// The code of service `svc`: the at-least-once version, or the exactly-once one for a
/// scenario whose output is transactional.
pub fn apps_for(s: &Scenario) -> Apps {
    if s.producers.iter().any(|p| p.config.transactional_id.is_some()) {
        Apps::new().service("svc", exactly_once)
    } else {
        apps()
    }
}

/// The code of service `svc`, at least once.
pub fn apps() -> Apps {
    Apps::new().service("svc", at_least_once)
}

/// A crash the schedule draws: of broker 1..=3 or of the service, at a virtual time, restarted
/// after an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Crash {
    /// 0: the service; 1..=3: that broker (shrinks towards the service).
    pub target: u32,
    /// When, in virtual ms (shrinks towards 0).
    pub at_ms: u64,
    /// Restart delay in ms (shrinks towards 100).
    pub restart_after_ms: u64,
}

/// One crash, within the first 4 s (the input is written in the first 2 s).
pub fn crash() -> impl Strategy<Value = Crash> {
    (0u32..=3, 0u64..4_000, 100u64..=3_000).prop_map(|(target, at_ms, restart_after_ms)| Crash {
        target,
        at_ms,
        restart_after_ms,
    })
}

/// Schedules of `faults` crashes and a seed.
pub fn cases(faults: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = (Vec<Crash>, u64)> {
    (prop::collection::vec(crash(), faults), 0u64..1_000)
}

/// 3 brokers (`min.insync.replicas = 2`), `orders` (2 partitions) written by `p1` (200 records,
/// one per 10 ms), `shipments` (2 partitions), and service `svc` owning consumer `c1` (group
/// `g1`, reading `orders`) and its output, producer `out` (writing `shipments`), under `crashes`.
pub fn scenario(crashes: &[Crash]) -> Scenario {
    let mut s = Scenario { name: "rdkafka service".into(), duration_ms: 300_000, ..Scenario::default() };
    s.cluster.brokers = 3;
    s.cluster.config.min_insync_replicas = 2;
    s.topics.push(TopicSpec::new("orders", 2, 3));
    s.topics.push(TopicSpec::new("shipments", 2, 3));
    let mut p1 = ProducerSpec::new("p1", "orders", 200);
    p1.interval_ms = 10;
    s.producers.push(p1);
    // An output's index is its order's: the orders number 0..200.
    s.producers.push(ProducerSpec::new("out", "shipments", 200));
    let mut c1 = ConsumerSpec::new("c1", "g1", "orders");
    c1.config.session_timeout_ms = 6_000;
    c1.config.heartbeat_interval_ms = 2_000;
    s.consumers.push(c1);
    s.services.push(ServiceSpec::new("svc").consumer("c1").output("out"));
    s.faults = crashes
        .iter()
        .map(|c| FaultSpec {
            trigger: Trigger::AtMs(c.at_ms),
            action: FaultAction::Crash,
            target: match c.target {
                0 => Target::Service { service: 0, instance: None },
                b => Target::Broker(b.min(3)),
            },
            restart_after_ms: Some(c.restart_after_ms),
            duration_ms: None,
            pin: false,
        })
        .collect();
    s
}

/// The same with the exactly-once service: `out` transactional (`transactional.id` `shipper`),
/// `c1` read_committed.
pub fn eos_scenario(crashes: &[Crash]) -> Scenario {
    let mut s = scenario(crashes);
    s.name = "rdkafka service, exactly once".into();
    s.producers[1].config.transactional_id = Some("shipper".into());
    s.consumers[0].config.isolation_level = kafkasim::scenario::IsolationLevel::ReadCommitted;
    s
}

/// Run `s` with the service's code.
pub fn run(s: &Scenario, seed: u64) -> Report {
    kafkasim::app::run(s, seed, kafkasim::RunOptions::default(), &apps_for(s)).expect("a valid scenario").0
}

/// A runner whose search is the same every time.
pub fn runner(cases: u32) -> TestRunner {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// "No input is lost": the service processes every order (`lost_processing` of `c1`, the one
/// consumer, is 0) and no acknowledged record is lost, under up to 5 crashes.
pub fn no_input_is_lost(runner: &mut TestRunner, faults: std::ops::RangeInclusive<usize>) -> Result<(), String> {
    runner
        .run(&cases(faults), |(crashes, seed)| {
            let r = run(&scenario(&crashes), seed);
            prop_assert_eq!(r.anomalies[Anomaly::LostProcessing], 0, "an order was never processed");
            prop_assert_eq!(r.anomalies[Anomaly::LostAcked], 0, "an acknowledged record was lost");
            Ok(())
        })
        .map_err(|e| e.to_string())
}

/// "Exactly once": the exactly-once service neither loses nor duplicates an order, under up to
/// 5 crashes.
pub fn exactly_once_holds(runner: &mut TestRunner) -> Result<(), String> {
    runner
        .run(&cases(0..=5), |(crashes, seed)| {
            let r = run(&eos_scenario(&crashes), seed);
            prop_assert_eq!(r.anomalies[Anomaly::LostProcessing], 0, "an order was never shipped");
            prop_assert_eq!(r.anomalies[Anomaly::DuplicateProcessing], 0, "an order was shipped twice");
            Ok(())
        })
        .map_err(|e| e.to_string())
}

/// "No input is processed twice", which is false: the shrunk schedule, with the crashes it no
/// longer needs dropped, and its seed.
pub fn find_duplicate(runner: &mut TestRunner) -> (Scenario, u64) {
    let result = runner.run(&cases(0..=5), |(crashes, seed)| {
        let r = run(&scenario(&crashes), seed);
        prop_assert_eq!(r.anomalies[Anomaly::DuplicateProcessing], 0, "an order was processed twice");
        Ok(())
    });
    let (crashes, seed) = match result {
        Err(TestError::Fail(_, case)) => case,
        other => panic!("expected \"no input is processed twice\" to fail, got {other:?}"),
    };
    let twice = |s: &Scenario, seed: u64| run(s, seed).anomalies[Anomaly::DuplicateProcessing] > 0;
    (kafkasim::strategy::minimize_faults(&scenario(&crashes), seed, twice), seed)
}

fn main() {
    match no_input_is_lost(&mut runner(256), 0..=5) {
        Ok(()) => println!("no input is lost: 256 cases passed"),
        Err(e) => panic!("no input is lost: {e}"),
    }
    match exactly_once_holds(&mut runner(1_000)) {
        Ok(()) => println!("exactly once: 1000 cases passed"),
        Err(e) => panic!("exactly once: {e}"),
    }
    let (s, seed) = find_duplicate(&mut runner(256));
    let report = run(&s, seed);
    println!("no input is processed twice: false; shrunk to {} fault(s), seed {seed}:", s.faults.len());
    for f in &s.faults {
        println!(
            "  {:?} {} at {:?}, restart after {:?} ms",
            f.action,
            s.target_text(&f.target),
            f.trigger,
            f.restart_after_ms
        );
    }
    println!("{}", kafkasim::report::text::to_text(&report));
    let path =
        kafkasim::strategy::save_failure(&s, seed, Path::new("target/kafkasim-failures")).expect("write the case");
    println!("the case: {} (replay it with kafkasim::app::replay(PATH, {seed}, &apps()))", path.display());
}
