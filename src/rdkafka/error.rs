//! rdkafka's error types.

/// A Kafka error code, named as rdkafka's `RDKafkaErrorCode` names it (librdkafka's local
/// errors negative, the protocol's positive): the codes the simulation gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RDKafkaErrorCode {
    /// Generic failure (a local error without a closer code).
    Fail = -196,
    /// The connection to a broker failed.
    BrokerTransportFailure = -195,
    /// Queue full (a `[[producer]]` table's `records` are used up).
    QueueFull = -184,
    /// Invalid argument (an output record with no input to name).
    InvalidArgument = -186,
    /// The record was not delivered within `delivery.timeout.ms` (`message.timeout.ms`).
    MessageTimedOut = -192,
    /// A blocking call timed out.
    OperationTimedOut = -185,
    /// The call is not valid in the client's state.
    State = -172,
    /// The producer hit a fatal error and must be recreated.
    Fatal = -150,
    /// The producer was fenced by a newer instance.
    Fenced = -144,
    /// No committed offset and `auto.offset.reset=error`.
    AutoOffsetReset = -140,
    /// The log was truncated below the position (KIP-320).
    LogTruncation = -139,
    /// The offset is outside the log.
    OffsetOutOfRange = 1,
    /// No such topic or partition.
    UnknownTopicOrPartition = 3,
    /// Not the partition's leader (NOT_LEADER_OR_FOLLOWER).
    NotLeaderForPartition = 6,
    /// The request timed out.
    RequestTimedOut = 7,
    /// The connection broke.
    NetworkException = 13,
    /// The coordinator is loading.
    CoordinatorLoadInProgress = 14,
    /// No coordinator.
    CoordinatorNotAvailable = 15,
    /// Not the coordinator.
    NotCoordinator = 16,
    /// Fewer in-sync replicas than `min.insync.replicas`.
    NotEnoughReplicas = 19,
    /// Written, but fewer in-sync replicas than required.
    NotEnoughReplicasAfterAppend = 20,
    /// Invalid `acks`.
    InvalidRequiredAcks = 21,
    /// A stale group generation.
    IllegalGeneration = 22,
    /// The group does not know the member.
    UnknownMemberId = 25,
    /// The group is rebalancing.
    RebalanceInProgress = 27,
    /// An idempotent producer's sequence gap.
    OutOfOrderSequenceNumber = 45,
    /// A stale producer epoch.
    InvalidProducerEpoch = 47,
    /// The transaction is in the wrong state.
    InvalidTransactionalState = 48,
    /// The coordinator does not know the producer id.
    InvalidProducerIdMapping = 49,
    /// The previous transaction is still completing.
    ConcurrentTransactions = 51,
    /// A stale transaction coordinator.
    TransactionCoordinatorFenced = 52,
    /// The partition does not know the producer id.
    UnknownProducerId = 59,
    /// The broker has no fetch session of that id.
    FetchSessionIdNotFound = 70,
    /// A stale leader epoch.
    FencedLeaderEpoch = 74,
    /// A leader epoch newer than the broker's.
    UnknownLeaderEpoch = 75,
    /// JoinGroup must be sent again with the member id.
    MemberIdRequired = 79,
    /// A newer member has the static `group.instance.id`.
    FencedInstanceId = 82,
    /// A transactional offset commit is pending.
    UnstableOffsetCommit = 88,
    /// The producer was fenced (PRODUCER_FENCED).
    ProducerFenced = 90,
    /// A stale partition-state update.
    InvalidUpdateVersion = 95,
    /// A stale member epoch (KIP-848).
    FencedMemberEpoch = 110,
    /// A stale member epoch in an offset commit (KIP-848).
    StaleMemberEpoch = 113,
    /// Not implemented (here: the modelled client lacks the feature, e.g. a Java member's
    /// offset store).
    NotImplemented = -170,
    /// No offset to commit.
    NoOffset = -168,
    /// No such partition (a local error).
    UnknownPartition = -190,
}

impl From<crate::error::KafkaError> for RDKafkaErrorCode {
    /// The rdkafka code of a simulated Kafka error.
    fn from(e: crate::error::KafkaError) -> Self {
        use crate::error::KafkaError as E;
        match e {
            E::OffsetOutOfRange => RDKafkaErrorCode::OffsetOutOfRange,
            E::NotLeaderOrFollower => RDKafkaErrorCode::NotLeaderForPartition,
            E::RequestTimedOut => RDKafkaErrorCode::RequestTimedOut,
            E::CoordinatorLoadInProgress => RDKafkaErrorCode::CoordinatorLoadInProgress,
            E::CoordinatorNotAvailable => RDKafkaErrorCode::CoordinatorNotAvailable,
            E::NotCoordinator => RDKafkaErrorCode::NotCoordinator,
            E::NotEnoughReplicas => RDKafkaErrorCode::NotEnoughReplicas,
            E::NotEnoughReplicasAfterAppend => RDKafkaErrorCode::NotEnoughReplicasAfterAppend,
            E::InvalidRequiredAcks => RDKafkaErrorCode::InvalidRequiredAcks,
            E::IllegalGeneration => RDKafkaErrorCode::IllegalGeneration,
            E::UnknownMemberId => RDKafkaErrorCode::UnknownMemberId,
            E::RebalanceInProgress => RDKafkaErrorCode::RebalanceInProgress,
            E::OutOfOrderSequenceNumber => RDKafkaErrorCode::OutOfOrderSequenceNumber,
            E::InvalidProducerEpoch => RDKafkaErrorCode::InvalidProducerEpoch,
            E::FencedLeaderEpoch => RDKafkaErrorCode::FencedLeaderEpoch,
            E::UnknownLeaderEpoch => RDKafkaErrorCode::UnknownLeaderEpoch,
            E::InvalidTxnState => RDKafkaErrorCode::InvalidTransactionalState,
            E::InvalidProducerIdMapping => RDKafkaErrorCode::InvalidProducerIdMapping,
            E::ConcurrentTransactions => RDKafkaErrorCode::ConcurrentTransactions,
            E::TransactionCoordinatorFenced => RDKafkaErrorCode::TransactionCoordinatorFenced,
            E::MemberIdRequired => RDKafkaErrorCode::MemberIdRequired,
            E::UnstableOffsetCommit => RDKafkaErrorCode::UnstableOffsetCommit,
            E::ProducerFenced => RDKafkaErrorCode::ProducerFenced,
            E::InvalidUpdateVersion => RDKafkaErrorCode::InvalidUpdateVersion,
            E::DuplicateBrokerRegistration => RDKafkaErrorCode::Fail,
            E::IneligibleReplica => RDKafkaErrorCode::Fail,
            E::NetworkException => RDKafkaErrorCode::NetworkException,
            E::ConnectionRefused => RDKafkaErrorCode::BrokerTransportFailure,
            E::DeliveryTimeout => RDKafkaErrorCode::MessageTimedOut,
            E::ProducerCrashed => RDKafkaErrorCode::Fail,
            E::UnresolvedAtEnd => RDKafkaErrorCode::Fail,
            E::ApiTimeout => RDKafkaErrorCode::OperationTimedOut,
            E::CommitFailed => RDKafkaErrorCode::IllegalGeneration,
            E::NoOffsetForPartition => RDKafkaErrorCode::AutoOffsetReset,
            E::LogTruncation => RDKafkaErrorCode::LogTruncation,
            E::ConsumerCrashed => RDKafkaErrorCode::Fail,
            E::FencedInstanceId => RDKafkaErrorCode::FencedInstanceId,
            E::TransactionAbortable => RDKafkaErrorCode::Fail,
            E::UnknownProducerId => RDKafkaErrorCode::UnknownProducerId,
            E::FencedMemberEpoch => RDKafkaErrorCode::FencedMemberEpoch,
            E::StaleMemberEpoch => RDKafkaErrorCode::StaleMemberEpoch,
            E::FetchSessionIdNotFound => RDKafkaErrorCode::FetchSessionIdNotFound,
        }
    }
}

impl std::fmt::Display for RDKafkaErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?} ({})", *self as i32)
    }
}

/// A transaction call's error, with what the application must do about it (librdkafka's
/// `rd_kafka_error_t`: fatal, retriable, or the transaction must be aborted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RDKafkaError {
    code: RDKafkaErrorCode,
    fatal: bool,
    retriable: bool,
    abort: bool,
}

impl RDKafkaError {
    /// The error of a transactional call that failed with `e` (Java's classification:
    /// fenced and invalid-state errors are fatal; the others make the transaction abortable).
    pub(crate) fn txn(e: crate::error::KafkaError) -> Self {
        use crate::error::KafkaError as E;
        let fatal = matches!(
            e,
            E::ProducerFenced | E::InvalidProducerEpoch | E::InvalidTxnState | E::TransactionCoordinatorFenced
        );
        RDKafkaError { code: e.into(), fatal, retriable: e.is_retriable(), abort: !fatal }
    }

    /// The error code.
    pub fn code(&self) -> RDKafkaErrorCode {
        self.code
    }

    /// Whether the producer is unusable (it must be recreated).
    pub fn is_fatal(&self) -> bool {
        self.fatal
    }

    /// Whether the call may be retried.
    pub fn is_retriable(&self) -> bool {
        self.retriable
    }

    /// Whether the transaction must be aborted (`abort_transaction()`) before going on.
    pub fn txn_requires_abort(&self) -> bool {
        self.abort
    }
}

/// What a configuration check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RDKafkaConfRes {
    /// Unknown configuration name.
    Unknown,
    /// Invalid configuration value.
    Invalid,
    /// Configuration okay.
    Ok,
}

/// rdkafka's error: which operation failed, with Kafka's code or a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KafkaError {
    /// A configuration key or value is wrong: (result, description, key, value).
    ClientConfig(RDKafkaConfRes, String, String, String),
    /// The client could not be created.
    ClientCreation(String),
    /// An offset commit failed.
    ConsumerCommit(RDKafkaErrorCode),
    /// Consuming a message failed.
    MessageConsumption(RDKafkaErrorCode),
    /// Producing a message failed.
    MessageProduction(RDKafkaErrorCode),
    /// A subscription failed.
    Subscription(String),
    /// A flush failed.
    Flush(RDKafkaErrorCode),
    /// A transaction call failed.
    Transaction(RDKafkaError),
    /// Setting a partition's offset in a list failed.
    SetPartitionOffset(RDKafkaErrorCode),
    /// A seek failed.
    Seek(String),
    /// Storing an offset failed.
    StoreOffset(RDKafkaErrorCode),
    /// Fetching committed offsets failed.
    OffsetFetch(RDKafkaErrorCode),
    /// The operation was canceled (its client's service is over).
    Canceled,
    /// Fetching metadata failed (rdkafka's error of `assignment()`, `committed()`, `position()`).
    MetadataFetch(RDKafkaErrorCode),
    /// Pausing or resuming partitions failed.
    PauseResume(String),
    /// A rebalance failed (`Rebalance::Error`).
    Rebalance(RDKafkaErrorCode),
}

impl KafkaError {
    /// The error's code, if it has one.
    pub fn rdkafka_error_code(&self) -> Option<RDKafkaErrorCode> {
        match self {
            KafkaError::ConsumerCommit(c)
            | KafkaError::MessageConsumption(c)
            | KafkaError::MessageProduction(c)
            | KafkaError::Flush(c)
            | KafkaError::SetPartitionOffset(c)
            | KafkaError::StoreOffset(c)
            | KafkaError::OffsetFetch(c)
            | KafkaError::MetadataFetch(c)
            | KafkaError::Rebalance(c) => Some(*c),
            KafkaError::Transaction(e) => Some(e.code),
            _ => None,
        }
    }
}

impl std::fmt::Display for KafkaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KafkaError::ClientConfig(_, desc, ..) => write!(f, "Client config error: {desc}"),
            KafkaError::ClientCreation(e) => write!(f, "Client creation error: {e}"),
            KafkaError::ConsumerCommit(e) => write!(f, "Consumer commit error: {e}"),
            KafkaError::MessageConsumption(e) => write!(f, "Message consumption error: {e}"),
            KafkaError::MessageProduction(e) => write!(f, "Message production error: {e}"),
            KafkaError::Subscription(e) => write!(f, "Subscription error: {e}"),
            KafkaError::Flush(e) => write!(f, "Flush error: {e}"),
            KafkaError::Transaction(e) => write!(f, "Transaction error: {}", e.code),
            KafkaError::SetPartitionOffset(e) => write!(f, "Set partition offset error: {e}"),
            KafkaError::Seek(e) => write!(f, "Seek error: {e}"),
            KafkaError::StoreOffset(e) => write!(f, "Store offset error: {e}"),
            KafkaError::OffsetFetch(e) => write!(f, "Offset fetch error: {e}"),
            KafkaError::Canceled => f.write_str("Operation canceled"),
            KafkaError::MetadataFetch(e) => write!(f, "Meta data fetch error: {e}"),
            KafkaError::PauseResume(e) => write!(f, "Pause/resume error: {e}"),
            KafkaError::Rebalance(e) => write!(f, "Rebalance error: {e}"),
        }
    }
}

impl std::error::Error for KafkaError {}

/// rdkafka's result.
pub type KafkaResult<T> = Result<T, KafkaError>;
