//! `commit = "after-processing-async"`: Java's commitAsync loop (`ConsumerCoordinator.
//! commitOffsetsAsync`: sent once, never retried, a later commit supersedes a failed one) with
//! `commitSync()` on revocation and before `close()`, as the usual pattern does; judged from
//! the history against its synchronous twin under a coordinator failover.

mod common;
use common::*;

use kafkasim::record::{Anomaly, EventKind, History};
use kafkasim::report::text::to_text;
use kafkasim::scenario::{to_toml, CommitMode};

/// The OffsetCommit events of consumer 0's instance `instance` up to time `until`: (time,
/// offset of the first partition committed, success).
fn commits(h: &History, instance: u32, until: u64) -> Vec<(u64, u64, bool)> {
    all_commits(h, instance, until).into_iter().map(|(at, o, ok)| (at, o.first().map_or(0, |x| x.1), ok)).collect()
}

/// One OffsetCommit event: (time, every (partition, offset) committed, success).
type Commit = (u64, Vec<(u32, u64)>, bool);

/// The same with every (partition, offset) committed.
fn all_commits(h: &History, instance: u32, until: u64) -> Vec<Commit> {
    h.events
        .iter()
        .filter(|e| e.at <= until)
        .filter_map(|e| match &e.kind {
            EventKind::OffsetCommit { consumer: 0, instance: i, offsets, result } if *i == instance => {
                Some((e.at, offsets.to_vec(), result.is_ok()))
            }
            _ => None,
        })
        .collect()
}

/// Time of the first fault on a broker (the coordinator's), or on a client when `broker` is false.
fn fault_at(h: &History, broker: bool) -> u64 {
    h.events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Fault { broker: b, .. } if b.is_some() == broker => Some(e.at),
            _ => None,
        })
        .expect("the fault fired")
}

/// Records processed by the group up to time `until`.
fn processed_until(h: &History, until: u64) -> usize {
    h.events
        .iter()
        .filter(|e| e.at <= until)
        .map(|e| match &e.kind {
            EventKind::Processed { records, .. } => records.len(),
            _ => 0,
        })
        .sum()
}

/// `coordinator-failover.toml` with the commit placement `commit`.
fn failover(commit: &str) -> kafkasim::scenario::Scenario {
    let src = std::fs::read_to_string("examples/scenarios/coordinator-failover.toml").unwrap();
    inline(&src.replace("commit = \"after-processing\"", &format!("commit = \"{commit}\"")))
}

#[test]
fn a_failed_commit_async_is_not_retried_so_its_offsets_are_never_committed() {
    let (report, out) = judge(&failover("after-processing-async"), 1);
    let h = &out.history;
    let all = commits(h, 0, u64::MAX);
    let failed: Vec<u64> = all.iter().filter(|c| !c.2).map(|c| c.1).collect();
    assert!(failed.len() >= 5, "commits while the coordinator is away fail: {all:?}");
    // Only close()'s commitSync of the end commits an offset a failed commitAsync carried.
    for &(_, offset, ok) in &all {
        assert!(!ok || offset == 2000 || !failed.contains(&offset), "a failed commit of {offset} was retried: {all:?}");
    }
    // The only successful commit after the crash is close()'s commitSync of the end.
    let crash = fault_at(h, true);
    let later: Vec<_> = all.iter().filter(|c| c.0 > crash && c.2).collect();
    assert_eq!(later.len(), 1, "{all:?}");
    assert_eq!(later[0].1, 2000);
    assert_eq!(report.anomalies[Anomaly::DuplicateProcessing], 0, "{}", to_text(&report));
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0);
}

#[test]
fn the_async_loop_keeps_processing_while_the_sync_loop_waits_for_the_new_coordinator() {
    for (commit, processed_before_it_returns) in [("after-processing", 521), ("after-processing-async", 2000)] {
        let (_, out) = judge(&failover(commit), 1);
        let h = &out.history;
        let crash = fault_at(h, true);
        let back = commits(h, 0, u64::MAX).iter().find(|c| c.0 > crash && c.2).expect("a commit after the crash").0;
        assert_eq!(processed_until(h, back), processed_before_it_returns, "{commit}");
    }
}

#[test]
fn close_in_the_async_loop_commits_the_final_positions_synchronously() {
    let (report, out) = judge(&failover("after-processing-async"), 1);
    let last = commits(&out.history, 0, u64::MAX).last().copied().expect("a commit");
    assert_eq!((last.1, last.2), (2000, true));
    assert_eq!(processed_until(&out.history, last.0 - 1), 2000, "close() comes after the drain");
    assert_eq!(report.consumers["c1"].committed.get("orders/0").copied(), Some(2000));
}

#[test]
fn a_later_commit_async_supersedes_a_failed_one() {
    // The producer writes for 20 s, so the loop commits again once the new coordinator answers.
    let src = std::fs::read_to_string("examples/scenarios/coordinator-failover.toml").unwrap();
    let s = inline(
        &src.replace("commit = \"after-processing\"", "commit = \"after-processing-async\"")
            .replace("interval_ms = 1", "interval_ms = 10"),
    );
    let (report, out) = judge(&s, 1);
    let all = commits(&out.history, 0, u64::MAX);
    let first_failure = all.iter().position(|c| !c.2).expect("a failed commit");
    let worst = all[first_failure..].iter().take_while(|c| !c.2).map(|c| c.1).max().unwrap();
    let next = all[first_failure..].iter().find(|c| c.2).expect("a later successful commit");
    assert!(next.1 > worst, "the next successful commit {next:?} covers the failed {worst}: {all:?}");
    assert!(all.iter().filter(|c| c.2).count() > 2 + first_failure, "the loop commits after the failover");
    assert_eq!(report.anomalies[Anomaly::DuplicateProcessing], 0, "{}", to_text(&report));
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0);
    assert_eq!(report.consumers["c1"].committed.get("orders/0").copied(), Some(2000));
}

/// Two partitions, two members; member 1 crashes mid-run and comes back, so the group rebalances
/// while member 0 is consuming.
fn rebalance(commit: &str) -> kafkasim::scenario::Scenario {
    inline(&format!(
        r#"
name = "rebalance"
duration_ms = 200000
[cluster]
brokers = 3
[cluster.config]
"min.insync.replicas" = 2
[[topic]]
name = "orders"
partitions = 2
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 4000
keys = 20
interval_ms = 5
[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
instances = 2
commit = "{commit}"
processing_ms = 1
[consumer.config]
"auto.offset.reset" = "earliest"
"max.poll.records" = 50
"session.timeout.ms" = 6000
"heartbeat.interval.ms" = 1000
[[fault]]
after = "c1 processed 600"
action = "crash"
target = "consumer:c1/1"
restart_after_ms = 500
"#
    ))
}

#[test]
fn revocation_in_the_async_loop_commits_the_positions_synchronously_before_the_rejoin() {
    for commit in ["after-processing-async", "after-processing"] {
        let (report, out) = judge(&rebalance(commit), 1);
        let h = &out.history;
        let regen = h
            .events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Assigned { consumer: 0, instance: 0, generation, .. } if *generation >= 2 => Some(e.at),
                _ => None,
            })
            .expect("member 0 joins a second generation");
        let before = all_commits(h, 0, regen);
        let n = before.len();
        assert!(n >= 2, "{commit}: {before:?}");
        let (last, prev) = (&before[n - 1], &before[n - 2]);
        if commit == "after-processing-async" {
            // The batch's commitAsync, then onPartitionsRevoked's commitSync of the same positions.
            assert!(last.2 && last.1 == prev.1, "{commit}: {before:?}");
        } else {
            assert!(before.windows(2).all(|w| w[0].1 != w[1].1), "{commit}: no revocation commit: {before:?}");
        }
        assert_eq!(report.anomalies[Anomaly::LostProcessing], 0, "{commit}: {}", to_text(&report));
    }
}

#[test]
fn the_sync_twin_repeats_part_of_one_batch_and_the_async_one_everything_since_its_last_good_commit() {
    let (sync, _) = judge(&example("coordinator-failover-commit-sync"), 1);
    assert!(sync.expect.passed, "{}", to_text(&sync));
    let dup = sync.anomalies[Anomaly::DuplicateProcessing];
    assert!(dup > 0 && dup <= 100, "{}", to_text(&sync));

    let (report, out) = judge(&example("coordinator-failover-commit-async"), 1);
    assert!(report.expect.passed, "{}", to_text(&report));
    let h = &out.history;
    let crash = fault_at(h, false);
    let last_good = commits(h, 0, crash).iter().rev().find(|c| c.2).expect("a commit before the crash").1;
    assert_eq!(last_good, 421, "no commit succeeds between the coordinator's crash and the consumer's");
    assert_eq!(processed_until(h, crash), 1500);
    assert_eq!(report.anomalies[Anomaly::DuplicateProcessing], 1500 - last_good, "{}", to_text(&report));
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0);
    assert_eq!(report.semantics["c1"].delivery, "at-least-once");
}

#[test]
fn after_processing_async_loads_promises_at_least_once_and_writes_back_unchanged() {
    let s = example("coordinator-failover-commit-async");
    assert_eq!(s.consumers[0].commit, CommitMode::Async);
    assert!(!s.consumers[0].config.enable_auto_commit);
    let text = to_toml(&s);
    assert!(text.contains("commit = \"after-processing-async\""), "{text}");
    assert_eq!(inline(&text), s);
}

#[test]
fn after_processing_async_with_enable_auto_commit_is_rejected() {
    let src = std::fs::read_to_string("examples/scenarios/coordinator-failover-commit-async.toml").unwrap();
    let bad = src.replace("\"max.poll.records\" = 100", "\"max.poll.records\" = 100\n\"enable.auto.commit\" = true");
    let e = kafkasim::scenario::parse_str(&bad, "s.toml").unwrap_err().to_string();
    assert!(e.contains("\"enable.auto.commit\" = true contradicts commit = \"after-processing-async\""), "{e}");
}
