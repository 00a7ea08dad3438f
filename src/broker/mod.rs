//! Brokers and the controller: replicated partition logs, high watermarks, ISR, leader epochs,
//! elections, follower truncation and flush-based durability.

pub mod assign;
pub mod controller;
mod coord;
pub mod group;
pub mod log;
pub mod node;
pub mod protocol;
mod summary;
pub mod txn;

use std::sync::Arc;

use crate::record::LogBatch;
use crate::scenario::{BrokerConfig, Scenario};

pub use controller::{Controller, ControllerTimer};
pub use log::{AbortedTxn, BatchTemplate};
pub use node::{Broker, BrokerTimer};
pub use protocol::*;

/// Static facts about one partition: where its replicas live and its effective configs.
#[derive(Debug, Clone)]
pub struct PartitionInfo {
    /// Topic name.
    pub topic: String,
    /// Partition number within the topic.
    pub partition: u32,
    /// Assigned replicas, in assignment order (the first is the preferred leader).
    pub replicas: Vec<u32>,
    /// Effective `min.insync.replicas` = min(config, replication factor).
    pub min_isr: usize,
    /// `unclean.leader.election.enable` for this topic.
    pub unclean: bool,
    /// `flush.messages`: fsync after this many unflushed records.
    pub flush_interval: u64,
}

/// The cluster's static layout, shared read-only by every node.
#[derive(Debug, Clone)]
pub struct Topology {
    /// Number of brokers (ids 1..=brokers).
    pub brokers: u32,
    /// The Kafka release modelled: each rule that changed between releases asks it.
    pub version: crate::record::KafkaVersion,
    /// ZooKeeper or KRaft.
    pub metadata: crate::record::MetadataMode,
    /// Broker configs.
    pub config: BrokerConfig,
    /// All partitions of all topics; a partition's index is its `PartitionIdx`.
    pub partitions: Vec<PartitionInfo>,
    /// Topic name → (first partition index, partition count).
    pub topics: Vec<(String, u32, u32)>,
    /// Consumer groups of the scenario (`group.id`), in order of first mention; a group's
    /// index is how messages name it.
    pub groups: Vec<String>,
    /// First partition index of `__consumer_offsets` and its partition count (0 when the
    /// scenario has no consumers: the topic is created only when someone needs it).
    pub offsets_topic: (u32, u32),
    /// Transactional ids of the scenario's producers, in order of first mention; an id's index
    /// is how messages name it.
    pub txn_ids: Vec<String>,
    /// First partition index of `__transaction_state` and its partition count (0 without
    /// transactional producers).
    pub txn_topic: (u32, u32),
}

/// Name of the internal topic holding transaction states.
pub const TXN_TOPIC: &str = "__transaction_state";

/// Name of the internal topic holding committed offsets and group metadata.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// Kafka's `Utils.abs`: the absolute value, with Integer.MIN_VALUE mapped to 0.
fn java_abs(h: i32) -> u32 {
    if h == i32::MIN {
        0
    } else {
        h.unsigned_abs()
    }
}

/// Java's `String.hashCode` (over UTF-16 code units), as Kafka hashes a `group.id`.
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

impl Topology {
    /// Lay out the scenario's topics: partition p of topic t gets brokers starting at
    /// `(t + p) % brokers`, consecutive (Kafka's round-robin assignment with a fixed start).
    pub fn new(s: &Scenario) -> Arc<Self> {
        let n = s.cluster.brokers.max(1);
        let mut partitions = Vec::new();
        let mut topics = Vec::new();
        let mut specs = s.topics.clone();
        let mut groups: Vec<String> = Vec::new();
        for g in s.consumers.iter().map(|c| &c.group).chain(s.processors.iter().map(|p| &p.group)) {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        if !groups.is_empty() {
            // `__consumer_offsets` is an ordinary replicated topic with the broker's defaults.
            let c = &s.cluster.config;
            specs.push(crate::scenario::TopicSpec::new(
                OFFSETS_TOPIC,
                c.offsets_topic_num_partitions.max(1),
                c.offsets_topic_replication_factor.max(1),
            ));
        }
        let mut txn_ids: Vec<String> = Vec::new();
        for p in &s.producers {
            if let Some(t) = &p.config.transactional_id {
                if !txn_ids.contains(t) {
                    txn_ids.push(t.clone());
                }
            }
        }
        for p in &s.processors {
            // exactly_once_v2: one transactional producer per instance, its id stable across
            // restarts; exactly_once: one per task (input partition), whoever owns it.
            let n_in = s.topics.iter().find(|t| t.name == p.input).map_or(0, |t| t.partitions);
            txn_ids.extend(p.transactional_ids(n_in));
        }
        if !txn_ids.is_empty() {
            // `__transaction_state` likewise, with its own min.insync.replicas.
            let c = &s.cluster.config;
            let mut t = crate::scenario::TopicSpec::new(
                TXN_TOPIC,
                c.transaction_state_log_num_partitions.max(1),
                c.transaction_state_log_replication_factor.max(1),
            );
            t.min_insync_replicas = Some(c.transaction_state_log_min_isr.max(1));
            specs.push(t);
        }
        for (ti, t) in specs.iter().enumerate() {
            topics.push((t.name.clone(), partitions.len() as u32, t.partitions));
            for p in 0..t.partitions {
                let start = (ti as u32 + p) % n;
                let replicas = (0..t.replication_factor.min(n)).map(|k| (start + k) % n + 1).collect::<Vec<_>>();
                let min_isr = t.min_insync_replicas.unwrap_or(s.cluster.config.min_insync_replicas) as usize;
                partitions.push(PartitionInfo {
                    topic: t.name.clone(),
                    partition: p,
                    min_isr: min_isr.min(replicas.len()),
                    replicas,
                    unclean: t
                        .unclean_leader_election_enable
                        .unwrap_or(s.cluster.config.unclean_leader_election_enable),
                    flush_interval: t.flush_messages.unwrap_or(s.cluster.config.log_flush_interval_messages).max(1),
                });
            }
        }
        let internal = |name: &str| topics.iter().find(|t| t.0 == name).map_or((0, 0), |t| (t.1, t.2));
        let (offsets_topic, txn_topic) = (internal(OFFSETS_TOPIC), internal(TXN_TOPIC));
        let config = s.cluster.config.clone();
        Arc::new(Topology {
            brokers: n,
            version: s.cluster.kafka_version,
            metadata: s.cluster.metadata,
            config,
            partitions,
            topics,
            groups,
            offsets_topic,
            txn_ids,
            txn_topic,
        })
    }

    /// Index of transactional id `id`.
    pub fn txn_id(&self, id: &str) -> Option<u32> {
        self.txn_ids.iter().position(|t| t == id).map(|t| t as u32)
    }

    /// The `__transaction_state` partition (as a partition index) holding transactional id `t`:
    /// `abs(transactionalId.hashCode) % transaction.state.log.num.partitions`; its leader is
    /// the id's transaction coordinator, and its leader epoch the coordinator epoch.
    pub fn txn_partition(&self, t: u32) -> u32 {
        self.txn_topic.0 + java_abs(java_string_hash(&self.txn_ids[t as usize])) % self.txn_topic.1
    }

    /// Whether partition `p` belongs to `__transaction_state`.
    pub fn is_txn_partition(&self, p: u32) -> bool {
        p >= self.txn_topic.0 && p < self.txn_topic.0 + self.txn_topic.1
    }

    /// Index of consumer group `group`.
    pub fn group(&self, group: &str) -> Option<u32> {
        self.groups.iter().position(|g| g == group).map(|g| g as u32)
    }

    /// The `__consumer_offsets` partition (as a partition index) holding group `g`: Kafka's
    /// `abs(groupId.hashCode) % offsets.topic.num.partitions`; its leader coordinates the group.
    pub fn group_partition(&self, g: u32) -> u32 {
        self.offsets_topic.0 + java_abs(java_string_hash(&self.groups[g as usize])) % self.offsets_topic.1
    }

    /// Whether partition `p` belongs to `__consumer_offsets`.
    pub fn is_offsets_partition(&self, p: u32) -> bool {
        p >= self.offsets_topic.0 && p < self.offsets_topic.0 + self.offsets_topic.1
    }

    /// First partition index and partition count of `topic`.
    pub fn topic(&self, topic: &str) -> Option<(u32, u32)> {
        self.topics.iter().find(|t| t.0 == topic).map(|t| (t.1, t.2))
    }
}

/// What brokers and the controller report to the world besides messages.
#[derive(Debug, Clone)]
pub enum BrokerObs {
    /// A leader appended a producer batch.
    Appended {
        /// The batch as stored, with its base offset and leader epoch.
        batch: Arc<LogBatch>,
    },
    /// A leader's high watermark moved from `from` to `to`.
    Committed {
        /// Partition index (into `Topology::partitions`).
        partition: u32,
        /// The leader's broker id (from 1).
        broker: u32,
        /// High watermark before the move.
        from: u64,
        /// High watermark after the move: records in `from..to` are now committed.
        to: u64,
    },
    /// The controller published a new leader for a partition.
    LeaderChange {
        /// Partition index (into `Topology::partitions`).
        partition: u32,
        /// The partition's new state (leader, epochs, ISR).
        state: PartitionState,
        /// Whether the new leader was elected from outside the ISR (unclean election).
        unclean: bool,
    },
}
