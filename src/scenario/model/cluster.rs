//! `[cluster]`, `[network]` and `[[topic]]`: the brokers, their configs and the topics.

pub use crate::record::{KafkaVersion, MetadataMode};

/// `[cluster]`: how many brokers and their shared configs.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSpec {
    /// Number of brokers, numbered 1..=brokers.
    pub brokers: u32,
    /// `kafka_version`: the release whose broker and client behaviour is modelled (default the
    /// newest modelled). Config defaults follow it in files; in Rust, build the configs with
    /// the `for_version` constructors.
    pub kafka_version: KafkaVersion,
    /// `metadata`: ZooKeeper or KRaft (default: what the release ran by default).
    pub metadata: MetadataMode,
    /// `[cluster.config]`, Kafka's broker configs.
    pub config: BrokerConfig,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec::for_version(KafkaVersion::NEWEST)
    }
}

impl ClusterSpec {
    /// Three brokers of release `v` with that release's defaults.
    pub fn for_version(v: KafkaVersion) -> Self {
        ClusterSpec {
            brokers: 3,
            kafka_version: v,
            metadata: v.default_metadata(),
            config: BrokerConfig::for_version(v),
        }
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
    /// `group.consumer.session.timeout.ms` (default 45000): the session of a `group.protocol =
    /// "consumer"` member (KIP-848), which the broker decides instead of the client.
    pub group_consumer_session_timeout_ms: u64,
    /// `group.consumer.heartbeat.interval.ms` (default 5000): the heartbeat interval the
    /// coordinator gives KIP-848 members.
    pub group_consumer_heartbeat_interval_ms: u64,
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
    /// `zookeeper.session.timeout.ms` (default 18000; 6000 before 2.5): ZooKeeper mode's
    /// counterpart of `broker.session.timeout.ms`.
    pub zookeeper_session_timeout_ms: u64,
    /// `producer.id.expiration.ms` (default 86400000, from 3.4, KIP-854): a partition forgets a
    /// producer id that wrote nothing for this long and has no open transaction there.
    pub producer_id_expiration_ms: u64,
    /// `producer.id.expiration.check.interval.ms` (default 600000, from 3.4): how often a broker
    /// looks for expired producer ids.
    pub producer_id_expiration_check_interval_ms: u64,
    /// `transactional.id.expiration.ms` (default 604800000): the transaction coordinator forgets
    /// a transactional id with no transaction for this long; before 3.4 producer ids expire
    /// after it too.
    pub transactional_id_expiration_ms: u64,
    /// `transaction.remove.expired.transaction.cleanup.interval.ms` (default 3600000): how
    /// often the coordinator looks for expired transactional ids.
    pub transaction_remove_expired_transaction_cleanup_interval_ms: u64,
}

impl BrokerConfig {
    /// How long a partition keeps an idle producer id, and how often it looks: the KIP-854
    /// configs from 3.4; before, `transactional.id.expiration.ms` every ten minutes.
    pub fn producer_id_expiry(&self, v: KafkaVersion) -> (u64, u64) {
        if v.producer_id_expiration_config() {
            (self.producer_id_expiration_ms, self.producer_id_expiration_check_interval_ms)
        } else {
            (self.transactional_id_expiration_ms, 600_000)
        }
    }

    /// Release `v`'s defaults: `unclean.leader.election.enable` true before 0.11,
    /// `replica.lag.time.max.ms` and `zookeeper.session.timeout.ms` raised in 2.5 (KIP-537).
    pub fn for_version(v: KafkaVersion) -> Self {
        BrokerConfig {
            unclean_leader_election_enable: v.unclean_default(),
            replica_lag_time_max_ms: v.replica_lag_time_max_ms_default(),
            zookeeper_session_timeout_ms: v.zookeeper_session_timeout_ms_default(),
            ..BrokerConfig::default()
        }
    }
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
            group_consumer_session_timeout_ms: 45_000,
            group_consumer_heartbeat_interval_ms: 5_000,
            transaction_state_log_num_partitions: 50,
            transaction_state_log_replication_factor: 3,
            transaction_state_log_min_isr: 2,
            transaction_abort_timed_out_transaction_cleanup_interval_ms: 10_000,
            transaction_max_timeout_ms: 900_000,
            zookeeper_session_timeout_ms: 18_000,
            producer_id_expiration_ms: 86_400_000,
            producer_id_expiration_check_interval_ms: 600_000,
            transactional_id_expiration_ms: 604_800_000,
            transaction_remove_expired_transaction_cleanup_interval_ms: 3_600_000,
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
