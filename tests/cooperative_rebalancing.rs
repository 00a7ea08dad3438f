//! Incremental cooperative rebalancing (KIP-429, `partition.assignment.strategy =
//! "cooperative-sticky"`), judged through whole runs against the eager range default.

mod common;
use common::*;

use kafkasim::record::EventKind;
use kafkasim::report::text::to_text;
use kafkasim::scenario::{AssignmentStrategy, ConsumerConfig, Scenario};

/// Every `Assigned` of the run: (time, instance, generation, partitions).
fn assignments(s: &Scenario) -> Vec<(u64, u32, i32, Vec<u32>)> {
    let (report, out) = judge(s, 1);
    assert!(report.expect.passed, "{}", to_text(&report));
    out.history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Assigned { instance, generation, partitions, .. } => {
                Some((e.at, *instance, *generation, partitions.to_vec()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn the_default_strategy_is_range_with_the_eager_protocol() {
    assert_eq!(ConsumerConfig::default().assignment_strategy, AssignmentStrategy::Range);
    let s = example("dynamic-member-restart");
    assert!(s.consumers.iter().all(|c| c.config.assignment_strategy == AssignmentStrategy::Range));
}

#[test]
fn eager_members_stop_while_a_restarted_member_waits_for_the_dead_ones_session() {
    // c1/0 crashes at 6606 ms and restarts at 7606 ms; the others hear of the rebalance at their
    // next heartbeat (by about 9100 ms) and the join phase ends at about 16600 ms.
    assert_eq!(processed_by_others(&example("dynamic-member-restart"), 0, (9_500, 16_000)), 0);
}

#[test]
fn cooperative_members_keep_processing_their_partitions_while_the_restarted_member_joins() {
    let n = processed_by_others(&example("cooperative-member-restart"), 0, (9_500, 16_000));
    // The producer writes a record every 5 ms until about 15 s, two thirds of them to c1/1's
    // and c1/2's partitions: about 730 from 9.5 s, and they keep up with them.
    assert!(n > 600, "c1/1 and c1/2 processed {n} records during the rebalance");
}

#[test]
fn cooperative_sticky_before_2_4_is_an_error_naming_kip_429() {
    let mut body = std::fs::read_to_string("examples/scenarios/cooperative-member-restart.toml").unwrap();
    body = body.replacen("brokers = 3\n", "brokers = 3\nkafka_version = \"2.3\"\n", 1);
    let path = temp_file("coop-2-3.toml", &body);
    let (code, _, stderr) = kafkasim(&["run", &path]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cooperative-sticky") && stderr.contains("KIP-429") && stderr.contains("2.4"), "{stderr}");
    let ok = body.replacen("kafka_version = \"2.3\"", "kafka_version = \"2.4\"", 1);
    let path = temp_file("coop-2-4.toml", &ok);
    let (code, stdout, stderr) = kafkasim(&["run", &path]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn a_late_member_gets_partitions_only_in_a_second_rebalance_after_their_owner_revoked_them() {
    let a = assignments(&example("cooperative-late-member"));
    // c1/2 is down until 8 s; c1/0 and c1/1 share the six partitions at generation 1.
    let late: Vec<_> = a.iter().filter(|x| x.1 == 2).collect();
    assert!(late.len() >= 2, "{a:?}");
    let (_, _, g_first, first) = late[0];
    assert!(first.is_empty(), "the moving partitions are withheld at first: {a:?}");
    let (_, _, g_second, second) = late[1];
    assert_eq!(*g_second, g_first + 1, "{a:?}");
    assert_eq!(second.len(), 2, "{a:?}");
    // No partition is ever assigned to two members of one generation, and the owners of
    // generation 1 keep what they are not asked to give up.
    for g in 1..=*g_second {
        let mut seen: Vec<u32> = Vec::new();
        for (_, _, _, parts) in a.iter().filter(|x| x.2 == g) {
            for p in parts {
                assert!(!seen.contains(p), "partition {p} twice in generation {g}: {a:?}");
                seen.push(*p);
            }
        }
    }
    let owned_at = |i: u32, g: i32| a.iter().rev().find(|x| x.1 == i && x.2 <= g).map(|x| x.3.clone());
    for i in [0, 1] {
        let (before, after) = (owned_at(i, 1).unwrap(), owned_at(i, *g_second).unwrap());
        assert!(after.iter().all(|p| before.contains(p)), "c1/{i} kept {after:?} of {before:?}");
        assert_eq!(after.len(), 2, "{a:?}");
    }
}

#[test]
fn a_late_member_under_eager_range_stops_the_whole_group_once() {
    let mut s = example("cooperative-late-member");
    s.consumers[0].config.assignment_strategy = AssignmentStrategy::Range;
    let a = assignments(&s);
    let generations: Vec<i32> = a.iter().map(|x| x.2).collect();
    assert_eq!(generations.iter().max(), Some(&2), "one rebalance: {a:?}");
    assert!(a.iter().filter(|x| x.2 == 2).all(|x| x.3.len() == 2), "{a:?}");
}
