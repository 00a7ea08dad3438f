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
//!   main threads), timed from the consumer's first assignment to its last record (the mock's
//!   group join takes seconds of wall time, which kafkasim spends in virtual time). librdkafka's
//!   consumer hands out one message per poll, so it commits after every 500 messages, the
//!   `max.poll.records` of the Java poll loop the kafkasim member runs. The mock cluster keeps a
//!   partition's log in memory up to 5 MiB and drops older batches, so the consumer must keep
//!   up: it reads concurrently, as the kafkasim member does, and the producer stays at most
//!   20,000 records (2 MB) ahead of it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
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

/// Records the producer may run ahead of the consumer: 2 MB of payload, well inside the 5 MiB a
/// mock partition keeps.
const WINDOW: u32 = 20_000;

/// The job on librdkafka's mock cluster; panics unless the consumer read every record. Timed
/// from the consumer's first assignment (the mock's group join takes seconds of wall time, which
/// kafkasim spends in virtual time) to its last record.
fn mock_job(records: u32) -> Duration {
    let cluster = MockCluster::new(3).expect("a mock cluster");
    cluster.create_topic("orders", 1, 3).expect("the topic");
    let servers = cluster.bootstrap_servers();
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &servers)
        .set("group.id", "g1")
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        // The mock broker answers a fetch that found no data only when its MaxWait runs out
        // (rdkafka_mock_handlers.c, "If there was no data, delay up to MaxWait"), not when a
        // write arrives (a Kafka broker answers at once): with librdkafka's 500 ms default the
        // job measured the wait (100,000 records: 2.2 s; with 10 ms, 0.32 s).
        .set("fetch.wait.max.ms", &std::env::var("KAFKASIM_PEER_FETCH_WAIT").unwrap_or_else(|_| "10".into()))
        .create()
        .expect("a consumer");
    consumer.subscribe(&["orders"]).expect("subscribed");
    // `KAFKASIM_PEER_COMMIT=sync` waits for each commit, as the kafkasim member's `commitSync()`
    // does in virtual time; the default, async, does not block the consumer's thread on a round
    // trip of wall time.
    let commit = match std::env::var("KAFKASIM_PEER_COMMIT").as_deref() {
        Ok("sync") => RdCommitMode::Sync,
        _ => RdCommitMode::Async,
    };
    let read = Arc::new(AtomicU32::new(0));
    let (assigned_tx, assigned_rx) = std::sync::mpsc::channel();
    let reader = {
        let read = read.clone();
        std::thread::spawn(move || {
            while consumer.assignment().map_or(true, |a| a.count() == 0) {
                if let Some(Err(e)) = consumer.poll(Duration::from_millis(10)) {
                    panic!("consumer: {e}");
                }
            }
            assigned_tx.send(()).expect("the producer waits");
            let mut n = 0u32;
            while n < records {
                match consumer.poll(Duration::from_millis(100)) {
                    Some(Ok(m)) => {
                        n += 1;
                        read.store(n, Ordering::Release);
                        if n % POLL == 0 || n == records {
                            consumer.commit_message(&m, commit).expect("committed");
                        }
                    }
                    Some(Err(e)) => panic!("consumer: {e}"),
                    None => {}
                }
            }
        })
    };
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &servers)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .create()
        .expect("a producer");
    assigned_rx.recv().expect("the consumer was assigned orders/0");
    let start = Instant::now();
    let payload = [b'x'; 100];
    for i in 0..records {
        // The consumer must keep up: the mock cluster drops a partition's oldest data past 5 MiB.
        while i.saturating_sub(read.load(Ordering::Acquire)) >= WINDOW {
            producer.poll(Duration::from_millis(1));
        }
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
