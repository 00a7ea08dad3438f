//! `FutureProducer` and `FutureRecord`: each send is in flight on its own until its delivery
//! future resolves.
// rdkafka's delivery results carry the whole message back: their shape is the API's.
#![allow(clippy::result_large_err)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use parking_lot::Mutex;

use super::config::{ClientConfig, FromClientConfig};
use super::consumer::ConsumerGroupMetadata;
use super::error::{KafkaError, KafkaResult, RDKafkaError, RDKafkaErrorCode};
use super::message::{Headers, Message, OwnedHeaders, OwnedMessage, Timestamp, ToBytes, RECORD_HEADER};
use super::topic_partition_list::{Offset, TopicPartitionList};
use super::util::Timeout;
use crate::app::service::hub::{current, CallFuture, HubState, Payload, RunData};
use crate::client::driver::{Answer, Step};
use crate::client::transactional::TxnOffsets;
use crate::record::RecordId;

/// A record to send.
#[derive(Debug)]
pub struct FutureRecord<'a, K: ?Sized, P: ?Sized> {
    /// Topic.
    pub topic: &'a str,
    /// Partition (`None`: the partitioner's choice).
    pub partition: Option<i32>,
    /// Payload.
    pub payload: Option<&'a P>,
    /// Key.
    pub key: Option<&'a K>,
    /// Timestamp.
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: Option<OwnedHeaders>,
}

impl<'a, K: ToBytes + ?Sized, P: ToBytes + ?Sized> FutureRecord<'a, K, P> {
    /// A record for `topic`.
    pub fn to(topic: &'a str) -> Self {
        FutureRecord { topic, partition: None, payload: None, key: None, timestamp: None, headers: None }
    }
    /// With this payload.
    pub fn payload(mut self, payload: &'a P) -> Self {
        self.payload = Some(payload);
        self
    }
    /// With this key.
    pub fn key(mut self, key: &'a K) -> Self {
        self.key = Some(key);
        self
    }
    /// To this partition.
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }
    /// With this timestamp.
    pub fn timestamp(mut self, timestamp: i64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }
    /// With these headers.
    pub fn headers(mut self, headers: OwnedHeaders) -> Self {
        self.headers = Some(headers);
        self
    }
}

/// Where a delivered message stands (rdkafka 0.38+; before, a `(partition, offset)` tuple).
#[derive(Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The partition the message was delivered to.
    pub partition: i32,
    /// Its offset there.
    pub offset: i64,
    /// Its timestamp (the producer's `CreateTime`).
    pub timestamp: Timestamp,
}

/// A send's outcome: where the message was delivered, or the error and the message.
pub type OwnedDeliveryResult = Result<Delivery, (KafkaError, OwnedMessage)>;

/// What every producer does.
pub trait Producer {
    /// Send what lingers now (it does not block: the delivery futures say when each record is
    /// resolved).
    fn flush<T: Into<Timeout>>(&self, timeout: T) -> KafkaResult<()>;
}

/// The input a record's [`RECORD_HEADER`] names, if it carries one (the code passed its input's
/// headers on).
fn lineage(run: &RunData, headers: Option<&OwnedHeaders>) -> Option<RecordId> {
    let h = headers?;
    let v = (0..h.count()).filter_map(|i| h.try_get(i)).find(|h| h.key == RECORD_HEADER)?.value?;
    let (name, index) = std::str::from_utf8(v).ok()?.rsplit_once('#')?;
    let producer = run.producer_names.iter().position(|n| n == name)? as u32;
    let index = index.parse().ok()?;
    ((producer as usize) < run.record_base.len()).then_some(RecordId { producer, index })
}

/// A producer of a service: one of the service's `[[producer]]` tables.
#[derive(Debug, Clone)]
pub struct FutureProducer {
    st: Arc<Mutex<HubState>>,
    port: usize,
    table: usize,
}

impl FromClientConfig for FutureProducer {
    fn from_config(config: &ClientConfig) -> KafkaResult<Self> {
        let st = current().ok_or_else(|| {
            KafkaError::ClientCreation("a FutureProducer is created inside a service's code only".into())
        })?;
        let (port, table) = {
            let mut s = st.lock();
            let free = |s: &HubState, i: usize| !s.ports[i].created;
            let n = s.producers.len();
            let pick = match config.get("client.id") {
                Some(id) if s.producers.iter().any(|p| p.name == id) => s.producers.iter().position(|p| p.name == id),
                _ => (0..n).find(|&i| free(&s, i)),
            };
            let Some(table) = pick else {
                return Err(KafkaError::ClientCreation(format!(
                    "the service owns {n} [[producer]] table(s), and each has its producer already"
                )));
            };
            let want = s.producers[table].transactional_id.as_deref();
            if config.get(crate::scenario::keys::TRANSACTIONAL_ID.name) != want {
                return Err(KafkaError::ClientCreation(format!(
                    "transactional.id must be {}, as [[producer]] {} sets it",
                    want.map_or("unset".to_string(), |t| format!("`{t}`")),
                    s.producers[table].name
                )));
            }
            s.ports[table].created = true;
            (table, table)
        };
        Ok(FutureProducer { st, port, table })
    }
}

impl FutureProducer {
    /// Send `record`; the future resolves with its (partition, offset) once acknowledged.
    pub async fn send<K, P, T>(&self, record: FutureRecord<'_, K, P>, queue_timeout: T) -> OwnedDeliveryResult
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
        T: Into<Timeout>,
    {
        let _ = queue_timeout.into();
        match self.send_result(record) {
            Ok(f) => f.await.unwrap_or_else(|_| Err((KafkaError::Canceled, empty()))),
            Err((e, r)) => Err((e, owned(&r, -1, -1))),
        }
    }

    /// Hand `record` over: its delivery future, or the error at once.
    #[allow(clippy::result_large_err)]
    pub fn send_result<'a, K, P>(
        &self,
        record: FutureRecord<'a, K, P>,
    ) -> Result<DeliveryFuture, (KafkaError, FutureRecord<'a, K, P>)>
    where
        K: ToBytes + ?Sized,
        P: ToBytes + ?Sized,
    {
        let (index, partition, msg) = {
            let s = self.st.lock();
            let t = &s.producers[self.table];
            if record.topic != t.topic {
                let e = KafkaError::MessageProduction(RDKafkaErrorCode::UnknownTopicOrPartition);
                return Err((e, record));
            }
            let partition = match record.partition {
                Some(p) if p < 0 || p as u32 >= t.partitions => {
                    let e = KafkaError::MessageProduction(RDKafkaErrorCode::UnknownTopicOrPartition);
                    return Err((e, record));
                }
                Some(p) => Some(p as u32),
                None => {
                    record.key.and_then(|k| super::partitioner::key_partition(t.client, k.to_bytes(), t.partitions))
                }
            };
            let mut run = s.run.lock();
            let index = if t.lineage {
                // An output: its index is its input's global number (docs/services.md).
                let input = lineage(&run, record.headers.as_ref()).or(s.last_input);
                let Some(input) = input else {
                    let e = KafkaError::MessageProduction(RDKafkaErrorCode::InvalidArgument);
                    return Err((e, record));
                };
                run.record_base[input.producer as usize] + input.index
            } else {
                let next = run.next_record.entry(t.index).or_insert(0);
                let index = *next;
                *next += 1;
                index
            };
            if index >= t.records {
                let e = KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull);
                return Err((e, record));
            }
            let payload = Payload {
                key: record.key.map(|k| k.to_bytes().to_vec()),
                value: record.payload.map(|p| p.to_bytes().to_vec()),
                headers: record.headers.clone().map(|h| h.list).unwrap_or_default(),
                timestamp: record.timestamp,
            };
            run.payloads.insert((t.index, index), payload);
            (index, partition, owned(&record, -1, -1))
        };
        let call =
            CallFuture { st: self.st.clone(), port: self.port, step: Some(Step::Produce(index, partition)), id: 0 };
        Ok(DeliveryFuture { st: self.st.clone(), port: self.port, index, call: Some(call), msg: Some(msg) })
    }
}

/// Transactions. rdkafka's calls that wait for the cluster block the thread; a service's code
/// runs inside the simulation, which cannot advance under a blocked call, so here those calls
/// are `async`: the same code with `.await` after them (as madsim-rdkafka has them).
impl FutureProducer {
    /// A transaction call that waits for the cluster.
    async fn txn_call(&self, step: Step) -> KafkaResult<()> {
        if self.st.lock().producers[self.table].transactional_id.is_none() {
            // librdkafka: "The Transactional API requires transactional.id to be configured".
            return Err(KafkaError::Transaction(RDKafkaError::txn(crate::error::KafkaError::InvalidTxnState)));
        }
        match (CallFuture { st: self.st.clone(), port: self.port, step: Some(step), id: 0 }).await {
            Answer::Outcome(Err(e)) => Err(KafkaError::Transaction(RDKafkaError::txn(e))),
            _ => Ok(()),
        }
    }

    /// `initTransactions()`: wait for the producer id (fencing an older instance of the
    /// `transactional.id` and aborting its open transaction).
    pub async fn init_transactions<T: Into<Timeout>>(&self, timeout: T) -> KafkaResult<()> {
        let _ = timeout.into();
        self.txn_call(Step::InitTxn).await
    }

    /// `beginTransaction()` (local: it does not wait for the cluster, as in rdkafka).
    pub fn begin_transaction(&self) -> KafkaResult<()> {
        let mut s = self.st.lock();
        if s.producers[self.table].transactional_id.is_none() {
            return Err(KafkaError::Transaction(RDKafkaError::txn(crate::error::KafkaError::InvalidTxnState)));
        }
        s.call_blocking(self.port, Step::BeginTxn);
        Ok(())
    }

    /// `sendOffsetsToTransaction(offsets, groupMetadata)`: the consumer's offsets commit with
    /// the transaction (KIP-447: fenced by the group generation). They are written when the
    /// transaction commits; an error shows in `commit_transaction`.
    pub async fn send_offsets_to_transaction<T: Into<Timeout>>(
        &self,
        offsets: &TopicPartitionList,
        cgm: &ConsumerGroupMetadata,
        timeout: T,
    ) -> KafkaResult<()> {
        let _ = timeout.into();
        let list: Vec<(u32, u64)> = {
            let s = self.st.lock();
            let run = s.run.lock();
            let mut v = Vec::new();
            for e in offsets.elements() {
                let (Some(p), Offset::Offset(o)) = (run.partition_index(e.topic(), e.partition()), e.offset()) else {
                    let e = RDKafkaError::txn(crate::error::KafkaError::InvalidTxnState);
                    return Err(KafkaError::Transaction(e));
                };
                v.push((p, o.max(0) as u64));
            }
            v
        };
        let o =
            TxnOffsets { group: cgm.group, member_id: cgm.member_id, generation: cgm.generation, offsets: list.into() };
        self.txn_call(Step::SendOffsets(o)).await
    }

    /// `commitTransaction()`: flush, write the offsets, commit. An error that requires an abort
    /// means the transaction was aborted (its records and offsets will not be read).
    pub async fn commit_transaction<T: Into<Timeout>>(&self, timeout: T) -> KafkaResult<()> {
        let _ = timeout.into();
        self.txn_call(Step::EndTxn(true)).await
    }

    /// `abortTransaction()`.
    pub async fn abort_transaction<T: Into<Timeout>>(&self, timeout: T) -> KafkaResult<()> {
        let _ = timeout.into();
        self.txn_call(Step::EndTxn(false)).await
    }
}

impl Producer for FutureProducer {
    fn flush<T: Into<Timeout>>(&self, timeout: T) -> KafkaResult<()> {
        let _ = timeout.into();
        self.st.lock().call(self.port, Step::Flush);
        Ok(())
    }
}

fn owned<K: ToBytes + ?Sized, P: ToBytes + ?Sized>(
    r: &FutureRecord<'_, K, P>,
    partition: i32,
    offset: i64,
) -> OwnedMessage {
    OwnedMessage {
        key: r.key.map(|k| k.to_bytes().to_vec()),
        payload: r.payload.map(|p| p.to_bytes().to_vec()),
        topic: r.topic.to_string(),
        partition,
        offset,
        timestamp: r.timestamp.map_or(Timestamp::NotAvailable, Timestamp::CreateTime),
        headers: r.headers.clone(),
    }
}

fn empty() -> OwnedMessage {
    OwnedMessage {
        key: None,
        payload: None,
        topic: String::new(),
        partition: -1,
        offset: -1,
        timestamp: Timestamp::NotAvailable,
        headers: None,
    }
}

/// The outcome of one send, once its record is acknowledged or has failed.
#[derive(Debug)]
pub struct DeliveryFuture {
    st: Arc<Mutex<HubState>>,
    port: usize,
    index: u32,
    call: Option<CallFuture>,
    msg: Option<OwnedMessage>,
}

impl std::fmt::Debug for CallFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallFuture")
    }
}

/// The delivery future's error: the send was canceled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canceled;

impl Future for DeliveryFuture {
    type Output = Result<OwnedDeliveryResult, Canceled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(call) = this.call.as_mut() {
            match Pin::new(call).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Answer::Outcome(Err(e))) => {
                    this.call = None;
                    let m = this.msg.take().unwrap_or_else(empty);
                    return Poll::Ready(Ok(Err((KafkaError::MessageProduction(e.into()), m))));
                }
                Poll::Ready(_) => this.call = None,
            }
        }
        let mut s = this.st.lock();
        let p = &mut s.ports[this.port];
        match p.deliveries.remove(&this.index) {
            Some(r) => {
                drop(s);
                let run = this.st.lock().run.clone();
                let m = this.msg.take().unwrap_or_else(empty);
                Poll::Ready(Ok(match r {
                    Ok((partition, offset)) => Ok(Delivery {
                        partition: run.lock().partition_name(partition).1,
                        offset,
                        timestamp: m.timestamp(),
                    }),
                    Err(e) => Err((KafkaError::MessageProduction(e.into()), m)),
                }))
            }
            None => {
                p.delivery_wakers.insert(this.index, cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
