//! `StreamConsumer`: a member of one of the service's `[[consumer]]` tables. Each `recv()`
//! polls one record (the position is then past it), which counts as processed once handed to
//! the code. The calls that block in rdkafka (`commit_message`, `commit_consumer_state`,
//! `seek`) return at once here; each is carried out before any later call or sleep of the
//! service goes ahead, and an error it ends with is returned by the consumer's next such call.
//! `position()` and `group_metadata()` read the consumer as of its last call.

use std::marker::PhantomData;
use std::sync::Arc;

use parking_lot::Mutex;

use super::config::{ClientConfig, FromClientConfig};
use super::error::RDKafkaErrorCode;
use super::error::{KafkaError, KafkaResult};
use super::message::{BorrowedMessage, OwnedHeaders, OwnedMessage, Timestamp, RECORD_HEADER};
use super::topic_partition_list::{Offset, TopicPartitionList};
use super::util::Timeout;
use crate::app::service::hub::{current, CallFuture, HubState};
use crate::client::driver::{Answer, Step};
use crate::record::MemberId;

/// Synchronous or asynchronous commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitMode {
    /// `commitSync()`.
    Sync,
    /// `commitAsync()`.
    Async,
}

/// What `send_offsets_to_transaction` needs of the consumer's group: its id, the member's id
/// and generation (KIP-447 fences a commit of a stale generation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerGroupMetadata {
    pub(crate) group: u32,
    pub(crate) member_id: MemberId,
    pub(crate) generation: i32,
}

/// What every consumer does.
pub trait Consumer {
    /// Subscribe to `topics` (the table's topics: the model's member subscribes to them).
    fn subscribe(&self, topics: &[&str]) -> KafkaResult<()>;
    /// Commit the position past `msg` (see the module's note).
    fn commit_message(&self, msg: &BorrowedMessage<'_>, mode: CommitMode) -> KafkaResult<()>;
    /// Commit the positions of every assigned partition.
    fn commit_consumer_state(&self, mode: CommitMode) -> KafkaResult<()>;
    /// Each assigned partition with its position (the offset of the next record to read).
    fn position(&self) -> KafkaResult<TopicPartitionList>;
    /// The group, member and generation, for `send_offsets_to_transaction`.
    fn group_metadata(&self) -> Option<ConsumerGroupMetadata>;
    /// Read `topic`/`partition` from `offset` next (an assigned partition only): what is
    /// buffered for it is dropped.
    fn seek<T: Into<Timeout>>(&self, topic: &str, partition: i32, offset: Offset, timeout: T) -> KafkaResult<()>;
}

/// A consumer of a service: instance K of one of the service's `[[consumer]]` tables.
#[derive(Debug, Clone)]
pub struct StreamConsumer {
    st: Arc<Mutex<HubState>>,
    port: usize,
    table: usize,
}

impl FromClientConfig for StreamConsumer {
    fn from_config(config: &ClientConfig) -> KafkaResult<Self> {
        let st = current().ok_or_else(|| {
            KafkaError::ClientCreation("a StreamConsumer is created inside a service's code only".into())
        })?;
        let (port, table) = {
            let mut s = st.lock();
            let base = s.producers.len();
            let Some(table) = (0..s.consumers.len()).find(|&i| !s.ports[base + i].created) else {
                return Err(KafkaError::ClientCreation(
                    "each [[consumer]] table of the service has its consumer already".into(),
                ));
            };
            let group = &s.consumers[table].group;
            if config.get("group.id") != Some(group.as_str()) {
                return Err(KafkaError::ClientCreation(format!(
                    "group.id must be `{group}`, the group of [[consumer]] {}",
                    s.consumers[table].name
                )));
            }
            s.ports[base + table].created = true;
            (base + table, table)
        };
        Ok(StreamConsumer { st, port, table })
    }
}

impl StreamConsumer {
    /// The next message (after the table's `processing_ms`, the record counts as processed).
    pub async fn recv(&self) -> Result<BorrowedMessage<'_>, KafkaError> {
        let d = loop {
            let call = CallFuture { st: self.st.clone(), port: self.port, step: Some(Step::Poll), id: 0 };
            if let Answer::Records(batch) = call.await {
                if let Some(d) = batch.first() {
                    break *d;
                }
            }
        };
        CallFuture { st: self.st.clone(), port: self.port, step: Some(Step::Process(d)), id: 0 }.await;
        let mut s = self.st.lock();
        s.last_input = Some(d.record);
        let run = s.run.lock();
        let (topic, partition) = run.partition_name(d.partition);
        let name = run.producer_names.get(d.record.producer as usize).cloned().unwrap_or_default();
        let id = format!("{name}#{}", d.record.index);
        let payload = run.payloads.get(&(d.record.producer, d.record.index)).cloned().unwrap_or_else(|| {
            crate::app::service::hub::Payload { value: Some(id.clone().into_bytes()), ..Default::default() }
        });
        let mut headers = OwnedHeaders { list: payload.headers };
        headers.list.push((RECORD_HEADER.to_string(), Some(id.into_bytes())));
        let msg = OwnedMessage {
            key: payload.key,
            payload: payload.value,
            topic,
            partition,
            offset: d.offset as i64,
            timestamp: payload.timestamp.map_or(Timestamp::NotAvailable, Timestamp::CreateTime),
            headers: Some(headers),
        };
        Ok(BorrowedMessage { msg, _consumer: PhantomData })
    }

    fn commit(&self, mode: CommitMode) -> KafkaResult<()> {
        let mut s = self.st.lock();
        if let Some(e) = s.take_error(self.port) {
            return Err(KafkaError::ConsumerCommit(e.into()));
        }
        match mode {
            CommitMode::Sync => s.call_blocking(self.port, Step::CommitSync),
            CommitMode::Async => _ = s.call(self.port, Step::CommitAsync),
        }
        Ok(())
    }
}

impl Consumer for StreamConsumer {
    fn subscribe(&self, topics: &[&str]) -> KafkaResult<()> {
        let s = self.st.lock();
        let table = &s.consumers[self.table];
        let mut want: Vec<&str> = topics.to_vec();
        want.sort_unstable();
        let mut have: Vec<&str> = table.topics.iter().map(String::as_str).collect();
        have.sort_unstable();
        if want != have {
            return Err(KafkaError::Subscription(format!(
                "[[consumer]] {} subscribes to {:?} (stage 1: the table's topics)",
                table.name, table.topics
            )));
        }
        Ok(())
    }

    fn commit_message(&self, _msg: &BorrowedMessage<'_>, mode: CommitMode) -> KafkaResult<()> {
        self.commit(mode)
    }

    fn commit_consumer_state(&self, mode: CommitMode) -> KafkaResult<()> {
        self.commit(mode)
    }

    fn position(&self) -> KafkaResult<TopicPartitionList> {
        let s = self.st.lock();
        let run = s.run.lock();
        let mut tpl = TopicPartitionList::new();
        for &(p, pos) in &s.ports[self.port].view.positions {
            let (topic, partition) = run.partition_name(p);
            let offset = pos.map_or(Offset::Invalid, |o| Offset::Offset(o as i64));
            tpl.add_partition_offset(&topic, partition, offset)?;
        }
        Ok(tpl)
    }

    fn group_metadata(&self) -> Option<ConsumerGroupMetadata> {
        let s = self.st.lock();
        let v = &s.ports[self.port].view;
        Some(ConsumerGroupMetadata { group: v.group, member_id: v.member_id, generation: v.generation })
    }

    fn seek<T: Into<Timeout>>(&self, topic: &str, partition: i32, offset: Offset, timeout: T) -> KafkaResult<()> {
        let _ = timeout.into();
        let mut s = self.st.lock();
        let p = s.run.lock().partition_index(topic, partition);
        let assigned = p.filter(|p| s.ports[self.port].view.positions.iter().any(|(x, _)| x == p));
        let (Some(p), Offset::Offset(o)) = (assigned, offset) else {
            // librdkafka: seeking a partition that is not assigned fails with __STATE; offsets
            // other than a number are not modelled.
            return Err(KafkaError::Seek(format!("{}: {topic}/{partition} at {offset:?}", RDKafkaErrorCode::State)));
        };
        s.call_blocking(self.port, Step::Seek(p, o.max(0) as u64));
        Ok(())
    }
}
