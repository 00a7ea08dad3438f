//! (a) `replication_throughput`: simulated records per second of wall time on one core for
//! 1,000,000 records on 1 topic × 3 partitions at RF 3, `acks=all`, idempotent, all sent at
//! once, no faults. Target: >= 2,000,000 records/s.
//!
//! `cargo bench --bench throughput`

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kafkasim::world::{run, RunOptions};

const RECORDS: u32 = 1_000_000;

fn replication_throughput(c: &mut Criterion) {
    let scenario = common::replication(3, RECORDS);
    // Sanity: the run must actually acknowledge every record, or the figure means nothing.
    let out = run(&scenario, 1, RunOptions::default()).unwrap();
    let acked = common::acked_records(&out);
    assert_eq!(acked, RECORDS as usize, "every record must be acknowledged");
    eprintln!("replication_throughput: {} events, {} virtual ms per run", out.events, out.virtual_ms);
    drop(out);

    let mut g = c.benchmark_group("replication_throughput");
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("1t_3p_rf3_acks_all_idempotent_1M", |b| {
        b.iter(|| black_box(run(black_box(&scenario), 1, RunOptions::default()).unwrap()));
    });
    g.finish();
}

criterion_group!(benches, replication_throughput);
criterion_main!(benches);
