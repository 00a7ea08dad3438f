//! (b) `nemesis_seeds`: seeds per second for 3 brokers, 1 topic with 1 partition at RF 3 and
//! `min.insync.replicas = 2`, 1,000 records one per ms, and a broker nemesis (crash,
//! power-loss, isolate, pause) over a 120 s run. Each iteration runs a different seed.
//! Target: >= 500 seeds/s.
//!
//! `cargo bench --bench nemesis_seeds`

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kafkasim::world::{run, RunOptions};

fn nemesis_seeds(c: &mut Criterion) {
    let scenario = common::nemesis();
    // What a typical seed does, so the figure can be read against the work done. A run ends
    // as soon as the workload is resolved and every fault has healed, usually well before
    // the 120 s bound.
    const PROBE: u64 = 200;
    let (mut events, mut virt, mut max_virt, mut faults, mut at_bound) = (0u64, 0u64, 0u64, 0usize, 0u32);
    for seed in 0..PROBE {
        let out = run(&scenario, seed, RunOptions::default()).unwrap();
        events += out.events;
        virt += out.virtual_ms;
        max_virt = max_virt.max(out.virtual_ms);
        at_bound += u32::from(out.virtual_ms >= scenario.duration_ms);
        faults +=
            out.history.events.iter().filter(|e| matches!(e.kind, kafkasim::record::EventKind::Fault { .. })).count();
    }
    eprintln!(
        "nemesis_seeds: over {PROBE} seeds: mean {} events, mean {} virtual ms (max {max_virt}), \
         {:.1} faults per seed, {at_bound} seeds ran to the {} ms bound",
        events / PROBE,
        virt / PROBE,
        faults as f64 / PROBE as f64,
        scenario.duration_ms,
    );

    let mut g = c.benchmark_group("nemesis_seeds");
    g.throughput(Throughput::Elements(1));
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(15));
    g.bench_function("3b_1p_rf3_minisr2_1k_records_120s", |b| {
        let mut seed = 0u64;
        b.iter(|| {
            seed += 1;
            black_box(run(black_box(&scenario), seed, RunOptions::default()).unwrap())
        });
    });
    g.finish();
}

criterion_group!(benches, nemesis_seeds);
criterion_main!(benches);
