//! A run that reaches `duration_ms` with client work outstanding says so: `settled: false`,
//! what it waited for, and the records it leaves neither lost nor done, counted apart.

mod common;
use common::*;

use kafkasim::record::Anomaly;
use kafkasim::report::json::to_json_line;
use kafkasim::report::text::to_text;

/// A group that cannot finish 2000 records at 5 ms each within 3 s.
const CUT_SHORT: &str = r#"name = "cut short"
duration_ms = 3000
[[topic]]
name = "orders"
partitions = 2
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 2000
interval_ms = 1
[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
commit = "after-processing"
processing_ms = 5
"#;

#[test]
fn a_run_cut_short_counts_the_records_its_group_had_not_reached_as_unsettled_not_lost() {
    let (report, _) = judge(&inline(CUT_SHORT), 1);
    assert!(!report.settled);
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0);
    assert_eq!(report.unsettled.get("c1"), Some(&2000), "{:?}", report.unsettled);
    let text = to_text(&report);
    assert!(text.contains("warning: the run stopped at duration_ms (3000 ms) before it settled"), "{text}");
    assert!(text.contains("consumer c1/0 is in a rebalance"), "the hint names what it waited for: {text}");
    let json: serde_json::Value = serde_json::from_str(&to_json_line(&report)).unwrap();
    assert_eq!(json["settled"], false);
    assert_eq!(json["ended"], "duration_ms");
    assert_eq!(json["unsettled"]["c1"], 2000);
}

#[test]
fn a_producer_cut_short_counts_its_unresolved_sends_as_unsettled() {
    let s = inline(&CUT_SHORT.replace("duration_ms = 3000", "duration_ms = 500"));
    let (report, _) = judge(&s, 1);
    assert!(!report.settled);
    let p1 = report.unsettled.get("p1").copied().unwrap_or(0);
    assert!(p1 > 0 && p1 < 2000, "{:?}", report.unsettled);
    assert!(to_text(&report).contains("producer p1 has not finished its work"));
}

#[test]
fn a_settled_run_reports_settled_and_leaves_unsettled_out_of_the_json() {
    let s = inline(&CUT_SHORT.replace("duration_ms = 3000", "duration_ms = 120000"));
    let (report, _) = judge(&s, 1);
    assert!(report.settled);
    assert!(report.unsettled.is_empty());
    let line = to_json_line(&report);
    assert!(line.contains("\"settled\":true") && !line.contains("unsettled"), "{line}");
    assert!(line.contains("\"ended\":\"settled\""), "{line}");
    assert!(!to_text(&report).contains("warning:"));
}

/// Issue 15, item 3: a group auto-committing every 100 ms kept a run going until `duration_ms`
/// (300 s of virtual time, 42,000 events) although every record was processed and committed
/// within seconds. Each auto-commit writes to `__consumer_offsets`, and a follower learns the
/// high watermark of a write only from the fetch answer after the one that brought it, which
/// waits for the next write: the settle check, which wanted every follower's high watermark
/// equal to the leader's, never passed. Now a follower of `__consumer_offsets` that holds the
/// leader's whole log counts as caught up, and the run ends when its work does.
#[test]
fn a_group_auto_committing_every_100_ms_lets_the_run_end_when_its_work_is_done() {
    let s = inline(
        &(CUT_SHORT
            .replace("duration_ms = 3000", "duration_ms = 300000")
            .replace("commit = \"after-processing\"\nprocessing_ms = 5", "commit = \"auto\"\nprocessing_ms = 1")
            + "[consumer.config]\n\"enable.auto.commit\" = true\n\"auto.commit.interval.ms\" = 100\n\"auto.offset.reset\" = \"earliest\"\n"),
    );
    let (report, _) = judge(&s, 1);
    assert!(report.settled, "{}", to_text(&report));
    assert_eq!(report.ended, kafkasim::record::EndReason::Settled);
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0);
    assert!(report.virtual_ms < 30_000, "the run ended at {} ms", report.virtual_ms);
}

/// Issue 15, item 3, its second half: a member with nothing to read (it starts at the log end,
/// `auto.offset.reset = latest`) polls every 100 ms and auto-commits its unchanged positions at
/// each poll, in step with the world's settle checks, which therefore always found an
/// asynchronous commit in flight and judged the group undrained: the run went on to
/// `duration_ms`. A commit that only repeats offsets the member already saw committed no
/// longer holds the end back (`close()` commits the positions again).
#[test]
fn an_idle_member_re_committing_the_same_offsets_does_not_keep_the_run_going() {
    let s = inline(
        &(CUT_SHORT
            .replace("duration_ms = 3000", "duration_ms = 300000")
            .replace("commit = \"after-processing\"\nprocessing_ms = 5", "commit = \"auto\"\nprocessing_ms = 1")
            + "[consumer.config]\n\"enable.auto.commit\" = true\n\"auto.commit.interval.ms\" = 100\n"),
    );
    let (report, _) = judge(&s, 1);
    assert!(report.settled, "{}", to_text(&report));
    assert!(report.virtual_ms < 30_000, "the run ended at {} ms", report.virtual_ms);
}
