//! The at-least-once service of `examples/rdkafka_service.rs`. This file holds service code
//! only, written against rdkafka through the name `rdkafka` its includer provides: the example
//! provides `kafkasim::rdkafka`, and `tests/rdkafka_compat.rs` (feature `rdkafka-compat-check`)
//! the rdkafka 0.39 crate, so this same text compiles against both (docs/services.md,
//! "Checked against rdkafka").

use super::rdkafka;

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};

/// The service: read an order, ship it, and commit once the shipment is acknowledged
/// (at-least-once: a crash after the delivery and before the commit ships the order again).
pub async fn at_least_once() {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("group.id", "g1")
        .set("bootstrap.servers", "localhost:9092")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer creation failed");
    consumer.subscribe(&["orders"]).expect("subscription failed");
    let producer: FutureProducer =
        ClientConfig::new().set("bootstrap.servers", "localhost:9092").create().expect("producer creation failed");
    loop {
        let msg = match consumer.recv().await {
            Ok(msg) => msg,
            Err(e) => {
                eprintln!("recv failed: {e}");
                continue;
            }
        };
        // Keyed by the order's position, so shipments spread over the partitions.
        let key = format!("{}/{}", msg.partition(), msg.offset());
        let shipment = format!("shipped {}", String::from_utf8_lossy(msg.payload().unwrap_or_default()));
        // Retry until the shipment is acknowledged: moving on would commit past an order that
        // was never shipped.
        let mut attempts = 0;
        while let Err((e, _)) =
            producer.send(FutureRecord::to("shipments").key(&key).payload(&shipment), Duration::from_secs(5)).await
        {
            attempts += 1;
            assert!(attempts < 10, "shipping offset {} failed {attempts} times: {e}", msg.offset());
        }
        consumer.commit_message(&msg, CommitMode::Sync).expect("commit failed");
    }
}
