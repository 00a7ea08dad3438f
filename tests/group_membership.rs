//! Group membership beyond the dynamic classic member: static membership (KIP-345), judged
//! through whole runs of the bundled examples and inline scenarios.

mod common;
use common::*;

use kafkasim::record::EventKind;
use kafkasim::report::text::to_text;

/// The generations the members of the run were assigned, in history order, with the time.
fn assignments(s: &kafkasim::scenario::Scenario) -> Vec<(u64, u32, i32)> {
    let (report, out) = judge(s, 1);
    assert!(report.expect.passed, "{}", to_text(&report));
    out.history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Assigned { instance, generation, .. } => Some((e.at, *instance, *generation)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_restarted_static_member_gets_its_partition_back_in_the_same_generation() {
    let a = assignments(&example("static-membership-restart"));
    assert!(a.iter().all(|&(_, _, g)| g == 1), "no rebalance: {a:?}");
    // The three first assignments, then the restarted c1/0's, about 100 ms after its restart.
    assert_eq!(a.len(), 4, "{a:?}");
    let (at, instance, _) = a[3];
    assert_eq!(instance, 0);
    assert!(at < 8_000, "c1/0 restarted at about 7600 ms, assigned at {at} ms");
}

#[test]
fn a_restarted_dynamic_member_makes_the_whole_group_wait_for_the_dead_members_session() {
    let a = assignments(&example("dynamic-member-restart"));
    let second: Vec<_> = a.iter().filter(|&&(_, _, g)| g == 2).collect();
    assert_eq!(second.len(), 3, "every member is assigned again in generation 2: {a:?}");
    // The crash at about 6600 ms; the dead member's session (10 s) ends the join phase.
    assert!(second.iter().all(|&&(at, _, _)| at > 16_000), "{a:?}");
}

#[test]
fn a_static_member_sends_no_leave_group_on_close_but_a_dynamic_one_does() {
    for (instance_id, leaves) in [("\n\"group.instance.id\" = \"app\"", false), ("", true)] {
        let body = format!(
            r#"
name = "close"
duration_ms = 60000
[cluster]
brokers = 1
[[topic]]
name = "orders"
partitions = 1
replication_factor = 1
[[producer]]
name = "p1"
topic = "orders"
records = 10
[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
[consumer.config]
"auto.offset.reset" = "earliest"{instance_id}
"#
        );
        let path = temp_file(&format!("close-{leaves}.toml"), &body);
        let (code, stdout, _) = kafkasim(&["run", &path, "--trace", "groups"]);
        assert_eq!(code, 0, "{stdout}");
        assert_eq!(stdout.contains("LeaveGroup"), leaves, "{stdout}");
    }
}

#[test]
fn group_instance_id_before_2_3_is_an_error_naming_kip_345() {
    let body = r#"
name = "old"
[cluster]
brokers = 1
kafka_version = "2.2"
[[topic]]
name = "orders"
partitions = 1
replication_factor = 1
[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
[consumer.config]
"group.instance.id" = "app"
"#;
    let (code, _, stderr) = kafkasim(&["run", &temp_file("static-2-2.toml", body)]);
    assert_ne!(code, 0);
    assert!(stderr.contains("group.instance.id") && stderr.contains("KIP-345") && stderr.contains("2.3"), "{stderr}");
}

#[test]
fn two_consumers_of_one_group_with_the_same_group_instance_id_are_an_error() {
    let consumer = |name: &str| {
        format!(
            "[[consumer]]\nname = \"{name}\"\ngroup = \"g1\"\ntopics = [\"orders\"]\n[consumer.config]\n\"group.instance.id\" = \"app\"\n"
        )
    };
    let body = format!(
        "name = \"clash\"\n[cluster]\nbrokers = 1\n[[topic]]\nname = \"orders\"\npartitions = 1\nreplication_factor = 1\n{}{}",
        consumer("a"),
        consumer("b")
    );
    let (code, _, stderr) = kafkasim(&["run", &temp_file("static-clash.toml", &body)]);
    assert_ne!(code, 0);
    assert!(stderr.contains("is also consumer `a`") && stderr.contains("fence"), "{stderr}");
}
