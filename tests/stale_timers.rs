//! Guard timers whose guarded thing completed leave the event queue: an answered request's
//! `RequestTimeout`, a poll's `PollTimeout` once the poll returned records, an acks=all
//! produce's `ProduceTimeout` once it left the purgatory, a parked consumer fetch's
//! `ConsumerFetchWait` once it was answered. They would only have fired to find nothing to do.

mod common;
use common::*;
use kafkasim::record::EventKind;
use kafkasim::{RunOptions, TraceFilter};

/// Three brokers, a producer writing for about a minute (longer than `request.timeout.ms`, so
/// a stale request timeout would have come due) and a consumer that processes each record for
/// 1 ms; no fault.
const QUIET: &str = r#"
name = "quiet"
seed = 1
duration_ms = 200000
[cluster]
brokers = 3
[[topic]]
name = "orders"
partitions = 2
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 300
interval_ms = 200
[producer.config]
acks = "all"
[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
processing_ms = 1
[consumer.config]
"auto.offset.reset" = "earliest"
"#;

fn traced(s: &kafkasim::scenario::Scenario, seed: u64) -> (kafkasim::report::Report, kafkasim::RunOutput) {
    let opts = RunOptions { trace: TraceFilter::all(), ..RunOptions::default() };
    kafkasim::run_seed(s, seed, opts).unwrap()
}

#[test]
fn a_run_whose_requests_are_all_answered_fires_no_request_timeout() {
    let s = inline(QUIET);
    let (report, out) = traced(&s, 1);
    assert!(report.expect.passed, "{:?}", report.expect.failures);
    let requests =
        out.trace.iter().filter(|l| l.contains("Produce p1/0#") || l.contains("ConsumerFetch c1/0#")).count();
    assert!(requests > 300, "the run sends requests ({requests})");
    let fired: Vec<&String> = out.trace.iter().filter(|l| l.contains("RequestTimeout")).collect();
    assert!(fired.is_empty(), "answered requests' timeouts fired: {fired:?}");
    // Nor does a produce's purgatory timeout, or a parked fetch's wait, once answered: every
    // produce here is answered (acks=all, no fault) within its timeout.
    assert!(!out.trace.iter().any(|l| l.contains("ProduceTimeout")));
}

#[test]
fn a_poll_that_returned_records_never_times_out_as_well() {
    let s = inline(QUIET);
    let (_, out) = traced(&s, 1);
    // Each poll either returns records (a Polled event) or times out (its PollTimeout fires);
    // polls are numbered from 1, so with no poll doing both, the count of both is at most the
    // last poll's number (every poll up to the last timed-out one ended one way or the other).
    let fired: Vec<u64> = out
        .trace
        .iter()
        .filter(|l| l.contains("c1/0") && l.contains("timer PollTimeout { poll: "))
        .map(|l| l.rsplit("poll: ").next().unwrap().trim_end_matches(" }").parse().unwrap())
        .collect();
    let last = *fired.iter().max().expect("the consumer idles at the end: its polls time out");
    let polled = out.history.events.iter().filter(|e| matches!(e.kind, EventKind::Polled { .. })).count() as u64;
    assert!(polled > 10, "the consumer got records ({polled} polls)");
    assert!(
        fired.len() as u64 + polled <= last + 1,
        "{} polls timed out and {polled} returned records, of {last} polls: some did both",
        fired.len()
    );
}

/// Regression: the stale guard timers cost a full event each. `two-power-losses` handled
/// 35,451 events before they were cancelled (its producer's answered requests' timeouts
/// alone fired 2,220 times) and 32,233 after.
#[test]
fn cancelled_guard_timers_no_longer_count_as_events() {
    let s = example("two-power-losses");
    let (report, out) = judge(&s, s.seed);
    assert!(report.expect.passed, "{:?}", report.expect.failures);
    assert!(report.events < 33_000, "{} events", report.events);
    // The timeouts left are live ones (their request was never answered).
    assert!(out.events == report.events);
}
