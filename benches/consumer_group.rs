//! (b) `consumer_group_drain`: simulated records per second of wall time on one core for a
//! group of 3 consumers draining 1,000,000 records from 1 topic × 6 partitions at RF 3
//! (`min.insync.replicas = 2`), produced by one producer (`acks=all`, idempotent, all sent at
//! once); each consumer commits synchronously after processing every poll (500 records max),
//! processing takes no time, no faults. Target: >= 1,000,000 records/s.
//!
//! `cargo bench --bench consumer_group`

mod common;

use std::collections::HashSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kafkasim::record::EventKind;
use kafkasim::scenario::{ClusterSpec, CommitMode, ConsumerSpec, OffsetReset, ProducerSpec, Scenario};
use kafkasim::world::{run, RunOptions};

const RECORDS: u32 = 1_000_000;

/// 3 brokers, `orders` with 6 partitions at RF 3 and `min.insync.replicas = 2`, one producer
/// sending `records` records at once, and one consumer application of 3 members in group `g1`
/// reading from the earliest offset with a `commitSync()` after each processed poll.
fn scenario(records: u32) -> Scenario {
    let mut t = common::topic("orders", 6, 3);
    t.min_insync_replicas = Some(2);
    let mut p = ProducerSpec::new("p1", "orders", records);
    p.interval_ms = 0;
    let mut c = ConsumerSpec::new("c1", "g1", "orders");
    c.instances = 3;
    c.commit = CommitMode::AfterProcessing;
    c.processing_ms = 0;
    c.config.enable_auto_commit = false;
    c.config.auto_offset_reset = OffsetReset::Earliest;
    c.config.max_poll_records = 500;
    Scenario {
        name: format!("consumer-group-6p-3c-{records}"),
        cluster: ClusterSpec { brokers: 3, ..Default::default() },
        topics: vec![t],
        producers: vec![p],
        consumers: vec![c],
        ..Default::default()
    }
}

/// Sanity: the group processed every record exactly once, or the figure means nothing.
fn assert_full_drain(out: &kafkasim::RunOutput, records: u32) {
    let mut seen = HashSet::with_capacity(records as usize);
    let mut processed = 0usize;
    for e in &out.history.events {
        if let EventKind::Processed { records, .. } = &e.kind {
            for d in records.iter() {
                processed += 1;
                assert!(seen.insert(d.record), "record {:?} processed twice", d.record);
            }
        }
    }
    assert_eq!(processed, records as usize, "every record must be processed exactly once");
    assert_eq!(seen.len(), records as usize, "every record must be processed");
}

fn consumer_group_drain(c: &mut Criterion) {
    let scenario = scenario(RECORDS);
    let out = run(&scenario, 1, RunOptions::default()).unwrap();
    assert_eq!(common::acked_records(&out), RECORDS as usize, "every record must be acknowledged");
    assert_full_drain(&out, RECORDS);
    eprintln!("consumer_group_drain: {} events, {} virtual ms per run", out.events, out.virtual_ms);
    drop(out);

    let mut g = c.benchmark_group("consumer_group_drain");
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("1t_6p_rf3_3c_commit_after_1M", |b| {
        b.iter(|| black_box(run(black_box(&scenario), 1, RunOptions::default()).unwrap()));
    });
    g.finish();
}

criterion_group!(benches, consumer_group_drain);
criterion_main!(benches);
