//! The coordinators' state a broker holds: groups and their pending writes, parked consumer
//! fetches, transactional ids and their marker rounds. `node` stores it; `group` and `txn`, the
//! coordinator handlers, update it. Kept apart from both so the broker's submodules form no cycle
//! (node → coord ← group, txn → node).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::FetchPartition;
use crate::error::KafkaError;
use crate::record::{ConsumerMemberRecord, GroupRecord, MemberId, MemberRecord, ReqId, TxnRecord, TxnState};
use crate::sim::NodeId;

/// Classic group states (`ClassicGroupState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupState {
    /// No members.
    Empty,
    /// Waiting for members to (re)join.
    PreparingRebalance,
    /// Joined; waiting for the leader's assignment.
    CompletingRebalance,
    /// Every member has its assignment.
    Stable,
}

#[derive(Debug, Clone)]
pub(super) struct Member {
    pub(super) client: NodeId,
    pub(super) session_timeout_ms: u64,
    pub(super) rebalance_timeout_ms: u64,
    pub(super) subscription: Arc<super::Subscription>,
    pub(super) last_seen: u64,
    pub(super) expiry_deadline: u64,
    pub(super) awaiting_join: Option<ReqId>,
    pub(super) awaiting_sync: Option<ReqId>,
    pub(super) assignment: Vec<u32>,
    /// `group.instance.id` of a static member (KIP-345).
    pub(super) instance_id: Option<Arc<str>>,
}

/// One group's coordinator state.
#[derive(Debug, Clone)]
pub struct Group {
    pub(super) name: Arc<str>,
    pub(super) partition: u32,
    pub(super) state: GroupState,
    pub(super) generation: i32,
    pub(super) leader: Option<MemberId>,
    pub(super) members: BTreeMap<MemberId, Member>,
    /// Members given an id by MEMBER_ID_REQUIRED that have not joined yet, with their deadline.
    pub(super) pending: BTreeMap<MemberId, u64>,
    /// Committed offsets (next offset to read) per partition.
    pub(super) offsets: BTreeMap<u32, u64>,
    /// Log offset of the record each committed offset comes from (a transaction's offsets
    /// replace a committed offset only if written after it).
    pub(super) offset_at: BTreeMap<u32, u64>,
    /// Transactional offsets awaiting their transaction's marker, by producer id:
    /// partition → (offset, log offset of the record).
    pub(super) txn_pending: BTreeMap<i64, BTreeMap<u32, (u64, u64)>>,
    /// Names the current join phase; a join timer of another phase is stale.
    pub(super) token: u64,
    /// The first rebalance of an empty group waits `group.initial.rebalance.delay.ms` for more
    /// members, extending while new ones arrive: the time left to extend by.
    pub(super) initial_remaining: Option<u64>,
    pub(super) new_member_added: bool,
    /// A KIP-848 consumer group's state (`group.protocol = "consumer"`); `None` for a classic
    /// group. Offsets and transactional offsets above serve both.
    pub(super) consumer: Option<ConsumerGroupState>,
}

/// A KIP-848 member at the coordinator: its stored record and its session.
#[derive(Debug, Clone)]
pub(super) struct ConsumerMember {
    pub(super) client: NodeId,
    pub(super) last_seen: u64,
    pub(super) expiry_deadline: u64,
    pub(super) m: ConsumerMemberRecord,
}

/// A KIP-848 consumer group (`ConsumerGroup`): epochs and members, by member id.
#[derive(Debug, Clone, Default)]
pub(super) struct ConsumerGroupState {
    pub(super) group_epoch: i32,
    pub(super) assignment_epoch: i32,
    pub(super) members: BTreeMap<MemberId, ConsumerMember>,
}

/// A coordinator write waiting for replication.
#[derive(Debug, Clone)]
pub enum GroupWait {
    /// An OffsetCommit to answer.
    Commit {
        /// Group index (into `Topology::groups`).
        group: u32,
        /// The consumer to answer.
        to: NodeId,
        /// The consumer's request id, echoed in the answer.
        req: ReqId,
        /// (partition index, next offset to read) pairs being committed.
        offsets: Arc<[(u32, u64)]>,
    },
    /// The leader's assignment of `generation`, stored before SyncGroup is answered.
    Sync {
        /// Group index (into `Topology::groups`).
        group: u32,
        /// The generation whose assignment is being stored; stale if the group has moved on.
        generation: i32,
    },
    /// A static member's JoinGroup that replaced its predecessor in a Stable group (KIP-345):
    /// answered once the group record with the new member id is stored.
    StaticJoin {
        /// The consumer to answer.
        to: NodeId,
        /// The consumer's request id, echoed in the answer.
        req: ReqId,
        /// The answer: the current generation, with the new member id.
        result: super::JoinResult,
    },
    /// A KIP-848 heartbeat whose state change is being stored: answered once it is.
    ConsumerHeartbeat {
        /// The consumer to answer.
        to: NodeId,
        /// The consumer's request id, echoed in the answer.
        req: ReqId,
        /// The answer.
        result: super::ConsumerHeartbeatResult,
    },
    /// A KIP-848 member fenced by its session timeout: nobody to answer.
    ConsumerFenced,
    /// A TxnOffsetCommit to answer: the offsets stay pending until the transaction's marker.
    TxnCommit {
        /// Group index (into `Topology::groups`).
        group: u32,
        /// The transactional producer to answer.
        to: NodeId,
        /// The producer's request id, echoed in the answer.
        req: ReqId,
        /// Producer id of the transaction; the offsets stay pending under it until its marker.
        producer_id: i64,
        /// (partition index, next offset to read) pairs being committed.
        offsets: Arc<[(u32, u64)]>,
    },
}

/// A consumer fetch parked until data arrives or `fetch.max.wait.ms` passes.
#[derive(Debug, Clone)]
pub struct ConsumerParked {
    pub(super) id: u64,
    pub(super) from: NodeId,
    pub(super) req: ReqId,
    pub(super) partitions: Vec<FetchPartition>,
    pub(super) read_committed: bool,
}

impl Group {
    pub(super) fn new(name: Arc<str>, partition: u32) -> Self {
        Group {
            name,
            partition,
            state: GroupState::Empty,
            generation: 0,
            leader: None,
            members: BTreeMap::new(),
            pending: BTreeMap::new(),
            offsets: BTreeMap::new(),
            offset_at: BTreeMap::new(),
            txn_pending: BTreeMap::new(),
            token: 0,
            initial_remaining: None,
            new_member_added: false,
            consumer: None,
        }
    }

    pub(super) fn record(&self) -> GroupRecord {
        GroupRecord {
            group: self.name.clone(),
            generation: self.generation,
            leader: self.leader,
            members: self
                .members
                .iter()
                .map(|(&id, m)| MemberRecord {
                    member_id: id,
                    session_timeout_ms: m.session_timeout_ms,
                    rebalance_timeout_ms: m.rebalance_timeout_ms,
                    assignment: m.assignment.clone(),
                    instance_id: m.instance_id.clone(),
                })
                .collect(),
        }
    }

    /// The transaction of `producer_id` ended: its pending offsets become committed (unless a
    /// later record already committed the partition) or are discarded.
    pub(super) fn end_txn(&mut self, producer_id: i64, commit: bool) {
        let Some(pending) = self.txn_pending.remove(&producer_id) else { return };
        if !commit {
            return;
        }
        for (tp, (o, at)) in pending {
            if self.offset_at.get(&tp).is_none_or(|&c| c < at) {
                self.offsets.insert(tp, o);
                self.offset_at.insert(tp, at);
            }
        }
    }

    pub(super) fn has_pending(&self, tp: u32) -> bool {
        self.txn_pending.values().any(|m| m.contains_key(&tp))
    }

    pub(super) fn all_joined(&self) -> bool {
        self.pending.is_empty() && self.members.values().all(|m| m.awaiting_join.is_some())
    }
}

/// One transactional id's coordinator state (`TransactionMetadata`).
#[derive(Debug, Clone)]
pub struct TxnMeta {
    /// Its `__transaction_state` partition.
    pub(super) partition: u32,
    pub(super) producer_id: i64,
    pub(super) epoch: i16,
    /// The epoch before the last bump (-1: none).
    pub(super) last_epoch: i16,
    pub(super) state: TxnState,
    pub(super) partitions: BTreeSet<u32>,
    pub(super) timeout_ms: u64,
    /// When the first partition of the ongoing transaction was added.
    pub(super) started_at: u64,
    /// Names the transition being written (`None`: no write pending).
    pub(super) pending: Option<u64>,
    /// The markers of a Prepare* state being written.
    pub(super) markers: Option<MarkerRound>,
    /// When its last transition was written (`txnLastUpdateTimestamp`): the id expires
    /// `transactional.id.expiration.ms` after it.
    pub(super) last_update: u64,
}

/// Markers of one PrepareCommit / PrepareAbort being written to the transaction's partitions.
#[derive(Debug, Clone)]
pub(super) struct MarkerRound {
    pub(super) round: u64,
    pub(super) coordinator_epoch: i32,
    /// Partitions whose marker is not acknowledged yet.
    pub(super) outstanding: BTreeSet<u32>,
    /// WriteTxnMarkers requests in flight: (request id, broker, partitions).
    pub(super) inflight: Vec<(ReqId, u32, Vec<u32>)>,
    pub(super) retry_armed: bool,
}

/// Whom a transition's write answers once it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reply {
    /// InitProducerId: the producer id and epoch.
    Init,
    /// InitProducerId that fenced an ongoing transaction: CONCURRENT_TRANSACTIONS (retry).
    Fenced,
    AddPartitions,
    AddOffsets,
    EndTxn,
    /// A broker's AddPartitionsToTxn (KIP-890 part 2): the partition joined the transaction.
    Verify,
}

/// A transition of transactional id `txn` being written to `__transaction_state`.
#[derive(Debug, Clone)]
pub struct TxnWait {
    pub(super) txn: u32,
    pub(super) token: u64,
    pub(super) record: Arc<TxnRecord>,
    pub(super) reply: Option<(NodeId, ReqId, Reply)>,
}

/// A WriteTxnMarkers request a partition leader is answering: per partition, the outcome once
/// known.
#[derive(Debug, Clone)]
pub struct MarkerReq {
    pub(super) id: u64,
    pub(super) to: NodeId,
    pub(super) req: ReqId,
    pub(super) results: Vec<(u32, Option<Result<(), KafkaError>>)>,
}

impl TxnMeta {
    pub(super) fn record(&self, t: u32) -> TxnRecord {
        TxnRecord {
            transactional_id: t,
            producer_id: self.producer_id,
            producer_epoch: self.epoch,
            last_epoch: self.last_epoch,
            state: self.state,
            partitions: self.partitions.iter().copied().collect(),
            timeout_ms: self.timeout_ms,
            started_at: self.started_at,
        }
    }

    /// The fencing abort (`prepareFenceProducerEpoch` then PrepareAbort): the epoch is bumped
    /// so the markers fence the current producer everywhere, and no earlier epoch may retry a
    /// bump (`lastProducerEpoch` is cleared). Under transactions V2 the abort bumps the epoch
    /// once too (KAFKA-19367 removed the second bump 4.0 had made).
    pub(super) fn fence_record(&self, t: u32) -> TxnRecord {
        TxnRecord {
            producer_epoch: self.epoch.checked_add(1).unwrap_or(self.epoch),
            last_epoch: -1,
            state: TxnState::PrepareAbort,
            ..self.record(t)
        }
    }
}
