//! The KIP-848 consumer group protocol (`group.protocol = "consumer"`, Kafka 4.0+), judged
//! through whole runs of `consumer-protocol-member-restart.toml` beside its classic twin
//! `classic-member-restart-4-0.toml`, and the config rules Kafka's client enforces.

mod common;
use common::*;

use kafkasim::record::{Anomaly, EventKind};
use kafkasim::scenario::{GroupProtocol, Scenario};

/// When instance `k` was first assigned a non-empty set of partitions after `after`.
fn first_assigned_after(s: &Scenario, k: u32, after: u64) -> Option<u64> {
    let (_, out) = judge(s, 1);
    out.history.events.iter().find_map(|e| match &e.kind {
        EventKind::Assigned { instance, partitions, .. }
            if *instance == k && e.at > after && !partitions.is_empty() =>
        {
            Some(e.at)
        }
        _ => None,
    })
}

#[test]
fn the_two_examples_differ_only_in_the_group_protocol() {
    let (mut classic, consumer) = (example("classic-member-restart-4-0"), example("consumer-protocol-member-restart"));
    assert_eq!(consumer.consumers[0].config.group_protocol, GroupProtocol::Consumer);
    assert_eq!(classic.consumers[0].config.group_protocol, GroupProtocol::Classic);
    classic.consumers[0].config.group_protocol = GroupProtocol::Consumer;
    assert_eq!((classic.consumers, classic.faults), (consumer.consumers, consumer.faults));
}

#[test]
fn consumer_protocol_members_keep_processing_while_the_dead_members_partition_waits() {
    // c1/0 crashes at about 15 s and restarts at about 16 s; the producer writes until 30 s.
    let n = processed_by_others(&example("consumer-protocol-member-restart"), 0, (17_000, 30_000));
    // A record every 5 ms, two thirds of them to c1/1's and c1/2's partitions: about 1700.
    assert!(n > 1_500, "c1/1 and c1/2 processed only {n} records from 17 s to 30 s");
}

#[test]
fn classic_members_stop_until_the_dead_members_session_expires() {
    // They hear of the rebalance at their next heartbeat (3 s), commit, revoke and wait.
    assert_eq!(processed_by_others(&example("classic-member-restart-4-0"), 0, (20_000, 60_000)), 0);
}

#[test]
fn the_restarted_member_gets_a_partition_only_after_the_dead_members_session_expired() {
    // The crash at about 15 s, the broker's group.consumer.session.timeout.ms 45 s.
    let at = first_assigned_after(&example("consumer-protocol-member-restart"), 0, 16_000).expect("assigned");
    assert!((60_000..63_000).contains(&at), "c1/0 was assigned a partition at {at} ms");
}

#[test]
fn a_crash_repeats_the_same_records_under_both_protocols() {
    let (a, _) = judge(&example("classic-member-restart-4-0"), 1);
    let (b, _) = judge(&example("consumer-protocol-member-restart"), 1);
    let dups = |r: &kafkasim::report::Report| r.anomalies[Anomaly::DuplicateProcessing];
    assert!(dups(&a) > 50 && dups(&b) > 50, "{} {}", dups(&a), dups(&b));
    // The crash fires when the group has processed 3100 records; the protocols split those
    // among the members a record or two differently.
    assert!(dups(&a).abs_diff(dups(&b)) <= 2, "auto-commit's window decides what a crash repeats, not the protocol");
}

#[test]
fn group_protocol_consumer_before_4_0_is_an_error_naming_kip_848() {
    let mut body = std::fs::read_to_string("examples/scenarios/consumer-protocol-member-restart.toml").unwrap();
    body = body.replacen("kafka_version = \"4.0\"", "kafka_version = \"3.9\"", 1);
    let path = temp_file("kip848-3-9.toml", &body);
    let (code, _, stderr) = kafkasim(&["run", &path]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("group.protocol") && stderr.contains("KIP-848") && stderr.contains("4.0"), "{stderr}");
}

#[test]
fn session_timeout_is_refused_with_the_consumer_protocol_even_at_its_default_value() {
    let body = std::fs::read_to_string("examples/scenarios/consumer-protocol-member-restart.toml").unwrap();
    for key in [
        "\"session.timeout.ms\" = 45000",
        "\"heartbeat.interval.ms\" = 3000",
        "\"partition.assignment.strategy\" = \"range\"",
    ] {
        let bad =
            body.replacen("\"group.protocol\" = \"consumer\"", &format!("\"group.protocol\" = \"consumer\"\n{key}"), 1);
        let path = temp_file("kip848-classic-key.toml", &bad);
        let (code, _, stderr) = kafkasim(&["run", &path]);
        assert_eq!(code, 2, "{key}: {stderr}");
        let name = key.split('"').nth(1).unwrap();
        assert!(stderr.contains(name) && stderr.contains("cannot be set"), "{stderr}");
    }
}

#[test]
fn one_group_cannot_mix_classic_and_consumer_protocol_members() {
    let mut s = example("consumer-protocol-member-restart");
    let mut other = s.consumers[0].clone();
    other.name = "c2".into();
    other.config.group_protocol = GroupProtocol::Classic;
    s.consumers.push(other);
    let problems = s.validate().unwrap_err();
    assert!(problems.iter().any(|p| p.message.contains("different `group.protocol`")), "{problems:?}");
}

#[test]
fn a_consumer_protocol_scenario_is_written_back_as_it_was_loaded() {
    let s = example("consumer-protocol-member-restart");
    let text = kafkasim::scenario::to_toml(&s);
    assert!(text.contains("\"group.protocol\" = \"consumer\""), "{text}");
    assert_eq!(kafkasim::scenario::parse_str(&text, "written.toml").unwrap(), s);
}
