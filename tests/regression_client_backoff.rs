//! Backoff on every client retry path (issue 15, item 2). Each test below names the retry loop,
//! the run that showed it spinning, and the rule that now bounds it: Java's `retry.backoff.ms`
//! doubled per failure in a row up to `retry.backoff.max.ms` (KIP-580, `ExponentialBackoff`,
//! without its 20% jitter), the metadata refresh backoff of `Metadata.timeToAllowUpdate` (failed
//! requests and answers that bring nothing new both make the next refresh wait longer, KIP-951),
//! and the producer's reconnect backoff (`reconnect.backoff.ms` 50 doubling to 1 s). Counts are
//! of trace lines and events, never of wall-clock time.

mod common;
use common::inline;

use kafkasim::{run_seed, RunOptions, TraceFilter};

/// The requests of `client` (`p1/0`, `c1/0`) whose API is `api`, in a traced run: the trace line
/// of a handled request names the receiving broker, then the client, then the API.
fn requests(trace: &[String], client: &str, api: &str) -> usize {
    trace
        .iter()
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() == 4 && f[1].starts_with("broker:") && f[2] == client && f[3] == api
        })
        .count()
}

fn traced(src: &str) -> (kafkasim::report::Report, kafkasim::RunOutput) {
    let opts = RunOptions { trace: TraceFilter::all(), max_events: 5_000_000, ..RunOptions::default() };
    run_seed(&inline(src), 1, opts).unwrap()
}

/// Two brokers; `orders` has one replica, so when its leader crashes for good (at 1 s) the
/// partition has no leader for the rest of the minute, and broker 2 answers every metadata
/// request with the same leaderless partition.
const LEADERLESS: &str = r#"
name = "a partition whose only replica crashed for good"
seed = 1
duration_ms = 60000
[cluster]
brokers = 2
[[topic]]
name = "orders"
partitions = 1
replication_factor = 1
[[producer]]
name = "p1"
topic = "orders"
records = 1000
interval_ms = 100
[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
commit = "after-processing"
processing_ms = 0
[[fault]]
at_ms = 1000
action = "crash"
target = "leader:orders/0"
"#;

/// Bug: a producer whose partition had no leader asked for metadata every `retry.backoff.ms`
/// (100 ms), and again at once after every failed metadata request, with no growth: 481
/// metadata requests in the minute of `LEADERLESS`. Fix: the refresh waits
/// `Metadata.timeToAllowUpdate`, which doubles with every equivalent answer to
/// `retry.backoff.max.ms`: 66 requests, about one a second once the backoff is at its cap.
#[test]
fn a_producer_whose_partition_has_no_leader_asks_for_metadata_about_once_a_second() {
    let (_, out) = traced(LEADERLESS);
    let asked = requests(&out.trace, "p1/0", "Metadata");
    assert!((40..=90).contains(&asked), "{asked} metadata requests in 59 s without a leader");
}

/// Bug: the consumer of the same partition asked for metadata every 100 ms too (236 requests
/// in the minute, and 239 refusals: it asked the dead broker in its turn), and each leaderless
/// answer also held back its coordinator lookups. Fix: the consumer's refresh follows the same
/// `Metadata` backoff, delaying only the refresh, and a broker that refused waits out its
/// reconnect backoff and is asked only when no other broker is up (`leastLoadedNode`): 54
/// requests, 1 refusal.
#[test]
fn a_consumer_whose_partition_has_no_leader_asks_for_metadata_about_once_a_second() {
    let (_, out) = traced(LEADERLESS);
    let asked = requests(&out.trace, "c1/0", "Metadata");
    assert!((30..=75).contains(&asked), "{asked} metadata requests in 59 s without a leader");
    let refused = out.trace.iter().filter(|l| l.contains(" c1/0 ") && l.trim_end().ends_with("Refused")).count();
    assert!(refused <= 30, "{refused} refusals");
}

/// Two brokers; the group's coordinator crashes for good at 3 s. Broker 1 keeps naming broker 2
/// as the coordinator (its `__consumer_offsets` partition's leader is not moved before the run
/// ends), and broker 2's machine refuses every request.
const COORDINATOR_GONE: &str = r#"
name = "a coordinator crashed for good"
seed = 1
duration_ms = 60000
[cluster]
brokers = 2
[[topic]]
name = "orders"
partitions = 2
replication_factor = 2
[[producer]]
name = "p1"
topic = "orders"
records = 100
interval_ms = 10
[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
commit = "after-processing"
processing_ms = 0
[[fault]]
at_ms = 3000
action = "crash"
target = "coordinator:group:g1"
"#;

/// Bug: a consumer whose coordinator refused it looked the coordinator up again every 100 ms,
/// was told the same broker, was refused again, and so on: 43 FindCoordinator requests and 85
/// refusals in the 12 s before the run ended. Fix: the lookup backs off as
/// `AbstractCoordinator.ensureCoordinatorReady` does, `retryBackoff.backoff(attempts++)`, and a
/// coordinator that is found but refuses does not reset the count (only an answered request
/// does), and the refusing broker waits out its reconnect backoff: 12 lookups and 12 refusals,
/// the waits doubling to 1 s.
#[test]
fn a_consumer_whose_coordinator_refuses_it_backs_off_its_lookups_exponentially() {
    let (_, out) = traced(COORDINATOR_GONE);
    let lookups: Vec<u64> = out
        .trace
        .iter()
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() == 4 && f[2] == "c1/0" && f[3] == "FindCoordinator"
        })
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .filter(|&at: &u64| at > 3_000)
        .collect();
    assert!((3..=15).contains(&lookups.len()), "{} lookups after the crash: {lookups:?}", lookups.len());
    let gaps: Vec<u64> = lookups.windows(2).map(|w| w[1] - w[0]).collect();
    // 216, 406, 815, then about 1,015 ms: the waits double to `retry.backoff.max.ms`.
    assert!(gaps[0] <= 300 && gaps[2] >= 700, "the waits double: {gaps:?}");
    assert!(gaps[3..].iter().all(|&g| g >= 900), "and stay at their cap: {gaps:?}");
}

/// A single broker, every message delivered in 0 ms (`latency_ms = [0, 0]`, documented as
/// valid), crashed for good at 200 ms under the client `client` (a `[[producer]]`,
/// `[[consumer]]` or `[[processor]]` table, with the producer `p1` feeding it).
fn alone_and_crashed(duration_ms: u64, client: &str) -> String {
    format!(
        r#"
name = "the only broker crashed for good"
seed = 1
duration_ms = {duration_ms}
[cluster]
brokers = 1
[network]
latency_ms = [0, 0]
[[topic]]
name = "orders"
partitions = 1
replication_factor = 1
[[topic]]
name = "out"
partitions = 1
replication_factor = 1
{client}
[[fault]]
at_ms = 200
action = "crash"
target = "broker:1"
"#
    )
}

const PLAIN: &str = "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 100\ninterval_ms = 10\n\
                     [producer.config]\n\"enable.idempotence\" = false\nacks = \"1\"";
const IDEMPOTENT: &str = "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 100\ninterval_ms = 10";
const TRANSACTIONAL: &str = "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 100\ninterval_ms = 10\n\
                             transaction_records = 10\n[producer.config]\n\"transactional.id\" = \"t1\"";
const GROUP: &str = "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 100\ninterval_ms = 10\n\
                     [[consumer]]\nname = \"c1\"\ngroup = \"g\"\ntopics = [\"orders\"]\n\
                     commit = \"after-processing\"\nprocessing_ms = 0";
const EOS: &str = "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 100\ninterval_ms = 10\n\
                   [[processor]]\nname = \"s1\"\ngroup = \"app\"\ninput = \"orders\"\noutput = \"out\"\n\
                   instances = 1\n[processor.config]\n\"processing.guarantee\" = \"exactly_once_v2\"";

fn events(duration_ms: u64, client: &str) -> (u64, u64) {
    let opts = RunOptions { max_events: 5_000_000, ..RunOptions::default() };
    let (report, out) = run_seed(&inline(&alone_and_crashed(duration_ms, client)), 1, opts).unwrap();
    assert!(!out.out_of_events, "the run ended by max_events");
    (report.events, report.virtual_ms)
}

/// Bug (issue 15): with `latency_ms = [0, 0]` and the only broker crashed, virtual time stopped
/// while memory grew: the producer asked for metadata again straight after each refusal, at the
/// same millisecond. The reconnect backoff (`conn.rs`) had already ended that on the code this
/// test was written against; the refresh now also waits `Metadata.timeToAllowUpdate` after a
/// failed request. Every kind of client lets time reach the end of the run (or the run settle)
/// in a few thousand events.
#[test]
fn with_zero_latency_and_the_only_broker_crashed_time_advances_for_every_kind_of_client() {
    for (kind, client) in
        [("plain", PLAIN), ("idempotent", IDEMPOTENT), ("transactional", TRANSACTIONAL), ("group", GROUP), ("eos", EOS)]
    {
        let (events, virtual_ms) = events(60_000, client);
        assert!(virtual_ms >= 10_000, "{kind}: virtual time stopped at {virtual_ms} ms");
        assert!(events < 5_000, "{kind}: {events} events in {virtual_ms} ms");
    }
}

/// Bug (issue 15): the only broker crashed for good under an `exactly_once_v2` processor cost
/// 12.4M events at 120 s of virtual time and 53M at 240 s; on the code this test was written
/// against it cost 2,882, 5,723 and 11,547 events at 60, 120 and 240 s (48 events a second
/// after the crash, mostly lookups and metadata requests every 100 ms) against a plain
/// producer's 389, 630 and 773. Fix: every retry loop backs off to 1 s; the processor costs
/// 1,369, 2,590 and 5,174, about 21 a second, which is its poll loop (a 100 ms poll timeout)
/// and heartbeats, not retries. Events grow linearly with virtual time.
#[test]
fn an_exactly_once_processor_without_a_broker_costs_events_linear_in_time_and_near_its_poll_loop() {
    let e: Vec<u64> = [60_000, 120_000, 240_000].iter().map(|&d| events(d, EOS).0).collect();
    assert!(e[1] <= e[0] * 22 / 10 && e[2] <= e[1] * 22 / 10, "not linear: {e:?}");
    let per_second = (e[2] - e[0]) / 180;
    assert!(per_second <= 30, "{per_second} events a second after the crash ({e:?})");
    let plain = events(240_000, PLAIN).0;
    assert!(e[2] <= plain * 10, "{} events against a plain producer's {plain}", e[2]);
}
