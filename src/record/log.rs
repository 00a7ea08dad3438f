//! What a replica's log holds: batches of workload records, and the internal records
//! (offset commits, group metadata, transaction state, transaction markers) that
//! `__consumer_offsets`, `__transaction_state` and control batches carry.

use std::sync::Arc;

use super::{PartitionIdx, RecordList};

/// A transaction's state at the coordinator (`TransactionState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TxnState {
    /// No transaction (after InitProducerId).
    Empty,
    /// Partitions have been added; records may be written.
    Ongoing,
    /// EndTxn(COMMIT) is durable: markers are being written.
    PrepareCommit,
    /// EndTxn(ABORT), a timeout or a fence is durable: markers are being written.
    PrepareAbort,
    /// Every COMMIT marker is written.
    CompleteCommit,
    /// Every ABORT marker is written.
    CompleteAbort,
    /// A newer producer fences an ongoing transaction (an in-memory step before PrepareAbort).
    PrepareEpochFence,
    /// The id had no transaction for `transactional.id.expiration.ms`: the coordinator's
    /// tombstone, after which it forgets the id.
    Dead,
}

/// A transactional id's metadata as the coordinator writes it to `__transaction_state`.
#[derive(Debug, Clone, PartialEq)]
pub struct TxnRecord {
    /// Index of the transactional id in the topology.
    pub transactional_id: u32,
    /// Producer id.
    pub producer_id: i64,
    /// Producer epoch.
    pub producer_epoch: i16,
    /// The epoch before the last bump (`lastProducerEpoch`; -1: none): a KIP-360 InitProducerId
    /// naming it retries a bump that succeeded, and gets the current epoch without a new bump.
    pub last_epoch: i16,
    /// State.
    pub state: TxnState,
    /// Partitions in the transaction (partition indices).
    pub partitions: Vec<PartitionIdx>,
    /// `transaction.timeout.ms` of the producer.
    pub timeout_ms: u64,
    /// When the first partition was added (virtual ms).
    pub started_at: u64,
}

/// What an internal-topic batch holds instead of workload records.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaRecord {
    /// An OffsetCommit in `__consumer_offsets`: the group's next offset per partition.
    OffsetCommit {
        /// `group.id`.
        group: Arc<str>,
        /// (partition, next offset to read) pairs.
        offsets: Arc<[(PartitionIdx, u64)]>,
    },
    /// Group metadata in `__consumer_offsets`, written when a generation's assignment is
    /// stored (at SyncGroup), so a new coordinator can reload the group.
    GroupMetadata(Arc<GroupRecord>),
    /// A transaction marker (a control record) ending the open transaction of the batch's
    /// producer id on this partition: COMMIT or ABORT, with the writing coordinator's epoch.
    TxnMarker {
        /// COMMIT (`true`) or ABORT (`false`).
        commit: bool,
        /// The writing coordinator's epoch (its `__transaction_state` partition's leader epoch).
        coordinator_epoch: i32,
    },
    /// A transaction-state record in `__transaction_state`.
    TxnState(Arc<TxnRecord>),
    /// A KIP-848 consumer group's state in `__consumer_offsets`, written whenever a heartbeat,
    /// leave or session expiry changes it (Kafka writes it as several records; one here).
    ConsumerGroup(Arc<ConsumerGroupRecord>),
}

/// Where a KIP-848 member stands in its reconciliation (`MemberState` of the coordinator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerMemberState {
    /// It owns its assignment at the target epoch, or is waiting for nothing.
    Stable,
    /// It must first give up `pending_revocation` (reported gone from its owned partitions).
    UnrevokedPartitions,
    /// Some target partitions are still owned by other members; it gets them once released.
    UnreleasedPartitions,
}

/// A KIP-848 consumer group as stored: its epochs and members.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerGroupRecord {
    /// `group.id`.
    pub group: Arc<str>,
    /// Group epoch: bumped on every membership or subscription change.
    pub group_epoch: i32,
    /// Epoch of the target assignment (at most the group epoch).
    pub assignment_epoch: i32,
    /// Members, by member id.
    pub members: Vec<ConsumerMemberRecord>,
}

/// One member of a [`ConsumerGroupRecord`].
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerMemberRecord {
    /// Member id.
    pub member_id: super::MemberId,
    /// Its member epoch.
    pub member_epoch: i32,
    /// Its epoch before the last bump (a heartbeat of it with a subset of the partitions is accepted).
    pub previous_epoch: i32,
    /// Its reconciliation state.
    pub state: ConsumerMemberState,
    /// Subscribed topics (topology indices).
    pub topics: Arc<[u32]>,
    /// Partitions it owns now (as far as the coordinator knows).
    pub assigned: Vec<PartitionIdx>,
    /// Partitions it must revoke before it moves on.
    pub pending_revocation: Vec<PartitionIdx>,
    /// Its target assignment.
    pub target: Vec<PartitionIdx>,
    /// Its rebalance timeout (`max.poll.interval.ms`).
    pub rebalance_timeout_ms: u64,
}

/// A group's stored metadata: its generation, leader and members.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRecord {
    /// `group.id`.
    pub group: Arc<str>,
    /// Generation id.
    pub generation: i32,
    /// Member id of the group leader (the member that computes the assignment).
    pub leader: Option<super::MemberId>,
    /// Members with their timeouts and assignments.
    pub members: Vec<MemberRecord>,
}

/// One member in a [`GroupRecord`].
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRecord {
    /// Member id the coordinator gave it (Kafka's is `client.id-UUID`; a number here).
    pub member_id: super::MemberId,
    /// Its `session.timeout.ms`.
    pub session_timeout_ms: u64,
    /// Its rebalance timeout (`max.poll.interval.ms`).
    pub rebalance_timeout_ms: u64,
    /// Its assigned partitions.
    pub assignment: Vec<PartitionIdx>,
    /// Its `group.instance.id` if it is a static member (KIP-345).
    pub instance_id: Option<std::sync::Arc<str>>,
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
    /// The records, in offset order (empty for an internal-topic batch).
    pub records: RecordList,
    /// An internal-topic record (offset commit, group metadata) or a transaction marker;
    /// `None` for workload data.
    pub meta: Option<Arc<MetaRecord>>,
    /// Written by a transactional producer inside a transaction.
    pub transactional: bool,
    /// The batch's timestamp (virtual ms): when the producer created it (Kafka's default
    /// `CreateTime`), or when the leader appended a coordinator's write or a marker. The
    /// partition's producer state expires by it (`ProducerStateEntry.lastTimestamp`).
    pub timestamp: u64,
}

impl LogBatch {
    /// The marker's outcome (`Some(true)` COMMIT, `Some(false)` ABORT) if this is a control batch.
    pub fn marker(&self) -> Option<bool> {
        match self.meta.as_deref() {
            Some(MetaRecord::TxnMarker { commit, .. }) => Some(*commit),
            _ => None,
        }
    }

    /// Offsets the batch occupies: its records, or one for an internal record.
    pub fn len(&self) -> u64 {
        if self.meta.is_some() {
            1
        } else {
            self.records.len() as u64
        }
    }

    /// Whether the batch occupies no offset (never true of a stored batch).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offset one past the last record.
    pub fn next_offset(&self) -> u64 {
        self.base_offset + self.len()
    }
}
