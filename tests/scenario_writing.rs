//! Writing scenarios as files: `to_toml` gives a file that loads back to an equal `Scenario`, so a
//! failing case a property test found can be saved and replayed with `kafkasim run FILE --seed N`
//! to the same `trace_hash`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{FileFailurePersistence, TestRunner};

use kafkasim::record::Anomaly;
use kafkasim::scenario::*;

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

// ---------------------------------------------------------------------------------------------
// The generator: valid scenarios of every shape, built from a vector of random numbers.
// ---------------------------------------------------------------------------------------------

const INT_MAX: u64 = i32::MAX as u64;

/// Draws from a fixed vector of random numbers; past its end every draw is 0, and 0 always means
/// the default or the simplest choice, so shrinking the vector shrinks the scenario.
struct Draw<'a> {
    raw: &'a [u64],
    at: usize,
}

impl Draw<'_> {
    fn next(&mut self) -> u64 {
        let v = self.raw.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        v
    }

    /// In `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi, "{lo}..={hi}");
        match (hi - lo).checked_add(1) {
            Some(n) => lo + self.next() % n,
            None => self.next(),
        }
    }

    fn coin(&mut self) -> bool {
        self.next() % 2 == 1
    }

    fn index(&mut self, len: usize) -> usize {
        self.range(0, len as u64 - 1) as usize
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())].clone()
    }

    /// `default` on a 0 draw, else `f`.
    fn maybe<T>(&mut self, default: T, f: impl FnOnce(&mut Self) -> T) -> T {
        if self.coin() {
            f(self)
        } else {
            default
        }
    }

    /// A non-empty subset of `items`, in their order.
    fn subset<T: Clone>(&mut self, items: &[T]) -> Vec<T> {
        let mask = self.range(1, (1 << items.len()) - 1);
        items.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, x)| x.clone()).collect()
    }

    /// Up to 3 characters a client name may hold, but no digit (so `p1` + suffix never equals
    /// `p10`...): quotes, backslashes, colons and non-ASCII test the escaping.
    fn client_suffix(&mut self) -> String {
        let chars = ['x', 'Y', '_', '-', '.', ':', '"', '\'', '\\', 'é', '🦀'];
        let n = self.range(0, 3);
        (0..n).map(|_| self.pick(&chars)).collect()
    }

    /// Up to 3 characters of a legal topic name, no digit.
    fn topic_suffix(&mut self) -> String {
        let chars = ['a', 'Z', '.', '_', '-'];
        let n = self.range(0, 3);
        (0..n).map(|_| self.pick(&chars)).collect()
    }

    /// A `session.timeout.ms` within the cluster's bounds (at least 2, so a heartbeat fits below
    /// it) and a heartbeat below it.
    fn session_and_heartbeat(&mut self, b: &BrokerConfig) -> (u64, u64) {
        let (min, max) = (b.group_min_session_timeout_ms.max(2), b.group_max_session_timeout_ms);
        let session = if (min..=max).contains(&45_000) && !self.coin() {
            45_000
        } else {
            self.range(min, max.min(min + 200_000))
        };
        let heartbeat = if 3_000 < session && !self.coin() { 3_000 } else { self.range(1, session - 1) };
        (session, heartbeat)
    }

    /// A `transaction.timeout.ms` the cluster accepts, `default` when it fits and the draw says so.
    fn txn_timeout(&mut self, default: u64, b: &BrokerConfig) -> u64 {
        let max = b.transaction_max_timeout_ms;
        if default <= max && !self.coin() {
            default
        } else {
            self.range(1, max)
        }
    }
}

fn broker_config(d: &mut Draw<'_>) -> BrokerConfig {
    let x = BrokerConfig::default();
    let mut c = BrokerConfig {
        min_insync_replicas: d.maybe(x.min_insync_replicas, |d| d.range(1, 4) as u32),
        unclean_leader_election_enable: d.coin(),
        replica_lag_time_max_ms: d.maybe(x.replica_lag_time_max_ms, |d| d.range(1, 60_000)),
        log_flush_interval_messages: d.maybe(x.log_flush_interval_messages, |d| d.range(1, 1_000)),
        broker_session_timeout_ms: d.maybe(x.broker_session_timeout_ms, |d| d.range(1, 20_000)),
        broker_heartbeat_interval_ms: d.maybe(x.broker_heartbeat_interval_ms, |d| d.range(1, 5_000)),
        replica_fetch_wait_max_ms: d.maybe(x.replica_fetch_wait_max_ms, |d| d.range(0, 30_000)),
        replica_fetch_backoff_ms: d.maybe(x.replica_fetch_backoff_ms, |d| d.range(0, 5_000)),
        offsets_topic_num_partitions: d.maybe(x.offsets_topic_num_partitions, |d| d.range(1, 1_000) as u32),
        offsets_topic_replication_factor: d.maybe(x.offsets_topic_replication_factor, |d| d.range(1, 32_767) as u32),
        offsets_commit_timeout_ms: d.maybe(x.offsets_commit_timeout_ms, |d| d.range(1, 20_000)),
        group_initial_rebalance_delay_ms: d.maybe(x.group_initial_rebalance_delay_ms, |d| d.range(0, 10_000)),
        group_min_session_timeout_ms: d.maybe(x.group_min_session_timeout_ms, |d| d.range(1, 10_000)),
        group_max_session_timeout_ms: d.maybe(x.group_max_session_timeout_ms, |d| d.range(10_000, 3_600_000)),
        transaction_state_log_num_partitions: d
            .maybe(x.transaction_state_log_num_partitions, |d| d.range(1, 1_000) as u32),
        transaction_state_log_replication_factor: d
            .maybe(x.transaction_state_log_replication_factor, |d| d.range(1, 5) as u32),
        transaction_state_log_min_isr: d.maybe(x.transaction_state_log_min_isr, |d| d.range(1, 5) as u32),
        transaction_abort_timed_out_transaction_cleanup_interval_ms: d
            .maybe(x.transaction_abort_timed_out_transaction_cleanup_interval_ms, |d| d.range(1, 60_000)),
        transaction_max_timeout_ms: d.maybe(x.transaction_max_timeout_ms, |d| d.range(1, 2_000_000)),
        zookeeper_session_timeout_ms: d.maybe(x.zookeeper_session_timeout_ms, |d| d.range(1, 60_000)),
        producer_id_expiration_ms: d.maybe(x.producer_id_expiration_ms, |d| d.range(1, 100_000_000)),
        producer_id_expiration_check_interval_ms: d
            .maybe(x.producer_id_expiration_check_interval_ms, |d| d.range(1, 1_000_000)),
        transactional_id_expiration_ms: d.maybe(x.transactional_id_expiration_ms, |d| d.range(1, 1_000_000_000)),
        transaction_remove_expired_transaction_cleanup_interval_ms: d
            .maybe(x.transaction_remove_expired_transaction_cleanup_interval_ms, |d| d.range(1, 4_000_000)),
        group_consumer_session_timeout_ms: d.maybe(x.group_consumer_session_timeout_ms, |d| d.range(10_000, 60_000)),
        group_consumer_heartbeat_interval_ms: d.maybe(x.group_consumer_heartbeat_interval_ms, |d| d.range(1, 9_999)),
    };
    // The fetch wait may not exceed the lag time.
    c.replica_fetch_wait_max_ms = c.replica_fetch_wait_max_ms.min(c.replica_lag_time_max_ms);
    c
}

fn producer(d: &mut Draw<'_>, i: usize, topics: &[TopicSpec], b: &BrokerConfig) -> ProducerSpec {
    let name = format!("p{i}{}", d.client_suffix());
    let topic = d.pick(topics).name;
    let mut p = ProducerSpec::new(&name, &topic, d.range(0, 40) as u32);
    p.keys = d.maybe(None, |d| Some(d.range(1, 20) as u32));
    p.interval_ms = d.maybe(1, |d| d.range(0, 100));
    p.start_ms = d.maybe(0, |d| d.range(0, 5_000));
    p.record_bytes = d.maybe(100, |d| d.range(1, 20_000));
    p.on_restart = d.pick(&[OnRestart::ResendUnacked, OnRestart::SkipUnacked]);
    // A librdkafka producer: its defaults, idempotence asked for or not, never transactional.
    let rdk = d.coin();
    if rdk {
        p = p.librdkafka();
    }
    let c = &mut p.config;
    match d.range(0, if rdk { 1 } else { 2 }) {
        // Idempotent by default (librdkafka: when asked for).
        0 => {
            c.enable_idempotence = true;
            c.retries = d.maybe(c.retries, |d| d.range(1, INT_MAX) as u32);
            c.max_in_flight = d.maybe(5, |d| d.range(1, 5) as u32);
        }
        // Not idempotent: any acks, retries 0 allowed, more than 5 in flight allowed.
        1 => {
            c.enable_idempotence = false;
            c.acks = d.pick(&[Acks::Zero, Acks::One, Acks::All]);
            c.retries = d.maybe(c.retries, |d| d.range(0, 10) as u32);
            c.max_in_flight = d.maybe(5, |d| d.range(1, 10) as u32);
        }
        // Transactional (idempotent, acks=all), possibly sharing an id with another producer.
        _ => {
            c.transactional_id = Some(d.pick(&[format!("tx-{i}"), format!("tx {i}"), "shared".to_string()]));
            c.retries = d.maybe(c.retries, |d| d.range(1, 10) as u32);
            c.max_in_flight = d.maybe(5, |d| d.range(1, 5) as u32);
            c.transaction_timeout_ms = d.txn_timeout(c.transaction_timeout_ms, b);
            p.transaction_records = d.maybe(10, |d| d.range(1, 20) as u32);
            p.abort_every = d.maybe(None, |d| Some(d.range(1, 5) as u32));
        }
    }
    let c = &mut p.config;
    c.linger_ms = d.maybe(c.linger_ms, |d| d.range(0, 1_000));
    c.batch_size = d.maybe(c.batch_size, |d| d.range(1, 100_000));
    c.retry_backoff_ms = d.maybe(c.retry_backoff_ms, |d| d.range(0, 1_000));
    c.retry_backoff_max_ms = d.maybe(c.retry_backoff_max_ms, |d| d.range(0, 10_000));
    c.request_timeout_ms = d.maybe(c.request_timeout_ms, |d| d.range(1, 200_000));
    // At least linger.ms + request.timeout.ms; left out, the loader raises the default to it.
    // librdkafka only wants message.timeout.ms above linger.ms.
    let floor = if rdk { c.linger_ms + 1 } else { (c.linger_ms + c.request_timeout_ms).min(INT_MAX) };
    c.delivery_timeout_ms = d.maybe(c.delivery_timeout_ms.max(floor), |d| d.range(floor, INT_MAX));
    p
}

fn consumer(d: &mut Draw<'_>, i: usize, topics: &[TopicSpec], b: &BrokerConfig) -> ConsumerSpec {
    let name = format!("c{i}{}", d.client_suffix());
    let group = d.pick(&["g0", "g1", "g 2", "g\"3"]);
    let mut c = ConsumerSpec::new(&name, group, "");
    c.topics = d.subset(topics).into_iter().map(|t| t.name).collect();
    c.commit =
        d.pick(&[CommitMode::Auto, CommitMode::BeforeProcessing, CommitMode::AfterProcessing, CommitMode::Async]);
    c.processing_ms = d.maybe(1, |d| d.range(0, 50));
    c.instances = d.maybe(1, |d| d.range(1, 4) as u32);
    c.poll_timeout_ms = d.maybe(100, |d| d.range(1, 1_000));
    let (session, heartbeat) = d.session_and_heartbeat(b);
    let x = ConsumerConfig::default();
    c.config = ConsumerConfig {
        enable_auto_commit: c.commit == CommitMode::Auto,
        auto_commit_interval_ms: d.maybe(x.auto_commit_interval_ms, |d| d.range(0, INT_MAX)),
        auto_offset_reset: d.pick(&[OffsetReset::Latest, OffsetReset::Earliest, OffsetReset::None]),
        isolation_level: d.pick(&[IsolationLevel::ReadUncommitted, IsolationLevel::ReadCommitted]),
        session_timeout_ms: session,
        heartbeat_interval_ms: heartbeat,
        max_poll_interval_ms: d.maybe(x.max_poll_interval_ms, |d| d.range(1, INT_MAX)),
        max_poll_records: d.maybe(x.max_poll_records, |d| d.range(1, 5_000) as u32),
        request_timeout_ms: d.maybe(x.request_timeout_ms, |d| d.range(1, 100_000)),
        default_api_timeout_ms: d.maybe(x.default_api_timeout_ms, |d| d.range(1, 100_000)),
        fetch_max_wait_ms: d.maybe(x.fetch_max_wait_ms, |d| d.range(0, 5_000)),
        retry_backoff_ms: d.maybe(x.retry_backoff_ms, |d| d.range(0, 1_000)),
        retry_backoff_max_ms: d.maybe(x.retry_backoff_max_ms, |d| d.range(0, 10_000)),
        // Unique per consumer: two of one group sharing a value are an error.
        group_instance_id: d.maybe(None, |_| Some(format!("app {i}\""))),
        // Every drawn release is 2.4 or later (KIP-429).
        assignment_strategy: d.pick(&[AssignmentStrategy::Range, AssignmentStrategy::CooperativeSticky]),
        // The KIP-848 protocol rules out most of the drawn keys; its own round trip is tested
        // in tests/consumer_protocol.rs.
        group_protocol: GroupProtocol::Classic,
        enable_auto_offset_store: true,
    };
    if d.coin() {
        c.client = ClientKind::Librdkafka;
        // Storing after processing is modelled with auto-commit only.
        c.config.enable_auto_offset_store = c.commit != CommitMode::Auto || d.coin();
    }
    c
}

/// Processors: outputs first (a declared topic other than the first, or a new name the loader
/// creates, legal or not as a `[[topic]]` name), then each input among the declared topics no
/// processor writes (the first topic always qualifies), so no chain forms.
fn processors(d: &mut Draw<'_>, topics: &[TopicSpec], b: &BrokerConfig) -> Vec<ProcessorSpec> {
    let n = d.range(0, 2) as usize;
    let outputs: Vec<String> = (0..n)
        .map(|i| {
            if topics.len() > 1 && d.coin() {
                topics[1 + d.index(topics.len() - 1)].name.clone()
            } else {
                d.pick(&[format!("out{i}"), format!("out put{i}")])
            }
        })
        .collect();
    let inputs: Vec<&TopicSpec> = topics.iter().filter(|t| !outputs.contains(&t.name)).collect();
    outputs
        .iter()
        .enumerate()
        .map(|(i, output)| {
            let name = format!("s{i}{}", d.client_suffix());
            let input = d.pick(&inputs).name.clone();
            let guarantee = d.pick(&[ProcessingGuarantee::AtLeastOnce, ProcessingGuarantee::ExactlyOnceV2]);
            let mut p = ProcessorSpec::new(&name, &format!("app{i}"), &input, output, guarantee);
            p.instances = d.maybe(1, |d| d.range(1, 3) as u32);
            p.processing_ms = d.maybe(0, |d| d.range(0, 50));
            p.poll_timeout_ms = d.maybe(100, |d| d.range(1, 1_000));
            let c = &mut p.config;
            // Either guarantee's default, written or not, must come back as it was.
            c.commit_interval_ms = d.maybe(c.commit_interval_ms, |d| {
                let any = d.range(0, 60_000);
                d.pick(&[30_000, 100, any])
            });
            if guarantee == ProcessingGuarantee::ExactlyOnceV2 {
                c.transaction_timeout_ms = d.txn_timeout(c.transaction_timeout_ms, b);
            }
            c.linger_ms = d.maybe(c.linger_ms, |d| d.range(0, 1_000));
            c.max_poll_records = d.maybe(c.max_poll_records, |d| d.range(1, 5_000) as u32);
            (c.session_timeout_ms, c.heartbeat_interval_ms) = d.session_and_heartbeat(b);
            c.max_poll_interval_ms = d.maybe(c.max_poll_interval_ms, |d| d.range(1, INT_MAX));
            c.request_timeout_ms = d.maybe(c.request_timeout_ms, |d| d.range(1, 100_000));
            p
        })
        .collect()
}

/// A target of any kind; kinds with nothing to name fall back to a broker.
fn target(d: &mut Draw<'_>, s: &Scenario) -> Target {
    let broker = Target::Broker(d.range(1, u64::from(s.cluster.brokers)) as u32);
    let instance = |d: &mut Draw<'_>, n: u32| d.maybe(None, |d| Some(d.range(0, u64::from(n) - 1) as u32));
    match d.range(0, 6) {
        1 => {
            let t = d.pick(&s.topics);
            Target::Leader { partition: d.range(0, u64::from(t.partitions) - 1) as u32, topic: t.name }
        }
        2 if !s.producers.is_empty() => Target::Producer(d.index(s.producers.len())),
        3 if !s.consumers.is_empty() => {
            let i = d.index(s.consumers.len());
            Target::Consumer { consumer: i, instance: instance(d, s.consumers[i].instances) }
        }
        4 if !s.processors.is_empty() => {
            let i = d.index(s.processors.len());
            Target::Processor { processor: i, instance: instance(d, s.processors[i].instances) }
        }
        5 if !s.consumers.is_empty() || !s.processors.is_empty() => {
            let groups: Vec<String> = s
                .consumers
                .iter()
                .map(|c| c.group.clone())
                .chain(s.processors.iter().map(|p| p.group.clone()))
                .collect();
            Target::GroupCoordinator(d.pick(&groups))
        }
        6 => {
            let ids: Vec<String> = s
                .producers
                .iter()
                .filter_map(|p| p.config.transactional_id.clone())
                .chain(
                    s.processors
                        .iter()
                        .filter(|p| p.exactly_once())
                        .flat_map(|p| (0..p.instances).map(|k| p.transactional_id(k))),
                )
                .collect();
            if ids.is_empty() {
                broker
            } else {
                Target::TxnCoordinator(d.pick(&ids))
            }
        }
        _ => broker,
    }
}

/// A trigger of any kind, only with events its client has; kinds with nothing to name fall back
/// to `at_ms`.
fn trigger(d: &mut Draw<'_>, s: &Scenario) -> Trigger {
    let at_ms = Trigger::AtMs(d.range(0, 100_000));
    match d.range(0, 2) {
        1 => {
            let with_records: Vec<usize> = (0..s.producers.len()).filter(|&i| s.producers[i].records > 0).collect();
            if with_records.is_empty() {
                return at_ms;
            }
            let p = d.pick(&with_records);
            let topic = &s.producers[p].topic;
            let read =
                s.consumers.iter().any(|c| c.topics.contains(topic)) || s.processors.iter().any(|q| &q.input == topic);
            let mut events = vec![RecordEvent::Sent, RecordEvent::Appended, RecordEvent::Acked, RecordEvent::Committed];
            if read {
                events.push(RecordEvent::Processed);
            }
            Trigger::Record {
                producer: p,
                index: d.range(0, u64::from(s.producers[p].records) - 1) as u32,
                event: d.pick(&events),
            }
        }
        2 => {
            let mut options: Vec<(ClientRef, Vec<ClientEvent>)> = Vec::new();
            for (i, p) in s.producers.iter().enumerate() {
                let mut events = vec![ClientEvent::Acked];
                if p.config.transactional_id.is_some() {
                    events.extend([ClientEvent::TxnCommitted, ClientEvent::TxnAborted]);
                }
                options.push((ClientRef::Producer(i), events));
            }
            let read = [ClientEvent::Polled, ClientEvent::Processed, ClientEvent::Committed];
            for i in 0..s.consumers.len() {
                options.push((ClientRef::Consumer(i), read.to_vec()));
            }
            for (i, p) in s.processors.iter().enumerate() {
                let mut events = read.to_vec();
                if p.exactly_once() {
                    events.extend([ClientEvent::TxnCommitted, ClientEvent::TxnAborted, ClientEvent::OffsetsSent]);
                }
                options.push((ClientRef::Processor(i), events));
            }
            if options.is_empty() {
                return at_ms;
            }
            let (client, events) = d.pick(&options);
            Trigger::Client { client, event: d.pick(&events), n: d.range(1, 50) }
        }
        _ => at_ms,
    }
}

/// Whether targets `a` and `b` name a node in common whatever the cluster does (validate refuses
/// such a pair on the two sides of a partition).
fn overlap(a: &Target, b: &Target) -> bool {
    match (a, b) {
        (Target::Consumer { consumer: x, instance: i }, Target::Consumer { consumer: y, instance: k })
        | (Target::Processor { processor: x, instance: i }, Target::Processor { processor: y, instance: k }) => {
            x == y && (i.is_none() || k.is_none() || i == k)
        }
        _ => a == b,
    }
}

/// A partition's two sides: the controller on one, a target on the other, then up to three more
/// targets each on a side where it names no node of the other side.
fn sides(d: &mut Draw<'_>, s: &Scenario) -> Target {
    let mut sides = [Vec::new(), Vec::new()];
    let c = d.index(2);
    sides[c].push(Target::Controller);
    sides[1 - c].push(target(d, s));
    for _ in 0..d.range(0, 3) {
        let t = target(d, s);
        let k = d.index(2);
        if !sides[1 - k].iter().any(|o| overlap(o, &t)) {
            sides[k].push(t);
        }
    }
    let [between, and] = sides;
    Target::Sides { between, and }
}

fn fault(d: &mut Draw<'_>, s: &Scenario) -> FaultSpec {
    if d.range(0, 5) == 0 {
        return FaultSpec {
            trigger: trigger(d, s),
            action: FaultAction::Partition,
            target: sides(d, s),
            restart_after_ms: None,
            duration_ms: Some(d.range(1, 10_000)),
            pin: d.maybe(false, |_| true),
        };
    }
    let target = target(d, s);
    let client = matches!(target, Target::Producer(_) | Target::Consumer { .. } | Target::Processor { .. });
    let action = if client {
        d.pick(&[FaultAction::Crash, FaultAction::Isolate, FaultAction::Pause])
    } else {
        d.pick(&[FaultAction::Crash, FaultAction::PowerLoss, FaultAction::Isolate, FaultAction::Pause])
    };
    let lasting = matches!(action, FaultAction::Isolate | FaultAction::Pause);
    FaultSpec {
        trigger: trigger(d, s),
        action,
        target,
        restart_after_ms: if lasting { None } else { d.maybe(None, |d| Some(d.range(0, 10_000))) },
        duration_ms: lasting.then(|| d.range(1, 10_000)),
        pin: d.maybe(false, |_| true),
    }
}

fn nemesis(d: &mut Draw<'_>, s: &Scenario) -> NemesisSpec {
    let x = NemesisSpec::default();
    let pair = |d: &mut Draw<'_>, min: u64| {
        let a = d.range(min, 5_000);
        (a, a + d.range(0, 5_000))
    };
    let mut classes = vec![TargetClass::Brokers, TargetClass::Producers, TargetClass::Consumers];
    if !s.processors.is_empty() {
        classes.push(TargetClass::Processors);
    }
    let actions = d.maybe(x.actions.clone(), |d| {
        d.subset(&[FaultAction::Crash, FaultAction::PowerLoss, FaultAction::Isolate, FaultAction::Pause])
    });
    let mut targets = d.maybe(x.targets.clone(), |d| d.subset(&classes));
    // Power loss needs brokers to hit.
    if actions.contains(&FaultAction::PowerLoss) && !targets.contains(&TargetClass::Brokers) {
        targets.push(TargetClass::Brokers);
    }
    let start_ms = d.maybe(0, |d| d.range(0, 10_000));
    NemesisSpec {
        actions,
        targets,
        interval_ms: d.maybe(x.interval_ms, |d| pair(d, 1)),
        start_ms,
        stop_ms: d.maybe(u64::MAX, |d| d.range(start_ms, start_ms + 100_000)),
        restart_after_ms: d.maybe(x.restart_after_ms, |d| pair(d, 0)),
        duration_ms: d.maybe(x.duration_ms, |d| pair(d, 1)),
        safe_power_loss: d.coin(),
    }
}

/// Some anomalies, each once, in a drawn order, with bounds of every form.
fn expectations(d: &mut Draw<'_>) -> Vec<Expectation> {
    let mut names: Vec<Anomaly> = Anomaly::ALL.to_vec();
    let rotate = d.index(names.len());
    names.rotate_left(rotate);
    let chosen = if d.coin() { d.subset(&names[..5]) } else { Vec::new() };
    chosen
        .into_iter()
        .map(|anomaly| {
            let n = if d.range(0, 9) == 9 { u64::MAX - d.range(0, 2) } else { d.range(0, 10) };
            let bound = match d.range(0, 4) {
                0 => Bound::Eq(n),
                1 => Bound::Gt(n),
                2 => Bound::Ge(n),
                3 => Bound::Le(n),
                _ => Bound::Lt(n.max(1)),
            };
            Expectation { anomaly, bound }
        })
        .collect()
}

/// A valid scenario: every reference resolves, every rule of the loader holds.
fn build(name: String, description: Option<String>, raw: &[u64]) -> Scenario {
    let d = &mut Draw { raw, at: 0 };
    let mut s = Scenario { name, description, ..Scenario::default() };
    s.seed = d.maybe(1, |d| d.range(0, i64::MAX as u64));
    s.duration_ms = d.maybe(120_000, |d| d.range(1, 10_000_000));
    s.cluster.brokers = d.maybe(3, |d| d.range(1, 5) as u32);
    s.cluster.config = broker_config(d);
    // Releases whose clients have everything the draw uses (idempotence, exactly_once_v2), each
    // in a metadata mode it had.
    let versions = ["2.6", "2.8", "3.5", "3.6", "4.0", "4.1"].map(|v| KafkaVersion::parse(v).unwrap());
    s.cluster.kafka_version = d.maybe(KafkaVersion::NEWEST, |d| d.pick(&versions));
    let v = s.cluster.kafka_version;
    if !v.producer_id_expiration_config() {
        // KIP-854's keys arrived in 3.4.
        let x = BrokerConfig::default();
        s.cluster.config.producer_id_expiration_ms = x.producer_id_expiration_ms;
        s.cluster.config.producer_id_expiration_check_interval_ms = x.producer_id_expiration_check_interval_ms;
    }
    s.cluster.metadata = d.maybe(v.default_metadata(), |d| {
        let m = d.pick(&[MetadataMode::ZooKeeper, MetadataMode::KRaft]);
        if v.supports(m) {
            m
        } else {
            v.default_metadata()
        }
    });
    s.network.latency_ms = d.maybe((1, 5), |d| {
        let a = d.range(0, 20);
        (a, a + d.range(0, 20))
    });
    let brokers = u64::from(s.cluster.brokers);
    let topics: Vec<TopicSpec> = (0..d.range(1, 4))
        .map(|i| {
            let mut t = TopicSpec::new(&format!("t{i}{}", d.topic_suffix()), d.range(1, 4) as u32, 1);
            t.replication_factor = d.maybe(brokers.min(3), |d| d.range(1, brokers)) as u32;
            t.min_insync_replicas = d.maybe(None, |d| Some(d.range(1, 4) as u32));
            t.unclean_leader_election_enable = d.maybe(None, |d| Some(d.coin()));
            t.flush_messages = d.maybe(None, |d| Some(d.range(1, 1_000)));
            t
        })
        .collect();
    let b = s.cluster.config.clone();
    s.producers = (0..d.range(0, 3) as usize).map(|i| producer(d, i, &topics, &b)).collect();
    s.consumers = (0..d.range(0, 3) as usize).map(|i| consumer(d, i, &topics, &b)).collect();
    s.processors = processors(d, &topics, &b);
    // As the loader does: an undeclared output becomes a topic of 1 partition, RF 1.
    s.topics = topics;
    for p in &s.processors {
        if !s.topics.iter().any(|t| t.name == p.output) {
            s.topics.push(TopicSpec::new(&p.output, 1, 1));
        }
    }
    s.faults = (0..d.range(0, 6)).map(|_| fault(d, &s)).collect();
    s.nemesis = d.maybe(None, |d| Some(nemesis(d, &s)));
    s.expect = expectations(d);
    // Drawn last, so the draws above (and the scenarios they shrink to) stay as they were.
    services(d, &mut s);
    s
}

/// Maybe a `[[service]]` owning some of the tables (one instance when it owns a producer; the
/// consumer tables it owns run as many instances as it does), and maybe a fault on it.
fn services(d: &mut Draw<'_>, s: &mut Scenario) {
    if !d.coin() || (s.producers.is_empty() && s.consumers.is_empty()) {
        return;
    }
    let mut svc = ServiceSpec::new(&format!("svc{}", d.client_suffix()));
    let producers: Vec<String> = s.producers.iter().map(|p| p.name.clone()).collect();
    if !producers.is_empty() && d.coin() {
        svc.producers = d.subset(&producers);
    }
    svc.instances = if svc.producers.is_empty() { d.range(1, 3) as u32 } else { 1 };
    let consumers: Vec<String> =
        s.consumers.iter().filter(|c| c.instances == svc.instances).map(|c| c.name.clone()).collect();
    if !consumers.is_empty() && d.coin() {
        svc.consumers = d.subset(&consumers);
    }
    if svc.producers.is_empty() && svc.consumers.is_empty() {
        return;
    }
    let instances = svc.instances;
    s.services.push(svc);
    if d.coin() {
        let instance = d.maybe(None, |d| Some(d.range(0, u64::from(instances) - 1) as u32));
        let pause = d.coin();
        s.faults.push(FaultSpec {
            trigger: Trigger::AtMs(d.range(0, 10_000)),
            action: if pause { FaultAction::Pause } else { FaultAction::Crash },
            target: Target::Service { service: 0, instance },
            restart_after_ms: if pause { None } else { d.maybe(None, |d| Some(d.range(0, 10_000))) },
            duration_ms: pause.then(|| d.range(1, 10_000)),
            pin: false,
        });
    }
}

fn scenarios() -> impl Strategy<Value = Scenario> {
    (any::<String>(), proptest::option::of(any::<String>()), proptest::collection::vec(any::<u64>(), 600))
        .prop_map(|(name, description, raw)| build(name, description, &raw))
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
