//! `StreamConsumer`: a member of one of the service's `[[consumer]]` tables. Each `recv()` polls
//! one record (the position is then past it), which counts as processed once handed to the code.

use std::marker::PhantomData;
use std::sync::Arc;

use super::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, ConsumerGroupMetadata, DefaultConsumerContext,
    RebalanceProtocol,
};
use crate::app::service::hub::{current, CallFuture, Payload};
use crate::client::driver::{Answer, Step};
use crate::rdkafka::config::{ClientConfig, FromClientConfig, FromClientConfigAndContext};
use crate::rdkafka::error::{KafkaError, KafkaResult};
use crate::rdkafka::message::{BorrowedMessage, OwnedHeaders, OwnedMessage, Timestamp, RECORD_HEADER};
use crate::rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use crate::rdkafka::util::Timeout;

/// A consumer of a service: instance K of one of the service's `[[consumer]]` tables.
pub struct StreamConsumer<C: ConsumerContext = DefaultConsumerContext> {
    base: Arc<BaseConsumer<C>>,
}

impl<C: ConsumerContext> std::fmt::Debug for StreamConsumer<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamConsumer").field("base", &self.base).finish()
    }
}

impl FromClientConfig for StreamConsumer {
    fn from_config(config: &ClientConfig) -> KafkaResult<Self> {
        StreamConsumer::from_config_and_context(config, DefaultConsumerContext)
    }
}

impl<C: ConsumerContext + 'static> FromClientConfigAndContext<C> for StreamConsumer<C> {
    fn from_config_and_context(config: &ClientConfig, context: C) -> KafkaResult<Self> {
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
            // A context of the code's own may have rebalance callbacks: a waiting `recv()` then
            // returns to run them when the assignment changes (librdkafka serves them from its
            // poll). The default context has none, and its `recv()` waits for records only.
            s.ports[base + table].rebalance_events =
                std::any::TypeId::of::<C>() != std::any::TypeId::of::<DefaultConsumerContext>();
            (base + table, table)
        };
        Ok(StreamConsumer { base: Arc::new(BaseConsumer::new(st, port, table, context)) })
    }
}

impl<C: ConsumerContext> StreamConsumer<C> {
    /// The next message (after the table's `processing_ms`, the record counts as processed).
    /// The context's callbacks run first for what the consumer's calls brought (commits that
    /// ended, a changed assignment).
    pub async fn recv(&self) -> Result<BorrowedMessage<'_>, KafkaError> {
        let (st, port) = (self.base.st.clone(), self.base.port);
        self.base.serve_events();
        let d = loop {
            let call = CallFuture { st: st.clone(), port, step: Some(Step::Poll), id: 0 };
            let answer = call.await;
            self.base.serve_events();
            if let Answer::Records(batch) = answer {
                if let Some(d) = batch.first() {
                    break d;
                }
            }
        };
        CallFuture { st: st.clone(), port, step: Some(Step::Process(d)), id: 0 }.await;
        let mut s = st.lock();
        s.last_input = Some(d.record);
        let run = s.run.lock();
        let (topic, partition) = run.partition_name(d.partition);
        let name = run.producer_names.get(d.record.producer as usize).cloned().unwrap_or_default();
        let id = format!("{name}#{}", d.record.index);
        let payload = run
            .payloads
            .get(&(d.record.producer, d.record.index))
            .cloned()
            .unwrap_or_else(|| Payload { value: Some(id.clone().into_bytes()), ..Default::default() });
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

    /// The messages as a stream: `while let Some(m) = stream.next().await` reads as it does with
    /// rdkafka and `futures::StreamExt` (`next` is the stream's own method: no `futures` import).
    pub fn stream(&self) -> MessageStream<'_, C> {
        MessageStream { consumer: self }
    }
}

/// The messages of a [`StreamConsumer`], one `next().await` at a time; it never ends.
pub struct MessageStream<'a, C: ConsumerContext = DefaultConsumerContext> {
    consumer: &'a StreamConsumer<C>,
}

impl<'a, C: ConsumerContext> MessageStream<'a, C> {
    /// The next message (what `StreamExt::next` gives for rdkafka's stream): always `Some`.
    pub async fn next(&mut self) -> Option<KafkaResult<BorrowedMessage<'a>>> {
        Some(self.consumer.recv().await)
    }
}

impl<C: ConsumerContext> Consumer<C> for StreamConsumer<C> {
    fn context(&self) -> &Arc<C> {
        self.base.context()
    }
    fn group_metadata(&self) -> Option<ConsumerGroupMetadata> {
        self.base.group_metadata()
    }
    fn subscribe(&self, topics: &[&str]) -> KafkaResult<()> {
        self.base.subscribe(topics)
    }
    fn assign(&self, assignment: &TopicPartitionList) -> KafkaResult<()> {
        self.base.assign(assignment)
    }
    fn unassign(&self) -> KafkaResult<()> {
        self.base.unassign()
    }
    fn seek<T: Into<Timeout>>(&self, topic: &str, partition: i32, offset: Offset, timeout: T) -> KafkaResult<()> {
        self.base.seek(topic, partition, offset, timeout)
    }
    fn commit(&self, topic_partition_list: &TopicPartitionList, mode: CommitMode) -> KafkaResult<()> {
        self.base.commit(topic_partition_list, mode)
    }
    fn commit_consumer_state(&self, mode: CommitMode) -> KafkaResult<()> {
        self.base.commit_consumer_state(mode)
    }
    fn commit_message(&self, message: &BorrowedMessage<'_>, mode: CommitMode) -> KafkaResult<()> {
        self.base.commit_message(message, mode)
    }
    fn store_offset(&self, topic: &str, partition: i32, offset: i64) -> KafkaResult<()> {
        self.base.store_offset(topic, partition, offset)
    }
    fn store_offset_from_message(&self, message: &BorrowedMessage<'_>) -> KafkaResult<()> {
        self.base.store_offset_from_message(message)
    }
    fn store_offsets(&self, tpl: &TopicPartitionList) -> KafkaResult<()> {
        self.base.store_offsets(tpl)
    }
    fn subscription(&self) -> KafkaResult<TopicPartitionList> {
        self.base.subscription()
    }
    fn assignment(&self) -> KafkaResult<TopicPartitionList> {
        self.base.assignment()
    }
    fn committed<T>(&self, timeout: T) -> KafkaResult<TopicPartitionList>
    where
        T: Into<Timeout>,
        Self: Sized,
    {
        self.base.committed(timeout)
    }
    fn committed_offsets<T>(&self, tpl: TopicPartitionList, timeout: T) -> KafkaResult<TopicPartitionList>
    where
        T: Into<Timeout>,
    {
        self.base.committed_offsets(tpl, timeout)
    }
    fn position(&self) -> KafkaResult<TopicPartitionList> {
        self.base.position()
    }
    fn pause(&self, partitions: &TopicPartitionList) -> KafkaResult<()> {
        self.base.pause(partitions)
    }
    fn resume(&self, partitions: &TopicPartitionList) -> KafkaResult<()> {
        self.base.resume(partitions)
    }
    fn rebalance_protocol(&self) -> RebalanceProtocol {
        self.base.rebalance_protocol()
    }
}
