//! Messages between nodes, shaped after Kafka's requests and answered with Kafka's error codes.

use std::sync::Arc;

use super::log::BatchTemplate;
use crate::error::KafkaError;
use crate::record::{LogBatch, MemberId, ReqId};
use crate::scenario::Acks;

/// A leader's proposed ISR for one partition, in an AlterPartition request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsrProposal {
    /// Partition index (into `Topology::partitions`).
    pub partition: u32,
    /// The leader's leader epoch (the controller rejects any other).
    pub leader_epoch: u32,
    /// The partition epoch the proposal is based on (INVALID_UPDATE_VERSION if outdated).
    pub partition_epoch: u32,
    /// Proposed ISR (broker ids).
    pub isr: Vec<u32>,
    /// Broker epoch of each `isr` entry as the leader last saw it (KIP-903).
    pub broker_epochs: Vec<u64>,
}

/// The controller's view of one partition, as published in metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    /// Current leader, `None` when offline.
    pub leader: Option<u32>,
    /// Bumped on every leader change.
    pub leader_epoch: u32,
    /// Bumped on every change (leader or ISR).
    pub partition_epoch: u32,
    /// In-sync replicas.
    pub isr: Vec<u32>,
}

/// A published metadata image: every partition's state, with a version.
#[derive(Debug, Clone)]
pub struct MetadataImage {
    /// Monotonic version of the image.
    pub version: u64,
    /// State per partition index, each shared with the controller until it changes.
    pub partitions: Arc<Vec<Arc<PartitionState>>>,
    /// Brokers the controller has fenced (they are not ISR-eligible).
    pub fenced: Arc<Vec<u32>>,
}

/// Follower fetch (`Fetch` with a replica id): one request per (follower, leader) pair naming
/// every partition the follower replicates from that leader, as Kafka's replica fetcher thread
/// sends it (`AbstractFetcherThread.maybeFetch` builds one `FetchRequest` over all its
/// partitions; `num.replica.fetchers` = 1).
#[derive(Debug, Clone)]
pub struct FetchRequest {
    /// Fetching broker.
    pub replica: u32,
    /// Follower's broker epoch (proves the incarnation).
    pub broker_epoch: u64,
    /// Follower-chosen id, echoed so stale responses can be ignored.
    pub id: u64,
    /// The fetch session this request continues (KIP-227's incremental fetch), as the
    /// leader named it; 0 opens a new session naming every partition.
    pub session: u64,
    /// The partitions new to the session or whose offset or epoch changed (all of them when
    /// opening a session), in ascending partition order. The others are fetched as before.
    pub partitions: Vec<ReplicaFetchPartition>,
    /// Partitions leaving the session.
    pub removed: Vec<u32>,
}

/// One partition of a follower fetch (ordered by partition first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ReplicaFetchPartition {
    /// Partition index.
    pub partition: u32,
    /// Follower's LEO.
    pub fetch_offset: u64,
    /// Epoch of the follower's last batch.
    pub last_fetched_epoch: Option<u32>,
    /// The leader epoch the follower believes current.
    pub leader_epoch: u32,
}

/// What a fetch returns.
#[derive(Debug, Clone)]
pub enum FetchResult {
    /// Records from the fetch offset on, and the leader's HW.
    Records {
        /// Whole batches from the fetch offset on (empty when the fetch waited in vain).
        batches: Vec<Arc<LogBatch>>,
        /// The leader's high watermark.
        hw: u64,
    },
    /// The follower's log diverges: truncate using (epoch, end offset) and fetch again.
    Diverging {
        /// Largest epoch in the leader's log not above the follower's last fetched epoch
        /// (Kafka's `endOffsetFor`).
        epoch: u32,
        /// Where that epoch ends in the leader's log: the follower truncates to at most this.
        end_offset: u64,
    },
    /// An error (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH).
    Error(KafkaError),
}

/// One partition of a consumer fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPartition {
    /// Partition index.
    pub partition: u32,
    /// Offset of the next record the consumer wants.
    pub offset: u64,
    /// The leader epoch the consumer believes current (KIP-320).
    pub leader_epoch: u32,
}

/// What a consumer fetch returns for one partition.
#[derive(Debug, Clone)]
pub struct FetchedPartition {
    /// Partition index.
    pub partition: u32,
    /// The offset fetched from (echoed, so stale data can be recognised).
    pub offset: u64,
    /// Whole batches from the fetch offset up to the high watermark (read_uncommitted) or the
    /// last stable offset (read_committed), and that bound.
    pub result: Result<(Vec<Arc<LogBatch>>, u64), KafkaError>,
    /// read_committed: the aborted transactions overlapping the returned batches.
    pub aborted: Vec<super::AbortedTxn>,
}

/// A member's subscription: the protocol metadata its JoinGroup carries (Kafka's
/// `ConsumerProtocolSubscription`). The coordinator stores it and hands it to the leader, and
/// compares it only to decide whether a rejoin changes anything; the leader's assignor reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Subscription {
    /// Subscribed topics, as indices into `Topology::topics`.
    pub topics: Arc<[u32]>,
    /// The partitions the member owns as it joins (`ownedPartitions`, KIP-429): always empty
    /// with the eager protocol, which revokes everything first; what a cooperative member keeps.
    pub owned: Vec<u32>,
}

/// A JoinGroup's successful answer.
#[derive(Debug, Clone)]
pub struct JoinResult {
    /// The new generation.
    pub generation: i32,
    /// The member id of the group leader.
    pub leader: MemberId,
    /// This member's id.
    pub member_id: MemberId,
    /// For the leader only: every member and its subscription.
    pub members: Vec<(MemberId, Arc<Subscription>)>,
}

/// A ConsumerGroupHeartbeat's successful answer (KIP-848).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerHeartbeatResult {
    /// The member's id (the coordinator's for a new member).
    pub member_id: MemberId,
    /// Its member epoch (-1 after a leave).
    pub member_epoch: i32,
    /// The partitions it may own now; `None` when the answer carries no assignment.
    pub assignment: Option<Arc<[u32]>>,
}

/// A message on the simulated network.
#[derive(Debug, Clone)]
pub enum Msg {
    /// Client → broker: which brokers lead which partitions?
    MetadataRequest,
    /// Broker → client: leader and leader epoch per partition (from the broker's cache).
    MetadataResponse {
        /// State per partition index from the broker's cache (empty before it has any).
        leaders: Arc<Vec<PartitionState>>,
    },
    /// Producer → leader.
    Produce {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Partition index (into `Topology::partitions`).
        partition: u32,
        /// The producer's `acks`.
        acks: Acks,
        /// How long an acks=all request may wait for replication (`request.timeout.ms`).
        timeout_ms: u64,
        /// The records, with the producer id, epoch and base sequence idempotence checks use.
        batch: Arc<BatchTemplate>,
        /// The producer's `transactional.id` (index into `Topology::txn_ids`), which
        /// ProduceRequest carries so the leader can verify the transaction (KIP-890).
        txn: Option<u32>,
    },
    /// Leader → producer: base offset or error.
    ProduceResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// Partition index (into `Topology::partitions`).
        partition: u32,
        /// Base offset of the batch (of its earlier copy for a duplicate), or the error.
        result: Result<u64, KafkaError>,
        /// The answering replica's leader epoch (0 when it is not the leader).
        leader_epoch: u32,
    },
    /// The OS of a crashed process resets the connection (TCP RST) seen by the peer: requests
    /// in flight on it have an unknown outcome.
    Disconnected,
    /// A message reached a machine whose process is dead, or a restarted one that does not
    /// accept connections yet: the connection is refused, so the request (`req`, for a produce
    /// request or a connection attempt) was certainly not handled.
    Refused {
        /// Request id of a refused produce request or `ApiVersions`; `None` for any other message.
        req: Option<ReqId>,
    },
    /// Client → broker: a new connection (the TCP handshake and Kafka's ApiVersions request, one
    /// round trip), tried after the client saw its connection to that broker fail; `NetworkClient`
    /// sends nothing else to the broker until it is answered.
    ApiVersions {
        /// The client's id for this connection attempt.
        req: ReqId,
    },
    /// Broker → client: the connection is up (`NetworkClient` marks the node ready).
    ApiVersionsResponse {
        /// Request id of the `ApiVersions` this answers.
        req: ReqId,
    },
    /// Follower → leader.
    Fetch(Box<FetchRequest>),
    /// Leader → follower: the results of the session's partitions that have records, an
    /// error, a divergence or a new high watermark, in partition order (KIP-227: the others
    /// are left out).
    FetchResponse {
        /// The `FetchRequest::id` it answers.
        id: u64,
        /// The session's id (0 with `error`).
        session: u64,
        /// FETCH_SESSION_ID_NOT_FOUND: the leader knows no such session.
        error: Option<KafkaError>,
        /// Records, a divergence or an error, per partition index.
        partitions: Vec<(u32, FetchResult)>,
    },
    /// Broker → controller at start: register a new incarnation.
    Register,
    /// Controller → broker: the new broker epoch and the current metadata.
    Registered {
        /// Epoch of the broker's new incarnation.
        broker_epoch: u64,
        /// The controller's current metadata.
        image: MetadataImage,
    },
    /// Controller → broker: registration refused (the broker retries on its `Register` timer).
    RegisterRejected(KafkaError),
    /// Broker → controller, every `broker.heartbeat.interval.ms`.
    Heartbeat {
        /// The broker's epoch, from its registration.
        broker_epoch: u64,
        /// `MetadataImage::version` of the last image the broker applied.
        metadata_version: u64,
    },
    /// Controller → broker: newer metadata when the broker is behind; `stale` when its epoch is old.
    HeartbeatResponse {
        /// The current image, when the broker's version is behind.
        image: Option<MetadataImage>,
        /// The broker epoch is not the controller's registration: register again.
        stale: bool,
    },
    /// Controller → brokers: a new metadata image.
    MetadataUpdate(MetadataImage),
    /// Client → any broker: which broker coordinates group `group` (index into the topology's groups)?
    FindCoordinator {
        /// Group index (into `Topology::groups`).
        group: u32,
    },
    /// Broker → client: the coordinator's broker id, or COORDINATOR_NOT_AVAILABLE.
    FindCoordinatorResponse {
        /// Group index (into `Topology::groups`): Kafka's response names the key it answers;
        /// our clients match the answer to the one lookup they have in flight.
        #[allow(dead_code)]
        group: u32,
        /// Broker id (from 1) of the coordinator: the leader of the group's offsets partition.
        result: Result<u32, KafkaError>,
    },
    /// Consumer → coordinator. `member_id` 0 asks for an id (answered MEMBER_ID_REQUIRED).
    JoinGroup {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Group index (into `Topology::groups`).
        group: u32,
        /// Member id the coordinator gave the member (0: none yet).
        member_id: MemberId,
        /// The consumer's `session.timeout.ms`.
        session_timeout_ms: u64,
        /// How long a rebalance waits for the member (`max.poll.interval.ms`).
        rebalance_timeout_ms: u64,
        /// The member's subscription: topics and owned partitions.
        subscription: Arc<Subscription>,
        /// `group.instance.id` of a static member (KIP-345); `None` for a dynamic one. A thin
        /// pointer, so the message stays within its size budget.
        instance_id: Option<Arc<String>>,
    },
    /// Coordinator → consumer. MEMBER_ID_REQUIRED carries the id to rejoin with.
    JoinGroupResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// The generation joined, or the error with the member id to rejoin with (0 unless
        /// MEMBER_ID_REQUIRED).
        result: Result<JoinResult, (KafkaError, MemberId)>,
    },
    /// Consumer → coordinator; the leader carries the assignment of every member.
    SyncGroup {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Group index (into `Topology::groups`).
        group: u32,
        /// Member id the coordinator gave the member (0: none yet).
        member_id: MemberId,
        /// The generation JoinGroup returned.
        generation: i32,
        /// Leader only (empty otherwise): (member id, partition indices) for every member.
        assignments: Vec<(MemberId, Vec<u32>)>,
    },
    /// Coordinator → consumer: this member's partitions.
    SyncGroupResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// The member's assigned partitions (partition indices).
        result: Result<Vec<u32>, KafkaError>,
    },
    /// Consumer → coordinator (from the client's heartbeat thread).
    GroupHeartbeat {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Group index (into `Topology::groups`).
        group: u32,
        /// Member id the coordinator gave the member (0: none yet).
        member_id: MemberId,
        /// Generation the member believes current.
        generation: i32,
    },
    /// Coordinator → consumer.
    GroupHeartbeatResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// Ok, or the error (REBALANCE_IN_PROGRESS: rejoin; UNKNOWN_MEMBER_ID or
        /// ILLEGAL_GENERATION: rejoin as a new member).
        result: Result<(), KafkaError>,
    },
    /// Consumer → coordinator (KIP-848 `ConsumerGroupHeartbeat`): join with epoch 0, heartbeat
    /// and acknowledge with the current epoch, leave with -1.
    ConsumerGroupHeartbeat {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Group index (into `Topology::groups`).
        group: u32,
        /// The member's id (unknown for a new process).
        member_id: MemberId,
        /// The member epoch it holds (0 to join, -1 to leave).
        member_epoch: i32,
        /// Its rebalance timeout (`max.poll.interval.ms`).
        rebalance_timeout_ms: u64,
        /// Subscribed topics and the partitions it owns now.
        subscription: Arc<Subscription>,
    },
    /// Coordinator → consumer.
    ConsumerGroupHeartbeatResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// The member's id, epoch and assignment, or the error (FENCED_MEMBER_EPOCH,
        /// UNKNOWN_MEMBER_ID: give up every partition and rejoin; NOT_COORDINATOR, ...).
        result: Result<Box<ConsumerHeartbeatResult>, KafkaError>,
    },
    /// Consumer → coordinator: leave the group now.
    LeaveGroup {
        /// Group index (into `Topology::groups`).
        group: u32,
        /// Id of the leaving member.
        member_id: MemberId,
    },
    /// Consumer → coordinator: commit these next offsets.
    OffsetCommit {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Group index (into `Topology::groups`).
        group: u32,
        /// Member id the coordinator gave the member (0: none yet).
        member_id: MemberId,
        /// Generation the member believes current.
        generation: i32,
        /// (partition index, next offset to read) pairs.
        offsets: Arc<[(u32, u64)]>,
    },
    /// Coordinator → consumer.
    OffsetCommitResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// Ok once the commit record is replicated, or the error.
        result: Result<(), KafkaError>,
    },
    /// Consumer → coordinator: the committed offsets of these partitions.
    OffsetFetch {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Group index (into `Topology::groups`).
        group: u32,
        /// Partition indices whose committed offsets are wanted.
        partitions: Vec<u32>,
    },
    /// Coordinator → consumer: committed offset per partition (`None`: no commit).
    OffsetFetchResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// (partition index, committed next offset) pairs, or the error (UNSTABLE_OFFSET_COMMIT
        /// while a transaction holds offsets of one of them).
        result: Result<Vec<(u32, Option<u64>)>, KafkaError>,
    },
    /// Consumer → leader: the high watermark of a partition (`ListOffsets(LATEST)`).
    ListOffsets {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Partition index (into `Topology::partitions`).
        partition: u32,
    },
    /// Leader → consumer.
    ListOffsetsResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// Partition index (into `Topology::partitions`).
        partition: u32,
        /// The leader's high watermark, or NOT_LEADER_OR_FOLLOWER.
        result: Result<u64, KafkaError>,
    },
    /// Consumer → leader (KIP-320, OffsetsForLeaderEpoch v3+ from a consumer): where does
    /// `leader_epoch`, the epoch of the last record the consumer read, end in the leader's log?
    ConsumerEpochEnd {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Partition index (into `Topology::partitions`).
        partition: u32,
        /// The leader epoch the consumer believes current (fenced like a fetch's).
        current_leader_epoch: u32,
        /// The epoch of the consumer's position (its last consumed record's batch).
        leader_epoch: u32,
    },
    /// Leader → consumer.
    ConsumerEpochEndResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// Partition index (into `Topology::partitions`).
        partition: u32,
        /// The largest epoch at or below the asked one and its end offset (`None`: the leader
        /// holds no such epoch, Kafka's UNDEFINED_EPOCH_OFFSET), or NOT_LEADER_OR_FOLLOWER,
        /// FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH.
        result: Result<Option<(u32, u64)>, KafkaError>,
    },
    /// Consumer → leader: records of these partitions; the broker waits up to `max_wait_ms`
    /// for data when it has none. `read_committed` reads up to the last stable offset.
    ConsumerFetch {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Assigned partitions the consumer believes this broker leads, with position and epoch.
        partitions: Vec<FetchPartition>,
        /// `fetch.max.wait.ms`.
        max_wait_ms: u64,
        /// `isolation.level=read_committed`.
        read_committed: bool,
    },
    /// Leader → consumer.
    ConsumerFetchResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// One answer per requested partition.
        partitions: Vec<FetchedPartition>,
    },
    /// Transactional producer → any broker: which broker coordinates transactional id `txn`?
    FindTxnCoordinator {
        /// Transactional id index (into `Topology::txn_ids`).
        txn: u32,
    },
    /// Broker → producer.
    FindTxnCoordinatorResponse {
        /// Transactional id index (into `Topology::txn_ids`), named as Kafka's response names
        /// its key; the producer has one lookup in flight.
        #[allow(dead_code)]
        txn: u32,
        /// Broker id (from 1) of the coordinator: the leader of the id's
        /// `__transaction_state` partition.
        result: Result<u32, KafkaError>,
    },
    /// Producer → transaction coordinator: a producer id and epoch for `txn` (fencing any
    /// older instance), or, without a transactional id, a fresh producer id from any broker (an
    /// idempotent producer resetting its id before KIP-360).
    InitProducerId {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Transactional id index (into `Topology::txn_ids`); `None` for an idempotent producer.
        txn: Option<u32>,
        /// The producer's `transaction.timeout.ms`.
        timeout_ms: u64,
        /// KIP-360 (2.5+): the producer id the caller holds and wants bumped (-1 on the first
        /// `initTransactions()`, as Java sends `ProducerIdAndEpoch.NONE`).
        producer_id: i64,
        /// KIP-360: the epoch the caller holds (-1 with no producer id).
        producer_epoch: i16,
    },
    /// Coordinator → producer: (producer id, epoch).
    InitProducerIdResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// (producer id, producer epoch), or the error.
        result: Result<(i64, i16), KafkaError>,
    },
    /// Producer → coordinator, before the first send to each partition of a transaction.
    AddPartitionsToTxn {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Transactional id index (into `Topology::txn_ids`).
        txn: u32,
        /// Producer id (from InitProducerId).
        producer_id: i64,
        /// Producer epoch (from InitProducerId; fences older instances).
        producer_epoch: i16,
        /// Partition indices joining the transaction.
        partitions: Vec<u32>,
    },
    /// Coordinator → producer.
    AddPartitionsToTxnResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// Ok once the transaction's replicated state record holds the partitions, or the error.
        result: Result<(), KafkaError>,
    },
    /// Producer → coordinator: the group's offsets partition joins the transaction.
    AddOffsetsToTxn {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Transactional id index (into `Topology::txn_ids`).
        txn: u32,
        /// Producer id (from InitProducerId).
        producer_id: i64,
        /// Producer epoch (from InitProducerId; fences older instances).
        producer_epoch: i16,
        /// Group index (into `Topology::groups`).
        group: u32,
    },
    /// Coordinator → producer.
    AddOffsetsToTxnResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// Ok once the transaction's replicated state record holds the group's offsets
        /// partition, or the error.
        result: Result<(), KafkaError>,
    },
    /// Producer → coordinator: commit or abort the ongoing transaction.
    EndTxn {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// Transactional id index (into `Topology::txn_ids`).
        txn: u32,
        /// Producer id (from InitProducerId).
        producer_id: i64,
        /// Producer epoch (from InitProducerId; fences older instances).
        producer_epoch: i16,
        /// Commit (`true`) or abort (`false`).
        commit: bool,
    },
    /// Coordinator → producer: answered once PrepareCommit / PrepareAbort is durable.
    EndTxnResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// Ok once PrepareCommit / PrepareAbort is replicated (at once if that outcome is
        /// already complete), with the producer id and epoch the coordinator now holds (EndTxn
        /// v5: under transactions V2 the epoch the next transaction must use), or the error.
        result: Result<(i64, i16), KafkaError>,
    },
    /// Coordinator → partition leader: append a COMMIT or ABORT marker to these partitions.
    WriteTxnMarkers {
        /// The coordinator's request id, echoed in the response.
        req: ReqId,
        /// Producer id of the transaction.
        producer_id: i64,
        /// Producer epoch of the transaction.
        producer_epoch: i16,
        /// COMMIT (`true`) or ABORT (`false`) markers.
        commit: bool,
        /// Leader epoch of the id's `__transaction_state` partition at the coordinator.
        coordinator_epoch: i32,
        /// Partition indices this broker leads (per the coordinator's metadata).
        partitions: Vec<u32>,
    },
    /// Partition leader → coordinator: per partition, once the marker is replicated (or failed).
    WriteTxnMarkersResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// (partition index, outcome of its marker) for every requested partition.
        results: Vec<(u32, Result<(), KafkaError>)>,
    },
    /// Producer → group coordinator: offsets inside the transaction, with the consumer's group
    /// metadata (KIP-447 fencing); pending until the transaction's marker.
    TxnOffsetCommit {
        /// The client's request id, echoed in the response.
        req: ReqId,
        /// The producer's `transactional.id` (index into `Topology::txn_ids`): the coordinator
        /// verifies the transaction with it (KIP-890).
        txn: u32,
        /// Group index (into `Topology::groups`).
        group: u32,
        /// Producer id (from InitProducerId).
        producer_id: i64,
        /// Producer epoch (from InitProducerId; fences older instances).
        producer_epoch: i16,
        /// The consumer's member id (0: none, unfenced).
        member_id: MemberId,
        /// The consumer's generation (-1: unfenced).
        generation: i32,
        /// (partition index, next offset to read) pairs.
        offsets: Arc<[(u32, u64)]>,
    },
    /// Group coordinator → producer.
    TxnOffsetCommitResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// Ok once the offsets record is replicated, or the error.
        result: Result<(), KafkaError>,
    },
    /// Partition leader or group coordinator → transaction coordinator, before the first
    /// transactional write of a producer to a partition where it has no open transaction
    /// (Kafka's AddPartitionsToTxn v4+ from a broker, sent by `AddPartitionsToTxnManager`):
    /// is the partition in the producer's ongoing transaction (`verify_only`, KIP-890 part 1,
    /// 3.6+), or add it to the transaction (transactions V2, KIP-890 part 2, 4.0+)?
    TxnVerify {
        /// The broker's request id, echoed in the response.
        req: ReqId,
        /// Transactional id index (into `Topology::txn_ids`).
        txn: u32,
        /// Producer id of the write.
        producer_id: i64,
        /// Producer epoch of the write.
        producer_epoch: i16,
        /// Partition index of the write.
        partition: u32,
        /// Only verify (part 1); `false` adds the partition (part 2).
        verify_only: bool,
    },
    /// Transaction coordinator → broker.
    TxnVerifyResponse {
        /// Request id of the request this answers.
        req: ReqId,
        /// Ok when the partition is (or was just added) in the producer's ongoing transaction, or
        /// why not (INVALID_TXN_STATE / TRANSACTION_ABORTABLE, PRODUCER_FENCED, ...).
        result: Result<(), KafkaError>,
    },
    /// Leader → controller: propose new ISRs, every change the broker's AlterPartition manager
    /// had pending, in one request (Kafka's `DefaultAlterPartitionManager` sends one request at
    /// a time, naming every partition whose change waited for it).
    AlterPartition {
        /// One proposal per partition, ascending by partition.
        proposals: Vec<IsrProposal>,
    },
    /// Controller → leader: the result of each proposal, in the request's order.
    AlterPartitionResponse {
        /// Partition index and the partition's new state, or why the proposal was rejected.
        results: Vec<(u32, Result<PartitionState, KafkaError>)>,
    },
}

impl Msg {
    /// A connection's own event (a reset or a refusal), never answered with another.
    pub fn is_connection_event(&self) -> bool {
        matches!(self, Msg::Disconnected | Msg::Refused { .. })
    }

    /// The request id a refusal of this message names: a Produce's (whose batch the producer
    /// then knows unwritten) or a connection attempt's.
    pub fn refused_req(&self) -> Option<ReqId> {
        match self {
            Msg::Produce { req, .. } | Msg::ApiVersions { req } => Some(*req),
            _ => None,
        }
    }

    /// The client's request id, for the consumer requests and responses that carry one.
    pub fn consumer_req(&self) -> Option<ReqId> {
        match self {
            Msg::JoinGroup { req, .. }
            | Msg::JoinGroupResponse { req, .. }
            | Msg::SyncGroup { req, .. }
            | Msg::SyncGroupResponse { req, .. }
            | Msg::GroupHeartbeat { req, .. }
            | Msg::GroupHeartbeatResponse { req, .. }
            | Msg::ConsumerGroupHeartbeat { req, .. }
            | Msg::ConsumerGroupHeartbeatResponse { req, .. }
            | Msg::OffsetCommit { req, .. }
            | Msg::OffsetCommitResponse { req, .. }
            | Msg::OffsetFetch { req, .. }
            | Msg::OffsetFetchResponse { req, .. }
            | Msg::ListOffsets { req, .. }
            | Msg::ListOffsetsResponse { req, .. }
            | Msg::ConsumerEpochEnd { req, .. }
            | Msg::ConsumerEpochEndResponse { req, .. }
            | Msg::ConsumerFetch { req, .. }
            | Msg::ConsumerFetchResponse { req, .. } => Some(*req),
            _ => None,
        }
    }
}
