//! Writing scenarios as files: `to_toml` gives a file that loads back to an equal `Scenario`, so a
//! failing case a property test found can be saved and replayed with `kafkasim run FILE --seed N`
//! to the same `trace_hash`. The scenarios come from the wild generator in
//! tests/common/wild_scenarios.rs, which tests/fuzz.rs also runs through the model.

use std::collections::BTreeSet;
use std::path::PathBuf;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{FileFailurePersistence, TestRunner};

use kafkasim::record::Anomaly;
use kafkasim::scenario::*;

#[path = "common/wild_scenarios.rs"]
mod wild_scenarios;
use wild_scenarios::scenarios;

/// Loads `text`, panicking with the text and the loader's message when it does not load.
fn reload(text: &str) -> Scenario {
    parse_str(text, "x.toml").unwrap_or_else(|e| panic!("the written file does not load: {e}\n{text}"))
}

fn example_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("examples/scenarios")
        .expect("examples/scenarios exists")
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bundled_example_loads_back_equal_and_replays_seed_1_to_the_same_trace_hash() {
    let files = example_files();
    assert!(files.len() >= 20, "expected the bundled examples, found {}", files.len());
    for path in files {
        let original = load_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let text = to_toml(&original);
        let reparsed = reload(&text);
        assert_eq!(reparsed, original, "{} does not round-trip; written as:\n{text}", path.display());
        assert_eq!(to_toml(&reparsed), text, "{}: writing is not stable", path.display());
        let (a, _) = kafkasim::run_seed(&original, 1, kafkasim::RunOptions::default()).unwrap();
        let (b, _) = kafkasim::run_seed(&reparsed, 1, kafkasim::RunOptions::default()).unwrap();
        assert_eq!(a.trace_hash, b.trace_hash, "{}: the written file replays differently", path.display());
    }
}

#[test]
fn a_scenario_built_in_rust_written_to_a_file_replays_under_the_cli_to_the_same_trace_hash() {
    // The purpose of the writer: a failing case a property test builds is saved as a file and
    // `kafkasim run FILE --seed N` replays it.
    let mut s = Scenario { name: "a \"found\" case\nof two lines".into(), duration_ms: 60_000, ..Scenario::default() };
    s.cluster.config.min_insync_replicas = 2;
    s.topics.push(TopicSpec::new("orders", 2, 3));
    let mut p = ProducerSpec::new("p1", "orders", 60);
    p.config.transactional_id = Some("tx 1".into());
    p.transaction_records = 5;
    p.abort_every = Some(3);
    p.interval_ms = 5;
    s.producers.push(p);
    let mut s1 = ProcessorSpec::new("s1", "app", "orders", "shipments", ProcessingGuarantee::ExactlyOnceV2);
    s1.instances = 2;
    s1.config.session_timeout_ms = 10_000;
    s.processors.push(s1);
    s.topics.push(TopicSpec::new("shipments", 1, 1));
    let mut c1 = ConsumerSpec::new("c1", "g1", "orders");
    c1.config.isolation_level = IsolationLevel::ReadCommitted;
    s.consumers.push(c1);
    s.faults.push(FaultSpec {
        trigger: Trigger::Client { client: ClientRef::Processor(0), event: ClientEvent::OffsetsSent, n: 2 },
        action: FaultAction::Crash,
        target: Target::Processor { processor: 0, instance: Some(0) },
        restart_after_ms: Some(500),
        duration_ms: None,
        pin: false,
    });
    s.faults.push(FaultSpec {
        trigger: Trigger::Record { producer: 0, index: 20, event: RecordEvent::Committed },
        action: FaultAction::Crash,
        target: Target::TxnCoordinator("tx 1".into()),
        restart_after_ms: Some(1_000),
        duration_ms: None,
        pin: false,
    });
    let seed = 7;
    let (report, _) = kafkasim::run_seed(&s, seed, kafkasim::RunOptions::default()).unwrap();

    let text = to_toml(&s);
    assert_eq!(reload(&text), s, "written as:\n{text}");
    let dir = std::env::temp_dir().join(format!("kafkasim-writing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("found.toml");
    std::fs::write(&file, &text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kafkasim"))
        .args(["run", file.to_str().unwrap(), "--seed", &seed.to_string(), "--format", "json"])
        .output()
        .expect("run kafkasim");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(json["scenario"], s.name.as_str());
    assert_eq!(json["seed"], seed);
    assert_eq!(json["trace_hash"], report.trace_hash.as_str());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_small_scenario_is_written_with_only_what_differs_from_the_defaults() {
    let mut s = Scenario { name: "acks=1 loses \"acked\" writes".into(), ..Scenario::default() };
    s.topics.push(TopicSpec::new("orders", 1, 3));
    let mut p = ProducerSpec::new("p1", "orders", 200);
    p.config.acks = Acks::One;
    p.config.enable_idempotence = false;
    s.producers.push(p);
    s.faults.push(FaultSpec {
        trigger: Trigger::Record { producer: 0, index: 17, event: RecordEvent::Acked },
        action: FaultAction::Crash,
        target: Target::Leader { topic: "orders".into(), partition: 0 },
        restart_after_ms: Some(1_000),
        duration_ms: None,
        pin: false,
    });
    s.expect.push(Expectation { anomaly: Anomaly::LostAcked, bound: Bound::Gt(0) });
    let expected = r#"name = "acks=1 loses \"acked\" writes"

[cluster]
brokers = 3

[[topic]]
name = "orders"
partitions = 1
replication_factor = 3

[[producer]]
name = "p1"
topic = "orders"
records = 200
[producer.config]
"acks" = "1"
"enable.idempotence" = false

[[fault]]
after = "p1#17 acked"
action = "crash"
target = "leader:orders/0"
restart_after_ms = 1000

[expect]
lost_acked = ">0"
"#;
    assert_eq!(to_toml(&s), expected);
    assert_eq!(reload(expected), s);
}

#[test]
fn special_characters_in_the_name_and_description_survive() {
    let texts = [
        "",
        "plain",
        "say \"hi\"",
        r"back\slash and a trailing \",
        "two\nlines\r\nand a tab\t",
        "\"\"\" triple quotes ''' and 'single'",
        "# not a comment",
        "x\"\n[expect]\nlost_acked = 1\n\"",
        "nul \u{0} bell \u{7} esc \u{1b} del \u{7f} c1 \u{85}",
        "unicode: é ☃ 日本語 🦀 \u{feff} \u{200b}",
        "\\u0041 is not an escape here",
    ];
    for name in texts {
        for description in texts.iter().map(|d| Some(d.to_string())).chain([None]) {
            let s = Scenario { name: name.to_string(), description: description.clone(), ..Scenario::default() };
            let text = to_toml(&s);
            let back = reload(&text);
            assert_eq!(back.name, name, "written as:\n{text}");
            assert_eq!(back.description, description, "written as:\n{text}");
            assert_eq!(back, s);
        }
    }
}

#[test]
fn a_processor_output_the_file_did_not_declare_is_written_as_a_topic() {
    let file = r#"name = "created output"
[[topic]]
name = "orders"
[[producer]]
name = "p1"
topic = "orders"
records = 10
[[processor]]
name = "s1"
group = "app"
input = "orders"
output = "shipments"
"#;
    let s = reload(file);
    assert_eq!(s.topics.last(), Some(&TopicSpec::new("shipments", 1, 1)));
    let text = to_toml(&s);
    assert!(text.contains("[[topic]]\nname = \"shipments\"\npartitions = 1\nreplication_factor = 1\n"), "{text}");
    assert_eq!(reload(&text), s);
}

#[test]
fn a_created_output_whose_name_no_topic_table_may_carry_is_left_for_the_loader_to_create() {
    let mut s = Scenario { name: "illegal created output".into(), ..Scenario::default() };
    s.topics.push(TopicSpec::new("orders", 2, 3));
    s.producers.push(ProducerSpec::new("p1", "orders", 10));
    s.processors.push(ProcessorSpec::new("s1", "app", "orders", "ship ments", ProcessingGuarantee::ExactlyOnceV2));
    s.processors.push(ProcessorSpec::new("s2", "app2", "orders", "ok", ProcessingGuarantee::AtLeastOnce));
    s.topics.push(TopicSpec::new("ship ments", 1, 1));
    s.topics.push(TopicSpec::new("ok", 1, 1));
    s.faults.push(FaultSpec {
        trigger: Trigger::AtMs(5),
        action: FaultAction::Crash,
        target: Target::Leader { topic: "ship ments".into(), partition: 0 },
        restart_after_ms: None,
        duration_ms: None,
        pin: false,
    });
    let text = to_toml(&s);
    assert!(!text.contains("name = \"ship ments\""), "{text}");
    assert!(!text.contains("name = \"ok\""), "the created tail is left out as a whole:\n{text}");
    assert_eq!(reload(&text), s);
}

#[test]
fn a_nemesis_with_every_default_is_written_as_an_empty_table_and_stays_on() {
    let s = Scenario { name: "n".into(), nemesis: Some(NemesisSpec::default()), ..Scenario::default() };
    let text = to_toml(&s);
    assert!(text.ends_with("\n[nemesis]\n"), "{text}");
    assert_eq!(reload(&text), s);
}

#[test]
fn an_exact_count_beyond_tomls_integers_is_written_as_a_string_and_loads() {
    let mut s = Scenario { name: "huge".into(), ..Scenario::default() };
    s.expect.push(Expectation { anomaly: Anomaly::Duplicated, bound: Bound::Eq(u64::MAX) });
    s.expect.push(Expectation { anomaly: Anomaly::LostAcked, bound: Bound::Eq(i64::MAX as u64) });
    let text = to_toml(&s);
    assert!(text.contains("duplicated = \"18446744073709551615\"\nlost_acked = 9223372036854775807\n"), "{text}");
    assert_eq!(reload(&text), s);
}

#[test]
fn a_partition_is_written_as_its_between_and_and_sides_and_loads_back_equal() {
    let mut s = Scenario { name: "split".into(), ..Scenario::default() };
    s.topics.push(TopicSpec::new("orders", 1, 3));
    s.producers.push(ProducerSpec::new("p1", "orders", 200));
    s.faults.push(FaultSpec {
        trigger: Trigger::AtMs(1_000),
        action: FaultAction::Partition,
        target: Target::Sides {
            between: vec![Target::Leader { topic: "orders".into(), partition: 0 }, Target::Producer(0)],
            and: vec![Target::Controller, Target::Broker(2), Target::Broker(3)],
        },
        restart_after_ms: None,
        duration_ms: Some(15_000),
        pin: false,
    });
    let text = to_toml(&s);
    let fault = r#"[[fault]]
at_ms = 1000
action = "partition"
between = ["leader:orders/0", "producer:p1"]
and = ["controller", "broker:2", "broker:3"]
duration_ms = 15000
"#;
    assert!(text.contains(fault), "{text}");
    assert!(!text.contains("target ="), "{text}");
    assert_eq!(reload(&text), s);
    assert_eq!(to_toml(&reload(&text)), text);
}

#[test]
fn a_fault_naming_a_client_that_does_not_exist_is_written_so_that_the_loader_rejects_it() {
    let mut s = Scenario { name: "dangling".into(), ..Scenario::default() };
    s.topics.push(TopicSpec::new("orders", 1, 3));
    s.faults.push(FaultSpec {
        trigger: Trigger::AtMs(1),
        action: FaultAction::Crash,
        target: Target::Producer(3),
        restart_after_ms: None,
        duration_ms: None,
        pin: false,
    });
    let text = to_toml(&s);
    assert!(text.contains("target = \"producer:#3\""), "{text}");
    let e = parse_str(&text, "x.toml").expect_err("no producer #3");
    assert!(e.message.contains("`#3` names no client"), "{e}");
}

#[test]
fn a_scenario_the_loader_would_reject_is_still_written_value_for_value() {
    // A consumer whose auto-commit flag contradicts its commit mode: written as it is, and the
    // loader says what is wrong.
    let mut s = Scenario { name: "contradiction".into(), ..Scenario::default() };
    s.topics.push(TopicSpec::new("orders", 1, 3));
    let mut c = ConsumerSpec::new("c1", "g1", "orders");
    c.config.enable_auto_commit = true;
    s.consumers.push(c);
    let text = to_toml(&s);
    assert!(text.contains("commit = \"after-processing\"") && text.contains("\"enable.auto.commit\" = true"), "{text}");
    let e = parse_str(&text, "x.toml").expect_err("a contradiction");
    assert!(e.message.contains("contradicts"), "{e}");
}

/// What a scenario holds, as labels, for the coverage test.
fn labels(s: &Scenario, seen: &mut BTreeSet<String>) {
    let mut add = |l: String| {
        seen.insert(l);
    };
    for p in &s.producers {
        add(format!("acks={}", p.config.acks));
        add(format!("idempotence={}", p.config.enable_idempotence));
        add(format!("transactional={}", p.config.transactional_id.is_some()));
        add(format!("keys={}", p.keys.is_some()));
    }
    for c in &s.consumers {
        add(format!("commit={}", c.commit.as_str()));
        add(format!("isolation={:?}", c.config.isolation_level));
        add(format!("consumer instances>1={}", c.instances > 1));
    }
    for p in &s.processors {
        add(format!("guarantee={}", p.config.processing_guarantee.as_str()));
        add(format!("processor instances>1={}", p.instances > 1));
        add(format!("output created={}", p.output.starts_with("out")));
        add(format!("output with a space={}", p.output.contains(' ')));
    }
    for f in &s.faults {
        add(format!("action={}", f.action.as_str()));
        let target = match &f.target {
            Target::Broker(_) => "broker",
            Target::Leader { .. } => "leader",
            Target::Producer(_) => "producer",
            Target::Consumer { instance: None, .. } => "consumer",
            Target::Consumer { instance: Some(_), .. } => "consumer/K",
            Target::Processor { instance: None, .. } => "processor",
            Target::Processor { instance: Some(_), .. } => "processor/K",
            Target::GroupCoordinator(_) => "coordinator:group",
            Target::TxnCoordinator(_) => "coordinator:transaction",
            Target::Controller => "controller",
            Target::Sides { .. } => "sides",
            Target::Service { .. } => "service",
        };
        add(format!("target={target}"));
        add(match &f.trigger {
            Trigger::AtMs(_) => "trigger=at_ms".into(),
            Trigger::Record { event, .. } => format!("trigger=record {event:?}"),
            Trigger::Client { client, event, .. } => {
                let kind = match client {
                    ClientRef::Producer(_) => "producer",
                    ClientRef::Consumer(_) => "consumer",
                    ClientRef::Processor(_) => "processor",
                };
                format!("trigger={kind} {event:?}")
            }
        });
    }
    add(format!("nemesis={}", s.nemesis.is_some()));
    for x in &s.expect {
        let form = match x.bound {
            Bound::Eq(n) if n > i64::MAX as u64 => "huge",
            Bound::Eq(_) => "eq",
            Bound::Gt(_) => "gt",
            Bound::Ge(_) => "ge",
            Bound::Le(_) => "le",
            Bound::Lt(_) => "lt",
        };
        add(format!("expect={form}"));
    }
}

#[test]
fn the_generator_covers_every_kind_of_client_fault_trigger_and_expectation() {
    let mut runner = TestRunner::deterministic();
    let strategy = scenarios();
    let mut seen = BTreeSet::new();
    for _ in 0..400 {
        let s = strategy.new_tree(&mut runner).expect("a scenario").current();
        labels(&s, &mut seen);
    }
    let mut wanted: Vec<String> = Vec::new();
    for x in ["acks=0", "acks=1", "acks=all", "idempotence=true", "idempotence=false"] {
        wanted.push(x.into());
    }
    for b in ["true", "false"] {
        for what in [
            "transactional",
            "keys",
            "consumer instances>1",
            "processor instances>1",
            "output created",
            "output with a space",
            "nemesis",
        ] {
            wanted.push(format!("{what}={b}"));
        }
    }
    for x in ["auto", "before-processing", "after-processing", "after-processing-async"] {
        wanted.push(format!("commit={x}"));
    }
    wanted.extend(["isolation=ReadUncommitted".into(), "isolation=ReadCommitted".into()]);
    wanted.extend(["guarantee=at_least_once".into(), "guarantee=exactly_once_v2".into()]);
    for x in ["crash", "power-loss", "isolate", "pause", "partition"] {
        wanted.push(format!("action={x}"));
    }
    for x in [
        "broker",
        "leader",
        "producer",
        "consumer",
        "consumer/K",
        "processor",
        "processor/K",
        "coordinator:group",
        "coordinator:transaction",
        "sides",
    ] {
        wanted.push(format!("target={x}"));
    }
    wanted.push("trigger=at_ms".into());
    for x in ["Sent", "Appended", "Acked", "Committed", "Processed"] {
        wanted.push(format!("trigger=record {x}"));
    }
    for x in ["Acked", "TxnCommitted", "TxnAborted"] {
        wanted.push(format!("trigger=producer {x}"));
    }
    for x in ["Polled", "Processed", "Committed"] {
        wanted.push(format!("trigger=consumer {x}"));
        wanted.push(format!("trigger=processor {x}"));
    }
    for x in ["TxnCommitted", "TxnAborted", "OffsetsSent"] {
        wanted.push(format!("trigger=processor {x}"));
    }
    for x in ["eq", "gt", "ge", "le", "lt", "huge"] {
        wanted.push(format!("expect={x}"));
    }
    let missing: Vec<&String> = wanted.iter().filter(|w| !seen.contains(*w)).collect();
    assert!(missing.is_empty(), "the generator never produced: {missing:?}");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/scenario_writing.txt"))),
        ..ProptestConfig::default()
    })]

    /// Every generated scenario is written as a file that loads back equal, and writing is stable.
    #[test]
    fn a_generated_scenario_is_written_as_a_file_that_loads_back_equal(s in scenarios()) {
        let text = to_toml(&s);
        let back = parse_str(&text, "x.toml");
        prop_assert!(back.is_ok(), "the written file does not load: {}\n{}", back.unwrap_err(), text);
        let back = back.unwrap();
        prop_assert_eq!(&back, &s, "written as:\n{}", text);
        prop_assert_eq!(to_toml(&back), text);
    }

    /// The written file is short: each key it writes, besides the few written always for the
    /// reader, is needed (left out, the file loads to another scenario, or not at all).
    #[test]
    fn a_written_file_holds_no_key_that_could_be_left_out(s in scenarios()) {
        let text = to_toml(&s);
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some((key, _)) = line.split_once(" = ") else { continue };
            if ALWAYS_WRITTEN.contains(&key) {
                continue;
            }
            let without: Vec<&str> = lines.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, l)| *l).collect();
            let shorter = without.join("\n");
            prop_assert!(
                parse_str(&shorter, "x.toml").ok().as_ref() != Some(&s),
                "line {} (`{}`) could be left out of:\n{}", i + 1, line, text
            );
        }
    }
}

/// Keys written even when they hold the default, because a reader wants to see them.
const ALWAYS_WRITTEN: &[&str] =
    &["brokers", "partitions", "replication_factor", "commit", "\"processing.guarantee\"", "\"enable.idempotence\""];
