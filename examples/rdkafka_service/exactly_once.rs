//! The exactly-once service of `examples/rdkafka_service.rs`, written against rdkafka through the
//! name `rdkafka` its includer provides. It differs from its rdkafka 0.39 text by the `.await`
//! after `init_transactions`, `send_offsets_to_transaction`, `commit_transaction` and
//! `abort_transaction`, which block in rdkafka and are `async` in `kafkasim::rdkafka`
//! (docs/services.md, "Why the transaction calls are `async`"), so it is not compiled against the
//! rdkafka crate.

use super::rdkafka;

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::error::KafkaResult;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};

/// The service, exactly once: each order is shipped in a transaction that also commits the
/// order's offset; a transaction that fails is aborted and the order read again.
pub async fn exactly_once() {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("group.id", "g1")
        .set("bootstrap.servers", "localhost:9092")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .expect("consumer creation failed");
    consumer.subscribe(&["orders"]).expect("subscription failed");
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", "localhost:9092")
        .set("transactional.id", "shipper")
        .create()
        .expect("producer creation failed");
    let timeout = Duration::from_secs(30);
    producer.init_transactions(timeout).await.expect("init_transactions failed");
    loop {
        let msg = match consumer.recv().await {
            Ok(msg) => msg,
            Err(e) => {
                eprintln!("recv failed: {e}");
                continue;
            }
        };
        if let Err(e) = ship_in_transaction(&consumer, &producer, &msg).await {
            eprintln!("shipping offset {} failed: {e}", msg.offset());
            producer.abort_transaction(timeout).await.expect("abort_transaction failed");
            // Read the order again (if the partition was revoked meanwhile, its next owner
            // reads it from the committed offset).
            let _ = consumer.seek(msg.topic(), msg.partition(), Offset::Offset(msg.offset()), timeout);
        }
    }
}

/// Ship one order: the shipment and the order's offset commit together, or neither does.
async fn ship_in_transaction(
    consumer: &StreamConsumer,
    producer: &FutureProducer,
    msg: &BorrowedMessage<'_>,
) -> KafkaResult<()> {
    let timeout = Duration::from_secs(30);
    let key = format!("{}/{}", msg.partition(), msg.offset());
    let shipment = format!("shipped {}", String::from_utf8_lossy(msg.payload().unwrap_or_default()));
    producer.begin_transaction()?;
    producer
        .send(FutureRecord::to("shipments").key(&key).payload(&shipment), Duration::from_secs(5))
        .await
        .map_err(|(e, _)| e)?;
    let mut offsets = TopicPartitionList::new();
    offsets.add_partition_offset(msg.topic(), msg.partition(), Offset::Offset(msg.offset() + 1))?;
    let group = consumer.group_metadata().expect("a group member");
    producer.send_offsets_to_transaction(&offsets, &group, timeout).await?;
    producer.commit_transaction(timeout).await
}
