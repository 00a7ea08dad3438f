//! Kafka's error codes, as typed Rust errors, and the crate's own errors.

use thiserror::Error;

/// A Kafka protocol error, with Kafka's name and numeric code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Error)]
pub enum KafkaError {
    /// 1: the fetch offset is outside the log (after an unclean truncation, say).
    #[error("OFFSET_OUT_OF_RANGE")]
    OffsetOutOfRange,
    /// 6: the broker is not the partition's leader (retriable; refresh metadata).
    #[error("NOT_LEADER_OR_FOLLOWER")]
    NotLeaderOrFollower,
    /// 7: acks=all purgatory expired before the high watermark reached the batch.
    #[error("REQUEST_TIMED_OUT")]
    RequestTimedOut,
    /// 14: the coordinator is still loading the group from its log.
    #[error("COORDINATOR_LOAD_IN_PROGRESS")]
    CoordinatorLoadInProgress,
    /// 15: the group's coordinator cannot serve (its write failed to replicate, say).
    #[error("COORDINATOR_NOT_AVAILABLE")]
    CoordinatorNotAvailable,
    /// 16: this broker does not coordinate the group (rediscover it).
    #[error("NOT_COORDINATOR")]
    NotCoordinator,
    /// 19: ISR smaller than min.insync.replicas, rejected before the append.
    #[error("NOT_ENOUGH_REPLICAS")]
    NotEnoughReplicas,
    /// 20: appended and committed, but ISR fell below min.insync.replicas.
    #[error("NOT_ENOUGH_REPLICAS_AFTER_APPEND")]
    NotEnoughReplicasAfterAppend,
    /// 21: acks is not 0, 1 or -1.
    #[error("INVALID_REQUIRED_ACKS")]
    InvalidRequiredAcks,
    /// 22: the request's generation is not the group's current one.
    #[error("ILLEGAL_GENERATION")]
    IllegalGeneration,
    /// 25: the coordinator does not know this member id.
    #[error("UNKNOWN_MEMBER_ID")]
    UnknownMemberId,
    /// 27: the group is rebalancing; rejoin.
    #[error("REBALANCE_IN_PROGRESS")]
    RebalanceInProgress,
    /// 45: a gap in an idempotent producer's sequence.
    #[error("OUT_OF_ORDER_SEQUENCE_NUMBER")]
    OutOfOrderSequenceNumber,
    /// 47: the producer epoch is older than the broker's.
    #[error("INVALID_PRODUCER_EPOCH")]
    InvalidProducerEpoch,
    /// 74: the request's leader epoch is older than the leader's.
    #[error("FENCED_LEADER_EPOCH")]
    FencedLeaderEpoch,
    /// 75: the request's leader epoch is newer than the broker knows.
    #[error("UNKNOWN_LEADER_EPOCH")]
    UnknownLeaderEpoch,
    /// 48: the request does not fit the transaction's state (EndTxn in Empty, say).
    #[error("INVALID_TXN_STATE")]
    InvalidTxnState,
    /// 49: the producer id does not belong to the transactional id.
    #[error("INVALID_PRODUCER_ID_MAPPING")]
    InvalidProducerIdMapping,
    /// 51: another transition of the transactional id is in progress (retriable).
    #[error("CONCURRENT_TRANSACTIONS")]
    ConcurrentTransactions,
    /// 52: a marker from a coordinator older than the last one the partition saw.
    #[error("TRANSACTION_COORDINATOR_FENCED")]
    TransactionCoordinatorFenced,
    /// 79: a JoinGroup without a member id gets one and must join again with it.
    #[error("MEMBER_ID_REQUIRED")]
    MemberIdRequired,
    /// 88: OffsetFetch with require_stable found pending transactional offsets (retriable).
    #[error("UNSTABLE_OFFSET_COMMIT")]
    UnstableOffsetCommit,
    /// 90: a newer producer with the same transactional id exists.
    #[error("PRODUCER_FENCED")]
    ProducerFenced,
    /// 95: AlterPartition carried a stale partition epoch.
    #[error("INVALID_UPDATE_VERSION")]
    InvalidUpdateVersion,
    /// 101: a broker registered a new incarnation while the old one's session is alive.
    #[error("DUPLICATE_BROKER_REGISTRATION")]
    DuplicateBrokerRegistration,
    /// 107: AlterPartition proposed a fenced replica or one from an old incarnation.
    #[error("INELIGIBLE_REPLICA")]
    IneligibleReplica,
    /// Client side: the connection broke or the request timed out without a response.
    #[error("NETWORK_EXCEPTION")]
    NetworkException,
    /// Client side: the broker's machine refused the connection; the request was not handled.
    #[error("CONNECTION_REFUSED")]
    ConnectionRefused,
    /// Client side: delivery.timeout.ms expired (Java's TimeoutException).
    #[error("TIMEOUT (delivery.timeout.ms expired)")]
    DeliveryTimeout,
    /// Client side: the producer instance died with the batch unresolved.
    #[error("PRODUCER_CRASHED")]
    ProducerCrashed,
    /// Client side: the run ended with the batch unresolved.
    #[error("UNRESOLVED_AT_END")]
    UnresolvedAtEnd,
    /// Client side: `commitSync()` gave up after `default.api.timeout.ms` (Java's TimeoutException).
    #[error("TIMEOUT (default.api.timeout.ms expired)")]
    ApiTimeout,
    /// Client side: a commit while the member has no stable generation (Java's
    /// `CommitFailedException` raised without a request).
    #[error("COMMIT_FAILED (not a member of a stable generation)")]
    CommitFailed,
    /// Client side: no committed offset and `auto.offset.reset=none`.
    #[error("NO_OFFSET_FOR_PARTITION")]
    NoOffsetForPartition,
    /// Client side: KIP-320 validation found the log truncated below the consumer's position
    /// and `auto.offset.reset=none` (Java's `LogTruncationException`).
    #[error("LOG_TRUNCATION")]
    LogTruncation,
    /// Client side: the consumer process died before the request finished.
    #[error("CONSUMER_CRASHED")]
    ConsumerCrashed,
    /// 82: another process took over this member's `group.instance.id` (KIP-345); fatal.
    #[error("FENCED_INSTANCE_ID")]
    FencedInstanceId,
    /// 120: the transaction can only be aborted (KIP-890, 3.8+: a write to a partition that
    /// is not in the producer's ongoing transaction, say); the producer aborts and carries on.
    /// (Last, so that the trace hash of every other error keeps its value.)
    #[error("TRANSACTION_ABORTABLE")]
    TransactionAbortable,
    /// 59: before 2.5, a leader with no state for the producer id (expired, or truncated away)
    /// refuses a batch that does not start at sequence 0 (`ProducerStateManager.checkSequence`).
    /// (After the others, so that their trace hashes keep their values.)
    #[error("UNKNOWN_PRODUCER_ID")]
    UnknownProducerId,
    /// 110: a KIP-848 member's epoch is not the coordinator's (nor its previous one with a
    /// subset of its partitions): it must give up every partition and rejoin with epoch 0.
    #[error("FENCED_MEMBER_EPOCH")]
    FencedMemberEpoch,
    /// 113: an OffsetCommit of a KIP-848 member carries an epoch that is not its current one.
    #[error("STALE_MEMBER_EPOCH")]
    StaleMemberEpoch,
    /// 70: the leader has no fetch session of that id (KIP-227; it restarted, say): the
    /// follower opens a new session with a full fetch.
    #[error("FETCH_SESSION_ID_NOT_FOUND")]
    FetchSessionIdNotFound,
}

impl KafkaError {
    /// Kafka's numeric error code (-1 for client-side conditions with no wire code).
    pub fn code(self) -> i16 {
        match self {
            KafkaError::OffsetOutOfRange => 1,
            KafkaError::NotLeaderOrFollower => 6,
            KafkaError::CoordinatorLoadInProgress => 14,
            KafkaError::CoordinatorNotAvailable => 15,
            KafkaError::NotCoordinator => 16,
            KafkaError::IllegalGeneration => 22,
            KafkaError::UnknownMemberId => 25,
            KafkaError::RebalanceInProgress => 27,
            KafkaError::MemberIdRequired => 79,
            KafkaError::FencedInstanceId => 82,
            KafkaError::InvalidTxnState => 48,
            KafkaError::InvalidProducerIdMapping => 49,
            KafkaError::UnknownProducerId => 59,
            KafkaError::ConcurrentTransactions => 51,
            KafkaError::TransactionCoordinatorFenced => 52,
            KafkaError::UnstableOffsetCommit => 88,
            KafkaError::ProducerFenced => 90,
            KafkaError::RequestTimedOut => 7,
            KafkaError::NotEnoughReplicas => 19,
            KafkaError::NotEnoughReplicasAfterAppend => 20,
            KafkaError::InvalidRequiredAcks => 21,
            KafkaError::OutOfOrderSequenceNumber => 45,
            KafkaError::InvalidProducerEpoch => 47,
            KafkaError::FencedLeaderEpoch => 74,
            KafkaError::UnknownLeaderEpoch => 75,
            KafkaError::NetworkException => 13,
            KafkaError::InvalidUpdateVersion => 95,
            KafkaError::DuplicateBrokerRegistration => 101,
            KafkaError::IneligibleReplica => 107,
            KafkaError::TransactionAbortable => 120,
            KafkaError::FencedMemberEpoch => 110,
            KafkaError::StaleMemberEpoch => 113,
            KafkaError::FetchSessionIdNotFound => 70,
            _ => -1,
        }
    }

    /// Whether the Java client retries this error.
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            KafkaError::NotLeaderOrFollower
                | KafkaError::RequestTimedOut
                | KafkaError::NotEnoughReplicas
                | KafkaError::NotEnoughReplicasAfterAppend
                | KafkaError::FencedLeaderEpoch
                | KafkaError::UnknownLeaderEpoch
                | KafkaError::NetworkException
                | KafkaError::ConnectionRefused
                | KafkaError::CoordinatorLoadInProgress
                | KafkaError::CoordinatorNotAvailable
                | KafkaError::NotCoordinator
        )
    }
}
