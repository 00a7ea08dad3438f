//! (g) `service_cases`: proptest cases per second of wall time on one core of the property "no
//! input is lost" of `examples/rdkafka_service.rs`: each case a 3-broker scenario (`orders` and
//! `shipments` of 2 partitions at RF 3, `min.insync.replicas = 2`), producer `p1` writing 200
//! records, and the rdkafka-style at-least-once service `svc` (consumer `c1`, producer `out`)
//! carrying them to `shipments`, under a schedule of 5 crashes of brokers and of the service
//! drawn by the example's strategy, a random seed, run with the service's code and judged. One
//! iteration is a `TestRunner` of 100 cases, so the figure includes generation, the run (the
//! service's tokio runtime included) and the checker. Target: >= 300 cases/s.
//!
//! `cargo bench --bench service_cases`

#[path = "../examples/rdkafka_service.rs"]
#[allow(dead_code)]
mod example;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use proptest::test_runner::{Config, TestRunner};

const CASES: u32 = 100;

fn cases(c: &mut Criterion) {
    let mut g = c.benchmark_group("service_cases");
    g.throughput(Throughput::Elements(CASES as u64));
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.measurement_time(Duration::from_secs(15));
    g.bench_function("3_brokers_200_records_5_crashes", |b| {
        b.iter(|| {
            let mut runner = TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() });
            example::no_input_is_lost(&mut runner, 5..=5).expect("no input is lost");
        });
    });
    g.finish();
}

criterion_group!(benches, cases);
criterion_main!(benches);
