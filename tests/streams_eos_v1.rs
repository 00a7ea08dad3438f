//! Kafka Streams `processing.guarantee = "exactly_once"` (v1, KIP-98/KIP-129, releases 0.11 to
//! 3.9): one transactional producer per task, `transactional.id` `<application.id>-0_<partition>`,
//! offsets sent with the group id only; a task's next owner fences its zombie through
//! InitProducerId of the same id. The checker judges it exactly-once.

mod common;
use common::*;

use std::collections::BTreeSet;

use kafkasim::report::text::to_text;
use kafkasim::scenario::{parse_str, ProcessingGuarantee};

/// A processor running `exactly_once` on `version`.
fn eos_v1_on(version: &str) -> String {
    format!(
        r#"name = "v1"
[cluster]
brokers = 3
kafka_version = "{version}"
[[topic]]
name = "orders"
partitions = 3
replication_factor = 3
[[topic]]
name = "shipments"
partitions = 3
replication_factor = 3
[[producer]]
name = "p1"
topic = "orders"
records = 10
[[processor]]
name = "s1"
group = "app"
input = "orders"
output = "shipments"
[processor.config]
"processing.guarantee" = "exactly_once"
"#
    )
}

#[test]
fn exactly_once_is_accepted_from_0_11_to_3_9_and_refused_before_and_from_4_0_with_the_reason() {
    for v in ["0.11", "1.1", "2.5", "2.8", "3.0", "3.9"] {
        let s = parse_str(&eos_v1_on(v), "v1.toml").unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(s.processors[0].config.processing_guarantee, ProcessingGuarantee::ExactlyOnce);
        assert_eq!(s.processors[0].config.commit_interval_ms, 100, "{v}: Streams' exactly-once default");
    }
    for (v, why) in [("4.0", "removed in Kafka Streams 4.0 (KIP-732)"), ("4.1", "KIP-732"), ("0.10", "0.11")] {
        let e = parse_str(&eos_v1_on(v), "v1.toml").unwrap_err().to_string();
        assert!(e.contains("`exactly_once` (one producer per task) is not available in Kafka"), "{v}: {e}");
        assert!(e.contains(why), "{v}: {e}");
    }
}

#[test]
fn a_fault_may_target_the_coordinator_of_a_tasks_transactional_id_not_of_an_instances() {
    let fault =
        |id: &str| format!("[[fault]]\nat_ms = 100\naction = \"crash\"\ntarget = \"coordinator:transaction:{id}\"\n");
    for t in ["app-0_0", "app-0_1", "app-0_2"] {
        parse_str(&(eos_v1_on("2.8") + &fault(t)), "v1.toml").unwrap_or_else(|e| panic!("{t}: {e}"));
    }
    let e = parse_str(&(eos_v1_on("2.8") + &fault("app-s1-0")), "v1.toml").unwrap_err().to_string();
    assert!(e.contains("but it runs exactly_once, whose producers are per task (`app-0_0`, ...)"), "{e}");
}

#[test]
fn both_bundled_exactly_once_v1_examples_keep_exactly_once_on_2_8() {
    for stem in ["eos-v1-processor-crash-2-8", "eos-v1-processor-zombie-fenced-2-8"] {
        let (report, _) = judge(&example(stem), 1);
        assert!(report.expect.passed, "{stem}: {}", to_text(&report));
        let s1 = &report.semantics["s1"];
        assert!(s1.holds && s1.delivery == "exactly-once", "{stem}: {s1:?}");
    }
}

#[test]
fn each_output_partition_is_written_by_its_own_tasks_producer_id_across_the_crash() {
    // Task p writes shipments/p. Its producer keeps the producer id of its transactional id
    // across the restart (InitProducerId bumps the epoch), so each output partition holds one
    // producer id, and the three partitions three different ones; exactly_once_v2 would show
    // one id (the instance's) on all three.
    let (_, out) = judge(&example("eos-v1-processor-crash-2-8"), 1);
    let mut all = BTreeSet::new();
    for p in out.history.partitions.iter().filter(|p| p.topic == "shipments") {
        let ids: BTreeSet<i64> = p
            .leader_replica()
            .expect("leader")
            .log
            .iter()
            .filter(|b| b.transactional && b.meta.is_none())
            .map(|b| b.producer_id)
            .collect();
        assert_eq!(ids.len(), 1, "shipments/{}: {ids:?}", p.partition);
        all.extend(ids);
    }
    assert_eq!(all.len(), 3, "{all:?}");
}
