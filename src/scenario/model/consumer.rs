//! `[[consumer]]`: a consuming application, its commit placement and its Kafka client configs.

use crate::record::{ClientKind, CommitMode, IsolationLevel};

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

/// `partition.assignment.strategy`: the assignor the group's leader runs, and with it the
/// rebalance protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssignmentStrategy {
    /// `RangeAssignor`, eager: Kafka's default list `[RangeAssignor, CooperativeStickyAssignor]`
    /// runs the first, range, and with it the eager protocol (every partition revoked before a
    /// rejoin).
    #[default]
    Range,
    /// `CooperativeStickyAssignor` (KIP-429, 2.4+): incremental cooperative rebalancing; a
    /// member keeps its partitions through a rebalance and gives up only those that move.
    CooperativeSticky,
}

/// `group.protocol`: how the member takes part in its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupProtocol {
    /// `classic`: JoinGroup/SyncGroup rebalances, the assignment computed by the leader member.
    #[default]
    Classic,
    /// `consumer` (KIP-848, 4.0+): ConsumerGroupHeartbeat; the coordinator computes the
    /// assignment and every member reconciles towards it on its own, with no group-wide barrier.
    Consumer,
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
    /// `retry.backoff.max.ms` (default 1000, KIP-580): the cap of the backoffs that grow.
    pub retry_backoff_max_ms: u64,
    /// `group.instance.id` (KIP-345, 2.3+; default none: dynamic members). Instance K of the
    /// `[[consumer]]` uses `<value>-<K>`, so the value is a prefix shared by its instances.
    pub group_instance_id: Option<String>,
    /// `partition.assignment.strategy` (default range, eager).
    pub assignment_strategy: AssignmentStrategy,
    /// `group.protocol` (default classic; `consumer` is KIP-848, 4.0+).
    pub group_protocol: GroupProtocol,
    /// librdkafka's `enable.auto.offset.store` (default true): store a record's offset for the
    /// next commit when it is handed to the application; false: the application stores it
    /// after processing. Only a librdkafka consumer may set it false.
    pub enable_auto_offset_store: bool,
}

impl ConsumerConfig {
    /// The Java consumer's defaults in release `v`: `session.timeout.ms` 10000 before 3.0
    /// (KIP-735).
    pub fn for_version(v: super::KafkaVersion) -> Self {
        ConsumerConfig { session_timeout_ms: v.consumer_session_timeout_ms_default(), ..ConsumerConfig::default() }
    }

    /// The defaults of `client`'s consumer: Java's in release `v`, or librdkafka's (whose
    /// releases are not tied to Kafka's; see [`ConsumerConfig::librdkafka`]).
    pub fn for_client(client: ClientKind, v: super::KafkaVersion) -> Self {
        match client {
            ClientKind::Java => ConsumerConfig::for_version(v),
            ClientKind::Librdkafka => ConsumerConfig::librdkafka(),
        }
    }

    /// librdkafka's consumer defaults where they differ from Java's and change delivery
    /// (CONFIGURATION.md): `isolation.level` read_committed. The rest agree: auto-commit on every
    /// 5000 ms, `enable.auto.offset.store` true, `session.timeout.ms` 45000 (since librdkafka
    /// 1.7, KIP-735), `heartbeat.interval.ms` 3000, `max.poll.interval.ms` 300000, latest.
    pub fn librdkafka() -> Self {
        ConsumerConfig { isolation_level: IsolationLevel::ReadCommitted, ..ConsumerConfig::default() }
    }
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
            retry_backoff_max_ms: 1_000,
            group_instance_id: None,
            assignment_strategy: AssignmentStrategy::Range,
            group_protocol: GroupProtocol::Classic,
            enable_auto_offset_store: true,
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
    /// Whose client library the members use (default Java).
    pub client: ClientKind,
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
            client: ClientKind::Java,
        }
    }

    /// The same application on librdkafka: its consumer defaults (read_committed), with this
    /// spec's commit placement and `auto.offset.reset`.
    pub fn librdkafka(self) -> Self {
        let config = ConsumerConfig {
            enable_auto_commit: self.config.enable_auto_commit,
            auto_offset_reset: self.config.auto_offset_reset,
            ..ConsumerConfig::librdkafka()
        };
        ConsumerSpec { client: ClientKind::Librdkafka, config, ..self }
    }
}
