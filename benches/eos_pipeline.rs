//! (e) `eos_pipeline`: simulated input records per second of wall time on one core for an
//! `exactly_once_v2` processor carrying 100,000 records from `orders` to `shipments` (both
//! 3 partitions at RF 3, `min.insync.replicas = 2`) with Streams' 100 ms commit interval. The
//! producer writes one record per ms (100 s of virtual time), so the processor runs hundreds of
//! transactions (612 on seed 1), each with its outputs and its offsets. No faults.
//!
//! `cargo bench --bench eos_pipeline`

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kafkasim::record::EventKind;
use kafkasim::scenario::{ClusterSpec, ProcessingGuarantee, ProcessorSpec, ProducerSpec, Scenario};
use kafkasim::world::{run, RunOptions};

const RECORDS: u32 = 100_000;

fn scenario(records: u32) -> Scenario {
    let mut topics = vec![common::topic("orders", 3, 3), common::topic("shipments", 3, 3)];
    for t in &mut topics {
        t.min_insync_replicas = Some(2);
    }
    let mut p = ProducerSpec::new("p1", "orders", records);
    p.interval_ms = 1;
    let s1 = ProcessorSpec::new("s1", "app", "orders", "shipments", ProcessingGuarantee::ExactlyOnceV2);
    Scenario {
        name: format!("eos-pipeline-{records}"),
        duration_ms: 3_600_000,
        cluster: ClusterSpec { brokers: 3, ..Default::default() },
        topics,
        producers: vec![p],
        processors: vec![s1],
        ..Default::default()
    }
}

/// Sanity: every input has exactly one committed output, in hundreds of transactions.
fn assert_exactly_once(out: &kafkasim::RunOutput, records: u32) -> usize {
    let mut outputs = vec![0u8; records as usize];
    for p in out.history.partitions.iter().filter(|p| p.topic == "shipments") {
        for b in &p.leader_replica().expect("leader").log {
            if b.meta.is_none() {
                for r in b.records.iter() {
                    outputs[r as usize] += 1;
                }
            }
        }
    }
    assert!(outputs.iter().all(|&n| n == 1), "every input must have exactly one output");
    let txns = out
        .history
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::TxnEnded { commit: true, result: Ok(()), .. }))
        .count();
    assert!(txns > records as usize / 1000, "expected hundreds of transactions, got {txns}");
    txns
}

fn eos_pipeline(c: &mut Criterion) {
    let scenario = scenario(RECORDS);
    let out = run(&scenario, 1, RunOptions::default()).unwrap();
    let txns = assert_exactly_once(&out, RECORDS);
    eprintln!("eos_pipeline: {} events, {} virtual ms, {txns} transactions per run", out.events, out.virtual_ms);
    drop(out);

    let mut g = c.benchmark_group("eos_pipeline");
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("3p_rf3_exactly_once_v2_100ms_commits_100k", |b| {
        b.iter(|| black_box(run(black_box(&scenario), 1, RunOptions::default()).unwrap()));
    });
    g.finish();
}

criterion_group!(benches, eos_pipeline);
criterion_main!(benches);
