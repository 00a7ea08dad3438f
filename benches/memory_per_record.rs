//! (c) `memory_per_record`: peak heap bytes per record for 10,000,000 records on RF 3
//! (1 topic, 3 partitions, 3 brokers, no faults, all sent at once). Target: <= 200 B/record.
//!
//! A counting global allocator wraps the system allocator and tracks current and peak live
//! bytes; the run is done once (it is deterministic) and the figure printed.
//!
//! `cargo bench --bench memory_per_record [-- RECORDS [PARTITIONS]]`

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use kafkasim::world::{run, RunOptions};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(n: usize) {
    let now = CURRENT.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

fn shrink(n: usize) {
    CURRENT.fetch_sub(n, Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`; the wrapper only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            grow(l.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(l);
        if !p.is_null() {
            grow(l.size());
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        shrink(l.size());
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        let q = System.realloc(p, l, new_size);
        if !q.is_null() {
            if new_size > l.size() {
                grow(new_size - l.size());
            } else {
                shrink(l.size() - new_size);
            }
        }
        q
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    // `cargo bench` passes `--bench`; take the first two numeric arguments, if any.
    let nums: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let records = nums.first().copied().unwrap_or(10_000_000) as u32;
    let partitions = nums.get(1).copied().unwrap_or(3) as u32;

    let mut scenario = common::replication(partitions, records);
    // 10M records need more than the default 120 s of virtual time to drain; the bound only
    // stops the run, it costs nothing while the run is busy.
    scenario.duration_ms = 24 * 3_600_000;
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    let start = Instant::now();
    let out = run(&scenario, 1, RunOptions::default()).unwrap();
    let wall = start.elapsed();
    let peak = PEAK.load(Relaxed) - base;
    let retained = CURRENT.load(Relaxed) - base;
    let acked = common::acked_records(&out);
    assert_eq!(acked, records as usize, "every record must be acknowledged (virtual {} ms)", out.virtual_ms);
    let r = records as f64;
    println!("memory_per_record: {records} records, 1 topic x {partitions} partitions, RF 3, acks=all, idempotent, interval 0, no faults");
    println!("  wall time              {:.2} s ({:.0} records/s)", wall.as_secs_f64(), r / wall.as_secs_f64());
    println!("  virtual time           {} ms", out.virtual_ms);
    println!("  events                 {}", out.events);
    println!("  history events         {}", out.history.events.len());
    println!("  peak heap              {:.1} MiB", peak as f64 / (1u64 << 20) as f64);
    println!("  peak heap per record   {:.1} B (target <= 200)", peak as f64 / r);
    println!("  retained by RunOutput  {:.1} B per record", retained as f64 / r);
}
