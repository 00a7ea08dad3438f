//! Loading scenario files: the contract's format parses to the model, and every kind of bad input
//! is rejected with `FILE:LINE:COL: MESSAGE` pointing at the offending key or value.

use kafkasim::record::Anomaly;
use kafkasim::scenario::*;
use proptest::prelude::*;

#[path = "common/fuzz_inputs.rs"]
mod fuzz_inputs;
use fuzz_inputs::{check_loader, JUNK};

/// The contract's example file, verbatim.
const CONTRACT_EXAMPLE: &str = r#"name = "acks=1 loses acknowledged writes when the leader fails"   # required
description = "..."        # optional, shown in the text report
seed = 1                   # default 1
duration_ms = 120000       # virtual-time bound of the whole run

[cluster]
brokers = 3
[cluster.config]           # broker configs, spelled as Kafka spells them
"min.insync.replicas" = 1
"unclean.leader.election.enable" = false
"replica.lag.time.max.ms" = 30000
"log.flush.interval.messages" = 9223372036854775807   # Kafka's default: never fsync

[network]
latency_ms = [1, 5]        # one-way latency range, drawn per message from the seed

[[topic]]
name = "orders"
partitions = 1
replication_factor = 3
[topic.config]
"min.insync.replicas" = 2  # overrides the broker value

[[producer]]
name = "p1"
topic = "orders"
records = 1000             # the workload: record p1#0 .. p1#999, each value unique
keys = 10                  # optional: records get one of 10 keys, partitioned by key hash
interval_ms = 1            # time between sends
[producer.config]          # Kafka producer configs, Kafka's names and defaults (4.x)
"acks" = "1"
"enable.idempotence" = false
"retries" = 2147483647
"max.in.flight.requests.per.connection" = 5

[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
commit = "after-processing"   # "auto" | "before-processing" | "after-processing"
processing_ms = 1             # time the application spends on one record
[consumer.config]
"enable.auto.commit" = false  # must agree with `commit`; a contradiction is a clear error
"isolation.level" = "read_committed"
"auto.offset.reset" = "earliest"

[[processor]]              # consume-transform-produce, as Kafka Streams does it
name = "s1"
group = "app"
input = "orders"
output = "shipments"       # each output record names its input record
instances = 2
[processor.config]
"processing.guarantee" = "exactly_once_v2"   # or "at_least_once"

[[fault]]
at_ms = 400                # or: after = "p1#17 acked"
action = "crash"           # "crash" | "power-loss" | "isolate" | "pause"
target = "leader:orders/0" # see the targets below
restart_after_ms = 2000    # crash / power-loss; omitted: it stays down

[[fault]]
after = "c1 processed 10"
action = "crash"
target = "consumer:c1"
restart_after_ms = 500

[expect]                   # checked for every seed; integer = exactly, or "0", ">0", ">=N", "<=N"
lost_acked = ">0"
duplicate_processing = 0
"#;

/// The contract's example without its `[[processor]]` table (whose output topic it does not declare).
fn contract_example_without_processor() -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in CONTRACT_EXAMPLE.lines() {
        if line.starts_with('[') {
            skipping = line.starts_with("[[processor]]") || line.starts_with("[processor.");
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The contract's example with a `[[topic]]` for its processor's output, which it does not declare.
fn contract_example_with_shipments() -> String {
    let anchor = "\"min.insync.replicas\" = 2  # overrides the broker value\n";
    assert!(CONTRACT_EXAMPLE.contains(anchor));
    CONTRACT_EXAMPLE.replacen(anchor, &format!("{anchor}\n[[topic]]\nname = \"shipments\"\n"), 1)
}

/// The 1-based line and column of the first `needle` in `src`.
fn pos(src: &str, needle: &str) -> (usize, usize) {
    let at = src.find(needle).expect("needle in source");
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

fn load(src: &str) -> Scenario {
    parse_str(src, "s.toml").unwrap_or_else(|e| panic!("unexpected error: {e}\n--- source ---\n{src}"))
}

fn error(src: &str) -> String {
    match parse_str(src, "s.toml") {
        Ok(s) => panic!("expected an error, got {s:#?}\n--- source ---\n{src}"),
        Err(e) => e.to_string(),
    }
}

/// Asserts that `src` is rejected at `line:col` with a message containing `needle`.
#[track_caller]
fn assert_error(src: &str, line: usize, col: usize, needle: &str) {
    let e = error(src);
    let prefix = format!("s.toml:{line}:{col}: ");
    assert!(e.starts_with(&prefix), "expected prefix {prefix:?}, got {e:?}");
    assert!(e.contains(needle), "expected {needle:?} in {e:?}");
}

/// One topic `orders` (2 partitions) and one producer `p1` (100 records), lines 1 to 8.
const BASE: &str = r#"name = "t"
[[topic]]
name = "orders"
partitions = 2
[[producer]]
name = "p1"
topic = "orders"
records = 100
"#;

fn with_base(rest: &str) -> String {
    format!("{BASE}{rest}")
}

fn producer_config(lines: &str) -> Result<ProducerConfig, ScenarioError> {
    parse_str(&with_base(&format!("[producer.config]\n{lines}")), "s.toml").map(|s| s.producers[0].config.clone())
}

fn fault(lines: &str) -> Result<FaultSpec, ScenarioError> {
    parse_str(&with_base(&format!("[[fault]]\n{lines}")), "s.toml").map(|s| s.faults[0].clone())
}

/// `BASE` plus consumer `c1` of group `g1` reading `orders` (lines 9 to 12), then `rest`.
fn with_consumer(rest: &str) -> String {
    with_base(&format!("[[consumer]]\nname = \"c1\"\ngroup = \"g1\"\ntopics = [\"orders\"]\n{rest}"))
}

/// Consumer `c1` with `lines` added to its table (from line 13).
fn consumer(lines: &str) -> Result<ConsumerSpec, ScenarioError> {
    parse_str(&with_consumer(lines), "s.toml").map(|s| s.consumers[0].clone())
}

/// Consumer `c1` with a `[consumer.config]` (line 13) holding `lines` (from line 14).
fn consumer_config(lines: &str) -> Result<ConsumerConfig, ScenarioError> {
    consumer(&format!("[consumer.config]\n{lines}")).map(|c| c.config)
}

// ---------------------------------------------------------------------------------------------
// The contract's example and defaults

#[test]
fn the_contract_example_without_its_processor_table_parses_to_the_expected_model() {
    let src = contract_example_without_processor();
    assert!(src.contains("[[consumer]]") && !src.contains("processor"));
    let s = load(&src);
    let expected = Scenario {
        processors: Vec::new(),
        services: Vec::new(),
        name: "acks=1 loses acknowledged writes when the leader fails".into(),
        description: Some("...".into()),
        seed: 1,
        duration_ms: 120_000,
        cluster: ClusterSpec {
            brokers: 3,
            config: BrokerConfig {
                min_insync_replicas: 1,
                unclean_leader_election_enable: false,
                replica_lag_time_max_ms: 30_000,
                log_flush_interval_messages: 9_223_372_036_854_775_807,
                ..BrokerConfig::default()
            },
            ..ClusterSpec::default()
        },
        network: NetworkSpec { latency_ms: (1, 5) },
        topics: vec![TopicSpec {
            name: "orders".into(),
            partitions: 1,
            replication_factor: 3,
            min_insync_replicas: Some(2),
            unclean_leader_election_enable: None,
            flush_messages: None,
        }],
        producers: vec![ProducerSpec {
            keys: Some(10),
            interval_ms: 1,
            config: ProducerConfig {
                acks: Acks::One,
                enable_idempotence: false,
                retries: 2_147_483_647,
                max_in_flight: 5,
                ..ProducerConfig::default()
            },
            ..ProducerSpec::new("p1", "orders", 1000)
        }],
        consumers: vec![ConsumerSpec {
            name: "c1".into(),
            group: "g1".into(),
            topics: vec!["orders".into()],
            commit: CommitMode::AfterProcessing,
            processing_ms: 1,
            instances: 1,
            poll_timeout_ms: 100,
            config: ConsumerConfig {
                enable_auto_commit: false,
                isolation_level: IsolationLevel::ReadCommitted,
                auto_offset_reset: OffsetReset::Earliest,
                ..ConsumerConfig::default()
            },
            client: ClientKind::Java,
        }],
        faults: vec![
            FaultSpec {
                trigger: Trigger::AtMs(400),
                action: FaultAction::Crash,
                target: Target::Leader { topic: "orders".into(), partition: 0 },
                restart_after_ms: Some(2000),
                duration_ms: None,
                pin: false,
            },
            FaultSpec {
                trigger: Trigger::Client { client: ClientRef::Consumer(0), event: ClientEvent::Processed, n: 10 },
                action: FaultAction::Crash,
                target: Target::Consumer { consumer: 0, instance: None },
                restart_after_ms: Some(500),
                duration_ms: None,
                pin: false,
            },
        ],
        nemesis: None,
        expect: vec![
            Expectation { anomaly: Anomaly::LostAcked, bound: Bound::Gt(0) },
            Expectation { anomaly: Anomaly::DuplicateProcessing, bound: Bound::Eq(0) },
        ],
    };
    assert_eq!(s, expected);
}

#[test]
fn the_contract_example_as_written_auto_creates_its_output_topic_with_broker_defaults() {
    let s = load(CONTRACT_EXAMPLE);
    let without = load(&contract_example_without_processor());
    // Kafka's `auto.create.topics.enable`: 1 partition, replication factor 1.
    let expected = Scenario {
        topics: vec![without.topics[0].clone(), TopicSpec::new("shipments", 1, 1)],
        processors: vec![ProcessorSpec {
            instances: 2,
            ..ProcessorSpec::new("s1", "app", "orders", "shipments", ProcessingGuarantee::ExactlyOnceV2)
        }],
        ..without
    };
    assert_eq!(s, expected);
}

#[test]
fn the_contract_example_with_its_output_topic_declared_parses_to_the_expected_model() {
    let s = load(&contract_example_with_shipments());
    let without = load(&contract_example_without_processor());
    let expected = Scenario {
        topics: vec![without.topics[0].clone(), TopicSpec::new("shipments", 1, 3)],
        processors: vec![ProcessorSpec {
            instances: 2,
            ..ProcessorSpec::new("s1", "app", "orders", "shipments", ProcessingGuarantee::ExactlyOnceV2)
        }],
        ..without
    };
    assert_eq!(s, expected);
    assert_eq!(s.processors[0].config.commit_interval_ms, 100);
}

#[test]
fn a_minimal_file_gets_kafka_defaults() {
    let s = load(BASE);
    assert_eq!(s.name, "t");
    assert_eq!(s.description, None);
    assert_eq!(s.seed, 1);
    assert_eq!(s.duration_ms, 120_000);
    assert_eq!(s.cluster, ClusterSpec::default());
    assert_eq!(s.network, NetworkSpec::default());
    assert_eq!(s.topics[0].replication_factor, 3);
    assert_eq!(s.producers[0], ProducerSpec::new("p1", "orders", 100));
    let c = &s.producers[0].config;
    assert_eq!(c.acks, Acks::All);
    assert!(c.enable_idempotence);
    assert!(s.faults.is_empty() && s.nemesis.is_none() && s.expect.is_empty());
}

#[test]
fn replication_factor_defaults_to_the_broker_count_when_it_is_below_three() {
    let two = load("name = \"t\"\n[cluster]\nbrokers = 2\n[[topic]]\nname = \"a\"\n");
    assert_eq!(two.topics[0].replication_factor, 2);
    let five = load("name = \"t\"\n[cluster]\nbrokers = 5\n[[topic]]\nname = \"a\"\n");
    assert_eq!(five.topics[0].replication_factor, 3);
}

#[test]
fn every_broker_config_key_is_read() {
    let s = load(
        r#"name = "t"
[cluster.config]
"min.insync.replicas" = 2
"unclean.leader.election.enable" = true
"replica.lag.time.max.ms" = 10000
"log.flush.interval.messages" = 1
"broker.session.timeout.ms" = 6000
"broker.heartbeat.interval.ms" = 1000
"replica.fetch.wait.max.ms" = 100
"replica.fetch.backoff.ms" = 50
"offsets.topic.num.partitions" = 3
"offsets.topic.replication.factor" = 5
"offsets.commit.timeout.ms" = 700
"group.initial.rebalance.delay.ms" = 0
"group.consumer.session.timeout.ms" = 50000
"group.consumer.heartbeat.interval.ms" = 2500
"group.min.session.timeout.ms" = 100
"group.max.session.timeout.ms" = 9000
"transaction.state.log.num.partitions" = 7
"transaction.state.log.replication.factor" = 2
"transaction.state.log.min.isr" = 1
"transaction.abort.timed.out.transaction.cleanup.interval.ms" = 250
"transaction.max.timeout.ms" = 120000
"zookeeper.session.timeout.ms" = 4000
"producer.id.expiration.ms" = 60000
"producer.id.expiration.check.interval.ms" = 1000
"transactional.id.expiration.ms" = 90000
"transaction.remove.expired.transaction.cleanup.interval.ms" = 5000
"#,
    );
    assert_eq!(
        s.cluster.config,
        BrokerConfig {
            min_insync_replicas: 2,
            unclean_leader_election_enable: true,
            replica_lag_time_max_ms: 10_000,
            log_flush_interval_messages: 1,
            broker_session_timeout_ms: 6_000,
            broker_heartbeat_interval_ms: 1_000,
            replica_fetch_wait_max_ms: 100,
            replica_fetch_backoff_ms: 50,
            offsets_topic_num_partitions: 3,
            offsets_topic_replication_factor: 5,
            offsets_commit_timeout_ms: 700,
            group_initial_rebalance_delay_ms: 0,
            group_min_session_timeout_ms: 100,
            group_max_session_timeout_ms: 9_000,
            group_consumer_session_timeout_ms: 50_000,
            group_consumer_heartbeat_interval_ms: 2_500,
            transaction_state_log_num_partitions: 7,
            transaction_state_log_replication_factor: 2,
            transaction_state_log_min_isr: 1,
            transaction_abort_timed_out_transaction_cleanup_interval_ms: 250,
            transaction_max_timeout_ms: 120_000,
            zookeeper_session_timeout_ms: 4_000,
            producer_id_expiration_ms: 60_000,
            producer_id_expiration_check_interval_ms: 1_000,
            transactional_id_expiration_ms: 90_000,
            transaction_remove_expired_transaction_cleanup_interval_ms: 5_000,
        }
    );
}

#[test]
fn topic_config_overrides_are_read() {
    let s = load(
        "name = \"t\"\n[[topic]]\nname = \"a\"\n[topic.config]\n\"min.insync.replicas\" = 2\n\
         \"unclean.leader.election.enable\" = true\n\"flush.messages\" = 1\n",
    );
    let t = &s.topics[0];
    assert_eq!(t.min_insync_replicas, Some(2));
    assert_eq!(t.unclean_leader_election_enable, Some(true));
    assert_eq!(t.flush_messages, Some(1));
}

#[test]
fn every_producer_key_and_config_is_read() {
    let s = load(&with_base(
        r#"keys = 4
interval_ms = 0
record_bytes = 512
on_restart = "skip-unacked"
[producer.config]
"acks" = "all"
"enable.idempotence" = true
"retries" = 3
"max.in.flight.requests.per.connection" = 1
"linger.ms" = 0
"batch.size" = 1024
"retry.backoff.ms" = 10
"retry.backoff.max.ms" = 20
"request.timeout.ms" = 500
"delivery.timeout.ms" = 600
"#,
    ));
    let p = &s.producers[0];
    assert_eq!(p.keys, Some(4));
    assert_eq!(p.interval_ms, 0);
    assert_eq!(p.record_bytes, 512);
    assert_eq!(p.on_restart, OnRestart::SkipUnacked);
    assert_eq!(
        p.config,
        ProducerConfig {
            acks: Acks::All,
            enable_idempotence: true,
            retries: 3,
            max_in_flight: 1,
            linger_ms: 0,
            batch_size: 1024,
            retry_backoff_ms: 10,
            retry_backoff_max_ms: 20,
            request_timeout_ms: 500,
            delivery_timeout_ms: 600,
            transactional_id: None,
            ..ProducerConfig::default()
        }
    );
}

#[test]
fn inline_tables_and_arrays_of_inline_tables_are_accepted() {
    let s = load(
        r#"name = "t"
cluster = { brokers = 5, config = { "min.insync.replicas" = 2 } }
topic = [{ name = "a", partitions = 3 }, { name = "b" }]
producer = [{ name = "p1", topic = "b", records = 5, config = { "acks" = 1 } }]
"#,
    );
    assert_eq!(s.cluster.brokers, 5);
    assert_eq!(s.cluster.config.min_insync_replicas, 2);
    assert_eq!(s.topics.len(), 2);
    assert_eq!(s.topics[0].partitions, 3);
    assert_eq!(s.producers[0].config.acks, Acks::One);
}

// ---------------------------------------------------------------------------------------------
// Error format and positions

#[test]
fn an_error_displays_as_file_line_column_message() {
    let e = ScenarioError { file: "x/y.toml".into(), line: 2, column: 7, message: "what went wrong".into() };
    assert_eq!(e.to_string(), "x/y.toml:2:7: what went wrong");
}

#[test]
fn a_missing_name_is_reported_at_the_start_of_the_file() {
    assert_eq!(error("seed = 3\n"), "s.toml:1:1: missing required key `name` at the top level");
    assert_error("", 1, 1, "missing required key `name`");
}

#[test]
fn invalid_toml_syntax_is_reported_where_the_parser_stopped() {
    assert_error("name = \"t\"\nseed = [1,\n", 3, 1, "invalid TOML: invalid array");
    assert_error("name = \"t\"\nseed = \n", 2, 8, "invalid TOML");
    assert_error("name = \"t\"\nname = \"u\"\n", 2, 1, "duplicate key `name`");
}

#[test]
fn columns_count_characters_not_bytes() {
    assert_error("name = \"né\"\n[cluster]\nbrokers = \"é\"\n", 3, 11, "`brokers` must be an integer, found a string");
    assert_error("description = \"ééé\" ; x = 1\n", 1, 21, "invalid TOML");
}

// ---------------------------------------------------------------------------------------------
// Unknown keys, with the nearest valid one

#[test]
fn unknown_top_level_key_names_the_nearest_valid_key() {
    assert_eq!(error("nmae = \"x\"\n"), "s.toml:1:1: unknown key `nmae` at the top level; did you mean `name`?");
    assert_eq!(
        error("name = \"x\"\n[clustr]\nbrokers = 3\n"),
        "s.toml:2:2: unknown key `clustr` at the top level; did you mean `cluster`?"
    );
}

#[test]
fn unknown_producer_config_key_names_the_nearest_valid_key() {
    assert_eq!(
        error(&with_base("[producer.config]\n\"acsk\" = \"1\"\n")),
        "s.toml:10:1: unknown key `acsk` in [producer.config]; did you mean `acks`?"
    );
    assert_error(
        &with_base("[producer.config]\n\"acks\" = \"1\"\n\"max.inflight.requests.per.connection\" = 1\n"),
        11,
        1,
        "did you mean `max.in.flight.requests.per.connection`?",
    );
}

#[test]
fn unknown_keys_in_every_table_name_the_nearest_valid_key() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("name = \"t\"\n[cluster]\nbrokerz = 3\n", 3, 1, "unknown key `brokerz` in [cluster]; did you mean `brokers`?"),
        ("name = \"t\"\ncluster.brokerz = 3\n", 2, 9, "unknown key `brokerz` in [cluster]; did you mean `brokers`?"),
        (
            "name = \"t\"\n[cluster.config]\n\"min.insync.replica\" = 2\n",
            3,
            1,
            "unknown key `min.insync.replica` in [cluster.config]; did you mean `min.insync.replicas`?",
        ),
        (
            "name = \"t\"\n[network]\nlatency = 3\n",
            3,
            1,
            "unknown key `latency` in [network]; did you mean `latency_ms`?",
        ),
        (
            "name = \"t\"\n[[topic]]\nname = \"a\"\npartition = 3\n",
            4,
            1,
            "unknown key `partition` in [[topic]]; did you mean `partitions`?",
        ),
        (
            "name = \"t\"\n[[topic]]\nname = \"a\"\n[topic.config]\n\"flush.message\" = 1\n",
            5,
            1,
            "unknown key `flush.message` in [topic.config]; did you mean `flush.messages`?",
        ),
        (
            "name = \"t\"\n[[topic]]\nname = \"a\"\n[[producer]]\nname = \"p\"\ntopic = \"a\"\nrecord = 1\n",
            7,
            1,
            "unknown key `record` in [[producer]]; did you mean `records`?",
        ),
        (
            "name = \"t\"\n[[fault]]\nat_ms = 1\nactoin = \"crash\"\n",
            4,
            1,
            "unknown key `actoin` in [[fault]]; did you mean `action`?",
        ),
        (
            "name = \"t\"\n[nemesis]\ninterval = [1, 2]\n",
            3,
            1,
            "unknown key `interval` in [nemesis]; did you mean `interval_ms`?",
        ),
        (
            "name = \"t\"\n[expect]\nlost_ack = 0\n",
            3,
            1,
            "unknown key `lost_ack` in [expect]; did you mean `lost_acked`?",
        ),
    ];
    for &(src, line, col, message) in cases {
        assert_eq!(error(src), format!("s.toml:{line}:{col}: {message}"), "{src}");
    }
}

#[test]
fn an_unquoted_dotted_kafka_config_name_is_told_to_be_quoted() {
    assert_eq!(
        error("name = \"t\"\n[cluster.config]\nmin.insync.replicas = 2\n"),
        "s.toml:3:1: write the key in quotes, \"min.insync.replicas\" = ...: unquoted, TOML reads \
         its dots as nested tables"
    );
    assert_error(&with_base("[producer.config]\nenable.idempotence = true\n"), 10, 1, "\"enable.idempotence\"");
    // An unquoted dotted name that is not a config gets the nearest-key hint under its full name.
    assert_error(
        &with_base("[producer.config]\nlinger.mss = 1\n"),
        10,
        1,
        "unknown key `linger.mss` in [producer.config]; did you mean `linger.ms`?",
    );
}

// ---------------------------------------------------------------------------------------------
// Types, ranges and required keys

#[test]
fn out_of_range_values_report_the_allowed_range() {
    let cases: &[(&str, usize, usize, &str)] = &[
        ("name = \"t\"\n[cluster]\nbrokers = 0\n", 3, 11, "`brokers` must be from 1 to 64, found 0"),
        ("name = \"t\"\n[cluster]\nbrokers = 65\n", 3, 11, "`brokers` must be from 1 to 64, found 65"),
        ("name = \"t\"\nduration_ms = 0\n", 2, 15, "`duration_ms` must be at least 1, found 0"),
        ("name = \"t\"\nseed = -1\n", 2, 8, "`seed` must be at least 0, found -1"),
        (
            "name = \"t\"\n[[topic]]\nname = \"a\"\npartitions = 1001\n",
            4,
            14,
            "`partitions` must be from 1 to 1000, found 1001",
        ),
        (
            "name = \"t\"\n[cluster.config]\n\"min.insync.replicas\" = 0\n",
            3,
            25,
            "`min.insync.replicas` must be from 1 to 2147483647, found 0",
        ),
        (
            "name = \"t\"\n[cluster.config]\n\"log.flush.interval.messages\" = 0\n",
            3,
            33,
            "`log.flush.interval.messages` must be at least 1, found 0",
        ),
        (
            "name = \"t\"\n[[topic]]\nname = \"a\"\n[topic.config]\n\"flush.messages\" = 0\n",
            5,
            20,
            "`flush.messages` must be at least 1, found 0",
        ),
    ];
    for &(src, line, col, message) in cases {
        assert_eq!(error(src), format!("s.toml:{line}:{col}: {message}"), "{src}");
    }
    assert_error(&with_base("keys = 0\n"), 9, 8, "`keys` must be from 1 to 4294967295, found 0");
    assert_error(&with_base("record_bytes = 0\n"), 9, 16, "`record_bytes` must be at least 1");
    assert_error(
        "name = \"t\"\n[[topic]]\nname = \"a\"\n[[producer]]\nname = \"p\"\ntopic = \"a\"\nrecords = 4294967296\n",
        7,
        11,
        "`records` must be from 0 to 4294967295, found 4294967296",
    );
    let config_cases: &[(&str, &str)] = &[
        ("\"retries\" = -1", "`retries` must be from 0 to 2147483647, found -1"),
        ("\"retries\" = 2147483648", "`retries` must be from 0 to 2147483647, found 2147483648"),
        (
            "\"max.in.flight.requests.per.connection\" = 0",
            "`max.in.flight.requests.per.connection` must be from 1 to 2147483647, found 0",
        ),
        ("\"batch.size\" = 0", "`batch.size` must be from 1 to 2147483647, found 0"),
        ("\"request.timeout.ms\" = 0", "`request.timeout.ms` must be from 1 to 2147483647, found 0"),
        ("\"delivery.timeout.ms\" = 0", "`delivery.timeout.ms` must be from 1 to 2147483647, found 0"),
        ("\"linger.ms\" = -5", "`linger.ms` must be at least 0, found -5"),
    ];
    for &(line, message) in config_cases {
        let e = producer_config(line).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (10, message), "{line}");
        assert_eq!(e.column, line.find(" = ").unwrap() + 4, "{line}");
    }
}

#[test]
fn wrong_types_say_what_was_expected_and_what_was_found() {
    assert_eq!(
        error("name = \"t\"\n[cluster]\nbrokers = \"3\"\n"),
        "s.toml:3:11: `brokers` must be an integer, found a string (write 3 without quotes)"
    );
    assert_eq!(
        error("name = \"t\"\n[cluster]\nbrokers = 3.0\n"),
        "s.toml:3:11: `brokers` must be an integer, found a float"
    );
    assert_eq!(
        error("name = \"t\"\n[cluster.config]\n\"unclean.leader.election.enable\" = \"true\"\n"),
        "s.toml:3:36: `unclean.leader.election.enable` must be a boolean (true or false), found a \
         string (write true without quotes)"
    );
    assert_eq!(error("name = 5\n"), "s.toml:1:8: `name` must be a string, found an integer");
    assert_error("name = \"t\"\n[[cluster]]\nbrokers = 3\n", 2, 1, "`cluster` must be a table ([cluster])");
    assert_error(
        "name = \"t\"\n[topic]\nname = \"a\"\n",
        2,
        1,
        "`topic` must be an array of tables, written [[topic]]",
    );
    assert_error("name = \"t\"\ntopic = [1]\n", 2, 10, "each `topic` must be a table ([[topic]]), found an integer");
    assert_error(&with_base("on_restart = \"skip\"\n"), 9, 14, "did you mean \"skip-unacked\"?");
}

#[test]
fn missing_required_keys_are_reported_at_their_table() {
    assert_eq!(
        error("name = \"t\"\n[[topic]]\npartitions = 2\n"),
        "s.toml:2:1: missing required key `name` in [[topic]]"
    );
    let topic = "name = \"t\"\n[[topic]]\nname = \"a\"\n";
    assert_eq!(
        error(&format!("{topic}[[producer]]\ntopic = \"a\"\nrecords = 1\n")),
        "s.toml:4:1: missing required key `name` in [[producer]]"
    );
    assert_eq!(
        error(&format!("{topic}[[producer]]\nname = \"p\"\nrecords = 1\n")),
        "s.toml:4:1: missing required key `topic` in [[producer]]"
    );
    assert_eq!(
        error(&format!("{topic}[[producer]]\nname = \"p\"\ntopic = \"a\"\n")),
        "s.toml:4:1: missing required key `records` in [[producer]]"
    );
}

#[test]
fn replication_factor_above_the_broker_count_is_rejected_at_its_value() {
    assert_eq!(
        error("name = \"t\"\n[cluster]\nbrokers = 3\n[[topic]]\nname = \"a\"\nreplication_factor = 4\n"),
        "s.toml:6:22: replication_factor 4 is above the broker count 3"
    );
    assert_error(
        "name = \"t\"\n[[topic]]\nname = \"a\"\nreplication_factor = 0\n",
        4,
        22,
        "`replication_factor` must be at least 1, found 0",
    );
}

#[test]
fn topic_names_must_be_unique_and_legal_kafka_names() {
    assert_eq!(
        error("name = \"t\"\n[[topic]]\nname = \"a\"\n[[topic]]\nname = \"a\"\n"),
        "s.toml:5:8: topic `a` is declared twice (first at line 3)"
    );
    assert_error("name = \"t\"\n[[topic]]\nname = \"a b\"\n", 3, 8, "not a legal Kafka topic name");
    assert_error("name = \"t\"\n[[topic]]\nname = \"\"\n", 3, 8, "not a legal Kafka topic name");
}

#[test]
fn producer_names_must_be_unique_and_free_of_separators() {
    let two = with_base("[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 1\n");
    assert_eq!(error(&two), "s.toml:10:8: client name `p1` is already used by the producer at line 6");
    for (name, shown) in [("p#1", "'#'"), ("p 1", "' '"), ("a/b", "'/'")] {
        let src = format!(
            "name = \"t\"\n[[topic]]\nname = \"a\"\n[[producer]]\nname = \"{name}\"\ntopic = \"a\"\nrecords = 1\n"
        );
        assert_error(&src, 5, 8, &format!("must not contain {shown}"));
    }
    let empty = "name = \"t\"\n[[topic]]\nname = \"a\"\n[[producer]]\nname = \"\"\ntopic = \"a\"\nrecords = 1\n";
    assert_error(empty, 5, 8, "must not be empty");
}

#[test]
fn a_producer_topic_that_is_not_declared_names_the_nearest_topic() {
    let src =
        "name = \"t\"\n[[topic]]\nname = \"orders\"\n[[producer]]\nname = \"p\"\ntopic = \"order\"\nrecords = 1\n";
    assert_eq!(error(src), "s.toml:6:9: topic `order` is not declared; did you mean `orders`?");
    let none = "name = \"t\"\n[[producer]]\nname = \"p\"\ntopic = \"a\"\nrecords = 1\n";
    assert_error(none, 4, 9, "topic `a` is not declared (the file declares no [[topic]])");
}

#[test]
fn network_latency_is_a_range_or_one_integer() {
    let one = load("name = \"t\"\n[network]\nlatency_ms = 7\n");
    assert_eq!(one.network.latency_ms, (7, 7));
    let zero = load("name = \"t\"\n[network]\nlatency_ms = [0, 0]\n");
    assert_eq!(zero.network.latency_ms, (0, 0));
    assert_eq!(
        error("name = \"t\"\n[network]\nlatency_ms = [5, 1]\n"),
        "s.toml:3:14: `latency_ms` = [5, 1]: the minimum 5 is above the maximum 1"
    );
    assert_error("name = \"t\"\n[network]\nlatency_ms = [1, 2, 3]\n", 3, 14, "found 3 elements");
    assert_error("name = \"t\"\n[network]\nlatency_ms = [1, -2]\n", 3, 18, "bounds must be at least 0, found -2");
    assert_error("name = \"t\"\n[network]\nlatency_ms = \"fast\"\n", 3, 14, "must be [min, max] or one integer");
}

#[test]
fn broker_fetch_wait_must_fit_kafkas_cross_checks() {
    assert_error(
        "name = \"t\"\n[cluster.config]\n\"replica.fetch.wait.max.ms\" = 40000\n",
        3,
        31,
        "at most replica.socket.timeout.ms (30000",
    );
    assert_error(
        "name = \"t\"\n[cluster.config]\n\"replica.lag.time.max.ms\" = 100\n",
        3,
        29,
        "`replica.fetch.wait.max.ms` (500) must be at most `replica.lag.time.max.ms` (100)",
    );
}

// ---------------------------------------------------------------------------------------------
// Producer configs: Kafka 4.x idempotence and delivery-timeout rules

#[test]
fn acks_accepts_kafkas_string_and_integer_spellings() {
    for (value, acks) in [
        ("\"all\"", Acks::All),
        ("\"-1\"", Acks::All),
        ("-1", Acks::All),
        ("\"1\"", Acks::One),
        ("1", Acks::One),
        ("\"0\"", Acks::Zero),
        ("0", Acks::Zero),
        ("\" all \"", Acks::All),
    ] {
        let c = producer_config(&format!("\"acks\" = {value}\n")).unwrap();
        assert_eq!(c.acks, acks, "{value}");
    }
    for bad in ["\"ALL\"", "\"2\"", "2", "true"] {
        let e = producer_config(&format!("\"acks\" = {bad}\n")).unwrap_err();
        assert_eq!((e.line, e.column), (10, 10), "{bad}");
        assert!(e.message.starts_with("`acks` must be"), "{e}");
    }
}

#[test]
fn idempotence_is_on_by_default() {
    let c = producer_config("").unwrap();
    assert!(c.enable_idempotence);
    assert_eq!(c.acks, Acks::All);
}

#[test]
fn idempotence_is_silently_off_for_acks_1_unless_explicit() {
    let c = producer_config("\"acks\" = \"1\"\n").unwrap();
    assert_eq!(c.acks, Acks::One);
    assert!(!c.enable_idempotence);
    let c = producer_config("\"acks\" = 0\n").unwrap();
    assert!(!c.enable_idempotence);
    let e = producer_config("\"enable.idempotence\" = true\n\"acks\" = \"1\"\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.toml:11:10: enable.idempotence=true requires acks=all, found acks=1 (Kafka: Must set acks \
         to all in order to use the idempotent producer)"
    );
}

#[test]
fn idempotence_is_silently_off_for_zero_retries_unless_explicit() {
    let c = producer_config("\"retries\" = 0\n").unwrap();
    assert!(!c.enable_idempotence);
    assert_eq!(c.retries, 0);
    let e = producer_config("\"retries\" = 0\n\"enable.idempotence\" = true\n").unwrap_err();
    assert_eq!((e.line, e.column), (10, 13));
    assert!(e.message.starts_with("enable.idempotence=true requires retries > 0"), "{e}");
}

#[test]
fn explicitly_disabled_idempotence_stays_off_and_allows_more_in_flight() {
    let c =
        producer_config("\"enable.idempotence\" = false\n\"max.in.flight.requests.per.connection\" = 10\n").unwrap();
    assert!(!c.enable_idempotence);
    assert_eq!(c.max_in_flight, 10);
}

#[test]
fn more_than_five_in_flight_is_an_error_while_idempotence_is_on_as_in_kafka_4() {
    // Kafka 4.x throws here even when idempotence is only on by default, and even when acks=1
    // would have turned it off: the in-flight check runs on the configured value.
    for lines in [
        "\"max.in.flight.requests.per.connection\" = 6\n",
        "\"acks\" = \"1\"\n\"max.in.flight.requests.per.connection\" = 6\n",
    ] {
        let e = producer_config(lines).unwrap_err();
        let (line, col) = pos(&with_base(&format!("[producer.config]\n{lines}")), "= 6");
        assert_eq!((e.line, e.column), (line, col + 2), "{lines}");
        assert!(
            e.message.contains("requires max.in.flight.requests.per.connection <= 5, found 6")
                && e.message.contains("\"enable.idempotence\" = false"),
            "{e}"
        );
    }
    let e =
        producer_config("\"enable.idempotence\" = true\n\"max.in.flight.requests.per.connection\" = 6\n").unwrap_err();
    assert!(e.message.starts_with("enable.idempotence=true requires max.in.flight"), "{e}");
}

#[test]
fn an_explicit_delivery_timeout_below_linger_plus_request_timeout_is_an_error() {
    let e = producer_config("\"delivery.timeout.ms\" = 1000\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.toml:10:25: `delivery.timeout.ms` (1000) must be at least linger.ms + request.timeout.ms \
         (5 + 30000 = 30005)"
    );
    let ok = producer_config("\"delivery.timeout.ms\" = 30005\n").unwrap();
    assert_eq!(ok.delivery_timeout_ms, 30_005);
}

#[test]
fn the_default_delivery_timeout_is_raised_to_linger_plus_request_timeout_as_kafka_does() {
    let c = producer_config("\"request.timeout.ms\" = 200000\n\"linger.ms\" = 10\n").unwrap();
    assert_eq!(c.delivery_timeout_ms, 200_010);
}

// ---------------------------------------------------------------------------------------------
// Transactions

/// Two transactional producers sharing one transactional.id (a zombie and its successor), a
/// plain producer, a read_committed consumer, and every transactional key, target and trigger.
const TXN_EXAMPLE: &str = r#"name = "transactions"
[cluster]
brokers = 3
[cluster.config]
"transaction.state.log.num.partitions" = 5
"transaction.max.timeout.ms" = 60000
[[topic]]
name = "orders"
partitions = 2
[[producer]]
name = "p1"
topic = "orders"
records = 100
transaction_records = 5
abort_every = 3
[producer.config]
"transactional.id" = "tx-orders"
"transaction.timeout.ms" = 10000
[[producer]]
name = "p2"
topic = "orders"
records = 50
[producer.config]
"transactional.id" = "tx-orders"
"enable.idempotence" = true
[[producer]]
name = "plain"
topic = "orders"
records = 10
[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
[consumer.config]
"isolation.level" = "read_committed"
[[fault]]
after = "p1 txn-committed 2"
action = "crash"
target = "coordinator:transaction:tx-orders"
restart_after_ms = 1000
[[fault]]
after = "p2 txn-aborted 1"
action = "power-loss"
target = "coordinator:transaction:tx-orders"
[[fault]]
after = "p1#7 acked"
action = "crash"
target = "producer:p1"
"#;

/// `BASE` with producer p1 made transactional (`[producer.config]` at line 9, its id at line 10),
/// then `rest` from line 11.
fn with_txn(rest: &str) -> String {
    with_base(&format!("[producer.config]\n\"transactional.id\" = \"tx\"\n{rest}"))
}

#[test]
fn a_transactional_file_parses_to_the_expected_model() {
    let s = load(TXN_EXAMPLE);
    assert_eq!(s.cluster.config.transaction_state_log_num_partitions, 5);
    assert_eq!(s.cluster.config.transaction_max_timeout_ms, 60_000);
    let txn = |id: &str, timeout: u64| ProducerConfig {
        transactional_id: Some(id.into()),
        transaction_timeout_ms: timeout,
        ..ProducerConfig::default()
    };
    assert_eq!(
        s.producers,
        vec![
            ProducerSpec {
                transaction_records: 5,
                abort_every: Some(3),
                config: txn("tx-orders", 10_000),
                ..ProducerSpec::new("p1", "orders", 100)
            },
            ProducerSpec { config: txn("tx-orders", 60_000), ..ProducerSpec::new("p2", "orders", 50) },
            ProducerSpec::new("plain", "orders", 10),
        ]
    );
    assert_eq!(
        s.faults,
        vec![
            FaultSpec {
                trigger: Trigger::Client { client: ClientRef::Producer(0), event: ClientEvent::TxnCommitted, n: 2 },
                action: FaultAction::Crash,
                target: Target::TxnCoordinator("tx-orders".into()),
                restart_after_ms: Some(1_000),
                duration_ms: None,
                pin: false,
            },
            FaultSpec {
                trigger: Trigger::Client { client: ClientRef::Producer(1), event: ClientEvent::TxnAborted, n: 1 },
                action: FaultAction::PowerLoss,
                target: Target::TxnCoordinator("tx-orders".into()),
                restart_after_ms: None,
                duration_ms: None,
                pin: false,
            },
            FaultSpec {
                trigger: Trigger::Record { producer: 0, index: 7, event: RecordEvent::Acked },
                action: FaultAction::Crash,
                target: Target::Producer(0),
                restart_after_ms: None,
                duration_ms: None,
                pin: false,
            },
        ]
    );
    assert_eq!(s.faults[0].target.to_string(), "coordinator:transaction:tx-orders");
}

#[test]
fn a_transactional_producer_gets_kafkas_transaction_defaults() {
    let p = load(&with_txn("")).producers[0].clone();
    assert_eq!(
        p,
        ProducerSpec {
            config: ProducerConfig { transactional_id: Some("tx".into()), ..ProducerConfig::default() },
            ..ProducerSpec::new("p1", "orders", 100)
        }
    );
    assert_eq!((p.transaction_records, p.abort_every, p.config.transaction_timeout_ms), (10, None, 60_000));
    assert!(p.config.enable_idempotence);
}

#[test]
fn two_producers_may_share_a_transactional_id() {
    let s = load(TXN_EXAMPLE);
    assert_eq!(s.producers[0].config.transactional_id.as_deref(), Some("tx-orders"));
    assert_eq!(s.producers[0].config.transactional_id, s.producers[1].config.transactional_id);
}

#[test]
fn the_transactional_id_is_trimmed_as_kafka_does_and_must_not_be_empty() {
    let c = producer_config("\"transactional.id\" = \"  tx \"\n").unwrap();
    assert_eq!(c.transactional_id.as_deref(), Some("tx"));
    for empty in ["\"\"", "\"   \""] {
        let e = producer_config(&format!("\"transactional.id\" = {empty}\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "s.toml:10:22: `transactional.id` must not be empty or only whitespace (Kafka trims it, then: \
             String must be non-empty)"
        );
    }
    assert_eq!(
        producer_config("\"transactional.id\" = 7\n").unwrap_err().to_string(),
        "s.toml:10:22: `transactional.id` must be a string, found an integer"
    );
}

#[test]
fn the_transaction_timeout_must_lie_within_the_clusters_transaction_max_timeout() {
    for timeout in [0, -5, 900_001] {
        let e = producer_config(&format!("\"transactional.id\" = \"tx\"\n\"transaction.timeout.ms\" = {timeout}\n"))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "s.toml:11:28: `transaction.timeout.ms` must be from 1 to the cluster's \
                 `transaction.max.timeout.ms` (900000), found {timeout}: Kafka's InitProducerId would fail \
                 with INVALID_TRANSACTION_TIMEOUT"
            )
        );
    }
    for timeout in [1, 900_000] {
        let c = producer_config(&format!("\"transactional.id\" = \"tx\"\n\"transaction.timeout.ms\" = {timeout}\n"))
            .unwrap();
        assert_eq!(c.transaction_timeout_ms, timeout);
    }
    assert_eq!(
        producer_config("\"transactional.id\" = \"tx\"\n\"transaction.timeout.ms\" = \"5\"\n").unwrap_err().to_string(),
        "s.toml:11:28: `transaction.timeout.ms` must be an integer, found a string (write 5 without quotes)"
    );
    // A lowered cluster maximum bounds an explicit value, and the default 60000 too.
    let cluster = "name = \"t\"\n[cluster.config]\n\"transaction.max.timeout.ms\" = 30000\n\
                   [[topic]]\nname = \"a\"\n[[producer]]\nname = \"p\"\ntopic = \"a\"\nrecords = 1\n\
                   [producer.config]\n\"transactional.id\" = \"tx\"\n";
    assert_eq!(
        error(&format!("{cluster}\"transaction.timeout.ms\" = 30001\n")),
        "s.toml:12:28: `transaction.timeout.ms` must be from 1 to the cluster's `transaction.max.timeout.ms` \
         (30000), found 30001: Kafka's InitProducerId would fail with INVALID_TRANSACTION_TIMEOUT"
    );
    assert_eq!(
        error(cluster),
        "s.toml:10:1: the default `transaction.timeout.ms` (60000) is above the cluster's \
         `transaction.max.timeout.ms` (30000): Kafka's InitProducerId would fail with \
         INVALID_TRANSACTION_TIMEOUT; set \"transaction.timeout.ms\" in [producer.config]"
    );
    let ok = load(&format!("{cluster}\"transaction.timeout.ms\" = 30000\n"));
    assert_eq!(ok.producers[0].config.transaction_timeout_ms, 30_000);
    // The default against a lowered maximum is no error for a producer without transactions.
    let plain = load(&cluster.replace("\"transactional.id\" = \"tx\"\n", ""));
    assert_eq!(plain.producers[0].config.transaction_timeout_ms, 60_000);
}

#[test]
fn a_transaction_timeout_without_a_transactional_id_is_rejected_at_its_key() {
    assert_eq!(
        producer_config("\"transaction.timeout.ms\" = 10000\n").unwrap_err().to_string(),
        "s.toml:10:1: `transaction.timeout.ms` applies to transactional producers; set \"transactional.id\" too"
    );
}

#[test]
fn a_transactional_producer_must_be_idempotent() {
    let txn = "\"transactional.id\" = \"tx\"\n";
    let cases: &[(&str, usize, usize, &str)] = &[
        (
            "\"enable.idempotence\" = false\n",
            11,
            24,
            "\"enable.idempotence\" = false contradicts \"transactional.id\": a transactional producer is \
             idempotent (Kafka: Cannot set a transactional.id without also enabling idempotence)",
        ),
        (
            "\"acks\" = \"1\"\n",
            11,
            10,
            "a transactional producer (\"transactional.id\" is set) is idempotent and requires acks=all, \
             found acks=1 (Kafka: Cannot set a transactional.id without also enabling idempotence)",
        ),
        (
            "\"acks\" = 0\n",
            11,
            10,
            "a transactional producer (\"transactional.id\" is set) is idempotent and requires acks=all, \
             found acks=0 (Kafka: Cannot set a transactional.id without also enabling idempotence)",
        ),
        (
            "\"retries\" = 0\n",
            11,
            13,
            "a transactional producer (\"transactional.id\" is set) is idempotent and requires retries > 0 \
             (Kafka: Cannot set a transactional.id without also enabling idempotence)",
        ),
        (
            "\"max.in.flight.requests.per.connection\" = 6\n",
            11,
            43,
            "a transactional producer (\"transactional.id\" is set) is idempotent and requires \
             max.in.flight.requests.per.connection <= 5, found 6 (Kafka: To use the idempotent producer, \
             max.in.flight.requests.per.connection must be set to at most 5)",
        ),
        // Explicit idempotence keeps its own messages, as Kafka checks them first.
        (
            "\"enable.idempotence\" = true\n\"acks\" = \"1\"\n",
            12,
            10,
            "enable.idempotence=true requires acks=all, found acks=1 (Kafka: Must set acks to all in order \
             to use the idempotent producer)",
        ),
        // An explicit false is reported, whatever else idempotence would need.
        (
            "\"enable.idempotence\" = false\n\"max.in.flight.requests.per.connection\" = 6\n",
            11,
            24,
            "\"enable.idempotence\" = false contradicts \"transactional.id\": a transactional producer is \
             idempotent (Kafka: Cannot set a transactional.id without also enabling idempotence)",
        ),
    ];
    for &(lines, line, col, message) in cases {
        let e = producer_config(&format!("{txn}{lines}")).unwrap_err();
        assert_eq!(e.to_string(), format!("s.toml:{line}:{col}: {message}"), "{lines}");
    }
    for lines in
        ["", "\"enable.idempotence\" = true\n\"acks\" = \"all\"\n\"max.in.flight.requests.per.connection\" = 5\n"]
    {
        let c = producer_config(&format!("{txn}{lines}")).unwrap();
        assert!(c.enable_idempotence && c.acks == Acks::All, "{lines}");
    }
}

#[test]
fn transaction_records_and_abort_every_are_read_for_a_transactional_producer() {
    let p = &load(&with_base(
        "transaction_records = 1\nabort_every = 1\n[producer.config]\n\"transactional.id\" = \"tx\"\n",
    ))
    .producers[0];
    assert_eq!((p.transaction_records, p.abort_every), (1, Some(1)));
    let p = &load(&with_base(
        "transaction_records = 4294967295\nabort_every = 4294967295\n[producer.config]\n\
         \"transactional.id\" = \"tx\"\n",
    ))
    .producers[0];
    assert_eq!((p.transaction_records, p.abort_every), (u32::MAX, Some(u32::MAX)));
}

#[test]
fn transaction_records_and_abort_every_must_be_at_least_one() {
    let config = "[producer.config]\n\"transactional.id\" = \"tx\"\n";
    assert_eq!(
        error(&with_base(&format!("transaction_records = 0\n{config}"))),
        "s.toml:9:23: `transaction_records` must be from 1 to 4294967295, found 0"
    );
    assert_eq!(
        error(&with_base(&format!("abort_every = 0\n{config}"))),
        "s.toml:9:15: `abort_every` must be from 1 to 4294967295, found 0"
    );
    assert_eq!(
        error(&with_base(&format!("abort_every = \"2\"\n{config}"))),
        "s.toml:9:15: `abort_every` must be an integer, found a string (write 2 without quotes)"
    );
}

#[test]
fn transaction_records_and_abort_every_without_a_transactional_id_are_rejected_at_their_key() {
    assert_eq!(
        error(&with_base("transaction_records = 10\n")),
        "s.toml:9:1: `transaction_records` applies to transactional producers, and p1 has no \
         \"transactional.id\" (set it in [producer.config])"
    );
    assert_eq!(
        error(&with_base("abort_every = 3\n[producer.config]\n\"acks\" = \"all\"\n")),
        "s.toml:9:1: `abort_every` applies to transactional producers, and p1 has no \"transactional.id\" \
         (set it in [producer.config])"
    );
    // With both, the first one in the file is reported.
    assert_error(&with_base("abort_every = 3\ntransaction_records = 10\n"), 9, 1, "`abort_every` applies");
}

#[test]
fn transaction_broker_configs_have_kafkas_ranges() {
    let cases: &[(&str, &str)] = &[
        ("\"transaction.state.log.num.partitions\" = 0", "must be from 1 to 1000, found 0"),
        ("\"transaction.state.log.num.partitions\" = 1001", "must be from 1 to 1000, found 1001"),
        ("\"transaction.state.log.replication.factor\" = 0", "must be from 1 to 32767, found 0"),
        ("\"transaction.state.log.replication.factor\" = 32768", "must be from 1 to 32767, found 32768"),
        ("\"transaction.state.log.min.isr\" = 0", "must be from 1 to 2147483647, found 0"),
        (
            "\"transaction.abort.timed.out.transaction.cleanup.interval.ms\" = 0",
            "must be from 1 to 2147483647, found 0",
        ),
        ("\"transaction.max.timeout.ms\" = 0", "must be from 1 to 2147483647, found 0"),
        ("\"transaction.max.timeout.ms\" = 2147483648", "must be from 1 to 2147483647, found 2147483648"),
    ];
    for &(line, message) in cases {
        let (key, _) = line.split_once(" = ").unwrap();
        let col = key.len() + 4;
        assert_eq!(
            error(&format!("name = \"t\"\n[cluster.config]\n{line}\n")),
            format!("s.toml:3:{col}: `{}` {message}", key.trim_matches('"')),
        );
    }
    // A replication factor above the broker count is capped at run time, as for __consumer_offsets.
    let s = load("name = \"t\"\n[cluster.config]\n\"transaction.state.log.replication.factor\" = 5\n");
    assert_eq!(s.cluster.config.transaction_state_log_replication_factor, 5);
    assert_eq!(
        error("name = \"t\"\n[cluster.config]\n\"transaction.max.timeout\" = 5\n"),
        "s.toml:3:1: unknown key `transaction.max.timeout` in [cluster.config]; did you mean \
         `transaction.max.timeout.ms`?"
    );
    assert_eq!(
        error(&with_base("[producer.config]\n\"transactional_id\" = \"tx\"\n")),
        "s.toml:10:1: unknown key `transactional_id` in [producer.config]; did you mean `transactional.id`?"
    );
}

#[test]
fn transaction_triggers_count_the_commits_and_aborts_of_a_transactional_producer() {
    for (word, event) in [("txn-committed", ClientEvent::TxnCommitted), ("txn-aborted", ClientEvent::TxnAborted)] {
        let src =
            with_txn(&format!("[[fault]]\nafter = \"p1 {word} 4\"\naction = \"crash\"\ntarget = \"producer:p1\"\n"));
        assert_eq!(load(&src).faults[0].trigger, Trigger::Client { client: ClientRef::Producer(0), event, n: 4 });
    }
    let src = with_txn("[[fault]]\nafter = \"p1 acked 4\"\naction = \"crash\"\ntarget = \"producer:p1\"\n");
    assert_eq!(
        load(&src).faults[0].trigger,
        Trigger::Client { client: ClientRef::Producer(0), event: ClientEvent::Acked, n: 4 }
    );
}

#[test]
fn transaction_trigger_errors_name_what_was_wrong() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "p1 polled 1",
            13,
            "producer p1 has no `polled` events; transactional producers count acked, txn-committed and \
             txn-aborted",
        ),
        (
            "p1 txn-commited 1",
            13,
            "the client event must be one of \"acked\", \"polled\", \"processed\", \"committed\", \
             \"txn-committed\", \"txn-aborted\" or \"offsets-sent\", found \"txn-commited\"; did you mean \"txn-committed\"?",
        ),
        ("p1 txn-aborted 0", 25, "the count N in \"CLIENT EVENT N\" must be at least 1, found \"0\""),
        ("tx txn-committed 1", 10, "`tx` names no client; did you mean `p1`?"),
    ];
    for &(after, col, message) in cases {
        let src = with_txn(&format!("[[fault]]\nafter = \"{after}\"\naction = \"crash\"\ntarget = \"broker:1\"\n"));
        assert_eq!(error(&src), format!("s.toml:12:{col}: {message}"), "{after}");
    }
}

#[test]
fn transaction_coordinator_targets_parse_for_any_transactional_id() {
    let src = with_txn("[[fault]]\nat_ms = 1\naction = \"power-loss\"\ntarget = \"coordinator:transaction:tx\"\n");
    assert_eq!(load(&src).faults[0].target, Target::TxnCoordinator("tx".into()));
    // The id is whatever follows `transaction:`, colons and spaces included.
    let src = with_base(
        "[producer.config]\n\"transactional.id\" = \"a:b c\"\n[[fault]]\nat_ms = 1\naction = \"crash\"\n\
         target = \"coordinator:transaction:a:b c\"\n",
    );
    assert_eq!(load(&src).faults[0].target, Target::TxnCoordinator("a:b c".into()));
    assert_eq!(Target::TxnCoordinator("a:b c".into()).to_string(), "coordinator:transaction:a:b c");
}

#[test]
fn transaction_coordinator_target_errors_name_what_was_wrong() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "coordinator:transaction:tz",
            35,
            "`tz` is the transactional.id of no producer or exactly_once_v2 processor; did you mean `tx`?",
        ),
        (
            "coordinator:transaction:p1",
            35,
            "`p1` is the transactional.id of no producer or exactly_once_v2 processor; did you mean `tx`?",
        ),
        ("coordinator:transaction:", 35, "`coordinator:transaction:ID` needs a transactional id after `transaction:`"),
        (
            "coordinator:transactions:tx",
            23,
            "the coordinator kind must be one of \"group\" or \"transaction\", found \"transactions\"; did you \
             mean \"transaction\"?",
        ),
    ];
    for &(target, col, message) in cases {
        let src = with_txn(&format!("[[fault]]\nat_ms = 1\naction = \"crash\"\ntarget = \"{target}\"\n"));
        assert_eq!(error(&src), format!("s.toml:14:{col}: {message}"), "{target}");
    }
}

// ---------------------------------------------------------------------------------------------
// Faults: triggers, targets, actions

#[test]
fn a_fault_with_a_time_trigger_and_a_broker_target_parses() {
    let f = fault("at_ms = 0\naction = \"power-loss\"\ntarget = \"broker:3\"\n").unwrap();
    assert_eq!(
        f,
        FaultSpec {
            trigger: Trigger::AtMs(0),
            action: FaultAction::PowerLoss,
            target: Target::Broker(3),
            restart_after_ms: None,
            duration_ms: None,
            pin: false,
        }
    );
}

#[test]
fn record_and_client_triggers_parse_to_indices() {
    let f =
        fault("after = \"p1#17 acked\"\naction = \"crash\"\ntarget = \"producer:p1\"\nrestart_after_ms = 0\n").unwrap();
    assert_eq!(f.trigger, Trigger::Record { producer: 0, index: 17, event: RecordEvent::Acked });
    assert_eq!(f.target, Target::Producer(0));
    assert_eq!(f.restart_after_ms, Some(0));
    for (word, event) in
        [("sent", RecordEvent::Sent), ("appended", RecordEvent::Appended), ("committed", RecordEvent::Committed)]
    {
        let f = fault(&format!("after = \"  p1#99 \t{word} \"\naction = \"crash\"\ntarget = \"broker:1\"\n")).unwrap();
        assert_eq!(f.trigger, Trigger::Record { producer: 0, index: 99, event });
    }
    let f = fault("after = \"p1 acked 10\"\naction = \"pause\"\ntarget = \"leader:orders/1\"\nduration_ms = 300\n")
        .unwrap();
    assert_eq!(f.trigger, Trigger::Client { client: ClientRef::Producer(0), event: ClientEvent::Acked, n: 10 });
    assert_eq!(f.target, Target::Leader { topic: "orders".into(), partition: 1 });
    assert_eq!(f.duration_ms, Some(300));
}

#[test]
fn a_trigger_naming_no_client_points_inside_the_string_at_the_nearest_client() {
    let e = fault("after = \"p2#3 acked\"\naction = \"crash\"\ntarget = \"broker:1\"\n").unwrap_err();
    assert_eq!(e.to_string(), "s.toml:10:10: `p2` names no client; did you mean `p1`?");
    let e = fault("after = \"q1 acked 3\"\naction = \"crash\"\ntarget = \"broker:1\"\n").unwrap_err();
    assert_eq!(e.to_string(), "s.toml:10:10: `q1` names no client; did you mean `p1`?");
}

#[test]
fn trigger_errors_name_what_was_wrong() {
    let target = "action = \"crash\"\ntarget = \"broker:1\"\n";
    let cases: &[(&str, usize, &str)] = &[
        ("p1#100 acked", 13, "p1 sends records p1#0 to p1#99; there is no p1#100"),
        ("p1#x acked", 13, "the record index must be a number, found \"x\""),
        ("p1#3 ackd", 15, "the record event must be one of \"sent\", \"appended\", \"acked\", \"committed\" or \"processed\", found \"ackd\"; did you mean \"acked\"?"),
        (
            "p1#3 processed",
            15,
            "`p1#3 processed` can never happen: p1 writes to topic `orders`, which no [[consumer]] subscribes to \
             and no [[processor]] reads",
        ),
        ("p1 polled 3", 13, "producer p1 has no `polled` events; producers count acked"),
        ("p1 committed 3", 13, "producer p1 has no `committed` events; producers count acked"),
        (
            "p1 txn-committed 1",
            13,
            "producer p1 has no `txn-committed` events: it has no \"transactional.id\", so it runs no transactions",
        ),
        (
            "p1 txn-aborted 1",
            13,
            "producer p1 has no `txn-aborted` events: it has no \"transactional.id\", so it runs no transactions",
        ),
        ("p1 acked 0", 19, "must be at least 1, found \"0\""),
        ("p1", 9, "`after` must be \"P#I EVENT\" (e.g. \"p1#17 acked\") or \"CLIENT EVENT N\""),
        ("p1#3 acked 5", 9, "`after` must be \"P#I EVENT\""),
    ];
    for &(after, col, message) in cases {
        let src = with_base(&format!("[[fault]]\nafter = \"{after}\"\n{target}"));
        assert_error(&src, 10, col, message);
    }
}

#[test]
fn a_fault_needs_exactly_one_trigger() {
    let e = fault("at_ms = 5\nafter = \"p1#1 acked\"\naction = \"crash\"\ntarget = \"broker:1\"\n").unwrap_err();
    assert_eq!(e.to_string(), "s.toml:11:1: a fault has one trigger, `at_ms` or `after`, not both");
    let e = fault("action = \"crash\"\ntarget = \"broker:1\"\n").unwrap_err();
    assert!(e.to_string().starts_with("s.toml:9:1: a fault needs a trigger"), "{e}");
}

#[test]
fn target_errors_name_what_was_wrong() {
    let cases: &[(&str, usize, &str)] = &[
        ("broker:4", 18, "broker 4 does not exist: the cluster has brokers 1 to 3"),
        ("broker:0", 18, "broker 0 does not exist"),
        ("broker:one", 18, "`broker:N` needs a broker number from 1 to 3, found \"one\""),
        ("leader:orders/2", 25, "partition 2 does not exist: topic `orders` has partitions 0 to 1"),
        ("leader:ordes/0", 18, "topic `ordes` is not declared; did you mean `orders`?"),
        ("leader:orders", 18, "`leader:TOPIC/P` needs a topic and a partition"),
        ("producer:p3", 20, "`p3` names no client; did you mean `p1`?"),
        ("brokr:1", 10, "unknown target kind `brokr`; did you mean `broker`?"),
        (
            "node1",
            10,
            "`target` must be \"broker:N\", \"leader:TOPIC/P\", \"producer:NAME\", \"consumer:NAME\", \
             \"consumer:NAME/K\", \"processor:NAME\", \"processor:NAME/K\", \"service:NAME\", \"service:NAME/K\", \"coordinator:group:GROUP\" or \
             \"coordinator:transaction:ID\", found \"node1\"",
        ),
        (
            "coordinator:transaction:tx",
            35,
            "`tx` is the transactional.id of no producer or exactly_once_v2 processor (no [[producer]] sets \
             \"transactional.id\" and no [[processor]] runs exactly_once_v2)",
        ),
        ("processor:s1/0", 21, "`s1` names no client (the file declares no [[processor]])"),
    ];
    for &(target, col, message) in cases {
        let src = with_base(&format!("[[fault]]\nat_ms = 1\naction = \"crash\"\ntarget = \"{target}\"\n"));
        assert_error(&src, 12, col, message);
    }
}

#[test]
fn action_rules_check_restart_and_duration() {
    let e = fault("at_ms = 1\naction = \"powerloss\"\ntarget = \"broker:1\"\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.toml:11:10: `action` must be one of \"crash\", \"power-loss\", \"isolate\", \"pause\" or \
         \"partition\", found \"powerloss\"; did you mean \"power-loss\"?"
    );
    let e = fault("at_ms = 1\naction = \"power-loss\"\ntarget = \"producer:p1\"\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.toml:12:10: power-loss applies to brokers (broker:N, leader:TOPIC/P, coordinator:group:GROUP or \
         coordinator:transaction:ID), not to a producer"
    );
    let e = fault("at_ms = 1\naction = \"isolate\"\ntarget = \"broker:1\"\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.toml:9:1: missing required key `duration_ms` in [[fault]]: how long the isolate lasts"
    );
    let e = fault("at_ms = 1\naction = \"pause\"\ntarget = \"broker:1\"\nduration_ms = 0\n").unwrap_err();
    assert_eq!(e.to_string(), "s.toml:13:15: `duration_ms` must be at least 1, found 0");
    let e = fault("at_ms = 1\naction = \"pause\"\ntarget = \"broker:1\"\nduration_ms = 5\nrestart_after_ms = 5\n")
        .unwrap_err();
    assert!(e.to_string().starts_with("s.toml:14:1: `restart_after_ms` applies to crash and power-loss"), "{e}");
    let e = fault("at_ms = 1\naction = \"crash\"\ntarget = \"broker:1\"\nduration_ms = 5\n").unwrap_err();
    assert!(e.to_string().starts_with("s.toml:13:1: `duration_ms` applies to isolate, pause and partition"), "{e}");
    let f = fault("at_ms = 1\naction = \"isolate\"\ntarget = \"leader:orders/0\"\nduration_ms = 5\n").unwrap();
    assert_eq!((f.action, f.duration_ms, f.restart_after_ms), (FaultAction::Isolate, Some(5), None));
    let f = fault("at_ms = 1\naction = \"crash\"\ntarget = \"broker:2\"\n").unwrap();
    assert_eq!(f.restart_after_ms, None, "an omitted restart means the target stays down");
}

// ---------------------------------------------------------------------------------------------
// Partitions: two sides instead of a target

/// A partition fault (`[[fault]]` at line 9) with `lines` from line 10.
fn partition(lines: &str) -> String {
    with_base(&format!("[[fault]]\nat_ms = 1000\naction = \"partition\"\n{lines}"))
}

/// The 1-based column of the first `needle` in line `line` (1-based) of `src`.
fn col(src: &str, line: usize, needle: &str) -> usize {
    let text = src.lines().nth(line - 1).expect("the line exists");
    text[..text.find(needle).expect("needle in line")].chars().count() + 1
}

#[test]
fn a_partition_parses_its_between_and_and_sides_into_targets() {
    let s = load(&partition(
        "between = [\"leader:orders/1\", \"producer:p1\"]\nand = [\"controller\", \"broker:2\", \"broker:3\"]\n\
         duration_ms = 15000\n",
    ));
    assert_eq!(
        s.faults[0],
        FaultSpec {
            trigger: Trigger::AtMs(1000),
            action: FaultAction::Partition,
            target: Target::Sides {
                between: vec![Target::Leader { topic: "orders".into(), partition: 1 }, Target::Producer(0)],
                and: vec![Target::Controller, Target::Broker(2), Target::Broker(3)],
            },
            restart_after_ms: None,
            duration_ms: Some(15000),
            pin: false,
        }
    );
    assert_eq!(s.faults[0].target.to_string(), "[leader:orders/1, producer#0] and [controller, broker:2, broker:3]");
    assert_eq!(
        s.target_text(&s.faults[0].target),
        "[leader:orders/1, producer:p1] and [controller, broker:2, broker:3]"
    );
}

#[test]
fn an_error_in_a_side_points_inside_the_array_element_at_what_was_wrong() {
    // (line 12 = between, line 13 = and; the needle is where the error points)
    let cases: &[(&str, &str, usize, &str, &str)] = &[
        // The loader's own errors.
        (
            "[\"broker:1\", \"leader:ordes/0\"]",
            "[\"broker:2\"]",
            12,
            "ordes",
            "topic `ordes` is not declared; did you mean `orders`?",
        ),
        ("[\"broker:1\"]", "[\"broker:2\", \"producer:p2\"]", 13, "p2", "`p2` names no client; did you mean `p1`?"),
        (
            "[\"broker:1\", \"brokr:2\"]",
            "[\"broker:3\"]",
            12,
            "\"brokr",
            "unknown target kind `brokr`; did you mean `broker`?",
        ),
        ("[\"broker:1\"]", "[\"controler\"]", 13, "\"controler", "each of `and` must be \"broker:N\""),
        (
            "[\"broker:1\"]",
            "[\"controler\"]",
            13,
            "\"controler",
            "\"coordinator:transaction:ID\" or \"controller\", found \"controler\"; did you mean \"controller\"?",
        ),
        ("[\"broker:1\"]", "[\"broker:x\"]", 13, "x\"", "`broker:N` needs a broker number from 1 to 3, found \"x\""),
        ("[\"broker:1\", 2]", "[\"broker:3\"]", 12, "2]", "`between` must list target strings, found an integer"),
        // `validate`'s, mapped back into the element.
        (
            "[\"broker:1\", \"broker:7\"]",
            "[\"broker:3\"]",
            12,
            "7\"",
            "broker 7 does not exist: the cluster has brokers 1 to 3",
        ),
        (
            "[\"broker:1\"]",
            "[\"controller\", \"leader:orders/5\"]",
            13,
            "5\"",
            "partition 5 does not exist: topic `orders` has partitions 0 to 1",
        ),
    ];
    for &(between, and, line, needle, message) in cases {
        let src = partition(&format!("between = {between}\nand = {and}\nduration_ms = 10\n"));
        assert_error(&src, line, col(&src, line, needle), message);
    }
}

#[test]
fn controller_is_a_target_only_on_a_side_of_a_partition() {
    for action in ["crash", "power-loss"] {
        let src = with_base(&format!("[[fault]]\nat_ms = 1\naction = \"{action}\"\ntarget = \"controller\"\n"));
        assert_error(
            &src,
            12,
            10,
            &format!(
                "`controller` may only stand on a side of a partition (`between` or `and`), not be the target of \
                 `{action}`: the KRaft controller quorum is modelled as reliable"
            ),
        );
    }
    let src = with_base("[[fault]]\nat_ms = 1\naction = \"isolate\"\ntarget = \"controller\"\nduration_ms = 10\n");
    assert_error(&src, 12, 10, "`controller` may only stand on a side of a partition");
    // As a plain target, a misspelt kind lists no `controller`.
    let e = fault("at_ms = 1\naction = \"crash\"\ntarget = \"controler\"\n").unwrap_err();
    assert!(e.message.ends_with("\"coordinator:transaction:ID\", found \"controler\""), "{e}");
    let src = partition("between = [\"controller:1\"]\nand = [\"broker:1\"]\nduration_ms = 10\n");
    assert_error(&src, 12, 24, "`controller` names the KRaft controller quorum as one node and takes nothing after it");
}

#[test]
fn a_partition_needs_both_sides_and_takes_no_target() {
    let src = partition("between = [\"broker:1\"]\nduration_ms = 10\n");
    assert_error(&src, 9, 1, "missing required key `and` in [[fault]]: a partition has two sides");
    let src = partition("and = [\"broker:1\"]\nduration_ms = 10\n");
    assert_error(&src, 9, 1, "missing required key `between` in [[fault]]");
    let src = partition("target = \"broker:1\"\nduration_ms = 10\n");
    assert_error(
        &src,
        12,
        1,
        "a partition has two sides, not a `target`: write `between = [TARGETS]` and `and = [TARGETS]`",
    );
    let src = partition("between = [\"broker:1\"]\nand = []\nduration_ms = 10\n");
    assert_error(&src, 13, 7, "`and` must not be empty: a side of a partition lists at least one target");
    let src = partition("between = \"broker:1\"\nand = [\"broker:2\"]\nduration_ms = 10\n");
    assert_error(
        &src,
        12,
        11,
        "`between` must be an array of targets (e.g. [\"broker:1\", \"controller\"]), found a string",
    );
    // And the other actions take a target, never sides.
    let e = fault("at_ms = 1\naction = \"crash\"\ntarget = \"broker:1\"\nand = [\"broker:2\"]\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.toml:13:1: `and` names a side of a partition (`action = \"partition\"`); `crash` takes one `target`"
    );
}

#[test]
fn a_partition_lasts_duration_ms_and_takes_no_restart_after_ms() {
    let src = partition("between = [\"broker:1\"]\nand = [\"broker:2\"]\n");
    assert_error(&src, 9, 1, "missing required key `duration_ms` in [[fault]]: how long the partition lasts");
    let src = partition("between = [\"broker:1\"]\nand = [\"broker:2\"]\nduration_ms = 10\nrestart_after_ms = 5\n");
    assert_error(&src, 15, 1, "`restart_after_ms` applies to crash and power-loss; partition ends after `duration_ms`");
    let src = partition("between = [\"broker:1\"]\nand = [\"broker:2\"]\nduration_ms = 0\n");
    assert_error(&src, 14, 15, "`duration_ms` must be at least 1, found 0");
}

#[test]
fn a_node_named_on_both_sides_of_a_partition_is_refused_at_the_second_naming() {
    let src =
        partition("between = [\"broker:1\", \"broker:2\"]\nand = [\"controller\", \"broker:2\"]\nduration_ms = 10\n");
    assert_error(
        &src,
        13,
        col(&src, 13, "\"broker:2"),
        "`broker:2` is on both sides of the partition; a node stands on one side (it reaches its own)",
    );
    let src = with_consumer(
        "[[fault]]\nat_ms = 1\naction = \"partition\"\n\
         between = [\"consumer:c1\"]\nand = [\"consumer:c1/0\"]\nduration_ms = 10\n",
    );
    let e = error(&src);
    assert!(e.contains("`consumer:c1/0` and `consumer:c1` (in `between`) name a node on both sides"), "{e}");
    // A leader and a broker may turn out to be one node: that is settled when the partition strikes.
    load(&partition(
        "between = [\"leader:orders/0\"]\nand = [\"broker:1\", \"broker:2\", \"broker:3\"]\nduration_ms = 10\n",
    ));
}

#[test]
fn the_nemesis_takes_no_partition_action() {
    let e = error(&with_base("[nemesis]\nactions = [\"crash\", \"partition\"]\n"));
    assert!(
        e.starts_with("s.toml:10:") && e.contains("each of `actions` must be one of \"crash\", \"power-loss\", \"isolate\" or \"pause\", found \"partition\""),
        "{e}"
    );
}

#[test]
fn faults_keep_file_order() {
    let s = load(&with_base(
        "[[fault]]\nat_ms = 9\naction = \"crash\"\ntarget = \"broker:1\"\n\
         [[fault]]\nat_ms = 1\naction = \"crash\"\ntarget = \"broker:2\"\n",
    ));
    let targets: Vec<_> = s.faults.iter().map(|f| f.target.clone()).collect();
    assert_eq!(targets, vec![Target::Broker(1), Target::Broker(2)]);
}

// ---------------------------------------------------------------------------------------------
// Consumers

#[test]
fn a_minimal_consumer_gets_kafka_defaults_and_commits_automatically() {
    let c = consumer("").unwrap();
    assert_eq!(
        c,
        ConsumerSpec {
            name: "c1".into(),
            group: "g1".into(),
            topics: vec!["orders".into()],
            commit: CommitMode::Auto,
            processing_ms: 1,
            instances: 1,
            poll_timeout_ms: 100,
            config: ConsumerConfig::default(),
            client: ClientKind::Java,
        }
    );
    assert!(c.config.enable_auto_commit);
    assert_eq!(c.config.auto_offset_reset, OffsetReset::Latest);
    assert_eq!(c.config.isolation_level, IsolationLevel::ReadUncommitted);
}

#[test]
fn every_consumer_key_and_config_is_read() {
    // Every value differs from its default, so a key that was not read would show.
    let s = load(
        r#"name = "t"
[[topic]]
name = "a"
[[topic]]
name = "b"
[[consumer]]
name = "c1"
group = "g"
topics = ["b", "a"]
commit = "before-processing"
processing_ms = 0
instances = 64
poll_timeout_ms = 7
[consumer.config]
"enable.auto.commit" = false
"auto.commit.interval.ms" = 0
"auto.offset.reset" = "none"
"isolation.level" = "read_committed"
"session.timeout.ms" = 10000
"heartbeat.interval.ms" = 9999
"max.poll.interval.ms" = 1
"max.poll.records" = 1
"request.timeout.ms" = 2
"default.api.timeout.ms" = 3
"fetch.max.wait.ms" = 0
"retry.backoff.ms" = 0
"partition.assignment.strategy" = "cooperative-sticky"
"#,
    );
    assert_eq!(
        s.consumers,
        vec![ConsumerSpec {
            name: "c1".into(),
            group: "g".into(),
            topics: vec!["b".into(), "a".into()],
            commit: CommitMode::BeforeProcessing,
            processing_ms: 0,
            instances: 64,
            poll_timeout_ms: 7,
            config: ConsumerConfig {
                enable_auto_commit: false,
                auto_commit_interval_ms: 0,
                auto_offset_reset: OffsetReset::None,
                isolation_level: IsolationLevel::ReadCommitted,
                session_timeout_ms: 10_000,
                heartbeat_interval_ms: 9_999,
                max_poll_interval_ms: 1,
                max_poll_records: 1,
                request_timeout_ms: 2,
                default_api_timeout_ms: 3,
                fetch_max_wait_ms: 0,
                retry_backoff_ms: 0,
                retry_backoff_max_ms: 1_000,
                group_instance_id: None,
                assignment_strategy: AssignmentStrategy::CooperativeSticky,
                group_protocol: GroupProtocol::Classic,
                enable_auto_offset_store: true,
            },
            client: ClientKind::Java,
        }]
    );
}

#[test]
fn an_array_of_inline_consumer_tables_is_accepted() {
    let s = load(
        r#"name = "t"
topic = [{ name = "a" }]
consumer = [{ name = "c1", group = "g", topics = ["a"], config = { "enable.auto.commit" = false } }]
"#,
    );
    assert_eq!(s.consumers[0].commit, CommitMode::AfterProcessing);
    assert!(!s.consumers[0].config.enable_auto_commit);
}

#[test]
fn commit_and_enable_auto_commit_each_follow_from_the_other_when_one_is_left_out() {
    let cases: &[(&str, CommitMode, bool)] = &[
        ("", CommitMode::Auto, true),
        ("commit = \"auto\"\n", CommitMode::Auto, true),
        ("commit = \"auto\"\n[consumer.config]\n\"enable.auto.commit\" = true\n", CommitMode::Auto, true),
        ("commit = \"before-processing\"\n", CommitMode::BeforeProcessing, false),
        ("commit = \"after-processing\"\n", CommitMode::AfterProcessing, false),
        ("commit = \"after-processing-async\"\n", CommitMode::Async, false),
        (
            "commit = \"after-processing\"\n[consumer.config]\n\"enable.auto.commit\" = false\n",
            CommitMode::AfterProcessing,
            false,
        ),
        ("[consumer.config]\n\"enable.auto.commit\" = false\n", CommitMode::AfterProcessing, false),
        ("[consumer.config]\n\"enable.auto.commit\" = true\n", CommitMode::Auto, true),
    ];
    for &(lines, commit, auto) in cases {
        let c = consumer(lines).unwrap();
        assert_eq!((c.commit, c.config.enable_auto_commit), (commit, auto), "{lines}");
    }
}

#[test]
fn a_commit_mode_that_contradicts_enable_auto_commit_is_rejected_at_enable_auto_commit() {
    for mode in ["before-processing", "after-processing", "after-processing-async"] {
        let e =
            consumer(&format!("commit = \"{mode}\"\n[consumer.config]\n\"enable.auto.commit\" = true\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "s.toml:15:24: \"enable.auto.commit\" = true contradicts commit = \"{mode}\" (a manual \
                 commit); set it to false or use commit = \"auto\""
            )
        );
    }
    let e = consumer("commit = \"auto\"\n[consumer.config]\n\"enable.auto.commit\" = false\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.toml:15:24: \"enable.auto.commit\" = false contradicts commit = \"auto\"; set it to true or use \
         commit = \"before-processing\" or \"after-processing\""
    );
}

#[test]
fn a_consumer_needs_a_name_a_group_and_topics() {
    let table = |lines: &str| with_base(&format!("[[consumer]]\n{lines}"));
    assert_eq!(
        error(&table("group = \"g\"\ntopics = [\"orders\"]\n")),
        "s.toml:9:1: missing required key `name` in [[consumer]]"
    );
    assert_eq!(
        error(&table("name = \"c\"\ntopics = [\"orders\"]\n")),
        "s.toml:9:1: missing required key `group` in [[consumer]]"
    );
    assert_eq!(
        error(&table("name = \"c\"\ngroup = \"g\"\n")),
        "s.toml:9:1: missing required key `topics` in [[consumer]]"
    );
    assert_eq!(
        error(&table("name = \"c\"\ngroup = \" \"\ntopics = [\"orders\"]\n")),
        "s.toml:11:9: `group` must not be empty (Kafka: The configured group.id should not be an empty \
         string or whitespace.)"
    );
}

#[test]
fn client_names_are_unique_across_producers_and_consumers() {
    let src = with_base("[[consumer]]\nname = \"p1\"\ngroup = \"g\"\ntopics = [\"orders\"]\n");
    assert_eq!(error(&src), "s.toml:10:8: client name `p1` is already used by the producer at line 6");
    let src = with_consumer("[[consumer]]\nname = \"c1\"\ngroup = \"g2\"\ntopics = [\"orders\"]\n");
    assert_eq!(error(&src), "s.toml:14:8: client name `c1` is already used by the consumer at line 10");
    // A consumer written before a producer of the same name: the later of the two is reported.
    let src = "name = \"t\"\n[[topic]]\nname = \"a\"\n[[consumer]]\nname = \"x\"\ngroup = \"g\"\ntopics = [\"a\"]\n\
               [[producer]]\nname = \"x\"\ntopic = \"a\"\nrecords = 1\n";
    assert_eq!(error(src), "s.toml:9:8: client name `x` is already used by the consumer at line 5");
    for (name, message) in [
        (
            "c#1",
            "client name \"c#1\" must not contain '#': names appear in triggers (where '#' marks a record) and targets",
        ),
        ("c/1", "client name \"c/1\" must not contain '/'"),
        ("c 1", "client name \"c 1\" must not contain ' '"),
        ("", "a client name must not be empty"),
    ] {
        let src = with_base(&format!("[[consumer]]\nname = \"{name}\"\ngroup = \"g\"\ntopics = [\"orders\"]\n"));
        assert_error(&src, 10, 8, message);
    }
}

#[test]
fn consumer_topics_must_be_a_non_empty_list_of_declared_topics_each_listed_once() {
    let cases: &[(&str, usize, &str)] = &[
        ("[\"orders\", \"ordr\"]", 21, "topic `ordr` is not declared; did you mean `orders`?"),
        ("[]", 10, "`topics` must not be empty: list the topics the group subscribes to"),
        ("\"orders\"", 10, "`topics` must be an array of topic names, found a string (write [\"orders\"])"),
        ("[\"orders\", 3]", 21, "`topics` must list topic names (strings), found an integer"),
        ("[\"orders\", \"orders\"]", 21, "topic `orders` is listed twice in `topics`"),
    ];
    for &(topics, col, message) in cases {
        let src = with_base(&format!("[[consumer]]\nname = \"c1\"\ngroup = \"g1\"\ntopics = {topics}\n"));
        assert_eq!(error(&src), format!("s.toml:12:{col}: {message}"), "{topics}");
    }
    let none = "name = \"t\"\n[[consumer]]\nname = \"c\"\ngroup = \"g\"\ntopics = [\"a\"]\n";
    assert_eq!(error(none), "s.toml:5:11: topic `a` is not declared (the file declares no [[topic]])");
}

#[test]
fn unknown_consumer_keys_name_the_nearest_valid_key() {
    assert_eq!(
        error(&with_consumer("instance = 2\n")),
        "s.toml:13:1: unknown key `instance` in [[consumer]]; did you mean `instances`?"
    );
    assert_eq!(
        consumer_config("\"max.poll.record\" = 1\n").unwrap_err().to_string(),
        "s.toml:14:1: unknown key `max.poll.record` in [consumer.config]; did you mean `max.poll.records`?"
    );
    assert_eq!(
        consumer_config("\"group.id\" = \"g\"\n").unwrap_err().to_string(),
        "s.toml:14:1: `group.id` is written as `group = \"...\"` in [[consumer]], not here"
    );
    assert_error(
        &with_consumer("[consumer.config]\nenable.auto.commit = false\n"),
        14,
        1,
        "\"enable.auto.commit\" = ...",
    );
}

#[test]
fn consumer_values_out_of_range_report_the_allowed_range() {
    let table_cases: &[(&str, &str)] = &[
        ("processing_ms = -1", "`processing_ms` must be at least 0, found -1"),
        ("instances = 0", "`instances` must be from 1 to 64, found 0"),
        ("instances = 65", "`instances` must be from 1 to 64, found 65"),
        ("poll_timeout_ms = 0", "`poll_timeout_ms` must be at least 1, found 0"),
        ("commit = true", "`commit` must be a string, found a boolean"),
    ];
    for &(line, message) in table_cases {
        let e = consumer(&format!("{line}\n")).unwrap_err();
        assert_eq!((e.line, e.column, e.message.as_str()), (13, line.find(" = ").unwrap() + 4, message), "{line}");
    }
    let config_cases: &[(&str, &str)] = &[
        ("\"auto.commit.interval.ms\" = -1", "`auto.commit.interval.ms` must be from 0 to 2147483647, found -1"),
        ("\"session.timeout.ms\" = 0", "`session.timeout.ms` must be from 1 to 2147483647, found 0"),
        ("\"heartbeat.interval.ms\" = 0", "`heartbeat.interval.ms` must be from 1 to 2147483647, found 0"),
        ("\"max.poll.interval.ms\" = 0", "`max.poll.interval.ms` must be from 1 to 2147483647, found 0"),
        ("\"max.poll.records\" = 0", "`max.poll.records` must be from 1 to 2147483647, found 0"),
        ("\"max.poll.records\" = 2147483648", "`max.poll.records` must be from 1 to 2147483647, found 2147483648"),
        ("\"request.timeout.ms\" = 0", "`request.timeout.ms` must be from 1 to 2147483647, found 0"),
        ("\"default.api.timeout.ms\" = 0", "`default.api.timeout.ms` must be from 1 to 2147483647, found 0"),
        ("\"fetch.max.wait.ms\" = -1", "`fetch.max.wait.ms` must be from 0 to 2147483647, found -1"),
        ("\"retry.backoff.ms\" = -1", "`retry.backoff.ms` must be at least 0, found -1"),
        (
            "\"enable.auto.commit\" = \"false\"",
            "`enable.auto.commit` must be a boolean (true or false), found a string (write false without quotes)",
        ),
    ];
    for &(line, message) in config_cases {
        let e = consumer_config(&format!("{line}\n")).unwrap_err();
        assert_eq!((e.line, e.column, e.message.as_str()), (14, line.find(" = ").unwrap() + 4, message), "{line}");
    }
}

#[test]
fn consumer_words_accept_kafkas_spellings_and_name_the_nearest_one() {
    for (word, reset) in
        [("earliest", OffsetReset::Earliest), ("latest", OffsetReset::Latest), ("none", OffsetReset::None)]
    {
        let c = consumer_config(&format!("\"auto.offset.reset\" = \"{word}\"\n")).unwrap();
        assert_eq!(c.auto_offset_reset, reset);
    }
    for (word, level) in
        [("read_uncommitted", IsolationLevel::ReadUncommitted), ("read_committed", IsolationLevel::ReadCommitted)]
    {
        let c = consumer_config(&format!("\"isolation.level\" = \"{word}\"\n")).unwrap();
        assert_eq!(c.isolation_level, level);
    }
    assert_eq!(
        error(&with_consumer("commit = \"after_processing\"\n")),
        "s.toml:13:10: `commit` must be one of \"auto\", \"before-processing\", \"after-processing\" or \
         \"after-processing-async\", found \"after_processing\"; did you mean \"after-processing\"?"
    );
    assert_eq!(
        consumer_config("\"auto.offset.reset\" = \"earlist\"\n").unwrap_err().to_string(),
        "s.toml:14:23: `auto.offset.reset` must be one of \"earliest\", \"latest\" or \"none\", found \
         \"earlist\"; did you mean \"earliest\"?"
    );
    assert_eq!(
        consumer_config("\"isolation.level\" = \"read-committed\"\n").unwrap_err().to_string(),
        "s.toml:14:21: `isolation.level` must be one of \"read_uncommitted\" or \"read_committed\", found \
         \"read-committed\"; did you mean \"read_committed\"?"
    );
}

#[test]
fn the_heartbeat_interval_must_be_below_the_session_timeout() {
    let e = consumer_config("\"heartbeat.interval.ms\" = 45000\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.toml:14:27: `heartbeat.interval.ms` (45000) must be below `session.timeout.ms` (45000) (Kafka: \
         Heartbeat must be set lower than the session timeout)"
    );
    // Only the session timeout written: the error points at it.
    let e = consumer_config("\"session.timeout.ms\" = 3000\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.toml:14:24: `heartbeat.interval.ms` (3000) must be below `session.timeout.ms` (3000) (Kafka: \
         Heartbeat must be set lower than the session timeout)"
    );
    let e = consumer_config("\"session.timeout.ms\" = 8000\n\"heartbeat.interval.ms\" = 9000\n").unwrap_err();
    assert_eq!((e.line, e.column), (15, 27));
    let c = consumer_config("\"session.timeout.ms\" = 8000\n\"heartbeat.interval.ms\" = 7999\n").unwrap();
    assert_eq!((c.session_timeout_ms, c.heartbeat_interval_ms), (8_000, 7_999));
}

#[test]
fn the_session_timeout_must_lie_within_the_clusters_group_bounds() {
    for session in [5_999, 1_800_001] {
        let e = consumer_config(&format!("\"session.timeout.ms\" = {session}\n\"heartbeat.interval.ms\" = 1000\n"))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "s.toml:14:24: `session.timeout.ms` ({session}) is outside the cluster's \
                 `group.min.session.timeout.ms` to `group.max.session.timeout.ms` (6000 to 1800000): \
                 Kafka's JoinGroup would fail with INVALID_SESSION_TIMEOUT"
            )
        );
    }
    for session in [6_000, 1_800_000] {
        let c = consumer_config(&format!("\"session.timeout.ms\" = {session}\n")).unwrap();
        assert_eq!(c.session_timeout_ms, session);
    }
    // The default 45000 against a lowered maximum: reported at the consumer's table.
    let cluster = "name = \"t\"\n[cluster.config]\n\"group.max.session.timeout.ms\" = 30000\n[[topic]]\nname = \"a\"\n";
    let consumer = "[[consumer]]\nname = \"c\"\ngroup = \"g\"\ntopics = [\"a\"]\n";
    assert_eq!(
        error(&format!("{cluster}{consumer}")),
        "s.toml:6:1: the default `session.timeout.ms` (45000) is outside the cluster's \
         `group.min.session.timeout.ms` to `group.max.session.timeout.ms` (6000 to 30000): Kafka's \
         JoinGroup would fail with INVALID_SESSION_TIMEOUT; set \"session.timeout.ms\" in [consumer.config]"
    );
    let src = format!("{cluster}{consumer}[consumer.config]\n\"max.poll.records\" = 5\n");
    assert_error(&src, 10, 1, "the default `session.timeout.ms` (45000) is outside");
    let ok = load(&format!("{cluster}{consumer}[consumer.config]\n\"session.timeout.ms\" = 30000\n"));
    assert_eq!(ok.consumers[0].config.session_timeout_ms, 30_000);
}

#[test]
fn consumer_group_broker_configs_have_kafkas_ranges() {
    let cases: &[(&str, &str)] = &[
        ("\"offsets.topic.num.partitions\" = 0", "`offsets.topic.num.partitions` must be from 1 to 1000, found 0"),
        (
            "\"offsets.topic.num.partitions\" = 1001",
            "`offsets.topic.num.partitions` must be from 1 to 1000, found 1001",
        ),
        (
            "\"offsets.topic.replication.factor\" = 0",
            "`offsets.topic.replication.factor` must be from 1 to 32767, found 0",
        ),
        (
            "\"offsets.topic.replication.factor\" = 32768",
            "`offsets.topic.replication.factor` must be from 1 to 32767, found 32768",
        ),
        ("\"offsets.commit.timeout.ms\" = 0", "`offsets.commit.timeout.ms` must be from 1 to 2147483647, found 0"),
        (
            "\"group.initial.rebalance.delay.ms\" = -1",
            "`group.initial.rebalance.delay.ms` must be from 0 to 2147483647, found -1",
        ),
        (
            "\"group.min.session.timeout.ms\" = 0",
            "`group.min.session.timeout.ms` must be from 1 to 2147483647, found 0",
        ),
        (
            "\"group.max.session.timeout.ms\" = 0",
            "`group.max.session.timeout.ms` must be from 1 to 2147483647, found 0",
        ),
        (
            "\"group.min.session.timeout.ms\" = 2000000",
            "`group.min.session.timeout.ms` (2000000) must be at most `group.max.session.timeout.ms` \
             (1800000): no consumer could join a group",
        ),
    ];
    for &(line, message) in cases {
        let e = error(&format!("name = \"t\"\n[cluster.config]\n{line}\n"));
        assert_eq!(e, format!("s.toml:3:{}: {message}", line.find(" = ").unwrap() + 4), "{line}");
    }
    // Both bounds written: the maximum is reported.
    assert_error(
        "name = \"t\"\n[cluster.config]\n\"group.min.session.timeout.ms\" = 7000\n\
         \"group.max.session.timeout.ms\" = 6000\n",
        4,
        34,
        "`group.min.session.timeout.ms` (7000) must be at most `group.max.session.timeout.ms` (6000)",
    );
    // The offsets topic's replication factor may exceed the broker count: it is capped at run time.
    let s = load("name = \"t\"\n[cluster]\nbrokers = 1\n[cluster.config]\n\"offsets.topic.replication.factor\" = 3\n");
    assert_eq!(s.cluster.config.offsets_topic_replication_factor, 3);
}

#[test]
fn consumer_and_group_coordinator_targets_parse() {
    let target = |t: &str| {
        let src =
            with_consumer(&format!("instances = 2\n[[fault]]\nat_ms = 1\naction = \"crash\"\ntarget = \"{t}\"\n"));
        load(&src).faults[0].target.clone()
    };
    assert_eq!(target("consumer:c1"), Target::Consumer { consumer: 0, instance: None });
    assert_eq!(target("consumer:c1/0"), Target::Consumer { consumer: 0, instance: Some(0) });
    assert_eq!(target("consumer:c1/1"), Target::Consumer { consumer: 0, instance: Some(1) });
    assert_eq!(target("coordinator:group:g1"), Target::GroupCoordinator("g1".into()));
    // Two consumers may share a group; the second one's index is 1.
    let src = with_consumer(
        "[[consumer]]\nname = \"c2\"\ngroup = \"g1\"\ntopics = [\"orders\"]\n\
         [[fault]]\nat_ms = 1\naction = \"pause\"\ntarget = \"consumer:c2\"\nduration_ms = 5\n\
         [[fault]]\nat_ms = 1\naction = \"power-loss\"\ntarget = \"coordinator:group:g1\"\n",
    );
    let s = load(&src);
    assert_eq!(s.faults[0].target, Target::Consumer { consumer: 1, instance: None });
    assert_eq!(s.faults[1].target, Target::GroupCoordinator("g1".into()));
}

#[test]
fn consumer_target_errors_name_what_was_wrong() {
    let cases: &[(&str, usize, &str)] = &[
        ("consumer:c2", 20, "`c2` names no client; did you mean `c1`?"),
        ("consumer:p1", 20, "`p1` is a producer, not a consumer"),
        ("producer:c1", 20, "`c1` is a consumer, not a producer"),
        ("consumer:", 20, "`consumer:NAME` needs a consumer name after the colon"),
        ("consumer:/0", 20, "`consumer:NAME` needs a consumer name after the colon"),
        ("consumer:c1/2", 23, "instance 2 does not exist: consumer `c1` runs 2 instances, 0 to 1"),
        (
            "consumer:c1/x",
            23,
            "`consumer:c1/K` needs an instance number, found \"x\": consumer `c1` runs 2 instances, 0 to 1",
        ),
        ("coordinator:group:g2", 29, "group `g2` is the group of no consumer or processor; did you mean `g1`?"),
        ("coordinator:group:", 29, "`coordinator:group:GROUP` needs a group id after `group:`"),
        (
            "coordinator:grop:g1",
            23,
            "the coordinator kind must be one of \"group\" or \"transaction\", found \"grop\"; did you mean \"group\"?",
        ),
        (
            "coordinator:transaction:g1",
            35,
            "`g1` is the transactional.id of no producer or exactly_once_v2 processor (no [[producer]] sets \
             \"transactional.id\" and no [[processor]] runs exactly_once_v2)",
        ),
        ("consumr:c1", 10, "unknown target kind `consumr`; did you mean `consumer`?"),
    ];
    for &(target, col, message) in cases {
        let src =
            with_consumer(&format!("instances = 2\n[[fault]]\nat_ms = 1\naction = \"crash\"\ntarget = \"{target}\"\n"));
        assert_eq!(error(&src), format!("s.toml:17:{col}: {message}"), "{target}");
    }
    let one = with_consumer("[[fault]]\nat_ms = 1\naction = \"crash\"\ntarget = \"consumer:c1/1\"\n");
    assert_eq!(error(&one), "s.toml:16:23: instance 1 does not exist: consumer `c1` runs 1 instance, 0");
    let power = with_consumer("[[fault]]\nat_ms = 1\naction = \"power-loss\"\ntarget = \"consumer:c1\"\n");
    assert_eq!(
        error(&power),
        "s.toml:16:10: power-loss applies to brokers (broker:N, leader:TOPIC/P, coordinator:group:GROUP or \
         coordinator:transaction:ID), not to a consumer"
    );
    for (target, message) in [
        ("consumer:c1", "s.toml:12:20: `c1` names no client (the file declares no [[consumer]])"),
        (
            "coordinator:group:g1",
            "s.toml:12:29: group `g1` is the group of no consumer or processor (the file declares no [[consumer]] \
             or [[processor]])",
        ),
    ] {
        let src = with_base(&format!("[[fault]]\nat_ms = 1\naction = \"crash\"\ntarget = \"{target}\"\n"));
        assert_eq!(error(&src), message);
    }
}

#[test]
fn consumer_triggers_count_polls_processed_records_and_commits() {
    for (word, event) in
        [("polled", ClientEvent::Polled), ("processed", ClientEvent::Processed), ("committed", ClientEvent::Committed)]
    {
        let src = with_consumer(&format!(
            "[[fault]]\nafter = \"c1 {word} 3\"\naction = \"crash\"\ntarget = \"consumer:c1\"\n"
        ));
        assert_eq!(load(&src).faults[0].trigger, Trigger::Client { client: ClientRef::Consumer(0), event, n: 3 });
    }
}

#[test]
fn a_record_processed_trigger_needs_a_consumer_of_the_producers_topic() {
    let src = with_consumer("[[fault]]\nafter = \"p1#5 processed\"\naction = \"crash\"\ntarget = \"broker:1\"\n");
    assert_eq!(load(&src).faults[0].trigger, Trigger::Record { producer: 0, index: 5, event: RecordEvent::Processed });
    let elsewhere = "name = \"t\"\n[[topic]]\nname = \"orders\"\n[[topic]]\nname = \"other\"\n\
                     [[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 10\n\
                     [[consumer]]\nname = \"c1\"\ngroup = \"g1\"\ntopics = [\"other\"]\n\
                     [[fault]]\nafter = \"p1#5 processed\"\naction = \"crash\"\ntarget = \"broker:1\"\n";
    assert_eq!(
        error(elsewhere),
        "s.toml:15:15: `p1#5 processed` can never happen: p1 writes to topic `orders`, which no [[consumer]] \
         subscribes to and no [[processor]] reads"
    );
    let both = elsewhere.replace("[\"other\"]", "[\"other\", \"orders\"]");
    assert_eq!(load(&both).faults[0].trigger, Trigger::Record { producer: 0, index: 5, event: RecordEvent::Processed });
}

#[test]
fn consumer_trigger_errors_name_what_was_wrong() {
    let cases: &[(&str, usize, &str)] = &[
        ("c1 acked 3", 13, "consumer c1 has no `acked` events; consumers count polled, processed and committed"),
        (
            "c1 txn-committed 1",
            13,
            "consumer c1 has no `txn-committed` events; consumers count polled, processed and committed",
        ),
        ("p1 processed 3", 13, "producer p1 has no `processed` events; producers count acked"),
        ("c1 pollled 3", 13, "the client event must be one of"),
        ("c2 polled 1", 10, "`c2` names no client; did you mean `c1`?"),
        ("q1 polled 1", 10, "`q1` names no client; did you mean `p1`?"),
        ("c1#3 acked", 10, "`c1` is a consumer, not a producer"),
        ("c1 polled 0", 20, "the count N in \"CLIENT EVENT N\" must be at least 1, found \"0\""),
    ];
    for &(after, col, message) in cases {
        let src =
            with_consumer(&format!("[[fault]]\nafter = \"{after}\"\naction = \"crash\"\ntarget = \"broker:1\"\n"));
        assert_error(&src, 14, col, message);
    }
    let none = "name = \"t\"\n[[fault]]\nafter = \"c1 polled 1\"\naction = \"crash\"\ntarget = \"broker:1\"\n";
    assert_eq!(
        error(none),
        "s.toml:3:10: `c1` names no client (the file declares no [[producer]], [[consumer]] or [[processor]])"
    );
}

// ---------------------------------------------------------------------------------------------
// Processors

/// `BASE` plus topic `shipments` (lines 9 and 10) and processor `s1` of group `app` from `orders`
/// to `shipments` (lines 11 to 15), then `rest` from line 16.
fn with_processor(rest: &str) -> String {
    with_base(&format!(
        "[[topic]]\nname = \"shipments\"\n[[processor]]\nname = \"s1\"\ngroup = \"app\"\ninput = \"orders\"\n\
         output = \"shipments\"\n{rest}"
    ))
}

/// Processor `s1` with `lines` added to its table (from line 16).
fn processor(lines: &str) -> Result<ProcessorSpec, ScenarioError> {
    parse_str(&with_processor(lines), "s.toml").map(|s| s.processors[0].clone())
}

/// Processor `s1` with a `[processor.config]` (line 16) holding `lines` (from line 17).
fn processor_config(lines: &str) -> Result<ProcessorConfig, ScenarioError> {
    processor(&format!("[processor.config]\n{lines}")).map(|p| p.config)
}

/// `with_processor`, s1 exactly-once with 2 instances (lines 16 to 18), then `rest` from line 19.
fn with_eos_processor(rest: &str) -> String {
    with_processor(&format!(
        "instances = 2\n[processor.config]\n\"processing.guarantee\" = \"exactly_once_v2\"\n{rest}"
    ))
}

/// A file with two processors (one exactly-once), their targets, triggers and a nemesis.
const PROCESSOR_EXAMPLE: &str = r#"name = "processors"
[cluster.config]
"transaction.max.timeout.ms" = 60000
[[topic]]
name = "orders"
partitions = 2
[[topic]]
name = "shipments"
[[topic]]
name = "audit"
[[producer]]
name = "p1"
topic = "orders"
records = 100
[[consumer]]
name = "c1"
group = "g1"
topics = ["shipments"]
[[processor]]
name = "s1"
group = "app"
input = "orders"
output = "shipments"
instances = 2
[processor.config]
"processing.guarantee" = "exactly_once_v2"
"transaction.timeout.ms" = 20000
[[processor]]
name = "s2"
group = "audit-app"
input = "orders"
output = "audit"
processing_ms = 2
[processor.config]
"commit.interval.ms" = 1000
[[fault]]
after = "s1 txn-committed 3"
action = "crash"
target = "processor:s1/1"
restart_after_ms = 500
[[fault]]
after = "s2 committed 1"
action = "crash"
target = "coordinator:transaction:app-s1-0"
[[fault]]
after = "p1#5 processed"
action = "pause"
target = "processor:s2"
duration_ms = 100
[[fault]]
at_ms = 10
action = "crash"
target = "coordinator:group:app"
[nemesis]
targets = ["brokers", "processors"]
"#;

#[test]
fn a_processor_table_loads_with_streams_defaults_for_its_guarantee() {
    let p = processor("").unwrap();
    assert_eq!(
        p,
        ProcessorSpec {
            name: "s1".into(),
            group: "app".into(),
            input: "orders".into(),
            output: "shipments".into(),
            instances: 1,
            processing_ms: 0,
            poll_timeout_ms: 100,
            config: ProcessorConfig {
                processing_guarantee: ProcessingGuarantee::AtLeastOnce,
                commit_interval_ms: 30_000,
                transaction_timeout_ms: 10_000,
                linger_ms: 100,
                max_poll_records: 1_000,
                session_timeout_ms: 45_000,
                heartbeat_interval_ms: 3_000,
                max_poll_interval_ms: 300_000,
                request_timeout_ms: 30_000,
            },
        }
    );
    let alos = processor_config("\"processing.guarantee\" = \"at_least_once\"\n").unwrap();
    assert_eq!(alos, ProcessorConfig::new(ProcessingGuarantee::AtLeastOnce));
    assert_eq!(alos.commit_interval_ms, 30_000);
    let eos = processor_config("\"processing.guarantee\" = \"exactly_once_v2\"\n").unwrap();
    assert_eq!(eos, ProcessorConfig::new(ProcessingGuarantee::ExactlyOnceV2));
    assert_eq!(eos.commit_interval_ms, 100);
    // An empty [processor.config] is the same as none.
    assert_eq!(processor_config("").unwrap(), ProcessorConfig::default());
}

#[test]
fn every_processor_key_and_config_is_read() {
    // Every value differs from its default, so a key that was not read would show.
    let s = load(
        r#"name = "t"
[cluster.config]
"transaction.max.timeout.ms" = 60000
[[topic]]
name = "in"
[[topic]]
name = "out"
[[processor]]
name = "s9"
group = "app9"
input = "in"
output = "out"
instances = 3
processing_ms = 7
poll_timeout_ms = 250
[processor.config]
"processing.guarantee" = "exactly_once_v2"
"commit.interval.ms" = 1500
"transaction.timeout.ms" = 20000
"linger.ms" = 0
"max.poll.records" = 50
"session.timeout.ms" = 10000
"heartbeat.interval.ms" = 2500
"max.poll.interval.ms" = 60000
"request.timeout.ms" = 15000
"#,
    );
    assert_eq!(
        s.processors,
        vec![ProcessorSpec {
            name: "s9".into(),
            group: "app9".into(),
            input: "in".into(),
            output: "out".into(),
            instances: 3,
            processing_ms: 7,
            poll_timeout_ms: 250,
            config: ProcessorConfig {
                processing_guarantee: ProcessingGuarantee::ExactlyOnceV2,
                commit_interval_ms: 1_500,
                transaction_timeout_ms: 20_000,
                linger_ms: 0,
                max_poll_records: 50,
                session_timeout_ms: 10_000,
                heartbeat_interval_ms: 2_500,
                max_poll_interval_ms: 60_000,
                request_timeout_ms: 15_000,
            },
        }]
    );
    assert_eq!(s.processors[0].transactional_id(2), "app9-s9-2");
}

#[test]
fn an_explicit_commit_interval_wins_over_the_guarantees_default() {
    // Written after the guarantee, before it, or with the default guarantee: the written value wins.
    for lines in [
        "\"processing.guarantee\" = \"exactly_once_v2\"\n\"commit.interval.ms\" = 5000\n",
        "\"commit.interval.ms\" = 5000\n\"processing.guarantee\" = \"exactly_once_v2\"\n",
        "\"commit.interval.ms\" = 5000\n",
        "\"processing.guarantee\" = \"at_least_once\"\n\"commit.interval.ms\" = 5000\n",
    ] {
        assert_eq!(processor_config(lines).unwrap().commit_interval_ms, 5_000, "{lines}");
    }
    let eos = processor_config("\"commit.interval.ms\" = 30000\n\"processing.guarantee\" = \"exactly_once_v2\"\n");
    assert_eq!(eos.unwrap().commit_interval_ms, 30_000);
    assert_eq!(processor_config("\"commit.interval.ms\" = 0\n").unwrap().commit_interval_ms, 0);
}

#[test]
fn an_array_of_inline_processor_tables_is_accepted() {
    let src = "name = \"t\"\nprocessor = [{ name = \"s1\", group = \"a\", input = \"i\", output = \"o\", \
               config = { \"processing.guarantee\" = \"exactly_once_v2\" } }]\n\
               [[topic]]\nname = \"i\"\n[[topic]]\nname = \"o\"\n";
    let s = load(src);
    assert_eq!(s.processors[0], ProcessorSpec::new("s1", "a", "i", "o", ProcessingGuarantee::ExactlyOnceV2));
}

#[test]
fn a_processor_needs_a_name_a_group_an_input_and_an_output() {
    let table = |lines: &str| with_base(&format!("[[topic]]\nname = \"out\"\n[[processor]]\n{lines}"));
    for (lines, key) in [
        ("group = \"g\"\ninput = \"orders\"\noutput = \"out\"\n", "name"),
        ("name = \"s\"\ninput = \"orders\"\noutput = \"out\"\n", "group"),
        ("name = \"s\"\ngroup = \"g\"\noutput = \"out\"\n", "input"),
        ("name = \"s\"\ngroup = \"g\"\ninput = \"orders\"\n", "output"),
    ] {
        assert_eq!(error(&table(lines)), format!("s.toml:11:1: missing required key `{key}` in [[processor]]"));
    }
    assert_eq!(
        error(&table("name = \"s\"\ngroup = \"\"\ninput = \"orders\"\noutput = \"out\"\n")),
        "s.toml:13:9: `group` must not be empty (Kafka: The configured group.id should not be an empty \
         string or whitespace.)"
    );
}

#[test]
fn processor_topics_must_be_declared_strings_and_differ_and_an_undeclared_output_is_auto_created() {
    let table = |input: &str, output: &str| {
        with_base(&format!(
            "[[topic]]\nname = \"out\"\n[[processor]]\nname = \"s\"\ngroup = \"g\"\ninput = {input}\noutput = {output}\n"
        ))
    };
    let cases: &[(&str, &str, usize, usize, &str)] = &[
        ("\"ordrs\"", "\"out\"", 14, 9, "topic `ordrs` is not declared; did you mean `orders`?"),
        (
            "\"orders\"",
            "\"__consumer_offsets\"",
            15,
            10,
            "`output` must name a workload topic, found `__consumer_offsets`",
        ),
        ("[\"orders\"]", "\"out\"", 14, 9, "`input` must be a string, found an array"),
        (
            "\"orders\"",
            "\"orders\"",
            15,
            10,
            "`output` must differ from `input` (both `orders`): a processor does not read its own output",
        ),
    ];
    for &(input, output, line, col, message) in cases {
        assert_eq!(error(&table(input, output)), format!("s.toml:{line}:{col}: {message}"), "{input} {output}");
    }
    let s = load(&table("\"orders\"", "\"ot\""));
    assert_eq!(s.topics.last(), Some(&TopicSpec::new("ot", 1, 1)));
}

#[test]
fn processor_chains_are_rejected_at_the_reading_processors_input() {
    let second = "[[topic]]\nname = \"final\"\n[[processor]]\nname = \"s2\"\ngroup = \"app2\"\n\
                  input = \"shipments\"\noutput = \"final\"\n";
    assert_eq!(
        error(&with_processor(second)),
        "s.toml:21:9: topic `shipments` is the output of processor `s1` (line 15): processor chains are not \
         supported yet"
    );
    // The reader written before the writer: still reported at the reader's input.
    let src = "name = \"t\"\n[[topic]]\nname = \"a\"\n[[topic]]\nname = \"b\"\n[[topic]]\nname = \"c\"\n\
               [[processor]]\nname = \"second\"\ngroup = \"g2\"\ninput = \"b\"\noutput = \"c\"\n\
               [[processor]]\nname = \"first\"\ngroup = \"g1\"\ninput = \"a\"\noutput = \"b\"\n";
    assert_eq!(
        error(src),
        "s.toml:11:9: topic `b` is the output of processor `first` (line 17): processor chains are not \
         supported yet"
    );
    // Two processors may read one topic, and a consumer may read a processor's output.
    let fan_out = with_processor(
        "[[topic]]\nname = \"audit\"\n[[processor]]\nname = \"s2\"\ngroup = \"app2\"\ninput = \"orders\"\n\
         output = \"audit\"\n[[consumer]]\nname = \"c1\"\ngroup = \"g1\"\ntopics = [\"shipments\"]\n",
    );
    assert_eq!(load(&fan_out).processors.len(), 2);
}

#[test]
fn client_names_are_unique_across_producers_consumers_and_processors() {
    let src = with_base("[[topic]]\nname = \"out\"\n[[processor]]\nname = \"p1\"\ngroup = \"g\"\n");
    assert_eq!(error(&src), "s.toml:12:8: client name `p1` is already used by the producer at line 6");
    let src = with_processor("[[consumer]]\nname = \"s1\"\ngroup = \"g1\"\ntopics = [\"orders\"]\n");
    assert_eq!(error(&src), "s.toml:17:8: client name `s1` is already used by the processor at line 12");
    let src = with_processor("[[processor]]\nname = \"s1\"\ngroup = \"app2\"\n");
    assert_eq!(error(&src), "s.toml:17:8: client name `s1` is already used by the processor at line 12");
    let src = with_base("[[topic]]\nname = \"out\"\n[[processor]]\nname = \"s#1\"\ngroup = \"g\"\n");
    assert_error(&src, 12, 8, "client name \"s#1\" must not contain '#'");
}

#[test]
fn a_processor_group_is_shared_with_no_consumer_and_no_other_processor() {
    // The consumer written after the processor: the processor's group is still the one reported.
    let src = with_processor("[[consumer]]\nname = \"c1\"\ngroup = \"app\"\ntopics = [\"orders\"]\n");
    assert_eq!(
        error(&src),
        "s.toml:13:9: group `app` is already the group of consumer `c1`: a processor's group is its own \
         (Kafka Streams' application.id), shared with no [[consumer]]"
    );
    let src = with_processor(
        "[[topic]]\nname = \"audit\"\n[[processor]]\nname = \"s2\"\ngroup = \"app\"\ninput = \"orders\"\n\
         output = \"audit\"\n",
    );
    assert_eq!(
        error(&src),
        "s.toml:20:9: group `app` is already the group of processor `s1` (line 13): each [[processor]] is \
         one application with a group of its own (Kafka Streams' application.id); run more members with \
         `instances`"
    );
}

#[test]
fn unknown_processor_keys_name_the_nearest_valid_key() {
    assert_eq!(
        error(&with_processor("instance = 2\n")),
        "s.toml:16:1: unknown key `instance` in [[processor]]; did you mean `instances`?"
    );
    assert_eq!(
        processor_config("\"commit.interval\" = 1\n").unwrap_err().to_string(),
        "s.toml:17:1: unknown key `commit.interval` in [processor.config]; did you mean `commit.interval.ms`?"
    );
    assert_eq!(
        processor_config("\"processing.guarantees\" = \"at_least_once\"\n").unwrap_err().to_string(),
        "s.toml:17:1: unknown key `processing.guarantees` in [processor.config]; did you mean \
         `processing.guarantee`?"
    );
    for key in ["application.id", "group.id"] {
        assert_eq!(
            processor_config(&format!("\"{key}\" = \"g\"\n")).unwrap_err().to_string(),
            format!("s.toml:17:1: `{key}` is written as `group = \"...\"` in [[processor]], not here")
        );
    }
    assert_error(
        &with_processor("[processor.config]\nprocessing.guarantee = \"at_least_once\"\n"),
        17,
        1,
        "write the key in quotes, \"processing.guarantee\" = ...",
    );
}

#[test]
fn processor_values_out_of_range_report_the_allowed_range() {
    let table_cases: &[(&str, &str)] = &[
        ("instances = 0", "`instances` must be from 1 to 64, found 0"),
        ("instances = 65", "`instances` must be from 1 to 64, found 65"),
        ("processing_ms = -1", "`processing_ms` must be at least 0, found -1"),
        ("poll_timeout_ms = 0", "`poll_timeout_ms` must be at least 1, found 0"),
        ("instances = \"2\"", "`instances` must be an integer, found a string (write 2 without quotes)"),
    ];
    for &(line, message) in table_cases {
        let e = error(&with_processor(&format!("{line}\n")));
        assert_eq!(e, format!("s.toml:16:{}: {message}", line.find(" = ").unwrap() + 4), "{line}");
    }
    let config_cases: &[(&str, &str)] = &[
        ("\"commit.interval.ms\" = -1", "`commit.interval.ms` must be at least 0, found -1"),
        ("\"linger.ms\" = -1", "`linger.ms` must be at least 0, found -1"),
        ("\"max.poll.records\" = 0", "`max.poll.records` must be from 1 to 2147483647, found 0"),
        ("\"session.timeout.ms\" = 0", "`session.timeout.ms` must be from 1 to 2147483647, found 0"),
        ("\"heartbeat.interval.ms\" = 0", "`heartbeat.interval.ms` must be from 1 to 2147483647, found 0"),
        ("\"max.poll.interval.ms\" = 0", "`max.poll.interval.ms` must be from 1 to 2147483647, found 0"),
        ("\"request.timeout.ms\" = 2147483648", "`request.timeout.ms` must be from 1 to 2147483647, found 2147483648"),
    ];
    for &(line, message) in config_cases {
        let e = processor_config(&format!("{line}\n")).unwrap_err();
        assert_eq!(e.to_string(), format!("s.toml:17:{}: {message}", line.find(" = ").unwrap() + 4), "{line}");
    }
}

#[test]
fn the_processing_guarantee_is_one_of_the_three_spellings_and_exactly_once_beta_is_written_v2() {
    let cases: &[(&str, &str)] = &[
        (
            "\"exactly_once_beta\"",
            "`processing.guarantee` \"exactly_once_beta\" was removed in Kafka Streams 4.0; use \
             \"exactly_once_v2\" (or \"at_least_once\")",
        ),
        (
            "\"at-least-once\"",
            "`processing.guarantee` must be one of \"at_least_once\", \"exactly_once_v2\" or \"exactly_once\", \
             found \"at-least-once\"; did you mean \"at_least_once\"?",
        ),
        ("\"EXACTLY_ONCE_V2\"", "found \"EXACTLY_ONCE_V2\"; did you mean \"exactly_once_v2\"?"),
        ("2", "`processing.guarantee` must be a string, found an integer"),
    ];
    for &(value, message) in cases {
        let e = processor_config(&format!("\"processing.guarantee\" = {value}\n")).unwrap_err();
        let e = e.to_string();
        assert!(e.starts_with("s.toml:17:26: ") && e.contains(message), "{value}: got {e:?}");
    }
}

#[test]
fn processor_heartbeat_and_session_timeouts_follow_the_consumer_rules() {
    let e = processor_config("\"heartbeat.interval.ms\" = 45000\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.toml:17:27: `heartbeat.interval.ms` (45000) must be below `session.timeout.ms` (45000) (Kafka: \
         Heartbeat must be set lower than the session timeout)"
    );
    let e = processor_config("\"session.timeout.ms\" = 3000\n").unwrap_err();
    assert_eq!((e.line, e.column), (17, 24));
    let e = processor_config("\"session.timeout.ms\" = 5999\n\"heartbeat.interval.ms\" = 1000\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "s.toml:17:24: `session.timeout.ms` (5999) is outside the cluster's `group.min.session.timeout.ms` to \
         `group.max.session.timeout.ms` (6000 to 1800000): Kafka's JoinGroup would fail with \
         INVALID_SESSION_TIMEOUT"
    );
    // The default 45000 against a lowered maximum: at [processor.config], or at [[processor]].
    let head = "name = \"t\"\n[cluster.config]\n\"group.max.session.timeout.ms\" = 30000\n[[topic]]\nname = \"a\"\n\
                [[topic]]\nname = \"b\"\n[[processor]]\nname = \"s\"\ngroup = \"g\"\ninput = \"a\"\noutput = \"b\"\n";
    assert_eq!(
        error(head),
        "s.toml:8:1: the default `session.timeout.ms` (45000) is outside the cluster's \
         `group.min.session.timeout.ms` to `group.max.session.timeout.ms` (6000 to 30000): Kafka's JoinGroup \
         would fail with INVALID_SESSION_TIMEOUT; set \"session.timeout.ms\" in [processor.config]"
    );
    assert_error(
        &format!("{head}[processor.config]\n\"linger.ms\" = 5\n"),
        13,
        1,
        "the default `session.timeout.ms` (45000) is outside",
    );
    let ok = load(&format!("{head}[processor.config]\n\"session.timeout.ms\" = 30000\n"));
    assert_eq!(ok.processors[0].config.session_timeout_ms, 30_000);
}

#[test]
fn an_exactly_once_processors_transaction_timeout_lies_within_the_clusters_maximum() {
    let e = error(&with_eos_processor("\"transaction.timeout.ms\" = 900001\n"));
    assert_eq!(
        e,
        "s.toml:19:28: `transaction.timeout.ms` must be from 1 to the cluster's `transaction.max.timeout.ms` \
         (900000), found 900001: Kafka's InitProducerId would fail with INVALID_TRANSACTION_TIMEOUT"
    );
    assert_error(&with_eos_processor("\"transaction.timeout.ms\" = 0\n"), 19, 28, "found 0");
    assert_error(&with_eos_processor("\"transaction.timeout.ms\" = \"5\"\n"), 19, 28, "must be an integer");
    let s = load(&with_eos_processor("\"transaction.timeout.ms\" = 900000\n"));
    assert_eq!(s.processors[0].config.transaction_timeout_ms, 900_000);
    // Streams' default 10000 against a lowered maximum: reported at [processor.config].
    let low = "name = \"t\"\n[cluster.config]\n\"transaction.max.timeout.ms\" = 5000\n[[topic]]\nname = \"a\"\n\
               [[topic]]\nname = \"b\"\n[[processor]]\nname = \"s\"\ngroup = \"g\"\ninput = \"a\"\noutput = \"b\"\n\
               [processor.config]\n\"processing.guarantee\" = \"exactly_once_v2\"\n";
    assert_eq!(
        error(low),
        "s.toml:13:1: the default `transaction.timeout.ms` (10000) is above the cluster's \
         `transaction.max.timeout.ms` (5000): Kafka's InitProducerId would fail with \
         INVALID_TRANSACTION_TIMEOUT; set \"transaction.timeout.ms\" in [processor.config]"
    );
    assert_eq!(
        load(&format!("{low}\"transaction.timeout.ms\" = 5000\n")).processors[0].config.transaction_timeout_ms,
        5_000
    );
    // Under at_least_once there is no transaction to time out.
    assert_eq!(
        processor_config("\"transaction.timeout.ms\" = 5000\n").unwrap_err().to_string(),
        "s.toml:17:1: `transaction.timeout.ms` applies to exactly_once and exactly_once_v2 processors; under \
         at_least_once the processor runs no transactions"
    );
    let lowered_alos = low.replace("exactly_once_v2", "at_least_once");
    assert_eq!(load(&lowered_alos).processors[0].config.transaction_timeout_ms, 10_000);
}

#[test]
fn an_exactly_once_processors_transactional_ids_clash_with_no_one() {
    let src = with_base(
        "[producer.config]\n\"transactional.id\" = \"app-s1-1\"\n[[topic]]\nname = \"out\"\n[[processor]]\n\
         name = \"s1\"\ngroup = \"app\"\ninput = \"orders\"\noutput = \"out\"\ninstances = 2\n[processor.config]\n\
         \"processing.guarantee\" = \"exactly_once_v2\"\n",
    );
    assert_eq!(
        error(&src),
        "s.toml:14:8: the transactional id of instance 1 of processor `s1` is `app-s1-1` (GROUP-NAME-K), which \
         is the \"transactional.id\" of producer `p1`: the two would fence each other"
    );
    // At at_least_once the processor has no transactional id to clash.
    assert_eq!(load(&src.replace("exactly_once_v2", "at_least_once")).processors.len(), 1);
    let two = |guarantee: &str| {
        format!(
            "name = \"t\"\n[[topic]]\nname = \"i\"\n[[topic]]\nname = \"o\"\n[[topic]]\nname = \"o2\"\n\
             [[processor]]\nname = \"c\"\ngroup = \"a-b\"\ninput = \"i\"\noutput = \"o\"\n[processor.config]\n\
             \"processing.guarantee\" = \"exactly_once_v2\"\n\
             [[processor]]\nname = \"b-c\"\ngroup = \"a\"\ninput = \"i\"\noutput = \"o2\"\n[processor.config]\n\
             \"processing.guarantee\" = \"{guarantee}\"\n"
        )
    };
    assert_eq!(
        error(&two("exactly_once_v2")),
        "s.toml:16:8: the transactional id of instance 0 of processor `b-c` is `a-b-c-0` (GROUP-NAME-K), which \
         is also the id of processor `c` (line 9): the two would fence each other"
    );
    assert_eq!(load(&two("at_least_once")).processors.len(), 2);
}

#[test]
fn processor_and_coordinator_targets_parse() {
    let target = |t: &str| {
        let src = with_eos_processor(&format!("[[fault]]\nat_ms = 1\naction = \"crash\"\ntarget = \"{t}\"\n"));
        load(&src).faults[0].target.clone()
    };
    assert_eq!(target("processor:s1"), Target::Processor { processor: 0, instance: None });
    assert_eq!(target("processor:s1/0"), Target::Processor { processor: 0, instance: Some(0) });
    assert_eq!(target("processor:s1/1"), Target::Processor { processor: 0, instance: Some(1) });
    assert_eq!(target("coordinator:group:app"), Target::GroupCoordinator("app".into()));
    assert_eq!(target("coordinator:transaction:app-s1-0"), Target::TxnCoordinator("app-s1-0".into()));
    assert_eq!(target("coordinator:transaction:app-s1-1"), Target::TxnCoordinator("app-s1-1".into()));
    // An at_least_once processor's group has a coordinator too; pause and isolate apply to it.
    let src = with_processor(
        "[[fault]]\nat_ms = 1\naction = \"power-loss\"\ntarget = \"coordinator:group:app\"\n\
         [[fault]]\nat_ms = 2\naction = \"pause\"\ntarget = \"processor:s1/0\"\nduration_ms = 5\n\
         [[fault]]\nat_ms = 3\naction = \"isolate\"\ntarget = \"processor:s1\"\nduration_ms = 5\n",
    );
    let targets: Vec<_> = load(&src).faults.iter().map(|f| f.target.clone()).collect();
    assert_eq!(
        targets,
        vec![
            Target::GroupCoordinator("app".into()),
            Target::Processor { processor: 0, instance: Some(0) },
            Target::Processor { processor: 0, instance: None },
        ]
    );
}

#[test]
fn processor_target_errors_name_what_was_wrong() {
    let cases: &[(&str, usize, &str)] = &[
        ("processor:s2", 21, "`s2` names no client; did you mean `s1`?"),
        ("processor:p1", 21, "`p1` is a producer, not a processor"),
        ("consumer:s1", 20, "`s1` is a processor, not a consumer"),
        ("producer:s1", 20, "`s1` is a processor, not a producer"),
        ("processor:", 21, "`processor:NAME` needs a processor name after the colon"),
        ("processor:/1", 21, "`processor:NAME` needs a processor name after the colon"),
        ("processor:s1/2", 24, "instance 2 does not exist: processor `s1` runs 2 instances, 0 to 1"),
        (
            "processor:s1/x",
            24,
            "`processor:s1/K` needs an instance number, found \"x\": processor `s1` runs 2 instances, 0 to 1",
        ),
        ("coordinator:group:ap", 29, "group `ap` is the group of no consumer or processor; did you mean `app`?"),
        (
            "coordinator:transaction:app-s1-2",
            35,
            "`app-s1-2` is the transactional.id of no producer or exactly_once_v2 processor; did you mean \
             `app-s1-0`?",
        ),
        ("procesor:s1", 10, "unknown target kind `procesor`; did you mean `processor`?"),
    ];
    for &(target, col, message) in cases {
        let src = with_eos_processor(&format!("[[fault]]\nat_ms = 1\naction = \"crash\"\ntarget = \"{target}\"\n"));
        assert_eq!(error(&src), format!("s.toml:22:{col}: {message}"), "{target}");
    }
    let one = with_processor("[[fault]]\nat_ms = 1\naction = \"crash\"\ntarget = \"processor:s1/1\"\n");
    assert_eq!(error(&one), "s.toml:19:24: instance 1 does not exist: processor `s1` runs 1 instance, 0");
    let alos =
        with_processor("[[fault]]\nat_ms = 1\naction = \"crash\"\ntarget = \"coordinator:transaction:app-s1-0\"\n");
    assert_eq!(
        error(&alos),
        "s.toml:19:35: `app-s1-0` would be the transactional id of instance 0 of processor `s1`, but it runs \
         at_least_once, which uses no transactions"
    );
    let power = with_processor("[[fault]]\nat_ms = 1\naction = \"power-loss\"\ntarget = \"processor:s1\"\n");
    assert_eq!(
        error(&power),
        "s.toml:19:10: power-loss applies to brokers (broker:N, leader:TOPIC/P, coordinator:group:GROUP or \
         coordinator:transaction:ID), not to a processor"
    );
}

#[test]
fn processor_triggers_count_polls_processed_records_commits_and_transactions() {
    let all = [
        ("polled", ClientEvent::Polled),
        ("processed", ClientEvent::Processed),
        ("committed", ClientEvent::Committed),
        ("txn-committed", ClientEvent::TxnCommitted),
        ("txn-aborted", ClientEvent::TxnAborted),
    ];
    for (word, event) in all {
        let src = with_eos_processor(&format!(
            "[[fault]]\nafter = \"s1 {word} 3\"\naction = \"crash\"\ntarget = \"processor:s1/1\"\n"
        ));
        assert_eq!(load(&src).faults[0].trigger, Trigger::Client { client: ClientRef::Processor(0), event, n: 3 });
    }
    for (word, event) in &all[..3] {
        let src =
            with_processor(&format!("[[fault]]\nafter = \"s1 {word} 2\"\naction = \"crash\"\ntarget = \"broker:1\"\n"));
        assert_eq!(
            load(&src).faults[0].trigger,
            Trigger::Client { client: ClientRef::Processor(0), event: *event, n: 2 }
        );
    }
}

#[test]
fn processor_trigger_errors_name_what_was_wrong() {
    let alos: &[(&str, usize, &str)] = &[
        (
            "s1 txn-committed 1",
            13,
            "processor s1 has no `txn-committed` events: it runs at_least_once, so it runs no transactions \
             (\"processing.guarantee\" = \"exactly_once_v2\" does)",
        ),
        (
            "s1 txn-aborted 1",
            13,
            "processor s1 has no `txn-aborted` events: it runs at_least_once, so it runs no transactions",
        ),
        (
            "s1 acked 1",
            13,
            "processor s1 has no `acked` events; at_least_once processors count polled, processed and committed",
        ),
        ("s2 polled 1", 10, "`s2` names no client; did you mean `s1`?"),
        ("s1#3 acked", 10, "`s1` is a processor, not a producer"),
        ("s1 polled 0", 20, "the count N in \"CLIENT EVENT N\" must be at least 1, found \"0\""),
    ];
    for &(after, col, message) in alos {
        let src =
            with_processor(&format!("[[fault]]\nafter = \"{after}\"\naction = \"crash\"\ntarget = \"broker:1\"\n"));
        assert_error(&src, 17, col, message);
    }
    let src = with_eos_processor("[[fault]]\nafter = \"s1 acked 1\"\naction = \"crash\"\ntarget = \"broker:1\"\n");
    assert_eq!(
        error(&src),
        "s.toml:20:13: processor s1 has no `acked` events; exactly_once_v2 processors count polled, processed, \
         committed, offsets-sent, txn-committed and txn-aborted"
    );
}

#[test]
fn a_record_processed_trigger_is_allowed_when_a_processor_reads_the_producers_topic() {
    let src = with_processor("[[fault]]\nafter = \"p1#5 processed\"\naction = \"crash\"\ntarget = \"processor:s1\"\n");
    assert_eq!(load(&src).faults[0].trigger, Trigger::Record { producer: 0, index: 5, event: RecordEvent::Processed });
    // A processor reading another topic does not make it possible.
    let src = with_base(
        "[[topic]]\nname = \"a\"\n[[topic]]\nname = \"b\"\n[[processor]]\nname = \"s1\"\ngroup = \"app\"\n\
         input = \"a\"\noutput = \"b\"\n[[fault]]\nafter = \"p1#5 processed\"\naction = \"crash\"\ntarget = \"broker:1\"\n",
    );
    assert_eq!(
        error(&src),
        "s.toml:19:15: `p1#5 processed` can never happen: p1 writes to topic `orders`, which no [[consumer]] \
         subscribes to and no [[processor]] reads"
    );
}

#[test]
fn the_nemesis_may_target_processors_when_the_file_declares_some() {
    let s = load(&with_processor("[nemesis]\ntargets = [\"processors\", \"brokers\"]\n"));
    assert_eq!(s.nemesis.unwrap().targets, vec![TargetClass::Processors, TargetClass::Brokers]);
    assert_eq!(
        error(&with_consumer("[nemesis]\ntargets = [\"consumers\", \"processors\"]\n")),
        "s.toml:14:25: the nemesis `targets` lists \"processors\", but the file declares no [[processor]]"
    );
    assert_error(&with_processor("[nemesis]\ntargets = [\"processor\"]\n"), 17, 12, "did you mean \"processors\"?");
}

#[test]
fn the_processor_example_loads_with_every_processor_target_and_trigger() {
    let s = load(PROCESSOR_EXAMPLE);
    assert_eq!(s.processors.len(), 2);
    assert_eq!(s.processors[0].config.processing_guarantee, ProcessingGuarantee::ExactlyOnceV2);
    assert_eq!(s.processors[1].config.commit_interval_ms, 1_000);
    let got: Vec<(Trigger, Target)> = s.faults.iter().map(|f| (f.trigger.clone(), f.target.clone())).collect();
    assert_eq!(
        got,
        vec![
            (
                Trigger::Client { client: ClientRef::Processor(0), event: ClientEvent::TxnCommitted, n: 3 },
                Target::Processor { processor: 0, instance: Some(1) },
            ),
            (
                Trigger::Client { client: ClientRef::Processor(1), event: ClientEvent::Committed, n: 1 },
                Target::TxnCoordinator("app-s1-0".into()),
            ),
            (
                Trigger::Record { producer: 0, index: 5, event: RecordEvent::Processed },
                Target::Processor { processor: 1, instance: None },
            ),
            (Trigger::AtMs(10), Target::GroupCoordinator("app".into())),
        ]
    );
    assert_eq!(s.nemesis.unwrap().targets, vec![TargetClass::Brokers, TargetClass::Processors]);
    assert_consistent(&load(PROCESSOR_EXAMPLE));
}

// ---------------------------------------------------------------------------------------------
// Nemesis

#[test]
fn an_empty_nemesis_table_gets_the_defaults() {
    let s = load("name = \"t\"\n[nemesis]\n");
    assert_eq!(s.nemesis, Some(NemesisSpec::default()));
}

#[test]
fn every_nemesis_key_is_read() {
    let s = load(
        r#"name = "t"
[nemesis]
actions = ["crash", "power-loss", "isolate", "pause"]
targets = ["brokers", "producers", "consumers"]
interval_ms = [10, 20]
start_ms = 100
stop_ms = 900
restart_after_ms = [0, 50]
duration_ms = 30
safe_power_loss = true
"#,
    );
    assert_eq!(
        s.nemesis,
        Some(NemesisSpec {
            actions: vec![FaultAction::Crash, FaultAction::PowerLoss, FaultAction::Isolate, FaultAction::Pause],
            targets: vec![TargetClass::Brokers, TargetClass::Producers, TargetClass::Consumers],
            interval_ms: (10, 20),
            start_ms: 100,
            stop_ms: 900,
            restart_after_ms: (0, 50),
            duration_ms: (30, 30),
            safe_power_loss: true,
        })
    );
}

#[test]
fn nemesis_errors_name_what_was_wrong() {
    let cases: &[(&str, usize, usize, &str)] = &[
        (
            "targets = [\"brokers\", \"processors\"]",
            3,
            23,
            "the nemesis `targets` lists \"processors\", but the file declares no [[processor]]",
        ),
        ("targets = [\"broker\"]", 3, 12, "did you mean \"brokers\"?"),
        ("actions = []", 3, 11, "`actions` must not be empty"),
        ("actions = [\"crash\", \"explode\"]", 3, 21, "found \"explode\"; did you mean"),
        ("actions = \"crash\"", 3, 11, "`actions` must be an array of"),
        ("interval_ms = [0, 5]", 3, 16, "`interval_ms` bounds must be at least 1, found 0"),
        ("interval_ms = [9, 5]", 3, 15, "the minimum 9 is above the maximum 5"),
        ("duration_ms = 0", 3, 15, "`duration_ms` must be at least 1, found 0"),
        ("start_ms = 10\nstop_ms = 5", 4, 11, "`stop_ms` (5) must be at least `start_ms` (10)"),
        ("safe_power_loss = 1", 3, 19, "must be a boolean"),
        (
            "actions = [\"power-loss\"]\ntargets = [\"producers\"]",
            4,
            11,
            "power-loss applies to brokers, but the nemesis `targets` has no \"brokers\"",
        ),
    ];
    for &(lines, line, col, message) in cases {
        let src = format!("name = \"t\"\n[nemesis]\n{lines}\n");
        let e = error(&src);
        let prefix = format!("s.toml:{line}:{col}: ");
        assert!(e.starts_with(&prefix) && e.contains(message), "{lines}: got {e:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Expectations

#[test]
fn expectations_keep_file_order_and_parse_every_bound_form() {
    let s = load(
        r#"name = "t"
[expect]
unavailable = "<= 2"
lost_acked = ">0"
duplicated = 0
reordered = " >= 1 "
divergence = "<3"
stuck_lso = "5"
"#,
    );
    let got: Vec<(&str, Bound)> = s.expect.iter().map(|e| (e.anomaly.name(), e.bound)).collect();
    assert_eq!(
        got,
        vec![
            ("unavailable", Bound::Le(2)),
            ("lost_acked", Bound::Gt(0)),
            ("duplicated", Bound::Eq(0)),
            ("reordered", Bound::Ge(1)),
            ("divergence", Bound::Lt(3)),
            ("stuck_lso", Bound::Eq(5)),
        ]
    );
}

#[test]
fn every_anomaly_name_is_a_valid_expect_key() {
    let body: String = Anomaly::NAMES.iter().map(|n| format!("{n} = 0\n")).collect();
    let s = load(&format!("name = \"t\"\n[expect]\n{body}"));
    assert_eq!(s.expect.len(), Anomaly::NAMES.len());
}

#[test]
fn bad_expectations_name_what_was_wrong() {
    let cases: &[(&str, usize, &str)] = &[
        ("lost_acked = -1", 14, "`lost_acked` must be a count (0) or a comparison"),
        ("lost_acked = \"=>3\"", 14, "found \"=>3\""),
        ("lost_acked = \">\"", 14, "found \">\""),
        ("lost_acked = \"<0\"", 14, "`lost_acked` = \"<0\" can never hold"),
        ("lost_acked = 0.5", 14, "found a float"),
        ("lost_acked = true", 14, "found a boolean"),
    ];
    for &(line, col, message) in cases {
        let e = error(&format!("name = \"t\"\n[expect]\n{line}\n"));
        let prefix = format!("s.toml:3:{col}: ");
        assert!(e.starts_with(&prefix) && e.contains(message), "{line}: got {e:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Files

fn temp_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("kafkasim-scenario-{}-{tag}.toml", std::process::id()))
}

#[test]
fn load_file_reads_a_scenario_and_labels_errors_with_the_path() {
    let path = temp_path("ok");
    std::fs::write(&path, contract_example_without_processor()).unwrap();
    let s = load_file(&path).unwrap();
    assert_eq!(s.producers[0].name, "p1");

    std::fs::write(&path, "name = \"t\"\n[cluster]\nbrokers = 0\n").unwrap();
    let e = load_file(&path).unwrap_err();
    assert_eq!(e.file, path.display().to_string());
    assert_eq!((e.line, e.column), (3, 11));
    assert!(e.to_string().starts_with(&format!("{}:3:11: ", path.display())));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() {
    let path = temp_path("does-not-exist");
    let e = load_file(&path).unwrap_err();
    assert_eq!((e.line, e.column), (0, 0));
    assert!(e.message.starts_with("cannot read the scenario file"), "{e}");
    assert!(e.to_string().starts_with(&format!("{}:0:0: ", path.display())));
}

#[test]
fn a_file_that_is_not_utf8_is_reported_where_the_bad_byte_is() {
    let path = temp_path("latin1");
    std::fs::write(&path, b"name = \"t\"\ndescription = \"caf\xe9\"\n").unwrap();
    let e = load_file(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert_eq!((e.line, e.column, e.message.as_str()), (2, 19, "the file is not valid UTF-8"));
}

// ---------------------------------------------------------------------------------------------
// Garbage never panics

/// Whatever a successful load returns is internally consistent.
fn assert_consistent(s: &Scenario) {
    assert!((1..=64).contains(&s.cluster.brokers));
    for t in &s.topics {
        assert!((1..=1000).contains(&t.partitions));
        assert!((1..=s.cluster.brokers).contains(&t.replication_factor));
    }
    for p in &s.producers {
        assert!(s.topics.iter().any(|t| t.name == p.topic));
        match &p.config.transactional_id {
            Some(id) => {
                assert!(!id.is_empty() && id.trim() == id);
                assert!(p.config.enable_idempotence && p.config.acks == Acks::All && p.config.max_in_flight <= 5);
                assert!((1..=s.cluster.config.transaction_max_timeout_ms).contains(&p.config.transaction_timeout_ms));
                assert!(p.transaction_records >= 1 && p.abort_every.is_none_or(|k| k >= 1));
            }
            None => assert!(p.transaction_records == 10 && p.abort_every.is_none()),
        }
    }
    let (min, max) = (s.cluster.config.group_min_session_timeout_ms, s.cluster.config.group_max_session_timeout_ms);
    for c in &s.consumers {
        assert!(!c.topics.is_empty());
        assert!(c.topics.iter().all(|t| s.topics.iter().any(|x| &x.name == t)));
        assert!((1..=64).contains(&c.instances) && c.poll_timeout_ms >= 1 && c.config.max_poll_records >= 1);
        assert_eq!(c.config.enable_auto_commit, c.commit == CommitMode::Auto);
        assert!(c.config.heartbeat_interval_ms < c.config.session_timeout_ms);
        assert!((min..=max).contains(&c.config.session_timeout_ms));
    }
    let eos = |p: &ProcessorSpec| p.config.processing_guarantee == ProcessingGuarantee::ExactlyOnceV2;
    let mut txn_ids: Vec<String> = Vec::new();
    for p in &s.processors {
        assert!(s.topics.iter().any(|t| t.name == p.input) && s.topics.iter().any(|t| t.name == p.output));
        assert_ne!(p.input, p.output);
        assert!(!s.processors.iter().any(|q| q.output == p.input), "no processor chains");
        assert!(!s.consumers.iter().any(|c| c.group == p.group));
        assert_eq!(s.processors.iter().filter(|q| q.group == p.group).count(), 1);
        assert!(!p.group.trim().is_empty());
        assert!((1..=64).contains(&p.instances) && p.poll_timeout_ms >= 1 && p.config.max_poll_records >= 1);
        assert!(p.config.heartbeat_interval_ms < p.config.session_timeout_ms);
        assert!((min..=max).contains(&p.config.session_timeout_ms));
        if eos(p) {
            let txn_max = s.cluster.config.transaction_max_timeout_ms;
            assert!((1..=txn_max).contains(&p.config.transaction_timeout_ms));
            for k in 0..p.instances {
                let id = p.transactional_id(k);
                assert!(!s.producers.iter().any(|q| q.config.transactional_id.as_ref() == Some(&id)));
                assert!(!txn_ids.contains(&id));
                txn_ids.push(id);
            }
        } else {
            assert_eq!(p.config.transaction_timeout_ms, 10_000);
        }
    }
    let mut names: Vec<&str> = s
        .producers
        .iter()
        .map(|p| p.name.as_str())
        .chain(s.consumers.iter().map(|c| c.name.as_str()))
        .chain(s.processors.iter().map(|p| p.name.as_str()))
        .collect();
    names.sort_unstable();
    assert!(names.windows(2).all(|w| w[0] != w[1]), "client names are unique: {names:?}");
    if let Some(n) = &s.nemesis {
        assert!(!n.targets.contains(&TargetClass::Processors) || !s.processors.is_empty());
    }
    for f in &s.faults {
        if f.action == FaultAction::PowerLoss {
            assert!(!matches!(f.target, Target::Producer(_) | Target::Consumer { .. } | Target::Processor { .. }));
        }
        let targets = match &f.target {
            Target::Sides { between, and } => {
                assert_eq!(f.action, FaultAction::Partition);
                assert!(!between.is_empty() && !and.is_empty());
                assert!(!between.iter().any(|t| and.contains(t)), "no target on both sides");
                between.iter().chain(and).collect()
            }
            t => {
                assert_ne!(f.action, FaultAction::Partition);
                vec![t]
            }
        };
        for t in targets {
            match t {
                Target::Sides { .. } => panic!("a side holds sides"),
                Target::Service { service, .. } => assert!(*service < s.services.len()),
                Target::Controller => assert_eq!(f.action, FaultAction::Partition),
                Target::Broker(b) => assert!((1..=s.cluster.brokers).contains(b)),
                Target::Leader { topic, partition } => {
                    let t = s.topics.iter().find(|t| &t.name == topic).unwrap();
                    assert!(*partition < t.partitions);
                }
                Target::Producer(i) => assert!(*i < s.producers.len()),
                Target::Consumer { consumer, instance } => {
                    assert!(*consumer < s.consumers.len());
                    assert!(instance.is_none_or(|k| k < s.consumers[*consumer].instances));
                }
                Target::GroupCoordinator(g) => {
                    assert!(s.consumers.iter().any(|c| &c.group == g) || s.processors.iter().any(|p| &p.group == g))
                }
                Target::TxnCoordinator(id) => assert!(
                    s.producers.iter().any(|p| p.config.transactional_id.as_ref() == Some(id)) || txn_ids.contains(id)
                ),
                Target::Processor { processor, instance } => {
                    assert!(*processor < s.processors.len());
                    assert!(instance.is_none_or(|k| k < s.processors[*processor].instances));
                }
            }
        }
        match f.trigger {
            Trigger::AtMs(_) => {}
            Trigger::Record { producer, index, event } => {
                assert!(index < s.producers[producer].records);
                let topic = &s.producers[producer].topic;
                let read = s.consumers.iter().any(|c| c.topics.contains(topic))
                    || s.processors.iter().any(|p| &p.input == topic);
                assert!(event != RecordEvent::Processed || read);
            }
            Trigger::Client { client: ClientRef::Producer(producer), n, event } => {
                assert!(producer < s.producers.len() && n >= 1);
                let transactional = s.producers[producer].config.transactional_id.is_some();
                match event {
                    ClientEvent::Acked => {}
                    ClientEvent::TxnCommitted | ClientEvent::TxnAborted => assert!(transactional),
                    other => panic!("a producer trigger on {other:?}"),
                }
            }
            Trigger::Client { client: ClientRef::Consumer(c), n, event } => {
                assert!(c < s.consumers.len() && n >= 1);
                assert!(matches!(event, ClientEvent::Polled | ClientEvent::Processed | ClientEvent::Committed));
            }
            Trigger::Client { client: ClientRef::Processor(c), n, event } => {
                assert!(c < s.processors.len() && n >= 1);
                match event {
                    ClientEvent::Polled | ClientEvent::Processed | ClientEvent::Committed => {}
                    ClientEvent::TxnCommitted | ClientEvent::TxnAborted | ClientEvent::OffsetsSent => {
                        assert!(eos(&s.processors[c]))
                    }
                    ClientEvent::Acked => panic!("a processor trigger on acked"),
                }
            }
        }
    }
}

#[track_caller]
fn check_no_panic(src: &str) {
    if let Some(s) = check_loader(src, "g.toml") {
        assert_consistent(&s);
    }
}

#[test]
fn every_truncation_of_the_contract_example_is_handled_without_panicking() {
    for src in [
        CONTRACT_EXAMPLE.to_string(),
        contract_example_without_processor(),
        contract_example_with_shipments(),
        TXN_EXAMPLE.to_string(),
        PROCESSOR_EXAMPLE.to_string(),
    ] {
        for (i, _) in src.char_indices() {
            check_no_panic(&src[..i]);
        }
    }
}

#[test]
fn hostile_inputs_are_handled_without_panicking() {
    let deep_array = format!("name = {}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_table = format!("name = \"t\"\nx = {}1{}", "{a = ".repeat(5_000), "}".repeat(5_000));
    let long_key = format!("name = \"t\"\n{} = 1\n", "k".repeat(100_000));
    let many_topics: String = (0..2000).map(|i| format!("[[topic]]\nname = \"t{i}\"\n")).collect();
    for src in [
        deep_array,
        deep_table,
        long_key,
        format!("name = \"t\"\n{many_topics}"),
        "\u{0}\u{feff}name = \"t\"".into(),
        "name = \"t\"\r\n[cluster]\r\nbrokers = 99\r\n".into(),
        "name = \"t\"\nseed = 9223372036854775807\nduration_ms = 9223372036854775807\n".into(),
        "name = \"t\"\nseed = 99999999999999999999\n".into(),
        "name = \"\u{1F600}\"\n[[topic]]\nname = \"\u{1F600}\"\n".into(),
    ] {
        check_no_panic(&src);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(src in any::<String>()) {
        check_no_panic(&src);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_no_panic(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn toml_shaped_soup_never_panics(src in "[a-z_\\[\\]=\"#:./0-9, {}\n-]{0,300}") {
        check_no_panic(&src);
    }

    #[test]
    fn replacing_any_value_of_the_example_with_junk_never_panics(
        line in 0usize..100,
        junk in proptest::sample::select(JUNK),
        example in 0usize..3,
    ) {
        let src = match example {
            0 => TXN_EXAMPLE.to_string(),
            1 => contract_example_with_shipments(),
            _ => PROCESSOR_EXAMPLE.to_string(),
        };
        let lines: Vec<&str> = src.lines().collect();
        let line = line % lines.len();
        let mutated: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| match l.split_once(" = ") {
                Some((key, _)) if i == line => format!("{key} = {junk}"),
                _ => l.to_string(),
            })
            .collect();
        check_no_panic(&mutated.join("\n"));
    }

    #[test]
    fn splicing_random_text_into_the_example_never_panics(
        at in 0usize..2000,
        text in "[ -~\n]{0,12}",
        processors in any::<bool>(),
    ) {
        let src = if processors { PROCESSOR_EXAMPLE.to_string() } else { contract_example_without_processor() };
        let mut at = at % (src.len() + 1);
        while !src.is_char_boundary(at) {
            at -= 1;
        }
        check_no_panic(&format!("{}{}{}", &src[..at], text, &src[at..]));
    }
}

#[test]
fn a_producer_may_start_later() {
    let s = load(
        "name = \"t\"\n[[topic]]\nname = \"a\"\npartitions = 1\nreplication_factor = 1\n[[producer]]\nname = \"p\"\ntopic = \"a\"\nrecords = 1\nstart_ms = 2500\n",
    );
    assert_eq!(s.producers[0].start_ms, 2500);
}
