//! `StreamConsumer`: a member of one of the service's `[[consumer]]` tables. Each `recv()`
//! polls one record (the position is then past it), which counts as processed once handed to
//! the code; `commit_message` and `commit_consumer_state` queue a `commitSync()` of the
//! positions, carried out before the consumer's next call.

use std::marker::PhantomData;
use std::sync::Arc;

use parking_lot::Mutex;

use super::config::{ClientConfig, FromClientConfig};
use super::error::{KafkaError, KafkaResult};
use super::message::{BorrowedMessage, OwnedHeaders, OwnedMessage, Timestamp, RECORD_HEADER};
use crate::app::service::hub::{current, CallFuture, HubState};
use crate::client::driver::{Answer, Step};

/// Synchronous or asynchronous commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitMode {
    /// `commitSync()`.
    Sync,
    /// `commitAsync()`.
    Async,
}

/// What every consumer does.
pub trait Consumer {
    /// Subscribe to `topics` (the table's topics: the model's member subscribes to them).
    fn subscribe(&self, topics: &[&str]) -> KafkaResult<()>;
    /// Commit the position past `msg` (see the module's note).
    fn commit_message(&self, msg: &BorrowedMessage<'_>, mode: CommitMode) -> KafkaResult<()>;
    /// Commit the positions of every assigned partition.
    fn commit_consumer_state(&self, mode: CommitMode) -> KafkaResult<()>;
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
        let s = self.st.lock();
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

    fn commit(&self, mode: CommitMode) {
        let step = match mode {
            CommitMode::Sync => Step::CommitSync,
            CommitMode::Async => Step::CommitAsync,
        };
        self.st.lock().call(self.port, step);
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
        self.commit(mode);
        Ok(())
    }

    fn commit_consumer_state(&self, mode: CommitMode) -> KafkaResult<()> {
        self.commit(mode);
        Ok(())
    }
}
