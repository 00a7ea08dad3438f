//! One job, two simulators, alternating: 3 brokers, one topic of 1 partition at replication
//! factor 3, an idempotent `acks=all` producer sending RECORDS records of 100 bytes as fast as it
//! can, and a one-member consumer group reading them from the earliest offset at the same time,
//! committing synchronously after every poll. Prints each round's wall time, the medians and
//! their ratio. `cargo run --release --manifest-path benches/peer/Cargo.toml -- [RECORDS] [ROUNDS]`
//! (defaults 1,000,000 and 5).
//!
//! - **kafkasim**: `kafkasim::run` of the scenario below, timed whole: simulation, the checker's
//!   judgement and the report (what `kafkasim run` does, without printing). One thread.
//! - **MockCluster**: librdkafka's in-process mock brokers (`rd_kafka_mock_cluster_new`) with a
//!   `BaseProducer` and a `BaseConsumer` on their own threads (librdkafka adds its broker and
//!   main threads), timed from the clients' creation to the consumer's last record. librdkafka's
//!   consumer hands out one message per poll, so it commits after every 500 messages, the
//!   `max.poll.records` of the Java poll loop the kafkasim member runs. The mock cluster keeps a
//!   partition's log in memory up to about 5 MiB and drops older segments, so the consumer must
//!   keep up: it reads concurrently, as the kafkasim member does.

use std::time::{Duration, Instant};

use kafkasim::record::EventKind;
use kafkasim::scenario::{ClusterSpec, CommitMode, ConsumerSpec, OffsetReset, ProducerSpec, Scenario, TopicSpec};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode as RdCommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

/// Records per poll of the kafkasim member (Java's `max.poll.records` default) and per commit
/// of the librdkafka consumer.
const POLL: u32 = 500;

fn main() {
    let mut args = std::env::args().skip(1);
    let records: u32 = args.next().map_or(1_000_000, |a| a.parse().expect("RECORDS: a number"));
    let rounds: usize = args.next().map_or(5, |a| a.parse().expect("ROUNDS: a number"));
    let (mut sim, mut mock) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let s = kafkasim_job(records);
        let m = mock_job(records);
        println!("round {round}: kafkasim {:.3} s, MockCluster {:.3} s", s.as_secs_f64(), m.as_secs_f64());
        sim.push(s);
        mock.push(m);
    }
    let (s, m) = (median(&mut sim), median(&mut mock));
    println!(
        "{records} records, median of {rounds}: kafkasim {:.3} s ({:.2} M records/s), MockCluster {:.3} s ({:.2} M records/s): kafkasim {:.1}x faster",
        s.as_secs_f64(),
        f64::from(records) / s.as_secs_f64() / 1e6,
        m.as_secs_f64(),
        f64::from(records) / m.as_secs_f64() / 1e6,
        m.as_secs_f64() / s.as_secs_f64()
    );
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The job on kafkasim; panics unless every record was acknowledged and processed.
fn kafkasim_job(records: u32) -> Duration {
    let mut p = ProducerSpec::new("p1", "orders", records);
    p.interval_ms = 0;
    p.record_bytes = 100;
    let mut c = ConsumerSpec::new("c1", "g1", "orders");
    c.commit = CommitMode::AfterProcessing;
    c.processing_ms = 0;
    c.config.enable_auto_commit = false;
    c.config.auto_offset_reset = OffsetReset::Earliest;
    c.config.max_poll_records = POLL;
    let scenario = Scenario {
        name: "peer".into(),
        cluster: ClusterSpec { brokers: 3, ..Default::default() },
        topics: vec![TopicSpec::new("orders", 1, 3)],
        producers: vec![p],
        consumers: vec![c],
        ..Default::default()
    };
    let start = Instant::now();
    let (report, out) = kafkasim::run_seed(&scenario, 1, kafkasim::RunOptions::default()).expect("a valid scenario");
    let took = start.elapsed();
    let processed: usize = out
        .history
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Processed { records, .. } => Some(records.len()),
            _ => None,
        })
        .sum();
    assert_eq!(processed, records as usize, "kafkasim: every record processed once");
    assert!(report.anomalies.iter().all(|(_, n)| n == 0), "kafkasim: the run is judged clean");
    took
}

/// The job on librdkafka's mock cluster; panics unless the consumer read every record.
fn mock_job(records: u32) -> Duration {
    let cluster = MockCluster::new(3).expect("a mock cluster");
    cluster.create_topic("orders", 1, 3).expect("the topic");
    let servers = cluster.bootstrap_servers();
    let start = Instant::now();
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &servers)
        .set("group.id", "g1")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("a consumer");
    consumer.subscribe(&["orders"]).expect("subscribed");
    let reader = std::thread::spawn(move || {
        let mut read = 0u32;
        while read < records {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    read += 1;
                    if read % POLL == 0 || read == records {
                        consumer.commit_message(&m, RdCommitMode::Sync).expect("committed");
                    }
                }
                Some(Err(e)) => panic!("consumer: {e}"),
                None => {}
            }
        }
    });
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &servers)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .create()
        .expect("a producer");
    let payload = [b'x'; 100];
    for i in 0..records {
        let key = i.to_be_bytes();
        loop {
            match producer.send(BaseRecord::to("orders").key(&key[..]).payload(&payload[..])) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    producer.poll(Duration::from_millis(1));
                }
                Err((e, _)) => panic!("producer: {e}"),
            }
        }
        if i % 1000 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    producer.flush(Duration::from_secs(120)).expect("flushed");
    reader.join().expect("the consumer read every record");
    start.elapsed()
}
