//! `client = "librdkafka"`: librdkafka's defaults and key names, and its consumer's auto-commit
//! of offsets stored when records are handed out, committed by a background timer (rdkafka_cgrp.c
//! `rd_kafka_cgrp_offset_commit_tmr_cb`), which loses processing on a crash where the Java client's
//! commit at the start of a later poll repeats it instead.

mod common;
use common::*;

use kafkasim::record::{Anomaly, EventKind, History};
use kafkasim::report::text::to_text;
use kafkasim::scenario::*;
use kafkasim::TraceFilter;

const LIBRDKAFKA: &str = "librdkafka-auto-commit-crash-loses";
const JAVA: &str = "java-auto-commit-crash-duplicates";

/// A one-topic cluster with the client tables `clients` appended.
fn with_clients(clients: &str) -> String {
    format!(
        r#"name = "t"
[cluster]
brokers = 3
[[topic]]
name = "orders"
replication_factor = 3
{clients}"#
    )
}

/// The error of loading `src`, as `LINE:COL: MESSAGE`.
fn load_error(src: &str) -> String {
    let e = parse_str(src, "t.toml").unwrap_err();
    format!("{}:{}: {}", e.line, e.column, e.message)
}

/// For each successful commit of consumer 0: (its offset on partition 0, the highest offset
/// + 1 its member had processed by then as the history records processing).
fn commits_against_processing(h: &History) -> Vec<(u64, u64)> {
    let mut processed = 0;
    let mut out = Vec::new();
    for e in &h.events {
        match &e.kind {
            EventKind::Processed { consumer: 0, records, .. } => {
                processed = records.iter().map(|d| d.offset + 1).fold(processed, u64::max);
            }
            EventKind::OffsetCommit { consumer: 0, offsets, result: Ok(()), .. } => {
                out.extend(offsets.iter().filter(|(p, _)| *p == 0).map(|&(_, o)| (o, processed)));
            }
            EventKind::ConsumerStarted { consumer: 0, .. } => processed = 0,
            _ => {}
        }
    }
    out
}

/// The offsets just past each batch consumer 0 was handed.
fn polled_ends(h: &History) -> Vec<u64> {
    h.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Polled { consumer: 0, records, .. } => records.last().map(|d| d.offset + 1),
            _ => None,
        })
        .collect()
}

#[test]
fn an_auto_offset_store_commits_the_ends_of_handed_out_batches() {
    let (_, out) = judge(&example(LIBRDKAFKA), 1);
    let ends = polled_ends(&out.history);
    let commits = commits_against_processing(&out.history);
    assert!(commits.len() > 5);
    assert!(commits.iter().all(|(o, _)| ends.contains(o)), "{commits:?} against {ends:?}");
}

#[test]
fn the_librdkafka_auto_commit_example_loses_processing_where_the_java_one_duplicates() {
    let (rdk, _) = judge(&example(LIBRDKAFKA), 1);
    assert!(rdk.expect.passed, "{}", to_text(&rdk));
    assert!(rdk.anomalies[Anomaly::LostProcessing] > 0, "{}", to_text(&rdk));
    assert_eq!(rdk.anomalies[Anomaly::DuplicateProcessing], 0, "{}", to_text(&rdk));
    let (java, _) = judge(&example(JAVA), 1);
    assert!(java.expect.passed, "{}", to_text(&java));
    assert!(java.anomalies[Anomaly::DuplicateProcessing] > 0, "{}", to_text(&java));
    assert_eq!(java.anomalies[Anomaly::LostProcessing], 0, "{}", to_text(&java));
}

#[test]
fn the_two_examples_differ_only_in_the_consumers_client() {
    let (mut rdk, java) = (example(LIBRDKAFKA), example(JAVA));
    assert_eq!(rdk.consumers[0].client, ClientKind::Librdkafka);
    assert_eq!(java.consumers[0].client, ClientKind::Java);
    // librdkafka's isolation.level default differs (read_committed); no transactions here.
    assert_eq!(rdk.consumers[0].config.isolation_level, IsolationLevel::ReadCommitted);
    rdk.consumers[0].client = ClientKind::Java;
    rdk.consumers[0].config.isolation_level = IsolationLevel::ReadUncommitted;
    assert_eq!(rdk.consumers, java.consumers);
    assert_eq!((rdk.producers, rdk.faults, rdk.topics), (java.producers, java.faults, java.topics));
}

#[test]
fn a_librdkafka_auto_commit_commits_past_records_not_yet_processed_and_javas_never_does() {
    let (_, rdk) = judge(&example(LIBRDKAFKA), 1);
    let ahead: Vec<_> = commits_against_processing(&rdk.history).into_iter().filter(|(o, p)| o > p).collect();
    assert!(!ahead.is_empty(), "the background timer commits what was handed out, before processing");
    let (_, java) = judge(&example(JAVA), 1);
    let commits = commits_against_processing(&java.history);
    assert!(commits.len() > 3);
    assert!(commits.iter().all(|(o, p)| o <= p), "Java commits processed positions only: {commits:?}");
}

#[test]
fn storing_offsets_after_processing_turns_the_librdkafka_loss_into_repeats() {
    let mut s = example(LIBRDKAFKA);
    s.consumers[0].config.enable_auto_offset_store = false;
    s.expect.clear();
    let (report, out) = judge(&s, 1);
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0, "{}", to_text(&report));
    assert!(report.anomalies[Anomaly::DuplicateProcessing] > 0, "{}", to_text(&report));
    // Each record's offset is stored once it is processed, so the timer commits inside batches.
    let ends = polled_ends(&out.history);
    let commits = commits_against_processing(&out.history);
    assert!(commits.iter().any(|(o, _)| !ends.contains(o)), "{commits:?}");
    assert_eq!(report.semantics["c1"].delivery, "at-least-once");
    assert!(report.semantics["c1"].holds);
}

#[test]
fn a_librdkafka_auto_commit_consumer_promises_no_semantic_and_a_manual_one_keeps_its_own() {
    let (report, _) = judge(&example(LIBRDKAFKA), 1);
    assert_eq!(report.semantics["c1"].delivery, "none");
    assert!(report.semantics["c1"].holds, "nothing promised, nothing broken");
    let (java, _) = judge(&example(JAVA), 1);
    assert_eq!(java.semantics["c1"].delivery, "at-least-once");
    let mut s = example(LIBRDKAFKA);
    s.consumers[0].commit = CommitMode::AfterProcessing;
    s.consumers[0].config.enable_auto_commit = false;
    s.expect.clear();
    let (manual, _) = judge(&s, 1);
    assert_eq!(manual.semantics["c1"].delivery, "at-least-once");
    assert_eq!(manual.anomalies[Anomaly::LostProcessing], 0, "{}", to_text(&manual));
}

#[test]
fn the_auto_commit_timer_fires_for_a_librdkafka_consumer_only() {
    let opts = kafkasim::RunOptions { trace: TraceFilter::all(), ..Default::default() };
    let timer = |stem: &str| {
        let out = kafkasim::run(&example(stem), 1, opts).unwrap();
        out.trace.iter().filter(|l| l.contains("timer AutoCommit")).count()
    };
    assert!(timer(LIBRDKAFKA) > 10);
    assert_eq!(timer(JAVA), 0);
}

#[test]
fn a_librdkafka_consumer_commits_its_stored_offsets_on_close() {
    // No crash, and a timer that never fires after the start: only close() can commit.
    let mut s = example(LIBRDKAFKA);
    s.faults.clear();
    s.expect.clear();
    s.consumers[0].config.auto_commit_interval_ms = 1_000_000;
    let (report, out) = judge(&s, 1);
    assert_eq!(report.consumers["c1"].committed.get("orders/0").copied(), Some(3000), "{}", to_text(&report));
    let commits: Vec<_> = out
        .history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::OffsetCommit { offsets, result: Ok(()), .. } => Some(offsets.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(commits.len(), 1, "{commits:?}");
    assert_eq!(&*commits[0], &[(0, 3000)]);
}

#[test]
fn a_librdkafka_scenario_replays_to_the_same_trace_hash() {
    let s = example(LIBRDKAFKA);
    assert_eq!(judge(&s, 3).0.trace_hash, judge(&s, 3).0.trace_hash);
}

#[test]
fn a_librdkafka_producer_with_its_defaults_duplicates_the_retry_a_java_producer_deduplicates() {
    let file = |client: &str| {
        inline(&with_clients(&format!(
            r#"[[producer]]
name = "p1"
topic = "orders"
records = 300
client = "{client}"
[producer.config]
"request.timeout.ms" = 2000
[[fault]]
after = "p1#17 appended"
action = "isolate"
target = "producer:p1"
duration_ms = 3000
"#
        )))
    };
    let (rdk, _) = judge(&file("librdkafka"), 1);
    assert!(rdk.anomalies[Anomaly::Duplicated] > 0, "idempotence is off by default: {}", to_text(&rdk));
    assert_eq!(rdk.anomalies[Anomaly::LostAcked], 0);
    let (java, _) = judge(&file("java"), 1);
    assert_eq!(java.anomalies[Anomaly::Duplicated], 0, "{}", to_text(&java));
}

// ---- loading, validation, writing ----------------------------------------------------------

#[test]
fn a_librdkafka_client_gets_librdkafka_defaults() {
    let s = inline(&with_clients(
        "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 1\nclient = \"librdkafka\"\n\
         [[consumer]]\nname = \"c1\"\ngroup = \"g\"\ntopics = [\"orders\"]\nclient = \"librdkafka\"\n",
    ));
    let p = &s.producers[0];
    assert_eq!(p.client, ClientKind::Librdkafka);
    assert_eq!(
        (p.config.enable_idempotence, p.config.acks, p.config.max_in_flight, p.config.delivery_timeout_ms),
        (false, Acks::All, 1_000_000, 300_000)
    );
    assert_eq!((p.config.linger_ms, p.config.batch_size, p.config.retries), (5, 1_000_000, i32::MAX as u32));
    let c = &s.consumers[0];
    assert_eq!(c.commit, CommitMode::Auto);
    assert_eq!(c.config.isolation_level, IsolationLevel::ReadCommitted);
    assert!(c.config.enable_auto_offset_store && c.config.enable_auto_commit);
    assert_eq!((c.config.session_timeout_ms, c.config.auto_commit_interval_ms), (45_000, 5_000));
    assert_eq!(
        ConsumerSpec::new("c1", "g", "orders").librdkafka().config.isolation_level,
        IsolationLevel::ReadCommitted
    );
}

#[test]
fn a_file_without_client_keeps_the_java_defaults() {
    let s = inline(&with_clients(
        "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 1\n\
         [[consumer]]\nname = \"c1\"\ngroup = \"g\"\ntopics = [\"orders\"]\n",
    ));
    assert_eq!(s.producers[0].client, ClientKind::Java);
    assert!(s.producers[0].config.enable_idempotence);
    assert_eq!(s.producers[0].config.max_in_flight, 5);
    assert_eq!(s.consumers[0].client, ClientKind::Java);
    assert_eq!(s.consumers[0].config.isolation_level, IsolationLevel::ReadUncommitted);
}

#[test]
fn librdkafka_names_set_the_same_fields_as_the_java_names() {
    let s = inline(&with_clients(
        "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 1\nclient = \"librdkafka\"\n\
         [producer.config]\n\"message.timeout.ms\" = 7000\n\"queue.buffering.max.ms\" = 20\n\
         [[consumer]]\nname = \"c1\"\ngroup = \"g\"\ntopics = [\"orders\"]\nclient = \"librdkafka\"\n\
         [consumer.config]\n\"enable.auto.offset.store\" = false\n",
    ));
    assert_eq!((s.producers[0].config.delivery_timeout_ms, s.producers[0].config.linger_ms), (7_000, 20));
    assert!(!s.consumers[0].config.enable_auto_offset_store);
}

#[test]
fn a_java_client_refuses_a_librdkafka_name_and_names_the_java_key() {
    let e = load_error(&with_clients(
        "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 1\n[producer.config]\n\"message.timeout.ms\" = 7000\n",
    ));
    assert_eq!(
        e,
        "12:1: `message.timeout.ms` is librdkafka's name of `delivery.timeout.ms`: write \"delivery.timeout.ms\" for \
         the Java client, or set client = \"librdkafka\""
    );
    let e = load_error(&with_clients(
        "[[consumer]]\nname = \"c1\"\ngroup = \"g\"\ntopics = [\"orders\"]\n[consumer.config]\n\
         \"enable.auto.offset.store\" = false\n",
    ));
    assert!(
        e.starts_with("12:1: `enable.auto.offset.store` is a librdkafka setting the Java client does not have"),
        "{e}"
    );
}

#[test]
fn both_names_of_one_librdkafka_property_are_refused_at_the_second() {
    let e = load_error(&with_clients(
        "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 1\nclient = \"librdkafka\"\n[producer.config]\n\
         \"linger.ms\" = 1\n\"queue.buffering.max.ms\" = 2\n",
    ));
    assert_eq!(
        e,
        "14:1: `queue.buffering.max.ms` and `linger.ms` name one librdkafka property (aliases): write one of them"
    );
}

#[test]
fn an_unknown_key_of_a_librdkafka_client_names_the_nearest_valid_one_and_client_is_a_choice() {
    let e = load_error(&with_clients(
        "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 1\nclient = \"librdkafka\"\n[producer.config]\n\
         \"message.timeout.msx\" = 1\n",
    ));
    assert!(e.contains("message.timeout.ms") && e.starts_with("13:1:"), "{e}");
    let e = load_error(&with_clients(
        "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 1\nclient = \"rdkafka\"\n",
    ));
    assert!(e.starts_with("11:10: `client` must be one of") && e.contains("did you mean \"librdkafka\""), "{e}");
}

#[test]
fn an_idempotent_librdkafka_producer_takes_5_in_flight_and_refuses_more() {
    let src = |extra: &str| {
        with_clients(&format!(
            "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 1\nclient = \"librdkafka\"\n[producer.config]\n\
             \"enable.idempotence\" = true\n{extra}"
        ))
    };
    let s = inline(&src(""));
    assert_eq!((s.producers[0].config.max_in_flight, s.producers[0].config.acks), (5, Acks::All));
    let e = load_error(&src("\"max.in.flight.requests.per.connection\" = 6\n"));
    assert!(e.starts_with("14:") && e.contains("at most 5"), "{e}");
    let e = load_error(&src("\"acks\" = 1\n"));
    assert!(e.starts_with("14:") && e.contains("acks"), "{e}");
}

#[test]
fn a_librdkafka_producer_wants_its_message_timeout_above_linger_and_no_transactional_id() {
    let src = |config: &str| {
        with_clients(&format!(
            "[[producer]]\nname = \"p1\"\ntopic = \"orders\"\nrecords = 1\nclient = \"librdkafka\"\n[producer.config]\n{config}"
        ))
    };
    // Java's floor of linger.ms + request.timeout.ms does not apply to librdkafka.
    assert_eq!(inline(&src("\"message.timeout.ms\" = 100\n")).producers[0].config.delivery_timeout_ms, 100);
    let e = load_error(&src("\"queue.buffering.max.ms\" = 100\n\"message.timeout.ms\" = 100\n"));
    assert!(e.starts_with("14:") && e.contains("must be greater than `linger.ms`"), "{e}");
    let e = load_error(&src("\"transactional.id\" = \"t\"\n"));
    assert!(e.contains("transactions of a librdkafka producer are not modelled"), "{e}");
}

#[test]
fn storing_after_processing_is_refused_without_auto_commit_and_on_java_clients_built_in_rust() {
    let mut s = example(LIBRDKAFKA);
    s.consumers[0].commit = CommitMode::AfterProcessing;
    s.consumers[0].config.enable_auto_commit = false;
    s.consumers[0].config.enable_auto_offset_store = false;
    let problems = s.validate().unwrap_err();
    assert_eq!(problems[0].path, "consumer[0].config.\"enable.auto.offset.store\"");
    assert!(problems[0].message.contains("modelled with commit = \"auto\""), "{}", problems[0].message);
    let mut s = example(JAVA);
    s.consumers[0].config.enable_auto_offset_store = false;
    let problems = s.validate().unwrap_err();
    assert!(problems[0].message.contains("a librdkafka setting the Java client does not have"));
}

#[test]
fn a_librdkafka_consumer_stays_on_the_classic_protocol() {
    let e = load_error(&with_clients(
        "[[consumer]]\nname = \"c1\"\ngroup = \"g\"\ntopics = [\"orders\"]\nclient = \"librdkafka\"\n[consumer.config]\n\
         \"group.protocol\" = \"consumer\"\n",
    ));
    assert!(e.contains("not modelled for a librdkafka consumer"), "{e}");
}

#[test]
fn a_processor_takes_only_the_java_client() {
    let src = |client: &str| {
        with_clients(&format!(
            "[[processor]]\nname = \"s1\"\ngroup = \"app\"\ninput = \"orders\"\noutput = \"out\"\nclient = \"{client}\"\n"
        ))
    };
    assert_eq!(inline(&src("java")).processors.len(), 1);
    let e = load_error(&src("librdkafka"));
    assert!(e.starts_with("12:10:") && e.contains("Kafka Streams, a Java library"), "{e}");
}

#[test]
fn librdkafka_clients_round_trip_through_the_writer() {
    for mut s in [example(LIBRDKAFKA), example(JAVA)] {
        s.producers.push(ProducerSpec::new("p2", "orders", 5).librdkafka());
        s.producers[1].config.enable_idempotence = true;
        s.producers[1].config.max_in_flight = 5;
        s.producers[1].config.delivery_timeout_ms = 60;
        let text = to_toml(&s);
        assert_eq!(parse_str(&text, "w.toml").unwrap_or_else(|e| panic!("{e}\n{text}")), s, "{text}");
    }
    let mut s = example(LIBRDKAFKA);
    s.consumers[0].config.enable_auto_offset_store = false;
    let text = to_toml(&s);
    assert!(
        text.contains("client = \"librdkafka\"") && text.contains("\"enable.auto.offset.store\" = false"),
        "{text}"
    );
    assert_eq!(parse_str(&text, "w.toml").unwrap(), s);
}
