//! Consumers: [`StreamConsumer`] (a member of one of the service's `[[consumer]]` tables), the
//! [`Consumer`] trait, and [`ConsumerContext`] with its rebalance and commit callbacks.
//!
//! The calls that block in rdkafka (commits with [`CommitMode::Sync`], `seek`) return at once
//! here; each is carried out before any later call or sleep of the service goes ahead, and an
//! error it ends with is returned by the consumer's next commit. Reads (`position()`,
//! `assignment()`, `committed()`, `group_metadata()`) see the consumer as of its last call.

pub mod base_consumer;
pub mod stream_consumer;

pub use base_consumer::BaseConsumer;
pub use stream_consumer::{MessageStream, StreamConsumer};

use std::sync::Arc;

use super::client::ClientContext;
use super::error::{KafkaError, KafkaResult};
use super::message::BorrowedMessage;
use super::topic_partition_list::{Offset, TopicPartitionList};
use super::util::Timeout;
use crate::record::MemberId;

/// A rebalance, as the context's callbacks see it.
#[derive(Debug, Clone)]
pub enum Rebalance<'a> {
    /// These partitions were assigned.
    Assign(&'a TopicPartitionList),
    /// These partitions were revoked.
    Revoke(&'a TopicPartitionList),
    /// The rebalance failed (never given by the simulation).
    Error(KafkaError),
}

/// A consumer's user-defined context: callbacks run on the service's task, from inside the
/// consumer's calls (see docs/services.md, "Stage 4", for when).
#[allow(unused_variables)]
pub trait ConsumerContext: ClientContext + Sized {
    /// Before the consumer takes a rebalance's change: `Revoke` of what it gives up, then
    /// `Assign` of what it gets.
    fn pre_rebalance(&self, base_consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {}

    /// After the consumer took a rebalance's change.
    fn post_rebalance(&self, base_consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {}

    /// A commit of the consumer ended (explicit, or librdkafka's auto-commit): its result and
    /// offsets.
    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {}
}

/// A context with no callbacks.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultConsumerContext;

impl ClientContext for DefaultConsumerContext {}
impl ConsumerContext for DefaultConsumerContext {}

/// Synchronous or asynchronous commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitMode {
    /// `commitSync()`.
    Sync,
    /// `commitAsync()`.
    Async,
}

/// The group's rebalance protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebalanceProtocol {
    /// Not in a group.
    None,
    /// Every partition is revoked before a rebalance.
    Eager,
    /// Incremental cooperative rebalancing (KIP-429, `cooperative-sticky`).
    Cooperative,
}

/// What `send_offsets_to_transaction` needs of the consumer's group: its id, the member's id
/// and generation (KIP-447 fences a commit of a stale generation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupMetadata {
    pub(crate) group: u32,
    pub(crate) member_id: MemberId,
    pub(crate) generation: i32,
}

/// What every consumer does (rdkafka's `Consumer` trait, without its metadata and admin calls).
pub trait Consumer<C: ConsumerContext = DefaultConsumerContext> {
    /// The consumer's context.
    fn context(&self) -> &Arc<C>;
    /// The group, member and generation, for `send_offsets_to_transaction`.
    fn group_metadata(&self) -> Option<ConsumerGroupMetadata>;
    /// Subscribe to `topics` (the table's topics: the model's member subscribes to them).
    fn subscribe(&self, topics: &[&str]) -> KafkaResult<()>;
    /// Manual assignment: not modelled (an error saying so).
    fn assign(&self, assignment: &TopicPartitionList) -> KafkaResult<()>;
    /// Drop a manual assignment: not modelled (an error saying so).
    fn unassign(&self) -> KafkaResult<()>;
    /// Read `topic`/`partition` from `offset` next (an assigned partition only): what is
    /// buffered for it is dropped.
    fn seek<T: Into<Timeout>>(&self, topic: &str, partition: i32, offset: Offset, timeout: T) -> KafkaResult<()>;
    /// Commit these offsets (each the offset of the next record to read), not the positions.
    fn commit(&self, topic_partition_list: &TopicPartitionList, mode: CommitMode) -> KafkaResult<()>;
    /// Commit the positions of every assigned partition (a librdkafka member: its stored offsets).
    fn commit_consumer_state(&self, mode: CommitMode) -> KafkaResult<()>;
    /// Commit the position past `msg` (docs/services.md: the consumer's positions).
    fn commit_message(&self, message: &BorrowedMessage<'_>, mode: CommitMode) -> KafkaResult<()>;
    /// Store `offset + 1` of `topic`/`partition` for the next commit (librdkafka's offset store).
    fn store_offset(&self, topic: &str, partition: i32, offset: i64) -> KafkaResult<()>;
    /// Store the offset past `message` for the next commit.
    fn store_offset_from_message(&self, message: &BorrowedMessage<'_>) -> KafkaResult<()>;
    /// Store these offsets for the next commit (`enable.auto.offset.store` must be false).
    fn store_offsets(&self, tpl: &TopicPartitionList) -> KafkaResult<()>;
    /// The subscribed topics (partition -1 each).
    fn subscription(&self) -> KafkaResult<TopicPartitionList>;
    /// The assigned partitions.
    fn assignment(&self) -> KafkaResult<TopicPartitionList>;
    /// The committed offset of each assigned partition, as the consumer knows it.
    fn committed<T>(&self, timeout: T) -> KafkaResult<TopicPartitionList>
    where
        T: Into<Timeout>,
        Self: Sized;
    /// The committed offsets of these partitions, as the consumer knows them.
    fn committed_offsets<T>(&self, tpl: TopicPartitionList, timeout: T) -> KafkaResult<TopicPartitionList>
    where
        T: Into<Timeout>;
    /// Each assigned partition with its position (the offset of the next record to read).
    fn position(&self) -> KafkaResult<TopicPartitionList>;
    /// Stop fetching and handing out these assigned partitions' records.
    fn pause(&self, partitions: &TopicPartitionList) -> KafkaResult<()>;
    /// Fetch and hand out these partitions' records again.
    fn resume(&self, partitions: &TopicPartitionList) -> KafkaResult<()>;
    /// The group's rebalance protocol.
    fn rebalance_protocol(&self) -> RebalanceProtocol;
}
