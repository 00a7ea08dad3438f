//! `[[producer]]`: a producing application and its Kafka client configs.

use std::fmt;

use crate::record::ClientKind;

/// `acks`: how many replicas must have a record before the leader answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acks {
    /// `acks=0`: no response at all; the send completes when written to the socket.
    Zero,
    /// `acks=1`: the leader answers after its own append.
    One,
    /// `acks=all` (`-1`): the leader answers when the high watermark passes the batch.
    All,
}

impl fmt::Display for Acks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Acks::Zero => "0",
            Acks::One => "1",
            Acks::All => "all",
        })
    }
}

/// What a restarted producer does with records it never saw acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnRestart {
    /// Resend them (an at-least-once application). The default.
    #[default]
    ResendUnacked,
    /// Drop them.
    SkipUnacked,
}

/// Kafka producer configs (4.x names and defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerConfig {
    /// `acks` (default all).
    pub acks: Acks,
    /// `enable.idempotence` (default true; silently off when acks/retries/in-flight conflict and
    /// it was not set explicitly).
    pub enable_idempotence: bool,
    /// `retries` (default 2147483647).
    pub retries: u32,
    /// `max.in.flight.requests.per.connection` (default 5).
    pub max_in_flight: u32,
    /// `linger.ms` (default 5 since 4.0).
    pub linger_ms: u64,
    /// `batch.size` in bytes (default 16384).
    pub batch_size: u64,
    /// `retry.backoff.ms` (default 100).
    pub retry_backoff_ms: u64,
    /// `retry.backoff.max.ms` (default 1000).
    pub retry_backoff_max_ms: u64,
    /// `request.timeout.ms` (default 30000).
    pub request_timeout_ms: u64,
    /// `delivery.timeout.ms` (default 120000).
    pub delivery_timeout_ms: u64,
    /// `transactional.id` (default none): makes the producer transactional.
    pub transactional_id: Option<String>,
    /// `transaction.timeout.ms` (default 60000): the coordinator aborts a transaction open longer.
    pub transaction_timeout_ms: u64,
}

impl ProducerConfig {
    /// The Java client's defaults in release `v`: `acks=1` and no idempotence before 3.0
    /// (KIP-679), `retries=0` before 2.1 (KIP-91), `linger.ms=0` before 4.0 (KIP-1030).
    pub fn for_version(v: super::KafkaVersion) -> Self {
        let strong = v.strong_producer_defaults();
        ProducerConfig {
            acks: if strong { Acks::All } else { Acks::One },
            enable_idempotence: strong,
            retries: if v.delivery_timeout() { i32::MAX as u32 } else { 0 },
            linger_ms: v.linger_ms_default(),
            ..ProducerConfig::default()
        }
    }
}

impl ProducerConfig {
    /// The defaults of `client`'s producer: Java's in release `v`, or librdkafka's.
    pub fn for_client(client: ClientKind, v: super::KafkaVersion) -> Self {
        match client {
            ClientKind::Java => ProducerConfig::for_version(v),
            ClientKind::Librdkafka => ProducerConfig::librdkafka(),
        }
    }

    /// librdkafka's producer defaults (CONFIGURATION.md, rdkafka_conf.c): `enable.idempotence`
    /// false, `acks` all (-1 since librdkafka 1.0), `retries` 2147483647,
    /// `max.in.flight.requests.per.connection` 1000000, `linger.ms` (`queue.buffering.max.ms`)
    /// 5, `batch.size` 1000000, `message.timeout.ms` (`delivery.timeout.ms`) 300000.
    pub fn librdkafka() -> Self {
        ProducerConfig {
            acks: Acks::All,
            enable_idempotence: false,
            retries: i32::MAX as u32,
            max_in_flight: 1_000_000,
            linger_ms: 5,
            batch_size: 1_000_000,
            delivery_timeout_ms: 300_000,
            ..ProducerConfig::default()
        }
    }
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            acks: Acks::All,
            enable_idempotence: true,
            retries: i32::MAX as u32,
            max_in_flight: 5,
            linger_ms: 5,
            batch_size: 16_384,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1_000,
            request_timeout_ms: 30_000,
            delivery_timeout_ms: 120_000,
            transactional_id: None,
            transaction_timeout_ms: 60_000,
        }
    }
}

/// `[[producer]]`: an application that sends `records` records `NAME#0..` to one topic.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerSpec {
    /// Client name; also the prefix of its record values.
    pub name: String,
    /// Topic it writes to (must be declared).
    pub topic: String,
    /// How many records the workload sends.
    pub records: u32,
    /// Optional number of distinct keys; records are then partitioned by key hash.
    pub keys: Option<u32>,
    /// Virtual ms between two sends (0: all at once).
    pub interval_ms: u64,
    /// Simulated size of one record in bytes, which with `batch.size` bounds a batch (default 100).
    pub record_bytes: u64,
    /// What a restarted instance does with unacknowledged records.
    pub on_restart: OnRestart,
    /// Virtual ms before the application starts its producer (default 0): a later instance of
    /// a transactional id can then fence an earlier one.
    pub start_ms: u64,
    /// Transactional producers: records per transaction (default 10).
    pub transaction_records: u32,
    /// Transactional producers: abort every K-th transaction on purpose (`None`: never).
    pub abort_every: Option<u32>,
    /// The Kafka client configs.
    pub config: ProducerConfig,
    /// Whose client library the producer is (default Java).
    pub client: ClientKind,
}

impl ProducerSpec {
    /// A producer with Kafka's defaults sending `records` records to `topic`, one per ms.
    pub fn new(name: &str, topic: &str, records: u32) -> Self {
        ProducerSpec {
            name: name.into(),
            topic: topic.into(),
            records,
            keys: None,
            interval_ms: 1,
            record_bytes: 100,
            on_restart: OnRestart::ResendUnacked,
            start_ms: 0,
            transaction_records: 10,
            abort_every: None,
            config: ProducerConfig::default(),
            client: ClientKind::Java,
        }
    }

    /// The same workload on librdkafka, with librdkafka's producer defaults.
    pub fn librdkafka(self) -> Self {
        ProducerSpec { client: ClientKind::Librdkafka, config: ProducerConfig::librdkafka(), ..self }
    }
}
