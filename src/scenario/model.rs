//! The validated scenario: what a scenario file (or Rust code, or a proptest strategy) asks the
//! simulator to run. Every field has Kafka's default unless the contract says otherwise, so a
//! `Scenario::default()` plus a topic and a producer is already a runnable cluster.

use std::fmt;

use crate::record::Anomaly;
pub use crate::record::{CommitMode, FaultAction, IsolationLevel, ProcessingGuarantee};

/// A whole scenario: cluster, workload, faults and expectations.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Required human name, echoed in every report.
    pub name: String,
    /// Optional longer text, shown in the text report.
    pub description: Option<String>,
    /// Seed of the one RNG; `--seed` overrides it.
    pub seed: u64,
    /// Virtual-time bound of the whole run, in ms.
    pub duration_ms: u64,
    /// Brokers and their configs.
    pub cluster: ClusterSpec,
    /// One-way message latency.
    pub network: NetworkSpec,
    /// Topics created before the run starts.
    pub topics: Vec<TopicSpec>,
    /// Producing applications.
    pub producers: Vec<ProducerSpec>,
    /// Consuming applications (each may run several members of its group).
    pub consumers: Vec<ConsumerSpec>,
    /// Consume-transform-produce applications (Kafka Streams style).
    pub processors: Vec<ProcessorSpec>,
    /// Scheduled faults, in file order.
    pub faults: Vec<FaultSpec>,
    /// Random faults drawn from the seed.
    pub nemesis: Option<NemesisSpec>,
    /// Conditions checked on every seed's report.
    pub expect: Vec<Expectation>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "unnamed".into(),
            description: None,
            seed: 1,
            duration_ms: 120_000,
            cluster: ClusterSpec::default(),
            network: NetworkSpec::default(),
            topics: Vec::new(),
            producers: Vec::new(),
            consumers: Vec::new(),
            processors: Vec::new(),
            faults: Vec::new(),
            nemesis: None,
            expect: Vec::new(),
        }
    }
}

impl Scenario {
    /// The name of the client `c` refers to.
    pub fn client_name(&self, c: ClientRef) -> &str {
        match c {
            ClientRef::Producer(p) => &self.producers[p].name,
            ClientRef::Consumer(k) => &self.consumers[k].name,
            ClientRef::Processor(k) => &self.processors[k].name,
        }
    }

    /// A trigger as a scenario file spells it: the value of `after` (`p1#17 acked`,
    /// `c1 polled 3`), or `at_ms = T` for a timed one.
    pub fn trigger_text(&self, t: &Trigger) -> String {
        match *t {
            Trigger::AtMs(ms) => format!("at_ms = {ms}"),
            Trigger::Record { producer, index, event } => {
                format!("{}#{index} {}", self.producers[producer].name, event.as_str())
            }
            Trigger::Client { client, event, n } => format!("{} {} {n}", self.client_name(client), event.as_str()),
        }
    }

    /// A fault target as a scenario file spells it (`consumer:c1`, `leader:orders/0`).
    pub fn target_text(&self, t: &Target) -> String {
        match t {
            Target::Producer(p) => format!("producer:{}", self.producers[*p].name),
            Target::Consumer { consumer, instance: None } => format!("consumer:{}", self.consumers[*consumer].name),
            Target::Consumer { consumer, instance: Some(k) } => {
                format!("consumer:{}/{k}", self.consumers[*consumer].name)
            }
            Target::Processor { processor, instance: None } => {
                format!("processor:{}", self.processors[*processor].name)
            }
            Target::Processor { processor, instance: Some(k) } => {
                format!("processor:{}/{k}", self.processors[*processor].name)
            }
            t => t.to_string(),
        }
    }
}

/// `[cluster]`: how many brokers and their shared configs.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSpec {
    /// Number of brokers, numbered 1..=brokers.
    pub brokers: u32,
    /// `[cluster.config]`, Kafka's broker configs.
    pub config: BrokerConfig,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec { brokers: 3, config: BrokerConfig::default() }
    }
}

/// Broker configs, spelled in the file exactly as Kafka spells them.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerConfig {
    /// `min.insync.replicas` (default 1).
    pub min_insync_replicas: u32,
    /// `unclean.leader.election.enable` (default false).
    pub unclean_leader_election_enable: bool,
    /// `replica.lag.time.max.ms` (default 30000).
    pub replica_lag_time_max_ms: u64,
    /// `log.flush.interval.messages` (default Long.MAX_VALUE: never fsync).
    pub log_flush_interval_messages: u64,
    /// `broker.session.timeout.ms` (default 9000): missed heartbeats before the controller fences.
    pub broker_session_timeout_ms: u64,
    /// `broker.heartbeat.interval.ms` (default 2000).
    pub broker_heartbeat_interval_ms: u64,
    /// `replica.fetch.wait.max.ms` (default 500): how long a follower fetch waits for data.
    pub replica_fetch_wait_max_ms: u64,
    /// `replica.fetch.backoff.ms` (default 1000): pause after a failed follower fetch.
    pub replica_fetch_backoff_ms: u64,
    /// `offsets.topic.num.partitions` (default 50): partitions of `__consumer_offsets`.
    pub offsets_topic_num_partitions: u32,
    /// `offsets.topic.replication.factor` (default 3; capped at the broker count).
    pub offsets_topic_replication_factor: u32,
    /// `offsets.commit.timeout.ms` (default 5000): how long a commit waits for replication.
    pub offsets_commit_timeout_ms: u64,
    /// `group.initial.rebalance.delay.ms` (default 3000): how long a new group waits for more
    /// members before its first generation.
    pub group_initial_rebalance_delay_ms: u64,
    /// `group.min.session.timeout.ms` (default 6000).
    pub group_min_session_timeout_ms: u64,
    /// `group.max.session.timeout.ms` (default 1800000).
    pub group_max_session_timeout_ms: u64,
    /// `transaction.state.log.num.partitions` (default 50): partitions of `__transaction_state`.
    pub transaction_state_log_num_partitions: u32,
    /// `transaction.state.log.replication.factor` (default 3; capped at the broker count).
    pub transaction_state_log_replication_factor: u32,
    /// `transaction.state.log.min.isr` (default 2; capped at the replication factor).
    pub transaction_state_log_min_isr: u32,
    /// `transaction.abort.timed.out.transaction.cleanup.interval.ms` (default 10000): how often
    /// the coordinator looks for timed-out transactions.
    pub transaction_abort_timed_out_transaction_cleanup_interval_ms: u64,
    /// `transaction.max.timeout.ms` (default 900000).
    pub transaction_max_timeout_ms: u64,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            min_insync_replicas: 1,
            unclean_leader_election_enable: false,
            replica_lag_time_max_ms: 30_000,
            log_flush_interval_messages: i64::MAX as u64,
            broker_session_timeout_ms: 9_000,
            broker_heartbeat_interval_ms: 2_000,
            replica_fetch_wait_max_ms: 500,
            replica_fetch_backoff_ms: 1_000,
            offsets_topic_num_partitions: 50,
            offsets_topic_replication_factor: 3,
            offsets_commit_timeout_ms: 5_000,
            group_initial_rebalance_delay_ms: 3_000,
            group_min_session_timeout_ms: 6_000,
            group_max_session_timeout_ms: 1_800_000,
            transaction_state_log_num_partitions: 50,
            transaction_state_log_replication_factor: 3,
            transaction_state_log_min_isr: 2,
            transaction_abort_timed_out_transaction_cleanup_interval_ms: 10_000,
            transaction_max_timeout_ms: 900_000,
        }
    }
}

/// `[network]`: one-way latency, drawn uniformly per message from the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    /// Inclusive range of one-way latency in ms.
    pub latency_ms: (u64, u64),
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec { latency_ms: (1, 5) }
    }
}

/// `[[topic]]`: a topic and its per-topic overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicSpec {
    /// Topic name.
    pub name: String,
    /// Number of partitions.
    pub partitions: u32,
    /// Replicas per partition, at most the broker count.
    pub replication_factor: u32,
    /// `min.insync.replicas` override.
    pub min_insync_replicas: Option<u32>,
    /// `unclean.leader.election.enable` override.
    pub unclean_leader_election_enable: Option<bool>,
    /// `flush.messages` override (the topic spelling of `log.flush.interval.messages`).
    pub flush_messages: Option<u64>,
}

impl TopicSpec {
    /// A topic with `partitions` partitions of `replication_factor` replicas and no overrides.
    pub fn new(name: &str, partitions: u32, replication_factor: u32) -> Self {
        TopicSpec {
            name: name.into(),
            partitions,
            replication_factor,
            min_insync_replicas: None,
            unclean_leader_election_enable: None,
            flush_messages: None,
        }
    }
}

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
        }
    }
}

/// `auto.offset.reset`: where a consumer starts without a valid committed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    /// The log start offset.
    Earliest,
    /// The high watermark (Kafka's default).
    Latest,
    /// Fail: the application gets `NoOffsetForPartitionException`.
    None,
}

/// Kafka consumer configs (4.x names and defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerConfig {
    /// `enable.auto.commit` (default true).
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms` (default 5000).
    pub auto_commit_interval_ms: u64,
    /// `auto.offset.reset` (default latest).
    pub auto_offset_reset: OffsetReset,
    /// `isolation.level` (default read_uncommitted).
    pub isolation_level: IsolationLevel,
    /// `session.timeout.ms` (default 45000).
    pub session_timeout_ms: u64,
    /// `heartbeat.interval.ms` (default 3000).
    pub heartbeat_interval_ms: u64,
    /// `max.poll.interval.ms` (default 300000; also the rebalance timeout).
    pub max_poll_interval_ms: u64,
    /// `max.poll.records` (default 500).
    pub max_poll_records: u32,
    /// `request.timeout.ms` (default 30000).
    pub request_timeout_ms: u64,
    /// `default.api.timeout.ms` (default 60000): bounds `commitSync()`.
    pub default_api_timeout_ms: u64,
    /// `fetch.max.wait.ms` (default 500): how long the broker holds a fetch with no data.
    pub fetch_max_wait_ms: u64,
    /// `retry.backoff.ms` (default 100).
    pub retry_backoff_ms: u64,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            enable_auto_commit: true,
            auto_commit_interval_ms: 5_000,
            auto_offset_reset: OffsetReset::Latest,
            isolation_level: IsolationLevel::ReadUncommitted,
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 3_000,
            max_poll_interval_ms: 300_000,
            max_poll_records: 500,
            request_timeout_ms: 30_000,
            default_api_timeout_ms: 60_000,
            fetch_max_wait_ms: 500,
            retry_backoff_ms: 100,
        }
    }
}

/// `[[consumer]]`: an application running `instances` members of `group`, each in a loop of
/// poll, process (with `processing_ms` per record) and commit as `commit` says.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerSpec {
    /// Client name.
    pub name: String,
    /// `group.id`.
    pub group: String,
    /// Subscribed topics (each must be declared).
    pub topics: Vec<String>,
    /// Commit placement; must agree with `enable.auto.commit`.
    pub commit: CommitMode,
    /// Virtual ms the application spends processing one record (0: instantly).
    pub processing_ms: u64,
    /// Members of the group this application runs (default 1).
    pub instances: u32,
    /// The timeout the application passes to `poll()` (default 100).
    pub poll_timeout_ms: u64,
    /// The Kafka client configs.
    pub config: ConsumerConfig,
}

impl ConsumerSpec {
    /// One member of `group` reading `topic` from the earliest offset and committing after
    /// processing, 1 ms per record.
    pub fn new(name: &str, group: &str, topic: &str) -> Self {
        ConsumerSpec {
            name: name.into(),
            group: group.into(),
            topics: vec![topic.into()],
            commit: CommitMode::AfterProcessing,
            processing_ms: 1,
            instances: 1,
            poll_timeout_ms: 100,
            config: ConsumerConfig {
                enable_auto_commit: false,
                auto_offset_reset: OffsetReset::Earliest,
                ..ConsumerConfig::default()
            },
        }
    }
}

/// `[processor.config]`: the Streams configs a processor honours, with Streams' defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessorConfig {
    /// `processing.guarantee` (default at_least_once).
    pub processing_guarantee: ProcessingGuarantee,
    /// `commit.interval.ms` (default 30000 for at_least_once, 100 for exactly_once_v2).
    pub commit_interval_ms: u64,
    /// The producer's `transaction.timeout.ms` (Streams' default 10000 under exactly-once).
    pub transaction_timeout_ms: u64,
    /// The producer's `linger.ms` (Streams' default 100).
    pub linger_ms: u64,
    /// The consumer's `max.poll.records` (Streams' default 1000).
    pub max_poll_records: u32,
    /// The consumer's `session.timeout.ms` (default 45000).
    pub session_timeout_ms: u64,
    /// The consumer's `heartbeat.interval.ms` (default 3000).
    pub heartbeat_interval_ms: u64,
    /// The consumer's `max.poll.interval.ms` (default 300000).
    pub max_poll_interval_ms: u64,
    /// `request.timeout.ms` of both clients (default 30000).
    pub request_timeout_ms: u64,
}

impl ProcessorConfig {
    /// Streams' defaults for `guarantee` (the commit interval depends on it).
    pub fn new(guarantee: ProcessingGuarantee) -> Self {
        ProcessorConfig {
            processing_guarantee: guarantee,
            commit_interval_ms: match guarantee {
                ProcessingGuarantee::AtLeastOnce => 30_000,
                ProcessingGuarantee::ExactlyOnceV2 => 100,
            },
            transaction_timeout_ms: 10_000,
            linger_ms: 100,
            max_poll_records: 1_000,
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 3_000,
            max_poll_interval_ms: 300_000,
            request_timeout_ms: 30_000,
        }
    }
}

impl Default for ProcessorConfig {
    fn default() -> Self {
        ProcessorConfig::new(ProcessingGuarantee::AtLeastOnce)
    }
}

/// `[[processor]]`: a consume-transform-produce application (a Kafka Streams topology of one
/// map step). Each of its `instances` is one group member with its own producer: it polls
/// `input`, writes one output record naming each input record to `output`, and commits every
/// `commit.interval.ms` as its `processing.guarantee` says.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessorSpec {
    /// Client name (also the name its output records carry: `s1(p1#17)`).
    pub name: String,
    /// `group.id` (Streams' `application.id`).
    pub group: String,
    /// Topic it reads (must be declared, and written by producers, not by another processor).
    pub input: String,
    /// Topic it writes (must be declared).
    pub output: String,
    /// Members of the group this application runs (default 1).
    pub instances: u32,
    /// Virtual ms spent transforming one record (default 0).
    pub processing_ms: u64,
    /// The timeout the application passes to `poll()` (default 100).
    pub poll_timeout_ms: u64,
    /// The Streams configs.
    pub config: ProcessorConfig,
}

impl ProcessorSpec {
    /// One instance of an application `name` in group `group`, from `input` to `output`.
    pub fn new(name: &str, group: &str, input: &str, output: &str, guarantee: ProcessingGuarantee) -> Self {
        ProcessorSpec {
            name: name.into(),
            group: group.into(),
            input: input.into(),
            output: output.into(),
            instances: 1,
            processing_ms: 0,
            poll_timeout_ms: 100,
            config: ProcessorConfig::new(guarantee),
        }
    }

    /// The transactional id of instance `k` under exactly-once: stable across restarts of that
    /// instance, so a restarted instance fences its predecessor.
    pub fn transactional_id(&self, k: u32) -> String {
        format!("{}-{}-{k}", self.group, self.name)
    }

    /// Whether the processor runs `exactly_once_v2`.
    pub fn exactly_once(&self) -> bool {
        self.config.processing_guarantee == ProcessingGuarantee::ExactlyOnceV2
    }

    /// The consumer Streams configures for it: no auto-commit, earliest reset, read_committed
    /// under exactly-once.
    pub fn consumer_spec(&self) -> ConsumerSpec {
        let c = &self.config;
        ConsumerSpec {
            name: self.name.clone(),
            group: self.group.clone(),
            topics: vec![self.input.clone()],
            commit: CommitMode::AfterProcessing,
            processing_ms: self.processing_ms,
            instances: self.instances.max(1),
            poll_timeout_ms: self.poll_timeout_ms,
            config: ConsumerConfig {
                enable_auto_commit: false,
                auto_offset_reset: OffsetReset::Earliest,
                isolation_level: if self.exactly_once() {
                    IsolationLevel::ReadCommitted
                } else {
                    IsolationLevel::ReadUncommitted
                },
                session_timeout_ms: c.session_timeout_ms,
                heartbeat_interval_ms: c.heartbeat_interval_ms,
                max_poll_interval_ms: c.max_poll_interval_ms,
                max_poll_records: c.max_poll_records,
                request_timeout_ms: c.request_timeout_ms,
                ..ConsumerConfig::default()
            },
        }
    }

    /// The producer of instance `k`: idempotent with Kafka's defaults, `linger.ms` 100, and
    /// under exactly-once transactional with the instance's id.
    pub fn producer_spec(&self, k: u32) -> ProducerSpec {
        let mut p = ProducerSpec::new(&self.name, &self.output, 0);
        p.config.linger_ms = self.config.linger_ms;
        p.config.request_timeout_ms = self.config.request_timeout_ms;
        if self.exactly_once() {
            p.config.transactional_id = Some(self.transactional_id(k));
            p.config.transaction_timeout_ms = self.config.transaction_timeout_ms;
        }
        p
    }
}

/// Whom a fault hits. Broker-resolving targets are resolved when the fault fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `broker:N`.
    Broker(u32),
    /// `leader:TOPIC/P`: the partition's leader at the moment the fault fires.
    Leader {
        /// Topic name.
        topic: String,
        /// Partition number within the topic (from 0).
        partition: u32,
    },
    /// `producer:NAME` (index into `Scenario::producers`).
    Producer(usize),
    /// `consumer:NAME` (every instance) or `consumer:NAME/K` (instance K).
    Consumer {
        /// Index into `Scenario::consumers`.
        consumer: usize,
        /// `None` for every instance.
        instance: Option<u32>,
    },
    /// `coordinator:group:GROUP`: the broker coordinating the group when the fault fires.
    GroupCoordinator(String),
    /// `coordinator:transaction:ID`: the broker coordinating the transactional id (the leader of
    /// its `__transaction_state` partition) when the fault fires.
    TxnCoordinator(String),
    /// `processor:NAME` (every instance) or `processor:NAME/K` (instance K).
    Processor {
        /// Index into `Scenario::processors`.
        processor: usize,
        /// `None` for every instance.
        instance: Option<u32>,
    },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Broker(b) => write!(f, "broker:{b}"),
            Target::Leader { topic, partition } => write!(f, "leader:{topic}/{partition}"),
            Target::Producer(p) => write!(f, "producer#{p}"),
            Target::Consumer { consumer, instance: None } => write!(f, "consumer#{consumer}"),
            Target::Consumer { consumer, instance: Some(k) } => write!(f, "consumer#{consumer}/{k}"),
            Target::GroupCoordinator(g) => write!(f, "coordinator:group:{g}"),
            Target::TxnCoordinator(id) => write!(f, "coordinator:transaction:{id}"),
            Target::Processor { processor, instance: None } => write!(f, "processor#{processor}"),
            Target::Processor { processor, instance: Some(k) } => write!(f, "processor#{processor}/{k}"),
        }
    }
}

/// A per-record event that can trigger a fault (`after = "p1#17 acked"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordEvent {
    /// The application called send().
    Sent,
    /// The partition leader appended it.
    Appended,
    /// The producer saw success.
    Acked,
    /// The leader's high watermark passed it.
    Committed,
    /// First processed by any consumer.
    Processed,
}

impl RecordEvent {
    /// The spelling used in `after = "P#I EVENT"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordEvent::Sent => "sent",
            RecordEvent::Appended => "appended",
            RecordEvent::Acked => "acked",
            RecordEvent::Committed => "committed",
            RecordEvent::Processed => "processed",
        }
    }
}

/// A counted per-client event (`after = "p1 acked 10"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientEvent {
    /// Records acknowledged.
    Acked,
    /// Polls that returned records.
    Polled,
    /// Records processed.
    Processed,
    /// Successful offset commits.
    Committed,
    /// Committed transactions.
    TxnCommitted,
    /// Aborted transactions.
    TxnAborted,
    /// An exactly-once processor's `sendOffsetsToTransaction()` finished (TxnOffsetCommit
    /// acknowledged) and its `commitTransaction()` is under way (an extension of the contract).
    OffsetsSent,
}

impl ClientEvent {
    /// The spelling used in `after = "CLIENT EVENT N"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientEvent::Acked => "acked",
            ClientEvent::Polled => "polled",
            ClientEvent::Processed => "processed",
            ClientEvent::Committed => "committed",
            ClientEvent::TxnCommitted => "txn-committed",
            ClientEvent::TxnAborted => "txn-aborted",
            ClientEvent::OffsetsSent => "offsets-sent",
        }
    }
}

/// When a fault fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// At this virtual time (ms).
    AtMs(u64),
    /// When record `index` of producer `producer` reaches `event`.
    Record {
        /// Index into `Scenario::producers`.
        producer: usize,
        /// Workload index `I` of the record `NAME#I`.
        index: u32,
        /// What must happen to the record.
        event: RecordEvent,
    },
    /// At the `n`-th `event` of the named client (all its instances together).
    Client {
        /// The client whose events are counted.
        client: ClientRef,
        /// The kind of event counted.
        event: ClientEvent,
        /// Fires once the count reaches `n`.
        n: u64,
    },
}

/// A client a trigger names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientRef {
    /// Index into `Scenario::producers`.
    Producer(usize),
    /// Index into `Scenario::consumers`.
    Consumer(usize),
    /// Index into `Scenario::processors`.
    Processor(usize),
}

/// `[[fault]]`: one scheduled fault.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// When it fires.
    pub trigger: Trigger,
    /// What it does.
    pub action: FaultAction,
    /// Whom it hits.
    pub target: Target,
    /// Crash / power-loss: restart this long after; `None` = stays down.
    pub restart_after_ms: Option<u64>,
    /// Isolate / pause: how long it lasts.
    pub duration_ms: Option<u64>,
}

/// Classes of node the nemesis may pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TargetClass {
    /// Any broker.
    Brokers,
    /// Any producer.
    Producers,
    /// Any consumer member.
    Consumers,
    /// Any processor (streams issue).
    Processors,
}

/// `[nemesis]`: random faults drawn from the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct NemesisSpec {
    /// Actions to draw from.
    pub actions: Vec<FaultAction>,
    /// Target classes to draw from.
    pub targets: Vec<TargetClass>,
    /// Time between two faults, drawn from this inclusive range.
    pub interval_ms: (u64, u64),
    /// First fault no earlier than this.
    pub start_ms: u64,
    /// No fault after this.
    pub stop_ms: u64,
    /// Restart delay for crashes and power losses.
    pub restart_after_ms: (u64, u64),
    /// Duration of isolations and pauses.
    pub duration_ms: (u64, u64),
    /// The safe-schedule rule of the durability property, applied to every broker fault of the
    /// run (scheduled or drawn): a broker loses power only while every replica of its partitions
    /// is in the ISR (otherwise it crashes instead), and until it has re-registered and is back
    /// in the ISR, faults on other brokers are skipped. Default false.
    pub safe_power_loss: bool,
}

impl Default for NemesisSpec {
    fn default() -> Self {
        NemesisSpec {
            actions: vec![FaultAction::Crash, FaultAction::Isolate, FaultAction::Pause],
            targets: vec![TargetClass::Brokers],
            interval_ms: (1_000, 5_000),
            start_ms: 0,
            stop_ms: u64::MAX,
            restart_after_ms: (1_000, 5_000),
            duration_ms: (1_000, 5_000),
            safe_power_loss: false,
        }
    }
}

/// A comparison in `[expect]`: integer = exactly, or "0", ">0", ">=N", "<=N".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// `== n`.
    Eq(u64),
    /// `> n`.
    Gt(u64),
    /// `>= n`.
    Ge(u64),
    /// `<= n`.
    Le(u64),
    /// `< n`.
    Lt(u64),
}

impl Bound {
    /// Whether `value` satisfies the bound.
    pub fn holds(self, value: u64) -> bool {
        match self {
            Bound::Eq(n) => value == n,
            Bound::Gt(n) => value > n,
            Bound::Ge(n) => value >= n,
            Bound::Le(n) => value <= n,
            Bound::Lt(n) => value < n,
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Eq(n) => write!(f, "{n}"),
            Bound::Gt(n) => write!(f, ">{n}"),
            Bound::Ge(n) => write!(f, ">={n}"),
            Bound::Le(n) => write!(f, "<={n}"),
            Bound::Lt(n) => write!(f, "<{n}"),
        }
    }
}

/// One `[expect]` line: an anomaly counter (a key of the report's `anomalies`) and its bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The anomaly whose count is bounded.
    pub anomaly: Anomaly,
    /// The condition its count must meet.
    pub bound: Bound,
}
