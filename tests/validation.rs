//! `Scenario::validate`: a scenario built in Rust gets the checks a file gets, with the loader's
//! messages and a path instead of a position; `run` refuses an invalid one. And the one table of
//! Kafka config keys: the docs' config reference is what it renders, and no other source file
//! spells a key.

use std::path::Path;

use kafkasim::scenario::keys::{all_keys, reference_table, Scope};
use kafkasim::scenario::*;

/// Three brokers, topic `orders` with replication factor `rf`, producer `p1` of 10 records.
fn three_brokers_and_rf(rf: u32) -> Scenario {
    let mut s = Scenario { name: "rf".into(), ..Scenario::default() };
    s.cluster.brokers = 3;
    s.topics.push(TopicSpec::new("orders", 1, rf));
    s.producers.push(ProducerSpec::new("p1", "orders", 10));
    s
}

/// The same scenario as a file.
const RF_5_FILE: &str = "name = \"rf\"\n[cluster]\nbrokers = 3\n[[topic]]\nname = \"orders\"\nreplication_factor = 5\n\
                         [[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 10\n";

#[test]
fn a_rust_built_scenario_with_rf_5_on_3_brokers_is_refused_by_run_with_the_loaders_message() {
    let file_error = parse_str(RF_5_FILE, "rf.toml").unwrap_err();
    assert_eq!(file_error.to_string(), "rf.toml:6:22: replication_factor 5 is above the broker count 3");

    let s = three_brokers_and_rf(5);
    let refused = kafkasim::run_seed(&s, 1, kafkasim::RunOptions::default()).unwrap_err();
    assert_eq!(refused.problems.len(), 1);
    assert_eq!(refused.problems[0].path, "topic[0].replication_factor");
    assert_eq!(refused.problems[0].message, file_error.message);
    assert_eq!(refused.to_string(), "topic[0].replication_factor: replication_factor 5 is above the broker count 3");
    assert_eq!(kafkasim::run(&s, 1, kafkasim::RunOptions::default()).unwrap_err(), refused);
    assert_eq!(s.validate().unwrap_err(), refused.problems);

    // RF 3 on 3 brokers runs.
    assert!(kafkasim::run_seed(&three_brokers_and_rf(3), 1, kafkasim::RunOptions::default()).is_ok());
}

#[test]
fn validate_returns_every_problem_in_file_order_each_with_its_path() {
    let mut s = three_brokers_and_rf(4);
    s.producers[0].config.max_in_flight = 0;
    s.producers[0].topic = "ordres".into();
    let mut c = ConsumerSpec::new("c1", "g1", "orders");
    c.config.enable_auto_commit = true;
    s.consumers.push(c);
    s.faults.push(FaultSpec {
        trigger: Trigger::AtMs(10),
        action: FaultAction::Crash,
        target: Target::Broker(7),
        restart_after_ms: None,
        duration_ms: None,
        pin: false,
    });
    let problems = s.validate().unwrap_err();
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "topic[0].replication_factor: replication_factor 4 is above the broker count 3",
            "producer[0].topic: topic `ordres` is not declared; did you mean `orders`?",
            "producer[0].config.\"max.in.flight.requests.per.connection\": \
             `max.in.flight.requests.per.connection` must be from 1 to 2147483647, found 0",
            "consumer[0].config.\"enable.auto.commit\": \"enable.auto.commit\" = true contradicts commit = \
             \"after-processing\" (a manual commit); set it to false or use commit = \"auto\"",
            "fault[0].target: broker 7 does not exist: the cluster has brokers 1 to 3",
        ]
    );
}

#[test]
fn a_rule_validate_holds_gives_a_file_the_same_message_at_the_offending_value() {
    let file = "name = \"t\"\n[[topic]]\nname = \"orders\"\n[[producer]]\nname = \"p1\"\ntopic = \"orders\"\n\
                records = 10\n[[fault]]\nafter = \"p1#10 acked\"\naction = \"crash\"\ntarget = \"broker:9\"\n";
    // The trigger comes first in the fault, and points inside its string at the index.
    assert_eq!(
        parse_str(file, "s.toml").unwrap_err().to_string(),
        "s.toml:9:13: p1 sends records p1#0 to p1#9; there is no p1#10"
    );
    let e = parse_str(&file.replace("p1#10", "p1#9"), "s.toml").unwrap_err();
    assert_eq!(e.to_string(), "s.toml:11:18: broker 9 does not exist: the cluster has brokers 1 to 3");
}

#[test]
fn app_run_and_crash_points_refuse_an_invalid_scenario_too() {
    let s = three_brokers_and_rf(5);
    let apps = kafkasim::app::Apps::new();
    assert!(kafkasim::app::run(&s, 1, kafkasim::RunOptions::default(), &apps).is_err());
    assert!(kafkasim::explore::crash_points(&s, 1).is_err());
}

#[test]
fn every_bundled_example_is_valid() {
    for entry in std::fs::read_dir("examples/scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            let s = load_file(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(s.validate(), Ok(()), "{}", path.display());
        }
    }
}

/// The marker that opens `scope`'s generated table in docs/scenario-format.md.
fn marker(scope: Scope) -> String {
    format!("<!-- config reference {}: generated from src/scenario/keys.rs -->\n", scope.table())
}

const END: &str = "<!-- end of config reference -->";

#[test]
fn the_docs_config_reference_is_what_the_key_table_renders() {
    // UPDATE_GOLDEN=1 rewrites the tables in place.
    let path = Path::new("docs/scenario-format.md");
    let mut doc = std::fs::read_to_string(path).unwrap();
    let mut stale = Vec::new();
    let mut tables: Vec<(String, String, &str)> =
        Scope::ALL.into_iter().map(|scope| (marker(scope), reference_table(scope), scope.table())).collect();
    // librdkafka's own key names, accepted only with client = "librdkafka".
    let librdkafka = "<!-- config reference librdkafka: generated from src/scenario/keys/librdkafka.rs -->\n";
    tables.push((librdkafka.into(), kafkasim::scenario::keys::librdkafka::reference_table(), "librdkafka"));
    for (open, rendered, table) in tables {
        let start = doc.find(&open).unwrap_or_else(|| panic!("no {open:?} in {}", path.display())) + open.len();
        let end = start + doc[start..].find(END).expect("the end marker");
        if doc[start..end] != rendered {
            stale.push(table);
            doc.replace_range(start..end, &rendered);
        }
    }
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(path, doc).unwrap();
    } else {
        assert!(stale.is_empty(), "the reference of {stale:?} is stale: run with UPDATE_GOLDEN=1");
    }
}

#[test]
fn no_kafka_config_key_is_spelled_as_a_string_outside_the_key_table() {
    let mut found = Vec::new();
    let mut dirs = vec![Path::new("src").to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.ends_with("scenario/keys.rs") || path.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for k in all_keys() {
                    if line.contains(&format!("\"{}\"", k.name)) || line.contains(&format!("\\\"{}\\\"", k.name)) {
                        found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "Kafka config keys spelled outside src/scenario/keys.rs:\n{}", found.join("\n"));
}

#[test]
fn every_key_of_the_table_is_accepted_by_some_config_table() {
    for k in all_keys() {
        assert!(!k.scopes().is_empty(), "{} is accepted nowhere", k.name);
        assert!(!k.doc.is_empty());
    }
}

/// A fault of `action` on `target`, lasting `duration_ms`, at 10 ms.
fn fault_on(action: FaultAction, target: Target, duration_ms: Option<u64>) -> FaultSpec {
    FaultSpec { trigger: Trigger::AtMs(10), action, target, restart_after_ms: None, duration_ms, pin: false }
}

#[test]
fn a_rust_built_partition_is_checked_element_by_element_with_paths_into_between_and_and() {
    let mut s = three_brokers_and_rf(3);
    let sides = Target::Sides {
        between: vec![Target::Broker(1), Target::Broker(9)],
        and: vec![Target::Controller, Target::Broker(1), Target::Producer(4)],
    };
    s.faults.push(FaultSpec { restart_after_ms: Some(5), ..fault_on(FaultAction::Partition, sides, None) });
    let shown: Vec<String> = s.validate().unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "fault[0].between[1]: broker 9 does not exist: the cluster has brokers 1 to 3",
            "fault[0].and[2]: producer index 4 names no client: the scenario has 1 [[producer]]",
            "fault[0].and[1]: `broker:1` is on both sides of the partition; a node stands on one side (it reaches \
             its own)",
            "fault[0].restart_after_ms: `restart_after_ms` applies to crash and power-loss; partition ends after \
             `duration_ms`",
            "fault[0].duration_ms: missing required key `duration_ms` in [[fault]]: how long the partition lasts",
        ]
    );
}

#[test]
fn a_partition_without_two_sides_and_a_controller_outside_one_are_refused() {
    let mut s = three_brokers_and_rf(3);
    let one_sided = Target::Sides { between: vec![], and: vec![Target::Controller] };
    s.faults.push(fault_on(FaultAction::Partition, one_sided, Some(100)));
    s.faults.push(fault_on(FaultAction::Partition, Target::Broker(1), Some(100)));
    s.faults.push(fault_on(FaultAction::Crash, Target::Controller, None));
    let sides = Target::Sides { between: vec![Target::Broker(1)], and: vec![Target::Broker(2)] };
    s.faults.push(fault_on(FaultAction::Isolate, sides, Some(100)));
    let shown: Vec<String> = s.validate().unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "fault[0].between: `between` must not be empty: a side of a partition lists at least one target",
            "fault[1].target: a partition has two sides, not a `target`: write `between = [TARGETS]` and `and = \
             [TARGETS]`",
            "fault[2].target: `controller` may only stand on a side of a partition (`between` or `and`), not be the \
             target of `crash`: the KRaft controller quorum is modelled as reliable",
            "fault[3].target: two sides (`between` and `and`) belong to a partition; `isolate` takes one `target`",
        ]
    );
    let mut n = three_brokers_and_rf(3);
    n.nemesis =
        Some(NemesisSpec { actions: vec![FaultAction::Crash, FaultAction::Partition], ..NemesisSpec::default() });
    let problems = n.validate().unwrap_err();
    assert_eq!(problems[0].path, "nemesis.actions[1]");
    assert!(problems[0].message.contains("cannot draw a partition"), "{}", problems[0]);
}

#[test]
fn run_refuses_a_rust_built_partition_with_the_message_a_file_gets() {
    let file = "name = \"rf\"\n[cluster]\nbrokers = 3\n[[topic]]\nname = \"orders\"\n[[producer]]\nname = \"p1\"\n\
                topic = \"orders\"\nrecords = 10\n[[fault]]\nat_ms = 10\naction = \"partition\"\n\
                between = [\"leader:orders/0\"]\nand = [\"controller\", \"broker:7\"]\nduration_ms = 100\n";
    let file_error = parse_str(file, "p.toml").unwrap_err();
    assert_eq!(file_error.to_string(), "p.toml:14:30: broker 7 does not exist: the cluster has brokers 1 to 3");

    let mut s = three_brokers_and_rf(3);
    let sides = Target::Sides {
        between: vec![Target::Leader { topic: "orders".into(), partition: 0 }],
        and: vec![Target::Controller, Target::Broker(7)],
    };
    s.faults.push(fault_on(FaultAction::Partition, sides, Some(100)));
    let refused = kafkasim::run_seed(&s, 1, kafkasim::RunOptions::default()).unwrap_err();
    assert_eq!(refused.problems.len(), 1);
    assert_eq!(refused.problems[0].path, "fault[0].and[1]");
    assert_eq!(refused.problems[0].message, file_error.message);
}
