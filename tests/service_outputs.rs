//! A service's outputs (issue 12, item 4): `outputs = [...]` in files, the lineage of each output
//! (the input received last, or the one its `kafkasim.record` header names), the service judged
//! as a processor, and the transactional producer's config and errors.

mod common;

use std::time::Duration;

use common::temp_file;
use kafkasim::app::{self, Apps};
use kafkasim::rdkafka::config::ClientConfig;
use kafkasim::rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use kafkasim::rdkafka::error::{KafkaError, RDKafkaErrorCode};
use kafkasim::rdkafka::message::{BorrowedMessage, Headers, Message, OwnedHeaders};
use kafkasim::rdkafka::producer::{FutureProducer, FutureRecord};
use kafkasim::record::Anomaly;
use kafkasim::scenario::{parse_str, to_toml};

const BASE: &str = r#"name = "outputs"
duration_ms = 60000

[[topic]]
name = "orders"
partitions = 1
replication_factor = 3

[[topic]]
name = "shipments"
partitions = 1
replication_factor = 3

[[producer]]
name = "p1"
topic = "orders"
records = 20

[[producer]]
name = "out"
topic = "shipments"
records = 20

[[consumer]]
name = "c1"
group = "g1"
topics = ["orders"]
commit = "after-processing"
[consumer.config]
"auto.offset.reset" = "earliest"
"#;

const SERVICE: &str = "[[service]]\nname = \"svc\"\nconsumers = [\"c1\"]\noutputs = [\"out\"]\n";

fn file(rest: &str) -> String {
    format!("{BASE}\n{rest}")
}

fn error(text: &str) -> String {
    parse_str(text, "s.toml").expect_err("the file must be refused").to_string()
}

#[test]
fn outputs_alone_make_the_service_own_its_output_table_and_write_back_equal() {
    let s = parse_str(&file(SERVICE), "s.toml").unwrap();
    assert_eq!(s.services[0].outputs, ["out"]);
    assert_eq!(s.services[0].producers, ["out"], "an output table is owned as if listed in producers");
    let written = to_toml(&s);
    assert!(written.contains("outputs = [\"out\"]"), "{written}");
    assert_eq!(parse_str(&written, "w.toml").unwrap(), s);
}

#[test]
fn an_output_table_with_fewer_records_than_the_inputs_number_is_refused_naming_the_count() {
    let text = file(SERVICE).replace("topic = \"shipments\"\nrecords = 20", "topic = \"shipments\"\nrecords = 5");
    let e = error(&text);
    assert!(e.contains("set its `records` to at least 20"), "{e}");
}

#[test]
fn a_service_with_outputs_and_two_consumer_tables_is_refused() {
    let text = file(
        "[[consumer]]\nname = \"c2\"\ngroup = \"g2\"\ntopics = [\"orders\"]\n\n\
         [[service]]\nname = \"svc\"\nconsumers = [\"c1\", \"c2\"]\noutputs = [\"out\"]\n",
    );
    let e = error(&text);
    assert!(e.contains("reads one topic through one [[consumer]] table"), "{e}");
}

/// The service's consumer (subscribed to `orders`) and producer.
fn clients() -> (StreamConsumer, FutureProducer) {
    let consumer: StreamConsumer =
        ClientConfig::new().set("group.id", "g1").set("bootstrap.servers", "sim").create().expect("consumer");
    consumer.subscribe(&["orders"]).expect("subscribe");
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", "sim").create().expect("producer");
    (consumer, producer)
}

/// Ship each order, then commit (at least once).
async fn ship() {
    let (consumer, producer) = clients();
    loop {
        let Ok(msg) = consumer.recv().await else { continue };
        let value = format!("shipped {}", String::from_utf8_lossy(msg.payload().unwrap_or_default()));
        let record = FutureRecord::<(), String>::to("shipments").payload(&value);
        if producer.send(record, Duration::from_secs(5)).await.is_ok() {
            consumer.commit_message(&msg, CommitMode::Sync).expect("commit");
        }
    }
}

#[test]
fn a_service_with_outputs_is_judged_by_them_as_a_processor_is() {
    let path = temp_file("outputs-judged.toml", &file(SERVICE));
    let (report, out) = app::replay(&path, 1, &Apps::new().service("svc", ship)).unwrap();
    assert!(out.history.end.settled, "{:?}", out.history.end.waiting);
    let svc = &report.processors["svc"];
    assert_eq!((svc.inputs, svc.outputs, svc.distinct), (20, 20, 20), "{svc:?}");
    assert_eq!(svc.guarantee, "at_least_once");
    assert!(!report.consumers.contains_key("c1") && !report.producers.contains_key("out"), "judged with svc");
    assert_eq!(report.anomalies[Anomaly::DuplicateProcessing], 0);
}

/// Read two orders, then ship them in reverse order, each output carrying its input's headers
/// (so its lineage is explicit: the input received last is the other one).
async fn ship_pairs_reversed() {
    let (consumer, producer) = clients();
    loop {
        let a = consumer.recv().await.expect("recv");
        let b = consumer.recv().await.expect("recv");
        for msg in [&b, &a] {
            send_with_headers(&producer, msg).await;
        }
        consumer.commit_message(&b, CommitMode::Sync).expect("commit");
    }
}

async fn send_with_headers(producer: &FutureProducer, msg: &BorrowedMessage<'_>) {
    let mut headers = OwnedHeaders::new();
    let h = msg.headers().expect("a consumed message carries its record header");
    for i in 0..h.count() {
        let x = h.get(i);
        headers = headers.insert(kafkasim::rdkafka::message::Header { key: x.key, value: x.value });
    }
    let record = FutureRecord::<(), str>::to("shipments").payload("shipped").headers(headers);
    producer.send(record, Duration::from_secs(5)).await.expect("delivered");
}

#[test]
fn an_output_carrying_its_inputs_record_header_names_that_input_rather_than_the_last_received() {
    let path = temp_file("outputs-headers.toml", &file(SERVICE));
    let (report, _) = app::replay(&path, 1, &Apps::new().service("svc", ship_pairs_reversed)).unwrap();
    let svc = &report.processors["svc"];
    assert_eq!((svc.outputs, svc.distinct), (20, 20), "each order shipped once, under its own number: {svc:?}");
    assert_eq!(report.anomalies[Anomaly::DuplicateProcessing], 0);
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0);
}

/// Create a producer whose config does not repeat the table's `transactional.id`.
async fn wrong_transactional_id() {
    let made = ClientConfig::new().set("bootstrap.servers", "sim").create::<FutureProducer>();
    let e = made.expect_err("refused");
    assert!(matches!(&e, KafkaError::ClientCreation(m) if m.contains("transactional.id must be `shipper`")), "{e}");
}

#[test]
fn a_producer_whose_config_lacks_its_tables_transactional_id_is_refused_at_creation() {
    let text = file("[[service]]\nname = \"svc\"\nproducers = [\"out\"]\n").replace(
        "records = 20\n\n[[consumer]]",
        "records = 20\n[producer.config]\n\"transactional.id\" = \"shipper\"\n\n[[consumer]]",
    );
    let path = temp_file("outputs-txn-id.toml", &text);
    app::replay(&path, 1, &Apps::new().service("svc", wrong_transactional_id)).unwrap();
}

#[test]
fn error_codes_carry_rdkafkas_names_and_numbers() {
    use kafkasim::error::KafkaError as Model;
    assert_eq!(RDKafkaErrorCode::from(Model::NotLeaderOrFollower), RDKafkaErrorCode::NotLeaderForPartition);
    assert_eq!(RDKafkaErrorCode::from(Model::DeliveryTimeout) as i32, -192);
    assert_eq!(RDKafkaErrorCode::from(Model::InvalidTxnState), RDKafkaErrorCode::InvalidTransactionalState);
    let e = KafkaError::MessageProduction(RDKafkaErrorCode::MessageTimedOut);
    assert_eq!(e.rdkafka_error_code(), Some(RDKafkaErrorCode::MessageTimedOut));
}

/// Ship each order after 100 ms of work.
async fn ship_slowly() {
    let (consumer, producer) = clients();
    loop {
        let Ok(msg) = consumer.recv().await else { continue };
        kafkasim::rdkafka::util::sleep(Duration::from_millis(100)).await;
        let record = FutureRecord::<(), str>::to("shipments").payload("shipped");
        if producer.send(record, Duration::from_secs(5)).await.is_ok() {
            consumer.commit_message(&msg, CommitMode::Sync).expect("commit");
        }
    }
}

#[test]
fn inputs_a_service_had_not_reached_when_the_run_stopped_are_unsettled_not_lost() {
    let text = file(SERVICE).replace("duration_ms = 60000", "duration_ms = 4500");
    let path = temp_file("outputs-unsettled.toml", &text);
    let (report, out) = app::replay(&path, 1, &Apps::new().service("svc", ship_slowly)).unwrap();
    assert!(!out.history.end.settled);
    assert_eq!(report.anomalies[Anomaly::LostProcessing], 0);
    let shipped = report.processors["svc"].distinct;
    assert!(shipped > 0 && shipped < 20, "{shipped}");
    assert_eq!(report.unsettled.get("svc").copied(), Some(20 - shipped), "{:?}", report.unsettled);
}
