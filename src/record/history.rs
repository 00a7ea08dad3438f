//! What the checker may look at: the history clients (and the operator running faults)
//! observed, plus the final logs read after heal and drain. Nothing here is the broker model's
//! private state; the model only *produces* these values.

use std::sync::Arc;

use super::fault::{FaultTarget, Heal};
use super::log::LogBatch;
use super::{Deliveries, PartitionIdx, RecordId, RecordList};
use crate::error::KafkaError;

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
    /// A producer instance started (first start or restart), with the producer id it starts
    /// with (a transactional producer gets its id from its coordinator later).
    ProducerStarted {
        /// Producer index (into `History::producers`).
        producer: u32,
        /// Instance number (`Producer::instance`), unique within the producer.
        instance: u32,
        /// Producer id it starts with (-1 without idempotence, and for a transactional producer,
        /// which gets its id from InitProducerId later).
        producer_id: i64,
    },
    /// The application handed these records to the client (`send()`), in this order.
    Sent {
        /// Producer index (into `History::producers`).
        producer: u32,
        /// Instance number (`Producer::instance`), unique within the producer.
        instance: u32,
        /// Partition the client chose for the records.
        partition: PartitionIdx,
        /// The batch's records, in send order.
        records: RecordList,
    },
    /// The client reported success for a batch. `offset` is the base offset the broker
    /// returned (-1 for acks=0); `broker` and `leader_epoch` name whom it believed leader.
    Acked {
        /// Producer index (into `History::producers`).
        producer: u32,
        /// Instance number (`Producer::instance`), unique within the producer.
        instance: u32,
        /// Partition of the batch.
        partition: PartitionIdx,
        /// The batch's records, in send order.
        records: RecordList,
        /// Base offset the broker returned (-1 for acks=0).
        offset: i64,
        /// Broker id (from 1) the batch was sent to.
        broker: u32,
        /// That broker's leader epoch: from its response, or from metadata for acks=0.
        leader_epoch: u32,
        /// Produce requests the client sent for the batch: 1 when the first was acknowledged,
        /// more when it was retried (the client knows its own retries).
        attempts: u32,
    },
    /// The client reported failure for a batch. `maybe_written` is false only when no attempt
    /// can have been appended (never sent, or every attempt rejected before the append);
    /// otherwise the outcome is indeterminate.
    Failed {
        /// Producer index (into `History::producers`).
        producer: u32,
        /// Instance number (`Producer::instance`), unique within the producer.
        instance: u32,
        /// Partition of the batch.
        partition: PartitionIdx,
        /// The batch's records, in send order.
        records: RecordList,
        /// The error the client reported.
        error: KafkaError,
        /// Whether some attempt may have been appended (the outcome is then unknown).
        maybe_written: bool,
    },
    /// A fault was injected (operator's log). `broker` is the resolved broker, if any.
    Fault {
        /// What was done (a power loss the safe schedule forbids is done as a crash).
        action: super::FaultAction,
        /// The target as named, with the broker it resolved to for leader and coordinator targets.
        target: FaultTarget,
        /// Broker id (from 1) when the fault hit a broker.
        broker: Option<u32>,
    },
    /// A fault ended: a node restarted, an isolation or pause was lifted (`restart of broker:2`).
    Healed {
        /// What ended.
        end: Heal,
        /// The node it ended on (or the partition that healed).
        target: FaultTarget,
        /// Broker id (from 1) when the node is a broker.
        broker: Option<u32>,
    },
    /// The controller published a new leader (as any metadata client sees it).
    LeaderChange {
        /// Partition whose leader changed.
        partition: PartitionIdx,
        /// New leader's broker id (from 1); `None` when the partition went offline.
        leader: Option<u32>,
        /// The new leader epoch.
        leader_epoch: u32,
        /// The ISR (broker ids) after the change.
        isr: Vec<u32>,
        /// Whether the leader was elected from outside the ISR (unclean election).
        unclean: bool,
    },
    /// A consumer member started (first start or restart): `consumer` indexes
    /// `History::consumers`, `instance` is K of `consumer:NAME/K`.
    ConsumerStarted {
        /// Consuming application index (into `History::consumers`).
        consumer: u32,
        /// Instance K of `consumer:NAME/K` (or `processor:NAME/K`).
        instance: u32,
    },
    /// A member joined a generation of its group and was assigned these partitions.
    Assigned {
        /// Consuming application index (into `History::consumers`).
        consumer: u32,
        /// Instance K of `consumer:NAME/K` (or `processor:NAME/K`).
        instance: u32,
        /// The group generation joined.
        generation: i32,
        /// The member's assigned partitions.
        partitions: Vec<PartitionIdx>,
    },
    /// `poll()` handed these records to the application (its position moved past them).
    Polled {
        /// Consuming application index (into `History::consumers`).
        consumer: u32,
        /// Instance K of `consumer:NAME/K` (or `processor:NAME/K`).
        instance: u32,
        /// The records `poll()` returned, in order.
        records: Deliveries,
    },
    /// The application finished processing these records: their side effects are in the
    /// external store, whatever happens to the member afterwards.
    Processed {
        /// Consuming application index (into `History::consumers`).
        consumer: u32,
        /// Instance K of `consumer:NAME/K` (or `processor:NAME/K`).
        instance: u32,
        /// The records processed, in order.
        records: Deliveries,
    },
    /// An offset commit finished (`offsets` are the next offsets to read).
    OffsetCommit {
        /// Consuming application index (into `History::consumers`).
        consumer: u32,
        /// Instance K of `consumer:NAME/K` (or `processor:NAME/K`).
        instance: u32,
        /// (partition, next offset to read) pairs.
        offsets: Arc<[(PartitionIdx, u64)]>,
        /// What the commit returned.
        result: Result<(), KafkaError>,
    },
    /// The application stopped on an exception it does not handle (for example
    /// `NoOffsetForPartitionException` with `auto.offset.reset=none`).
    ConsumerFailed {
        /// Consuming application index (into `History::consumers`).
        consumer: u32,
        /// Instance K of `consumer:NAME/K` (or `processor:NAME/K`).
        instance: u32,
        /// The exception, as a Kafka error.
        error: KafkaError,
    },
    /// A transactional producer's `commitTransaction()` or `abortTransaction()` returned:
    /// `txn` numbers the instance's transactions from 0, `records` are every record it sent in
    /// that transaction. `result` is what the call returned (an error leaves the outcome
    /// to the coordinator: a commit that failed may still have committed).
    TxnEnded {
        /// Producer index (into `History::producers`).
        producer: u32,
        /// Instance number (`Producer::instance`), unique within the producer.
        instance: u32,
        /// The instance's transaction number, from 0.
        txn: u32,
        /// `commitTransaction()` (`true`) or `abortTransaction()` (`false`).
        commit: bool,
        /// Every record the instance sent in the transaction.
        records: RecordList,
        /// What the call returned.
        result: Result<(), KafkaError>,
    },
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
    /// Whether this is an internal topic (`__consumer_offsets`), not workload data.
    pub fn is_internal(&self) -> bool {
        self.topic.starts_with("__")
    }

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

/// A consuming application as the checker needs to know it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerInfo {
    /// Client name.
    pub name: String,
    /// `group.id`.
    pub group: String,
    /// Subscribed topics.
    pub topics: Vec<String>,
    /// Where it commits, which decides the semantic it promises.
    pub commit: super::CommitMode,
    /// `isolation.level`: a read_committed consumer must never be given a record of a
    /// transaction that did not commit.
    pub isolation: super::IsolationLevel,
    /// The consuming side of processor `History::processors[i]`: judged by its outputs, not by
    /// its `Processed` events.
    pub processor: Option<u32>,
    /// Whose client library it is: a librdkafka consumer's auto-commit promises less.
    pub client: super::ClientKind,
    /// librdkafka's `enable.auto.offset.store` (true for a Java consumer, which has none).
    pub auto_offset_store: bool,
}

/// A consume-transform-produce application as the checker needs to know it. Its members are
/// consumers (index `consumer`), and its output records are written under the pseudo-producer
/// `producer`: output record `I` is the output of input record [`History::input_of`].
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessorInfo {
    /// Client name.
    pub name: String,
    /// `group.id`.
    pub group: String,
    /// Input topic.
    pub input: String,
    /// Output topic.
    pub output: String,
    /// Index of its outputs' producer in `History::producers` (after the scenario's producers).
    pub producer: u32,
    /// Index of its members' events in `History::consumers`.
    pub consumer: u32,
    /// `processing.guarantee`, which decides the semantic it promises.
    pub guarantee: super::ProcessingGuarantee,
}

/// How a run ended: settled (the workload done, every fault healed, every log caught up, every
/// group drained and closed) or stopped at `duration_ms` with client work outstanding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEnd {
    /// Whether the run settled before `duration_ms`.
    pub settled: bool,
    /// When it did not: what was still outstanding, one phrase each, with a hint where one helps.
    pub waiting: Vec<String>,
    /// Why the run ended (the report's `ended`).
    pub reason: EndReason,
}

impl Default for RunEnd {
    /// Settled: a history built by hand judges every record as done or lost.
    fn default() -> Self {
        RunEnd { settled: true, waiting: Vec::new(), reason: EndReason::Settled }
    }
}

/// Why a run ended, as the report's `ended` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Its work ended: every producer done, every fault healed and the nemesis over, every
    /// replica caught up, every group's work processed and committed and its members closed,
    /// every transaction decided. Idle client timers (auto-commit, heartbeats, metadata
    /// refresh) do not keep a run going.
    Settled,
    /// It reached `duration_ms` with work outstanding.
    DurationMs,
    /// It handled `max_events` events without ending.
    MaxEvents,
}

/// What one run produced for the checker.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Producer names, indexed by `RecordId::producer`: the scenario's producers, then one
    /// pseudo-producer per processor (its outputs).
    pub producers: Vec<String>,
    /// Per scenario producer (not processors): the first global input number of its records.
    /// A processor's output record index is its input's global number.
    pub record_base: Vec<u32>,
    /// Consuming applications, indexed by the `consumer` of consumer events: the scenario's
    /// consumers, then one per processor.
    pub consumers: Vec<ConsumerInfo>,
    /// Consume-transform-produce applications.
    pub processors: Vec<ProcessorInfo>,
    /// Events in the order they happened.
    pub events: Vec<Event>,
    /// Final partition states, indexed by `PartitionIdx`. Internal topics (`__consumer_offsets`)
    /// come after the scenario's topics.
    pub partitions: Vec<FinalPartition>,
    /// Whether the run settled. When it did not, a record no group has processed yet and no
    /// commit passed is unsettled rather than lost.
    pub end: RunEnd,
}

impl History {
    /// `NAME#I` for a record; `PROC(NAME#I)` for a processor's output of `NAME#I`.
    pub fn record_name(&self, r: RecordId) -> String {
        match self.input_of(r) {
            Some(input) => format!("{}({})", self.producers[r.producer as usize], self.record_name(input)),
            None => format!("{}#{}", self.producers[r.producer as usize], r.index),
        }
    }

    /// Whether records of `producer` are a processor's outputs (it is some processor's
    /// pseudo-producer).
    pub fn is_output(&self, producer: u32) -> bool {
        self.processors.iter().any(|p| p.producer == producer)
    }

    /// The input record a processor's output record names (`None` for a producer's record).
    pub fn input_of(&self, r: RecordId) -> Option<RecordId> {
        if !self.is_output(r.producer) {
            return None;
        }
        Some(input_record(&self.record_base, r.index))
    }

    /// The global input number of a producer's record: what a processor's output of it carries.
    pub fn global_number(&self, r: RecordId) -> u32 {
        self.record_base[r.producer as usize] + r.index
    }
}

/// Decode a global input number into the producer record it stands for; `record_base` holds
/// the first global number of each producer, ascending.
pub fn input_record(record_base: &[u32], global: u32) -> RecordId {
    let p = record_base.partition_point(|&b| b <= global).saturating_sub(1);
    RecordId { producer: p as u32, index: global - record_base.get(p).copied().unwrap_or(0) }
}
