//! (g) `timeline_page`: what the timeline page costs on a 100,000-record run
//! (benches/scenarios/timeline-100k.toml: acks=1, two partitions, a group of two members, a
//! pause, a leader crash and a power loss). Three figures: the run alone, the run collecting its
//! timeline (`RunOptions::timeline`), and the run plus the whole page (`--html`). Target: the
//! page adds under 20% to the run; the page is under 5 MB (it is 2.2 MB).
//!
//! Met: on a quiet 2-core machine the run takes 306 ms, collecting its timeline 309 ms and the
//! run with its page 331 ms, so the page adds 8% (criterion). By instructions (callgrind,
//! `kafkasim run` of the scenario without and with `--html`) it adds 19%: 800M → 954M, from
//! +30% before the page's JSON writer, model and collector were reworked and the trace lines
//! were written into one buffer (`World::render`). What is left of the 154M: the page model
//! (57M: the stories' two scans of the history, 25M; the replica lanes, 19M), watching the
//! replicas after each broker step (47M, mostly cache misses on the brokers' replicas), the JSON
//! (27M) and the trace lines the page keeps.
//!
//! `cargo bench --bench timeline`

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use kafkasim::{run_seed, RunOptions};

fn timeline_page(c: &mut Criterion) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/scenarios/timeline-100k.toml");
    let scenario = kafkasim::scenario::load_file(std::path::Path::new(path)).expect("the bench's scenario loads");
    let on = RunOptions { timeline: true, ..RunOptions::default() };
    let (report, out) = run_seed(&scenario, 1, on).unwrap();
    let page = kafkasim::report::timeline::html(&scenario, &report, &out).unwrap();
    eprintln!("timeline_page: {} events, {} virtual ms, page {} bytes", out.events, out.virtual_ms, page.len());
    assert!(page.len() < 5_000_000, "the page of a 100,000-record run must stay under 5 MB");
    drop((report, out, page));

    let mut g = c.benchmark_group("timeline_page");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.bench_function("run_100k", |b| {
        b.iter(|| black_box(run_seed(black_box(&scenario), 1, RunOptions::default()).unwrap()));
    });
    g.bench_function("run_100k_collecting_timeline", |b| {
        b.iter(|| black_box(run_seed(black_box(&scenario), 1, on).unwrap()));
    });
    g.bench_function("run_100k_and_page", |b| {
        b.iter(|| {
            let (report, out) = run_seed(black_box(&scenario), 1, on).unwrap();
            black_box(kafkasim::report::timeline::html(&scenario, &report, &out).unwrap())
        });
    });
    g.finish();
}

criterion_group!(benches, timeline_page);
criterion_main!(benches);
