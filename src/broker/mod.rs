//! Brokers and the controller: replicated partition logs, high watermarks, ISR, leader epochs,
//! elections, follower truncation and flush-based durability.

pub mod controller;
pub mod log;
pub mod node;
pub mod protocol;

use std::sync::Arc;

use crate::check::LogBatch;
use crate::scenario::{BrokerConfig, Scenario};

pub use controller::{Controller, ControllerTimer};
pub use log::{BatchTemplate, ReplicaLog};
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
    /// Broker configs.
    pub config: BrokerConfig,
    /// All partitions of all topics; a partition's index is its `PartitionIdx`.
    pub partitions: Vec<PartitionInfo>,
    /// Topic name → (first partition index, partition count).
    pub topics: Vec<(String, u32, u32)>,
}

impl Topology {
    /// Lay out the scenario's topics: partition p of topic t gets brokers starting at
    /// `(t + p) % brokers`, consecutive (Kafka's round-robin assignment with a fixed start).
    pub fn new(s: &Scenario) -> Arc<Self> {
        let n = s.cluster.brokers.max(1);
        let mut partitions = Vec::new();
        let mut topics = Vec::new();
        for (ti, t) in s.topics.iter().enumerate() {
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
        Arc::new(Topology { brokers: n, config: s.cluster.config.clone(), partitions, topics })
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
    Appended { partition: u32, batch: Arc<LogBatch> },
    /// A leader's high watermark moved from `from` to `to`.
    Committed { partition: u32, broker: u32, from: u64, to: u64 },
    /// The controller published a new leader for a partition.
    LeaderChange { partition: u32, state: PartitionState, unclean: bool },
}
