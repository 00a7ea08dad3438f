//! (f) `proptest_cases`: proptest cases per second of wall time on one core, each case a
//! 3-broker scenario (one topic of 2 partitions at RF 3, `min.insync.replicas = 2`, an
//! idempotent `acks=all` producer of 100 records) with a schedule of 5 faults drawn by
//! `kafkasim::strategy::fault_draft` (crash, power loss, isolation, pause of brokers and the
//! producer), a random seed, run and judged. One iteration is a `TestRunner` of 100 cases, so
//! the figure includes generation, the run and the checker. Target: >= 1,000 cases/s.
//!
//! `cargo bench --bench proptest_cases`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use kafkasim::record::Anomaly;
use kafkasim::scenario::{ProducerSpec, Scenario, TargetClass, TopicSpec};
use kafkasim::strategy::fault_draft;

const CASES: u32 = 100;

fn base() -> Scenario {
    let mut s = Scenario { name: "proptest case".into(), duration_ms: 300_000, ..Scenario::default() };
    s.cluster.brokers = 3;
    s.cluster.config.min_insync_replicas = 2;
    s.topics.push(TopicSpec::new("orders", 2, 3));
    s.producers.push(ProducerSpec::new("p1", "orders", 100));
    s
}

fn cases(c: &mut Criterion) {
    let base = base();
    let strategy = (
        prop::collection::vec(
            fault_draft(Vec::new(), vec![TargetClass::Brokers, TargetClass::Producers], 5_000, 3_000),
            5..=5,
        ),
        0u64..1_000,
    );
    let mut g = c.benchmark_group("proptest_cases");
    g.throughput(Throughput::Elements(CASES as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.bench_function("3_brokers_100_records_5_faults", |b| {
        b.iter(|| {
            let mut runner = TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() });
            runner
                .run(&strategy, |(drafts, seed)| {
                    let mut s = base.clone();
                    s.faults = drafts.iter().filter_map(|d| d.resolve(&s)).collect();
                    let (r, _) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();
                    black_box(r.anomalies[Anomaly::LostAcked]);
                    Ok(())
                })
                .unwrap();
        });
    });
    g.finish();
}

criterion_group!(benches, cases);
criterion_main!(benches);
