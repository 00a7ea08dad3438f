//! What the checker may look at: the history clients (and the operator running faults)
//! observed, plus the final logs read after heal and drain. Nothing here is the broker model's
//! private state; the model only *produces* these values.

use std::sync::Arc;

use crate::error::KafkaError;

/// The records of one batch, as indices into one producer's workload (`p1#17` is index 17).
pub type RecordList = Arc<[u32]>;

/// A record's identity: producer (index into the scenario's producers) and workload index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId {
    /// Index of the producer in `Scenario::producers`.
    pub producer: u32,
    /// Workload index `I` of `NAME#I`.
    pub index: u32,
}

/// A partition as an index into `History::partitions`.
pub type PartitionIdx = u32;

/// One observed event with its virtual time in ms.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Virtual time in ms.
    pub at: u64,
    /// What happened.
    pub kind: EventKind,
}

/// Everything a client or the operator can observe.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A producer instance started (first start or restart). `producer_id` is what
    /// InitProducerId returned (-1 for a non-idempotent producer).
    ProducerStarted { producer: u32, instance: u32, producer_id: i64 },
    /// The application handed these records to the client (`send()`), in this order.
    Sent { producer: u32, instance: u32, partition: PartitionIdx, records: RecordList },
    /// The client reported success for a batch. `offset` is the base offset the broker
    /// returned (-1 for acks=0); `broker` and `leader_epoch` name whom it believed leader.
    Acked {
        producer: u32,
        instance: u32,
        partition: PartitionIdx,
        records: RecordList,
        offset: i64,
        broker: u32,
        leader_epoch: u32,
    },
    /// The client reported failure for a batch. `maybe_written` is false only when no attempt
    /// can have been appended (never sent, or every attempt rejected before the append);
    /// otherwise the outcome is indeterminate.
    Failed {
        producer: u32,
        instance: u32,
        partition: PartitionIdx,
        records: RecordList,
        error: KafkaError,
        maybe_written: bool,
    },
    /// A fault was injected (operator's log). `broker` is the resolved broker, if any.
    Fault { action: crate::scenario::FaultAction, target: String, broker: Option<u32> },
    /// A fault ended: a node restarted, an isolation or pause was lifted.
    Healed { target: String, broker: Option<u32> },
    /// The controller published a new leader (as any metadata client sees it).
    LeaderChange { partition: PartitionIdx, leader: Option<u32>, leader_epoch: u32, isr: Vec<u32>, unclean: bool },
}

/// A batch as it stands in a replica's log. Replicas share the same `Arc`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogBatch {
    /// Offset of the first record.
    pub base_offset: u64,
    /// Epoch of the leader that first appended the batch.
    pub leader_epoch: u32,
    /// Producer id (-1 without idempotence).
    pub producer_id: i64,
    /// Producer epoch (-1 without idempotence).
    pub producer_epoch: i16,
    /// Sequence of the first record (-1 without idempotence).
    pub base_sequence: i32,
    /// Which producer wrote it (index into the scenario's producers).
    pub producer: u32,
    /// Which instance of that producer wrote it: a header the client stamps on its batches.
    pub instance: u32,
    /// The records, in offset order.
    pub records: RecordList,
}

impl LogBatch {
    /// Offset one past the last record.
    pub fn next_offset(&self) -> u64 {
        self.base_offset + self.records.len() as u64
    }
}

/// One replica's final state, read after heal and drain.
#[derive(Debug, Clone, PartialEq)]
pub struct FinalReplica {
    /// Broker holding it.
    pub broker: u32,
    /// Whether that broker is running at the end.
    pub alive: bool,
    /// Its log end offset.
    pub leo: u64,
    /// Its local high watermark.
    pub hw: u64,
    /// Its log.
    pub log: Vec<Arc<LogBatch>>,
}

/// One partition's final state.
#[derive(Debug, Clone, PartialEq)]
pub struct FinalPartition {
    /// Topic name.
    pub topic: String,
    /// Partition number.
    pub partition: u32,
    /// Current leader, `None` when offline.
    pub leader: Option<u32>,
    /// Current leader epoch.
    pub leader_epoch: u32,
    /// In-sync replicas per the controller.
    pub isr: Vec<u32>,
    /// Every assigned replica.
    pub replicas: Vec<FinalReplica>,
}

impl FinalPartition {
    /// `topic/partition`, as reports spell it.
    pub fn name(&self) -> String {
        format!("{}/{}", self.topic, self.partition)
    }

    /// The leader's replica: the partition's final log, if there is a leader.
    pub fn leader_replica(&self) -> Option<&FinalReplica> {
        let l = self.leader?;
        self.replicas.iter().find(|r| r.broker == l)
    }
}

/// What one run produced for the checker.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Producer names, indexed by `RecordId::producer`.
    pub producers: Vec<String>,
    /// Events in the order they happened.
    pub events: Vec<Event>,
    /// Final partition states, indexed by `PartitionIdx`.
    pub partitions: Vec<FinalPartition>,
}

impl History {
    /// `NAME#I` for a record.
    pub fn record_name(&self, r: RecordId) -> String {
        format!("{}#{}", self.producers[r.producer as usize], r.index)
    }
}
